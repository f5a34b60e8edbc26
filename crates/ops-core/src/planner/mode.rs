//! Hybrid mode: which tasks run as a team (steerable) and which as fire-and-forget subagents.
//!
//! Team when the task is sensitive (auth, payments, personal data, secrets: by
//! keyword ([`SECURITY_KEYWORDS`]) in its title or detail, or a file matching the project's
//! `sensitive_paths` globs) or depends on work in flight; subagent otherwise
//! (one repository, isolated). Every task is one repository, so the DESIGN
//! rule "2+ repositories → team" applies to the dependency edges between them.

use crate::model::{Finding, Mode, Project, SECURITY_KEYWORDS};
use globset::{Glob, GlobSetBuilder};

/// Whether `finding` is sensitive for `project`; the reason when it is.
pub fn sensitivity(finding: &Finding, project: Option<&Project>) -> Option<String> {
    let text = format!("{} {}", finding.title, finding.detail).to_lowercase();
    if let Some(word) = text
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .find(|w| SECURITY_KEYWORDS.contains(w))
    {
        return Some(format!("mentions {word:?}"));
    }
    let globs = project
        .map(|p| p.sensitive_paths.as_slice())
        .unwrap_or_default();
    if globs.is_empty() || finding.paths.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        // A malformed glob was reported when the registry was checked; skip it here.
        if let Ok(glob) = Glob::new(g) {
            builder.add(glob);
        }
    }
    let set = builder.build().ok()?;
    finding
        .paths
        .iter()
        .find(|p| set.is_match(p))
        .map(|p| format!("touches {p}, a sensitive path"))
}

/// The hybrid rule.
pub fn hybrid_mode(sensitive: bool, depends_on_in_flight: bool) -> Mode {
    if sensitive || depends_on_in_flight {
        Mode::Team
    } else {
        Mode::Subagent
    }
}
