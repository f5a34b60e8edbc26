//! The Claude Code backend: `claude -p --input-format stream-json --output-format
//! stream-json --verbose`. The brief is the first JSONL user message on stdin; every
//! `send()` is another one, accepted mid-turn too (steerable). stdout is parsed for
//! `system/init`, `assistant`, `user` and `result` (cost, turns, errors).
//!
//! A subagent's stdin is closed after its first `result`, so the CLI exits; a team
//! agent stays open between turns until the engine stops it (see `session`).
//! Hardened: `--setting-sources project,local` (no hooks or settings from the
//! user's home), plan mode disallowed (`EnterPlanMode`/`ExitPlanMode`, and
//! `--permission-mode plan` refused), `CLAUDE_CODE_DISABLE_BACKGROUND_TASKS=1`.
//! The `ANTHROPIC_*` and `CLAUDE_*` variables pass through (users point the CLI at
//! proxies). As root the CLI refuses to skip permissions unless `IS_SANDBOX=1`,
//! which is set unless a user to run as is configured.
//!
//! Sessions: ops names each attempt's session (`--session-id <uuid>`); the
//! engine stores it on the attempt, and the attempt after one that was cut off
//! (interrupted, rate-limited) gets it back in `Brief::resume` and runs
//! `--resume <id>`. Every stream-json user message carries a `uuid`, which the
//! CLI keeps as the message's id (`queued_command.source_uuid` in its transcript).

use crate::env::EnvPolicy;
use crate::limits::Limit;
use crate::process::ProcessSpec;
use crate::session::{Protocol, Seen, Session, SessionSpec};
use crate::workbench::{Workbench, commit_message};
use async_trait::async_trait;
use ops_core::model::Mode;
use ops_core::seams::{AgentHandle, Brief, Dispatcher, DispatcherCapabilities};
use ops_core::{Error, ErrorKind, Result};
use serde_json::Value;
use std::ffi::OsString;

/// How much the agent may do without asking (nobody answers prompts in a run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionMode {
    /// Edits inside the working directory (the worktree) and the configured tools
    /// (`--permission-mode acceptEdits --allowedTools ...`). The default.
    AcceptEdits,
    /// Everything (`--permission-mode bypassPermissions`).
    Bypass,
    /// Any other mode the CLI knows, passed to `--permission-mode` as is.
    Other(String),
}

/// Settings of the Claude Code backend.
#[derive(Debug, Clone)]
pub struct ClaudeConfig {
    /// The CLI (a path, or `claude` on PATH).
    pub program: String,
    /// Arguments put before ours (e.g. a wrapper's own).
    pub pre_args: Vec<String>,
    /// `--model`.
    pub model: String,
    /// `--permission-mode`.
    pub permission_mode: PermissionMode,
    /// `--allowedTools` (with `AcceptEdits`): commands run through `Bash`.
    pub allowed_tools: Vec<String>,
    /// `--max-turns`, if set.
    pub max_turns: Option<u32>,
    /// Run the CLI as this user (uid, gid; see [`crate::process::user_ids`]) — the
    /// alternative to `IS_SANDBOX=1` when ops runs as root.
    pub run_as: Option<(u32, u32)>,
}

impl Default for ClaudeConfig {
    fn default() -> Self {
        ClaudeConfig {
            program: "claude".into(),
            pre_args: Vec::new(),
            model: "sonnet".into(),
            permission_mode: PermissionMode::AcceptEdits,
            allowed_tools: [
                "Bash",
                "Edit",
                "Write",
                "MultiEdit",
                "Read",
                "Glob",
                "Grep",
                "LS",
            ]
            .map(String::from)
            .to_vec(),
            max_turns: None,
            run_as: None,
        }
    }
}

impl ClaudeConfig {
    /// The command-line arguments (after `pre_args`).
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "-p",
            "--input-format",
            "stream-json",
            "--output-format",
            "stream-json",
            "--verbose",
            // Hardened: no settings (hooks, env, permissions) from the user's
            // home, only the repository's own; plan mode never (nobody approves
            // a plan in a run).
            "--setting-sources",
            "project,local",
            "--disallowedTools",
            "EnterPlanMode,ExitPlanMode",
            "--model",
        ]
        .map(String::from)
        .to_vec();
        args.push(self.model.clone());
        args.push("--permission-mode".into());
        match &self.permission_mode {
            PermissionMode::AcceptEdits => {
                args.push("acceptEdits".into());
                if !self.allowed_tools.is_empty() {
                    args.push("--allowedTools".into());
                    args.push(self.allowed_tools.join(","));
                }
            }
            PermissionMode::Bypass => args.push("bypassPermissions".into()),
            PermissionMode::Other(mode) => args.push(mode.clone()),
        }
        if let Some(n) = self.max_turns {
            args.push("--max-turns".into());
            args.push(n.to_string());
        }
        args
    }
}

/// Runs Claude Code agents.
#[derive(Debug, Clone)]
pub struct ClaudeDispatcher {
    bench: Workbench,
    config: ClaudeConfig,
}

impl ClaudeDispatcher {
    /// A dispatcher running the CLI per `config` in worktrees from `bench`.
    pub fn new(bench: Workbench, config: ClaudeConfig) -> Result<Self> {
        if config.permission_mode == PermissionMode::Other("plan".into()) {
            return Err(Error::backend(
                "claude",
                "configure the Claude Code runtime",
                ErrorKind::Invalid,
                "permission mode `plan` is not allowed: nobody approves a plan during a run (use acceptEdits or bypassPermissions)",
            ));
        }
        if config.program.is_empty() || config.model.is_empty() {
            return Err(Error::backend(
                "claude",
                "configure the Claude Code runtime",
                ErrorKind::Invalid,
                "program and model must not be empty",
            ));
        }
        Ok(ClaudeDispatcher { bench, config })
    }

    fn env_policy(&self) -> EnvPolicy {
        let mut policy = EnvPolicy::with_prefixes(&["ANTHROPIC_", "CLAUDE_"]);
        for name in [
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "NO_PROXY",
            "NODE_EXTRA_CA_CERTS",
            "DISABLE_AUTOUPDATER",
            "DISABLE_TELEMETRY",
            "DISABLE_ERROR_REPORTING",
        ] {
            policy = policy.allow(name);
        }
        // Background tasks would outlive the attempt and its worktree.
        policy = policy.set("CLAUDE_CODE_DISABLE_BACKGROUND_TASKS", "1");
        if self.config.run_as.is_none() && nix::unistd::geteuid().is_root() {
            policy = policy.set("IS_SANDBOX", "1");
        }
        policy
    }
}

pub use crate::session::message_uuid;

/// A JSONL user message for the CLI's stream-json input, with its `uuid` (the
/// CLI keeps it as the message's id in the session, so a message sent again
/// with the same uuid is known).
pub fn user_message(text: &str, uuid: &str) -> String {
    let msg = serde_json::json!({
        "type": "user",
        "uuid": uuid,
        "message": { "role": "user", "content": [{ "type": "text", "text": text }] },
    });
    format!("{msg}\n")
}

/// The session an attempt runs in and the arguments that say so: the session
/// of the attempt before when the engine asks to resume it (`--resume <id>`),
/// else a new one ops names itself (`--session-id <uuid>`), so it is known — and
/// stored on the board — before the CLI has said anything.
pub fn session_args(brief: &Brief) -> (String, [String; 2]) {
    match brief.resume.as_ref().filter(|s| s.runtime == "claude") {
        Some(s) => (s.id.clone(), ["--resume".into(), s.id.clone()]),
        None => {
            let id = crate::uuid::random();
            (id.clone(), ["--session-id".into(), id])
        }
    }
}

#[async_trait]
impl Dispatcher for ClaudeDispatcher {
    fn name(&self) -> &str {
        "claude"
    }

    fn capabilities(&self) -> DispatcherCapabilities {
        DispatcherCapabilities {
            steerable: true,
            reports_cost: true,
            reports_activity: true,
        }
    }

    async fn dispatch(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>> {
        let prepared = self.bench.prepare(brief, &self.env_policy()).await?;
        let (session_id, session_args) = session_args(brief);
        let args = self
            .config
            .pre_args
            .iter()
            .cloned()
            .chain(self.config.args())
            .chain(session_args)
            .map(OsString::from)
            .collect();
        let brief_uuid = crate::session::message_uuid(&session_id, 0, &brief.text);
        let process = ProcessSpec {
            program: OsString::from(&self.config.program),
            args,
            cwd: prepared.worktree.path.clone(),
            env: prepared.env,
            log: prepared.log,
            keep_stdin: true,
            input: Some(user_message(&brief.text, &brief_uuid).into_bytes()),
            run_as: self.config.run_as,
            redactor: prepared.redactor,
        };
        let session = Session::start(SessionSpec {
            backend: "claude".into(),
            process,
            protocol: Box::new(StreamJson::default()),
            encode: Some(std::sync::Arc::new(|text: &str, uuid: &str| {
                Some(user_message(text, uuid))
            })),
            keep_open: brief.task.mode == Mode::Team,
            worktree: prepared.worktree,
            commit_message: commit_message(brief),
            grace: self.bench.grace(),
            session_id: Some(session_id),
        })
        .await?;
        Ok(Box::new(session))
    }
}

/// What Claude Code's stream-json output said.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StreamJson {
    /// The session id from `system/init`.
    pub session_id: Option<String>,
    /// The last assistant text.
    pub last_text: String,
    /// The last `result` event, if any.
    pub result: Option<ResultEvent>,
    /// The last `rate_limit_event` that refused a request (`status: rejected`),
    /// until one allows requests again.
    pub rejected: Option<RateLimitEvent>,
}

/// A `rate_limit_event`'s `rate_limit_info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitEvent {
    /// `allowed`, `allowed_warning`, `rejected`.
    pub status: String,
    /// `resetsAt`: when the limit resets (Unix seconds).
    pub resets_at: Option<u64>,
    /// `rateLimitType` (`five_hour`, `seven_day`, ...).
    pub kind: Option<String>,
}

/// A `result` event.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultEvent {
    /// `success`, `error_max_turns`, `error_during_execution`, ...
    pub subtype: String,
    /// Whether the CLI counts the turn as failed.
    pub is_error: bool,
    /// The final text.
    pub text: String,
    /// `total_cost_usd`.
    pub cost_usd: Option<f64>,
    /// `num_turns`.
    pub num_turns: Option<u64>,
    /// `api_error_status`: the HTTP status of the API error that ended the turn.
    pub api_error_status: Option<u64>,
}

impl Protocol for StreamJson {
    fn line(&mut self, line: &str) -> Seen {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            return Seen::Garbage;
        };
        let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "system" => {
                if v.get("subtype").and_then(Value::as_str) == Some("init") {
                    self.session_id = v
                        .get("session_id")
                        .and_then(Value::as_str)
                        .map(String::from);
                }
                Seen::Event
            }
            "assistant" => {
                let texts: Vec<&str> = v
                    .pointer("/message/content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                    .filter_map(|b| b.get("text").and_then(Value::as_str))
                    .collect();
                if !texts.is_empty() {
                    self.last_text = texts.join("\n");
                }
                Seen::Event
            }
            "result" => {
                self.result = Some(ResultEvent {
                    subtype: v
                        .get("subtype")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    is_error: v.get("is_error").and_then(Value::as_bool).unwrap_or(false),
                    text: v
                        .get("result")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    cost_usd: v.get("total_cost_usd").and_then(Value::as_f64),
                    num_turns: v.get("num_turns").and_then(Value::as_u64),
                    api_error_status: v.get("api_error_status").and_then(Value::as_u64),
                });
                Seen::TurnEnd
            }
            "rate_limit_event" => {
                let info = v.get("rate_limit_info").unwrap_or(&Value::Null);
                let event = RateLimitEvent {
                    status: info
                        .get("status")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    resets_at: info.get("resetsAt").and_then(Value::as_u64),
                    kind: info
                        .get("rateLimitType")
                        .and_then(Value::as_str)
                        .map(String::from),
                };
                self.rejected = (event.status == "rejected").then_some(event);
                Seen::Event
            }
            // The CLI acknowledging a message ops wrote (queued, started,
            // completed): ops' own input echoed, not the agent working.
            "command_lifecycle" => Seen::Ack,
            "" => Seen::Garbage,
            _ => Seen::Event,
        }
    }

    fn verdict(&self) -> std::result::Result<String, String> {
        match &self.result {
            None => Err("claude ended without a result event".into()),
            // After an API error the CLI says `subtype: success` with `is_error`:
            // the reason is the API's own message (`API Error: 400 …`), never "(success)".
            Some(r) if r.is_error => Err(match (r.subtype.as_str(), r.text.is_empty()) {
                ("success" | "", false) => r.text.clone(),
                ("success" | "", true) => "claude reported an error without detail".into(),
                (kind, true) => format!("claude reported an error ({kind})"),
                (kind, false) => format!("claude reported an error ({kind}): {}", r.text),
            }),
            Some(r) => Ok(if r.text.is_empty() {
                self.last_text.clone()
            } else {
                r.text.clone()
            }),
        }
    }

    fn cost(&self) -> Option<f64> {
        self.result.as_ref().and_then(|r| r.cost_usd)
    }

    fn limit(&self) -> Option<Limit> {
        let refused = self
            .result
            .as_ref()
            .filter(|r| r.is_error && matches!(r.api_error_status, Some(429 | 529)));
        let Some(r) = self.rejected.as_ref() else {
            return refused.map(|r| Limit {
                reason: r.text.clone(),
                resets_at: None,
            });
        };
        Some(Limit {
            reason: format!(
                "rate limit reached ({})",
                r.kind.as_deref().unwrap_or("no limit type given")
            ),
            resets_at: r.resets_at.map(crate::limits::from_unix_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_read_into_session_text_cost_and_turns() {
        let mut p = StreamJson::default();
        let lines = [
            r#"{"type":"system","subtype":"init","session_id":"s-1","tools":[]}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"Done: added a.txt"}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","content":"ok"}]}}"#,
            r#"{"type":"result","subtype":"success","is_error":false,"result":"all done","total_cost_usd":0.25,"num_turns":3}"#,
        ];
        let seen: Vec<Seen> = lines.iter().map(|l| p.line(l)).collect();
        assert_eq!(seen, [Seen::Event, Seen::Event, Seen::Event, Seen::TurnEnd]);
        assert_eq!(p.session_id.as_deref(), Some("s-1"));
        assert_eq!(p.verdict(), Ok("all done".to_string()));
        assert_eq!(p.cost(), Some(0.25));
        assert_eq!(p.result.as_ref().and_then(|r| r.num_turns), Some(3));
    }

    #[test]
    fn an_error_result_and_a_missing_result_are_failures_and_garbage_is_noticed() {
        let mut p = StreamJson::default();
        assert_eq!(p.line("not json at all"), Seen::Garbage);
        assert!(p.verdict().unwrap_err().contains("without a result"));
        p.line(r#"{"type":"result","subtype":"error_max_turns","is_error":true,"result":""}"#);
        let reason = p.verdict().unwrap_err();
        assert!(reason.contains("error_max_turns"), "{reason}");
    }

    #[test]
    fn the_clis_acknowledgment_of_a_queued_message_is_no_activity() {
        let mut p = StreamJson::default();
        assert_eq!(
            p.line(r#"{"type":"command_lifecycle","command_uuid":"c","state":"queued","uuid":"u","session_id":"s"}"#),
            Seen::Ack
        );
    }

    #[test]
    fn an_api_error_result_is_the_apis_own_message_not_success() {
        let mut p = StreamJson::default();
        p.line(r#"{"type":"result","subtype":"success","is_error":true,"result":"API Error: 400 messages.0: bad field","api_error_status":400}"#);
        assert_eq!(
            p.verdict(),
            Err("API Error: 400 messages.0: bad field".to_string())
        );
    }

    #[test]
    fn a_rejected_rate_limit_event_is_a_limit_with_its_reset_until_requests_are_allowed_again() {
        let mut p = StreamJson::default();
        p.line(
            r#"{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1765101600,"rateLimitType":"five_hour"},"uuid":"u","session_id":"s"}"#,
        );
        let limit = p.limit().expect("a limit");
        assert_eq!(
            limit.resets_at,
            Some(ops_core::model::Timestamp(1_765_101_600_000))
        );
        assert!(limit.reason.contains("five_hour"), "{}", limit.reason);
        p.line(r#"{"type":"rate_limit_event","rate_limit_info":{"status":"allowed"}}"#);
        assert_eq!(p.limit(), None);
    }

    #[test]
    fn as_root_the_cli_gets_is_sandbox_unless_a_user_to_run_as_is_configured() {
        let sandboxed = |run_as| {
            let d = ClaudeDispatcher::new(
                Workbench::default(),
                ClaudeConfig {
                    run_as,
                    ..ClaudeConfig::default()
                },
            )
            .expect("valid");
            d.env_policy()
                .set
                .iter()
                .any(|(k, v)| k == "IS_SANDBOX" && v == "1")
        };
        assert_eq!(sandboxed(None), nix::unistd::geteuid().is_root());
        assert!(!sandboxed(Some((1000, 1000))));
    }

    #[test]
    fn the_default_command_line_is_streaming_sonnet_with_edits_and_commands_allowed() {
        let args = ClaudeConfig::default().args();
        let joined = args.join(" ");
        assert!(joined.starts_with(
            "-p --input-format stream-json --output-format stream-json --verbose --setting-sources project,local --disallowedTools EnterPlanMode,ExitPlanMode --model sonnet"
        ));
        assert!(joined.contains("--permission-mode acceptEdits --allowedTools Bash,Edit"));
    }

    #[test]
    fn plan_mode_is_refused_naming_the_setting() {
        let config = ClaudeConfig {
            permission_mode: PermissionMode::Other("plan".into()),
            ..ClaudeConfig::default()
        };
        let bench = Workbench::new(crate::worktree::WorktreeManager::new(
            crate::worktree::WorktreeConfig::default(),
        ));
        let err = ClaudeDispatcher::new(bench, config).expect_err("plan mode refused");
        assert!(err.to_string().contains("permission mode `plan`"), "{err}");
    }
}
