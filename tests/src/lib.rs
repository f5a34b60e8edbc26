//! Support for the end-to-end scenarios: scenarios live in `tests/`, helper
//! processes in `src/bin/`, and what both sides must agree on here.
//!
//! * [`dispatch_log`]: the file where worker processes record each agent they start.

pub mod dispatch_log;
