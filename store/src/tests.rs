use super::*;
use paicha_core::demo;
use paicha_core::hazard::{Action, GovernancePlan, Handling, Level, Status};
use paicha_core::inspection::{AnswerValue, Source};
use paicha_core::photo::PhotoRole;
use paicha_core::policy::Policy;
use paicha_core::stats::{GroupBy, Period};
use paicha_core::RuleError;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// What starting an inspection needs, in one line.
fn new_inspection(
    template: &str,
    version: Option<u32>,
    enterprise: &str,
    co: &[&str],
    source: Source,
    enforcement: bool,
) -> NewInspection {
    NewInspection {
        template_id: template.into(),
        template_version: version,
        enterprise: enterprise.into(),
        co_inspectors: co.iter().map(|c| c.to_string()).collect(),
        source,
        enforcement,
        location: None,
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    a: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("store"), "tablet-1").unwrap();
    store.seed_demo_district().unwrap();
    let a = demo::credit_code(1);
    Fixture { dir, store, a }
}

impl Fixture {
    fn jpeg(&self, n: u32) -> PathBuf {
        let path = self.dir.path().join(format!("p{n}.jpg"));
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend_from_slice(format!("photo number {n}").as_bytes());
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn photo(&self, n: u32, role: PhotoRole) -> paicha_core::photo::PhotoRef {
        self.store.import_photo(&self.jpeg(n), role, None, None).unwrap()
    }

    fn report(&self, level: Level, now: &str) -> paicha_core::hazard::Hazard {
        let h = self.report_general(now);
        if level == Level::General {
            return h;
        }
        // Major only through a criterion or a supervisor's level change (R13).
        let raise = Action::ChangeLevel { level: Level::Major, reason: "涉爆粉尘重大隐患".into() };
        self.store.act("sup-chen", &h.id, raise, t(now)).unwrap()
    }

    fn report_general(&self, now: &str) -> paicha_core::hazard::Hazard {
        self.store
            .report_hazard(
                "insp-wang",
                NewHazard {
                    enterprise: self.a.clone(),
                    location: "抛光车间".into(),
                    description: Some("除尘器未设置泄爆装置".into()),
                    before_photos: vec![self.photo(1, PhotoRole::Before)],
                    co_inspectors: vec!["insp-li".into()],
                    ..NewHazard::default()
                },
                t(now),
            )
            .unwrap()
    }

    fn evidence(&self, n: u32) -> Action {
        Action::SubmitEvidence {
            after_photos: vec![self.photo(n, PhotoRole::After)],
            description: "已加装泄爆片".into(),
            rectified_on: None,
        }
    }

    /// Everything stored, to prove a refused action changed nothing.
    fn fingerprint(&self) -> Vec<(String, i64)> {
        self.store
            .read(|c| {
                let mut out = vec![];
                for table in [
                    "documents",
                    "document_changes",
                    "hazards",
                    "inspections",
                    "inspection_answers",
                    "photos",
                    "enterprises",
                    "templates",
                ] {
                    let n: i64 = c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
                    out.push((table.to_string(), n));
                }
                let bytes: i64 =
                    c.query_row("SELECT COALESCE(SUM(LENGTH(snapshot) + changes), 0) FROM documents", [], |r| {
                        r.get(0)
                    })?;
                out.push(("document bytes".into(), bytes));
                Ok(out)
            })
            .unwrap()
    }
}

#[test]
fn full_loop_report_evidence_reject_evidence_close_survives_reopen() {
    let f = fixture();
    let h = f.report(Level::General, "2026-11-02T10:00+08:00");
    assert_eq!(h.deadline.to_string(), "2026-12-02");
    f.store.act("ent-a", &h.id, f.evidence(2), t("2026-11-10")).unwrap();
    let q = f.store.review_queue("sup-chen", t("2026-11-10")).unwrap();
    assert_eq!(q.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec![h.id.as_str()]);
    assert!(f.store.review_queue("sup-zhao", t("2026-11-10")).unwrap().is_empty());
    f.store
        .act(
            "sup-chen",
            &h.id,
            Action::Review { approve: false, opinion: "泄爆口朝向人员通道".into() },
            t("2026-11-11"),
        )
        .unwrap();
    f.store.act("ent-a", &h.id, f.evidence(3), t("2026-11-15")).unwrap();
    let closed = f
        .store
        .act("sup-chen", &h.id, Action::Review { approve: true, opinion: "整改到位".into() }, t("2026-11-16"))
        .unwrap();
    assert_eq!(closed.status, Status::Closed);

    let dir = f.store.dir().to_path_buf();
    drop(f.store);
    let store = Store::open(&dir).unwrap();
    let history = store.history("sup-chen", &h.id).unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["report", "submit_evidence", "review", "submit_evidence", "review"]);
    assert!(history.iter().all(|e| e.device_id == "tablet-1"));
    let row = &store.list_hazards("sup-chen", &HazardFilter::default(), t("2026-11-16")).unwrap()[0];
    assert_eq!(row.status, Status::Closed);
    assert_eq!(row.closure_kind.as_deref(), Some("reviewed"));
}

#[test]
fn major_two_level_closure_and_verification_queue() {
    let f = fixture();
    let h = f.report(Level::Major, "2026-11-02T10:00+08:00");
    let plan = GovernancePlan {
        objectives: "消除隐患".into(),
        methods: "改造".into(),
        funds_and_materials: "20万".into(),
        responsible: "设备部".into(),
        time_limits: "30日".into(),
        safety_and_emergency: "停用并制定预案".into(),
        ..GovernancePlan::default()
    };
    f.store.act("ent-a", &h.id, Action::SubmitPlan { plan }, t("2026-11-03")).unwrap();
    f.store.act("ent-a", &h.id, f.evidence(2), t("2026-11-20")).unwrap();
    let h2 = f
        .store
        .act("sup-chen", &h.id, Action::Review { approve: true, opinion: "同意".into() }, t("2026-11-21"))
        .unwrap();
    assert_eq!(h2.status, Status::PendingVerification);
    assert_eq!(f.store.review_queue("admin-xu", t("2026-11-21")).unwrap().len(), 1);
    let h3 = f
        .store
        .act("admin-xu", &h.id, Action::Verify { approve: true, opinion: "核销".into() }, t("2026-11-22"))
        .unwrap();
    assert_eq!(h3.status, Status::Closed);
    let stats = f.store.statistics("admin-xu", GroupBy::Total, Period::default(), t("2026-11-22")).unwrap();
    assert_eq!(stats[0].major_rectification_rate, Some(1.0));
}

#[test]
fn overdue_due_soon_enterprise_lists_and_scope() {
    let f = fixture();
    let h1 = f.report(Level::General, "2026-11-02T10:00+08:00"); // deadline 12-02
    let h2 = f.report(Level::General, "2026-11-20T10:00+08:00"); // deadline 12-20
    let now = t("2026-12-03T08:00+08:00");
    let overdue = f.store.overdue("sup-chen", now).unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].id, h1.id);
    assert_eq!(overdue[0].overdue_days, 1);
    assert_eq!(overdue[0].escalation.as_str(), "township");
    let soon = f.store.due_soon("sup-chen", t("2026-12-14T08:00+08:00"), 7).unwrap();
    assert_eq!(soon.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), vec![h2.id.clone()]);
    // R2: the enterprise sees its own, another enterprise and another township see nothing.
    let filter = HazardFilter { enterprise: Some(f.a.clone()), ..HazardFilter::default() };
    assert_eq!(f.store.list_hazards("ent-a", &filter, now).unwrap().len(), 2);
    assert!(f.store.list_hazards("ent-b", &HazardFilter::default(), now).unwrap().is_empty());
    assert!(f.store.overdue("sup-zhao", now).unwrap().is_empty());
    let err = f.store.hazard("ent-b", &h1.id).unwrap_err();
    assert!(matches!(err, Error::Rule(RuleError { rule: "R2", .. })), "{err}");
    assert!(f.store.review_queue("insp-wang", now).is_err());
}

#[test]
fn inspection_items_answers_and_composite_criteria() {
    let f = fixture();
    let e3 = demo::credit_code(3);
    let insp = f
        .store
        .start_inspection(
            "insp-wang",
            new_inspection("fire-safety", None, &e3, &["insp-li"], Source::Routine, true),
            t("2026-11-02T09:00+08:00"),
        )
        .unwrap();
    let id = insp.header.id.clone();
    assert_eq!(insp.header.template_version, 1);
    for code in ["FS-01", "FS-02"] {
        f.store
            .answer("insp-wang", &id, NewAnswer::new(code, AnswerValue::DoesNotConform), t("2026-11-02T09:30+08:00"))
            .unwrap();
    }
    f.store
        .answer("insp-li", &id, NewAnswer::new("FS-05", AnswerValue::Conforms), t("2026-11-02T09:31+08:00"))
        .unwrap();
    // Reported during the inspection from a composite item: general for now.
    let h = f
        .store
        .report_hazard(
            "insp-wang",
            NewHazard {
                enterprise: e3.clone(),
                inspection_id: Some(id.clone()),
                item_code: Some("FS-01".into()),
                before_photos: vec![f.photo(7, PhotoRole::Before)],
                co_inspectors: vec!["insp-li".into()],
                ..NewHazard::default()
            },
            t("2026-11-02T09:40+08:00"),
        )
        .unwrap();
    assert_eq!(h.level, Level::General);
    assert!(h.description.contains("消防设施"));
    assert!(h.legal_basis.contains("消防法"));
    f.store
        .answer("insp-wang", &id, NewAnswer::new("FS-04", AnswerValue::DoesNotConform), t("2026-11-02T09:50+08:00"))
        .unwrap();
    // R4: completing with items unanswered is refused, naming them, and changes nothing.
    let before = f.fingerprint();
    let err = f.store.complete_inspection("insp-wang", &id, vec![], t("2026-11-02T09:55+08:00")).unwrap_err();
    assert!(matches!(&err, Error::Rule(RuleError { rule: "R4", .. })), "{err}");
    assert!(err.to_string().contains("unanswered: FS-03, FS-06, FS-07, FS-08;"), "{err}");
    assert_eq!(before, f.fingerprint());
    // Not applicable is an answer.
    for code in ["FS-03", "FS-06", "FS-07", "FS-08"] {
        f.store
            .answer("insp-li", &id, NewAnswer::new(code, AnswerValue::NotApplicable), t("2026-11-02T09:56+08:00"))
            .unwrap();
    }
    let report = f.store.complete_inspection("insp-wang", &id, vec![], t("2026-11-02T10:00+08:00")).unwrap();
    assert_eq!(report.findings.len(), 3);
    assert!(report.findings.iter().all(|x| x.major));
    assert_eq!(report.raised_to_major, vec![h.id.clone()]);
    assert_eq!(report.unreported.len(), 2);
    assert_eq!(f.store.hazard("sup-chen", &h.id).unwrap().level, Level::Major);
    let items = f.store.inspection_items("sup-chen", &id).unwrap();
    assert_eq!(items.len(), 8);
    // Listed from projection rows, within scope (R2).
    let rows = f.store.inspection_rows("sup-chen", None).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].id.as_str(), rows[0].ended_at.is_some()), (id.as_str(), true));
    assert_eq!(rows[0].inspectors, vec!["insp-wang".to_string(), "insp-li".to_string()]);
    assert!(f.store.inspection_rows("ent-b", None).unwrap().is_empty());
    let fs01 = items.iter().find(|i| i.code == "FS-01").unwrap();
    assert!(fs01.finding);
    assert_eq!(fs01.hazards, vec![h.id.clone()]);
    // Completed: answers are frozen; an on-the-spot fix is no longer possible (R6).
    let before = f.fingerprint();
    assert!(f
        .store
        .answer("insp-wang", &id, NewAnswer::new("FS-05", AnswerValue::Conforms), t("2026-11-02T11:00+08:00"))
        .is_err());
    assert_eq!(before, f.fingerprint());
}

#[test]
fn direct_criterion_makes_a_reported_item_major() {
    let f = fixture();
    let insp = f
        .store
        .start_inspection(
            "insp-wang",
            new_inspection("dust-explosion", Some(1), &f.a, &[], Source::SpecialCampaign, false),
            t("2026-11-02T09:00+08:00"),
        )
        .unwrap();
    let h = f
        .store
        .report_hazard(
            "insp-wang",
            NewHazard {
                enterprise: f.a.clone(),
                inspection_id: Some(insp.header.id.clone()),
                item_code: Some("DE-03".into()),
                level: Some(Level::General),
                before_photos: vec![f.photo(1, PhotoRole::Before)],
                co_inspectors: vec!["insp-li".into()],
                ..NewHazard::default()
            },
            t("2026-11-02T09:10+08:00"),
        )
        .unwrap();
    assert_eq!(h.level, Level::Major);
    assert!(h.criteria[0].contains("第十一条第（三）项"), "{:?}", h.criteria);
}

#[test]
fn on_site_fix_during_inspection() {
    let f = fixture();
    let insp = f
        .store
        .start_inspection(
            "insp-wang",
            new_inspection("small-manufacturing", None, &demo::credit_code(3), &[], Source::Routine, false),
            t("2026-11-02T09:00+08:00"),
        )
        .unwrap();
    let h = f
        .store
        .report_hazard(
            "insp-wang",
            NewHazard {
                enterprise: demo::credit_code(3),
                inspection_id: Some(insp.header.id.clone()),
                item_code: Some("SM-06".into()),
                handling: Some(Handling::OnSite),
                before_photos: vec![f.photo(1, PhotoRole::Before)],
                ..NewHazard::default()
            },
            t("2026-11-02T09:10+08:00"),
        )
        .unwrap();
    let fix = Action::FixOnSite {
        after_photos: vec![f.photo(2, PhotoRole::After)],
        description: "当场加装防护罩".into(),
    };
    let closed = f.store.act("insp-wang", &h.id, fix, t("2026-11-02T09:20+08:00")).unwrap();
    assert_eq!(closed.status, Status::Closed);
    let stats = f.store.statistics("sup-chen", GroupBy::Township, Period::default(), t("2026-11-03")).unwrap();
    assert_eq!(stats[0].on_time_rate, Some(1.0));
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let f = fixture();
    let h = f.report(Level::General, "2026-11-02T10:00+08:00");
    let before = f.fingerprint();

    // Invalid credit code: the whole import is refused.
    let mut es = demo::enterprises();
    es[1].credit_code = "91320583MA1XXXXX01".into();
    let err = f.store.import_enterprises("admin-xu", es).unwrap_err();
    assert!(err.to_string().contains("enterprise #2"), "{err}");
    // Unknown template version.
    let err = f
        .store
        .start_inspection(
            "insp-wang",
            new_inspection("fire-safety", Some(9), &f.a, &[], Source::Routine, false),
            t("2026-11-03"),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "template 'fire-safety v9' not found");
    // Photo missing from the store.
    let mut ghost = f.photo(5, PhotoRole::After);
    ghost.sha256 = "0".repeat(64);
    let err = f
        .store
        .act(
            "ent-a",
            &h.id,
            Action::SubmitEvidence { after_photos: vec![ghost], description: "x".into(), rectified_on: None },
            t("2026-11-03"),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Photo { .. }), "{err}");
    // A photo file that does not exist, or is not a JPEG.
    assert!(f.store.import_photo(Path::new("/nonexistent.jpg"), PhotoRole::After, None, None).is_err());
    let txt = f.dir.path().join("x.jpg");
    std::fs::write(&txt, "hello").unwrap();
    assert!(f.store.import_photo(&txt, PhotoRole::After, None, None).unwrap_err().to_string().contains("not a JPEG"));
    // Roles and scopes the rules forbid.
    let err = f.store.act("insp-wang", &h.id, Action::Void { reason: "x".into() }, t("2026-11-03")).unwrap_err();
    assert!(err.to_string().starts_with("R12:"), "{err}");
    let err = f.store.act("sup-zhao", &h.id, Action::Void { reason: "x".into() }, t("2026-11-03")).unwrap_err();
    assert!(err.to_string().starts_with("R2:"), "{err}");
    assert!(matches!(
        f.store.act("nobody", &h.id, Action::Void { reason: "x".into() }, t("2026-11-03")),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        f.store.act("sup-chen", "no-such-id", Action::Void { reason: "x".into() }, t("2026-11-03")),
        Err(Error::NotFound { .. })
    ));
    // R3: a published template version never changes.
    let mut tpl = f.store.template("fire-safety", Some(1)).unwrap();
    tpl.title.push_str("（改）");
    assert!(f.store.import_template("admin-xu", &tpl).unwrap_err().to_string().starts_with("R3:"));

    assert_eq!(before, f.fingerprint());
    // Answer for an item that does not exist.
    let insp = f
        .store
        .start_inspection(
            "insp-wang",
            new_inspection("fire-safety", None, &f.a, &[], Source::Routine, false),
            t("2026-11-03"),
        )
        .unwrap();
    let before = f.fingerprint();
    let err = f
        .store
        .answer("insp-wang", &insp.header.id, NewAnswer::new("XX-99", AnswerValue::Conforms), t("2026-11-03"))
        .unwrap_err();
    assert!(err.to_string().contains("item XX-99 does not exist in template fire-safety v1"), "{err}");
    let err = f
        .store
        .answer(
            "insp-wang",
            &insp.header.id,
            NewAnswer::new("FS-01", AnswerValue::Number { value: 3.0 }),
            t("2026-11-03"),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }));
    assert_eq!(before, f.fingerprint());
}

#[test]
fn enforcement_inspection_needs_two_certified_inspectors() {
    let f = fixture();
    let err = f
        .store
        .start_inspection(
            "insp-wang",
            new_inspection("fire-safety", None, &f.a, &[], Source::Complaint, true),
            t("2026-11-03"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("two inspectors"), "{err}");
}

#[test]
fn photos_missing_or_altered_are_reported() {
    let f = fixture();
    let h = f.report(Level::General, "2026-11-02T10:00+08:00");
    f.store.act("ent-a", &h.id, f.evidence(2), t("2026-11-03")).unwrap();
    assert!(f.store.verify_photos().unwrap().is_empty());
    let before = &h.before_photos[0].sha256;
    std::fs::write(f.store.photo_path(before), b"\xFF\xD8\xFFtampered").unwrap();
    let after = f.store.hazard("ent-a", &h.id).unwrap().evidence[0].after_photos[0].sha256.clone();
    std::fs::remove_file(f.store.photo_path(&after)).unwrap();
    let mut problems: Vec<(String, String)> =
        f.store.verify_photos().unwrap().into_iter().map(|p| (p.sha256, p.problem)).collect();
    problems.sort();
    let mut expected = vec![(before.clone(), "altered".to_string()), (after, "missing".to_string())];
    expected.sort();
    assert_eq!(problems, expected);
}

#[test]
fn corrupt_database_is_moved_aside_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("s");
    std::fs::create_dir_all(&store_dir).unwrap();
    let garbage = b"this is not sqlite at all, but it may be the only copy of a day's work".repeat(100);
    std::fs::write(store_dir.join(DB_FILE), &garbage).unwrap();
    let err = Store::open(&store_dir).err().unwrap();
    let Error::Corrupt { moved_to, .. } = &err else { panic!("{err}") };
    assert!(err.to_string().contains("kept for recovery"));
    assert_eq!(std::fs::read(moved_to).unwrap(), garbage);
    assert!(!store_dir.join(DB_FILE).exists());
    assert!(matches!(Store::open(&store_dir), Err(Error::NoStore(_))));
}

#[test]
fn an_empty_file_or_a_foreign_database_is_kept_aside_and_never_written_into() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("s");
    std::fs::create_dir_all(&store_dir).unwrap();
    // A zero-byte file: SQLite would take it for a new database.
    std::fs::write(store_dir.join(DB_FILE), b"").unwrap();
    let err = Store::open(&store_dir).err().unwrap();
    let Error::Corrupt { moved_to, .. } = &err else { panic!("{err}") };
    assert!(err.to_string().contains("empty"), "{err}");
    assert!(!err.to_string().contains('\n'), "one line: {err}");
    assert_eq!(std::fs::read(moved_to).unwrap(), b"");
    // The device can be set up again.
    let store = Store::create(&store_dir, "tab-again").unwrap();
    assert_eq!(store.device().device_id, "tab-again");
    drop(store);

    // Another program's SQLite database in its place: kept as it is.
    let other = dir.path().join("o");
    std::fs::create_dir_all(&other).unwrap();
    {
        let c = rusqlite::Connection::open(other.join(DB_FILE)).unwrap();
        c.execute_batch("CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES ('不是巡检数据');").unwrap();
    }
    let before = std::fs::read(other.join(DB_FILE)).unwrap();
    let err = Store::open(&other).err().unwrap();
    let Error::Corrupt { moved_to, .. } = &err else { panic!("{err}") };
    assert!(err.to_string().contains("without a paicha store's schema"), "{err}");
    assert_eq!(std::fs::read(moved_to).unwrap(), before);
    assert!(matches!(Store::open(&other), Err(Error::NoStore(_))));
}

#[test]
fn newer_store_is_refused() {
    let f = fixture();
    let dir = f.store.dir().to_path_buf();
    f.store.write(|tx| Ok(tx.pragma_update(None, "user_version", 42)?)).unwrap();
    drop(f.store);
    assert!(matches!(Store::open(&dir), Err(Error::SchemaTooNew { found: 42, .. })));
    assert!(matches!(Store::create(&dir, "x"), Err(Error::StoreExists(_))));
}

#[test]
fn many_changes_are_compacted_and_still_fold_the_same() {
    let f = fixture();
    let h = f.report(Level::General, "2026-11-02T10:00+08:00");
    for i in 0..40 {
        let edit = paicha_core::hazard::Edit { location: Some(format!("车间{i}")), ..Default::default() };
        f.store.act("insp-wang", &h.id, Action::Edit(edit), t("2026-11-03")).unwrap();
    }
    let (changes, pending): (i64, i64) = f
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT changes, (SELECT COUNT(*) FROM document_changes WHERE doc_id = ?1) FROM documents WHERE id = ?1",
                [&h.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert!(changes < docs::COMPACT_AFTER && changes == pending, "{changes} {pending}");
    let got = f.store.hazard("insp-wang", &h.id).unwrap();
    assert_eq!(got.location, "车间39");
    assert_eq!(got.history.len(), 41);
}

#[test]
fn store_is_usable_from_several_threads() {
    let f = fixture();
    let ids: Vec<String> = (0..4).map(|_| f.report(Level::General, "2026-11-02T10:00+08:00").id).collect();
    let ev = f.evidence(2);
    std::thread::scope(|s| {
        for id in &ids {
            let store = &f.store;
            let ev = ev.clone();
            s.spawn(move || store.act("ent-a", id, ev, t("2026-11-05")).unwrap());
            s.spawn(move || store.list_hazards("sup-chen", &HazardFilter::default(), t("2026-11-05")).unwrap());
        }
    });
    assert_eq!(f.store.review_queue("sup-chen", t("2026-11-06")).unwrap().len(), 4);
}

#[test]
fn lists_use_server_time_once_known_r10() {
    let f = fixture();
    // A hidden danger whose deadline is today (CST) on the device clock.
    let today = Timestamp::now();
    let h = f
        .store
        .report_hazard(
            "insp-wang",
            NewHazard {
                enterprise: f.a.clone(),
                description: Some("x".into()),
                co_inspectors: vec!["insp-li".into()],
                deadline: Some(today.cst_date()),
                ..NewHazard::default()
            },
            today,
        )
        .unwrap();
    assert_eq!(h.overdue_days(f.store.server_now().unwrap()), 0);
    // The server's clock, seen at a sync, is two days ahead of this device.
    let resp = paicha_core::sync::wire::SyncResponse {
        accepted: vec![],
        refused: vec![],
        changes: vec![],
        cursor: 0,
        more: false,
        server_time: Timestamp::now().0 + 2 * 86_400_000,
        reference: None,
    };
    f.store.apply_sync_response(&[], &resp, Timestamp::now()).unwrap();
    let server_now = f.store.server_now().unwrap();
    assert!(server_now.0 - Timestamp::now().0 > 86_400_000 * 2 - 60_000);
    assert_eq!(f.store.overdue("sup-chen", server_now).unwrap().len(), 1);
}

#[test]
fn only_a_district_admin_manages_reference_data() {
    let f = fixture();
    let before = f.fingerprint();
    let mut boss = demo::person_by_id("admin-xu").unwrap();
    boss.id = "boss".into();
    let tpl = f.store.template("fire-safety", Some(1)).unwrap();
    let mut renamed = demo::enterprises();
    renamed[0].name = "改名公司".into();
    for who in ["ent-a", "insp-wang", "sup-chen"] {
        let e = f.store.put_person(who, &boss).unwrap_err();
        assert!(e.to_string().starts_with("R2:") && e.to_string().contains("district admin"), "{e}");
        assert!(f.store.import_enterprises(who, renamed.clone()).unwrap_err().to_string().starts_with("R2:"));
        assert!(f.store.set_policy(who, &Policy::default()).unwrap_err().to_string().starts_with("R2:"));
        let mut t2 = tpl.clone();
        t2.version = 2;
        assert!(f.store.import_template(who, &t2).unwrap_err().to_string().starts_with("R2:"));
    }
    assert_eq!(before, f.fingerprint());
    assert_eq!(f.store.enterprise("admin-xu", &f.a).unwrap().name, demo::enterprises()[0].name);
    f.store.put_person("admin-xu", &boss).unwrap();
    // An empty registry starts with a district admin adding themself.
    let dir = tempfile::tempdir().unwrap();
    let fresh = Store::create(&dir.path().join("s"), "t").unwrap();
    let wang = demo::person_by_id("insp-wang").unwrap();
    assert!(fresh.put_person("insp-wang", &wang).unwrap_err().to_string().starts_with("R2:"));
    fresh.put_person("admin-xu", &demo::person_by_id("admin-xu").unwrap()).unwrap();
    fresh.put_person("admin-xu", &wang).unwrap();
}

#[test]
fn the_enterprise_register_is_scoped_too() {
    let f = fixture();
    let codes = |who: &str| -> Vec<String> {
        f.store.enterprises(who, None).unwrap().into_iter().map(|e| e.credit_code).collect()
    };
    assert_eq!(codes("ent-a"), vec![f.a.clone()]);
    assert_eq!(codes("admin-xu").len(), 4);
    assert!(codes("insp-wang").iter().all(|c| *c != demo::credit_code(4)), "周市镇 is not wang's");
    let other = demo::credit_code(2);
    assert!(f.store.enterprise("ent-a", &other).unwrap_err().to_string().starts_with("R2:"));
    assert!(f.store.enterprise("insp-zhou", &f.a).unwrap_err().to_string().starts_with("R2:"));
}

fn photo_files(store: &Store) -> Vec<String> {
    let mut out = vec![];
    if let Ok(prefixes) = std::fs::read_dir(store.dir().join("photos")) {
        for p in prefixes.flatten() {
            for f in std::fs::read_dir(p.path()).unwrap().flatten() {
                out.push(f.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_refused_action_leaves_no_photo_behind() {
    let f = fixture();
    let h = f.report(Level::General, "2026-11-02T10:00+08:00");
    let kept = photo_files(&f.store);
    // A refused report (no second inspector): its before photo goes.
    let refused = f.store.report_hazard(
        "insp-wang",
        NewHazard {
            enterprise: f.a.clone(),
            description: Some("x".into()),
            before_photos: vec![f.photo(7, PhotoRole::Before)],
            ..NewHazard::default()
        },
        t("2026-11-03"),
    );
    assert_eq!(refused.unwrap_err().to_string().split(':').next(), Some("§1"));
    assert_eq!(photo_files(&f.store), kept);
    // Refused evidence (a supervisor cannot submit it): its after photo goes.
    let err = f.store.act("sup-chen", &h.id, f.evidence(8), t("2026-11-03")).unwrap_err();
    assert!(err.to_string().starts_with("R7"), "{err}");
    assert_eq!(photo_files(&f.store), kept);
    // A refused action that reuses a photo a record holds leaves that photo alone.
    let mut reused = f.evidence(9);
    if let Action::SubmitEvidence { after_photos, .. } = &mut reused {
        after_photos.push(f.store.hazard("insp-wang", &h.id).unwrap().before_photos[0].clone());
    }
    f.store.act("sup-chen", &h.id, reused, t("2026-11-03")).unwrap_err();
    assert_eq!(photo_files(&f.store), kept);
    assert!(f.store.verify_photos().unwrap().is_empty());
}

#[test]
fn an_ordered_hidden_danger_is_closed_by_review_not_on_the_spot() {
    let f = fixture();
    let insp = f
        .store
        .start_inspection(
            "insp-wang",
            new_inspection("small-manufacturing", None, &f.a, &["insp-li"], Source::Routine, true),
            t("2026-11-02T09:00+08:00"),
        )
        .unwrap();
    let report = |handling: Handling, n: u32| {
        f.store
            .report_hazard(
                "insp-wang",
                NewHazard {
                    enterprise: f.a.clone(),
                    inspection_id: Some(insp.header.id.clone()),
                    item_code: Some("SM-01".into()),
                    handling: Some(handling),
                    before_photos: vec![f.photo(n, PhotoRole::Before)],
                    co_inspectors: vec!["insp-li".into()],
                    ..NewHazard::default()
                },
                t("2026-11-02T10:00+08:00"),
            )
            .unwrap()
    };
    let ordered = report(Handling::Deadline, 1);
    let on_site = report(Handling::OnSite, 2);
    let fix = |n: u32| Action::FixOnSite {
        after_photos: vec![f.photo(n, PhotoRole::After)],
        description: "已整改".into(),
    };
    let err = f.store.act("insp-wang", &ordered.id, fix(5), t("2026-11-02T11:00+08:00")).unwrap_err();
    assert!(err.to_string().starts_with("R8") && err.to_string().contains("closed by review"), "{err}");
    assert_eq!(f.store.hazard("insp-wang", &ordered.id).unwrap().status, Status::Rectifying);
    let fixed = f.store.act("insp-wang", &on_site.id, fix(6), t("2026-11-02T11:00+08:00")).unwrap();
    assert_eq!(fixed.status, Status::Closed);
}

#[test]
fn a_late_district_verification_is_on_the_overdue_list() {
    let f = fixture();
    let h = f.report(Level::Major, "2026-11-02T10:00+08:00");
    let plan = GovernancePlan {
        objectives: "a".into(),
        methods: "b".into(),
        funds_and_materials: "c".into(),
        responsible: "d".into(),
        time_limits: "e".into(),
        safety_and_emergency: "f".into(),
        ..GovernancePlan::default()
    };
    f.store.act("ent-a", &h.id, Action::SubmitPlan { plan }, t("2026-11-03")).unwrap();
    f.store.act("ent-a", &h.id, f.evidence(2), t("2026-11-04")).unwrap();
    f.store.act("sup-chen", &h.id, Action::Review { approve: true, opinion: "同意".into() }, t("2026-11-05")).unwrap();
    f.store.act("ent-a", &h.id, Action::RequestResumption { note: "申请复产".into() }, t("2026-11-06")).unwrap();
    // The deadline (30 days) has not passed; the verification is due on 11-16.
    assert!(f.store.overdue("admin-xu", t("2026-11-16T20:00+08:00")).unwrap().is_empty());
    let rows = f.store.overdue("admin-xu", t("2026-11-18T09:00+08:00")).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].escalation, paicha_core::hazard::Escalation::VerificationLate { days_late: 2 });
    assert_eq!(rows[0].overdue_days, 0);
}

#[test]
fn checklist_versions_shipped_later_reach_an_existing_store_and_old_ones_stay() {
    let f = fixture();
    let path = f.store.dir().to_path_buf();
    // A store made before version 2 of the dust checklist existed.
    f.store
        .write(|tx| {
            tx.execute("DELETE FROM templates WHERE id = 'dust-explosion' AND version = 2", [])?;
            Ok(())
        })
        .unwrap();
    let versions = |s: &Store| -> Vec<u32> {
        s.templates().unwrap().into_iter().filter(|t| t.id == "dust-explosion").map(|t| t.version).collect()
    };
    assert_eq!(versions(&f.store), vec![1]);
    drop(f.store);
    let reopened = Store::open(&path).unwrap();
    let mut v = versions(&reopened);
    v.sort();
    assert_eq!(v, vec![1, 2]);
}
