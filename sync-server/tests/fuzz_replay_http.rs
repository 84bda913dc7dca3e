//! Replays the inputs of the `http_sync` fuzz target in an ordinary
//! `cargo test`: every file of `fuzz/corpus/http_sync/` and of
//! `fuzz/artifacts/http_sync/` (inputs that crashed it, kept after the fix)
//! goes through the same body the fuzz target runs, `fuzz/src/http.rs`,
//! included here from source (the fuzz crate is outside the workspace). That
//! body uses the fuzz crate's upload fixture, `fuzz/src/lib.rs`, as
//! `fuzz_bodies`. See docs/fuzzing.md.

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_bodies;

#[allow(dead_code)]
#[path = "../../fuzz/src/http.rs"]
mod http_body;

use std::io::Write;
use std::path::{Path, PathBuf};

const TARGET: &str = "http_sync";

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    let mut out: Vec<PathBuf> = entries.map(|e| e.expect("directory entry").path()).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

#[test]
fn every_http_sync_input_replays_without_panicking() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let corpus = files(&fuzz.join("corpus").join(TARGET));
    let crashes = files(&fuzz.join("artifacts").join(TARGET));
    let mut failed = vec![];
    for path in corpus.iter().chain(&crashes) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if std::panic::catch_unwind(|| http_body::run_http_sync(&bytes)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    // Straight to stderr, past the test harness's capture: the count shows in
    // every run.
    let _ = writeln!(
        std::io::stderr(),
        "fuzz_replay_http: {TARGET}: {} inputs replayed ({} corpus, {} crash)",
        corpus.len() + crashes.len(),
        corpus.len(),
        crashes.len()
    );
    assert!(!corpus.is_empty() || !crashes.is_empty(), "no input of {TARGET} to replay");
    assert!(failed.is_empty(), "these inputs panic (reproduce with cargo fuzz run {TARGET} <file>): {failed:#?}");
}

/// The seeds reach what they were made for: if the server came to refuse the
/// valid ones (a new rule, a registry check), fuzzing would explore little
/// past the first refusal.
#[test]
fn the_http_seeds_get_the_answers_they_were_made_for() {
    for seed in http_body::http_seeds() {
        let (status, resp) = http_body::exchange(&seed.input);
        assert_eq!(status.as_u16(), seed.status, "{}", seed.name);
        let Some(resp) = resp else { continue };
        let mut accepted: Vec<&str> = resp.accepted.iter().map(|a| a.doc_id.as_str()).collect();
        accepted.sort();
        let refused: Vec<&str> = resp.refused.iter().map(|r| r.doc_id.as_str()).collect();
        let why: Vec<String> = resp.refused.iter().map(|r| format!("{}: {}", r.rule, r.message)).collect();
        assert_eq!(accepted, seed.accepted, "{}: accepted (refused: {why:?})", seed.name);
        assert_eq!(refused, seed.refused, "{}: refused ({why:?})", seed.name);
        // The server holds a hidden danger from the inspector's other device:
        // a sync from the start downloads it.
        let down: Vec<&str> = resp.changes.iter().map(|c| c.doc_id.as_str()).collect();
        assert_eq!(down, [http_body::OTHER_HAZARD_ID], "{}: download", seed.name);
    }
}

/// Every input meets the same server: an upload accepted for one input is
/// not on the server for the next.
#[test]
fn every_input_meets_the_same_server() {
    let seeds = http_body::http_seeds();
    let seed = seeds.iter().find(|s| s.name == "report-new").expect("the report-new seed");
    for _ in 0..2 {
        let (status, resp) = http_body::exchange(&seed.input);
        let resp = resp.unwrap_or_else(|| panic!("{status}"));
        let new = resp.accepted.iter().find(|a| a.doc_id == http_body::NEW_HAZARD_ID).expect("accepted");
        assert_eq!(new.receipts.len(), 1, "the report is new to the server each time");
    }
}
