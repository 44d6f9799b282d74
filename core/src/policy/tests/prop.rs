//! Random input never panics.

use proptest::prelude::*;

use super::super::{Grant, Policy, RequestView, Verdict};

fn open_policy() -> Policy {
    Policy::new(
        Grant::from_toml(
            r#"
allow = ["*"]
labels = { "berth.plugin" = "t" }
images = ["busybox"]
binds = ["/srv"]
[limits]
max_containers = 3
"#,
        )
        .expect("grant"),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_never_panic(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]),
        path in "(/v1\\.4[0-9])?(/(containers|images|networks|volumes|exec|services|build|_ping|%2e|%2F|\\.\\.|[a-z0-9%:.@]{0,12})){0,5}(\\?[a-zA-Z0-9=&%+;]{0,30})?",
        body in prop::collection::vec(any::<u8>(), 0..256),
        streamed in any::<bool>(),
        status in prop::sample::select(vec![200u16, 201, 204, 404, 500]),
        answer in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let mut p = open_policy();
        let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let body_ref = if streamed { None } else { Some(body.as_slice()) };
        let mut v = p.check(&RequestView { method, path: &path, headers: &headers, body: body_ref }, 0);
        for _ in 0..4 {
            match v {
                Verdict::Lookup(l) => v = p.check_lookup(&l, status, &answer),
                Verdict::Allow(a) => {
                    p.observe(&a.operation, status, &answer);
                    break;
                }
                Verdict::Deny(d) => {
                    prop_assert!(!d.rule.is_empty());
                    prop_assert!(!d.operation.is_empty());
                    break;
                }
            }
        }
    }

    #[test]
    fn random_bytes_anywhere_never_panic(path in any::<String>(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut p = open_policy();
        for m in ["POST", "GET"] {
            let _ = p.check(&RequestView { method: m, path: &path, headers: &[], body: Some(&body) }, 0);
            let create = format!("/containers/create?{}", path.escape_default());
            let _ = p.check(&RequestView { method: m, path: &create, headers: &[], body: Some(&body) }, 0);
        }
    }

    #[test]
    fn random_json_create_bodies_never_panic(
        keys in prop::collection::vec(prop::sample::select(vec![
            "Image", "Labels", "HostConfig", "Binds", "Mounts", "Privileged", "NetworkMode",
            "CapAdd", "Devices", "SecurityOpt", "VolumesFrom", "Type", "Source", "hostconfig",
        ]), 0..8),
        values in prop::collection::vec(prop::sample::select(vec![
            "true", "null", "1", "\"host\"", "\"/\"", "[]", "{}", "[\"/:/x\"]", "[{\"Type\":\"bind\",\"Source\":\"/\"}]",
            "{\"berth.plugin\":\"t\"}", "\"busybox\"", "[1,{}]",
        ]), 0..8),
    ) {
        let mut p = open_policy();
        let mut body = String::from("{");
        for (i, (k, v)) in keys.iter().zip(values.iter()).enumerate() {
            if i > 0 { body.push(','); }
            body.push_str(&format!("\"{k}\":{v}"));
        }
        body.push('}');
        let v = p.check(&RequestView { method: "POST", path: "/containers/create", headers: &[], body: Some(body.as_bytes()) }, 0);
        // Whatever the body, a privileged or root bind never comes out allowed.
        if let Verdict::Allow(_) = v {
            prop_assert!(!body.contains("\"Privileged\":true"), "{body}");
            prop_assert!(!body.contains("/:/x"), "{body}");
        }
    }
}
