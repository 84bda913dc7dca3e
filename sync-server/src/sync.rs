//! One sync exchange: validate and store each uploaded document (or keep it
//! in quarantine), then answer with the next page of changes in scope.
//! Blocking (storage is SQLite or PostgreSQL, both blocking); the HTTP layer
//! runs it on the blocking pool.

use crate::error::ServerError;
use crate::storage::{AcceptedWrite, Device, NewQuarantine, Storage, StorageError};
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::inspection::Inspection;
use paicha_core::people::Person;
use paicha_core::people::Person as RegistryPerson;
use paicha_core::summary::{OrderSummary, Summary};
use paicha_core::sync::validate::{validate_upload, Clocks, LookupError, ServerView, UploadError, Uploader};
use paicha_core::sync::wire::{Bytes, DocAck, DocChanges, DocRefusal, Receipt, SyncRequest, SyncResponse};
use paicha_core::template::Template;
use paicha_core::time::Timestamp;
use std::collections::HashMap;

/// Largest accepted changes of one document in one upload.
pub const MAX_DOC_BYTES: usize = 8 * 1024 * 1024;
/// A stored record whose appended change chunks exceed this is re-encoded
/// (compacted) when next written.
pub const COMPACT_BYTES: usize = 16 * 1024;

/// Largest page a client may ask for.
pub const MAX_PAGE: u32 = 5000;

/// An accepted upload waiting for the request's commit.
struct Pending {
    doc_id: String,
    accepted: paicha_core::sync::validate::Accepted,
    heads_before: Vec<String>,
    receipts: Vec<(String, i64, bool)>,
    /// The stored snapshot and heads before this upload (None: a new record).
    base: Option<(Vec<u8>, Vec<String>)>,
    /// The uploaded bytes.
    uploaded: Vec<u8>,
}

/// Records accepted earlier in the same request (not committed yet), which
/// later uploads of the request may refer to.
#[derive(Default)]
struct PendingRecords {
    inspections: HashMap<String, Inspection>,
    hazards: HashMap<String, paicha_core::hazard::Hazard>,
    orders: HashMap<String, OrderSummary>,
}

/// What validation may ask the server: its storage, and the records
/// accepted earlier in the same request.
struct View<'a> {
    storage: &'a dyn Storage,
    pending: &'a PendingRecords,
}

/// What validation may ask the server outside a request (no pending
/// records): the console reads orders through the same lookups.
pub fn view(storage: &dyn Storage) -> impl ServerView + '_ {
    static NONE: std::sync::LazyLock<PendingRecords> = std::sync::LazyLock::new(PendingRecords::default);
    View { storage, pending: &NONE }
}

fn lookup(e: StorageError) -> LookupError {
    LookupError(e.to_string())
}

impl ServerView for View<'_> {
    fn person(&self, id: &str) -> Result<Option<RegistryPerson>, LookupError> {
        self.storage.person(id).map_err(lookup)
    }
    fn enterprise_township(&self, credit_code: &str) -> Result<Option<String>, LookupError> {
        self.storage.enterprise_township(credit_code).map_err(lookup)
    }
    fn inspection(&self, id: &str) -> Result<Option<Inspection>, LookupError> {
        match self.pending.inspections.get(id) {
            Some(i) => Ok(Some(i.clone())),
            None => self.storage.inspection(id).map_err(lookup),
        }
    }
    fn hazard(&self, id: &str) -> Result<Option<paicha_core::hazard::Hazard>, LookupError> {
        if let Some(h) = self.pending.hazards.get(id) {
            return Ok(Some(h.clone()));
        }
        let Some(doc) = crate::storage::stored_record(self.storage, id, DocKind::Hazard).map_err(lookup)? else {
            return Ok(None);
        };
        let events = doc.events().map_err(|e| LookupError(format!("stored record {id}: {e}")))?;
        Ok(paicha_core::hazard::fold(id, &events))
    }
    fn order(&self, id: &str) -> Result<Option<OrderSummary>, LookupError> {
        if let Some(o) = self.pending.orders.get(id) {
            return Ok(Some(o.clone()));
        }
        let Some(doc) = crate::storage::stored_record(self.storage, id, DocKind::Order).map_err(lookup)? else {
            return Ok(None);
        };
        let bad = |e: paicha_core::DocError| LookupError(format!("stored order {id}: {e}"));
        Ok(Some(OrderSummary { order: doc.body().map_err(bad)?, void: doc.void().map_err(bad)? }))
    }
    fn orders_in_township(&self, township: &str) -> Result<Vec<OrderSummary>, LookupError> {
        let mut q = crate::storage::SummaryQuery::all(DocKind::Order);
        q.township = Some(township);
        let mut out: Vec<OrderSummary> = self
            .storage
            .summaries(&q)
            .map_err(lookup)?
            .into_iter()
            .filter_map(|s| match s {
                Summary::Order(o) => Some(o),
                _ => None,
            })
            .filter(|o| !self.pending.orders.contains_key(&o.order.id))
            .collect();
        out.extend(self.pending.orders.values().filter(|o| o.order.enterprise.township == township).cloned());
        Ok(out)
    }
    fn template(&self, id: &str, version: u32) -> Result<Option<Template>, LookupError> {
        self.storage.template(id, version).map_err(lookup)
    }
    fn receipts(&self, doc_id: &str) -> Result<HashMap<String, Timestamp>, LookupError> {
        Ok(self.storage.receipts_for(doc_id).map_err(lookup)?.into_iter().map(|(id, t)| (id, Timestamp(t))).collect())
    }
}

/// How many times an exchange validates its uploads again when a record
/// was written by another server process between its read and its write
/// (the compare and swap of [`Storage::store_accepted`]).
pub const WRITE_ATTEMPTS: usize = 5;

/// A refused upload (its rule and message are in the matching [`DocRefusal`]).
struct Refusal {
    /// Index of the upload in the request.
    upload: usize,
}

/// What validating the uploads of one request came to.
struct Validated {
    accepted: Vec<DocAck>,
    refused: Vec<DocRefusal>,
    quarantine: Vec<Refusal>,
    docs: Vec<Pending>,
}

/// Validates every upload against the stored records (inspections first:
/// a report raised in an inspection is checked against it).
fn validate_all(
    storage: &dyn Storage,
    who: &Uploader,
    policy: &paicha_core::policy::Policy,
    clocks: Clocks,
    uploads: &[&paicha_core::sync::wire::DocUpload],
    now: Timestamp,
) -> Result<Validated, ServerError> {
    let mut pending = PendingRecords::default();
    let mut out = Validated { accepted: vec![], refused: vec![], quarantine: vec![], docs: vec![] };
    let mut seen = std::collections::HashSet::new();
    for (i, up) in uploads.iter().enumerate() {
        if !seen.insert(up.doc_id.as_str()) {
            let message = "the same record appears twice in one request".to_string();
            out.quarantine.push(Refusal { upload: i });
            out.refused.push(DocRefusal {
                doc_id: up.doc_id.clone(),
                rule: "format".into(),
                message,
                server_doc: Bytes(vec![]),
            });
            continue;
        }
        let stored = storage.document(&up.doc_id)?;
        let mut server_doc = match &stored {
            Some(d) => {
                let mut doc = RecordDoc::empty(&up.doc_id, &[0; 16]);
                doc.apply(&d.snapshot)
                    .map_err(|e| ServerError::Internal(format!("stored record {}: {e}", up.doc_id)))?;
                Some(doc)
            }
            None => None,
        };
        let heads_before = server_doc.as_mut().map(|d| d.heads()).unwrap_or_default();
        let view = View { storage, pending: &pending };
        match validate_upload(server_doc.as_mut(), up, who, policy, &view, clocks, MAX_DOC_BYTES) {
            Ok(mut ok) => {
                if let Some(i) = ok.inspection.take() {
                    pending.inspections.insert(up.doc_id.clone(), i);
                }
                if let Some(h) = ok.hazard.take() {
                    pending.hazards.insert(up.doc_id.clone(), h);
                }
                if let Summary::Order(o) = &ok.summary {
                    pending.orders.insert(up.doc_id.clone(), o.clone());
                }
                let heads = ok.doc.heads();
                let acked: Vec<Receipt> =
                    ok.new_events.iter().map(|e| Receipt { event_id: e.id.clone(), received_at: now.0 }).collect();
                if ok.changed {
                    if !ok.skewed.is_empty() {
                        tracing::warn!(device = %who.device_id, events = ?ok.skewed, "device clock off from the server's (R10)");
                    }
                    let receipts =
                        ok.new_events.iter().map(|e| (e.id.clone(), e.at.0, ok.skewed.contains(&e.id))).collect();
                    out.docs.push(Pending {
                        doc_id: up.doc_id.clone(),
                        accepted: ok,
                        heads_before,
                        receipts,
                        base: stored.map(|d| (d.snapshot, d.heads)),
                        uploaded: up.changes.0.clone(),
                    });
                }
                out.accepted.push(DocAck { doc_id: up.doc_id.clone(), heads, receipts: acked });
            }
            // Not the tablet's fault: nothing of this request is stored, it retries.
            Err(UploadError::Lookup(e)) => return Err(ServerError::Internal(e.to_string())),
            Err(UploadError::Refused(r)) => {
                tracing::info!(device = %who.device_id, doc = %up.doc_id, rule = %r.rule, "upload refused: {}", r.message);
                out.quarantine.push(Refusal { upload: i });
                let server_doc = server_doc.as_mut().map(|d| d.save()).unwrap_or_default();
                out.refused.push(DocRefusal {
                    doc_id: up.doc_id.clone(),
                    rule: r.rule,
                    message: r.message,
                    server_doc: Bytes(server_doc),
                });
            }
        }
    }
    Ok(out)
}

/// The storage writes of the accepted uploads. Change chunks concatenate
/// into a loadable document, so the stored snapshot is the old one plus the
/// new changes: no re-encoding of the whole document per upload (a record
/// gets 5 to 20 changes in its life).
fn writes_of(docs: &mut [Pending]) -> Vec<AcceptedWrite<'_>> {
    docs.iter_mut()
        .map(|p| {
            let new_changes = match &p.base {
                None => p.uploaded.clone(),
                Some(_) => p.accepted.doc.changes_after(&p.heads_before),
            };
            let snapshot = match &p.base {
                None => p.uploaded.clone(),
                // Compacted once the appended chunks grow large.
                Some((old, _)) if old.len() + new_changes.len() > COMPACT_BYTES => p.accepted.doc.save(),
                Some((old, _)) => [old.as_slice(), new_changes.as_slice()].concat(),
            };
            AcceptedWrite {
                doc_id: &p.doc_id,
                kind: p.accepted.kind,
                enterprise: &p.accepted.enterprise,
                township: &p.accepted.township,
                base_heads: p.base.as_ref().map(|(_, heads)| heads.clone()),
                new_changes,
                heads: p.accepted.doc.heads(),
                snapshot,
                receipts: p.receipts.clone(),
                photos: p.accepted.photos.clone(),
                summary: p.accepted.summary.clone(),
            }
        })
        .collect()
}

/// What the shared write path made of a batch of uploads: what was stored
/// and what was refused (with the rule), in the order of the uploads.
pub struct Committed {
    /// Accepted uploads (stored, or replays that added nothing).
    pub accepted: Vec<DocAck>,
    /// Refused uploads, with the rule and the server's version of the record.
    pub refused: Vec<DocRefusal>,
    /// For each refusal: the index of the upload in the batch, so that the
    /// caller can keep it (a tablet's upload goes to quarantine; the
    /// console's own refused action is simply not written).
    pub refused_uploads: Vec<usize>,
}

/// The one path by which anything reaches a record on the server, for a
/// tablet's upload and for an action taken in the web console alike:
/// validate every upload with [`validate_upload`] (the registry, the
/// device's actor, append-only history, [`paicha_core::workflow::decide`]),
/// then write the accepted ones with their summaries and change-log entries
/// in one transaction by compare and swap ([`Storage::store_accepted`]),
/// validating again when another process wrote a record in between.
/// No lock is held while validating: requests of one process, or of several
/// processes on one PostgreSQL database, validate in parallel, and the
/// compare and swap catches a record written by another request between
/// the read and the write. Nothing is quarantined here: that is the
/// caller's decision.
#[allow(clippy::too_many_arguments)]
pub fn validate_and_store(
    storage: &dyn Storage,
    device_id: &str,
    actor_hex: &str,
    person: &Person,
    clocks: Clocks,
    uploads: &[&paicha_core::sync::wire::DocUpload],
    now: Timestamp,
) -> Result<Committed, ServerError> {
    let policy = storage.policy()?;
    let mut attempt = 1;
    loop {
        let who = Uploader { device_id, actor_hex, person };
        let mut v = validate_all(storage, &who, &policy, clocks, uploads, now)?;
        // Validated documents are written together: one durable commit per request.
        match storage.store_accepted(&writes_of(&mut v.docs), device_id, now) {
            Ok(()) => {
                return Ok(Committed {
                    accepted: v.accepted,
                    refused: v.refused,
                    refused_uploads: v.quarantine.iter().map(|q| q.upload).collect(),
                })
            }
            Err(StorageError::Conflict(m)) if attempt < WRITE_ATTEMPTS => {
                tracing::info!(device = %device_id, attempt, "validating again: {m}");
                attempt += 1;
            }
            Err(StorageError::Conflict(m)) => {
                return Err(ServerError::Unavailable(format!("{m} ({WRITE_ATTEMPTS} attempts)")));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Runs one exchange for an authenticated device: its uploads go through
/// [`validate_and_store`] (refused ones are kept in quarantine), then the
/// next page of the change log in its user's scope comes back.
pub fn exchange(
    storage: &dyn Storage,
    device: &Device,
    person: &Person,
    req: SyncRequest,
    now: Timestamp,
) -> Result<SyncResponse, ServerError> {
    let actor = device.actor.clone().ok_or_else(|| ServerError::Unauthorized("device is not enrolled".into()))?;
    let clocks = Clocks { server_now: now, device_offset_ms: req.device_time.map(|d| d.saturating_sub(now.0)) };
    // Inspections first: a report raised in an inspection is checked against it.
    let mut uploads: Vec<&paicha_core::sync::wire::DocUpload> = req.uploads.iter().collect();
    // Inspections before the hidden dangers they raise, hidden dangers
    // before the orders that list them, orders before their opinions.
    uploads.sort_by_key(|u| match DocKind::parse(&u.kind) {
        Ok(DocKind::Inspection) => 0,
        Ok(DocKind::Hazard) => 1,
        Ok(DocKind::Order) => 2,
        Ok(DocKind::ReviewOpinion) => 3,
        Err(_) => 4,
    });
    // A poll uploads nothing: no policy to read, nothing to validate or write.
    let (accepted, refused) = if uploads.is_empty() {
        (vec![], vec![])
    } else {
        let committed = validate_and_store(storage, &device.device_id, &actor, person, clocks, &uploads, now)?;
        for (i, r) in committed.refused_uploads.iter().zip(&committed.refused) {
            let up = uploads[*i];
            storage.quarantine(&NewQuarantine {
                device_id: &device.device_id,
                user_id: &person.id,
                doc_id: &up.doc_id,
                kind: &up.kind,
                rule: &r.rule,
                message: &r.message,
                data: &up.changes.0,
                received_at: now,
            })?;
        }
        (committed.accepted, committed.refused)
    };
    let limit = if req.page_size == 0 { 1000 } else { req.page_size.min(MAX_PAGE) };
    let (entries, end) = storage.changes_since(person, &device.device_id, req.cursor, limit)?;
    let more = entries.len() as u32 >= limit;
    let cursor = if more { entries.last().map_or(req.cursor, |e| e.seq) } else { end.max(req.cursor) };
    let mut changes: Vec<DocChanges> = vec![];
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for e in entries {
        match index.get(&e.doc_id) {
            Some(&i) => {
                changes[i].changes.push(Bytes(e.data));
                changes[i].heads = e.heads;
            }
            None => {
                index.insert(e.doc_id.clone(), changes.len());
                changes.push(DocChanges {
                    doc_id: e.doc_id,
                    kind: e.kind.as_str().to_string(),
                    changes: vec![Bytes(e.data)],
                    heads: e.heads,
                    receipts: vec![],
                });
            }
        }
    }
    // R1: the server's receipt time travels with the record (one query for the page).
    let ids: Vec<String> = changes.iter().map(|c| c.doc_id.clone()).collect();
    for (doc_id, event_id, received_at) in storage.receipts_for_docs(&ids)? {
        if let Some(&i) = index.get(&doc_id) {
            changes[i].receipts.push(Receipt { event_id, received_at });
        }
    }
    let version = storage.reference_version()?;
    let reference = if req.reference_version != version { Some(storage.reference_for(person)?) } else { None };
    Ok(SyncResponse { accepted, refused, changes, cursor, more, server_time: now.0, reference })
}
