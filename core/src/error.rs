//! The errors of the core crate.
//!
//! [`RuleError`] is what the pure rule function returns: the rule number of
//! domain.md and a sentence a person can act on. [`Error`] is the crate
//! boundary: a caller matches on its variants (not found, forbidden by a rule,
//! invalid input, storage) without parsing messages.

use std::path::PathBuf;

/// A rule of domain.md that an action breaks, for example
/// `R8: only a supervisor of township 玉山镇 may review`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct RuleError {
    /// The rule's number in domain.md (`R1`..`R16`).
    pub rule: &'static str,
    /// What is wrong, naming the people, states or dates involved.
    pub message: String,
}

impl RuleError {
    /// A rule error for `rule` with `message`.
    pub fn new(rule: &'static str, message: impl Into<String>) -> RuleError {
        RuleError { rule, message: message.into() }
    }
}

/// Everything that can go wrong at the core crate's boundary.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The action breaks a rule of the domain; nothing was stored.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// Input is malformed; `field` names what is wrong.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or input that is wrong.
        field: String,
        /// Why.
        reason: String,
    },
    /// A record that was asked for does not exist in this store.
    #[error("{kind} '{id}' not found")]
    NotFound {
        /// What kind of record (hidden danger, enterprise, template...).
        kind: &'static str,
        /// The id that was asked for.
        id: String,
    },
    /// A photo file is missing, unreadable or not what it claims to be.
    #[error("photo {what}: {problem}")]
    Photo {
        /// The path or hash of the photo.
        what: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The store was written by a newer paicha; it is left untouched.
    #[error(
        "store {path} has schema version {found}, newer than this paicha understands ({supported}); upgrade paicha"
    )]
    SchemaTooNew {
        /// Database path.
        path: PathBuf,
        /// Version found on disk.
        found: i64,
        /// Newest version this code knows.
        supported: i64,
    },
    /// The database file is damaged. It was moved aside, never deleted, since it
    /// may hold the only copy of offline work.
    #[error("store {path} is corrupt ({detail}); it was moved to {moved_to} and kept for recovery; create a new store and sync")]
    Corrupt {
        /// Where the database was.
        path: PathBuf,
        /// Where it is now.
        moved_to: PathBuf,
        /// SQLite's description of the damage.
        detail: String,
    },
    /// No store exists at the path.
    #[error("no paicha store at {0}; create one first (paicha init)")]
    NoStore(PathBuf),
    /// A store already exists at the path.
    #[error("a paicha store already exists at {0}")]
    StoreExists(PathBuf),
    /// The server could not be reached or the connection broke; trying again later may work.
    #[error("network: {detail}")]
    Network {
        /// What happened.
        detail: String,
    },
    /// The server answered with an error.
    #[error("server refused the request ({status}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The sync was cancelled by the caller; what was stored so far is kept.
    #[error("sync cancelled")]
    Cancelled,
    /// A sync message could not be understood (or is of another protocol version).
    #[error("sync protocol: {0}")]
    Protocol(String),
    /// The store is not enrolled with a sync server yet.
    #[error("this store is not enrolled with a sync server; run paicha enroll --server URL --code CODE")]
    NotEnrolled,
    /// SQLite failed.
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A stored document could not be read or changed.
    #[error("document {id}: {detail}")]
    Document {
        /// The document's id.
        id: String,
        /// What went wrong.
        detail: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    /// An [`Error::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Invalid { field: field.into(), reason: reason.into() }
    }

    /// An [`Error::NotFound`].
    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Error {
        Error::NotFound { kind, id: id.into() }
    }
}

/// The core crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
