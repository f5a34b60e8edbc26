//! GraphQL conformance: every query document in `graphql/github/` and
//! `graphql/linear/` validates against that folder's subset schema
//! (`schema.graphql`, which graphql_client's derive uses) and against the real
//! schema in `../shared/schemas/` (or `$OPS_SHARED_SCHEMAS`), and each subset
//! declares only what the real schema has, identically. Without the real
//! schemas only the subsets are checked (said on stderr); a folder that does
//! not exist yet is skipped.

use apollo_compiler::Schema;
use apollo_compiler::validation::Valid;
use ops_testkit::graphql::{
    check_query_folder, load_full_schema, load_subset_schema, schema_validation_issues,
    shared_schemas_dir, subset_drift, validate_against,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Each query folder and the real schema it is checked against.
const FOLDERS: [(&str, &str); 2] = [("github", "github.graphql"), ("linear", "linear.graphql")];

fn query_folder(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("graphql")
        .join(name)
}

/// The real schema `file`, loaded once for all the tests; `None` (said on
/// stderr) when the real schemas are absent.
fn full_schema(file: &str) -> Option<&'static Valid<Schema>> {
    static LOADED: OnceLock<Mutex<BTreeMap<String, &'static Valid<Schema>>>> = OnceLock::new();
    let Some(schemas) = shared_schemas_dir() else {
        eprintln!(
            "the real schemas are absent (no ../shared/schemas, OPS_SHARED_SCHEMAS unset): \
             {file} is not checked"
        );
        return None;
    };
    let mut loaded = LOADED.get_or_init(Mutex::default).lock().unwrap();
    let schema = loaded.entry(file.to_owned()).or_insert_with(|| {
        let path = schemas.join(file);
        let sdl = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let schema = load_full_schema(&sdl, file)
            .unwrap_or_else(|e| panic!("{} does not parse:\n{e}", path.display()));
        Box::leak(Box::new(schema))
    });
    Some(*schema)
}

fn check(folder: &str, full_schema_file: &str) {
    let dir = query_folder(folder);
    if !dir.is_dir() {
        eprintln!("{}: no such folder yet, nothing to check", dir.display());
        return;
    }
    let full = full_schema(full_schema_file);
    if full.is_none() {
        eprintln!("checking {folder}'s documents against its subset schema only");
    }
    let problems = check_query_folder(&dir, full);
    assert!(
        problems.is_empty(),
        "{} problem(s) in {}:\n{}",
        problems.len(),
        dir.display(),
        problems.join("\n")
    );
}

#[test]
fn github_documents_conform_to_the_subset_and_the_real_schema() {
    check(FOLDERS[0].0, FOLDERS[0].1);
}

#[test]
fn linear_documents_conform_to_the_subset_and_the_real_schema() {
    check(FOLDERS[1].0, FOLDERS[1].1);
}

/// The real schemas load (parse and build); whatever apollo-compiler's
/// whole-schema validation reports about them is listed on stderr and set
/// aside, since it is the API's, not ours.
#[test]
fn the_real_schemas_parse() {
    let Some(schemas) = shared_schemas_dir() else {
        eprintln!("the real schemas are absent: nothing to parse");
        return;
    };
    for (_, file) in FOLDERS {
        let path = schemas.join(file);
        let sdl = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let issues = schema_validation_issues(&sdl, file)
            .unwrap_or_else(|e| panic!("{} does not parse:\n{e}", path.display()));
        if !issues.is_empty() {
            eprintln!(
                "{file}: {} schema issue(s) of the API set aside, e.g. {}",
                issues.len(),
                issues[0]
            );
        }
    }
}

/// The checks bite on the real schemas too: a document the real GitHub API
/// accepts passes, a misspelled field fails naming it, and a subset that
/// gets a type wrong is reported as drift.
#[test]
fn the_real_github_schema_catches_a_misspelled_field_and_a_drifted_subset() {
    let Some(full) = full_schema("github.graphql") else {
        return;
    };
    let good = "query Prs($owner: String!, $name: String!) {\n  \
        r0: repository(owner: $owner, name: $name) {\n    \
        pullRequests(first: 50, states: [OPEN]) { nodes { number isDraft reviewDecision mergeable } pageInfo { hasNextPage endCursor } }\n  \
        }\n}\n";
    assert_eq!(validate_against(full, good, "prs.graphql"), Ok(()));
    let bad = good.replace("isDraft", "isDrafted");
    let err = validate_against(full, &bad, "prs.graphql").unwrap_err();
    assert!(
        err.contains("isDrafted") && err.contains("PullRequest"),
        "{err}"
    );
    assert!(err.starts_with("prs.graphql:3:"), "{err}");

    let subset = load_subset_schema(
        "type Query { repository(owner: String!, name: String!, followRenames: Boolean): Repository }\n\
         type Repository { nameWithOwner: String! isArchived: Boolean! }",
        "schema.graphql",
    )
    .unwrap();
    assert_eq!(subset_drift(&subset, full), Vec::<String>::new());
    let drifted = load_subset_schema(
        "type Query { repository(owner: String!, name: String!): Repository }\n\
         type Repository { nameWithOwner: String! isArchived: String }",
        "schema.graphql",
    )
    .unwrap();
    assert_eq!(
        subset_drift(&drifted, full),
        ["Repository.isArchived: type String in the subset, Boolean! in the full schema"]
    );
}

/// The same for Linear: a real issues query passes, a wrong field fails.
#[test]
fn the_real_linear_schema_catches_a_misspelled_field() {
    let Some(full) = full_schema("linear.graphql") else {
        return;
    };
    let good = "query Issues($after: String) { issues(first: 50, after: $after) { nodes { identifier priority state { type } } pageInfo { hasNextPage endCursor } } }";
    assert_eq!(validate_against(full, good, "issues.graphql"), Ok(()));
    let err =
        validate_against(full, &good.replace("identifier", "ident"), "issues.graphql").unwrap_err();
    assert!(err.contains("ident"), "{err}");
}
