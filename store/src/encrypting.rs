//! Encrypting an existing unencrypted store in place (docs/adr/0012): a
//! store made before encryption, perhaps already enrolled, gets its
//! database, photos and device token encrypted without losing a record.
//!
//! The steps survive being cut off at any point:
//! 1. `paicha.encrypting` is written: the store is being encrypted.
//! 2. The database is copied, encrypted, to `paicha.db.encrypting`
//!    (SQLCipher's `sqlcipher_export`), and every photo is sealed beside its
//!    plain file.
//! 3. The key check is written, then the encrypted copy replaces
//!    `paicha.db` in one rename: until then the plain database is the store.
//! 4. The plain photo files and the marker are removed.
//!
//! Opening with the key while the marker is there runs the steps again
//! from where the database says they are.

use crate::encryption::{self, PhotoVault, StoreKey};
use crate::error::{Error, Result};
use crate::{has_sqlite_header, photos, Store, DB_FILE};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Marks a store whose encryption has begun and not finished.
pub const MARKER_FILE: &str = "paicha.encrypting";
const COPY_FILE: &str = "paicha.db.encrypting";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::Io { path: path.to_path_buf(), source: e }
}

/// Whether an encryption of the store in `dir` was begun and not finished.
pub(crate) fn interrupted(dir: &Path) -> bool {
    dir.join(MARKER_FILE).is_file()
}

impl Store {
    /// Encrypts the unencrypted store in `dir` in place with `key` and
    /// opens it: the database, every photo and the device token. Nothing
    /// is lost if it is cut off: opening with the key finishes it. An
    /// already encrypted store is an error naming it.
    pub fn encrypt(dir: &Path, key: &StoreKey) -> Result<Store> {
        if !interrupted(dir) {
            if encryption::is_encrypted(dir) {
                return Err(Error::invalid("store", "is already encrypted"));
            }
            // Opening checks the store (damage is moved aside, as always)
            // and brings its schema up to date before it is copied.
            drop(Store::open(dir)?);
            let marker = dir.join(MARKER_FILE);
            photos::write_atomically(&marker, b"encrypting\n")?;
        }
        finish(dir, key)?;
        Store::open_encrypted(dir, key)
    }
}

/// Runs the steps left of an encryption of `dir` with `key`.
pub(crate) fn finish(dir: &Path, key: &StoreKey) -> Result<()> {
    let db = dir.join(DB_FILE);
    if has_sqlite_header(&db) {
        let copy = dir.join(COPY_FILE);
        remove_if_there(&copy)?;
        export(&db, &copy, key)?;
        seal_photos(dir, key)?;
        encryption::write_key_check(dir, key)?;
        for companion in ["-wal", "-shm"] {
            remove_if_there(&PathBuf::from(format!("{}{companion}", db.display())))?;
        }
        std::fs::rename(&copy, &db).map_err(io(&db))?;
        sync_dir(dir)?;
    }
    remove_plain_photos(dir)?;
    remove_if_there(&dir.join(MARKER_FILE))
}

/// Copies the plain database at `db` to `copy`, encrypted with `key`.
fn export(db: &Path, copy: &Path, key: &StoreKey) -> Result<()> {
    let conn = Connection::open(db)?;
    // Everything in the WAL goes into the database file first.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let copy_name = copy.to_str().ok_or_else(|| Error::invalid("store", "its path is not valid UTF-8"))?;
    conn.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", [copy_name, &key.sql_key()])?;
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"))?;
    drop(conn);
    std::fs::File::open(copy).and_then(|f| f.sync_all()).map_err(io(copy))
}

/// Every plain photo file (`photos/ab/<sha256>.jpg`), with its hash.
fn plain_photos(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = vec![];
    let root = dir.join("photos");
    let Ok(prefixes) = std::fs::read_dir(&root) else { return Ok(out) };
    for prefix in prefixes.flatten() {
        let Ok(files) = std::fs::read_dir(prefix.path()) else { continue };
        for f in files.flatten() {
            let path = f.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if matches!(ext, "jpg" | "part") && stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push((stem.to_string(), path));
            }
        }
    }
    Ok(out)
}

/// Seals every plain photo beside it. A partial download is left for the
/// last step to remove: it is fetched again, sealed.
fn seal_photos(dir: &Path, key: &StoreKey) -> Result<()> {
    let vault = PhotoVault::new(Some(key));
    for (sha, path) in plain_photos(dir)? {
        if path.extension().is_some_and(|e| e == "part") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        photos::write_atomically(&vault.path(dir, &sha), &vault.seal(&sha, &bytes)?)?;
    }
    Ok(())
}

fn remove_plain_photos(dir: &Path) -> Result<()> {
    for (_, path) in plain_photos(dir)? {
        remove_if_there(&path)?;
    }
    Ok(())
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Io { path: path.to_path_buf(), source: e }),
    }
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use paicha_core::photo::PhotoRole;

    /// A plain store with a photo, as before encryption; its photo's hash.
    fn plain_store(dir: &Path) -> String {
        let store = Store::create(dir, "tab-old").unwrap();
        let file = dir.join("p.jpg");
        std::fs::write(&file, b"\xFF\xD8\xFF\xE0 an old photo").unwrap();
        let p = store.import_photo(&file, PhotoRole::Before, None, None).unwrap();
        std::fs::remove_file(&file).unwrap();
        store.set_user("insp-wang").unwrap();
        p.sha256
    }

    #[test]
    fn cut_off_before_the_rename_the_plain_store_is_whole_and_the_key_finishes_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let sha = plain_store(&dir);
        let key = StoreKey::generate();
        // As if cut off after the key check was written, before the rename.
        std::fs::write(dir.join(MARKER_FILE), "encrypting\n").unwrap();
        seal_photos(&dir, &key).unwrap();
        encryption::write_key_check(&dir, &key).unwrap();
        assert!(has_sqlite_header(&dir.join(DB_FILE)));
        assert!(matches!(Store::open(&dir).err(), Some(Error::KeyRequired(_))));
        assert!(matches!(Store::open_encrypted(&dir, &StoreKey::generate()).err(), Some(Error::WrongKey(_))));
        let store = Store::open_encrypted(&dir, &key).unwrap();
        assert_eq!(store.user().unwrap().as_deref(), Some("insp-wang"));
        assert_eq!(store.photo_bytes(&sha).unwrap(), b"\xFF\xD8\xFF\xE0 an old photo");
        assert!(!interrupted(&dir));
        assert!(plain_photos(&dir).unwrap().is_empty());
        assert!(!has_sqlite_header(&dir.join(DB_FILE)));
    }

    #[test]
    fn cut_off_after_the_rename_the_plain_photos_are_removed_on_the_next_open() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let sha = plain_store(&dir);
        let key = StoreKey::generate();
        std::fs::write(dir.join(MARKER_FILE), "encrypting\n").unwrap();
        let db = dir.join(DB_FILE);
        export(&db, &dir.join(COPY_FILE), &key).unwrap();
        seal_photos(&dir, &key).unwrap();
        encryption::write_key_check(&dir, &key).unwrap();
        std::fs::rename(dir.join(COPY_FILE), &db).unwrap();
        assert_eq!(plain_photos(&dir).unwrap().len(), 1);
        let store = Store::open_encrypted(&dir, &key).unwrap();
        assert!(plain_photos(&dir).unwrap().is_empty());
        assert!(!interrupted(&dir));
        assert_eq!(store.photo_bytes(&sha).unwrap(), b"\xFF\xD8\xFF\xE0 an old photo");
    }
}
