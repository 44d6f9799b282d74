//! berth's HTTP/1 codec (`berth_core::http1`): a response head and body fed whole and
//! split at fuzzer-chosen offsets give the same head, the same body bytes and the same
//! verdict (complete, cut off, malformed). Body data is never invented: it is a
//! subsequence of the input.
//!
//! Input: bytes 0..4 two cut offsets, the rest is the daemon's answer.
#![no_main]

use berth_core::http1::{BodyDecoder, decode_response_head};
use berth_fuzz::{cuts_from, split_at};
use bytes::BytesMut;
use http::Method;
use libfuzzer_sys::fuzz_target;

/// What reading `pieces` as one answer gives: the status and framing, the body, and
/// how it ended (`None`: complete; else the error, or "eof" when cut off).
fn read(pieces: &[&[u8]]) -> (Option<(u16, String)>, Vec<u8>, Option<String>) {
    let mut buf = BytesMut::new();
    let mut head = None;
    let mut decoder: Option<BodyDecoder> = None;
    let mut body = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        if decoder.is_none() {
            match decode_response_head(&mut buf, &Method::GET) {
                Ok(Some(h)) => {
                    head = Some((h.status.as_u16(), format!("{:?}", h.framing)));
                    decoder = Some(BodyDecoder::new(h.framing));
                }
                Ok(None) => continue,
                Err(e) => return (head, body, Some(kind(&e))),
            }
        }
        let Some(d) = decoder.as_mut() else { continue };
        loop {
            match d.decode(&mut buf) {
                Ok(Some(data)) => {
                    assert!(!data.is_empty(), "empty data chunk");
                    body.extend_from_slice(&data);
                }
                Ok(None) if d.is_done() => return (head, body, None),
                Ok(None) => break,
                Err(e) => return (head, body, Some(kind(&e))),
            }
        }
    }
    let end = match decoder.as_mut() {
        Some(d) => d.eof().err().map(|e| format!("eof: {}", kind(&e))),
        None => Some("eof in head".to_owned()),
    };
    (head, body, end)
}

/// The error's category (messages quote the bytes seen so far, which differ by split).
fn kind(e: &berth_core::Error) -> String {
    format!("{:?}", e.category())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let answer = &data[4..];
    let whole = read(&[answer]);
    let split = read(&split_at(answer, &cuts_from(&data[..4], answer.len())));
    assert_eq!(whole, split, "splitting the input changed the result");
    assert!(whole.1.len() <= answer.len(), "more body than input");
});
