//! Time as the rules see it: instants in UTC milliseconds, calendar days in
//! China Standard Time (UTC+8).
//!
//! Deadlines are "the end of a day in CST" (R5) while device clocks report UTC,
//! so every conversion between the two lives here and nowhere else.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An instant: milliseconds since the Unix epoch, UTC. Devices and the server
/// exchange these; a calendar day only exists once converted to CST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// The China Standard Time offset, UTC+8, fixed all year (no daylight saving).
pub fn cst() -> FixedOffset {
    // 8 hours is always a valid offset.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

impl Timestamp {
    /// The current instant from the system clock.
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().timestamp_millis())
    }

    /// The calendar day this instant falls on in China Standard Time.
    pub fn cst_date(self) -> NaiveDate {
        self.to_cst().date_naive()
    }

    /// This instant as a CST date-time.
    pub fn to_cst(self) -> DateTime<FixedOffset> {
        cst().timestamp_millis_opt(self.0).single().unwrap_or_else(|| {
            // Out of chrono's range: clamp rather than panic on hostile input.
            DateTime::<Utc>::MIN_UTC.with_timezone(&cst())
        })
    }

    /// Parses RFC 3339 (`2026-11-23T08:00:00Z`, `...+08:00`), a local
    /// date-time without offset taken as CST (`2026-11-23T08:00`), or a bare
    /// date taken as noon CST (`2026-11-23`), which is what a person typing a
    /// `--now` for a scenario usually means.
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let s = s.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(Timestamp(dt.timestamp_millis()));
        }
        if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
            return Ok(Timestamp(dt.timestamp_millis()));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
                return cst_local(naive).ok_or_else(|| format!("'{s}' is not a valid time"));
            }
        }
        if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let noon = date.and_hms_opt(12, 0, 0).ok_or_else(|| format!("'{s}' is not a valid time"))?;
            return cst_local(noon).ok_or_else(|| format!("'{s}' is not a valid time"));
        }
        Err(format!("'{s}' is not a time: use RFC 3339 like 2026-11-23T08:00:00+08:00, or 2026-11-23T08:00 (CST)"))
    }
}

fn cst_local(naive: NaiveDateTime) -> Option<Timestamp> {
    cst().from_local_datetime(&naive).single().map(|dt| Timestamp(dt.timestamp_millis()))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_cst().format("%Y-%m-%dT%H:%M:%S%:z"))
    }
}

/// The last millisecond of `date` in CST: a deadline on that day is met by
/// anything up to and including this instant (R5).
pub fn end_of_cst_day(date: NaiveDate) -> Timestamp {
    start_of_cst_day(date + Duration::days(1)).plus_millis(-1)
}

/// The first millisecond of `date` in CST.
pub fn start_of_cst_day(date: NaiveDate) -> Timestamp {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    cst_local(midnight).unwrap_or(Timestamp(0))
}

impl Timestamp {
    /// This instant moved by `ms` milliseconds (saturating).
    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }
}

/// Parses a calendar date written `YYYY-MM-DD`, naming the field when it is wrong.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("{field}: '{s}' is not a date (YYYY-MM-DD)"))
}

/// Whole calendar days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_evening_is_next_day_in_cst() {
        // 2026-11-01 17:00 UTC is 2026-11-02 01:00 in CST.
        let t = Timestamp::parse("2026-11-01T17:00:00Z").unwrap();
        assert_eq!(t.cst_date(), NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
        let t = Timestamp::parse("2026-11-01T15:59:59Z").unwrap();
        assert_eq!(t.cst_date(), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    }

    #[test]
    fn end_of_day_is_last_millisecond_before_cst_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let end = end_of_cst_day(d);
        assert_eq!(end, Timestamp::parse("2026-12-01T15:59:59.999Z").unwrap());
        assert_eq!(end.cst_date(), d);
        assert_eq!(end.plus_millis(1).cst_date(), d.succ_opt().unwrap());
    }

    #[test]
    fn parse_forms_and_errors() {
        assert_eq!(Timestamp::parse("2026-11-23T08:00").unwrap(), Timestamp::parse("2026-11-23T00:00:00Z").unwrap());
        assert_eq!(Timestamp::parse("2026-11-23").unwrap(), Timestamp::parse("2026-11-23T04:00:00Z").unwrap());
        let err = Timestamp::parse("yesterday").unwrap_err();
        assert!(err.contains("'yesterday' is not a time"), "{err}");
        assert!(parse_date("deadline", "2026-13-01").unwrap_err().contains("deadline"));
    }
}
