//! `ops doctor` through the built binary, as a user whose PATH holds only the
//! programs a test puts there (fake agent CLIs, git, sleep) and whose HOME is
//! a temp dir: secrets found and never shown, agent CLIs with their versions
//! (one that hangs does not hang doctor), broken files failing with the file
//! and field, an unhealthy daemon warning, and the `--json` contract.

use ops_core::model::{Task, TaskId, Timestamp};
use ops_core::{SqliteBoard, TaskStore};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

mod scoped;

/// The ops documentation's statuses.
const STATUSES: [&str; 4] = ["ok", "warn", "fail", "info"];

/// A user: a HOME, a working directory outside any git checkout, a directory
/// of programs first on PATH, and the variables a test sets.
struct User {
    tmp: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// Where doctor runs (a plain directory unless a test says otherwise).
    cwd: PathBuf,
}

impl User {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        for dir in ["home", "work", "bin", "tools"] {
            std::fs::create_dir(tmp.path().join(dir)).expect("mkdir");
        }
        // The tools doctor and the fake CLIs use, and nothing else of the host's PATH.
        for tool in ["git", "sleep"] {
            let real = host_program(tool);
            std::os::unix::fs::symlink(real, tmp.path().join("tools").join(tool)).expect("symlink");
        }
        let cwd = tmp.path().join("work");
        User {
            tmp,
            env: Vec::new(),
            cwd,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        self.env.push((name.to_owned(), value.into()));
    }

    /// A program `name` on PATH running `script` (sh).
    fn cli(&self, name: &str, script: &str) {
        let file = self.path("bin").join(name);
        std::fs::write(&file, format!("#!/bin/sh\n{script}\n")).expect("write script");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// A settings file at `$XDG_CONFIG_HOME/ops/config.toml`.
    fn settings(&mut self, text: &str) -> PathBuf {
        let dir = self.path("config").join("ops");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let file = dir.join("config.toml");
        std::fs::write(&file, text).expect("write settings");
        let config = self.path("config").display().to_string();
        self.set("XDG_CONFIG_HOME", config);
        file
    }

    /// A registry (`OPS_REGISTRY`) with these project entries.
    fn registry(&mut self, projects: Value) -> PathBuf {
        let file = self.path("registry.json");
        std::fs::write(
            &file,
            serde_json::json!({ "projects": projects }).to_string(),
        )
        .expect("write registry");
        self.set("OPS_REGISTRY", file.display().to_string());
        file
    }

    /// `ops doctor <args>`; fails the test if it runs for more than a minute
    /// (doctor must never hang, whatever a CLI does).
    fn doctor(&self, args: &[&str]) -> Output {
        let mut cmd = scoped::ops_command(&self.cwd, &self.path("home"));
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            self.path("tools").display()
        );
        cmd.env("PATH", path)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .arg("doctor")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("the ops binary starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("ops doctor {args:?} was still running after a minute");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().expect("output")
    }

    /// `ops doctor --json`, parsed, with its exit code.
    fn json(&self) -> (Vec<Value>, Option<i32>, String) {
        let out = self.doctor(&["--json"]);
        let items: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                text(&out.stdout),
                text(&out.stderr)
            )
        });
        (items, out.status.code(), text(&out.stderr))
    }
}

fn host_program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").expect("the test runs with a PATH");
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is needed on the test machine's PATH"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The item named `check`: (status, detail).
fn item(items: &[Value], check: &str) -> (String, String) {
    let found = items
        .iter()
        .find(|i| i["check"] == check)
        .unwrap_or_else(|| panic!("no {check:?} item in {items:#?}"));
    (
        found["status"].as_str().expect("status").to_owned(),
        found["detail"].as_str().expect("detail").to_owned(),
    )
}

#[test]
fn secrets_are_reported_present_with_where_they_were_found_and_their_values_appear_nowhere() {
    const GITHUB_CANARY: &str = "ghp_CANARYc4n4ry0000github0000token";
    const SENTRY_CANARY: &str = "sntrys_CANARY_team_sentry_value_42";
    let mut user = User::new();
    let checkout = user.path("work").join("api");
    std::fs::create_dir(&checkout).expect("mkdir");
    user.registry(serde_json::json!([{
        "alias": "api",
        "paths": [checkout],
        "repos": ["acme/api"],
        "sentry": {"org": "acme", "project": "api"}
    }]));
    user.settings(
        "[sentry]\ntoken = \"team_sentry\"\n\n[secrets.team_sentry]\norder = [\"env\"]\nenv = [\"TEAM_SENTRY_VALUE\"]\n",
    );
    user.set("GITHUB_TOKEN", GITHUB_CANARY);
    user.set("TEAM_SENTRY_VALUE", SENTRY_CANARY);
    // A CLI that would print any token it were given with its version.
    user.cli(
        "claude",
        "echo \"2.0.1 (Claude Code) ${GITHUB_TOKEN:-} ${TEAM_SENTRY_VALUE:-}\"",
    );

    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "secret github_token");
    assert_eq!(status, "ok");
    assert!(detail.contains("env GITHUB_TOKEN"), "{detail}");
    let (status, detail) = item(&items, "secret team_sentry");
    assert_eq!(status, "ok");
    assert!(detail.contains("env TEAM_SENTRY_VALUE"), "{detail}");
    assert_eq!(item(&items, "source github").0, "ok");
    assert_eq!(item(&items, "source sentry").0, "ok");
    let (status, detail) = item(&items, "ship api");
    assert_eq!(status, "ok");
    assert!(
        detail.starts_with("github") && detail.contains("acme/api"),
        "{detail}"
    );
    assert!(
        item(&items, "agent claude")
            .1
            .contains("2.0.1 (Claude Code)"),
        "{items:#?}"
    );

    let table = user.doctor(&[]);
    let json = user.doctor(&["--json"]);
    for out in [&table, &json] {
        for shown in [text(&out.stdout), text(&out.stderr)] {
            for canary in [GITHUB_CANARY, SENTRY_CANARY] {
                assert!(!shown.contains(canary), "a secret leaked:\n{shown}");
                assert!(
                    !shown.contains(&canary[..8]),
                    "a secret's prefix leaked:\n{shown}"
                );
            }
        }
    }
    assert!(
        text(&table.stdout).contains("env GITHUB_TOKEN"),
        "{}",
        text(&table.stdout)
    );
}

#[test]
fn a_missing_secret_for_a_configured_source_warns_that_the_source_will_be_off_and_ships_locally() {
    let mut user = User::new();
    let checkout = user.path("work").join("web");
    std::fs::create_dir(&checkout).expect("mkdir");
    user.registry(serde_json::json!([{
        "alias": "web",
        "paths": [checkout],
        "repos": ["acme/web"],
        "linear": {"team": "WEB"}
    }]));
    user.cli("claude", "echo 2.0.1");

    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "warnings alone exit 0: {stderr}");
    for (secret, source, var) in [
        ("secret github_token", "source github", "GITHUB_TOKEN"),
        ("secret linear_key", "source linear", "LINEAR_API_KEY"),
    ] {
        let (status, detail) = item(&items, secret);
        assert_eq!(status, "warn", "{detail}");
        assert!(
            detail.contains("is off") && detail.contains(var),
            "{detail}"
        );
        let (status, detail) = item(&items, source);
        assert_eq!(status, "warn", "{detail}");
        assert!(detail.contains("will be off"), "{detail}");
    }
    let (status, detail) = item(&items, "secret sentry_token");
    assert_eq!(
        (status.as_str(), detail.contains("not looked for")),
        ("info", true),
        "no project uses Sentry: {detail}"
    );
    let (_, detail) = item(&items, "ship web");
    assert!(
        detail.starts_with("local git") && detail.contains("github_token"),
        "{detail}"
    );
}

#[test]
fn agent_containment_is_ok_and_names_the_guard_that_outlives_a_kill_9_of_ops() {
    let user = User::new();
    user.cli("claude", "echo '2.0.14 (Claude Code)'");
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "agent containment");
    assert_eq!(status, "ok", "{detail}");
    assert!(
        detail.contains("child subreaper") && detail.contains("guard process per agent"),
        "{detail}"
    );
}

#[test]
fn agent_clis_on_path_are_listed_with_the_version_they_print_and_absent_ones_as_not_found() {
    let user = User::new();
    user.cli("claude", "echo '2.0.14 (Claude Code)'");
    // Aider prints its version on stderr in some releases; blank lines first.
    user.cli("aider", "echo >&2; echo 'aider 0.86.1' >&2");

    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "agent claude");
    assert_eq!(status, "ok");
    assert!(
        detail.starts_with("2.0.14 (Claude Code)") && detail.contains("configured"),
        "{detail}"
    );
    let (status, detail) = item(&items, "agent aider");
    assert_eq!(status, "ok");
    assert!(detail.starts_with("aider 0.86.1"), "{detail}");
    for absent in ["agent codex", "agent gemini"] {
        assert_eq!(
            item(&items, absent),
            ("info".to_owned(), "not found on PATH".to_owned())
        );
    }
    let (status, detail) = item(&items, "git");
    assert_eq!(status, "ok");
    assert!(detail.starts_with("git version"), "{detail}");
}

#[test]
fn a_cli_that_does_not_answer_is_reported_and_killed_with_what_it_started() {
    let user = User::new();
    let pid_file = user.path("sleeper.pid");
    // The CLI starts a child and waits for it: both must go.
    user.cli(
        "claude",
        &format!("sleep 300 &\necho $! > '{}'\nwait", pid_file.display()),
    );

    let (items, code, stderr) = user.json();
    let (status, detail) = item(&items, "agent claude");
    assert_eq!(status, "warn", "{detail}");
    assert!(detail.contains("did not answer within"), "{detail}");
    assert_eq!(code, Some(0), "a slow CLI is a warning: {stderr}");

    let pid = std::fs::read_to_string(&pid_file).expect("the CLI wrote its child's pid");
    let proc_dir = PathBuf::from(format!("/proc/{}", pid.trim()));
    let gone_by = Instant::now() + Duration::from_secs(30);
    while alive(&proc_dir) {
        assert!(
            Instant::now() < gone_by,
            "the CLI's child {} is still running",
            pid.trim()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the process of `/proc/<pid>` is running (a zombie is not).
fn alive(proc_dir: &Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[test]
fn the_configured_runtime_missing_fails_naming_it() {
    for (settings, failed) in [
        ("[engine]\nagent = \"codex\"\n", "agent codex"),
        (
            "[engine]\nagent = \"command\"\nagent_cmd = \"no-such-agent --fast\"\n",
            "agent command",
        ),
    ] {
        let mut user = User::new();
        user.cli("claude", "echo 2.0.1");
        user.settings(settings);
        let (items, code, stderr) = user.json();
        assert_eq!(code, Some(1), "{settings}: {stderr}");
        assert!(
            stderr.contains(failed) && stderr.contains("setup check"),
            "{stderr}"
        );
        let (status, detail) = item(&items, failed);
        assert_eq!(status, "fail", "{detail}");
        assert_eq!(
            item(&items, "agent claude").0,
            "ok",
            "claude is not the configured runtime here"
        );
        if failed == "agent command" {
            assert!(detail.contains("`no-such-agent`"), "{detail}");
            assert!(
                !detail.contains("--fast"),
                "only the program is shown: {detail}"
            );
        }
    }
}

#[test]
fn the_command_runtime_is_ok_when_its_program_is_found() {
    let mut user = User::new();
    user.cli("my-agent", "exit 0");
    user.settings("[engine]\nagent = \"command\"\nagent_cmd = \"my-agent --fast\"\n");
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "agent command");
    assert_eq!(status, "ok");
    assert!(detail.contains("bin/my-agent"), "{detail}");
    assert_eq!(item(&items, "agent claude").0, "info", "not the runtime");
}

#[test]
fn an_invalid_registry_fails_naming_the_file_and_the_field() {
    let mut user = User::new();
    user.cli("claude", "echo 2.0.1");
    let registry = user.registry(serde_json::json!([{"alias": "api", "paths": 7}]));
    let out = user.doctor(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("fail") && l.contains("registry"))
        .unwrap_or_else(|| panic!("no failed registry line:\n{stdout}"));
    assert!(
        line.contains(&registry.display().to_string()) && line.contains("projects[0].paths"),
        "{line}"
    );
    assert!(
        text(&out.stderr).contains("registry"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_invalid_settings_file_fails_naming_the_file_and_the_key() {
    let mut user = User::new();
    user.cli("claude", "echo 2.0.1");
    let file = user.settings("[engine]\nmax_agents = 0\n");
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("settings"), "{stderr}");
    let (status, detail) = item(&items, "settings");
    assert_eq!(status, "fail");
    assert!(
        detail.contains(&file.display().to_string()) && detail.contains("engine.max_agents"),
        "{detail}"
    );
}

#[test]
fn a_project_path_that_is_missing_is_a_warning_naming_it() {
    let mut user = User::new();
    user.cli("claude", "echo 2.0.1");
    let here = user.path("work");
    let gone = user.path("gone-checkout");
    user.registry(serde_json::json!([
        {"alias": "here", "paths": [here]},
        {"alias": "gone", "paths": [gone]}
    ]));
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "registry");
    assert_eq!(status, "ok");
    assert!(detail.contains("2 projects"), "{detail}");
    let (status, detail) = item(&items, "project gone");
    assert_eq!(status, "warn");
    assert!(detail.contains(&gone.display().to_string()), "{detail}");
    assert!(
        !items.iter().any(|i| i["check"] == "project here"),
        "a project whose paths exist gets no line"
    );
}

#[test]
fn an_unhealthy_daemon_is_a_warning_and_doctor_exits_0() {
    let mut user = User::new();
    user.cli("claude", "echo 2.0.1");
    let data = user.path("plugin-data");
    std::fs::create_dir(&data).expect("mkdir");
    let now_secs = Timestamp::now().0 / 1000;
    std::fs::write(
        data.join("daemon-health.json"),
        serde_json::json!({
            "updated_at": now_secs,
            "services": {"poller": {"status": "dead"}, "sync": {"status": "running"}}
        })
        .to_string(),
    )
    .expect("write health");
    user.set("CLAUDE_PLUGIN_DATA_DIR", data.display().to_string());
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "daemon health");
    assert_eq!(status, "warn");
    // Health is advice: the failure is named, and nothing asks for --force.
    assert!(
        detail.contains("daemon service poller failed (dead)")
            && detail.contains("`ops run` still runs")
            && !detail.contains("--force"),
        "{detail}"
    );
}

#[test]
fn the_state_dir_and_board_are_reported_and_a_missing_one_is_not_created() {
    let user = User::new();
    user.cli("claude", "echo 2.0.1");
    let state = user.path("home").join(".local").join("state").join("ops");
    let (items, _, _) = user.json();
    let (status, detail) = item(&items, "state dir");
    assert_eq!(status, "ok");
    assert!(detail.contains("not created yet"), "{detail}");
    let (status, detail) = item(&items, "board");
    assert_eq!(status, "info");
    assert!(detail.contains("not created yet"), "{detail}");
    assert!(!state.exists(), "doctor created the state directory");

    std::fs::create_dir_all(&state).expect("mkdir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let board = SqliteBoard::open(state.join("board.sqlite"))
            .await
            .expect("open board");
        let task = Task::new(TaskId::new("t1").expect("id"), "t", "p", "/r");
        board.insert(task).await.expect("insert");
    });
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(item(&items, "state dir").0, "ok");
    let (status, detail) = item(&items, "board");
    assert_eq!(status, "ok");
    assert!(detail.contains("1 task"), "{detail}");
}

#[test]
fn json_is_an_array_of_check_status_detail_objects_and_text_shows_the_same_items() {
    let user = User::new();
    user.cli("claude", "echo 2.0.1");
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    for item in &items {
        let object = item.as_object().expect("each item is an object");
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 3, "{item}");
        for key in ["check", "status", "detail"] {
            assert!(object[key].is_string(), "{key} in {item}");
        }
        assert!(
            STATUSES.contains(&object["status"].as_str().unwrap_or("")),
            "{item}"
        );
    }
    let checks: Vec<&str> = items.iter().filter_map(|i| i["check"].as_str()).collect();
    for expected in [
        "registry",
        "context",
        "settings",
        "source local git",
        "source github",
        "secret github_token",
        "agent claude",
        "agent codex",
        "git",
        "daemon health",
        "state dir",
        "board",
    ] {
        assert!(checks.contains(&expected), "{expected} missing: {checks:?}");
    }
    let table = text(&user.doctor(&[]).stdout);
    assert_eq!(
        table.lines().count(),
        items.len() + 1,
        "one line per item and the counts:\n{table}"
    );
    for item in &items {
        let line = format!(
            "{:<4}  {}",
            item["status"].as_str().unwrap_or(""),
            item["check"].as_str().unwrap_or("")
        );
        assert!(table.contains(&line), "{line:?} not in\n{table}");
    }
}

#[test]
fn inside_a_git_checkout_no_registry_is_needed_and_a_github_origin_turns_the_github_source_on() {
    let repo = ops_testkit::TempRepo::new();
    repo.git(&[
        "remote",
        "set-url",
        "origin",
        "https://github.com/acme/api.git",
    ]);
    let mut user = User::new();
    user.cli("claude", "echo 2.0.1");
    user.cwd = repo.work();
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "registry");
    assert_eq!(status, "info", "{detail}");
    assert!(
        detail.contains("not needed inside a git checkout"),
        "{detail}"
    );
    let (status, detail) = item(&items, "context");
    assert_eq!(status, "ok");
    assert!(
        detail.starts_with("SCOPED") && detail.contains(&repo.work().display().to_string()),
        "{detail}"
    );
    let (status, detail) = item(&items, "source github");
    assert_eq!(status, "warn", "no token in this environment: {detail}");
    assert!(detail.starts_with("1 project"), "{detail}");
}

#[test]
fn outside_a_git_checkout_no_registry_is_a_warning_saying_how_to_give_one() {
    let user = User::new();
    user.cli("claude", "echo 2.0.1");
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "registry");
    assert_eq!(status, "warn");
    assert!(
        detail.contains("--registry") && detail.contains("OPS_REGISTRY"),
        "{detail}"
    );
    assert_eq!(item(&items, "context").0, "info");
}

#[test]
fn agent_cmd_with_another_runtime_is_the_cli_checked_for_that_runtime() {
    let mut user = User::new();
    let opt = user.path("opt");
    std::fs::create_dir(&opt).expect("mkdir");
    let custom = opt.join("my-claude");
    std::fs::write(&custom, "#!/bin/sh\necho '2.1.0 (Claude Code, vendored)'\n").expect("write");
    std::fs::set_permissions(&custom, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // The claude on PATH is not the one ops would start.
    user.cli("claude", "echo '1.0.0 (Claude Code)'");
    user.settings(&format!(
        "[engine]\nagent = \"claude\"\nagent_cmd = \"{} --verbose\"\n",
        custom.display()
    ));
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(0), "{stderr}");
    let (status, detail) = item(&items, "agent claude");
    assert_eq!(status, "ok");
    assert!(
        detail.starts_with("2.1.0 (Claude Code, vendored)")
            && detail.contains(&custom.display().to_string()),
        "{detail}"
    );

    let mut user = User::new();
    user.cli("claude", "echo '1.0.0 (Claude Code)'");
    user.settings("[engine]\nagent = \"claude\"\nagent_cmd = \"no-such-claude\"\n");
    let (items, code, stderr) = user.json();
    assert_eq!(code, Some(1), "{stderr}");
    let (status, detail) = item(&items, "agent claude");
    assert_eq!(status, "fail");
    assert!(detail.contains("`no-such-claude`"), "{detail}");
}

/// Issue 16.2: a runtime whose help does not list a flag ops passes (here a
/// Gemini CLI from before `--skip-trust`) would fail at every start; doctor
/// says so as a failure naming the flag, and doctor exits 1.
#[test]
fn a_runtime_whose_help_lacks_a_flag_ops_passes_fails_naming_the_flag() {
    let mut user = User::new();
    user.cli(
        "gemini",
        "case \"$1\" in\n\
         --version) echo 0.1.9 ;;\n\
         --help) printf '%s\\n' 'Options:' '  -m, --model  Model' \
         '  -y, --yolo  Accept all actions' '  -o, --output-format  Format' ;;\n\
         esac",
    );
    user.settings("[engine]\nagent = \"gemini\"\n");

    let (items, code, stderr) = user.json();
    let (status, detail) = item(&items, "agent gemini flags");
    assert_eq!(status, "fail", "{detail}");
    assert!(detail.contains("`--skip-trust`"), "{detail}");
    for listed in ["`--yolo`", "`-o`"] {
        assert!(!detail.contains(listed), "{listed} is listed: {detail}");
    }
    assert_eq!(
        code,
        Some(1),
        "a flag the runtime rejects fails doctor: {stderr}"
    );
}

/// A help that lists no options at all (a wrapper printing only its version)
/// cannot say which flags it takes: a warning, not a failure.
#[test]
fn a_runtime_whose_help_lists_no_options_is_a_warning_that_the_flags_are_unchecked() {
    let mut user = User::new();
    user.cli("codex", "echo 'codex-cli 0.171.0'");
    user.settings("[engine]\nagent = \"codex\"\n");

    let (items, code, stderr) = user.json();
    let (status, detail) = item(&items, "agent codex flags");
    assert_eq!(status, "warn", "{detail}");
    assert!(
        detail.contains("`codex exec --help` lists no options"),
        "{detail}"
    );
    assert_eq!(code, Some(0), "{stderr}");
}

/// Issue 16.2: the pinned Codex (scripts/install-agent-clis.sh) accepts every
/// flag ops passes it (0.171.0 rejects the `--full-auto` ops used to pass).
#[test]
fn the_pinned_codex_accepts_every_flag_ops_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("the workspace root");
    let installed = std::process::Command::new(root.join("scripts/install-agent-clis.sh"))
        .status()
        .expect("run scripts/install-agent-clis.sh");
    assert!(installed.success(), "installing the agent CLIs failed");
    let codex = root.join(".tools/node_modules/.bin/codex");
    let mut user = User::new();
    // Codex's launcher is a node script.
    std::os::unix::fs::symlink(host_program("node"), user.path("tools").join("node"))
        .expect("symlink node");
    user.settings(&format!(
        "[engine]\nagent = \"codex\"\nagent_cmd = \"{}\"\nmodel = \"gpt-test\"\n",
        codex.display()
    ));

    let (items, code, stderr) = user.json();
    let (status, detail) = item(&items, "agent codex");
    assert_eq!(status, "ok", "{detail}");
    assert!(detail.contains("0.171.0"), "{detail}");
    let (status, detail) = item(&items, "agent codex flags");
    assert_eq!(status, "ok", "{detail}");
    assert!(
        detail.contains("--json")
            && detail.contains("--sandbox")
            && !detail.contains("--full-auto"),
        "{detail}"
    );
    assert_eq!(code, Some(0), "{stderr}");
}
