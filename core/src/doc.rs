//! Records as Automerge documents.
//!
//! One document per hidden danger and per inspection (docs/adr/0001). The root
//! map is flat, so two devices never create rival nested objects:
//!
//! | key | value |
//! |---|---|
//! | `type` | `hazard` or `inspection` |
//! | `id` | the record id |
//! | `ev/<event id>` | a hidden danger's [`Event`] as JSON (immutable) |
//! | `header` | an inspection's [`InspectionHeader`] as JSON |
//! | `answer/<item code>` | an inspection's [`Answer`] as JSON |
//! | `completion` | an inspection's [`Completion`] as JSON |
//!
//! Events have unique keys, so concurrent events are a union, never a
//! conflict at the Automerge level; what they mean together is decided by
//! [`crate::hazard::fold`]. Two inspectors answering the same item offline do
//! collide on one key: Automerge keeps both and [`RecordDoc::answer_conflicts`]
//! reports them.

use crate::error::DocError;

type Result<T> = std::result::Result<T, DocError>;
use crate::hazard::Event;
use crate::inspection::{Answer, Completion, Inspection, InspectionHeader};
use automerge::{transaction::Transactable, ActorId, AutoCommit, ReadDoc, Value, ROOT};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

pub use crate::kinds::DocKind;
use crate::kinds::{answer_key, parse_answer_key, EVENT_PREFIX};

/// One value under a root key, as stored: the JSON text of a string scalar,
/// or the name of whatever else an upload put there (refused by validation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RawValue {
    /// A string scalar (every value paicha writes is one).
    Str(String),
    /// Anything else: `text object`, `map object`, `int scalar`...
    Other(String),
}

/// One record's Automerge document.
pub struct RecordDoc {
    id: String,
    doc: AutoCommit,
    /// Heads already in storage: `save_incremental` writes what came after.
    saved: Vec<automerge::ChangeHash>,
}

/// Runs Automerge's parser on bytes from outside (a file, the network): a
/// malformed document that makes it panic (found by fuzzing: automerge 0.12,
/// hexane 1.0.0-alpha.5, docs/fuzzing.md) becomes an error naming the
/// record, never a crashed tablet or a 500 for every later sync. A document
/// whose load panicked is not used afterwards: the caller gets the error.
fn guard<T>(id: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| doc_err(id, "the bytes are not a well-formed Automerge document (the parser gave up)"))
}

fn doc_err(id: &str, e: impl std::fmt::Display) -> DocError {
    DocError { id: id.to_string(), detail: e.to_string() }
}

/// A short name of an Automerge value's type, for error messages.
fn value_type(v: &Value) -> String {
    match v {
        Value::Object(t) => format!("{t} object").to_lowercase(),
        Value::Scalar(s) => {
            let debug = format!("{:?}", s.as_ref());
            let name = debug.split(['(', ' ']).next().unwrap_or("scalar").to_lowercase();
            format!("{name} scalar")
        }
    }
}

impl RecordDoc {
    /// A new document for record `id`, written by the device's `actor`.
    pub fn new(kind: DocKind, id: &str, actor: &[u8]) -> Result<RecordDoc> {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
        doc.put(ROOT, "type", kind.as_str()).map_err(|e| doc_err(id, e))?;
        doc.put(ROOT, "id", id).map_err(|e| doc_err(id, e))?;
        Ok(RecordDoc { id: id.to_string(), doc, saved: vec![] })
    }

    /// Loads a document from its snapshot and the incremental changes saved since.
    pub fn load(id: &str, snapshot: &[u8], changes: &[Vec<u8>], actor: &[u8]) -> Result<RecordDoc> {
        let mut doc = guard(id, || AutoCommit::load(snapshot))?.map_err(|e| doc_err(id, e))?;
        for c in changes {
            guard(id, || doc.load_incremental(c))?.map_err(|e| doc_err(id, e))?;
        }
        doc.set_actor(ActorId::from(actor));
        let saved = doc.get_heads();
        Ok(RecordDoc { id: id.to_string(), doc, saved })
    }

    /// The record id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The kind stored in the document, if readable.
    pub fn kind(&self) -> Option<String> {
        self.get_str("type")
    }

    fn get_str(&self, key: &str) -> Option<String> {
        match self.doc.get(ROOT, key) {
            Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_string),
            _ => None,
        }
    }

    /// The string under `key`, `None` if absent; a value of another type is
    /// an error naming the key (never read as absent).
    fn get_str_strict(&self, key: &str) -> Result<Option<String>> {
        match self.doc.get(ROOT, key).map_err(|e| doc_err(&self.id, format!("{key}: {e}")))? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) if s.as_str().is_some() => Ok(s.as_str().map(str::to_string)),
            Some((v, _)) => Err(doc_err(&self.id, format!("{key} holds {}, not a string", value_type(&v)))),
        }
    }

    fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.get_str_strict(key)? {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s).map(Some).map_err(|e| doc_err(&self.id, format!("{key}: {e}"))),
        }
    }

    fn put_json<T: serde::Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        let json = serde_json::to_string(value).map_err(|e| doc_err(&self.id, e))?;
        self.doc.put(ROOT, key, json).map_err(|e| doc_err(&self.id, e))?;
        Ok(())
    }

    /// All events of a hidden danger, in no particular order.
    pub fn events(&self) -> Result<Vec<Event>> {
        let mut out = vec![];
        for key in self.doc.keys(ROOT) {
            if key.starts_with(EVENT_PREFIX) {
                if let Some(e) = self.get_json::<Event>(&key)? {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }

    /// Appends an event (its id is its key, so it is never overwritten).
    pub fn add_event(&mut self, event: &Event) -> Result<()> {
        let key = format!("{EVENT_PREFIX}{}", event.id);
        if self.get_str(&key).is_some() {
            return Err(doc_err(&self.id, format!("event {} already exists", event.id)));
        }
        self.put_json(&key, event)
    }

    /// Writes an inspection's header.
    pub fn set_header(&mut self, header: &InspectionHeader) -> Result<()> {
        self.put_json("header", header)
    }

    /// Records an answer (replacing this device's earlier answer to the item).
    pub fn set_answer(&mut self, answer: &Answer) -> Result<()> {
        let next = self.answer_revisions(&answer.item_code).last().map_or(0, |(r, _)| r + 1);
        self.put_json(&answer_key(&answer.item_code, next), answer)
    }

    /// The revisions of an item's answer, oldest first: (revision, key).
    fn answer_revisions(&self, code: &str) -> Vec<(u32, String)> {
        let mut out: Vec<(u32, String)> = self
            .doc
            .keys(ROOT)
            .filter_map(|k| match parse_answer_key(&k) {
                Some((c, r)) if c == code => Some((r, k.clone())),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    /// Each answered item's current key: its highest revision.
    fn current_answer_keys(&self) -> BTreeMap<String, String> {
        let mut best: BTreeMap<String, (u32, String)> = BTreeMap::new();
        for k in self.doc.keys(ROOT) {
            if let Some((code, rev)) = parse_answer_key(&k) {
                let e = best.entry(code.to_string()).or_insert((rev, k.clone()));
                if rev >= e.0 {
                    *e = (rev, k.clone());
                }
            }
        }
        best.into_iter().map(|(c, (_, k))| (c, k)).collect()
    }

    /// Marks the inspection completed.
    pub fn set_completion(&mut self, completion: &Completion) -> Result<()> {
        self.put_json("completion", completion)
    }

    /// Writes a document's body (an order or a review opinion), once.
    pub fn set_body<T: serde::Serialize>(&mut self, body: &T) -> Result<()> {
        if self.get_str("body").is_some() {
            return Err(doc_err(&self.id, "the body is written once"));
        }
        self.put_json("body", body)
    }

    /// The body of an order or a review opinion; a document without one is an error.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T> {
        self.get_json("body")?.ok_or_else(|| doc_err(&self.id, "the document has no body"))
    }

    /// Voids an order, once.
    pub fn set_void(&mut self, void: &crate::documents::OrderVoid) -> Result<()> {
        if self.get_str("void").is_some() {
            return Err(doc_err(&self.id, "the order is voided already"));
        }
        self.put_json("void", void)
    }

    /// An order's void, if it was voided.
    pub fn void(&self) -> Result<Option<crate::documents::OrderVoid>> {
        self.get_json("void")
    }

    /// The inspection held by this document.
    pub fn inspection(&self) -> Result<Inspection> {
        let header: InspectionHeader =
            self.get_json("header")?.ok_or_else(|| doc_err(&self.id, "inspection document has no header"))?;
        let mut answers = BTreeMap::new();
        for (code, key) in self.current_answer_keys() {
            if let Some(a) = self.get_json::<Answer>(&key)? {
                answers.insert(code, a);
            }
        }
        Ok(Inspection { header, answers, completion: self.get_json("completion")? })
    }

    /// Items answered differently by two devices at the same time: every
    /// answer is kept; the one shown is Automerge's deterministic winner.
    pub fn answer_conflicts(&self) -> Result<BTreeMap<String, Vec<Answer>>> {
        let mut out = BTreeMap::new();
        for (code, key) in self.current_answer_keys() {
            let all = self.doc.get_all(ROOT, key.as_str()).map_err(|e| doc_err(&self.id, e))?;
            if all.len() > 1 {
                let mut answers = vec![];
                for (v, _) in all {
                    match v {
                        Value::Scalar(s) if s.as_str().is_some() => {
                            let text = s.as_str().unwrap_or_default();
                            answers.push(serde_json::from_str(text).map_err(|e| doc_err(&self.id, e))?);
                        }
                        other => {
                            return Err(doc_err(&self.id, format!("{key} holds {}, not a string", value_type(&other))))
                        }
                    }
                }
                out.insert(code, answers);
            }
        }
        Ok(out)
    }

    /// The changes made since the last save, to append to storage.
    pub fn save_incremental(&mut self) -> Vec<u8> {
        let bytes = self.doc.save_after(&self.saved);
        self.saved = self.doc.get_heads();
        bytes
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        let bytes = self.doc.save();
        self.saved = self.doc.get_heads();
        bytes
    }

    /// An empty document for record `id`, to receive changes from elsewhere.
    pub fn empty(id: &str, actor: &[u8]) -> RecordDoc {
        RecordDoc { id: id.to_string(), doc: AutoCommit::new().with_actor(ActorId::from(actor)), saved: vec![] }
    }

    /// Applies Automerge changes received from another replica (the output of
    /// `save`, `save_incremental` or `save_after`). Changes already present are ignored.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<()> {
        let doc = &mut self.doc;
        guard(&self.id, || doc.load_incremental(bytes))?.map_err(|e| doc_err(&self.id, e))?;
        Ok(())
    }

    /// The document's heads as hex change hashes, sorted.
    pub fn heads(&mut self) -> Vec<String> {
        let mut h: Vec<String> = self.doc.get_heads().iter().map(|c| c.to_string()).collect();
        h.sort();
        h
    }

    fn known(&mut self, heads: &[String]) -> Vec<automerge::ChangeHash> {
        heads
            .iter()
            .filter_map(|h| h.parse::<automerge::ChangeHash>().ok())
            .filter(|h| self.doc.get_change_by_hash(h).is_some())
            .collect()
    }

    /// The changes that are not ancestors of `heads` (hex), encoded: what a
    /// peer that has `heads` is missing. Heads this document does not know are
    /// ignored, so at worst a peer receives changes it already has.
    pub fn changes_after(&mut self, heads: &[String]) -> Vec<u8> {
        let known = self.known(heads);
        self.doc.save_after(&known)
    }

    /// Whether this document has changes that `heads` (hex) do not cover.
    pub fn has_changes_after(&mut self, heads: &[String]) -> bool {
        let mut mine = self.heads();
        let mut theirs = heads.to_vec();
        mine.sort();
        theirs.sort();
        mine != theirs && !self.changes_after(heads).is_empty()
    }

    /// The actor ids (hex) of the changes not ancestors of `heads` (hex).
    pub fn actors_after(&mut self, heads: &[String]) -> Vec<String> {
        let known = self.known(heads);
        let mut actors: Vec<String> =
            self.doc.get_changes(&known).iter().map(|c| c.actor_id().to_hex_string()).collect();
        actors.sort();
        actors.dedup();
        actors
    }

    /// All keys of the root map.
    pub fn keys(&self) -> Vec<String> {
        self.doc.keys(ROOT).collect()
    }

    /// Every concurrent value under `key`, typed, sorted: what validation
    /// compares between the server's copy and an upload (R1).
    pub fn values(&self, key: &str) -> Result<Vec<RawValue>> {
        let all = self.doc.get_all(ROOT, key).map_err(|e| doc_err(&self.id, format!("{key}: {e}")))?;
        let mut out: Vec<RawValue> = all
            .into_iter()
            .map(|(v, _)| match &v {
                Value::Scalar(s) if s.as_str().is_some() => RawValue::Str(s.as_str().unwrap_or_default().to_string()),
                other => RawValue::Other(value_type(other)),
            })
            .collect();
        out.sort();
        Ok(out)
    }
    /// A copy to try changes on (the server validates uploads on a fork).
    pub fn fork(&mut self) -> RecordDoc {
        RecordDoc { id: self.id.clone(), doc: self.doc.fork(), saved: vec![] }
    }

    /// Runs Automerge's own per-document sync protocol between this replica
    /// and `other` until both are quiet; returns (bytes exchanged, messages).
    /// Used as the baseline the batched protocol is measured against
    /// (docs/performance.md); paicha does not sync this way.
    pub fn automerge_sync_with(&mut self, other: &mut RecordDoc) -> Result<(u64, u64)> {
        use automerge::sync::{Message, State, SyncDoc};
        let (mut a_state, mut b_state) = (State::new(), State::new());
        let (mut bytes, mut messages) = (0u64, 0u64);
        for _ in 0..64 {
            let mut quiet = true;
            if let Some(m) = self.doc.sync().generate_sync_message(&mut a_state) {
                let enc = m.encode();
                bytes += enc.len() as u64;
                messages += 1;
                quiet = false;
                let m = Message::decode(&enc).map_err(|e| doc_err(&self.id, e))?;
                other.doc.sync().receive_sync_message(&mut b_state, m).map_err(|e| doc_err(&self.id, e))?;
            }
            if let Some(m) = other.doc.sync().generate_sync_message(&mut b_state) {
                let enc = m.encode();
                bytes += enc.len() as u64;
                messages += 1;
                quiet = false;
                let m = Message::decode(&enc).map_err(|e| doc_err(&self.id, e))?;
                self.doc.sync().receive_sync_message(&mut a_state, m).map_err(|e| doc_err(&self.id, e))?;
            }
            if quiet {
                break;
            }
        }
        Ok((bytes, messages))
    }

    /// Merges another replica of the same record into this one.
    pub fn merge(&mut self, other: &mut RecordDoc) -> Result<()> {
        self.doc.merge(&mut other.doc).map_err(|e| doc_err(&self.id, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::hazard::{next_event, Action};
    use crate::people::Actor;
    use crate::time::Timestamp;

    fn ev(known: &[Event], id: &str, note: &str) -> Event {
        let actor = Actor { person: demo::person_by_id("sup-chen").unwrap(), device_id: "t1".into() };
        next_event(known, id.into(), Timestamp(1), actor, Action::Escalate { note: note.into() })
    }

    #[test]
    fn events_round_trip_through_save_and_incremental_changes() {
        let mut d = RecordDoc::new(DocKind::Hazard, "h1", &[1; 16]).unwrap();
        let e1 = ev(&[], "a", "one");
        d.add_event(&e1).unwrap();
        let snapshot = d.save();
        let e2 = ev(std::slice::from_ref(&e1), "b", "two");
        d.add_event(&e2).unwrap();
        let inc = d.save_incremental();
        let loaded = RecordDoc::load("h1", &snapshot, &[inc], &[1; 16]).unwrap();
        let mut got = loaded.events().unwrap();
        got.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(got, vec![e1.clone(), e2]);
        assert_eq!(loaded.kind().as_deref(), Some("hazard"));
        assert!(d.add_event(&e1).is_err());
    }

    #[test]
    fn concurrent_events_from_two_devices_are_a_union() {
        let mut a = RecordDoc::new(DocKind::Hazard, "h1", &[1; 16]).unwrap();
        a.add_event(&ev(&[], "root", "r")).unwrap();
        let bytes = a.save();
        let mut b = RecordDoc::load("h1", &bytes, &[], &[2; 16]).unwrap();
        let base = a.events().unwrap();
        a.add_event(&ev(&base, "from-a", "a")).unwrap();
        b.add_event(&ev(&base, "from-b", "b")).unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        let mut ids: Vec<String> = a.events().unwrap().into_iter().map(|e| e.id).collect();
        ids.sort();
        assert_eq!(ids, vec!["from-a", "from-b", "root"]);
        assert_eq!(a.events().unwrap().len(), b.events().unwrap().len());
    }

    #[test]
    fn garbage_bytes_are_a_clean_error() {
        let err = RecordDoc::load("h1", b"not an automerge document", &[], &[1; 16]).err().unwrap();
        assert!(err.to_string().starts_with("document h1:"), "{err}");
    }
}
