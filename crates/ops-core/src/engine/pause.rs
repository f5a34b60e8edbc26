//! Runtimes paused by a rate or usage limit: which, until when, and why.
//!
//! A limit is a state, not a failure: the attempt that hit it does not count, and
//! no agent of that runtime starts until the pause ends — at the reset time the
//! runtime gave, else after a backoff that doubles with each limit in a row (capped),
//! and starts over once an agent of that runtime ends without hitting one.
//! Other runtimes go on. The run loop asks [`Pauses::paused_until`] before
//! dispatching and sleeps until [`Pauses::next_end`].

use crate::model::{TaskId, Timestamp};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// One runtime's pause.
#[derive(Debug, Clone)]
struct Pause {
    /// When it ends, on the engine's clock (what the loop sleeps on).
    ends: Instant,
    /// When it ends, on the wall clock (what people are told).
    until: Timestamp,
}

/// The paused runtimes of a run.
#[derive(Debug, Default)]
pub(crate) struct Pauses {
    paused: Mutex<BTreeMap<String, Pause>>,
    /// Limits in a row per runtime, for the backoff.
    strikes: Mutex<BTreeMap<String, u32>>,
    /// Whether the pauses recorded on the board were taken up.
    restored: std::sync::atomic::AtomicBool,
}

/// The backoff after the `strikes`-th limit in a row without a reset time:
/// `base`, doubled for each earlier strike, at most `max`.
pub(crate) fn backoff(base: Duration, max: Duration, strikes: u32) -> Duration {
    let doublings = strikes.saturating_sub(1).min(20);
    base.saturating_mul(1u32 << doublings).min(max)
}

impl Pauses {
    /// Pauses `runtime` until `resets_at` (the runtime's own reset time, if it gave
    /// one and it lies ahead), else for the backoff; a pause already running longer
    /// is kept. Returns when the pause ends (wall clock).
    pub(crate) fn pause(
        &self,
        runtime: &str,
        resets_at: Option<Timestamp>,
        base: Duration,
        max: Duration,
    ) -> Timestamp {
        let strikes = {
            let mut s = lock(&self.strikes);
            let n = s.entry(runtime.to_string()).or_insert(0);
            *n = n.saturating_add(1);
            *n
        };
        let now = Timestamp::now();
        let wait = match resets_at.filter(|r| *r > now) {
            Some(reset) => reset.since(now),
            None => backoff(base, max, strikes),
        };
        let pause = Pause {
            ends: Instant::now() + wait,
            until: now.plus(wait),
        };
        let mut paused = lock(&self.paused);
        let kept = paused
            .entry(runtime.to_string())
            .and_modify(|p| {
                if pause.ends > p.ends {
                    *p = pause.clone();
                }
            })
            .or_insert(pause);
        kept.until
    }

    /// On the first call only: takes up the limits still running that earlier runs
    /// (or other workers) recorded on the board, so a new run waits for them too.
    /// `limits` gives them, `(task, runtime, until, reason)` each (see
    /// [`crate::model::Task::rate_limit`]), and is called on the first call only
    /// (every later one costs nothing). Returns the pauses taken up:
    /// `(runtime, task, until, reason)`.
    pub(crate) fn restore<'t, I: IntoIterator<Item = (&'t TaskId, &'t str, Timestamp, &'t str)>>(
        &self,
        limits: impl FnOnce() -> I,
    ) -> Vec<(&'t str, &'t TaskId, Timestamp, &'t str)> {
        if self
            .restored
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Vec::new();
        }
        let now = Timestamp::now();
        let mut paused = lock(&self.paused);
        let mut taken: Vec<(&str, &TaskId, Timestamp, &str)> = Vec::new();
        for (task, runtime, until, reason) in limits() {
            if until <= now {
                continue;
            }
            let pause = Pause {
                ends: Instant::now() + until.since(now),
                until,
            };
            let longer = paused.get(runtime).is_none_or(|p| pause.ends > p.ends);
            if longer {
                paused.insert(runtime.to_string(), pause);
                taken.retain(|(r, ..)| *r != runtime);
                taken.push((runtime, task, until, reason));
            }
        }
        taken
    }

    /// An agent of `runtime` ended without hitting a limit: the backoff starts over.
    pub(crate) fn cleared(&self, runtime: &str) {
        lock(&self.strikes).remove(runtime);
    }

    /// Until when `runtime` is paused, if it is now.
    pub(crate) fn paused_until(&self, runtime: &str) -> Option<Timestamp> {
        let now = Instant::now();
        lock(&self.paused)
            .get(runtime)
            .filter(|p| p.ends > now)
            .map(|p| p.until)
    }

    /// When the next pause ends, if any runtime is paused.
    pub(crate) fn next_end(&self) -> Option<Instant> {
        lock(&self.paused).values().map(|p| p.ends).min()
    }

    /// Forgets the pauses that have ended and names their runtimes.
    pub(crate) fn take_ended(&self) -> Vec<String> {
        let now = Instant::now();
        let mut paused = lock(&self.paused);
        let ended: Vec<String> = paused
            .iter()
            .filter(|(_, p)| p.ends <= now)
            .map(|(r, _)| r.clone())
            .collect();
        for r in &ended {
            paused.remove(r);
        }
        ended
    }
}

/// Resolves when the next pause ends; never while no runtime is paused.
pub(crate) async fn next_end(pauses: &Pauses) {
    match pauses.next_end() {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_per_limit_in_a_row_up_to_its_cap() {
        let s = Duration::from_secs;
        let got: Vec<u64> = (1..=6)
            .map(|n| backoff(s(30), s(300), n).as_secs())
            .collect();
        assert_eq!(got, [30, 60, 120, 240, 300, 300]);
        assert_eq!(backoff(s(30), s(300), u32::MAX), s(300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_runtime_is_paused_until_its_reset_time_and_others_are_not() {
        let p = Pauses::default();
        let reset = Timestamp::now().plus(Duration::from_secs(600));
        let base = Duration::from_secs(30);
        let until = p.pause("claude", Some(reset), base, base * 10);
        assert_eq!(until, reset);
        assert_eq!(p.paused_until("claude"), Some(reset));
        assert_eq!(p.paused_until("codex"), None);
        tokio::time::advance(Duration::from_secs(601)).await;
        assert_eq!(p.paused_until("claude"), None);
        assert_eq!(p.take_ended(), ["claude"]);
        assert!(p.next_end().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_reset_time_the_backoff_grows_until_an_agent_gets_through() {
        let p = Pauses::default();
        let (base, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        let wait = |p: &Pauses| {
            let now = Timestamp::now();
            p.pause("claude", None, base, max).since(now).as_secs()
        };
        assert_eq!(wait(&p), 30);
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(wait(&p), 60);
        p.cleared("claude");
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(wait(&p), 30, "the backoff starts over");
    }
}
