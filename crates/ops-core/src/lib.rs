//! The ops engine, embeddable: `cargo add ops-core`.
//!
//! ops turns "audit every project, plan the work as a dependency graph, run agents
//! in parallel, audit what they did, ship it, loop" into deterministic, crash-safe
//! software. This crate holds everything that needs no network and no git CLI:
//!
//! * [`model`]: projects, findings and tasks, with the one table of legal status moves;
//! * [`graph`]: the task graph (cycles refused by name, waves, critical paths);
//! * [`board`]: the [`TaskStore`] where tasks live, in memory or in SQLite;
//! * [`seams`]: the traits backends implement: [`IssueSource`], [`Dispatcher`],
//!   [`QualityGate`], [`Shipper`];
//! * [`engine`]: the scheduler that drives each task dispatch → audit → ship,
//!   emitting an [`Event`] for every transition;
//! * [`fake`] and [`conformance`]: an in-memory fake of every seam, and the test
//!   suite every backend (and every fake) must pass.
//!
//! Libraries never print: the CLI renders the events.

pub mod audit;
pub mod board;
pub mod config;
pub mod conformance;
pub mod engine;
mod error;
pub mod event;
pub mod fake;
pub mod files;
pub mod graph;
pub mod model;
pub mod planner;
pub mod runtime_files;
pub mod seams;
pub mod secret;

pub use board::{MemoryBoard, SourceCache, SqliteBoard, TaskStore};
pub use engine::{Engine, EngineConfig, EngineHandle, RunReport};
pub use error::{Error, ErrorKind, Result};
pub use event::{Event, EventBus, HaltReason};
pub use graph::TaskGraph;
pub use seams::{Dispatcher, IssueSource, QualityGate, Shipper};
pub use secret::Secret;
