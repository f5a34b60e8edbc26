//! `ops gc` inside a checkout: removes landed task worktrees, keeps the others with
//! the reason, and refuses to run outside a checkout.

use ops_testkit::{TempRepo, git};
use std::path::Path;
use std::process::{Command, Output};

fn ops_gc(dir: &Path, json: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ops"));
    cmd.current_dir(dir).arg("gc");
    if json {
        cmd.arg("--json");
    }
    for var in ["OPS_STATE_DIR", "OPS_REGISTRY", "XDG_STATE_HOME"] {
        cmd.env_remove(var);
    }
    cmd.envs(ops_testkit::git_env());
    cmd.output().expect("the ops binary runs")
}

fn add_worktree(repo: &TempRepo, id: &str) -> std::path::PathBuf {
    let path = repo.work().join(".worktrees").join(id);
    repo.git(&[
        "worktree",
        "add",
        "--quiet",
        "-b",
        &format!("ops/{id}"),
        path.to_str().expect("utf-8"),
        "origin/dev",
    ]);
    path
}

#[test]
fn gc_removes_a_landed_worktree_and_keeps_one_with_unlanded_commits_saying_why() {
    let repo = TempRepo::new();
    let landed = add_worktree(&repo, "landed");
    let unlanded = add_worktree(&repo, "unlanded");
    std::fs::write(unlanded.join("x.txt"), "x").expect("write");
    git(&unlanded, &["add", "x.txt"]);
    git(&unlanded, &["commit", "-qm", "x"]);
    let out = ops_gc(&repo.work(), true);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = rows.as_array().expect("an array");
    let row = |b: &str| {
        rows.iter()
            .find(|r| r["branch"] == b)
            .unwrap_or_else(|| panic!("a row for {b}: {rows:?}"))
    };
    assert_eq!(row("ops/landed")["action"], "removed");
    assert_eq!(row("ops/unlanded")["action"], "kept");
    assert!(
        row("ops/unlanded")["reason"]
            .as_str()
            .is_some_and(|r| r.contains("1 commit(s)")),
        "{rows:?}"
    );
    assert!(!landed.exists());
    assert!(unlanded.join("x.txt").exists());
}

#[test]
fn gc_outside_a_checkout_fails_naming_the_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = ops_gc(dir.path(), false);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not inside a git checkout"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
}
