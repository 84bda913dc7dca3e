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
    for id in ["admin-xu", "sup-chen", "ent-a"] {
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
