//! What `ops --json run` prints: one engine event per line as JSON, the last line
//! the final report (`{"event": "report", ...}`).

use serde_json::Value;

/// The parsed standard output of a run.
#[derive(Debug, Clone, Default)]
pub struct RunOutput {
    /// Every event line before the report, in order.
    pub events: Vec<Value>,
    /// The final report, if the run got to print it.
    pub report: Option<Value>,
}

/// Parses `stdout`; a line that is not a JSON object is an error naming it, except
/// a torn last line when `killed` (the process died mid-write).
pub fn parse(stdout: &str, killed: bool) -> Result<RunOutput, String> {
    let mut out = RunOutput::default();
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    for (n, line) in lines.iter().enumerate() {
        let value: Value = match serde_json::from_str(line) {
            Ok(v @ Value::Object(_)) => v,
            _ if killed && n + 1 == lines.len() => break,
            _ => return Err(format!("line {}: not a JSON object: {line:?}", n + 1)),
        };
        if value["event"] == "report" {
            if n + 1 != lines.len() {
                return Err(format!("line {}: the report is not the last line", n + 1));
            }
            out.report = Some(value);
        } else {
            out.events.push(value);
        }
    }
    Ok(out)
}

/// The `event` name of each event, in order.
pub fn names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("?").to_string())
        .collect()
}
