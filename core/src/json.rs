//! A quick check that bytes are one JSON document, noting its top-level parts.
//!
//! The answers read most often (container inspect and list) are kept as the daemon's
//! bytes and decoded on first use, so they are checked when they arrive: a later decode
//! must not fail. [`check`] does that at a few instructions per byte — strings, most of
//! an Engine answer, are skipped eight bytes at a time, UTF-8 is checked once for the
//! whole body — where serde_json's validating pass costs over ten, and notes the
//! top-level `Id`/`ID` strings or array items on the way.
//!
//! It answers `Some` only for documents `serde_json` parses into a `Value`. Where that
//! is not certain without doing serde_json's work — a number within a few orders of
//! magnitude of `f64`'s range (serde_json refuses to round to infinity), nesting deeper
//! than [`MAX_DEPTH`], a `\u` escape of a surrogate (serde_json pairs them up), an
//! object whose first key is one of serde_json's private tokens (it reads
//! `{"$serde_json::private::RawValue":"[1]"}` as `[1]`) — it answers `None`, as for bad
//! JSON, and the caller asks serde_json (which also words the error). The fuzz target
//! `json_check` holds it to that.

use std::ops::Range;

/// The deepest nesting [`check`] accepts (serde_json's own limit is 127).
pub const MAX_DEPTH: usize = 100;

/// A number whose integer digits plus exponent exceed this may be near `f64::MAX`
/// (about 1.8e308), which serde_json refuses.
const MAX_MAGNITUDE: usize = 300;

/// What a checked document is, with its top-level parts as ranges of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// An object. `id` and `upper_id` are the string tokens (quotes included) of its
    /// top-level `"Id"` and `"ID"` fields, when those hold strings; for a repeated key
    /// the last one counts, as in serde_json's `Value`.
    Object {
        /// The `"Id"` field's string token.
        id: Option<Range<usize>>,
        /// The `"ID"` field's string token (swarm objects).
        upper_id: Option<Range<usize>>,
    },
    /// An array, with each item's bytes (no surrounding whitespace).
    Array(Vec<Range<usize>>),
    /// A string, number, `true`, `false` or `null`.
    Scalar,
}

/// Which top-level key the value being read belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TopKey {
    Id,
    UpperId,
    Other,
}

/// `Some` with the document's shape when `doc` is one JSON document (whitespace around
/// it allowed) that serde_json parses into a `Value`; `None` when it is not, or when
/// only serde_json can tell (see the module docs).
pub fn check(doc: &[u8]) -> Option<Shape> {
    // Outside strings only ASCII is valid JSON, so checking the whole body once is
    // the same as checking every string.
    std::str::from_utf8(doc).ok()?;
    let b = doc;
    let mut i = skip_ws(b, 0);
    let mut shape = match b.get(i)? {
        b'{' => Shape::Object {
            id: None,
            upper_id: None,
        },
        b'[' => Shape::Array(Vec::new()),
        _ => Shape::Scalar,
    };
    // Bit k is set when the container k levels up from the innermost is an array.
    let mut arrays: u128 = 0;
    let mut depth = 0usize;
    let mut top_key = TopKey::Other;
    // Where the value being read began, for values directly inside the top level.
    let mut item_start = 0;
    loop {
        // A value starts at `i`, inside the container at `depth` (0: the document).
        if depth == 1 {
            item_start = i;
        }
        match *b.get(i)? {
            b'"' => i = string(b, i + 1)?.0,
            open @ (b'{' | b'[') => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                let is_array = open == b'[';
                arrays = arrays << 1 | u128::from(is_array);
                i = skip_ws(b, i + 1);
                let close = if is_array { b']' } else { b'}' };
                if b.get(i) == Some(&close) {
                    // Empty: the container is the value that just ended.
                    depth -= 1;
                    arrays >>= 1;
                    i += 1;
                } else if is_array {
                    continue;
                } else {
                    i = key(b, i, depth, true, &mut top_key, &mut shape)?;
                    continue;
                }
            }
            b't' => i = literal(b, i, b"true")?,
            b'f' => i = literal(b, i, b"false")?,
            b'n' => i = literal(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number(b, i)?,
            _ => return None,
        }
        // A value ended at `i`: note it, close containers, find where the next begins.
        loop {
            if depth == 1 {
                match &mut shape {
                    Shape::Array(items) => items.push(item_start..i),
                    Shape::Object { id, upper_id } if b[item_start] == b'"' => match top_key {
                        TopKey::Id => *id = Some(item_start..i),
                        TopKey::UpperId => *upper_id = Some(item_start..i),
                        TopKey::Other => {}
                    },
                    _ => {}
                }
            }
            if depth == 0 {
                return (skip_ws(b, i) == b.len()).then_some(shape);
            }
            i = skip_ws(b, i);
            let in_array = arrays & 1 == 1;
            match (*b.get(i)?, in_array) {
                (b',', true) => {
                    i = skip_ws(b, i + 1);
                    break;
                }
                (b',', false) => {
                    i = key(b, skip_ws(b, i + 1), depth, false, &mut top_key, &mut shape)?;
                    break;
                }
                (b']', true) | (b'}', false) => {
                    i += 1;
                    depth -= 1;
                    arrays >>= 1;
                }
                _ => return None,
            }
        }
    }
}

// The helpers below are inlined into `check`'s loop: as calls, their prologues and
// spilled registers cost as much as their work (keys and strings are short).

/// Reads an object key at `i` and the colon after it; returns where its value starts.
/// Top-level keys are matched against `Id` and `ID` (a new value for either forgets the
/// last one). An object whose first key is one of serde_json's private tokens is left
/// to serde_json: it reads `{"$serde_json::private::RawValue":"[1]"}` as `[1]`.
#[inline(always)]
fn key(
    b: &[u8],
    i: usize,
    depth: usize,
    first: bool,
    top_key: &mut TopKey,
    shape: &mut Shape,
) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let (end, escaped) = string(b, i + 1)?;
    if escaped && (first || depth == 1) {
        // Written with escapes (rare): decoded to compare.
        let name = serde_json::from_slice::<String>(&b[i..end]).ok()?;
        if first && name.starts_with(SERDE_PRIVATE) {
            return None;
        }
        if depth == 1 {
            set_top_key(name.as_bytes(), top_key, shape);
        }
    } else {
        let name = &b[i + 1..end - 1];
        if first && name.first() == Some(&b'$') && name.starts_with(SERDE_PRIVATE.as_bytes()) {
            return None;
        }
        if depth == 1 {
            set_top_key(name, top_key, shape);
        }
    }
    let i = skip_ws(b, end);
    if b.get(i) != Some(&b':') {
        return None;
    }
    Some(skip_ws(b, i + 1))
}

/// The prefix of serde_json's private map keys (`$serde_json::private::RawValue`, and
/// `…::Number` with its `arbitrary_precision` feature).
const SERDE_PRIVATE: &str = "$serde_json::private::";

/// Notes which top-level key the next value belongs to; a new `Id` or `ID` forgets the
/// last one's value.
#[inline(always)]
fn set_top_key(name: &[u8], top_key: &mut TopKey, shape: &mut Shape) {
    *top_key = match name {
        b"Id" => TopKey::Id,
        b"ID" => TopKey::UpperId,
        _ => TopKey::Other,
    };
    if let Shape::Object { id, upper_id } = shape {
        match *top_key {
            TopKey::Id => *id = None,
            TopKey::UpperId => *upper_id = None,
            TopKey::Other => {}
        }
    }
}

/// JSON's whitespace (the set serde_json skips).
#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

#[inline(always)]
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len()) == Some(word)).then_some(i + word.len())
}

/// Skips a string whose opening quote is before `i`; returns the index after its
/// closing quote, and whether it holds escapes.
#[inline(always)]
fn string(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut escaped = false;
    loop {
        // Eight bytes at a time to the next quote, backslash or control character: the
        // lowest byte flagged is exact (a borrow can only flag bytes above a real hit).
        while let Some(chunk) = b.get(i..i + 8) {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let quote = w ^ (ONES * u64::from(b'"'));
            let backslash = w ^ (ONES * u64::from(b'\\'));
            let hits = (quote.wrapping_sub(ONES) & !quote
                | backslash.wrapping_sub(ONES) & !backslash
                | w.wrapping_sub(ONES * 0x20) & !w)
                & HIGH;
            if hits != 0 {
                i += (hits.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match *b.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                i = escape(b, i + 1)?;
            }
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

/// Skips an escape whose backslash is before `i`.
#[cold]
fn escape(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(i + 1),
        b'u' => {
            let mut code = 0;
            for &h in b.get(i + 1..i + 5)? {
                code = code << 4 | char::from(h).to_digit(16)?;
            }
            // Surrogates must pair up, by serde_json's rules: left to it.
            (!(0xD800..=0xDFFF).contains(&code)).then_some(i + 5)
        }
        _ => None,
    }
}

/// Skips a number starting at `i`.
#[inline(always)]
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        i
    };
    if b[i] == b'-' {
        i += 1;
    }
    let int_start = i;
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return None,
    }
    let int_digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    let mut exponent = 0usize;
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let positive = match b.get(i) {
            Some(b'+') => {
                i += 1;
                true
            }
            Some(b'-') => {
                i += 1;
                false
            }
            _ => true,
        };
        let start = i;
        while let Some(&d @ b'0'..=b'9') = b.get(i) {
            if positive {
                exponent = exponent
                    .saturating_mul(10)
                    .saturating_add(usize::from(d - b'0'));
            }
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    // Below 10^MAX_MAGNITUDE for sure: serde_json reads it. Larger ones may round to
    // infinity, which serde_json refuses: left to it.
    (int_digits.saturating_add(exponent) <= MAX_MAGNITUDE).then_some(i)
}

#[cfg(test)]
mod tests;
