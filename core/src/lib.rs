//! # paicha-core
//!
//! The shared core of paicha: the domain of hidden-danger inspection and the
//! 30-day rectification loop (docs/rules.md), records as Automerge documents,
//! and the sync protocol. No I/O: the tablet's store (`paicha-store`) and the
//! sync server (`paicha-server`) both build on it and run the same rules.
//!
//! Layers, from the inside out:
//! - pure domain, no I/O: [`time`], [`credit_code`], [`people`], [`enterprise`],
//!   [`policy`], [`template`], [`inspection`], [`hazard`] (records as a fold of
//!   events), [`workflow`] (the rule function), [`stats`], [`planning`]
//!   (random inspection plans, R16, and the routine inspection due list);
//! - recording an action: [`actions`] (what to append, or the rule broken),
//!   used by the tablet store before it writes;
//! - rules shared by tablet and server: [`reporting`] (what a report may
//!   claim, R4/R13/§1), the checks in [`inspection`] and [`workflow`];
//! - documents: [`kinds`] (the registry of record kinds), [`doc`] maps records
//!   to Automerge documents;
//! - protocol: [`sync`] (the wire format and the server's upload validation).
//!
//! A hidden danger is a list of immutable events; its state is a deterministic
//! fold over them, so replicas that merged the same events agree (R14):
//!
//! ```
//! use paicha_core::hazard::{fold, next_event, Action};
//! let events = vec![];
//! assert!(fold("h1", &events).is_none()); // nothing reported yet
//! # let _ = (next_event, std::mem::size_of::<Action>());
//! ```

pub mod actions;
pub mod credit_code;
pub mod demo;
pub mod doc;
pub mod documents;
pub mod enterprise;
pub mod error;
pub mod hazard;
pub mod inspection;
pub mod kinds;
pub mod people;
pub mod photo;
pub mod planning;
pub mod policy;
pub mod reporting;
pub mod stats;
pub mod summary;
pub mod sync;
pub mod template;
pub mod time;
pub mod workflow;

pub use error::{DocError, RuleError};
