//! The server's embedded database file, treated as the tablets treat theirs
//! (docs/adr/0004): checked before it is served, never written when damaged,
//! never deleted; and copied online, consistently, for backups.
//!
//! A zero-byte `server.db` is damage too: SQLite would take it for a new,
//! empty database and the district's tablets would all be told their tokens
//! are unknown.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// What is wrong with a database file, or with copying one.
#[derive(Debug, thiserror::Error)]
pub enum DbFileError {
    /// The file exists but holds nothing.
    #[error(
        "{0} is empty (0 bytes): it is not a paicha server database; the server will not serve or write it. \
         Restore a backup (paicha-server restore), or remove the file to start a new district"
    )]
    Empty(PathBuf),
    /// The file is not a database, or SQLite's integrity check fails.
    #[error(
        "{path} is damaged ({detail}); the server will not serve or write it, and left it as it is. \
         Restore a backup (paicha-server restore) into a new data directory"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What SQLite reports.
        detail: String,
    },
    /// A restore would overwrite an existing database.
    #[error("{0} already exists; restore into a new, empty data directory")]
    Exists(PathBuf),
    /// No database to back up.
    #[error("no server database at {0}")]
    Missing(PathBuf),
    /// Reading or writing failed.
    #[error("{path}: {detail}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
}

/// Checks the database file at `path` before the server opens it: absent is
/// fine (a new district), empty or damaged is an error and the file is left
/// untouched.
pub fn check(path: &Path) -> Result<(), DbFileError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(DbFileError::Io { path: path.to_path_buf(), detail: e.to_string() }),
    };
    if meta.len() == 0 {
        return Err(DbFileError::Empty(path.to_path_buf()));
    }
    integrity(path)
}

/// SQLite's integrity check on an existing file, without creating or
/// changing anything.
fn integrity(path: &Path) -> Result<(), DbFileError> {
    let damaged = |detail: String| DbFileError::Damaged { path: path.to_path_buf(), detail };
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| damaged(e.to_string()))?;
    let rows: Vec<String> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect())
        .map_err(|e| damaged(e.to_string()))?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(damaged(rows.into_iter().take(3).collect::<Vec<_>>().join("; ")))
    }
}

/// Copies the live database in `data` to `to`, consistently, while the
/// server keeps serving (SQLite's online backup). Returns the bytes written.
pub fn backup(data: &Path, to: &Path) -> Result<u64, DbFileError> {
    let from = data.join("server.db");
    if !from.is_file() {
        return Err(DbFileError::Missing(from));
    }
    check(&from)?;
    if to.exists() {
        return Err(DbFileError::Exists(to.to_path_buf()));
    }
    copy(&from, to)?;
    integrity(to)?;
    std::fs::metadata(to)
        .map(|m| m.len())
        .map_err(|e| DbFileError::Io { path: to.to_path_buf(), detail: e.to_string() })
}

/// Restores a backup into a new data directory `data` (which must hold no
/// database yet), after checking the backup's integrity.
pub fn restore(from: &Path, data: &Path) -> Result<(), DbFileError> {
    if !from.is_file() {
        return Err(DbFileError::Missing(from.to_path_buf()));
    }
    check(from)?;
    let to = data.join("server.db");
    if to.exists() {
        return Err(DbFileError::Exists(to));
    }
    std::fs::create_dir_all(data).map_err(|e| DbFileError::Io { path: data.to_path_buf(), detail: e.to_string() })?;
    copy(from, &to)?;
    integrity(&to)
}

fn copy(from: &Path, to: &Path) -> Result<(), DbFileError> {
    let io = |p: &Path, e: rusqlite::Error| DbFileError::Io { path: p.to_path_buf(), detail: e.to_string() };
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| io(from, e))?;
    let mut dst = Connection::open(to).map_err(|e| io(to, e))?;
    let backup = rusqlite::backup::Backup::new(&src, &mut dst).map_err(|e| io(to, e))?;
    backup.run_to_completion(256, std::time::Duration::from_millis(10), None).map_err(|e| io(to, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(dir: &Path) -> PathBuf {
        let p = dir.join("server.db");
        let c = Connection::open(&p).unwrap();
        c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);").unwrap();
        p
    }

    #[test]
    fn absent_is_fine_empty_and_garbage_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("server.db");
        check(&p).unwrap();
        std::fs::write(&p, b"").unwrap();
        assert!(matches!(check(&p), Err(DbFileError::Empty(_))));
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 0, "left as it is");
        std::fs::write(&p, vec![0x5a; 8192]).unwrap();
        let e = check(&p).unwrap_err();
        assert!(e.to_string().contains("damaged"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), vec![0x5a; 8192], "left as it is");
    }

    #[test]
    fn random_bytes_in_the_middle_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("server.db");
        {
            let mut c = Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE t(x TEXT); CREATE INDEX ti ON t(x);").unwrap();
            let tx = c.transaction().unwrap();
            for i in 0..3000 {
                tx.execute("INSERT INTO t VALUES (?1)", [format!("row {i} {}", "x".repeat(50))]).unwrap();
            }
            tx.commit().unwrap();
        }
        let mut bytes = std::fs::read(&p).unwrap();
        let mid = bytes.len() / 2 / 4096 * 4096;
        for (i, b) in bytes[mid..mid + 4096].iter_mut().enumerate() {
            *b = (i * 7919 % 251) as u8;
        }
        std::fs::write(&p, &bytes).unwrap();
        assert!(matches!(check(&p), Err(DbFileError::Damaged { .. })));
    }

    #[test]
    fn a_backup_restores_into_a_new_directory_only() {
        let a = tempfile::tempdir().unwrap();
        db(a.path());
        let out = a.path().join("backup.db");
        assert!(backup(a.path(), &out).unwrap() > 0);
        assert!(matches!(backup(a.path(), &out), Err(DbFileError::Exists(_))));
        let b = tempfile::tempdir().unwrap();
        restore(&out, b.path()).unwrap();
        let n: i64 = Connection::open(b.path().join("server.db"))
            .unwrap()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        assert!(matches!(restore(&out, b.path()), Err(DbFileError::Exists(_))));
    }
}
