//! Web console sessions live in the server's storage: they survive a
//! restart of the server (SQLite), and a session made by one server process
//! works on another process on the same PostgreSQL database, where signing
//! out ends it for both. Plain HTTP, the way a browser would send it (the
//! browser itself is in browser_console.rs).
//! The PostgreSQL test needs `PAICHA_TEST_POSTGRES`: `bash scripts/with-postgres.sh cargo test -p paicha-scenarios`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_scenarios::console::{client, csrf, passwd, post, set_cookie, sign_in, PASSWORD};
use paicha_scenarios::{PostgresDatabase, Server};
use reqwest::header;

/// The home page with a session: Some(page) when signed in, None when sent to sign in.
fn home(server: &Server, sid: &str) -> Option<String> {
    let resp = client()
        .get(format!("{}/", server.url))
        .header(header::COOKIE, format!("paicha_session={sid}"))
        .send()
        .unwrap();
    match resp.status().as_u16() {
        200 => Some(resp.text().unwrap()),
        303 => None,
        other => panic!("GET / answered {other}"),
    }
}

#[test]
fn a_session_survives_a_restart_of_the_server() {
    let mut server = Server::start();
    passwd(&server, "sup-chen");
    let sid = sign_in(&server, "sup-chen");
    assert!(home(&server, &sid).unwrap().contains("陈监管"));
    let data = std::mem::replace(&mut server.data, tempfile::tempdir().unwrap());
    drop(server);
    let again = Server::serve(data);
    let page = home(&again, &sid).expect("still signed in after the restart");
    assert!(page.contains("玉山镇"));
}

#[test]
fn two_server_processes_on_one_postgresql_share_sessions_and_sign_out() {
    let db = PostgresDatabase::create();
    let a = Server::start_postgres(&db.url);
    let b = Server::start_postgres(&db.url);
    passwd(&a, "admin-xu");
    let sid = sign_in(&a, "admin-xu");
    let on_b = home(&b, &sid).expect("a session made on A works on B");
    assert!(on_b.contains("全区"));
    // Sign out on B; A no longer knows the session either.
    let token = csrf(&on_b);
    let out = post(&format!("{}/logout", b.url), &format!("paicha_session={sid}"), &[("csrf", &token)]);
    assert_eq!(out.status(), 303);
    assert_eq!(home(&a, &sid), None);
    // Lockout counted on both: 3 failures on A and 2 on B lock the name on both.
    for (server, n) in [(&a, 3), (&b, 2)] {
        for _ in 0..n {
            let page = client().get(format!("{}/login", server.url)).send().unwrap();
            let pre = set_cookie(&page, "paicha_login").unwrap();
            let token = csrf(&page.text().unwrap());
            let resp = post(
                &format!("{}/login", server.url),
                &format!("paicha_login={pre}"),
                &[("csrf", &token), ("login", "admin-xu"), ("password", "wrong-password")],
            );
            assert_eq!(resp.status(), 401);
        }
    }
    let page = client().get(format!("{}/login", a.url)).send().unwrap();
    let pre = set_cookie(&page, "paicha_login").unwrap();
    let token = csrf(&page.text().unwrap());
    let locked = post(
        &format!("{}/login", a.url),
        &format!("paicha_login={pre}"),
        &[("csrf", &token), ("login", "admin-xu"), ("password", PASSWORD)],
    );
    assert_eq!(locked.status(), 429);
}
