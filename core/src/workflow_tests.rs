//! One test (or more) per rule of domain.md §3, through `decide` and `fold`
//! exactly as the store uses them.

use super::*;
use crate::demo;
use crate::enterprise::RiskColour;
use crate::hazard::*;
use crate::people::Actor;
use crate::photo::{PhotoRef, PhotoRole};

fn actor(id: &str) -> Actor {
    Actor { person: demo::person_by_id(id).expect("demo person"), device_id: format!("tablet-{id}") }
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("time")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn photo(role: PhotoRole, n: u8) -> PhotoRef {
    PhotoRef {
        sha256: format!("{n:064x}"),
        bytes: 1000,
        role,
        captured_at: None,
        gps: None,
        device_id: "tablet".into(),
    }
}

fn enterprise_a() -> EnterpriseRef {
    let e = &demo::enterprises()[0];
    EnterpriseRef {
        credit_code: e.credit_code.clone(),
        name: e.name.clone(),
        township: e.township.clone(),
        grid: e.grid.clone(),
        risk_colour: RiskColour::Red,
    }
}

fn report(level: Level, handling: Handling) -> Action {
    Action::Report(Box::new(ReportData {
        enterprise: enterprise_a(),
        sector: "涉爆粉尘".into(),
        inspection_id: Some("insp-1".into()),
        item_code: Some("DE-07".into()),
        location: "抛光车间".into(),
        description: "作业现场积尘严重".into(),
        kind: HazardKind::UnsafeCondition,
        level,
        handling,
        before_photos: vec![photo(PhotoRole::Before, 1)],
        required_measures: "立即清理积尘".into(),
        responsible_person: "张厂长".into(),
        funds: Some(2000.0),
        legal_basis: "GB 15577".into(),
        criteria: vec![],
        co_inspectors: vec![demo::person_by_id("insp-li").expect("demo")],
        deadline: None,
        order_date: None,
    }))
}

/// A replica of one hidden danger: events plus the policy, driven through `decide`.
struct Sim {
    events: Vec<Event>,
    policy: Policy,
    counter: u32,
}

impl Sim {
    fn new() -> Sim {
        Sim { events: vec![], policy: Policy::default(), counter: 0 }
    }

    fn state(&self) -> Option<Hazard> {
        fold("h1", &self.events)
    }

    fn act_ctx(
        &mut self,
        who: &str,
        action: Action,
        now: &str,
        inspection_open: Option<bool>,
    ) -> Result<Hazard, RuleError> {
        let state = self.state();
        let a = actor(who);
        let ctx = Context { now: t(now), policy: &self.policy, inspection_open };
        let action = decide(state.as_ref(), &a, action, &ctx)?;
        self.counter += 1;
        let e = next_event(&self.events, format!("e{:03}", self.counter), t(now), a, action);
        self.events.push(e);
        Ok(self.state().expect("state"))
    }

    fn act(&mut self, who: &str, action: Action, now: &str) -> Result<Hazard, RuleError> {
        self.act_ctx(who, action, now, Some(false))
    }

    fn reported(level: Level) -> Sim {
        let mut s = Sim::new();
        s.act("insp-wang", report(level, Handling::Deadline), "2026-11-02T10:00+08:00").expect("report");
        s
    }
}

fn evidence(n: u8) -> Action {
    Action::SubmitEvidence {
        after_photos: vec![photo(PhotoRole::After, n)],
        description: "已清理积尘并建立清扫制度".into(),
        rectified_on: None,
    }
}

fn approve() -> Action {
    Action::Review { approve: true, opinion: "整改到位".into() }
}

fn reject(reason: &str) -> Action {
    Action::Review { approve: false, opinion: reason.into() }
}

fn full_plan() -> GovernancePlan {
    GovernancePlan {
        objectives: "消除粉尘爆炸风险".into(),
        methods: "改造除尘系统".into(),
        funds_and_materials: "50万元".into(),
        responsible: "设备部".into(),
        time_limits: "30日内".into(),
        safety_and_emergency: "停用相关工位，制定应急预案".into(),
        reported_to_authority_on: None,
        reported_to_workforce_on: None,
    }
}

#[test]
fn r5_deadline_is_30_days_end_of_day_cst() {
    let s = Sim::reported(Level::General);
    let h = s.state().unwrap();
    assert_eq!(h.order_date, day("2026-11-02"));
    assert_eq!(h.deadline, day("2026-12-02"));
    assert_eq!(h.deadline_end(), t("2026-12-02T15:59:59.999Z"));
    assert_eq!(h.status, Status::Rectifying);
}

#[test]
fn r5_device_clock_in_utc_crosses_the_cst_day() {
    // 17:30 UTC on 1 November is already 2 November in China.
    let mut s = Sim::new();
    s.act("insp-wang", report(Level::General, Handling::Deadline), "2026-11-01T17:30:00Z").unwrap();
    assert_eq!(s.state().unwrap().deadline, day("2026-12-02"));
    // 15:59 UTC is still 1 November.
    let mut s = Sim::new();
    s.act("insp-wang", report(Level::General, Handling::Deadline), "2026-11-01T15:59:00Z").unwrap();
    assert_eq!(s.state().unwrap().deadline, day("2026-12-01"));
}

#[test]
fn r5_shorter_deadline_allowed_longer_refused() {
    let mut s = Sim::new();
    let Action::Report(mut r) = report(Level::General, Handling::Deadline) else { unreachable!() };
    r.deadline = Some(day("2026-12-03"));
    let err = s.act("insp-wang", Action::Report(r.clone()), "2026-11-02T10:00+08:00").unwrap_err();
    assert_eq!(err.rule, "R5");
    assert!(err.message.contains("2026-12-02"), "{err}");
    r.deadline = Some(day("2026-11-10"));
    let h = s.act("insp-wang", Action::Report(r), "2026-11-02T10:00+08:00").unwrap();
    assert_eq!(h.deadline, day("2026-11-10"));
}

#[test]
fn r5_window_comes_from_policy_in_force_on_the_order_day() {
    let mut s = Sim::new();
    let mut v2 = s.policy.versions[0].clone();
    v2.effective_from = day("2026-11-01");
    v2.rectification_days_major = 60;
    s.policy.versions.push(v2);
    let h = s.act("insp-wang", report(Level::Major, Handling::Deadline), "2026-11-02T10:00+08:00").unwrap();
    assert_eq!(h.deadline, day("2027-01-01"));
    let mut s2 = Sim { policy: s.policy.clone(), ..Sim::new() };
    let h = s2.act("insp-wang", report(Level::Major, Handling::Deadline), "2026-10-31T10:00+08:00").unwrap();
    assert_eq!(h.deadline, day("2026-11-30"));
}

#[test]
fn order_needs_two_inspectors_and_scope() {
    let mut s = Sim::new();
    let Action::Report(mut r) = report(Level::General, Handling::Deadline) else { unreachable!() };
    r.co_inspectors.clear();
    let err = s.act("insp-wang", Action::Report(r), "2026-11-02T10:00+08:00").unwrap_err();
    assert_eq!(err.rule, "§1");
    // R2: an inspector of another township.
    let err = s.act("insp-zhou", report(Level::General, Handling::Deadline), "2026-11-02T10:00+08:00").unwrap_err();
    assert_eq!(err.rule, "R2");
    // An enterprise cannot record a hidden danger for the authority.
    let err = s.act("ent-a", report(Level::General, Handling::Deadline), "2026-11-02T10:00+08:00").unwrap_err();
    assert_eq!(err.rule, "R2");
    assert!(s.state().is_none());
}

#[test]
fn r6_on_site_fix_only_general_during_inspection() {
    let fix =
        || Action::FixOnSite { after_photos: vec![photo(PhotoRole::After, 2)], description: "当场清理".into() };
    let mut s = Sim::new();
    s.act("insp-wang", report(Level::General, Handling::OnSite), "2026-11-02T10:00+08:00").unwrap();
    let err = s.act_ctx("insp-wang", fix(), "2026-11-02T11:00+08:00", Some(false)).unwrap_err();
    assert_eq!(err.rule, "R6");
    let err = s.act_ctx("sup-chen", fix(), "2026-11-02T11:00+08:00", Some(true)).unwrap_err();
    assert_eq!(err.rule, "R6");
    let h = s.act_ctx("insp-wang", fix(), "2026-11-02T11:00+08:00", Some(true)).unwrap();
    assert_eq!(h.status, Status::Closed);
    assert_eq!(h.closure.unwrap().kind, ClosureKind::OnSite);

    let mut s = Sim::reported(Level::Major);
    let err = s.act_ctx("insp-wang", fix(), "2026-11-02T11:00+08:00", Some(true)).unwrap_err();
    assert_eq!(err.rule, "R6");
    assert!(err.message.contains("major"));
    let err =
        Sim::new().act("insp-wang", report(Level::Major, Handling::OnSite), "2026-11-02T10:00+08:00").unwrap_err();
    assert_eq!(err.rule, "R6");
}

#[test]
fn r7_evidence_needs_photo_description_and_plan_for_major() {
    let mut s = Sim::reported(Level::General);
    let no_photo = Action::SubmitEvidence { after_photos: vec![], description: "done".into(), rectified_on: None };
    assert_eq!(s.act("ent-a", no_photo, "2026-11-05").unwrap_err().rule, "R7");
    let no_text = Action::SubmitEvidence {
        after_photos: vec![photo(PhotoRole::After, 3)],
        description: " ".into(),
        rectified_on: None,
    };
    assert_eq!(s.act("ent-a", no_text, "2026-11-05").unwrap_err().rule, "R7");
    assert_eq!(s.act("sup-chen", evidence(3), "2026-11-05").unwrap_err().rule, "R7");
    assert_eq!(s.act("ent-b", evidence(3), "2026-11-05").unwrap_err().rule, "R2");
    assert_eq!(s.act("ent-a", evidence(3), "2026-11-05").unwrap().status, Status::PendingReview);
    // An inspector on the enterprise's behalf, adding to it.
    assert_eq!(s.act("insp-li", evidence(4), "2026-11-06").unwrap().evidence.len(), 2);

    let mut m = Sim::reported(Level::Major);
    let err = m.act("ent-a", evidence(3), "2026-11-05").unwrap_err();
    assert_eq!(err.rule, "R7");
    assert!(err.message.contains("governance plan"));
}

#[test]
fn after_photos_need_before_photos() {
    let mut s = Sim::new();
    let Action::Report(mut r) = report(Level::General, Handling::Deadline) else { unreachable!() };
    r.before_photos.clear();
    s.act("insp-wang", Action::Report(r), "2026-11-02T10:00+08:00").unwrap();
    assert_eq!(s.act("ent-a", evidence(3), "2026-11-05").unwrap_err().rule, "§2");
    let add = Action::Edit(Edit { add_before_photos: vec![photo(PhotoRole::Before, 9)], ..Edit::default() });
    s.act("insp-wang", add, "2026-11-05").unwrap();
    assert_eq!(s.act("ent-a", evidence(3), "2026-11-05").unwrap().status, Status::PendingReview);
}

#[test]
fn r8_review_only_by_township_supervisor_and_reject_keeps_deadline() {
    let mut s = Sim::reported(Level::General);
    assert_eq!(s.act("sup-chen", approve(), "2026-11-05").unwrap_err().rule, "R8");
    s.act("ent-a", evidence(3), "2026-11-05").unwrap();
    for who in ["insp-wang", "ent-a", "sup-zhao", "admin-xu"] {
        let err = s.act(who, approve(), "2026-11-06").unwrap_err();
        assert!(err.rule == "R8" || err.rule == "R2", "{who}: {err}");
    }
    let err = s.act("sup-chen", reject(""), "2026-11-06").unwrap_err();
    assert!(err.message.contains("reason"));
    let h = s.act("sup-chen", reject("照片不清晰"), "2026-11-06").unwrap();
    assert_eq!(h.status, Status::Rectifying);
    assert_eq!(h.deadline, day("2026-12-02"));
    s.act("ent-a", evidence(5), "2026-11-08").unwrap();
    let h = s.act("sup-chen", approve(), "2026-11-09").unwrap();
    assert_eq!(h.status, Status::Closed);
    assert_eq!(h.closure.as_ref().unwrap().kind, ClosureKind::Reviewed);
    assert_eq!(h.closed_on_time(), Some(true));
    assert_eq!(h.history.len(), 5);
}

#[test]
fn r9_extension_before_deadline_once_and_limited() {
    let mut s = Sim::reported(Level::General);
    let ask = |d: &str| Action::RequestExtension { reason: "设备采购周期长".into(), proposed_deadline: day(d) };
    let grant = Action::DecideExtension { grant: true, new_deadline: None, reason: String::new() };
    assert_eq!(s.act("insp-wang", ask("2026-12-20"), "2026-11-20").unwrap_err().rule, "R9");
    assert_eq!(s.act("ent-a", ask("2026-12-20"), "2026-12-03T00:00+08:00").unwrap_err().rule, "R9");
    s.act("ent-a", ask("2027-01-20"), "2026-12-02T23:00+08:00").unwrap();
    assert_eq!(s.act("ent-a", ask("2027-01-10"), "2026-12-02T23:10+08:00").unwrap_err().rule, "R9");
    assert_eq!(s.act("insp-wang", grant.clone(), "2026-12-03").unwrap_err().rule, "R9");
    // More than 30 days.
    let err = s.act("sup-chen", grant.clone(), "2026-12-03").unwrap_err();
    assert!(err.message.contains("at most 30 days"), "{err}");
    let h = s
        .act(
            "sup-chen",
            Action::DecideExtension { grant: true, new_deadline: Some(day("2027-01-01")), reason: "同意".into() },
            "2026-12-03",
        )
        .unwrap();
    assert_eq!(h.deadline, day("2027-01-01"));
    assert_eq!(h.original_deadline, day("2026-12-02"));
    // Only one extension for a general hidden danger.
    let err = s.act("ent-a", ask("2027-01-15"), "2026-12-20").unwrap_err();
    assert!(err.message.contains("1 time"), "{err}");
}

#[test]
fn r9_refusal_and_major_extensions_by_district() {
    let mut s = Sim::reported(Level::Major);
    s.act(
        "ent-a",
        Action::RequestExtension { reason: "改造工程量大".into(), proposed_deadline: day("2027-02-01") },
        "2026-11-20",
    )
    .unwrap();
    let grant = Action::DecideExtension { grant: true, new_deadline: None, reason: String::new() };
    assert_eq!(s.act("sup-chen", grant.clone(), "2026-11-21").unwrap_err().rule, "R9");
    let refuse = Action::DecideExtension { grant: false, new_deadline: None, reason: "".into() };
    assert!(s.act("admin-xu", refuse, "2026-11-21").is_err());
    // The district may grant more than 30 days for a major one.
    let h = s.act("admin-xu", grant, "2026-11-21").unwrap();
    assert_eq!(h.deadline, day("2027-02-01"));
}

#[test]
fn r10_escalation_ladder() {
    let s = Sim::reported(Level::General);
    let h = s.state().unwrap();
    let p = Policy::default();
    assert_eq!(h.escalation(t("2026-11-20T12:00+08:00"), &p), Escalation::None);
    assert_eq!(h.escalation(t("2026-11-25T12:00+08:00"), &p), Escalation::Reminder { days_left: 7 });
    assert_eq!(h.escalation(t("2026-11-29T12:00+08:00"), &p), Escalation::Reminder { days_left: 3 });
    assert_eq!(h.escalation(t("2026-12-02T23:59:59+08:00"), &p), Escalation::Reminder { days_left: 0 });
    assert_eq!(h.overdue_days(t("2026-12-02T23:59:59+08:00")), 0);
    assert_eq!(h.escalation(t("2026-12-03T00:00:00+08:00"), &p), Escalation::Township { overdue_days: 1 });
    assert_eq!(h.escalation(t("2026-12-09T12:00+08:00"), &p), Escalation::Township { overdue_days: 7 });
    assert_eq!(h.escalation(t("2026-12-10T12:00+08:00"), &p), Escalation::District { overdue_days: 8 });
    let m = Sim::reported(Level::Major).state().unwrap();
    assert_eq!(m.escalation(t("2026-12-03T00:00:00+08:00"), &p), Escalation::District { overdue_days: 1 });
    // Supervisor may record an escalation; an enterprise may not.
    let mut s = Sim::reported(Level::General);
    assert_eq!(s.act("ent-a", Action::Escalate { note: "x".into() }, "2026-12-04").unwrap_err().rule, "R10");
    assert_eq!(
        s.act("sup-chen", Action::Escalate { note: "督办通知".into() }, "2026-12-04").unwrap().escalations.len(),
        1
    );
}

#[test]
fn r11_major_two_level_closure_with_plan_listing_suspension() {
    let mut s = Sim::reported(Level::Major);
    let mut plan = full_plan();
    plan.safety_and_emergency.clear();
    let err = s.act("ent-a", Action::SubmitPlan { plan }, "2026-11-03").unwrap_err();
    assert!(err.message.contains("安全措施和应急预案"), "{err}");
    s.act("ent-a", Action::SubmitPlan { plan: full_plan() }, "2026-11-03").unwrap();
    assert_eq!(
        s.act("sup-chen", Action::List { level: ListingLevel::County, reason: "".into() }, "2026-11-03")
            .unwrap_err()
            .rule,
        "R11"
    );
    s.act("admin-xu", Action::List { level: ListingLevel::City, reason: "挂牌".into() }, "2026-11-03").unwrap();
    let too_long = Action::Suspend { from: day("2026-11-04"), until: day("2027-06-01"), reason: "".into() };
    assert!(s.act("sup-chen", too_long, "2026-11-03").unwrap_err().message.contains("6 months"));
    s.act(
        "sup-chen",
        Action::Suspend { from: day("2026-11-04"), until: day("2027-05-04"), reason: "停产整改".into() },
        "2026-11-03",
    )
    .unwrap();
    s.act("ent-a", evidence(3), "2026-11-20").unwrap();
    let h = s.act("sup-chen", approve(), "2026-11-21").unwrap();
    assert_eq!(h.status, Status::PendingVerification);
    assert_eq!(
        s.act("sup-chen", Action::Verify { approve: true, opinion: "".into() }, "2026-11-22").unwrap_err().rule,
        "R11"
    );
    let h = s.act("ent-a", Action::RequestResumption { note: "申请复产".into() }, "2026-11-22T09:00+08:00").unwrap();
    assert_eq!(h.verification_due(&s.policy), Some(day("2026-12-02")));
    // R11: a verification not done within 10 days of the request is escalated
    // to the district like an overdue one, even before the deadline.
    let esc = |at: &str| {
        crate::hazard::escalation(
            Status::PendingVerification,
            Level::Major,
            day("2027-01-31"),
            h.resumption_requested_at,
            t(at),
            &s.policy,
        )
    };
    assert_eq!(esc("2026-12-02T23:59+08:00"), Escalation::None);
    assert_eq!(esc("2026-12-03T00:00+08:00"), Escalation::VerificationLate { days_late: 1 });
    assert_eq!(esc("2026-12-05T12:00+08:00").as_str(), "verification_late");
    let h = s.act("admin-xu", Action::Verify { approve: true, opinion: "核销".into() }, "2026-11-25").unwrap();
    assert_eq!(h.status, Status::Closed);
    assert_eq!(h.closure.unwrap().kind, ClosureKind::Verified);
    assert_eq!(h.listing, None);
}

#[test]
fn r12_void_by_supervisor_with_reason_stays_in_history() {
    let mut s = Sim::reported(Level::General);
    assert_eq!(s.act("insp-wang", Action::Void { reason: "录入错误".into() }, "2026-11-03").unwrap_err().rule, "R12");
    assert_eq!(s.act("sup-chen", Action::Void { reason: " ".into() }, "2026-11-03").unwrap_err().rule, "R12");
    let h = s.act("sup-chen", Action::Void { reason: "重复录入".into() }, "2026-11-03").unwrap();
    assert_eq!(h.status, Status::Voided);
    assert_eq!(h.history.len(), 2);
    assert_eq!(h.escalation(t("2027-03-01"), &s.policy), Escalation::None);
    assert!(s.act("ent-a", evidence(3), "2026-11-05").is_err());
}

#[test]
fn r13_raise_by_supervisor_lower_only_by_district() {
    let mut s = Sim::reported(Level::General);
    let raise = Action::ChangeLevel { level: Level::Major, reason: "涉及粉尘爆炸".into() };
    let lower = Action::ChangeLevel { level: Level::General, reason: "复核".into() };
    assert_eq!(s.act("insp-wang", raise.clone(), "2026-11-03").unwrap_err().rule, "R13");
    assert_eq!(s.act("sup-chen", raise, "2026-11-03").unwrap().level, Level::Major);
    assert_eq!(s.act("sup-chen", lower.clone(), "2026-11-04").unwrap_err().rule, "R13");
    assert_eq!(s.act("admin-xu", lower.clone(), "2026-11-04").unwrap().level, Level::General);
    // Once the township passed a major one to the district, the level is settled.
    let mut m = Sim::reported(Level::Major);
    m.act("ent-a", Action::SubmitPlan { plan: full_plan() }, "2026-11-03").unwrap();
    m.act("ent-a", evidence(3), "2026-11-04").unwrap();
    m.act("sup-chen", approve(), "2026-11-05").unwrap();
    let err = m.act("admin-xu", lower, "2026-11-06").unwrap_err();
    assert!(err.rule == "R13" && err.message.contains("pending_verification"), "{err}");
}

#[test]
fn r14_two_supervisors_decide_differently_offline() {
    let mut s = Sim::reported(Level::General);
    s.act("ent-a", evidence(3), "2026-11-05").unwrap();
    // Two replicas branch from the same history.
    let mut a = Sim { events: s.events.clone(), policy: s.policy.clone(), counter: 100 };
    let mut b = Sim { events: s.events.clone(), policy: s.policy.clone(), counter: 200 };
    b.events.iter_mut().for_each(|_| ());
    a.act("sup-chen", approve(), "2026-11-06T10:00+08:00").unwrap();
    let mut chen2 = actor("sup-chen");
    chen2.person.id = "sup-chen-2".into();
    chen2.person.name = "陈二".into();
    let ctx = Context { now: t("2026-11-06T09:00+08:00"), policy: &b.policy, inspection_open: None };
    let act = decide(b.state().as_ref(), &chen2, reject("防护不到位"), &ctx).unwrap();
    let e = next_event(&b.events, "e201".into(), t("2026-11-06T09:00+08:00"), chen2, act);
    b.events.push(e);
    // Merge both ways.
    let mut ab = a.events.clone();
    ab.extend(b.events.iter().filter(|e| !a.events.contains(e)).cloned());
    let mut ba = b.events.clone();
    ba.extend(a.events.iter().filter(|e| !b.events.contains(e)).cloned());
    let x = fold("h1", &ab).unwrap();
    let y = fold("h1", &ba).unwrap();
    assert_eq!(x, y);
    // The rejection (09:00) comes first in canonical order; the approval then
    // fails on a rectifying record: kept in history, reported as a conflict.
    assert_eq!(x.status, Status::Rectifying);
    assert_eq!(x.history.len(), 4);
    let conflicts: Vec<_> = x.open_conflicts().collect();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].kind, ConflictKind::NotApplied);
    assert_eq!(conflicts[0].concurrent_with, vec!["e201".to_string()]);
    // A supervisor settles it; the conflict is closed in every replica.
    let mut merged = Sim { events: ab, policy: s.policy.clone(), counter: 300 };
    let id = conflicts[0].event_id.clone();
    let h = merged
        .act("sup-chen", Action::ResolveConflict { events: vec![id], note: "以驳回为准".into() }, "2026-11-07")
        .unwrap();
    assert_eq!(h.open_conflicts().count(), 0);
}

#[test]
fn r14_evidence_concurrent_with_review_is_flagged() {
    let mut s = Sim::reported(Level::General);
    s.act("ent-a", evidence(3), "2026-11-05").unwrap();
    let mut sup = Sim { events: s.events.clone(), policy: s.policy.clone(), counter: 100 };
    let mut ent = Sim { events: s.events.clone(), policy: s.policy.clone(), counter: 200 };
    sup.act("sup-chen", reject("照片不清晰"), "2026-11-06T09:00+08:00").unwrap();
    ent.act("ent-a", evidence(4), "2026-11-06T10:00+08:00").unwrap();
    let mut all = sup.events.clone();
    all.extend(ent.events.iter().filter(|e| !sup.events.contains(e)).cloned());
    let h = fold("h1", &all).unwrap();
    // Both kept: the rejection, then the new evidence puts it back for review.
    assert_eq!(h.status, Status::PendingReview);
    assert_eq!(h.evidence.len(), 2);
    assert_eq!(h.open_conflicts().count(), 1);
    assert_eq!(h.open_conflicts().next().unwrap().kind, ConflictKind::ConcurrentDecisions);
}

#[test]
fn r14_duplicate_identical_decisions_need_no_person() {
    let mut s = Sim::reported(Level::General);
    s.act("ent-a", evidence(3), "2026-11-05").unwrap();
    let mut a = Sim { events: s.events.clone(), policy: s.policy.clone(), counter: 100 };
    let mut b = Sim { events: s.events.clone(), policy: s.policy.clone(), counter: 200 };
    a.act("sup-chen", approve(), "2026-11-06T09:00+08:00").unwrap();
    b.act("sup-chen", approve(), "2026-11-06T09:30+08:00").unwrap();
    let mut all = a.events.clone();
    all.extend(b.events.iter().filter(|e| !a.events.contains(e)).cloned());
    let h = fold("h1", &all).unwrap();
    assert_eq!(h.status, Status::Closed);
    assert_eq!(h.conflicts.len(), 1);
    assert_eq!(h.open_conflicts().count(), 0);
}

#[test]
fn crafted_event_that_breaks_a_rule_is_kept_but_not_applied() {
    let mut s = Sim::reported(Level::General);
    // A tablet that bypassed decide(): an inspector closing directly.
    let e = next_event(&s.events, "evil".into(), t("2026-11-03"), actor("insp-wang"), approve());
    s.events.push(e);
    let h = s.state().unwrap();
    assert_eq!(h.status, Status::Rectifying);
    assert_eq!(h.conflicts[0].kind, ConflictKind::Invalid);
    assert!(!h.history[1].applied);
    assert!(h.history[1].note.as_deref().unwrap_or("").contains("R8"));
}

#[test]
fn concurrent_edits_of_one_field_are_reported() {
    let mut s = Sim::reported(Level::General);
    let mut a = Sim { events: s.events.clone(), policy: s.policy.clone(), counter: 100 };
    a.act(
        "insp-wang",
        Action::Edit(Edit { description: Some("积尘约5mm".into()), ..Edit::default() }),
        "2026-11-03T09:00+08:00",
    )
    .unwrap();
    s.counter = 200;
    s.act(
        "insp-li",
        Action::Edit(Edit { description: Some("积尘严重".into()), ..Edit::default() }),
        "2026-11-03T10:00+08:00",
    )
    .unwrap();
    let mut all = a.events.clone();
    all.extend(s.events.iter().filter(|e| !a.events.contains(e)).cloned());
    let h = fold("h1", &all).unwrap();
    assert_eq!(h.description, "积尘严重");
    assert_eq!(h.open_conflicts().next().unwrap().kind, ConflictKind::ConcurrentEdit);
    assert_eq!(h.history.len(), 3);
}
