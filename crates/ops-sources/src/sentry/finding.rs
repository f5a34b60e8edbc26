//! An unresolved Sentry issue → a [`Finding`], with the priority table of the
//! module docs.

use super::issue::{Issue, Level};
use ops_core::model::{Finding, Priority, Project, fingerprint};

/// The thresholds that make an `error` issue "production broken" (P0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentryPriorities {
    /// An error issue affecting at least this many users is P0 (default 100).
    pub production_users: u64,
    /// An error issue with at least this many events is P0 (default 1000).
    pub production_events: u64,
}

impl Default for SentryPriorities {
    fn default() -> Self {
        SentryPriorities {
            production_users: 100,
            production_events: 1000,
        }
    }
}

impl SentryPriorities {
    /// The priority of an issue (see the table in the module docs).
    pub fn of(&self, level: Level, events: u64, users: u64) -> Priority {
        match level {
            Level::Fatal => Priority::P0,
            Level::Error if users >= self.production_users || events >= self.production_events => {
                Priority::P0
            }
            Level::Error => Priority::P1,
            Level::Warning | Level::Other => Priority::P2,
            Level::Info => Priority::P3,
        }
    }
}

/// The finding for `issue` of `org` in `project`.
pub(super) fn finding(
    project: &Project,
    org: &str,
    issue: &Issue,
    priorities: &SentryPriorities,
) -> Finding {
    let (events, users) = (issue.events(), issue.users());
    let short = issue.short_id.as_deref().unwrap_or(&issue.id);
    let title = if issue.title.trim().is_empty() {
        "(untitled issue)"
    } else {
        issue.title.trim()
    };
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let detail = format!(
        "Sentry issue {short} (org {org}, id {id}) is unresolved.\n\
         Culprit: {culprit}\n\
         Level: {level}\n\
         Events: {count}\n\
         Users: {users}\n\
         First seen: {first}\n\
         Last seen: {last}\n\
         Link: {link}",
        id = issue.id,
        culprit = or_unknown(&issue.culprit),
        level = or_unknown(&issue.level),
        count = issue.count.as_ref().map_or_else(
            || "unknown".into(),
            |c| c.to_string().trim_matches('"').to_string()
        ),
        first = or_unknown(&issue.first_seen),
        last = or_unknown(&issue.last_seen),
        link = or_unknown(&issue.permalink),
    );
    Finding {
        source: "sentry".into(),
        kind: "sentry_issue".into(),
        project: project.alias.clone(),
        repo: project
            .paths
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        title: format!("Sentry {short}: {title}"),
        detail,
        priority: priorities.of(issue.level(), events, users),
        fingerprint: fingerprint(&["sentry", org, &issue.id]),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_priority_table_holds_at_its_edges() {
        let p = SentryPriorities {
            production_users: 10,
            production_events: 500,
        };
        assert_eq!(p.of(Level::Fatal, 1, 0), Priority::P0);
        assert_eq!(p.of(Level::Error, 1, 10), Priority::P0);
        assert_eq!(p.of(Level::Error, 500, 0), Priority::P0);
        assert_eq!(p.of(Level::Error, 499, 9), Priority::P1);
        assert_eq!(p.of(Level::Warning, 10_000, 10_000), Priority::P2);
        assert_eq!(p.of(Level::Other, 10_000, 10_000), Priority::P2);
        assert_eq!(p.of(Level::Info, 10_000, 10_000), Priority::P3);
    }
}
