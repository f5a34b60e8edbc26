//! A task's status and the one table of legal transitions between statuses.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for its blockers or for a free agent.
    Pending,
    /// An agent is working on it.
    InProgress,
    /// The agent finished; the gates are judging its work.
    Auditing,
    /// The gates passed; the change is being shipped.
    Shipping,
    /// Shipped, or found already done.
    Completed,
    /// Needs a human: attempts exhausted, or a blocker is blocked or failed.
    Blocked,
    /// A non-retryable error (a safety rail refused, a backend cannot do it).
    Failed,
    /// Removed from the plan.
    Deleted,
}

use TaskStatus::*;

/// Every legal move, written down once: `(from, [to...])`.
///
/// * `Pending → Completed` is the planner's "already done" (its finding vanished).
/// * `InProgress | Auditing | Shipping → Pending` is a retry (with failure context).
/// * `Auditing → InProgress` sends an audit failure back to the same running agent (team mode).
/// * `Blocked | Failed → Pending` is a human (or a recovered blocker) unblocking it.
pub const TRANSITIONS: &[(TaskStatus, &[TaskStatus])] = &[
    (Pending, &[InProgress, Completed, Blocked, Failed, Deleted]),
    (InProgress, &[Auditing, Pending, Blocked, Failed]),
    (Auditing, &[Shipping, InProgress, Pending, Blocked, Failed]),
    (Shipping, &[Completed, Pending, Blocked, Failed]),
    (Blocked, &[Pending, Completed, Deleted]),
    (Failed, &[Pending, Deleted]),
    (Completed, &[]),
    (Deleted, &[]),
];

impl TaskStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [TaskStatus; 8] = [
        Pending, InProgress, Auditing, Shipping, Completed, Blocked, Failed, Deleted,
    ];

    /// Whether the table allows moving from `self` to `to`.
    pub fn can_move_to(self, to: TaskStatus) -> bool {
        TRANSITIONS
            .iter()
            .find(|(from, _)| *from == self)
            .is_some_and(|(_, tos)| tos.contains(&to))
    }

    /// An agent, gate or shipper is working on it right now.
    pub fn is_in_flight(self) -> bool {
        matches!(self, InProgress | Auditing | Shipping)
    }

    /// A run stops once every task is in one of these.
    pub fn is_settled(self) -> bool {
        matches!(self, Completed | Deleted | Blocked | Failed)
    }

    /// Dependents may start once their blocker is here.
    pub fn satisfies_dependents(self) -> bool {
        matches!(self, Completed | Deleted)
    }

    /// Dependents cannot start while their blocker is here (until a human steps in).
    pub fn blocks_dependents(self) -> bool {
        matches!(self, Blocked | Failed)
    }

    /// The name used on the board and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Pending => "pending",
            InProgress => "in_progress",
            Auditing => "auditing",
            Shipping => "shipping",
            Completed => "completed",
            Blocked => "blocked",
            Failed => "failed",
            Deleted => "deleted",
        }
    }

    /// Parses the board/JSON name.
    pub fn parse(s: &str) -> Option<TaskStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_every_status_once() {
        for st in TaskStatus::ALL {
            assert_eq!(
                TRANSITIONS.iter().filter(|(f, _)| *f == st).count(),
                1,
                "{st}"
            );
        }
    }

    #[test]
    fn terminal_statuses_have_no_way_out() {
        for to in TaskStatus::ALL {
            assert!(!Completed.can_move_to(to));
            assert!(!Deleted.can_move_to(to));
        }
    }

    #[test]
    fn the_happy_path_is_legal_and_skipping_a_step_is_not() {
        let path = [Pending, InProgress, Auditing, Shipping, Completed];
        for w in path.windows(2) {
            assert!(w[0].can_move_to(w[1]), "{} -> {}", w[0], w[1]);
        }
        assert!(!Pending.can_move_to(Shipping));
        assert!(!InProgress.can_move_to(Completed));
        assert!(!Pending.can_move_to(Auditing));
    }

    #[test]
    fn names_round_trip() {
        for st in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(st.as_str()), Some(st));
            assert_eq!(
                serde_json::to_string(&st).ok(),
                Some(format!("\"{}\"", st.as_str()))
            );
        }
    }
}
