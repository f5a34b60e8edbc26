//! The environment an agent gets: an allow-list, never the parent's whole environment.
//!
//! Only well-known harmless variables pass (PATH, HOME, LANG, ...), plus the
//! prefixes a runtime needs (`ANTHROPIC_` for Claude Code) and names the user
//! configures. Tokens ops itself holds (GITHUB_TOKEN, SENTRY_AUTH_TOKEN,
//! LINEAR_API_KEY, any other `*_TOKEN`, `*_KEY`, `*SECRET*`) are withheld unless
//! configured by their exact name.

use std::ffi::OsString;

/// Variables every agent gets when the parent has them.
pub const BASE_ALLOW: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "TMPDIR",
    "TZ",
    "COLORTERM",
    "NO_COLOR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_NOSYSTEM",
];

/// Prefixes every agent gets (locale and XDG directories).
pub const BASE_PREFIXES: &[&str] = &["LC_", "XDG_"];

/// Which variables of the parent's environment an agent receives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvPolicy {
    /// Extra names passed through as is (configured; may name a secret on purpose).
    pub allow: Vec<String>,
    /// Prefixes passed through (a runtime's own settings, e.g. `ANTHROPIC_`).
    /// A prefix never lets a secret-looking name pass unless it is the runtime's.
    pub prefixes: Vec<String>,
    /// Variables set for the agent whatever the parent has.
    pub set: Vec<(String, String)>,
}

impl EnvPolicy {
    /// The base policy plus the runtime's `prefixes`.
    pub fn with_prefixes(prefixes: &[&str]) -> Self {
        EnvPolicy {
            prefixes: prefixes.iter().map(|p| (*p).to_string()).collect(),
            ..EnvPolicy::default()
        }
    }

    /// Adds a configured variable name to pass through.
    pub fn allow(mut self, name: impl Into<String>) -> Self {
        self.allow.push(name.into());
        self
    }

    /// Sets `name` to `value` for the agent.
    pub fn set(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set.push((name.into(), value.into()));
        self
    }

    /// Whether `name` passes this policy.
    pub fn passes(&self, name: &str) -> bool {
        if BASE_ALLOW.contains(&name) || self.allow.iter().any(|a| a == name) {
            return true;
        }
        if BASE_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return !looks_secret(name);
        }
        // A runtime prefix is the runtime's own namespace (its API key included).
        self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    /// The agent's environment, from the parent's `vars`.
    pub fn apply(
        &self,
        vars: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Vec<(OsString, OsString)> {
        let mut out: Vec<(OsString, OsString)> = vars
            .into_iter()
            .filter(|(k, _)| k.to_str().is_some_and(|k| self.passes(k)))
            .filter(|(k, _)| !self.set.iter().any(|(s, _)| k.to_str() == Some(s.as_str())))
            .collect();
        out.extend(
            self.set
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        );
        out
    }

    /// The agent's environment from this process's environment.
    pub fn from_current(&self) -> Vec<(OsString, OsString)> {
        self.apply(std::env::vars_os())
    }
}

/// Whether a variable name looks like it holds a secret (THE list in ops-core).
pub use ops_core::secret::is_secret_name as looks_secret;

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    fn names(env: &[(OsString, OsString)]) -> Vec<String> {
        env.iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn tokens_are_withheld_and_basics_pass() {
        let policy = EnvPolicy::with_prefixes(&["ANTHROPIC_"]);
        let env = policy.apply(vars(&[
            ("PATH", "/bin"),
            ("HOME", "/h"),
            ("GITHUB_TOKEN", "ghp_x"),
            ("SENTRY_AUTH_TOKEN", "s"),
            ("LINEAR_API_KEY", "l"),
            ("AWS_SECRET_ACCESS_KEY", "a"),
            ("LC_ALL", "C"),
            ("ANTHROPIC_API_KEY", "k"),
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:1"),
            ("RANDOM_THING", "x"),
        ]));
        assert_eq!(
            names(&env),
            [
                "PATH",
                "HOME",
                "LC_ALL",
                "ANTHROPIC_API_KEY",
                "ANTHROPIC_BASE_URL"
            ]
        );
    }

    #[test]
    fn a_configured_name_passes_even_when_it_looks_secret() {
        let policy = EnvPolicy::default().allow("NPM_TOKEN");
        let env = policy.apply(vars(&[("NPM_TOKEN", "n"), ("GITHUB_TOKEN", "g")]));
        assert_eq!(names(&env), ["NPM_TOKEN"]);
    }

    #[test]
    fn set_values_replace_inherited_ones() {
        let policy = EnvPolicy::default().set("HOME", "/tmp/h");
        let env = policy.apply(vars(&[("HOME", "/root")]));
        assert_eq!(env, vars(&[("HOME", "/tmp/h")]));
    }
}
