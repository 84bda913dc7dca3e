//! The one error type that crosses the FFI, designed for the app developer:
//! each variant says what the app can do about it, and its message is the
//! sentence to show.
//!
//! It crosses as a *flat* uniffi error: the foreign exception carries the
//! variant and this type's `Display` text as its message (Kotlin
//! `e.message`, Python `str(e)`, Swift `case .Forbidden(let message)`).
//! A uniffi error with fields would have its message generated as
//! `rule=..., reason=...` in Kotlin and Python, which no app wants to show.
//! What an app needs to act on is at a fixed place in the message: a
//! `Forbidden` message starts with the rule id of `docs/rules.md` and `": "`
//! (`R8: ...`), an `InvalidInput` message with the input's name and `": "`
//! (`until: ...`).

use paicha_pdf::PdfError;
use paicha_store::Error;

/// What went wrong, in a form an app can act on. The message is a sentence
/// for the user; it names rules, fields, ids and record kinds, never the
/// names or phone numbers of people.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum PaichaError {
    /// The record, person or template does not exist on this tablet (yet):
    /// sync, or check the id. Message: `not found: hidden danger 5f3c...`.
    #[error("not found: {what}")]
    NotFound {
        /// What was missing: its kind and id.
        what: String,
    },
    /// A rule of the domain forbids this for the signed-in user. Message:
    /// the rule id of `docs/rules.md`, `": "`, and why (`R8: only a
    /// supervisor of 玉山镇 may review`). Show it as it is.
    #[error("{rule}: {reason}")]
    Forbidden {
        /// The rule's id (`R8`, `§1`).
        rule: String,
        /// Why, in a sentence.
        reason: String,
    },
    /// An input is wrong. Message: the input's name (the parameter or
    /// record field, `until`, `answer`, `location`, `photo`...), `": "`, and
    /// why; mark that input in the form.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The input at fault.
        field: String,
        /// Why.
        reason: String,
    },
    /// The server could not be reached: keep working offline and retry later.
    #[error("network unavailable, your work is kept on this tablet: {reason}")]
    Network {
        /// Technical detail for logs.
        reason: String,
    },
    /// The server refused the request (revoked device, unknown token, other protocol version).
    #[error("the server refused the request ({status}): {reason}")]
    Server {
        /// HTTP status (0 when the answer could not be read).
        status: u16,
        /// The server's explanation.
        reason: String,
    },
    /// This tablet has not been enrolled with a server, or has no signed-in user.
    #[error("not enrolled: {reason}")]
    NotEnrolled {
        /// What is missing.
        reason: String,
    },
    /// The store is encrypted and the key given (or none) does not open it;
    /// nothing was changed. Ask the Keystore for the store's key again; a
    /// lost key cannot be recovered, only the synced records (enroll anew).
    #[error("store locked: {reason}")]
    Locked {
        /// Why.
        reason: String,
    },
    /// The operation was cancelled; what was stored so far is kept.
    #[error("cancelled; what was stored so far is kept")]
    Cancelled,
    /// A document could not be made into a PDF although its font was
    /// usable (a fault of the PDF writer): nothing was written; report it.
    /// A missing or unusable font is an `InvalidInput` on `font_path`.
    #[error("printing failed: {reason}")]
    Print {
        /// Technical detail for logs.
        reason: String,
    },
    /// The local database failed or is damaged (a damaged one is moved aside and kept).
    #[error("storage: {reason}")]
    Storage {
        /// Technical detail for logs.
        reason: String,
    },
}

impl From<Error> for PaichaError {
    fn from(e: Error) -> Self {
        match e {
            Error::Rule(r) => PaichaError::Forbidden { rule: r.rule.to_string(), reason: r.message },
            Error::NotFound { kind, id } => PaichaError::NotFound { what: format!("{kind} {id}") },
            Error::Invalid { field, reason } => PaichaError::InvalidInput { field, reason },
            Error::Photo { problem, .. } => PaichaError::InvalidInput { field: "photo".into(), reason: problem },
            Error::Network { detail } => PaichaError::Network { reason: detail },
            Error::Server { status, message } => PaichaError::Server { status, reason: message },
            Error::Protocol(m) => PaichaError::Server { status: 0, reason: m },
            Error::NotEnrolled => PaichaError::NotEnrolled { reason: "enroll this tablet with a server first".into() },
            Error::Cancelled => PaichaError::Cancelled,
            Error::NoStore(_) => PaichaError::NotFound { what: "store".into() },
            Error::KeyRequired(_) => {
                PaichaError::Locked { reason: "this store is encrypted: open it with its key".into() }
            }
            Error::WrongKey(_) => {
                PaichaError::Locked { reason: "the key given is not this store's key; nothing was changed".into() }
            }
            Error::NotEncrypted(_, why) => PaichaError::InvalidInput { field: "key".into(), reason: why.into() },
            // The font is the app's input (`font_path`); only a writer fault is a printing failure.
            Error::Print(
                p @ (PdfError::FontUnreadable { .. } | PdfError::NotAFont { .. } | PdfError::NoChinese { .. }),
            ) => PaichaError::InvalidInput { field: "font_path".into(), reason: p.to_string() },
            Error::Print(p @ PdfError::Write(_)) => PaichaError::Print { reason: p.to_string() },
            other => PaichaError::Storage { reason: other.to_string() },
        }
    }
}

/// The core's result type turned into the FFI's.
pub type FfiResult<T> = Result<T, PaichaError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The rule ids `docs/rules.md` defines: its `## R1 ...` and `## §1 ...` headings.
    fn documented_rules() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let rules = std::fs::read_to_string(root.join("docs/rules.md")).expect("docs/rules.md");
        rules
            .lines()
            .filter_map(|l| l.strip_prefix("## "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|id| id.starts_with('R') || id.starts_with('§'))
            .map(str::to_string)
            .collect()
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn every_rule_id_an_error_can_carry_is_a_rule_of_docs_rules_md() {
        let documented = documented_rules();
        assert!(documented.len() >= 18, "{documented:?}");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = vec![];
        for crate_dir in ["core/src", "store/src", "ffi/src"] {
            rust_files(&root.join(crate_dir), &mut files);
        }
        // Every string literal that follows a rule constructor.
        let mut seen = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).expect("source");
            for marker in ["RuleError::new(", "rule(", "rule: \""] {
                for (i, _) in text.match_indices(marker) {
                    let rest = text[i + marker.len()..].trim_start();
                    let rest = rest.strip_prefix('"').unwrap_or(if marker.ends_with('"') { rest } else { "" });
                    let Some(end) = rest.find('"') else { continue };
                    let id = &rest[..end];
                    let looks_like_rule = id.len() <= 4
                        && (id.starts_with('R') && id[1..].chars().all(|c| c.is_ascii_digit()) && id.len() > 1
                            || id.starts_with('§'));
                    if looks_like_rule {
                        seen += 1;
                        assert!(
                            documented.iter().any(|d| d == id),
                            "{}: rule {id} is not in docs/rules.md",
                            f.display()
                        );
                    }
                }
            }
        }
        assert!(seen > 30, "found only {seen} rule ids in the sources");
    }

    #[test]
    fn messages_are_sentences_not_field_lists() {
        let e =
            PaichaError::from(Error::Rule(paicha_core::error::RuleError::new("R8", "only a supervisor may review")));
        assert_eq!(e.to_string(), "R8: only a supervisor may review");
        let e = PaichaError::from(Error::invalid("until", "'next week' is not a date"));
        assert_eq!(e.to_string(), "until: 'next week' is not a date");
        let e = PaichaError::from(Error::not_found("hidden danger", "h1"));
        assert_eq!(e.to_string(), "not found: hidden danger h1");
    }

    #[test]
    fn a_font_problem_is_the_font_path_input_and_a_writer_fault_is_a_printing_failure() {
        let e = PaichaError::from(Error::Print(PdfError::NoChinese { path: "/x/DejaVuSans.ttf".into() }));
        assert!(matches!(e, PaichaError::InvalidInput { .. }), "{e:?}");
        assert!(e.to_string().starts_with("font_path: the font /x/DejaVuSans.ttf has no Chinese glyphs"), "{e}");
        let e = PaichaError::from(Error::Print(PdfError::FontUnreadable {
            path: "/missing.ttc".into(),
            detail: "No such file or directory".into(),
        }));
        assert!(e.to_string().starts_with("font_path: the font file /missing.ttc could not be read"), "{e}");
        let e = PaichaError::from(Error::Print(PdfError::Write("page size".into())));
        assert!(matches!(e, PaichaError::Print { .. }), "{e:?}");
        assert_eq!(e.to_string(), "printing failed: the PDF could not be written: page size");
    }
}
