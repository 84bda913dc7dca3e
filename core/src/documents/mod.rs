//! Enforcement documents (§4): the rectification order (责令限期整改指令书)
//! and the review opinion (整改复查意见书). Each is a record of its own, an
//! Automerge document whose `body` is written once, synced and validated
//! like hidden dangers and inspections, and printed as a PDF.
//!
//! - [`number`]: document numbers, unique per office and year even when
//!   offline tablets issue orders on the same day, and the report that
//!   explains every gap in a sequence (R15, docs/adr/0011);
//! - [`order`]: the order, how a tablet drafts it and what it must hold;
//! - [`opinion`]: the review opinion, which exists only after its order and
//!   cites its number.
//!
//! The same check functions run on the tablet before it writes and on the
//! server on every upload ([`crate::sync::validate`]).

pub mod number;
pub mod opinion;
pub mod order;

pub use number::{sequence_report, DocumentNumber, IssuedNumber, NumberState, SeriesReport};
pub use opinion::{check_opinion, HazardOpinion, ReviewOpinion};
pub use order::{check_order, check_void, draft_order, OrderDraft, OrderVoid, OrderedHazard, RectificationOrder};

use crate::error::RuleError;
use crate::photo::PhotoRef;
use crate::policy::{Office, Policy};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Days an enterprise has to apply for administrative reconsideration
/// (行政复议法 art. 20), printed on every order.
pub const RECONSIDERATION_DAYS: u32 = 60;
/// Months an enterprise has to bring an administrative suit (行政诉讼法
/// art. 46), printed on every order.
pub const LITIGATION_MONTHS: u32 = 6;

/// The office that issues documents for enterprises of `township` on `day`,
/// with `{township}` replaced: the township's own entry of the policy in
/// force, else the `*` entry. No office configured is an error, never a
/// made-up name on a legal document.
pub fn office_for(policy: &Policy, township: &str, day: NaiveDate) -> Result<Office, RuleError> {
    let version = policy.at(day);
    let office = version
        .offices
        .iter()
        .find(|o| o.township == township)
        .or_else(|| version.offices.iter().find(|o| o.township == "*"))
        .ok_or_else(|| {
            RuleError::new(
                "§4",
                format!(
                    "no issuing office is configured for {township} in the policy from {}; add one under offices",
                    version.effective_from
                ),
            )
        })?;
    let fill = |s: &str| s.replace("{township}", township);
    Ok(Office {
        township: township.to_string(),
        name: fill(&office.name),
        number_prefix: fill(&office.number_prefix),
        reconsideration_government: fill(&office.reconsideration_government),
        court: fill(&office.court),
    })
}

/// Who signed a document, in which capacity, and the image of the
/// signature captured on the tablet (a photo with role `document`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// The capacity in which they signed.
    pub capacity: SignerCapacity,
    /// The person's id for inspectors and reviewers; the representative's
    /// name as they wrote it for the enterprise.
    pub signer: String,
    /// The captured signature image.
    pub image: PhotoRef,
}

/// The capacity of a signature on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerCapacity {
    /// One of the issuing inspectors (执法人员).
    Inspector,
    /// The supervisor who reviewed (复查人员).
    Reviewer,
    /// The enterprise's representative (被检查单位负责人).
    EnterpriseRepresentative,
}

impl SignerCapacity {
    /// The label printed beside the signature.
    pub fn label(self) -> &'static str {
        match self {
            SignerCapacity::Inspector => "执法人员",
            SignerCapacity::Reviewer => "复查人员",
            SignerCapacity::EnterpriseRepresentative => "被检查单位负责人",
        }
    }
}

/// Checks the signatures of a document: images are document photos, and a
/// signer in a person's capacity is one of `people`.
pub(crate) fn check_signatures(signatures: &[Signature], people: &[&str], what: &str) -> Result<(), RuleError> {
    for s in signatures {
        if s.image.role != crate::photo::PhotoRole::Document {
            return Err(RuleError::new("§4", format!("a signature on {what} must be a document image")));
        }
        if s.signer.trim().is_empty() {
            return Err(RuleError::new("§4", format!("a signature on {what} names no signer")));
        }
        if s.capacity != SignerCapacity::EnterpriseRepresentative && !people.contains(&s.signer.as_str()) {
            return Err(RuleError::new(
                "§4",
                format!("{} signs {what} as {} but is not one of its signers", s.signer, s.capacity.label()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_township_entry_wins_over_the_wildcard_and_placeholders_are_filled() {
        let mut policy = Policy::default();
        let day = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let o = office_for(&policy, "周市镇", day).unwrap();
        assert_eq!(o.name, "周市镇人民政府");
        assert_eq!(o.number_prefix, "周市镇应急责改");
        policy.versions[0].offices.push(Office {
            township: "玉山镇".into(),
            name: "玉山镇安全生产监督管理办公室".into(),
            number_prefix: "玉安监责改".into(),
            reconsideration_government: "昆山市人民政府".into(),
            court: "昆山市人民法院".into(),
        });
        assert_eq!(office_for(&policy, "玉山镇", day).unwrap().number_prefix, "玉安监责改");
        policy.versions[0].offices.clear();
        let e = office_for(&policy, "玉山镇", day).unwrap_err();
        assert_eq!(e.rule, "§4");
        assert!(e.message.contains("no issuing office"), "{e}");
    }
}
