//! Every local source through ops-core's audit runner over several real
//! projects: a broken or missing checkout is a finding of its project, not a
//! failure of the audit, and the others are audited.

use ops_core::IssueSource;
use ops_core::audit::{AuditOptions, audit};
use ops_core::model::Project;
use ops_sources::{GsdSource, LocalGitSource, TodoSource};
use ops_testkit::TempRepo;
use ops_testkit::fixtures::garbage_head;
use std::path::Path;
use std::sync::Arc;

fn project(alias: &str, path: &Path) -> Project {
    Project {
        alias: alias.into(),
        paths: vec![path.to_path_buf()],
        dev_branch: Some("dev".into()),
        ..Project::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_and_a_missing_checkout_are_findings_while_the_others_are_audited() {
    let healthy = TempRepo::new();
    healthy.write(".planning/STATE.md", "Phase: 2 of 3 (Core)\n");
    healthy.write(".ops/todos.md", "- [ ] Write the docs {#docs}\n");
    healthy.unpushed_commits("local", 1);
    let tmp = tempfile::tempdir().expect("tmp");
    let broken = garbage_head(tmp.path(), "broken");
    let missing = tmp.path().join("missing");
    let projects = vec![
        project("healthy", &healthy.work()),
        project("broken", &broken),
        project("missing", &missing),
    ];
    let sources: Vec<Arc<dyn IssueSource>> = vec![
        Arc::new(LocalGitSource::new()),
        Arc::new(GsdSource::new()),
        Arc::new(TodoSource::files()),
        Arc::new(TodoSource::command_line(vec![(
            "healthy".into(),
            "Tag the release (after: docs)".into(),
        )])),
    ];
    let report = audit(&projects, &sources, &AuditOptions::default()).await;

    let mut kinds: Vec<(&str, &str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.project.as_str(), f.source.as_str(), f.kind.as_str()))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("broken", "git", "checkout_unreadable"),
            ("healthy", "cli-todo", "todo"),
            ("healthy", "git", "uncommitted"),
            ("healthy", "git", "unpushed"),
            ("healthy", "gsd", "gsd_next_phase"),
            ("healthy", "gsd", "gsd_phase"),
            ("healthy", "todos", "todo"),
            ("missing", "registry", "checkout_missing"),
        ],
        "{:#?}",
        report.findings
    );
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let broken_finding = report
        .findings
        .iter()
        .find(|f| f.kind == "checkout_unreadable")
        .map(|f| f.title.clone())
        .unwrap_or_default();
    assert_eq!(
        broken_finding,
        format!("checkout unreadable at {}", broken.display())
    );
    // The broken checkout's other sources still ran to the end.
    assert!(report.audited.contains(&("broken".into(), "gsd".into())));
    assert!(report.audited.contains(&("broken".into(), "git".into())));
}
