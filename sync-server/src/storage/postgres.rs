//! The PostgreSQL storage, chosen with `--database postgres://...`: the same
//! contract as SQLite ([`Storage`]), for many districts' tablets (and several
//! server processes) on one database server.
//!
//! The `postgres` crate's blocking client, pooled by `r2d2`: the storage
//! trait is blocking and the HTTP layer already runs it on tokio's blocking
//! pool. Schema: the `schema_version` table and the numbered files in
//! `sync-server/migrations/postgres/`, applied in one transaction under an
//! advisory lock (two servers starting at once migrate one after the other).
//!
//! The concurrency contract: `store_accepted` takes the change-log advisory
//! lock ([`LOG_LOCK`]) before it reads a record's heads (`FOR UPDATE`) or
//! hands out a sequence number, and holds it to its commit, so change-log
//! entries commit in sequence order; `changes_since` reads the log's end and
//! the page in one `REPEATABLE READ` snapshot.

use super::{
    bundled_templates, from_json, moved, same_heads, stored_kind, summary_columns, summary_of_stored,
    template_conflict, to_json, visible_reference, web_device_of, AcceptedWrite, ConsoleSession, Device, Enrollment,
    LogEntry, LoginFailures, NewQuarantine, Notice, NoticeDelivery, Quarantined, Result, Storage, StorageError,
    StoredDoc, SummaryQuery,
};
use super::{plan_exists, PlanRow, StoredPlan};
use ::postgres::error::SqlState;
use ::postgres::types::{ToSql, Type};
use ::postgres::{Client, GenericClient, IsolationLevel, NoTls, Row};
use paicha_core::enterprise::Enterprise;
use paicha_core::people::Person;
use paicha_core::policy::Policy;
use paicha_core::summary::Summary;
use paicha_core::sync::wire::ReferenceData;
use paicha_core::template::Template;
use paicha_core::time::Timestamp;
use r2d2_postgres::PostgresConnectionManager;
use std::time::Duration;

pub use ::postgres::config::Host;
pub use ::postgres::Config;

/// The migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/001_initial.sql"),
    include_str!("../../migrations/postgres/002_summaries.sql"),
    include_str!("../../migrations/postgres/003_console.sql"),
    include_str!("../../migrations/postgres/004_notices.sql"),
    include_str!("../../migrations/postgres/005_plans.sql"),
];

/// Newest schema version this server writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock every change-log writer holds from before it hands out
/// a sequence number to its commit ("paicha" and 1).
pub const LOG_LOCK: i64 = 0x7061_6963_6861_0001;
/// The advisory lock held while migrating ("paicha" and 2).
const MIGRATION_LOCK: i64 = 0x7061_6963_6861_0002;

/// Connections held open at most by one server process.
pub const POOL_SIZE: u32 = 16;
/// How long a request waits for a connection (or a connection for the server).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a writer waits for a lock before giving up (the request is retried).
const LOCK_TIMEOUT: &str = "30s";

impl From<::postgres::Error> for StorageError {
    fn from(e: ::postgres::Error) -> StorageError {
        let text = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        };
        match e.code() {
            Some(c) if *c == SqlState::UNIQUE_VIOLATION => StorageError::Conflict(text),
            Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION || *c == SqlState::NOT_NULL_VIOLATION => {
                StorageError::Invalid(text)
            }
            Some(c)
                if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED
                    || *c == SqlState::LOCK_NOT_AVAILABLE
                    || *c == SqlState::QUERY_CANCELED
                    || *c == SqlState::TOO_MANY_CONNECTIONS
                    || *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
                    || *c == SqlState::READ_ONLY_SQL_TRANSACTION =>
            {
                StorageError::Unavailable(text)
            }
            Some(c) if *c == SqlState::DATA_CORRUPTED || *c == SqlState::INDEX_CORRUPTED => StorageError::Corrupt(text),
            Some(_) => StorageError::Backend(text),
            // No SQLSTATE: the connection (closed, refused, broken).
            None if e.is_closed() || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) => {
                StorageError::Unavailable(text)
            }
            None => StorageError::Backend(text),
        }
    }
}

impl From<r2d2::Error> for StorageError {
    fn from(e: r2d2::Error) -> StorageError {
        StorageError::Unavailable(e.to_string())
    }
}

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// The PostgreSQL storage: a pool of connections to one database.
pub struct PostgresStorage {
    pool: Pool,
}

/// R2 as SQL ([`paicha_core::people::scope_sql`]) for PostgreSQL, its
/// parameters appended to `params`. `scope_sql` writes SQLite's `?N`
/// placeholders and `1`/`0` for all/nothing; PostgreSQL wants `$N` and
/// booleans.
fn scope_condition(viewer: &Person, table: &str, params: &mut Vec<Box<dyn ToSql + Sync>>) -> String {
    let (sql, values) = paicha_core::people::scope_sql(viewer, table, params.len() + 1);
    params.extend(values.into_iter().map(|v| Box::new(v) as Box<dyn ToSql + Sync>));
    match sql.as_str() {
        "1" => "TRUE".into(),
        "0" => "FALSE".into(),
        other => other.replace('?', "$"),
    }
}

fn refs(params: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref()).collect()
}

/// The schema version of the database `client` is connected to (None: no schema yet).
fn version_in(client: &mut impl GenericClient) -> Result<Option<i64>> {
    let exists: bool = client.query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?.try_get(0)?;
    if !exists {
        return Ok(None);
    }
    let v: Option<i64> = client.query_one("SELECT MAX(version) FROM schema_version", &[])?.try_get(0)?;
    Ok(Some(v.unwrap_or(0)))
}

/// Runs the step that follows migration `version` (seeding in Rust what SQL cannot).
pub(super) fn after_migration(tx: &mut impl GenericClient, version: i64) -> Result<()> {
    if version == 1 {
        tx.execute("INSERT INTO policy(id, json) VALUES (1, $1)", &[&to_json(&Policy::default())?])?;
        tx.execute("INSERT INTO meta(key, value) VALUES ('reference_version', '1')", &[])?;
        for (id, version, text) in bundled_templates()? {
            tx.execute(
                "INSERT INTO templates(id, version, json) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&id, &i64::from(version), &text],
            )?;
        }
    }
    if version == 2 {
        let docs = tx.query("SELECT id, kind, snapshot FROM documents", &[])?;
        for r in docs {
            let id: String = r.try_get(0)?;
            let kind = stored_kind(&id, r.try_get(1)?)?;
            if let Some(s) = summary_of_stored(&id, kind, r.try_get(2)?)? {
                put_summary(tx, &id, &s)?;
            }
        }
    }
    Ok(())
}

fn put_summary(tx: &mut impl GenericClient, doc_id: &str, s: &Summary) -> Result<()> {
    let col = summary_columns(s)?;
    let kind = s.kind();
    tx.execute(
        "INSERT INTO summaries(doc_id, kind, township, enterprise, status, open_conflicts, sort_key, summary)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (doc_id) DO UPDATE SET township = excluded.township, enterprise = excluded.enterprise,
             status = excluded.status, open_conflicts = excluded.open_conflicts, sort_key = excluded.sort_key,
             summary = excluded.summary",
        &[
            &doc_id,
            &kind.as_str(),
            &col.township,
            &col.enterprise,
            &col.status,
            &col.open_conflicts,
            &col.sort_key,
            &col.json,
        ],
    )?;
    Ok(())
}

fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let version = version_in(&mut tx)?.unwrap_or(0);
    if version > SCHEMA_VERSION {
        return Err(StorageError::Backend(format!(
            "the database has schema version {version}, newer than this server ({SCHEMA_VERSION})"
        )));
    }
    if version < SCHEMA_VERSION {
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let step = i as i64 + 1;
            if version < step {
                tx.batch_execute(sql)?;
                after_migration(&mut tx, step)?;
            }
        }
        tx.execute("DELETE FROM schema_version", &[])?;
        tx.execute("INSERT INTO schema_version(version) VALUES ($1)", &[&SCHEMA_VERSION])?;
    }
    // Template versions this server ships that the database lacks (a new
    // version of a checklist, R3) are published; existing ones never change.
    for (id, version, text) in bundled_templates()? {
        tx.execute(
            "INSERT INTO templates(id, version, json) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id, &i64::from(version), &text],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn parse_url(url: &str) -> Result<Config> {
    let mut config: Config = url.parse().map_err(|e| StorageError::Invalid(format!("database URL: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("paicha-server");
    }
    Ok(config)
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://user@host:port/db`),
    /// creating or upgrading its schema.
    pub fn open(url: &str) -> Result<PostgresStorage> {
        PostgresStorage::connect(parse_url(url)?)
    }

    /// Connects with `config`, creating or upgrading the schema.
    pub fn connect(config: Config) -> Result<PostgresStorage> {
        PostgresStorage::connect_waiting(config, CONNECT_TIMEOUT)
    }

    /// Connects with `config`; a request waits at most `wait` for a
    /// connection (and so does opening) before it is
    /// [`StorageError::Unavailable`].
    pub fn connect_waiting(config: Config, wait: Duration) -> Result<PostgresStorage> {
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            // No `SELECT` before every use (r2d2's default): a round trip per
            // query for nothing. A connection that broke fails its query with
            // an error the caller sees as Unavailable, and the pool drops it.
            .test_on_check_out(false)
            .connection_timeout(wait)
            .build(PostgresConnectionManager::new(config, NoTls))?;
        migrate(&mut *pool.get()?)?;
        Ok(PostgresStorage { pool })
    }

    /// The schema version of the database at `url`, without changing it
    /// (None: it has no paicha schema yet).
    pub fn schema_version(url: &str) -> Result<Option<i64>> {
        let mut client = parse_url(url)?.connect(NoTls)?;
        version_in(&mut client)
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>> {
        Ok(self.pool.get()?)
    }
}

fn bump_reference(c: &mut impl GenericClient) -> Result<()> {
    c.execute("UPDATE meta SET value = (value::BIGINT + 1)::TEXT WHERE key = 'reference_version'", &[])?;
    Ok(())
}

fn reference_version_in(c: &mut impl GenericClient) -> Result<u64> {
    let v: String = c.query_typed_one("SELECT value FROM meta WHERE key = 'reference_version'", &[])?.try_get(0)?;
    v.parse().map_err(|_| StorageError::Corrupt(format!("meta.reference_version holds '{v}', not a number")))
}

fn policy_in(c: &mut impl GenericClient) -> Result<Policy> {
    let j: String = c.query_typed_one("SELECT json FROM policy WHERE id = 1", &[])?.try_get(0)?;
    from_json("the stored policy", &j)
}

fn template_in(c: &mut impl GenericClient, id: &str, version: u32) -> Result<Option<Template>> {
    let row = c.query_opt("SELECT json FROM templates WHERE id = $1 AND version = $2", &[&id, &i64::from(version)])?;
    row.map(|r| {
        let j: String = r.try_get(0)?;
        from_json(&format!("stored template {id} v{version}"), &j)
    })
    .transpose()
}

fn device_row(r: &Row) -> Result<Device> {
    Ok(Device { device_id: r.try_get(0)?, user_id: r.try_get(1)?, actor: r.try_get(2)?, revoked_at: r.try_get(3)? })
}

/// A stored failure count as [`LoginFailures`].
fn failures_of(login: &str, n: i32, at: i64) -> Result<LoginFailures> {
    let count = u32::try_from(n)
        .map_err(|_| StorageError::Corrupt(format!("failed sign-ins of '{login}': {n} is not a count")))?;
    Ok(LoginFailures { count, last_at: Timestamp(at) })
}

fn heads_of(doc_id: &str, json: &str) -> Result<Vec<String>> {
    from_json(&format!("heads of stored record {doc_id}"), json)
}

impl Storage for PostgresStorage {
    fn person(&self, id: &str) -> Result<Option<Person>> {
        let row = self.conn()?.query_typed_opt("SELECT json FROM people WHERE id = $1", &[(&id, Type::TEXT)])?;
        row.map(|r| from_json(&format!("stored person {id}"), &r.try_get::<_, String>(0)?)).transpose()
    }

    fn put_person(&self, p: &Person) -> Result<()> {
        let json = to_json(p)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        tx.execute(
            "INSERT INTO people(id, role, json) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, json = EXCLUDED.json",
            &[&p.id, &p.role.as_str(), &json],
        )?;
        bump_reference(&mut tx)?;
        tx.commit()?;
        Ok(())
    }

    fn put_enterprises(&self, list: &[Enterprise]) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let stmt = tx.prepare(
            "INSERT INTO enterprises(credit_code, township, json) VALUES ($1, $2, $3)
             ON CONFLICT (credit_code) DO UPDATE SET township = EXCLUDED.township, json = EXCLUDED.json",
        )?;
        for e in list {
            tx.execute(&stmt, &[&e.credit_code, &e.township, &to_json(e)?])?;
        }
        bump_reference(&mut tx)?;
        tx.commit()?;
        Ok(())
    }

    fn policy(&self) -> Result<Policy> {
        policy_in(&mut *self.conn()?)
    }

    fn set_policy(&self, p: &Policy) -> Result<()> {
        let json = to_json(p)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        tx.execute(
            "INSERT INTO policy(id, json) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json",
            &[&json],
        )?;
        bump_reference(&mut tx)?;
        tx.commit()?;
        Ok(())
    }

    fn reference_version(&self) -> Result<u64> {
        reference_version_in(&mut *self.conn()?)
    }

    fn reference_for(&self, person: &Person) -> Result<ReferenceData> {
        let mut c = self.conn()?;
        let mut tx = c.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start()?;
        let version = reference_version_in(&mut tx)?;
        let policy = policy_in(&mut tx)?;
        let mut people = vec![];
        for r in tx.query("SELECT id, json FROM people ORDER BY id", &[])? {
            let id: String = r.try_get(0)?;
            people.push(from_json(&format!("stored person {id}"), &r.try_get::<_, String>(1)?)?);
        }
        let mut enterprises = vec![];
        for r in tx.query("SELECT credit_code, json FROM enterprises ORDER BY credit_code", &[])? {
            let code: String = r.try_get(0)?;
            enterprises.push(from_json(&format!("stored enterprise {code}"), &r.try_get::<_, String>(1)?)?);
        }
        let mut templates = vec![];
        for r in tx.query("SELECT id, version, json FROM templates ORDER BY id, version", &[])? {
            let id: String = r.try_get(0)?;
            let v: i64 = r.try_get(1)?;
            templates.push(from_json(&format!("stored template {id} v{v}"), &r.try_get::<_, String>(2)?)?);
        }
        tx.commit()?;
        let (people, enterprises) = visible_reference(person, people, enterprises);
        Ok(ReferenceData { version, people, enterprises, policy, templates })
    }

    fn add_device(&self, device_id: &str, user_id: &str, code_hash: &str, now: Timestamp) -> Result<()> {
        let n = self.conn()?.execute(
            "INSERT INTO devices(device_id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (device_id) DO UPDATE SET user_id = EXCLUDED.user_id, code_hash = EXCLUDED.code_hash,
                 actor = NULL, token_hash = NULL, enrolled_at = NULL, revoked_at = NULL
             WHERE devices.revoked_at IS NULL AND devices.enrolled_at IS NULL",
            &[&device_id, &user_id, &code_hash, &now.0],
        )?;
        if n == 0 {
            return Err(StorageError::Conflict(format!(
                "device {device_id} is already enrolled or revoked; use another device id"
            )));
        }
        Ok(())
    }

    fn enroll(
        &self,
        code_hash: &str,
        device_id: &str,
        actor: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Enrollment> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        // FOR UPDATE: a second enrollment with the same code waits, then finds it used.
        let row = tx.query_opt(
            "SELECT device_id, user_id, actor, revoked_at FROM devices WHERE code_hash = $1 AND enrolled_at IS NULL
             FOR UPDATE",
            &[&code_hash],
        )?;
        let Some(d) = row.as_ref().map(device_row).transpose()? else { return Ok(Enrollment::UnknownCode) };
        if d.device_id != device_id {
            return Ok(Enrollment::OtherDevice(d.device_id));
        }
        let taken: bool =
            tx.query_one("SELECT EXISTS(SELECT 1 FROM devices WHERE actor = $1)", &[&actor])?.try_get(0)?;
        if taken {
            return Ok(Enrollment::ActorTaken);
        }
        let updated = tx.execute(
            "UPDATE devices SET actor = $2, token_hash = $3, enrolled_at = $4, code_hash = NULL WHERE device_id = $1",
            &[&device_id, &actor, &token_hash, &now.0],
        );
        match updated {
            Ok(_) => {}
            // Another device bound the same actor at the same moment.
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => return Ok(Enrollment::ActorTaken),
            Err(e) => return Err(e.into()),
        }
        tx.commit()?;
        Ok(Enrollment::Enrolled(Device { actor: Some(actor.to_string()), ..d }))
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>> {
        let row = self.conn()?.query_typed_opt(
            "SELECT device_id, user_id, actor, revoked_at FROM devices WHERE token_hash = $1",
            &[(&token_hash, Type::TEXT)],
        )?;
        row.as_ref().map(device_row).transpose()
    }

    fn revoke(&self, device_id: &str, now: Timestamp) -> Result<bool> {
        let n = self.conn()?.execute(
            "UPDATE devices SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL",
            &[&device_id, &now.0],
        )?;
        Ok(n > 0)
    }

    fn devices(&self) -> Result<Vec<Device>> {
        let rows =
            self.conn()?.query("SELECT device_id, user_id, actor, revoked_at FROM devices ORDER BY device_id", &[])?;
        rows.iter().map(device_row).collect()
    }

    fn document(&self, id: &str) -> Result<Option<StoredDoc>> {
        let row = self.conn()?.query_opt("SELECT kind, snapshot, heads FROM documents WHERE id = $1", &[&id])?;
        row.map(|r| {
            Ok(StoredDoc {
                kind: stored_kind(id, r.try_get(0)?)?,
                snapshot: r.try_get(1)?,
                heads: heads_of(id, r.try_get(2)?)?,
            })
        })
        .transpose()
    }

    fn store_accepted(&self, writes: &[AcceptedWrite<'_>], device_id: &str, now: Timestamp) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        tx.batch_execute(&format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))?;
        // The change-log lock first, always: sequence numbers are handed out
        // and committed one writer at a time (the contract's second promise),
        // and no two writers ever wait on each other's row locks in turn.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])?;
        // Compare and swap, correct on its own: a new record is inserted only
        // if no one else did, a known one updated only if its heads, read
        // under a row lock, are still the base.
        let current = tx.prepare("SELECT heads FROM documents WHERE id = $1 FOR UPDATE")?;
        let insert = tx.prepare(
            "INSERT INTO documents(id, kind, enterprise, township, snapshot, heads) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO NOTHING",
        )?;
        let update =
            tx.prepare("UPDATE documents SET enterprise = $2, township = $3, snapshot = $4, heads = $5 WHERE id = $1")?;
        let log = tx.prepare(
            "INSERT INTO change_log(doc_id, device_id, data, heads, received_at) VALUES ($1, $2, $3, $4, $5)",
        )?;
        let photo = tx.prepare("INSERT INTO photo_refs(sha256, doc_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")?;
        let receipt = tx.prepare(
            "INSERT INTO receipts(event_id, doc_id, device_id, device_time, received_at, skewed)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )?;
        for w in writes {
            let heads = to_json(&w.heads)?;
            let written = match &w.base_heads {
                None => {
                    tx.execute(
                        &insert,
                        &[&w.doc_id, &w.kind.as_str(), &w.enterprise, &w.township, &w.snapshot, &heads],
                    )? == 1
                }
                Some(base) => {
                    let stored: Option<String> =
                        tx.query_opt(&current, &[&w.doc_id])?.map(|r| r.try_get(0)).transpose()?;
                    match stored {
                        Some(s) if same_heads(&heads_of(w.doc_id, &s)?, base) => {
                            tx.execute(&update, &[&w.doc_id, &w.enterprise, &w.township, &w.snapshot, &heads])?;
                            true
                        }
                        _ => false,
                    }
                }
            };
            if !written {
                // Dropping the transaction rolls back the writes before this one.
                return Err(moved(w.doc_id));
            }
            tx.execute(&log, &[&w.doc_id, &device_id, &w.new_changes, &heads, &now.0])?;
            for sha in &w.photos {
                tx.execute(&photo, &[sha, &w.doc_id])?;
            }
            for (id, at, skewed) in &w.receipts {
                tx.execute(&receipt, &[id, &w.doc_id, &device_id, at, &now.0, skewed])?;
            }
            put_summary(&mut tx, w.doc_id, &w.summary)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn quarantine(&self, q: &NewQuarantine<'_>) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO quarantine(device_id, user_id, doc_id, kind, rule, message, data, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&q.device_id, &q.user_id, &q.doc_id, &q.kind, &q.rule, &q.message, &q.data, &q.received_at.0],
        )?;
        Ok(())
    }

    fn quarantined(&self) -> Result<Vec<Quarantined>> {
        let rows = self.conn()?.query(
            "SELECT id, device_id, user_id, doc_id, rule, message, octet_length(data)::BIGINT, received_at
             FROM quarantine ORDER BY id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Quarantined {
                    id: r.try_get(0)?,
                    device_id: r.try_get(1)?,
                    user_id: r.try_get(2)?,
                    doc_id: r.try_get(3)?,
                    rule: r.try_get(4)?,
                    message: r.try_get(5)?,
                    bytes: r.try_get(6)?,
                    received_at: r.try_get(7)?,
                })
            })
            .collect()
    }

    fn changes_since(&self, person: &Person, device_id: &str, cursor: u64, limit: u32) -> Result<(Vec<LogEntry>, u64)> {
        let cursor = i64::try_from(cursor).unwrap_or(i64::MAX);
        let mut p: Vec<Box<dyn ToSql + Sync>> =
            vec![Box::new(cursor), Box::new(device_id.to_string()), Box::new(i64::from(limit))];
        let scope = scope_condition(person, "d.", &mut p);
        // One statement, hence one snapshot, for the log's end and the page
        // (the contract's second promise), in one round trip: sent with its
        // parameter types, it needs no separate prepare. Every scope value is text.
        let sql = format!(
            "WITH e AS (SELECT COALESCE(MAX(seq), 0) AS end_seq FROM change_log)
             SELECT e.end_seq, p.seq, p.doc_id, p.kind, p.data, p.heads FROM e LEFT JOIN LATERAL (
                 SELECT c.seq, c.doc_id, d.kind, c.data, c.heads FROM change_log c JOIN documents d ON d.id = c.doc_id
                 WHERE c.seq > $1 AND c.device_id <> $2 AND ({scope}) ORDER BY c.seq LIMIT $3
             ) p ON TRUE ORDER BY p.seq"
        );
        let types = [Type::INT8, Type::TEXT, Type::INT8];
        let typed: Vec<(&(dyn ToSql + Sync), Type)> =
            p.iter().enumerate().map(|(i, v)| (v.as_ref(), types.get(i).cloned().unwrap_or(Type::TEXT))).collect();
        let rows = self.conn()?.query_typed(&sql, &typed)?;
        let mut end = 0i64;
        let mut entries = Vec::with_capacity(rows.len());
        for r in rows {
            end = r.try_get(0)?;
            let Some(seq) = r.try_get::<_, Option<i64>>(1)? else { continue };
            let doc_id: String = r.try_get(2)?;
            let kind = stored_kind(&doc_id, r.try_get(3)?)?;
            let heads = heads_of(&doc_id, r.try_get(5)?)?;
            entries.push(LogEntry { seq: seq as u64, kind, data: r.try_get(4)?, heads, doc_id });
        }
        Ok((entries, end as u64))
    }

    fn photo_in_scope(&self, sha256: &str, person: &Person) -> Result<bool> {
        let mut p: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(sha256.to_string())];
        let scope = scope_condition(person, "d.", &mut p);
        let sql = format!(
            "SELECT EXISTS(SELECT 1 FROM photo_refs r JOIN documents d ON d.id = r.doc_id WHERE r.sha256 = $1 AND ({scope}))"
        );
        Ok(self.conn()?.query_one(&sql, &refs(&p))?.try_get(0)?)
    }

    fn receipts_for_docs(&self, doc_ids: &[String]) -> Result<Vec<(String, String, i64)>> {
        let ids: Vec<&str> = doc_ids.iter().map(String::as_str).collect();
        let rows = self.conn()?.query_typed(
            "SELECT doc_id, event_id, received_at FROM receipts WHERE doc_id = ANY($1) ORDER BY doc_id, event_id",
            &[(&ids, Type::TEXT_ARRAY)],
        )?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    fn receipts_for(&self, doc_id: &str) -> Result<Vec<(String, i64)>> {
        let rows = self.conn()?.query_typed(
            "SELECT event_id, received_at FROM receipts WHERE doc_id = $1 ORDER BY event_id",
            &[(&doc_id, Type::TEXT)],
        )?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    fn photo_refs(&self) -> Result<Vec<(String, String)>> {
        let rows = self.conn()?.query("SELECT doc_id, sha256 FROM photo_refs ORDER BY doc_id, sha256", &[])?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    fn skewed(&self) -> Result<Vec<(String, String, i64, i64)>> {
        let rows = self.conn()?.query(
            "SELECT event_id, device_id, device_time, received_at FROM receipts WHERE skewed ORDER BY received_at, event_id",
            &[],
        )?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))).collect()
    }

    fn enterprise_township(&self, credit_code: &str) -> Result<Option<String>> {
        let row = self.conn()?.query_opt("SELECT township FROM enterprises WHERE credit_code = $1", &[&credit_code])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn summaries(&self, q: &SummaryQuery<'_>) -> Result<Vec<Summary>> {
        let mut p: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(q.kind.as_str().to_string())];
        let mut conditions = vec!["kind = $1".to_string()];
        if let Some(viewer) = q.viewer {
            conditions.push(format!("({})", scope_condition(viewer, "", &mut p)));
        }
        if let Some(t) = q.township {
            p.push(Box::new(t.to_string()));
            conditions.push(format!("township = ${}", p.len()));
        }
        if let Some(e) = q.enterprise {
            p.push(Box::new(e.to_string()));
            conditions.push(format!("enterprise = ${}", p.len()));
        }
        if !q.statuses.is_empty() {
            let marks: Vec<String> = q
                .statuses
                .iter()
                .map(|s| {
                    p.push(Box::new(s.as_str().to_string()));
                    format!("${}", p.len())
                })
                .collect();
            conditions.push(format!("status IN ({})", marks.join(", ")));
        }
        if q.open_conflicts {
            conditions.push("open_conflicts > 0".into());
        }
        // A whole list is sorted here (as on SQLite): sorting rows with
        // their JSON in the database can spill megabytes past work_mem; only
        // a limited list needs the order in SQL.
        let limit = match q.limit {
            Some(n) => {
                p.push(Box::new(i64::from(n)));
                format!(" ORDER BY sort_key, doc_id LIMIT ${}", p.len())
            }
            None => String::new(),
        };
        let sql = format!("SELECT doc_id, sort_key, summary FROM summaries WHERE {}{limit}", conditions.join(" AND "));
        let rows = self.conn()?.query(&sql, &refs(&p))?;
        let mut out: Vec<(String, i64, String)> =
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect::<Result<Vec<_>>>()?;
        if q.limit.is_none() {
            out.sort_unstable_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        }
        out.iter().map(|(id, _, json)| from_json(&format!("summary of {id}"), json)).collect()
    }

    fn template(&self, id: &str, version: u32) -> Result<Option<Template>> {
        template_in(&mut *self.conn()?, id, version)
    }

    fn put_template(&self, t: &Template) -> Result<bool> {
        t.validate().map_err(StorageError::Invalid)?;
        let json = to_json(t)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let n = tx.execute(
            "INSERT INTO templates(id, version, json) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&t.id, &i64::from(t.version), &json],
        )?;
        if n == 0 {
            return match template_in(&mut tx, &t.id, t.version)? {
                Some(old) if &old == t => Ok(false),
                _ => Err(template_conflict(t)),
            };
        }
        bump_reference(&mut tx)?;
        tx.commit()?;
        Ok(true)
    }

    // --- web console accounts and sessions ---

    fn set_console_password(&self, person_id: &str, phc: &str, now: Timestamp) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        if tx.query_opt("SELECT 1 FROM people WHERE id = $1", &[&person_id])?.is_none() {
            return Err(StorageError::Invalid(format!("person {person_id} is not in the registry")));
        }
        tx.execute(
            "INSERT INTO console_passwords(person_id, phc, set_at) VALUES ($1, $2, $3)
             ON CONFLICT (person_id) DO UPDATE SET phc = EXCLUDED.phc, set_at = EXCLUDED.set_at",
            &[&person_id, &phc, &now.0],
        )?;
        tx.execute("DELETE FROM console_sessions WHERE person_id = $1", &[&person_id])?;
        tx.commit()?;
        Ok(())
    }

    fn console_password(&self, person_id: &str) -> Result<Option<String>> {
        let row = self.conn()?.query_opt("SELECT phc FROM console_passwords WHERE person_id = $1", &[&person_id])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn login_failures(&self, login: &str) -> Result<Option<LoginFailures>> {
        let row = self
            .conn()?
            .query_opt("SELECT failures, last_at FROM console_login_failures WHERE login = $1", &[&login])?;
        row.map(|r| failures_of(login, r.try_get(0)?, r.try_get(1)?)).transpose()
    }

    fn record_login_failure(&self, login: &str, now: Timestamp, forget_before: Timestamp) -> Result<LoginFailures> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        tx.execute("DELETE FROM console_login_failures WHERE last_at < $1", &[&forget_before.0])?;
        // One statement: two processes counting the same name at once both count.
        let r = tx.query_one(
            "INSERT INTO console_login_failures(login, failures, last_at) VALUES ($1, 1, $2)
             ON CONFLICT (login) DO UPDATE SET failures = console_login_failures.failures + 1,
                 last_at = GREATEST(console_login_failures.last_at, EXCLUDED.last_at)
             RETURNING failures, last_at",
            &[&login, &now.0],
        )?;
        let failures = failures_of(login, r.try_get(0)?, r.try_get(1)?)?;
        tx.commit()?;
        Ok(failures)
    }

    fn clear_login_failures(&self, login: &str) -> Result<()> {
        self.conn()?.execute("DELETE FROM console_login_failures WHERE login = $1", &[&login])?;
        Ok(())
    }

    fn create_console_session(&self, s: &ConsoleSession) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO console_sessions(id_hash, person_id, created_at, expires_at, last_seen)
             VALUES ($1, $2, $3, $4, $5)",
            &[&s.id_hash, &s.person_id, &s.created_at.0, &s.expires_at.0, &s.last_seen.0],
        )?;
        Ok(())
    }

    fn console_session(&self, id_hash: &str) -> Result<Option<ConsoleSession>> {
        let row = self.conn()?.query_opt(
            "SELECT id_hash, person_id, created_at, expires_at, last_seen FROM console_sessions WHERE id_hash = $1",
            &[&id_hash],
        )?;
        row.map(|r| {
            Ok(ConsoleSession {
                id_hash: r.try_get(0)?,
                person_id: r.try_get(1)?,
                created_at: Timestamp(r.try_get(2)?),
                expires_at: Timestamp(r.try_get(3)?),
                last_seen: Timestamp(r.try_get(4)?),
            })
        })
        .transpose()
    }

    fn touch_console_session(&self, id_hash: &str, now: Timestamp) -> Result<bool> {
        let n = self.conn()?.execute(
            "UPDATE console_sessions SET last_seen = GREATEST(last_seen, $2) WHERE id_hash = $1",
            &[&id_hash, &now.0],
        )?;
        Ok(n > 0)
    }

    fn delete_console_session(&self, id_hash: &str) -> Result<bool> {
        Ok(self.conn()?.execute("DELETE FROM console_sessions WHERE id_hash = $1", &[&id_hash])? > 0)
    }

    fn delete_stale_console_sessions(&self, now: Timestamp, idle_before: Timestamp) -> Result<u64> {
        Ok(self.conn()?.execute(
            "DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen < $2",
            &[&now.0, &idle_before.0],
        )?)
    }

    fn web_device(&self, device_id: &str, person_id: &str, actor: &str, now: Timestamp) -> Result<Device> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        if tx.query_opt("SELECT 1 FROM people WHERE id = $1", &[&person_id])?.is_none() {
            return Err(StorageError::Invalid(format!("'{person_id}' is not a person of the registry")));
        }
        tx.execute(
            "INSERT INTO devices(device_id, user_id, actor, created_at, enrolled_at) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (device_id) DO NOTHING",
            &[&device_id, &person_id, &actor, &now.0],
        )?;
        let row = tx.query_one(
            "SELECT device_id, user_id, actor, revoked_at FROM devices WHERE device_id = $1",
            &[&device_id],
        )?;
        let d = device_row(&row)?;
        tx.commit()?;
        web_device_of(device_id, person_id, d)
    }

    fn insert_notice(&self, n: &Notice) -> Result<bool> {
        let summary = to_json(&n.summary)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let added = tx.execute(
            "INSERT INTO notices(key, hazard_id, kind, township, summary, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (key) DO NOTHING",
            &[&n.key, &n.hazard_id, &n.kind, &n.township, &summary, &n.created_at.0],
        )?;
        if added == 0 {
            return Ok(false);
        }
        for d in &n.deliveries {
            tx.execute(
                "INSERT INTO notice_deliveries(notice_key, outlet, attempts, last_error, last_attempt_at, next_attempt_at, delivered_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &n.key,
                    &d.outlet,
                    &d.attempts,
                    &d.last_error,
                    &d.last_attempt_at.map(|t| t.0),
                    &d.next_attempt_at.0,
                    &d.delivered_at.map(|t| t.0),
                ],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    fn notices(&self, township: Option<&str>, limit: usize) -> Result<Vec<Notice>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut c = self.conn()?;
        let keys: Vec<String> = c
            .query(
                "SELECT key FROM notices WHERE ($1::TEXT IS NULL OR township = $1)
                 ORDER BY created_at DESC, key LIMIT $2",
                &[&township, &limit],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        notices_by_key(&mut c, &keys)
    }

    fn due_notice_deliveries(&self, now: Timestamp, limit: usize) -> Result<Vec<Notice>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut c = self.conn()?;
        let keys: Vec<String> = c
            .query(
                "SELECT n.key FROM notices n WHERE EXISTS (SELECT 1 FROM notice_deliveries d
                     WHERE d.notice_key = n.key AND d.delivered_at IS NULL AND d.next_attempt_at <= $1)
                 ORDER BY n.created_at, n.key LIMIT $2",
                &[&now.0, &limit],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        notices_by_key(&mut c, &keys)
    }

    fn claim_notice_delivery(&self, key: &str, outlet: &str, now: Timestamp, lease_until: Timestamp) -> Result<bool> {
        let n = self.conn()?.execute(
            "UPDATE notice_deliveries SET next_attempt_at = $4
             WHERE notice_key = $1 AND outlet = $2 AND delivered_at IS NULL AND next_attempt_at <= $3",
            &[&key, &outlet, &now.0, &lease_until.0],
        )?;
        Ok(n > 0)
    }

    fn finish_notice_delivery(
        &self,
        key: &str,
        outlet: &str,
        now: Timestamp,
        outcome: std::result::Result<(), String>,
        retry_at: Timestamp,
    ) -> Result<()> {
        let mut c = self.conn()?;
        let n = match outcome {
            Ok(()) => c.execute(
                "UPDATE notice_deliveries SET attempts = attempts + 1, last_attempt_at = $3, delivered_at = $3
                 WHERE notice_key = $1 AND outlet = $2",
                &[&key, &outlet, &now.0],
            )?,
            Err(e) => c.execute(
                "UPDATE notice_deliveries SET attempts = attempts + 1, last_attempt_at = $3, last_error = $4,
                     next_attempt_at = $5
                 WHERE notice_key = $1 AND outlet = $2 AND delivered_at IS NULL",
                &[&key, &outlet, &now.0, &e, &retry_at.0],
            )?,
        };
        if n == 0 {
            return Err(StorageError::Invalid(format!("no pending delivery of notice '{key}' to '{outlet}'")));
        }
        Ok(())
    }

    fn insert_plan(&self, plan: &StoredPlan) -> Result<()> {
        let r = PlanRow::of(plan)?;
        let n = self.conn()?.execute(
            "INSERT INTO plans(id, title, seed, inputs, plan, inputs_sha256, plan_sha256, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
            &[
                &r.id,
                &r.title,
                &r.seed,
                &r.inputs,
                &r.plan,
                &r.inputs_sha256,
                &r.plan_sha256,
                &r.created_by,
                &r.created_at,
            ],
        )?;
        if n == 0 {
            return Err(plan_exists(&r.id));
        }
        Ok(())
    }

    fn plan(&self, id: &str) -> Result<Option<StoredPlan>> {
        let row = self.conn()?.query_opt(&format!("{PLAN_COLUMNS} WHERE id = $1"), &[&id])?;
        row.map(|r| plan_row(&r)?.into_stored()).transpose()
    }

    fn plans(&self) -> Result<Vec<StoredPlan>> {
        let rows = self.conn()?.query(&format!("{PLAN_COLUMNS} ORDER BY created_at DESC, id"), &[])?;
        rows.iter().map(|r| plan_row(r)?.into_stored()).collect()
    }
}

const PLAN_COLUMNS: &str =
    "SELECT id, title, seed, inputs, plan, inputs_sha256, plan_sha256, created_by, created_at FROM plans";

fn plan_row(r: &Row) -> Result<PlanRow> {
    Ok(PlanRow {
        id: r.try_get(0)?,
        title: r.try_get(1)?,
        seed: r.try_get(2)?,
        inputs: r.try_get(3)?,
        plan: r.try_get(4)?,
        inputs_sha256: r.try_get(5)?,
        plan_sha256: r.try_get(6)?,
        created_by: r.try_get(7)?,
        created_at: r.try_get(8)?,
    })
}

/// The notices of `keys`, in that order, with their deliveries.
fn notices_by_key(c: &mut Client, keys: &[String]) -> Result<Vec<Notice>> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let r = c.query_one(
            "SELECT key, hazard_id, kind, township, summary, created_at FROM notices WHERE key = $1",
            &[key],
        )?;
        let summary: String = r.try_get(4)?;
        let deliveries = c
            .query(
                "SELECT outlet, attempts, last_error, last_attempt_at, next_attempt_at, delivered_at
                 FROM notice_deliveries WHERE notice_key = $1 ORDER BY outlet",
                &[key],
            )?
            .iter()
            .map(|d| {
                Ok(NoticeDelivery {
                    outlet: d.try_get(0)?,
                    attempts: d.try_get(1)?,
                    last_error: d.try_get(2)?,
                    last_attempt_at: d.try_get::<_, Option<i64>>(3)?.map(Timestamp),
                    next_attempt_at: Timestamp(d.try_get(4)?),
                    delivered_at: d.try_get::<_, Option<i64>>(5)?.map(Timestamp),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(Notice {
            key: r.try_get(0)?,
            hazard_id: r.try_get(1)?,
            kind: r.try_get(2)?,
            township: r.try_get(3)?,
            summary: from_json("notice summary", &summary)?,
            created_at: Timestamp(r.try_get(5)?),
            deliveries,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use paicha_core::people::Role;

    #[test]
    fn the_scope_condition_is_written_for_postgresql() {
        let mut person = paicha_core::demo::person_by_id("insp-wang").unwrap();
        person.townships.push("周市镇".into());
        let mut p: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(1i64), Box::new(2i64)];
        assert_eq!(scope_condition(&person, "d.", &mut p), "d.township IN ($3, $4)");
        assert_eq!(p.len(), 4);
        let admin = paicha_core::demo::person_by_id("admin-xu").unwrap();
        assert_eq!(scope_condition(&admin, "d.", &mut vec![]), "TRUE");
        let ent = paicha_core::demo::person_by_id("ent-a").unwrap();
        assert_eq!(scope_condition(&ent, "d.", &mut vec![]), "d.enterprise = $1");
        let nowhere = Person { townships: vec![], role: Role::Inspector, ..person };
        assert_eq!(scope_condition(&nowhere, "d.", &mut vec![]), "FALSE");
    }
}
