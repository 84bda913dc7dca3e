//! Statistics of domain.md §6 by township, sector, risk colour, level,
//! month or quarter, for a period: computed by
//! [`paicha_core::stats::compute`] over [`HazardSummary::stats_input`] of
//! the summaries in the viewer's scope (the same function the command line
//! uses; no rule is copied here), shown as a table with a bar chart drawn
//! by the server as inline SVG (no script, no library), and exported as CSV
//! and XLSX.

use super::pages::{page, when, Viewer};
use super::queues::hazards_in_scope;
use super::{blocking, html_page, signed_in, ConsoleError, ConsoleState};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use paicha_core::people::Role;
use paicha_core::stats::{compute, GroupBy, Period, ReportPeriod, StatsRow};
use paicha_core::summary::HazardSummary;
use paicha_core::time::Timestamp;
use std::collections::HashMap;

/// The groupings offered: (query value, label).
pub const GROUPS: &[(&str, &str)] = &[
    ("township", "镇街"),
    ("sector", "行业"),
    ("risk_colour", "风险颜色"),
    ("level", "隐患等级"),
    ("month", "月份"),
    ("quarter", "季度"),
    ("total", "合计"),
];

/// What a statistics request asks for.
pub struct Request {
    /// Query value of the grouping.
    pub group: String,
    /// The grouping.
    pub group_by: GroupBy,
    /// Reporting period.
    pub period: Period,
    /// The quarter or year of a report (§6), when asked for one
    /// (`period=2026Q3` or `period=2026`); it sets `period`.
    pub report: Option<ReportPeriod>,
}

/// Reads `group`, `from`, `to` (dates `YYYY-MM-DD`, optional).
pub fn request(q: &HashMap<String, String>) -> Result<Request, ConsoleError> {
    let group = q.get("group").cloned().filter(|g| !g.is_empty()).unwrap_or_else(|| "township".into());
    if !GROUPS.iter().any(|(g, _)| *g == group) {
        return Err(ConsoleError::BadForm("请选择有效的“分组”。".into()));
    }
    let group_by = GroupBy::parse(&group).map_err(|_| ConsoleError::BadForm("请选择有效的“分组”。".into()))?;
    let report = match q.get("period").map(|p| p.trim()).filter(|p| !p.is_empty()) {
        Some(p) => Some(
            ReportPeriod::parse(p)
                .map_err(|_| ConsoleError::BadForm("“报表期间”应为年份（2026）或季度（2026Q3）。".into()))?,
        ),
        None => None,
    };
    let (from, to) = match report.and_then(ReportPeriod::days) {
        Some((f, t)) => (Some(f), Some(t)),
        None => (super::forms::date(q, "from", "起始日期")?, super::forms::date(q, "to", "截止日期")?),
    };
    Ok(Request { group, group_by, period: Period { from, to }, report })
}

/// The figures for `who`'s scope.
fn rows(list: &[HazardSummary], r: &Request, now: Timestamp) -> Vec<StatsRow> {
    let inputs: Vec<_> = list.iter().map(HazardSummary::stats_input).collect();
    compute(&inputs, r.group_by, r.period, now)
}

fn pct(r: Option<f64>) -> String {
    r.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into())
}

fn group_label(g: &str) -> String {
    match g {
        "total" => "合计".into(),
        "general" => "一般".into(),
        "major" => "重大".into(),
        "red" => "红".into(),
        "orange" => "橙".into(),
        "yellow" => "黄".into(),
        "blue" => "蓝".into(),
        other => other.to_string(),
    }
}

/// Column headings of the table and the exports.
pub const HEADINGS: &[&str] = &[
    "分组",
    "隐患数",
    "撤销",
    "已销号",
    "按期销号",
    "未销号",
    "逾期",
    "重大隐患",
    "重大已销号",
    "重大未销号",
    "挂牌督办",
    "整改率",
    "重大隐患整改率",
    "按期整改率",
    "平均整改天数",
];

fn cells(r: &StatsRow) -> Vec<String> {
    vec![
        group_label(&r.group),
        r.recorded.to_string(),
        r.voided.to_string(),
        r.closed.to_string(),
        r.closed_on_time.to_string(),
        r.open.to_string(),
        r.overdue.to_string(),
        r.major.to_string(),
        r.major_closed.to_string(),
        r.open_major.to_string(),
        r.listed.to_string(),
        pct(r.rectification_rate),
        pct(r.major_rectification_rate),
        pct(r.on_time_rate),
        r.avg_days_to_close.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into()),
    ]
}

/// A horizontal bar chart of the rectification rate per group, as SVG.
pub fn chart(rows: &[StatsRow]) -> Markup {
    let bars: Vec<&StatsRow> = rows.iter().filter(|r| r.group != "total").take(40).collect();
    let h = 24 * bars.len() as u32 + 30;
    html! {
        figure.chart {
            svg role="img" aria-labelledby="chart-title" width="640" height=(h) viewBox=(format!("0 0 640 {h}")) xmlns="http://www.w3.org/2000/svg" {
                title #chart-title { "各分组隐患整改率" }
                @for (i, r) in bars.iter().enumerate() {
                    @let y = 10 + 24 * i as u32;
                    @let w = (r.rectification_rate.unwrap_or(0.0) * 400.0).round() as u32;
                    text x="0" y=(y + 14) font-size="12" { (group_label(&r.group)) }
                    rect x="160" y=(y) width="400" height="16" fill="#e8eef5" {}
                    rect x="160" y=(y) width=(w) height="16" fill="#2b6cb0" {}
                    text x=(170 + 400) y=(y + 13) font-size="12" { (pct(r.rectification_rate)) }
                }
            }
            figcaption { "隐患整改率 = 已销号 ÷（隐患数 − 撤销）" }
        }
    }
}

fn query_string(r: &Request) -> String {
    let mut q = format!("group={}", r.group);
    if let Some(p) = r.report {
        q.push_str(&format!("&period={}", query_period(p)));
        return q;
    }
    if let Some(f) = r.period.from {
        q.push_str(&format!("&from={f}"));
    }
    if let Some(t) = r.period.to {
        q.push_str(&format!("&to={t}"));
    }
    q
}

fn render(v: &Viewer<'_>, r: &Request, rows: &[StatsRow], now: Timestamp) -> Markup {
    page(
        v,
        "/stats",
        "统计",
        html! {
            form.inline method="get" action="/stats" aria-label="统计条件" {
                p {
                    label for="group" { "分组" }
                    select #group name="group" {
                        @for (g, label) in GROUPS {
                            option value=(g) selected[*g == r.group] { (label) }
                        }
                    }
                }
                p { label for="from" { "上报起始日期" } input #from type="date" name="from" value=[r.period.from]; }
                p { label for="to" { "上报截止日期" } input #to type="date" name="to" value=[r.period.to]; }
                p { button type="submit" { "统计" } }
            }
            form.inline method="get" action="/stats.pdf" aria-label="季度、年度报表" {
                input type="hidden" name="group" value=(r.group);
                p {
                    label for="period" { "报表期间（2026Q3 或 2026）" }
                    input #period type="text" name="period" required pattern="[0-9]{4}([Qq][1-4])?" placeholder="2026Q3";
                }
                p { button type="submit" { "季度 / 年度报表（PDF）" } }
            }
            p {
                "按服务器时间 " (when(now)) " 计算。导出："
                a href=(format!("/stats.csv?{}", query_string(r))) download { "CSV" } " · "
                a href=(format!("/stats.xlsx?{}", query_string(r))) download { "Excel（XLSX）" }
            }
            (chart(rows))
            table.list #stats {
                caption { "隐患整改统计" }
                thead { tr { @for h in HEADINGS { th scope="col" { (h) } } } }
                tbody { @for row in rows { tr { @for c in cells(row) { td { (c) } } } } }
            }
        },
    )
}

async fn figures(
    st: &ConsoleState,
    headers: &HeaderMap,
    q: HashMap<String, String>,
) -> Result<(super::SignedIn, Request, Vec<StatsRow>, Timestamp), ConsoleError> {
    let who = signed_in(st, headers).await?;
    who.require_any(&[Role::Supervisor, Role::DistrictAdmin, Role::Enterprise])?;
    let r = request(&q)?;
    let storage = st.storage.clone();
    blocking(move || {
        let now = Timestamp::now();
        let list = hazards_in_scope(storage.as_ref(), &who.person, &[], false)?;
        let rows = rows(&list, &r, now);
        Ok((who, r, rows, now))
    })
    .await
}

/// `GET /stats`: the table and chart.
pub async fn page_handler(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (who, r, rows, now) = figures(&st, &headers, q).await?;
    Ok(html_page(StatusCode::OK, render(&who.viewer(), &r, &rows, now)))
}

/// The figures as CSV (UTF-8 with a byte-order mark, so that Excel reads
/// the Chinese headings; fields quoted when needed).
pub fn to_csv(rows: &[StatsRow]) -> String {
    let quote = |s: &str| {
        // A leading = + - @ would be a formula in a spreadsheet.
        let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out = String::from("\u{feff}");
    out.push_str(&HEADINGS.iter().map(|h| quote(h)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&cells(r).iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// `GET /stats.csv`.
pub async fn csv(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (_, r, rows, _) = figures(&st, &headers, q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"paicha-stats-{}.csv\"", r.group)),
        ],
        to_csv(&rows),
    )
        .into_response())
}

/// The figures as an XLSX workbook (numbers as numbers, rates as percentages).
pub fn to_xlsx(rows: &[StatsRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("隐患整改统计")?;
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    for (c, h) in HEADINGS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, group_label(&r.group))?;
        let counts = [
            r.recorded,
            r.voided,
            r.closed,
            r.closed_on_time,
            r.open,
            r.overdue,
            r.major,
            r.major_closed,
            r.open_major,
            r.listed,
        ];
        for (c, n) in counts.iter().enumerate() {
            ws.write_number(row, c as u16 + 1, *n as f64)?;
        }
        for (c, rate) in [r.rectification_rate, r.major_rectification_rate, r.on_time_rate].iter().enumerate() {
            if let Some(x) = rate {
                ws.write_number_with_format(row, c as u16 + 11, *x, &percent)?;
            }
        }
        if let Some(d) = r.avg_days_to_close {
            ws.write_number(row, 14, d)?;
        }
    }
    ws.set_column_width(0, 24)?;
    wb.save_to_buffer()
}

/// `GET /stats.xlsx`.
pub async fn xlsx(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (_, r, rows, _) = figures(&st, &headers, q).await?;
    let bytes = to_xlsx(&rows).map_err(|e| ConsoleError::Internal(format!("xlsx: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"paicha-stats-{}.xlsx\"", r.group)),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /stats.pdf?period=2026Q3|2026`: the quarterly or annual report
/// (§6) of the person's scope (a township, the district, an enterprise) as
/// an A4 PDF; its XLSX is `/stats.xlsx` with the same period.
pub async fn pdf(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (who, r, rows, now) = figures(&st, &headers, q).await?;
    let Some(report) = r.report else {
        return Err(ConsoleError::BadForm("请填写“报表期间”：年份（2026）或季度（2026Q3）。".into()));
    };
    let Some((from, to)) = report.days() else {
        return Err(ConsoleError::BadForm("“报表期间”无效。".into()));
    };
    let storage = st.storage.clone();
    let font = super::documents_page::font(&st)?;
    blocking(move || {
        let reference = storage.reference_for(&who.person)?;
        let scope = super::pages::scope_text(&who.person, &reference.enterprises);
        let label = GROUPS.iter().find(|(g, _)| *g == r.group).map_or("", |(_, l)| *l);
        let due = report.due().map(|d| format!("，报送截止 {d}")).unwrap_or_default();
        let scope_line = format!("{scope} · {}{due}", report.zh());
        let doc = paicha_pdf::StatisticsReport {
            scope: &scope_line,
            from,
            to,
            grouped_by: label,
            rows: &rows,
            generated_at: now,
        };
        let bytes = paicha_pdf::statistics_pdf(&doc, &font).map_err(super::documents_page::printing)?;
        Ok((
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"paicha-report-{}.pdf\"", query_period(report)),
                ),
            ],
            bytes,
        )
            .into_response())
    })
    .await
}

fn query_period(p: ReportPeriod) -> String {
    match p {
        ReportPeriod::Quarter { year, quarter } => format!("{year}Q{quarter}"),
        ReportPeriod::Year(y) => y.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &str) -> StatsRow {
        StatsRow {
            group: group.into(),
            recorded: 4,
            voided: 1,
            closed: 2,
            closed_on_time: 1,
            open: 1,
            overdue: 1,
            major: 1,
            major_closed: 0,
            open_major: 1,
            listed: 0,
            rectification_rate: Some(2.0 / 3.0),
            major_rectification_rate: Some(0.0),
            on_time_rate: Some(0.5),
            avg_days_to_close: Some(3.5),
        }
    }

    #[test]
    fn csv_has_a_bom_headings_and_no_formulas() {
        let text = to_csv(&[row("=cmd|' /C calc'!A0"), row("total")]);
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("分组,隐患数"));
        assert!(text.contains("'=cmd"), "{text}");
        assert!(text.contains("合计,4,1,2,1,1,1,1,0,1,0,66.7%,0.0%,50.0%,3.5"), "{text}");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = to_xlsx(&[row("玉山镇"), row("total")]).unwrap();
        assert!(bytes.starts_with(b"PK"), "an xlsx file is a zip archive");
    }

    #[test]
    fn the_chart_is_escaped_svg() {
        let html = chart(&[row("<script>x</script>")]).into_string();
        assert!(html.contains("<svg") && html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>x"));
    }
}
