//! Random inspection plans (双随机一公开, R16) and the routine inspection due
//! list with the real `paicha-server` and `paicha` binaries: the same inputs
//! drawn on two separate servers give byte-identical plans and publications,
//! which a third party checks offline; an edited copy is refused; the due
//! list follows the inspections tablets upload.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::inspection::Source;
use paicha_scenarios::{bin, t, Server, Tablet};
use paicha_store::NewInspection;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};

/// Runs `paicha-server` against `server`'s data directory.
fn server_cmd(server: &Server, args: &[&str]) -> Output {
    Command::new(bin("paicha-server")).arg("--data").arg(server.data.path()).args(args).output().unwrap()
}

fn server_ok(server: &Server, args: &[&str]) -> Vec<u8> {
    let out = server_cmd(server, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// PlanInputs over the demo district: its four enterprises and four inspectors.
fn inputs() -> Value {
    json!({
        "plan_id": "KS-2026-Q3-01",
        "title": "2026年第三季度双随机抽查",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "seed": "2026-06-30 体彩 07 12 19 23 31",
        "targets": paicha_core::demo::enterprises().iter().map(|e| json!({
            "credit_code": e.credit_code, "name": e.name, "township": e.township,
            "risk_colour": e.risk_colour.as_str(),
        })).collect::<Vec<_>>(),
        "inspectors": [
            { "person_id": "insp-wang", "name": "王检查", "certificate_no": "32058300101", "conflicts": [paicha_core::demo::credit_code(1)] },
            { "person_id": "insp-li", "name": "李检查", "certificate_no": "32058300102" },
            { "person_id": "insp-zhou", "name": "周检查", "certificate_no": "32058300201" },
            { "person_id": "insp-sun", "name": "孙检查", "certificate_no": "32058300202" },
        ],
        "ratios": { "red_permille": 1000, "orange_permille": 500, "yellow_permille": 1000, "blue_permille": 100 },
        "team_size": 2,
    })
}

/// Creates the plan on `server` from `file`; returns (plan JSON as printed, CSV bytes).
fn create_and_publish(server: &Server, file: &Path, dir: &Path, name: &str) -> (Vec<u8>, Vec<u8>) {
    let made: Value = serde_json::from_slice(&server_ok(
        server,
        &["--json", "plan", "create", "--inputs", file.to_str().unwrap(), "--created-by", "admin-xu"],
    ))
    .unwrap();
    assert_eq!(made["id"], "KS-2026-Q3-01");
    assert_eq!(made["selections"], 3, "red 1 of 1, orange 1 of 2, yellow 1 of 1: {made}");
    let listed: Value = serde_json::from_slice(&server_ok(server, &["--json", "plan", "list"])).unwrap();
    assert_eq!(listed[0]["plan_sha256"], made["plan_sha256"]);
    assert_eq!(listed[0]["created_by"], "admin-xu");
    let shown = server_ok(server, &["--json", "plan", "show", "KS-2026-Q3-01"]);
    let csv = dir.join(format!("{name}.csv"));
    server_ok(server, &["plan", "export", "KS-2026-Q3-01", "--csv", csv.to_str().unwrap()]);
    (shown, std::fs::read(&csv).unwrap())
}

fn paicha(args: &[&str]) -> Output {
    Command::new(bin("paicha")).args(args).env_remove("PAICHA_STORE").output().unwrap()
}

#[test]
fn the_same_inputs_on_two_servers_give_the_same_plan_which_anyone_can_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("inputs.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&inputs()).unwrap()).unwrap();

    let (one, two) = (Server::start(), Server::start());
    let (plan1, csv1) = create_and_publish(&one, &file, dir.path(), "one");
    let (plan2, csv2) = create_and_publish(&two, &file, dir.path(), "two");
    assert_eq!(plan1, plan2, "byte-identical plans from the same inputs (R16)");
    assert_eq!(csv1, csv2, "byte-identical publications");
    let plan: Value = serde_json::from_slice(&plan1).unwrap();
    // 王检查 declared a conflict with the red enterprise: never in its team.
    let red = &plan["selections"][0];
    assert_eq!(red["credit_code"], paicha_core::demo::credit_code(1));
    assert_eq!(red["recused"], json!(["insp-wang"]));
    assert!(!red["team"].as_array().unwrap().contains(&json!("insp-wang")));
    let csv = String::from_utf8(csv1).unwrap();
    assert!(csv.starts_with("\u{feff}计划编号,KS-2026-Q3-01,"), "{csv}");
    assert!(csv.contains(plan["plan_sha256"].as_str().unwrap()));
    assert_eq!(csv.matches("\r\n").count(), 2 + 3);

    // The plan is stored once: the same id again is refused, naming it.
    let again = server_cmd(&one, &["plan", "create", "--inputs", file.to_str().unwrap()]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("KS-2026-Q3-01") && err.contains("R16"), "{err}");
    let missing = server_cmd(&one, &["plan", "show", "KS-9"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no plan KS-9"));

    // A third party checks the published plan offline; an edited copy fails.
    let published = dir.path().join("published.json");
    std::fs::write(&published, &plan1).unwrap();
    let ok = paicha(&["plan", "verify", published.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("checks out"));
    let mut edited: Value = plan.clone();
    edited["selections"][0]["team"] = json!(["insp-wang", "insp-li"]);
    let edited_file = dir.path().join("edited.json");
    std::fs::write(&edited_file, serde_json::to_vec(&edited).unwrap()).unwrap();
    let refused = paicha(&["plan", "verify", edited_file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(3));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("R16") && err.contains("KS-2026-Q3-01"), "{err}");
    // The inputs alone give the same plan on the tablet's side, too.
    let regenerated = paicha(&["plan", "generate", "--inputs", file.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&regenerated.stdout).trim_end().as_bytes(), plan1.trim_ascii_end());
}

#[test]
fn the_due_list_on_the_server_follows_the_inspections_tablets_upload() {
    let server = Server::start();
    let due = |args: &[&str]| -> Value {
        let mut all = vec!["--json", "due", "--date", "2025-03-03"];
        all.extend_from_slice(args);
        serde_json::from_slice(&server_ok(&server, &all)).unwrap()
    };
    // Nothing inspected yet: all four demo enterprises are due on the day asked for.
    let all = due(&[]);
    assert_eq!(all.as_array().unwrap().len(), 4, "{all}");
    assert!(all.as_array().unwrap().iter().all(|d| d["due_date"] == "2025-03-03" && d["last_inspected"].is_null()));
    let zhoushi = due(&["--township", "周市镇"]);
    assert_eq!(zhoushi.as_array().unwrap().len(), 1);
    assert_eq!(zhoushi[0]["credit_code"], paicha_core::demo::credit_code(4));

    // A tablet inspects the red enterprise from a plan (双随机) and uploads it.
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    wang.sync();
    let red = paicha_core::demo::credit_code(1);
    let new = NewInspection {
        template_id: "fire-safety".into(),
        template_version: None,
        enterprise: red.clone(),
        co_inspectors: vec!["insp-li".into()],
        source: Source::RandomPlan,
        enforcement: true,
        location: None,
    };
    let insp = wang.store.start_inspection("insp-wang", new, t("2025-03-02T09:00+08:00")).unwrap();
    // Every item answered before completion (R4): not applicable is an answer.
    let answers: Vec<paicha_store::NewAnswer> = (1..=8)
        .map(|n| {
            paicha_store::NewAnswer::new(&format!("FS-{n:02}"), paicha_core::inspection::AnswerValue::NotApplicable)
        })
        .collect();
    wang.store.answer_all("insp-wang", &insp.header.id, answers, t("2025-03-02T09:30+08:00")).unwrap();
    wang.store.complete_inspection("insp-wang", &insp.header.id, vec![], t("2025-03-02T10:00+08:00")).unwrap();
    wang.sync();

    let all = due(&[]);
    let list = all.as_array().unwrap();
    assert_eq!(list.len(), 4);
    // Red is monthly: inspected 2025-03-02, due 2025-04-02, now last in the list.
    let last = &list[3];
    assert_eq!(last["credit_code"], red.as_str());
    assert_eq!((last["last_inspected"].as_str(), last["due_date"].as_str()), (Some("2025-03-02"), Some("2025-04-02")));
    assert_eq!(last["status"], json!({ "status": "not_due", "days_left": 30 }));

    // Text for the operator.
    let text = String::from_utf8(server_ok(&server, &["due", "--date", "2025-04-10", "--township", "玉山镇"])).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("overdue 8d") && first.contains(&red), "{text}");
    let bad = server_cmd(&server, &["due", "--date", "tomorrow"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--date"));
}
