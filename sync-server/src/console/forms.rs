//! The console's vocabulary in Chinese (statuses, levels, escalation...) and
//! the reading of action forms into [`Action`]s. Reading a form only turns
//! fields into values, with a Chinese message naming the field that is
//! wrong; whether the action is allowed is decided by the rule function
//! alone ([`super::actions`]), never here.

use super::ConsoleError;
use chrono::NaiveDate;
use paicha_core::enterprise::RiskColour;
use paicha_core::hazard::{Action, Escalation, GovernancePlan, Level, ListingLevel, Status};
use std::collections::HashMap;

/// A status as people call it.
pub fn status_name(s: Status) -> &'static str {
    s.zh()
}

/// A level as people call it.
pub fn level_name(l: Level) -> &'static str {
    l.zh()
}

/// A risk colour as people call it.
pub fn colour_name(c: RiskColour) -> &'static str {
    match c {
        RiskColour::Red => "红（重大风险）",
        RiskColour::Orange => "橙（较大风险）",
        RiskColour::Yellow => "黄（一般风险）",
        RiskColour::Blue => "蓝（低风险）",
    }
}

/// A listing level as people call it.
pub fn listing_name(l: ListingLevel) -> &'static str {
    match l {
        ListingLevel::County => "县级挂牌督办",
        ListingLevel::City => "市级挂牌督办",
        ListingLevel::Province => "省级挂牌督办",
    }
}

/// An escalation level (R10) in words.
pub fn escalation_text(e: &Escalation) -> String {
    match e {
        Escalation::None => "—".into(),
        Escalation::Reminder { days_left: 0 } => "今天到期".into(),
        Escalation::Reminder { days_left } => format!("提醒：还剩 {days_left} 天"),
        Escalation::Township { overdue_days } => format!("逾期 {overdue_days} 天：镇街督办"),
        Escalation::District { overdue_days } => format!("逾期 {overdue_days} 天：区级督办"),
        Escalation::VerificationLate { days_late } => format!("核销超期 {days_late} 天：区级督办"),
    }
}

/// How urgent an escalation is, for sorting boards (larger first).
pub fn escalation_rank(e: &Escalation) -> (u8, i64) {
    match e {
        Escalation::None => (0, 0),
        Escalation::Reminder { days_left } => (1, -days_left),
        Escalation::Township { overdue_days } => (2, *overdue_days),
        Escalation::VerificationLate { days_late } => (3, *days_late),
        Escalation::District { overdue_days } => (4, *overdue_days),
    }
}

/// An action's name as people call it.
pub fn action_name(name: &str) -> &'static str {
    match name {
        "report" => "上报隐患、下达整改指令",
        "fix_on_site" => "即查即改",
        "submit_evidence" => "提交整改材料",
        "review" => "复查",
        "verify" => "核销",
        "request_extension" => "申请延期",
        "decide_extension" => "延期审批",
        "void" => "撤销",
        "change_level" => "变更等级",
        "criteria_met" => "符合重大隐患判定标准",
        "submit_plan" => "提交治理方案",
        "list" => "挂牌督办",
        "suspend" => "停产停业",
        "request_resumption" => "申请复产",
        "escalate" => "督办",
        "edit" => "修改",
        "resolve_conflict" => "处理冲突",
        _ => "其他操作",
    }
}

/// A form's fields.
pub type Fields = HashMap<String, String>;

fn text(f: &Fields, name: &str) -> String {
    f.get(name).map(|v| v.trim().to_string()).unwrap_or_default()
}

fn required(f: &Fields, name: &str, label: &str) -> Result<String, ConsoleError> {
    let v = text(f, name);
    if v.is_empty() {
        return Err(ConsoleError::BadForm(format!("请填写“{label}”。")));
    }
    if v.chars().count() > 4000 {
        return Err(ConsoleError::BadForm(format!("“{label}”最多 4000 字。")));
    }
    Ok(v)
}

/// A date field (`YYYY-MM-DD`, what `<input type=date>` sends).
pub fn date(f: &Fields, name: &str, label: &str) -> Result<Option<NaiveDate>, ConsoleError> {
    let v = text(f, name);
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(&v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ConsoleError::BadForm(format!("“{label}”不是有效日期，应为 年-月-日，例如 2026-03-01。")))
}

fn required_date(f: &Fields, name: &str, label: &str) -> Result<NaiveDate, ConsoleError> {
    date(f, name, label)?.ok_or_else(|| ConsoleError::BadForm(format!("请填写“{label}”。")))
}

/// The action a form of the hidden danger page asks for (field `action`).
/// Evidence with photos comes through its own multipart form.
pub fn action_of(f: &Fields) -> Result<Action, ConsoleError> {
    let kind = text(f, "action");
    Ok(match kind.as_str() {
        "review_approve" | "review_reject" => {
            Action::Review { approve: kind == "review_approve", opinion: text(f, "opinion") }
        }
        "verify_approve" | "verify_reject" => {
            Action::Verify { approve: kind == "verify_approve", opinion: text(f, "opinion") }
        }
        "extension_grant" => Action::DecideExtension {
            grant: true,
            new_deadline: date(f, "new_deadline", "新的整改期限")?,
            reason: text(f, "reason"),
        },
        "extension_refuse" => {
            Action::DecideExtension { grant: false, new_deadline: None, reason: required(f, "reason", "理由")? }
        }
        "request_extension" => Action::RequestExtension {
            reason: required(f, "reason", "延期理由")?,
            proposed_deadline: required_date(f, "proposed_deadline", "申请延期至")?,
        },
        "void" => Action::Void { reason: required(f, "reason", "撤销理由")? },
        "change_level" => Action::ChangeLevel {
            level: Level::parse(&text(f, "level"))
                .map_err(|_| ConsoleError::BadForm("请选择“新的等级”：一般或重大。".into()))?,
            reason: required(f, "reason", "变更理由")?,
        },
        "list" => Action::List {
            level: ListingLevel::parse(&text(f, "listing"))
                .map_err(|_| ConsoleError::BadForm("请选择“挂牌级别”：县级、市级或省级。".into()))?,
            reason: text(f, "reason"),
        },
        "suspend" => Action::Suspend {
            from: required_date(f, "from", "停产起始日")?,
            until: required_date(f, "until", "停产截止日")?,
            reason: text(f, "reason"),
        },
        "request_resumption" => Action::RequestResumption { note: text(f, "note") },
        "resolve_conflict" => Action::ResolveConflict {
            events: f
                .get("events")
                .map(|e| e.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect())
                .unwrap_or_default(),
            note: required(f, "note", "处理意见")?,
        },
        "submit_plan" => Action::SubmitPlan {
            plan: GovernancePlan {
                objectives: text(f, "objectives"),
                methods: text(f, "methods"),
                funds_and_materials: text(f, "funds_and_materials"),
                responsible: text(f, "responsible"),
                time_limits: text(f, "time_limits"),
                safety_and_emergency: text(f, "safety_and_emergency"),
                reported_to_authority_on: date(f, "reported_to_authority_on", "向负有安全监管职责的部门报告日期")?,
                reported_to_workforce_on: date(f, "reported_to_workforce_on", "向职工大会或职工代表大会报告日期")?,
            },
        },
        _ => return Err(ConsoleError::BadForm("表单没有说明要执行哪项操作。".into())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn forms_become_actions_and_bad_fields_are_named() {
        let a = action_of(&fields(&[("action", "review_reject"), ("opinion", "照片不清")])).unwrap();
        assert_eq!(a, Action::Review { approve: false, opinion: "照片不清".into() });
        let bad =
            action_of(&fields(&[("action", "request_extension"), ("reason", "等配件"), ("proposed_deadline", "3月")]));
        assert!(matches!(bad, Err(ConsoleError::BadForm(m)) if m.contains("申请延期至")));
        assert!(
            matches!(action_of(&fields(&[("action", "void")])), Err(ConsoleError::BadForm(m)) if m.contains("撤销理由"))
        );
        assert!(matches!(action_of(&fields(&[])), Err(ConsoleError::BadForm(_))));
    }
}
