//! The contract's error record (`types.error` in wit/dativo-plugin.wit): every fallible call of a
//! plugin returns `Result<T, Error>`, and the export wrappers hand an `Err` to the host as
//! `error_set` with this JSON, instead of trapping.

use crate::json;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Stable upper-snake code, e.g. `BAD_INPUT`, `RATE_LIMITED`.
    pub code: String,
    /// A sentence a user can act on. Never a secret value.
    pub message: String,
    /// Whether running the call again may succeed.
    pub retryable: bool,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Error { code: code.into(), message: message.into(), retryable: false }
    }
    pub fn retryable(code: impl Into<String>, message: impl Into<String>) -> Self {
        Error { code: code.into(), message: message.into(), retryable: true }
    }
    /// `BAD_INPUT`: the data or the config is wrong; retrying will not help.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Error::new("BAD_INPUT", message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Error::new("CONFIG_INVALID", message)
    }

    /// `{"code":…,"message":…,"retryable":…}`
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(self.message.len() + self.code.len() + 48);
        s.push_str("{\"code\":");
        json::write_str(&mut s, &self.code);
        s.push_str(",\"message\":");
        json::write_str(&mut s, &self.message);
        s.push_str(",\"retryable\":");
        s.push_str(if self.retryable { "true" } else { "false" });
        s.push('}');
        s
    }

    /// Reads the host's error JSON (`last_error`); plain text becomes `PLUGIN_ERROR`.
    pub fn from_json(text: &str) -> Self {
        match json::parse(text) {
            Ok(v) if v.get("code").is_some() => Error {
                code: v.get("code").and_then(|c| c.as_str()).unwrap_or("PLUGIN_ERROR").to_string(),
                message: v.get("message").and_then(|m| m.as_str()).unwrap_or("").to_string(),
                retryable: v.get("retryable").and_then(|r| r.as_bool()).unwrap_or(false),
            },
            _ => Error::new("PLUGIN_ERROR", text),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<json::ParseError> for Error {
    fn from(e: json::ParseError) -> Self {
        Error::bad_input(format!("invalid JSON: {e}"))
    }
}
