//! GraphQL documents checked against schemas with apollo-compiler, for the
//! remote sources' conformance tests: query documents against the subset
//! schemas written in the repository and against the real (full) schemas,
//! and each subset schema against its full schema so it can never drift from
//! the real API.
//!
//! The full GitHub schema is not entirely valid under apollo-compiler's
//! whole-schema validation, so a full schema is loaded leniently
//! ([`load_full_schema`]): it must parse and build, and validation issues of
//! the schema itself are set aside (`Valid::assume_valid`). Subset schemas,
//! which we write, are loaded strictly ([`load_subset_schema`]).

use apollo_compiler::ast::{FieldDefinition, InputValueDefinition};
use apollo_compiler::collections::IndexMap;
use apollo_compiler::schema::{Component, ExtendedType};
use apollo_compiler::validation::{DiagnosticList, Valid};
use apollo_compiler::{ExecutableDocument, Name, Schema};
use std::path::{Path, PathBuf};

/// Validates `document` (operations and fragments) against the schema
/// `schema_sdl`. The schema is loaded leniently ([`load_full_schema`]), so
/// this works for both a subset and a full schema. `Err` lists every problem,
/// one per line, with `schema_name`/`document` line and column.
pub fn validate_document(
    schema_sdl: &str,
    schema_name: &str,
    document: &str,
) -> Result<(), String> {
    let schema = load_full_schema(schema_sdl, schema_name)?;
    validate_against(&schema, document, "document.graphql")
}

/// Validates `document` (named `document_name` in messages) against a loaded schema.
pub fn validate_against(
    schema: &Valid<Schema>,
    document: &str,
    document_name: &str,
) -> Result<(), String> {
    ExecutableDocument::parse_and_validate(schema, document, document_name)
        .map(|_| ())
        .map_err(|e| summarize(document_name, &e.errors))
}

/// Loads a schema we wrote: it must parse, build and validate.
pub fn load_subset_schema(sdl: &str, name: &str) -> Result<Valid<Schema>, String> {
    Schema::parse_and_validate(sdl, name).map_err(|e| summarize(name, &e.errors))
}

/// Loads a real API's schema: it must parse (no syntax error); problems in
/// the schema itself, which are the API's and not ours, are set aside: fields
/// defined twice (the first definition is kept; the GitHub schema has two)
/// and whatever whole-schema validation reports (`Valid::assume_valid`).
pub fn load_full_schema(sdl: &str, name: &str) -> Result<Valid<Schema>, String> {
    lenient(sdl, name).map(|(schema, _)| schema)
}

/// What [`load_full_schema`] sets aside for `sdl`, one line per issue
/// (empty for a fully valid schema); `Err` on a syntax error.
pub fn schema_validation_issues(sdl: &str, name: &str) -> Result<Vec<String>, String> {
    lenient(sdl, name).map(|(_, issues)| issues)
}

fn lenient(sdl: &str, name: &str) -> Result<(Valid<Schema>, Vec<String>), String> {
    apollo_compiler::ast::Document::parse(sdl, name).map_err(|e| summarize(name, &e.errors))?;
    let mut issues = Vec::new();
    let schema = Schema::parse(sdl, name).unwrap_or_else(|built| {
        issues.push(summarize(name, &built.errors));
        built.partial
    });
    let schema = schema.validate().unwrap_or_else(|invalid| {
        issues.push(summarize(name, &invalid.errors));
        Valid::assume_valid(invalid.partial)
    });
    let issues = issues
        .iter()
        .flat_map(|i| i.lines())
        .map(str::to_owned)
        .collect();
    Ok((schema, issues))
}

/// One line per problem: `name:line:column: message`.
fn summarize(name: &str, errors: &DiagnosticList) -> String {
    errors
        .iter()
        .map(|d| {
            let e = d.to_json();
            match e.locations.first() {
                Some(at) => format!("{name}:{}:{}: {}", at.line, at.column, e.message),
                None => format!("{name}: {}", e.message),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every way `subset` differs from `full` where it declares something: a
/// type missing or of another kind, a field, argument or input field missing
/// or with another type, an enum value or union member missing, an interface
/// not implemented, an argument or input field the full schema requires and
/// the subset leaves out, another query root. Empty when the subset is a true
/// subset.
pub fn subset_drift(subset: &Schema, full: &Schema) -> Vec<String> {
    let mut drift = Vec::new();
    let roots = (
        subset
            .schema_definition
            .query
            .as_ref()
            .map(|n| n.name.as_str()),
        full.schema_definition
            .query
            .as_ref()
            .map(|n| n.name.as_str()),
    );
    if roots.0.is_some() && roots.0 != roots.1 {
        drift.push(format!(
            "query root: subset {:?}, full schema {:?}",
            roots.0, roots.1
        ));
    }
    for (name, ty) in &subset.types {
        if ty.is_built_in() {
            continue;
        }
        let Some(real) = full.types.get(name) else {
            drift.push(format!("type {name}: not in the full schema"));
            continue;
        };
        match (ty, real) {
            (ExtendedType::Scalar(_), ExtendedType::Scalar(_)) => {}
            (ExtendedType::Object(s), ExtendedType::Object(f)) => {
                fields(&mut drift, name, &s.fields, &f.fields);
                interfaces(
                    &mut drift,
                    name,
                    s.implements_interfaces.iter().map(|n| &n.name),
                    f.implements_interfaces.iter().map(|n| &n.name),
                );
            }
            (ExtendedType::Interface(s), ExtendedType::Interface(f)) => {
                fields(&mut drift, name, &s.fields, &f.fields);
                interfaces(
                    &mut drift,
                    name,
                    s.implements_interfaces.iter().map(|n| &n.name),
                    f.implements_interfaces.iter().map(|n| &n.name),
                );
            }
            (ExtendedType::Union(s), ExtendedType::Union(f)) => {
                for member in &s.members {
                    if !f.members.contains(member) {
                        drift.push(format!(
                            "union {name}: member {} not in the full schema",
                            member.name
                        ));
                    }
                }
            }
            (ExtendedType::Enum(s), ExtendedType::Enum(f)) => {
                for value in s.values.keys() {
                    if !f.values.contains_key(value) {
                        drift.push(format!("enum {name}: value {value} not in the full schema"));
                    }
                }
            }
            (ExtendedType::InputObject(s), ExtendedType::InputObject(f)) => {
                inputs(
                    &mut drift,
                    &format!("input {name}"),
                    s.fields.values().map(|c| &***c),
                    f.fields.values().map(|c| &***c),
                );
            }
            _ => drift.push(format!(
                "type {name}: {} in the subset, {} in the full schema",
                kind(ty),
                kind(real)
            )),
        }
    }
    drift
}

fn kind(ty: &ExtendedType) -> &'static str {
    match ty {
        ExtendedType::Scalar(_) => "a scalar",
        ExtendedType::Object(_) => "an object",
        ExtendedType::Interface(_) => "an interface",
        ExtendedType::Union(_) => "a union",
        ExtendedType::Enum(_) => "an enum",
        ExtendedType::InputObject(_) => "an input object",
    }
}

fn fields(
    drift: &mut Vec<String>,
    ty: &Name,
    subset: &IndexMap<Name, Component<FieldDefinition>>,
    full: &IndexMap<Name, Component<FieldDefinition>>,
) {
    for (name, field) in subset {
        let Some(real) = full.get(name) else {
            drift.push(format!("{ty}.{name}: not in the full schema"));
            continue;
        };
        if field.ty != real.ty {
            drift.push(format!(
                "{ty}.{name}: type {} in the subset, {} in the full schema",
                field.ty, real.ty
            ));
        }
        inputs(
            drift,
            &format!("{ty}.{name}"),
            field.arguments.iter().map(|a| &**a),
            real.arguments.iter().map(|a| &**a),
        );
    }
}

/// Arguments of a field or fields of an input object.
fn inputs<'a>(
    drift: &mut Vec<String>,
    owner: &str,
    subset: impl Iterator<Item = &'a InputValueDefinition>,
    full: impl Iterator<Item = &'a InputValueDefinition>,
) {
    let full: Vec<&InputValueDefinition> = full.collect();
    let mut declared = Vec::new();
    for input in subset {
        declared.push(&input.name);
        match full.iter().find(|f| f.name == input.name) {
            None => drift.push(format!("{owner}({}): not in the full schema", input.name)),
            Some(real) if real.ty != input.ty => drift.push(format!(
                "{owner}({}): type {} in the subset, {} in the full schema",
                input.name, input.ty, real.ty
            )),
            Some(_) => {}
        }
    }
    for real in full {
        if real.ty.is_non_null() && real.default_value.is_none() && !declared.contains(&&real.name)
        {
            drift.push(format!(
                "{owner}({}): required ({}) in the full schema, missing from the subset",
                real.name, real.ty
            ));
        }
    }
}

fn interfaces<'a>(
    drift: &mut Vec<String>,
    ty: &Name,
    subset: impl Iterator<Item = &'a Name>,
    full: impl Iterator<Item = &'a Name> + Clone,
) {
    for interface in subset {
        if !full.clone().any(|f| f == interface) {
            drift.push(format!(
                "{ty}: implements {interface} in the subset, not in the full schema"
            ));
        }
    }
}

/// Where the real schemas are: `$OPS_SHARED_SCHEMAS` (panics when it names
/// no folder: a test must not quietly check less than asked), else
/// `<workspace root>/../shared/schemas`; `None` when that folder is absent.
pub fn shared_schemas_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OPS_SHARED_SCHEMAS").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "OPS_SHARED_SCHEMAS={} is not a folder",
            dir.display()
        );
        return Some(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas");
    dir.is_dir().then_some(dir)
}

/// Checks one folder of query documents: `schema.graphql` (the subset)
/// loads strictly, every other `*.graphql` file validates against it and,
/// when given, against `full`, and the subset does not drift from `full`.
/// Returns every problem found (empty when all is well).
pub fn check_query_folder(dir: &Path, full: Option<&Valid<Schema>>) -> Vec<String> {
    let mut problems = Vec::new();
    let schema_path = dir.join("schema.graphql");
    let subset = match std::fs::read_to_string(&schema_path) {
        Ok(sdl) => match load_subset_schema(&sdl, &schema_path.display().to_string()) {
            Ok(s) => Some(s),
            Err(e) => {
                problems.push(format!(
                    "{}: not a valid schema:\n{e}",
                    schema_path.display()
                ));
                None
            }
        },
        Err(e) => {
            problems.push(format!("{}: cannot be read: {e}", schema_path.display()));
            None
        }
    };
    if let (Some(subset), Some(full)) = (&subset, full) {
        for d in subset_drift(subset, full) {
            problems.push(format!(
                "{}: drifted from the full schema: {d}",
                schema_path.display()
            ));
        }
    }
    let mut documents: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "graphql") && *p != schema_path)
            .collect(),
        Err(e) => {
            problems.push(format!("{}: cannot be listed: {e}", dir.display()));
            Vec::new()
        }
    };
    documents.sort();
    for path in documents {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{name}: cannot be read: {e}"));
                continue;
            }
        };
        for (schema, which) in [
            (subset.as_ref(), "the subset schema"),
            (full, "the full schema"),
        ] {
            if let Some(schema) = schema
                && let Err(e) = validate_against(schema, &text, &name)
            {
                problems.push(format!("{name}: invalid against {which}:\n{e}"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
        schema { query: Query }
        scalar DateTime
        type Query { repository(owner: String!, name: String!): Repository }
        interface Node { id: ID! }
        type Repository implements Node {
          id: ID!
          name: String!
          pushedAt: DateTime
          pullRequests(first: Int, states: [PullRequestState!]): PullRequestConnection!
        }
        type PullRequestConnection { totalCount: Int! }
        enum PullRequestState { OPEN CLOSED MERGED }
        input Filter { state: PullRequestState! limit: Int = 10 }
    "#;

    #[test]
    fn a_valid_document_passes() {
        let doc = "query Q($o: String!) { repository(owner: $o, name: \"x\") { ...R } }\n\
                   fragment R on Repository { name pullRequests(first: 5, states: [OPEN]) { totalCount } }";
        assert_eq!(validate_document(SCHEMA, "schema.graphql", doc), Ok(()));
    }

    #[test]
    fn a_misspelled_field_is_caught_and_named() {
        let doc = "query Q { repository(owner: \"o\", name: \"x\") { nmae } }";
        let err = validate_document(SCHEMA, "schema.graphql", doc).unwrap_err();
        assert!(err.contains("nmae"), "{err}");
        assert!(err.contains("Repository"), "{err}");
        assert!(err.contains("document.graphql:1:"), "{err}");
    }

    #[test]
    fn a_wrong_argument_and_an_unknown_enum_value_are_caught() {
        let doc = "query Q { repository(owner: \"o\", name: \"x\") { pullRequests(frist: 5, states: [DRAFT]) { totalCount } } }";
        let err = validate_document(SCHEMA, "schema.graphql", doc).unwrap_err();
        assert!(err.contains("frist"), "{err}");
        assert!(err.contains("DRAFT"), "{err}");
    }

    #[test]
    fn a_syntax_error_in_the_schema_is_reported() {
        let err = validate_document("type Query {", "broken.graphql", "{ x }").unwrap_err();
        assert!(err.contains("broken.graphql"), "{err}");
    }

    fn drift(subset: &str) -> Vec<String> {
        let full = load_full_schema(SCHEMA, "full.graphql").unwrap();
        let subset = load_subset_schema(subset, "subset.graphql").unwrap();
        subset_drift(&subset, &full)
    }

    #[test]
    fn a_true_subset_has_no_drift() {
        let subset = r#"
            scalar DateTime
            type Query { repository(owner: String!, name: String!): Repository }
            type Repository { name: String! pushedAt: DateTime pullRequests(states: [PullRequestState!]): PullRequestConnection! }
            type PullRequestConnection { totalCount: Int! }
            enum PullRequestState { OPEN MERGED }
            input Filter { state: PullRequestState! }
        "#;
        assert_eq!(drift(subset), Vec::<String>::new());
    }

    #[test]
    fn every_kind_of_drift_is_named() {
        let subset = r#"
            scalar DateTime
            type Query { repository(owner: String!): Repository }
            type Repository { name: String pushedAt: String stars: Int! pullRequests(first: String): PullRequestConnection! }
            type PullRequestConnection { totalCount: Int! }
            enum PullRequestState { OPEN DRAFT }
            input Filter { limit: Int }
            type Ghost { id: ID }
            enum Node { A }
        "#;
        let found = drift(subset);
        for expected in [
            "Query.repository(name): required (String!) in the full schema, missing from the subset",
            "Repository.name: type String in the subset, String! in the full schema",
            "Repository.pushedAt: type String in the subset, DateTime in the full schema",
            "Repository.stars: not in the full schema",
            "Repository.pullRequests(first): type String in the subset, Int in the full schema",
            "enum PullRequestState: value DRAFT not in the full schema",
            "input Filter(state): required (PullRequestState!) in the full schema, missing from the subset",
            "type Ghost: not in the full schema",
            "type Node: an enum in the subset, an interface in the full schema",
        ] {
            assert!(
                found.iter().any(|d| d == expected),
                "missing {expected:?} in {found:#?}"
            );
        }
        assert_eq!(found.len(), 9, "{found:#?}");
    }

    #[test]
    fn a_folder_with_a_wrong_document_fails_and_names_file_and_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("schema.graphql"), SCHEMA).unwrap();
        std::fs::write(
            dir.path().join("good.graphql"),
            "query Good { repository(owner: \"o\", name: \"x\") { name } }",
        )
        .unwrap();
        let full = load_full_schema(SCHEMA, "full.graphql").unwrap();
        assert_eq!(
            check_query_folder(dir.path(), Some(&full)),
            Vec::<String>::new()
        );

        std::fs::write(
            dir.path().join("bad.graphql"),
            "query Bad { repository(owner: \"o\", name: \"x\") { pushedAtt } }",
        )
        .unwrap();
        let problems = check_query_folder(dir.path(), Some(&full));
        assert_eq!(problems.len(), 2, "subset and full: {problems:#?}");
        assert!(
            problems
                .iter()
                .all(|p| p.contains("bad.graphql") && p.contains("pushedAtt")),
            "{problems:#?}"
        );
    }
}
