//! The console's plan pages (R16) and due list through the whole router, in
//! process: roles, CSRF, the upload, the stored plan and its publication.

use super::*;

const INPUTS: &str = include_str!("../../../core/tests/golden/plan_small_inputs_v1.json");
const CSV: &str = include_str!("../../../core/tests/golden/plan_small_v1.csv");
const BOUNDARY: &str = "paicha-test-boundary";

impl Fixture {
    /// POSTs a multipart form: text fields, then the inputs file if given.
    async fn upload(&self, path: &str, sid: &str, fields: &[(&str, &str)], inputs: Option<&str>) -> Answer {
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
        }
        if let Some(json) = inputs {
            body.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"inputs\"; filename=\"inputs.json\"\r\n\
                 Content-Type: application/json\r\n\r\n{json}\r\n"
            ));
        }
        body.push_str(&format!("--{BOUNDARY}--\r\n"));
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::HOST, "console.test")
            .header(header::COOKIE, format!("{}={sid}", session::COOKIE))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
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
async fn a_district_admin_draws_a_plan_from_an_uploaded_file_and_publishes_it() {
    let f = fixture();
    let admin = f.sign_in("admin-xu").await;
    let c = [(session::COOKIE, admin.as_str())];
    let page = f.send("GET", "/plans", &c, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("还没有计划") && page.body.contains("enctype=\"multipart/form-data\""));
    let token = page.csrf();

    // Without the token nothing is stored.
    let refused = f.upload("/plans", &admin, &[], Some(INPUTS)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(f.storage.plans().unwrap().is_empty());
    // Other roles may neither see nor make plans.
    let chen = f.sign_in("sup-chen").await;
    assert_eq!(f.send("GET", "/plans", &[(session::COOKIE, &chen)], None).await.status, StatusCode::FORBIDDEN);
    let chen_token = f.send("GET", "/", &[(session::COOKIE, &chen)], None).await.csrf();
    let by_chen = f.upload("/plans", &chen, &[("csrf", &chen_token)], Some(INPUTS)).await;
    assert_eq!(by_chen.status, StatusCode::FORBIDDEN);
    assert!(f.storage.plans().unwrap().is_empty());

    // Drawn, stored and shown.
    let made = f.upload("/plans", &admin, &[("csrf", &token)], Some(INPUTS)).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(made.headers.get(header::LOCATION).unwrap(), "/plans/EX-1");
    let stored = f.storage.plan("EX-1").unwrap().unwrap();
    assert_eq!(stored.created_by, "admin-xu");
    let shown = f.send("GET", "/plans/EX-1", &c, None).await;
    assert_eq!(shown.status, StatusCode::OK);
    for text in ["甲公司", "戊公司", "丙公司", "钱二（C002）", "paicha-example", &stored.plan.plan_sha256]
    {
        assert!(shown.body.contains(text), "{text} missing: {}", shown.body);
    }
    assert!(!shown.body.contains("乙公司"), "not drawn");
    let listed = f.send("GET", "/plans", &c, None).await;
    assert!(listed.body.contains("data-plan=\"EX-1\"") && listed.body.contains(&stored.plan.inputs_sha256));

    // The publication, byte for byte the golden one.
    let csv = f.send("GET", "/plans/EX-1.csv", &c, None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/csv"));
    assert!(csv.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().contains("paicha-plan-EX-1.csv"));
    assert_eq!(csv.body, CSV);

    // The same id again is refused; so are inputs that make no plan. Nothing changes.
    let again = f.upload("/plans", &admin, &[("csrf", &token)], Some(INPUTS)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("EX-1"), "{}", again.body);
    let bad = INPUTS.replace("\"EX-1\"", "\"EX-2\"").replace("\"team_size\": 2", "\"team_size\": 1");
    let bad = f.upload("/plans", &admin, &[("csrf", &token)], Some(&bad)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("R16") && bad.body.contains("team size 1"), "{}", bad.body);
    let empty = f.upload("/plans", &admin, &[("csrf", &token)], None).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(f.storage.plans().unwrap().len(), 1);
    assert_eq!(f.send("GET", "/plans/EX-2", &c, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.send("GET", "/plans/EX-2.csv", &c, None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_due_list_shows_each_viewer_their_scope() {
    let f = fixture();
    let zhoushi = paicha_core::demo::enterprises()[3].name.clone();
    let yushan = paicha_core::demo::enterprises()[0].name.clone();
    let chen = f.sign_in("sup-chen").await;
    let page = f.send("GET", "/due", &[(session::COOKIE, &chen)], None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("应检企业（3）") && page.body.contains(&yushan), "{}", page.body);
    assert!(!page.body.contains(&zhoushi), "another township's enterprise (R2)");
    assert!(page.body.contains("今天到期") && page.body.contains("从未检查"));
    let admin = f.sign_in("admin-xu").await;
    let all = f.send("GET", "/due", &[(session::COOKIE, &admin)], None).await;
    assert!(all.body.contains("应检企业（4）") && all.body.contains(&zhoushi));
    let one = f.send("GET", "/due?township=%E5%91%A8%E5%B8%82%E9%95%87", &[(session::COOKIE, &admin)], None).await;
    assert!(one.body.contains("应检企业（1）") && one.body.contains(&zhoushi), "{}", one.body);
    for who in ["ent-a", "insp-wang"] {
        let sid = f.sign_in(who).await;
        assert_eq!(f.send("GET", "/due", &[(session::COOKIE, &sid)], None).await.status, StatusCode::FORBIDDEN);
    }
}
