//! The store key on a computer: a key file outside the store, as an app
//! keeps its key in the Android Keystore. A copied store directory is
//! unreadable without it.
//!
//! `--key-file` or `PAICHA_KEY_FILE`; by default
//! `$XDG_CONFIG_HOME/paicha/store.key` (or `~/.config/paicha/store.key`),
//! created with mode 0600 by the first `paicha init`.

use crate::commands::CliError;
use paicha_store::StoreKey;
use std::path::{Path, PathBuf};

/// Where the key file is: the one given, or the default in the user's
/// configuration directory.
pub fn key_path(given: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let config = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => return Err(CliError::Usage(
                "no place for the store key: set HOME, or give --key-file (PAICHA_KEY_FILE), or use init --unencrypted"
                    .into(),
            )),
        },
    };
    Ok(config.join("paicha").join("store.key"))
}

/// Reads the key in `path`.
pub fn read(path: &Path) -> Result<StoreKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::Usage(format!(
            "key file {}: {e}; an encrypted store opens only with the key it was created with (--key-file, PAICHA_KEY_FILE)",
            path.display()
        ))
    })?;
    StoreKey::from_hex(&text).map_err(|e| CliError::Usage(format!("key file {}: {e}", path.display())))
}

/// The key in `path`, made first if there is none. Two commands making it
/// at once agree on one key: the file appears whole, once, or not at all.
pub fn read_or_create(path: &Path) -> Result<(StoreKey, bool), CliError> {
    if path.exists() {
        return Ok((read(path)?, false));
    }
    let io = |e: std::io::Error| CliError::Usage(format!("key file {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let key = StoreKey::generate();
    let tmp = path.with_extension(format!("new-{}", std::process::id()));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp).map_err(io)?;
        f.write_all(format!("{}\n", key.to_hex()).as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    // A hard link never replaces an existing file: whoever links first wins.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok((key, true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((read(path)?, false)),
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conf/paicha/store.key");
        let (k1, made) = read_or_create(&path).unwrap();
        assert!(made);
        let (k2, made) = read_or_create(&path).unwrap();
        assert!(!made);
        assert_eq!(k1.to_hex(), k2.to_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let e = read(&path).err().unwrap().to_string();
        assert!(e.contains("store.key") && e.contains("hex"), "{e}");
    }
}
