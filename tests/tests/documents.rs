//! Enforcement documents through real tablets and the real server (§4,
//! R15): orders issued offline for a week on two tablets never clash on a
//! number, every gap is explained, a review opinion cites its order, and a
//! device that forges numbers or documents is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::documents::{HazardOpinion, NumberState, RectificationOrder, ReviewOpinion};
use paicha_core::hazard::{Action, Status};
use paicha_core::photo::PhotoRole;
use paicha_scenarios::{console, t, RawDevice, Server, Tablet};
use paicha_store::NewHazard;
use std::collections::BTreeSet;

fn report(tab: &Tablet, co: &str, now: &str, what: &str) -> String {
    let photo = tab.store.import_photo(&tab.jpeg(what), PhotoRole::Before, None, None).unwrap();
    tab.store
        .report_hazard(
            &tab.user,
            NewHazard {
                enterprise: demo::credit_code(1),
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

fn issue(tab: &Tablet, co: &str, hazard: &str, now: &str) -> RectificationOrder {
    tab.store.issue_order(&tab.user, &[hazard.to_string()], &[co.to_string()], &[], t(now)).unwrap()
}

#[test]
fn two_tablets_offline_for_a_week_never_clash_on_a_number() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let li = Tablet::enroll(&server, "tab-li", "insp-li");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let mut issued = vec![];
    // Seven days offline, two orders a day on each tablet, often in the same minute.
    for day in 1..=7 {
        for n in 0..2 {
            let now = format!("2026-03-{:02}T{:02}:00+08:00", day + 1, 9 + n);
            let hw = report(&wang, "insp-li", &now, &format!("王 {day}-{n}"));
            issued.push(issue(&wang, "insp-li", &hw, &now));
            let hl = report(&li, "insp-wang", &now, &format!("李 {day}-{n}"));
            issued.push(issue(&li, "insp-wang", &hl, &now));
        }
    }
    // On the last day wang voids a misprinted order: its number stays used, explained.
    let spoiled = issued[4].clone();
    wang.store.void_order("insp-wang", &spoiled.id, "企业名称打印错误", t("2026-03-08T17:00+08:00")).unwrap();
    let numbers: BTreeSet<String> = issued.iter().map(|o| o.number.to_string()).collect();
    assert_eq!(numbers.len(), 28, "two offline tablets took the same number");
    // Each device numbers its own sequence 1..14 in the office and year.
    for series in ["tab-wang", "tab-li"] {
        let seqs: Vec<u32> = issued.iter().filter(|o| o.number.series == series).map(|o| o.number.seq).collect();
        assert_eq!(seqs, (1..=14).collect::<Vec<_>>());
        assert!(issued.iter().all(|o| o.number.prefix == "玉山镇应急责改" && o.number.year == 2026));
    }

    // Before wang syncs, the supervisor sees li's sequence whole and nothing of wang's.
    li.sync();
    chen.sync();
    let seen = chen.store.number_sequences("sup-chen").unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].series, "tab-li");
    assert_eq!(seen[0].gaps().count(), 0);

    // wang syncs its week: the only gap in its sequence is the voided number, explained.
    wang.sync();
    li.sync();
    chen.sync();
    let seen = chen.store.number_sequences("sup-chen").unwrap();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.numbers.len(), 14, "{}: {:?}", s.series, s.numbers);
        for (n, state) in s.gaps() {
            assert_eq!(s.series, "tab-wang", "{n} of tab-li is a gap");
            match state {
                NumberState::Voided { void, .. } => {
                    assert_eq!(n, &spoiled.number);
                    assert_eq!(void.reason, "企业名称打印错误");
                    assert_eq!(void.by, "insp-wang");
                }
                other => panic!("{n} is a gap left unexplained: {other:?}"),
            }
        }
        assert_eq!(s.gaps().count(), usize::from(s.series == "tab-wang"));
    }
    // The server holds every order once, with its void.
    let orders = server.admin(&["orders"]);
    let list = orders.as_array().unwrap();
    assert_eq!(list.len(), 28);
    let server_numbers: BTreeSet<&str> = list.iter().map(|o| o["number_text"].as_str().unwrap()).collect();
    assert_eq!(server_numbers.len(), 28);
    assert!(list.iter().any(|o| o["void"]["reason"] == "企业名称打印错误"));
}

#[test]
fn a_review_opinion_cites_its_order_and_reviews_through_sync() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "tab-ent-a", "ent-a");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let h1 = report(&wang, "insp-li", "2026-04-01T09:00+08:00", "灭火器过期");
    let h2 = report(&wang, "insp-li", "2026-04-01T09:10+08:00", "通道堵塞");
    let order = wang
        .store
        .issue_order("insp-wang", &[h1.clone(), h2.clone()], &["insp-li".into()], &[], t("2026-04-01T10:00+08:00"))
        .unwrap();
    // A hidden danger is on one order in force at a time.
    let again = wang.store.issue_order(
        "insp-wang",
        std::slice::from_ref(&h1),
        &["insp-li".into()],
        &[],
        t("2026-04-01T10:05+08:00"),
    );
    assert!(again.unwrap_err().to_string().contains("already on order"));
    wang.sync();
    ent.sync();
    // The enterprise sees its order (R2) and rectifies both.
    assert_eq!(ent.store.orders("ent-a", None).unwrap().len(), 1);
    for h in [&h1, &h2] {
        let photo = ent.store.import_photo(&ent.jpeg(h), PhotoRole::After, None, None).unwrap();
        let a =
            Action::SubmitEvidence { after_photos: vec![photo], description: "已整改".into(), rectified_on: None };
        ent.store.act("ent-a", h, a, t("2026-04-10T10:00+08:00")).unwrap();
    }
    ent.sync();
    // An opinion before the order reached the supervisor's tablet is refused: it exists only after its order.
    let early = chen.store.issue_opinion(
        "sup-chen",
        &order.id,
        vec![HazardOpinion { hazard_id: h1.clone(), approve: true, opinion: "合格".into() }],
        &[],
        t("2026-04-11T09:00+08:00"),
    );
    assert!(early.is_err());
    chen.sync();
    let (opinion, reviewed) = chen
        .store
        .issue_opinion(
            "sup-chen",
            &order.number.to_string(),
            vec![
                HazardOpinion { hazard_id: h1.clone(), approve: true, opinion: "已更换灭火器".into() },
                HazardOpinion { hazard_id: h2.clone(), approve: false, opinion: "通道仍有杂物".into() },
            ],
            &[],
            t("2026-04-11T10:00+08:00"),
        )
        .unwrap();
    assert_eq!(opinion.order_number, order.number);
    assert_eq!(reviewed[0].status, Status::Closed);
    assert_eq!(reviewed[1].status, Status::Rectifying);
    chen.sync();
    wang.sync();
    ent.sync();
    for tab in [&wang, &ent] {
        let ops = tab.store.opinions(&tab.user, &order.id).unwrap();
        assert_eq!(ops.len(), 1, "{}", tab.user);
        assert_eq!(ops[0].order_number, order.number);
        assert_eq!(tab.store.hazard(&tab.user, &h1).unwrap().status, Status::Closed);
        assert_eq!(tab.store.hazard(&tab.user, &h2).unwrap().status, Status::Rectifying);
    }
    // Nothing was refused on the way.
    for tab in [&wang, &ent, &chen] {
        assert!(tab.store.refused_edits().unwrap().is_empty(), "{} has refused edits", tab.user);
    }

    // The console shows the documents on the hidden danger's page and prints them.
    console::passwd(&server, "sup-chen");
    console::passwd(&server, "ent-b");
    let sid = console::sign_in(&server, "sup-chen");
    let (status, page) = console::get(&server, &sid, &format!("/hazards/{h1}"));
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("执法文书") && page.contains(&order.number.to_string()), "{page}");
    let (status, pdf) = console::get(&server, &sid, &format!("/orders/{}/pdf", order.id));
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    assert!(text.contains(&order.number.to_string()) && text.contains("责令限期整改指令书"), "{text}");
    let (status, pdf) = console::get(&server, &sid, &format!("/opinions/{}/pdf", opinion.id));
    assert_eq!(status, 200);
    assert!(pdf_text(&pdf).contains("通道仍有杂物"));
    let (status, pdf) = console::get(&server, &sid, &format!("/hazards/{h1}/case-file"));
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    for part in ["执法案卷", "整改复查意见书", "三、全过程记录", "四、清单（SHA-256）", "tab-chen"]
    {
        assert!(text.contains(part), "the case file lacks {part}");
    }
    let (status, page) = console::get(&server, &sid, "/orders");
    assert_eq!(status, 200);
    assert!(String::from_utf8(page).unwrap().contains(&order.number.to_string()));
    // Another enterprise sees none of it (R2): 404, as for a record that does not exist.
    let other = console::sign_in(&server, "ent-b");
    assert_eq!(console::get(&server, &other, &format!("/orders/{}/pdf", order.id)).0, 404);
    assert_eq!(console::get(&server, &other, &format!("/opinions/{}/pdf", opinion.id)).0, 404);
    assert_eq!(console::get(&server, &other, &format!("/hazards/{h1}/case-file")).0, 404);
}

/// The text of a PDF, as pdftotext reads it (poppler-utils), without white space.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, scripts/install-tools.sh)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().chars().filter(|c| !c.is_whitespace()).collect()
}

/// Uploads `body` as a new record of `kind` from a device that writes raw changes.
fn upload<T: serde::Serialize>(
    server: &Server,
    raw: &RawDevice,
    kind: DocKind,
    id: &str,
    body: &T,
) -> (String, String) {
    let mut d = RecordDoc::new(kind, id, &raw.actor).unwrap();
    d.set_body(body).unwrap();
    let resp = raw.upload(server, id, kind.as_str(), d.save(), Some(paicha_core::time::Timestamp::now().0));
    match resp.refused.first() {
        Some(r) => (r.rule.clone(), r.message.clone()),
        None => ("accepted".into(), String::new()),
    }
}

#[test]
fn forged_numbers_and_documents_are_refused() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let h = report(&wang, "insp-li", "2026-05-01T09:00+08:00", "配电箱无防护");
    let order = issue(&wang, "insp-li", &h, "2026-05-01T10:00+08:00");
    wang.sync();
    let raw = RawDevice::enroll(&server, "tab-raw", "insp-li", 7);
    let now = paicha_core::time::Timestamp::now();
    let mine = |seq: u32, id: &str| {
        let mut o = order.clone();
        o.id = id.into();
        o.issued_by = "insp-li".into();
        o.device_id = "tab-raw".into();
        o.issued_at = now;
        o.number.year = chrono::Datelike::year(&now.cst_date());
        o.number.series = "tab-raw".into();
        o.number.seq = seq;
        o.hazards[0].hazard_id = h.clone();
        o
    };
    // The hidden danger already has an order, but a second order issued concurrently elsewhere is a document of its own.
    assert_eq!(upload(&server, &raw, DocKind::Order, "raw-1", &mine(1, "raw-1")).0, "accepted");
    // Another device's sequence (R15).
    let mut theirs = mine(2, "raw-2");
    theirs.number.series = "tab-wang".into();
    assert_eq!(upload(&server, &raw, DocKind::Order, "raw-2", &theirs).0, "R15");
    // The same number twice (R15).
    let (rule, message) = upload(&server, &raw, DocKind::Order, "raw-3", &mine(1, "raw-3"));
    assert_eq!(rule, "R15", "{message}");
    assert!(message.contains("already held"), "{message}");
    // Inspectors printed with a certificate number the registry does not know (§4).
    let mut forged = mine(3, "raw-4");
    forged.inspectors[0].certificate_no = Some("99999".into());
    assert_eq!(upload(&server, &raw, DocKind::Order, "raw-4", &forged).0, "§4");
    // A single inspector (§4).
    let mut alone = mine(4, "raw-5");
    alone.inspectors.retain(|p| p.id == "insp-li");
    assert_eq!(upload(&server, &raw, DocKind::Order, "raw-5", &alone).0, "§4");
    // An opinion from an inspector (R8) and one citing an unknown order (§4).
    let opinion = ReviewOpinion {
        id: "raw-op-1".into(),
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        enterprise: order.enterprise.clone(),
        opinions: vec![HazardOpinion { hazard_id: h.clone(), approve: true, opinion: "合格".into() }],
        reviewed_by: demo::person_by_id("insp-li").unwrap(),
        device_id: "tab-raw".into(),
        reviewed_at: now,
        signatures: vec![],
    };
    assert_eq!(upload(&server, &raw, DocKind::ReviewOpinion, "raw-op-1", &opinion).0, "R8");
    let sup = RawDevice::enroll(&server, "tab-raw-sup", "sup-chen", 8);
    let by_sup = ReviewOpinion {
        id: "raw-op-2".into(),
        reviewed_by: demo::person_by_id("sup-chen").unwrap(),
        device_id: "tab-raw-sup".into(),
        order_id: "no-such-order".into(),
        ..opinion.clone()
    };
    assert_eq!(upload(&server, &sup, DocKind::ReviewOpinion, "raw-op-2", &by_sup).0, "§4");
    // A supervisor of the township may write it, citing the right number.
    let good = ReviewOpinion { id: "raw-op-3".into(), order_id: order.id.clone(), ..by_sup };
    assert_eq!(upload(&server, &sup, DocKind::ReviewOpinion, "raw-op-3", &good).0, "accepted");
    let mut wrong_number = good.clone();
    wrong_number.id = "raw-op-4".into();
    wrong_number.order_number.seq = 99;
    assert_eq!(upload(&server, &sup, DocKind::ReviewOpinion, "raw-op-4", &wrong_number).0, "§4");
}

#[test]
fn orders_go_after_their_hidden_dangers_when_uploads_take_many_requests() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    for n in 0..4 {
        let now = format!("2026-06-01T09:{:02}+08:00", n * 5);
        let h = report(&wang, "insp-li", &now, &format!("隐患 {n}"));
        issue(&wang, "insp-li", &h, &now);
    }
    // One record per request: whatever the ids, no order reaches the server before its hidden danger.
    let opts = paicha_store::client::SyncOptions { max_upload_bytes: 1, ..Default::default() };
    let report =
        paicha_store::client::sync(&wang.store, &opts, &|_| {}, &std::sync::atomic::AtomicBool::new(false)).unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(report.progress.requests >= 8, "{} requests", report.progress.requests);
    assert_eq!(server.admin(&["orders"]).as_array().unwrap().len(), 4);
}
