//! `ops plan` (and `ops run --dry-run`): audit, then plan the findings onto the
//! board (created, updated, already done) and show the tasks in scope with
//! their waves: the `ops status` table, or with `--json` the same array.
//! [`onto_board`] is the part `ops run` shares: audit and plan, no output.

use super::audit;
use super::scope::{self, Scope};
use super::sources::CLI_TODO_SOURCE;
use crate::cli::{GlobalArgs, Verbosity};
use crate::exit::CliError;
use crate::state_dir;
use ops_core::audit::AuditReport;
use ops_core::model::{Priority, Project, Task, TaskStatus};
use ops_core::planner::{PlanChanges, PlanOptions, plan};
use ops_core::{SqliteBoard, TaskStore};
use std::io::Write;
use std::path::PathBuf;

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
    show(global, &scope, fires_only, todos, out, err)
}

/// `ops plan` over an already loaded scope.
pub fn show(
    global: &GlobalArgs,
    scope: &Scope,
    fires_only: bool,
    todos: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let planned = onto_board(global, scope, fires_only, todos)?;
    let shown = if fires_only {
        fires(&planned.tasks)
    } else {
        planned.tasks.clone()
    };
    let mut text = super::status::render(&shown, global)?;
    if !global.json && global.verbosity() >= Verbosity::Normal {
        let c = &planned.changes;
        text.push_str(&format!(
            "planned: {} created, {} updated, {} already done, {} unchanged\n",
            c.created.len(),
            c.updated.len(),
            c.done.len(),
            c.unchanged.len()
        ));
    }
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    planned.warn(global, scope, err)?;
    audit::partial(&planned.report)
}

/// What auditing and planning a scope left on the board.
pub struct Planned {
    /// The audit: findings and failed sources.
    pub report: AuditReport,
    /// Remote sources that were off.
    pub off: Vec<String>,
    /// What planning changed.
    pub changes: PlanChanges,
    /// The tasks of the projects in scope, deleted ones left out.
    pub tasks: Vec<Task>,
    /// The board file.
    pub board: PathBuf,
}

impl Planned {
    /// Audit problems and planning warnings, on stderr.
    pub fn warn(
        &self,
        global: &GlobalArgs,
        scope: &Scope,
        err: &mut dyn Write,
    ) -> Result<(), CliError> {
        audit::warn(global, scope, &self.report, &self.off, err)?;
        if global.verbosity() > Verbosity::Quiet {
            for w in &self.changes.warnings {
                writeln!(err, "ops: warning: {w}").map_err(CliError::Output)?;
            }
        }
        Ok(())
    }
}

/// Audits `scope` and plans the findings onto the board.
pub fn onto_board(
    global: &GlobalArgs,
    scope: &Scope,
    fires_only: bool,
    todos: &[String],
) -> Result<Planned, CliError> {
    let audit::Audit { mut report, off } = audit::collect(global, scope, todos)?;
    let unplanned = without_checkout(&mut report, &scope.context.projects);
    let board_path = state_dir::open_board(global)?;
    let options = PlanOptions {
        fires_only,
        topics: scope.topics.clone(),
        ephemeral_sources: [CLI_TODO_SOURCE.to_owned()].into(),
    };
    let (changes, tasks) = super::block_on(async {
        let board = SqliteBoard::open(&board_path).await?;
        let mut changes = plan(&board, &report, &scope.context.projects, &options).await?;
        changes.warnings.extend(unplanned);
        let tasks = board.list().await?;
        Ok::<_, ops_core::Error>((changes, tasks))
    })??;
    Ok(Planned {
        report,
        off,
        changes,
        tasks: in_scope(scope, tasks),
        board: board_path,
    })
}

/// With `--fires-only`: the P0 tasks and the tasks they wait for, nothing else.
fn fires(tasks: &[Task]) -> Vec<Task> {
    let mut keep: std::collections::BTreeSet<&ops_core::model::TaskId> = tasks
        .iter()
        .filter(|t| t.priority == Priority::P0)
        .map(|t| &t.id)
        .collect();
    loop {
        let more: Vec<&ops_core::model::TaskId> = tasks
            .iter()
            .filter(|t| keep.contains(&t.id))
            .flat_map(|t| &t.blocked_by)
            .filter(|b| !keep.contains(b))
            .collect();
        if more.is_empty() {
            break;
        }
        keep.extend(more);
    }
    tasks
        .iter()
        .filter(|t| keep.contains(&t.id))
        .cloned()
        .collect()
}

/// Takes out of `report` the findings of projects with no local checkout
/// (claude-ops' external entries, audited through their tracker only): no
/// agent can work on them, so they are never planned. One warning per such
/// project says how many were left out.
fn without_checkout(report: &mut AuditReport, projects: &[Project]) -> Vec<String> {
    let homeless: Vec<&Project> = projects.iter().filter(|p| p.paths.is_empty()).collect();
    let mut warnings = Vec::new();
    for project in homeless {
        let before = report.findings.len();
        report.findings.retain(|f| f.project != project.alias);
        // Nothing of theirs was planned, so nothing of theirs is concluded done.
        report.audited.retain(|(alias, _)| alias != &project.alias);
        let left_out = before - report.findings.len();
        if left_out > 0 {
            warnings.push(format!(
                "{}: {left_out} finding(s) not planned: the registry entry has no local checkout (`paths`) to work in",
                project.alias
            ));
        }
    }
    warnings
}

/// The tasks of the projects in `scope`, deleted ones left out.
pub fn in_scope(scope: &Scope, tasks: Vec<Task>) -> Vec<Task> {
    tasks.into_iter().filter(|t| shown(scope, t)).collect()
}

/// Whether `t` is one of the tasks [`in_scope`] keeps.
pub fn shown(scope: &Scope, t: &Task) -> bool {
    t.status != TaskStatus::Deleted && scope.context.projects.iter().any(|p| p.alias == t.project)
}
