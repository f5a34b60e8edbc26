//! The issue sources an audit runs: the local ones always, the remote ones
//! (GitHub, Sentry, Linear) when a project in scope is configured for them and
//! their token resolves.

use ops_core::config::Settings;
use ops_core::model::Project;
use ops_core::{IssueSource, SqliteBoard};
use ops_sources::{GsdSource, LocalGitSource, SecretResolver, TodoSource, remote_sources};
use std::sync::Arc;

/// The source name of `--todo` texts: given anew on each call, so their
/// absence never completes a task.
pub const CLI_TODO_SOURCE: &str = ops_sources::todos::COMMAND_LINE_SOURCE;

/// Whether a project in scope needs a remote source (and so the board as the
/// sources' cache).
pub fn needs_remote(projects: &[Project]) -> bool {
    projects
        .iter()
        .any(|p| !p.repos.is_empty() || p.sentry.is_some() || p.linear.is_some())
}

/// Every source for an audit of `projects` with these command-line todos
/// (project alias, text), and one line per remote source that is off. `board`
/// is the sources' cache; without it no remote source is built.
pub async fn all(
    todos: Vec<(String, String)>,
    projects: &[Project],
    settings: &Settings,
    secrets: &SecretResolver,
    board: Option<SqliteBoard>,
) -> (Vec<Arc<dyn IssueSource>>, Vec<String>) {
    let mut sources: Vec<Arc<dyn IssueSource>> = vec![
        Arc::new(LocalGitSource::new()),
        Arc::new(GsdSource::new()),
        Arc::new(TodoSource::files()),
        Arc::new(TodoSource::command_line(todos)),
    ];
    let mut off = Vec::new();
    if let Some(board) = board {
        let remote = remote_sources(projects, settings, secrets, Arc::new(board)).await;
        sources.extend(remote.sources);
        off = remote.off;
    }
    (sources, off)
}
