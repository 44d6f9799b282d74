//! A berth plugin written against the raw transport (world `raw-plugin`): it speaks the
//! Engine API itself, as HTTP requests the host checks and forwards.
//!
//! `run([LABEL])` reports every container carrying `LABEL` (`key` or `key=value`) with
//! its state, exit code and uptime, as JSON:
//!
//! ```json
//! {"label":"app=web","containers":[{"id":"…","name":"web-1","image":"busybox",
//!   "state":"running","exit_code":0,"started_at":"2026-…Z","uptime_seconds":42}]}
//! ```
//!
//! Build: `cargo build --release --target wasm32-wasip2 -p berth-example-raw-plugin`;
//! run: `berth plugin run target/wasm32-wasip2/release/berth_example_raw_plugin.wasm
//! --allow containers.list --allow containers.inspect --label app=web -- app=web`.

wit_bindgen::generate!({ path: "../../wit", world: "raw-plugin" });

use std::time::{SystemTime, UNIX_EPOCH};

use berth::engine::transport::{self, Request};
use berth::engine::types::ErrorCode;
use serde_json::{Value, json};

struct LabelReport;

impl exports::berth::engine::entry::Guest for LabelReport {
    fn run(args: Vec<String>) -> Result<String, String> {
        let [label] = args.as_slice() else {
            return Err("usage: LABEL (key or key=value)".into());
        };
        let filters = json!({ "label": [label] }).to_string();
        let list = get_json(&format!(
            "/containers/json?all=1&filters={}",
            percent_encode(&filters)
        ))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut containers = Vec::new();
        for summary in list.as_array().into_iter().flatten() {
            let id = summary["Id"]
                .as_str()
                .ok_or("a listed container without Id")?;
            let c = get_json(&format!("/containers/{id}/json"))?;
            let state = &c["State"];
            let started_at = state["StartedAt"].as_str().unwrap_or("");
            let running = state["Running"].as_bool().unwrap_or(false);
            let uptime = match (running, parse_rfc3339(started_at)) {
                (true, Some(t)) => json!((now - t).max(0)),
                _ => Value::Null,
            };
            containers.push(json!({
                "id": id,
                "name": c["Name"].as_str().unwrap_or("").trim_start_matches('/'),
                "image": c["Config"]["Image"],
                "state": state["Status"],
                "exit_code": state["ExitCode"],
                "started_at": started_at,
                "uptime_seconds": uptime,
            }));
        }
        Ok(json!({ "label": label, "containers": containers }).to_string())
    }
}

/// `GET path`, expecting a JSON answer with status 200.
fn get_json(path: &str) -> Result<Value, String> {
    let res = transport::send(&Request {
        method: "GET".into(),
        path: path.into(),
        headers: vec![("Accept".into(), "application/json".into())],
        body: vec![],
    })
    .map_err(|e| format!("GET {path}: {}", describe(&e)))?;
    if res.status != 200 {
        return Err(format!(
            "GET {path}: the daemon answered {}: {}",
            res.status,
            String::from_utf8_lossy(&res.body)
        ));
    }
    serde_json::from_slice(&res.body).map_err(|e| format!("GET {path}: not JSON: {e}"))
}

/// A transport error as one line.
fn describe(e: &ErrorCode) -> String {
    match e {
        ErrorCode::PolicyDenied(m) => format!("denied by the host's policy: {m}"),
        ErrorCode::LimitExceeded(m) => format!("host limit exceeded: {m}"),
        ErrorCode::Transport(m) => format!("daemon unreachable: {m}"),
        other => format!("{other:?}"),
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Seconds since the epoch of a Docker timestamp (`2026-11-26T13:55:28.123456789Z`);
/// `None` for the zero time Docker reports for never-started containers.
fn parse_rfc3339(s: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y <= 1 {
        return None;
    }
    // Days from 1970-01-01 to y-mo-d (proleptic Gregorian; Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec)
}

export!(LabelReport);
