//! In-memory fakes of every seam, for tests and for embedding examples. Each one
//! passes its trait's [`crate::conformance`] suite and records what it was asked.

mod dispatcher;
mod gate;
mod shipper;
mod source;

pub use dispatcher::{FakeAgent, FakeDispatcher, FakeLog};
pub use gate::{FakeGate, FakePatch};
pub use shipper::FakeShipper;
pub use source::FakeSource;
