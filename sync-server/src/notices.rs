//! R10's reminders and escalation notices, made on the server's clock from
//! the stored summaries and delivered to the outlets the operator configured
//! (email over SMTP, a signed JSON webhook).
//!
//! The ladder itself is `paicha_core::hazard::due_notices` (the same policy
//! the lists use); here a step becomes a [`Notice`] stored once under its key
//! (hidden danger id and step), with one delivery per outlet. A failed
//! delivery stays pending with its attempts and last error and is tried again
//! with backoff on later runs: never silently dropped.

use crate::storage::{Notice, NoticeDelivery, Result, Storage, SummaryQuery};
use hmac::{Hmac, Mac};
use paicha_core::hazard::{NoticeKind, Status};
use paicha_core::kinds::DocKind;
use paicha_core::summary::Summary;
use paicha_core::time::Timestamp;
use sha2::Sha256;
use std::time::Duration;

/// Outlet name of email deliveries.
pub const EMAIL: &str = "email";
/// Outlet name of webhook deliveries.
pub const WEBHOOK: &str = "webhook";
/// The webhook's signature header: `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Paicha-Signature";

/// Where notices go, as the operator configured them (none: notices are
/// still made and shown in the console, with no delivery).
#[derive(Debug, Clone, Default)]
pub struct Outlets {
    /// Email over SMTP.
    pub email: Option<EmailOutlet>,
    /// A JSON webhook signed with a shared secret.
    pub webhook: Option<WebhookOutlet>,
}

impl Outlets {
    /// The names of the configured outlets: one delivery each per notice.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = vec![];
        if self.email.is_some() {
            names.push(EMAIL);
        }
        if self.webhook.is_some() {
            names.push(WEBHOOK);
        }
        names
    }
}

/// Email over SMTP to fixed addresses.
#[derive(Debug, Clone)]
pub struct EmailOutlet {
    /// SMTP server host.
    pub host: String,
    /// SMTP server port.
    pub port: u16,
    /// The sender address.
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
}

impl EmailOutlet {
    /// Reads `smtp://host:port` (port 25 when left out) with the sender and
    /// recipients, checking the addresses now rather than at the first notice.
    pub fn new(url: &str, from: &str, to: &[String]) -> std::result::Result<EmailOutlet, String> {
        let rest = url.strip_prefix("smtp://").ok_or_else(|| {
            format!("--smtp takes smtp://host:port, not '{url}' (no TLS: a relay on loopback or a trusted network)")
        })?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => {
                (h, p.parse::<u16>().map_err(|_| format!("--smtp '{url}': the port '{p}' is not a number"))?)
            }
            None => (rest, 25),
        };
        if host.is_empty() {
            return Err(format!("--smtp '{url}' names no host"));
        }
        if to.is_empty() {
            return Err("--smtp needs at least one --notify-email address".into());
        }
        for a in to.iter().map(String::as_str).chain([from]) {
            a.parse::<lettre::Address>().map_err(|e| format!("'{a}' is not an email address: {e}"))?;
        }
        Ok(EmailOutlet { host: host.to_string(), port, from: from.to_string(), to: to.to_vec() })
    }
}

/// A JSON POST signed with HMAC-SHA256 of the body under a shared secret.
#[derive(Debug, Clone)]
pub struct WebhookOutlet {
    /// The receiver's URL.
    pub url: String,
    /// The shared secret.
    pub secret: String,
}

impl WebhookOutlet {
    /// Checks the URL (http or https) and that a secret is given: an
    /// unsigned webhook could be forged by anyone who finds the receiver.
    pub fn new(url: &str, secret: &str) -> std::result::Result<WebhookOutlet, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("--webhook-url takes an http:// or https:// URL, not '{url}'"));
        }
        if secret.is_empty() {
            return Err("--webhook-url needs --webhook-secret (the receiver checks the signature with it)".into());
        }
        Ok(WebhookOutlet { url: url.to_string(), secret: secret.to_string() })
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// New notices made.
    pub made: usize,
    /// Deliveries made.
    pub delivered: usize,
    /// Deliveries that failed (kept, retried later).
    pub failed: usize,
}

/// The signature header's value for `body`: `sha256=<hex>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length: new_from_slice cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Stores the notices due at `now` that are not stored yet, each with a
/// pending delivery per configured outlet; answers the new ones.
pub fn make_due(storage: &dyn Storage, outlets: &Outlets, now: Timestamp) -> Result<Vec<Notice>> {
    let policy = storage.policy()?;
    let mut q = SummaryQuery::all(DocKind::Hazard);
    q.statuses = Status::OPEN;
    let mut made = vec![];
    for s in storage.summaries(&q)? {
        let Summary::Hazard(h) = s else { continue };
        for kind in h.due_notices(now, &policy) {
            let notice = Notice {
                key: format!("{}/{}", h.id, kind.key()),
                hazard_id: h.id.clone(),
                kind: kind.key(),
                township: h.township.clone(),
                summary: h.clone(),
                created_at: now,
                deliveries: outlets
                    .names()
                    .into_iter()
                    .map(|o| NoticeDelivery {
                        outlet: o.to_string(),
                        attempts: 0,
                        last_error: None,
                        last_attempt_at: None,
                        next_attempt_at: now,
                        delivered_at: None,
                    })
                    .collect(),
            };
            if storage.insert_notice(&notice)? {
                made.push(notice);
            }
        }
    }
    Ok(made)
}

/// How long after its `attempts`-th failure a delivery is tried again:
/// 1 minute, doubling, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 6)).unwrap_or(6);
    Duration::from_secs((60u64 << exp).min(3600))
}

/// Delivers the pending deliveries due at `now` (all pending ones with
/// `retry_now`, after an operator fixed an outlet), recording each attempt.
pub fn deliver_due(storage: &dyn Storage, outlets: &Outlets, now: Timestamp, retry_now: bool) -> Result<RunReport> {
    let due_at = if retry_now { Timestamp(i64::MAX / 2) } else { now };
    let lease = Timestamp(now.0 + 5 * 60 * 1000);
    let mut report = RunReport::default();
    for notice in storage.due_notice_deliveries(due_at, 200)? {
        for d in notice.deliveries.iter().filter(|d| d.delivered_at.is_none() && d.next_attempt_at <= due_at) {
            if !storage.claim_notice_delivery(&notice.key, &d.outlet, due_at, lease)? {
                continue;
            }
            let outcome = send(outlets, &notice, &d.outlet);
            let retry_at = Timestamp(now.0 + i64::try_from(backoff(d.attempts + 1).as_millis()).unwrap_or(3_600_000));
            match &outcome {
                Ok(()) => report.delivered += 1,
                Err(e) => {
                    tracing::warn!(notice = %notice.key, outlet = %d.outlet, error = %e, "notice delivery failed; kept for retry");
                    report.failed += 1;
                }
            }
            storage.finish_notice_delivery(&notice.key, &d.outlet, now, outcome, retry_at)?;
        }
    }
    Ok(report)
}

/// One run: make the notices due at `now`, then deliver what is due.
pub fn run(storage: &dyn Storage, outlets: &Outlets, now: Timestamp, retry_now: bool) -> Result<RunReport> {
    let made = make_due(storage, outlets, now)?.len();
    let report = deliver_due(storage, outlets, now, retry_now)?;
    Ok(RunReport { made, ..report })
}

fn send(outlets: &Outlets, notice: &Notice, outlet: &str) -> std::result::Result<(), String> {
    match outlet {
        EMAIL => match &outlets.email {
            Some(e) => send_email(e, notice),
            None => Err("the email outlet is not configured any more (--smtp)".into()),
        },
        WEBHOOK => match &outlets.webhook {
            Some(w) => send_webhook(w, notice),
            None => Err("the webhook outlet is not configured any more (--webhook-url)".into()),
        },
        other => Err(format!("unknown outlet '{other}'")),
    }
}

/// What a notice says, in Chinese, for a person.
pub fn title(notice: &Notice) -> String {
    let what = match NoticeKind::from_key(&notice.kind) {
        Some(NoticeKind::Reminder { days_before }) => format!("整改期限提醒（{days_before}天内到期）"),
        Some(NoticeKind::Township) => "隐患逾期：镇街督办".to_string(),
        Some(NoticeKind::District) => "隐患逾期：区级督办".to_string(),
        None => notice.kind.clone(),
    };
    format!("{what} {}", notice.summary.enterprise_name)
}

/// The webhook's JSON body.
pub fn payload(notice: &Notice) -> serde_json::Value {
    let h = &notice.summary;
    serde_json::json!({
        "key": notice.key,
        "kind": notice.kind,
        "hazard_id": notice.hazard_id,
        "township": notice.township,
        "enterprise": h.enterprise,
        "enterprise_name": h.enterprise_name,
        "level": h.level.as_str(),
        "status": h.status.as_str(),
        "deadline": h.deadline.to_string(),
        "description": h.description,
        "created_at": notice.created_at.0,
        "title": title(notice),
    })
}

fn send_email(e: &EmailOutlet, notice: &Notice) -> std::result::Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::extension::ClientId;
    use lettre::{Message, SmtpTransport, Transport};
    let h = &notice.summary;
    let body = format!(
        "{}\n\n隐患编号：{}\n企业：{}（{}）\n镇街：{}\n等级：{}\n状态：{}\n整改期限：{}\n描述：{}\n通知编号：{}\n",
        title(notice),
        notice.hazard_id,
        h.enterprise_name,
        h.enterprise,
        notice.township,
        h.level.as_str(),
        h.status.as_str(),
        h.deadline,
        h.description,
        notice.key,
    );
    let mut b = Message::builder()
        .from(e.from.parse().map_err(|err| format!("sender '{}': {err}", e.from))?)
        .subject(title(notice))
        .header(ContentType::TEXT_PLAIN);
    for to in &e.to {
        b = b.to(to.parse().map_err(|err| format!("recipient '{to}': {err}"))?);
    }
    let message = b.body(body).map_err(|err| format!("building the email: {err}"))?;
    // Plain SMTP: the relay is on loopback or the district's trusted network
    // (an intranet often has no certificate authority the server could check).
    let transport = SmtpTransport::builder_dangerous(&e.host)
        .port(e.port)
        .hello_name(ClientId::Domain("paicha-server".into()))
        .timeout(Some(Duration::from_secs(20)))
        .build();
    transport.send(&message).map(|_| ()).map_err(|err| format!("SMTP {}:{}: {err}", e.host, e.port))
}

fn send_webhook(w: &WebhookOutlet, notice: &Notice) -> std::result::Result<(), String> {
    let body = serde_json::to_vec(&payload(notice)).map_err(|e| format!("encoding the notice: {e}"))?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| format!("webhook client: {e}"))?;
    let response = client
        .post(&w.url)
        .header("Content-Type", "application/json")
        .header(SIGNATURE_HEADER, signature(&w.secret, &body))
        .header("X-Paicha-Notice", notice.key.as_str())
        .body(body)
        .send()
        .map_err(|e| format!("webhook {}: {e}", w.url))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("webhook {} answered {}", w.url, response.status()))
    }
}

/// Runs [`run`] every `every` on the blocking pool, for as long as the
/// server serves; a storage error is logged and the next run tries again.
pub async fn background(storage: std::sync::Arc<dyn Storage>, outlets: Outlets, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (s, o) = (storage.clone(), outlets.clone());
        match tokio::task::spawn_blocking(move || run(s.as_ref(), &o, Timestamp::now(), false)).await {
            Ok(Ok(r)) if r != RunReport::default() => {
                tracing::info!(made = r.made, delivered = r.delivered, failed = r.failed, "notices")
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "notices: storage"),
            Err(e) => tracing::error!(error = %e, "notices: the run stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let secs: Vec<u64> = (1..=8).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn outlets_are_checked_when_configured() {
        let to = vec!["duban@example.cn".to_string()];
        let e = EmailOutlet::new("smtp://127.0.0.1:2525", "paicha@example.cn", &to).unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 2525));
        assert_eq!(EmailOutlet::new("smtp://relay", "paicha@example.cn", &to).unwrap().port, 25);
        assert!(EmailOutlet::new("smtps://relay", "paicha@example.cn", &to).is_err());
        assert!(EmailOutlet::new("smtp://relay:x", "paicha@example.cn", &to).is_err());
        assert!(EmailOutlet::new("smtp://relay", "paicha@example.cn", &[]).is_err());
        assert!(EmailOutlet::new("smtp://relay", "not an address", &to).is_err());
        assert!(WebhookOutlet::new("http://127.0.0.1:9/hook", "s3cret").is_ok());
        assert!(WebhookOutlet::new("ftp://x", "s3cret").is_err());
        assert!(WebhookOutlet::new("http://x", "").is_err());
        assert_eq!(Outlets::default().names(), Vec::<&str>::new());
    }
}
