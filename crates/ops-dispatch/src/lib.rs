//! Worktrees and agent runtimes (Dispatcher backends). Not built yet: see the "Dispatch" issue.
