//! Two `paicha` command-line tablets and a supervisor's, pointed at the real
//! server, take a hidden danger through the whole loop across devices.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_scenarios::{bin, Server};
use std::path::Path;
use std::process::Command;

fn paicha(store: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(bin("paicha")).arg("--store").arg(store).arg("--json").args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_hidden_danger_through_the_whole_loop_on_three_cli_tablets() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let tablet = |device: &str, user: &str| {
        let store = dir.path().join(device);
        paicha(&store, &["init", "--device", device]);
        let code = server.device(device, user);
        let enrolled = paicha(&store, &["enroll", "--server", &server.url, "--code", &code]);
        assert_eq!(enrolled["user"]["id"], user);
        store
    };
    let wang = tablet("tab-wang", "insp-wang");
    let ent = tablet("tab-ent-a", "ent-a");
    let chen = tablet("tab-chen", "sup-chen");
    let before = dir.path().join("b.jpg");
    let after = dir.path().join("a.jpg");
    std::fs::write(&before, b"\xFF\xD8\xFF\xE0 before").unwrap();
    std::fs::write(&after, b"\xFF\xD8\xFF\xE0 after").unwrap();

    // The enrolled user acts without --as.
    let h = paicha(
        &wang,
        &[
            "--now",
            "2026-11-02T10:00",
            "hazard",
            "report",
            "--enterprise",
            "91320583700000001K",
            "--description",
            "叉车无证驾驶",
            "--with",
            "insp-li",
            "--photo",
            before.to_str().unwrap(),
        ],
    );
    let id = h["id"].as_str().unwrap().to_string();
    paicha(&wang, &["sync"]);
    paicha(&ent, &["sync"]);
    paicha(
        &ent,
        &[
            "--now",
            "2026-11-05",
            "hazard",
            "evidence",
            &id,
            "--description",
            "已培训取证",
            "--photo",
            after.to_str().unwrap(),
        ],
    );
    paicha(&ent, &["sync"]);
    paicha(&chen, &["sync"]);
    assert_eq!(paicha(&chen, &["--now", "2026-11-06", "queue"]).as_array().unwrap().len(), 1);
    paicha(&chen, &["--now", "2026-11-06", "hazard", "review", &id, "--reject", "--opinion", "缺少培训记录"]);
    paicha(&chen, &["sync"]);
    paicha(&ent, &["sync"]);
    paicha(
        &ent,
        &[
            "--now",
            "2026-11-08",
            "hazard",
            "evidence",
            &id,
            "--description",
            "补充培训记录",
            "--photo",
            after.to_str().unwrap(),
        ],
    );
    paicha(&ent, &["sync"]);
    paicha(&chen, &["sync"]);
    let closed = paicha(&chen, &["--now", "2026-11-09", "hazard", "review", &id, "--approve", "--opinion", "整改到位"]);
    assert_eq!(closed["status"], "closed");
    for store in [&chen, &wang, &ent, &chen] {
        paicha(store, &["sync"]);
    }
    // Piped, sync is quiet on stderr; --progress prints each step with records and bytes both ways.
    let quiet = Command::new(bin("paicha")).arg("--store").arg(&wang).arg("sync").output().unwrap();
    assert!(quiet.status.success());
    assert!(quiet.stderr.is_empty(), "{}", String::from_utf8_lossy(&quiet.stderr));
    let loud = Command::new(bin("paicha")).arg("--store").arg(&wang).args(["sync", "--progress"]).output().unwrap();
    let lines = String::from_utf8_lossy(&loud.stderr).into_owned();
    assert!(lines.lines().count() >= 1 && lines.contains("records up") && lines.contains(" B down"), "{lines}");
    let histories: Vec<serde_json::Value> =
        [&wang, &ent, &chen].iter().map(|s| paicha(s, &["hazard", "history", &id])).collect();
    assert_eq!(histories[0], histories[1]);
    assert_eq!(histories[1], histories[2]);
    let devices: Vec<&str> =
        histories[0].as_array().unwrap().iter().map(|e| e["device_id"].as_str().unwrap()).collect();
    assert_eq!(devices, ["tab-wang", "tab-ent-a", "tab-chen", "tab-ent-a", "tab-chen"]);
    assert_eq!(paicha(&wang, &["hazard", "show", &id])["status"], "closed");
    // The enterprise's tablet received the inspector's before photo.
    assert_eq!(paicha(&ent, &["photos", "verify"]).as_array().unwrap().len(), 0);
}
