//! System area against the real daemon: ping, version, info, df, events, negotiation.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use berth::api::system::{Events, Timestamp};
use berth::core::request::Filters;
use berth_tests::fake::{Behaviour, FakeDaemon, RecordingProxy, captured};
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};
use futures_util::StreamExt;

/// dockerd runs one disk-usage operation at a time and answers a concurrent one with 500
/// "a disk usage operation is already running": the tests that call df take turns.
static DF_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn ping_reports_api_version_and_os() {
    let d = docker().await;
    let p = d.ping().await.expect("ping");
    let server_api = docker_cli(&["version", "--format", "{{.Server.APIVersion}}"]);
    assert_eq!(
        p.api_version.expect("API-Version header").to_string(),
        server_api
    );
    assert_eq!(p.os_type.as_deref(), Some("linux"));
}

#[tokio::test]
async fn negotiated_version_matches_daemon_clamped() {
    let d = docker().await;
    let server: berth::ApiVersion = docker_cli(&["version", "--format", "{{.Server.APIVersion}}"])
        .parse()
        .expect("api version");
    let v = d.api_version().await.expect("negotiation");
    assert_eq!(v, server.min(berth::ApiVersion::MAX));
    // Negotiated once, then reused.
    assert_eq!(d.api_version().await.expect("cached"), v);
}

#[tokio::test]
async fn version_matches_cli() {
    let d = docker().await;
    let v = d.version().await.expect("version");
    assert_eq!(
        v.version.as_deref(),
        Some(docker_cli(&["version", "--format", "{{.Server.Version}}"]).as_str())
    );
    assert_eq!(v.attrs["Os"], "linux");
    assert!(v.unread().is_empty(), "unread fields: {:?}", v.unread());
}

#[tokio::test]
async fn info_matches_cli() {
    let d = docker().await;
    let i = d.info().await.expect("info");
    assert_eq!(
        i.id.as_deref(),
        Some(docker_cli(&["info", "--format", "{{.ID}}"]).as_str())
    );
    assert_eq!(
        i.docker_root_dir.as_deref(),
        Some(docker_cli(&["info", "--format", "{{.DockerRootDir}}"]).as_str())
    );
    assert!(i.images.unwrap_or(0) >= 1, "busybox:berth-test is there");
}

#[tokio::test]
async fn df_lists_the_test_image() {
    let d = docker().await;
    let df = {
        let _turn = DF_TURN.lock().await;
        d.df().await.expect("df")
    };
    let images = df.images.as_ref().expect("images (API < 1.52 shape)");
    assert!(
        images
            .iter()
            .any(|i| i.repo_tags.iter().any(|t| t == "busybox:berth-test")),
        "df lists busybox:berth-test: {:?}",
        df.attrs["Images"]
    );
    assert!(df.layers_size.expect("LayersSize") > 0);
}

#[tokio::test]
async fn events_replay_and_end_at_until() {
    let d = docker().await;
    let since = berth::timestamp(SystemTime::now() - Duration::from_secs(1)).expect("ts");
    let name = unique("events");
    let label = format!("{TEST_LABEL}=1");
    let id = docker_cli(&[
        "create",
        "--label",
        &label,
        "--name",
        &name,
        "busybox:berth-test",
        "true",
    ]);
    docker_cli(&["rm", &id]);
    let until = berth::timestamp(SystemTime::now() + Duration::from_secs(1)).expect("ts");

    let opts = Events {
        since: Some(since),
        until: Some(until),
        filters: Filters::new()
            .with("type", "container")
            .with("container", id.as_str()),
    };
    let stream = d.events(&opts).await.expect("events");
    // The stream must end by itself at `until` (bounded by a generous test timeout).
    let items: Vec<_> = tokio::time::timeout(Duration::from_secs(30), stream.collect())
        .await
        .expect("event stream ended at until");
    let actions: Vec<String> = items
        .into_iter()
        .map(|e| e.expect("event decodes").action.clone().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["create", "destroy"], "events for {id}");
}

#[tokio::test]
async fn events_stream_live_events_with_typed_actor() {
    let d = docker().await;
    let name = unique("live");
    let opts = Events {
        filters: Filters::new()
            .with("type", "container")
            .with("label", format!("{TEST_LABEL}.live={name}")),
        ..Events::default()
    };
    let mut stream = d.events(&opts).await.expect("events");
    let label = format!("{TEST_LABEL}.live={name}");
    let id = docker_cli(&[
        "create",
        "--label",
        &label,
        "--label",
        "berth.test=1",
        "busybox:berth-test",
        "true",
    ]);
    let ev = tokio::time::timeout(Duration::from_secs(30), stream.next())
        .await
        .expect("an event arrives")
        .expect("stream open")
        .expect("decodes");
    docker_cli(&["rm", &id]);
    assert_eq!(ev.action.as_deref(), Some("create"));
    let actor = ev.actor.as_ref().expect("actor");
    assert_eq!(actor.id.as_deref(), Some(id.as_str()));
    assert_eq!(
        actor
            .attributes
            .as_ref()
            .and_then(|a| a.get(&format!("{TEST_LABEL}.live")))
            .map(String::as_str),
        Some(name.as_str())
    );
}

#[tokio::test]
async fn events_until_before_since_is_rejected_locally() {
    let d = docker().await;
    let opts = Events {
        since: Some(Timestamp::from_unix(2_000_000_000)),
        until: Some(Timestamp::from_unix(1_000_000_000)),
        ..Events::default()
    };
    let e = d.events(&opts).await.expect_err("until < since");
    assert_eq!(e.category(), berth::Category::InvalidArgument);
}

#[tokio::test]
async fn pinned_old_version_is_used_on_the_wire() {
    let d = berth::Docker::builder("unix:///var/run/docker.sock")
        .api_version(berth::ApiVersion::new(1, 24))
        .build()
        .expect("client");
    assert_eq!(
        d.api_version().await.expect("pinned"),
        berth::ApiVersion::new(1, 24)
    );
    // df needs 1.25: refused locally, naming both versions.
    let e = d.df().await.expect_err("df needs 1.25");
    let msg = e.to_string();
    assert!(msg.contains("1.25") && msg.contains("1.24"), "{msg}");
    // The daemon still answers info at 1.24.
    assert!(d.info().await.expect("info at 1.24").id.is_some());
}

#[test]
fn pinned_version_below_the_minimum_is_refused_at_build() {
    // docker-py's InvalidVersion: nothing is sent for a version berth cannot speak.
    let below = berth::ApiVersion::new(1, 23);
    let e = berth::Docker::builder("unix:///var/run/docker.sock")
        .api_version(below)
        .build()
        .expect_err("1.23 < MIN");
    assert_eq!(e.category(), berth::Category::InvalidArgument);
    let msg = e.to_string();
    assert!(msg.contains("1.23") && msg.contains("1.24"), "{msg}");
    // From the environment too, and the blocking client likewise.
    let e = berth::DockerBuilder::from_vars(
        |k| (k == "DOCKER_API_VERSION").then(|| "1.12".to_string()),
        None,
    )
    .expect("builder")
    .build()
    .expect_err("1.12 < MIN");
    assert_eq!(e.category(), berth::Category::InvalidArgument);
    assert!(e.to_string().contains("1.12"), "{e}");
    assert!(
        berth::blocking::Docker::from_builder(
            berth::DockerBuilder::new("unix:///var/run/docker.sock").api_version(below)
        )
        .is_err()
    );
    // The minimum itself builds (used on the wire: the test above).
    assert!(
        berth::Docker::builder("unix:///var/run/docker.sock")
            .api_version(berth::ApiVersion::MIN)
            .build()
            .is_ok()
    );
}

#[test]
fn blocking_client_does_the_same() {
    let d = berth::blocking::Docker::from_env().expect("client");
    let v = d.version().expect("version");
    assert!(v.version.is_some());
    assert!(d.info().expect("info").id.is_some());
    let df = {
        let _turn = DF_TURN.blocking_lock();
        d.df().expect("df")
    };
    assert!(df.images.is_some());
    let now = berth::timestamp(SystemTime::now()).expect("now");
    let opts = Events {
        since: Some(Timestamp::from_unix(now.unix_secs() - 3600)),
        until: Some(now),
        filters: Filters::new().with("type", "container"),
    };
    for ev in d.events(&opts).expect("events") {
        let ev = ev.expect("event decodes");
        assert!(ev.attrs.get("Type").is_some());
    }
}

/// The request lines (`GET /v1.41/info`) of what the proxy's clients sent, in order.
fn request_lines(proxy: &RecordingProxy) -> Vec<String> {
    String::from_utf8_lossy(&proxy.sent().concat())
        .split("\r\n")
        .filter_map(|l| l.strip_suffix(" HTTP/1.1"))
        .map(str::to_owned)
        .collect()
}

/// The first line of each request head the fake daemon received.
fn first_lines(fake: &FakeDaemon) -> Vec<String> {
    fake.request_heads()
        .iter()
        .map(|h| h.lines().next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn negotiated_version_is_used_on_the_wire() {
    // Through a recording proxy to the real daemon: negotiation asks the unversioned
    // `/_ping` once, and every later request carries the version it answered.
    let proxy = RecordingProxy::start(PathBuf::from("/var/run/docker.sock")).await;
    let d = berth::Docker::builder(&proxy.url())
        .build()
        .expect("client");
    let server = docker_cli(&["version", "--format", "{{.Server.APIVersion}}"]);
    let negotiated = berth::ApiVersion::MAX.min(server.parse().expect("api version"));
    assert!(d.info().await.expect("info").id.is_some());
    assert!(d.version().await.expect("version").version.is_some());
    assert_eq!(d.api_version().await.expect("negotiated"), negotiated);
    assert_eq!(
        request_lines(&proxy),
        [
            "GET /_ping".to_owned(),
            format!("GET /v{negotiated}/info"),
            format!("GET /v{negotiated}/version"),
        ]
    );
}

/// The captured 20.10 `/_ping` answer with its `Api-Version` header set to `api`
/// (`None`: no such header, as from a daemon before API 1.25).
fn ping_answering(api: Option<&str>) -> Vec<u8> {
    let ping = String::from_utf8(captured("ping.http")).expect("ASCII capture");
    let edited = match api {
        Some(v) => ping.replace("Api-Version: 1.41\r\n", &format!("Api-Version: {v}\r\n")),
        None => ping.replace("Api-Version: 1.41\r\n", ""),
    };
    assert_ne!(edited, ping, "capture changed");
    edited.into_bytes()
}

#[tokio::test]
async fn an_older_daemons_ping_version_is_used_for_later_requests() {
    let fake = FakeDaemon::start(Behaviour::Script(vec![
        ping_answering(Some("1.24")),
        captured("info.http"),
    ]))
    .await;
    let d = berth::Docker::builder(&fake.url()).build().expect("client");
    assert!(d.info().await.expect("info").id.is_some());
    assert_eq!(
        d.api_version().await.expect("negotiated"),
        berth::ApiVersion::new(1, 24)
    );
    // df needs 1.25: refused before anything is sent.
    let e = d.df().await.expect_err("df needs 1.25");
    assert_eq!(e.category(), berth::Category::UnsupportedApiVersion, "{e}");
    let lines = first_lines(&fake);
    assert_eq!(
        lines,
        ["GET /_ping HTTP/1.1", "GET /v1.24/info HTTP/1.1"],
        "{lines:?}"
    );
}

#[tokio::test]
async fn without_a_ping_header_the_version_comes_from_unversioned_version() {
    // The captured `/version`, as from a daemon speaking 1.30 (same length: the
    // captured Content-Length still holds).
    let version = String::from_utf8(captured("version.http"))
        .expect("UTF-8 capture")
        .replace(r#""ApiVersion":"1.41""#, r#""ApiVersion":"1.30""#);
    assert!(
        version.contains(r#""ApiVersion":"1.30""#),
        "capture changed"
    );
    let fake = FakeDaemon::start(Behaviour::Script(vec![
        ping_answering(None),
        version.into_bytes(),
        captured("info.http"),
    ]))
    .await;
    let d = berth::Docker::builder(&fake.url()).build().expect("client");
    assert!(d.info().await.expect("info").id.is_some());
    assert_eq!(
        d.api_version().await.expect("negotiated"),
        berth::ApiVersion::new(1, 30)
    );
    let lines = first_lines(&fake);
    assert_eq!(
        lines,
        [
            "GET /_ping HTTP/1.1",
            "GET /version HTTP/1.1",
            "GET /v1.30/info HTTP/1.1"
        ],
        "{lines:?}"
    );
}
