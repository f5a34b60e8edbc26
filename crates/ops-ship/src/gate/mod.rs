//! The quality gates: each judges one aspect of an agent's work before it ships.
//!
//! * [`CommandGate`]: the project's quality-gate command passes in the worktree;
//! * [`DiffScopeGate`]: there is a diff, and it stays inside the task's `paths`;
//! * [`SecretsGate`]: no commit of the branch adds a secret file, a token (plain
//!   or encoded), an outside symlink, an oversized or binary file;
//! * [`GateChangeGate`]: a change to the gate itself (its command's files, CI
//!   workflows, ops' configuration) needs the security review, or `--force`;
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
pub mod gate_change;
mod gate_files;
pub mod review;
pub mod secrets;

pub use base::GateBase;
pub use command::CommandGate;
pub use diff_scope::DiffScopeGate;
pub use gate_change::{GateChangeGate, GateChangePolicy};
pub use review::BranchPatch;
pub use secrets::SecretsGate;

use ops_core::QualityGate;
use ops_core::model::Project;
use ops_core::secret::Redactor;
use std::sync::Arc;

/// The gates every completion passes, in the order they run (cheapest first):
/// diff scope, secrets guard, gate change, the project's command. The security
/// review is the engine's step after them (`ops_core::engine::SecurityReview`,
/// shown diffs by [`BranchPatch`]); a gate-changing change asks for it. The
/// secrets guard also refuses the values `known` knows.
pub fn standard(projects: &[Project], known: &Redactor) -> Vec<Arc<dyn QualityGate>> {
    standard_with(projects, known, GateChangePolicy::Review)
}

/// [`standard`], with gate-changing changes judged per `policy`.
pub fn standard_with(
    projects: &[Project],
    known: &Redactor,
    policy: GateChangePolicy,
) -> Vec<Arc<dyn QualityGate>> {
    vec![
        Arc::new(DiffScopeGate::new(GateBase::from_projects(projects))),
        Arc::new(SecretsGate::from_projects(projects).with_known_values(known.clone())),
        Arc::new(GateChangeGate::from_projects(projects, policy)),
        Arc::new(CommandGate::from_projects(projects)),
    ]
}
