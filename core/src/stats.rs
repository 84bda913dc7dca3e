//! The numbers people watch (domain.md §6), computed from projection rows:
//! 隐患整改率 rectification rate = closed / (recorded − voided), 按期整改率
//! on-time rate = closed by the deadline / closed, overdue count, days to
//! close, open and listed major hidden dangers.

use crate::enterprise::RiskColour;
use crate::hazard::{Level, Status};
use crate::time::{end_of_cst_day, Timestamp};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// How to group the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// One row for everything.
    Total,
    /// Per township.
    Township,
    /// Per sector.
    Sector,
    /// Per risk colour.
    RiskColour,
    /// Per level.
    Level,
    /// Per enterprise.
    Enterprise,
    /// Per month of reporting (CST).
    Month,
    /// Per quarter of reporting (CST), as enterprises report them.
    Quarter,
}

impl GroupBy {
    /// Parses `total`, `township`, `sector`, `risk_colour`, `level`, `enterprise`, `month`, `quarter`.
    pub fn parse(s: &str) -> Result<GroupBy, String> {
        Ok(match s {
            "total" => GroupBy::Total,
            "township" => GroupBy::Township,
            "sector" => GroupBy::Sector,
            "risk_colour" | "colour" | "color" => GroupBy::RiskColour,
            "level" => GroupBy::Level,
            "enterprise" => GroupBy::Enterprise,
            "month" => GroupBy::Month,
            "quarter" => GroupBy::Quarter,
            other => {
                return Err(format!(
                "group '{other}' is not one of total, township, sector, risk_colour, level, enterprise, month, quarter"
            ))
            }
        })
    }
}

/// Which hidden dangers count: those reported between `from` and `to` (CST days, inclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    /// First day, if any.
    pub from: Option<NaiveDate>,
    /// Last day, if any.
    pub to: Option<NaiveDate>,
}

/// A reporting period of §6: a quarter or a year, as enterprises and
/// townships report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPeriod {
    /// A quarter (1–4) of a year.
    Quarter {
        /// Year.
        year: i32,
        /// Quarter, 1 to 4.
        quarter: u32,
    },
    /// A calendar year.
    Year(i32),
}

impl ReportPeriod {
    /// Parses `2026Q3` or `2026`; anything else is an error naming the input.
    pub fn parse(s: &str) -> Result<ReportPeriod, String> {
        let t = s.trim();
        let bad = || format!("period '{t}' is neither a year (2026) nor a quarter (2026Q3)");
        match t.split_once(['Q', 'q']) {
            Some((y, q)) => {
                let year: i32 = y.parse().map_err(|_| bad())?;
                let quarter: u32 = q.parse().map_err(|_| bad())?;
                if !(1..=4).contains(&quarter) || !(2000..=2100).contains(&year) {
                    return Err(bad());
                }
                Ok(ReportPeriod::Quarter { year, quarter })
            }
            None => {
                let year: i32 = t.parse().map_err(|_| bad())?;
                if !(2000..=2100).contains(&year) {
                    return Err(bad());
                }
                Ok(ReportPeriod::Year(year))
            }
        }
    }

    /// First and last day.
    pub fn days(self) -> Option<(NaiveDate, NaiveDate)> {
        let (y, first_month, months) = match self {
            ReportPeriod::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1, 3),
            ReportPeriod::Year(year) => (year, 1, 12),
        };
        let from = NaiveDate::from_ymd_opt(y, first_month, 1)?;
        let next = from.checked_add_months(chrono::Months::new(months))?;
        Some((from, next.pred_opt()?))
    }

    /// The period for [`compute`].
    pub fn period(self) -> Period {
        match self.days() {
            Some((from, to)) => Period { from: Some(from), to: Some(to) },
            None => Period::default(),
        }
    }

    /// When the report is due (§6): the 15th of the month after a quarter,
    /// 31 January after a year.
    pub fn due(self) -> Option<NaiveDate> {
        let (_, to) = self.days()?;
        match self {
            ReportPeriod::Quarter { .. } => to.succ_opt()?.with_day(15),
            ReportPeriod::Year(y) => NaiveDate::from_ymd_opt(y + 1, 1, 31),
        }
    }

    /// How people write it: 2026年第3季度, 2026年度.
    pub fn zh(self) -> String {
        match self {
            ReportPeriod::Quarter { year, quarter } => format!("{year}年第{quarter}季度"),
            ReportPeriod::Year(year) => format!("{year}年度"),
        }
    }
}

/// The fields statistics need from one hidden danger.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsInput {
    /// Township.
    pub township: String,
    /// Sector.
    pub sector: String,
    /// Enterprise code.
    pub enterprise: String,
    /// Risk colour.
    pub risk_colour: RiskColour,
    /// Level.
    pub level: Level,
    /// Status.
    pub status: Status,
    /// Reported at.
    pub reported_at: Timestamp,
    /// Deadline.
    pub deadline: NaiveDate,
    /// Closed at.
    pub closed_at: Option<Timestamp>,
    /// Fixed on the spot.
    pub on_site: bool,
    /// Listed for supervision.
    pub listed: bool,
}

/// One line of statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsRow {
    /// The group (`total` for the whole).
    pub group: String,
    /// Recorded, voided included.
    pub recorded: u64,
    /// Voided (left out of the rates).
    pub voided: u64,
    /// Closed.
    pub closed: u64,
    /// Closed by the deadline.
    pub closed_on_time: u64,
    /// Still open.
    pub open: u64,
    /// Open and past the deadline.
    pub overdue: u64,
    /// Major recorded (voided left out).
    pub major: u64,
    /// Major closed.
    pub major_closed: u64,
    /// Major still open.
    pub open_major: u64,
    /// Listed for supervision and open.
    pub listed: u64,
    /// closed / (recorded − voided).
    pub rectification_rate: Option<f64>,
    /// major_closed / major.
    pub major_rectification_rate: Option<f64>,
    /// closed_on_time / closed.
    pub on_time_rate: Option<f64>,
    /// Mean days from report to closure.
    pub avg_days_to_close: Option<f64>,
}

fn group_key(i: &StatsInput, g: GroupBy) -> String {
    let d = i.reported_at.cst_date();
    match g {
        GroupBy::Total => "total".into(),
        GroupBy::Township => i.township.clone(),
        GroupBy::Sector => i.sector.clone(),
        GroupBy::RiskColour => i.risk_colour.as_str().into(),
        GroupBy::Level => i.level.as_str().into(),
        GroupBy::Enterprise => i.enterprise.clone(),
        GroupBy::Month => d.format("%Y-%m").to_string(),
        GroupBy::Quarter => {
            use chrono::Datelike;
            format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
        }
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Computes the figures per group (sorted by group), then a `total` row
/// unless grouping by total already.
pub fn compute(inputs: &[StatsInput], group_by: GroupBy, period: Period, now: Timestamp) -> Vec<StatsRow> {
    let selected: Vec<&StatsInput> = inputs
        .iter()
        .filter(|i| {
            let d = i.reported_at.cst_date();
            period.from.is_none_or(|f| d >= f) && period.to.is_none_or(|t| d <= t)
        })
        .collect();
    let mut groups: BTreeMap<String, Vec<&StatsInput>> = BTreeMap::new();
    for i in &selected {
        groups.entry(group_key(i, group_by)).or_default().push(i);
    }
    let mut out: Vec<StatsRow> = groups.into_iter().map(|(g, v)| row(g, &v, now)).collect();
    if group_by != GroupBy::Total {
        out.push(row("total".into(), &selected, now));
    }
    out
}

fn row(group: String, items: &[&StatsInput], now: Timestamp) -> StatsRow {
    let mut r = StatsRow {
        group,
        recorded: 0,
        voided: 0,
        closed: 0,
        closed_on_time: 0,
        open: 0,
        overdue: 0,
        major: 0,
        major_closed: 0,
        open_major: 0,
        listed: 0,
        rectification_rate: None,
        major_rectification_rate: None,
        on_time_rate: None,
        avg_days_to_close: None,
    };
    let mut days_total = 0.0;
    for i in items {
        r.recorded += 1;
        if i.status == Status::Voided {
            r.voided += 1;
            continue;
        }
        let major = i.level == Level::Major;
        r.major += u64::from(major);
        if i.status == Status::Closed {
            r.closed += 1;
            r.major_closed += u64::from(major);
            if let Some(c) = i.closed_at {
                if i.on_site || c <= end_of_cst_day(i.deadline) {
                    r.closed_on_time += 1;
                }
                days_total += (c.0 - i.reported_at.0) as f64 / 86_400_000.0;
            }
        } else {
            r.open += 1;
            r.open_major += u64::from(major);
            r.listed += u64::from(i.listed);
            if now > end_of_cst_day(i.deadline) {
                r.overdue += 1;
            }
        }
    }
    r.rectification_rate = ratio(r.closed, r.recorded - r.voided);
    r.major_rectification_rate = ratio(r.major_closed, r.major);
    r.on_time_rate = ratio(r.closed_on_time, r.closed);
    r.avg_days_to_close = (r.closed > 0).then(|| days_total / r.closed as f64);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(township: &str, status: Status, level: Level, closed: Option<&str>) -> StatsInput {
        StatsInput {
            township: township.into(),
            sector: "涉爆粉尘".into(),
            enterprise: "E".into(),
            risk_colour: RiskColour::Red,
            level,
            status,
            reported_at: Timestamp::parse("2026-11-01T10:00+08:00").unwrap(),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            closed_at: closed.map(|c| Timestamp::parse(c).unwrap()),
            on_site: false,
            listed: false,
        }
    }

    #[test]
    fn rates_leave_voided_out_and_count_on_time_by_deadline_end() {
        let rows = vec![
            input("玉山镇", Status::Closed, Level::General, Some("2026-12-01T23:59+08:00")),
            input("玉山镇", Status::Closed, Level::Major, Some("2026-12-02T00:01+08:00")),
            input("玉山镇", Status::Rectifying, Level::General, None),
            input("玉山镇", Status::Voided, Level::General, None),
            input("周市镇", Status::PendingReview, Level::Major, None),
        ];
        let now = Timestamp::parse("2026-12-05").unwrap();
        let out = compute(&rows, GroupBy::Township, Period::default(), now);
        assert_eq!(out.len(), 3);
        let ys = &out[1];
        assert_eq!(ys.group, "玉山镇");
        assert_eq!((ys.recorded, ys.voided, ys.closed, ys.closed_on_time), (4, 1, 2, 1));
        assert_eq!(ys.rectification_rate, Some(2.0 / 3.0));
        assert_eq!(ys.on_time_rate, Some(0.5));
        assert_eq!(ys.overdue, 1);
        let total = &out[2];
        assert_eq!((total.major, total.major_closed, total.open_major, total.overdue), (2, 1, 1, 2));
        let none = compute(&rows, GroupBy::Total, Period { from: NaiveDate::from_ymd_opt(2027, 1, 1), to: None }, now);
        assert!(none.is_empty());
    }

    #[test]
    fn report_periods_are_quarters_and_years_with_their_due_dates() {
        let q = ReportPeriod::parse("2026Q3").unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(q.days(), Some((d(2026, 7, 1), d(2026, 9, 30))));
        assert_eq!(q.due(), Some(d(2026, 10, 15)));
        assert_eq!(ReportPeriod::parse("2026Q4").unwrap().due(), Some(d(2027, 1, 15)));
        let y = ReportPeriod::parse("2026").unwrap();
        assert_eq!(y.days(), Some((d(2026, 1, 1), d(2026, 12, 31))));
        assert_eq!(y.due(), Some(d(2027, 1, 31)));
        assert_eq!(y.zh(), "2026年度");
        for bad in ["2026Q5", "Q3", "26", "2026-3", ""] {
            assert!(ReportPeriod::parse(bad).is_err(), "{bad}");
        }
    }
}
