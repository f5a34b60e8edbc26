//! The GSD planning source: each checkout's `.planning/` directory, as the GSD
//! ("Get Shit Done") workflow writes it.
//!
//! * [`state`]: `STATE.md` (frontmatter and body forms) names the current phase;
//! * [`roadmap`]: `ROADMAP.md` lists the phases and their checklists;
//! * [`handoff`]: `HANDOFF.json` is what a paused session left to resume.
//!
//! The current phase is the one STATE.md names, unless the roadmap shows it
//! done (then the first unfinished phase after it) or, for a phase the roadmap
//! does not list, STATE.md's status says it is complete (then `N+1` of `M`,
//! none after the last); without STATE.md, the
//! roadmap's first unfinished phase. The next phase is the roadmap's first
//! unfinished phase after the current one (without a roadmap: `N+1` when
//! STATE.md says `N of M` with `N < M`).
//!
//! Findings (a phase keeps its fingerprint when it moves from "next" to
//! "current", so the planner updates its task instead of replacing it):
//!
//! | kind             | priority | fingerprint parts                      | depends_on            |
//! |------------------|----------|----------------------------------------|-----------------------|
//! | `gsd_phase`      | P2       | `gsd, phase, alias, checkout, number`  |                       |
//! | `gsd_next_phase` | P3       | `gsd, phase, alias, checkout, number`  | the current phase's   |
//! | `gsd_handoff`    | P2       | `gsd, handoff, alias, checkout`        |                       |
//!
//! A checkout without `.planning/` gives no findings and no error; a file that
//! cannot be parsed is an error naming the file and line.
mod findings;
pub mod handoff;
mod phase;
mod planning;
pub mod roadmap;
pub mod state;

pub use findings::findings_of;
pub use phase::{PhaseNumber, PhaseText};
pub use planning::{CurrentPhase, Planning, read_planning};

use crate::checkouts::audit_checkouts;
use async_trait::async_trait;
use ops_core::model::{Finding, Project};
use ops_core::{IssueSource, Result};

/// A parse error at a 1-based line of a planning file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The line (0 when unknown).
    pub line: usize,
    /// What was wrong there.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, line: usize) -> Self {
        self.line = line;
        self
    }
}
/// Reads `.planning/` in every checkout of a project: see the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct GsdSource;

impl GsdSource {
    /// The source.
    pub fn new() -> Self {
        GsdSource
    }
}

#[async_trait]
impl IssueSource for GsdSource {
    fn name(&self) -> &str {
        "gsd"
    }

    async fn audit(&self, project: &Project) -> Result<Vec<Finding>> {
        let alias = project.alias.clone();
        audit_checkouts("gsd", project, move |path| {
            Ok(read_planning(path)?
                .map(|planning| findings_of(&alias, path, &planning))
                .unwrap_or_default())
        })
        .await
    }
}
