//! The plugin policy on what a guest sends over the WIT transport: request lines, paths,
//! queries and JSON bodies (creates, updates, service specs, …), the daemon's inspect
//! answers its lookups read, the answers it observes, and grant files.
//!
//! Input: byte 0 picks the mode.
//! - 0: a grant file (TOML when byte 1 is even, else JSON) from the rest; a refusal has a
//!   message, never a panic.
//! - else: byte 1 picks one of three grants; the rest is fields split at 0xFF bytes:
//!   method, path, body, then (inspect status, inspect body) pairs answering each lookup
//!   the policy asks for, and a final (status, body) it observes. The verdicts must be
//!   well formed: a denial names its rule and reason; an allowed path is an absolute
//!   path; a lookup chain ends within the documented bound; and under the grants that do
//!   not allow it, no allowed container create asks for a privileged container.
#![no_main]

use berth_core::policy::{Grant, MAX_REFERENCES, Policy, RequestView, Verdict};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "HEAD", "get"];

fn grant(which: u8) -> Grant {
    let mut g = Grant::deny_all();
    let flags: &[(&str, &str)] = match which % 3 {
        // A typical automation grant: containers and images, scoped to a label.
        0 => &[
            ("allow", "containers.*"),
            ("allow", "exec.*"),
            ("allow", "images.*"),
            ("label", "berth.test=1"),
            ("max-containers", "4"),
        ],
        // Everything, but still no privileged containers or host binds.
        1 => &[("allow", "*")],
        // Read-only.
        _ => &[
            ("allow", "containers.list"),
            ("allow", "containers.inspect"),
        ],
    };
    for (k, v) in flags {
        if g.merge_flag(k, v).is_err() {
            // The grants above are valid; a refusal here is a bug in the grant parser.
            panic!("grant flag {k}={v} refused");
        }
    }
    g
}

/// Whether `v` (a create body) asks for a privileged container, with ASCII-case-folded
/// keys as Go's decoder reads them.
fn asks_privileged(v: &Value) -> bool {
    let Some(top) = v.as_object() else {
        return false;
    };
    let host = top
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("HostConfig"))
        .filter_map(|(_, v)| v.as_object());
    host.flat_map(|h| h.iter())
        .any(|(k, v)| k.eq_ignore_ascii_case("Privileged") && v.as_bool() == Some(true))
}

fn status(field: &[u8]) -> u16 {
    match field {
        [] => 200,
        [a] => u16::from(*a) + 100,
        [a, b, ..] => u16::from_be_bytes([*a, *b]) % 600,
    }
}

fn check_verdict(v: &Verdict) {
    match v {
        Verdict::Deny(d) => {
            assert!(!d.rule.is_empty());
            assert!(!d.reason.is_empty(), "denial {} without a reason", d.rule);
            assert!(!d.operation.is_empty());
        }
        Verdict::Allow(a) => {
            assert!(a.path.starts_with('/'), "allowed path {:?}", a.path);
            assert!(!a.reason.is_empty());
        }
        Verdict::Lookup(l) => {
            assert!(l.inspect_path.starts_with('/'), "{:?}", l.inspect_path);
            assert!(l.remaining() <= MAX_REFERENCES + 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode == 0 {
        let Some((&kind, text)) = rest.split_first() else {
            return;
        };
        let Ok(text) = std::str::from_utf8(text) else {
            return;
        };
        let r = if kind % 2 == 0 {
            Grant::from_toml(text)
        } else {
            Grant::from_json(text)
        };
        if let Err(e) = r {
            assert!(!e.message().is_empty());
        }
        return;
    }
    let Some((&which, rest)) = rest.split_first() else {
        return;
    };
    let mut fields = rest.split(|&b| b == 0xFF);
    let method = METHODS
        [usize::from(fields.next().and_then(|m| m.first().copied()).unwrap_or(0)) % METHODS.len()];
    let Some(path) = fields.next().and_then(|p| std::str::from_utf8(p).ok()) else {
        return;
    };
    let body = fields.next();
    let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let mut policy = Policy::new(grant(which));
    let req = RequestView {
        method,
        path,
        headers: &headers,
        body,
    };
    let mut verdict = policy.check(&req, 0);
    check_verdict(&verdict);
    // Bound: the object of the path, its owner, and every reference in the body.
    let mut lookups = 0;
    while let Verdict::Lookup(l) = &verdict {
        lookups += 1;
        assert!(
            lookups <= MAX_REFERENCES + 2,
            "lookup chain longer than documented"
        );
        let st = status(fields.next().unwrap_or(&[]));
        let answer = fields.next().unwrap_or(b"{}");
        verdict = policy.check_lookup(l, st, answer);
        check_verdict(&verdict);
    }
    if let Verdict::Allow(a) = &verdict {
        if a.operation.name == "containers.create" && which % 3 != 2 {
            if let Some(v) = body.and_then(|b| serde_json::from_slice::<Value>(b).ok()) {
                assert!(!asks_privileged(&v), "privileged create allowed: {path}");
            }
        }
        if which % 3 == 2 {
            assert!(
                matches!(
                    a.operation.name,
                    "containers.list" | "containers.inspect" | "system.ping"
                ),
                "read-only grant allowed {}",
                a.operation.name
            );
        }
        let st = status(fields.next().unwrap_or(&[]));
        policy.observe(&a.operation, st, fields.next().unwrap_or(b""));
    }
});
