//! The secrets guard. What counts as a secret is THE one list in
//! [`ops_core::secret`] (re-exported here for ops-ship's callers), shared with
//! the redactor that cleans agent output.
//!
//! The guard reads EVERY commit the task's branch adds, not only its net diff
//! (a token committed and removed later is still in the history that would be
//! pushed), and fails the work when any commit:
//! * adds, changes or deletes a secret file ([`is_secret_file`]);
//! * adds a line holding a value ops knows as a secret (its environment's
//!   secret-named variables, what its secret providers returned: the
//!   [`Redactor`]'s values, [`SecretsGate::with_known_values`]);
//! * adds a line (of a file or of its message) holding a token ([`find_tokens`]), or a base64/hex run that
//!   decodes to one ([`find_encoded_tokens`]); a whole added file is also read
//!   with its line breaks removed (wrapped base64);
//! * adds a symlink pointing outside the worktree, into `.git`, or at a secret file;
//! * adds a file over the project's size limit (`max_file_mb`, default 5 MB), or
//!   a binary file (a NUL byte in it) unless the project sets `allow_binaries`.
//!
//! A problem names the commit, the file and the kind of secret, never the value.

use super::GateBase;
use super::commits::{CommitChange, CommitFile, commits_of};
use async_trait::async_trait;
use ops_core::Result;
use ops_core::model::{Project, Task};
use ops_core::seams::{GateVerdict, QualityGate, WorkRef};
use ops_core::secret::Redactor;
pub use ops_core::secret::{
    TOKEN_PREFIXES, TokenMatch, find_encoded_tokens, find_tokens, is_secret_file,
    redact_tokens as redact,
};
use ops_git::Git;
use std::collections::BTreeMap;

/// The size limit when a project sets none: 5 MB.
pub const DEFAULT_MAX_FILE_MB: u64 = 5;

/// What a project lets a change add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRules {
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// Whether binary files may be added.
    pub allow_binaries: bool,
}

impl Default for FileRules {
    fn default() -> Self {
        FileRules {
            max_bytes: DEFAULT_MAX_FILE_MB * 1024 * 1024,
            allow_binaries: false,
        }
    }
}

impl From<&Project> for FileRules {
    fn from(p: &Project) -> Self {
        FileRules {
            max_bytes: p.max_file_mb.unwrap_or(DEFAULT_MAX_FILE_MB) * 1024 * 1024,
            allow_binaries: p.allow_binaries,
        }
    }
}

/// Fails work any of whose commits adds a secret; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct SecretsGate {
    base: GateBase,
    rules: BTreeMap<String, FileRules>,
    known: Redactor,
}

impl SecretsGate {
    /// A guard comparing with the dev branches of `base`, default file rules.
    pub fn new(base: GateBase) -> Self {
        SecretsGate {
            base,
            rules: BTreeMap::new(),
            known: Redactor::new(),
        }
    }

    /// A guard with each project's dev branch and file rules.
    pub fn from_projects(projects: &[Project]) -> Self {
        SecretsGate {
            base: GateBase::from_projects(projects),
            rules: projects
                .iter()
                .map(|p| (p.alias.clone(), FileRules::from(p)))
                .collect(),
            known: Redactor::new(),
        }
    }

    /// Also fails a commit adding a line that holds a value `known` knows (shared:
    /// values it learns later count too).
    pub fn with_known_values(mut self, known: Redactor) -> Self {
        self.known = known;
        self
    }

    fn rules(&self, task: &Task) -> FileRules {
        self.rules.get(&task.project).copied().unwrap_or_default()
    }
}

/// The problems one commit has.
async fn judge_commit(
    git: &Git,
    commit: &CommitChange,
    rules: FileRules,
    known: &Redactor,
) -> Vec<String> {
    let at = |path: &str| format!("commit {} {path}", commit.short());
    let mut problems = Vec::new();
    for f in &commit.files {
        if is_secret_file(&f.path) {
            problems.push(format!(
                "{}: secret file ({}) must not be touched",
                at(&f.path),
                f.status
            ));
        }
        if f.has_content() {
            problems.extend(
                judge_file(git, f, rules)
                    .await
                    .map(|p| format!("{}: {p}", at(&f.path))),
            );
        }
    }
    for (path, line) in &commit.added {
        if known.holds_known_value(line) {
            problems.push(format!(
                "{}: an added line holds a secret value ops knows (from its environment or a secret provider)",
                at(path)
            ));
        }
        for m in find_tokens(line) {
            problems.push(format!("{}: an added line holds a {}", at(path), m.kind));
        }
        for m in find_encoded_tokens(line) {
            problems.push(format!(
                "{}: an added line holds a {}-encoded {}",
                at(path),
                m.encoding,
                m.kind
            ));
        }
    }
    problems
}

/// What is wrong with the content a commit leaves at `f`, if anything.
async fn judge_file(git: &Git, f: &CommitFile, rules: FileRules) -> Option<String> {
    match f.mode.as_str() {
        "160000" => return None,
        "120000" => {
            let target = git.run(["cat-file", "blob", &f.blob]).await.ok()?;
            return symlink_problem(&f.path, &target);
        }
        _ => {}
    }
    let size: u64 = git
        .run(["cat-file", "-s", &f.blob])
        .await
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if size > rules.max_bytes {
        return Some(format!(
            "an added file of {} bytes is over the {} byte limit (set max_file_mb for the project to allow it)",
            size, rules.max_bytes
        ));
    }
    let content = git.run(["cat-file", "blob", &f.blob]).await.ok()?;
    if content.contains('\0') {
        return (!rules.allow_binaries).then(|| {
            "a binary file is added (set allow_binaries for the project to allow it)".to_string()
        });
    }
    // A wrapped encoded secret (base64 output breaks lines) is read whole.
    let joined: String = content.split_whitespace().collect();
    find_encoded_tokens(&joined)
        .first()
        .map(|m| format!("the file holds a {}-encoded {}", m.encoding, m.kind))
}

/// Why a symlink at `path` pointing at `target` must not be committed, if it must not.
fn symlink_problem(path: &str, target: &str) -> Option<String> {
    if target.starts_with('/') || target.starts_with('~') {
        return Some(format!("a symlink points outside the worktree ({target})"));
    }
    let mut depth: Vec<&str> = path.split('/').collect();
    depth.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if depth.pop().is_none() {
                    return Some(format!("a symlink points outside the worktree ({target})"));
                }
            }
            other => depth.push(other),
        }
    }
    if depth.first() == Some(&".git") || depth.contains(&".git") {
        return Some(format!(
            "a symlink points into the git directory ({target})"
        ));
    }
    is_secret_file(target).then(|| format!("a symlink points at a secret file ({target})"))
}

#[async_trait]
impl QualityGate for SecretsGate {
    fn name(&self) -> &str {
        "secrets"
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        let (git, commits) = commits_of(self.name(), &self.base, task, work).await?;
        let rules = self.rules(task);
        let mut problems: Vec<String> = Vec::new();
        for commit in &commits {
            for p in judge_commit(&git, commit, rules, &self.known).await {
                if !problems.contains(&p) {
                    problems.push(p);
                }
            }
        }
        if problems.is_empty() {
            Ok(GateVerdict::pass(format!(
                "no secret files, tokens, outside symlinks or oversized files in {} commits",
                commits.len()
            )))
        } else {
            Ok(GateVerdict::fail(format!(
                "{}; the branch is never pushed with these commits: rewrite it without them (e.g. reset to dev and commit the change again)",
                problems.join("; ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_outside_the_worktree_into_git_or_at_secret_files_are_problems() {
        for (path, target) in [
            ("link", "/etc/passwd"),
            ("a/link", "../../outside"),
            ("link", "~/.ssh/id_rsa"),
            ("docs/cfg", "../.git/config"),
            ("conf/app", "../deploy/.env"),
        ] {
            assert!(
                symlink_problem(path, target).is_some(),
                "{path} -> {target}"
            );
        }
        for (path, target) in [("a/link", "../README.md"), ("latest", "v2/notes.txt")] {
            assert_eq!(symlink_problem(path, target), None, "{path} -> {target}");
        }
    }
}
