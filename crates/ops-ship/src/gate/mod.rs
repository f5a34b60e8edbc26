//! The quality gates: each judges one aspect of an agent's work before it ships.
//!
//! * [`CommandGate`]: the project's quality-gate command passes in the worktree;
//! * [`DiffScopeGate`]: there is a diff, and it stays inside the task's `paths`;
//! * [`SecretsGate`]: no commit of the branch adds a secret file, a token (plain
//!   or encoded), an outside symlink, an oversized or binary file;
//!
//! [`BranchPatch`] reads the patch the engine's security review shows its reviewer.
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
pub use review::BranchPatch;
pub use secrets::SecretsGate;

use ops_core::QualityGate;
use ops_core::model::Project;
use ops_core::secret::Redactor;
use std::sync::Arc;

/// The gates every completion passes, in the order they run (cheapest first):
/// diff scope, secrets guard, the project's command. The security review is the
/// engine's step after them (`ops_core::engine::SecurityReview`, shown diffs by
/// [`BranchPatch`]). The secrets guard also refuses the values `known` knows.
pub fn standard(projects: &[Project], known: &Redactor) -> Vec<Arc<dyn QualityGate>> {
    vec![
        Arc::new(DiffScopeGate::new(GateBase::from_projects(projects))),
        Arc::new(SecretsGate::from_projects(projects).with_known_values(known.clone())),
        Arc::new(CommandGate::from_projects(projects)),
    ]
}
