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
        let bad = || Error::InvalidArgument(format!("{s:?} is not an API version like \"1.41\""));
        let t = s.trim().trim_start_matches('v');
        let (a, b) = t.split_once('.').ok_or_else(bad)?;
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return Err(bad());
        }
        Ok(ApiVersion {
            major: a.parse().map_err(|_| bad())?,
            minor: b.parse().map_err(|_| bad())?,
        })
    }
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
