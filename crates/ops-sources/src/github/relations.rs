//! "depends on #n" / "blocked by #n" in an issue's or a pull request's body
//! → [`Finding::depends_on`](ops_core::model::Finding) the fingerprints of that
//! issue's or PR's findings, when it is among this audit's findings.

use ops_core::model::Finding;
use std::collections::BTreeMap;

/// An issue or a PR with its findings and the body that may name its blockers.
#[derive(Debug)]
pub struct Item {
    /// `owner/name`.
    pub slug: String,
    /// Its number.
    pub number: i64,
    /// Its body.
    pub body: String,
    /// Its findings.
    pub findings: Vec<Finding>,
}

/// The `(owner/name, number)` pairs `body` says it depends on or is blocked by;
/// a bare `#n` is in `own` (the repository the body belongs to). Slugs are
/// lowercased (GitHub's are case-insensitive).
pub fn references(body: &str, own: &str) -> Vec<(String, i64)> {
    let text = body.to_ascii_lowercase();
    let mut out = Vec::new();
    for phrase in ["depends on", "blocked by"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(phrase) {
            let mut rest = &text[from + at + phrase.len()..];
            rest = rest.trim_start_matches(':');
            loop {
                rest = rest.trim_start();
                let Some((reference, after)) = one_reference(rest, own) else {
                    break;
                };
                out.push(reference);
                rest = after.trim_start();
                if let Some(r) = rest.strip_prefix(',') {
                    rest = r;
                } else if let Some(r) = rest.strip_prefix("and ") {
                    rest = r;
                } else {
                    break;
                }
            }
            from += at + phrase.len();
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `#12` or `owner/name#12` at the start of `s`, and what follows it.
fn one_reference<'a>(s: &'a str, own: &str) -> Option<((String, i64), &'a str)> {
    let hash = s.find('#')?;
    let slug = &s[..hash];
    let slug_ok = slug.is_empty()
        || (slug.split('/').count() == 2
            && slug.split('/').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            }));
    if !slug_ok {
        return None;
    }
    let digits: String = s[hash + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let number: i64 = digits.parse().ok()?;
    let slug = if slug.is_empty() {
        own.to_ascii_lowercase()
    } else {
        slug.to_string()
    };
    Some(((slug, number), &s[hash + 1 + digits.len()..]))
}

/// Sets `depends_on` on every item's findings from its body's references to
/// other items (references to anything not among `items` are dropped).
pub fn link(items: &mut [Item]) {
    let mut prints: BTreeMap<(String, i64), Vec<String>> = BTreeMap::new();
    for item in items.iter() {
        prints
            .entry((item.slug.to_ascii_lowercase(), item.number))
            .or_default()
            .extend(item.findings.iter().map(|f| f.fingerprint.clone()));
    }
    for item in items.iter_mut() {
        let own = (item.slug.to_ascii_lowercase(), item.number);
        let mut deps: Vec<String> = references(&item.body, &item.slug)
            .into_iter()
            .filter(|r| *r != own)
            .filter_map(|r| prints.get(&r))
            .flatten()
            .cloned()
            .collect();
        deps.sort();
        deps.dedup();
        for f in &mut item.findings {
            f.depends_on.clone_from(&deps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::references;

    #[test]
    fn references_read_both_phrases_any_case_lists_and_other_repositories() {
        let body = "Fixes stuff.\nDepends on #12, #13 and acme/web#4\nBLOCKED BY: #7.\nSee #99.";
        assert_eq!(
            references(body, "Acme/API"),
            [
                ("acme/api".to_string(), 7),
                ("acme/api".to_string(), 12),
                ("acme/api".to_string(), 13),
                ("acme/web".to_string(), 4),
            ]
        );
    }

    #[test]
    fn a_mention_without_the_phrase_or_without_a_number_is_no_reference() {
        assert!(
            references(
                "related to #5; depends on the API; blocked by nothing",
                "a/b"
            )
            .is_empty()
        );
        assert!(references("depends on bad slug/x/y#3", "a/b").is_empty());
    }
}
