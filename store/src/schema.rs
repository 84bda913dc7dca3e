//! Schema versioning: `PRAGMA user_version` and numbered migrations
//! (`migrations/NNN_*.sql`), applied one step at a time in one IMMEDIATE
//! transaction. A database newer than this code is refused untouched.

use crate::error::{Error, Result};
use rusqlite::Connection;
use std::path::Path;

/// The migrations in order; migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("001_initial", include_str!("migrations/001_initial.sql")),
    ("002_photos", include_str!("migrations/002_photos.sql")),
    ("003_sync", include_str!("migrations/003_sync.sql")),
    ("004_photo_sync", include_str!("migrations/004_photo_sync.sql")),
    ("005_receipts", include_str!("migrations/005_receipts.sql")),
    ("006_documents", include_str!("migrations/006_documents.sql")),
];

/// The schema version this code writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database up to [`current_version`], or refuses a newer one.
pub fn upgrade(conn: &mut Connection, path: &Path) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > current_version() {
        return Err(Error::SchemaTooNew { path: path.to_path_buf(), found, supported: current_version() });
    }
    if found == current_version() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (i, (_, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(conn: &Connection) -> Vec<(String, String, String)> {
        let mut stmt = conn
            .prepare(
                "SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    #[test]
    fn frozen_v1_upgrades_to_the_same_schema_as_a_new_database() {
        let dir = tempfile::tempdir().unwrap();
        let old_path = dir.path().join("old.db");
        let mut old = Connection::open(&old_path).unwrap();
        old.execute_batch(MIGRATIONS[0].1).unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        old.execute("INSERT INTO meta(key, value) VALUES ('device_id', 'tablet-1')", []).unwrap();
        upgrade(&mut old, &old_path).unwrap();

        let new_path = dir.path().join("new.db");
        let mut new = Connection::open(&new_path).unwrap();
        upgrade(&mut new, &new_path).unwrap();

        assert_eq!(schema(&old), schema(&new));
        let v: i64 = old.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, current_version());
        let kept: String = old.query_row("SELECT value FROM meta WHERE key='device_id'", [], |r| r.get(0)).unwrap();
        assert_eq!(kept, "tablet-1");
    }

    #[test]
    fn newer_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("future.db");
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = upgrade(&mut conn, &path).unwrap_err();
        assert!(matches!(err, Error::SchemaTooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("upgrade paicha"));
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 99);
    }
}
