//! Photos travel separately from records, verified by SHA-256 at both ends
//! and resumable; initial sync comes in pages with progress; a sync can be
//! cancelled and resumes; a dead server is a retryable network error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::photo::PhotoRole;
use paicha_scenarios::{t, Server, Tablet};
use paicha_store::client::{self, SyncOptions};
use paicha_store::NewHazard;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

fn report_with_photo(tab: &Tablet, name: &str, size: usize) -> (String, String) {
    let path = tab.dir.path().join(format!("{name}.jpg"));
    let mut bytes = b"\xFF\xD8\xFF\xE0".to_vec();
    bytes.extend((0..size).map(|i| (i * 7 % 251) as u8));
    bytes.extend_from_slice(name.as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let photo = tab.store.import_photo(&path, PhotoRole::Before, None, None).unwrap();
    let id = tab
        .store
        .report_hazard(
            &tab.user,
            NewHazard {
                enterprise: demo::credit_code(1),
                description: Some(name.into()),
                before_photos: vec![photo.clone()],
                co_inspectors: vec!["insp-li".into()],
                ..NewHazard::default()
            },
            t("2026-11-02T10:00+08:00"),
        )
        .unwrap()
        .id;
    (id, photo.sha256)
}

#[test]
fn photos_follow_their_records_verified_and_resumable() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "tab-ent-a", "ent-a");
    let (_, sha) = report_with_photo(&wang, "配电箱", 300_000);
    let r = wang.sync();
    assert_eq!(r.progress.photos_up, 1);
    assert!(server.admin(&["missing-photos"]).as_array().unwrap().is_empty());
    // The enterprise's tablet already holds the first part of it (an interrupted download).
    let original = wang.store.photo_bytes(&sha).unwrap();
    ent.store.append_photo_download(&sha, 0, &original[..100_000]).unwrap();
    assert_eq!(ent.store.photo_download_offset(&sha).unwrap(), 100_000);
    let r = ent.sync();
    assert_eq!(r.progress.photos_down, 1);
    assert!(r.progress.bytes_down < original.len() as u64, "resumed, not downloaded again: {}", r.progress.bytes_down);
    assert_eq!(ent.store.photo_bytes(&sha).unwrap(), original);
    assert!(ent.store.verify_photos().unwrap().is_empty());
    assert!(ent.store.photos_wanted().unwrap().is_empty());
}

#[test]
fn a_corrupted_partial_download_is_discarded_and_fetched_again() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let (_, sha) = report_with_photo(&wang, "灭火器", 50_000);
    wang.sync();
    chen.store.append_photo_download(&sha, 0, b"garbage that is not the start of the photo").unwrap();
    let r = chen.sync();
    assert_eq!(r.progress.photos_down, 0);
    assert_eq!((r.progress.photos_failed, r.photo_failures[0].1.as_str()), (1, "down"));
    assert_eq!(chen.store.photos_wanted().unwrap().len(), 1);
    assert!(!chen.store.photo_path(&sha).exists());
    let r = chen.sync();
    assert_eq!(r.progress.photos_down, 1);
    assert!(chen.store.photo_path(&sha).exists());
}

#[test]
fn a_record_whose_photo_has_not_arrived_is_reported_on_the_server() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let (id, sha) = report_with_photo(&wang, "脚手架", 1000);
    // The file disappears before it could be sent (the record still goes).
    let kept = std::fs::read(wang.store.photo_path(&sha)).unwrap();
    std::fs::remove_file(wang.store.photo_path(&sha)).unwrap();
    let r = wang.sync();
    assert_eq!(r.progress.photos_up, 0);
    // The failure is counted and reported, never skipped silently.
    assert_eq!(r.progress.photos_failed, 1);
    assert_eq!(r.photo_failures.len(), 1);
    assert_eq!((r.photo_failures[0].0.as_str(), r.photo_failures[0].1.as_str()), (sha.as_str(), "up"));
    let missing = server.admin(&["missing-photos"]);
    assert_eq!(missing[0]["record"], id.as_str());
    assert_eq!(missing[0]["photo"], sha.as_str());
    // Wrong bytes under its name are refused; the right ones complete the record.
    let token = wang.store.server_link().unwrap().unwrap().token;
    let http = reqwest::blocking::Client::new();
    let url = format!("{}/v1/photos/{sha}", server.url);
    let bad = http.put(&url).bearer_auth(&token).body(b"\xFF\xD8\xFF\xE0other".to_vec()).send().unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let stray = http
        .put(format!("{}/v1/photos/{}", server.url, "a".repeat(64)))
        .bearer_auth(&token)
        .body(b"x".to_vec())
        .send()
        .unwrap();
    assert_eq!(stray.status().as_u16(), 404, "a photo no record in scope refers to is refused first");
    std::fs::write(wang.store.photo_path(&sha), kept).unwrap();
    let r = wang.sync();
    assert_eq!(r.progress.photos_up, 1);
    assert_eq!(r.progress.photos_failed, 0);
    assert!(server.admin(&["missing-photos"]).as_array().unwrap().is_empty());
}

#[test]
fn initial_sync_comes_in_pages_with_progress_and_can_be_cancelled() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    for i in 0..7 {
        report_with_photo(&wang, &format!("隐患{i}"), 10);
    }
    wang.sync();
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let opts = SyncOptions { page_size: 3, ..SyncOptions::default() };
    // Cancelled before it starts: nothing is stored, the store is intact.
    let cancel = AtomicBool::new(true);
    let err = client::sync(&chen.store, &opts, &|_| {}, &cancel).unwrap_err();
    assert!(matches!(err, paicha_store::Error::Cancelled));
    // Cancelled after the first page: what was stored stays, the next sync resumes.
    let cancel = AtomicBool::new(false);
    let seen = Mutex::new(vec![]);
    let err = client::sync(
        &chen.store,
        &opts,
        &|p| {
            seen.lock().unwrap().push(p.clone());
            cancel.store(true, Ordering::Relaxed);
        },
        &cancel,
    )
    .unwrap_err();
    assert!(matches!(err, paicha_store::Error::Cancelled));
    assert_eq!(chen.store.list_hazards("sup-chen", &Default::default(), t("2026-11-03")).unwrap().len(), 3);
    let r =
        client::sync(&chen.store, &opts, &|p| seen.lock().unwrap().push(p.clone()), &AtomicBool::new(false)).unwrap();
    assert_eq!(r.progress.docs_down, 4);
    assert_eq!(r.progress.requests, 2);
    assert_eq!(chen.store.list_hazards("sup-chen", &Default::default(), t("2026-11-03")).unwrap().len(), 7);
    assert!(seen.lock().unwrap().len() >= 3);
}

#[test]
fn a_dead_server_is_a_network_error_after_retries() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    report_with_photo(&wang, "离线", 10);
    drop(server);
    let opts = SyncOptions { attempts: 3, first_delay: Duration::from_millis(20), ..SyncOptions::default() };
    let err = client::sync(&wang.store, &opts, &|_| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, paicha_store::Error::Network { .. }), "{err}");
    // Nothing lost: the record still waits for upload.
    assert!(wang.store.has_pending_uploads().unwrap());
}

#[test]
fn a_large_photo_upload_resumes_where_the_server_stopped() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let (_, sha) = report_with_photo(&wang, "大照片", 2_500_000);
    let file = wang.store.photo_path(&sha);
    let bytes = wang.store.photo_bytes(&sha).unwrap();
    // The record goes first; the photo file is away at that moment.
    std::fs::rename(&file, file.with_extension("away")).unwrap();
    wang.sync();
    std::fs::rename(file.with_extension("away"), &file).unwrap();
    // The first megabyte arrived before the connection dropped.
    let token = wang.store.server_link().unwrap().unwrap().token;
    let http = reqwest::blocking::Client::new();
    let first = http
        .put(format!("{}/v1/photos/{sha}", server.url))
        .bearer_auth(&token)
        .header("X-Paicha-Offset", "0")
        .header("X-Paicha-Total", bytes.len().to_string())
        .body(bytes[..client::PHOTO_CHUNK].to_vec())
        .send()
        .unwrap();
    assert_eq!(first.status().as_u16(), 202);
    // A chunk at the wrong offset is refused.
    let wrong = http
        .put(format!("{}/v1/photos/{sha}", server.url))
        .bearer_auth(&token)
        .header("X-Paicha-Offset", "5")
        .header("X-Paicha-Total", bytes.len().to_string())
        .body(vec![0u8; 10])
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 409);
    let r = wang.sync();
    assert_eq!(r.progress.photos_up, 1);
    let sent = r.progress.bytes_up as usize;
    assert!(sent < bytes.len() - client::PHOTO_CHUNK + 10_000, "only the rest was sent: {sent}");
    assert!(server.admin(&["missing-photos"]).as_array().unwrap().is_empty());
    // Another tablet receives exactly the original bytes.
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    chen.sync();
    assert_eq!(chen.store.photo_bytes(&sha).unwrap(), bytes);
}
