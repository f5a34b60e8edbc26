//! DESIGN.md's CI-failure rule over one branch's workflow runs, as a pure
//! function ([`ci_rule`]), and what of a run list the rule needs ([`prune`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many red runs in a row (the latest and the 2+ before it) make a
/// persistent failure.
pub const PERSISTENT_AFTER: usize = 3;

/// One workflow run as the REST API lists it: only the fields the rule and the
/// findings use. `status`, `conclusion` and `event` stay text, so a value
/// GitHub adds later never breaks parsing (it is judged neither red nor green).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// The run's id.
    pub id: u64,
    /// The workflow's name (a workflow's `run-name` goes to `display_title`,
    /// not here, so it is stable from run to run).
    #[serde(default)]
    pub name: Option<String>,
    /// The workflow's id: runs are judged per workflow.
    #[serde(default)]
    pub workflow_id: u64,
    /// The workflow's own run counter (`#562`).
    #[serde(default)]
    pub run_number: u64,
    /// What triggered it (`push`, `schedule`, `pull_request`, ...).
    #[serde(default)]
    pub event: String,
    /// `queued`, `in_progress`, `completed`, ... (`None` when GitHub omits it).
    #[serde(default)]
    pub status: Option<String>,
    /// Set once completed: `success`, `failure`, `cancelled`, ...
    #[serde(default)]
    pub conclusion: Option<String>,
    /// The commit it ran on.
    pub head_sha: String,
    /// The run's page on github.com.
    #[serde(default)]
    pub html_url: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
}

/// What a run says about its branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Completed with `failure`, `timed_out` or `startup_failure`.
    Red,
    /// Completed with `success`.
    Green,
    /// Not completed yet, or completed with a conclusion that says nothing
    /// about the code (`cancelled`, `skipped`, `neutral`, `stale`,
    /// `action_required`, or one GitHub adds later).
    Neither,
}

impl Run {
    /// Red, green or neither (see [`Verdict`]).
    pub fn verdict(&self) -> Verdict {
        if self.status.as_deref() != Some("completed") {
            return Verdict::Neither;
        }
        match self.conclusion.as_deref() {
            Some("success") => Verdict::Green,
            Some("failure" | "timed_out" | "startup_failure") => Verdict::Red,
            _ => Verdict::Neither,
        }
    }

    /// Whether the run tested the branch itself. Pull-request runs test a
    /// merge result, and their `head_branch` may be a fork's branch of the
    /// same name (a fork's `main`), so they are left to the PR audit.
    pub fn tests_the_branch(&self) -> bool {
        !self.event.starts_with("pull_request")
    }

    /// The workflow's name as shown: the run's name, else the workflow's id.
    pub fn workflow_label(&self) -> String {
        match &self.name {
            Some(name) if !name.trim().is_empty() => name.clone(),
            _ => format!("workflow {}", self.workflow_id),
        }
    }
}

/// Which case of the rule a workflow is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiKind {
    /// The latest run and the 2+ before it are red.
    PersistentFailure,
    /// The latest run is red, fewer than three are, and a green run came
    /// before them: it broke recently.
    Regression,
    /// The latest run is red, fewer than three are, and the page holds no
    /// green run before them: red, without the history to say more.
    Failing,
}

impl CiKind {
    /// The finding kind: `ci_persistent_failure`, `ci_regression`, `ci_failing`.
    pub fn as_str(self) -> &'static str {
        match self {
            CiKind::PersistentFailure => "ci_persistent_failure",
            CiKind::Regression => "ci_regression",
            CiKind::Failing => "ci_failing",
        }
    }
}

/// One red workflow on a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiProblem {
    /// Which case of the rule.
    pub kind: CiKind,
    /// The workflow's name.
    pub workflow: String,
    /// The red runs in a row, newest first (at least one).
    pub failing: Vec<Run>,
    /// The newest green run before them, when the list holds one.
    pub last_green: Option<Run>,
}

/// The judged runs (red or green, of the branch itself) of each workflow,
/// newest first, keyed by workflow id (then name, for runs without one).
fn judged_by_workflow(runs: &[Run]) -> BTreeMap<(u64, String), Vec<&Run>> {
    let mut sorted: Vec<&Run> = runs
        .iter()
        .filter(|r| r.tests_the_branch() && r.verdict() != Verdict::Neither)
        .collect();
    sorted.sort_by(|a, b| (&b.created_at, b.id).cmp(&(&a.created_at, a.id)));
    let mut groups: BTreeMap<(u64, String), Vec<&Run>> = BTreeMap::new();
    for run in sorted {
        let key = if run.workflow_id == 0 {
            (0, run.workflow_label())
        } else {
            (run.workflow_id, String::new())
        };
        groups.entry(key).or_default().push(run);
    }
    groups
}

/// DESIGN.md's CI-failure rule, per workflow (a repository's CI and Deploy
/// workflows are judged separately), over completed runs newest first; runs
/// that are [`Verdict::Neither`] or of pull requests are skipped:
/// - latest green → nothing;
/// - latest red and the 2+ before it red → [`CiKind::PersistentFailure`];
/// - latest red, fewer than three reds, a green before them →
///   [`CiKind::Regression`] (one or two reds since the last green: it broke
///   recently and is not yet persistent);
/// - latest red, fewer than three reds, no green in the list →
///   [`CiKind::Failing`] (too little history to call it either).
///
/// Problems come sorted by workflow name. The order of `runs` does not matter.
pub fn ci_rule(runs: &[Run]) -> Vec<CiProblem> {
    let mut problems: Vec<CiProblem> = judged_by_workflow(runs)
        .into_values()
        .filter_map(|judged| {
            let failing: Vec<Run> = judged
                .iter()
                .take_while(|r| r.verdict() == Verdict::Red)
                .map(|r| (*r).clone())
                .collect();
            let newest = failing.first()?;
            let last_green = judged.get(failing.len()).map(|r| (*r).clone());
            let kind = match (failing.len() >= PERSISTENT_AFTER, &last_green) {
                (true, _) => CiKind::PersistentFailure,
                (false, Some(_)) => CiKind::Regression,
                (false, None) => CiKind::Failing,
            };
            Some(CiProblem {
                kind,
                workflow: newest.workflow_label(),
                failing,
                last_green,
            })
        })
        .collect();
    problems.sort_by(|a, b| a.workflow.cmp(&b.workflow));
    problems
}

/// The part of `runs` [`ci_rule`] reads: per workflow, the judged runs of the
/// branch newest first, up to and including the first green one. What the
/// cache keeps; `ci_rule(&prune(runs)) == ci_rule(runs)`.
pub fn prune(runs: &[Run]) -> Vec<Run> {
    let mut kept: Vec<Run> = judged_by_workflow(runs)
        .into_values()
        .flat_map(|judged| {
            let end = judged
                .iter()
                .position(|r| r.verdict() == Verdict::Green)
                .map_or(judged.len(), |i| i + 1);
            judged.into_iter().take(end).cloned().collect::<Vec<_>>()
        })
        .collect();
    kept.sort_by(|a, b| (&b.created_at, b.id).cmp(&(&a.created_at, a.id)));
    kept
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;
