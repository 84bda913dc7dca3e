//! The server binary starts on a free loopback port, answers /health,
//! liveness, readiness and /metrics, serves its OpenAPI document, and stops cleanly on SIGTERM without losing
//! what it stored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serves_health_and_openapi_and_shuts_down_gracefully() {
    let data = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_paicha-server");
    let mut child = Command::new(bin)
        .arg("--data")
        .arg(data.path())
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("PAICHA_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap().to_string();
    let health = get(&addr, "/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"protocol\":1"));
    let api = get(&addr, "/openapi.json");
    assert!(api.contains("\"/v1/sync\""));
    assert!(get(&addr, "/health/live").starts_with("HTTP/1.1 200"));
    let ready = get(&addr, "/health/ready");
    assert!(ready.starts_with("HTTP/1.1 200") && ready.contains("ready"), "{ready}");
    // The token is checked before the path: no token, bad path: 401.
    assert!(get(&addr, "/v1/photos/not-a-sha").starts_with("HTTP/1.1 401"));
    let metrics = get(&addr, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(metrics.contains("text/plain"), "{metrics}");
    assert!(
        metrics.contains("paicha_http_requests_total{method=\"GET\",route=\"/health/live\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("paicha_quarantine_entries 0"), "{metrics}");
    assert!(metrics.contains("paicha_change_log_length 0"), "{metrics}");
    assert!(metrics.contains("# TYPE paicha_sync_seconds histogram"), "{metrics}");
    // SIGTERM: graceful shutdown, exit status 0, database intact.
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(child.wait().unwrap().success());
    let list = Command::new(bin).arg("--data").arg(data.path()).args(["--json", "device", "list"]).output().unwrap();
    assert!(list.status.success());
}
