//! Golden random inspection plans (R16): for fixed inputs and seed, the exact
//! plan, its hashes and its publication. A published plan must be drawn the
//! same by every later version of paicha, and by anyone who reimplements
//! docs/planning.md; a change that breaks this test breaks every plan already
//! published.
//!
//! The inputs (`tests/golden/plan_*inputs_v1.json`) are written by hand; the
//! expected outputs are written once (`PAICHA_BLESS=1 cargo test -p
//! paicha-core --test golden_plan`) and then only read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::planning::rng::SeedStream;
use paicha_core::planning::{generate, publication_csv, verify, Plan, PlanInputs, ALGORITHM};
use std::num::NonZeroU64;
use std::path::PathBuf;

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(golden(name)).unwrap_or_else(|e| panic!("{name}: {e} (PAICHA_BLESS=1 writes outputs)"))
}

fn docs() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/planning.md");
    std::fs::read_to_string(p).unwrap()
}

/// Draws the plan of `inputs`, compares it with the stored plan and
/// publication (writing them when blessing), and returns it.
fn check(inputs: &str, plan: &str, csv: &str) -> Plan {
    let i = PlanInputs::from_json(&read(inputs)).unwrap();
    let drawn = generate(&i).unwrap();
    if std::env::var_os("PAICHA_BLESS").is_some() {
        std::fs::write(golden(plan), serde_json::to_string_pretty(&drawn).unwrap() + "\n").unwrap();
        std::fs::write(golden(csv), publication_csv(&drawn)).unwrap();
    }
    let stored: Plan = serde_json::from_str(&read(plan)).unwrap();
    assert_eq!(drawn, stored, "{inputs} no longer draws the plan stored in {plan}");
    verify(&stored).unwrap();
    assert_eq!(publication_csv(&drawn), read(csv), "the publication of {plan} changed");
    drawn
}

/// The first values of the stream, as listed in docs/planning.md.
const VECTORS: [(&str, [u64; 6]); 2] = [
    (
        "abc",
        [
            0xaa6d11d09d940063,
            0x80cda0a628045e79,
            0x82484af82071927c,
            0x469c96b389e0e2f8,
            0x75b8a0b69b58b398,
            0x1bc25447fbb7434a,
        ],
    ),
    (
        "paicha-example",
        [
            0xbf9282c4b82178a3,
            0xfc57c48c397035f5,
            0x93f6d0a59287d437,
            0xb0d13c9b2ba5f670,
            0x63d6dc9cdc5ecb25,
            0x21ea46de9f00ff6b,
        ],
    ),
];

#[test]
fn the_seed_stream_gives_the_published_test_vectors() {
    let doc = docs();
    for (seed, expected) in VECTORS {
        let mut s = SeedStream::new(seed);
        let got: Vec<u64> = (0..6).map(|_| s.next_u64()).collect();
        assert_eq!(got, expected, "stream of seed {seed:?}");
        for v in expected {
            assert!(doc.contains(&format!("{v:016x}")), "docs/planning.md lacks {v:016x} of seed {seed:?}");
        }
    }
    // uniform draws of the example, also in the docs
    let mut s = SeedStream::new("paicha-example");
    let u: Vec<u64> = [1u64, 3, 2, 10, 1000].iter().map(|n| s.uniform(NonZeroU64::new(*n).unwrap())).collect();
    assert!(doc.contains(&format!("{u:?}")), "docs/planning.md lacks the uniform draws {u:?}");
}

#[test]
fn the_golden_plan_is_drawn_as_it_was_published() {
    let plan = check("plan_inputs_v1.json", "plan_v1.json", "plan_v1.csv");
    assert_eq!(plan.algorithm, ALGORITHM);
    assert_eq!(plan.inputs.targets.len(), 30);
    assert_eq!(plan.inputs.inspectors.len(), 8);
    // red 4 of 4, orange ceil(6 * 0.5) = 3, yellow ceil(9 * 0.2) = 2, blue ceil(11 * 0.1) = 2
    assert_eq!(plan.selections.len(), 11);
    assert!(plan.selections.iter().any(|s| s.recused.len() == 4), "the golden plan shows recusal");
}

#[test]
fn the_small_example_is_the_one_in_the_docs() {
    let plan = check("plan_small_inputs_v1.json", "plan_small_v1.json", "plan_small_v1.csv");
    let doc = docs();
    assert!(doc.contains(&plan.inputs_sha256), "docs/planning.md lacks the example's inputs_sha256");
    assert!(doc.contains(&plan.plan_sha256), "docs/planning.md lacks the example's plan_sha256");
    for s in &plan.selections {
        assert!(doc.contains(&s.credit_code));
    }
}
