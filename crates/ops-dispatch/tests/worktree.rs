//! Worktrees: made on the task branch from dev, bootstrapped, leased, reused.

use ops_core::ErrorKind;
use ops_dispatch::{LeaseOwner, WorktreeConfig, WorktreeManager};
use ops_testkit::{TempRepo, git};

fn manager(owner: &str, setup: Option<Vec<String>>) -> WorktreeManager {
    WorktreeManager::new(WorktreeConfig {
        owner: LeaseOwner::this_process(owner),
        setup,
        ..WorktreeConfig::default()
    })
}

#[tokio::test]
async fn a_worktree_is_cut_from_origin_dev_on_the_task_branch() {
    let repo = TempRepo::new();
    let dev_tip = repo.commit_file("src/lib.rs", "// dev\n", "dev work");
    repo.git(&["push", "--quiet"]);
    repo.git(&["checkout", "--quiet", "main"]);
    let wt = manager("a", None)
        .prepare(&repo.work(), "dev", "w1", "ops/w1-x", &[])
        .await
        .expect("prepare");
    assert!(!wt.reused);
    assert_eq!(wt.base, "origin/dev");
    assert_eq!(
        git(&wt.path, &["rev-parse", "HEAD"]),
        dev_tip,
        "cut from dev, not from what is checked out"
    );
    assert_eq!(git(&wt.path, &["branch", "--show-current"]), "ops/w1-x");
}

#[tokio::test]
async fn a_second_owner_is_refused_while_the_lease_is_held_and_gets_it_after() {
    let repo = TempRepo::new();
    let first = manager("a", None)
        .prepare(&repo.work(), "dev", "w2", "ops/w2-x", &[])
        .await
        .expect("prepare");
    let err = manager("b", None)
        .prepare(&repo.work(), "dev", "w2", "ops/w2-x", &[])
        .await
        .expect_err("a second owner is refused");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains("owner a"), "{err}");
    drop(first);
    let second = manager("b", None)
        .prepare(&repo.work(), "dev", "w2", "ops/w2-x", &[])
        .await
        .expect("free after release");
    assert!(second.reused, "found by path and branch");
}

#[tokio::test]
async fn a_path_holding_another_branch_is_not_reused() {
    let repo = TempRepo::new();
    let wt = manager("a", None)
        .prepare(&repo.work(), "dev", "w3", "ops/w3-x", &[])
        .await
        .expect("prepare");
    git(&wt.path, &["checkout", "--quiet", "-b", "other"]);
    drop(wt);
    let err = manager("a", None)
        .prepare(&repo.work(), "dev", "w3", "ops/w3-x", &[])
        .await
        .expect_err("wrong branch");
    assert!(
        err.to_string().contains("expected the task branch"),
        "{err}"
    );
}

#[tokio::test]
async fn a_fresh_worktree_gets_the_included_files_and_the_setup_command_runs_once() {
    let repo = TempRepo::new();
    // Only ignored files are copied (an untracked one would be committed as the agent's).
    repo.commit_file(".gitignore", "/config/local.toml\n.env*\n", "ignores");
    repo.git(&["push", "--quiet"]);
    repo.write(
        ".worktreeinclude",
        "# local settings\n/config/local.toml\n.env*\nmissing.txt\n",
    );
    repo.write("config/local.toml", "key = 1\n");
    repo.write("api/.env.local", "TOKEN=local\n");
    repo.write("notes.txt", "not listed\n");
    repo.write(
        ".worktrees/.logs/old/.env.leftover",
        "from an earlier agent\n",
    );
    let setup = vec!["sh".into(), "-c".into(), "echo ran >> setup.log".into()];
    let m = manager("a", Some(setup));
    let wt = m
        .prepare(&repo.work(), "dev", "w4", "ops/w4-x", &[])
        .await
        .expect("prepare");
    assert_eq!(
        std::fs::read_to_string(wt.path.join("config/local.toml")).expect("copied"),
        "key = 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(wt.path.join("api/.env.local")).expect("glob copied"),
        "TOKEN=local\n"
    );
    assert!(
        !wt.path.join("notes.txt").exists(),
        "an unlisted file stays out"
    );
    assert_eq!(
        std::fs::read_to_string(wt.path.join("setup.log")).expect("setup ran"),
        "ran\n"
    );
    drop(wt);
    let wt = m
        .prepare(&repo.work(), "dev", "w4", "ops/w4-x", &[])
        .await
        .expect("reuse");
    assert_eq!(
        std::fs::read_to_string(wt.path.join("setup.log")).expect("kept"),
        "ran\n",
        "not re-run on reuse"
    );
}

#[tokio::test]
async fn a_failing_setup_command_and_a_missing_dev_branch_are_clear_errors() {
    let repo = TempRepo::new();
    let m = manager("a", Some(vec!["false".into()]));
    let err = m
        .prepare(&repo.work(), "dev", "w5", "ops/w5-x", &[])
        .await
        .expect_err("setup fails");
    assert!(err.to_string().contains("[\"false\"] exited"), "{err}");
    let err = manager("a", None)
        .prepare(&repo.work(), "develop", "w6", "ops/w6-x", &[])
        .await
        .expect_err("no such branch");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("\"develop\""), "{err}");
}

#[tokio::test]
async fn a_worktree_deleted_by_hand_is_made_again_on_its_branch_with_its_commits() {
    let repo = TempRepo::new();
    let m = manager("a", None);
    let wt = m
        .prepare(&repo.work(), "dev", "w7", "ops/w7-x", &[])
        .await
        .expect("prepare");
    std::fs::write(wt.path.join("kept.txt"), "k").expect("write");
    git(&wt.path, &["add", "kept.txt"]);
    git(&wt.path, &["commit", "-qm", "kept"]);
    let path = wt.path.clone();
    drop(wt);
    std::fs::remove_dir_all(&path).expect("delete by hand");
    let again = m
        .prepare(&repo.work(), "dev", "w7", "ops/w7-x", &[])
        .await
        .expect("made again");
    assert!(!again.reused);
    assert!(
        again.path.join("kept.txt").is_file(),
        "the branch's commits are there"
    );
}

#[tokio::test]
async fn an_earlier_lease_of_the_same_owner_never_releases_a_later_one() {
    let repo = TempRepo::new();
    let m = manager("a", None);
    let first = m
        .prepare(&repo.work(), "dev", "w8", "ops/w8-x", &[])
        .await
        .expect("prepare");
    let second = m
        .prepare(&repo.work(), "dev", "w8", "ops/w8-x", &[])
        .await
        .expect("same owner re-takes");
    drop(first);
    let err = manager("b", None)
        .prepare(&repo.work(), "dev", "w8", "ops/w8-x", &[])
        .await
        .expect_err("the later lease still holds");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    drop(second);
    manager("b", None)
        .prepare(&repo.work(), "dev", "w8", "ops/w8-x", &[])
        .await
        .expect("free once the later lease goes");
}

#[tokio::test]
async fn a_workbench_cuts_each_projects_worktrees_from_that_projects_dev_branch() {
    use ops_core::model::{Project, Task, TaskId};
    use ops_core::seams::Dispatcher;
    let repo = TempRepo::new();
    repo.git(&["checkout", "--quiet", "-b", "trunk"]);
    let trunk_tip = repo.commit_file("t.txt", "t\n", "trunk work");
    let project = Project {
        alias: "app".into(),
        dev_branch: Some("trunk".into()),
        ..Project::default()
    };
    let bench = ops_dispatch::Workbench::new(manager("wb", None)).with_projects([&project]);
    let d = ops_dispatch::CommandDispatcher::new(
        bench,
        ops_dispatch::CommandConfig {
            program: "true".into(),
            ..ops_dispatch::CommandConfig::default()
        },
    )
    .expect("config");
    let task = Task::new(
        TaskId::new("p1").expect("id"),
        "On trunk",
        "app",
        repo.work().to_string_lossy(),
    );
    let h = d
        .dispatch(&ops_core::engine::brief::compose(&task, 1))
        .await
        .expect("dispatch");
    let out = h.wait().await;
    let wt = out.worktree.expect("a worktree");
    assert_eq!(
        git(&wt, &["rev-parse", "HEAD"]),
        trunk_tip,
        "cut from the project's trunk"
    );
}

#[tokio::test]
async fn only_ignored_files_are_copied_in_so_ops_never_commits_a_copied_file() {
    let repo = TempRepo::new();
    repo.commit_file(".gitignore", ".env\n", "ignore .env");
    repo.git(&["push", "--quiet"]);
    repo.write(".worktreeinclude", ".env\nlocal.toml\n");
    repo.write(".env", "API_TOKEN=secret\n");
    // Listed but not ignored: in a worktree git would see it as the agent's new file.
    repo.write("local.toml", "password = \"hunter2\"\n");
    let wt = manager("a", None)
        .prepare(&repo.work(), "dev", "w9", "ops/w9-x", &[])
        .await
        .expect("prepare");
    assert!(
        wt.path.join(".env").exists(),
        "an ignored listed file is copied"
    );
    assert_eq!(
        git(&wt.path, &["status", "--porcelain"]),
        "",
        "a fresh worktree holds nothing ops would commit on the agent's behalf"
    );
}

#[tokio::test]
async fn taking_over_a_stale_lease_kills_the_agent_its_owner_left_running() {
    use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
    let repo = TempRepo::new();
    let wt = manager("crashed", None)
        .prepare(&repo.work(), "dev", "w10", "ops/w10-x", &[])
        .await
        .expect("prepare");
    // The agent of an ops process that then died without cleaning up.
    let mut agent = std::process::Command::new("sleep")
        .arg("1000")
        .current_dir(&wt.path)
        .process_group(0)
        .spawn()
        .expect("spawn the agent");
    let pgid = i32::try_from(agent.id()).expect("pid");
    wt.lease().record_agent(pgid).expect("record the agent");
    std::mem::forget(wt); // no release: the owner "crashed"
    let next = WorktreeManager::new(WorktreeConfig {
        owner: LeaseOwner::this_process("next"),
        lease_ttl: std::time::Duration::ZERO, // its heartbeat is already stale
        ..WorktreeConfig::default()
    });
    let _wt = next
        .prepare(&repo.work(), "dev", "w10", "ops/w10-x", &[])
        .await
        .expect("the stale lease is taken over");
    let mut status = None;
    for _ in 0..100 {
        status = agent.try_wait().expect("wait");
        if status.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    if status.is_none() {
        let _ = agent.kill();
        let _ = agent.wait();
    }
    let status =
        status.expect("the left-over agent was stopped: two agents never share a worktree");
    assert_eq!(status.signal(), Some(9), "killed: {status:?}");
}

#[tokio::test]
async fn many_tasks_of_one_repository_get_their_worktrees_at_once() {
    let repo = TempRepo::new();
    let m = manager("a", None);
    let work = repo.work();
    let mut all = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (m, work) = (m.clone(), work.clone());
        all.spawn(async move {
            let r = m
                .prepare(&work, "dev", &format!("c{i}"), &format!("ops/c{i}-x"), &[])
                .await;
            (i, r.map(|_| ()))
        });
    }
    while let Some(joined) = all.join_next().await {
        let (i, r) = joined.expect("join");
        assert!(r.is_ok(), "task c{i}: {:?}", r.err());
    }
}
