//! claude-ops' `daemon-health.json`: the state of its background services.
//!
//! Read leniently: services under a `services` key (an object of name →
//! `{status, ...}`, or a list of `{name, status, ...}`), or at the top level as
//! name → `{status, ...}`. When the file was written comes from an `updated_at`,
//! `updated`, `timestamp` or `last_updated` field (RFC 3339 text, or Unix
//! seconds or milliseconds), else from the file's modification time. The file
//! is stale [`DaemonHealth::STALE_AFTER_MS`] after it was written.

use super::json::{JsonFile, kind};
use crate::error::Result;
use crate::model::Timestamp;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The state a service reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceState {
    /// Up.
    Running,
    /// Up, polling.
    Polling,
    /// Up, waiting for its next scheduled run.
    Scheduled,
    /// Down.
    Dead,
    /// Its credentials expired: a human must log in again.
    NeedsReauth,
    /// Its supervisor gave up restarting it.
    MaxRestartsExceeded,
    /// A status ops does not know (counted as unhealthy: ops cannot tell).
    Other(String),
}

impl ServiceState {
    fn parse(text: &str) -> ServiceState {
        match text.to_ascii_lowercase().as_str() {
            "running" => ServiceState::Running,
            "polling" => ServiceState::Polling,
            "scheduled" => ServiceState::Scheduled,
            "dead" => ServiceState::Dead,
            "needs_reauth" => ServiceState::NeedsReauth,
            "max_restarts_exceeded" => ServiceState::MaxRestartsExceeded,
            _ => ServiceState::Other(text.to_owned()),
        }
    }

    /// Whether the service is working.
    pub fn is_healthy(&self) -> bool {
        matches!(
            self,
            ServiceState::Running | ServiceState::Polling | ServiceState::Scheduled
        )
    }

    /// The status as claude-ops writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ServiceState::Running => "running",
            ServiceState::Polling => "polling",
            ServiceState::Scheduled => "scheduled",
            ServiceState::Dead => "dead",
            ServiceState::NeedsReauth => "needs_reauth",
            ServiceState::MaxRestartsExceeded => "max_restarts_exceeded",
            ServiceState::Other(s) => s,
        }
    }
}

/// One service's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceHealth {
    /// The service's name.
    pub name: String,
    /// Its state.
    pub state: ServiceState,
}

/// The daemon health file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonHealth {
    /// The file.
    pub path: PathBuf,
    /// When it was written.
    pub written_at: Timestamp,
    /// Every service, sorted by name.
    pub services: Vec<ServiceHealth>,
}

impl DaemonHealth {
    /// Older than this, the file says nothing about now.
    pub const STALE_AFTER_MS: u64 = 120_000;

    /// Read the file at `path`; `Ok(None)` when there is none.
    pub fn load(path: &Path) -> Result<Option<DaemonHealth>> {
        if !path.exists() {
            return Ok(None);
        }
        let text = JsonFile::read(path)?;
        let modified = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| Timestamp(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
            .unwrap_or_default();
        DaemonHealth::parse(&text, path, modified).map(Some)
    }

    /// Parse the file's text; `modified` is used when it names no time itself.
    pub fn parse(text: &str, path: &Path, modified: Timestamp) -> Result<DaemonHealth> {
        let file = JsonFile { path };
        let root = file.parse(text)?;
        let Value::Object(top) = &root else {
            return Err(file.error(
                "(top level)",
                format!("expected an object, found {}", kind(&root)),
            ));
        };
        let mut written_at = modified;
        for key in ["updated_at", "updated", "timestamp", "last_updated"] {
            if let Some(value) = top.get(key) {
                written_at = parse_time(value).ok_or_else(|| {
                    file.error(
                        key,
                        "expected an RFC 3339 time or Unix seconds/milliseconds",
                    )
                })?;
                break;
            }
        }
        let mut services = Vec::new();
        match top.get("services") {
            Some(Value::Object(map)) => {
                for (name, entry) in map {
                    services.push(service(&file, name, entry, &format!("services.{name}"))?);
                }
            }
            Some(Value::Array(list)) => {
                for (i, entry) in list.iter().enumerate() {
                    let at = format!("services[{i}]");
                    let name = file
                        .string(entry, "name", &format!("{at}."))?
                        .ok_or_else(|| {
                            file.error(format!("{at}.name"), "missing; expected a string")
                        })?;
                    services.push(service(&file, &name, entry, &at)?);
                }
            }
            Some(other) => {
                return Err(file.error(
                    "services",
                    format!("expected an object or a list, found {}", kind(other)),
                ));
            }
            None => {
                for (name, entry) in top {
                    if entry.get("status").is_some() {
                        services.push(service(&file, name, entry, name)?);
                    }
                }
            }
        }
        services.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(DaemonHealth {
            path: path.to_path_buf(),
            written_at,
            services,
        })
    }

    /// Whether the file is too old to trust at `now`.
    pub fn is_stale(&self, now: Timestamp) -> bool {
        now.0.saturating_sub(self.written_at.0) > Self::STALE_AFTER_MS
    }

    /// Everything wrong at `now`, one line each (empty = healthy). A problem
    /// blocks dispatch unless the run is forced.
    pub fn problems(&self, now: Timestamp) -> Vec<String> {
        let mut problems = Vec::new();
        if self.is_stale(now) {
            problems.push(format!(
                "{} is stale: last written {}s ago (more than {}s): is the claude-ops daemon running?",
                self.path.display(),
                now.0.saturating_sub(self.written_at.0) / 1000,
                Self::STALE_AFTER_MS / 1000
            ));
        }
        for s in self.services.iter().filter(|s| !s.state.is_healthy()) {
            problems.push(format!("service {} is {}", s.name, s.state.as_str()));
        }
        problems
    }
}

fn service(file: &JsonFile<'_>, name: &str, entry: &Value, at: &str) -> Result<ServiceHealth> {
    let status = match entry {
        Value::String(s) => s.clone(),
        Value::Object(_) => file
            .string(entry, "status", &format!("{at}."))?
            .ok_or_else(|| file.error(format!("{at}.status"), "missing; expected a string"))?,
        other => {
            return Err(file.error(
                at,
                format!("expected an object with a status, found {}", kind(other)),
            ));
        }
    };
    Ok(ServiceHealth {
        name: name.to_owned(),
        state: ServiceState::parse(&status),
    })
}

fn parse_time(value: &Value) -> Option<Timestamp> {
    match value {
        Value::Number(n) => {
            let n = n.as_u64()?;
            // Seconds until the year 33658; anything larger is milliseconds.
            Some(Timestamp(if n < 1_000_000_000_000 { n * 1000 } else { n }))
        }
        Value::String(s) => parse_rfc3339(s),
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` → milliseconds since the Unix epoch.
pub(crate) fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &frac[..digits.min(3)]);
        millis = padded.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && matches!(rest.as_bytes()[0], b'+' | b'-') => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let h = rest.get(1..3)?.parse::<i64>().ok()?;
            let m = rest.get(4..6)?.parse::<i64>().ok()?;
            sign * (h * 60 + m)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    u64::try_from(secs * 1000 + millis).ok().map(Timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_convert_to_epoch_milliseconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(Timestamp(0)));
        assert_eq!(
            parse_rfc3339("2026-11-23T21:00:00Z"),
            Some(Timestamp(1_795_467_600_000))
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T22:00:00.5+01:00"),
            Some(Timestamp(1_795_467_600_500))
        );
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
