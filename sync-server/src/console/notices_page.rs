//! `GET /notices`: R10's reminders and escalation notices the server made
//! (`crate::notices`) and where each was delivered, for supervisors (their
//! township, R2, from the notice's hidden danger) and district admins (all).
//! A failed delivery shows its attempts and last error, so nothing fails
//! unseen.

use super::forms::level_name;
use super::pages::{page, when};
use super::{blocking, html_page, signed_in, ConsoleError, ConsoleState};
use crate::storage::{Notice, NoticeDelivery};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{html, Markup};
use paicha_core::hazard::NoticeKind;
use paicha_core::people::Role;

/// Notices a page shows (newest first).
pub const NOTICES_PER_PAGE: usize = 500;

/// What a notice's step is called, in Chinese.
pub fn kind_name(kind: &str) -> String {
    match NoticeKind::from_key(kind) {
        Some(NoticeKind::Reminder { days_before }) => format!("到期前 {days_before} 天提醒"),
        Some(NoticeKind::Township) => "逾期：镇街督办".to_string(),
        Some(NoticeKind::District) => "逾期：区级督办".to_string(),
        None => kind.to_string(),
    }
}

fn outlet_name(outlet: &str) -> &str {
    match outlet {
        crate::notices::EMAIL => "邮件",
        crate::notices::WEBHOOK => "Webhook",
        other => other,
    }
}

fn delivery(d: &NoticeDelivery) -> Markup {
    html! {
        li class=(if d.delivered_at.is_some() { "delivered" } else { "pending" }) data-outlet=(d.outlet) {
            (outlet_name(&d.outlet)) "："
            @if let Some(at) = d.delivered_at {
                "已送达 " (when(at))
            } @else if let Some(e) = &d.last_error {
                "发送失败 " (d.attempts) " 次，将于 " (when(d.next_attempt_at)) " 后重试（" (e) "）"
            } @else {
                "待发送"
            }
        }
    }
}

/// `GET /notices`.
pub async fn notices_page(State(st): State<ConsoleState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    who.require_any(&[Role::Supervisor, Role::DistrictAdmin])?;
    let storage = st.storage.clone();
    blocking(move || {
        let mut list: Vec<Notice> = if who.person.role == Role::DistrictAdmin {
            storage.notices(None, NOTICES_PER_PAGE)?
        } else {
            let mut all = vec![];
            for t in &who.person.townships {
                all.extend(storage.notices(Some(t), NOTICES_PER_PAGE)?);
            }
            all
        };
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.key.cmp(&b.key)));
        list.truncate(NOTICES_PER_PAGE);
        let v = who.viewer();
        let body = html! {
            p { "按服务器时间生成的整改期限提醒与逾期督办通知（R10），每个隐患的每一级只发送一次；发送失败的会自动重试。" }
            @if list.is_empty() { p.empty { "还没有通知。" } } @else {
                table.list {
                    caption { "通知" }
                    thead { tr {
                        th scope="col" { "时间" } th scope="col" { "通知" } th scope="col" { "隐患" }
                        th scope="col" { "企业" } th scope="col" { "镇街" } th scope="col" { "等级" }
                        th scope="col" { "整改期限" } th scope="col" { "发送情况" }
                    } }
                    tbody {
                        @for n in &list {
                            tr data-notice=(n.key) {
                                td { (when(n.created_at)) }
                                td { (kind_name(&n.kind)) }
                                td { a href=(format!("/hazards/{}", n.hazard_id)) { (n.summary.description) } }
                                td { (n.summary.enterprise_name) } td { (n.township) }
                                td { (level_name(n.summary.level)) } td { (n.summary.deadline) }
                                td {
                                    @if n.deliveries.is_empty() { "未配置发送渠道" } @else {
                                        ul.deliveries { @for d in &n.deliveries { (delivery(d)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(html_page(StatusCode::OK, page(&v, "/notices", "通知", body)))
    })
    .await
}
