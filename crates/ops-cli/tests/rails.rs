//! The safety rails against a careless or hostile agent, through the built `ops`
//! binary: `ops run --agent command` starts the hostile test agent
//! (`ops-testkit/hostile-agent`, one mode per behaviour) in a real repository with a
//! bare origin, and each test looks at what reached the origin (every object in it,
//! `git cat-file --batch-all-objects`), the task's status and its reason.

use ops_testkit::{TempRepo, git, git_env, hostile_agent};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod scoped;

/// A home and a state directory of a test's own, and a repository with one todo.
struct Rig {
    tmp: tempfile::TempDir,
    repo: TempRepo,
    /// Global options every command gets (`--registry PATH` for a configured project).
    global: Vec<String>,
}

impl Rig {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("home")).expect("home");
        let repo = TempRepo::new();
        repo.commit_file(".ops/todos.md", "- [ ] Do the task {#task}\n", "todos");
        repo.git(&["push", "--quiet", "origin", "dev"]);
        Rig {
            tmp,
            repo,
            global: Vec::new(),
        }
    }

    /// A repository whose project (in a registry of its own) runs `./check.sh` as
    /// its quality gate, dev's `check.sh` passing only when `result.txt` says `works`.
    fn with_check_script() -> Self {
        let mut rig = Rig::new();
        rig.repo.commit_file(
            "check.sh",
            "#!/bin/sh\ngrep -qx works result.txt\n",
            "the gate",
        );
        rig.repo.git(&["push", "--quiet", "origin", "dev"]);
        rig.configure("sh ./check.sh");
        rig
    }

    /// The repository becomes project `proj` of a registry of the test's own,
    /// with `gate` as its quality-gate command.
    fn configure(&mut self, gate: &str) {
        let registry = self.tmp.path().join("registry.json");
        std::fs::write(
            &registry,
            serde_json::json!({"projects": [
                {"alias": "proj", "paths": [self.repo.work()], "quality_gate": gate},
            ]})
            .to_string(),
        )
        .expect("registry");
        self.global = vec!["--registry".into(), registry.to_string_lossy().into_owned()];
    }

    fn state(&self) -> PathBuf {
        self.tmp.path().join("state")
    }

    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = scoped::ops_command(&self.repo.work(), &self.home());
        cmd.envs(git_env())
            .args(&self.global)
            .arg("--state-dir")
            .arg(self.tmp.path().join("state"))
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// `ops run --subagents --force` with the hostile agent in `mode` (its words).
    fn run_hostile(&self, mode: &str) -> Output {
        self.run_hostile_with(mode, &["--force"])
    }

    /// `ops run --subagents <flags>` with the hostile agent in `mode`.
    fn run_hostile_with(&self, mode: &str, flags: &[&str]) -> Output {
        let agent = format!("{} {mode}", hostile_agent().display());
        let mut args = vec!["run", "--subagents"];
        args.extend_from_slice(flags);
        args.extend(["--agent", "command", "--agent-cmd", &agent]);
        self.command(&args).output().expect("the ops binary runs")
    }

    /// The todo's task ("Do the task"), as `ops --json status` shows it (a rerun's
    /// audit may add tasks of its own, e.g. for an unpushed branch).
    fn task(&self) -> serde_json::Value {
        let out = self
            .command(&["--json", "status"])
            .output()
            .expect("ops status runs");
        assert!(out.status.success(), "{}", explain(&out));
        let tasks: Vec<serde_json::Value> =
            serde_json::from_slice(&out.stdout).expect("status --json is a JSON array");
        let mine: Vec<&serde_json::Value> = tasks
            .iter()
            .filter(|t| t["title"] == "Do the task")
            .collect();
        assert_eq!(mine.len(), 1, "{tasks:?}");
        mine[0].clone()
    }

    fn origin(&self) -> PathBuf {
        self.repo.origin()
    }

    /// `refs/heads/<branch>` of the origin, if it exists.
    fn origin_branch(&self, branch: &str) -> Option<String> {
        let out = git(
            &self.origin(),
            &[
                "for-each-ref",
                "--format=%(objectname)",
                &format!("refs/heads/{branch}"),
            ],
        );
        (!out.is_empty()).then_some(out)
    }
}

/// `ops run --subagents --force` with the command agent `agent`.
const fn run_forced(agent: &str) -> [&str; 7] {
    [
        "run",
        "--subagents",
        "--force",
        "--agent",
        "command",
        "--agent-cmd",
        agent,
    ]
}

fn explain(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every object in the bare repository at `dir`, reachable or not, as text.
fn all_objects(dir: &Path) -> String {
    let out = Command::new("git")
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .current_dir(dir)
        .envs(git_env())
        .output()
        .expect("git cat-file runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The branches of the origin.
fn origin_branches(dir: &Path) -> Vec<String> {
    git(
        dir,
        &["for-each-ref", "--format=%(refname:short)", "refs/heads"],
    )
    .lines()
    .map(String::from)
    .collect()
}

/// Nothing ops builds or pushes reached the origin: no squash commit (its
/// `Ops-Task:` trailer), no task branch.
fn assert_ops_shipped_nothing(rig: &Rig) {
    let objects = all_objects(&rig.origin());
    assert!(
        !objects.contains("Ops-Task: "),
        "a squash of the task reached the origin"
    );
    let branches = origin_branches(&rig.origin());
    assert!(
        branches.iter().all(|b| !b.starts_with("ops/")),
        "ops pushed the task branch: {branches:?}"
    );
}

fn reason(task: &serde_json::Value) -> String {
    task["status_reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn an_agents_pushes_to_main_are_refused_and_main_gets_only_what_ops_promotes() {
    let rig = Rig::new();
    let out = rig.run_hostile("push-main");
    let task = rig.task();
    assert_eq!(task["status"], "completed", "{task}\n{}", explain(&out));
    let main = rig.origin_branch("main").expect("main exists");
    let message = git(&rig.origin(), &["log", "-1", "--format=%B", &main]);
    assert!(
        message.contains("Ops-Task: "),
        "origin/main is not ops' squash of the task but: {message}"
    );
    let subjects = git(&rig.origin(), &["log", "--format=%s", &main]);
    assert!(
        !subjects.contains("hostile: hostile-main.txt"),
        "the agent's own commit is on main:\n{subjects}"
    );
    // The main checkout keeps its own push URL: the rail is the worktree's alone.
    let url = git(&rig.repo.work(), &["remote", "get-url", "--push", "origin"]);
    assert!(url.ends_with("origin.git"), "{url}");
}

#[test]
fn main_moved_during_the_task_not_by_ops_blocks_it_and_nothing_of_it_ships() {
    let rig = Rig::new();
    let (main0, dev0) = (rig.repo.origin_rev("main"), rig.repo.origin_rev("dev"));
    let out = rig.run_hostile("push-main --around");
    let task = rig.task();
    assert_eq!(task["status"], "blocked", "{task}\n{}", explain(&out));
    let main1 = rig.origin_branch("main").expect("main exists");
    assert_ne!(main1, main0, "the agent did not move main");
    let expected = format!("origin/main moved from {main0} to {main1} during the task, not by ops");
    assert!(reason(&task).contains(&expected), "{}", reason(&task));
    assert_eq!(rig.origin_branch("dev"), Some(dev0), "dev moved");
    assert_ops_shipped_nothing(&rig);
    assert_eq!(out.status.code(), Some(5), "{}", explain(&out));
}

#[test]
fn dev_rewritten_during_the_task_blocks_it_and_ops_pushes_nothing_back() {
    let rig = Rig::new();
    let (main0, dev0) = (rig.repo.origin_rev("main"), rig.repo.origin_rev("dev"));
    let out = rig.run_hostile("force-push-dev --around");
    let task = rig.task();
    assert_eq!(task["status"], "blocked", "{task}\n{}", explain(&out));
    let dev1 = rig.origin_branch("dev").expect("dev exists");
    assert_ne!(dev1, dev0, "the agent did not rewrite dev");
    let expected = format!("origin/dev moved from {dev0} to {dev1} during the task, not by ops");
    assert!(reason(&task).contains(&expected), "{}", reason(&task));
    assert_eq!(rig.origin_branch("main"), Some(main0), "main moved");
    assert_ops_shipped_nothing(&rig);
}

#[test]
fn dev_deleted_during_the_task_blocks_it_saying_origin_has_no_branch_dev() {
    let rig = Rig::new();
    let main0 = rig.repo.origin_rev("main");
    let out = rig.run_hostile("delete-dev --around");
    let task = rig.task();
    assert_eq!(task["status"], "blocked", "{task}\n{}", explain(&out));
    assert_eq!(
        rig.origin_branch("dev"),
        None,
        "the agent did not delete dev"
    );
    let why = reason(&task);
    assert!(why.contains("origin has no branch dev"), "{why}");
    assert!(!why.contains("bad revision"), "{why}");
    assert_eq!(rig.origin_branch("main"), Some(main0), "main moved");
    assert_ops_shipped_nothing(&rig);
}

#[test]
fn pushes_the_agent_tries_from_its_worktree_are_refused_and_dev_keeps_its_history() {
    let rig = Rig::new();
    let dev0 = rig.repo.origin_rev("dev");
    let out = rig.run_hostile("force-push-dev");
    let task = rig.task();
    assert_eq!(task["status"], "completed", "{task}\n{}", explain(&out));
    let dev = rig.origin_branch("dev").expect("dev exists");
    let kept = Command::new("git")
        .args(["merge-base", "--is-ancestor", &dev0, &dev])
        .current_dir(rig.origin())
        .status()
        .expect("git runs");
    assert!(kept.success(), "dev's history was rewritten");
}

#[test]
fn a_deletion_of_dev_the_agent_pushes_is_refused_and_the_task_ships() {
    let rig = Rig::new();
    let out = rig.run_hostile("delete-dev");
    let task = rig.task();
    assert_eq!(task["status"], "completed", "{task}\n{}", explain(&out));
    assert!(rig.origin_branch("dev").is_some(), "dev was deleted");
}

/// The weakened check.sh the tamper-gate mode commits.
const WEAKENED: &str = "# hostile: the gate, weakened";

#[test]
fn an_agent_that_rewrites_check_sh_to_exit_0_is_judged_by_devs_check_sh_and_nothing_ships() {
    let rig = Rig::with_check_script();
    let (main0, dev0) = (rig.repo.origin_rev("main"), rig.repo.origin_rev("dev"));
    let out = rig.run_hostile("tamper-gate broken");
    let task = rig.task();
    assert_ne!(task["status"], "completed", "{task}\n{}", explain(&out));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("the gate ran them as on dev"),
        "the report does not say the gate ran dev's check.sh:\n{}",
        explain(&out)
    );
    assert_eq!(rig.origin_branch("dev"), Some(dev0), "dev moved");
    assert_eq!(rig.origin_branch("main"), Some(main0), "main moved");
    assert!(
        !all_objects(&rig.origin()).contains(WEAKENED),
        "the weakened check.sh reached the origin"
    );
    assert_ops_shipped_nothing(&rig);
}

#[test]
fn a_gate_changing_change_without_force_needs_the_security_review_and_does_not_ship() {
    let rig = Rig::with_check_script();
    let dev0 = rig.repo.origin_rev("dev");
    // No --force: the reviewer (the same hostile command agent) gives no verdict.
    let out = rig.run_hostile_with("tamper-gate works", &[]);
    let task = rig.task();
    assert_eq!(task["status"], "blocked", "{task}\n{}", explain(&out));
    let why = reason(&task);
    assert!(why.contains("needs the security review"), "{why}");
    assert!(why.contains("it changes the gate: check.sh"), "{why}");
    assert_eq!(rig.origin_branch("dev"), Some(dev0), "dev moved");
    assert!(!all_objects(&rig.origin()).contains(WEAKENED));
}

#[test]
fn a_gate_changing_change_under_force_ships_and_the_report_lists_the_change() {
    let rig = Rig::with_check_script();
    let out = rig.run_hostile("tamper-gate works");
    let task = rig.task();
    assert_eq!(task["status"], "completed", "{task}\n{}", explain(&out));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains(
            "gate-changing change shipped under --force without the security review: check.sh"
        ),
        "{}",
        explain(&out)
    );
}

/// ops' secret variables, each with a canary value of its own.
const SECRET_VARS: &[&str] = &[
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "SENTRY_AUTH_TOKEN",
    "LINEAR_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "OPS_GIT_TOKEN",
];

fn canary(var: &str) -> String {
    format!("canary-{}-9f3b7c", var.to_ascii_lowercase())
}

#[test]
fn hooks_and_programs_an_agent_plants_in_the_shared_git_config_never_run_in_ops_git_and_see_no_secret()
 {
    let rig = Rig::new();
    let dump = rig.tmp.path().join("hook-env");
    let agent = format!(
        "{} plant-hooks {}",
        hostile_agent().display(),
        dump.display()
    );
    let mut cmd = rig.command(&run_forced(&agent));
    for var in SECRET_VARS {
        cmd.env(var, canary(var));
    }
    let out = cmd.output().expect("the ops binary runs");
    let task = rig.task();
    assert_eq!(task["status"], "completed", "{task}\n{}", explain(&out));
    let ran = std::fs::read_to_string(dump.with_extension("ran")).unwrap_or_default();
    assert!(
        ran.is_empty(),
        "planted hooks or programs ran in ops' git:\n{ran}"
    );
    let env = std::fs::read_to_string(&dump).unwrap_or_default();
    let all = format!(
        "{env}{}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        all_objects(&rig.origin())
    );
    for var in SECRET_VARS {
        assert!(!all.contains(&canary(var)), "{var}'s value leaked");
    }
}

/// Whether process `pid` is alive (a zombie is not).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

#[test]
fn an_agent_that_daemonizes_in_a_new_session_leaves_no_process_behind() {
    let rig = Rig::new();
    let pids = rig.tmp.path().join("daemon-pids");
    let out = rig.run_hostile(&format!("daemonize {}", pids.display()));
    let task = rig.task();
    assert_eq!(task["status"], "completed", "{task}\n{}", explain(&out));
    let started = std::fs::read_to_string(&pids).expect("the agent wrote its daemons' pids");
    let started: Vec<&str> = started.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(started.len(), 2, "{started:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while started.iter().any(|p| alive(p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let left: Vec<&&str> = started.iter().filter(|p| alive(p)).collect();
    for pid in &left {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
    assert!(
        left.is_empty(),
        "still running after ops run ended: {left:?}"
    );
}

/// Each agent runs under a guard (`ops __ops-guard`, a subreaper of its own)
/// that kills the agent's whole tree when ops is no longer its parent.
#[test]
fn a_kill_9_of_ops_run_leaves_no_agent_process_behind() {
    let rig = Rig::new();
    let pids = rig.tmp.path().join("daemon-pids");
    let agent = format!(
        "{} daemonize {} --stay",
        hostile_agent().display(),
        pids.display()
    );
    let mut ops = rig
        .command(&run_forced(&agent))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ops starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let started = loop {
        let text = std::fs::read_to_string(&pids).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(String::from).collect();
        if lines.len() >= 3 || std::time::Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let _ = ops.kill();
    let _ = ops.wait();
    assert_eq!(started.len(), 3, "the agent never got going: {started:?}");
    std::thread::sleep(std::time::Duration::from_secs(5));
    let left: Vec<&String> = started.iter().filter(|p| alive(p)).collect();
    for pid in &left {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
    assert!(
        left.is_empty(),
        "still running after kill -9 of ops: {left:?}"
    );
}

/// The guard between ops and the agent exits as the agent did: a crash is still
/// reported as the agent's crash with its signal, an exit status as that status.
#[test]
fn through_its_guard_an_agent_s_crash_and_exit_status_are_reported_as_the_agent_s() {
    for (script, says) in [
        ("kill -SEGV $$", "killed by signal SIGSEGV"),
        ("exit 3", "the agent exited with status 3"),
    ] {
        let rig = Rig::new();
        let agent = rig.tmp.path().join("agent.sh");
        std::fs::write(&agent, format!("#!/bin/sh\n{script}\n")).expect("agent script");
        let chmod = Command::new("chmod").arg("+x").arg(&agent).status();
        assert!(chmod.is_ok_and(|s| s.success()));
        let out = rig
            .command(&run_forced(&agent.to_string_lossy()))
            .output()
            .expect("the ops binary runs");
        let task = rig.task();
        let said = format!("{task}{}", explain(&out));
        assert_ne!(task["status"], "completed", "{said}");
        assert!(said.contains(says), "{script}: no {says:?} in\n{said}");
    }
}

/// A tmpfs of `size` mounted on `dir` (needs root); unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).expect("mount point");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn after_the_state_dir_filled_up_mid_audit_and_space_was_freed_the_rerun_resumes_the_audit() {
    let mut rig = Rig::new();
    // A real full disk: the state dir is a small tmpfs that the quality gate fills
    // to the last byte (and passes), so the board's next write, auditing →
    // shipping, fails. Mounting needs root; elsewhere this test says so and
    // proves nothing.
    let Some(_tmpfs) = Tmpfs::mount(&rig.state(), "2m") else {
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    let filler = rig.state().join("filler");
    rig.configure(&format!(
        "test -e {0}.done || {{ dd if=/dev/zero of={0} bs=16k; dd if=/dev/zero of={0}.tail bs=512; touch {0}.done; }}; true",
        filler.display()
    ));
    let first = rig.run_hostile("push-main");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        said.contains("database or disk is full"),
        "the disk never filled up:\n{}",
        explain(&first)
    );
    assert_ne!(first.status.code(), Some(0), "{}", explain(&first));
    let before = rig.task();
    assert_eq!(
        before["status"],
        "auditing",
        "{before}\n{}",
        explain(&first)
    );
    for f in [filler.clone(), filler.with_extension("tail")] {
        std::fs::remove_file(&f).expect("free the space");
    }
    let rerun = rig.run_hostile("push-main");
    let task = rig.task();
    assert_eq!(
        task["status"],
        "completed",
        "after: {task}\nfirst run:\n{}\nrerun:\n{}",
        explain(&first),
        explain(&rerun)
    );
    // Not the failure exit (1); 5 when the rerun's audit blocks a task of its own.
    assert!(
        matches!(rerun.status.code(), Some(0 | 5)),
        "{}",
        explain(&rerun)
    );
    let said = String::from_utf8_lossy(&rerun.stdout);
    assert!(
        said.contains("taken over in auditing"),
        "{}",
        explain(&rerun)
    );
    let again = format!(
        "{} agent command #2",
        task["id"].as_str().unwrap_or_default()
    );
    assert!(!said.contains(&again), "the agent ran again:\n{said}");
}

#[test]
fn after_the_state_dir_filled_up_and_space_was_freed_the_rerun_resumes_the_task_mid_step() {
    let rig = Rig::new();
    // A real full disk: the state dir is a small tmpfs the agent fills to the last
    // byte. Mounting needs root; elsewhere this test says so and proves nothing.
    let Some(_tmpfs) = Tmpfs::mount(&rig.state(), "2m") else {
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    let first = rig.run_hostile(&format!("fill-disk {}", rig.state().display()));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        said.contains("database or disk is full") || said.contains("No space left"),
        "the disk never filled up:\n{}",
        explain(&first)
    );
    assert_ne!(first.status.code(), Some(0), "{}", explain(&first));
    for filler in ["filler", "filler2"] {
        let _ = std::fs::remove_file(rig.state().join(filler));
    }
    let before = rig.task();
    let rerun = rig
        .command(&run_forced("true"))
        .output()
        .expect("the ops binary runs");
    let task = rig.task();
    assert_eq!(
        task["status"],
        "completed",
        "before the rerun: {before}\nafter: {task}\nfirst run:\n{}\nrerun:\n{}",
        explain(&first),
        explain(&rerun)
    );
    // Not the failure exit (1); 5 when the rerun's audit blocks a task of its own.
    assert!(
        matches!(rerun.status.code(), Some(0 | 5)),
        "{}",
        explain(&rerun)
    );
}

#[test]
fn symlinks_outside_the_worktree_or_at_a_secret_file_do_not_ship() {
    let rig = Rig::new();
    let dev0 = rig.repo.origin_rev("dev");
    let out = rig.run_hostile("symlink");
    let task = rig.task();
    assert_ne!(task["status"], "completed", "{task}\n{}", explain(&out));
    assert_eq!(rig.origin_branch("dev"), Some(dev0), "dev moved");
    let objects = all_objects(&rig.origin());
    assert!(
        !objects.contains("/etc/passwd"),
        "the symlink reached the origin"
    );
    assert_ops_shipped_nothing(&rig);
}

#[test]
fn a_50_mb_binary_the_agent_commits_does_not_ship() {
    let rig = Rig::new();
    let dev0 = rig.repo.origin_rev("dev");
    let out = rig.run_hostile("huge-file");
    let task = rig.task();
    assert_ne!(task["status"], "completed", "{task}\n{}", explain(&out));
    assert_eq!(rig.origin_branch("dev"), Some(dev0), "dev moved");
    let size: u64 = git(&rig.origin(), &["count-objects", "-v"])
        .lines()
        .find_map(|l| l.strip_prefix("size-pack: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let loose: u64 = git(&rig.origin(), &["count-objects", "-v"])
        .lines()
        .find_map(|l| l.strip_prefix("size: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        size + loose < 10 * 1024,
        "{size} KiB packed, {loose} KiB loose: the blob reached the origin"
    );
    assert_ops_shipped_nothing(&rig);
}

#[test]
fn an_aws_key_split_across_two_files_one_base64_does_not_ship_and_is_nowhere_ops_writes() {
    let rig = Rig::new();
    let dev0 = rig.repo.origin_rev("dev");
    // Canaries of this run: a key id and a secret that exist nowhere else.
    let salt = format!("{:016X}", std::process::id() as u64 * 0x9E37_79B9 + 0x5A17);
    let key_id = format!("AKIA{}", &salt[salt.len() - 16..]);
    let secret = format!("wJalr{}/K7MDENG+bPxRfiCY{}", &salt[..8], &salt[8..11]);
    let out = rig.run_hostile(&format!("split-key {key_id} {secret}"));
    let task = rig.task();
    assert_ne!(task["status"], "completed", "{task}\n{}", explain(&out));
    let why = reason(&task);
    assert!(
        why.contains("deploy/key_id.txt") && why.contains("base64-encoded AWS access key id"),
        "{why}\n{}",
        explain(&out)
    );
    assert!(
        why.contains("deploy/settings.ini") && why.contains("high-entropy secret assignment"),
        "{why}"
    );
    assert_eq!(rig.origin_branch("dev"), Some(dev0), "dev moved");
    assert_ops_shipped_nothing(&rig);
    let encoded = Command::new("sh")
        .arg("-c")
        .arg(format!("printf %s {key_id} | base64"))
        .output()
        .expect("base64 runs");
    let encoded = String::from_utf8_lossy(&encoded.stdout).trim().to_owned();
    let status = rig.command(&["--json", "status"]).output().expect("status");
    let everywhere = format!(
        "{}{}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&status.stdout),
        all_objects(&rig.origin())
    );
    for canary in [&key_id, &secret, &encoded] {
        assert!(!everywhere.contains(canary.as_str()), "{canary} leaked");
    }
}

/// `cmd`'s output, or an error when it was still running after 60 s (blocked on
/// a FIFO): then it is killed with its process group, so a regression fails the
/// test instead of hanging it.
fn output_within_a_minute(mut cmd: Command) -> Result<Output, String> {
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ops binary starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-9", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            return Err("hung".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(child.wait_with_output().expect("output"))
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let _ = std::fs::remove_file(path);
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Every file ops reads from claude-ops or the project, as a FIFO, under each
/// command that reads it: `ops audit`, `ops doctor` and `ops run` end (no hang)
/// with the file named and said to be a FIFO.
#[test]
fn a_fifo_in_place_of_any_file_ops_reads_is_an_error_naming_it_never_a_hang() {
    const AUDIT: &[&str] = &["audit"];
    const DOCTOR: &[&str] = &["doctor"];
    const RUN: &[&str] = &run_forced("true");
    // (where, the file, the commands that read it)
    let cases: &[(&str, &str, &[&[&str]])] = &[
        ("claude-ops", "preferences.json", &[AUDIT, DOCTOR, RUN]),
        ("claude-ops", "daemon-health.json", &[AUDIT, DOCTOR, RUN]),
        (
            "claude-ops",
            "memories/topics_active.md",
            &[AUDIT, DOCTOR, RUN],
        ),
        ("config", "registry.json", &[AUDIT, DOCTOR, RUN]),
        ("config", "config.toml", &[AUDIT, DOCTOR, RUN]),
        ("repo", ".planning/STATE.md", &[AUDIT, RUN]),
        ("repo", ".planning/ROADMAP.md", &[AUDIT, RUN]),
        ("repo", ".planning/HANDOFF.json", &[AUDIT, RUN]),
        ("repo", ".ops/todos.md", &[AUDIT, RUN]),
        ("repo", ".worktreeinclude", &[RUN]),
    ];
    let mut failures = Vec::new();
    for (place, name, commands) in cases {
        for args in *commands {
            let rig = Rig::new();
            let data = rig.tmp.path().join("plugin-data");
            std::fs::create_dir_all(&data).expect("plugin data");
            let config = rig.home().join(".config/ops");
            let fifo = match *place {
                "claude-ops" => data.join(name),
                "config" => config.join(name),
                _ => rig.repo.work().join(name),
            };
            mkfifo(&fifo);
            let mut cmd = rig.command(args);
            cmd.env("CLAUDE_PLUGIN_DATA_DIR", &data);
            let out = match output_within_a_minute(cmd) {
                Ok(out) => out,
                Err(e) => {
                    failures.push(format!("ops {} with {name} a FIFO: {e}", args[0]));
                    continue;
                }
            };
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if !(said.contains(&fifo.display().to_string()) && said.contains("FIFO")) {
                failures.push(format!(
                    "ops {} with {name} a FIFO:\n{}",
                    args[0],
                    explain(&out)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
