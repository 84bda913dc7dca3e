//! Server storage behind one contract, [`Storage`], with two backends:
//!
//! - [`SqliteStorage`], the embedded default: one file in the data
//!   directory, WAL, `synchronous = FULL`;
//! - [`PostgresStorage`], chosen by one setting (`--database postgres://...`),
//!   for a province whose districts share one server.
//!
//! Both pass one conformance suite (`storage/conformance.rs`), which every
//! method and the concurrency contract below are held to. Schemas are
//! numbered SQL files per backend (`sync-server/migrations/{sqlite,postgres}/`)
//! embedded in the binary; a database newer than the code is refused.
//!
//! Every accepted record is stored with its summary (`summaries` table,
//! [`paicha_core::summary`]) in the same transaction, so that the operator's
//! lists (overdue, conflicts), queues and statistics read
//! [`Storage::summaries`] and never load or fold a document.

pub mod postgres;
pub mod sqlite;

#[cfg(test)]
mod conformance;

pub use self::postgres::PostgresStorage;
pub use self::sqlite::SqliteStorage;

use paicha_core::enterprise::Enterprise;
use paicha_core::hazard::Status;
use paicha_core::inspection::Inspection;
use paicha_core::kinds::DocKind;
use paicha_core::people::Person;
use paicha_core::planning::{self, Plan};
use paicha_core::policy::Policy;
use paicha_core::summary::{HazardSummary, InspectionSummary, Summary};
use paicha_core::sync::wire::ReferenceData;
use paicha_core::template::Template;
use paicha_core::time::Timestamp;
use serde::Serialize;

/// What a storage operation can fail with, by what the caller can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached or is busy (connection refused or
    /// lost, pool exhausted, lock timeout, serialization failure): nothing
    /// was written; the same call may succeed later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database failed the operation for another reason (a bug, a full
    /// disk, a schema newer than this server).
    #[error("database: {0}")]
    Backend(String),
    /// Stored data cannot be read back (unparsable JSON, a document that does
    /// not load, a damaged file).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The write conflicts with what is stored: a record written since it was
    /// read (see [`AcceptedWrite::base_heads`]), a published template with
    /// other content, a device already enrolled.
    #[error("{0}")]
    Conflict(String),
    /// The caller's data cannot be stored (an invalid template, a device for
    /// an unknown user).
    #[error("{0}")]
    Invalid(String),
}

/// Storage's result.
pub type Result<T> = std::result::Result<T, StorageError>;

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

/// What an enrollment attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrollment {
    /// The device is enrolled: its actor is bound and its token stored.
    Enrolled(Device),
    /// No device waits for this code (never issued, or already used).
    UnknownCode,
    /// The code was issued for another device (its id).
    OtherDevice(String),
    /// The actor id is already bound to another device.
    ActorTaken,
}

/// A document as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDoc {
    /// Its kind.
    pub kind: DocKind,
    /// The whole document.
    pub snapshot: Vec<u8>,
    /// Its heads (what [`AcceptedWrite::base_heads`] is compared with).
    pub heads: Vec<String>,
}

/// What to write when an upload is accepted.
#[derive(Debug, Clone)]
pub struct AcceptedWrite<'a> {
    /// Record id.
    pub doc_id: &'a str,
    /// Kind.
    pub kind: DocKind,
    /// Enterprise (scope).
    pub enterprise: &'a str,
    /// Township (scope).
    pub township: &'a str,
    /// The stored heads this write was computed from: `None` for a record the
    /// server did not hold. The write is refused with
    /// [`StorageError::Conflict`] if the stored heads differ (compare and swap).
    pub base_heads: Option<Vec<String>>,
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
    /// The record's projection after the write, stored in the same
    /// transaction (what [`Storage::summaries`] lists).
    pub summary: Summary,
}

/// Which record summaries to list: one kind, within a viewer's scope (R2),
/// narrowed by township, enterprise, status or open conflicts. Ordered by
/// deadline (hidden dangers; inspections by start), then id.
#[derive(Debug, Clone)]
pub struct SummaryQuery<'a> {
    /// Hidden dangers or inspections.
    pub kind: DocKind,
    /// Only what this person may see (R2); `None` for the operator's commands.
    pub viewer: Option<&'a Person>,
    /// One township.
    pub township: Option<&'a str>,
    /// One enterprise.
    pub enterprise: Option<&'a str>,
    /// Only these statuses (hidden dangers); empty: any.
    pub statuses: &'a [Status],
    /// Only hidden dangers with conflicts waiting for a person (R14).
    pub open_conflicts: bool,
    /// At most this many.
    pub limit: Option<u32>,
}

impl<'a> SummaryQuery<'a> {
    /// Every record of `kind`, unscoped.
    pub fn all(kind: DocKind) -> SummaryQuery<'a> {
        SummaryQuery {
            kind,
            viewer: None,
            township: None,
            enterprise: None,
            statuses: &[],
            open_conflicts: false,
            limit: None,
        }
    }
}

/// The indexed columns of a summary row; the summary itself is stored as JSON beside them.
pub(crate) struct SummaryColumns {
    pub township: String,
    pub enterprise: String,
    pub status: Option<&'static str>,
    pub open_conflicts: i64,
    /// Deadline end (hidden dangers) or start time (inspections): the order of lists.
    pub sort_key: i64,
    pub json: String,
}

pub(crate) fn summary_columns(s: &Summary) -> Result<SummaryColumns> {
    let json = to_json(s)?;
    Ok(match s {
        Summary::Hazard(h) => SummaryColumns {
            township: h.township.clone(),
            enterprise: h.enterprise.clone(),
            status: Some(h.status.as_str()),
            open_conflicts: h.open_conflicts.len() as i64,
            sort_key: h.deadline_end().0,
            json,
        },
        Summary::Inspection(i) => SummaryColumns {
            township: i.township.clone(),
            enterprise: i.enterprise.clone(),
            status: None,
            open_conflicts: 0,
            sort_key: i.started_at.0,
            json,
        },
        Summary::Order(o) => SummaryColumns {
            township: o.order.enterprise.township.clone(),
            enterprise: o.order.enterprise.credit_code.clone(),
            status: Some(if o.void.is_some() { "voided" } else { "issued" }),
            open_conflicts: 0,
            sort_key: o.order.issued_at.0,
            json,
        },
        Summary::ReviewOpinion(r) => SummaryColumns {
            township: r.enterprise.township.clone(),
            enterprise: r.enterprise.credit_code.clone(),
            status: None,
            open_conflicts: 0,
            sort_key: r.reviewed_at.0,
            json,
        },
    })
}

/// The summary of a stored record, folded from its document: used once, when
/// a database older than the projections is upgraded.
pub(crate) fn summary_of_stored(id: &str, kind: DocKind, snapshot: &[u8]) -> Result<Option<Summary>> {
    let unreadable = |e: paicha_core::error::DocError| StorageError::Corrupt(format!("stored record {id}: {e}"));
    let mut doc = paicha_core::doc::RecordDoc::empty(id, &[0; 16]);
    doc.apply(snapshot).map_err(unreadable)?;
    Ok(match kind {
        DocKind::Hazard => {
            let events = doc.events().map_err(unreadable)?;
            paicha_core::hazard::fold(id, &events).map(|h| Summary::Hazard(HazardSummary::of(&h)))
        }
        DocKind::Inspection => Some(Summary::Inspection(InspectionSummary::of(&doc.inspection().map_err(unreadable)?))),
        DocKind::Order => Some(Summary::Order(paicha_core::summary::OrderSummary {
            order: doc.body().map_err(unreadable)?,
            void: doc.void().map_err(unreadable)?,
        })),
        DocKind::ReviewOpinion => Some(Summary::ReviewOpinion(doc.body().map_err(unreadable)?)),
    })
}

/// A refused upload to keep for a district admin.
#[derive(Debug, Clone, Copy)]
pub struct NewQuarantine<'a> {
    /// Device.
    pub device_id: &'a str,
    /// User.
    pub user_id: &'a str,
    /// Record.
    pub doc_id: &'a str,
    /// Kind as uploaded (may be one this server does not know).
    pub kind: &'a str,
    /// Rule or check.
    pub rule: &'a str,
    /// Why.
    pub message: &'a str,
    /// The refused changes.
    pub data: &'a [u8],
    /// When.
    pub received_at: Timestamp,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Position in the log.
    pub seq: u64,
    /// Record.
    pub doc_id: String,
    /// Kind.
    pub kind: DocKind,
    /// Changes.
    pub data: Vec<u8>,
    /// Heads of the document after this entry.
    pub heads: Vec<String>,
}

/// What the sync protocol and the operator's commands need from storage.
///
/// # Concurrency contract
///
/// Every backend keeps these two promises, whatever number of threads (and,
/// for PostgreSQL, server processes) call it at once; the conformance suite
/// checks both with concurrent writers and readers.
///
/// 1. **A write of one record is atomic with respect to every other writer
///    of that record.** [`Storage::store_accepted`] writes all its records,
///    their change-log entries, receipts and photo references in one
///    transaction, and only if every record's stored heads are still the
///    [`AcceptedWrite::base_heads`] the caller validated against (compare and
///    swap); otherwise nothing is written and the call fails with
///    [`StorageError::Conflict`], and the caller reads the record again,
///    validates again and retries. A lost update (two writers appending to
///    the same old snapshot, one overwriting the other) is thus impossible.
///    SQLite: one connection, `BEGIN IMMEDIATE` (one writer at a time).
///    PostgreSQL: the heads are read with `SELECT ... FOR UPDATE` inside the
///    writing transaction.
/// 2. **A reader's change-log cursor never skips a change.**
///    [`Storage::changes_since`] returns entries in sequence order, and once
///    it has returned (or reported as the log's end) a sequence number `n`,
///    no change with a number at or below `n` is committed later: sequence
///    numbers become visible in the order they were handed out. SQLite gets
///    this from its single writer. PostgreSQL hands sequence numbers out
///    under a transaction-level advisory lock that every change-log writer
///    takes before its first insert and holds until it commits, so log
///    writers commit one after the other in sequence order, and a reader
///    reads the end of the log and the page in one snapshot
///    (`REPEATABLE READ`). See docs/adr/0008-server-storage-contract.md for
///    why this and not "only entries below the smallest in-flight sequence".
///
/// Everything else is a single statement or one short transaction; the
/// reference-data version moves forward with every registry write.
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
    /// Registers a device for a user with a hashed one-time enrollment code;
    /// issuing a new code before enrollment replaces the old one. A device
    /// already enrolled or revoked is a [`StorageError::Conflict`].
    fn add_device(&self, device_id: &str, user_id: &str, code_hash: &str, now: Timestamp) -> Result<()>;
    /// Uses an enrollment code: binds the actor and stores the token hash.
    fn enroll(
        &self,
        code_hash: &str,
        device_id: &str,
        actor: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Enrollment>;
    /// The device holding a token.
    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>>;
    /// Revokes a device; false if it is unknown or already revoked.
    fn revoke(&self, device_id: &str, now: Timestamp) -> Result<bool>;
    /// All devices, by id.
    fn devices(&self) -> Result<Vec<Device>>;
    /// A stored document.
    fn document(&self, id: &str) -> Result<Option<StoredDoc>>;
    /// A stored inspection (None: no inspection of that id is stored here).
    fn inspection(&self, id: &str) -> Result<Option<Inspection>> {
        let Some(doc) = stored_record(self, id, DocKind::Inspection)? else { return Ok(None) };
        Ok(Some(doc.inspection().map_err(|e| StorageError::Corrupt(format!("stored inspection {id}: {e}")))?))
    }
    /// Stores the accepted uploads of one request durably, in one transaction,
    /// each only if its record still has its `base_heads` (see the contract).
    fn store_accepted(&self, writes: &[AcceptedWrite<'_>], device_id: &str, now: Timestamp) -> Result<()>;
    /// Keeps a refused upload.
    fn quarantine(&self, q: &NewQuarantine<'_>) -> Result<()>;
    /// Everything in quarantine, oldest first.
    fn quarantined(&self) -> Result<Vec<Quarantined>>;
    /// Change-log entries after `cursor` in `person`'s scope, not made by
    /// `device_id`, at most `limit`, in sequence order; and the log's end
    /// (its highest sequence number, in scope or not), read in the same
    /// snapshot.
    fn changes_since(&self, person: &Person, device_id: &str, cursor: u64, limit: u32) -> Result<(Vec<LogEntry>, u64)>;
    /// Events flagged for clock skew (R10): (event id, device, device time, received).
    fn skewed(&self) -> Result<Vec<(String, String, i64, i64)>>;
    /// Whether a record in `person`'s scope refers to the photo.
    fn photo_in_scope(&self, sha256: &str, person: &Person) -> Result<bool>;
    /// Every (record, photo) reference, for finding photos that have not arrived.
    fn photo_refs(&self) -> Result<Vec<(String, String)>>;
    /// Receipt times of a document's events: (event id, ms), by event id.
    fn receipts_for(&self, doc_id: &str) -> Result<Vec<(String, i64)>>;
    /// Receipt times of the events of several documents at once (a page of
    /// a download): (record, event id, ms), by record then event id.
    fn receipts_for_docs(&self, doc_ids: &[String]) -> Result<Vec<(String, String, i64)>>;
    /// The township an enterprise of the registry is in.
    fn enterprise_township(&self, credit_code: &str) -> Result<Option<String>>;
    /// Summaries of stored records (the projections written with them): what
    /// lists, queues, boards and statistics read, without loading a document.
    fn summaries(&self, q: &SummaryQuery<'_>) -> Result<Vec<Summary>>;
    /// A published template version (R3).
    fn template(&self, id: &str, version: u32) -> Result<Option<Template>>;
    /// Publishes a template version: true if new, false if that version is
    /// already published with the same content; other content is a
    /// [`StorageError::Conflict`] (R3), an invalid template
    /// [`StorageError::Invalid`].
    fn put_template(&self, t: &Template) -> Result<bool>;

    // --- web console accounts and sessions ---

    /// Sets (or replaces) the console password of a person of the registry,
    /// as a PHC string (argon2id, never the password itself), and ends every
    /// console session of that person: a new password shuts out whoever had
    /// the old one. An unknown person is [`StorageError::Invalid`].
    fn set_console_password(&self, person_id: &str, phc: &str, now: Timestamp) -> Result<()>;
    /// The stored password hash (PHC string) of a person, if one was set.
    fn console_password(&self, person_id: &str) -> Result<Option<String>>;
    /// Failed sign-ins recorded for a login name (any name typed, known or
    /// not, so that lockout does not tell whether an account exists).
    fn login_failures(&self, login: &str) -> Result<Option<LoginFailures>>;
    /// Counts one more failed sign-in for `login`, atomically (two server
    /// processes counting at once both count), and answers the new state.
    /// Entries of other names whose last failure is older than `forget_before`
    /// are removed in passing, so names typed once do not pile up.
    fn record_login_failure(&self, login: &str, now: Timestamp, forget_before: Timestamp) -> Result<LoginFailures>;
    /// Forgets the failures of `login` (after a successful sign-in).
    fn clear_login_failures(&self, login: &str) -> Result<()>;
    /// Stores a new console session (its id only as a hash). A session id
    /// already stored is a [`StorageError::Conflict`], an unknown person
    /// [`StorageError::Invalid`].
    fn create_console_session(&self, s: &ConsoleSession) -> Result<()>;
    /// The session whose id hashes to `id_hash`, whether or not it has
    /// expired (the caller decides on its clock).
    fn console_session(&self, id_hash: &str) -> Result<Option<ConsoleSession>>;
    /// Records that the session was used at `now` (idle timeout); false if
    /// it does not exist (any more).
    fn touch_console_session(&self, id_hash: &str, now: Timestamp) -> Result<bool>;
    /// Ends a session: false if it did not exist.
    fn delete_console_session(&self, id_hash: &str) -> Result<bool>;
    /// Removes sessions that expired before `now` or were idle since before
    /// `idle_before`; answers how many.
    fn delete_stale_console_sessions(&self, now: Timestamp, idle_before: Timestamp) -> Result<u64>;

    // --- web console actions ---

    /// The device of `person_id`'s web console (`device_id`, e.g.
    /// `web-<person>`), on which the console authors that person's actions:
    /// created on first use with `actor` (hex) bound to it as a tablet's
    /// actor is bound at enrollment, and no token (it cannot sync); later
    /// calls answer the stored device with its own actor, or its revocation,
    /// and ignore `actor`. A device of that id that belongs to another person
    /// or waits for a tablet's enrollment is a [`StorageError::Conflict`]; an
    /// unknown person [`StorageError::Invalid`].
    fn web_device(&self, device_id: &str, person_id: &str, actor: &str, now: Timestamp) -> Result<Device>;

    // --- R10's notices (reminders and escalations) ---

    /// Stores a notice and a pending delivery per outlet of
    /// `notice.deliveries`, unless a notice of that key is stored already:
    /// each step of the ladder is sent once per hidden danger, even with
    /// several server processes computing notices at once. True if it was
    /// new, false if nothing changed.
    fn insert_notice(&self, notice: &Notice) -> Result<bool>;
    /// Notices with their deliveries, newest first, at most `limit`: of one
    /// township (a supervisor's view, R2), or all (`None`).
    fn notices(&self, township: Option<&str>, limit: usize) -> Result<Vec<Notice>>;
    /// Notices with a delivery not yet made whose next attempt is due at
    /// `now`, oldest first, at most `limit` (deliveries made are in them too:
    /// the caller picks the due ones).
    fn due_notice_deliveries(&self, now: Timestamp, limit: usize) -> Result<Vec<Notice>>;
    /// Takes a due delivery for one attempt: moves its next attempt to
    /// `lease_until` if it is still undelivered and due at `now`, so that
    /// another server process does not send it at the same time. False when
    /// another took it or it was delivered.
    fn claim_notice_delivery(&self, key: &str, outlet: &str, now: Timestamp, lease_until: Timestamp) -> Result<bool>;
    /// Records one attempt at `now`: delivered (`Ok`), or failed with its
    /// error, to be tried again from `retry_at` (never dropped).
    fn finish_notice_delivery(
        &self,
        key: &str,
        outlet: &str,
        now: Timestamp,
        outcome: std::result::Result<(), String>,
        retry_at: Timestamp,
    ) -> Result<()>;

    // --- random inspection plans (双随机一公开, R16) ---

    /// Stores a plan, once: the plan must check out ([`planning::verify`],
    /// otherwise [`StorageError::Invalid`]), and a plan id already stored is a
    /// [`StorageError::Conflict`], whatever the content; a stored plan is never
    /// overwritten (R16: stored unchangeably).
    fn insert_plan(&self, plan: &StoredPlan) -> Result<()>;
    /// A stored plan, checked again as it is read: a row changed behind the
    /// server's back is [`StorageError::Corrupt`] naming the plan.
    fn plan(&self, id: &str) -> Result<Option<StoredPlan>>;
    /// Every stored plan, newest first, each checked as [`Storage::plan`] does.
    fn plans(&self) -> Result<Vec<StoredPlan>>;
}

/// What [`Storage::web_device`] makes of the stored row of `device_id`.
pub(crate) fn web_device_of(device_id: &str, person_id: &str, d: Device) -> Result<Device> {
    if d.user_id != person_id {
        return Err(StorageError::Conflict(format!("device {device_id} belongs to another person")));
    }
    if d.actor.is_none() {
        return Err(StorageError::Conflict(format!("device {device_id} is a tablet waiting for enrollment")));
    }
    Ok(d)
}

/// Failed console sign-ins for one login name: how many in a row, the last when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    /// Failures since the last successful sign-in (or since they were forgotten).
    pub count: u32,
    /// When the last one happened.
    pub last_at: Timestamp,
}

/// A notice of R10's ladder for one hidden danger: made once per step
/// (`key`), kept with its deliveries so that the console and operators see
/// what was sent where and what still fails.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// `<hidden danger id>/<step>`: what makes it sent once.
    pub key: String,
    /// The hidden danger.
    pub hazard_id: String,
    /// The step ([`paicha_core::hazard::NoticeKind::key`]: `reminder_7`, `township`...).
    pub kind: String,
    /// The hidden danger's township (who may see the notice, R2).
    pub township: String,
    /// The hidden danger as it was when the notice was made (the message's content).
    pub summary: HazardSummary,
    /// When it was made (server clock).
    pub created_at: Timestamp,
    /// One per outlet configured when it was made.
    pub deliveries: Vec<NoticeDelivery>,
}

/// A notice's delivery to one outlet, with its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeDelivery {
    /// The outlet: `email` or `webhook`.
    pub outlet: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// The last failure, if any (kept after a later success, for the record).
    pub last_error: Option<String>,
    /// When it was last tried.
    pub last_attempt_at: Option<Timestamp>,
    /// Not before this instant is it tried (again).
    pub next_attempt_at: Timestamp,
    /// When it was delivered; `None` while pending.
    pub delivered_at: Option<Timestamp>,
}

/// A web console session as stored: the cookie's id only as its SHA-256, so
/// that a copy of the database does not hand out live sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// SHA-256 (hex) of the random session id in the cookie.
    pub id_hash: String,
    /// The signed-in person.
    pub person_id: String,
    /// When it was created (sign-in).
    pub created_at: Timestamp,
    /// When it ends whatever happens (absolute lifetime).
    pub expires_at: Timestamp,
    /// When it was last used (idle timeout).
    pub last_seen: Timestamp,
}

/// The people and enterprises of the registry that `person` sees (R2): an
/// enterprise user sees itself and the officials, not other enterprises'
/// people; enterprises are those in scope.
pub(crate) fn visible_reference(
    person: &Person,
    people: Vec<Person>,
    enterprises: Vec<Enterprise>,
) -> (Vec<Person>, Vec<Enterprise>) {
    let people = people.into_iter().filter(|p| person.sees_person(p)).collect();
    let enterprises = enterprises.into_iter().filter(|e| person.in_scope(&e.credit_code, &e.township)).collect();
    (people, enterprises)
}

/// Parses a JSON column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

/// Serialises a value for a JSON column.
pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Invalid(e.to_string()))
}

/// Parses a stored kind.
/// The stored record `id` as a document, if it is one of `kind` (`None`:
/// absent or of another kind); a snapshot that does not load is
/// [`StorageError::Corrupt`]. The one place records are loaded for reading.
pub fn stored_record(
    storage: &(impl Storage + ?Sized),
    id: &str,
    kind: DocKind,
) -> Result<Option<paicha_core::doc::RecordDoc>> {
    let Some(d) = storage.document(id)? else { return Ok(None) };
    if d.kind != kind {
        return Ok(None);
    }
    let mut doc = paicha_core::doc::RecordDoc::empty(id, &[0; 16]);
    doc.apply(&d.snapshot).map_err(|e| StorageError::Corrupt(format!("stored {kind} {id}: {e}")))?;
    Ok(Some(doc))
}

pub(crate) fn stored_kind(doc_id: &str, kind: &str) -> Result<DocKind> {
    DocKind::parse(kind).map_err(|e| StorageError::Corrupt(format!("stored record {doc_id}: {e}")))
}

/// Whether stored heads (JSON) are the heads a write was based on.
pub(crate) fn same_heads(stored: &[String], base: &[String]) -> bool {
    let mut a = stored.to_vec();
    let mut b = base.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// The conflict of a compare-and-swap that found other heads.
pub(crate) fn moved(doc_id: &str) -> StorageError {
    StorageError::Conflict(format!("record {doc_id} was written by another request since it was read; retry"))
}

/// The refusal of a template version published with other content (R3).
pub(crate) fn template_conflict(t: &Template) -> StorageError {
    StorageError::Conflict(format!(
        "template {} v{} is published with other content; publish a new version (R3)",
        t.id, t.version
    ))
}

/// The bundled checklist templates, parsed: (id, version, text as shipped).
pub(crate) fn bundled_templates() -> Result<Vec<(String, u32, &'static str)>> {
    paicha_core::template::bundled()
        .into_iter()
        .map(|(file, text)| {
            let t: Template = serde_json::from_str(text)
                .map_err(|e| StorageError::Invalid(format!("bundled template {file}: {e}")))?;
            Ok((t.id, t.version, text))
        })
        .collect()
}

/// A random inspection plan as the server stores it (R16): the plan with its
/// inputs, seed and hashes, who stored it and when. Written once, never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPlan {
    /// The plan (its id is `plan.inputs.plan_id`).
    pub plan: Plan,
    /// Who stored it (a person id, or the operator's name).
    pub created_by: String,
    /// When it was stored (server clock).
    pub created_at: Timestamp,
}

impl StoredPlan {
    /// The plan's id.
    pub fn id(&self) -> &str {
        &self.plan.inputs.plan_id
    }
}

/// The columns of a `plans` row: the plan and its inputs as canonical JSON,
/// and the fields lists show, copied out of it.
pub(crate) struct PlanRow {
    pub id: String,
    pub title: String,
    pub seed: String,
    pub inputs: String,
    pub plan: String,
    pub inputs_sha256: String,
    pub plan_sha256: String,
    pub created_by: String,
    pub created_at: i64,
}

fn canonical_text<T: Serialize>(what: &str, v: &T) -> Result<String> {
    let bytes = planning::canonical_json(v).map_err(|e| StorageError::Invalid(format!("{what}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| StorageError::Invalid(format!("{what}: {e}")))
}

impl PlanRow {
    /// The row of a plan to store; a plan that does not check out is refused.
    pub(crate) fn of(p: &StoredPlan) -> Result<PlanRow> {
        let id = p.id();
        planning::verify(&p.plan).map_err(|e| StorageError::Invalid(format!("plan {id}: {e}")))?;
        if p.created_by.trim().is_empty() {
            return Err(StorageError::Invalid(format!("plan {id}: who stores it is not given")));
        }
        let i = &p.plan.inputs;
        Ok(PlanRow {
            id: id.to_string(),
            title: i.title.clone(),
            seed: i.seed.clone(),
            inputs: canonical_text(&format!("plan {id}"), i)?,
            plan: canonical_text(&format!("plan {id}"), &p.plan)?,
            inputs_sha256: p.plan.inputs_sha256.clone(),
            plan_sha256: p.plan.plan_sha256.clone(),
            created_by: p.created_by.clone(),
            created_at: p.created_at.0,
        })
    }

    /// The stored plan of a row read back: the plan JSON must check out
    /// ([`planning::verify`]) and every column must say what the plan says;
    /// anything else is [`StorageError::Corrupt`] naming the plan.
    pub(crate) fn into_stored(self) -> Result<StoredPlan> {
        let id = self.id.clone();
        let corrupt = |what: String| StorageError::Corrupt(format!("stored plan {id}: {what}"));
        let plan: Plan = serde_json::from_str(&self.plan).map_err(|e| corrupt(format!("unreadable plan JSON: {e}")))?;
        planning::verify(&plan).map_err(|e| corrupt(e.to_string()))?;
        let inputs = canonical_text("stored plan", &plan.inputs).map_err(|e| corrupt(e.to_string()))?;
        let columns = [
            ("id", self.id.as_str(), plan.inputs.plan_id.as_str()),
            ("title", self.title.as_str(), plan.inputs.title.as_str()),
            ("seed", self.seed.as_str(), plan.inputs.seed.as_str()),
            ("inputs", self.inputs.as_str(), inputs.as_str()),
            ("inputs_sha256", self.inputs_sha256.as_str(), plan.inputs_sha256.as_str()),
            ("plan_sha256", self.plan_sha256.as_str(), plan.plan_sha256.as_str()),
        ];
        for (column, stored, in_plan) in columns {
            if stored != in_plan {
                return Err(corrupt(format!("column {column} differs from the stored plan (R16: it was changed)")));
            }
        }
        Ok(StoredPlan { plan, created_by: self.created_by, created_at: Timestamp(self.created_at) })
    }
}

/// The refusal of a plan id stored already (R16: never overwritten).
pub(crate) fn plan_exists(id: &str) -> StorageError {
    StorageError::Conflict(format!(
        "R16: plan {id} is already stored and a stored plan never changes; give a new plan another plan_id"
    ))
}
