//! The fake's data: organisations, projects and issues, the injected faults and
//! the request log; and the issue search the endpoint runs.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// A failure to inject.
#[derive(Debug, Clone)]
pub enum Fault {
    /// The next request answers 429 with `Retry-After: secs` (and
    /// `X-Sentry-Rate-Limit-Remaining: 0`).
    RateLimited {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// The next request answers 429 with no `Retry-After`, only
    /// `X-Sentry-Rate-Limit-Remaining: 0` and `X-Sentry-Rate-Limit-Reset` in `secs`.
    RateLimitedUntilReset {
        /// Seconds until the reset.
        reset_in_secs: u64,
    },
    /// The next request is answered normally but says the window is used up:
    /// `X-Sentry-Rate-Limit-Remaining: 0`, reset in `secs`.
    WindowExhausted {
        /// Seconds until the reset.
        reset_in_secs: u64,
    },
    /// The next `n` requests answer 500 (`usize::MAX`: every request).
    ServerError(usize),
    /// The next request answers 200 with a body cut in the middle of the JSON.
    Malformed,
    /// The next request is answered after `delay`.
    Slow(Duration),
    /// The next answer's `Link` header points at another host
    /// (`collector.example.invalid`), where a client must not send its token.
    ForeignNextLink,
}

#[derive(Default)]
pub(super) struct Org {
    pub projects: Vec<Value>,
    pub issues: Vec<Value>,
}

pub(super) struct State {
    pub token: String,
    pub orgs: BTreeMap<String, Org>,
    pub page_size: usize,
    pub faults: Vec<(Option<String>, Fault)>,
    pub requests: Vec<String>,
    pub authorizations: Vec<String>,
}

pub(super) fn detail(status: u16, text: &str) -> (u16, Value) {
    (status, json!({ "detail": text }))
}

/// One page of a search: the issues and whether there are more before and after.
pub(super) struct Page {
    pub issues: Vec<Value>,
    pub offset: usize,
    pub limit: usize,
    pub more: bool,
}

impl State {
    pub fn new(token: &str) -> Self {
        State {
            token: token.to_string(),
            orgs: BTreeMap::new(),
            page_size: 100,
            faults: Vec::new(),
            requests: Vec::new(),
            authorizations: Vec::new(),
        }
    }

    pub fn add_project(&mut self, org: &str, project: Value) {
        self.orgs
            .entry(org.to_string())
            .or_default()
            .projects
            .push(project);
    }

    pub fn add_issue(&mut self, org: &str, issue: Value) {
        self.orgs
            .entry(org.to_string())
            .or_default()
            .issues
            .push(issue);
    }

    pub fn add_generated_issues(
        &mut self,
        org: &str,
        slug: &str,
        n: usize,
        first_id: u64,
        level: &str,
    ) {
        let entry = self.orgs.entry(org.to_string()).or_default();
        let project = entry
            .projects
            .iter()
            .find(|p| p["slug"] == slug)
            .cloned()
            .unwrap_or_else(|| panic!("add project {slug} to {org} first"));
        let prefix = slug.to_uppercase();
        for i in 0..n {
            let id = first_id + i as u64;
            let seen = format!(
                "2026-11-{:02}T{:02}:{:02}:00Z",
                1 + i / 1440,
                (i / 60) % 24,
                i % 60
            );
            entry.issues.push(json!({
                "id": id.to_string(),
                "shortId": format!("{prefix}-{}", 100 + i),
                "title": format!("Generated issue {id}"),
                "culprit": format!("generated.module_{i} in handler"),
                "permalink": format!("https://{org}.sentry.io/issues/{id}/"),
                "logger": null,
                "level": level,
                "status": "unresolved",
                "statusDetails": {},
                "substatus": "ongoing",
                "isPublic": false,
                "platform": "python",
                "priority": "medium",
                "project": project.clone(),
                "type": "error",
                "issueType": "error",
                "issueCategory": "error",
                "metadata": {"title": format!("Generated issue {id}")},
                "numComments": 0,
                "assignedTo": null,
                "isBookmarked": false,
                "isSubscribed": false,
                "hasSeen": false,
                "annotations": [],
                "count": (i + 1).to_string(),
                "userCount": 1,
                "firstSeen": seen,
                "lastSeen": seen,
                "stats": {}
            }));
        }
    }

    pub fn set_status(&mut self, org: &str, issue_id: &str, status: &str) {
        for issue in self
            .orgs
            .get_mut(org)
            .into_iter()
            .flat_map(|o| o.issues.iter_mut())
        {
            if issue["id"] == issue_id {
                issue["status"] = json!(status);
            }
        }
    }

    /// Takes the first fault that applies to `org`, consuming it when used up.
    pub fn take_fault(&mut self, org: Option<&str>) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|(only, _)| only.is_none() || only.as_deref() == org)?;
        let fault = self.faults[i].1.clone();
        match &mut self.faults[i].1 {
            Fault::ServerError(n) if *n > 1 => {
                if *n != usize::MAX {
                    *n -= 1;
                }
            }
            _ => {
                self.faults.remove(i);
            }
        }
        Some(fault)
    }

    /// `GET /api/0/organizations/{org}/issues/` with its query parameters
    /// (repeated keys kept in order).
    pub fn search(&self, org: &str, params: &[(String, String)]) -> Result<Page, (u16, Value)> {
        let Some(o) = self.orgs.get(org) else {
            return Err(detail(404, "The requested resource does not exist"));
        };
        let get = |key: &'static str| all(params, key);
        let mut project_ids = Vec::new();
        for p in get("project") {
            if p.parse::<i64>().is_err() {
                return Err(detail(
                    400,
                    "Invalid project parameter. Values must be numbers.",
                ));
            }
            if p != "-1" && !o.projects.iter().any(|x| x["id"] == p) {
                return Err(detail(
                    403,
                    "You do not have permission to perform this action.",
                ));
            }
            if p != "-1" {
                project_ids.push(p.to_string());
            }
        }
        let query = get("query").next().unwrap_or("is:unresolved");
        let filter = Filter::parse(query)?;
        let limit = match get("limit").next() {
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) => n.min(self.page_size),
                _ => return Err(detail(400, "Invalid limit: must be between 1 and 100")),
            },
            None => self.page_size,
        };
        let offset = match get("cursor").next() {
            Some(c) => parse_cursor(c)?,
            None => 0,
        };
        let mut hits: Vec<&Value> = o
            .issues
            .iter()
            .filter(|i| {
                project_ids.is_empty() || project_ids.iter().any(|p| i["project"]["id"] == **p)
            })
            .filter(|i| filter.matches(i))
            .collect();
        let key = match get("sort").next().unwrap_or("date") {
            "new" => "firstSeen",
            "date" => "lastSeen",
            other => return Err(detail(400, &format!("Invalid sort: {other}"))),
        };
        // Newest first, ties by id so pages never overlap.
        hits.sort_by(|a, b| {
            (b[key].as_str(), b["id"].as_str()).cmp(&(a[key].as_str(), a["id"].as_str()))
        });
        let more = offset + limit < hits.len();
        let issues = hits.into_iter().skip(offset).take(limit).cloned().collect();
        Ok(Page {
            issues,
            offset,
            limit,
            more,
        })
    }
}

/// Every value of `key`, in order.
fn all<'a>(params: &'a [(String, String)], key: &'static str) -> impl Iterator<Item = &'a str> {
    params
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `value:offset:is_prev`, Sentry's cursor; only the offset matters here.
fn parse_cursor(c: &str) -> Result<usize, (u16, Value)> {
    let parts: Vec<&str> = c.split(':').collect();
    match parts.as_slice() {
        [_, offset, _] => offset
            .parse()
            .map_err(|_| detail(400, "Invalid cursor parameter.")),
        _ => Err(detail(400, "Invalid cursor parameter.")),
    }
}

/// The part of Sentry's issue search the fake understands.
#[derive(Default)]
struct Filter {
    statuses: Vec<String>,
    project_slug: Option<String>,
    first_seen_from: Option<String>,
}

impl Filter {
    fn parse(query: &str) -> Result<Self, (u16, Value)> {
        let mut f = Filter::default();
        for token in query.split_whitespace() {
            if let Some(status) = token.strip_prefix("is:") {
                match status {
                    "unresolved" | "resolved" | "ignored" => f.statuses.push(status.into()),
                    _ => return Err(bad_query(token)),
                }
            } else if let Some(slug) = token.strip_prefix("project:") {
                f.project_slug = Some(slug.to_string());
            } else if let Some(date) = token.strip_prefix("firstSeen:>=") {
                // ISO dates compare as text once cut to the same precision.
                f.first_seen_from = Some(date.chars().take(19).collect());
            } else {
                return Err(bad_query(token));
            }
        }
        Ok(f)
    }

    fn matches(&self, issue: &Value) -> bool {
        let status = issue["status"].as_str().unwrap_or_default();
        (self.statuses.is_empty() || self.statuses.iter().any(|s| s == status))
            && self
                .project_slug
                .as_ref()
                .is_none_or(|slug| issue["project"]["slug"] == **slug)
            && self.first_seen_from.as_ref().is_none_or(|from| {
                let seen: String = issue["firstSeen"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(19)
                    .collect();
                seen >= *from
            })
    }
}

fn bad_query(token: &str) -> (u16, Value) {
    detail(
        400,
        &format!("Error parsing search query: unsupported search token {token:?}"),
    )
}
