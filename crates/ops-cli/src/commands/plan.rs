//! `ops plan` (and `ops run --dry-run`): audit, then plan the findings onto the
//! board (created, updated, already done) and show the tasks in scope with
//! their waves: the `ops status` table, or with `--json` the same array.

use super::audit;
use super::scope;
use super::sources::CLI_TODO_SOURCE;
use crate::cli::{GlobalArgs, Verbosity};
use crate::exit::CliError;
use crate::state_dir;
use ops_core::model::TaskStatus;
use ops_core::planner::{PlanOptions, plan};
use ops_core::{SqliteBoard, TaskStore};
use std::io::Write;

/// Runs `ops plan`.
pub fn run(
    global: &GlobalArgs,
    project: Option<&str>,
    fires_only: bool,
    todos: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let scope = scope::load(global, project)?;
    let audit::Audit { report, off } = audit::collect(global, &scope, todos)?;
    let board_path = state_dir::open_board(global)?;
    let options = PlanOptions {
        fires_only,
        topics: scope.topics.clone(),
        ephemeral_sources: [CLI_TODO_SOURCE.to_owned()].into(),
    };
    let in_scope: Vec<String> = scope
        .context
        .projects
        .iter()
        .map(|p| p.alias.clone())
        .collect();
    let (changes, tasks) = super::block_on(async {
        let board = SqliteBoard::open(&board_path).await?;
        let changes = plan(&board, &report, &scope.context.projects, &options).await?;
        let tasks = board.list().await?;
        Ok::<_, ops_core::Error>((changes, tasks))
    })??;
    let shown: Vec<_> = tasks
        .into_iter()
        .filter(|t| in_scope.contains(&t.project) && t.status != TaskStatus::Deleted)
        .collect();
    let mut text = super::status::render(&shown, global)?;
    if !global.json && global.verbosity() >= Verbosity::Normal {
        text.push_str(&format!(
            "planned: {} created, {} updated, {} already done, {} unchanged\n",
            changes.created.len(),
            changes.updated.len(),
            changes.done.len(),
            changes.unchanged.len()
        ));
    }
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    audit::warn(global, &scope, &report, &off, err)?;
    if global.verbosity() > Verbosity::Quiet {
        for w in &changes.warnings {
            writeln!(err, "ops: warning: {w}").map_err(CliError::Output)?;
        }
    }
    audit::partial(&report)
}
