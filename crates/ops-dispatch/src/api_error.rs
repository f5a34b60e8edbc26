//! The model API's own error message in an agent's output, so a failed agent is
//! reported as `API Error: 400 …` (what the API said) instead of a tail of raw
//! JSON lines. Runtime-agnostic: the CLIs print it in their own shapes —
//! Claude Code's `result` (`is_error`, `result: "API Error: 400 …"`), Codex's
//! `{"type":"error","message":…}` and `turn.failed`, Gemini CLI's `error`
//! events and `result.error.message`, Aider's litellm `…Error:` lines.

use serde_json::Value;

/// The longest message kept.
const MAX: usize = 500;

/// The last API error message in `output` (one line per output line), if any.
pub fn find(output: &str) -> Option<String> {
    output.lines().rev().find_map(in_line).map(|m| {
        let m = readable(&m);
        let m = m.trim();
        if m.chars().count() > MAX {
            format!("{}…", m.chars().take(MAX).collect::<String>())
        } else {
            m.to_string()
        }
    })
}

/// `message` with an API error body inside it (Codex 0.171 reports a 400 as the
/// raw body, or after `unexpected status 400 Bad Request: `) made readable: the
/// body's own message, as `API Error: <message> (<type>)` after any prefix.
pub fn readable(message: &str) -> String {
    let (Some(at), Some(end)) = (message.find('{'), message.rfind('}')) else {
        return message.to_string();
    };
    let Some(body) = message.get(at..=end) else {
        return message.to_string();
    };
    let prefix = &message[..at];
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return message.to_string();
    };
    let Some(inner) = v.pointer("/error/message").and_then(Value::as_str) else {
        return message.to_string();
    };
    let kind = v
        .pointer("/error/type")
        .or_else(|| v.pointer("/error/status"))
        .and_then(Value::as_str);
    let said = match kind {
        Some(kind) => format!("{inner} ({kind})"),
        None => inner.to_string(),
    };
    // Gemini CLI: `[API Error: {body}]`.
    let prefix = prefix
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(':')
        .trim();
    if prefix.is_empty() || prefix == "API Error" {
        format!("API Error: {said}")
    } else {
        format!("{prefix}: {said}")
    }
}

/// The error message one output line carries.
fn in_line(line: &str) -> Option<String> {
    let line = line.trim();
    if let Ok(v) = serde_json::from_str::<Value>(line) {
        return in_json(&v);
    }
    if let Some(at) = line.find("API Error") {
        return Some(line[at..].to_string());
    }
    // litellm (Aider): `litellm.BadRequestError: AnthropicException - {...}`.
    let words = [
        "BadRequestError",
        "AuthenticationError",
        "RateLimitError",
        "APIError",
        "NotFoundError",
    ];
    words
        .iter()
        .find_map(|w| line.find(w))
        .map(|at| line[at..].to_string())
}

fn in_json(v: &Value) -> Option<String> {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(String::from);
    let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let is_error = v.get("is_error").and_then(Value::as_bool) == Some(true);
    if is_error && let Some(result) = text("/result").filter(|r| !r.is_empty()) {
        return Some(result);
    }
    if let Some(message) = text("/error/message") {
        return Some(message);
    }
    if (kind.contains("error") || kind.contains("failed"))
        && let Some(message) = text("/message").or_else(|| text("/error"))
    {
        return Some(message);
    }
    // An assistant message the CLI made up from an API error (Claude Code).
    if v.get("error").is_some()
        && let Some(blocks) = v.pointer("/message/content").and_then(Value::as_array)
    {
        return blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .find(|t| t.contains("API Error"))
            .map(String::from);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn each_runtimes_shape_of_an_api_error_gives_the_apis_own_message() {
        let cases = [
            // Claude Code 2.1.332 after a 400.
            (
                r#"{"type":"result","subtype":"success","is_error":true,"result":"API Error: 400 messages.0: bad field","api_error_status":400}"#,
                "API Error: 400 messages.0: bad field",
            ),
            // Codex exec --json.
            (
                r#"{"type":"error","message":"unexpected status 400 Bad Request: model not found"}"#,
                "unexpected status 400 Bad Request: model not found",
            ),
            (
                r#"{"type":"turn.failed","error":{"message":"stream disconnected: 401 Unauthorized"}}"#,
                "stream disconnected: 401 Unauthorized",
            ),
            // Gemini CLI stream-json.
            (
                r#"{"type":"result","status":"error","error":{"type":"FatalTurnError","message":"[API Error: 400 Bad Request]"}}"#,
                "[API Error: 400 Bad Request]",
            ),
            // Aider (litellm), plain text.
            (
                "litellm.BadRequestError: AnthropicException - invalid x-api-key",
                "BadRequestError: AnthropicException - invalid x-api-key",
            ),
            (
                "Error: API Error: 529 Overloaded",
                "API Error: 529 Overloaded",
            ),
        ];
        for (output, want) in cases {
            let noisy = format!("{{\"type\":\"system\",\"subtype\":\"init\"}}\n{output}\n\n");
            assert_eq!(find(&noisy).as_deref(), Some(want), "{output}");
        }
    }

    #[test]
    fn an_error_body_inside_a_message_is_read_for_its_own_message() {
        let body = r#"{"error":{"message":"Invalid 'input': empty","type":"invalid_request_error","param":null,"code":null}}"#;
        let raw = serde_json::json!({ "type": "error", "message": body }).to_string();
        assert_eq!(
            find(&raw).as_deref(),
            Some("API Error: Invalid 'input': empty (invalid_request_error)")
        );
        let prefixed = format!("unexpected status 400 Bad Request: {body}");
        assert_eq!(
            super::readable(&prefixed),
            "unexpected status 400 Bad Request: Invalid 'input': empty (invalid_request_error)"
        );
        assert_eq!(super::readable("plain words"), "plain words");
        assert_eq!(
            super::readable(
                r#"[API Error: {"error":{"code":400,"message":"Bad field","status":"INVALID_ARGUMENT"}}]"#
            ),
            "API Error: Bad field (INVALID_ARGUMENT)"
        );
    }

    #[test]
    fn ordinary_output_has_no_api_error() {
        let output = "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"fixed the error handling\"}]}}\nall good\n";
        assert_eq!(find(output), None);
    }
}
