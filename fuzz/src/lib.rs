//! The bodies of paicha's fuzz targets, and the seed inputs they start from.
//!
//! Each `fuzz_targets/<name>.rs` only calls `run_<name>`. The same functions
//! replay the committed corpora and every input that ever crashed a target in
//! an ordinary `cargo test` (`core/tests/fuzz_replay.rs` includes this file
//! with `#[path]`), so this file may use `paicha_core` and `std` only. The
//! body of `http_sync`, which needs the sync server, is `src/http.rs`, outside
//! the lib (its target and `sync-server/tests/fuzz_replay_http.rs` include it).
//!
//! A target passes an input when it returns: an `Err` from the code under
//! test is a correct answer to hostile bytes, a panic is a bug.

#![forbid(unsafe_code)]

use paicha_core::demo;
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::hazard::{next_event, Action, EnterpriseRef, Event, Handling, HazardKind, Level, ReportData};
use paicha_core::inspection::{Answer, AnswerValue, Completion, InspectionHeader, Signature, Source};
use paicha_core::people::{Actor, Person};
use paicha_core::policy::Policy;
use paicha_core::sync::validate::{validate_upload, Accepted, Clocks, MemoryView, UploadError, Uploader};
use paicha_core::sync::wire::{self, Bytes, DocUpload, SyncRequest, SyncResponse};
use paicha_core::time::Timestamp;
use std::sync::OnceLock;

/// `wire_decode`: the input as a whole sync message, then as the deflate
/// body of one (header supplied), then as the JSON inside one (header and a
/// stored, uncompressed deflate block supplied, so mutations reach the JSON
/// and the message types' deserializers directly).
pub fn run_wire_decode(data: &[u8]) {
    let _ = wire::decode::<SyncRequest>(data);
    let _ = wire::decode::<SyncResponse>(data);
    let mut framed = b"PSY\x01".to_vec();
    framed.extend_from_slice(data);
    let _ = wire::decode::<SyncRequest>(&framed);
    let _ = wire::decode::<SyncResponse>(&framed);
    let stored = stored_message(data);
    let _ = wire::decode::<SyncRequest>(&stored);
    let _ = wire::decode::<SyncResponse>(&stored);
}

/// A version-1 sync message whose deflate body holds `json` in stored
/// (uncompressed) blocks (RFC 1951 §3.2.4).
pub fn stored_message(json: &[u8]) -> Vec<u8> {
    let mut out = b"PSY\x01".to_vec();
    let mut chunks = json.chunks(u16::MAX as usize).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        let len = chunk.len() as u16;
        out.push(u8::from(last));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// `doc_load`: the input as a saved document, read the way the store and the
/// server read one.
pub fn run_doc_load(data: &[u8]) {
    if let Ok(mut doc) = RecordDoc::load("x", data, &[], &[1; 16]) {
        let _ = doc.kind();
        let keys = doc.keys();
        for key in &keys {
            let _ = doc.values(key);
        }
        let _ = doc.events();
        let _ = doc.inspection();
        let _ = doc.answer_conflicts();
        let _ = doc.heads();
    }
}

/// `upload_validate`: the input as the Automerge changes of an upload from
/// the fixture's device, checked by the server's `validate_upload` three
/// ways: on top of the fixture's hidden danger, as the first upload of that
/// hidden danger, and as the first upload of an inspection.
pub fn run_upload_validate(data: &[u8]) {
    let _ = validate(Target::HazardOnServer, data);
    let _ = validate(Target::NewHazard, data);
    let _ = validate(Target::NewInspection, data);
}

/// What an upload is validated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Hidden danger [`HAZARD_ID`], which the server has: [`UploadFixture::server_doc`].
    HazardOnServer,
    /// Hidden danger [`HAZARD_ID`], new to the server.
    NewHazard,
    /// Inspection [`INSPECTION_ID`], new to the server.
    NewInspection,
}

/// Record id of the fixture's hidden danger.
pub const HAZARD_ID: &str = "h";
/// Record id of the fixture's inspection.
pub const INSPECTION_ID: &str = "i";
/// The uploading device's Automerge actor id.
pub const DEVICE_ACTOR: [u8; 16] = [7; 16];
/// Device clock of the seed events, and the server's clock.
pub const NOW: Timestamp = Timestamp(1_790_000_000_000);

/// The fixed server side of `upload_validate`: who uploads, and what the
/// server already stores.
pub struct UploadFixture {
    /// The uploader's registry entry (an inspector of 玉山镇).
    pub person: Person,
    /// The enrolled device.
    pub device_id: String,
    /// Its actor id, hex.
    pub actor_hex: String,
    /// The district's policy.
    pub policy: Policy,
    /// Largest upload per document.
    pub max_bytes: usize,
    /// The server's copy of hidden danger [`HAZARD_ID`]: one valid report
    /// made on the device, saved.
    pub server_doc: Vec<u8>,
    /// The report event in it.
    pub report: Event,
    /// What the server knows besides the record: the demo district.
    pub view: MemoryView,
}

/// Builds the fixture. The one place that constructs the upload's server
/// side: a change to these types or to `validate_upload` is fixed here and
/// in [`validate`].
pub fn upload_fixture() -> UploadFixture {
    let person = demo::person_by_id("insp-wang").expect("demo person insp-wang");
    let actor = Actor { person: person.clone(), device_id: "t".into() };
    let policy = Policy::default();
    let e = &demo::enterprises()[0];
    let report = Action::Report(Box::new(ReportData {
        enterprise: EnterpriseRef {
            credit_code: e.credit_code.clone(),
            name: e.name.clone(),
            township: e.township.clone(),
            grid: e.grid.clone(),
            risk_colour: e.risk_colour,
        },
        sector: String::new(),
        inspection_id: None,
        item_code: None,
        location: String::new(),
        description: "x".into(),
        kind: HazardKind::UnsafeCondition,
        level: Level::General,
        handling: Handling::Deadline,
        before_photos: vec![],
        required_measures: String::new(),
        responsible_person: String::new(),
        funds: None,
        legal_basis: String::new(),
        criteria: vec![],
        co_inspectors: vec![demo::person_by_id("insp-li").expect("demo person insp-li")],
        deadline: None,
        order_date: None,
    }));
    let ctx = paicha_core::workflow::Context { now: NOW, policy: &policy, inspection_open: None };
    let report = paicha_core::workflow::decide(None, &actor, report, &ctx).expect("a valid report");
    let report = next_event(&[], "e1".into(), NOW, actor.clone(), report);
    let mut doc = RecordDoc::new(DocKind::Hazard, HAZARD_ID, &DEVICE_ACTOR).expect("new hazard document");
    doc.add_event(&report).expect("report event");
    UploadFixture {
        person,
        device_id: actor.device_id,
        actor_hex: DEVICE_ACTOR.iter().map(|b| format!("{b:02x}")).collect(),
        policy,
        max_bytes: 1 << 20,
        server_doc: doc.save(),
        report,
        view: MemoryView::demo(),
    }
}

fn fixture() -> &'static UploadFixture {
    static FIXTURE: OnceLock<UploadFixture> = OnceLock::new();
    FIXTURE.get_or_init(upload_fixture)
}

/// Validates `changes` as an upload from the fixture's device to `target`.
pub fn validate(target: Target, changes: &[u8]) -> Result<Accepted, UploadError> {
    let f = fixture();
    let who = Uploader { device_id: &f.device_id, actor_hex: &f.actor_hex, person: &f.person };
    let (doc_id, kind) = match target {
        Target::HazardOnServer | Target::NewHazard => (HAZARD_ID, "hazard"),
        Target::NewInspection => (INSPECTION_ID, "inspection"),
    };
    let mut server = match target {
        Target::HazardOnServer => {
            Some(RecordDoc::load(HAZARD_ID, &f.server_doc, &[], &[0; 16]).expect("the fixture's server document"))
        }
        Target::NewHazard | Target::NewInspection => None,
    };
    let upload = DocUpload { doc_id: doc_id.into(), kind: kind.into(), changes: Bytes(changes.to_vec()) };
    // The server receives the uploads a day after the fixture was made.
    let clocks = Clocks { server_now: Timestamp(NOW.0 + 86_400_000), device_offset_ms: None };
    validate_upload(server.as_mut(), &upload, &who, &f.policy, &f.view, clocks, f.max_bytes)
}

/// The fixture's hidden danger as the device has it (the server's copy),
/// loaded with `actor`.
pub fn device_hazard(actor: &[u8]) -> RecordDoc {
    RecordDoc::load(HAZARD_ID, &fixture().server_doc, &[], actor).expect("the fixture's server document")
}

/// A follow-up event on the fixture's hidden danger by the fixture's device.
pub fn follow_up(id: &str, action: Action) -> Event {
    let f = fixture();
    let actor = Actor { person: f.person.clone(), device_id: f.device_id.clone() };
    next_event(std::slice::from_ref(&f.report), id.into(), Timestamp(NOW.0 + 60_000), actor, action)
}

/// An inspection of the fixture's enterprise by the fixture's device: the
/// header, and `answers` (item code, value).
pub fn inspection_doc(actor: &[u8], answers: &[(&str, AnswerValue)], completed: bool) -> RecordDoc {
    let f = fixture();
    let e = &demo::enterprises()[0];
    let header = InspectionHeader {
        id: INSPECTION_ID.into(),
        template_id: "small-manufacturing".into(),
        template_version: 1,
        sector: "加工制造类小微企业".into(),
        enterprise: e.credit_code.clone(),
        enterprise_name: e.name.clone(),
        township: e.township.clone(),
        inspectors: vec![f.person.clone(), demo::person_by_id("insp-li").expect("demo person insp-li")],
        source: Source::Routine,
        enforcement: false,
        started_at: NOW,
        device_id: f.device_id.clone(),
        location: None,
    };
    let mut doc = RecordDoc::new(DocKind::Inspection, INSPECTION_ID, actor).expect("new inspection document");
    doc.set_header(&header).expect("header");
    for (i, (code, value)) in answers.iter().enumerate() {
        let answer = Answer {
            item_code: (*code).into(),
            value: value.clone(),
            note: String::new(),
            photos: vec![],
            by: f.person.id.clone(),
            at: Timestamp(NOW.0 + 1000 * i as i64),
        };
        doc.set_answer(&answer).expect("answer");
    }
    if completed {
        let signatures = vec![Signature { name: f.person.name.clone(), capacity: "inspector".into(), image: None }];
        doc.set_completion(&Completion { ended_at: Timestamp(NOW.0 + 3_600_000), by: f.person.id.clone(), signatures })
            .expect("completion");
    }
    doc
}

/// Seed inputs of `upload_validate`, by name, with whether the server accepts
/// them on [`Target::HazardOnServer`] or [`Target::NewInspection`].
pub fn upload_seeds() -> Vec<(&'static str, Vec<u8>, bool)> {
    let mut out = vec![];
    // The device's whole hidden danger: a replay of what the server has.
    out.push(("report-replay", device_hazard(&DEVICE_ACTOR).save(), true));
    // A new event on top of the server's document: only the new change...
    // A follow-up the rules accept: the inspector edits the description.
    let edit = paicha_core::hazard::Edit { description: Some("改写".into()), ..Default::default() };
    let criteria = follow_up("e2", Action::Edit(edit));
    let mut doc = device_hazard(&DEVICE_ACTOR);
    doc.add_event(&criteria).expect("event");
    out.push(("criteria-met-incremental", doc.save_incremental(), true));
    // ... and the whole document with it.
    out.push(("criteria-met-whole", doc.save(), true));
    // A well-formed change the rules refuse: an inspector cannot void (R12).
    let mut doc = device_hazard(&DEVICE_ACTOR);
    doc.add_event(&follow_up("e3", Action::Void { reason: "recorded in error".into() })).expect("event");
    out.push(("void-refused", doc.save_incremental(), false));
    // A change signed by another device's actor.
    let mut doc = device_hazard(&[9; 16]);
    doc.add_event(&criteria).expect("event");
    out.push(("other-actor-refused", doc.save_incremental(), false));
    // An inspection with every item answered (R4), completed.
    let answers = [
        ("SM-01", AnswerValue::Conforms),
        ("SM-02", AnswerValue::DoesNotConform),
        ("SM-03", AnswerValue::Conforms),
        ("SM-04", AnswerValue::NotApplicable),
        ("SM-05", AnswerValue::Conforms),
        ("SM-06", AnswerValue::Conforms),
        ("SM-07", AnswerValue::NotApplicable),
        ("SM-08", AnswerValue::Conforms),
    ];
    out.push(("inspection-completed", inspection_doc(&DEVICE_ACTOR, &answers, true).save(), true));
    out
}

/// Seed inputs of `doc_load`: saved documents, by name.
pub fn doc_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = vec![];
    let mut hazard = device_hazard(&DEVICE_ACTOR);
    out.push(("hazard-reported", hazard.save()));
    hazard.add_event(&follow_up("e2", Action::CriteriaMet { reasons: vec!["direct".into()] })).expect("event");
    out.push(("hazard-two-events", hazard.save()));
    let answers = [
        ("1.1", AnswerValue::Conforms),
        ("1.2", AnswerValue::Number { value: 2.5 }),
        ("1.3", AnswerValue::Text { text: "门锁损坏".into() }),
        ("1.4", AnswerValue::NotApplicable),
    ];
    out.push(("inspection-answered", inspection_doc(&DEVICE_ACTOR, &answers, false).save()));
    out.push(("inspection-completed", inspection_doc(&DEVICE_ACTOR, &answers[..2], true).save()));
    // Two devices answer the same item at once: answer_conflicts has work to do.
    let mut a = inspection_doc(&DEVICE_ACTOR, &answers[..1], false);
    let mut b = RecordDoc::load(INSPECTION_ID, &a.save(), &[], &[8; 16]).expect("fork");
    let f = fixture();
    let other = Answer {
        item_code: "1.1".into(),
        value: AnswerValue::DoesNotConform,
        note: "另一台平板".into(),
        photos: vec![],
        by: "insp-li".into(),
        at: Timestamp(NOW.0 + 5000),
    };
    b.set_answer(&other).expect("answer");
    let mine = Answer { note: "本机".into(), by: f.person.id.clone(), ..other.clone() };
    a.set_answer(&Answer { value: AnswerValue::Conforms, ..mine }).expect("answer");
    a.merge(&mut b).expect("merge");
    out.push(("inspection-conflict", a.save()));
    out
}
