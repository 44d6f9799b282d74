//! The decoders against bodies captured from a real daemon (`core/testdata/`, see its
//! README), fed whole, as the daemon chunked them, and split everywhere.

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::error::Error;

const PING: &[u8] = include_bytes!("../../testdata/ping.http");
const VERSION: &[u8] = include_bytes!("../../testdata/version.http");
const INFO: &[u8] = include_bytes!("../../testdata/info.http");
const EVENTS: &[u8] = include_bytes!("../../testdata/events.http");
const LOGS_MUX: &[u8] = include_bytes!("../../testdata/logs-mux.http");
const LOGS_TTY: &[u8] = include_bytes!("../../testdata/logs-tty.http");
const PULL_ERROR: &[u8] = include_bytes!("../../testdata/pull-error.http");

/// What the capture containers ran: `sh -c 'echo out; echo err >&2; head -c 100000
/// /dev/zero | tr "\0" a; echo; echo done'`.
fn expected_stdout() -> Vec<u8> {
    [&b"out\n"[..], &[b'a'; 100_000], b"\ndone\n"].concat()
}

/// The same through a TTY: one stream, `\n` turned into `\r\n`.
fn expected_tty() -> Vec<u8> {
    [&b"out\r\nerr\r\n"[..], &[b'a'; 100_000], b"\r\ndone\r\n"].concat()
}

const BUILD_ERROR: &str = "The command '/bin/sh -c exit 3' returned a non-zero code: 3";

// --- a test-only reading of the captured HTTP responses ----------------------------

/// One captured response: its head, and its body as the daemon chunked it.
#[derive(Debug)]
struct Capture {
    status: u16,
    headers: Vec<(String, String)>,
    chunks: Vec<Vec<u8>>,
}

impl Capture {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

/// Splits a captured response into head and body and de-chunks the body. Strict: the
/// file must hold exactly one complete response.
fn parse_capture(raw: &[u8]) -> Capture {
    let split = find(raw, b"\r\n\r\n").expect("head ends with an empty line");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII head");
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("HTTP/1.1 <status> <reason>");
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("name: value");
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut capture = Capture {
        status,
        headers,
        chunks: Vec::new(),
    };
    if capture
        .header("Transfer-Encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
    {
        capture.chunks = dechunk(rest);
    } else {
        let len: usize = capture
            .header("Content-Length")
            .and_then(|l| l.parse().ok())
            .expect("chunked or Content-Length");
        assert_eq!(rest.len(), len, "body has its Content-Length");
        capture.chunks = vec![rest.to_vec()];
    }
    capture
}

/// The de-chunked body of a captured 200 response (for tests elsewhere in the crate).
pub(crate) fn capture_body(raw: &[u8]) -> Vec<u8> {
    let capture = parse_capture(raw);
    assert_eq!(capture.status, 200, "a captured 200 answer");
    capture.body()
}

/// The chunks of a chunked body (strict: an independent reading for the codec tests).
pub(crate) fn dechunk(mut rest: &[u8]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    loop {
        let eol = find(rest, b"\r\n").expect("chunk size line");
        let line = std::str::from_utf8(&rest[..eol]).expect("ASCII size line");
        let hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(hex, 16).expect("hex chunk size");
        rest = &rest[eol + 2..];
        if size == 0 {
            assert_eq!(rest, b"\r\n", "no trailers, nothing after the last chunk");
            return chunks;
        }
        chunks.push(rest[..size].to_vec());
        assert_eq!(&rest[size..size + 2], b"\r\n", "chunk data ends with CRLF");
        rest = &rest[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// --- driving a decoder -------------------------------------------------------------

/// What one pull did.
enum Pulled {
    Item,
    NeedMore,
    /// A malformed-input error: the decoder is failed from here on.
    Failed,
}

fn pull<T>(r: Result<Option<T>>, out: &mut Vec<Result<T>>) -> Pulled {
    match r {
        Ok(Some(item)) => {
            out.push(Ok(item));
            Pulled::Item
        }
        Ok(None) => Pulled::NeedMore,
        Err(e) => {
            let daemons = matches!(e, Error::Stream { .. });
            out.push(Err(e));
            if daemons {
                Pulled::Item
            } else {
                Pulled::Failed
            }
        }
    }
}

/// Feeds `pieces` in turn, pulling every item after each push, then finishes. Stops at
/// the first error that is not the daemon's own (the decoder is failed from then on).
fn feed<D: Decoder>(mut d: D, pieces: &[&[u8]]) -> Vec<Result<D::Item>> {
    let mut out = Vec::new();
    for piece in pieces {
        d.push(piece);
        loop {
            match pull(d.next(), &mut out) {
                Pulled::Item => {}
                Pulled::NeedMore => break,
                Pulled::Failed => return out,
            }
        }
    }
    while let Pulled::Item = pull(d.finish(), &mut out) {}
    out
}

fn split_at_cuts<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(body.len())).collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut from = 0;
    for c in cuts {
        pieces.push(&body[from..c]);
        from = c;
    }
    pieces.push(&body[from..]);
    pieces
}

/// Frames of one stream merged, in order: raw output is framed by the pushes.
fn merged(items: &[Result<Frame>]) -> Vec<Result<(StreamKind, Vec<u8>)>> {
    let mut out: Vec<Result<(StreamKind, Vec<u8>)>> = Vec::new();
    for item in items {
        match (item, out.last_mut()) {
            (Ok(f), Some(Ok((kind, data)))) if *kind == f.stream => data.extend_from_slice(&f.data),
            (Ok(f), _) => out.push(Ok((f.stream, f.data.to_vec()))),
            (Err(e), _) => out.push(Err(e.clone())),
        }
    }
    out
}

fn stream_bytes(items: &[Result<Frame>], kind: StreamKind) -> Vec<u8> {
    items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .filter(|f| f.stream == kind)
        .flat_map(|f| f.data.iter().copied())
        .collect()
}

fn chunk_refs(c: &Capture) -> Vec<&[u8]> {
    c.chunks.iter().map(Vec::as_slice).collect()
}

// --- the captures ------------------------------------------------------------------

#[test]
fn captures_parse_as_http() {
    let ping = parse_capture(PING);
    assert_eq!((ping.status, ping.body()), (200, b"OK".to_vec()));
    assert_eq!(ping.header("API-Version"), Some("1.41"));
    for raw in [VERSION, INFO, EVENTS, LOGS_MUX, LOGS_TTY, PULL_ERROR] {
        let c = parse_capture(raw);
        assert_eq!(c.status, 200);
        assert!(!c.body().is_empty());
    }
}

#[test]
fn version_and_info_are_single_json_values() {
    let v = parse_capture(VERSION);
    let items = feed(JsonStreamDecoder::new(), &chunk_refs(&v));
    let [Ok(version)] = &items[..] else {
        panic!("one value expected: {items:?}");
    };
    assert_eq!(version["ApiVersion"], "1.41");
    assert_eq!(version["MinAPIVersion"], "1.12");

    let i = parse_capture(INFO);
    let items = feed(JsonStreamDecoder::new(), &chunk_refs(&i));
    let [Ok(info)] = &items[..] else {
        panic!("one value expected: {items:?}");
    };
    assert!(info["ID"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(info["OSType"], "linux");
}

#[test]
fn logs_mux_capture_yields_exact_stdout_and_stderr() {
    let c = parse_capture(LOGS_MUX);
    // A 1.41 daemon does not label the stream; the container's Tty=false decides.
    assert_eq!(c.header("Content-Type"), None);
    let d = OutputDecoder::for_response(c.header("Content-Type"), false);
    assert!(d.is_multiplexed());
    let items = feed(d, &chunk_refs(&c));
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    assert_eq!(stream_bytes(&items, StreamKind::Stdout), expected_stdout());
    assert_eq!(stream_bytes(&items, StreamKind::Stderr), b"err\n");
    // As the daemon interleaved them: its log lines, the long one cut at 16 KiB.
    let frames: Vec<(StreamKind, usize)> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|f| (f.stream, f.data.len()))
        .collect();
    let out = StreamKind::Stdout;
    assert_eq!(
        frames,
        [
            (out, 4),
            (StreamKind::Stderr, 4),
            (out, 16384),
            (out, 16384),
            (out, 16384),
            (out, 16384),
            (out, 16384),
            (out, 16384),
            (out, 1697),
            (out, 5),
        ]
    );
}

#[test]
fn logs_mux_capture_truncated_is_an_error() {
    let body = parse_capture(LOGS_MUX).body();
    let items = feed(MuxDecoder::new(), &[&body[..body.len() - 1]]);
    assert!(
        matches!(items.last(), Some(Err(Error::Protocol(m))) if m.contains("1 of its 5 payload bytes missing")),
        "{:?}",
        items.last()
    );
}

#[test]
fn logs_tty_capture_yields_the_raw_bytes() {
    let c = parse_capture(LOGS_TTY);
    let d = OutputDecoder::for_response(c.header("Content-Type"), true);
    assert!(!d.is_multiplexed());
    let items = feed(d, &chunk_refs(&c));
    assert_eq!(
        items.len(),
        c.chunks.len(),
        "one frame per chunk, none held back"
    );
    assert_eq!(stream_bytes(&items, StreamKind::Stdout), expected_tty());
    // The same bytes through a mux decoder are not frames.
    let wrong = feed(MuxDecoder::new(), &chunk_refs(&c));
    assert!(matches!(wrong.last(), Some(Err(Error::Protocol(_)))));
}

#[test]
fn events_capture_replays_one_container_life() {
    let c = parse_capture(EVENTS);
    let items = feed(JsonStreamDecoder::new(), &chunk_refs(&c));
    let events: Vec<&Value> = items
        .iter()
        .map(|i| i.as_ref().expect("events are not errors"))
        .collect();
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["Type"].as_str().expect("Type"),
                e["Action"].as_str().expect("Action"),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("container", "create"),
            ("container", "start"),
            ("container", "die"),
            ("container", "destroy"),
        ]
    );
    let id = &events[0]["Actor"]["ID"];
    for e in &events {
        assert_eq!(&e["Actor"]["ID"], id);
        assert_eq!(e["Actor"]["Attributes"]["berth.test"], "1");
        assert!(e["timeNano"].as_i64().is_some());
    }
    assert_eq!(events[2]["Actor"]["Attributes"]["exitCode"], "0");
}

#[test]
fn error_inside_a_200_stream_is_a_stream_error() {
    let c = parse_capture(PULL_ERROR);
    assert_eq!(c.status, 200);
    let items = feed(JsonStreamDecoder::new(), &chunk_refs(&c));
    let (last, progress) = items.split_last().expect("items");
    assert_eq!(
        last,
        &Err(Error::Stream {
            message: BUILD_ERROR.into(),
            code: Some(3),
        })
    );
    let lines: Vec<&str> = progress
        .iter()
        .map(|i| {
            i.as_ref().expect("progress")["stream"]
                .as_str()
                .expect("stream")
        })
        .collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0], "Step 1/3 : FROM busybox:berth-test");
    assert_eq!(lines[3], "Step 2/3 : RUN exit 3");
    assert!(lines[6].starts_with("Removing intermediate container"));
}

// --- every split gives the same items ----------------------------------------------

/// A captured body's name, its bytes, and how to make a decoder for it.
type Case = (&'static str, Vec<u8>, fn() -> Either);

/// The JSON and mux bodies, with a fresh decoder for each.
fn framed_bodies() -> Vec<Case> {
    fn json() -> Either {
        Either::Json(JsonStreamDecoder::new())
    }
    fn mux() -> Either {
        Either::Mux(MuxDecoder::new())
    }
    vec![
        ("version", parse_capture(VERSION).body(), json),
        ("info", parse_capture(INFO).body(), json),
        ("events", parse_capture(EVENTS).body(), json),
        ("pull-error", parse_capture(PULL_ERROR).body(), json),
        ("logs-mux", parse_capture(LOGS_MUX).body(), mux),
    ]
}

/// Items of either kind, comparable.
#[derive(Debug, PartialEq)]
enum Item {
    Json(Value),
    Frame(Frame),
}

/// One of the two framed decoders, so the cases can share a loop.
enum Either {
    Json(JsonStreamDecoder),
    Mux(MuxDecoder),
}

impl Decoder for Either {
    type Item = Item;

    fn push(&mut self, bytes: &[u8]) {
        match self {
            Either::Json(d) => d.push(bytes),
            Either::Mux(d) => d.push(bytes),
        }
    }

    fn next(&mut self) -> Result<Option<Item>> {
        Ok(match self {
            Either::Json(d) => d.next()?.map(Item::Json),
            Either::Mux(d) => d.next()?.map(Item::Frame),
        })
    }

    fn finish(&mut self) -> Result<Option<Item>> {
        Ok(match self {
            Either::Json(d) => d.finish()?.map(Item::Json),
            Either::Mux(d) => d.finish()?.map(Item::Frame),
        })
    }
}

#[test]
fn every_two_piece_split_gives_the_same_items() {
    for (name, body, decoder) in framed_bodies() {
        let whole = feed(decoder(), &[&body]);
        assert!(!whole.is_empty());
        for at in 0..=body.len() {
            let (a, b) = body.split_at(at);
            assert!(feed(decoder(), &[a, b]) == whole, "{name} split at {at}");
        }
    }
    let body = parse_capture(LOGS_TTY).body();
    let whole = merged(&feed(RawDecoder::new(), &[&body]));
    assert_eq!(whole, [Ok((StreamKind::Stdout, expected_tty()))]);
    for at in 0..=body.len() {
        let (a, b) = body.split_at(at);
        let items = feed(RawDecoder::new(), &[a, b]);
        assert!(items.len() <= 2, "every push comes out at once");
        assert!(merged(&items) == whole, "logs-tty split at {at}");
    }
}

#[test]
fn the_daemons_own_chunking_gives_the_same_items() {
    for ((name, body, decoder), raw) in framed_bodies()
        .into_iter()
        .zip([VERSION, INFO, EVENTS, PULL_ERROR, LOGS_MUX])
    {
        let c = parse_capture(raw);
        assert_eq!(c.body(), body);
        assert!(
            feed(decoder(), &chunk_refs(&c)) == feed(decoder(), &[&body]),
            "{name}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_split_gives_the_same_items(
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
    ) {
        for (name, body, decoder) in framed_bodies() {
            let cuts: Vec<usize> = cuts.iter().map(|c| c.index(body.len() + 1)).collect();
            let whole = feed(decoder(), &[&body]);
            let split = feed(decoder(), &split_at_cuts(&body, &cuts));
            prop_assert!(split == whole, "{} cut at {:?}", name, cuts);
        }
        let body = parse_capture(LOGS_TTY).body();
        let cuts: Vec<usize> = cuts.iter().map(|c| c.index(body.len() + 1)).collect();
        let pieces = split_at_cuts(&body, &cuts);
        let items = feed(RawDecoder::new(), &pieces);
        prop_assert_eq!(items.len(), pieces.iter().filter(|p| !p.is_empty()).count());
        prop_assert_eq!(merged(&items), vec![Ok((StreamKind::Stdout, expected_tty()))]);
    }

    #[test]
    fn any_split_of_small_mux_and_json_vectors(
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mux = b"\x01\0\0\0\0\0\0\x0chello world\n\x02\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\x04boom\x02\0\0\0\0\0\0\x04oops";
        let cut: Vec<usize> = cuts.iter().map(|c| c.index(mux.len() + 1)).collect();
        prop_assert_eq!(
            feed(MuxDecoder::new(), &split_at_cuts(mux, &cut)),
            feed(MuxDecoder::new(), &[mux])
        );
        let json = "{\"a\":\"é}\\\"\"}{\"b\":[1,{\"c\":null}]}\r\n 7 {\"error\":\"x\"}\n[\"tail\"".as_bytes();
        let cut: Vec<usize> = cuts.iter().map(|c| c.index(json.len() + 1)).collect();
        let whole = feed(JsonStreamDecoder::new(), &[json]);
        prop_assert_eq!(whole.len(), 5);
        prop_assert_eq!(feed(JsonStreamDecoder::new(), &split_at_cuts(json, &cut)), whole);
    }
}

#[test]
fn content_type_chooses_the_decoder() {
    let mux = |ct, tty| OutputDecoder::for_response(ct, tty).is_multiplexed();
    assert!(mux(Some(MULTIPLEXED_STREAM), true));
    assert!(mux(
        Some("Application/VND.docker.multiplexed-stream; charset=x"),
        true
    ));
    assert!(!mux(Some(RAW_STREAM), false));
    assert!(!mux(Some(" application/vnd.docker.raw-stream "), false));
    assert!(mux(Some("application/json"), false));
    assert!(!mux(Some("application/json"), true));
    assert!(mux(None, false));
    assert!(!mux(None, true));
}
