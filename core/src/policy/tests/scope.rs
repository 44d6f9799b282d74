//! Label scoping: lookups of existing objects and filters on lists.

use serde_json::{Value, json};

use super::super::path::parse_target;
use super::super::{ObjectKind, Verdict};
use super::{
    STD, allowed, check, container_json, create_body, denied, lookup, policy, resolve, rule,
};

const ID: &str = "4f2c0a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccdd";

fn labelled(path: &str) -> (u16, Vec<u8>) {
    if path.starts_with("/containers/") {
        (
            200,
            container_json(ID, r#"{"berth.plugin":"t","other":"x"}"#),
        )
    } else if path.starts_with("/volumes/") {
        (
            200,
            br#"{"Name":"v1","Labels":{"berth.plugin":"t"}}"#.to_vec(),
        )
    } else if path.starts_with("/networks/") {
        (
            200,
            br#"{"Id":"n1full","Name":"n1","Labels":{"berth.plugin":"t"}}"#.to_vec(),
        )
    } else if path.starts_with("/exec/") {
        (
            200,
            format!(r#"{{"ID":"e1","ContainerID":"{ID}"}}"#).into_bytes(),
        )
    } else if path.starts_with("/tasks/") {
        (200, br#"{"ID":"t1full","ServiceID":"s1"}"#.to_vec())
    } else {
        (
            200,
            br#"{"ID":"s1full","Spec":{"Name":"x","Labels":{"berth.plugin":"t"}}}"#.to_vec(),
        )
    }
}

fn unlabelled(path: &str) -> (u16, Vec<u8>) {
    if path.starts_with("/containers/") {
        (200, container_json(ID, r#"{"berth.plugin":"other"}"#))
    } else {
        (
            200,
            br#"{"Id":"x","Name":"x","Labels":null,"Spec":{"Labels":{}}}"#.to_vec(),
        )
    }
}

#[test]
fn access_to_existing_containers_is_looked_up() {
    let mut p = policy(STD);
    let v = check(&mut p, "POST", "/v1.41/containers/web/stop?t=1", Some(b""));
    let l = lookup(v.clone());
    assert_eq!(l.inspect_path, "/containers/web/json");
    assert_eq!(l.operation.name, "containers.stop");
    assert_eq!(l.operation.kind, ObjectKind::Container);
    // Labelled: allowed, and the path now names the full id.
    let a = allowed(resolve(&mut p, v.clone(), labelled));
    assert_eq!(a.path, format!("/v1.41/containers/{ID}/stop?t=1"));
    assert_eq!(a.operation.object.as_deref(), Some(ID));
    // Not labelled: denied.
    let d = denied(resolve(&mut p, v.clone(), unlabelled));
    assert_eq!(d.rule, "unlabelled-object");
    assert_eq!(d.operation, "containers.stop");
    // Missing: the guest sees the daemon's 404.
    let d = denied(p.check_lookup(&l, 404, br#"{"message":"No such container: web"}"#));
    assert_eq!(
        (d.rule, d.status, d.reason.as_str()),
        ("not-found", Some(404), "No such container: web")
    );
    // A 404 without the daemon's words still says what is missing.
    for body in [&b""[..], b"  ", br#"{"message":""}"#] {
        let d = denied(p.check_lookup(&l, 404, body));
        assert_eq!((d.rule, d.status), ("not-found", Some(404)));
        assert_eq!(d.reason, r#"container "web" does not exist"#, "{body:?}");
    }
    // Other failures deny.
    assert_eq!(rule(&p.check_lookup(&l, 500, b"boom")), "lookup-failed");
    assert_eq!(rule(&p.check_lookup(&l, 200, b"not json")), "lookup-failed");
    // A container with no labels at all.
    let d = denied(p.check_lookup(&l, 200, br#"{"Id":"x","Config":{"Labels":null}}"#));
    assert_eq!(d.rule, "unlabelled-object");

    for (m, path) in [
        ("GET", "/containers/web/json"),
        ("GET", "/containers/web/logs?stdout=1&follow=1"),
        ("POST", "/containers/web/attach?stream=1&stdout=1"),
        ("DELETE", "/containers/web?force=1"),
        ("GET", "/containers/web/archive?path=%2Fetc"),
        ("POST", "/containers/web/rename?name=other"),
        ("POST", "/containers/web/kill?signal=KILL"),
    ] {
        let l = lookup(check(&mut p, m, path, Some(b"")));
        assert_eq!(l.inspect_path, "/containers/web/json", "{m} {path}");
    }
    // Ids are encoded in the inspect path.
    let l = lookup(check(&mut p, "GET", "/containers/a%20b/json", Some(b"")));
    assert_eq!(l.inspect_path, "/containers/a%20b/json");
}

#[test]
fn references_in_bodies_are_looked_up() {
    let mut p = policy(STD);
    for (extra, first_inspect) in [
        (
            r#""HostConfig":{"VolumesFrom":["other:ro"]}"#,
            "/containers/other/json",
        ),
        (
            r#""HostConfig":{"NetworkMode":"container:other"}"#,
            "/containers/other/json",
        ),
        (
            r#""HostConfig":{"PidMode":"container:other"}"#,
            "/containers/other/json",
        ),
        (
            r#""HostConfig":{"IpcMode":"container:other"}"#,
            "/containers/other/json",
        ),
        (
            r#""HostConfig":{"Links":["/other:db"]}"#,
            "/containers/other/json",
        ),
        (r#""HostConfig":{"NetworkMode":"mynet"}"#, "/networks/mynet"),
        (
            r#""NetworkingConfig":{"EndpointsConfig":{"mynet":{}}}"#,
            "/networks/mynet",
        ),
        (
            r#""HostConfig":{"Binds":["myvol:/data"]}"#,
            "/volumes/myvol",
        ),
        (
            r#""HostConfig":{"Mounts":[{"Type":"volume","Source":"myvol","Target":"/d"}]}"#,
            "/volumes/myvol",
        ),
    ] {
        let v = check(
            &mut p,
            "POST",
            "/containers/create",
            Some(&create_body(extra)),
        );
        assert_eq!(lookup(v.clone()).inspect_path, first_inspect, "{extra}");
        assert!(
            matches!(resolve(&mut p, v.clone(), labelled), Verdict::Allow(_)),
            "{extra}"
        );
        assert_eq!(
            rule(&resolve(&mut p, v, unlabelled)),
            "unlabelled-object",
            "{extra}"
        );
    }
    // A named volume that does not exist would be created unlabelled.
    let v = check(
        &mut p,
        "POST",
        "/containers/create",
        Some(&create_body(r#""HostConfig":{"Binds":["newvol:/d"]}"#)),
    );
    assert_eq!(
        rule(&resolve(&mut p, v, |_| (404, b"{}".to_vec()))),
        "unlabelled-object"
    );
    // ... unless the mount creates it with the labels.
    let v = check(
        &mut p,
        "POST",
        "/containers/create",
        Some(&create_body(
            r#""HostConfig":{"Mounts":[{"Type":"volume","Source":"newvol","Target":"/d","VolumeOptions":{"Labels":{"berth.plugin":"t"}}}]}"#,
        )),
    );
    assert!(matches!(
        resolve(&mut p, v.clone(), |_| (404, b"{}".to_vec())),
        Verdict::Allow(_)
    ));
    // An existing volume still has to carry the labels itself.
    assert_eq!(rule(&resolve(&mut p, v, unlabelled)), "unlabelled-object");
    // Several references: every one is checked, in turn.
    let body =
        create_body(r#""HostConfig":{"VolumesFrom":["a"],"Binds":["vol:/v"],"NetworkMode":"net"}"#);
    let v = check(&mut p, "POST", "/containers/create", Some(&body));
    let out = resolve(&mut p, v, |path| {
        if path.starts_with("/networks/") {
            unlabelled(path)
        } else {
            labelled(path)
        }
    });
    assert_eq!(rule(&out), "unlabelled-object");
    let l = lookup(check(&mut p, "POST", "/containers/create", Some(&body)));
    assert_eq!(l.remaining(), 2);
    // A request naming too many objects is refused outright.
    let many: Vec<String> = (0..=super::super::MAX_REFERENCES)
        .map(|i| format!("\"c{i}\""))
        .collect();
    let body = create_body(&format!(
        r#""HostConfig":{{"VolumesFrom":[{}]}}"#,
        many.join(",")
    ));
    assert_eq!(
        rule(&check(&mut p, "POST", "/containers/create", Some(&body))),
        "too-many-references"
    );

    // networks.connect: the network and the container.
    let v = check(
        &mut p,
        "POST",
        "/networks/n1/connect",
        Some(br#"{"Container":"web"}"#),
    );
    assert_eq!(lookup(v.clone()).inspect_path, "/networks/n1");
    let a = allowed(resolve(&mut p, v.clone(), labelled));
    assert_eq!(a.path, "/networks/n1full/connect");
    let out = resolve(&mut p, v, |path| {
        if path.starts_with("/containers/") {
            unlabelled(path)
        } else {
            labelled(path)
        }
    });
    assert_eq!(rule(&out), "unlabelled-object");
}

#[test]
fn exec_and_task_are_judged_by_their_owner() {
    let mut p = policy(STD);
    let v = check(
        &mut p,
        "POST",
        "/exec/e1/start",
        Some(br#"{"Detach":false}"#),
    );
    let l = lookup(v.clone());
    assert_eq!(l.inspect_path, "/exec/e1/json");
    let next = lookup(p.check_lookup(&l, 200, &labelled("/exec/e1/json").1));
    assert_eq!(next.inspect_path, format!("/containers/{ID}/json"));
    assert!(matches!(
        resolve(&mut p, v.clone(), labelled),
        Verdict::Allow(_)
    ));
    let out = resolve(&mut p, v, |path| {
        if path.starts_with("/containers/") {
            unlabelled(path)
        } else {
            labelled(path)
        }
    });
    assert_eq!(rule(&out), "unlabelled-object");

    // An exec the plugin created itself needs no lookup.
    let v = check(
        &mut p,
        "POST",
        "/containers/web/exec",
        Some(br#"{"Cmd":["id"]}"#),
    );
    let a = allowed(resolve(&mut p, v, labelled));
    p.observe(&a.operation, 201, br#"{"Id":"myexec"}"#);
    assert!(matches!(
        check(&mut p, "POST", "/exec/myexec/start", Some(b"{}")),
        Verdict::Allow(_)
    ));
    assert!(matches!(
        check(&mut p, "GET", "/exec/myexec/json", Some(b"")),
        Verdict::Allow(_)
    ));

    let v = check(&mut p, "GET", "/tasks/t1", Some(b""));
    assert_eq!(lookup(v.clone()).inspect_path, "/tasks/t1");
    let a = allowed(resolve(&mut p, v, labelled));
    assert_eq!(a.path, "/tasks/t1full");
}

#[test]
fn other_kinds_are_scoped() {
    let mut p = policy(STD);
    for (m, path, body, inspect) in [
        ("GET", "/networks/n1", "", "/networks/n1"),
        ("DELETE", "/volumes/v1", "", "/volumes/v1"),
        ("GET", "/services/s1", "", "/services/s1"),
        (
            "POST",
            "/services/s1/update?version=3",
            r#"{"Name":"s","Labels":{"berth.plugin":"t"}}"#,
            "/services/s1",
        ),
        ("DELETE", "/secrets/s1", "", "/secrets/s1"),
        ("GET", "/configs/c1", "", "/configs/c1"),
    ] {
        let v = check(&mut p, m, path, Some(body.as_bytes()));
        assert_eq!(lookup(v.clone()).inspect_path, inspect, "{m} {path}");
        assert!(
            matches!(resolve(&mut p, v.clone(), labelled), Verdict::Allow(_)),
            "{m} {path}"
        );
        assert_eq!(
            rule(&resolve(&mut p, v, unlabelled)),
            "unlabelled-object",
            "{m} {path}"
        );
    }
    // A service update must keep the labels.
    let v = check(
        &mut p,
        "POST",
        "/services/s1/update?version=3",
        Some(br#"{"Name":"s"}"#),
    );
    assert_eq!(rule(&v), "unlabelled-create");
    // Images, nodes and plugins are not label-scoped.
    assert!(matches!(
        check(&mut p, "GET", "/images/busybox/json", Some(b"")),
        Verdict::Allow(_)
    ));
    assert!(matches!(
        check(&mut p, "GET", "/nodes/n1", Some(b"")),
        Verdict::Allow(_)
    ));
}

fn filters_of(path: &str) -> Value {
    let t = parse_target(path).expect("allowed path parses");
    serde_json::from_str(t.get("filters").expect("filters present")).expect("filters JSON")
}

#[test]
fn lists_get_the_label_filter() {
    let mut p = policy(STD);
    for path in [
        "/containers/json?all=1",
        "/containers/prune",
        "/networks",
        "/networks/prune",
        "/volumes",
        "/volumes/prune",
        "/services",
        "/tasks",
        "/secrets",
        "/configs",
        "/events?since=1",
    ] {
        let m = if path.contains("prune") {
            "POST"
        } else {
            "GET"
        };
        let a = allowed(check(&mut p, m, path, Some(b"")));
        assert_eq!(
            filters_of(&a.path),
            json!({"label": ["berth.plugin=t"]}),
            "{path}"
        );
    }
    // Merged with the guest's filters, in both of their shapes.
    let a = allowed(check(
        &mut p,
        "GET",
        "/containers/json?filters=%7B%22label%22%3A%5B%22app%3Dweb%22%5D%2C%22status%22%3A%5B%22exited%22%5D%7D",
        Some(b""),
    ));
    assert_eq!(
        filters_of(&a.path),
        json!({"label": ["app=web", "berth.plugin=t"], "status": ["exited"]})
    );
    let a = allowed(check(
        &mut p,
        "GET",
        "/networks?filters=%7B%22label%22%3A%7B%22app%3Dweb%22%3Atrue%7D%7D",
        Some(b""),
    ));
    assert_eq!(
        filters_of(&a.path),
        json!({"label": {"app=web": true, "berth.plugin=t": true}})
    );
    // Guest filters that could confuse the merge are refused.
    for (q, want) in [
        (
            "filters=%7B%22label%22%3A%5B%5D%2C%22label%22%3A%5B%5D%7D",
            "ambiguous-json",
        ),
        ("filters=not-json", "malformed-json"),
        ("filters=%5B%5D", "json-type"),
        ("filters=%7B%22label%22%3A%22x%22%7D", "json-type"),
        ("filters=%7B%7D&filters=%7B%7D", "ambiguous-query"),
    ] {
        let v = check(&mut p, "GET", &format!("/containers/json?{q}"), Some(b""));
        assert_eq!(rule(&v), want, "{q}");
    }
    // No labels in the grant: no scoping at all.
    let mut open = policy(
        r#"allow = ["*"]
images = ["busybox"]"#,
    );
    let a = allowed(check(&mut open, "GET", "/containers/json", Some(b"")));
    assert_eq!(a.path, "/containers/json");
    assert!(matches!(
        check(&mut open, "POST", "/containers/web/stop", Some(b"")),
        Verdict::Allow(_)
    ));
    assert!(matches!(
        check(
            &mut open,
            "POST",
            "/containers/create",
            Some(br#"{"Image":"busybox"}"#)
        ),
        Verdict::Allow(_)
    ));
    assert_eq!(
        rule(&check(
            &mut open,
            "POST",
            "/containers/create",
            Some(br#"{"Image":"busybox","HostConfig":{"Privileged":true}}"#)
        )),
        "privileged"
    );
}
