//! The Linear query documents are valid against the subset schema that
//! generates their Rust types, and against Linear's full schema when
//! `../shared/schemas` is present.

use apollo_compiler::{ExecutableDocument, Schema};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql/linear")
}

fn documents() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir())
        .expect("read graphql/linear")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
        .filter(|p| p.file_name().is_some_and(|n| n != "schema.graphql"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read document");
            (p.display().to_string(), text)
        })
        .collect();
    out.sort();
    out
}

fn check_against(schema_path: &Path) {
    let text = std::fs::read_to_string(schema_path).expect("read schema");
    let schema = Schema::parse_and_validate(text, schema_path).expect("the schema is valid");
    let docs = documents();
    assert!(docs.len() >= 2, "both query documents are found");
    for (path, text) in docs {
        if let Err(e) = ExecutableDocument::parse_and_validate(&schema, text, &path) {
            panic!("{path} against {}: {e}", schema_path.display());
        }
    }
}

#[test]
fn linear_documents_are_valid_against_the_subset_schema() {
    check_against(&dir().join("schema.graphql"));
}

#[test]
fn linear_documents_are_valid_against_the_full_schema_when_present() {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas/linear.graphql");
    if full.exists() {
        check_against(&full);
    }
}

#[test]
fn linear_subset_schema_declares_only_what_the_full_schema_declares() {
    use apollo_compiler::schema::ExtendedType;
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas/linear.graphql");
    if !full.exists() {
        return;
    }
    let load = |p: &Path| {
        let text = std::fs::read_to_string(p).expect("read schema");
        Schema::parse_and_validate(text, p).expect("valid schema")
    };
    let (subset, full) = (load(&dir().join("schema.graphql")), load(&full));
    for (name, ty) in &subset.types {
        if ty.is_built_in() {
            continue;
        }
        let theirs = full
            .types
            .get(name)
            .unwrap_or_else(|| panic!("type {name} is not in the full schema"));
        match (ty, theirs) {
            (ExtendedType::Object(ours), ExtendedType::Object(theirs)) => {
                for (field, def) in &ours.fields {
                    let t = theirs
                        .fields
                        .get(field)
                        .unwrap_or_else(|| panic!("{name}.{field} is not in the full schema"));
                    assert_eq!(def.ty, t.ty, "{name}.{field}'s type");
                    for arg in &def.arguments {
                        let a = t
                            .arguments
                            .iter()
                            .find(|a| a.name == arg.name)
                            .unwrap_or_else(|| panic!("{name}.{field}({}) is unknown", arg.name));
                        assert_eq!(arg.ty, a.ty, "{name}.{field}({})", arg.name);
                        assert_eq!(arg.default_value, a.default_value);
                    }
                }
            }
            (ExtendedType::InputObject(ours), ExtendedType::InputObject(theirs)) => {
                for (field, def) in &ours.fields {
                    let t = theirs
                        .fields
                        .get(field)
                        .unwrap_or_else(|| panic!("{name}.{field} is not in the full schema"));
                    assert_eq!(def.ty, t.ty, "{name}.{field}'s type");
                }
            }
            _ => panic!("{name} is not the same kind of type in both schemas"),
        }
    }
}
