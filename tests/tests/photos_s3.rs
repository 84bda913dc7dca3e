//! Photos on an S3-compatible object store: the real server binary with
//! `PAICHA_SERVER_PHOTOS=s3://bucket/prefix`, against a real S3 API server on
//! loopback (the standalone server of PyPI's `moto`), with tablets uploading
//! whole and chunked photos and downloading them again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::photo::PhotoRole;
use paicha_core::time::Timestamp;
use paicha_scenarios::{Server, Tablet, S3};
use std::process::Command;

#[test]
fn photos_go_to_the_object_store_and_come_back_verified() {
    let s3 = S3::start();
    s3.create_bucket("district-photos");
    let env = s3.server_env("s3://district-photos/xihu");
    let server = Server::start_with(&env);
    let wang = Tablet::enroll(&server, "s3-wang", "insp-wang");
    let chen = Tablet::enroll(&server, "s3-chen", "sup-chen");
    let mut shas = vec![];
    // A small photo goes whole; a 3 MB one in resumable 1 MiB chunks.
    for (name, size) in [("small", 2_000usize), ("large", 3_000_000)] {
        let path = wang.dir.path().join(format!("{name}.jpg"));
        let mut bytes = b"\xFF\xD8\xFF\xE0".to_vec();
        bytes.extend((0..size).map(|i| (i * 31 % 251) as u8));
        std::fs::write(&path, &bytes).unwrap();
        let photo = wang.store.import_photo(&path, PhotoRole::Before, None, None).unwrap();
        shas.push(photo.sha256.clone());
        wang.store
            .report_hazard(
                "insp-wang",
                paicha_store::NewHazard {
                    enterprise: paicha_core::demo::credit_code(1),
                    description: Some(format!("{name} 照片")),
                    before_photos: vec![photo],
                    co_inspectors: vec!["insp-li".into()],
                    ..Default::default()
                },
                Timestamp::now(),
            )
            .unwrap();
    }
    let up = wang.sync();
    assert_eq!(up.progress.photos_up, 2, "{:?}", up.photo_failures);
    let listing = s3.keys("district-photos");
    for sha in &shas {
        assert!(listing.contains(&format!("xihu/{}/{sha}", &sha[..2])), "{sha} not in the bucket: {listing}");
    }
    // The operator's command looks in the same bucket.
    let missing = Command::new(paicha_scenarios::bin("paicha-server"))
        .arg("--data")
        .arg(server.data.path())
        .args(["--json", "missing-photos"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(missing.status.success(), "{}", String::from_utf8_lossy(&missing.stderr));
    assert_eq!(String::from_utf8_lossy(&missing.stdout).trim(), "[]");
    let down = chen.sync();
    assert_eq!(down.progress.photos_down, 2, "{:?}", down.photo_failures);
    for sha in &shas {
        assert!(chen.store.photo_path(sha).exists());
    }
    assert!(chen.store.verify_photos().unwrap().is_empty());
}
