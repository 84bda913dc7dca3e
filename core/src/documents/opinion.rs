//! The review opinion (整改复查意见书, §4): a supervisor's opinion on each
//! hidden danger of an order, citing the order's number. It can exist only
//! after its order: the replica checking it must hold the order.

use super::number::DocumentNumber;
use super::order::RectificationOrder;
use super::{check_signatures, Signature};
use crate::error::RuleError;
use crate::hazard::EnterpriseRef;
use crate::people::{Person, Role};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The opinion on one hidden danger of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HazardOpinion {
    /// The hidden danger, one of the order's.
    pub hazard_id: String,
    /// Whether the rectification is accepted (closed, or on to district
    /// verification for a major one) or rejected (back to rectifying).
    pub approve: bool,
    /// The opinion in words.
    pub opinion: String,
}

/// A review opinion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewOpinion {
    /// Stable id created on the device.
    pub id: String,
    /// The order it answers.
    pub order_id: String,
    /// The order's number, cited on the opinion.
    pub order_number: DocumentNumber,
    /// The enterprise.
    pub enterprise: EnterpriseRef,
    /// One opinion per hidden danger reviewed.
    pub opinions: Vec<HazardOpinion>,
    /// The reviewing supervisor.
    pub reviewed_by: Person,
    /// The device it was written on.
    pub device_id: String,
    /// When (device clock).
    pub reviewed_at: Timestamp,
    /// Signatures captured on the tablet (reviewer, enterprise representative).
    #[serde(default)]
    pub signatures: Vec<Signature>,
}

/// The checks every review opinion passes, on the tablet and on the server:
/// the reviewer is a supervisor of the enterprise's township (R8, R2), the
/// order exists here, is in force, and its number is the one cited, and
/// each opinion concerns one of the order's hidden dangers, once.
/// `order` is the order as this replica holds it (`None`: not here), with
/// whether it was voided.
pub fn check_opinion(
    opinion: &ReviewOpinion,
    reviewer: &Person,
    device_id: &str,
    order: Option<(&RectificationOrder, bool)>,
) -> Result<(), RuleError> {
    let rule = |r: &'static str, m: String| Err(RuleError::new(r, m));
    if reviewer.role != Role::Supervisor {
        return rule(
            "R8",
            format!(
                "{} is {}; only a township supervisor writes a review opinion",
                reviewer.id,
                reviewer.role.with_article()
            ),
        );
    }
    if opinion.reviewed_by.id != reviewer.id || opinion.device_id != device_id {
        return rule(
            "R1",
            format!(
                "the opinion names {} on {}, not {} on {device_id}",
                opinion.reviewed_by.id, opinion.device_id, reviewer.id
            ),
        );
    }
    let Some((order, voided)) = order else {
        return rule(
            "§4",
            format!("order {} is not known here: a review opinion exists only after its order", opinion.order_id),
        );
    };
    if voided {
        return rule("§4", format!("order {} was voided; it cannot be reviewed", order.number));
    }
    if opinion.order_id != order.id || opinion.order_number != order.number {
        return rule(
            "§4",
            format!("the opinion cites {}, but order {} is {}", opinion.order_number, order.id, order.number),
        );
    }
    if opinion.enterprise.credit_code != order.enterprise.credit_code
        || opinion.enterprise.township != order.enterprise.township
    {
        return rule("§4", "the opinion names another enterprise than its order".into());
    }
    if !reviewer.in_scope(&order.enterprise.credit_code, &order.enterprise.township) {
        return rule(
            "R8",
            format!("only a supervisor of {} may review order {}", order.enterprise.township, order.number),
        );
    }
    if opinion.reviewed_at.cst_date() < order.issued_on() {
        return rule(
            "§4",
            format!(
                "the opinion is dated {}, before its order of {}",
                opinion.reviewed_at.cst_date(),
                order.issued_on()
            ),
        );
    }
    if opinion.opinions.is_empty() {
        return rule("§4", "a review opinion gives an opinion on at least one hidden danger".into());
    }
    let mut seen = BTreeSet::new();
    for o in &opinion.opinions {
        if !seen.insert(o.hazard_id.as_str()) {
            return rule("§4", format!("hidden danger {} has two opinions; one per hidden danger", o.hazard_id));
        }
        if !order.hazards.iter().any(|h| h.hazard_id == o.hazard_id) {
            return rule("§4", format!("hidden danger {} is not on order {}", o.hazard_id, order.number));
        }
        if o.opinion.trim().is_empty() {
            return rule("§4", format!("the opinion on hidden danger {} is empty", o.hazard_id));
        }
    }
    check_signatures(&opinion.signatures, &[reviewer.id.as_str()], "the review opinion")
}

impl ReviewOpinion {
    /// The SHA-256 of every signature image.
    pub fn photos(&self) -> Vec<String> {
        self.signatures.iter().map(|s| s.image.sha256.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::documents::order::tests::order;

    fn opinion(o: &RectificationOrder) -> ReviewOpinion {
        ReviewOpinion {
            id: "r1".into(),
            order_id: o.id.clone(),
            order_number: o.number.clone(),
            enterprise: o.enterprise.clone(),
            opinions: vec![HazardOpinion { hazard_id: "h1".into(), approve: true, opinion: "已整改到位".into() }],
            reviewed_by: demo::person_by_id("sup-chen").expect("demo"),
            device_id: "tab-chen".into(),
            reviewed_at: Timestamp::parse("2026-03-20T10:00:00+08:00").expect("time"),
            signatures: vec![],
        }
    }

    #[test]
    fn an_opinion_exists_only_after_its_order_and_cites_its_number() {
        let o = order(&[]);
        let chen = demo::person_by_id("sup-chen").expect("demo");
        let good = opinion(&o);
        assert_eq!(check_opinion(&good, &chen, "tab-chen", Some((&o, false))), Ok(()));
        let rule = |op: &ReviewOpinion, who: &Person, order: Option<(&RectificationOrder, bool)>| {
            check_opinion(op, who, &op.device_id, order).expect_err("refused").rule
        };
        assert_eq!(rule(&good, &chen, None), "§4");
        assert_eq!(rule(&good, &chen, Some((&o, true))), "§4");
        let mut wrong_number = good.clone();
        wrong_number.order_number.seq = 9;
        assert_eq!(rule(&wrong_number, &chen, Some((&o, false))), "§4");
        let mut stranger = good.clone();
        stranger.opinions[0].hazard_id = "h9".into();
        assert_eq!(rule(&stranger, &chen, Some((&o, false))), "§4");
        let mut twice = good.clone();
        twice.opinions.push(twice.opinions[0].clone());
        assert_eq!(rule(&twice, &chen, Some((&o, false))), "§4");
        let mut early = good.clone();
        early.reviewed_at = Timestamp::parse("2026-02-20T10:00:00+08:00").expect("time");
        assert_eq!(rule(&early, &chen, Some((&o, false))), "§4");
        // A supervisor of another township, and an inspector, may not.
        let zhao = demo::person_by_id("sup-zhao").expect("demo");
        assert_eq!(rule(&ReviewOpinion { reviewed_by: zhao.clone(), ..good.clone() }, &zhao, Some((&o, false))), "R8");
        let wang = demo::person_by_id("insp-wang").expect("demo");
        assert_eq!(rule(&ReviewOpinion { reviewed_by: wang.clone(), ..good }, &wang, Some((&o, false))), "R8");
    }
}
