//! Tablets that work offline and sync through the real server, in several
//! orders: every replica ends with the same state and history, every rule
//! outcome is right, and no edit is lost (R14).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::hazard::{Action, ConflictKind, Hazard, Status};
use paicha_core::photo::PhotoRole;
use paicha_scenarios::{t, Server, Tablet};
use paicha_store::NewHazard;

const A: fn() -> String = || demo::credit_code(1);
const B: fn() -> String = || demo::credit_code(2);
const C: fn() -> String = || demo::credit_code(3);

fn report(tab: &Tablet, enterprise: &str, co: &str, now: &str, what: &str) -> String {
    let photo = tab.store.import_photo(&tab.jpeg(what), PhotoRole::Before, None, None).unwrap();
    tab.store
        .report_hazard(
            &tab.user,
            NewHazard {
                enterprise: enterprise.to_string(),
                description: Some(what.to_string()),
                before_photos: vec![photo],
                co_inspectors: vec![co.to_string()],
                ..NewHazard::default()
            },
            t(now),
        )
        .unwrap()
        .id
}

fn evidence(tab: &Tablet, id: &str, now: &str, what: &str) -> Hazard {
    let photo = tab.store.import_photo(&tab.jpeg(what), PhotoRole::After, None, None).unwrap();
    let a = Action::SubmitEvidence { after_photos: vec![photo], description: what.into(), rectified_on: None };
    tab.store.act(&tab.user, id, a, t(now)).unwrap()
}

fn review(tab: &Tablet, id: &str, now: &str, approve: bool) -> Hazard {
    let opinion = if approve { "整改到位" } else { "整改不到位" };
    tab.store.act(&tab.user, id, Action::Review { approve, opinion: opinion.into() }, t(now)).unwrap()
}

/// Syncs everyone until nothing moves, then checks every replica that can
/// see `id` holds the same record.
fn converge(tabs: &[&Tablet], id: &str) -> Hazard {
    for _ in 0..2 {
        for tab in tabs {
            tab.sync();
        }
    }
    let states: Vec<Hazard> = tabs.iter().map(|tab| tab.store.hazard(&tab.user, id).unwrap()).collect();
    for (tab, s) in tabs.iter().zip(&states) {
        assert_eq!(s, &states[0], "{} differs", tab.user);
    }
    states[0].clone()
}

#[test]
fn rectification_ordered_on_one_tablet_is_reviewed_on_another() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "tab-ent-a", "ent-a");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let id = report(&wang, &A(), "insp-li", "2026-11-02T10:00+08:00", "除尘器未设泄爆");
    wang.sync();
    ent.sync();
    evidence(&ent, &id, "2026-11-05T10:00+08:00", "加装泄爆片");
    ent.sync();
    chen.sync();
    assert_eq!(chen.store.review_queue("sup-chen", t("2026-11-06")).unwrap().len(), 1);
    review(&chen, &id, "2026-11-06T10:00+08:00", true);
    let h = converge(&[&wang, &ent, &chen], &id);
    assert_eq!(h.status, Status::Closed);
    let devices: Vec<&str> = h.history.iter().map(|e| e.device_id.as_str()).collect();
    assert_eq!(devices, ["tab-wang", "tab-ent-a", "tab-chen"]);
    // R1: once synced, every event carries the server's receipt time, the same on every tablet.
    assert!(h.history.iter().all(|e| e.received_at.is_some()));
    // The server lists overdue records on its own clock (R10): one ordered long ago is overdue.
    let old = report(&wang, &A(), "insp-li", "2025-01-02T10:00+08:00", "旧隐患");
    wang.sync();
    let overdue = server.admin(&["overdue"]);
    let ids: Vec<&str> = overdue.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![old.as_str()]);
    assert_eq!(overdue[0]["escalation"], "district");
    // R2: another enterprise's tablet never receives it.
    let other = Tablet::enroll(&server, "tab-ent-b", "ent-b");
    other.sync();
    assert!(other.store.list_hazards("ent-b", &Default::default(), t("2026-11-07")).unwrap().is_empty());
}

fn evidence_during_rejection(order_supervisor_first: bool) -> Hazard {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "tab-ent-a", "ent-a");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let id = report(&wang, &A(), "insp-li", "2026-11-02T10:00+08:00", "积尘");
    wang.sync();
    ent.sync();
    evidence(&ent, &id, "2026-11-05T10:00+08:00", "已清理");
    ent.sync();
    chen.sync();
    // Offline: the supervisor rejects the first submission while the enterprise adds more.
    review(&chen, &id, "2026-11-06T09:00+08:00", false);
    evidence(&ent, &id, "2026-11-06T10:00+08:00", "补充清扫制度");
    if order_supervisor_first {
        chen.sync();
        ent.sync();
    } else {
        ent.sync();
        chen.sync();
    }
    converge(&[&wang, &ent, &chen], &id)
}

#[test]
fn enterprise_submits_evidence_while_supervisor_rejects_an_older_submission() {
    let x = evidence_during_rejection(true);
    let y = evidence_during_rejection(false);
    for h in [&x, &y] {
        // Both decisions kept: the rejection, then the new evidence waits for review.
        assert_eq!(h.status, Status::PendingReview);
        assert_eq!(h.evidence.len(), 2);
        assert_eq!(h.reviews.len(), 1);
        assert_eq!(h.history.len(), 4);
        let c: Vec<_> = h.open_conflicts().collect();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, ConflictKind::ConcurrentDecisions);
    }
}

#[test]
fn two_supervisors_decide_differently_offline_and_one_settles_it() {
    let server = Server::start();
    server.admin(&[
        "user",
        "add",
        "--id",
        "sup-qian",
        "--name",
        "钱监管",
        "--role",
        "supervisor",
        "--township",
        "玉山镇",
    ]);
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "tab-ent-a", "ent-a");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let qian = Tablet::enroll(&server, "tab-qian", "sup-qian");
    let id = report(&wang, &A(), "insp-li", "2026-11-02T10:00+08:00", "消防通道堵塞");
    wang.sync();
    ent.sync();
    evidence(&ent, &id, "2026-11-05T10:00+08:00", "已清理通道");
    ent.sync();
    chen.sync();
    qian.sync();
    review(&chen, &id, "2026-11-06T09:00+08:00", true);
    review(&qian, &id, "2026-11-06T09:30+08:00", false);
    qian.sync();
    chen.sync();
    let h = converge(&[&wang, &ent, &chen, &qian], &id);
    // Canonical order: the approval (09:00) first, so the record is closed;
    // the rejection is kept, not applied, and shown as a conflict.
    assert_eq!(h.status, Status::Closed);
    assert_eq!(h.history.len(), 4);
    assert!(!h.history[3].applied);
    let conflict = h.open_conflicts().next().unwrap().clone();
    assert_eq!(conflict.kind, ConflictKind::NotApplied);
    // Listed on the server too, for the supervisors.
    assert_eq!(server.admin(&["conflicts"])[0]["event"], conflict.event_id.as_str());
    // One supervisor looks at it and settles it; every replica agrees.
    qian.store
        .act(
            "sup-qian",
            &id,
            Action::ResolveConflict { events: vec![conflict.event_id], note: "经核实以销号为准".into() },
            t("2026-11-07"),
        )
        .unwrap();
    let h = converge(&[&wang, &ent, &chen, &qian], &id);
    assert_eq!(h.open_conflicts().count(), 0);
    assert!(server.admin(&["conflicts"]).as_array().unwrap().is_empty());
    assert_eq!(chen.store.conflicts("sup-chen", t("2026-11-07")).unwrap().len(), 0);
}

#[test]
fn a_week_offline_two_inspectors_and_a_supervisor_lose_nothing() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let li = Tablet::enroll(&server, "tab-li", "insp-li");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let ent_a = Tablet::enroll(&server, "tab-ent-a", "ent-a");
    let mut ids = vec![];
    // Day by day, both inspectors record hidden dangers in overlapping enterprises, offline.
    for day in 0..5 {
        let now = format!("2026-11-0{}T10:00+08:00", day + 2);
        ids.push(report(&wang, &[A(), B(), C()][day % 3], "insp-li", &now, &format!("王{day}")));
        ids.push(report(&li, &[C(), A(), B()][day % 3], "insp-wang", &now, &format!("李{day}")));
    }
    // They come back on different days, in different orders.
    li.sync();
    chen.sync();
    wang.sync();
    ent_a.sync();
    let a_ids: Vec<String> = ent_a
        .store
        .list_hazards("ent-a", &Default::default(), t("2026-11-08"))
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(!a_ids.is_empty());
    for id in &a_ids {
        evidence(&ent_a, id, "2026-11-09T10:00+08:00", &format!("整改{id}"));
    }
    ent_a.sync();
    chen.sync();
    for (i, id) in a_ids.iter().enumerate() {
        review(&chen, id, "2026-11-10T10:00+08:00", i % 2 == 0);
    }
    // An inspector edits two of them at the same time on another tablet:
    // one the supervisor is closing (approved), one being rejected.
    wang.sync();
    for id in &a_ids[..2] {
        let edit = paicha_core::hazard::Edit { location: Some("二号车间".into()), ..Default::default() };
        wang.store.act("insp-wang", id, Action::Edit(edit), t("2026-11-10T11:00+08:00")).unwrap();
    }
    for order in [[&wang, &li, &chen, &ent_a], [&ent_a, &chen, &li, &wang]] {
        for tab in order {
            tab.sync();
        }
    }
    for id in &ids {
        let viewers: Vec<&Tablet> =
            [&wang, &li, &chen].into_iter().chain(a_ids.contains(id).then_some(&ent_a)).collect();
        let h = converge(&viewers, id);
        if a_ids.contains(id) {
            assert_eq!(h.evidence.len(), 1, "{id}");
            assert_eq!(h.reviews.len(), 1, "{id}");
        } else {
            assert_eq!(h.status, Status::Rectifying);
        }
    }
    assert_eq!(chen.store.list_hazards("sup-chen", &Default::default(), t("2026-11-11")).unwrap().len(), ids.len());
    // Closed concurrently: the edit is kept in the history, not applied, and shown.
    let closed = chen.store.hazard("sup-chen", &a_ids[0]).unwrap();
    assert_eq!(closed.status, Status::Closed);
    let last = closed.history.last().unwrap();
    assert_eq!((last.action.as_str(), last.applied), ("edit", false));
    assert_eq!(closed.open_conflicts().count(), 1);
    // Rejected concurrently: still open, so the edit applies.
    let rejected = chen.store.hazard("sup-chen", &a_ids[1]).unwrap();
    assert_eq!(rejected.status, Status::Rectifying);
    assert_eq!(rejected.location, "二号车间");
}

#[test]
fn a_record_edited_many_times_stays_consistent_through_server_compaction() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let id = report(&wang, &A(), "insp-li", "2026-11-02T10:00+08:00", "多次修改");
    // Each sync appends a change to the server's copy, until it is compacted.
    for i in 0..60 {
        let edit = paicha_core::hazard::Edit {
            location: Some(format!("位置{i}：{}", "很长的说明".repeat(20))),
            ..Default::default()
        };
        wang.store.act("insp-wang", &id, Action::Edit(edit), t("2026-11-03T10:00+08:00")).unwrap();
        wang.sync();
    }
    let h = converge(&[&wang, &chen], &id);
    assert_eq!(h.history.len(), 61);
    assert!(h.location.starts_with("位置59"));
}
