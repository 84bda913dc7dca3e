//! The web console, served by `paicha-server` itself at `/` (issue 9,
//! docs/adr/0009-web-console.md): server-rendered pages in Chinese for the
//! people of the registry who work at a desk, with every asset embedded in
//! the binary (no CDN, no web fonts: it works on an intranet).
//!
//! Its actions go through the tablets' rule and storage path ([`actions`]);
//! its pages: the case file of a hidden danger ([`hazard_page`]), the
//! queues and boards of supervisors and the district ([`queues`]),
//! statistics with export ([`stats`]), the quarantine, clock-skew flags,
//! policy and templates ([`admin`]).
//!
//! The foundation: sign-in with a password an operator sets
//! (`paicha-server user passwd`, argon2id: [`auth`]), sessions in the
//! server's storage ([`session`]), CSRF tokens on every form ([`csrf`]),
//! lockout with backoff, sign-out, a home page per role with its scope (R2),
//! and the district admin's devices and users pages. The console's routes
//! are listed in [`CONSOLE_ROUTES`], apart from the tablet API's
//! `app::ROUTES` and `openapi.json`.

pub mod actions;
pub mod admin;
pub mod auth;
pub mod csrf;
pub mod documents_page;
pub mod forms;
pub mod hazard_page;
pub mod notices_page;
pub mod pages;
pub mod plans_page;
pub mod queues;
pub mod session;
pub mod stats;

use crate::app::hash_secret;
use crate::devices::{self, DeviceError};
use crate::storage::{ConsoleSession, Storage, StorageError};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::Markup;
use pages::{Notice, Viewer};
use paicha_core::people::{Person, Role};
use paicha_core::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;

/// (method, path) of every console route: HTML pages and their assets, not
/// part of the tablet API (`app::ROUTES`, `openapi.json`).
pub const CONSOLE_ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/login"),
    ("post", "/login"),
    ("post", "/logout"),
    ("get", "/devices"),
    ("post", "/devices"),
    ("post", "/devices/revoke"),
    ("get", "/users"),
    ("get", "/hazards"),
    ("get", "/hazards/{id}"),
    ("post", "/hazards/{id}/act"),
    ("post", "/hazards/{id}/evidence"),
    ("get", "/photos/{sha256}"),
    ("get", "/orders"),
    ("get", "/orders/{id}/pdf"),
    ("get", "/opinions/{id}/pdf"),
    ("get", "/hazards/{id}/case-file"),
    ("get", "/review"),
    ("get", "/extensions"),
    ("get", "/conflicts"),
    ("get", "/overdue"),
    ("get", "/notices"),
    ("get", "/verification"),
    ("get", "/stats"),
    ("get", "/stats.csv"),
    ("get", "/stats.xlsx"),
    ("get", "/stats.pdf"),
    ("get", "/quarantine"),
    ("get", "/policy"),
    ("get", "/plans"),
    ("post", "/plans"),
    ("get", "/plans/{id}"),
    ("get", "/due"),
    ("get", "/assets/console.css"),
    ("get", "/assets/console.js"),
    ("get", "/assets/favicon.svg"),
];

/// Largest console form accepted (forms are a few fields).
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Password checks running at once (argon2id takes 19 MiB and tens of
/// milliseconds each; a burst of sign-ins waits instead of exhausting memory).
pub const HASHING_SLOTS: usize = 2;

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");
const FAVICON: &[u8] = include_bytes!("assets/favicon.svg");

/// How the console is reached, which decides its cookies' `Secure` flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// The address people type (`--public-url`), e.g.
    /// `https://paicha.example.gov.cn`; shown in enrollment instructions.
    pub public_url: Option<String>,
    /// Cookies carry `Secure` (the public URL is `https://`: TLS ends at
    /// the server or at a proxy in front of it).
    pub secure_cookies: bool,
    /// The CJK font documents are printed in (`--pdf-font`); `None`:
    /// Debian's Noto Sans CJK ([`paicha_pdf::DEBIAN_CJK_FONT`]).
    pub pdf_font: Option<std::path::PathBuf>,
}

impl ConsoleConfig {
    /// The configuration for a public URL (None: plain HTTP on a trusted
    /// network or loopback; cookies without `Secure`).
    pub fn from_public_url(url: Option<&str>) -> Result<ConsoleConfig, String> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else { return Ok(ConsoleConfig::default()) };
        let secure = if url.starts_with("https://") {
            true
        } else if url.starts_with("http://") {
            false
        } else {
            return Err(format!("--public-url must start with https:// or http://, not '{url}'"));
        };
        Ok(ConsoleConfig {
            public_url: Some(url.trim_end_matches('/').to_string()),
            secure_cookies: secure,
            pdf_font: None,
        })
    }
}

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    /// Storage (people, devices, passwords, sessions).
    pub storage: Arc<dyn Storage>,
    /// How the console is reached.
    pub config: Arc<ConsoleConfig>,
    /// Bounds concurrent password checks ([`HASHING_SLOTS`]).
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Photo bytes (evidence uploaded from the browser, photos shown).
    pub blobs: Arc<dyn crate::blobs::Blobs>,
}

impl ConsoleState {
    /// The state over the sync server's storage and photo store, with `config`.
    pub fn new(storage: Arc<dyn Storage>, blobs: Arc<dyn crate::blobs::Blobs>, config: ConsoleConfig) -> ConsoleState {
        ConsoleState {
            storage,
            config: Arc::new(config),
            hashing: Arc::new(tokio::sync::Semaphore::new(HASHING_SLOTS)),
            blobs,
        }
    }
}

/// What can go wrong at the console's boundary, each shown as a page in
/// Chinese without internal details (those go to the log).
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// A POST without the form's CSRF token, or with a wrong one: 403.
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// No valid session: back to the sign-in page.
    #[error("not signed in")]
    NotSignedIn,
    /// The person's role may not open this page: 403.
    #[error("forbidden for this role")]
    Forbidden,
    /// No such record, or not in the person's scope (R2; the two look the
    /// same, so a URL does not tell whether another enterprise's record
    /// exists): 404.
    #[error("not found or out of scope")]
    NotFound,
    /// A form field the person must correct (the message says which, in Chinese): 400.
    #[error("bad form: {0}")]
    BadForm(String),
    /// Storage failed (503 when it may come back, 500 otherwise).
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// A document cannot be printed: the server has no usable CJK font
    /// (`--pdf-font`): 503, the operator's to fix.
    #[error("no font to print with: {0}")]
    NoFont(String),
    /// Anything else on our side: 500.
    #[error("internal: {0}")]
    Internal(String),
}

pub(crate) fn html_page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

pub(crate) fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, reason) = match &self {
            ConsoleError::NotSignedIn => return see_other("/login"),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "请求被拒绝",
                "表单缺少有效的安全令牌（CSRF），请求已被拒绝，没有做任何更改。请返回页面、刷新后重试。",
            ),
            ConsoleError::Forbidden => (StatusCode::FORBIDDEN, "无权访问", "您的角色无权访问此页面。"),
            ConsoleError::NotFound => {
                (StatusCode::NOT_FOUND, "未找到", "没有找到这条记录或照片，或者它不在您的管辖范围内。")
            }
            ConsoleError::BadForm(m) => {
                return html_page(StatusCode::BAD_REQUEST, pages::error(400, "表单有误", m));
            }
            ConsoleError::Storage(StorageError::Unavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "暂时无法访问", "数据库暂时不可用，请稍后重试。")
            }
            ConsoleError::NoFont(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "无法生成 PDF",
                "服务器没有可用的中文字体，无法打印文书。请管理员用 --pdf-font 指定字体文件（例如 Noto Sans CJK）。",
            ),
            ConsoleError::Storage(_) | ConsoleError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "服务器出错",
                "服务器内部出错，操作未完成。错误已记录，请联系管理员。",
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "console request failed");
        } else {
            tracing::info!(error = %self, status = status.as_u16(), "console request refused");
        }
        html_page(status, pages::error(status.as_u16(), title, reason))
    }
}

/// The console's routes, with their own state, body limit and security
/// headers; `app::router` merges them with the tablet API.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/devices", get(devices_page).post(devices_issue))
        .route("/devices/revoke", post(devices_revoke))
        .route("/users", get(users_page))
        .route("/hazards", get(queues::hazards_page))
        .route("/hazards/{id}", get(hazard_page::show))
        .route("/hazards/{id}/act", post(hazard_page::act))
        .route(
            "/hazards/{id}/evidence",
            post(hazard_page::evidence).layer(DefaultBodyLimit::max(hazard_page::MAX_EVIDENCE_BYTES)),
        )
        .route("/photos/{sha256}", get(hazard_page::photo))
        .route("/orders", get(documents_page::orders_page))
        .route("/orders/{id}/pdf", get(documents_page::order_pdf))
        .route("/opinions/{id}/pdf", get(documents_page::opinion_pdf))
        .route("/hazards/{id}/case-file", get(documents_page::case_file_pdf))
        .route("/review", get(queues::review_page))
        .route("/extensions", get(queues::extensions_page))
        .route("/conflicts", get(queues::conflicts_page))
        .route("/overdue", get(queues::overdue_page))
        .route("/notices", get(notices_page::notices_page))
        .route("/verification", get(queues::verification_page))
        .route("/stats", get(stats::page_handler))
        .route("/stats.csv", get(stats::csv))
        .route("/stats.xlsx", get(stats::xlsx))
        .route("/stats.pdf", get(stats::pdf))
        .route("/quarantine", get(admin::quarantine_page))
        .route("/policy", get(admin::policy_page))
        .route(
            "/plans",
            get(plans_page::list).post(plans_page::create).layer(DefaultBodyLimit::max(crate::plans::MAX_INPUTS_BYTES)),
        )
        .route("/plans/{id}", get(plans_page::show))
        .route("/due", get(plans_page::due))
        .route("/assets/console.css", get(|| asset("text/css; charset=utf-8", CSS.as_bytes())))
        .route("/assets/console.js", get(|| asset("text/javascript; charset=utf-8", JS.as_bytes())))
        .route("/assets/favicon.svg", get(|| asset("image/svg+xml", FAVICON)))
        .layer(axum::middleware::map_response(security_headers))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state)
}

async fn asset(content_type: &'static str, bytes: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], bytes).into_response()
}

/// Headers on every console answer: scripts and styles only from this
/// server (no inline script can run, even if escaping failed somewhere), no
/// framing, no sniffing, pages never cached.
async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ConsoleError::Internal(e.to_string()))?
}

/// The fields of a URL-encoded form (the last value of a repeated name).
pub(crate) fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A signed-in request: the person (read from the registry now, so a
/// changed role applies at once), the session, and its id for CSRF tokens.
pub(crate) struct SignedIn {
    pub(crate) person: Person,
    pub(crate) session: ConsoleSession,
    pub(crate) csrf: String,
}

impl SignedIn {
    /// Refuses every role but those listed.
    pub(crate) fn require_any(&self, roles: &[Role]) -> Result<(), ConsoleError> {
        if roles.contains(&self.person.role) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden)
        }
    }

    pub(crate) fn viewer(&self) -> Viewer<'_> {
        Viewer { person: &self.person, csrf: &self.csrf }
    }

    pub(crate) fn require(&self, role: Role) -> Result<(), ConsoleError> {
        if self.person.role == role {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden)
        }
    }

    /// Checks the form's CSRF token (before anything is read or changed).
    pub(crate) fn check_csrf(&self, f: &HashMap<String, String>) -> Result<(), ConsoleError> {
        if csrf::matches(&self.csrf, f.get(csrf::FIELD).map(String::as_str)) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }
}

/// The session the request's cookie names, if it is valid now: not expired,
/// not idle too long, of a person still in the registry. Stale sessions
/// found on the way are deleted.
fn session_of(storage: &dyn Storage, headers: &HeaderMap, now: Timestamp) -> Result<Option<SignedIn>, ConsoleError> {
    let Some(id) = session::cookie(headers, session::COOKIE).filter(|id| session::well_formed(id)) else {
        return Ok(None);
    };
    let id_hash = hash_secret(&id);
    let Some(s) = storage.console_session(&id_hash)? else { return Ok(None) };
    if s.expires_at <= now || s.last_seen.0.saturating_add(session::IDLE_MS) <= now.0 {
        storage.delete_console_session(&id_hash)?;
        return Ok(None);
    }
    let Some(person) = storage.person(&s.person_id)? else {
        storage.delete_console_session(&id_hash)?;
        return Ok(None);
    };
    if now.0 - s.last_seen.0 >= session::TOUCH_EVERY_MS {
        storage.touch_console_session(&id_hash, now)?;
    }
    Ok(Some(SignedIn { person, session: s, csrf: csrf::session_token(&id) }))
}

pub(crate) async fn signed_in(st: &ConsoleState, headers: &HeaderMap) -> Result<SignedIn, ConsoleError> {
    let storage = st.storage.clone();
    let headers = headers.clone();
    blocking(move || session_of(storage.as_ref(), &headers, Timestamp::now())).await?.ok_or(ConsoleError::NotSignedIn)
}

async fn home(State(st): State<ConsoleState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    let storage = st.storage.clone();
    blocking(move || {
        let reference = storage.reference_for(&who.person)?;
        let scope = pages::scope_text(&who.person, &reference.enterprises);
        Ok(html_page(StatusCode::OK, pages::home(&who.viewer(), &scope, &who.session)))
    })
    .await
}

/// The sign-in page with a fresh (or the current) pre-session cookie.
fn login_response(
    st: &ConsoleState,
    headers: &HeaderMap,
    status: StatusCode,
    login: &str,
    message: Option<Notice>,
) -> Response {
    let cookie = session::cookie(headers, session::LOGIN_COOKIE)
        .filter(|c| session::well_formed(c))
        .unwrap_or_else(session::new_id);
    let mut resp = html_page(status, pages::login(&csrf::login_token(&cookie), login, message.as_ref()));
    let set = session::set_cookie(session::LOGIN_COOKIE, &cookie, 3600, st.config.secure_cookies);
    if let Ok(v) = HeaderValue::from_str(&set) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

async fn login_page(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let storage = st.storage.clone();
    let h = headers.clone();
    if blocking(move || session_of(storage.as_ref(), &h, Timestamp::now())).await?.is_some() {
        return Ok(see_other("/"));
    }
    let message = q.contains_key("bye").then(|| Notice::Done("您已退出登录。".into()));
    Ok(login_response(&st, &headers, StatusCode::OK, "", message))
}

/// What a sign-in attempt came to.
enum Attempt {
    /// The name must wait (minutes); the password was not checked.
    Locked(i64),
    /// Wrong name or password; `Some(minutes)` when this failure locked the name.
    Failed(Option<i64>),
    /// Signed in: the new session's id.
    SignedIn(String),
}

fn attempt(storage: &dyn Storage, login: &str, password: &str, old: Option<String>) -> Result<Attempt, ConsoleError> {
    let now = Timestamp::now();
    if let Some(ms) = auth::locked_for(storage.login_failures(login)?, now) {
        return Ok(Attempt::Locked(auth::minutes_to_wait(ms)));
    }
    let hash_error = |e: auth::PasswordError| ConsoleError::Internal(e.to_string());
    let stored = match storage.person(login)? {
        Some(_) => storage.console_password(login)?,
        None => None,
    };
    let ok = match &stored {
        Some(phc) => auth::verify_password(password, phc).map_err(hash_error)?,
        None => {
            // As long as a wrong password takes, whether or not the account exists.
            auth::verify_password(password, auth::decoy_hash().map_err(hash_error)?).map_err(hash_error)?;
            false
        }
    };
    if !ok {
        let forget = now.plus_millis(-auth::FORGET_FAILURES_AFTER_MS);
        let failures = storage.record_login_failure(login, now, forget)?;
        return Ok(Attempt::Failed(auth::locked_for(Some(failures), now).map(auth::minutes_to_wait)));
    }
    storage.clear_login_failures(login)?;
    // Never keep a session id from before sign-in (fixation): end the old
    // session, whoever it belonged to, and make a new id.
    if let Some(old) = old.filter(|o| session::well_formed(o)) {
        storage.delete_console_session(&hash_secret(&old))?;
    }
    storage.delete_stale_console_sessions(now, now.plus_millis(-session::IDLE_MS))?;
    let id = session::new_id();
    storage.create_console_session(&ConsoleSession {
        id_hash: hash_secret(&id),
        person_id: login.to_string(),
        created_at: now,
        expires_at: now.plus_millis(session::LIFETIME_MS),
        last_seen: now,
    })?;
    tracing::info!(person = %login, "console sign-in");
    Ok(Attempt::SignedIn(id))
}

fn locked_message(minutes: i64) -> Notice {
    Notice::Refused(format!("登录失败次数过多，该账号已暂停登录。请 {minutes} 分钟后再试。"))
}

async fn login_submit(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let f = form(&body);
    let cookie = session::cookie(&headers, session::LOGIN_COOKIE).filter(|c| session::well_formed(c));
    let token_ok =
        cookie.is_some_and(|c| csrf::matches(&csrf::login_token(&c), f.get(csrf::FIELD).map(String::as_str)));
    if !token_ok {
        return Err(ConsoleError::Csrf);
    }
    let login = auth::login_key(f.get("login").map(String::as_str).unwrap_or(""));
    let password = f.get("password").cloned().unwrap_or_default();
    if login.is_empty() || password.is_empty() {
        let msg = Notice::Refused("请输入账号和密码。".into());
        return Ok(login_response(&st, &headers, StatusCode::BAD_REQUEST, &login, Some(msg)));
    }
    if password.len() > auth::MAX_PASSWORD_BYTES {
        let msg = Notice::Refused("账号或密码错误。".into());
        return Ok(login_response(&st, &headers, StatusCode::UNAUTHORIZED, &login, Some(msg)));
    }
    let _slot = st.hashing.clone().acquire_owned().await.map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let storage = st.storage.clone();
    let old = session::cookie(&headers, session::COOKIE);
    let l = login.clone();
    let outcome = blocking(move || attempt(storage.as_ref(), &l, &password, old)).await?;
    Ok(match outcome {
        Attempt::Locked(minutes) => {
            login_response(&st, &headers, StatusCode::TOO_MANY_REQUESTS, &login, Some(locked_message(minutes)))
        }
        Attempt::Failed(Some(minutes)) => {
            login_response(&st, &headers, StatusCode::UNAUTHORIZED, &login, Some(locked_message(minutes)))
        }
        Attempt::Failed(None) => {
            let msg = Notice::Refused("账号或密码错误。".into());
            login_response(&st, &headers, StatusCode::UNAUTHORIZED, &login, Some(msg))
        }
        Attempt::SignedIn(id) => {
            let secure = st.config.secure_cookies;
            let mut resp = see_other("/");
            let cookies = [
                session::set_cookie(session::COOKIE, &id, session::LIFETIME_MS / 1000, secure),
                session::set_cookie(session::LOGIN_COOKIE, "", 0, secure),
            ];
            for c in cookies {
                let v = HeaderValue::from_str(&c).map_err(|e| ConsoleError::Internal(e.to_string()))?;
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
    })
}

async fn logout(State(st): State<ConsoleState>, headers: HeaderMap, body: Bytes) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.check_csrf(&form(&body))?;
    let storage = st.storage.clone();
    let id_hash = who.session.id_hash.clone();
    blocking(move || Ok(storage.delete_console_session(&id_hash)?)).await?;
    tracing::info!(person = %who.person.id, "console sign-out");
    let mut resp = see_other("/login?bye=1");
    let gone = session::set_cookie(session::COOKIE, "", 0, st.config.secure_cookies);
    let v = HeaderValue::from_str(&gone).map_err(|e| ConsoleError::Internal(e.to_string()))?;
    resp.headers_mut().append(header::SET_COOKIE, v);
    Ok(resp)
}

/// The devices page with a message, as `who` (a district admin) sees it.
fn render_devices(
    storage: &dyn Storage,
    who: &SignedIn,
    status: StatusCode,
    message: Option<Notice>,
) -> Result<Response, ConsoleError> {
    let list = storage.devices()?;
    let people = storage.reference_for(&who.person)?.people;
    Ok(html_page(status, pages::devices(&who.viewer(), &list, &people, message.as_ref())))
}

async fn devices_page(State(st): State<ConsoleState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let storage = st.storage.clone();
    blocking(move || render_devices(storage.as_ref(), &who, StatusCode::OK, None)).await
}

/// The refusal of a device operation, in words for the page (no internals).
fn device_refusal(e: DeviceError) -> Result<(StatusCode, Notice), ConsoleError> {
    Ok(match e {
        DeviceError::BadDeviceId(_) => {
            (StatusCode::BAD_REQUEST, Notice::Refused("设备编号须为 1 到 128 个字符，不含空格。".into()))
        }
        DeviceError::UnknownUser(id) => {
            (StatusCode::BAD_REQUEST, Notice::Refused(format!("用户 {id} 不在人员名录中。")))
        }
        DeviceError::NotRevocable(id) => {
            (StatusCode::CONFLICT, Notice::Refused(format!("设备 {id} 不存在或已被吊销。")))
        }
        DeviceError::Storage(StorageError::Conflict(_)) => (
            StatusCode::CONFLICT,
            Notice::Refused("该设备编号已注册或已吊销，不能再签发注册码；请换一个设备编号。".into()),
        ),
        DeviceError::Storage(e) => return Err(ConsoleError::Storage(e)),
    })
}

async fn devices_issue(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let f = form(&body);
    who.check_csrf(&f)?;
    let device = f.get("device").map(|d| d.trim().to_string()).unwrap_or_default();
    let user = f.get("user").cloned().unwrap_or_default();
    let storage = st.storage.clone();
    let server = st.config.public_url.clone().unwrap_or_else(|| {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("服务器地址");
        format!("http://{host}")
    });
    blocking(move || {
        match devices::issue_enrollment_code(storage.as_ref(), &device, &user, Timestamp::now()) {
            Ok(code) => {
                tracing::info!(admin = %who.person.id, %device, %user, "enrollment code issued in the console");
                let text = format!(
                    "已为设备 {device}（{user}）签发注册码：{code}。此码只显示这一次、只能使用一次。在平板上运行：paicha enroll --server {server} --code {code}"
                );
                render_devices(storage.as_ref(), &who, StatusCode::OK, Some(Notice::Done(text)))
            }
            Err(e) => {
                let (status, notice) = device_refusal(e)?;
                render_devices(storage.as_ref(), &who, status, Some(notice))
            }
        }
    })
    .await
}

async fn devices_revoke(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let f = form(&body);
    who.check_csrf(&f)?;
    let device = f.get("device").cloned().unwrap_or_default();
    let storage = st.storage.clone();
    blocking(move || match devices::revoke_device(storage.as_ref(), &device, Timestamp::now()) {
        Ok(()) => {
            tracing::info!(admin = %who.person.id, %device, "device revoked in the console");
            let text = format!("设备 {device} 已吊销：它此后的同步和上传都会被拒绝。");
            render_devices(storage.as_ref(), &who, StatusCode::OK, Some(Notice::Done(text)))
        }
        Err(e) => {
            let (status, notice) = device_refusal(e)?;
            render_devices(storage.as_ref(), &who, status, Some(notice))
        }
    })
    .await
}

async fn users_page(State(st): State<ConsoleState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let storage = st.storage.clone();
    blocking(move || {
        let reference = storage.reference_for(&who.person)?;
        let mut people = vec![];
        for p in reference.people {
            let has = storage.console_password(&p.id)?.is_some();
            people.push((p, has));
        }
        Ok(html_page(StatusCode::OK, pages::users(&who.viewer(), &people, &reference.enterprises)))
    })
    .await
}

#[cfg(test)]
mod tests;
