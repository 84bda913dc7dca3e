//! Plain values that cross the FFI, and their conversions from core types.
//! Times are milliseconds since the Unix epoch (UTC); calendar days are
//! `YYYY-MM-DD` strings in China Standard Time (validated where they come
//! in: a malformed day is an `InvalidInput` error naming the parameter).
//! Every closed set of the domain is an enum.

use crate::error::{FfiResult, PaichaError};
use paicha_core::enterprise;
use paicha_core::hazard::{self, Escalation, Hazard, HistoryEntry};
use paicha_core::inspection;
use paicha_core::people;
use paicha_core::photo::Gps;
use paicha_core::stats::GroupBy;
use paicha_core::template;
use paicha_store::client::SyncReport;
use paicha_store::{CompletionReport, HazardRow, RefusedEdit};

/// A person's role (docs/rules.md, Roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// 检查员 / 执法人员.
    Inspector,
    /// 企业安全负责人.
    Enterprise,
    /// 镇街监管人员.
    Supervisor,
    /// 区应急管理局.
    DistrictAdmin,
}

impl From<people::Role> for Role {
    fn from(r: people::Role) -> Self {
        match r {
            people::Role::Inspector => Role::Inspector,
            people::Role::Enterprise => Role::Enterprise,
            people::Role::Supervisor => Role::Supervisor,
            people::Role::DistrictAdmin => Role::DistrictAdmin,
        }
    }
}

/// The signed-in user's scope (R2): what they see and act on.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct UserScope {
    /// The person's id.
    pub person_id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Townships in scope (inspector: one or more; supervisor: one; others: none).
    pub townships: Vec<String>,
    /// The enterprise's credit code, for an enterprise user.
    pub enterprise: Option<String>,
    /// Whether the whole district is in scope (district admin).
    pub whole_district: bool,
}

impl From<&people::Person> for UserScope {
    fn from(p: &people::Person) -> Self {
        UserScope {
            person_id: p.id.clone(),
            name: p.name.clone(),
            role: p.role.into(),
            townships: p.townships.clone(),
            enterprise: p.enterprise.clone(),
            whole_district: p.role == people::Role::DistrictAdmin,
        }
    }
}

/// 四色分级.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RiskColour {
    /// 红, major risk.
    Red,
    /// 橙, high.
    Orange,
    /// 黄, moderate.
    Yellow,
    /// 蓝, low.
    Blue,
}

impl From<enterprise::RiskColour> for RiskColour {
    fn from(c: enterprise::RiskColour) -> Self {
        match c {
            enterprise::RiskColour::Red => RiskColour::Red,
            enterprise::RiskColour::Orange => RiskColour::Orange,
            enterprise::RiskColour::Yellow => RiskColour::Yellow,
            enterprise::RiskColour::Blue => RiskColour::Blue,
        }
    }
}

/// How urgent an enterprise's next routine inspection is (docs/planning.md §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DueState {
    /// The due date has passed.
    Overdue {
        /// Days since the due date (at least 1).
        days_overdue: i64,
    },
    /// Due today or within the next days (never inspected: due today).
    Due {
        /// Days until the due date (0 = today).
        days_left: i64,
    },
    /// Due later.
    NotDue {
        /// Days until the due date.
        days_left: i64,
    },
}

/// An enterprise in the user's scope and when its next routine inspection
/// is due, so an inspector picks where to go first.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueInspectionInfo {
    /// Credit code.
    pub credit_code: String,
    /// Name.
    pub name: String,
    /// Township.
    pub township: String,
    /// Risk colour, which sets the interval.
    pub risk_colour: RiskColour,
    /// Day of the last completed inspection (`YYYY-MM-DD`), if any.
    pub last_inspected: Option<String>,
    /// Months between routine inspections for this colour.
    pub interval_months: u32,
    /// Day the next routine inspection is due (`YYYY-MM-DD`).
    pub due_date: String,
    /// Overdue, due soon or not due, against today.
    pub state: DueState,
}

impl From<paicha_core::planning::DueInspection> for DueInspectionInfo {
    fn from(d: paicha_core::planning::DueInspection) -> Self {
        use paicha_core::planning::DueStatus;
        DueInspectionInfo {
            credit_code: d.credit_code,
            name: d.name,
            township: d.township,
            risk_colour: d.risk_colour.into(),
            last_inspected: d.last_inspected.map(|day| day.to_string()),
            interval_months: d.interval_months,
            due_date: d.due_date.to_string(),
            state: match d.status {
                DueStatus::Overdue { days_overdue } => DueState::Overdue { days_overdue },
                DueStatus::Due { days_left } => DueState::Due { days_left },
                DueStatus::NotDue { days_left } => DueState::NotDue { days_left },
            },
        }
    }
}

/// 排查来源: why an inspection is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum InspectionSource {
    /// 日常检查.
    Routine,
    /// 专项整治.
    SpecialCampaign,
    /// 双随机.
    RandomPlan,
    /// 投诉举报.
    Complaint,
    /// 复产复工前.
    BeforeResumption,
    /// 企业自查 (the one source an enterprise user may start, R2).
    SelfInspection,
    /// Anything else.
    Other,
}

impl From<InspectionSource> for inspection::Source {
    fn from(s: InspectionSource) -> Self {
        match s {
            InspectionSource::Routine => inspection::Source::Routine,
            InspectionSource::SpecialCampaign => inspection::Source::SpecialCampaign,
            InspectionSource::RandomPlan => inspection::Source::RandomPlan,
            InspectionSource::Complaint => inspection::Source::Complaint,
            InspectionSource::BeforeResumption => inspection::Source::BeforeResumption,
            InspectionSource::SelfInspection => inspection::Source::SelfInspection,
            InspectionSource::Other => inspection::Source::Other,
        }
    }
}

impl From<inspection::Source> for InspectionSource {
    fn from(s: inspection::Source) -> Self {
        match s {
            inspection::Source::Routine => InspectionSource::Routine,
            inspection::Source::SpecialCampaign => InspectionSource::SpecialCampaign,
            inspection::Source::RandomPlan => InspectionSource::RandomPlan,
            inspection::Source::Complaint => InspectionSource::Complaint,
            inspection::Source::BeforeResumption => InspectionSource::BeforeResumption,
            inspection::Source::SelfInspection => InspectionSource::SelfInspection,
            inspection::Source::Other => InspectionSource::Other,
        }
    }
}

/// A GPS fix: where an inspection was made.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GpsLocation {
    /// Latitude, degrees, −90 to 90.
    pub lat: f64,
    /// Longitude, degrees, −180 to 180.
    pub lon: f64,
    /// Accuracy radius in metres, if known (not negative).
    pub accuracy_m: Option<f64>,
}

impl GpsLocation {
    /// The core's GPS fix; out-of-range or non-finite values are an `InvalidInput` on `location`.
    pub(crate) fn to_core(self) -> FfiResult<Gps> {
        let bad = |reason: String| PaichaError::InvalidInput { field: "location".into(), reason };
        if !self.lat.is_finite() || !(-90.0..=90.0).contains(&self.lat) {
            return Err(bad(format!("latitude {} is not between -90 and 90 degrees", self.lat)));
        }
        if !self.lon.is_finite() || !(-180.0..=180.0).contains(&self.lon) {
            return Err(bad(format!("longitude {} is not between -180 and 180 degrees", self.lon)));
        }
        if let Some(a) = self.accuracy_m {
            if !a.is_finite() || a < 0.0 {
                return Err(bad(format!("accuracy {a} m is not a distance")));
            }
        }
        Ok(Gps { lat: self.lat, lon: self.lon, accuracy_m: self.accuracy_m })
    }
}

impl From<Gps> for GpsLocation {
    fn from(g: Gps) -> Self {
        GpsLocation { lat: g.lat, lon: g.lon, accuracy_m: g.accuracy_m }
    }
}

/// How a checklist item is answered; an answer of another kind is refused.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnswerKind {
    /// `Conforms`, `DoesNotConform` or `NotApplicable`.
    Compliance,
    /// `Number` (or `NotApplicable`); outside `min`..`max` it is a finding.
    Number {
        /// Unit to show next to the field.
        unit: String,
        /// Lowest conforming value, if any.
        min: Option<f64>,
        /// Highest conforming value, if any.
        max: Option<f64>,
    },
    /// `Text` (or `NotApplicable`).
    Text,
    /// `Photo` with at least one photo attached (or `NotApplicable`).
    Photo,
}

impl From<&template::AnswerKind> for AnswerKind {
    fn from(k: &template::AnswerKind) -> Self {
        match k {
            template::AnswerKind::Compliance => AnswerKind::Compliance,
            template::AnswerKind::Number { unit, min, max } => {
                AnswerKind::Number { unit: unit.clone(), min: *min, max: *max }
            }
            template::AnswerKind::Text => AnswerKind::Text,
            template::AnswerKind::Photo => AnswerKind::Photo,
        }
    }
}

/// The answer to a checklist item. It must fit the item's [`AnswerKind`]
/// (`NotApplicable` fits every kind).
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnswerValue {
    /// 符合.
    Conforms,
    /// 不符合: a finding.
    DoesNotConform,
    /// 不适用: the item does not apply here (it counts as answered).
    NotApplicable,
    /// A measured number, in the item's unit.
    Number {
        /// The value (finite).
        value: f64,
    },
    /// Free text.
    Text {
        /// The text.
        text: String,
    },
    /// A photo answer: the photos are the `photo_paths` given with it (at least one).
    Photo,
}

impl AnswerValue {
    pub(crate) fn to_core(&self) -> FfiResult<inspection::AnswerValue> {
        Ok(match self {
            AnswerValue::Conforms => inspection::AnswerValue::Conforms,
            AnswerValue::DoesNotConform => inspection::AnswerValue::DoesNotConform,
            AnswerValue::NotApplicable => inspection::AnswerValue::NotApplicable,
            AnswerValue::Number { value } if value.is_finite() => inspection::AnswerValue::Number { value: *value },
            AnswerValue::Number { value } => {
                return Err(PaichaError::InvalidInput {
                    field: "answer".into(),
                    reason: format!("{value} is not a number that can be recorded"),
                })
            }
            AnswerValue::Text { text } => inspection::AnswerValue::Text { text: text.clone() },
            AnswerValue::Photo => inspection::AnswerValue::Photo,
        })
    }
}

impl From<inspection::AnswerValue> for AnswerValue {
    fn from(v: inspection::AnswerValue) -> Self {
        match v {
            inspection::AnswerValue::Conforms => AnswerValue::Conforms,
            inspection::AnswerValue::DoesNotConform => AnswerValue::DoesNotConform,
            inspection::AnswerValue::NotApplicable => AnswerValue::NotApplicable,
            inspection::AnswerValue::Number { value } => AnswerValue::Number { value },
            inspection::AnswerValue::Text { text } => AnswerValue::Text { text },
            inspection::AnswerValue::Photo => AnswerValue::Photo,
        }
    }
}

/// A decision on what waits for the user: a review (R8), a verification
/// (R11) or an extension request (R9, `Approve` grants it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Decision {
    /// Approve (close, verify, grant).
    Approve,
    /// Reject (send back to rectifying, refuse), with a reason.
    Reject,
}

impl Decision {
    pub(crate) fn approves(self) -> bool {
        self == Decision::Approve
    }
}

/// 挂牌督办 level (R11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ListingLevel {
    /// 县级.
    County,
    /// 市级.
    City,
    /// 省级.
    Province,
}

impl From<ListingLevel> for hazard::ListingLevel {
    fn from(l: ListingLevel) -> Self {
        match l {
            ListingLevel::County => hazard::ListingLevel::County,
            ListingLevel::City => hazard::ListingLevel::City,
            ListingLevel::Province => hazard::ListingLevel::Province,
        }
    }
}

/// How statistics are grouped (domain.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StatsGroupBy {
    /// One line for everything (`total`).
    Total,
    /// Per township.
    Township,
    /// Per sector.
    Sector,
    /// Per risk colour.
    RiskColour,
    /// Per level.
    Level,
    /// Per enterprise.
    Enterprise,
    /// Per month of reporting (CST), `YYYY-MM`.
    Month,
    /// Per quarter of reporting (CST).
    Quarter,
}

impl From<StatsGroupBy> for GroupBy {
    fn from(g: StatsGroupBy) -> Self {
        match g {
            StatsGroupBy::Total => GroupBy::Total,
            StatsGroupBy::Township => GroupBy::Township,
            StatsGroupBy::Sector => GroupBy::Sector,
            StatsGroupBy::RiskColour => GroupBy::RiskColour,
            StatsGroupBy::Level => GroupBy::Level,
            StatsGroupBy::Enterprise => GroupBy::Enterprise,
            StatsGroupBy::Month => GroupBy::Month,
            StatsGroupBy::Quarter => GroupBy::Quarter,
        }
    }
}

/// How a hidden danger was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ClosureKind {
    /// Fixed on the spot during the inspection (R6).
    OnSite,
    /// Closed by the township's review (R8).
    Reviewed,
    /// Verified by the district (R11).
    Verified,
}

impl From<hazard::ClosureKind> for ClosureKind {
    fn from(k: hazard::ClosureKind) -> Self {
        match k {
            hazard::ClosureKind::OnSite => ClosureKind::OnSite,
            hazard::ClosureKind::Reviewed => ClosureKind::Reviewed,
            hazard::ClosureKind::Verified => ClosureKind::Verified,
        }
    }
}

/// 隐患等级.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Level {
    /// 一般.
    General,
    /// 重大.
    Major,
}

impl From<hazard::Level> for Level {
    fn from(l: hazard::Level) -> Self {
        match l {
            hazard::Level::General => Level::General,
            hazard::Level::Major => Level::Major,
        }
    }
}

impl From<Level> for hazard::Level {
    fn from(l: Level) -> Self {
        match l {
            Level::General => hazard::Level::General,
            Level::Major => hazard::Level::Major,
        }
    }
}

/// Where a hidden danger is in the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HazardStatus {
    /// 整改中.
    Rectifying,
    /// 待复查.
    PendingReview,
    /// 待核销.
    PendingVerification,
    /// 已销号.
    Closed,
    /// 已撤销.
    Voided,
}

impl From<hazard::Status> for HazardStatus {
    fn from(s: hazard::Status) -> Self {
        match s {
            hazard::Status::Rectifying => HazardStatus::Rectifying,
            hazard::Status::PendingReview => HazardStatus::PendingReview,
            hazard::Status::PendingVerification => HazardStatus::PendingVerification,
            hazard::Status::Closed => HazardStatus::Closed,
            hazard::Status::Voided => HazardStatus::Voided,
        }
    }
}

impl From<HazardStatus> for hazard::Status {
    fn from(s: HazardStatus) -> Self {
        match s {
            HazardStatus::Rectifying => hazard::Status::Rectifying,
            HazardStatus::PendingReview => hazard::Status::PendingReview,
            HazardStatus::PendingVerification => hazard::Status::PendingVerification,
            HazardStatus::Closed => hazard::Status::Closed,
            HazardStatus::Voided => hazard::Status::Voided,
        }
    }
}

/// 督办 level at the time of the query (R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EscalationLevel {
    /// Nothing due.
    None,
    /// The deadline is near.
    Reminder,
    /// Overdue: the township supervisor is alerted.
    Township,
    /// Overdue long enough (or major): the district is alerted.
    District,
}

impl From<Escalation> for EscalationLevel {
    fn from(e: Escalation) -> Self {
        match e {
            Escalation::None => EscalationLevel::None,
            Escalation::Reminder { .. } => EscalationLevel::Reminder,
            Escalation::Township { .. } => EscalationLevel::Township,
            Escalation::District { .. } | Escalation::VerificationLate { .. } => EscalationLevel::District,
        }
    }
}

/// A hidden danger as lists show it (no document loaded).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HazardSummary {
    /// Id.
    pub id: String,
    /// Enterprise credit code.
    pub enterprise: String,
    /// Enterprise name.
    pub enterprise_name: String,
    /// Township.
    pub township: String,
    /// Sector.
    pub sector: String,
    /// What is wrong.
    pub description: String,
    /// Level.
    pub level: Level,
    /// Status.
    pub status: HazardStatus,
    /// Current deadline, `YYYY-MM-DD` (CST).
    pub deadline: String,
    /// Calendar days past the deadline (0 if not overdue).
    pub overdue_days: i64,
    /// Escalation now.
    pub escalation: EscalationLevel,
    /// Conflicts waiting for a person.
    pub open_conflicts: i64,
}

impl From<&HazardRow> for HazardSummary {
    fn from(r: &HazardRow) -> Self {
        HazardSummary {
            id: r.id.clone(),
            enterprise: r.enterprise.clone(),
            enterprise_name: r.enterprise_name.clone(),
            township: r.township.clone(),
            sector: r.sector.clone(),
            description: r.description.clone(),
            level: r.level.into(),
            status: r.status.into(),
            deadline: r.deadline.to_string(),
            overdue_days: r.overdue_days,
            escalation: r.escalation.into(),
            open_conflicts: r.open_conflicts,
        }
    }
}

/// One entry of a record's history (R1).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HistoryItem {
    /// Event id (use it to resolve a conflict).
    pub event_id: String,
    /// Device clock time, ms.
    pub at_ms: i64,
    /// Person id.
    pub person_id: String,
    /// Person name.
    pub person_name: String,
    /// Role when acting.
    pub role: Role,
    /// Device.
    pub device_id: String,
    /// Action name (`report`, `review`...).
    pub action: String,
    /// One line for a timeline.
    pub summary: String,
    /// Whether it changed the record; when not, `note` says why.
    pub applied: bool,
    /// Why it was not applied.
    pub note: Option<String>,
    /// When the server received it, ms, once synced (R1).
    pub received_at_ms: Option<i64>,
}

impl From<&HistoryEntry> for HistoryItem {
    fn from(e: &HistoryEntry) -> Self {
        HistoryItem {
            event_id: e.event_id.clone(),
            at_ms: e.at.0,
            person_id: e.person_id.clone(),
            person_name: e.person_name.clone(),
            role: e.role.into(),
            device_id: e.device_id.clone(),
            action: e.action.clone(),
            summary: e.summary.clone(),
            applied: e.applied,
            note: e.note.clone(),
            received_at_ms: e.received_at.map(|t| t.0),
        }
    }
}

/// One rectification evidence submission (R7), to review it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EvidenceInfo {
    /// The event that carried it.
    pub event_id: String,
    /// Who submitted it (person id).
    pub by: String,
    /// When, device clock, ms.
    pub at_ms: i64,
    /// What was done.
    pub description: String,
    /// The day it was rectified (`YYYY-MM-DD`), if given.
    pub rectified_on: Option<String>,
    /// After photos (SHA-256; bytes: `photo_bytes`).
    pub after_photos: Vec<String>,
}

/// Concurrent decisions a person should look at (R14).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictInfo {
    /// The event that collided.
    pub event_id: String,
    /// The events it collided with.
    pub concurrent_with: Vec<String>,
    /// What happened.
    pub message: String,
}

/// A whole hidden danger.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HazardDetail {
    /// Id.
    pub id: String,
    /// Enterprise credit code.
    pub enterprise: String,
    /// Enterprise name.
    pub enterprise_name: String,
    /// Township.
    pub township: String,
    /// Where in the plant.
    pub location: String,
    /// What is wrong.
    pub description: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Criteria that made it major.
    pub criteria: Vec<String>,
    /// 隐患类别.
    pub kind: HazardKind,
    /// Level.
    pub level: Level,
    /// Status.
    pub status: HazardStatus,
    /// Current deadline, `YYYY-MM-DD`.
    pub deadline: String,
    /// Deadline of the order before extensions.
    pub original_deadline: String,
    /// Required measures.
    pub required_measures: String,
    /// Before photos (SHA-256).
    pub before_photos: Vec<String>,
    /// Evidence submissions.
    pub evidence_count: u32,
    /// The evidence submissions, oldest first: what was done and its after photos.
    pub evidence: Vec<EvidenceInfo>,
    /// How it was closed, if closed.
    pub closure: Option<ClosureKind>,
    /// Governance plan elements still missing (major only).
    pub plan_missing: Vec<String>,
    /// Every event, in order.
    pub history: Vec<HistoryItem>,
    /// Conflicts waiting for a person.
    pub conflicts: Vec<ConflictInfo>,
}

impl From<&Hazard> for HazardDetail {
    fn from(h: &Hazard) -> Self {
        HazardDetail {
            id: h.id.clone(),
            enterprise: h.enterprise.credit_code.clone(),
            enterprise_name: h.enterprise.name.clone(),
            township: h.enterprise.township.clone(),
            location: h.location.clone(),
            description: h.description.clone(),
            legal_basis: h.legal_basis.clone(),
            criteria: h.criteria.clone(),
            kind: h.kind.into(),
            level: h.level.into(),
            status: h.status.into(),
            deadline: h.deadline.to_string(),
            original_deadline: h.original_deadline.to_string(),
            required_measures: h.required_measures.clone(),
            before_photos: h.before_photos.iter().map(|p| p.sha256.clone()).collect(),
            evidence_count: h.evidence.len() as u32,
            evidence: h
                .evidence
                .iter()
                .map(|e| EvidenceInfo {
                    event_id: e.event_id.clone(),
                    by: e.by.clone(),
                    at_ms: e.at.0,
                    description: e.description.clone(),
                    rectified_on: e.rectified_on.map(|d| d.to_string()),
                    after_photos: e.after_photos.iter().map(|p| p.sha256.clone()).collect(),
                })
                .collect(),
            closure: h.closure.as_ref().map(|c| c.kind.into()),
            plan_missing: match (&h.plan, h.level) {
                (Some(p), _) => p.missing_elements().into_iter().map(str::to_string).collect(),
                (None, hazard::Level::Major) => vec!["governance plan".into()],
                (None, hazard::Level::General) => vec![],
            },
            history: h.history.iter().map(HistoryItem::from).collect(),
            conflicts: h
                .open_conflicts()
                .map(|c| ConflictInfo {
                    event_id: c.event_id.clone(),
                    concurrent_with: c.concurrent_with.clone(),
                    message: c.message.clone(),
                })
                .collect(),
        }
    }
}

/// What to report.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewHazardInput {
    /// Enterprise credit code.
    pub enterprise: String,
    /// The inspection that found it.
    pub inspection_id: Option<String>,
    /// The checklist item (pre-fills description, legal basis and level).
    pub item_code: Option<String>,
    /// What is wrong (defaults to the item's question).
    pub description: Option<String>,
    /// Where in the plant.
    pub location: String,
    /// Level; a `direct` criterion makes it major anyway.
    pub level: Option<Level>,
    /// Fixed on the spot (即查即改) rather than by a deadline.
    pub on_site: bool,
    /// Before photos: JPEG files on the device.
    pub before_photo_paths: Vec<String>,
    /// Required measures.
    pub required_measures: String,
    /// Responsible person at the enterprise.
    pub responsible_person: String,
    /// The second inspector(s) issuing the order.
    pub co_inspectors: Vec<String>,
    /// A deadline shorter than the policy's, `YYYY-MM-DD`.
    pub deadline: Option<String>,
    /// 隐患类别; left out: 物的危险状态 (an unsafe condition).
    #[uniffi(default = None)]
    pub kind: Option<HazardKind>,
}

/// 隐患类别: what kind of hidden danger it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HazardKind {
    /// 物的危险状态.
    UnsafeCondition,
    /// 人的不安全行为.
    UnsafeAct,
    /// 管理上的缺陷.
    ManagementDefect,
}

impl From<HazardKind> for paicha_core::hazard::HazardKind {
    fn from(k: HazardKind) -> Self {
        match k {
            HazardKind::UnsafeCondition => paicha_core::hazard::HazardKind::UnsafeCondition,
            HazardKind::UnsafeAct => paicha_core::hazard::HazardKind::UnsafeAct,
            HazardKind::ManagementDefect => paicha_core::hazard::HazardKind::ManagementDefect,
        }
    }
}

impl From<paicha_core::hazard::HazardKind> for HazardKind {
    fn from(k: paicha_core::hazard::HazardKind) -> Self {
        match k {
            paicha_core::hazard::HazardKind::UnsafeCondition => HazardKind::UnsafeCondition,
            paicha_core::hazard::HazardKind::UnsafeAct => HazardKind::UnsafeAct,
            paicha_core::hazard::HazardKind::ManagementDefect => HazardKind::ManagementDefect,
        }
    }
}

/// 治理方案: the six elements of R11.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GovernancePlanInput {
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
}

/// A person the tablet knows.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PersonInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// An enterprise in scope.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EnterpriseInfo {
    /// Credit code.
    pub credit_code: String,
    /// Name.
    pub name: String,
    /// Township.
    pub township: String,
    /// Risk colour.
    pub risk_colour: RiskColour,
    /// Sectors.
    pub sectors: Vec<String>,
}

/// A checklist template version.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TemplateInfo {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Sector.
    pub sector: String,
    /// Title.
    pub title: String,
}

/// One item of a checklist, with its answer in an inspection if any.
/// An inspection is completed only when every item has an answer (R4).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChecklistItem {
    /// Section.
    pub section: String,
    /// Code.
    pub code: String,
    /// Question.
    pub question: String,
    /// Legal basis.
    pub legal_basis: String,
    /// How it is answered (with the unit and limits of a number).
    pub kind: AnswerKind,
    /// The answer given, if any.
    pub answer: Option<AnswerValue>,
    /// The inspector's note with the answer.
    pub note: String,
    /// Whether the answer is a finding.
    pub finding: bool,
    /// Hidden dangers raised from it.
    pub hazards: Vec<String>,
    /// The photos of the answer (SHA-256; bytes: `photo_bytes`).
    pub photos: Vec<String>,
}

/// An inspection.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InspectionInfo {
    /// Id.
    pub id: String,
    /// Template.
    pub template_id: String,
    /// Pinned version.
    pub template_version: u32,
    /// Enterprise.
    pub enterprise: String,
    /// Inspectors.
    pub inspectors: Vec<String>,
    /// Why the check is made.
    pub source: InspectionSource,
    /// Where it was made, if the location was given.
    pub location: Option<GpsLocation>,
    /// Start, ms.
    pub started_at_ms: i64,
    /// Whether it was completed.
    pub completed: bool,
}

impl From<&inspection::Inspection> for InspectionInfo {
    fn from(i: &inspection::Inspection) -> Self {
        InspectionInfo {
            id: i.header.id.clone(),
            template_id: i.header.template_id.clone(),
            template_version: i.header.template_version,
            enterprise: i.header.enterprise.clone(),
            inspectors: i.header.inspectors.iter().map(|p| p.id.clone()).collect(),
            source: i.header.source.into(),
            location: i.header.location.map(Into::into),
            started_at_ms: i.header.started_at.0,
            completed: i.completion.is_some(),
        }
    }
}

/// A non-conforming item found by an inspection.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FindingInfo {
    /// Item code.
    pub item_code: String,
    /// The question (pre-filled description).
    pub question: String,
    /// Whether the criteria make it major.
    pub major: bool,
    /// Which criteria.
    pub reasons: Vec<String>,
}

/// What completing an inspection found.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CompletionInfo {
    /// Every finding.
    pub findings: Vec<FindingInfo>,
    /// Hidden dangers raised to major by composite criteria.
    pub raised_to_major: Vec<String>,
    /// Findings with no hidden danger reported yet.
    pub unreported: Vec<FindingInfo>,
}

impl From<&CompletionReport> for CompletionInfo {
    fn from(r: &CompletionReport) -> Self {
        let f = |x: &paicha_core::inspection::Finding| FindingInfo {
            item_code: x.item_code.clone(),
            question: x.question.clone(),
            major: x.major,
            reasons: x.reasons.clone(),
        };
        CompletionInfo {
            findings: r.findings.iter().map(f).collect(),
            raised_to_major: r.raised_to_major.clone(),
            unreported: r.unreported.iter().map(f).collect(),
        }
    }
}

/// One line of statistics (domain.md §6).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StatsLine {
    /// Group (`total` for everything).
    pub group: String,
    /// Recorded, voided included.
    pub recorded: u64,
    /// Voided.
    pub voided: u64,
    /// Closed.
    pub closed: u64,
    /// Open and overdue.
    pub overdue: u64,
    /// Major still open.
    pub open_major: u64,
    /// 整改率: closed / (recorded − voided).
    pub rectification_rate: Option<f64>,
    /// 按期整改率: closed by the deadline / closed.
    pub on_time_rate: Option<f64>,
}

/// How a sync went.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncSummary {
    /// Records uploaded (acknowledged or refused).
    pub docs_up: u64,
    /// Records received.
    pub docs_down: u64,
    /// Bytes sent.
    pub bytes_up: u64,
    /// Bytes received.
    pub bytes_down: u64,
    /// Requests made.
    pub requests: u64,
    /// Photos uploaded.
    pub photos_up: u64,
    /// Photos downloaded.
    pub photos_down: u64,
    /// Records the server refused this time (kept on the tablet; see `refused_edits`).
    pub refused: Vec<RefusalInfo>,
    /// Records that changed on this tablet.
    pub changed_ids: Vec<String>,
    /// Checklist template versions the server publishes with other content
    /// than this tablet's own of the same version: this tablet's is kept
    /// (R3). One sentence each, to show an admin.
    pub template_conflicts: Vec<String>,
}

impl From<&SyncReport> for SyncSummary {
    fn from(r: &SyncReport) -> Self {
        SyncSummary {
            docs_up: r.progress.docs_up,
            docs_down: r.progress.docs_down,
            bytes_up: r.progress.bytes_up,
            bytes_down: r.progress.bytes_down,
            requests: r.progress.requests,
            photos_up: r.progress.photos_up,
            photos_down: r.progress.photos_down,
            refused: r
                .refused
                .iter()
                .map(|(d, rule, m)| RefusalInfo {
                    record_id: d.clone(),
                    rule: rule.clone(),
                    reason: m.clone(),
                    at_ms: 0,
                })
                .collect(),
            changed_ids: r.changed_ids.clone(),
            template_conflicts: r.template_conflicts.clone(),
        }
    }
}

/// Progress of a sync in flight.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncProgressInfo {
    /// Records uploaded so far.
    pub docs_up: u64,
    /// Records received so far.
    pub docs_down: u64,
    /// Bytes sent so far.
    pub bytes_up: u64,
    /// Bytes received so far.
    pub bytes_down: u64,
}

/// An edit the server refused, kept on the tablet.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RefusalInfo {
    /// The record.
    pub record_id: String,
    /// Rule number or check.
    pub rule: String,
    /// Why.
    pub reason: String,
    /// When it was refused, ms (0 in a sync summary).
    pub at_ms: i64,
}

impl From<&RefusedEdit> for RefusalInfo {
    fn from(r: &RefusedEdit) -> Self {
        RefusalInfo {
            record_id: r.doc_id.clone(),
            rule: r.rule.clone(),
            reason: r.message.clone(),
            at_ms: r.refused_at.0,
        }
    }
}
