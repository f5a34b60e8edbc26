//! Odd things where a planning or todos file should be: an error naming the
//! file, never a hang.

use ops_core::model::Project;
use ops_core::{ErrorKind, IssueSource};
use ops_sources::{GsdSource, TodoSource};
use std::path::Path;
use std::time::Duration;

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// Audits `checkout` with `source`; a source still blocked after 10 s fails
/// the test (after unblocking the FIFO so the test process can end).
async fn audit_error(source: &dyn IssueSource, checkout: &Path, fifo: &Path) -> String {
    let project = Project {
        alias: "app".into(),
        paths: vec![checkout.to_path_buf()],
        ..Project::default()
    };
    match tokio::time::timeout(Duration::from_secs(10), source.audit(&project)).await {
        Ok(result) => {
            let err = result.expect_err("a FIFO is not a file to read");
            assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
            err.to_string()
        }
        Err(_) => {
            // Opening for writing releases the blocked reader.
            drop(std::fs::OpenOptions::new().write(true).open(fifo));
            panic!("the {} source hung reading a FIFO", source.name());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fifo_as_state_md_is_an_error_naming_the_file_not_a_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join(".planning/STATE.md");
    mkfifo(&fifo);
    let err = audit_error(&GsdSource::new(), dir.path(), &fifo).await;
    assert!(err.contains(&fifo.display().to_string()), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fifo_as_the_todos_file_is_an_error_naming_the_file_not_a_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join(".ops/todos.md");
    mkfifo(&fifo);
    let err = audit_error(&TodoSource::files(), dir.path(), &fifo).await;
    assert!(err.contains(&fifo.display().to_string()), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}
