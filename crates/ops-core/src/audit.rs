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
    /// The source (`git`, `gsd`, ...).
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

/// The source name of what the registry itself shows (a checkout missing).
pub const REGISTRY_SOURCE: &str = "registry";

/// A registered checkout that is not there: a finding of its project (P2),
/// not a failure of the audit; the project's other checkouts are audited.
fn checkout_missing(project: &Project, path: &std::path::Path) -> Finding {
    let shown = path.display().to_string();
    Finding {
        source: REGISTRY_SOURCE.to_owned(),
        kind: "checkout_missing".to_owned(),
        project: project.alias.clone(),
        repo: shown.clone(),
        title: format!("checkout missing at {shown}"),
        detail: format!(
            "The registry lists {shown} as a checkout of {}, but nothing is there: clone it again, or remove it from the registry.",
            project.alias
        ),
        priority: crate::model::Priority::P2,
        fingerprint: crate::model::fingerprint(&[
            REGISTRY_SOURCE,
            "checkout_missing",
            &project.alias,
            &shown,
        ]),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    }
}

/// Audit `projects` with every source. A checkout that is missing is a
/// finding ([`REGISTRY_SOURCE`]), and the project's other checkouts are audited.
pub async fn audit(
    projects: &[Project],
    sources: &[Arc<dyn IssueSource>],
    options: &AuditOptions,
) -> AuditReport {
    let mut report = AuditReport::default();
    let mut eligible = Vec::new();
    for project in projects {
        let (present, missing): (Vec<_>, Vec<_>) =
            project.paths.iter().cloned().partition(|p| p.exists());
        report
            .findings
            .extend(missing.iter().map(|path| checkout_missing(project, path)));
        report
            .audited
            .insert((project.alias.clone(), REGISTRY_SOURCE.to_owned()));
        if present.is_empty() && !missing.is_empty() {
            continue;
        }
        eligible.push(Project {
            paths: present,
            ..project.clone()
        });
    }
    // A batched source gets every project in one call; the others one call each.
    let eligible: Arc<[Project]> = eligible.into();
    let mut calls = Vec::new();
    for source in sources {
        if source.batched() {
            calls.push((Arc::clone(&eligible), Arc::clone(source)));
        } else {
            for project in eligible.iter() {
                calls.push((Arc::from([project.clone()]), Arc::clone(source)));
            }
        }
    }
    let timeout = options.timeout;
    let mut results = futures::stream::iter(calls)
        .map(|(projects, source)| async move {
            let name = source.name().to_owned();
            let aliases: Vec<String> = projects.iter().map(|p| p.alias.clone()).collect();
            let call = tokio::spawn(async move {
                let audit = async {
                    match &*projects {
                        [one] if !source.batched() => vec![source.audit(one).await],
                        many => source.audit_many(many).await,
                    }
                };
                tokio::time::timeout(timeout, audit).await
            });
            let outcomes: Vec<std::result::Result<Vec<Finding>, String>> = match call.await {
                Ok(Ok(results)) if results.len() == aliases.len() => results
                    .into_iter()
                    .map(|r| r.map_err(|e| e.to_string()))
                    .collect(),
                Ok(Ok(results)) => vec![
                    Err(format!(
                        "answered for {} projects instead of {}; this is a bug in the source",
                        results.len(),
                        aliases.len()
                    ));
                    aliases.len()
                ],
                Ok(Err(_)) => {
                    vec![
                        Err(format!("gave no answer within {}s", timeout.as_secs()));
                        aliases.len()
                    ]
                }
                Err(join) if join.is_panic() => {
                    vec![
                        Err("crashed (panicked); this is a bug in the source".into());
                        aliases.len()
                    ]
                }
                Err(_) => vec![Err("was cancelled".into()); aliases.len()],
            };
            (name, aliases.into_iter().zip(outcomes).collect::<Vec<_>>())
        })
        .buffer_unordered(options.concurrency.max(1));
    while let Some((source, outcomes)) = results.next().await {
        for (project, outcome) in outcomes {
            match outcome {
                Ok(findings) => {
                    report.findings.extend(findings);
                    report.audited.insert((project, source.clone()));
                }
                Err(message) => report.errors.push(AuditError {
                    project,
                    source: source.clone(),
                    message,
                }),
            }
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
