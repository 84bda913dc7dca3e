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

/// Runs `paicha-server --data DIR ARGS` and returns (success, stderr).
fn run_server(data: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(paicha_scenarios::bin("paicha-server"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_damaged_or_empty_server_database_is_neither_served_nor_written() {
    // Zero bytes: not an empty district whose tablets all get "unknown device token".
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    std::fs::write(&db, b"").unwrap();
    let (ok, err) = run_server(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!ok);
    assert!(err.contains("empty") && err.contains("server.db"), "{err}");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "left as it is");
    // 4 KiB of random bytes in the middle of a real database.
    let server = Server::start();
    let wang = Tablet::enroll(&server, "d-wang", "insp-wang");
    for i in 0..40 {
        let photo = wang
            .store
            .import_photo(&wang.jpeg(&format!("p{i}")), paicha_core::photo::PhotoRole::Before, None, None)
            .unwrap();
        wang.store
            .report_hazard(
                "insp-wang",
                paicha_store::NewHazard {
                    enterprise: paicha_core::demo::credit_code(1),
                    description: Some(format!("隐患 {i} {}", "描述".repeat(100))),
                    before_photos: vec![photo],
                    co_inspectors: vec!["insp-li".into()],
                    ..Default::default()
                },
                Timestamp::now(),
            )
            .unwrap();
    }
    wang.sync();
    let data = tempfile::tempdir().unwrap();
    let (ok, err) = run_server(server.data.path(), &["backup", "--to", data.path().join("copy.db").to_str().unwrap()]);
    assert!(ok, "{err}");
    drop(server);
    let damaged = data.path().join("server.db");
    std::fs::rename(data.path().join("copy.db"), &damaged).unwrap();
    let mut bytes = std::fs::read(&damaged).unwrap();
    assert!(bytes.len() > 3 * 4096, "{} bytes", bytes.len());
    let mid = bytes.len() / 2 / 4096 * 4096;
    for (i, b) in bytes[mid..mid + 4096].iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let (ok, err) = run_server(data.path(), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!ok);
    assert!(err.contains("damaged"), "{err}");
    assert_eq!(std::fs::read(&damaged).unwrap(), bytes, "left as it is");
}

#[test]
fn a_backup_restored_into_a_new_directory_serves_the_same_records() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "r-wang", "insp-wang");
    let photo = wang.store.import_photo(&wang.jpeg("b"), paicha_core::photo::PhotoRole::Before, None, None).unwrap();
    let id = wang
        .store
        .report_hazard(
            "insp-wang",
            paicha_store::NewHazard {
                enterprise: paicha_core::demo::credit_code(1),
                description: Some("配电箱未接地".into()),
                before_photos: vec![photo],
                co_inspectors: vec!["insp-li".into()],
                ..Default::default()
            },
            Timestamp::now(),
        )
        .unwrap()
        .id;
    wang.sync();
    // Online: the server keeps running while it is copied.
    let file = tempfile::tempdir().unwrap();
    let backup = file.path().join("district.db");
    let (ok, err) = run_server(server.data.path(), &["backup", "--to", backup.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, err) = run_server(server.data.path(), &["restore", "--from", backup.to_str().unwrap()]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let fresh = tempfile::tempdir().unwrap();
    let (ok, err) = run_server(fresh.path(), &["restore", "--from", backup.to_str().unwrap()]);
    assert!(ok, "{err}");
    drop(server);
    let restored = Server::serve(fresh);
    let chen = Tablet::enroll(&restored, "r-chen", "sup-chen");
    chen.sync();
    let h = chen.store.hazard("sup-chen", &id).unwrap();
    assert_eq!(h.description, "配电箱未接地");
    // The enrolled tablet's token still works against the restored server.
    let link = wang.store.server_link().unwrap().unwrap();
    let moved = paicha_store::ServerLink { url: restored.url.clone(), token: link.token };
    wang.store.set_server_link(&moved, "insp-wang").unwrap();
    assert!(wang.try_sync().is_ok());
}
