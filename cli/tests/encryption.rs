//! `paicha` keeps its store encrypted with a key file outside it: a copied
//! store says nothing, another key is a one-line error that changes
//! nothing, an unencrypted store is never enrolled; long exports and
//! imports show progress on request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn paicha(store: &Path, key_file: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_paicha"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("PAICHA_KEY_FILE", key_file)
        .env_remove("PAICHA_AS")
        .env_remove("PAICHA_NOW")
        .env_remove("PAICHA_STORE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn the_store_is_encrypted_with_a_key_file_outside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let key = tmp.path().join("keys/store.key");
    let (code, out, err) = paicha(&store, &key, &["init", "--device", "tablet-7", "--demo", "--user", "insp-wang"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("encrypted with the key in") && out.contains("keep a copy"), "{out}");
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 64);
    std::fs::write(tmp.path().join("p.jpg"), b"\xFF\xD8\xFF\xE0 a photo of a blocked fire exit").unwrap();
    let photo = tmp.path().join("p.jpg");
    let (code, _, err) = paicha(
        &store,
        &key,
        &[
            "hazard",
            "report",
            "--enterprise",
            "91320583700000001K",
            "--description",
            "安全出口被货物堵塞",
            "--with",
            "insp-li",
            "--photo",
            photo.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = paicha(&store, &key, &["--json", "info"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"encrypted\":true") || out.contains("\"encrypted\": true"), "{out}");
    for (path, bytes) in files(&store) {
        for secret in
            ["SQLite format 3", "安全出口被货物堵塞", "tablet-7", "insp-wang", "a photo of a blocked fire exit"]
        {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} reveals {secret}",
                path.display()
            );
        }
    }

    // Another key: one line naming the problem, exit 5, nothing changed.
    let before = files(&store);
    let other = tmp.path().join("other.key");
    std::fs::write(&other, format!("{}\n", "ab".repeat(32))).unwrap();
    let (code, _, err) = paicha(&store, &other, &["hazard", "list"]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("encrypted with another key") && err.contains("nothing was changed"), "{err}");
    // A missing key file names it.
    let (code, _, err) = paicha(&store, &tmp.path().join("missing.key"), &["hazard", "list"]);
    assert_eq!(code, 5);
    assert!(err.contains("missing.key"), "{err}");
    assert_eq!(files(&store), before, "a wrong or missing key changed the store");

    // The right key: everything is there.
    let (code, out, err) = paicha(&store, &key, &["hazard", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("安全出口被货物堵塞"), "{out}");
    let (code, _, err) = paicha(&store, &key, &["photos", "verify"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_unencrypted_store_works_offline_but_is_never_enrolled() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let key = tmp.path().join("unused.key");
    let (code, _, err) = paicha(&store, &key, &["init", "--device", "tablet-8", "--demo", "--unencrypted"]);
    assert_eq!(code, 0, "{err}");
    assert!(!key.exists(), "an unencrypted store needs no key file");
    let head = std::fs::read(store.join("paicha.db")).unwrap();
    assert!(head.starts_with(b"SQLite format 3\0"));
    // Refused before any request: no server listens on port 9.
    let (code, _, err) = paicha(&store, &key, &["enroll", "--server", "http://127.0.0.1:9", "--code", "ABCD2345"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("a device token is kept only in an encrypted store"), "{err}");
}

#[test]
fn long_exports_and_imports_show_progress_on_request_and_stay_quiet_when_piped() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let key = tmp.path().join("store.key");
    assert_eq!(paicha(&store, &key, &["init", "--device", "tablet-9", "--demo", "--user", "admin-xu"]).0, 0);
    let mut csv = String::from(
        "credit_code,name,address,township,grid,sectors,size_class,risk_colour,hazardous_chemicals,contact_name,contact_phone\n",
    );
    let codes: Vec<String> = (100..1300).map(paicha_core::demo::credit_code).collect();
    for (i, code) in codes.iter().enumerate() {
        csv.push_str(&format!("{code},企业{i},地址{i},玉山镇,网格1,dust,micro,blue,no,联系人,13800000000\n"));
    }
    std::fs::write(tmp.path().join("e.csv"), csv).unwrap();
    let file = tmp.path().join("e.csv");
    let (code, out, err) = paicha(&store, &key, &["enterprise", "import", file.to_str().unwrap(), "--progress"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 1200 enterprises"), "{out}");
    assert!(err.contains("import: 500 of 1200 enterprises") && err.contains("import: 1200 of 1200"), "{err}");
    // Piped without --progress: nothing on stderr.
    let (code, _, err) = paicha(&store, &key, &["enterprise", "import", file.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (0, ""));
    std::fs::write(tmp.path().join("p.jpg"), b"\xFF\xD8\xFF\xE0 photo").unwrap();
    let photo = tmp.path().join("p.jpg");
    for (n, enterprise) in codes.iter().take(2).enumerate() {
        let d = format!("消防通道堵塞 {n}");
        let args = ["--as", "insp-wang", "hazard", "report", "--enterprise", enterprise, "--description", &d];
        let (code, _, err) =
            paicha(&store, &key, &[&args[..], &["--with", "insp-li", "--photo", photo.to_str().unwrap()]].concat());
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, err) = paicha(&store, &key, &["--as", "insp-wang", "export", "--progress"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("消防通道堵塞 1"), "{out}");
    assert_eq!(err.trim(), "export: 2 of 2 hidden dangers");
    let (code, _, err) = paicha(&store, &key, &["--as", "insp-wang", "export"]);
    assert_eq!((code, err.as_str()), (0, ""));
}
