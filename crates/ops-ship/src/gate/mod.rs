//! The quality gates: each judges one aspect of an agent's work before it ships.
//!
//! * [`CommandGate`]: the project's quality-gate command passes in the worktree;
//! * [`DiffScopeGate`]: there is a diff, and it stays inside the task's `paths`;
//! * [`SecretsGate`]: no commit of the branch adds a secret file, a token (plain
//!   or encoded), an outside symlink, an oversized or binary file;
//! * [`ReviewGate`]: a separate reviewer agent explicitly approves the change.
//!
//! Every gate diffs the task's branch against the merge-base with the project's
//! dev branch ([`GateBase`]): what the task adds, not what dev gained meanwhile.

mod base;
pub mod command;
mod commits;
mod diff;
pub mod diff_scope;
pub mod review;
pub mod secrets;

pub use base::GateBase;
pub use command::CommandGate;
pub use diff_scope::DiffScopeGate;
pub use review::{NoReviewer, ReviewGate, ReviewPolicy};
pub use secrets::SecretsGate;

use ops_core::QualityGate;
use ops_core::model::Project;
use std::sync::Arc;

/// The gates every completion passes, in the order they run (cheapest first):
/// diff scope, secrets guard, the project's command, and the review gate when a
/// reviewer runtime is given (always on for sensitive tasks; `policy` widens it),
/// else [`NoReviewer`], which fails sensitive tasks.
pub fn standard(
    projects: &[Project],
    reviewer: Option<Arc<dyn ops_core::Dispatcher>>,
    policy: ReviewPolicy,
) -> Vec<Arc<dyn QualityGate>> {
    let base = GateBase::from_projects(projects);
    let mut gates: Vec<Arc<dyn QualityGate>> = vec![
        Arc::new(DiffScopeGate::new(base.clone())),
        Arc::new(SecretsGate::from_projects(projects)),
        Arc::new(CommandGate::from_projects(projects)),
    ];
    match reviewer {
        Some(r) => gates.push(Arc::new(ReviewGate::new(r, policy, base))),
        None => gates.push(Arc::new(NoReviewer)),
    }
    gates
}
