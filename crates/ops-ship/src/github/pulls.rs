//! Pull requests and merges over the REST API: finding a change by its head,
//! creating it, judging it, and the pinned merge with GitHub's answers handled.

use super::GitHubShipper;
use super::answers::{self, MergeAnswer};
use super::checks::{PullState, commit_checks, pull, reviews};
use super::client::gh_err;
use super::decision::{Decision, ready_to_merge};
use ops_core::seams::MergeOutcome;
use ops_core::{ErrorKind, Result};
use serde_json::json;

impl GitHubShipper {
    /// Pull requests of `slug` with head `branch` into `base` (`state`: open|all).
    pub(super) async fn find_pulls(
        &self,
        slug: &str,
        branch: &str,
        base: &str,
        state: &str,
    ) -> Result<Vec<PullState>> {
        let owner = slug.split('/').next().unwrap_or_default();
        let r = self
            .client
            .get(&format!(
                "/repos/{slug}/pulls?head={owner}:{branch}&base={base}&state={state}&per_page=100"
            ))
            .await?;
        if !r.ok() {
            return Err(gh_err(
                "list pull requests",
                ErrorKind::Retryable,
                format!("{}: {}", r.status, r.message()),
            ));
        }
        Ok(r.body
            .as_array()
            .into_iter()
            .flatten()
            .map(PullState::from_json)
            .collect())
    }

    /// The open (or, with `reuse_merged`, merged) pull request for the head, or a new one.
    pub(super) async fn find_or_create(
        &self,
        slug: &str,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
        reuse_merged: bool,
    ) -> Result<PullState> {
        let existing = self.find_pulls(slug, head, base, "all").await?;
        if let Some(p) = existing
            .iter()
            .find(|p| reuse_merged && p.merged)
            .or_else(|| existing.iter().find(|p| p.open))
        {
            return Ok(p.clone());
        }
        let r = self
            .client
            .post(
                &format!("/repos/{slug}/pulls"),
                &json!({"title": title, "head": head, "base": base, "body": body, "draft": false}),
            )
            .await?;
        if r.ok() {
            return Ok(PullState::from_json(&r.body));
        }
        if answers::pull_already_exists(r.status, &r.message())
            && let Some(p) = self
                .find_pulls(slug, head, base, "open")
                .await?
                .into_iter()
                .next()
        {
            return Ok(p);
        }
        let kind = if r.status == 422 {
            ErrorKind::Invalid
        } else {
            ErrorKind::Retryable
        };
        Err(gh_err(
            "open the pull request",
            kind,
            format!("{slug} {head} → {base}: {} {}", r.status, r.message()),
        ))
    }

    /// Everything `ready_to_merge` needs about `sha` on pull request `pr`.
    pub(super) async fn assess(
        &self,
        slug: &str,
        pr: &PullState,
        sha: &str,
    ) -> Result<(Decision, Vec<String>)> {
        let required = self
            .project_of_slug(slug)
            .map(|p| p.required_checks.clone())
            .unwrap_or_default();
        let checks = commit_checks(
            &self.client,
            slug,
            sha,
            &required,
            self.config.require_some_check,
        )
        .await?;
        let (review, threads) = reviews(&self.client, slug, pr.number).await?;
        let decision = ready_to_merge(checks.rollup, review, pr.mergeable, pr.draft);
        let mut notes = checks.failures;
        notes.extend(threads);
        Ok((decision, notes))
    }

    /// `PUT .../merge` pinned to `sha`, retrying "Base branch was modified".
    pub(super) async fn put_merge(
        &self,
        slug: &str,
        number: u64,
        sha: &str,
        method: &str,
        title: &str,
        message: &str,
    ) -> Result<MergeOutcome> {
        let mut pause = self.config.client.backoff;
        for attempt in 1..=self.config.base_moved_tries.max(1) {
            let r = self
                .client
                .put(
                    &format!("/repos/{slug}/pulls/{number}/merge"),
                    &json!({"sha": sha, "merge_method": method, "commit_title": title, "commit_message": message}),
                )
                .await?;
            let msg = r.message();
            match answers::classify_merge(r.status, &msg) {
                MergeAnswer::Merged => {
                    let merged = r.body["sha"].as_str().unwrap_or_default().to_string();
                    return Ok(MergeOutcome::Merged { sha: merged });
                }
                MergeAnswer::HeadModified => {
                    let now = pull(&self.client, slug, number).await?;
                    return Ok(MergeOutcome::HeadChanged { head: now.head_sha });
                }
                MergeAnswer::BaseModified if attempt < self.config.base_moved_tries => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                MergeAnswer::BaseModified | MergeAnswer::NotMergeable => {
                    let now = pull(&self.client, slug, number).await?;
                    if now.merged {
                        return Ok(MergeOutcome::AlreadyMerged {
                            sha: now.merge_commit.unwrap_or_default(),
                        });
                    }
                    return Ok(MergeOutcome::Refused {
                        reason: format!("GitHub refused the merge: {msg}"),
                    });
                }
                MergeAnswer::RequiredCheckExpected => {
                    return Ok(MergeOutcome::Refused {
                        reason: format!(
                            "GitHub expects a check that has not reported on {sha}: {msg} (list it in the project's required_checks so ops waits for it)"
                        ),
                    });
                }
                MergeAnswer::NeedsHuman => {
                    return Ok(MergeOutcome::Refused {
                        reason: format!(
                            "GitHub refused the merge and ops never bypasses branch protection: {msg}"
                        ),
                    });
                }
                MergeAnswer::Other => {
                    let s = r.status;
                    let kind = if matches!(s, 403 | 404 | 422) {
                        ErrorKind::Invalid
                    } else {
                        ErrorKind::Retryable
                    };
                    return Err(gh_err("merge", kind, format!("{slug}#{number}: {s} {msg}")));
                }
            }
        }
        Ok(MergeOutcome::Refused {
            reason: "the base branch kept moving during the merge".into(),
        })
    }

    pub(super) async fn branch_head(&self, slug: &str, branch: &str) -> Result<Option<String>> {
        let r = self
            .client
            .get(&format!("/repos/{slug}/branches/{branch}"))
            .await?;
        match r.status {
            200 => Ok(r.body["commit"]["sha"].as_str().map(str::to_string)),
            404 => Ok(None),
            s => Err(gh_err(
                "read a branch",
                ErrorKind::Retryable,
                format!("{slug} {branch}: {s} {}", r.message()),
            )),
        }
    }
}
