//! The HTTP edge: routes, authentication, and moving bytes to and from the
//! pure protocol. Every route is listed in [`ROUTES`] and in `openapi.json`;
//! a test keeps the two equal.

use crate::blobs::Blobs;
use crate::error::ServerError;
use crate::storage::{Device, Enrollment, NewQuarantine, Storage};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use paicha_core::people::Person;
use paicha_core::sync::wire::{self, SyncRequest};
use paicha_core::time::Timestamp;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// (method, path) of every route, as in `openapi.json`.
#[cfg_attr(not(test), allow(dead_code))]
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/v1/enroll"),
    ("post", "/v1/sync"),
    ("put", "/v1/photos/{sha256}"),
    ("get", "/v1/photos/{sha256}"),
    ("get", "/v1/photos/{sha256}/received"),
    ("get", "/v1/quarantine"),
];

/// The OpenAPI description of this server, kept in the repository.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub storage: Arc<dyn Storage>,
    /// Photo bytes.
    pub blobs: Arc<dyn Blobs>,
    /// Memory for sync requests read, decoded and served at once, in
    /// permits ([`SYNC_PERMITS`]): a small request takes one, a large one (or
    /// one of unknown size) [`LARGE_SYNC_WEIGHT`]. Bounds the memory that
    /// bodies can take, whatever they decompress to, while many small syncs
    /// (the usual poll or upload) run at once.
    pub sync_slots: Arc<tokio::sync::Semaphore>,
    /// What `/metrics` reports.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// How the web console is reached (its cookies' `Secure` flag).
    pub console: crate::console::ConsoleConfig,
}

impl AppState {
    /// The state for `storage` and `blobs`, with the default limits.
    pub fn new(storage: Arc<dyn Storage>, blobs: Arc<dyn Blobs>) -> AppState {
        AppState {
            storage,
            blobs,
            sync_slots: Arc::new(tokio::sync::Semaphore::new(SYNC_PERMITS as usize)),
            metrics: Arc::new(crate::metrics::Metrics::default()),
            console: crate::console::ConsoleConfig::default(),
        }
    }
}

/// Permits of [`AppState::sync_slots`]: 32 small requests, or 2 large ones,
/// at once. Worst case about 2 × (32 MiB body + 48 MiB decoded), as when at
/// most two requests of any size were served at once, or 32 small ones.
pub const SYNC_PERMITS: u32 = 32;
/// Permits a large sync request (or one without a Content-Length) takes.
pub const LARGE_SYNC_WEIGHT: u32 = 16;
/// Largest body of a small sync request (one permit): decoded at most to
/// 20 × 64 KiB + 64 KiB, about 1.3 MiB; 32 of them about 45 MiB. A poll is
/// about 70 bytes, an upload of a few changes a few kilobytes.
pub const SMALL_SYNC_BODY_BYTES: usize = 64 * 1024;
/// Largest compressed sync request body.
pub const MAX_SYNC_BODY_BYTES: usize = 32 * 1024 * 1024;
/// How long a client may take to send its body once its turn came.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// SHA-256 hex of a secret: tokens and codes are stored hashed.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The router with every route: the tablet API and the web console
/// (`console::CONSOLE_ROUTES`).
pub fn router(state: AppState) -> Router {
    let console = crate::console::router(crate::console::ConsoleState::new(
        state.storage.clone(),
        state.blobs.clone(),
        state.console.clone(),
    ));
    Router::new()
        .route("/health", get(health))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/enroll", post(enroll))
        .route("/v1/sync", post(sync))
        .route("/v1/photos/{sha256}", put(put_photo).get(get_photo))
        .route("/v1/photos/{sha256}/received", get(photo_received))
        .route("/v1/quarantine", get(quarantine))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), count_request))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
        .merge(console)
}

/// Counts every answered request by route and status, with its latency.
async fn count_request(
    State(st): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    st.metrics.request(&method, &route, resp.status().as_u16(), started.elapsed());
    resp
}

/// Liveness: the process answers.
async fn live() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "alive" }))
}

/// Readiness: storage answers (503 when it does not, with why).
async fn ready(State(st): State<AppState>) -> Response {
    match blocking(move || st.storage.reference_version().map_err(ServerError::from)).await {
        Ok(_) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "not ready", "error": e.to_string() })),
        )
            .into_response(),
    }
}

/// Prometheus text format; the storage gauges are read at each scrape.
async fn metrics(State(st): State<AppState>) -> Result<Response, ServerError> {
    let metrics = st.metrics.clone();
    let text = blocking(move || {
        let quarantine = st.storage.quarantined()?.len() as u64;
        let everyone = Person {
            id: "metrics".into(),
            name: "metrics".into(),
            role: paicha_core::people::Role::DistrictAdmin,
            townships: vec![],
            enterprise: None,
            certificate_no: None,
        };
        let (_, change_log) = st.storage.changes_since(&everyone, "", u64::MAX / 2, 0)?;
        let mut photos_pending = 0u64;
        for (_, sha) in st.storage.photo_refs()? {
            if st.blobs.size(&sha)?.is_none() {
                photos_pending += 1;
            }
        }
        Ok(metrics.render(&crate::metrics::Gauges { quarantine, change_log, photos_pending }))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

async fn health() -> Json<serde_json::Value> {
    Json(
        serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION"), "protocol": wire::PROTOCOL_VERSION }),
    )
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServerError> + Send + 'static,
) -> Result<T, ServerError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ServerError::Internal(e.to_string()))?
}

#[derive(Deserialize)]
struct EnrollBody {
    code: String,
    device_id: String,
    actor: String,
}

async fn enroll(State(st): State<AppState>, body: Bytes) -> Result<Json<serde_json::Value>, ServerError> {
    let b: EnrollBody =
        serde_json::from_slice(&body).map_err(|e| ServerError::BadRequest(format!("enrollment body: {e}")))?;
    if b.actor.len() != 32 || !b.actor.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ServerError::BadRequest("actor must be 16 bytes of hex".into()));
    }
    blocking(move || {
        let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let now = Timestamp::now();
        let enrollment = st.storage.enroll(
            &hash_secret(&b.code),
            &b.device_id,
            &b.actor.to_lowercase(),
            &hash_secret(&token),
            now,
        )?;
        let device = match enrollment {
            Enrollment::Enrolled(d) => d,
            Enrollment::UnknownCode => {
                return Err(ServerError::Unauthorized("the enrollment code is unknown or was already used".into()))
            }
            Enrollment::OtherDevice(other) => {
                return Err(ServerError::Unauthorized(format!(
                    "this enrollment code is for device {other}, not {}",
                    b.device_id
                )))
            }
            Enrollment::ActorTaken => {
                return Err(ServerError::Conflict("this actor id is already bound to another device".into()))
            }
        };
        let user =
            st.storage.person(&device.user_id)?.ok_or_else(|| ServerError::Internal("device user missing".into()))?;
        let reference = st.storage.reference_for(&user)?;
        tracing::info!(device = %device.device_id, user = %user.id, "device enrolled");
        Ok(Json(serde_json::json!({ "token": token, "user": user, "reference": reference })))
    })
    .await
}

fn bearer(headers: &HeaderMap) -> Result<String, ServerError> {
    Ok(headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ServerError::Unauthorized("missing bearer token".into()))?
        .to_string())
}

/// The device holding `token` and its user; refuses unknown and revoked devices.
fn authenticate(storage: &dyn Storage, token: &str) -> Result<(Device, Person), ServerError> {
    let device = storage
        .device_by_token(&hash_secret(token))?
        .ok_or_else(|| ServerError::Unauthorized("unknown device token".into()))?;
    let person = storage.person(&device.user_id)?.ok_or_else(|| ServerError::Internal("device user missing".into()))?;
    if device.revoked_at.is_some() {
        return Err(ServerError::Forbidden(format!("device {} is revoked", device.device_id)));
    }
    Ok((device, person))
}

fn check_sha(sha256: &str) -> Result<(), ServerError> {
    if sha256.len() == 64 && sha256.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
        Ok(())
    } else {
        Err(ServerError::BadRequest(format!("'{sha256}' is not a lower-case SHA-256")))
    }
}

/// Upload a photo: the bytes must hash to the name, be a JPEG within the
/// policy's size, and be referred to by a record in the device user's scope.
/// Whole, or in chunks: `X-Paicha-Offset` and `X-Paicha-Total` headers append
/// to a partial upload that is verified and stored once complete (204); until
/// then the answer is 202 with the bytes held. An offset other than the bytes
/// held is 409: ask `/received` and resume from there.
async fn put_photo(
    State(st): State<AppState>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ServerError> {
    let token = bearer(&headers)?;
    let header_u64 = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    // A total without an offset starts a chunked upload; an offset without a
    // total is its last chunk.
    let chunk = match (header_u64("x-paicha-offset"), header_u64("x-paicha-total")) {
        (Some(o), Some(t)) => Some((o, t)),
        (None, Some(t)) => Some((0, t)),
        (Some(o), None) => Some((o, o.saturating_add(body.len() as u64))),
        (None, None) => None,
    };
    blocking(move || {
        let (device, person) = authenticate(st.storage.as_ref(), &token)?;
        check_sha(&sha256)?;
        let max = st.storage.policy()?.at(Timestamp::now().cst_date()).max_photo_bytes;
        if !st.storage.photo_in_scope(&sha256, &person)? {
            return Err(ServerError::NotFound(format!(
                "no record in {}'s scope refers to photo {sha256}; sync the record first",
                person.id
            )));
        }
        let whole: Vec<u8> = match chunk {
            None => body.to_vec(),
            Some((offset, total)) => {
                if total > max {
                    return Err(ServerError::BadRequest(format!(
                        "the photo is {total} bytes, more than the {max} allowed"
                    )));
                }
                if st.blobs.size(&sha256)?.is_some() {
                    return Ok(StatusCode::NO_CONTENT.into_response());
                }
                let held = st.blobs.append_partial(&sha256, offset, &body)?;
                if held < total {
                    return Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "received": held }))).into_response());
                }
                let bytes = st.blobs.read_partial(&sha256)?;
                st.blobs.drop_partial(&sha256)?;
                bytes
            }
        };
        let actual: String = Sha256::digest(&whole).iter().map(|b| format!("{b:02x}")).collect();
        if actual != sha256 {
            return Err(ServerError::BadRequest(format!("the photo's bytes hash to {actual}, not {sha256}")));
        }
        if !whole.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Err(ServerError::BadRequest("a photo must be a JPEG".into()));
        }
        if whole.len() as u64 > max {
            return Err(ServerError::BadRequest(format!(
                "the photo is {} bytes, more than the {max} allowed",
                whole.len()
            )));
        }
        st.blobs.put(&sha256, &whole)?;
        tracing::debug!(device = %device.device_id, %sha256, bytes = whole.len(), "photo stored");
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// How much of a photo the server holds: `{"received": N, "complete": bool}`.
async fn photo_received(
    State(st): State<AppState>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ServerError> {
    let token = bearer(&headers)?;
    blocking(move || {
        authenticate(st.storage.as_ref(), &token)?;
        check_sha(&sha256)?;
        Ok(Json(match st.blobs.size(&sha256)? {
            Some(n) => serde_json::json!({ "received": n, "complete": true }),
            None => serde_json::json!({ "received": st.blobs.partial_len(&sha256)?, "complete": false }),
        }))
    })
    .await
}

/// Download a photo in scope; `Range: bytes=N-` resumes an interrupted download.
async fn get_photo(
    State(st): State<AppState>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let token = bearer(&headers)?;
    let offset: u64 = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    blocking(move || {
        let (_, person) = authenticate(st.storage.as_ref(), &token)?;
        check_sha(&sha256)?;
        if !st.storage.photo_in_scope(&sha256, &person)? {
            return Err(ServerError::NotFound(format!("photo {sha256} is not in {}'s scope", person.id)));
        }
        let Some(bytes) = st.blobs.get(&sha256, offset)? else {
            return Err(ServerError::NotFound(format!("photo {sha256} has not arrived on the server yet")));
        };
        let status = if offset > 0 { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
        Ok((status, [(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
    })
    .await
}

/// Refused uploads, for a district admin's device: never deleted, listed for review.
async fn quarantine(State(st): State<AppState>, headers: HeaderMap) -> Result<Json<serde_json::Value>, ServerError> {
    let token = bearer(&headers)?;
    blocking(move || {
        let (_, person) = authenticate(st.storage.as_ref(), &token)?;
        if person.role != paicha_core::people::Role::DistrictAdmin {
            return Err(ServerError::Forbidden("the quarantine is for the district admin".into()));
        }
        Ok(Json(serde_json::to_value(st.storage.quarantined()?).unwrap_or_default()))
    })
    .await
}

/// One sync exchange. The token is checked before a byte of the body is
/// read; the body is then read and decoded within [`AppState::sync_slots`],
/// bounded in size and in what it may decompress to.
async fn sync(State(st): State<AppState>, headers: HeaderMap, body: axum::body::Body) -> Result<Response, ServerError> {
    let token = bearer(&headers)?;
    let storage = st.storage.clone();
    let (device, person) = blocking(move || {
        let device = storage
            .device_by_token(&hash_secret(&token))?
            .ok_or_else(|| ServerError::Unauthorized("unknown device token".into()))?;
        let person =
            storage.person(&device.user_id)?.ok_or_else(|| ServerError::Internal("device user missing".into()))?;
        Ok((device, person))
    })
    .await?;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared {
        if len > MAX_SYNC_BODY_BYTES {
            return Err(ServerError::TooLarge(format!("a sync body is at most {MAX_SYNC_BODY_BYTES} bytes")));
        }
    }
    // A small declared body is read with the small limit: a client cannot
    // take one permit and send more.
    let (weight, limit) = match declared {
        Some(len) if len <= SMALL_SYNC_BODY_BYTES => (1, SMALL_SYNC_BODY_BYTES),
        _ => (LARGE_SYNC_WEIGHT, MAX_SYNC_BODY_BYTES),
    };
    let _slot =
        st.sync_slots.clone().acquire_many_owned(weight).await.map_err(|e| ServerError::Internal(e.to_string()))?;
    let body = match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Err(_) => return Err(ServerError::BadRequest("the body did not arrive in time".into())),
        Ok(Err(e)) => {
            // axum reports the limit as "length limit exceeded".
            let too_large = e.to_string().contains("length limit");
            return Err(if too_large {
                ServerError::TooLarge(format!("a sync body is at most {limit} bytes"))
            } else {
                ServerError::BadRequest(format!("reading the body: {e}"))
            });
        }
        Ok(Ok(b)) => b,
    };
    let bytes_in = body.len();
    let started = std::time::Instant::now();
    let metrics = st.metrics.clone();
    let out = blocking(move || {
        let now = Timestamp::now();
        let req: SyncRequest = wire::decode_bounded(&body, wire::server_decode_limit(body.len()))
            .map_err(|e| ServerError::BadRequest(e.to_string()))?;
        drop(body);
        if device.revoked_at.is_some() {
            for up in &req.uploads {
                st.storage.quarantine(&NewQuarantine {
                    device_id: &device.device_id,
                    user_id: &person.id,
                    doc_id: &up.doc_id,
                    kind: &up.kind,
                    rule: "revoked",
                    message: "upload from a revoked device",
                    data: &up.changes.0,
                    received_at: now,
                })?;
            }
            return Err(ServerError::Forbidden(format!("device {} is revoked; its uploads are kept for review", device.device_id)));
        }
        let resp = crate::sync::exchange(st.storage.as_ref(), &device, &person, req, now)?;
        tracing::debug!(device = %device.device_id, accepted = resp.accepted.len(), refused = resp.refused.len(), down = resp.changes.len(), "sync");
        metrics.sync(started.elapsed(), resp.accepted.len(), resp.refused.len());
        Ok(wire::encode(&resp))
    })
    .await?;
    tracing::debug!(bytes_in, bytes_out = out.len(), "sync exchange");
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, wire::CONTENT_TYPE)], out).into_response())
}
