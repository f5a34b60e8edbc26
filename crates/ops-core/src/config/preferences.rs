//! claude-ops' `preferences.json`.

use super::json::{JsonFile, kind};
use crate::error::Result;
use serde_json::{Map, Value};
use std::path::Path;

/// The user's preferences. Unknown keys are kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Preferences {
    /// The GitHub owner the user works as.
    pub owner: Option<String>,
    /// IANA timezone name.
    pub timezone: Option<String>,
    /// Whether the user allows unattended merges without asking (`--force` by default).
    pub yolo_enabled: bool,
    /// Everything else, as written.
    pub extra: Map<String, Value>,
}

impl Preferences {
    /// Read `preferences.json` at `path`; `Ok(None)` when there is none.
    pub fn load(path: &Path) -> Result<Option<Preferences>> {
        let Some(text) = JsonFile::read(path)? else {
            return Ok(None);
        };
        Preferences::parse(&text, path).map(Some)
    }

    /// Parse preferences text read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Preferences> {
        let file = JsonFile { path };
        let root = file.parse(text)?;
        let Value::Object(map) = &root else {
            return Err(file.error(
                "(top level)",
                format!("expected an object, found {}", kind(&root)),
            ));
        };
        let mut extra = map.clone();
        for key in ["owner", "timezone", "yolo_enabled"] {
            extra.remove(key);
        }
        Ok(Preferences {
            owner: file.string(&root, "owner", "")?,
            timezone: file.string(&root, "timezone", "")?,
            yolo_enabled: file.boolean(&root, "yolo_enabled", "")?.unwrap_or(false),
            extra,
        })
    }
}
