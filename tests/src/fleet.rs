//! A fleet: several real repositories (each a bare `origin.git` and a clone on
//! `dev`), a registry naming them in the template shape with ops' own keys, a home,
//! a state directory and an agent journal, all in temp dirs; and the `ops` command
//! run over them with every variable ops reads cleared, no terminal.

use crate::binaries;
use crate::git::git_try;
use ops_core::model::Task;
use ops_core::{SqliteBoard, TaskStore};
use ops_testkit::{TempRepo, git_env};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The quality gate every project of a fleet runs: `check.sh` is committed in each
/// repository (see [`CHECK_SCRIPT`]).
pub const QUALITY_GATE: &str = "sh check.sh";

/// The quality-gate script: the README is there, and every change file says
/// `done: <its own name>` — a change file with anything else fails the gate.
pub const CHECK_SCRIPT: &str = r#"#!/bin/sh
# The project's quality gate (ops runs it in the worktree and on the merged result).
test -f README.md || { echo "README.md is missing" >&2; exit 1; }
for f in changes/*.txt; do
    [ -e "$f" ] || continue
    id=$(basename "$f" .txt)
    if [ "$(cat "$f")" != "done: $id" ]; then
        echo "$f does not say 'done: $id'" >&2
        exit 1
    fi
done
echo "gate passed"
"#;

/// One todo of a project's `.ops/todos.md`: `- [ ] <title> {#key} (after: <after>)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Todo {
    /// The project alias.
    pub alias: &'static str,
    /// Its id in the todos file.
    pub key: &'static str,
    /// Its text (the task's title).
    pub title: &'static str,
    /// The todo it must come after, if any.
    pub after: Option<&'static str>,
}

impl Todo {
    /// The checklist line.
    pub fn line(&self) -> String {
        match self.after {
            Some(after) => format!("- [ ] {} {{#{}}} (after: {after})\n", self.title, self.key),
            None => format!("- [ ] {} {{#{}}}\n", self.title, self.key),
        }
    }

    /// The task on `board` planned from this todo.
    pub fn task<'b>(&self, board: &'b [Task]) -> Option<&'b Task> {
        board
            .iter()
            .find(|t| t.project == self.alias && t.title.contains(self.title))
    }
}

/// Repositories, registry, home, state directory and journal in temp dirs.
pub struct Fleet {
    dir: tempfile::TempDir,
    repos: Vec<(String, TempRepo)>,
}

impl Fleet {
    /// Builds one repository per alias of `todos` (in order of appearance):
    /// `check.sh` and its `.ops/todos.md` committed on dev and pushed (so origin's
    /// dev is one commit ahead of main), then a registry with `dev_branch: dev`,
    /// `main_branch: main`, `ship: local` and [`QUALITY_GATE`] for each.
    pub fn new(todos: &[Todo]) -> Fleet {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        let mut repos = Vec::new();
        let mut projects = Vec::new();
        let mut aliases: Vec<&str> = Vec::new();
        for t in todos {
            if !aliases.contains(&t.alias) {
                aliases.push(t.alias);
            }
        }
        for alias in aliases {
            let repo = TempRepo::new();
            let body: String = todos
                .iter()
                .filter(|t| t.alias == alias)
                .map(Todo::line)
                .collect();
            repo.write("check.sh", CHECK_SCRIPT);
            repo.write(".ops/todos.md", &format!("# Todos\n{body}"));
            repo.git(&["add", "--", "check.sh", ".ops/todos.md"]);
            repo.git(&["commit", "--quiet", "-m", "the quality gate and the todos"]);
            repo.git(&["push", "--quiet", "origin", "dev"]);
            projects.push(serde_json::json!({
                "alias": alias,
                "paths": [repo.work()],
                "repos": [],
                "type": "service",
                "priority": "normal",
                "dev_branch": "dev",
                "main_branch": "main",
                "ship": "local",
                "quality_gate": QUALITY_GATE,
            }));
            repos.push((alias.to_string(), repo));
        }
        let registry = serde_json::json!({
            "version": 1,
            "owner": "e2e",
            "projects": projects,
        });
        std::fs::write(
            dir.path().join("registry.json"),
            serde_json::to_string_pretty(&registry).expect("JSON"),
        )
        .expect("write the registry");
        Fleet { dir, repos }
    }

    /// The repositories with their aliases, in the order given.
    pub fn repos(&self) -> impl Iterator<Item = (&str, &TempRepo)> {
        self.repos.iter().map(|(a, r)| (a.as_str(), r))
    }

    /// The repository of project `alias`.
    pub fn repo(&self, alias: &str) -> &TempRepo {
        self.repos
            .iter()
            .find(|(a, _)| a == alias)
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("no repository {alias} in the fleet"))
    }

    /// The home directory ops runs with (and its working directory: not a git
    /// checkout, so the context is GLOBAL over the registry).
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The state directory (`--state-dir`).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The registry file (`--registry`).
    pub fn registry(&self) -> PathBuf {
        self.dir.path().join("registry.json")
    }

    /// Where the fake agents append their journal (`--journal=`).
    pub fn journal(&self) -> PathBuf {
        self.dir.path().join("agents.journal")
    }

    /// A scratch directory for the scenario's own files (run logs).
    pub fn scratch(&self) -> PathBuf {
        let d = self.dir.path().join("scratch");
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    /// `ops --registry R --state-dir S --json <args>` run in the home directory,
    /// with HOME set to it, ops' variables and tokens cleared, git isolated from
    /// the machine's configuration, stdin closed (no terminal).
    pub fn ops(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binaries::ops());
        for var in [
            "OPS_STATE_DIR",
            "OPS_REGISTRY",
            "OPS_CONFIG",
            "XDG_STATE_HOME",
            "XDG_CONFIG_HOME",
            "CLAUDE_PLUGIN_DATA_DIR",
            "CLAUDE_PLUGIN_ROOT",
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "SENTRY_AUTH_TOKEN",
            "LINEAR_API_KEY",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(git_env())
            .env("HOME", self.home())
            .current_dir(self.home())
            .stdin(Stdio::null())
            .arg("--registry")
            .arg(self.registry())
            .arg("--state-dir")
            .arg(self.state_dir())
            .arg("--json")
            .args(args);
        cmd
    }

    /// `ops run --subagents --force <run_args>` with the fake agent as the
    /// `command` runtime, started as
    /// `fake-agent --mode=task-file --journal=<journal> <agent_args>`.
    pub fn run(&self, agent_args: &str, run_args: &[&str]) -> Command {
        let agent_cmd = format!(
            "{} --mode=task-file --journal={} {agent_args}",
            binaries::fake_agent().display(),
            self.journal().display()
        );
        let mut args = vec![
            "run",
            "--subagents",
            "--force",
            "--agent",
            "command",
            "--agent-cmd",
            &agent_cmd,
        ];
        args.extend_from_slice(run_args);
        self.ops(&args)
    }

    /// The board file in the state directory.
    pub fn board_path(&self) -> PathBuf {
        self.state_dir().join("board.sqlite")
    }

    /// Every task on the board (none when there is no board yet).
    pub fn board(&self) -> Vec<Task> {
        let path = self.board_path();
        if !path.exists() {
            return Vec::new();
        }
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let board = SqliteBoard::open(&path).await.expect("open the board");
                board.list().await.expect("list the board")
            })
    }

    /// The project alias whose checkout `path` is in (its clone or a worktree under it).
    pub fn alias_of(&self, path: &Path) -> Option<&str> {
        self.repos
            .iter()
            .find(|(_, r)| path.starts_with(r.work()))
            .map(|(a, _)| a.as_str())
    }

    /// `git` in the clone of `alias`, as a result instead of a panic.
    pub fn git(&self, alias: &str, args: &[&str]) -> Result<String, String> {
        git_try(&self.repo(alias).work(), args)
    }
}

/// A finished (or killed) `ops` process: its exit status and what it printed.
#[derive(Debug)]
pub struct Ran {
    /// Its exit status.
    pub status: std::process::ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A started `ops` process whose output goes to files (no pipe can fill up and
/// stall it), killed on drop if still running.
pub struct Started {
    child: std::process::Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Started {
    /// Starts `cmd`, its output going to `<dir>/<name>.out` and `<dir>/<name>.err`.
    pub fn spawn(mut cmd: Command, dir: &Path, name: &str) -> Started {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = cmd
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("start ops");
        Started {
            child,
            stdout,
            stderr,
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// What it has printed on stdout so far.
    pub fn stdout_so_far(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Waits up to `limit` for the process to end by itself: `Some` if it did.
    pub fn wait_for(&mut self, limit: std::time::Duration) -> Option<Ran> {
        let until = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll ops") {
                return Some(self.ran(status));
            }
            if std::time::Instant::now() >= until {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// `kill -9` (SIGKILL), then what it printed until then.
    pub fn kill(mut self) -> Ran {
        let _ = self.child.kill();
        let status = self.child.wait().expect("reap ops");
        self.ran(status)
    }

    /// Waits for the end; panics (killing it) after `limit`, with what it printed.
    pub fn finish(mut self, limit: std::time::Duration) -> Ran {
        if let Some(ran) = self.wait_for(limit) {
            return ran;
        }
        let ran = self.kill();
        panic!(
            "ops did not finish within {}s\nstdout:\n{}\nstderr:\n{}",
            limit.as_secs(),
            ran.stdout,
            ran.stderr
        );
    }

    fn ran(&self, status: std::process::ExitStatus) -> Ran {
        Ran {
            status,
            stdout: std::fs::read_to_string(&self.stdout).unwrap_or_default(),
            stderr: std::fs::read_to_string(&self.stderr).unwrap_or_default(),
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
