//! Enforcement documents on the tablet (§4, R15): an inspector issues a
//! numbered rectification order offline, a supervisor writes the review
//! opinion that cites it, and either can be printed on the spot. The rules
//! are core's ([`paicha_core::documents`]); this module numbers, writes and
//! projects.

use crate::error::{Error, Result};
use crate::hazards::new_id;
use crate::{docs, photos, reference, Store};
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::documents::{
    check_opinion, check_void, draft_order, sequence_report, DocumentNumber, HazardOpinion, IssuedNumber, OrderDraft,
    OrderVoid, RectificationOrder, ReviewOpinion, SeriesReport, Signature, SignerCapacity,
};
use paicha_core::hazard::{fold, Action, Hazard};
use paicha_core::people::Person;
use paicha_core::photo::{PhotoRef, PhotoRole};
use paicha_core::summary::OrderSummary;
use paicha_core::time::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::PathBuf;

/// A signature captured on the tablet: who signs, in which capacity, and
/// the image file (JPEG) to import with the document.
#[derive(Debug, Clone)]
pub struct SignatureInput {
    /// The capacity.
    pub capacity: SignerCapacity,
    /// The person's id (inspector, reviewer) or the representative's name.
    pub signer: String,
    /// The image file.
    pub image: PathBuf,
}

fn doc_error(id: &str, e: impl std::fmt::Display) -> Error {
    Error::Document { id: id.to_string(), detail: e.to_string() }
}

impl Store {
    fn import_signatures(&self, inputs: &[SignatureInput], now: Timestamp) -> Result<Vec<Signature>> {
        inputs
            .iter()
            .map(|s| {
                let image = self.import_photo(&s.image, PhotoRole::Document, Some(now), None)?;
                Ok(Signature { capacity: s.capacity, signer: s.signer.clone(), image })
            })
            .collect()
    }

    /// Issues a rectification order as inspector `by` for `hazard_ids` (all
    /// of one enterprise, by a deadline), signed with `co_inspectors`. The
    /// number is the next of this device's sequence for the office and year
    /// (R15), taken in the same transaction that writes the order: offline,
    /// two tablets never take the same number and no number is skipped.
    pub fn issue_order(
        &self,
        by: &str,
        hazard_ids: &[String],
        co_inspectors: &[String],
        signatures: &[SignatureInput],
        now: Timestamp,
    ) -> Result<RectificationOrder> {
        let signatures = self.import_signatures(signatures, now)?;
        let images: Vec<PhotoRef> = signatures.iter().map(|s| s.image.clone()).collect();
        let result = self.write(|tx| {
            let issuer = reference::person_in(tx, by)?;
            let mut hazards = vec![];
            for id in hazard_ids {
                let id =
                    docs::resolve(tx, DocKind::Hazard, id)?.ok_or_else(|| Error::not_found("hidden danger", id))?;
                hazards.push(self.hazard_in(tx, &id)?);
            }
            let mut inspectors = vec![issuer.clone()];
            for id in co_inspectors {
                if id != by && !inspectors.iter().any(|p: &Person| &p.id == id) {
                    inspectors.push(reference::person_in(tx, id)?);
                }
            }
            let taken = numbers_of_series(tx, &self.device.device_id)?;
            let policy = reference::policy_in(tx)?;
            let mut existing_orders = vec![];
            for h in &hazards {
                let mut stmt = tx.prepare_cached("SELECT order_id FROM order_hazards WHERE hazard_id = ?1")?;
                let ids: Vec<String> = stmt.query_map([&h.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                for id in ids {
                    existing_orders.push(order_in(tx, &id)?);
                }
            }
            let draft = OrderDraft { id: new_id(), hazards, inspectors, signatures, existing_orders };
            let order = draft_order(draft, &issuer, &self.device.device_id, &policy, now, &taken)?;
            photos::record_refs(tx, self, &images.iter().collect::<Vec<_>>(), now)?;
            let mut doc = RecordDoc::new(DocKind::Order, &order.id, &self.actor)?;
            doc.set_body(&order)?;
            docs::insert(tx, &mut doc, DocKind::Order, now)?;
            project_order(tx, &OrderSummary { order: order.clone(), void: None })?;
            Ok(order)
        });
        self.after_refusal(&images, result)
    }

    /// Voids order `order_id` (a misprint, a wrong enterprise) with a reason:
    /// it stays in history and its number stays used, explained (R15).
    pub fn void_order(&self, by: &str, order_id: &str, reason: &str, now: Timestamp) -> Result<OrderSummary> {
        self.write(|tx| {
            let person = reference::person_in(tx, by)?;
            let id = resolve_order(tx, order_id)?;
            let mut doc = docs::load(tx, &id, &self.actor)?.ok_or_else(|| Error::not_found("order", &id))?;
            let order: RectificationOrder = doc.body()?;
            if let Some(v) = doc.void()? {
                return Err(Error::invalid(
                    "order",
                    format!("order {} was voided already: {}", order.number, v.reason),
                ));
            }
            let void = OrderVoid {
                reason: reason.trim().to_string(),
                by: person.id.clone(),
                device_id: self.device.device_id.clone(),
                at: now,
            };
            check_void(&order, &void, &person)?;
            doc.set_void(&void)?;
            docs::append(tx, &mut doc, now)?;
            let summary = OrderSummary { order, void: Some(void) };
            project_order(tx, &summary)?;
            Ok(summary)
        })
    }

    /// Writes supervisor `by`'s review opinion on order `order_id`: for each
    /// hidden danger, the review itself (R8: close, or reject back to
    /// rectifying) and the opinion document that cites the order's number.
    /// One transaction: all the reviews and the document, or nothing.
    pub fn issue_opinion(
        &self,
        by: &str,
        order_id: &str,
        opinions: Vec<HazardOpinion>,
        signatures: &[SignatureInput],
        now: Timestamp,
    ) -> Result<(ReviewOpinion, Vec<Hazard>)> {
        let signatures = self.import_signatures(signatures, now)?;
        let images: Vec<PhotoRef> = signatures.iter().map(|s| s.image.clone()).collect();
        let result = self.write(|tx| {
            let reviewer = reference::person_in(tx, by)?;
            let id = resolve_order(tx, order_id)?;
            let order = order_in(tx, &id)?;
            let opinion = ReviewOpinion {
                id: new_id(),
                order_id: order.order.id.clone(),
                order_number: order.order.number.clone(),
                enterprise: order.order.enterprise.clone(),
                opinions,
                reviewed_by: reviewer.clone(),
                device_id: self.device.device_id.clone(),
                reviewed_at: now,
                signatures,
            };
            check_opinion(&opinion, &reviewer, &self.device.device_id, Some((&order.order, order.void.is_some())))?;
            let actor = paicha_core::actions::event_actor(&reviewer, &self.device.device_id);
            let mut reviewed = vec![];
            for o in &opinion.opinions {
                let action = Action::Review { approve: o.approve, opinion: o.opinion.clone() };
                reviewed.push(self.act_in(tx, actor.clone(), &o.hazard_id, action, now)?);
            }
            photos::record_refs(tx, self, &images.iter().collect::<Vec<_>>(), now)?;
            let mut doc = RecordDoc::new(DocKind::ReviewOpinion, &opinion.id, &self.actor)?;
            doc.set_body(&opinion)?;
            docs::insert(tx, &mut doc, DocKind::ReviewOpinion, now)?;
            project_opinion(tx, &opinion)?;
            Ok((opinion, reviewed))
        });
        self.after_refusal(&images, result)
    }

    /// An order by id, id prefix or printed number, for someone in scope (R2).
    pub fn order(&self, viewer: &str, id_or_number: &str) -> Result<OrderSummary> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let id = resolve_order(c, id_or_number)?;
            let o = order_in(c, &id)?;
            in_scope(&viewer, &o.order.enterprise.credit_code, &o.order.enterprise.township)?;
            Ok(o)
        })
    }

    /// The orders in `viewer`'s scope, newest first; only those listing
    /// `hazard` if given.
    pub fn orders(&self, viewer: &str, hazard: Option<&str>) -> Result<Vec<OrderSummary>> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let ids: Vec<String> = match hazard {
                Some(h) => {
                    let h =
                        docs::resolve(c, DocKind::Hazard, h)?.ok_or_else(|| Error::not_found("hidden danger", h))?;
                    let mut stmt = c.prepare(
                        "SELECT o.id FROM orders o JOIN order_hazards x ON x.order_id = o.id
                         WHERE x.hazard_id = ?1 ORDER BY o.issued_at DESC, o.id",
                    )?;
                    let rows = stmt.query_map([h], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<_>>()?
                }
                None => {
                    let mut stmt = c.prepare("SELECT id FROM orders ORDER BY issued_at DESC, id")?;
                    let rows = stmt.query_map([], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<_>>()?
                }
            };
            let mut out = vec![];
            for id in ids {
                let o = order_in(c, &id)?;
                if viewer.in_scope(&o.order.enterprise.credit_code, &o.order.enterprise.township) {
                    out.push(o);
                }
            }
            Ok(out)
        })
    }

    /// The review opinions citing order `order_id`, oldest first.
    pub fn opinions(&self, viewer: &str, order_id: &str) -> Result<Vec<ReviewOpinion>> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let id = resolve_order(c, order_id)?;
            let mut stmt =
                c.prepare("SELECT id, opinion FROM review_opinions WHERE order_id = ?1 ORDER BY reviewed_at, id")?;
            let rows: Vec<(String, String)> =
                stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            let mut out = vec![];
            for (id, json) in rows {
                let o: ReviewOpinion = serde_json::from_str(&json).map_err(|e| doc_error(&id, e))?;
                if viewer.in_scope(&o.enterprise.credit_code, &o.enterprise.township) {
                    out.push(o);
                }
            }
            Ok(out)
        })
    }

    /// A review opinion by id or id prefix, for someone in scope (R2).
    pub fn opinion(&self, viewer: &str, id: &str) -> Result<ReviewOpinion> {
        self.read(|c| {
            let viewer = reference::person_in(c, viewer)?;
            let id =
                docs::resolve(c, DocKind::ReviewOpinion, id)?.ok_or_else(|| Error::not_found("review opinion", id))?;
            let json: String = c.query_row("SELECT opinion FROM review_opinions WHERE id = ?1", [&id], |r| r.get(0))?;
            let o: ReviewOpinion = serde_json::from_str(&json).map_err(|e| doc_error(&id, e))?;
            in_scope(&viewer, &o.enterprise.credit_code, &o.enterprise.township)?;
            Ok(o)
        })
    }

    /// Every number sequence this tablet knows in `viewer`'s scope, each
    /// number explained: used, voided (why, by whom, when), or not yet
    /// received from the device that issued it (R15).
    pub fn number_sequences(&self, viewer: &str) -> Result<Vec<SeriesReport>> {
        let orders = self.orders(viewer, None)?;
        let issued: Vec<IssuedNumber> = orders
            .into_iter()
            .map(|o| IssuedNumber { number: o.order.number, doc_id: o.order.id, void: o.void })
            .collect();
        Ok(sequence_report(&issued))
    }

    /// The full hidden danger inside a transaction.
    fn hazard_in(&self, conn: &Connection, id: &str) -> Result<Hazard> {
        let doc = docs::load(conn, id, &self.actor)?.ok_or_else(|| Error::not_found("hidden danger", id))?;
        fold(id, &doc.events()?).ok_or_else(|| doc_error(id, "the record has no valid report event"))
    }
}

fn in_scope(viewer: &Person, enterprise: &str, township: &str) -> Result<()> {
    if viewer.in_scope(enterprise, township) {
        Ok(())
    } else {
        Err(paicha_core::RuleError::new("R2", format!("{} has no scope over {enterprise} in {township}", viewer.id))
            .into())
    }
}

/// An order's id from its id, an id prefix or its printed number.
fn resolve_order(conn: &Connection, key: &str) -> Result<String> {
    if let Some(id) =
        conn.query_row("SELECT id FROM orders WHERE number = ?1", [key.trim()], |r| r.get::<_, String>(0)).optional()?
    {
        return Ok(id);
    }
    docs::resolve(conn, DocKind::Order, key)?.ok_or_else(|| Error::not_found("order", key))
}

fn order_in(conn: &Connection, id: &str) -> Result<OrderSummary> {
    let json: String = conn
        .query_row("SELECT summary FROM orders WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found("order", id))?;
    serde_json::from_str(&json).map_err(|e| doc_error(id, e))
}

/// The numbers of `series` this tablet holds (its own orders, synced back
/// or not), from which the next one is taken.
fn numbers_of_series(conn: &Connection, series: &str) -> Result<Vec<DocumentNumber>> {
    let mut stmt = conn.prepare_cached("SELECT prefix, year, seq FROM orders WHERE series = ?1")?;
    let rows = stmt.query_map([series], |r| {
        Ok(DocumentNumber { prefix: r.get(0)?, year: r.get(1)?, series: series.to_string(), seq: r.get(2)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Rewrites an order's projection rows.
pub(super) fn project_order(conn: &Connection, s: &OrderSummary) -> Result<()> {
    let o = &s.order;
    let json = serde_json::to_string(s).map_err(|e| doc_error(&o.id, e))?;
    conn.execute(
        "INSERT OR REPLACE INTO orders(id, prefix, year, series, seq, number, enterprise, township, issued_at, voided, summary)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            o.id,
            o.number.prefix,
            o.number.year,
            o.number.series,
            o.number.seq,
            o.number.to_string(),
            o.enterprise.credit_code,
            o.enterprise.township,
            o.issued_at.0,
            s.void.is_some(),
            json
        ],
    )?;
    conn.execute("DELETE FROM order_hazards WHERE order_id = ?1", [&o.id])?;
    for h in &o.hazards {
        conn.execute(
            "INSERT OR IGNORE INTO order_hazards(order_id, hazard_id) VALUES (?1, ?2)",
            params![o.id, h.hazard_id],
        )?;
    }
    Ok(())
}

/// Rewrites a review opinion's projection row.
pub(super) fn project_opinion(conn: &Connection, o: &ReviewOpinion) -> Result<()> {
    let json = serde_json::to_string(o).map_err(|e| doc_error(&o.id, e))?;
    conn.execute(
        "INSERT OR REPLACE INTO review_opinions(id, order_id, enterprise, township, reviewed_at, opinion)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![o.id, o.order_id, o.enterprise.credit_code, o.enterprise.township, o.reviewed_at.0, json],
    )?;
    Ok(())
}
