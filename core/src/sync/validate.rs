//! What the server checks on every uploaded document, before anything is
//! stored. Pure: the server passes its current document, the registry's
//! view of the uploading person, the policy and its clock.
//!
//! The upload is applied to a fork of the server's document, and the fork
//! is compared with the original:
//! 1. size and format: the bytes are Automerge changes of a record of the
//!    announced kind and id, with only the keys such a record has;
//! 2. the new changes are signed by the uploading device's actor id;
//! 3. hidden dangers: events are immutable; each new event names this device
//!    and this user, with the role and scope the registry gives them (not the
//!    ones the tablet claims), and passes [`crate::workflow::decide`] against
//!    the state its author saw (its ancestors), with the same resolved fields;
//! 4. inspections: the user is in scope, is one of the inspectors, and signs
//!    their own answers.
//!
//! Device clocks more than the policy's tolerance ahead of the server are
//! flagged, not refused (R10).

use super::wire::DocUpload;
use crate::doc::{DocKind, RecordDoc};
use crate::hazard::{canonical_order, fold, Action, Event};
use crate::inspection::{Answer, Completion, InspectionHeader};
use crate::people::{Actor, Person, Role};
use crate::policy::Policy;
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
    /// The device's user, from the registry.
    pub person: &'a Person,
}

/// Why an upload is refused: a rule number or a check name, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `R1`..`R16`, or `size`, `format`, `actor`.
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

fn refuse<T>(rule: &str, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal { rule: rule.to_string(), message: message.into() })
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
    /// New events whose device clock is too far ahead of the server's (R10).
    pub skewed: Vec<String>,
    /// Whether the upload added anything (a replay adds nothing).
    pub changed: bool,
    /// SHA-256 of every photo the record refers to (the server waits for these).
    pub photos: Vec<String>,
}

fn inspection_photos(doc: &mut RecordDoc) -> Vec<String> {
    let mut out: Vec<String> = doc
        .inspection()
        .map(|i| i.answers.values().flat_map(|a| a.photos.iter().map(|p| p.sha256.clone())).collect())
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// Validates one document upload against the server's current document.
pub fn validate_upload(
    server_doc: Option<&mut RecordDoc>,
    upload: &DocUpload,
    who: &Uploader,
    policy: &Policy,
    inspection_ended: &dyn Fn(&str) -> Option<Option<Timestamp>>,
    server_now: Timestamp,
    max_bytes: usize,
) -> Result<Accepted, Refusal> {
    if upload.changes.0.len() > max_bytes {
        return refuse(
            "size",
            format!("{} bytes of changes, more than the {max_bytes} allowed per document", upload.changes.0.len()),
        );
    }
    let kind = match upload.kind.as_str() {
        "hazard" => DocKind::Hazard,
        "inspection" => DocKind::Inspection,
        other => return refuse("format", format!("unknown record kind '{other}'")),
    };
    if upload.doc_id.trim().is_empty() || upload.doc_id.len() > 100 {
        return refuse("format", "record id is empty or too long");
    }
    let mut base = match server_doc {
        Some(d) => d.fork(),
        None => RecordDoc::empty(&upload.doc_id, &[0; 16]),
    };
    let server_heads = base.heads();
    let server_keys: BTreeSet<String> = base.keys().into_iter().collect();
    let server_values: HashMap<String, Vec<String>> =
        server_keys.iter().map(|k| (k.clone(), base.raw_values(k))).collect();
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
    let one = |key: &str| -> Result<String, Refusal> {
        let v = fork.raw_values(key);
        match v.as_slice() {
            [x] => Ok(x.clone()),
            [] => refuse("format", format!("the record has no '{key}'")),
            _ => refuse("format", format!("'{key}' was set concurrently")),
        }
    };
    if one("type")? != kind.as_str() || one("id")? != upload.doc_id {
        return refuse("format", format!("the document is not the {} {}", kind.as_str(), upload.doc_id));
    }
    for key in fork.keys() {
        let allowed = key == "type"
            || key == "id"
            || match kind {
                DocKind::Hazard => key.starts_with("ev/"),
                DocKind::Inspection => key == "header" || key == "completion" || key.starts_with("answer/"),
            };
        if !allowed {
            return refuse("format", format!("a {} record has no key '{key}'", kind.as_str()));
        }
    }
    let registry = Actor { person: who.person.clone(), device_id: who.device_id.to_string() };
    match kind {
        DocKind::Hazard => {
            let (new_events, skewed, enterprise, township, photos) =
                check_hazard(&mut fork, &server_values, who, &registry, policy, inspection_ended, server_now)?;
            Ok(Accepted { doc: fork, kind, enterprise, township, new_events, skewed, changed, photos })
        }
        DocKind::Inspection => {
            let (enterprise, township) = check_inspection(&mut fork, &server_values, who)?;
            let photos = inspection_photos(&mut fork);
            Ok(Accepted { doc: fork, kind, enterprise, township, new_events: vec![], skewed: vec![], changed, photos })
        }
    }
}

/// What checking a hidden danger's upload yields: its new events, those with
/// a skewed clock, its enterprise and township, and its photos.
type HazardCheck = (Vec<Event>, Vec<String>, String, String, Vec<String>);

fn check_hazard(
    fork: &mut RecordDoc,
    server_values: &HashMap<String, Vec<String>>,
    who: &Uploader,
    registry: &Actor,
    policy: &Policy,
    inspection_ended: &dyn Fn(&str) -> Option<Option<Timestamp>>,
    server_now: Timestamp,
) -> Result<HazardCheck, Refusal> {
    let mut all: Vec<Event> = vec![];
    let mut new_ids = BTreeSet::new();
    for key in fork.keys().into_iter().filter(|k| k.starts_with("ev/")) {
        let values = fork.raw_values(&key);
        if let Some(old) = server_values.get(&key) {
            if &values != old {
                return refuse("R1", format!("event {} was changed; events are immutable", &key[3..]));
            }
        } else {
            new_ids.insert(key[3..].to_string());
        }
        let [json] = values.as_slice() else {
            return refuse("R1", format!("event {} was written twice", &key[3..]));
        };
        let e: Event = serde_json::from_str(json)
            .map_err(|e| Refusal { rule: "format".into(), message: format!("event {}: {e}", &key[3..]) })?;
        if e.id != key[3..] {
            return refuse("format", format!("event under key {key} has id {}", e.id));
        }
        all.push(e);
    }
    let by_id: BTreeMap<&str, &Event> = all.iter().map(|e| (e.id.as_str(), e)).collect();
    let tolerance = i64::from(policy.at(server_now.cst_date()).clock_skew_tolerance_seconds) * 1000;
    let mut skewed = vec![];
    let mut new_events = vec![];
    for e in canonical_order(&all) {
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
        let before: Vec<Event> = all.iter().filter(|x| seen.contains(x.id.as_str())).cloned().collect();
        let state = fold(&fork_id(fork), &before);
        if state.is_none() && !matches!(e.action, Action::Report(_)) {
            return refuse("format", format!("event {} comes before the report", e.id));
        }
        let inspection_open = state
            .as_ref()
            .and_then(|h| h.inspection_id.as_deref())
            .and_then(inspection_ended)
            .map(|ended| ended.is_none_or(|t| t > e.at));
        let ctx = Context { now: e.at, policy, inspection_open };
        match decide(state.as_ref(), registry, e.action.clone(), &ctx) {
            Err(err) => return refuse(err.rule, err.to_string()),
            Ok(resolved) if resolved != e.action => {
                return refuse(
                    if matches!(e.action, Action::Report(_)) { "R5" } else { "rules" },
                    format!("event {} carries values the rules do not give (for example its deadline)", e.id),
                )
            }
            Ok(_) => {}
        }
        if e.at.0 > server_now.0 + tolerance {
            skewed.push(e.id.clone());
        }
        new_events.push(e.clone());
    }
    let Some(h) = fold(&fork_id(fork), &all) else {
        return refuse("format", "the record has no report");
    };
    if !who.person.in_scope(&h.enterprise.credit_code, &h.enterprise.township) {
        return refuse(
            "R2",
            format!("{} has no scope over {} in {}", who.person.id, h.enterprise.credit_code, h.enterprise.township),
        );
    }
    let mut photos: Vec<String> =
        all.iter().flat_map(|e| e.action.photos().into_iter().map(|p| p.sha256.clone()).collect::<Vec<_>>()).collect();
    photos.sort();
    photos.dedup();
    Ok((new_events, skewed, h.enterprise.credit_code, h.enterprise.township, photos))
}

fn fork_id(doc: &RecordDoc) -> String {
    doc.id().to_string()
}

fn check_inspection(
    fork: &mut RecordDoc,
    server_values: &HashMap<String, Vec<String>>,
    who: &Uploader,
) -> Result<(String, String), Refusal> {
    let parse_err = |k: &str, e: serde_json::Error| Refusal { rule: "format".into(), message: format!("{k}: {e}") };
    let header_json = match fork.raw_values("header").as_slice() {
        [h] => h.clone(),
        _ => return refuse("format", "the inspection has no single header"),
    };
    let header: InspectionHeader = serde_json::from_str(&header_json).map_err(|e| parse_err("header", e))?;
    if header.id != fork.id() {
        return refuse("format", "the header names another inspection");
    }
    if !who.person.in_scope(&header.enterprise, &header.township) {
        return refuse(
            "R2",
            format!("{} has no scope over {} in {}", who.person.id, header.enterprise, header.township),
        );
    }
    if let Some(old) = server_values.get("header") {
        if old != &vec![header_json.clone()] {
            return refuse("R3", "an inspection's header (template version, enterprise, inspectors) never changes");
        }
    } else if !header.inspectors.iter().any(|p| p.id == who.person.id) && who.person.role != Role::DistrictAdmin {
        return refuse("R2", format!("{} is not one of the inspectors of {}", who.person.id, header.id));
    }
    for key in fork.keys() {
        let values = fork.raw_values(&key);
        if server_values.get(&key) == Some(&values) {
            continue;
        }
        if key.starts_with("answer/") {
            for v in &values {
                let a: Answer = serde_json::from_str(v).map_err(|e| parse_err(&key, e))?;
                let known = server_values.get(&key).is_some_and(|old| old.contains(v));
                if !known && a.by != who.person.id {
                    return refuse(
                        "R1",
                        format!("answer {} is signed by {}, not by {}", a.item_code, a.by, who.person.id),
                    );
                }
            }
        } else if key == "completion" {
            if server_values.contains_key("completion") {
                return refuse("R3", "the inspection was already completed");
            }
            for v in &values {
                let c: Completion = serde_json::from_str(v).map_err(|e| parse_err(&key, e))?;
                if c.by != who.person.id {
                    return refuse("R1", format!("completion is signed by {}, not by {}", c.by, who.person.id));
                }
            }
        }
    }
    Ok((header.enterprise, header.township))
}
