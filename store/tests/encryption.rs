//! Encryption at rest: a copied store reveals nothing without its key, a
//! wrong key changes nothing, and only an encrypted store keeps a token.

#![allow(clippy::unwrap_used)]

use paicha_core::photo::PhotoRole;
use paicha_core::time::Timestamp;
use paicha_store::{Error, NewHazard, ServerLink, Store, StoreKey};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const TOKEN: &str = "device-token-7f3a9c2e51b84d06";
const DESCRIPTION: &str = "除尘器泄爆口朝向人员密集的更衣室";

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A store with a token, a hidden danger and its photo; returns the photo.
fn fill(store: &Store, dir: &Path) -> (Vec<u8>, String) {
    let out = report_with_photo(store, dir);
    store
        .set_server_link(&ServerLink { url: "https://paicha.example".into(), token: TOKEN.into() }, "insp-wang")
        .unwrap();
    out
}

/// The demo district and a hidden danger with its photo; returns the photo and its hash.
fn report_with_photo(store: &Store, dir: &Path) -> (Vec<u8>, String) {
    store.seed_demo_district().unwrap();
    store.set_user("insp-wang").unwrap();
    let mut photo = b"\xFF\xD8\xFF\xE0".to_vec();
    photo.extend((0..40_000u32).map(|i| (i * 13 % 251) as u8));
    let file = dir.join("before.jpg");
    std::fs::write(&file, &photo).unwrap();
    let p = store.import_photo(&file, PhotoRole::Before, None, None).unwrap();
    std::fs::remove_file(&file).unwrap();
    store
        .report_hazard(
            "insp-wang",
            NewHazard {
                enterprise: paicha_core::demo::credit_code(1),
                description: Some(DESCRIPTION.into()),
                before_photos: vec![p.clone()],
                co_inspectors: vec!["insp-li".into()],
                ..NewHazard::default()
            },
            Timestamp::now(),
        )
        .unwrap();
    (photo, p.sha256)
}

#[test]
fn a_copied_encrypted_store_reveals_nothing_without_its_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let key = StoreKey::generate();
    let store = Store::create_encrypted(&dir, "tab-wang", &key).unwrap();
    assert!(store.encrypted());
    let (photo, sha) = fill(&store, tmp.path());
    // While the store is open (a WAL holds recent pages) and after it closes.
    for open in [true, false] {
        let copy = files(&dir);
        assert!(copy.len() >= 3, "{:?}", copy.keys());
        for (path, bytes) in &copy {
            let name = path.display().to_string();
            assert!(!contains(bytes, b"SQLite format 3"), "{name} is a plain SQLite file (open: {open})");
            for secret in [TOKEN, DESCRIPTION, "tab-wang", "insp-wang", "配电", &paicha_core::demo::credit_code(1)] {
                assert!(!contains(bytes, secret.as_bytes()), "{name} reveals {secret} (open: {open})");
            }
            assert!(!contains(bytes, &photo[100..164]), "{name} holds the photo's bytes (open: {open})");
            assert!(!name.contains(&sha), "{name} names the photo by its hash");
        }
        if open {
            drop(store.set_user("insp-wang"));
        }
    }
    drop(store);
    let reopened = Store::open_encrypted(&dir, &key).unwrap();
    assert_eq!(reopened.photo_bytes(&sha).unwrap(), photo);
    assert_eq!(reopened.server_link().unwrap().unwrap().token, TOKEN);
    assert!(reopened.verify_photos().unwrap().is_empty());
    let h = reopened.list_hazards("insp-wang", &Default::default(), Timestamp::now()).unwrap();
    assert_eq!(h.len(), 1);
}

#[test]
fn a_wrong_key_or_no_key_is_a_clear_error_that_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let key = StoreKey::generate();
    let store = Store::create_encrypted(&dir, "tab-wang", &key).unwrap();
    fill(&store, tmp.path());
    drop(store);
    let before = files(&dir);

    let wrong = Store::open_encrypted(&dir, &StoreKey::generate()).err().unwrap();
    assert!(matches!(wrong, Error::WrongKey(_)), "{wrong}");
    assert!(wrong.to_string().contains("another key"), "{wrong}");
    assert_eq!(files(&dir), before, "a wrong key moved, deleted or changed something");

    let none = Store::open(&dir).err().unwrap();
    assert!(matches!(none, Error::KeyRequired(_)), "{none}");
    assert_eq!(files(&dir), before);

    // Without the key check file, the database alone cannot tell a wrong key
    // from damage: it is still never moved aside.
    let check = dir.join(paicha_store::encryption::KEY_CHECK_FILE);
    let check_bytes = std::fs::read(&check).unwrap();
    std::fs::remove_file(&check).unwrap();
    let e = Store::open_encrypted(&dir, &StoreKey::generate()).err().unwrap();
    assert!(matches!(e, Error::WrongKey(_)), "{e}");
    std::fs::write(&check, check_bytes).unwrap();
    assert_eq!(files(&dir), before);

    let store = Store::open_encrypted(&dir, &key).unwrap();
    assert_eq!(store.server_link().unwrap().unwrap().token, TOKEN);
}

#[test]
fn a_damaged_encrypted_database_is_moved_aside_under_the_right_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let key = StoreKey::generate();
    let store = Store::create_encrypted(&dir, "tab-wang", &key).unwrap();
    fill(&store, tmp.path());
    drop(store);
    let db = dir.join(paicha_store::DB_FILE);
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 3 * 4096);
    for b in &mut bytes[4096 + 100..4096 + 200] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let e = Store::open_encrypted(&dir, &key).err().unwrap();
    match e {
        Error::Corrupt { moved_to, .. } => assert_eq!(std::fs::read(moved_to).unwrap(), bytes),
        other => panic!("expected Corrupt, got {other}"),
    }
    assert!(!db.exists());
}

#[test]
fn a_plain_store_cannot_keep_a_token_and_a_key_does_not_open_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = Store::create(&dir, "tab-wang").unwrap();
    assert!(!store.encrypted());
    let e = store.set_server_link(&ServerLink { url: "https://x".into(), token: TOKEN.into() }, "insp-wang");
    assert!(matches!(e, Err(Error::NotEncrypted(..))), "{e:?}");
    // Refused before the one-time code is spent: no request is made.
    let e = paicha_store::client::enroll(&store, "http://127.0.0.1:9", "ABCD1234").err().unwrap();
    assert!(matches!(e, Error::NotEncrypted(..)), "{e}");
    assert!(e.to_string().contains("encrypted store"), "{e}");
    drop(store);
    let e = Store::open_encrypted(&dir, &StoreKey::generate()).err().unwrap();
    assert!(matches!(e, Error::NotEncrypted(..)), "{e}");
    assert!(Store::open(&dir).is_ok());
}

#[test]
fn an_altered_sealed_photo_is_reported_not_used() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = Store::create_encrypted(&dir, "tab-wang", &StoreKey::generate()).unwrap();
    let (_, sha) = fill(&store, tmp.path());
    let file = store.photo_path(&sha);
    let mut sealed = std::fs::read(&file).unwrap();
    let n = sealed.len() - 1;
    sealed[n] ^= 1;
    std::fs::write(&file, sealed).unwrap();
    let problems = store.verify_photos().unwrap();
    assert_eq!((problems.len(), problems[0].problem.as_str()), (1, "altered"));
    assert!(matches!(store.photo_bytes(&sha), Err(Error::Photo { .. })));
}

#[test]
fn an_old_unencrypted_store_is_encrypted_in_place_token_and_photos_included() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = Store::create(&dir, "tab-wang").unwrap();
    // An enrolled store from before encryption: the token in plain text.
    let (photo, sha) = report_with_photo(&store, tmp.path());
    drop(store);
    let conn = rusqlite::Connection::open(dir.join(paicha_store::DB_FILE)).unwrap();
    conn.execute("INSERT INTO meta(key, value) VALUES ('device_token', ?1), ('server_url', 'https://x')", [TOKEN])
        .unwrap();
    drop(conn);

    let key = StoreKey::generate();
    let store = Store::encrypt(&dir, &key).unwrap();
    assert!(store.encrypted());
    assert_eq!(store.server_link().unwrap().unwrap().token, TOKEN);
    assert_eq!(store.photo_bytes(&sha).unwrap(), photo);
    assert!(store.verify_photos().unwrap().is_empty());
    drop(store);
    for (path, bytes) in files(&dir) {
        let name = path.display().to_string();
        for secret in ["SQLite format 3", TOKEN, DESCRIPTION] {
            assert!(!contains(&bytes, secret.as_bytes()), "{name} reveals {secret}");
        }
        assert!(!contains(&bytes, &photo[100..164]), "{name} holds the photo");
        assert!(!name.contains(&sha), "{name}");
    }
    let again = Store::encrypt(&dir, &key).err().unwrap();
    assert!(again.to_string().contains("already encrypted"), "{again}");
    assert!(matches!(Store::open(&dir).err(), Some(Error::KeyRequired(_))));
    assert_eq!(Store::open_encrypted(&dir, &key).unwrap().server_link().unwrap().unwrap().token, TOKEN);
}
