//! The real server on PostgreSQL (`paicha-server --database postgres://...
//! serve --demo`) with real tablets: what one records, the other receives,
//! photos included; the operator's commands work on the same database.
//! Needs `PAICHA_TEST_POSTGRES`: `bash scripts/with-postgres.sh cargo test -p paicha-scenarios`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::hazard::{Action, Status};
use paicha_core::photo::PhotoRole;
use paicha_scenarios::{t, PostgresDatabase, Server, Tablet};
use paicha_store::NewHazard;

#[test]
fn two_tablets_sync_through_a_server_on_postgresql() {
    let db = PostgresDatabase::create();
    let server = Server::start_postgres(&db.url);
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "tab-ent-a", "ent-a");

    let before = wang.store.import_photo(&wang.jpeg("除尘器"), PhotoRole::Before, None, None).unwrap();
    let new = NewHazard {
        enterprise: demo::credit_code(1),
        description: Some("除尘器未设泄爆装置".into()),
        before_photos: vec![before],
        co_inspectors: vec!["insp-li".into()],
        ..NewHazard::default()
    };
    let id = wang.store.report_hazard("insp-wang", new, t("2026-11-02T10:00+08:00")).unwrap().id;
    let up = wang.sync();
    assert_eq!(up.progress.photos_up, 1, "{up:?}");

    let down = ent.sync();
    assert_eq!(down.progress.photos_down, 1, "{down:?}");
    let after = ent.store.import_photo(&ent.jpeg("泄爆片"), PhotoRole::After, None, None).unwrap();
    let evidence =
        Action::SubmitEvidence {
            after_photos: vec![after], description: "已加装泄爆片".into(), rectified_on: None
        };
    ent.store.act("ent-a", &id, evidence, t("2026-11-05T10:00+08:00")).unwrap();
    ent.sync();
    wang.sync();

    let on_wang = wang.store.hazard("insp-wang", &id).unwrap();
    let on_ent = ent.store.hazard("ent-a", &id).unwrap();
    assert_eq!(on_wang, on_ent);
    assert_eq!(on_wang.status, Status::PendingReview);
    let devices: Vec<&str> = on_wang.history.iter().map(|e| e.device_id.as_str()).collect();
    assert_eq!(devices, ["tab-wang", "tab-ent-a"]);
    // R1: the server's receipt times, stored in PostgreSQL, came back with the record.
    assert!(on_wang.history.iter().all(|e| e.received_at.is_some()));

    // The records are in PostgreSQL, the photos in the data directory.
    let mut pg = db.client();
    let docs: i64 = pg.query_one("SELECT COUNT(*) FROM documents WHERE id = $1", &[&id]).unwrap().get(0);
    assert_eq!(docs, 1);
    let log: i64 = pg.query_one("SELECT COUNT(*) FROM change_log WHERE doc_id = $1", &[&id]).unwrap().get(0);
    assert_eq!(log, 2);
    assert!(!server.data.path().join("server.db").exists(), "no SQLite database beside PostgreSQL");
    assert_eq!(server.admin(&["missing-photos"]), serde_json::json!([]));
    let devices = server.admin(&["device", "list"]);
    assert_eq!(devices.as_array().map(Vec::len), Some(2));
    assert!(devices.as_array().unwrap().iter().all(|d| d["actor"].is_string()));
}
