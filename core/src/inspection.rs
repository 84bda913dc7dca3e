//! Inspections (检查记录): a template version pinned (R3), the inspectors, the
//! answers, and on completion the evaluation of major-hazard criteria (R4).

use crate::error::RuleError;
use crate::people::{Person, Role};
use crate::photo::{Gps, PhotoRef};
use crate::template::{AnswerKind, Item, Judgement, Template};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// 排查来源: why the check was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 日常检查.
    Routine,
    /// 专项整治.
    SpecialCampaign,
    /// 双随机.
    RandomPlan,
    /// 投诉举报.
    Complaint,
    /// 复产复工前.
    BeforeResumption,
    /// 企业自查.
    SelfInspection,
    /// Anything else.
    Other,
}

impl Source {
    /// Parses the snake_case names.
    pub fn parse(s: &str) -> Result<Source, String> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
            format!("source '{s}' is not one of routine, special_campaign, random_plan, complaint, before_resumption, self_inspection, other")
        })
    }
}

/// What an inspection is about, fixed when it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionHeader {
    /// Stable id created on the device.
    pub id: String,
    /// Template id.
    pub template_id: String,
    /// Template version, pinned (R3).
    pub template_version: u32,
    /// Sector of the template.
    pub sector: String,
    /// Enterprise credit code.
    pub enterprise: String,
    /// Enterprise name at the time.
    pub enterprise_name: String,
    /// Township of the enterprise.
    pub township: String,
    /// The inspectors, with certificate numbers.
    pub inspectors: Vec<Person>,
    /// Why the check was made.
    pub source: Source,
    /// An enforcement inspection needs two certified inspectors.
    pub enforcement: bool,
    /// Start time (device clock).
    pub started_at: Timestamp,
    /// Device it was started on.
    pub device_id: String,
    /// Where.
    #[serde(default)]
    pub location: Option<Gps>,
}

/// The answer given to an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnswerValue {
    /// 符合.
    Conforms,
    /// 不符合.
    DoesNotConform,
    /// 不适用.
    NotApplicable,
    /// A measured number.
    Number {
        /// The value.
        value: f64,
    },
    /// Free text.
    Text {
        /// The text.
        text: String,
    },
    /// A photo was taken (see the answer's photos).
    Photo,
}

impl AnswerValue {
    /// Parses the command-line form: `conforms`, `does_not_conform` (or `no`),
    /// `na`, a number, `photo`, or `text:...`.
    pub fn parse(s: &str) -> AnswerValue {
        match s.trim() {
            "conforms" | "yes" | "符合" => AnswerValue::Conforms,
            "does_not_conform" | "no" | "不符合" => AnswerValue::DoesNotConform,
            "na" | "not_applicable" | "不适用" => AnswerValue::NotApplicable,
            "photo" => AnswerValue::Photo,
            other => match other.parse::<f64>() {
                Ok(v) if v.is_finite() => AnswerValue::Number { value: v },
                _ => AnswerValue::Text { text: other.strip_prefix("text:").unwrap_or(other).to_string() },
            },
        }
    }
}

impl AnswerValue {
    /// The answer in words, for messages: `conforms`, `a number (3.5)`, `text`...
    pub fn describe(&self) -> String {
        match self {
            AnswerValue::Conforms => "conforms".into(),
            AnswerValue::DoesNotConform => "does_not_conform".into(),
            AnswerValue::NotApplicable => "na".into(),
            AnswerValue::Number { value } => format!("a number ({value})"),
            AnswerValue::Text { .. } => "text".into(),
            AnswerValue::Photo => "a photo".into(),
        }
    }
}

/// One recorded answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The item.
    pub item_code: String,
    /// The answer.
    pub value: AnswerValue,
    /// The inspector's note.
    #[serde(default)]
    pub note: String,
    /// Photos taken for this item.
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
    /// Who answered.
    pub by: String,
    /// When (device clock).
    pub at: Timestamp,
}

/// A signature on the inspection record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// Who signed.
    pub name: String,
    /// As what: `inspector` or `enterprise_representative`.
    pub capacity: String,
    /// The signature image, if captured.
    #[serde(default)]
    pub image: Option<PhotoRef>,
}

/// How the inspection ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// End time (device clock).
    pub ended_at: Timestamp,
    /// Who completed it.
    pub by: String,
    /// Signatures.
    pub signatures: Vec<Signature>,
}

/// A whole inspection as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Header.
    pub header: InspectionHeader,
    /// Answers by item code.
    pub answers: BTreeMap<String, Answer>,
    /// Set once completed; answers are then frozen.
    pub completion: Option<Completion>,
}

/// A non-conforming item found in an inspection, with the level the criteria give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Item code.
    pub item_code: String,
    /// The item's question, the pre-filled description of a hidden danger.
    pub question: String,
    /// The item's legal basis.
    pub legal_basis: String,
    /// Whether the criteria make it major.
    pub major: bool,
    /// Which criteria made it major (`direct` or `composite group n/threshold`).
    pub reasons: Vec<String>,
}

/// Checks who may start an inspection and with whom (R2, domain.md §2).
pub fn check_start(header: &InspectionHeader, starter: &Person) -> Result<(), RuleError> {
    let self_check = starter.role == Role::Enterprise && header.source == Source::SelfInspection;
    if starter.role != Role::Inspector && !self_check {
        return Err(RuleError::new(
            "R2",
            format!("{} is {}; only inspectors run inspections", starter.id, starter.role.with_article()),
        ));
    }
    if !starter.in_scope(&header.enterprise, &header.township) {
        return Err(RuleError::new(
            "R2",
            format!("{} has no scope over enterprise {} in {}", starter.id, header.enterprise, header.township),
        ));
    }
    if header.enforcement {
        let certified: BTreeSet<&str> = header
            .inspectors
            .iter()
            .filter(|p| p.role == Role::Inspector && p.certificate_no.as_deref().is_some_and(|c| !c.trim().is_empty()))
            .map(|p| p.id.as_str())
            .collect();
        if certified.len() < 2 {
            return Err(RuleError::new(
                "§2",
                "an enforcement inspection needs at least two inspectors with certificate numbers (执法证号)",
            ));
        }
    }
    Ok(())
}

/// Checks an answer against the item's kind.
pub fn check_answer(item: &Item, value: &AnswerValue, photos: usize) -> Result<(), String> {
    let ok = match (&item.answer, value) {
        (AnswerKind::Compliance, AnswerValue::Conforms | AnswerValue::DoesNotConform | AnswerValue::NotApplicable) => {
            true
        }
        (AnswerKind::Number { .. }, AnswerValue::Number { .. } | AnswerValue::NotApplicable) => true,
        (AnswerKind::Text, AnswerValue::Text { .. } | AnswerValue::NotApplicable) => true,
        (AnswerKind::Photo, AnswerValue::Photo) => photos > 0,
        (AnswerKind::Photo, AnswerValue::NotApplicable) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "item {} expects {}, got {}",
            item.code,
            match &item.answer {
                AnswerKind::Compliance => "conforms / does_not_conform / na".to_string(),
                AnswerKind::Number { unit, .. } => format!("a number in {unit}, or na"),
                AnswerKind::Text => "text, or na".to_string(),
                AnswerKind::Photo => "a photo answer with at least one photo attached, or na".to_string(),
            },
            match value {
                AnswerValue::Photo if photos == 0 => "a photo answer without a photo".to_string(),
                other => other.describe(),
            }
        ))
    }
}

/// Whether an answer is a finding (does not conform, or a number out of limits).
pub fn is_finding(item: &Item, value: &AnswerValue) -> bool {
    match (value, &item.answer) {
        (AnswerValue::DoesNotConform, _) => true,
        (AnswerValue::Number { value }, AnswerKind::Number { min, max, .. }) => {
            min.is_some_and(|m| *value < m) || max.is_some_and(|m| *value > m)
        }
        _ => false,
    }
}

/// R2: whether `person` is one of the inspection's team (the people of its header).
pub fn check_in_team(insp: &Inspection, person: &Person) -> Result<(), RuleError> {
    if insp.header.inspectors.iter().any(|p| p.id == person.id) {
        Ok(())
    } else {
        Err(RuleError::new(
            "R2",
            format!("{} is not one of the inspectors of inspection {}", person.id, insp.header.id),
        ))
    }
}

/// The checks of recording `answer` on `insp` by `person` against the pinned
/// `template`: one of the team (R2), signed by them (R1), before completion,
/// an item of the pinned version with an answer of its kind (R3). The tablet
/// runs it before writing an answer, the server on every uploaded one.
pub fn check_answer_by(
    insp: &Inspection,
    person: &Person,
    template: &Template,
    answer: &Answer,
) -> Result<(), RuleError> {
    check_in_team(insp, person)?;
    if answer.by != person.id {
        return Err(RuleError::new(
            "R1",
            format!("answer {} is signed by {}, not by {}", answer.item_code, answer.by, person.id),
        ));
    }
    if let Some(c) = &insp.completion {
        return Err(RuleError::new(
            "R3",
            format!(
                "inspection {} was completed at {}; its answers are part of the record now",
                insp.header.id, c.ended_at
            ),
        ));
    }
    if template.id != insp.header.template_id || template.version != insp.header.template_version {
        return Err(RuleError::new(
            "R3",
            format!(
                "inspection {} pinned template {} v{}",
                insp.header.id, insp.header.template_id, insp.header.template_version
            ),
        ));
    }
    let item = template.item(&answer.item_code).ok_or_else(|| {
        RuleError::new(
            "R3",
            format!("item {} does not exist in template {} v{}", answer.item_code, template.id, template.version),
        )
    })?;
    check_answer(item, &answer.value, answer.photos.len()).map_err(|e| RuleError::new("R3", e))
}

/// The checks of completing `insp` by `person` against its pinned
/// `template`: one of the team (R2), signed by them (R1), only once (R3),
/// and every item of the pinned version answered (R4: the criteria are
/// evaluated over the whole inspection, so a checklist half done cannot be
/// evaluated; not applicable is an answer). The tablet runs it before
/// completing, the server on every uploaded completion.
pub fn check_completion(
    insp: &Inspection,
    person: &Person,
    template: &Template,
    completion: &Completion,
) -> Result<(), RuleError> {
    check_in_team(insp, person)?;
    if completion.by != person.id {
        return Err(RuleError::new(
            "R1",
            format!("the completion is signed by {}, not by {}", completion.by, person.id),
        ));
    }
    if insp.completion.is_some() {
        return Err(RuleError::new("R3", format!("inspection {} is already completed", insp.header.id)));
    }
    let missing = unanswered(insp, template);
    if !missing.is_empty() {
        return Err(RuleError::new(
            "R4",
            format!(
                "inspection {} cannot be completed: {} of the {} items of template {} v{} are unanswered: {}; answer every item (not applicable is an answer)",
                insp.header.id,
                missing.len(),
                template.items().count(),
                template.id,
                template.version,
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The codes of the items of `template` that `insp` has not answered, in
/// the template's order (R4: all must be answered before completion).
pub fn unanswered(insp: &Inspection, template: &Template) -> Vec<String> {
    template.items().filter(|i| !insp.answers.contains_key(&i.code)).map(|i| i.code.clone()).collect()
}

impl Inspection {
    /// R4: the findings of this inspection, with `direct` criteria and
    /// `composite` groups (counted over the whole inspection) deciding which are major.
    pub fn evaluate(&self, template: &Template) -> Vec<Finding> {
        let mut findings: Vec<(Finding, &Item)> = Vec::new();
        for item in template.items() {
            let Some(answer) = self.answers.get(&item.code) else { continue };
            if !is_finding(item, &answer.value) {
                continue;
            }
            let mut f = Finding {
                item_code: item.code.clone(),
                question: item.question.clone(),
                legal_basis: item.legal_basis.clone(),
                major: false,
                reasons: vec![],
            };
            for c in &item.criteria {
                if c.judgement == Judgement::Direct {
                    f.major = true;
                    f.reasons.push(
                        format!("direct: {} {}", c.standard, c.clause.clone().unwrap_or_default()).trim().to_string(),
                    );
                }
            }
            findings.push((f, item));
        }
        // Count composite groups over all findings.
        let mut groups: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
        for (_, item) in &findings {
            for c in &item.criteria {
                if let Judgement::Composite { group, threshold } = &c.judgement {
                    let e = groups.entry((c.standard.clone(), group.clone())).or_insert((0, *threshold));
                    e.0 += 1;
                }
            }
        }
        for (f, item) in &mut findings {
            for c in &item.criteria {
                if let Judgement::Composite { group, .. } = &c.judgement {
                    if let Some((n, t)) = groups.get(&(c.standard.clone(), group.clone())) {
                        if n >= t {
                            f.major = true;
                            f.reasons.push(format!("composite: {} group {group} {n}/{t}", c.standard));
                        }
                    }
                }
            }
        }
        findings.into_iter().map(|(f, _)| f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        let (_, text) = crate::template::bundled()[0];
        serde_json::from_str(text).expect("a bundled template")
    }

    fn inspection(t: &Template, inspector: &Person) -> Inspection {
        let header = InspectionHeader {
            id: "i1".into(),
            template_id: t.id.clone(),
            template_version: t.version,
            sector: t.sector.clone(),
            enterprise: "E1".into(),
            enterprise_name: "E".into(),
            township: "玉山镇".into(),
            inspectors: vec![inspector.clone()],
            source: Source::Routine,
            enforcement: false,
            started_at: Timestamp(0),
            device_id: "d".into(),
            location: None,
        };
        Inspection { header, answers: BTreeMap::new(), completion: None }
    }

    fn answer(code: &str, value: AnswerValue) -> Answer {
        Answer { item_code: code.into(), value, note: String::new(), photos: vec![], by: "p".into(), at: Timestamp(1) }
    }

    #[test]
    fn r4_completion_needs_every_item_answered_not_applicable_counts() {
        let t = template();
        let p = crate::demo::person_by_id("insp-wang").map(|p| Person { id: "p".into(), ..p }).expect("demo person");
        let mut insp = inspection(&t, &p);
        let done = Completion { ended_at: Timestamp(2), by: "p".into(), signatures: vec![] };
        let codes: Vec<String> = t.items().map(|i| i.code.clone()).collect();
        let first = &codes[0];
        insp.answers.insert(first.clone(), answer(first, AnswerValue::NotApplicable));
        let e = check_completion(&insp, &p, &t, &done).unwrap_err();
        assert_eq!(e.rule, "R4");
        assert!(e.message.contains(&codes[1..].join(", ")), "{}", e.message);
        assert!(!e.message.contains(&format!("{first},")), "{}", e.message);
        assert_eq!(unanswered(&insp, &t), codes[1..].to_vec());
        for code in &codes[1..] {
            insp.answers.insert(code.clone(), answer(code, AnswerValue::NotApplicable));
        }
        check_completion(&insp, &p, &t, &done).unwrap();
    }

    #[test]
    fn an_answer_of_the_wrong_kind_names_the_item_and_the_kind() {
        let t = template();
        let item = t.items().find(|i| i.answer == AnswerKind::Compliance).expect("a compliance item");
        let e = check_answer(item, &AnswerValue::Number { value: 3.0 }, 0).unwrap_err();
        assert!(e.contains(&item.code) && e.contains("conforms / does_not_conform / na"), "{e}");
    }
}
