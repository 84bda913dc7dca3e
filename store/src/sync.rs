//! The tablet's side of sync in the store: what to upload, and applying the
//! server's answer in one transaction, so a sync killed at any point resumes
//! from a consistent state (the cursor moves with the data it covers).

use super::{docs, documents, hazards, inspections, photos, reference, Store};
use crate::error::{Error, Result};
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::hazard::fold;
use paicha_core::photo::PhotoRef;
use paicha_core::sync::wire::{Bytes, DocUpload, ReferenceData, SyncResponse};
use paicha_core::time::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::Digest;

/// An edit the server refused: kept on the tablet and shown to its user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefusedEdit {
    /// Local id.
    pub id: i64,
    /// The record.
    pub doc_id: String,
    /// hazard or inspection.
    pub kind: String,
    /// The rule or check it broke.
    pub rule: String,
    /// The server's explanation.
    pub message: String,
    /// The refused events (hidden dangers), JSON.
    pub events: serde_json::Value,
    /// When the server refused it.
    pub refused_at: Timestamp,
}

/// What one applied response changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Applied {
    /// Documents the server acknowledged.
    pub acknowledged: usize,
    /// Documents the server refused.
    pub refused: usize,
    /// Documents changed by downloaded changes.
    pub downloaded: usize,
    /// Ids of records that changed here (for the UI to refresh).
    pub changed_ids: Vec<String>,
    /// Template versions the server publishes with other content than this
    /// tablet's own publication of the same version: this tablet's is kept
    /// (its inspections are pinned to it, R3), the server's is not taken.
    pub template_conflicts: Vec<String>,
}

/// Where this tablet syncs, once enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLink {
    /// Base URL of the sync server.
    pub url: String,
    /// The device token (secret).
    pub token: String,
}

fn heads_of(conn: &Connection, id: &str) -> Result<Vec<String>> {
    let json: Option<String> =
        conn.query_row("SELECT server_heads FROM sync_docs WHERE doc_id = ?1", [id], |r| r.get(0)).optional()?;
    match json {
        None => Ok(vec![]),
        Some(j) => serde_json::from_str(&j).map_err(|e| Error::Document {
            id: id.to_string(),
            detail: format!("the server heads stored for this record are unreadable ({e}): '{j}'"),
        }),
    }
}

/// A number kept in `meta`, 0 when never set; an unreadable one is an error
/// naming the key, never read as 0 (a cursor of 0 would download everything
/// again, a wrong clock offset would misdate overdue lists).
fn meta_number<T: std::str::FromStr>(c: &Connection, key: &str) -> Result<Option<T>> {
    match meta_get(c, key)? {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Error::Document { id: "meta".into(), detail: format!("{key} holds '{v}', not a number") }),
    }
}

fn set_heads(conn: &Connection, id: &str, heads: &[String], dirty: bool) -> Result<()> {
    let json = serde_json::to_string(heads).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "INSERT INTO sync_docs(doc_id, server_heads, dirty) VALUES (?1, ?2, ?3)
         ON CONFLICT(doc_id) DO UPDATE SET server_heads = excluded.server_heads, dirty = excluded.dirty",
        params![id, json, dirty as i64],
    )?;
    Ok(())
}

impl Store {
    /// Trusts a certificate authority (PEM, one or more certificates) for
    /// every request to the server, besides the system's trust store: a
    /// district whose intranet server has a certificate from its own CA.
    /// Checked before it is kept; kept in the store for later syncs.
    pub fn trust_certificate_authority(&self, pem: &str) -> Result<()> {
        crate::trust::parse_ca(pem)?;
        self.write(|tx| meta_set(tx, "trusted_ca_pem", pem))
    }

    /// The certificate authority trusted besides the system's, if any.
    pub fn trusted_ca(&self) -> Result<Option<String>> {
        self.read(|c| meta_get(c, "trusted_ca_pem"))
    }
}

fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", [key, value])?;
    Ok(())
}

impl Store {
    /// The device's Automerge actor id (hex), bound to it at enrollment.
    pub fn actor_hex(&self) -> &str {
        &self.device.actor
    }

    /// Records the server and device token after enrollment, and the user
    /// it was enrolled for. Only an encrypted store keeps a token: it is
    /// never on disk in plain text.
    pub fn set_server_link(&self, link: &ServerLink, user: &str) -> Result<()> {
        self.check_can_keep_token()?;
        self.write(|tx| {
            meta_set(tx, "server_url", &link.url)?;
            meta_set(tx, "device_token", &link.token)?;
            meta_set(tx, "user", user)?;
            Ok(())
        })
    }

    /// Whether this store may keep a device token (it is encrypted), so an
    /// enrollment is refused before its one-time code is spent.
    pub fn check_can_keep_token(&self) -> Result<()> {
        if self.encrypted {
            return Ok(());
        }
        Err(Error::NotEncrypted(
            self.dir.clone(),
            "a device token is kept only in an encrypted store; create the store with a key to enroll it",
        ))
    }

    /// The server this tablet syncs with, if enrolled.
    pub fn server_link(&self) -> Result<Option<ServerLink>> {
        self.read(|c| {
            Ok(match (meta_get(c, "server_url")?, meta_get(c, "device_token")?) {
                (Some(url), Some(token)) => Some(ServerLink { url, token }),
                _ => None,
            })
        })
    }

    /// The device clock corrected by the offset to the server's clock seen at
    /// the last sync (R10: overdue and escalation are computed on server time
    /// where known). Events keep the device's own time (R1).
    pub fn server_now(&self) -> Result<Timestamp> {
        let offset: i64 = self.read(|c| Ok(meta_number(c, "clock_offset_ms")?.unwrap_or(0)))?;
        Ok(Timestamp::now().plus_millis(offset))
    }

    /// The position in the server's change log and the reference data version.
    pub fn sync_cursor(&self) -> Result<(u64, u64)> {
        self.read(|c| {
            let n = |k: &str| -> Result<u64> { Ok(meta_number(c, k)?.unwrap_or(0)) };
            Ok((n("sync_cursor")?, n("reference_version")?))
        })
    }

    /// Documents with changes the server has not acknowledged, as uploads of
    /// at most about `max_bytes` in total (at least one document).
    pub fn pending_uploads(&self, max_bytes: usize) -> Result<Vec<DocUpload>> {
        self.read(|c| {
            let ids: Vec<(String, String)> = {
                let mut stmt = c.prepare(
                    // Inspections before the hidden dangers they raise, hidden
                    // dangers before the orders listing them, orders before
                    // their opinions: a record is never sent before one it
                    // refers to, even when the uploads take several requests.
                    "SELECT s.doc_id, d.kind FROM sync_docs s JOIN documents d ON d.id = s.doc_id WHERE s.dirty = 1
                     ORDER BY CASE d.kind WHEN 'inspection' THEN 0 WHEN 'hazard' THEN 1 WHEN 'order' THEN 2
                                          WHEN 'review_opinion' THEN 3 ELSE 4 END, s.doc_id",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut out = vec![];
            let mut total = 0;
            for (id, kind) in ids {
                let heads = heads_of(c, &id)?;
                let Some(mut doc) = docs::load(c, &id, &self.actor)? else { continue };
                let changes = doc.changes_after(&heads);
                if changes.is_empty() {
                    continue;
                }
                if total > 0 && total + changes.len() > max_bytes {
                    break;
                }
                total += changes.len();
                out.push(DocUpload { doc_id: id, kind, changes: Bytes(changes) });
            }
            Ok(out)
        })
    }

    /// Whether any document still waits for upload.
    pub fn has_pending_uploads(&self) -> Result<bool> {
        self.read(|c| Ok(c.query_row("SELECT EXISTS(SELECT 1 FROM sync_docs WHERE dirty = 1)", [], |r| r.get(0))?))
    }

    /// Applies the server's answer to `sent` in one transaction: acknowledged
    /// documents, refused ones (kept as refused edits, the record re-based on
    /// the server's version), downloaded changes (merged and re-projected),
    /// the new cursor and reference data.
    pub fn apply_sync_response(&self, sent: &[DocUpload], resp: &SyncResponse, now: Timestamp) -> Result<Applied> {
        self.write(|tx| {
            let mut applied = Applied::default();
            let mut receipt = tx
                .prepare_cached("INSERT OR REPLACE INTO receipts(event_id, doc_id, received_at) VALUES (?1, ?2, ?3)")?;
            for (doc, r) in resp
                .accepted
                .iter()
                .flat_map(|a| a.receipts.iter().map(move |r| (&a.doc_id, r)))
                .chain(resp.changes.iter().flat_map(|c| c.receipts.iter().map(move |r| (&c.doc_id, r))))
            {
                receipt.execute(params![r.event_id, doc, r.received_at])?;
            }
            drop(receipt);
            for ack in &resp.accepted {
                let Some(mut doc) = docs::load(tx, &ack.doc_id, &self.actor)? else { continue };
                let dirty = doc.has_changes_after(&ack.heads);
                set_heads(tx, &ack.doc_id, &ack.heads, dirty)?;
                applied.acknowledged += 1;
            }
            for r in &resp.refused {
                let kind = sent.iter().find(|u| u.doc_id == r.doc_id).map(|u| u.kind.clone()).unwrap_or_default();
                let Some(mut local) = docs::load(tx, &r.doc_id, &self.actor)? else { continue };
                let server_events = if r.server_doc.0.is_empty() {
                    vec![]
                } else {
                    let mut s = RecordDoc::empty(&r.doc_id, &self.actor);
                    s.apply(&r.server_doc.0)?;
                    s.events()?
                };
                let refused: Vec<_> = local.events()?.into_iter().filter(|e| !server_events.contains(e)).collect();
                tx.execute(
                    "INSERT INTO refused_edits(doc_id, kind, rule, message, events, local_doc, refused_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        r.doc_id,
                        kind,
                        r.rule,
                        r.message,
                        serde_json::to_string(&refused).unwrap_or_else(|_| "[]".into()),
                        local.save(),
                        now.0
                    ],
                )?;
                // Re-base on the server's version; without one, the record leaves
                // this tablet's lists (its bytes stay in refused_edits).
                if r.server_doc.0.is_empty() {
                    tx.execute("DELETE FROM hazards WHERE id = ?1", [&r.doc_id])?;
                    tx.execute("DELETE FROM inspection_answers WHERE inspection_id = ?1", [&r.doc_id])?;
                    tx.execute("DELETE FROM inspections WHERE id = ?1", [&r.doc_id])?;
                    tx.execute("DELETE FROM document_changes WHERE doc_id = ?1", [&r.doc_id])?;
                    tx.execute("DELETE FROM documents WHERE id = ?1", [&r.doc_id])?;
                    tx.execute("DELETE FROM sync_docs WHERE doc_id = ?1", [&r.doc_id])?;
                } else {
                    let mut server = RecordDoc::empty(&r.doc_id, &self.actor);
                    server.apply(&r.server_doc.0)?;
                    let heads = server.heads();
                    let k = DocKind::parse(&kind)
                        .map_err(|e| Error::Document { id: r.doc_id.clone(), detail: e.to_string() })?;
                    docs::replace(tx, &mut server, k, now)?;
                    self.reproject(tx, &mut server, k, now)?;
                    set_heads(tx, &r.doc_id, &heads, false)?;
                }
                applied.refused += 1;
                applied.changed_ids.push(r.doc_id.clone());
            }
            for ch in &resp.changes {
                let kind = DocKind::parse(&ch.kind)
                    .map_err(|e| Error::Document { id: ch.doc_id.clone(), detail: e.to_string() })?;
                let (mut doc, existed) = match docs::load(tx, &ch.doc_id, &self.actor)? {
                    Some(d) => (d, true),
                    None => (RecordDoc::empty(&ch.doc_id, &self.actor), false),
                };
                for c in &ch.changes {
                    doc.apply(&c.0)?;
                }
                if existed {
                    docs::append_received(tx, &mut doc, now)?;
                } else {
                    let chunks: Vec<&[u8]> = ch.changes.iter().map(|c| c.0.as_slice()).collect();
                    docs::insert_received(tx, &ch.doc_id, kind, &chunks, now)?;
                }
                self.reproject(tx, &mut doc, kind, now)?;
                // A record new here has nothing of ours in it.
                let dirty = existed && doc.has_changes_after(&ch.heads);
                set_heads(tx, &ch.doc_id, &ch.heads, dirty)?;
                applied.downloaded += 1;
                applied.changed_ids.push(ch.doc_id.clone());
            }
            if let Some(reference) = &resp.reference {
                applied.template_conflicts = apply_reference(tx, reference)?;
            }
            meta_set(tx, "sync_cursor", &resp.cursor.to_string())?;
            meta_set(tx, "server_time", &resp.server_time.to_string())?;
            // R10: overdue is computed on server time where known.
            meta_set(tx, "clock_offset_ms", &(resp.server_time - now.0).to_string())?;
            Ok(applied)
        })
    }

    fn reproject(&self, conn: &Connection, doc: &mut RecordDoc, kind: DocKind, now: Timestamp) -> Result<()> {
        let photos: Vec<PhotoRef> = match kind {
            DocKind::Hazard => {
                let events = doc.events()?;
                if let Some(h) = fold(doc.id(), &events) {
                    hazards::project(conn, &h, now)?;
                }
                events.iter().flat_map(|e| e.action.photos().into_iter().cloned().collect::<Vec<_>>()).collect()
            }
            DocKind::Inspection => {
                let insp = doc.inspection()?;
                inspections::project_inspection(conn, &insp)?;
                insp.answers.values().flat_map(|a| a.photos.iter().cloned()).collect()
            }
            DocKind::Order => {
                let order: paicha_core::documents::RectificationOrder = doc.body()?;
                let photos = order.signatures.iter().map(|s| s.image.clone()).collect();
                let summary = paicha_core::summary::OrderSummary { order, void: doc.void()? };
                documents::project_order(conn, &summary)?;
                photos
            }
            DocKind::ReviewOpinion => {
                let opinion: paicha_core::documents::ReviewOpinion = doc.body()?;
                documents::project_opinion(conn, &opinion)?;
                opinion.signatures.iter().map(|s| s.image.clone()).collect()
            }
        };
        // Photos of records from other tablets: fetched after the records.
        for p in photos {
            if !self.photo_path(&p.sha256).is_file() {
                conn.execute(
                    "INSERT OR IGNORE INTO photo_wanted(sha256, bytes) VALUES (?1, ?2)",
                    params![p.sha256, p.bytes as i64],
                )?;
            }
        }
        Ok(())
    }

    /// Photos taken here that the server does not have yet, by hash
    /// (their bytes: [`Store::photo_bytes`]).
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT sha256 FROM photos WHERE uploaded = 0 ORDER BY added_at, sha256")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Records that the server has a photo.
    pub fn mark_photo_uploaded(&self, sha256: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE photos SET uploaded = 1 WHERE sha256 = ?1", [sha256])?;
            Ok(())
        })
    }

    /// Photos of received records still to download: (hash, size).
    pub fn photos_wanted(&self) -> Result<Vec<(String, u64)>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT sha256, bytes FROM photo_wanted ORDER BY sha256")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Where a photo being downloaded accumulates.
    fn photo_part_path(&self, sha256: &str) -> std::path::PathBuf {
        self.photo_path(sha256).with_extension("part")
    }

    /// How many bytes of photo `sha256` a download in progress already
    /// holds: where to resume. A partial file with a torn end (the app was
    /// killed mid-write) is cut back to what it holds whole.
    pub fn photo_download_offset(&self, sha256: &str) -> Result<u64> {
        let part = self.photo_part_path(sha256);
        // A plain part is its bytes: its length is the offset, no need to read it.
        if let crate::encryption::PhotoVault::Plain = self.vault {
            return match std::fs::metadata(&part) {
                Ok(m) => Ok(m.len()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
                Err(e) => Err(Error::Io { path: part, source: e }),
            };
        }
        let (held, whole) = self.vault.read_part(&part, sha256)?;
        if !whole {
            let _ = std::fs::remove_file(&part);
            if !held.is_empty() {
                self.vault.append_part(&part, sha256, 0, &held)?;
            }
        }
        Ok(held.len() as u64)
    }

    /// Adds downloaded bytes of photo `sha256` at `offset` (0 starts over);
    /// sealed on the way to disk in an encrypted store.
    pub fn append_photo_download(&self, sha256: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        let part = self.photo_part_path(sha256);
        if let Some(dir) = part.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io { path: dir.to_path_buf(), source: e })?;
        }
        if offset == 0 {
            match std::fs::remove_file(&part) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::Io { path: part, source: e }),
            }
        }
        self.vault.append_part(&part, sha256, offset, bytes)
    }

    /// Checks a downloaded photo against its hash; keeps it if it matches,
    /// discards the partial file (to download again) if it does not.
    pub fn finish_photo_download(&self, sha256: &str, now: Timestamp) -> Result<bool> {
        let part = self.photo_part_path(sha256);
        let (bytes, _) = self.vault.read_part(&part, sha256)?;
        let actual = super::hex(&sha2::Sha256::digest(&bytes));
        if actual != sha256 {
            let _ = std::fs::remove_file(&part);
            return Ok(false);
        }
        let dest = self.photo_path(sha256);
        let stored = self.vault.seal(sha256, &bytes)?;
        photos::write_atomically(&dest, &stored)?;
        let _ = std::fs::remove_file(&part);
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO photos(sha256, bytes, role, captured_at, device_id, added_at, uploaded)
                 VALUES (?1, ?2, 'received', NULL, '', ?3, 1)",
                params![sha256, bytes.len() as i64, now.0],
            )?;
            tx.execute("DELETE FROM photo_wanted WHERE sha256 = ?1", [sha256])?;
            Ok(())
        })?;
        Ok(true)
    }

    /// Applies reference data received at enrollment or sync.
    /// Returns the template versions not taken (see [`Applied::template_conflicts`]).
    pub fn apply_reference(&self, reference: &ReferenceData) -> Result<Vec<String>> {
        self.write(|tx| apply_reference(tx, reference))
    }

    /// Edits the server refused, newest first: they stay here for the user.
    pub fn refused_edits(&self) -> Result<Vec<RefusedEdit>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, doc_id, kind, rule, message, events, refused_at FROM refused_edits ORDER BY id DESC",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(RefusedEdit {
                    id: r.get(0)?,
                    doc_id: r.get(1)?,
                    kind: r.get(2)?,
                    rule: r.get(3)?,
                    message: r.get(4)?,
                    events: serde_json::from_str(&r.get::<_, String>(5)?).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
                    })?,
                    refused_at: Timestamp(r.get(6)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

fn apply_reference(tx: &Connection, reference: &ReferenceData) -> Result<Vec<String>> {
    for p in &reference.people {
        reference::put_person_in(tx, p)?;
    }
    reference::put_enterprises_in(tx, &reference.enterprises)?;
    reference::store_policy(tx, &reference.policy)?;
    let mut conflicts = vec![];
    for t in &reference.templates {
        match reference::put_template(tx, t) {
            Ok(_) => {}
            Err(Error::Rule(r)) if r.rule == "R3" => {
                conflicts.push(format!("template {} version {}: {}", t.id, t.version, r.message))
            }
            Err(e) => return Err(e),
        }
    }
    meta_set(tx, "reference_version", &reference.version.to_string())?;
    Ok(conflicts)
}
