//! The embedded SQLite storage: `server.db` in the data directory, WAL,
//! `synchronous = FULL`, one connection behind a mutex (one writer: the
//! concurrency contract of [`Storage`] holds by construction).
//!
//! Schema: `PRAGMA user_version` and the numbered files in
//! `sync-server/migrations/sqlite/`, applied in one IMMEDIATE transaction
//! (docs/adr/0003).

use super::{
    bundled_templates, from_json, moved, same_heads, stored_kind, summary_columns, summary_of_stored,
    template_conflict, to_json, visible_reference, web_device_of, AcceptedWrite, ConsoleSession, Device, Enrollment,
    LogEntry, LoginFailures, NewQuarantine, Notice, NoticeDelivery, Quarantined, Result, Storage, StorageError,
    StoredDoc, SummaryQuery,
};
use super::{plan_exists, PlanRow, StoredPlan};
use paicha_core::enterprise::Enterprise;
use paicha_core::people::Person;
use paicha_core::policy::Policy;
use paicha_core::summary::Summary;
use paicha_core::sync::wire::ReferenceData;
use paicha_core::template::Template;
use paicha_core::time::Timestamp;
use rusqlite::{params, params_from_iter, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::Mutex;

/// The migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/001_initial.sql"),
    include_str!("../../migrations/sqlite/002_photo_refs.sql"),
    include_str!("../../migrations/sqlite/003_receipts_doc_index.sql"),
    include_str!("../../migrations/sqlite/004_templates.sql"),
    include_str!("../../migrations/sqlite/005_summaries.sql"),
    include_str!("../../migrations/sqlite/006_console.sql"),
    include_str!("../../migrations/sqlite/007_notices.sql"),
    include_str!("../../migrations/sqlite/008_plans.sql"),
];

/// Newest schema version this server writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> StorageError {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen => {
                    StorageError::Unavailable(e.to_string())
                }
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => StorageError::Corrupt(e.to_string()),
                ErrorCode::ConstraintViolation => match f.extended_code {
                    rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StorageError::Invalid(e.to_string()),
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                        StorageError::Conflict(e.to_string())
                    }
                    _ => StorageError::Backend(e.to_string()),
                },
                _ => StorageError::Backend(e.to_string()),
            },
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::Utf8Error(..) => StorageError::Corrupt(e.to_string()),
            _ => StorageError::Backend(e.to_string()),
        }
    }
}

/// The embedded SQLite storage.
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

/// R2 as SQL ([`paicha_core::people::scope_sql`]), its parameters appended to `params`.
fn scope_condition(viewer: &Person, table: &str, params: &mut Vec<rusqlite::types::Value>) -> String {
    let (sql, values) = paicha_core::people::scope_sql(viewer, table, params.len() + 1);
    params.extend(values.into_iter().map(rusqlite::types::Value::from));
    sql
}

/// Runs the step that follows migration `version` (seeding in Rust what SQL cannot).
pub(super) fn after_migration(tx: &Connection, version: i64) -> Result<()> {
    match version {
        1 => {
            tx.execute("INSERT INTO policy(id, json) VALUES (1, ?1)", [to_json(&Policy::default())?])?;
            tx.execute("INSERT INTO meta(key, value) VALUES ('reference_version', '1')", [])?;
        }
        4 => {
            for (id, version, text) in bundled_templates()? {
                tx.execute(
                    "INSERT OR IGNORE INTO templates(id, version, json) VALUES (?1, ?2, ?3)",
                    params![id, version, text],
                )?;
            }
        }
        5 => {
            let mut stmt = tx.prepare("SELECT id, kind, snapshot FROM documents")?;
            let docs = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (id, kind, snapshot) in docs {
                if let Some(s) = summary_of_stored(&id, stored_kind(&id, &kind)?, &snapshot)? {
                    put_summary(tx, &id, &s)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn put_summary(c: &Connection, doc_id: &str, s: &Summary) -> Result<()> {
    let col = summary_columns(s)?;
    let kind = s.kind();
    c.prepare_cached(
        "INSERT INTO summaries(doc_id, kind, township, enterprise, status, open_conflicts, sort_key, summary)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(doc_id) DO UPDATE SET township = excluded.township, enterprise = excluded.enterprise,
             status = excluded.status, open_conflicts = excluded.open_conflicts, sort_key = excluded.sort_key,
             summary = excluded.summary",
    )?
    .execute(params![
        doc_id,
        kind.as_str(),
        col.township,
        col.enterprise,
        col.status,
        col.open_conflicts,
        col.sort_key,
        col.json
    ])?;
    Ok(())
}

impl SqliteStorage {
    /// Opens (creating if needed) `server.db` in `dir`, upgrading its schema.
    pub fn open(dir: &Path) -> Result<SqliteStorage> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Unavailable(format!("{}: {e}", dir.display())))?;
        let mut conn = Connection::open(dir.join("server.db"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 32 MiB of page cache (SQLite's default is 2 MiB): the change log and
        // the records a district syncs stay in memory instead of being read
        // from the file on every request. A fixed bound: memory does not grow
        // with the database.
        conn.pragma_update(None, "cache_size", -32_768)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::Backend(format!(
                "server.db has schema version {version}, newer than this server ({SCHEMA_VERSION})"
            )));
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let step = i as i64 + 1;
            if version < step {
                tx.execute_batch(sql)?;
                after_migration(&tx, step)?;
            }
        }
        // Template versions this server ships that the database lacks (a new
        // version of a checklist, R3) are published; existing ones never change.
        for (id, version, text) in bundled_templates()? {
            tx.execute(
                "INSERT OR IGNORE INTO templates(id, version, json) VALUES (?1, ?2, ?3)",
                params![id, version, text],
            )?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(SqliteStorage { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut c = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut c)
    }
}

/// The page of the change log after a cursor, within a scope condition on
/// `d.`. `CROSS JOIN` makes SQLite walk the log from the cursor and look
/// each record up, never the other way round: without statistics its
/// planner would otherwise read every record of a township and sort their
/// log entries on every sync, a cost that grows with the district.
fn changes_sql(scope: &str) -> String {
    format!(
        "SELECT c.seq, c.doc_id, d.kind, c.data, c.heads FROM change_log c CROSS JOIN documents d ON d.id = c.doc_id
         WHERE c.seq > ?1 AND c.device_id != ?2 AND ({scope}) ORDER BY c.seq LIMIT ?3"
    )
}

fn template_in(c: &Connection, id: &str, version: u32) -> Result<Option<Template>> {
    let j: Option<String> = c
        .query_row("SELECT json FROM templates WHERE id = ?1 AND version = ?2", params![id, version], |r| r.get(0))
        .optional()?;
    j.map(|j| from_json(&format!("stored template {id} v{version}"), &j)).transpose()
}

fn bump_reference(c: &Connection) -> Result<()> {
    c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'reference_version'", [])?;
    Ok(())
}

fn reference_version_in(c: &Connection) -> Result<u64> {
    let v: String = c.query_row("SELECT value FROM meta WHERE key = 'reference_version'", [], |r| r.get(0))?;
    v.parse().map_err(|_| StorageError::Corrupt(format!("meta.reference_version holds '{v}', not a number")))
}

fn policy_in(c: &Connection) -> Result<Policy> {
    let j: String = c.query_row("SELECT json FROM policy WHERE id = 1", [], |r| r.get(0))?;
    from_json("the stored policy", &j)
}

fn device_row(r: &rusqlite::Row) -> rusqlite::Result<Device> {
    Ok(Device { device_id: r.get(0)?, user_id: r.get(1)?, actor: r.get(2)?, revoked_at: r.get(3)? })
}

/// A stored failure count as [`LoginFailures`].
fn failures_of(login: &str, n: i64, at: i64) -> Result<LoginFailures> {
    let count = u32::try_from(n)
        .map_err(|_| StorageError::Corrupt(format!("failed sign-ins of '{login}': {n} is not a count")))?;
    Ok(LoginFailures { count, last_at: Timestamp(at) })
}

fn heads_of(doc_id: &str, json: &str) -> Result<Vec<String>> {
    from_json(&format!("heads of stored record {doc_id}"), json)
}

impl Storage for SqliteStorage {
    fn person(&self, id: &str) -> Result<Option<Person>> {
        self.with(|c| {
            let j: Option<String> =
                c.query_row("SELECT json FROM people WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            j.map(|j| from_json(&format!("stored person {id}"), &j)).transpose()
        })
    }

    fn put_person(&self, p: &Person) -> Result<()> {
        let json = to_json(p)?;
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO people(id, role, json) VALUES (?1, ?2, ?3)",
                params![p.id, p.role.as_str(), json],
            )?;
            bump_reference(&tx)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn put_enterprises(&self, list: &[Enterprise]) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for e in list {
                tx.execute(
                    "INSERT OR REPLACE INTO enterprises(credit_code, township, json) VALUES (?1, ?2, ?3)",
                    params![e.credit_code, e.township, to_json(e)?],
                )?;
            }
            bump_reference(&tx)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn policy(&self) -> Result<Policy> {
        self.with(|c| policy_in(c))
    }

    fn set_policy(&self, p: &Policy) -> Result<()> {
        let json = to_json(p)?;
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute("INSERT OR REPLACE INTO policy(id, json) VALUES (1, ?1)", [json])?;
            bump_reference(&tx)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn reference_version(&self) -> Result<u64> {
        self.with(|c| reference_version_in(c))
    }

    fn reference_for(&self, person: &Person) -> Result<ReferenceData> {
        self.with(|c| {
            let tx = c.transaction()?;
            let version = reference_version_in(&tx)?;
            let policy = policy_in(&tx)?;
            let mut people = vec![];
            {
                let mut stmt = tx.prepare("SELECT id, json FROM people ORDER BY id")?;
                for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
                    let (id, j) = row?;
                    people.push(from_json(&format!("stored person {id}"), &j)?);
                }
            }
            let mut enterprises = vec![];
            {
                let mut stmt = tx.prepare("SELECT credit_code, json FROM enterprises ORDER BY credit_code")?;
                for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
                    let (code, j) = row?;
                    enterprises.push(from_json(&format!("stored enterprise {code}"), &j)?);
                }
            }
            let mut templates = vec![];
            {
                let mut stmt = tx.prepare("SELECT id, version, json FROM templates ORDER BY id, version")?;
                for row in
                    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?)))?
                {
                    let (id, v, j) = row?;
                    templates.push(from_json(&format!("stored template {id} v{v}"), &j)?);
                }
            }
            let (people, enterprises) = visible_reference(person, people, enterprises);
            Ok(ReferenceData { version, people, enterprises, policy, templates })
        })
    }

    fn add_device(&self, device_id: &str, user_id: &str, code_hash: &str, now: Timestamp) -> Result<()> {
        self.with(|c| {
            let n = c.execute(
                "INSERT INTO devices(device_id, user_id, code_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(device_id) DO UPDATE SET user_id = excluded.user_id, code_hash = excluded.code_hash,
                     actor = NULL, token_hash = NULL, enrolled_at = NULL, revoked_at = NULL
                 WHERE devices.revoked_at IS NULL AND devices.enrolled_at IS NULL",
                params![device_id, user_id, code_hash, now.0],
            )?;
            if n == 0 {
                return Err(StorageError::Conflict(format!(
                    "device {device_id} is already enrolled or revoked; use another device id"
                )));
            }
            Ok(())
        })
    }

    fn enroll(
        &self,
        code_hash: &str,
        device_id: &str,
        actor: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Enrollment> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let d: Option<Device> = tx
                .query_row(
                    "SELECT device_id, user_id, actor, revoked_at FROM devices WHERE code_hash = ?1 AND enrolled_at IS NULL",
                    [code_hash],
                    device_row,
                )
                .optional()?;
            let Some(d) = d else { return Ok(Enrollment::UnknownCode) };
            if d.device_id != device_id {
                return Ok(Enrollment::OtherDevice(d.device_id));
            }
            let taken: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM devices WHERE actor = ?1)", [actor], |r| r.get(0))?;
            if taken {
                return Ok(Enrollment::ActorTaken);
            }
            tx.execute(
                "UPDATE devices SET actor = ?2, token_hash = ?3, enrolled_at = ?4, code_hash = NULL WHERE device_id = ?1",
                params![device_id, actor, token_hash, now.0],
            )?;
            tx.commit()?;
            Ok(Enrollment::Enrolled(Device { actor: Some(actor.to_string()), ..d }))
        })
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT device_id, user_id, actor, revoked_at FROM devices WHERE token_hash = ?1",
                [token_hash],
                device_row,
            )
            .optional()?)
        })
    }

    fn revoke(&self, device_id: &str, now: Timestamp) -> Result<bool> {
        self.with(|c| {
            Ok(c.execute(
                "UPDATE devices SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
                params![device_id, now.0],
            )? > 0)
        })
    }

    fn devices(&self) -> Result<Vec<Device>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT device_id, user_id, actor, revoked_at FROM devices ORDER BY device_id")?;
            let rows = stmt.query_map([], device_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn document(&self, id: &str) -> Result<Option<StoredDoc>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached("SELECT kind, snapshot, heads FROM documents WHERE id = ?1")?;
            let row: Option<(String, Vec<u8>, String)> =
                stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
            row.map(|(kind, snapshot, heads)| {
                Ok(StoredDoc { kind: stored_kind(id, &kind)?, snapshot, heads: heads_of(id, &heads)? })
            })
            .transpose()
        })
    }

    fn store_accepted(&self, writes: &[AcceptedWrite<'_>], device_id: &str, now: Timestamp) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut current = tx.prepare_cached("SELECT heads FROM documents WHERE id = ?1")?;
                let mut doc = tx.prepare_cached(
                    "INSERT INTO documents(id, kind, enterprise, township, snapshot, heads) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(id) DO UPDATE SET enterprise = excluded.enterprise, township = excluded.township,
                         snapshot = excluded.snapshot, heads = excluded.heads",
                )?;
                let mut log = tx.prepare_cached(
                    "INSERT INTO change_log(doc_id, device_id, data, heads, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                let mut photo = tx.prepare_cached("INSERT OR IGNORE INTO photo_refs(sha256, doc_id) VALUES (?1, ?2)")?;
                let mut receipt = tx.prepare_cached(
                    "INSERT OR IGNORE INTO receipts(event_id, doc_id, device_id, device_time, received_at, skewed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for w in writes {
                    let stored: Option<String> = current.query_row([w.doc_id], |r| r.get(0)).optional()?;
                    let unchanged = match (&stored, &w.base_heads) {
                        (None, None) => true,
                        (Some(s), Some(base)) => same_heads(&heads_of(w.doc_id, s)?, base),
                        _ => false,
                    };
                    if !unchanged {
                        // Dropping the transaction rolls back the writes before this one.
                        return Err(moved(w.doc_id));
                    }
                    let heads = to_json(&w.heads)?;
                    doc.execute(params![w.doc_id, w.kind.as_str(), w.enterprise, w.township, w.snapshot, heads])?;
                    log.execute(params![w.doc_id, device_id, w.new_changes, heads, now.0])?;
                    for sha in &w.photos {
                        photo.execute(params![sha, w.doc_id])?;
                    }
                    for (id, at, skewed) in &w.receipts {
                        receipt.execute(params![id, w.doc_id, device_id, at, now.0, *skewed as i64])?;
                    }
                    put_summary(&tx, w.doc_id, &w.summary)?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn quarantine(&self, q: &NewQuarantine<'_>) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO quarantine(device_id, user_id, doc_id, kind, rule, message, data, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![q.device_id, q.user_id, q.doc_id, q.kind, q.rule, q.message, q.data, q.received_at.0],
            )?;
            Ok(())
        })
    }

    fn quarantined(&self) -> Result<Vec<Quarantined>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, device_id, user_id, doc_id, rule, message, LENGTH(data), received_at FROM quarantine ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Quarantined {
                    id: r.get(0)?,
                    device_id: r.get(1)?,
                    user_id: r.get(2)?,
                    doc_id: r.get(3)?,
                    rule: r.get(4)?,
                    message: r.get(5)?,
                    bytes: r.get(6)?,
                    received_at: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn changes_since(&self, person: &Person, device_id: &str, cursor: u64, limit: u32) -> Result<(Vec<LogEntry>, u64)> {
        let cursor = i64::try_from(cursor).unwrap_or(i64::MAX);
        self.with(|c| {
            let tx = c.transaction()?;
            let end: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM change_log", [], |r| r.get(0))?;
            let mut p: Vec<rusqlite::types::Value> =
                vec![cursor.into(), device_id.to_string().into(), i64::from(limit).into()];
            let scope = scope_condition(person, "d.", &mut p);
            let mut stmt = tx.prepare_cached(&changes_sql(&scope))?;
            let rows = stmt.query_map(params_from_iter(p.iter()), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut entries = vec![];
            for row in rows {
                let (seq, doc_id, kind, data, heads) = row?;
                let kind = stored_kind(&doc_id, &kind)?;
                let heads = heads_of(&doc_id, &heads)?;
                entries.push(LogEntry { seq: seq as u64, doc_id, kind, data, heads });
            }
            Ok((entries, end as u64))
        })
    }

    fn photo_in_scope(&self, sha256: &str, person: &Person) -> Result<bool> {
        self.with(|c| {
            let mut p: Vec<rusqlite::types::Value> = vec![sha256.to_string().into()];
            let scope = scope_condition(person, "d.", &mut p);
            let sql = format!(
                "SELECT EXISTS(SELECT 1 FROM photo_refs r JOIN documents d ON d.id = r.doc_id WHERE r.sha256 = ?1 AND ({scope}))"
            );
            Ok(c.query_row(&sql, params_from_iter(p.iter()), |r| r.get(0))?)
        })
    }

    fn receipts_for_docs(&self, doc_ids: &[String]) -> Result<Vec<(String, String, i64)>> {
        self.with(|c| {
            let mut out = vec![];
            // In chunks below SQLite's limit on bound parameters.
            for chunk in doc_ids.chunks(500) {
                let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "SELECT doc_id, event_id, received_at FROM receipts WHERE doc_id IN ({}) ORDER BY doc_id, event_id",
                    marks.join(", ")
                );
                let mut stmt = c.prepare(&sql)?;
                let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                for r in rows {
                    out.push(r?);
                }
            }
            out.sort();
            Ok(out)
        })
    }

    fn receipts_for(&self, doc_id: &str) -> Result<Vec<(String, i64)>> {
        self.with(|c| {
            let mut stmt =
                c.prepare_cached("SELECT event_id, received_at FROM receipts WHERE doc_id = ?1 ORDER BY event_id")?;
            let rows = stmt.query_map([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn photo_refs(&self) -> Result<Vec<(String, String)>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT doc_id, sha256 FROM photo_refs ORDER BY doc_id, sha256")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn skewed(&self) -> Result<Vec<(String, String, i64, i64)>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT event_id, device_id, device_time, received_at FROM receipts WHERE skewed = 1 ORDER BY received_at, event_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn enterprise_township(&self, credit_code: &str) -> Result<Option<String>> {
        self.with(|c| {
            Ok(c.query_row("SELECT township FROM enterprises WHERE credit_code = ?1", [credit_code], |r| r.get(0))
                .optional()?)
        })
    }

    fn summaries(&self, q: &SummaryQuery<'_>) -> Result<Vec<Summary>> {
        let mut p: Vec<rusqlite::types::Value> = vec![q.kind.as_str().to_string().into()];
        let mut conditions = vec!["kind = ?1".to_string()];
        if let Some(viewer) = q.viewer {
            conditions.push(format!("({})", scope_condition(viewer, "", &mut p)));
        }
        if let Some(t) = q.township {
            p.push(t.to_string().into());
            conditions.push(format!("township = ?{}", p.len()));
        }
        if let Some(e) = q.enterprise {
            p.push(e.to_string().into());
            conditions.push(format!("enterprise = ?{}", p.len()));
        }
        if !q.statuses.is_empty() {
            let marks: Vec<String> = q
                .statuses
                .iter()
                .map(|s| {
                    p.push(s.as_str().to_string().into());
                    format!("?{}", p.len())
                })
                .collect();
            conditions.push(format!("status IN ({})", marks.join(", ")));
        }
        if q.open_conflicts {
            conditions.push("open_conflicts > 0".into());
        }
        // A whole list is sorted here rather than by SQLite: sorting rows with
        // their JSON moves megabytes through a temporary b-tree (10,000
        // summaries: most of the query's time); only a limited list needs
        // the order in SQL.
        let ordered = q.limit.is_some();
        let mut sql = format!("SELECT doc_id, sort_key, summary FROM summaries WHERE {}", conditions.join(" AND "));
        if let Some(limit) = q.limit {
            p.push(i64::from(limit).into());
            sql.push_str(&format!(" ORDER BY sort_key, doc_id LIMIT ?{}", p.len()));
        }
        let mut rows: Vec<(String, i64, String)> = self.with(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(p.iter()), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        if !ordered {
            rows.sort_unstable_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        }
        // Parsed after the connection is released: other requests need not
        // wait for the JSON of a long list.
        rows.iter()
            .map(|(id, _, json)| {
                serde_json::from_str(json).map_err(|e| StorageError::Corrupt(format!("summary of {id}: {e}")))
            })
            .collect()
    }

    fn template(&self, id: &str, version: u32) -> Result<Option<Template>> {
        self.with(|c| template_in(c, id, version))
    }

    fn put_template(&self, t: &Template) -> Result<bool> {
        t.validate().map_err(StorageError::Invalid)?;
        let json = to_json(t)?;
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(old) = template_in(&tx, &t.id, t.version)? {
                if &old != t {
                    return Err(template_conflict(t));
                }
                return Ok(false);
            }
            tx.execute("INSERT INTO templates(id, version, json) VALUES (?1, ?2, ?3)", params![t.id, t.version, json])?;
            bump_reference(&tx)?;
            tx.commit()?;
            Ok(true)
        })
    }

    // --- web console accounts and sessions ---

    fn set_console_password(&self, person_id: &str, phc: &str, now: Timestamp) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            let known: Option<i64> =
                tx.query_row("SELECT 1 FROM people WHERE id = ?1", [person_id], |r| r.get(0)).optional()?;
            if known.is_none() {
                return Err(StorageError::Invalid(format!("person {person_id} is not in the registry")));
            }
            tx.execute(
                "INSERT INTO console_passwords(person_id, phc, set_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(person_id) DO UPDATE SET phc = excluded.phc, set_at = excluded.set_at",
                params![person_id, phc, now.0],
            )?;
            tx.execute("DELETE FROM console_sessions WHERE person_id = ?1", [person_id])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn console_password(&self, person_id: &str) -> Result<Option<String>> {
        self.with(|c| {
            Ok(c.query_row("SELECT phc FROM console_passwords WHERE person_id = ?1", [person_id], |r| r.get(0))
                .optional()?)
        })
    }

    fn login_failures(&self, login: &str) -> Result<Option<LoginFailures>> {
        self.with(|c| {
            let row: Option<(i64, i64)> = c
                .query_row("SELECT failures, last_at FROM console_login_failures WHERE login = ?1", [login], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            row.map(|(n, at)| failures_of(login, n, at)).transpose()
        })
    }

    fn record_login_failure(&self, login: &str, now: Timestamp, forget_before: Timestamp) -> Result<LoginFailures> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM console_login_failures WHERE last_at < ?1", [forget_before.0])?;
            let (n, at): (i64, i64) = tx.query_row(
                "INSERT INTO console_login_failures(login, failures, last_at) VALUES (?1, 1, ?2)
                 ON CONFLICT(login) DO UPDATE SET failures = failures + 1, last_at = excluded.last_at
                 RETURNING failures, last_at",
                params![login, now.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            tx.commit()?;
            failures_of(login, n, at)
        })
    }

    fn clear_login_failures(&self, login: &str) -> Result<()> {
        self.with(|c| {
            c.execute("DELETE FROM console_login_failures WHERE login = ?1", [login])?;
            Ok(())
        })
    }

    fn create_console_session(&self, s: &ConsoleSession) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO console_sessions(id_hash, person_id, created_at, expires_at, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.id_hash, s.person_id, s.created_at.0, s.expires_at.0, s.last_seen.0],
            )?;
            Ok(())
        })
    }

    fn console_session(&self, id_hash: &str) -> Result<Option<ConsoleSession>> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT id_hash, person_id, created_at, expires_at, last_seen FROM console_sessions WHERE id_hash = ?1",
                [id_hash],
                |r| {
                    Ok(ConsoleSession {
                        id_hash: r.get(0)?,
                        person_id: r.get(1)?,
                        created_at: Timestamp(r.get(2)?),
                        expires_at: Timestamp(r.get(3)?),
                        last_seen: Timestamp(r.get(4)?),
                    })
                },
            )
            .optional()?)
        })
    }

    fn touch_console_session(&self, id_hash: &str, now: Timestamp) -> Result<bool> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE console_sessions SET last_seen = MAX(last_seen, ?2) WHERE id_hash = ?1",
                params![id_hash, now.0],
            )?;
            Ok(n > 0)
        })
    }

    fn delete_console_session(&self, id_hash: &str) -> Result<bool> {
        self.with(|c| Ok(c.execute("DELETE FROM console_sessions WHERE id_hash = ?1", [id_hash])? > 0))
    }

    fn delete_stale_console_sessions(&self, now: Timestamp, idle_before: Timestamp) -> Result<u64> {
        self.with(|c| {
            let n = c.execute(
                "DELETE FROM console_sessions WHERE expires_at <= ?1 OR last_seen < ?2",
                params![now.0, idle_before.0],
            )?;
            Ok(n as u64)
        })
    }

    fn web_device(&self, device_id: &str, person_id: &str, actor: &str, now: Timestamp) -> Result<Device> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let known: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM people WHERE id = ?1)", [person_id], |r| r.get(0))?;
            if !known {
                return Err(StorageError::Invalid(format!("'{person_id}' is not a person of the registry")));
            }
            tx.execute(
                "INSERT INTO devices(device_id, user_id, actor, created_at, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT(device_id) DO NOTHING",
                params![device_id, person_id, actor, now.0],
            )?;
            let d = tx.query_row(
                "SELECT device_id, user_id, actor, revoked_at FROM devices WHERE device_id = ?1",
                [device_id],
                device_row,
            )?;
            tx.commit()?;
            web_device_of(device_id, person_id, d)
        })
    }

    fn insert_notice(&self, n: &Notice) -> Result<bool> {
        let summary = to_json(&n.summary)?;
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let added = tx.execute(
                "INSERT INTO notices(key, hazard_id, kind, township, summary, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(key) DO NOTHING",
                params![n.key, n.hazard_id, n.kind, n.township, summary, n.created_at.0],
            )?;
            if added == 0 {
                return Ok(false);
            }
            for d in &n.deliveries {
                tx.execute(
                    "INSERT INTO notice_deliveries(notice_key, outlet, attempts, last_error, last_attempt_at, next_attempt_at, delivered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        n.key,
                        d.outlet,
                        d.attempts,
                        d.last_error,
                        d.last_attempt_at.map(|t| t.0),
                        d.next_attempt_at.0,
                        d.delivered_at.map(|t| t.0)
                    ],
                )?;
            }
            tx.commit()?;
            Ok(true)
        })
    }

    fn notices(&self, township: Option<&str>, limit: usize) -> Result<Vec<Notice>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|c| {
            let keys: Vec<String> = c
                .prepare(
                    "SELECT key FROM notices WHERE (?1 IS NULL OR township = ?1)
                     ORDER BY created_at DESC, key LIMIT ?2",
                )?
                .query_map(params![township, limit], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            notices_by_key(c, &keys)
        })
    }

    fn due_notice_deliveries(&self, now: Timestamp, limit: usize) -> Result<Vec<Notice>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|c| {
            let keys: Vec<String> = c
                .prepare(
                    "SELECT n.key FROM notices n WHERE EXISTS (SELECT 1 FROM notice_deliveries d
                         WHERE d.notice_key = n.key AND d.delivered_at IS NULL AND d.next_attempt_at <= ?1)
                     ORDER BY n.created_at, n.key LIMIT ?2",
                )?
                .query_map(params![now.0, limit], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            notices_by_key(c, &keys)
        })
    }

    fn claim_notice_delivery(&self, key: &str, outlet: &str, now: Timestamp, lease_until: Timestamp) -> Result<bool> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE notice_deliveries SET next_attempt_at = ?4
                 WHERE notice_key = ?1 AND outlet = ?2 AND delivered_at IS NULL AND next_attempt_at <= ?3",
                params![key, outlet, now.0, lease_until.0],
            )?;
            Ok(n > 0)
        })
    }

    fn finish_notice_delivery(
        &self,
        key: &str,
        outlet: &str,
        now: Timestamp,
        outcome: std::result::Result<(), String>,
        retry_at: Timestamp,
    ) -> Result<()> {
        self.with(|c| {
            let n = match outcome {
                Ok(()) => c.execute(
                    "UPDATE notice_deliveries SET attempts = attempts + 1, last_attempt_at = ?3, delivered_at = ?3
                     WHERE notice_key = ?1 AND outlet = ?2",
                    params![key, outlet, now.0],
                )?,
                Err(e) => c.execute(
                    "UPDATE notice_deliveries SET attempts = attempts + 1, last_attempt_at = ?3, last_error = ?4,
                         next_attempt_at = ?5
                     WHERE notice_key = ?1 AND outlet = ?2 AND delivered_at IS NULL",
                    params![key, outlet, now.0, e, retry_at.0],
                )?,
            };
            if n == 0 {
                return Err(StorageError::Invalid(format!("no pending delivery of notice '{key}' to '{outlet}'")));
            }
            Ok(())
        })
    }

    fn insert_plan(&self, plan: &StoredPlan) -> Result<()> {
        let r = PlanRow::of(plan)?;
        self.with(|c| {
            let n = c.execute(
                "INSERT INTO plans(id, title, seed, inputs, plan, inputs_sha256, plan_sha256, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO NOTHING",
                params![
                    r.id,
                    r.title,
                    r.seed,
                    r.inputs,
                    r.plan,
                    r.inputs_sha256,
                    r.plan_sha256,
                    r.created_by,
                    r.created_at
                ],
            )?;
            if n == 0 {
                return Err(plan_exists(&r.id));
            }
            Ok(())
        })
    }

    fn plan(&self, id: &str) -> Result<Option<StoredPlan>> {
        let row =
            self.with(|c| Ok(c.query_row(&format!("{PLAN_COLUMNS} WHERE id = ?1"), [id], plan_row).optional()?))?;
        row.map(PlanRow::into_stored).transpose()
    }

    fn plans(&self) -> Result<Vec<StoredPlan>> {
        let rows = self.with(|c| {
            let mut stmt = c.prepare(&format!("{PLAN_COLUMNS} ORDER BY created_at DESC, id"))?;
            let rows = stmt.query_map([], plan_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        rows.into_iter().map(PlanRow::into_stored).collect()
    }
}

const PLAN_COLUMNS: &str =
    "SELECT id, title, seed, inputs, plan, inputs_sha256, plan_sha256, created_by, created_at FROM plans";

fn plan_row(r: &rusqlite::Row) -> rusqlite::Result<PlanRow> {
    Ok(PlanRow {
        id: r.get(0)?,
        title: r.get(1)?,
        seed: r.get(2)?,
        inputs: r.get(3)?,
        plan: r.get(4)?,
        inputs_sha256: r.get(5)?,
        plan_sha256: r.get(6)?,
        created_by: r.get(7)?,
        created_at: r.get(8)?,
    })
}

/// The notices of `keys`, in that order, with their deliveries.
fn notices_by_key(c: &Connection, keys: &[String]) -> Result<Vec<Notice>> {
    let mut out = Vec::with_capacity(keys.len());
    let mut notice =
        c.prepare("SELECT key, hazard_id, kind, township, summary, created_at FROM notices WHERE key = ?1")?;
    let mut deliveries = c.prepare(
        "SELECT outlet, attempts, last_error, last_attempt_at, next_attempt_at, delivered_at
         FROM notice_deliveries WHERE notice_key = ?1 ORDER BY outlet",
    )?;
    for key in keys {
        let (key, hazard_id, kind, township, summary, created_at): (String, String, String, String, String, i64) =
            notice.query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
        let deliveries = deliveries
            .query_map([&key], |r| {
                Ok(NoticeDelivery {
                    outlet: r.get(0)?,
                    attempts: r.get(1)?,
                    last_error: r.get(2)?,
                    last_attempt_at: r.get::<_, Option<i64>>(3)?.map(Timestamp),
                    next_attempt_at: Timestamp(r.get(4)?),
                    delivered_at: r.get::<_, Option<i64>>(5)?.map(Timestamp),
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        out.push(Notice {
            summary: from_json("notice summary", &summary)?,
            key,
            hazard_id,
            kind,
            township,
            created_at: Timestamp(created_at),
            deliveries,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(c: &Connection) -> Vec<(String, String)> {
        let mut stmt = c
            .prepare("SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn a_version_1_database_upgrades_to_the_current_schema_and_a_newer_one_is_refused() {
        let old = tempfile::tempdir().unwrap();
        {
            let c = Connection::open(old.path().join("server.db")).unwrap();
            c.execute_batch(MIGRATIONS[0]).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            c.execute("INSERT INTO meta(key, value) VALUES ('reference_version', '7')", []).unwrap();
        }
        let upgraded = SqliteStorage::open(old.path()).unwrap();
        assert_eq!(upgraded.reference_version().unwrap(), 7);
        let fresh = tempfile::tempdir().unwrap();
        let _ = SqliteStorage::open(fresh.path()).unwrap();
        let a = Connection::open(old.path().join("server.db")).unwrap();
        let b = Connection::open(fresh.path().join("server.db")).unwrap();
        assert_eq!(schema(&a), schema(&b));
        a.pragma_update(None, "user_version", 9).unwrap();
        drop(a);
        drop(upgraded);
        let err = SqliteStorage::open(old.path()).err().unwrap();
        assert!(err.to_string().contains("newer than this server"), "{err}");
    }

    #[test]
    fn a_sync_reads_the_change_log_from_its_cursor_whatever_the_scope() {
        let dir = tempfile::tempdir().unwrap();
        let _ = SqliteStorage::open(dir.path()).unwrap();
        let c = Connection::open(dir.path().join("server.db")).unwrap();
        let wang = paicha_core::demo::person_by_id("insp-wang").unwrap();
        let mut p = vec![];
        let scope = scope_condition(&wang, "d.", &mut vec![0.into(), "".to_string().into(), 0.into()]);
        p.push(scope);
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {}", changes_sql(&p[0]))).unwrap();
        let plan: Vec<String> = stmt
            .query_map(
                [0i64.into(), "x".to_string().into(), 10i64.into(), rusqlite::types::Value::from("玉山镇".to_string())],
                |r| r.get(3),
            )
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert!(plan[0].contains("SEARCH c USING INTEGER PRIMARY KEY"), "{plan:?}");
        assert!(!plan.iter().any(|l| l.contains("TEMP B-TREE")), "{plan:?}");
    }

    #[test]
    fn the_migration_files_build_the_schema_the_server_has_always_had() {
        // The schema as the server wrote it before the migrations were
        // files (v4): the names, and that every statement is kept verbatim.
        let dir = tempfile::tempdir().unwrap();
        let _ = SqliteStorage::open(dir.path()).unwrap();
        let c = Connection::open(dir.path().join("server.db")).unwrap();
        let names: Vec<String> = schema(&c).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "change_log",
                "change_log_doc",
                "console_login_failures",
                "console_passwords",
                "console_sessions",
                "console_sessions_person",
                "devices",
                "documents",
                "documents_enterprise",
                "documents_township",
                "enterprises",
                "meta",
                "notice_deliveries",
                "notice_deliveries_pending",
                "notices",
                "notices_township",
                "people",
                "photo_refs",
                "photo_refs_doc",
                "plans",
                "plans_kept",
                "plans_unchangeable",
                "policy",
                "quarantine",
                "receipts",
                "receipts_doc",
                "summaries",
                "summaries_conflicts",
                "summaries_enterprise",
                "summaries_status",
                "summaries_township",
                "templates"
            ]
        );
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        for (name, sql) in schema(&c) {
            assert!(!sql.contains("--"), "{name}: a comment of a migration file leaked into the schema: {sql}");
        }
    }
}
