//! Test support shared by the ops crates' tests: real git repositories built in
//! temp dirs by running git itself (no mocks of git), a fake agent program
//! (`fake-agent`, see [`fake_agent`]), scripted model servers that the real
//! agent CLIs are pointed at ([`anthropic`] Messages for Claude Code, [`openai`]
//! Responses and Chat Completions for Codex and Aider, [`gemini`]
//! generateContent for the Gemini CLI; the script, failure injection and
//! request log they share are [`model`]'s), and stateful fakes
//! of the forges and trackers with failure injection and request counts:
//! [`github::FakeGitHub`] (the REST side the shipper uses, over real bare
//! repositories), [`github_api::FakeGitHubApi`] (GraphQL for the GitHub issue
//! source, with [`github_runs::RunsFake`], the Actions run list, behind it),
//! [`sentry::FakeSentry`] and [`linear::FakeLinear`]. [`graphql`] checks query
//! documents against subset and full schemas.
//!
//! Every git command run here uses an isolated configuration (no system or user
//! config, a fixed identity), so fixtures behave the same on every machine.
//! [`fixtures`] builds the repository states the audit sources are tested on,
//! and asks git itself for the answers they must agree with.

mod agent;
pub mod anthropic;
pub mod fixtures;
pub mod gemini;
mod git;
pub mod github;
pub mod github_api;
pub mod github_runs;
pub mod graphql;
pub mod linear;
pub mod model;
pub mod openai;
pub mod sentry;
pub mod serve;

pub use agent::{
    aider_cli, build_binary, claude_cli, codex_cli, fake_agent, gemini_cli, hostile_agent,
};
pub use git::{TempRepo, git, git_env};
