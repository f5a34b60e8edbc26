//! Reading repositories: every repository's first pages, then rounds of
//! follow-up pages for the connections that have more, `batch_size` asks per
//! request (aliases) in every round.

use super::client::{self, Failure, Reply};
use super::query::{Ask, Head, IssuePageNodes, PrPageNodes};
use crate::http::Http;

/// One repository of one project.
pub(super) struct Target {
    /// The project's index in the audit.
    pub project: usize,
    /// `owner/name`.
    pub slug: String,
    /// `owner`.
    pub owner: String,
    /// `name`.
    pub name: String,
    /// The local checkout paired with it.
    pub path: String,
    /// The project's dev branch.
    pub dev: String,
    /// The project's main branch.
    pub main: String,
}

/// What was read about one repository.
#[derive(Default)]
pub(super) struct RepoState {
    /// Every open PR.
    pub prs: Vec<PrPageNodes>,
    /// Every open issue.
    pub issues: Vec<IssuePageNodes>,
    /// The dev branch's head.
    pub dev: Option<Head>,
    /// The main branch's head.
    pub main: Option<Head>,
}

/// Reads every target; one result per target, in order.
pub(super) async fn read(
    http: &Http,
    url: &str,
    batch_size: usize,
    targets: &[Target],
) -> Vec<Result<RepoState, Failure>> {
    let mut states: Vec<Result<RepoState, Failure>> =
        targets.iter().map(|_| Ok(RepoState::default())).collect();
    let mut pending: Vec<(usize, Ask)> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let ask = Ask::Full {
                owner: t.owner.clone(),
                name: t.name.clone(),
                dev: t.dev.clone(),
                main: t.main.clone(),
            };
            (i, ask)
        })
        .collect();
    while !pending.is_empty() {
        let mut next = Vec::new();
        for chunk in pending.chunks(batch_size) {
            let asks: Vec<Ask> = chunk.iter().map(|(_, a)| a.clone()).collect();
            let replies = client::send(http, url, &asks).await;
            for ((target, ask), reply) in chunk.iter().zip(replies) {
                let Ok(state) = &mut states[*target] else {
                    continue;
                };
                match reply {
                    Err(failure) => states[*target] = Err(failure),
                    Ok(reply) => {
                        next.extend(absorb(state, ask, reply).into_iter().map(|a| (*target, a)))
                    }
                }
            }
        }
        pending = next;
    }
    states
}

/// Adds `reply` to `state`; the follow-up asks it calls for.
fn absorb(state: &mut RepoState, ask: &Ask, reply: Reply) -> Vec<Ask> {
    let (owner, name) = ask.repository();
    let (owner, name) = (owner.to_string(), name.to_string());
    let (prs, issues) = match reply {
        Reply::Full(full) => {
            let full = *full;
            state.dev = full.dev;
            state.main = full.main;
            (Some(full.audit.pull_requests), Some(full.audit.issues))
        }
        Reply::PullRequests(page) => (Some(page), None),
        Reply::Issues(page) => (None, Some(page)),
    };
    let mut next = Vec::new();
    if let Some(page) = prs {
        state.prs.extend(page.nodes.into_iter().flatten().flatten());
        if let (true, Some(after)) = (page.page_info.has_next_page, page.page_info.end_cursor) {
            next.push(Ask::PullRequests {
                owner: owner.clone(),
                name: name.clone(),
                after,
            });
        }
    }
    if let Some(page) = issues {
        state
            .issues
            .extend(page.nodes.into_iter().flatten().flatten());
        if let (true, Some(after)) = (page.page_info.has_next_page, page.page_info.end_cursor) {
            next.push(Ask::Issues { owner, name, after });
        }
    }
    next
}
