//! Composing an attempt's brief: the task, what "done" means, and what earlier
//! attempts taught. A retry carries the failure; a stall narrows the focus.

use crate::model::{AttemptOutcome, Task, TaskId};
use crate::seams::Brief;
use std::fmt::Write as _;

/// What the engine knows around a task when it writes the brief.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BriefContext {
    /// Other in-flight tasks in the same repository and the paths they own
    /// (an empty list: the whole repository).
    pub others: Vec<OwnedElsewhere>,
    /// The tasks it waits for (its `blocked_by`), landed or still running.
    pub upstream: Vec<Upstream>,
}

/// A task another one builds on, as the dependent is told about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Upstream {
    /// The task.
    pub task: TaskId,
    /// Its title.
    pub title: String,
    /// Its repository.
    pub repo: String,
    /// What its agent said it did (already redacted), if it said anything.
    pub summary: Option<String>,
    /// Its branch.
    pub branch: String,
    /// Whether it has completed (else it is still running).
    pub landed: bool,
    /// The commit it landed as on the dev branch, if it was merged.
    pub commit: Option<String>,
    /// The files it changed (empty: not reported).
    pub files: Vec<String>,
    /// Its change (PR), once opened.
    pub pr: Option<String>,
}

impl Upstream {
    /// What the dependent is told about `task`, its summary passed through `redact`.
    pub fn of(task: &Task, redact: impl Fn(&str) -> String) -> Upstream {
        Upstream {
            task: task.id.clone(),
            title: task.title.clone(),
            repo: task.repo.clone(),
            summary: task
                .attempts
                .iter()
                .rev()
                .find_map(|a| a.summary.as_deref())
                .filter(|s| !s.trim().is_empty())
                .map(redact),
            branch: task.branch.clone().unwrap_or_else(|| task.branch_name()),
            landed: task.status == crate::model::TaskStatus::Completed,
            commit: task.merged_sha.clone(),
            files: task.changed_files.clone(),
            pr: task.pr.clone(),
        }
    }

    /// Its output: summary, branch and commit, change, files — one line each.
    pub fn output(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Summary: {}",
            self.summary.as_deref().unwrap_or("none reported")
        );
        let _ = match (&self.commit, self.landed) {
            (Some(sha), _) => writeln!(text, "Branch: {} (landed as commit {sha})", self.branch),
            (None, true) => writeln!(text, "Branch: {} (nothing merged)", self.branch),
            (None, false) => writeln!(text, "Branch: {} (not landed yet)", self.branch),
        };
        if let Some(pr) = &self.pr {
            let _ = writeln!(text, "Change: {pr}");
        }
        let _ = if self.files.is_empty() {
            writeln!(text, "Changed files: not reported")
        } else {
            writeln!(text, "Changed files: {}", self.files.join(", "))
        };
        text
    }

    /// The message to a running dependent once this task has landed.
    pub fn announcement(&self) -> String {
        format!(
            "Upstream task {} ({}) in repository {} has completed and landed.\n{}Build on it where your task depends on it; do not redo it.",
            self.task,
            self.title,
            self.repo,
            self.output()
        )
    }
}

/// Files another running task owns.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedElsewhere {
    /// The task that owns them.
    pub task: TaskId,
    /// Its title.
    pub title: String,
    /// Its paths (empty: the whole repository).
    pub paths: Vec<String>,
}

/// The brief for attempt `attempt` of `task`, given its history so far.
///
/// Every brief names its attempt number and the outcome of each earlier attempt,
/// so two attempts of one task never receive the same text.
pub fn compose(task: &Task, attempt: u32) -> Brief {
    compose_with(task, attempt, &BriefContext::default())
}

/// [`compose`], also naming the files other running tasks own (owned by whom).
pub fn compose_with(task: &Task, attempt: u32, context: &BriefContext) -> Brief {
    let branch = task.branch.clone().unwrap_or_else(|| task.branch_name());
    let mut text = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        text,
        "# Task {}: {} (attempt {attempt})",
        task.id, task.title
    );
    let _ = writeln!(
        text,
        "\nProject: {}. Repository: {}. Work on branch `{branch}` and commit there.",
        task.project, task.repo
    );
    match &task.worktree {
        Some(w) => {
            let _ = writeln!(
                text,
                "Your worktree: {} (already on that branch).",
                w.display()
            );
        }
        None => {
            let _ = writeln!(
                text,
                "You start in your own git worktree of the repository, already on that branch."
            );
        }
    }
    if !task.description.is_empty() {
        let _ = writeln!(text, "\n## What to do\n{}", task.description);
    }
    if !task.acceptance_criteria.is_empty() {
        let _ = writeln!(text, "\n## Acceptance criteria");
        for c in &task.acceptance_criteria {
            let _ = writeln!(text, "- {c}");
        }
    }
    if let Some(gate) = &task.quality_gate {
        let _ = writeln!(text, "\n## Quality gate\nYour change must pass `{gate}`.");
    }
    let _ = writeln!(text, "\n## Files");
    if task.paths.is_empty() {
        let _ = writeln!(text, "You may change any file in the repository.");
    } else {
        let _ = writeln!(text, "Change only these paths: {}.", task.paths.join(", "));
    }
    if !context.others.is_empty() {
        let _ = writeln!(text, "Do not touch files other running tasks own:");
        for o in &context.others {
            let owned = if o.paths.is_empty() {
                "the whole repository outside your paths".to_string()
            } else {
                o.paths.join(", ")
            };
            let _ = writeln!(text, "- {owned} (owned by task {}: {})", o.task, o.title);
        }
    }
    write_upstream(&mut text, &context.upstream);
    let finished: Vec<_> = task
        .attempts
        .iter()
        .filter_map(|a| a.outcome.as_ref().map(|o| (a, o)))
        .collect();
    if !finished.is_empty() {
        let _ = writeln!(text, "\n## Earlier attempts");
        for (a, outcome) in &finished {
            let _ = write!(text, "- Attempt {}: {}", a.number, outcome.describe());
            if let Some(summary) = a.summary.as_deref().filter(|s| !s.is_empty()) {
                let _ = write!(text, " (agent summary: {summary})");
            }
            let _ = writeln!(text);
        }
    }
    match finished.last().map(|(_, o)| *o) {
        Some(AttemptOutcome::Stalled { idle_secs, partial }) => {
            let _ = writeln!(
                text,
                "\n## Narrowed focus\nThe previous attempt stopped showing activity for {idle_secs}s and was stopped. \
                 Do not start over: keep what it did ({}), take the smallest step that meets the first \
                 unmet acceptance criterion, commit it, and finish. Avoid long-running or interactive commands.",
                if partial.is_empty() {
                    "nothing recorded"
                } else {
                    partial
                }
            );
        }
        Some(
            o @ (AttemptOutcome::AgentFailed { .. }
            | AttemptOutcome::GateFailed { .. }
            | AttemptOutcome::ShipFailed { .. }),
        ) => {
            let _ = writeln!(
                text,
                "\n## Fix this first\nThe previous attempt did not land: {}.",
                o.describe()
            );
        }
        _ => {}
    }
    Brief {
        task: task.clone(),
        attempt,
        branch,
        text,
        review: None,
        resume: None,
    }
}

/// The upstream section: what landed, and what is still running (the dependent
/// started early, as a team member: it prepares and hears the output as a message).
fn write_upstream(text: &mut String, upstream: &[Upstream]) {
    let (landed, running): (Vec<&Upstream>, Vec<&Upstream>) =
        upstream.iter().partition(|u| u.landed);
    if !landed.is_empty() {
        let _ = writeln!(text, "\n## Upstream work this task builds on");
        for u in landed {
            let _ = writeln!(
                text,
                "### Task {} ({}), repository {}\n{}",
                u.task,
                u.title,
                u.repo,
                u.output().trim_end()
            );
        }
    }
    if !running.is_empty() {
        let _ = writeln!(text, "\n## Upstream work still running");
        for u in &running {
            let _ = writeln!(
                text,
                "- Task {} ({}), repository {}, branch {}",
                u.task, u.title, u.repo, u.branch
            );
        }
        let _ = writeln!(
            text,
            "You started before it landed. Prepare: read the code, plan your change and do the \
             parts that do not need its output. Its summary, commit and changed files come to you \
             as a message the moment it lands; build on it then, and do not redo it."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attempt, TaskId, Timestamp};

    fn task() -> Task {
        let mut t = Task::new(
            TaskId::new("t1").expect("valid"),
            "Fix login",
            "web",
            "acme/web",
        );
        t.description = "The login form rejects valid emails.".into();
        t.acceptance_criteria = vec!["valid emails log in".into()];
        t.quality_gate = Some("cargo test".into());
        t.paths = vec!["src/login".into()];
        t
    }

    fn end(t: &mut Task, outcome: AttemptOutcome) {
        let number = u32::try_from(t.attempts.len()).expect("few") + 1;
        let brief = compose(t, number).text;
        t.attempts.push(Attempt {
            number,
            brief,
            started_at: Timestamp(0),
            ended_at: Some(Timestamp(1)),
            summary: Some(format!("summary {number}")),
            cost_usd: None,
            outcome: Some(outcome),
            session: None,
        });
    }

    #[test]
    fn first_brief_names_task_repo_branch_criteria_gate_and_paths() {
        let b = compose(&task(), 1);
        for want in [
            "t1",
            "Fix login",
            "acme/web",
            "ops/t1-fix-login",
            "valid emails log in",
            "cargo test",
            "src/login",
        ] {
            assert!(b.text.contains(want), "missing {want}:\n{}", b.text);
        }
        assert!(!b.text.contains("Earlier attempts"));
    }

    #[test]
    fn a_retry_brief_carries_the_failure_context() {
        let mut t = task();
        end(
            &mut t,
            AttemptOutcome::GateFailed {
                gate: "quality-gate".into(),
                detail: "test login::email failed".into(),
            },
        );
        let b = compose(&t, 2);
        assert!(b.text.contains("test login::email failed"), "{}", b.text);
        assert!(b.text.contains("Fix this first"));
    }

    #[test]
    fn a_brief_after_a_stall_is_narrowed_and_keeps_partial_progress() {
        let mut t = task();
        end(
            &mut t,
            AttemptOutcome::Stalled {
                idle_secs: 900,
                partial: "edited src/login/form.rs".into(),
            },
        );
        let b = compose(&t, 2);
        assert!(b.text.contains("Narrowed focus"), "{}", b.text);
        assert!(b.text.contains("edited src/login/form.rs"));
    }

    #[test]
    fn a_brief_names_the_worktree_and_the_files_others_own_by_whom() {
        let mut t = task();
        t.worktree = Some("/repo/.worktrees/t1".into());
        let context = BriefContext {
            others: vec![OwnedElsewhere {
                task: TaskId::new("t2").expect("valid"),
                title: "Rework signup".into(),
                paths: vec!["src/signup".into()],
            }],
            ..BriefContext::default()
        };
        let b = compose_with(&t, 1, &context);
        assert!(
            b.text.contains("Your worktree: /repo/.worktrees/t1"),
            "{}",
            b.text
        );
        assert!(
            b.text
                .contains("- src/signup (owned by task t2: Rework signup)"),
            "{}",
            b.text
        );
        assert!(!compose(&t, 1).text.contains("owned by task"));
    }

    #[test]
    fn no_two_attempts_of_a_task_get_the_same_brief() {
        let mut t = task();
        let outcomes = [
            AttemptOutcome::Stalled {
                idle_secs: 900,
                partial: String::new(),
            },
            AttemptOutcome::Stalled {
                idle_secs: 900,
                partial: String::new(),
            },
            AttemptOutcome::Interrupted {
                reason: "crash".into(),
            },
            AttemptOutcome::AgentFailed { reason: "x".into() },
            AttemptOutcome::AgentFailed { reason: "x".into() },
        ];
        for o in outcomes {
            end(&mut t, o);
        }
        let mut briefs: Vec<String> = t.attempts.iter().map(|a| a.brief.clone()).collect();
        briefs.push(compose(&t, 6).text);
        for (i, a) in briefs.iter().enumerate() {
            for b in &briefs[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
