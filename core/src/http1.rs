//! HTTP/1.1 for plain calls: request heads out, response heads and bodies in.
//!
//! In scope: what a Docker client needs of HTTP/1.1 on a kept-alive connection — a
//! request head (with `Content-Length` for an in-memory body), the response head
//! (status, headers, how the body is framed, whether the connection may be reused),
//! and the body: `Content-Length`, `chunked` (extensions and trailers skipped) or
//! until the connection closes.
//!
//! Out of scope: sending chunked bodies, `Expect: 100-continue`, pipelining and
//! upgrades. The host keeps hyper for streamed uploads and for attach/exec upgrades;
//! every other call — ping, inspect, list, logs, events, downloads — goes through this
//! module, which costs a fraction of hyper's per-call machinery.
//!
//! Like httparse, nothing here blocks or reads a socket: the caller appends what it
//! read to a `BytesMut` and asks again. Body data is split off that buffer without
//! copying (the shape of a tokio-util codec rather than `push(&[u8])`, so a 1 GiB
//! download is never copied twice).
//!
//! ```text
//!   write_request_head ─▶ socket ─▶ decode_response_head ─▶ BodyDecoder::decode … ─▶ is_done
//!                                   (Ok(None): read more)    (Ok(None): read more)     │
//!                                                                    reusable ◀────────┘
//! ```

use std::mem::MaybeUninit;

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, StatusCode};

use crate::error::{Error, Result};
use crate::headers::{Headers, Span};

/// Longest response head accepted (the daemon's are ~300 bytes).
pub const MAX_HEAD: usize = 64 * 1024;
/// Most headers in a response head.
const MAX_HEADERS: usize = 64;
/// Longest chunk-size line (size, extensions) and longest trailer section.
const MAX_CHUNK_LINE: usize = 4096;
const MAX_TRAILERS: usize = 64 * 1024;

/// Appends a request head to `out`: request line, `Host`, the caller's headers (in
/// order; a `Host` or `Content-Length` among them is left out), and
/// `Content-Length` when the request has a body (`body_len`) or a method that expects
/// one. `path` is the origin-form target (`/v1.41/containers/json?all=1`).
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method};
/// let mut out = Vec::new();
/// let host = HeaderValue::from_static("localhost");
/// berth_core::http1::write_request_head(&mut out, &Method::GET, "/_ping", &host, &HeaderMap::new(), None)?;
/// assert_eq!(out, b"GET /_ping HTTP/1.1\r\nhost: localhost\r\n\r\n");
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn write_request_head<'h>(
    out: &mut Vec<u8>,
    method: &Method,
    path: &str,
    host: &HeaderValue,
    headers: impl IntoIterator<Item = (&'h HeaderName, &'h HeaderValue)>,
    body_len: Option<usize>,
) -> Result<()> {
    // A space or control byte would end the request line early: what follows would
    // be read by the daemon as a header (request smuggling through an id or a query).
    if !path.starts_with('/') || !is_request_target(path.as_bytes()) {
        return Err(Error::InvalidArgument(format!(
            "cannot send {method} {path:?}: the request path must start with '/' and \
             hold no spaces or control characters"
        )));
    }
    out.reserve(128 + path.len());
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if name == header::HOST || name == header::CONTENT_LENGTH {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let expects_body = matches!(*method, Method::POST | Method::PUT | Method::PATCH);
    match body_len {
        Some(n) => write_content_length(out, n),
        None if expects_body => write_content_length(out, 0),
        None => {}
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// No space, control byte or DEL: checked in one pass without early exits, which the
/// compiler turns into vector compares (every call's path goes through here).
fn is_request_target(path: &[u8]) -> bool {
    path.iter()
        .fold(true, |ok, &b| ok & (b > b' ') & (b != 0x7f))
}

fn write_content_length(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the daemon closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: Headers,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection may carry another request once the body was read.
    pub keep_alive: bool,
}

/// Takes a response head off the front of `buf`: `Ok(None)` when more bytes are needed
/// (`buf` is untouched then, and on an error). `method` is the request's (a HEAD answer
/// has no body).
///
/// The headers are the head's bytes and where each header sits ([`Headers`]): no
/// header map is built and nothing is copied.
///
/// ```
/// use berth_core::http1::{Framing, decode_response_head};
/// use bytes::BytesMut;
/// let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"[..]);
/// let rest = buf.split_off(20);
/// assert!(decode_response_head(&mut buf, &http::Method::GET)?.is_none());
/// buf.unsplit(rest);
/// let head = decode_response_head(&mut buf, &http::Method::GET)?.expect("whole head");
/// assert_eq!((head.framing, &buf[..]), (Framing::Length(2), &b"OK"[..]));
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn decode_response_head(buf: &mut BytesMut, method: &Method) -> Result<Option<ResponseHead>> {
    if buf.is_empty() {
        return Ok(None);
    }
    let mut slots = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
    let mut res = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut res, buf, &mut slots);
    let used = match parsed {
        // The same limit whether the head arrived whole or in pieces.
        Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => n,
        Ok(httparse::Status::Complete(_)) => return Err(head_too_long()),
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err(head_too_long()),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(Error::Protocol(format!(
                "malformed HTTP response head ({e}): {}",
                crate::model::excerpt(buf)
            )));
        }
    };
    let code = res.code.unwrap_or_default();
    let status = StatusCode::from_u16(code)
        .map_err(|_| Error::Protocol(format!("invalid HTTP status {code}")))?;
    let mut keep_alive = res.version == Some(1);
    let mut chunked = false;
    let mut has_encoding = false;
    let mut length: Option<u64> = None;
    // Where each name and value sit, to slice them once the head is taken off `buf`.
    let mut spans = Vec::with_capacity(res.headers.len());
    for h in res.headers.iter() {
        let name = h.name.as_bytes();
        spans.push(Span::of(buf.as_ptr(), name, h.value));
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            has_encoding = true;
            // Only the last coding decides the framing (RFC 9112 §6.3).
            chunked = last_token(h.value).eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let n = parse_length(h.value)?;
            if length.is_some_and(|l| l != n) {
                return Err(Error::Protocol(
                    "the response has two different Content-Length headers".to_owned(),
                ));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case(b"connection") {
            if has_token(h.value, b"close") {
                keep_alive = false;
            } else if has_token(h.value, b"keep-alive") {
                keep_alive = true;
            }
        }
    }
    let no_body = *method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let framing = if no_body {
        Framing::Empty
    } else if has_encoding {
        if !chunked {
            keep_alive = false;
            Framing::UntilClose
        } else {
            Framing::Chunked
        }
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        keep_alive = false;
        Framing::UntilClose
    };
    let headers = Headers::from_spans(buf.split_to(used).freeze(), spans);
    Ok(Some(ResponseHead {
        status,
        headers,
        framing,
        keep_alive,
    }))
}

fn head_too_long() -> Error {
    Error::Protocol(format!("the response head is longer than {MAX_HEAD} bytes"))
}

fn parse_length(v: &[u8]) -> Result<u64> {
    let s = std::str::from_utf8(v).unwrap_or("").trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Protocol(format!(
            "invalid Content-Length {:?}",
            String::from_utf8_lossy(v)
        )));
    }
    s.parse()
        .map_err(|_| Error::Protocol(format!("Content-Length {s} is too large")))
}

fn tokens(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',').map(|t| t.trim_ascii())
}

fn last_token(v: &[u8]) -> &[u8] {
    tokens(v).filter(|t| !t.is_empty()).last().unwrap_or(b"")
}

fn has_token(v: &[u8], want: &[u8]) -> bool {
    tokens(v).any(|t| t.eq_ignore_ascii_case(want))
}

/// Reads a response body out of the connection's buffer.
///
/// ```
/// use berth_core::http1::{BodyDecoder, Framing};
/// let mut d = BodyDecoder::new(Framing::Chunked);
/// let mut buf = bytes::BytesMut::from(&b"2\r\nOK\r\n0\r\n\r\n"[..]);
/// assert_eq!(d.decode(&mut buf)?.as_deref(), Some(&b"OK"[..]));
/// assert_eq!(d.decode(&mut buf)?, None);
/// assert!(d.is_done() && buf.is_empty());
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug)]
pub struct BodyDecoder {
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// `n` bytes of body left (Content-Length).
    Length(u64),
    /// Waiting for a chunk-size line.
    ChunkSize,
    /// `n` bytes of the current chunk left.
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// Trailer lines after the last chunk, up to the empty line; `seen` bytes so far.
    Trailers { seen: usize },
    /// Everything until the connection closes.
    UntilClose,
    /// The body ended.
    Done,
}

impl BodyDecoder {
    /// A decoder for a body framed as `framing`.
    pub fn new(framing: Framing) -> BodyDecoder {
        let state = match framing {
            Framing::Empty | Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkSize,
            Framing::UntilClose => State::UntilClose,
        };
        BodyDecoder { state }
    }

    /// True once the whole body was read; bytes left in the buffer then belong to
    /// whatever the daemon sends next.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The next piece of body data, split off the front of `buf` without copying.
    /// `Ok(None)`: the body ended ([`is_done`](Self::is_done)) or more bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::UntilClose => {
                    return Ok((!buf.is_empty()).then(|| buf.split().freeze()));
                }
                State::Length(left) | State::ChunkData(left) => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let n = take(left, buf.len());
                    let left = left - n as u64;
                    self.state = match (self.state, left) {
                        (State::Length(_), 0) => State::Done,
                        (State::Length(_), left) => State::Length(left),
                        (_, 0) => State::ChunkEnd,
                        (_, left) => State::ChunkData(left),
                    };
                    return Ok(Some(buf.split_to(n).freeze()));
                }
                State::ChunkSize => {
                    let Some(line) = take_line(buf, MAX_CHUNK_LINE, "chunk-size line")? else {
                        return Ok(None);
                    };
                    let size = parse_chunk_size(&line)?;
                    self.state = if size == 0 {
                        State::Trailers { seen: 0 }
                    } else {
                        State::ChunkData(size)
                    };
                }
                State::ChunkEnd => {
                    // CRLF (or a bare LF) must follow the chunk's data.
                    let n = match (buf.first(), buf.get(1)) {
                        (None, _) | (Some(b'\r'), None) => return Ok(None),
                        (Some(b'\n'), _) => 1,
                        (Some(b'\r'), Some(b'\n')) => 2,
                        _ => {
                            return Err(Error::Protocol(
                                "chunked body: a chunk is longer than its size says".to_owned(),
                            ));
                        }
                    };
                    buf.advance(n);
                    self.state = State::ChunkSize;
                }
                State::Trailers { seen } => {
                    let Some(line) = take_line(buf, MAX_TRAILERS.saturating_sub(seen), "trailers")?
                    else {
                        return Ok(None);
                    };
                    self.state = if line.is_empty() {
                        State::Done
                    } else {
                        State::Trailers {
                            seen: seen + line.len() + 2,
                        }
                    };
                }
            }
        }
    }

    /// The connection closed (EOF). Fine for a body that ends there or had already
    /// ended; a body cut short is a protocol error.
    pub fn eof(&mut self) -> Result<()> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            State::Length(left) => Err(Error::Protocol(format!(
                "the response body was cut off: {left} bytes of its Content-Length missing"
            ))),
            _ => Err(Error::Protocol(
                "the chunked response body was cut off before its last chunk".to_owned(),
            )),
        }
    }
}

fn take(left: u64, available: usize) -> usize {
    usize::try_from(left).map_or(available, |l| l.min(available))
}

/// Splits one line (without its `\r\n`) off `buf`; `Ok(None)` when it is not whole
/// yet. A line longer than `max` is an error.
fn take_line(buf: &mut BytesMut, max: usize, what: &str) -> Result<Option<BytesMut>> {
    let Some(lf) = buf.iter().take(max + 2).position(|&b| b == b'\n') else {
        if buf.len() >= max + 2 {
            return Err(Error::Protocol(format!(
                "chunked body: the {what} is longer than {max} bytes"
            )));
        }
        return Ok(None);
    };
    let mut line = buf.split_to(lf + 1);
    line.truncate(lf);
    // A bare LF is tolerated as the line end, like Go's and hyper's readers do.
    if line.last() == Some(&b'\r') {
        line.truncate(lf - 1);
    }
    Ok(Some(line))
}

fn parse_chunk_size(line: &[u8]) -> Result<u64> {
    let digits = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let bad = || {
        Error::Protocol(format!(
            "chunked body: invalid chunk size {:?}",
            String::from_utf8_lossy(line)
        ))
    };
    if digits.is_empty() || digits.len() > 16 {
        return Err(bad());
    }
    let mut size = 0u64;
    for &b in digits {
        let d = (b as char).to_digit(16).ok_or_else(bad)?;
        size = (size << 4) | u64::from(d);
    }
    Ok(size)
}

#[cfg(test)]
mod tests;
