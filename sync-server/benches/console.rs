//! The web console's figures of issue 9: with 10,000 hidden dangers in one
//! township, the review queue, the overdue board and the statistics page
//! rendered by the server (the whole router, in process: session check,
//! storage, rules, template) in at most 50 ms each (median), pages at most
//! 200 KB before photos.
//!
//! The records are made through the real write path
//! (`sync::validate_and_store` for the reports, `console::actions::act` for
//! evidence and reviews), on SQLite in a temporary directory, dated over the
//! last 90 days so that many are overdue. Prints `name value unit` lines.
//!
//! `cargo bench -p paicha-server --bench console` (PAICHA_BENCH_HAZARDS to
//! change the 10,000; PAICHA_BENCH_RUNS the 30 requests per page).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use paicha_core::actions::{draft_report, event_actor, ReportDraft};
use paicha_core::hazard::{next_event, Action};
use paicha_core::kinds::DocKind;
use paicha_core::photo::{PhotoRef, PhotoRole};
use paicha_core::sync::validate::Clocks;
use paicha_core::sync::wire::{Bytes, DocUpload};
use paicha_core::time::Timestamp;
use paicha_server::app::{self, AppState};
use paicha_server::blobs::FsBlobs;
use paicha_server::console::{actions, auth};
use paicha_server::storage::{SqliteStorage, Storage};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

const DAY: i64 = 86_400_000;
const PASSWORD: &str = "bench-password-1";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Reports `n` hidden dangers in 玉山镇 over the last 90 days, then evidence
/// for 40% of them and approvals for half of those.
fn seed(storage: &dyn Storage, n: usize, now: Timestamp) {
    let wang = storage.person("insp-wang").unwrap().unwrap();
    let li = storage.person("insp-li").unwrap().unwrap();
    let chen = storage.person("sup-chen").unwrap().unwrap();
    let policy = storage.policy().unwrap();
    let device = actions::web_device_id("insp-wang");
    let actor_hex = storage.web_device(&device, "insp-wang", &"ab".repeat(16), now).unwrap().actor.unwrap();
    let enterprises: Vec<_> = paicha_core::demo::enterprises().into_iter().filter(|e| e.township == "玉山镇").collect();
    let mut ids = vec![];
    let started = Instant::now();
    for (c, chunk) in (0..n).collect::<Vec<_>>().chunks(100).enumerate() {
        let mut uploads = vec![];
        let at = Timestamp(now.0 - ((c * 7 % 90) as i64 + 1) * DAY);
        for &i in chunk {
            let ent = &enterprises[i % enterprises.len()];
            let ctx = paicha_core::workflow::Context { now: at, policy: &policy, inspection_open: None };
            let draft = ReportDraft {
                location: format!("{}号车间", i % 17),
                description: Some(format!("第{i}项：灭火器压力不足，疏散通道堆放杂物")),
                required_measures: "更换灭火器，清理通道".into(),
                responsible_person: "张安全".into(),
                before_photos: vec![PhotoRef {
                    sha256: format!("{:064x}", i),
                    bytes: 1_000_000,
                    role: PhotoRole::Before,
                    captured_at: Some(at),
                    gps: None,
                    device_id: device.clone(),
                }],
                ..Default::default()
            };
            let action = draft_report(&wang, &device, vec![li.clone()], ent, None, draft, &ctx).unwrap();
            let id = format!("bench-{i:05}");
            let mut doc = paicha_core::doc::RecordDoc::new(DocKind::Hazard, &id, &unhex(&actor_hex)).unwrap();
            doc.add_event(&next_event(&[], format!("r{i}"), at, event_actor(&wang, &device), action)).unwrap();
            uploads.push(DocUpload { doc_id: id.clone(), kind: "hazard".into(), changes: Bytes(doc.save()) });
            ids.push((id, at));
        }
        let refs: Vec<&DocUpload> = uploads.iter().collect();
        let clocks = Clocks { server_now: at, device_offset_ms: Some(0) };
        let c =
            paicha_server::sync::validate_and_store(storage, &device, &actor_hex, &wang, clocks, &refs, at).unwrap();
        assert!(c.refused.is_empty(), "{:?}", c.refused.first().map(|r| &r.message));
    }
    println!("console_seed_reports_s {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    for (k, (id, at)) in ids.iter().enumerate() {
        if k % 5 >= 2 {
            continue;
        }
        let evidence = Action::SubmitEvidence {
            after_photos: vec![PhotoRef {
                sha256: format!("{:064x}", k + n),
                bytes: 1_000_000,
                role: PhotoRole::After,
                captured_at: None,
                gps: None,
                device_id: device.clone(),
            }],
            description: "已更换灭火器，通道已清理".into(),
            rectified_on: None,
        };
        let t = Timestamp(at.0 + DAY / 2);
        assert_eq!(actions::act(storage, &wang, id, evidence, t).unwrap(), actions::Outcome::Done);
        if k % 5 == 1 {
            let review = Action::Review { approve: true, opinion: "整改到位".into() };
            let t = Timestamp(at.0 + DAY);
            assert_eq!(actions::act(storage, &chen, id, review, t).unwrap(), actions::Outcome::Done);
        }
    }
    println!("console_seed_actions_s {:.1} s", started.elapsed().as_secs_f64());
}

async fn get(router: &axum::Router, path: &str, cookie: &str) -> (StatusCode, usize) {
    let req = Request::builder().uri(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, bytes.len())
}

async fn sign_in(router: &axum::Router, login: &str) -> String {
    let req = Request::builder().uri("/login").body(Body::empty()).unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let pre = resp.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let body = String::from_utf8_lossy(&body);
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = &body[at..at + 64];
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("csrf", token), ("login", login), ("password", PASSWORD)])
        .finish();
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::COOKIE, pre)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("paicha_session="))
        .unwrap()
}

fn main() {
    let n: usize = std::env::var("PAICHA_BENCH_HAZARDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let runs: usize = std::env::var("PAICHA_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    for p in paicha_core::demo::people() {
        storage.put_person(&p).unwrap();
    }
    storage.put_enterprises(&paicha_core::demo::enterprises()).unwrap();
    for id in ["sup-chen", "admin-xu"] {
        auth::set_password(storage.as_ref(), id, PASSWORD, Timestamp::now()).unwrap();
    }
    let state = AppState::new(storage.clone(), Arc::new(FsBlobs::new(&dir.path().join("blobs"))));
    seed(storage.as_ref(), n, Timestamp::now());
    let router = app::router(state);
    // What every list pays before rendering: the summaries in scope.
    let chen = storage.person("sup-chen").unwrap().unwrap();
    let mut times = vec![];
    for _ in 0..runs {
        let started = Instant::now();
        let q = paicha_server::storage::SummaryQuery {
            viewer: Some(&chen),
            ..paicha_server::storage::SummaryQuery::all(DocKind::Hazard)
        };
        let n = storage.summaries(&q).unwrap().len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(n > 0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!("console_summaries_in_scope_median_ms {:.1} ms", times[times.len() / 2]);
    // Of which: parsing the summaries' JSON.
    let all = storage.summaries(&paicha_server::storage::SummaryQuery::all(DocKind::Hazard)).unwrap();
    let texts: Vec<String> = all.iter().map(|s| serde_json::to_string(s).unwrap()).collect();
    let mut times = vec![];
    for _ in 0..runs {
        let started = Instant::now();
        let parsed: Vec<paicha_core::summary::Summary> =
            texts.iter().map(|t| serde_json::from_str(t).unwrap()).collect();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(parsed.len(), all.len());
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!("console_summaries_json_parse_median_ms {:.1} ms", times[times.len() / 2]);
    println!("console_summaries_json_bytes {} bytes", texts.iter().map(String::len).sum::<usize>());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let sup = sign_in(&router, "sup-chen").await;
        let admin = sign_in(&router, "admin-xu").await;
        println!("console_hazards {n} hazards");
        for (name, path, cookie) in [
            ("review_queue", "/review", &sup),
            ("overdue_board", "/overdue", &sup),
            ("statistics", "/stats?group=township", &sup),
            ("statistics_by_month", "/stats?group=month", &admin),
            ("hazard_list", "/hazards", &sup),
            ("verification_queue", "/verification", &admin),
        ] {
            let mut times = vec![];
            let mut size = 0;
            for _ in 0..runs {
                let started = Instant::now();
                let (status, bytes) = get(&router, path, cookie).await;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(status, StatusCode::OK, "{path}");
                size = bytes;
            }
            times.sort_by(|a, b| a.total_cmp(b));
            println!("console_{name}_median_ms {:.1} ms", times[times.len() / 2]);
            println!("console_{name}_p95_ms {:.1} ms", times[(times.len() * 95 / 100).min(times.len() - 1)]);
            println!("console_{name}_bytes {size} bytes");
        }
    });
}
