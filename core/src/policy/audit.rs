//! Audit records: one JSON object per line for every decision.

use serde::Serialize;

use super::{Allowed, Denial};

/// Allowed or denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The request was sent.
    Allow,
    /// The request was refused.
    Deny,
}

/// One decision of the policy, for the audit log.
///
/// ```
/// use berth_core::policy::{AuditEntry, Decision};
/// let e = AuditEntry {
///     plugin: "reaper".into(),
///     operation: "containers.create".into(),
///     decision: Decision::Deny,
///     rule: Some("privileged".into()),
///     reason: "HostConfig.Privileged is true".into(),
///     method: "POST".into(),
///     path: "/containers/create".into(),
///     time_ms: None,
/// };
/// let line = e.to_json_line();
/// assert!(line.ends_with('\n'));
/// assert!(line.contains(r#""decision":"deny""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// The plugin's name.
    pub plugin: String,
    /// The operation (`containers.create`), `unknown` when the request did not route.
    pub operation: String,
    /// Allowed or denied.
    pub decision: Decision,
    /// The rule that denied it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why.
    pub reason: String,
    /// The request method as the guest sent it.
    pub method: String,
    /// The request target as the guest sent it (cut at 512 bytes).
    pub path: String,
    /// When, in milliseconds since the Unix epoch, if the host supplies it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<u64>,
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl AuditEntry {
    /// The record of an allowed request (`method`/`path` as the guest sent them).
    pub fn allowed(plugin: &str, allowed: &Allowed, method: &str, path: &str) -> AuditEntry {
        AuditEntry {
            plugin: plugin.to_owned(),
            operation: allowed.operation.name.to_owned(),
            decision: Decision::Allow,
            rule: None,
            reason: allowed.reason.clone(),
            method: cut(method, 16),
            path: cut(path, 512),
            time_ms: None,
        }
    }

    /// The record of a denied request.
    pub fn denied(plugin: &str, denial: &Denial, method: &str, path: &str) -> AuditEntry {
        AuditEntry {
            plugin: plugin.to_owned(),
            operation: denial.operation.clone(),
            decision: Decision::Deny,
            rule: Some(denial.rule.to_owned()),
            reason: denial.reason.clone(),
            method: cut(method, 16),
            path: cut(path, 512),
            time_ms: None,
        }
    }

    /// Sets the time.
    pub fn at(mut self, time_ms: u64) -> AuditEntry {
        self.time_ms = Some(time_ms);
        self
    }

    /// One JSON object and a newline.
    pub fn to_json_line(&self) -> String {
        // Serialising a struct of strings cannot fail; fall back to a fixed line anyway.
        let mut s = serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"decision":"deny","reason":"audit entry not serialisable"}"#.to_owned()
        });
        s.push('\n');
        s
    }
}
