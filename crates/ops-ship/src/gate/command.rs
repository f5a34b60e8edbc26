//! The project's quality-gate command, run in the task's worktree.
//!
//! The command is a shell line from the PROJECT'S CONFIGURATION (`quality_gate`
//! in the registry), never from a finding, a task description or an agent, so
//! running it through `sh -c` splices no untrusted text into a shell. It runs in
//! its own process group with an allow-listed environment (no tokens), is killed
//! whole when it exceeds its timeout (and whatever it left running is killed with
//! its group when it ends), and its exit status and the redacted tail of its
//! output are kept in the verdict. The files the command runs are dev's: when the
//! task changes any of them (`./check.sh` rewritten to `exit 0`), the command runs
//! in a scratch checkout of the task's tip with those files as on dev.

use super::GateBase;
use super::diff::{endpoints, repo_dir};
use super::gate_files::{changed_between, command_paths, overlay_base};
use super::secrets::redact;
use crate::scratch::Scratch;
use async_trait::async_trait;
use ops_core::model::{Project, Task};
use ops_core::seams::{GateVerdict, QualityGate, WorkRef};
use ops_core::{Error, ErrorKind, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Environment variables a gate command inherits; everything else is dropped.
pub const ALLOWED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TERM",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "CARGO_TARGET_DIR",
    "GOPATH",
    "GOCACHE",
    "NODE_PATH",
    "PYTHONPATH",
    "VIRTUAL_ENV",
];

/// How much of the output a verdict keeps.
const TAIL_BYTES: usize = 4096;

/// Runs each project's quality-gate command in the work's worktree.
#[derive(Debug, Clone)]
pub struct CommandGate {
    commands: BTreeMap<String, String>,
    fixed: Option<String>,
    timeout: Duration,
    base: GateBase,
}

impl CommandGate {
    /// Commands read from the projects' `quality_gate` settings, by alias. A task
    /// whose project has none passes with a verdict saying so.
    pub fn from_projects(projects: &[Project]) -> Self {
        CommandGate {
            commands: projects
                .iter()
                .filter_map(|p| Some((p.alias.clone(), p.quality_gate.clone()?)))
                .collect(),
            fixed: None,
            timeout: Duration::from_secs(30 * 60),
            base: GateBase::from_projects(projects),
        }
    }

    /// One command for every task (an embedding tool's own configuration).
    pub fn fixed(command: impl Into<String>) -> Self {
        CommandGate {
            commands: BTreeMap::new(),
            fixed: Some(command.into()),
            timeout: Duration::from_secs(30 * 60),
            base: GateBase::default(),
        }
    }

    /// Kills the command after `timeout` (default 30 min).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The configured command for `task`'s project.
    pub fn command_for(&self, task: &Task) -> Option<&str> {
        self.fixed
            .as_deref()
            .or_else(|| self.commands.get(&task.project).map(String::as_str))
    }

    /// Compares with `base`'s dev branches (default: each project's, else `dev`).
    pub fn with_base(mut self, base: GateBase) -> Self {
        self.base = base;
        self
    }

    /// Runs `command` on commit `head` of `repo`, in a scratch checkout, with the
    /// files the command runs as they are at `base` (the dev commit the work sits on).
    pub async fn run_at(
        &self,
        command: &str,
        repo: &Path,
        head: &str,
        base: &str,
    ) -> Result<GateVerdict> {
        let changed = changed_between(repo, base, head, &command_paths(command)).await?;
        let scratch = Scratch::at("quality-gate", repo, head).await?;
        let verdict = match overlay_base(scratch.dir(), base, &changed).await {
            Ok(()) => self.run_in(command, scratch.dir()).await,
            Err(e) => Err(e),
        };
        scratch.remove().await;
        Ok(with_overlay_note(verdict?, &changed))
    }

    /// Runs `command` in `dir` and judges it by its exit status.
    pub async fn run_in(&self, command: &str, dir: &Path) -> Result<GateVerdict> {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .current_dir(dir)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        for key in ALLOWED_ENV {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        let mut child = cmd.spawn().map_err(|e| {
            Error::backend(
                "quality-gate",
                "start the quality-gate command",
                ErrorKind::Fatal,
                format!("in {}: {e}", dir.display()),
            )
        })?;
        let pgid = child.id().and_then(|p| i32::try_from(p).ok());
        // The readers run on their own: a leftover background child can hold the
        // pipes open after the command itself has exited.
        let stdout = tokio::spawn(read_tail(child.stdout.take()));
        let stderr = tokio::spawn(read_tail(child.stderr.take()));
        let waited = tokio::time::timeout(self.timeout, child.wait()).await;
        // Whatever the command left running goes with its group (a no-op when none is left).
        if let Some(pid) = pgid {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        // A child that left the group (setsid) may hold the pipes: its output is given up.
        let aborts = (stdout.abort_handle(), stderr.abort_handle());
        let output = async {
            (
                stdout.await.unwrap_or_default(),
                stderr.await.unwrap_or_default(),
            )
        };
        let (out, err) = tokio::time::timeout(READ_GRACE, output)
            .await
            .unwrap_or_default();
        aborts.0.abort();
        aborts.1.abort();
        let command = redact(command);
        match waited {
            Ok(status) => {
                let status = status.map_err(|e| {
                    Error::backend(
                        "quality-gate",
                        "wait for the command",
                        ErrorKind::Fatal,
                        e.to_string(),
                    )
                })?;
                let tail = tail(&out, &err);
                let code = status
                    .code()
                    .map_or_else(|| "a signal".to_string(), |c| c.to_string());
                if status.success() {
                    Ok(GateVerdict::pass(format!("`{command}` exited 0\n{tail}")))
                } else {
                    Ok(GateVerdict::fail(format!(
                        "`{command}` exited with {code}\n{tail}"
                    )))
                }
            }
            Err(_) => Ok(GateVerdict::fail(format!(
                "`{command}` did not finish within {}s and was killed\n{}",
                self.timeout.as_secs(),
                tail(&out, &err)
            ))),
        }
    }
}

/// How long the output may still take to drain once the command's group is gone.
const READ_GRACE: Duration = Duration::from_secs(5);

/// Reads a pipe to its end, keeping only the last bytes (output is never unbounded in memory).
async fn read_tail<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    let Some(mut pipe) = pipe else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > 4 * TAIL_BYTES {
            kept.drain(..kept.len() - 2 * TAIL_BYTES);
        }
    }
    kept
}

fn tail(out: &[u8], err: &[u8]) -> String {
    let mut all = String::from_utf8_lossy(out).into_owned();
    if !err.is_empty() {
        all.push_str(&String::from_utf8_lossy(err));
    }
    let all = redact(all.trim_end());
    if all.len() <= TAIL_BYTES {
        return all;
    }
    let mut start = all.len() - TAIL_BYTES;
    while !all.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &all[start..])
}

#[async_trait]
impl QualityGate for CommandGate {
    fn name(&self) -> &str {
        "quality-gate"
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        let Some(command) = self.command_for(task) else {
            return Ok(GateVerdict::pass(format!(
                "project {} configures no quality-gate command",
                task.project
            )));
        };
        let repo = repo_dir(task, work);
        let Some(dir) = &work.worktree else {
            // No worktree: test exactly the branch tip, in a scratch checkout of it.
            let (_, base, head) = endpoints("quality-gate", &self.base, task, work).await?;
            return self.run_at(command, &repo, &head, &base).await;
        };
        if !dir.is_dir() {
            return Err(Error::backend(
                "quality-gate",
                "run the quality-gate command",
                ErrorKind::Invalid,
                format!("the worktree {} does not exist", dir.display()),
            ));
        }
        let (_, base, head) = endpoints("quality-gate", &self.base, task, work).await?;
        if changed_between(&repo, &base, &head, &command_paths(command))
            .await?
            .is_empty()
        {
            return self.run_in(command, dir).await;
        }
        self.run_at(command, &repo, &head, &base).await
    }
}

/// Says in the verdict which of the gate's files ran as on dev instead of the task's.
fn with_overlay_note(mut verdict: GateVerdict, changed: &[String]) -> GateVerdict {
    if !changed.is_empty() {
        verdict.detail = format!(
            "the task changes the gate's own files ({}): the gate ran them as on dev\n{}",
            changed.join(", "),
            verdict.detail
        );
    }
    verdict
}
