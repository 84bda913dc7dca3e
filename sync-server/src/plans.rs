//! Random inspection plans (双随机一公开, R16) and the routine inspection due
//! list on the server: what the operator's commands (`paicha-server plan`,
//! `paicha-server due`) and the console's pages (`/plans`, `/due`) share.
//!
//! A plan is drawn by the pure `paicha_core::planning::generate` from inputs
//! a district admin prepared, stored once ([`Storage::insert_plan`], never
//! overwritten) and checked again whenever it is read. The due list is
//! `paicha_core::planning::due_inspections` over the registry's enterprises
//! in the viewer's scope (R2), the district's policy, and the last completed
//! inspection of each enterprise from the stored inspection summaries.

use crate::storage::{Storage, StorageError, StoredPlan, SummaryQuery};
use chrono::NaiveDate;
use paicha_core::kinds::DocKind;
use paicha_core::people::{Person, Role};
use paicha_core::planning::{self, DueInspection, DueStatus, PlanError, PlanInputs};
use paicha_core::summary::Summary;
use paicha_core::time::Timestamp;

/// Largest inputs file taken (a register of 20,000 enterprises and its
/// inspectors is a few megabytes).
pub const MAX_INPUTS_BYTES: usize = 16 * 1024 * 1024;

/// Why a plan was not stored.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The inputs cannot be read or do not make a plan (the message names
    /// the field, enterprise or inspector, R16).
    #[error(transparent)]
    Inputs(#[from] PlanError),
    /// Storage refused or failed (a plan of that id is stored already: conflict).
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Draws the plan for `inputs_json` (PlanInputs, docs/planning.md) and
/// stores it as made by `created_by` at `now`.
pub fn create(
    storage: &dyn Storage,
    inputs_json: &str,
    created_by: &str,
    now: Timestamp,
) -> Result<StoredPlan, CreateError> {
    let inputs = PlanInputs::from_json(inputs_json)?;
    let plan = planning::generate(&inputs)?;
    let stored = StoredPlan { plan, created_by: created_by.to_string(), created_at: now };
    storage.insert_plan(&stored)?;
    Ok(stored)
}

/// The viewer of the operator's commands: the whole district.
pub fn operator() -> Person {
    Person {
        id: "operator".into(),
        name: "paicha-server operator".into(),
        role: Role::DistrictAdmin,
        townships: vec![],
        enterprise: None,
        certificate_no: None,
    }
}

/// The due list (docs/planning.md §10) of the enterprises `viewer` may see
/// (R2), of one township if given, on `today`.
pub fn due_list(
    storage: &dyn Storage,
    viewer: &Person,
    township: Option<&str>,
    today: NaiveDate,
) -> Result<Vec<DueInspection>, StorageError> {
    let enterprises: Vec<_> = storage
        .reference_for(viewer)?
        .enterprises
        .into_iter()
        .filter(|e| township.is_none_or(|t| e.township == t))
        .collect();
    let mut q = SummaryQuery::all(DocKind::Inspection);
    q.viewer = Some(viewer);
    q.township = township;
    let summaries = storage.summaries(&q)?;
    let inspections = summaries.iter().filter_map(|s| match s {
        Summary::Inspection(i) => Some((i.enterprise.as_str(), i.source, i.ended_at)),
        _ => None,
    });
    let last = planning::last_inspected(inspections);
    Ok(planning::due_inspections(&enterprises, &last, &storage.policy()?, today))
}

/// A due entry's status in words: `overdue 3d`, `due today`, `due in 5d`, `not due (40d)`.
pub fn status_text(s: &DueStatus) -> String {
    match s {
        DueStatus::Overdue { days_overdue } => format!("overdue {days_overdue}d"),
        DueStatus::Due { days_left: 0 } => "due today".into(),
        DueStatus::Due { days_left } => format!("due in {days_left}d"),
        DueStatus::NotDue { days_left } => format!("not due ({days_left}d)"),
    }
}

/// One line of the due list for a terminal.
pub fn due_line(d: &DueInspection) -> String {
    let last = d.last_inspected.map(|x| x.to_string()).unwrap_or_else(|| "never".into());
    format!(
        "{:<14} {} {} {} {} {} last {last}, every {} months",
        status_text(&d.status),
        d.due_date,
        d.credit_code,
        d.name,
        d.township,
        d.risk_colour.as_str(),
        d.interval_months
    )
}
