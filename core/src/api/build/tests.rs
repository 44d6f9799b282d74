use serde_json::{Value, json};

use super::*;
use crate::stream::Decoder;
use crate::stream::tests::capture_body;

const V41: ApiVersion = ApiVersion::new(1, 41);
const BUILD_OK: &[u8] = include_bytes!("../../../testdata/build-ok.http");
const BUILD_FAILED: &[u8] = include_bytes!("../../../testdata/pull-error.http");

/// Folds a body, pushed in `pieces`, into the build's outcome.
fn fold(pieces: &[&[u8]]) -> Result<(String, BuildLog), BuildFailure> {
    let mut d = ImageBuild::default()
        .decoder(200, &Headers::new())
        .expect("decoder");
    let mut log = BuildLog::new();
    for p in pieces {
        d.push(p);
        loop {
            match d.next() {
                Ok(Some(item)) => log.record_item(Ok(&item.attrs))?,
                Ok(None) => break,
                Err(e) => log.record_item(Err(e))?,
            }
        }
    }
    while let Some(item) = d.finish().map_err(BuildFailure::Other)? {
        log.record_item(Ok(&item.attrs))?;
    }
    log.finish().map_err(BuildFailure::Build)
}

#[test]
fn captured_build_yields_the_aux_id_however_split() {
    let b = capture_body(BUILD_OK);
    let (id, log) = fold(&[&b]).expect("build ok");
    assert_eq!(
        id,
        "sha256:6ad52a06628e4b28f00b086ac80157ef8359debb96e2dae63c0647f2604e16fe"
    );
    assert!(log.text().contains("hello from the build\n"));
    assert!(
        log.text()
            .ends_with("Successfully tagged berth-capture:ok\n")
    );
    assert_eq!(log.messages().len(), 22);
    for cut in 0..=b.len() {
        let (a, c) = b.split_at(cut);
        let (id2, log2) = fold(&[a, c]).expect("split build ok");
        assert_eq!(id2, id, "cut at {cut}");
        assert_eq!(log2, log, "cut at {cut}");
    }
    let bytes: Vec<&[u8]> = b.chunks(1).collect();
    assert_eq!(fold(&bytes).expect("bytewise").0, id);
}

#[test]
fn captured_failure_is_a_build_error_with_the_log() {
    let b = capture_body(BUILD_FAILED);
    for cut in 0..=b.len() {
        let (a, c) = b.split_at(cut);
        let Err(BuildFailure::Build(e)) = fold(&[a, c]) else {
            panic!("cut at {cut}: expected a build error");
        };
        assert_eq!(
            e.message, "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
            "cut at {cut}"
        );
        assert_eq!(e.code, Some(3));
        let text = e.log.text();
        assert!(text.contains("Step 2/3 : RUN exit 3"), "{text}");
        assert!(text.ends_with("returned a non-zero code: 3\n"), "{text}");
        assert!(e.log.image_id().is_none());
        assert!(
            matches!(Error::from(e), Error::Stream { code: Some(3), .. }),
            "maps onto Error::Stream"
        );
    }
}

#[test]
fn id_detection() {
    let id_of = |lines: &[Value]| {
        let mut log = BuildLog::new();
        for l in lines {
            log.record(l);
        }
        log.finish().ok().map(|(id, _)| id)
    };
    let quiet = "sha256:998e75eebba15ca6acbfff0e83f571a69bf011a997b2e32324373bfd65b9ed47";
    assert_eq!(
        id_of(&[json!({ "stream": format!("{quiet}\n") })]).as_deref(),
        Some(quiet)
    );
    assert_eq!(
        id_of(&[json!({"stream": "Successfully built 6ad52a06628e\n"})]).as_deref(),
        Some("6ad52a06628e")
    );
    assert_eq!(
        id_of(&[json!({"stream": "Successfully tagged app:latest\n"})]),
        None,
        "a tag line alone names no image"
    );
    assert_eq!(
        id_of(&[json!({"stream": "Successfully built not-an-id\n"})]),
        None
    );
    assert_eq!(
        id_of(&[
            json!({"aux": {"ID": "sha256:abc"}}),
            json!({"stream": "Successfully built 0123\n"}),
        ])
        .as_deref(),
        Some("sha256:abc"),
        "the full aux id wins over the short one"
    );
    assert_eq!(
        id_of(&[json!({"status": "Downloading", "progress": "[=>  ]"})]),
        None
    );
}

fn full_options() -> BuildOptions {
    let mut o = BuildOptions::new()
        .tag("app:1")
        .tag("localhost:5000/team/app:latest")
        .dockerfile("docker/Dockerfile.dev")
        .buildarg("B", "2")
        .buildarg("A", "x y")
        .label("berth.test", "1")
        .target("build")
        .quiet(true)
        .nocache(true)
        .pull(true);
    o.forcerm = true;
    o.cache_from = vec!["app:0".into()];
    o.network_mode = Some("host".into());
    o.extra_hosts = vec![("db".into(), "10.0.0.2".into())];
    o.platform = Some("linux/amd64".into());
    o.shm_size = Some(1 << 20);
    o.container_limits = ContainerLimits {
        memory: Some(64 << 20),
        memswap: Some(-1),
        cpushares: Some(512),
        cpusetcpus: Some("0,1".into()),
    };
    o.squash = true;
    o.isolation = Some("default".into());
    o
}

#[test]
fn request_carries_every_option() {
    let mut b = ImageBuild::new(full_options());
    b.registry_config = Some("eyJ9".into());
    let h = b.request(V41).expect("request");
    assert_eq!(h.method, Method::POST);
    let want = [
        "/v1.41/build?t=app%3A1",
        "t=localhost%3A5000%2Fteam%2Fapp%3Alatest",
        "dockerfile=docker%2FDockerfile.dev",
        "q=1",
        "nocache=1",
        "rm=1",
        "forcerm=1",
        "pull=1",
        "buildargs=%7B%22A%22%3A%22x%20y%22%2C%22B%22%3A%222%22%7D",
        "labels=%7B%22berth.test%22%3A%221%22%7D",
        "cachefrom=%5B%22app%3A0%22%5D",
        "target=build",
        "networkmode=host",
        "extrahosts=db%3A10.0.0.2",
        "platform=linux%2Famd64",
        "shmsize=1048576",
        "memory=67108864",
        "memswap=-1",
        "cpushares=512",
        "cpusetcpus=0%2C1",
        "squash=1",
        "isolation=default",
    ]
    .join("&");
    assert_eq!(h.path, want);
    assert_eq!(
        h.body,
        RequestBody::Stream {
            content_type: "application/x-tar"
        }
    );
    assert_eq!(h.headers, vec![("X-Registry-Config", "eyJ9".to_owned())]);
    assert_eq!(h.response, ResponseKind::JsonStream);
}

#[test]
fn defaults_send_rm_and_nothing_else() {
    let h = ImageBuild::default().request(V41).expect("request");
    assert_eq!(h.path, "/v1.41/build?q=0&nocache=0&rm=1&forcerm=0&pull=0");
    assert!(h.headers.is_empty());
    let mut o = BuildOptions::new();
    o.rm = false;
    let h = ImageBuild::new(o).request(V41).expect("request");
    assert!(h.path.contains("&rm=0&"));
}

#[test]
fn remote_context_has_no_body() {
    let b = ImageBuild::remote("https://example.com/ctx.git", BuildOptions::new());
    assert!(!b.has_body());
    let h = b.request(V41).expect("request");
    assert!(
        h.path
            .starts_with("/v1.41/build?remote=https%3A%2F%2Fexample.com%2Fctx.git&")
    );
    assert_eq!(h.body, RequestBody::Empty);
    assert!(
        ImageBuild::remote(" ", BuildOptions::new())
            .request(V41)
            .is_err()
    );
    for (url, remote) in [
        ("http://x/y", true),
        ("https://x/y", true),
        ("git://x/y", true),
        ("github.com/org/repo", true),
        ("git@github.com:org/repo", true),
        ("/srv/app", false),
        ("app", false),
    ] {
        assert_eq!(is_remote_context(url), remote, "{url}");
    }
}

#[test]
fn encodings() {
    let mut o = BuildOptions::new();
    o.gzip = true;
    let h = ImageBuild::new(o.clone()).request(V41).expect("gzip");
    assert_eq!(h.headers, vec![("Content-Encoding", "gzip".to_owned())]);
    o.encoding = Some("gzip".into());
    let e = ImageBuild::new(o.clone()).request(V41).expect_err("both");
    assert!(e.to_string().contains("mutually exclusive"), "{e}");
    o.gzip = false;
    o.encoding = Some("bzip2".into());
    let h = ImageBuild::new(o).request(V41).expect("bzip2");
    assert_eq!(h.headers, vec![("Content-Encoding", "bzip2".to_owned())]);
}

#[test]
fn version_gates() {
    let o = BuildOptions::new().target("x");
    let e = ImageBuild::new(o.clone())
        .request(ApiVersion::new(1, 28))
        .expect_err("target needs 1.29");
    assert!(matches!(e, Error::UnsupportedApiVersion { .. }), "{e:?}");
    assert!(ImageBuild::new(o).request(ApiVersion::new(1, 29)).is_ok());
    let mut o = BuildOptions::new();
    o.platform = Some("linux".into());
    assert!(ImageBuild::new(o).request(ApiVersion::new(1, 31)).is_err());
}

#[test]
fn tags_follow_the_reference_grammar() {
    for ok in [
        "app",
        "app:1",
        "app:latest",
        "team/app",
        "team/sub/app:v1.2_3-rc",
        "my-app",
        "my__app",
        "my.app",
        "a---b",
        "localhost/app",
        "localhost:5000/app:1",
        "registry.example.com/team/app",
        "registry-1.example.com:443/app:x",
        "127.0.0.1:5000/app",
        "[::1]:5000/app:1",
        "MyRegistry/app",
        "app:_x",
        &format!("app:{}", "t".repeat(128)),
    ] {
        assert!(
            validate_tag(ok).is_ok(),
            "{ok} should be valid: {:?}",
            validate_tag(ok)
        );
    }
    for bad in [
        "",
        "App",
        "team/App",
        "app:",
        "app:-x",
        "app:.x",
        "app:a/b",
        "app@sha256:0123",
        "-app",
        "app-",
        "a..b",
        "a_.b",
        "a___b",
        "team//app",
        "/app",
        "app/",
        "reg:port/app",
        "-reg.com/app",
        "reg.com:/app",
        "has space",
        "app:ta g",
        &format!("app:{}", "t".repeat(129)),
        &"a".repeat(256),
    ] {
        assert!(validate_tag(bad).is_err(), "{bad:?} should be invalid");
    }
    let e = ImageBuild::new(BuildOptions::new().tag("Bad"))
        .request(V41)
        .expect_err("rejected locally");
    assert!(
        matches!(&e, Error::InvalidArgument(m) if m.contains("\"Bad\"")),
        "{e}"
    );
}

#[test]
fn container_limit_keys_are_exactly_four() {
    let l = ContainerLimits::from_pairs([
        ("memory", "1g"),
        ("memswap", "-1"),
        ("cpushares", "256"),
        ("cpusetcpus", "0-1"),
    ])
    .expect("valid");
    assert_eq!(
        l,
        ContainerLimits {
            memory: Some(1 << 30),
            memswap: Some(-1),
            cpushares: Some(256),
            cpusetcpus: Some("0-1".into()),
        }
    );
    for bad in [
        ("cpuquota", "1"),
        ("Memory", "1"),
        ("cpushares", "x"),
        ("memory", "lots"),
    ] {
        assert!(ContainerLimits::from_pairs([bad]).is_err(), "{bad:?}");
    }
}

#[test]
fn proxy_buildargs_do_not_override() {
    let o = BuildOptions::new()
        .buildarg("HTTP_PROXY", "mine")
        .with_proxy_buildargs([("HTTP_PROXY", "config"), ("NO_PROXY", "localhost")]);
    assert_eq!(o.buildargs["HTTP_PROXY"], "mine");
    assert_eq!(o.buildargs["NO_PROXY"], "localhost");
}
