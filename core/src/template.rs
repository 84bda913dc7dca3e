//! Checklist templates (检查表): versioned, immutable once published (R3),
//! with items linked to major-hazard criteria (R4).

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A published checklist template version. Inspections pin `(id, version)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Stable identifier, for example `dust-explosion`.
    pub id: String,
    /// Version number; a published version never changes (R3).
    pub version: u32,
    /// Sector (行业领域) as used for enterprises and statistics.
    pub sector: String,
    /// Title shown to the inspector.
    pub title: String,
    /// Sections of items.
    pub sections: Vec<Section>,
}

/// A section of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Section title.
    pub title: String,
    /// Items.
    pub items: Vec<Item>,
}

/// One question of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Code, unique within the template (for example `DE-03`).
    pub code: String,
    /// The question the inspector answers.
    pub question: String,
    /// The regulation or standard the item enforces.
    pub legal_basis: String,
    /// How the item is answered.
    pub answer: AnswerKind,
    /// Links to major-hazard criteria, if any (R4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<CriterionLink>,
}

/// How an item is answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnswerKind {
    /// Conforms / does not conform / not applicable.
    Compliance,
    /// A measured number that must stay within limits.
    Number {
        /// Unit shown to the inspector.
        unit: String,
        /// Lowest conforming value, if any.
        #[serde(default)]
        min: Option<f64>,
        /// Highest conforming value, if any.
        #[serde(default)]
        max: Option<f64>,
    },
    /// Free text.
    Text,
    /// A photo must be taken.
    Photo,
}

/// A link from an item to a clause of a major-hazard criteria set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionLink {
    /// The criteria set (for example 工贸企业重大事故隐患判定标准).
    pub standard: String,
    /// Its version (criteria sets are versioned separately from templates, R3).
    pub standard_version: String,
    /// The clause, only where it is known.
    #[serde(default)]
    pub clause: Option<String>,
    /// How a finding on this item counts.
    pub judgement: Judgement,
}

/// R4: `direct` makes a finding major alone; `composite` only when at least
/// `threshold` findings of `group` occur in the same inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Judgement {
    /// This finding alone makes the hidden danger major.
    Direct,
    /// Major only together with enough findings of the group.
    Composite {
        /// Group name.
        group: String,
        /// Findings of the group needed.
        threshold: u32,
    },
}

impl Template {
    /// All items in order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.sections.iter().flat_map(|s| s.items.iter())
    }

    /// The item with `code`, if any.
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items().find(|i| i.code == code)
    }

    /// Checks a template read from a file: required fields, unique item codes,
    /// a legal basis on every item, sane composite thresholds.
    pub fn validate(&self) -> Result<(), String> {
        let name = format!("template {} v{}", self.id, self.version);
        if self.id.trim().is_empty() || self.title.trim().is_empty() || self.sector.trim().is_empty() {
            return Err(format!("{name}: id, title and sector are required"));
        }
        if self.version == 0 {
            return Err(format!("{name}: versions start at 1"));
        }
        let mut seen = HashSet::new();
        for item in self.items() {
            if !seen.insert(item.code.as_str()) {
                return Err(format!("{name}: item code {} appears twice", item.code));
            }
            if item.legal_basis.trim().is_empty() {
                return Err(format!("{name}: item {} has no legal basis", item.code));
            }
            if item.question.trim().is_empty() {
                return Err(format!("{name}: item {} has no question", item.code));
            }
            for c in &item.criteria {
                if let Judgement::Composite { threshold, .. } = &c.judgement {
                    if *threshold < 2 {
                        return Err(format!(
                            "{name}: item {}: a composite threshold below 2 is a direct criterion",
                            item.code
                        ));
                    }
                }
            }
        }
        if seen.is_empty() {
            return Err(format!("{name}: has no items"));
        }
        Ok(())
    }
}

/// The checklist library shipped with paicha (`core/checklists/*.json`),
/// loaded into every new store.
///
/// Every published version stays in the list (R3: inspections pinned to an
/// older version must still load). For each id the newest version comes
/// first; the server's storage conformance tests take the first entry as a
/// template whose next version is not yet published.
pub fn bundled() -> Vec<(&'static str, &'static str)> {
    vec![
        ("hazardous-chemicals-v2.json", include_str!("../checklists/hazardous-chemicals-v2.json")),
        ("hazardous-chemicals.json", include_str!("../checklists/hazardous-chemicals.json")),
        ("dust-explosion-v2.json", include_str!("../checklists/dust-explosion-v2.json")),
        ("dust-explosion.json", include_str!("../checklists/dust-explosion.json")),
        ("ammonia-refrigeration-v2.json", include_str!("../checklists/ammonia-refrigeration-v2.json")),
        ("ammonia-refrigeration.json", include_str!("../checklists/ammonia-refrigeration.json")),
        ("confined-spaces-v2.json", include_str!("../checklists/confined-spaces-v2.json")),
        ("confined-spaces.json", include_str!("../checklists/confined-spaces.json")),
        ("molten-metal-v2.json", include_str!("../checklists/molten-metal-v2.json")),
        ("molten-metal.json", include_str!("../checklists/molten-metal.json")),
        ("al-mg-machining-v2.json", include_str!("../checklists/al-mg-machining-v2.json")),
        ("al-mg-machining.json", include_str!("../checklists/al-mg-machining.json")),
        ("fire-safety.json", include_str!("../checklists/fire-safety.json")),
        ("construction-v2.json", include_str!("../checklists/construction-v2.json")),
        ("construction.json", include_str!("../checklists/construction.json")),
        ("urban-gas.json", include_str!("../checklists/urban-gas.json")),
        ("special-equipment.json", include_str!("../checklists/special-equipment.json")),
        ("hazardous-waste.json", include_str!("../checklists/hazardous-waste.json")),
        ("small-manufacturing.json", include_str!("../checklists/small-manufacturing.json")),
        ("crowded-places.json", include_str!("../checklists/crowded-places.json")),
    ]
}

/// The newest version of template `id` among `templates`: what a caller that
/// names a template by id alone (no pinned version) must use.
pub fn latest<'a>(templates: &'a [Template], id: &str) -> Option<&'a Template> {
    templates.iter().filter(|t| t.id == id).max_by_key(|t| t.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed() -> Vec<Template> {
        bundled()
            .into_iter()
            .map(|(file, text)| serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}")))
            .collect()
    }

    #[test]
    fn bundled_templates_parse_and_validate() {
        let all = bundled();
        assert!(all.len() >= 10);
        let mut ids = HashSet::new();
        for (file, text) in all {
            let t: Template = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            t.validate().unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(ids.insert((t.id.clone(), t.version)), "{file}: duplicate id and version");
            assert!(t.items().count() >= 5, "{file}: too few items");
            let expected =
                if t.version == 1 { format!("{}.json", t.id) } else { format!("{}-v{}.json", t.id, t.version) };
            assert_eq!(file, expected, "file name follows id and version");
        }
    }

    /// R3: every version of an id stays bundled (1..=n, none missing), and the
    /// newest comes first in the list (see `bundled`).
    #[test]
    fn every_version_stays_bundled_newest_first() {
        let all = parsed();
        let mut seen: Vec<&str> = vec![];
        for (n, t) in all.iter().enumerate() {
            let versions: Vec<u32> = all.iter().filter(|o| o.id == t.id).map(|o| o.version).collect();
            let newest = *versions.iter().max().unwrap();
            for v in 1..=newest {
                assert!(versions.contains(&v), "{} v{v} is no longer bundled", t.id);
            }
            if !seen.contains(&t.id.as_str()) {
                assert_eq!(t.version, newest, "entry {n}: {} must list its newest version first", t.id);
                seen.push(&t.id);
            }
        }
        assert_eq!(all[0].version, latest(&all, &all[0].id).unwrap().version);
    }

    #[test]
    fn a_template_named_by_id_alone_is_its_latest_version() {
        let all = parsed();
        for t in &all {
            let l = latest(&all, &t.id).unwrap();
            assert!(l.version >= t.version);
            assert_eq!(l.id, t.id);
        }
        assert_eq!(latest(&all, "dust-explosion").unwrap().version, 2);
        assert_eq!(latest(&all, "hazardous-chemicals").unwrap().version, 2);
        assert_eq!(latest(&all, "fire-safety").unwrap().version, 1);
        assert!(latest(&all, "no-such-template").is_none());
        // Inspections pinned to version 1 still find it.
        assert!(all.iter().any(|t| t.id == "dust-explosion" && t.version == 1));
    }

    /// A newer version keeps the codes of unchanged questions: every code of
    /// the previous version is still there with the same question and answer
    /// kind, and a new question gets a new code.
    #[test]
    fn newer_versions_keep_item_codes_stable() {
        let all = parsed();
        for t in all.iter().filter(|t| t.version > 1) {
            let prev = all.iter().find(|o| o.id == t.id && o.version == t.version - 1).unwrap();
            for old in prev.items() {
                let new = t.item(&old.code).unwrap_or_else(|| panic!("{} v{}: {} dropped", t.id, t.version, old.code));
                assert_eq!(new.question, old.question, "{} v{}: {} changed its question", t.id, t.version, old.code);
                assert_eq!(new.answer, old.answer, "{} v{}: {} changed its answer kind", t.id, t.version, old.code);
            }
            let old_questions: HashSet<&str> = prev.items().map(|i| i.question.as_str()).collect();
            for new in t.items().filter(|i| prev.item(&i.code).is_none()) {
                assert!(
                    !old_questions.contains(new.question.as_str()),
                    "{}: {} reuses an old question",
                    t.id,
                    new.code
                );
            }
        }
    }

    /// Every direct criterion in a version published after the first carries
    /// the exact clause it enforces (core/checklists/README.md lists sources);
    /// composite groups use one threshold per group.
    #[test]
    fn newer_versions_cite_a_clause_for_every_direct_criterion() {
        let all = parsed();
        let newer: Vec<&Template> = all.iter().filter(|t| t.version > 1).collect();
        assert!(!newer.is_empty());
        for t in newer {
            for item in t.items() {
                for c in &item.criteria {
                    assert!(!c.standard.trim().is_empty() && !c.standard_version.trim().is_empty());
                    if c.judgement == Judgement::Direct {
                        let clause = c.clause.as_deref().unwrap_or("");
                        assert!(
                            clause.starts_with('第') && clause.chars().count() >= 3,
                            "{} v{}: {} has a direct criterion without a clause",
                            t.id,
                            t.version,
                            item.code
                        );
                    }
                }
            }
        }
        for t in &all {
            let mut thresholds: std::collections::HashMap<(&str, &str), u32> = Default::default();
            for item in t.items() {
                for c in &item.criteria {
                    if let Judgement::Composite { group, threshold } = &c.judgement {
                        let th = *thresholds.entry((c.standard.as_str(), group.as_str())).or_insert(*threshold);
                        assert_eq!(th, *threshold, "{} v{}: group {group} has two thresholds", t.id, t.version);
                    }
                }
            }
        }
    }
}
