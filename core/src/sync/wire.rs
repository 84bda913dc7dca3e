//! The sync wire format, version 1.
//!
//! A message is `PSY` + one byte of protocol version + a raw-deflate stream of
//! JSON. JSON keeps it debuggable and stable under serde; deflate over the
//! whole batch removes the repetition between documents (every event carries
//! its author), which per-document compression cannot. Bytes (Automerge
//! changes) travel as base64 inside the JSON.
//!
//! A change to the format is a new version number: a peer that receives a
//! version it does not speak answers with a clear error, never a guess.
//! `tests/golden/*.bin` pin the bytes of version 1.

use crate::enterprise::Enterprise;
use crate::people::Person;
use crate::policy::Policy;
use crate::template::Template;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::io::{Read, Write};

/// The protocol version this code speaks.
pub const PROTOCOL_VERSION: u8 = 1;
const MAGIC: &[u8; 3] = b"PSY";
/// Largest decoded message accepted (protects both sides from a deflate bomb).
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// Media type of encoded messages.
pub const CONTENT_TYPE: &str = "application/vnd.paicha.sync";

/// Errors decoding a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Not a paicha sync message at all.
    #[error("not a paicha sync message (bad magic bytes)")]
    NotSync,
    /// A version this code does not speak.
    #[error(
        "sync protocol version {found} is not supported; this side speaks version {supported}: upgrade the older side"
    )]
    UnsupportedVersion {
        /// The version in the message.
        found: u8,
        /// The version this code speaks.
        supported: u8,
    },
    /// The body does not decompress or parse.
    #[error("malformed sync message: {0}")]
    Malformed(String),
}

/// Bytes that serialize as base64.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).map(Bytes).map_err(serde::de::Error::custom)
    }
}

/// A tablet's request: its new changes, and where it is in the server's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Position in the server's change log this tablet has stored.
    #[serde(rename = "c")]
    pub cursor: u64,
    /// Version of the reference data (people, enterprises, policy) the tablet has.
    #[serde(rename = "r", default)]
    pub reference_version: u64,
    /// New changes, per document.
    #[serde(rename = "u", default, skip_serializing_if = "Vec::is_empty")]
    pub uploads: Vec<DocUpload>,
    /// Largest number of change-log entries to return.
    #[serde(rename = "n", default)]
    pub page_size: u32,
    /// The device's clock when it sent the request (ms since the epoch): the
    /// server compares it with its own to bound what the device's event
    /// times may claim (R10, docs/adr/0007).
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub device_time: Option<i64>,
}

/// The new changes of one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocUpload {
    /// Record id.
    #[serde(rename = "d")]
    pub doc_id: String,
    /// `hazard` or `inspection`.
    #[serde(rename = "k")]
    pub kind: String,
    /// Automerge changes (the output of `save_after`).
    #[serde(rename = "b")]
    pub changes: Bytes,
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Documents whose upload was stored, with the server's heads after it.
    #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<DocAck>,
    /// Documents whose upload was refused (kept in quarantine on the server).
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<DocRefusal>,
    /// Changes in the tablet's scope after its cursor.
    #[serde(rename = "ch", default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<DocChanges>,
    /// The cursor to send next time.
    #[serde(rename = "c")]
    pub cursor: u64,
    /// More changes are waiting: ask again.
    #[serde(rename = "m", default, skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
    /// Server clock, ms since the epoch (R10: overdue is computed on server time).
    #[serde(rename = "t")]
    pub server_time: i64,
    /// New reference data, when the tablet's version is behind.
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceData>,
}

/// When the server received an event (R1: attributable with the server's receipt time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Event id.
    #[serde(rename = "e")]
    pub event_id: String,
    /// Server receipt time, ms since the epoch.
    #[serde(rename = "t")]
    pub received_at: i64,
}

/// An accepted document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocAck {
    /// Record id.
    #[serde(rename = "d")]
    pub doc_id: String,
    /// The server's heads (hex change hashes) after storing the upload.
    #[serde(rename = "h")]
    pub heads: Vec<String>,
    /// Receipt times of the events this upload added.
    #[serde(rename = "rc", default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<Receipt>,
}

/// A refused document: the rule it breaks, and the server's version of the
/// document so the tablet can re-base on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocRefusal {
    /// Record id.
    #[serde(rename = "d")]
    pub doc_id: String,
    /// Rule number (`R8`) or a check name (`actor`, `size`, `format`).
    #[serde(rename = "r")]
    pub rule: String,
    /// What is wrong.
    #[serde(rename = "msg")]
    pub message: String,
    /// The server's whole document (empty if the server has none).
    #[serde(rename = "s", default)]
    pub server_doc: Bytes,
}

/// Changes of one document from the server's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocChanges {
    /// Record id.
    #[serde(rename = "d")]
    pub doc_id: String,
    /// `hazard` or `inspection`.
    #[serde(rename = "k")]
    pub kind: String,
    /// Automerge change blocks, in log order.
    #[serde(rename = "b")]
    pub changes: Vec<Bytes>,
    /// The server's heads for the document after these changes.
    #[serde(rename = "h")]
    pub heads: Vec<String>,
    /// Receipt times of the document's events.
    #[serde(rename = "rc", default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<Receipt>,
}

/// People, enterprises and policy in the tablet's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceData {
    /// Version of this set.
    pub version: u64,
    /// Everyone a tablet may need to name (co-inspectors, supervisors).
    pub people: Vec<Person>,
    /// Enterprises in the user's scope.
    pub enterprises: Vec<Enterprise>,
    /// The district's policy.
    pub policy: Policy,
    /// Every published checklist template version (R3), so a version the
    /// district publishes on the server reaches every tablet. Absent in
    /// older messages.
    #[serde(default)]
    pub templates: Vec<Template>,
}

/// Encodes a message: magic, version, deflated JSON.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let json = serde_json::to_vec(msg).unwrap_or_default();
    let mut out = Vec::with_capacity(json.len() / 3 + 8);
    out.extend_from_slice(MAGIC);
    out.push(PROTOCOL_VERSION);
    let mut enc = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(&json);
    enc.finish().unwrap_or_default()
}

/// Decodes a message, refusing other versions and oversized or malformed input.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, WireError> {
    decode_bounded(bytes, MAX_DECODED_BYTES)
}

/// How large a body of `compressed` bytes may decode to on the server: a
/// real sync's JSON deflates by well under [`MAX_RATIO`], so anything more is
/// a deflate bomb, refused before it is allocated; and never more than
/// [`MAX_SERVER_DECODED_BYTES`].
pub fn server_decode_limit(compressed: usize) -> u64 {
    (compressed as u64).saturating_mul(MAX_RATIO).saturating_add(64 * 1024).min(MAX_SERVER_DECODED_BYTES)
}

/// Largest ratio of decoded to compressed size the server accepts.
pub const MAX_RATIO: u64 = 20;
/// Largest decoded request the server accepts, whatever its compressed size.
pub const MAX_SERVER_DECODED_BYTES: u64 = 48 * 1024 * 1024;

/// [`decode`] with a limit on the decoded size: decompression stops one byte
/// past `max_decoded`, so a bomb never allocates more than that.
pub fn decode_bounded<T: for<'de> Deserialize<'de>>(bytes: &[u8], max_decoded: u64) -> Result<T, WireError> {
    if bytes.len() < 4 || &bytes[..3] != MAGIC {
        return Err(WireError::NotSync);
    }
    if bytes[3] != PROTOCOL_VERSION {
        return Err(WireError::UnsupportedVersion { found: bytes[3], supported: PROTOCOL_VERSION });
    }
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(&bytes[4..])
        .take(max_decoded.saturating_add(1))
        .read_to_end(&mut json)
        .map_err(|e| WireError::Malformed(e.to_string()))?;
    if json.len() as u64 > max_decoded {
        return Err(WireError::Malformed(format!("decodes to more than {max_decoded} bytes")));
    }
    serde_json::from_slice(&json).map_err(|e| WireError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SyncRequest {
        SyncRequest {
            cursor: 42,
            reference_version: 3,
            uploads: vec![DocUpload {
                doc_id: "h1".into(),
                kind: "hazard".into(),
                changes: Bytes(vec![0x85, 0x6f, 0x4a, 0x83]),
            }],
            page_size: 500,
            device_time: None,
        }
    }

    fn response() -> SyncResponse {
        SyncResponse {
            accepted: vec![DocAck { doc_id: "h1".into(), heads: vec!["ab".repeat(32)], receipts: vec![] }],
            refused: vec![DocRefusal {
                doc_id: "h2".into(),
                rule: "R8".into(),
                message: "only a supervisor".into(),
                server_doc: Bytes(vec![]),
            }],
            changes: vec![DocChanges {
                doc_id: "h3".into(),
                kind: "hazard".into(),
                changes: vec![Bytes(vec![1, 2, 3])],
                heads: vec![],
                receipts: vec![],
            }],
            cursor: 43,
            more: false,
            server_time: 1_790_000_000_000,
            reference: None,
        }
    }

    fn golden(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
    }

    fn payload(bytes: &[u8]) -> (Vec<u8>, String) {
        let mut json = String::new();
        flate2::read::DeflateDecoder::new(&bytes[4..]).read_to_string(&mut json).unwrap();
        (bytes[..4].to_vec(), json)
    }

    /// Version 1 is pinned: the header and the JSON inside must not change
    /// (that would be a new protocol version), and messages saved by earlier
    /// builds must still decode. The deflate bytes themselves may differ
    /// between compressor versions, so they are not compared. Regenerate only
    /// with PAICHA_BLESS=1 together with a new PROTOCOL_VERSION.
    #[test]
    fn golden_messages_of_version_1() {
        for (name, bytes) in
            [("sync_request_v1.bin", encode(&request())), ("sync_response_v1.bin", encode(&response()))]
        {
            let path = golden(name);
            if std::env::var("PAICHA_BLESS").is_ok() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &bytes).unwrap();
            }
            let pinned = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(payload(&bytes), payload(&pinned), "{name} changed: bump PROTOCOL_VERSION");
        }
        assert_eq!(decode::<SyncRequest>(&std::fs::read(golden("sync_request_v1.bin")).unwrap()).unwrap(), request());
        assert_eq!(
            decode::<SyncResponse>(&std::fs::read(golden("sync_response_v1.bin")).unwrap()).unwrap(),
            response()
        );
    }

    #[test]
    fn other_versions_and_garbage_are_clear_errors() {
        let mut b = encode(&request());
        b[3] = 9;
        let err = decode::<SyncRequest>(&b).unwrap_err();
        assert_eq!(err, WireError::UnsupportedVersion { found: 9, supported: 1 });
        assert!(err.to_string().contains("upgrade"));
        assert_eq!(decode::<SyncRequest>(b"GET / HTTP/1.1").unwrap_err(), WireError::NotSync);
        assert!(matches!(decode::<SyncRequest>(b"PSY\x01garbage"), Err(WireError::Malformed(_))));
        let bad_json = {
            let mut out = b"PSY\x01".to_vec();
            let mut enc = flate2::write::DeflateEncoder::new(out.split_off(4), flate2::Compression::default());
            enc.write_all(b"{\"c\": \"not a number\"}").unwrap();
            out.extend(enc.finish().unwrap());
            out
        };
        assert!(matches!(decode::<SyncRequest>(&bad_json), Err(WireError::Malformed(_))));
    }

    #[test]
    fn no_op_exchange_is_tiny() {
        let req =
            SyncRequest { cursor: 123_456, reference_version: 7, uploads: vec![], page_size: 1000, device_time: None };
        let resp = SyncResponse {
            accepted: vec![],
            refused: vec![],
            changes: vec![],
            cursor: 123_456,
            more: false,
            server_time: 1_790_000_000_000,
            reference: None,
        };
        assert!(encode(&req).len() < 64, "{}", encode(&req).len());
        assert!(encode(&resp).len() < 64, "{}", encode(&resp).len());
    }
}
