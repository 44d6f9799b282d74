//! Byte sizes, CPU counts and durations in the notations docker-py accepts.
//!
//! Sizes follow docker-py's `parse_bytes` (`"512m"`, `"1.5g"`, `"1GB"`, bare digits
//! are bytes) but compute exactly with integers instead of through a float, and
//! results are `i64` because memory limits and `NanoCpus` pass 2^32.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

/// A size in bytes, as used for memory limits, `ShmSize` and tmpfs sizes.
///
/// Parses docker-py's notation: digits with an optional `b`, `k`, `m` or `g` suffix
/// (any case, powers of 1024), an optional trailing `b` after a unit (`"1gb"`), and a
/// decimal mantissa (`"1.5g"`, truncated to whole bytes).
///
/// ```
/// use berth_core::options::MemoryBytes;
/// let m: MemoryBytes = "512m".parse()?;
/// assert_eq!(m.get(), 512 * 1024 * 1024);
/// assert_eq!("1.5g".parse::<MemoryBytes>()?.get(), 1_610_612_736);
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MemoryBytes(i64);

impl MemoryBytes {
    /// A size of `bytes` bytes.
    pub const fn new(bytes: i64) -> MemoryBytes {
        MemoryBytes(bytes)
    }

    /// The size in bytes.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for MemoryBytes {
    type Err = Error;

    fn from_str(s: &str) -> Result<MemoryBytes> {
        parse_bytes(s).map(MemoryBytes)
    }
}

impl fmt::Display for MemoryBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<i64> for MemoryBytes {
    fn from(bytes: i64) -> MemoryBytes {
        MemoryBytes(bytes)
    }
}

impl From<MemoryBytes> for i64 {
    fn from(m: MemoryBytes) -> i64 {
        m.0
    }
}

/// A non-negative decimal `int[.frac]` split into its parts; `None` when `s` is not one.
/// Fraction digits past the 20th are dropped (they cannot change a byte or nanosecond
/// count of any real size).
fn decimal(s: &str) -> Option<(u128, u128, u32)> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let all_digits = |x: &str| x.bytes().all(|c| c.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let int_value = if int.is_empty() {
        0
    } else if int.trim_start_matches('0').len() > 38 {
        // Out of any range we serve; saturate so the caller reports "too large".
        u128::MAX
    } else {
        int.parse::<u128>().ok()?
    };
    let frac = &frac[..frac.len().min(20)];
    let frac_value = if frac.is_empty() {
        0
    } else {
        frac.parse::<u128>().ok()?
    };
    Some((int_value, frac_value, u32::try_from(frac.len()).ok()?))
}

/// `(int + frac / 10^digits) * unit`, truncated, if it fits an `i64`.
fn scale(int: u128, frac: u128, digits: u32, unit: u128) -> Option<i64> {
    let whole = int.checked_mul(unit)?;
    let part = frac.checked_mul(unit)? / 10u128.checked_pow(digits)?;
    i64::try_from(whole.checked_add(part)?).ok()
}

/// Parses a byte size like docker-py's `parse_bytes`: `"128m"`, `"1g"`, `"1000k"`,
/// `"100000b"`, `"4096"` (bytes), `"1gb"`/`"1GB"`, `"1.5g"`.
///
/// Errors on an empty string, a negative size, an unknown unit (`"1t"`, `"1kib"`) and
/// sizes beyond `i64::MAX`.
///
/// ```
/// use berth_core::options::parse_bytes;
/// assert_eq!(parse_bytes("128m")?, 134_217_728);
/// assert_eq!(parse_bytes("4096")?, 4096);
/// assert!(parse_bytes("1t").is_err());
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn parse_bytes(input: &str) -> Result<i64> {
    let err = |why: String| {
        Error::InvalidArgument(format!(
            "byte size {input:?}: {why}; expected digits with an optional b, k, m or g \
             suffix, like \"512m\" or \"1.5g\""
        ))
    };
    if input.is_empty() {
        return Err(err("it is empty".into()));
    }
    if input.starts_with('-') {
        return Err(err("sizes cannot be negative".into()));
    }
    let mut s = input;
    let b = s.as_bytes();
    if b.len() >= 2 && b[b.len() - 2].is_ascii_alphabetic() && matches!(b[b.len() - 1], b'b' | b'B')
    {
        s = &s[..s.len() - 1];
    }
    let last = s.as_bytes()[s.len() - 1];
    let (digits, unit) = match last.to_ascii_lowercase() {
        b'0'..=b'9' => (s, 1u128),
        b'b' => (&s[..s.len() - 1], 1),
        b'k' => (&s[..s.len() - 1], 1 << 10),
        b'm' => (&s[..s.len() - 1], 1 << 20),
        b'g' => (&s[..s.len() - 1], 1 << 30),
        _ => {
            let suffix: String = s
                .chars()
                .rev()
                .take_while(|c| !c.is_ascii_digit())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(err(format!("unknown unit {suffix:?}")));
        }
    };
    let (int, frac, n) =
        decimal(digits).ok_or_else(|| err(format!("{digits:?} is not a number")))?;
    scale(int, frac, n, unit).ok_or_else(|| err("it does not fit in 64 bits".into()))
}

/// `NanoCpus` for a CPU count: `1.5` → `1_500_000_000` (rounded to the nanocpu).
///
/// ```
/// assert_eq!(berth_core::options::nano_cpus(1.5)?, 1_500_000_000);
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn nano_cpus(cpus: f64) -> Result<i64> {
    if !cpus.is_finite() || cpus < 0.0 {
        return Err(Error::InvalidArgument(format!(
            "CPU count {cpus}: expected a finite, non-negative number of CPUs like 1.5"
        )));
    }
    let nanos = (cpus * 1e9).round();
    if nanos >= 9.2e18 {
        return Err(Error::InvalidArgument(format!(
            "CPU count {cpus}: too large for NanoCpus (a 64-bit count of 1e-9 CPUs)"
        )));
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "checked finite, >= 0 and < 2^63 above"
    )]
    Ok(nanos as i64)
}

/// `NanoCpus` for a CPU count written as text, exactly like the CLI's `--cpus`:
/// `"1.5"` → `1_500_000_000`; more than nine significant fraction digits is an error.
pub fn parse_cpus(s: &str) -> Result<i64> {
    let err = |why: &str| {
        Error::InvalidArgument(format!(
            "CPU count {s:?}: {why}; expected a non-negative decimal like \"1.5\""
        ))
    };
    let (int, frac, digits) = decimal(s).ok_or_else(|| err("not a decimal number"))?;
    let pow = 10u128.pow(digits);
    let nanos_num = frac * 1_000_000_000;
    if nanos_num % pow != 0 {
        return Err(err("more precise than a nanocpu (1e-9 CPU)"));
    }
    scale(int, frac, digits, 1_000_000_000).ok_or_else(|| err("too large"))
}

/// A duration in nanoseconds as an `i64` (the Engine's `time.Duration`).
pub fn duration_nanos(what: &str, d: Duration) -> Result<i64> {
    i64::try_from(d.as_nanos()).map_err(|_| {
        Error::InvalidArgument(format!(
            "{what} {d:?}: too long for the Engine (at most about 292 years)"
        ))
    })
}

/// A healthcheck duration in nanoseconds: 0 (inherit) or at least 1 ms, as the Engine
/// requires.
pub fn health_duration(what: &str, d: Duration) -> Result<i64> {
    if !d.is_zero() && d < Duration::from_millis(1) {
        return Err(Error::InvalidArgument(format!(
            "healthcheck {what} {d:?}: must be 0 (inherit from the image) or at least 1ms"
        )));
    }
    duration_nanos(what, d)
}

/// Parses a Go-style duration (`"30s"`, `"1m30s"`, `"1.5h"`, `"250ms"`, `"0"`), the
/// notation of the CLI's `--health-interval` and friends. Units: `ns`, `us`/`µs`,
/// `ms`, `s`, `m`, `h`. Negative durations are an error.
///
/// ```
/// use std::time::Duration;
/// use berth_core::options::parse_duration;
/// assert_eq!(parse_duration("1m30s")?, Duration::from_secs(90));
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn parse_duration(input: &str) -> Result<Duration> {
    let err = |why: &str| {
        Error::InvalidArgument(format!(
            "duration {input:?}: {why}; expected numbers with units ns, us, ms, s, m or h, \
             like \"30s\" or \"1m30s\""
        ))
    };
    let s = input.strip_prefix('+').unwrap_or(input);
    if s.starts_with('-') {
        return Err(err("durations cannot be negative"));
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(err("it is empty"));
    }
    let mut rest = s;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_len);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let nanos_per: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(err("a number without a unit")),
            _ => return Err(err(&format!("unknown unit {unit:?}"))),
        };
        let (int, frac, digits) = decimal(num).ok_or_else(|| err("missing number"))?;
        let part = scale(int, frac, digits, nanos_per).ok_or_else(|| err("too long"))?;
        total += u128::from(part.unsigned_abs());
        rest = tail;
    }
    let nanos = u64::try_from(total).map_err(|_| err("too long"))?;
    Ok(Duration::from_nanos(nanos))
}
