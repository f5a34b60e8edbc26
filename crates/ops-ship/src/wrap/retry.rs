//! `Retry`: calls that fail with a retryable error are repeated with backoff.

use async_trait::async_trait;
use ops_core::model::Task;
use ops_core::seams::{
    ChangeRef, ChecksState, FollowUp, GateVerdict, MergeOutcome, PromoteOutcome, QualityGate,
    Shipper, ShipperCapabilities, WorkRef,
};
use ops_core::{ErrorKind, Result};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Calls in all, the first included (default 4).
    pub attempts: u32,
    /// First pause, doubled after each failure (default 2 s).
    pub backoff: Duration,
    /// Longest pause (default 1 min).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// Repeats calls of `inner` that fail with [`ErrorKind::Retryable`], after the
/// backoff or the wait the error asks for ([`ops_core::Error::retry_after`]),
/// whichever is longer; any other
/// error, or the last attempt's, is returned as it is. Safe for every `Shipper`
/// call because each one is idempotent (a merge is pinned and detects an earlier one).
pub struct Retry<S: ?Sized> {
    inner: Arc<S>,
    policy: RetryPolicy,
}

impl<S: ?Sized> Retry<S> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<S>, policy: RetryPolicy) -> Self {
        Retry { inner, policy }
    }

    async fn run<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        let mut pause = self.policy.backoff;
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if e.kind() == ErrorKind::Retryable && attempt < self.policy.attempts => {
                    // A backend that said how long to wait (retry-after) is waited for.
                    tokio::time::sleep(e.retry_after().map_or(pause, |w| w.max(pause))).await;
                    pause = (pause * 2).min(self.policy.max_backoff);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[async_trait]
impl<S: QualityGate + ?Sized> QualityGate for Retry<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        self.run(|| self.inner.check(task, work)).await
    }
}

#[async_trait]
impl<S: Shipper + ?Sized> Shipper for Retry<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> ShipperCapabilities {
        self.inner.capabilities()
    }

    async fn open_change(&self, task: &Task, work: &WorkRef) -> Result<ChangeRef> {
        self.run(|| self.inner.open_change(task, work)).await
    }

    async fn checks(&self, change: &ChangeRef) -> Result<ChecksState> {
        self.run(|| self.inner.checks(change)).await
    }

    async fn merge(&self, change: &ChangeRef) -> Result<MergeOutcome> {
        self.run(|| self.inner.merge(change)).await
    }

    async fn promote(&self, project: &str, repo: &str) -> Result<PromoteOutcome> {
        self.run(|| self.inner.promote(project, repo)).await
    }

    async fn verify(&self, task: &Task, merged: &str) -> Result<Vec<FollowUp>> {
        self.run(|| self.inner.verify(task, merged)).await
    }
}
