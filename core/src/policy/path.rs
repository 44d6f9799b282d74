//! Request-target hygiene: what the daemon will route is exactly what the policy saw.
//!
//! The path is percent-decoded once, segment by segment, and refused if a decoded
//! segment could route differently (`/`, `\`, NUL, `%`, `?`, `#`, control characters,
//! `.`/`..`), if a segment is empty (`//`, trailing `/`), or if it is not
//! origin-form. The request that leaves is rebuilt from the decoded segments and the
//! decoded query pairs, each re-encoded canonically.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::Denial;

/// Lowest API version the policy lets through: older versions change the meaning of
/// requests (a `HostConfig` body on `start` before 1.24, for one).
pub(crate) const MIN_API: (u32, u32) = (1, 24);

/// Characters left as they are in a path segment (RFC 3986 unreserved plus `:` and `@`,
/// which image names and ids use).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'@');
/// Characters left as they are in a query key or value.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A request target split and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// `1.41` from `/v1.41/…`.
    pub version: Option<String>,
    /// Decoded path segments after the version prefix.
    pub segments: Vec<String>,
    /// Decoded query pairs in order.
    pub query: Vec<(String, String)>,
}

impl Target {
    /// The canonical request target to send.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(v) = &self.version {
            out.push_str("/v");
            out.push_str(v);
        }
        for s in &self.segments {
            out.push('/');
            out.extend(utf8_percent_encode(s, SEGMENT));
        }
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.extend(utf8_percent_encode(k, QUERY));
            out.push('=');
            out.extend(utf8_percent_encode(v, QUERY));
        }
        out
    }

    /// The first value of query key `key` (keys are case-sensitive, as in Go).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All values of `key`.
    pub fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.query
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value`, replacing its (single) existing value or appending.
    pub fn set(&mut self, key: &str, value: String) {
        match self.query.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value,
            None => self.query.push((key.to_owned(), value)),
        }
    }
}

fn deny(rule: &'static str, reason: String) -> Denial {
    Denial::new("", rule, reason)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Strict percent-decoding (`+` as space when `plus`); `None` on a bad escape or
/// non-UTF-8 result.
fn decode(raw: &str, plus: bool) -> Option<String> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hi = hex(*b.get(i + 1)?)?;
                let lo = hex(*b.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn parse_version(seg: &str) -> Option<Result<String, Denial>> {
    let v = seg.strip_prefix('v')?;
    if !v
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    let bad = || {
        Some(Err(deny(
            "api-version",
            format!("API version prefix /v{v} is not MAJOR.MINOR"),
        )))
    };
    let Some((maj, min)) = v.split_once('.') else {
        return bad();
    };
    let ok = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(maj) || !ok(min) {
        return bad();
    }
    let (Ok(ma), Ok(mi)) = (maj.parse::<u32>(), min.parse::<u32>()) else {
        return bad();
    };
    if (ma, mi) < MIN_API {
        return Some(Err(deny(
            "api-version",
            format!(
                "API version {v} is older than {}.{}, whose requests the policy does not check",
                MIN_API.0, MIN_API.1
            ),
        )));
    }
    Some(Ok(format!("{ma}.{mi}")))
}

/// Splits and checks a request target as the guest sent it.
pub(crate) fn parse_target(raw: &str) -> Result<Target, Denial> {
    if !raw.starts_with('/') {
        return Err(deny(
            "path-form",
            format!(
                "request target {:?} is not a path starting with /",
                truncate(raw)
            ),
        ));
    }
    if let Some(c) = raw.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(deny(
            "path-chars",
            format!("request target contains {c:?}; percent-encode it"),
        ));
    }
    if raw.contains('#') || raw.contains('\\') {
        return Err(deny(
            "path-chars",
            "request target contains # or \\".to_owned(),
        ));
    }
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw, None),
    };
    let mut segments = Vec::new();
    for seg in path[1..].split('/') {
        if seg.is_empty() {
            return Err(deny(
                "path-empty-segment",
                format!(
                    "path {:?} has an empty segment (// or a trailing /)",
                    truncate(path)
                ),
            ));
        }
        let d = decode(seg, false).ok_or_else(|| {
            deny(
                "path-encoding",
                format!(
                    "path segment {:?} has a bad percent escape or is not UTF-8",
                    truncate(seg)
                ),
            )
        })?;
        if d == "." || d == ".." {
            return Err(deny(
                "path-dot-segment",
                format!("path {:?} has a . or .. segment", truncate(path)),
            ));
        }
        if let Some(c) = d
            .chars()
            .find(|c| matches!(c, '/' | '\\' | '%' | '?' | '#') || c.is_control())
        {
            return Err(deny(
                "path-smuggling",
                format!(
                    "path segment {:?} decodes to a {c:?}, which would route differently",
                    truncate(seg)
                ),
            ));
        }
        segments.push(d);
    }
    let mut version = None;
    if let Some(first) = segments.first()
        && let Some(v) = parse_version(first)
    {
        version = Some(v?);
        segments.remove(0);
    }
    let mut pairs = Vec::new();
    if let Some(q) = query {
        if q.contains(';') {
            return Err(deny(
                "query-encoding",
                "query contains ';' (percent-encode it)".to_owned(),
            ));
        }
        for pair in q.split('&') {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = decode(k, true);
            let v = decode(v, true);
            let (Some(k), Some(v)) = (k, v) else {
                return Err(deny(
                    "query-encoding",
                    format!(
                        "query pair {:?} has a bad percent escape or is not UTF-8",
                        truncate(pair)
                    ),
                ));
            };
            if k.contains('\0') || v.contains('\0') {
                return Err(deny("query-encoding", "query contains NUL".to_owned()));
            }
            pairs.push((k, v));
        }
    }
    Ok(Target {
        version,
        segments,
        query: pairs,
    })
}

/// Normalises an absolute host path lexically: collapses `//` and `.`, refuses `..`
/// (without symlink resolution a `..` cannot be judged) and relative paths.
pub(crate) fn normalize_host_path(path: &str) -> Option<String> {
    if !path.starts_with('/') || path.contains('\0') || path.contains('\\') {
        return None;
    }
    let mut parts = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// A short form of guest text for messages.
pub(crate) fn truncate(s: &str) -> String {
    if s.len() <= 120 {
        return s.to_owned();
    }
    let mut end = 120;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
