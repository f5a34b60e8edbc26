//! Quality gates and shippers: the backends that judge an agent's work and turn it
//! into a merged change, with the safety rails enforced in code.
//!
//! * [`gate`]: the [`ops_core::QualityGate`] backends the engine runs on every
//!   completion, all diffing the task's branch against its merge-base with the
//!   project's dev branch: the project's command ([`gate::CommandGate`], from the
//!   project's config only, with a timeout and a redacted log tail), the diff scope
//!   ([`gate::DiffScopeGate`]), the secrets guard ([`gate::SecretsGate`], reading
//!   every commit against THE one list of secret files and token patterns in
//!   [`ops_core::secret`], also used to redact every text this crate emits); and
//!   [`gate::BranchPatch`], the redacted patch the engine's security review shows
//!   its reviewer agent.
//! * [`local`]: the forge-less [`ops_core::Shipper`]: push the branch, squash it onto
//!   the current dev in git plumbing, test that merged result, fast-forward dev,
//!   promote dev to main by fast-forward or merge commit.
//! * [`github`]: the GitHub [`ops_core::Shipper`]: pull requests to dev, checks of
//!   the exact head, squash merges pinned to it, promotion through a merge-commit
//!   pull request, health and new-error checks after merging; and the pure
//!   [`github::ready_to_merge`] decision.
//! * [`route`]: [`route::ProjectShippers`], one shipper for an engine serving many
//!   projects, each through GitHub or local git ([`route::ship_kind`]); and
//!   [`gate::standard`] builds the usual gate list.
//! * [`guard`]: [`guard::OriginGuard`], which halts a repository whose remote dev or
//!   main moved without ops during a run.
//! * [`push`]: the only way either shipper pushes: never forced, never work onto main.
//! * [`wrap`]: [`wrap::Timeout`] and [`wrap::Retry`], wrappers implementing the trait
//!   they wrap, so backends stay free of retry loops.
//!
//! Every backend passes its trait's `ops_core::conformance` suite in this crate's tests.

pub mod gate;
pub mod github;
pub mod guard;
pub mod local;
pub mod push;
pub mod route;
mod scratch;
pub mod wrap;
