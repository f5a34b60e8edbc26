//! `ops audit`: every source over the projects in scope, read-only. A table
//! (PRIORITY, PROJECT, SOURCE, KIND, TITLE) or with `--json` the array of
//! findings (`source, kind, project, repo, title, detail, priority,
//! fingerprint`, plus `depends_on` and `paths` when not empty). A missing
//! checkout is a finding (exit 0). Source failures, remote sources that are
//! off and daemon health go to stderr, and the table's last line names the
//! sources that were not read; a failed source makes the exit code 4
//! (partial audit) after the findings are printed.

use super::scope::{self, Scope};
use super::sources;
use crate::cli::{GlobalArgs, Verbosity};
use crate::exit::CliError;
use crate::state_dir;
use ops_core::SqliteBoard;
use ops_core::audit::{AuditOptions, AuditReport, audit};
use ops_core::config::{DAEMON_SOURCE, daemon_findings, is_daemon_project};
use ops_core::model::Finding;
use ops_core::planner::raise_for_topics;
use std::io::Write;

/// Runs `ops audit`.
pub fn run(
    global: &GlobalArgs,
    project: Option<&str>,
    todos: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let scope = scope::load(global, project)?;
    let Audit { mut report, off } = collect(global, &scope, todos)?;
    // Shown with the priorities the plan would give them.
    for finding in &mut report.findings {
        *finding = raise_for_topics(finding, &scope.topics).0;
    }
    let text = if global.json {
        let mut text = serde_json::to_string_pretty(&report.findings)
            .expect("findings hold only strings and lists of them, which always encode");
        text.push('\n');
        text
    } else {
        table(&report.findings, &not_read(&report, &off))
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    warn(global, &scope, &report, &off, err)?;
    partial(&report)
}

/// What an audit gave: the report, and the remote sources that were off.
pub struct Audit {
    /// Findings, failures, and what was audited.
    pub report: AuditReport,
    /// One line per remote source turned off (its token found nowhere).
    pub off: Vec<String>,
}

/// Audit the scope with every source and the assigned `--todo` texts.
pub fn collect(global: &GlobalArgs, scope: &Scope, todos: &[String]) -> Result<Audit, CliError> {
    let todos = scope::assign_todos(todos, &scope.context)?;
    let projects = &scope.context.projects;
    let cache = if sources::needs_remote(projects) {
        Some(state_dir::open_board(global)?)
    } else {
        None
    };
    super::block_on(async {
        let board = match cache {
            Some(path) => Some(SqliteBoard::open(path).await?),
            None => None,
        };
        let (sources, off) =
            sources::all(todos, projects, &scope.settings, &scope.secrets, board).await;
        let mut report = audit(projects, &sources, &AuditOptions::default()).await;
        add_daemon_findings(&mut report, scope);
        Ok::<_, ops_core::Error>(Audit { report, off })
    })?
    .map_err(CliError::from)
}

/// The daemon's failures as findings of the registry's claude-ops project,
/// when it is in scope; that project counts as audited by the daemon source
/// then, so a service that recovers completes its task.
fn add_daemon_findings(report: &mut AuditReport, scope: &Scope) {
    for project in scope
        .context
        .projects
        .iter()
        .filter(|p| is_daemon_project(p))
    {
        report
            .findings
            .extend(daemon_findings(&scope.health, project));
        report
            .audited
            .insert((project.alias.clone(), DAEMON_SOURCE.to_owned()));
    }
}

/// Source failures, remote sources that are off and daemon health problems, on stderr.
pub fn warn(
    global: &GlobalArgs,
    scope: &Scope,
    report: &AuditReport,
    off: &[String],
    err: &mut dyn Write,
) -> Result<(), CliError> {
    if global.verbosity() == Verbosity::Quiet {
        return Ok(());
    }
    let mut text = String::new();
    for problem in scope.health.warnings.iter().chain(off) {
        text.push_str(&format!("ops: warning: {problem}\n"));
    }
    for e in &report.errors {
        text.push_str(&format!(
            "ops: {} ({}): {}\n",
            e.project, e.source, e.message
        ));
    }
    err.write_all(text.as_bytes()).map_err(CliError::Output)
}

/// Exit code 4 when a source failed.
pub fn partial(report: &AuditReport) -> Result<(), CliError> {
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::PartialAudit {
            failed: report.errors.len(),
        })
    }
}

const HEADER: [&str; 5] = ["PRIORITY", "PROJECT", "SOURCE", "KIND", "TITLE"];

/// What was configured but not read: each failed (project, source) run, and
/// each remote source that is off. Never "no findings" on their behalf.
fn not_read(report: &AuditReport, off: &[String]) -> Vec<String> {
    report
        .errors
        .iter()
        .map(|e| format!("{} for {}", e.source, e.project))
        .chain(off.iter().cloned())
        .collect()
}

fn table(findings: &[Finding], not_read: &[String]) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        (a.priority, &a.project, &a.title).cmp(&(b.priority, &b.project, &b.title))
    });
    let rows: Vec<[String; 5]> = sorted
        .iter()
        .map(|f| {
            [
                f.priority.to_string(),
                f.project.clone(),
                f.source.clone(),
                f.kind.clone(),
                super::one_line(&f.title, 120),
            ]
        })
        .collect();
    let mut text = super::columns(&HEADER, &rows);
    text.push_str(&match findings.len() {
        0 => "no findings\n".to_owned(),
        1 => "1 finding\n".to_owned(),
        n => format!("{n} findings\n"),
    });
    if !not_read.is_empty() {
        text.push_str(&format!(
            "not read ({}), so these findings may be incomplete: {}\n",
            not_read.len(),
            not_read.join("; ")
        ));
    }
    text
}
