//! HTTP/1 codec vectors, and the captured daemon answers fed split at every offset.

use bytes::BytesMut;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use proptest::prelude::*;

use super::*;

/// Decodes a response head from `raw` with `method`: `Ok(None)` when more is needed,
/// else how many bytes the head took, and the head.
fn parse(raw: &[u8], method: &Method) -> Result<Option<(usize, ResponseHead)>> {
    let mut buf = BytesMut::from(raw);
    let head = decode_response_head(&mut buf, method)?;
    if head.is_none() {
        assert_eq!(&buf[..], raw, "a partial head leaves the buffer alone");
    }
    Ok(head.map(|h| (raw.len() - buf.len(), h)))
}

fn head(raw: &[u8]) -> (usize, ResponseHead) {
    parse(raw, &Method::GET)
        .expect("valid head")
        .expect("whole head")
}

fn protocol_error(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::Protocol(m)) => m,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

/// Decodes a whole body from `raw` (the bytes after its head), fed in pieces of
/// `step` bytes: the data, and how many bytes of `raw` the body took.
fn decode_in_steps(framing: Framing, raw: &[u8], step: usize) -> Result<(Vec<u8>, usize)> {
    let mut d = BodyDecoder::new(framing);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut fed = 0;
    for piece in raw.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        fed += piece.len();
        while let Some(data) = d.decode(&mut buf)? {
            assert!(!data.is_empty(), "no empty chunks are yielded");
            out.extend_from_slice(&data);
        }
        if d.is_done() {
            break;
        }
    }
    if !d.is_done() {
        d.eof()?;
    }
    Ok((out, fed - buf.len()))
}

#[test]
fn request_head_get_without_body() {
    let mut out = Vec::new();
    let mut h = HeaderMap::new();
    h.insert(header::USER_AGENT, HeaderValue::from_static("berth/0.1"));
    write_request_head(
        &mut out,
        &Method::GET,
        "/v1.41/containers/json?all=1",
        &HeaderValue::from_static("localhost"),
        &h,
        None,
    )
    .expect("head");
    assert_eq!(
        out,
        b"GET /v1.41/containers/json?all=1 HTTP/1.1\r\nhost: localhost\r\nuser-agent: berth/0.1\r\n\r\n"
    );
}

#[test]
fn request_head_post_has_a_content_length_even_when_empty() {
    let mut out = Vec::new();
    write_request_head(
        &mut out,
        &Method::POST,
        "/v1.41/containers/x/start",
        &HeaderValue::from_static("localhost"),
        &HeaderMap::new(),
        None,
    )
    .expect("head");
    assert!(
        out.ends_with(b"content-length: 0\r\n\r\n"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    out.clear();
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // A caller's own Host or Content-Length never doubles ours.
    h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("99"));
    h.insert(header::HOST, HeaderValue::from_static("evil"));
    write_request_head(
        &mut out,
        &Method::POST,
        "/v1.41/containers/create",
        &HeaderValue::from_static("127.0.0.1:2375"),
        &h,
        Some(17),
    )
    .expect("head");
    assert_eq!(
        String::from_utf8_lossy(&out),
        "POST /v1.41/containers/create HTTP/1.1\r\nhost: 127.0.0.1:2375\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\r\n"
    );
}

#[test]
fn request_path_with_spaces_or_line_breaks_is_refused() {
    let long = "/v1.41/containers/0123456789abcdef0123456789abcdef";
    let mut paths: Vec<String> = ["/a b", "/a\r\nX-Evil: 1", "/a\0", "noslash", "", "/\x7f"]
        .map(String::from)
        .to_vec();
    // A bad byte at every position of a path longer than one 16-byte check.
    for at in 1..long.len() {
        for bad in [" ", "\t", "\x7f"] {
            let mut p = long.to_owned();
            p.replace_range(at..=at, bad);
            paths.push(p);
        }
    }
    for path in &paths {
        let mut out = Vec::new();
        let r = write_request_head(
            &mut out,
            &Method::GET,
            path,
            &HeaderValue::from_static("localhost"),
            &HeaderMap::new(),
            None,
        );
        assert!(
            matches!(r, Err(Error::InvalidArgument(_))),
            "{path:?}: {r:?}"
        );
    }
}

#[test]
fn captured_ping_head() {
    let raw = include_bytes!("../../testdata/ping.http");
    let (used, h) = head(raw);
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.framing, Framing::Length(2));
    assert!(h.keep_alive);
    assert_eq!(&raw[used..], b"OK");
    assert_eq!(h.headers.get_str("api-version"), Some("1.41"));
}

#[test]
fn header_names_and_values_as_sent() {
    let raw = b"HTTP/1.1 200 OK\r\nAPI-Version: 1.41\r\nOSType: linux\r\n\
                X-Custom-Thing: a b\r\nWarning: one\r\nwarning: two\r\n\
                Docker-Experimental:false\r\nContent-Length: 0\r\n\r\n";
    let (used, h) = head(raw);
    assert_eq!(used, raw.len());
    let get = |name: &str| h.headers.get(name).map(<[u8]>::to_vec);
    assert_eq!(get("api-version").as_deref(), Some(&b"1.41"[..]));
    assert_eq!(get("ostype").as_deref(), Some(&b"linux"[..]));
    assert_eq!(get("x-custom-thing").as_deref(), Some(&b"a b"[..]));
    assert_eq!(get("docker-experimental").as_deref(), Some(&b"false"[..]));
    let warnings: Vec<_> = h.headers.get_all("warning").collect();
    assert_eq!(warnings, [b"one", b"two"]);
    assert_eq!(h.headers.len(), 7);
}

#[test]
fn head_needs_more_bytes_until_the_blank_line() {
    let raw = include_bytes!("../../testdata/ping.http");
    let (used, _) = head(raw);
    for cut in 0..used {
        let r = parse(&raw[..cut], &Method::GET).expect("no error on a prefix");
        assert!(r.is_none(), "cut at {cut}");
    }
}

#[test]
fn framing_rules() {
    let cases: &[(&[u8], Framing, bool)] = &[
        (
            b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
            Framing::Empty,
            true,
        ),
        (b"HTTP/1.1 304 Not Modified\r\n\r\n", Framing::Empty, true),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            Framing::Chunked,
            true,
        ),
        // Transfer-Encoding wins over Content-Length.
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            Framing::Chunked,
            true,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            Framing::UntilClose,
            false,
        ),
        (b"HTTP/1.1 200 OK\r\n\r\n", Framing::UntilClose, false),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
            Framing::Length(3),
            false,
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n",
            Framing::Length(3),
            false,
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: Keep-Alive\r\n\r\n",
            Framing::Length(3),
            true,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
            Framing::Length(3),
            true,
        ),
    ];
    for (raw, framing, keep_alive) in cases {
        let (_, h) = head(raw);
        assert_eq!(
            (h.framing, h.keep_alive),
            (*framing, *keep_alive),
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
    let (_, h) = parse(
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
        &Method::HEAD,
    )
    .expect("valid")
    .expect("whole");
    assert_eq!(h.framing, Framing::Empty);
}

#[test]
fn malformed_heads_are_protocol_errors() {
    let cases: &[&[u8]] = &[
        b"HTTP/1.1 2OO OK\r\n\r\n",
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header: 1\r\n\r\n",
    ];
    for raw in cases {
        let m = protocol_error(parse(raw, &Method::GET));
        assert!(!m.is_empty(), "{}", String::from_utf8_lossy(raw));
    }
}

#[test]
fn endless_or_crowded_heads_are_refused() {
    let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
    raw.extend_from_slice(b"X-Filler: ");
    raw.resize(MAX_HEAD + 10, b'x');
    let m = protocol_error(parse(&raw, &Method::GET));
    assert!(m.contains("longer than"), "{m}");
    let mut crowded = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..=MAX_HEADERS {
        crowded.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
    }
    crowded.extend_from_slice(b"\r\n");
    protocol_error(parse(&crowded, &Method::GET));
}

/// A captured answer: its head's framing and the body bytes that follow the head.
fn captured(raw: &[u8]) -> (Framing, Vec<u8>) {
    let (used, h) = head(raw);
    (h.framing, raw[used..].to_vec())
}

#[test]
fn captured_chunked_bodies_split_at_every_offset() {
    let captures: [(&str, &[u8]); 4] = [
        ("info", include_bytes!("../../testdata/info.http")),
        ("version", include_bytes!("../../testdata/version.http")),
        ("logs-mux", include_bytes!("../../testdata/logs-mux.http")),
        (
            "pull-error",
            include_bytes!("../../testdata/pull-error.http"),
        ),
    ];
    for (name, raw) in captures {
        let (framing, body) = captured(raw);
        let expected = match framing {
            Framing::Chunked => crate::stream::tests::dechunk(&body).concat(),
            Framing::Length(n) => {
                assert_eq!(n as usize, body.len(), "{name}");
                body.clone()
            }
            other => panic!("{name}: {other:?}"),
        };
        let (whole, used) = decode_in_steps(framing, &body, body.len()).expect("whole");
        assert_eq!(
            used,
            body.len(),
            "{name}: the whole body and nothing after it"
        );
        assert_eq!(whole, expected, "{name}");
        for step in 1..64.min(body.len()) {
            let (got, _) = decode_in_steps(framing, &body, step).expect("split");
            assert_eq!(got, whole, "{name} in steps of {step}");
        }
    }
}

#[test]
fn bytes_after_the_body_are_left_for_the_next_answer() {
    let mut d = BodyDecoder::new(Framing::Length(3));
    let mut buf = BytesMut::from(&b"abcHTTP/1.1"[..]);
    assert_eq!(
        d.decode(&mut buf).expect("ok").as_deref(),
        Some(&b"abc"[..])
    );
    assert!(d.is_done());
    assert_eq!(d.decode(&mut buf).expect("ok"), None);
    assert_eq!(&buf[..], b"HTTP/1.1");

    let mut d = BodyDecoder::new(Framing::Chunked);
    let mut buf = BytesMut::from(&b"3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\nnext"[..]);
    assert_eq!(
        d.decode(&mut buf).expect("ok").as_deref(),
        Some(&b"abc"[..])
    );
    assert_eq!(d.decode(&mut buf).expect("ok"), None);
    assert!(d.is_done());
    assert_eq!(&buf[..], b"next");
}

#[test]
fn bodies_cut_off_are_protocol_errors_at_eof() {
    let mut d = BodyDecoder::new(Framing::Length(10));
    let mut buf = BytesMut::from(&b"abc"[..]);
    assert!(d.decode(&mut buf).expect("ok").is_some());
    assert!(protocol_error(d.eof()).contains("7 bytes"));

    for cut in [
        &b"1"[..],
        b"10\r\nabc",
        b"3\r\nabc\r\n",
        b"3\r\nabc\r\n0\r\n",
    ] {
        let mut d = BodyDecoder::new(Framing::Chunked);
        let mut buf = BytesMut::from(cut);
        while d.decode(&mut buf).expect("no error before eof").is_some() {}
        assert!(!d.is_done());
        protocol_error(d.eof());
    }

    let mut d = BodyDecoder::new(Framing::UntilClose);
    let mut buf = BytesMut::from(&b"all of it"[..]);
    assert_eq!(
        d.decode(&mut buf).expect("ok").as_deref(),
        Some(&b"all of it"[..])
    );
    d.eof().expect("a close-delimited body ends at eof");
    assert!(d.is_done());
}

#[test]
fn malformed_chunks_are_protocol_errors() {
    let cases: &[&[u8]] = &[
        b"zz\r\n",
        b"\r\n",
        b"11111111111111111\r\n",
        b"3\r\nabcd\r\n",
        b"3\r\nabcXY",
        b"-1\r\n",
    ];
    for raw in cases {
        let mut d = BodyDecoder::new(Framing::Chunked);
        let mut buf = BytesMut::from(*raw);
        let r = (|| {
            while d.decode(&mut buf)?.is_some() {}
            Ok(())
        })();
        protocol_error(r);
    }
    // A size line that never ends, and endless trailers.
    let mut d = BodyDecoder::new(Framing::Chunked);
    let mut buf = BytesMut::from(&vec![b'1'; MAX_CHUNK_LINE + 8][..]);
    protocol_error(d.decode(&mut buf));
    let mut d = BodyDecoder::new(Framing::Chunked);
    let mut buf = BytesMut::from(&b"0\r\n"[..]);
    for _ in 0..(MAX_TRAILERS / 16 + 2) {
        buf.extend_from_slice(b"X-Trailer: 1234\r\n");
    }
    let r = (|| {
        while d.decode(&mut buf)?.is_some() {}
        Ok(())
    })();
    protocol_error(r);
}

#[test]
fn huge_chunk_sizes_do_not_overflow() {
    let mut d = BodyDecoder::new(Framing::Chunked);
    let mut buf = BytesMut::from(&b"ffffffffffffffff\r\nab"[..]);
    assert_eq!(d.decode(&mut buf).expect("ok").as_deref(), Some(&b"ab"[..]));
    protocol_error(d.eof());
    let mut d = BodyDecoder::new(Framing::Length(u64::MAX));
    let mut buf = BytesMut::from(&b"ab"[..]);
    assert_eq!(d.decode(&mut buf).expect("ok").as_deref(), Some(&b"ab"[..]));
}

proptest! {
    /// Any body, chunked any way and fed in any pieces, decodes to itself.
    #[test]
    fn chunked_round_trip(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        sizes in proptest::collection::vec(1usize..90, 1..20),
        step in 1usize..50,
    ) {
        let mut wire = Vec::new();
        let mut rest = &body[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            wire.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            wire.extend_from_slice(&rest[..n]);
            wire.extend_from_slice(b"\r\n");
            rest = &rest[n..];
            i += 1;
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        let (got, used) = decode_in_steps(Framing::Chunked, &wire, step).expect("decodes");
        prop_assert_eq!(got, body);
        prop_assert_eq!(used, wire.len());
    }

    /// Garbage never panics: it decodes, waits, or is a protocol error.
    #[test]
    fn garbage_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&raw, &Method::GET);
        let mut d = BodyDecoder::new(Framing::Chunked);
        let mut buf = BytesMut::from(&raw[..]);
        loop {
            match d.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) | Err(Error::Protocol(_)) => break,
                Err(e) => prop_assert!(false, "unexpected error kind {e:?}"),
            }
        }
    }
}
