//! What an operator does with devices, shared by the command line
//! (`paicha-server device add|revoke`) and the web console's devices page,
//! so both issue codes and revoke the same way.

use crate::app::hash_secret;
use crate::storage::{Storage, StorageError};
use paicha_core::time::Timestamp;

/// Why a device operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The device id is empty or unusable.
    #[error("device id '{0}' is not usable: 1 to 128 characters, no spaces or control characters")]
    BadDeviceId(String),
    /// The user is not in the registry.
    #[error("user '{0}' not found; add it first (paicha-server user add)")]
    UnknownUser(String),
    /// The device was never registered, or is revoked already.
    #[error("device '{0}' not found or already revoked")]
    NotRevocable(String),
    /// Storage failed, or refused (a device already enrolled is a conflict).
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Whether a device id is one an operator may give: ids appear in logs, in
/// the console and in command lines, so none is empty, huge or holds spaces
/// or control characters.
pub fn valid_device_id(id: &str) -> bool {
    (1..=128).contains(&id.chars().count()) && !id.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Registers `device` for `user` and answers its one-time enrollment code
/// (12 characters from a random UUID; stored only as its SHA-256). Issuing a
/// code again before enrollment replaces the old one; a device already
/// enrolled or revoked is a [`StorageError::Conflict`].
pub fn issue_enrollment_code(
    storage: &dyn Storage,
    device: &str,
    user: &str,
    now: Timestamp,
) -> Result<String, DeviceError> {
    if !valid_device_id(device) {
        return Err(DeviceError::BadDeviceId(device.to_string()));
    }
    if storage.person(user)?.is_none() {
        return Err(DeviceError::UnknownUser(user.to_string()));
    }
    let code = uuid::Uuid::new_v4().simple().to_string()[..12].to_uppercase();
    storage.add_device(device, user, &hash_secret(&code), now)?;
    Ok(code)
}

/// Revokes `device`: its later uploads are refused and kept in quarantine.
pub fn revoke_device(storage: &dyn Storage, device: &str, now: Timestamp) -> Result<(), DeviceError> {
    if storage.revoke(device, now)? {
        Ok(())
    } else {
        Err(DeviceError::NotRevocable(device.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SqliteStorage;

    #[test]
    fn codes_are_issued_for_people_of_the_registry_and_devices_revoked_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        for p in paicha_core::demo::people() {
            s.put_person(&p).unwrap();
        }
        let now = Timestamp(1_795_000_000_000);
        assert!(matches!(issue_enrollment_code(&s, "tab-1", "nobody", now), Err(DeviceError::UnknownUser(_))));
        assert!(matches!(issue_enrollment_code(&s, "bad id", "insp-wang", now), Err(DeviceError::BadDeviceId(_))));
        let code = issue_enrollment_code(&s, "tab-1", "insp-wang", now).unwrap();
        assert_eq!(code.len(), 12);
        assert!(code.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()), "{code}");
        assert!(matches!(revoke_device(&s, "tab-9", now), Err(DeviceError::NotRevocable(_))));
        revoke_device(&s, "tab-1", now).unwrap();
        assert!(matches!(revoke_device(&s, "tab-1", now), Err(DeviceError::NotRevocable(_))));
        // A revoked device id is not handed out again.
        assert!(matches!(
            issue_enrollment_code(&s, "tab-1", "insp-wang", now),
            Err(DeviceError::Storage(StorageError::Conflict(_)))
        ));
    }
}
