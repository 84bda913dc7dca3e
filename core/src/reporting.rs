//! Reporting a hidden danger: what a report may claim about its checklist
//! item, its criteria and the inspectors who issue the order (R4, R13, §1).
//!
//! The tablet calls [`criteria_for`] to pre-fill a report and
//! [`check_report`] before it records one; the sync server calls
//! [`check_report`] on every uploaded report and [`check_criteria_met`] on
//! every `criteria_met` event, with people, inspections and templates from its
//! own registry. A hidden danger is major only through a criterion the reader
//! can verify in the pinned template, or through an R13 level change.

use crate::error::RuleError;
use crate::hazard::{Handling, Level, ReportData};
use crate::inspection::Inspection;
use crate::people::{Person, Role};
use crate::template::Template;

/// The checklist item a report comes from, as its reader knows it: the
/// inspection and its pinned template version.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The inspection that found the hidden danger.
    pub inspection: &'a Inspection,
    /// The template version the inspection pinned (R3).
    pub template: &'a Template,
}

/// The criteria an item meets: `direct` ones always apply to a finding of
/// the item; `composite` ones only once the inspection is completed and the
/// group's threshold is reached over all its answers (R4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCriteria {
    /// Reasons from direct criteria.
    pub direct: Vec<String>,
    /// Reasons from composite groups met by the completed inspection.
    pub composite: Vec<String>,
}

/// The criteria of `item_code` in `source` (R4). The item counts as a
/// finding whatever its answer so far, since a report raised from it says
/// it does not conform.
pub fn criteria_for(source: Source, item_code: &str) -> ItemCriteria {
    let mut probe = source.inspection.clone();
    let answered_as_finding = probe.answers.get(item_code).is_some_and(|a| {
        source.template.item(item_code).is_some_and(|item| crate::inspection::is_finding(item, &a.value))
    });
    if !answered_as_finding {
        let by = probe.header.inspectors.first().map(|p| p.id.clone()).unwrap_or_default();
        probe.answers.insert(
            item_code.to_string(),
            crate::inspection::Answer {
                item_code: item_code.to_string(),
                value: crate::inspection::AnswerValue::DoesNotConform,
                note: String::new(),
                photos: vec![],
                by,
                at: probe.header.started_at,
            },
        );
    }
    let completed = source.inspection.completion.is_some();
    let mut out = ItemCriteria::default();
    if let Some(f) = probe.evaluate(source.template).into_iter().find(|f| f.item_code == item_code) {
        for r in f.reasons {
            if r.starts_with("direct") {
                out.direct.push(r);
            } else if completed && answered_as_finding {
                out.composite.push(r);
            }
        }
    }
    out
}

/// Checks what a report claims against what its reader knows: the reporter
/// and co-inspectors from the registry (`co_inspectors` resolved there, in
/// the report's order), the enterprise's registered township, and the
/// inspection and template it came from.
///
/// - R2: the enterprise is in the township the registry gives it.
/// - §1: a rectification order is issued by two inspectors with certificate
///   numbers (执法证号), both known to the registry.
/// - R4: an item of an inspection of the same enterprise, in the pinned
///   template, not answered as conforming.
/// - R4/R13: the report is major exactly when it names criteria, and every
///   criterion it names is one its item meets.
pub fn check_report(
    report: &ReportData,
    reporter: &Person,
    co_inspectors: &[Person],
    registered_township: &str,
    source: Option<Source>,
) -> Result<(), RuleError> {
    if report.enterprise.township != registered_township {
        return Err(RuleError::new(
            "R2",
            format!(
                "enterprise {} is registered in {registered_township}, not in {}",
                report.enterprise.credit_code, report.enterprise.township
            ),
        ));
    }
    if report.co_inspectors.len() != co_inspectors.len()
        || report.co_inspectors.iter().zip(co_inspectors).any(|(claimed, known)| claimed.id != known.id)
    {
        return Err(RuleError::new("§1", "the co-inspectors must be people of the registry"));
    }
    for (claimed, known) in report.co_inspectors.iter().zip(co_inspectors) {
        if claimed.role != known.role {
            return Err(RuleError::new(
                "§1",
                format!(
                    "{} is {} in the registry, not {}",
                    known.id,
                    known.role.with_article(),
                    claimed.role.with_article()
                ),
            ));
        }
    }
    if report.handling == Handling::Deadline {
        let certified = |p: &Person| p.certificate_no.as_deref().is_some_and(|c| !c.trim().is_empty());
        if !certified(reporter) {
            return Err(RuleError::new(
                "§1",
                format!("{} has no certificate number (执法证号) and cannot issue a rectification order", reporter.id),
            ));
        }
        let second = co_inspectors.iter().find(|p| p.id != reporter.id && p.role == Role::Inspector);
        match second {
            None => {
                return Err(RuleError::new(
                    "§1",
                    "a rectification order is always issued by two inspectors: name the second inspector",
                ))
            }
            Some(p) if !certified(p) => {
                return Err(RuleError::new(
                    "§1",
                    format!(
                        "co-inspector {} has no certificate number (执法证号); an order names two certified inspectors",
                        p.id
                    ),
                ))
            }
            Some(p) if !p.in_scope(&report.enterprise.credit_code, &report.enterprise.township) => {
                return Err(RuleError::new(
                    "R2",
                    format!("co-inspector {} has no scope over {}", p.id, report.enterprise.township),
                ))
            }
            Some(_) => {}
        }
    }
    let allowed = match (&report.inspection_id, &report.item_code, source) {
        (None, Some(_), _) => return Err(RuleError::new("R4", "an item code needs the inspection it belongs to")),
        (Some(id), _, None) => {
            return Err(RuleError::new("R4", format!("inspection {id} is not known here; sync it first")))
        }
        (Some(id), item, Some(src)) => {
            if src.inspection.header.id != *id {
                return Err(RuleError::new(
                    "R4",
                    format!("the report names inspection {id}, not {}", src.inspection.header.id),
                ));
            }
            if src.inspection.header.enterprise != report.enterprise.credit_code {
                return Err(RuleError::new(
                    "R4",
                    format!(
                        "inspection {id} is of enterprise {}, not {}",
                        src.inspection.header.enterprise, report.enterprise.credit_code
                    ),
                ));
            }
            match item {
                None => ItemCriteria::default(),
                Some(code) => {
                    if src.template.item(code).is_none() {
                        return Err(RuleError::new(
                            "R4",
                            format!(
                                "item {code} does not exist in template {} v{}",
                                src.template.id, src.template.version
                            ),
                        ));
                    }
                    criteria_for(src, code)
                }
            }
        }
        (None, None, _) => ItemCriteria::default(),
    };
    for r in &report.criteria {
        if !allowed.direct.contains(r) && !allowed.composite.contains(r) {
            return Err(RuleError::new(
                "R13",
                format!("criterion '{r}' is not one the checklist item meets; a hidden danger becomes major only through a criterion of its item or a level change (R13)"),
            ));
        }
    }
    if let Some(missing) = allowed.direct.iter().find(|r| !report.criteria.contains(r)) {
        return Err(RuleError::new(
            "R4",
            format!("the item meets the direct criterion '{missing}': the report must name it"),
        ));
    }
    match (report.level, report.criteria.is_empty()) {
        (Level::Major, true) => Err(RuleError::new(
            "R13",
            "a hidden danger is reported major only through a criterion of its checklist item; a supervisor or the district raises the level (R13)",
        )),
        (Level::General, false) => Err(RuleError::new("R4", "a report that meets a criterion is major")),
        _ => Ok(()),
    }
}

/// Checks a `criteria_met` event (composite criteria applied when the
/// inspection is completed, R4): every reason must be a composite group its
/// item meets in the completed inspection.
pub fn check_criteria_met(
    reasons: &[String],
    item_code: Option<&str>,
    source: Option<Source>,
) -> Result<(), RuleError> {
    let (Some(code), Some(src)) = (item_code, source) else {
        return Err(RuleError::new(
            "R4",
            "criteria apply only to a hidden danger raised from a checklist item of a known inspection",
        ));
    };
    if src.inspection.completion.is_none() {
        return Err(RuleError::new("R4", "composite criteria apply once the inspection is completed"));
    }
    let allowed = criteria_for(src, code);
    for r in reasons {
        if !allowed.composite.contains(r) {
            return Err(RuleError::new(
                "R13",
                format!("criterion '{r}' is not a composite group that item {code} meets in the completed inspection"),
            ));
        }
    }
    if reasons.is_empty() {
        return Err(RuleError::new("R4", "name the criteria that were met"));
    }
    Ok(())
}
