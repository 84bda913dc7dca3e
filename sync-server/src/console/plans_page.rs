//! Random inspection plans (双随机一公开, R16) and the routine inspection due
//! list in the console:
//!
//! - `GET /plans` (district admins): the stored plans with their seeds and
//!   hashes, and a form to draw a new plan from an uploaded inputs file
//!   (`POST /plans`, multipart, CSRF as every form);
//! - `GET /plans/{id}`: a plan's selections and teams; `GET /plans/{id}.csv`:
//!   its publication (docs/planning.md §8). Plans are read through
//!   `Storage::plan`, which checks each one again (`planning::verify`);
//! - `GET /due` (supervisors: their township, R2; district admins: all):
//!   the enterprises due for a routine inspection.

use super::forms::colour_name;
use super::pages::{page, when, Notice};
use super::{blocking, html_page, see_other, signed_in, ConsoleError, ConsoleState, SignedIn};
use crate::plans::{self, CreateError};
use crate::storage::{Storage, StorageError, StoredPlan};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use paicha_core::people::Role;
use paicha_core::planning::{self, DueStatus};
use paicha_core::time::Timestamp;
use std::collections::HashMap;

/// A plan id as one path segment: everything but unreserved ASCII percent-encoded.
pub fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A plan id as a download's file name (ASCII letters, digits, `-`, `_`, `.` only).
fn file_name(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}

fn list_body(who: &SignedIn, list: &[StoredPlan], message: Option<&Notice>) -> Markup {
    let v = who.viewer();
    let body = html! {
        (super::pages::notice(message))
        p { "随机抽查计划按公布的随机种子从检查对象名录和执法检查人员名录中抽取，相同的名录、比例和种子得到相同的计划（R16）。计划一经保存不再改变，每次读取时都重新核验。" }
        @if list.is_empty() { p.empty { "还没有计划。" } } @else {
            table.list {
                caption { "随机抽查计划" }
                thead { tr {
                    th scope="col" { "计划编号" } th scope="col" { "名称" } th scope="col" { "检查期间" }
                    th scope="col" { "抽中企业" } th scope="col" { "随机种子" } th scope="col" { "输入SHA-256" }
                    th scope="col" { "计划SHA-256" } th scope="col" { "保存人" } th scope="col" { "保存时间" } th scope="col" { "公示文件" }
                } }
                tbody { @for p in list {
                    @let i = &p.plan.inputs;
                    tr data-plan=(i.plan_id) {
                        td { a href=(format!("/plans/{}", path_segment(&i.plan_id))) { (i.plan_id) } }
                        td { (i.title) } td { (i.period_start) "至" (i.period_end) }
                        td { (p.plan.selections.len()) }
                        td { code { (i.seed) } }
                        td { code.hash { (p.plan.inputs_sha256) } } td { code.hash { (p.plan.plan_sha256) } }
                        td { (p.created_by) } td { (when(p.created_at)) }
                        td { a href=(format!("/plans/{}.csv", path_segment(&i.plan_id))) { "CSV" } }
                    }
                } }
            }
        }
        section aria-labelledby="new-plan" {
            h2 #new-plan { "生成新计划" }
            p.hint { "上传计划输入文件（JSON：计划编号、名称、检查期间、随机种子、检查对象名录、执法检查人员名录、各风险等级抽取比例、每组人数；格式见 docs/planning.md）。随机种子应在名录冻结后由公开事件确定。" }
            form.act method="post" action="/plans" enctype="multipart/form-data" aria-label="生成新计划" {
                input type="hidden" name="csrf" value=(v.csrf);
                p { label for="plan-inputs" { "计划输入文件（JSON）" } input #plan-inputs type="file" name="inputs" accept="application/json,.json" required; }
                p { button type="submit" { "抽取并保存计划" } }
            }
        }
    };
    page(&v, "/plans", "随机抽查计划", body)
}

fn render_list(
    storage: &dyn Storage,
    who: &SignedIn,
    status: StatusCode,
    message: Option<Notice>,
) -> Result<Response, ConsoleError> {
    let list = storage.plans()?;
    Ok(html_page(status, list_body(who, &list, message.as_ref())))
}

/// `GET /plans`.
pub async fn list(State(st): State<ConsoleState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let storage = st.storage.clone();
    blocking(move || render_list(storage.as_ref(), &who, StatusCode::OK, None)).await
}

/// `POST /plans` (multipart: `csrf`, `inputs`): draws the plan and stores it.
pub async fn create(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let Ok(mut multipart) = multipart else {
        return Err(ConsoleError::BadForm("计划输入须用页面上的表单上传（multipart/form-data）。".into()));
    };
    let unreadable = |_| ConsoleError::BadForm("上传没有完整到达或格式不对（文件可能太大），请重试。".into());
    let mut f: HashMap<String, String> = HashMap::new();
    let mut inputs: Option<Vec<u8>> = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "inputs" {
            inputs = Some(field.bytes().await.map_err(unreadable)?.to_vec());
        } else {
            f.insert(name, field.text().await.map_err(unreadable)?);
        }
    }
    who.check_csrf(&f)?;
    let storage = st.storage.clone();
    blocking(move || {
        let refused = |status, text: String| render_list(storage.as_ref(), &who, status, Some(Notice::Refused(text)));
        let Some(bytes) = inputs.filter(|b| !b.is_empty()) else {
            return refused(StatusCode::BAD_REQUEST, "请选择计划输入文件（JSON）。".into());
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return refused(StatusCode::BAD_REQUEST, "计划输入文件不是 UTF-8 编码的 JSON 文本。".into());
        };
        match plans::create(storage.as_ref(), &text, &who.person.id, Timestamp::now()) {
            Ok(p) => {
                tracing::info!(admin = %who.person.id, plan = %p.id(), "random inspection plan stored in the console");
                Ok(see_other(&format!("/plans/{}", path_segment(p.id()))))
            }
            Err(CreateError::Inputs(e)) => refused(StatusCode::BAD_REQUEST, format!("计划输入有误，未保存：{e}")),
            Err(CreateError::Storage(StorageError::Conflict(m))) => {
                refused(StatusCode::CONFLICT, format!("计划编号已存在，已保存的计划不能更改：{m}"))
            }
            Err(CreateError::Storage(e)) => Err(ConsoleError::Storage(e)),
        }
    })
    .await
}

/// `GET /plans/{id}` and `GET /plans/{id}.csv` (the router cannot match a
/// suffix after a parameter: an id ending in `.csv` whose stem is a stored
/// plan is that plan's publication).
pub async fn show(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let storage = st.storage.clone();
    blocking(move || {
        if let Some(stem) = id.strip_suffix(".csv") {
            if let Some(p) = storage.plan(stem)? {
                let disposition = format!("attachment; filename=\"paicha-plan-{}.csv\"", file_name(p.id()));
                return Ok((
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                        (header::CONTENT_DISPOSITION, disposition),
                    ],
                    planning::publication_csv(&p.plan),
                )
                    .into_response());
            }
        }
        let Some(p) = storage.plan(&id)? else { return Err(ConsoleError::NotFound) };
        Ok(html_page(StatusCode::OK, plan_body(&who, &p)))
    })
    .await
}

fn plan_body(who: &SignedIn, p: &StoredPlan) -> Markup {
    let v = who.viewer();
    let i = &p.plan.inputs;
    let inspector = |id: &str| match i.inspectors.iter().find(|x| x.person_id == id) {
        Some(x) => format!("{}（{}）", x.name, x.certificate_no),
        None => id.to_string(),
    };
    let body = html! {
        dl.facts {
            dt { "计划编号" } dd { (i.plan_id) }
            dt { "检查期间" } dd { (i.period_start) "至" (i.period_end) }
            dt { "随机种子" } dd { code { (i.seed) } }
            dt { "算法" } dd { (p.plan.algorithm) }
            dt { "输入SHA-256" } dd { code.hash { (p.plan.inputs_sha256) } }
            dt { "计划SHA-256" } dd { code.hash { (p.plan.plan_sha256) } }
            dt { "名录" } dd { "检查对象 " (i.targets.len()) " 家，执法检查人员 " (i.inspectors.len()) " 名，每组 " (i.team_size) " 人" }
            dt { "抽取比例" } dd {
                "红 " (i.ratios.red_permille) "‰，橙 " (i.ratios.orange_permille) "‰，黄 "
                (i.ratios.yellow_permille) "‰，蓝 " (i.ratios.blue_permille) "‰"
            }
            dt { "保存" } dd { (p.created_by) "，" (when(p.created_at)) }
        }
        p { a href=(format!("/plans/{}.csv", path_segment(&i.plan_id))) { "下载公示文件（CSV）" } " · " a href="/plans" { "返回计划列表" } }
        table.list {
            caption { "抽中的企业与检查组（" (p.plan.selections.len()) "）" }
            thead { tr {
                th scope="col" { "序号" } th scope="col" { "企业名称" } th scope="col" { "统一社会信用代码" }
                th scope="col" { "镇街" } th scope="col" { "风险等级" } th scope="col" { "检查人员" } th scope="col" { "回避" }
            } }
            tbody { @for s in &p.plan.selections {
                tr data-selection=(s.seq) {
                    td { (s.seq) } td { (s.name) } td { (s.credit_code) } td { (s.township) }
                    td { (colour_name(s.risk_colour)) }
                    td { (s.team.iter().map(|t| inspector(t)).collect::<Vec<_>>().join("、")) }
                    td { (s.recused.iter().map(|t| inspector(t)).collect::<Vec<_>>().join("、")) }
                }
            } }
        }
        p.hint { "由此计划开展的检查，检查来源记为“双随机”（random_plan）。任何人都可以用公示的名录、比例和种子重新抽取并核对（paicha plan verify）。" }
    };
    page(&v, "/plans", &format!("随机抽查计划：{}", i.title), body)
}

fn status_name(s: &DueStatus) -> String {
    match s {
        DueStatus::Overdue { days_overdue } => format!("已逾期 {days_overdue} 天"),
        DueStatus::Due { days_left: 0 } => "今天到期".into(),
        DueStatus::Due { days_left } => format!("{days_left} 天后到期"),
        DueStatus::NotDue { days_left } => format!("未到期（{days_left} 天）"),
    }
}

/// `GET /due[?township=...]`: the due list in the viewer's scope (R2).
pub async fn due(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require_any(&[Role::Supervisor, Role::DistrictAdmin])?;
    let storage = st.storage.clone();
    let township = q.get("township").map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    blocking(move || {
        let today = Timestamp::now().cst_date();
        let list = plans::due_list(storage.as_ref(), &who.person, township.as_deref(), today)?;
        let v = who.viewer();
        let body = html! {
            p { "按风险等级的检查频次（地方政策：默认红色每月、橙色每季度、黄色每半年、蓝色每年）计算下一次日常检查的到期日；从未检查的企业今天到期。" (today) " 计。" }
            @if list.is_empty() { p.empty { "管辖范围内没有企业。" } } @else {
                table.list {
                    caption { "应检企业（" (list.len()) "）" }
                    thead { tr {
                        th scope="col" { "状态" } th scope="col" { "到期日" } th scope="col" { "企业名称" }
                        th scope="col" { "统一社会信用代码" } th scope="col" { "镇街" } th scope="col" { "风险等级" }
                        th scope="col" { "上次检查" } th scope="col" { "检查间隔" }
                    } }
                    tbody { @for d in &list {
                        tr data-enterprise=(d.credit_code) {
                            td { (status_name(&d.status)) } td { (d.due_date) } td { (d.name) } td { (d.credit_code) }
                            td { (d.township) } td { (colour_name(d.risk_colour)) }
                            td { @if let Some(l) = d.last_inspected { (l) } @else { "从未检查" } }
                            td { (d.interval_months) " 个月" }
                        }
                    } }
                }
            }
        };
        Ok(html_page(StatusCode::OK, page(&v, "/due", "应检企业", body)))
    })
    .await
}
