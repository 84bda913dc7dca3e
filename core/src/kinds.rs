//! The registry of record kinds: which kinds of record exist, which root keys
//! each may hold, what value each key carries, and how a stored key may
//! change. The document layer, the tablet store, the sync client and the
//! server's validation all ask this one place, so a kind they do not know is
//! an error everywhere rather than a guess.
//!
//! Every value of a record is a JSON text in an Automerge string scalar under a
//! flat root key (docs/adr/0001). History is append-only (R1): once the server
//! holds a value under a key, no upload may remove or replace it. Only answer
//! keys may gain a second, concurrent value (two inspectors answering the same
//! item offline), which is a conflict shown to a person, never an overwrite.

use serde::{Deserialize, Serialize};

/// A kind of record; one Automerge document per record (docs/adr/0001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A hidden danger (事故隐患): a list of immutable events.
    Hazard,
    /// An inspection (检查记录): header, answers, completion.
    Inspection,
    /// A rectification order (责令限期整改指令书): body, and a void if voided.
    Order,
    /// A review opinion (整改复查意见书): body.
    ReviewOpinion,
}

/// A record kind this code does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record kind '{0}'; the kinds are hazard, inspection, order, review_opinion")]
pub struct UnknownKind(pub String);

/// What a root key of a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    /// `type`: the record's kind.
    Type,
    /// `id`: the record's id.
    Id,
    /// `ev/<event id>`: one hidden-danger event.
    Event,
    /// `header`: an inspection's header.
    Header,
    /// `answer/<item code>` or `answer/<item code>#<revision>`: one answer.
    Answer,
    /// `completion`: an inspection's completion.
    Completion,
    /// `body`: a document's content, written once.
    Body,
    /// `void`: an order's void, written once.
    Void,
}

impl KeyClass {
    /// Whether a key of this class that already holds a value may gain a
    /// second, concurrent one. Only answers may (a conflict shown to a
    /// person); every other value is written once.
    pub fn accepts_concurrent_values(self) -> bool {
        matches!(self, KeyClass::Answer)
    }

    /// The value a key of this class holds, for error messages.
    pub fn expected_value(self) -> &'static str {
        match self {
            KeyClass::Type | KeyClass::Id => "a string scalar",
            _ => "a string scalar holding JSON",
        }
    }
}

impl DocKind {
    /// Every kind, in a fixed order.
    pub const ALL: [DocKind; 4] = [DocKind::Hazard, DocKind::Inspection, DocKind::Order, DocKind::ReviewOpinion];

    /// The name used in documents, on the wire and in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Hazard => "hazard",
            DocKind::Inspection => "inspection",
            DocKind::Order => "order",
            DocKind::ReviewOpinion => "review_opinion",
        }
    }

    /// Parses a kind name; an unknown name is an error, never a default.
    pub fn parse(s: &str) -> Result<DocKind, UnknownKind> {
        DocKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownKind(s.to_string()))
    }

    /// What `key` holds in a record of this kind, or `None` if such a record
    /// has no such key.
    pub fn key_class(self, key: &str) -> Option<KeyClass> {
        match key {
            "type" => return Some(KeyClass::Type),
            "id" => return Some(KeyClass::Id),
            _ => {}
        }
        match self {
            DocKind::Hazard => key.strip_prefix(EVENT_PREFIX).filter(|id| valid_id(id)).map(|_| KeyClass::Event),
            DocKind::Inspection => match key {
                "header" => Some(KeyClass::Header),
                "completion" => Some(KeyClass::Completion),
                _ => parse_answer_key(key).map(|_| KeyClass::Answer),
            },
            DocKind::Order => match key {
                "body" => Some(KeyClass::Body),
                "void" => Some(KeyClass::Void),
                _ => None,
            },
            DocKind::ReviewOpinion => (key == "body").then_some(KeyClass::Body),
        }
    }

    /// The tablet's projection tables rewritten from a record of this kind.
    pub fn projection_tables(self) -> &'static [&'static str] {
        match self {
            DocKind::Hazard => &["hazards"],
            DocKind::Inspection => &["inspections", "inspection_answers"],
            DocKind::Order => &["orders"],
            DocKind::ReviewOpinion => &["review_opinions"],
        }
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Prefix of event keys.
pub const EVENT_PREFIX: &str = "ev/";
/// Prefix of answer keys.
pub const ANSWER_PREFIX: &str = "answer/";

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && !id.contains(char::is_whitespace)
}

/// The key of an item's answer: revision 0 is `answer/<code>`, a later
/// answer to the same item is `answer/<code>#<revision>`. A new answer never
/// overwrites an old one (history is append-only); the highest revision is
/// the item's current answer.
pub fn answer_key(code: &str, revision: u32) -> String {
    if revision == 0 {
        format!("{ANSWER_PREFIX}{code}")
    } else {
        format!("{ANSWER_PREFIX}{code}#{revision}")
    }
}

/// The item code and revision of an answer key, if it is one.
pub fn parse_answer_key(key: &str) -> Option<(&str, u32)> {
    let rest = key.strip_prefix(ANSWER_PREFIX)?;
    let (code, revision) = match rest.split_once('#') {
        None => (rest, 0),
        Some((code, rev)) => {
            let r: u32 = rev.parse::<u32>().ok().filter(|r: &u32| *r > 0 && rev == r.to_string())?;
            (code, r)
        }
    };
    valid_id(code).then_some((code, revision))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_unknown_ones_are_errors() {
        for k in DocKind::ALL {
            assert_eq!(DocKind::parse(k.as_str()), Ok(k));
        }
        assert_eq!(
            DocKind::parse("notice").unwrap_err().to_string(),
            "unknown record kind 'notice'; the kinds are hazard, inspection, order, review_opinion"
        );
    }

    #[test]
    fn keys_are_classified_per_kind() {
        assert_eq!(DocKind::Hazard.key_class("ev/abc"), Some(KeyClass::Event));
        assert_eq!(DocKind::Hazard.key_class("header"), None);
        assert_eq!(DocKind::Hazard.key_class("ev/"), None);
        assert_eq!(DocKind::Inspection.key_class("answer/DE-01"), Some(KeyClass::Answer));
        assert_eq!(DocKind::Inspection.key_class("answer/DE-01#2"), Some(KeyClass::Answer));
        assert_eq!(DocKind::Inspection.key_class("answer/DE-01#0"), None);
        assert_eq!(DocKind::Inspection.key_class("answer/DE-01#02"), None);
        assert_eq!(DocKind::Inspection.key_class("ev/x"), None);
        assert_eq!(DocKind::Order.key_class("body"), Some(KeyClass::Body));
        assert_eq!(DocKind::Order.key_class("void"), Some(KeyClass::Void));
        assert_eq!(DocKind::ReviewOpinion.key_class("void"), None);
        assert_eq!(DocKind::ReviewOpinion.key_class("header"), None);
        assert_eq!(parse_answer_key(&answer_key("DE-01", 3)), Some(("DE-01", 3)));
        assert_eq!(parse_answer_key(&answer_key("DE-01", 0)), Some(("DE-01", 0)));
    }
}
