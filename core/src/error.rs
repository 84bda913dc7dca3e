//! The errors of the core crate.
//!
//! [`RuleError`] is what the pure rule functions return: the rule number of
//! docs/rules.md and a sentence a person can act on. [`DocError`] is a record
//! whose document cannot be read or changed. The tablet store
//! (`paicha-store`) and the server map both into their own boundary errors.

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

/// A record's Automerge document could not be read or changed: bytes that
/// are not Automerge, a value of the wrong type, JSON that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document {id}: {detail}")]
pub struct DocError {
    /// The record's id.
    pub id: String,
    /// What is wrong.
    pub detail: String,
}
