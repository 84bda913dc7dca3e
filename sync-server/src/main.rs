//! `paicha-server`: the sync server tablets talk to, and the commands a
//! district's operator runs beside it (users, devices, quarantine).
//!
//! Configuration: flags, or the environment (`PAICHA_SERVER_DATA`,
//! `PAICHA_SERVER_DATABASE`, `PAICHA_SERVER_LISTEN`, `PAICHA_LOG`), or a JSON
//! file given with `--config` (`{"data": "...", "database": "...",
//! "listen": "..."}`); flags win over the environment, which wins over the
//! file. The outlets of R10's notices (`--smtp`, `--notify-email`,
//! `--webhook-url`, `--webhook-secret`) are read the same way, by `serve`
//! and by `notices run`. Without a database URL the records are in the embedded SQLite
//! database in the data directory; with `--database postgres://...` they are
//! in that PostgreSQL database. Photos are in the data directory either way.

mod plan_cmd;

use clap::{Parser, Subcommand};
use paicha_core::people::{Person, Role};
use paicha_core::time::Timestamp;
use paicha_server::storage::{PostgresStorage, SqliteStorage, Storage, StorageError};
use paicha_server::{app, blobs, devices, error};
use std::path::PathBuf;
use std::sync::Arc;

/// The paicha sync server.
#[derive(Parser, Debug)]
#[command(name = "paicha-server", version, about)]
struct Cli {
    /// Data directory: photos, and the embedded database unless --database is given.
    #[arg(long, global = true, env = "PAICHA_SERVER_DATA")]
    data: Option<PathBuf>,
    /// Keep the records in this PostgreSQL database (postgres://user:password@host:port/db)
    /// instead of the embedded SQLite database in the data directory.
    #[arg(long, global = true, env = "PAICHA_SERVER_DATABASE")]
    database: Option<String>,
    /// A JSON configuration file.
    #[arg(long, global = true, env = "PAICHA_SERVER_CONFIG")]
    config: Option<PathBuf>,
    /// Where photos live: `s3://bucket/prefix` for an S3-compatible object
    /// store (endpoint and keys from the AWS_* environment variables); files
    /// under the data directory when left out.
    #[arg(long, global = true, env = "PAICHA_SERVER_PHOTOS")]
    photos: Option<String>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
    /// What to do.
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Create the database (with --demo: the demo district's people and enterprises).
    Init {
        /// Seed the demo district.
        #[arg(long)]
        demo: bool,
    },
    /// Serve tablets (creates the database first if needed).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "PAICHA_SERVER_LISTEN")]
        listen: Option<String>,
        /// Seed the demo district when creating the database.
        #[arg(long)]
        demo: bool,
        /// The address people open the web console at (`https://...` behind
        /// TLS, at this server or a proxy in front of it): its cookies are
        /// then `Secure`. Left out: plain HTTP (loopback or a trusted network).
        #[arg(long, env = "PAICHA_SERVER_PUBLIC_URL")]
        public_url: Option<String>,
        /// The CJK font the console prints orders, opinions and case files in
        /// (TrueType, OpenType or .ttc); default: Debian's Noto Sans CJK
        /// (fonts-noto-cjk). A named font that cannot be used stops the start.
        #[arg(long, env = "PAICHA_SERVER_PDF_FONT")]
        pdf_font: Option<PathBuf>,
        /// Serve HTTPS with this certificate chain (PEM), for example one
        /// issued by the district's own certificate authority; needs --tls-key.
        #[arg(long, env = "PAICHA_SERVER_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key (PEM) of --tls-cert.
        #[arg(long, env = "PAICHA_SERVER_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Where R10's notices go.
        #[command(flatten)]
        outlets: OutletArgs,
        /// Seconds between runs of the notices (made and delivered in the background).
        #[arg(long, env = "PAICHA_SERVER_NOTICES_EVERY", default_value_t = 60)]
        notices_every: u64,
    },
    /// R10's reminders and escalation notices: make and deliver them now, or list them.
    #[command(subcommand)]
    Notices(NoticesCmd),
    /// Users of the district.
    #[command(subcommand)]
    User(UserCmd),
    /// Enterprises: import a JSON array of enterprises.
    EnterpriseImport {
        /// The JSON file.
        file: PathBuf,
    },
    /// Replace the district's policy from a JSON file (versions with effective dates).
    PolicySet {
        /// The JSON file.
        file: PathBuf,
    },
    /// Publish a checklist template version from a JSON file; a published
    /// version never changes (R3). Uploaded inspections must pin one.
    TemplateImport {
        /// The JSON file.
        file: PathBuf,
    },
    /// Devices: enroll, revoke, list.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Uploads refused by the rules, kept for review.
    Quarantine,
    /// Events from devices whose clock was off from the server's, ahead or behind (R10).
    Skew,
    /// Records whose photos have not arrived: not complete until they do.
    MissingPhotos,
    /// Open hidden dangers past their deadline, with escalation, on the server's clock (R10).
    Overdue,
    /// Hidden dangers with conflicting concurrent decisions waiting for a supervisor (R14).
    Conflicts,
    /// Rectification orders received, with their numbers and voids (§4, R15).
    Orders,
    /// Every document-number sequence, each gap explained: voided, or not yet received from its device (R15).
    Numbers,
    /// Random inspection plans (双随机一公开, R16): create, list, show, export.
    #[command(subcommand)]
    Plan(plan_cmd::PlanCmd),
    /// Enterprises due for a routine inspection by their risk colour's interval.
    Due(plan_cmd::DueArgs),
    /// Copy the database, online and consistent, to a new file (the server may keep serving).
    /// For PostgreSQL, use pg_dump.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup file into a new, empty data directory (--data), after checking it.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
    },
}

/// The outlets of R10's notices (also `"smtp"`, `"smtp_from"`,
/// `"notify_email"`, `"webhook_url"`, `"webhook_secret"` in the config file).
#[derive(clap::Args, Debug, Default)]
struct OutletArgs {
    /// Email notices through this SMTP relay: smtp://host:port (plain SMTP,
    /// for a relay on loopback or the district's trusted network).
    #[arg(long, env = "PAICHA_SERVER_SMTP")]
    smtp: Option<String>,
    /// The sender of notice emails.
    #[arg(long, env = "PAICHA_SERVER_SMTP_FROM")]
    smtp_from: Option<String>,
    /// Who gets notice emails (repeat for several).
    #[arg(long)]
    notify_email: Vec<String>,
    /// POST notices as JSON to this URL, signed in X-Paicha-Signature.
    #[arg(long, env = "PAICHA_SERVER_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// The webhook's shared secret (HMAC-SHA256 of the body). Prefer the
    /// environment or the config file: a command line shows in ps.
    #[arg(long, env = "PAICHA_SERVER_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
}

impl OutletArgs {
    /// The outlets, flags over the config file, checked now.
    fn outlets(self, file: &FileConfig) -> Result<paicha_server::notices::Outlets, String> {
        use paicha_server::notices::{EmailOutlet, Outlets, WebhookOutlet};
        let smtp = self.smtp.or_else(|| file.smtp.clone());
        let to = if self.notify_email.is_empty() { file.notify_email.clone() } else { self.notify_email };
        let email = match smtp {
            Some(url) => {
                let from = self
                    .smtp_from
                    .or_else(|| file.smtp_from.clone())
                    .unwrap_or_else(|| "paicha-server@localhost".into());
                Some(EmailOutlet::new(&url, &from, &to)?)
            }
            None if !to.is_empty() => return Err("--notify-email needs --smtp smtp://host:port".into()),
            None => None,
        };
        let url = self.webhook_url.or_else(|| file.webhook_url.clone());
        let secret = self.webhook_secret.or_else(|| file.webhook_secret.clone());
        let webhook = match (url, secret) {
            (Some(url), secret) => Some(WebhookOutlet::new(&url, secret.as_deref().unwrap_or(""))?),
            (None, Some(_)) => return Err("--webhook-secret needs --webhook-url".into()),
            (None, None) => None,
        };
        Ok(Outlets { email, webhook })
    }
}

#[derive(Subcommand, Debug)]
enum NoticesCmd {
    /// Make the notices due now and deliver what is due (what the server does every minute).
    Run {
        /// Where notices go.
        #[command(flatten)]
        outlets: OutletArgs,
        /// Try every failed delivery now, whatever its backoff (after fixing an outlet).
        #[arg(long)]
        retry_now: bool,
    },
    /// The notices, newest first, with their deliveries.
    List {
        /// Only this township's.
        #[arg(long)]
        township: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Add or replace a user.
    Add {
        /// Id.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// inspector, enterprise, supervisor, district_admin.
        #[arg(long)]
        role: String,
        /// Township in scope (repeat).
        #[arg(long)]
        township: Vec<String>,
        /// Enterprise credit code (enterprise users).
        #[arg(long)]
        enterprise: Option<String>,
        /// Certificate number.
        #[arg(long)]
        cert: Option<String>,
    },
    /// Set a person's web console password (argon2id), read from standard
    /// input so it never shows in the process list; ends their console sessions.
    Passwd {
        /// The person (registry id).
        #[arg(long)]
        id: String,
        /// Read the password from standard input (its first line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
enum DeviceCmd {
    /// Register a device for a user; prints its one-time enrollment code.
    Add {
        /// Device id.
        #[arg(long)]
        device: String,
        /// The user.
        #[arg(long)]
        user: String,
    },
    /// Revoke a device: its later uploads are refused and kept for review.
    Revoke {
        /// Device id.
        #[arg(long)]
        device: String,
    },
    /// List devices.
    List,
}

#[derive(serde::Deserialize, Default)]
struct FileConfig {
    data: Option<PathBuf>,
    database: Option<String>,
    listen: Option<String>,
    photos: Option<String>,
    public_url: Option<String>,
    pdf_font: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    smtp: Option<String>,
    smtp_from: Option<String>,
    #[serde(default)]
    notify_email: Vec<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
}

/// Where photos live: an S3-compatible bucket when `photos` is an
/// `s3://bucket/prefix` URL, otherwise files under `data/blobs`.
fn photo_store(photos: Option<&str>, data: &std::path::Path) -> Arc<dyn blobs::Blobs> {
    match photos {
        Some(url) => match paicha_server::object_blobs::ObjectBlobs::from_url(url, &data.join("blobs")) {
            Ok(b) => Arc::new(b),
            Err(e) => fail(e),
        },
        None => Arc::new(blobs::FsBlobs::new(&data.join("blobs"))),
    }
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("paicha-server: error: {msg}");
    std::process::exit(1);
}

fn print(json: bool, v: serde_json::Value, text: String) {
    use std::io::Write;
    let line = if json { v.to_string() } else { text };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`... | head`) ends quietly.
    if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// Where the records are: the database URL's host, port and name (never its
/// password), or the embedded database's file.
fn describe(database: Option<&str>, data: &std::path::Path) -> String {
    match database.map(str::parse::<paicha_server::storage::postgres::Config>) {
        Some(Ok(c)) => {
            let host = match c.get_hosts().first() {
                Some(paicha_server::storage::postgres::Host::Tcp(h)) => h.clone(),
                Some(paicha_server::storage::postgres::Host::Unix(p)) => p.display().to_string(),
                None => "localhost".into(),
            };
            let port = c.get_ports().first().copied().unwrap_or(5432);
            format!("PostgreSQL {host}:{port}/{}", c.get_dbname().unwrap_or("(default)"))
        }
        Some(Err(_)) => "PostgreSQL".into(),
        None => data.join("server.db").display().to_string(),
    }
}

/// Opens the storage the configuration names, and whether it was empty
/// (no schema yet). Commands other than init and serve never create one.
fn open_storage(database: Option<&str>, data: &std::path::Path, creates: bool) -> (Arc<dyn Storage>, bool) {
    match database {
        Some(url) => {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                fail("--database takes a postgres:// URL; leave it out to use the embedded SQLite database in --data");
            }
            let fresh = PostgresStorage::schema_version(url).unwrap_or_else(|e| fail(e)).is_none();
            if fresh && !creates {
                fail(format!(
                    "no paicha schema in {}; create it first: paicha-server --database URL init (or serve)",
                    describe(database, data)
                ));
            }
            let storage = PostgresStorage::open(url).unwrap_or_else(|e| fail(e));
            (Arc::new(storage), fresh)
        }
        None => {
            let fresh = !data.join("server.db").exists();
            if fresh && !creates {
                fail(format!(
                    "no server database in {}; create it first: paicha-server --data {} init (or serve)",
                    data.display(),
                    data.display()
                ));
            }
            (Arc::new(SqliteStorage::open(data).unwrap_or_else(|e| fail(e))), fresh)
        }
    }
}

fn seed_demo(s: &dyn Storage) -> Result<(), error::ServerError> {
    for p in paicha_core::demo::people() {
        s.put_person(&p)?;
    }
    Ok(s.put_enterprises(&paicha_core::demo::enterprises())?)
}

fn main() {
    let cli = Cli::parse();
    let file: FileConfig = match &cli.config {
        Some(p) => match std::fs::read_to_string(p).map(|t| serde_json::from_str(&t)) {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => fail(format!("{}: {e}", p.display())),
            Err(e) => fail(format!("{}: {e}", p.display())),
        },
        None => FileConfig::default(),
    };
    let data = cli.data.clone().or(file.data.clone()).unwrap_or_else(|| PathBuf::from("paicha-server-data"));
    let database = cli.database.clone().or(file.database.clone()).filter(|d| !d.trim().is_empty());
    let photos = cli.photos.clone().or(file.photos.clone());
    if database.is_none() {
        // A damaged or empty database is neither served nor written (docs/adr/0004).
        if let Err(e) = paicha_server::dbfile::check(&data.join("server.db")) {
            fail(e);
        }
        if let Cmd::Backup { to } = &cli.command {
            let bytes = paicha_server::dbfile::backup(&data, to).unwrap_or_else(|e| fail(e));
            print(
                cli.json,
                serde_json::json!({ "backup": to, "bytes": bytes }),
                format!("backed up {} to {} ({bytes} bytes)", data.display(), to.display()),
            );
            return;
        }
        if let Cmd::Restore { from } = &cli.command {
            paicha_server::dbfile::restore(from, &data).unwrap_or_else(|e| fail(e));
            print(
                cli.json,
                serde_json::json!({ "restored": from, "data": data }),
                format!("restored {} into {}", from.display(), data.display()),
            );
            return;
        }
    } else if matches!(cli.command, Cmd::Backup { .. } | Cmd::Restore { .. }) {
        fail("backup and restore are for the embedded database; for PostgreSQL use pg_dump and pg_restore");
    }
    let creates = matches!(cli.command, Cmd::Init { .. } | Cmd::Serve { .. });
    let (storage, fresh) = open_storage(database.as_deref(), &data, creates);
    let result = match cli.command {
        Cmd::Init { demo } => {
            if demo {
                seed_demo(storage.as_ref()).unwrap_or_else(|e| fail(e));
            }
            let text = match &database {
                None => format!("database ready in {}", data.display()),
                Some(_) => format!("database ready: {} (photos in {})", describe(database.as_deref(), &data), data.display()),
            };
            print(cli.json, serde_json::json!({ "data": data, "database": database.as_ref().map(|_| describe(database.as_deref(), &data)), "demo": demo }), text);
            Ok(())
        }
        Cmd::Serve { listen, demo, public_url, pdf_font, tls_cert, tls_key, outlets, notices_every } => {
            if fresh && demo {
                seed_demo(storage.as_ref()).unwrap_or_else(|e| fail(e));
            }
            let listen = listen.or(file.listen.clone()).unwrap_or_else(|| "127.0.0.1:7878".into());
            let mut console = paicha_server::console::ConsoleConfig::from_public_url(public_url.or(file.public_url.clone()).as_deref())
                .unwrap_or_else(|e| fail(e));
            match pdf_font.or(file.pdf_font.clone()) {
                Some(path) => {
                    paicha_pdf::FontFile::load(&path).unwrap_or_else(|e| fail(format!("--pdf-font: {e}")));
                    console.pdf_font = Some(path);
                }
                None => {
                    if let Err(e) = paicha_pdf::FontFile::load(std::path::Path::new(paicha_pdf::DEBIAN_CJK_FONT)) {
                        tracing::warn!(error = %e, "no CJK font: the console cannot print documents until --pdf-font names one");
                    }
                }
            }
            let outlets = outlets.outlets(&file).unwrap_or_else(|e| fail(e));
            let notices = (outlets, std::time::Duration::from_secs(notices_every.max(1)));
            let tls = match (tls_cert.or(file.tls_cert.clone()), tls_key.or(file.tls_key.clone())) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => fail("--tls-cert and --tls-key go together"),
            };
            let endpoint = Endpoint { listen, tls };
            serve(storage, photo_store(photos.as_deref(), &data), &endpoint, &data, &describe(database.as_deref(), &data), console, notices);
            Ok(())
        }
        Cmd::Notices(NoticesCmd::Run { outlets, retry_now }) => {
            let outlets = outlets.outlets(&file).unwrap_or_else(|e| fail(e));
            paicha_server::notices::run(storage.as_ref(), &outlets, Timestamp::now(), retry_now).map(|r| {
                let text = format!("{} new notices, {} delivered, {} failed (kept for retry)", r.made, r.delivered, r.failed);
                print(cli.json, serde_json::to_value(&r).unwrap_or_default(), text)
            })
        }
        Cmd::Notices(NoticesCmd::List { township, limit }) => storage.notices(township.as_deref(), limit).map(|list| {
            let text = list
                .iter()
                .map(|n| {
                    let d = n
                        .deliveries
                        .iter()
                        .map(|d| match (&d.delivered_at, &d.last_error) {
                            (Some(at), _) => format!("{} sent {}", d.outlet, at),
                            (None, Some(e)) => format!("{} failed x{}: {e}", d.outlet, d.attempts),
                            (None, None) => format!("{} pending", d.outlet),
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    format!("{} {} {} {}", n.created_at, n.key, n.township, d)
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(cli.json, serde_json::to_value(&list).unwrap_or_default(), if text.is_empty() { "(none)".into() } else { text })
        }),
        Cmd::User(UserCmd::Passwd { id, password_stdin }) => {
            if !password_stdin {
                fail("give the password on standard input with --password-stdin (never on the command line, where ps shows it)");
            }
            let password = read_password_line().unwrap_or_else(|e| fail(e));
            paicha_server::console::auth::set_password(storage.as_ref(), &id, &password, Timestamp::now()).unwrap_or_else(|e| fail(e));
            print(cli.json, serde_json::json!({ "password_set": id }), format!("console password of {id} set; their console sessions ended"));
            Ok(())
        }
        Cmd::User(UserCmd::Add { id, name, role, township, enterprise, cert }) => {
            let role = Role::parse(&role).unwrap_or_else(|e| fail(e));
            let p = Person { id, name, role, townships: township, enterprise, certificate_no: cert };
            p.validate().unwrap_or_else(|e| fail(e));
            storage.put_person(&p).map(|_| print(cli.json, serde_json::to_value(&p).unwrap_or_default(), format!("user {} saved", p.id)))
        }
        Cmd::EnterpriseImport { file } => {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| fail(format!("{}: {e}", file.display())));
            let list: Vec<paicha_core::enterprise::Enterprise> =
                serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{}: {e}", file.display())));
            let mut valid = vec![];
            for (i, e) in list.into_iter().enumerate() {
                valid.push(e.validate().unwrap_or_else(|m| fail(format!("enterprise #{}: {m}", i + 1))));
            }
            let n = valid.len();
            storage.put_enterprises(&valid).map(|_| print(cli.json, serde_json::json!({ "imported": n }), format!("imported {n} enterprises")))
        }
        Cmd::PolicySet { file } => {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| fail(format!("{}: {e}", file.display())));
            let policy: paicha_core::policy::Policy =
                serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{}: {e}", file.display())));
            policy.validate().unwrap_or_else(|e| fail(e));
            storage.set_policy(&policy).map(|_| print(cli.json, serde_json::json!({ "versions": policy.versions.len() }), "policy saved".into()))
        }
        Cmd::TemplateImport { file } => {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| fail(format!("{}: {e}", file.display())));
            let t: paicha_core::template::Template =
                serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{}: {e}", file.display())));
            storage.put_template(&t).map(|new| {
                let what = if new { "published" } else { "already published, unchanged" };
                print(cli.json, serde_json::json!({ "template": t.id, "version": t.version, "new": new }), format!("template {} v{} {what}", t.id, t.version))
            })
        }
        Cmd::Device(DeviceCmd::Add { device, user }) => {
            let code = devices::issue_enrollment_code(storage.as_ref(), &device, &user, Timestamp::now()).unwrap_or_else(|e| fail(e));
            print(
                cli.json,
                serde_json::json!({ "device": device, "user": user, "code": code }),
                format!("enrollment code for {device} ({user}): {code}\non the tablet: paicha enroll --server URL --code {code}"),
            );
            Ok(())
        }
        Cmd::Device(DeviceCmd::Revoke { device }) => {
            devices::revoke_device(storage.as_ref(), &device, Timestamp::now()).unwrap_or_else(|e| fail(e));
            print(cli.json, serde_json::json!({ "revoked": device }), format!("device {device} revoked"));
            Ok(())
        }
        Cmd::Device(DeviceCmd::List) => storage.devices().map(|list| {
            let text = list
                .iter()
                .map(|d| {
                    let state = if d.revoked_at.is_some() { "revoked" } else if d.actor.is_some() { "enrolled" } else { "waiting for enrollment" };
                    format!("{:<16} {:<12} {state}", d.device_id, d.user_id)
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(cli.json, serde_json::to_value(&list).unwrap_or_default(), text)
        }),
        Cmd::Quarantine => storage.quarantined().map(|list| {
            let text = list
                .iter()
                .map(|q| format!("#{} {} {} {} {}: {}", q.id, Timestamp(q.received_at), q.device_id, q.doc_id, q.rule, q.message))
                .collect::<Vec<_>>()
                .join("\n");
            print(cli.json, serde_json::to_value(&list).unwrap_or_default(), if text.is_empty() { "(empty)".into() } else { text })
        }),
        Cmd::MissingPhotos => storage.photo_refs().map(|refs| {
            let store = photo_store(photos.as_deref(), &data);
            let mut missing: Vec<(String, String)> = vec![];
            for (doc, sha) in refs {
                // A photo store that cannot answer is an error, not a missing photo.
                if store.size(&sha).unwrap_or_else(|e| fail(e)).is_none() {
                    missing.push((doc, sha));
                }
            }
            let v: Vec<_> = missing.iter().map(|(d, s)| serde_json::json!({ "record": d, "photo": s })).collect();
            let text = missing.iter().map(|(d, s)| format!("{d} waits for photo {s}")).collect::<Vec<_>>().join("\n");
            print(cli.json, serde_json::Value::Array(v), if text.is_empty() { "(none: every photo arrived)".into() } else { text })
        }),
        Cmd::Overdue => hazard_summaries(storage.as_ref(), false).map(|list| {
            let now = Timestamp::now();
            let policy = storage.policy().unwrap_or_else(|e| fail(e));
            let rows: Vec<_> = list
                .iter()
                .filter(|h| {
                    h.overdue_days(now) > 0
                        || matches!(h.escalation(now, &policy), paicha_core::hazard::Escalation::VerificationLate { .. })
                })
                .map(|h| {
                    serde_json::json!({
                        "id": h.id, "enterprise": h.enterprise, "township": h.township,
                        "level": h.level.as_str(), "deadline": h.deadline.to_string(),
                        "overdue_days": h.overdue_days(now), "escalation": h.escalation(now, &policy).as_str(),
                    })
                })
                .collect();
            let text = rows
                .iter()
                .map(|r| format!("{} {} {} +{}d {}", r["id"].as_str().unwrap_or(""), r["township"].as_str().unwrap_or(""), r["deadline"].as_str().unwrap_or(""), r["overdue_days"], r["escalation"].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("\n");
            print(cli.json, serde_json::Value::Array(rows), if text.is_empty() { "(none)".into() } else { text })
        }),
        Cmd::Plan(cmd) => {
            plan_cmd::plan(storage.as_ref(), cmd, cli.json).unwrap_or_else(|e| fail(e));
            Ok(())
        }
        Cmd::Due(args) => {
            plan_cmd::due(storage.as_ref(), args, cli.json).unwrap_or_else(|e| fail(e));
            Ok(())
        }
        // Handled before the database is opened.
        Cmd::Backup { .. } | Cmd::Restore { .. } => Ok(()),
        Cmd::Orders => order_summaries(storage.as_ref()).map(|list| {
            let rows: Vec<_> = list
                .iter()
                .map(|o| {
                    let mut v = serde_json::to_value(o).unwrap_or_default();
                    if let serde_json::Value::Object(m) = &mut v {
                        m.insert("number_text".into(), serde_json::Value::from(o.order.number.to_string()));
                    }
                    v
                })
                .collect();
            let text = list
                .iter()
                .map(|o| {
                    format!(
                        "{} {} {} {}{}",
                        o.order.number,
                        o.order.id,
                        o.order.enterprise.credit_code,
                        o.order.issued_on(),
                        if o.void.is_some() { " VOIDED" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(cli.json, serde_json::Value::Array(rows), if text.is_empty() { "(none)".into() } else { text })
        }),
        Cmd::Numbers => order_summaries(storage.as_ref()).map(|list| {
            let issued: Vec<_> = list
                .into_iter()
                .map(|o| paicha_core::documents::IssuedNumber { number: o.order.number, doc_id: o.order.id, void: o.void })
                .collect();
            let report = paicha_core::documents::sequence_report(&issued);
            let rows: Vec<_> = report
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "prefix": s.prefix, "year": s.year, "series": s.series,
                        "numbers": s.numbers.len(),
                        "gaps": s.gaps().map(|(n, st)| serde_json::json!({ "number": n.to_string(), "explanation": st.explain() })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let mut text = vec![];
            for s in &report {
                text.push(format!("{}〔{}〕{}: {} numbers, {} gaps", s.prefix, s.year, s.series, s.numbers.len(), s.gaps().count()));
                for (n, st) in s.gaps() {
                    text.push(format!("  {n}  {}", st.explain()));
                }
            }
            print(cli.json, serde_json::Value::Array(rows), if text.is_empty() { "(none)".into() } else { text.join("\n") })
        }),
        Cmd::Conflicts => hazard_summaries(storage.as_ref(), true).map(|list| {
            let rows: Vec<_> = list
                .iter()
                .flat_map(|h| {
                    h.open_conflicts.iter().map(|c| serde_json::json!({ "id": h.id, "township": h.township, "event": c.event_id, "message": c.message })).collect::<Vec<_>>()
                })
                .collect();
            let text = rows
                .iter()
                .map(|r| format!("{} {}: {}", r["id"].as_str().unwrap_or(""), r["township"].as_str().unwrap_or(""), r["message"].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("\n");
            print(cli.json, serde_json::Value::Array(rows), if text.is_empty() { "(none)".into() } else { text })
        }),
        Cmd::Skew => storage.skewed().map(|list| {
            let v: Vec<_> = list.iter().map(|(e, d, at, rec)| serde_json::json!({ "event": e, "device": d, "device_time": at, "received_at": rec })).collect();
            let text = list
                .iter()
                .map(|(e, d, at, rec)| format!("{e} {d} device clock {} received {}", Timestamp(*at), Timestamp(*rec)))
                .collect::<Vec<_>>()
                .join("\n");
            print(cli.json, serde_json::Value::Array(v), if text.is_empty() { "(none)".into() } else { text })
        }),
    };
    if let Err(e) = result {
        fail(e);
    }
}

/// Hidden dangers from their summaries (never a document): open ones, or
/// those with conflicts waiting for a supervisor.
fn hazard_summaries(
    storage: &dyn Storage,
    conflicts: bool,
) -> Result<Vec<paicha_core::summary::HazardSummary>, StorageError> {
    use paicha_core::hazard::Status;
    let mut q = paicha_server::storage::SummaryQuery::all(paicha_core::kinds::DocKind::Hazard);
    q.open_conflicts = conflicts;
    if !conflicts {
        q.statuses = Status::OPEN;
    }
    Ok(storage
        .summaries(&q)?
        .into_iter()
        .filter_map(|s| match s {
            paicha_core::summary::Summary::Hazard(h) => Some(h),
            _ => None,
        })
        .collect())
}

/// Every order the server holds, from its summaries (never a document).
fn order_summaries(storage: &dyn Storage) -> Result<Vec<paicha_core::summary::OrderSummary>, StorageError> {
    let q = paicha_server::storage::SummaryQuery::all(paicha_core::kinds::DocKind::Order);
    Ok(storage
        .summaries(&q)?
        .into_iter()
        .filter_map(|s| match s {
            paicha_core::summary::Summary::Order(o) => Some(o),
            _ => None,
        })
        .collect())
}

/// The first line of standard input, without its line ending: a password
/// piped in (`printf '%s' "$PW" | paicha-server user passwd --id X --password-stdin`).
fn read_password_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the password from standard input: {e}"))?;
    let password = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    if password.is_empty() {
        return Err("no password on standard input".into());
    }
    Ok(password.to_string())
}

/// Where the server listens, and the certificate and key when it serves HTTPS itself.
struct Endpoint {
    listen: String,
    tls: Option<(PathBuf, PathBuf)>,
}

fn serve(
    storage: Arc<dyn Storage>,
    photos: Arc<dyn blobs::Blobs>,
    endpoint: &Endpoint,
    data: &std::path::Path,
    database: &str,
    console: paicha_server::console::ConsoleConfig,
    notices: (paicha_server::notices::Outlets, std::time::Duration),
) {
    let (listen, tls) = (endpoint.listen.as_str(), &endpoint.tls);
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAICHA_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| fail(e));
    // Storage is blocking and used on the blocking pool only; this clone
    // makes sure it is dropped after the runtime, not inside it (closing a
    // PostgreSQL connection blocks).
    let keep = storage.clone();
    runtime.block_on(async {
        let mut state = app::AppState::new(storage, photos);
        state.console = console;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .unwrap_or_else(|e| fail(format!("cannot listen on {listen}: {e}")));
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| listen.to_string());
        tracing::info!(%addr, data = %data.display(), %database, "paicha-server listening");
        let (outlets, every) = notices;
        tokio::spawn(paicha_server::notices::background(keep.clone(), outlets, every));
        // TLS (a district's own CA): read before announcing, so a bad file stops the start.
        let tls_config = match &tls {
            Some((cert, key)) => Some(
                axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .unwrap_or_else(|e| fail(format!("--tls-cert/--tls-key: {e}"))),
            ),
            None => None,
        };
        // The line scripts wait for (tests read the port from it).
        println!("listening on {}://{addr}", if tls_config.is_some() { "https" } else { "http" });
        let shutdown = async {
            let ctrl_c = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            #[cfg(unix)]
            let term = async {
                if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    s.recv().await;
                }
            };
            #[cfg(not(unix))]
            let term = std::future::pending::<()>();
            tokio::select! { _ = ctrl_c => {}, _ = term => {} }
            tracing::info!("shutting down: finishing requests in flight");
        };
        match tls_config {
            None => {
                if let Err(e) = axum::serve(listener, app::router(state)).with_graceful_shutdown(shutdown).await {
                    fail(e);
                }
            }
            Some(config) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
                });
                let std_listener = listener.into_std().unwrap_or_else(|e| fail(e));
                let server = axum_server::from_tcp_rustls(std_listener, config).unwrap_or_else(|e| fail(e));
                if let Err(e) = server.handle(handle).serve(app::router(state).into_make_service()).await {
                    fail(e);
                }
            }
        }
    });
    drop(runtime);
    drop(keep);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn notice_outlets_come_from_flags_over_the_config_file_and_are_checked() {
        let file: FileConfig = serde_json::from_str(
            r#"{"smtp": "smtp://relay:2525", "notify_email": ["a@example.cn"], "webhook_url": "http://hook", "webhook_secret": "s"}"#,
        )
        .unwrap();
        let o = OutletArgs::default().outlets(&file).unwrap();
        assert_eq!(o.names(), ["email", "webhook"]);
        assert_eq!(o.email.as_ref().map(|e| e.port), Some(2525));
        let flags = OutletArgs { smtp: Some("smtp://other".into()), ..OutletArgs::default() };
        assert_eq!(flags.outlets(&file).unwrap().email.map(|e| e.host), Some("other".into()));
        let none = FileConfig::default();
        assert!(OutletArgs::default().outlets(&none).unwrap().names().is_empty());
        let no_smtp = OutletArgs { notify_email: vec!["a@example.cn".into()], ..OutletArgs::default() };
        assert!(no_smtp.outlets(&none).unwrap_err().contains("--smtp"));
        let no_secret = OutletArgs { webhook_url: Some("http://hook".into()), ..OutletArgs::default() };
        assert!(no_secret.outlets(&none).unwrap_err().contains("--webhook-secret"));
        let no_url = OutletArgs { webhook_secret: Some("s".into()), ..OutletArgs::default() };
        assert!(no_url.outlets(&none).unwrap_err().contains("--webhook-url"));
    }

    #[test]
    fn openapi_lists_exactly_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(app::OPENAPI).unwrap();
        let mut documented: Vec<(String, String)> = vec![];
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys().filter(|k| *k != "parameters") {
                documented.push((method.clone(), path.clone()));
            }
        }
        documented.sort();
        let mut routes: Vec<(String, String)> =
            app::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        routes.sort();
        assert_eq!(documented, routes);
    }
}
