//! claude-ops' `daemon-health.json`: the state of its background services.
//!
//! Read leniently: services under a `services` key (an object of name →
//! `{status, ...}`, or a list of `{name, status, ...}`), or at the top level as
//! name → `{status, ...}`. When the file was written comes from an `updated_at`,
//! `updated`, `timestamp` or `last_updated` field (RFC 3339 text, or Unix
//! seconds or milliseconds), else from the file's modification time. The file
//! is stale [`DaemonHealth::STALE_AFTER_MS`] after it was written, unless the
//! daemon says it only monitors (`actions_enabled: false`).
//!
//! Health is advice, never a gate: `running`, `polling`, `scheduled`,
//! `delegated` (launchd owns the service) and `not_started_monitor_only` are
//! healthy; `dead`, `crashed`/`failed`, `config_error`, `needs_reauth` and
//! `max_restarts_exceeded` are failures (a P1 finding on the registry's
//! claude-ops project, when it has one, and a warning); `starting`, `stopped`
//! and statuses ops does not know are a warning line.

use super::json::{JsonFile, kind};
use crate::error::Result;
use crate::model::{Finding, Priority, Project, Timestamp, fingerprint};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The state a service reports, in three kinds: working ([`Self::is_healthy`]),
/// failed ([`Self::is_failure`]: a finding), and neither (a warning line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceState {
    /// Up.
    Running,
    /// Up, polling.
    Polling,
    /// Up, waiting for its next scheduled run.
    Scheduled,
    /// Another supervisor (launchd's keepalive) owns it; the daemon only watches.
    Delegated,
    /// The daemon runs in monitor-only mode (`actions_enabled: false`) and
    /// deliberately did not start it (`not_started_monitor_only`).
    MonitorOnly,
    /// Being started.
    Starting,
    /// Stopped on purpose (SIGTERM, an uninstall).
    Stopped,
    /// Down.
    Dead,
    /// It crashed (`crashed`) or its last run failed (`failed`).
    Crashed,
    /// Its configuration is wrong (`config_error`): it cannot start.
    ConfigError,
    /// Its credentials expired: a human must log in again.
    NeedsReauth,
    /// Its supervisor gave up restarting it.
    MaxRestartsExceeded,
    /// A status ops does not know: ops cannot tell (a warning line).
    Other(String),
}

impl ServiceState {
    fn parse(text: &str) -> ServiceState {
        match text.to_ascii_lowercase().as_str() {
            "running" | "ok" | "connected" => ServiceState::Running,
            "polling" => ServiceState::Polling,
            "scheduled" => ServiceState::Scheduled,
            "delegated" => ServiceState::Delegated,
            "not_started_monitor_only" | "monitor_only" => ServiceState::MonitorOnly,
            "starting" => ServiceState::Starting,
            "stopped" => ServiceState::Stopped,
            "dead" => ServiceState::Dead,
            "crashed" | "failed" => ServiceState::Crashed,
            "config_error" => ServiceState::ConfigError,
            "needs_reauth" | "needs_auth" => ServiceState::NeedsReauth,
            "max_restarts_exceeded" => ServiceState::MaxRestartsExceeded,
            _ => ServiceState::Other(text.to_owned()),
        }
    }

    /// Whether the service is working as its owner means it to.
    pub fn is_healthy(&self) -> bool {
        matches!(
            self,
            ServiceState::Running
                | ServiceState::Polling
                | ServiceState::Scheduled
                | ServiceState::Delegated
                | ServiceState::MonitorOnly
        )
    }

    /// Whether the service failed and needs someone to act.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            ServiceState::Dead
                | ServiceState::Crashed
                | ServiceState::ConfigError
                | ServiceState::NeedsReauth
                | ServiceState::MaxRestartsExceeded
        )
    }

    /// The status as ops names it (claude-ops' spelling).
    pub fn as_str(&self) -> &str {
        match self {
            ServiceState::Running => "running",
            ServiceState::Polling => "polling",
            ServiceState::Scheduled => "scheduled",
            ServiceState::Delegated => "delegated",
            ServiceState::MonitorOnly => "not_started_monitor_only",
            ServiceState::Starting => "starting",
            ServiceState::Stopped => "stopped",
            ServiceState::Dead => "dead",
            ServiceState::Crashed => "crashed",
            ServiceState::ConfigError => "config_error",
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
    /// The daemon says it only watches (`actions_enabled: false`, or a
    /// top-level status `not_started_monitor_only`): it is not expected to
    /// refresh the file, so an old timestamp is no failure.
    pub monitor_only: bool,
}

/// What the health file says, sorted for the two places it goes: failures
/// become findings, everything else worth saying a warning line. Neither
/// ever stops a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthReport {
    /// Services that failed: `(name, status)`.
    pub failed: Vec<(String, String)>,
    /// The file is stale: how many seconds since it was written.
    pub stale_for_s: Option<u64>,
    /// One line per thing worth saying (failures included), for stderr.
    pub warnings: Vec<String>,
}

impl DaemonHealth {
    /// Older than this, the file says nothing about now.
    pub const STALE_AFTER_MS: u64 = 120_000;

    /// Read the file at `path`; `Ok(None)` when there is none.
    pub fn load(path: &Path) -> Result<Option<DaemonHealth>> {
        let Some(text) = JsonFile::read(path)? else {
            return Ok(None);
        };
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
        let monitor_only = top.get("actions_enabled") == Some(&Value::Bool(false))
            || top
                .get("status")
                .and_then(Value::as_str)
                .is_some_and(|s| ServiceState::parse(s) == ServiceState::MonitorOnly);
        Ok(DaemonHealth {
            path: path.to_path_buf(),
            written_at,
            services,
            monitor_only,
        })
    }

    /// Whether the file is too old to trust at `now`.
    pub fn is_stale(&self, now: Timestamp) -> bool {
        now.0.saturating_sub(self.written_at.0) > Self::STALE_AFTER_MS
    }

    /// What the file says at `now`: failed services, staleness, and a
    /// warning line for each, plus one for each service neither working nor
    /// failed (`starting`, `stopped`, a status ops does not know).
    pub fn report(&self, now: Timestamp) -> HealthReport {
        let mut report = HealthReport::default();
        if self.is_stale(now) && !self.monitor_only {
            let age = now.0.saturating_sub(self.written_at.0) / 1000;
            report.stale_for_s = Some(age);
            report.warnings.push(format!(
                "{} is stale: last written {} (more than {}s ago): is the claude-ops daemon running?",
                self.path.display(),
                crate::model::age_text(age),
                Self::STALE_AFTER_MS / 1000
            ));
        }
        for s in &self.services {
            let status = s.state.as_str();
            if s.state.is_failure() {
                report.failed.push((s.name.clone(), status.to_owned()));
                report
                    .warnings
                    .push(format!("daemon service {} failed ({status})", s.name));
            } else if !s.state.is_healthy() {
                report
                    .warnings
                    .push(format!("daemon service {} is {status}", s.name));
            }
        }
        report
    }
}

/// The findings a health report gives for `project`, the registry's entry
/// for claude-ops itself ([`is_daemon_project`]): a P1 "daemon service X
/// failed" per failed service and one for a stale file. `repo` is its checkout.
pub fn daemon_findings(report: &HealthReport, project: &Project) -> Vec<Finding> {
    let repo = project
        .paths
        .first()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let finding = |kind: &str, key: &str, title: String, detail: String| Finding {
        source: DAEMON_SOURCE.to_owned(),
        kind: kind.to_owned(),
        project: project.alias.clone(),
        repo: repo.clone(),
        title,
        detail,
        priority: Priority::P1,
        fingerprint: fingerprint(&[DAEMON_SOURCE, kind, &project.alias, key]),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    };
    let mut out: Vec<Finding> = report
        .failed
        .iter()
        .map(|(name, status)| {
            finding(
                "daemon_service",
                name,
                format!("daemon service {name} failed"),
                format!("claude-ops' daemon-health.json reports service {name} as {status}."),
            )
        })
        .collect();
    if let Some(age) = report.stale_for_s {
        out.push(finding(
            "daemon_stale",
            "health",
            "claude-ops daemon health is stale".to_owned(),
            format!(
                "daemon-health.json was last written {}; a running daemon rewrites it every 30s.",
                crate::model::age_text(age)
            ),
        ));
    }
    out
}

/// The source name of the daemon's findings.
pub const DAEMON_SOURCE: &str = "daemon";

/// Whether `project` is claude-ops itself: it answers to `claude-ops`, or one
/// of its repositories is named so.
pub fn is_daemon_project(project: &Project) -> bool {
    project.answers_to("claude-ops")
        || project
            .repos
            .iter()
            .any(|r| r.rsplit('/').next() == Some("claude-ops"))
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
