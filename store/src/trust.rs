//! Which certificate authorities a tablet trusts for HTTPS: the system's,
//! plus the district's own CA given at enrollment (government intranets run
//! their own).
//!
//! - On Linux, macOS and Windows the system's trust store is asked through
//!   the platform verifier.
//! - On Android that verifier needs a JVM context handed over at start-up;
//!   instead the library reads the system's CA folders itself, which every
//!   app may read (`/apex/com.android.conscrypt/cacerts` since Android 14,
//!   `/system/etc/security/cacerts` before), so an app needs no set-up call.
//!   Certificates a user added in the settings are not trusted, as for any
//!   app that does not opt in.

use crate::error::{Error, Result};
use std::path::PathBuf;

/// Android's system CA folders, the updatable one first.
pub const ANDROID_SYSTEM_CA_DIRS: &[&str] = &["/apex/com.android.conscrypt/cacerts", "/system/etc/security/cacerts"];

/// Where the system's trusted CAs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemRoots {
    /// The operating system's verifier (not on Android).
    Platform,
    /// The certificates in the first of these folders that exists, in
    /// Android's format (one PEM certificate per file, text after it).
    Folders(Vec<PathBuf>),
}

impl Default for SystemRoots {
    fn default() -> Self {
        if cfg!(target_os = "android") {
            SystemRoots::Folders(ANDROID_SYSTEM_CA_DIRS.iter().map(PathBuf::from).collect())
        } else {
            SystemRoots::Platform
        }
    }
}

/// The certificate authorities one HTTPS client trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// The system's.
    pub system: SystemRoots,
    /// The district's own CA (PEM), if one was given at enrollment.
    pub district_ca: Option<String>,
}

impl Trust {
    /// Sets `builder` to trust exactly these authorities.
    pub fn apply(&self, builder: reqwest::blocking::ClientBuilder) -> Result<reqwest::blocking::ClientBuilder> {
        let district = match &self.district_ca {
            Some(pem) => parse_ca(pem)?,
            None => vec![],
        };
        Ok(match &self.system {
            SystemRoots::Platform if district.is_empty() => builder,
            SystemRoots::Platform => builder.tls_certs_merge(district),
            SystemRoots::Folders(folders) => {
                let mut certs = certificates_in_first_folder(folders)?;
                certs.extend(district);
                builder.tls_certs_only(certs)
            }
        })
    }
}

/// The certificates of a PEM bundle; none, or unreadable, is an error.
pub(crate) fn parse_ca(pem: &str) -> Result<Vec<reqwest::Certificate>> {
    let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
        .map_err(|e| Error::invalid("ca certificate", format!("not a PEM certificate bundle: {e}")))?;
    if certs.is_empty() {
        return Err(Error::invalid(
            "ca certificate",
            "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certs)
}

/// The certificates in the first folder of `folders` that exists. A file
/// that holds no certificate is passed over (the folder is the system's,
/// not ours to judge); a folder without any certificate is an error, since
/// a client trusting nothing would fail every connection obscurely.
fn certificates_in_first_folder(folders: &[PathBuf]) -> Result<Vec<reqwest::Certificate>> {
    let Some(folder) = folders.iter().find(|f| f.is_dir()) else {
        return Err(Error::Network {
            detail: format!(
                "no system certificate folder found (looked in {}); trust the district's CA instead",
                folders.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
        });
    };
    let mut certs = vec![];
    let entries = std::fs::read_dir(folder).map_err(|e| Error::Io { path: folder.clone(), source: e })?;
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        if let Some(block) = pem_block(&text) {
            if let Ok(cert) = reqwest::Certificate::from_pem(block.as_bytes()) {
                certs.push(cert);
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::Network { detail: format!("no certificate could be read in {}", folder.display()) });
    }
    Ok(certs)
}

/// The first `-----BEGIN CERTIFICATE-----` block of an Android CA file
/// (the certificate, then its description as text).
fn pem_block(text: &str) -> Option<&str> {
    const END: &str = "-----END CERTIFICATE-----";
    let start = text.find("-----BEGIN CERTIFICATE-----")?;
    let end = text[start..].find(END)? + start + END.len();
    text.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_android_ca_file_is_its_pem_block_then_text() {
        let file = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\nCertificate:\n    Data: ...\n";
        assert_eq!(pem_block(file), Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"));
        assert_eq!(pem_block("no certificate"), None);
    }

    #[test]
    fn a_missing_or_empty_folder_is_an_error_naming_it() {
        let e = certificates_in_first_folder(&[PathBuf::from("/nowhere/cacerts")]).unwrap_err().to_string();
        assert!(e.contains("/nowhere/cacerts"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("readme"), "not a certificate").unwrap();
        let e = certificates_in_first_folder(&[dir.path().to_path_buf()]).unwrap_err().to_string();
        assert!(e.contains("no certificate"), "{e}");
    }

    #[test]
    fn the_default_is_the_platform_here_and_the_folders_on_android() {
        let d = SystemRoots::default();
        if cfg!(target_os = "android") {
            assert!(matches!(d, SystemRoots::Folders(_)));
        } else {
            assert_eq!(d, SystemRoots::Platform);
        }
    }
}
