//! The planner: findings → tasks on the board.
//!
//! # Priority table
//! Sources assign priorities by this table; the planner only raises a finding
//! one step when it matches an active topic (`memories/topics_active.md`).
//!
//! | Priority | Meaning | Examples |
//! |---|---|---|
//! | P0 | production is broken | main's CI persistently red, a failing health endpoint, a fatal Sentry issue with users |
//! | P1 | development is broken, or a security issue | dev's CI red, a regression, a PR with failing checks, a security report |
//! | P2 | work in flight that should land | unpushed commits, uncommitted changes, the current GSD phase, a handoff, a PR ready to merge or with changes requested |
//! | P3 | next and housekeeping | the next GSD phase, todos, detached HEAD |
//!
//! `--fires-only` keeps P0 (after raising) and the findings a P0 depends on.
//!
//! # Cross-reference with the board
//! A task is keyed by its finding's fingerprint:
//! - new fingerprint → a task is created (id `<project>-<kind>-<hash>`);
//! - known fingerprint, task pending or blocked → its title, description,
//!   priority, mode, quality gate and acceptance criteria are brought up to
//!   date (saved only when something changed);
//! - a finding that says a person must act first ([`Finding::blocked`]) makes
//!   its task blocked with that action as the reason; the task is pending again
//!   once the finding no longer says so;
//! - known fingerprint, task in flight, completed, failed or deleted → left alone;
//! - a pending or blocked task whose finding is gone, from a source that
//!   audited its project successfully this time → completed "already done".
//!   Tasks added by hand (no source) are never completed by the planner.
//!
//! So planning twice from the same audit changes nothing the second time.
//!
//! # What comes from where
//! Title and description come from the finding. The quality gate and the
//! acceptance criteria come from the project's registry entry only — never
//! from finding text, which may be written by anyone who can open an issue.
//! Dependencies come only from relations a source states (`Finding::depends_on`):
//! GSD phase N after N−1, a tracker's "blocks", an edge in the todos file.

mod mode;

pub use mode::{hybrid_mode, sensitivity};

use crate::audit::AuditReport;
use crate::board::TaskStore;
use crate::config::Topic;
use crate::error::Result;
use crate::graph::TaskGraph;
use crate::model::{
    Finding, Priority, Project, Task, TaskId, TaskStatus, Timestamp, WAITING_FOR_A_PERSON,
    fingerprint,
};
use std::collections::{BTreeMap, BTreeSet};

/// Acceptance criteria every task gets, before the project's own.
pub const DEFAULT_ACCEPTANCE: &[&str] = &[
    "The change resolves what the task describes, and nothing else.",
    "The project's quality gate passes on the change.",
    "No secrets, credentials or .env files are added or changed.",
];

/// How to plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Keep only P0 findings and what they depend on (and leave every other
    /// task alone).
    pub fires_only: bool,
    /// Active topics: a matching finding is raised one priority step.
    pub topics: Vec<Topic>,
    /// Sources whose findings are given anew on each call (command-line todos):
    /// their absence never completes a task.
    pub ephemeral_sources: BTreeSet<String>,
}

/// What planning changed on the board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanChanges {
    /// Tasks created.
    pub created: Vec<TaskId>,
    /// Tasks brought up to date.
    pub updated: Vec<TaskId>,
    /// Tasks completed because their finding is gone.
    pub done: Vec<TaskId>,
    /// Tasks whose finding is still there and that needed no change.
    pub unchanged: Vec<TaskId>,
    /// Things worth telling the user (a dependency on an unknown finding, ...).
    pub warnings: Vec<String>,
}

/// Plan `report` onto `store`.
pub async fn plan(
    store: &dyn TaskStore,
    report: &AuditReport,
    projects: &[Project],
    options: &PlanOptions,
) -> Result<PlanChanges> {
    let existing = store.list().await?;
    let decisions = decide(&existing, report, projects, options, Timestamp::now())?;
    for task in decisions.inserts {
        // The board takes new tasks pending; one waiting for a person is
        // blocked right after.
        let blocked = (task.status == TaskStatus::Blocked).then(|| task.status_reason.clone());
        let mut pending = task;
        pending.status = TaskStatus::Pending;
        pending.status_reason = None;
        let mut inserted = store.insert(pending).await?;
        if let Some(reason) = blocked {
            inserted.move_to(TaskStatus::Blocked, reason)?;
            store.save(inserted).await?;
        }
    }
    for task in decisions.saves {
        store.save(task).await?;
    }
    Ok(decisions.changes)
}

/// What [`decide`] wants written.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    /// New tasks, in an order the board accepts (blockers first).
    pub inserts: Vec<Task>,
    /// Changed tasks, as read plus the changes.
    pub saves: Vec<Task>,
    /// The summary.
    pub changes: PlanChanges,
}

/// The planner as a pure function of the board and the audit.
pub fn decide(
    existing: &[Task],
    report: &AuditReport,
    projects: &[Project],
    options: &PlanOptions,
    now: Timestamp,
) -> Result<Decisions> {
    let project_of = |alias: &str| projects.iter().find(|p| p.alias == alias);
    let mut findings: Vec<(Finding, Option<String>)> = report
        .findings
        .iter()
        .map(|f| raise_for_topics(f, &options.topics))
        .collect();
    if options.fires_only {
        // P0, and whatever a P0 depends on (transitively): dropping a blocker
        // would let the fire start without its input.
        let mut keep: BTreeSet<String> = findings
            .iter()
            .filter(|(f, _)| f.priority == Priority::P0)
            .map(|(f, _)| f.fingerprint.clone())
            .collect();
        loop {
            let needed: Vec<String> = findings
                .iter()
                .filter(|(f, _)| keep.contains(&f.fingerprint))
                .flat_map(|(f, _)| f.depends_on.iter().cloned())
                .filter(|dep| !keep.contains(dep))
                .collect();
            if needed.is_empty() {
                break;
            }
            keep.extend(needed);
        }
        findings.retain(|(f, _)| keep.contains(&f.fingerprint));
    }
    // A deleted task still holds its fingerprint (it is left alone, never
    // created again); when several tasks share one, a live task wins.
    let mut by_fingerprint: BTreeMap<&str, &Task> = BTreeMap::new();
    for t in existing {
        let slot = by_fingerprint.entry(t.fingerprint.as_str()).or_insert(t);
        if slot.status == TaskStatus::Deleted {
            *slot = t;
        }
    }
    let existing_ids: BTreeSet<&TaskId> = existing.iter().map(|t| &t.id).collect();
    let in_flight: BTreeSet<&TaskId> = existing
        .iter()
        .filter(|t| t.status.is_in_flight())
        .map(|t| &t.id)
        .collect();

    // Ids for every finding: the existing task's, or a new one.
    let mut id_of: BTreeMap<String, TaskId> = by_fingerprint
        .iter()
        .map(|(fp, t)| ((*fp).to_owned(), t.id.clone()))
        .collect();
    for (f, _) in &findings {
        if !id_of.contains_key(&f.fingerprint) {
            id_of.insert(f.fingerprint.clone(), new_id(f, &existing_ids)?);
        }
    }

    let mut d = Decisions::default();
    let mut graph = TaskGraph::from_tasks(existing)?;
    let mut new_tasks: BTreeMap<TaskId, Task> = BTreeMap::new();
    let mut edges: Vec<(String, BTreeSet<TaskId>)> = Vec::new();
    for (f, raised) in &findings {
        let project = project_of(&f.project);
        let mut blockers = BTreeSet::new();
        for dep in &f.depends_on {
            match id_of.get(dep) {
                Some(id) => {
                    blockers.insert(id.clone());
                }
                None => d.changes.warnings.push(format!(
                    "{}: depends on finding {dep}, which no source reported; dependency ignored",
                    f.title
                )),
            }
        }
        let in_flight_blocker = blockers.iter().any(|b| in_flight.contains(b));
        let sensitive = sensitivity(f, project);
        let mode = hybrid_mode(sensitive.is_some(), in_flight_blocker);
        let mut description = f.detail.clone();
        if let Some(note) = raised {
            description = format!("{note}\n\n{description}");
        }
        if let Some(why) = &sensitive {
            description = format!("{description}\n\nSensitive: {why}; needs the security review.");
        }
        let mut acceptance: Vec<String> =
            DEFAULT_ACCEPTANCE.iter().map(|s| (*s).to_owned()).collect();
        if let Some(p) = project {
            acceptance.extend(p.acceptance_criteria.iter().cloned());
        }
        let quality_gate = project.and_then(|p| p.quality_gate.clone());

        match by_fingerprint.get(f.fingerprint.as_str()) {
            None => {
                let id = id_of[&f.fingerprint].clone();
                let mut task = Task::new(
                    id.clone(),
                    f.title.clone(),
                    f.project.clone(),
                    f.repo.clone(),
                );
                task.description = description.trim().to_owned();
                task.priority = f.priority;
                task.mode = mode;
                task.sensitive = sensitive.is_some();
                task.quality_gate = quality_gate;
                task.acceptance_criteria = acceptance;
                task.fingerprint = f.fingerprint.clone();
                task.source = Some(f.source.clone());
                task.created_at = now;
                if let Some(why) = &f.blocked {
                    task.status = TaskStatus::Blocked;
                    task.status_reason = Some(format!("{WAITING_FOR_A_PERSON}{why}"));
                }
                graph.add_task(id.clone());
                new_tasks.insert(id, task);
            }
            Some(task) if matches!(task.status, TaskStatus::Pending | TaskStatus::Blocked) => {
                let mut updated = (*task).clone();
                updated.title = f.title.clone();
                updated.description = description.trim().to_owned();
                updated.priority = f.priority;
                updated.mode = mode;
                updated.sensitive = sensitive.is_some();
                updated.quality_gate = quality_gate;
                updated.acceptance_criteria = acceptance;
                wait_for_a_person(&mut updated, f.blocked.as_deref());
                if &updated == *task {
                    d.changes.unchanged.push(task.id.clone());
                } else {
                    d.changes.updated.push(task.id.clone());
                    d.saves.push(updated);
                }
            }
            Some(task) => d.changes.unchanged.push(task.id.clone()),
        }
        edges.push((f.fingerprint.clone(), blockers));
    }

    // Edges, once every new task is in the graph.
    for (fp, blockers) in edges {
        let id = &id_of[&fp];
        for blocker in blockers {
            if let Some(task) = new_tasks.get_mut(id) {
                graph.add_dependency(&blocker, id)?;
                task.blocked_by.insert(blocker);
            } else if let Some(saved) = d.saves.iter_mut().find(|t| &t.id == id) {
                if saved.blocked_by.insert(blocker.clone()) {
                    graph.add_dependency(&blocker, id)?;
                }
            } else if let Some(task) = by_fingerprint.get(fp.as_str())
                && matches!(task.status, TaskStatus::Pending | TaskStatus::Blocked)
                && !task.blocked_by.contains(&blocker)
            {
                graph.add_dependency(&blocker, id)?;
                let mut updated = (*task).clone();
                updated.blocked_by.insert(blocker);
                d.changes.unchanged.retain(|u| u != id);
                d.changes.updated.push(id.clone());
                d.saves.push(updated);
            }
        }
    }

    // New tasks in an order the board accepts: blockers first.
    for id in graph.topological() {
        if let Some(task) = new_tasks.remove(&id) {
            d.changes.created.push(id);
            d.inserts.push(task);
        }
    }

    // Vanished findings.
    let seen: BTreeSet<&str> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    for task in existing {
        let Some(source) = &task.source else { continue };
        let open = matches!(task.status, TaskStatus::Pending | TaskStatus::Blocked);
        let audited = report
            .audited
            .contains(&(task.project.clone(), source.clone()));
        let filtered = options.fires_only && task.priority != Priority::P0;
        if !open
            || !audited
            || filtered
            || options.ephemeral_sources.contains(source)
            // Every task saved above came from a finding, so it is in `seen`.
            || seen.contains(task.fingerprint.as_str())
        {
            continue;
        }
        let mut done = task.clone();
        done.move_to(
            TaskStatus::Completed,
            Some(format!("already done: {source} no longer reports it")),
        )?;
        done.blocked_on = None;
        d.changes.done.push(task.id.clone());
        d.saves.push(done);
    }
    Ok(d)
}

/// Blocks an open task whose finding says a person must act first (the
/// reason names the action), and unblocks one blocked that way once the
/// finding no longer says so; a task blocked for any other reason is left so.
fn wait_for_a_person(task: &mut Task, blocked: Option<&str>) {
    let by_a_person = task.status == TaskStatus::Blocked
        && task.blocked_on.is_none()
        && task
            .status_reason
            .as_deref()
            .is_some_and(|r| r.starts_with(WAITING_FOR_A_PERSON));
    match blocked {
        Some(why) if task.status == TaskStatus::Pending || by_a_person => {
            task.status = TaskStatus::Blocked;
            task.status_reason = Some(format!("{WAITING_FOR_A_PERSON}{why}"));
        }
        None if by_a_person => {
            task.status = TaskStatus::Pending;
            task.status_reason = None;
        }
        _ => {}
    }
}

/// Raise a finding one priority step when it matches an active topic; the
/// note says why. `ops audit` shows findings raised the same way.
pub fn raise_for_topics(finding: &Finding, topics: &[Topic]) -> (Finding, Option<String>) {
    let Some(topic) = topics.iter().find(|t| t.matches(finding)) else {
        return (finding.clone(), None);
    };
    let raised = match finding.priority {
        Priority::P0 | Priority::P1 => Priority::P0,
        Priority::P2 => Priority::P1,
        Priority::P3 => Priority::P2,
    };
    if raised == finding.priority {
        return (finding.clone(), None);
    }
    let note = format!(
        "Priority raised from {} to {}: matches the active topic {:?}.",
        finding.priority, raised, topic.title
    );
    let mut f = finding.clone();
    f.priority = raised;
    (f, Some(note))
}

/// `<project>-<kind>-<hash>`, readable and valid as a task id and a branch name.
fn new_id(finding: &Finding, taken: &BTreeSet<&TaskId>) -> Result<TaskId> {
    let clean = |s: &str, max: usize| {
        let mut out = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= max {
                break;
            }
        }
        out.trim_matches('-').to_owned()
    };
    let project = clean(&finding.project, 24);
    // A phase's task keeps its id when the phase moves from next to current
    // (same fingerprint): the id says what the work is, not where it stands.
    let kind = clean(&finding.kind.replace("next_", ""), 20);
    let hash = fingerprint(&[&finding.fingerprint]);
    let mut parts: Vec<&str> = [project.as_str(), kind.as_str()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    parts.push(&hash[..10]);
    let mut id = TaskId::new(parts.join("-"))?;
    let mut n = 2;
    while taken.contains(&id) {
        id = TaskId::new(format!("{}-{n}", parts.join("-")))?;
        n += 1;
    }
    Ok(id)
}
