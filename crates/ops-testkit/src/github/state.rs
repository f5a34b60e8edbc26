//! What the fake GitHub remembers, and the rules it applies.

use super::bare;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A failure to inject; each is consumed when it triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The next `n` requests answer 502 Bad Gateway.
    BadGateway(usize),
    /// The next request answers 403 "secondary rate limit" with `retry-after: secs`.
    SecondaryRateLimit {
        /// The `retry-after` value.
        retry_after_secs: u64,
    },
    /// The next request answers 403 with `x-ratelimit-remaining: 0`, reset in `secs`.
    PrimaryRateLimit {
        /// Seconds until the reset.
        reset_in_secs: u64,
    },
    /// The next `n` reads of a pull request report `mergeable: null`.
    MergeableUnknown(usize),
    /// The next `n` merges answer 405 "Base branch was modified".
    BaseMoved(usize),
    /// The next merge request finds that someone pushed one more commit to the
    /// pull request's head just before it (so a pinned `sha` no longer matches).
    PushBeforeMerge,
    /// The next `n` pull-request listings return nothing (a stale index), so a
    /// create runs into 422 "already exists".
    StaleListing(usize),
}

/// A merge request received.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeCall {
    /// The pull request.
    pub number: u64,
    /// The `sha` it was pinned to, if any.
    pub sha: Option<String>,
    /// `squash`, `merge` or `rebase`.
    pub method: String,
    /// The whole request body.
    pub body: Value,
    /// The answer's status.
    pub status: u16,
}

/// A pull request as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullView {
    /// Its number.
    pub number: u64,
    /// `owner/name`.
    pub repo: String,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
    /// Open (not merged, not closed).
    pub open: bool,
    /// Merged, with the commit.
    pub merged: Option<String>,
    /// How it was merged.
    pub merge_method: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Pull {
    repo: String,
    number: u64,
    title: String,
    body: String,
    head: String,
    base: String,
    open: bool,
    merged: Option<String>,
    merge_method: Option<String>,
    /// The head when it was merged (GitHub freezes `head.sha` then).
    merged_head: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub repos: BTreeMap<String, PathBuf>,
    pulls: Vec<Pull>,
    check_runs: BTreeMap<(String, String), Vec<Value>>,
    statuses: BTreeMap<(String, String), Vec<Value>>,
    pub review_decisions: BTreeMap<(String, u64), Option<String>>,
    pub threads: BTreeMap<(String, u64), Vec<Value>>,
    pub faults: Vec<Fault>,
    pub merge_calls: Vec<MergeCall>,
    pub requests: Vec<String>,
    pub not_modified: usize,
    pub authorizations: Vec<String>,
    /// A check run every commit without runs of its own reports: `(name, conclusion)`.
    pub auto_check: Option<(String, String)>,
    /// Actions job logs by job id (a check run's id).
    pub job_logs: BTreeMap<u64, String>,
    next_job: u64,
    /// Branches deleted through the API: `(slug, branch)`, in order.
    pub deleted_branches: Vec<(String, String)>,
}

/// An answer: status and body.
pub(super) type Answer = Result<(u16, Value), (u16, Value)>;

fn error(status: u16, message: &str) -> (u16, Value) {
    (
        status,
        json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
    )
}

impl State {
    pub fn set_check_run(
        &mut self,
        slug: &str,
        sha: &str,
        name: &str,
        conclusion: Option<&str>,
        output: &str,
    ) {
        let runs = self
            .check_runs
            .entry((slug.into(), sha.into()))
            .or_default();
        runs.retain(|r| r["name"] != name);
        self.next_job += 1;
        let id = self.next_job;
        runs.push(json!({
            "id": id, "name": name, "head_sha": sha,
            "app": {"slug": "github-actions"},
            "status": if conclusion.is_some() { "completed" } else { "in_progress" },
            "conclusion": conclusion,
            "output": {"title": name, "summary": format!("{name} {}", conclusion.unwrap_or("running")), "text": output},
        }));
        self.job_logs.insert(
            id,
            format!(
                "2026-01-01T00:00:00.0000000Z ##[group]Run {name}\n{output}\n##[error]Process completed with exit code 1.\n"
            ),
        );
    }

    pub fn set_status(
        &mut self,
        slug: &str,
        sha: &str,
        context: &str,
        state: &str,
        description: &str,
    ) {
        let list = self.statuses.entry((slug.into(), sha.into())).or_default();
        list.retain(|s| s["context"] != context);
        list.push(json!({"context": context, "state": state, "description": description}));
    }

    /// Takes the first fault `pick` accepts, returning what it gave.
    pub fn take_fault<T>(&mut self, pick: impl Fn(&mut Fault) -> Option<(T, bool)>) -> Option<T> {
        for i in 0..self.faults.len() {
            if let Some((out, used_up)) = pick(&mut self.faults[i]) {
                if used_up {
                    self.faults.remove(i);
                }
                return Some(out);
            }
        }
        None
    }

    fn bare(&self, slug: &str) -> Result<PathBuf, (u16, Value)> {
        self.repos
            .get(slug)
            .cloned()
            .ok_or_else(|| error(404, "Not Found"))
    }

    fn pull_json(&mut self, p: &Pull) -> Value {
        let bare = self.repos.get(&p.repo).cloned().unwrap_or_default();
        let head_sha = p
            .merged_head
            .clone()
            .unwrap_or_else(|| bare::branch_sha(&bare, &p.head).unwrap_or_default());
        let base_sha = bare::branch_sha(&bare, &p.base).unwrap_or_default();
        let unknown = p.open
            && self
                .take_fault(|f| match f {
                    Fault::MergeableUnknown(n) if *n > 0 => {
                        *n -= 1;
                        Some(((), *n == 0))
                    }
                    _ => None,
                })
                .is_some();
        let mergeable = if !p.open || unknown {
            Value::Null
        } else {
            json!(bare::merge_tree(&bare, &base_sha, &head_sha).is_some())
        };
        let owner = p.repo.split('/').next().unwrap_or_default();
        json!({
            "number": p.number,
            "html_url": format!("https://github.example/{}/pull/{}", p.repo, p.number),
            "state": if p.open { "open" } else { "closed" },
            "title": p.title, "body": p.body, "draft": false,
            "merged": p.merged.is_some(),
            "merged_at": p.merged.as_ref().map(|_| "2026-01-01T00:00:00Z"),
            "merge_commit_sha": p.merged,
            "mergeable": mergeable,
            "mergeable_state": match mergeable.as_bool() { Some(true) => "clean", Some(false) => "dirty", None => "unknown" },
            "head": {"ref": p.head, "sha": head_sha, "label": format!("{owner}:{}", p.head)},
            "base": {"ref": p.base, "sha": base_sha},
        })
    }

    pub fn retarget(&mut self, slug: &str, number: u64, base: &str) {
        for p in self
            .pulls
            .iter_mut()
            .filter(|p| p.repo == slug && p.number == number)
        {
            p.base = base.to_string();
        }
    }

    pub fn pull_views(&self) -> Vec<PullView> {
        self.pulls
            .iter()
            .map(|p| PullView {
                number: p.number,
                repo: p.repo.clone(),
                head: p.head.clone(),
                base: p.base.clone(),
                open: p.open,
                merged: p.merged.clone(),
                merge_method: p.merge_method.clone(),
            })
            .collect()
    }

    pub fn list_pulls(&mut self, slug: &str, query: &BTreeMap<String, String>) -> Answer {
        self.bare(slug)?;
        let stale = self
            .take_fault(|f| match f {
                Fault::StaleListing(n) if *n > 0 => {
                    *n -= 1;
                    Some(((), *n == 0))
                }
                _ => None,
            })
            .is_some();
        if stale {
            return Ok((200, json!([])));
        }
        let head = query
            .get("head")
            .map(|h| h.split_once(':').map_or(h.as_str(), |(_, b)| b).to_string());
        let state = query
            .get("state")
            .map_or("open", String::as_str)
            .to_string();
        let chosen: Vec<Pull> = self
            .pulls
            .iter()
            .filter(|p| p.repo == slug)
            .filter(|p| head.as_ref().is_none_or(|h| *h == p.head))
            .filter(|p| query.get("base").is_none_or(|b| *b == p.base))
            .filter(|p| match state.as_str() {
                "all" => true,
                "closed" => !p.open,
                _ => p.open,
            })
            .cloned()
            .collect();
        let list: Vec<Value> = chosen.iter().map(|p| self.pull_json(p)).collect();
        Ok((200, Value::Array(list)))
    }

    pub fn create_pull(&mut self, slug: &str, body: &Value) -> Answer {
        let bare = self.bare(slug)?;
        let (Some(head), Some(base)) = (body["head"].as_str(), body["base"].as_str()) else {
            return Err(error(422, "Validation Failed"));
        };
        let head = head.split_once(':').map_or(head, |(_, b)| b).to_string();
        let (Some(head_sha), Some(base_sha)) = (
            bare::branch_sha(&bare, &head),
            bare::branch_sha(&bare, base),
        ) else {
            return Err((
                422,
                json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}]}),
            ));
        };
        if self
            .pulls
            .iter()
            .any(|p| p.repo == slug && p.open && p.head == head && p.base == base)
        {
            let owner = slug.split('/').next().unwrap_or_default();
            return Err((
                422,
                json!({
                    "message": "Validation Failed",
                    "errors": [{"resource": "PullRequest", "code": "custom", "message": format!("A pull request already exists for {owner}:{head}.")}],
                    "documentation_url": "https://docs.github.com/rest/reference/pulls#create-a-pull-request"
                }),
            ));
        }
        if bare::count(&bare, &base_sha, &head_sha) == 0 {
            return Err((
                422,
                json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "message": format!("No commits between {base} and {head}")}]}),
            ));
        }
        let pull = Pull {
            repo: slug.into(),
            number: self.pulls.len() as u64 + 1,
            title: body["title"].as_str().unwrap_or_default().into(),
            body: body["body"].as_str().unwrap_or_default().into(),
            head,
            base: base.into(),
            open: true,
            merged: None,
            merge_method: None,
            merged_head: None,
        };
        self.pulls.push(pull.clone());
        Ok((201, self.pull_json(&pull)))
    }

    fn find(&self, slug: &str, number: u64) -> Result<usize, (u16, Value)> {
        self.pulls
            .iter()
            .position(|p| p.repo == slug && p.number == number)
            .ok_or_else(|| error(404, "Not Found"))
    }

    pub fn get_pull(&mut self, slug: &str, number: u64) -> Answer {
        let i = self.find(slug, number)?;
        let p = self.pulls[i].clone();
        Ok((200, self.pull_json(&p)))
    }

    /// Merges a pull request; `sha` pins the head.
    pub fn merge(
        &mut self,
        slug: &str,
        number: u64,
        sha: Option<&str>,
        method: &str,
        title: &str,
        message: &str,
    ) -> Answer {
        let bare = self.bare(slug)?;
        let i = self.find(slug, number)?;
        let p = self.pulls[i].clone();
        if !p.open {
            return Err(error(405, "Pull Request is not mergeable"));
        }
        let moved = self
            .take_fault(|f| match f {
                Fault::BaseMoved(n) if *n > 0 => {
                    *n -= 1;
                    Some(((), *n == 0))
                }
                _ => None,
            })
            .is_some();
        if moved {
            return Err(error(
                405,
                "Base branch was modified. Review and try the merge again.",
            ));
        }
        let pushed = self
            .take_fault(|f| matches!(f, Fault::PushBeforeMerge).then_some(((), true)))
            .is_some();
        let mut head_sha = bare::branch_sha(&bare, &p.head).unwrap_or_default();
        if pushed {
            let tree = format!("{head_sha}^{{tree}}");
            let commit = bare::git(
                &bare,
                &["commit-tree", &tree, "-p", &head_sha, "-m", "a late push"],
            )
            .map_err(|e| error(500, &e))?;
            bare::git(
                &bare,
                &["update-ref", &format!("refs/heads/{}", p.head), &commit],
            )
            .map_err(|e| error(500, &e))?;
            head_sha = commit;
        }
        if sha.is_some_and(|s| s != head_sha) {
            return Err(error(
                409,
                "Head branch was modified. Review and try the merge again.",
            ));
        }
        let base_sha = bare::branch_sha(&bare, &p.base).unwrap_or_default();
        let Some(tree) = bare::merge_tree(&bare, &base_sha, &head_sha) else {
            return Err(error(405, "Pull Request is not mergeable"));
        };
        let msg = if message.is_empty() {
            title.to_string()
        } else {
            format!("{title}\n\n{message}")
        };
        let parents: Vec<&str> = match method {
            "squash" => vec!["-p", &base_sha],
            "merge" => vec!["-p", &base_sha, "-p", &head_sha],
            _ => {
                return Err(error(
                    405,
                    "Rebase merges are not allowed on this repository.",
                ));
            }
        };
        let mut args = vec!["commit-tree", tree.as_str()];
        args.extend(parents);
        args.extend(["-m", msg.as_str()]);
        let commit = bare::git(&bare, &args).map_err(|e| error(500, &e))?;
        bare::git(
            &bare,
            &[
                "update-ref",
                &format!("refs/heads/{}", p.base),
                &commit,
                &base_sha,
            ],
        )
        .map_err(|_| {
            error(
                405,
                "Base branch was modified. Review and try the merge again.",
            )
        })?;
        let stored = &mut self.pulls[i];
        stored.open = false;
        stored.merged = Some(commit.clone());
        stored.merge_method = Some(method.into());
        stored.merged_head = Some(head_sha);
        Ok((
            200,
            json!({"sha": commit, "merged": true, "message": "Pull Request successfully merged"}),
        ))
    }

    /// Check runs of `sha`, paginated like GitHub (`per_page`, default 30, `page` from 1).
    pub fn check_runs(&self, slug: &str, sha: &str, query: &BTreeMap<String, String>) -> Answer {
        self.bare(slug)?;
        let mut runs = self
            .check_runs
            .get(&(slug.into(), sha.into()))
            .cloned()
            .unwrap_or_default();
        if runs.is_empty()
            && let Some((name, conclusion)) = &self.auto_check
        {
            runs.push(json!({
                "id": 1, "name": name, "head_sha": sha, "status": "completed",
                "conclusion": conclusion,
                "output": {"title": name, "summary": format!("{name} {conclusion}"), "text": ""},
            }));
        }
        let total = runs.len();
        Ok((
            200,
            json!({"total_count": total, "check_runs": page_of(runs, query)}),
        ))
    }

    /// The combined status of `sha`: `state` over all statuses, `statuses` paginated
    /// like GitHub (`per_page`, default 30, `page` from 1).
    pub fn combined_status(
        &self,
        slug: &str,
        sha: &str,
        query: &BTreeMap<String, String>,
    ) -> Answer {
        self.bare(slug)?;
        let list = self
            .statuses
            .get(&(slug.into(), sha.into()))
            .cloned()
            .unwrap_or_default();
        let state = if list
            .iter()
            .any(|s| s["state"] == "failure" || s["state"] == "error")
        {
            "failure"
        } else if list.iter().any(|s| s["state"] == "pending") || list.is_empty() {
            "pending"
        } else {
            "success"
        };
        Ok((
            200,
            json!({"state": state, "sha": sha, "total_count": list.len(), "statuses": page_of(list, query)}),
        ))
    }

    /// `DELETE /repos/{slug}/git/refs/heads/{name}`: 204, or 422 "Reference does
    /// not exist" (GitHub's answer for a branch already gone).
    pub fn delete_branch(&mut self, slug: &str, name: &str) -> Answer {
        let bare = self.bare(slug)?;
        if bare::branch_sha(&bare, name).is_none() {
            return Err(error(422, "Reference does not exist"));
        }
        bare::git(&bare, &["update-ref", "-d", &format!("refs/heads/{name}")])
            .map_err(|e| error(500, &e))?;
        self.deleted_branches
            .push((slug.to_string(), name.to_string()));
        Ok((204, Value::Null))
    }

    pub fn branch(&self, slug: &str, name: &str) -> Answer {
        let bare = self.bare(slug)?;
        match bare::branch_sha(&bare, name) {
            Some(sha) => Ok((200, json!({"name": name, "commit": {"sha": sha}}))),
            None => Err(error(404, "Branch not found")),
        }
    }

    pub fn compare(&self, slug: &str, basehead: &str) -> Answer {
        let bare = self.bare(slug)?;
        let Some((base, head)) = basehead.split_once("...") else {
            return Err(error(404, "Not Found"));
        };
        let (Some(b), Some(h)) = (bare::branch_sha(&bare, base), bare::branch_sha(&bare, head))
        else {
            return Err(error(404, "Not Found"));
        };
        let (ahead, behind) = (bare::count(&bare, &b, &h), bare::count(&bare, &h, &b));
        let status = match (ahead, behind) {
            (0, 0) => "identical",
            (_, 0) => "ahead",
            (0, _) => "behind",
            _ => "diverged",
        };
        Ok((
            200,
            json!({"ahead_by": ahead, "behind_by": behind, "status": status}),
        ))
    }

    pub fn graphql(&self, body: &Value) -> Answer {
        let v = &body["variables"];
        let slug = format!(
            "{}/{}",
            v["owner"].as_str().unwrap_or_default(),
            v["name"].as_str().unwrap_or_default()
        );
        let number = v["number"].as_u64().unwrap_or(0);
        if self.find(&slug, number).is_err() {
            return Ok((
                200,
                json!({"data": {"repository": {"pullRequest": null}}, "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a PullRequest."}]}),
            ));
        }
        let decision = self
            .review_decisions
            .get(&(slug.clone(), number))
            .cloned()
            .flatten();
        let threads = self
            .threads
            .get(&(slug, number))
            .cloned()
            .unwrap_or_default();
        Ok((
            200,
            json!({"data": {"repository": {"pullRequest": {
                "reviewDecision": decision,
                "reviewThreads": {"nodes": threads}
            }}}}),
        ))
    }
}

/// One page of `items` as GitHub pages them (`per_page`, default 30, max 100; `page` from 1).
fn page_of(items: Vec<Value>, query: &BTreeMap<String, String>) -> Vec<Value> {
    let per_page = query
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect()
}
