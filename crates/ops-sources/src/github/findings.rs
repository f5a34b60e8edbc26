//! Open pull requests and issues → findings (the priorities are the module
//! table of [`super`]).

use super::query::{
    IssuePageNodes, MergeableState, PrPageNodes, PullRequestReviewDecision, StatusState,
};
use ops_core::model::{Finding, Priority, Project, fingerprint};

/// Where a repository's findings go: its project and its local checkout.
#[derive(Debug, Clone)]
pub struct RepoContext<'a> {
    /// The project.
    pub project: &'a Project,
    /// `owner/name`.
    pub slug: &'a str,
    /// The local checkout paired with the repository (`Finding::repo`).
    pub path: &'a str,
}

impl RepoContext<'_> {
    /// A finding of `kind` about `#number`.
    pub fn finding(
        &self,
        kind: &str,
        number: i64,
        priority: Priority,
        title: String,
        detail: String,
    ) -> Finding {
        let n = format!("#{number}");
        Finding {
            source: "github".into(),
            kind: kind.into(),
            project: self.project.alias.clone(),
            repo: self.path.to_string(),
            title,
            detail,
            priority,
            fingerprint: fingerprint(&["github", kind, self.slug, &n]),
            depends_on: Vec::new(),
            paths: Vec::new(),
            blocked: None,
        }
    }
}

/// How many of a PR's review threads are unresolved: `(count, exact)`; not
/// exact when the PR has more threads than the first page read (the rest are
/// counted through `totalCount` but their state is unknown).
pub fn unresolved_threads(pr: &PrPageNodes) -> (usize, bool) {
    let nodes = pr.review_threads.nodes.as_deref().unwrap_or_default();
    let unresolved = nodes.iter().flatten().filter(|t| !t.is_resolved).count();
    let seen = nodes.len() as i64;
    (unresolved, pr.review_threads.total_count <= seen)
}

/// The findings of one open pull request (none for a draft).
pub fn pull_request(ctx: &RepoContext<'_>, pr: &PrPageNodes) -> Vec<Finding> {
    if pr.is_draft {
        return Vec::new();
    }
    let rollup = pr.status_check_rollup.as_ref().map(|r| &r.state);
    let (unresolved, exact) = unresolved_threads(pr);
    let at_least = if exact { "" } else { "at least " };
    let about = format!(
        "{} #{} \"{}\" ({} → {}), {}",
        ctx.slug, pr.number, pr.title, pr.head_ref_name, pr.base_ref_name, pr.url
    );
    let mut out = Vec::new();
    let mut add = |kind: &str, priority: Priority, what: &str, detail: String| {
        out.push(ctx.finding(
            kind,
            pr.number,
            priority,
            format!("{what}: {} #{} {}", ctx.slug, pr.number, pr.title),
            format!("{about}: {detail}"),
        ));
    };
    if matches!(rollup, Some(StatusState::FAILURE | StatusState::ERROR)) {
        add(
            "pr_failing_checks",
            Priority::P1,
            "PR checks failing",
            "the head commit's checks fail; make them pass".into(),
        );
    }
    if pr.mergeable == MergeableState::CONFLICTING {
        add(
            "pr_conflicts",
            Priority::P2,
            "PR has conflicts",
            format!("it conflicts with {}; rebase and resolve", pr.base_ref_name),
        );
    }
    if pr.review_decision == Some(PullRequestReviewDecision::CHANGES_REQUESTED) {
        add(
            "pr_changes_requested",
            Priority::P2,
            "PR changes requested",
            format!(
                "a reviewer requested changes; {at_least}{unresolved} review thread(s) unresolved"
            ),
        );
    } else if unresolved > 0 {
        add(
            "pr_unresolved_threads",
            Priority::P2,
            "PR review threads unresolved",
            format!("{at_least}{unresolved} review thread(s) unresolved; answer or resolve them"),
        );
    }
    let approved = matches!(
        pr.review_decision,
        None | Some(PullRequestReviewDecision::APPROVED)
    );
    if pr.mergeable == MergeableState::MERGEABLE
        && rollup == Some(&StatusState::SUCCESS)
        && approved
        && unresolved == 0
        && exact
    {
        add(
            "pr_ready_to_merge",
            Priority::P2,
            "PR ready to merge",
            "checks green, approved (or no review required), no conflicts, no open threads".into(),
        );
    }
    out
}

/// Labels that make an issue a security report (P1).
const SECURITY_LABELS: &[&str] = &["security", "vulnerability"];

/// The finding of one open issue.
pub fn issue(ctx: &RepoContext<'_>, issue: &IssuePageNodes) -> Finding {
    let labels: Vec<&str> = issue
        .labels
        .as_ref()
        .and_then(|l| l.nodes.as_deref())
        .unwrap_or_default()
        .iter()
        .flatten()
        .map(|l| l.name.as_str())
        .collect();
    let security = labels.iter().any(|l| {
        let l = l.to_ascii_lowercase();
        SECURITY_LABELS.iter().any(|s| l.contains(s))
    });
    let priority = if security { Priority::P1 } else { Priority::P2 };
    let labels_text = if labels.is_empty() {
        String::new()
    } else {
        format!(" [{}]", labels.join(", "))
    };
    ctx.finding(
        "issue",
        issue.number,
        priority,
        format!("Issue {} #{} {}", ctx.slug, issue.number, issue.title),
        format!("{}{labels_text}\n\n{}", issue.url, excerpt(&issue.body)),
    )
}

/// Longest part of an issue's body kept in a finding (briefs stay bounded).
const BODY_LIMIT: usize = 4000;

/// `body`, cut at [`BODY_LIMIT`] characters with a note when it is longer.
fn excerpt(body: &str) -> String {
    match body.char_indices().nth(BODY_LIMIT) {
        None => body.to_string(),
        Some((cut, _)) => format!("{}\n[... cut; the rest is on GitHub]", &body[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::{BODY_LIMIT, excerpt};

    #[test]
    fn a_long_body_is_cut_on_a_character_boundary() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(BODY_LIMIT + 10);
        let cut = excerpt(&long);
        assert!(cut.starts_with(&"é".repeat(BODY_LIMIT)));
        assert!(cut.ends_with("[... cut; the rest is on GitHub]"));
        assert_eq!(cut.matches('é').count(), BODY_LIMIT);
    }
}
