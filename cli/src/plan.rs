//! `paicha plan ...`: draw a random inspection plan (双随机一公开, R16) from
//! its published inputs, or check a published plan, offline and without a
//! store (pure `paicha_core::planning` calls: anyone with the inputs and the
//! seed can do it); and `paicha due`: the routine inspection due list in the
//! signed-in person's scope (docs/planning.md).

use crate::commands::CliError;
use crate::output::{self, Out};
use clap::Subcommand;
use paicha_core::planning::{self, Plan, PlanError, PlanInputs};
use paicha_core::time::Timestamp;
use paicha_store::{Error, Store};
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, CliError>;

/// Largest plan or inputs file read (a register of 20,000 enterprises is a few MB).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// `paicha plan ...`
#[derive(Subcommand, Debug)]
pub enum PlanCmd {
    /// Draw the plan from a PlanInputs JSON file (registers, ratios, team size,
    /// published seed): the same inputs give the same plan on every machine.
    Generate {
        /// The inputs file.
        #[arg(long)]
        inputs: PathBuf,
        /// Write the plan (canonical JSON) to this file; without --out or
        /// --csv the plan is printed.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the publication (CSV) to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Check a published plan: draw it again from its own inputs and seed and
    /// compare the selections and both hashes (exit code 3 if it does not check out).
    Verify {
        /// The plan file (JSON, as `plan generate` or `paicha-server plan show --json` writes it).
        file: PathBuf,
    },
}

fn read(path: &Path) -> Result<String> {
    let io = |e| CliError::Core(Error::Io { path: path.to_path_buf(), source: e });
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(CliError::Usage(format!("{}: {len} bytes, more than a plan file may have", path.display())));
    }
    std::fs::read_to_string(path).map_err(io)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| CliError::Core(Error::Io { path: path.to_path_buf(), source: e }))
}

/// A plan error's message without its `R16: ` prefix (the caller adds the rule).
fn message(e: &PlanError) -> String {
    let m = e.to_string();
    m.strip_prefix("R16: ").map(str::to_string).unwrap_or(m)
}

fn canonical(plan: &Plan) -> Result<String> {
    let bytes = planning::canonical_json(plan).map_err(|e| CliError::Usage(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CliError::Usage(e.to_string()))
}

fn summary(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "id": plan.inputs.plan_id, "selections": plan.selections.len(),
        "inputs_sha256": plan.inputs_sha256, "plan_sha256": plan.plan_sha256,
    })
}

/// Runs `paicha plan ...` (no store needed).
pub fn plan(cmd: &PlanCmd, out: &Out) -> Result<i32> {
    match cmd {
        PlanCmd::Generate { inputs, out: plan_file, csv } => {
            let text = read(inputs)?;
            let invalid = |e: PlanError| CliError::Core(Error::invalid(inputs.display().to_string(), e.to_string()));
            let parsed = PlanInputs::from_json(&text).map_err(invalid)?;
            let plan = planning::generate(&parsed).map_err(invalid)?;
            let json = canonical(&plan)?;
            if let Some(path) = plan_file {
                write(path, json.as_bytes())?;
            }
            if let Some(path) = csv {
                write(path, planning::publication_csv(&plan).as_bytes())?;
            }
            if plan_file.is_none() && csv.is_none() {
                output::emit(&json);
            } else {
                out.value(
                    &summary(&plan),
                    &format!(
                        "plan {}: {} enterprises selected\ninputs_sha256 {}\nplan_sha256   {}",
                        plan.inputs.plan_id,
                        plan.selections.len(),
                        plan.inputs_sha256,
                        plan.plan_sha256
                    ),
                );
            }
            Ok(0)
        }
        PlanCmd::Verify { file } => {
            let text = read(file)?;
            let plan: Plan = serde_json::from_str(&text).map_err(|e| {
                CliError::Core(Error::invalid(
                    file.display().to_string(),
                    format!("not a plan (docs/planning.md §5): {e}"),
                ))
            })?;
            planning::verify(&plan).map_err(|e| {
                CliError::Core(Error::Rule(paicha_core::RuleError::new(
                    "R16",
                    format!("{}: plan {} does not check out: {}", file.display(), plan.inputs.plan_id, message(&e)),
                )))
            })?;
            out.value(
                &summary(&plan),
                &format!(
                    "plan {} checks out: its {} selections are what its inputs and seed give\ninputs_sha256 {}\nplan_sha256   {}",
                    plan.inputs.plan_id,
                    plan.selections.len(),
                    plan.inputs_sha256,
                    plan.plan_sha256
                ),
            );
            Ok(0)
        }
    }
}

/// Runs `paicha due`: the due list of `who`'s scope on the CST day of `now`.
pub fn due(store: &Store, who: &str, now: Timestamp, out: &Out) -> Result<i32> {
    let list = store.due_inspections(who, now.cst_date())?;
    let text = list
        .iter()
        .map(|d| {
            let status = match d.status {
                planning::DueStatus::Overdue { days_overdue } => format!("overdue {days_overdue}d"),
                planning::DueStatus::Due { days_left: 0 } => "due today".into(),
                planning::DueStatus::Due { days_left } => format!("due in {days_left}d"),
                planning::DueStatus::NotDue { days_left } => format!("not due ({days_left}d)"),
            };
            let last = d.last_inspected.map(|x| x.to_string()).unwrap_or_else(|| "never".into());
            format!(
                "{status:<14} {} {} {} {} {} last {last}, every {} months",
                d.due_date,
                d.credit_code,
                d.name,
                d.township,
                d.risk_colour.as_str(),
                d.interval_months
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    out.value(&serde_json::to_value(&list).unwrap_or_default(), if text.is_empty() { "(none)" } else { &text });
    Ok(0)
}
