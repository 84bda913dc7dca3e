//! The paicha sync server as a library: the HTTP edge ([`app`]), one sync
//! exchange ([`sync`]), storage behind one contract with two backends,
//! embedded SQLite or PostgreSQL ([`storage`]), photo bytes ([`blobs`]), and
//! the embedded database file's checks and backups ([`dbfile`]), and the
//! web console for people at a desk ([`console`]). The `paicha-server` binary is a thin command line over it,
//! and tests run the router in-process as well as through the binary.
//!
//! Every upload is validated by the same pure rule code the tablets run
//! (`paicha_core::sync::validate`, docs/adr/0006).

pub mod app;
pub mod blobs;
pub mod console;
pub mod dbfile;
pub mod devices;
pub mod error;
pub mod metrics;
pub mod notices;
pub mod object_blobs;
pub mod plans;
pub mod storage;
pub mod sync;
