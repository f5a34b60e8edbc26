//! `Timeout`: every call of the wrapped gate or shipper ends within a limit.

use async_trait::async_trait;
use ops_core::model::Task;
use ops_core::seams::{
    ChangeRef, ChecksState, FollowUp, GateVerdict, MergeOutcome, PromoteOutcome, QualityGate,
    Shipper, ShipperCapabilities, WorkRef,
};
use ops_core::{Error, ErrorKind, Result};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Bounds each call of `inner` by `limit`. A gate that runs out fails its verdict;
/// a shipper call that runs out is a retryable error (the call is idempotent).
pub struct Timeout<S: ?Sized> {
    inner: Arc<S>,
    limit: Duration,
}

impl<S: ?Sized> Timeout<S> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<S>, limit: Duration) -> Self {
        Timeout { inner, limit }
    }

    async fn bound<T>(
        &self,
        backend: &str,
        op: &str,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(self.limit, fut)
            .await
            .unwrap_or_else(|_| {
                Err(Error::backend(
                    backend,
                    op,
                    ErrorKind::Retryable,
                    format!("no answer within {}s", self.limit.as_secs_f64()),
                ))
            })
    }
}

#[async_trait]
impl<S: QualityGate + ?Sized> QualityGate for Timeout<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        match tokio::time::timeout(self.limit, self.inner.check(task, work)).await {
            Ok(v) => v,
            Err(_) => Ok(GateVerdict::fail(format!(
                "the {} gate did not finish within {}s",
                self.inner.name(),
                self.limit.as_secs_f64()
            ))),
        }
    }
}

#[async_trait]
impl<S: Shipper + ?Sized> Shipper for Timeout<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> ShipperCapabilities {
        self.inner.capabilities()
    }

    async fn open_change(&self, task: &Task, work: &WorkRef) -> Result<ChangeRef> {
        self.bound(
            self.inner.name(),
            "open the change",
            self.inner.open_change(task, work),
        )
        .await
    }

    async fn checks(&self, change: &ChangeRef) -> Result<ChecksState> {
        self.bound(self.inner.name(), "read checks", self.inner.checks(change))
            .await
    }

    async fn merge(&self, change: &ChangeRef) -> Result<MergeOutcome> {
        self.bound(self.inner.name(), "merge", self.inner.merge(change))
            .await
    }

    async fn promote(&self, project: &str, repo: &str) -> Result<PromoteOutcome> {
        self.bound(
            self.inner.name(),
            "promote",
            self.inner.promote(project, repo),
        )
        .await
    }

    async fn verify(&self, task: &Task, merged: &str) -> Result<Vec<FollowUp>> {
        self.bound(
            self.inner.name(),
            "verify the merge",
            self.inner.verify(task, merged),
        )
        .await
    }
}
