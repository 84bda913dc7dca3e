//! A device's clock cannot buy time (docs/adr/0007): the server bounds what
//! an event's device time may claim by its parents' receipt times and the
//! request's own clock reading, refuses what would change a rule's outcome,
//! and flags clocks that are behind as well as ahead (R10).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::hazard::{next_event, Action};
use paicha_core::photo::PhotoRole;
use paicha_core::policy::Policy;
use paicha_core::time::Timestamp;
use paicha_core::workflow::{decide, Context};
use paicha_scenarios::{stored_snapshot, RawDevice, Server, Tablet};
use paicha_store::NewHazard;

const DAY: i64 = 86_400_000;

fn skewed(server: &Server, event_id: &str) -> Option<bool> {
    let c = rusqlite::Connection::open_with_flags(
        server.data.path().join("server.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    c.query_row("SELECT skewed FROM receipts WHERE event_id = ?1", [event_id], |r| r.get::<_, i64>(0))
        .ok()
        .map(|v| v == 1)
}

#[test]
fn a_clock_set_back_cannot_ask_for_an_extension_after_the_deadline() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "c-wang", "insp-wang");
    let ent = RawDevice::enroll(&server, "c-ent", "ent-a", 1);
    let now = Timestamp::now().0;
    // Reported 40 days ago (the CLI's --now does this): its deadline passed 10 days ago.
    let photo = wang.store.import_photo(&wang.jpeg("b"), PhotoRole::Before, None, None).unwrap();
    let id = wang
        .store
        .report_hazard(
            "insp-wang",
            NewHazard {
                enterprise: paicha_core::demo::credit_code(1),
                description: Some("配电箱未接地".into()),
                before_photos: vec![photo],
                co_inspectors: vec!["insp-li".into()],
                ..NewHazard::default()
            },
            Timestamp(now - 40 * DAY),
        )
        .unwrap()
        .id;
    wang.sync();
    let snap = stored_snapshot(&server, &id).unwrap();
    let doc = RecordDoc::load(&id, &snap, &[], &ent.actor).unwrap();
    let events = doc.events().unwrap();
    let deadline = paicha_core::hazard::fold(&id, &events).unwrap().deadline;
    let ask = |event_at: i64, device_time: Option<i64>, n: u32| {
        let mut d = RecordDoc::load(&id, &snap, &[], &ent.actor).unwrap();
        let heads = d.heads();
        let action = Action::RequestExtension {
            reason: "设备采购周期长".into(),
            proposed_deadline: deadline + chrono::Duration::days(20),
        };
        // On the device's clock the request is in time.
        let ctx = Context { now: Timestamp(event_at), policy: &Policy::default(), inspection_open: None };
        let state = paicha_core::hazard::fold(&id, &events);
        decide(state.as_ref(), &ent.registry_actor(), action.clone(), &ctx).expect("in time on the device's clock");
        let e = next_event(&events, format!("ext{n}"), Timestamp(event_at), ent.registry_actor(), action);
        d.add_event(&e).unwrap();
        ent.upload(&server, &id, "hazard", d.changes_after(&heads), device_time)
    };
    // The whole device clock set back 20 days, the request's reading too.
    let r = ask(now - 20 * DAY, Some(now - 20 * DAY), 1);
    assert!(r.accepted.is_empty());
    assert_eq!(r.refused[0].rule, "R9", "{}", r.refused[0].message);
    assert!(r.refused[0].message.contains("device"), "{}", r.refused[0].message);
    // Only the event backdated: it follows a report the server received today.
    let r = ask(now - 20 * DAY, Some(now), 2);
    assert_eq!(r.refused[0].rule, "R9", "{}", r.refused[0].message);
    assert!(r.refused[0].message.contains("reached the server"), "{}", r.refused[0].message);
    // Nothing changed on the server.
    assert_eq!(stored_snapshot(&server, &id).unwrap(), snap);
}

#[test]
fn a_clock_ahead_cannot_lengthen_a_deadline_and_a_clock_behind_is_flagged() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "c-wang", "insp-wang");
    let raw = RawDevice::enroll(&server, "c-raw", "insp-wang", 2);
    let now = Timestamp::now().0;
    let photo = wang.store.import_photo(&wang.jpeg("b"), PhotoRole::Before, None, None).unwrap();
    let honest = wang
        .store
        .report_hazard(
            "insp-wang",
            NewHazard {
                enterprise: paicha_core::demo::credit_code(1),
                description: Some("配电箱未接地".into()),
                before_photos: vec![photo],
                co_inspectors: vec!["insp-li".into()],
                ..NewHazard::default()
            },
            Timestamp(now),
        )
        .unwrap();
    let honest_doc =
        RecordDoc::load(&honest.id, &wang.store.document_bytes(&honest.id).unwrap(), &[], &[0; 16]).unwrap();
    let Action::Report(template) = honest_doc.events().unwrap().remove(0).action else { unreachable!() };
    let report = |at: i64, device_time: i64, id: &str| {
        let mut r = template.clone();
        r.deadline = None;
        r.order_date = None;
        let ctx = Context { now: Timestamp(at), policy: &Policy::default(), inspection_open: None };
        let action = decide(None, &raw.registry_actor(), Action::Report(r), &ctx).unwrap();
        let e = next_event(&[], format!("{id}-r"), Timestamp(at), raw.registry_actor(), action);
        let mut d = RecordDoc::new(DocKind::Hazard, id, &raw.actor).unwrap();
        d.add_event(&e).unwrap();
        raw.upload(&server, id, "hazard", d.save(), Some(device_time))
    };
    // Five days ahead: the order's deadline would be five days late.
    let r = report(now + 5 * DAY, now + 5 * DAY, "ahead");
    assert_eq!(r.refused.first().map(|x| x.rule.as_str()), Some("R5"), "{:?}", r.refused);
    // Five days behind: the deadline is only shorter; accepted, and flagged (R10).
    let r = report(now - 5 * DAY, now - 5 * DAY, "behind");
    assert!(r.refused.is_empty(), "{:?}", r.refused);
    assert_eq!(skewed(&server, "behind-r"), Some(true));
    // A clock within the tolerance is not flagged.
    let r = report(now, now, "right");
    assert!(r.refused.is_empty(), "{:?}", r.refused);
    assert_eq!(skewed(&server, "right-r"), Some(false));
}
