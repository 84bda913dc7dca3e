//! Replays the fuzz targets' inputs in an ordinary `cargo test`: every file
//! of `fuzz/corpus/<target>/` (what fuzzing found interesting) and of
//! `fuzz/artifacts/<target>/` (every input that ever crashed a target, kept
//! after the fix) goes through the same body the fuzz target runs. The fuzz
//! crate is outside the workspace (it needs nightly flags), so its bodies are
//! included here from source rather than as a dependency. See docs/fuzzing.md.

#[path = "../../fuzz/src/lib.rs"]
mod fuzz_bodies;

use fuzz_bodies::{
    doc_seeds, run_doc_load, run_upload_validate, run_wire_decode, stored_message, upload_seeds, validate, Target,
};
use paicha_core::doc::RecordDoc;
use paicha_core::sync::wire::{self, SyncRequest};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A fuzz target's body: takes the input, returns unless the input reveals a bug.
type Body = fn(&[u8]);

/// Every fuzz target and its body.
const TARGETS: [(&str, Body); 3] =
    [("wire_decode", run_wire_decode), ("doc_load", run_doc_load), ("upload_validate", run_upload_validate)];

/// Fuzz targets whose inputs another test replays: `http_sync` runs the sync
/// server, which the core cannot depend on (sync-server/tests/fuzz_replay_http.rs).
const REPLAYED_ELSEWHERE: [&str; 1] = ["http_sync"];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    let mut out: Vec<PathBuf> = entries.map(|e| e.expect("directory entry").path()).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

/// Names of the subdirectories of `dir`.
fn subdirs(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeSet::new() };
    entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_corpus_and_crash_input_replays_without_panicking() {
    let fuzz = fuzz_dir();
    let known: BTreeSet<String> =
        TARGETS.iter().map(|(name, _)| *name).chain(REPLAYED_ELSEWHERE).map(String::from).collect();
    // A target added to fuzz/ without a body here, or inputs kept for a target
    // that is gone, would silently not be replayed.
    let declared: BTreeSet<String> = files(&fuzz.join("fuzz_targets"))
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(declared, known, "fuzz/fuzz_targets/*.rs and TARGETS differ");
    for kept in ["corpus", "artifacts"] {
        let unknown: Vec<String> = subdirs(&fuzz.join(kept)).difference(&known).cloned().collect();
        assert!(unknown.is_empty(), "fuzz/{kept}/ has inputs of unknown targets: {unknown:?}");
    }

    let mut failed = vec![];
    let mut report = String::new();
    for (name, run) in TARGETS {
        let corpus = files(&fuzz.join("corpus").join(name));
        let crashes = files(&fuzz.join("artifacts").join(name));
        for path in corpus.iter().chain(&crashes) {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if std::panic::catch_unwind(|| run(&bytes)).is_err() {
                failed.push(path.display().to_string());
            }
        }
        report += &format!(
            "fuzz_replay: {name}: {} inputs replayed ({} corpus, {} crash)\n",
            corpus.len() + crashes.len(),
            corpus.len(),
            crashes.len()
        );
        assert!(!corpus.is_empty() || !crashes.is_empty(), "no input of {name} to replay");
    }
    // Straight to stderr, past the test harness's capture: the counts show in
    // every run.
    let _ = std::io::stderr().write_all(report.as_bytes());
    assert!(failed.is_empty(), "these inputs panic (reproduce with cargo fuzz run <target> <file>): {failed:#?}");
}

/// The seeds are built by the same code as the upload fixture: if a change to
/// the core made the fixture's valid uploads invalid, fuzzing would explore
/// nothing but the refusal of the first check.
#[test]
fn the_upload_fixture_accepts_its_valid_seeds() {
    for (name, bytes, accepted) in upload_seeds() {
        let target = if name.starts_with("inspection") { Target::NewInspection } else { Target::HazardOnServer };
        let result = validate(target, &bytes);
        assert_eq!(result.is_ok(), accepted, "{name}: {:?}", result.err());
    }
    let (_, whole, _) = upload_seeds().into_iter().find(|(n, ..)| *n == "criteria-met-whole").expect("seed");
    assert!(validate(Target::NewHazard, &whole).is_ok(), "a new hidden danger with two events");
    for (name, bytes) in doc_seeds() {
        let doc = RecordDoc::load("x", &bytes, &[], &[1; 16]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let readable = if name.starts_with("hazard") {
            doc.events().map(|e| !e.is_empty())
        } else {
            doc.inspection().map(|i| !i.answers.is_empty())
        };
        assert!(matches!(readable, Ok(true)), "{name}: {readable:?}");
        if name == "inspection-conflict" {
            assert_eq!(doc.answer_conflicts().map(|c| c.len()).ok(), Some(1), "{name}");
        }
    }
}

/// run_wire_decode wraps its input in a stored deflate block so that
/// mutations reach the JSON directly: the wrapper must make real messages.
#[test]
fn a_stored_block_carries_json_to_the_decoder() {
    let json = br#"{"c":5,"r":1,"u":[{"d":"h","k":"hazard","b":"AAE="}],"n":10}"#;
    let req = wire::decode::<SyncRequest>(&stored_message(json)).expect("decodes");
    assert_eq!((req.cursor, req.uploads[0].changes.0.as_slice()), (5, &[0u8, 1][..]));
    let long = format!(r#"{{"c":7,"u":[{{"d":"{}","k":"hazard","b":""}}]}}"#, "x".repeat(70_000));
    let req = wire::decode::<SyncRequest>(&stored_message(long.as_bytes())).expect("two blocks");
    assert_eq!(req.uploads[0].doc_id.len(), 70_000);
    assert!(wire::decode::<SyncRequest>(&stored_message(b"")).is_err(), "empty JSON is malformed");
}
