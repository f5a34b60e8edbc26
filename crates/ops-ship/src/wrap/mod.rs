//! Cross-cutting behaviour as wrappers that implement the trait they wrap (tower's
//! way), so no backend grows its own `if retry ...`: [`Timeout`] bounds every call,
//! [`Retry`] repeats calls that failed with [`ops_core::ErrorKind::Retryable`].
//!
//! Rate limits: the GitHub client waits out `retry-after` and `x-ratelimit-*` itself
//! up to its `max_wait`; a longer wait comes back as a retryable error carrying
//! [`ops_core::Error::retry_after`], which [`Retry`] honours.

mod retry;
mod timeout;

pub use retry::{Retry, RetryPolicy};
pub use timeout::Timeout;
