//! The current state of a hidden danger and how one event changes it.

use crate::people::Role;
use crate::photo::PhotoRef;
use crate::policy::Policy;
use crate::time::{end_of_cst_day, Timestamp};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::deadlines::{escalation, overdue_days, Escalation};
use super::vocabulary::*;

/// Rectification evidence as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Event that carried it.
    pub event_id: String,
    /// Who submitted it.
    pub by: String,
    /// When (device clock).
    pub at: Timestamp,
    /// After photos.
    pub after_photos: Vec<PhotoRef>,
    /// Description.
    pub description: String,
    /// When it was rectified.
    pub rectified_on: Option<NaiveDate>,
}

/// A review or verification decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Event that carried it.
    pub event_id: String,
    /// Who decided.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Approved or rejected.
    pub approve: bool,
    /// The opinion or reason.
    pub opinion: String,
}

/// An extension request and its decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    /// Event of the request.
    pub event_id: String,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
    /// Why.
    pub reason: String,
    /// Date asked for.
    pub proposed_deadline: NaiveDate,
    /// The decision, once made.
    pub decision: Option<ExtensionDecision>,
}

/// The decision on an extension request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionDecision {
    /// Who decided.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Granted or refused.
    pub granted: bool,
    /// New deadline when granted.
    pub new_deadline: Option<NaiveDate>,
    /// Reason.
    pub reason: String,
}

/// How a hidden danger was closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closure {
    /// On site, by review, or by verification.
    pub kind: ClosureKind,
    /// Who closed it.
    pub by: String,
    /// When (device clock).
    pub at: Timestamp,
}

/// One line of the history of a record: every event, applied or not (R1, R14).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Event id.
    pub event_id: String,
    /// Device clock time.
    pub at: Timestamp,
    /// Person id.
    pub person_id: String,
    /// Person name.
    pub person_name: String,
    /// Role when acting.
    pub role: Role,
    /// Device.
    pub device_id: String,
    /// Action name.
    pub action: String,
    /// One line saying what happened.
    pub summary: String,
    /// Whether it changed the state; when not, `note` says why.
    pub applied: bool,
    /// Why it was not applied.
    #[serde(default)]
    pub note: Option<String>,
    /// Status after this event.
    pub status_after: Status,
    /// When the server received it, once synced (R1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Timestamp>,
}

/// Kind of conflict between concurrent events (R14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// The event could not apply after a concurrent decision changed the state.
    NotApplied,
    /// Two decisions were made without seeing each other; both applied.
    ConcurrentDecisions,
    /// Two people changed the same field concurrently; the later in order shows.
    ConcurrentEdit,
    /// The event breaks a rule on its own (a replica that bypassed the rules).
    Invalid,
}

/// Concurrent decisions a person has to look at (R14).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The event that lost or collided.
    pub event_id: String,
    /// The concurrent events it collided with.
    pub concurrent_with: Vec<String>,
    /// Kind.
    pub kind: ConflictKind,
    /// What happened, for the person who resolves it.
    pub message: String,
    /// False for harmless duplicates (two supervisors closing alike).
    pub needs_attention: bool,
    /// The resolving event, once a person settled it.
    pub resolved_by: Option<String>,
}

/// The current state of a hidden danger: [`fold`] of its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    /// Stable id created offline.
    pub id: String,
    /// Enterprise snapshot.
    pub enterprise: EnterpriseRef,
    /// Sector.
    pub sector: String,
    /// Inspection that found it.
    pub inspection_id: Option<String>,
    /// Checklist item.
    pub item_code: Option<String>,
    /// Where.
    pub location: String,
    /// What.
    pub description: String,
    /// Kind.
    pub kind: HazardKind,
    /// Level.
    pub level: Level,
    /// Handling.
    pub handling: Handling,
    /// Before photos.
    pub before_photos: Vec<PhotoRef>,
    /// Required measures.
    pub required_measures: String,
    /// Responsible person.
    pub responsible_person: String,
    /// Funds, yuan.
    pub funds: Option<f64>,
    /// Legal basis.
    pub legal_basis: String,
    /// Criteria that made it major.
    pub criteria: Vec<String>,
    /// Inspectors who reported it and issued the order.
    pub inspectors: Vec<String>,
    /// Reporter.
    pub reported_by: String,
    /// Report time (device clock).
    pub reported_at: Timestamp,
    /// Day the order was issued (CST).
    pub order_date: NaiveDate,
    /// Current deadline (after granted extensions).
    pub deadline: NaiveDate,
    /// The deadline of the order, before extensions.
    pub original_deadline: NaiveDate,
    /// Status.
    pub status: Status,
    /// How it was closed.
    pub closure: Option<Closure>,
    /// Evidence submissions.
    pub evidence: Vec<Evidence>,
    /// Township reviews.
    pub reviews: Vec<Decision>,
    /// District verifications.
    pub verifications: Vec<Decision>,
    /// Extension requests.
    pub extensions: Vec<Extension>,
    /// Governance plan (major).
    pub plan: Option<GovernancePlan>,
    /// Listing (挂牌督办).
    pub listing: Option<ListingLevel>,
    /// Suspension (from, until).
    pub suspension: Option<(NaiveDate, NaiveDate)>,
    /// When the enterprise asked to resume work.
    pub resumption_requested_at: Option<Timestamp>,
    /// Recorded escalations (who, when, note).
    pub escalations: Vec<(String, Timestamp, String)>,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// Every event in order (R1).
    pub history: Vec<HistoryEntry>,
    /// Conflicts between concurrent decisions (R14).
    pub conflicts: Vec<Conflict>,
}

impl Hazard {
    /// The instant the deadline passes: the end of its day in CST (R5).
    pub fn deadline_end(&self) -> Timestamp {
        end_of_cst_day(self.deadline)
    }

    /// Calendar days (CST) past the deadline, 0 when not overdue or not open (R10).
    pub fn overdue_days(&self, now: Timestamp) -> i64 {
        overdue_days(self.status, self.deadline, now)
    }

    /// The escalation level at `now` under `policy` (R10).
    pub fn escalation(&self, now: Timestamp, policy: &Policy) -> Escalation {
        escalation(self.status, self.level, self.deadline, self.resumption_requested_at, now, policy)
    }

    /// When the district's verification is due, once the enterprise asked to resume work (R11).
    pub fn verification_due(&self, policy: &Policy) -> Option<NaiveDate> {
        let asked = self.resumption_requested_at?.cst_date();
        let days = policy.at(asked).verification_days_after_resumption_request;
        Some(asked + chrono::Duration::days(days.into()))
    }

    /// Conflicts nobody has settled yet that need a person (R14).
    pub fn open_conflicts(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts.iter().filter(|c| c.needs_attention && c.resolved_by.is_none())
    }

    /// Closed by its deadline (on-site closures count as on time).
    pub fn closed_on_time(&self) -> Option<bool> {
        let c = self.closure.as_ref()?;
        Some(c.kind == ClosureKind::OnSite || c.at <= self.deadline_end())
    }

    /// The open extension request, if any.
    pub fn open_extension(&self) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.decision.is_none())
    }
}

impl Hazard {
    pub(super) fn from_report(id: &str, e: &Event, r: &ReportData) -> Hazard {
        let order_date = r.order_date.unwrap_or_else(|| e.at.cst_date());
        let deadline = r.deadline.unwrap_or(order_date);
        let mut inspectors = vec![e.actor.person.id.clone()];
        inspectors.extend(r.co_inspectors.iter().map(|p| p.id.clone()));
        let mut h = Hazard {
            id: id.to_string(),
            enterprise: r.enterprise.clone(),
            sector: r.sector.clone(),
            inspection_id: r.inspection_id.clone(),
            item_code: r.item_code.clone(),
            location: r.location.clone(),
            description: r.description.clone(),
            kind: r.kind,
            level: r.level,
            handling: r.handling,
            before_photos: r.before_photos.clone(),
            required_measures: r.required_measures.clone(),
            responsible_person: r.responsible_person.clone(),
            funds: r.funds,
            legal_basis: r.legal_basis.clone(),
            criteria: r.criteria.clone(),
            inspectors,
            reported_by: e.actor.person.id.clone(),
            reported_at: e.at,
            order_date,
            deadline,
            original_deadline: deadline,
            status: Status::Rectifying,
            closure: None,
            evidence: vec![],
            reviews: vec![],
            verifications: vec![],
            extensions: vec![],
            plan: None,
            listing: None,
            suspension: None,
            resumption_requested_at: None,
            escalations: vec![],
            void_reason: None,
            history: vec![],
            conflicts: vec![],
        };
        h.push_history(e, true, None);
        h
    }

    pub(super) fn push_history(&mut self, e: &Event, applied: bool, note: Option<String>) {
        self.history.push(HistoryEntry {
            event_id: e.id.clone(),
            at: e.at,
            person_id: e.actor.person.id.clone(),
            person_name: e.actor.person.name.clone(),
            role: e.actor.person.role,
            device_id: e.actor.device_id.clone(),
            action: e.action.name().to_string(),
            summary: summary(&e.action),
            applied,
            note,
            status_after: self.status,
            received_at: None,
        });
    }

    /// Applies an event the rules accepted.
    pub(super) fn apply(&mut self, e: &Event) {
        let by = e.actor.person.id.clone();
        match &e.action {
            Action::Report(_) => {}
            Action::FixOnSite { after_photos, description } => {
                self.evidence.push(Evidence {
                    event_id: e.id.clone(),
                    by: by.clone(),
                    at: e.at,
                    after_photos: after_photos.clone(),
                    description: description.clone(),
                    rectified_on: Some(e.at.cst_date()),
                });
                self.status = Status::Closed;
                self.closure = Some(Closure { kind: ClosureKind::OnSite, by, at: e.at });
            }
            Action::SubmitEvidence { after_photos, description, rectified_on } => {
                self.evidence.push(Evidence {
                    event_id: e.id.clone(),
                    by,
                    at: e.at,
                    after_photos: after_photos.clone(),
                    description: description.clone(),
                    rectified_on: *rectified_on,
                });
                self.status = Status::PendingReview;
            }
            Action::Review { approve, opinion } => {
                self.reviews.push(Decision {
                    event_id: e.id.clone(),
                    by: by.clone(),
                    at: e.at,
                    approve: *approve,
                    opinion: opinion.clone(),
                });
                self.status = match (approve, self.level) {
                    (false, _) => Status::Rectifying,
                    (true, Level::General) => {
                        self.closure = Some(Closure { kind: ClosureKind::Reviewed, by, at: e.at });
                        Status::Closed
                    }
                    (true, Level::Major) => Status::PendingVerification,
                };
            }
            Action::Verify { approve, opinion } => {
                self.verifications.push(Decision {
                    event_id: e.id.clone(),
                    by: by.clone(),
                    at: e.at,
                    approve: *approve,
                    opinion: opinion.clone(),
                });
                if *approve {
                    self.closure = Some(Closure { kind: ClosureKind::Verified, by, at: e.at });
                    self.status = Status::Closed;
                    self.listing = None;
                } else {
                    self.status = Status::Rectifying;
                }
            }
            Action::RequestExtension { reason, proposed_deadline } => self.extensions.push(Extension {
                event_id: e.id.clone(),
                requested_by: by,
                requested_at: e.at,
                reason: reason.clone(),
                proposed_deadline: *proposed_deadline,
                decision: None,
            }),
            Action::DecideExtension { grant, new_deadline, reason } => {
                let mut granted_to = None;
                if let Some(ext) = self.extensions.iter_mut().find(|x| x.decision.is_none()) {
                    let new = if *grant { Some(new_deadline.unwrap_or(ext.proposed_deadline)) } else { None };
                    ext.decision = Some(ExtensionDecision {
                        by,
                        at: e.at,
                        granted: *grant,
                        new_deadline: new,
                        reason: reason.clone(),
                    });
                    granted_to = new;
                }
                if let Some(d) = granted_to {
                    self.deadline = d;
                }
            }
            Action::Void { reason } => {
                self.status = Status::Voided;
                self.void_reason = Some(reason.clone());
            }
            Action::ChangeLevel { level, .. } => self.level = *level,
            Action::CriteriaMet { reasons } => {
                self.level = Level::Major;
                self.criteria.extend(reasons.iter().cloned());
            }
            Action::SubmitPlan { plan } => self.plan = Some(plan.clone()),
            Action::List { level, .. } => self.listing = Some(*level),
            Action::Suspend { from, until, .. } => self.suspension = Some((*from, *until)),
            Action::RequestResumption { .. } => self.resumption_requested_at = Some(e.at),
            Action::Escalate { note } => self.escalations.push((by, e.at, note.clone())),
            Action::Edit(edit) => {
                if let Some(v) = &edit.location {
                    self.location = v.clone();
                }
                if let Some(v) = &edit.description {
                    self.description = v.clone();
                }
                if let Some(v) = &edit.required_measures {
                    self.required_measures = v.clone();
                }
                if let Some(v) = &edit.responsible_person {
                    self.responsible_person = v.clone();
                }
                if edit.funds.is_some() {
                    self.funds = edit.funds;
                }
                self.before_photos.extend(edit.add_before_photos.iter().cloned());
            }
            Action::ResolveConflict { events, .. } => {
                for c in self.conflicts.iter_mut() {
                    if c.resolved_by.is_none() && events.contains(&c.event_id) {
                        c.resolved_by = Some(e.id.clone());
                    }
                }
            }
        }
        self.push_history(e, true, None);
    }
}

fn summary(a: &Action) -> String {
    match a {
        Action::Report(r) => {
            format!("报告隐患 reported ({}, {}): {}", r.level.as_str(), r.handling.as_str(), r.description)
        }
        Action::FixOnSite { description, .. } => format!("即查即改 fixed on site: {description}"),
        Action::SubmitEvidence { after_photos, description, .. } => {
            format!("提交整改材料 evidence ({} photos): {description}", after_photos.len())
        }
        Action::Review { approve: true, opinion } => format!("复查通过 review approved: {opinion}"),
        Action::Review { approve: false, opinion } => format!("复查不通过 review rejected: {opinion}"),
        Action::Verify { approve: true, opinion } => format!("核销 verified: {opinion}"),
        Action::Verify { approve: false, opinion } => format!("核销不通过 verification refused: {opinion}"),
        Action::RequestExtension { proposed_deadline, reason } => {
            format!("申请延期 extension asked to {proposed_deadline}: {reason}")
        }
        Action::DecideExtension { grant: true, new_deadline, reason } => format!(
            "同意延期 extension granted{}: {reason}",
            new_deadline.map(|d| format!(" to {d}")).unwrap_or_default()
        ),
        Action::DecideExtension { grant: false, reason, .. } => format!("不同意延期 extension refused: {reason}"),
        Action::Void { reason } => format!("撤销 voided: {reason}"),
        Action::ChangeLevel { level, reason } => format!("等级调整 level set to {}: {reason}", level.as_str()),
        Action::CriteriaMet { reasons } => format!("综合判定为重大 composite criteria met: {}", reasons.join("; ")),
        Action::SubmitPlan { .. } => "提交治理方案 governance plan submitted".to_string(),
        Action::List { level, reason } => format!("挂牌督办 listed ({level:?}): {reason}"),
        Action::Suspend { from, until, reason } => format!("停产停业 suspended {from}..{until}: {reason}"),
        Action::RequestResumption { note } => format!("申请复产 resumption requested: {note}"),
        Action::Escalate { note } => format!("督办 escalated: {note}"),
        Action::Edit(e) => format!("修改 edited {}", e.fields().join(", ")),
        Action::ResolveConflict { events, note } => format!("冲突处理 resolved {}: {note}", events.join(", ")),
    }
}
