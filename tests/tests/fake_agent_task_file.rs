//! The fake agent's `task-file` mode and its journal, which the end-to-end
//! scenarios rely on: each task writes and commits its own file, once.

use ops_e2e::binaries::fake_agent;
use ops_e2e::journal::{self, Entry};
use ops_testkit::TempRepo;
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs the fake agent in `dir` with `brief` on stdin; its exit must be 0.
fn agent(dir: &std::path::Path, journal: &std::path::Path, brief: &str) {
    let mut child = Command::new(fake_agent())
        .arg("--mode=task-file")
        .arg(format!("--journal={}", journal.display()))
        .current_dir(dir)
        .envs(ops_testkit::git_env())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the fake agent");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(brief.as_bytes())
        .expect("write the brief");
    assert!(child.wait().expect("wait").success());
}

#[test]
fn task_file_commits_the_tasks_own_file_once_and_journals_it() {
    let repo = TempRepo::new();
    let journal_path = repo.root().join("journal");
    let brief = "# Task alpha-todo-1234: Write the parser (attempt 1)\n\nmore text\n";
    agent(&repo.work(), &journal_path, brief);
    let head = repo.head();
    assert_eq!(
        repo.git(&["show", "--name-only", "--format=", "HEAD"]),
        "changes/alpha-todo-1234.txt"
    );
    assert_eq!(
        repo.git(&["show", "HEAD:changes/alpha-todo-1234.txt"]),
        "done: alpha-todo-1234"
    );

    // A second attempt finds the file committed: no new commit.
    agent(&repo.work(), &journal_path, brief);
    assert_eq!(repo.head(), head);

    let entries = journal::read(&journal_path).expect("the journal reads");
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| match e {
            Entry::Start { .. } => "start",
            Entry::Commit { .. } => "commit",
            Entry::End { .. } => "end",
        })
        .collect();
    assert_eq!(kinds, ["start", "commit", "end", "start", "end"]);
    assert!(
        matches!(&entries[1], Entry::Commit { sha, cwd, .. } if *sha == head && *cwd == repo.work()),
        "{entries:?}"
    );
}
