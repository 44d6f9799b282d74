//! A response's headers as they arrived: the head's bytes and where each header sits.
//!
//! Reading an answer builds no header map: most calls never look at a header, and the
//! few that do (ping's `API-Version`, a stream's `Content-Type`, an archive's path stat)
//! read one or two by a short scan. [`Headers::to_map`] gives an `http::HeaderMap` when
//! one is wanted; values are slices of the same bytes, not copies.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// Response headers, in the order they arrived. Names compare case-insensitively.
///
/// ```
/// use berth_core::headers::Headers;
/// let h = Headers::from_pairs([("API-Version", "1.41"), ("Content-Type", "text/plain")])?;
/// assert_eq!(h.get_str("api-version"), Some("1.41"));
/// assert_eq!(h.to_map()["content-type"], "text/plain");
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Headers {
    /// The bytes the names and values are slices of (a response head, or the pairs of
    /// [`Headers::from_pairs`] written one after the other).
    bytes: Bytes,
    spans: Vec<Span>,
}

/// A header's name and value as byte ranges of [`Headers::bytes`] (a response head is
/// at most [`crate::http1::MAX_HEAD`] bytes: the offsets fit a u32).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    name: [u32; 2],
    value: [u32; 2],
}

impl Span {
    /// The ranges of `name` and `value`, slices of a buffer that starts at `base`.
    pub(crate) fn of(base: *const u8, name: &[u8], value: &[u8]) -> Span {
        let range = |s: &[u8]| {
            let at = s.as_ptr() as usize - base as usize;
            [at as u32, (at + s.len()) as u32]
        };
        Span {
            name: range(name),
            value: range(value),
        }
    }
}

impl Headers {
    /// No headers.
    pub const fn new() -> Headers {
        Headers {
            bytes: Bytes::new(),
            spans: Vec::new(),
        }
    }

    /// Headers whose names and values are `spans` of `bytes` (a parsed response head).
    pub(crate) fn from_spans(bytes: Bytes, spans: Vec<Span>) -> Headers {
        Headers { bytes, spans }
    }

    /// Headers from name/value pairs; a name that is not an HTTP token or a value with
    /// control characters is an `InvalidArgument` error.
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> crate::Result<Headers>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let pairs: Vec<(N, V)> = pairs.into_iter().collect();
        for (name, value) in &pairs {
            let (name, value) = (name.as_ref(), value.as_ref());
            if HeaderName::from_bytes(name).is_err() || HeaderValue::from_bytes(value).is_err() {
                return Err(crate::Error::InvalidArgument(format!(
                    "invalid header {:?}: {:?}",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(value)
                )));
            }
        }
        Ok(Headers::concat(
            pairs.iter().map(|(n, v)| (n.as_ref(), v.as_ref())),
        ))
    }

    /// Valid name/value pairs written one after the other, with their spans.
    fn concat<'a>(pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Headers {
        let mut bytes = BytesMut::new();
        let mut spans = Vec::new();
        for (name, value) in pairs {
            let at = bytes.len() as u32;
            bytes.put_slice(name);
            let mid = bytes.len() as u32;
            bytes.put_slice(value);
            spans.push(Span {
                name: [at, mid],
                value: [mid, bytes.len() as u32],
            });
        }
        Headers {
            bytes: bytes.freeze(),
            spans,
        }
    }

    /// How many headers (a repeated name counts each time).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Every header as (name as sent, value), in the order they arrived.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.spans.iter().map(|s| (self.name(s), self.value(s)))
    }

    /// The first value of `name` (any case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.spans
            .iter()
            .find(|s| self.is_named(s, name.as_bytes()))
            .map(|s| self.value(s))
    }

    /// The first value of each of `names` (any case), found in one pass over the
    /// headers: what an answer that reads several headers (ping) uses instead of a scan
    /// per name.
    ///
    /// ```
    /// use berth_core::headers::Headers;
    /// let h = Headers::from_pairs([("Ostype", "linux"), ("API-Version", "1.41")])?;
    /// let [v, os, swarm] = h.get_many(["api-version", "ostype", "swarm"]);
    /// assert_eq!((v, os, swarm), (Some(&b"1.41"[..]), Some(&b"linux"[..]), None));
    /// # Ok::<(), berth_core::Error>(())
    /// ```
    pub fn get_many<const N: usize>(&self, names: [&str; N]) -> [Option<&[u8]>; N] {
        let mut found = [None; N];
        for s in &self.spans {
            for (name, slot) in names.iter().zip(found.iter_mut()) {
                if slot.is_none() && self.is_named(s, name.as_bytes()) {
                    *slot = Some(self.value(s));
                }
            }
        }
        found
    }

    /// Every value of `name` (any case), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.spans
            .iter()
            .filter(move |s| self.is_named(s, name.as_bytes()))
            .map(|s| self.value(s))
    }

    /// Whether the header at `s` is `name` (any case); most headers differ in length,
    /// which is told without looking at their bytes.
    fn is_named(&self, s: &Span, name: &[u8]) -> bool {
        (s.name[1] - s.name[0]) as usize == name.len()
            && self.name_bytes(s).eq_ignore_ascii_case(name)
    }

    /// The first value of `name` as text, if it is visible ASCII (as
    /// `HeaderValue::to_str`).
    pub fn get_str(&self, name: &str) -> Option<&str> {
        visible_text(self.get(name)?)
    }

    /// The headers as an `http::HeaderMap` (names lower-cased; values share these bytes).
    pub fn to_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(self.spans.len());
        for s in &self.spans {
            let value = self.bytes.slice(s.value[0] as usize..s.value[1] as usize);
            // Both were checked when the headers were made (httparse or `from_pairs`).
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(self.name_bytes(s)),
                HeaderValue::from_maybe_shared(value),
            ) {
                map.append(n, v);
            }
        }
        map
    }

    fn name(&self, s: &Span) -> &str {
        // Names are HTTP tokens (checked when the headers were made): ASCII.
        std::str::from_utf8(self.name_bytes(s)).unwrap_or("")
    }

    fn name_bytes(&self, s: &Span) -> &[u8] {
        &self.bytes[s.name[0] as usize..s.name[1] as usize]
    }

    fn value(&self, s: &Span) -> &[u8] {
        &self.bytes[s.value[0] as usize..s.value[1] as usize]
    }
}

/// A header value as text, if it is visible ASCII (as `HeaderValue::to_str`).
pub fn visible_text(v: &[u8]) -> Option<&str> {
    if v.iter().all(|&b| b == b'\t' || (b' '..0x7f).contains(&b)) {
        // Visible ASCII is UTF-8.
        std::str::from_utf8(v).ok()
    } else {
        None
    }
}

impl From<&HeaderMap> for Headers {
    fn from(map: &HeaderMap) -> Headers {
        Headers::concat(
            map.iter()
                .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes())),
        )
    }
}

impl From<HeaderMap> for Headers {
    fn from(map: HeaderMap) -> Headers {
        Headers::from(&map)
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(n, v)| (n, String::from_utf8_lossy(v).into_owned())),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case_and_keep_order() {
        let h = Headers::from_pairs([
            ("Warning", "one"),
            ("API-Version", "1.41"),
            ("warning", "two"),
        ])
        .expect("valid");
        assert_eq!(h.len(), 3);
        assert_eq!(h.get("api-version"), Some(&b"1.41"[..]));
        assert_eq!(h.get_str("API-VERSION"), Some("1.41"));
        assert_eq!(h.get_all("WARNING").collect::<Vec<_>>(), [b"one", b"two"]);
        assert_eq!(h.get("missing"), None);
        let names: Vec<_> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Warning", "API-Version", "warning"]);
    }

    #[test]
    fn get_many_finds_the_first_of_each_in_one_pass() {
        let h = Headers::from_pairs([
            ("Warning", "one"),
            ("API-Version", "1.41"),
            ("warning", "two"),
            ("Ostype", "linux"),
        ])
        .expect("valid");
        assert_eq!(
            h.get_many(["WARNING", "api-version", "missing", "ostype"]),
            [
                Some(&b"one"[..]),
                Some(&b"1.41"[..]),
                None,
                Some(&b"linux"[..])
            ]
        );
        // Asked twice, a name gets the same first value in both places.
        assert_eq!(
            h.get_many(["warning", "warning"]),
            [Some(&b"one"[..]), Some(&b"one"[..])]
        );
        assert_eq!(Headers::new().get_many(["x"]), [None]);
        assert_eq!(h.get_many([]), [None::<&[u8]>; 0]);
    }

    #[test]
    fn map_round_trip() {
        let mut map = HeaderMap::new();
        map.append("x-a", HeaderValue::from_static("1"));
        map.append("x-a", HeaderValue::from_static("2"));
        map.insert("content-type", HeaderValue::from_static("text/plain"));
        let h = Headers::from(&map);
        assert_eq!(h.len(), 3);
        assert_eq!(h.to_map(), map);
        assert_eq!(h.get_str("Content-Type"), Some("text/plain"));
    }

    #[test]
    fn invalid_pairs_and_non_ascii_values() {
        assert!(Headers::from_pairs([("bad name", "x")]).is_err());
        assert!(Headers::from_pairs([("x", "a\r\nb")]).is_err());
        let h = Headers::from_pairs([("x", &b"caf\xc3\xa9"[..])]).expect("obs-text is valid");
        assert_eq!(h.get("x"), Some(&b"caf\xc3\xa9"[..]));
        assert_eq!(h.get_str("x"), None, "as HeaderValue::to_str");
        assert!(Headers::new().is_empty());
    }
}
