//! Drawing a plan from its inputs (R16), hashing it, and checking a stored one.

use super::error::PlanError;
use super::inputs::{sample_size, PlanInputs, Target, COLOUR_ORDER};
use super::rng::SeedStream;
use crate::enterprise::RiskColour;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::num::NonZeroU64;

/// The name and version of the algorithm below, stored in every plan so that
/// a later, different algorithm can never be mistaken for this one.
pub const ALGORITHM: &str = "paicha-plan-v1";

/// A drawn random inspection plan: its inputs, what was drawn, and the hashes
/// that make later changes visible (R16: stored unchangeably).
///
/// Inspections made from a plan record the source
/// [`Source::RandomPlan`](crate::inspection::Source::RandomPlan) (双随机).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Always [`ALGORITHM`] for plans made by this code.
    pub algorithm: String,
    /// The inputs, exactly as drawn from.
    pub inputs: PlanInputs,
    /// The selected enterprises with their teams, in plan order.
    pub selections: Vec<Selection>,
    /// Hex SHA-256 of the canonical JSON of `inputs`.
    pub inputs_sha256: String,
    /// Hex SHA-256 of the canonical JSON of the plan without this field.
    pub plan_sha256: String,
}

/// One selected enterprise and its team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// 序号, from 1, in plan order (colours red to blue, each in draw order).
    pub seq: u32,
    /// The enterprise's credit code.
    pub credit_code: String,
    /// Its name (copied from the register, for the publication).
    pub name: String,
    /// Its township (copied from the register).
    pub township: String,
    /// Its risk colour.
    pub risk_colour: RiskColour,
    /// Person ids of the team, in draw order (the first drawn is listed first).
    pub team: Vec<String>,
    /// Person ids of inspectors who declared a conflict with this enterprise
    /// and were therefore not eligible, sorted; kept to show recusal was applied.
    pub recused: Vec<String>,
}

/// The fields of a plan that `plan_sha256` covers, in the same order.
#[derive(Serialize)]
struct PlanBody<'a> {
    algorithm: &'a str,
    inputs: &'a PlanInputs,
    selections: &'a [Selection],
    inputs_sha256: &'a str,
}

/// Draws the plan for `inputs`: the same inputs give the same plan on every
/// machine and in every version that implements [`ALGORITHM`] (R16).
///
/// Refuses inputs that [`PlanInputs::validate`] refuses, and a selected
/// enterprise for which recusals leave fewer inspectors than a team needs
/// (never a silently smaller team). The steps are in docs/planning.md.
pub fn generate(inputs: &PlanInputs) -> Result<Plan, PlanError> {
    inputs.validate()?;
    let selections = draw(inputs)?;
    let inputs_sha256 = sha256_hex(&canonical_json(inputs)?);
    let plan_sha256 = plan_hash(ALGORITHM, inputs, &selections, &inputs_sha256)?;
    Ok(Plan { algorithm: ALGORITHM.to_string(), inputs: inputs.clone(), selections, inputs_sha256, plan_sha256 })
}

/// Checks a stored plan: the algorithm is known, both hashes match, and
/// drawing again from the stored inputs gives the stored selections. This is
/// what a third party does with a published plan (docs/planning.md).
pub fn verify(plan: &Plan) -> Result<(), PlanError> {
    if plan.algorithm != ALGORITHM {
        return Err(PlanError::UnknownAlgorithm(plan.algorithm.clone()));
    }
    let computed = sha256_hex(&canonical_json(&plan.inputs)?);
    if computed != plan.inputs_sha256 {
        return Err(PlanError::InputsHashMismatch { stored: plan.inputs_sha256.clone(), computed });
    }
    let again = generate(&plan.inputs)?;
    let first_diff = again.selections.iter().zip(&plan.selections).position(|(a, b)| a != b);
    match first_diff {
        Some(i) => return Err(PlanError::SelectionsDiffer { seq: i + 1 }),
        None if again.selections.len() != plan.selections.len() => {
            let seq = again.selections.len().min(plan.selections.len()) + 1;
            return Err(PlanError::SelectionsDiffer { seq });
        }
        None => {}
    }
    let computed = plan_hash(&plan.algorithm, &plan.inputs, &plan.selections, &plan.inputs_sha256)?;
    if computed != plan.plan_sha256 {
        return Err(PlanError::PlanHashMismatch { stored: plan.plan_sha256.clone(), computed });
    }
    Ok(())
}

/// The canonical serialisation that the hashes cover: compact JSON (no white
/// space), fields in declaration order, strings as UTF-8 with only `"` and `\`
/// escaped (inputs contain no control characters), dates as `YYYY-MM-DD`,
/// integers in decimal, no floats.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, PlanError> {
    serde_json::to_vec(value).map_err(|e| PlanError::Serialise(e.to_string()))
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn plan_hash(
    algorithm: &str,
    inputs: &PlanInputs,
    selections: &[Selection],
    inputs_sha256: &str,
) -> Result<String, PlanError> {
    let body = PlanBody { algorithm, inputs, selections, inputs_sha256 };
    Ok(sha256_hex(&canonical_json(&body)?))
}

/// The draw itself, on validated inputs: targets per colour, then teams.
fn draw(inputs: &PlanInputs) -> Result<Vec<Selection>, PlanError> {
    let mut stream = SeedStream::new(&inputs.seed);

    // Step 1: targets. Per colour in COLOUR_ORDER, sorted by credit code, a
    // partial Fisher-Yates shuffle of k = ceil(n * ratio / 1000) steps.
    let mut chosen: Vec<&Target> = Vec::new();
    for colour in COLOUR_ORDER {
        let mut pool: Vec<&Target> = inputs.targets.iter().filter(|t| t.risk_colour == colour).collect();
        pool.sort_by(|a, b| a.credit_code.as_bytes().cmp(b.credit_code.as_bytes()));
        let k = sample_size(pool.len(), inputs.ratios.for_colour(colour)).min(pool.len());
        partial_shuffle(&mut stream, &mut pool, k);
        chosen.extend_from_slice(&pool[..k]);
    }

    // Step 2: teams, per selected target in plan order, from the inspectors
    // not recused for it, sorted by person id; partial Fisher-Yates of
    // team_size steps on the same stream.
    let team_size = usize::try_from(inputs.team_size).unwrap_or(usize::MAX);
    let mut inspectors: Vec<(&str, BTreeSet<&str>)> = inputs
        .inspectors
        .iter()
        .map(|p| (p.person_id.as_str(), p.conflicts.iter().map(String::as_str).collect()))
        .collect();
    inspectors.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let mut selections = Vec::with_capacity(chosen.len());
    for (i, t) in chosen.iter().enumerate() {
        let code = t.credit_code.as_str();
        let (mut eligible, recused): (Vec<&str>, Vec<&str>) = {
            let (r, e): (Vec<_>, Vec<_>) = inspectors.iter().partition(|(_, c)| c.contains(code));
            (e.into_iter().map(|(id, _)| *id).collect(), r.into_iter().map(|(id, _)| *id).collect())
        };
        if eligible.len() < team_size {
            return Err(PlanError::NotEnoughEligible {
                credit_code: t.credit_code.clone(),
                name: t.name.clone(),
                eligible: eligible.len(),
                team_size: inputs.team_size,
            });
        }
        partial_shuffle(&mut stream, &mut eligible, team_size);
        selections.push(Selection {
            seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
            credit_code: t.credit_code.clone(),
            name: t.name.clone(),
            township: t.township.clone(),
            risk_colour: t.risk_colour,
            team: eligible[..team_size].iter().map(|s| s.to_string()).collect(),
            recused: recused.iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok(selections)
}

/// The first `k` steps of a Fisher-Yates shuffle: for j in 0..k, swap item j
/// with item j + uniform(n - j). Afterwards items 0..k are the sample, in
/// draw order. Draws nothing when k = 0; requires k <= n.
fn partial_shuffle<T>(stream: &mut SeedStream, items: &mut [T], k: usize) {
    let n = items.len();
    for j in 0..k.min(n) {
        let Some(left) = NonZeroU64::new((n - j) as u64) else { break };
        let r = usize::try_from(stream.uniform(left)).unwrap_or(0);
        items.swap(j, j + r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_shuffle_matches_the_written_steps() {
        // seed "abc": the first draws decide swaps exactly as docs/planning.md says.
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        let mut s = SeedStream::new("abc");
        let mut check = s.clone();
        partial_shuffle(&mut s, &mut items, 2);
        let mut expect = vec!['a', 'b', 'c', 'd', 'e'];
        let r0 = check.uniform(NonZeroU64::new(5).unwrap()) as usize;
        expect.swap(0, r0);
        let r1 = check.uniform(NonZeroU64::new(4).unwrap()) as usize;
        expect.swap(1, 1 + r1);
        assert_eq!(items, expect);
        assert_eq!(s.draws(), check.draws());
    }

    #[test]
    fn sample_size_rounds_up_in_integers() {
        assert_eq!(sample_size(0, 1000), 0);
        assert_eq!(sample_size(10, 0), 0);
        assert_eq!(sample_size(10, 1000), 10);
        assert_eq!(sample_size(10, 30), 1); // 0.3 -> 1
        assert_eq!(sample_size(33, 100), 4); // 3.3 -> 4
        assert_eq!(sample_size(40, 250), 10); // exact
        assert_eq!(sample_size(7, 1), 1);
    }
}
