//! Folding a build's progress stream into an image id or a [`BuildError`].

use serde_json::{Value, json};

use crate::error::{Error, Result};

/// The output of a build so far: every message as the daemon sent it, and the image
/// id once the daemon names it.
///
/// The id comes from `{"aux":{"ID":…}}` or a `stream` line `Successfully built <id>`
/// (or, in quiet mode, a line that is just `sha256:<id>`); `Successfully tagged`
/// alone is not enough (edge case 157).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildLog {
    messages: Vec<Value>,
    image_id: Option<String>,
}

impl BuildLog {
    /// An empty log.
    pub fn new() -> BuildLog {
        BuildLog::default()
    }

    /// Records one message (the raw JSON of a progress item).
    pub fn record(&mut self, message: &Value) {
        if let Some(id) = message
            .get("aux")
            .and_then(|a| a.get("ID"))
            .and_then(Value::as_str)
        {
            self.image_id = Some(id.to_owned());
        } else if let Some(s) = message.get("stream").and_then(Value::as_str)
            && self.image_id.is_none()
        {
            let line = s.trim();
            if let Some(id) = line.strip_prefix("Successfully built ")
                && is_hex(id)
            {
                self.image_id = Some(id.to_owned());
            } else if line.strip_prefix("sha256:").is_some_and(is_hex) {
                self.image_id = Some(line.to_owned());
            }
        }
        self.messages.push(message.clone());
    }

    /// Records the daemon's error report and turns the log into the build's error.
    pub fn fail(mut self, message: String, code: Option<i64>) -> BuildError {
        let mut detail = json!({ "message": message });
        if let Some(c) = code {
            detail["code"] = json!(c);
        }
        self.messages
            .push(json!({ "errorDetail": detail, "error": message }));
        BuildError {
            message,
            code,
            log: self,
        }
    }

    /// Records an item of the build's decoded stream: a message, or an error object
    /// ([`Error::Stream`]) which ends the build with a [`BuildError`]. Other errors
    /// (a broken connection) are returned as they are.
    pub fn record_item(&mut self, item: Result<&Value>) -> Result<(), BuildFailure> {
        match item {
            Ok(v) => {
                self.record(v);
                Ok(())
            }
            Err(Error::Stream { message, code }) => {
                let log = std::mem::take(self);
                Err(BuildFailure::Build(log.fail(message, code)))
            }
            Err(other) => Err(BuildFailure::Other(other)),
        }
    }

    /// The image id, once seen (`sha256:…` from `aux`, or the short id of
    /// `Successfully built`).
    pub fn image_id(&self) -> Option<&str> {
        self.image_id.as_deref()
    }

    /// Every message so far (raw JSON), in order.
    pub fn messages(&self) -> &[Value] {
        &self.messages
    }

    /// The build output as text: the `stream` strings, `status` lines and the error.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for m in &self.messages {
            if let Some(s) = m.get("stream").and_then(Value::as_str) {
                out.push_str(s);
            } else if let Some(s) = m.get("status").and_then(Value::as_str) {
                out.push_str(s);
                if let Some(p) = m.get("progress").and_then(Value::as_str) {
                    out.push(' ');
                    out.push_str(p);
                }
                out.push('\n');
            } else if let Some(e) = m.get("error").and_then(Value::as_str) {
                out.push_str(e);
                out.push('\n');
            }
        }
        out
    }

    /// The stream ended: the image id, or a [`BuildError`] when none was named.
    pub fn finish(self) -> Result<(String, BuildLog), BuildError> {
        match self.image_id.clone() {
            Some(id) => Ok((id, self)),
            None => Err(BuildError {
                message: "the build finished without naming an image id (no aux.ID and no \
                          'Successfully built' line)"
                    .into(),
                code: None,
                log: self,
            }),
        }
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A build the daemon reported as failed (docker-py's `BuildError`): its message and
/// the log up to and including the error.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildError {
    /// The daemon's error message, verbatim (or why no image id was found).
    pub message: String,
    /// `errorDetail.code`, when sent.
    pub code: Option<i64>,
    /// Everything the build printed.
    pub log: BuildLog,
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "build failed: {}", self.message)
    }
}

impl std::error::Error for BuildError {}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Error {
        Error::Stream {
            message: e.message,
            code: e.code,
        }
    }
}

/// Why folding a build stream stopped: the build failed, or something else did.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildFailure {
    /// The daemon reported the build as failed.
    Build(BuildError),
    /// Decoding or transport failed.
    Other(Error),
}
