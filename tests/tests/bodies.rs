//! Sync bodies that decompress to far more than a real sync needs (deflate
//! bombs), sent by 50 clients at once with and without a valid token: each
//! gets a 4xx, the server's memory stays bounded, and it keeps serving.
//! The token is checked before the body is read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::sync::wire::{self, SyncRequest};
use paicha_scenarios::{Server, Tablet};
use std::io::Write;

/// `PSY` + version + a deflate stream of `decoded` zero bytes (about 1,000:1).
fn bomb(decoded: usize) -> Vec<u8> {
    let mut out = b"PSY".to_vec();
    out.push(wire::PROTOCOL_VERSION);
    let mut enc = flate2::write::DeflateEncoder::new(out, flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..decoded / chunk.len() {
        enc.write_all(&chunk).unwrap();
    }
    enc.finish().unwrap()
}

fn post(url: &str, token: Option<&str>, body: Vec<u8>) -> u16 {
    let client = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(120)).build().unwrap();
    let mut req = client.post(format!("{url}/v1/sync")).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().map(|r| r.status().as_u16()).unwrap_or(0)
}

#[test]
fn fifty_deflate_bombs_at_once_get_4xx_and_the_server_stays_small() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "b-wang", "insp-wang");
    wang.sync();
    let token = wang.store.server_link().unwrap().unwrap().token;
    let body = bomb(256 << 20);
    println!("bomb: {} bytes, decoding to 256 MiB", body.len());
    let baseline = server.peak_rss_kib();
    for with_token in [false, true] {
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|i| {
                    let (url, body, token) = (&server.url, body.clone(), token.clone());
                    s.spawn(move || {
                        let tok = if with_token {
                            Some(token.as_str())
                        } else if i % 2 == 0 {
                            None
                        } else {
                            Some("forged")
                        };
                        post(url, tok, body)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let expected = if with_token { [400].as_slice() } else { [401].as_slice() };
        assert!(statuses.iter().all(|s| expected.contains(s)), "with_token={with_token}: {statuses:?}");
        let peak = server.peak_rss_kib();
        println!(
            "server_peak_rss_after_50_bombs_{} {} MiB (baseline {} MiB)",
            if with_token { "with_token" } else { "without_token" },
            peak / 1024,
            baseline / 1024
        );
        // The design's bound (app::SYNC_PERMITS): at most two large bodies
        // in memory at once, each at most 32 MiB read and 48 MiB decoded,
        // 160 MiB above the idle server; 50 bombs unbounded would be 12.8 GB.
        // (The allocator keeps freed buffers per thread, so the peak varies
        // from run to run below this bound: 100-150 MiB measured.)
        assert!(peak < baseline + 160 * 1024, "peak resident memory {peak} KiB, idle {baseline} KiB");
    }
    // The server keeps serving: a real sync still works.
    let report = wang.sync();
    assert_eq!(report.refused.len(), 0);
    let empty = wire::encode(&SyncRequest {
        cursor: 0,
        reference_version: 0,
        uploads: vec![],
        page_size: 1,
        device_time: None,
    });
    assert_eq!(post(&server.url, Some(&token), empty), 200);
}
