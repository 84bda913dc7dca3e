//! Harness for the scenarios in `tests/tests/`: the real `paicha-server`
//! binary on a loopback port, and tablets that are real paicha stores
//! enrolled with it (or the real `paicha` binary).

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod console;
pub mod tls;

use paicha_core::time::Timestamp;
use paicha_store::client::{self, SyncOptions, SyncReport};
use paicha_store::Store;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;

/// Where cargo put the workspace's binaries. Once per test process they are
/// brought up to date with `cargo build` (a no-op when nothing changed), so
/// running this crate alone never drives a stale server.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir").to_path_buf();
    BUILT.get_or_init(|| {
        if let Ok(cargo) = std::env::var("CARGO") {
            let mut args = vec!["build", "-q", "-p", "paicha-server", "-p", "paicha-cli"];
            if dir.ends_with("release") {
                args.push("--release");
            }
            let status = Command::new(cargo).args(&args).status().expect("cargo build");
            assert!(status.success(), "could not build the binaries");
        }
    });
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing: cargo build -p paicha-server -p paicha-cli", path.display());
    path
}

/// A running `paicha-server` on a free loopback port, stopped on drop.
pub struct Server {
    /// Base URL.
    pub url: String,
    /// Its data directory (photos; and the records, unless `database` is set).
    pub data: tempfile::TempDir,
    /// The PostgreSQL database holding its records (None: SQLite in `data`).
    pub database: Option<String>,
    child: Child,
}

impl Server {
    /// Creates a demo district and starts the server on it.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// [`Server::start`] with extra environment variables for the server
    /// (for example `PAICHA_SERVER_PHOTOS` and the `AWS_*` settings).
    pub fn start_with(env: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let init = Command::new(bin("paicha-server"))
            .arg("--data")
            .arg(data.path())
            .args(["init", "--demo"])
            .output()
            .unwrap();
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
        Server::serve_with(data, env)
    }

    /// Serves an existing data directory (a restored backup, for instance).
    pub fn serve(data: tempfile::TempDir) -> Server {
        Server::serve_with(data, &[])
    }

    fn serve_with(data: tempfile::TempDir, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(bin("paicha-server"))
            .arg("--data")
            .arg(data.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .env("PAICHA_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").expect("server announces its address").to_string();
        Server { url, data, database: None, child }
    }

    /// Starts the server on the PostgreSQL database at `database` (which it
    /// creates its schema in), as an operator would:
    /// `paicha-server --database postgres://... serve --demo`.
    pub fn start_postgres(database: &str) -> Server {
        Server::start_postgres_with(database, &[])
    }

    /// [`Server::start_postgres`] with extra environment variables (photos
    /// on an object store, for several nodes).
    pub fn start_postgres_with(database: &str, env: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(bin("paicha-server"))
            .arg("--data")
            .arg(data.path())
            .args(["--database", database, "serve", "--demo", "--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .env("PAICHA_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").expect("server announces its address").to_string();
        Server { url, data, database: Some(database.to_string()), child }
    }

    /// Runs a `paicha-server` admin command against the data directory.
    pub fn admin(&self, args: &[&str]) -> serde_json::Value {
        let mut cmd = Command::new(bin("paicha-server"));
        cmd.arg("--data").arg(self.data.path()).arg("--json");
        if let Some(database) = &self.database {
            cmd.args(["--database", database]);
        }
        let out = cmd.args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Peak resident memory of the server process so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// CPU seconds the server process has used so far (Linux).
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&format!("/proc/{}/stat", self.child.id()))
    }

    /// Registers a device and returns its enrollment code.
    pub fn device(&self, device: &str, user: &str) -> String {
        self.admin(&["device", "add", "--device", device, "--user", user])["code"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tablet: a real store, enrolled with the server for one user.
pub struct Tablet {
    /// The store.
    pub store: Store,
    /// Its user.
    pub user: String,
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// The store's key (encrypted at rest, as every enrolled store).
    pub key: paicha_store::StoreKey,
}

impl Tablet {
    /// A new store for `device`, enrolled for `user`.
    pub fn enroll(server: &Server, device: &str, user: &str) -> Tablet {
        let dir = tempfile::tempdir().unwrap();
        let key = paicha_store::StoreKey::generate();
        let store = Store::create_encrypted(&dir.path().join("store"), device, &key).unwrap();
        let code = server.device(device, user);
        client::enroll(&store, &server.url, &code).unwrap();
        Tablet { store, user: user.to_string(), dir, key }
    }

    /// Syncs until nothing is left, failing the test on an error.
    pub fn sync(&self) -> SyncReport {
        self.try_sync().unwrap()
    }

    /// Syncs, returning the error.
    pub fn try_sync(&self) -> paicha_store::Result<SyncReport> {
        client::sync(&self.store, &SyncOptions::default(), &|_| {}, &AtomicBool::new(false))
    }

    /// A JPEG in this tablet's directory.
    pub fn jpeg(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(format!("{name}.jpg"));
        std::fs::write(&p, [b"\xFF\xD8\xFF\xE0".as_slice(), name.as_bytes()].concat()).unwrap();
        p
    }
}

/// CPU seconds (user + system) of a process from its `/proc/.../stat` (Linux, 100 ticks/s).
/// A device whose user runs modified software: only its enrollment (token
/// and Automerge actor id) is real; it writes and uploads raw changes itself.
pub struct RawDevice {
    /// Device id.
    pub device: String,
    /// Its user, as the demo registry has them.
    pub person: paicha_core::people::Person,
    /// The actor id bound at enrollment.
    pub actor: Vec<u8>,
    /// The device token.
    pub token: String,
}

impl RawDevice {
    /// Registers `device` for `user` and enrolls it with actor id `[n; 16]`-ish.
    pub fn enroll(server: &Server, device: &str, user: &str, n: u8) -> RawDevice {
        let code = server.device(device, user);
        let actor = vec![0xA0 ^ n; 16];
        let hex: String = actor.iter().map(|b| format!("{b:02x}")).collect();
        let body = serde_json::json!({ "code": code, "device_id": device, "actor": hex });
        let resp = reqwest::blocking::Client::new()
            .post(format!("{}/v1/enroll", server.url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let v: serde_json::Value = serde_json::from_slice(&resp.bytes().unwrap()).unwrap();
        RawDevice {
            device: device.into(),
            person: paicha_core::demo::person_by_id(user).unwrap(),
            actor,
            token: v["token"].as_str().unwrap().into(),
        }
    }

    /// The actor as this device's events name it (registry role and scope).
    pub fn registry_actor(&self) -> paicha_core::people::Actor {
        let person = paicha_core::people::Person { certificate_no: None, ..self.person.clone() };
        paicha_core::people::Actor { person, device_id: self.device.clone() }
    }

    /// Uploads raw changes of one record; `device_time` is the request's clock reading.
    pub fn upload(
        &self,
        server: &Server,
        id: &str,
        kind: &str,
        changes: Vec<u8>,
        device_time: Option<i64>,
    ) -> paicha_core::sync::wire::SyncResponse {
        use paicha_core::sync::wire::{self, Bytes, DocUpload, SyncRequest};
        let req = SyncRequest {
            cursor: u64::MAX / 2,
            reference_version: u64::MAX / 2,
            uploads: vec![DocUpload { doc_id: id.into(), kind: kind.into(), changes: Bytes(changes) }],
            page_size: 1,
            device_time,
        };
        let resp = reqwest::blocking::Client::new()
            .post(format!("{}/v1/sync", server.url))
            .bearer_auth(&self.token)
            .body(wire::encode(&req))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{}", resp.text().unwrap_or_default());
        wire::decode(&resp.bytes().unwrap()).unwrap()
    }
}

/// A PostgreSQL database of its own for one test, on the server that
/// `PAICHA_TEST_POSTGRES` names, dropped with it.
pub struct PostgresDatabase {
    /// Its URL, for `paicha-server --database`.
    pub url: String,
    admin: postgres::Config,
    name: String,
}

impl PostgresDatabase {
    /// Creates an empty database; fails the test, saying how to get a
    /// server, when `PAICHA_TEST_POSTGRES` is not set.
    pub fn create() -> PostgresDatabase {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let base = std::env::var("PAICHA_TEST_POSTGRES").unwrap_or_default();
        assert!(
            !base.is_empty(),
            "PAICHA_TEST_POSTGRES is not set: this test runs the server on PostgreSQL. Run it through \
             `bash scripts/with-postgres.sh cargo test -p paicha-scenarios` (it starts a throwaway \
             PostgreSQL 15 cluster and sets the variable), or set PAICHA_TEST_POSTGRES=postgres://USER@HOST:PORT/DB \
             for a server where USER may create databases."
        );
        let admin: postgres::Config = base.parse().unwrap_or_else(|e| panic!("PAICHA_TEST_POSTGRES={base}: {e}"));
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("paicha_scenario_{}_{}_{n}", std::process::id(), nanos % 1_000_000_000);
        let mut client = admin
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to PAICHA_TEST_POSTGRES={base}: {e}"));
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        // The same server, credentials and options, the new database.
        let (head, query) = base.split_once('?').unwrap_or((&base, ""));
        let (scheme, rest) = head.split_once("://").unwrap_or(("postgres", head));
        let authority = rest.split('/').next().unwrap_or(rest);
        let mut url = format!("{scheme}://{authority}/{name}");
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        PostgresDatabase { url, admin, name }
    }

    /// Runs a query on the database (for checking what the server stored).
    pub fn client(&self) -> postgres::Client {
        let mut config = self.admin.clone();
        config.dbname(&self.name);
        config.connect(postgres::NoTls).unwrap()
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = self.admin.connect(postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The server's stored snapshot of a record, read from its database file
/// (a server on SQLite).
pub fn stored_snapshot(server: &Server, id: &str) -> Option<Vec<u8>> {
    let c = rusqlite::Connection::open_with_flags(
        server.data.path().join("server.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    c.query_row("SELECT snapshot FROM documents WHERE id = ?1", [id], |r| r.get(0)).ok()
}

/// CPU seconds (user + system) of a process from its `/proc/.../stat` (Linux, 100 ticks/s).
pub fn cpu_seconds_of(stat_path: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_path).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Parses a time or panics.
pub fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// `moto_server` (PyPI's standalone S3 API server) on a free loopback port,
/// stopped on drop: a real S3 API for the object-store photo tests.
pub struct S3 {
    /// Its endpoint.
    pub url: String,
    child: Child,
}

impl S3 {
    /// Starts it; fails the test, saying how to install it, when it is missing.
    pub fn start() -> S3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("moto_server did not start ({e}): install it with pip install 'moto[server]' (scripts/install-tools.sh does)")
            });
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::new();
        for _ in 0..200 {
            if http.get(&url).send().is_ok() {
                return S3 { url, child };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("moto_server did not answer on {url}");
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, name: &str) {
        let r = reqwest::blocking::Client::new().put(format!("{}/{name}", self.url)).send().unwrap();
        assert!(r.status().is_success(), "create bucket: {}", r.status());
    }

    /// Keys of the objects in `bucket` (S3 ListObjectsV2), as its XML listing.
    pub fn keys(&self, bucket: &str) -> String {
        reqwest::blocking::Client::new()
            .get(format!("{}/{bucket}?list-type=2", self.url))
            .send()
            .unwrap()
            .text()
            .unwrap()
    }

    /// The server's environment for photos at `location` (`s3://bucket/prefix`) in this store.
    pub fn server_env<'a>(&'a self, location: &'a str) -> [(&'a str, &'a str); 6] {
        [
            ("PAICHA_SERVER_PHOTOS", location),
            ("AWS_ENDPOINT", self.url.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ]
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
