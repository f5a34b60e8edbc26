//! `.planning/HANDOFF.json`: what a paused session left for the next one.
//!
//! A JSON object. Fields read (all optional, unknown ones ignored): `phase`,
//! `plan`, `task`, `status`, `summary` (or `context`, `current_state`, `context_notes`),
//! `next_action` (or `next_step`, `next`, `resume_with`), `remaining` (or
//! `remaining_tasks`), `blockers` and `human_actions` (or
//! `human_actions_pending`) — a string, or a list of strings or of objects
//! such as `{id, name, status}` read as readable lines — `paused_at` (or `timestamp`,
//! `updated_at`, `last_updated`), `branch`. A handoff whose status is
//! `resumed`, `done` or `complete(d)` is spent and gives no finding. Human
//! actions marked `blocking: true` make the task the handoff belongs to
//! blocked, with those actions as the reason.

use super::ParseError;
use super::phase::PhaseNumber;
use serde_json::Value;

/// How a human action marked `blocking: true` begins in [`Handoff::human_actions`].
const BLOCKING: &str = "BLOCKING: ";

/// What the handoff says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Handoff {
    /// The phase it paused in.
    pub phase: Option<String>,
    /// The plan it paused in.
    pub plan: Option<String>,
    /// The task it paused in.
    pub task: Option<String>,
    /// Its status (`paused`, `in_progress`, ...).
    pub status: Option<String>,
    /// Where things stand.
    pub summary: Option<String>,
    /// What to do first when resuming.
    pub next_action: Option<String>,
    /// Work left.
    pub remaining: Vec<String>,
    /// What is stuck.
    pub blockers: Vec<String>,
    /// What a person must do (`human_actions`, `human_actions_pending`);
    /// those marked blocking are written `BLOCKING: …`.
    pub human_actions: Vec<String>,
    /// When it paused.
    pub paused_at: Option<String>,
    /// The branch it was on.
    pub branch: Option<String>,
}

impl Handoff {
    /// The phase it names, as a number (`14-animation-engine` → 14).
    fn phase_number(&self) -> Option<PhaseNumber> {
        PhaseNumber::parse_prefix(self.phase.as_deref()?.trim()).map(|(n, _)| n)
    }

    /// It names phase `n` (a handoff naming no phase stays a task of its own).
    pub fn is_for(&self, n: &PhaseNumber) -> bool {
        self.phase_number().is_some_and(|p| p == *n)
    }

    /// It is about a phase before `n`: stale.
    pub fn is_before(&self, n: &PhaseNumber) -> bool {
        self.phase_number().is_some_and(|p| p < *n)
    }

    /// The human actions marked blocking, as text (`BLOCKING: ` left off),
    /// joined with `; `; `None` when there is none.
    pub fn blocking_actions(&self) -> Option<String> {
        let blocking: Vec<&str> = self
            .human_actions
            .iter()
            .filter_map(|a| a.strip_prefix(BLOCKING))
            .collect();
        (!blocking.is_empty()).then(|| blocking.join("; "))
    }

    /// The session is still waiting to be resumed.
    pub fn is_pending(&self) -> bool {
        !matches!(
            self.status
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("resumed" | "done" | "complete" | "completed")
        )
    }
}

/// Parses HANDOFF.json's text; errors carry serde_json's line.
pub fn parse_handoff(text: &str) -> Result<Handoff, ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ParseError::new(
            e.line(),
            format!("column {}: invalid JSON: {e}", e.column()),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(ParseError::new(1, "expected a JSON object"));
    };
    let text_of = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| match map.get(*k)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let list_of = |keys: &[&str]| -> Vec<String> {
        keys.iter()
            .flat_map(|key| match map.get(*key) {
                Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
                Some(Value::Array(items)) => items.iter().filter_map(readable).collect(),
                _ => Vec::new(),
            })
            .collect()
    };
    Ok(Handoff {
        phase: text_of(&["phase"]),
        plan: text_of(&["plan"]),
        task: text_of(&["task"]),
        status: text_of(&["status"]),
        summary: text_of(&["summary", "context", "current_state", "context_notes"]),
        next_action: text_of(&["next_action", "next_step", "next", "resume_with"]),
        remaining: list_of(&["remaining", "remaining_tasks"]),
        blockers: list_of(&["blockers"]),
        human_actions: list_of(&["human_actions", "human_actions_pending"]),
        paused_at: text_of(&["paused_at", "timestamp", "updated_at", "last_updated"]),
        branch: text_of(&["branch"]),
    })
}

/// One list entry as a line a person reads: a string as it is; an object as
/// `id: name (status)`, or its `description`/`action`/`text`/`reason`, with
/// `BLOCKING: ` first when it says `blocking: true`; anything else as JSON.
fn readable(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Object(o) => {
            let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::trim);
            let what = ["name", "description", "action", "text", "reason", "title"]
                .iter()
                .find_map(|k| text(k));
            let mut line = match (text("id"), what) {
                (Some(id), Some(what)) => format!("{id}: {what}"),
                (Some(id), None) => id.to_owned(),
                (None, Some(what)) => what.to_owned(),
                (None, None) => value.to_string(),
            };
            if let Some(status) = text("status") {
                line.push_str(&format!(" ({status})"));
            }
            if o.get("blocking") == Some(&Value::Bool(true)) {
                line = format!("{BLOCKING}{line}");
            }
            Some(line)
        }
        other => Some(other.to_string()),
    }
}
