//! Hostile input is a test category: arbitrary bytes, and valid messages and
//! Automerge changes with bytes flipped, fed to the wire decoder, the
//! document loader and the server's upload validation. Each must answer
//! with a clean error (or accept), never panic.

use paicha_core::demo;
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::hazard::{next_event, Action, EnterpriseRef, Handling, HazardKind, Level, ReportData};
use paicha_core::people::Actor;
use paicha_core::policy::Policy;
use paicha_core::sync::validate::{validate_upload, Clocks, MemoryView, Uploader};
use paicha_core::sync::wire::{self, Bytes, DocUpload, SyncRequest, SyncResponse};
use paicha_core::time::Timestamp;
use proptest::prelude::*;

fn valid_change() -> Vec<u8> {
    let person = demo::person_by_id("insp-wang").expect("demo");
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
        co_inspectors: vec![demo::person_by_id("insp-li").expect("demo")],
        deadline: None,
        order_date: None,
    }));
    let actor = Actor { person, device_id: "t".into() };
    let at = Timestamp(1_790_000_000_000);
    let policy = Policy::default();
    let ctx = paicha_core::workflow::Context { now: at, policy: &policy, inspection_open: None };
    let report = paicha_core::workflow::decide(None, &actor, report, &ctx).expect("a valid report");
    let mut doc = RecordDoc::new(DocKind::Hazard, "h", &[7; 16]).expect("doc");
    let ev = next_event(&[], "e1".into(), at, actor, report);
    doc.add_event(&ev).expect("event");
    doc.save()
}

fn mutate(mut bytes: Vec<u8>, flips: &[(usize, u8)]) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    for (i, b) in flips {
        let n = bytes.len();
        bytes[i % n] ^= b | 1;
    }
    bytes
}

fn check_upload(bytes: &[u8]) {
    let person = demo::person_by_id("insp-wang").expect("demo");
    let who = Uploader { device_id: "t", actor_hex: "07070707070707070707070707070707", person: &person };
    let up = DocUpload { doc_id: "h".into(), kind: "hazard".into(), changes: Bytes(bytes.to_vec()) };
    let _ = validate_upload(
        None,
        &up,
        &who,
        &Policy::default(),
        &MemoryView::demo(),
        Clocks { server_now: Timestamp(1_790_000_000_000), device_offset_ms: None },
        1 << 20,
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = wire::decode::<SyncRequest>(&bytes);
        let _ = wire::decode::<SyncResponse>(&bytes);
        let mut framed = b"PSY\x01".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = wire::decode::<SyncRequest>(&framed);
        let _ = RecordDoc::empty("h", &[1; 16]).apply(&bytes);
        check_upload(&bytes);
    }

    #[test]
    fn mutated_messages_and_changes_never_panic(flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let change = valid_change();
        let req = SyncRequest {
            cursor: 3,
            reference_version: 1,
            uploads: vec![DocUpload { doc_id: "h".into(), kind: "hazard".into(), changes: Bytes(change.clone()) }],
            page_size: 10,
            device_time: None,
        };
        let _ = wire::decode::<SyncRequest>(&mutate(wire::encode(&req), &flips));
        let bad = mutate(change, &flips);
        let _ = RecordDoc::empty("h", &[1; 16]).apply(&bad);
        check_upload(&bad);
    }
}

#[test]
fn the_unmutated_change_is_accepted() {
    // The baseline of the mutation test is a valid upload.
    let person = demo::person_by_id("insp-wang").expect("demo");
    let who = Uploader { device_id: "t", actor_hex: "07070707070707070707070707070707", person: &person };
    let up = DocUpload { doc_id: "h".into(), kind: "hazard".into(), changes: Bytes(valid_change()) };
    let ok = validate_upload(
        None,
        &up,
        &who,
        &Policy::default(),
        &MemoryView::demo(),
        Clocks { server_now: Timestamp(1_790_000_000_000), device_offset_ms: None },
        1 << 20,
    );
    assert!(ok.is_ok(), "{:?}", ok.err());
}
