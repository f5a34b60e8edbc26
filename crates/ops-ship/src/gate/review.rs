//! The review gate: a separate reviewer agent reads the task and the diff and must
//! end its answer with an explicit `VERDICT: APPROVE`. Anything else (a reject, no
//! verdict, a failed or stopped reviewer, a timeout) fails the gate.

use super::GateBase;
use super::diff::patch_of;
use super::secrets::redact;
use async_trait::async_trait;
use ops_core::Result;
use ops_core::model::Task;
use ops_core::seams::{AgentStatus, Brief, Dispatcher, GateVerdict, QualityGate, WorkRef};
use std::sync::Arc;
use std::time::Duration;

/// Which tasks get a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewPolicy {
    /// Only tasks for which [`Task::needs_security_review`] holds (the default).
    #[default]
    SensitiveOnly,
    /// Every task.
    All,
}

/// The line a reviewer must end with to approve.
pub const APPROVE: &str = "VERDICT: APPROVE";

/// The most diff text a reviewer brief carries.
const MAX_DIFF: usize = 60_000;

/// Asks a reviewer agent (any [`Dispatcher`]) for an explicit approval.
pub struct ReviewGate {
    reviewer: Arc<dyn Dispatcher>,
    policy: ReviewPolicy,
    base: GateBase,
    timeout: Duration,
}

impl std::fmt::Debug for ReviewGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewGate")
            .field("reviewer", &self.reviewer.name())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl ReviewGate {
    /// A gate asking agents of `reviewer` to review tasks `policy` selects.
    pub fn new(reviewer: Arc<dyn Dispatcher>, policy: ReviewPolicy, base: GateBase) -> Self {
        ReviewGate {
            reviewer,
            policy,
            base,
            timeout: Duration::from_secs(20 * 60),
        }
    }

    /// Fails the review if the reviewer takes longer than `timeout` (default 20 min).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn brief(task: &Task, work: &WorkRef, diff: &str) -> Brief {
        let mut diff = redact(diff);
        if diff.len() > MAX_DIFF {
            let mut end = MAX_DIFF;
            while !diff.is_char_boundary(end) {
                end -= 1;
            }
            diff.truncate(end);
            diff.push_str("\n[diff truncated]\n");
        }
        let criteria = if task.acceptance_criteria.is_empty() {
            "(none stated)".to_string()
        } else {
            task.acceptance_criteria
                .iter()
                .map(|c| format!("- {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let text = format!(
            "# Review of task {id}: {title}\n\n\
             You are a reviewer, not the author. Do not change any file.\n\
             Decide: does this change do what the task says, and nothing else? \
             Look for security problems (secrets, auth bypasses, injection, unsafe data handling).\n\n\
             ## Task\n{description}\n\n## Acceptance criteria\n{criteria}\n\n\
             ## The author's summary\n{summary}\n\n## The diff of branch {branch}\n```diff\n{diff}\n```\n\n\
             End your answer with exactly one line: `{APPROVE}` to approve, or \
             `VERDICT: REJECT <reason>` to reject.\n",
            id = task.id,
            title = task.title,
            description = task.description,
            summary = work.summary,
            branch = work.branch,
        );
        Brief {
            task: task.clone(),
            attempt: 1,
            branch: format!("ops/review-{}", task.id),
            text,
        }
    }
}

/// The reviewer's verdict line: the last non-empty line of its answer.
pub fn approves(answer: &str) -> bool {
    answer
        .lines()
        .map(|l| l.trim().trim_matches('`').trim())
        .rfind(|l| !l.is_empty())
        .is_some_and(|l| l == APPROVE)
}

#[async_trait]
impl QualityGate for ReviewGate {
    fn name(&self) -> &str {
        "review"
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        if self.policy == ReviewPolicy::SensitiveOnly && !task.needs_security_review() {
            return Ok(GateVerdict::pass(
                "no review needed: the task is not sensitive",
            ));
        }
        let diff = patch_of(self.name(), &self.base, task, work).await?;
        let brief = Self::brief(task, work, &diff);
        let agent = self.reviewer.dispatch(&brief).await?;
        let outcome = match tokio::time::timeout(self.timeout, agent.wait()).await {
            Ok(o) => o,
            Err(_) => {
                let _ = agent.stop().await;
                return Ok(GateVerdict::fail(format!(
                    "the reviewer gave no verdict within {}s",
                    self.timeout.as_secs()
                )));
            }
        };
        let answer = redact(outcome.summary.trim());
        match outcome.status {
            AgentStatus::Succeeded if approves(&answer) => Ok(GateVerdict::pass(format!(
                "{} approved: {answer}",
                self.reviewer.name()
            ))),
            AgentStatus::Succeeded => Ok(GateVerdict::fail(format!(
                "the reviewer did not approve (an explicit `{APPROVE}` line is required): {answer}"
            ))),
            AgentStatus::Failed { reason } | AgentStatus::RateLimited { reason, .. } => Ok(GateVerdict::fail(format!(
                "the reviewer failed: {}",
                redact(&reason)
            ))),
            AgentStatus::Stopped => Ok(GateVerdict::fail(
                "the reviewer was stopped before a verdict",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::approves;

    #[test]
    fn only_a_final_explicit_approve_line_approves() {
        assert!(approves("Looks right.\nVERDICT: APPROVE"));
        assert!(approves("ok\n`VERDICT: APPROVE`\n\n"));
        for no in [
            "",
            "VERDICT: APPROVE\nActually, VERDICT: REJECT leaks a token",
            "I would APPROVE this",
            "VERDICT: APPROVED",
            "verdict: approve",
            "VERDICT: REJECT scope creep",
            "VERDICT: APPROVE with changes",
        ] {
            assert!(!approves(no), "{no:?}");
        }
    }
}

/// Stands in for the review gate when no reviewer runtime is configured: a task
/// that needs a security review fails (the rail holds), any other passes.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReviewer;

#[async_trait]
impl QualityGate for NoReviewer {
    fn name(&self) -> &str {
        "review"
    }

    async fn check(&self, task: &Task, _work: &WorkRef) -> Result<GateVerdict> {
        Ok(if task.needs_security_review() {
            GateVerdict::fail(
                "the task is sensitive and needs a security review, but no reviewer runtime is configured",
            )
        } else {
            GateVerdict::pass("no review needed: the task is not sensitive")
        })
    }
}
