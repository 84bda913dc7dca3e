//! The fold: the order in which every replica applies events, and the
//! conflicts between concurrent decisions (R14).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::state::*;
use super::vocabulary::*;

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
