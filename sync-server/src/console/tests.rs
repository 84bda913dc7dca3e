//! The console through the server's whole router, in process: routes,
//! sign-in, CSRF, lockout, sign-out, roles, error pages.

use super::*;
use crate::app::{self, AppState};
use crate::blobs::FsBlobs;
use crate::storage::SqliteStorage;
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

const PASSWORD: &str = "correct-horse-9";

struct Fixture {
    router: Router,
    storage: Arc<dyn Storage>,
    _dir: tempfile::TempDir,
}

fn fixture_with(config: ConsoleConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    for p in paicha_core::demo::people() {
        storage.put_person(&p).unwrap();
    }
    storage.put_enterprises(&paicha_core::demo::enterprises()).unwrap();
    for id in ["admin-xu", "sup-chen", "ent-a", "ent-b", "insp-wang"] {
        auth::set_password(storage.as_ref(), id, PASSWORD, Timestamp::now()).unwrap();
    }
    let mut state = AppState::new(storage.clone(), Arc::new(FsBlobs::new(&dir.path().join("blobs"))));
    state.console = config;
    Fixture { router: app::router(state), storage, _dir: dir }
}

fn fixture() -> Fixture {
    fixture_with(ConsoleConfig::default())
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    fn cookie_value(&self, name: &str) -> Option<String> {
        let c = self.set_cookie(name)?;
        Some(c.split(';').next()?.split_once('=')?.1.to_string())
    }

    /// The value of the hidden CSRF field in the page.
    fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("a form with a CSRF field") + 19;
        self.body[at..at + 64].to_string()
    }
}

impl Fixture {
    async fn send(&self, method: &str, path: &str, cookies: &[(&str, &str)], form: Option<&[(&str, &str)]>) -> Answer {
        let mut req = Request::builder().method(method).uri(path).header(header::HOST, "console.test");
        if !cookies.is_empty() {
            let c: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header(header::COOKIE, c.join("; "));
        }
        let body = match form {
            Some(fields) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish())
            }
            None => Body::empty(),
        };
        let resp = self.router.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Opens the sign-in page: (its cookie, its form token).
    async fn login_form(&self) -> (String, String) {
        let page = self.send("GET", "/login", &[], None).await;
        assert_eq!(page.status, StatusCode::OK);
        (page.cookie_value(session::LOGIN_COOKIE).unwrap(), page.csrf())
    }

    async fn try_sign_in(&self, login: &str, password: &str) -> Answer {
        let (cookie, token) = self.login_form().await;
        self.send(
            "POST",
            "/login",
            &[(session::LOGIN_COOKIE, &cookie)],
            Some(&[("csrf", &token), ("login", login), ("password", password)]),
        )
        .await
    }

    /// Signs in: the session cookie's value.
    async fn sign_in(&self, login: &str) -> String {
        let a = self.try_sign_in(login, PASSWORD).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        a.cookie_value(session::COOKIE).unwrap()
    }
}

#[tokio::test]
async fn every_console_route_answers_and_none_is_part_of_the_tablet_api() {
    let f = fixture();
    for (method, path) in CONSOLE_ROUTES {
        let a = f.send(&method.to_uppercase(), path, &[], None).await;
        let expected = match (*method, path.starts_with("/assets/")) {
            ("get", true) => StatusCode::OK,
            ("get", false) if *path == "/login" => StatusCode::OK,
            ("get", false) => StatusCode::SEE_OTHER,
            _ => {
                if *path == "/login" {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::SEE_OTHER
                }
            }
        };
        assert_eq!(a.status, expected, "{method} {path}");
        assert!(!app::ROUTES.iter().any(|(m, p)| m == method && p == path), "{path} is a console route");
    }
    let openapi: serde_json::Value = serde_json::from_str(app::OPENAPI).unwrap();
    for (_, path) in CONSOLE_ROUTES {
        assert!(openapi["paths"].get(*path).is_none(), "{path} must not be in openapi.json");
    }
    // The tablet API is still there, unchanged.
    assert_eq!(f.send("GET", "/health", &[], None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn pages_carry_security_headers_and_assets_are_embedded() {
    let f = fixture();
    let login = f.send("GET", "/login", &[], None).await;
    let csp = login.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(login.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(login.body.contains("<html lang=\"zh-CN\">"));
    assert!(!login.body.contains("http://") && !login.body.contains("https://"), "no external asset");
    let css = f.send("GET", "/assets/console.css", &[], None).await;
    assert!(css.body.contains("Noto Sans CJK SC") && !css.body.contains("@font-face") && !css.body.contains("url("));
    assert!(css.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn sign_in_shows_the_person_their_role_and_scope_and_sign_out_ends_the_session() {
    let f = fixture();
    let sid = f.sign_in("sup-chen").await;
    assert!(session::well_formed(&sid));
    let home = f.send("GET", "/", &[(session::COOKIE, &sid)], None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("陈监管") && home.body.contains("镇街监管人员") && home.body.contains("玉山镇"));
    assert!(!home.body.contains("/devices"), "no admin navigation for a supervisor");
    // The enterprise user's scope is their enterprise, by name.
    let ent = f.sign_in("ent-a").await;
    let home_a = f.send("GET", "/", &[(session::COOKIE, &ent)], None).await;
    assert!(home_a.body.contains(&paicha_core::demo::enterprises()[0].name), "{}", home_a.body);
    let admin = f.sign_in("admin-xu").await;
    assert!(f.send("GET", "/", &[(session::COOKIE, &admin)], None).await.body.contains("全区"));

    // Sign-out without the token is refused and changes nothing.
    let refused = f.send("POST", "/logout", &[(session::COOKIE, &sid)], Some(&[])).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("安全令牌"));
    let wrong =
        f.send("POST", "/logout", &[(session::COOKIE, &sid)], Some(&[("csrf", &csrf::session_token("x"))])).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(f.send("GET", "/", &[(session::COOKIE, &sid)], None).await.status, StatusCode::OK);
    // With it, the session ends on the server: the old cookie is worthless.
    let token = home.csrf();
    let out = f.send("POST", "/logout", &[(session::COOKIE, &sid)], Some(&[("csrf", &token)])).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.set_cookie(session::COOKIE).unwrap().contains("Max-Age=0"));
    assert_eq!(f.storage.console_session(&hash_secret(&sid)).unwrap(), None);
    let after = f.send("GET", "/", &[(session::COOKIE, &sid)], None).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.headers.get(header::LOCATION).unwrap(), "/login");
}

#[tokio::test]
async fn a_session_id_from_before_sign_in_is_never_kept() {
    let f = fixture();
    let before = f.sign_in("sup-chen").await;
    // Signing in again (or over a planted cookie) makes a new id and ends the old one.
    let (cookie, token) = f.login_form().await;
    let again = f
        .send(
            "POST",
            "/login",
            &[(session::LOGIN_COOKIE, &cookie), (session::COOKIE, &before)],
            Some(&[("csrf", &token), ("login", "sup-chen"), ("password", PASSWORD)]),
        )
        .await;
    let after = again.cookie_value(session::COOKIE).unwrap();
    assert_ne!(before, after);
    assert_eq!(f.send("GET", "/", &[(session::COOKIE, &before)], None).await.status, StatusCode::SEE_OTHER);
    assert_eq!(f.send("GET", "/", &[(session::COOKIE, &after)], None).await.status, StatusCode::OK);
    let cookie_line = again.set_cookie(session::COOKIE).unwrap();
    assert!(cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Lax"), "{cookie_line}");
    assert!(!cookie_line.contains("Secure"), "plain HTTP: {cookie_line}");
}

#[tokio::test]
async fn behind_tls_cookies_are_secure() {
    let f = fixture_with(ConsoleConfig::from_public_url(Some("https://paicha.example.cn/")).unwrap());
    let a = f.try_sign_in("sup-chen", PASSWORD).await;
    assert!(a.set_cookie(session::COOKIE).unwrap().ends_with("; Secure"));
    let page = f.send("GET", "/login", &[], None).await;
    assert!(page.set_cookie(session::LOGIN_COOKIE).unwrap().ends_with("; Secure"));
    assert!(ConsoleConfig::from_public_url(Some("ftp://x")).is_err());
    assert_eq!(ConsoleConfig::from_public_url(None).unwrap(), ConsoleConfig::default());
}

#[tokio::test]
async fn sign_in_needs_the_form_token() {
    let f = fixture();
    let (cookie, token) = f.login_form().await;
    let fields = [("login", "sup-chen"), ("password", PASSWORD)];
    let no_token = f.send("POST", "/login", &[(session::LOGIN_COOKIE, &cookie)], Some(&fields)).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let with = [("csrf", token.as_str()), ("login", "sup-chen"), ("password", PASSWORD)];
    let no_cookie = f.send("POST", "/login", &[], Some(&with)).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert!(no_cookie.set_cookie(session::COOKIE).is_none());
}

#[tokio::test]
async fn repeated_failures_lock_a_name_whether_or_not_it_exists() {
    let f = fixture();
    for login in ["sup-chen", "nobody-here"] {
        for i in 1..=4 {
            let a = f.try_sign_in(login, "wrong-password").await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{login} #{i}");
            assert!(a.body.contains("账号或密码错误"), "{}", a.body);
        }
        let fifth = f.try_sign_in(login, "wrong-password").await;
        assert!(fifth.body.contains("请 1 分钟后再试"), "{}", fifth.body);
        // Locked: even the right password is not checked.
        let locked = f.try_sign_in(login, PASSWORD).await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{login}");
        assert!(locked.body.contains("请 1 分钟后再试"));
        assert!(locked.set_cookie(session::COOKIE).is_none());
    }
    // Another account is not affected.
    f.sign_in("admin-xu").await;
}

#[tokio::test]
async fn admin_pages_are_for_the_district_admin_and_post_with_csrf() {
    let f = fixture();
    let sup = f.sign_in("sup-chen").await;
    assert_eq!(f.send("GET", "/devices", &[(session::COOKIE, &sup)], None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(f.send("GET", "/users", &[(session::COOKIE, &sup)], None).await.status, StatusCode::FORBIDDEN);

    let admin = f.sign_in("admin-xu").await;
    let c = [(session::COOKIE, admin.as_str())];
    let page = f.send("GET", "/devices", &c, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.csrf();
    let no_token = f.send("POST", "/devices", &c, Some(&[("device", "tab-new"), ("user", "insp-wang")])).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(f.storage.devices().unwrap().is_empty(), "a refused POST changes nothing");
    let issued =
        f.send("POST", "/devices", &c, Some(&[("csrf", &token), ("device", "tab-new"), ("user", "insp-wang")])).await;
    assert_eq!(issued.status, StatusCode::OK);
    assert!(issued.body.contains("注册码") && issued.body.contains("http://console.test"), "{}", issued.body);
    assert_eq!(f.storage.devices().unwrap().len(), 1);
    let unknown =
        f.send("POST", "/devices", &c, Some(&[("csrf", &token), ("device", "tab-x"), ("user", "nobody")])).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let revoke_no_token = f.send("POST", "/devices/revoke", &c, Some(&[("device", "tab-new")])).await;
    assert_eq!(revoke_no_token.status, StatusCode::FORBIDDEN);
    assert_eq!(f.storage.devices().unwrap()[0].revoked_at, None);
    let revoked = f.send("POST", "/devices/revoke", &c, Some(&[("csrf", &token), ("device", "tab-new")])).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(f.storage.devices().unwrap()[0].revoked_at.is_some());
    let twice = f.send("POST", "/devices/revoke", &c, Some(&[("csrf", &token), ("device", "tab-new")])).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let users = f.send("GET", "/users", &c, None).await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.body.contains("insp-wang") && users.body.contains("已设置") && users.body.contains("未设置"));
}

#[tokio::test]
async fn storage_failures_are_pages_without_internal_details() {
    let unavailable = ConsoleError::Storage(StorageError::Unavailable("connection to 10.0.0.5 refused".into()));
    let resp = unavailable.into_response();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("数据库暂时不可用") && !body.contains("10.0.0.5"), "{body}");

    // A real failure: the sessions table is gone.
    let f = fixture();
    let sid = f.sign_in("sup-chen").await;
    let db = rusqlite::Connection::open(f._dir.path().join("server.db")).unwrap();
    db.execute_batch("DROP TABLE console_sessions").unwrap();
    let a = f.send("GET", "/", &[(session::COOKIE, &sid)], None).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(a.body.contains("服务器内部出错") && !a.body.contains("console_sessions") && !a.body.contains("陈监管"));
}

// --- actions through the one rule path, queues, case file, photos ---

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 2, 3, 4, 5];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Reports a hidden danger at demo enterprise `n` as insp-wang (with
/// insp-li), written through the shared validation and storage path.
fn report(f: &Fixture, n: usize, description: &str) -> String {
    use paicha_core::sync::validate::Clocks;
    use paicha_core::sync::wire::{Bytes, DocUpload};
    let s = f.storage.as_ref();
    let wang = s.person("insp-wang").unwrap().unwrap();
    let li = s.person("insp-li").unwrap().unwrap();
    let ent = &paicha_core::demo::enterprises()[n];
    let now = Timestamp::now();
    let policy = s.policy().unwrap();
    let ctx = paicha_core::workflow::Context { now, policy: &policy, inspection_open: None };
    let device = actions::web_device_id("insp-wang");
    let draft = paicha_core::actions::ReportDraft {
        location: "仓库".into(),
        description: Some(description.into()),
        required_measures: "更换".into(),
        responsible_person: "张".into(),
        before_photos: vec![paicha_core::photo::PhotoRef {
            sha256: "b".repeat(64),
            bytes: 10,
            role: paicha_core::photo::PhotoRole::Before,
            captured_at: None,
            gps: None,
            device_id: device.clone(),
        }],
        ..Default::default()
    };
    let action = paicha_core::actions::draft_report(&wang, &device, vec![li], ent, None, draft, &ctx).unwrap();
    let actor_hex = s.web_device(&device, "insp-wang", &"ab".repeat(16), now).unwrap().actor.unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    let mut doc = paicha_core::doc::RecordDoc::new(DocKind::Hazard, &id, &unhex(&actor_hex)).unwrap();
    let actor = paicha_core::actions::event_actor(&wang, &device);
    doc.add_event(&paicha_core::hazard::next_event(&[], "e0".into(), now, actor, action)).unwrap();
    let up = DocUpload { doc_id: id.clone(), kind: "hazard".into(), changes: Bytes(doc.save()) };
    let clocks = Clocks { server_now: now, device_offset_ms: Some(0) };
    let c = crate::sync::validate_and_store(s, &device, &actor_hex, &wang, clocks, &[&up], now).unwrap();
    assert!(c.refused.is_empty(), "{:?}", c.refused.first().map(|r| &r.message));
    id
}

use paicha_core::hazard::Status;
use paicha_core::kinds::DocKind;

fn status_of(f: &Fixture, id: &str) -> Status {
    let all = f.storage.summaries(&crate::storage::SummaryQuery::all(DocKind::Hazard)).unwrap();
    all.into_iter()
        .find_map(|s| match s {
            paicha_core::summary::Summary::Hazard(h) if h.id == id => Some(h.status),
            _ => None,
        })
        .unwrap()
}

impl Fixture {
    /// A signed-in page's CSRF token.
    async fn token(&self, cookie: &str) -> String {
        self.send("GET", "/", &[(session::COOKIE, cookie)], None).await.csrf()
    }

    async fn act(&self, cookie: &str, id: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.token(cookie).await;
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.send("POST", &format!("/hazards/{id}/act"), &[(session::COOKIE, cookie)], Some(&all)).await
    }

    async fn evidence(&self, cookie: &str, id: &str, token: &str, photo: &[u8]) -> Answer {
        let b = "----paicha-boundary";
        let mut body: Vec<u8> = vec![];
        for (name, value) in [("csrf", token), ("description", "已更换灭火器<i>x</i>"), ("rectified_on", "")] {
            body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes());
        }
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(photo);
        body.extend(format!("\r\n--{b}--\r\n").bytes());
        let req = Request::builder()
            .method("POST")
            .uri(format!("/hazards/{id}/evidence"))
            .header(header::COOKIE, format!("{}={cookie}", session::COOKIE))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
            .body(Body::from(body))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }
}

#[tokio::test]
async fn console_actions_are_decided_by_the_rules_and_reach_the_change_log() {
    let f = fixture();
    let id = report(&f, 0, "<b>灭火器</b>过期");
    let ent = f.sign_in("ent-a").await;
    let sup = f.sign_in("sup-chen").await;
    let insp = f.sign_in("insp-wang").await;

    // The enterprise's evidence from the browser: a refused photo changes nothing.
    let token = f.token(&ent).await;
    let gif = f.evidence(&ent, &id, &token, b"GIF89a....").await;
    assert_eq!(gif.status, StatusCode::BAD_REQUEST);
    assert!(gif.body.contains("不是 JPEG"), "{}", gif.body);
    assert_eq!(status_of(&f, &id), Status::Rectifying);
    let bad_token = f.evidence(&ent, &id, &"0".repeat(64), JPEG).await;
    assert_eq!(bad_token.status, StatusCode::FORBIDDEN);
    let ok = f.evidence(&ent, &id, &token, JPEG).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(status_of(&f, &id), Status::PendingReview);

    // The supervisor's queue shows it, user text as text, with the photo.
    let queue = f.send("GET", "/review", &[(session::COOKIE, &sup)], None).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("&lt;b&gt;灭火器&lt;/b&gt;过期"), "{}", queue.body);
    assert!(queue.body.contains("已更换灭火器&lt;i&gt;x&lt;/i&gt;"));
    let sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(JPEG).iter().map(|b| format!("{b:02x}")).collect()
    };
    assert!(queue.body.contains(&format!("/photos/{sha}")));
    let photo = f.send("GET", &format!("/photos/{sha}"), &[(session::COOKIE, &sup)], None).await;
    assert_eq!(photo.status, StatusCode::OK);
    assert_eq!(photo.headers[header::CONTENT_TYPE], "image/jpeg");

    // Another enterprise reaches neither the record nor its photo, by URL.
    let other = f.sign_in("ent-b").await;
    for path in [format!("/hazards/{id}"), format!("/photos/{sha}")] {
        let a = f.send("GET", &path, &[(session::COOKIE, &other)], None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!a.body.contains("灭火器"), "{path}");
    }
    let list = f.send("GET", "/hazards", &[(session::COOKIE, &other)], None).await;
    assert!(!list.body.contains(&id));
    let refused = f.act(&other, &id, &[("action", "review_approve")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    // An inspector cannot close it: R8, shown in Chinese, nothing changes.
    let no = f.act(&insp, &id, &[("action", "review_approve"), ("opinion", "ok")]).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    assert!(no.body.contains("规则 R8") && no.body.contains("镇街的监管人员"), "{}", no.body);
    assert_eq!(status_of(&f, &id), Status::PendingReview);
    assert!(f.storage.quarantined().unwrap().is_empty(), "a console refusal is not a hostile upload");

    // Without the form's token nothing happens.
    let forged = f
        .send("POST", &format!("/hazards/{id}/act"), &[(session::COOKIE, &sup)], Some(&[("action", "review_approve")]))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&f, &id), Status::PendingReview);

    // The supervisor approves: closed, in the change log for tablets, and
    // the case file shows who did what, on which device, and when it arrived.
    let yes = f.act(&sup, &id, &[("action", "review_approve"), ("opinion", "整改到位")]).await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER, "{}", yes.body);
    assert_eq!(status_of(&f, &id), Status::Closed);
    let li = f.storage.person("insp-li").unwrap().unwrap();
    let (entries, _) = f.storage.changes_since(&li, "tab-li", 0, 100).unwrap();
    assert_eq!(entries.iter().filter(|e| e.doc_id == id).count(), 3, "report, evidence, review");
    let page = f.send("GET", &format!("/hazards/{id}?done=review"), &[(session::COOKIE, &sup)], None).await;
    assert!(page.body.contains("已记录：复查"), "{}", page.body);
    for device in ["web-insp-wang", "web-ent-a", "web-sup-chen"] {
        assert!(page.body.contains(device), "{device}");
    }
    assert!(page.body.contains("镇街监管人员") && page.body.contains("企业安全负责人"));
    let devices = f.storage.devices().unwrap();
    assert!(devices.iter().any(|d| d.device_id == "web-sup-chen" && d.actor.is_some()));
}

#[tokio::test]
async fn boards_and_statistics_read_the_summaries() {
    let f = fixture();
    let a = report(&f, 0, "配电箱未接地");
    let _b = report(&f, 1, "氨气报警器失效");
    let sup = f.sign_in("sup-chen").await;
    let admin = f.sign_in("admin-xu").await;
    let ent = f.sign_in("ent-a").await;
    let v = f.act(&sup, &a, &[("action", "void"), ("reason", "误录")]).await;
    assert_eq!(v.status, StatusCode::SEE_OTHER, "{}", v.body);
    let stats = f.send("GET", "/stats?group=township", &[(session::COOKIE, &admin)], None).await;
    assert_eq!(stats.status, StatusCode::OK);
    assert!(stats.body.contains("玉山镇") && stats.body.contains("<svg"), "{}", stats.body);
    let csv = f.send("GET", "/stats.csv?group=level", &[(session::COOKIE, &admin)], None).await;
    assert!(csv.body.contains("一般,2,1,0"), "{}", csv.body);
    let xlsx = f.send("GET", "/stats.xlsx?group=sector", &[(session::COOKIE, &admin)], None).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
    // The quarterly and annual reports (§6) of the district, a township and an enterprise.
    let year = Timestamp::now().cst_date().format("%Y").to_string();
    for who in [&admin, &sup, &ent] {
        let pdf =
            f.send("GET", &format!("/stats.pdf?group=level&period={year}"), &[(session::COOKIE, who)], None).await;
        assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
        assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    }
    let q = f.send("GET", &format!("/stats.xlsx?group=level&period={year}Q1"), &[(session::COOKIE, &ent)], None).await;
    assert_eq!(q.status, StatusCode::OK);
    let bad = f.send("GET", "/stats.pdf?period=2026Q5", &[(session::COOKIE, &admin)], None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = f.send("GET", "/stats?from=yesterday", &[(session::COOKIE, &admin)], None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("起始日期"));
    for (path, who, ok) in [
        ("/overdue", &sup, true),
        ("/conflicts", &sup, true),
        ("/extensions", &sup, true),
        ("/verification", &admin, true),
        ("/quarantine", &admin, true),
        ("/policy", &admin, true),
        ("/review", &admin, false),
        ("/verification", &sup, false),
        ("/stats", &ent, true),
        ("/review", &ent, false),
        ("/quarantine", &sup, false),
    ] {
        let a = f.send("GET", path, &[(session::COOKIE, who)], None).await;
        let expected = if ok { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(a.status, expected, "{path}");
    }
    let policy = f.send("GET", "/policy", &[(session::COOKIE, &admin)], None).await;
    assert!(policy.body.contains("（现行）"));
}

#[tokio::test]
async fn a_major_hidden_danger_closes_in_two_levels_and_the_district_lists_it() {
    let f = fixture();
    let id = report(&f, 0, "粉尘除尘系统未接地");
    let sup = f.sign_in("sup-chen").await;
    let ent = f.sign_in("ent-a").await;
    let admin = f.sign_in("admin-xu").await;
    // An enterprise may not raise the level (R13); the supervisor may.
    let no = f.act(&ent, &id, &[("action", "change_level"), ("level", "major"), ("reason", "x")]).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    assert!(no.body.contains("规则 R13"), "{}", no.body);
    let up = f.act(&sup, &id, &[("action", "change_level"), ("level", "major"), ("reason", "涉爆粉尘")]).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    // Listing is the district's.
    let listed = f.act(&admin, &id, &[("action", "list"), ("listing", "city"), ("reason", "重大隐患")]).await;
    assert_eq!(listed.status, StatusCode::SEE_OTHER, "{}", listed.body);
    // Evidence of a major one needs the governance plan first (R7), with all six elements (R11).
    let token = f.token(&ent).await;
    let early = f.evidence(&ent, &id, &token, JPEG).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN);
    assert!(early.body.contains("规则 R7"), "{}", early.body);
    let partial = f.act(&ent, &id, &[("action", "submit_plan"), ("objectives", "消除隐患")]).await;
    assert_eq!(partial.status, StatusCode::FORBIDDEN);
    assert!(partial.body.contains("规则 R11"), "{}", partial.body);
    let plan = [
        ("action", "submit_plan"),
        ("objectives", "消除隐患"),
        ("methods", "加装接地"),
        ("funds_and_materials", "5万元"),
        ("responsible", "设备科"),
        ("time_limits", "30日"),
        ("safety_and_emergency", "停机作业"),
    ];
    assert_eq!(f.act(&ent, &id, &plan).await.status, StatusCode::SEE_OTHER);
    assert_eq!(f.evidence(&ent, &id, &token, JPEG).await.status, StatusCode::SEE_OTHER);
    let resume = f.act(&ent, &id, &[("action", "request_resumption"), ("note", "已整改")]).await;
    assert_eq!(resume.status, StatusCode::SEE_OTHER, "{}", resume.body);
    assert_eq!(f.act(&sup, &id, &[("action", "review_approve")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&f, &id), Status::PendingVerification);
    // The district's queue shows it with the verification's due day.
    let queue = f.send("GET", "/verification", &[(session::COOKIE, &admin)], None).await;
    assert!(queue.body.contains("粉尘除尘系统未接地") && queue.body.contains("核销期限"), "{}", queue.body);
    // A supervisor cannot verify (R11); the district does.
    let no = f.act(&sup, &id, &[("action", "verify_approve")]).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    assert_eq!(
        f.act(&admin, &id, &[("action", "verify_approve"), ("opinion", "同意核销")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&f, &id), Status::Closed);
    let page = f.send("GET", &format!("/hazards/{id}"), &[(session::COOKIE, &admin)], None).await;
    assert!(page.body.contains("挂牌督办") && page.body.contains("设备科"), "{}", page.body);
}

#[tokio::test]
async fn concurrent_decisions_are_shown_with_both_sides_and_resolved() {
    use paicha_core::sync::validate::Clocks;
    use paicha_core::sync::wire::{Bytes, DocUpload};
    let f = fixture();
    let id = report(&f, 0, "叉车制动失灵");
    let ent = f.sign_in("ent-a").await;
    let sup = f.sign_in("sup-chen").await;
    let token = f.token(&ent).await;
    assert_eq!(f.evidence(&ent, &id, &token, JPEG).await.status, StatusCode::SEE_OTHER);
    // Offline, before seeing the evidence, the inspector's tablet submits evidence
    // too; meanwhile the supervisor closes it in the console.
    assert_eq!(f.act(&sup, &id, &[("action", "review_approve")]).await.status, StatusCode::SEE_OTHER);
    let s = f.storage.as_ref();
    let wang = s.person("insp-wang").unwrap().unwrap();
    let device = actions::web_device_id("insp-wang");
    let actor_hex = s.web_device(&device, "insp-wang", &"ab".repeat(16), Timestamp::now()).unwrap().actor.unwrap();
    let stored = s.document(&id).unwrap().unwrap();
    let mut doc = paicha_core::doc::RecordDoc::load(&id, &stored.snapshot, &[], &unhex(&actor_hex)).unwrap();
    let events = doc.events().unwrap();
    let seen: Vec<_> = events.iter().filter(|e| e.action.name() == "report").cloned().collect();
    let now = Timestamp::now();
    let offline = paicha_core::hazard::Action::SubmitEvidence {
        after_photos: vec![paicha_core::photo::PhotoRef {
            sha256: "c".repeat(64),
            bytes: 10,
            role: paicha_core::photo::PhotoRole::After,
            captured_at: None,
            gps: None,
            device_id: device.clone(),
        }],
        description: "检查员代为提交".into(),
        rectified_on: None,
    };
    let actor = paicha_core::actions::event_actor(&wang, &device);
    doc.add_event(&paicha_core::hazard::next_event(&seen, "offline-1".into(), now, actor, offline)).unwrap();
    let up = DocUpload { doc_id: id.clone(), kind: "hazard".into(), changes: Bytes(doc.changes_after(&stored.heads)) };
    let clocks = Clocks { server_now: now, device_offset_ms: Some(0) };
    let c = crate::sync::validate_and_store(s, &device, &actor_hex, &wang, clocks, &[&up], now).unwrap();
    assert!(c.refused.is_empty(), "{:?}", c.refused.first().map(|r| &r.message));
    let list = f.send("GET", "/conflicts", &[(session::COOKIE, &sup)], None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("叉车制动失灵"), "the record is listed: {}", list.body);
    assert!(list.body.contains("检查员代为提交") || list.body.contains("王检查"), "both sides: {}", list.body);
    assert!(list.body.contains("陈监管"), "the supervisor's side: {}", list.body);
    // The form names the events in conflict.
    let at = list.body.find("name=\"events\" value=\"").unwrap() + 21;
    let events = &list.body[at..at + list.body[at..].find('"').unwrap()];
    let resolved =
        f.act(&sup, &id, &[("action", "resolve_conflict"), ("events", events), ("note", "以复查为准")]).await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER, "{}", resolved.body);
    let list = f.send("GET", "/conflicts", &[(session::COOKIE, &sup)], None).await;
    assert!(!list.body.contains("叉车制动失灵"), "settled: {}", list.body);
}

#[tokio::test]
async fn photos_of_a_few_megabytes_pass_and_larger_ones_are_refused_by_the_policy() {
    let f = fixture();
    let id = report(&f, 0, "消防通道堵塞");
    let ent = f.sign_in("ent-a").await;
    let token = f.token(&ent).await;
    let jpeg_of = |n: usize| [JPEG, &vec![0x55u8; n]].concat();
    // Over the policy's 5 MB per photo (but under the form's limit): named, nothing changes.
    let big = f.evidence(&ent, &id, &token, &jpeg_of(6 * 1024 * 1024)).await;
    assert_eq!(big.status, StatusCode::BAD_REQUEST, "{}", big.body);
    assert!(big.body.contains("上限"), "{}", big.body);
    assert_eq!(status_of(&f, &id), Status::Rectifying);
    // A 3 MB photo goes through the 64 KB limit of the other forms.
    let ok = f.evidence(&ent, &id, &token, &jpeg_of(3 * 1024 * 1024)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(status_of(&f, &id), Status::PendingReview);
}

#[tokio::test]
async fn notices_are_listed_with_their_deliveries_within_the_supervisors_township() {
    let f = fixture();
    let a = report(&f, 0, "<script>alert(1)</script>配电箱");
    let s = f.storage.as_ref();
    let outlets = crate::notices::Outlets {
        email: None,
        webhook: Some(crate::notices::WebhookOutlet::new("http://127.0.0.1:9/hook", "s3cret").unwrap()),
    };
    // 28 days on: the 3-day reminder is due.
    let later = Timestamp(Timestamp::now().0 + 28 * 86_400_000);
    let made = crate::notices::make_due(s, &outlets, later).unwrap();
    assert_eq!(made.iter().map(|n| n.key.clone()).collect::<Vec<_>>(), [format!("{a}/reminder_3")]);
    let key = made[0].key.clone();
    assert!(s.claim_notice_delivery(&key, "webhook", later, later).unwrap());
    s.finish_notice_delivery(&key, "webhook", later, Err("connection refused".into()), later).unwrap();
    // A notice of another township, which sup-chen does not see.
    let mut other = made[0].clone();
    other.key = "other/township".into();
    other.hazard_id = "other".into();
    other.kind = "township".into();
    other.township = "周市镇".into();
    other.summary.description = "周市镇的隐患".into();
    assert!(s.insert_notice(&other).unwrap());

    let sup = f.sign_in("sup-chen").await;
    let page = f.send("GET", "/notices", &[(session::COOKIE, &sup)], None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("到期前 3 天提醒") && page.body.contains(&format!("data-notice=\"{key}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("发送失败 1 次") && page.body.contains("connection refused"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;") && !page.body.contains("<script>alert"), "user text is escaped");
    assert!(!page.body.contains("周市镇的隐患"), "another township's notice is out of scope (R2)");
    let admin = f.sign_in("admin-xu").await;
    let page = f.send("GET", "/notices", &[(session::COOKIE, &admin)], None).await;
    assert!(page.body.contains("周市镇的隐患") && page.body.contains("到期前 3 天提醒"), "{}", page.body);
    assert!(page.body.contains("逾期：镇街督办"));
    for who in ["ent-a", "insp-wang"] {
        let c = f.sign_in(who).await;
        assert_eq!(
            f.send("GET", "/notices", &[(session::COOKIE, &c)], None).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
}

#[path = "plans_tests.rs"]
mod plans_tests;
