//! Deadlines and escalation, derived from the deadline, the record's level
//! and status and a clock, never stored (R10, and R11's verification limit).

use crate::policy::Policy;
use crate::time::{days_between, end_of_cst_day, Timestamp};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::vocabulary::{Level, Status};

/// 逾期/督办 level, derived from the deadline and a clock (R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Escalation {
    /// Nothing to do yet, or not open.
    None,
    /// A reminder is due (the deadline is near).
    Reminder {
        /// Calendar days left (0: today is the deadline).
        days_left: i64,
    },
    /// Overdue: the township supervisor is alerted.
    Township {
        /// Calendar days past the deadline.
        overdue_days: i64,
    },
    /// Overdue long enough (or major): the district is alerted.
    District {
        /// Calendar days past the deadline.
        overdue_days: i64,
    },
    /// A major hidden danger whose district verification (核销) did not come
    /// within the policy's days after the enterprise asked to resume work
    /// (R11): the district is alerted.
    VerificationLate {
        /// Calendar days past the verification's due day.
        days_late: i64,
    },
}

impl Escalation {
    /// Short name: none, reminder, township, district.
    pub fn as_str(&self) -> &'static str {
        match self {
            Escalation::None => "none",
            Escalation::Reminder { .. } => "reminder",
            Escalation::Township { .. } => "township",
            Escalation::District { .. } => "district",
            Escalation::VerificationLate { .. } => "verification_late",
        }
    }
}

/// Days past `deadline` at `now` for a record in `status` (0 if not overdue).
pub fn overdue_days(status: Status, deadline: NaiveDate, now: Timestamp) -> i64 {
    if !status.is_open() || now <= end_of_cst_day(deadline) {
        return 0;
    }
    days_between(deadline, now.cst_date())
}

/// Calendar days (CST) a major hidden danger's district verification is
/// late: it is due within the policy's days of the enterprise's request to
/// resume work (R11). 0 when not late, not asked, closed or general.
pub fn verification_late_days(
    status: Status,
    level: Level,
    resumption_requested_at: Option<Timestamp>,
    now: Timestamp,
    policy: &Policy,
) -> i64 {
    let Some(asked) = resumption_requested_at else { return 0 };
    if level != Level::Major || !status.is_open() {
        return 0;
    }
    let asked = asked.cst_date();
    let due = asked + chrono::Duration::days(policy.at(asked).verification_days_after_resumption_request.into());
    if now <= end_of_cst_day(due) {
        return 0;
    }
    days_between(due, now.cst_date())
}

/// R10 (and R11's verification limit) as a function of the projected
/// fields, so lists can compute it without loading documents.
pub fn escalation(
    status: Status,
    level: Level,
    deadline: NaiveDate,
    resumption_requested_at: Option<Timestamp>,
    now: Timestamp,
    policy: &Policy,
) -> Escalation {
    if !status.is_open() {
        return Escalation::None;
    }
    let p = policy.at(now.cst_date());
    let overdue = overdue_days(status, deadline, now);
    let district_after = match level {
        Level::General => p.district_after_overdue_days_general,
        Level::Major => p.district_after_overdue_days_major,
    };
    if overdue > i64::from(district_after) {
        return Escalation::District { overdue_days: overdue };
    }
    let late = verification_late_days(status, level, resumption_requested_at, now, policy);
    if late > 0 {
        return Escalation::VerificationLate { days_late: late };
    }
    if overdue > 0 {
        return Escalation::Township { overdue_days: overdue };
    }
    let days_left = days_between(now.cst_date(), deadline);
    let first_reminder = p.reminder_days_before.iter().copied().max().unwrap_or(0);
    if days_left <= i64::from(first_reminder) && !p.reminder_days_before.is_empty() {
        Escalation::Reminder { days_left }
    } else {
        Escalation::None
    }
}
