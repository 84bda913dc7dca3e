//! What the server checks on every uploaded document, before anything is
//! stored. Pure: the server passes its current document, the registry's
//! view of the uploading person, a [`ServerView`] of what else it knows
//! (people, enterprises, inspections, templates, receipt times), the policy
//! and its clock. Nothing a tablet claims is trusted (docs/adr/0006).
//!
//! The upload is applied to a fork of the server's document, and the fork
//! is compared with the original:
//! 1. size and format: Automerge changes of a record of a kind of the
//!    registry ([`crate::kinds`]), with only the keys such a record has, each
//!    holding a string scalar;
//! 2. the new changes are signed by the uploading device's actor id;
//! 3. history is append-only (R1): every value the server held is still
//!    there; only an answer key may gain a concurrent value;
//! 4. hidden dangers: each new event names this device and this user, with
//!    the role and scope the registry gives them; a report's co-inspectors,
//!    enterprise, inspection and criteria are resolved in the registry
//!    ([`crate::reporting`]); the event passes [`crate::workflow::decide`]
//!    against the state its author saw (its ancestors), with the same
//!    resolved fields; its device time is bounded by what the server knows
//!    (docs/adr/0007);
//! 5. inspections: the header is checked with the registry's people, the
//!    enterprise's registered township and the published template version;
//!    answers and the completion with the same checks the tablet makes
//!    ([`crate::inspection::check_answer_by`], [`crate::inspection::check_completion`]).
//!
//! A [`ServerView`] that cannot read its storage is an [`UploadError::Lookup`]:
//! the request fails and the tablet retries; it is never a refusal.

use super::wire::DocUpload;
use crate::doc::{RawValue, RecordDoc};
use crate::documents::{check_opinion, check_order, check_void, OrderVoid, RectificationOrder, ReviewOpinion};
use crate::hazard::{canonical_order, fold, Action, Event, Hazard};
use crate::inspection::{
    check_answer_by, check_completion, check_start, Answer, Completion, Inspection, InspectionHeader,
};
use crate::kinds::{parse_answer_key, DocKind, KeyClass};
use crate::people::{Actor, Person};
use crate::policy::Policy;
use crate::reporting::{check_criteria_met, check_report, Source};
use crate::summary::{HazardSummary, InspectionSummary, OrderSummary, Summary};
use crate::template::Template;
use crate::time::Timestamp;
use crate::workflow::{decide, Context};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Who is uploading, as the server's registry knows them.
#[derive(Debug, Clone)]
pub struct Uploader<'a> {
    /// The enrolled device.
    pub device_id: &'a str,
    /// The Automerge actor id bound to the device at enrollment (hex).
    pub actor_hex: &'a str,
    /// The device's user, from the registry (with their certificate number).
    pub person: &'a Person,
}

/// The server's storage could not answer a lookup; not the tablet's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LookupError(pub String);

/// What the server knows besides the record itself. Implemented by the
/// server over its storage (and the records accepted earlier in the same
/// request); tests implement it over maps.
pub trait ServerView {
    /// A person of the registry.
    fn person(&self, id: &str) -> Result<Option<Person>, LookupError>;
    /// The township an enterprise is registered in.
    fn enterprise_township(&self, credit_code: &str) -> Result<Option<String>, LookupError>;
    /// An inspection the server has accepted.
    fn inspection(&self, id: &str) -> Result<Option<Inspection>, LookupError>;
    /// A published template version.
    fn template(&self, id: &str, version: u32) -> Result<Option<Template>, LookupError>;
    /// When the server received each event of a record it holds (R1).
    fn receipts(&self, doc_id: &str) -> Result<HashMap<String, Timestamp>, LookupError>;
    /// A hidden danger the server holds, folded (an order lists it).
    fn hazard(&self, id: &str) -> Result<Option<Hazard>, LookupError>;
    /// An order the server holds, with its void (an opinion cites it).
    fn order(&self, id: &str) -> Result<Option<OrderSummary>, LookupError>;
    /// Every order of a township's enterprises, voided ones included: a
    /// number is used once (R15).
    fn orders_in_township(&self, township: &str) -> Result<Vec<OrderSummary>, LookupError>;
}

/// Why an upload is refused: a rule number or a check name, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `R1`..`R16`, `§1`, `§2`, or `size`, `format`, `actor`, `rules`.
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

/// Why an upload was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// The upload breaks a rule or the format: quarantined, the tablet keeps it as refused.
    #[error("{}: {}", .0.rule, .0.message)]
    Refused(Refusal),
    /// The server could not read what it needs: a server error, retried later.
    #[error("the server could not read what validation needs: {0}")]
    Lookup(#[from] LookupError),
}

fn refuse<T>(rule: &str, message: impl Into<String>) -> Result<T, UploadError> {
    Err(UploadError::Refused(Refusal { rule: rule.to_string(), message: message.into() }))
}

impl From<crate::error::RuleError> for UploadError {
    fn from(e: crate::error::RuleError) -> Self {
        UploadError::Refused(Refusal { rule: e.rule.to_string(), message: e.message })
    }
}

/// The server's clock and what the request says about the device's.
#[derive(Debug, Clone, Copy)]
pub struct Clocks {
    /// The server's time on receipt.
    pub server_now: Timestamp,
    /// The device's clock minus the server's, from the request's own clock
    /// reading (`None`: the request did not say).
    pub device_offset_ms: Option<i64>,
}

/// An accepted upload: the document to store and what it means.
pub struct Accepted {
    /// The server's document with the upload applied.
    pub doc: RecordDoc,
    /// Kind of record.
    pub kind: DocKind,
    /// Enterprise, for scoping downloads (R2).
    pub enterprise: String,
    /// Township, for scoping downloads (R2).
    pub township: String,
    /// Events new to the server (hidden dangers).
    pub new_events: Vec<Event>,
    /// New events whose device clock is off from the server's by more than the tolerance (R10).
    pub skewed: Vec<String>,
    /// Whether the upload added anything (a replay adds nothing).
    pub changed: bool,
    /// SHA-256 of every photo the record refers to (the server waits for these).
    pub photos: Vec<String>,
    /// The inspection as accepted, for reports later in the same request.
    pub inspection: Option<Inspection>,
    /// The hidden danger as accepted, for orders later in the same request.
    pub hazard: Option<Hazard>,
    /// The record's projection after the upload, stored with it so that
    /// server lists never load documents.
    pub summary: Summary,
}

/// Validates one document upload against the server's current document.
pub fn validate_upload(
    server_doc: Option<&mut RecordDoc>,
    upload: &DocUpload,
    who: &Uploader,
    policy: &Policy,
    view: &dyn ServerView,
    clocks: Clocks,
    max_bytes: usize,
) -> Result<Accepted, UploadError> {
    if upload.changes.0.len() > max_bytes {
        return refuse(
            "size",
            format!("{} bytes of changes, more than the {max_bytes} allowed per document", upload.changes.0.len()),
        );
    }
    let kind = match DocKind::parse(&upload.kind) {
        Ok(k) => k,
        Err(e) => return refuse("format", e.to_string()),
    };
    if upload.doc_id.trim().is_empty() || upload.doc_id.len() > 100 {
        return refuse("format", "record id is empty or too long");
    }
    let mut base = match server_doc {
        Some(d) => d.fork(),
        None => RecordDoc::empty(&upload.doc_id, &[0; 16]),
    };
    let server_heads = base.heads();
    let mut server_values: BTreeMap<String, Vec<RawValue>> = BTreeMap::new();
    for k in base.keys() {
        let v = base.values(&k).map_err(|e| LookupError(format!("stored record {}: {e}", upload.doc_id)))?;
        server_values.insert(k, v);
    }
    let mut fork = base.fork();
    if let Err(e) = fork.apply(&upload.changes.0) {
        return refuse("format", format!("not Automerge changes of this record: {e}"));
    }
    let actors = fork.actors_after(&server_heads);
    if let Some(other) = actors.iter().find(|a| a.as_str() != who.actor_hex) {
        return refuse(
            "actor",
            format!("changes are signed by actor {other}, which is not device {}'s", who.device_id),
        );
    }
    let changed = !actors.is_empty();
    let mut values: BTreeMap<String, Vec<RawValue>> = BTreeMap::new();
    for key in fork.keys() {
        let Some(class) = kind.key_class(&key) else {
            return refuse("format", format!("a {kind} record has no key '{key}'"));
        };
        let v = match fork.values(&key) {
            Ok(v) => v,
            Err(e) => return refuse("format", e.to_string()),
        };
        if let Some(RawValue::Other(t)) = v.iter().find(|x| matches!(x, RawValue::Other(_))) {
            return refuse("format", format!("key '{key}' holds a {t}; it must hold {}", class.expected_value()));
        }
        values.insert(key, v);
    }
    // R1: history is append-only. Nothing the server held may go or change.
    for (key, old) in &server_values {
        let new = values.get(key).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(gone) = old.iter().find(|v| !new.contains(v)) {
            let what = if new.is_empty() { "deletes" } else { "replaces" };
            let _ = gone;
            return refuse(
                "R1",
                format!("the upload {what} key '{key}' of {kind} {}: history is append-only", upload.doc_id),
            );
        }
        let class = kind.key_class(key);
        if new.len() > old.len() && !class.is_some_and(KeyClass::accepts_concurrent_values) {
            return refuse("R1", format!("key '{key}' of {kind} {} is written once and never changes", upload.doc_id));
        }
    }
    let single = |key: &str| -> Result<String, UploadError> {
        match values.get(key).map(Vec::as_slice) {
            Some([RawValue::Str(x)]) => Ok(x.clone()),
            None | Some([]) => refuse("format", format!("the record has no '{key}'")),
            _ => refuse("format", format!("'{key}' was set concurrently")),
        }
    };
    if single("type")? != kind.as_str() || single("id")? != upload.doc_id {
        return refuse("format", format!("the document is not the {kind} {}", upload.doc_id));
    }
    let new_values = |key: &str| -> Vec<String> {
        let old = server_values.get(key).map(Vec::as_slice).unwrap_or(&[]);
        values
            .get(key)
            .map(|v| {
                v.iter()
                    .filter(|x| !old.contains(x))
                    .filter_map(|x| match x {
                        RawValue::Str(s) => Some(s.clone()),
                        RawValue::Other(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let registry = crate::actions::event_actor(who.person, who.device_id);
    let tolerance_ms = i64::from(policy.at(clocks.server_now.cst_date()).clock_skew_tolerance_seconds) * 1000;
    match kind {
        DocKind::Hazard => {
            let mut events: Vec<Event> = vec![];
            let mut new_ids = BTreeSet::new();
            for (key, v) in &values {
                let Some(id) = key.strip_prefix(crate::kinds::EVENT_PREFIX) else { continue };
                let [RawValue::Str(json)] = v.as_slice() else {
                    return refuse("R1", format!("event {id} was written twice"));
                };
                if !server_values.contains_key(key) {
                    new_ids.insert(id.to_string());
                }
                let e: Event = match serde_json::from_str(json) {
                    Ok(e) => e,
                    Err(err) => return refuse("format", format!("event {id}: {err}")),
                };
                if e.id != id {
                    return refuse("format", format!("event under key {key} has id {}", e.id));
                }
                events.push(e);
            }
            let hz =
                HazardUpload { doc_id: &upload.doc_id, who, registry: &registry, policy, view, clocks, tolerance_ms };
            let (new_events, skewed, photos, h) = hz.check(&events, &new_ids)?;
            Ok(Accepted {
                doc: fork,
                kind,
                enterprise: h.enterprise.credit_code.clone(),
                township: h.enterprise.township.clone(),
                new_events,
                skewed,
                changed,
                photos,
                summary: Summary::Hazard(HazardSummary::of(&h)),
                inspection: None,
                hazard: Some(h),
            })
        }
        DocKind::Inspection => {
            let header_json = single("header")?;
            let header: InspectionHeader = match serde_json::from_str(&header_json) {
                Ok(h) => h,
                Err(e) => return refuse("format", format!("header: {e}")),
            };
            if header.id != upload.doc_id {
                return refuse("format", "the header names another inspection");
            }
            if !who.person.in_scope(&header.enterprise, &header.township) {
                return refuse(
                    "R2",
                    format!("{} has no scope over {} in {}", who.person.id, header.enterprise, header.township),
                );
            }
            let header = registry_header(&header, view)?;
            let template = view.template(&header.template_id, header.template_version)?;
            let Some(template) = template else {
                return refuse(
                    "R3",
                    format!(
                        "template {} v{} is not published on this server",
                        header.template_id, header.template_version
                    ),
                );
            };
            if !new_values("header").is_empty() {
                // A new inspection: the tablet's start checks, on the registry's data.
                if header.device_id != who.device_id {
                    return refuse(
                        "R1",
                        format!("the header names device {}, not {}", header.device_id, who.device_id),
                    );
                }
                if header.sector != template.sector {
                    return refuse(
                        "R3",
                        format!("the header's sector {} is not template {}'s", header.sector, template.id),
                    );
                }
                check_start(&header, who.person)?;
                if !header.inspectors.iter().any(|p| p.id == who.person.id) {
                    return refuse("R2", format!("{} is not one of the inspectors of {}", who.person.id, header.id));
                }
                if let Some(off) = clocks.device_offset_ms {
                    check_not_future(header.started_at, off, clocks, tolerance_ms, "the inspection's start")?;
                }
            }
            let server_completion: Option<Completion> = match server_values.get("completion").map(Vec::as_slice) {
                Some([RawValue::Str(c)]) => match serde_json::from_str(c) {
                    Ok(c) => Some(c),
                    Err(e) => return Err(LookupError(format!("stored completion of {}: {e}", header.id)).into()),
                },
                _ => None,
            };
            let prior = Inspection { header: header.clone(), answers: BTreeMap::new(), completion: server_completion };
            for key in values.keys() {
                let Some((code, _)) = parse_answer_key(key) else { continue };
                for json in new_values(key) {
                    let a: Answer = match serde_json::from_str(&json) {
                        Ok(a) => a,
                        Err(e) => return refuse("format", format!("{key}: {e}")),
                    };
                    if a.item_code != code {
                        return refuse("format", format!("{key} holds the answer to item {}", a.item_code));
                    }
                    check_answer_by(&prior, who.person, &template, &a)?;
                }
            }
            let mut inspection = match fork.inspection() {
                Ok(i) => i,
                Err(e) => return refuse("format", e.to_string()),
            };
            // A completion is judged on every answer the record holds once
            // merged: the server's and the uploaded ones (R4).
            let answered = Inspection { answers: inspection.answers.clone(), ..prior };
            for json in new_values("completion") {
                let c: Completion = match serde_json::from_str(&json) {
                    Ok(c) => c,
                    Err(e) => return refuse("format", format!("completion: {e}")),
                };
                check_completion(&answered, who.person, &template, &c)?;
                check_not_future(
                    c.ended_at,
                    clocks.device_offset_ms.unwrap_or(0),
                    clocks,
                    tolerance_ms,
                    "the completion",
                )?;
            }
            inspection.header = header;
            let mut photos: Vec<String> =
                inspection.answers.values().flat_map(|a| a.photos.iter().map(|p| p.sha256.clone())).collect();
            photos.sort();
            photos.dedup();
            Ok(Accepted {
                enterprise: inspection.header.enterprise.clone(),
                township: inspection.header.township.clone(),
                doc: fork,
                kind,
                new_events: vec![],
                skewed: vec![],
                changed,
                photos,
                summary: Summary::Inspection(InspectionSummary::of(&inspection)),
                inspection: Some(inspection),
                hazard: None,
            })
        }
        DocKind::Order => {
            let order: RectificationOrder = body_of(&single("body")?)?;
            if order.id != upload.doc_id {
                return refuse("format", "the body names another order");
            }
            let void: Option<OrderVoid> = match values.get("void").map(Vec::as_slice) {
                None | Some([]) => None,
                Some([RawValue::Str(v)]) => Some(body_of(v)?),
                Some(_) => return refuse("R1", "the order was voided twice concurrently"),
            };
            if !new_values("body").is_empty() {
                check_new_order(&order, who, policy, view, clocks, tolerance_ms)?;
            }
            if let Some(v) = &void {
                if !new_values("void").is_empty() {
                    check_void(&order, v, who.person)?;
                    if v.device_id != who.device_id {
                        return refuse("R1", format!("the void names device {}, not {}", v.device_id, who.device_id));
                    }
                    check_not_future(v.at, clocks.device_offset_ms.unwrap_or(0), clocks, tolerance_ms, "the void")?;
                }
            }
            if !who.person.in_scope(&order.enterprise.credit_code, &order.enterprise.township) {
                return refuse("R2", format!("{} has no scope over order {}", who.person.id, order.number));
            }
            Ok(Accepted {
                enterprise: order.enterprise.credit_code.clone(),
                township: order.enterprise.township.clone(),
                doc: fork,
                kind,
                new_events: vec![],
                skewed: vec![],
                changed,
                photos: order.photos(),
                summary: Summary::Order(OrderSummary { order, void }),
                inspection: None,
                hazard: None,
            })
        }
        DocKind::ReviewOpinion => {
            let opinion: ReviewOpinion = body_of(&single("body")?)?;
            if opinion.id != upload.doc_id {
                return refuse("format", "the body names another review opinion");
            }
            if !new_values("body").is_empty() {
                let order = view.order(&opinion.order_id)?;
                check_opinion(
                    &ReviewOpinion { reviewed_by: who.person.clone(), ..opinion.clone() },
                    who.person,
                    who.device_id,
                    order.as_ref().map(|o| (&o.order, o.void.is_some())),
                )?;
                if opinion.reviewed_by.id != who.person.id {
                    return refuse(
                        "R1",
                        format!("the opinion names {} as reviewer, not {}", opinion.reviewed_by.id, who.person.id),
                    );
                }
                check_not_future(
                    opinion.reviewed_at,
                    clocks.device_offset_ms.unwrap_or(0),
                    clocks,
                    tolerance_ms,
                    "the review opinion",
                )?;
            }
            if !who.person.in_scope(&opinion.enterprise.credit_code, &opinion.enterprise.township) {
                return refuse("R2", format!("{} has no scope over review opinion {}", who.person.id, opinion.id));
            }
            let mut opinion = opinion;
            if let Some(known) = view.person(&opinion.reviewed_by.id)? {
                opinion.reviewed_by = known;
            }
            Ok(Accepted {
                enterprise: opinion.enterprise.credit_code.clone(),
                township: opinion.enterprise.township.clone(),
                doc: fork,
                kind,
                new_events: vec![],
                skewed: vec![],
                changed,
                photos: opinion.photos(),
                summary: Summary::ReviewOpinion(opinion),
                inspection: None,
                hazard: None,
            })
        }
    }
}

/// A document's JSON; unreadable is a format refusal.
fn body_of<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, UploadError> {
    serde_json::from_str(json).or_else(|e| refuse("format", format!("body: {e}")))
}

/// The checks of a newly uploaded order, on the registry's data: its
/// inspectors as the registry knows them, the hidden dangers as the server
/// holds them, and a number no other order holds (R15).
fn check_new_order(
    order: &RectificationOrder,
    who: &Uploader,
    policy: &Policy,
    view: &dyn ServerView,
    clocks: Clocks,
    tolerance_ms: i64,
) -> Result<(), UploadError> {
    for claimed in &order.inspectors {
        let Some(known) = view.person(&claimed.id)? else {
            return refuse("§2", format!("inspector {} is not a person of the registry", claimed.id));
        };
        if known != *claimed {
            return refuse(
                "§4",
                format!(
                    "the order prints {}'s name, role or certificate number differently from the registry",
                    claimed.id
                ),
            );
        }
    }
    match view.enterprise_township(&order.enterprise.credit_code)? {
        Some(t) if t == order.enterprise.township => {}
        _ => {
            return refuse(
                "R2",
                format!(
                    "enterprise {} is not registered in {}",
                    order.enterprise.credit_code, order.enterprise.township
                ),
            )
        }
    }
    let mut hazards = vec![];
    for listed in &order.hazards {
        if let Some(h) = view.hazard(&listed.hazard_id)? {
            hazards.push(h);
        }
    }
    check_order(order, who.person, who.device_id, &hazards, policy)?;
    if let Some(other) = view
        .orders_in_township(&order.enterprise.township)?
        .into_iter()
        .find(|o| o.order.number == order.number && o.order.id != order.id)
    {
        return refuse("R15", format!("number {} is already held by order {}", order.number, other.order.id));
    }
    check_not_future(order.issued_at, clocks.device_offset_ms.unwrap_or(0), clocks, tolerance_ms, "the order")
}

/// A device time, read on the server's clock, must not lie in the future.
fn check_not_future(
    at: Timestamp,
    offset_ms: i64,
    clocks: Clocks,
    tolerance_ms: i64,
    what: &str,
) -> Result<(), UploadError> {
    let on_server = at.0.saturating_sub(offset_ms);
    if on_server > clocks.server_now.0.saturating_add(tolerance_ms) {
        return refuse("R1", format!("{what} is dated {at}, after the server's time {}", clocks.server_now));
    }
    Ok(())
}

/// The header with every inspector replaced by the registry's record of
/// them (role, scope, certificate): what the header claims about people is
/// never trusted. The enterprise must be in the township the registry gives it.
fn registry_header(header: &InspectionHeader, view: &dyn ServerView) -> Result<InspectionHeader, UploadError> {
    let mut out = header.clone();
    out.inspectors.clear();
    for claimed in &header.inspectors {
        let Some(known) = view.person(&claimed.id)? else {
            return refuse("§2", format!("inspector {} is not a person of the registry", claimed.id));
        };
        if known.role != claimed.role {
            return refuse(
                "§2",
                format!(
                    "{} is {} in the registry, not {}",
                    known.id,
                    known.role.with_article(),
                    claimed.role.with_article()
                ),
            );
        }
        out.inspectors.push(known);
    }
    match view.enterprise_township(&header.enterprise)? {
        Some(t) if t == header.township => Ok(out),
        Some(t) => {
            refuse("R2", format!("enterprise {} is registered in {t}, not in {}", header.enterprise, header.township))
        }
        None => refuse("R2", format!("enterprise {} is not in the registry", header.enterprise)),
    }
}

/// What checking a hidden danger's upload yields: its new events, those with
/// a skewed clock, its enterprise and township, and its photos.
/// What a hidden danger's upload came to: new events, skewed ones, and the record as folded.
type HazardCheck = (Vec<Event>, Vec<String>, Vec<String>, Hazard);

struct HazardUpload<'a> {
    doc_id: &'a str,
    who: &'a Uploader<'a>,
    registry: &'a Actor,
    policy: &'a Policy,
    view: &'a dyn ServerView,
    clocks: Clocks,
    tolerance_ms: i64,
}

impl HazardUpload<'_> {
    fn source(&self, inspection_id: Option<&str>) -> Result<Option<(Inspection, Template)>, UploadError> {
        let Some(id) = inspection_id else { return Ok(None) };
        let Some(insp) = self.view.inspection(id)? else { return Ok(None) };
        let Some(t) = self.view.template(&insp.header.template_id, insp.header.template_version)? else {
            return Ok(None);
        };
        Ok(Some((insp, t)))
    }

    fn check(&self, all: &[Event], new_ids: &BTreeSet<String>) -> Result<HazardCheck, UploadError> {
        let who = self.who;
        let by_id: BTreeMap<&str, &Event> = all.iter().map(|e| (e.id.as_str(), e)).collect();
        let receipts = if new_ids.is_empty() { HashMap::new() } else { self.view.receipts(self.doc_id)? };
        let offset = self.clocks.device_offset_ms;
        let tol = self.tolerance_ms;
        let mut skewed = vec![];
        let mut new_events = vec![];
        for e in canonical_order(all) {
            if !new_ids.contains(&e.id) {
                continue;
            }
            if e.actor.device_id != who.device_id || e.actor.person.id != who.person.id {
                return refuse(
                    "R1",
                    format!(
                        "event {} names {} on {}, but was uploaded by {} on {}",
                        e.id, e.actor.person.id, e.actor.device_id, who.person.id, who.device_id
                    ),
                );
            }
            if e.actor.person.role != who.person.role
                || e.actor.person.townships != who.person.townships
                || e.actor.person.enterprise != who.person.enterprise
            {
                return refuse(
                    "R2",
                    format!(
                        "event {} claims the role and scope of {} ({}), which the registry does not give them",
                        e.id, e.actor.person.id, e.actor.person.role
                    ),
                );
            }
            // The state its author saw: its ancestors.
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&str> = e.parents.iter().map(String::as_str).collect();
            while let Some(p) = stack.pop() {
                if seen.insert(p) {
                    match by_id.get(p) {
                        Some(pe) => stack.extend(pe.parents.iter().map(String::as_str)),
                        None => return refuse("format", format!("event {} refers to an unknown event {p}", e.id)),
                    }
                }
            }
            let lamport =
                e.parents.iter().filter_map(|p| by_id.get(p.as_str())).map(|p| p.lamport).max().unwrap_or(0) + 1;
            if e.lamport != lamport {
                return refuse(
                    "R14",
                    format!("event {} claims order {} after parents of order {}", e.id, e.lamport, lamport - 1),
                );
            }
            // A device time is bounded by what the server knows (docs/adr/0007):
            // the event cannot be older than its parents' arrival on the server,
            // nor than its own device's earlier events.
            let on_server = e.at.0.saturating_sub(offset.unwrap_or(0));
            let mut floor = i64::MIN;
            for p in &e.parents {
                if let Some(r) = receipts.get(p) {
                    floor = floor.max(r.0);
                }
                if let Some(pe) = by_id.get(p.as_str()) {
                    if pe.actor.device_id == e.actor.device_id {
                        floor = floor.max(pe.at.0);
                    }
                }
            }
            let too_early = floor != i64::MIN && on_server.saturating_add(tol) < floor;
            let before: Vec<Event> = all.iter().filter(|x| seen.contains(x.id.as_str())).cloned().collect();
            let state = fold(self.doc_id, &before);
            if state.is_none() && !matches!(e.action, Action::Report(_)) {
                return refuse("format", format!("event {} comes before the report", e.id));
            }
            let inspection_id = match (&e.action, &state) {
                (Action::Report(r), _) => r.inspection_id.clone(),
                (_, Some(h)) => h.inspection_id.clone(),
                _ => None,
            };
            let source = self.source(inspection_id.as_deref())?;
            let src = source.as_ref().map(|(i, t)| Source { inspection: i, template: t });
            match &e.action {
                Action::Report(r) => {
                    let mut co = vec![];
                    for c in &r.co_inspectors {
                        match self.view.person(&c.id)? {
                            Some(p) => co.push(p),
                            None => {
                                return refuse("§1", format!("co-inspector {} is not a person of the registry", c.id))
                            }
                        }
                    }
                    let Some(township) = self.view.enterprise_township(&r.enterprise.credit_code)? else {
                        return refuse("R2", format!("enterprise {} is not in the registry", r.enterprise.credit_code));
                    };
                    check_report(r, who.person, &co, &township, src)?;
                }
                Action::CriteriaMet { reasons } => {
                    check_criteria_met(reasons, state.as_ref().and_then(|h| h.item_code.as_deref()), src)?;
                }
                _ => {}
            }
            let inspection_open = source.as_ref().map(|(i, _)| i.completion.as_ref().is_none_or(|c| c.ended_at > e.at));
            let ctx = Context { now: e.at, policy: self.policy, inspection_open };
            match decide(state.as_ref(), self.registry, e.action.clone(), &ctx) {
                Err(err) => return Err(err.into()),
                Ok(resolved) if resolved != e.action => {
                    return refuse(
                        if matches!(e.action, Action::Report(_)) { "R5" } else { "rules" },
                        format!("event {} carries values the rules do not give (for example its deadline)", e.id),
                    )
                }
                Ok(_) => {}
            }
            // A clock that is off cannot buy time: the rules must also hold at
            // the earliest time the server can vouch for.
            let off = offset.filter(|o| o.abs() > tol);
            if off.is_some() || too_early {
                let vouched = if too_early { floor } else { on_server };
                let ctx = Context { now: Timestamp(vouched), ..ctx };
                let why = if too_early {
                    format!("the event is dated {} but follows what reached the server at {}", e.at, Timestamp(floor))
                } else {
                    format!("the device clock is {} s off the server's", off.unwrap_or(0) / 1000)
                };
                match decide(state.as_ref(), self.registry, e.action.clone(), &ctx) {
                    Err(err) => {
                        return refuse(err.rule, format!("{} (at {}: {why})", err.message, Timestamp(vouched)));
                    }
                    Ok(Action::Report(ours)) => {
                        if let Action::Report(theirs) = &e.action {
                            if theirs.deadline > ours.deadline {
                                return refuse(
                                    "R5",
                                    format!(
                                        "the deadline {:?} was computed on a clock the server cannot vouch for ({why})",
                                        theirs.deadline
                                    ),
                                );
                            }
                        }
                    }
                    Ok(_) => {}
                }
                skewed.push(e.id.clone());
            } else if on_server > self.clocks.server_now.0 + tol || e.at.0 > self.clocks.server_now.0 + tol {
                skewed.push(e.id.clone());
            }
            new_events.push(e.clone());
        }
        let Some(h) = fold(self.doc_id, all) else {
            return refuse("format", "the record has no report");
        };
        if !who.person.in_scope(&h.enterprise.credit_code, &h.enterprise.township) {
            return refuse(
                "R2",
                format!(
                    "{} has no scope over {} in {}",
                    who.person.id, h.enterprise.credit_code, h.enterprise.township
                ),
            );
        }
        let mut photos: Vec<String> = all
            .iter()
            .flat_map(|e| e.action.photos().into_iter().map(|p| p.sha256.clone()).collect::<Vec<_>>())
            .collect();
        photos.sort();
        photos.dedup();
        Ok((new_events, skewed, photos, h))
    }
}

/// A [`ServerView`] over maps: for tests, fuzzing and tools that validate
/// uploads without a server (the server implements the trait over storage).
#[derive(Debug, Clone, Default)]
pub struct MemoryView {
    /// People by id.
    pub people: HashMap<String, Person>,
    /// Township of each enterprise, by credit code.
    pub enterprises: HashMap<String, String>,
    /// Accepted inspections by id.
    pub inspections: HashMap<String, Inspection>,
    /// Published templates by (id, version).
    pub templates: HashMap<(String, u32), Template>,
    /// Receipt times by record, then event.
    pub receipts: HashMap<String, HashMap<String, Timestamp>>,
    /// Accepted hidden dangers by id.
    pub hazards: HashMap<String, Hazard>,
    /// Accepted orders by id.
    pub orders: HashMap<String, OrderSummary>,
}

impl MemoryView {
    /// The demo district: its people and enterprises, and the bundled templates.
    pub fn demo() -> MemoryView {
        let mut v = MemoryView::default();
        for p in crate::demo::people() {
            v.people.insert(p.id.clone(), p);
        }
        for e in crate::demo::enterprises() {
            v.enterprises.insert(e.credit_code.clone(), e.township.clone());
        }
        for (_, text) in crate::template::bundled() {
            if let Ok(t) = serde_json::from_str::<Template>(text) {
                v.templates.insert((t.id.clone(), t.version), t);
            }
        }
        v
    }
}

impl ServerView for MemoryView {
    fn person(&self, id: &str) -> Result<Option<Person>, LookupError> {
        Ok(self.people.get(id).cloned())
    }
    fn enterprise_township(&self, credit_code: &str) -> Result<Option<String>, LookupError> {
        Ok(self.enterprises.get(credit_code).cloned())
    }
    fn inspection(&self, id: &str) -> Result<Option<Inspection>, LookupError> {
        Ok(self.inspections.get(id).cloned())
    }
    fn template(&self, id: &str, version: u32) -> Result<Option<Template>, LookupError> {
        Ok(self.templates.get(&(id.to_string(), version)).cloned())
    }
    fn receipts(&self, doc_id: &str) -> Result<HashMap<String, Timestamp>, LookupError> {
        Ok(self.receipts.get(doc_id).cloned().unwrap_or_default())
    }
    fn hazard(&self, id: &str) -> Result<Option<Hazard>, LookupError> {
        Ok(self.hazards.get(id).cloned())
    }
    fn order(&self, id: &str) -> Result<Option<OrderSummary>, LookupError> {
        Ok(self.orders.get(id).cloned())
    }
    fn orders_in_township(&self, township: &str) -> Result<Vec<OrderSummary>, LookupError> {
        Ok(self.orders.values().filter(|o| o.order.enterprise.township == township).cloned().collect())
    }
}
