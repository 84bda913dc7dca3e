//! A checklist template version the district publishes on the server
//! reaches every tablet at its next sync (R3): an inspector inspects with
//! it offline, and the server takes the inspection pinned to it. A tablet
//! that published the same version with other content keeps its own and is
//! told.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::inspection::{AnswerValue, Source};
use paicha_core::template::Template;
use paicha_scenarios::{t, Server, Tablet};
use paicha_store::{NewAnswer, NewInspection};

fn fire_safety_v1() -> Template {
    let (_, text) = paicha_core::template::bundled()
        .into_iter()
        .find(|(f, _)| *f == "fire-safety.json")
        .expect("the bundled fire-safety checklist");
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_template_published_on_the_server_reaches_tablets_and_is_inspected_with() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "tab-ent", "ent-a");
    let mut next = fire_safety_v1();
    next.version = 40;
    next.title = format!("{}（2026年冬季专项）", next.title);
    let file = server.data.path().join("fire-safety-v40.json");
    std::fs::write(&file, serde_json::to_vec(&next).unwrap()).unwrap();
    server.admin(&["template-import", file.to_str().unwrap()]);
    assert!(!wang.store.templates().unwrap().iter().any(|s| s.id == "fire-safety" && s.version == 40));

    let r = wang.sync();
    assert!(r.template_conflicts.is_empty(), "{:?}", r.template_conflicts);
    let got = wang.store.templates().unwrap();
    let v40 = got.iter().find(|s| s.id == "fire-safety" && s.version == 40).expect("v40 reached the tablet");
    assert_eq!(v40.title, next.title);

    // Offline, the newest version is the one a new inspection pins.
    let insp = wang
        .store
        .start_inspection(
            "insp-wang",
            NewInspection {
                template_id: "fire-safety".into(),
                template_version: None,
                enterprise: paicha_core::demo::credit_code(1),
                co_inspectors: vec!["insp-li".into()],
                source: Source::Routine,
                enforcement: true,
                location: None,
            },
            t("2026-11-20T09:00+08:00"),
        )
        .unwrap();
    assert_eq!(insp.header.template_version, 40);
    let answers = next
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| NewAnswer::new(&i.code, AnswerValue::NotApplicable))
        .collect();
    wang.store.answer_all("insp-wang", &insp.header.id, answers, t("2026-11-20T09:30+08:00")).unwrap();
    wang.store.complete_inspection("insp-wang", &insp.header.id, vec![], t("2026-11-20T10:00+08:00")).unwrap();
    let r = wang.sync();
    assert!(r.refused.is_empty(), "{:?}", r.refused);
    // The enterprise's tablet has the version too, and the inspection pinned to it.
    ent.sync();
    assert!(ent.store.templates().unwrap().iter().any(|s| s.id == "fire-safety" && s.version == 40));
}

#[test]
fn a_tablet_keeps_its_own_publication_of_a_version_the_server_holds_otherwise() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    // An admin published version 41 on this tablet (paicha template import)...
    let mut mine = fire_safety_v1();
    mine.version = 41;
    mine.title = "本机发布的版本".into();
    wang.store.import_template("admin-xu", &mine).unwrap();
    // ...and the district published another version 41 on the server.
    let mut theirs = fire_safety_v1();
    theirs.version = 41;
    theirs.title = "区里发布的版本".into();
    let file = server.data.path().join("theirs.json");
    std::fs::write(&file, serde_json::to_vec(&theirs).unwrap()).unwrap();
    server.admin(&["template-import", file.to_str().unwrap()]);

    let r = wang.sync();
    assert_eq!(r.template_conflicts.len(), 1, "{:?}", r.template_conflicts);
    assert!(r.template_conflicts[0].contains("fire-safety version 41"), "{:?}", r.template_conflicts);
    let kept = wang.store.templates().unwrap().into_iter().find(|s| s.id == "fire-safety" && s.version == 41).unwrap();
    assert_eq!(kept.title, "本机发布的版本");
}
