//! The tablet's sync client: blocking HTTP (reqwest) around the pure protocol.
//!
//! Blocks on the network: call it off the UI thread. Safe to kill at any
//! point: each server answer is applied in one transaction together with the
//! cursor it advances, and uploads are idempotent, so the next run resumes.

use crate::error::{Error, Result};
use crate::trust::{SystemRoots, Trust};
use crate::{ServerLink, Store};
use paicha_core::people::Person;
use paicha_core::sync::wire::{self, ReferenceData, SyncRequest, SyncResponse};
use paicha_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How far a sync got, for a progress bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Documents uploaded and acknowledged or refused.
    pub docs_up: u64,
    /// Documents received.
    pub docs_down: u64,
    /// Bytes sent (request bodies).
    pub bytes_up: u64,
    /// Bytes received (response bodies).
    pub bytes_down: u64,
    /// Requests made.
    pub requests: u64,
    /// Photos uploaded.
    pub photos_up: u64,
    /// Photos downloaded and verified.
    pub photos_down: u64,
    /// Photo transfers that failed this time (up or down); each stays
    /// pending and is tried again at the next sync.
    pub photos_failed: u64,
}

/// What a finished sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    /// Totals.
    pub progress: Progress,
    /// Documents the server refused this time, with the rule (also kept in the store).
    pub refused: Vec<(String, String, String)>,
    /// Records that changed on this tablet.
    pub changed_ids: Vec<String>,
    /// The server's clock at the end (R10).
    pub server_time: Option<Timestamp>,
    /// Photo transfers that failed: (SHA-256, `up` or `down`, why). They
    /// stay pending and are retried at the next sync.
    pub photo_failures: Vec<(String, String, String)>,
    /// Template versions the server publishes with other content than this
    /// tablet's own of the same version; this tablet's is kept (R3).
    pub template_conflicts: Vec<String>,
}

/// Knobs of a sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Largest upload per request, bytes of changes.
    pub max_upload_bytes: usize,
    /// Change-log entries per download page.
    pub page_size: u32,
    /// Attempts per request on network errors, with doubling delays.
    pub attempts: u32,
    /// First retry delay.
    pub first_delay: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            max_upload_bytes: 4 * 1024 * 1024,
            page_size: 2000,
            attempts: 5,
            first_delay: Duration::from_millis(200),
            timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Serialize)]
struct EnrollRequest<'a> {
    code: &'a str,
    device_id: &'a str,
    actor: &'a str,
}

/// The server's answer to an enrollment.
#[derive(Deserialize)]
pub struct EnrollResponse {
    /// The device token.
    pub token: String,
    /// The user the device belongs to.
    pub user: Person,
    /// Reference data in the user's scope.
    pub reference: ReferenceData,
}

/// The HTTP client: the system's trust store, plus the certificate
/// authorities the store was told to trust (a district's own CA).
fn http(store: &Store, timeout: Duration) -> Result<reqwest::blocking::Client> {
    let trust = Trust { system: SystemRoots::default(), district_ca: store.trusted_ca()? };
    https_client(&trust, timeout)
}

/// The HTTP client a tablet talks to its server with, trusting `trust`'s
/// authorities (the system's as this platform finds them, and the
/// district's CA). Public so the trust of another platform (Android's CA
/// folders) can be tried against a real server on this one.
pub fn https_client(trust: &Trust, timeout: Duration) -> Result<reqwest::blocking::Client> {
    let builder =
        reqwest::blocking::Client::builder().timeout(timeout).user_agent(concat!("paicha/", env!("CARGO_PKG_VERSION")));
    trust.apply(builder)?.build().map_err(network)
}

/// A network error with its causes (a TLS failure names the certificate problem).
fn network(e: reqwest::Error) -> Error {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    Error::Network { detail }
}

fn server_error(status: reqwest::StatusCode, body: &[u8]) -> Error {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    Error::Server { status: status.as_u16(), message }
}

/// Enrolls this store's device with a server using a one-time code from the
/// district admin; binds the device's actor id, stores the token and the
/// user, and loads the reference data. Blocks on the network. An
/// unencrypted store is refused before the code is spent: it may not keep
/// a device token.
pub fn enroll(store: &Store, server_url: &str, code: &str) -> Result<Person> {
    store.check_can_keep_token()?;
    let url = format!("{}/v1/enroll", server_url.trim_end_matches('/'));
    let body = EnrollRequest { code: code.trim(), device_id: &store.device().device_id, actor: store.actor_hex() };
    let resp = http(store, Duration::from_secs(30))?
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(&body).map_err(|e| Error::Protocol(e.to_string()))?)
        .send()
        .map_err(network)?;
    let status = resp.status();
    let bytes = resp.bytes().map_err(|e| Error::Network { detail: e.to_string() })?;
    if !status.is_success() {
        return Err(server_error(status, &bytes));
    }
    let r: EnrollResponse = serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(e.to_string()))?;
    // The district's registry, with this tablet's user in it.
    let mut reference = r.reference;
    if !reference.people.iter().any(|p| p.id == r.user.id) {
        reference.people.push(r.user.clone());
    }
    // A new store holds only the bundled templates, which the server
    // publishes unchanged; one this tablet published itself before enrolling
    // under a version the server holds otherwise stays this tablet's (R3).
    store.apply_reference(&reference)?;
    store.set_server_link(
        &ServerLink { url: server_url.trim_end_matches('/').to_string(), token: r.token },
        &r.user.id,
    )?;
    Ok(r.user)
}

/// One request with retries and doubling delays on network errors and 5xx.
fn exchange(
    client: &reqwest::blocking::Client,
    link: &ServerLink,
    body: Vec<u8>,
    opts: &SyncOptions,
    cancel: &AtomicBool,
) -> Result<Vec<u8>> {
    let url = format!("{}/v1/sync", link.url);
    let mut delay = opts.first_delay;
    let mut last = Error::Network { detail: "no attempt made".into() };
    for attempt in 0..opts.attempts.max(1) {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        if attempt > 0 {
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(30));
        }
        let sent = client
            .post(&url)
            .bearer_auth(&link.token)
            .header(reqwest::header::CONTENT_TYPE, wire::CONTENT_TYPE)
            .body(body.clone())
            .send();
        match sent {
            Err(e) => last = network(e),
            Ok(resp) => {
                let status = resp.status();
                match resp.bytes() {
                    Err(e) => last = Error::Network { detail: e.to_string() },
                    Ok(bytes) if status.is_success() => return Ok(bytes.to_vec()),
                    Ok(bytes) if status.is_server_error() => last = server_error(status, &bytes),
                    Ok(bytes) => return Err(server_error(status, &bytes)),
                }
            }
        }
    }
    Err(last)
}

/// Syncs now: uploads every pending change, downloads everything new in
/// scope, page by page, reporting progress after every request. Stops early
/// with [`Error::Cancelled`] when `cancel` is set; what was stored stays.
pub fn sync(
    store: &Store,
    opts: &SyncOptions,
    progress: &dyn Fn(&Progress),
    cancel: &AtomicBool,
) -> Result<SyncReport> {
    let link = store.server_link()?.ok_or(Error::NotEnrolled)?;
    let client = http(store, opts.timeout)?;
    let mut report = SyncReport::default();
    let mut previous: Vec<String> = vec![];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let (cursor, reference_version) = store.sync_cursor()?;
        let uploads = store.pending_uploads(opts.max_upload_bytes)?;
        let req = SyncRequest {
            cursor,
            reference_version,
            uploads,
            page_size: opts.page_size,
            device_time: Some(Timestamp::now().0),
        };
        let body = wire::encode(&req);
        report.progress.bytes_up += body.len() as u64;
        let answer = exchange(&client, &link, body, opts, cancel)?;
        report.progress.bytes_down += answer.len() as u64;
        report.progress.requests += 1;
        let resp: SyncResponse = wire::decode(&answer).map_err(|e| Error::Protocol(e.to_string()))?;
        let applied = store.apply_sync_response(&req.uploads, &resp, Timestamp::now())?;
        report.progress.docs_up += (applied.acknowledged + applied.refused) as u64;
        report.progress.docs_down += resp.changes.len() as u64;
        report.refused.extend(resp.refused.iter().map(|r| (r.doc_id.clone(), r.rule.clone(), r.message.clone())));
        for id in applied.changed_ids {
            if !report.changed_ids.contains(&id) {
                report.changed_ids.push(id);
            }
        }
        report.template_conflicts.extend(applied.template_conflicts);
        report.server_time = Some(Timestamp(resp.server_time));
        progress(&report.progress);
        // Uploads the server neither acknowledged nor refused would loop forever.
        // and so would a document that stays pending after being acknowledged.
        let answered = resp.accepted.len() + resp.refused.len();
        let ids: Vec<String> = req.uploads.iter().map(|u| u.doc_id.clone()).collect();
        let stuck = !ids.is_empty() && ids == previous;
        previous = ids;
        if !resp.more
            && (req.uploads.is_empty() || answered < req.uploads.len() || stuck || !store.has_pending_uploads()?)
        {
            sync_photos(store, &client, &link, opts, &mut report, progress, cancel)?;
            return Ok(report);
        }
    }
}

/// Photos go after the records that refer to them (the server only takes
/// photos a record in scope refers to). Each upload is idempotent; each
/// download resumes from its partial file and is kept only if it hashes to
/// its name. A photo the server refuses or does not have yet stays pending
/// for the next sync; it does not fail this one.
fn sync_photos(
    store: &Store,
    client: &reqwest::blocking::Client,
    link: &ServerLink,
    opts: &SyncOptions,
    report: &mut SyncReport,
    progress: &dyn Fn(&Progress),
    cancel: &AtomicBool,
) -> Result<()> {
    for sha in store.photos_to_upload()? {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let bytes = match store.photo_bytes(&sha) {
            Ok(b) => b,
            Err(e) => {
                report.progress.photos_failed += 1;
                report.photo_failures.push((sha.clone(), "up".into(), e.to_string()));
                continue;
            }
        };
        let mut delay = opts.first_delay;
        let mut last = String::from("not attempted");
        let mut done = false;
        for attempt in 0..opts.attempts.max(1) {
            if attempt > 0 {
                std::thread::sleep(delay);
                delay *= 2;
            }
            match upload_photo(client, link, &sha, &bytes, &mut report.progress) {
                Ok(true) => {
                    store.mark_photo_uploaded(&sha)?;
                    report.progress.photos_up += 1;
                    done = true;
                    break;
                }
                // Refused (not in scope yet, bad bytes): stays pending, not retried now.
                Ok(false) => {
                    last = "the server did not take it (its record may not be synced yet)".into();
                    break;
                }
                Err(e) => last = e.to_string(),
            }
        }
        if !done {
            report.progress.photos_failed += 1;
            report.photo_failures.push((sha.clone(), "up".into(), last));
        }
        progress(&report.progress);
    }
    for (sha, _) in store.photos_wanted()? {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let offset = store.photo_download_offset(&sha)?;
        let mut req = client.get(format!("{}/v1/photos/{sha}", link.url)).bearer_auth(&link.token);
        if offset > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={offset}-"));
        }
        let mut fail = |why: String| {
            report.progress.photos_failed += 1;
            report.photo_failures.push((sha.clone(), "down".into(), why));
        };
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) => {
                fail(e.to_string());
                continue;
            }
        };
        let resumed = resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
        if !resp.status().is_success() {
            fail(format!("the server answered {}", resp.status()));
            continue;
        }
        let bytes = match resp.bytes() {
            Ok(b) => b,
            Err(e) => {
                fail(e.to_string());
                continue;
            }
        };
        store.append_photo_download(&sha, if resumed { offset } else { 0 }, &bytes)?;
        report.progress.bytes_down += bytes.len() as u64;
        if store.finish_photo_download(&sha, Timestamp::now())? {
            report.progress.photos_down += 1;
        } else {
            report.progress.photos_failed += 1;
            report.photo_failures.push((
                sha.clone(),
                "down".into(),
                "the bytes did not hash to the photo's name; discarded, downloaded again next sync".into(),
            ));
        }
        progress(&report.progress);
    }
    Ok(())
}

/// How much of a photo the server holds (`GET /v1/photos/{sha}/received`).
#[derive(Deserialize)]
struct Held {
    received: u64,
    complete: bool,
}

/// Photos larger than this go up in chunks that resume where the server stopped.
pub const PHOTO_CHUNK: usize = 1024 * 1024;

/// Uploads one photo; `Ok(true)` once the server holds it whole, `Ok(false)`
/// if the server refuses it, `Err` on a network or server failure (retry).
fn upload_photo(
    client: &reqwest::blocking::Client,
    link: &ServerLink,
    sha: &str,
    bytes: &[u8],
    p: &mut Progress,
) -> Result<bool> {
    let url = format!("{}/v1/photos/{sha}", link.url);
    let net = |e: reqwest::Error| Error::Network { detail: e.to_string() };
    if bytes.len() <= PHOTO_CHUNK {
        let r = client
            .put(&url)
            .bearer_auth(&link.token)
            .header(reqwest::header::CONTENT_TYPE, "image/jpeg")
            .body(bytes.to_vec())
            .send()
            .map_err(net)?;
        p.bytes_up += bytes.len() as u64;
        return match r.status() {
            s if s.is_success() => Ok(true),
            s if s.is_server_error() => Err(Error::Server { status: s.as_u16(), message: "photo upload".into() }),
            _ => Ok(false),
        };
    }
    // Resume from what the server already holds.
    let resp = client.get(format!("{url}/received")).bearer_auth(&link.token).send().map_err(net)?;
    let status = resp.status();
    let body = resp.bytes().map_err(net)?;
    if !status.is_success() {
        return Err(server_error(status, &body));
    }
    let held: Held = serde_json::from_slice(&body)
        .map_err(|e| Error::Protocol(format!("the server's answer on how much of photo {sha} it holds: {e}")))?;
    if held.complete {
        return Ok(true);
    }
    let mut offset = usize::try_from(held.received).ok().filter(|&n| n <= bytes.len()).ok_or_else(|| {
        Error::Protocol(format!("the server holds {} bytes of a {}-byte photo", held.received, bytes.len()))
    })?;
    while offset < bytes.len() {
        let end = (offset + PHOTO_CHUNK).min(bytes.len());
        let r = client
            .put(&url)
            .bearer_auth(&link.token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header("X-Paicha-Offset", offset.to_string())
            .header("X-Paicha-Total", bytes.len().to_string())
            .body(bytes[offset..end].to_vec())
            .send()
            .map_err(net)?;
        p.bytes_up += (end - offset) as u64;
        match r.status().as_u16() {
            204 => return Ok(true),
            202 => offset = end,
            409 => return Err(Error::Server { status: 409, message: "resume offset moved".into() }),
            s if s >= 500 => return Err(Error::Server { status: s, message: "photo upload".into() }),
            _ => return Ok(false),
        }
    }
    Ok(false)
}
