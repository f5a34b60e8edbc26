//! The error when a secret is found nowhere: every place tried and why it
//! failed there, and which source goes without it. It holds names and reasons
//! only: never a value, never a provider's output.

use ops_core::{Error, ErrorKind};
use std::fmt;

/// One place a secret was looked for and why it was not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// `env GITHUB_TOKEN`, `doppler GITHUB_TOKEN`, `op`, `pass ops/github`.
    pub place: String,
    /// `unset`, `not installed`, `exited with status 1`, `timed out after 10s`...
    pub why: String,
}

/// A secret found nowhere it was looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSecret {
    /// The secret's name (`github_token`).
    pub secret: String,
    /// The source that is off without it (`GitHub`), when known.
    pub source: Option<String>,
    /// Every place tried, in order.
    pub tried: Vec<Attempt>,
    /// False when the settings know no such secret at all.
    pub known: bool,
}

impl fmt::Display for MissingSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(source) = &self.source {
            write!(f, "the {source} source is off: ")?;
        }
        write!(f, "no {}", self.secret)?;
        if !self.known {
            return write!(
                f,
                " (no such secret: add a [secrets.{}] table to the settings file)",
                self.secret
            );
        }
        if self.tried.is_empty() {
            return write!(
                f,
                " (nowhere to look: set env, doppler, op or pass under [secrets.{}] and list it in order)",
                self.secret
            );
        }
        let tried: Vec<String> = self
            .tried
            .iter()
            .map(|a| format!("{}: {}", a.place, a.why))
            .collect();
        write!(f, " (tried {})", tried.join(", "))
    }
}

impl std::error::Error for MissingSecret {}

impl From<MissingSecret> for Error {
    fn from(missing: MissingSecret) -> Self {
        Error::backend(
            "secrets",
            format!("find {}", missing.secret),
            ErrorKind::NotFound,
            missing.to_string(),
        )
    }
}
