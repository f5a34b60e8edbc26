//! Reading hand-written JSON with errors that name the file and the field.

use crate::error::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A JSON file being read: errors carry its path.
pub(crate) struct JsonFile<'a> {
    pub path: &'a Path,
}

impl JsonFile<'_> {
    pub fn error(&self, field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::ConfigFile {
            path: self.path.to_path_buf(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// Parse `text`, naming the line and column of a syntax error.
    pub fn parse(&self, text: &str) -> Result<Value> {
        serde_json::from_str(text).map_err(|e| {
            self.error(
                format!("line {}, column {}", e.line(), e.column()),
                format!("invalid JSON: {e}"),
            )
        })
    }

    /// The text of the file at `path` ([`crate::files::read_text`]: a FIFO or
    /// device is an error saying so, never a hang); `Ok(None)` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<String>> {
        crate::files::read_text(path).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            field: "(file)".into(),
            message: format!("cannot read it: {e}"),
        })
    }

    /// An optional string field.
    pub fn string(&self, obj: &Value, key: &str, at: &str) -> Result<Option<String>> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(
                format!("{at}{key}"),
                format!("expected a string, found {}", kind(other)),
            )),
        }
    }

    /// An optional boolean field; `"true"`/`"false"` strings accepted.
    pub fn boolean(&self, obj: &Value, key: &str, at: &str) -> Result<Option<bool>> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => Err(self.error(
                format!("{at}{key}"),
                format!("expected true or false, found {}", kind(other)),
            )),
        }
    }

    /// An optional whole number of at least 0; a string of digits accepted.
    pub fn count(&self, obj: &Value, key: &str, at: &str) -> Result<Option<u64>> {
        let bad = |other: &Value| {
            self.error(
                format!("{at}{key}"),
                format!("expected a whole number like 5, found {}", kind(other)),
            )
        };
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| bad(v)),
            Some(v @ Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad(v)),
            Some(other) => Err(bad(other)),
        }
    }

    /// An optional list of strings; a single string counts as a list of one.
    pub fn strings(&self, obj: &Value, key: &str, at: &str) -> Result<Vec<String>> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.error(
                        format!("{at}{key}[{i}]"),
                        format!("expected a string, found {}", kind(other)),
                    )),
                })
                .collect(),
            Some(other) => Err(self.error(
                format!("{at}{key}"),
                format!("expected a list of strings, found {}", kind(other)),
            )),
        }
    }

    /// Expand `~/` and make a relative path relative to the file's directory.
    pub fn resolve_path(&self, raw: &str, home: Option<&Path>) -> PathBuf {
        let expanded = match (raw.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ if raw == "~" => home.map(Path::to_path_buf).unwrap_or_else(|| raw.into()),
            _ => PathBuf::from(raw),
        };
        if expanded.is_absolute() {
            expanded
        } else {
            self.path
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join(expanded)
        }
    }
}

/// The JSON type of a value, for error messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
