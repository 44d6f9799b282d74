//! The multiplexed-stream demuxer (`MuxDecoder`) against a simple reference decoder,
//! fed whole and split at fuzzer-chosen offsets.
//!
//! Input: byte 0 picks the frame-size cap, bytes 1..5 two cut offsets, the rest is
//! the stream body.
#![no_main]

use berth_core::Category;
use berth_core::stream::{Frame, MuxDecoder, StreamKind};
use berth_fuzz::{Pulled, cuts_from, feed, split_at};
use libfuzzer_sys::fuzz_target;

const CAPS: [usize; 6] = [MuxDecoder::DEFAULT_MAX_FRAME, 0, 1, 7, 64, 4096];

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let cap = CAPS[usize::from(data[0]) % CAPS.len()];
    let body = &data[5..];
    let whole = feed(MuxDecoder::with_max_frame(cap), &[body]);

    // However the body is split, the same frames and errors come out.
    let split = feed(
        MuxDecoder::with_max_frame(cap),
        &split_at(body, &cuts_from(&data[1..5], body.len())),
    );
    assert_eq!(whole, split, "split changed the result");
    let bytewise: Vec<&[u8]> = body.chunks(1).collect();
    if body.len() <= 512 {
        assert_eq!(whole, feed(MuxDecoder::with_max_frame(cap), &bytewise));
    }

    // Frames are never empty and never hold more than came in.
    let mut out = 0usize;
    for p in &whole {
        if let Pulled::Item(f) = p {
            assert!(!f.data.is_empty(), "empty frame");
            assert!(f.data.len() <= cap, "frame larger than the cap");
            out += f.data.len() + 8;
        }
    }
    assert!(
        out <= body.len(),
        "more bytes out ({out}) than in ({})",
        body.len()
    );

    assert_eq!(
        whole,
        reference(body, cap),
        "differs from the reference decoder"
    );
});

/// The format as documented, decoded the obvious way.
fn reference(mut body: &[u8], cap: usize) -> Vec<Pulled<Frame>> {
    let mut out = Vec::new();
    loop {
        if body.is_empty() {
            return out;
        }
        if body.len() < 8 {
            out.push(Pulled::Failed(Category::Protocol));
            return out;
        }
        let (h, rest) = body.split_at(8);
        if h[1..4] != [0, 0, 0] || h[0] > 3 {
            out.push(Pulled::Failed(Category::Protocol));
            return out;
        }
        let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
        if len > cap {
            out.push(Pulled::Failed(Category::Protocol));
            return out;
        }
        if rest.len() < len {
            out.push(Pulled::Failed(Category::Protocol));
            return out;
        }
        let (payload, rest) = rest.split_at(len);
        body = rest;
        if len == 0 {
            continue;
        }
        match StreamKind::from_u8(h[0]) {
            Some(stream) => out.push(Pulled::Item(Frame {
                stream,
                data: bytes::Bytes::copy_from_slice(payload),
            })),
            None => out.push(Pulled::Stream(
                String::from_utf8_lossy(payload).into_owned(),
                None,
            )),
        }
    }
}
