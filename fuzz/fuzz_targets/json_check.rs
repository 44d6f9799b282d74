//! The quick JSON check at arrival (`berth_core::json::check`), which lets inspect and
//! list answers be kept as bytes and decoded later: whatever it accepts, serde_json
//! parses into a `Value` (a later decode cannot fail, nothing is lost), with the same
//! top-level `Id`/`ID` strings and array items; and whatever serde_json parses it
//! accepts too, except the documents it leaves to serde_json by design (`\u` escapes of
//! surrogates, nesting past `MAX_DEPTH`, numbers near `f64`'s range, serde_json's private
//! tokens as a first key) — here, coarsely: any `\u`, more than `MAX_DEPTH` opening
//! brackets, an exponent, a long digit run, or `$serde_json::private::`.
//!
//! Input: the document.
#![no_main]

use berth_core::json::{MAX_DEPTH, Shape, check};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn string(doc: &[u8], r: Option<std::ops::Range<usize>>) -> Option<String> {
    r.map(|r| serde_json::from_slice(&doc[r]).expect("an accepted string token parses"))
}

/// What only serde_json judges, over-approximated from the bytes.
fn maybe_left_to_serde(doc: &[u8]) -> bool {
    let brackets = doc.iter().filter(|&&b| b == b'[' || b == b'{').count();
    let long_digits = doc
        .split(|b| !b.is_ascii_digit())
        .any(|run| run.len() > 250);
    brackets > MAX_DEPTH
        || long_digits
        || doc.windows(2).any(|w| w == b"\\u")
        || doc.iter().any(|&b| b == b'e' || b == b'E')
        || doc.windows(21).any(|w| w == b"$serde_json::private:")
}

fuzz_target!(|doc: &[u8]| {
    let checked = check(doc);
    let parsed = serde_json::from_slice::<Value>(doc);
    let Some(shape) = checked else {
        if parsed.is_ok() {
            assert!(maybe_left_to_serde(doc), "valid JSON refused");
        }
        return;
    };
    let value = parsed.expect("serde_json parses what check accepts");
    match (shape, &value) {
        (Shape::Object { id, upper_id }, Value::Object(m)) => {
            let field = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
            assert_eq!(string(doc, id), field("Id"));
            assert_eq!(string(doc, upper_id), field("ID"));
        }
        (Shape::Array(items), Value::Array(elements)) => {
            assert_eq!(items.len(), elements.len());
            for (r, e) in items.into_iter().zip(elements) {
                let item: Value = serde_json::from_slice(&doc[r]).expect("an item parses");
                assert_eq!(&item, e);
            }
        }
        (Shape::Scalar, v) => assert!(!v.is_object() && !v.is_array()),
        (shape, v) => panic!("{shape:?} for {v}"),
    }
});
