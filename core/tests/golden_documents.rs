//! Golden saved documents: a hidden danger and an inspection as today's code
//! stores them (`tests/golden/*.automerge`), with what they must fold to
//! (`tests/golden/*.json`). A stored record must load and fold the same after
//! any change to the code; a change that breaks this breaks every tablet's
//! and server's data.
//!
//! The files are written once (`PAICHA_BLESS=1 cargo test -p paicha-core
//! --test golden_documents`) and then only read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::hazard::{fold, next_event, Action, EnterpriseRef, Event, Handling, HazardKind, Level, ReportData};
use paicha_core::inspection::{Answer, AnswerValue, Completion, InspectionHeader, Signature, Source};
use paicha_core::people::Actor;
use paicha_core::photo::{PhotoRef, PhotoRole};
use paicha_core::policy::Policy;
use paicha_core::time::Timestamp;
use paicha_core::workflow::{decide, Context};
use std::path::PathBuf;

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn actor(id: &str) -> Actor {
    let mut person = demo::person_by_id(id).unwrap();
    person.certificate_no = None;
    Actor { person, device_id: format!("tablet-{id}") }
}

fn photo(n: u32, role: PhotoRole) -> PhotoRef {
    PhotoRef {
        sha256: format!("{n:064x}"),
        bytes: 1000 + u64::from(n),
        role,
        captured_at: None,
        gps: None,
        device_id: "tablet".into(),
    }
}

/// A hidden danger through report, evidence, rejection, evidence, approval.
fn hazard_doc() -> RecordDoc {
    let e = &demo::enterprises()[0];
    let policy = Policy::default();
    let mut events: Vec<Event> = vec![];
    let mut doc = RecordDoc::new(DocKind::Hazard, "golden-hazard", &[7; 16]).unwrap();
    let mut add = |who: &str, at: &str, action: Action, events: &mut Vec<Event>| {
        let ctx = Context { now: t(at), policy: &policy, inspection_open: None };
        let state = fold("golden-hazard", events);
        let action = decide(state.as_ref(), &actor(who), action, &ctx).unwrap();
        let ev = next_event(events, format!("g{}", events.len() + 1), t(at), actor(who), action);
        doc.add_event(&ev).unwrap();
        events.push(ev);
    };
    let report = ReportData {
        enterprise: EnterpriseRef {
            credit_code: e.credit_code.clone(),
            name: e.name.clone(),
            township: e.township.clone(),
            grid: e.grid.clone(),
            risk_colour: e.risk_colour,
        },
        sector: "涉爆粉尘".into(),
        inspection_id: None,
        item_code: None,
        location: "抛光车间".into(),
        description: "除尘器未设置泄爆装置".into(),
        kind: HazardKind::UnsafeCondition,
        level: Level::General,
        handling: Handling::Deadline,
        before_photos: vec![photo(1, PhotoRole::Before)],
        required_measures: "加装泄爆片".into(),
        responsible_person: "设备部".into(),
        funds: Some(20000.0),
        legal_basis: String::new(),
        criteria: vec![],
        co_inspectors: vec![demo::person_by_id("insp-li").unwrap()],
        deadline: None,
        order_date: None,
    };
    let evidence = |n: u32| Action::SubmitEvidence {
        after_photos: vec![photo(n, PhotoRole::After)],
        description: "已加装泄爆片".into(),
        rectified_on: None,
    };
    add("insp-wang", "2026-11-02T10:00+08:00", Action::Report(Box::new(report)), &mut events);
    add("ent-a", "2026-11-05T10:00+08:00", evidence(2), &mut events);
    add(
        "sup-chen",
        "2026-11-06T10:00+08:00",
        Action::Review { approve: false, opinion: "泄爆口朝向人员通道".into() },
        &mut events,
    );
    add("ent-a", "2026-11-08T10:00+08:00", evidence(3), &mut events);
    add(
        "sup-chen",
        "2026-11-09T10:00+08:00",
        Action::Review { approve: true, opinion: "整改到位".into() },
        &mut events,
    );
    doc
}

/// An inspection with answers (one answered twice: a revision) and its completion.
fn inspection_doc() -> RecordDoc {
    let e = &demo::enterprises()[0];
    let header = InspectionHeader {
        id: "golden-inspection".into(),
        template_id: "dust-explosion".into(),
        template_version: 1,
        sector: "涉爆粉尘".into(),
        enterprise: e.credit_code.clone(),
        enterprise_name: e.name.clone(),
        township: e.township.clone(),
        inspectors: vec![demo::person_by_id("insp-wang").unwrap(), demo::person_by_id("insp-li").unwrap()],
        source: Source::SpecialCampaign,
        enforcement: true,
        started_at: t("2026-11-02T09:00+08:00"),
        device_id: "tablet-insp-wang".into(),
        location: None,
    };
    let mut doc = RecordDoc::new(DocKind::Inspection, "golden-inspection", &[8; 16]).unwrap();
    doc.set_header(&header).unwrap();
    let answer = |code: &str, value: AnswerValue, at: &str| Answer {
        item_code: code.into(),
        value,
        note: String::new(),
        photos: vec![],
        by: "insp-wang".into(),
        at: t(at),
    };
    doc.set_answer(&answer("DE-01", AnswerValue::Conforms, "2026-11-02T09:10+08:00")).unwrap();
    doc.set_answer(&answer("DE-03", AnswerValue::Conforms, "2026-11-02T09:20+08:00")).unwrap();
    doc.set_answer(&answer("DE-03", AnswerValue::DoesNotConform, "2026-11-02T09:25+08:00")).unwrap();
    doc.set_answer(&answer("DE-08", AnswerValue::Number { value: 3.5 }, "2026-11-02T09:30+08:00")).unwrap();
    doc.set_completion(&Completion {
        ended_at: t("2026-11-02T11:00+08:00"),
        by: "insp-wang".into(),
        signatures: vec![Signature { name: "王检查".into(), capacity: "检查员".into(), image: None }],
    })
    .unwrap();
    doc
}

fn check(name: &str, make: fn() -> RecordDoc, read: fn(&RecordDoc) -> serde_json::Value) {
    let bin = golden(&format!("{name}.automerge"));
    let json = golden(&format!("{name}.json"));
    if std::env::var_os("PAICHA_BLESS").is_some() {
        let mut doc = make();
        std::fs::write(&bin, doc.save()).unwrap();
        let v = read(&doc);
        std::fs::write(&json, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
    }
    let bytes = std::fs::read(&bin).unwrap_or_else(|e| panic!("{}: {e} (PAICHA_BLESS=1 writes it)", bin.display()));
    let doc = RecordDoc::load(name, &bytes, &[], &[9; 16]).unwrap();
    let expected: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(read(&doc), expected, "{name} no longer loads and folds as it was stored");
}

#[test]
fn a_stored_hidden_danger_loads_and_folds_as_it_did() {
    check("hazard_v1", hazard_doc, |doc| {
        assert_eq!(doc.kind().as_deref(), Some("hazard"));
        let h = fold("golden-hazard", &doc.events().unwrap()).unwrap();
        assert_eq!(h.status.as_str(), "closed");
        serde_json::to_value(&h).unwrap()
    });
}

#[test]
fn a_stored_inspection_loads_as_it_did() {
    check("inspection_v1", inspection_doc, |doc| {
        assert_eq!(doc.kind().as_deref(), Some("inspection"));
        let insp = doc.inspection().unwrap();
        // The later answer to DE-03 is its current one; the first stays in the document.
        assert_eq!(insp.answers["DE-03"].value, AnswerValue::DoesNotConform);
        assert!(doc.keys().contains(&"answer/DE-03#1".to_string()));
        serde_json::to_value(&insp).unwrap()
    });
}
