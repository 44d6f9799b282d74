//! The audit log: one JSON line per policy decision.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::json;

use berth_core::policy::{Allowed, AuditEntry, Denial};

/// Where audit lines go besides the run's [`RunReport`](super::RunReport).
#[derive(Debug, Clone, Default)]
pub enum AuditSink {
    /// Only in memory, in each run's report.
    #[default]
    Memory,
    /// Appended to a file (created if missing), one JSON line per decision.
    File(PathBuf),
    /// Written to the host's stderr.
    Stderr,
}

/// An open audit sink shared by every run of a host.
#[derive(Debug, Clone)]
pub(crate) struct SharedSink {
    file: Option<Arc<Mutex<File>>>,
    stderr: bool,
}

impl SharedSink {
    pub(crate) fn open(sink: &AuditSink) -> std::io::Result<SharedSink> {
        Ok(match sink {
            AuditSink::Memory => SharedSink {
                file: None,
                stderr: false,
            },
            AuditSink::Stderr => SharedSink {
                file: None,
                stderr: true,
            },
            AuditSink::File(path) => SharedSink {
                file: Some(Arc::new(Mutex::new(
                    OpenOptions::new().create(true).append(true).open(path)?,
                ))),
                stderr: false,
            },
        })
    }

    fn write(&self, line: &str) {
        if let Some(f) = &self.file {
            let mut f = f.lock().unwrap_or_else(PoisonError::into_inner);
            // An audit line that cannot be written must not stop the host; it stays in
            // the run's report.
            let _ = writeln!(f, "{line}");
            let _ = f.flush();
        }
        if self.stderr {
            eprintln!("{line}");
        }
    }
}

/// One run's audit trail.
#[derive(Debug)]
pub(crate) struct Audit {
    plugin: String,
    sink: SharedSink,
    pub(crate) lines: Vec<String>,
    denials: usize,
}

impl Audit {
    pub(crate) fn new(plugin: &str, sink: SharedSink) -> Audit {
        Audit {
            plugin: plugin.to_owned(),
            sink,
            lines: Vec::new(),
            denials: 0,
        }
    }

    fn record(&mut self, v: serde_json::Value) {
        self.push(v.to_string());
    }

    fn push(&mut self, line: String) {
        self.sink.write(&line);
        self.lines.push(line);
    }

    pub(crate) fn allowed(&mut self, method: &str, path: &str, a: &Allowed) {
        let line = AuditEntry::allowed(&self.plugin, a, method, path)
            .at(now_ms())
            .to_json_line();
        self.push(line.trim_end().to_owned());
    }

    /// Requests refused so far.
    pub(crate) fn denials(&self) -> usize {
        self.denials
    }

    pub(crate) fn denied(&mut self, method: &str, path: &str, d: &Denial) {
        self.denials += 1;
        let line = AuditEntry::denied(&self.plugin, d, method, path)
            .at(now_ms())
            .to_json_line();
        self.push(line.trim_end().to_owned());
    }

    /// A refusal by the host itself (not a policy rule): limits, traps.
    pub(crate) fn refused(&mut self, method: &str, path: &str, rule: &str, reason: &str) {
        self.denials += 1;
        self.record(json!({
            "plugin": self.plugin,
            "operation": "unknown",
            "decision": "deny",
            "rule": rule,
            "reason": reason,
            "method": method,
            "time_ms": now_ms(),
            "path": path,
        }));
    }

    /// The end of a run that the host stopped (deadline, fuel, memory).
    pub(crate) fn stopped(&mut self, rule: &str, reason: &str) {
        self.record(json!({
            "plugin": self.plugin,
            "operation": "run",
            "decision": "stop",
            "rule": rule,
            "reason": reason,
            "time_ms": now_ms(),
        }));
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
