//! The one error type of ops-core. Messages are lowercase and read after "failed to …".

use crate::model::{TaskId, TaskStatus};

/// What a caller can do about an error: the scheduler uses this to choose
/// between retrying, re-queueing and escalating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Transient: the same call may succeed later (network, busy database).
    Retryable,
    /// Someone else changed the thing first: re-read and decide again.
    Conflict,
    /// The input is wrong: retrying will not help.
    Invalid,
    /// The thing asked for does not exist.
    NotFound,
    /// The backend cannot do this at all (see its capabilities).
    Unsupported,
    /// Anything else: give up on this operation.
    Fatal,
    /// A safety rail stopped the work (an origin branch moved without ops, a change
    /// to the gate itself): the engine blocks the task with this error's message,
    /// ships nothing of it and spends no further attempt on it.
    Halt,
}

/// Errors of the engine, the board and the seams.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A status change that the transition table does not allow.
    #[error("move task {task} from {from} to {to}: that transition is not allowed")]
    IllegalTransition {
        /// The task.
        task: TaskId,
        /// Its current status.
        from: TaskStatus,
        /// The status that was asked for.
        to: TaskStatus,
    },
    /// A dependency that would close a cycle.
    #[error("add dependency: it would close the cycle {}", format_cycle(.cycle))]
    Cycle {
        /// The tasks on the cycle, in order; the first is repeated at the end.
        cycle: Vec<TaskId>,
    },
    /// A task id that is not on the board.
    #[error("find task {0}: no such task on the board")]
    UnknownTask(TaskId),
    /// A task id that is already on the board.
    #[error("add task {0}: a task with that id is already on the board")]
    DuplicateTask(TaskId),
    /// The task changed on the board since the caller read it.
    #[error(
        "save task {task}: it changed on the board (expected revision {expected}, found {found})"
    )]
    Conflict {
        /// The task.
        task: TaskId,
        /// The revision the caller read.
        expected: u64,
        /// The revision on the board.
        found: u64,
    },
    /// A dependency added to a task that has already started.
    #[error(
        "add a blocker to task {task}: it is already {status}; only pending or blocked tasks can gain blockers"
    )]
    AlreadyStarted {
        /// The task.
        task: TaskId,
        /// Its status.
        status: TaskStatus,
    },
    /// An engine setting that cannot work.
    #[error("use engine setting {field} = {value}: expected {expected}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A claim refused because an in-flight task owns overlapping paths.
    #[error(
        "start task {task}: task {holder} is in flight and owns overlapping paths in the same repository"
    )]
    OwnershipTaken {
        /// The task that was to start.
        task: TaskId,
        /// The in-flight task holding the paths.
        holder: TaskId,
    },
    /// A task id that is not well formed.
    #[error("use task id {value:?}: {reason}")]
    InvalidTaskId {
        /// The rejected value.
        value: String,
        /// What was expected.
        reason: &'static str,
    },
    /// A value on the board or in a file that could not be read.
    #[error("read {what}: {message}")]
    Corrupt {
        /// Where the bad value was.
        what: String,
        /// What was wrong with it.
        message: String,
    },
    /// A configuration file (registry, preferences, daemon health, todos...) that
    /// cannot be used as it is.
    #[error("read {}: {field}: {message}", path.display())]
    ConfigFile {
        /// The file.
        path: std::path::PathBuf,
        /// The field (`projects[2].paths`), or the line (`line 7`), at fault.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// No registry anywhere ops looks for one.
    #[error(
        "find the registry: none found; looked in {}. Pass --registry PATH, set OPS_REGISTRY, or run inside a git repository",
        looked.join(", ")
    )]
    RegistryNotFound {
        /// Every place looked, in order.
        looked: Vec<String>,
    },
    /// A project alias the registry does not know.
    #[error("use project {alias:?}: no such project; known projects: {}", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
    UnknownProject {
        /// The alias asked for.
        alias: String,
        /// The aliases the registry knows.
        known: Vec<String>,
    },
    /// The SQLite board failed.
    #[error("use the board at {path}: {source}")]
    Sqlite {
        /// The board file.
        path: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The board's schema is newer than this build understands.
    #[error(
        "open the board at {path}: its schema version {found} is newer than this ops ({supported}); upgrade ops"
    )]
    SchemaTooNew {
        /// The board file.
        path: String,
        /// The version on disk.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The board's worker thread is gone.
    #[error("reach the board: its writer thread has stopped")]
    BoardClosed,
    /// A backend (source, dispatcher, gate, shipper) failed.
    #[error("{operation} with {backend}: {message}")]
    Backend {
        /// Which backend.
        backend: String,
        /// What it was doing.
        operation: String,
        /// What went wrong (never contains a secret).
        message: String,
        /// What can be done about it.
        kind: ErrorKind,
        /// For a retryable error: how long the backend asked to wait (a
        /// `retry-after`, a rate-limit reset), which retry wrappers honour.
        retry_after: Option<std::time::Duration>,
    },
}

impl Error {
    /// Builds a backend error.
    pub fn backend(
        backend: impl Into<String>,
        operation: impl Into<String>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Error::Backend {
            backend: backend.into(),
            operation: operation.into(),
            message: message.into(),
            kind,
            retry_after: None,
        }
    }

    /// The same backend error, saying the backend asked to wait `wait` before a retry.
    pub fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        if let Error::Backend { retry_after, .. } = &mut self {
            *retry_after = Some(wait);
        }
        self
    }

    /// A backend error saying `message` about `operation` of `backend`, of the
    /// same kind as `self` and with the same wait before a retry: the way to put
    /// an error into context without losing what a caller does about it.
    pub fn restated(
        &self,
        backend: impl Into<String>,
        operation: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let out = Error::backend(backend, operation, self.kind(), message);
        match self.retry_after() {
            Some(wait) => out.with_retry_after(wait),
            None => out,
        }
    }

    /// How long the backend asked to wait before a retry, if it said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::Backend { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// What a caller can do about this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::IllegalTransition { .. }
            | Error::Cycle { .. }
            | Error::DuplicateTask(_)
            | Error::AlreadyStarted { .. }
            | Error::InvalidConfig { .. }
            | Error::InvalidTaskId { .. }
            | Error::Corrupt { .. }
            | Error::SchemaTooNew { .. }
            | Error::ConfigFile { .. } => ErrorKind::Invalid,
            Error::UnknownTask(_)
            | Error::RegistryNotFound { .. }
            | Error::UnknownProject { .. } => ErrorKind::NotFound,
            Error::Conflict { .. } | Error::OwnershipTaken { .. } => ErrorKind::Conflict,
            Error::Sqlite { source, .. } => match source.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                    ErrorKind::Retryable
                }
                _ => ErrorKind::Fatal,
            },
            Error::BoardClosed => ErrorKind::Fatal,
            Error::Backend { kind, .. } => *kind,
        }
    }
}

fn format_cycle(cycle: &[TaskId]) -> String {
    cycle
        .iter()
        .map(TaskId::as_str)
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
