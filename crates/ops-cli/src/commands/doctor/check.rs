//! One line of the setup check, and how the lines are shown: a table of
//! STATUS, CHECK, DETAIL, or with `--json` the stable array of
//! `{"check", "status", "detail"}`.

use serde::Serialize;

/// How an item of the setup check came out, from least to most severe (the
/// order `-q` filters by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to say beyond the facts (an optional part that is absent).
    Info,
    /// Works.
    Ok,
    /// Works, but something is off (a source will be off, a path is missing...).
    Warn,
    /// ops cannot work like this: `ops doctor` exits 1.
    Fail,
}

impl Status {
    /// The word shown in the table and in `--json`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Info => "info",
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One item: what was checked, how it came out, and the facts or what to do.
/// The field names and order are the `--json` contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked (`registry`, `secret github_token`, `agent claude`...).
    pub check: String,
    /// How it came out.
    pub status: Status,
    /// The facts (where, how many, which version) or what to do about it.
    /// Never a secret's value.
    pub detail: String,
}

impl Check {
    /// A line of the check.
    pub fn new(check: impl Into<String>, status: Status, detail: impl Into<String>) -> Self {
        Check {
            check: check.into(),
            status,
            detail: detail.into(),
        }
    }
}

/// The lines as a table (status, check, detail), then a count per status
/// unless `quiet`; `quiet` also leaves out the `ok` and `info` lines.
pub fn table(checks: &[Check], quiet: bool) -> String {
    let shown: Vec<&Check> = checks
        .iter()
        .filter(|c| !quiet || c.status >= Status::Warn)
        .collect();
    let width = shown.iter().map(|c| c.check.chars().count()).max();
    let mut text = String::new();
    for c in &shown {
        let pad = width.unwrap_or(0) - c.check.chars().count();
        text.push_str(&format!(
            "{:<4}  {}{}  {}\n",
            c.status.word(),
            c.check,
            " ".repeat(pad),
            crate::commands::one_line(&c.detail, usize::MAX)
        ));
    }
    if !quiet {
        let counts: Vec<String> = [Status::Ok, Status::Warn, Status::Fail, Status::Info]
            .into_iter()
            .map(|s| {
                let n = checks.iter().filter(|c| c.status == s).count();
                format!("{n} {}", s.word())
            })
            .collect();
        text.push_str(&counts.join(", "));
        text.push('\n');
    }
    text
}

/// `1 project`, `3 projects`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The `--json` array.
pub fn json(checks: &[Check]) -> String {
    let mut text = serde_json::to_string_pretty(checks)
        .expect("checks hold only strings, which always encode");
    text.push('\n');
    text
}

/// The names of the failed items, in order.
pub fn failed(checks: &[Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.check.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Check> {
        vec![
            Check::new("git", Status::Ok, "git version 2.47.0"),
            Check::new("agent codex", Status::Info, "not found on PATH"),
            Check::new("registry", Status::Fail, "read r.json:\n projects: bad"),
        ]
    }

    #[test]
    fn the_table_aligns_details_flattens_them_and_counts_each_status() {
        assert_eq!(
            table(&sample(), false),
            "ok    git          git version 2.47.0\n\
             info  agent codex  not found on PATH\n\
             fail  registry     read r.json: projects: bad\n\
             1 ok, 0 warn, 1 fail, 1 info\n"
        );
    }

    #[test]
    fn quiet_shows_only_warnings_and_failures_without_counts() {
        assert_eq!(
            table(&sample(), true),
            "fail  registry  read r.json: projects: bad\n"
        );
    }

    #[test]
    fn json_has_check_status_and_detail_with_lowercase_statuses() {
        let value: serde_json::Value = serde_json::from_str(&json(&sample())).expect("valid JSON");
        assert_eq!(
            value[2],
            serde_json::json!({"check": "registry", "status": "fail", "detail": "read r.json:\n projects: bad"})
        );
        assert_eq!(failed(&sample()), ["registry"]);
    }
}
