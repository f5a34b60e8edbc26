//! The sources' cache on the board: small values a remote source keeps between
//! audits (a response's `ETag` and what it said), so an audit of an unchanged
//! world costs conditional requests instead of full ones.

use crate::error::Result;
use async_trait::async_trait;

/// Key → value storage that survives restarts when the board does. Keys are
/// namespaced by the source (`github:runs:owner/name:dev`). Values are opaque
/// text (JSON by convention). A lost entry only costs a full request.
#[async_trait]
pub trait SourceCache: Send + Sync + 'static {
    /// The value stored under `key`, if any.
    async fn cache_get(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` under `key`, replacing what was there.
    async fn cache_put(&self, key: &str, value: &str) -> Result<()>;
}
