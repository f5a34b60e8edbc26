//! The four seams backends plug into. Each is an object-safe async trait; each
//! backend declares what it can do instead of failing at call time.

mod dispatcher;
mod gate;
mod shipper;
mod source;

pub use dispatcher::{
    AgentHandle, AgentOutcome, AgentStatus, Brief, Dispatcher, DispatcherCapabilities, ReviewOf,
};
pub use gate::{GateVerdict, PatchReader, QualityGate, WorkRef};
pub use shipper::{
    ChangeRef, ChecksState, FollowUp, MergeOutcome, PromoteOutcome, Shipper, ShipperCapabilities,
};
pub use source::IssueSource;
