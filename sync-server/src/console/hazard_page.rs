//! The page of one hidden danger: its case file (执法案卷) with every fact,
//! the before and after photos side by side, and the full history, each
//! event with its person, role, device, device time and the server's
//! receipt time (R1); printable (print CSS hides navigation and forms). The
//! forms a person's role can use are below it; every form posts to
//! [`act`] (or [`evidence`] for photos), which hands the action to
//! [`super::actions::act`]: the rules decide, not the form.

use super::actions::{self, hazard_in_scope, Outcome};
use super::forms::{self, action_name, colour_name, escalation_text, level_name, listing_name, status_name};
use super::pages::{self, page, role_name, when, Notice, Viewer};
use super::{blocking, form, html_page, see_other, signed_in, ConsoleError, ConsoleState};
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use paicha_core::hazard::{Action, Hazard, HistoryEntry, Level, Status};
use paicha_core::people::Role;
use paicha_core::photo::{PhotoRef, PhotoRole};
use paicha_core::policy::Policy;
use paicha_core::time::Timestamp;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Largest evidence form (photos included): six photos of the policy's
/// largest size fit (5 MB each by default).
pub const MAX_EVIDENCE_BYTES: usize = 32 * 1024 * 1024;
/// At most this many photos per evidence form.
pub const MAX_EVIDENCE_PHOTOS: usize = 6;

/// A hidden danger with what its page needs besides the record.
pub struct CaseFile {
    /// The record, folded.
    pub hazard: Hazard,
    /// The orders listing it and their review opinions (§4).
    pub documents: (Vec<paicha_core::summary::OrderSummary>, Vec<paicha_core::documents::ReviewOpinion>),
    /// The server's receipt time of each event (R1).
    pub receipts: HashMap<String, Timestamp>,
    /// The policy (escalation on the server's clock).
    pub policy: Policy,
    /// The server's time of the page.
    pub now: Timestamp,
}

/// Loads the case file of `id` for `person` (404 when out of scope, R2).
pub fn load(
    storage: &dyn crate::storage::Storage,
    person: &paicha_core::people::Person,
    id: &str,
    now: Timestamp,
) -> Result<CaseFile, ConsoleError> {
    let (hazard, _) = hazard_in_scope(storage, person, id)?;
    let receipts = storage.receipts_for(id)?.into_iter().map(|(e, t)| (e, Timestamp(t))).collect();
    let documents = super::documents_page::documents_of_hazard(storage, person, &hazard.enterprise.credit_code, id)?;
    Ok(CaseFile { hazard, documents, receipts, policy: storage.policy()?, now })
}

/// A photo as an image in scope of the viewer (served by [`photo`]).
pub fn photo_figure(p: &PhotoRef, caption: &str) -> Markup {
    html! {
        figure.photo {
            a href=(format!("/photos/{}", p.sha256)) {
                img src=(format!("/photos/{}", p.sha256)) alt=(caption) loading="lazy";
            }
            figcaption { (caption) @if let Some(t) = p.captured_at { "，拍摄于 " (when(t)) } }
        }
    }
}

/// Before and after photos side by side.
pub fn photos_side_by_side(h: &Hazard) -> Markup {
    let after: Vec<&PhotoRef> = h.evidence.iter().flat_map(|e| e.after_photos.iter()).collect();
    html! {
        div.photos {
            section.before aria-label="整改前照片" {
                h3 { "整改前" }
                @if h.before_photos.is_empty() { p.hint { "没有整改前照片。" } }
                @for (i, p) in h.before_photos.iter().enumerate() { (photo_figure(p, &format!("整改前照片 {}", i + 1))) }
            }
            section.after aria-label="整改后照片" {
                h3 { "整改后" }
                @if after.is_empty() { p.hint { "还没有整改后照片。" } }
                @for (i, p) in after.iter().enumerate() { (photo_figure(p, &format!("整改后照片 {}", i + 1))) }
            }
        }
    }
}

fn hidden(v: &Viewer<'_>, action: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(v.csrf);
        input type="hidden" name="action" value=(action);
    }
}

/// The review form (approve or reject with an opinion, R8), also used in the
/// review queue; `key` makes the control ids unique on a page.
pub fn review_form(v: &Viewer<'_>, h: &Hazard, key: &str) -> Markup {
    let id = format!("opinion-{key}");
    html! {
        form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label=(format!("复查 {}", h.description)) {
            input type="hidden" name="csrf" value=(v.csrf);
            p {
                label for=(id) { "复查意见" }
                textarea id=(id) name="opinion" rows="2" maxlength="4000" {}
            }
            p.buttons {
                button type="submit" name="action" value="review_approve" { "通过复查（销号）" }
                button.danger type="submit" name="action" value="review_reject" { "退回整改" }
            }
        }
    }
}

/// The verification form of the district (核销, R11).
pub fn verify_form(v: &Viewer<'_>, h: &Hazard, key: &str) -> Markup {
    let id = format!("vopinion-{key}");
    html! {
        form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label=(format!("核销 {}", h.description)) {
            input type="hidden" name="csrf" value=(v.csrf);
            p { label for=(id) { "核销意见" } textarea id=(id) name="opinion" rows="2" maxlength="4000" {} }
            p.buttons {
                button type="submit" name="action" value="verify_approve" { "核销" }
                button.danger type="submit" name="action" value="verify_reject" { "不予核销，退回整改" }
            }
        }
    }
}

/// The extension decision form (R9).
pub fn extension_form(v: &Viewer<'_>, h: &Hazard, key: &str) -> Markup {
    let Some(ext) = h.open_extension() else { return html! {} };
    html! {
        form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label="延期审批" {
            input type="hidden" name="csrf" value=(v.csrf);
            p { "企业申请延期至 " strong { (ext.proposed_deadline) } "，理由：" (ext.reason) }
            p {
                label for=(format!("nd-{key}")) { "新的整改期限" }
                input id=(format!("nd-{key}")) type="date" name="new_deadline" value=(ext.proposed_deadline);
            }
            p { label for=(format!("er-{key}")) { "审批理由" } input id=(format!("er-{key}")) type="text" name="reason" maxlength="4000"; }
            p.buttons {
                button type="submit" name="action" value="extension_grant" { "批准延期" }
                button.danger type="submit" name="action" value="extension_refuse" { "不批准" }
            }
        }
    }
}

fn text_form(v: &Viewer<'_>, h: &Hazard, action: &str, title: &str, label: &str, field: &str, button: &str) -> Markup {
    let id = format!("{action}-{field}");
    html! {
        form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label=(title) {
            (hidden(v, action))
            p { label for=(id) { (label) } input id=(id) type="text" name=(field) maxlength="4000"; }
            p { button type="submit" { (button) } }
        }
    }
}

/// The forms `v`'s role may use on `h`. Offering a form is convenience;
/// whether the action is allowed is decided when it is posted.
pub fn action_forms(v: &Viewer<'_>, h: &Hazard) -> Markup {
    let role = v.person.role;
    let open = h.status.is_open();
    let conflict_ids: Vec<String> = h.open_conflicts().map(|c| c.event_id.clone()).collect();
    html! {
        section.actions aria-labelledby="actions-title" {
            h2 #actions-title { "操作" }
            @if role == Role::Supervisor && h.status == Status::PendingReview { h3 { "复查" } (review_form(v, h, "page")) }
            @if role == Role::DistrictAdmin && h.status == Status::PendingVerification { h3 { "核销" } (verify_form(v, h, "page")) }
            @if matches!(role, Role::Supervisor | Role::DistrictAdmin) && h.open_extension().is_some() { h3 { "延期审批" } (extension_form(v, h, "page")) }
            @if matches!(role, Role::Supervisor | Role::DistrictAdmin) && !conflict_ids.is_empty() {
                h3 { "处理冲突" }
                form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label="处理冲突" {
                    (hidden(v, "resolve_conflict"))
                    input type="hidden" name="events" value=(conflict_ids.join(","));
                    p { label for="conflict-note" { "处理意见（说明以哪一方为准、为什么）" } textarea #conflict-note name="note" rows="2" maxlength="4000" {} }
                    p { button type="submit" { "记录处理意见" } }
                }
            }
            @if matches!(role, Role::Supervisor | Role::DistrictAdmin) && open && h.level == Level::General {
                h3 { "升为重大隐患" }
                form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label="升为重大隐患" {
                    (hidden(v, "change_level"))
                    input type="hidden" name="level" value="major";
                    p { label for="level-reason" { "升级理由" } input #level-reason type="text" name="reason" maxlength="4000"; }
                    p { button type="submit" { "升为重大" } }
                }
            }
            @if role == Role::DistrictAdmin && open && h.level == Level::Major {
                h3 { "挂牌督办" }
                form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label="挂牌督办" {
                    (hidden(v, "list"))
                    p {
                        label for="listing" { "挂牌级别" }
                        select #listing name="listing" { option value="county" { "县级" } option value="city" { "市级" } option value="province" { "省级" } }
                    }
                    p { label for="list-reason" { "理由" } input #list-reason type="text" name="reason" maxlength="4000"; }
                    p { button type="submit" { "挂牌督办" } }
                }
                h3 { "停产停业" }
                form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label="停产停业" {
                    (hidden(v, "suspend"))
                    p { label for="from" { "停产起始日" } input #from type="date" name="from"; }
                    p { label for="until" { "停产截止日" } input #until type="date" name="until"; }
                    p { label for="suspend-reason" { "理由" } input #suspend-reason type="text" name="reason" maxlength="4000"; }
                    p { button type="submit" { "责令停产停业" } }
                }
            }
            @if matches!(role, Role::Supervisor) && open {
                h3 { "撤销误录记录" }
                (text_form(v, h, "void", "撤销误录记录", "撤销理由", "reason", "撤销"))
            }
            @if role == Role::Enterprise && h.status == Status::Rectifying {
                h3 { "提交整改材料" }
                form.act method="post" action=(format!("/hazards/{}/evidence", h.id)) enctype="multipart/form-data" aria-label="提交整改材料" {
                    input type="hidden" name="csrf" value=(v.csrf);
                    p { label for="ev-desc" { "整改情况说明" } textarea #ev-desc name="description" rows="3" maxlength="4000" required {} }
                    p { label for="ev-date" { "整改完成日期" } input #ev-date type="date" name="rectified_on"; }
                    p {
                        label for="ev-photos" { "整改后照片（JPEG，每张不超过 5 MB，最多 6 张）" }
                        input #ev-photos type="file" name="photos" accept="image/jpeg" multiple required;
                    }
                    p { button type="submit" { "提交整改材料" } }
                }
                h3 { "申请延期" }
                form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label="申请延期" {
                    (hidden(v, "request_extension"))
                    p { label for="ext-date" { "申请延期至" } input #ext-date type="date" name="proposed_deadline" required; }
                    p { label for="ext-reason" { "延期理由" } input #ext-reason type="text" name="reason" maxlength="4000" required; }
                    p { button type="submit" { "申请延期" } }
                }
            }
            @if role == Role::Enterprise && open && h.level == Level::Major {
                h3 { "治理方案（重大隐患）" }
                form.act method="post" action=(format!("/hazards/{}/act", h.id)) aria-label="治理方案" {
                    (hidden(v, "submit_plan"))
                    @for (name, label) in [
                        ("objectives", "治理的目标和任务"), ("methods", "采取的方法和措施"),
                        ("funds_and_materials", "经费和物资的落实"), ("responsible", "负责治理的机构和人员"),
                        ("time_limits", "治理的时限和要求"), ("safety_and_emergency", "安全措施和应急预案"),
                    ] {
                        p { label for=(format!("plan-{name}")) { (label) } textarea id=(format!("plan-{name}")) name=(name) rows="2" maxlength="4000" {} }
                    }
                    p { label for="plan-auth" { "向负有安全监管职责的部门报告日期" } input #plan-auth type="date" name="reported_to_authority_on"; }
                    p { label for="plan-work" { "向职工大会或职工代表大会报告日期" } input #plan-work type="date" name="reported_to_workforce_on"; }
                    p { button type="submit" { "提交治理方案" } }
                }
                @if h.resumption_requested_at.is_none() {
                    (text_form(v, h, "request_resumption", "申请复产", "复产申请说明", "note", "申请复产（区里须在 10 日内核销）"))
                }
            }
        }
    }
}

fn history_row(e: &HistoryEntry, received: Option<Timestamp>) -> Markup {
    html! {
        tr {
            td { (when(e.at)) }
            td { @match received { Some(t) => (when(t)), None => "—" } }
            td { (e.person_name) "（" (e.person_id) "）" }
            td { (role_name(e.role)) }
            td { (e.device_id) }
            td { (action_name(&e.action)) }
            td { (e.summary) @if let Some(n) = &e.note { br; small { (n) } } }
            td { @if e.applied { "已生效" } @else { "未生效" } }
            td { (status_name(e.status_after)) }
        }
    }
}

/// Open conflicts between concurrent decisions (R14), both sides shown.
pub fn case_file_conflicts(h: &Hazard) -> Markup {
    html! {
    @if h.open_conflicts().next().is_some() {
        section.conflicts aria-labelledby="conflict-title" {
            h2 #conflict-title { "待处理的冲突（R14）" }
            @for cf in h.open_conflicts() {
                div.conflict {
                    p { (cf.message) }
                    div.sides {
                        @for id in std::iter::once(&cf.event_id).chain(cf.concurrent_with.iter()) {
                            @if let Some(e) = h.history.iter().find(|e| &e.event_id == id) {
                                div.side {
                                    p { strong { (action_name(&e.action)) } }
                                    p { (e.person_name) "（" (role_name(e.role)) "，" (e.device_id) "）" }
                                    p { (when(e.at)) }
                                    p { (e.summary) }
                                    p { @if e.applied { "已生效" } @else { "未生效" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    }
}

/// The case file: facts, photos, evidence, extensions, conflicts, history.
pub fn case_file(c: &CaseFile) -> Markup {
    let h = &c.hazard;
    let esc = h.escalation(c.now, &c.policy);
    html! {
        table.facts {
            caption { "基本情况" }
            tbody {
                tr { th scope="row" { "编号" } td { (h.id) } }
                tr { th scope="row" { "企业" } td { (h.enterprise.name) "（" (h.enterprise.credit_code) "）" } }
                tr { th scope="row" { "镇街 / 网格" } td { (h.enterprise.township) " / " (h.enterprise.grid) } }
                tr { th scope="row" { "风险等级" } td { (colour_name(h.enterprise.risk_colour)) } }
                tr { th scope="row" { "行业" } td { (h.sector) } }
                tr { th scope="row" { "隐患等级" } td { (level_name(h.level)) } }
                tr { th scope="row" { "状态" } td #status { (status_name(h.status)) } }
                tr { th scope="row" { "部位" } td { (h.location) } }
                tr { th scope="row" { "隐患描述" } td #description { (h.description) } }
                tr { th scope="row" { "整改措施" } td { (h.required_measures) } }
                tr { th scope="row" { "责任人" } td { (h.responsible_person) } }
                tr { th scope="row" { "依据" } td { (h.legal_basis) } }
                tr { th scope="row" { "整改指令日期" } td { (h.order_date) } }
                tr { th scope="row" { "整改期限" } td { (h.deadline) @if h.deadline != h.original_deadline { "（原期限 " (h.original_deadline) "）" } } }
                tr { th scope="row" { "督办（按服务器时间）" } td #escalation { (escalation_text(&esc)) } }
                @if let Some(l) = h.listing { tr { th scope="row" { "挂牌督办" } td { (listing_name(l)) } } }
                @if let Some((from, until)) = h.suspension { tr { th scope="row" { "停产停业" } td { (from) " 至 " (until) } } }
                @if let Some(t) = h.resumption_requested_at {
                    tr { th scope="row" { "申请复产" } td { (when(t)) @if let Some(d) = h.verification_due(&c.policy) { "，核销期限 " (d) } } }
                }
                @if let Some(r) = &h.void_reason { tr { th scope="row" { "撤销理由" } td { (r) } } }
            }
        }
        section aria-labelledby="photos-title" {
            h2 #photos-title { "照片" }
            (photos_side_by_side(h))
        }
        @if !h.evidence.is_empty() {
            section aria-labelledby="evidence-title" {
                h2 #evidence-title { "整改材料" }
                ul.evidence {
                    @for e in &h.evidence {
                        li { (when(e.at)) "，" (e.by) "：" span.evidence-text { (e.description) }
                            @if let Some(d) = e.rectified_on { "（" (d) " 完成）" } }
                    }
                }
            }
        }
        @if let Some(p) = &h.plan {
            section aria-labelledby="plan-title" {
                h2 #plan-title { "治理方案" }
                table.facts { tbody {
                    tr { th scope="row" { "目标和任务" } td { (p.objectives) } }
                    tr { th scope="row" { "方法和措施" } td { (p.methods) } }
                    tr { th scope="row" { "经费和物资" } td { (p.funds_and_materials) } }
                    tr { th scope="row" { "机构和人员" } td { (p.responsible) } }
                    tr { th scope="row" { "时限和要求" } td { (p.time_limits) } }
                    tr { th scope="row" { "安全措施和应急预案" } td { (p.safety_and_emergency) } }
                } }
            }
        }
        @if !h.extensions.is_empty() {
            section aria-labelledby="ext-title" {
                h2 #ext-title { "延期" }
                ul { @for e in &h.extensions {
                    li { (when(e.requested_at)) " 申请延期至 " (e.proposed_deadline) "：" (e.reason) "；"
                        @match &e.decision {
                            None => "待审批",
                            Some(d) if d.granted => { "已批准" @if let Some(n) = d.new_deadline { "，新期限 " (n) } },
                            Some(d) => { "不批准：" (d.reason) },
                        }
                    }
                } }
            }
        }
        (case_file_conflicts(h))
        section aria-labelledby="history-title" {
            h2 #history-title { "全部记录（执法案卷）" }
            table.list.history {
                thead { tr {
                    th scope="col" { "设备时间" } th scope="col" { "服务器接收时间" } th scope="col" { "人员" }
                    th scope="col" { "角色" } th scope="col" { "设备" } th scope="col" { "操作" }
                    th scope="col" { "内容" } th scope="col" { "是否生效" } th scope="col" { "此后状态" }
                } }
                tbody { @for e in &h.history { (history_row(e, c.receipts.get(&e.event_id).copied())) } }
            }
        }
    }
}

fn render(v: &Viewer<'_>, c: &CaseFile, message: Option<&Notice>) -> Markup {
    let title = format!("隐患：{}", c.hazard.description);
    page(
        v,
        "/hazards",
        &title,
        html! {
            (pages::notice(message))
            p.noprint { button.print type="button" data-print="1" { "打印案卷" } " " a href="/hazards" { "返回隐患列表" } }
            (case_file(c))
            (super::documents_page::documents_section(&c.hazard.id, &c.documents.0, &c.documents.1))
            (action_forms(v, &c.hazard))
        },
    )
}

/// `GET /hazards/{id}`: the case file, for anyone whose scope holds it.
pub async fn show(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    let storage = st.storage.clone();
    blocking(move || {
        let c = load(storage.as_ref(), &who.person, &id, Timestamp::now())?;
        let message =
            q.get("done").map(|a| Notice::Done(format!("已记录：{}。平板下次同步时会收到。", action_name(a))));
        Ok(html_page(StatusCode::OK, render(&who.viewer(), &c, message.as_ref())))
    })
    .await
}

/// The answer to an action: back to the page (303) when stored, the page
/// with the refusal (403) when a rule refused it.
fn answer(
    storage: &dyn crate::storage::Storage,
    who: &super::SignedIn,
    id: &str,
    name: &str,
    outcome: Outcome,
) -> Result<Response, ConsoleError> {
    match outcome {
        Outcome::Done => Ok(see_other(&format!("/hazards/{id}?done={name}"))),
        Outcome::Refused(r) => {
            let c = load(storage, &who.person, id, Timestamp::now())?;
            Ok(html_page(StatusCode::FORBIDDEN, render(&who.viewer(), &c, Some(&Notice::Refused(r.notice())))))
        }
    }
}

/// `POST /hazards/{id}/act`: any action of the page's forms, for any role;
/// the rule function decides (an inspector's "close" is refused by R8).
pub async fn act(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    let f = form(&body);
    who.check_csrf(&f)?;
    let action = forms::action_of(&f)?;
    let storage = st.storage.clone();
    blocking(move || {
        let name = action.name();
        let outcome = actions::act(storage.as_ref(), &who.person, &id, action, Timestamp::now())?;
        answer(storage.as_ref(), &who, &id, name, outcome)
    })
    .await
}

/// A photo uploaded from the browser, checked as the tablet API checks one:
/// JPEG, within the policy's size; identified by its SHA-256.
fn checked_photo(bytes: &[u8], max: u64, n: usize) -> Result<String, ConsoleError> {
    if bytes.len() as u64 > max {
        return Err(ConsoleError::BadForm(format!(
            "第 {n} 张照片有 {:.1} MB，超过每张 {:.1} MB 的上限。",
            bytes.len() as f64 / 1_048_576.0,
            max as f64 / 1_048_576.0
        )));
    }
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(ConsoleError::BadForm(format!("第 {n} 张照片不是 JPEG 图片；请上传 .jpg 照片。")));
    }
    Ok(Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// `POST /hazards/{id}/evidence` (multipart): rectification evidence with
/// after photos (R7). The photos are stored in the photo store only once
/// the action is accepted, so a refusal leaves nothing behind.
pub async fn evidence(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    let Ok(mut multipart) = multipart else {
        return Err(ConsoleError::BadForm("整改材料须用页面上的表单上传（multipart/form-data）。".into()));
    };
    let mut f: HashMap<String, String> = HashMap::new();
    let mut files: Vec<Vec<u8>> = vec![];
    let unreadable = |_| ConsoleError::BadForm("上传没有完整到达或格式不对（可能超过 32 MB），请重试。".into());
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "photos" {
            let bytes = field.bytes().await.map_err(unreadable)?;
            if !bytes.is_empty() {
                files.push(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(unreadable)?;
            f.insert(name, text);
        }
    }
    who.check_csrf(&f)?;
    if files.is_empty() {
        return Err(ConsoleError::BadForm("请至少上传一张整改后照片（JPEG）。".into()));
    }
    if files.len() > MAX_EVIDENCE_PHOTOS {
        return Err(ConsoleError::BadForm(format!("每次最多上传 {MAX_EVIDENCE_PHOTOS} 张照片。")));
    }
    let description = f.get("description").map(|d| d.trim().to_string()).unwrap_or_default();
    let rectified_on = forms::date(&f, "rectified_on", "整改完成日期")?;
    let (storage, blobs) = (st.storage.clone(), st.blobs.clone());
    blocking(move || {
        let now = Timestamp::now();
        let max = storage.policy()?.at(now.cst_date()).max_photo_bytes;
        let mut photos = vec![];
        for (i, bytes) in files.iter().enumerate() {
            let sha256 = checked_photo(bytes, max, i + 1)?;
            photos.push(PhotoRef {
                sha256,
                bytes: bytes.len() as u64,
                role: PhotoRole::After,
                captured_at: None,
                gps: None,
                device_id: actions::web_device_id(&who.person.id),
            });
        }
        let action = Action::SubmitEvidence { after_photos: photos.clone(), description, rectified_on };
        let outcome = actions::act(storage.as_ref(), &who.person, &id, action, now)?;
        if outcome == Outcome::Done {
            for (p, bytes) in photos.iter().zip(&files) {
                blobs.put(&p.sha256, bytes).map_err(|e| ConsoleError::Internal(e.to_string()))?;
            }
        }
        answer(storage.as_ref(), &who, &id, "submit_evidence", outcome)
    })
    .await
}

/// `GET /photos/{sha256}`: a photo, only if a record in the signed-in
/// person's scope refers to it (the tablet API's check,
/// `Storage::photo_in_scope`); otherwise 404, as for a photo that is absent.
pub async fn photo(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Path(sha256): Path<String>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(ConsoleError::NotFound);
    }
    let (storage, blobs) = (st.storage.clone(), st.blobs.clone());
    blocking(move || {
        if !storage.photo_in_scope(&sha256, &who.person)? {
            return Err(ConsoleError::NotFound);
        }
        let bytes = blobs.get(&sha256, 0).map_err(|e| ConsoleError::Internal(e.to_string()))?;
        let Some(bytes) = bytes else { return Err(ConsoleError::NotFound) };
        Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=3600")], bytes)
            .into_response())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_jpegs_within_the_limit_pass() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        let sha = checked_photo(&jpeg, 100, 1).unwrap();
        assert_eq!(sha.len(), 64);
        assert!(
            matches!(checked_photo(b"GIF89a", 100, 2), Err(ConsoleError::BadForm(m)) if m.contains("第 2 张") && m.contains("JPEG"))
        );
        assert!(matches!(checked_photo(&jpeg, 3, 1), Err(ConsoleError::BadForm(m)) if m.contains("上限")));
    }
}
