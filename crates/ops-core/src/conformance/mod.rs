//! Conformance suites: one per seam. Every backend runs its trait's suite against
//! itself (the in-memory fakes do too), so "implements the trait" means "behaves
//! like the trait says". Each suite panics with a message naming the broken rule.

mod board;
mod seams;

pub use board::board;
pub use seams::{DispatcherProbe, dispatcher, gate, shipper, source};
