//! The body of the `http_sync` fuzz target: the sync server's HTTP handler,
//! in-process. Every input is one `POST /v1/sync` through the server's axum
//! router (`tower::ServiceExt::oneshot`, no socket) with an enrolled device's
//! bearer token.
//!
//! Not part of the fuzz crate's lib, which must stay paicha-core and std only
//! (core/tests/fuzz_replay.rs includes it): `fuzz_targets/http_sync.rs` and
//! `sync-server/tests/fuzz_replay_http.rs` include this file with `#[path]`,
//! each next to the lib as `fuzz_bodies` (the upload fixture, reused here).
//! It uses what paicha-server has as dependencies or dev-dependencies only.
//!
//! The input: its first byte chooses how the rest is sent (see [`RAW`],
//! [`JSON`], [`REVOKED`]). A finding is a panic, an answer with a status that
//! `openapi.json` does not list for `POST /v1/sync` (any 5xx among them), or a
//! 200 whose body is not a sync response.
//!
//! Every input meets the same server: a copy of one seeded database, made
//! fresh for it, so that an input replays alike whatever ran before it.

use super::fuzz_bodies::{device_hazard, upload_fixture, upload_seeds, DEVICE_ACTOR, HAZARD_ID, INSPECTION_ID};
use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use paicha_core::demo;
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::hazard::Event;
use paicha_core::people::Actor;
use paicha_core::sync::wire::{self, DocUpload, SyncRequest, SyncResponse};
use paicha_core::time::Timestamp;
use paicha_server::app::{self, AppState};
use paicha_server::blobs::FsBlobs;
use paicha_server::storage::{SqliteStorage, Storage};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use tower::ServiceExt;

/// First byte: the rest is the request body as sent.
pub const RAW: u8 = 0;
/// First byte (bit 0): the rest is the JSON inside a sync message; it is sent
/// as `PSY`, version 1, and the deflate of the rest, so that mutations reach
/// JSON decoding and validation.
pub const JSON: u8 = 1;
/// First byte (bits 1 to 3 all set, with or without [`JSON`]): sent with the
/// token of a revoked device of the same inspector.
pub const REVOKED: u8 = 0x0e;

/// Record id of the hidden danger a seed reports anew (the server holds
/// [`HAZARD_ID`] already).
pub const NEW_HAZARD_ID: &str = "h-new";
/// Record id of a hidden danger the server holds from the inspector's other
/// device: what a sync from the start downloads (a device does not get its
/// own uploads back).
pub const OTHER_HAZARD_ID: &str = "h-r";
const DEVICE_CODE: &str = "FUZZ-ENROLL-T";
/// The inspector's other device, revoked once it uploaded [`OTHER_HAZARD_ID`].
const REVOKED_DEVICE: &str = "r";
const REVOKED_ACTOR: [u8; 16] = [8; 16];
const REVOKED_CODE: &str = "FUZZ-ENROLL-R";

/// `http_sync`: the input as one sync request to the server (see the module
/// documentation for the first byte).
pub fn run_http_sync(data: &[u8]) {
    let _ = exchange(data);
}

/// Sends `data` as [`run_http_sync`] does; returns the status and, for a 200,
/// the decoded response. Panics on a finding.
pub fn exchange(data: &[u8]) -> (StatusCode, Option<SyncResponse>) {
    let server = server();
    let (mode, rest) = data.split_first().map_or((RAW, &[][..]), |(m, r)| (*m, r));
    let body = if mode & JSON != 0 { wire_message(rest) } else { rest.to_vec() };
    let token = if mode & REVOKED == REVOKED { &server.revoked_token } else { &server.token };
    let (status, bytes) = server.sync(token, body);
    let text = || String::from_utf8_lossy(&bytes).into_owned();
    if status.is_server_error() {
        panic!("POST /v1/sync answered {status}: a server error is a finding: {}", text());
    }
    if !server.documented.contains(&status.as_u16()) {
        panic!(
            "POST /v1/sync answered {status}, a status openapi.json does not list ({:?}): {}",
            server.documented,
            text()
        );
    }
    if status != StatusCode::OK {
        return (status, None);
    }
    match wire::decode::<SyncResponse>(&bytes) {
        Ok(resp) => (status, Some(resp)),
        Err(e) => panic!("POST /v1/sync answered 200 with a body that is not a sync response: {e}"),
    }
}

/// A version-1 sync message around `json`, compressed as a client does.
pub fn wire_message(json: &[u8]) -> Vec<u8> {
    let mut out = b"PSY\x01".to_vec();
    let mut enc = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::fast());
    enc.write_all(json).expect("deflate into memory");
    enc.finish().expect("deflate into memory");
    out
}

/// The seeded server, made once.
struct Server {
    runtime: tokio::runtime::Runtime,
    /// Where each input's data directory is made.
    scratch: PathBuf,
    /// The files of the seeded data directory (name, bytes).
    seeded: Vec<(String, Vec<u8>)>,
    token: String,
    revoked_token: String,
    /// The statuses `openapi.json` lists for `POST /v1/sync`.
    documented: Vec<u16>,
    /// One exchange at a time (the replay tests run in threads).
    busy: Mutex<()>,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(seed_server)
}

/// tmpfs when there is one: the server syncs every commit to disk.
fn scratch_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() && tempfile::tempdir_in(shm).is_ok() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

fn data_dir(scratch: &Path) -> tempfile::TempDir {
    tempfile::Builder::new().prefix("paicha-http-sync-").tempdir_in(scratch).expect("a temporary data directory")
}

fn app_state(storage: Arc<dyn Storage>, dir: &Path) -> AppState {
    AppState::new(storage, Arc::new(FsBlobs::new(&dir.join("blobs"))))
}

/// The demo district as `paicha-server init --demo` seeds it; two devices of
/// the fixture's inspector, enrolled through the router; the fixture's hidden
/// danger uploaded from the fixture's device, another from the other device,
/// which is then revoked.
fn seed_server() -> Server {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let scratch = scratch_dir();
    let dir = data_dir(&scratch);
    let storage = SqliteStorage::open(dir.path()).expect("a new server database");
    for p in demo::people() {
        storage.put_person(&p).expect("a demo person");
    }
    storage.put_enterprises(&demo::enterprises()).expect("the demo enterprises");
    let f = upload_fixture();
    let now = Timestamp::now();
    storage.add_device(&f.device_id, &f.person.id, &app::hash_secret(DEVICE_CODE), now).expect("add device");
    storage.add_device(REVOKED_DEVICE, &f.person.id, &app::hash_secret(REVOKED_CODE), now).expect("add device");
    let storage = Arc::new(storage);
    let router = app::router(app_state(storage.clone(), dir.path()));
    let token = runtime.block_on(enroll(&router, DEVICE_CODE, &f.device_id, &f.actor_hex));
    let revoked_actor: String = REVOKED_ACTOR.iter().map(|b| format!("{b:02x}")).collect();
    let revoked_token = runtime.block_on(enroll(&router, REVOKED_CODE, REVOKED_DEVICE, &revoked_actor));
    let uploads = [
        (&token, HAZARD_ID, device_hazard(&DEVICE_ACTOR).save()),
        (&revoked_token, OTHER_HAZARD_ID, report_doc(OTHER_HAZARD_ID, "r1", REVOKED_DEVICE, &REVOKED_ACTOR)),
    ];
    for (token, id, bytes) in uploads {
        let upload = request(&[(id, "hazard", &bytes)]);
        let (status, body) = runtime.block_on(post_sync(router.clone(), token, wire::encode(&upload)));
        let resp: SyncResponse = wire::decode(&body).unwrap_or_else(|e| panic!("{status}: {e}"));
        assert!(resp.accepted.iter().any(|a| a.doc_id == id), "the server accepts {id}: {:?}", resp.refused);
    }
    assert!(storage.revoke(REVOKED_DEVICE, now).expect("revoke"), "device {REVOKED_DEVICE} revoked");
    drop(router);
    // Closing the database (the last connection) folds its write-ahead log in.
    drop(storage);
    let mut seeded = vec![];
    for entry in std::fs::read_dir(dir.path()).expect("the data directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().expect("file name").to_string_lossy().into_owned();
        if path.is_file() && !name.ends_with("-shm") {
            seeded.push((name, std::fs::read(&path).expect("a database file")));
        }
    }
    let openapi: serde_json::Value = serde_json::from_str(app::OPENAPI).expect("openapi.json");
    let documented = openapi["paths"]["/v1/sync"]["post"]["responses"]
        .as_object()
        .expect("openapi.json lists the responses of POST /v1/sync")
        .keys()
        .filter_map(|k| k.parse().ok())
        .collect();
    Server { runtime, scratch, seeded, token, revoked_token, documented, busy: Mutex::new(()) }
}

impl Server {
    /// One `POST /v1/sync` to a fresh copy of the seeded server.
    fn sync(&self, token: &str, body: Vec<u8>) -> (StatusCode, Bytes) {
        let _one = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = data_dir(&self.scratch);
        for (name, bytes) in &self.seeded {
            std::fs::write(dir.path().join(name), bytes).expect("a copy of the seeded database");
        }
        let storage = Arc::new(SqliteStorage::open(dir.path()).expect("the seeded server database"));
        let router = app::router(app_state(storage, dir.path()));
        self.runtime.block_on(post_sync(router, token, body))
    }
}

async fn call(router: Router, req: Request<Body>) -> (StatusCode, Bytes) {
    let resp = match router.oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("the response body");
    (status, body)
}

async fn post_sync(router: Router, token: &str, body: Vec<u8>) -> (StatusCode, Bytes) {
    let req = Request::post("/v1/sync")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, wire::CONTENT_TYPE)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .expect("a request");
    call(router, req).await
}

/// Enrolls `device` with `code` through the router; returns its token.
async fn enroll(router: &Router, code: &str, device: &str, actor: &str) -> String {
    let json = serde_json::json!({ "code": code, "device_id": device, "actor": actor });
    let req = Request::post("/v1/enroll")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json.to_string()))
        .expect("a request");
    let (status, body) = call(router.clone(), req).await;
    assert_eq!(status, StatusCode::OK, "enrolling {device}: {}", String::from_utf8_lossy(&body));
    let answer: serde_json::Value = serde_json::from_slice(&body).expect("the enrollment answer");
    answer["token"].as_str().expect("a token").to_string()
}

/// A seed input of `http_sync`, and what the server answers it.
pub struct HttpSeed {
    /// File name, after `seed-`.
    pub name: &'static str,
    /// The input (first byte and body).
    pub input: Vec<u8>,
    /// The status.
    pub status: u16,
    /// For a 200: the records accepted, sorted.
    pub accepted: Vec<&'static str>,
    /// For a 200: the records refused, sorted.
    pub refused: Vec<&'static str>,
}

fn request(uploads: &[(&str, &str, &[u8])]) -> SyncRequest {
    SyncRequest {
        cursor: 0,
        reference_version: 0,
        uploads: uploads
            .iter()
            .map(|(id, kind, bytes)| DocUpload {
                doc_id: (*id).into(),
                kind: (*kind).into(),
                changes: wire::Bytes(bytes.to_vec()),
            })
            .collect(),
        page_size: 100,
        device_time: None,
    }
}

/// A new hidden danger `id`: the fixture's report (co-inspector and
/// enterprise from the demo registry) as event `event_id` of the fixture's
/// inspector on `device` (Automerge actor `actor`), saved.
fn report_doc(id: &str, event_id: &str, device: &str, actor: &[u8]) -> Vec<u8> {
    let f = upload_fixture();
    let who = Actor { person: f.person.clone(), device_id: device.into() };
    let report = Event { id: event_id.into(), actor: who, ..f.report.clone() };
    let mut doc = RecordDoc::new(DocKind::Hazard, id, actor).expect("new hazard document");
    doc.add_event(&report).expect("report event");
    doc.save()
}

fn input(mode: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend_from_slice(body);
    out
}

/// The seed inputs: valid requests (as whole messages, and as the JSON inside
/// one), requests the rules refuse, a revoked device, and garbage.
pub fn http_seeds() -> Vec<HttpSeed> {
    let upload = |name: &str| -> Vec<u8> {
        upload_seeds().into_iter().find(|(n, ..)| *n == name).map(|(_, b, _)| b).expect("an upload seed")
    };
    let new_report = report_doc(NEW_HAZARD_ID, "n1", &upload_fixture().device_id, &DEVICE_ACTOR);
    let follow_up = upload("criteria-met-incremental");
    let seed = |name, mode, req: &SyncRequest, status, accepted: &[&'static str], refused: &[&'static str]| {
        let body = if mode & JSON != 0 { serde_json::to_vec(req).expect("json") } else { wire::encode(req) };
        HttpSeed { name, input: input(mode, &body), status, accepted: accepted.to_vec(), refused: refused.to_vec() }
    };
    let empty = request(&[]);
    let report_req = request(&[(NEW_HAZARD_ID, "hazard", &new_report)]);
    let follow_req = request(&[(HAZARD_ID, "hazard", &follow_up)]);
    let inspection = upload("inspection-completed");
    let mut out = vec![
        seed("empty", RAW, &empty, 200, &[], &[]),
        seed("empty.json", JSON, &empty, 200, &[], &[]),
        seed("report-new", RAW, &report_req, 200, &[NEW_HAZARD_ID], &[]),
        seed("report-new.json", JSON, &report_req, 200, &[NEW_HAZARD_ID], &[]),
        seed("follow-up", RAW, &follow_req, 200, &[HAZARD_ID], &[]),
        seed("follow-up.json", JSON, &follow_req, 200, &[HAZARD_ID], &[]),
        seed(
            "inspection-and-report.json",
            JSON,
            &request(&[(NEW_HAZARD_ID, "hazard", &new_report), (INSPECTION_ID, "inspection", &inspection)]),
            200,
            &[NEW_HAZARD_ID, INSPECTION_ID],
            &[],
        ),
        seed("void-refused", RAW, &request(&[(HAZARD_ID, "hazard", &upload("void-refused"))]), 200, &[], &[HAZARD_ID]),
        seed(
            "other-actor-refused.json",
            JSON,
            &request(&[(HAZARD_ID, "hazard", &upload("other-actor-refused"))]),
            200,
            &[],
            &[HAZARD_ID],
        ),
        seed(
            "same-record-twice.json",
            JSON,
            &request(&[(HAZARD_ID, "hazard", &follow_up), (HAZARD_ID, "hazard", &follow_up)]),
            200,
            &[HAZARD_ID],
            &[HAZARD_ID],
        ),
        seed("revoked", REVOKED, &follow_req, 403, &[], &[]),
        seed("revoked.json", REVOKED | JSON, &follow_req, 403, &[], &[]),
    ];
    let garbage: [(&'static str, Vec<u8>); 5] = [
        ("garbage-empty", vec![]),
        ("garbage-bytes", input(RAW, b"\x8f\x00GET / HTTP/1.1\r\n\xff\xfe{\"c\":")),
        ("garbage-version-2", input(RAW, b"PSY\x02\x03\x00")),
        ("garbage-deflate", input(RAW, b"PSY\x01\xff\xff\xff\xff")),
        ("garbage-json", input(JSON, br#"{"c":-1,"u":[{"d":"h","k":"hazard","b":"!!"}]}"#)),
    ];
    out.extend(garbage.into_iter().map(|(name, input)| HttpSeed {
        name,
        input,
        status: 400,
        accepted: vec![],
        refused: vec![],
    }));
    out
}
