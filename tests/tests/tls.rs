//! HTTPS with a district's own certificate authority: the server serves a
//! certificate signed by a test CA (made here with rcgen); a tablet that
//! trusts that CA enrolls and syncs, one that does not is refused with an
//! error naming the certificate problem, and a file that is not a CA
//! certificate is a clear error that changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use paicha_scenarios::{t, Server};
use paicha_store::client::{self, SyncOptions};
use paicha_store::{Error, NewHazard, Store, StoreKey};
use std::sync::atomic::AtomicBool;

#[test]
fn a_tablet_that_trusts_the_district_ca_syncs_over_https_and_one_that_does_not_is_refused() {
    let paicha_scenarios::tls::DistrictCa { ca_pem: ca, cert_pem: cert, key_pem: key } =
        paicha_scenarios::tls::district_ca().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();
    let server = Server::start_with(&[
        ("PAICHA_SERVER_TLS_CERT", cert_path.to_str().unwrap()),
        ("PAICHA_SERVER_TLS_KEY", key_path.to_str().unwrap()),
    ]);
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);

    // Without the district's CA the system trust store refuses the certificate.
    let stranger =
        Store::create_encrypted(&dir.path().join("stranger"), "tab-stranger", &StoreKey::generate()).unwrap();
    let code = server.device("tab-stranger", "insp-li");
    match client::enroll(&stranger, &server.url, &code) {
        Err(Error::Network { detail }) => assert!(detail.to_lowercase().contains("certificate"), "{detail}"),
        other => panic!("enrolled without trusting the CA: {other:?}"),
    }

    // A file that is not a certificate is refused and nothing is kept.
    let wang = Store::create_encrypted(&dir.path().join("wang"), "tab-wang", &StoreKey::generate()).unwrap();
    let bad = wang.trust_certificate_authority("not a certificate");
    assert!(matches!(bad, Err(Error::Invalid { ref field, .. }) if field == "ca certificate"), "{bad:?}");
    assert_eq!(wang.trusted_ca().unwrap(), None);

    // Trusting the CA: enroll, record, sync, all over HTTPS.
    wang.trust_certificate_authority(&ca).unwrap();
    let code = server.device("tab-wang", "insp-wang");
    let user = client::enroll(&wang, &server.url, &code).unwrap();
    assert_eq!(user.id, "insp-wang");
    let new = NewHazard {
        enterprise: paicha_core::demo::credit_code(1),
        description: Some("配电箱未接地".into()),
        co_inspectors: vec!["insp-li".into()],
        ..NewHazard::default()
    };
    let h = wang.report_hazard("insp-wang", new, t("2026-05-01T09:00+08:00")).unwrap();
    let report = client::sync(&wang, &SyncOptions::default(), &|_| {}, &AtomicBool::new(false)).unwrap();
    assert!(report.refused.is_empty());
    assert!(report.progress.docs_up >= 1);
    // The server holds it: a second tablet trusting the CA receives it.
    let chen = Store::create_encrypted(&dir.path().join("chen"), "tab-chen", &StoreKey::generate()).unwrap();
    chen.trust_certificate_authority(&ca).unwrap();
    client::enroll(&chen, &server.url, &server.device("tab-chen", "sup-chen")).unwrap();
    client::sync(&chen, &SyncOptions::default(), &|_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(chen.hazard("sup-chen", &h.id).unwrap().description, "配电箱未接地");
}

/// Android's way to trust the system's CAs (the library reads the CA folder,
/// one PEM certificate per hash-named file with its description after it)
/// tried here against the real server: a folder holding the district's CA
/// reaches it, one holding only other authorities does not.
#[test]
fn android_system_ca_folders_are_trusted_as_they_are_laid_out_on_a_device() {
    use paicha_store::trust::{SystemRoots, Trust};
    use std::time::Duration;
    let district = paicha_scenarios::tls::district_ca().unwrap();
    let other = paicha_scenarios::tls::district_ca().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::write(&cert_path, &district.cert_pem).unwrap();
    std::fs::write(&key_path, &district.key_pem).unwrap();
    let server = Server::start_with(&[
        ("PAICHA_SERVER_TLS_CERT", cert_path.to_str().unwrap()),
        ("PAICHA_SERVER_TLS_KEY", key_path.to_str().unwrap()),
    ]);
    let folder = |name: &str, cas: &[&str]| {
        let f = dir.path().join(name);
        std::fs::create_dir_all(&f).unwrap();
        for (i, pem) in cas.iter().enumerate() {
            std::fs::write(
                f.join(format!("5ed36f99.{i}")),
                format!("{pem}Certificate:\n    Data:\n        Version: 3 (0x2)\n"),
            )
            .unwrap();
        }
        f
    };
    let with_district = folder("cacerts", &[&other.ca_pem, &district.ca_pem]);
    let without = folder("cacerts-other", &[&other.ca_pem]);
    let health = |folders: Vec<std::path::PathBuf>| {
        let trust = Trust { system: SystemRoots::Folders(folders), district_ca: None };
        let client = client::https_client(&trust, Duration::from_secs(10)).unwrap();
        client.get(format!("{}/health/live", server.url)).send()
    };
    // The updatable folder is missing on older devices: the next one is used.
    let r = health(vec![dir.path().join("apex-missing"), with_district]).expect("trusted through the CA folder");
    assert!(r.status().is_success(), "{}", r.status());
    let e = health(vec![without]).expect_err("a server signed by a CA that is not in the folder");
    assert!(format!("{e:?}").to_lowercase().contains("certificate"), "{e:?}");
    // The district's CA given at enrollment is trusted besides the folder.
    let trust = Trust {
        system: SystemRoots::Folders(vec![dir.path().join("cacerts-other")]),
        district_ca: Some(district.ca_pem.clone()),
    };
    let client = client::https_client(&trust, Duration::from_secs(10)).unwrap();
    assert!(client.get(format!("{}/health/live", server.url)).send().unwrap().status().is_success());
    // No folder at all: an error naming where it looked, not a client that trusts nothing.
    let trust = Trust { system: SystemRoots::Folders(vec![dir.path().join("nowhere")]), district_ca: None };
    let e = client::https_client(&trust, Duration::from_secs(10)).unwrap_err().to_string();
    assert!(e.contains("nowhere"), "{e}");
}
