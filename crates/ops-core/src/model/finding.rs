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
    /// It must not contain what changes while the problem stays the same (counts,
    /// timestamps); those belong in `detail`.
    pub fingerprint: String,
    /// Fingerprints of findings whose work must land before this one's: only
    /// relations a source states (GSD phase N after N-1, a tracker's "blocks",
    /// an edge in the todos file). The planner turns them into task dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}
