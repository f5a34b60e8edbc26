//! `ops audit` and `ops plan` through the built binary, on real repositories.

use ops_testkit::TempRepo;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

mod scoped;

/// `ops --state-dir <state> <args>` run in `cwd` with HOME = `home` and every
/// variable ops reads cleared first.
fn ops_in(cwd: &Path, home: &Path, state: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = scoped::ops_command(cwd, home);
    cmd.envs(env.iter().copied())
        .arg("--state-dir")
        .arg(state)
        .args(args);
    cmd.output().expect("the ops binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

struct Setup {
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        Setup {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn home(&self) -> std::path::PathBuf {
        let h = self.tmp.path().join("home");
        std::fs::create_dir_all(&h).expect("home");
        h
    }
    fn state(&self) -> std::path::PathBuf {
        self.tmp.path().join("state")
    }
    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        ops_in(cwd, &self.home(), &self.state(), args, &[])
    }
}

#[test]
fn audit_inside_a_repository_needs_no_registry_and_counts_what_git_counts() {
    let s = Setup::new();
    let repo = TempRepo::new();
    repo.commit_file("src/lib.rs", "fn a() {}\n", "unpushed work");
    repo.write("notes.txt", "untracked\n");
    repo.write("README.md", "# changed\n");
    let findings = json(&s.run(&repo.work().join("src"), &["--json", "audit"]));
    let porcelain = repo.git(&["status", "--porcelain"]).lines().count();
    let ahead = repo.git(&["rev-list", "--count", "origin/dev..HEAD"]);
    let kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, vec!["uncommitted", "unpushed"]);
    assert!(
        findings[0]["title"]
            .as_str()
            .expect("title")
            .starts_with(&format!("{porcelain} uncommitted"))
    );
    assert!(
        findings[1]["title"]
            .as_str()
            .expect("title")
            .starts_with(&format!("{ahead} commit"))
    );
    for f in &findings {
        for field in [
            "source",
            "kind",
            "project",
            "repo",
            "title",
            "priority",
            "fingerprint",
        ] {
            assert!(
                f.get(field).is_some_and(|v| v.is_string()),
                "{field} in {f}"
            );
        }
        assert_eq!(
            f["project"], "work",
            "the scoped project is named after the checkout"
        );
    }
}

#[test]
fn plan_twice_leaves_the_board_as_it_was_and_a_fixed_finding_is_already_done() {
    let s = Setup::new();
    let repo = TempRepo::new();
    repo.write("draft.md", "wip\n");
    let first = json(&s.run(&repo.work(), &["--json", "plan"]));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["status"], "pending");
    let before = json(&s.run(&repo.work(), &["--json", "status"]));
    let again = json(&s.run(&repo.work(), &["--json", "plan"]));
    assert_eq!(again, first, "the second plan shows the same tasks");
    assert_eq!(json(&s.run(&repo.work(), &["--json", "status"])), before);

    std::fs::remove_file(repo.work().join("draft.md")).expect("rm");
    let after = json(&s.run(&repo.work(), &["--json", "plan"]));
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["status"], "completed");
    assert!(
        after[0]["status_reason"]
            .as_str()
            .expect("reason")
            .starts_with("already done")
    );
}

#[test]
fn run_dry_run_plans_like_plan() {
    let s = Setup::new();
    let repo = TempRepo::new();
    repo.write("draft.md", "wip\n");
    let dry = json(&s.run(&repo.work(), &["--json", "run", "--dry-run"]));
    assert_eq!(dry.len(), 1);
    assert_eq!(dry[0]["title"], "1 uncommitted change on dev");
}

fn registry(s: &Setup, body: &str) -> std::path::PathBuf {
    let path = s.tmp.path().join("registry.json");
    std::fs::write(&path, body).expect("write registry");
    path
}

#[test]
fn a_global_audit_reports_a_missing_checkout_as_a_finding_and_exits_0() {
    let s = Setup::new();
    let repo = TempRepo::new();
    repo.write("wip.txt", "x\n");
    let reg = registry(
        &s,
        &format!(
            r#"{{"projects": [{{"alias": "good", "paths": ["{}"]}}, {{"name": "gone", "path": "/nonexistent/checkout"}}]}}"#,
            repo.work().display()
        ),
    );
    let out = s.run(
        &s.home(),
        &["--registry", reg.to_str().expect("utf8"), "--json", "audit"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    let seen: Vec<(&str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["project"].as_str().expect("project"),
                f["kind"].as_str().expect("kind"),
                f["title"].as_str().expect("title"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "gone",
                "checkout_missing",
                "checkout missing at /nonexistent/checkout"
            ),
            ("good", "uncommitted", "1 uncommitted change on dev"),
        ]
    );
}

#[test]
fn a_malformed_registry_fails_naming_the_file_and_the_field() {
    let s = Setup::new();
    let reg = registry(&s, r#"{"projects": [{"alias": "a", "paths": [1]}]}"#);
    let out = s.run(
        &s.home(),
        &["--registry", reg.to_str().expect("utf8"), "audit"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&reg.display().to_string()) && err.contains("projects[0].paths[0]"),
        "{err}"
    );
}

#[test]
fn an_unknown_project_alias_fails_listing_the_known_ones() {
    let s = Setup::new();
    let reg = registry(
        &s,
        r#"{"projects": [{"alias": "web", "paths": []}, {"alias": "api"}]}"#,
    );
    let out = s.run(
        &s.home(),
        &[
            "--registry",
            reg.to_str().expect("utf8"),
            "audit",
            "--project",
            "mobile",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("known projects: web, api"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn outside_any_repository_and_without_a_registry_the_error_lists_where_it_looked() {
    let s = Setup::new();
    let out = s.run(&s.home(), &["audit"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            &s.home()
                .join(".config/ops/registry.json")
                .display()
                .to_string()
        ),
        "{err}"
    );
}

#[test]
fn a_todo_without_a_project_is_refused_when_several_are_in_scope() {
    let s = Setup::new();
    let (a, b) = (TempRepo::new(), TempRepo::new());
    let reg = registry(
        &s,
        &format!(
            r#"{{"projects": [{{"alias": "a", "paths": ["{}"]}}, {{"alias": "b", "paths": ["{}"]}}]}}"#,
            a.work().display(),
            b.work().display()
        ),
    );
    let out = s.run(
        &s.home(),
        &[
            "--registry",
            reg.to_str().expect("utf8"),
            "audit",
            "--todo",
            "write docs",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("`ALIAS: text`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plan_turns_gsd_phases_and_todo_edges_into_dependencies_and_waves() {
    let s = Setup::new();
    let repo = TempRepo::new();
    repo.commit_file(
        ".planning/STATE.md",
        "# State\nPhase: 2 of 3 (Core)\n",
        "gsd state",
    );
    repo.commit_file(
        ".planning/ROADMAP.md",
        "# Roadmap\n## Phase 1: Setup\n- [x] repo\n## Phase 2: Core\n- [ ] model\n## Phase 3: Auth\n- [ ] login\n",
        "gsd roadmap",
    );
    repo.commit_file(
        ".ops/todos.md",
        "- [ ] Fix the flaky test {#flaky} [P1]\n- [ ] Document the fix (after: flaky)\n",
        "todos",
    );
    repo.git(&["push", "--quiet"]);
    let tasks = json(&s.run(
        &repo.work(),
        &[
            "--json",
            "plan",
            "--todo",
            "Bump the version (after: flaky)",
        ],
    ));
    let by_title = |t: &str| {
        tasks
            .iter()
            .find(|x| x["title"].as_str().is_some_and(|v| v.contains(t)))
            .unwrap_or_else(|| panic!("no task {t:?} in {tasks:#?}"))
    };
    let flaky = by_title("Fix the flaky test");
    assert_eq!(flaky["priority"], "P1");
    for dependent in ["Document the fix", "Bump the version"] {
        let t = by_title(dependent);
        assert_eq!(
            t["blocked_by"],
            serde_json::json!([flaky["id"]]),
            "{dependent}"
        );
        assert_eq!(t["wave"], 1, "{dependent}");
    }
    let current = by_title("Phase 2");
    let next = by_title("Phase 3");
    assert_eq!(next["blocked_by"], serde_json::json!([current["id"]]));
    assert_eq!(
        (current["wave"].as_u64(), next["wave"].as_u64()),
        (Some(0), Some(1))
    );

    // The command-line todo is not given again: its task stays.
    let again = json(&s.run(&repo.work(), &["--json", "plan"]));
    let bump = again
        .iter()
        .find(|x| {
            x["title"]
                .as_str()
                .is_some_and(|v| v.contains("Bump the version"))
        })
        .expect("still on the board");
    assert_eq!(bump["status"], "pending");
}

#[test]
fn planning_in_an_unregistered_clone_named_like_a_project_never_completes_that_projects_tasks() {
    let s = Setup::new();
    let registered = TempRepo::new();
    registered.write("draft.md", "wip\n");
    let reg = registry(
        &s,
        &format!(
            r#"{{"projects": [{{"alias": "work", "paths": [{:?}]}}]}}"#,
            registered.work().display().to_string()
        ),
    );
    let reg = reg.to_str().expect("utf-8 path");
    let global = json(&s.run(&s.home(), &["--registry", reg, "--json", "plan"]));
    assert_eq!(global.len(), 1);
    assert_eq!(global[0]["status"], "pending");

    // Another, clean clone whose directory is also called `work`.
    let other = TempRepo::new();
    let scoped = s.run(&other.work(), &["--registry", reg, "--json", "plan"]);
    assert!(scoped.status.success(), "{}", text(&scoped.stderr));
    let board = json(&s.run(&s.home(), &["--registry", reg, "--json", "status"]));
    let task = board
        .iter()
        .find(|t| t["id"] == global[0]["id"])
        .expect("the registered project's task");
    assert_eq!(
        task["status"], "pending",
        "the registered checkout still has its change: {board:#?}"
    );
}

#[test]
fn a_checkout_listed_twice_in_a_project_under_other_spellings_is_planned_once() {
    let s = Setup::new();
    let repo = TempRepo::new();
    repo.write("wip.txt", "x\n");
    let link = s.tmp.path().join("link-to-work");
    std::os::unix::fs::symlink(repo.work(), &link).expect("symlink");
    let work = repo.work().display().to_string();
    let reg = registry(
        &s,
        &format!(
            r#"{{"projects": [{{"alias": "app", "paths": [{work:?}, "{work}/", {:?}], "path": "{work}/."}}]}}"#,
            link.display().to_string()
        ),
    );
    let tasks = json(&s.run(
        &s.home(),
        &["--registry", reg.to_str().expect("utf8"), "--json", "plan"],
    ));
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    assert_eq!(tasks[0]["repo"], work);
}
