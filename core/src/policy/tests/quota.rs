//! Quotas: live containers, requests per second, bytes streamed.

use super::super::Verdict;
use super::{allowed, check, container_json, create_body, denied, policy, resolve, rule};

const GRANT: &str = r#"
allow = ["*"]
labels = { "berth.plugin" = "t" }
images = ["busybox"]
[limits]
max_containers = 2
requests_per_second = 5
max_bytes = "1k"
"#;

#[test]
fn live_containers() {
    let mut p = policy(GRANT);
    let body = create_body("");
    let mut at = 0;
    let mut create = |p: &mut super::super::Policy, n: u64| {
        at += 1000;
        let headers = super::json_headers();
        p.check(
            &super::super::RequestView {
                method: "POST",
                path: "/containers/create",
                headers: &headers,
                body: Some(&body),
            },
            at + n,
        )
    };
    let a = allowed(create(&mut p, 0));
    p.observe(&a.operation, 201, br#"{"Id":"c1","Warnings":[]}"#);
    let a = allowed(create(&mut p, 0));
    // A failed create does not count.
    p.observe(&a.operation, 404, br#"{"message":"No such image"}"#);
    let a = allowed(create(&mut p, 0));
    p.observe(&a.operation, 201, br#"{"Id":"c2"}"#);
    assert_eq!(p.live_containers(), 2);
    let d = denied(create(&mut p, 0));
    assert_eq!(d.rule, "quota-containers");
    // Removing one (by name: the lookup pins the id) frees a slot.
    let v = p.check(
        &super::super::RequestView {
            method: "DELETE",
            path: "/containers/web",
            headers: &[],
            body: Some(b""),
        },
        10_000,
    );
    let a = allowed(resolve(&mut p, v, |_| {
        (200, container_json("c1", r#"{"berth.plugin":"t"}"#))
    }));
    assert_eq!(a.operation.object.as_deref(), Some("c1"));
    p.observe(&a.operation, 204, b"");
    assert_eq!(p.live_containers(), 1);
    let a = allowed(create(&mut p, 20_000));
    let mut auto = a.operation.clone();
    p.observe(&a.operation, 201, br#"{"Id":"c3"}"#);
    assert!(matches!(create(&mut p, 30_000), Verdict::Deny(_)));
    // AutoRemove containers stop counting when a wait returns.
    let auto_body = create_body(r#""HostConfig":{"AutoRemove":true}"#);
    p.forget_container("c3");
    let headers = super::json_headers();
    let a = allowed(p.check(
        &super::super::RequestView {
            method: "POST",
            path: "/containers/create",
            headers: &headers,
            body: Some(&auto_body),
        },
        40_000,
    ));
    assert!(a.operation.auto_remove);
    p.observe(&a.operation, 201, br#"{"Id":"c4"}"#);
    assert_eq!(p.live_containers(), 2);
    auto.name = "containers.wait";
    auto.object = Some("c4".into());
    p.observe(&auto, 200, br#"{"StatusCode":0}"#);
    assert_eq!(p.live_containers(), 1);
    // A 404 on a tracked container forgets it.
    auto.name = "containers.inspect";
    auto.kind = super::super::ObjectKind::Container;
    auto.object = Some("c2".into());
    p.observe(&auto, 404, b"");
    assert_eq!(p.live_containers(), 0);
}

#[test]
fn requests_per_second() {
    let mut p = policy(GRANT);
    let headers: Vec<(String, String)> = Vec::new();
    let ping = |p: &mut super::super::Policy, t: u64| {
        p.check(
            &super::super::RequestView {
                method: "GET",
                path: "/_ping",
                headers: &headers,
                body: Some(b""),
            },
            t,
        )
    };
    // Burst of 5 at t=0, the 6th is refused.
    for _ in 0..5 {
        assert!(matches!(ping(&mut p, 1_000), Verdict::Allow(_)));
    }
    assert_eq!(rule(&ping(&mut p, 1_000)), "quota-rps");
    // 200 ms later one token is back (5/s), not two.
    assert!(matches!(ping(&mut p, 1_200), Verdict::Allow(_)));
    assert_eq!(rule(&ping(&mut p, 1_200)), "quota-rps");
    // A clock going backwards earns nothing.
    assert_eq!(rule(&ping(&mut p, 500)), "quota-rps");
    // A long pause refills to the burst, not beyond.
    for _ in 0..5 {
        assert!(matches!(ping(&mut p, 60_000), Verdict::Allow(_)));
    }
    assert_eq!(rule(&ping(&mut p, 60_000)), "quota-rps");
    // Denied requests use tokens too (a flood of bad requests is throttled).
    let mut q = policy(GRANT);
    for _ in 0..5 {
        let _ = check(&mut q, "GET", "/nope", Some(b""));
    }
    assert_eq!(
        rule(&check(&mut q, "GET", "/_ping", Some(b""))),
        "quota-rps"
    );
}

#[test]
fn bytes_streamed() {
    let mut p = policy(GRANT);
    assert!(p.count_bytes(1000).is_ok());
    assert!(p.count_bytes(24).is_ok());
    let d = p.count_bytes(1).expect_err("over 1 KiB");
    assert_eq!(d.rule, "quota-bytes");
    assert!(p.count_bytes(0).is_err());
    assert_eq!(p.bytes_streamed(), 1025);
    let mut unlimited = policy(r#"allow = ["*"]"#);
    assert!(unlimited.count_bytes(u64::MAX).is_ok());
    assert!(unlimited.count_bytes(u64::MAX).is_ok());
}
