//! What `.planning/` says as a whole: the current phase, the next one and the
//! progress, from STATE.md and ROADMAP.md together.

use super::ParseError;
use super::handoff::{Handoff, parse_handoff};
use super::phase::PhaseNumber;
use super::roadmap::{Item, Phase, parse_roadmap};
use super::state::{State, parse_state};
use ops_core::{Error, ErrorKind, Result};
use std::path::Path;

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
    /// `N/M plans` the roadmap writes for it.
    pub plans: Option<(u32, u32)>,
    /// It is the phase STATE.md names (so STATE.md's plan line is about it).
    pub named_by_state: bool,
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
    let text = match ops_core::files::read_text(path) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(None),
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
            plans: p.plans,
            named_by_state: false,
        };
        match named {
            Some(text) if self.state_says_complete() => {
                // "Plan: 3 of 3 (Phase 6 complete)": on to the next phase, if any.
                if let Some(next) = self.first_open_after(Some(&text.number)) {
                    return Some(from_roadmap(next, text.total.clone()));
                }
                if in_roadmap(&text.number).is_some()
                    || self.roadmap.iter().any(|p| p.number > text.number)
                {
                    return None;
                }
                let total = PhaseNumber::parse_prefix(text.total.as_deref()?)?.0;
                let next = text.number.next_whole().filter(|n| *n <= total)?;
                Some(CurrentPhase {
                    number: next,
                    name: None,
                    total: text.total.clone(),
                    items: Vec::new(),
                    plans: None,
                    named_by_state: false,
                })
            }
            Some(text) => match in_roadmap(&text.number) {
                Some(p) if p.is_done() => self
                    .first_open_after(Some(&p.number))
                    .map(|next| from_roadmap(next, text.total.clone())),
                found => Some(CurrentPhase {
                    number: text.number.clone(),
                    name: text
                        .name
                        .clone()
                        .or_else(|| found.and_then(|p| p.name.clone())),
                    total: text.total.clone(),
                    items: found.map(|p| p.items.clone()).unwrap_or_default(),
                    plans: found.and_then(|p| p.plans),
                    named_by_state: true,
                }),
            },
            None => self.first_open_after(None).map(|p| from_roadmap(p, None)),
        }
    }

    /// STATE.md says the phase it names is finished.
    fn state_says_complete(&self) -> bool {
        self.state.as_ref().is_some_and(State::says_phase_complete)
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
            .find(|p| after.is_none_or(|a| p.number > *a) && !p.is_done() && !p.is_backlog())
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
