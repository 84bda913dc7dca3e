//! The publication of a plan (双随机一公开: "publication" is the third part).

use super::plan::Plan;
use crate::enterprise::RiskColour;

/// The plan as a CSV file for publication: one line naming the plan, its
/// period, seed and hashes (so a reader can check it, docs/planning.md), then
/// a table with the headers 序号, 企业名称, 统一社会信用代码, 镇街, 风险等级, 检查人员.
///
/// RFC 4180 style: fields with a comma, quote or line break are quoted, lines
/// end with CRLF. The text starts with a UTF-8 byte-order mark because Excel
/// on Chinese Windows reads a CSV without one as GBK. A field that begins
/// with `=`, `+`, `-` or `@` gets a leading `'` so that a spreadsheet does not
/// run it as a formula (names come from registers that anyone may have typed).
/// Inspectors are written as `name（certificate no）` separated by `、`.
pub fn publication_csv(plan: &Plan) -> String {
    let i = &plan.inputs;
    let mut out = String::from("\u{feff}");
    let period = format!("{}至{}", i.period_start, i.period_end);
    line(
        &mut out,
        &[
            "计划编号",
            &i.plan_id,
            "计划名称",
            &i.title,
            "检查期间",
            &period,
            "随机种子",
            &i.seed,
            "算法",
            &plan.algorithm,
            "输入SHA-256",
            &plan.inputs_sha256,
            "计划SHA-256",
            &plan.plan_sha256,
        ],
    );
    line(&mut out, &["序号", "企业名称", "统一社会信用代码", "镇街", "风险等级", "检查人员"]);
    for s in &plan.selections {
        let team: Vec<String> = s
            .team
            .iter()
            .map(|id| match i.inspectors.iter().find(|p| &p.person_id == id) {
                Some(p) => format!("{}（{}）", p.name, p.certificate_no),
                None => id.clone(),
            })
            .collect();
        line(
            &mut out,
            &[&s.seq.to_string(), &s.name, &s.credit_code, &s.township, colour_label(s.risk_colour), &team.join("、")],
        );
    }
    out
}

/// The Chinese label of a risk colour as published.
fn colour_label(c: RiskColour) -> &'static str {
    match c {
        RiskColour::Red => "红色（重大风险）",
        RiskColour::Orange => "橙色（较大风险）",
        RiskColour::Yellow => "黄色（一般风险）",
        RiskColour::Blue => "蓝色（低风险）",
    }
}

fn line(out: &mut String, fields: &[&str]) {
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(&field(f));
    }
    out.push_str("\r\n");
}

fn field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@']) { format!("'{f}") } else { f.to_string() };
    if f.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1,2"), "\"'-1,2\"");
    }
}
