//! The storage conformance suite: written once, run against every backend
//! (`storage::conformance::sqlite::*`, `storage::conformance::postgres::*`).
//!
//! Each test gets a [`Harness`] from its backend's factory: a fresh, empty
//! storage of its own (SQLite: a temporary directory; PostgreSQL: a database
//! created for the test and dropped after it), so tests run in parallel.
//! The PostgreSQL run needs a server: `PAICHA_TEST_POSTGRES` names one
//! (`bash scripts/with-postgres.sh cargo test -p paicha-server` starts a
//! throwaway cluster); without it those tests fail, they never pass silently.

use super::*;
use chrono::NaiveDate;
use paicha_core::demo;
use paicha_core::doc::RecordDoc;
use paicha_core::enterprise::RiskColour;
use paicha_core::hazard::{Handling, Level};
use paicha_core::inspection::{InspectionHeader, Source};
use paicha_core::people::Role;
use paicha_core::planning;
use paicha_core::summary::OpenConflict;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh storage for one test, and what keeps its database alive.
pub(super) struct Harness {
    /// The storage under test (dropped before the guard).
    pub storage: Box<dyn Storage>,
    /// Opens a second storage on the same database (another server process).
    pub reopen: Box<dyn Fn() -> Box<dyn Storage>>,
    /// Removes the database when dropped.
    pub _guard: Box<dyn std::any::Any>,
}

/// Generates one `#[test]` per suite function, each with a fresh harness
/// from `$make`.
macro_rules! conformance_suite {
    ($make:path) => {
        conformance_suite!(@each $make;
            fresh_storage_has_the_defaults,
            registry_writes_move_the_reference_version,
            reference_data_is_what_the_person_may_see,
            devices_enroll_once_and_can_be_revoked,
            accepted_writes_are_stored_with_their_receipts_and_photos,
            a_write_on_heads_that_moved_is_refused_whole,
            the_change_log_pages_in_order_within_scope,
            refused_uploads_are_kept_in_quarantine,
            photos_are_in_scope_through_their_records,
            inspections_are_read_from_stored_documents,
            templates_are_published_once,
            a_second_storage_on_the_same_database_sees_everything,
            concurrent_writers_and_a_reader_see_every_change_once,
            summaries_follow_their_records_within_scope,
            console_passwords_are_for_people_of_the_registry,
            failed_sign_ins_are_counted_atomically_and_forgotten,
            console_sessions_are_shared_expire_and_end,
            web_devices_are_bound_once_per_person,
            notices_are_made_once_and_deliveries_retried_until_made,
            plans_are_stored_once_and_checked_when_read,
        );
    };
    (@each $make:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let harness = $make();
                super::$name(&harness);
            }
        )*
    };
}

const T0: Timestamp = Timestamp(1_795_000_000_000);

fn t(minutes: i64) -> Timestamp {
    Timestamp(T0.0 + minutes * 60_000)
}

fn person(id: &str) -> Person {
    demo::person_by_id(id).unwrap()
}

fn seed_demo(s: &dyn Storage) {
    for p in demo::people() {
        s.put_person(&p).unwrap();
    }
    s.put_enterprises(&demo::enterprises()).unwrap();
}

/// A write of an opaque document: snapshot and changes `tag`, heads `[tag]`.
fn write<'a>(
    doc_id: &'a str,
    enterprise: &'a str,
    township: &'a str,
    base: Option<&[&str]>,
    tag: &str,
) -> AcceptedWrite<'a> {
    AcceptedWrite {
        doc_id,
        kind: DocKind::Hazard,
        enterprise,
        township,
        base_heads: base.map(|b| b.iter().map(|h| h.to_string()).collect()),
        snapshot: tag.as_bytes().to_vec(),
        new_changes: tag.as_bytes().to_vec(),
        heads: vec![tag.to_string()],
        receipts: vec![],
        photos: vec![],
        summary: Summary::Hazard(hazard_summary(doc_id, enterprise, township, Status::Rectifying, 10)),
    }
}

/// The summary of a hidden danger with a deadline `day` days after 2026-11-01.
fn hazard_summary(id: &str, enterprise: &str, township: &str, status: Status, day: u32) -> HazardSummary {
    HazardSummary {
        id: id.into(),
        enterprise: enterprise.into(),
        enterprise_name: "企业".into(),
        township: township.into(),
        grid: String::new(),
        sector: "消防安全".into(),
        risk_colour: RiskColour::Yellow,
        level: Level::General,
        status,
        handling: Handling::Deadline,
        description: "<b>灭火器</b> 过期".into(),
        reported_at: t(0),
        reported_by: "insp-wang".into(),
        deadline: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() + chrono::Duration::days(day.into()),
        submitted_at: None,
        closed_at: None,
        closure_kind: None,
        inspection_id: None,
        item_code: None,
        listed: None,
        resumption_requested_at: None,
        extension_requested: false,
        open_conflicts: vec![],
    }
}

fn inspection_summary(id: &str, enterprise: &str, township: &str) -> InspectionSummary {
    InspectionSummary {
        id: id.into(),
        enterprise: enterprise.into(),
        enterprise_name: "企业".into(),
        township: township.into(),
        sector: "消防安全".into(),
        template_id: "fire".into(),
        template_version: 1,
        source: Source::Routine,
        inspectors: vec!["insp-wang".into(), "insp-li".into()],
        started_at: t(0),
        ended_at: None,
        answered: 0,
    }
}

/// Hidden dangers listed by `q`, by id.
fn listed(s: &dyn Storage, q: &SummaryQuery<'_>) -> Vec<String> {
    s.summaries(q).unwrap().into_iter().map(|x| x.id().to_string()).collect()
}

fn heads(list: &[&str]) -> Vec<String> {
    list.iter().map(|h| h.to_string()).collect()
}

/// Reads the whole log as `person` on `device` the way a tablet does, page
/// by page, with the exchange's cursor rule.
fn read_log(s: &dyn Storage, person: &Person, device: &str, limit: u32) -> (Vec<LogEntry>, u64) {
    let mut cursor = 0;
    let mut all: Vec<LogEntry> = vec![];
    loop {
        let (page, end) = s.changes_since(person, device, cursor, limit).unwrap();
        let more = page.len() as u32 >= limit;
        cursor = if more { page.last().map_or(cursor, |e| e.seq) } else { end.max(cursor) };
        all.extend(page);
        if !more {
            return (all, cursor);
        }
    }
}

fn ids(entries: &[LogEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.doc_id.as_str()).collect()
}

fn bundled() -> Vec<Template> {
    paicha_core::template::bundled().into_iter().map(|(_, text)| serde_json::from_str(text).unwrap()).collect()
}

pub(super) fn fresh_storage_has_the_defaults(h: &Harness) {
    let s = h.storage.as_ref();
    assert_eq!(s.policy().unwrap(), Policy::default());
    assert_eq!(s.reference_version().unwrap(), 1);
    for t in bundled() {
        assert_eq!(s.template(&t.id, t.version).unwrap().as_ref(), Some(&t), "bundled template {}", t.id);
    }
    assert_eq!(s.template("no-such-template", 1).unwrap(), None);
    assert_eq!(s.person("insp-wang").unwrap(), None);
    assert_eq!(s.enterprise_township(&demo::credit_code(1)).unwrap(), None);
    assert!(s.devices().unwrap().is_empty());
    assert_eq!(s.device_by_token("token").unwrap(), None);
    assert!(s.quarantined().unwrap().is_empty());
    assert!(s.skewed().unwrap().is_empty());
    assert!(s.photo_refs().unwrap().is_empty());
    assert_eq!(s.document("hz-1").unwrap(), None);
    assert_eq!(s.inspection("in-1").unwrap(), None);
    assert!(s.receipts_for("hz-1").unwrap().is_empty());
    assert!(s.summaries(&SummaryQuery::all(DocKind::Hazard)).unwrap().is_empty());
    let (entries, end) = s.changes_since(&person("admin-xu"), "tab-1", 0, 100).unwrap();
    assert!(entries.is_empty());
    assert_eq!(end, 0);
    assert!(!s.photo_in_scope(&"a".repeat(64), &person("admin-xu")).unwrap());
}

pub(super) fn registry_writes_move_the_reference_version(h: &Harness) {
    let s = h.storage.as_ref();
    let v = s.reference_version().unwrap();
    let mut wang = person("insp-wang");
    s.put_person(&wang).unwrap();
    assert_eq!(s.person("insp-wang").unwrap(), Some(wang.clone()));
    assert_eq!(s.reference_version().unwrap(), v + 1);
    wang.name = "王二".into();
    wang.townships.push("周市镇".into());
    s.put_person(&wang).unwrap();
    assert_eq!(s.person("insp-wang").unwrap(), Some(wang));
    assert_eq!(s.reference_version().unwrap(), v + 2);

    s.put_enterprises(&demo::enterprises()).unwrap();
    assert_eq!(s.reference_version().unwrap(), v + 3);
    assert_eq!(s.enterprise_township(&demo::credit_code(1)).unwrap().as_deref(), Some("玉山镇"));
    assert_eq!(s.enterprise_township(&demo::credit_code(4)).unwrap().as_deref(), Some("周市镇"));
    assert_eq!(s.enterprise_township("no-such-code").unwrap(), None);
    let mut moved_one = demo::enterprises()[0].clone();
    moved_one.township = "周市镇".into();
    s.put_enterprises(&[moved_one]).unwrap();
    assert_eq!(s.enterprise_township(&demo::credit_code(1)).unwrap().as_deref(), Some("周市镇"));
    assert_eq!(s.reference_version().unwrap(), v + 4);

    let mut policy = Policy::default();
    let mut newer = policy.versions[0].clone();
    newer.effective_from = newer.effective_from.succ_opt().unwrap();
    newer.rectification_days_general = 20;
    policy.versions.push(newer);
    s.set_policy(&policy).unwrap();
    assert_eq!(s.policy().unwrap(), policy);
    assert_eq!(s.reference_version().unwrap(), v + 5);
}

pub(super) fn reference_data_is_what_the_person_may_see(h: &Harness) {
    let s = h.storage.as_ref();
    seed_demo(s);
    let version = s.reference_version().unwrap();
    let codes = |r: &ReferenceData| r.enterprises.iter().map(|e| e.credit_code.clone()).collect::<Vec<_>>();
    let people = |r: &ReferenceData| r.people.iter().map(|p| p.id.clone()).collect::<BTreeSet<_>>();
    let everyone: BTreeSet<String> = demo::people().into_iter().map(|p| p.id).collect();

    let r = s.reference_for(&person("insp-wang")).unwrap();
    assert_eq!(r.version, version);
    assert_eq!(r.policy, Policy::default());
    assert_eq!(people(&r), everyone);
    assert_eq!(codes(&r), [1, 2, 3].map(demo::credit_code));
    // People come back whole.
    assert_eq!(r.people.iter().find(|p| p.id == "insp-wang"), Some(&person("insp-wang")));

    let r = s.reference_for(&person("insp-zhou")).unwrap();
    assert_eq!(codes(&r), [demo::credit_code(4)]);

    let r = s.reference_for(&person("admin-xu")).unwrap();
    assert_eq!(codes(&r), [1, 2, 3, 4].map(demo::credit_code));
    assert_eq!(r.enterprises, demo::enterprises());

    // An enterprise user sees itself and the officials, not other enterprises' people.
    let r = s.reference_for(&person("ent-a")).unwrap();
    let officials: BTreeSet<String> =
        demo::people().into_iter().filter(|p| p.role != Role::Enterprise || p.id == "ent-a").map(|p| p.id).collect();
    assert_eq!(people(&r), officials);
    assert_eq!(codes(&r), [demo::credit_code(1)]);
}

pub(super) fn devices_enroll_once_and_can_be_revoked(h: &Harness) {
    let s = h.storage.as_ref();
    seed_demo(s);
    let actor1 = "a1".repeat(16);
    let actor2 = "b2".repeat(16);
    s.add_device("tab-1", "insp-wang", "code-1", t(0)).unwrap();
    let waiting = Device { device_id: "tab-1".into(), user_id: "insp-wang".into(), actor: None, revoked_at: None };
    assert_eq!(s.devices().unwrap(), std::slice::from_ref(&waiting));
    // A new code before enrollment replaces the old one.
    s.add_device("tab-1", "insp-wang", "code-2", t(1)).unwrap();
    assert_eq!(s.enroll("code-1", "tab-1", &actor1, "token-1", t(2)).unwrap(), Enrollment::UnknownCode);
    assert_eq!(s.enroll("code-2", "tab-9", &actor1, "token-1", t(2)).unwrap(), Enrollment::OtherDevice("tab-1".into()));
    let enrolled = Device { actor: Some(actor1.clone()), ..waiting };
    assert_eq!(s.enroll("code-2", "tab-1", &actor1, "token-1", t(2)).unwrap(), Enrollment::Enrolled(enrolled.clone()));
    // A code is used once.
    assert_eq!(s.enroll("code-2", "tab-1", &actor1, "token-x", t(3)).unwrap(), Enrollment::UnknownCode);
    assert_eq!(s.device_by_token("token-1").unwrap(), Some(enrolled.clone()));
    assert_eq!(s.device_by_token("token-x").unwrap(), None);
    // An enrolled device gets no new code.
    assert!(matches!(s.add_device("tab-1", "insp-wang", "code-3", t(4)), Err(StorageError::Conflict(_))));

    // An actor id is bound to one device.
    s.add_device("tab-2", "insp-li", "code-4", t(5)).unwrap();
    assert_eq!(s.enroll("code-4", "tab-2", &actor1, "token-2", t(6)).unwrap(), Enrollment::ActorTaken);
    assert!(matches!(s.enroll("code-4", "tab-2", &actor2, "token-2", t(6)).unwrap(), Enrollment::Enrolled(_)));

    // A device for someone the registry does not know cannot be added.
    assert!(matches!(s.add_device("tab-3", "nobody", "code-5", t(7)), Err(StorageError::Invalid(_))));

    assert!(s.revoke("tab-1", t(8)).unwrap());
    assert!(!s.revoke("tab-1", t(9)).unwrap());
    assert!(!s.revoke("no-such-device", t(9)).unwrap());
    assert_eq!(s.device_by_token("token-1").unwrap().and_then(|d| d.revoked_at), Some(t(8).0));
    assert!(matches!(s.add_device("tab-1", "insp-wang", "code-6", t(10)), Err(StorageError::Conflict(_))));
    let list = s.devices().unwrap();
    assert_eq!(list.iter().map(|d| d.device_id.as_str()).collect::<Vec<_>>(), ["tab-1", "tab-2"]);
    assert_eq!(list[1].actor.as_deref(), Some(actor2.as_str()));

    // The registry can still change a person its devices belong to.
    let mut wang = person("insp-wang");
    wang.name = "王三".into();
    s.put_person(&wang).unwrap();
    assert_eq!(s.person("insp-wang").unwrap(), Some(wang));
    assert_eq!(s.devices().unwrap().len(), 2);
}

pub(super) fn accepted_writes_are_stored_with_their_receipts_and_photos(h: &Harness) {
    let s = h.storage.as_ref();
    seed_demo(s);
    let e1 = demo::credit_code(1);
    let (p1, p2) = ("1".repeat(64), "2".repeat(64));
    let mut hazard = write("hz-1", &e1, "玉山镇", None, "a");
    hazard.receipts = vec![("ev-1".into(), t(-1).0, false), ("ev-2".into(), t(-30).0, true)];
    hazard.photos = vec![p2.clone(), p1.clone()];
    let mut inspection = write("in-1", &e1, "玉山镇", None, "i");
    inspection.kind = DocKind::Inspection;
    inspection.summary = Summary::Inspection(inspection_summary("in-1", &e1, "玉山镇"));
    s.store_accepted(&[hazard, inspection], "tab-1", t(0)).unwrap();

    assert_eq!(
        s.document("hz-1").unwrap(),
        Some(StoredDoc { kind: DocKind::Hazard, snapshot: b"a".to_vec(), heads: heads(&["a"]) })
    );
    assert_eq!(s.document("in-1").unwrap().map(|d| d.kind), Some(DocKind::Inspection));
    assert_eq!(s.receipts_for("hz-1").unwrap(), [("ev-1".to_string(), t(0).0), ("ev-2".to_string(), t(0).0)]);
    assert!(s.receipts_for("in-1").unwrap().is_empty());
    let records = ["in-1".to_string(), "hz-1".to_string(), "none".to_string()];
    assert_eq!(
        s.receipts_for_docs(&records).unwrap(),
        [("hz-1".to_string(), "ev-1".to_string(), t(0).0), ("hz-1".to_string(), "ev-2".to_string(), t(0).0)]
    );
    assert!(s.receipts_for_docs(&[]).unwrap().is_empty());
    assert_eq!(s.skewed().unwrap(), [("ev-2".to_string(), "tab-1".to_string(), t(-30).0, t(0).0)]);
    assert_eq!(s.photo_refs().unwrap(), [("hz-1".to_string(), p1.clone()), ("hz-1".to_string(), p2.clone())]);
    assert_eq!(listed(s, &SummaryQuery::all(DocKind::Hazard)), ["hz-1"]);
    assert_eq!(
        s.summaries(&SummaryQuery::all(DocKind::Inspection)).unwrap(),
        [Summary::Inspection(inspection_summary("in-1", &e1, "玉山镇"))]
    );

    // The next write of the record: snapshot and heads replaced, one more
    // log entry, new receipts added, a receipt already held keeps its time.
    let mut next = write("hz-1", &e1, "玉山镇", Some(&["a"]), "b");
    next.receipts = vec![("ev-1".into(), t(4).0, false), ("ev-3".into(), t(4).0, false)];
    next.photos = vec![p1.clone()];
    s.store_accepted(&[next], "tab-2", t(5)).unwrap();
    assert_eq!(
        s.document("hz-1").unwrap(),
        Some(StoredDoc { kind: DocKind::Hazard, snapshot: b"b".to_vec(), heads: heads(&["b"]) })
    );
    assert_eq!(
        s.receipts_for("hz-1").unwrap(),
        [("ev-1".to_string(), t(0).0), ("ev-2".to_string(), t(0).0), ("ev-3".to_string(), t(5).0)]
    );
    assert_eq!(s.photo_refs().unwrap().len(), 2);
    assert_eq!(s.skewed().unwrap().len(), 1);

    let (log, end) = s.changes_since(&person("admin-xu"), "tab-9", 0, 100).unwrap();
    assert_eq!(ids(&log), ["hz-1", "in-1", "hz-1"]);
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq), "sequence order");
    assert_eq!(end, log[2].seq);
    assert_eq!(log[0].kind, DocKind::Hazard);
    assert_eq!(log[1].kind, DocKind::Inspection);
    assert_eq!((log[0].data.as_slice(), &log[0].heads), (b"a".as_slice(), &heads(&["a"])));
    assert_eq!((log[2].data.as_slice(), &log[2].heads), (b"b".as_slice(), &heads(&["b"])));

    // Nothing to write writes nothing.
    s.store_accepted(&[], "tab-1", t(6)).unwrap();
    assert_eq!(s.changes_since(&person("admin-xu"), "tab-9", 0, 100).unwrap().1, end);
}

pub(super) fn a_write_on_heads_that_moved_is_refused_whole(h: &Harness) {
    let s = h.storage.as_ref();
    let e1 = demo::credit_code(1);
    s.store_accepted(&[write("hz-1", &e1, "玉山镇", None, "a")], "tab-1", t(0)).unwrap();
    let end = s.changes_since(&person("admin-xu"), "tab-9", 0, 100).unwrap().1;

    // One stale record refuses the whole request: the new record before it is not stored either.
    let stale = [write("hz-2", &e1, "玉山镇", None, "x"), write("hz-1", &e1, "玉山镇", Some(&["old"]), "b")];
    assert!(matches!(s.store_accepted(&stale, "tab-1", t(1)), Err(StorageError::Conflict(_))));
    assert_eq!(s.document("hz-2").unwrap(), None);
    assert_eq!(s.document("hz-1").unwrap().map(|d| d.snapshot), Some(b"a".to_vec()));
    let (log, end_now) = s.changes_since(&person("admin-xu"), "tab-9", 0, 100).unwrap();
    assert_eq!((ids(&log), end_now), (vec!["hz-1"], end));

    // A record written by someone else since it was found missing.
    assert!(matches!(
        s.store_accepted(&[write("hz-1", &e1, "玉山镇", None, "c")], "tab-1", t(2)),
        Err(StorageError::Conflict(_))
    ));
    // A record expected that is not there.
    assert!(matches!(
        s.store_accepted(&[write("hz-9", &e1, "玉山镇", Some(&["a"]), "c")], "tab-1", t(2)),
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(s.document("hz-9").unwrap(), None);

    // Heads are a set: their order does not matter.
    let mut two = write("hz-1", &e1, "玉山镇", Some(&["a"]), "b");
    two.heads = heads(&["c", "b"]);
    s.store_accepted(&[two], "tab-1", t(3)).unwrap();
    s.store_accepted(&[write("hz-1", &e1, "玉山镇", Some(&["b", "c"]), "d")], "tab-1", t(4)).unwrap();
    assert_eq!(s.document("hz-1").unwrap().map(|d| d.heads), Some(heads(&["d"])));
    assert_eq!(s.changes_since(&person("admin-xu"), "tab-9", 0, 100).unwrap().0.len(), 3);
}

pub(super) fn the_change_log_pages_in_order_within_scope(h: &Harness) {
    let s = h.storage.as_ref();
    seed_demo(s);
    let (e1, e2, e4) = (demo::credit_code(1), demo::credit_code(2), demo::credit_code(4));
    let names: Vec<(String, String)> = (0..6).map(|i| (format!("yu-{i}"), format!("zh-{i}"))).collect();
    for (i, (yu, zh)) in names.iter().enumerate() {
        s.store_accepted(&[write(yu, &e1, "玉山镇", None, "y")], "tab-a", t(i as i64)).unwrap();
        s.store_accepted(&[write(zh, &e4, "周市镇", None, "z")], "tab-b", t(i as i64)).unwrap();
    }
    s.store_accepted(&[write("yu-own", &e1, "玉山镇", None, "o")], "tab-wang", t(9)).unwrap();
    s.store_accepted(&[write("yu-b", &e2, "玉山镇", None, "b")], "tab-a", t(9)).unwrap();

    let (all, end) = s.changes_since(&person("admin-xu"), "tab-x", 0, 1000).unwrap();
    assert_eq!(all.len(), 14);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(end, all[13].seq);
    let expect =
        |f: &dyn Fn(&LogEntry) -> bool| all.iter().filter(|e| f(e)).map(|e| e.doc_id.clone()).collect::<Vec<_>>();

    // An inspector of 玉山镇 on its own tablet, in pages of 2: its township's
    // records in order, not its own changes, and the cursor ends at the log's end.
    for limit in [1, 2, 5, 1000] {
        let (seen, cursor) = read_log(s, &person("insp-wang"), "tab-wang", limit);
        assert_eq!(ids(&seen), expect(&|e| e.doc_id.starts_with("yu-") && e.doc_id != "yu-own"), "limit {limit}");
        assert_eq!(cursor, end);
    }
    let (seen, _) = read_log(s, &person("insp-zhou"), "tab-zhou", 4);
    assert_eq!(ids(&seen), expect(&|e| e.doc_id.starts_with("zh-")));
    // Enterprise users: their enterprise's records only.
    let (seen, _) = read_log(s, &person("ent-a"), "tab-ent", 3);
    assert_eq!(ids(&seen), expect(&|e| e.doc_id.starts_with("yu-") && e.doc_id != "yu-b"));
    let (seen, cursor) = read_log(s, &person("ent-d"), "tab-ent", 3);
    assert_eq!(ids(&seen), expect(&|e| e.doc_id.starts_with("zh-")));
    assert_eq!(cursor, end);
    let (seen, cursor) = read_log(s, &person("ent-b"), "tab-ent", 3);
    assert_eq!(ids(&seen), ["yu-b"]);
    assert_eq!(cursor, end);
    // Someone with no scope sees nothing, and still learns the end.
    let nowhere = Person { townships: vec![], ..person("insp-wang") };
    assert_eq!(s.changes_since(&nowhere, "tab-n", 0, 100).unwrap(), (vec![], end));

    // From a cursor: what follows it.
    let mid = all[6].seq;
    let (after, _) = s.changes_since(&person("admin-xu"), "tab-x", mid, 100).unwrap();
    assert_eq!(after, all[7..].to_vec());
    assert_eq!(s.changes_since(&person("admin-xu"), "tab-x", end, 100).unwrap(), (vec![], end));
    assert_eq!(s.changes_since(&person("admin-xu"), "tab-x", u64::MAX, 100).unwrap(), (vec![], end));
}

pub(super) fn refused_uploads_are_kept_in_quarantine(h: &Harness) {
    let s = h.storage.as_ref();
    let q = NewQuarantine {
        device_id: "tab-1",
        user_id: "insp-wang",
        doc_id: "hz-1",
        kind: "hazard",
        rule: "R2",
        message: "out of scope",
        data: &[1, 2, 3],
        received_at: t(0),
    };
    s.quarantine(&q).unwrap();
    // An unknown kind, from a device the server never enrolled, is kept as it came.
    s.quarantine(&NewQuarantine {
        device_id: "stranger",
        kind: "spaceship",
        rule: "format",
        data: &[],
        received_at: t(1),
        ..q
    })
    .unwrap();
    s.quarantine(&q).unwrap();
    let list = s.quarantined().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    assert_eq!(
        list[0],
        Quarantined {
            id: list[0].id,
            device_id: "tab-1".into(),
            user_id: "insp-wang".into(),
            doc_id: "hz-1".into(),
            rule: "R2".into(),
            message: "out of scope".into(),
            bytes: 3,
            received_at: t(0).0,
        }
    );
    assert_eq!((list[1].device_id.as_str(), list[1].rule.as_str(), list[1].bytes), ("stranger", "format", 0));
}

pub(super) fn photos_are_in_scope_through_their_records(h: &Harness) {
    let s = h.storage.as_ref();
    seed_demo(s);
    let (p, q) = ("a".repeat(64), "b".repeat(64));
    let (e1, e4) = (demo::credit_code(1), demo::credit_code(4));
    let mut yu = write("yu-1", &e1, "玉山镇", None, "y");
    yu.photos = vec![p.clone()];
    let mut zh = write("zh-1", &e4, "周市镇", None, "z");
    zh.photos = vec![q.clone()];
    s.store_accepted(&[yu, zh], "tab-1", t(0)).unwrap();
    let sees = |who: &str, sha: &str| s.photo_in_scope(sha, &person(who)).unwrap();
    assert!(sees("insp-wang", &p) && !sees("insp-wang", &q));
    assert!(!sees("insp-zhou", &p) && sees("insp-zhou", &q));
    assert!(sees("admin-xu", &p) && sees("admin-xu", &q));
    assert!(sees("ent-a", &p) && !sees("ent-a", &q));
    assert!(!sees("ent-b", &p) && !sees("ent-b", &q));
    assert!(!sees("admin-xu", &"c".repeat(64)));
    assert_eq!(s.photo_refs().unwrap(), [("yu-1".to_string(), p), ("zh-1".to_string(), q)]);
}

pub(super) fn inspections_are_read_from_stored_documents(h: &Harness) {
    let s = h.storage.as_ref();
    let wang = person("insp-wang");
    let header = InspectionHeader {
        id: "in-1".into(),
        template_id: "dust-explosion".into(),
        template_version: 1,
        sector: "涉爆粉尘".into(),
        enterprise: demo::credit_code(1),
        enterprise_name: "昆山示范铝业有限公司".into(),
        township: "玉山镇".into(),
        inspectors: vec![wang.clone(), person("insp-li")],
        source: Source::Routine,
        enforcement: false,
        started_at: t(0),
        device_id: "tab-1".into(),
        location: None,
    };
    let mut doc = RecordDoc::new(DocKind::Inspection, "in-1", &[7; 16]).unwrap();
    doc.set_header(&header).unwrap();
    let mut w = write("in-1", &header.enterprise, "玉山镇", None, "i");
    w.kind = DocKind::Inspection;
    w.snapshot = doc.save();
    w.heads = doc.heads();
    let mut bad = write("in-bad", &header.enterprise, "玉山镇", None, "not automerge");
    bad.kind = DocKind::Inspection;
    s.store_accepted(&[w, bad, write("hz-1", &header.enterprise, "玉山镇", None, "h")], "tab-1", t(1)).unwrap();

    let inspection = s.inspection("in-1").unwrap().unwrap();
    assert_eq!(inspection.header, header);
    assert!(inspection.answers.is_empty());
    assert_eq!(inspection.completion, None);
    assert_eq!(s.inspection("hz-1").unwrap(), None, "a hidden danger is no inspection");
    assert_eq!(s.inspection("in-2").unwrap(), None);
    assert!(matches!(s.inspection("in-bad"), Err(StorageError::Corrupt(_))));
}

pub(super) fn templates_are_published_once(h: &Harness) {
    let s = h.storage.as_ref();
    let v = s.reference_version().unwrap();
    let shipped = bundled().remove(0);
    assert!(!s.put_template(&shipped).unwrap(), "the bundled templates are published already");
    let next = Template { version: shipped.version + 1, ..shipped.clone() };
    assert!(s.put_template(&next).unwrap());
    assert_eq!(s.reference_version().unwrap(), v + 1);
    assert_eq!(s.template(&next.id, next.version).unwrap(), Some(next.clone()));
    // Tablets receive every published version with the reference data.
    seed_demo(s);
    let sent = s.reference_for(&person("insp-wang")).unwrap().templates;
    assert!(sent.contains(&next) && sent.contains(&shipped), "{} templates sent", sent.len());
    assert!(sent.len() >= bundled().len(), "{} templates sent", sent.len());
    let v = s.reference_version().unwrap();
    assert!(!s.put_template(&next).unwrap(), "the same content again changes nothing");
    assert_eq!(s.reference_version().unwrap(), v);
    // R3: a published version never changes.
    let changed = Template { title: "另一个标题".into(), ..next.clone() };
    assert!(matches!(s.put_template(&changed), Err(StorageError::Conflict(_))));
    assert_eq!(s.template(&next.id, next.version).unwrap(), Some(next));
    let invalid = Template { version: 0, ..shipped };
    assert!(matches!(s.put_template(&invalid), Err(StorageError::Invalid(_))));
}

pub(super) fn a_second_storage_on_the_same_database_sees_everything(h: &Harness) {
    let s = h.storage.as_ref();
    seed_demo(s);
    s.store_accepted(&[write("hz-1", &demo::credit_code(1), "玉山镇", None, "a")], "tab-1", t(0)).unwrap();
    // Opening again migrates nothing and loses nothing.
    let other = (h.reopen)();
    assert_eq!(other.person("insp-wang").unwrap(), Some(person("insp-wang")));
    assert_eq!(other.reference_version().unwrap(), s.reference_version().unwrap());
    assert_eq!(other.document("hz-1").unwrap(), s.document("hz-1").unwrap());
    // And what one writes, the other reads.
    other.store_accepted(&[write("hz-1", &demo::credit_code(1), "玉山镇", Some(&["a"]), "b")], "tab-2", t(1)).unwrap();
    assert_eq!(s.document("hz-1").unwrap().map(|d| d.heads), Some(heads(&["b"])));
    assert_eq!(s.changes_since(&person("admin-xu"), "tab-9", 0, 10).unwrap().0.len(), 2);
}

/// The concurrency contract: 8 writers, each writing records of its own and
/// all of them appending to one shared record (read, then compare and swap,
/// again on a conflict), while a reader pages through the log.
/// Counts a writer thread as finished when dropped, panicking or not.
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub(super) fn concurrent_writers_and_a_reader_see_every_change_once(h: &Harness) {
    const WRITERS: usize = 8;
    const OWN: usize = 12;
    const SHARED: usize = OWN / 2;
    let s = h.storage.as_ref();
    let e1 = demo::credit_code(1);
    let admin = person("admin-xu");
    let finished = AtomicUsize::new(0);
    let (accepted, read): (Vec<Vec<String>>, Vec<LogEntry>) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut cursor = 0;
            let mut seen: Vec<LogEntry> = vec![];
            loop {
                // Read "all done" before the page: the last page is read after the last commit.
                let all_done = finished.load(Ordering::SeqCst) == WRITERS;
                let (page, end) = s.changes_since(&admin, "reader", cursor, 7).unwrap();
                let more = page.len() >= 7;
                cursor = if more { page.last().map_or(cursor, |e| e.seq) } else { end.max(cursor) };
                seen.extend(page);
                if all_done && !more {
                    return seen;
                }
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|i| {
                let (e1, finished) = (&e1, &finished);
                scope.spawn(move || {
                    // Counted as finished even when it panics, so the reader stops and the test fails.
                    let _done = Finished(finished);
                    let device = format!("dev-{i}");
                    let mut mine = vec![];
                    for k in 0..OWN {
                        let id = format!("w{i}-{k}");
                        let tag = format!("w{i}-{k}-tag");
                        s.store_accepted(&[write(&id, e1, "玉山镇", None, &tag)], &device, t(k as i64)).unwrap();
                        mine.push(tag);
                        if k % 2 == 1 {
                            let tag = format!("shared-{i}-{k}");
                            loop {
                                let current = s.document("shared").unwrap();
                                let base: Option<Vec<String>> = current.as_ref().map(|d| d.heads.clone());
                                let mut w = write("shared", e1, "玉山镇", None, &tag);
                                w.base_heads = base;
                                w.snapshot = match &current {
                                    Some(d) => [d.snapshot.as_slice(), b";", tag.as_bytes()].concat(),
                                    None => tag.as_bytes().to_vec(),
                                };
                                match s.store_accepted(&[w], &device, t(k as i64)) {
                                    Ok(()) => break,
                                    Err(StorageError::Conflict(_)) => continue,
                                    Err(e) => panic!("writer {i}: {e}"),
                                }
                            }
                            mine.push(tag);
                        }
                    }
                    mine
                })
            })
            .collect();
        let accepted = writers.into_iter().map(|w| w.join().unwrap()).collect();
        (accepted, reader.join().unwrap())
    });
    let accepted: Vec<String> = accepted.into_iter().flatten().collect();
    assert_eq!(accepted.len(), WRITERS * (OWN + SHARED));

    // Every accepted write is in the log exactly once.
    let (log, _) = read_log(s, &admin, "auditor", 1000);
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for e in &log {
        *count.entry(String::from_utf8(e.data.clone()).unwrap()).or_default() += 1;
    }
    assert_eq!(log.len(), accepted.len(), "log entries");
    for tag in &accepted {
        assert_eq!(count.get(tag), Some(&1), "{tag} in the log");
    }
    // No lost update of the shared record: every append is in its snapshot once.
    let shared = s.document("shared").unwrap().unwrap();
    let mut parts: Vec<String> = String::from_utf8(shared.snapshot).unwrap().split(';').map(str::to_string).collect();
    parts.sort();
    let mut expected: Vec<String> = accepted.iter().filter(|t| t.starts_with("shared-")).cloned().collect();
    expected.sort();
    assert_eq!(parts, expected);
    // The reader, paging while the writers ran, saw every entry once, in order.
    assert_eq!(read.iter().map(|e| e.seq).collect::<Vec<_>>(), log.iter().map(|e| e.seq).collect::<Vec<_>>());
}

pub(super) fn summaries_follow_their_records_within_scope(h: &Harness) {
    let s = h.storage.as_ref();
    seed_demo(s);
    let (e1, e4) = (demo::credit_code(1), demo::credit_code(4));
    let mut a = write("hz-a", &e1, "玉山镇", None, "a");
    a.summary = Summary::Hazard(hazard_summary("hz-a", &e1, "玉山镇", Status::Rectifying, 20));
    let mut b = write("hz-b", &e4, "周市镇", None, "b");
    let mut conflicted = hazard_summary("hz-b", &e4, "周市镇", Status::PendingReview, 5);
    conflicted.open_conflicts =
        vec![OpenConflict { event_id: "ev-9".into(), message: "两名监管人员作出不同决定".into() }];
    b.summary = Summary::Hazard(conflicted.clone());
    let mut c = write("hz-c", &e1, "玉山镇", None, "c");
    c.summary = Summary::Hazard(hazard_summary("hz-c", &e1, "玉山镇", Status::Closed, 1));
    s.store_accepted(&[a, b, c], "tab-1", t(0)).unwrap();

    let hazards = SummaryQuery::all(DocKind::Hazard);
    // By deadline, then id; the summary comes back as written.
    assert_eq!(listed(s, &hazards), ["hz-c", "hz-b", "hz-a"]);
    assert!(s.summaries(&hazards).unwrap().contains(&Summary::Hazard(conflicted)));
    assert!(listed(s, &SummaryQuery::all(DocKind::Inspection)).is_empty());
    // R2: a township's supervisor, an enterprise, the district.
    let (chen, ent_a, ent_d, admin) = (person("sup-chen"), person("ent-a"), person("ent-d"), person("admin-xu"));
    let scoped = |p: &Person| listed(s, &SummaryQuery { viewer: Some(p), ..hazards.clone() });
    assert_eq!(scoped(&chen), ["hz-c", "hz-a"]);
    assert_eq!(scoped(&ent_a), ["hz-c", "hz-a"]);
    assert_eq!(scoped(&ent_d), ["hz-b"]);
    assert_eq!(scoped(&admin), ["hz-c", "hz-b", "hz-a"]);
    assert!(scoped(&person("ent-b")).is_empty());
    // Filters.
    assert_eq!(listed(s, &SummaryQuery { statuses: Status::OPEN, ..hazards.clone() }), ["hz-b", "hz-a"]);
    assert_eq!(listed(s, &SummaryQuery { open_conflicts: true, ..hazards.clone() }), ["hz-b"]);
    assert_eq!(listed(s, &SummaryQuery { township: Some("周市镇"), ..hazards.clone() }), ["hz-b"]);
    assert_eq!(listed(s, &SummaryQuery { enterprise: Some(&e1), ..hazards.clone() }), ["hz-c", "hz-a"]);
    assert_eq!(listed(s, &SummaryQuery { limit: Some(2), ..hazards.clone() }), ["hz-c", "hz-b"]);
    assert_eq!(listed(s, &SummaryQuery { viewer: Some(&chen), statuses: Status::OPEN, ..hazards.clone() }), ["hz-a"]);

    // The next write of a record replaces its summary in the same transaction.
    let mut closed = write("hz-a", &e1, "玉山镇", Some(&["a"]), "a2");
    closed.summary = Summary::Hazard(hazard_summary("hz-a", &e1, "玉山镇", Status::Closed, 20));
    s.store_accepted(&[closed], "tab-1", t(1)).unwrap();
    assert_eq!(listed(s, &SummaryQuery { statuses: Status::OPEN, ..hazards.clone() }), ["hz-b"]);
    assert_eq!(listed(s, &hazards).len(), 3);
    // A refused write (heads moved) changes no summary either.
    let mut stale = write("hz-b", &e4, "周市镇", Some(&["stale"]), "b2");
    stale.summary = Summary::Hazard(hazard_summary("hz-b", &e4, "周市镇", Status::Closed, 5));
    assert!(matches!(s.store_accepted(&[stale], "tab-1", t(2)), Err(StorageError::Conflict(_))));
    assert_eq!(listed(s, &SummaryQuery { statuses: Status::OPEN, ..hazards.clone() }), ["hz-b"]);
    // Another storage on the same database reads the same summaries.
    let again = (h.reopen)();
    assert_eq!(listed(again.as_ref(), &hazards), ["hz-c", "hz-b", "hz-a"]);
}

/// Records as a server before summaries stored them: a hidden danger with
/// its report, an inspection, and a hidden danger whose report has not
/// arrived (nothing to summarise). (id, kind, enterprise, township, snapshot).
pub(super) fn records_from_before_summaries() -> Vec<(String, DocKind, String, String, Vec<u8>)> {
    use paicha_core::hazard::{next_event, Action, EnterpriseRef, HazardKind, ReportData};
    let e1 = demo::credit_code(1);
    let wang = person("insp-wang");
    let report = ReportData {
        enterprise: EnterpriseRef {
            credit_code: e1.clone(),
            name: "昆山示范铝业有限公司".into(),
            township: "玉山镇".into(),
            grid: String::new(),
            risk_colour: RiskColour::Red,
        },
        sector: "涉爆粉尘".into(),
        inspection_id: None,
        item_code: None,
        location: "抛光车间".into(),
        description: "作业现场积尘严重".into(),
        kind: HazardKind::UnsafeCondition,
        level: Level::General,
        handling: Handling::Deadline,
        before_photos: vec![],
        required_measures: "清理积尘".into(),
        responsible_person: "张厂长".into(),
        funds: None,
        legal_basis: "GB 15577".into(),
        criteria: vec![],
        co_inspectors: vec![person("insp-li")],
        deadline: NaiveDate::from_ymd_opt(2026, 12, 1),
        order_date: None,
    };
    let actor = paicha_core::people::Actor { person: wang.clone(), device_id: "tab-1".into() };
    let event = next_event(&[], "ev-1".into(), t(0), actor, Action::Report(Box::new(report)));
    let mut hazard = RecordDoc::new(DocKind::Hazard, "hz-old", &[1; 16]).unwrap();
    hazard.add_event(&event).unwrap();
    let mut empty = RecordDoc::new(DocKind::Hazard, "hz-empty", &[1; 16]).unwrap();
    let mut inspection = RecordDoc::new(DocKind::Inspection, "in-old", &[1; 16]).unwrap();
    inspection
        .set_header(&InspectionHeader {
            id: "in-old".into(),
            template_id: "dust-explosion".into(),
            template_version: 1,
            sector: "涉爆粉尘".into(),
            enterprise: e1.clone(),
            enterprise_name: "昆山示范铝业有限公司".into(),
            township: "玉山镇".into(),
            inspectors: vec![wang, person("insp-li")],
            source: Source::Routine,
            enforcement: false,
            started_at: t(0),
            device_id: "tab-1".into(),
            location: None,
        })
        .unwrap();
    vec![
        ("hz-old".into(), DocKind::Hazard, e1.clone(), "玉山镇".into(), hazard.save()),
        ("hz-empty".into(), DocKind::Hazard, e1.clone(), "玉山镇".into(), empty.save()),
        ("in-old".into(), DocKind::Inspection, e1, "玉山镇".into(), inspection.save()),
    ]
}

/// What an upgraded database must list for [`records_from_before_summaries`].
pub(super) fn check_upgraded_summaries(s: &dyn Storage) {
    let hazards = s.summaries(&SummaryQuery::all(DocKind::Hazard)).unwrap();
    let [Summary::Hazard(h)] = hazards.as_slice() else { panic!("one hidden danger summarised: {hazards:?}") };
    assert_eq!((h.id.as_str(), h.status, h.township.as_str()), ("hz-old", Status::Rectifying, "玉山镇"));
    assert_eq!(h.deadline, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    assert_eq!(listed(s, &SummaryQuery::all(DocKind::Inspection)), ["in-old"]);
}

mod sqlite {
    use super::Harness;
    use crate::storage::{SqliteStorage, Storage};

    fn make() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let storage = Box::new(SqliteStorage::open(dir.path()).unwrap());
        let path = dir.path().to_path_buf();
        let reopen = Box::new(move || Box::new(SqliteStorage::open(&path).unwrap()) as Box<dyn Storage>);
        Harness { storage, reopen, _guard: Box::new(dir) }
    }

    conformance_suite!(make);

    #[test]
    fn a_database_from_before_summaries_gets_them_when_upgraded() {
        use crate::storage::sqlite::{after_migration, MIGRATIONS};
        let dir = tempfile::tempdir().unwrap();
        {
            let c = rusqlite::Connection::open(dir.path().join("server.db")).unwrap();
            for (i, sql) in MIGRATIONS[..4].iter().enumerate() {
                c.execute_batch(sql).unwrap();
                after_migration(&c, i as i64 + 1).unwrap();
            }
            for (id, kind, enterprise, township, snapshot) in super::records_from_before_summaries() {
                c.execute(
                    "INSERT INTO documents(id, kind, enterprise, township, snapshot, heads) VALUES (?1, ?2, ?3, ?4, ?5, '[]')",
                    rusqlite::params![id, kind.as_str(), enterprise, township, snapshot],
                )
                .unwrap();
            }
            c.pragma_update(None, "user_version", 4).unwrap();
        }
        let upgraded = SqliteStorage::open(dir.path()).unwrap();
        super::check_upgraded_summaries(&upgraded);
    }

    #[test]
    fn a_plan_changed_in_the_database_is_refused_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path()).unwrap();
        let c = rusqlite::Connection::open(dir.path().join("server.db")).unwrap();
        super::check_tampered_plans(&storage, &|sql: &str| c.execute_batch(sql).map_err(|e| e.to_string()), || {
            c.execute_batch("DROP TRIGGER plans_unchangeable").unwrap()
        });
    }
}

pub(super) mod postgres {
    use super::Harness;
    use crate::storage::postgres::{Config, PostgresStorage};
    use crate::storage::Storage;

    /// A database of its own for one test, dropped with it.
    pub(crate) struct ScratchDatabase {
        admin: Config,
        name: String,
        /// Its connection settings.
        pub config: Config,
    }

    impl ScratchDatabase {
        /// Creates an empty database on the server `PAICHA_TEST_POSTGRES` names.
        pub(crate) fn create() -> ScratchDatabase {
            let url = std::env::var("PAICHA_TEST_POSTGRES").unwrap_or_default();
            assert!(
                !url.is_empty(),
                "PAICHA_TEST_POSTGRES is not set: the PostgreSQL storage tests need a server. \
                 Run them through `bash scripts/with-postgres.sh cargo test -p paicha-server` \
                 (it starts a throwaway PostgreSQL 15 cluster and sets the variable), or set \
                 PAICHA_TEST_POSTGRES=postgres://USER@HOST:PORT/DB for a server where USER may create databases."
            );
            let admin: Config = url.parse().unwrap_or_else(|e| panic!("PAICHA_TEST_POSTGRES={url}: {e}"));
            let name = format!("paicha_test_{}", uuid::Uuid::new_v4().simple());
            let mut client = admin
                .connect(::postgres::NoTls)
                .unwrap_or_else(|e| panic!("cannot connect to PAICHA_TEST_POSTGRES={url}: {e}"));
            client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let mut config = admin.clone();
            config.dbname(&name);
            ScratchDatabase { admin, name, config }
        }
    }

    impl Drop for ScratchDatabase {
        fn drop(&mut self) {
            if let Ok(mut c) = self.admin.connect(::postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
            }
        }
    }

    fn make() -> Harness {
        let db = ScratchDatabase::create();
        let storage = Box::new(PostgresStorage::connect(db.config.clone()).unwrap());
        let config = db.config.clone();
        let reopen = Box::new(move || Box::new(PostgresStorage::connect(config.clone()).unwrap()) as Box<dyn Storage>);
        Harness { storage, reopen, _guard: Box::new(db) }
    }

    conformance_suite!(make);

    #[test]
    fn a_database_from_before_summaries_gets_them_when_upgraded() {
        use crate::storage::postgres::{after_migration, MIGRATIONS};
        let db = ScratchDatabase::create();
        {
            let mut c = db.config.connect(::postgres::NoTls).unwrap();
            let mut tx = c.transaction().unwrap();
            tx.batch_execute(MIGRATIONS[0]).unwrap();
            after_migration(&mut tx, 1).unwrap();
            tx.execute("INSERT INTO schema_version(version) VALUES (1)", &[]).unwrap();
            for (id, kind, enterprise, township, snapshot) in super::records_from_before_summaries() {
                tx.execute(
                    "INSERT INTO documents(id, kind, enterprise, township, snapshot, heads) VALUES ($1, $2, $3, $4, $5, '[]')",
                    &[&id, &kind.as_str(), &enterprise, &township, &snapshot],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        let upgraded = PostgresStorage::connect(db.config.clone()).unwrap();
        super::check_upgraded_summaries(&upgraded);
    }

    #[test]
    fn a_plan_changed_in_the_database_is_refused_when_read() {
        let db = ScratchDatabase::create();
        let storage = PostgresStorage::connect(db.config.clone()).unwrap();
        let c = std::cell::RefCell::new(db.config.connect(::postgres::NoTls).unwrap());
        super::check_tampered_plans(
            &storage,
            &|sql: &str| {
                c.borrow_mut()
                    .batch_execute(sql)
                    .map_err(|e| e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string()))
            },
            || c.borrow_mut().batch_execute("ALTER TABLE plans DISABLE TRIGGER plans_unchangeable").unwrap(),
        );
    }

    #[test]
    fn servers_starting_at_once_migrate_one_after_the_other_and_a_newer_schema_is_refused() {
        let db = ScratchDatabase::create();
        let opened: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| PostgresStorage::connect(db.config.clone()))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for o in &opened {
            let storage = o.as_ref().unwrap();
            assert_eq!(storage.reference_version().unwrap(), 1);
        }
        drop(opened);
        let mut c = db.config.connect(::postgres::NoTls).unwrap();
        let rows: i64 = c.query_one("SELECT COUNT(*) FROM schema_version", &[]).unwrap().get(0);
        assert_eq!(rows, 1);
        c.batch_execute("UPDATE schema_version SET version = 99").unwrap();
        let err = PostgresStorage::connect(db.config.clone()).err().unwrap();
        assert!(err.to_string().contains("newer than this server"), "{err}");
    }

    #[test]
    fn an_unreachable_server_is_unavailable() {
        let mut config = Config::new();
        config.host("127.0.0.1").port(1).user("nobody").dbname("nothing");
        config.connect_timeout(std::time::Duration::from_millis(200));
        // The pool keeps trying until it has waited as long as it may.
        let err = PostgresStorage::connect_waiting(config, std::time::Duration::from_millis(500)).err().unwrap();
        assert!(matches!(err, crate::storage::StorageError::Unavailable(_)), "{err}");
    }
}

// --- web console accounts and sessions ---

pub(super) fn console_passwords_are_for_people_of_the_registry(h: &Harness) {
    let s = h.storage.as_ref();
    let err = s.set_console_password("nobody", "$argon2id$x", t(0)).unwrap_err();
    assert!(matches!(err, StorageError::Invalid(_)), "{err}");
    seed_demo(s);
    assert_eq!(s.console_password("sup-chen").unwrap(), None);
    s.set_console_password("sup-chen", "$argon2id$first", t(0)).unwrap();
    assert_eq!(s.console_password("sup-chen").unwrap().as_deref(), Some("$argon2id$first"));
    // A new password ends the person's sessions, nobody else's.
    let session = |id: &str, who: &str| ConsoleSession {
        id_hash: id.into(),
        person_id: who.into(),
        created_at: t(1),
        expires_at: t(600),
        last_seen: t(1),
    };
    s.create_console_session(&session("s-chen", "sup-chen")).unwrap();
    s.create_console_session(&session("s-xu", "admin-xu")).unwrap();
    s.set_console_password("sup-chen", "$argon2id$second", t(2)).unwrap();
    assert_eq!(s.console_password("sup-chen").unwrap().as_deref(), Some("$argon2id$second"));
    assert_eq!(s.console_session("s-chen").unwrap(), None);
    assert!(s.console_session("s-xu").unwrap().is_some());
    // Another server process on the same database sees it.
    let other = (h.reopen)();
    assert_eq!(other.console_password("sup-chen").unwrap().as_deref(), Some("$argon2id$second"));
    assert_eq!(other.console_password("admin-xu").unwrap(), None);
}

pub(super) fn failed_sign_ins_are_counted_atomically_and_forgotten(h: &Harness) {
    let s = h.storage.as_ref();
    // Names need not exist: lockout must not tell whether an account does.
    assert_eq!(s.login_failures("no-such-user").unwrap(), None);
    for i in 1..=3 {
        let f = s.record_login_failure("no-such-user", t(i), t(-1440)).unwrap();
        assert_eq!(f, LoginFailures { count: i as u32, last_at: t(i) });
    }
    assert_eq!(s.login_failures("no-such-user").unwrap(), Some(LoginFailures { count: 3, last_at: t(3) }));
    s.clear_login_failures("no-such-user").unwrap();
    assert_eq!(s.login_failures("no-such-user").unwrap(), None);

    // Two processes counting the same name at once: every failure counts.
    const THREADS: usize = 4;
    const EACH: usize = 10;
    let other = (h.reopen)();
    std::thread::scope(|scope| {
        for i in 0..THREADS {
            let st: &dyn Storage = if i % 2 == 0 { s } else { other.as_ref() };
            scope.spawn(move || {
                for _ in 0..EACH {
                    s_retry(|| st.record_login_failure("sup-chen", t(10), t(-1440)));
                }
            });
        }
    });
    assert_eq!(s.login_failures("sup-chen").unwrap().map(|f| f.count), Some((THREADS * EACH) as u32));

    // A day later the old failures are forgotten, of that name and of others.
    s.record_login_failure("typo", t(20), t(-1440)).unwrap();
    let fresh = s.record_login_failure("sup-chen", t(20 + 1441), t(21)).unwrap();
    assert_eq!(fresh, LoginFailures { count: 1, last_at: t(20 + 1441) });
    assert_eq!(s.login_failures("typo").unwrap(), None);
}

/// The web console's device of a person is made once, with the actor given
/// the first time; it cannot be used by another person, nor shadow a tablet
/// waiting for enrollment, and its revocation is reported.
pub(super) fn web_devices_are_bound_once_per_person(h: &Harness) {
    let s = h.storage.as_ref();
    seed_demo(s);
    let first = "c3".repeat(16);
    let d = s.web_device("web-sup-chen", "sup-chen", &first, t(0)).unwrap();
    assert_eq!(d.actor.as_deref(), Some(first.as_str()));
    assert_eq!(d.user_id, "sup-chen");
    // Later calls keep the bound actor.
    let again = s.web_device("web-sup-chen", "sup-chen", &"d4".repeat(16), t(1)).unwrap();
    assert_eq!(again, d);
    assert!(s.devices().unwrap().contains(&d), "listed with the devices");
    assert!(matches!(s.web_device("web-sup-chen", "ent-a", &"e5".repeat(16), t(1)), Err(StorageError::Conflict(_))));
    assert!(matches!(s.web_device("web-nobody", "nobody", &"f6".repeat(16), t(1)), Err(StorageError::Invalid(_))));
    s.add_device("tab-wait", "insp-wang", "code-w", t(1)).unwrap();
    assert!(matches!(s.web_device("tab-wait", "insp-wang", &"a7".repeat(16), t(1)), Err(StorageError::Conflict(_))));
    // No token: it cannot sync.
    assert_eq!(s.device_by_token("").unwrap(), None);
    assert!(s.revoke("web-sup-chen", t(2)).unwrap());
    assert_eq!(s.web_device("web-sup-chen", "sup-chen", &first, t(3)).unwrap().revoked_at, Some(t(2).0));
}

/// Retries a storage call that found the database busy (concurrent writers).
fn s_retry<T>(mut f: impl FnMut() -> Result<T>) -> T {
    for _ in 0..50 {
        match f() {
            Err(StorageError::Unavailable(_)) => std::thread::sleep(std::time::Duration::from_millis(20)),
            other => return other.unwrap(),
        }
    }
    panic!("still unavailable after 50 tries")
}

pub(super) fn console_sessions_are_shared_expire_and_end(h: &Harness) {
    let s = h.storage.as_ref();
    let new = ConsoleSession {
        id_hash: "a".repeat(64),
        person_id: "sup-chen".into(),
        created_at: t(0),
        expires_at: t(720),
        last_seen: t(0),
    };
    let err = s.create_console_session(&new).unwrap_err();
    assert!(matches!(err, StorageError::Invalid(_)), "a session for someone not in the registry: {err}");
    seed_demo(s);
    s.create_console_session(&new).unwrap();
    let err = s.create_console_session(&new).unwrap_err();
    assert!(matches!(err, StorageError::Conflict(_)), "the same id twice: {err}");
    assert_eq!(s.console_session(&new.id_hash).unwrap().as_ref(), Some(&new));
    assert_eq!(s.console_session(&"b".repeat(64)).unwrap(), None);

    // The other process (or this one after a restart) knows the session and its use.
    let other = (h.reopen)();
    assert!(other.touch_console_session(&new.id_hash, t(30)).unwrap());
    // A late touch from a slower process never moves last_seen back.
    assert!(s.touch_console_session(&new.id_hash, t(20)).unwrap());
    assert_eq!(s.console_session(&new.id_hash).unwrap().map(|x| x.last_seen), Some(t(30)));
    assert!(!s.touch_console_session(&"b".repeat(64), t(30)).unwrap());

    // Stale sessions go: expired, or idle too long; the rest stay.
    let idle = ConsoleSession { id_hash: "c".repeat(64), last_seen: t(1), ..new.clone() };
    let expired = ConsoleSession { id_hash: "d".repeat(64), expires_at: t(40), last_seen: t(39), ..new.clone() };
    s.create_console_session(&idle).unwrap();
    s.create_console_session(&expired).unwrap();
    assert_eq!(s.delete_stale_console_sessions(t(40), t(10)).unwrap(), 2);
    assert_eq!(s.console_session(&idle.id_hash).unwrap(), None);
    assert_eq!(s.console_session(&expired.id_hash).unwrap(), None);
    assert!(s.console_session(&new.id_hash).unwrap().is_some());

    // Sign-out in one process ends it in the other.
    assert!(other.delete_console_session(&new.id_hash).unwrap());
    assert_eq!(s.console_session(&new.id_hash).unwrap(), None);
    assert!(!s.delete_console_session(&new.id_hash).unwrap());
}

fn notice(hazard: &str, kind: &str, township: &str, at: Timestamp, outlets: &[&str]) -> Notice {
    Notice {
        key: format!("{hazard}/{kind}"),
        hazard_id: hazard.into(),
        kind: kind.into(),
        township: township.into(),
        summary: hazard_summary(hazard, "91320583MA1XXXXX0X", township, Status::Rectifying, 3),
        created_at: at,
        deliveries: outlets
            .iter()
            .map(|o| NoticeDelivery {
                outlet: (*o).into(),
                attempts: 0,
                last_error: None,
                last_attempt_at: None,
                next_attempt_at: at,
                delivered_at: None,
            })
            .collect(),
    }
}

pub(super) fn notices_are_made_once_and_deliveries_retried_until_made(h: &Harness) {
    let s = h.storage.as_ref();
    let first = notice("hd-1", "township", "周市镇", t(0), &["email", "webhook"]);
    assert!(s.insert_notice(&first).unwrap());
    // The same step again (another run, another process) changes nothing.
    let again = notice("hd-1", "township", "周市镇", t(5), &["email"]);
    assert!(!s.insert_notice(&again).unwrap());
    assert!(!h.reopen.as_ref()().insert_notice(&again).unwrap());
    assert!(s.insert_notice(&notice("hd-2", "reminder_7", "陆家镇", t(1), &["webhook"])).unwrap());
    assert_eq!(
        s.notices(None, 10).unwrap().iter().map(|n| n.key.as_str()).collect::<Vec<_>>(),
        ["hd-2/reminder_7", "hd-1/township"]
    );
    assert_eq!(s.notices(Some("周市镇"), 10).unwrap(), vec![first.clone()]);
    assert_eq!(s.notices(None, 1).unwrap().len(), 1);

    // Due at t(1): both notices, oldest first.
    let due = s.due_notice_deliveries(t(1), 10).unwrap();
    assert_eq!(due.iter().map(|n| n.key.as_str()).collect::<Vec<_>>(), ["hd-1/township", "hd-2/reminder_7"]);
    assert_eq!(s.due_notice_deliveries(t(0), 10).unwrap().len(), 1, "hd-2 is not due before it was made");
    // One process claims a delivery; the other cannot take it too.
    assert!(s.claim_notice_delivery("hd-1/township", "webhook", t(1), t(3)).unwrap());
    assert!(!h.reopen.as_ref()().claim_notice_delivery("hd-1/township", "webhook", t(1), t(3)).unwrap());
    s.finish_notice_delivery("hd-1/township", "webhook", t(2), Err("connection refused".into()), t(10)).unwrap();
    assert!(s.claim_notice_delivery("hd-1/township", "email", t(1), t(3)).unwrap());
    s.finish_notice_delivery("hd-1/township", "email", t(2), Ok(()), t(10)).unwrap();
    let d = &s.notices(Some("周市镇"), 10).unwrap()[0].deliveries;
    assert_eq!(d[0].outlet, "email");
    assert_eq!((d[0].attempts, d[0].delivered_at), (1, Some(t(2))));
    assert_eq!(d[1].outlet, "webhook");
    assert_eq!((d[1].attempts, d[1].delivered_at, d[1].last_error.as_deref()), (1, None, Some("connection refused")));
    assert_eq!(d[1].next_attempt_at, t(10));
    // The failed one is kept, and due again only from its retry time.
    assert!(s.due_notice_deliveries(t(9), 10).unwrap().iter().all(|n| n.key != "hd-1/township"));
    assert!(!s.claim_notice_delivery("hd-1/township", "webhook", t(9), t(12)).unwrap());
    assert!(s.due_notice_deliveries(t(10), 10).unwrap().iter().any(|n| n.key == "hd-1/township"));
    assert!(s.claim_notice_delivery("hd-1/township", "webhook", t(10), t(12)).unwrap());
    s.finish_notice_delivery("hd-1/township", "webhook", t(11), Ok(()), t(20)).unwrap();
    let d = &s.notices(Some("周市镇"), 10).unwrap()[0].deliveries[1];
    assert_eq!((d.attempts, d.delivered_at, d.last_error.as_deref()), (2, Some(t(11)), Some("connection refused")));
    // Delivered is final: not due, not claimable, a late failure is refused.
    assert!(s.due_notice_deliveries(t(100), 10).unwrap().iter().all(|n| n.key != "hd-1/township"));
    assert!(!s.claim_notice_delivery("hd-1/township", "webhook", t(100), t(102)).unwrap());
    assert!(matches!(
        s.finish_notice_delivery("hd-1/township", "webhook", t(100), Err("late".into()), t(110)),
        Err(StorageError::Invalid(_))
    ));
}

// --- random inspection plans (R16) ---

/// Plan inputs over the demo district: every enterprise a target, the four
/// demo inspectors, teams of two.
pub(super) fn plan_inputs(id: &str, seed: &str) -> planning::PlanInputs {
    use paicha_core::people::Role;
    planning::PlanInputs {
        plan_id: id.into(),
        title: "2026年第三季度双随机抽查".into(),
        period_start: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
        period_end: NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
        seed: seed.into(),
        targets: demo::enterprises()
            .into_iter()
            .map(|e| planning::Target {
                credit_code: e.credit_code,
                name: e.name,
                township: e.township,
                risk_colour: e.risk_colour,
            })
            .collect(),
        inspectors: demo::people()
            .into_iter()
            .filter(|p| p.role == Role::Inspector)
            .map(|p| planning::Inspector {
                person_id: p.id,
                name: p.name,
                certificate_no: p.certificate_no.unwrap_or_default(),
                conflicts: vec![],
            })
            .collect(),
        ratios: planning::SamplingRatios {
            red_permille: 1000,
            orange_permille: 500,
            yellow_permille: 500,
            blue_permille: 100,
        },
        team_size: 2,
    }
}

fn stored_plan(id: &str, seed: &str, at: Timestamp) -> StoredPlan {
    StoredPlan {
        plan: planning::generate(&plan_inputs(id, seed)).unwrap(),
        created_by: "admin-xu".into(),
        created_at: at,
    }
}

fn plan_ids(list: &[StoredPlan]) -> Vec<&str> {
    list.iter().map(StoredPlan::id).collect()
}

pub(super) fn plans_are_stored_once_and_checked_when_read(h: &Harness) {
    let s = h.storage.as_ref();
    assert!(s.plans().unwrap().is_empty());
    assert_eq!(s.plan("XH-2026-Q3-01").unwrap(), None);
    let first = stored_plan("XH-2026-Q3-01", "2026-06-30 福利彩票 123", t(0));
    s.insert_plan(&first).unwrap();
    assert_eq!(s.plan("XH-2026-Q3-01").unwrap().as_ref(), Some(&first));

    // The same id again is refused, with other content or the same: never overwritten.
    let other = stored_plan("XH-2026-Q3-01", "another seed", t(1));
    let err = s.insert_plan(&other).unwrap_err();
    assert!(matches!(&err, StorageError::Conflict(m) if m.contains("XH-2026-Q3-01")), "{err}");
    let err = h.reopen.as_ref()().insert_plan(&first).unwrap_err();
    assert!(matches!(err, StorageError::Conflict(_)), "{err}");
    assert_eq!(s.plan("XH-2026-Q3-01").unwrap().as_ref(), Some(&first));

    // A plan that does not check out is not stored.
    let mut edited = stored_plan("XH-2026-Q3-02", "seed", t(2));
    edited.plan.selections[0].team.reverse();
    let err = s.insert_plan(&edited).unwrap_err();
    assert!(matches!(&err, StorageError::Invalid(m) if m.contains("XH-2026-Q3-02") && m.contains("R16")), "{err}");
    assert_eq!(s.plan("XH-2026-Q3-02").unwrap(), None);

    // Newest first, the same in another process.
    let second = stored_plan("XH-2026-Q4-01", "种子 四季度", t(5));
    s.insert_plan(&second).unwrap();
    assert_eq!(plan_ids(&s.plans().unwrap()), ["XH-2026-Q4-01", "XH-2026-Q3-01"]);
    let again = h.reopen.as_ref()().plans().unwrap();
    assert_eq!(again, vec![second, first]);
}

/// A stored plan changed behind the server's back: the database refuses an
/// update (`exec` fails) until `disarm` removes its guard; then reading the
/// changed row is an error naming the plan.
pub(super) fn check_tampered_plans(
    s: &dyn Storage,
    exec: &dyn Fn(&str) -> std::result::Result<(), String>,
    disarm: impl FnOnce(),
) {
    let p = stored_plan("XH-2026-Q3-01", "seed-1", t(0));
    s.insert_plan(&p).unwrap();
    let err = exec("UPDATE plans SET title = 'changed'").unwrap_err();
    assert!(err.contains("R16"), "{err}");
    assert!(exec("DELETE FROM plans").is_err());
    assert_eq!(s.plan("XH-2026-Q3-01").unwrap().as_ref(), Some(&p));

    disarm();
    exec("UPDATE plans SET title = 'changed'").unwrap();
    let err = s.plan("XH-2026-Q3-01").unwrap_err();
    assert!(matches!(&err, StorageError::Corrupt(m) if m.contains("XH-2026-Q3-01") && m.contains("title")), "{err}");
    assert!(matches!(s.plans(), Err(StorageError::Corrupt(_))));
    exec(&format!("UPDATE plans SET title = '{}'", p.plan.inputs.title)).unwrap();
    assert_eq!(s.plan("XH-2026-Q3-01").unwrap().as_ref(), Some(&p));

    // The plan JSON itself: another seed no longer gives its hashes.
    exec("UPDATE plans SET plan = replace(plan, 'seed-1', 'seed-2')").unwrap();
    let err = s.plan("XH-2026-Q3-01").unwrap_err();
    assert!(matches!(&err, StorageError::Corrupt(m) if m.contains("XH-2026-Q3-01") && m.contains("R16")), "{err}");
}
