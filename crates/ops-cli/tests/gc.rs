//! `ops gc` through the built binary: removes landed task worktrees and keeps the
//! others with the reason, SCOPED inside a checkout or GLOBAL over the registry.

use ops_testkit::{TempRepo, git};
use std::path::{Path, PathBuf};
use std::process::Output;

mod scoped;

/// `ops gc --json` run in `cwd` with HOME = `home`, every variable ops reads cleared
/// and then `env` set.
fn ops_gc(cwd: &Path, home: &Path, env: &[(&str, &Path)]) -> Output {
    let mut cmd = scoped::ops_command(cwd, home);
    cmd.envs(ops_testkit::git_env())
        .envs(env.iter().copied())
        .args(["gc", "--json"]);
    cmd.output().expect("the ops binary runs")
}

fn add_worktree(repo: &TempRepo, id: &str) -> PathBuf {
    let path = repo.work().join(".worktrees").join(id);
    let p = path.to_str().expect("utf-8");
    repo.git(&[
        "worktree",
        "add",
        "--quiet",
        "-b",
        &format!("ops/{id}"),
        p,
        "origin/dev",
    ]);
    path
}

fn rows(out: &Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn row<'a>(rows: &'a [serde_json::Value], branch: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["branch"] == branch)
        .unwrap_or_else(|| panic!("a row for {branch}: {rows:?}"))
}

#[test]
fn scoped_gc_removes_a_landed_worktree_and_keeps_one_with_unlanded_commits_saying_why() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let landed = add_worktree(&repo, "landed");
    let unlanded = add_worktree(&repo, "unlanded");
    std::fs::write(unlanded.join("x.txt"), "x").expect("write");
    git(&unlanded, &["add", "x.txt"]);
    git(&unlanded, &["commit", "-qm", "x"]);
    let rows = rows(&ops_gc(&repo.work(), home.path(), &[]));
    assert_eq!(row(&rows, "ops/landed")["action"], "removed");
    assert_eq!(row(&rows, "ops/unlanded")["action"], "kept");
    let reason = row(&rows, "ops/unlanded")["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.contains("1 commit(s)") && reason.contains("origin/dev"),
        "{reason}"
    );
    assert!(!landed.exists());
    assert!(unlanded.join("x.txt").exists());
}

#[test]
fn global_gc_uses_each_projects_dev_branch_and_warns_about_a_missing_path() {
    let repo = TempRepo::new();
    // The project lands on `trunk`: a worktree merged there (but not into dev) is landed.
    repo.git(&["checkout", "--quiet", "-b", "trunk"]);
    repo.git(&["push", "--quiet", "-u", "origin", "trunk"]);
    let wt = add_worktree(&repo, "t1");
    std::fs::write(wt.join("t.txt"), "t").expect("write");
    git(&wt, &["add", "t.txt"]);
    git(&wt, &["commit", "-qm", "t"]);
    repo.git(&["merge", "--quiet", "--ff-only", "ops/t1"]);
    repo.git(&["push", "--quiet"]);
    let home = tempfile::tempdir().expect("home");
    let registry = home.path().join("registry.json");
    let missing = home.path().join("gone");
    let text = serde_json::json!({
        "version": 1,
        "projects": [
            { "alias": "app", "paths": [repo.work()], "dev_branch": "trunk" },
            { "alias": "old", "paths": [missing] }
        ]
    });
    std::fs::write(&registry, text.to_string()).expect("registry");
    let out = ops_gc(home.path(), home.path(), &[("OPS_REGISTRY", &registry)]);
    let rows = rows(&out);
    assert_eq!(row(&rows, "ops/t1")["action"], "removed", "{rows:?}");
    assert_eq!(row(&rows, "ops/t1")["project"], "app");
    assert!(
        row(&rows, "ops/t1")["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("origin/trunk"),
        "{rows:?}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("project old") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn gc_outside_a_checkout_without_a_registry_fails_saying_where_it_looked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = ops_gc(dir.path(), dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("registry"), "{err}");
}

#[test]
fn global_gc_warns_about_a_project_without_its_dev_branch_and_still_collects_the_others() {
    let good = TempRepo::new();
    let wt = add_worktree(&good, "g1");
    let broken = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let registry = home.path().join("registry.json");
    let text = serde_json::json!({
        "version": 1,
        "projects": [
            { "alias": "broken", "paths": [broken.work()], "dev_branch": "no-such-branch" },
            { "alias": "app", "paths": [good.work()] }
        ]
    });
    std::fs::write(&registry, text.to_string()).expect("registry");
    let out = ops_gc(home.path(), home.path(), &[("OPS_REGISTRY", &registry)]);
    let rows = rows(&out);
    assert_eq!(row(&rows, "ops/g1")["action"], "removed", "{rows:?}");
    assert!(!wt.exists());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("project broken") && err.contains("no-such-branch"),
        "{err}"
    );
}
