//! The web console over plain HTTP, the way a browser sends it: passwords
//! set with the operator's command, sign-in with the CSRF token, forms.

use crate::{bin, Server};
use reqwest::blocking::Client;
use reqwest::header;
use std::io::Write;
use std::process::{Command, Stdio};

/// The password every test account gets.
pub const PASSWORD: &str = "session-test-password";

/// Sets `id`'s console password to [`PASSWORD`] with `paicha-server user passwd`.
pub fn passwd(server: &Server, id: &str) {
    let mut cmd = Command::new(bin("paicha-server"));
    cmd.arg("--data").arg(server.data.path());
    if let Some(db) = &server.database {
        cmd.args(["--database", db]);
    }
    let mut child = cmd
        .args(["user", "passwd", "--id", id, "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A client that does not follow redirects (the tests look at them).
pub fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of `name` in the answer's Set-Cookie headers.
pub fn set_cookie(resp: &reqwest::blocking::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The hidden CSRF field of the page.
pub fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF field") + 19;
    page[at..at + 64].to_string()
}

/// A form body, URL-encoded.
pub fn encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// Posts a form with a cookie.
pub fn post(url: &str, cookie: &str, fields: &[(&str, &str)]) -> reqwest::blocking::Response {
    client()
        .post(url)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(encode(fields))
        .send()
        .unwrap()
}

/// Signs in on `server`: the session id.
pub fn sign_in(server: &Server, login: &str) -> String {
    let page = client().get(format!("{}/login", server.url)).send().unwrap();
    let pre = set_cookie(&page, "paicha_login").unwrap();
    let token = csrf(&page.text().unwrap());
    let resp = post(
        &format!("{}/login", server.url),
        &format!("paicha_login={pre}"),
        &[("csrf", &token), ("login", login), ("password", PASSWORD)],
    );
    assert_eq!(resp.status(), 303);
    set_cookie(&resp, "paicha_session").unwrap()
}

/// GET `path` with session `sid`: the status and the body's bytes.
pub fn get(server: &Server, sid: &str, path: &str) -> (u16, Vec<u8>) {
    let resp = client()
        .get(format!("{}{path}", server.url))
        .header(header::COOKIE, format!("paicha_session={sid}"))
        .send()
        .unwrap();
    (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
}
