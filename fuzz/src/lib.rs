//! Helpers shared by berth's fuzz targets: feeding a push decoder the way the transport
//! does, and comparing results.

use berth_core::stream::Decoder;
use berth_core::{Category, Error};

/// One pulled result: an item, or an error reduced to what must not depend on how the
/// input was split (its category, and the message for errors the daemon reported).
#[derive(Debug, Clone, PartialEq)]
pub enum Pulled<T> {
    /// An item.
    Item(T),
    /// `Error::Stream`: the daemon's report, compared verbatim.
    Stream(String, Option<i64>),
    /// Any other error, by category.
    Failed(Category),
}

fn pulled_err<T>(e: &Error) -> Pulled<T> {
    match e {
        Error::Stream { message, code } => Pulled::Stream(message.clone(), *code),
        other => Pulled::Failed(other.category()),
    }
}

/// Feeds `pieces` to `d` as the transport does — push a piece, pull until "need more
/// bytes" — then finishes. Stops at the first error that is not a daemon-reported
/// stream error (the decoder stays failed after it).
///
/// Panics when a decoder yields more items than there are input bytes plus one per
/// call (it would be looping without consuming input).
pub fn feed<D: Decoder>(mut d: D, pieces: &[&[u8]]) -> Vec<Pulled<D::Item>> {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let bound = total + pieces.len() + 16;
    let mut out = Vec::new();
    for piece in pieces {
        d.push(piece);
        loop {
            assert!(
                out.len() <= bound,
                "decoder yields items without consuming input"
            );
            match d.next() {
                Ok(Some(item)) => out.push(Pulled::Item(item)),
                Ok(None) => break,
                Err(e) => {
                    let stop = !matches!(e, Error::Stream { .. });
                    out.push(pulled_err(&e));
                    if stop {
                        return out;
                    }
                }
            }
        }
    }
    loop {
        assert!(out.len() <= bound, "finish yields items without end");
        match d.finish() {
            Ok(Some(item)) => out.push(Pulled::Item(item)),
            Ok(None) => return out,
            Err(e) => {
                out.push(pulled_err(&e));
                return out;
            }
        }
    }
}

/// Splits `body` at the given offsets (clamped, sorted, deduplicated).
pub fn split_at<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(body.len())).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::new();
    let mut from = 0;
    for c in cuts {
        pieces.push(&body[from..c]);
        from = c;
    }
    pieces.push(&body[from..]);
    pieces
}

/// Cut offsets into a body of `len` bytes taken from `seed` bytes.
pub fn cuts_from(seed: &[u8], len: usize) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    seed.chunks(2)
        .map(|c| {
            let v = c.iter().fold(0usize, |acc, &b| acc << 8 | usize::from(b));
            v % (len + 1)
        })
        .collect()
}
