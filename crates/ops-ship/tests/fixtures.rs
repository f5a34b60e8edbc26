//! The merge-answer classification against the documented real GitHub error bodies
//! in `../shared/fixtures/github` (read when present; the same facts are also in
//! the unit tests of `github::answers`, written by hand).

use ops_ship::github::answers::{MergeAnswer, classify_merge, pull_already_exists};
use serde_json::Value;
use std::path::PathBuf;

fn known_error_bodies() -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/github/errors/known-error-bodies.json");
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).expect("the fixture file is JSON"))
}

fn message(body: &Value) -> String {
    let mut m = body["message"].as_str().unwrap_or_default().to_string();
    for e in body["errors"].as_array().into_iter().flatten() {
        m.push_str(": ");
        m.push_str(e["message"].as_str().unwrap_or_default());
    }
    m
}

#[test]
fn every_documented_merge_refusal_is_classified_with_the_documented_retry_rule() {
    let Some(doc) = known_error_bodies() else {
        return; // ../shared is not there (a checkout outside the workspace's parent)
    };
    let mut merge_cases = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let endpoint = case["endpoint"].as_str().unwrap_or_default();
        let status = u16::try_from(case["status"].as_u64().unwrap_or(0)).unwrap_or(0);
        let msg = message(&case["body"]);
        let retry = case["retry"].as_str().unwrap_or_default();
        if endpoint.starts_with("PUT") && endpoint.ends_with("/merge") {
            merge_cases += 1;
            let got = classify_merge(status, &msg);
            assert_ne!(got, MergeAnswer::Other, "{status} {msg}");
            assert_eq!(
                got == MergeAnswer::BaseModified,
                retry.starts_with("yes"),
                "{status} {msg}: {got:?} vs retry {retry:?}"
            );
            if retry.starts_with("never blindly") {
                assert_eq!(got, MergeAnswer::HeadModified, "{msg}");
            }
            if retry.starts_with("wait for checks") {
                assert_eq!(got, MergeAnswer::RequiredCheckExpected, "{msg}");
            }
        }
        if endpoint.starts_with("POST") && endpoint.ends_with("/pulls") {
            assert!(pull_already_exists(status, &msg), "{msg}");
        }
    }
    assert!(merge_cases >= 8, "the fixture lists the merge refusals");
}
