//! Planning, pure and without I/O: random inspection plans (双随机一公开, R16)
//! and the list of routine inspections due by risk colour.
//!
//! - [`generate`] draws a plan from [`PlanInputs`] (registers of targets and
//!   inspectors, ratios per colour, team size, published seed) with a
//!   generator anyone can reimplement ([`rng`], docs/planning.md); [`verify`]
//!   checks a stored plan against its inputs and hashes; [`publication_csv`]
//!   writes it for publication. Inspections made from a plan carry the source
//!   [`Source::RandomPlan`](crate::inspection::Source::RandomPlan).
//! - [`due::due_inspections`] lists which enterprises are due for a routine
//!   inspection under the policy's interval for their colour.
//!
//! ```
//! use paicha_core::planning::rng::SeedStream;
//! let mut s = SeedStream::new("paicha-2026");
//! let first = s.next_u64(); // the same on every machine, see docs/planning.md
//! # let _ = first;
//! ```

pub mod due;
mod error;
mod inputs;
mod plan;
mod publish;
pub mod rng;

pub use due::{due_inspections, last_inspected, DueInspection, DueStatus, DUE_SOON_DAYS};
pub use error::PlanError;
pub use inputs::{sample_size, Inspector, PlanInputs, SamplingRatios, Target, COLOUR_ORDER};
pub use plan::{canonical_json, generate, sha256_hex, verify, Plan, Selection, ALGORITHM};
pub use publish::publication_csv;

#[cfg(test)]
mod tests;
