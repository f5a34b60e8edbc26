//! The local git source: what is uncommitted, unpushed or detached in each of a
//! project's checkouts, read with gix (no git process).
//!
//! [`git_facts`] gives what `git status --porcelain` (one path per line,
//! untracked files included and untracked directories collapsed, whatever
//! `status.showUntrackedFiles` says) and `git rev-list --count BASE..HEAD`
//! would, where BASE is `origin/<dev_branch>`, else the branch's upstream,
//! else `origin/HEAD`, and `git rev-list --count --branches --not --remotes`
//! (commits on no remote branch, with the branches holding them). Tests hold
//! it to git itself on real repositories.
//!
//! `unpushed_anywhere` says what would be lost if the checkout vanished; it is
//! reported unless the `unpushed` line already says it all (the current
//! branch's own commits, counted against its base).
//!
//! Findings (fingerprints never contain counts, so a growing change set stays the
//! same finding):
//!
//! | kind            | priority | fingerprint parts                         |
//! |-----------------|----------|-------------------------------------------|
//! | `uncommitted`   | P2       | `git, uncommitted, alias, checkout`       |
//! | `unpushed`      | P2       | `git, unpushed, alias, checkout, branch`  |
//! | `unpushed_anywhere` | P2   | `git, unpushed_anywhere, alias, checkout` |
//! | `detached_head` | P3       | `git, detached_head, alias, checkout`     |
//! | `checkout_unreadable` | P2 | `git, checkout_unreadable, alias, checkout` |
//!
//! An `uncommitted` finding's `paths` are the changed paths, for the planner's
//! sensitive-path rule. ops' own files (an uncommitted `.ops/todos.md`) are no
//! changes of the project's: alone they make no finding, and they are not counted.

mod facts;

pub use facts::{GitFacts, git_facts, origin_url};

use crate::checkouts::audit_checkouts;
use async_trait::async_trait;
use facts::short;
use ops_core::model::{Finding, Priority, Project, fingerprint};
use ops_core::{ErrorKind, IssueSource, Result};
use std::fmt::Write as _;
use std::path::Path;

/// How many changed paths a finding's detail lists before it says "and N more".
const LISTED_CHANGES: usize = 20;

/// Audits every checkout in [`Project::paths`] with [`git_facts`], each on a
/// blocking thread. A checkout whose `.git` cannot be read is a P2
/// `checkout_unreadable` finding; a directory with no `.git` gives nothing; a
/// missing path fails the project's audit with an error naming it (the audit
/// itself reports missing checkouts as findings before any source runs).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalGitSource;

impl LocalGitSource {
    /// The source.
    pub fn new() -> Self {
        LocalGitSource
    }
}

#[async_trait]
impl IssueSource for LocalGitSource {
    fn name(&self) -> &str {
        "git"
    }

    async fn audit(&self, project: &Project) -> Result<Vec<Finding>> {
        let alias = project.alias.clone();
        let dev = project.dev_branch.clone();
        audit_checkouts("git", project, move |path| {
            match git_facts(path, dev.as_deref()) {
                Ok(facts) => Ok(findings_of(&alias, &facts)),
                // A directory that is no repository at all (claude-ops' synced
                // registry lists `.planning/` folders with `has_git: false`):
                // git has nothing to say about it.
                Err(_) if path.exists() && !path.join(".git").exists() => Ok(Vec::new()),
                Err(e) if e.kind() == ErrorKind::Invalid => Ok(vec![unreadable(&alias, path, &e)]),
                Err(e) => Err(e),
            }
        })
        .await
    }
}

/// The findings the facts of one checkout give for project `alias` (ops' own
/// files left out of its changes).
pub fn findings_of(alias: &str, facts: &GitFacts) -> Vec<Finding> {
    let facts = &GitFacts {
        changes: facts
            .changes
            .iter()
            .filter(|p| !crate::todos::is_ops_file(p))
            .cloned()
            .collect(),
        ..facts.clone()
    };
    let repo = facts.path.display().to_string();
    let label = facts.branch_label();
    let summary = describe(facts);
    let finding = |kind: &str, print: &[&str], title: String, detail: String, priority| Finding {
        source: "git".to_owned(),
        kind: kind.to_owned(),
        project: alias.to_owned(),
        repo: repo.clone(),
        title,
        detail,
        priority,
        fingerprint: fingerprint(print),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    };
    let mut out = Vec::new();
    if facts.dirty() > 0 {
        let mut detail = summary.clone();
        detail.push_str("changed paths (git status --porcelain):\n");
        for path in facts.changes.iter().take(LISTED_CHANGES) {
            let _ = writeln!(detail, "  {path}");
        }
        if facts.dirty() > LISTED_CHANGES {
            let _ = writeln!(detail, "  … and {} more", facts.dirty() - LISTED_CHANGES);
        }
        out.push(finding(
            "uncommitted",
            &["git", "uncommitted", alias, &repo],
            format!(
                "{} uncommitted {} on {label}",
                facts.dirty(),
                plural(facts.dirty(), "change", "changes")
            ),
            detail,
            Priority::P2,
        ));
        // The planner matches these against the project's sensitive paths.
        if let Some(f) = out.last_mut() {
            f.paths = facts.changes.clone();
        }
    }
    if let (Some(ahead @ 1..), Some(base)) = (facts.ahead, &facts.base) {
        let branch = facts.branch.as_deref().unwrap_or("HEAD");
        out.push(finding(
            "unpushed",
            &["git", "unpushed", alias, &repo, branch],
            format!(
                "{ahead} {} on {label} not on {base}",
                plural(ahead, "commit", "commits")
            ),
            summary.clone(),
            Priority::P2,
        ));
    }
    // What would be lost with the checkout, beyond what the line above says.
    let beyond_ahead = facts.ahead.unwrap_or(0) == 0
        || facts
            .unpushed_branches
            .iter()
            .any(|b| Some(b) != facts.branch.as_ref());
    if facts.unpushed_anywhere > 0 && beyond_ahead {
        let n = facts.unpushed_anywhere;
        let on = if facts.unpushed_branches.is_empty() {
            label.clone()
        } else {
            facts.unpushed_branches.join(", ")
        };
        out.push(finding(
            "unpushed_anywhere",
            &["git", "unpushed_anywhere", alias, &repo],
            format!(
                "{n} {} on no remote branch ({on})",
                plural(n, "commit", "commits")
            ),
            summary.clone(),
            Priority::P2,
        ));
    }
    if facts.detached {
        out.push(finding(
            "detached_head",
            &["git", "detached_head", alias, &repo],
            format!("{label} in {}", file_name(&facts.path)),
            summary,
            Priority::P3,
        ));
    }
    out
}

/// A checkout whose `.git` cannot be read: a finding of its project, not a
/// failure of the audit.
fn unreadable(alias: &str, path: &Path, err: &ops_core::Error) -> Finding {
    let repo = path.display().to_string();
    Finding {
        source: "git".to_owned(),
        kind: "checkout_unreadable".to_owned(),
        project: alias.to_owned(),
        repo: repo.clone(),
        title: format!("checkout unreadable at {repo}"),
        detail: format!("git cannot read this checkout: {err}"),
        priority: Priority::P2,
        fingerprint: fingerprint(&["git", "checkout_unreadable", alias, &repo]),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    }
}

/// The facts as readable lines: checkout, branch, HEAD, base and counts.
fn describe(facts: &GitFacts) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "checkout: {}", facts.path.display());
    match &facts.branch {
        Some(branch) => {
            let _ = writeln!(s, "branch: {branch}");
        }
        None => s.push_str("branch: none (detached HEAD)\n"),
    }
    let _ = writeln!(
        s,
        "head: {}",
        facts.head.as_deref().map_or("none (unborn branch)", short)
    );
    let _ = writeln!(s, "uncommitted: {}", facts.dirty());
    let _ = writeln!(
        s,
        "on no remote branch: {} commit(s){}",
        facts.unpushed_anywhere,
        if facts.unpushed_branches.is_empty() {
            String::new()
        } else {
            format!(" (branches: {})", facts.unpushed_branches.join(", "))
        }
    );
    match (&facts.base, facts.ahead) {
        (Some(base), Some(ahead)) => {
            let _ = writeln!(s, "base: {base}\nahead of base: {ahead}");
        }
        (Some(base), None) => {
            let _ = writeln!(s, "base: {base}\nahead of base: unknown (no commit yet)");
        }
        (None, _) => s.push_str(
            "base: none (no origin/<dev branch>, upstream or origin/HEAD)\nahead of base: unknown\n",
        ),
    }
    s
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
