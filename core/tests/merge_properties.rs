//! R14 as properties: several replicas of one hidden danger act offline
//! (through the real rule function) and sync through Automerge documents in
//! arbitrary orders. Whatever happened, every replica that has the same
//! events folds to the same state, and no event is ever lost.

use paicha_core::demo;
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::enterprise::RiskColour;
use paicha_core::hazard::*;
use paicha_core::people::Actor;
use paicha_core::photo::{PhotoRef, PhotoRole};
use paicha_core::policy::Policy;
use paicha_core::time::Timestamp;
use paicha_core::workflow::{decide, Context};
use proptest::prelude::*;

const PEOPLE: [&str; 6] = ["insp-wang", "insp-li", "ent-a", "sup-chen", "admin-xu", "sup-zhao"];

fn actor(i: usize, replica: usize) -> Actor {
    let id = PEOPLE[i % PEOPLE.len()];
    Actor { person: demo::person_by_id(id).expect("demo"), device_id: format!("tablet-{replica}") }
}

fn photo(role: PhotoRole, n: u64) -> PhotoRef {
    PhotoRef { sha256: format!("{n:064x}"), bytes: 10, role, captured_at: None, gps: None, device_id: "t".into() }
}

fn action(kind: u8, n: u64) -> Action {
    let d = |days: i64| chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("date") + chrono::Duration::days(days);
    match kind % 12 {
        0 => Action::SubmitEvidence {
            after_photos: vec![photo(PhotoRole::After, n)],
            description: format!("整改{n}"),
            rectified_on: None,
        },
        1 => Action::Review { approve: true, opinion: "通过".into() },
        2 => Action::Review { approve: false, opinion: format!("不通过{n}") },
        3 => Action::RequestExtension { reason: "采购".into(), proposed_deadline: d(10 + (n % 20) as i64) },
        4 => Action::DecideExtension { grant: n.is_multiple_of(2), new_deadline: None, reason: "决定".into() },
        5 => Action::ChangeLevel { level: Level::Major, reason: "升级".into() },
        6 => Action::ChangeLevel { level: Level::General, reason: "降级".into() },
        7 => Action::SubmitPlan {
            plan: GovernancePlan {
                objectives: "a".into(),
                methods: "b".into(),
                funds_and_materials: "c".into(),
                responsible: "d".into(),
                time_limits: "e".into(),
                safety_and_emergency: "f".into(),
                ..GovernancePlan::default()
            },
        },
        8 => Action::Verify { approve: !n.is_multiple_of(3), opinion: "核销意见".into() },
        9 => Action::Void { reason: "录入错误".into() },
        10 => Action::Edit(Edit { description: Some(format!("描述{n}")), ..Edit::default() }),
        _ => Action::Escalate { note: "督办".into() },
    }
}

fn report() -> Action {
    let e = &demo::enterprises()[0];
    Action::Report(Box::new(ReportData {
        enterprise: EnterpriseRef {
            credit_code: e.credit_code.clone(),
            name: e.name.clone(),
            township: e.township.clone(),
            grid: e.grid.clone(),
            risk_colour: RiskColour::Red,
        },
        sector: "涉爆粉尘".into(),
        inspection_id: None,
        item_code: None,
        location: "车间".into(),
        description: "积尘".into(),
        kind: HazardKind::UnsafeCondition,
        level: Level::General,
        handling: Handling::Deadline,
        before_photos: vec![photo(PhotoRole::Before, 0)],
        required_measures: String::new(),
        responsible_person: String::new(),
        funds: None,
        legal_basis: String::new(),
        criteria: vec![],
        co_inspectors: vec![demo::person_by_id("insp-li").expect("demo")],
        deadline: None,
        order_date: None,
    }))
}

#[derive(Debug, Clone)]
enum Op {
    /// Replica acts as a person with an action kind, `minutes` after the start.
    Act { replica: usize, person: usize, kind: u8, minutes: i64 },
    /// Replica `to` receives everything `from` has.
    Sync { from: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..PEOPLE.len(), any::<u8>(), 0..60_000i64)
            .prop_map(|(replica, person, kind, minutes)| Op::Act { replica, person, kind, minutes }),
        1 => (0..3usize, 0..3usize).prop_map(|(from, to)| Op::Sync { from, to }),
    ]
}

struct Replica {
    doc: RecordDoc,
}

fn run(ops: &[Op]) -> Vec<Replica> {
    let policy = Policy::default();
    let start = Timestamp::parse("2026-11-02T10:00+08:00").expect("time");
    let mut first = RecordDoc::new(DocKind::Hazard, "h", &[1; 16]).expect("doc");
    let ctx = Context { now: start, policy: &policy, inspection_open: None };
    let rep = decide(None, &actor(0, 0), report(), &ctx).expect("report");
    first.add_event(&next_event(&[], "r0".into(), start, actor(0, 0), rep)).expect("add");
    let bytes = first.save();
    let mut replicas: Vec<Replica> =
        (0..3u8).map(|i| Replica { doc: RecordDoc::load("h", &bytes, &[], &[i + 1; 16]).expect("load") }).collect();
    for (n, op) in ops.iter().enumerate() {
        match op {
            Op::Act { replica, person, kind, minutes } => {
                let r = &mut replicas[*replica];
                let events = r.doc.events().expect("events");
                let state = fold("h", &events).expect("state");
                let now = start.plus_millis(minutes * 60_000);
                let a = actor(*person, *replica);
                let ctx = Context { now, policy: &policy, inspection_open: Some(false) };
                if let Ok(act) = decide(Some(&state), &a, action(*kind, n as u64), &ctx) {
                    let e = next_event(&events, format!("e{n:03}-{replica}"), now, a, act);
                    r.doc.add_event(&e).expect("add");
                }
            }
            Op::Sync { from, to } if from != to => {
                let (a, b) = if from < to {
                    let (l, r) = replicas.split_at_mut(*to);
                    (&mut l[*from], &mut r[0])
                } else {
                    let (l, r) = replicas.split_at_mut(*from);
                    (&mut r[0], &mut l[*to])
                };
                b.doc.merge(&mut a.doc).expect("merge");
            }
            Op::Sync { .. } => {}
        }
    }
    replicas
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn every_replica_folds_the_same_state_and_loses_nothing(
        ops in prop::collection::vec(op(), 1..40),
        order in prop::collection::vec(any::<u64>(), 200),
    ) {
        let mut replicas = run(&ops);
        // Full sync in two different orders.
        let mut forward = RecordDoc::new(DocKind::Hazard, "h", &[9; 16]).expect("doc");
        for r in replicas.iter_mut() { forward.merge(&mut r.doc).expect("merge"); }
        let mut backward = RecordDoc::new(DocKind::Hazard, "h", &[8; 16]).expect("doc");
        for r in replicas.iter_mut().rev() { backward.merge(&mut r.doc).expect("merge"); }
        let all = forward.events().expect("events");
        let x = fold("h", &all).expect("state");
        let y = fold("h", &backward.events().expect("events")).expect("state");
        prop_assert_eq!(&x, &y);

        // Any arrival order of the same events folds the same.
        let mut shuffled = all.clone();
        let mut keyed: Vec<(u64, Event)> = shuffled.drain(..).enumerate().map(|(i, e)| (order[i % order.len()] ^ i as u64, e)).collect();
        keyed.sort_by_key(|(k, _)| *k);
        let shuffled: Vec<Event> = keyed.into_iter().map(|(_, e)| e).collect();
        prop_assert_eq!(&x, &fold("h", &shuffled).expect("state"));

        // No decision is lost: every event is in the history exactly once.
        prop_assert_eq!(x.history.len(), all.len());
        let mut ids: Vec<&str> = x.history.iter().map(|h| h.event_id.as_str()).collect();
        ids.sort();
        ids.dedup();
        prop_assert_eq!(ids.len(), all.len());
        // Consistency of the derived state.
        if x.status == Status::Closed { prop_assert!(x.closure.is_some()); }
        // A closed record voided as an error later (R12) keeps its closure in the record.
        if x.closure.is_some() { prop_assert!(matches!(x.status, Status::Closed | Status::Voided)); }
        if x.status == Status::PendingVerification { prop_assert_eq!(x.level, Level::Major); }
        for h in x.history.iter().filter(|h| !h.applied) {
            prop_assert!(x.conflicts.iter().any(|c| c.event_id == h.event_id), "unapplied event without a conflict");
        }
    }
}
