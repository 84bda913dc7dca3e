//! Document bytes in SQLite: a snapshot plus incremental changes, compacted
//! into a new snapshot inside the same transaction once enough accumulate.

use crate::error::{Error, Result};
use paicha_core::doc::{DocKind, RecordDoc};
use paicha_core::time::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};

/// Incremental changes kept before a document is compacted into its snapshot.
/// A hidden danger gets 5 to 15 events in its life, so most are compacted
/// once or never; loading stays one snapshot plus a few small changes.
pub const COMPACT_AFTER: i64 = 16;

/// Loads a document, or None if it does not exist.
pub fn load(conn: &Connection, id: &str, actor: &[u8]) -> Result<Option<RecordDoc>> {
    let snapshot: Option<Vec<u8>> =
        conn.query_row("SELECT snapshot FROM documents WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    let Some(snapshot) = snapshot else { return Ok(None) };
    let mut stmt = conn.prepare_cached("SELECT data FROM document_changes WHERE doc_id = ?1 ORDER BY seq")?;
    let changes: Vec<Vec<u8>> = stmt.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(Some(RecordDoc::load(id, &snapshot, &changes, actor)?))
}

/// The kind of a stored document, if it exists.
pub fn kind(conn: &Connection, id: &str) -> Result<Option<DocKind>> {
    let kind: Option<String> =
        conn.query_row("SELECT kind FROM documents WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    // A kind this code does not know is an error naming it, never a guess.
    kind.map(|k| DocKind::parse(&k).map_err(|e| Error::Document { id: id.to_string(), detail: e.to_string() }))
        .transpose()
}

/// Stores a new document as its first snapshot.
pub fn insert(conn: &Connection, doc: &mut RecordDoc, kind: DocKind, now: Timestamp) -> Result<()> {
    let bytes = doc.save();
    conn.execute(
        "INSERT INTO documents(id, kind, snapshot, changes, updated_at) VALUES (?1, ?2, ?3, 0, ?4)",
        params![doc.id(), kind.as_str(), bytes, now.0],
    )?;
    mark_dirty(conn, doc.id())?;
    Ok(())
}

/// Records that a document has local changes to upload.
pub fn mark_dirty(conn: &Connection, id: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_docs(doc_id, dirty) VALUES (?1, 1) ON CONFLICT(doc_id) DO UPDATE SET dirty = 1",
        [id],
    )?;
    Ok(())
}

/// Stores a document received from the server as the change bytes it came
/// in (they load as a document), without re-encoding it.
pub fn insert_received(conn: &Connection, id: &str, kind: DocKind, chunks: &[&[u8]], now: Timestamp) -> Result<()> {
    conn.execute(
        "INSERT INTO documents(id, kind, snapshot, changes, updated_at) VALUES (?1, ?2, ?3, 0, ?4)",
        params![id, kind.as_str(), chunks.concat(), now.0],
    )?;
    Ok(())
}

/// Replaces a document with another version of it (a compacted snapshot).
pub fn replace(conn: &Connection, doc: &mut RecordDoc, kind: DocKind, now: Timestamp) -> Result<()> {
    let bytes = doc.save();
    conn.execute("DELETE FROM document_changes WHERE doc_id = ?1", [doc.id()])?;
    conn.execute(
        "INSERT INTO documents(id, kind, snapshot, changes, updated_at) VALUES (?1, ?2, ?3, 0, ?4)
         ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, changes = 0, updated_at = excluded.updated_at",
        params![doc.id(), kind.as_str(), bytes, now.0],
    )?;
    Ok(())
}

/// Appends the document's unsaved changes, compacting when there are many,
/// and marks it for upload.
pub fn append(conn: &Connection, doc: &mut RecordDoc, now: Timestamp) -> Result<()> {
    mark_dirty(conn, doc.id())?;
    append_received(conn, doc, now)
}

/// Appends changes that came from the server (nothing new to upload).
pub fn append_received(conn: &Connection, doc: &mut RecordDoc, now: Timestamp) -> Result<()> {
    let changes: i64 = conn.query_row("SELECT changes FROM documents WHERE id = ?1", [doc.id()], |r| r.get(0))?;
    if changes + 1 >= COMPACT_AFTER {
        let snapshot = doc.save();
        conn.execute("DELETE FROM document_changes WHERE doc_id = ?1", [doc.id()])?;
        conn.execute(
            "UPDATE documents SET snapshot = ?2, changes = 0, updated_at = ?3 WHERE id = ?1",
            params![doc.id(), snapshot, now.0],
        )?;
        return Ok(());
    }
    let inc = doc.save_incremental();
    if inc.is_empty() {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO document_changes(doc_id, seq, data) VALUES (?1, ?2, ?3)",
        params![doc.id(), changes + 1, inc],
    )?;
    conn.execute(
        "UPDATE documents SET changes = ?2, updated_at = ?3 WHERE id = ?1",
        params![doc.id(), changes + 1, now.0],
    )?;
    Ok(())
}

/// Resolves a full id or an unambiguous prefix (at least 4 characters) of a
/// document of `kind`, so people can type `3f2a` instead of a whole UUID.
pub fn resolve(conn: &Connection, kind: DocKind, id_or_prefix: &str) -> Result<Option<String>> {
    let s = id_or_prefix.trim();
    if conn
        .query_row("SELECT 1 FROM documents WHERE id = ?1 AND kind = ?2", params![s, kind.as_str()], |_| Ok(()))
        .optional()?
        .is_some()
    {
        return Ok(Some(s.to_string()));
    }
    if s.len() < 4 || s.contains(['%', '_']) {
        return Ok(None);
    }
    let mut stmt = conn.prepare("SELECT id FROM documents WHERE kind = ?1 AND id LIKE ?2 || '%' LIMIT 2")?;
    let found: Vec<String> =
        stmt.query_map(params![kind.as_str(), s], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    match found.len() {
        1 => Ok(found.into_iter().next()),
        0 => Ok(None),
        _ => Err(crate::error::Error::invalid("id", format!("'{s}' matches several records; type more of it"))),
    }
}
