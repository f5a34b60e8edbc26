//! "Ready to merge?" as one pure function of what the forge reports.

/// What the checks on the exact head commit add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckRollup {
    /// Every check (check runs and commit statuses) reported success.
    Green,
    /// Something is still queued or running.
    Pending,
    /// Something failed, errored, was cancelled or timed out.
    Red,
    /// A required check has not reported on this commit (counts as pending).
    Missing,
}

/// The pull request's review decision (GraphQL `reviewDecision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewDecision {
    /// Approved by the required reviewers.
    Approved,
    /// Reviews are required and not given yet.
    ReviewRequired,
    /// A reviewer asked for changes.
    ChangesRequested,
    /// The repository requires no review (`null`).
    NotRequired,
}

/// The forge's view of whether the change merges cleanly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mergeable {
    /// It merges cleanly.
    Clean,
    /// It conflicts with the base.
    Conflicting,
    /// Not computed yet (`mergeable: null`): ask again.
    Unknown,
}

/// What to do with a change now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Merge it (pinned to the head the checks ran on).
    Merge,
    /// Ask again later: something can still change by itself.
    Wait(String),
    /// It will not become mergeable without someone acting (the agent or a human).
    Blocked(String),
}

impl CheckRollup {
    /// Every value, for exhaustive tests.
    pub const ALL: [CheckRollup; 4] = [Self::Green, Self::Pending, Self::Red, Self::Missing];
}

impl ReviewDecision {
    /// Every value, for exhaustive tests.
    pub const ALL: [ReviewDecision; 4] = [
        Self::Approved,
        Self::ReviewRequired,
        Self::ChangesRequested,
        Self::NotRequired,
    ];
}

impl Mergeable {
    /// Every value, for exhaustive tests.
    pub const ALL: [Mergeable; 3] = [Self::Clean, Self::Conflicting, Self::Unknown];
}

/// Decides whether a change may be merged now. Blocking reasons win over waiting
/// ones (a red check is reported even while another check still runs); only green
/// checks, a clean merge, no draft and an approved-or-not-required review merge.
pub fn ready_to_merge(
    checks: CheckRollup,
    review: ReviewDecision,
    mergeable: Mergeable,
    draft: bool,
) -> Decision {
    let mut blocked = Vec::new();
    if checks == CheckRollup::Red {
        blocked.push("a check failed on the head commit");
    }
    if mergeable == Mergeable::Conflicting {
        blocked.push("the change conflicts with its base branch");
    }
    if review == ReviewDecision::ChangesRequested {
        blocked.push("a reviewer requested changes");
    }
    if draft {
        blocked.push("the pull request is a draft");
    }
    if !blocked.is_empty() {
        return Decision::Blocked(blocked.join("; "));
    }
    let mut waiting = Vec::new();
    match checks {
        CheckRollup::Pending => waiting.push("checks are still running"),
        CheckRollup::Missing => waiting.push("a required check has not reported yet"),
        CheckRollup::Green | CheckRollup::Red => {}
    }
    if mergeable == Mergeable::Unknown {
        waiting.push("mergeability is still being computed");
    }
    if review == ReviewDecision::ReviewRequired {
        waiting.push("a required review is missing");
    }
    if waiting.is_empty() {
        Decision::Merge
    } else {
        Decision::Wait(waiting.join("; "))
    }
}
