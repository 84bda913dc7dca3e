//! The crafted-change matrix: a modified tablet writes raw Automerge changes
//! itself and uploads them to the real server with a real device token.
//!
//! For every person × hidden-danger state × action, the server's verdict must
//! equal the rule function's verdict for that person (`workflow::decide`,
//! with the registry's role and scope), and a refusal must leave the server's
//! stored record byte-for-byte unchanged with exactly one new quarantine
//! entry. Then every key kind deleted and replaced, values of the wrong type,
//! forged co-inspectors and criteria, and every start/answer/complete variant
//! of an inspection. The test prints how many cases ran and how many agreed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::{transaction::Transactable, ActorId, AutoCommit, ObjType, ReadDoc, ScalarValue, ROOT};
use chrono::Duration;
use paicha_core::demo;
use paicha_core::doc::RecordDoc;
use paicha_core::hazard::{fold, next_event, Action, Edit, Event, GovernancePlan, Level, ListingLevel};
use paicha_core::inspection::{
    check_answer_by, check_completion, check_start, Answer, AnswerValue, Completion, Inspection, InspectionHeader,
    Source,
};
use paicha_core::people::{Actor, Person};
use paicha_core::photo::{PhotoRef, PhotoRole};
use paicha_core::policy::Policy;
use paicha_core::sync::validate::{MemoryView, ServerView};
use paicha_core::sync::wire::SyncResponse;
use paicha_core::template::Template;
use paicha_core::time::Timestamp;
use paicha_core::workflow::{decide, Context};
use paicha_scenarios::{RawDevice, Server, Tablet};
use paicha_store::NewHazard;
use rusqlite::OptionalExtension;

type Hostile = RawDevice;

fn enroll_raw(server: &Server, device: &str, user: &str, n: u8) -> Hostile {
    RawDevice::enroll(server, device, user, n)
}

/// The server's database, read directly: stored snapshots and the quarantine.
struct ServerDb(std::path::PathBuf);

impl ServerDb {
    fn conn(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(&self.0, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
    }
    fn snapshot(&self, id: &str) -> Option<Vec<u8>> {
        self.conn().query_row("SELECT snapshot FROM documents WHERE id = ?1", [id], |r| r.get(0)).optional().unwrap()
    }
    fn quarantined(&self) -> i64 {
        self.conn().query_row("SELECT COUNT(*) FROM quarantine", [], |r| r.get(0)).unwrap()
    }
}

fn upload(server: &Server, who: &Hostile, id: &str, kind: &str, changes: Vec<u8>) -> SyncResponse {
    who.upload(server, id, kind, changes, Some(Timestamp::now().0))
}

/// Counts cases and disagreements; a disagreement is printed and fails the test at the end.
#[derive(Default)]
struct Tally {
    ran: usize,
    agreed: usize,
    failures: Vec<String>,
}

impl Tally {
    /// Uploads `changes` for record `id` and compares the verdict with `expected_ok`.
    #[allow(clippy::too_many_arguments)]
    fn case(
        &mut self,
        server: &Server,
        db: &ServerDb,
        who: &Hostile,
        id: &str,
        kind: &str,
        changes: Vec<u8>,
        expected_ok: bool,
        label: &str,
    ) {
        self.ran += 1;
        let before = db.snapshot(id);
        let q_before = db.quarantined();
        let resp = upload(server, who, id, kind, changes);
        let accepted = resp.accepted.iter().any(|a| a.doc_id == id);
        let mut problem = None;
        if accepted != expected_ok {
            let why = resp.refused.first().map(|r| format!("{}: {}", r.rule, r.message)).unwrap_or_default();
            problem = Some(format!("server {} (expected {}) {why}", verdict(accepted), verdict(expected_ok)));
        } else if !accepted {
            if db.snapshot(id) != before {
                problem = Some("refused, but the stored record changed".into());
            } else if db.quarantined() != q_before + 1 {
                problem = Some(format!("refused with {} new quarantine entries", db.quarantined() - q_before));
            }
        }
        match problem {
            None => self.agreed += 1,
            Some(p) => self.failures.push(format!("{label} by {}: {p}", who.person.id)),
        }
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "accepted"
    } else {
        "refused"
    }
}

fn photo(role: PhotoRole, n: u32) -> PhotoRef {
    PhotoRef { sha256: format!("{n:064x}"), bytes: 10, role, captured_at: None, gps: None, device_id: String::new() }
}

/// The record as the server stores it, with its events.
fn server_doc(db: &ServerDb, id: &str, actor: &[u8]) -> (RecordDoc, Vec<Event>) {
    let snap = db.snapshot(id).expect("record on the server");
    let doc = RecordDoc::load(id, &snap, &[], actor).unwrap();
    let events = doc.events().unwrap();
    (doc, events)
}

/// Every action a person could try, with plausible values.
fn actions(deadline: chrono::NaiveDate, any_event: &str) -> Vec<(&'static str, Action)> {
    let plan = GovernancePlan {
        objectives: "消除隐患".into(),
        methods: "改造".into(),
        funds_and_materials: "20万".into(),
        responsible: "设备部".into(),
        time_limits: "30日".into(),
        safety_and_emergency: "预案".into(),
        ..GovernancePlan::default()
    };
    vec![
        (
            "fix_on_site",
            Action::FixOnSite { after_photos: vec![photo(PhotoRole::After, 1)], description: "已整改".into() },
        ),
        (
            "submit_evidence",
            Action::SubmitEvidence {
                after_photos: vec![photo(PhotoRole::After, 2)],
                description: "已整改".into(),
                rectified_on: None,
            },
        ),
        ("review_approve", Action::Review { approve: true, opinion: "整改到位".into() }),
        ("review_reject", Action::Review { approve: false, opinion: "不到位".into() }),
        ("verify_approve", Action::Verify { approve: true, opinion: "核销".into() }),
        ("verify_refuse", Action::Verify { approve: false, opinion: "退回".into() }),
        (
            "request_extension",
            Action::RequestExtension {
                reason: "设备采购".into(), proposed_deadline: deadline + Duration::days(10)
            },
        ),
        ("grant_extension", Action::DecideExtension { grant: true, new_deadline: None, reason: String::new() }),
        ("refuse_extension", Action::DecideExtension { grant: false, new_deadline: None, reason: "理由不足".into() }),
        ("void", Action::Void { reason: "录入错误".into() }),
        ("raise_level", Action::ChangeLevel { level: Level::Major, reason: "重大".into() }),
        ("lower_level", Action::ChangeLevel { level: Level::General, reason: "一般".into() }),
        ("forged_criteria_met", Action::CriteriaMet { reasons: vec!["direct: 自称符合重大隐患判定标准".into()] }),
        ("submit_plan", Action::SubmitPlan { plan }),
        ("list", Action::List { level: ListingLevel::County, reason: "挂牌".into() }),
        (
            "suspend",
            Action::Suspend {
                from: deadline - Duration::days(20),
                until: deadline + Duration::days(30),
                reason: "停产整改".into(),
            },
        ),
        ("request_resumption", Action::RequestResumption { note: "申请复产".into() }),
        ("escalate", Action::Escalate { note: "督办".into() }),
        ("edit", Action::Edit(Edit { description: Some("改写描述".into()), ..Edit::default() })),
        ("resolve_conflict", Action::ResolveConflict { events: vec![any_event.to_string()], note: "裁定".into() }),
    ]
}

fn report_on(tab: &Tablet, co: &str) -> String {
    let photo = tab.store.import_photo(&tab.jpeg("before"), PhotoRole::Before, None, None).unwrap();
    tab.store
        .report_hazard(
            &tab.user,
            NewHazard {
                enterprise: demo::credit_code(1),
                description: Some("配电箱未接地".into()),
                before_photos: vec![photo],
                co_inspectors: vec![co.into()],
                ..NewHazard::default()
            },
            Timestamp::now(),
        )
        .unwrap()
        .id
}

fn act(tab: &Tablet, id: &str, action: Action) {
    tab.store.act(&tab.user, id, action, Timestamp::now()).unwrap();
}

#[test]
fn every_crafted_change_gets_the_rule_functions_verdict() {
    let server = Server::start();
    let db = ServerDb(server.data.path().join("server.db"));
    let wang = Tablet::enroll(&server, "m-wang", "insp-wang");
    let ent = Tablet::enroll(&server, "m-ent", "ent-a");
    let chen = Tablet::enroll(&server, "m-chen", "sup-chen");
    let xu = Tablet::enroll(&server, "m-xu", "admin-xu");
    let people = ["insp-wang", "insp-zhou", "ent-a", "ent-b", "sup-chen", "sup-zhao", "admin-xu"];
    let hostile: Vec<Hostile> =
        people.iter().enumerate().map(|(i, p)| enroll_raw(&server, &format!("h-{p}"), p, i as u8)).collect();
    let evidence = |n: u32| Action::SubmitEvidence {
        after_photos: vec![ent
            .store
            .import_photo(&ent.jpeg(&format!("after{n}")), PhotoRole::After, None, None)
            .unwrap()],
        description: "已整改".into(),
        rectified_on: None,
    };
    let plan = GovernancePlan {
        objectives: "a".into(),
        methods: "b".into(),
        funds_and_materials: "c".into(),
        responsible: "d".into(),
        time_limits: "e".into(),
        safety_and_emergency: "f".into(),
        ..GovernancePlan::default()
    };
    // One hidden danger per (person, state), built by honest tablets.
    let sync_all = || {
        for t in [&wang, &ent, &chen, &xu, &wang, &ent, &chen, &xu] {
            t.sync();
        }
    };
    let states = [
        "rectifying",
        "pending_review",
        "rectifying_major",
        "pending_verification",
        "closed",
        "voided",
        "extension_asked",
    ];
    let mut cases: Vec<(usize, &str, String)> = vec![];
    for (hi, _) in hostile.iter().enumerate() {
        for state in states {
            let id = report_on(&wang, "insp-li");
            cases.push((hi, state, id));
        }
    }
    sync_all();
    for (_, state, id) in &cases {
        match *state {
            "rectifying_major" | "pending_verification" => {
                act(&chen, id, Action::ChangeLevel { level: Level::Major, reason: "重大".into() })
            }
            "voided" => act(&chen, id, Action::Void { reason: "录入错误".into() }),
            _ => {}
        }
    }
    sync_all();
    for (i, (_, state, id)) in cases.iter().enumerate() {
        match *state {
            "pending_review" | "closed" => act(&ent, id, evidence(i as u32)),
            "pending_verification" => {
                act(&ent, id, Action::SubmitPlan { plan: plan.clone() });
                act(&ent, id, evidence(i as u32));
            }
            "extension_asked" => {
                let d = ent.store.hazard("ent-a", id).unwrap().deadline;
                act(
                    &ent,
                    id,
                    Action::RequestExtension { reason: "采购".into(), proposed_deadline: d + Duration::days(5) },
                )
            }
            _ => {}
        }
    }
    sync_all();
    for (_, state, id) in &cases {
        if matches!(*state, "closed" | "pending_verification") {
            act(&chen, id, Action::Review { approve: true, opinion: "整改到位".into() });
        }
    }
    sync_all();

    let policy = Policy::default();
    let mut tally = Tally::default();
    for (hi, state, id) in &cases {
        let who = &hostile[*hi];
        let (_, events) = server_doc(&db, id, &who.actor);
        let h0 = fold(id, &events).unwrap();
        for (name, action) in actions(h0.deadline, &events[0].id) {
            let (mut doc, events) = server_doc(&db, id, &who.actor);
            let heads = doc.heads();
            let state_now = fold(id, &events).unwrap();
            let registry =
                Actor { person: Person { certificate_no: None, ..who.person.clone() }, device_id: who.device.clone() };
            let at = Timestamp::now();
            let ctx = Context { now: at, policy: &policy, inspection_open: None };
            let decided = decide(Some(&state_now), &registry, action.clone(), &ctx);
            // Criteria of a hidden danger with no checklist item are never verifiable (R4/R13).
            let expected_ok = decided.is_ok() && !matches!(action, Action::CriteriaMet { .. });
            let recorded = decided.unwrap_or(action);
            let ev = next_event(&events, format!("x{}", tally.ran), at, registry, recorded);
            doc.add_event(&ev).unwrap();
            let changes = doc.changes_after(&heads);
            tally.case(&server, &db, who, id, "hazard", changes, expected_ok, &format!("{name} on {state}"));
        }
    }
    let matrix = tally.ran;

    // Deleting or replacing any key of a hidden danger, and values of the wrong type.
    let wang_h = &hostile[0];
    let target = &cases.iter().find(|(hi, s, _)| *hi == 0 && *s == "pending_review").unwrap().2;
    let (_, events) = server_doc(&db, target, &wang_h.actor);
    let later_event = events.iter().find(|e| !matches!(e.action, Action::Report(_))).unwrap().id.clone();
    let report_key = format!("ev/{}", events.iter().find(|e| matches!(e.action, Action::Report(_))).unwrap().id);
    let later_key = format!("ev/{later_event}");
    type Edit = Box<dyn Fn(&mut AutoCommit)>;
    let raw_cases: Vec<(&str, Edit)> = vec![
        ("delete the report event", {
            let k = report_key.clone();
            Box::new(move |d: &mut AutoCommit| d.delete(ROOT, k.as_str()).unwrap())
        }),
        ("delete a later event (rejection, evidence)", {
            let k = later_key.clone();
            Box::new(move |d: &mut AutoCommit| d.delete(ROOT, k.as_str()).unwrap())
        }),
        ("replace an event", {
            let k = later_key.clone();
            Box::new(move |d: &mut AutoCommit| {
                let old: String = match d.get(ROOT, k.as_str()).unwrap() {
                    Some((automerge::Value::Scalar(s), _)) => s.as_str().unwrap_or("").to_string(),
                    _ => String::new(),
                };
                d.put(ROOT, k.as_str(), old.replace("已整改", "伪造")).unwrap()
            })
        }),
        ("delete type", Box::new(|d: &mut AutoCommit| d.delete(ROOT, "type").unwrap())),
        ("replace id", Box::new(|d: &mut AutoCommit| d.put(ROOT, "id", "other").unwrap())),
        ("replace type", Box::new(|d: &mut AutoCommit| d.put(ROOT, "type", "inspection").unwrap())),
        (
            "a text object as an event",
            Box::new(|d: &mut AutoCommit| {
                d.put_object(ROOT, "ev/textobj", ObjType::Text).unwrap();
            }),
        ),
        (
            "a map object as an event",
            Box::new(|d: &mut AutoCommit| {
                d.put_object(ROOT, "ev/mapobj", ObjType::Map).unwrap();
            }),
        ),
        ("an int as an event", Box::new(|d: &mut AutoCommit| d.put(ROOT, "ev/int", ScalarValue::Int(7)).unwrap())),
        ("a key hidden dangers do not have", Box::new(|d: &mut AutoCommit| d.put(ROOT, "header", "{}").unwrap())),
    ];
    for (label, edit) in &raw_cases {
        let snap = db.snapshot(target).unwrap();
        let mut d = AutoCommit::load(&snap).unwrap().with_actor(ActorId::from(wang_h.actor.clone()));
        let heads = d.get_heads();
        edit(&mut d);
        let changes = d.save_after(&heads);
        tally.case(&server, &db, wang_h, target, "hazard", changes, false, label);
    }

    // Forged people and criteria in a new report.
    type Forge = Box<dyn Fn(&mut paicha_core::hazard::ReportData)>;
    let forged_reports: Vec<(&str, usize, Forge)> = vec![
        (
            "a made-up co-inspector",
            0,
            Box::new(|r| {
                r.co_inspectors = vec![Person {
                    id: "insp-ghost".into(),
                    name: "幽灵".into(),
                    role: paicha_core::people::Role::Inspector,
                    townships: vec!["玉山镇".into()],
                    enterprise: None,
                    certificate_no: Some("999".into()),
                }]
            }),
        ),
        (
            "an enterprise lead claimed as co-inspector",
            0,
            Box::new(|r| {
                let mut p = demo::person_by_id("ent-a").unwrap();
                p.role = paicha_core::people::Role::Inspector;
                r.co_inspectors = vec![p]
            }),
        ),
        (
            "major with forged criteria",
            0,
            Box::new(|r| {
                r.level = Level::Major;
                r.criteria = vec!["direct: 伪造条款".into()];
            }),
        ),
        ("major without criteria", 0, Box::new(|r| r.level = Level::Major)),
        // An inspector of 周市镇 claims enterprise A (玉山镇) is in their township.
        (
            "the enterprise moved to the reporter's township",
            1,
            Box::new(|r| {
                r.enterprise.township = "周市镇".into();
                r.co_inspectors = vec![demo::person_by_id("insp-sun").unwrap()];
            }),
        ),
    ];
    let honest = {
        let id = report_on(&wang, "insp-li");
        let doc = RecordDoc::load(&id, &wang.store.document_bytes(&id).unwrap(), &[], &[0; 16]).unwrap();
        doc.events().unwrap().remove(0)
    };
    for (label, hi, forge) in &forged_reports {
        let who = &hostile[*hi];
        let Action::Report(mut r) = honest.action.clone() else { unreachable!() };
        forge(&mut r);
        let id = format!("forged-{}", tally.ran);
        let registry =
            Actor { person: Person { certificate_no: None, ..who.person.clone() }, device_id: who.device.clone() };
        // The rule function alone would let it through: only the registry's data refuses it.
        let ctx = Context { now: Timestamp::now(), policy: &policy, inspection_open: None };
        assert!(decide(None, &registry, Action::Report(r.clone()), &ctx).is_ok() || *hi == 0, "{label}");
        let ev = next_event(&[], "r1".into(), Timestamp::now(), registry, Action::Report(r));
        let mut doc = RecordDoc::new(paicha_core::doc::DocKind::Hazard, &id, &who.actor).unwrap();
        doc.add_event(&ev).unwrap();
        tally.case(&server, &db, who, &id, "hazard", doc.save(), false, label);
    }

    // Inspections: every start / answer / complete variant, against the
    // tablet's own checks run on the registry's data.
    let view = MemoryView::demo();
    let template: Template = view.template("dust-explosion", 1).unwrap().unwrap();
    let person = |id: &str| view.person(id).unwrap().unwrap();
    let header =
        |inspectors: Vec<Person>, township: &str, enforcement: bool, tpl: (&str, u32), device: &str| InspectionHeader {
            id: String::new(),
            template_id: tpl.0.into(),
            template_version: tpl.1,
            sector: template.sector.clone(),
            enterprise: demo::credit_code(1),
            enterprise_name: "昆山示范铝业有限公司".into(),
            township: township.into(),
            inspectors,
            source: Source::Routine,
            enforcement,
            started_at: Timestamp::now(),
            device_id: device.into(),
            location: None,
        };
    let ghost = Person { id: "insp-ghost".into(), certificate_no: Some("1".into()), ..person("insp-li") };
    let mut no_cert_li = person("insp-li");
    no_cert_li.certificate_no = None;
    let starts: Vec<(&str, usize, InspectionHeader)> = vec![
        (
            "a valid enforcement inspection",
            0,
            header(vec![person("insp-wang"), person("insp-li")], "玉山镇", true, ("dust-explosion", 1), "h-insp-wang"),
        ),
        (
            "an enforcement inspection with one inspector",
            0,
            header(vec![person("insp-wang")], "玉山镇", true, ("dust-explosion", 1), "h-insp-wang"),
        ),
        (
            "a made-up second inspector",
            0,
            header(vec![person("insp-wang"), ghost], "玉山镇", true, ("dust-explosion", 1), "h-insp-wang"),
        ),
        (
            "a certificate the registry does not know is still the registry's",
            0,
            header(vec![person("insp-wang"), no_cert_li], "玉山镇", true, ("dust-explosion", 1), "h-insp-wang"),
        ),
        (
            "an unpublished template version",
            0,
            header(vec![person("insp-wang"), person("insp-li")], "玉山镇", true, ("dust-explosion", 99), "h-insp-wang"),
        ),
        (
            "a township the enterprise is not in",
            1,
            header(vec![person("insp-zhou"), person("insp-sun")], "周市镇", true, ("dust-explosion", 1), "h-insp-zhou"),
        ),
        (
            "another device's id in the header",
            0,
            header(vec![person("insp-wang"), person("insp-li")], "玉山镇", true, ("dust-explosion", 1), "m-wang"),
        ),
        (
            "a supervisor starting an inspection",
            4,
            header(vec![person("sup-chen"), person("insp-li")], "玉山镇", false, ("dust-explosion", 1), "h-sup-chen"),
        ),
    ];
    let mut started = None;
    for (label, hi, mut h) in starts {
        let who = &hostile[hi];
        h.id = format!("insp-{}", tally.ran);
        // The expected verdict: the start checks with the registry's people.
        let registry_header = InspectionHeader {
            inspectors: h.inspectors.iter().map(|p| view.person(&p.id).unwrap().unwrap_or_else(|| p.clone())).collect(),
            ..h.clone()
        };
        let known_people = h.inspectors.iter().all(|p| view.person(&p.id).unwrap().is_some());
        let expected_ok = known_people
            && view.template(&h.template_id, h.template_version).unwrap().is_some()
            && view.enterprise_township(&h.enterprise).unwrap().as_deref() == Some(h.township.as_str())
            && h.device_id == who.device
            && registry_header.inspectors.iter().any(|p| p.id == who.person.id)
            && check_start(&registry_header, &who.person).is_ok();
        let mut doc = RecordDoc::new(paicha_core::doc::DocKind::Inspection, &h.id, &who.actor).unwrap();
        doc.set_header(&h).unwrap();
        tally.case(&server, &db, who, &h.id, "inspection", doc.save(), expected_ok, label);
        if expected_ok && started.is_none() {
            started = Some(registry_header);
        }
    }
    let insp_header = started.expect("the valid start was accepted");
    let insp_id = insp_header.id.clone();
    let prior = |completed: bool| Inspection {
        header: insp_header.clone(),
        answers: Default::default(),
        completion: completed.then(|| Completion {
            ended_at: Timestamp::now(),
            by: "insp-wang".into(),
            signatures: vec![],
        }),
    };
    let answer = |code: &str, value: AnswerValue, by: &str| Answer {
        item_code: code.into(),
        value,
        note: String::new(),
        photos: vec![],
        by: by.into(),
        at: Timestamp::now(),
    };
    let answers: Vec<(&str, usize, Answer)> = vec![
        ("a valid answer", 0, answer("DE-01", AnswerValue::Conforms, "insp-wang")),
        ("an item not in the pinned template", 0, answer("DE-99", AnswerValue::Conforms, "insp-wang")),
        ("a number for a compliance item", 0, answer("DE-01", AnswerValue::Number { value: 3.0 }, "insp-wang")),
        ("an answer signed by someone else", 0, answer("DE-02", AnswerValue::Conforms, "insp-li")),
        ("an inspector outside the team", 1, answer("DE-02", AnswerValue::Conforms, "insp-zhou")),
        ("an enterprise answering", 2, answer("DE-02", AnswerValue::Conforms, "ent-a")),
    ];
    for (label, hi, a) in answers {
        let who = &hostile[hi];
        let expected_ok = who.person.in_scope(&insp_header.enterprise, &insp_header.township)
            && check_answer_by(&prior(false), &who.person, &template, &a).is_ok();
        let (mut doc, _) = server_doc(&db, &insp_id, &who.actor);
        let heads = doc.heads();
        doc.set_answer(&a).unwrap();
        tally.case(&server, &db, who, &insp_id, "inspection", doc.changes_after(&heads), expected_ok, label);
    }
    // Overwriting the accepted answer in place is a replacement, refused (R1).
    {
        let who = &hostile[0];
        let snap = db.snapshot(&insp_id).unwrap();
        let mut d = AutoCommit::load(&snap).unwrap().with_actor(ActorId::from(who.actor.clone()));
        let heads = d.get_heads();
        let json = serde_json::to_string(&answer("DE-01", AnswerValue::DoesNotConform, "insp-wang")).unwrap();
        d.put(ROOT, "answer/DE-01", json).unwrap();
        tally.case(
            &server,
            &db,
            who,
            &insp_id,
            "inspection",
            d.save_after(&heads),
            false,
            "an answer overwritten in place",
        );
        let mut d = AutoCommit::load(&snap).unwrap().with_actor(ActorId::from(who.actor.clone()));
        let heads = d.get_heads();
        d.delete(ROOT, "header").unwrap();
        tally.case(&server, &db, who, &insp_id, "inspection", d.save_after(&heads), false, "the header deleted");
        let mut d = AutoCommit::load(&snap).unwrap().with_actor(ActorId::from(who.actor.clone()));
        let heads = d.get_heads();
        d.put_object(ROOT, "answer/DE-05", ObjType::Text).unwrap();
        tally.case(
            &server,
            &db,
            who,
            &insp_id,
            "inspection",
            d.save_after(&heads),
            false,
            "a text object as an answer",
        );
    }
    // R4: a completion with items unanswered is refused.
    {
        let who = &hostile[0];
        let c = Completion { ended_at: Timestamp::now(), by: "insp-wang".into(), signatures: vec![] };
        assert_eq!(check_completion(&prior(false), &who.person, &template, &c).map_err(|e| e.rule), Err("R4"));
        let (mut doc, _) = server_doc(&db, &insp_id, &who.actor);
        let heads = doc.heads();
        doc.set_completion(&c).unwrap();
        let label = "a completion with items unanswered";
        tally.case(&server, &db, who, &insp_id, "inspection", doc.changes_after(&heads), false, label);
    }
    // The other items answered (not applicable is an answer), in one upload.
    let all_answered: std::collections::BTreeMap<String, Answer> =
        template.items().map(|i| (i.code.clone(), answer(&i.code, AnswerValue::NotApplicable, "insp-wang"))).collect();
    {
        let who = &hostile[0];
        let (mut doc, _) = server_doc(&db, &insp_id, &who.actor);
        let heads = doc.heads();
        for (code, a) in all_answered.iter().filter(|(code, _)| code.as_str() != "DE-01") {
            assert!(check_answer_by(&prior(false), &who.person, &template, a).is_ok(), "{code}");
            doc.set_answer(a).unwrap();
        }
        let label = "every other item answered not applicable";
        tally.case(&server, &db, who, &insp_id, "inspection", doc.changes_after(&heads), true, label);
    }
    let answered = Inspection { answers: all_answered, ..prior(false) };
    let completions: Vec<(&str, usize, Completion)> = vec![
        (
            "a completion by someone outside the team",
            1,
            Completion { ended_at: Timestamp::now(), by: "insp-zhou".into(), signatures: vec![] },
        ),
        (
            "a completion signed by another",
            0,
            Completion { ended_at: Timestamp::now(), by: "insp-li".into(), signatures: vec![] },
        ),
        (
            "a valid completion",
            0,
            Completion { ended_at: Timestamp::now(), by: "insp-wang".into(), signatures: vec![] },
        ),
    ];
    for (label, hi, c) in completions {
        let who = &hostile[hi];
        let expected_ok = who.person.in_scope(&insp_header.enterprise, &insp_header.township)
            && check_completion(&answered, &who.person, &template, &c).is_ok();
        let (mut doc, _) = server_doc(&db, &insp_id, &who.actor);
        let heads = doc.heads();
        doc.set_completion(&c).unwrap();
        tally.case(&server, &db, who, &insp_id, "inspection", doc.changes_after(&heads), expected_ok, label);
    }
    {
        let who = &hostile[0];
        let a = answer("DE-02", AnswerValue::Conforms, "insp-wang");
        assert!(check_answer_by(&prior(true), &who.person, &template, &a).is_err());
        let (mut doc, _) = server_doc(&db, &insp_id, &who.actor);
        let heads = doc.heads();
        doc.set_answer(&a).unwrap();
        tally.case(
            &server,
            &db,
            who,
            &insp_id,
            "inspection",
            doc.changes_after(&heads),
            false,
            "an answer after completion",
        );
        let snap = db.snapshot(&insp_id).unwrap();
        let mut d = AutoCommit::load(&snap).unwrap().with_actor(ActorId::from(who.actor.clone()));
        let heads = d.get_heads();
        d.delete(ROOT, "completion").unwrap();
        tally.case(
            &server,
            &db,
            who,
            &insp_id,
            "inspection",
            d.save_after(&heads),
            false,
            "the completion deleted (reopened)",
        );
    }

    println!(
        "crafted-change matrix: {} cases ({} person × state × action), {} agreed with the rule function",
        tally.ran, matrix, tally.agreed
    );
    assert!(tally.failures.is_empty(), "{} disagreements:\n{}", tally.failures.len(), tally.failures.join("\n"));
    assert_eq!(tally.ran, tally.agreed);
    assert!(matrix >= people.len() * states.len() * 20);
}
