//! The audit runner: every source over every project, bounded, failures isolated.

use async_trait::async_trait;
use ops_core::audit::{AuditOptions, audit};
use ops_core::model::{Finding, Priority, Project};
use ops_core::{ErrorKind, IssueSource};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

enum Behaviour {
    Find,
    Fail,
    Panic,
    Hang,
}

struct Source {
    name: &'static str,
    behaviour: Behaviour,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl Source {
    fn new(name: &'static str, behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Source {
            name,
            behaviour,
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl IssueSource for Source {
    fn name(&self) -> &str {
        self.name
    }
    async fn audit(&self, project: &Project) -> ops_core::Result<Vec<Finding>> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        match self.behaviour {
            Behaviour::Find => Ok(vec![Finding {
                source: self.name.into(),
                kind: "k".into(),
                project: project.alias.clone(),
                repo: "/r".into(),
                title: format!("{} in {}", self.name, project.alias),
                detail: String::new(),
                priority: Priority::P2,
                fingerprint: format!("{}-{}", self.name, project.alias),
                depends_on: Vec::new(),
                paths: Vec::new(),
                blocked: None,
            }]),
            Behaviour::Fail => Err(ops_core::Error::backend(
                self.name,
                "audit",
                ErrorKind::Invalid,
                "broken repository at /r",
            )),
            Behaviour::Panic => panic!("source bug"),
            Behaviour::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(Vec::new())
            }
        }
    }
}

fn projects(n: usize) -> Vec<Project> {
    (0..n)
        .map(|i| Project {
            alias: format!("p{i:02}"),
            ..Project::default()
        })
        .collect()
}

#[tokio::test]
async fn failing_panicking_and_hanging_sources_are_reported_and_the_others_still_run() {
    let good = Source::new("good", Behaviour::Find);
    let sources: Vec<Arc<dyn IssueSource>> = vec![
        good.clone(),
        Source::new("bad", Behaviour::Fail),
        Source::new("buggy", Behaviour::Panic),
        Source::new("slow", Behaviour::Hang),
    ];
    let options = AuditOptions {
        concurrency: 8,
        timeout: Duration::from_millis(300),
    };
    let report = audit(&projects(3), &sources, &options).await;
    assert_eq!(report.findings.len(), 3, "good ran for every project");
    assert_eq!(report.errors.len(), 9);
    let messages = |source: &str| {
        report
            .errors
            .iter()
            .filter(|e| e.source == source)
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        messages("bad")
            .iter()
            .all(|m| m.contains("broken repository"))
    );
    assert!(messages("buggy").iter().all(|m| m.contains("panicked")));
    assert!(
        messages("slow")
            .iter()
            .all(|m| m.contains("no answer within"))
    );
    assert_eq!(
        report
            .audited
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<std::collections::BTreeSet<_>>(),
        ["good", "registry"].into(),
        "only sources that finished (and the registry's checkout check) count as audited"
    );
}

#[tokio::test]
async fn a_missing_checkout_is_a_p2_finding_of_its_project_not_an_audit_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gone = dir.path().join("gone");
    let mut ps = projects(3);
    ps[0].paths = vec![gone.clone()];
    ps[1].paths = vec![dir.path().to_path_buf()];
    ps[2].paths = vec![gone.clone(), dir.path().to_path_buf()];
    let sources: Vec<Arc<dyn IssueSource>> = vec![Source::new("good", Behaviour::Find)];
    let report = audit(&ps, &sources, &AuditOptions::default()).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let missing: Vec<(&str, &str, Priority)> = report
        .findings
        .iter()
        .filter(|f| f.kind == "checkout_missing")
        .map(|f| (f.project.as_str(), f.title.as_str(), f.priority))
        .collect();
    let title = format!("checkout missing at {}", gone.display());
    assert_eq!(
        missing,
        vec![
            ("p00", title.as_str(), Priority::P2),
            ("p02", title.as_str(), Priority::P2)
        ]
    );
    let audited: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.source == "good")
        .map(|f| f.project.as_str())
        .collect();
    assert_eq!(
        audited,
        vec!["p01", "p02"],
        "the checkouts that exist are audited"
    );
    assert!(
        report
            .audited
            .contains(&("p00".to_owned(), "registry".to_owned()))
    );
}

#[tokio::test]
async fn no_more_source_calls_run_at_once_than_the_bound() {
    let good = Source::new("good", Behaviour::Find);
    let sources: Vec<Arc<dyn IssueSource>> = vec![good.clone()];
    let options = AuditOptions {
        concurrency: 3,
        timeout: Duration::from_secs(10),
    };
    let report = audit(&projects(12), &sources, &options).await;
    assert_eq!(report.findings.len(), 12);
    assert_eq!(good.peak.load(Ordering::SeqCst), 3);
    let order: Vec<&str> = report.findings.iter().map(|f| f.project.as_str()).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "findings come out in a stable order");
}

/// A source that asks about every project at once and fails the odd ones.
struct Batched {
    calls: AtomicUsize,
}

#[async_trait]
impl IssueSource for Batched {
    fn name(&self) -> &str {
        "batched"
    }
    fn batched(&self) -> bool {
        true
    }
    async fn audit(&self, _project: &Project) -> ops_core::Result<Vec<Finding>> {
        panic!("a batched source is never called project by project")
    }
    async fn audit_many(&self, projects: &[Project]) -> Vec<ops_core::Result<Vec<Finding>>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        projects
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i % 2 == 1 {
                    return Err(ops_core::Error::backend(
                        "batched",
                        "audit",
                        ErrorKind::NotFound,
                        format!("{} not found", p.alias),
                    ));
                }
                Ok(vec![Finding {
                    source: "batched".into(),
                    kind: "k".into(),
                    project: p.alias.clone(),
                    repo: "/r".into(),
                    title: p.alias.clone(),
                    detail: String::new(),
                    priority: Priority::P2,
                    fingerprint: format!("batched-{}", p.alias),
                    depends_on: Vec::new(),
                    paths: Vec::new(),
                    blocked: None,
                }])
            })
            .collect()
    }
}

#[tokio::test]
async fn a_batched_source_gets_every_project_in_one_call_and_fails_only_the_projects_it_names() {
    let batched = Arc::new(Batched {
        calls: AtomicUsize::new(0),
    });
    let sources: Vec<Arc<dyn IssueSource>> =
        vec![batched.clone(), Source::new("git", Behaviour::Find)];
    let report = audit(&projects(6), &sources, &AuditOptions::default()).await;
    assert_eq!(batched.calls.load(Ordering::SeqCst), 1);
    let failed: Vec<&str> = report.errors.iter().map(|e| e.project.as_str()).collect();
    assert_eq!(failed, ["p01", "p03", "p05"]);
    assert!(report.errors.iter().all(|e| e.source == "batched"));
    let found: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.source == "batched")
        .map(|f| f.project.as_str())
        .collect();
    assert_eq!(found, ["p00", "p02", "p04"]);
    // Only the projects it answered for count as audited by it; git audited all six.
    assert!(report.audited.contains(&("p00".into(), "batched".into())));
    assert!(!report.audited.contains(&("p01".into(), "batched".into())));
    assert_eq!(report.audited.iter().filter(|(_, s)| s == "git").count(), 6);
}
