//! Writes the seed corpora to `fuzz/corpus/<target>/seed-*`:
//!
//! ```sh
//! cd fuzz && cargo run --example seed
//! ```
//!
//! Seeds are starting points only; the corpora grow (and are minimised) by
//! fuzzing. Re-running overwrites the seeds and leaves other inputs alone.

use paicha_core::demo;
use paicha_core::policy::Policy;
use paicha_core::sync::wire::{
    self, Bytes, DocAck, DocChanges, DocRefusal, DocUpload, Receipt, ReferenceData, SyncRequest, SyncResponse,
};
use paicha_fuzz::{doc_seeds, upload_seeds, HAZARD_ID, INSPECTION_ID};
use std::path::{Path, PathBuf};

// The body of http_sync is not part of the lib (see fuzz_targets/http_sync.rs).
use paicha_fuzz as fuzz_bodies;
#[allow(dead_code)]
#[path = "../src/http.rs"]
mod http;

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(format!("seed-{name}"));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    println!("{:>7} bytes  {}", bytes.len(), path.display());
}

fn dir(root: &Path, target: &str) -> PathBuf {
    let d = root.join("corpus").join(target);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let uploads = upload_seeds();

    let wire_dir = dir(root, "wire_decode");
    let golden = root.join("../core/tests/golden");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&golden)
        .unwrap_or_else(|e| panic!("{}: {e}", golden.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    names.sort();
    // The golden messages (*.bin) seed wire_decode, the golden documents
    // (*.automerge) doc_load; the JSON beside the documents is neither.
    let doc_dir = dir(root, "doc_load");
    for path in names {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_stem().and_then(|s| s.to_str()).expect("file name");
        match path.extension().and_then(|e| e.to_str()) {
            Some("bin") => write(&wire_dir, &format!("golden-{name}"), &bytes),
            Some("automerge") => write(&doc_dir, &format!("golden-{name}"), &bytes),
            _ => {}
        }
    }
    let request =
        SyncRequest {
            cursor: 17,
            reference_version: 2,
            uploads: uploads
                .iter()
                .take(2)
                .map(|(_, bytes, _)| DocUpload {
                    doc_id: HAZARD_ID.into(),
                    kind: "hazard".into(),
                    changes: Bytes(bytes.clone()),
                })
                .chain(uploads.iter().filter(|(name, ..)| name.starts_with("inspection")).map(|(_, bytes, _)| {
                    DocUpload { doc_id: INSPECTION_ID.into(), kind: "inspection".into(), changes: Bytes(bytes.clone()) }
                }))
                .collect(),
            page_size: 500,
            device_time: Some(1_790_000_100_000),
        };
    let empty_request =
        SyncRequest { cursor: 0, reference_version: 0, uploads: vec![], page_size: 0, device_time: None };
    let response = SyncResponse {
        accepted: vec![DocAck {
            doc_id: HAZARD_ID.into(),
            heads: vec!["ab".repeat(32)],
            receipts: vec![Receipt { event_id: "e2".into(), received_at: 1_790_000_060_000 }],
        }],
        refused: vec![DocRefusal {
            doc_id: "h2".into(),
            rule: "R12".into(),
            message: "only a supervisor voids a record".into(),
            server_doc: Bytes(uploads[0].1.clone()),
        }],
        changes: vec![DocChanges {
            doc_id: HAZARD_ID.into(),
            kind: "hazard".into(),
            changes: uploads.iter().take(2).map(|(_, b, _)| Bytes(b.clone())).collect(),
            heads: vec!["cd".repeat(32)],
            receipts: vec![Receipt { event_id: "e1".into(), received_at: 1_790_000_000_500 }],
        }],
        cursor: 18,
        more: true,
        server_time: 1_790_000_100_000,
        reference: Some(ReferenceData {
            version: 3,
            people: demo::people(),
            enterprises: demo::enterprises(),
            policy: Policy::default(),
            templates: vec![],
        }),
    };
    // Whole messages (the input as sent), and their JSON bodies (which
    // run_wire_decode also wraps in a stored deflate block).
    for (name, msg, body) in [
        ("request-uploads", wire::encode(&request), serde_json::to_vec(&request).expect("json")),
        ("request-empty", wire::encode(&empty_request), serde_json::to_vec(&empty_request).expect("json")),
        ("response-full", wire::encode(&response), serde_json::to_vec(&response).expect("json")),
    ] {
        write(&wire_dir, &format!("{name}.bin"), &msg);
        write(&wire_dir, &format!("{name}.json"), &body);
    }

    for (name, bytes) in doc_seeds() {
        write(&doc_dir, name, &bytes);
    }

    let upload_dir = dir(root, "upload_validate");
    for (name, bytes, _) in &uploads {
        write(&upload_dir, name, bytes);
    }

    let http_dir = dir(root, "http_sync");
    for seed in http::http_seeds() {
        write(&http_dir, seed.name, &seed.input);
    }
}
