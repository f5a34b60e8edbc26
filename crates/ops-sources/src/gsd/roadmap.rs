//! `.planning/ROADMAP.md`: the phases and their checklists.
//!
//! A phase is a heading at level 2 to 4 whose text starts with `Phase N`
//! (`## Phase 1: Setup`, `### Phase 2.1: Hotfix (INSERTED)`, `#### Phase 3 -
//! Polish`). Checklist items (`- [ ]`, `- [x]`, also `*` bullets and `[X]`) under
//! it, until the next phase heading or a heading at its level or above, are its
//! items. An overview checklist naming phases (`- [x] **Phase 1: Setup** - …`)
//! marks those phases done or not, and a phase it names that has no heading
//! (the GSD template's list alone) is a phase of its own. Phases inside a
//! `<details>` block are an archived milestone's: done. `N/M plans` on a
//! phase's line is its plan count. Numbers may be decimal (`2.1`), backlog
//! (`999.1`: never current or next) or zero-padded (`02` = `2`). Any other
//! one-character box (`- [?]`) is an error naming the line.

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
    /// Listed inside a `<details>` block: an archived milestone's phase.
    pub archived: bool,
    /// `N/M plans` written on its heading or overview line: `(N, M)`.
    pub plans: Option<(u32, u32)>,
}

impl Phase {
    /// Done: archived, ticked in the overview, or else every item of a
    /// non-empty checklist ticked.
    pub fn is_done(&self) -> bool {
        self.archived
            || self
                .ticked_in_overview
                .unwrap_or_else(|| !self.items.is_empty() && self.items.iter().all(|i| i.done))
    }

    /// A backlog phase (`999.1`): parked, never the current or next work.
    pub fn is_backlog(&self) -> bool {
        self.number.is_backlog()
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
    // Overview lines: number → (ticked, archived, name, plans, line).
    let mut overview: BTreeMap<PhaseNumber, OverviewLine> = BTreeMap::new();
    // The phase whose checklist we are in, and its heading level.
    let mut open: Option<(usize, usize)> = None;
    let mut details = 0usize;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let lower = line.to_ascii_lowercase();
        details += lower.matches("<details").count();
        let closes = lower.matches("</details>").count();
        let archived = details > 0;
        details = details.saturating_sub(closes);
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
                        archived,
                        plans: plans_count(title),
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
        // `**Phase 3: Polish** - c`: the bold part is the phase.
        let bold = item
            .text
            .strip_prefix("**")
            .and_then(|r| r.split_once("**"))
            .map_or(item.text.as_str(), |(inside, _)| inside);
        let named =
            strip_prefix_ci(bold.trim_start_matches('*'), "phase ").and_then(parse_phase_text);
        match (open, named) {
            // `- [x] **Phase 1: Setup** - …` names a phase wherever it stands.
            (_, Some(p)) if open.is_none() || archived => {
                overview.insert(
                    p.number,
                    OverviewLine {
                        done: item.done,
                        archived,
                        name: p.name,
                        plans: plans_count(&item.text),
                        line: line_no,
                    },
                );
            }
            (Some((idx, _)), _) => phases[idx].items.push(item),
            (None, _) => {}
        }
    }
    for phase in &mut phases {
        if let Some(o) = overview.remove(&phase.number) {
            phase.ticked_in_overview = Some(o.done);
            phase.archived |= o.archived;
            phase.plans = phase.plans.or(o.plans);
        }
    }
    // The template's list without detail sections: each line is a phase.
    for (number, o) in overview {
        phases.push(Phase {
            number,
            name: o.name,
            line: o.line,
            items: Vec::new(),
            ticked_in_overview: Some(o.done),
            archived: o.archived,
            plans: o.plans,
        });
    }
    phases.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(phases)
}

/// One overview line naming a phase.
struct OverviewLine {
    done: bool,
    archived: bool,
    name: Option<String>,
    plans: Option<(u32, u32)>,
    line: usize,
}

/// `9/13 plans` (or `9/13 plans complete`) in `text`: `(9, 13)`.
fn plans_count(text: &str) -> Option<(u32, u32)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(" plans").or_else(|| lower.find(" plan"))?;
    let before = lower[..at].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_ascii_digit() || c == '/'))
        .map_or(0, |i| i + 1);
    let (done, total) = before[start..].split_once('/')?;
    Some((done.parse().ok()?, total.parse().ok()?))
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
