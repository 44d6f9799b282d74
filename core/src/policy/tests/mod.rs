//! Unit tests of the policy: requests as a guest would put them on the wire.

mod bypass;
mod grant_file;
mod host_paths;
mod prop;
mod quota;
mod route_table;
mod scope;

use super::{Allowed, Denial, Grant, Lookup, Policy, RequestView, Verdict};

/// The grant most tests use: everything allowed by name, label-scoped, two image
/// patterns, one bind directory.
pub(super) const STD: &str = r#"
allow = ["*"]
labels = { "berth.plugin" = "t" }
images = ["busybox", "127.0.0.1:5000/*"]
binds = ["/srv/data"]
"#;

pub(super) fn policy(toml: &str) -> Policy {
    Policy::new(Grant::from_toml(toml).expect("test grant parses"))
}

pub(super) fn json_headers() -> Vec<(String, String)> {
    vec![("Content-Type".to_owned(), "application/json".to_owned())]
}

/// Checks one request with a JSON content type at time 0.
pub(super) fn check(p: &mut Policy, method: &str, path: &str, body: Option<&[u8]>) -> Verdict {
    let headers = json_headers();
    p.check(
        &RequestView {
            method,
            path,
            headers: &headers,
            body,
        },
        0,
    )
}

pub(super) fn allowed(v: Verdict) -> Allowed {
    match v {
        Verdict::Allow(a) => a,
        other => panic!("expected Allow, got {other:?}"),
    }
}

pub(super) fn denied(v: Verdict) -> Denial {
    match v {
        Verdict::Deny(d) => d,
        other => panic!("expected Deny, got {other:?}"),
    }
}

pub(super) fn lookup(v: Verdict) -> Lookup {
    match v {
        Verdict::Lookup(l) => l,
        other => panic!("expected Lookup, got {other:?}"),
    }
}

/// The rule of a denial, or a description of what else came back.
pub(super) fn rule(v: &Verdict) -> String {
    match v {
        Verdict::Deny(d) => d.rule.to_owned(),
        Verdict::Allow(a) => format!("ALLOWED {}", a.path),
        Verdict::Lookup(l) => format!("LOOKUP {}", l.inspect_path),
    }
}

/// A labelled create body with `extra` merged into it (top-level keys).
pub(super) fn create_body(extra: &str) -> Vec<u8> {
    let extra = extra.trim();
    let sep = if extra.is_empty() { "" } else { "," };
    format!(r#"{{"Image":"busybox","Labels":{{"berth.plugin":"t"}}{sep}{extra}}}"#).into_bytes()
}

/// Checks a container create under [`STD`].
pub(super) fn create(extra: &str) -> Verdict {
    let mut p = policy(STD);
    check(
        &mut p,
        "POST",
        "/v1.41/containers/create",
        Some(&create_body(extra)),
    )
}

/// A container inspect answer with `labels`.
pub(super) fn container_json(id: &str, labels: &str) -> Vec<u8> {
    format!(r#"{{"Id":"{id}","Name":"/x","Config":{{"Labels":{labels}}},"State":{{"Status":"running"}}}}"#)
        .into_bytes()
}

/// Follows lookups, answering each from `answer(inspect_path) -> (status, body)`.
pub(super) fn resolve(
    p: &mut Policy,
    mut v: Verdict,
    answer: impl Fn(&str) -> (u16, Vec<u8>),
) -> Verdict {
    for _ in 0..16 {
        match v {
            Verdict::Lookup(l) => {
                let (status, body) = answer(&l.inspect_path);
                v = p.check_lookup(&l, status, &body);
            }
            done => return done,
        }
    }
    panic!("lookup chain did not end");
}

#[test]
fn denial_and_audit_line() {
    let mut p = policy(STD);
    let d = denied(check(
        &mut p,
        "POST",
        "/containers/create",
        Some(&create_body(r#""HostConfig":{"Privileged":true}"#)),
    ));
    assert_eq!(d.operation, "containers.create");
    assert_eq!(d.rule, "privileged");
    let line = super::AuditEntry::denied("reaper", &d, "POST", "/containers/create")
        .at(7)
        .to_json_line();
    assert!(line.ends_with('\n'));
    let v: serde_json::Value = serde_json::from_str(line.trim_end()).expect("audit line is JSON");
    assert_eq!(v["plugin"], "reaper");
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["rule"], "privileged");
    assert_eq!(v["operation"], "containers.create");
    assert_eq!(v["time_ms"], 7);
    assert!(
        v["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Privileged"))
    );
    assert!(
        d.to_string()
            .contains("policy denied containers.create (privileged)")
    );

    let a = allowed(check(&mut p, "GET", "/_ping", Some(b"")));
    let line = super::AuditEntry::allowed("reaper", &a, "GET", "/_ping").to_json_line();
    let v: serde_json::Value = serde_json::from_str(line.trim_end()).expect("audit line is JSON");
    assert_eq!(v["decision"], "allow");
    assert!(v.get("rule").is_none());
    assert_eq!(v["operation"], "system.ping");
}

#[test]
fn deny_all_denies_everything_but_ping() {
    let mut p = Policy::new(Grant::deny_all());
    let a = allowed(check(&mut p, "GET", "/_ping", Some(b"")));
    assert_eq!(a.operation.name, "system.ping");
    for (m, path) in [("GET", "/containers/json"), ("GET", "/version")] {
        let d = denied(check(&mut p, m, path, Some(b"")));
        assert_eq!(d.rule, "operation-not-allowed", "{m} {path}");
    }
    assert_eq!(p.grant().limits().memory, 64 << 20);
}

#[test]
fn headers_are_filtered_and_forms_refused() {
    let mut p = policy(STD);
    let headers = vec![
        ("Host".to_owned(), "evil".to_owned()),
        ("Content-Length".to_owned(), "99".to_owned()),
        ("Transfer-Encoding".to_owned(), "chunked".to_owned()),
        ("Connection".to_owned(), "close".to_owned()),
        ("X-Registry-Auth".to_owned(), "e30=".to_owned()),
    ];
    let a = allowed(p.check(
        &RequestView {
            method: "POST",
            path: "/images/create?fromImage=busybox&tag=1",
            headers: &headers,
            body: Some(b""),
        },
        0,
    ));
    assert_eq!(
        a.headers,
        vec![("X-Registry-Auth".to_owned(), "e30=".to_owned())]
    );

    for (name, value, want) in [
        (
            "Content-Type",
            "application/x-www-form-urlencoded",
            "form-body",
        ),
        (
            "content-type",
            "multipart/form-data; boundary=x",
            "form-body",
        ),
        ("X-Bad", "a\r\nX-Injected: 1", "header-invalid"),
        ("Bad Name", "x", "header-invalid"),
    ] {
        let headers = vec![(name.to_owned(), value.to_owned())];
        let v = p.check(
            &RequestView {
                method: "POST",
                path: "/images/create?fromImage=busybox",
                headers: &headers,
                body: Some(b"fromImage=evil.example.com/x"),
            },
            0,
        );
        assert_eq!(rule(&v), want, "{name}: {value}");
    }
    let two = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        (
            "content-type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ),
    ];
    let v = p.check(
        &RequestView {
            method: "GET",
            path: "/_ping",
            headers: &two,
            body: Some(b""),
        },
        0,
    );
    assert_eq!(rule(&v), "ambiguous-header");
}

#[test]
fn typed_requests_from_core_pass() {
    use crate::ApiVersion;
    use crate::api::containers::{ContainerCreate, ContainerList};
    use crate::endpoint::Endpoint;
    use crate::request::RequestBody;

    let mut p = policy(STD);
    let mut list = ContainerList {
        all: true,
        ..ContainerList::default()
    };
    list.filters.add("status", "exited");
    let head = list.request(ApiVersion::new(1, 41)).expect("list request");
    let a = allowed(check(&mut p, head.method.as_str(), &head.path, Some(b"")));
    assert!(
        a.path.starts_with("/v1.41/containers/json?all=1&filters="),
        "{}",
        a.path
    );
    let target = super::path::parse_target(&a.path).expect("allowed path parses");
    let filters: serde_json::Value =
        serde_json::from_str(target.get("filters").expect("filters")).expect("filters JSON");
    assert_eq!(filters["status"], serde_json::json!(["exited"]));
    assert_eq!(filters["label"], serde_json::json!(["berth.plugin=t"]));

    let mut create = ContainerCreate {
        name: Some("job 1".into()),
        ..ContainerCreate::default()
    };
    create.body.image = Some("busybox:berth-test".into());
    create.body.labels = Some(
        [("berth.plugin".to_owned(), "t".to_owned())]
            .into_iter()
            .collect(),
    );
    create.body.host_config = Some(crate::models::HostConfig {
        binds: Some(vec!["/srv/data/in:/in:ro".into()]),
        auto_remove: Some(true),
        ..Default::default()
    });
    let head = create
        .request(ApiVersion::new(1, 41))
        .expect("create request");
    let RequestBody::Json(body) = &head.body else {
        panic!("create has a JSON body")
    };
    let a = allowed(check(&mut p, "POST", &head.path, Some(body)));
    assert_eq!(a.path, "/v1.41/containers/create?name=job%201");
    assert_eq!(a.operation.name, "containers.create");
    assert!(a.operation.auto_remove);
}

#[test]
fn import_is_its_own_operation() {
    let mut p = policy(
        r#"allow = ["images.pull"]
images = ["*"]"#,
    );
    assert!(matches!(
        check(
            &mut p,
            "POST",
            "/images/create?fromImage=busybox&tag=1",
            Some(b"")
        ),
        Verdict::Allow(_)
    ));
    let d = denied(check(
        &mut p,
        "POST",
        "/images/create?fromSrc=-&repo=x",
        None,
    ));
    assert_eq!(
        (d.operation.as_str(), d.rule),
        ("images.import", "operation-not-allowed")
    );
    let d = denied(check(
        &mut p,
        "POST",
        "/images/create?fromImage=&fromSrc=-",
        Some(b""),
    ));
    assert_eq!(d.operation, "images.import");
}
