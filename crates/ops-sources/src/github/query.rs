//! The GraphQL documents the source sends: many repositories per request, one
//! alias each, built at run time from the fragments of `audit.graphql` (whose
//! types graphql_client generates), owners, names, branches and cursors passed
//! as variables so nothing is spliced into the query text.

use graphql_client::GraphQLQuery;
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// GitHub's `URI` scalar (graphql_client looks the scalar up by its GraphQL name).
#[expect(
    clippy::upper_case_acronyms,
    reason = "the scalar's name in GitHub's schema"
)]
type URI = String;
/// GitHub's `GitObjectID` scalar (a commit SHA).
type GitObjectID = String;

/// One repository's open PRs, open issues and branch heads (see
/// `graphql/github/audit.graphql`); the source only uses the fragments' types.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/github/schema.graphql",
    query_path = "graphql/github/audit.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug"
)]
#[expect(
    dead_code,
    reason = "only its generated fragment types are used; the documents sent are built at run time"
)]
pub struct AuditOne;

pub use audit_one::{
    Head, HeadTarget, IssuePage, IssuePageNodes, MergeableState, PrPage, PrPageNodes,
    PullRequestReviewDecision, RepoAudit, StatusState,
};

/// The document `audit.graphql` as written (the fragments are cut from it).
pub const AUDIT_DOCUMENT: &str = include_str!("../../graphql/github/audit.graphql");

/// A branch head's commit and its check rollup (`SUCCESS`, `FAILURE`, `ERROR`,
/// `PENDING`, `EXPECTED`, or what GitHub adds later); `None` when the branch
/// does not exist or its target is not a commit.
pub fn head_commit(head: Option<&Head>) -> Option<(String, Option<String>)> {
    match head?.target.as_ref()? {
        HeadTarget::Commit(c) => Some((
            c.oid.clone(),
            c.status_check_rollup
                .as_ref()
                .map(|r| status_name(&r.state)),
        )),
        #[expect(unreachable_patterns, reason = "GitHub may add kinds of Git objects")]
        _ => None,
    }
}

/// A `StatusState` as GitHub spells it.
fn status_name(state: &StatusState) -> String {
    match state {
        StatusState::ERROR => "ERROR".into(),
        StatusState::EXPECTED => "EXPECTED".into(),
        StatusState::FAILURE => "FAILURE".into(),
        StatusState::PENDING => "PENDING".into(),
        StatusState::SUCCESS => "SUCCESS".into(),
        StatusState::Other(s) => s.clone(),
    }
}

/// What one alias of a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// Everything about a repository: first pages, dev and main heads.
    Full {
        /// `owner`.
        owner: String,
        /// `name`.
        name: String,
        /// `refs/heads/<dev>`.
        dev: String,
        /// `refs/heads/<main>`.
        main: String,
    },
    /// The next page of open pull requests after `after`.
    PullRequests {
        /// `owner`.
        owner: String,
        /// `name`.
        name: String,
        /// The cursor the previous page ended on.
        after: String,
    },
    /// The next page of open issues after `after`.
    Issues {
        /// `owner`.
        owner: String,
        /// `name`.
        name: String,
        /// The cursor the previous page ended on.
        after: String,
    },
}

impl Ask {
    /// The repository asked about: `(owner, name)`.
    pub fn repository(&self) -> (&str, &str) {
        match self {
            Ask::Full { owner, name, .. }
            | Ask::PullRequests { owner, name, .. }
            | Ask::Issues { owner, name, .. } => (owner, name),
        }
    }
}

/// A request's body: `{"query": ..., "variables": ...}`, aliases `a0`, `a1`, ...
/// in the order of `asks`.
pub fn document(asks: &[Ask]) -> Value {
    let mut declared = String::new();
    let mut fields = String::new();
    let mut variables = Map::new();
    let mut used = Vec::new();
    let mut var = |declared: &mut String, name: String, value: &str| {
        let _ = write!(declared, " ${name}: String!");
        variables.insert(name, Value::String(value.to_string()));
    };
    for (i, ask) in asks.iter().enumerate() {
        let (owner, name) = ask.repository();
        var(&mut declared, format!("o{i}"), owner);
        var(&mut declared, format!("n{i}"), name);
        let _ = write!(
            fields,
            "\n  {}: repository(owner: $o{i}, name: $n{i}) {{",
            alias(i)
        );
        match ask {
            Ask::Full { dev, main, .. } => {
                var(&mut declared, format!("d{i}"), &format!("refs/heads/{dev}"));
                var(
                    &mut declared,
                    format!("m{i}"),
                    &format!("refs/heads/{main}"),
                );
                let _ = write!(
                    fields,
                    " ...RepoAudit dev: ref(qualifiedName: $d{i}) {{ ...Head }} \
                     main: ref(qualifiedName: $m{i}) {{ ...Head }} }}"
                );
                used.extend(["RepoAudit", "PrPage", "IssuePage", "Head"]);
            }
            Ask::PullRequests { after, .. } => {
                var(&mut declared, format!("c{i}"), after);
                let _ = write!(
                    fields,
                    " pullRequests(states: OPEN, first: 50, after: $c{i}) {{ ...PrPage }} }}"
                );
                used.push("PrPage");
            }
            Ask::Issues { after, .. } => {
                var(&mut declared, format!("c{i}"), after);
                let _ = write!(
                    fields,
                    " issues(states: OPEN, first: 50, after: $c{i}) {{ ...IssuePage }} }}"
                );
                used.push("IssuePage");
            }
        }
    }
    let mut query = format!("query Audit({}) {{{fields}\n}}\n", declared.trim_start());
    for (name, text) in fragments() {
        if used.contains(&name) {
            query.push('\n');
            query.push_str(&text);
        }
    }
    serde_json::json!({ "query": query, "variables": variables })
}

/// The alias of the `i`th ask.
pub fn alias(i: usize) -> String {
    format!("a{i}")
}

/// The fragments of [`AUDIT_DOCUMENT`], by name, each with its text.
fn fragments() -> Vec<(&'static str, String)> {
    AUDIT_DOCUMENT
        .split("\nfragment ")
        .skip(1)
        .map(|part| {
            let name = part.split_whitespace().next().unwrap_or_default();
            (name, format!("fragment {}", part.trim_end()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_fragments_are_cut_from_the_document() {
        let names: Vec<&str> = fragments().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["RepoAudit", "PrPage", "IssuePage", "Head"]);
        for (name, text) in fragments() {
            assert!(text.starts_with(&format!("fragment {name} on ")));
            assert!(text.ends_with('}'), "{name}: {text}");
        }
    }

    #[test]
    fn owners_and_names_travel_as_variables_not_query_text() {
        let body = document(&[Ask::Full {
            owner: "o\"quoted".into(),
            name: "x) { viewer { login } }".into(),
            dev: "dev".into(),
            main: "main".into(),
        }]);
        let query = body["query"].as_str().unwrap();
        assert!(!query.contains("quoted") && !query.contains("viewer"));
        assert_eq!(body["variables"]["o0"], "o\"quoted");
        assert_eq!(body["variables"]["d0"], "refs/heads/dev");
    }

    #[test]
    fn a_page_request_carries_only_the_fragment_it_spreads() {
        let body = document(&[Ask::Issues {
            owner: "o".into(),
            name: "n".into(),
            after: "cur".into(),
        }]);
        let query = body["query"].as_str().unwrap();
        assert!(query.contains("fragment IssuePage"));
        assert!(!query.contains("fragment PrPage") && !query.contains("fragment RepoAudit"));
        assert_eq!(body["variables"]["c0"], "cur");
    }
}
