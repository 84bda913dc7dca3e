//! # paicha-store
//!
//! The offline store a tablet keeps its work in, and its sync client. The
//! store is one directory holding
//! `paicha.db` (SQLite) and `photos/` (content-addressed JPEGs).
//!
//! - A store can be encrypted at rest with a key the app supplies
//!   ([`Store::create_encrypted`], [`StoreKey`]): the database is SQLCipher,
//!   photos are sealed, and only such a store can be enrolled, so a device
//!   token is never on disk in plain text ([`encryption`]).
//! - Every record is an Automerge document ([`paicha_core::doc`]) kept as a
//!   snapshot plus incremental changes, compacted in the same transaction
//!   once enough changes pile up.
//! - Projection tables (status, level, deadline, township...) are written in
//!   the same transaction as the document bytes, so lists, queues and
//!   statistics never load a document.
//! - Every user action is one `BEGIN IMMEDIATE` transaction with
//!   `synchronous = FULL` in WAL mode: once a call returns, the action
//!   survives a crash or the app being killed.
//! - One writer connection and one reader connection, each behind a mutex:
//!   the store is `Send + Sync` and can be called from background threads;
//!   reads are not blocked by a write in progress (WAL).
//! - A corrupt database is moved aside, never deleted (docs/adr/0004).
//!
//! Every method touches the disk: call it off the UI thread.
//!
//! Every rule is decided by `paicha_core` (the same functions the sync
//! server runs); this crate only stores, projects and moves bytes.

pub mod client;
mod docs;
mod documents;
mod due;
pub mod encryption;
pub mod error;
mod hazards;
mod inspections;
mod photos;
mod printing;
mod reference;
pub mod schema;
mod sync;
pub mod trust;

pub use documents::SignatureInput;
pub use encryption::StoreKey;
pub use error::{Error, Result};
pub use hazards::{HazardFilter, HazardRow, NewHazard};
pub use inspections::{CompletionReport, InspectionRow, ItemRow, NewAnswer, NewInspection};
pub use photos::PhotoProblem;
pub use reference::TemplateSummary;
pub use sync::{Applied, RefusedEdit, ServerLink};

use paicha_core::people::{Actor, Person};
use paicha_core::time::Timestamp;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// File name of the database inside a store directory.
pub const DB_FILE: &str = "paicha.db";

/// The device a store belongs to. Its Automerge actor id signs every change
/// made here, so the server can bind changes to an enrolled device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    /// Device id (for example the tablet's asset number).
    pub device_id: String,
    /// Automerge actor id, hex.
    pub actor: String,
}

/// A tablet's local store. See the module documentation.
pub struct Store {
    dir: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    device: DeviceInfo,
    actor: Vec<u8>,
    encrypted: bool,
    vault: encryption::PhotoVault,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic in another thread cannot leave a transaction open (rusqlite
    // rolls back on drop), so the connection is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

fn connect(path: &Path, create: bool, key: Option<&StoreKey>) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // SQLCipher: the key is the first statement on a connection.
    if let Some(key) = key {
        conn.execute_batch(&key.pragma())?;
    }
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL: readers do not block the writer. FULL: a committed action survives
    // power loss. temp_store in memory: no temp files on the tablet's flash.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

impl Store {
    /// Creates a new unencrypted store in `dir` for the device `device_id`,
    /// with the bundled checklist templates and the default policy loaded.
    /// It works offline but cannot be enrolled (a device token is kept only
    /// in an encrypted store): for trying things out and tests.
    pub fn create(dir: &Path, device_id: &str) -> Result<Store> {
        Store::create_with(dir, device_id, None)
    }

    /// Creates a new store in `dir` for `device_id`, encrypted at rest with
    /// `key`: the database (SQLCipher) and every photo. The app keeps the
    /// key (Android Keystore); without it nothing in `dir` can be read.
    pub fn create_encrypted(dir: &Path, device_id: &str, key: &StoreKey) -> Result<Store> {
        Store::create_with(dir, device_id, Some(key))
    }

    fn create_with(dir: &Path, device_id: &str, key: Option<&StoreKey>) -> Result<Store> {
        if device_id.trim().is_empty() {
            return Err(Error::invalid("device id", "is empty"));
        }
        let path = dir.join(DB_FILE);
        if path.exists() {
            return Err(Error::StoreExists(dir.to_path_buf()));
        }
        std::fs::create_dir_all(dir.join("photos")).map_err(|e| Error::Io { path: dir.to_path_buf(), source: e })?;
        match key {
            Some(key) => encryption::write_key_check(dir, key)?,
            None if encryption::is_encrypted(dir) => {
                // A check file without its database (a create that did not
                // finish): it would make the new plain store look encrypted.
                let check = dir.join(encryption::KEY_CHECK_FILE);
                std::fs::remove_file(&check).map_err(|e| Error::Io { path: check, source: e })?;
            }
            None => {}
        }
        let mut conn = connect(&path, true, key)?;
        schema::upgrade(&mut conn, &path)?;
        let actor = uuid::Uuid::new_v4().as_bytes().to_vec();
        {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("INSERT INTO meta(key, value) VALUES ('device_id', ?1)", [device_id.trim()])?;
            tx.execute("INSERT INTO meta(key, value) VALUES ('actor', ?1)", [hex(&actor)])?;
            tx.execute("INSERT INTO meta(key, value) VALUES ('created_at', ?1)", [Timestamp::now().0.to_string()])?;
            reference::load_bundled_templates(&tx)?;
            reference::store_policy(&tx, &paicha_core::policy::Policy::default())?;
            tx.commit()?;
        }
        drop(conn);
        Store::open_with(dir, key)
    }

    /// Whether the store in `dir` is encrypted, so a caller knows whether to
    /// fetch its key before [`Store::open_encrypted`].
    pub fn is_encrypted(dir: &Path) -> bool {
        encryption::is_encrypted(dir)
    }

    /// Opens an existing unencrypted store, upgrading its schema if it is
    /// older than this code. A corrupt database is moved aside and
    /// [`Error::Corrupt`] returned; an encrypted store is
    /// [`Error::KeyRequired`], untouched.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with(dir, None)
    }

    /// Opens an existing encrypted store with its key. Another key is
    /// [`Error::WrongKey`] and nothing is moved or deleted; an unencrypted
    /// store is [`Error::NotEncrypted`]. A database damaged under the right
    /// key is moved aside like any damaged store.
    pub fn open_encrypted(dir: &Path, key: &StoreKey) -> Result<Store> {
        Store::open_with(dir, Some(key))
    }

    fn open_with(dir: &Path, key: Option<&StoreKey>) -> Result<Store> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(Error::NoStore(dir.to_path_buf()));
        }
        match (encryption::is_encrypted(dir), key) {
            (true, None) => return Err(Error::KeyRequired(dir.to_path_buf())),
            (false, Some(_)) if has_sqlite_header(&path) => {
                return Err(Error::NotEncrypted(dir.to_path_buf(), "it was created without a key; open it without one (it then works offline only), or create a new encrypted store and sync"))
            }
            (true, Some(k)) if encryption::key_matches(dir, k) == Some(false) => {
                return Err(Error::WrongKey(dir.to_path_buf()))
            }
            _ => {}
        }
        // An empty file is no store (an interrupted copy, a failed
        // restore): SQLite would take it for a new database and write a
        // schema into it. Kept aside like any damaged store.
        let len = std::fs::metadata(&path).map_err(|e| Error::Io { path: path.clone(), source: e })?.len();
        if len == 0 {
            return Err(move_aside(&path, "the file is empty (0 bytes), not a paicha store"));
        }
        // A database without a store's schema, or a store without its device,
        // is not one this code can open or upgrade: kept aside, never written
        // into (not even the journal mode, which would rewrite its header).
        // An encrypted database that does not open, without a readable key
        // check to say the key is right, may be one under another key: never
        // moved aside then.
        let damaged = |detail: &str| match key {
            Some(k) if encryption::key_matches(dir, k).is_none() => Error::WrongKey(dir.to_path_buf()),
            _ => move_aside(&path, detail),
        };
        let peeked =
            Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .and_then(|c| {
                    if let Some(k) = key {
                        c.execute_batch(&k.pragma())?;
                    }
                    Ok(c)
                })
                .map_err(Error::from)
                .and_then(|c| not_a_store(&c));
        match peeked {
            Ok(Some(problem)) => return Err(move_aside(&path, &problem)),
            Err(Error::Storage(e)) if is_corruption(&e) => return Err(damaged(&e.to_string())),
            // Anything else is reported by the full open below.
            Ok(None) | Err(_) => {}
        }
        let opened = (|| -> rusqlite::Result<Connection> {
            let conn = connect(&path, false, key)?;
            let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if check != "ok" {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                    Some(check),
                ));
            }
            Ok(conn)
        })();
        let mut writer = match opened {
            Ok(c) => c,
            Err(e) if is_corruption(&e) => return Err(damaged(&e.to_string())),
            Err(e) => return Err(e.into()),
        };

        schema::upgrade(&mut writer, &path)?;
        // Checklist versions this code ships that the store lacks (a new
        // version, R3) are added; inspections on older versions keep theirs.
        {
            let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
            reference::load_bundled_templates(&tx)?;
            tx.commit()?;
        }
        photos::remove_partial_imports(dir)?;
        // The key opened the database: a lost key check file is written again.
        if let Some(k) = key {
            if encryption::key_matches(dir, k).is_none() {
                encryption::write_key_check(dir, k)?;
            }
        }
        let reader = connect(&path, false, key)?;
        let meta = |key: &str| -> Result<String> {
            writer
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .map_err(|_| Error::Document { id: DB_FILE.into(), detail: format!("store has no {key}") })
        };
        let device_id = meta("device_id")?;
        let actor_hex = meta("actor")?;
        let actor = unhex(&actor_hex).ok_or_else(|| Error::invalid("store actor id", actor_hex.clone()))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            device: DeviceInfo { device_id, actor: actor_hex },
            actor,
            encrypted: key.is_some(),
            vault: encryption::PhotoVault::new(key),
        })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The device this store belongs to.
    pub fn device(&self) -> &DeviceInfo {
        &self.device
    }

    /// Whether this store is encrypted at rest (and may therefore be enrolled).
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer connection: all of
    /// it is stored, or none of it.
    fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on the reader connection inside one read transaction, so it
    /// sees one consistent snapshot.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.reader);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&tx)?;
        tx.finish()?;
        Ok(out)
    }

    /// The actor for person `person_id` on this device (R1), or NotFound.
    fn actor_in(&self, conn: &Connection, person_id: &str) -> Result<Actor> {
        let person: Person = reference::person_in(conn, person_id)?;
        Ok(paicha_core::actions::event_actor(&person, &self.device.device_id))
    }
}

/// Whether `path` starts as a plain SQLite database does (an encrypted
/// one starts with random bytes).
fn has_sqlite_header(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head == b"SQLite format 3\0"
}

/// Why a readable SQLite database is not a paicha store, if it is not.
fn not_a_store(conn: &Connection) -> Result<Option<String>> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        return Ok(Some("a SQLite database without a paicha store's schema".into()));
    }
    let has_meta: bool =
        conn.query_row("SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')", [], |r| {
            r.get(0)
        })?;
    let device: Option<String> = if has_meta {
        conn.query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| r.get(0)).optional()?
    } else {
        None
    };
    Ok(device.is_none().then(|| "a paicha database without its device id".to_string()))
}

fn move_aside(path: &Path, detail: &str) -> Error {
    let suffix = format!("corrupt-{}", Timestamp::now().0);
    let moved_to = path.with_extension(format!("db.{suffix}"));
    let mut failed = None;
    for ext in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{ext}", path.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{ext}", moved_to.display()));
            if let Err(e) = std::fs::rename(&from, &to) {
                failed = Some(Error::Io { path: from, source: e });
            }
        }
    }
    match failed {
        Some(e) => e,
        None => Error::Corrupt { path: path.to_path_buf(), moved_to, detail: detail.to_string() },
    }
}

/// R2 as SQL ([`paicha_core::people::scope_sql`]), its parameters appended
/// to `params`.
pub(crate) fn scope_condition(viewer: &Person, table: &str, params: &mut Vec<rusqlite::types::Value>) -> String {
    let (sql, values) = paicha_core::people::scope_sql(viewer, table, params.len() + 1);
    params.extend(values.into_iter().map(rusqlite::types::Value::from));
    sql
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

impl Store {
    /// Records the person signed in on this device (the tablet's user).
    pub fn set_user(&self, person_id: &str) -> Result<()> {
        if person_id.trim().is_empty() {
            return Err(Error::invalid("user", "is empty"));
        }
        self.write(|tx| {
            tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('user', ?1)", [person_id.trim()])?;
            Ok(())
        })
    }

    /// The person signed in on this device, if one was set.
    pub fn user(&self) -> Result<Option<String>> {
        self.read(|c| {
            use rusqlite::OptionalExtension;
            Ok(c.query_row("SELECT value FROM meta WHERE key = 'user'", [], |r| r.get(0)).optional()?)
        })
    }

    /// The full id of a hidden danger from its id or a unique prefix of it.
    pub fn resolve_hazard_id(&self, id_or_prefix: &str) -> Result<String> {
        self.read(|c| docs::resolve(c, paicha_core::doc::DocKind::Hazard, id_or_prefix))?
            .ok_or_else(|| Error::not_found("hidden danger", id_or_prefix))
    }

    /// The full id of an inspection from its id or a unique prefix of it.
    pub fn resolve_inspection_id(&self, id_or_prefix: &str) -> Result<String> {
        self.read(|c| docs::resolve(c, paicha_core::doc::DocKind::Inspection, id_or_prefix))?
            .ok_or_else(|| Error::not_found("inspection", id_or_prefix))
    }
}

#[cfg(test)]
mod tests;

impl Store {
    /// The whole Automerge document of a record (for export, repair and tests).
    pub fn document_bytes(&self, id: &str) -> Result<Vec<u8>> {
        self.read(|c| {
            let mut doc = docs::load(c, id, &self.actor)?.ok_or_else(|| Error::not_found("record", id))?;
            Ok(doc.save())
        })
    }
}
