//! Phase numbers (`3`, `2.1`, `03`) and the `number [of total] [name]` text
//! that STATE.md and ROADMAP.md write after "Phase".

use std::cmp::Ordering;
use std::fmt;

/// A phase number: dot-separated integers, so `2.1` sorts between `2` and `3`
/// and `03` is `3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhaseNumber(Vec<u32>);

impl PhaseNumber {
    /// Parses the number at the start of `text` (`2.1: Name` → `2.1`); returns
    /// it and the rest of the text, or `None` when `text` does not start with a digit.
    pub fn parse_prefix(text: &str) -> Option<(PhaseNumber, &str)> {
        let end = text
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
            .map_or(text.len(), |(i, _)| i);
        let token = text[..end].trim_end_matches('.');
        let rest = &text[token.len()..];
        let parts: Option<Vec<u32>> = token.split('.').map(|p| p.parse().ok()).collect();
        match parts {
            Some(parts) if !parts.is_empty() => Some((PhaseNumber(parts), rest)),
            _ => None,
        }
    }

    /// A backlog phase: GSD parks ideas under `999.N`.
    pub fn is_backlog(&self) -> bool {
        self.0.first().is_some_and(|&n| n >= 999)
    }

    /// The phase that follows this one when it is a whole number (`3` → `4`).
    pub fn next_whole(&self) -> Option<PhaseNumber> {
        match self.0.as_slice() {
            [n] => n.checked_add(1).map(|m| PhaseNumber(vec![m])),
            _ => None,
        }
    }
}

impl Ord for PhaseNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for PhaseNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PhaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// What the text after "Phase" says: `3 of 7 (Name)`, `2.1: Name`, `4 - Name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseText {
    /// The phase number.
    pub number: PhaseNumber,
    /// `7` in `3 of 7`.
    pub total: Option<String>,
    /// The phase's name, when one is written.
    pub name: Option<String>,
}

/// Parses `text` (without the leading "Phase"); `None` when it does not start
/// with a number (`Not started (defining requirements)`).
pub fn parse_phase_text(text: &str) -> Option<PhaseText> {
    let text = text.trim();
    let text = strip_prefix_ci(text, "phase").unwrap_or(text).trim_start();
    let (number, rest) = PhaseNumber::parse_prefix(text)?;
    let mut rest = rest.trim_start();
    let mut total = None;
    if let Some(after) = strip_prefix_ci(rest, "of ") {
        let after = after.trim_start();
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        if end > 0 {
            total = Some(after[..end].to_owned());
            rest = after[end..].trim_start();
        }
    }
    Some(PhaseText {
        number,
        total,
        name: clean_name(rest),
    })
}

/// The name part after a number: `(Name)`, `: Name`, `- Name`, `— Name`.
fn clean_name(rest: &str) -> Option<String> {
    let rest = rest.trim();
    let rest = if let Some(inner) = rest.strip_prefix('(') {
        inner.split(')').next().unwrap_or(inner)
    } else {
        rest.trim_start_matches([':', '-', '—', '–']).trim()
    };
    let mut name = rest.trim().trim_matches('*').trim();
    // GSD marks inserted phases `Name (INSERTED)`: a marker, not the name.
    if let Some((head, marker)) = name.rsplit_once(" (")
        && marker
            .strip_suffix(')')
            .is_some_and(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_uppercase() || c == ' '))
    {
        name = head.trim_end();
    }
    (!name.is_empty()).then(|| name.to_owned())
}

/// `text` without `prefix`, compared ignoring ASCII case.
pub fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> PhaseNumber {
        PhaseNumber::parse_prefix(s).expect("a number").0
    }

    #[test]
    fn decimal_phases_sort_between_whole_ones_and_leading_zeros_are_ignored() {
        assert!(num("2") < num("2.1") && num("2.1") < num("2.10") && num("2.10") < num("3"));
        assert_eq!(num("03"), num("3"));
        assert_eq!(num("2.1.").to_string(), "2.1");
        assert_eq!(num("3").next_whole(), Some(num("4")));
        assert_eq!(num("3.1").next_whole(), None);
    }

    #[test]
    fn phase_text_reads_number_total_and_name_in_every_written_form() {
        let t = parse_phase_text("3 of 7 (Auth Flow)").expect("parsed");
        assert_eq!(
            (t.number.to_string(), t.total.as_deref(), t.name.as_deref()),
            ("3".into(), Some("7"), Some("Auth Flow"))
        );
        let t = parse_phase_text("Phase 2.1: Hotfix").expect("parsed");
        assert_eq!(
            (t.number.to_string(), t.name.as_deref()),
            ("2.1".into(), Some("Hotfix"))
        );
        let t = parse_phase_text("2.1: Hotfix (INSERTED)").expect("parsed");
        assert_eq!(t.name.as_deref(), Some("Hotfix"));
        let t = parse_phase_text("4 - Polish").expect("parsed");
        assert_eq!(t.name.as_deref(), Some("Polish"));
        assert_eq!(parse_phase_text("5").expect("parsed").name, None);
        assert_eq!(
            parse_phase_text("Not started (defining requirements)"),
            None
        );
    }
}
