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

pub mod handoff;
mod phase;
pub mod roadmap;
pub mod state;

pub use phase::{PhaseNumber, PhaseText};

use crate::checkouts::audit_checkouts;
use async_trait::async_trait;
use handoff::{Handoff, parse_handoff};
use ops_core::model::{Finding, Priority, Project, fingerprint};
use ops_core::{Error, ErrorKind, IssueSource, Result};
use roadmap::{Item, Phase, parse_roadmap};
use state::{State, parse_state};
use std::fmt::Write as _;
use std::path::Path;

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

/// Everything `.planning/` holds that the source reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Planning {
    /// STATE.md, if present.
    pub state: Option<State>,
    /// ROADMAP.md's phases, sorted (empty without a roadmap).
    pub roadmap: Vec<Phase>,
    /// HANDOFF.json, if present.
    pub handoff: Option<Handoff>,
}

/// The current phase as the source understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentPhase {
    /// Its number.
    pub number: PhaseNumber,
    /// Its name, from STATE.md or the roadmap.
    pub name: Option<String>,
    /// How many phases there are, when STATE.md says.
    pub total: Option<String>,
    /// Its checklist in the roadmap.
    pub items: Vec<Item>,
}

/// Reads `<checkout>/.planning/`; `Ok(None)` when there is no such directory.
/// Errors name the file (and line, for parse errors).
pub fn read_planning(checkout: &Path) -> Result<Option<Planning>> {
    let dir = checkout.join(".planning");
    if !dir.is_dir() {
        return Ok(None);
    }
    Ok(Some(Planning {
        state: read_file(&dir.join("STATE.md"), parse_state)?,
        roadmap: read_file(&dir.join("ROADMAP.md"), parse_roadmap)?.unwrap_or_default(),
        handoff: read_file(&dir.join("HANDOFF.json"), parse_handoff)?,
    }))
}

fn read_file<T>(path: &Path, parse: fn(&str) -> Result<T, ParseError>) -> Result<Option<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(invalid(format!("{}: cannot read: {e}", path.display()))),
    };
    parse(&text).map(Some).map_err(|e| {
        invalid(format!(
            "{}: line {}: {}",
            path.display(),
            e.line,
            e.message
        ))
    })
}

fn invalid(message: String) -> Error {
    Error::backend("gsd", "audit", ErrorKind::Invalid, message)
}

impl Planning {
    /// The phase being worked on, if any is unfinished.
    pub fn current_phase(&self) -> Option<CurrentPhase> {
        let named = self.state.as_ref().and_then(|s| s.phase.as_ref());
        let in_roadmap = |n: &PhaseNumber| self.roadmap.iter().find(|p| &p.number == n);
        let from_roadmap = |p: &Phase, total: Option<String>| CurrentPhase {
            number: p.number.clone(),
            name: p.name.clone(),
            total,
            items: p.items.clone(),
        };
        match named {
            Some(text) => match in_roadmap(&text.number) {
                Some(p) if p.is_done() => self
                    .first_open_after(Some(&p.number))
                    .map(|next| from_roadmap(next, text.total.clone())),
                None if self.state_says_complete() => {
                    // "Phase: 14 of 17 … Status: Phase 14 complete": on to 15.
                    let total = PhaseNumber::parse_prefix(text.total.as_deref()?)?.0;
                    let next = text.number.next_whole().filter(|n| *n <= total)?;
                    Some(CurrentPhase {
                        number: next,
                        name: None,
                        total: text.total.clone(),
                        items: Vec::new(),
                    })
                }
                found => Some(CurrentPhase {
                    number: text.number.clone(),
                    name: text
                        .name
                        .clone()
                        .or_else(|| found.and_then(|p| p.name.clone())),
                    total: text.total.clone(),
                    items: found.map(|p| p.items.clone()).unwrap_or_default(),
                }),
            },
            None => self.first_open_after(None).map(|p| from_roadmap(p, None)),
        }
    }

    /// STATE.md's status says the named phase is complete.
    fn state_says_complete(&self) -> bool {
        let status = self
            .state
            .as_ref()
            .and_then(|s| s.status.as_deref())
            .unwrap_or_default()
            .to_lowercase();
        status.contains("complete") && !status.contains("incomplete")
    }

    /// The phase after `current`: `(number, name)`.
    pub fn next_phase(&self, current: &CurrentPhase) -> Option<(PhaseNumber, Option<String>)> {
        if !self.roadmap.is_empty() {
            return self
                .first_open_after(Some(&current.number))
                .map(|p| (p.number.clone(), p.name.clone()));
        }
        let total = current
            .total
            .as_deref()
            .and_then(PhaseNumber::parse_prefix)?
            .0;
        current
            .number
            .next_whole()
            .filter(|next| *next <= total)
            .map(|next| (next, None))
    }

    fn first_open_after(&self, after: Option<&PhaseNumber>) -> Option<&Phase> {
        self.roadmap
            .iter()
            .find(|p| after.is_none_or(|a| p.number > *a) && !p.is_done())
    }

    /// Progress in words: phases and items done from the roadmap, else what
    /// STATE.md's frontmatter counts.
    pub fn progress(&self) -> Option<String> {
        if !self.roadmap.is_empty() {
            let done = self.roadmap.iter().filter(|p| p.is_done()).count();
            let items: Vec<&Item> = self.roadmap.iter().flat_map(|p| &p.items).collect();
            let ticked = items.iter().filter(|i| i.done).count();
            return Some(format!(
                "{done} of {} phases done, {ticked} of {} checklist items ticked",
                self.roadmap.len(),
                items.len()
            ));
        }
        let fm = &self.state.as_ref()?.frontmatter;
        let pair = |done: &str, total: &str| Some((fm.get(done)?, fm.get(total)?));
        let mut parts = Vec::new();
        if let Some((d, t)) = pair("progress.completed_phases", "progress.total_phases") {
            parts.push(format!("{d} of {t} phases done"));
        }
        if let Some((d, t)) = pair("progress.completed_plans", "progress.total_plans") {
            parts.push(format!("{d} of {t} plans done"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
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

/// The findings `planning`, read from `checkout`, gives for project `alias`.
pub fn findings_of(alias: &str, checkout: &Path, planning: &Planning) -> Vec<Finding> {
    let repo = checkout.display().to_string();
    let finding = |kind: &str, print: String, title: String, detail: String, priority| Finding {
        source: "gsd".to_owned(),
        kind: kind.to_owned(),
        project: alias.to_owned(),
        repo: repo.clone(),
        title,
        detail,
        priority,
        fingerprint: print,
        depends_on: Vec::new(),
        paths: Vec::new(),
    };
    let phase_print =
        |n: &PhaseNumber| fingerprint(&["gsd", "phase", alias, &repo, &n.to_string()]);
    let mut out = Vec::new();
    let progress = planning.progress();
    if let Some(current) = planning.current_phase() {
        let label = phase_label(
            &current.number,
            current.name.as_deref(),
            current.total.as_deref(),
        );
        let open: Vec<&Item> = current.items.iter().filter(|i| !i.done).collect();
        let mut title = label.clone();
        if !current.items.is_empty() {
            let _ = write!(
                title,
                " ({} of {} items done)",
                current.items.len() - open.len(),
                current.items.len()
            );
        }
        let mut detail = format!("checkout: {repo}\ncurrent phase: {label}\n");
        if let Some(status) = planning.state.as_ref().and_then(|s| s.status.as_ref()) {
            let _ = writeln!(detail, "status: {status}");
        }
        if let Some(p) = &progress {
            let _ = writeln!(detail, "progress: {p}");
        }
        if open.is_empty() {
            detail.push_str("unchecked items: none listed in ROADMAP.md\n");
        } else {
            detail.push_str("unchecked items:\n");
            for item in &open {
                let _ = writeln!(detail, "  - [ ] {}", item.text);
            }
        }
        let current_print = phase_print(&current.number);
        out.push(finding(
            "gsd_phase",
            current_print.clone(),
            title,
            detail,
            Priority::P2,
        ));
        if let Some((number, name)) = planning.next_phase(&current) {
            let next_label = phase_label(&number, name.as_deref(), None);
            let mut next = finding(
                "gsd_next_phase",
                phase_print(&number),
                format!("Next: {next_label}"),
                format!(
                    "checkout: {repo}\nnext phase: {next_label}\nstarts after: {label}\n{}",
                    progress
                        .as_deref()
                        .map(|p| format!("progress: {p}\n"))
                        .unwrap_or_default()
                ),
                Priority::P3,
            );
            next.depends_on.push(current_print);
            out.push(next);
        }
    }
    if let Some(handoff) = planning.handoff.as_ref().filter(|h| h.is_pending()) {
        out.push(finding(
            "gsd_handoff",
            fingerprint(&["gsd", "handoff", alias, &repo]),
            handoff_title(handoff),
            handoff_detail(&repo, handoff),
            Priority::P2,
        ));
    }
    out
}

fn phase_label(number: &PhaseNumber, name: Option<&str>, total: Option<&str>) -> String {
    let mut s = format!("Phase {number}");
    if let Some(total) = total {
        let _ = write!(s, " of {total}");
    }
    if let Some(name) = name {
        let _ = write!(s, ": {name}");
    }
    s
}

fn handoff_title(h: &Handoff) -> String {
    let place: Vec<String> = [("phase", &h.phase), ("plan", &h.plan), ("task", &h.task)]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
    if place.is_empty() {
        "Resume the paused GSD session".to_owned()
    } else {
        format!("Resume the paused GSD session ({})", place.join(", "))
    }
}

fn handoff_detail(repo: &str, h: &Handoff) -> String {
    let mut s = format!("checkout: {repo}\nhandoff: .planning/HANDOFF.json\n");
    let fields = [
        ("paused at", &h.paused_at),
        ("status", &h.status),
        ("branch", &h.branch),
        ("phase", &h.phase),
        ("plan", &h.plan),
        ("task", &h.task),
        ("where things stand", &h.summary),
        ("next action", &h.next_action),
    ];
    for (label, value) in fields {
        if let Some(v) = value {
            let _ = writeln!(s, "{label}: {v}");
        }
    }
    for (label, list) in [("remaining", &h.remaining), ("blockers", &h.blockers)] {
        if !list.is_empty() {
            let _ = writeln!(s, "{label}:");
            for entry in list {
                let _ = writeln!(s, "  - {entry}");
            }
        }
    }
    s
}
