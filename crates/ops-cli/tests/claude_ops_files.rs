//! claude-ops' own files, read the way their users mean them, through the
//! built binary: its example registry and the registry its sync script writes,
//! and `daemon-health.json` as advice. The files are the real-world shapes in
//! `crates/ops-sources/tests/fixtures/claude-ops/`.

use ops_testkit::TempRepo;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

mod scoped;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ops-sources/tests/fixtures/claude-ops")
        .join(name)
}

/// The fixture's text with `__NOW__` replaced by the current time (RFC 3339).
fn fixture_now(name: &str) -> String {
    let now = ops_core::model::Timestamp::now().to_rfc3339();
    std::fs::read_to_string(fixture(name))
        .expect("fixture")
        .replace("__NOW__", &now)
}

struct World {
    tmp: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let w = World {
            tmp: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(w.home()).expect("home");
        std::fs::create_dir_all(w.data()).expect("data");
        w
    }
    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }
    /// claude-ops' data directory (`CLAUDE_PLUGIN_DATA_DIR`).
    fn data(&self) -> PathBuf {
        self.tmp.path().join("plugin-data")
    }
    fn put(&self, name: &str, text: &str) -> PathBuf {
        let path = self.tmp.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    }
    fn ops(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut cmd = scoped::ops_command(cwd, &self.home());
        cmd.env("CLAUDE_PLUGIN_DATA_DIR", self.data())
            .arg("--state-dir")
            .arg(self.tmp.path().join("state"))
            .args(args);
        cmd.output().expect("the ops binary runs")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn findings(out: &Output) -> Vec<Value> {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn claude_ops_linear_entry_with_team_key_and_no_path_loads_and_audits_with_exit_0() {
    let w = World::new();
    let reg = w.put(
        "registry.json",
        &std::fs::read_to_string(fixture("registry.linear-only.json")).expect("fixture"),
    );
    let out = w.ops(
        &w.home(),
        &["--registry", reg.to_str().expect("utf8"), "audit"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("linear.team"), "{err}");
    // No Linear key here: the table says the source was not read.
    let table = text(&out.stdout);
    assert!(
        table.contains("no findings") && table.contains("not read"),
        "{table}"
    );
}

#[test]
fn claude_ops_example_registry_loads_and_its_missing_checkout_is_a_finding_with_exit_0() {
    let w = World::new();
    let reg = w.put(
        "registry.json",
        &std::fs::read_to_string(fixture("registry.example.json")).expect("fixture"),
    );
    let out = w.ops(
        &w.home(),
        &["--registry", reg.to_str().expect("utf8"), "--json", "audit"],
    );
    let found = findings(&out);
    let missing = w.home().join("Projects/webapp");
    let titles: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|f| {
            (
                f["project"].as_str().expect("project"),
                f["kind"].as_str().expect("kind"),
                f["priority"].as_str().expect("priority"),
            )
        })
        .collect();
    assert_eq!(titles, vec![("webapp", "checkout_missing", "P2")]);
    assert_eq!(
        found[0]["title"],
        format!("checkout missing at {}", missing.display())
    );
    // `--project` finds the external entries by their alias.
    let one = w.ops(
        &w.home(),
        &[
            "--registry",
            reg.to_str().expect("utf8"),
            "--json",
            "audit",
            "--project",
            "eng-team",
        ],
    );
    assert_eq!(findings(&one), Vec::<Value>::new());
}

#[test]
fn a_synced_registry_audits_each_checkout_once_under_its_primary_name() {
    let w = World::new();
    let reg = w.put(
        "registry.json",
        &std::fs::read_to_string(fixture("registry.synced.json")).expect("fixture"),
    );
    let checkouts = w.tmp.path().join("checkouts");
    std::fs::create_dir_all(checkouts.join("notes/.planning")).expect("notes");
    let repo = TempRepo::new();
    ops_testkit::git(
        &checkouts,
        &[
            "clone",
            "--quiet",
            repo.origin().to_str().expect("utf8"),
            "api",
        ],
    );
    std::fs::write(checkouts.join("api/wip.txt"), "x\n").expect("wip");
    std::os::unix::fs::symlink(checkouts.join("api"), checkouts.join("api-link")).expect("link");
    let out = w.ops(
        &w.home(),
        &["--registry", reg.to_str().expect("utf8"), "--json", "audit"],
    );
    let found = findings(&out);
    let seen: Vec<(&str, &str)> = found
        .iter()
        .map(|f| {
            (
                f["project"].as_str().expect("project"),
                f["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(seen, vec![("api", "uncommitted")], "{found:#?}");
    // The repeated entry's name leads to the one that owns the checkout.
    let by_link = w.ops(
        &w.home(),
        &[
            "--registry",
            reg.to_str().expect("utf8"),
            "--json",
            "audit",
            "--project",
            "api-link",
        ],
    );
    let found = findings(&by_link);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["project"], "api");
    // A path in `aliases` is another clone, not a name.
    let by_path = w.ops(
        &w.home(),
        &[
            "--registry",
            reg.to_str().expect("utf8"),
            "audit",
            "--project",
            "checkouts/api-old-clone/",
        ],
    );
    assert_eq!(by_path.status.code(), Some(1), "{}", text(&by_path.stderr));
}

#[test]
fn a_delegated_daemon_service_lets_ops_run_proceed_without_warnings() {
    let w = World::new();
    std::fs::write(
        w.data().join("daemon-health.json"),
        fixture_now("daemon-health.delegated.json"),
    )
    .expect("health");
    let repo = TempRepo::new();
    let out = w.ops(
        &repo.work(),
        &[
            "run",
            "--subagents",
            "--agent",
            "command",
            "--agent-cmd",
            "true",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("wacli-sync") && !err.contains("briefing"),
        "{err}"
    );
    assert!(
        err.contains("daemon service fires-watcher is starting")
            && err.contains("daemon service old-poller is stopped"),
        "neither working nor failed: a warning line each: {err}"
    );
}

#[test]
fn a_monitor_only_daemon_is_healthy_even_with_an_old_timestamp() {
    let w = World::new();
    std::fs::copy(
        fixture("daemon-health.monitor-only.json"),
        w.data().join("daemon-health.json"),
    )
    .expect("health");
    let repo = TempRepo::new();
    let out = w.ops(&repo.work(), &["audit"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn failed_daemon_services_are_p1_findings_of_the_claude_ops_project_and_never_stop_a_run() {
    let w = World::new();
    std::fs::write(
        w.data().join("daemon-health.json"),
        fixture_now("daemon-health.failed.json"),
    )
    .expect("health");
    let repo = TempRepo::new();
    let reg = w.put(
        "registry.json",
        &format!(
            r#"{{"projects": [{{"alias": "claude-ops", "paths": [{:?}]}}]}}"#,
            repo.work().display().to_string()
        ),
    );
    let reg = reg.to_str().expect("utf8");
    let out = w.ops(&w.home(), &["--registry", reg, "--json", "audit"]);
    let found = findings(&out);
    let titles: Vec<(&str, &str)> = found
        .iter()
        .map(|f| {
            (
                f["title"].as_str().expect("title"),
                f["priority"].as_str().expect("priority"),
            )
        })
        .collect();
    assert_eq!(
        titles,
        vec![
            ("daemon service message-listener failed", "P1"),
            ("daemon service wacli-sync failed", "P1"),
        ]
    );
    assert!(
        text(&out.stderr).contains("warning: daemon service wacli-sync failed (config_error)"),
        "{}",
        text(&out.stderr)
    );
    // In a checkout that is not claude-ops: a warning, and the run runs.
    let other = TempRepo::new();
    let run = w.ops(
        &other.work(),
        &[
            "run",
            "--subagents",
            "--agent",
            "command",
            "--agent-cmd",
            "true",
        ],
    );
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(
        err.contains("daemon service message-listener failed"),
        "{err}"
    );
}

#[test]
fn run_flags_are_validated_before_any_daemon_health_is_considered() {
    let w = World::new();
    std::fs::write(
        w.data().join("daemon-health.json"),
        fixture_now("daemon-health.failed.json"),
    )
    .expect("health");
    let repo = TempRepo::new();
    // No mode flag and no terminal: a usage error, not a health refusal.
    let no_mode = w.ops(&repo.work(), &["run"]);
    assert_eq!(no_mode.status.code(), Some(2), "{}", text(&no_mode.stderr));
    let err = text(&no_mode.stderr);
    assert!(
        err.contains("--subagents") && !err.contains("daemon"),
        "{err}"
    );
    // The command runtime without its command: a usage error too.
    let no_cmd = w.ops(&repo.work(), &["run", "--hybrid", "--agent", "command"]);
    assert_eq!(no_cmd.status.code(), Some(2), "{}", text(&no_cmd.stderr));
    assert!(text(&no_cmd.stderr).contains("--agent-cmd"));
}

#[test]
fn a_stale_daemon_file_says_its_age_in_words() {
    let w = World::new();
    std::fs::write(
        w.data().join("daemon-health.json"),
        r#"{"timestamp": "2025-12-01T00:00:00Z", "services": {"inbox": {"status": "running"}}}"#,
    )
    .expect("health");
    let repo = TempRepo::new();
    let out = w.ops(&repo.work(), &["audit"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("days ago (more than 120s"), "{err}");
}
