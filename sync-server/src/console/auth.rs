//! Console passwords and sign-in lockout.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB,
//! 2 passes, 1 lane, the OWASP minimum) into a PHC string with its own
//! random salt; only that string is stored. Failed sign-ins are counted per
//! login name typed, whether or not such an account exists: after
//! [`FREE_FAILURES`] failures in a row the name waits 1, 2, 4… minutes (at
//! most [`MAX_LOCK_MINUTES`]) after each further failure, and nobody can
//! tell a locked existing account from a locked made-up one.

use crate::storage::{LoginFailures, Storage, StorageError};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use paicha_core::time::Timestamp;

/// Shortest password accepted, in characters (NIST SP 800-63B asks for at
/// least 8; district staff share machines, so a little more).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in bytes (a bound on hashing work per request).
pub const MAX_PASSWORD_BYTES: usize = 256;
/// Failures in a row before a login name has to wait.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait after a failure, in minutes.
pub const MAX_LOCK_MINUTES: i64 = 60;
/// Failures older than this (no failure since) are forgotten: a day.
pub const FORGET_FAILURES_AFTER_MS: i64 = 24 * 60 * 60 * 1000;
/// Longest login name looked at; longer ones are cut (they never match an id).
pub const MAX_LOGIN_CHARS: usize = 64;

/// Why a password could not be set or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Too short (a clear rule to show the operator).
    #[error("the password is too short: at least {MIN_PASSWORD_CHARS} characters are needed, this one has {0}")]
    TooShort(usize),
    /// Too long.
    #[error("the password is too long: at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    /// No such person in the registry.
    #[error("person '{0}' is not in the registry; add them first (paicha-server user add)")]
    UnknownPerson(String),
    /// The hash could not be computed or the stored one read.
    #[error("password hash: {0}")]
    Hash(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Checks the password rules (length), with a message saying which.
pub fn check_password_rules(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort(chars));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Hashes a password with argon2id and a fresh random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string. A stored string that
/// does not parse is an error, never a match.
pub fn verify_password(password: &str, phc: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|e| PasswordError::Hash(format!("stored hash unreadable: {e}")))?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(PasswordError::Hash(e.to_string())),
    }
}

/// A hash of a random password, verified against when the account does not
/// exist or has no password, so that both take as long as a wrong password.
pub fn decoy_hash() -> Result<&'static str, PasswordError> {
    static DECOY: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    DECOY
        .get_or_init(|| {
            let random = SaltString::generate(&mut OsRng);
            hash_password(random.as_str()).map_err(|e| e.to_string())
        })
        .as_deref()
        .map_err(|e| PasswordError::Hash(e.clone()))
}

/// Sets the console password of a person of the registry (ending their
/// sessions): the `paicha-server user passwd` command.
pub fn set_password(
    storage: &dyn Storage,
    person_id: &str,
    password: &str,
    now: Timestamp,
) -> Result<(), PasswordError> {
    check_password_rules(password)?;
    if storage.person(person_id)?.is_none() {
        return Err(PasswordError::UnknownPerson(person_id.to_string()));
    }
    let phc = hash_password(password)?;
    storage.set_console_password(person_id, &phc, now)?;
    Ok(())
}

/// The login name as counted for lockout: trimmed, at most [`MAX_LOGIN_CHARS`].
pub fn login_key(login: &str) -> String {
    login.trim().chars().take(MAX_LOGIN_CHARS).collect()
}

/// How long a login name must still wait after `failures`, at `now`, in
/// milliseconds (None: it may try). The wait after the n-th failure in a
/// row (n ≥ [`FREE_FAILURES`]) is 2^(n − FREE_FAILURES) minutes, at most
/// [`MAX_LOCK_MINUTES`], counted from that failure.
pub fn locked_for(failures: Option<LoginFailures>, now: Timestamp) -> Option<i64> {
    let f = failures?;
    let minutes = lock_minutes(f.count)?;
    let until = f.last_at.0.saturating_add(minutes * 60_000);
    (until > now.0).then(|| until - now.0)
}

/// The wait after the `count`-th failure in a row, in minutes (None: no wait).
pub fn lock_minutes(count: u32) -> Option<i64> {
    let over = count.checked_sub(FREE_FAILURES)?;
    // 2^6 = 64 > MAX_LOCK_MINUTES already: no overflow past that.
    Some(if over >= 6 { MAX_LOCK_MINUTES } else { (1i64 << over).min(MAX_LOCK_MINUTES) })
}

/// Whole minutes to tell the person (a wait of 61 s is "2 minutes").
pub fn minutes_to_wait(ms: i64) -> i64 {
    (ms.max(0) + 59_999) / 60_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_a_salt_and_verify() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(!a.contains("correct horse"));
        assert!(verify_password("correct horse battery", &a).unwrap());
        assert!(!verify_password("correct horse batterY", &a).unwrap());
        assert!(verify_password("x", "not a phc string").is_err(), "an unreadable hash is an error, not a match");
        assert!(!verify_password("anything at all", decoy_hash().unwrap()).unwrap());
    }

    #[test]
    fn password_rules_say_what_is_wrong() {
        let short = check_password_rules("密码太短了").unwrap_err().to_string();
        assert!(short.contains("at least 10 characters") && short.contains("has 5"), "{short}");
        assert!(check_password_rules("十个汉字的密码也可以的").is_ok(), "characters, not bytes");
        assert!(matches!(check_password_rules(&"x".repeat(300)), Err(PasswordError::TooLong)));
    }

    #[test]
    fn lockout_waits_1_2_4_minutes_after_five_failures_up_to_an_hour() {
        assert_eq!((1..=4).map(lock_minutes).collect::<Vec<_>>(), [None, None, None, None]);
        assert_eq!((5..=12).map(lock_minutes).collect::<Vec<_>>(), [1, 2, 4, 8, 16, 32, 60, 60].map(Some));
        assert_eq!(lock_minutes(u32::MAX), Some(60));
        let at = Timestamp(1_000_000);
        let f = |count| Some(LoginFailures { count, last_at: at });
        assert_eq!(locked_for(None, at), None);
        assert_eq!(locked_for(f(4), at), None);
        assert_eq!(locked_for(f(5), at), Some(60_000));
        assert_eq!(locked_for(f(5), at.plus_millis(59_999)), Some(1));
        assert_eq!(locked_for(f(5), at.plus_millis(60_000)), None);
        assert_eq!(locked_for(f(7), at.plus_millis(60_000)), Some(180_000));
        assert_eq!(minutes_to_wait(1), 1);
        assert_eq!(minutes_to_wait(60_000), 1);
        assert_eq!(minutes_to_wait(61_000), 2);
    }

    #[test]
    fn login_names_are_trimmed_and_bounded() {
        assert_eq!(login_key("  sup-chen \n"), "sup-chen");
        assert_eq!(login_key(&"长".repeat(100)).chars().count(), MAX_LOGIN_CHARS);
    }
}
