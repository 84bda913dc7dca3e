//! The web console in a real browser against the real server binary: runs
//! `tests/browser/console.test.cjs` (headless Debian `chromium` through npm
//! `playwright-core`, both installed by `scripts/install-tools.sh`) against
//! `paicha-server serve` on loopback, with a real tablet whose device the
//! district admin revokes in the browser; the tablet's next sync is refused.
//! A missing browser, Node or playwright-core fails the test, saying how to
//! get them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_scenarios::{bin, Server, Tablet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PASSWORD: &str = "browser-test-password-1";
const EVIL_NAME: &str = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">坏名字";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `paicha-server user passwd --id ID --password-stdin`, the password piped in.
fn passwd(server: &Server, id: &str, password: &str) -> std::process::Output {
    let mut child = Command::new(bin("paicha-server"))
        .arg("--data")
        .arg(server.data.path())
        .args(["user", "passwd", "--id", id, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_passwd_reads_stdin_and_refuses_unknown_people_and_short_passwords() {
    let server = Server::start();
    let ok = passwd(&server, "sup-chen", PASSWORD);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let unknown = passwd(&server, "nobody", PASSWORD);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("'nobody' is not in the registry"));
    let short = passwd(&server, "sup-chen", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    // Without --password-stdin the command says how, rather than reading anything.
    let out = Command::new(bin("paicha-server"))
        .arg("--data")
        .arg(server.data.path())
        .args(["user", "passwd", "--id", "sup-chen"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-stdin"));
}

#[test]
fn the_console_in_headless_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let playwright = repo().join(".tools/playwright/node_modules/playwright-core");
    assert!(
        Path::new(&chromium).exists(),
        "no browser at {chromium}: the console's browser tests need Debian's chromium; run `bash scripts/install-tools.sh` (or set CHROMIUM)"
    );
    assert!(
        playwright.join("package.json").exists(),
        "playwright-core is not installed in {}: run `bash scripts/install-tools.sh`",
        playwright.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(node.is_ok_and(|o| o.status.success()), "node is not on PATH: the browser tests are a Node script");

    let server = Server::start();
    server.admin(&[
        "user",
        "add",
        "--id",
        "evil-1",
        "--name",
        EVIL_NAME,
        "--role",
        "supervisor",
        "--township",
        "玉山镇",
    ]);
    for id in ["admin-xu", "sup-chen", "ent-a", "evil-1"] {
        let out = passwd(&server, id, PASSWORD);
        assert!(out.status.success(), "{id}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let tablet = Tablet::enroll(&server, "tab-revoke-me", "insp-wang");
    tablet.sync();

    let status = Command::new("node")
        .arg(repo().join("tests/browser/console.test.cjs"))
        .env("PAICHA_CONSOLE_URL", &server.url)
        .env("PAICHA_TEST_PASSWORD", PASSWORD)
        .env("PAICHA_REVOKE_DEVICE", "tab-revoke-me")
        .env("PAICHA_EVIL_USER", "evil-1")
        .env("CHROMIUM", &chromium)
        .env("PLAYWRIGHT_CORE", &playwright)
        .status()
        .unwrap();
    assert!(status.success(), "the browser tests failed (their output is above)");

    // The device revoked in the browser can no longer sync.
    let err = tablet.try_sync().expect_err("a revoked device's sync is refused");
    let text = err.to_string();
    assert!(text.contains("revoked"), "{text}");
}

/// A tablet's photo from the browser tests' fixtures (real JPEGs, so that
/// the browser decodes them and the screenshots show them).
fn fixture_photo(tab: &Tablet, name: &str, role: paicha_core::photo::PhotoRole) -> paicha_core::photo::PhotoRef {
    let path = tab.dir.path().join(format!("{name}.jpg"));
    std::fs::copy(repo().join(format!("tests/browser/fixtures/{name}.jpg")), &path).unwrap();
    tab.store.import_photo(&path, role, None, None).unwrap()
}

#[test]
fn the_review_flow_between_tablets_and_the_console() {
    use paicha_core::hazard::{Action, Status};
    use paicha_core::photo::PhotoRole;
    use paicha_core::time::Timestamp;
    use paicha_store::NewHazard;

    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let playwright = repo().join(".tools/playwright/node_modules/playwright-core");
    assert!(Path::new(&chromium).exists(), "no browser at {chromium}: run `bash scripts/install-tools.sh`");
    assert!(playwright.join("package.json").exists(), "playwright-core missing: run `bash scripts/install-tools.sh`");

    let server = Server::start();
    for id in ["admin-xu", "sup-chen", "ent-a", "ent-b", "insp-wang"] {
        let out = passwd(&server, id, PASSWORD);
        assert!(out.status.success(), "{id}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "tab-ent-a", "ent-a");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let evil = "<img src=x onerror=\"window.__pwned=1\">灭火器过期";
    let before = fixture_photo(&wang, "before", PhotoRole::Before);
    let report = |description: &str| {
        wang.store
            .report_hazard(
                "insp-wang",
                NewHazard {
                    enterprise: paicha_core::demo::credit_code(1),
                    description: Some(description.into()),
                    location: "二号车间".into(),
                    required_measures: "更换灭火器".into(),
                    before_photos: vec![before.clone()],
                    co_inspectors: vec!["insp-li".into()],
                    ..NewHazard::default()
                },
                Timestamp::now(),
            )
            .unwrap()
            .id
    };
    let reviewed = report(evil);
    let upload = report("砂轮机防护罩缺失");
    wang.sync();
    // The enterprise's tablet submits evidence for the first one.
    ent.sync();
    let after = fixture_photo(&ent, "after", PhotoRole::After);
    let evidence = Action::SubmitEvidence {
        after_photos: vec![after],
        description: "已更换全部过期灭火器".into(),
        rectified_on: None,
    };
    ent.store.act("ent-a", &reviewed, evidence, Timestamp::now()).unwrap();
    ent.sync();

    let status = Command::new("node")
        .arg(repo().join("tests/browser/workflow.test.cjs"))
        .env("PAICHA_CONSOLE_URL", &server.url)
        .env("PAICHA_TEST_PASSWORD", PASSWORD)
        .env("PAICHA_REVIEWED", &reviewed)
        .env("PAICHA_UPLOAD", &upload)
        .env("PAICHA_EVIL_TEXT", evil)
        .env("CHROMIUM", &chromium)
        .env("PLAYWRIGHT_CORE", &playwright)
        .status()
        .unwrap();
    assert!(status.success(), "the browser tests failed (their output is above)");

    // The approval made in the browser reaches the inspector's tablet.
    wang.sync();
    let h = wang.store.hazard("insp-wang", &reviewed).unwrap();
    assert_eq!(h.status, Status::Closed);
    let review = h.history.iter().find(|e| e.action == "review").expect("the review event");
    assert_eq!((review.person_id.as_str(), review.device_id.as_str()), ("sup-chen", "web-sup-chen"));
    // The evidence uploaded in the browser reaches the supervisor's tablet, photo included.
    chen.sync();
    let h = chen.store.hazard("sup-chen", &upload).unwrap();
    assert_eq!(h.status, Status::PendingReview);
    let photo = &h.evidence.last().expect("evidence").after_photos[0];
    assert_eq!(photo.device_id, "web-ent-a");
    let bytes = chen.store.photo_bytes(&photo.sha256).expect("the photo arrived on the tablet");
    assert_eq!(bytes, std::fs::read(repo().join("tests/browser/fixtures/upload.jpg")).unwrap());
    // Refused console actions are not hostile uploads.
    assert!(server.admin(&["quarantine"]).as_array().unwrap().is_empty());
}
