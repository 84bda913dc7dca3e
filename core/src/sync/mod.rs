//! Sync between tablets and the server (docs/adr/0005).
//!
//! Pure protocol code, with HTTP only at the edge:
//! - [`wire`]: the messages and their versioned, compressed encoding;
//! - [`validate`]: what the server checks on every uploaded document, with the
//!   same rule function the tablet used;
//! - the store side (which documents to upload, applying downloads) lives in
//!   [`crate::store`];
//! - [`client`] (feature `http-client`): the blocking HTTP client a tablet runs.
//!
//! One request per round trip carries both directions: the tablet's new
//! changes of many documents, and its cursor in the server's change log; the
//! answer carries acknowledgements or refusals per document and the next
//! page of changes in the tablet's scope. Retrying a request is harmless:
//! Automerge changes are content-addressed, so a change sent twice is stored
//! once, and the cursor only moves once a page is stored.

#[cfg(feature = "http-client")]
pub mod client;
pub mod validate;
pub mod wire;
