//! Harness for the scenarios in `tests/tests/`: the real `paicha-server`
//! binary on a loopback port, and tablets that are real paicha stores
//! enrolled with it (or the real `paicha` binary).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::store::Store;
use paicha_core::sync::client::{self, SyncOptions, SyncReport};
use paicha_core::time::Timestamp;
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
    /// Its data directory.
    pub data: tempfile::TempDir,
    child: Child,
}

impl Server {
    /// Creates a demo district and starts the server on it.
    pub fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let init = Command::new(bin("paicha-server"))
            .arg("--data")
            .arg(data.path())
            .args(["init", "--demo"])
            .output()
            .unwrap();
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
        let mut child = Command::new(bin("paicha-server"))
            .arg("--data")
            .arg(data.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("PAICHA_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").expect("server announces its address").to_string();
        Server { url, data, child }
    }

    /// Runs a `paicha-server` admin command against the data directory.
    pub fn admin(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new(bin("paicha-server"))
            .arg("--data")
            .arg(self.data.path())
            .arg("--json")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
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
}

impl Tablet {
    /// A new store for `device`, enrolled for `user`.
    pub fn enroll(server: &Server, device: &str, user: &str) -> Tablet {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("store"), device).unwrap();
        let code = server.device(device, user);
        client::enroll(&store, &server.url, &code).unwrap();
        Tablet { store, user: user.to_string(), dir }
    }

    /// Syncs until nothing is left, failing the test on an error.
    pub fn sync(&self) -> SyncReport {
        self.try_sync().unwrap()
    }

    /// Syncs, returning the error.
    pub fn try_sync(&self) -> paicha_core::Result<SyncReport> {
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
