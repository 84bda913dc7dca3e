//! The server's errors, each with the HTTP status a client acts on.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::storage::StorageError;

/// What can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Missing, unknown or revoked credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// A revoked device.
    #[error("{0}")]
    Forbidden(String),
    /// The request cannot be understood (including another protocol version).
    #[error("{0}")]
    BadRequest(String),
    /// Not here, or not in the caller's scope.
    #[error("{0}")]
    NotFound(String),
    /// The body is larger than the server takes.
    #[error("{0}")]
    TooLarge(String),
    /// The request conflicts with stored state.
    #[error("{0}")]
    Conflict(String),
    /// The database is unreachable or busy; the request can be retried.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else on our side.
    #[error("internal: {0}")]
    Internal(String),
}

impl ServerError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServerError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServerError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServerError::Conflict(_) => StatusCode::CONFLICT,
            ServerError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ServerError::NotFound(_) => StatusCode::NOT_FOUND,
            ServerError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ServerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StorageError> for ServerError {
    /// What storage failed with, as the client should see it: the database
    /// unavailable is 503 (retry), a failure or unreadable data 500, a
    /// conflict with stored state 409, data that cannot be stored 400.
    fn from(e: StorageError) -> ServerError {
        match e {
            StorageError::Unavailable(_) => ServerError::Unavailable(e.to_string()),
            StorageError::Backend(_) | StorageError::Corrupt(_) => ServerError::Internal(format!("storage: {e}")),
            StorageError::Conflict(m) => ServerError::Conflict(m),
            StorageError::Invalid(m) => ServerError::BadRequest(m),
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::info!(error = %self, status = status.as_u16(), "request refused");
        }
        (status, axum::Json(serde_json::json!({ "error": self.to_string() }))).into_response()
    }
}
