//! Inspections in the store: start (template version pinned), answer items,
//! complete (R4 criteria over the whole inspection), and the item list.

use super::{docs, hazards::new_id, photos, reference, Store};
use crate::error::{Error, Result, RuleError};
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::hazard::{Action, Level};
use paicha_core::inspection::{
    check_answer, check_in_team, is_finding, Answer, AnswerValue, Finding, Inspection, Signature, Source,
};
use paicha_core::photo::{Gps, PhotoRef};
use paicha_core::template::AnswerKind;
use paicha_core::time::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// What is needed to start an inspection.
#[derive(Debug, Clone)]
pub struct NewInspection {
    /// Template id.
    pub template_id: String,
    /// Template version; the latest when None. Pinned for the inspection (R3).
    pub template_version: Option<u32>,
    /// Enterprise credit code.
    pub enterprise: String,
    /// The other inspectors.
    pub co_inspectors: Vec<String>,
    /// Why the check is made.
    pub source: Source,
    /// An enforcement inspection needs two certified inspectors.
    pub enforcement: bool,
    /// Where.
    pub location: Option<Gps>,
}

/// One answer to record (photos imported with [`Store::import_photo`]).
pub use paicha_core::actions::NewAnswer;

/// What completing an inspection found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletionReport {
    /// The inspection.
    pub inspection_id: String,
    /// Every non-conforming item, with its level by the criteria (R4).
    pub findings: Vec<Finding>,
    /// Hidden dangers already reported that composite criteria made major.
    pub raised_to_major: Vec<String>,
    /// Findings with no hidden danger reported yet: proposals, pre-filled from the item.
    pub unreported: Vec<Finding>,
}

/// An inspection as lists show it, from projection rows (no document loaded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectionRow {
    /// Id.
    pub id: String,
    /// Enterprise credit code.
    pub enterprise: String,
    /// Enterprise name, if the enterprise is known here.
    pub enterprise_name: Option<String>,
    /// Township.
    pub township: String,
    /// Template.
    pub template_id: String,
    /// Pinned version.
    pub template_version: u32,
    /// Why the check was made.
    pub source: String,
    /// Inspector ids.
    pub inspectors: Vec<String>,
    /// Start (device clock).
    pub started_at: Timestamp,
    /// End, once completed.
    pub ended_at: Option<Timestamp>,
}

/// One checklist item of an inspection with its answer, from projections only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRow {
    /// Section title.
    pub section: String,
    /// Item code.
    pub code: String,
    /// Question.
    pub question: String,
    /// Legal basis.
    pub legal_basis: String,
    /// How the item is answered (with the unit and limits of a number).
    pub kind: AnswerKind,
    /// The answer as stored (JSON), if answered.
    pub answer: Option<serde_json::Value>,
    /// The note.
    pub note: String,
    /// Whether the answer is a finding.
    pub finding: bool,
    /// Hidden dangers raised from this item.
    pub hazards: Vec<String>,
}

impl Store {
    fn load_inspection_doc(&self, conn: &Connection, id: &str) -> Result<RecordDoc> {
        match docs::kind(conn, id)? {
            Some(DocKind::Inspection) => {}
            _ => return Err(Error::not_found("inspection", id)),
        }
        docs::load(conn, id, &self.actor)?.ok_or_else(|| Error::not_found("inspection", id))
    }

    /// Starts an inspection of an enterprise with a pinned template version.
    pub fn start_inspection(&self, by: &str, new: NewInspection, now: Timestamp) -> Result<Inspection> {
        self.write(|tx| {
            let starter = reference::person_in(tx, by)?;
            let template = reference::template_in(tx, &new.template_id, new.template_version)?;
            let enterprise = reference::enterprise_in(tx, new.enterprise.trim())?;
            // The registry's records, with certificate numbers.
            let mut co = vec![];
            for id in &new.co_inspectors {
                co.push(reference::person_in(tx, id)?);
            }
            let start = paicha_core::actions::InspectionStart {
                id: new_id(),
                source: new.source,
                enforcement: new.enforcement,
                location: new.location,
                device_id: self.device.device_id.clone(),
            };
            let header = paicha_core::actions::start_inspection(&starter, co, &template, &enterprise, start, now)?;
            let mut doc = RecordDoc::new(DocKind::Inspection, &header.id, &self.actor)?;
            doc.set_header(&header)?;
            docs::insert(tx, &mut doc, DocKind::Inspection, now)?;
            let ids: Vec<&str> = header.inspectors.iter().map(|p| p.id.as_str()).collect();
            tx.execute(
                "INSERT INTO inspections(id, enterprise, township, template_id, template_version, source, inspectors, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    header.id,
                    header.enterprise,
                    header.township,
                    header.template_id,
                    header.template_version,
                    serde_json::to_value(header.source).ok().and_then(|v| v.as_str().map(str::to_string)),
                    ids.join(","),
                    now.0
                ],
            )?;
            Ok(Inspection { header, answers: Default::default(), completion: None })
        })
    }

    /// Records the answer to one item. Refused for an item that is not in the
    /// pinned template, an answer of the wrong kind, or a completed inspection.
    pub fn answer(&self, by: &str, inspection_id: &str, answer: NewAnswer, now: Timestamp) -> Result<Answer> {
        let photos = answer.photos.clone();
        let result = self.write(|tx| self.answer_in(tx, by, inspection_id, answer, now));
        self.after_refusal(&photos, result)
    }

    /// Records several answers at once, all or nothing (answers from a file).
    pub fn answer_all(&self, by: &str, inspection_id: &str, answers: Vec<NewAnswer>, now: Timestamp) -> Result<usize> {
        let photos: Vec<PhotoRef> = answers.iter().flat_map(|a| a.photos.iter().cloned()).collect();
        let result = self.write(|tx| {
            let n = answers.len();
            for a in answers {
                self.answer_in(tx, by, inspection_id, a, now)?;
            }
            Ok(n)
        });
        self.after_refusal(&photos, result)
    }

    fn answer_in(
        &self,
        tx: &Connection,
        by: &str,
        inspection_id: &str,
        new: NewAnswer,
        now: Timestamp,
    ) -> Result<Answer> {
        let person = reference::person_in(tx, by)?;
        let mut doc = self.load_inspection_doc(tx, inspection_id)?;
        let insp = doc.inspection()?;
        check_in_team(&insp, &person)?;
        let template = reference::template_in(tx, &insp.header.template_id, Some(insp.header.template_version))?;
        // Bad input is named as such before the rules run.
        let item_code = new.item_code.clone();
        let item = template.item(&item_code).ok_or_else(|| {
            Error::invalid(
                "item",
                format!("item {item_code} does not exist in template {} v{}", template.id, template.version),
            )
        })?;
        check_answer(item, &new.value, new.photos.len()).map_err(|e| Error::invalid("answer", e))?;
        let answer = paicha_core::actions::record_answer(&insp, &person, &template, new, now)?;
        photos::record_refs(tx, self, &answer.photos.iter().collect::<Vec<_>>(), now)?;
        doc.set_answer(&answer)?;
        docs::append(tx, &mut doc, now)?;
        let value_json = serde_json::to_string(&answer.value).map_err(|e| Error::invalid("answer", e.to_string()))?;
        tx.execute(
            "INSERT OR REPLACE INTO inspection_answers(inspection_id, item_code, value, note, answered_by, answered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![inspection_id, answer.item_code, value_json, answer.note, by, now.0],
        )?;
        Ok(answer)
    }

    /// Completes the inspection: freezes the answers, evaluates composite
    /// criteria over the whole inspection (R4), raises already reported hidden
    /// dangers of a met group to major, and proposes the unreported findings.
    pub fn complete_inspection(
        &self,
        by: &str,
        inspection_id: &str,
        signatures: Vec<Signature>,
        now: Timestamp,
    ) -> Result<CompletionReport> {
        self.write(|tx| {
            let actor = self.actor_in(tx, by)?;
            let person = reference::person_in(tx, by)?;
            let mut doc = self.load_inspection_doc(tx, inspection_id)?;
            let insp = doc.inspection()?;
            let template = reference::template_in(tx, &insp.header.template_id, Some(insp.header.template_version))?;
            let (completion, findings) =
                paicha_core::actions::complete_inspection(&insp, &person, &template, signatures, now)?;
            doc.set_completion(&completion)?;
            docs::append(tx, &mut doc, now)?;
            tx.execute("UPDATE inspections SET ended_at = ?2 WHERE id = ?1", params![inspection_id, now.0])?;
            let reported: Vec<(String, Option<String>, String, bool)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, item_code, level, status IN ('rectifying', 'pending_review', 'pending_verification')
                     FROM hazards WHERE inspection_id = ?1 AND status != 'voided' ORDER BY id",
                )?;
                let rows = stmt.query_map([inspection_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut raised = vec![];
            // Closed ones (fixed on the spot) stay closed; the finding still shows it as major.
            for (hazard_id, item, level, _) in reported.iter().filter(|r| r.3) {
                let Some(f) = findings.iter().find(|f| Some(&f.item_code) == item.as_ref()) else { continue };
                let composite = paicha_core::actions::composite_reasons(f);
                if f.major && level == Level::General.as_str() && !composite.is_empty() {
                    self.act_in(tx, actor.clone(), hazard_id, Action::CriteriaMet { reasons: composite }, now)?;
                    raised.push(hazard_id.clone());
                }
            }
            let unreported = findings
                .iter()
                .filter(|f| !reported.iter().any(|(_, item, _, _)| item.as_deref() == Some(f.item_code.as_str())))
                .cloned()
                .collect();
            Ok(CompletionReport {
                inspection_id: inspection_id.to_string(),
                findings,
                raised_to_major: raised,
                unreported,
            })
        })
    }

    /// The whole inspection, loaded from its document, for someone in scope (R2).
    pub fn inspection(&self, viewer: &str, id: &str) -> Result<Inspection> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let insp = self.load_inspection_doc(c, id)?.inspection()?;
            if !viewer.in_scope(&insp.header.enterprise, &insp.header.township) {
                return Err(RuleError::new("R2", format!("{} has no scope over inspection {id}", viewer.id)).into());
            }
            Ok(insp)
        })
    }

    /// The items of an inspection's pinned template with their answers and
    /// the hidden dangers raised from them, from projections only.
    pub fn inspection_items(&self, viewer: &str, id: &str) -> Result<Vec<ItemRow>> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let row: Option<(String, String, String, u32)> = c
                .query_row(
                    "SELECT enterprise, township, template_id, template_version FROM inspections WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let (enterprise, township, tid, tver) = row.ok_or_else(|| Error::not_found("inspection", id))?;
            if !viewer.in_scope(&enterprise, &township) {
                return Err(RuleError::new("R2", format!("{} has no scope over inspection {id}", viewer.id)).into());
            }
            let template = reference::template_in(c, &tid, Some(tver))?;
            let mut answers = std::collections::HashMap::new();
            let mut stmt =
                c.prepare("SELECT item_code, value, note FROM inspection_answers WHERE inspection_id = ?1")?;
            for r in
                stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?
            {
                let (code, value, note) = r?;
                answers.insert(code, (value, note));
            }
            let mut hazards: std::collections::HashMap<String, Vec<String>> = Default::default();
            let mut stmt =
                c.prepare("SELECT item_code, id FROM hazards WHERE inspection_id = ?1 AND item_code IS NOT NULL")?;
            for r in stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
                let (code, hid) = r?;
                hazards.entry(code).or_default().push(hid);
            }
            let mut out = vec![];
            for section in &template.sections {
                for item in &section.items {
                    let (answer, note) = match answers.get(&item.code) {
                        Some((v, n)) => (
                            Some(serde_json::from_str::<AnswerValue>(v).map_err(|e| Error::Document {
                                id: id.to_string(),
                                detail: format!("answer to {} is unreadable: {e}", item.code),
                            })?),
                            n.clone(),
                        ),
                        None => (None, String::new()),
                    };
                    out.push(ItemRow {
                        section: section.title.clone(),
                        code: item.code.clone(),
                        question: item.question.clone(),
                        legal_basis: item.legal_basis.clone(),
                        kind: item.answer.clone(),
                        finding: answer.as_ref().is_some_and(|a| is_finding(item, a)),
                        answer: answer.and_then(|a| serde_json::to_value(a).ok()),
                        note,
                        hazards: hazards.remove(&item.code).unwrap_or_default(),
                    });
                }
            }
            Ok(out)
        })
    }

    /// Inspections in `viewer`'s scope (optionally of one enterprise), newest
    /// first, from projection rows.
    pub fn inspection_rows(&self, viewer: &str, enterprise: Option<&str>) -> Result<Vec<InspectionRow>> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let mut stmt = c.prepare(
                "SELECT i.id, i.enterprise, e.name, i.township, i.template_id, i.template_version, i.source,
                        i.inspectors, i.started_at, i.ended_at
                 FROM inspections i LEFT JOIN enterprises e ON e.credit_code = i.enterprise
                 WHERE (?1 IS NULL OR i.enterprise = ?1) ORDER BY i.started_at DESC, i.id",
            )?;
            let rows = stmt.query_map([enterprise], |r| {
                Ok(InspectionRow {
                    id: r.get(0)?,
                    enterprise: r.get(1)?,
                    enterprise_name: r.get(2)?,
                    township: r.get(3)?,
                    template_id: r.get(4)?,
                    template_version: r.get(5)?,
                    source: r.get(6)?,
                    inspectors: r
                        .get::<_, String>(7)?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                    started_at: Timestamp(r.get(8)?),
                    ended_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
                })
            })?;
            let all: Vec<InspectionRow> = rows.collect::<rusqlite::Result<_>>()?;
            Ok(all.into_iter().filter(|i| viewer.in_scope(&i.enterprise, &i.township)).collect())
        })
    }

    /// Whole inspections of an enterprise in `viewer`'s scope, newest first
    /// (loads every document: for export and audit, not for lists).
    pub fn inspections(&self, viewer: &str, enterprise: Option<&str>) -> Result<Vec<Inspection>> {
        let ids: Vec<String> = self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id FROM inspections WHERE (?1 IS NULL OR enterprise = ?1) ORDER BY started_at DESC, id",
            )?;
            let rows = stmt.query_map([enterprise], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })?;
        let mut out = vec![];
        for id in ids {
            match self.inspection(viewer, &id) {
                Ok(i) => out.push(i),
                Err(Error::Rule(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// Rewrites an inspection's projection rows from the whole record (after a
/// download merged changes from other tablets).
pub(super) fn project_inspection(conn: &Connection, insp: &Inspection) -> Result<()> {
    let h = &insp.header;
    let ids: Vec<&str> = h.inspectors.iter().map(|p| p.id.as_str()).collect();
    conn.execute(
        "INSERT OR REPLACE INTO inspections(id, enterprise, township, template_id, template_version, source, inspectors, started_at, ended_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            h.id,
            h.enterprise,
            h.township,
            h.template_id,
            h.template_version,
            serde_json::to_value(h.source).ok().and_then(|v| v.as_str().map(str::to_string)),
            ids.join(","),
            h.started_at.0,
            insp.completion.as_ref().map(|c| c.ended_at.0),
        ],
    )?;
    conn.execute("DELETE FROM inspection_answers WHERE inspection_id = ?1", [&h.id])?;
    for a in insp.answers.values() {
        let value = serde_json::to_string(&a.value).map_err(|e| Error::invalid("answer", e.to_string()))?;
        conn.execute(
            "INSERT INTO inspection_answers(inspection_id, item_code, value, note, answered_by, answered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![h.id, a.item_code, value, a.note, a.by, a.at.0],
        )?;
    }
    Ok(())
}
