//! Local policy (domain.md marks these "local policy"): rectification windows,
//! extension limits, the escalation ladder, inspection frequency.
//!
//! A policy is data with effective dates, never constants in code: a district
//! that moves from 30 to 60 days for major hidden dangers adds a version with
//! the date it takes effect, and orders issued before that date keep the old
//! window.

use crate::enterprise::RiskColour;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// All versions of a district's policy, each in force from its date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Versions; the one in force on a day is the latest whose date is not after it.
    pub versions: Vec<PolicyVersion>,
}

/// One version of the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// First day (CST) this version applies to.
    pub effective_from: NaiveDate,
    /// Where it comes from, for the audit trail (for example 西湖区 2021).
    #[serde(default)]
    pub source: String,
    /// R5: days from the order's day to the deadline, general hidden dangers.
    pub rectification_days_general: u32,
    /// R5: the same for major hidden dangers.
    pub rectification_days_major: u32,
    /// R9: how many extensions a general hidden danger may be granted.
    pub max_extensions_general: u32,
    /// R9: how many days one extension of a general hidden danger may add.
    pub max_extension_days_general: u32,
    /// R10: reminders this many days before the deadline.
    pub reminder_days_before: Vec<u32>,
    /// R10: a general hidden danger goes to the district after this many overdue days.
    pub district_after_overdue_days_general: u32,
    /// R10: the same for major hidden dangers (0: on the first overdue day).
    pub district_after_overdue_days_major: u32,
    /// R10: a device clock further ahead of the server than this is flagged.
    pub clock_skew_tolerance_seconds: u32,
    /// R11: district verification due this many days after the request to resume work.
    pub verification_days_after_resumption_request: u32,
    /// R11: longest suspension of work, in months.
    pub max_suspension_months: u32,
    /// Months between routine inspections, by risk colour.
    pub inspection_interval_months: InspectionIntervals,
    /// Largest accepted photo, in bytes (provincial interfaces cap at 5 MB).
    pub max_photo_bytes: u64,
    /// The offices that issue enforcement documents (§4), by township: their
    /// name, the prefix of their document numbers, and the government and
    /// court an enterprise may turn to. Read by
    /// [`crate::documents::office_for`].
    #[serde(default)]
    pub offices: Vec<Office>,
}

/// An office that issues rectification orders and review opinions (§4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    /// The township it serves, or `*` for every township without its own
    /// entry. `{township}` in the texts below is replaced by the township.
    pub township: String,
    /// Its full name, printed at the head of its documents (for example
    /// `{township}人民政府`).
    pub name: String,
    /// The part of a document number before the year (for example
    /// `{township}应急责改`): numbers are unique per prefix and year (R15).
    pub number_prefix: String,
    /// The government that hears an application for administrative
    /// reconsideration (60 days).
    pub reconsideration_government: String,
    /// The court that hears an administrative suit (6 months).
    pub court: String,
}

/// Routine inspection interval per risk colour, in months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionIntervals {
    /// 红.
    pub red: u32,
    /// 橙.
    pub orange: u32,
    /// 黄.
    pub yellow: u32,
    /// 蓝.
    pub blue: u32,
}

impl InspectionIntervals {
    /// The interval for a colour.
    pub fn for_colour(&self, colour: RiskColour) -> u32 {
        match colour {
            RiskColour::Red => self.red,
            RiskColour::Orange => self.orange,
            RiskColour::Yellow => self.yellow,
            RiskColour::Blue => self.blue,
        }
    }
}

impl Default for Policy {
    /// The defaults of domain.md: 30 days, one extension of at most 30 days,
    /// reminders at 7 and 3 days, district after 7 overdue days (major: at once),
    /// 10 minutes of clock skew, 10 days for verification, 6 months of suspension.
    fn default() -> Self {
        Policy {
            versions: vec![PolicyVersion {
                effective_from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default(),
                source: "paicha default (domain.md)".into(),
                rectification_days_general: 30,
                rectification_days_major: 30,
                max_extensions_general: 1,
                max_extension_days_general: 30,
                reminder_days_before: vec![7, 3],
                district_after_overdue_days_general: 7,
                district_after_overdue_days_major: 0,
                clock_skew_tolerance_seconds: 600,
                verification_days_after_resumption_request: 10,
                max_suspension_months: 6,
                inspection_interval_months: InspectionIntervals { red: 1, orange: 3, yellow: 6, blue: 12 },
                max_photo_bytes: 5 * 1024 * 1024,
                offices: vec![Office {
                    township: "*".into(),
                    name: "{township}人民政府".into(),
                    number_prefix: "{township}应急责改".into(),
                    reconsideration_government: "昆山市人民政府".into(),
                    court: "昆山市人民法院".into(),
                }],
            }],
        }
    }
}

impl Policy {
    /// The version in force on `day`; the earliest one if `day` precedes all.
    pub fn at(&self, day: NaiveDate) -> &PolicyVersion {
        let mut best: Option<&PolicyVersion> = None;
        for v in &self.versions {
            if v.effective_from <= day && best.is_none_or(|b| v.effective_from >= b.effective_from) {
                best = Some(v);
            }
        }
        best.or_else(|| self.versions.iter().min_by_key(|v| v.effective_from)).unwrap_or_else(|| default_version())
    }

    /// Checks a policy read from a file: at least one version, sane numbers.
    pub fn validate(&self) -> Result<(), String> {
        if self.versions.is_empty() {
            return Err("policy has no versions".into());
        }
        for v in &self.versions {
            if v.rectification_days_general == 0 || v.rectification_days_major == 0 {
                return Err(format!("policy from {}: rectification window of 0 days", v.effective_from));
            }
            if v.max_photo_bytes == 0 {
                return Err(format!("policy from {}: max_photo_bytes is 0", v.effective_from));
            }
            for o in &v.offices {
                for (what, text) in [
                    ("township", &o.township),
                    ("name", &o.name),
                    ("number_prefix", &o.number_prefix),
                    ("reconsideration_government", &o.reconsideration_government),
                    ("court", &o.court),
                ] {
                    if text.trim().is_empty() {
                        return Err(format!("policy from {}: an office has an empty {what}", v.effective_from));
                    }
                }
                if o.number_prefix.contains(['〔', '〕', '-']) {
                    return Err(format!(
                        "policy from {}: office prefix '{}' may not hold 〔, 〕 or -",
                        v.effective_from, o.number_prefix
                    ));
                }
            }
        }
        Ok(())
    }
}

fn default_version() -> &'static PolicyVersion {
    use std::sync::OnceLock;
    static DEFAULT: OnceLock<Policy> = OnceLock::new();
    let p = DEFAULT.get_or_init(Policy::default);
    &p.versions[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_in_force_by_effective_date() {
        let mut p = Policy::default();
        let mut v2 = p.versions[0].clone();
        v2.effective_from = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        v2.rectification_days_major = 60;
        p.versions.push(v2);
        assert_eq!(p.at(NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()).rectification_days_major, 30);
        assert_eq!(p.at(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()).rectification_days_major, 60);
        assert!(Policy { versions: vec![] }.validate().is_err());
    }
}
