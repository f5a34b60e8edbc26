//! The security review: once every gate passed, a task that needs it — tagged
//! sensitive ([`Task::needs_security_review`]) or named by a gate
//! ([`GateVerdict::requiring_review`](crate::seams::GateVerdict::requiring_review))
//! — is read by a separate reviewer agent: its own brief (the task, the diff, what
//! to look for), its own process, its own throwaway worktree and branch on the
//! task's head ([`Brief::review`]), removed with its branch when it ends.
//!
//! The reviewer's answer must carry a verdict line ([`read_verdict`]):
//!
//! ```text
//! VERDICT: APPROVE
//! ```
//! or
//! ```text
//! VERDICT: CHANGES REQUESTED
//! - src/auth.rs:12: the token is compared with `==`; use a constant-time comparison
//! ```
//!
//! Approve ships; changes requested goes back to the task's agent as the next
//! attempt (or as a message to the same running team agent); anything else — no
//! verdict line, an unknown or conflicting one, a failed, stopped or timed-out
//! reviewer — blocks the task with the reason after this one review, without using
//! up its attempts.

use crate::model::Task;
use crate::seams::{AgentStatus, Brief, Dispatcher, PatchReader, ReviewOf, WorkRef};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// The gate name review verdicts are reported under (`gate_judged`, attempts).
pub const REVIEW_GATE: &str = "security-review";

/// The verdict line that approves.
pub const APPROVE: &str = "VERDICT: APPROVE";

/// The verdict line that asks for changes; the findings follow it.
pub const CHANGES_REQUESTED: &str = "VERDICT: CHANGES REQUESTED";

/// The most diff text a review brief carries.
const MAX_DIFF: usize = 60_000;

/// The reviewer runtime and where the diffs come from.
#[derive(Clone)]
pub struct SecurityReview {
    reviewer: Arc<dyn Dispatcher>,
    patches: Arc<dyn PatchReader>,
    timeout: Duration,
}

impl std::fmt::Debug for SecurityReview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityReview")
            .field("reviewer", &self.reviewer.name())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What the reviewer decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewVerdict {
    /// `VERDICT: APPROVE`: the work may ship.
    Approved {
        /// The reviewer's answer.
        answer: String,
    },
    /// `VERDICT: CHANGES REQUESTED`: the findings go back to the task's agent.
    ChangesRequested {
        /// What to fix, as the reviewer wrote it.
        findings: String,
    },
    /// No usable verdict: the task is blocked with this reason.
    NoVerdict {
        /// Why there is none.
        reason: String,
    },
}

/// One review's verdict and what the reviewer reported spending.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reviewed {
    pub verdict: ReviewVerdict,
    pub cost_usd: Option<f64>,
}

impl SecurityReview {
    /// Reviews by agents of `reviewer`, shown diffs read by `patches`; a review
    /// without a verdict after 20 minutes is stopped (see [`Self::with_timeout`]).
    pub fn new(reviewer: Arc<dyn Dispatcher>, patches: Arc<dyn PatchReader>) -> Self {
        SecurityReview {
            reviewer,
            patches,
            timeout: Duration::from_secs(20 * 60),
        }
    }

    /// Stops a reviewer that has no verdict after `timeout` (no verdict).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs one review of `work` (attempt `attempt` of `task`), for `reasons`.
    pub(crate) async fn run(
        &self,
        task: &Task,
        work: &WorkRef,
        attempt: u32,
        reasons: &[String],
    ) -> Reviewed {
        let unreviewed = |reason: String| Reviewed {
            verdict: ReviewVerdict::NoVerdict { reason },
            cost_usd: None,
        };
        let diff = match self.patches.patch(task, work).await {
            Ok(d) => d,
            Err(e) => {
                return unreviewed(format!("the diff for the reviewer could not be read: {e}"));
            }
        };
        let brief = review_brief(task, work, attempt, reasons, &diff);
        let agent = match self.reviewer.dispatch(&brief).await {
            Ok(a) => a,
            Err(e) => return unreviewed(format!("the reviewer could not be started: {e}")),
        };
        let Ok(outcome) = tokio::time::timeout(self.timeout, agent.wait()).await else {
            let _ = agent.stop().await;
            // Wait for the stopped reviewer's end: its worktree goes with it.
            let _ = tokio::time::timeout(Duration::from_secs(30), agent.wait()).await;
            return unreviewed(format!(
                "the reviewer gave no verdict within {}s",
                self.timeout.as_secs()
            ));
        };
        let verdict = match &outcome.status {
            AgentStatus::Succeeded => read_verdict(&outcome.summary),
            AgentStatus::Failed { reason } => ReviewVerdict::NoVerdict {
                reason: format!("the reviewer failed: {reason}"),
            },
            AgentStatus::Stopped => ReviewVerdict::NoVerdict {
                reason: "the reviewer was stopped before a verdict".into(),
            },
            AgentStatus::RateLimited { reason, .. } => ReviewVerdict::NoVerdict {
                reason: format!("the reviewer's runtime hit a rate or usage limit: {reason}"),
            },
        };
        Reviewed {
            verdict,
            cost_usd: outcome.cost_usd,
        }
    }
}

/// The branch a review of `task` works on (never shipped, removed after the review).
pub fn review_branch(task: &Task) -> String {
    format!("{}{}", crate::model::REVIEW_BRANCH_PREFIX, task.id)
}

/// The brief of the review of `work`: what the task asked, why it is reviewed, the
/// diff, what to look for and the verdict format.
pub fn review_brief(
    task: &Task,
    work: &WorkRef,
    attempt: u32,
    reasons: &[String],
    diff: &str,
) -> Brief {
    let mut diff = diff.to_string();
    if diff.len() > MAX_DIFF {
        let mut end = MAX_DIFF;
        while !diff.is_char_boundary(end) {
            end -= 1;
        }
        diff.truncate(end);
        diff.push_str("\n[diff truncated: read the rest with git in your worktree]\n");
    }
    let mut text = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        text,
        "# Security review of task {}: {}\n\n\
         You are the security reviewer, not the author. Your working directory is a \
         throwaway checkout of the author's branch `{}` (attempt {attempt}): read any file, \
         run read-only commands, change nothing — nothing you change is kept.",
        task.id, task.title, work.branch
    );
    let _ = writeln!(text, "\n## Why this change is reviewed");
    for r in reasons {
        let _ = writeln!(text, "- {r}");
    }
    if !task.description.is_empty() {
        let _ = writeln!(text, "\n## What the task asked\n{}", task.description);
    }
    if !task.acceptance_criteria.is_empty() {
        let _ = writeln!(text, "\n## Acceptance criteria");
        for c in &task.acceptance_criteria {
            let _ = writeln!(text, "- {c}");
        }
    }
    if !work.summary.is_empty() {
        let _ = writeln!(text, "\n## The author's summary\n{}", work.summary);
    }
    let _ = writeln!(
        text,
        "\n## The diff (what branch `{}` adds)\n```diff\n{diff}\n```",
        work.branch
    );
    let _ = writeln!(
        text,
        "\n## What to look for\n\
         - secrets, tokens, keys or credentials added anywhere (code, tests, fixtures, logs)\n\
         - authentication or authorization bypassed, weakened or missing\n\
         - injection: SQL, shell, path traversal, templates; unsafe deserialization\n\
         - personal or payment data logged, leaked in errors or sent elsewhere\n\
         - weakened crypto, disabled TLS verification, insecure defaults\n\
         - CI workflows, quality gates or ops configuration changed to let unchecked code through\n\
         - anything the task did not ask for"
    );
    let _ = writeln!(
        text,
        "\n## Your verdict\n\
         End your answer with your verdict on a line of its own, in exactly one of two forms.\n\
         To approve:\n\n{APPROVE}\n\n\
         To ask for changes, followed by one finding per line (file and line, what is wrong, what to change):\n\n\
         {CHANGES_REQUESTED}\n- <file>:<line>: <what is wrong>; <what to change>\n\n\
         An answer without a verdict line blocks the task."
    );
    let mut reviewed = task.clone();
    // A one-shot agent: the review is one turn, whatever the task's own mode.
    reviewed.mode = crate::model::Mode::Subagent;
    Brief {
        task: reviewed,
        attempt,
        branch: review_branch(task),
        text,
        review: Some(ReviewOf {
            head: work.branch.clone(),
        }),
        resume: None,
    }
}

/// What a verdict line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    Approve,
    Changes,
}

/// The verdict in a reviewer's answer. A verdict line is a line that starts with
/// `VERDICT:` (case ignored, also inside markdown emphasis, code or a quote);
/// `APPROVE`/`APPROVED` approves, `CHANGES REQUESTED` (also `REQUEST CHANGES`,
/// `CHANGES_REQUESTED`, `REJECT`) asks for changes: the findings are the rest of
/// that line and the lines after it (else the text before it). No verdict line,
/// an unknown verdict, approve and changes both, or changes without any finding
/// is no verdict.
pub fn read_verdict(answer: &str) -> ReviewVerdict {
    let lines: Vec<&str> = answer.lines().collect();
    let mut said: Vec<(usize, Said, String)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let bare = line
            .trim()
            .trim_start_matches(['>', '#', '*', '_', '`', ' '])
            .trim();
        if !bare
            .get(..8)
            .is_some_and(|h| h.eq_ignore_ascii_case("verdict:"))
        {
            continue;
        }
        let rest = bare[8..].trim();
        match classify(rest) {
            Some((s, tail)) => said.push((i, s, tail)),
            None => {
                return ReviewVerdict::NoVerdict {
                    reason: format!(
                        "the reviewer's verdict line `{}` is neither `{APPROVE}` nor `{CHANGES_REQUESTED}`",
                        line.trim()
                    ),
                };
            }
        }
    }
    let Some((first, kind, _)) = said.first().cloned() else {
        return ReviewVerdict::NoVerdict {
            reason: format!(
                "the reviewer's answer has no verdict line (`{APPROVE}` or `{CHANGES_REQUESTED}`): {}",
                shortened(answer)
            ),
        };
    };
    if said.iter().any(|(_, s, _)| *s != kind) {
        return ReviewVerdict::NoVerdict {
            reason: format!(
                "the reviewer's answer both approves and requests changes: {}",
                shortened(answer)
            ),
        };
    }
    match kind {
        Said::Approve => ReviewVerdict::Approved {
            answer: answer.trim().to_string(),
        },
        Said::Changes => {
            let (_, _, tail) = &said[0];
            let after = lines[first + 1..].join("\n");
            let mut findings = [tail.as_str(), after.trim()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("\n");
            if findings.is_empty() {
                findings = lines[..first].join("\n").trim().to_string();
            }
            if findings.is_empty() {
                ReviewVerdict::NoVerdict {
                    reason: "the reviewer requested changes but named no finding".into(),
                }
            } else {
                ReviewVerdict::ChangesRequested { findings }
            }
        }
    }
}

/// The verdict a verdict line's text names, and what follows it on the line.
fn classify(rest: &str) -> Option<(Said, String)> {
    let words: String = rest
        .chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                c.to_ascii_uppercase()
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = words.split_whitespace().collect();
    let (said, used) = match words.as_slice() {
        ["APPROVE" | "APPROVED", ..] => (Said::Approve, 1),
        ["CHANGES", "REQUESTED", ..] | ["REQUEST", "CHANGES", ..] => (Said::Changes, 2),
        ["REJECT" | "REJECTED", ..] => (Said::Changes, 1),
        _ => return None,
    };
    // What follows the verdict words on the line: findings for changes; anything
    // after an approval makes it conditional, which is no approval.
    let mut tail = rest;
    for _ in 0..used {
        tail = tail
            .trim_start_matches(|c: char| !c.is_ascii_alphabetic())
            .trim_start_matches(|c: char| c.is_ascii_alphabetic());
    }
    let tail = tail
        .trim_start_matches(['*', '`', '_'])
        .trim_start_matches([':', '-', '—', ' ', '.'])
        .trim_end_matches(['*', '`', '_'])
        .trim()
        .to_string();
    match said {
        Said::Approve if !tail.is_empty() => None,
        _ => Some((said, tail)),
    }
}

/// At most 300 characters of `text`, for a reason.
fn shortened(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() {
        return "(it said nothing)".into();
    }
    let cut: String = t.chars().take(300).collect();
    if cut.len() < t.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::{ReviewVerdict, read_verdict};

    fn approved(answer: &str) -> bool {
        matches!(read_verdict(answer), ReviewVerdict::Approved { .. })
    }

    fn findings(answer: &str) -> Option<String> {
        match read_verdict(answer) {
            ReviewVerdict::ChangesRequested { findings } => Some(findings),
            _ => None,
        }
    }

    #[test]
    fn an_approve_line_approves_also_in_markdown_and_any_case() {
        for yes in [
            "Looks right.\nVERDICT: APPROVE",
            "ok\n`VERDICT: APPROVE`\n\n",
            "**Verdict: approved**",
            "> verdict: APPROVE.",
            "VERDICT: APPROVE\nThanks for the clean change.",
        ] {
            assert!(approved(yes), "{yes:?}");
        }
    }

    #[test]
    fn changes_requested_carries_the_findings_after_the_line_or_on_it() {
        assert_eq!(
            findings(
                "Read it.\nVERDICT: CHANGES REQUESTED\n- a.rs:3: token logged\n- b.rs:9: no auth check\n"
            ),
            Some("- a.rs:3: token logged\n- b.rs:9: no auth check".into())
        );
        assert_eq!(
            findings("VERDICT: CHANGES REQUESTED: the token is compared with =="),
            Some("the token is compared with ==".into())
        );
        assert_eq!(
            findings("The check is skipped for admins.\n**VERDICT: REQUEST CHANGES**"),
            Some("The check is skipped for admins.".into()),
            "no finding after the line: the text before it"
        );
        assert_eq!(
            findings("VERDICT: REJECT auth bypass"),
            Some("auth bypass".into())
        );
    }

    #[test]
    fn no_line_an_unknown_or_conditional_verdict_and_conflicts_are_no_verdict() {
        for no in [
            "",
            "I would approve this.",
            "Looks fine to me. APPROVE",
            "VERDICT: APPROVE\nActually, on reflection:\nVERDICT: CHANGES REQUESTED\n- leaks a token",
            "VERDICT: MAYBE",
            "VERDICT: APPROVE with changes",
            "VERDICT: CHANGES REQUESTED",
            "The verdict: approve is what I'd say",
        ] {
            assert!(
                matches!(read_verdict(no), ReviewVerdict::NoVerdict { .. }),
                "{no:?} gave {:?}",
                read_verdict(no)
            );
        }
    }

    #[test]
    fn a_verdict_mentioned_inside_a_sentence_is_not_a_verdict_line() {
        let answer = "I was asked to end with VERDICT: APPROVE or VERDICT: CHANGES REQUESTED.\nVERDICT: CHANGES REQUESTED\n- x";
        assert_eq!(findings(answer), Some("- x".into()));
    }
}
