//! The GitHub shipper: pull requests to the dev branch, checks of the exact head,
//! squash merges pinned to that head, promotion of dev to main through a pull
//! request merged with a merge commit, and checks of the running project after.
//!
//! Mapping onto [`Shipper`]:
//! * `open_change`: push the branch (never forced; the token reaches git through a
//!   credential cache it hands the token on stdin, never a URL, argv or the environment), then
//!   find the pull request for that head (open, or already merged: a resumed run
//!   never opens a second one) or create it, treating 422 "already exists" as
//!   "find it again". The change id is `owner/name#number`, so later calls need no
//!   memory of this one.
//! * `checks`: check runs AND commit statuses of `change.head` (a required check
//!   that has not reported counts as pending), the review decision and unresolved
//!   threads (one GraphQL call), `mergeable` (null: pending), fed to
//!   [`ready_to_merge`]. A blocked change comes back `Failed` with the failing
//!   checks' log tails (an Actions job's log, fetched from its pre-signed URL
//!   without the token; else the check run's output) and the unresolved review
//!   threads, for the agent.
//! * `merge`: re-reads the state and refuses anything [`ready_to_merge`] does not
//!   approve, then `PUT .../merge` with `sha` = the tested head and
//!   `merge_method: squash` (never an admin or bypass merge). 409 "Head branch was
//!   modified" → `HeadChanged`; 405 "Base branch was modified" → retried with
//!   backoff; 405 on a merged pull request → `AlreadyMerged`; any other 405 →
//!   `Refused` with GitHub's message. Once merged (also found merged), the pull
//!   request's head branch — the task branch ops pushed — is deleted from GitHub
//!   (`DELETE .../git/refs/heads/<branch>`; already gone is fine), never a dev,
//!   main or production branch.
//! * `promote`: when dev's head is green, a pull request dev → main merged with
//!   `merge_method: merge`, pinned to dev's head.
//! * `verify`: the project's health endpoints (GET, 2xx) and, when a
//!   [`NewIssueProbe`] is plugged in (the Sentry source fills it), no new issue
//!   since the merge; each failure is a P0 follow-up.

pub mod answers;
mod checks;
pub mod client;
mod config;
mod credential;
pub mod decision;
mod pulls;
mod verify;

pub use client::{ClientConfig, GitHubToken};
pub use config::{GitHubProject, GitHubShipConfig};
pub use decision::{CheckRollup, Decision, Mergeable, ReviewDecision, ready_to_merge};
pub use verify::NewIssueProbe;

use crate::push::{PushKind, push};
use async_trait::async_trait;
use checks::{commit_checks, pull};
use client::{Client, gh_err};
use ops_core::model::Task;
use ops_core::seams::{
    ChangeRef, ChecksState, FollowUp, MergeOutcome, PromoteOutcome, Shipper, ShipperCapabilities,
    WorkRef,
};
use ops_core::{ErrorKind, Result};
use ops_git::Git;
use std::sync::Arc;
use std::time::Duration;

/// Ships through GitHub pull requests; see the module docs.
pub struct GitHubShipper {
    client: Client,
    projects: Vec<GitHubProject>,
    config: GitHubShipConfig,
    probe: Option<Arc<dyn NewIssueProbe>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for GitHubShipper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubShipper")
            .field("api", &self.config.client.api_base)
            .field("token", self.client.token())
            .finish_non_exhaustive()
    }
}

/// The trailer a squash commit carries: `Ops-Task: <id>`.
const TRAILER: &str = "Ops-Task";

fn parse_id(id: &str) -> Result<(String, u64)> {
    id.rsplit_once('#')
        .and_then(|(slug, n)| Some((slug.to_string(), n.parse().ok()?)))
        .filter(|(slug, _)| slug.contains('/'))
        .ok_or_else(|| {
            gh_err(
                "read the change id",
                ErrorKind::Invalid,
                format!("{id:?} is not owner/name#number"),
            )
        })
}

impl GitHubShipper {
    /// A shipper for `projects`, authenticated with `token`.
    pub fn new(projects: Vec<GitHubProject>, token: GitHubToken, config: GitHubShipConfig) -> Self {
        GitHubShipper {
            client: Client::new(config.client.clone(), token),
            projects,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            config,
            probe: None,
        }
    }

    /// Plugs in the check for new errors after a merge (the Sentry source).
    pub fn with_probe(mut self, probe: Arc<dyn NewIssueProbe>) -> Self {
        self.probe = Some(probe);
        self
    }

    fn project(&self, alias: &str) -> Result<&GitHubProject> {
        let p = self
            .projects
            .iter()
            .find(|p| p.alias == alias)
            .ok_or_else(|| {
                gh_err(
                    "find the project",
                    ErrorKind::Invalid,
                    format!("project {alias} is not configured for GitHub shipping"),
                )
            })?;
        let dev = p.dev_branch.as_str();
        if dev == p.main_branch || crate::push::PRODUCTION_BRANCHES.contains(&dev) {
            return Err(gh_err(
                "use the project",
                ErrorKind::Invalid,
                format!(
                    "project {alias}: dev branch {dev:?} is a production branch; ops merges work into dev and only promotes dev to main"
                ),
            ));
        }
        Ok(p)
    }

    fn project_of_slug(&self, slug: &str) -> Option<&GitHubProject> {
        self.projects
            .iter()
            .find(|p| p.repos.iter().any(|r| r == slug))
    }

    /// `owner/name` of the checkout `repo` of project `p`.
    fn slug(p: &GitHubProject, repo: &str) -> Result<String> {
        let index = p.paths.iter().position(|path| path.as_os_str() == repo);
        match (index, p.repos.len()) {
            (Some(i), _) if i < p.repos.len() => Ok(p.repos[i].clone()),
            (_, 1) => Ok(p.repos[0].clone()),
            _ => Err(gh_err(
                "find the repository",
                ErrorKind::Invalid,
                format!(
                    "project {}: no owner/name for checkout {repo} (repos and paths must pair up)",
                    p.alias
                ),
            )),
        }
    }

    /// Deletes the merged task branch `head` from GitHub. Best effort: the merge
    /// stands either way, and a branch already gone (422) is what was wanted.
    /// A dev, main or production branch is never deleted.
    async fn delete_head(&self, slug: &str, head: &str) {
        let kept = head.is_empty()
            || crate::push::PRODUCTION_BRANCHES.contains(&head)
            || self
                .projects
                .iter()
                .any(|p| p.dev_branch == head || p.main_branch == head);
        if !kept {
            let _ = self
                .client
                .delete(&format!("/repos/{slug}/git/refs/heads/{head}"))
                .await;
        }
    }

    /// Pushes `src` to `dst` of the GitHub remote, the token reaching only this
    /// push ([`credential::PushCredential`]).
    async fn push_with_token(
        &self,
        git: &Git,
        slug: &str,
        src: &str,
        dst: &str,
        kind: PushKind<'_>,
    ) -> Result<()> {
        let remote = &self.config.remote;
        let expected = credential::Expected {
            api_base: &self.config.client.api_base,
            slug,
        };
        match credential::PushCredential::start(git, remote, self.client.token(), &expected).await?
        {
            None => push(git, remote, src, dst, kind).await,
            Some(credential) => {
                let pushed = push(&credential.git(git), remote, src, dst, kind).await;
                credential.stop().await;
                pushed
            }
        }
    }
}

#[async_trait]
impl Shipper for GitHubShipper {
    fn name(&self) -> &str {
        "github"
    }

    fn capabilities(&self) -> ShipperCapabilities {
        ShipperCapabilities {
            opens_pull_requests: true,
            promotes: self.config.promote,
        }
    }

    async fn open_change(&self, task: &Task, work: &WorkRef) -> Result<ChangeRef> {
        let p = self.project(&task.project)?;
        let slug = Self::slug(p, &task.repo)?;
        let git = Git::new(&task.repo);
        let tip = git
            .run([
                "rev-parse",
                "--verify",
                &format!("refs/heads/{}^{{commit}}", work.branch),
            ])
            .await
            .map_err(|e| gh_err("find the task branch", ErrorKind::Invalid, e.to_string()))?;
        let body = format!(
            "{}\n\n{}\n\n{TRAILER}: {}\n",
            task.title, task.description, task.id
        );
        let existing = self
            .find_pulls(&slug, &work.branch, &p.dev_branch, "all")
            .await?;
        if let Some(merged) = existing.iter().find(|pr| pr.merged) {
            return Ok(ChangeRef {
                id: format!("{slug}#{}", merged.number),
                url: merged.url.clone(),
                head: merged.head_sha.clone(),
            });
        }
        let tip_ref = format!("refs/heads/{}", work.branch);
        self.push_with_token(
            &git,
            &slug,
            &tip_ref,
            &work.branch,
            PushKind::Work {
                main: &p.main_branch,
            },
        )
        .await?;
        let pr = self
            .find_or_create(&slug, &work.branch, &p.dev_branch, &task.title, &body, true)
            .await?;
        let head = if pr.merged { pr.head_sha.clone() } else { tip };
        Ok(ChangeRef {
            id: format!("{slug}#{}", pr.number),
            url: pr.url,
            head,
        })
    }

    async fn checks(&self, change: &ChangeRef) -> Result<ChecksState> {
        let (slug, number) = parse_id(&change.id)?;
        let pr = pull(&self.client, &slug, number).await?;
        if pr.merged {
            return Ok(ChecksState::Passed);
        }
        if !pr.open {
            return Ok(ChecksState::Failed {
                detail: format!("{slug}#{number} was closed without merging"),
            });
        }
        let (decision, notes) = self.assess(&slug, &pr, &change.head).await?;
        Ok(match decision {
            Decision::Merge if notes.is_empty() => ChecksState::Passed,
            Decision::Merge => ChecksState::Failed {
                detail: notes.join("\n\n"),
            },
            Decision::Wait(_) => ChecksState::Pending,
            Decision::Blocked(why) => {
                let mut detail = vec![why];
                detail.extend(notes);
                ChecksState::Failed {
                    detail: detail.join("\n\n"),
                }
            }
        })
    }

    async fn merge(&self, change: &ChangeRef) -> Result<MergeOutcome> {
        let (slug, number) = parse_id(&change.id)?;
        let pr = pull(&self.client, &slug, number).await?;
        if pr.merged {
            self.delete_head(&slug, &pr.head).await;
            return Ok(MergeOutcome::AlreadyMerged {
                sha: pr.merge_commit.unwrap_or_default(),
            });
        }
        // A pull request retargeted (to main, say) after it was opened is never merged there.
        let dev = self.project_of_slug(&slug).map(|p| p.dev_branch.as_str());
        if dev != Some(pr.base.as_str()) {
            return Ok(MergeOutcome::Refused {
                reason: format!(
                    "{slug}#{number} merges into {:?}, not the dev branch {}; ops merges work into dev only",
                    pr.base,
                    dev.unwrap_or("(no project for this repository)")
                ),
            });
        }
        if pr.head_sha != change.head {
            return Ok(MergeOutcome::HeadChanged { head: pr.head_sha });
        }
        let (decision, notes) = self.assess(&slug, &pr, &change.head).await?;
        match decision {
            Decision::Merge if notes.is_empty() => {}
            Decision::Merge => {
                return Ok(MergeOutcome::Refused {
                    reason: notes.join("\n\n"),
                });
            }
            Decision::Wait(why) | Decision::Blocked(why) => {
                return Ok(MergeOutcome::Refused {
                    reason: format!("not ready to merge {}: {why}", change.head),
                });
            }
        }
        let trailer = pr
            .body
            .lines()
            .rev()
            .find(|l| l.starts_with(&format!("{TRAILER}: ")))
            .unwrap_or_default()
            .to_string();
        let title = format!("{} (#{number})", pr.title);
        let outcome = self
            .put_merge(&slug, number, &change.head, "squash", &title, &trailer)
            .await?;
        if matches!(
            outcome,
            MergeOutcome::Merged { .. } | MergeOutcome::AlreadyMerged { .. }
        ) {
            self.delete_head(&slug, &pr.head).await;
        }
        Ok(outcome)
    }

    async fn promote(&self, project: &str, repo: &str) -> Result<PromoteOutcome> {
        if !self.config.promote {
            return Ok(PromoteOutcome::Skipped {
                reason: "promotion to main is turned off (--no-main)".into(),
            });
        }
        let p = self.project(project)?;
        let slug = Self::slug(p, repo)?;
        let (dev, main) = (&p.dev_branch, &p.main_branch);
        let Some(dev_sha) = self.branch_head(&slug, dev).await? else {
            return Ok(PromoteOutcome::Skipped {
                reason: format!("{slug} has no branch {dev}"),
            });
        };
        let cmp = self
            .client
            .get(&format!("/repos/{slug}/compare/{main}...{dev}"))
            .await?;
        if !cmp.ok() {
            return Ok(PromoteOutcome::Skipped {
                reason: format!("cannot compare {main} and {dev}: {}", cmp.message()),
            });
        }
        if cmp.body["ahead_by"].as_u64() == Some(0) {
            return Ok(PromoteOutcome::UpToDate);
        }
        let checks = commit_checks(
            &self.client,
            &slug,
            &dev_sha,
            &p.required_checks,
            self.config.require_some_check,
        )
        .await?;
        if checks.rollup != CheckRollup::Green {
            return Ok(PromoteOutcome::Skipped {
                reason: format!("{dev}'s head {dev_sha} is not green ({:?})", checks.rollup),
            });
        }
        // A promotion is a new pull request each time (an earlier one is merged).
        let mut pr = self
            .find_or_create(
                &slug,
                dev,
                main,
                &format!("Promote {dev} to {main}"),
                "Opened by ops.",
                false,
            )
            .await?;
        let mut pause = self.config.client.backoff;
        for _ in 0..self.config.base_moved_tries {
            if pr.mergeable != Mergeable::Unknown {
                break;
            }
            tokio::time::sleep(pause).await;
            pause *= 2;
            pr = pull(&self.client, &slug, pr.number).await?;
        }
        if pr.mergeable != Mergeable::Clean {
            return Ok(PromoteOutcome::Skipped {
                reason: format!(
                    "the promotion {slug}#{} is not mergeable ({:?})",
                    pr.number, pr.mergeable
                ),
            });
        }
        let title = format!("Promote {dev} to {main} (#{})", pr.number);
        match self
            .put_merge(&slug, pr.number, &dev_sha, "merge", &title, "")
            .await?
        {
            MergeOutcome::Merged { sha } | MergeOutcome::AlreadyMerged { sha } => {
                Ok(PromoteOutcome::Promoted { sha })
            }
            MergeOutcome::HeadChanged { head } => Ok(PromoteOutcome::Skipped {
                reason: format!("{dev} moved to {head} during the promotion"),
            }),
            MergeOutcome::Refused { reason } => Ok(PromoteOutcome::Skipped { reason }),
        }
    }

    async fn verify(&self, task: &Task, merged: &str) -> Result<Vec<FollowUp>> {
        let Ok(p) = self.project(&task.project) else {
            return Ok(Vec::new());
        };
        if p.health_endpoints.is_empty() && self.probe.is_none() {
            return Ok(Vec::new());
        }
        let since = ops_core::model::Timestamp::now();
        tokio::time::sleep(self.config.verify_after).await;
        let mut out = verify::health(&self.http, &p.health_endpoints, merged).await;
        if let Some(probe) = &self.probe {
            out.extend(verify::new_issues(probe.as_ref(), &task.project, since, merged).await);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED: credential::Expected<'static> = credential::Expected {
        api_base: "https://api.github.com",
        slug: "o/r",
    };

    /// A push URL rewritten in the shared git config (by an agent, say) to
    /// another host or repository gets no token: the push halts naming both.
    #[tokio::test]
    async fn a_push_url_rewritten_to_another_host_or_repository_gets_no_token_and_halts() {
        let token = GitHubToken::new("ghp_rewriteTESTrewriteTEST0123456789ab");
        let repo = ops_testkit::TempRepo::new();
        let work = repo.work();
        for url in [
            "https://evil.example/o/r.git",
            "https://github.com/attacker/r.git",
            "https://x:y@evil.example/o/r",
        ] {
            ops_testkit::git(&work, &["remote", "set-url", "origin", url]);
            let git = Git::new(&work);
            let err =
                match credential::PushCredential::start(&git, "origin", &token, &EXPECTED).await {
                    Ok(_) => panic!("{url}: the token was handed to git"),
                    Err(e) => e,
                };
            let text = err.to_string();
            assert_eq!(err.kind(), ErrorKind::Halt, "{url}: {text}");
            assert!(
                text.contains("not github.com/o/r") && !text.contains("x:y"),
                "{url}: {text}"
            );
        }
    }

    /// The token goes to git's credential cache on stdin; the push's helper gets
    /// it from there; no git ops starts has it in its argv or environment.
    #[tokio::test]
    async fn the_push_gets_the_token_from_a_credential_cache_never_its_env_or_argv() {
        let token = GitHubToken::new("ghp_helperTESThelperTEST0123456789abcd");
        let repo = ops_testkit::TempRepo::new();
        let work = repo.work();
        ops_testkit::git(
            &work,
            &["remote", "set-url", "origin", "https://github.com/o/r.git"],
        );
        let spy_log = work.join("../git-spy.log");
        let spy = work.join("../git-spy");
        std::fs::write(
            &spy,
            format!(
                "#!/bin/sh\n{{ echo \"argv: $*\"; env; }} >>{}\nexec git \"$@\"\n",
                spy_log.display()
            ),
        )
        .expect("spy");
        std::fs::set_permissions(&spy, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let git = Git::new(&work).with_program(&spy);
        let credential = credential::PushCredential::start(&git, "origin", &token, &EXPECTED)
            .await
            .expect("the cache starts")
            .expect("an https remote gets one");
        let filled = credential
            .git(&git)
            .run_with_input(
                ["credential", "fill"],
                b"protocol=https\nhost=github.com\npath=o/r.git\n\n",
            )
            .await
            .expect("fill");
        assert!(filled.contains("username=x-access-token"), "{filled}");
        assert!(
            filled.contains(&format!("password={}", token.expose())),
            "{filled}"
        );
        credential.stop().await;
        let seen = std::fs::read_to_string(&spy_log).expect("spy log");
        assert!(seen.contains("argv: "), "the spy saw git run");
        assert!(
            !seen.contains(token.expose()),
            "the token was in a git's argv or environment"
        );
    }

    #[test]
    fn change_ids_parse_and_bad_ones_are_refused_naming_the_value() {
        assert_eq!(
            parse_id("acme/app#12").ok(),
            Some(("acme/app".to_string(), 12))
        );
        for bad in ["acme/app", "app#3", "acme/app#x"] {
            let e = parse_id(bad).expect_err(bad).to_string();
            assert!(e.contains(bad), "{e}");
        }
    }
}
