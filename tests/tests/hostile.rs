//! Hostile and broken clients: each is refused with the right error, the
//! refused upload is kept in quarantine, and nothing changes for anyone else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::demo;
use paicha_core::doc::RecordDoc;
use paicha_core::hazard::{next_event, Action, Edit};
use paicha_core::people::Actor;
use paicha_core::photo::PhotoRole;
use paicha_core::sync::wire::{self, Bytes, DocUpload, SyncRequest, SyncResponse};
use paicha_scenarios::{t, Server, Tablet};
use paicha_store::NewHazard;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn report(tab: &Tablet, enterprise: &str, co: &str) -> String {
    let photo = tab.store.import_photo(&tab.jpeg("before"), PhotoRole::Before, None, None).unwrap();
    tab.store
        .report_hazard(
            &tab.user,
            NewHazard {
                enterprise: enterprise.into(),
                description: Some("配电箱未接地".into()),
                before_photos: vec![photo],
                co_inspectors: vec![co.into()],
                ..NewHazard::default()
            },
            t("2026-11-02T10:00+08:00"),
        )
        .unwrap()
        .id
}

/// Posts raw bytes to /v1/sync with `tab`'s token.
fn post(server: &Server, token: Option<&str>, body: Vec<u8>) -> (u16, Vec<u8>) {
    let mut req = reqwest::blocking::Client::new().post(format!("{}/v1/sync", server.url)).body(body);
    if let Some(tok) = token {
        req = req.bearer_auth(tok);
    }
    let resp = req.send().unwrap();
    (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
}

/// Sends only the headers of a sync request announcing `length` bytes of
/// body, and reads the status the server answers without waiting for them.
fn status_without_body(server: &Server, token: Option<&str>, length: usize) -> u16 {
    use std::io::{Read, Write};
    let addr = server.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "POST /v1/sync HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: {length}\r\n\r\n").unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    String::from_utf8_lossy(&head[9..12]).parse().unwrap()
}

fn token(tab: &Tablet) -> String {
    tab.store.server_link().unwrap().unwrap().token
}

/// Uploads a crafted version of record `id` from `tab`, signed with `actor`.
fn upload_crafted(
    server: &Server,
    tab: &Tablet,
    id: &str,
    actor: &str,
    event_actor: Actor,
    action: Action,
) -> SyncResponse {
    let bytes = tab.store.document_bytes(id).unwrap();
    let mut doc = RecordDoc::load(id, &bytes, &[], &unhex(actor)).unwrap();
    let before = doc.heads();
    let known = doc.events().unwrap();
    let e = next_event(&known, format!("crafted-{}", known.len()), t("2026-11-03T10:00+08:00"), event_actor, action);
    doc.add_event(&e).unwrap();
    let req = SyncRequest {
        cursor: 0,
        reference_version: 0,
        uploads: vec![DocUpload {
            doc_id: id.into(),
            kind: "hazard".into(),
            changes: Bytes(doc.changes_after(&before)),
        }],
        page_size: 10,
        device_time: None,
    };
    let (status, body) = post(server, Some(&token(tab)), wire::encode(&req));
    assert_eq!(status, 200);
    wire::decode(&body).unwrap()
}

fn quarantine(server: &Server) -> Vec<(String, String)> {
    server
        .admin(&["quarantine"])
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["rule"].as_str().unwrap().into(), q["doc_id"].as_str().unwrap().into()))
        .collect()
}

#[test]
fn an_inspector_tablet_crafting_a_closing_event_is_refused() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let id = report(&wang, &demo::credit_code(1), "insp-li");
    wang.sync();
    let me = Actor { person: demo::person_by_id("insp-wang").unwrap(), device_id: "tab-wang".into() };
    let resp = upload_crafted(
        &server,
        &wang,
        &id,
        wang.store.actor_hex(),
        me,
        Action::Review { approve: true, opinion: "自己销号".into() },
    );
    assert!(resp.accepted.is_empty());
    assert_eq!(resp.refused.len(), 1);
    assert_eq!(resp.refused[0].rule, "R8");
    assert!(resp.refused[0].message.contains("only a supervisor"), "{}", resp.refused[0].message);
    assert_eq!(quarantine(&server), vec![("R8".to_string(), id.clone())]);
    // The district admin sees it from a tablet; an inspector may not.
    let admin = Tablet::enroll(&server, "tab-admin", "admin-xu");
    let http = reqwest::blocking::Client::new();
    let body =
        http.get(format!("{}/v1/quarantine", server.url)).bearer_auth(token(&admin)).send().unwrap().bytes().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list[0]["rule"], "R8");
    let denied = http.get(format!("{}/v1/quarantine", server.url)).bearer_auth(token(&wang)).send().unwrap();
    assert_eq!(denied.status().as_u16(), 403);
    // Nobody else sees it.
    chen.sync();
    let h = chen.store.hazard("sup-chen", &id).unwrap();
    assert_eq!(h.history.len(), 1);
}

#[test]
fn claiming_another_role_or_another_device_is_refused() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let li = Tablet::enroll(&server, "tab-li", "insp-li");
    let id = report(&wang, &demo::credit_code(1), "insp-li");
    wang.sync();
    // The event claims to come from the supervisor.
    let fake = Actor { person: demo::person_by_id("sup-chen").unwrap(), device_id: "tab-wang".into() };
    let resp = upload_crafted(
        &server,
        &wang,
        &id,
        wang.store.actor_hex(),
        fake,
        Action::Review { approve: true, opinion: "x".into() },
    );
    assert_eq!(resp.refused[0].rule, "R1");
    // Signed with the actor id of another device.
    let me = Actor { person: demo::person_by_id("insp-wang").unwrap(), device_id: "tab-wang".into() };
    let resp =
        upload_crafted(&server, &wang, &id, li.store.actor_hex(), me.clone(), Action::Escalate { note: "x".into() });
    assert_eq!(resp.refused[0].rule, "actor");
    // The inspector's role with a township the registry does not give.
    let mut wider = me;
    wider.person.townships.push("周市镇".into());
    let resp = upload_crafted(
        &server,
        &wang,
        &id,
        wang.store.actor_hex(),
        wider,
        Action::Edit(Edit { location: Some("x".into()), ..Edit::default() }),
    );
    assert_eq!(resp.refused[0].rule, "R2");
    assert_eq!(quarantine(&server).len(), 3);
}

#[test]
fn an_out_of_scope_record_is_refused_and_the_tablet_keeps_it_and_syncs_the_rest() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let zhao = Tablet::enroll(&server, "tab-zhao", "sup-zhao");
    let inside = report(&wang, &demo::credit_code(1), "insp-li");
    // Then the tablet's copy of the registry is tampered with (modified
    // software writes it directly): 周市镇 added.
    let mut me = wang.store.person("insp-wang").unwrap();
    me.townships.push("周市镇".into());
    let forged = paicha_core::sync::wire::ReferenceData {
        version: 0,
        people: vec![me, demo::person_by_id("insp-sun").unwrap()],
        enterprises: vec![demo::enterprises()[3].clone()],
        policy: wang.store.policy().unwrap(),
        templates: vec![],
    };
    wang.store.apply_reference(&forged).unwrap();
    let outside = report(&wang, &demo::credit_code(4), "insp-sun");
    let r = wang.sync();
    assert_eq!(r.refused.len(), 1);
    assert_eq!(r.refused[0].0, outside);
    assert_eq!(r.refused[0].1, "R2");
    // The refused edit is kept and shown; the record left the lists; the other one synced.
    let kept = wang.store.refused_edits().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].events.as_array().unwrap().len(), 1);
    assert!(wang.store.hazard("insp-wang", &outside).is_err());
    zhao.sync();
    assert!(zhao.store.list_hazards("sup-zhao", &Default::default(), t("2026-11-03")).unwrap().is_empty());
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    chen.sync();
    assert_eq!(chen.store.hazard("sup-chen", &inside).unwrap().history.len(), 1);
    // Nothing is left pending: the next sync is a no-op.
    let again = wang.sync();
    assert_eq!((again.progress.docs_up, again.progress.requests), (0, 1));
}

#[test]
fn a_replayed_upload_is_stored_once() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let id = report(&wang, &demo::credit_code(1), "insp-li");
    let uploads = wang.store.pending_uploads(1 << 20).unwrap();
    let req = SyncRequest { cursor: 0, reference_version: 0, uploads, page_size: 10, device_time: None };
    let first: SyncResponse = wire::decode(&post(&server, Some(&token(&wang)), wire::encode(&req)).1).unwrap();
    let second: SyncResponse = wire::decode(&post(&server, Some(&token(&wang)), wire::encode(&req)).1).unwrap();
    // Same record, same heads; the replay added no event, so it has no new receipt.
    assert_eq!(first.accepted[0].doc_id, second.accepted[0].doc_id);
    assert_eq!(first.accepted[0].heads, second.accepted[0].heads);
    assert_eq!(first.accepted[0].receipts.len(), 1);
    assert!(second.accepted[0].receipts.is_empty());
    let chen = Tablet::enroll(&server, "tab-chen", "sup-chen");
    let r = chen.sync();
    assert_eq!(r.progress.docs_down, 1);
    assert_eq!(chen.store.hazard("sup-chen", &id).unwrap().history.len(), 1);
    assert!(quarantine(&server).is_empty());
}

#[test]
fn malformed_oversized_unauthenticated_and_other_version_requests_are_refused() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    let tok = token(&wang);
    let (status, body) = post(&server, Some(&tok), b"hello".to_vec());
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("not a paicha sync message"));
    let mut v9 = wire::encode(&SyncRequest {
        cursor: 0,
        reference_version: 0,
        uploads: vec![],
        page_size: 1,
        device_time: None,
    });
    v9[3] = 9;
    let (status, body) = post(&server, Some(&tok), v9);
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("version 9"), "{}", String::from_utf8_lossy(&body));
    // An oversized body is refused from its headers, before a byte of it is read;
    // without a valid token the answer is 401 just the same.
    assert_eq!(status_without_body(&server, Some(&tok), 65 * 1024 * 1024), 413);
    assert_eq!(status_without_body(&server, None, 65 * 1024 * 1024), 401);
    assert_eq!(status_without_body(&server, Some("forged"), 1024), 401);
    let ok = wire::encode(&SyncRequest {
        cursor: 0,
        reference_version: 0,
        uploads: vec![],
        page_size: 1,
        device_time: None,
    });
    assert_eq!(post(&server, None, ok.clone()).0, 401);
    assert_eq!(post(&server, Some("forged"), ok).0, 401);
    // Garbage claiming to be Automerge changes.
    let bad = SyncRequest {
        cursor: 0,
        reference_version: 0,
        uploads: vec![DocUpload {
            doc_id: "x".into(),
            kind: "hazard".into(),
            changes: Bytes(b"\x85\x6f\x4a\x83garbage".to_vec()),
        }],
        page_size: 1,
        device_time: None,
    };
    let resp: SyncResponse = wire::decode(&post(&server, Some(&tok), wire::encode(&bad)).1).unwrap();
    assert_eq!(resp.refused[0].rule, "format");
}

#[test]
fn a_revoked_device_is_refused_and_its_uploads_kept() {
    let server = Server::start();
    let wang = Tablet::enroll(&server, "tab-wang", "insp-wang");
    wang.sync();
    server.admin(&["device", "revoke", "--device", "tab-wang"]);
    let id = report(&wang, &demo::credit_code(1), "insp-li");
    let err = wang.try_sync().unwrap_err();
    assert!(matches!(err, paicha_store::Error::Server { status: 403, .. }), "{err}");
    assert!(err.to_string().contains("revoked"));
    assert_eq!(quarantine(&server), vec![("revoked".to_string(), id.clone())]);
    // Still on the tablet, still waiting.
    assert!(wang.store.hazard("insp-wang", &id).is_ok());
    assert!(wang.store.has_pending_uploads().unwrap());
}
