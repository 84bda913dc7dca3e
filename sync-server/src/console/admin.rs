//! The district admin's oversight pages: the quarantine of refused uploads
//! (`Storage::quarantined`, never deleted) with the clock-skew flags of R10
//! (`Storage::skewed`), and the policy in force with its versions and the
//! published checklist templates (R3). Read only: the policy and templates
//! are changed by operator commands, which keep their effective dates.

use super::pages::{page, when};
use super::{blocking, html_page, signed_in, ConsoleError, ConsoleState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use paicha_core::people::Role;
use paicha_core::time::Timestamp;

/// `GET /quarantine`: refused uploads and events flagged for clock skew.
pub async fn quarantine_page(State(st): State<ConsoleState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let storage = st.storage.clone();
    blocking(move || {
        let list = storage.quarantined()?;
        let skewed = storage.skewed()?;
        let v = who.viewer();
        let body = html! {
            section aria-labelledby="q-title" {
                h2 #q-title { "被拒绝的上传（" (list.len()) "）" }
                p { "平板上传的更改违反规则或格式时被拒绝并保存在这里，永不删除；平板保留被拒绝的编辑并以服务器版本为准继续工作。" }
                @if list.is_empty() { p.empty { "隔离区是空的。" } } @else {
                    table.list {
                        thead { tr {
                            th scope="col" { "接收时间" } th scope="col" { "设备" } th scope="col" { "用户" }
                            th scope="col" { "记录" } th scope="col" { "规则" } th scope="col" { "原因" } th scope="col" { "大小" }
                        } }
                        tbody { @for q in list.iter().rev().take(500) {
                            tr {
                                td { (when(Timestamp(q.received_at))) } td { (q.device_id) } td { (q.user_id) }
                                td { (q.doc_id) } td { (q.rule) } td { (q.message) } td { (q.bytes) " 字节" }
                            }
                        } }
                    }
                }
            }
            section aria-labelledby="s-title" {
                h2 #s-title { "设备时钟偏差（" (skewed.len()) "）" }
                p { "设备时钟比服务器快出容许范围的事件（R10）：规则按服务器能确认的时间另行核对。" }
                @if skewed.is_empty() { p.empty { "没有被标记的事件。" } } @else {
                    table.list {
                        thead { tr { th scope="col" { "事件" } th scope="col" { "设备" } th scope="col" { "设备时间" } th scope="col" { "服务器接收时间" } } }
                        tbody { @for (event, device, at, received) in skewed.iter().rev().take(500) {
                            tr { td { (event) } td { (device) } td { (when(Timestamp(*at))) } td { (when(Timestamp(*received))) } }
                        } }
                    }
                }
            }
        };
        Ok(html_page(StatusCode::OK, page(&v, "/quarantine", "隔离区与时钟偏差", body)))
    })
    .await
}

/// `GET /policy`: the policy's versions (the one in force marked) and the
/// bundled checklist templates published on this server.
pub async fn policy_page(State(st): State<ConsoleState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require(Role::DistrictAdmin)?;
    let storage = st.storage.clone();
    blocking(move || {
        let policy = storage.policy()?;
        let today = Timestamp::now().cst_date();
        let in_force = policy.at(today).effective_from;
        let mut templates = vec![];
        for (id, version, _) in crate::storage::bundled_templates()? {
            if let Some(t) = storage.template(&id, version)? {
                templates.push(t);
            }
        }
        let v = who.viewer();
        let body = html! {
            section aria-labelledby="p-title" {
                h2 #p-title { "地方政策（按生效日期）" }
                table.list {
                    thead { tr {
                        th scope="col" { "生效日期" } th scope="col" { "来源" } th scope="col" { "一般隐患整改天数" }
                        th scope="col" { "重大隐患整改天数" } th scope="col" { "一般隐患延期" } th scope="col" { "到期前提醒（天）" }
                        th scope="col" { "报区里（逾期天数，一般/重大）" } th scope="col" { "复产后核销期限（天）" }
                        th scope="col" { "时钟容差（秒）" } th scope="col" { "照片上限" }
                    } }
                    tbody { @for p in &policy.versions {
                        tr {
                            td { (p.effective_from) @if p.effective_from == in_force { " " strong { "（现行）" } } }
                            td { (p.source) }
                            td { (p.rectification_days_general) } td { (p.rectification_days_major) }
                            td { (p.max_extensions_general) " 次，每次至多 " (p.max_extension_days_general) " 天" }
                            td { (p.reminder_days_before.iter().map(u32::to_string).collect::<Vec<_>>().join("、")) }
                            td { (p.district_after_overdue_days_general) " / " (p.district_after_overdue_days_major) }
                            td { (p.verification_days_after_resumption_request) }
                            td { (p.clock_skew_tolerance_seconds) }
                            td { (p.max_photo_bytes / 1_048_576) " MB" }
                        }
                    } }
                }
                p.hint { "政策由运维命令设置（paicha-server policy），新版本带生效日期，旧记录仍按当时的政策判断。" }
            }
            section aria-labelledby="t-title" {
                h2 #t-title { "检查表（已发布版本）" }
                table.list {
                    thead { tr { th scope="col" { "编号" } th scope="col" { "名称" } th scope="col" { "行业" } th scope="col" { "版本" } th scope="col" { "检查项" } } }
                    tbody { @for t in &templates {
                        tr { td { (t.id) } td { (t.title) } td { (t.sector) } td { (t.version) } td { (t.items().count()) } }
                    } }
                }
                p.hint { "已发布的版本不再改变（R3）；检查记录固定使用开始检查时的版本。" }
            }
        };
        Ok(html_page(StatusCode::OK, page(&v, "/policy", "政策与检查表", body)))
    })
    .await
}
