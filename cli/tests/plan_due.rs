//! `paicha due` (the routine inspection due list in the user's scope) and
//! `paicha plan generate / verify` (R16, offline), driven as a script would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const A: &str = "91320583700000001K"; // demo enterprise 1 in 玉山镇, red

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn paicha(store: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_paicha"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("PAICHA_AS")
        .env_remove("PAICHA_NOW")
        .env_remove("PAICHA_STORE")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(store: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let r = paicha(store, &all);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/golden").join(name)
}

fn codes(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|d| d["credit_code"].as_str().unwrap()).collect()
}

#[test]
fn the_due_list_is_in_scope_and_moves_with_a_completed_random_plan_inspection() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    assert_eq!(paicha(&store, &["init", "--device", "tab-wang", "--user", "insp-wang", "--demo"]).code, 0);

    // Never inspected: every enterprise of 玉山镇 is due today, none of 周市镇 (R2).
    let due = ok(&store, &["--now", "2026-11-02T09:00", "due"]);
    assert_eq!(due.as_array().unwrap().len(), 3, "{due}");
    assert!(due.as_array().unwrap().iter().all(|d| d["township"] == "玉山镇"
        && d["due_date"] == "2026-11-02"
        && d["status"]["status"] == "due"
        && d["last_inspected"].is_null()));
    assert_eq!(ok(&store, &["--as", "admin-xu", "--now", "2026-11-02T09:00", "due"]).as_array().unwrap().len(), 4);

    // An inspection from a random plan carries the source 双随机.
    let insp = ok(
        &store,
        &[
            "--now",
            "2026-11-02T09:30",
            "inspection",
            "start",
            "--template",
            "fire-safety",
            "--enterprise",
            A,
            "--with",
            "insp-li",
            "--enforcement",
            "--source",
            "random_plan",
        ],
    );
    assert_eq!(insp["header"]["source"], "random_plan");
    let id = insp["header"]["id"].as_str().unwrap().to_string();
    // Started but not completed: still due.
    let due = ok(&store, &["--now", "2026-11-02T09:40", "due"]);
    assert!(due.as_array().unwrap().iter().all(|d| d["last_inspected"].is_null()));
    // Every item answered before completion (R4): not applicable is an answer.
    let answers = store.with_file_name("answers.csv");
    let csv: String =
        std::iter::once("item,value,note\n".to_string()).chain((1..=8).map(|n| format!("FS-{n:02},na,\n"))).collect();
    std::fs::write(&answers, csv).unwrap();
    ok(&store, &["--now", "2026-11-02T09:50", "inspection", "answers", &id, "--file", answers.to_str().unwrap()]);
    ok(&store, &["--now", "2026-11-02T10:00", "inspection", "complete", &id, "--sign", "王检查:inspector"]);

    // Red: monthly. Now inspected on 2026-11-02, due 2026-12-02 and last in the list.
    let due = ok(&store, &["--now", "2026-11-03T09:00", "due"]);
    assert_eq!(codes(&due).last(), Some(&A), "{due}");
    let a = &due.as_array().unwrap()[2];
    assert_eq!((a["last_inspected"].as_str(), a["due_date"].as_str()), (Some("2026-11-02"), Some("2026-12-02")));
    assert_eq!((a["interval_months"].as_u64(), a["status"]["status"].as_str()), (Some(1), Some("not_due")));
    // A month later it is overdue and leads the list.
    let due = ok(&store, &["--now", "2026-12-05T09:00", "due"]);
    assert_eq!(codes(&due)[0], A);
    assert_eq!(due[0]["status"], serde_json::json!({ "status": "overdue", "days_overdue": 3 }));

    // Text for people: one line per enterprise.
    let text = paicha(&store, &["--now", "2026-12-05T09:00", "due"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert_eq!(text.stdout.lines().count(), 3);
    assert!(text.stdout.lines().next().unwrap().starts_with("overdue 3d"), "{}", text.stdout);
    assert!(text.stdout.contains("last never"), "{}", text.stdout);

    // Someone unknown to the store gets a clear error.
    let r = paicha(&store, &["--as", "nobody", "due"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("nobody"), "{}", r.stderr);
}

#[test]
fn a_plan_is_generated_offline_exactly_as_published_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-store"); // plan commands need no store
    let out = dir.path().join("plan.json");
    let csv = dir.path().join("plan.csv");
    let inputs = golden("plan_small_inputs_v1.json");
    let made = ok(
        &nowhere,
        &[
            "plan",
            "generate",
            "--inputs",
            inputs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(made["plan_sha256"], "b2152fdff8d07f802f2fda2a07063b249ef1937fd98e1148266b0d459b483306");
    assert_eq!(made["selections"], 3);
    assert!(!nowhere.exists(), "no store was created");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let published: Value =
        serde_json::from_str(&std::fs::read_to_string(golden("plan_small_v1.json")).unwrap()).unwrap();
    assert_eq!(written, published);
    assert_eq!(std::fs::read(&csv).unwrap(), std::fs::read(golden("plan_small_v1.csv")).unwrap());
    // Without --out the plan is printed, in canonical form.
    let printed = paicha(&nowhere, &["plan", "generate", "--inputs", inputs.to_str().unwrap()]);
    assert_eq!(printed.stdout.trim_end().as_bytes(), std::fs::read(&out).unwrap().as_slice());

    // Verify: the generated plan and the published golden plan check out.
    let checked = ok(&nowhere, &["plan", "verify", out.to_str().unwrap()]);
    assert_eq!(checked["id"], "EX-1");
    let big = ok(&nowhere, &["plan", "verify", golden("plan_v1.json").to_str().unwrap()]);
    assert_eq!(big["plan_sha256"], "f5d417ae31d7f49d0e822a8011a969f3f83f82f1f0d0c2cf79a493d81ee5d8b1");

    // An edited copy (another team) is refused with the rule and the plan's name.
    let text = std::fs::read_to_string(&out).unwrap();
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, text.replacen("\"team\":[\"b\",\"c\"]", "\"team\":[\"c\",\"b\"]", 1)).unwrap();
    let r = paicha(&nowhere, &["plan", "verify", edited.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    assert!(r.stderr.starts_with("paicha: error: R16: ") && r.stderr.contains("EX-1"), "{}", r.stderr);
    assert!(r.stderr.contains("entry 1"), "{}", r.stderr);
    // Not a plan at all, and inputs that make no plan: invalid input, named.
    std::fs::write(&edited, "{\"algorithm\": 1}").unwrap();
    let r = paicha(&nowhere, &["plan", "verify", edited.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("edited.json") && r.stderr.contains("not a plan"), "{}", r.stderr);
    let bad = dir.path().join("bad-inputs.json");
    std::fs::write(&bad, std::fs::read_to_string(&inputs).unwrap().replace("\"team_size\": 2", "\"team_size\": 1"))
        .unwrap();
    let r = paicha(&nowhere, &["plan", "generate", "--inputs", bad.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("bad-inputs.json") && r.stderr.contains("team size 1"), "{}", r.stderr);
    let r = paicha(&nowhere, &["plan", "verify", dir.path().join("missing.json").to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("missing.json"), "{}", r.stderr);
}
