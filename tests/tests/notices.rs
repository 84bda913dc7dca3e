//! R10's notices end to end: tablets report hidden dangers whose deadline is
//! near or past on the server's clock; `paicha-server notices run` delivers
//! each step once to a real SMTP server on loopback (PyPI's aiosmtpd) and a
//! real HTTP receiver that checks the webhook's HMAC-SHA256 signature; a
//! delivery to a receiver that is down is kept as failed and retried.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::photo::PhotoRole;
use paicha_core::time::Timestamp;
use paicha_scenarios::{Server, Tablet};
use paicha_store::NewHazard;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "共享密钥-s3cret";
const DAY: i64 = 86_400_000;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// aiosmtpd's SMTP server writing every message into a maildir; stopped on drop.
struct Smtp {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl Smtp {
    fn start() -> Smtp {
        let check = Command::new("python3").args(["-c", "import aiosmtpd"]).output();
        assert!(
            matches!(&check, Ok(o) if o.status.success()),
            "PyPI's aiosmtpd is missing: install it with python3 -m pip install aiosmtpd (scripts/install-tools.sh does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (install it with python3 -m pip install aiosmtpd)");
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Smtp { port, dir, child };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not listen on 127.0.0.1:{port}");
    }

    /// The messages received: (subject, body), decoded by Python's email package.
    fn messages(&self) -> Vec<(String, String)> {
        let script = r#"
import email, email.policy, json, pathlib, sys
out = []
for p in sorted(pathlib.Path(sys.argv[1]).glob('new/*')):
    m = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
    out.append([str(m['subject']), m.get_content()])
print(json.dumps(out))
"#;
        let out = Command::new("python3").args(["-c", script]).arg(self.dir.path().join("maildir")).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    // RFC 2104, written out here so the test does not share the server's code.
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).chain(message.iter().copied()).collect();
    let inner = Sha256::digest(&inner);
    let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).chain(inner.iter().copied()).collect();
    Sha256::digest(&outer).iter().map(|b| format!("{b:02x}")).collect()
}

/// A webhook receiver on a fixed loopback port: answers 200 to correctly
/// signed JSON and keeps it, 401 otherwise; can be stopped (port closed) and
/// started again on the same port.
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<serde_json::Value>>>,
    bad_signatures: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start(port: u16, received: Arc<Mutex<Vec<serde_json::Value>>>) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let bad_signatures = Arc::new(Mutex::new(0));
        let (r, s, bad) = (received.clone(), stop.clone(), bad_signatures.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut length = 0usize;
                let mut signature = String::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                assert!(line.starts_with("POST /hook "), "{line}");
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    let (name, value) = l.split_once(':').unwrap();
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap(),
                        "x-paicha-signature" => signature = value.trim().to_string(),
                        _ => {}
                    }
                }
                let mut body = vec![0u8; length];
                reader.read_exact(&mut body).unwrap();
                let ok = signature == format!("sha256={}", hmac_sha256_hex(SECRET.as_bytes(), &body));
                if ok {
                    r.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                } else {
                    *bad.lock().unwrap() += 1;
                }
                let status = if ok { "200 OK" } else { "401 Unauthorized" };
                let _ = write!(conn, "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        Receiver { port, received, bad_signatures, stop, thread: Some(thread) }
    }

    fn stop(mut self) -> Arc<Mutex<Vec<serde_json::Value>>> {
        self.halt();
        self.received.clone()
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Reports a hidden danger on the tablet `days_ago` days before the real clock.
fn report(tab: &Tablet, enterprise: &str, days_ago: i64, what: &str) -> String {
    let photo = tab.store.import_photo(&tab.jpeg(&what.replace('/', "_")), PhotoRole::Before, None, None).unwrap();
    let at = Timestamp(Timestamp::now().0 - days_ago * DAY);
    tab.store
        .report_hazard(
            &tab.user,
            NewHazard {
                enterprise: enterprise.to_string(),
                description: Some(what.to_string()),
                before_photos: vec![photo],
                co_inspectors: vec!["insp-li".to_string()],
                ..NewHazard::default()
            },
            at,
        )
        .unwrap()
        .id
}

fn keys(v: &[serde_json::Value]) -> Vec<String> {
    let mut k: Vec<String> = v.iter().map(|n| n["key"].as_str().unwrap().to_string()).collect();
    k.sort();
    k
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn notices_reach_email_and_a_signed_webhook_once_and_failures_are_retried() {
    let smtp = Smtp::start();
    let hook_port = free_port();
    let receiver = Receiver::start(hook_port, Arc::new(Mutex::new(vec![])));
    // The server's own background run would make the notices first without
    // outlets; it waits an hour here, the test runs them as an operator does.
    let server = Server::start_with(&[("PAICHA_SERVER_NOTICES_EVERY", "3600")]);
    let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port);
    let hook_url = format!("http://127.0.0.1:{hook_port}/hook");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "notices",
            "run",
            "--smtp",
            &smtp_url,
            "--smtp-from",
            "paicha@example.cn",
            "--notify-email",
            "duban@example.cn",
            "--webhook-url",
            &hook_url,
            "--webhook-secret",
            SECRET,
        ];
        args.extend_from_slice(extra);
        server.admin(&args)
    };

    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    // Ordered 40 days ago: 10 days overdue, the township and the district.
    let late = report(&wang, &demo::credit_code(1), 40, "配电箱<b>无门</b>");
    // Ordered 25 days ago: 5 days left, the 7-day reminder.
    let near = report(&wang, &demo::credit_code(2), 25, "消防通道堵塞");
    // Ordered today: nothing yet.
    report(&wang, &demo::credit_code(3), 0, "灭火器过期");
    wang.sync();

    let r = run(&[]);
    assert_eq!((r["made"].as_u64(), r["delivered"].as_u64(), r["failed"].as_u64()), (Some(3), Some(6), Some(0)), "{r}");
    let expected = sorted(vec![format!("{late}/township"), format!("{late}/district"), format!("{near}/reminder_7")]);
    // The webhook got each notice once, correctly signed, with what it is about.
    let got = receiver.received.lock().unwrap().clone();
    assert_eq!(keys(&got), expected);
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);
    let district = got.iter().find(|n| n["kind"] == "district").unwrap();
    assert_eq!(district["hazard_id"], late.as_str());
    assert_eq!(district["description"], "配电箱<b>无门</b>");
    assert_eq!(district["enterprise"], demo::credit_code(1).as_str());
    // And the SMTP server got one email per notice.
    let mails = smtp.messages();
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert!(
        mails.iter().any(|(s, b)| s.contains("区级督办") && b.contains(&late) && b.contains("配电箱<b>无门</b>")),
        "{mails:?}"
    );
    assert!(mails.iter().any(|(s, b)| s.contains("7天内到期") && b.contains(&near)), "{mails:?}");

    // Again: nothing is sent twice.
    let r = run(&[]);
    assert_eq!((r["made"].as_u64(), r["delivered"].as_u64(), r["failed"].as_u64()), (Some(0), Some(0), Some(0)), "{r}");
    assert_eq!(receiver.received.lock().unwrap().len(), 3);
    assert_eq!(smtp.messages().len(), 3);

    // The receiver is down: the email goes, the webhook delivery is kept as failed.
    let received = receiver.stop();
    let later = report(&wang, &demo::credit_code(1), 45, "安全出口上锁");
    wang.sync();
    let r = run(&[]);
    assert_eq!((r["made"].as_u64(), r["delivered"].as_u64(), r["failed"].as_u64()), (Some(2), Some(2), Some(2)), "{r}");
    assert_eq!(smtp.messages().len(), 5);
    let list = server.admin(&["notices", "list"]);
    let failed: Vec<&serde_json::Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["hazard_id"] == later.as_str())
        .flat_map(|n| n["deliveries"].as_array().unwrap())
        .filter(|d| d["outlet"] == "webhook")
        .collect();
    assert_eq!(failed.len(), 2, "{list}");
    for d in &failed {
        assert_eq!(d["attempts"], 1, "{d}");
        assert!(d["delivered_at"].is_null(), "{d}");
        assert!(d["last_error"].as_str().unwrap().contains(&hook_url), "{d}");
    }
    // Not before its backoff...
    let r = run(&[]);
    assert_eq!((r["delivered"].as_u64(), r["failed"].as_u64()), (Some(0), Some(0)), "{r}");
    // ...or when the operator asks, once the receiver is back.
    let receiver = Receiver::start(hook_port, received);
    let r = run(&["--retry-now"]);
    assert_eq!((r["made"].as_u64(), r["delivered"].as_u64(), r["failed"].as_u64()), (Some(0), Some(2), Some(0)), "{r}");
    let got = receiver.received.lock().unwrap().clone();
    assert_eq!(got.len(), 5);
    assert_eq!(keys(&got).iter().filter(|k| k.starts_with(&later)).count(), 2);
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);
    let list = server.admin(&["notices", "list"]);
    for n in list.as_array().unwrap() {
        for d in n["deliveries"].as_array().unwrap() {
            assert!(!d["delivered_at"].is_null(), "every delivery made in the end: {n}");
        }
    }
    assert_eq!(smtp.messages().len(), 5, "emails were not sent again");
}
