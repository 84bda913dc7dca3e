//! Photos on an S3-compatible object store (any district's MinIO, Ceph, OSS
//! or AWS), through the `object_store` crate, as an alternative to files in
//! the data directory. Chosen by one setting, a URL like
//! `s3://bucket/prefix` (`--photos` or `PAICHA_SERVER_PHOTOS`); endpoint and
//! credentials come from the usual `AWS_*` environment variables
//! (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ALLOW_HTTP` for a plain-HTTP endpoint).
//!
//! Whole photos go to the object store under `<prefix>/ab/abcd…`. The parts
//! of an interrupted chunked upload stay on the local disk of the node that
//! received them (they are small and short-lived); a client that resumes on
//! another node is told how much that node holds and starts from there.
//!
//! The [`Blobs`] trait is blocking (the server calls it on tokio's blocking
//! pool); the object store is async, so calls run on a small runtime of this
//! type's own and the caller waits for their answer.

use crate::blobs::{Blobs, FsBlobs};
use crate::error::ServerError;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

/// Photos in an object store bucket.
pub struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    partials: FsBlobs,
    runtime: tokio::runtime::Runtime,
    what: String,
}

fn store_err(what: &str, e: impl std::fmt::Display) -> ServerError {
    ServerError::Internal(format!("object store {what}: {e}"))
}

impl ObjectBlobs {
    /// Connects to the bucket of `url` (`s3://bucket/optional/prefix`), with
    /// endpoint and credentials from the environment; partial uploads are
    /// kept under `partials_dir`.
    pub fn from_url(url: &str, partials_dir: &Path) -> Result<ObjectBlobs, ServerError> {
        let parsed = url
            .strip_prefix("s3://")
            .ok_or_else(|| ServerError::BadRequest(format!("photos location '{url}' is not an s3:// URL")))?;
        let (bucket, prefix) = parsed.split_once('/').unwrap_or((parsed, ""));
        if bucket.is_empty() {
            return Err(ServerError::BadRequest(format!("photos location '{url}' names no bucket")));
        }
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| store_err(url, e))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("object-store")
            .enable_all()
            .build()
            .map_err(|e| store_err(url, e))?;
        Ok(ObjectBlobs {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_string(),
            partials: FsBlobs::new(partials_dir),
            runtime,
            what: url.to_string(),
        })
    }

    fn path(&self, sha256: &str) -> ObjectPath {
        let shard = sha256.get(..2).unwrap_or("xx");
        if self.prefix.is_empty() {
            ObjectPath::from(format!("{shard}/{sha256}"))
        } else {
            ObjectPath::from(format!("{}/{shard}/{sha256}", self.prefix))
        }
    }

    /// Runs `fut` on this type's runtime and waits for it (from any thread
    /// that is not itself driving async tasks: the blocking pool, a command).
    fn wait<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> Result<T, ServerError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|e| store_err(&self.what, e))
    }
}

impl Blobs for ObjectBlobs {
    fn size(&self, sha256: &str) -> Result<Option<u64>, ServerError> {
        let (store, path) = (self.store.clone(), self.path(sha256));
        match self.wait(async move { store.head(&path).await })? {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_err(&self.what, e)),
        }
    }

    fn put(&self, sha256: &str, bytes: &[u8]) -> Result<(), ServerError> {
        if self.size(sha256)? == Some(bytes.len() as u64) {
            return Ok(());
        }
        let (store, path) = (self.store.clone(), self.path(sha256));
        let payload = PutPayload::from(bytes.to_vec());
        self.wait(async move { store.put(&path, payload).await })?.map_err(|e| store_err(&self.what, e))?;
        Ok(())
    }

    fn get(&self, sha256: &str, offset: u64) -> Result<Option<Vec<u8>>, ServerError> {
        let (store, path) = (self.store.clone(), self.path(sha256));
        let got = self.wait(async move {
            match store.get(&path).await {
                Ok(r) => r.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })?;
        match got {
            Ok(Some(b)) => Ok(Some(b.get(offset as usize..).map(<[u8]>::to_vec).unwrap_or_default())),
            Ok(None) => Ok(None),
            Err(e) => Err(store_err(&self.what, e)),
        }
    }

    fn partial_len(&self, sha256: &str) -> Result<u64, ServerError> {
        self.partials.partial_len(sha256)
    }

    fn append_partial(&self, sha256: &str, offset: u64, bytes: &[u8]) -> Result<u64, ServerError> {
        self.partials.append_partial(sha256, offset, bytes)
    }

    fn read_partial(&self, sha256: &str) -> Result<Vec<u8>, ServerError> {
        self.partials.read_partial(sha256)
    }

    fn drop_partial(&self, sha256: &str) -> Result<(), ServerError> {
        self.partials.drop_partial(sha256)
    }
}
