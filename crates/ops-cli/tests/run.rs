//! `ops run` through the built binary: real repositories with bare origins, the
//! fake agent as the `command` runtime (or as Claude Code), the local-git
//! shipper, a real SQLite board. No network; tokens cleared from the environment.

use ops_testkit::{TempRepo, fake_agent, git_env};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod scoped;

/// A home, a state directory and a settings file of a test's own.
struct Setup {
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let s = Setup {
            tmp: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(s.home()).expect("home");
        s
    }

    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    fn state(&self) -> PathBuf {
        self.tmp.path().join("state")
    }

    /// `ops --state-dir <state> <args>` in `cwd`, stdin closed (no terminal).
    fn command(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut cmd = scoped::ops_command(cwd, &self.home());
        cmd.envs(git_env())
            .arg("--state-dir")
            .arg(self.state())
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(cwd, args)
            .output()
            .expect("the ops binary runs")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn explain(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// `<fake agent> --mode=<mode>` as one `--agent-cmd` value.
fn agent_cmd(mode: &str) -> String {
    format!("{} --mode={mode}", fake_agent().display())
}

/// A repository whose `.ops/todos.md` holds `todos` (committed and pushed).
fn repo_with_todos(todos: &str) -> TempRepo {
    let repo = TempRepo::new();
    repo.commit_file(".ops/todos.md", todos, "todos");
    repo.git(&["push", "--quiet", "origin", "dev"]);
    repo
}

/// The files of `reference` in the origin.
fn origin_files(repo: &TempRepo, reference: &str) -> Vec<String> {
    ops_testkit::git(&repo.origin(), &["ls-tree", "-r", "--name-only", reference])
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn a_planned_todo_is_run_merged_into_origins_dev_and_promoted_to_main() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down {#brief}\n");
    let main_before = repo.origin_rev("main");
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--subagents",
            "--force",
            "--agent",
            "command",
            "--agent-cmd",
            &agent_cmd("edit-commit"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let dev = origin_files(&repo, "dev");
    assert!(dev.contains(&"brief.txt".to_string()), "dev has {dev:?}");
    assert_ne!(
        repo.origin_rev("main"),
        main_before,
        "main was not promoted"
    );
    assert_eq!(repo.origin_rev("main"), repo.origin_rev("dev"));
}
