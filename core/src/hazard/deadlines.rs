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

/// One step of R10's ladder that produces a notice to people outside the
/// record (email, webhook, the console's notice list). The server sends each
/// step once per hidden danger, so a step is identified by its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeKind {
    /// The deadline is this many days away or nearer (a policy reminder step).
    Reminder {
        /// The policy's step: days before the deadline.
        days_before: u32,
    },
    /// Overdue: the township supervisor is alerted.
    Township,
    /// Overdue long enough (at once for a major one): the district is alerted.
    District,
}

impl NoticeKind {
    /// Stable name of the step, part of a notice's key: `reminder_7`,
    /// `reminder_3`, `township`, `district`.
    pub fn key(&self) -> String {
        match self {
            NoticeKind::Reminder { days_before } => format!("reminder_{days_before}"),
            NoticeKind::Township => "township".to_string(),
            NoticeKind::District => "district".to_string(),
        }
    }

    /// The step back from its [`NoticeKind::key`], `None` for an unknown name.
    pub fn from_key(key: &str) -> Option<NoticeKind> {
        match key {
            "township" => Some(NoticeKind::Township),
            "district" => Some(NoticeKind::District),
            _ => key.strip_prefix("reminder_")?.parse().ok().map(|days_before| NoticeKind::Reminder { days_before }),
        }
    }
}

/// The steps of R10's ladder reached at `now` by a hidden danger in
/// `status`/`level` with `deadline`, for the server's notices: before the
/// deadline, the latest reminder step reached (a step missed while the
/// server was down is not sent late when a nearer one is due); once overdue,
/// the township, and the district when the policy's overdue days for the
/// level have passed (a major one on the first overdue day). Nothing for a
/// closed or voided record. The caller sends each step once.
pub fn due_notices(
    status: Status,
    level: Level,
    deadline: NaiveDate,
    now: Timestamp,
    policy: &Policy,
) -> Vec<NoticeKind> {
    // The ladder is [`escalation`]'s; only which reminder step was reached is added here.
    match escalation(status, level, deadline, None, now, policy) {
        Escalation::None | Escalation::VerificationLate { .. } => Vec::new(),
        Escalation::Reminder { days_left } => policy
            .at(now.cst_date())
            .reminder_days_before
            .iter()
            .copied()
            .filter(|&step| i64::from(step) >= days_left)
            .min()
            .map(|days_before| vec![NoticeKind::Reminder { days_before }])
            .unwrap_or_default(),
        Escalation::Township { .. } => vec![NoticeKind::Township],
        Escalation::District { .. } => vec![NoticeKind::Township, NoticeKind::District],
    }
}

#[cfg(test)]
mod notice_tests {
    use super::*;

    fn at(date: &str) -> Timestamp {
        // A bare date is noon CST.
        Timestamp::parse(date).unwrap()
    }

    fn due(status: Status, level: Level, now: &str) -> Vec<NoticeKind> {
        let deadline: NaiveDate = "2026-06-30".parse().unwrap();
        due_notices(status, level, deadline, at(now), &Policy::default())
    }

    #[test]
    fn each_step_of_the_ladder_once() {
        use NoticeKind::*;
        let g = |now| due(Status::Rectifying, Level::General, now);
        assert_eq!(g("2026-06-01"), vec![]);
        assert_eq!(g("2026-06-22"), vec![]);
        assert_eq!(g("2026-06-23"), vec![Reminder { days_before: 7 }]);
        assert_eq!(g("2026-06-26"), vec![Reminder { days_before: 7 }]);
        assert_eq!(g("2026-06-27"), vec![Reminder { days_before: 3 }]);
        assert_eq!(g("2026-06-30"), vec![Reminder { days_before: 3 }]);
        assert_eq!(g("2026-07-01"), vec![Township]);
        assert_eq!(g("2026-07-07"), vec![Township]);
        assert_eq!(g("2026-07-08"), vec![Township, District]);
        let m = |now| due(Status::PendingReview, Level::Major, now);
        assert_eq!(m("2026-06-30"), vec![Reminder { days_before: 3 }]);
        assert_eq!(m("2026-07-01"), vec![Township, District]);
    }

    #[test]
    fn nothing_for_closed_or_voided() {
        for status in [Status::Closed, Status::Voided] {
            for now in ["2026-06-27", "2026-07-01", "2026-08-01"] {
                assert_eq!(due(status, Level::Major, now), vec![]);
            }
        }
    }

    #[test]
    fn keys_round_trip() {
        for kind in [
            NoticeKind::Reminder { days_before: 7 },
            NoticeKind::Reminder { days_before: 3 },
            NoticeKind::Township,
            NoticeKind::District,
        ] {
            assert_eq!(NoticeKind::from_key(&kind.key()), Some(kind));
        }
        assert_eq!(NoticeKind::from_key("reminder_x"), None);
        assert_eq!(NoticeKind::from_key("other"), None);
    }
}
