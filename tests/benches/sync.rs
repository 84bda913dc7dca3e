//! Sync figures for docs/performance.md, against the real server binary on
//! loopback. Prints one line per figure, `name value unit`:
//!
//! ```sh
//! cargo build --release -p paicha-server && cargo bench -p paicha-scenarios --bench sync          # 10,000 records
//! cargo bench -p paicha-scenarios --bench sync -- 1000                                           # another size
//! ```
//!
//! An inspector's tablet records N hidden dangers and uploads them (server
//! throughput); a supervisor's fresh tablet does its initial sync (bytes on
//! the wire, client CPU); then a no-op sync and a one-field change. In the
//! same run, the baseline: Automerge's per-document sync protocol over the
//! same documents, for a no-op and for an initial sync.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::doc::RecordDoc;
use paicha_core::hazard::{Action, Edit};
use paicha_scenarios::{cpu_seconds_of, t, Server, Tablet};
use paicha_store::NewHazard;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    println!("records {n} hidden_dangers");
    let server = Server::start();
    let wang = Tablet::enroll(&server, "bench-wang", "insp-wang");
    let enterprises = [demo::credit_code(1), demo::credit_code(2), demo::credit_code(3)];
    let start = t("2026-09-01T09:00+08:00");
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let h = wang
            .store
            .report_hazard(
                "insp-wang",
                NewHazard {
                    enterprise: enterprises[i % 3].clone(),
                    location: format!("车间{}", i % 17),
                    description: Some(format!("隐患{i}：配电箱未接地")),
                    co_inspectors: vec!["insp-li".into()],
                    ..NewHazard::default()
                },
                start.plus_millis(i as i64 * 60_000),
            )
            .unwrap();
        ids.push(h.id);
    }

    // Upload: the server validates every document and commits it durably.
    let cpu0 = server.cpu_seconds();
    let t0 = Instant::now();
    let up = wang.sync();
    let wall = t0.elapsed().as_secs_f64();
    let server_cpu = server.cpu_seconds() - cpu0;
    println!("upload_requests {} requests", up.progress.requests);
    println!("upload_wall {wall:.2} s");
    println!("server_validated_changes_per_s_wall {:.0} changes/s", n as f64 / wall);
    println!("server_validated_changes_per_cpu_s {:.0} changes/s", n as f64 / server_cpu.max(0.01));

    // Initial sync of a fresh supervisor's tablet.
    let chen = Tablet::enroll(&server, "bench-chen", "sup-chen");
    let cpu0 = cpu_seconds_of("/proc/self/stat");
    let t0 = Instant::now();
    let init = chen.sync();
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds_of("/proc/self/stat") - cpu0;
    println!("initial_sync_bytes {} bytes", init.progress.bytes_up + init.progress.bytes_down);
    println!("initial_sync_requests {} requests", init.progress.requests);
    println!("initial_sync_client_cpu {cpu:.2} s");
    println!("initial_sync_wall {wall:.2} s");
    assert_eq!(init.progress.docs_down as usize, n);

    // No-op.
    let noop = chen.sync();
    println!("noop_sync_request_bytes {} bytes", noop.progress.bytes_up);
    println!("noop_sync_response_bytes {} bytes", noop.progress.bytes_down);
    println!("noop_sync_requests {} requests", noop.progress.requests);

    // One field changed on the inspector's tablet, sent and received.
    let edit = Edit { location: Some("二号车间东侧".into()), ..Edit::default() };
    wang.store.act("insp-wang", &ids[n / 2], Action::Edit(edit), t("2026-11-20T10:00+08:00")).unwrap();
    let sent = wang.sync();
    println!("one_field_change_upload_request_bytes {} bytes", sent.progress.bytes_up);
    println!("one_field_change_upload_response_bytes {} bytes", sent.progress.bytes_down);
    println!("one_field_change_upload_requests {} requests", sent.progress.requests);
    let got = chen.sync();
    println!("one_field_change_download_request_bytes {} bytes", got.progress.bytes_up);
    println!("one_field_change_download_response_bytes {} bytes", got.progress.bytes_down);
    println!("one_field_change_download_requests {} requests", got.progress.requests);

    // Baseline: Automerge's per-document sync over the same documents.
    let (mut noop_bytes, mut noop_msgs, mut init_bytes, mut init_msgs) = (0u64, 0u64, 0u64, 0u64);
    for id in &ids {
        let a = wang.store.document_bytes(id).unwrap();
        let b = chen.store.document_bytes(id).unwrap();
        let mut da = RecordDoc::load(id, &a, &[], &[1; 16]).unwrap();
        let mut db = RecordDoc::load(id, &b, &[], &[2; 16]).unwrap();
        let (bytes, msgs) = da.automerge_sync_with(&mut db).unwrap();
        noop_bytes += bytes;
        noop_msgs += msgs;
        let mut empty = RecordDoc::empty(id, &[3; 16]);
        let (bytes, msgs) = da.automerge_sync_with(&mut empty).unwrap();
        init_bytes += bytes;
        init_msgs += msgs;
    }
    println!("baseline_automerge_noop_bytes {noop_bytes} bytes");
    println!("baseline_automerge_noop_messages {noop_msgs} messages");
    println!("baseline_automerge_initial_bytes {init_bytes} bytes");
    println!("baseline_automerge_initial_messages {init_msgs} messages");
}
