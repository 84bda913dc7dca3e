//! What each command does: parse its flags into core types, call the store,
//! print the result.

use crate::import;
use crate::output::{self, Out};
use crate::{
    Cli, Command, EnterpriseCmd, HazardCmd, InspectionCmd, PersonCmd, PhotoArgs, PhotosCmd, PolicyCmd, TemplateCmd,
};
use chrono::NaiveDate;
use paicha_core::hazard::{Action, Edit, GovernancePlan, Handling, HazardKind, Level, ListingLevel, Status};
use paicha_core::inspection::{AnswerValue, Signature, Source};
use paicha_core::people::{Person, Role};
use paicha_core::photo::{Gps, PhotoRef, PhotoRole};
use paicha_core::policy::Policy;
use paicha_core::stats::{GroupBy, Period};
use paicha_core::template::Template;
use paicha_core::time::{parse_date, Timestamp};
use paicha_store::Error;
use paicha_store::{HazardFilter, NewAnswer, NewHazard, NewInspection, Store};
use std::path::Path;

/// A CLI failure: a core error or a usage mistake, with an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// From the core.
    #[error(transparent)]
    Core(#[from] Error),
    /// A flag or file the user gave is wrong.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// Exit code: 3 rule broken, 4 not found, 5 invalid input, 6 network
    /// (retry later), 7 server refused, 1 anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Core(Error::Rule(_)) => 3,
            CliError::Core(Error::NotFound { .. }) | CliError::Core(Error::NoStore(_)) => 4,
            CliError::Core(Error::Network { .. }) => 6,
            CliError::Core(Error::Server { .. })
            | CliError::Core(Error::Protocol(_))
            | CliError::Core(Error::NotEnrolled) => 7,
            CliError::Core(Error::Invalid { .. })
            | CliError::Core(Error::Photo { .. })
            | CliError::Core(Error::KeyRequired(_))
            | CliError::Core(Error::WrongKey(_))
            | CliError::Core(Error::NotEncrypted(..))
            | CliError::Usage(_) => 5,
            CliError::Core(_) => 1,
        }
    }

    /// A short machine-readable kind for `--json` errors.
    pub fn kind(&self) -> &'static str {
        match self {
            CliError::Core(Error::Rule(_)) => "rule",
            CliError::Core(Error::NotFound { .. }) | CliError::Core(Error::NoStore(_)) => "not_found",
            CliError::Core(Error::Invalid { .. }) | CliError::Usage(_) => "invalid",
            CliError::Core(Error::Photo { .. }) => "photo",
            CliError::Core(Error::Corrupt { .. }) => "corrupt",
            CliError::Core(Error::KeyRequired(_)) | CliError::Core(Error::WrongKey(_)) => "key",
            CliError::Core(Error::NotEncrypted(..)) => "not_encrypted",
            CliError::Core(Error::SchemaTooNew { .. }) => "schema_too_new",
            CliError::Core(Error::Network { .. }) => "network",
            CliError::Core(Error::Server { .. })
            | CliError::Core(Error::Protocol(_))
            | CliError::Core(Error::NotEnrolled) => "server",
            CliError::Core(Error::Cancelled) => "cancelled",
            CliError::Core(_) => "storage",
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, CliError>;

fn usage<T>(r: std::result::Result<T, String>) -> Result<T> {
    r.map_err(CliError::Usage)
}

fn date(field: &str, s: &str) -> Result<NaiveDate> {
    usage(parse_date(field, s))
}

pub(crate) struct Ctx {
    pub(crate) store: Store,
    pub(crate) out: Out,
    /// The time actions are recorded at: --now, or the device clock (R1).
    pub(crate) now: Timestamp,
    /// The time lists are computed at: --now, or server time where known (R10).
    query_now: Timestamp,
    who: Option<String>,
}

impl Ctx {
    pub(crate) fn who(&self) -> Result<&str> {
        self.who.as_deref().ok_or_else(|| {
            CliError::Usage("this command needs the acting person: --as <person id> (or paicha init --user)".into())
        })
    }

    fn photos(&self, args: &PhotoArgs, role: PhotoRole) -> Result<Vec<PhotoRef>> {
        let gps = args.gps.as_deref().map(Gps::parse).transpose().map_err(CliError::Usage)?;
        let mut out = vec![];
        for p in &args.photo {
            out.push(self.store.import_photo(p, role, Some(self.now), gps)?);
        }
        Ok(out)
    }

    fn act(&self, id: &str, action: Action) -> Result<i32> {
        let id = self.store.resolve_hazard_id(id)?;
        let h = self.store.act(self.who()?, &id, action, self.now)?;
        self.out.hazard(&h, self.now, &self.store.policy()?);
        Ok(0)
    }
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let now = match &cli.now {
        Some(s) => usage(Timestamp::parse(s).map_err(|e| format!("--now: {e}")))?,
        None => Timestamp::now(),
    };
    let out = Out { json: cli.json };
    if let Command::Init { device, user, demo: with_demo, unencrypted } = &cli.command {
        let (store, key_note) = if *unencrypted {
            (Store::create(&cli.store, device)?, String::new())
        } else {
            let path = crate::keyfile::key_path(cli.key_file.as_deref())?;
            let (key, made) = crate::keyfile::read_or_create(&path)?;
            let note = format!(
                "\nencrypted with the key in {}{}: without that file the store cannot be opened",
                path.display(),
                if made { " (new; keep a copy)" } else { "" }
            );
            (Store::create_encrypted(&cli.store, device, &key)?, note)
        };
        if let Some(u) = user {
            store.set_user(u)?;
        }
        if *with_demo {
            store.seed_demo_district()?;
        }
        out.value(
            &serde_json::json!({
                "store": cli.store, "device": store.device(), "user": user, "demo": with_demo,
                "encrypted": store.encrypted(),
            }),
            &format!(
                "created store {} for device {}{}{key_note}",
                cli.store.display(),
                device,
                if *with_demo { " with the demo district (try: paicha person list)" } else { "" }
            ),
        );
        return Ok(0);
    }
    if let Command::Encrypt = &cli.command {
        let path = crate::keyfile::key_path(cli.key_file.as_deref())?;
        let (key, made) = crate::keyfile::read_or_create(&path)?;
        let store = Store::encrypt(&cli.store, &key)?;
        out.value(
            &serde_json::json!({ "store": cli.store, "device": store.device(), "encrypted": true, "key_file": path }),
            &format!(
                "encrypted store {} with the key in {}{}: without that file the store cannot be opened",
                cli.store.display(),
                path.display(),
                if made { " (new; keep a copy)" } else { "" }
            ),
        );
        return Ok(0);
    }
    if let Command::Plan(cmd) = &cli.command {
        return crate::plan::plan(cmd, &out);
    }
    let store = if Store::is_encrypted(&cli.store) {
        let key = crate::keyfile::read(&crate::keyfile::key_path(cli.key_file.as_deref())?)?;
        Store::open_encrypted(&cli.store, &key)?
    } else {
        Store::open(&cli.store)?
    };
    let who = match cli.as_person.clone() {
        Some(p) => Some(p),
        None => store.user()?,
    };
    let query_now = match &cli.now {
        Some(_) => now,
        None => store.server_now()?,
    };
    let ctx = Ctx { store, out, now, query_now, who };
    match cli.command {
        Command::Init { .. } | Command::Encrypt => Ok(0),
        Command::Info => {
            let templates = ctx.store.templates()?.len();
            let people = ctx.store.people()?.len();
            let enterprises = ctx.store.enterprise_count()?;
            let v = serde_json::json!({
                "store": ctx.store.dir(), "device": ctx.store.device(), "encrypted": ctx.store.encrypted(),
                "templates": templates, "people": people, "enterprises": enterprises,
            });
            ctx.out.value(
                &v,
                &format!(
                    "store {} ({})\ndevice {} (actor {})\n{people} people, {enterprises} enterprises, {templates} template versions",
                    ctx.store.dir().display(),
                    if ctx.store.encrypted() { "encrypted" } else { "not encrypted: cannot be enrolled" },
                    ctx.store.device().device_id,
                    ctx.store.device().actor
                ),
            );
            Ok(0)
        }
        Command::Enroll { server, code, ca_cert } => {
            if let Some(path) = &ca_cert {
                let pem = std::fs::read_to_string(path)
                    .map_err(|e| CliError::Usage(format!("--ca-cert {}: {e}", path.display())))?;
                ctx.store.trust_certificate_authority(&pem)?;
            }
            let user = paicha_store::client::enroll(&ctx.store, &server, &code)?;
            ctx.out.value(
                &serde_json::json!({ "server": server, "user": user }),
                &format!(
                    "enrolled {} for {} ({}) with {server}; now: paicha sync",
                    ctx.store.device().device_id,
                    user.id,
                    user.name
                ),
            );
            Ok(0)
        }
        Command::Sync { progress, quiet } => {
            let cancel = std::sync::atomic::AtomicBool::new(false);
            let meter = crate::progress::Meter::new(progress, quiet);
            let show = |p: &paicha_store::client::Progress| {
                meter.show(&format!(
                    "sync: {} records up, {} down · {} up, {} down · {} photos up, {} down",
                    p.docs_up,
                    p.docs_down,
                    output::bytes(p.bytes_up),
                    output::bytes(p.bytes_down),
                    p.photos_up,
                    p.photos_down
                ))
            };
            let result = paicha_store::client::sync(&ctx.store, &Default::default(), &show, &cancel);
            meter.finish();
            let report = result?;
            let mut text = format!(
                "synced: {} documents up, {} down ({} B up, {} B down, {} requests)",
                report.progress.docs_up,
                report.progress.docs_down,
                report.progress.bytes_up,
                report.progress.bytes_down,
                report.progress.requests
            );
            for (doc, rule, msg) in &report.refused {
                text.push_str(&format!("\nREFUSED {doc}: {msg} [{rule}] (kept: paicha refused)"));
            }
            for (sha, way, why) in &report.photo_failures {
                text.push_str(&format!("\nPHOTO {way} {sha} failed: {why} (tried again next sync)"));
            }
            for t in &report.template_conflicts {
                text.push_str(&format!("\nTEMPLATE {t} (the server's version of it was not taken)"));
            }
            ctx.out.value(&serde_json::to_value(&report).unwrap_or_default(), &text);
            Ok(if report.refused.is_empty() { 0 } else { 3 })
        }
        Command::Refused => {
            let list = ctx.store.refused_edits()?;
            let text = list
                .iter()
                .map(|r| format!("{} {} {} [{}] {}", r.refused_at, r.kind, r.doc_id, r.rule, r.message))
                .collect::<Vec<_>>()
                .join("\n");
            ctx.out.value(
                &serde_json::to_value(&list).unwrap_or_default(),
                if text.is_empty() { "(none)" } else { &text },
            );
            Ok(0)
        }
        Command::Person(cmd) => person(&ctx, cmd),
        Command::Enterprise(cmd) => enterprise(&ctx, cmd),
        Command::Template(cmd) => template(&ctx, cmd),
        Command::Policy(cmd) => policy(&ctx, cmd),
        Command::Inspection(cmd) => inspection(&ctx, cmd),
        Command::Hazard(cmd) => hazard(&ctx, *cmd),
        Command::Order(cmd) => crate::documents::order(&ctx, cmd),
        Command::Opinion(cmd) => crate::documents::opinion(&ctx, cmd),
        Command::Queue => {
            let rows = ctx.store.review_queue(ctx.who()?, ctx.query_now)?;
            ctx.out.rows(&rows);
            Ok(0)
        }
        Command::Overdue => {
            let rows = ctx.store.overdue(ctx.who()?, ctx.query_now)?;
            ctx.out.rows(&rows);
            Ok(0)
        }
        Command::DueSoon { days } => {
            let rows = ctx.store.due_soon(ctx.who()?, ctx.query_now, days)?;
            ctx.out.rows(&rows);
            Ok(0)
        }
        Command::Due => crate::plan::due(&ctx.store, ctx.who()?, ctx.query_now, &ctx.out),
        Command::Plan(_) => Ok(0),
        Command::Conflicts => {
            let rows = ctx.store.conflicts(ctx.who()?, ctx.query_now)?;
            ctx.out.rows(&rows);
            Ok(0)
        }
        Command::Stats { by, from, to, period: report, pdf, font } => {
            let group = usage(GroupBy::parse(&by))?;
            let report = report
                .as_deref()
                .map(|p| usage(paicha_core::stats::ReportPeriod::parse(p).map_err(|e| format!("--period: {e}"))))
                .transpose()?;
            let period = match report {
                Some(r) => r.period(),
                None => Period {
                    from: from.as_deref().map(|s| date("--from", s)).transpose()?,
                    to: to.as_deref().map(|s| date("--to", s)).transpose()?,
                },
            };
            let rows = ctx.store.statistics(ctx.who()?, group, period, ctx.query_now)?;
            match (pdf, report.and_then(|r| r.days().map(|d| (r, d)))) {
                (Some(out), Some((r, (from, to)))) => {
                    let font = paicha_pdf::FontFile::load(&font).map_err(|e| CliError::Core(e.into()))?;
                    let me = ctx.store.person(ctx.who()?)?;
                    let scope = match me.role {
                        Role::DistrictAdmin => "全区".to_string(),
                        Role::Enterprise => me.enterprise.clone().unwrap_or_default(),
                        _ => me.townships.join("、"),
                    };
                    let due = r.due().map(|d| format!("，报送截止 {d}")).unwrap_or_default();
                    let scope = format!("{scope} · {}{due}", r.zh());
                    let doc = paicha_pdf::StatisticsReport {
                        scope: &scope,
                        from,
                        to,
                        grouped_by: &by,
                        rows: &rows,
                        generated_at: ctx.query_now,
                    };
                    let bytes = paicha_pdf::statistics_pdf(&doc, &font).map_err(|e| CliError::Core(e.into()))?;
                    std::fs::write(&out, &bytes)
                        .map_err(|e| CliError::Usage(format!("--pdf {}: {e}", out.display())))?;
                    ctx.out.note(&format!("wrote the {} report to {} ({} bytes)", r.zh(), out.display(), bytes.len()));
                }
                _ => ctx.out.stats(&rows),
            }
            Ok(0)
        }
        Command::Export { format, out, progress, quiet } => {
            let who = ctx.who()?;
            let meter = crate::progress::Meter::new(progress, quiet);
            let text = match format.as_str() {
                "json" => {
                    let hazards = ctx.store.export_hazards_with_progress(who, &|done, total| {
                        meter.show(&format!("export: {done} of {total} hidden dangers"))
                    });
                    meter.finish();
                    let hazards = hazards?;
                    let inspections = ctx.store.inspections(who, None)?;
                    serde_json::to_string_pretty(&serde_json::json!({
                        "exported_at": ctx.now, "device": ctx.store.device(),
                        "hazards": hazards, "inspections": inspections,
                    }))
                    .map_err(|e| CliError::Usage(e.to_string()))?
                }
                "csv" => output::csv(&ctx.store.list_hazards(who, &HazardFilter::default(), ctx.query_now)?),
                other => return Err(CliError::Usage(format!("--format '{other}' is not one of json, csv"))),
            };
            match out {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|e| Error::Io { path: path.clone(), source: e })?;
                    ctx.out.note(&format!("exported to {}", path.display()));
                }
                None => output::emit(&text),
            }
            Ok(0)
        }
        Command::Photos(PhotosCmd::Verify) => {
            let problems = ctx.store.verify_photos()?;
            ctx.out.value(
                &serde_json::to_value(&problems).unwrap_or_default(),
                &if problems.is_empty() {
                    "all photos present and intact".to_string()
                } else {
                    problems
                        .iter()
                        .map(|p| format!("{} {} ({})", p.problem, p.sha256, p.path.display()))
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            );
            Ok(if problems.is_empty() { 0 } else { 1 })
        }
    }
}

fn person(ctx: &Ctx, cmd: PersonCmd) -> Result<i32> {
    match cmd {
        PersonCmd::Add { id, name, role, township, enterprise, cert } => {
            let p = Person {
                id,
                name,
                role: usage(Role::parse(&role))?,
                townships: township,
                enterprise,
                certificate_no: cert,
            };
            ctx.store.put_person(ctx.who()?, &p)?;
            ctx.out.value(
                &serde_json::to_value(&p).unwrap_or_default(),
                &format!("added {} ({}, {})", p.id, p.name, p.role),
            );
        }
        PersonCmd::List => {
            let people = ctx.store.people()?;
            let text = people
                .iter()
                .map(|p| {
                    let scope = match p.role {
                        Role::Enterprise => p.enterprise.clone().unwrap_or_default(),
                        Role::DistrictAdmin => "district".into(),
                        _ => p.townships.join(","),
                    };
                    format!("{:<12} {:<14} {:<10} {}", p.id, p.role.as_str(), p.name, scope)
                })
                .collect::<Vec<_>>()
                .join("\n");
            ctx.out.value(&serde_json::to_value(&people).unwrap_or_default(), &text);
        }
    }
    Ok(0)
}

fn enterprise(ctx: &Ctx, cmd: EnterpriseCmd) -> Result<i32> {
    match cmd {
        EnterpriseCmd::Import { file, progress, quiet } => {
            let list = import::enterprises_csv(&file).map_err(CliError::Usage)?;
            let meter = crate::progress::Meter::new(progress, quiet);
            let n = ctx.store.import_enterprises_with_progress(ctx.who()?, list, &|done, total| {
                meter.show(&format!("import: {done} of {total} enterprises"))
            });
            meter.finish();
            let n = n?;
            ctx.out.value(&serde_json::json!({ "imported": n }), &format!("imported {n} enterprises"));
        }
        EnterpriseCmd::List { township } => {
            let list = ctx.store.enterprises(ctx.who()?, township.as_deref())?;
            let text = list
                .iter()
                .map(|e| format!("{} {:<6} {:<8} {}", e.credit_code, e.risk_colour.as_str(), e.township, e.name))
                .collect::<Vec<_>>()
                .join("\n");
            ctx.out.value(&serde_json::to_value(&list).unwrap_or_default(), &text);
        }
        EnterpriseCmd::Show { code } => {
            let e = ctx.store.enterprise(ctx.who()?, &code)?;
            let v = serde_json::to_value(&e).unwrap_or_default();
            ctx.out.value(&v, &serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    Ok(0)
}

fn template(ctx: &Ctx, cmd: TemplateCmd) -> Result<i32> {
    match cmd {
        TemplateCmd::List => {
            let list = ctx.store.templates()?;
            let text = list
                .iter()
                .map(|t| format!("{:<24} v{:<3} {:<3} items  {:<12} {}", t.id, t.version, t.items, t.sector, t.title))
                .collect::<Vec<_>>()
                .join("\n");
            ctx.out.value(&serde_json::to_value(&list).unwrap_or_default(), &text);
        }
        TemplateCmd::Show { id, version } => {
            let t = ctx.store.template(&id, version)?;
            ctx.out.template(&t);
        }
        TemplateCmd::Import { file } => {
            let text = read(&file)?;
            let t: Template =
                serde_json::from_str(&text).map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
            let added = ctx.store.import_template(ctx.who()?, &t)?;
            ctx.out.value(
                &serde_json::json!({ "id": t.id, "version": t.version, "added": added }),
                &if added {
                    format!("published {} v{}", t.id, t.version)
                } else {
                    format!("{} v{} is already published, identical", t.id, t.version)
                },
            );
        }
    }
    Ok(0)
}

fn policy(ctx: &Ctx, cmd: PolicyCmd) -> Result<i32> {
    match cmd {
        PolicyCmd::Show => {
            let p = ctx.store.policy()?;
            let v = serde_json::to_value(&p).unwrap_or_default();
            ctx.out.value(&v, &serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        PolicyCmd::Set { file } => {
            let text = read(&file)?;
            let p: Policy =
                serde_json::from_str(&text).map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
            ctx.store.set_policy(ctx.who()?, &p)?;
            ctx.out.note(&format!("policy set ({} versions)", p.versions.len()));
        }
    }
    Ok(0)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| CliError::Core(Error::Io { path: path.to_path_buf(), source: e }))
}

fn inspection(ctx: &Ctx, cmd: InspectionCmd) -> Result<i32> {
    match cmd {
        InspectionCmd::Start { template, version, enterprise, with, source, enforcement, gps } => {
            let new = NewInspection {
                template_id: template,
                template_version: version,
                enterprise,
                co_inspectors: with,
                source: usage(Source::parse(&source))?,
                enforcement,
                location: gps.as_deref().map(Gps::parse).transpose().map_err(CliError::Usage)?,
            };
            let insp = ctx.store.start_inspection(ctx.who()?, new, ctx.now)?;
            ctx.out.inspection(&insp);
        }
        InspectionCmd::Answer { id, item, value, note, photo } => {
            let id = ctx.store.resolve_inspection_id(&id)?;
            let photos = ctx.photos(&PhotoArgs { photo, gps: None }, PhotoRole::Before)?;
            let a = ctx.store.answer(
                ctx.who()?,
                &id,
                NewAnswer { item_code: item, value: AnswerValue::parse(&value), note, photos },
                ctx.now,
            )?;
            ctx.out.value(&serde_json::to_value(&a).unwrap_or_default(), &format!("answered {}", a.item_code));
        }
        InspectionCmd::Answers { id, file } => {
            let id = ctx.store.resolve_inspection_id(&id)?;
            let answers = import::answers(&file).map_err(CliError::Usage)?;
            let n = ctx.store.answer_all(ctx.who()?, &id, answers, ctx.now)?;
            ctx.out.value(&serde_json::json!({ "answered": n }), &format!("answered {n} items"));
        }
        InspectionCmd::Complete { id, sign } => {
            let id = ctx.store.resolve_inspection_id(&id)?;
            let mut signatures = vec![];
            for s in sign {
                let (name, capacity) = s
                    .split_once(':')
                    .ok_or_else(|| CliError::Usage(format!("--sign '{s}' should be name:capacity")))?;
                signatures.push(Signature { name: name.into(), capacity: capacity.into(), image: None });
            }
            let report = ctx.store.complete_inspection(ctx.who()?, &id, signatures, ctx.now)?;
            ctx.out.completion(&report);
        }
        InspectionCmd::Show { id } => {
            let id = ctx.store.resolve_inspection_id(&id)?;
            let insp = ctx.store.inspection(ctx.who()?, &id)?;
            ctx.out.inspection(&insp);
        }
        InspectionCmd::Items { id } => {
            let id = ctx.store.resolve_inspection_id(&id)?;
            let items = ctx.store.inspection_items(ctx.who()?, &id)?;
            ctx.out.items(&items);
        }
        InspectionCmd::List { enterprise } => {
            let list = ctx.store.inspection_rows(ctx.who()?, enterprise.as_deref())?;
            let text = list
                .iter()
                .map(|i| {
                    format!(
                        "{} {} {} v{} {} {}",
                        i.id,
                        i.started_at,
                        i.template_id,
                        i.template_version,
                        i.enterprise_name.as_deref().unwrap_or(&i.enterprise),
                        if i.ended_at.is_some() { "completed" } else { "open" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            ctx.out.value(&serde_json::to_value(&list).unwrap_or_default(), &text);
        }
    }
    Ok(0)
}

fn hazard(ctx: &Ctx, cmd: HazardCmd) -> Result<i32> {
    match cmd {
        HazardCmd::Report {
            enterprise,
            inspection,
            item,
            description,
            location,
            kind,
            level,
            handling,
            measures,
            responsible,
            funds,
            with,
            deadline,
            sector,
            photos,
        } => {
            let inspection_id = inspection.map(|i| ctx.store.resolve_inspection_id(&i)).transpose()?;
            let new = NewHazard {
                enterprise,
                inspection_id,
                item_code: item,
                location,
                description,
                kind: kind.as_deref().map(HazardKind::parse).transpose().map_err(CliError::Usage)?,
                level: level.as_deref().map(Level::parse).transpose().map_err(CliError::Usage)?,
                handling: handling.as_deref().map(Handling::parse).transpose().map_err(CliError::Usage)?,
                before_photos: ctx.photos(&photos, PhotoRole::Before)?,
                required_measures: measures,
                responsible_person: responsible,
                funds,
                co_inspectors: with,
                deadline: deadline.as_deref().map(|d| date("--deadline", d)).transpose()?,
                sector,
            };
            let h = ctx.store.report_hazard(ctx.who()?, new, ctx.now)?;
            ctx.out.hazard(&h, ctx.now, &ctx.store.policy()?);
            Ok(0)
        }
        HazardCmd::List { township, enterprise, status, level, inspection } => {
            let filter = HazardFilter {
                township,
                enterprise,
                status: status.as_deref().map(Status::parse).transpose().map_err(CliError::Usage)?,
                level: level.as_deref().map(Level::parse).transpose().map_err(CliError::Usage)?,
                inspection: inspection.map(|i| ctx.store.resolve_inspection_id(&i)).transpose()?,
            };
            let rows = ctx.store.list_hazards(ctx.who()?, &filter, ctx.query_now)?;
            ctx.out.rows(&rows);
            Ok(0)
        }
        HazardCmd::Show { id } => {
            let id = ctx.store.resolve_hazard_id(&id)?;
            let h = ctx.store.hazard(ctx.who()?, &id)?;
            ctx.out.hazard(&h, ctx.query_now, &ctx.store.policy()?);
            Ok(0)
        }
        HazardCmd::CaseFile { id, print } => crate::documents::case_file(ctx, &id, &print),
        HazardCmd::History { id } => {
            let id = ctx.store.resolve_hazard_id(&id)?;
            let h = ctx.store.history(ctx.who()?, &id)?;
            ctx.out.history(&h);
            Ok(0)
        }
        HazardCmd::Fix { id, description, photos } => {
            let after = ctx.photos(&photos, PhotoRole::After)?;
            ctx.act(&id, Action::FixOnSite { after_photos: after, description })
        }
        HazardCmd::Evidence { id, description, rectified_on, photos } => {
            let after = ctx.photos(&photos, PhotoRole::After)?;
            let rectified_on = rectified_on.as_deref().map(|d| date("--rectified-on", d)).transpose()?;
            ctx.act(&id, Action::SubmitEvidence { after_photos: after, description, rectified_on })
        }
        HazardCmd::Review { id, verdict, opinion } => {
            ctx.act(&id, Action::Review { approve: verdict.approve, opinion })
        }
        HazardCmd::Verify { id, verdict, opinion } => {
            ctx.act(&id, Action::Verify { approve: verdict.approve, opinion })
        }
        HazardCmd::Extend { id, until, reason } => {
            ctx.act(&id, Action::RequestExtension { reason, proposed_deadline: date("--until", &until)? })
        }
        HazardCmd::DecideExtension { id, grant, refuse: _, until, reason } => {
            let new_deadline = until.as_deref().map(|d| date("--until", d)).transpose()?;
            ctx.act(&id, Action::DecideExtension { grant, new_deadline, reason })
        }
        HazardCmd::Void { id, reason } => ctx.act(&id, Action::Void { reason }),
        HazardCmd::Level { id, level, reason } => {
            ctx.act(&id, Action::ChangeLevel { level: usage(Level::parse(&level))?, reason })
        }
        HazardCmd::Plan {
            id,
            objectives,
            methods,
            funds,
            responsible,
            time_limits,
            safety,
            reported_to_authority,
            reported_to_workforce,
            file,
        } => {
            let plan = match file {
                Some(f) => {
                    serde_json::from_str(&read(&f)?).map_err(|e| CliError::Usage(format!("{}: {e}", f.display())))?
                }
                None => GovernancePlan {
                    objectives,
                    methods,
                    funds_and_materials: funds,
                    responsible,
                    time_limits,
                    safety_and_emergency: safety,
                    reported_to_authority_on: reported_to_authority
                        .as_deref()
                        .map(|d| date("--reported-to-authority", d))
                        .transpose()?,
                    reported_to_workforce_on: reported_to_workforce
                        .as_deref()
                        .map(|d| date("--reported-to-workforce", d))
                        .transpose()?,
                },
            };
            ctx.act(&id, Action::SubmitPlan { plan })
        }
        HazardCmd::Listing { id, level, reason } => {
            ctx.act(&id, Action::List { level: usage(ListingLevel::parse(&level))?, reason })
        }
        HazardCmd::Suspend { id, from, until, reason } => {
            ctx.act(&id, Action::Suspend { from: date("--from", &from)?, until: date("--until", &until)?, reason })
        }
        HazardCmd::ResumeRequest { id, note } => ctx.act(&id, Action::RequestResumption { note }),
        HazardCmd::Escalate { id, note } => ctx.act(&id, Action::Escalate { note }),
        HazardCmd::Edit { id, description, location, measures, responsible, funds, photos } => {
            let add_before_photos = ctx.photos(&photos, PhotoRole::Before)?;
            let edit = Edit {
                location,
                description,
                required_measures: measures,
                responsible_person: responsible,
                funds,
                add_before_photos,
            };
            ctx.act(&id, Action::Edit(edit))
        }
        HazardCmd::Resolve { id, event, note } => ctx.act(&id, Action::ResolveConflict { events: event, note }),
    }
}
