//! An error is never turned into a default: when the server cannot read
//! what it needs to validate an upload, the request fails with a 5xx, the
//! upload is not quarantined as a rule breach, the tablet keeps its record
//! pending and the next sync, once the server is repaired, delivers it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::inspection::Source;
use paicha_core::time::Timestamp;
use paicha_scenarios::{Server, Tablet};
use paicha_store::NewInspection;

#[test]
fn an_unreadable_template_on_the_server_is_a_server_error_not_a_refusal() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "e-wang", "insp-wang");
    wang.sync();
    let insp = wang
        .store
        .start_inspection(
            "insp-wang",
            NewInspection {
                template_id: "dust-explosion".into(),
                template_version: Some(1),
                enterprise: paicha_core::demo::credit_code(1),
                co_inspectors: vec!["insp-li".into()],
                source: Source::Routine,
                enforcement: true,
                location: None,
            },
            Timestamp::now(),
        )
        .unwrap();
    let db = rusqlite::Connection::open(server.data.path().join("server.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let original: String = db
        .query_row("SELECT json FROM templates WHERE id = 'dust-explosion' AND version = 1", [], |r| r.get(0))
        .unwrap();
    db.execute("UPDATE templates SET json = '{not json' WHERE id = 'dust-explosion' AND version = 1", []).unwrap();
    let quarantined = |db: &rusqlite::Connection| -> i64 {
        db.query_row("SELECT COUNT(*) FROM quarantine", [], |r| r.get(0)).unwrap()
    };

    let err = wang.try_sync().unwrap_err();
    assert!(matches!(err, paicha_store::Error::Server { status: 500, .. }), "{err:?}");
    assert!(err.to_string().contains("template"), "the error names what is unreadable: {err}");
    assert_eq!(quarantined(&db), 0, "a server error is not a rule breach");
    assert!(wang.store.refused_edits().unwrap().is_empty(), "the tablet does not take it as refused");

    db.execute("UPDATE templates SET json = ?1 WHERE id = 'dust-explosion' AND version = 1", [&original]).unwrap();
    let report = wang.sync();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let stored: i64 =
        db.query_row("SELECT COUNT(*) FROM documents WHERE id = ?1", [&insp.header.id], |r| r.get(0)).unwrap();
    assert_eq!(stored, 1);
    assert_eq!(quarantined(&db), 0);
}
