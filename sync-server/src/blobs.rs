//! Photos on the server, behind their own trait: content-addressed by
//! SHA-256, on the filesystem by default (`data/blobs/ab/abcd…`), or on an
//! S3-compatible object store ([`crate::object_blobs`]).

use crate::error::ServerError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where photo bytes live.
pub trait Blobs: Send + Sync + 'static {
    /// Size of the blob, if present.
    fn size(&self, sha256: &str) -> Result<Option<u64>, ServerError>;
    /// Stores verified bytes under their hash (idempotent).
    fn put(&self, sha256: &str, bytes: &[u8]) -> Result<(), ServerError>;
    /// Bytes from `offset` on, if present.
    fn get(&self, sha256: &str, offset: u64) -> Result<Option<Vec<u8>>, ServerError>;
    /// How many bytes of an interrupted upload are held.
    fn partial_len(&self, sha256: &str) -> Result<u64, ServerError>;
    /// Appends `bytes` at `offset` of the partial upload (which must be its
    /// current length); returns the new length.
    fn append_partial(&self, sha256: &str, offset: u64, bytes: &[u8]) -> Result<u64, ServerError>;
    /// The whole partial upload, to verify it.
    fn read_partial(&self, sha256: &str) -> Result<Vec<u8>, ServerError>;
    /// Drops a partial upload (after it was stored whole, or found corrupt).
    fn drop_partial(&self, sha256: &str) -> Result<(), ServerError>;
}

/// Blobs as files in a directory.
pub struct FsBlobs {
    dir: PathBuf,
}

impl FsBlobs {
    /// Blobs under `dir`.
    pub fn new(dir: &Path) -> FsBlobs {
        FsBlobs { dir: dir.to_path_buf() }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256.get(..2).unwrap_or("xx")).join(sha256)
    }
}

fn io(p: &Path, e: std::io::Error) -> ServerError {
    ServerError::Internal(format!("{}: {e}", p.display()))
}

impl FsBlobs {
    fn partial(&self, sha256: &str) -> PathBuf {
        self.path(sha256).with_extension("partial")
    }
}

impl Blobs for FsBlobs {
    fn partial_len(&self, sha256: &str) -> Result<u64, ServerError> {
        let path = self.partial(sha256);
        match std::fs::metadata(&path) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(io(&path, e)),
        }
    }

    fn append_partial(&self, sha256: &str, offset: u64, bytes: &[u8]) -> Result<u64, ServerError> {
        let path = self.partial(sha256);
        let held = self.partial_len(sha256)?;
        if offset != held {
            return Err(ServerError::Conflict(format!(
                "the server holds {held} bytes of this photo; resume from there"
            )));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|e| io(&path, e))?;
        f.write_all(bytes).map_err(|e| io(&path, e))?;
        f.sync_all().map_err(|e| io(&path, e))?;
        Ok(held + bytes.len() as u64)
    }

    fn read_partial(&self, sha256: &str) -> Result<Vec<u8>, ServerError> {
        let path = self.partial(sha256);
        std::fs::read(&path).map_err(|e| io(&path, e))
    }

    fn drop_partial(&self, sha256: &str) -> Result<(), ServerError> {
        match std::fs::remove_file(self.partial(sha256)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&self.partial(sha256), e)),
        }
    }

    fn size(&self, sha256: &str) -> Result<Option<u64>, ServerError> {
        let path = self.path(sha256);
        match std::fs::metadata(&path) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }

    fn put(&self, sha256: &str, bytes: &[u8]) -> Result<(), ServerError> {
        let path = self.path(sha256);
        if self.size(sha256)? == Some(bytes.len() as u64) {
            return Ok(());
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        let tmp = path.with_extension(format!("part-{}", uuid::Uuid::new_v4().simple()));
        let mut f = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
    }

    fn get(&self, sha256: &str, offset: u64) -> Result<Option<Vec<u8>>, ServerError> {
        let path = self.path(sha256);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b.get(offset as usize..).map(<[u8]>::to_vec).unwrap_or_default())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }
}
