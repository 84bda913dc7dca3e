//! The tablet store's boundary error: a caller (the command line, the
//! bindings) matches on its variants (not found, forbidden by a rule,
//! invalid input, storage, network) without parsing messages.

pub use paicha_core::error::{DocError, RuleError};
use std::path::PathBuf;

/// Everything that can go wrong at the store's boundary.
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
    /// A document could not be printed (the font is missing or unusable).
    #[error(transparent)]
    Print(#[from] paicha_pdf::PdfError),
    /// The store is encrypted and no key was given: nothing was touched.
    #[error("store {0} is encrypted: open it with its key")]
    KeyRequired(PathBuf),
    /// The key given is not this store's key: nothing was moved or deleted.
    #[error("store {0} is encrypted with another key: the key given does not open it (nothing was changed)")]
    WrongKey(PathBuf),
    /// A key was given for an unencrypted store, or an unencrypted store
    /// was asked to keep a device token.
    #[error("store {0} is not encrypted: {1}")]
    NotEncrypted(PathBuf, &'static str),
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

/// The store's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<DocError> for Error {
    fn from(e: DocError) -> Error {
        Error::Document { id: e.id, detail: e.detail }
    }
}
