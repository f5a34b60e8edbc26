//! What the fake Linear holds: issues by team, relations between them, the
//! API key it accepts, injected faults and the request log.

use serde_json::Value;
use std::time::Duration;

/// A failure the fake answers with instead of doing the work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: 0` and spent request budget headers.
    TooManyRequests,
    /// A GraphQL error with `extensions.code == "RATELIMITED"` (status 400),
    /// with the request budget spent and reset `reset_in` from now (the
    /// `X-RateLimit-Requests-*` headers Linear sends).
    RateLimited {
        /// When the budget refills.
        reset_in: Duration,
    },
    /// A 5xx with this status.
    ServerError(u16),
    /// Status 200 with a body that is not JSON.
    Malformed,
    /// A GraphQL error (status 400) with this message and `extensions.code`.
    GraphqlError {
        /// The message.
        message: String,
        /// The code (`INVALID_INPUT`, `FORBIDDEN`, ...).
        code: String,
    },
}

/// One request the fake received, as it came.
#[derive(Debug, Clone)]
pub struct LinearRequest {
    /// `operationName`, if the body had one.
    pub operation: Option<String>,
    /// `variables`.
    pub variables: Value,
    /// The `Authorization` header as sent (tests check it has no `Bearer`).
    pub authorization: Option<String>,
}

/// One issue: the node as Linear would return it (`identifier`, `title`,
/// `state`, `labels`, ...), plus its team and cycle.
#[derive(Debug, Clone)]
pub(super) struct StoredIssue {
    pub team: String,
    pub node: Value,
}

impl StoredIssue {
    pub fn identifier(&self) -> &str {
        self.node["identifier"].as_str().unwrap_or_default()
    }
}

/// A relation: `issue` `kind` `related` (for `blocks`: `issue` blocks `related`).
#[derive(Debug, Clone)]
pub(super) struct StoredRelation {
    pub kind: String,
    pub issue: String,
    pub related: String,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub key: String,
    /// Team keys, in the order seeded.
    pub teams: Vec<String>,
    pub issues: Vec<StoredIssue>,
    pub relations: Vec<StoredRelation>,
    /// Faults still to be served, each with how many times.
    pub faults: Vec<(Fault, u32)>,
    pub log: Vec<LinearRequest>,
}

impl State {
    /// Adds a fixture (`{"team": {"key"}, "issues": [...], "relations": [...]}`).
    pub fn seed(&mut self, fixture: &Value) -> Result<(), String> {
        let team = fixture["team"]["key"]
            .as_str()
            .ok_or("fixture: team.key is missing")?;
        if !self.teams.iter().any(|t| t == team) {
            self.teams.push(team.to_string());
        }
        for node in fixture["issues"]
            .as_array()
            .ok_or("fixture: issues is missing")?
        {
            if node["identifier"].as_str().is_none() || node["state"]["type"].as_str().is_none() {
                return Err(format!(
                    "fixture: issue without identifier or state.type: {node}"
                ));
            }
            self.issues.push(StoredIssue {
                team: team.to_string(),
                node: node.clone(),
            });
        }
        for r in fixture["relations"].as_array().into_iter().flatten() {
            let field = |name: &str| {
                r[name]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("fixture: relation without {name}: {r}"))
            };
            self.relations.push(StoredRelation {
                kind: field("type")?,
                issue: field("issue")?,
                related: field("relatedIssue")?,
            });
        }
        Ok(())
    }

    pub fn issue(&self, identifier: &str) -> Option<&StoredIssue> {
        self.issues.iter().find(|i| i.identifier() == identifier)
    }

    /// The next fault to serve, if any (consumed).
    pub fn take_fault(&mut self) -> Option<Fault> {
        let (fault, left) = self.faults.first_mut()?;
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            self.faults.remove(0);
        }
        Some(fault)
    }
}

/// Whether `issue` passes `filter` (an `IssueFilter` as JSON). The fake knows
/// `team.key`, `state.type` and `cycle.isActive` with `eq`/`in`; any other
/// filter field is an error, as an unknown field would be for Linear.
pub(super) fn matches(issue: &StoredIssue, filter: &Value) -> Result<bool, String> {
    let Some(filter) = filter.as_object() else {
        return Ok(true);
    };
    for (field, condition) in filter {
        let ok = match field.as_str() {
            "team" => compare(
                &Value::from(issue.team.clone()),
                &condition["key"],
                "team.key",
            )?,
            "state" => compare(
                &issue.node["state"]["type"],
                &condition["type"],
                "state.type",
            )?,
            "cycle" => compare(
                &Value::from(issue.node["cycle"]["isActive"].as_bool().unwrap_or(false)),
                &condition["isActive"],
                "cycle.isActive",
            )?,
            other => return Err(format!("the fake does not filter on IssueFilter.{other}")),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether team `key` passes `filter` (a `TeamFilter` as JSON: `key` only).
pub(super) fn team_matches(key: &str, filter: &Value) -> Result<bool, String> {
    let Some(filter) = filter.as_object() else {
        return Ok(true);
    };
    for (field, condition) in filter {
        match field.as_str() {
            "key" => {
                if !compare(&Value::from(key), condition, "key")? {
                    return Ok(false);
                }
            }
            other => return Err(format!("the fake does not filter on TeamFilter.{other}")),
        }
    }
    Ok(true)
}

/// A comparator (`{"eq": ..}`, `{"in": [..]}`) applied to `value`.
fn compare(value: &Value, comparator: &Value, what: &str) -> Result<bool, String> {
    let Some(comparator) = comparator.as_object() else {
        return Err(format!("{what}: expected a comparator object"));
    };
    for (op, operand) in comparator {
        let ok = match op.as_str() {
            "eq" => value == operand,
            "in" => operand.as_array().is_some_and(|list| list.contains(value)),
            other => return Err(format!("{what}: the fake does not know comparator {other}")),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}
