//! Saved chat sessions: one JSON file per session in the history directory (`OBS_HISTORY_DIR`, else the user's
//! data directory).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::CliError;

/// One conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Random id.
    pub id: String,
    /// Optional name.
    #[serde(default)]
    pub name: Option<String>,
    /// The model it talked to.
    pub model: String,
    /// OpenAI-format messages.
    pub messages: Vec<Value>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

impl Session {
    /// A new, empty session.
    pub fn new(model: &str, name: Option<String>) -> Self {
        use rand::Rng;
        let bytes: [u8; 6] = rand::rng().random();
        let id = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let at = now();
        Session { id, name, model: model.to_owned(), messages: Vec::new(), created_at: at.clone(), updated_at: at }
    }
}

/// The history directory.
#[derive(Debug, Clone)]
pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    /// `OBS_HISTORY_DIR`, else `<data dir>/obs/history`.
    pub fn from_env() -> Result<Self, CliError> {
        if let Some(dir) = std::env::var_os("OBS_HISTORY_DIR").filter(|d| !d.is_empty()) {
            return Ok(SessionStore { dir: dir.into() });
        }
        let dirs = directories::ProjectDirs::from("", "", "obs")
            .ok_or_else(|| CliError::new("no home directory: set OBS_HISTORY_DIR to keep chat history"))?;
        Ok(SessionStore { dir: dirs.data_dir().join("history") })
    }

    /// A store in `dir`.
    pub fn at(dir: PathBuf) -> Self {
        SessionStore { dir }
    }

    fn path(&self, id: &str) -> Result<PathBuf, CliError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(CliError::new(format!("chat session {id} not found")));
        }
        Ok(self.dir.join(format!("{id}.json")))
    }

    /// Writes a session (updating `updated_at`).
    pub fn save(&self, session: &mut Session) -> Result<(), CliError> {
        session.updated_at = now();
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| CliError::new(format!("cannot create the history directory {}: {e}", self.dir.display())))?;
        let text = serde_json::to_string_pretty(session).map_err(|e| CliError::new(e.to_string()))?;
        let path = self.path(&session.id)?;
        std::fs::write(&path, text)
            .map_err(|e| CliError::new(format!("cannot save the session to {}: {e}", path.display())))
    }

    /// Reads a session.
    pub fn load(&self, id: &str) -> Result<Session, CliError> {
        let text = std::fs::read_to_string(self.path(id)?)
            .map_err(|_| CliError::new(format!("chat session {id} not found")))?;
        serde_json::from_str(&text).map_err(|e| CliError::new(format!("chat session {id} is damaged: {e}")))
    }

    /// Every readable session, newest first (damaged files are skipped).
    pub fn list(&self) -> Vec<Session> {
        let mut sessions: Vec<Session> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().extension().is_some_and(|e| e == "json"))
            .filter_map(|entry| serde_json::from_str(&std::fs::read_to_string(entry.path()).ok()?).ok())
            .collect();
        sessions.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
        sessions
    }

    /// Removes a session.
    pub fn delete(&self, id: &str) -> Result<(), CliError> {
        std::fs::remove_file(self.path(id)?).map_err(|_| CliError::new(format!("chat session {id} not found")))
    }
}
