//! What one checkout looks like, read with gix: the branch, what `git status
//! --porcelain` would list, and how far HEAD is ahead of its base branch.

use gix::bstr::ByteSlice;
use ops_core::{Error, ErrorKind, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The remote whose branches are the base of the ahead count.
const REMOTE: &str = "origin";

/// The git facts of one checkout, as `git` itself would report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitFacts {
    /// The checkout that was read.
    pub path: PathBuf,
    /// The checked-out branch (`dev`), `None` when HEAD is detached.
    pub branch: Option<String>,
    /// HEAD points at a commit, not at a branch.
    pub detached: bool,
    /// The commit HEAD points to; `None` on an unborn branch.
    pub head: Option<String>,
    /// One path per line of `git status --porcelain`, sorted: staged, unstaged
    /// and untracked changes (untracked directories collapsed to `dir/` as git
    /// does; a staged rename is its new path).
    pub changes: Vec<String>,
    /// The remote-tracking branch commits are counted against (`origin/dev`),
    /// `None` when none of the candidates exists.
    pub base: Option<String>,
    /// Commits reachable from HEAD but not from `base`
    /// (`git rev-list --count base..HEAD`); `None` without a base or a HEAD commit.
    pub ahead: Option<usize>,
    /// Commits on no remote-tracking branch: what would be lost if the
    /// checkout vanished (`git rev-list --count --branches --not --remotes`,
    /// plus a detached HEAD's own commits).
    pub unpushed_anywhere: usize,
    /// The local branches whose tip is among those commits, sorted.
    pub unpushed_branches: Vec<String>,
}

impl GitFacts {
    /// How many lines `git status --porcelain` prints.
    pub fn dirty(&self) -> usize {
        self.changes.len()
    }

    /// The branch for display: its name, or `detached HEAD at <short id>`.
    pub fn branch_label(&self) -> String {
        match (&self.branch, &self.head) {
            (Some(branch), _) => branch.clone(),
            (None, Some(head)) => format!("detached HEAD at {}", short(head)),
            (None, None) => "detached HEAD".to_owned(),
        }
    }
}

/// Short form of a commit id for messages.
pub(crate) fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

/// Reads the facts of the checkout at `path`, comparing HEAD with
/// `origin/<dev_branch>`; when `dev_branch` is `None` or that remote branch does
/// not exist, with the current branch's upstream, else with `origin/HEAD`.
///
/// Blocking (it reads the index, walks the worktree and the commit graph): call
/// it from a blocking thread. A missing path is [`ErrorKind::NotFound`]; a path
/// that is not a readable repository is [`ErrorKind::Invalid`]; both name the path.
pub fn git_facts(path: &Path, dev_branch: Option<&str>) -> Result<GitFacts> {
    if !path.exists() {
        return Err(fail(
            path,
            ErrorKind::NotFound,
            "the path does not exist".to_owned(),
        ));
    }
    let invalid = |what: &str, err: &dyn std::fmt::Display| {
        fail(path, ErrorKind::Invalid, format!("{what}: {err}"))
    };
    let repo = gix::open(path).map_err(|e| invalid("not a readable git repository", &e))?;
    let head = repo.head().map_err(|e| invalid("read HEAD", &e))?;
    let detached = head.is_detached();
    let head_ref = head.referent_name().map(ToOwned::to_owned);
    let branch = head_ref.as_ref().map(|r| r.shorten().to_string());
    let head_id = match head.id() {
        Some(id) => Some(id.detach()),
        None if head.is_unborn() => None,
        None => return Err(invalid("read HEAD", &"it points to no commit")),
    };
    let changes = changed_paths(&repo).map_err(|e| invalid("read the status", &e))?;
    let base = resolve_base(&repo, dev_branch, head_ref.as_ref().map(|r| r.as_ref()))
        .map_err(|e| invalid("resolve the base branch", &e))?;
    let ahead = match (&base, head_id) {
        (Some((_, base_id)), Some(head_id)) => Some(
            count_ahead(&repo, head_id, *base_id)
                .map_err(|e| invalid("count commits ahead", &e))?,
        ),
        _ => None,
    };
    let (unpushed_anywhere, unpushed_branches) = on_no_remote(&repo, head_id.filter(|_| detached))
        .map_err(|e| invalid("find commits on no remote branch", &e))?;
    Ok(GitFacts {
        path: path.to_owned(),
        branch,
        detached,
        head: head_id.map(|id| id.to_string()),
        changes,
        base: base.map(|(name, _)| name),
        ahead,
        unpushed_anywhere,
        unpushed_branches,
    })
}

fn fail(path: &Path, kind: ErrorKind, message: String) -> Error {
    Error::backend(
        "git",
        "audit",
        kind,
        format!("{}: {message}", path.display()),
    )
}

type GixResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The paths `git status --porcelain` lists: the union of HEAD→index changes
/// (with git's rename detection) and index→worktree changes including untracked
/// files, collapsed like git's default `--untracked-files=normal`.
///
/// Like git, when the index's cache tree is valid and equals HEAD's tree, the
/// index holds nothing staged and the HEAD→index diff is skipped.
fn changed_paths(repo: &gix::Repository) -> GixResult<Vec<String>> {
    let index = repo.index_or_empty()?;
    let head_tree = repo.head_tree_id_or_empty()?.detach();
    let nothing_staged = index.tree().is_some_and(|root| {
        root.id == head_tree
            && root.num_entries.and_then(|n| usize::try_from(n).ok()) == Some(index.entries().len())
    });
    let platform = repo
        .status(gix::progress::Discard)?
        .index(gix::worktree::IndexPersistedOrInMemory::Persisted(
            index.clone(),
        ))
        .untracked_files(gix::status::UntrackedFiles::Collapsed)
        .index_worktree_submodules(gix::status::Submodule::AsConfigured { check_dirty: true })
        // One thread for the modification check: audits run many checkouts
        // side by side, and more threads per checkout only oversubscribe the cores.
        .index_worktree_options_mut(|opts| opts.thread_limit = Some(1));
    let mut changes = Changes::default();
    if nothing_staged {
        for item in platform.into_index_worktree_iter(None)? {
            changes.add(&item?);
        }
    } else {
        for item in platform.into_iter(None)? {
            match item? {
                gix::status::Item::IndexWorktree(item) => changes.add(&item),
                gix::status::Item::TreeIndex(change) => {
                    changes
                        .tracked
                        .insert(change.location().to_str_lossy().into_owned());
                }
            }
        }
    }
    Ok(changes.into_paths(&index))
}

/// What the status iterator reported, sorted into what git lists.
#[derive(Default)]
struct Changes {
    /// Changes of tracked paths (staged or not).
    tracked: BTreeSet<String>,
    /// Untracked files and collapsed untracked directories (`dir/`).
    untracked: BTreeSet<String>,
    /// Untracked nested repositories, which gix never collapses into their
    /// parent directory but git does.
    nested_repos: Vec<String>,
}

impl Changes {
    fn add(&mut self, item: &gix::status::index_worktree::Item) {
        use gix::dir::entry::Kind;
        use gix::status::index_worktree::Item;
        let path = item.rela_path().to_str_lossy().into_owned();
        match item {
            Item::DirectoryContents { entry, .. } => match entry.disk_kind {
                Some(Kind::Repository) => self.nested_repos.push(path),
                Some(Kind::Directory) => {
                    self.untracked.insert(format!("{path}/"));
                }
                _ => {
                    self.untracked.insert(path);
                }
            },
            Item::Modification { .. } | Item::Rewrite { .. } => {
                self.tracked.insert(path);
            }
        }
    }

    /// The paths `git status --porcelain` prints: a nested repository shows as
    /// its topmost ancestor directory that holds no tracked file (everything
    /// under it is then one `dir/` line), else as `repo/`.
    fn into_paths(mut self, index: &gix::index::State) -> Vec<String> {
        for repo in std::mem::take(&mut self.nested_repos) {
            let parts: Vec<&str> = repo.split('/').collect();
            let untracked_ancestor = (1..parts.len())
                .map(|n| format!("{}/", parts[..n].join("/")))
                .find(|dir| {
                    index
                        .prefixed_entries(dir.as_bytes().as_bstr())
                        .is_none_or(<[_]>::is_empty)
                });
            let shown = untracked_ancestor.unwrap_or_else(|| format!("{repo}/"));
            self.untracked.retain(|p| !p.starts_with(&shown));
            self.untracked.insert(shown);
        }
        let mut all = self.tracked;
        all.extend(self.untracked);
        all.into_iter().collect()
    }
}

/// The base of the ahead count and the commit it points to.
fn resolve_base(
    repo: &gix::Repository,
    dev_branch: Option<&str>,
    head_ref: Option<&gix::refs::FullNameRef>,
) -> GixResult<Option<(String, gix::ObjectId)>> {
    if let Some(dev) = dev_branch
        && let Some(found) = peel(repo, &format!("refs/remotes/{REMOTE}/{dev}"))?
    {
        return Ok(Some(found));
    }
    if let Some(head_ref) = head_ref
        && let Some(upstream) =
            repo.branch_remote_tracking_ref_name(head_ref, gix::remote::Direction::Fetch)
    {
        let upstream = upstream?;
        if let Some(found) = peel(repo, &upstream.as_bstr().to_str_lossy())? {
            return Ok(Some(found));
        }
    }
    peel(repo, &format!("refs/remotes/{REMOTE}/HEAD"))
}

/// The short name and commit of reference `name`, if it exists.
fn peel(repo: &gix::Repository, name: &str) -> GixResult<Option<(String, gix::ObjectId)>> {
    let Some(mut reference) = repo.try_find_reference(name)? else {
        return Ok(None);
    };
    // `origin/HEAD` is symbolic: name the branch it stands for.
    let shown = match reference.target() {
        gix::refs::TargetRef::Symbolic(target) => target.shorten().to_string(),
        gix::refs::TargetRef::Object(_) => reference.name().shorten().to_string(),
    };
    let id = reference.peel_to_id()?.detach();
    Ok(Some((shown, id)))
}

fn count_ahead(
    repo: &gix::Repository,
    head: gix::ObjectId,
    base: gix::ObjectId,
) -> GixResult<usize> {
    let mut count = 0;
    for info in repo.rev_walk([head]).with_hidden([base]).all()? {
        info?;
        count += 1;
    }
    Ok(count)
}

/// The commits reachable from a local branch (or the detached `head`) but
/// from no remote-tracking branch, and the branches whose tips are among
/// them. One walk: every local tip in, every remote tip hidden. ops' own task
/// and review branches are left out: their work is on the board and in ops'
/// worktrees, and a run the user stopped leaves them behind by design.
fn on_no_remote(
    repo: &gix::Repository,
    head: Option<gix::ObjectId>,
) -> GixResult<(usize, Vec<String>)> {
    let refs = repo.references()?;
    let mut tips: Vec<(String, gix::ObjectId)> = Vec::new();
    for r in refs.local_branches()? {
        let mut r = r?;
        let name = r.name().shorten().to_string();
        if is_ops_branch(&name) {
            continue;
        }
        tips.push((name, r.peel_to_id()?.detach()));
    }
    let mut hidden = Vec::new();
    for r in refs.remote_branches()? {
        let mut r = r?;
        // `origin/HEAD` is symbolic; its branch is listed on its own.
        if let Ok(id) = r.peel_to_id() {
            hidden.push(id.detach());
        }
    }
    let starts: Vec<gix::ObjectId> = tips.iter().map(|(_, id)| *id).chain(head).collect();
    if starts.is_empty() {
        return Ok((0, Vec::new()));
    }
    let mut seen = std::collections::HashSet::new();
    for info in repo.rev_walk(starts).with_hidden(hidden).all()? {
        seen.insert(info?.id);
    }
    let mut branches: Vec<String> = tips
        .into_iter()
        .filter(|(_, id)| seen.contains(id))
        .map(|(name, _)| name)
        .collect();
    branches.sort();
    Ok((seen.len(), branches))
}

fn is_ops_branch(name: &str) -> bool {
    use ops_core::model::{REVIEW_BRANCH_PREFIX, TASK_BRANCH_PREFIX};
    name.starts_with(TASK_BRANCH_PREFIX) || name.starts_with(REVIEW_BRANCH_PREFIX)
}

/// The fetch URL of the checkout's `origin` remote, if it has one (read with
/// gix, nothing run). Lets a checkout with no registry entry find its GitHub
/// repository.
pub fn origin_url(path: &Path) -> Option<String> {
    let repo = gix::open(path).ok()?;
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url(gix::remote::Direction::Fetch)?;
    Some(url.to_bstring().to_string())
}
