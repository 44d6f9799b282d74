//! Streams of JSON values: pull/push/build/load progress, events, streamed stats.
//!
//! The daemon usually ends each value with `\n` or `\r\n`, but nothing guarantees it:
//! values may be concatenated (`{..}{..}`), an HTTP chunk may hold several values or a
//! piece of one. An operation that fails after the `200` reports it inside the stream
//! as `{"errorDetail":{"code":…,"message":…},"error":…}`.

use bytes::{Buf, BytesMut};
use serde::de::IgnoredAny;
use serde_json::Value;

use super::Decoder;
use crate::error::{Error, Result};

/// Decodes a stream of JSON values, newline-separated or concatenated.
///
/// Each value is yielded as soon as its last byte has arrived. A value carrying an
/// `"error"` string or an `"errorDetail"` object is the daemon reporting failure:
/// it comes out as [`Error::Stream`] (message from `error`, else from
/// `errorDetail.message`; code from `errorDetail.code`), and decoding may continue
/// after it. Malformed JSON (including invalid UTF-8) is an [`Error::Decode`]; a
/// value growing past the size cap, or cut off by EOF, is an [`Error::Protocol`].
///
/// Work is linear in the input however it is split: a scan that knows strings and
/// nesting remembers where it stopped, so each byte is scanned once, and JSON syntax
/// of an unfinished value is checked again only when it has doubled in size.
///
/// ```
/// use berth_core::stream::{Decoder, JsonStreamDecoder};
/// use berth_core::Error;
///
/// let mut d = JsonStreamDecoder::new();
/// d.push(br#"{"status":"Pulling fs layer","id":"a1"}{"stat"#);
/// assert_eq!(d.next()?.expect("one value")["id"], "a1");
/// assert_eq!(d.next()?, None); // the second value is not complete yet
/// d.push(b"us\":\"Done\"}\r\n{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}\r\n");
/// assert_eq!(d.next()?.expect("second value")["status"], "Done");
/// assert_eq!(d.next(), Err(Error::Stream { message: "boom".into(), code: None }));
/// assert_eq!(d.finish()?, None);
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug)]
pub struct JsonStreamDecoder {
    buf: BytesMut,
    max_value: usize,
    scan: Scan,
    /// Set once the stream is malformed; returned again by every later call.
    failed: Option<Error>,
    /// Bytes scanned or parsed so far, to test that work stays linear.
    #[cfg(test)]
    work: usize,
}

/// How far the scan for the end of the value at the front of the buffer has got.
#[derive(Debug, Default, Clone, Copy)]
struct Scan {
    /// Bytes of the pending value already scanned without finding its end.
    pos: usize,
    /// Open `{`/`[` at `pos`.
    depth: usize,
    in_string: bool,
    /// The byte before `pos` was a backslash inside a string.
    escaped: bool,
    /// Length of the pending value when serde last checked it (0: not yet).
    probed_len: usize,
}

impl JsonStreamDecoder {
    /// The default cap on one value: 64 MiB.
    pub const DEFAULT_MAX_VALUE: usize = 64 * 1024 * 1024;

    /// A decoder with the default size cap.
    pub fn new() -> JsonStreamDecoder {
        JsonStreamDecoder::with_max_value(JsonStreamDecoder::DEFAULT_MAX_VALUE)
    }

    /// A decoder that refuses a single value longer than `max_value` bytes.
    ///
    /// The cap is checked when items are pulled; push and pull in turn to bound memory.
    pub fn with_max_value(max_value: usize) -> JsonStreamDecoder {
        JsonStreamDecoder {
            buf: BytesMut::new(),
            max_value,
            scan: Scan::default(),
            failed: None,
            #[cfg(test)]
            work: 0,
        }
    }

    /// The size cap for one value, in bytes.
    pub fn max_value(&self) -> usize {
        self.max_value
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e.clone());
        e
    }

    fn decode(&mut self, eof: bool) -> Result<Option<Value>> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.scan.pos == 0 {
            let blank = self
                .buf
                .iter()
                .position(|&b| !is_whitespace(b))
                .unwrap_or(self.buf.len());
            self.buf.advance(blank);
        }
        let Some(&first) = self.buf.first() else {
            return Ok(None);
        };
        if !starts_value(first) {
            return Err(self.fail(Error::Decode(format!(
                "JSON stream: expected a value, found {}",
                excerpt(&self.buf)
            ))));
        }
        #[cfg(test)]
        let start = self.scan.pos;
        let end = self.scan.find_end(&self.buf, eof);
        #[cfg(test)]
        {
            self.work += end.unwrap_or(self.buf.len()) - start;
        }
        let Some(end) = end else {
            return self.incomplete(eof);
        };
        if end > self.max_value {
            return Err(self.oversized(end));
        }
        let bytes = self.buf.split_to(end);
        self.scan = Scan::default();
        #[cfg(test)]
        {
            self.work += bytes.len();
        }
        let value = match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => v,
            Err(e) => return Err(self.fail(malformed(&e, &bytes))),
        };
        match stream_error(&value) {
            Some(e) => Err(e),
            None => Ok(Some(value)),
        }
    }

    /// The value at the front is longer than the cap: a [`Error::Protocol`], unless its
    /// first `max_value` bytes are already malformed JSON — then [`Error::Decode`], as
    /// when the value arrives in pieces and an earlier check catches the malformation
    /// before the cap is reached. The error does not depend on how the input was split.
    ///
    /// "Malformed" is a full parse's verdict (which validates the UTF-8 of strings), not
    /// the quick check's: an early check flags a prefix only when a full parse agrees, so
    /// whatever it flags, the full parse of the longer head flags too (fuzzing found
    /// `{"\xf1":8e8…` was Decode in pieces, the quick check failing on `8e`, but Protocol
    /// whole, the quick check skipping the invalid string).
    fn oversized(&mut self, len: usize) -> Error {
        let head = &self.buf[..self.max_value.min(self.buf.len())];
        let mut values = serde_json::Deserializer::from_slice(head).into_iter::<Value>();
        if let Some(Err(e)) = values.next()
            && !e.is_eof()
        {
            let e = malformed(&e, &self.buf);
            return self.fail(e);
        }
        let e = too_large(len, self.max_value);
        self.fail(e)
    }

    /// The value at the front has no end yet.
    fn incomplete(&mut self, eof: bool) -> Result<Option<Value>> {
        let pending = self.buf.len();
        if pending > self.max_value {
            return Err(self.oversized(pending));
        }
        // The scan only finds where a value ends; serde says whether what is there so
        // far is valid JSON. Asking only when the value has doubled keeps a large value
        // arriving in small pieces linear while garbage is still caught early.
        // Only objects, arrays and strings are checked early: a bare number or literal
        // is short (it ends at the next delimiter) and is parsed whole then; checked
        // unfinished, `2.` or `-` would look malformed.
        let nested = matches!(self.buf.first(), Some(b'{' | b'[' | b'"'));
        if nested && (eof || pending >= self.scan.probed_len.saturating_mul(2)) {
            self.scan.probed_len = pending;
            #[cfg(test)]
            {
                self.work += pending;
            }
            let mut values =
                serde_json::Deserializer::from_slice(&self.buf).into_iter::<IgnoredAny>();
            if let Some(Err(e)) = values.next()
                && !e.is_eof()
                && !cut_short(&self.buf)
            {
                return Err(self.fail(malformed(&e, &self.buf)));
            }
        }
        if eof {
            // The last word on an unfinished value: a full parse, which (unlike the quick
            // check above) validates the UTF-8 of strings. A value that is malformed as
            // far as it goes is a Decode error, as when it arrives in pieces and a check
            // on a prefix catches it; only a well-formed but cut-off value is Protocol.
            if let Some(Err(e)) = serde_json::Deserializer::from_slice(&self.buf)
                .into_iter::<Value>()
                .next()
                && !e.is_eof()
            {
                return Err(self.fail(malformed(&e, &self.buf)));
            }
            return Err(self.fail(Error::Protocol(format!(
                "stream ended inside a JSON object: {pending} bytes of an unfinished value \
                 at EOF, starting {}",
                excerpt(&self.buf)
            ))));
        }
        Ok(None)
    }
}

impl Default for JsonStreamDecoder {
    fn default() -> JsonStreamDecoder {
        JsonStreamDecoder::new()
    }
}

impl Decoder for JsonStreamDecoder {
    type Item = Value;

    fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    fn next(&mut self) -> Result<Option<Value>> {
        self.decode(false)
    }

    fn finish(&mut self) -> Result<Option<Value>> {
        self.decode(true)
    }
}

impl Scan {
    /// The end of the value starting at `bytes[0]`, scanning from `self.pos` on.
    fn find_end(&mut self, bytes: &[u8], eof: bool) -> Option<usize> {
        if matches!(bytes.first(), Some(b'{' | b'[' | b'"')) {
            return self.find_nested_end(bytes);
        }
        // A number or literal ends where something else starts.
        let from = self.pos;
        match bytes[from..]
            .iter()
            .position(|&b| is_whitespace(b) || b"{}[]\",".contains(&b))
        {
            Some(i) => Some(from + i),
            None => {
                self.pos = bytes.len();
                eof.then_some(bytes.len())
            }
        }
    }

    /// The end of an object, array or string: brackets outside strings are counted.
    fn find_nested_end(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut i = self.pos;
        while i < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else {
                    // Skip ordinary string bytes in one go.
                    match bytes[i..].iter().position(|&b| b == b'"' || b == b'\\') {
                        None => break,
                        Some(j) => i += j,
                    }
                    if bytes[i] == b'\\' {
                        self.escaped = true;
                    } else {
                        self.in_string = false;
                        if self.depth == 0 {
                            return Some(i + 1);
                        }
                    }
                }
            } else {
                match bytes[i] {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        self.pos = bytes.len();
        None
    }
}

/// True when `bytes` is the valid beginning of a JSON value. Asked only after the
/// fast check (serde skipping the value as `IgnoredAny`) failed: that path reads EOF
/// right after the `-`, `.` or `e` of a number as an invalid number, where parsing the
/// value says, correctly, that it was cut short.
fn cut_short(bytes: &[u8]) -> bool {
    matches!(
        serde_json::Deserializer::from_slice(bytes)
            .into_iter::<Value>()
            .next(),
        Some(Err(e)) if e.is_eof()
    )
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn starts_value(b: u8) -> bool {
    matches!(
        b,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

/// The daemon's error report inside a stream, if `value` is one.
fn stream_error(value: &Value) -> Option<Error> {
    let object = value.as_object()?;
    let error = object.get("error").and_then(Value::as_str);
    let detail = object.get("errorDetail").and_then(Value::as_object);
    if error.is_none() && detail.is_none() {
        return None;
    }
    let detail_message = detail
        .and_then(|d| d.get("message"))
        .and_then(Value::as_str);
    let message = match (error, detail_message) {
        (Some(m), _) if !m.is_empty() => m.to_owned(),
        (_, Some(m)) => m.to_owned(),
        (Some(m), None) => m.to_owned(),
        (None, None) => format!(
            "the daemon reported an error without a message: {}",
            object.get("errorDetail").unwrap_or(&Value::Null)
        ),
    };
    let code = detail.and_then(|d| d.get("code")).and_then(Value::as_i64);
    Some(Error::Stream { message, code })
}

fn malformed(e: &serde_json::Error, bytes: &[u8]) -> Error {
    Error::Decode(format!("JSON stream: {e} in {}", excerpt(bytes)))
}

fn too_large(len: usize, max: usize) -> Error {
    Error::Protocol(format!(
        "JSON stream: a single value of at least {len} bytes exceeds the {max}-byte limit; raise it \
         with JsonStreamDecoder::with_max_value if the daemon really sends values this large"
    ))
}

/// The first bytes of `bytes`, quoted, for error messages.
fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 64;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]);
    if bytes.len() > MAX {
        format!("{text:?}…")
    } else {
        format!("{text:?}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Everything the decoder yields until it needs more bytes or fails.
    fn drain(d: &mut JsonStreamDecoder) -> Vec<Result<Value>> {
        let mut out = Vec::new();
        loop {
            match d.next() {
                Ok(Some(v)) => out.push(Ok(v)),
                Ok(None) => return out,
                Err(e) => {
                    let stop = !matches!(e, Error::Stream { .. });
                    out.push(Err(e));
                    if stop {
                        return out;
                    }
                }
            }
        }
    }

    /// Everything the decoder yields for `input` pushed whole, through `finish`.
    fn values(input: &[u8]) -> Vec<Result<Value>> {
        let mut d = JsonStreamDecoder::new();
        d.push(input);
        let mut out = drain(&mut d);
        if matches!(out.last(), Some(Err(e)) if !matches!(e, Error::Stream { .. })) {
            return out;
        }
        loop {
            match d.finish() {
                Ok(None) => return out,
                Ok(Some(v)) => out.push(Ok(v)),
                Err(e) => {
                    let stop = !matches!(e, Error::Stream { .. });
                    out.push(Err(e));
                    if stop {
                        return out;
                    }
                }
            }
        }
    }

    #[test]
    fn newline_crlf_concatenated_and_spaced_values() {
        let want = vec![
            Ok(json!({"a": 1})),
            Ok(json!({"b": [2]})),
            Ok(json!({"c": "}"})),
        ];
        for input in [
            &b"{\"a\":1}\n{\"b\":[2]}\n{\"c\":\"}\"}\n"[..],
            b"{\"a\":1}\r\n{\"b\":[2]}\r\n{\"c\":\"}\"}\r\n",
            b"{\"a\":1}{\"b\":[2]}{\"c\":\"}\"}",
            b"  \r\n{\"a\":1} \t {\"b\":[2]}\n\n\r\n{\"c\":\"}\"}   ",
        ] {
            assert_eq!(values(input), want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn object_split_across_many_pushes() {
        let input =
            br#"{"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"x\"}{"}"#;
        for size in 1..input.len() {
            let mut d = JsonStreamDecoder::new();
            let mut got = Vec::new();
            for piece in input.chunks(size) {
                d.push(piece);
                got.extend(drain(&mut d));
            }
            assert_eq!(
                got,
                vec![Ok(
                    json!({"status": "Downloading", "progressDetail": {"current": 1, "total": 2}, "id": "x\"}{"})
                )],
                "pieces of {size}"
            );
            assert_eq!(d.finish(), Ok(None));
        }
    }

    #[test]
    fn value_is_yielded_before_its_newline_arrives() {
        let mut d = JsonStreamDecoder::new();
        d.push(b"{\"a\":");
        assert_eq!(d.next(), Ok(None));
        d.push(b"1}");
        assert_eq!(d.next(), Ok(Some(json!({"a": 1}))));
        d.push(b"\r");
        assert_eq!(d.next(), Ok(None));
        d.push(b"\n");
        assert_eq!(d.finish(), Ok(None));
    }

    #[test]
    fn scalars_and_arrays_at_top_level() {
        assert_eq!(
            values(b"[1,2] \"s\" 12 true null -0.5"),
            vec![
                Ok(json!([1, 2])),
                Ok(json!("s")),
                Ok(json!(12)),
                Ok(json!(true)),
                Ok(Value::Null),
                Ok(json!(-0.5)),
            ]
        );
        let mut d = JsonStreamDecoder::new();
        d.push(b"12");
        assert_eq!(d.next(), Ok(None), "more digits may follow");
        d.push(b"3");
        assert_eq!(d.finish(), Ok(Some(json!(123))));
    }

    #[test]
    fn error_and_error_detail_become_stream_errors() {
        let got = values(
            br#"{"status":"ok"}
{"errorDetail":{"code":3,"message":"detail text"},"error":"top text"}
{"errorDetail":{"message":"only detail"}}
{"error":"only error"}
{"error":"","errorDetail":{"message":"empty error"}}
{"errorDetail":{"code":1}}
{"error":null,"status":"fine"}
"#,
        );
        let stream = |m: &str, code| {
            Err(Error::Stream {
                message: m.into(),
                code,
            })
        };
        assert_eq!(
            got,
            vec![
                Ok(json!({"status": "ok"})),
                stream("top text", Some(3)),
                stream("only detail", None),
                stream("only error", None),
                stream("empty error", None),
                stream(
                    "the daemon reported an error without a message: {\"code\":1}",
                    Some(1)
                ),
                Ok(json!({"error": null, "status": "fine"})),
            ]
        );
    }

    #[test]
    fn garbage_is_a_sticky_decode_error() {
        for input in [
            &b"hello\n"[..],
            b"{\"a\":1}\n<html>",
            b"{\"a\": nope}\n",
            b"{\"a\":1]\n",
            b"}",
            b"nul\n",
            b"1x ",
        ] {
            let got = values(input);
            let last = got.last().expect("something");
            assert!(
                matches!(last, Err(Error::Decode(_))),
                "{:?}: {got:?}",
                String::from_utf8_lossy(input)
            );
        }
        let mut d = JsonStreamDecoder::new();
        d.push(b"{\"a\": nope");
        let e = d.next().expect_err("caught before the object ends");
        assert!(matches!(&e, Error::Decode(m) if m.contains("nope")), "{e}");
        d.push(b"}\n{}");
        assert_eq!(d.next(), Err(e.clone()));
        assert_eq!(d.finish(), Err(e));
    }

    #[test]
    fn partial_value_at_eof_is_a_protocol_error() {
        for input in [&b"{\"a\":1}\n{\"b\":"[..], b"[1,", b"\"abc", b"{\"s\":\"\\"] {
            let got = values(input);
            let last = got.last().expect("something");
            assert!(
                matches!(last, Err(Error::Protocol(m)) if m.starts_with("stream ended inside a JSON object")),
                "{:?}: {got:?}",
                String::from_utf8_lossy(input)
            );
        }
        assert_eq!(values(b"  \r\n\t"), vec![]);
        assert_eq!(values(b""), vec![]);
    }

    #[test]
    fn invalid_utf8_is_a_decode_error_not_a_panic() {
        for input in [
            &b"{\"a\":\"\xff\"}\n"[..],
            b"\xff\xfe{}",
            b"{\"a\xc3\":1}",
            b"{\"a\":\"\xed\xa0\x80\"}",
        ] {
            let got = values(input);
            assert!(
                matches!(got.last(), Some(Err(Error::Decode(_)))),
                "{input:?}: {got:?}"
            );
        }
        // A valid multi-byte character split across pushes is fine.
        let mut d = JsonStreamDecoder::new();
        d.push(b"{\"a\":\"\xc3");
        assert_eq!(d.next(), Ok(None));
        d.push(b"\xa9\"}");
        assert_eq!(d.next(), Ok(Some(json!({"a": "é"}))));
    }

    #[test]
    fn size_cap_applies_to_complete_and_pending_values() {
        let mut d = JsonStreamDecoder::with_max_value(16);
        assert_eq!(d.max_value(), 16);
        d.push(b"{\"a\":\"0123456789\"}"); // 18 bytes, complete
        assert!(matches!(d.next(), Err(Error::Protocol(m)) if m.contains("16-byte limit")));

        let mut d = JsonStreamDecoder::with_max_value(16);
        d.push(b"{\"a\":\"01234567\"} ");
        assert_eq!(d.next(), Ok(Some(json!({"a": "01234567"}))), "exactly 16");
        d.push(b"{\"a\":\"0123456789abcdef");
        assert!(
            matches!(d.next(), Err(Error::Protocol(_))),
            "pending past the cap"
        );
        assert_eq!(JsonStreamDecoder::default().max_value(), 64 << 20);
    }

    #[test]
    fn one_byte_pushes_of_a_large_value_stay_linear() {
        let mut input = b"{\"list\":[".to_vec();
        for i in 0..20_000 {
            input.extend_from_slice(format!("{{\"n\":{i},\"s\":\"a\\\"b{{\"}},").as_bytes());
        }
        input.extend_from_slice(b"0]}\n");
        let mut d = JsonStreamDecoder::new();
        let mut got = Vec::new();
        for &b in &input {
            d.push(&[b]);
            got.extend(drain(&mut d));
        }
        assert!(
            d.work <= 4 * input.len(),
            "{} bytes of work for {} bytes of input",
            d.work,
            input.len()
        );
        assert_eq!(d.finish(), Ok(None));
        let [Ok(v)] = &got[..] else {
            panic!("one value expected, got {} items", got.len());
        };
        assert_eq!(v["list"].as_array().map(Vec::len), Some(20_001));
        assert_eq!(v["list"][7], json!({"n": 7, "s": "a\"b{"}));
    }

    /// Found by the `json_lines` fuzz target (CI smoke): an unfinished object whose key
    /// is invalid UTF-8 was Protocol ("ended inside a value") when pushed whole — the
    /// quick check skips strings unvalidated — but Decode when a cut after `8e` made the
    /// prefix check parse it fully.
    #[test]
    fn unfinished_value_with_invalid_utf8_is_the_same_error_however_split() {
        let mut body = b"{\"".to_vec();
        body.extend_from_slice(&[0xc4; 37]);
        body.extend_from_slice(b"`a\":8e88");
        let run = |chunks: &[&[u8]]| {
            let mut d = JsonStreamDecoder::new();
            for c in chunks {
                d.push(c);
                if let Err(e) = d.next() {
                    return e;
                }
            }
            match d.finish() {
                Err(e) => e,
                Ok(v) => panic!("expected an error, got {v:?}"),
            }
        };
        let whole = run(&[&body]);
        assert!(matches!(whole, Error::Decode(_)), "{whole:?}");
        for cut in 1..body.len() {
            let (a, b) = body.split_at(cut);
            let split = run(&[a, b]);
            assert!(matches!(split, Error::Decode(_)), "cut at {cut}: {split:?}");
        }
    }

    /// Found by the `json_lines` fuzz target: a value both malformed (a raw control
    /// byte inside a string) and longer than the cap was a `Protocol` error when pushed
    /// whole but a `Decode` error when pushed byte by byte.
    #[test]
    fn malformed_oversized_value_is_the_same_error_however_split() {
        let mut body = br#"{"status":"Downloading","progre"#.to_vec();
        body.extend_from_slice(&[0; 70]);
        body.extend_from_slice(br#"Detail":{}}"#);
        let whole = {
            let mut d = JsonStreamDecoder::with_max_value(100);
            d.push(&body);
            d.next()
        };
        let bytewise = {
            let mut d = JsonStreamDecoder::with_max_value(100);
            let mut r = Ok(None);
            for b in &body {
                d.push(std::slice::from_ref(b));
                r = d.next();
                if r.is_err() {
                    break;
                }
            }
            r
        };
        assert!(matches!(whole, Err(Error::Decode(_))), "{whole:?}");
        assert!(matches!(bytewise, Err(Error::Decode(_))), "{bytewise:?}");
        // Well-formed but too long stays a Protocol error.
        let mut d = JsonStreamDecoder::with_max_value(10);
        d.push(br#"{"status":"Downloading"}"#);
        assert!(matches!(d.next(), Err(Error::Protocol(_))));
    }

    /// Found by the `json_lines` fuzz target (10-minute run): an invalid UTF-8 string
    /// then a number, in a value over the cap, was Protocol whole but Decode when the
    /// first piece ended after the number's `e`.
    #[test]
    fn invalid_utf8_in_an_oversized_value_is_decode_however_split() {
        let body: &[u8] =
            b"{\"\xf1\":8e888ll[C\xff\xff\xff\xff\xff\xff\x00\x00\x00\x8f\xfe\xe8\xf8\x87";
        for cuts in [vec![], vec![7, 15, 26], (1..body.len()).collect::<Vec<_>>()] {
            let mut d = JsonStreamDecoder::with_max_value(8);
            let mut from = 0;
            let mut r = Ok(None);
            for c in cuts.iter().copied().chain([body.len()]) {
                d.push(&body[from..c]);
                from = c;
                r = d.next();
                if r.is_err() {
                    break;
                }
            }
            assert!(matches!(r, Err(Error::Decode(_))), "cuts {cuts:?}: {r:?}");
        }
    }

    /// Found by the `json_lines` fuzz target: a number split right after its sign
    /// (`-` now, `2` in the next push) was a `Decode` error, because serde_json's
    /// skip-a-value path reads EOF after `-`, `.` or `e` as an invalid number.
    #[test]
    fn numbers_split_after_sign_point_or_exponent_are_incomplete_not_malformed() {
        for (first, rest) in [
            ("-", "2 "),
            ("2.", "7\"x\""),
            ("{\"a\":-", "1}"),
            ("[1.", "5]"),
            ("{\"a\":1e", "3}"),
            ("[1.5e+", "2]"),
        ] {
            let mut d = JsonStreamDecoder::new();
            d.push(first.as_bytes());
            assert_eq!(d.next(), Ok(None), "{first:?} is a valid beginning");
            d.push(rest.as_bytes());
            let v = d.next();
            assert!(matches!(v, Ok(Some(_))), "{first:?}{rest:?}: {v:?}");
        }
        let mut d = JsonStreamDecoder::new();
        d.push(b"{\"a\":-x");
        assert!(matches!(d.next(), Err(Error::Decode(_))), "still malformed");
    }
}
