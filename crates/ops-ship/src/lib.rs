//! Quality gates and shippers: the backends that judge an agent's work and turn it
//! into a merged change.
//!
//! [`gate`] holds the [`ops_core::QualityGate`] backends the engine runs on every
//! completion: the project's command ([`gate::CommandGate`]), the diff scope
//! ([`gate::DiffScopeGate`]), the secrets guard ([`gate::SecretsGate`], with THE
//! one list of secret patterns) and a reviewer agent ([`gate::ReviewGate`]).
pub mod gate;
pub mod github;
pub mod local;
pub mod push;
pub mod wrap;
