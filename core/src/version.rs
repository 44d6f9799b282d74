//! Engine API versions and their negotiation.
//!
//! Like the Go client, berth negotiates lazily: before the first versioned request the
//! host reads `API-Version` from `/_ping` (or `ApiVersion` from the unversioned
//! `/version`) and clamps it to what berth supports.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// An Engine API version such as `1.41`. Compares numerically per segment
/// (`1.9 < 1.10 < 1.100`).
///
/// ```
/// use berth_core::ApiVersion;
/// let v: ApiVersion = "1.41".parse().unwrap();
/// assert!(v > ApiVersion::new(1, 9));
/// assert_eq!(v.to_string(), "1.41");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    major: u16,
    minor: u16,
}

impl ApiVersion {
    /// The oldest Engine API berth speaks. Daemons before Docker 1.12 are not supported.
    pub const MIN: ApiVersion = ApiVersion::new(1, 24);
    /// The newest Engine API berth knows (Docker 28.x).
    pub const MAX: ApiVersion = ApiVersion::new(1, 51);

    /// `major.minor`.
    pub const fn new(major: u16, minor: u16) -> ApiVersion {
        ApiVersion { major, minor }
    }

    /// The major part.
    pub const fn major(self) -> u16 {
        self.major
    }

    /// The minor part.
    pub const fn minor(self) -> u16 {
        self.minor
    }

    /// The version to use with a daemon that announces `server`: the server's version
    /// clamped to [`ApiVersion::MIN`]..=[`ApiVersion::MAX`]. A daemon older than `MIN`
    /// is an error naming both versions.
    pub fn negotiate(server: ApiVersion) -> Result<ApiVersion> {
        if server < ApiVersion::MIN {
            return Err(Error::UnsupportedApiVersion {
                operation: "any request (the daemon is too old for berth)".into(),
                required: ApiVersion::MIN,
                negotiated: server,
            });
        }
        Ok(server.min(ApiVersion::MAX))
    }

    /// A version the caller pins instead of negotiating: `v` itself, unless it is older
    /// than [`ApiVersion::MIN`] (docker-py's `InvalidVersion`), which berth builds no
    /// requests for.
    pub fn pinned(v: ApiVersion) -> Result<ApiVersion> {
        let min = ApiVersion::MIN;
        if v < min {
            return Err(Error::InvalidArgument(format!(
                "API version {v} is older than berth's minimum, {min}: pin {min} or later, \
                 or let berth negotiate the version with the daemon"
            )));
        }
        Ok(v)
    }

    /// Checks that `self` (the negotiated version) is at least `required` for
    /// `operation`; otherwise an error naming the operation and both versions.
    pub fn require(self, required: ApiVersion, operation: &str) -> Result<()> {
        if self >= required {
            Ok(())
        } else {
            Err(Error::UnsupportedApiVersion {
                operation: operation.to_owned(),
                required,
                negotiated: self,
            })
        }
    }
}

impl ApiVersion {
    /// Appends `/v1.41`, the path prefix of a versioned request (no formatting
    /// machinery: it is on every call's path).
    pub fn push_path_prefix(self, out: &mut String) {
        out.push_str("/v");
        push_u16(out, self.major);
        out.push('.');
        push_u16(out, self.minor);
    }
}

fn push_u16(out: &mut String, n: u16) {
    let mut digits = [0u8; 5];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<ApiVersion> {
        ApiVersion::from_bytes(s.trim().as_bytes()).ok_or_else(|| {
            Error::InvalidArgument(format!("{s:?} is not an API version like \"1.41\""))
        })
    }
}

impl ApiVersion {
    /// Reads `1.41` (surrounding ASCII whitespace and leading `v`s allowed, as in
    /// `v1.41`) from bytes such as a header value; `None` when it is anything else.
    ///
    /// ```
    /// use berth_core::ApiVersion;
    /// assert_eq!(ApiVersion::from_bytes(b" v1.41 "), Some(ApiVersion::new(1, 41)));
    /// assert_eq!(ApiVersion::from_bytes(b"1.41.2"), None);
    /// ```
    pub fn from_bytes(v: &[u8]) -> Option<ApiVersion> {
        let mut t = v.trim_ascii();
        while let [b'v', rest @ ..] = t {
            t = rest;
        }
        let dot = t.iter().position(|&b| b == b'.')?;
        Some(ApiVersion {
            major: parse_u16(&t[..dot])?,
            minor: parse_u16(&t[dot + 1..])?,
        })
    }
}

/// Decimal digits only (at least one) that fit a u16.
fn parse_u16(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u16, |n, &d| {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u16::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_prefix_matches_display() {
        for (major, minor) in [(1, 41), (1, 9), (0, 0), (10, 100), (u16::MAX, 7)] {
            let v = ApiVersion::new(major, minor);
            let mut out = String::from("x");
            v.push_path_prefix(&mut out);
            assert_eq!(out, format!("x/v{v}"));
        }
    }

    #[test]
    fn parses_and_orders_numerically() {
        let v = |s: &str| s.parse::<ApiVersion>().expect("valid");
        assert!(v("1.9") < v("1.10"));
        assert!(v("1.10") < v("1.100"));
        assert_eq!(v("v1.41"), ApiVersion::new(1, 41));
        for bad in ["", "1", "1.", ".1", "a.b", "1.2.3", "1.-2", "99999999.1"] {
            assert!(bad.parse::<ApiVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn from_bytes_reads_what_from_str_reads() {
        let ok = [
            ("1.41", (1, 41)),
            (" v1.41\t", (1, 41)),
            ("vv1.9", (1, 9)),
            ("0001.041", (1, 41)),
            ("65535.65535", (u16::MAX, u16::MAX)),
            ("0.0", (0, 0)),
        ];
        for (text, (major, minor)) in ok {
            let want = Some(ApiVersion::new(major, minor));
            assert_eq!(ApiVersion::from_bytes(text.as_bytes()), want, "{text:?}");
            assert_eq!(text.parse::<ApiVersion>().ok(), want, "{text:?}");
        }
        let bad = [
            "",
            "v",
            "1",
            "1.",
            ".1",
            ".",
            "1..2",
            "a.b",
            "1.2.3",
            "1.-2",
            "+1.2",
            "1.+2",
            "65536.1",
            "1.65536",
            "1 .2",
            "1. 2",
            "v 1.2",
            "1v.2",
            "\u{0661}.1",
            "1.2\0",
        ];
        for text in bad {
            assert_eq!(ApiVersion::from_bytes(text.as_bytes()), None, "{text:?}");
            assert!(text.parse::<ApiVersion>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn negotiation_clamps() {
        assert_eq!(
            ApiVersion::negotiate(ApiVersion::new(1, 41)).expect("valid"),
            ApiVersion::new(1, 41)
        );
        assert_eq!(
            ApiVersion::negotiate(ApiVersion::new(1, 99)).expect("valid"),
            ApiVersion::MAX
        );
        let e = ApiVersion::negotiate(ApiVersion::new(1, 12)).expect_err("invalid");
        assert!(e.to_string().contains("1.12") && e.to_string().contains("1.24"));
    }

    #[test]
    fn a_pin_below_the_minimum_is_refused() {
        assert_eq!(
            ApiVersion::pinned(ApiVersion::MIN).expect("MIN"),
            ApiVersion::MIN
        );
        assert_eq!(
            ApiVersion::pinned(ApiVersion::new(1, 99)).expect("newer"),
            ApiVersion::new(1, 99)
        );
        let e = ApiVersion::pinned(ApiVersion::new(1, 23)).expect_err("1.23");
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        assert!(
            e.to_string().contains("1.23") && e.to_string().contains("1.24"),
            "{e}"
        );
    }

    #[test]
    fn require_names_both_versions() {
        let e = ApiVersion::new(1, 30)
            .require(ApiVersion::new(1, 35), "container logs (until)")
            .expect_err("invalid");
        assert!(matches!(e, Error::UnsupportedApiVersion { .. }));
        assert!(
            ApiVersion::new(1, 41)
                .require(ApiVersion::new(1, 35), "x")
                .is_ok()
        );
    }
}
