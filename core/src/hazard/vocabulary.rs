//! The vocabulary of a hidden danger: levels, kinds, handling and statuses,
//! what a report holds, every action a person can take, and the immutable
//! events that carry them (R1).

use crate::enterprise::RiskColour;
use crate::people::{Actor, Person};
use crate::photo::PhotoRef;
use crate::time::Timestamp;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

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
    /// The level as people call it in Chinese (console, printed documents).
    pub fn zh(self) -> &'static str {
        match self {
            Level::General => "一般",
            Level::Major => "重大",
        }
    }

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
    /// The status as people call it in Chinese (console, printed documents).
    pub fn zh(self) -> &'static str {
        match self {
            Status::Rectifying => "整改中",
            Status::PendingReview => "待复查",
            Status::PendingVerification => "待核销",
            Status::Closed => "已销号",
            Status::Voided => "已撤销",
        }
    }

    /// The statuses still in the loop ([`Status::is_open`]), for queries.
    pub const OPEN: &'static [Status] = &[Status::Rectifying, Status::PendingReview, Status::PendingVerification];

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
        Status::OPEN.contains(&self)
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
    pub(super) fn fields(&self) -> Vec<&'static str> {
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
    pub(super) fn is_decision(&self) -> bool {
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
