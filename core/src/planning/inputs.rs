//! What a random inspection plan is drawn from, and the checks on it.
//!
//! Every struct here is part of the published, hashed record of a plan
//! (docs/planning.md): its fields are serialised in the order they are
//! declared, unknown fields are refused when reading, and there are no floats
//! and no optional fields, so that the canonical form is one string.

use super::error::PlanError;
use crate::credit_code;
use crate::enterprise::RiskColour;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Everything a plan is drawn from (R16: registers, ratios, published seed).
///
/// Stored unchanged inside the [`Plan`](super::Plan) and hashed, so that a
/// published plan can be regenerated and checked later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInputs {
    /// The plan's id (for example `XH-2026-Q3-01`), printed on the publication.
    pub plan_id: String,
    /// The plan's title (for example 2026年第三季度双随机抽查).
    pub title: String,
    /// First day of the inspection period.
    pub period_start: NaiveDate,
    /// Last day of the inspection period (inclusive).
    pub period_end: NaiveDate,
    /// The published seed: its UTF-8 bytes, exactly as given, start the random
    /// stream. Fixed and published before the draw (for example the date and
    /// a lottery number), so nobody can choose a convenient plan.
    pub seed: String,
    /// The register of targets (检查对象名录库) eligible for this plan.
    pub targets: Vec<Target>,
    /// The register of inspectors (执法检查人员名录库).
    pub inspectors: Vec<Inspector>,
    /// Sampling ratio per risk colour (local policy).
    pub ratios: SamplingRatios,
    /// Inspectors per team; at least 2 (§1: enforcement needs two).
    pub team_size: u32,
}

/// One enterprise in the register of targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// 统一社会信用代码, normalised (upper case, no spaces); the sort key of the draw.
    pub credit_code: String,
    /// Registered name, published.
    pub name: String,
    /// 镇街, published.
    pub township: String,
    /// Risk colour: decides which ratio applies.
    pub risk_colour: RiskColour,
}

/// One inspector in the register of inspectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inspector {
    /// Person id as in paicha's people (the key teams are made of).
    pub person_id: String,
    /// Name, published.
    pub name: String,
    /// 执法证号: an enforcement inspector must hold one.
    pub certificate_no: String,
    /// Credit codes of enterprises this inspector must recuse from (回避):
    /// declared conflicts of interest. Need not be in the register of targets.
    #[serde(default)]
    pub conflicts: Vec<String>,
}

/// Sampling ratios per risk colour in permille (‰, 1000 = all), integers so
/// that the number drawn is exact on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingRatios {
    /// 红: typically 1000 (every red enterprise).
    pub red_permille: u32,
    /// 橙.
    pub orange_permille: u32,
    /// 黄.
    pub yellow_permille: u32,
    /// 蓝: typically a few percent (for example 30 = 3%).
    pub blue_permille: u32,
}

impl SamplingRatios {
    /// The ratio of a colour, in permille.
    pub fn for_colour(&self, colour: RiskColour) -> u32 {
        match colour {
            RiskColour::Red => self.red_permille,
            RiskColour::Orange => self.orange_permille,
            RiskColour::Yellow => self.yellow_permille,
            RiskColour::Blue => self.blue_permille,
        }
    }
}

/// The order colours are drawn in; part of the algorithm.
pub const COLOUR_ORDER: [RiskColour; 4] = [RiskColour::Red, RiskColour::Orange, RiskColour::Yellow, RiskColour::Blue];

/// How many of `n` targets a ratio selects: `ceil(n * permille / 1000)`, in integers.
pub fn sample_size(n: usize, permille: u32) -> usize {
    let n = n as u128;
    let k = (n * u128::from(permille)).div_ceil(1000);
    usize::try_from(k).unwrap_or(usize::MAX)
}

impl PlanInputs {
    /// Reads inputs from JSON, refusing unknown fields and colours with a
    /// message that names them. Does not validate; [`generate`](super::generate) does.
    pub fn from_json(json: &str) -> Result<PlanInputs, PlanError> {
        serde_json::from_str(json).map_err(|e| PlanError::Parse(e.to_string()))
    }

    /// Checks the inputs; the first problem found is returned. Called by
    /// [`generate`](super::generate), public so a form can check early.
    pub fn validate(&self) -> Result<(), PlanError> {
        text("plan_id", &self.plan_id)?;
        text("title", &self.title)?;
        text("seed", &self.seed)?;
        if self.seed.trim() != self.seed {
            return Err(PlanError::SeedWhitespace);
        }
        if self.period_end < self.period_start {
            return Err(PlanError::PeriodReversed {
                start: self.period_start.to_string(),
                end: self.period_end.to_string(),
            });
        }
        if self.targets.is_empty() {
            return Err(PlanError::NoTargets);
        }
        let mut codes = BTreeSet::new();
        for (i, t) in self.targets.iter().enumerate() {
            let at = format!("targets[{i}]");
            normal_code(&format!("{at}.credit_code"), &t.credit_code)?;
            text(&format!("{at} ({}).name", t.credit_code), &t.name)?;
            text(&format!("{at} ({}).township", t.credit_code), &t.township)?;
            if !codes.insert(t.credit_code.as_str()) {
                return Err(PlanError::DuplicateTarget { credit_code: t.credit_code.clone() });
            }
        }
        let mut ids = BTreeSet::new();
        let mut certs: BTreeMap<&str, &str> = BTreeMap::new();
        for (i, p) in self.inspectors.iter().enumerate() {
            let at = format!("inspectors[{i}]");
            text(&format!("{at}.person_id"), &p.person_id)?;
            text(&format!("{at} ({}).name", p.person_id), &p.name)?;
            text(&format!("{at} ({}).certificate_no", p.person_id), &p.certificate_no)?;
            for (j, c) in p.conflicts.iter().enumerate() {
                normal_code(&format!("{at} ({}).conflicts[{j}]", p.person_id), c)?;
            }
            if !ids.insert(p.person_id.as_str()) {
                return Err(PlanError::DuplicateInspector { person_id: p.person_id.clone() });
            }
            if let Some(first) = certs.insert(p.certificate_no.as_str(), p.person_id.as_str()) {
                return Err(PlanError::DuplicateCertificate {
                    certificate_no: p.certificate_no.clone(),
                    first: first.to_string(),
                    second: p.person_id.clone(),
                });
            }
        }
        for colour in COLOUR_ORDER {
            let permille = self.ratios.for_colour(colour);
            if permille > 1000 {
                return Err(PlanError::RatioTooHigh { colour: colour.as_str().to_string(), permille });
            }
        }
        if self.team_size < 2 {
            return Err(PlanError::TeamTooSmall(self.team_size));
        }
        if (self.inspectors.len() as u64) < u64::from(self.team_size) {
            return Err(PlanError::TooFewInspectors { team_size: self.team_size, inspectors: self.inspectors.len() });
        }
        let selected: usize = COLOUR_ORDER
            .iter()
            .map(|c| {
                let n = self.targets.iter().filter(|t| t.risk_colour == *c).count();
                sample_size(n, self.ratios.for_colour(*c))
            })
            .sum();
        if selected == 0 {
            return Err(PlanError::NothingSelected);
        }
        Ok(())
    }
}

/// A required text: not blank, no control characters.
fn text(field: &str, value: &str) -> Result<(), PlanError> {
    if value.trim().is_empty() {
        return Err(PlanError::Empty { field: field.to_string() });
    }
    if value.chars().any(char::is_control) {
        return Err(PlanError::ControlCharacter { field: field.to_string() });
    }
    Ok(())
}

/// A valid credit code already in normal form (the draw sorts by it, so
/// `91...` and ` 91...` must not both be possible).
fn normal_code(field: &str, code: &str) -> Result<(), PlanError> {
    match credit_code::validate(code) {
        Ok(n) if n == code => Ok(()),
        Ok(n) => Err(PlanError::BadCreditCode {
            field: field.to_string(),
            reason: format!("credit code '{code}' is not in normal form, write it as '{n}'"),
        }),
        Err(reason) => Err(PlanError::BadCreditCode { field: field.to_string(), reason }),
    }
}
