//! Console sessions: random 256-bit ids in an HttpOnly cookie, stored only
//! as their SHA-256 (with the person, created, expiry and last-seen times)
//! in the server's storage, so sessions survive a restart and work across
//! server processes on one database.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::http::{header, HeaderMap};

/// The session cookie.
pub const COOKIE: &str = "paicha_session";
/// The sign-in form's double-submit cookie (see [`super::csrf`]).
pub const LOGIN_COOKIE: &str = "paicha_login";
/// A session ends this long after sign-in, whatever happens: 12 hours.
pub const LIFETIME_MS: i64 = 12 * 60 * 60 * 1000;
/// A session unused this long ends: 2 hours.
pub const IDLE_MS: i64 = 2 * 60 * 60 * 1000;
/// Last-seen is written at most this often per session (one write a minute,
/// not one per page).
pub const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A new random id: 32 bytes from the operating system, as 64 hex digits.
pub fn new_id() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a cookie value can be a session id this server made (64 lower-case
/// hex digits); anything else is not looked up.
pub fn well_formed(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The value of cookie `name` in the request (the first one, if repeated).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value: HttpOnly (no script reads it), SameSite=Lax (not
/// sent with cross-site POSTs), Path=/, Secure when the console is reached
/// over HTTPS; `max_age` seconds, or 0 to delete the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}", max_age.max(0));
    if secure {
        c.push_str("; Secure");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_256_random_bits_in_hex() {
        let a = new_id();
        let b = new_id();
        assert!(well_formed(&a) && well_formed(&b));
        assert_ne!(a, b);
        assert!(!well_formed("attacker-chosen"));
        assert!(!well_formed(&a.to_uppercase()));
        assert!(!well_formed(&a[..63]));
    }

    #[test]
    fn cookies_are_http_only_same_site_and_secure_behind_tls() {
        let plain = set_cookie(COOKIE, "abc", 3600, false);
        assert_eq!(plain, "paicha_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600");
        let tls = set_cookie(COOKIE, "abc", 3600, true);
        assert!(tls.ends_with("; Secure"), "{tls}");
        assert!(set_cookie(COOKIE, "", -5, false).contains("Max-Age=0"), "deleting");
    }

    #[test]
    fn the_cookie_header_is_read_by_name() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; paicha_session=xyz ; b=2".parse().unwrap());
        h.append(header::COOKIE, "paicha_login=q".parse().unwrap());
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, LOGIN_COOKIE).as_deref(), Some("q"));
        assert_eq!(cookie(&h, "paicha"), None);
        assert_eq!(cookie(&HeaderMap::new(), COOKIE), None);
    }
}
