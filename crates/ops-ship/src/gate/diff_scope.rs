//! Diff scope: the work changes something, only inside the task's `paths`,
//! and adds none of a runtime's own files ([`ops_core::runtime_files`]: an
//! agent that ran `git add -A` over Aider's history or Claude Code's settings).

use super::GateBase;
use super::diff::diff_of;
use async_trait::async_trait;
use ops_core::Result;
use ops_core::model::Task;
use ops_core::seams::{GateVerdict, QualityGate, WorkRef};

/// Fails an empty diff, a runtime's own file added, and files changed outside
/// the task's declared `paths` (a task without `paths` owns the whole
/// repository). A runtime's file the project already tracks is the project's.
#[derive(Debug, Clone, Default)]
pub struct DiffScopeGate {
    base: GateBase,
}

impl DiffScopeGate {
    /// A gate comparing with the dev branches of `base`.
    pub fn new(base: GateBase) -> Self {
        DiffScopeGate { base }
    }
}

/// Whether repository-relative `file` lies at or under the declared path `owned`.
pub fn inside(file: &str, owned: &str) -> bool {
    let parts = |p: &str| -> Vec<String> {
        p.split(['/', '\\'])
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .collect()
    };
    let (f, o) = (parts(file), parts(owned));
    !o.is_empty() && f.len() >= o.len() && f[..o.len()] == o[..]
}

#[async_trait]
impl QualityGate for DiffScopeGate {
    fn name(&self) -> &str {
        "diff-scope"
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        let diff = diff_of(self.name(), &self.base, task, work).await?;
        if diff.files.is_empty() {
            return Ok(GateVerdict::fail(format!(
                "branch {} changes nothing relative to {} (merge-base {})",
                work.branch,
                self.base.dev_branch(task),
                short(&diff.base)
            )));
        }
        let runtime_files: Vec<String> = diff
            .files
            .iter()
            .filter(|f| f.status == 'A')
            .filter_map(|f| {
                ops_core::runtime_files::owner(&f.path).map(|who| format!("{} ({who})", f.path))
            })
            .collect();
        if !runtime_files.is_empty() {
            return Ok(GateVerdict::fail(format!(
                "a runtime's own files were committed, which never ship: {}; remove them from the branch (`git rm --cached`) and commit",
                runtime_files.join(", ")
            )));
        }
        if task.paths.is_empty() {
            return Ok(GateVerdict::pass(format!(
                "{} files changed; the task owns the whole repository",
                diff.files.len()
            )));
        }
        let outside: Vec<&str> = diff
            .files
            .iter()
            .map(|f| f.path.as_str())
            .filter(|f| !task.paths.iter().any(|p| inside(f, p)))
            .collect();
        if outside.is_empty() {
            Ok(GateVerdict::pass(format!(
                "{} files changed, all inside {}",
                diff.files.len(),
                task.paths.join(", ")
            )))
        } else {
            Ok(GateVerdict::fail(format!(
                "files changed outside the task's paths ({}): {}",
                task.paths.join(", "),
                outside.join(", ")
            )))
        }
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn a_file_is_inside_a_path_by_whole_components() {
        assert!(inside("src/a.rs", "src"));
        assert!(inside("src/a.rs", "./src/"));
        assert!(inside("src/a.rs", "src/a.rs"));
        assert!(!inside("src2/a.rs", "src"));
        assert!(!inside("src/a.rs.bak", "src/a.rs"));
        assert!(!inside("src", "src/a.rs"));
        assert!(!inside("x", ""));
    }
}
