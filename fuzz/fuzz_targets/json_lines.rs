//! The JSON-lines / concatenated-JSON decoder (`JsonStreamDecoder`): fed whole, split at
//! fuzzer-chosen offsets and byte by byte it gives the same values; where serde_json's
//! own stream reader reads the whole body as self-delimiting values (objects, arrays,
//! strings), the decoder yields exactly those values (the daemon's error reports as
//! `Error::Stream`).
//!
//! Input: byte 0 picks the value-size cap, bytes 1..7 three cut offsets, the rest is
//! the body.
#![no_main]

use berth_core::Error;
use berth_core::stream::{Decoder, JsonStreamDecoder};
use berth_fuzz::{Pulled, cuts_from, feed, split_at};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const CAPS: [usize; 5] = [JsonStreamDecoder::DEFAULT_MAX_VALUE, 1, 8, 100, 4096];

fuzz_target!(|data: &[u8]| {
    if data.len() < 7 {
        return;
    }
    let cap = CAPS[usize::from(data[0]) % CAPS.len()];
    let body = &data[7..];
    let whole = feed(JsonStreamDecoder::with_max_value(cap), &[body]);
    let split = feed(
        JsonStreamDecoder::with_max_value(cap),
        &split_at(body, &cuts_from(&data[1..7], body.len())),
    );
    assert_eq!(whole, split, "split changed the result");
    if body.len() <= 512 {
        let bytewise: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(
            whole,
            feed(JsonStreamDecoder::with_max_value(cap), &bytewise),
            "byte-by-byte feeding changed the result"
        );
    }

    if cap == JsonStreamDecoder::DEFAULT_MAX_VALUE
        && let Some(expected) = serde_reading(body)
    {
        assert_eq!(whole, expected, "differs from serde_json's stream reader");
    }
});

/// What serde_json's stream reader makes of `body`, when every value is an object,
/// array or string (these need no delimiter) and the whole body is read.
fn serde_reading(body: &[u8]) -> Option<Vec<Pulled<Value>>> {
    let mut out = Vec::new();
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    let mut start = 0;
    while let Some(v) = values.next() {
        let v = v.ok()?;
        if !(v.is_object() || v.is_array() || v.is_string()) {
            return None;
        }
        // Run the value's own bytes through the decoder alone to learn how the daemon's
        // error reports map. Its bytes, not a re-serialisation: serde_json does not parse
        // floats round-trip exactly (a 72-digit integer read as 1.5099999999999999e71
        // prints as that and reads back as 1.51e71).
        let end = values.byte_offset();
        let mut one = JsonStreamDecoder::new();
        one.push(body.get(start..end)?);
        start = end;
        out.push(match one.next() {
            Ok(Some(v)) => Pulled::Item(v),
            Err(Error::Stream { message, code }) => Pulled::Stream(message, code),
            _ => return None,
        });
    }
    Some(out)
}
