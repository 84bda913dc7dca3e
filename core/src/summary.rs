//! What lists, queues, boards and statistics need of a record, without its
//! events: the projection rows the tablet and the server store beside each
//! record, written in the same transaction, so that no list ever loads or
//! folds a document.
//!
//! A summary is derived from the folded record ([`HazardSummary::of`],
//! [`InspectionSummary::of`]); what depends on the clock (overdue days,
//! escalation) is derived from the summary at query time by the same
//! functions the record itself uses ([`crate::hazard::deadlines`]), so a list
//! and a record page never disagree.

use crate::enterprise::RiskColour;
use crate::hazard::{
    due_notices, escalation, overdue_days, ClosureKind, Escalation, Handling, Hazard, Level, ListingLevel, NoticeKind,
    Status,
};
use crate::inspection::{Inspection, Source};
use crate::policy::Policy;
use crate::stats::StatsInput;
use crate::time::{end_of_cst_day, Timestamp};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A conflict between concurrent decisions that waits for a person (R14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenConflict {
    /// The event in conflict.
    pub event_id: String,
    /// What happened, for the person who settles it.
    pub message: String,
}

/// A hidden danger as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardSummary {
    /// Record id.
    pub id: String,
    /// Enterprise credit code.
    pub enterprise: String,
    /// Enterprise name at report time.
    pub enterprise_name: String,
    /// Township (decides the reviewing supervisor, R2).
    pub township: String,
    /// Grid.
    pub grid: String,
    /// Sector.
    pub sector: String,
    /// Risk colour at report time.
    pub risk_colour: RiskColour,
    /// Level.
    pub level: Level,
    /// Status.
    pub status: Status,
    /// Handling.
    pub handling: Handling,
    /// Description.
    pub description: String,
    /// Report time (device clock, R1).
    pub reported_at: Timestamp,
    /// Reporter.
    pub reported_by: String,
    /// Current deadline (after granted extensions).
    pub deadline: NaiveDate,
    /// Last evidence submission.
    pub submitted_at: Option<Timestamp>,
    /// Closure time.
    pub closed_at: Option<Timestamp>,
    /// How it was closed.
    pub closure_kind: Option<ClosureKind>,
    /// Inspection that found it.
    pub inspection_id: Option<String>,
    /// Checklist item.
    pub item_code: Option<String>,
    /// Listing level, if listed (挂牌督办).
    pub listed: Option<ListingLevel>,
    /// When the enterprise asked to resume work (major, R11).
    pub resumption_requested_at: Option<Timestamp>,
    /// Whether an extension request waits for a decision.
    pub extension_requested: bool,
    /// Conflicts waiting for a person (R14).
    pub open_conflicts: Vec<OpenConflict>,
}

impl HazardSummary {
    /// The summary of a folded hidden danger.
    pub fn of(h: &Hazard) -> HazardSummary {
        HazardSummary {
            id: h.id.clone(),
            enterprise: h.enterprise.credit_code.clone(),
            enterprise_name: h.enterprise.name.clone(),
            township: h.enterprise.township.clone(),
            grid: h.enterprise.grid.clone(),
            sector: h.sector.clone(),
            risk_colour: h.enterprise.risk_colour,
            level: h.level,
            status: h.status,
            handling: h.handling,
            description: h.description.clone(),
            reported_at: h.reported_at,
            reported_by: h.reported_by.clone(),
            deadline: h.deadline,
            submitted_at: h.evidence.last().map(|e| e.at),
            closed_at: h.closure.as_ref().map(|c| c.at),
            closure_kind: h.closure.as_ref().map(|c| c.kind),
            inspection_id: h.inspection_id.clone(),
            item_code: h.item_code.clone(),
            listed: h.listing,
            resumption_requested_at: h.resumption_requested_at,
            extension_requested: h.open_extension().is_some(),
            open_conflicts: h
                .open_conflicts()
                .map(|c| OpenConflict { event_id: c.event_id.clone(), message: c.message.clone() })
                .collect(),
        }
    }

    /// The instant the deadline passes: the end of its day in CST (R5).
    pub fn deadline_end(&self) -> Timestamp {
        end_of_cst_day(self.deadline)
    }

    /// Calendar days (CST) past the deadline at `now`, 0 when not overdue or not open (R10).
    pub fn overdue_days(&self, now: Timestamp) -> i64 {
        overdue_days(self.status, self.deadline, now)
    }

    /// The escalation level at `now` (R10, R11): the same function as
    /// [`Hazard::escalation`], from the summary's inputs.
    pub fn escalation(&self, now: Timestamp, policy: &Policy) -> Escalation {
        escalation(self.status, self.level, self.deadline, self.resumption_requested_at, now, policy)
    }

    /// The steps of R10's ladder reached at `now`, for the server's notices:
    /// the same function tablets' lists rest on ([`due_notices`]).
    pub fn due_notices(&self, now: Timestamp, policy: &Policy) -> Vec<NoticeKind> {
        due_notices(self.status, self.level, self.deadline, now, policy)
    }

    /// What statistics need of it (domain.md §6).
    pub fn stats_input(&self) -> StatsInput {
        StatsInput {
            township: self.township.clone(),
            sector: self.sector.clone(),
            enterprise: self.enterprise.clone(),
            risk_colour: self.risk_colour,
            level: self.level,
            status: self.status,
            reported_at: self.reported_at,
            deadline: self.deadline,
            closed_at: self.closed_at,
            on_site: self.closure_kind == Some(ClosureKind::OnSite),
            listed: self.listed.is_some(),
        }
    }
}

/// An inspection as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionSummary {
    /// Record id.
    pub id: String,
    /// Enterprise credit code.
    pub enterprise: String,
    /// Enterprise name at the time.
    pub enterprise_name: String,
    /// Township.
    pub township: String,
    /// Sector of the template.
    pub sector: String,
    /// Template id.
    pub template_id: String,
    /// Template version, pinned (R3).
    pub template_version: u32,
    /// Why the check was made.
    pub source: Source,
    /// Inspector ids.
    pub inspectors: Vec<String>,
    /// Start time (device clock).
    pub started_at: Timestamp,
    /// End time, once completed.
    pub ended_at: Option<Timestamp>,
    /// Items answered so far.
    pub answered: usize,
}

impl InspectionSummary {
    /// The summary of an inspection read from its record.
    pub fn of(i: &Inspection) -> InspectionSummary {
        let h = &i.header;
        InspectionSummary {
            id: h.id.clone(),
            enterprise: h.enterprise.clone(),
            enterprise_name: h.enterprise_name.clone(),
            township: h.township.clone(),
            sector: h.sector.clone(),
            template_id: h.template_id.clone(),
            template_version: h.template_version,
            source: h.source,
            inspectors: h.inspectors.iter().map(|p| p.id.clone()).collect(),
            started_at: h.started_at,
            ended_at: i.completion.as_ref().map(|c| c.ended_at),
            answered: i.answers.len(),
        }
    }
}

/// The projection of one record, whichever its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Summary {
    /// A hidden danger.
    Hazard(HazardSummary),
    /// An inspection.
    Inspection(InspectionSummary),
    /// A rectification order: the document itself (it is small and never
    /// changes) and its void.
    Order(OrderSummary),
    /// A review opinion: the document itself.
    ReviewOpinion(crate::documents::ReviewOpinion),
}

/// A rectification order as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The order.
    pub order: crate::documents::RectificationOrder,
    /// Its void, if voided.
    pub void: Option<crate::documents::OrderVoid>,
}

impl Summary {
    /// The kind of record summarised.
    pub fn kind(&self) -> crate::kinds::DocKind {
        use crate::kinds::DocKind;
        match self {
            Summary::Hazard(_) => DocKind::Hazard,
            Summary::Inspection(_) => DocKind::Inspection,
            Summary::Order(_) => DocKind::Order,
            Summary::ReviewOpinion(_) => DocKind::ReviewOpinion,
        }
    }

    /// The record's id.
    pub fn id(&self) -> &str {
        match self {
            Summary::Hazard(h) => &h.id,
            Summary::Inspection(i) => &i.id,
            Summary::Order(o) => &o.order.id,
            Summary::ReviewOpinion(o) => &o.id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::hazard::{fold, next_event, Action, EnterpriseRef, HazardKind, ReportData};
    use crate::people::Actor;

    fn report() -> Vec<crate::hazard::Event> {
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
            item_code: None,
            location: "仓库".into(),
            description: "灭火器过期".into(),
            kind: HazardKind::UnsafeCondition,
            level: Level::General,
            handling: Handling::Deadline,
            before_photos: vec![],
            required_measures: "更换".into(),
            responsible_person: "张".into(),
            funds: None,
            legal_basis: "GB".into(),
            criteria: vec![],
            co_inspectors: vec![demo::person_by_id("insp-li").expect("demo")],
            deadline: NaiveDate::from_ymd_opt(2026, 3, 10),
            order_date: None,
        };
        let actor = Actor { person: demo::person_by_id("insp-wang").expect("demo"), device_id: "tab".into() };
        let at = Timestamp::parse("2026-03-01T09:00:00+08:00").expect("time");
        vec![next_event(&[], "e1".into(), at, actor, Action::Report(Box::new(data)))]
    }

    #[test]
    fn summary_escalates_like_the_record() {
        let h = fold("h1", &report()).expect("a report");
        let s = HazardSummary::of(&h);
        let policy = Policy::default();
        for day in 0..40 {
            let now = Timestamp(h.reported_at.0 + day * 86_400_000);
            assert_eq!(s.escalation(now, &policy), h.escalation(now, &policy), "day {day}");
            assert_eq!(s.overdue_days(now), h.overdue_days(now), "day {day}");
        }
        assert_eq!(s.deadline, NaiveDate::from_ymd_opt(2026, 3, 10).expect("date"));
        assert!(s.open_conflicts.is_empty());
        let json = serde_json::to_string(&Summary::Hazard(s.clone())).expect("json");
        let back: Summary = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, Summary::Hazard(s));
    }
}
