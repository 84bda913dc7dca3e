//! Hidden dangers (事故隐患): the record, the events that change it, and its
//! current state as a fold over those events.
//!
//! A hidden danger is never edited in place. Every decision (report, evidence,
//! review, extension, void...) is an immutable [`Event`] appended to the
//! record; the state a person sees is [`fold`] over all events known. Two
//! replicas that know the same events compute the same state, whatever order
//! the events arrived in, and decisions made concurrently offline are all kept
//! and reported as [`Conflict`]s for a person to look at (R14).
//!
//! Split by job, each module using only those above it:
//! - [`vocabulary`]: levels, kinds, statuses, what a report holds, the
//!   actions a person takes, and the events that carry them;
//! - [`deadlines`]: overdue days and the escalation ladder (R10, R11);
//! - [`state`]: the current state of a record and how one event changes it;
//! - [`fold`](mod@fold): the order every replica applies events in, and the
//!   conflicts between concurrent decisions (R14).
//!
//! The rules themselves live in [`crate::workflow`].

pub mod deadlines;
pub mod fold;
pub mod state;
pub mod vocabulary;

pub use deadlines::{due_notices, escalation, overdue_days, verification_late_days, Escalation, NoticeKind};
pub use fold::{canonical_order, fold};
pub use state::{
    Closure, Conflict, ConflictKind, Decision, Evidence, Extension, ExtensionDecision, Hazard, HistoryEntry,
};
pub use vocabulary::{
    next_event, Action, ClosureKind, Edit, EnterpriseRef, Event, GovernancePlan, Handling, HazardKind, Level,
    ListingLevel, ReportData, Status,
};
