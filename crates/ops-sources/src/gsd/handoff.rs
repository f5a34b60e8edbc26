//! `.planning/HANDOFF.json`: what a paused session left for the next one.
//!
//! A JSON object. Fields read (all optional, unknown ones ignored): `phase`,
//! `plan`, `task`, `status`, `summary` (or `context`, `current_state`),
//! `next_action` (or `next_step`, `next`, `resume_with`), `remaining` and
//! `blockers` (a string or an array of strings), `paused_at` (or `timestamp`,
//! `updated_at`, `last_updated`), `branch`. A handoff whose status is
//! `resumed`, `done` or `complete(d)` is spent and gives no finding.

use super::ParseError;
use serde_json::Value;

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
    /// When it paused.
    pub paused_at: Option<String>,
    /// The branch it was on.
    pub branch: Option<String>,
}

impl Handoff {
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
    let list_of = |key: &str| -> Vec<String> {
        match map.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    Ok(Handoff {
        phase: text_of(&["phase"]),
        plan: text_of(&["plan"]),
        task: text_of(&["task"]),
        status: text_of(&["status"]),
        summary: text_of(&["summary", "context", "current_state"]),
        next_action: text_of(&["next_action", "next_step", "next", "resume_with"]),
        remaining: list_of("remaining"),
        blockers: list_of("blockers"),
        paused_at: text_of(&["paused_at", "timestamp", "updated_at", "last_updated"]),
        branch: text_of(&["branch"]),
    })
}
