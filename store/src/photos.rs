//! Photos on disk, content-addressed by SHA-256: `photos/ab/abcd...jpg`,
//! or sealed under the store key in an encrypted store
//! ([`crate::encryption::PhotoVault`]).
//!
//! A photo is copied in before the action that uses it; the action's
//! transaction records it in the `photos` table only after checking the file
//! is there and intact. A missing or altered file is reported, never ignored.

use super::Store;
use crate::error::{Error, Result};
use paicha_core::photo::{Gps, PhotoRef, PhotoRole};
use paicha_core::time::Timestamp;
use rusqlite::{params, Connection};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A stored photo that is not what the records say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhotoProblem {
    /// The photo's hash.
    pub sha256: String,
    /// Where it should be.
    pub path: PathBuf,
    /// `missing` or `altered` (its bytes no longer hash to its name).
    pub problem: String,
}

fn sha_hex(bytes: &[u8]) -> String {
    super::hex(&Sha256::digest(bytes))
}

impl Store {
    /// Where the photo with `sha256` lives in this store.
    pub fn photo_path(&self, sha256: &str) -> PathBuf {
        self.vault.path(&self.dir, sha256)
    }

    /// The photo's bytes if its file is here and opens to bytes that hash
    /// to its name: `Ok(None)` if absent, `Err` naming the problem otherwise.
    fn stored_photo(&self, sha256: &str) -> std::result::Result<Option<Vec<u8>>, String> {
        let path = self.photo_path(sha256);
        let stored = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot be read ({}): {e}", path.display())),
        };
        match self.vault.open(sha256, stored) {
            Some(bytes) if sha_hex(&bytes) == sha256 => Ok(Some(bytes)),
            _ => Err("file was altered: its hash does not match".into()),
        }
    }

    /// Copies a JPEG into the store and returns its reference. Refuses a file
    /// that is missing, not a JPEG or larger than the policy allows. Adding
    /// the same bytes twice stores them once.
    pub fn import_photo(
        &self,
        path: &Path,
        role: PhotoRole,
        captured_at: Option<Timestamp>,
        gps: Option<Gps>,
    ) -> Result<PhotoRef> {
        let what = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::Photo { what: what.clone(), problem: e.to_string() })?;
        if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Err(Error::Photo { what, problem: "is not a JPEG file".into() });
        }
        let max = self.policy()?.at(Timestamp::now().cst_date()).max_photo_bytes;
        if bytes.len() as u64 > max {
            return Err(Error::Photo {
                what,
                problem: format!("is {} bytes, more than the {} allowed", bytes.len(), max),
            });
        }
        let sha = sha_hex(&bytes);
        let dest = self.photo_path(&sha);
        let stored = self.vault.seal(&sha, &bytes)?;
        // A file of the right size is this photo (checked again when an
        // action records it); anything else is replaced.
        if std::fs::metadata(&dest).map(|m| m.len()).ok() != Some(stored.len() as u64) {
            write_atomically(&dest, &stored)?;
        }
        Ok(PhotoRef {
            sha256: sha,
            bytes: bytes.len() as u64,
            role,
            captured_at,
            gps,
            device_id: self.device.device_id.clone(),
        })
    }

    /// The bytes of the photo `sha256`, checked against their hash: to show
    /// a photo or send it. A photo not held here is [`Error::NotFound`]; one
    /// whose bytes no longer hash to its name is an [`Error::Photo`].
    pub fn photo_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(Error::invalid("photo", "is not a SHA-256 in lower-case hex (64 characters)"));
        }
        match self.stored_photo(sha256) {
            Ok(Some(bytes)) => Ok(bytes),
            Ok(None) => Err(Error::not_found("photo", sha256)),
            Err(problem) => Err(Error::Photo { what: sha256.into(), problem }),
        }
    }

    /// Checks every photo the records refer to: present and intact.
    pub fn verify_photos(&self) -> Result<Vec<PhotoProblem>> {
        let shas: Vec<String> = self.read(|c| {
            let mut stmt = c.prepare("SELECT sha256 FROM photos ORDER BY sha256")?;
            let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })?;
        let mut problems = vec![];
        for sha in shas {
            let path = self.photo_path(&sha);
            match self.stored_photo(&sha) {
                Ok(None) => problems.push(PhotoProblem { sha256: sha, path, problem: "missing".into() }),
                Err(_) => problems.push(PhotoProblem { sha256: sha, path, problem: "altered".into() }),
                Ok(Some(_)) => {}
            }
        }
        Ok(problems)
    }
}

impl Store {
    /// After a refused action: removes the files of `photos` that no stored
    /// record refers to, so a refused action leaves nothing behind. The
    /// action's error is what the caller gets; a file that cannot be removed
    /// now stays unreferenced. A photo a record holds is never removed.
    pub(super) fn after_refusal<T>(&self, photos: &[PhotoRef], result: Result<T>) -> Result<T> {
        if result.is_ok() || photos.is_empty() {
            return result;
        }
        let recorded: Vec<bool> = match self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1)")?;
            let mut out = vec![];
            for p in photos {
                out.push(stmt.query_row([&p.sha256], |r| r.get(0))?);
            }
            Ok(out)
        }) {
            Ok(r) => r,
            Err(_) => return result,
        };
        for (p, kept) in photos.iter().zip(recorded) {
            if !kept {
                // Best effort: the refusal is the error that matters to the caller.
                let _ = std::fs::remove_file(self.photo_path(&p.sha256));
            }
        }
        result
    }
}

/// Removes the temporary files left by an import that was interrupted
/// (a resumable download's `.part` file is kept).
pub(super) fn remove_partial_imports(dir: &Path) -> Result<()> {
    let root = dir.join("photos");
    let Ok(prefixes) = std::fs::read_dir(&root) else { return Ok(()) };
    for prefix in prefixes.flatten() {
        let Ok(files) = std::fs::read_dir(prefix.path()) else { continue };
        for f in files.flatten() {
            let path = f.path();
            if path.extension().is_some_and(|e| e == "import-part") {
                std::fs::remove_file(&path).map_err(|e| Error::Io { path: path.clone(), source: e })?;
            }
        }
    }
    Ok(())
}

pub(crate) fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| Error::Io { path: dest.to_path_buf(), source: e };
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    // Not ".part": that name is a resumable download's (sync), kept across runs.
    let tmp = dest.with_extension("import-part");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, dest).map_err(io)?;
    Ok(())
}

/// Inside an action's transaction: every referenced photo must be in the
/// store and intact; then it is recorded.
pub(super) fn record_refs(conn: &Connection, store: &Store, photos: &[&PhotoRef], now: Timestamp) -> Result<()> {
    for p in photos {
        let bytes = match store.stored_photo(&p.sha256) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                return Err(Error::Photo {
                    what: p.sha256.clone(),
                    problem: format!(
                        "is not in the store ({}): import it first",
                        store.photo_path(&p.sha256).display()
                    ),
                })
            }
            Err(problem) => return Err(Error::Photo { what: p.sha256.clone(), problem }),
        };
        let role = match p.role {
            PhotoRole::Before => "before",
            PhotoRole::After => "after",
            PhotoRole::Document => "document",
        };
        conn.execute(
            "INSERT OR IGNORE INTO photos(sha256, bytes, role, captured_at, device_id, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![p.sha256, bytes.len() as i64, role, p.captured_at.map(|t| t.0), p.device_id, now.0],
        )?;
    }
    Ok(())
}
