//! A finding: something an audit source saw that may need work.

use super::Priority;
use serde::{Deserialize, Serialize};

/// One thing a source found. The planner turns findings into tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The source that found it (`git`, `gsd`, `github`, ...).
    pub source: String,
    /// What kind of thing it is (`uncommitted`, `failing_checks`, ...).
    pub kind: String,
    /// The project's alias.
    pub project: String,
    /// The repository it is about.
    pub repo: String,
    /// One line.
    pub title: String,
    /// Everything the source knows about it.
    pub detail: String,
    /// How urgent the source thinks it is.
    pub priority: Priority,
    /// Stable identity: the same problem gives the same fingerprint on every audit.
    pub fingerprint: String,
}
