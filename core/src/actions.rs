//! Recording an action, as pure functions. Each takes the record as it is,
//! the actor as the registry knows them, the action, the time, the policy
//! and the pinned template, and returns what to append to the record (an
//! event, an answer, a completion) or the rule it breaks.
//!
//! The tablet store calls these and only stores what they return; the sync
//! server's validation ([`crate::sync::validate`]) runs the same checks
//! ([`crate::workflow::decide`], [`crate::reporting::check_report`],
//! [`crate::inspection::check_start`], [`check_answer_by`],
//! [`check_completion`]) on what a tablet sends. Neither keeps a copy of a
//! rule.

use crate::enterprise::Enterprise;
use crate::error::RuleError;
use crate::hazard::{fold, next_event, Action, EnterpriseRef, Event, Handling, HazardKind, Level, ReportData};
use crate::inspection::{
    check_answer_by, check_completion, check_start, Answer, AnswerValue, Completion, Finding, Inspection,
    InspectionHeader, Signature, Source,
};
use crate::people::{Actor, Person};
use crate::photo::{Gps, PhotoRef};
use crate::reporting::{self, criteria_for};
use crate::template::Template;
use crate::time::Timestamp;
use crate::workflow::{decide, Context};
use chrono::NaiveDate;

/// The actor as events carry them: person (role and scope) and device; the
/// certificate number lives on orders, not on every event.
pub fn event_actor(person: &Person, device_id: &str) -> Actor {
    Actor { person: Person { certificate_no: None, ..person.clone() }, device_id: device_id.to_string() }
}

/// R6's input: whether the inspection that found a hidden danger was still
/// going on at `at`, from when it ended (`None`: not raised in an
/// inspection, or the inspection is unknown here; `Some(None)`: not ended).
pub fn inspection_open(ended_at: Option<Option<Timestamp>>, at: Timestamp) -> Option<bool> {
    ended_at.map(|ended| ended.is_none_or(|e| e > at))
}

/// A workflow action on an existing hidden danger (R5–R14): the event to
/// append to `events`, with the values the rules give (a granted
/// extension's deadline...), or the rule it breaks.
pub fn hazard_event(
    record_id: &str,
    events: &[Event],
    actor: &Actor,
    action: Action,
    ctx: &Context,
    event_id: String,
) -> Result<Event, RuleError> {
    let state = fold(record_id, events);
    if state.is_none() && !matches!(action, Action::Report(_)) {
        return Err(RuleError::new("R2", format!("'{}' needs an existing hidden danger", action.name())));
    }
    let resolved = decide(state.as_ref(), actor, action, ctx)?;
    Ok(next_event(events, event_id, ctx.now, actor.clone(), resolved))
}

/// What an inspector fills in to report a hidden danger; with a checklist
/// item the description, legal basis, sector and level come from it (R4).
#[derive(Debug, Clone, Default)]
pub struct ReportDraft {
    /// The checklist item (needs the inspection).
    pub item_code: Option<String>,
    /// Where in the plant.
    pub location: String,
    /// What is wrong (defaults to the item's question).
    pub description: Option<String>,
    /// Kind (defaults to unsafe condition).
    pub kind: Option<HazardKind>,
    /// Level asked for; major only through a criterion (R13).
    pub level: Option<Level>,
    /// On the spot or by deadline (defaults to deadline).
    pub handling: Option<Handling>,
    /// Before photos.
    pub before_photos: Vec<PhotoRef>,
    /// Required measures.
    pub required_measures: String,
    /// Responsible person at the enterprise.
    pub responsible_person: String,
    /// Funds, yuan.
    pub funds: Option<f64>,
    /// A deadline shorter than the policy's window (R5).
    pub deadline: Option<NaiveDate>,
    /// Sector (defaults to the inspection's, then the enterprise's first).
    pub sector: Option<String>,
}

/// Drafts and checks a report (R4 pre-fill and criteria, §1, R13, R5): the
/// `report` action to record as a new hidden danger's first event.
/// `reporter` and `co_inspectors` come from the registry, `enterprise` from
/// the register, `source` is the inspection (and its pinned template) the
/// hidden danger was found in.
pub fn draft_report(
    reporter: &Person,
    device_id: &str,
    co_inspectors: Vec<Person>,
    enterprise: &Enterprise,
    source: Option<reporting::Source>,
    draft: ReportDraft,
    ctx: &Context,
) -> Result<Action, RuleError> {
    let mut description = draft.description.filter(|d| !d.trim().is_empty());
    let mut legal_basis = String::new();
    let mut sector = draft.sector;
    let mut level = draft.level.unwrap_or(Level::General);
    let mut criteria = vec![];
    if let Some(src) = source {
        sector = sector.or(Some(src.inspection.header.sector.clone()));
        if let Some(code) = &draft.item_code {
            if let Some(item) = src.template.item(code) {
                description = description.or(Some(item.question.clone()));
                legal_basis = item.legal_basis.clone();
            }
            let met = criteria_for(src, code);
            criteria = met.direct.into_iter().chain(met.composite).collect();
            if !criteria.is_empty() {
                level = Level::Major;
            }
        }
    }
    let report = ReportData {
        enterprise: EnterpriseRef {
            credit_code: enterprise.credit_code.clone(),
            name: enterprise.name.clone(),
            township: enterprise.township.clone(),
            grid: enterprise.grid.clone(),
            risk_colour: enterprise.risk_colour,
        },
        sector: sector.or_else(|| enterprise.sectors.first().cloned()).unwrap_or_default(),
        inspection_id: source.map(|s| s.inspection.header.id.clone()),
        item_code: draft.item_code,
        location: draft.location,
        description: description.unwrap_or_default(),
        kind: draft.kind.unwrap_or(HazardKind::UnsafeCondition),
        level,
        handling: draft.handling.unwrap_or(Handling::Deadline),
        before_photos: draft.before_photos,
        required_measures: draft.required_measures,
        responsible_person: draft.responsible_person,
        funds: draft.funds,
        legal_basis,
        criteria,
        co_inspectors: co_inspectors.clone(),
        deadline: draft.deadline,
        order_date: None,
    };
    reporting::check_report(&report, reporter, &co_inspectors, &enterprise.township, source)?;
    decide(None, &event_actor(reporter, device_id), Action::Report(Box::new(report)), ctx)
}

/// What starting an inspection needs besides the people and the template.
#[derive(Debug, Clone)]
pub struct InspectionStart {
    /// The new inspection's id.
    pub id: String,
    /// Why the check is made.
    pub source: Source,
    /// An enforcement inspection needs two certified inspectors.
    pub enforcement: bool,
    /// Where.
    pub location: Option<Gps>,
    /// The device it is started on.
    pub device_id: String,
}

/// Starts an inspection: the header, with the template version pinned (R3)
/// and the registry's records of the inspectors (`starter` first), checked
/// as the server checks it (R2, §2).
pub fn start_inspection(
    starter: &Person,
    co_inspectors: Vec<Person>,
    template: &Template,
    enterprise: &Enterprise,
    start: InspectionStart,
    now: Timestamp,
) -> Result<InspectionHeader, RuleError> {
    let mut inspectors = vec![starter.clone()];
    for p in co_inspectors {
        if !inspectors.iter().any(|x| x.id == p.id) {
            inspectors.push(p);
        }
    }
    let header = InspectionHeader {
        id: start.id,
        template_id: template.id.clone(),
        template_version: template.version,
        sector: template.sector.clone(),
        enterprise: enterprise.credit_code.clone(),
        enterprise_name: enterprise.name.clone(),
        township: enterprise.township.clone(),
        inspectors,
        source: start.source,
        enforcement: start.enforcement,
        started_at: now,
        device_id: start.device_id,
        location: start.location,
    };
    check_start(&header, starter)?;
    Ok(header)
}

/// One answer an inspector gives.
#[derive(Debug, Clone)]
pub struct NewAnswer {
    /// The item.
    pub item_code: String,
    /// The answer.
    pub value: AnswerValue,
    /// The inspector's note.
    pub note: String,
    /// Photos.
    pub photos: Vec<PhotoRef>,
}

impl NewAnswer {
    /// An answer without note or photos.
    pub fn new(item_code: &str, value: AnswerValue) -> NewAnswer {
        NewAnswer { item_code: item_code.to_string(), value, note: String::new(), photos: vec![] }
    }
}

/// Records the answer to one item of `insp` (R1, R2, R3): the answer to
/// append, checked against the pinned template.
pub fn record_answer(
    insp: &Inspection,
    person: &Person,
    template: &Template,
    new: NewAnswer,
    now: Timestamp,
) -> Result<Answer, RuleError> {
    let NewAnswer { item_code, value, note, photos } = new;
    let answer = Answer { item_code, value, note, photos, by: person.id.clone(), at: now };
    check_answer_by(insp, person, template, &answer)?;
    Ok(answer)
}

/// Completes `insp`: the completion to append and what the whole
/// inspection found, with composite criteria evaluated over all its answers
/// (R4). A finding whose hidden danger was already reported as general and
/// that a composite group makes major gets a `criteria_met` event, which
/// [`composite_reasons`] gives.
pub fn complete_inspection(
    insp: &Inspection,
    person: &Person,
    template: &Template,
    signatures: Vec<Signature>,
    now: Timestamp,
) -> Result<(Completion, Vec<Finding>), RuleError> {
    let completion = Completion { ended_at: now, by: person.id.clone(), signatures };
    check_completion(insp, person, template, &completion)?;
    let mut done = insp.clone();
    done.completion = Some(completion.clone());
    Ok((completion, done.evaluate(template)))
}

/// The composite criteria a finding meets: the reasons of the
/// `criteria_met` event that raises its already reported hidden danger to
/// major (R4), checked by the server with [`reporting::check_criteria_met`].
pub fn composite_reasons(finding: &Finding) -> Vec<String> {
    finding.reasons.iter().filter(|r| r.starts_with("composite")).cloned().collect()
}
