//! Cross-cutting behaviour as wrappers that implement the trait they wrap (tower's
//! way), so no backend grows its own `if retry ...`: [`Timeout`] bounds every call,
//! [`Retry`] repeats calls that failed with [`ops_core::ErrorKind::Retryable`].
//!
//! Rate limits: the GitHub client honours `retry-after` and `x-ratelimit-*` itself,
//! because only it sees the headers; what reaches these wrappers is an error kind.

mod retry;
mod timeout;

pub use retry::{Retry, RetryPolicy};
pub use timeout::Timeout;
