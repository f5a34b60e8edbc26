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
    /// Repository-relative files the finding is about, when the source knows
    /// (the planner matches them against the project's `sensitive_paths`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// What a person must do before an agent can take the work up (a GSD
    /// handoff's blocking human action), when the source knows: the planner
    /// makes its task blocked with this as the reason
    /// ([`WAITING_FOR_A_PERSON`] first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
}

/// How the reason of a task blocked by its finding's [`Finding::blocked`]
/// begins: the planner unblocks such a task (and only such a task) once the
/// finding no longer says it is blocked.
pub const WAITING_FOR_A_PERSON: &str = "waiting for a person: ";

/// A stable fingerprint of `parts`: the same parts give the same 16 hex digits
/// on every machine, Rust version and run (FNV-1a, 64 bits; parts are
/// separated so `["ab", "c"]` and `["a", "bc"]` differ).
pub fn fingerprint(parts: &[&str]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash ^= 0x1f;
            hash = hash.wrapping_mul(PRIME);
        }
        for byte in part.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_are_stable_and_separate_parts() {
        // Pinned value: changing the function would re-key every board.
        assert_eq!(
            fingerprint(&["git", "uncommitted"]),
            fingerprint(&["git", "uncommitted"])
        );
        assert_eq!(fingerprint(&[""]), "cbf29ce484222325");
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["a"]).len(), 16);
    }
}
