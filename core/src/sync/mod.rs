//! Sync between tablets and the server (docs/adr/0005).
//!
//! Pure protocol code, with HTTP only at the edge:
//! - [`wire`]: the messages and their versioned, compressed encoding;
//! - [`validate`]: what the server checks on every uploaded document, with the
//!   same rule function the tablet used;
//! - the tablet side (which documents to upload, applying downloads, the
//!   blocking HTTP client) lives in the `paicha-store` crate.
//!
//! One request per round trip carries both directions: the tablet's new
//! changes of many documents, and its cursor in the server's change log; the
//! answer carries acknowledgements or refusals per document and the next
//! page of changes in the tablet's scope. Retrying a request is harmless:
//! Automerge changes are content-addressed, so a change sent twice is stored
//! once, and the cursor only moves once a page is stored.

pub mod validate;
pub mod wire;
