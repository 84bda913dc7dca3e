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
pub fn bundled() -> Vec<(&'static str, &'static str)> {
    vec![
        ("hazardous-chemicals.json", include_str!("../checklists/hazardous-chemicals.json")),
        ("dust-explosion.json", include_str!("../checklists/dust-explosion.json")),
        ("ammonia-refrigeration.json", include_str!("../checklists/ammonia-refrigeration.json")),
        ("confined-spaces.json", include_str!("../checklists/confined-spaces.json")),
        ("molten-metal.json", include_str!("../checklists/molten-metal.json")),
        ("al-mg-machining.json", include_str!("../checklists/al-mg-machining.json")),
        ("fire-safety.json", include_str!("../checklists/fire-safety.json")),
        ("construction.json", include_str!("../checklists/construction.json")),
        ("urban-gas.json", include_str!("../checklists/urban-gas.json")),
        ("special-equipment.json", include_str!("../checklists/special-equipment.json")),
        ("hazardous-waste.json", include_str!("../checklists/hazardous-waste.json")),
        ("small-manufacturing.json", include_str!("../checklists/small-manufacturing.json")),
        ("crowded-places.json", include_str!("../checklists/crowded-places.json")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_templates_parse_and_validate() {
        let all = bundled();
        assert!(all.len() >= 10);
        let mut ids = HashSet::new();
        for (file, text) in all {
            let t: Template = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            t.validate().unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(ids.insert(t.id.clone()), "{file}: duplicate id");
            assert!(t.items().count() >= 5, "{file}: too few items");
        }
    }
}
