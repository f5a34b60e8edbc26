use std::collections::BTreeMap;
use std::path::PathBuf;

/// The environment variables ops' configuration lookups read, captured once.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The variables ops reads, from this process.
    pub fn from_process() -> Self {
        const NAMES: &[&str] = &[
            "OPS_REGISTRY",
            "OPS_CONFIG",
            "OPS_STATE_DIR",
            "CLAUDE_PLUGIN_DATA_DIR",
            "CLAUDE_PLUGIN_ROOT",
            "XDG_CONFIG_HOME",
            "XDG_STATE_HOME",
            "HOME",
        ];
        Env {
            vars: NAMES
                .iter()
                .filter_map(|name| {
                    std::env::var(name)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .map(|v| ((*name).to_owned(), v))
                })
                .collect(),
        }
    }

    /// An environment made of exactly these variables (tests, embedding).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        }
    }

    /// A variable's value; empty values count as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable as a path.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.var(name).map(PathBuf::from)
    }

    /// The user's home directory.
    pub fn home(&self) -> Option<PathBuf> {
        self.path("HOME")
    }
}
