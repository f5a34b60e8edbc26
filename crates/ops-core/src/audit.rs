//! The audit: every source over every project in scope, in parallel with a
//! bound, read-only. One failing source (or a panicking or hanging one) never
//! stops the others: its error is part of the report.

use crate::model::{Finding, Project};
use crate::seams::IssueSource;
use futures::StreamExt;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// How an audit runs.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// At most this many source calls at once.
    pub concurrency: usize,
    /// A source call taking longer than this is abandoned and reported.
    pub timeout: Duration,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            concurrency: std::thread::available_parallelism().map_or(4, |n| n.get() * 2),
            timeout: Duration::from_secs(120),
        }
    }
}

/// A source that failed for one project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditError {
    /// The project's alias.
    pub project: String,
    /// The source (`git`, `gsd`, ...), or `registry` for a project that could not be audited at all.
    pub source: String,
    /// What went wrong.
    pub message: String,
}

/// What an audit found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditReport {
    /// Every finding, sorted by project, repository, source, kind and
    /// fingerprint; one per fingerprint.
    pub findings: Vec<Finding>,
    /// Every failure, sorted by project and source.
    pub errors: Vec<AuditError>,
    /// The `(project, source)` pairs that ran to the end: only for those may
    /// the planner conclude that a finding has vanished.
    pub audited: BTreeSet<(String, String)>,
}

/// Audit `projects` with every source.
pub async fn audit(
    projects: &[Project],
    sources: &[Arc<dyn IssueSource>],
    options: &AuditOptions,
) -> AuditReport {
    let mut report = AuditReport::default();
    let mut calls = Vec::new();
    for project in projects {
        let missing: Vec<String> = project
            .paths
            .iter()
            .filter(|p| !p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !missing.is_empty() {
            report.errors.push(AuditError {
                project: project.alias.clone(),
                source: "registry".into(),
                message: format!("skipped: path {} does not exist", missing.join(", ")),
            });
            continue;
        }
        for source in sources {
            calls.push((Arc::new(project.clone()), Arc::clone(source)));
        }
    }
    let timeout = options.timeout;
    let mut results = futures::stream::iter(calls)
        .map(|(project, source)| async move {
            let name = source.name().to_owned();
            let alias = project.alias.clone();
            let call =
                tokio::spawn(
                    async move { tokio::time::timeout(timeout, source.audit(&project)).await },
                );
            let outcome = match call.await {
                Ok(Ok(Ok(findings))) => Ok(findings),
                Ok(Ok(Err(e))) => Err(e.to_string()),
                Ok(Err(_)) => Err(format!("gave no answer within {}s", timeout.as_secs())),
                Err(join) if join.is_panic() => {
                    Err("crashed (panicked); this is a bug in the source".into())
                }
                Err(_) => Err("was cancelled".into()),
            };
            (alias, name, outcome)
        })
        .buffer_unordered(options.concurrency.max(1));
    while let Some((project, source, outcome)) = results.next().await {
        match outcome {
            Ok(findings) => {
                report.findings.extend(findings);
                report.audited.insert((project, source));
            }
            Err(message) => report.errors.push(AuditError {
                project,
                source,
                message,
            }),
        }
    }
    report.findings.sort_by(|a, b| {
        (&a.project, &a.repo, &a.source, &a.kind, &a.fingerprint).cmp(&(
            &b.project,
            &b.repo,
            &b.source,
            &b.kind,
            &b.fingerprint,
        ))
    });
    let mut seen = BTreeSet::new();
    report
        .findings
        .retain(|f| seen.insert(f.fingerprint.clone()));
    report
        .errors
        .sort_by(|a, b| (&a.project, &a.source).cmp(&(&b.project, &b.source)));
    report
}
