//! Test support shared by the ops crates' tests: real git repositories built in
//! temp dirs by running git itself (no mocks of git), a fake agent program
//! (`fake-agent`, see [`fake_agent`]), a fake Anthropic Messages API server
//! ([`anthropic`]) that real agent CLIs can be pointed at, and
//! [`github::FakeGitHub`], a stateful fake GitHub API with failure injection,
//! and [`graphql`], query documents checked against subset and full schemas.
//! and [`sentry::FakeSentry`], a stateful fake Sentry issues API.
//! and [`linear::FakeLinear`], a stateful fake Linear GraphQL API.
//! [`github::FakeGitHub`], a stateful fake GitHub API with failure injection
//! (the shipper's REST side), and [`github_api::FakeGitHubApi`], a stateful fake
//! of GitHub's GraphQL API for the GitHub issue source, and
//! [`github_runs::RunsFake`], a fake of GitHub's Actions run list.
//!
//! Every git command run here uses an isolated configuration (no system or user
//! config, a fixed identity), so fixtures behave the same on every machine.
//! [`fixtures`] builds the repository states the audit sources are tested on,
//! and asks git itself for the answers they must agree with.

mod agent;
pub mod anthropic;
pub mod fixtures;
mod git;
pub mod github;
pub mod graphql;
pub mod sentry;
pub mod linear;
pub mod github_api;
pub mod github_runs;

pub use agent::fake_agent;
pub use git::{TempRepo, git, git_env};
