//! The rectification order (责令限期整改指令书, §4): what it holds, how a
//! tablet drafts it from hidden dangers, and the checks every copy passes
//! on the tablet and on the server.

use super::number::DocumentNumber;
use super::{check_signatures, office_for, Signature, LITIGATION_MONTHS, RECONSIDERATION_DAYS};
use crate::error::RuleError;
use crate::hazard::{EnterpriseRef, Handling, Hazard, Level, Status};
use crate::people::{Person, Role};
use crate::policy::{Office, Policy};
use crate::time::Timestamp;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A hidden danger as the order lists it, copied from the record when the
/// order is issued: later changes to the record do not rewrite a served
/// document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedHazard {
    /// The hidden danger.
    pub hazard_id: String,
    /// The checklist item it was found under (item number on the order).
    pub item_code: Option<String>,
    /// What is wrong.
    pub description: String,
    /// Where.
    pub location: String,
    /// General or major at the time of the order.
    pub level: Level,
    /// The regulation or standard it breaks.
    pub legal_basis: String,
    /// What must be done.
    pub required_measures: String,
    /// The deadline of the order (R5).
    pub deadline: NaiveDate,
}

impl OrderedHazard {
    /// The listing of `h` on an order.
    pub fn of(h: &Hazard) -> OrderedHazard {
        OrderedHazard {
            hazard_id: h.id.clone(),
            item_code: h.item_code.clone(),
            description: h.description.clone(),
            location: h.location.clone(),
            level: h.level,
            legal_basis: h.legal_basis.clone(),
            required_measures: h.required_measures.clone(),
            deadline: h.original_deadline,
        }
    }
}

/// A rectification order: every field §4 asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RectificationOrder {
    /// Stable id created on the device.
    pub id: String,
    /// Its number (R15).
    pub number: DocumentNumber,
    /// The issuing office, with the government and court an enterprise may
    /// turn to, as configured on the day of issue.
    pub office: Office,
    /// The enterprise ordered to rectify.
    pub enterprise: EnterpriseRef,
    /// The hidden dangers, with item numbers and deadlines.
    pub hazards: Vec<OrderedHazard>,
    /// The two (or more) inspectors with their certificate numbers.
    pub inspectors: Vec<Person>,
    /// The inspector who issued it on this device.
    pub issued_by: String,
    /// The device it was issued on (its number's series).
    pub device_id: String,
    /// When it was issued (device clock).
    pub issued_at: Timestamp,
    /// Days for administrative reconsideration (60).
    pub reconsideration_days: u32,
    /// Months for an administrative suit (6).
    pub litigation_months: u32,
    /// Signatures captured on the tablet; a missing one is signed by hand on
    /// the printed copy.
    #[serde(default)]
    pub signatures: Vec<Signature>,
}

impl RectificationOrder {
    /// The day of issue in China Standard Time: the day deadlines count from (R5).
    pub fn issued_on(&self) -> NaiveDate {
        self.issued_at.cst_date()
    }

    /// The SHA-256 of every signature image, which the server waits for like photos.
    pub fn photos(&self) -> Vec<String> {
        self.signatures.iter().map(|s| s.image.sha256.clone()).collect()
    }
}

/// An order voided after it was issued (a misprint, a wrong enterprise): it
/// stays in history and its number stays used, explained by this (R15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderVoid {
    /// Why.
    pub reason: String,
    /// Who.
    pub by: String,
    /// On which device.
    pub device_id: String,
    /// When (device clock).
    pub at: Timestamp,
}

/// What an inspector chooses when issuing an order; the rest comes from the
/// records, the registry and the policy.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderDraft {
    /// The new order's id.
    pub id: String,
    /// The hidden dangers it orders rectified, all of one enterprise.
    pub hazards: Vec<Hazard>,
    /// Every inspector signing it, the issuer included, as the registry knows them.
    pub inspectors: Vec<Person>,
    /// Signatures captured before issuing.
    pub signatures: Vec<Signature>,
    /// The orders this replica holds that list any of these hidden dangers:
    /// a hidden danger is on one order in force at a time (void the old one
    /// to reissue).
    pub existing_orders: Vec<crate::summary::OrderSummary>,
}

/// Builds the order `issuer` issues on `device_id` at `now`, numbered after
/// the numbers already `taken` on this device, and checks it as the server
/// will. The caller writes it with the number in one transaction.
pub fn draft_order(
    draft: OrderDraft,
    issuer: &Person,
    device_id: &str,
    policy: &Policy,
    now: Timestamp,
    taken: &[DocumentNumber],
) -> Result<RectificationOrder, RuleError> {
    let Some(first) = draft.hazards.first() else {
        return Err(RuleError::new("§4", "an order lists at least one hidden danger"));
    };
    if let Some(h) = draft.hazards.iter().find(|h| matches!(h.status, Status::Voided | Status::Closed)) {
        return Err(RuleError::new(
            "§4",
            format!("hidden danger {} is {}; it needs no order", h.id, h.status.as_str()),
        ));
    }
    for h in &draft.hazards {
        if let Some(o) = draft
            .existing_orders
            .iter()
            .find(|o| o.void.is_none() && o.order.hazards.iter().any(|x| x.hazard_id == h.id))
        {
            return Err(RuleError::new(
                "§4",
                format!(
                    "hidden danger {} is already on order {} in force; void that order to issue a new one",
                    h.id, o.order.number
                ),
            ));
        }
    }
    let enterprise = first.enterprise.clone();
    let day = now.cst_date();
    let office = office_for(policy, &enterprise.township, day)?;
    let number = DocumentNumber::next(&office.number_prefix, day.year(), device_id, taken);
    let order = RectificationOrder {
        id: draft.id,
        number,
        office,
        enterprise,
        hazards: draft.hazards.iter().map(OrderedHazard::of).collect(),
        inspectors: draft.inspectors,
        issued_by: issuer.id.clone(),
        device_id: device_id.to_string(),
        issued_at: now,
        reconsideration_days: RECONSIDERATION_DAYS,
        litigation_months: LITIGATION_MONTHS,
        signatures: draft.signatures,
    };
    check_order(&order, issuer, device_id, &draft.hazards, policy)?;
    Ok(order)
}

/// The checks every order passes, on the tablet before it is written and on
/// the server on upload. `issuer` and `order.inspectors` are the registry's
/// records (the server replaces what a tablet claims); `hazards` are the
/// records the order lists, as the checking replica holds them.
pub fn check_order(
    order: &RectificationOrder,
    issuer: &Person,
    device_id: &str,
    hazards: &[Hazard],
    policy: &Policy,
) -> Result<(), RuleError> {
    let rule = |r: &'static str, m: String| Err(RuleError::new(r, m));
    if issuer.role != Role::Inspector {
        return rule(
            "§4",
            format!("{} is {}; only inspectors issue rectification orders", issuer.id, issuer.role.with_article()),
        );
    }
    if order.issued_by != issuer.id {
        return rule("R1", format!("the order names {} as its issuer, not {}", order.issued_by, issuer.id));
    }
    if order.device_id != device_id {
        return rule("R1", format!("the order names device {}, not {device_id}", order.device_id));
    }
    if !issuer.in_scope(&order.enterprise.credit_code, &order.enterprise.township) {
        return rule(
            "R2",
            format!(
                "{} has no scope over {} in {}",
                issuer.id, order.enterprise.credit_code, order.enterprise.township
            ),
        );
    }
    let ids: BTreeSet<&str> = order.inspectors.iter().map(|p| p.id.as_str()).collect();
    if ids.len() != order.inspectors.len() {
        return rule("§4", "an inspector is listed twice on the order".into());
    }
    let certified = order
        .inspectors
        .iter()
        .filter(|p| p.role == Role::Inspector && p.certificate_no.as_deref().is_some_and(|c| !c.trim().is_empty()))
        .count();
    if certified < 2 || certified != order.inspectors.len() {
        return rule(
            "§4",
            "an order is issued by at least two inspectors, each with a certificate number (执法证号)".into(),
        );
    }
    if !ids.contains(issuer.id.as_str()) {
        return rule("§4", format!("{} issues the order but is not one of its inspectors", issuer.id));
    }
    // The office, its number and the rights printed, as the policy of the day says.
    let day = order.issued_on();
    let office = office_for(policy, &order.enterprise.township, day)?;
    if order.office != office {
        return rule(
            "§4",
            format!("the order names the office '{}'; the policy of {day} names '{}'", order.office.name, office.name),
        );
    }
    let n = &order.number;
    if n.prefix != office.number_prefix || n.year != day.year() || n.series != device_id || n.seq == 0 {
        return rule(
            "R15",
            format!(
                "number {n} is not in device {device_id}'s sequence for {} in {} (expected {}〔{}〕{device_id}-N号)",
                office.name,
                day.year(),
                office.number_prefix,
                day.year()
            ),
        );
    }
    if order.reconsideration_days != RECONSIDERATION_DAYS || order.litigation_months != LITIGATION_MONTHS {
        return rule(
            "§4",
            format!(
                "the order must state {RECONSIDERATION_DAYS} days for reconsideration and {LITIGATION_MONTHS} months for litigation"
            ),
        );
    }
    // The hidden dangers, as the records hold them.
    if order.hazards.is_empty() {
        return rule("§4", "an order lists at least one hidden danger".into());
    }
    let mut seen = BTreeSet::new();
    for listed in &order.hazards {
        if !seen.insert(listed.hazard_id.as_str()) {
            return rule("§4", format!("hidden danger {} is listed twice", listed.hazard_id));
        }
        let Some(h) = hazards.iter().find(|h| h.id == listed.hazard_id) else {
            return rule(
                "§4",
                format!("hidden danger {} is not known here; sync it before the order", listed.hazard_id),
            );
        };
        if h.enterprise.credit_code != order.enterprise.credit_code {
            return rule(
                "§4",
                format!(
                    "hidden danger {} belongs to {}, not to {}",
                    h.id, h.enterprise.credit_code, order.enterprise.credit_code
                ),
            );
        }
        if h.handling != Handling::Deadline {
            return rule("§4", format!("hidden danger {} was fixed on the spot (R6); it needs no order", h.id));
        }
        if day < h.order_date {
            return rule(
                "§4",
                format!("the order is dated {day}, before hidden danger {} was recorded on {}", h.id, h.order_date),
            );
        }
        // Texts may be edited on the record later (concurrently, offline);
        // the item and the order's deadline never change.
        if listed.item_code != h.item_code || listed.deadline != h.original_deadline {
            return rule(
                "§4",
                format!(
                    "the order lists hidden danger {} with item {:?} and deadline {}; the record has item {:?} and deadline {}",
                    h.id, listed.item_code, listed.deadline, h.item_code, h.original_deadline
                ),
            );
        }
    }
    check_signatures(&order.signatures, &ids.into_iter().collect::<Vec<_>>(), "the order")
}

/// Checks a void: only an inspector of the order or a supervisor of its
/// township voids it, with a reason; a voided order stays voided.
pub fn check_void(order: &RectificationOrder, void: &OrderVoid, person: &Person) -> Result<(), RuleError> {
    if void.reason.trim().is_empty() {
        return Err(RuleError::new(
            "R15",
            "voiding an order needs a reason: its number stays used and the reason explains it",
        ));
    }
    if void.by != person.id {
        return Err(RuleError::new("R1", format!("the void names {}, not {}", void.by, person.id)));
    }
    let issuer = order.inspectors.iter().any(|p| p.id == person.id);
    let supervisor =
        person.role == Role::Supervisor && person.in_scope(&order.enterprise.credit_code, &order.enterprise.township);
    if !(issuer || supervisor) {
        return Err(RuleError::new(
            "§4",
            format!(
                "{} may not void order {}: only its inspectors or a supervisor of {} may",
                person.id, order.number, order.enterprise.township
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::demo;
    use crate::enterprise::RiskColour;
    use crate::hazard::{fold, next_event, Action, HazardKind, ReportData};
    use crate::people::Actor;

    /// A general hidden danger of the first demo enterprise, reported by
    /// insp-wang with insp-li on 2026-03-01.
    pub(crate) fn hazard(id: &str, handling: Handling) -> Hazard {
        let e = &demo::enterprises()[0];
        let data = ReportData {
            enterprise: EnterpriseRef {
                credit_code: e.credit_code.clone(),
                name: e.name.clone(),
                township: e.township.clone(),
                grid: e.grid.clone(),
                risk_colour: RiskColour::Yellow,
            },
            sector: "chemical".into(),
            inspection_id: None,
            item_code: Some("FS-02".into()),
            location: "仓库".into(),
            description: "灭火器过期".into(),
            kind: HazardKind::UnsafeCondition,
            level: Level::General,
            handling,
            before_photos: vec![],
            required_measures: "更换".into(),
            responsible_person: "张".into(),
            funds: None,
            legal_basis: "GB".into(),
            criteria: vec![],
            co_inspectors: vec![demo::person_by_id("insp-li").expect("demo")],
            deadline: NaiveDate::from_ymd_opt(2026, 3, 31),
            order_date: NaiveDate::from_ymd_opt(2026, 3, 1),
        };
        let actor = Actor { person: demo::person_by_id("insp-wang").expect("demo"), device_id: "tab".into() };
        let at = Timestamp::parse("2026-03-01T09:00:00+08:00").expect("time");
        let events = vec![next_event(&[], format!("{id}-e1"), at, actor, Action::Report(Box::new(data)))];
        fold(id, &events).expect("a report folds")
    }

    pub(crate) fn order(taken: &[DocumentNumber]) -> RectificationOrder {
        let wang = demo::person_by_id("insp-wang").expect("demo");
        let li = demo::person_by_id("insp-li").expect("demo");
        let draft = OrderDraft {
            id: "o1".into(),
            hazards: vec![hazard("h1", Handling::Deadline)],
            inspectors: vec![wang.clone(), li],
            signatures: vec![],
            existing_orders: vec![],
        };
        let at = Timestamp::parse("2026-03-01T10:00:00+08:00").expect("time");
        draft_order(draft, &wang, "tab-wang", &Policy::default(), at, taken).expect("a valid order")
    }

    #[test]
    fn a_drafted_order_holds_every_field_of_section_4() {
        let o = order(&[]);
        assert_eq!(o.number.to_string(), "玉山镇应急责改〔2026〕tab-wang-001号");
        assert_eq!(o.office.name, "玉山镇人民政府");
        assert_eq!(o.hazards[0].deadline, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert_eq!(o.hazards[0].item_code.as_deref(), Some("FS-02"));
        assert_eq!((o.reconsideration_days, o.litigation_months), (60, 6));
        assert!(o.inspectors.iter().all(|p| p.certificate_no.is_some()));
        assert_eq!(order(std::slice::from_ref(&o.number)).number.seq, 2);
        // One order in force per hidden danger.
        let wang = demo::person_by_id("insp-wang").expect("demo");
        let li = demo::person_by_id("insp-li").expect("demo");
        let again = OrderDraft {
            id: "o2".into(),
            hazards: vec![hazard("h1", Handling::Deadline)],
            inspectors: vec![wang.clone(), li],
            signatures: vec![],
            existing_orders: vec![crate::summary::OrderSummary { order: o.clone(), void: None }],
        };
        let e = draft_order(again, &wang, "tab-wang", &Policy::default(), o.issued_at, &[]).unwrap_err();
        assert!(e.message.contains("already on order"), "{e}");
    }

    #[test]
    fn orders_break_no_rule() {
        let policy = Policy::default();
        let wang = demo::person_by_id("insp-wang").expect("demo");
        let chen = demo::person_by_id("sup-chen").expect("demo");
        let zhou = demo::person_by_id("insp-zhou").expect("demo");
        let h = hazard("h1", Handling::Deadline);
        let good = order(&[]);
        assert_eq!(check_order(&good, &wang, "tab-wang", std::slice::from_ref(&h), &policy), Ok(()));
        let err = |o: &RectificationOrder, who: &Person, dev: &str, hs: &[Hazard]| {
            check_order(o, who, dev, hs, &policy).expect_err("refused").rule
        };
        assert_eq!(
            err(
                &RectificationOrder { issued_by: chen.id.clone(), ..good.clone() },
                &chen,
                "tab-wang",
                std::slice::from_ref(&h)
            ),
            "§4"
        );
        assert_eq!(err(&good, &wang, "tab-other", std::slice::from_ref(&h)), "R1");
        let mut alone = good.clone();
        alone.inspectors.truncate(1);
        assert_eq!(err(&alone, &wang, "tab-wang", std::slice::from_ref(&h)), "§4");
        let mut wrong_year = good.clone();
        wrong_year.number.year = 2025;
        assert_eq!(err(&wrong_year, &wang, "tab-wang", std::slice::from_ref(&h)), "R15");
        let mut other_series = good.clone();
        other_series.number.series = "tab-li".into();
        assert_eq!(err(&other_series, &wang, "tab-wang", std::slice::from_ref(&h)), "R15");
        let mut no_rights = good.clone();
        no_rights.reconsideration_days = 30;
        assert_eq!(err(&no_rights, &wang, "tab-wang", std::slice::from_ref(&h)), "§4");
        let mut later = good.clone();
        later.hazards[0].deadline = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert_eq!(err(&later, &wang, "tab-wang", std::slice::from_ref(&h)), "§4");
        assert_eq!(err(&good, &wang, "tab-wang", &[]), "§4");
        let on_site = hazard("h1", Handling::OnSite);
        assert_eq!(err(&good, &wang, "tab-wang", &[on_site]), "§4");
        // insp-zhou works in 周市镇: no scope over the enterprise (R2).
        let zhou_order =
            RectificationOrder { issued_by: zhou.id.clone(), device_id: "tab-zhou".into(), ..good.clone() };
        assert_eq!(err(&zhou_order, &zhou, "tab-zhou", &[h]), "R2");
    }

    #[test]
    fn a_void_needs_a_reason_and_an_inspector_of_the_order_or_the_supervisor() {
        let o = order(&[]);
        let wang = demo::person_by_id("insp-wang").expect("demo");
        let chen = demo::person_by_id("sup-chen").expect("demo");
        let zhao = demo::person_by_id("sup-zhao").expect("demo");
        let void = |by: &Person, reason: &str| OrderVoid {
            reason: reason.into(),
            by: by.id.clone(),
            device_id: "tab".into(),
            at: Timestamp(0),
        };
        assert!(check_void(&o, &void(&wang, "打印错误"), &wang).is_ok());
        assert!(check_void(&o, &void(&chen, "打印错误"), &chen).is_ok());
        assert_eq!(check_void(&o, &void(&wang, " "), &wang).unwrap_err().rule, "R15");
        assert_eq!(check_void(&o, &void(&zhao, "打印错误"), &zhao).unwrap_err().rule, "§4");
    }
}
