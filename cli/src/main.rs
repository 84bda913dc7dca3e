//! `paicha`: drives a local paicha store the way a tablet would, for
//! operators, scripts and tests. Every command takes `--json` for machine
//! output, the acting person with `--as`, and `--now` to script deadlines.
//! Errors are one line on stderr and a non-zero exit code.

mod commands;
mod documents;
mod import;
mod keyfile;
mod output;
mod plan;
mod progress;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Offline hidden-danger inspection and the 30-day rectification loop.
#[derive(Parser, Debug)]
#[command(name = "paicha", version, about)]
pub struct Cli {
    /// The store directory (a tablet's local data).
    #[arg(long, global = true, env = "PAICHA_STORE", default_value = "paicha-store")]
    pub store: PathBuf,
    /// The file holding the store's key (64 hex digits): an encrypted store
    /// opens only with it. Default: ~/.config/paicha/store.key, made by the first init.
    #[arg(long, global = true, env = "PAICHA_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The person acting or viewing (their id; default: the store's user); the rules check their role and scope.
    #[arg(long = "as", global = true, env = "PAICHA_AS", value_name = "PERSON")]
    pub as_person: Option<String>,
    /// Use this time as "now" (RFC 3339, or YYYY-MM-DDTHH:MM in CST), for scripting deadlines.
    #[arg(long, global = true, env = "PAICHA_NOW", value_name = "TIME")]
    pub now: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a store for a device and its user (with --demo: a demo district to try at once).
    Init {
        /// The device's id.
        #[arg(long)]
        device: String,
        /// The person signed in on this tablet: acts when --as is not given.
        #[arg(long)]
        user: Option<String>,
        /// Add the demo district's people and enterprises.
        #[arg(long)]
        demo: bool,
        /// Keep the store unencrypted (to look inside it with sqlite3). Such a
        /// store works offline but cannot be enrolled: a device token is kept
        /// only in an encrypted store.
        #[arg(long)]
        unencrypted: bool,
    },
    /// Show the store's device and counts.
    Info,
    /// Enroll this tablet with a sync server using the code from the district admin.
    Enroll {
        /// The server's base URL, for example http://127.0.0.1:7878.
        #[arg(long)]
        server: String,
        /// The one-time enrollment code.
        #[arg(long)]
        code: String,
        /// Trust this certificate authority (PEM) besides the system's, for
        /// a server whose certificate comes from the district's own CA; kept for later syncs.
        #[arg(long, value_name = "PEM")]
        ca_cert: Option<PathBuf>,
    },
    /// Sync now: upload this tablet's changes, download everything new in scope.
    Sync {
        /// Print progress on stderr even when it is not a terminal (one line per step).
        /// On a terminal progress is shown on one updating line; piped, sync is quiet.
        #[arg(long, conflicts_with = "quiet")]
        progress: bool,
        /// No progress, even on a terminal.
        #[arg(long)]
        quiet: bool,
    },
    /// Edits the server refused (kept here, never dropped), with the rule each broke.
    Refused,
    /// People and their roles.
    #[command(subcommand)]
    Person(PersonCmd),
    /// Enterprises.
    #[command(subcommand)]
    Enterprise(EnterpriseCmd),
    /// Checklist templates.
    #[command(subcommand)]
    Template(TemplateCmd),
    /// Local policy (deadline windows, escalation ladder).
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Inspections.
    #[command(subcommand)]
    Inspection(InspectionCmd),
    /// Hidden dangers and every action of the rectification loop.
    #[command(subcommand)]
    Hazard(Box<HazardCmd>),
    /// What waits for your decision: review queue (supervisor) or verification queue (district).
    Queue,
    /// Open hidden dangers past their deadline, with escalation level.
    Overdue,
    /// Open hidden dangers due within some days.
    DueSoon {
        /// How many days ahead.
        #[arg(long, default_value_t = 7)]
        days: u32,
    },
    /// Records with conflicting concurrent decisions waiting for a person.
    Conflicts,
    /// Enterprises in your scope due for a routine inspection, by their risk colour's interval.
    Due,
    /// Random inspection plans (双随机一公开, R16): draw one from its inputs, or check a published one, offline.
    #[command(subcommand)]
    Plan(plan::PlanCmd),
    /// Rectification rate, on-time rate, overdue and major counts.
    Stats {
        /// Group by: total, township, sector, risk_colour, level, enterprise, month, quarter.
        #[arg(long, default_value = "township")]
        by: String,
        /// First reporting day counted (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Last reporting day counted (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        /// A report period (§6): a quarter (2026Q3) or a year (2026); sets --from and --to.
        #[arg(long)]
        period: Option<String>,
        /// Write the quarterly or annual report as an A4 PDF to this file (needs --period).
        #[arg(long, requires = "period")]
        pdf: Option<PathBuf>,
        /// The CJK font of the PDF.
        #[arg(long, env = "PAICHA_FONT", default_value = paicha_pdf::DEBIAN_CJK_FONT)]
        font: PathBuf,
    },
    /// Export the hidden dangers in your scope (full records with history as JSON, or a CSV list).
    Export {
        /// json or csv.
        #[arg(long, default_value = "json")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print progress on stderr even when it is not a terminal (one line per step).
        #[arg(long, conflicts_with = "quiet")]
        progress: bool,
        /// No progress, even on a terminal.
        #[arg(long)]
        quiet: bool,
    },
    /// Photos: check that every stored photo is present and intact.
    #[command(subcommand)]
    Photos(PhotosCmd),
    /// Rectification orders (责令限期整改指令书): issue offline with this tablet's next number, void, print (§4, R15).
    #[command(subcommand)]
    Order(documents::OrderCmd),
    /// Review opinions (整改复查意见书) citing an order: review its hidden dangers and print (§4, R8).
    #[command(subcommand)]
    Opinion(documents::OpinionCmd),
}

/// `paicha person ...`
#[derive(Subcommand, Debug)]
pub enum PersonCmd {
    /// Add or replace a person.
    Add {
        /// Id (account name).
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// inspector, enterprise, supervisor or district_admin.
        #[arg(long)]
        role: String,
        /// Township in scope (repeat for several; a supervisor has one).
        #[arg(long)]
        township: Vec<String>,
        /// The enterprise's credit code, for an enterprise user.
        #[arg(long)]
        enterprise: Option<String>,
        /// Certificate number (执法证号), for inspectors.
        #[arg(long)]
        cert: Option<String>,
    },
    /// List people.
    List,
}

/// `paicha enterprise ...`
#[derive(Subcommand, Debug)]
pub enum EnterpriseCmd {
    /// Import enterprises from a CSV file (all or nothing).
    Import {
        /// CSV with a header: credit_code,name,address,township,grid,sectors,size_class,risk_colour,hazardous_chemicals,contact_name,contact_phone
        file: PathBuf,
        /// Print progress on stderr even when it is not a terminal (one line per step).
        #[arg(long, conflicts_with = "quiet")]
        progress: bool,
        /// No progress, even on a terminal.
        #[arg(long)]
        quiet: bool,
    },
    /// List enterprises.
    List {
        /// Only this township.
        #[arg(long)]
        township: Option<String>,
    },
    /// Show one enterprise.
    Show {
        /// Credit code.
        code: String,
    },
}

/// `paicha template ...`
#[derive(Subcommand, Debug)]
pub enum TemplateCmd {
    /// List template versions.
    List,
    /// Show a template's items.
    Show {
        /// Template id.
        id: String,
        /// Version (latest if omitted).
        #[arg(long)]
        version: Option<u32>,
    },
    /// Publish a template version from a JSON file (a published version never changes).
    Import {
        /// The JSON file.
        file: PathBuf,
    },
}

/// `paicha policy ...`
#[derive(Subcommand, Debug)]
pub enum PolicyCmd {
    /// Print the policy as JSON.
    Show,
    /// Replace the policy from a JSON file (versions with effective dates).
    Set {
        /// The JSON file.
        file: PathBuf,
    },
}

/// `paicha photos ...`
#[derive(Subcommand, Debug)]
pub enum PhotosCmd {
    /// Report missing or altered photo files (exit code 1 if any).
    Verify,
}

/// `paicha inspection ...`
#[derive(Subcommand, Debug)]
pub enum InspectionCmd {
    /// Start an inspection of an enterprise with a checklist template.
    Start {
        /// Template id.
        #[arg(long)]
        template: String,
        /// Template version (latest if omitted); pinned for the inspection.
        #[arg(long)]
        version: Option<u32>,
        /// Enterprise credit code.
        #[arg(long)]
        enterprise: String,
        /// Another inspector taking part (repeat).
        #[arg(long = "with")]
        with: Vec<String>,
        /// routine, special_campaign, random_plan, complaint, before_resumption, self_inspection, other.
        #[arg(long, default_value = "routine")]
        source: String,
        /// An enforcement inspection (needs two inspectors with certificate numbers).
        #[arg(long)]
        enforcement: bool,
        /// lat,lon[,accuracy_m].
        #[arg(long)]
        gps: Option<String>,
    },
    /// Answer one item.
    Answer {
        /// Inspection id (or a unique prefix).
        id: String,
        /// Item code.
        #[arg(long)]
        item: String,
        /// conforms, does_not_conform, na, a number, photo, or text:...
        #[arg(long)]
        value: String,
        /// A note.
        #[arg(long, default_value = "")]
        note: String,
        /// A photo file (repeat).
        #[arg(long)]
        photo: Vec<PathBuf>,
    },
    /// Answer items from a file (CSV item,value,note or JSON [{item,value,note}]), all or nothing.
    Answers {
        /// Inspection id.
        id: String,
        /// The file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Complete the inspection: evaluates criteria, proposes hidden dangers.
    Complete {
        /// Inspection id.
        id: String,
        /// A signature as name:capacity (repeat), capacity inspector or enterprise_representative.
        #[arg(long)]
        sign: Vec<String>,
    },
    /// Show an inspection.
    Show {
        /// Inspection id.
        id: String,
    },
    /// The items of an inspection with answers and hidden dangers raised.
    Items {
        /// Inspection id.
        id: String,
    },
    /// List inspections.
    List {
        /// Only this enterprise.
        #[arg(long)]
        enterprise: Option<String>,
    },
}

/// Photo files attached to an action.
#[derive(Args, Debug, Clone)]
pub struct PhotoArgs {
    /// A photo file (JPEG, repeat for several).
    #[arg(long)]
    pub photo: Vec<PathBuf>,
    /// GPS of the photos: lat,lon[,accuracy_m].
    #[arg(long)]
    pub gps: Option<String>,
}

/// A decision: approve or reject.
#[derive(Args, Debug, Clone)]
#[group(required = true, multiple = false)]
pub struct Verdict {
    /// Approve.
    #[arg(long)]
    pub approve: bool,
    /// Reject (needs --opinion with the reason).
    #[arg(long)]
    pub reject: bool,
}

/// `paicha hazard ...`
#[derive(Subcommand, Debug)]
pub enum HazardCmd {
    /// Record a hidden danger; with deadline handling this issues the rectification order.
    Report {
        /// Enterprise credit code.
        #[arg(long)]
        enterprise: String,
        /// The inspection that found it.
        #[arg(long)]
        inspection: Option<String>,
        /// The checklist item (pre-fills description, legal basis, level).
        #[arg(long)]
        item: Option<String>,
        /// What is wrong.
        #[arg(long)]
        description: Option<String>,
        /// Where in the plant.
        #[arg(long, default_value = "")]
        location: String,
        /// unsafe_condition, unsafe_act, management_defect.
        #[arg(long)]
        kind: Option<String>,
        /// general or major.
        #[arg(long)]
        level: Option<String>,
        /// deadline or on_site.
        #[arg(long)]
        handling: Option<String>,
        /// Required measures.
        #[arg(long, default_value = "")]
        measures: String,
        /// Responsible person at the enterprise.
        #[arg(long, default_value = "")]
        responsible: String,
        /// Rectification funds, yuan.
        #[arg(long)]
        funds: Option<f64>,
        /// The second inspector issuing the order (repeat).
        #[arg(long = "with")]
        with: Vec<String>,
        /// A deadline shorter than the policy's window (YYYY-MM-DD).
        #[arg(long)]
        deadline: Option<String>,
        /// Sector.
        #[arg(long)]
        sector: Option<String>,
        /// Before photos.
        #[command(flatten)]
        photos: PhotoArgs,
    },
    /// List hidden dangers in your scope.
    List {
        /// Township.
        #[arg(long)]
        township: Option<String>,
        /// Enterprise credit code.
        #[arg(long)]
        enterprise: Option<String>,
        /// rectifying, pending_review, pending_verification, closed, voided.
        #[arg(long)]
        status: Option<String>,
        /// general or major.
        #[arg(long)]
        level: Option<String>,
        /// Raised in this inspection.
        #[arg(long)]
        inspection: Option<String>,
    },
    /// Show one hidden danger.
    Show {
        /// Id (or a unique prefix).
        id: String,
    },
    /// Every event of a hidden danger: who, role, device, time, what (R1).
    History {
        /// Id.
        id: String,
    },
    /// The case file (执法案卷) as one PDF: the record, orders, evidence with photos, review opinions, full history, SHA-256 manifest.
    CaseFile {
        /// Id.
        id: String,
        /// Font and output.
        #[command(flatten)]
        print: documents::PrintArgs,
    },
    /// Close a general hidden danger fixed on the spot during the inspection (R6).
    Fix {
        /// Id.
        id: String,
        /// What was done.
        #[arg(long)]
        description: String,
        /// After photos.
        #[command(flatten)]
        photos: PhotoArgs,
    },
    /// Submit rectification evidence (R7).
    Evidence {
        /// Id.
        id: String,
        /// What was done.
        #[arg(long)]
        description: String,
        /// When it was finished (YYYY-MM-DD).
        #[arg(long)]
        rectified_on: Option<String>,
        /// After photos.
        #[command(flatten)]
        photos: PhotoArgs,
    },
    /// Township review: approve (close, or pass a major one to the district) or reject (R8).
    Review {
        /// Id.
        id: String,
        /// The decision.
        #[command(flatten)]
        verdict: Verdict,
        /// The opinion; required when rejecting.
        #[arg(long, default_value = "")]
        opinion: String,
    },
    /// District verification (核销) of a major hidden danger (R11).
    Verify {
        /// Id.
        id: String,
        /// The decision.
        #[command(flatten)]
        verdict: Verdict,
        /// The opinion; required when refusing.
        #[arg(long, default_value = "")]
        opinion: String,
    },
    /// Ask for an extension before the deadline (R9).
    Extend {
        /// Id.
        id: String,
        /// The date asked for (YYYY-MM-DD).
        #[arg(long)]
        until: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Grant or refuse the waiting extension request (R9).
    DecideExtension {
        /// Id.
        id: String,
        /// Grant it.
        #[arg(long, conflicts_with = "refuse", required_unless_present = "refuse")]
        grant: bool,
        /// Refuse it (needs --reason).
        #[arg(long)]
        refuse: bool,
        /// The new deadline when granting (default: the one asked for).
        #[arg(long)]
        until: Option<String>,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Void a record made in error (R12).
    Void {
        /// Id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Raise or lower the level (R13).
    Level {
        /// Id.
        id: String,
        /// general or major.
        #[arg(long)]
        level: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Submit the governance plan of a major hidden danger, all six elements (R11).
    Plan {
        /// Id.
        id: String,
        /// 治理的目标和任务.
        #[arg(long, default_value = "")]
        objectives: String,
        /// 采取的方法和措施.
        #[arg(long, default_value = "")]
        methods: String,
        /// 经费和物资的落实.
        #[arg(long, default_value = "")]
        funds: String,
        /// 负责治理的机构和人员.
        #[arg(long, default_value = "")]
        responsible: String,
        /// 治理的时限和要求.
        #[arg(long, default_value = "")]
        time_limits: String,
        /// 安全措施和应急预案.
        #[arg(long, default_value = "")]
        safety: String,
        /// Day reported to the authority (双报告).
        #[arg(long)]
        reported_to_authority: Option<String>,
        /// Day reported to the workforce (双报告).
        #[arg(long)]
        reported_to_workforce: Option<String>,
        /// Read the plan from a JSON file instead.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// List a major hidden danger for supervision (挂牌督办) at county, city or province level (R11).
    Listing {
        /// Id.
        id: String,
        /// county, city or province.
        #[arg(long)]
        level: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Suspend work (停产停业) for at most the policy's months (R11).
    Suspend {
        /// Id.
        id: String,
        /// First day.
        #[arg(long)]
        from: String,
        /// Last day.
        #[arg(long)]
        until: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// The enterprise asks to resume work; district verification is then due within 10 days (R11).
    ResumeRequest {
        /// Id.
        id: String,
        /// Note.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Record an escalation (督办) of an open hidden danger (R10).
    Escalate {
        /// Id.
        id: String,
        /// What it orders.
        #[arg(long)]
        note: String,
    },
    /// Change descriptive fields while the record is open.
    Edit {
        /// Id.
        id: String,
        /// New description.
        #[arg(long)]
        description: Option<String>,
        /// New location.
        #[arg(long)]
        location: Option<String>,
        /// New required measures.
        #[arg(long)]
        measures: Option<String>,
        /// New responsible person.
        #[arg(long)]
        responsible: Option<String>,
        /// New funds.
        #[arg(long)]
        funds: Option<f64>,
        /// Before photos to add.
        #[command(flatten)]
        photos: PhotoArgs,
    },
    /// Settle conflicting concurrent decisions after looking at them (R14).
    Resolve {
        /// Id.
        id: String,
        /// The conflicting event (repeat; see `hazard show`).
        #[arg(long, required = true)]
        event: Vec<String>,
        /// What was decided.
        #[arg(long)]
        note: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    match commands::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            if json {
                let v = serde_json::json!({ "error": e.to_string(), "kind": e.kind() });
                eprintln!("{v}");
            } else {
                eprintln!("paicha: error: {e}");
            }
            std::process::exit(e.exit_code());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
