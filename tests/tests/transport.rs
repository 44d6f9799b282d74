//! The transport: pooling, timeouts, cancellation and bad input, against the real daemon
//! and (where the daemon cannot misbehave) a stand-in fed captured wire bytes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use berth::Category;
use berth::api::system::{Events, Ping};
use berth::core::endpoint::Endpoint;
use berth::core::request::RequestHead;
use berth_tests::docker;
use berth_tests::fake::{Behaviour, FakeDaemon, captured};

const REAL: &str = "/var/run/docker.sock";

fn real_socket() -> PathBuf {
    let p = PathBuf::from(REAL);
    assert!(
        p.exists(),
        "{REAL} missing: run tests/engine/provision.sh as root"
    );
    p
}

/// The captured `/info` response cut off after `keep` bytes of its body.
fn truncated_info(keep: usize) -> Vec<u8> {
    let full = captured("info.http");
    let head_end = full
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head")
        + 4;
    full[..head_end + keep].to_vec()
}

#[tokio::test]
async fn hundred_sequential_requests_use_one_connection() {
    let _ = docker().await;
    let proxy = FakeDaemon::start(Behaviour::Proxy(real_socket())).await;
    let d = berth::Docker::connect(&proxy.url()).expect("client");
    for _ in 0..100 {
        d.version().await.expect("version through the proxy");
    }
    assert_eq!(
        proxy.accepted(),
        1,
        "keep-alive: one connection for 100 calls"
    );
}

#[tokio::test]
async fn an_idle_connection_is_not_reused_past_the_pools_idle_timeout() {
    let _ = docker().await;
    let proxy = FakeDaemon::start(Behaviour::Proxy(real_socket())).await;
    let idle_timeout = Duration::from_millis(300);
    let d = berth::Docker::builder(&proxy.url())
        .pool(berth::transport::PoolOptions {
            idle_timeout,
            ..Default::default()
        })
        .build()
        .expect("client");
    for _ in 0..3 {
        d.ping().await.expect("ping");
    }
    assert_eq!(proxy.accepted(), 1, "kept while used");
    tokio::time::sleep(idle_timeout + Duration::from_millis(200)).await;
    d.ping().await.expect("ping after the idle timeout");
    assert_eq!(proxy.accepted(), 2, "the expired connection is replaced");
    d.ping().await.expect("ping");
    assert_eq!(proxy.accepted(), 2, "the new one is kept");
}

#[tokio::test]
async fn dropped_stream_is_not_returned_to_the_pool() {
    let _ = docker().await;
    let proxy = FakeDaemon::start(Behaviour::Proxy(real_socket())).await;
    let d = berth::Docker::connect(&proxy.url()).expect("client");
    d.ping().await.expect("ping");
    let stream = d.events(&Events::default()).await.expect("events");
    // An endless stream holds its connection; a call meanwhile opens a second one.
    d.ping().await.expect("ping while streaming");
    assert_eq!(proxy.accepted(), 2);
    drop(stream);
    // The cancelled stream's connection must not be reused: the idle one is.
    for _ in 0..5 {
        d.ping().await.expect("ping after cancel");
    }
    assert_eq!(proxy.accepted(), 2);
}

#[tokio::test]
async fn missing_socket_names_the_address_and_what_to_do() {
    let d = berth::Docker::connect("unix:///nonexistent/berth/docker.sock").expect("client");
    let e = d.ping().await.expect_err("no daemon there");
    assert_eq!(e.category(), Category::Transport, "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("unix:///nonexistent/berth/docker.sock"),
        "{msg}"
    );
    assert!(
        msg.contains("dockerd") && msg.contains("DOCKER_HOST"),
        "{msg}"
    );
}

#[tokio::test]
async fn refused_tcp_port_is_a_transport_error() {
    let d = berth::Docker::connect("tcp://127.0.0.1:1").expect("client");
    let e = d.version().await.expect_err("nothing listens on port 1");
    assert_eq!(e.category(), Category::Transport, "{e:?}");
    assert!(e.to_string().contains("tcp://127.0.0.1:1"), "{e}");
}

#[test]
fn malformed_urls_are_invalid_arguments() {
    for url in [
        "tcp://host-without-port",
        "ftp://example.com:21",
        "tcp://user:secret@host:2375",
        "tcp://host:2375?x=1",
        "ssh://host/path",
        "tcp://host:notaport",
    ] {
        let e = berth::Docker::connect(url).expect_err(url);
        assert_eq!(e.category(), Category::InvalidArgument, "{url}: {e}");
    }
    let e = berth::Docker::connect("npipe:////./pipe/docker_engine").expect_err("npipe");
    assert!(e.to_string().contains("not supported"), "{e}");
}

#[test]
fn bad_tls_files_are_reported_with_the_file() {
    let dir = berth_tests::fake::TempDir::new("badtls");
    let garbage = dir.0.join("ca.pem");
    std::fs::write(&garbage, b"not a certificate").expect("write");
    let settings = berth::transport::TlsSettings {
        ca: Some(garbage.clone()),
        client_cert: None,
        verify: true,
        server_name: None,
    };
    let e = berth::Docker::builder("tcp://127.0.0.1:2376")
        .tls(settings)
        .build()
        .expect_err("garbage CA");
    assert_eq!(e.category(), Category::InvalidArgument);
    assert!(e.to_string().contains("ca.pem"), "{e}");

    let missing = berth::transport::TlsSettings {
        ca: None,
        client_cert: Some((dir.0.join("nope-cert.pem"), dir.0.join("nope-key.pem"))),
        verify: false,
        server_name: None,
    };
    let e = berth::Docker::builder("tcp://127.0.0.1:2376")
        .tls(missing)
        .build()
        .expect_err("missing cert");
    assert!(e.to_string().contains("nope-cert.pem"), "{e}");
}

#[tokio::test]
async fn garbage_from_the_socket_is_a_protocol_error() {
    let fake = FakeDaemon::start(Behaviour::ReplyThenClose(
        b"SSH-2.0-OpenSSH_9.2\r\nthis is not http\r\n\r\n".to_vec(),
    ))
    .await;
    let d = berth::Docker::connect(&fake.url()).expect("client");
    let e = d.ping().await.expect_err("garbage");
    assert_eq!(e.category(), Category::Protocol, "{e:?}");
}

#[tokio::test]
async fn truncated_chunked_body_is_a_protocol_error_and_next_call_works() {
    let _ = docker().await;
    let fake = FakeDaemon::start(Behaviour::FirstThen(
        Box::new(Behaviour::ReplyThenClose(truncated_info(300))),
        Box::new(Behaviour::Proxy(real_socket())),
    ))
    .await;
    let d = berth::Docker::builder(&fake.url())
        .api_version(berth::ApiVersion::new(1, 41))
        .build()
        .expect("client");
    let e = d.info().await.expect_err("truncated body");
    assert_eq!(e.category(), Category::Protocol, "{e:?}");
    // The broken connection was discarded; a new one reaches the real daemon.
    assert!(d.info().await.expect("second call").id.is_some());
    assert_eq!(fake.accepted(), 2);
}

#[tokio::test]
async fn silent_daemon_hits_the_response_head_timeout() {
    let fake = FakeDaemon::start(Behaviour::Silent).await;
    let d = berth::Docker::builder(&fake.url())
        .response_timeout(Some(Duration::from_millis(300)))
        .build()
        .expect("client");
    let start = Instant::now();
    let e = d.ping().await.expect_err("no answer");
    assert!(e.is_timeout(), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(e.to_string().contains("/_ping"), "{e}");
}

#[tokio::test]
async fn stalled_body_hits_the_idle_read_timeout() {
    let fake = FakeDaemon::start(Behaviour::ReplyThenStall(truncated_info(300))).await;
    let d = berth::Docker::builder(&fake.url())
        .api_version(berth::ApiVersion::new(1, 41))
        .idle_read_timeout(Some(Duration::from_millis(300)))
        .build()
        .expect("client");
    let start = Instant::now();
    let e = d.info().await.expect_err("stalled");
    assert!(e.is_timeout(), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_upload_the_daemon_stops_reading_times_out() {
    // Accepts, reads nothing: once the socket buffers are full the upload stalls.
    let fake = FakeDaemon::start(Behaviour::Silent).await;
    let d = berth::Docker::builder(&fake.url())
        .api_version(berth::ApiVersion::new(1, 41))
        .response_timeout(Some(Duration::from_millis(500)))
        .build()
        .expect("client");
    let chunk = bytes::Bytes::from(vec![0u8; 1 << 20]);
    let body =
        futures_util::stream::iter((0..64).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let start = Instant::now();
    let e = d
        .images()
        .load(Box::pin(body))
        .await
        .expect_err("a stalled upload");
    assert!(e.is_timeout(), "{e:?}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn streams_have_no_idle_timeout() {
    let _ = docker().await;
    let d = berth::Docker::builder(&format!("unix://{REAL}"))
        .idle_read_timeout(Some(Duration::from_millis(200)))
        .build()
        .expect("client");
    // A label nothing carries: other tests' events (they run in parallel on the same
    // daemon) do not arrive, so the stream stays silent.
    let quiet = Events {
        filters: berth::core::request::Filters::new().with(
            "label",
            format!("berth.test.case={}", berth_tests::unique("silent")),
        ),
        ..Events::default()
    };
    let mut events = d.events(&quiet).await.expect("events");
    // Nothing happens on this stream for a while: it must stay open.
    let r = tokio::time::timeout(Duration::from_millis(800), events.next_item()).await;
    assert!(r.is_err(), "stream ended or failed early: {r:?}");
}

#[tokio::test]
async fn dropping_a_call_cancels_it() {
    let fake = FakeDaemon::start(Behaviour::Silent).await;
    let d = berth::Docker::builder(&fake.url())
        .response_timeout(None)
        .build()
        .expect("client");
    let r = tokio::time::timeout(Duration::from_millis(200), d.ping()).await;
    assert!(r.is_err(), "the call is still waiting when dropped");
}

/// Ping with its request head edited (a header of its own, as endpoints that send
/// `X-Registry-Auth` do; a byte HTTP does not allow).
struct EditedPing(fn(RequestHead) -> RequestHead);

impl Endpoint for EditedPing {
    type Output = berth::core::api::system::PingInfo;

    fn request(&self, api: berth::ApiVersion) -> berth::core::Result<RequestHead> {
        Ok(self.0(Ping.request(api)?))
    }

    fn parse(&self, r: berth::core::endpoint::Response<'_>) -> berth::core::Result<Self::Output> {
        Ping.parse(r)
    }
}

fn with_own_header(head: RequestHead) -> RequestHead {
    head.header("X-Berth-Test", "request")
}

fn with_bad_path(mut head: RequestHead) -> RequestHead {
    head.path.push_str("?x=a b");
    head
}

#[tokio::test]
async fn client_headers_go_with_every_request_and_a_requests_own_header_wins() {
    let ping = captured("ping.http");
    let fake = FakeDaemon::start(Behaviour::Script(vec![ping.clone(), ping])).await;
    let d = berth::Docker::builder(&fake.url())
        .api_version(berth::ApiVersion::new(1, 41))
        .header(
            http::HeaderName::from_static("x-berth-test"),
            http::HeaderValue::from_static("client"),
        )
        .build()
        .expect("client");
    d.ping().await.expect("plain ping");
    d.execute(&EditedPing(with_own_header))
        .await
        .expect("ping with its own header");
    let heads: Vec<String> = fake
        .request_heads()
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(heads[0].contains("x-berth-test: client"), "{}", heads[0]);
    assert!(heads[0].contains("user-agent: berth/"), "{}", heads[0]);
    assert!(heads[1].contains("x-berth-test: request"), "{}", heads[1]);
    assert!(!heads[1].contains("x-berth-test: client"), "{}", heads[1]);
    assert!(heads[1].contains("user-agent: berth/"), "{}", heads[1]);
    assert_eq!(fake.accepted(), 1);
}

#[tokio::test]
async fn a_request_that_cannot_be_written_fails_unsent_and_the_connection_stays() {
    let ping = captured("ping.http");
    let fake = FakeDaemon::start(Behaviour::Script(vec![ping.clone(), ping])).await;
    let d = berth::Docker::builder(&fake.url())
        .api_version(berth::ApiVersion::new(1, 41))
        .build()
        .expect("client");
    d.ping().await.expect("first ping");
    let e = d
        .execute(&EditedPing(with_bad_path))
        .await
        .expect_err("a space in the path");
    assert_eq!(e.category(), Category::InvalidArgument, "{e}");
    d.ping().await.expect("the kept connection still works");
    assert_eq!(
        fake.request_heads().len(),
        2,
        "the bad request never went out"
    );
    assert_eq!(fake.accepted(), 1, "one connection, returned to the pool");
}

#[tokio::test]
async fn a_call_dropped_before_it_ran_leaves_its_idle_connection_in_the_pool() {
    use berth::transport::{
        HttpTransport, OutgoingBody, PoolOptions, Target, Timeouts, Transport, WireRequest,
    };
    let ping = captured("ping.http");
    let fake = FakeDaemon::start(Behaviour::Script(vec![ping.clone(), ping])).await;
    let path = fake.url().trim_start_matches("unix://").to_owned();
    let t = HttpTransport::new(
        Target::Unix(path),
        "",
        Timeouts::default(),
        PoolOptions::default(),
    )
    .expect("transport");
    let ping = || WireRequest {
        method: http::Method::GET,
        path: "/_ping".into(),
        headers: http::HeaderMap::new(),
        body: OutgoingBody::Empty,
        head_timeout: None,
        idle_timeout: None,
    };
    let body = |res: berth::transport::WireResponse| res.body.collect_limited(1024);
    let first = t.send(ping()).await.expect("first ping");
    assert_eq!(&body(first).await.expect("body")[..], b"OK");
    // Made (the idle connection is taken for it) and dropped before its first poll.
    drop(t.send(ping()));
    let second = t.send(ping()).await.expect("second ping");
    assert_eq!(&body(second).await.expect("body")[..], b"OK");
    assert_eq!(
        fake.accepted(),
        1,
        "the unpolled call gave its connection back"
    );
    assert_eq!(
        fake.request_heads().len(),
        2,
        "the dropped call sent nothing"
    );
}
