//! A [`CiProblem`] as a [`Finding`]: title, detail, priority, fingerprint.

use super::{BranchHead, CiKind, CiProblem, PER_PAGE, Run};
use ops_core::model::{Finding, Priority, Project, fingerprint};
use std::fmt::Write as _;

/// How many failing runs the detail lists.
const LISTED: usize = 5;

/// The finding for `problem` on `head`'s branch (see the module docs of `runs`).
pub(super) fn finding(
    problem: &CiProblem,
    project: &Project,
    repo_path: &str,
    head: &BranchHead,
    is_main: bool,
) -> Finding {
    let (slug, branch, workflow) = (&head.slug, &head.branch, &problem.workflow);
    let (title, priority) = match problem.kind {
        CiKind::PersistentFailure => (
            format!("{branch} CI persistently red: {workflow} ({slug})"),
            if is_main { Priority::P0 } else { Priority::P1 },
        ),
        CiKind::Regression => (
            format!("{branch} CI regression, red after green: {workflow} ({slug})"),
            Priority::P2,
        ),
        CiKind::Failing => (
            format!("{branch} CI red: {workflow} ({slug})"),
            Priority::P1,
        ),
    };
    let kind = problem.kind.as_str();
    Finding {
        source: "github".into(),
        kind: kind.into(),
        project: project.alias.clone(),
        repo: repo_path.into(),
        title,
        detail: detail(problem, head),
        priority,
        // Not the kind: a regression that stays red becomes a persistent
        // failure, and that is the same problem (one task, updated in place).
        fingerprint: fingerprint(&["github", "ci", slug, branch, workflow]),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    }
}

fn detail(problem: &CiProblem, head: &BranchHead) -> String {
    let reds = problem.failing.len();
    let mut text = format!(
        "GitHub Actions workflow \"{}\" on branch {} of {}: {}.\n",
        problem.workflow,
        head.branch,
        head.slug,
        match problem.kind {
            CiKind::PersistentFailure => format!("the latest {reds} runs in a row are red"),
            CiKind::Regression if reds == 1 =>
                "the latest run is red, the one before was green".into(),
            CiKind::Regression =>
                format!("the latest {reds} runs are red, the one before them was green"),
            CiKind::Failing => format!(
                "the latest {reds} run(s) are red and no green run is among the branch's last {PER_PAGE}"
            ),
        }
    );
    let rollup = head.rollup.as_deref().unwrap_or("none");
    let _ = writeln!(text, "Branch head: {} (checks: {rollup}).", head.oid);
    text.push_str("Failing runs, newest first:\n");
    for run in problem.failing.iter().take(LISTED) {
        let _ = writeln!(text, "- {}", line(run));
    }
    if reds > LISTED {
        let _ = writeln!(text, "- and {} older red run(s)", reds - LISTED);
    }
    match &problem.last_green {
        Some(run) => {
            let _ = writeln!(text, "Last green run: {}", line(run));
        }
        None => text.push_str("No green run in the list.\n"),
    }
    text
}

fn line(run: &Run) -> String {
    format!(
        "#{} {} {} on {} ({}) {}",
        run.run_number,
        run.created_at,
        run.conclusion.as_deref().unwrap_or("?"),
        run.head_sha,
        run.event,
        run.html_url
    )
}
