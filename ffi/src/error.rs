//! The one error type that crosses the FFI, designed for the app developer:
//! each variant says what the app can do about it.

use paicha_store::Error;

/// What went wrong, in a form an app can act on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum PaichaError {
    /// The record, person or template does not exist on this tablet (yet):
    /// sync, or check the id.
    #[error("not found: {what}")]
    NotFound {
        /// What kind of thing was missing (hidden danger, inspection, template...).
        what: String,
    },
    /// A rule of the domain forbids this for the signed-in user; show `reason`.
    #[error("{rule}: {reason}")]
    Forbidden {
        /// The rule's number (`R8`) for help texts and logs.
        rule: String,
        /// Why, in a sentence.
        reason: String,
    },
    /// An input is wrong; `field` names it, for the form.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The input at fault.
        field: String,
        /// Why.
        reason: String,
    },
    /// The server could not be reached: keep working offline and retry later.
    #[error("network unavailable: {reason}")]
    Network {
        /// Technical detail for logs.
        reason: String,
    },
    /// The server refused the request (revoked device, unknown token, other protocol version).
    #[error("server refused ({status}): {reason}")]
    Server {
        /// HTTP status (0 when the answer could not be read).
        status: u16,
        /// The server's explanation.
        reason: String,
    },
    /// This tablet has not been enrolled with a server, or has no signed-in user.
    #[error("not enrolled: {reason}")]
    NotEnrolled {
        /// What is missing.
        reason: String,
    },
    /// The operation was cancelled; what was stored so far is kept.
    #[error("cancelled")]
    Cancelled,
    /// The local database failed or is damaged (a damaged one is moved aside and kept).
    #[error("storage: {reason}")]
    Storage {
        /// Technical detail for logs.
        reason: String,
    },
}

impl From<Error> for PaichaError {
    fn from(e: Error) -> Self {
        match e {
            Error::Rule(r) => PaichaError::Forbidden { rule: r.rule.to_string(), reason: r.message },
            Error::NotFound { kind, .. } => PaichaError::NotFound { what: kind.to_string() },
            Error::Invalid { field, reason } => PaichaError::InvalidInput { field, reason },
            Error::Photo { problem, .. } => PaichaError::InvalidInput { field: "photo".into(), reason: problem },
            Error::Network { detail } => PaichaError::Network { reason: detail },
            Error::Server { status, message } => PaichaError::Server { status, reason: message },
            Error::Protocol(m) => PaichaError::Server { status: 0, reason: m },
            Error::NotEnrolled => PaichaError::NotEnrolled { reason: "enroll this tablet with a server first".into() },
            Error::Cancelled => PaichaError::Cancelled,
            Error::NoStore(_) => PaichaError::NotFound { what: "store".into() },
            other => PaichaError::Storage { reason: other.to_string() },
        }
    }
}

/// The core's result type turned into the FFI's.
pub type FfiResult<T> = Result<T, PaichaError>;
