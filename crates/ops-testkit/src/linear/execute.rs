//! A small GraphQL executor over the fake's state: it parses the document
//! with apollo-compiler, runs the named operation, resolves exactly the fields
//! selected (an unknown field is an error, as with Linear), honours arguments
//! given as literals or variables, and pages every connection for real
//! (`first`, default 50, and `after`, an opaque cursor).

use super::state::{State, StoredIssue, StoredRelation, matches, team_matches};
use apollo_compiler::ast::{self, Definition, OperationType, Selection};
use serde_json::{Map, Value, json};

type Fields<'a> = Vec<&'a ast::Field>;

/// Runs `operation` of `document` with `variables`; `Ok` is the `data` object.
pub(super) fn execute(
    state: &State,
    document: &str,
    operation: Option<&str>,
    variables: &Value,
) -> Result<Value, String> {
    let doc = ast::Document::parse(document, "request.graphql")
        .map_err(|e| format!("Syntax Error: {}", e.errors))?;
    let operations: Vec<&ast::OperationDefinition> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::OperationDefinition(op) => Some(&**op),
            _ => None,
        })
        .collect();
    let op = match operation {
        Some(name) => operations
            .iter()
            .find(|op| op.name.as_ref().is_some_and(|n| n.as_str() == name))
            .ok_or_else(|| format!("Unknown operation named \"{name}\"."))?,
        None if operations.len() == 1 => &operations[0],
        None => {
            return Err(
                "Must provide operation name if query contains multiple operations.".into(),
            );
        }
    };
    if op.operation_type != OperationType::Query {
        return Err("the fake Linear answers queries only".into());
    }
    let run = Run { state, variables };
    let mut out = Map::new();
    for field in fields(&op.selection_set)? {
        let value = match field.name.as_str() {
            "issues" => {
                let filter = run.arg(field, "filter");
                let mut picked = Vec::new();
                for issue in &state.issues {
                    if matches(issue, &filter)? {
                        picked.push(issue);
                    }
                }
                run.connection(
                    field,
                    &picked,
                    |i| i.identifier().to_string(),
                    |i, sel| run.issue(i, sel),
                )?
            }
            "teams" => {
                let filter = run.arg(field, "filter");
                let mut picked = Vec::new();
                for key in &state.teams {
                    if team_matches(key, &filter)? {
                        picked.push(key);
                    }
                }
                run.connection(
                    field,
                    &picked,
                    |k| k.to_string(),
                    |k, sel| plain(&json!({ "key": k }), sel, "Team"),
                )?
            }
            "issue" => {
                let id = run.arg(field, "id");
                let id = id.as_str().ok_or("issue: argument id is required")?;
                let issue = state.issue(id).ok_or_else(|| {
                    format!("Entity not found: Issue - Could not find referenced Issue {id}.")
                })?;
                run.issue(issue, &field.selection_set)?
            }
            other => return Err(format!("Cannot query field \"{other}\" on type \"Query\".")),
        };
        out.insert(response_key(field), value);
    }
    Ok(Value::Object(out))
}

/// The fields of a selection set; fragments are not supported by the fake.
fn fields(selections: &[Selection]) -> Result<Fields<'_>, String> {
    selections
        .iter()
        .map(|s| match s {
            Selection::Field(f) => Ok(&**f),
            _ => Err("the fake Linear does not support fragments".to_string()),
        })
        .collect()
}

fn response_key(field: &ast::Field) -> String {
    field.alias.as_ref().unwrap_or(&field.name).to_string()
}

struct Run<'a> {
    state: &'a State,
    variables: &'a Value,
}

impl Run<'_> {
    /// Argument `name` of `field`, variables substituted; `null` when absent.
    fn arg(&self, field: &ast::Field, name: &str) -> Value {
        field
            .arguments
            .iter()
            .find(|a| a.name.as_str() == name)
            .map_or(Value::Null, |a| self.value(&a.value))
    }

    fn value(&self, v: &ast::Value) -> Value {
        match v {
            ast::Value::Null => Value::Null,
            ast::Value::Variable(name) => self.variables[name.as_str()].clone(),
            ast::Value::Enum(e) => Value::from(e.as_str()),
            ast::Value::String(s) => Value::from(s.as_str()),
            ast::Value::Float(f) => f.as_str().parse::<f64>().map_or(Value::Null, Value::from),
            ast::Value::Int(i) => i.as_str().parse::<i64>().map_or(Value::Null, Value::from),
            ast::Value::Boolean(b) => Value::from(*b),
            ast::Value::List(items) => items.iter().map(|i| self.value(i)).collect(),
            ast::Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), self.value(v)))
                    .collect(),
            ),
        }
    }

    /// A connection over `items`: the page `first`/`after` ask for, with
    /// `nodes` and `pageInfo` as selected.
    fn connection<T>(
        &self,
        field: &ast::Field,
        items: &[T],
        cursor: impl Fn(&T) -> String,
        node: impl Fn(&T, &[Selection]) -> Result<Value, String>,
    ) -> Result<Value, String> {
        let first = match self.arg(field, "first") {
            Value::Null => 50,
            v => v
                .as_u64()
                .ok_or_else(|| format!("{}: first must be a positive Int", field.name))?
                as usize,
        };
        let start = match self.arg(field, "after") {
            Value::Null => 0,
            Value::String(after) => {
                items
                    .iter()
                    .position(|i| cursor(i) == after)
                    .ok_or_else(|| format!("{}: unknown cursor {after}", field.name))?
                    + 1
            }
            _ => return Err(format!("{}: after must be a String", field.name)),
        };
        let end = (start + first).min(items.len());
        let page = items.get(start..end).unwrap_or_default();
        let mut out = Map::new();
        for sub in fields(&field.selection_set)? {
            let value = match sub.name.as_str() {
                "nodes" => page
                    .iter()
                    .map(|i| node(i, &sub.selection_set))
                    .collect::<Result<Vec<_>, _>>()?
                    .into(),
                "pageInfo" => plain(
                    &json!({
                        "hasNextPage": end < items.len(),
                        "hasPreviousPage": start > 0,
                        "startCursor": page.first().map(&cursor),
                        "endCursor": page.last().map(&cursor),
                    }),
                    &sub.selection_set,
                    "PageInfo",
                )?,
                other => return Err(format!("the fake does not serve connection field {other}")),
            };
            out.insert(response_key(sub), value);
        }
        Ok(Value::Object(out))
    }

    fn issue(&self, issue: &StoredIssue, selections: &[Selection]) -> Result<Value, String> {
        let id = issue.identifier();
        let mut out = Map::new();
        for field in fields(selections)? {
            let value = match field.name.as_str() {
                "relations" | "inverseRelations" => {
                    let outgoing = field.name.as_str() == "relations";
                    let list: Vec<&StoredRelation> = self
                        .state
                        .relations
                        .iter()
                        .filter(|r| {
                            if outgoing {
                                r.issue == id
                            } else {
                                r.related == id
                            }
                        })
                        .filter(|r| {
                            self.state.issue(&r.issue).is_some()
                                && self.state.issue(&r.related).is_some()
                        })
                        .collect();
                    self.connection(
                        field,
                        &list,
                        |r| format!("{}:{}:{}", r.kind, r.issue, r.related),
                        |r, sel| self.relation(r, sel),
                    )?
                }
                "labels" => {
                    let labels: Vec<Value> = issue.node["labels"]["nodes"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    self.connection(
                        field,
                        &labels,
                        |l| l["name"].as_str().unwrap_or_default().to_string(),
                        |l, sel| plain(l, sel, "IssueLabel"),
                    )?
                }
                "team" => plain(&json!({"key": issue.team}), &field.selection_set, "Team")?,
                name => match issue.node.get(name) {
                    Some(v) => plain(v, &field.selection_set, name)?,
                    None => {
                        return Err(format!("Cannot query field \"{name}\" on type \"Issue\"."));
                    }
                },
            };
            out.insert(response_key(field), value);
        }
        Ok(Value::Object(out))
    }

    fn relation(&self, r: &StoredRelation, selections: &[Selection]) -> Result<Value, String> {
        let mut out = Map::new();
        for field in fields(selections)? {
            let value = match field.name.as_str() {
                "type" => Value::from(r.kind.as_str()),
                "issue" | "relatedIssue" => {
                    let id = if field.name.as_str() == "issue" {
                        &r.issue
                    } else {
                        &r.related
                    };
                    let issue = self.state.issue(id).ok_or("relation to a missing issue")?;
                    self.issue(issue, &field.selection_set)?
                }
                other => {
                    return Err(format!(
                        "Cannot query field \"{other}\" on type \"IssueRelation\"."
                    ));
                }
            };
            out.insert(response_key(field), value);
        }
        Ok(Value::Object(out))
    }
}

/// The selected part of a stored JSON value.
fn plain(value: &Value, selections: &[Selection], what: &str) -> Result<Value, String> {
    if selections.is_empty() {
        return Ok(value.clone());
    }
    match value {
        Value::Null => Ok(Value::Null),
        Value::Array(items) => items
            .iter()
            .map(|i| plain(i, selections, what))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::from),
        Value::Object(map) => {
            let mut out = Map::new();
            for field in fields(selections)? {
                let v = map
                    .get(field.name.as_str())
                    .ok_or_else(|| format!("Cannot query field \"{}\" on {what}.", field.name))?;
                out.insert(
                    response_key(field),
                    plain(v, &field.selection_set, field.name.as_str())?,
                );
            }
            Ok(Value::Object(out))
        }
        _ => Err(format!("{what} has no fields to select")),
    }
}
