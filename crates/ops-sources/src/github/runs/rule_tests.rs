use super::*;
use proptest::prelude::*;

/// A run of workflow `workflow` (id from its first letter), the `n`-th created.
fn run(n: u64, workflow: &str, status: &str, conclusion: Option<&str>) -> Run {
    Run {
        id: 1000 + n,
        name: Some(workflow.to_string()),
        workflow_id: u64::from(workflow.as_bytes()[0]),
        run_number: n,
        event: "push".into(),
        status: Some(status.into()),
        conclusion: conclusion.map(str::to_string),
        head_sha: format!("{n:040x}"),
        html_url: format!("https://github.com/o/r/actions/runs/{}", 1000 + n),
        created_at: format!("2026-01-01T00:{n:02}:00Z"),
    }
}

/// Completed runs of workflow "CI", oldest first, from conclusions.
fn history(conclusions: &[&str]) -> Vec<Run> {
    conclusions
        .iter()
        .enumerate()
        .map(|(i, c)| run(i as u64 + 1, "CI", "completed", Some(c)))
        .collect()
}

fn numbers(runs: &[Run]) -> Vec<u64> {
    runs.iter().map(|r| r.run_number).collect()
}

#[test]
fn latest_green_reports_nothing_even_after_reds() {
    assert!(ci_rule(&history(&["failure", "failure", "failure", "success"])).is_empty());
    assert!(ci_rule(&history(&["success"])).is_empty());
}

#[test]
fn no_completed_runs_reports_nothing() {
    assert!(ci_rule(&[]).is_empty());
    assert!(ci_rule(&[run(1, "CI", "in_progress", None)]).is_empty());
}

#[test]
fn three_reds_in_a_row_are_a_persistent_failure_naming_the_last_green() {
    let problems = ci_rule(&history(&["success", "failure", "timed_out", "failure"]));
    assert_eq!(problems.len(), 1);
    let p = &problems[0];
    assert_eq!(p.kind, CiKind::PersistentFailure);
    assert_eq!(p.workflow, "CI");
    assert_eq!(numbers(&p.failing), vec![4, 3, 2], "newest first");
    assert_eq!(p.last_green.as_ref().map(|r| r.run_number), Some(1));
}

#[test]
fn persistent_failure_without_any_green_in_the_list() {
    let problems = ci_rule(&history(&["failure"; 5]));
    assert_eq!(problems[0].kind, CiKind::PersistentFailure);
    assert_eq!(numbers(&problems[0].failing), vec![5, 4, 3, 2, 1]);
    assert_eq!(problems[0].last_green, None);
}

#[test]
fn one_red_right_after_a_green_is_a_regression() {
    let problems = ci_rule(&history(&["failure", "success", "failure"]));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, CiKind::Regression);
    assert_eq!(numbers(&problems[0].failing), vec![3]);
    assert_eq!(
        problems[0].last_green.as_ref().map(|r| r.run_number),
        Some(2)
    );
}

#[test]
fn two_reds_after_a_green_are_still_a_regression() {
    let problems = ci_rule(&history(&["success", "failure", "startup_failure"]));
    assert_eq!(problems[0].kind, CiKind::Regression);
    assert_eq!(numbers(&problems[0].failing), vec![3, 2]);
    assert_eq!(
        problems[0].last_green.as_ref().map(|r| r.run_number),
        Some(1)
    );
}

#[test]
fn fewer_than_three_reds_and_no_green_in_the_list_is_failing() {
    for conclusions in [&["failure"][..], &["failure", "failure"][..]] {
        let problems = ci_rule(&history(conclusions));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, CiKind::Failing, "{conclusions:?}");
        assert_eq!(problems[0].failing.len(), conclusions.len());
        assert_eq!(problems[0].last_green, None);
    }
}

#[test]
fn conclusions_that_say_nothing_about_the_code_are_skipped() {
    // red, then five runs that are neither, then red, red: three reds in a row.
    let problems = ci_rule(&history(&[
        "failure",
        "cancelled",
        "skipped",
        "neutral",
        "stale",
        "action_required",
        "failure",
        "failure",
    ]));
    assert_eq!(problems[0].kind, CiKind::PersistentFailure);
    assert_eq!(numbers(&problems[0].failing), vec![8, 7, 1]);
    // A cancelled run after a green one does not hide the green.
    assert!(ci_rule(&history(&["failure", "success", "cancelled"])).is_empty());
}

#[test]
fn an_unknown_conclusion_is_neither_red_nor_green() {
    let mut runs = history(&["success", "failure"]);
    runs.push(run(3, "CI", "completed", Some("exploded_in_a_new_way")));
    assert_eq!(runs[2].verdict(), Verdict::Neither);
    let problems = ci_rule(&runs);
    assert_eq!(problems[0].kind, CiKind::Regression);
    assert_eq!(numbers(&problems[0].failing), vec![2]);
}

#[test]
fn runs_in_progress_are_ignored() {
    let mut runs = history(&["success", "failure"]);
    runs.push(run(3, "CI", "in_progress", None));
    runs.push(run(4, "CI", "queued", None));
    // An odd record: a conclusion without the completed status is not trusted.
    runs.push(run(5, "CI", "waiting", Some("success")));
    let problems = ci_rule(&runs);
    assert_eq!(problems[0].kind, CiKind::Regression);
    assert_eq!(numbers(&problems[0].failing), vec![2]);
}

#[test]
fn each_workflow_is_judged_on_its_own_runs() {
    let runs = vec![
        run(1, "Deploy", "completed", Some("failure")),
        run(2, "CI", "completed", Some("failure")),
        run(3, "Deploy", "completed", Some("failure")),
        run(4, "CI", "completed", Some("success")),
        run(5, "Deploy", "completed", Some("failure")),
        run(6, "Lint", "completed", Some("success")),
        run(7, "Lint", "completed", Some("failure")),
    ];
    let problems = ci_rule(&runs);
    let summary: Vec<(&str, CiKind, Vec<u64>)> = problems
        .iter()
        .map(|p| (p.workflow.as_str(), p.kind, numbers(&p.failing)))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Deploy", CiKind::PersistentFailure, vec![5, 3, 1]),
            ("Lint", CiKind::Regression, vec![7]),
        ]
    );
}

#[test]
fn pull_request_runs_are_not_the_branchs() {
    let mut runs = history(&["success"]);
    for (n, event) in [(2, "pull_request"), (3, "pull_request_target")] {
        let mut r = run(n, "CI", "completed", Some("failure"));
        r.event = event.into();
        runs.push(r);
    }
    assert!(ci_rule(&runs).is_empty());
    let mut scheduled = run(4, "CI", "completed", Some("failure"));
    scheduled.event = "schedule".into();
    runs.push(scheduled);
    assert_eq!(ci_rule(&runs)[0].kind, CiKind::Regression);
}

#[test]
fn order_of_the_input_does_not_matter() {
    let runs = history(&["success", "failure", "failure", "failure"]);
    let mut reversed = runs.clone();
    reversed.reverse();
    assert_eq!(ci_rule(&runs), ci_rule(&reversed));
    assert_eq!(numbers(&ci_rule(&reversed)[0].failing), vec![4, 3, 2]);
}

#[test]
fn a_run_without_a_name_is_labelled_by_its_workflow_id() {
    let mut r = run(1, "CI", "completed", Some("failure"));
    r.name = None;
    assert_eq!(ci_rule(&[r])[0].workflow, "workflow 67");
}

#[test]
fn prune_keeps_each_workflows_runs_up_to_its_first_green() {
    let runs = vec![
        run(1, "CI", "completed", Some("failure")),
        run(2, "CI", "completed", Some("success")),
        run(3, "CI", "completed", Some("cancelled")),
        run(4, "CI", "completed", Some("failure")),
        run(5, "Deploy", "completed", Some("success")),
        run(6, "Deploy", "in_progress", None),
    ];
    assert_eq!(numbers(&prune(&runs)), vec![5, 4, 2]);
}

fn arb_run() -> impl Strategy<Value = Run> {
    let conclusions = prop::sample::select(vec![
        "success",
        "failure",
        "timed_out",
        "startup_failure",
        "cancelled",
        "skipped",
        "neutral",
        "something_new",
    ]);
    (
        0u64..60,
        prop::sample::select(vec!["CI", "Deploy", "Lint"]),
        prop::bool::weighted(0.85),
        conclusions,
        prop::sample::select(vec!["push", "schedule", "pull_request"]),
    )
        .prop_map(|(n, workflow, completed, conclusion, event)| {
            let mut r = if completed {
                run(n, workflow, "completed", Some(conclusion))
            } else {
                run(n, workflow, "in_progress", None)
            };
            r.event = event.into();
            r
        })
}

proptest! {
    #[test]
    fn the_rule_reads_the_same_from_the_pruned_runs(runs in prop::collection::vec(arb_run(), 0..40)) {
        // Unique ids, as GitHub's are.
        let runs: Vec<Run> = runs
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| { r.id = i as u64; r })
            .collect();
        let pruned = prune(&runs);
        prop_assert!(pruned.len() <= runs.len());
        prop_assert_eq!(ci_rule(&pruned), ci_rule(&runs));
    }
}
