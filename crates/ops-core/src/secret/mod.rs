//! A secret value (API token, key) that cannot be shown by accident: its
//! `Debug` and `Display` print `***`, it is not `Serialize`, and the value comes
//! out only through [`Secret::expose`], which the few call sites that send it
//! (an `Authorization` header, a git credential helper) use.
//!
//! The same module holds THE one list of what counts as a secret
//! ([`patterns`]: secret file names, secret variable names, token patterns),
//! what secrets look like encoded ([`find_encoded_tokens`]), and THE
//! [`Redactor`] that removes known values and token patterns from text, used by
//! the secrets gate (ops-ship) and wherever agent output enters ops (ops-dispatch).

mod encoded;
pub mod patterns;
mod redactor;

pub use encoded::{EncodedMatch, find_encoded_tokens};
pub use patterns::{TOKEN_PREFIXES, TokenMatch, find_tokens, is_secret_file, is_secret_name};
pub use redactor::{MIN_SECRET_LEN, REDACTED_VALUE, Redactor, redact_tokens};

use std::fmt;

/// A secret string. `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
    origin: String,
}

impl Secret {
    /// Wraps `value`; `origin` says where it came from (`env GITHUB_TOKEN`,
    /// `doppler`, `op`, `pass`) and may be shown.
    pub fn new(value: impl Into<String>, origin: impl Into<String>) -> Self {
        Secret {
            value: value.into(),
            origin: origin.into(),
        }
    }

    /// The value itself. Only for sending it where it belongs; never format it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Where the value came from; safe to show.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Replaces every occurrence of the value in `text` with `***` (for error
    /// bodies that might echo a request back).
    pub fn redact(&self, text: &str) -> String {
        if self.value.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.value, "***")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(*** from {})", self.origin)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_display_and_redact_never_show_the_value() {
        let s = Secret::new("tok-canary-1234", "env T");
        assert!(!format!("{s:?}").contains("canary"));
        assert!(!format!("{s}").contains("canary"));
        assert!(format!("{s:?}").contains("env T"));
        assert_eq!(s.redact("x tok-canary-1234 y"), "x *** y");
        assert_eq!(s.expose(), "tok-canary-1234");
    }
}
