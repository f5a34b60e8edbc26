//! Issue sources for ops: the backends of [`ops_core::IssueSource`] that read a
//! project's local state. Each source is read-only and repeatable (it passes
//! [`ops_core::conformance::source`]) and turns what it sees into
//! [`ops_core::model::Finding`]s whose fingerprints stay the same while the
//! problem stays the same.
//!
//! * [`git`]: [`LocalGitSource`], every checkout's uncommitted changes, commits
//!   not on `origin/<dev branch>` and detached HEAD, read with gix;
//! * [`gsd`]: [`GsdSource`], the GSD planning files in `.planning/` (current
//!   phase, progress, next phase, a paused session's handoff);
//! * [`todos`]: [`TodoSource`], todos from the command line and each
//!   checkout's `.ops/todos.md`.
//!
//! * [`github`]: [`GitHubSource`], open pull requests, open issues and the
//!   dev/main CI of every project's GitHub repositories, many repositories per
//!   GraphQL request ([`github::runs`] judges the Actions runs of the dev and
//!   main branches by DESIGN.md's CI-failure rule, with the `ETag` of each run
//!   list kept on the board);
//! * [`sentry`]: [`SentrySource`], the unresolved issues of a project's Sentry
//!   project;
//! * [`linear`]: [`LinearSource`], a project's Linear team's started and
//!   unstarted issues, with "blocks" relations as dependencies.
//!
//! The remote sources talk HTTP through [`http`], the one client that retries,
//! waits out rate limits and keeps tokens out of errors; their tokens come from
//! [`secrets`]: [`SecretResolver`] looks each one up in env, Doppler, 1Password
//! and `pass`, as the settings file says; [`remote_sources`] builds the ones a
//! set of projects needs from the settings.

mod checkouts;
pub mod git;
pub mod github;
pub mod gsd;
pub mod http;
pub mod linear;
mod remote;
pub mod secrets;
pub mod sentry;
pub mod todos;

pub use git::{GitFacts, LocalGitSource, git_facts};
pub use github::{GitHubConfig, GitHubSource};
pub use gsd::GsdSource;
pub use linear::{LinearConfig, LinearSource};
pub use remote::{RemoteSources, remote_sources};
pub use secrets::{MissingSecret, SecretResolver, TokenUser};
pub use sentry::{SentryConfig, SentrySource};
pub use todos::TodoSource;
