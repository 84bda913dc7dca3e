//! The server killed with SIGKILL at random moments of large uploads, 50
//! times, the tablet retrying: no acknowledged change is lost, none is
//! stored twice, and a fresh tablet downloads every record exactly once.
//! On both backends: the embedded SQLite (WAL, `synchronous = FULL`, one
//! commit per request) and PostgreSQL (one transaction per request; the
//! PostgreSQL run needs `PAICHA_TEST_POSTGRES`, see `scripts/with-postgres.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::time::Timestamp;
use paicha_scenarios::{bin, Tablet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const KILLS: usize = 50;
const RECORDS_PER_ROUND: usize = 60;

/// A server on a fixed port over one data directory, killed and started again.
struct Killable {
    data: tempfile::TempDir,
    /// The PostgreSQL database (None: SQLite in `data`).
    database: Option<String>,
    port: u16,
    child: Option<Child>,
}

impl Killable {
    fn start(&mut self) {
        let mut cmd = Command::new(bin("paicha-server"));
        if let Some(db) = &self.database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd
            .arg("--data")
            .arg(self.data.path())
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .env("PAICHA_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("listening on"), "{line}");
        self.child = Some(child);
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
        }
    }
}

impl Drop for Killable {
    fn drop(&mut self) {
        self.kill9();
    }
}

#[test]
fn fifty_kills_during_uploads_lose_and_duplicate_nothing_on_sqlite() {
    let server = paicha_scenarios::Server::start();
    kill_loop(server, |data| {
        let db = rusqlite::Connection::open(data.join("server.db")).unwrap();
        Box::new(move |sql: &str| db.query_row(sql, [], |r| r.get(0)).unwrap())
    });
}

#[test]
fn fifty_kills_during_uploads_lose_and_duplicate_nothing_on_postgresql() {
    let db = paicha_scenarios::PostgresDatabase::create();
    let server = paicha_scenarios::Server::start_postgres(&db.url);
    kill_loop(server, |_| {
        let mut client = db.client();
        Box::new(move |sql: &str| client.query_one(sql, &[]).unwrap().get(0))
    });
}

/// A counting query on the server's database.
type Count<'a> = Box<dyn FnMut(&str) -> i64 + 'a>;

/// Runs the loop against `server` (taken over on its port), then checks the
/// server's database with `counter` (given the data directory).
fn kill_loop<'a>(server: paicha_scenarios::Server, counter: impl FnOnce(&std::path::Path) -> Count<'a>) {
    let url = server.url.clone();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let wang = Tablet::enroll(&server, "k-wang", "insp-wang");
    let xu = Tablet::enroll(&server, "k-xu", "admin-xu");
    // Take over the server process: same data directory, same port.
    let data = tempfile::tempdir().unwrap();
    let status =
        Command::new("cp").arg("-a").arg(format!("{}/.", server.data.path().display())).arg(data.path()).status();
    let server_database = server.database.clone();
    drop(server);
    assert!(status.unwrap().success());
    let mut srv = Killable { data, database: server_database, port, child: None };
    srv.start();
    let mut created: Vec<String> = vec![];
    let mut acknowledged = 0usize;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let wang = &wang;
    for round in 0..KILLS {
        for i in 0..RECORDS_PER_ROUND {
            let h = wang
                .store
                .report_hazard(
                    "insp-wang",
                    paicha_store::NewHazard {
                        enterprise: paicha_core::demo::credit_code(1 + (i % 3) as u32),
                        description: Some(format!("第{round}轮 隐患{i} {}", "描述".repeat(40))),
                        co_inspectors: vec!["insp-li".into()],
                        ..Default::default()
                    },
                    Timestamp::now(),
                )
                .unwrap();
            created.push(h.id);
        }
        // Sync in the background and kill the server at a random moment of it.
        let syncing = std::thread::scope(|s| {
            let once = paicha_store::client::SyncOptions { attempts: 1, ..Default::default() };
            let h = s.spawn(move || {
                paicha_store::client::sync(&wang.store, &once, &|_| {}, &std::sync::atomic::AtomicBool::new(false))
            });
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            std::thread::sleep(std::time::Duration::from_millis(rng % 120));
            srv.kill9();
            h.join().unwrap()
        });
        if syncing.is_ok() {
            acknowledged += 1;
        }
        srv.start();
        // The tablet retries until the server has acknowledged everything.
        let mut tries = 0;
        while let Err(e) = wang.try_sync() {
            tries += 1;
            assert!(tries < 20, "round {round}: sync keeps failing: {e}");
        }
    }
    println!("kill_loop: {KILLS} kills, {} records, {acknowledged} syncs completed before their kill", created.len());
    // Every record reaches a fresh tablet exactly once, each with its one event.
    let fresh = xu;
    fresh.sync();
    let rows = fresh.store.list_hazards("admin-xu", &Default::default(), Timestamp::now()).unwrap();
    assert_eq!(rows.len(), created.len(), "every record, none twice");
    let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), created.len());
    for id in created.iter().step_by(37) {
        assert_eq!(fresh.store.history("admin-xu", id).unwrap().len(), 1, "{id}: one report event, stored once");
    }
    // The server holds each record's report exactly once, with its summary.
    srv.kill9();
    let mut count = counter(srv.data.path());
    assert_eq!(count("SELECT COUNT(*) FROM documents") as usize, created.len());
    assert_eq!(count("SELECT COUNT(*) FROM receipts") as usize, created.len());
    assert_eq!(count("SELECT COUNT(*) FROM summaries") as usize, created.len());
    assert_eq!(count("SELECT COUNT(*) FROM quarantine"), 0);
}
