//! Many repositories with a realistic mix of pull requests, issues and branch
//! states, for the request-count benchmark.

use super::{FakeGitHubApi, Issue, Pr};

/// Seeds `n` repositories `bench/repo-00`, ... and returns their `owner/name`s.
/// Every tenth has 60 open PRs (more than one page); the others a handful in
/// every state (failing, conflicting, changes requested, unresolved threads,
/// ready, draft, an enum value GitHub may add); every third has issues, one
/// "depends on" another; one dev branch in ten and one main in twenty-five are red.
pub fn realistic(fake: &FakeGitHubApi, n: usize) -> Vec<String> {
    let mut slugs = Vec::with_capacity(n);
    for i in 0..n {
        let slug = format!("bench/repo-{i:02}");
        fake.add_repo(&slug);
        let prs = if i % 10 == 0 { 60 } else { 1 + i % 6 };
        for number in 1..=prs as u64 {
            let mut pr = Pr::new(number);
            match number % 7 {
                1 => pr.rollup = Some("FAILURE".into()),
                2 => pr.mergeable = "CONFLICTING".into(),
                3 => pr.review = Some("CHANGES_REQUESTED".into()),
                4 => pr.threads = vec![true, false],
                5 => pr.draft = true,
                6 => pr.mergeable = "SOMETHING_NEW".into(),
                _ => pr.review = Some("APPROVED".into()),
            }
            fake.add_pr(&slug, &pr);
        }
        if i % 3 == 0 {
            let mut bug = Issue::new(1000);
            bug.labels = vec!["bug".into()];
            fake.add_issue(&slug, &bug);
            let mut next = Issue::new(1001);
            next.body = "Depends on #1000".into();
            fake.add_issue(&slug, &next);
        }
        if i % 10 == 3 {
            fake.set_branch(
                &slug,
                "dev",
                &format!("{:040x}", 0xd00 + i),
                Some("FAILURE"),
            );
        }
        if i % 25 == 7 {
            fake.set_branch(
                &slug,
                "main",
                &format!("{:040x}", 0xa00 + i),
                Some("FAILURE"),
            );
        }
        slugs.push(slug);
    }
    slugs
}
