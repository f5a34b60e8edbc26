//! The quality gates against real repositories: each test names the rule it proves.

mod common;

use common::{branch, task};
use ops_core::conformance;
use ops_core::seams::{PatchReader, QualityGate};
use ops_ship::gate::{BranchPatch, CommandGate, DiffScopeGate, GateBase, SecretsGate};
use ops_testkit::TempRepo;
use std::time::Duration;

/// A canary token: a GitHub-token-shaped string no real account has.
const CANARY: &str = "ghp_CANARYcanary0123456789CANARYcanary01";

#[tokio::test]
async fn command_gate_passes_on_exit_zero_and_fails_with_the_exit_status_and_log_tail() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let good = branch(&repo, "ops/good", &[("ok.txt", "ok\n")]);
    let bad = branch(&repo, "ops/bad", &[("other.txt", "x\n")]);
    let gate = CommandGate::fixed(
        "echo checking; test -f ok.txt || { echo 'ok.txt is missing' >&2; exit 3; }",
    );
    conformance::gate(&gate, &t, &good, &bad).await;
    let v = gate.check(&t, &bad).await.expect("runs");
    assert!(v.detail.contains("exited with 3"), "{}", v.detail);
    assert!(
        v.detail.contains("ok.txt is missing"),
        "the stderr tail is kept: {}",
        v.detail
    );
}

#[tokio::test]
async fn a_command_that_exits_0_leaving_a_background_child_on_its_output_passes_and_the_child_is_killed()
 {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/daemon", &[("a.txt", "a\n")]);
    // The background sleep keeps stdout open after the shell exits 0.
    let gate = CommandGate::fixed("sleep 60 & echo $! > child.pid; echo tests ok")
        .with_timeout(Duration::from_secs(20));
    let v = gate.check(&t, &work).await.expect("runs");
    assert!(v.passed, "the command exited 0: {}", v.detail);
    assert!(v.detail.contains("tests ok"), "{}", v.detail);
    let pid = std::fs::read_to_string(work.worktree.as_ref().expect("wt").join("child.pid"))
        .expect("the command wrote its child's pid");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let alive = std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
        && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
            .unwrap_or_default()
            .contains(") Z ");
    assert!(
        !alive,
        "the leftover `sleep` was killed with the gate's group"
    );
}

#[tokio::test]
async fn command_gate_kills_the_whole_process_group_at_its_timeout() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/slow", &[("a.txt", "a\n")]);
    let gate = CommandGate::fixed("sleep 30 & echo $! > child.pid; wait")
        .with_timeout(Duration::from_millis(500));
    let v = gate.check(&t, &work).await.expect("runs");
    assert!(!v.passed);
    assert!(v.detail.contains("did not finish within"), "{}", v.detail);
    let pid = std::fs::read_to_string(work.worktree.as_ref().expect("wt").join("child.pid"))
        .expect("the command wrote its child's pid");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let alive = std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
        && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
            .unwrap_or_default()
            .contains(") Z ");
    assert!(!alive, "the grandchild `sleep` was killed with its group");
}

#[tokio::test]
async fn command_gate_takes_the_command_from_the_project_config_not_the_task() {
    let repo = TempRepo::new();
    let mut t = task(&repo, "t1");
    t.quality_gate = Some("true".into());
    let work = branch(&repo, "ops/w", &[("a.txt", "a\n")]);
    let project = ops_core::model::Project {
        alias: "proj".into(),
        quality_gate: Some("exit 7".into()),
        ..Default::default()
    };
    let v = CommandGate::from_projects(&[project])
        .check(&t, &work)
        .await
        .expect("runs");
    assert!(
        !v.passed && v.detail.contains("exited with 7"),
        "{}",
        v.detail
    );
    let none = CommandGate::from_projects(&[])
        .check(&t, &work)
        .await
        .expect("runs");
    assert!(
        none.passed && none.detail.contains("configures no quality-gate"),
        "{}",
        none.detail
    );
}

#[tokio::test]
async fn command_gate_output_never_carries_a_token_and_its_environment_is_allow_listed() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/w", &[("a.txt", "a\n")]);
    let cmd = format!("echo \"deploying with {CANARY}\"; env | cut -d= -f1 | sort; exit 1");
    let v = CommandGate::fixed(cmd)
        .check(&t, &work)
        .await
        .expect("runs");
    assert!(!v.passed);
    assert!(!v.detail.contains(CANARY), "{}", v.detail);
    assert!(
        v.detail.contains("[redacted GitHub personal access token]"),
        "{}",
        v.detail
    );
    for line in v.detail.lines().skip(2) {
        let allowed = ops_ship::gate::command::ALLOWED_ENV.contains(&line)
            || ["PWD", "SHLVL", "_", "OLDPWD"].contains(&line);
        assert!(
            allowed,
            "unexpected variable {line:?} reached the gate command"
        );
    }
}

#[tokio::test]
async fn diff_scope_fails_an_empty_diff_and_files_outside_the_task_paths() {
    let repo = TempRepo::new();
    let mut t = task(&repo, "t1");
    t.paths = vec!["src/api".into()];
    let inside = branch(
        &repo,
        "ops/in",
        &[("src/api/a.rs", "a\n"), ("src/api/x/b.rs", "b\n")],
    );
    let outside = branch(
        &repo,
        "ops/out",
        &[("src/api/a.rs", "a\n"), ("src/db.rs", "db\n")],
    );
    let empty = branch(&repo, "ops/empty", &[]);
    let gate = DiffScopeGate::new(GateBase::default());
    conformance::gate(&gate, &t, &inside, &outside).await;
    let v = gate.check(&t, &outside).await.expect("runs");
    assert!(
        v.detail.contains("src/db.rs") && !v.detail.contains("src/api/a.rs"),
        "{}",
        v.detail
    );
    let v = gate.check(&t, &empty).await.expect("runs");
    assert!(
        !v.passed && v.detail.contains("changes nothing"),
        "{}",
        v.detail
    );
    t.paths.clear();
    assert!(
        gate.check(&t, &outside).await.expect("runs").passed,
        "no paths: the whole repo is owned"
    );
}

/// Issue 14.4: a runtime's own files an agent committed itself (Aider's
/// history, Claude Code's local settings) are a scope finding even when the
/// task owns the whole repository; a runtime file the project tracks is its own.
#[tokio::test]
async fn diff_scope_fails_a_runtimes_own_files_added_by_the_agent_naming_them() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let clean = branch(&repo, "ops/clean", &[("hello.txt", "hi\n")]);
    let with_files = branch(
        &repo,
        "ops/runtime-files",
        &[
            ("hello.txt", "hi\n"),
            (".aider.chat.history.md", "# aider chat\n"),
            (".claude/settings.local.json", "{}\n"),
        ],
    );
    let gate = DiffScopeGate::new(GateBase::default());
    conformance::gate(&gate, &t, &clean, &with_files).await;
    let v = gate.check(&t, &with_files).await.expect("runs");
    assert!(
        v.detail.contains(".aider.chat.history.md (Aider)")
            && v.detail
                .contains(".claude/settings.local.json (Claude Code)")
            && !v.detail.contains("hello.txt"),
        "{}",
        v.detail
    );

    repo.commit_file(
        ".claude/settings.json",
        "{}\n",
        "the project's own Claude settings",
    );
    repo.git(&["push", "--quiet", "origin", "dev"]);
    let edits_tracked = branch(
        &repo,
        "ops/tracked",
        &[(".claude/settings.json", "{\"a\":1}\n")],
    );
    let v = gate.check(&t, &edits_tracked).await.expect("runs");
    assert!(v.passed, "a tracked file is the project's: {}", v.detail);
}

#[tokio::test]
async fn diff_scope_compares_with_the_merge_base_so_dev_moving_on_is_not_the_tasks_change() {
    let repo = TempRepo::new();
    let mut t = task(&repo, "t1");
    t.paths = vec!["src".into()];
    let work = branch(&repo, "ops/w", &[("src/a.rs", "a\n")]);
    repo.commit_file("docs/later.md", "dev moved on\n", "dev moves");
    repo.git(&["push", "--quiet", "origin", "dev"]);
    let v = DiffScopeGate::default()
        .check(&t, &work)
        .await
        .expect("runs");
    assert!(v.passed, "{}", v.detail);
}

#[tokio::test]
async fn secrets_gate_refuses_a_diff_touching_dot_env_or_a_key_file() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let clean = branch(&repo, "ops/clean", &[("src/a.rs", "fn a() {}\n")]);
    let env = branch(
        &repo,
        "ops/env",
        &[("src/a.rs", "fn a() {}\n"), ("app/.env", "X=1\n")],
    );
    let key = branch(&repo, "ops/key", &[("deploy/tls.key", "k\n")]);
    let gate = SecretsGate::default();
    conformance::gate(&gate, &t, &clean, &env).await;
    let v = gate.check(&t, &env).await.expect("runs");
    assert!(v.detail.contains("app/.env"), "{}", v.detail);
    assert!(!gate.check(&t, &key).await.expect("runs").passed);
}

#[tokio::test]
async fn secrets_gate_refuses_an_added_token_without_repeating_it() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let leak = branch(
        &repo,
        "ops/leak",
        &[("src/cfg.rs", &format!("const T: &str = \"{CANARY}\";\n"))],
    );
    let v = SecretsGate::default().check(&t, &leak).await.expect("runs");
    assert!(!v.passed);
    assert!(
        v.detail.contains("src/cfg.rs") && v.detail.contains("GitHub personal access token"),
        "{}",
        v.detail
    );
    assert!(!v.detail.contains(CANARY), "{}", v.detail);
}

#[tokio::test]
async fn secrets_gate_refuses_a_value_ops_knows_even_when_no_pattern_matches_it_and_a_later_commit_removes_it()
 {
    // Lower-case letters, digits and dashes: no token pattern, no entropy rule.
    let known = "canary-known-4e1f7a2c9b";
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(
        &repo,
        "ops/known",
        &[("src/cfg.rs", &format!("const K: &str = \"{known}\";\n"))],
    );
    let wt = work.worktree.clone().expect("wt");
    std::fs::write(wt.join("src/cfg.rs"), "const K: &str = \"\";\n").expect("write");
    ops_testkit::git(&wt, &["commit", "--quiet", "-am", "remove the value"]);
    let unaware = SecretsGate::default().check(&t, &work).await.expect("runs");
    assert!(unaware.passed, "no pattern matches it: {}", unaware.detail);
    let redactor = ops_core::secret::Redactor::new();
    let gate = SecretsGate::default().with_known_values(redactor.clone());
    // Learned after the gate was built: the gate shares what the redactor knows.
    redactor.learn(known);
    let v = gate.check(&t, &work).await.expect("runs");
    assert!(!v.passed, "{}", v.detail);
    assert!(
        v.detail.contains("src/cfg.rs") && v.detail.contains("secret value ops knows"),
        "{}",
        v.detail
    );
    assert!(!v.detail.contains(known), "{}", v.detail);
}

#[tokio::test]
async fn secrets_gate_judges_only_the_change_not_secrets_already_on_dev() {
    let repo = TempRepo::new();
    repo.commit_file(
        ".env.example",
        &format!("TOKEN={CANARY}\n"),
        "old mistake on dev",
    );
    repo.git(&["push", "--quiet", "origin", "dev"]);
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/w", &[("src/a.rs", "fn a() {}\n")]);
    let v = SecretsGate::default().check(&t, &work).await.expect("runs");
    assert!(v.passed, "{}", v.detail);
}

#[tokio::test]
async fn secrets_gate_refuses_a_token_committed_and_removed_in_a_later_commit() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(
        &repo,
        "ops/history",
        &[("src/cfg.rs", &format!("const T: &str = \"{CANARY}\";\n"))],
    );
    let wt = work.worktree.clone().expect("wt");
    std::fs::write(wt.join("src/cfg.rs"), "const T: &str = \"\";\n").expect("write");
    ops_testkit::git(&wt, &["commit", "--quiet", "-am", "remove the token"]);
    let net = ops_testkit::git(&wt, &["diff", "dev", "HEAD"]);
    assert!(!net.contains(CANARY), "the net diff is clean: {net}");
    let v = SecretsGate::default().check(&t, &work).await.expect("runs");
    assert!(
        !v.passed,
        "a commit of the branch holds the token: {}",
        v.detail
    );
    assert!(
        v.detail.contains("GitHub personal access token"),
        "{}",
        v.detail
    );
    assert!(!v.detail.contains(CANARY), "{}", v.detail);
}

#[tokio::test]
async fn secrets_gate_refuses_a_token_in_a_commit_message_naming_the_commit_not_the_token() {
    // The GitHub shipper pushes the task branch's own commits (the PR's head),
    // messages included: a token there would reach the forge.
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/message", &[("src/a.rs", "fn a() {}\n")]);
    let wt = work.worktree.clone().expect("wt");
    std::fs::write(wt.join("src/a.rs"), "fn a() { }\n").expect("write");
    let message = format!("use the deploy token\n\ntoken: {CANARY}\n");
    ops_testkit::git(&wt, &["commit", "--quiet", "-am", &message]);
    let v = SecretsGate::default().check(&t, &work).await.expect("runs");
    assert!(!v.passed, "the message holds a token: {}", v.detail);
    assert!(
        v.detail.contains("commit message") && v.detail.contains("GitHub personal access token"),
        "{}",
        v.detail
    );
    assert!(!v.detail.contains(CANARY), "{}", v.detail);
}

#[tokio::test]
async fn secrets_gate_refuses_a_secret_file_added_then_deleted() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/env-gone", &[("app/.env", "X=1\n")]);
    let wt = work.worktree.clone().expect("wt");
    ops_testkit::git(&wt, &["rm", "--quiet", "app/.env"]);
    ops_testkit::git(&wt, &["commit", "--quiet", "--allow-empty", "-m", "gone"]);
    let v = SecretsGate::default().check(&t, &work).await.expect("runs");
    assert!(!v.passed && v.detail.contains("app/.env"), "{}", v.detail);
}

#[tokio::test]
async fn secrets_gate_refuses_an_aws_key_split_into_a_base64_file_and_a_hex_secret() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    // `AKIAQYLPMN5HHHFPZAM2` in base64, and a hex secret under a secret-named key.
    let work = branch(
        &repo,
        "ops/split",
        &[
            ("deploy/key_id.txt", "QUtJQVFZTFBNTjVISEhGUFpBTTI=\n"),
            (
                "deploy/settings.ini",
                "UPLOAD_SECRET_PART=77a8c1d0e3f54b2a9c6d11f0b3e5a7c9\n",
            ),
        ],
    );
    let v = SecretsGate::default().check(&t, &work).await.expect("runs");
    assert!(!v.passed, "{}", v.detail);
    assert!(
        v.detail.contains("deploy/key_id.txt")
            && v.detail.contains("base64-encoded AWS access key id"),
        "{}",
        v.detail
    );
    assert!(
        v.detail.contains("deploy/settings.ini")
            && v.detail.contains("high-entropy secret assignment"),
        "{}",
        v.detail
    );
}

#[tokio::test]
async fn secrets_gate_refuses_symlinks_outside_the_worktree_or_at_secret_files() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/links", &[]);
    let wt = work.worktree.clone().expect("wt");
    std::os::unix::fs::symlink("/etc/hostname", wt.join("host")).expect("symlink");
    std::os::unix::fs::symlink("deploy/.env", wt.join("config")).expect("symlink");
    ops_testkit::git(&wt, &["add", "host", "config"]);
    ops_testkit::git(&wt, &["commit", "--quiet", "-m", "links"]);
    let v = SecretsGate::default().check(&t, &work).await.expect("runs");
    assert!(!v.passed, "{}", v.detail);
    assert!(
        v.detail
            .contains("host: a symlink points outside the worktree"),
        "{}",
        v.detail
    );
    assert!(
        v.detail
            .contains("config: a symlink points at a secret file"),
        "{}",
        v.detail
    );
    let fine = branch(&repo, "ops/fine-link", &[]);
    let fwt = fine.worktree.clone().expect("wt");
    std::os::unix::fs::symlink("README.md", fwt.join("readme")).expect("symlink");
    ops_testkit::git(&fwt, &["add", "readme"]);
    ops_testkit::git(&fwt, &["commit", "--quiet", "-m", "inner link"]);
    let v = SecretsGate::default().check(&t, &fine).await.expect("runs");
    assert!(v.passed, "a link inside the worktree is fine: {}", v.detail);
}

#[tokio::test]
async fn secrets_gate_refuses_files_over_the_project_limit_and_binaries_unless_allowed() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let big = "x".repeat(2 * 1024 * 1024 + 1);
    let work = branch(&repo, "ops/big", &[("data/big.txt", &big)]);
    let project = |mb: u64, binaries: bool| ops_core::model::Project {
        alias: "proj".into(),
        max_file_mb: Some(mb),
        allow_binaries: binaries,
        ..ops_core::model::Project::default()
    };
    let strict = SecretsGate::from_projects(&[project(2, false)]);
    let v = strict.check(&t, &work).await.expect("runs");
    assert!(
        !v.passed && v.detail.contains("over the 2097152 byte limit"),
        "{}",
        v.detail
    );
    let roomy = SecretsGate::from_projects(&[project(3, false)]);
    assert!(roomy.check(&t, &work).await.expect("runs").passed);
    let bin = branch(&repo, "ops/bin", &[("a.bin", "\u{0}\u{1}\u{2}binary")]);
    let v = roomy.check(&t, &bin).await.expect("runs");
    assert!(
        !v.passed && v.detail.contains("binary file"),
        "{}",
        v.detail
    );
    let lax = SecretsGate::from_projects(&[project(3, true)]);
    assert!(lax.check(&t, &bin).await.expect("runs").passed);
}

#[tokio::test]
async fn the_reviewers_patch_is_what_the_branch_adds_with_tokens_redacted() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(
        &repo,
        "ops/w",
        &[(
            "src/auth.rs",
            &format!("fn check() {{}}\nlet t = \"{CANARY}\";\n"),
        )],
    );
    let patch = BranchPatch::new(GateBase::default())
        .patch(&t, &work)
        .await
        .expect("reads the patch");
    assert!(
        patch.contains("src/auth.rs") && patch.contains("+fn check() {}"),
        "{patch}"
    );
    assert!(
        !patch.contains(CANARY) && patch.contains("[redacted"),
        "{patch}"
    );
}

#[tokio::test]
async fn command_gate_without_a_worktree_tests_the_branch_tip_not_the_checkout() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let mut work = branch(&repo, "ops/tip", &[("ok.txt", "ok\n")]);
    work.worktree = None;
    assert!(
        !repo.work().join("ok.txt").exists(),
        "the checkout is on dev"
    );
    let v = CommandGate::fixed("test -f ok.txt")
        .check(&t, &work)
        .await
        .expect("runs");
    assert!(v.passed, "{}", v.detail);
    let worktrees = repo.git(&["worktree", "list", "--porcelain"]);
    assert_eq!(
        worktrees.matches("worktree ").count(),
        2,
        "the scratch worktree is gone: {worktrees}"
    );
}
