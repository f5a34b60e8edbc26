//! The local git source against real repositories, with git itself as the oracle.

use ops_core::model::{Finding, Priority, Project};
use ops_core::{ErrorKind, IssueSource};
use ops_sources::{LocalGitSource, git_facts};
use ops_testkit::TempRepo;
use ops_testkit::fixtures::{
    dangling_gitfile, garbage_head, porcelain_count, porcelain_paths, rev_list_count,
};
use std::path::{Path, PathBuf};

fn project(alias: &str, paths: &[&Path], dev: Option<&str>) -> Project {
    Project {
        alias: alias.into(),
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        dev_branch: dev.map(Into::into),
        ..Project::default()
    }
}

fn kinds(findings: &[Finding]) -> Vec<&str> {
    let mut k: Vec<&str> = findings.iter().map(|f| f.kind.as_str()).collect();
    k.sort();
    k
}

fn find<'a>(findings: &'a [Finding], kind: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} finding in {findings:#?}"))
}

#[test]
fn counts_agree_with_git_status_and_rev_list_on_mixed_changes() {
    let repo = TempRepo::new();
    repo.pushed_commits("pushed", 2);
    repo.unpushed_commits("local", 3);
    repo.mixed_changes();
    let work = repo.work();
    let facts = git_facts(&work, Some("dev")).expect("facts");
    assert_eq!(
        facts.changes,
        porcelain_paths(&work),
        "same paths as git status"
    );
    assert_eq!(facts.dirty(), porcelain_count(&work));
    assert_eq!(
        facts.dirty(),
        8,
        "one line per path, the untracked dir collapsed"
    );
    assert_eq!(facts.ahead, Some(rev_list_count(&work, "origin/dev..HEAD")));
    assert_eq!(
        facts.ahead,
        Some(4),
        "3 local commits and the fixture's own"
    );
    assert_eq!(facts.branch.as_deref(), Some("dev"));
    assert_eq!(facts.base.as_deref(), Some("origin/dev"));
    assert!(!facts.detached);
}

#[test]
fn a_clean_pushed_checkout_has_no_changes_and_is_not_ahead() {
    let repo = TempRepo::new();
    repo.pushed_commits("pushed", 2);
    let facts = git_facts(&repo.work(), Some("dev")).expect("facts");
    assert_eq!(facts.dirty(), 0);
    assert_eq!(porcelain_count(&repo.work()), 0);
    assert_eq!(facts.ahead, Some(0));
}

#[test]
fn untracked_files_alone_make_a_checkout_dirty() {
    let repo = TempRepo::new();
    repo.write("notes.txt", "scratch\n");
    let facts = git_facts(&repo.work(), Some("dev")).expect("facts");
    assert_eq!(facts.changes, vec!["notes.txt".to_owned()]);
    assert_eq!(facts.dirty(), porcelain_count(&repo.work()));
}

#[test]
fn a_linked_worktree_is_audited_on_its_own_branch_against_origin_dev() {
    let repo = TempRepo::new();
    repo.unpushed_commits("on-dev", 1);
    let wt = repo.linked_worktree("feature-wt", "feature");
    ops_testkit::git(
        &wt,
        &["commit", "--quiet", "--allow-empty", "-m", "feature work"],
    );
    std::fs::write(wt.join("wip.txt"), "wip\n").expect("write");
    let facts = git_facts(&wt, Some("dev")).expect("facts");
    assert_eq!(facts.branch.as_deref(), Some("feature"));
    assert_eq!(facts.dirty(), porcelain_count(&wt));
    assert_eq!(facts.dirty(), 1);
    assert_eq!(facts.ahead, Some(rev_list_count(&wt, "origin/dev..HEAD")));
    assert_eq!(
        facts.ahead,
        Some(2),
        "dev's unpushed commit and the feature commit"
    );
    // The main checkout is not affected by the worktree's state.
    let main = git_facts(&repo.work(), Some("dev")).expect("facts");
    assert_eq!(main.dirty(), 0);
    assert_eq!(main.ahead, Some(1));
}

#[test]
fn a_detached_head_is_reported_with_its_ahead_count() {
    let repo = TempRepo::new();
    repo.unpushed_commits("local", 2);
    let wt = repo.detached_worktree("detached-wt", "HEAD");
    let facts = git_facts(&wt, Some("dev")).expect("facts");
    assert!(facts.detached);
    assert_eq!(facts.branch, None);
    assert_eq!(facts.ahead, Some(rev_list_count(&wt, "origin/dev..HEAD")));
    assert_eq!(facts.ahead, Some(2));
}

#[test]
fn without_a_dev_branch_the_upstream_is_the_base() {
    let repo = TempRepo::new();
    repo.git(&["checkout", "--quiet", "main"]);
    repo.unpushed_commits("on-main", 2);
    for dev in [None, Some("no-such-branch")] {
        let facts = git_facts(&repo.work(), dev).expect("facts");
        assert_eq!(facts.base.as_deref(), Some("origin/main"), "dev = {dev:?}");
        assert_eq!(
            facts.ahead,
            Some(rev_list_count(&repo.work(), "@{u}..HEAD"))
        );
        assert_eq!(facts.ahead, Some(2));
    }
}

#[test]
fn without_dev_branch_or_upstream_the_remote_default_branch_is_the_base() {
    let repo = TempRepo::new();
    repo.git(&["remote", "set-head", "origin", "main"]);
    repo.git(&["checkout", "--quiet", "-b", "local-only"]);
    repo.unpushed_commits("x", 1);
    let facts = git_facts(&repo.work(), None).expect("facts");
    assert_eq!(facts.base.as_deref(), Some("origin/main"));
    assert_eq!(
        facts.ahead,
        Some(rev_list_count(&repo.work(), "origin/HEAD..HEAD"))
    );
    assert_eq!(facts.ahead, Some(1));
}

#[test]
fn with_no_base_at_all_nothing_is_counted() {
    let repo = TempRepo::new();
    repo.git(&["checkout", "--quiet", "-b", "local-only"]);
    let facts = git_facts(&repo.work(), None).expect("facts");
    assert_eq!((facts.base, facts.ahead), (None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_name_counts_branch_and_base_without_counts_in_fingerprints() {
    let repo = TempRepo::new();
    repo.unpushed_commits("local", 2);
    repo.write("a.txt", "a\n");
    let work = repo.work();
    let p = project("app", &[&work], Some("dev"));
    let first = LocalGitSource::new().audit(&p).await.expect("audit");
    assert_eq!(kinds(&first), ["uncommitted", "unpushed"]);
    let dirty = find(&first, "uncommitted");
    assert_eq!(dirty.title, "1 uncommitted change on dev");
    assert_eq!(dirty.priority, Priority::P2);
    assert_eq!(dirty.repo, work.display().to_string());
    assert!(dirty.detail.contains("a.txt"), "{}", dirty.detail);
    assert_eq!(
        dirty.paths,
        ["a.txt"],
        "changed files, for the sensitive-path rule"
    );
    let ahead = find(&first, "unpushed");
    assert_eq!(ahead.title, "2 commits on dev not on origin/dev");
    assert!(
        ahead.detail.contains("ahead of base: 2"),
        "{}",
        ahead.detail
    );

    // More changes and more commits: the same findings, new counts.
    repo.write("b.txt", "b\n");
    repo.unpushed_commits("more", 1);
    let second = LocalGitSource::new().audit(&p).await.expect("audit");
    assert_eq!(find(&second, "uncommitted").fingerprint, dirty.fingerprint);
    assert_eq!(find(&second, "unpushed").fingerprint, ahead.fingerprint);
    assert_eq!(
        find(&second, "uncommitted").title,
        "2 uncommitted changes on dev"
    );
    assert_eq!(
        find(&second, "unpushed").title,
        "3 commits on dev not on origin/dev"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_own_files_alone_are_no_uncommitted_changes_and_are_not_counted_beside_others() {
    let repo = TempRepo::new();
    // Untracked (`.ops/` as git collapses it), then committed and edited.
    repo.write(".ops/todos.md", "- [ ] Fix the login\n");
    let p = project("app", &[&repo.work()], Some("dev"));
    let found = LocalGitSource::new().audit(&p).await.expect("audit");
    assert_eq!(found, [], "an untracked .ops/todos.md is ops' own file");
    repo.commit_file(".ops/todos.md", "- [ ] Fix the login\n", "todos");
    repo.git(&["push", "--quiet"]);
    repo.write(".ops/todos.md", "- [x] Fix the login\n");
    let found = LocalGitSource::new().audit(&p).await.expect("audit");
    assert_eq!(found, [], "an edited .ops/todos.md is ops' own file");

    repo.write("a.txt", "a\n");
    let found = LocalGitSource::new().audit(&p).await.expect("audit");
    let dirty = find(&found, "uncommitted");
    assert_eq!(dirty.title, "1 uncommitted change on dev");
    assert_eq!(dirty.paths, ["a.txt"]);
    assert!(!dirty.detail.contains(".ops"), "{}", dirty.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detached_head_gives_a_p3_finding() {
    let repo = TempRepo::new();
    let wt = repo.detached_worktree("detached-wt", "HEAD");
    let found = LocalGitSource::new()
        .audit(&project("app", &[&wt], Some("dev")))
        .await
        .expect("audit");
    assert_eq!(kinds(&found), ["detached_head"]);
    assert_eq!(found[0].priority, Priority::P3);
    assert!(
        found[0].title.starts_with("detached HEAD at "),
        "{}",
        found[0].title
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_checkout_has_no_findings() {
    let repo = TempRepo::new();
    let found = LocalGitSource::new()
        .audit(&project("app", &[&repo.work()], Some("dev")))
        .await
        .expect("audit");
    assert_eq!(found, []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_path_is_a_not_found_error_naming_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("gone");
    let err = LocalGitSource::new()
        .audit(&project("app", &[&missing], Some("dev")))
        .await
        .expect_err("a missing path fails");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_repositories_are_p2_findings_naming_the_path_and_plain_directories_give_none() {
    let dir = tempfile::tempdir().expect("tmp");
    let broken: Vec<PathBuf> = vec![
        dangling_gitfile(dir.path(), "dangling"),
        garbage_head(dir.path(), "garbage-head"),
    ];
    let src = LocalGitSource::new();
    for path in &broken {
        let found = src
            .audit(&project("broken", &[path], Some("dev")))
            .await
            .expect("a broken checkout is reported, not fatal");
        assert_eq!(kinds(&found), ["checkout_unreadable"], "{}", path.display());
        assert_eq!(found[0].priority, Priority::P2);
        assert_eq!(
            found[0].title,
            format!("checkout unreadable at {}", path.display())
        );
    }
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).expect("mkdir");
    let found = src
        .audit(&project("plain", &[&plain], Some("dev")))
        .await
        .expect("a directory that is no repository");
    assert_eq!(found, [], "git has nothing to say about a non-repository");
    // The same source still audits a healthy project.
    let repo = TempRepo::new();
    repo.write("x.txt", "x\n");
    let ok = src
        .audit(&project("ok", &[&repo.work()], Some("dev")))
        .await
        .expect("a healthy project audits");
    assert_eq!(kinds(&ok), ["uncommitted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_checkout_of_a_project_is_audited() {
    let a = TempRepo::new();
    let b = TempRepo::new();
    a.write("a.txt", "a\n");
    b.unpushed_commits("b", 1);
    let found = LocalGitSource::new()
        .audit(&project("both", &[&a.work(), &b.work()], Some("dev")))
        .await
        .expect("audit");
    assert_eq!(kinds(&found), ["uncommitted", "unpushed"]);
    assert_eq!(
        find(&found, "uncommitted").repo,
        a.work().display().to_string()
    );
    assert_eq!(
        find(&found, "unpushed").repo,
        b.work().display().to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_git_source_passes_the_source_conformance_suite() {
    let repo = TempRepo::new();
    repo.mixed_changes();
    repo.unpushed_commits("local", 1);
    let wt = repo.detached_worktree("detached-wt", "HEAD");
    let p = project("app", &[&repo.work(), &wt], Some("dev"));
    ops_core::conformance::source(&LocalGitSource::new(), &p).await;
}

#[test]
fn an_unborn_branch_lists_its_files_and_counts_nothing_ahead() {
    let dir = tempfile::tempdir().expect("tmp");
    ops_testkit::git(dir.path(), &["init", "--quiet", "--initial-branch=trunk"]);
    std::fs::write(dir.path().join("staged.txt"), "s\n").expect("write");
    ops_testkit::git(dir.path(), &["add", "staged.txt"]);
    std::fs::write(dir.path().join("loose.txt"), "l\n").expect("write");
    let facts = git_facts(dir.path(), Some("dev")).expect("facts");
    assert_eq!(facts.changes, porcelain_paths(dir.path()));
    assert_eq!(facts.dirty(), 2);
    assert_eq!(facts.branch.as_deref(), Some("trunk"));
    assert_eq!((facts.head, facts.base, facts.ahead), (None, None, None));
}

#[test]
fn staged_changes_show_when_head_moves_under_an_unchanged_index() {
    // The index's cache tree is valid but no longer HEAD's tree: the
    // shortcut for "nothing staged" must not apply.
    let repo = TempRepo::new();
    repo.unpushed_commits("local", 2);
    repo.write("loose.txt", "l\n");
    let work = repo.work();
    let clean = git_facts(&work, Some("dev")).expect("facts");
    assert_eq!(clean.changes, ["loose.txt"]);
    repo.git(&["reset", "--quiet", "--soft", "HEAD~2"]);
    let facts = git_facts(&work, Some("dev")).expect("facts");
    assert_eq!(facts.changes, porcelain_paths(&work));
    assert_eq!(facts.dirty(), 3, "two staged files and the untracked one");
    assert_eq!(facts.ahead, Some(0));
}

#[test]
fn mode_changes_symlinks_and_ignored_files_count_as_git_counts_them() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TempRepo::new();
    repo.commit_file("run.sh", "echo hi\n", "script");
    repo.commit_file(".gitignore", "*.log\nbuild/\n", "ignore logs");
    repo.git(&["push", "--quiet"]);
    let work = repo.work();
    let script = work.join("run.sh");
    let mut perms = std::fs::metadata(&script).expect("stat").permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(&script, perms).expect("chmod");
    std::os::unix::fs::symlink("README.md", work.join("readme-link")).expect("symlink");
    repo.write("debug.log", "ignored\n");
    repo.write("build/out.bin", "ignored\n");
    repo.write("logs/only-ignored.log", "ignored\n");
    repo.write("mixed/a.log", "ignored\n");
    repo.write("mixed/b.txt", "untracked\n");
    let facts = git_facts(&work, Some("dev")).expect("facts");
    assert_eq!(facts.changes, porcelain_paths(&work));
    assert_eq!(facts.changes, ["mixed/", "readme-link", "run.sh"]);
}

#[test]
fn empty_directories_and_nested_repositories_count_as_git_counts_them() {
    let repo = TempRepo::new();
    let work = repo.work();
    std::fs::create_dir_all(work.join("empty/deeper")).expect("mkdir");
    let nested = work.join("vendor/lib");
    std::fs::create_dir_all(&nested).expect("mkdir");
    ops_testkit::git(&nested, &["init", "--quiet"]);
    std::fs::write(nested.join("lib.rs"), "x\n").expect("write");
    std::fs::write(work.join("vendor/notes.txt"), "n\n").expect("write");
    // A nested repository under a directory that has tracked files.
    repo.commit_file("tools/tracked.txt", "t\n", "tools");
    let inner = work.join("tools/inner");
    std::fs::create_dir_all(&inner).expect("mkdir");
    ops_testkit::git(&inner, &["init", "--quiet"]);
    let facts = git_facts(&work, Some("dev")).expect("facts");
    assert_eq!(facts.changes, porcelain_paths(&work));
    assert_eq!(facts.changes, ["tools/inner/", "vendor/"]);
}

#[test]
fn a_submodule_with_changes_is_one_line_as_in_git() {
    let lib = TempRepo::new();
    let repo = TempRepo::new();
    let url = lib.origin().display().to_string();
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "--quiet",
        &url,
        "sub",
    ]);
    repo.git(&["commit", "--quiet", "-m", "add submodule"]);
    let work = repo.work();
    assert_eq!(git_facts(&work, Some("dev")).expect("facts").dirty(), 0);
    std::fs::write(work.join("sub/README.md"), "changed inside\n").expect("write");
    let facts = git_facts(&work, Some("dev")).expect("facts");
    assert_eq!(facts.changes, porcelain_paths(&work));
    assert_eq!(facts.changes, ["sub"]);
}

#[test]
fn a_merge_conflict_is_one_line_per_path_as_in_git() {
    let repo = TempRepo::new();
    repo.git(&["checkout", "--quiet", "-b", "other"]);
    repo.commit_file("README.md", "other side\n", "other");
    repo.commit_file("both.txt", "other\n", "both other");
    repo.git(&["checkout", "--quiet", "dev"]);
    repo.commit_file("README.md", "dev side\n", "dev");
    repo.commit_file("both.txt", "dev\n", "both dev");
    let merge = std::process::Command::new("git")
        .args(["merge", "--quiet", "other"])
        .current_dir(repo.work())
        .envs(ops_testkit::git_env())
        .output()
        .expect("run git merge");
    assert!(!merge.status.success(), "the merge conflicts");
    let work = repo.work();
    let facts = git_facts(&work, Some("dev")).expect("facts");
    assert_eq!(facts.changes, porcelain_paths(&work));
    assert_eq!(facts.changes, ["README.md", "both.txt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_on_a_branch_without_upstream_is_unpushed_like_git_counts_it() {
    let repo = TempRepo::new();
    repo.git(&["checkout", "--quiet", "-b", "feature/x"]);
    repo.commit_file("x.rs", "fn x() {}\n", "feature work");
    let found = LocalGitSource::new()
        .audit(&project("app", &[&repo.work()], None))
        .await
        .expect("audit");
    let git_count = repo.git(&["rev-list", "--count", "--branches", "--not", "--remotes"]);
    assert_eq!(git_count.trim(), "1");
    assert_eq!(kinds(&found), ["unpushed_anywhere"], "{found:#?}");
    assert_eq!(found[0].title, "1 commit on no remote branch (feature/x)");
    assert_eq!(found[0].priority, Priority::P2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_own_task_and_review_branches_are_not_unpushed_work_but_a_users_branch_beside_them_is()
{
    let repo = TempRepo::new();
    for branch in ["ops/t1-write-the-brief", "ops-review/t1"] {
        repo.git(&["checkout", "--quiet", "-b", branch, "dev"]);
        repo.commit_file(
            &format!("{}.rs", branch.replace('/', "-")),
            "fn t() {}\n",
            "task work",
        );
    }
    repo.git(&["checkout", "--quiet", "-b", "spike", "dev"]);
    repo.commit_file("s.rs", "fn s() {}\n", "spike");
    repo.git(&["checkout", "--quiet", "dev"]);
    let facts = git_facts(&repo.work(), Some("dev")).expect("facts");
    assert_eq!(facts.unpushed_branches, vec!["spike".to_owned()]);
    assert_eq!(facts.unpushed_anywhere, 1, "only the spike's commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpushed_commits_on_a_branch_not_checked_out_are_reported_with_its_name() {
    let repo = TempRepo::new();
    repo.git(&["checkout", "--quiet", "-b", "spike"]);
    repo.commit_file("a.rs", "fn a() {}\n", "one");
    repo.commit_file("b.rs", "fn b() {}\n", "two");
    repo.git(&["checkout", "--quiet", "dev"]);
    let facts = git_facts(&repo.work(), Some("dev")).expect("facts");
    let git_count = repo.git(&["rev-list", "--count", "--branches", "--not", "--remotes"]);
    assert_eq!(facts.unpushed_anywhere.to_string(), git_count.trim());
    assert_eq!(facts.unpushed_branches, vec!["spike".to_owned()]);
    assert_eq!(facts.ahead, Some(0), "dev itself is pushed");
    let found = LocalGitSource::new()
        .audit(&project("app", &[&repo.work()], Some("dev")))
        .await
        .expect("audit");
    assert_eq!(kinds(&found), ["unpushed_anywhere"]);
    assert_eq!(found[0].title, "2 commits on no remote branch (spike)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_branchs_own_unpushed_commits_are_one_finding_not_two() {
    let repo = TempRepo::new();
    repo.commit_file("a.rs", "fn a() {}\n", "on dev");
    let found = LocalGitSource::new()
        .audit(&project("app", &[&repo.work()], Some("dev")))
        .await
        .expect("audit");
    assert_eq!(kinds(&found), ["unpushed"]);
}
