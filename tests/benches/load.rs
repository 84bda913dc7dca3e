//! Load generator: N simulated tablets against the real server binary on
//! loopback, with a realistic mix of syncs, for docs/performance.md. Prints
//! one line per figure, `name value unit`:
//!
//! ```sh
//! cargo bench -p paicha-scenarios --bench load -- 100 20     # 100 tablets for 20 s, SQLite
//! cargo bench -p paicha-scenarios --bench load -- 1000 20
//! cargo bench -p paicha-scenarios --bench load -- 5000 20
//! # PostgreSQL, one or two server processes on one database:
//! PAICHA_PG_DURABLE=1 bash scripts/with-postgres.sh cargo bench -p paicha-scenarios --bench load -- 1000 20 postgres
//! PAICHA_PG_DURABLE=1 bash scripts/with-postgres.sh cargo bench -p paicha-scenarios --bench load -- 1000 20 postgres 2nodes
//! ```
//!
//! The generator is closed-loop: 16 client threads each drive their share
//! of the N tablets as fast as the server answers, so the figures are the
//! server's capacity with N tablets' state (devices, records, cursors), not
//! a model of how often a real tablet syncs (every few minutes). Client and
//! server share the machine's cores.
//!
//! Each simulated tablet loops: mostly no-op polls (its cursor at the end of
//! the log), sometimes an upload of 1–5 changes (new hidden dangers and
//! edits, each a real event decided by the rule function), a few initial
//! syncs (cursor 0, one page of 1,000), and a few photo uploads. Tablets
//! share up to 100 enrolled devices (a device's token and actor id; the
//! server keeps no per-device session). Latency is measured per kind of
//! request on the client; server CPU and memory are read from /proc.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::hazard::{next_event, Action, Edit, EnterpriseRef, Event, Handling, HazardKind, Level, ReportData};
use paicha_core::policy::Policy;
use paicha_core::sync::wire::{self, Bytes, DocUpload, SyncRequest, SyncResponse};
use paicha_core::time::Timestamp;
use paicha_core::workflow::{decide, Context};
use paicha_scenarios::{PostgresDatabase, RawDevice, Server};
use sha2::Digest;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One record a simulated tablet created, with what the server acknowledged.
struct Record {
    doc: RecordDoc,
    events: Vec<Event>,
    heads: Vec<String>,
}

struct SimTablet {
    device: usize,
    records: Vec<Record>,
    n: u64,
}

#[derive(Default)]
struct Samples {
    by_kind: std::collections::BTreeMap<&'static str, Vec<f64>>,
    errors: u64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report_action(device: &RawDevice, i: u64, now: Timestamp) -> Action {
    let e = &demo::enterprises()[(i % 3) as usize];
    let report = ReportData {
        enterprise: EnterpriseRef {
            credit_code: e.credit_code.clone(),
            name: e.name.clone(),
            township: e.township.clone(),
            grid: e.grid.clone(),
            risk_colour: e.risk_colour,
        },
        sector: String::new(),
        inspection_id: None,
        item_code: None,
        location: format!("车间{}", i % 17),
        description: format!("隐患{i}：配电箱未接地"),
        kind: HazardKind::UnsafeCondition,
        level: Level::General,
        handling: Handling::Deadline,
        before_photos: vec![],
        required_measures: String::new(),
        responsible_person: String::new(),
        funds: None,
        legal_basis: String::new(),
        criteria: vec![],
        co_inspectors: vec![demo::person_by_id("insp-li").unwrap()],
        deadline: None,
        order_date: None,
    };
    let ctx = Context { now, policy: &Policy::default(), inspection_open: None };
    decide(None, &device.registry_actor(), Action::Report(Box::new(report)), &ctx).unwrap()
}

fn post(http: &reqwest::blocking::Client, url: &str, token: &str, req: &SyncRequest) -> Option<SyncResponse> {
    let resp = http.post(format!("{url}/v1/sync")).bearer_auth(token).body(wire::encode(req)).send().ok()?;
    if !resp.status().is_success() {
        return None;
    }
    wire::decode(&resp.bytes().ok()?).ok()
}

fn main() {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let mut numbers = words.iter().filter_map(|a| a.parse::<u64>().ok());
    let tablets = numbers.next().unwrap_or(100) as usize;
    let seconds = numbers.next().unwrap_or(20);
    let postgres = words.iter().any(|w| w == "postgres");
    let nodes = if words.iter().any(|w| w == "2nodes") { 2 } else { 1 };
    assert!(postgres || nodes == 1, "several server processes share a PostgreSQL database: add `postgres`");
    let workers = 16usize.min(tablets);
    println!("tablets {tablets} simulated");
    println!("duration {seconds} s");
    println!("backend_postgres {} bool", u8::from(postgres));
    println!("nodes {nodes} processes");
    let db = postgres.then(PostgresDatabase::create);
    let servers: Vec<Server> = match &db {
        Some(db) => (0..nodes).map(|_| Server::start_postgres(&db.url)).collect(),
        None => vec![Server::start()],
    };
    let server = &servers[0];
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let devices: Vec<RawDevice> =
        (0..tablets.min(100)).map(|i| RawDevice::enroll(server, &format!("load-{i}"), "insp-wang", i as u8)).collect();
    let devices = Arc::new(devices);
    // Some records on the server, so initial syncs download something.
    {
        let http = reqwest::blocking::Client::new();
        let d = &devices[0];
        let mut uploads = vec![];
        for i in 0..2000u64 {
            let id = format!("seed-{i}");
            let ev = next_event(
                &[],
                format!("s{i}"),
                Timestamp::now(),
                d.registry_actor(),
                report_action(d, i, Timestamp::now()),
            );
            let mut doc = RecordDoc::new(DocKind::Hazard, &id, &d.actor).unwrap();
            doc.add_event(&ev).unwrap();
            uploads.push(DocUpload { doc_id: id, kind: "hazard".into(), changes: Bytes(doc.save()) });
        }
        for chunk in uploads.chunks(100) {
            let req = SyncRequest {
                cursor: u64::MAX / 2,
                reference_version: u64::MAX / 2,
                uploads: chunk.to_vec(),
                page_size: 1,
                device_time: Some(Timestamp::now().0),
            };
            post(&http, &server.url, &d.token, &req).expect("seed upload");
        }
    }
    // Each phase starts from the state the previous one left (records grow).
    let phases = [
        ("noop", Mix { noop: 1000, upload: 0, initial: 0 }),
        ("upload", Mix { noop: 0, upload: 1000, initial: 0 }),
        ("mix", Mix { noop: 880, upload: 100, initial: 5 }),
    ];
    let mut tabs: Vec<Vec<SimTablet>> = (0..workers)
        .map(|w| {
            (w..tablets)
                .step_by(workers)
                .map(|t| SimTablet { device: t % devices.len(), records: vec![], n: 0 })
                .collect()
        })
        .collect();
    for (name, mix) in phases {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Samples::default()));
        let cpu_of = |servers: &[Server]| servers.iter().map(Server::cpu_seconds).sum::<f64>();
        let cpu0 = cpu_of(&servers);
        let changes = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let started = Instant::now();
        let handles: Vec<_> = tabs
            .drain(..)
            .enumerate()
            .map(|(w, mut mine)| {
                let (devices, stop, samples, changes) =
                    (devices.clone(), stop.clone(), samples.clone(), changes.clone());
                // A load balancer's round robin: each client thread on one node.
                let url = urls[w % urls.len()].clone();
                std::thread::spawn(move || {
                    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
                    let mut local = Samples::default();
                    let mut rng = w as u64 * 7919 + 1 + mix.noop * 31 + mix.upload;
                    let mut next = || {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        rng % 1000
                    };
                    let mut serial = mix.upload * 1_000_000 + mix.noop * 10_000_000;
                    'outer: loop {
                        for tab in &mut mine {
                            if stop.load(Ordering::Relaxed) {
                                break 'outer;
                            }
                            let d = &devices[tab.device];
                            let roll = next();
                            let t0 = Instant::now();
                            let (kind, ok): (&'static str, bool) = if roll < mix.noop {
                                let req = SyncRequest {
                                    cursor: u64::MAX / 2,
                                    reference_version: u64::MAX / 2,
                                    uploads: vec![],
                                    page_size: 100,
                                    device_time: Some(Timestamp::now().0),
                                };
                                ("noop", post(&http, &url, &d.token, &req).is_some())
                            } else if roll < mix.noop + mix.upload {
                                let n = 1 + (next() % 5) as usize;
                                let mut uploads = vec![];
                                for _ in 0..n {
                                    tab.n += 1;
                                    serial += 1;
                                    let now = Timestamp::now();
                                    if tab.records.len() < 3 || next() < 500 {
                                        let id = format!("w{w}-{serial}");
                                        let ev = next_event(
                                            &[],
                                            format!("r{serial}"),
                                            now,
                                            d.registry_actor(),
                                            report_action(d, tab.n, now),
                                        );
                                        let mut doc = RecordDoc::new(DocKind::Hazard, &id, &d.actor).unwrap();
                                        doc.add_event(&ev).unwrap();
                                        uploads.push(DocUpload {
                                            doc_id: id,
                                            kind: "hazard".into(),
                                            changes: Bytes(doc.save()),
                                        });
                                        tab.records.push(Record { doc, events: vec![ev], heads: vec![] });
                                    } else {
                                        let i = (next() as usize) % tab.records.len();
                                        let r = &mut tab.records[i];
                                        if uploads.iter().any(|u: &DocUpload| u.doc_id == r.doc.id()) {
                                            continue;
                                        }
                                        let edit = Action::Edit(Edit {
                                            description: Some(format!("改{serial}")),
                                            ..Edit::default()
                                        });
                                        let ev =
                                            next_event(&r.events, format!("e{serial}"), now, d.registry_actor(), edit);
                                        r.doc.add_event(&ev).unwrap();
                                        r.events.push(ev);
                                        uploads.push(DocUpload {
                                            doc_id: r.doc.id().to_string(),
                                            kind: "hazard".into(),
                                            changes: Bytes(r.doc.changes_after(&r.heads)),
                                        });
                                    }
                                }
                                let req = SyncRequest {
                                    cursor: u64::MAX / 2,
                                    reference_version: u64::MAX / 2,
                                    uploads,
                                    page_size: 100,
                                    device_time: Some(Timestamp::now().0),
                                };
                                let resp = post(&http, &url, &d.token, &req);
                                if let Some(resp) = &resp {
                                    changes.fetch_add(resp.accepted.len() as u64, Ordering::Relaxed);
                                    for a in &resp.accepted {
                                        if let Some(r) = tab.records.iter_mut().find(|r| r.doc.id() == a.doc_id) {
                                            r.heads = a.heads.clone();
                                        }
                                    }
                                }
                                ("upload", resp.is_some_and(|r| r.refused.is_empty()))
                            } else if roll < mix.noop + mix.upload + mix.initial {
                                let req = SyncRequest {
                                    cursor: 0,
                                    reference_version: 0,
                                    uploads: vec![],
                                    page_size: 1000,
                                    device_time: Some(Timestamp::now().0),
                                };
                                (
                                    "initial_page",
                                    post(&http, &url, &d.token, &req).is_some_and(|r| !r.changes.is_empty()),
                                )
                            } else if let Some(r) = tab.records.first() {
                                // A photo the record does not refer to is refused (404) after
                                // the same work as a real one: token, scope lookup.
                                let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
                                let sha: String =
                                    sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
                                let _ = r;
                                let resp =
                                    http.put(format!("{url}/v1/photos/{sha}")).bearer_auth(&d.token).body(bytes).send();
                                ("photo", resp.is_ok_and(|r| r.status().as_u16() == 404 || r.status().is_success()))
                            } else {
                                continue;
                            };
                            let ms = t0.elapsed().as_secs_f64() * 1000.0;
                            local.by_kind.entry(kind).or_default().push(ms);
                            if !ok {
                                local.errors += 1;
                            }
                        }
                    }
                    let mut all = samples.lock().unwrap();
                    for (k, v) in local.by_kind {
                        all.by_kind.entry(k).or_default().extend(v);
                    }
                    all.errors += local.errors;
                    mine
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            tabs.push(h.join().unwrap());
        }
        let wall = started.elapsed().as_secs_f64();
        let cpu = cpu_of(&servers) - cpu0;
        let s = samples.lock().unwrap();
        let total: usize = s.by_kind.values().map(Vec::len).sum();
        let changes = changes.load(Ordering::Relaxed);
        println!("{name}.requests_per_s {:.0} requests/s", total as f64 / wall);
        for (kind, v) in &s.by_kind {
            let mut v = v.clone();
            v.sort_by(|a, b| a.total_cmp(b));
            println!("{name}.{kind}_per_s {:.0} requests/s", v.len() as f64 / wall);
            println!("{name}.{kind}_p50 {:.1} ms", percentile(&v, 0.5));
            println!("{name}.{kind}_p99 {:.1} ms", percentile(&v, 0.99));
        }
        println!("{name}.validated_changes_per_s {:.0} changes/s", changes as f64 / wall);
        println!("{name}.errors {} requests", s.errors);
        println!("{name}.server_cpu_per_request {:.3} ms", cpu * 1000.0 / total.max(1) as f64);
        if changes > 0 {
            println!("{name}.server_cpu_per_validated_change {:.3} ms", cpu * 1000.0 / changes as f64);
        }
        println!("{name}.server_cpu_utilisation {:.2} cores", cpu / wall);
        let rss = servers.iter().map(Server::peak_rss_kib).max().unwrap_or(0);
        println!("{name}.server_peak_rss {} MiB", rss / 1024);
    }
}

/// Per mille of each kind of request; photo uploads take the rest.
#[derive(Clone, Copy)]
struct Mix {
    noop: u64,
    upload: u64,
    initial: u64,
}
