//! After a merge: the unresolved issues first seen since a moment (the probe
//! ops-ship's after-merge check needs; the CLI adapts it to `NewIssueProbe`).

use super::SentrySource;
use ops_core::Result;
use ops_core::model::{Project, Timestamp};

impl SentrySource {
    /// Titles (`<short id>: <title> (<permalink>)`) of the unresolved issues of
    /// `project` first seen at or after `since`, newest first. A project without
    /// `sentry` config has none (and no request is sent).
    ///
    /// Asks Sentry for `firstSeen:>=<since>` sorted by first seen, and checks
    /// the dates itself too.
    pub async fn issues_first_seen_since(
        &self,
        project: &Project,
        since: Timestamp,
    ) -> Result<Vec<String>> {
        let Some(target) = &project.sentry else {
            return Ok(Vec::new());
        };
        let search = format!("firstSeen:>={}", iso(since));
        let issues = self
            .issues(&project.alias, target, &search, Some("new"))
            .await?;
        Ok(issues
            .iter()
            .filter(|i| i.is_open())
            .filter(|i| {
                // A date Sentry wrote that cannot be read: trust its own filter.
                i.first_seen
                    .as_deref()
                    .and_then(Timestamp::parse_rfc3339)
                    .is_none_or(|seen| seen >= since)
            })
            .map(|i| {
                let short = i.short_id.as_deref().unwrap_or(&i.id);
                match &i.permalink {
                    Some(link) => format!("{short}: {} ({link})", i.title),
                    None => format!("{short}: {}", i.title),
                }
            })
            .collect())
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC), the form Sentry's search takes; seconds are
/// rounded down, so an issue first seen within the same second still matches.
pub(super) fn iso(t: Timestamp) -> String {
    t.to_rfc3339().trim_end_matches('Z').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_round_trip_through_the_rfc3339_reader() {
        for text in [
            "1970-01-01T00:00:00",
            "2000-02-29T23:59:59",
            "2026-11-24T00:35:12",
            "2100-03-01T12:00:00",
        ] {
            let t = Timestamp::parse_rfc3339(&format!("{text}Z")).expect("valid");
            assert_eq!(iso(t), text);
        }
        let with_millis = Timestamp::parse_rfc3339("2026-11-24T00:35:12.999Z").expect("valid");
        assert_eq!(iso(with_millis), "2026-11-24T00:35:12");
    }
}
