//! `paicha-server plan ...` and `paicha-server due`: random inspection plans
//! (R16) stored on the server, and the routine inspection due list
//! (docs/planning.md). Part of the binary; the work is in
//! [`paicha_server::plans`].

use clap::Subcommand;
use paicha_core::planning::{self, Plan};
use paicha_core::time::{parse_date, Timestamp};
use paicha_server::plans;
use paicha_server::storage::{Storage, StoredPlan};
use std::path::PathBuf;

/// `paicha-server plan ...`
#[derive(Subcommand, Debug)]
pub enum PlanCmd {
    /// Draw a plan from a PlanInputs JSON file (docs/planning.md) and store it;
    /// a plan id is stored once and never changed.
    Create {
        /// The inputs: registers of targets and inspectors, ratios, team size, published seed.
        #[arg(long)]
        inputs: PathBuf,
        /// Who makes the plan (recorded with it).
        #[arg(long, default_value = "operator")]
        created_by: String,
    },
    /// The stored plans, newest first, with their seeds and hashes.
    List,
    /// One stored plan: its selections and teams (with --json: the plan
    /// itself, as published and checked by `paicha plan verify`).
    Show {
        /// The plan id.
        id: String,
    },
    /// Write a stored plan's publication (CSV, docs/planning.md §8).
    Export {
        /// The plan id.
        id: String,
        /// The CSV file to write.
        #[arg(long)]
        csv: PathBuf,
    },
}

/// `paicha-server due`
#[derive(clap::Args, Debug)]
pub struct DueArgs {
    /// Only this township.
    #[arg(long)]
    township: Option<String>,
    /// The day to compute for (YYYY-MM-DD); default: today on the server's clock (CST).
    #[arg(long)]
    date: Option<String>,
}

fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`... | head`) ends quietly.
    if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
        std::process::exit(0);
    }
}

fn canonical(plan: &Plan) -> Result<String, String> {
    let bytes = planning::canonical_json(plan).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

fn stored(storage: &dyn Storage, id: &str) -> Result<StoredPlan, String> {
    storage.plan(id).map_err(|e| e.to_string())?.ok_or_else(|| format!("no plan {id} is stored here (see: plan list)"))
}

fn listing(p: &StoredPlan) -> serde_json::Value {
    let i = &p.plan.inputs;
    serde_json::json!({
        "id": i.plan_id, "title": i.title, "seed": i.seed,
        "period_start": i.period_start, "period_end": i.period_end,
        "selections": p.plan.selections.len(),
        "inputs_sha256": p.plan.inputs_sha256, "plan_sha256": p.plan.plan_sha256,
        "created_by": p.created_by, "created_at": p.created_at,
    })
}

/// Runs a plan command.
pub fn plan(storage: &dyn Storage, cmd: PlanCmd, json: bool) -> Result<(), String> {
    match cmd {
        PlanCmd::Create { inputs, created_by } => {
            if created_by.trim().is_empty() {
                return Err("--created-by is empty".into());
            }
            let text = read_inputs(&inputs)?;
            let p = plans::create(storage, &text, created_by.trim(), Timestamp::now())
                .map_err(|e| format!("{}: {e}", inputs.display()))?;
            if json {
                emit(&listing(&p).to_string());
            } else {
                emit(&format!(
                    "plan {} stored: {} enterprises selected\ninputs_sha256 {}\nplan_sha256   {}",
                    p.id(),
                    p.plan.selections.len(),
                    p.plan.inputs_sha256,
                    p.plan.plan_sha256
                ));
            }
        }
        PlanCmd::List => {
            let list = storage.plans().map_err(|e| e.to_string())?;
            if json {
                emit(&serde_json::Value::Array(list.iter().map(listing).collect()).to_string());
            } else if list.is_empty() {
                emit("(none)");
            } else {
                for p in &list {
                    let i = &p.plan.inputs;
                    emit(&format!(
                        "{} {} ({} to {}) {} selected, seed \"{}\", plan_sha256 {}, by {} at {}",
                        i.plan_id,
                        i.title,
                        i.period_start,
                        i.period_end,
                        p.plan.selections.len(),
                        i.seed,
                        p.plan.plan_sha256,
                        p.created_by,
                        p.created_at
                    ));
                }
            }
        }
        PlanCmd::Show { id } => {
            let p = stored(storage, &id)?;
            if json {
                emit(&canonical(&p.plan)?);
            } else {
                emit(&show_text(&p));
            }
        }
        PlanCmd::Export { id, csv } => {
            let p = stored(storage, &id)?;
            write_file(&csv, planning::publication_csv(&p.plan).as_bytes())?;
            let v = serde_json::json!({ "id": p.id(), "csv": csv, "selections": p.plan.selections.len() });
            let text =
                format!("plan {} published to {} ({} enterprises)", p.id(), csv.display(), p.plan.selections.len());
            emit(&if json { v.to_string() } else { text });
        }
    }
    Ok(())
}

/// Runs `due`.
pub fn due(storage: &dyn Storage, args: DueArgs, json: bool) -> Result<(), String> {
    let today = match &args.date {
        Some(d) => parse_date("--date", d)?,
        None => Timestamp::now().cst_date(),
    };
    let list =
        plans::due_list(storage, &plans::operator(), args.township.as_deref(), today).map_err(|e| e.to_string())?;
    if json {
        emit(&serde_json::to_string(&list).map_err(|e| e.to_string())?);
    } else if list.is_empty() {
        emit("(none)");
    } else {
        emit(&list.iter().map(plans::due_line).collect::<Vec<_>>().join("\n"));
    }
    Ok(())
}

fn read_inputs(path: &std::path::Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > plans::MAX_INPUTS_BYTES as u64 {
        return Err(format!(
            "{}: {} bytes, more than the {} a plan's inputs may have",
            path.display(),
            meta.len(),
            plans::MAX_INPUTS_BYTES
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn show_text(p: &StoredPlan) -> String {
    let i = &p.plan.inputs;
    let name = |id: &str| match i.inspectors.iter().find(|x| x.person_id == id) {
        Some(x) => format!("{}（{}）", x.name, x.certificate_no),
        None => id.to_string(),
    };
    let mut out = vec![
        format!("plan {}: {}", i.plan_id, i.title),
        format!("period {} to {}", i.period_start, i.period_end),
        format!("seed \"{}\", algorithm {}", i.seed, p.plan.algorithm),
        format!("inputs_sha256 {}", p.plan.inputs_sha256),
        format!("plan_sha256   {}", p.plan.plan_sha256),
        format!("stored by {} at {}", p.created_by, p.created_at),
        format!(
            "{} targets, {} inspectors, ratios red {}‰ orange {}‰ yellow {}‰ blue {}‰, teams of {}",
            i.targets.len(),
            i.inspectors.len(),
            i.ratios.red_permille,
            i.ratios.orange_permille,
            i.ratios.yellow_permille,
            i.ratios.blue_permille,
            i.team_size
        ),
    ];
    for s in &p.plan.selections {
        let team: Vec<String> = s.team.iter().map(|t| name(t)).collect();
        let recused =
            if s.recused.is_empty() { String::new() } else { format!(" (recused: {})", s.recused.join(", ")) };
        out.push(format!(
            "{:>3} {} {} {} {}: {}{recused}",
            s.seq,
            s.credit_code,
            s.name,
            s.township,
            s.risk_colour.as_str(),
            team.join("、")
        ));
    }
    out.join("\n")
}
