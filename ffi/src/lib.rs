//! # paicha-ffi
//!
//! The paicha core for app developers, through uniffi: Kotlin (Android),
//! Swift (iOS) and Python (our tests). The API is shaped for an offline
//! inspection app, not a mirror of the internals:
//!
//! - [`PaichaStore`] is a thread-safe handle on a tablet's store, acting as
//!   its signed-in user ([`PaichaStore::enroll`] or [`PaichaStore::set_user`]);
//! - records cross as plain values ([`HazardSummary`], [`HazardDetail`]...),
//!   and every closed set of the domain as an enum ([`AnswerValue`] checked
//!   against the item's [`AnswerKind`], [`InspectionSource`], [`Decision`],
//!   [`StatsGroupBy`], [`ListingLevel`]...);
//! - what the user sees is their scope (R2): [`PaichaStore::scope`],
//!   [`PaichaStore::enterprises`], [`PaichaStore::people`];
//! - errors cross as one small flat enum, [`PaichaError`], whose variants an
//!   app can act on and whose message is the sentence to show (no names or
//!   contact data);
//! - sync reports progress to a foreign [`SyncProgressListener`], can be
//!   cancelled with a [`CancelToken`], and tells [`RecordChangeListener`]s
//!   which records changed; the store holds a listener until its
//!   [`Subscription`] is unsubscribed;
//! - enforcement documents (§4, R15): [`PaichaStore::issue_order`] numbers
//!   an order offline in the tablet's own sequence,
//!   [`PaichaStore::issue_opinion`] cites it, [`PaichaStore::number_sequences`]
//!   explains every number, and [`PaichaStore::order_pdf`] and its siblings
//!   print to a file the app names, in a font the app names.
//!
//! **Threading.** Every method of [`PaichaStore`] blocks on the disk, and
//! [`PaichaStore::sync`] and [`PaichaStore::enroll`] on the network: call
//! them off the UI thread. The handle may be shared between threads.

mod convert;
mod documents;
mod error;
mod store;

pub use convert::*;
pub use documents::*;
pub use error::PaichaError;
pub use store::{CancelToken, PaichaStore, RecordChangeListener, Subscription, SyncProgressListener};

uniffi::setup_scaffolding!();
