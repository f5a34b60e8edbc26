//! `.planning/STATE.md`: where the project stands.
//!
//! Read in every form GSD has written it, the first that names a phase wins:
//! 1. YAML-style frontmatter between `---` lines: `phase:` (or `current_phase:`),
//!    `phase_name:`, `total_phases:`, `status:`, and a nested `progress:` block
//!    (`total_phases`, `completed_phases`, `total_plans`, `completed_plans`);
//! 2. a body line `Phase: 3 of 7 (Name)`;
//! 3. bold fields `**Current Phase:** 3 - Name` / `- **Phase**: 3` (and
//!    `**Status:** …`);
//! 4. the older `Current Phase: 3 (Name)`.
//!
//! The body's `Plan: 3 of 3 (Phase 6 complete)` line is kept too: with the
//! status it says whether the phase is finished ([`State::says_phase_complete`])
//! and how far it is ([`State::plan_counts`]).

use super::ParseError;
use super::phase::{PhaseNumber, PhaseText, parse_phase_text, strip_prefix_ci};
use std::collections::BTreeMap;

/// What STATE.md says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    /// The current phase, if the file names one.
    pub phase: Option<PhaseText>,
    /// The body's status line (`Executing plan 2`, `Phase 14 complete`), else
    /// the frontmatter's `status`.
    pub status: Option<String>,
    /// The body's plan line (`3 of 3 (Phase 6 complete)`, `4 of 6`).
    pub plan: Option<String>,
    /// Frontmatter values, nested keys joined with a dot (`progress.total_phases`).
    pub frontmatter: BTreeMap<String, String>,
}

impl State {
    /// Whether STATE.md says its phase is finished: a status or plan line
    /// saying `complete`/`completed`/`shipped` (and naming no other phase), or
    /// the frontmatter's `status: completed`.
    pub fn says_phase_complete(&self) -> bool {
        let own = self.phase.as_ref().map(|p| p.number.clone());
        let finished = |text: &str| {
            let t = text.to_lowercase();
            let done =
                (t.contains("complete") && !t.contains("incomplete")) || t.contains("shipped");
            // "Phase 6 complete" while STATE.md is at phase 7 is about phase 6.
            let names_other = t
                .find("phase ")
                .and_then(|i| PhaseNumber::parse_prefix(&t[i + 6..]))
                .is_some_and(|(n, _)| own.as_ref().is_some_and(|o| *o != n));
            done && !names_other
        };
        let fm_status = self.frontmatter.get("status").map(|s| s.to_lowercase());
        self.status.as_deref().is_some_and(finished)
            || self.plan.as_deref().is_some_and(finished)
            || matches!(
                fm_status.as_deref(),
                Some("completed" | "complete" | "shipped")
            )
    }

    /// `(done, total)` of the plan line `Plan: 4 of 6`, when it has one.
    pub fn plan_counts(&self) -> Option<(String, String)> {
        let plan = self.plan.as_deref()?;
        let (n, rest) = PhaseNumber::parse_prefix(plan.trim())?;
        let total = rest.trim_start().strip_prefix("of ")?.trim_start();
        let (m, _) = PhaseNumber::parse_prefix(total)?;
        Some((n.to_string(), m.to_string()))
    }
}

/// Parses STATE.md's text; errors name the line.
pub fn parse_state(text: &str) -> Result<State, ParseError> {
    let mut state = State::default();
    let mut lines = text.lines().enumerate().peekable();
    // Frontmatter only at the very top (after blank lines).
    while lines.peek().is_some_and(|(_, l)| l.trim().is_empty()) {
        lines.next();
    }
    if lines.peek().is_some_and(|(_, l)| l.trim() == "---") {
        let (open, _) = lines.next().unwrap_or_default();
        let mut closed = false;
        let mut parent: Option<String> = None;
        for (i, line) in lines.by_ref() {
            if line.trim() == "---" {
                closed = true;
                break;
            }
            read_frontmatter_line(i + 1, line, &mut parent, &mut state.frontmatter)?;
        }
        if !closed {
            return Err(ParseError::new(
                open + 1,
                "the frontmatter opened here is never closed with `---`",
            ));
        }
    }
    let fm = &state.frontmatter;
    let fm_phase = ["phase", "current_phase"]
        .iter()
        .find_map(|k| fm.get(*k))
        .and_then(|v| parse_phase_text(v));
    state.phase = fm_phase.map(|mut p| {
        if p.name.is_none() {
            p.name = fm.get("phase_name").cloned();
        }
        if p.total.is_none() {
            p.total = fm.get("total_phases").cloned();
        }
        p
    });
    let mut body_status = None;

    let mut body_phase: [Option<PhaseText>; 3] = [None, None, None];
    for (_, line) in lines {
        let Some((key, value)) = body_field(line) else {
            continue;
        };
        let key = key.to_ascii_lowercase();
        let bold = line.contains("**");
        let rank = match key.as_str() {
            "phase" if !bold => 0,
            "phase" | "current phase" if bold => 1,
            "current phase" => 2,
            "status" => {
                if body_status.is_none() {
                    body_status = Some(value.to_owned());
                }
                continue;
            }
            "plan" | "current plan" => {
                if state.plan.is_none() && !value.is_empty() {
                    state.plan = Some(value.to_owned());
                }
                continue;
            }
            _ => continue,
        };
        if body_phase[rank].is_none() {
            body_phase[rank] = parse_phase_text(value);
        }
    }
    if state.phase.is_none() {
        state.phase = body_phase.into_iter().flatten().next();
    }
    // The body's status line is written for people; the frontmatter's is a
    // machine's summary (`active`, `unknown`).
    state.status = body_status.or_else(|| state.frontmatter.get("status").cloned());
    Ok(state)
}

/// One `key: value` frontmatter line; a key with no value opens a nested
/// block whose indented lines become `parent.key`.
fn read_frontmatter_line(
    line_no: usize,
    line: &str,
    parent: &mut Option<String>,
    out: &mut BTreeMap<String, String>,
) -> Result<(), ParseError> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(());
    }
    let indented = line.starts_with([' ', '\t']);
    // A list item under a key: kept as part of that key's value.
    if let (Some(item), Some(p)) = (trimmed.strip_prefix("- "), parent.as_ref()) {
        let entry = out.entry(p.clone()).or_default();
        if !entry.is_empty() {
            entry.push_str(", ");
        }
        entry.push_str(unquote(item));
        return Ok(());
    }
    let Some((key, value)) = trimmed.split_once(':') else {
        return Err(ParseError::new(
            line_no,
            format!("expected `key: value` in the frontmatter, found {trimmed:?}"),
        ));
    };
    let key = key.trim();
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(ParseError::new(
            line_no,
            format!("expected `key: value` in the frontmatter, found {trimmed:?}"),
        ));
    }
    let value = unquote(value.trim());
    if !indented {
        *parent = value.is_empty().then(|| key.to_owned());
        if !value.is_empty() {
            out.insert(key.to_owned(), value.to_owned());
        }
    } else {
        let full = match parent.as_ref() {
            Some(p) => format!("{p}.{key}"),
            None => key.to_owned(),
        };
        out.insert(full, value.to_owned());
    }
    Ok(())
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// A body line's `Field: value`, in plain, `**Field:** value` or
/// `- **Field**: value` form.
fn body_field(line: &str) -> Option<(&str, &str)> {
    let mut s = line.trim();
    if let Some(rest) = s.strip_prefix("- ").or_else(|| s.strip_prefix("* ")) {
        s = rest.trim_start();
    }
    if let Some(rest) = s.strip_prefix("**") {
        let (inside, after) = rest.split_once("**")?;
        return if let Some(key) = inside.strip_suffix(':') {
            Some((key.trim(), after.trim()))
        } else {
            let value = after.trim_start().strip_prefix(':')?;
            Some((inside.trim(), value.trim()))
        };
    }
    let (key, value) = s.split_once(':')?;
    let key = key.trim();
    let known = ["phase", "current phase", "status", "plan", "current plan"]
        .iter()
        .any(|k| strip_prefix_ci(key, k).is_some_and(str::is_empty));
    known.then(|| (key, value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_fields_are_read_in_plain_and_bold_forms() {
        assert_eq!(
            body_field("**Current Phase:** 3 - Auth"),
            Some(("Current Phase", "3 - Auth"))
        );
        assert_eq!(body_field("- **Phase**: 1"), Some(("Phase", "1")));
        assert_eq!(
            body_field("Phase: 3 of 7 (Auth)"),
            Some(("Phase", "3 of 7 (Auth)"))
        );
        assert_eq!(body_field("Last activity: today"), None);
    }
}
