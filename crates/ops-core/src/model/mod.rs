//! The domain model: projects, findings, tasks and the legal moves of a task's status.

mod finding;
mod project;
mod status;
mod task;
mod time;
mod worker;

pub use finding::{Finding, WAITING_FOR_A_PERSON, fingerprint};
pub use project::{LinearTeam, Project, SentryProject, ShipKind};
pub use status::{TRANSITIONS, TaskStatus};
pub(crate) use task::ownership_overlaps;
pub use task::{
    AgentSession, Attempt, AttemptOutcome, Lease, Mode, Priority, REVIEW_BRANCH_PREFIX,
    SECURITY_KEYWORDS, TASK_BRANCH_PREFIX, Task, TaskId, WorkerId,
};
pub use time::{Timestamp, age_text};
