//! What the fake serves, in GitHub's GraphQL shape: a repository is the JSON
//! object a `repository { ... }` query would answer with every field selected,
//! connections as `{"nodes": [...]}` (the shape of a real answer, so fixtures
//! are written like `/shared/fixtures/github-graphql/cli/*.json`).

use serde_json::{Value, json};

/// An open (or closed) pull request to seed.
#[derive(Debug, Clone)]
pub struct Pr {
    /// Its number.
    pub number: u64,
    /// `OPEN`, `CLOSED` or `MERGED`.
    pub state: &'static str,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Draft?
    pub draft: bool,
    /// `MERGEABLE`, `CONFLICTING`, `UNKNOWN` (or anything, to test leniency).
    pub mergeable: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `REVIEW_REQUIRED`, or `None`.
    pub review: Option<String>,
    /// The head commit's rollup state; `None` = no checks.
    pub rollup: Option<String>,
    /// Review threads: `true` = resolved.
    pub threads: Vec<bool>,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
}

impl Pr {
    /// An open, mergeable PR with green checks and no review required.
    pub fn new(number: u64) -> Self {
        Pr {
            number,
            state: "OPEN",
            title: format!("Change {number}"),
            body: String::new(),
            draft: false,
            mergeable: "MERGEABLE".into(),
            review: None,
            rollup: Some("SUCCESS".into()),
            threads: Vec::new(),
            head: format!("feature-{number}"),
            base: "dev".into(),
        }
    }

    /// The node as GitHub answers it.
    pub fn to_node(&self, slug: &str) -> Value {
        json!({
            "__typename": "PullRequest",
            "number": self.number,
            "state": self.state,
            "title": self.title,
            "body": self.body,
            "url": format!("https://github.com/{slug}/pull/{}", self.number),
            "isDraft": self.draft,
            "mergeable": self.mergeable,
            "reviewDecision": self.review,
            "headRefName": self.head,
            "baseRefName": self.base,
            "statusCheckRollup": self.rollup.as_ref().map(|s| json!({"state": s})),
            "reviewThreads": {"nodes": self.threads.iter().map(|r| json!({"isResolved": r})).collect::<Vec<_>>()},
        })
    }
}

/// An issue to seed.
#[derive(Debug, Clone)]
pub struct Issue {
    /// Its number.
    pub number: u64,
    /// `OPEN` or `CLOSED`.
    pub state: &'static str,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Label names.
    pub labels: Vec<String>,
}

impl Issue {
    /// An open issue without labels.
    pub fn new(number: u64) -> Self {
        Issue {
            number,
            state: "OPEN",
            title: format!("Problem {number}"),
            body: String::new(),
            labels: Vec::new(),
        }
    }

    /// The node as GitHub answers it.
    pub fn to_node(&self, slug: &str) -> Value {
        json!({
            "__typename": "Issue",
            "number": self.number,
            "state": self.state,
            "title": self.title,
            "body": self.body,
            "url": format!("https://github.com/{slug}/issues/{}", self.number),
            "labels": {"nodes": self.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>()},
        })
    }
}

/// An empty repository with `dev` and `main` heads (green).
pub fn repository(slug: &str) -> Value {
    json!({
        "__typename": "Repository",
        "nameWithOwner": slug,
        "pullRequests": {"nodes": []},
        "issues": {"nodes": []},
        "refs": {"nodes": [
            branch("dev", &format!("{:040x}", 1), Some("SUCCESS")),
            branch("main", &format!("{:040x}", 2), Some("SUCCESS")),
        ]},
    })
}

/// A branch ref node pointing at commit `oid` with check rollup `rollup`.
pub fn branch(name: &str, oid: &str, rollup: Option<&str>) -> Value {
    json!({
        "__typename": "Ref",
        "name": name,
        "target": {
            "__typename": "Commit",
            "oid": oid,
            "statusCheckRollup": rollup.map(|s| json!({"state": s})),
        },
    })
}
