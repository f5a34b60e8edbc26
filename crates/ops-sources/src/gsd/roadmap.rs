//! `.planning/ROADMAP.md`: the phases and their checklists.
//!
//! A phase is a heading at level 2 to 4 whose text starts with `Phase N`
//! (`## Phase 1: Setup`, `### Phase 2.1: Hotfix (INSERTED)`, `#### Phase 3 -
//! Polish`). Checklist items (`- [ ]`, `- [x]`, also `*` bullets and `[X]`) under
//! it, until the next phase heading or a heading at its level or above, are its
//! items. An overview checklist naming phases (`- [x] **Phase 1: Setup** - …`)
//! marks those phases done or not. Any other one-character box (`- [?]`)
//! is an error naming the line.

use super::ParseError;
use super::phase::{PhaseNumber, parse_phase_text, strip_prefix_ci};
use std::collections::BTreeMap;

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Ticked (`[x]`).
    pub done: bool,
    /// The item's text.
    pub text: String,
}

/// One phase of the roadmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// Its number.
    pub number: PhaseNumber,
    /// Its name, if the heading has one.
    pub name: Option<String>,
    /// The 1-based line of its heading.
    pub line: usize,
    /// The checklist under its heading.
    pub items: Vec<Item>,
    /// What an overview checklist says about it, if one names it.
    pub ticked_in_overview: Option<bool>,
}

impl Phase {
    /// Done: ticked in the overview, or else every item of a non-empty checklist ticked.
    pub fn is_done(&self) -> bool {
        self.ticked_in_overview
            .unwrap_or_else(|| !self.items.is_empty() && self.items.iter().all(|i| i.done))
    }

    /// `Phase 2.1: Hotfix` or `Phase 2.1`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("Phase {}: {name}", self.number),
            None => format!("Phase {}", self.number),
        }
    }
}

/// Parses ROADMAP.md's text into its phases, sorted by number.
pub fn parse_roadmap(text: &str) -> Result<Vec<Phase>, ParseError> {
    let mut phases: Vec<Phase> = Vec::new();
    let mut overview: BTreeMap<PhaseNumber, bool> = BTreeMap::new();
    // The phase whose checklist we are in, and its heading level.
    let mut open: Option<(usize, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if let Some((level, title)) = heading(line) {
            let phase = (2..=4)
                .contains(&level)
                .then(|| strip_prefix_ci(title, "phase "))
                .flatten()
                .and_then(parse_phase_text);
            match phase {
                Some(p) => {
                    phases.push(Phase {
                        number: p.number,
                        name: p.name,
                        line: line_no,
                        items: Vec::new(),
                        ticked_in_overview: None,
                    });
                    open = Some((phases.len() - 1, level));
                }
                None => {
                    if open.is_some_and(|(_, l)| level <= l) {
                        open = None;
                    }
                }
            }
            continue;
        }
        let Some(item) = checklist_item(line)
            .transpose()
            .map_err(|e| e.at(line_no))?
        else {
            continue;
        };
        match open {
            Some((idx, _)) => phases[idx].items.push(item),
            None => {
                let text = item.text.trim_start_matches('*');
                if let Some(p) = strip_prefix_ci(text, "phase ").and_then(parse_phase_text) {
                    overview.insert(p.number, item.done);
                }
            }
        }
    }
    for phase in &mut phases {
        phase.ticked_in_overview = overview.get(&phase.number).copied();
    }
    phases.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(phases)
}

/// `(level, text)` of a markdown heading line.
fn heading(line: &str) -> Option<(usize, &str)> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    let rest = &line[hashes..];
    (hashes > 0 && (rest.is_empty() || rest.starts_with(' '))).then(|| (hashes, rest.trim()))
}

/// A checklist item on `line`, `Ok(None)` when the line is not one.
fn checklist_item(line: &str) -> Option<Result<Item, ParseError>> {
    let s = line.trim_start();
    let s = s.strip_prefix("- ").or_else(|| s.strip_prefix("* "))?;
    let s = s.trim_start().strip_prefix('[')?;
    let (mark, text) = s.split_once(']')?;
    // `- [text](url)` is a link, not a box.
    if mark.chars().count() > 1 || text.starts_with('(') {
        return None;
    }
    let done = match mark {
        " " | "" => false,
        "x" | "X" => true,
        other => {
            return Some(Err(ParseError::new(
                0,
                format!("checklist box [{other}] is neither `[ ]` nor `[x]`"),
            )));
        }
    };
    Some(Ok(Item {
        done,
        text: text.trim().to_owned(),
    }))
}
