//! Encryption at rest (docs/adr/0012): the app's key, the check that tells a
//! wrong key from a damaged store, and sealed photo files.
//!
//! - The database is SQLCipher (AES-256 pages with an HMAC per page), keyed
//!   with the app's 32 raw bytes: no passphrase stretching, since the key is
//!   random (Android Keystore), not typed.
//! - `paicha.key-check` beside the database holds an HMAC of a fixed text
//!   under the key. It says nothing about the key; it lets `open` tell "this
//!   is not the key" (nothing is touched) from "this database is damaged"
//!   (the corruption policy moves it aside).
//! - Photos are sealed with XChaCha20-Poly1305 under a key derived from the
//!   store key (HKDF-SHA256), with the photo's SHA-256 as associated data,
//!   so a file swapped for another photo's does not open. File names are an
//!   HMAC of the hash: a copied folder does not say which photo is there.
//! - A download in progress is a series of sealed frames, so it resumes
//!   without any plain bytes on disk.

use crate::error::{Error, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// File beside the database that tells whether a store is encrypted and
/// whether a key is its key.
pub const KEY_CHECK_FILE: &str = "paicha.key-check";

const KEY_CHECK_LABEL: &[u8] = b"paicha store key check v1";
const SEALED_MAGIC: &[u8; 8] = b"PCHSEAL1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The 32-byte key an encrypted store is opened with. The app keeps it
/// (Android Keystore, a key file outside the store): without it, the
/// database and the photos are unreadable. Never printed.
#[derive(Clone)]
pub struct StoreKey([u8; 32]);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl StoreKey {
    /// A key from exactly 32 bytes; any other length is an error naming it.
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::invalid("key", format!("is {} bytes; a store key is 32 bytes", bytes.len())))?;
        Ok(StoreKey(key))
    }

    /// A key from 64 hex digits (a key file), surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> Result<StoreKey> {
        let text = text.trim();
        let bytes = crate::unhex(text)
            .ok_or_else(|| Error::invalid("key", "is not hex digits; a key file holds 64 hex digits (32 bytes)"))?;
        StoreKey::from_bytes(&bytes)
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> StoreKey {
        StoreKey(rand::random())
    }

    /// The key as 64 hex digits, to write a key file.
    pub fn to_hex(&self) -> String {
        crate::hex(&self.0)
    }

    fn mac(&self, label: &[u8], data: &[u8]) -> [u8; 32] {
        // HMAC accepts a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(label);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        // 32 bytes is well within HKDF-SHA256's limit (255 × 32).
        hkdf::Hkdf::<Sha256>::new(None, &self.0).expand(label, &mut out).unwrap_or_else(|_| unreachable!());
        out
    }

    /// The `PRAGMA key` statement for SQLCipher: the raw key, no passphrase
    /// stretching (it is random, not typed).
    pub(crate) fn pragma(&self) -> String {
        format!("PRAGMA key = \"x'{}'\";", crate::hex(&self.0))
    }

    /// The contents of the key check file for this key.
    fn check_text(&self) -> String {
        format!("paicha key check v1\n{}\n", crate::hex(&self.mac(KEY_CHECK_LABEL, b"")))
    }
}

/// Whether the store in `dir` is encrypted (it has a key check file).
pub fn is_encrypted(dir: &Path) -> bool {
    dir.join(KEY_CHECK_FILE).is_file()
}

/// Writes the key check file for a new encrypted store.
pub(crate) fn write_key_check(dir: &Path, key: &StoreKey) -> Result<()> {
    crate::photos::write_atomically(&dir.join(KEY_CHECK_FILE), key.check_text().as_bytes())
}

/// Whether `key` is the key of the encrypted store in `dir`: `Some(false)`
/// for another key, `None` if the check file is missing or unreadable (the
/// database itself then decides).
pub(crate) fn key_matches(dir: &Path, key: &StoreKey) -> Option<bool> {
    let text = std::fs::read_to_string(dir.join(KEY_CHECK_FILE)).ok()?;
    if !text.starts_with("paicha key check v1\n") {
        return None;
    }
    Some(text == key.check_text())
}

/// How photo files are kept: as they are, or sealed under the store key.
pub(crate) enum PhotoVault {
    /// An unencrypted store: `photos/ab/<sha256>.jpg`.
    Plain,
    /// An encrypted store: `photos/xy/<hmac>.sealed`.
    Sealed {
        /// Seals and opens photo files.
        aead: Box<XChaCha20Poly1305>,
        /// Names photo files.
        names: StoreKey,
    },
}

impl PhotoVault {
    pub(crate) fn new(key: Option<&StoreKey>) -> PhotoVault {
        match key {
            None => PhotoVault::Plain,
            Some(k) => PhotoVault::Sealed {
                aead: Box::new(XChaCha20Poly1305::new(&k.derive(b"paicha photos v1").into())),
                names: StoreKey(k.derive(b"paicha photo names v1")),
            },
        }
    }

    /// The file of photo `sha256` in the store `dir`.
    pub(crate) fn path(&self, dir: &Path, sha256: &str) -> PathBuf {
        match self {
            PhotoVault::Plain => {
                let prefix = sha256.get(..2).unwrap_or("xx");
                dir.join("photos").join(prefix).join(format!("{sha256}.jpg"))
            }
            PhotoVault::Sealed { names, .. } => {
                let name = crate::hex(&names.mac(b"", sha256.as_bytes()));
                let prefix = name.get(..2).unwrap_or("xx").to_string();
                dir.join("photos").join(prefix).join(format!("{name}.sealed"))
            }
        }
    }

    /// The bytes to write for photo `sha256` whose contents are `plain`.
    pub(crate) fn seal(&self, sha256: &str, plain: &[u8]) -> Result<Vec<u8>> {
        match self {
            PhotoVault::Plain => Ok(plain.to_vec()),
            PhotoVault::Sealed { aead, .. } => {
                let nonce: [u8; NONCE_LEN] = rand::random();
                let sealed =
                    aead.encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: sha256.as_bytes() })
                        .map_err(|_| Error::Photo { what: sha256.into(), problem: "could not be encrypted".into() })?;
                let mut out = Vec::with_capacity(SEALED_MAGIC.len() + NONCE_LEN + sealed.len());
                out.extend_from_slice(SEALED_MAGIC);
                out.extend_from_slice(&nonce);
                out.extend_from_slice(&sealed);
                Ok(out)
            }
        }
    }

    /// The photo's bytes from the file's bytes; `None` if a sealed file does
    /// not open (altered, another photo's, another store's).
    pub(crate) fn open(&self, sha256: &str, stored: Vec<u8>) -> Option<Vec<u8>> {
        match self {
            PhotoVault::Plain => Some(stored),
            PhotoVault::Sealed { aead, .. } => {
                let rest = stored.strip_prefix(SEALED_MAGIC.as_slice())?;
                if rest.len() < NONCE_LEN + TAG_LEN {
                    return None;
                }
                let (nonce, sealed) = rest.split_at(NONCE_LEN);
                aead.decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: sha256.as_bytes() }).ok()
            }
        }
    }

    /// Appends downloaded bytes to a partial file: as they are, or as one
    /// sealed frame (length, nonce, sealed bytes) bound to its offset.
    pub(crate) fn append_part(&self, part: &Path, sha256: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let io = |e: std::io::Error| Error::Io { path: part.to_path_buf(), source: e };
        let frame = match self {
            PhotoVault::Plain => bytes.to_vec(),
            PhotoVault::Sealed { aead, .. } => {
                let nonce: [u8; NONCE_LEN] = rand::random();
                let aad = frame_aad(sha256, offset);
                let sealed = aead
                    .encrypt(XNonce::from_slice(&nonce), Payload { msg: bytes, aad: &aad })
                    .map_err(|_| Error::Photo { what: sha256.into(), problem: "could not be encrypted".into() })?;
                let len = u32::try_from(bytes.len())
                    .map_err(|_| Error::Photo { what: sha256.into(), problem: "download chunk over 4 GiB".into() })?;
                let mut f = Vec::with_capacity(4 + NONCE_LEN + sealed.len());
                f.extend_from_slice(&len.to_le_bytes());
                f.extend_from_slice(&nonce);
                f.extend_from_slice(&sealed);
                f
            }
        };
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(part).map_err(io)?;
        f.write_all(&frame).map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// The downloaded bytes held in a partial file, in order, and whether
    /// the file holds only them. A torn last frame (the app was killed
    /// mid-write) is dropped; a frame that does not open ends the part
    /// there. An absent file holds nothing.
    pub(crate) fn read_part(&self, part: &Path, sha256: &str) -> Result<(Vec<u8>, bool)> {
        let stored = match std::fs::read(part) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], true)),
            Err(e) => return Err(Error::Io { path: part.to_path_buf(), source: e }),
        };
        match self {
            PhotoVault::Plain => Ok((stored, true)),
            PhotoVault::Sealed { aead, .. } => {
                let mut out = vec![];
                let mut rest = stored.as_slice();
                while rest.len() >= 4 + NONCE_LEN + TAG_LEN {
                    let (len, tail) = rest.split_at(4);
                    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                    let Some(frame_len) = len.checked_add(NONCE_LEN + TAG_LEN) else { break };
                    if tail.len() < frame_len {
                        break;
                    }
                    let (nonce, tail) = tail.split_at(NONCE_LEN);
                    let (sealed, tail) = tail.split_at(len + TAG_LEN);
                    let aad = frame_aad(sha256, out.len() as u64);
                    let Ok(plain) = aead.decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: &aad }) else {
                        break;
                    };
                    out.extend_from_slice(&plain);
                    rest = tail;
                }
                Ok((out, rest.is_empty()))
            }
        }
    }
}

fn frame_aad(sha256: &str, offset: u64) -> Vec<u8> {
    let mut aad = sha256.as_bytes().to_vec();
    aad.extend_from_slice(&offset.to_le_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_32_bytes_or_64_hex_digits() {
        assert!(StoreKey::from_bytes(&[7; 32]).is_ok());
        let e = StoreKey::from_bytes(&[7; 16]).unwrap_err().to_string();
        assert!(e.contains("16 bytes") && e.contains("32 bytes"), "{e}");
        let k = StoreKey::generate();
        assert_eq!(StoreKey::from_hex(&format!(" {}\n", k.to_hex())).unwrap().0, k.0);
        assert!(StoreKey::from_hex("zz").unwrap_err().to_string().contains("hex"));
        assert_eq!(format!("{k:?}"), "StoreKey(..)");
    }

    #[test]
    fn a_sealed_photo_opens_only_with_its_key_and_its_name() {
        let k = StoreKey::generate();
        let v = PhotoVault::new(Some(&k));
        let photo = b"\xFF\xD8\xFF a photo of an open dust collector".to_vec();
        let sealed = v.seal("aa", &photo).unwrap();
        assert!(!sealed.windows(20).any(|w| photo.windows(20).any(|p| p == w)), "plain bytes in the sealed file");
        assert_eq!(v.open("aa", sealed.clone()), Some(photo.clone()));
        assert_eq!(v.open("bb", sealed.clone()), None, "another photo's name");
        assert_eq!(PhotoVault::new(Some(&StoreKey::generate())).open("aa", sealed.clone()), None, "another key");
        let mut altered = sealed;
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(v.open("aa", altered), None);
        assert_ne!(
            v.path(Path::new("/s"), "aa"),
            PhotoVault::new(Some(&StoreKey::generate())).path(Path::new("/s"), "aa")
        );
    }

    #[test]
    fn a_sealed_part_resumes_and_drops_a_torn_frame() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("x.part");
        let v = PhotoVault::new(Some(&StoreKey::generate()));
        assert_eq!(v.read_part(&part, "s").unwrap(), (vec![], true));
        v.append_part(&part, "s", 0, b"first ").unwrap();
        v.append_part(&part, "s", 6, b"second").unwrap();
        assert_eq!(v.read_part(&part, "s").unwrap(), (b"first second".to_vec(), true));
        let mut bytes = std::fs::read(&part).unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"second"));
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&part, &bytes).unwrap();
        assert_eq!(v.read_part(&part, "s").unwrap(), (b"first ".to_vec(), false));
    }

    #[test]
    fn the_key_check_tells_a_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let k = StoreKey::generate();
        assert_eq!(key_matches(dir.path(), &k), None);
        write_key_check(dir.path(), &k).unwrap();
        assert!(is_encrypted(dir.path()));
        assert_eq!(key_matches(dir.path(), &k), Some(true));
        assert_eq!(key_matches(dir.path(), &StoreKey::generate()), Some(false));
        let text = std::fs::read_to_string(dir.path().join(KEY_CHECK_FILE)).unwrap();
        assert!(!text.contains(&k.to_hex()));
    }
}
