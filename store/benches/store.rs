//! Store figures for docs/performance.md. Prints one line per figure:
//! `name value unit`. Run with:
//!
//! ```sh
//! cargo bench -p paicha-core --bench store            # 10,000 records
//! cargo bench -p paicha-core --bench store -- 2000    # another size
//! ```
//!
//! Phase 1 (this process): create N hidden dangers through the real store
//! (one durable transaction each, Automerge document + projection), move a
//! share of them along the loop, and as a baseline insert the same number of
//! rows of the same size into a bare SQLite table with the same pragmas.
//! Phase 2 (a fresh child process, as a tablet opening its store): open the
//! store, run the review-queue, overdue and due-soon queries (median of 21),
//! and report the peak resident memory of that process.

use paicha_core::demo;
use paicha_core::hazard::{Action, Level};
use paicha_core::photo::PhotoRole;
use paicha_core::time::Timestamp;
use paicha_store::{NewHazard, Store};
use std::path::Path;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn create(dir: &Path, n: usize) -> Result<(), paicha_store::Error> {
    let store = Store::create(dir, "bench-tablet")?;
    store.seed_demo_district()?;
    let photo_path = dir.join("before.jpg");
    std::fs::write(&photo_path, b"\xFF\xD8\xFF\xE0 a small stand-in for a photo")
        .map_err(|e| paicha_store::Error::Io { path: photo_path.clone(), source: e })?;
    let before = store.import_photo(&photo_path, PhotoRole::Before, None, None)?;
    let after = store.import_photo(&photo_path, PhotoRole::After, None, None)?;
    let enterprises = demo::enterprises();
    let start = Timestamp::parse("2026-08-01T09:00+08:00").map_err(|e| paicha_store::Error::invalid("time", e))?;
    let mut ids = Vec::with_capacity(n);
    let mut per_op = Vec::with_capacity(n);
    let t0 = Instant::now();
    for i in 0..n {
        // Spread over ~120 days so deadlines fall on both sides of "now".
        let now = start.plus_millis((i as i64) * 120 * 86_400_000 / n as i64);
        let e = &enterprises[i % enterprises.len()];
        let (inspector, co) =
            if e.township == "玉山镇" { ("insp-wang", "insp-li") } else { ("insp-zhou", "insp-sun") };
        let t = Instant::now();
        let h = store.report_hazard(
            inspector,
            NewHazard {
                enterprise: e.credit_code.clone(),
                location: format!("车间{}", i % 17),
                description: Some(format!("隐患描述 {i}：除尘系统未设置泄爆装置")),
                level: Some(if i % 20 == 0 { Level::Major } else { Level::General }),
                before_photos: vec![before.clone()],
                co_inspectors: vec![co.into()],
                ..NewHazard::default()
            },
            now,
        )?;
        per_op.push(t.elapsed().as_secs_f64() * 1000.0);
        ids.push((h.id, e.clone(), now, h.level));
    }
    let create_s = t0.elapsed().as_secs_f64();
    println!("create_hidden_dangers_total {create_s:.2} s");
    println!("create_hidden_danger_median {:.3} ms", median(per_op));

    // Move a share along the loop: evidence on 40%, closure on half of those.
    let t1 = Instant::now();
    let mut actions = 0;
    for (i, (id, e, at, level)) in ids.iter().enumerate() {
        if i % 5 < 2 && *level == Level::General {
            let ent = if e.credit_code == demo::credit_code(1) {
                Some("ent-a")
            } else if e.credit_code == demo::credit_code(2) {
                Some("ent-b")
            } else {
                None
            };
            let who = ent.unwrap_or(if e.township == "玉山镇" { "insp-wang" } else { "insp-zhou" });
            let ev = Action::SubmitEvidence {
                after_photos: vec![after.clone()],
                description: "已整改".into(),
                rectified_on: None,
            };
            store.act(who, id, ev, at.plus_millis(3 * 86_400_000))?;
            actions += 1;
            if i % 5 == 0 {
                let sup = if e.township == "玉山镇" { "sup-chen" } else { "sup-zhao" };
                store.act(
                    sup,
                    id,
                    Action::Review { approve: true, opinion: "同意".into() },
                    at.plus_millis(4 * 86_400_000),
                )?;
                actions += 1;
            }
        }
    }
    println!("workflow_action_mean {:.3} ms", t1.elapsed().as_secs_f64() * 1000.0 / actions.max(1) as f64);

    // Baseline: the same number of durable single-row transactions of similar size, bare SQLite.
    let base = rusqlite::Connection::open(dir.join("baseline.db")).map_err(paicha_store::Error::from)?;
    base.pragma_update(None, "journal_mode", "WAL")?;
    base.pragma_update(None, "synchronous", "FULL")?;
    base.execute_batch(
        "CREATE TABLE t (id TEXT PRIMARY KEY, township TEXT, status TEXT, deadline_end INTEGER, body BLOB)",
    )?;
    let body = vec![7u8; 1500];
    let t2 = Instant::now();
    for i in 0..n {
        base.execute(
            "INSERT INTO t VALUES (?1, ?2, 'rectifying', ?3, ?4)",
            rusqlite::params![format!("id-{i}"), if i % 4 == 3 { "周市镇" } else { "玉山镇" }, i as i64, body],
        )?;
    }
    println!("baseline_bare_sqlite_insert_total {:.2} s", t2.elapsed().as_secs_f64());
    let size = std::fs::metadata(dir.join("paicha.db")).map(|m| m.len()).unwrap_or(0);
    println!("store_file_size {:.1} MB", size as f64 / 1_048_576.0);
    Ok(())
}

fn query(dir: &Path) -> Result<(), paicha_store::Error> {
    let mut opens = vec![];
    for _ in 0..5 {
        let t = Instant::now();
        let s = Store::open(dir)?;
        opens.push(t.elapsed().as_secs_f64() * 1000.0);
        drop(s);
    }
    println!("open_store_median {:.2} ms", median(opens));
    let store = Store::open(dir)?;
    let now = Timestamp::parse("2026-11-15T10:00+08:00").map_err(|e| paicha_store::Error::invalid("time", e))?;
    let mut sizes = (0, 0, 0);
    let (mut q, mut o, mut d) = (vec![], vec![], vec![]);
    for _ in 0..21 {
        let t = Instant::now();
        sizes.0 = store.review_queue("sup-chen", now)?.len();
        q.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        sizes.1 = store.overdue("sup-chen", now)?.len();
        o.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        sizes.2 = store.due_soon("sup-chen", now, 7)?.len();
        d.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("review_queue_median {:.2} ms", median(q));
    println!("review_queue_rows {} rows", sizes.0);
    println!("overdue_median {:.2} ms", median(o));
    println!("overdue_rows {} rows", sizes.1);
    println!("due_soon_median {:.2} ms", median(d));
    let t = Instant::now();
    let stats = store.statistics("admin-xu", paicha_core::stats::GroupBy::Township, Default::default(), now)?;
    println!("statistics_by_township {:.2} ms", t.elapsed().as_secs_f64() * 1000.0);
    let total = stats.last().map_or(0, |s| s.recorded);
    println!("records_in_store {total} records");
    println!("peak_rss_open_and_query {:.1} MB", peak_rss_mb());
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--query-phase") {
        if let Some(dir) = args.get(pos + 1) {
            if let Err(e) = query(Path::new(dir)) {
                eprintln!("bench query phase failed: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let n: usize = args.iter().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("no temp dir: {e}");
            std::process::exit(1);
        }
    };
    let dir = tmp.path().join("store");
    println!("records {n} hidden_dangers");
    if let Err(e) = create(&dir, n) {
        eprintln!("bench create phase failed: {e}");
        std::process::exit(1);
    }
    println!("peak_rss_create {:.1} MB", peak_rss_mb());
    let exe = std::env::current_exe().unwrap_or_default();
    let status = std::process::Command::new(exe).arg("--query-phase").arg(&dir).status();
    if !status.map(|s| s.success()).unwrap_or(false) {
        std::process::exit(1);
    }
}
