//! THE redactor: every secret value ops knows (from its environment and its
//! secret providers) and every token pattern of [`find_tokens`], removed from a
//! text. Clones share what they know, so a value learned after an agent
//! started (a token resolved for the shipper) is redacted from its output too.

use super::patterns::{find_tokens, is_secret_name};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

/// Values shorter than this are not learned: redacting `test` or `1` would
/// mangle ordinary text without protecting anything.
pub const MIN_SECRET_LEN: usize = 8;

/// What a known value is replaced with.
pub const REDACTED_VALUE: &str = "[redacted secret]";

/// Removes secrets from text; see the module docs. `Debug` shows only how many
/// values it knows.
#[derive(Clone, Default)]
pub struct Redactor {
    values: Arc<RwLock<Vec<String>>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} known values)", self.read().len())
    }
}

impl Redactor {
    /// A redactor that knows only the token patterns.
    pub fn new() -> Self {
        Redactor::default()
    }

    /// A redactor that knows the values of the secret-named variables
    /// ([`is_secret_name`]) of `vars`.
    pub fn from_vars<K: AsRef<str>, V: AsRef<str>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        let redactor = Redactor::new();
        for (k, v) in vars {
            if is_secret_name(k.as_ref()) {
                redactor.learn(v.as_ref());
            }
        }
        redactor
    }

    /// [`Redactor::from_vars`] over this process's environment.
    pub fn from_process_env() -> Self {
        Redactor::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Also redact `value` (trimmed; ignored when shorter than [`MIN_SECRET_LEN`]).
    pub fn learn(&self, value: &str) {
        let value = value.trim();
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        let mut values = self.values.write().unwrap_or_else(PoisonError::into_inner);
        if !values.iter().any(|v| v == value) {
            values.push(value.to_owned());
            // Longest first, so a value containing another goes whole.
            values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// Whether `text` holds a value this redactor knows (which one is not told).
    pub fn holds_known_value(&self, text: &str) -> bool {
        self.read().iter().any(|v| text.contains(v.as_str()))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<String>> {
        self.values.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// `text` with every known value replaced by [`REDACTED_VALUE`] and every
    /// token-shaped string by `[redacted <kind>]`.
    pub fn redact(&self, text: &str) -> String {
        let mut known = text.to_owned();
        for value in self.read().iter() {
            if known.contains(value.as_str()) {
                known = known.replace(value.as_str(), REDACTED_VALUE);
            }
        }
        redact_tokens(&known)
    }
}

/// `text` with every token-shaped string replaced by `[redacted <kind>]` (the
/// patterns only; [`Redactor::redact`] also removes known values).
pub fn redact_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in find_tokens(text) {
        if m.range.start < last {
            continue;
        }
        out.push_str(&text[last..m.range.start]);
        out.push_str("[redacted ");
        out.push_str(m.kind);
        out.push(']');
        last = m.range.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_token_patterns_are_both_removed() {
        let r = Redactor::from_vars([
            ("DEPLOY_SECRET", "canary-value-8c1f"),
            ("PATH", "/usr/bin:/bin"),
            ("SHORT_TOKEN", "abc"),
        ]);
        let text =
            "a canary-value-8c1f b ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 c /usr/bin:/bin abc";
        let red = r.redact(text);
        assert!(!red.contains("canary-value-8c1f"), "{red}");
        assert!(!red.contains("ghp_A1b2"), "{red}");
        assert!(red.contains("[redacted secret]"), "{red}");
        assert!(
            red.contains("[redacted GitHub personal access token]"),
            "{red}"
        );
        assert!(
            red.contains("/usr/bin:/bin") && red.ends_with(" abc"),
            "{red}"
        );
    }

    #[test]
    fn a_value_learned_later_is_redacted_by_every_clone() {
        let r = Redactor::new();
        let clone = r.clone();
        assert_eq!(clone.redact("x late-secret-42 y"), "x late-secret-42 y");
        r.learn("late-secret-42");
        assert_eq!(clone.redact("x late-secret-42 y"), "x [redacted secret] y");
        assert!(!format!("{r:?}").contains("late"), "{r:?}");
    }

    #[test]
    fn holds_known_value_tells_whether_a_learned_value_is_in_a_text() {
        let r = Redactor::new();
        assert!(!r.holds_known_value("x known-value-77 y"));
        r.clone().learn("known-value-77");
        assert!(r.holds_known_value("x known-value-77 y"));
        assert!(!r.holds_known_value("x known-value-7 y"));
    }

    /// One token of each family the issue names (GitHub, Anthropic, OpenAI,
    /// Slack, AWS, Sentry, Linear, npm, private-key blocks): each is removed and
    /// named by its kind, and the text around it stays.
    #[test]
    fn a_token_of_every_family_is_redacted_with_its_kind_named() {
        let body = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
        let key =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1b2c3\n-----END RSA PRIVATE KEY-----";
        let cases = [
            (format!("ghp_{body}"), "GitHub personal access token"),
            (format!("github_pat_{body}"), "GitHub fine-grained token"),
            (format!("sk-ant-api03-{body}"), "Anthropic API key"),
            (format!("sk-proj-{body}"), "API secret key"),
            ("xoxb-1234567890-abcdefghij".to_string(), "Slack bot token"),
            ("AKIAIOSFODNN7EXAMPLE".to_string(), "AWS access key id"),
            (format!("sntrys_{body}"), "Sentry organization auth token"),
            (format!("lin_api_{body}"), "Linear API key"),
            (format!("npm_{body}"), "npm access token"),
            (key.to_string(), "private key"),
        ];
        let r = Redactor::new();
        for (token, kind) in cases {
            let red = r.redact(&format!("before {token} after"));
            assert_eq!(red, format!("before [redacted {kind}] after"), "{token}");
        }
    }

    #[test]
    fn a_longer_value_containing_a_shorter_one_goes_whole() {
        let r = Redactor::new();
        r.learn("inner-secret");
        r.learn("outer-inner-secret-tail");
        assert_eq!(r.redact("<outer-inner-secret-tail>"), "<[redacted secret]>");
    }
}
