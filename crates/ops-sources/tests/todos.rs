//! The todos source: the todos file's format and command-line todos.

use ops_core::model::{Finding, Priority, Project};
use ops_core::{ErrorKind, IssueSource};
use ops_sources::TodoSource;
use std::path::Path;

fn checkout_with(todos: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_todos(dir.path(), todos);
    dir
}

fn write_todos(checkout: &Path, todos: &str) {
    std::fs::create_dir_all(checkout.join(".ops")).expect("mkdir");
    std::fs::write(checkout.join(".ops/todos.md"), todos).expect("write");
}

fn project(paths: &[&Path]) -> Project {
    Project {
        alias: "app".into(),
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        ..Project::default()
    }
}

fn by_title<'a>(found: &'a [Finding], title: &str) -> &'a Finding {
    found
        .iter()
        .find(|f| f.title == title)
        .unwrap_or_else(|| panic!("no todo {title:?} in {found:#?}"))
}

const TODOS: &str = "\
# Todos

Some prose that is not a todo.
- [ ] Fix the flaky login test {#flaky-login} [P1]
- [ ]   Document   the login flow (after: flaky-login)
- [x] Rename the crate {#rename}
* [ ] Publish 0.2 (after: flaky-login, rename) {#publish}
- [x] Done and gone
- not a checkbox
";

#[tokio::test]
async fn open_items_become_todos_with_ids_priorities_and_edges() {
    let dir = checkout_with(TODOS);
    let found = TodoSource::files()
        .audit(&project(&[dir.path()]))
        .await
        .expect("audit");
    let mut titles: Vec<&str> = found.iter().map(|f| f.title.as_str()).collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Document the login flow",
            "Fix the flaky login test",
            "Publish 0.2"
        ],
        "done items and prose are ignored, markers removed, whitespace collapsed"
    );
    let flaky = by_title(&found, "Fix the flaky login test");
    assert_eq!(flaky.priority, Priority::P1);
    assert!(
        flaky.detail.contains("todos.md: line 4"),
        "{}",
        flaky.detail
    );
    let docs = by_title(&found, "Document the login flow");
    assert_eq!(docs.priority, Priority::P3, "file todos default to P3");
    assert_eq!(docs.depends_on, vec![flaky.fingerprint.clone()]);
    let publish = by_title(&found, "Publish 0.2");
    assert_eq!(
        publish.depends_on,
        vec![flaky.fingerprint.clone()],
        "a done todo's id is a dependency already met"
    );
    assert_eq!(flaky.repo, dir.path().display().to_string());
    assert_eq!(flaky.source, "todos");
    assert!(found.iter().all(|f| f.source == "todos"));
}

#[tokio::test]
async fn a_todo_with_an_id_keeps_its_fingerprint_when_its_text_changes() {
    let dir = checkout_with("- [ ] Fix the login test {#flaky-login}\n- [ ] Tidy up\n");
    let src = TodoSource::files();
    let p = project(&[dir.path()]);
    let before = src.audit(&p).await.expect("audit");
    write_todos(
        dir.path(),
        "- [ ] Fix the flaky login test for good {#flaky-login} [P0]\n- [ ] tidy   UP\n",
    );
    let after = src.audit(&p).await.expect("audit");
    let print = |fs: &[Finding], prefix: &str| {
        fs.iter()
            .find(|f| f.title.to_lowercase().starts_with(prefix))
            .map(|f| f.fingerprint.clone())
            .expect("present")
    };
    assert_eq!(
        print(&before, "fix"),
        print(&after, "fix"),
        "same id, same todo"
    );
    assert_eq!(
        print(&before, "tidy"),
        print(&after, "tidy"),
        "text compared normalized"
    );
}

#[tokio::test]
async fn an_unknown_after_id_is_an_error_naming_file_line_and_id() {
    let dir = checkout_with("- [ ] A {#a}\n\n- [ ] B (after: a, nope)\n");
    let err = TodoSource::files()
        .audit(&project(&[dir.path()]))
        .await
        .expect_err("unknown id");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let msg = err.to_string();
    assert!(msg.contains(".ops/todos.md: line 3"), "{msg}");
    assert!(msg.contains("unknown todo id `nope`"), "{msg}");
}

#[tokio::test]
async fn malformed_markers_and_duplicate_ids_are_errors_naming_the_line() {
    for (text, expected) in [
        ("- [ ] A {#a\n", "line 1: `{#` is not closed"),
        ("- [ ] A {#a b}\n", "line 1: todo id {#a b} may only hold"),
        ("- [ ] {#only-an-id}\n", "line 1: the todo has no text"),
        (
            "- [ ] A {#a}\n- [ ] B {#a}\n",
            "line 2: todo id `a` is already used at",
        ),
        ("- [ ] A (after: x\n", "line 1: `(after:` is not closed"),
    ] {
        let dir = checkout_with(text);
        let err = TodoSource::files()
            .audit(&project(&[dir.path()]))
            .await
            .expect_err(text);
        assert!(err.to_string().contains(expected), "{text:?}: {err}");
    }
}

#[tokio::test]
async fn command_line_todos_are_p2_for_their_project_and_leave_file_todos_to_the_file() {
    let dir = checkout_with("- [ ] Ship the docs {#docs}\n- [ ] Bump deps\n");
    let p = project(&[dir.path()]);
    let src = TodoSource::command_line(vec![
        ("app".into(), "Write the changelog (after: docs)".into()),
        ("app".into(), "bump  deps".into()),
        ("other".into(), "Not for this project".into()),
        ("app".into(), "Hotfix the login [P0]".into()),
    ]);
    assert_eq!(src.name(), "cli-todo");
    let found = src.audit(&p).await.expect("audit");
    let mut titles: Vec<&str> = found.iter().map(|f| f.title.as_str()).collect();
    titles.sort();
    assert_eq!(
        titles,
        ["Hotfix the login", "Write the changelog"],
        "bump deps is the file's"
    );
    let files = TodoSource::files().audit(&p).await.expect("audit");
    let log = by_title(&found, "Write the changelog");
    assert_eq!(log.priority, Priority::P2);
    assert_eq!(log.source, "cli-todo");
    assert_eq!(
        log.depends_on,
        vec![by_title(&files, "Ship the docs").fingerprint.clone()]
    );
    assert!(log.detail.contains("command-line todo 1"), "{}", log.detail);
    assert_eq!(by_title(&found, "Hotfix the login").priority, Priority::P0);
    let unrelated = TodoSource::command_line(vec![("other".into(), "x".into())]);
    assert!(unrelated.audit(&p).await.expect("audit").is_empty());
}

#[tokio::test]
async fn a_command_line_todo_after_an_unknown_id_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let err = TodoSource::command_line(vec![("app".into(), "Later (after: ghost)".into())])
        .audit(&project(&[dir.path()]))
        .await
        .expect_err("unknown id");
    assert!(
        err.to_string()
            .contains("command-line todo 1: unknown todo id `ghost`"),
        "{err}"
    );
}

#[tokio::test]
async fn a_checkout_without_a_todos_file_has_no_todos() {
    let dir = tempfile::tempdir().expect("tmp");
    let found = TodoSource::files()
        .audit(&project(&[dir.path(), &dir.path().join("missing")]))
        .await
        .expect("audit");
    assert!(found.is_empty());
}

#[tokio::test]
async fn the_todo_source_passes_the_source_conformance_suite() {
    let dir = checkout_with(TODOS);
    let p = project(&[dir.path()]);
    ops_core::conformance::source(&TodoSource::files(), &p).await;
    let given = vec![(
        "app".into(),
        "From the command line (after: flaky-login)".into(),
    )];
    ops_core::conformance::source(&TodoSource::command_line(given), &p).await;
}

#[tokio::test]
async fn a_command_line_todo_repeating_a_file_todo_that_has_an_id_is_left_to_the_file() {
    let dir = checkout_with("- [ ] Ship the docs {#docs}\n");
    let p = project(&[dir.path()]);
    let given = TodoSource::command_line(vec![("app".into(), "ship the  docs".into())]);
    let found = given.audit(&p).await.expect("audit");
    assert!(found.is_empty(), "one todo, one task: {found:#?}");
}

#[tokio::test]
async fn a_todos_detail_begins_with_its_own_text_so_the_brief_says_what_to_do() {
    let dir = checkout_with("- [ ] Ship the docs {#docs}\n");
    let p = project(&[dir.path()]);
    let src = TodoSource::command_line(vec![("app".into(), "Write the changelog".into())]);
    let given = src.audit(&p).await.expect("audit");
    let files = TodoSource::files().audit(&p).await.expect("audit");
    for (found, title) in [(&given, "Write the changelog"), (&files, "Ship the docs")] {
        let detail = &by_title(found, title).detail;
        assert!(
            detail.starts_with(&format!("{title}\n")),
            "the todo's text comes first: {detail:?}"
        );
    }
}
