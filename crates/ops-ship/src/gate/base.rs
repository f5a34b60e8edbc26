//! Which branch a task's work is compared with: the project's dev branch.

use ops_core::model::{Project, Task};
use std::collections::BTreeMap;

/// The dev branch of each project, by alias (`dev` unless a project says otherwise),
/// and the remote whose copy of it is preferred when present.
#[derive(Debug, Clone)]
pub struct GateBase {
    dev_branches: BTreeMap<String, String>,
    default_dev: String,
    remote: String,
}

impl Default for GateBase {
    fn default() -> Self {
        GateBase {
            dev_branches: BTreeMap::new(),
            default_dev: "dev".into(),
            remote: "origin".into(),
        }
    }
}

impl GateBase {
    /// Dev branches read from the projects' settings.
    pub fn from_projects(projects: &[Project]) -> Self {
        let dev_branches = projects
            .iter()
            .filter_map(|p| Some((p.alias.clone(), p.dev_branch.clone()?)))
            .collect();
        GateBase {
            dev_branches,
            ..GateBase::default()
        }
    }

    /// Every project compares with `branch`.
    pub fn with_default_dev(mut self, branch: impl Into<String>) -> Self {
        self.default_dev = branch.into();
        self
    }

    /// The dev branch of `task`'s project.
    pub fn dev_branch(&self, task: &Task) -> &str {
        self.dev_branches
            .get(&task.project)
            .unwrap_or(&self.default_dev)
    }

    /// The refs to try, best first: the remote's copy, then the local branch.
    pub(crate) fn candidates(&self, task: &Task) -> [String; 2] {
        let dev = self.dev_branch(task);
        [
            format!("refs/remotes/{}/{dev}", self.remote),
            format!("refs/heads/{dev}"),
        ]
    }
}
