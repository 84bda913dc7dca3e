//! Where the bytes of a one-field change go (docs/performance.md):
//! `cargo run -p paicha-core --example change_size`.

use paicha_core::demo;
use paicha_core::hazard::{Action, Edit};
use paicha_core::sync::wire::{self, Bytes, DocUpload, SyncRequest};
use paicha_core::time::Timestamp;
use paicha_store::{NewHazard, Store};

fn main() -> Result<(), paicha_store::Error> {
    let dir = std::env::temp_dir().join(format!("paicha-change-size-{}", std::process::id()));
    let store = Store::create(&dir, "tablet-1")?;
    store.seed_demo_district()?;
    let now = Timestamp::now();
    let h = store.report_hazard(
        "insp-wang",
        NewHazard {
            enterprise: demo::credit_code(1),
            description: Some("配电箱未接地".into()),
            co_inspectors: vec!["insp-li".into()],
            ..NewHazard::default()
        },
        now,
    )?;
    let before = store.pending_uploads(1 << 20)?;
    let heads = {
        let mut d = paicha_core::doc::RecordDoc::load(&h.id, &store.document_bytes(&h.id)?, &[], &[1; 16])?;
        d.heads()
    };
    let edit = Edit { location: Some("二号车间东侧".into()), ..Edit::default() };
    let after = store.act("insp-wang", &h.id, Action::Edit(edit), now)?;
    let event = after.history.last().map(|e| e.event_id.clone()).unwrap_or_default();
    let mut doc = paicha_core::doc::RecordDoc::load(&h.id, &store.document_bytes(&h.id)?, &[], &[1; 16])?;
    let json = doc.events()?.into_iter().find(|e| e.id == event).map(|e| serde_json::to_string(&e).unwrap_or_default());
    let change = doc.changes_after(&heads);
    let req = SyncRequest {
        cursor: 1,
        reference_version: 1,
        uploads: vec![DocUpload { doc_id: h.id.clone(), kind: "hazard".into(), changes: Bytes(change.clone()) }],
        page_size: 2000,
        device_time: Some(paicha_core::time::Timestamp::now().0),
    };
    println!("initial_upload_bytes {} bytes", before.iter().map(|u| u.changes.0.len()).sum::<usize>());
    println!("event_json {} bytes", json.map(|j| j.len()).unwrap_or(0));
    println!("automerge_change {} bytes", change.len());
    println!("request_encoded {} bytes", wire::encode(&req).len());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
