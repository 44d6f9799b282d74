//! Container output as the client reads it (`OutputDecoder::for_response`): the
//! Content-Type / TTY choice, then raw TTY bytes (which must come out exactly as they
//! went in, however split) or multiplexed frames (whole and split agree).
//!
//! Input: byte 0 picks the Content-Type and TTY flag, bytes 1..5 two cut offsets,
//! the rest is the body.
#![no_main]

use berth_core::stream::{MULTIPLEXED_STREAM, OutputDecoder, RAW_STREAM, StreamKind};
use berth_fuzz::{Pulled, cuts_from, feed, split_at};
use libfuzzer_sys::fuzz_target;

const TYPES: [Option<&str>; 5] = [
    None,
    Some(RAW_STREAM),
    Some(MULTIPLEXED_STREAM),
    Some("application/vnd.docker.raw-stream; charset=utf-8"),
    Some("text/plain"),
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let content_type = TYPES[usize::from(data[0] >> 1) % TYPES.len()];
    let tty = data[0] & 1 == 1;
    let body = &data[5..];
    let make = || OutputDecoder::for_response(content_type, tty);
    let pieces = split_at(body, &cuts_from(&data[1..5], body.len()));
    let whole = feed(make(), &[body]);
    let split = feed(make(), &pieces);
    if make().is_multiplexed() {
        assert_eq!(whole, split, "split changed the frames");
        return;
    }
    // Raw: never an error, everything stdout, the bytes exactly as pushed, one frame
    // per non-empty push (never held back waiting for more).
    for items in [&whole, &split] {
        let mut out = Vec::new();
        for p in items.iter() {
            match p {
                Pulled::Item(f) => {
                    assert_eq!(f.stream, StreamKind::Stdout);
                    assert!(!f.data.is_empty());
                    out.extend_from_slice(&f.data);
                }
                other => panic!("raw output failed: {other:?}"),
            }
        }
        assert_eq!(out, body);
    }
    assert_eq!(split.len(), pieces.iter().filter(|p| !p.is_empty()).count());
});
