//! Lists read from the summaries stored with each record
//! (`Storage::summaries`, within the viewer's scope, R2): the hidden
//! dangers of a person's scope (an enterprise's own), the supervisor's
//! review queue and extension requests, records with conflicting decisions
//! (R14), the overdue and due-soon board with escalation levels on the
//! server's clock (R10, `HazardSummary::escalation`), and the district's
//! verification queue (R11). Only the few records a queue shows in full are
//! loaded and folded.

use super::forms::{escalation_rank, escalation_text, level_name, status_name};
use super::hazard_page::{self, extension_form, photos_side_by_side, review_form, verify_form};
use super::pages::{page, when, Viewer};
use super::{blocking, html_page, signed_in, ConsoleError, ConsoleState};
use crate::storage::{Storage, SummaryQuery};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{html, Markup};
use paicha_core::hazard::{Escalation, Status};
use paicha_core::kinds::DocKind;
use paicha_core::people::{Person, Role};
use paicha_core::policy::Policy;
use paicha_core::summary::{HazardSummary, Summary};
use paicha_core::time::Timestamp;
use std::collections::HashMap;

/// Records a queue shows in full (photos, evidence, forms) per page; the
/// rest are counted and reached by the next page.
pub const FULL_PER_PAGE: usize = 20;
/// Rows a list shows per page.
pub const ROWS_PER_PAGE: usize = 200;

/// The hidden-danger summaries `person` may see, narrowed.
pub fn hazards_in_scope(
    storage: &dyn Storage,
    person: &Person,
    statuses: &[Status],
    open_conflicts: bool,
) -> Result<Vec<HazardSummary>, ConsoleError> {
    let q = SummaryQuery { viewer: Some(person), statuses, open_conflicts, ..SummaryQuery::all(DocKind::Hazard) };
    Ok(storage
        .summaries(&q)?
        .into_iter()
        .filter_map(|s| match s {
            Summary::Hazard(h) => Some(h),
            _ => None,
        })
        .collect())
}

fn page_no(q: &HashMap<String, String>) -> usize {
    q.get("page").and_then(|p| p.parse::<usize>().ok()).filter(|p| *p >= 1).unwrap_or(1)
}

/// The records of page `page` of a queue, each loaded in full (photos,
/// evidence, history) for its form; the other pages stay summaries.
fn cases_on_page(
    storage: &dyn Storage,
    person: &Person,
    list: &[HazardSummary],
    page: usize,
    now: Timestamp,
) -> Result<Vec<hazard_page::CaseFile>, ConsoleError> {
    list.iter()
        .skip((page - 1) * FULL_PER_PAGE)
        .take(FULL_PER_PAGE)
        .map(|s| hazard_page::load(storage, person, &s.id, now))
        .collect()
}

fn pager(path: &str, page: usize, total: usize, per: usize) -> Markup {
    let pages = total.div_ceil(per).max(1);
    html! {
        @if pages > 1 {
            nav.pager aria-label="分页" {
                @if page > 1 { a href=(format!("{path}?page={}", page - 1)) { "上一页" } " " }
                span { "第 " (page) " / " (pages) " 页，共 " (total) " 条" }
                @if page < pages { " " a href=(format!("{path}?page={}", page + 1)) { "下一页" } }
            }
        }
    }
}

/// A table of summaries with deadlines and escalation at `now`.
pub fn summary_table(list: &[HazardSummary], now: Timestamp, policy: &Policy, caption: &str) -> Markup {
    html! {
        table.list {
            caption { (caption) }
            thead { tr {
                th scope="col" { "隐患" } th scope="col" { "企业" } th scope="col" { "镇街" } th scope="col" { "等级" }
                th scope="col" { "状态" } th scope="col" { "整改期限" } th scope="col" { "督办（服务器时间）" }
            } }
            tbody {
                @for h in list {
                    tr data-hazard=(h.id) {
                        td { a href=(format!("/hazards/{}", h.id)) { (h.description) } }
                        td { (h.enterprise_name) }
                        td { (h.township) }
                        td { (level_name(h.level)) }
                        td { (status_name(h.status)) }
                        td { (h.deadline) }
                        td { (escalation_text(&h.escalation(now, policy))) }
                    }
                }
            }
        }
    }
}

/// What a list page shows: a title, an introduction, the rows and the page number.
struct ListPage<'a> {
    active: &'a str,
    title: &'a str,
    intro: &'a str,
    list: &'a [HazardSummary],
    page_no: usize,
}

fn list_page(v: &Viewer<'_>, l: ListPage<'_>, now: Timestamp, policy: &Policy) -> Markup {
    let ListPage { active, title, intro, list, page_no } = l;
    let shown: Vec<HazardSummary> =
        list.iter().skip((page_no - 1) * ROWS_PER_PAGE).take(ROWS_PER_PAGE).cloned().collect();
    page(
        v,
        active,
        title,
        html! {
            p { (intro) }
            @if list.is_empty() { p.empty { "没有记录。" } } @else {
                (summary_table(&shown, now, policy, title))
                (pager(active, page_no, list.len(), ROWS_PER_PAGE))
            }
        },
    )
}

/// `GET /hazards`: every hidden danger in the person's scope, by deadline
/// (an enterprise sees its own, R2).
pub async fn hazards_page(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    let storage = st.storage.clone();
    blocking(move || {
        let now = Timestamp::now();
        let policy = storage.policy()?;
        let list = hazards_in_scope(storage.as_ref(), &who.person, &[], false)?;
        let (title, intro) = match who.person.role {
            Role::Enterprise => {
                ("本企业隐患", "本企业的全部隐患及整改期限。点开一条隐患可提交整改材料、申请延期或提交治理方案。")
            }
            _ => ("隐患", "管辖范围内的全部隐患，按整改期限排列。"),
        };
        Ok(html_page(
            StatusCode::OK,
            list_page(
                &who.viewer(),
                ListPage { active: "/hazards", title, intro, list: &list, page_no: page_no(&q) },
                now,
                &policy,
            ),
        ))
    })
    .await
}

/// `GET /review`: hidden dangers pending review in the supervisor's
/// townships (R8), each with before and after photos side by side, the
/// evidence, deadline and history, and the review form.
pub async fn review_page(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::Supervisor)?;
    let storage = st.storage.clone();
    blocking(move || {
        let now = Timestamp::now();
        let list = hazards_in_scope(storage.as_ref(), &who.person, &[Status::PendingReview], false)?;
        let p = page_no(&q);
        let cases = cases_on_page(storage.as_ref(), &who.person, &list, p, now)?;
        let v = who.viewer();
        let body = html! {
            p { "本镇街待复查的隐患：核对整改前后照片和整改说明，通过（一般隐患销号，重大隐患报区里核销）或退回整改。" }
            @if list.is_empty() { p.empty { "没有待复查的隐患。" } }
            @for (i, c) in cases.iter().enumerate() {
                article.case aria-labelledby=(format!("case-{i}")) data-hazard=(c.hazard.id) {
                    h2 id=(format!("case-{i}")) { a href=(format!("/hazards/{}", c.hazard.id)) { (c.hazard.description) } }
                    p.meta {
                        (c.hazard.enterprise.name) " · " (level_name(c.hazard.level)) "隐患 · 整改期限 " (c.hazard.deadline)
                        " · " (escalation_text(&c.hazard.escalation(now, &c.policy)))
                    }
                    (photos_side_by_side(&c.hazard))
                    @if let Some(e) = c.hazard.evidence.last() {
                        p.evidence { strong { "整改说明：" } span.evidence-text { (e.description) } " （" (when(e.at)) "）" }
                    }
                    details {
                        summary { "历史（" (c.hazard.history.len()) " 条）" }
                        ol { @for e in &c.hazard.history { li { (when(e.at)) " " (e.person_name) "：" (e.summary) } } }
                    }
                    (review_form(&v, &c.hazard, &i.to_string()))
                }
            }
            (pager("/review", p, list.len(), FULL_PER_PAGE))
        };
        Ok(html_page(StatusCode::OK, page(&v, "/review", "复查队列", body)))
    })
    .await
}

/// `GET /extensions`: open extension requests in scope (R9), each with the
/// decision form.
pub async fn extensions_page(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require_any(&[Role::Supervisor, Role::DistrictAdmin])?;
    let storage = st.storage.clone();
    blocking(move || {
        let now = Timestamp::now();
        let list: Vec<HazardSummary> = hazards_in_scope(storage.as_ref(), &who.person, Status::OPEN, false)?
            .into_iter()
            .filter(|h| h.extension_requested)
            .collect();
        let p = page_no(&q);
        let cases = cases_on_page(storage.as_ref(), &who.person, &list, p, now)?;
        let v = who.viewer();
        let body = html! {
            p { "企业的延期申请：一般隐患限一次、最多 30 天；重大隐患的延期由区里决定。" }
            @if list.is_empty() { p.empty { "没有待审批的延期申请。" } }
            @for (i, c) in cases.iter().enumerate() {
                article.case aria-labelledby=(format!("ext-{i}")) {
                    h2 id=(format!("ext-{i}")) { a href=(format!("/hazards/{}", c.hazard.id)) { (c.hazard.description) } }
                    p.meta { (c.hazard.enterprise.name) " · 现期限 " (c.hazard.deadline) }
                    (extension_form(&v, &c.hazard, &i.to_string()))
                }
            }
            (pager("/extensions", p, list.len(), FULL_PER_PAGE))
        };
        Ok(html_page(StatusCode::OK, page(&v, "/extensions", "延期申请", body)))
    })
    .await
}

/// `GET /conflicts`: records with concurrent decisions waiting for a person
/// (R14); both sides are on each record's page with the resolution form.
pub async fn conflicts_page(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require_any(&[Role::Supervisor, Role::DistrictAdmin])?;
    let storage = st.storage.clone();
    blocking(move || {
        let now = Timestamp::now();
        let list = hazards_in_scope(storage.as_ref(), &who.person, &[], true)?;
        let p = page_no(&q);
        let cases = cases_on_page(storage.as_ref(), &who.person, &list, p, now)?;
        let v = who.viewer();
        let body = html! {
            p { "两人离线时对同一隐患作出了不同决定。两项决定都保留在历史中，各设备按同一规则得出同一状态；请查看双方并记录处理意见。" }
            @if list.is_empty() { p.empty { "没有待处理的冲突。" } }
            @for c in &cases {
                article.case {
                    h2 { a href=(format!("/hazards/{}", c.hazard.id)) { (c.hazard.description) } }
                    (hazard_page::case_file_conflicts(&c.hazard))
                    (hazard_page::action_forms(&v, &c.hazard))
                }
            }
            (pager("/conflicts", p, list.len(), FULL_PER_PAGE))
        };
        Ok(html_page(StatusCode::OK, page(&v, "/conflicts", "冲突", body)))
    })
    .await
}

/// The board's rows: open hidden dangers with an escalation at `now`, most
/// urgent first (district, verification late, township, reminders).
pub fn board(list: Vec<HazardSummary>, now: Timestamp, policy: &Policy) -> Vec<(HazardSummary, Escalation)> {
    let mut rows: Vec<(HazardSummary, Escalation)> = list
        .into_iter()
        .map(|h| {
            let e = h.escalation(now, policy);
            (h, e)
        })
        .filter(|(_, e)| *e != Escalation::None)
        .collect();
    rows.sort_by(|a, b| escalation_rank(&b.1).cmp(&escalation_rank(&a.1)).then(a.0.deadline.cmp(&b.0.deadline)));
    rows
}

/// `GET /overdue`: the overdue and due-soon board (R10) on the server's clock.
pub async fn overdue_page(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require_any(&[Role::Supervisor, Role::DistrictAdmin])?;
    let storage = st.storage.clone();
    blocking(move || {
        let now = Timestamp::now();
        let policy = storage.policy()?;
        let rows = board(hazards_in_scope(storage.as_ref(), &who.person, Status::OPEN, false)?, now, &policy);
        let count = |f: fn(&Escalation) -> bool| rows.iter().filter(|(_, e)| f(e)).count();
        let district = count(|e| matches!(e, Escalation::District { .. } | Escalation::VerificationLate { .. }));
        let township = count(|e| matches!(e, Escalation::Township { .. }));
        let soon = count(|e| matches!(e, Escalation::Reminder { .. }));
        let p = page_no(&q);
        let v = who.viewer();
        let body = html! {
            p { "按服务器时间 " (when(now)) " 计算（R10）：到期前提醒，逾期第一天镇街督办，逾期超过规定天数（重大隐患第一天）报区里。" }
            ul.counts {
                li { "区级督办 " strong #count-district { (district) } }
                li { "镇街督办 " strong #count-township { (township) } }
                li { "即将到期 " strong #count-soon { (soon) } }
            }
            @if rows.is_empty() { p.empty { "没有逾期或即将到期的隐患。" } } @else {
                table.list {
                    caption { "逾期与即将到期" }
                    thead { tr {
                        th scope="col" { "督办级别" } th scope="col" { "隐患" } th scope="col" { "企业" }
                        th scope="col" { "镇街" } th scope="col" { "等级" } th scope="col" { "状态" } th scope="col" { "整改期限" }
                    } }
                    tbody {
                        @for (h, e) in rows.iter().skip((p - 1) * ROWS_PER_PAGE).take(ROWS_PER_PAGE) {
                            tr class=(format!("esc-{}", e.as_str())) data-hazard=(h.id) {
                                td { (escalation_text(e)) }
                                td { a href=(format!("/hazards/{}", h.id)) { (h.description) } }
                                td { (h.enterprise_name) } td { (h.township) } td { (level_name(h.level)) }
                                td { (status_name(h.status)) } td { (h.deadline) }
                            }
                        }
                    }
                }
                (pager("/overdue", p, rows.len(), ROWS_PER_PAGE))
            }
        };
        Ok(html_page(StatusCode::OK, page(&v, "/overdue", "逾期督办", body)))
    })
    .await
}

/// `GET /verification`: major hidden dangers reviewed by their township and
/// waiting for the district's verification (核销, R11), with the 10-day
/// limit after a resumption request.
pub async fn verification_page(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let storage = st.storage.clone();
    blocking(move || {
        let now = Timestamp::now();
        let list = hazards_in_scope(storage.as_ref(), &who.person, &[Status::PendingVerification], false)?;
        let p = page_no(&q);
        let cases = cases_on_page(storage.as_ref(), &who.person, &list, p, now)?;
        let v = who.viewer();
        let body = html! {
            p { "镇街复查通过的重大隐患，待区应急管理局核销（两级销号）。企业申请复产后须在规定日数内核销。" }
            @if list.is_empty() { p.empty { "没有待核销的重大隐患。" } }
            @for (i, c) in cases.iter().enumerate() {
                article.case aria-labelledby=(format!("ver-{i}")) {
                    h2 id=(format!("ver-{i}")) { a href=(format!("/hazards/{}", c.hazard.id)) { (c.hazard.description) } }
                    p.meta {
                        (c.hazard.enterprise.name) " · " (c.hazard.enterprise.township)
                        @match c.hazard.verification_due(&c.policy) {
                            Some(d) => { " · 申请复产，核销期限 " strong { (d) } " · " (escalation_text(&c.hazard.escalation(now, &c.policy))) },
                            None => { " · 未申请复产" },
                        }
                    }
                    (photos_side_by_side(&c.hazard))
                    (verify_form(&v, &c.hazard, &i.to_string()))
                }
            }
            (pager("/verification", p, list.len(), FULL_PER_PAGE))
        };
        Ok(html_page(StatusCode::OK, page(&v, "/verification", "核销队列", body)))
    })
    .await
}
