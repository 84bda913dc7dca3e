//! Server storage behind a small trait, so a database server can be added
//! later without touching the protocol. [`SqliteStorage`] is the embedded
//! default: one file in the data directory, WAL, `synchronous = FULL`.

use crate::error::ServerError;
use paicha_core::enterprise::Enterprise;
use paicha_core::people::{Person, Role};
use paicha_core::policy::Policy;
use paicha_core::sync::wire::ReferenceData;
use paicha_core::time::Timestamp;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;

type Result<T> = std::result::Result<T, ServerError>;

/// An enrolled (or enrollable) device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// Device id.
    pub device_id: String,
    /// Its user.
    pub user_id: String,
    /// The Automerge actor id bound at enrollment (hex), once enrolled.
    pub actor: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

/// A document as the server stores it.
pub struct StoredDoc {
    /// `hazard` or `inspection`.
    pub kind: String,
    /// The whole document.
    pub snapshot: Vec<u8>,
}

/// What to write when an upload is accepted.
pub struct AcceptedWrite<'a> {
    /// Record id.
    pub doc_id: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Enterprise (scope).
    pub enterprise: &'a str,
    /// Township (scope).
    pub township: &'a str,
    /// The whole document after the upload.
    pub snapshot: Vec<u8>,
    /// Only the changes new to the server (the change-log entry).
    pub new_changes: Vec<u8>,
    /// Heads after the upload.
    pub heads: Vec<String>,
    /// New events: (event id, device time, clock skewed).
    pub receipts: Vec<(String, i64, bool)>,
    /// Photos the record refers to.
    pub photos: Vec<String>,
}

/// A refused upload kept for a district admin (never deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    /// Id.
    pub id: i64,
    /// Device.
    pub device_id: String,
    /// User.
    pub user_id: String,
    /// Record.
    pub doc_id: String,
    /// Rule or check.
    pub rule: String,
    /// Why.
    pub message: String,
    /// Size of the refused changes.
    pub bytes: i64,
    /// When.
    pub received_at: i64,
}

/// One change-log entry for a download.
pub struct LogEntry {
    /// Position in the log.
    pub seq: u64,
    /// Record.
    pub doc_id: String,
    /// Kind.
    pub kind: String,
    /// Changes.
    pub data: Vec<u8>,
    /// Heads of the document after this entry.
    pub heads: Vec<String>,
}

/// What the sync protocol needs from storage.
pub trait Storage: Send + Sync + 'static {
    /// A person from the registry.
    fn person(&self, id: &str) -> Result<Option<Person>>;
    /// Adds or replaces a person.
    fn put_person(&self, p: &Person) -> Result<()>;
    /// Adds or replaces enterprises.
    fn put_enterprises(&self, list: &[Enterprise]) -> Result<()>;
    /// The district's policy.
    fn policy(&self) -> Result<Policy>;
    /// Replaces the policy.
    fn set_policy(&self, p: &Policy) -> Result<()>;
    /// Reference data for `person`'s scope.
    fn reference_for(&self, person: &Person) -> Result<ReferenceData>;
    /// Current reference data version.
    fn reference_version(&self) -> Result<u64>;
    /// Registers a device for a user with a hashed one-time enrollment code.
    fn add_device(&self, device_id: &str, user_id: &str, code_hash: &str, now: Timestamp) -> Result<()>;
    /// Uses an enrollment code: binds the actor and stores the token hash.
    fn enroll(&self, code_hash: &str, device_id: &str, actor: &str, token_hash: &str, now: Timestamp)
        -> Result<Device>;
    /// The device holding a token.
    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>>;
    /// Revokes a device.
    fn revoke(&self, device_id: &str, now: Timestamp) -> Result<bool>;
    /// All devices.
    fn devices(&self) -> Result<Vec<Device>>;
    /// A stored document.
    fn document(&self, id: &str) -> Result<Option<StoredDoc>>;
    /// When an inspection ended (None: not known here; Some(None): still going on).
    fn inspection(&self, id: &str) -> Result<Option<paicha_core::inspection::Inspection>>;
    /// Stores the accepted uploads of one request durably, in one transaction.
    fn store_accepted(&self, writes: &[AcceptedWrite<'_>], device_id: &str, now: Timestamp) -> Result<()>;
    /// Keeps a refused upload.
    #[allow(clippy::too_many_arguments)]
    fn quarantine(
        &self,
        device_id: &str,
        user_id: &str,
        doc_id: &str,
        kind: &str,
        rule: &str,
        message: &str,
        data: &[u8],
        now: Timestamp,
    ) -> Result<()>;
    /// Everything in quarantine.
    fn quarantined(&self) -> Result<Vec<Quarantined>>;
    /// Change-log entries after `cursor` in `person`'s scope, not made by
    /// `device_id`, at most `limit`; and the log's end.
    fn changes_since(&self, person: &Person, device_id: &str, cursor: u64, limit: u32) -> Result<(Vec<LogEntry>, u64)>;
    /// Events flagged for clock skew (R10): (event id, device, device time, received).
    fn skewed(&self) -> Result<Vec<(String, String, i64, i64)>>;
    /// Whether a record in `person`'s scope refers to the photo.
    fn photo_in_scope(&self, sha256: &str, person: &Person) -> Result<bool>;
    /// Every (record, photo) reference, for finding photos that have not arrived.
    fn photo_refs(&self) -> Result<Vec<(String, String)>>;
    /// Receipt times of a document's events: (event id, ms).
    fn receipts_for(&self, doc_id: &str) -> Result<Vec<(String, i64)>>;
    /// Every stored document of a kind: (id, bytes).
    fn documents_of_kind(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>>;
    /// The township an enterprise of the registry is in.
    fn enterprise_township(&self, credit_code: &str) -> Result<Option<String>>;
    /// A published template version (R3).
    fn template(&self, id: &str, version: u32) -> Result<Option<paicha_core::template::Template>>;
    /// Publishes a template version; the same version with other content is refused (R3).
    fn put_template(&self, t: &paicha_core::template::Template) -> Result<bool>;
}

const SCHEMA_V2: &str = r#"
CREATE TABLE photo_refs (
    sha256 TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    PRIMARY KEY (sha256, doc_id)
);
CREATE INDEX photo_refs_doc ON photo_refs(doc_id);
"#;

const SCHEMA_V3: &str = r#"
CREATE INDEX receipts_doc ON receipts(doc_id);
"#;

/// Step 4: published checklist template versions, against which uploaded
/// inspections are checked (R3); seeded with the bundled library.
const SCHEMA_V4: &str = r#"
CREATE TABLE templates (
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    json    TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
"#;

/// Newest schema version this server writes.
pub const SCHEMA_VERSION: i64 = 4;

const SCHEMA: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE people (id TEXT PRIMARY KEY, role TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE enterprises (credit_code TEXT PRIMARY KEY, township TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE policy (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
CREATE TABLE devices (
    device_id   TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES people(id),
    actor       TEXT UNIQUE,
    code_hash   TEXT,
    token_hash  TEXT UNIQUE,
    created_at  INTEGER NOT NULL,
    enrolled_at INTEGER,
    revoked_at  INTEGER
);
CREATE TABLE documents (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    township   TEXT NOT NULL,
    snapshot   BLOB NOT NULL,
    heads      TEXT NOT NULL
);
CREATE INDEX documents_township ON documents(township);
CREATE INDEX documents_enterprise ON documents(enterprise);
CREATE TABLE change_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id      TEXT NOT NULL REFERENCES documents(id),
    device_id   TEXT NOT NULL,
    data        BLOB NOT NULL,
    heads       TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX change_log_doc ON change_log(doc_id);
CREATE TABLE receipts (
    event_id    TEXT PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    device_time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    skewed      INTEGER NOT NULL
);
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rule        TEXT NOT NULL,
    message     TEXT NOT NULL,
    data        BLOB NOT NULL,
    received_at INTEGER NOT NULL
);
"#;

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

fn json_err(e: serde_json::Error) -> ServerError {
    ServerError::Internal(e.to_string())
}

impl SqliteStorage {
    /// Opens (creating if needed) `server.db` in `dir`.
    pub fn open(dir: &Path) -> Result<SqliteStorage> {
        std::fs::create_dir_all(dir).map_err(|e| ServerError::Internal(format!("{}: {e}", dir.display())))?;
        let mut conn = Connection::open(dir.join("server.db"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(ServerError::Internal(format!(
                "server.db has schema version {version}, newer than this server ({SCHEMA_VERSION})"
            )));
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if version < 1 {
            tx.execute_batch(SCHEMA)?;
            tx.execute(
                "INSERT INTO policy(id, json) VALUES (1, ?1)",
                [serde_json::to_string(&Policy::default()).map_err(json_err)?],
            )?;
            tx.execute("INSERT INTO meta(key, value) VALUES ('reference_version', '1')", [])?;
        }
        if version < 2 {
            tx.execute_batch(SCHEMA_V2)?;
        }
        if version < 3 {
            tx.execute_batch(SCHEMA_V3)?;
        }
        if version < 4 {
            tx.execute_batch(SCHEMA_V4)?;
            for (file, text) in paicha_core::template::bundled() {
                let t: paicha_core::template::Template = serde_json::from_str(text)
                    .map_err(|e| ServerError::Internal(format!("bundled template {file}: {e}")))?;
                tx.execute(
                    "INSERT OR IGNORE INTO templates(id, version, json) VALUES (?1, ?2, ?3)",
                    params![t.id, t.version, text],
                )?;
            }
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(SqliteStorage { conn: Mutex::new(conn) })
    }

    fn template_in(&self, c: &Connection, id: &str, version: u32) -> Result<Option<paicha_core::template::Template>> {
        let j: Option<String> = c
            .query_row("SELECT json FROM templates WHERE id = ?1 AND version = ?2", params![id, version], |r| r.get(0))
            .optional()?;
        j.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| ServerError::Internal(format!("stored template {id} v{version} is unreadable: {e}")))
        })
        .transpose()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut c = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut c)
    }
}

fn bump_reference(c: &Connection) -> Result<()> {
    c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'reference_version'", [])?;
    Ok(())
}

fn device_row(r: &rusqlite::Row) -> rusqlite::Result<Device> {
    Ok(Device { device_id: r.get(0)?, user_id: r.get(1)?, actor: r.get(2)?, revoked_at: r.get(3)? })
}

impl Storage for SqliteStorage {
    fn person(&self, id: &str) -> Result<Option<Person>> {
        self.with(|c| {
            let j: Option<String> =
                c.query_row("SELECT json FROM people WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            j.map(|j| serde_json::from_str(&j).map_err(json_err)).transpose()
        })
    }

    fn put_person(&self, p: &Person) -> Result<()> {
        let json = serde_json::to_string(p).map_err(json_err)?;
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO people(id, role, json) VALUES (?1, ?2, ?3)",
                params![p.id, p.role.as_str(), json],
            )?;
            bump_reference(c)
        })
    }

    fn put_enterprises(&self, list: &[Enterprise]) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for e in list {
                let json = serde_json::to_string(e).map_err(json_err)?;
                tx.execute(
                    "INSERT OR REPLACE INTO enterprises(credit_code, township, json) VALUES (?1, ?2, ?3)",
                    params![e.credit_code, e.township, json],
                )?;
            }
            bump_reference(&tx)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn policy(&self) -> Result<Policy> {
        self.with(|c| {
            let j: String = c.query_row("SELECT json FROM policy WHERE id = 1", [], |r| r.get(0))?;
            serde_json::from_str(&j).map_err(json_err)
        })
    }

    fn set_policy(&self, p: &Policy) -> Result<()> {
        let json = serde_json::to_string(p).map_err(json_err)?;
        self.with(|c| {
            c.execute("INSERT OR REPLACE INTO policy(id, json) VALUES (1, ?1)", [json])?;
            bump_reference(c)
        })
    }

    fn reference_version(&self) -> Result<u64> {
        self.with(|c| {
            let v: String = c.query_row("SELECT value FROM meta WHERE key = 'reference_version'", [], |r| r.get(0))?;
            v.parse().map_err(|_| ServerError::Internal(format!("meta.reference_version holds '{v}', not a number")))
        })
    }

    fn reference_for(&self, person: &Person) -> Result<ReferenceData> {
        let version = self.reference_version()?;
        let policy = self.policy()?;
        self.with(|c| {
            let mut people = vec![];
            let mut stmt = c.prepare("SELECT json FROM people ORDER BY id")?;
            for j in stmt.query_map([], |r| r.get::<_, String>(0))? {
                let p: Person = serde_json::from_str(&j?).map_err(json_err)?;
                // An enterprise user sees itself and the officials of its township, not other enterprises' people.
                let visible = match person.role {
                    Role::Enterprise => p.id == person.id || (p.role != Role::Enterprise),
                    _ => true,
                };
                if visible {
                    people.push(p);
                }
            }
            let mut enterprises = vec![];
            let mut stmt = c.prepare("SELECT json FROM enterprises ORDER BY credit_code")?;
            for j in stmt.query_map([], |r| r.get::<_, String>(0))? {
                let e: Enterprise = serde_json::from_str(&j?).map_err(json_err)?;
                if person.in_scope(&e.credit_code, &e.township) {
                    enterprises.push(e);
                }
            }
            Ok(ReferenceData { version, people, enterprises, policy })
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
                return Err(ServerError::Conflict(format!(
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
    ) -> Result<Device> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let d: Option<Device> = tx
                .query_row(
                    "SELECT device_id, user_id, actor, revoked_at FROM devices WHERE code_hash = ?1 AND enrolled_at IS NULL",
                    [code_hash],
                    device_row,
                )
                .optional()?;
            let Some(d) = d else {
                return Err(ServerError::Unauthorized("the enrollment code is unknown or was already used".into()));
            };
            if d.device_id != device_id {
                return Err(ServerError::Unauthorized(format!("this enrollment code is for device {}, not {device_id}", d.device_id)));
            }
            let taken: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM devices WHERE actor = ?1)", [actor], |r| r.get(0))?;
            if taken {
                return Err(ServerError::Conflict("this actor id is already bound to another device".into()));
            }
            tx.execute(
                "UPDATE devices SET actor = ?2, token_hash = ?3, enrolled_at = ?4, code_hash = NULL WHERE device_id = ?1",
                params![device_id, actor, token_hash, now.0],
            )?;
            tx.commit()?;
            Ok(Device { actor: Some(actor.to_string()), ..d })
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
            let mut stmt = c.prepare_cached("SELECT kind, snapshot FROM documents WHERE id = ?1")?;
            Ok(stmt.query_row([id], |r| Ok(StoredDoc { kind: r.get(0)?, snapshot: r.get(1)? })).optional()?)
        })
    }

    fn inspection(&self, id: &str) -> Result<Option<paicha_core::inspection::Inspection>> {
        let Some(d) = self.document(id)? else { return Ok(None) };
        if d.kind != paicha_core::kinds::DocKind::Inspection.as_str() {
            return Ok(None);
        }
        let mut doc = paicha_core::doc::RecordDoc::empty(id, &[0; 16]);
        doc.apply(&d.snapshot).map_err(|e| ServerError::Internal(format!("stored inspection {id}: {e}")))?;
        let insp = doc.inspection().map_err(|e| ServerError::Internal(format!("stored inspection {id}: {e}")))?;
        Ok(Some(insp))
    }

    fn store_accepted(&self, writes: &[AcceptedWrite<'_>], device_id: &str, now: Timestamp) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
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
                    let heads = serde_json::to_string(&w.heads).map_err(json_err)?;
                    doc.execute(params![w.doc_id, w.kind, w.enterprise, w.township, w.snapshot, heads])?;
                    log.execute(params![w.doc_id, device_id, w.new_changes, heads, now.0])?;
                    for sha in &w.photos {
                        photo.execute(params![sha, w.doc_id])?;
                    }
                    for (id, at, skewed) in &w.receipts {
                        receipt.execute(params![id, w.doc_id, device_id, at, now.0, *skewed as i64])?;
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn quarantine(
        &self,
        device_id: &str,
        user_id: &str,
        doc_id: &str,
        kind: &str,
        rule: &str,
        message: &str,
        data: &[u8],
        now: Timestamp,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO quarantine(device_id, user_id, doc_id, kind, rule, message, data, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![device_id, user_id, doc_id, kind, rule, message, data, now.0],
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
        self.with(|c| {
            let tx = c.transaction()?;
            let end: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM change_log", [], |r| r.get(0))?;
            let mut p: Vec<rusqlite::types::Value> =
                vec![(cursor as i64).into(), device_id.to_string().into(), i64::from(limit).into()];
            let scope = scope_condition(person, "d.", &mut p);
            let sql = format!(
                "SELECT c.seq, c.doc_id, d.kind, c.data, c.heads FROM change_log c JOIN documents d ON d.id = c.doc_id
                 WHERE c.seq > ?1 AND c.device_id != ?2 AND ({scope}) ORDER BY c.seq LIMIT ?3"
            );
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(p.iter()), |r| {
                let heads: String = r.get(4)?;
                Ok(LogEntry {
                    seq: r.get::<_, i64>(0)? as u64,
                    doc_id: r.get(1)?,
                    kind: r.get(2)?,
                    data: r.get(3)?,
                    heads: serde_json::from_str(&heads).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
                    })?,
                })
            })?;
            let entries: Vec<LogEntry> = rows.collect::<rusqlite::Result<_>>()?;
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

    fn receipts_for(&self, doc_id: &str) -> Result<Vec<(String, i64)>> {
        self.with(|c| {
            let mut stmt =
                c.prepare_cached("SELECT event_id, received_at FROM receipts WHERE doc_id = ?1 ORDER BY event_id")?;
            let rows = stmt.query_map([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn documents_of_kind(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT id, snapshot FROM documents WHERE kind = ?1 ORDER BY id")?;
            let rows = stmt.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
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
            let mut stmt = c.prepare("SELECT event_id, device_id, device_time, received_at FROM receipts WHERE skewed = 1 ORDER BY received_at")?;
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

    fn template(&self, id: &str, version: u32) -> Result<Option<paicha_core::template::Template>> {
        self.with(|c| {
            let j: Option<String> = c
                .query_row("SELECT json FROM templates WHERE id = ?1 AND version = ?2", params![id, version], |r| {
                    r.get(0)
                })
                .optional()?;
            j.map(|j| {
                serde_json::from_str(&j)
                    .map_err(|e| ServerError::Internal(format!("stored template {id} v{version} is unreadable: {e}")))
            })
            .transpose()
        })
    }

    fn put_template(&self, t: &paicha_core::template::Template) -> Result<bool> {
        t.validate().map_err(ServerError::BadRequest)?;
        let json = serde_json::to_string(t).map_err(json_err)?;
        self.with(|c| {
            if let Some(old) = self.template_in(c, &t.id, t.version)? {
                if &old != t {
                    return Err(ServerError::Conflict(format!(
                        "template {} v{} is published with other content; publish a new version (R3)",
                        t.id, t.version
                    )));
                }
                return Ok(false);
            }
            c.execute("INSERT INTO templates(id, version, json) VALUES (?1, ?2, ?3)", params![t.id, t.version, json])?;
            bump_reference(c)?;
            Ok(true)
        })
    }
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
            c.execute_batch(SCHEMA).unwrap();
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
}
