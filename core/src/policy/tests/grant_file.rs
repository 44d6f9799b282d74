//! The grant file, CLI flags and the image allowlist.

use super::super::{Grant, Limits, parse_duration_ms, parse_size};

#[test]
fn example_file_parses() {
    let g = Grant::from_toml(include_str!("../grant.example.toml")).expect("example grant");
    assert!(g.allows_operation("containers.create"));
    assert!(g.allows_operation("containers.archive.get"));
    assert!(g.allows_operation("system.events"));
    assert!(g.allows_operation("images.pull"));
    assert!(!g.allows_operation("images.push"));
    assert!(!g.allows_operation("exec.create"));
    assert_eq!(
        g.labels().get("berth.plugin").map(String::as_str),
        Some("reaper")
    );
    assert_eq!(g.binds(), ["/srv/data"]);
    assert_eq!(
        *g.limits(),
        Limits {
            memory: 64 << 20,
            fuel: None,
            deadline_ms: Some(30_000),
            max_handles: 64,
            max_containers: Some(5),
            requests_per_second: Some(100),
            max_bytes: Some(1 << 30),
        }
    );
}

#[test]
fn defaults() {
    let g = Grant::from_toml("").expect("empty grant");
    assert_eq!(*g.limits(), Limits::default());
    assert!(g.limits().memory >= 16 << 20);
    assert!(g.operations().is_empty());
}

#[test]
fn bad_files_name_the_key_and_line() {
    for (text, needles) in [
        (
            "allow = [\"containers.list\"]\nalow = []",
            &["alow", "line 2"][..],
        ),
        ("allow = [\"containers.lsit\"]", &["containers.lsit"][..]),
        ("allow = \"containers.list\"", &["allow"][..]),
        ("[limits]\nmemory = \"64Q\"", &["64Q", "line 2"][..]),
        ("[limits]\nmemory = 1024", &["below 1 MiB"][..]),
        ("[limits]\ndeadline = \"soon\"", &["soon"][..]),
        ("[limits]\nmax_handles = 0", &["max_handles"][..]),
        ("[limits]\nbogus = 1", &["bogus"][..]),
        ("images = [\"Busy Box\"]", &["Busy Box"][..]),
        ("binds = [\"relative/path\"]", &["relative/path"][..]),
        ("binds = [\"/srv/../etc\"]", &["/srv/../etc"][..]),
        ("labels = { \"a=b\" = \"c\" }", &["a=b"][..]),
        ("allow = [", &["invalid grant"][..]),
    ] {
        let e = Grant::from_toml(text).expect_err(text).to_string();
        for n in needles {
            assert!(
                e.contains(n),
                "error for {text:?} should mention {n:?}: {e}"
            );
        }
    }
}

#[test]
fn flags_merge() {
    let mut g = Grant::deny_all();
    for (k, v) in [
        ("--allow", "containers.list"),
        ("allow", "images.*"),
        ("--allow-image", "busybox"),
        ("--label", "team=ci"),
        ("--allow-bind", "/srv/data/"),
        ("--max-containers", "5"),
        ("--max-requests-per-second", "50"),
        ("--max-bytes", "1G"),
        ("--memory", "128M"),
        ("--fuel", "1000000"),
        ("--deadline", "500ms"),
        ("--max-handles", "32"),
        ("--allow-cap", "cap_net_admin"),
        ("--allow-gpus", "true"),
    ] {
        g.merge_flag(k, v)
            .unwrap_or_else(|e| panic!("{k} {v}: {e}"));
    }
    assert!(g.allows_operation("containers.list"));
    assert!(g.allows_operation("images.pull"));
    assert!(!g.allows_operation("containers.create"));
    assert!(g.allows_image("busybox:latest"));
    assert_eq!(g.labels().get("team").map(String::as_str), Some("ci"));
    assert_eq!(g.binds(), ["/srv/data"]);
    let l = g.limits();
    assert_eq!(
        (
            l.max_containers,
            l.requests_per_second,
            l.max_bytes,
            l.memory,
            l.fuel,
            l.deadline_ms,
            l.max_handles
        ),
        (
            Some(5),
            Some(50),
            Some(1 << 30),
            128 << 20,
            Some(1_000_000),
            Some(500),
            32
        )
    );
    for (k, v) in [
        ("--label", "novalue"),
        ("--max-containers", "-1"),
        ("--max-containers", "five"),
        ("--memory", "lots"),
        ("--allow-gpus", "maybe"),
        ("--frobnicate", "1"),
        ("--allow", "Containers.List"),
    ] {
        let e = g.merge_flag(k, v).expect_err(k);
        assert!(!e.to_string().is_empty());
    }
    g.merge_flag("--max-bytes", "0").expect("0 = unlimited");
    assert_eq!(g.limits().max_bytes, None);
}

#[test]
fn sizes_and_durations() {
    for (t, want) in [
        ("0", 0),
        ("512", 512),
        ("1k", 1024),
        ("64M", 64 << 20),
        ("64MiB", 64 << 20),
        ("64mb", 64 << 20),
        ("1G", 1 << 30),
        ("1.5G", 3 << 29),
        ("2T", 2 << 40),
    ] {
        assert_eq!(parse_size(t), Ok(want), "{t}");
    }
    for t in [
        "",
        "M",
        "-1",
        "1.2.3M",
        "1X",
        "99999999999999999999",
        "20000000T",
    ] {
        assert!(parse_size(t).is_err(), "{t:?} should not parse");
    }
    for (t, want) in [
        ("30s", 30_000),
        ("500ms", 500),
        ("2m", 120_000),
        ("1h", 3_600_000),
        ("7", 7_000),
    ] {
        assert_eq!(parse_duration_ms(t), Ok(want), "{t}");
    }
    for t in ["", "s", "1.5s", "-1s", "soon"] {
        assert!(parse_duration_ms(t).is_err(), "{t:?} should not parse");
    }
}

#[test]
fn image_patterns() {
    let g = Grant::from_toml(
        r#"images = ["busybox", "127.0.0.1:5000/*", "alpine:3.19", "docker.io/myorg/*"]"#,
    )
    .expect("grant");
    for ok in [
        "busybox",
        "busybox:berth-test",
        "docker.io/library/busybox",
        "index.docker.io/library/busybox:1",
        "library/busybox",
        "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "127.0.0.1:5000/busybox:berth-test",
        "127.0.0.1:5000/a/b/c",
        "alpine:3.19",
        "myorg/tool:1",
    ] {
        assert!(g.allows_image(ok), "{ok} should be allowed");
    }
    for no in [
        "evil.example.com/x",
        "evil.example.com/busybox",
        "busybox.evil.com/busybox",
        "127.0.0.1:5001/busybox",
        "127.0.0.1/busybox",
        "alpine",
        "alpine:3.20",
        "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "otherorg/tool",
        "busybox2",
        "BusyBox",
        "abc123",
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "",
        "busybox:",
        "busybox:bad tag",
        "../busybox",
    ] {
        assert!(!g.allows_image(no), "{no} should be denied");
    }
    let all = Grant::from_toml(r#"images = ["*"]"#).expect("grant");
    assert!(
        all.allows_image("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    );
    assert!(all.allows_image("evil.example.com/x"));
    let lib = Grant::from_toml(r#"images = ["docker.io/library/*"]"#).expect("grant");
    assert!(lib.allows_image("busybox"));
    assert!(!lib.allows_image("myorg/busybox"));
    assert!(!lib.allows_image("127.0.0.1:5000/busybox"));
}

#[test]
fn operation_globs() {
    let g =
        Grant::from_toml(r#"allow = ["containers.*", "exec.start", "*.inspect"]"#).expect("grant");
    assert!(g.allows_operation("containers.archive.put"));
    assert!(g.allows_operation("exec.start"));
    assert!(g.allows_operation("networks.inspect"));
    assert!(!g.allows_operation("exec.create"));
    assert!(!g.allows_operation("containersX"));
    assert!(!g.allows_operation("images.pull"));
    assert!(super::super::operations().contains(&"images.import"));
}

#[test]
fn json_grants() {
    let g = Grant::from_json(
        r#"{"allow":["containers.*"],"labels":{"team":"ci"},"images":["busybox"],"limits":{"memory":"32M","deadline":5,"max_bytes":1024}}"#,
    )
    .expect("JSON grant");
    assert!(g.allows_operation("containers.list"));
    assert_eq!(g.limits().memory, 32 << 20);
    assert_eq!(g.limits().deadline_ms, Some(5_000));
    assert_eq!(g.limits().max_bytes, Some(1024));
    let e = Grant::from_json(r#"{"alow":[]}"#)
        .expect_err("unknown key")
        .to_string();
    assert!(e.contains("alow"), "{e}");
}
