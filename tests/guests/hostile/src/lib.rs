//! A hostile raw-transport plugin: `run(args)` performs the attack named by `args[0]`
//! against the berth plugin host and reports, as JSON, what the host answered.
//!
//! Each wire attempt is reported as `{"what": …, "outcome": "denied" | "allowed" |
//! "error", "detail": …}`; the test suite (`tests/tests/wasm_plugins.rs`) asserts that every
//! attack was refused or stopped, and that the daemon's state did not change.
//!
//! A few benign modes exercise the rest of the wire: `inspect-loop ID N` (the
//! benchmark), `upload ID TEXT` (a chunked tar upload), `exec-cat ID TEXT` (an upgraded
//! exec), `list`, and the quota probes `create-many N` (N labelled creates) and
//! `ping-burst N` (N pings at once).

wit_bindgen::generate!({ path: "../../../wit", world: "raw-plugin" });

use berth::engine::transport::{self, OutgoingRequest, Request};
use berth::engine::types::ErrorCode;
use serde_json::{Value, json};

/// Image every create names (the test image).
const IMAGE: &str = "busybox:berth-test";

struct Hostile;

impl exports::berth::engine::entry::Guest for Hostile {
    fn run(args: Vec<String>) -> Result<String, String> {
        let attack = args.first().map(String::as_str).unwrap_or("");
        let param = args.get(1).map(String::as_str).unwrap_or("");
        let label = args.get(2).map(String::as_str).unwrap_or("berth.test=1");
        let results = match attack {
            "privileged" => vec![create("privileged", label, json!({"Privileged": true}))],
            "bind-root" => vec![create("bind /", label, json!({"Binds": ["/:/host"]}))],
            "bind-docker-sock" => vec![create(
                "bind docker.sock",
                label,
                json!({"Binds": ["/var/run/docker.sock:/var/run/docker.sock"]}),
            )],
            "mount-bind" => vec![create(
                "Mounts bind /etc",
                label,
                json!({"Mounts": [{"Type": "bind", "Source": "/etc", "Target": "/host"}]}),
            )],
            "volume-bind" => vec![volume_bind(
                param,
                label,
                args.get(3).map_or("/", String::as_str),
            )],
            "host-namespaces" => ["NetworkMode", "PidMode", "IpcMode", "UTSMode"]
                .iter()
                .map(|k| create(&format!("{k}=host"), label, json!({ *k: "host" })))
                .collect(),
            "devices" => vec![create(
                "devices",
                label,
                json!({"Devices": [{"PathOnHost": "/dev/mem", "PathInContainer": "/dev/mem", "CgroupPermissions": "rwm"}]}),
            )],
            "cap-add-all" => vec![create("CapAdd ALL", label, json!({"CapAdd": ["ALL"]}))],
            "seccomp-unconfined" => vec![create(
                "seccomp=unconfined",
                label,
                json!({"SecurityOpt": ["seccomp=unconfined"]}),
            )],
            "unlabelled-create" => vec![attempt(
                "create without the label",
                "POST",
                "/containers/create",
                &json!({"Image": IMAGE, "Cmd": ["true"]}).to_string(),
            )],
            "create-many" => (0..count(param)?)
                .map(|i| create(&format!("create {i}"), label, json!({})))
                .collect(),
            "ping-burst" => (0..count(param)?)
                .map(|i| attempt(&format!("ping {i}"), "GET", "/_ping", ""))
                .collect(),
            "outside-label" => outside_label(param),
            "list" => return list(),
            "pull" => vec![attempt(
                "pull from a registry not allowed",
                "POST",
                &format!("/images/create?fromImage={param}"),
                "",
            )],
            "raw-bypass" => raw_bypass(label),
            "streamed-create" => vec![streamed_create(label)],
            "memory-bomb" => memory_bomb(),
            "spin" => spin(),
            "handle-flood" => return handle_flood(),
            "huge-response" => vec![huge_response(param)],
            "huge-stream" => vec![huge_stream(param)],
            "events-forever" => events_forever(),
            "inspect-loop" => return inspect_loop(param, label),
            "upload" => return upload(param, label),
            "exec-cat" => return exec_cat(param, label),
            other => return Err(format!("unknown attack {other:?}")),
        };
        Ok(Value::Array(results).to_string())
    }
}

/// A count argument (`create-many N`, `ping-burst N`).
fn count(param: &str) -> Result<usize, String> {
    param
        .parse()
        .map_err(|_| format!("expected a count, got {param:?}"))
}

/// `POST /containers/create` of a labelled container with `host_config`.
fn create(what: &str, label: &str, host_config: Value) -> Value {
    let body = json!({
        "Image": IMAGE,
        "Cmd": ["true"],
        "Labels": labels(label),
        "HostConfig": host_config,
    });
    attempt(what, "POST", "/containers/create", &body.to_string())
}

/// `key=value` as a JSON label map, with the test suite's own label.
fn labels(label: &str) -> Value {
    let (k, v) = label.split_once('=').unwrap_or((label, ""));
    json!({ k: v, "berth.test": "1" })
}

/// Sends one request and reports what happened.
fn attempt(what: &str, method: &str, path: &str, body: &str) -> Value {
    let headers = if body.is_empty() {
        vec![]
    } else {
        vec![("Content-Type".to_owned(), "application/json".to_owned())]
    };
    outcome(
        what,
        transport::send(&Request {
            method: method.to_owned(),
            path: path.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }),
    )
}

fn outcome(what: &str, r: Result<transport::Response, ErrorCode>) -> Value {
    match r {
        Ok(res) => json!({
            "what": what,
            "outcome": "allowed",
            "status": res.status,
            "detail": String::from_utf8_lossy(&res.body[..res.body.len().min(4096)]),
        }),
        Err(e) => error_json(what, &e),
    }
}

fn error_json(what: &str, e: &ErrorCode) -> Value {
    let (kind, detail) = describe(e);
    let outcome = if kind == "policy-denied" {
        "denied"
    } else {
        "error"
    };
    json!({"what": what, "outcome": outcome, "kind": kind, "detail": detail})
}

/// The WIT name of an error and its message.
fn describe(e: &ErrorCode) -> (&'static str, String) {
    match e {
        ErrorCode::PolicyDenied(m) => ("policy-denied", m.clone()),
        ErrorCode::LimitExceeded(m) => ("limit-exceeded", m.clone()),
        ErrorCode::Transport(m) => ("transport", m.clone()),
        ErrorCode::Timeout(m) => ("timeout", m.clone()),
        ErrorCode::InvalidArgument(m) => ("invalid-argument", m.clone()),
        ErrorCode::Protocol(m) => ("protocol", m.clone()),
        ErrorCode::NotFound(d) => ("not-found", format!("{} {}", d.status, d.message)),
        ErrorCode::Conflict(d) => ("conflict", format!("{} {}", d.status, d.message)),
        ErrorCode::BadRequest(d) => ("bad-request", format!("{} {}", d.status, d.message)),
        other => ("other", format!("{other:?}")),
    }
}

/// A local volume bind-mounting the host's `device`.
fn volume_bind(name: &str, label: &str, device: &str) -> Value {
    let body = json!({
        "Name": name,
        "Driver": "local",
        "DriverOpts": {"type": "none", "o": "bind", "device": device},
        "Labels": labels(label),
    });
    attempt(
        "volume o=bind",
        "POST",
        "/volumes/create",
        &body.to_string(),
    )
}

/// Reads and changes a container the plugin's label does not cover.
fn outside_label(id: &str) -> Vec<Value> {
    let exec = json!({"Cmd": ["true"]}).to_string();
    vec![
        attempt("inspect", "GET", &format!("/containers/{id}/json"), ""),
        attempt("stop", "POST", &format!("/containers/{id}/stop"), ""),
        attempt("exec", "POST", &format!("/containers/{id}/exec"), &exec),
        attempt("remove", "DELETE", &format!("/containers/{id}?force=1"), ""),
        attempt(
            "logs",
            "GET",
            &format!("/containers/{id}/logs?stdout=1"),
            "",
        ),
    ]
}

/// Lists containers and reports the ids (and labels) the daemon showed it.
fn list() -> Result<String, String> {
    let res = transport::send(&Request {
        method: "GET".into(),
        path: "/containers/json?all=1".into(),
        headers: vec![],
        body: vec![],
    })
    .map_err(|e| format!("{:?}", describe(&e)))?;
    if res.status != 200 {
        return Err(format!("list answered {}", res.status));
    }
    let v: Value = serde_json::from_slice(&res.body).map_err(|e| e.to_string())?;
    let ids: Vec<Value> = v
        .as_array()
        .map(|a| a.iter().map(|c| c["Id"].clone()).collect())
        .unwrap_or_default();
    Ok(Value::Array(ids).to_string())
}

/// Requests shaped to slip past a checker that reads only the obvious spellings.
fn raw_bypass(label: &str) -> Vec<Value> {
    let l = labels(label);
    let odd_case = json!({"image": IMAGE, "labels": l, "hostconfig": {"privileged": true}});
    // Go's encoding/json keeps the last of duplicate keys.
    let duplicate = format!(
        r#"{{"Image":"{IMAGE}","Labels":{l},"HostConfig":{{"Privileged":false,"Privileged":true}}}}"#
    );
    let duplicate_outer = format!(
        r#"{{"Image":"{IMAGE}","Labels":{l},"HostConfig":{{}},"HostConfig":{{"Privileged":true}}}}"#
    );
    let privileged =
        json!({"Image": IMAGE, "Labels": l, "HostConfig": {"Privileged": true}}).to_string();
    let mut out = vec![
        attempt(
            "odd casing",
            "POST",
            "/containers/create",
            &odd_case.to_string(),
        ),
        attempt("duplicate key", "POST", "/containers/create", &duplicate),
        attempt(
            "duplicate HostConfig",
            "POST",
            "/containers/create",
            &duplicate_outer,
        ),
    ];
    for path in [
        "/containers%2Fcreate",
        "/%63ontainers/create",
        "/images/../containers/create",
        "/containers/./create",
        "//containers/create",
        "/v1.41/containers/create",
        "/V1.41/containers/create",
        "/v99/containers/create",
        "/v1.41/v1.41/containers/create",
        "http://localhost/containers/create",
        "http://docker/v1.41/containers/create",
        "/containers/create?name=x#frag",
        "/CONTAINERS/CREATE",
        "/containers/create/",
    ] {
        out.push(attempt(path, "POST", path, &privileged));
    }
    out.push(attempt(
        "method case",
        "post",
        "/containers/create",
        &privileged,
    ));
    out
}

/// A privileged create whose body arrives in chunks through `start-request`.
fn streamed_create(label: &str) -> Value {
    let body = json!({"Image": IMAGE, "Labels": labels(label), "HostConfig": {"Privileged": true}})
        .to_string();
    let head = Request {
        method: "POST".into(),
        path: "/containers/create".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: vec![],
    };
    let req = match transport::start_request(&head) {
        Ok(r) => r,
        Err(e) => return error_json("streamed create (start)", &e),
    };
    for chunk in body.as_bytes().chunks(7) {
        if let Err(e) = req.write(chunk) {
            return error_json("streamed create (write)", &e);
        }
    }
    match OutgoingRequest::finish(req) {
        Ok(res) => {
            let mut body = Vec::new();
            while let Ok(c) = res.body.read(65536) {
                if c.is_empty() {
                    break;
                }
                body.extend_from_slice(&c);
            }
            json!({"what": "streamed create", "outcome": "allowed", "status": res.status,
                   "detail": String::from_utf8_lossy(&body)})
        }
        Err(e) => error_json("streamed create", &e),
    }
}

/// Grows memory until the host stops it.
fn memory_bomb() -> Vec<Value> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; 4 << 20];
        // Touch the block so it is really used.
        for i in (0..block.len()).step_by(4096) {
            block[i] = 1;
        }
        hoard.push(block);
        if hoard.len() > 1 << 20 {
            return vec![json!({"what": "memory bomb", "outcome": "allowed"})];
        }
    }
}

/// Never returns on its own.
fn spin() -> Vec<Value> {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        if x == 42 {
            return vec![json!({"what": "spin", "outcome": "allowed"})];
        }
    }
}

/// Opens streamed responses without ever dropping them, until the host refuses.
fn handle_flood() -> Result<String, String> {
    let mut held = Vec::new();
    loop {
        let r = transport::send_streaming(&Request {
            method: "GET".into(),
            path: "/_ping".into(),
            headers: vec![],
            body: vec![],
        });
        match r {
            Ok(res) => held.push(res),
            Err(e) => {
                let (kind, detail) = describe(&e);
                return Ok(
                    json!([{"what": "handle flood", "outcome": kind, "opened": held.len(),
                                   "detail": detail}])
                    .to_string(),
                );
            }
        }
        if held.len() > 100_000 {
            return Ok(
                json!([{"what": "handle flood", "outcome": "allowed", "opened": held.len()}])
                    .to_string(),
            );
        }
    }
}

/// Reads a container's whole filesystem export in one `send`.
fn huge_response(id: &str) -> Value {
    attempt(
        "export read whole",
        "GET",
        &format!("/containers/{id}/export"),
        "",
    )
}

/// Streams a container's export until the host stops it; reports the bytes read.
fn huge_stream(id: &str) -> Value {
    let res = match transport::send_streaming(&Request {
        method: "GET".into(),
        path: format!("/containers/{id}/export"),
        headers: vec![],
        body: vec![],
    }) {
        Ok(r) => r,
        Err(e) => return error_json("export streamed", &e),
    };
    let mut total: u64 = 0;
    loop {
        // Asks for far more than the host hands out in one read.
        match res.body.read(u64::MAX) {
            Ok(c) if c.is_empty() => {
                return json!({"what": "export streamed", "outcome": "allowed", "bytes": total});
            }
            Ok(c) => total += c.len() as u64,
            Err(e) => {
                let mut v = error_json("export streamed", &e);
                v["bytes"] = json!(total);
                return v;
            }
        }
    }
}

/// Reads the event stream, which never ends by itself.
fn events_forever() -> Vec<Value> {
    let res = match transport::send_streaming(&Request {
        method: "GET".into(),
        path: "/events".into(),
        headers: vec![],
        body: vec![],
    }) {
        Ok(r) => r,
        Err(e) => return vec![error_json("events", &e)],
    };
    loop {
        match res.body.read(65536) {
            Ok(c) if c.is_empty() => {
                return vec![json!({"what": "events", "outcome": "allowed", "detail": "ended"})];
            }
            Ok(_) => {}
            Err(e) => return vec![error_json("events", &e)],
        }
    }
}

/// Benign: inspects container `id` `n` times (the benchmark's plugin side).
fn inspect_loop(id: &str, n: &str) -> Result<String, String> {
    let n: u32 = n.parse().map_err(|_| format!("not a count: {n:?}"))?;
    let req = Request {
        method: "GET".into(),
        path: format!("/containers/{id}/json"),
        headers: vec![],
        body: vec![],
    };
    let mut bytes = 0usize;
    for _ in 0..n {
        let res = transport::send(&req).map_err(|e| format!("{:?}", describe(&e)))?;
        if res.status != 200 {
            return Err(format!("inspect answered {}", res.status));
        }
        bytes += res.body.len();
    }
    Ok(json!({"inspects": n, "bytes": bytes}).to_string())
}

/// Benign: streams a tar archive holding `/tmp/berth-upload.txt` (whose content is
/// `text`) into container `id` through `start-request`, 100 bytes per write.
fn upload(id: &str, text: &str) -> Result<String, String> {
    let tar = tar_of("berth-upload.txt", text.as_bytes());
    let req = transport::start_request(&Request {
        method: "PUT".into(),
        path: format!("/containers/{id}/archive?path=/tmp"),
        headers: vec![("Content-Type".into(), "application/x-tar".into())],
        body: vec![],
    })
    .map_err(|e| format!("start: {:?}", describe(&e)))?;
    for chunk in tar.chunks(100) {
        req.write(chunk)
            .map_err(|e| format!("write: {:?}", describe(&e)))?;
    }
    let res = OutgoingRequest::finish(req).map_err(|e| format!("finish: {:?}", describe(&e)))?;
    Ok(json!({"status": res.status, "bytes": tar.len()}).to_string())
}

/// Benign: runs `cat` in container `id` through an upgraded exec connection, writes
/// `text` to its stdin, closes stdin and returns what came back on stdout.
fn exec_cat(id: &str, text: &str) -> Result<String, String> {
    let body = json!({"Cmd": ["cat"], "AttachStdin": true, "AttachStdout": true,
                      "AttachStderr": true, "Tty": false})
    .to_string();
    let created = transport::send(&Request {
        method: "POST".into(),
        path: format!("/containers/{id}/exec"),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.into_bytes(),
    })
    .map_err(|e| format!("exec create: {:?}", describe(&e)))?;
    if created.status != 201 {
        return Err(format!("exec create answered {}", created.status));
    }
    let v: Value = serde_json::from_slice(&created.body).map_err(|e| e.to_string())?;
    let exec = v["Id"].as_str().ok_or("no exec Id")?;
    let up = transport::upgrade(&Request {
        method: "POST".into(),
        path: format!("/exec/{exec}/start"),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: br#"{"Detach":false,"Tty":false}"#.to_vec(),
    })
    .map_err(|e| format!("exec start: {:?}", describe(&e)))?;
    let conn = up.connection;
    conn.write(text.as_bytes())
        .map_err(|e| format!("write: {:?}", describe(&e)))?;
    conn.close_write()
        .map_err(|e| format!("close-write: {:?}", describe(&e)))?;
    let mut raw = Vec::new();
    loop {
        let chunk = conn
            .read(65536)
            .map_err(|e| format!("read: {:?}", describe(&e)))?;
        if chunk.is_empty() {
            break;
        }
        raw.extend_from_slice(&chunk);
    }
    // Multiplexed frames: [stream, 0, 0, 0, len (4 bytes BE)] + payload.
    let mut stdout = Vec::new();
    let mut rest = &raw[..];
    while rest.len() >= 8 {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = (8 + len).min(rest.len());
        if rest[0] == 1 {
            stdout.extend_from_slice(&rest[8..end]);
        }
        rest = &rest[end..];
    }
    Ok(json!({"status": up.status, "stdout": String::from_utf8_lossy(&stdout)}).to_string())
}

/// A one-file ustar archive.
fn tar_of(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    let octal = |h: &mut [u8; 512], at: usize, len: usize, v: u64| {
        let s = format!("{v:0w$o}\0", w = len - 1);
        h[at..at + len].copy_from_slice(s.as_bytes());
    };
    octal(&mut h, 100, 8, 0o644);
    octal(&mut h, 108, 8, 0);
    octal(&mut h, 116, 8, 0);
    octal(&mut h, 124, 12, data.len() as u64);
    octal(&mut h, 136, 12, 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

export!(Hostile);
