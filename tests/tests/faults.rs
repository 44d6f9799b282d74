//! Fault injection: a stand-in daemon on a unix socket answers with the real daemon's
//! captured wire bytes (`core/testdata`), broken on purpose — cut off or reset mid-head,
//! mid-chunk, mid-frame, truncated JSON, a lying `Content-Length`, a slow-loris trickle,
//! silence, a refused upgrade, a 500 that is not JSON.
//!
//! Each case checks three things: the call fails with the right error category, it
//! fails quickly (`FAST` is a hang guard, not a performance bound), and the broken
//! connection is not reused: the next call on the same client reaches the real daemon
//! (`FirstThen(bad, Proxy(real socket))`) on a second connection.
//!
//! Cases already in `transport.rs`: garbage instead of HTTP, a chunked body cut off
//! by EOF, a silent daemon (head timeout), a stalled body (idle timeout).

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use berth::api::container_io::{ContainerAttach, ContainerLogs};
use berth::api::system::{Events, Version};
use berth::{ApiVersion, CallTimeout, Category, Docker};
use berth_core::stream::StreamKind;
use berth_tests::docker;
use berth_tests::fake::{
    Behaviour, FakeDaemon, captured, chunked_response, sized_response, split_capture,
};

const REAL: &str = "/var/run/docker.sock";
const FAST: Duration = Duration::from_secs(5);
const SHORT: Duration = Duration::from_millis(300);

fn real_socket() -> PathBuf {
    let p = PathBuf::from(REAL);
    assert!(
        p.exists(),
        "{REAL} missing: run tests/engine/provision.sh as root"
    );
    p
}

/// A fake daemon whose first connection misbehaves and whose later ones reach the
/// real daemon, and a client for it (API pinned: no `/_ping` before the call).
async fn faulty(bad: Behaviour) -> (FakeDaemon, Docker) {
    let _ = docker().await;
    let fake = FakeDaemon::start(Behaviour::FirstThen(
        Box::new(bad),
        Box::new(Behaviour::Proxy(real_socket())),
    ))
    .await;
    let d = Docker::builder(&fake.url())
        .api_version(ApiVersion::new(1, 41))
        .response_timeout(Some(SHORT))
        .idle_read_timeout(Some(SHORT))
        .build()
        .expect("client");
    (fake, d)
}

/// Runs `call`, which must fail with `category` within [`FAST`].
async fn fails_fast<T: std::fmt::Debug>(
    call: impl Future<Output = berth::Result<T>>,
    category: Category,
) -> berth::Error {
    let start = Instant::now();
    let r = tokio::time::timeout(FAST, call)
        .await
        .unwrap_or_else(|_| panic!("call hung for {FAST:?}"));
    let e = r.expect_err("the broken answer must fail the call");
    assert_eq!(e.category(), category, "{e:?}");
    assert!(start.elapsed() < FAST, "took {:?}", start.elapsed());
    e
}

/// Runs `call`, which must time out well within [`FAST`] (the client's timeouts are
/// [`SHORT`]) with a message that `says` which timeout it was.
async fn times_out<T: std::fmt::Debug>(call: impl Future<Output = berth::Result<T>>, says: &str) {
    let start = Instant::now();
    let e = fails_fast(call, Category::Timeout).await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(e.to_string().contains(says), "{e}");
}

/// The next call on the same client works, over a new connection to the real daemon.
async fn next_call_works(fake: &FakeDaemon, d: &Docker) {
    let v = tokio::time::timeout(FAST, d.version())
        .await
        .expect("the next call hung")
        .expect("the next call reaches the real daemon");
    assert!(v.api_version.is_some());
    assert_eq!(
        fake.accepted(),
        2,
        "the broken connection must be replaced by exactly one new one"
    );
}

fn head_len(raw: &[u8]) -> usize {
    raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4
}

fn logs(d: &Docker) -> impl Future<Output = berth::Result<berth::LogStream>> + '_ {
    let mut opts = ContainerLogs::new("berth-fault");
    opts.tty = Some(false);
    async move { d.logs(&opts).await }
}

// --- cut off or reset in the response head ---

#[tokio::test]
async fn eof_mid_header_is_a_protocol_error() {
    let ping = captured("ping.http");
    let (fake, d) = faulty(Behaviour::ReplyThenClose(ping[..40].to_vec())).await;
    fails_fast(d.version(), Category::Protocol).await;
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn reset_mid_header_is_a_transport_error() {
    let version = captured("version.http");
    let (fake, d) = faulty(Behaviour::ReplyThenReset(version[..60].to_vec())).await;
    let e = fails_fast(d.version(), Category::Transport).await;
    assert!(e.to_string().contains("/version"), "names the call: {e}");
    next_call_works(&fake, &d).await;
}

// --- cut off or reset inside a chunk ---

#[tokio::test]
async fn reset_mid_chunk_is_a_transport_error() {
    let info = captured("info.http");
    let cut = head_len(&info) + 500;
    let (fake, d) = faulty(Behaviour::ReplyThenReset(info[..cut].to_vec())).await;
    fails_fast(d.info(), Category::Transport).await;
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn eof_inside_a_chunk_size_line_is_a_protocol_error() {
    // Cut right after the first chunk's size digits: not even the chunk header is whole.
    let info = captured("info.http");
    let cut = head_len(&info) + 2;
    let (fake, d) = faulty(Behaviour::ReplyThenClose(info[..cut].to_vec())).await;
    fails_fast(d.info(), Category::Protocol).await;
    next_call_works(&fake, &d).await;
}

// --- multiplexed logs cut inside a frame ---

/// Reads a log stream to its end: the frames, and the error it ended with.
async fn drain_logs(mut s: berth::LogStream) -> (Vec<(StreamKind, Vec<u8>)>, Option<berth::Error>) {
    let mut frames = Vec::new();
    while let Some(item) = tokio::time::timeout(FAST, s.next_item())
        .await
        .expect("log stream hung")
    {
        match item {
            Ok(f) => frames.push((f.stream, f.data.to_vec())),
            Err(e) => return (frames, Some(e)),
        }
    }
    (frames, None)
}

/// The captured logs: `out\n` on stdout, `err\n` on stderr, then 100 000 `a`s.
fn logs_cut_in_big_frame() -> (String, Vec<u8>) {
    let (head, body) = split_capture(&captured("logs-mux.http"));
    assert_eq!(&body[..12], b"\x01\0\0\0\0\0\0\x04out\n", "capture changed");
    // Two 12-byte frames, then the big frame's header and 1000 of its payload bytes.
    (head, body[..24 + 8 + 1000].to_vec())
}

/// The captured `/version` answer, for a next call on a kept-alive connection.
fn good_version() -> Vec<u8> {
    let (head, body) = split_capture(&captured("version.http"));
    sized_response(&head, &body, body.len())
}

/// The next call works on the same connection: its HTTP framing was intact, so the
/// pool rightly kept it.
async fn next_call_reuses(fake: &FakeDaemon, d: &Docker) {
    let v = tokio::time::timeout(FAST, d.version())
        .await
        .expect("the next call hung")
        .expect("the next call is answered on the kept connection");
    assert!(v.api_version.is_some());
    assert_eq!(fake.accepted(), 1, "a healthy connection is reused");
}

#[tokio::test]
async fn logs_ending_cleanly_inside_a_frame_are_a_protocol_error() {
    // The HTTP body ends properly (last chunk sent) but a multiplexed frame is cut.
    let (head, body) = logs_cut_in_big_frame();
    let (fake, d) = faulty(Behaviour::Script(vec![
        chunked_response(&head, &body, 700),
        good_version(),
    ]))
    .await;
    let stream = logs(&d).await.expect("the head is fine");
    let (frames, err) = drain_logs(stream).await;
    assert_eq!(
        frames[..2],
        [
            (StreamKind::Stdout, b"out\n".to_vec()),
            (StreamKind::Stderr, b"err\n".to_vec())
        ]
    );
    let e = err.expect("a truncated frame ends the stream with an error");
    assert_eq!(e.category(), Category::Protocol, "{e:?}");
    assert!(e.to_string().contains("truncated"), "{e}");
    next_call_reuses(&fake, &d).await;
}

#[tokio::test]
async fn logs_cut_off_mid_frame_by_eof_are_a_protocol_error() {
    let raw = captured("logs-mux.http");
    let cut = head_len(&raw) + 600; // inside the third chunk, inside the big frame
    let (fake, d) = faulty(Behaviour::ReplyThenClose(raw[..cut].to_vec())).await;
    let stream = logs(&d).await.expect("the head is fine");
    let (frames, err) = drain_logs(stream).await;
    assert_eq!(frames[0], (StreamKind::Stdout, b"out\n".to_vec()));
    let e = err.expect("cut off");
    assert_eq!(e.category(), Category::Protocol, "{e:?}");
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn logs_reset_mid_frame_are_a_transport_error() {
    let raw = captured("logs-mux.http");
    let cut = head_len(&raw) + 600;
    let (fake, d) = faulty(Behaviour::ReplyThenReset(raw[..cut].to_vec())).await;
    let stream = logs(&d).await.expect("the head is fine");
    let (frames, err) = drain_logs(stream).await;
    assert!(frames.len() <= 2, "{frames:?}");
    let e = err.expect("reset");
    assert_eq!(e.category(), Category::Transport, "{e:?}");
    next_call_works(&fake, &d).await;
}

// --- truncated JSON ---

#[tokio::test]
async fn truncated_json_body_is_a_decode_error() {
    // Framing intact (Content-Length matches), the JSON itself cut in half. The
    // connection is healthy, so it is kept: the next call on it gets a good answer.
    let (head, body) = split_capture(&captured("version.http"));
    let half = &body[..body.len() / 2];
    let (fake, d) = faulty(Behaviour::Script(vec![
        sized_response(&head, half, half.len()),
        sized_response(&head, &body, body.len()),
    ]))
    .await;
    let e = fails_fast(d.version(), Category::Decode).await;
    assert!(e.to_string().contains("not JSON"), "{e}");
    d.version()
        .await
        .expect("the kept connection answers the next call");
    assert_eq!(fake.accepted(), 1);
}

#[tokio::test]
async fn json_stream_ending_inside_an_object_is_a_protocol_error() {
    let (head, body) = split_capture(&captured("events.http"));
    let first_end = body.iter().position(|&b| b == b'\n').expect("a line") + 1;
    let cut = first_end + 40; // the second event, cut after 40 bytes
    let (fake, d) = faulty(Behaviour::Script(vec![
        chunked_response(&head, &body[..cut], 64),
        good_version(),
    ]))
    .await;
    let mut events = d
        .events(&Events::default())
        .await
        .expect("the head is fine");
    let first = tokio::time::timeout(FAST, events.next_item())
        .await
        .expect("hung")
        .expect("an event")
        .expect("the first event is whole");
    assert!(first.action.is_some());
    let e = tokio::time::timeout(FAST, events.next_item())
        .await
        .expect("hung")
        .expect("an item")
        .expect_err("the second event is cut");
    assert_eq!(e.category(), Category::Protocol, "{e:?}");
    assert!(
        tokio::time::timeout(FAST, events.next_item())
            .await
            .expect("hung")
            .is_none(),
        "the stream ends after the error"
    );
    next_call_reuses(&fake, &d).await;
}

// --- Content-Length that disagrees with the body ---

#[tokio::test]
async fn content_length_shorter_than_the_body() {
    // The client reads only what Content-Length announces: cut JSON. The bytes left
    // over on the connection must not be read as the next response.
    let (head, body) = split_capture(&captured("version.http"));
    let (fake, d) = faulty(Behaviour::ReplyThenStall(sized_response(&head, &body, 10))).await;
    fails_fast(d.version(), Category::Decode).await;
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn content_length_longer_than_the_body_then_eof() {
    let (head, body) = split_capture(&captured("version.http"));
    let (fake, d) = faulty(Behaviour::ReplyThenClose(sized_response(
        &head,
        &body,
        body.len() + 100,
    )))
    .await;
    fails_fast(d.version(), Category::Protocol).await;
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn content_length_longer_than_the_body_then_silence() {
    let (head, body) = split_capture(&captured("version.http"));
    let (fake, d) = faulty(Behaviour::ReplyThenStall(sized_response(
        &head,
        &body,
        body.len() + 100,
    )))
    .await;
    let e = fails_fast(d.version(), Category::Timeout).await;
    assert!(e.is_timeout());
    next_call_works(&fake, &d).await;
}

// --- slow loris, silence ---

#[tokio::test]
async fn slow_loris_body_hits_the_idle_read_timeout() {
    // The head and a little body at once, then one byte per 700 ms: each gap is longer
    // than the 300 ms idle-read timeout.
    let info = captured("info.http");
    let at_once = head_len(&info) + 20;
    let (fake, d) = faulty(Behaviour::Trickle {
        bytes: info,
        at_once,
        every: Duration::from_millis(700),
    })
    .await;
    times_out(d.info(), "no data").await;
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn slow_loris_head_hits_the_response_head_timeout() {
    // A byte every 50 ms keeps any per-read timer happy; the whole head would take
    // ~14 s. The response-head timeout bounds the head as a whole.
    let (fake, d) = faulty(Behaviour::Trickle {
        bytes: captured("ping.http"),
        at_once: 0,
        every: Duration::from_millis(50),
    })
    .await;
    times_out(d.version(), "no response").await;
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn a_kept_connection_times_out_by_the_new_calls_deadline() {
    // A connection keeps its response-head timer from call to call, pushed forward.
    // A call with a long timeout, then one with the client's short timeout on the same
    // connection: the second must fail at its own (earlier) deadline, not the first's.
    let (fake, d) = faulty(Behaviour::ScriptThenStall(vec![good_version()])).await;
    let v = d
        .execute_with(
            &Version::default(),
            CallTimeout::Extended(Duration::from_secs(30)),
        )
        .await
        .expect("answered");
    assert!(v.api_version.is_some());
    times_out(d.version(), "no response").await;
    assert_eq!(
        fake.accepted(),
        1,
        "both calls went over the kept connection"
    );
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn daemon_that_never_answers_times_out_and_the_next_call_works() {
    let (fake, d) = faulty(Behaviour::Silent).await;
    let e = fails_fast(d.version(), Category::Timeout).await;
    assert!(e.is_timeout());
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn a_request_the_daemon_never_reads_times_out() {
    // A 4 MiB body fills the socket's buffers: the write itself waits, and the
    // response-head timeout must cover it.
    let (fake, d) = faulty(Behaviour::Silent).await;
    let create = berth::api::volumes::VolumeCreate::named(berth_tests::unique("berth-unread"))
        .label("big", "x".repeat(4 << 20));
    let e = fails_fast(d.volumes().create(&create), Category::Timeout).await;
    assert!(e.is_timeout());
    next_call_works(&fake, &d).await;
}

// --- refused upgrades ---

#[tokio::test]
async fn exec_start_answered_200_without_upgrade_is_a_protocol_error() {
    let refused = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n\
        Content-Type: application/vnd.docker.raw-stream\r\nContent-Length: 0\r\n\r\n"
        .to_vec();
    let (fake, d) = faulty(Behaviour::ReplyThenClose(refused)).await;
    let e = fails_fast(d.exec_start("0123abcd", false), Category::Protocol).await;
    assert!(e.to_string().contains("instead of upgrading"), "{e}");
    let heads = fake.request_heads();
    assert!(
        heads[0].contains("Upgrade: tcp") || heads[0].contains("upgrade: tcp"),
        "{heads:?}"
    );
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn attach_answered_400_is_a_bad_request_with_the_daemons_message() {
    let body = br#"{"message":"container berth-fault is not running"}"#;
    let mut refused = format!(
        "HTTP/1.1 400 Bad Request\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len() + 1
    )
    .into_bytes();
    refused.extend_from_slice(body);
    refused.push(b'\n');
    let (fake, d) = faulty(Behaviour::ReplyThenClose(refused)).await;
    let mut opts = ContainerAttach::new("berth-fault");
    opts.tty = Some(false);
    let e = fails_fast(d.attach(&opts), Category::BadRequest).await;
    assert_eq!(e.status(), Some(400));
    assert_eq!(
        e.daemon_message(),
        Some("container berth-fault is not running")
    );
    next_call_works(&fake, &d).await;
}

// --- error answers that are not JSON ---

#[tokio::test]
async fn status_500_with_a_plain_text_body_keeps_the_text() {
    let text = "runtime: out of memory: cannot allocate 4194304-byte block\n";
    let answer = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\r\n{text}",
        text.len()
    );
    let (head, body) = split_capture(&captured("info.http"));
    let (fake, d) = faulty(Behaviour::Script(vec![
        answer.into_bytes(),
        sized_response(&head, &body, body.len()),
    ]))
    .await;
    let e = fails_fast(d.info(), Category::Server).await;
    assert_eq!(e.status(), Some(500));
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("runtime: out of memory")),
        "{e:?}"
    );
    // A complete error answer leaves a healthy connection: it is reused.
    assert!(d.info().await.expect("next answer").id.is_some());
    assert_eq!(fake.accepted(), 1);
}

#[tokio::test]
async fn status_502_with_an_html_body_from_a_proxy() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let answer = format!(
        "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n{html}",
        html.len()
    );
    let (fake, d) = faulty(Behaviour::ReplyThenClose(answer.into_bytes())).await;
    let e = fails_fast(d.version(), Category::Api).await;
    assert_eq!(e.status(), Some(502));
    assert!(e.to_string().contains("502 Bad Gateway"), "{e}");
    next_call_works(&fake, &d).await;
}

// --- a scripted keep-alive connection that turns bad between calls ---

#[tokio::test]
async fn garbage_after_a_good_answer_on_a_kept_alive_connection() {
    // First request answered properly on a keep-alive connection, the second with
    // garbage: the second call fails, the third gets a fresh connection.
    let (fake, d) = faulty(Behaviour::Script(vec![
        good_version(),
        b"HTTP/1.1 2OO OK\r\n\r\n".to_vec(),
    ]))
    .await;
    d.version().await.expect("first answer is good");
    fails_fast(d.version(), Category::Protocol).await;
    next_call_works(&fake, &d).await;
}

// --- berth's own HTTP/1 connection: what a pooled connection meets between calls ---

#[tokio::test]
async fn informational_answer_before_the_real_one_is_skipped() {
    let answer = [&b"HTTP/1.1 100 Continue\r\n\r\n"[..], &good_version()].concat();
    let (fake, d) = faulty(Behaviour::Script(vec![answer, good_version()])).await;
    let v = tokio::time::timeout(FAST, d.version())
        .await
        .expect("hung")
        .expect("the 100 is skipped, the 200 read");
    assert!(v.api_version.is_some());
    next_call_reuses(&fake, &d).await;
}

#[tokio::test]
async fn a_body_that_came_with_its_head_frees_the_connection_even_unread() {
    // A whole answer in the first read (head and Content-Length body): the connection
    // is back in the pool before the body is looked at, so dropping the log stream
    // unread costs no connection. A body still arriving is another matter: see the
    // next test.
    let (head, body) = split_capture(&captured("logs-mux.http"));
    let small_logs = sized_response(&head, &body[..24], 24);
    let (fake, d) = faulty(Behaviour::Script(vec![small_logs, good_version()])).await;
    let stream = tokio::time::timeout(FAST, logs(&d))
        .await
        .expect("hung")
        .expect("logs");
    drop(stream);
    next_call_reuses(&fake, &d).await;
}

#[tokio::test]
async fn a_body_dropped_while_still_arriving_closes_its_connection() {
    // Head and the first frames now, the rest of the announced body never: dropping
    // the stream must not hand the connection back (the rest would be read as the
    // next answer).
    let (head, body) = split_capture(&captured("logs-mux.http"));
    let partial = sized_response(&head, &body[..24], body.len());
    let (fake, d) = faulty(Behaviour::ReplyThenStall(partial)).await;
    let mut stream = tokio::time::timeout(FAST, logs(&d))
        .await
        .expect("hung")
        .expect("logs");
    let first = tokio::time::timeout(FAST, stream.next_item())
        .await
        .expect("hung")
        .expect("a frame")
        .expect("the first frame is whole");
    assert_eq!(&first.data[..], b"out\n");
    drop(stream);
    next_call_works(&fake, &d).await;
}

#[tokio::test]
async fn a_request_body_retried_on_a_fresh_connection_goes_once() {
    // The first connection answers one call, then takes the next request (which has a
    // JSON body) and closes without answering, so the request is sent again on a fresh
    // connection (to the real daemon). The body must go once: a second copy would be
    // read as the start of another request, and the daemon's 400 for it would be the
    // next call's answer.
    let (fake, d) = faulty(Behaviour::ScriptThenDrop(vec![good_version()])).await;
    d.version().await.expect("first answer is good");
    let name = berth_tests::unique("berth-fault-retry");
    let created = tokio::time::timeout(
        FAST,
        d.volumes().create(
            &berth::api::volumes::VolumeCreate::named(name.clone())
                .label(berth_tests::TEST_LABEL, "1"),
        ),
    )
    .await
    .expect("hung")
    .expect("created on the fresh connection");
    assert_eq!(created.name(), name);
    let again = d
        .volumes()
        .get(&name)
        .await
        .expect("the next call is in step");
    assert_eq!(again.name(), name);
    again.remove(false).await.expect("remove");
    assert_eq!(fake.accepted(), 2, "one fresh connection");
}

#[tokio::test]
async fn daemon_closing_an_idle_connection_is_retried_on_a_fresh_one() {
    // The script answers once, then closes the kept-alive connection. Whether berth
    // sees the close before reusing the connection (the pause) or only when its
    // request meets EOF (no pause), the call succeeds on a new connection.
    for pause in [Some(Duration::from_millis(100)), None] {
        let (fake, d) = faulty(Behaviour::Script(vec![good_version()])).await;
        d.version().await.expect("first answer is good");
        if let Some(p) = pause {
            tokio::time::sleep(p).await;
        }
        next_call_works(&fake, &d).await;
    }
}
