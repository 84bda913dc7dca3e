//! The `paicha` binary driven as a script would: full loops, deadlines with
//! `--now`, and bad input that must leave the store unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Tablet {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

const A: &str = "91320583700000001K"; // demo enterprise in 玉山镇

impl Tablet {
    fn new() -> Tablet {
        let t = Tablet { dir: tempfile::tempdir().unwrap() };
        let r = t.run(&["init", "--device", "tablet-9", "--demo"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        std::fs::write(t.path("before.jpg"), b"\xFF\xD8\xFF\xE0 before").unwrap();
        std::fs::write(t.path("after.jpg"), b"\xFF\xD8\xFF\xE0 after").unwrap();
        std::fs::write(t.path("after2.jpg"), b"\xFF\xD8\xFF\xE0 after 2").unwrap();
        t
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_paicha"))
            .arg("--store")
            .arg(self.dir.path().join("store"))
            .args(args)
            .env_remove("PAICHA_AS")
            .env_remove("PAICHA_NOW")
            .env_remove("PAICHA_STORE")
            .env("PAICHA_KEY_FILE", self.dir.path().join("store.key"))
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs as `who` at `now` with `--json` and expects success.
    fn ok(&self, who: &str, now: &str, args: &[&str]) -> Value {
        let mut all = vec!["--json", "--as", who, "--now", now];
        all.extend_from_slice(args);
        let r = self.run(&all);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.json()
    }

    /// Runs as `who` at `now` and expects failure with `code`; returns stderr.
    fn fails(&self, code: i32, who: &str, now: &str, args: &[&str]) -> String {
        let mut all = vec!["--as", who, "--now", now];
        all.extend_from_slice(args);
        let r = self.run(&all);
        assert_eq!(r.code, code, "{args:?}: stdout {} stderr {}", r.stdout, r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "one line: {}", r.stderr);
        assert!(r.stderr.starts_with("paicha: error: "), "{}", r.stderr);
        r.stderr
    }

    fn report(&self, level: &str, now: &str) -> String {
        let before = self.path("before.jpg");
        let h = self.ok(
            "insp-wang",
            now,
            &[
                "hazard",
                "report",
                "--enterprise",
                A,
                "--description",
                "除尘器未设泄爆装置",
                "--with",
                "insp-li",
                "--photo",
                before.to_str().unwrap(),
            ],
        );
        let id = h["id"].as_str().unwrap().to_string();
        if level == "major" {
            // Major only through a criterion or a supervisor's level change (R13).
            self.ok("sup-chen", now, &["hazard", "level", &id, "--level", "major", "--reason", "涉爆粉尘重大隐患"]);
        }
        id
    }

    fn evidence(&self, id: &str, now: &str, who: &str) -> Value {
        let after = self.path("after.jpg");
        self.ok(
            who,
            now,
            &["hazard", "evidence", id, "--description", "已加装泄爆片", "--photo", after.to_str().unwrap()],
        )
    }

    fn snapshot(&self) -> Value {
        let mut v = self.ok("admin-xu", "2026-12-31", &["export"]);
        v["exported_at"] = Value::Null;
        v
    }
}

#[test]
fn general_loop_report_evidence_reject_evidence_close() {
    let t = Tablet::new();
    let id = t.report("general", "2026-11-02T10:00+08:00");
    let h = t.ok("sup-chen", "2026-11-02T10:00+08:00", &["hazard", "show", &id[..8]]);
    assert_eq!(h["deadline"], "2026-12-02");
    assert_eq!(h["status"], "rectifying");

    assert_eq!(t.evidence(&id, "2026-11-05", "ent-a")["status"], "pending_review");
    let queue = t.ok("sup-chen", "2026-11-05", &["queue"]);
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let err = t.fails(3, "sup-chen", "2026-11-06", &["hazard", "review", &id, "--reject"]);
    assert!(err.contains("R8"), "{err}");
    let h = t.ok("sup-chen", "2026-11-06", &["hazard", "review", &id, "--reject", "--opinion", "泄爆口朝向人员通道"]);
    assert_eq!(h["status"], "rectifying");
    assert_eq!(h["deadline"], "2026-12-02");
    t.evidence(&id, "2026-11-08", "ent-a");
    let h = t.ok("sup-chen", "2026-11-09", &["hazard", "review", &id, "--approve", "--opinion", "整改到位"]);
    assert_eq!(h["status"], "closed");
    assert_eq!(h["closure"]["kind"], "reviewed");
    let history = t.ok("ent-a", "2026-11-09", &["hazard", "history", &id]);
    let actions: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "submit_evidence", "review", "submit_evidence", "review"]);
    assert!(t.ok("sup-chen", "2026-11-09", &["queue"]).as_array().unwrap().is_empty());
    let stats = t.ok("admin-xu", "2026-11-09", &["stats", "--by", "township"]);
    assert_eq!(stats[0]["group"], "玉山镇");
    assert_eq!(stats[0]["rectification_rate"], 1.0);
}

#[test]
fn major_hidden_danger_through_two_level_closure() {
    let t = Tablet::new();
    let id = t.report("major", "2026-11-02T10:00+08:00");
    let after = t.path("after.jpg");
    let err = t.fails(
        3,
        "ent-a",
        "2026-11-03",
        &["hazard", "evidence", &id, "--description", "x", "--photo", after.to_str().unwrap()],
    );
    assert!(err.contains("R7") && err.contains("governance plan"), "{err}");
    let err = t.fails(3, "ent-a", "2026-11-03", &["hazard", "plan", &id, "--objectives", "消除隐患"]);
    assert!(err.contains("R11") && err.contains("methods"), "{err}");
    t.ok(
        "ent-a",
        "2026-11-03",
        &[
            "hazard",
            "plan",
            &id,
            "--objectives",
            "消除粉尘爆炸隐患",
            "--methods",
            "加装泄爆",
            "--funds",
            "20万元",
            "--responsible",
            "设备部张某",
            "--time-limits",
            "2026-11-30前",
            "--safety",
            "停用除尘器并制定应急预案",
            "--reported-to-authority",
            "2026-11-03",
            "--reported-to-workforce",
            "2026-11-04",
        ],
    );
    t.ok("admin-xu", "2026-11-04", &["hazard", "listing", &id, "--level", "county", "--reason", "县级挂牌督办"]);
    t.ok(
        "sup-chen",
        "2026-11-04",
        &["hazard", "suspend", &id, "--from", "2026-11-05", "--until", "2026-12-31", "--reason", "停产整改"],
    );
    t.evidence(&id, "2026-11-20", "ent-a");
    let h = t.ok("sup-chen", "2026-11-21", &["hazard", "review", &id, "--approve", "--opinion", "同意报区核销"]);
    assert_eq!(h["status"], "pending_verification");
    t.fails(3, "sup-chen", "2026-11-22", &["hazard", "verify", &id, "--approve"]);
    let h = t.ok("ent-a", "2026-11-22", &["hazard", "resume-request", &id, "--note", "申请复产"]);
    assert_eq!(h["verification_due"], "2026-12-02");
    assert_eq!(t.ok("admin-xu", "2026-11-23", &["queue"]).as_array().unwrap().len(), 1);
    let h = t.ok("admin-xu", "2026-11-25", &["hazard", "verify", &id, "--approve", "--opinion", "核销"]);
    assert_eq!(h["status"], "closed");
    assert_eq!(h["closure"]["kind"], "verified");
    let stats = t.ok("admin-xu", "2026-11-25", &["stats", "--by", "total"]);
    assert_eq!(stats[0]["major_rectification_rate"], 1.0);
}

#[test]
fn deadlines_overdue_escalation_and_extension_with_now() {
    let t = Tablet::new();
    // 17:30 UTC on 1 November is 2 November in China: deadline 2 December.
    let id = t.report("general", "2026-11-01T17:30:00Z");
    assert_eq!(t.ok("sup-chen", "2026-11-02", &["hazard", "show", &id])["deadline"], "2026-12-02");
    let soon = t.ok("sup-chen", "2026-11-28", &["due-soon", "--days", "7"]);
    assert_eq!(soon[0]["escalation"]["level"], "reminder");
    assert!(t.ok("sup-chen", "2026-12-02T23:59", &["overdue"]).as_array().unwrap().is_empty());
    let od = t.ok("sup-chen", "2026-12-03T00:01", &["overdue"]);
    assert_eq!(od[0]["overdue_days"], 1);
    assert_eq!(od[0]["escalation"]["level"], "township");
    assert_eq!(t.ok("admin-xu", "2026-12-10", &["overdue"])[0]["escalation"]["level"], "district");
    // Extension asked too late is refused; a second hazard asks in time.
    let err =
        t.fails(3, "ent-a", "2026-12-03", &["hazard", "extend", &id, "--until", "2026-12-20", "--reason", "采购"]);
    assert!(err.contains("R9"), "{err}");
    let id2 = t.report("general", "2026-11-10");
    t.ok("ent-a", "2026-12-01", &["hazard", "extend", &id2, "--until", "2027-01-05", "--reason", "设备采购周期长"]);
    let err =
        t.fails(3, "sup-chen", "2026-12-02", &["hazard", "decide-extension", &id2, "--grant", "--until", "2027-02-01"]);
    assert!(err.contains("30 days"), "{err}");
    let h = t.ok("sup-chen", "2026-12-02", &["hazard", "decide-extension", &id2, "--grant"]);
    assert_eq!(h["deadline"], "2027-01-05");
}

#[test]
fn inspection_with_answers_file_completion_and_on_site_fix() {
    let t = Tablet::new();
    let insp = t.ok(
        "insp-wang",
        "2026-11-02T09:00",
        &[
            "inspection",
            "start",
            "--template",
            "fire-safety",
            "--enterprise",
            A,
            "--with",
            "insp-li",
            "--enforcement",
            "--gps",
            "31.38,120.98,5",
        ],
    );
    let iid = insp["header"]["id"].as_str().unwrap().to_string();
    std::fs::write(
        t.path("answers.csv"),
        "item,value,note\nFS-01,no,灭火器过期\nFS-02,no,通道堆物\nFS-03,conforms,\nFS-05,yes,\n",
    )
    .unwrap();
    let answers = t.path("answers.csv");
    t.ok("insp-li", "2026-11-02T09:30", &["inspection", "answers", &iid[..8], "--file", answers.to_str().unwrap()]);
    let before = t.path("before.jpg");
    let h = t.ok(
        "insp-wang",
        "2026-11-02T09:40",
        &[
            "hazard",
            "report",
            "--enterprise",
            A,
            "--inspection",
            &iid,
            "--item",
            "FS-02",
            "--handling",
            "on_site",
            "--photo",
            before.to_str().unwrap(),
        ],
    );
    assert_eq!(h["description"], "疏散通道、安全出口是否畅通，未被占用、堵塞、封闭");
    let hid = h["id"].as_str().unwrap().to_string();
    let after = t.path("after.jpg");
    let fixed = t.ok(
        "insp-wang",
        "2026-11-02T09:50",
        &["hazard", "fix", &hid, "--description", "当场清理通道", "--photo", after.to_str().unwrap()],
    );
    assert_eq!(fixed["status"], "closed");
    assert_eq!(fixed["closure"]["kind"], "on_site");
    t.ok(
        "insp-wang",
        "2026-11-02T09:55",
        &["inspection", "answer", &iid, "--item", "FS-04", "--value", "does_not_conform"],
    );
    // R4: every item must be answered before completion; the refusal lists the others.
    let err = t.fails(3, "insp-wang", "2026-11-02T09:58", &["inspection", "complete", &iid]);
    assert!(err.contains("R4") && err.contains("unanswered: FS-06, FS-07, FS-08;"), "{err}");
    for item in ["FS-06", "FS-07", "FS-08"] {
        t.ok("insp-li", "2026-11-02T09:59", &["inspection", "answer", &iid, "--item", item, "--value", "na"]);
    }
    let report = t.ok(
        "insp-wang",
        "2026-11-02T10:00",
        &["inspection", "complete", &iid, "--sign", "王检查:inspector", "--sign", "厂长:enterprise_representative"],
    );
    assert_eq!(report["findings"].as_array().unwrap().len(), 3);
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["major"] == true));
    assert_eq!(report["unreported"].as_array().unwrap().len(), 2);
    let items = t.ok("sup-chen", "2026-11-02T10:00", &["inspection", "items", &iid]);
    let fs02 = items.as_array().unwrap().iter().find(|i| i["code"] == "FS-02").unwrap();
    assert_eq!(fs02["hazards"][0], hid.as_str());
    // After the inspection ended, answering is refused.
    t.fails(3, "insp-wang", "2026-11-02T11:00", &["inspection", "answer", &iid, "--item", "FS-05", "--value", "yes"]);
}

fn count_enterprises(t: &Tablet) -> usize {
    t.ok("admin-xu", "2026-11-02", &["enterprise", "list"]).as_array().unwrap().len()
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let t = Tablet::new();
    let id = t.report("general", "2026-11-02T10:00+08:00");
    let before = t.snapshot();
    let enterprises = count_enterprises(&t);

    std::fs::write(
        t.path("bad.csv"),
        "credit_code,name,township,size_class,risk_colour\n91320583700000011L,新企业,玉山镇,小微,蓝\n91320583700000012X,坏代码企业,玉山镇,小微,蓝\n",
    )
    .unwrap();
    let bad = t.path("bad.csv");
    let err = t.fails(5, "admin-xu", "2026-11-03", &["enterprise", "import", bad.to_str().unwrap()]);
    assert!(err.contains("line 3") && err.contains("credit code"), "{err}");
    assert_eq!(count_enterprises(&t), enterprises);

    let err = t.fails(
        4,
        "insp-wang",
        "2026-11-03",
        &["inspection", "start", "--template", "fire-safety", "--version", "7", "--enterprise", A],
    );
    assert!(err.contains("fire-safety v7"), "{err}");
    let missing = t.path("no-such.jpg");
    let err = t.fails(
        5,
        "ent-a",
        "2026-11-03",
        &["hazard", "evidence", &id, "--description", "x", "--photo", missing.to_str().unwrap()],
    );
    assert!(err.contains("no-such.jpg"), "{err}");
    let err = t.fails(
        3,
        "ent-b",
        "2026-11-03",
        &["hazard", "evidence", &id, "--description", "x", "--photo", t.path("after.jpg").to_str().unwrap()],
    );
    assert!(err.contains("R2"), "{err}");
    let err = t.fails(3, "insp-wang", "2026-11-03", &["hazard", "void", &id, "--reason", "x"]);
    assert!(err.contains("R12"), "{err}");
    t.fails(4, "sup-chen", "2026-11-03", &["hazard", "show", "ffffffff"]);
    t.fails(5, "sup-chen", "yesterday", &["hazard", "show", &id]);
    let err = t.fails(
        5,
        "insp-wang",
        "2026-11-03",
        &["hazard", "report", "--enterprise", "91320583700000001X", "--description", "x"],
    );
    assert!(err.contains("fails its check"), "{err}");
    let err = t.fails(
        3,
        "insp-wang",
        "2026-11-03",
        &["hazard", "report", "--enterprise", A, "--description", "x", "--deadline", "2027-03-01", "--with", "insp-li"],
    );
    assert!(err.contains("R5"), "{err}");

    let insp =
        t.ok("insp-wang", "2026-11-03", &["inspection", "start", "--template", "dust-explosion", "--enterprise", A]);
    let iid = insp["header"]["id"].as_str().unwrap().to_string();
    let err = t.fails(5, "insp-wang", "2026-11-03", &["inspection", "answer", &iid, "--item", "ZZ-1", "--value", "no"]);
    assert!(err.contains("item ZZ-1 does not exist"), "{err}");

    let mut after = t.snapshot();
    // The inspection started above is the only change.
    after["inspections"] = before["inspections"].clone();
    assert_eq!(before, after);
    let r = t.run(&["--as", "admin-xu", "hazard", "show"]);
    assert_eq!(r.code, 2);
    assert!(Path::new(&t.path("store")).is_dir());
}

#[test]
fn the_store_user_acts_when_as_is_omitted() {
    let t = Tablet { dir: tempfile::tempdir().unwrap() };
    assert_eq!(t.run(&["init", "--device", "t1", "--user", "sup-chen", "--demo"]).code, 0);
    let r = t.run(&["--json", "queue"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), serde_json::json!([]));
    let r = t.run(&["--as", "insp-wang", "queue"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[test]
fn missing_acting_person_and_missing_store_are_explained() {
    let t = Tablet::new();
    let r = t.run(&["queue"]);
    assert_eq!(r.code, 5);
    assert!(r.stderr.contains("--as"), "{}", r.stderr);
    let r = Command::new(env!("CARGO_BIN_EXE_paicha"))
        .args(["--store", t.path("nowhere").to_str().unwrap(), "--as", "x", "queue"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&r.stderr).contains("paicha init"));
}

fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn orders_are_numbered_printed_reviewed_and_voided_from_the_command_line() {
    let t = Tablet::new();
    let h = t.report("general", "2026-03-02T09:00");
    let o = t.ok("insp-wang", "2026-03-02T09:30", &["order", "issue", "--hazard", &h, "--with", "insp-li"]);
    let number = o["number_text"].as_str().unwrap().to_string();
    assert_eq!(number, "玉山镇应急责改〔2026〕tablet-9-001号");
    // One order in force per hidden danger (§4), a supervisor cannot issue one, an unknown hidden danger is not found.
    let e = t.fails(3, "insp-wang", "2026-03-02T09:40", &["order", "issue", "--hazard", &h, "--with", "insp-li"]);
    assert!(e.contains("§4") && e.contains("already on order"), "{e}");
    let e = t.fails(3, "sup-chen", "2026-03-02T09:40", &["order", "issue", "--hazard", &h, "--with", "insp-li"]);
    assert!(e.contains("§4"), "{e}");
    t.fails(4, "insp-wang", "2026-03-02T09:40", &["order", "issue", "--hazard", "no-such-hazard", "--with", "insp-li"]);
    let pdf = t.path("order.pdf");
    t.ok("insp-wang", "2026-03-02T09:45", &["order", "pdf", &number, "--out", pdf.to_str().unwrap()]);
    let text = pdf_text(&pdf);
    assert!(text.contains(&number) && text.contains("责令限期整改指令书") && text.contains("六十日内"), "{text}");
    // A font that is not a font is one clear line, exit 1, nothing written.
    let bad = t.path("bad.pdf");
    let r = t.run(&[
        "--as",
        "insp-wang",
        "order",
        "pdf",
        &number,
        "--font",
        "/etc/hostname",
        "--out",
        bad.to_str().unwrap(),
    ]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("not a usable font"), "{}", r.stderr);
    assert!(!bad.exists());
    // Evidence, then the supervisor's opinion cites the number and closes the hidden danger.
    let after = t.path("after.jpg");
    t.ok(
        "ent-a",
        "2026-03-05",
        &["hazard", "evidence", &h, "--description", "已整改", "--photo", after.to_str().unwrap()],
    );
    let e = t.fails(
        3,
        "insp-wang",
        "2026-03-06",
        &["opinion", "issue", "--order", &number, "--approve", &format!("{h}=合格")],
    );
    assert!(e.contains("R8"), "{e}");
    let op = t.ok(
        "sup-chen",
        "2026-03-06",
        &["opinion", "issue", "--order", &number, "--approve", &format!("{h}=整改到位")],
    );
    assert_eq!(op["order_number"]["seq"], 1);
    assert_eq!(t.ok("sup-chen", "2026-03-06", &["hazard", "show", &h])["status"], "closed");
    let case = t.path("case.pdf");
    let c = t.ok("sup-chen", "2026-03-07", &["hazard", "case-file", &h, "--out", case.to_str().unwrap()]);
    assert!(c["manifest"].as_array().unwrap().len() >= 3);
    assert!(pdf_text(&case).contains("整改到位"));
    // Void: the number stays used, explained; a second void and an empty reason are refused.
    t.fails(3, "insp-wang", "2026-03-08", &["order", "void", &number, "--reason", " "]);
    t.ok("insp-wang", "2026-03-08", &["order", "void", &number, "--reason", "企业名称打印错误"]);
    t.fails(5, "insp-wang", "2026-03-08", &["order", "void", &number, "--reason", "again"]);
    let numbers = t.ok("sup-chen", "2026-03-08", &["order", "numbers"]);
    let first = &numbers[0]["numbers"][0];
    assert_eq!(first["state"], "voided");
    assert!(first["explanation"].as_str().unwrap().contains("企业名称打印错误"));
    // The quarterly report of §6 as PDF.
    let report = t.path("report.pdf");
    t.ok(
        "admin-xu",
        "2026-04-02",
        &["stats", "--by", "level", "--period", "2026Q1", "--pdf", report.to_str().unwrap()],
    );
    let text = pdf_text(&report);
    assert!(text.contains("2026年第1季度") && text.contains("2026-04-15"), "{text}");
    t.fails(5, "admin-xu", "2026-04-02", &["stats", "--period", "2026Q5"]);
}
