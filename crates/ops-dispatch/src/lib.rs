//! Worktrees and agent runtimes: the `Dispatcher` backends of ops.
//!
//! Every agent works in its own git worktree ([`worktree`]: one per task, on the
//! task's branch cut from the project's dev branch, found again by path and branch
//! on resume, leased to one ops process ([`lease`]), bootstrapped from
//! `.worktreeinclude` patterns and a setup command). A [`Workbench`]
//! prepares that worktree, a log file per attempt and an allow-listed environment
//! ([`env`](mod@env): tokens ops holds never reach agents) for every backend. The backends —
//! [`command`] (any program), [`claude`] (Claude Code, steerable), [`codex`],
//! [`gemini`], [`aider`] — only build a command line and read their runtime's
//! output; the shared session runs the process in its own process group
//! ([`process`]: stopped whole, TERM then KILL), tracks activity from protocol
//! events and worktree writes ([`liveness`]), commits what the agent left
//! uncommitted (only on the task branch) and lists the changed files before an
//! outcome is returned. An
//! agent that exits non-zero, crashes, hangs or prints garbage gives a failed
//! outcome with the reason, never a hang or a panic.
//!
//! `AgentHandle::wait` returns when a one-shot agent's process has ended; a team
//! agent (a steerable runtime dispatched for a `Mode::Team` task) stays open between
//! turns and `wait` returns at the end of each turn; the engine stops it when done.
//! Each attempt keeps its stdout and stderr in `<root>/.logs/<task>/attempt-N.log`
//! next to the brief it was given. [`gc`] decides which worktrees may be removed
//! (only those whose work has landed) and says why it keeps the others.

pub mod aider;
pub mod api_error;
mod bootstrap;
pub mod claude;
pub mod codex;
mod codex_app_server;
pub mod command;
pub mod env;
pub mod flags;
pub mod gc;
pub mod gemini;
pub mod guard;
pub mod lease;
mod limits;
pub mod liveness;
pub mod process;
pub mod reaper;
mod session;
mod uuid;
mod workbench;
pub mod worktree;

pub use aider::{AiderConfig, AiderDispatcher};
pub use claude::{ClaudeConfig, ClaudeDispatcher, PermissionMode};
pub use codex::{CodexConfig, CodexDispatcher};
pub use command::{BriefDelivery, CommandConfig, CommandDispatcher};
pub use env::EnvPolicy;
pub use gemini::{GeminiConfig, GeminiDispatcher};
pub use lease::LeaseOwner;
pub use session::Session;
pub use workbench::{ProjectSettings, Workbench};
pub use worktree::{Worktree, WorktreeConfig, WorktreeManager};
