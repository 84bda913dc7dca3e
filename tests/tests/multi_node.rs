//! Two server processes on one PostgreSQL database and one object store
//! (photos, on a real S3 API server) behind a (simulated) load balancer: 24 tablets report, submit evidence and review at the same
//! time, each sync going to whichever node comes next. Afterwards every
//! tablet holds exactly the records of its scope (R2), each with the same
//! history as every other replica, and every event was received once.
//! Needs `PAICHA_TEST_POSTGRES`: `bash scripts/with-postgres.sh cargo test -p paicha-scenarios`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_core::hazard::{Action, Status};
use paicha_core::photo::PhotoRole;
use paicha_core::time::Timestamp;
use paicha_scenarios::{PostgresDatabase, Server, Tablet, S3};
use paicha_store::ServerLink;
use std::collections::{BTreeMap, BTreeSet};

const ROUNDS: usize = 4;

/// (user, how many tablets they carry).
const TABLETS: &[(&str, usize)] = &[
    ("insp-wang", 4),
    ("insp-li", 4),
    ("insp-zhou", 4),
    ("insp-sun", 4),
    ("sup-chen", 2),
    ("sup-zhao", 2),
    ("ent-a", 1),
    ("ent-b", 1),
    ("ent-d", 1),
    ("admin-xu", 1),
];

/// Points the tablet at node `n` for its next sync, keeping its token: what
/// a load balancer does with one address.
fn route(tablet: &Tablet, nodes: &[&Server], n: usize) {
    let link = tablet.store.server_link().unwrap().unwrap();
    let link = ServerLink { url: nodes[n % nodes.len()].url.clone(), token: link.token };
    tablet.store.set_server_link(&link, &tablet.user).unwrap();
}

/// Syncs through node `n`, retrying while the other node holds the record
/// (a 503 after the compare-and-swap's attempts is the one failure allowed).
fn sync_via(tablet: &Tablet, nodes: &[&Server], n: usize) {
    for attempt in 0..10 {
        route(tablet, nodes, n + attempt);
        match tablet.try_sync() {
            Ok(_) => return,
            Err(e) => eprintln!("{}: sync through node {} failed, retrying: {e}", tablet.user, (n + attempt) % 2),
        }
    }
    panic!("{}: sync kept failing", tablet.user);
}

/// What one tablet does in one round, as its user would.
fn work(tablet: &Tablet, round: usize, k: usize) {
    let now = Timestamp::now();
    let user = tablet.user.as_str();
    let me = paicha_core::demo::person_by_id(user).unwrap();
    match me.role {
        paicha_core::people::Role::Inspector => {
            let partner = match user {
                "insp-wang" => "insp-li",
                "insp-li" => "insp-wang",
                "insp-zhou" => "insp-sun",
                _ => "insp-zhou",
            };
            let enterprises: Vec<String> = paicha_core::demo::enterprises()
                .into_iter()
                .filter(|e| me.townships.contains(&e.township))
                .map(|e| e.credit_code)
                .collect();
            for i in 0..2 {
                let photo = tablet.jpeg(&format!("before-{round}-{k}-{i}"));
                let before = tablet.store.import_photo(&photo, PhotoRole::Before, None, None).unwrap();
                let new = paicha_store::NewHazard {
                    enterprise: enterprises[(round + k + i) % enterprises.len()].clone(),
                    before_photos: vec![before],
                    description: Some(format!("{user} 第{round}轮 平板{k} 隐患{i}")),
                    co_inspectors: vec![partner.into()],
                    ..Default::default()
                };
                tablet.store.report_hazard(user, new, now).unwrap();
            }
        }
        paicha_core::people::Role::Enterprise => {
            for h in tablet.store.list_hazards(user, &Default::default(), now).unwrap() {
                if h.status == Status::Rectifying {
                    let photo = tablet.jpeg(&format!("after-{round}-{}", h.id));
                    let after = tablet.store.import_photo(&photo, PhotoRole::After, None, None).unwrap();
                    let evidence = Action::SubmitEvidence {
                        after_photos: vec![after],
                        description: format!("第{round}轮已整改"),
                        rectified_on: None,
                    };
                    tablet.store.act(user, &h.id, evidence, now).unwrap();
                }
            }
        }
        paicha_core::people::Role::Supervisor => {
            for h in tablet.store.list_hazards(user, &Default::default(), now).unwrap() {
                // Two tablets of one supervisor split the queue; concurrent
                // decisions from other nodes are kept as conflicts (R14).
                if h.status == Status::PendingReview && h.id.len() % 2 == k % 2 {
                    let review =
                        Action::Review { approve: round.is_multiple_of(2), opinion: format!("第{round}轮复查") };
                    tablet.store.act(user, &h.id, review, now).unwrap();
                }
            }
        }
        paicha_core::people::Role::DistrictAdmin => {}
    }
}

#[test]
fn two_nodes_on_one_database_serve_24_tablets_that_converge() {
    let db = PostgresDatabase::create();
    let s3 = S3::start();
    s3.create_bucket("photos");
    let env = s3.server_env("s3://photos/district");
    let a = Server::start_postgres_with(&db.url, &env);
    let b = Server::start_postgres_with(&db.url, &env);
    let nodes = [&a, &b];
    let mut tablets: Vec<(Tablet, usize)> = vec![];
    for (user, count) in TABLETS {
        for k in 0..*count {
            // Enrolled through either node: one registry.
            let node = nodes[tablets.len() % 2];
            tablets.push((Tablet::enroll(node, &format!("mn-{user}-{k}"), user), k));
        }
    }
    assert_eq!(tablets.len(), 24);

    std::thread::scope(|s| {
        for (i, (tablet, k)) in tablets.iter().enumerate() {
            let nodes = &nodes;
            s.spawn(move || {
                for round in 0..ROUNDS {
                    work(tablet, round, *k);
                    sync_via(tablet, nodes, i + round);
                }
            });
        }
    });
    // Everyone syncs until nothing new arrives, through both nodes.
    for pass in 0..3 {
        for (i, (tablet, _)) in tablets.iter().enumerate() {
            sync_via(tablet, &nodes, i + pass);
        }
    }

    let now = Timestamp::now();
    let (admin, _) = tablets.iter().find(|(t, _)| t.user == "admin-xu").unwrap();
    let all = admin.store.list_hazards("admin-xu", &Default::default(), now).unwrap();
    let inspector_tablets = TABLETS.iter().filter(|(u, _)| u.starts_with("insp-")).map(|(_, n)| n).sum::<usize>();
    assert_eq!(all.len(), inspector_tablets * ROUNDS * 2, "every reported hidden danger reached the district");
    let history = |t: &Tablet, id: &str| -> Vec<String> {
        t.store.history(&t.user, id).unwrap().into_iter().map(|e| e.event_id).collect()
    };
    let truth: BTreeMap<String, Vec<String>> = all.iter().map(|h| (h.id.clone(), history(admin, &h.id))).collect();
    let mut events = 0;
    for (id, h) in &truth {
        let unique: BTreeSet<&String> = h.iter().collect();
        assert_eq!(unique.len(), h.len(), "{id}: an event twice in its history");
        events += h.len();
    }
    assert!(all.iter().any(|h| h.status != Status::Rectifying), "evidence and reviews went through the two nodes");

    // Every tablet: exactly the records of its scope, with the same histories.
    for (tablet, _) in &tablets {
        let me = paicha_core::demo::person_by_id(&tablet.user).unwrap();
        let mine: BTreeSet<String> = tablet
            .store
            .list_hazards(&tablet.user, &Default::default(), now)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect();
        let expected: BTreeSet<String> =
            all.iter().filter(|h| me.in_scope(&h.enterprise, &h.township)).map(|h| h.id.clone()).collect();
        assert_eq!(mine, expected, "{} sees its scope", tablet.user);
        for id in &mine {
            assert_eq!(&history(tablet, id), &truth[id], "{} has {id}'s whole history", tablet.user);
        }
        assert!(tablet.store.refused_edits().unwrap().is_empty(), "{}: nothing refused", tablet.user);
        // Every photo of its records arrived, whichever node took it, intact.
        assert!(tablet.store.photos_wanted().unwrap().is_empty(), "{}: photos missing", tablet.user);
        assert!(tablet.store.photos_to_upload().unwrap().is_empty(), "{}: photos not uploaded", tablet.user);
        assert!(tablet.store.verify_photos().unwrap().is_empty(), "{}: photos damaged", tablet.user);
    }

    // The database holds every event once, and each record's summary.
    let mut pg = db.client();
    let count = |pg: &mut postgres::Client, sql: &str| -> i64 { pg.query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(count(&mut pg, "SELECT COUNT(*) FROM receipts") as usize, events);
    assert_eq!(count(&mut pg, "SELECT COUNT(*) FROM documents") as usize, truth.len());
    assert_eq!(count(&mut pg, "SELECT COUNT(*) FROM summaries") as usize, truth.len());
    assert_eq!(count(&mut pg, "SELECT COUNT(*) FROM quarantine"), 0);
    // The operator sees the same open records from either node's database.
    let open = all.iter().filter(|h| h.status.is_open()).count();
    let conflicts: usize = all.iter().map(|h| h.open_conflicts as usize).sum();
    assert_eq!(a.admin(&["conflicts"]).as_array().unwrap().len(), conflicts);
    let missing = std::process::Command::new(paicha_scenarios::bin("paicha-server"))
        .args(["--database", &db.url, "--json", "missing-photos"])
        .arg("--data")
        .arg(b.data.path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&missing.stdout).trim(), "[]", "{}", String::from_utf8_lossy(&missing.stderr));
    println!("multi_node: 2 nodes, {} tablets, {} records, {events} events, {open} open", tablets.len(), truth.len());
}
