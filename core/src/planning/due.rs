//! Which enterprises are due a routine inspection, by risk colour.
//!
//! The policy sets months between routine inspections per colour (default red
//! monthly, orange quarterly, yellow half-yearly, blue yearly; local policy
//! with effective dates). The interval that applies is the one of the policy
//! version in force on the day of the last inspection: a change of policy
//! does not move a due date that was already fixed.

use crate::enterprise::{Enterprise, RiskColour};
use crate::inspection::Source;
use crate::policy::Policy;
use crate::time::Timestamp;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An inspection is `Due` (not yet overdue) when its due date is today or
/// within this many days after today: two weeks to plan a visit.
pub const DUE_SOON_DAYS: i64 = 14;

/// How urgent a routine inspection is, against `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum DueStatus {
    /// The due date has passed (due date < today).
    Overdue {
        /// Days since the due date (at least 1).
        days_overdue: i64,
    },
    /// Due today or within [`DUE_SOON_DAYS`]; an enterprise never inspected
    /// is due today.
    Due {
        /// Days until the due date (0 = today).
        days_left: i64,
    },
    /// Due later than [`DUE_SOON_DAYS`] from today.
    NotDue {
        /// Days until the due date.
        days_left: i64,
    },
}

/// One line of the due list: an enterprise and when its next routine
/// inspection is due, so a township can plan its visits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueInspection {
    /// Credit code.
    pub credit_code: String,
    /// Name.
    pub name: String,
    /// Township.
    pub township: String,
    /// Risk colour, which sets the interval.
    pub risk_colour: RiskColour,
    /// Day of the last inspection; `None` if never inspected.
    pub last_inspected: Option<NaiveDate>,
    /// Months between inspections for this colour, from the policy version in
    /// force on `last_inspected` (on `today` if never inspected).
    pub interval_months: u32,
    /// `last_inspected` plus `interval_months` calendar months, clamped to the
    /// end of a shorter month (31 Jan + 1 month = 28/29 Feb); `today` if never
    /// inspected.
    pub due_date: NaiveDate,
    /// Overdue, due or not due, against `today`.
    pub status: DueStatus,
}

/// The due list: one entry per enterprise, most urgent first (earliest due
/// date first, so the longest overdue lead; ties by colour red first, then by
/// credit code).
///
/// `last_inspected` maps credit codes to the day of the last completed routine
/// inspection (CST); codes not among `enterprises` are ignored. An enterprise
/// never inspected is due immediately: due date `today`, status `Due` with 0
/// days left, ahead of everything due later but behind the overdue ones.
pub fn due_inspections(
    enterprises: &[Enterprise],
    last_inspected: &BTreeMap<String, NaiveDate>,
    policy: &Policy,
    today: NaiveDate,
) -> Vec<DueInspection> {
    let mut out: Vec<DueInspection> = enterprises
        .iter()
        .map(|e| {
            let last = last_inspected.get(&e.credit_code).copied();
            let interval = policy.at(last.unwrap_or(today)).inspection_interval_months.for_colour(e.risk_colour);
            let due_date = match last {
                Some(day) => add_months(day, interval),
                None => today,
            };
            DueInspection {
                credit_code: e.credit_code.clone(),
                name: e.name.clone(),
                township: e.township.clone(),
                risk_colour: e.risk_colour,
                last_inspected: last,
                interval_months: interval,
                due_date,
                status: status(due_date, today),
            }
        })
        .collect();
    out.sort_by(|a, b| (a.due_date, a.risk_colour, &a.credit_code).cmp(&(b.due_date, b.risk_colour, &b.credit_code)));
    out
}

/// The `last_inspected` map of [`due_inspections`] from inspections given as
/// (enterprise credit code, source, end time): per enterprise, the CST day of
/// the latest completed inspection. Inspections not completed (no end time)
/// do not count, nor an enterprise's own check (企业自查,
/// [`Source::SelfInspection`]): the due list is about the authorities' visits.
/// Every other source counts, a visit from a random plan (双随机) included.
pub fn last_inspected<'a>(
    inspections: impl IntoIterator<Item = (&'a str, Source, Option<Timestamp>)>,
) -> BTreeMap<String, NaiveDate> {
    let mut out: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for (enterprise, source, ended_at) in inspections {
        let Some(end) = ended_at else { continue };
        if source == Source::SelfInspection {
            continue;
        }
        let day = end.cst_date();
        let slot = out.entry(enterprise.to_string()).or_insert(day);
        if day > *slot {
            *slot = day;
        }
    }
    out
}

/// Calendar-month arithmetic with end-of-month clamping; a date beyond
/// chrono's range (not a real inspection) becomes the last representable day.
fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

fn status(due: NaiveDate, today: NaiveDate) -> DueStatus {
    let days = (due - today).num_days();
    if days < 0 {
        DueStatus::Overdue { days_overdue: -days }
    } else if days <= DUE_SOON_DAYS {
        DueStatus::Due { days_left: days }
    } else {
        DueStatus::NotDue { days_left: days }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::policy::InspectionIntervals;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ent(n: u32, colour: RiskColour) -> Enterprise {
        let mut e = demo::enterprises()[0].clone();
        e.credit_code = demo::credit_code(n);
        e.name = format!("企业{n}");
        e.risk_colour = colour;
        e
    }

    fn last(pairs: &[(u32, NaiveDate)]) -> BTreeMap<String, NaiveDate> {
        pairs.iter().map(|(n, day)| (demo::credit_code(*n), *day)).collect()
    }

    #[test]
    fn month_end_is_clamped() {
        assert_eq!(add_months(d(2026, 1, 31), 1), d(2026, 2, 28));
        assert_eq!(add_months(d(2028, 1, 31), 1), d(2028, 2, 29));
        assert_eq!(add_months(d(2026, 8, 31), 3), d(2026, 11, 30));
        assert_eq!(add_months(d(2026, 11, 30), 3), d(2027, 2, 28));
        assert_eq!(add_months(d(2026, 3, 15), 12), d(2027, 3, 15));
        assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    #[test]
    fn red_inspected_on_31_january_is_due_end_of_february() {
        let es = [ent(1, RiskColour::Red)];
        let list = due_inspections(&es, &last(&[(1, d(2026, 1, 31))]), &Policy::default(), d(2026, 3, 2));
        assert_eq!(list[0].interval_months, 1);
        assert_eq!(list[0].due_date, d(2026, 2, 28));
        assert_eq!(list[0].status, DueStatus::Overdue { days_overdue: 2 });
    }

    #[test]
    fn statuses_at_their_boundaries() {
        let today = d(2026, 6, 15);
        assert_eq!(status(d(2026, 6, 14), today), DueStatus::Overdue { days_overdue: 1 });
        assert_eq!(status(today, today), DueStatus::Due { days_left: 0 });
        assert_eq!(status(d(2026, 6, 29), today), DueStatus::Due { days_left: 14 });
        assert_eq!(status(d(2026, 6, 30), today), DueStatus::NotDue { days_left: 15 });
    }

    #[test]
    fn never_inspected_is_due_today_and_sorted_after_overdue() {
        let today = d(2026, 6, 15);
        let es = [
            ent(1, RiskColour::Blue),   // never inspected
            ent(2, RiskColour::Yellow), // 2026-01-10 + 6 = 2026-07-10, not due
            ent(3, RiskColour::Orange), // 2026-03-01 + 3 = 2026-06-01, overdue 14
            ent(4, RiskColour::Red),    // 2026-05-20 + 1 = 2026-06-20, due in 5
            ent(5, RiskColour::Red),    // 2026-05-01 + 1 = 2026-06-01, overdue 14, red before orange
            ent(6, RiskColour::Red),    // never inspected, red before blue
        ];
        let l = last(&[(2, d(2026, 1, 10)), (3, d(2026, 3, 1)), (4, d(2026, 5, 20)), (5, d(2026, 5, 1))]);
        let list = due_inspections(&es, &l, &Policy::default(), today);
        let order: Vec<String> = list.iter().map(|x| x.name.clone()).collect();
        assert_eq!(order, ["企业5", "企业3", "企业6", "企业1", "企业4", "企业2"]);
        assert_eq!(list[0].status, DueStatus::Overdue { days_overdue: 14 });
        assert_eq!(list[2].last_inspected, None);
        assert_eq!(list[2].due_date, today);
        assert_eq!(list[2].status, DueStatus::Due { days_left: 0 });
        assert_eq!(list[3].interval_months, 12);
        assert_eq!(list[4].status, DueStatus::Due { days_left: 5 });
        assert_eq!(list[5].status, DueStatus::NotDue { days_left: 25 });
    }

    #[test]
    fn interval_comes_from_the_policy_in_force_on_the_last_inspection() {
        // From 2026-07-01 orange enterprises are inspected every 2 months.
        let mut p = Policy::default();
        let mut v2 = p.versions[0].clone();
        v2.effective_from = d(2026, 7, 1);
        v2.inspection_interval_months = InspectionIntervals { red: 1, orange: 2, yellow: 6, blue: 12 };
        p.versions.push(v2);
        let es = [ent(1, RiskColour::Orange), ent(2, RiskColour::Orange), ent(3, RiskColour::Orange)];
        let l = last(&[(1, d(2026, 6, 30)), (2, d(2026, 7, 1))]);
        let today = d(2026, 8, 1);
        let list = due_inspections(&es, &l, &p, today);
        let by = |n: u32| list.iter().find(|x| x.credit_code == demo::credit_code(n)).unwrap();
        assert_eq!(by(1).interval_months, 3); // old version: 2026-06-30 + 3 = 2026-09-30
        assert_eq!(by(1).due_date, d(2026, 9, 30));
        assert_eq!(by(2).interval_months, 2); // new version: 2026-07-01 + 2 = 2026-09-01
        assert_eq!(by(2).due_date, d(2026, 9, 1));
        assert_eq!(by(3).interval_months, 2); // never inspected: the version of today
        assert_eq!(by(3).due_date, today);
    }

    #[test]
    fn the_last_completed_inspection_by_the_authorities_counts() {
        // 2026-03-01T16:30Z is 2026-03-02 00:30 in CST.
        let at = |s: &str| Some(Timestamp::parse(s).unwrap());
        let a = demo::credit_code(1);
        let b = demo::credit_code(2);
        let c = demo::credit_code(3);
        let map = last_inspected([
            (a.as_str(), Source::Routine, at("2026-01-10T02:00:00Z")),
            (a.as_str(), Source::RandomPlan, at("2026-03-01T16:30:00Z")),
            (a.as_str(), Source::Routine, None),
            (a.as_str(), Source::Complaint, at("2026-02-01T02:00:00Z")),
            (b.as_str(), Source::SelfInspection, at("2026-05-01T02:00:00Z")),
            (c.as_str(), Source::Routine, None),
        ]);
        assert_eq!(map.len(), 1, "{map:?}");
        assert_eq!(map[&a], d(2026, 3, 2));
    }

    #[test]
    fn unknown_codes_in_the_map_are_ignored() {
        let es = [ent(1, RiskColour::Blue)];
        let l = last(&[(99, d(2026, 1, 1))]);
        let list = due_inspections(&es, &l, &Policy::default(), d(2026, 6, 1));
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].last_inspected, None);
    }
}
