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

    /// Writes `$HOME/.config/ops/config.toml`.
    fn settings(&self, text: &str) {
        let dir = self.home().join(".config").join("ops");
        std::fs::create_dir_all(&dir).expect("config dir");
        std::fs::write(dir.join("config.toml"), text).expect("settings");
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

    /// `ops run --subagents --force` with the command runtime `agent`, started in
    /// `cwd` with stdout and stderr piped, for a test that signals or reads it.
    fn spawn_run(&self, cwd: &Path, agent: &str) -> std::process::Child {
        self.command(
            cwd,
            &[
                "run",
                "--subagents",
                "--force",
                "--agent",
                "command",
                "--agent-cmd",
                agent,
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ops starts")
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

#[test]
fn run_with_repeated_todo_flags_plans_runs_and_ships_each_todo_as_its_own_task() {
    let s = Setup::new();
    // No todos file: the work comes from the command line only.
    let repo = TempRepo::new();
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--subagents",
            "--force",
            "--todo",
            "Write the first note",
            "--todo",
            "Write the second note",
            "--agent",
            "command",
            "--agent-cmd",
            &agent_cmd("task-file"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let tasks = board(&s, &repo.work());
    let mut titles: Vec<(&str, &str)> = tasks
        .iter()
        .filter_map(|t| Some((t["title"].as_str()?, t["status"].as_str()?)))
        .collect();
    titles.sort_unstable();
    assert_eq!(
        titles,
        [
            ("Write the first note", "completed"),
            ("Write the second note", "completed")
        ],
        "{tasks:#?}"
    );
    let dev = origin_files(&repo, "dev");
    for task in &tasks {
        let file = format!("changes/{}.txt", task["id"].as_str().expect("id"));
        assert!(dev.contains(&file), "{file} not on dev: {dev:?}");
    }
}

/// The board as `ops --json status` shows it.
fn board(s: &Setup, cwd: &Path) -> Vec<serde_json::Value> {
    let out = s.run(cwd, &["--json", "status"]);
    assert!(out.status.success(), "{}", explain(&out));
    serde_json::from_slice(&out.stdout).expect("status --json is a JSON array")
}

#[test]
fn without_a_mode_flag_or_a_terminal_run_exits_2_naming_the_mode_flags() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Something to do\n");
    let out = s.run(
        &repo.work(),
        &["run", "--agent", "command", "--agent-cmd", "true"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    let err = text(&out.stderr);
    for flag in ["--subagents", "--teams", "--hybrid", "--dry-run"] {
        assert!(err.contains(flag), "{flag} not named: {err}");
    }
    assert!(
        !s.state().join("board.sqlite").exists(),
        "nothing was planned before the mode was known"
    );
}

#[test]
fn the_command_runtime_without_a_command_exits_2_naming_agent_cmd() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Something to do\n");
    let out = s.run(&repo.work(), &["run", "--hybrid", "--agent", "command"]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("--agent-cmd"),
        "{}",
        explain(&out)
    );
}

#[test]
fn the_engine_section_of_the_settings_file_is_used_and_a_flag_overrides_it() {
    let settings = format!(
        "[engine]\nagent = \"command\"\nagent_cmd = \"{}\"\nmax_attempts = 1\n",
        agent_cmd("exit:3")
    );
    // From the file: the failing agent, given one attempt.
    let s = Setup::new();
    s.settings(&settings);
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let out = s.run(&repo.work(), &["run", "--subagents", "--force"]);
    assert_eq!(out.status.code(), Some(5), "{}", explain(&out));
    let tasks = board(&s, &repo.work());
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    assert_eq!(tasks[0]["status"], "blocked", "{tasks:#?}");
    assert_eq!(tasks[0]["attempts"], 1, "max_attempts = 1 from the file");

    // The same file, and --agent-cmd naming an agent that works.
    let s = Setup::new();
    s.settings(&settings);
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--subagents",
            "--force",
            "--agent-cmd",
            &agent_cmd("edit-commit"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

#[test]
fn with_no_main_the_work_lands_on_dev_and_main_is_left_alone() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let main_before = repo.origin_rev("main");
    let dev_before = repo.origin_rev("dev");
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--hybrid",
            "--force",
            "--no-main",
            "--agent",
            "command",
            "--agent-cmd",
            &agent_cmd("edit-commit"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert_ne!(repo.origin_rev("dev"), dev_before, "nothing merged to dev");
    assert_eq!(repo.origin_rev("main"), main_before, "main moved");
}

/// Waits until a file appears in `dir` (an agent started), up to a minute.
fn wait_for_a_file_in(dir: &Path, child: &mut std::process::Child) {
    for _ in 0..600 {
        if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("ops ended before an agent started: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no agent started within a minute");
}

#[test]
fn two_sigints_stop_the_run_with_130_and_the_next_run_finishes_the_work() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let started = s.tmp.path().join("started");
    std::fs::create_dir_all(&started).expect("start log dir");
    let hanging = format!(
        "{} --mode=hang --start-log={}",
        fake_agent().display(),
        started.display()
    );
    let mut child = s.spawn_run(&repo.work(), &hanging);
    wait_for_a_file_in(&started, &mut child);
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits"));
    kill(pid, Signal::SIGINT).expect("first SIGINT");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the first Ctrl-C let the running agent go on"
    );
    kill(pid, Signal::SIGINT).expect("second SIGINT");
    let out = child.wait_with_output().expect("ops ends");
    assert_eq!(out.status.code(), Some(130), "{}", explain(&out));
    assert!(
        text(&out.stdout).contains("interrupted: no more agents start"),
        "{}",
        explain(&out)
    );
    let tasks = board(&s, &repo.work());
    assert_ne!(tasks[0]["status"], "completed", "{tasks:#?}");
    let id = tasks[0]["id"].as_str().expect("id");
    assert!(
        repo.work().join(".worktrees").join(id).is_dir(),
        "the unfinished task's worktree was kept"
    );

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
    let tasks = board(&s, &repo.work());
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    assert_eq!(tasks[0]["status"], "completed", "{tasks:#?}");
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

#[test]
fn with_project_only_that_projects_tasks_run_and_the_others_stay_pending() {
    let s = Setup::new();
    let (a, b) = (
        repo_with_todos("- [ ] Write the brief down in a\n"),
        repo_with_todos("- [ ] Write the brief down in b\n"),
    );
    let registry = s.tmp.path().join("registry.json");
    std::fs::write(
        &registry,
        serde_json::json!({"projects": [
            {"alias": "a", "paths": [a.work()]},
            {"alias": "b", "paths": [b.work()]},
        ]})
        .to_string(),
    )
    .expect("registry");
    let registry = registry.to_str().expect("utf8 temp path");
    // GLOBAL: outside any checkout.
    let outside = s.tmp.path().to_path_buf();
    let planned = s.run(&outside, &["--registry", registry, "plan"]);
    assert!(planned.status.success(), "{}", explain(&planned));
    let b_dev = b.origin_rev("dev");
    let out = s.run(
        &outside,
        &[
            "--registry",
            registry,
            "run",
            "--project",
            "a",
            "--subagents",
            "--force",
            "--agent",
            "command",
            "--agent-cmd",
            &agent_cmd("edit-commit"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(origin_files(&a, "dev").contains(&"brief.txt".to_string()));
    assert_eq!(b.origin_rev("dev"), b_dev, "project b's dev moved");
    let tasks = board(&s, &outside);
    let status_of = |project: &str| {
        tasks
            .iter()
            .find(|t| t["project"] == project)
            .map(|t| t["status"].clone())
            .unwrap_or_else(|| panic!("no task of {project}: {tasks:#?}"))
    };
    assert_eq!(status_of("a"), "completed");
    assert_eq!(status_of("b"), "pending");
}

#[test]
fn once_agents_report_spending_the_budget_no_further_task_is_dispatched() {
    let s = Setup::new();
    // Two independent todos; one agent at a time; the fake agent speaks Claude
    // Code's protocol and reports $0.01 per turn, more than the whole budget.
    let repo = repo_with_todos("- [ ] First todo\n- [ ] Second todo\n");
    let claude = fake_agent().display().to_string();
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--subagents",
            "--force",
            "--max-agents",
            "1",
            "--agent",
            "claude",
            "--agent-cmd",
            &claude,
            "--budget-usd",
            "0.005",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let tasks = board(&s, &repo.work());
    let mut statuses: Vec<String> = tasks
        .iter()
        .map(|t| t["status"].as_str().expect("status").to_owned())
        .collect();
    statuses.sort();
    assert_eq!(statuses, vec!["completed", "pending"], "{tasks:#?}");
}

#[test]
fn a_github_project_without_a_token_ships_through_local_git_and_says_so() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let registry = s.tmp.path().join("registry.json");
    std::fs::write(
        &registry,
        serde_json::json!({"projects": [
            {"alias": "api", "paths": [repo.work()], "repos": ["acme/api"]},
        ]})
        .to_string(),
    )
    .expect("registry");
    let out = s.run(
        s.tmp.path(),
        &[
            "--registry",
            registry.to_str().expect("utf8 temp path"),
            "run",
            "--teams",
            "--force",
            "--agent",
            "command",
            "--agent-cmd",
            &agent_cmd("edit-commit"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let err = text(&out.stderr);
    assert_eq!(
        err.matches("api ship through local git").count(),
        1,
        "said once: {err}"
    );
    assert!(
        err.contains("the command runtime cannot be steered (ops gives the program its brief")
            && err.contains("): team tasks run as subagents"),
        "{err}"
    );
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

#[test]
fn one_sigterm_lets_the_running_agent_finish_and_ends_the_run_with_130() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let started = s.tmp.path().join("started");
    std::fs::create_dir_all(&started).expect("start log dir");
    let slow = format!(
        "{} --mode=edit-commit --sleep-ms=1500 --start-log={}",
        fake_agent().display(),
        started.display()
    );
    let mut child = s.spawn_run(&repo.work(), &slow);
    wait_for_a_file_in(&started, &mut child);
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
    let out = child.wait_with_output().expect("ops ends by itself");
    assert_eq!(out.status.code(), Some(130), "{}", explain(&out));
    // The agent was let finish, and what it did was audited and shipped.
    let tasks = board(&s, &repo.work());
    assert_eq!(tasks[0]["status"], "completed", "{tasks:#?}");
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

#[test]
fn a_reader_that_closes_stdout_early_does_not_stop_the_run_and_the_work_ships() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let mut child = s.spawn_run(&repo.work(), &agent_cmd("edit-commit"));
    // `ops run | head -0`: the reader is gone before the first line.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("ops ends");
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let tasks = board(&s, &repo.work());
    assert_eq!(tasks[0]["status"], "completed", "{tasks:#?}");
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

/// `ops run <args>` on a pseudo-terminal (util-linux `script`), typing `typed`.
fn run_on_a_terminal(s: &Setup, repo: &TempRepo, args: &[&str], typed: &str) -> Output {
    run_on_a_terminal_to(s, repo, args, typed, None)
}

/// [`run_on_a_terminal`], with ops' stdout redirected to `stdout_to` when given
/// (stdin and stderr stay on the terminal).
fn run_on_a_terminal_to(
    s: &Setup,
    repo: &TempRepo,
    args: &[&str],
    typed: &str,
    stdout_to: Option<&Path>,
) -> Output {
    use std::io::Write as _;
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let ops = env!("CARGO_BIN_EXE_ops");
    let state = s.state();
    let mut line = vec![
        quote(ops),
        "--state-dir".into(),
        quote(&state.to_string_lossy()),
    ];
    line.extend(args.iter().map(|a| quote(a)));
    if let Some(file) = stdout_to {
        line.push(format!(">{}", quote(&file.to_string_lossy())));
    }
    // `script` runs the line in a shell on a new terminal; our stdin is typed
    // there. It gets the environment `ops_command` sets up.
    let mut script = Command::new("script");
    script.args(["-qec", &line.join(" "), "/dev/null"]);
    for (name, value) in scoped::ops_command(&repo.work(), &s.home()).get_envs() {
        match value {
            Some(v) => script.env(name, v),
            None => script.env_remove(name),
        };
    }
    let mut child = script
        .envs(git_env())
        .current_dir(repo.work())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs (it gives ops a terminal)");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(typed.as_bytes())
        .expect("type the answers");
    child.wait_with_output().expect("script ends")
}

#[test]
fn on_a_terminal_run_asks_how_to_run_and_merges_only_after_a_yes() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let cmd = agent_cmd("edit-commit");
    let args = ["run", "--agent", "command", "--agent-cmd", cmd.as_str()];
    let dev_before = repo.origin_rev("dev");
    let no = run_on_a_terminal(&s, &repo, &args, "s\nn\n");
    let shown = text(&no.stdout);
    assert!(shown.contains("Run how? [s]ubagents"), "{}", explain(&no));
    assert!(
        shown.contains("? [y/N]") && shown.contains("merge ops/"),
        "{}",
        explain(&no)
    );
    assert_eq!(
        no.status.code(),
        Some(5),
        "a no blocks the task: {}",
        explain(&no)
    );
    assert_eq!(repo.origin_rev("dev"), dev_before, "merged after a no");

    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let yes = run_on_a_terminal(&s, &repo, &args, "h\ny\n");
    assert_eq!(yes.status.code(), Some(0), "{}", explain(&yes));
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

#[test]
fn with_stdout_piped_the_merge_question_is_asked_on_the_terminal() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let cmd = agent_cmd("edit-commit");
    let piped = s.tmp.path().join("run.jsonl");
    let args = [
        "--json",
        "run",
        "--subagents",
        "--agent",
        "command",
        "--agent-cmd",
        cmd.as_str(),
    ];
    let yes = run_on_a_terminal_to(&s, &repo, &args, "y\n", Some(&piped));
    let terminal = text(&yes.stdout);
    assert!(
        terminal.contains("? [y/N]") && terminal.contains("merge ops/"),
        "the question never reached the terminal: {}\npiped:\n{}",
        explain(&yes),
        std::fs::read_to_string(&piped).unwrap_or_default()
    );
    assert_eq!(yes.status.code(), Some(0), "{}", explain(&yes));
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

#[test]
fn two_ctrl_cs_end_the_run_while_a_merge_question_waits_nothing_merges_and_the_next_run_ships() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    use std::time::{Duration, Instant};
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let dev_before = repo.origin_rev("dev");
    let events = s.tmp.path().join("events.jsonl");
    let pid_file = s.tmp.path().join("ops.pid");
    let quote = |p: &Path| format!("'{}'", p.to_string_lossy().replace('\'', r"'\''"));
    let cmd = agent_cmd("edit-commit");
    // On a terminal (stdin and stderr), the shell's pid becomes ops' (exec),
    // stdout into a file; nobody types an answer (stdin stays open, empty).
    let line = format!(
        "echo $$ >{}; exec '{}' --state-dir {} --json run --subagents --agent command --agent-cmd '{}' >{}",
        quote(&pid_file),
        env!("CARGO_BIN_EXE_ops"),
        quote(&s.state()),
        cmd,
        quote(&events),
    );
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for (name, value) in scoped::ops_command(&repo.work(), &s.home()).get_envs() {
        match value {
            Some(v) => script.env(name, v),
            None => script.env_remove(name),
        };
    }
    let mut child = script
        .envs(git_env())
        .current_dir(repo.work())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs (it gives ops a terminal)");
    let asked = Instant::now();
    while !std::fs::read_to_string(&events).is_ok_and(|t| t.contains("[y/N]")) {
        assert!(
            asked.elapsed() < Duration::from_secs(60),
            "no merge question within a minute"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("ended before asking: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    for _ in 0..2 {
        kill(Pid::from_raw(pid), Signal::SIGINT).expect("SIGINT");
        std::thread::sleep(Duration::from_millis(300));
    }
    let stopped = Instant::now();
    let ended = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if stopped.elapsed() > Duration::from_secs(20) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Typing an answer now lets a hung run end (and shows what it did).
    let _ = child.stdin.take().map(|mut i| {
        use std::io::Write as _;
        i.write_all(b"y\n")
    });
    let out = child.wait_with_output().expect("script ends");
    let shown = std::fs::read_to_string(&events).unwrap_or_default();
    assert!(
        ended.is_some(),
        "two Ctrl-Cs did not end the run while a merge question waited: {}\n{shown}",
        explain(&out)
    );
    assert_eq!(out.status.code(), Some(130), "{}\n{shown}", explain(&out));
    assert_eq!(
        repo.origin_rev("dev"),
        dev_before,
        "merged after two Ctrl-Cs"
    );
    let tasks = board(&s, &repo.work());
    assert_ne!(tasks[0]["status"], "completed", "{tasks:#?}");
    // The board is consistent: the next run takes the task up and ships it.
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--subagents",
            "--force",
            "--agent",
            "command",
            "--agent-cmd",
            &cmd,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let tasks = board(&s, &repo.work());
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    assert_eq!(tasks[0]["status"], "completed", "{tasks:#?}");
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

#[test]
fn on_a_terminal_narrower_than_120_columns_without_columns_set_no_table_line_wraps() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let cmd = agent_cmd("edit-commit");
    // A 60-column terminal; shells do not export COLUMNS.
    let line = format!(
        "stty cols 60 rows 30; exec '{}' --state-dir '{}' run --subagents --force --agent command --agent-cmd '{cmd}'",
        env!("CARGO_BIN_EXE_ops"),
        s.state().display(),
    );
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for (name, value) in scoped::ops_command(&repo.work(), &s.home()).get_envs() {
        match value {
            Some(v) => script.env(name, v),
            None => script.env_remove(name),
        };
    }
    let out = script
        .envs(git_env())
        .env_remove("COLUMNS")
        .env_remove("LINES")
        .current_dir(repo.work())
        .stdin(Stdio::piped())
        .output()
        .expect("util-linux `script` runs (it gives ops a terminal)");
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let shown = text(&out.stdout);
    let table: Vec<String> = shown
        .split(['\n', '\r'])
        .map(|l| l.replace("\x1b[J", ""))
        .map(|l| match l.find("A") {
            Some(i) if l.starts_with("\x1b[") => l[i + 1..].to_string(),
            _ => l,
        })
        .filter(|l| {
            l.starts_with("work-todo-") || l.starts_with("TASK") || l.starts_with("ops run ·")
        })
        .collect();
    assert!(!table.is_empty(), "no table drawn: {}", explain(&out));
    let wide: Vec<&String> = table.iter().filter(|l| l.chars().count() > 60).collect();
    assert!(wide.is_empty(), "lines wider than the terminal: {wide:#?}");
}

#[test]
fn with_json_every_line_is_one_json_object_and_the_last_is_the_report() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let out = s.run(
        &repo.work(),
        &[
            "--json",
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
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l["event"].as_str().expect("every line names its event"))
        .collect();
    assert_eq!(kinds.first(), Some(&"run_started"), "{kinds:?}");
    assert!(kinds.contains(&"merge_attempted"), "{kinds:?}");
    let report = lines.last().expect("a report");
    assert_eq!(report["event"], "report");
    assert_eq!(report["halt"], "all_done");
    assert_eq!(report["mode"], "subagents");
    assert_eq!(report["shipped"].as_array().map(Vec::len), Some(1));
}

#[test]
fn teams_on_a_steerable_runtime_run_without_falling_back_and_ship() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let claude = fake_agent().display().to_string();
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--teams",
            "--force",
            "--agent",
            "claude",
            "--agent-cmd",
            &claude,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        !text(&out.stderr).contains("cannot be steered"),
        "{}",
        explain(&out)
    );
    let tasks = board(&s, &repo.work());
    assert_eq!(tasks[0]["mode"], "team", "{tasks:#?}");
    assert_eq!(tasks[0]["status"], "completed", "{tasks:#?}");
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}

#[test]
fn max_waves_runs_only_the_first_waves_and_ends_with_success() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] First step {#first}\n- [ ] Second step (after: first)\n");
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--subagents",
            "--force",
            "--max-waves",
            "1",
            "--agent",
            "command",
            "--agent-cmd",
            &agent_cmd("edit-commit"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let tasks = board(&s, &repo.work());
    let status_of = |title: &str| {
        tasks
            .iter()
            .find(|t| t["title"] == title)
            .map(|t| t["status"].clone())
            .unwrap_or_else(|| panic!("no task {title}: {tasks:#?}"))
    };
    assert_eq!(status_of("First step"), "completed");
    assert_eq!(status_of("Second step"), "pending");
}

#[test]
fn fires_only_runs_the_p0_todo_and_leaves_the_rest_alone() {
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Put out the fire [P0]\n- [ ] Tidy the docs [P3]\n");
    let out = s.run(
        &repo.work(),
        &[
            "run",
            "--subagents",
            "--force",
            "--fires-only",
            "--agent",
            "command",
            "--agent-cmd",
            &agent_cmd("edit-commit"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let tasks = board(&s, &repo.work());
    let fire = tasks.iter().find(|t| t["title"] == "Put out the fire");
    assert_eq!(
        fire.map(|t| &t["status"]),
        Some(&"completed".into()),
        "{tasks:#?}"
    );
    assert!(
        tasks
            .iter()
            .filter(|t| t["title"] == "Tidy the docs")
            .all(|t| t["status"] == "pending"),
        "{tasks:#?}"
    );
}

#[test]
fn unattended_changes_wait_for_confirmation_unless_claude_ops_yolo_is_on() {
    let agent = agent_cmd("edit-commit");
    let args = [
        "run",
        "--subagents",
        "--agent",
        "command",
        "--agent-cmd",
        agent.as_str(),
    ];
    // No terminal, no --force: the green change stays open, the task waits.
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let dev = repo.origin_rev("dev");
    let out = s.run(&repo.work(), &args);
    assert_eq!(out.status.code(), Some(5), "{}", explain(&out));
    assert!(
        text(&out.stdout).contains("awaiting confirmation"),
        "{}",
        explain(&out)
    );
    assert_eq!(repo.origin_rev("dev"), dev, "merged without confirmation");

    // claude-ops' preferences say yolo: merged without asking.
    let s = Setup::new();
    let repo = repo_with_todos("- [ ] Write the brief down\n");
    let data = s.tmp.path().join("plugin-data");
    std::fs::create_dir_all(&data).expect("plugin data dir");
    std::fs::write(data.join("preferences.json"), r#"{"yolo_enabled": true}"#)
        .expect("preferences");
    let out = s
        .command(&repo.work(), &args)
        .env("CLAUDE_PLUGIN_DATA_DIR", &data)
        .output()
        .expect("ops runs");
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(origin_files(&repo, "dev").contains(&"brief.txt".to_string()));
}
