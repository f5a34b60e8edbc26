//! claude-ops' active topics (`memories/topics_active.md`): what the user is
//! focused on now. A finding that matches an active topic is raised one
//! priority step by the planner.
//!
//! Format: optional frontmatter between `---` lines, then one block per topic:
//! ```text
//! ### Billing migration
//! - **Summary**: moving invoices to the new provider
//! - **Action**: finish the webhook handler
//! ```
//! A topic matches a finding when its heading names the finding's project (a
//! whole word equal to the alias), or when every significant word of the
//! heading (4+ letters, not a common word) appears as a whole word in the
//! finding's title or detail. Case is ignored.

use crate::error::{Error, Result};
use crate::model::Finding;
use std::collections::BTreeSet;
use std::path::Path;

/// One active topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// The `###` heading.
    pub title: String,
    /// The `- **Summary**:` line.
    pub summary: Option<String>,
    /// The `- **Action**:` line.
    pub action: Option<String>,
}

const COMMON: &[&str] = &[
    "about", "after", "also", "from", "have", "into", "more", "need", "needs", "only", "over",
    "some", "that", "their", "them", "then", "there", "these", "this", "with", "work", "when",
    "will", "what", "which", "while",
];

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Topic {
    fn keywords(&self) -> BTreeSet<String> {
        words(&self.title)
            .into_iter()
            .filter(|w| w.chars().count() >= 4 && !COMMON.contains(&w.as_str()))
            .collect()
    }

    /// Whether `finding` is about this topic (see the module doc).
    pub fn matches(&self, finding: &Finding) -> bool {
        let heading = words(&self.title);
        if heading.contains(&finding.project.to_lowercase()) {
            return true;
        }
        let keywords = self.keywords();
        if keywords.is_empty() {
            return false;
        }
        let text = words(&format!("{} {}", finding.title, finding.detail));
        keywords.iter().all(|k| text.contains(k))
    }
}

/// Read the active topics file at `path`; no file → no topics.
pub fn active_topics(path: &Path) -> Result<Vec<Topic>> {
    match crate::files::read_text(path) {
        Ok(Some(text)) => parse_topics(&text, path),
        Ok(None) => Ok(Vec::new()),
        Err(e) => Err(Error::ConfigFile {
            path: path.to_path_buf(),
            field: "(file)".into(),
            message: format!("cannot read it: {e}"),
        }),
    }
}

/// Parse topics text read from `path`.
pub fn parse_topics(text: &str, path: &Path) -> Result<Vec<Topic>> {
    let mut lines = text.lines().enumerate().peekable();
    if lines.peek().is_some_and(|(_, l)| l.trim() == "---") {
        lines.next();
        let mut closed = false;
        for (_, line) in lines.by_ref() {
            if line.trim() == "---" {
                closed = true;
                break;
            }
        }
        if !closed {
            return Err(Error::ConfigFile {
                path: path.to_path_buf(),
                field: "line 1".into(),
                message: "frontmatter opened with `---` is never closed".into(),
            });
        }
    }
    let mut topics: Vec<Topic> = Vec::new();
    for (_, line) in lines {
        let trimmed = line.trim();
        if let Some(title) = trimmed.strip_prefix("### ") {
            topics.push(Topic {
                title: title.trim().to_owned(),
                summary: None,
                action: None,
            });
        } else if let Some(topic) = topics.last_mut() {
            if let Some(v) = field(trimmed, "Summary") {
                topic.summary = Some(v);
            } else if let Some(v) = field(trimmed, "Action") {
                topic.action = Some(v);
            }
        }
    }
    Ok(topics)
}

fn field(line: &str, name: &str) -> Option<String> {
    let rest = line.strip_prefix("- **")?.strip_prefix(name)?;
    let rest = rest
        .strip_prefix("**:")
        .or_else(|| rest.strip_prefix(":**"))?;
    Some(rest.trim().to_owned())
}
