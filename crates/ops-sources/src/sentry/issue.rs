//! The part of Sentry's issue object the source reads. Lenient: enum values
//! are kept as text and mapped with a catch-all, `count` is read whether it
//! comes as the documented string or as a number, and missing optional fields
//! default, so a new value or field on Sentry's side never breaks an audit.

use serde::Deserialize;

/// One issue of `GET /api/0/organizations/{org}/issues/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    /// Numeric id, as a string.
    pub id: String,
    /// `PROJECT-12`.
    #[serde(default)]
    pub short_id: Option<String>,
    /// One line.
    #[serde(default)]
    pub title: String,
    /// Where it happens (a function, a route).
    #[serde(default)]
    pub culprit: Option<String>,
    /// The issue's page.
    #[serde(default)]
    pub permalink: Option<String>,
    /// `fatal`, `error`, `warning`, `info`, `debug`, `sample`, `unknown` or anything new.
    #[serde(default)]
    pub level: Option<String>,
    /// `unresolved`, `resolved`, `ignored`, … or anything new.
    #[serde(default)]
    pub status: Option<String>,
    /// Events, documented as a string (`"150"`).
    #[serde(default)]
    pub count: Option<serde_json::Value>,
    /// Users affected.
    #[serde(default)]
    pub user_count: Option<serde_json::Value>,
    /// First event (RFC 3339).
    #[serde(default)]
    pub first_seen: Option<String>,
    /// Latest event (RFC 3339).
    #[serde(default)]
    pub last_seen: Option<String>,
    /// The Sentry project it belongs to.
    #[serde(default)]
    pub project: Option<IssueProject>,
}

/// The `project` of an issue.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueProject {
    /// Numeric id, as a string (a number is accepted too).
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    /// The slug.
    #[serde(default)]
    pub slug: Option<String>,
}

/// An issue's level, with a catch-all for values Sentry may add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The process died.
    Fatal,
    /// An error.
    Error,
    /// A warning.
    Warning,
    /// Information, debug output, samples.
    Info,
    /// Any other value (`unknown`, or one added after this was written).
    Other,
}

impl Level {
    /// Reads a level; anything unknown is [`Level::Other`].
    pub fn parse(text: Option<&str>) -> Self {
        match text.map(str::to_ascii_lowercase).as_deref() {
            Some("fatal") => Level::Fatal,
            Some("error") => Level::Error,
            Some("warning") => Level::Warning,
            Some("info" | "debug" | "sample") => Level::Info,
            _ => Level::Other,
        }
    }
}

/// A count that Sentry sends as a string (`"150"`) or a number.
pub fn read_count(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Issue {
    /// The numeric id of its project, as text.
    pub fn project_id(&self) -> Option<String> {
        match self.project.as_ref()?.id.as_ref()? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The level.
    pub fn level(&self) -> Level {
        Level::parse(self.level.as_deref())
    }

    /// Events seen (0 when Sentry sent something unreadable).
    pub fn events(&self) -> u64 {
        read_count(self.count.as_ref()).unwrap_or(0)
    }

    /// Users affected (0 when Sentry sent something unreadable).
    pub fn users(&self) -> u64 {
        read_count(self.user_count.as_ref()).unwrap_or(0)
    }

    /// Whether the issue still needs work: any status but a closed one
    /// (`resolved`, `ignored`/`muted`, pending deletion or merge), so a status
    /// added later is still reported.
    pub fn is_open(&self) -> bool {
        !matches!(
            self.status.as_deref(),
            Some("resolved" | "ignored" | "muted" | "pending_deletion" | "pending_merge")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_levels_statuses_and_odd_counts_still_parse() {
        let issue: Issue = serde_json::from_str(
            r#"{"id": "9", "level": "catastrophic", "status": "quantum", "count": 12, "userCount": "3", "type": "new_type", "brandNewField": [1]}"#,
        )
        .expect("lenient");
        assert_eq!(issue.level(), Level::Other);
        assert!(issue.is_open());
        assert_eq!((issue.events(), issue.users()), (12, 3));
        let documented: Issue = serde_json::from_str(
            r#"{"id": "1", "level": "error", "status": "ignored", "count": "150", "userCount": 0}"#,
        )
        .expect("documented shape");
        assert_eq!(documented.level(), Level::Error);
        assert!(!documented.is_open());
        assert_eq!(documented.events(), 150);
        let garbage: Issue = serde_json::from_str(
            r#"{"id": "2", "count": "lots", "userCount": null, "level": null}"#,
        )
        .expect("garbage counts");
        assert_eq!(
            (garbage.events(), garbage.users(), garbage.level()),
            (0, 0, Level::Other)
        );
    }
}
