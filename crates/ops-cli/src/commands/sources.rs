//! The issue sources an audit runs.

use ops_core::IssueSource;
use ops_sources::{GsdSource, LocalGitSource, TodoSource};
use std::sync::Arc;

/// The source name of `--todo` texts: given anew on each call, so their
/// absence never completes a task.
pub const CLI_TODO_SOURCE: &str = ops_sources::todos::COMMAND_LINE_SOURCE;

/// Every source for an audit with these command-line todos (project alias, text).
pub fn all(todos: Vec<(String, String)>) -> Vec<Arc<dyn IssueSource>> {
    vec![
        Arc::new(LocalGitSource::new()),
        Arc::new(GsdSource::new()),
        Arc::new(TodoSource::files()),
        Arc::new(TodoSource::command_line(todos)),
    ]
}
