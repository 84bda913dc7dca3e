//! Why a plan cannot be made or does not check out.

use thiserror::Error;

/// Everything that makes [`generate`](super::generate) refuse its inputs or
/// [`verify`](super::verify) reject a stored plan. Each message names the
/// field, target or inspector that is wrong, so that the person who prepared
/// the registers can fix them; messages start with `R16:` like the other rule
/// messages of paicha (docs/rules.md).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// The inputs file is not valid JSON or has an unknown or missing field
    /// (for example a risk colour that is not red, orange, yellow or blue).
    #[error("R16: plan inputs cannot be read: {0}")]
    Parse(String),
    /// A required text field is empty or only white space.
    #[error("R16: {field} is empty")]
    Empty {
        /// Which field.
        field: String,
    },
    /// A text field contains a control character (tab, newline...), which
    /// would make the published file and the hashes ambiguous.
    #[error("R16: {field} contains a control character")]
    ControlCharacter {
        /// Which field.
        field: String,
    },
    /// The seed has white space at either end, which is easily lost when it
    /// is copied from a publication, and would then give another plan.
    #[error("R16: the seed has white space at its start or end; publish it without")]
    SeedWhitespace,
    /// The period ends before it starts.
    #[error("R16: the period ends ({end}) before it starts ({start})")]
    PeriodReversed {
        /// First day.
        start: String,
        /// Last day.
        end: String,
    },
    /// A credit code in the register fails GB 32100 or is not in normal form.
    #[error("R16: {field}: {reason}")]
    BadCreditCode {
        /// Where the code is (target or inspector's conflict list).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The same credit code twice in the register of targets.
    #[error("R16: enterprise {credit_code} is in the register of targets twice")]
    DuplicateTarget {
        /// The repeated code.
        credit_code: String,
    },
    /// The same person id twice in the register of inspectors.
    #[error("R16: inspector {person_id} is in the register of inspectors twice")]
    DuplicateInspector {
        /// The repeated id.
        person_id: String,
    },
    /// Two inspectors with the same certificate number.
    #[error("R16: inspectors {first} and {second} have the same certificate number {certificate_no}")]
    DuplicateCertificate {
        /// The repeated certificate number.
        certificate_no: String,
        /// The first inspector holding it.
        first: String,
        /// The second inspector holding it.
        second: String,
    },
    /// The register of targets is empty.
    #[error("R16: the register of targets is empty")]
    NoTargets,
    /// A sampling ratio above 1000‰ (100%).
    #[error("R16: the sampling ratio of {colour} is {permille}‰, more than 1000‰ (100%)")]
    RatioTooHigh {
        /// The colour.
        colour: String,
        /// The ratio given.
        permille: u32,
    },
    /// Teams of fewer than two inspectors are not allowed (§1: always two).
    #[error("R16: team size {0} is less than 2; an enforcement inspection needs at least two inspectors")]
    TeamTooSmall(u32),
    /// The register has fewer inspectors than one team needs.
    #[error("R16: team size {team_size} but the register has only {inspectors} inspectors")]
    TooFewInspectors {
        /// Team size asked for.
        team_size: u32,
        /// Inspectors in the register.
        inspectors: usize,
    },
    /// The ratios select no enterprise at all.
    #[error("R16: the sampling ratios select no enterprise from the register")]
    NothingSelected,
    /// After recusals, a selected enterprise has fewer eligible inspectors
    /// than a team needs; the plan is refused rather than given a smaller team.
    #[error(
        "R16: enterprise {credit_code} ({name}) has only {eligible} inspectors without a conflict of interest, \
         a team needs {team_size}"
    )]
    NotEnoughEligible {
        /// The enterprise.
        credit_code: String,
        /// Its name.
        name: String,
        /// Inspectors not recused for it.
        eligible: usize,
        /// Team size.
        team_size: u32,
    },
    /// A stored plan names an algorithm this version does not know.
    #[error("R16: the plan uses algorithm '{0}', this version of paicha knows only '{ALGORITHM}'", ALGORITHM = super::ALGORITHM)]
    UnknownAlgorithm(String),
    /// The stored inputs hash does not match the stored inputs.
    #[error("R16: the plan's inputs have changed: stored inputs_sha256 {stored}, inputs hash to {computed}")]
    InputsHashMismatch {
        /// As stored.
        stored: String,
        /// As computed now.
        computed: String,
    },
    /// Regenerating the plan from its inputs gives other selections.
    #[error("R16: the plan's selections differ from what its inputs and seed give, first at entry {seq}")]
    SelectionsDiffer {
        /// 1-based number of the first differing entry.
        seq: usize,
    },
    /// The stored plan hash does not match the stored plan.
    #[error("R16: the plan has changed: stored plan_sha256 {stored}, plan hashes to {computed}")]
    PlanHashMismatch {
        /// As stored.
        stored: String,
        /// As computed now.
        computed: String,
    },
    /// Serialising for a hash failed (cannot happen with these types; kept
    /// so that no code path panics).
    #[error("R16: cannot serialise the plan: {0}")]
    Serialise(String),
}
