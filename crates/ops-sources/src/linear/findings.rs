//! Issues → findings: title, detail, priority, and `blocks` relations as
//! dependencies between findings of the same audit.

use super::Issue;
use ops_core::model::{Finding, Priority, Project, fingerprint};
use std::collections::{BTreeMap, BTreeSet};

/// Linear's priority (0 none, 1 urgent, 2 high, 3 medium, 4 low) and the
/// state type → ours; the table and its reasons are in the module docs.
pub(super) fn priority(linear: f64, state_type: &str) -> Priority {
    if linear == 1.0 {
        Priority::P1
    } else if linear == 2.0 || state_type == "started" {
        Priority::P2
    } else {
        Priority::P3
    }
}

fn priority_label(linear: f64) -> String {
    let name = match linear {
        0.0 => "No priority",
        1.0 => "Urgent",
        2.0 => "High",
        3.0 => "Medium",
        4.0 => "Low",
        _ => "Unknown",
    };
    format!("{name} ({linear})")
}

/// The fingerprint of the finding for Linear issue `identifier`.
pub(super) fn issue_fingerprint(identifier: &str) -> String {
    fingerprint(&["linear", identifier])
}

/// Who blocks whom among the issues fetched in this audit: blocked issue →
/// its blockers, from both sides of each relation (an issue's `relations`
/// and its `inverseRelations`). Relations to issues not fetched are dropped:
/// a blocker that is done, or in a team not audited, is no dependency.
pub(super) fn blockers<'a>(issues: &[&'a Issue]) -> BTreeMap<&'a str, BTreeSet<&'a str>> {
    let known: BTreeSet<&str> = issues.iter().map(|i| i.identifier.as_str()).collect();
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut edge = |blocker: &'a str, blocked: &'a str| {
        if blocker != blocked && known.contains(blocker) && known.contains(blocked) {
            out.entry(blocked).or_default().insert(blocker);
        }
    };
    for issue in issues {
        for blocked in &issue.blocks {
            edge(&issue.identifier, blocked);
        }
        for blocker in &issue.blocked_by {
            edge(blocker, &issue.identifier);
        }
    }
    out
}

/// The finding for `issue` in `project`, whose work happens in `repo`.
pub(super) fn finding(
    project: &Project,
    repo: &str,
    issue: &Issue,
    blockers: &BTreeSet<&str>,
) -> Finding {
    let labels = match (issue.labels.is_empty(), issue.more_labels) {
        (true, _) => "none".to_string(),
        (false, false) => issue.labels.join(", "),
        (false, true) => format!("{}, and more", issue.labels.join(", ")),
    };
    let estimate = issue
        .estimate
        .map_or_else(|| "none".to_string(), |e| e.to_string());
    let mut detail = format!(
        "Linear issue {id}: {title}\nURL: {url}\nState: {state} ({state_type})\n\
         Assignee: {assignee}\nPriority: {priority}\nEstimate: {estimate}\nLabels: {labels}",
        id = issue.identifier,
        title = issue.title,
        url = issue.url,
        state = issue.state_name,
        state_type = issue.state_type,
        assignee = issue.assignee.as_deref().unwrap_or("unassigned"),
        priority = priority_label(issue.priority),
    );
    if !blockers.is_empty() {
        let list: Vec<&str> = blockers.iter().copied().collect();
        detail.push_str(&format!("\nBlocked by: {}", list.join(", ")));
    }
    Finding {
        source: "linear".into(),
        kind: "linear_issue".into(),
        project: project.alias.clone(),
        repo: repo.to_string(),
        title: format!("{}: {}", issue.identifier, issue.title),
        detail,
        priority: priority(issue.priority, &issue.state_type),
        fingerprint: issue_fingerprint(&issue.identifier),
        depends_on: blockers.iter().map(|b| issue_fingerprint(b)).collect(),
        paths: Vec::new(),
        blocked: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(id: &str, blocks: &[&str], blocked_by: &[&str]) -> Issue {
        Issue {
            identifier: id.into(),
            team: "A".into(),
            title: String::new(),
            url: String::new(),
            priority: 0.0,
            estimate: None,
            state_name: String::new(),
            state_type: "started".into(),
            assignee: None,
            labels: Vec::new(),
            more_labels: false,
            blocks: blocks.iter().map(|s| s.to_string()).collect(),
            blocked_by: blocked_by.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn blockers_come_from_either_side_of_a_relation_and_only_between_fetched_issues() {
        let a = issue("A-1", &["A-2", "GONE-1"], &[]);
        // A-3 learns of its blocker only from its own inverse relations.
        let b = issue("A-2", &[], &[]);
        let c = issue("A-3", &["A-3"], &["A-2", "GONE-2"]);
        let all = [&a, &b, &c];
        let map = blockers(&all);
        assert_eq!(map.get("A-2"), Some(&BTreeSet::from(["A-1"])));
        assert_eq!(
            map.get("A-3"),
            Some(&BTreeSet::from(["A-2"])),
            "no self-edge, no unknown"
        );
        assert_eq!(map.get("A-1"), None);
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn priorities_follow_the_documented_table() {
        assert_eq!(priority(1.0, "unstarted"), Priority::P1, "urgent");
        assert_eq!(priority(1.0, "started"), Priority::P1, "urgent");
        assert_eq!(priority(2.0, "unstarted"), Priority::P2, "high");
        assert_eq!(priority(3.0, "started"), Priority::P2, "medium, in flight");
        assert_eq!(priority(3.0, "unstarted"), Priority::P3, "medium, next");
        assert_eq!(priority(4.0, "unstarted"), Priority::P3, "low");
        assert_eq!(priority(0.0, "unstarted"), Priority::P3, "none");
        assert_eq!(priority(7.0, "paused"), Priority::P3, "unknown values");
    }
}
