//! Answering a GraphQL document from the seeded repositories: the document is
//! parsed with apollo-compiler; root `repository(owner, name)` fields (aliased
//! or not) are answered from the state with exactly the fields selected
//! (fragments, inline fragments on a `__typename`), connections honour
//! `states`, `first` (at most 100, as GitHub) and `after` with opaque cursors.

use apollo_compiler::ast::{self, Definition, Selection};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// What a request needs from the state.
pub trait Repositories {
    /// The repository `owner/name` (case-insensitive), as seeded.
    fn repository(&self, slug: &str) -> Option<&Value>;
}

/// The response body for `query` with `variables`.
pub fn execute(repos: &dyn Repositories, query: &str, variables: &Map<String, Value>) -> Value {
    let doc = match ast::Document::parse(query, "query.graphql") {
        Ok(doc) => doc,
        Err(e) => return json!({"errors": [{"message": format!("Parse error: {}", e.errors)}]}),
    };
    let mut fragments = HashMap::new();
    let mut operation = None;
    for def in &doc.definitions {
        match def {
            Definition::FragmentDefinition(f) => {
                fragments.insert(f.name.to_string(), f);
            }
            Definition::OperationDefinition(op) if operation.is_none() => operation = Some(op),
            _ => {}
        }
    }
    let Some(operation) = operation else {
        return json!({"errors": [{"message": "No operation given"}]});
    };
    let mut ctx = Ctx {
        fragments,
        variables,
        errors: Vec::new(),
    };
    let mut data = Map::new();
    for selection in &operation.selection_set {
        let Selection::Field(field) = selection else {
            continue;
        };
        let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
        if field.name != "repository" {
            ctx.errors.push(json!({
                "path": [key], "extensions": {"code": "undefinedField", "typeName": "Query", "fieldName": field.name.as_str()},
                "message": format!("Field '{}' doesn't exist on type 'Query'", field.name),
            }));
            continue;
        }
        let args = ctx.arguments(field);
        let owner = args
            .get("owner")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = args.get("name").and_then(Value::as_str).unwrap_or_default();
        let slug = format!("{owner}/{name}");
        match repos.repository(&slug) {
            Some(repo) => {
                let value = ctx.select(repo, &field.selection_set, std::slice::from_ref(&key));
                data.insert(key, value);
            }
            None => {
                data.insert(key.clone(), Value::Null);
                ctx.errors.push(json!({
                    "type": "NOT_FOUND", "path": [key], "locations": [{"line": 1, "column": 1}],
                    "message": format!("Could not resolve to a Repository with the name '{slug}'."),
                }));
            }
        }
    }
    let mut body = json!({"data": data});
    if !ctx.errors.is_empty() {
        body["errors"] = Value::Array(ctx.errors);
    }
    body
}

struct Ctx<'a> {
    fragments: HashMap<String, &'a apollo_compiler::Node<ast::FragmentDefinition>>,
    variables: &'a Map<String, Value>,
    errors: Vec<Value>,
}

impl Ctx<'_> {
    fn arguments(&self, field: &ast::Field) -> BTreeMap<String, Value> {
        field
            .arguments
            .iter()
            .map(|a| (a.name.to_string(), self.value(&a.value)))
            .collect()
    }

    fn value(&self, v: &ast::Value) -> Value {
        match v {
            ast::Value::Null => Value::Null,
            ast::Value::Enum(e) => Value::String(e.to_string()),
            ast::Value::Variable(name) => self
                .variables
                .get(name.as_str())
                .cloned()
                .unwrap_or(Value::Null),
            ast::Value::String(s) => Value::String(s.clone()),
            ast::Value::Float(f) => json!(f.try_to_f64().unwrap_or(0.0)),
            ast::Value::Int(i) => json!(i.try_to_i32().unwrap_or(0)),
            ast::Value::Boolean(b) => Value::Bool(*b),
            ast::Value::List(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            ast::Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), self.value(v)))
                    .collect(),
            ),
        }
    }

    /// `node` with only the fields `selection` asks for.
    fn select(&mut self, node: &Value, selection: &[Selection], path: &[String]) -> Value {
        let mut out = Map::new();
        self.select_into(node, selection, path, &mut out);
        Value::Object(out)
    }

    fn select_into(
        &mut self,
        node: &Value,
        selection: &[Selection],
        path: &[String],
        out: &mut Map<String, Value>,
    ) {
        for s in selection {
            match s {
                Selection::Field(field) => {
                    let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
                    let mut here = path.to_vec();
                    here.push(key.clone());
                    let value = self.field(node, field, &here);
                    out.insert(key, value);
                }
                Selection::FragmentSpread(spread) => {
                    let Some(fragment) = self.fragments.get(spread.fragment_name.as_str()).copied()
                    else {
                        self.errors.push(json!({"message": format!("Fragment {} was used, but not defined", spread.fragment_name)}));
                        continue;
                    };
                    if applies(node, fragment.type_condition.as_str()) {
                        self.select_into(node, &fragment.selection_set, path, out);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let ok = inline
                        .type_condition
                        .as_ref()
                        .is_none_or(|t| applies(node, t.as_str()));
                    if ok {
                        self.select_into(node, &inline.selection_set, path, out);
                    }
                }
            }
        }
    }

    fn field(&mut self, node: &Value, field: &ast::Field, path: &[String]) -> Value {
        let name = field.name.as_str();
        if name == "__typename" {
            return node.get("__typename").cloned().unwrap_or(Value::Null);
        }
        let args = self.arguments(field);
        let raw = if name == "ref" {
            let wanted = args
                .get("qualifiedName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            node.pointer("/refs/nodes")
                .and_then(Value::as_array)
                .and_then(|refs| {
                    refs.iter().find(|r| {
                        let n = r["name"].as_str().unwrap_or_default();
                        n == wanted || format!("refs/heads/{n}") == wanted
                    })
                })
                .cloned()
                .unwrap_or(Value::Null)
        } else {
            node.get(name).cloned().unwrap_or(Value::Null)
        };
        if let Some(nodes) = raw
            .get("nodes")
            .and_then(Value::as_array)
            .filter(|_| !field.selection_set.is_empty())
        {
            match connection(nodes, &args) {
                Ok(conn) => return self.select(&conn, &field.selection_set, path),
                Err(message) => {
                    self.errors.push(json!({"type": "INVALID_CURSOR_ARGUMENTS", "path": path, "message": message}));
                    return Value::Null;
                }
            }
        }
        self.shape(&raw, field, path)
    }

    fn shape(&mut self, raw: &Value, field: &ast::Field, path: &[String]) -> Value {
        if field.selection_set.is_empty() {
            return raw.clone();
        }
        match raw {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.shape(item, field, path))
                    .collect(),
            ),
            Value::Object(_) => self.select(raw, &field.selection_set, path),
            other => other.clone(),
        }
    }
}

/// Whether a fragment on `condition` applies to `node`.
fn applies(node: &Value, condition: &str) -> bool {
    match node.get("__typename").and_then(Value::as_str) {
        None => true,
        Some(t) => {
            t == condition || matches!((t, condition), ("Commit", "GitObject") | (_, "Node"))
        }
    }
}

/// A cursor for position `i` (opaque to clients, like GitHub's base64 ones).
pub fn cursor(i: usize) -> String {
    format!("Y3Vyc29yOnYyOp{i:x}")
}

fn position(cursor: &str) -> Option<usize> {
    usize::from_str_radix(cursor.strip_prefix("Y3Vyc29yOnYyOp")?, 16).ok()
}

/// A connection object (`totalCount`, `pageInfo`, `nodes`) over `all`.
fn connection(all: &[Value], args: &BTreeMap<String, Value>) -> Result<Value, String> {
    // A single value where a list is expected is a list of one (input coercion).
    let states: Option<Vec<&str>> = match args.get("states") {
        Some(Value::Array(s)) => Some(s.iter().filter_map(Value::as_str).collect()),
        Some(Value::String(s)) => Some(vec![s.as_str()]),
        _ => None,
    };
    let kept: Vec<&Value> = all
        .iter()
        .filter(
            |n| match (&states, n.get("state").and_then(Value::as_str)) {
                (Some(states), Some(state)) => states.contains(&state),
                _ => true,
            },
        )
        .collect();
    let first = match args.get("first") {
        Some(Value::Number(n)) => {
            let n = n.as_u64().unwrap_or(0) as usize;
            if n > 100 {
                return Err(format!(
                    "Requesting {n} records on the connection exceeds the `first` limit of 100 records."
                ));
            }
            n
        }
        _ => 100,
    };
    let start = match args.get("after").and_then(Value::as_str) {
        Some(c) => {
            position(c).ok_or_else(|| format!("`{c}` does not appear to be a valid cursor."))? + 1
        }
        None => 0,
    };
    let end = (start + first).min(kept.len());
    let page: Vec<Value> = kept
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|v| (*v).clone())
        .collect();
    Ok(json!({
        "totalCount": kept.len(),
        "pageInfo": {
            "hasNextPage": end < kept.len(),
            "hasPreviousPage": start > 0,
            "startCursor": if page.is_empty() { Value::Null } else { cursor(start).into() },
            "endCursor": if page.is_empty() { Value::Null } else { cursor(end - 1).into() },
        },
        "nodes": page,
    }))
}
