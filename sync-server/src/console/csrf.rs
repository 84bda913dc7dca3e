//! CSRF tokens for the console's forms.
//!
//! Signed in, a form's token is the SHA-256 of a fixed label and the
//! session's random id: the server needs to store nothing more, the token
//! changes with every sign-in, and it cannot be computed without the
//! session id (which only the HttpOnly cookie holds). The sign-in form,
//! before any session exists, uses a double-submit cookie: a random value
//! in an HttpOnly cookie, and its hash in the form.
//!
//! Every POST handler checks the token before it reads or changes anything;
//! a missing or wrong token is a 403 page and nothing changes.

use sha2::{Digest, Sha256};

/// Name of the form field that carries the token.
pub const FIELD: &str = "csrf";

fn derive(label: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(label.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The token of the forms of the session whose (cookie) id is `session_id`.
pub fn session_token(session_id: &str) -> String {
    derive("paicha-console-csrf", session_id)
}

/// The token of the sign-in form for the pre-session cookie value `cookie`.
pub fn login_token(cookie: &str) -> String {
    derive("paicha-console-login-csrf", cookie)
}

/// Whether a submitted token is the expected one (compared in constant time;
/// a missing token never matches).
pub fn matches(expected: &str, submitted: Option<&str>) -> bool {
    let Some(submitted) = submitted else { return false };
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_belongs_to_its_session_and_form_kind() {
        let t = session_token("session-one");
        assert_eq!(t.len(), 64);
        assert_eq!(t, session_token("session-one"));
        assert_ne!(t, session_token("session-two"));
        assert_ne!(t, login_token("session-one"), "a sign-in token is no session token");
        assert!(!t.contains("session-one"));
    }

    #[test]
    fn only_the_exact_token_passes() {
        let t = session_token("s");
        assert!(matches(&t, Some(&t)));
        assert!(!matches(&t, None));
        assert!(!matches(&t, Some("")));
        assert!(!matches(&t, Some(&t[..63])));
        assert!(!matches(&t, Some(&t.to_uppercase())));
        assert!(!matches(&t, Some(&session_token("other"))));
        assert!(!matches("", Some("")), "an empty expected token matches nothing");
    }
}
