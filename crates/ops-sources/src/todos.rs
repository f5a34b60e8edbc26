//! The todos sources: each checkout's `.ops/todos.md` ([`TodoSource::files`],
//! source `todos`) and todos given on the command line (`ops audit --todo
//! TEXT`, [`TodoSource::command_line`], source `cli-todo`). They are two
//! sources because a command-line todo is given anew on each run: its absence
//! from a later audit must not complete its task (the planner treats
//! [`COMMAND_LINE_SOURCE`] as ephemeral), while a todo ticked or deleted in the
//! file is done.
//!
//! # The todos file
//!
//! `<checkout>/.ops/todos.md` is a markdown checklist; everything that is not
//! a checklist item is ignored:
//!
//! ```markdown
//! # Todos
//! - [ ] Fix the flaky login test {#flaky-login} [P1]
//! - [ ] Document the login flow (after: flaky-login)
//! - [x] Rename the crate {#rename}
//! - [ ] Publish 0.2 (after: flaky-login, rename)
//! ```
//!
//! * `- [ ]` (or `* [ ]`) is a todo; `- [x]` is done and ignored;
//! * `{#id}` gives the todo an id (letters, digits, `-`, `_`, `.`), unique
//!   within the project;
//! * `(after: id1, id2)` makes the todo depend on those todos; an id that is
//!   not in the project's todos files is an error naming the file, line and id
//!   (an id of a done `[x]` todo is a dependency already met, and dropped);
//! * `[P0]` … `[P3]` sets the priority: default P3 for file todos, P2 for
//!   command-line todos (they were asked for just now).
//!
//! The markers are removed from the title. A todo's fingerprint comes from its
//! id when it has one, else from its text (lowercased, whitespace collapsed),
//! so editing a todo with an id keeps its task. Command-line todos take the
//! same markers; their `(after: …)` names ids of the project's todos files, and
//! a command-line todo whose text is an open todo of the file is left to the
//! file's source (one todo, one task).

use async_trait::async_trait;
use ops_core::model::{Finding, Priority, Project, fingerprint};
use ops_core::{Error, ErrorKind, IssueSource, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where a project's todos file lives, relative to a checkout.
pub const TODOS_FILE: &str = ".ops/todos.md";

/// The folder of ops' own files in a checkout (the todos file, the project's
/// configuration): never the project's work.
pub const OPS_DIR: &str = ".ops";

/// Whether the checkout-relative `path` is one of ops' own files (or their
/// folder, as `git status` collapses it when untracked).
pub fn is_ops_file(path: &str) -> bool {
    path.split('/').next() == Some(OPS_DIR)
}

/// The source name of the todos files.
pub const FILE_SOURCE: &str = "todos";

/// The source name of command-line todos.
pub const COMMAND_LINE_SOURCE: &str = "cli-todo";

/// Todos from every checkout's [`TODOS_FILE`], or from the command line.
#[derive(Debug, Clone)]
pub struct TodoSource {
    /// `Some((alias, text) pairs)` for the command-line source.
    given: Option<Vec<(String, String)>>,
}

impl TodoSource {
    /// The source of the open todos in each checkout's [`TODOS_FILE`].
    pub fn files() -> Self {
        TodoSource { given: None }
    }

    /// The source of `given` todos: `(project alias, text)` pairs from the
    /// command line (P2 unless tagged).
    pub fn command_line(given: Vec<(String, String)>) -> Self {
        TodoSource { given: Some(given) }
    }
}

#[async_trait]
impl IssueSource for TodoSource {
    fn name(&self) -> &str {
        if self.given.is_some() {
            COMMAND_LINE_SOURCE
        } else {
            FILE_SOURCE
        }
    }

    async fn audit(&self, project: &Project) -> Result<Vec<Finding>> {
        let given: Option<Vec<String>> = self.given.as_ref().map(|given| {
            given
                .iter()
                .filter(|(alias, _)| *alias == project.alias)
                .map(|(_, text)| text.clone())
                .collect()
        });
        if given.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let project = project.clone();
        let source = self.name().to_owned();
        tokio::task::spawn_blocking(move || todos_of(&project, given.as_deref()))
            .await
            .map_err(|e| {
                Error::backend(
                    source,
                    "audit",
                    ErrorKind::Fatal,
                    format!("the reading thread failed: {e}"),
                )
            })?
    }
}

/// One parsed todo line.
#[derive(Debug)]
struct Todo {
    done: bool,
    title: String,
    id: Option<String>,
    after: Vec<String>,
    priority: Option<Priority>,
    /// `<file>: line N` or `command-line todo N`.
    origin: String,
    repo: String,
}

impl Todo {
    /// The finding for this todo, without priority, fingerprint and edges.
    fn finding(&self, source: &str, alias: &str) -> Finding {
        // The todo's own text is what to do; where it came from follows.
        let mut detail = format!("{}\n\n(todo from {})\n", self.title, self.origin);
        if let Some(id) = &self.id {
            detail.push_str(&format!("id: {id}\n"));
        }
        if !self.after.is_empty() {
            detail.push_str(&format!("after: {}\n", self.after.join(", ")));
        }
        Finding {
            source: source.to_owned(),
            kind: "todo".to_owned(),
            project: alias.to_owned(),
            repo: self.repo.clone(),
            title: self.title.clone(),
            detail,
            priority: Priority::P3,
            fingerprint: String::new(),
            depends_on: Vec::new(),
            paths: Vec::new(),
            blocked: None,
        }
    }
}

/// The todos of `project`: its files' open ones (`given` is `None`), or the
/// `given` command-line ones, with ids resolved across both.
fn todos_of(project: &Project, given: Option<&[String]>) -> Result<Vec<Finding>> {
    let source = if given.is_some() {
        COMMAND_LINE_SOURCE
    } else {
        FILE_SOURCE
    };
    let mut todos = Vec::new();
    for checkout in &project.paths {
        let checkout = std::path::absolute(checkout).unwrap_or_else(|_| checkout.clone());
        todos.extend(read_file(&checkout)?);
    }
    let from_files = todos.len();
    let default_repo = project
        .paths
        .first()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for (i, text) in given.unwrap_or_default().iter().enumerate() {
        let origin = format!("command-line todo {}", i + 1);
        let todo = parse_item(false, text, &origin)
            .map_err(|m| invalid(source, format!("{origin}: {m}")))?;
        todos.push(Todo {
            repo: default_repo.clone(),
            ..todo
        });
    }

    // Ids are project-wide; a done todo's id may be named and is met already.
    let id_print = |id: &str| fingerprint(&["todo", &project.alias, "id", id]);
    let mut ids: BTreeMap<&str, &Todo> = BTreeMap::new();
    for todo in &todos {
        if let Some(id) = &todo.id
            && let Some(first) = ids.insert(id, todo)
        {
            return Err(invalid(
                source,
                format!(
                    "{}: todo id `{id}` is already used at {}",
                    todo.origin, first.origin
                ),
            ));
        }
    }
    let text_print =
        |todo: &Todo| fingerprint(&["todo", &project.alias, "text", &normalize(&todo.title)]);
    let print_of = |todo: &Todo| match &todo.id {
        Some(id) => id_print(id),
        None => text_print(todo),
    };
    // What the files' source reports: a command-line todo among them (by id,
    // or by text even when the file's todo has an id) is theirs.
    let mut seen: BTreeSet<String> = todos[..from_files]
        .iter()
        .filter(|t| !t.done && given.is_some())
        .flat_map(|t| [print_of(t), text_print(t)])
        .collect();
    let emitted = if given.is_some() {
        &todos[from_files..]
    } else {
        &todos[..from_files]
    };
    let mut out = Vec::new();
    for todo in emitted.iter().filter(|t| !t.done) {
        let mut depends_on = Vec::new();
        for id in &todo.after {
            match ids.get(id.as_str()) {
                Some(dep) if dep.done => {}
                Some(_) => depends_on.push(id_print(id)),
                None => {
                    return Err(invalid(
                        source,
                        format!(
                            "{}: unknown todo id `{id}` in (after: …); known ids: {}",
                            todo.origin,
                            known(&ids)
                        ),
                    ));
                }
            }
        }
        let print = print_of(todo);
        if !seen.insert(print.clone()) {
            continue; // the same todo twice
        }
        let default = if given.is_some() {
            Priority::P2
        } else {
            Priority::P3
        };
        out.push(Finding {
            priority: todo.priority.unwrap_or(default),
            fingerprint: print,
            depends_on,
            ..todo.finding(source, &project.alias)
        });
    }
    Ok(out)
}

fn known(ids: &BTreeMap<&str, &Todo>) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.keys().copied().collect::<Vec<_>>().join(", ")
    }
}

/// The todos of `<checkout>/.ops/todos.md`, done ones included; none when the
/// file does not exist.
fn read_file(checkout: &Path) -> Result<Vec<Todo>> {
    let path: PathBuf = checkout.join(TODOS_FILE);
    let text = match ops_core::files::read_text(&path) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Vec::new()),
        Err(e) => {
            return Err(invalid(
                FILE_SOURCE,
                format!("{}: cannot read: {e}", path.display()),
            ));
        }
    };
    let mut todos = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some((done, rest)) = checkbox(line) else {
            continue;
        };
        let origin = format!("{}: line {}", path.display(), i + 1);
        let todo = parse_item(done, rest, &origin)
            .map_err(|m| invalid(FILE_SOURCE, format!("{origin}: {m}")))?;
        todos.push(Todo {
            repo: checkout.display().to_string(),
            ..todo
        });
    }
    Ok(todos)
}

/// `(done, rest)` of a `- [ ] rest` / `- [x] rest` line.
fn checkbox(line: &str) -> Option<(bool, &str)> {
    let s = line.trim_start();
    let s = s
        .strip_prefix("- ")
        .or_else(|| s.strip_prefix("* "))?
        .trim_start();
    for (mark, done) in [("[ ]", false), ("[x]", true), ("[X]", true)] {
        if let Some(rest) = s.strip_prefix(mark) {
            return Some((done, rest));
        }
    }
    None
}

/// Reads the markers out of a todo's text.
fn parse_item(done: bool, text: &str, origin: &str) -> std::result::Result<Todo, String> {
    let mut rest = text.to_owned();
    let id = take_between(&mut rest, "{#", "}")?
        .map(|id| {
            let ok = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            ok.then_some(id.clone()).ok_or_else(|| {
                format!("todo id {{#{id}}} may only hold letters, digits, `-`, `_` and `.`")
            })
        })
        .transpose()?;
    let after = take_between(&mut rest, "(after:", ")")?
        .map(|list| {
            list.split(',')
                .map(|s| s.trim().trim_start_matches('#').to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut priority = None;
    for (tag, p) in [
        ("[P0]", Priority::P0),
        ("[P1]", Priority::P1),
        ("[P2]", Priority::P2),
        ("[P3]", Priority::P3),
    ] {
        if let Some(at) = rest.find(tag) {
            rest.replace_range(at..at + tag.len(), "");
            priority = Some(p);
        }
    }
    let title = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err("the todo has no text".to_owned());
    }
    Ok(Todo {
        done,
        title,
        id,
        after,
        priority,
        origin: origin.to_owned(),
        repo: String::new(),
    })
}

/// Removes the first `open … close` from `text` and returns what was between.
fn take_between(
    text: &mut String,
    open: &str,
    close: &str,
) -> std::result::Result<Option<String>, String> {
    let Some(start) = text.find(open) else {
        return Ok(None);
    };
    let Some(len) = text[start + open.len()..].find(close) else {
        return Err(format!("`{open}` is not closed with `{close}`"));
    };
    let inner = text[start + open.len()..start + open.len() + len]
        .trim()
        .to_owned();
    text.replace_range(start..start + open.len() + len + close.len(), " ");
    Ok(Some(inner))
}

fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn invalid(source: &str, message: String) -> Error {
    Error::backend(source, "audit", ErrorKind::Invalid, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_line_parses_to_a_todo_or_an_error_never_a_panic(
            pieces in prop::collection::vec(prop_oneof![
                Just("- [ ] "), Just("- [x] "), Just("{#"), Just("}"), Just("(after:"),
                Just(")"), Just(","), Just("[P0]"), Just("[P9]"), Just(" "), Just("é"), Just("id-1"),
            ], 0..20),
            tail in "\\PC{0,12}",
        ) {
            let line = format!("{}{tail}", pieces.concat());
            if let Some((done, rest)) = checkbox(&line) {
                let _ = parse_item(done, rest, "fuzz");
            }
        }
    }
}
