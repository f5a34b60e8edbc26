//! Liveness: an agent is active when its runtime emits a protocol event or when a
//! file in its worktree is written. Both move one [`Activity`] clock, which
//! `AgentHandle::last_activity` reads and the engine's stall rule acts on.

use notify::{EventKind, RecursiveMode, Watcher as _};
use std::path::{Component, Path};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// The last moment an agent showed activity.
#[derive(Debug)]
pub struct Activity(Mutex<Instant>);

impl Activity {
    /// Activity starting now.
    pub fn new() -> Arc<Self> {
        Arc::new(Activity(Mutex::new(Instant::now())))
    }

    /// Records activity now.
    pub fn touch(&self) {
        if let Ok(mut t) = self.0.lock() {
            *t = Instant::now();
        }
    }

    /// When activity was last seen.
    pub fn last(&self) -> Instant {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|e| *e.into_inner())
    }
}

/// Watches a worktree for writes while it lives; stops watching on drop.
pub struct WorktreeWatcher {
    _watcher: notify::RecommendedWatcher,
}

impl std::fmt::Debug for WorktreeWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorktreeWatcher")
    }
}

/// Whether a changed path is the agent's work (not git's bookkeeping).
fn counts(path: &Path) -> bool {
    !path
        .components()
        .any(|c| matches!(c, Component::Normal(n) if n == ".git"))
}

/// Touches `activity` on every create, modify or remove under `worktree`
/// (outside `.git`).
pub fn watch_worktree(worktree: &Path, activity: Arc<Activity>) -> notify::Result<WorktreeWatcher> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let write = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        );
        if write && event.paths.iter().any(|p| counts(p)) {
            activity.touch();
        }
    })?;
    watcher.watch(worktree, RecursiveMode::Recursive)?;
    Ok(WorktreeWatcher { _watcher: watcher })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_file_written_in_the_worktree_moves_activity() {
        let dir = tempfile::tempdir().expect("temp dir");
        let activity = Activity::new();
        let _w = watch_worktree(dir.path(), Arc::clone(&activity)).expect("watch");
        let before = activity.last();
        tokio::time::sleep(Duration::from_millis(50)).await;
        std::fs::write(dir.path().join("a.txt"), "x").expect("write");
        let deadline = Instant::now() + Duration::from_secs(5);
        while activity.last() == before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(activity.last() > before, "the write was seen as activity");
    }

    #[test]
    fn git_internals_do_not_count() {
        assert!(!counts(Path::new("/w/.git/index")));
        assert!(counts(Path::new("/w/src/.gitignore")));
    }
}
