//! The quality gates: each judges one aspect of an agent's work before it ships.
//!
//! * [`CommandGate`]: the project's quality-gate command passes in the worktree;
//! * [`DiffScopeGate`]: there is a diff, and it stays inside the task's `paths`;
//! * [`SecretsGate`]: no secret files and no token-shaped strings are added;
//! * [`ReviewGate`]: a separate reviewer agent explicitly approves the change.
//!
//! Every gate diffs the task's branch against the merge-base with the project's
//! dev branch ([`GateBase`]): what the task adds, not what dev gained meanwhile.

mod base;
pub mod command;
mod diff;
pub mod diff_scope;
pub mod review;
pub mod secrets;

pub use base::GateBase;
pub use command::CommandGate;
pub use diff_scope::DiffScopeGate;
pub use review::{ReviewGate, ReviewPolicy};
pub use secrets::SecretsGate;
