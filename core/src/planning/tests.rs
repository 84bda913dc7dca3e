//! Tests of plan generation: every refusal, recusal, verification, and
//! properties over random registers.

use super::*;
use crate::demo;
use crate::enterprise::RiskColour;
use chrono::NaiveDate;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn target(n: u32, colour: RiskColour) -> Target {
    Target {
        credit_code: demo::credit_code(n),
        name: format!("企业{n}"),
        township: "玉山镇".into(),
        risk_colour: colour,
    }
}

fn inspector(n: u32, conflicts: &[u32]) -> Inspector {
    Inspector {
        person_id: format!("insp-{n:02}"),
        name: format!("检查员{n}"),
        certificate_no: format!("3201{n:06}"),
        conflicts: conflicts.iter().map(|c| demo::credit_code(*c)).collect(),
    }
}

fn inputs() -> PlanInputs {
    let colours = [RiskColour::Red, RiskColour::Orange, RiskColour::Yellow, RiskColour::Blue];
    PlanInputs {
        plan_id: "T-1".into(),
        title: "测试计划".into(),
        period_start: d(2026, 7, 1),
        period_end: d(2026, 9, 30),
        seed: "test-seed".into(),
        targets: (1..=12).map(|n| target(n, colours[(n % 4) as usize])).collect(),
        inspectors: vec![inspector(1, &[1, 2]), inspector(2, &[]), inspector(3, &[1]), inspector(4, &[])],
        ratios: SamplingRatios { red_permille: 1000, orange_permille: 500, yellow_permille: 300, blue_permille: 100 },
        team_size: 2,
    }
}

fn err(f: impl FnOnce(&mut PlanInputs)) -> PlanError {
    let mut i = inputs();
    f(&mut i);
    generate(&i).unwrap_err()
}

#[test]
fn a_valid_plan_is_drawn_and_verifies() {
    let plan = generate(&inputs()).unwrap();
    // 3 targets per colour: red 3, orange ceil(1.5)=2, yellow ceil(0.9)=1, blue ceil(0.3)=1
    assert_eq!(plan.selections.len(), 7);
    let colours: Vec<RiskColour> = plan.selections.iter().map(|s| s.risk_colour).collect();
    use RiskColour::*;
    assert_eq!(colours, [Red, Red, Red, Orange, Orange, Yellow, Blue]);
    assert!(plan.selections.iter().enumerate().all(|(i, s)| s.seq as usize == i + 1));
    assert_eq!(plan.algorithm, ALGORITHM);
    assert_eq!(plan.inputs_sha256.len(), 64);
    verify(&plan).unwrap();
    assert_eq!(generate(&inputs()).unwrap(), plan);
}

#[test]
fn another_seed_gives_another_plan() {
    let a = generate(&inputs()).unwrap();
    let mut i = inputs();
    i.seed = "test-seed2".into();
    let b = generate(&i).unwrap();
    assert_ne!(a.plan_sha256, b.plan_sha256);
    assert_ne!(a.inputs_sha256, b.inputs_sha256);
}

#[test]
fn recused_inspectors_are_noted_and_never_drawn() {
    let mut i = inputs();
    i.ratios.orange_permille = 1000;
    let plan = generate(&i).unwrap();
    let one = demo::credit_code(1);
    let s = plan.selections.iter().find(|s| s.credit_code == one).unwrap(); // 1 % 4 = 1: orange
    assert_eq!(s.recused, ["insp-01", "insp-03"]);
    assert!(s.team.iter().all(|p| p == "insp-02" || p == "insp-04"));
    let mut team = s.team.clone();
    team.sort();
    assert_eq!(team, ["insp-02", "insp-04"]);
}

#[test]
fn register_order_does_not_matter() {
    let a = generate(&inputs()).unwrap();
    let mut i = inputs();
    i.targets.reverse();
    i.inspectors.reverse();
    let b = generate(&i).unwrap();
    assert_eq!(a.selections, b.selections);
    // but the stored inputs differ, and so do the hashes
    assert_ne!(a.inputs_sha256, b.inputs_sha256);
}

#[test]
fn not_enough_eligible_inspectors_names_the_enterprise() {
    // target 1 (orange at 100%) has only insp-02 left once 04 also recuses
    let e = err(|i| {
        i.ratios.orange_permille = 1000;
        i.inspectors[3].conflicts.push(demo::credit_code(1));
    });
    assert_eq!(
        e,
        PlanError::NotEnoughEligible {
            credit_code: demo::credit_code(1),
            name: "企业1".into(),
            eligible: 1,
            team_size: 2
        }
    );
    assert!(e.to_string().contains(&demo::credit_code(1)), "{e}");
    assert!(e.to_string().contains("企业1"), "{e}");
}

#[test]
fn a_conflict_with_an_unselected_enterprise_is_harmless() {
    let mut i = inputs();
    i.ratios = SamplingRatios { red_permille: 1000, orange_permille: 0, yellow_permille: 0, blue_permille: 0 };
    for p in &mut i.inspectors {
        p.conflicts = vec![demo::credit_code(1), demo::credit_code(500)];
    }
    let plan = generate(&i).unwrap();
    assert!(plan.selections.iter().all(|s| s.recused.is_empty()));
}

#[test]
fn every_input_error_is_refused_with_its_name() {
    let cases: Vec<(PlanError, &str)> = vec![
        (err(|i| i.plan_id = " ".into()), "plan_id is empty"),
        (err(|i| i.title = String::new()), "title is empty"),
        (err(|i| i.seed = String::new()), "seed is empty"),
        (err(|i| i.seed = "a\nb".into()), "seed contains a control character"),
        (err(|i| i.seed = " s".into()), "white space"),
        (err(|i| i.period_end = d(2026, 6, 30)), "ends (2026-06-30) before it starts (2026-07-01)"),
        (err(|i| i.targets.clear()), "register of targets is empty"),
        (err(|i| i.targets[0].credit_code = "91320583MA1234567X".into()), "targets[0].credit_code"),
        (err(|i| i.targets[0].credit_code = i.targets[0].credit_code.to_lowercase()), "normal form"),
        (err(|i| i.targets[2].name = String::new()), "targets[2] ("),
        (err(|i| i.targets[2].township = "\t".into()), ".township is empty"),
        (
            err(|i| {
                let t = i.targets[0].clone();
                i.targets.push(t)
            }),
            "in the register of targets twice",
        ),
        (
            err(|i| i.inspectors[1].person_id = "insp-01".into()),
            "inspector insp-01 is in the register of inspectors twice",
        ),
        (err(|i| i.inspectors[1].certificate_no = "3201000001".into()), "same certificate number 3201000001"),
        (err(|i| i.inspectors[1].name = String::new()), "inspectors[1] (insp-02).name is empty"),
        (err(|i| i.inspectors[1].certificate_no = String::new()), "certificate_no is empty"),
        (err(|i| i.inspectors[0].person_id = String::new()), "inspectors[0].person_id is empty"),
        (err(|i| i.inspectors[0].conflicts.push("nonsense".into())), "inspectors[0] (insp-01).conflicts[2]"),
        (err(|i| i.ratios.blue_permille = 1001), "blue is 1001‰"),
        (err(|i| i.team_size = 1), "team size 1 is less than 2"),
        (err(|i| i.team_size = 5), "team size 5 but the register has only 4"),
        (
            err(|i| {
                i.ratios = SamplingRatios { red_permille: 0, orange_permille: 0, yellow_permille: 0, blue_permille: 0 }
            }),
            "select no enterprise",
        ),
    ];
    for (e, needle) in cases {
        let msg = e.to_string();
        assert!(msg.starts_with("R16: "), "{msg}");
        assert!(msg.contains(needle), "'{msg}' should contain '{needle}'");
    }
}

#[test]
fn unknown_fields_and_colours_are_refused_when_read() {
    let json = serde_json::to_string(&inputs()).unwrap();
    assert_eq!(PlanInputs::from_json(&json).unwrap(), inputs());
    let purple = json.replacen("\"red\"", "\"purple\"", 1);
    let e = PlanInputs::from_json(&purple).unwrap_err();
    assert!(e.to_string().contains("purple"), "{e}");
    let extra = json.replacen("\"team_size\"", "\"teamsize\":3,\"team_size\"", 1);
    let e = PlanInputs::from_json(&extra).unwrap_err();
    assert!(e.to_string().contains("teamsize"), "{e}");
    let missing = json.replacen("\"blue_permille\":100", "\"grey_permille\":100", 1);
    let e = PlanInputs::from_json(&missing).unwrap_err();
    assert!(e.to_string().contains("grey_permille"), "{e}");
}

#[test]
fn verify_finds_every_kind_of_change() {
    let plan = generate(&inputs()).unwrap();

    let mut p = plan.clone();
    p.algorithm = "paicha-plan-v2".into();
    assert_eq!(verify(&p), Err(PlanError::UnknownAlgorithm("paicha-plan-v2".into())));

    let mut p = plan.clone();
    p.inputs.seed = "other".into();
    assert!(matches!(verify(&p), Err(PlanError::InputsHashMismatch { .. })));

    let mut p = plan.clone();
    p.selections.swap(0, 1);
    assert_eq!(verify(&p), Err(PlanError::SelectionsDiffer { seq: 1 }));

    let mut p = plan.clone();
    p.selections[3].team.reverse();
    assert_eq!(verify(&p), Err(PlanError::SelectionsDiffer { seq: 4 }));

    let mut p = plan.clone();
    p.selections.pop();
    assert_eq!(verify(&p), Err(PlanError::SelectionsDiffer { seq: 7 }));

    let mut p = plan.clone();
    p.plan_sha256 = "0".repeat(64);
    assert!(matches!(verify(&p), Err(PlanError::PlanHashMismatch { .. })));

    let mut p = plan.clone();
    p.inputs_sha256 = "0".repeat(64);
    assert!(matches!(verify(&p), Err(PlanError::InputsHashMismatch { .. })));
}

#[test]
fn the_plan_hash_covers_the_canonical_body() {
    let plan = generate(&inputs()).unwrap();
    let inputs_json = String::from_utf8(canonical_json(&plan.inputs).unwrap()).unwrap();
    assert_eq!(sha256_hex(inputs_json.as_bytes()), plan.inputs_sha256);
    // the body is the plan's JSON without its last field
    let full = String::from_utf8(canonical_json(&plan).unwrap()).unwrap();
    let tail = format!(",\"plan_sha256\":\"{}\"}}", plan.plan_sha256);
    let body = format!("{}}}", full.strip_suffix(&tail).unwrap());
    assert_eq!(sha256_hex(body.as_bytes()), plan.plan_sha256);
    assert!(body.starts_with("{\"algorithm\":\"paicha-plan-v1\",\"inputs\":{\"plan_id\":\"T-1\""));
}

#[test]
fn publication_lists_the_plan_with_chinese_headers() {
    let plan = generate(&inputs()).unwrap();
    let csv = publication_csv(&plan);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert!(lines[0].starts_with("计划编号,T-1,计划名称,测试计划,检查期间,2026-07-01至2026-09-30,随机种子,test-seed"));
    assert!(lines[0].contains(&plan.inputs_sha256) && lines[0].contains(&plan.plan_sha256));
    assert_eq!(lines[1], "序号,企业名称,统一社会信用代码,镇街,风险等级,检查人员");
    assert_eq!(lines.len(), 2 + plan.selections.len() + 1); // trailing CRLF
    let s = &plan.selections[0];
    let row: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(row[0], "1");
    assert_eq!(row[2], s.credit_code);
    assert_eq!(row[4], "红色（重大风险）");
    let n: u32 = s.team[0].trim_start_matches("insp-").parse().unwrap();
    assert!(row[5].starts_with(&format!("检查员{n}（3201{n:06}）、")), "{}", row[5]);
}

fn arb_inputs() -> impl Strategy<Value = PlanInputs> {
    let colours = prop::sample::select(vec![RiskColour::Red, RiskColour::Orange, RiskColour::Yellow, RiskColour::Blue]);
    (
        prop::collection::vec(colours, 1..40),
        2u32..5,
        prop::collection::vec(prop::collection::vec(0usize..40, 0..4), 4..10),
        prop::array::uniform4(0u32..=1000),
        "[a-z0-9]{1,12}",
    )
        .prop_map(|(cols, team_size, conflicts, r, seed)| {
            let targets: Vec<Target> = cols.iter().enumerate().map(|(n, c)| target(n as u32 + 1, *c)).collect();
            let inspectors = conflicts
                .iter()
                .enumerate()
                .map(|(k, cs)| {
                    let cs: Vec<u32> = cs.iter().map(|c| (c % targets.len()) as u32 + 1).collect();
                    inspector(k as u32 + 1, &cs)
                })
                .collect();
            PlanInputs {
                plan_id: "P".into(),
                title: "prop".into(),
                period_start: d(2026, 1, 1),
                period_end: d(2026, 12, 31),
                seed,
                targets,
                inspectors,
                ratios: SamplingRatios {
                    red_permille: r[0],
                    orange_permille: r[1],
                    yellow_permille: r[2],
                    blue_permille: r[3],
                },
                team_size,
            }
        })
}

proptest! {
    #[test]
    fn plans_respect_recusal_team_size_and_are_reproducible(i in arb_inputs()) {
        match generate(&i) {
            Ok(plan) => {
                prop_assert_eq!(&generate(&i).unwrap(), &plan);
                prop_assert!(verify(&plan).is_ok());
                let mut seen = std::collections::BTreeSet::new();
                for s in &plan.selections {
                    prop_assert!(seen.insert(s.credit_code.clone()), "target selected twice");
                    prop_assert_eq!(s.team.len(), i.team_size as usize);
                    let distinct: std::collections::BTreeSet<_> = s.team.iter().collect();
                    prop_assert_eq!(distinct.len(), s.team.len());
                    for id in &s.team {
                        let p = i.inspectors.iter().find(|p| &p.person_id == id).unwrap();
                        prop_assert!(!p.conflicts.contains(&s.credit_code), "recused inspector {} drawn", id);
                        prop_assert!(!s.recused.contains(id));
                    }
                    let should: Vec<&str> = {
                        let mut v: Vec<&str> = i.inspectors.iter()
                            .filter(|p| p.conflicts.contains(&s.credit_code))
                            .map(|p| p.person_id.as_str()).collect();
                        v.sort();
                        v
                    };
                    prop_assert_eq!(&s.recused, &should);
                }
                for c in COLOUR_ORDER {
                    let n = i.targets.iter().filter(|t| t.risk_colour == c).count();
                    let k = plan.selections.iter().filter(|s| s.risk_colour == c).count();
                    prop_assert_eq!(k, sample_size(n, i.ratios.for_colour(c)));
                }
            }
            Err(PlanError::NotEnoughEligible { credit_code, eligible, .. }) => {
                let actual = i.inspectors.iter().filter(|p| !p.conflicts.contains(&credit_code)).count();
                prop_assert_eq!(actual, eligible);
                prop_assert!(eligible < i.team_size as usize);
            }
            Err(PlanError::NothingSelected) => {
                prop_assert!(COLOUR_ORDER.iter().all(|c| i.ratios.for_colour(*c) == 0
                    || !i.targets.iter().any(|t| t.risk_colour == *c)));
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }
}
