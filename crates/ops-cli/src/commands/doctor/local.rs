//! The local state items: claude-ops' side files (daemon health, preferences,
//! active topics) and ops' state directory with its board. Nothing is created:
//! a state directory or board that does not exist yet is said to be so.

use super::check::{Check, Status, plural};
use crate::cli::GlobalArgs;
use crate::state_dir;
use ops_core::config::{DaemonHealth, Env, Preferences, active_topics, claude_ops_dir};
use ops_core::model::Timestamp;
use ops_core::{SqliteBoard, TaskStore};
use std::path::Path;

/// Checks claude-ops' side files, found as the other commands find them.
pub fn claude_ops(env: &Env, registry: Option<&Path>, checks: &mut Vec<Check>) {
    let Some(dir) = claude_ops_dir(env, registry) else {
        checks.push(Check::new(
            "daemon health",
            Status::Info,
            "not checked: no claude-ops directory (CLAUDE_PLUGIN_DATA_DIR is unset and no registry was read)",
        ));
        return;
    };
    checks.push(daemon_health(&dir.join("daemon-health.json")));
    let preferences = dir.join("preferences.json");
    match Preferences::load(&preferences) {
        Ok(None) => {}
        Ok(Some(_)) => checks.push(Check::new(
            "preferences",
            Status::Ok,
            preferences.display().to_string(),
        )),
        Err(e) => checks.push(Check::new(
            "preferences",
            Status::Fail,
            format!("{e}: the commands that read it stop until it is fixed"),
        )),
    }
    let topics = dir.join("memories").join("topics_active.md");
    match active_topics(&topics) {
        Ok(found) if found.is_empty() => {}
        Ok(found) => checks.push(Check::new(
            "topics",
            Status::Ok,
            format!(
                "{}: {}",
                topics.display(),
                plural(found.len(), "active topic")
            ),
        )),
        Err(e) => checks.push(Check::new(
            "topics",
            Status::Fail,
            format!("{e}: the commands that read it stop until it is fixed"),
        )),
    }
}

/// `daemon-health.json`: ok, stale or unhealthy (a warning: the audit makes
/// a finding of a failed service, `ops run` still runs), absent (a fact), or
/// unreadable (a warning too: health is advice).
fn daemon_health(path: &Path) -> Check {
    let name = "daemon health";
    match DaemonHealth::load(path) {
        Ok(None) => Check::new(
            name,
            Status::Info,
            format!(
                "absent ({}): claude-ops' daemon is not used",
                path.display()
            ),
        ),
        Ok(Some(health)) => {
            let problems = health.report(Timestamp::now()).warnings;
            if problems.is_empty() {
                Check::new(
                    name,
                    Status::Ok,
                    format!(
                        "healthy: {} ({})",
                        plural(health.services.len(), "service"),
                        path.display()
                    ),
                )
            } else {
                Check::new(
                    name,
                    Status::Warn,
                    format!(
                        "{}; `ops audit` reports it, `ops run` still runs",
                        problems.join("; ")
                    ),
                )
            }
        }
        Err(e) => Check::new(
            name,
            Status::Warn,
            format!("{e}: ops cannot tell the daemon's health"),
        ),
    }
}

/// Checks the state directory (where, writable) and the board in it.
pub async fn state(global: &GlobalArgs, checks: &mut Vec<Check>) {
    let dir = match state_dir::resolve(global.state_dir.as_deref(), |n| std::env::var_os(n)) {
        Ok(dir) => dir,
        Err(e) => {
            checks.push(Check::new("state dir", Status::Fail, e.to_string()));
            return;
        }
    };
    let exists = dir.exists();
    checks.push(state_dir_line(&dir, exists));
    let board = state_dir::board_path(&dir);
    if !exists || !board.exists() {
        checks.push(Check::new(
            "board",
            Status::Info,
            format!(
                "not created yet ({}): `ops plan` or `ops run` creates it",
                board.display()
            ),
        ));
        return;
    }
    let listed = async {
        let opened = SqliteBoard::open(&board).await?;
        opened.list().await
    };
    checks.push(match listed.await {
        Ok(tasks) => Check::new(
            "board",
            Status::Ok,
            format!("{}: {}", board.display(), plural(tasks.len(), "task")),
        ),
        Err(e) => Check::new("board", Status::Fail, e.to_string()),
    });
}

/// Where the state directory is and whether ops can write there (or create
/// it, when it does not exist yet).
fn state_dir_line(dir: &Path, exists: bool) -> Check {
    let name = "state dir";
    if exists && !dir.is_dir() {
        return Check::new(
            name,
            Status::Fail,
            format!(
                "{} is not a directory: pass --state-dir DIR or set OPS_STATE_DIR",
                dir.display()
            ),
        );
    }
    // The nearest directory that exists is where something would be written.
    let Some(existing) = dir.ancestors().find(|a| a.is_dir()) else {
        return Check::new(
            name,
            Status::Fail,
            format!("{}: none of its parents exists", dir.display()),
        );
    };
    match tempfile::tempfile_in(existing) {
        Ok(_) if exists => Check::new(name, Status::Ok, format!("{} (writable)", dir.display())),
        Ok(_) => Check::new(
            name,
            Status::Ok,
            format!(
                "{} (not created yet; ops creates it on first use)",
                dir.display()
            ),
        ),
        Err(e) => Check::new(
            name,
            Status::Fail,
            format!(
                "{} cannot be written ({}: {e}): pass --state-dir DIR or set OPS_STATE_DIR",
                dir.display(),
                existing.display()
            ),
        ),
    }
}
