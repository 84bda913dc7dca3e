//! Statistics reports (domain.md §6) as PDF: the figures of a township,
//! the district or an enterprise for a quarter or a year, as
//! [`paicha_core::stats::compute`] gives them.

use crate::documents::{when, zh_date};
use crate::error::PdfError;
use crate::font::FontFile;
use crate::layout::{Layout, BODY, SMALL};
use chrono::NaiveDate;
use paicha_core::stats::StatsRow;
use paicha_core::time::Timestamp;

/// A statistics report.
pub struct StatisticsReport<'a> {
    /// Whose figures (全区, 玉山镇, an enterprise's name).
    pub scope: &'a str,
    /// First and last day counted.
    pub from: NaiveDate,
    /// Last day counted.
    pub to: NaiveDate,
    /// What the rows are grouped by, in words.
    pub grouped_by: &'a str,
    /// The rows, the total last.
    pub rows: &'a [StatsRow],
    /// When it was made.
    pub generated_at: Timestamp,
}

fn pct(r: Option<f64>) -> String {
    r.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The report as one A4 PDF.
pub fn statistics_pdf(report: &StatisticsReport, font: &FontFile) -> Result<Vec<u8>, PdfError> {
    let title = format!("隐患排查治理统计报表（{}）", report.scope);
    let mut l = Layout::new(font, &title, &title);
    l.centered("隐患排查治理统计报表", 18.0);
    l.centered(&format!("{}　{}至{}", report.scope, zh_date(report.from), zh_date(report.to)), BODY);
    l.paragraph(&format!("分组：{}　制表时间：{}", report.grouped_by, when(report.generated_at)), SMALL, 0.0, 0.0);
    l.rule(0.8);
    let cols = [0.0, 92.0, 132.0, 172.0, 212.0, 252.0, 292.0, 332.0, 386.0, 436.0];
    let head = ["分组", "登记", "撤销", "销号", "逾期", "重大", "挂牌", "整改率", "按期率", "平均天数"];
    let cell = |i: usize| (cols[i], if i + 1 < cols.len() { cols[i + 1] - cols[i] - 4.0 } else { 40.0 });
    let hc: Vec<(f32, f32, &str)> = head.iter().enumerate().map(|(i, t)| (cell(i).0, cell(i).1, *t)).collect();
    l.row(&hc, SMALL);
    l.rule(0.5);
    for r in report.rows {
        let group = if r.group == "total" { "合计".to_string() } else { r.group.clone() };
        let texts = [
            group,
            r.recorded.to_string(),
            r.voided.to_string(),
            r.closed.to_string(),
            r.overdue.to_string(),
            r.major.to_string(),
            r.listed.to_string(),
            pct(r.rectification_rate),
            pct(r.on_time_rate),
            r.avg_days_to_close.map_or("—".into(), |d| format!("{d:.1}")),
        ];
        let cells: Vec<(f32, f32, &str)> =
            texts.iter().enumerate().map(|(i, t)| (cell(i).0, cell(i).1, t.as_str())).collect();
        l.row(&cells, SMALL);
    }
    l.rule(0.5);
    l.paragraph(
        "整改率 = 已销号 / (登记 − 撤销)；按期率 = 按期销号 / 已销号；撤销的记录不计入统计（R12）。",
        SMALL,
        0.0,
        0.0,
    );
    l.finish()
}
