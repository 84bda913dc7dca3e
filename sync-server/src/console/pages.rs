//! The console's pages, rendered on the server with `maud`: every value
//! interpolated into a page is HTML-escaped unless wrapped in `PreEscaped`
//! (never used for data), so a person's name holding `<script>` shows as
//! text. Pages are in Chinese (zh-CN); every control has a label.

use crate::storage::{ConsoleSession, Device};
use maud::{html, Markup, DOCTYPE};
use paicha_core::enterprise::Enterprise;
use paicha_core::people::{Person, Role};
use paicha_core::time::Timestamp;

/// The product name shown in every page's header.
const PRODUCT: &str = "排查 · 隐患排查治理控制台";

/// The role as its users call it.
pub fn role_name(role: Role) -> &'static str {
    role.zh()
}

/// What the person may see (R2), in words: their townships, their
/// enterprise, or the whole district.
pub fn scope_text(p: &Person, enterprises: &[Enterprise]) -> String {
    match p.role {
        Role::DistrictAdmin => "全区".into(),
        Role::Inspector | Role::Supervisor => {
            if p.townships.is_empty() {
                "（未分配乡镇/街道）".into()
            } else {
                p.townships.join("、")
            }
        }
        Role::Enterprise => match &p.enterprise {
            None => "（未关联企业）".into(),
            Some(code) => match enterprises.iter().find(|e| &e.credit_code == code) {
                Some(e) => format!("{}（统一社会信用代码 {}）", e.name, e.credit_code),
                None => format!("统一社会信用代码 {code}（不在企业名录中）"),
            },
        },
    }
}

/// A time as people in the district read it (China Standard Time).
pub fn when(t: Timestamp) -> String {
    t.to_cst().format("%Y-%m-%d %H:%M").to_string()
}

/// One entry of the navigation.
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
}

/// The navigation of a role: only pages that exist. The review queue, the
/// overdue board and the other pages of issue 9 join these lists as they
/// are built on the server's projections.
pub fn nav_for(role: Role) -> Vec<NavItem> {
    let item = |href, label| NavItem { href, label };
    let mut items = vec![item("/", "首页")];
    match role {
        Role::Supervisor => items.extend([
            item("/review", "复查队列"),
            item("/orders", "指令书"),
            item("/extensions", "延期申请"),
            item("/overdue", "逾期督办"),
            item("/notices", "通知"),
            item("/conflicts", "冲突"),
            item("/hazards", "隐患"),
            item("/due", "应检企业"),
            item("/stats", "统计"),
        ]),
        Role::DistrictAdmin => items.extend([
            item("/verification", "核销队列"),
            item("/overdue", "逾期督办"),
            item("/notices", "通知"),
            item("/conflicts", "冲突"),
            item("/hazards", "隐患"),
            item("/orders", "指令书"),
            item("/stats", "统计"),
            item("/quarantine", "隔离区"),
            item("/policy", "政策与检查表"),
            item("/plans", "随机抽查计划"),
            item("/due", "应检企业"),
            item("/devices", "设备"),
            item("/users", "用户"),
        ]),
        Role::Enterprise => {
            items.extend([item("/hazards", "本企业隐患"), item("/orders", "指令书"), item("/stats", "统计报表")])
        }
        Role::Inspector => items.extend([item("/hazards", "隐患"), item("/orders", "指令书")]),
    }
    items
}

/// A message at the top of a page.
pub enum Notice {
    /// Something was done.
    Done(String),
    /// Something was refused, and why.
    Refused(String),
}

/// Who is looking at a page: for the header and its sign-out form.
pub struct Viewer<'a> {
    /// The signed-in person.
    pub person: &'a Person,
    /// The session's CSRF token.
    pub csrf: &'a str,
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " – " (PRODUCT) }
            link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
            link rel="stylesheet" href="/assets/console.css";
            script src="/assets/console.js" defer {}
        }
    }
}

pub(crate) fn notice(n: Option<&Notice>) -> Markup {
    html! {
        @match n {
            Some(Notice::Done(text)) => p.notice.done role="status" { (text) },
            Some(Notice::Refused(text)) => p.notice.refused role="alert" { (text) },
            None => {},
        }
    }
}

/// A page of a signed-in person: header with navigation and sign-out.
pub(crate) fn page(v: &Viewer<'_>, active: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            (head(title))
            body {
                a.skip href="#main" { "跳到主要内容" }
                header.top {
                    span.brand { (PRODUCT) }
                    nav aria-label="主导航" {
                        ul {
                            @for item in nav_for(v.person.role) {
                                li {
                                    @if item.href == active {
                                        a href=(item.href) aria-current="page" { (item.label) }
                                    } @else {
                                        a href=(item.href) { (item.label) }
                                    }
                                }
                            }
                        }
                    }
                    div.who {
                        span { (v.person.name) "（" (role_name(v.person.role)) "）" }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(v.csrf);
                            button type="submit" { "退出登录" }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The sign-in page. `login` is what was typed (shown again, escaped).
pub fn login(csrf: &str, login: &str, message: Option<&Notice>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            (head("登录"))
            body.login {
                main #main {
                    h1 { (PRODUCT) }
                    (notice(message))
                    form.card method="post" action="/login" {
                        input type="hidden" name="csrf" value=(csrf);
                        p {
                            label for="login" { "账号" }
                            input #login type="text" name="login" value=(login) autocomplete="username"
                                autocapitalize="none" spellcheck="false" required autofocus;
                        }
                        p {
                            label for="password" { "密码" }
                            input #password type="password" name="password" autocomplete="current-password" required;
                        }
                        p { button type="submit" { "登录" } }
                    }
                    p.hint { "密码由区应急管理局管理员设置。连续输错 5 次后需等待 1、2、4… 分钟才能再试。" }
                }
            }
        }
    }
}

/// The home page: who is signed in, their role and scope (R2), and the session.
pub fn home(v: &Viewer<'_>, scope: &str, session: &ConsoleSession) -> Markup {
    let p = v.person;
    page(
        v,
        "/",
        "首页",
        html! {
            p { "欢迎，" (p.name) "。" }
            table.facts {
                caption { "当前登录" }
                tbody {
                    tr { th scope="row" { "账号" } td { (p.id) } }
                    tr { th scope="row" { "姓名" } td { (p.name) } }
                    tr { th scope="row" { "角色" } td { (role_name(p.role)) } }
                    tr { th scope="row" { "管辖范围" } td #scope { (scope) } }
                    @if let Some(cert) = &p.certificate_no {
                        tr { th scope="row" { "执法证号" } td { (cert) } }
                    }
                    tr { th scope="row" { "登录时间" } td { (when(session.created_at)) } }
                    tr { th scope="row" { "会话有效期至" } td { (when(session.expires_at)) } }
                }
            }
            @if p.role == Role::DistrictAdmin {
                ul.links {
                    li { a href="/devices" { "设备管理" } "：签发平板注册码，吊销遗失或停用的设备。" }
                    li { a href="/users" { "用户名录" } "：全区人员、角色、管辖范围和控制台密码状态。" }
                }
            }
        },
    )
}

/// The state of a device, in words.
pub fn device_state(d: &Device) -> String {
    match (d.revoked_at, &d.actor) {
        (Some(at), _) => format!("已吊销（{}）", when(Timestamp(at))),
        (None, Some(_)) => "已注册".into(),
        (None, None) => "等待注册".into(),
    }
}

/// The devices page (district admin): every device, issuing an enrollment
/// code, revoking a device.
pub fn devices(v: &Viewer<'_>, list: &[Device], people: &[Person], message: Option<&Notice>) -> Markup {
    let name_of = |id: &str| people.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_default();
    page(
        v,
        "/devices",
        "设备",
        html! {
            (notice(message))
            section aria-labelledby="issue-title" {
                h2 #issue-title { "签发注册码" }
                form.inline method="post" action="/devices" {
                    input type="hidden" name="csrf" value=(v.csrf);
                    p {
                        label for="device" { "设备编号" }
                        input #device type="text" name="device" required maxlength="128" autocomplete="off"
                            spellcheck="false" placeholder="如 tab-wang-2";
                    }
                    p {
                        label for="user" { "使用人" }
                        select #user name="user" required {
                            @for p in people {
                                option value=(p.id) { (p.name) "（" (p.id) "，" (role_name(p.role)) "）" }
                            }
                        }
                    }
                    p { button type="submit" { "签发注册码" } }
                }
            }
            section aria-labelledby="list-title" {
                h2 #list-title { "全部设备" }
                @if list.is_empty() {
                    p { "还没有设备。" }
                } @else {
                    table.list {
                        thead { tr { th scope="col" { "设备编号" } th scope="col" { "使用人" } th scope="col" { "状态" } th scope="col" { "操作" } } }
                        tbody {
                            @for d in list {
                                tr data-device=(d.device_id) {
                                    td { (d.device_id) }
                                    td { (name_of(&d.user_id)) "（" (d.user_id) "）" }
                                    td.state { (device_state(d)) }
                                    td {
                                        @if d.revoked_at.is_none() {
                                            form method="post" action="/devices/revoke"
                                                data-confirm=(format!("确定吊销设备 {}？吊销后该设备的上传将被拒绝。", d.device_id)) {
                                                input type="hidden" name="csrf" value=(v.csrf);
                                                input type="hidden" name="device" value=(d.device_id);
                                                button.danger type="submit" aria-label=(format!("吊销设备 {}", d.device_id)) { "吊销" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The users page (district admin): the registry's people.
pub fn users(v: &Viewer<'_>, people: &[(Person, bool)], enterprises: &[Enterprise]) -> Markup {
    page(
        v,
        "/users",
        "用户",
        html! {
            p { "人员名录由运维命令维护（paicha-server user add）；控制台密码用 paicha-server user passwd 设置。" }
            table.list {
                thead {
                    tr {
                        th scope="col" { "账号" } th scope="col" { "姓名" } th scope="col" { "角色" }
                        th scope="col" { "管辖范围" } th scope="col" { "执法证号" } th scope="col" { "控制台密码" }
                    }
                }
                tbody {
                    @for (p, has_password) in people {
                        tr {
                            td { (p.id) }
                            td { (p.name) }
                            td { (role_name(p.role)) }
                            td { (scope_text(p, enterprises)) }
                            td { (p.certificate_no.as_deref().unwrap_or("—")) }
                            td { @if *has_password { "已设置" } @else { "未设置" } }
                        }
                    }
                }
            }
        },
    )
}

/// An error page: a short reason in Chinese, no personal data, no internals.
pub fn error(status: u16, title: &str, reason: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            (head(title))
            body.login {
                main #main {
                    h1 { (title) }
                    p.notice.refused role="alert" { (reason) }
                    p.hint { "错误代码 " (status) }
                    p { a href="/" { "返回首页" } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, role: Role) -> Person {
        Person {
            id: "p-1".into(),
            name: name.into(),
            role,
            townships: vec!["玉山镇".into(), "周市镇".into()],
            enterprise: None,
            certificate_no: None,
        }
    }

    #[test]
    fn user_text_is_escaped_everywhere_it_appears() {
        let evil = person("<script>alert(1)</script>\"'&", Role::DistrictAdmin);
        let v = Viewer { person: &evil, csrf: "\"><b>" };
        let session = ConsoleSession {
            id_hash: String::new(),
            person_id: evil.id.clone(),
            created_at: Timestamp(0),
            expires_at: Timestamp(0),
            last_seen: Timestamp(0),
        };
        let pages = [
            home(&v, "<i>scope</i>", &session).into_string(),
            users(&v, &[(evil.clone(), false)], &[]).into_string(),
            devices(
                &v,
                &[Device { device_id: "<img src=x>".into(), user_id: "p-1".into(), actor: None, revoked_at: None }],
                std::slice::from_ref(&evil),
                Some(&Notice::Refused("<u>".into())),
            )
            .into_string(),
            login("t", "<script>x</script>", None).into_string(),
        ];
        for html in &pages {
            assert!(!html.contains("<script>alert") && !html.contains("<script>x"), "{html}");
            assert!(!html.contains("<img src=x>") && !html.contains("<i>scope") && !html.contains("<u>"), "{html}");
            assert!(!html.contains("\"><b>"), "an attribute value cannot be closed: {html}");
        }
        assert!(pages[0].contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;"), "{}", pages[0]);
    }

    #[test]
    fn scope_is_the_townships_the_enterprise_or_the_district() {
        let insp = person("王", Role::Inspector);
        assert_eq!(scope_text(&insp, &[]), "玉山镇、周市镇");
        assert_eq!(scope_text(&person("徐", Role::DistrictAdmin), &[]), "全区");
        let code = paicha_core::demo::credit_code(1);
        let ent = Person { role: Role::Enterprise, townships: vec![], enterprise: Some(code.clone()), ..insp };
        let list = paicha_core::demo::enterprises();
        let text = scope_text(&ent, &list);
        assert!(text.contains(&list[0].name) && text.contains(&code), "{text}");
        assert!(scope_text(&ent, &[]).contains("不在企业名录中"));
    }

    #[test]
    fn only_the_district_admin_gets_the_admin_pages() {
        let hrefs = |r| nav_for(r).iter().map(|i| i.href).collect::<Vec<_>>();
        for r in [Role::Inspector, Role::Supervisor, Role::Enterprise] {
            let h = hrefs(r);
            assert!(!h.contains(&"/devices") && !h.contains(&"/users") && !h.contains(&"/quarantine"), "{r:?}");
        }
        assert!(hrefs(Role::DistrictAdmin).contains(&"/devices"));
        assert!(hrefs(Role::Supervisor).contains(&"/review"));
        assert_eq!(hrefs(Role::Enterprise), ["/", "/hazards", "/orders", "/stats"]);
    }
}
