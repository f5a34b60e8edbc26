//! Every commit a task's branch adds (not only its net diff), read with git
//! plumbing: for each commit, the files it adds, changes or deletes (mode and
//! blob), the lines it adds and its message (the GitHub shipper pushes the
//! branch's own commits as the pull request's head, messages included). A merge
//! commit is read against its first parent. No textconv or external diff driver runs.

use super::GateBase;
use super::diff::{added_lines, endpoints, git_error};
use ops_core::Result;
use ops_core::model::Task;
use ops_core::seams::WorkRef;
use ops_git::Git;

/// The path an added line of a commit's message is reported under.
pub(crate) const MESSAGE_PATH: &str = "(commit message)";

/// git's empty tree, the parent of a root commit.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// A file one commit adds, changes or deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommitFile {
    /// `A`, `M`, `D`, `T`.
    pub status: char,
    /// Repository-relative path.
    pub path: String,
    /// The new mode (`100644`, `100755`, `120000` symlink, `160000` submodule;
    /// `000000` when deleted).
    pub mode: String,
    /// The new blob (all zeros when deleted).
    pub blob: String,
}

impl CommitFile {
    /// Whether the commit leaves content at this path (not a deletion).
    pub fn has_content(&self) -> bool {
        self.status != 'D'
    }
}

/// What one commit does.
#[derive(Debug, Clone)]
pub(crate) struct CommitChange {
    /// The commit.
    pub sha: String,
    /// Its files.
    pub files: Vec<CommitFile>,
    /// The lines it adds: `(path, line)`, its message's lines under
    /// [`MESSAGE_PATH`].
    pub added: Vec<(String, String)>,
}

impl CommitChange {
    /// The commit's short name for messages.
    pub fn short(&self) -> &str {
        &self.sha[..self.sha.len().min(10)]
    }
}

/// Every commit on the task's branch since its merge-base with dev, oldest first,
/// and the git that read them (for reading blobs).
pub(crate) async fn commits_of(
    gate: &str,
    base: &GateBase,
    task: &Task,
    work: &WorkRef,
) -> Result<(Git, Vec<CommitChange>)> {
    let (git, merge_base, head) = endpoints(gate, base, task, work).await?;
    let listing = git
        .run([
            "rev-list",
            "--reverse",
            "--parents",
            &format!("{merge_base}..{head}"),
        ])
        .await
        .map_err(|e| git_error(gate, "list the branch's commits", e))?;
    let mut out = Vec::new();
    for line in listing.lines() {
        let mut shas = line.split_whitespace();
        let Some(sha) = shas.next() else { continue };
        let parent = shas.next().unwrap_or(EMPTY_TREE);
        out.push(read_commit(gate, &git, parent, sha).await?);
    }
    Ok((git, out))
}

async fn read_commit(gate: &str, git: &Git, parent: &str, sha: &str) -> Result<CommitChange> {
    let raw = git
        .run([
            "diff-tree",
            "-r",
            "-z",
            "--no-renames",
            "--no-commit-id",
            "--raw",
            "--no-abbrev",
            parent,
            sha,
        ])
        .await
        .map_err(|e| git_error(gate, "list a commit's files", e))?;
    let patch = git
        .run([
            "diff-tree",
            "-p",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-renames",
            "--no-commit-id",
            parent,
            sha,
        ])
        .await
        .map_err(|e| git_error(gate, "read a commit's diff", e))?;
    let object = git
        .run(["cat-file", "commit", sha])
        .await
        .map_err(|e| git_error(gate, "read a commit's message", e))?;
    let mut added = added_lines(&patch);
    added.extend(
        message_of(&object)
            .lines()
            .map(|line| (MESSAGE_PATH.to_string(), line.to_string())),
    );
    Ok(CommitChange {
        sha: sha.to_string(),
        files: parse_raw(&raw),
        added,
    })
}

/// The message of a raw commit object: everything after its headers.
fn message_of(object: &str) -> &str {
    object.split_once("\n\n").map_or("", |(_, message)| message)
}

/// `:old_mode new_mode old_blob new_blob status\0path\0` entries.
fn parse_raw(raw: &str) -> Vec<CommitFile> {
    let mut out = Vec::new();
    let mut parts = raw.split('\0').filter(|s| !s.is_empty());
    while let (Some(meta), Some(path)) = (parts.next(), parts.next()) {
        let fields: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        let [_, mode, _, blob, status] = fields[..] else {
            continue;
        };
        out.push(CommitFile {
            status: status.chars().next().unwrap_or('?'),
            path: path.to_string(),
            mode: mode.to_string(),
            blob: blob.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_objects_message_is_what_follows_its_headers() {
        let object = "tree 4b82\nauthor a <a@b> 1 +0000\n\nsubject\n\nbody line\n";
        assert_eq!(message_of(object), "subject\n\nbody line\n");
        assert_eq!(message_of("tree 4b82\n"), "");
    }

    #[test]
    fn raw_entries_give_status_path_mode_and_blob() {
        let raw = ":000000 120000 0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 A\0link\0:100644 000000 2222222222222222222222222222222222222222 0000000000000000000000000000000000000000 D\0gone file.txt\0";
        let files = parse_raw(raw);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].status, 'A');
        assert_eq!(files[0].mode, "120000");
        assert_eq!(files[0].blob, "1".repeat(40));
        assert_eq!(files[1].path, "gone file.txt");
        assert!(!files[1].has_content());
    }
}
