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
//! The rules themselves live in [`crate::workflow`].

use crate::enterprise::RiskColour;
use crate::people::{Actor, Person, Role};
use crate::photo::PhotoRef;
use crate::policy::Policy;
use crate::time::{days_between, end_of_cst_day, Timestamp};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// 隐患等级.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 一般事故隐患.
    General,
    /// 重大事故隐患.
    Major,
}

impl Level {
    /// Parses `general`/`一般` and `major`/`重大`.
    pub fn parse(s: &str) -> Result<Level, String> {
        match s.trim() {
            "general" | "一般" => Ok(Level::General),
            "major" | "重大" => Ok(Level::Major),
            other => Err(format!("level '{other}' is not one of general, major")),
        }
    }

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::General => "general",
            Level::Major => "major",
        }
    }
}

/// 隐患类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardKind {
    /// 物的危险状态.
    UnsafeCondition,
    /// 人的不安全行为.
    UnsafeAct,
    /// 管理上的缺陷.
    ManagementDefect,
}

impl HazardKind {
    /// Parses English or Chinese names.
    pub fn parse(s: &str) -> Result<HazardKind, String> {
        match s.trim() {
            "unsafe_condition" | "物的危险状态" => Ok(HazardKind::UnsafeCondition),
            "unsafe_act" | "人的不安全行为" => Ok(HazardKind::UnsafeAct),
            "management_defect" | "管理上的缺陷" => Ok(HazardKind::ManagementDefect),
            other => Err(format!("kind '{other}' is not one of unsafe_condition, unsafe_act, management_defect")),
        }
    }
}

/// 治理方式.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// 即查即改: fixed during the inspection (R6).
    OnSite,
    /// 限期整改: fixed by a deadline (R5).
    Deadline,
}

impl Handling {
    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Handling::OnSite => "on_site",
            Handling::Deadline => "deadline",
        }
    }

    /// Parses `on_site` and `deadline`.
    pub fn parse(s: &str) -> Result<Handling, String> {
        match s.trim() {
            "on_site" | "on-site" | "即查即改" => Ok(Handling::OnSite),
            "deadline" | "限期整改" => Ok(Handling::Deadline),
            other => Err(format!("handling '{other}' is not one of on_site, deadline")),
        }
    }
}

/// Where a hidden danger is in the loop. Overdue and escalation are not states:
/// they are derived from the deadline and a clock ([`Hazard::escalation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 整改中.
    Rectifying,
    /// 待复查.
    PendingReview,
    /// 待核销 (major only).
    PendingVerification,
    /// 已销号.
    Closed,
    /// 已撤销.
    Voided,
}

impl Status {
    /// The name used in files and the projection table.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Rectifying => "rectifying",
            Status::PendingReview => "pending_review",
            Status::PendingVerification => "pending_verification",
            Status::Closed => "closed",
            Status::Voided => "voided",
        }
    }

    /// Parses the names of [`Status::as_str`].
    pub fn parse(s: &str) -> Result<Status, String> {
        match s {
            "rectifying" => Ok(Status::Rectifying),
            "pending_review" => Ok(Status::PendingReview),
            "pending_verification" => Ok(Status::PendingVerification),
            "closed" => Ok(Status::Closed),
            "voided" => Ok(Status::Voided),
            other => Err(format!(
                "status '{other}' is not one of rectifying, pending_review, pending_verification, closed, voided"
            )),
        }
    }

    /// Still in the loop: neither closed nor voided.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Rectifying | Status::PendingReview | Status::PendingVerification)
    }
}

/// How a hidden danger was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureKind {
    /// Fixed on the spot, closed by the inspector (R6).
    OnSite,
    /// Closed by the township supervisor's review (R8).
    Reviewed,
    /// Closed by the district's verification (核销, R11).
    Verified,
}

/// 挂牌督办 level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingLevel {
    /// 县级.
    County,
    /// 市级.
    City,
    /// 省级.
    Province,
}

impl ListingLevel {
    /// Parses `county`, `city`, `province`.
    pub fn parse(s: &str) -> Result<ListingLevel, String> {
        match s.trim() {
            "county" | "县级" => Ok(ListingLevel::County),
            "city" | "市级" => Ok(ListingLevel::City),
            "province" | "省级" => Ok(ListingLevel::Province),
            other => Err(format!("listing level '{other}' is not one of county, city, province")),
        }
    }
}

/// The enterprise as the hidden danger records it (a snapshot at report time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseRef {
    /// Credit code.
    pub credit_code: String,
    /// Name.
    pub name: String,
    /// Township: decides the reviewing supervisor.
    pub township: String,
    /// Grid.
    #[serde(default)]
    pub grid: String,
    /// Risk colour at report time.
    pub risk_colour: RiskColour,
}

/// 治理方案 of a major hidden danger: all six elements are required (R11).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernancePlan {
    /// 治理的目标和任务.
    pub objectives: String,
    /// 采取的方法和措施.
    pub methods: String,
    /// 经费和物资的落实.
    pub funds_and_materials: String,
    /// 负责治理的机构和人员.
    pub responsible: String,
    /// 治理的时限和要求.
    pub time_limits: String,
    /// 安全措施和应急预案.
    pub safety_and_emergency: String,
    /// 双报告: reported to the authority on this day.
    #[serde(default)]
    pub reported_to_authority_on: Option<NaiveDate>,
    /// 双报告: reported to the workforce (职工大会/职工代表大会) on this day.
    #[serde(default)]
    pub reported_to_workforce_on: Option<NaiveDate>,
}

impl GovernancePlan {
    /// The Chinese names of the elements that are empty.
    pub fn missing_elements(&self) -> Vec<&'static str> {
        let mut missing = vec![];
        for (value, name) in [
            (&self.objectives, "治理的目标和任务 (objectives)"),
            (&self.methods, "采取的方法和措施 (methods)"),
            (&self.funds_and_materials, "经费和物资 (funds_and_materials)"),
            (&self.responsible, "负责治理的机构和人员 (responsible)"),
            (&self.time_limits, "治理的时限和要求 (time_limits)"),
            (&self.safety_and_emergency, "安全措施和应急预案 (safety_and_emergency)"),
        ] {
            if value.trim().is_empty() {
                missing.push(name);
            }
        }
        missing
    }
}

/// What an inspector records when reporting a hidden danger; the rule function
/// fills in `order_date` and `deadline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// The enterprise.
    pub enterprise: EnterpriseRef,
    /// Sector.
    #[serde(default)]
    pub sector: String,
    /// The inspection that found it, if any.
    #[serde(default)]
    pub inspection_id: Option<String>,
    /// The checklist item, if any.
    #[serde(default)]
    pub item_code: Option<String>,
    /// Where in the plant.
    #[serde(default)]
    pub location: String,
    /// What is wrong.
    pub description: String,
    /// Kind.
    pub kind: HazardKind,
    /// Level (raised to major by a `direct` criterion, R4).
    pub level: Level,
    /// On the spot or by a deadline.
    pub handling: Handling,
    /// Before photos.
    #[serde(default)]
    pub before_photos: Vec<PhotoRef>,
    /// Required measures.
    #[serde(default)]
    pub required_measures: String,
    /// The enterprise's responsible person.
    #[serde(default)]
    pub responsible_person: String,
    /// Rectification funds, yuan.
    #[serde(default)]
    pub funds: Option<f64>,
    /// Legal basis (from the checklist item).
    #[serde(default)]
    pub legal_basis: String,
    /// The criteria that made it major, if any.
    #[serde(default)]
    pub criteria: Vec<String>,
    /// The other inspector(s) issuing the order with the reporter.
    #[serde(default)]
    pub co_inspectors: Vec<Person>,
    /// Requested deadline (never later than policy allows, R5); resolved by the rules.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// The day (CST) the rectification order was issued; set by the rules.
    #[serde(default)]
    pub order_date: Option<NaiveDate>,
}

/// A change to the descriptive fields, made while the record is open.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    /// New location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New required measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_measures: Option<String>,
    /// New responsible person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_person: Option<String>,
    /// New funds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funds: Option<f64>,
    /// Before photos to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_before_photos: Vec<PhotoRef>,
}

impl Edit {
    fn fields(&self) -> Vec<&'static str> {
        let mut f = vec![];
        if self.location.is_some() {
            f.push("location");
        }
        if self.description.is_some() {
            f.push("description");
        }
        if self.required_measures.is_some() {
            f.push("required_measures");
        }
        if self.responsible_person.is_some() {
            f.push("responsible_person");
        }
        if self.funds.is_some() {
            f.push("funds");
        }
        f
    }

    /// Whether the edit changes anything.
    pub fn is_empty(&self) -> bool {
        self.fields().is_empty() && self.add_before_photos.is_empty()
    }
}

/// Everything a person can do to a hidden danger. Each variant is checked by
/// [`crate::workflow::decide`] and stored inside an [`Event`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Record the hidden danger and, for `deadline` handling, issue the order.
    Report(Box<ReportData>),
    /// R6: close a general hidden danger fixed during the inspection.
    FixOnSite {
        /// After photos.
        after_photos: Vec<PhotoRef>,
        /// What was done.
        description: String,
    },
    /// R7: submit rectification evidence (again while pending review to add to it).
    SubmitEvidence {
        /// After photos.
        after_photos: Vec<PhotoRef>,
        /// What was done.
        description: String,
        /// When the rectification was finished.
        #[serde(default)]
        rectified_on: Option<NaiveDate>,
    },
    /// R8: township review: close (major: pass to district) or reject.
    Review {
        /// Close (true) or reject (false).
        approve: bool,
        /// The opinion; the reason when rejecting.
        #[serde(default)]
        opinion: String,
    },
    /// R11: district verification (核销) of a major hidden danger.
    Verify {
        /// Close (true) or send back to rectification (false).
        approve: bool,
        /// The opinion; the reason when refusing.
        #[serde(default)]
        opinion: String,
    },
    /// R9: the enterprise asks for more time.
    RequestExtension {
        /// Why.
        reason: String,
        /// The date asked for.
        proposed_deadline: NaiveDate,
    },
    /// R9: grant (with a new deadline) or refuse an extension.
    DecideExtension {
        /// Grant or refuse.
        grant: bool,
        /// The new deadline when granting (defaults to the one asked for).
        #[serde(default)]
        new_deadline: Option<NaiveDate>,
        /// Reason.
        #[serde(default)]
        reason: String,
    },
    /// R12: void a record made in error.
    Void {
        /// Why.
        reason: String,
    },
    /// R13: raise or lower the level.
    ChangeLevel {
        /// New level.
        level: Level,
        /// Why.
        reason: String,
    },
    /// R4: composite criteria met when the inspection was completed: now major.
    CriteriaMet {
        /// The criteria groups that were met.
        reasons: Vec<String>,
    },
    /// R11: the governance plan of a major hidden danger.
    SubmitPlan {
        /// The plan.
        plan: GovernancePlan,
    },
    /// R11: 挂牌督办.
    List {
        /// Level of the listing.
        level: ListingLevel,
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// R11: 停产停业.
    Suspend {
        /// First day.
        from: NaiveDate,
        /// Last day.
        until: NaiveDate,
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// R11: the enterprise asks to resume work; verification is due within the policy's days.
    RequestResumption {
        /// Note.
        #[serde(default)]
        note: String,
    },
    /// R10: a recorded escalation (督办通知) by a supervisor or the district.
    Escalate {
        /// What was ordered.
        note: String,
    },
    /// Change descriptive fields while the record is open.
    Edit(Edit),
    /// R14: a person has looked at conflicting decisions and settled them.
    ResolveConflict {
        /// The events whose conflicts are settled.
        events: Vec<String>,
        /// What was decided.
        note: String,
    },
}

impl Action {
    /// The action's name as stored (`report`, `review`...).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Report(_) => "report",
            Action::FixOnSite { .. } => "fix_on_site",
            Action::SubmitEvidence { .. } => "submit_evidence",
            Action::Review { .. } => "review",
            Action::Verify { .. } => "verify",
            Action::RequestExtension { .. } => "request_extension",
            Action::DecideExtension { .. } => "decide_extension",
            Action::Void { .. } => "void",
            Action::ChangeLevel { .. } => "change_level",
            Action::CriteriaMet { .. } => "criteria_met",
            Action::SubmitPlan { .. } => "submit_plan",
            Action::List { .. } => "list",
            Action::Suspend { .. } => "suspend",
            Action::RequestResumption { .. } => "request_resumption",
            Action::Escalate { .. } => "escalate",
            Action::Edit(_) => "edit",
            Action::ResolveConflict { .. } => "resolve_conflict",
        }
    }

    /// The photos this action refers to (before, after).
    pub fn photos(&self) -> Vec<&PhotoRef> {
        match self {
            Action::Report(r) => r.before_photos.iter().collect(),
            Action::FixOnSite { after_photos, .. } | Action::SubmitEvidence { after_photos, .. } => {
                after_photos.iter().collect()
            }
            Action::Edit(e) => e.add_before_photos.iter().collect(),
            _ => vec![],
        }
    }

    /// Decisions whose concurrent twins a person must see (R14).
    fn is_decision(&self) -> bool {
        matches!(
            self,
            Action::FixOnSite { .. }
                | Action::SubmitEvidence { .. }
                | Action::Review { .. }
                | Action::Verify { .. }
                | Action::DecideExtension { .. }
                | Action::Void { .. }
                | Action::ChangeLevel { .. }
                | Action::CriteriaMet { .. }
        )
    }
}

/// One immutable entry of a hidden danger's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id (created on the device).
    pub id: String,
    /// The events its author had seen last (the heads of the history when it was made).
    pub parents: Vec<String>,
    /// One more than the largest `lamport` among its parents: orders causes before effects.
    pub lamport: u64,
    /// Device clock time (R1).
    pub at: Timestamp,
    /// Who, in which role, from which device (R1).
    pub actor: Actor,
    /// What was done.
    pub action: Action,
}

/// Builds the next event on top of `known`: its parents are the current heads.
pub fn next_event(known: &[Event], id: String, at: Timestamp, actor: Actor, action: Action) -> Event {
    let referenced: HashSet<&str> = known.iter().flat_map(|e| e.parents.iter().map(String::as_str)).collect();
    let mut parents: Vec<String> =
        known.iter().filter(|e| !referenced.contains(e.id.as_str())).map(|e| e.id.clone()).collect();
    parents.sort();
    parents.dedup();
    let lamport = known.iter().map(|e| e.lamport).max().map_or(1, |m| m + 1);
    Event { id, parents, lamport, at, actor, action }
}

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

/// 逾期/督办 level, derived from the deadline and a clock (R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Escalation {
    /// Nothing to do yet, or not open.
    None,
    /// A reminder is due (the deadline is near).
    Reminder {
        /// Calendar days left (0: today is the deadline).
        days_left: i64,
    },
    /// Overdue: the township supervisor is alerted.
    Township {
        /// Calendar days past the deadline.
        overdue_days: i64,
    },
    /// Overdue long enough (or major): the district is alerted.
    District {
        /// Calendar days past the deadline.
        overdue_days: i64,
    },
    /// A major hidden danger whose district verification (核销) did not come
    /// within the policy's days after the enterprise asked to resume work
    /// (R11): the district is alerted.
    VerificationLate {
        /// Calendar days past the verification's due day.
        days_late: i64,
    },
}

impl Escalation {
    /// Short name: none, reminder, township, district.
    pub fn as_str(&self) -> &'static str {
        match self {
            Escalation::None => "none",
            Escalation::Reminder { .. } => "reminder",
            Escalation::Township { .. } => "township",
            Escalation::District { .. } => "district",
            Escalation::VerificationLate { .. } => "verification_late",
        }
    }
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

/// Days past `deadline` at `now` for a record in `status` (0 if not overdue).
pub fn overdue_days(status: Status, deadline: NaiveDate, now: Timestamp) -> i64 {
    if !status.is_open() || now <= end_of_cst_day(deadline) {
        return 0;
    }
    days_between(deadline, now.cst_date())
}

/// Calendar days (CST) a major hidden danger's district verification is
/// late: it is due within the policy's days of the enterprise's request to
/// resume work (R11). 0 when not late, not asked, closed or general.
pub fn verification_late_days(
    status: Status,
    level: Level,
    resumption_requested_at: Option<Timestamp>,
    now: Timestamp,
    policy: &Policy,
) -> i64 {
    let Some(asked) = resumption_requested_at else { return 0 };
    if level != Level::Major || !status.is_open() {
        return 0;
    }
    let asked = asked.cst_date();
    let due = asked + chrono::Duration::days(policy.at(asked).verification_days_after_resumption_request.into());
    if now <= end_of_cst_day(due) {
        return 0;
    }
    days_between(due, now.cst_date())
}

/// R10 (and R11's verification limit) as a function of the projected
/// fields, so lists can compute it without loading documents.
pub fn escalation(
    status: Status,
    level: Level,
    deadline: NaiveDate,
    resumption_requested_at: Option<Timestamp>,
    now: Timestamp,
    policy: &Policy,
) -> Escalation {
    if !status.is_open() {
        return Escalation::None;
    }
    let p = policy.at(now.cst_date());
    let overdue = overdue_days(status, deadline, now);
    let district_after = match level {
        Level::General => p.district_after_overdue_days_general,
        Level::Major => p.district_after_overdue_days_major,
    };
    if overdue > i64::from(district_after) {
        return Escalation::District { overdue_days: overdue };
    }
    let late = verification_late_days(status, level, resumption_requested_at, now, policy);
    if late > 0 {
        return Escalation::VerificationLate { days_late: late };
    }
    if overdue > 0 {
        return Escalation::Township { overdue_days: overdue };
    }
    let days_left = days_between(now.cst_date(), deadline);
    let first_reminder = p.reminder_days_before.iter().copied().max().unwrap_or(0);
    if days_left <= i64::from(first_reminder) && !p.reminder_days_before.is_empty() {
        Escalation::Reminder { days_left }
    } else {
        Escalation::None
    }
}

/// The order in which every replica applies events: causes before effects
/// (`lamport`), then device time, then id. Total and independent of arrival.
pub fn canonical_order(events: &[Event]) -> Vec<&Event> {
    let mut seen = HashSet::new();
    let mut v: Vec<&Event> = events.iter().filter(|e| seen.insert(e.id.as_str())).collect();
    v.sort_by(|a, b| (a.lamport, a.at, &a.id).cmp(&(b.lamport, b.at, &b.id)));
    v
}

/// Folds events into the current state. Deterministic: any replica with the
/// same set of events gets the same [`Hazard`], history and conflicts.
/// Returns `None` when no report event is known (nothing to show yet).
pub fn fold(id: &str, events: &[Event]) -> Option<Hazard> {
    let ordered = canonical_order(events);
    // Ancestors of every event, computed in canonical order (parents first).
    let mut ancestors: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &ordered {
        let mut set = BTreeSet::new();
        for p in &e.parents {
            set.insert(p.as_str());
            if let Some(a) = ancestors.get(p.as_str()) {
                set.extend(a.iter().copied());
            }
        }
        ancestors.insert(e.id.as_str(), set);
    }
    let concurrent = |a: &str, b: &str| {
        a != b && !ancestors.get(a).is_some_and(|s| s.contains(b)) && !ancestors.get(b).is_some_and(|s| s.contains(a))
    };

    let mut state: Option<Hazard> = None;
    let mut applied_before: Vec<&Event> = Vec::new();
    for e in ordered {
        let Some(h) = state.as_mut() else {
            if let Action::Report(r) = &e.action {
                if crate::workflow::check(None, &e.actor, &e.action, e.at).is_ok() {
                    state = Some(Hazard::from_report(id, e, r));
                    applied_before.push(e);
                }
            }
            continue;
        };
        let outcome = crate::workflow::check(Some(h), &e.actor, &e.action, e.at);
        // Earlier decisions this event did not see.
        let rivals: Vec<&Event> =
            applied_before.iter().copied().filter(|o| o.action.is_decision() && concurrent(&o.id, &e.id)).collect();
        match outcome {
            Ok(()) => {
                if let Action::Edit(edit) = &e.action {
                    let fields: BTreeSet<&str> = edit.fields().into_iter().collect();
                    let clashing: Vec<String> = applied_before
                        .iter()
                        .filter(|o| concurrent(&o.id, &e.id))
                        .filter(|o| match &o.action {
                            Action::Edit(x) => x.fields().iter().any(|f| fields.contains(f)),
                            _ => false,
                        })
                        .map(|o| o.id.clone())
                        .collect();
                    if !clashing.is_empty() {
                        h.conflicts.push(Conflict {
                            event_id: e.id.clone(),
                            concurrent_with: clashing,
                            kind: ConflictKind::ConcurrentEdit,
                            message: format!(
                                "{} changed {} at the same time as another edit; this one shows, the other stays in the history",
                                e.actor.person.name,
                                fields.iter().copied().collect::<Vec<_>>().join(", ")
                            ),
                            needs_attention: true,
                            resolved_by: None,
                        });
                    }
                }
                if e.action.is_decision() && !rivals.is_empty() {
                    h.conflicts.push(Conflict {
                        event_id: e.id.clone(),
                        concurrent_with: rivals.iter().map(|o| o.id.clone()).collect(),
                        kind: ConflictKind::ConcurrentDecisions,
                        message: format!(
                            "{} ({}) made '{}' without seeing {}",
                            e.actor.person.name,
                            e.actor.person.role,
                            e.action.name(),
                            describe(&rivals)
                        ),
                        needs_attention: true,
                        resolved_by: None,
                    });
                }
                h.apply(e);
                applied_before.push(e);
            }
            Err(err) => {
                let duplicate = rivals.iter().any(|o| same_decision(&o.action, &e.action));
                let kind = if rivals.is_empty() && !applied_before.iter().any(|o| concurrent(&o.id, &e.id)) {
                    ConflictKind::Invalid
                } else {
                    ConflictKind::NotApplied
                };
                h.conflicts.push(Conflict {
                    event_id: e.id.clone(),
                    concurrent_with: rivals.iter().map(|o| o.id.clone()).collect(),
                    kind,
                    message: format!("'{}' by {} was not applied: {err}", e.action.name(), e.actor.person.name),
                    needs_attention: !duplicate,
                    resolved_by: None,
                });
                h.push_history(e, false, Some(err.to_string()));
            }
        }
    }
    state
}

fn describe(events: &[&Event]) -> String {
    events.iter().map(|o| format!("'{}' by {}", o.action.name(), o.actor.person.name)).collect::<Vec<_>>().join(", ")
}

fn same_decision(a: &Action, b: &Action) -> bool {
    match (a, b) {
        (Action::Review { approve: x, .. }, Action::Review { approve: y, .. }) => x == y,
        (Action::Verify { approve: x, .. }, Action::Verify { approve: y, .. }) => x == y,
        (Action::Void { .. }, Action::Void { .. }) => true,
        (Action::ChangeLevel { level: x, .. }, Action::ChangeLevel { level: y, .. }) => x == y,
        (Action::CriteriaMet { .. }, Action::CriteriaMet { .. }) => true,
        (Action::CriteriaMet { .. }, Action::ChangeLevel { level: Level::Major, .. }) => true,
        (Action::ChangeLevel { level: Level::Major, .. }, Action::CriteriaMet { .. }) => true,
        _ => false,
    }
}

impl Hazard {
    fn from_report(id: &str, e: &Event, r: &ReportData) -> Hazard {
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

    fn push_history(&mut self, e: &Event, applied: bool, note: Option<String>) {
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
    fn apply(&mut self, e: &Event) {
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
