//! The grant: what one plugin may do, read from TOML and/or CLI flags.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::images::{ImagePattern, ImageRef};
use super::path::normalize_host_path;

/// Default cap of a plugin's linear memory: 64 MiB (Python guests need at least 16 MiB).
pub const DEFAULT_MEMORY: u64 = 64 << 20;
/// Default wall-clock deadline of a plugin run: 60 s.
pub const DEFAULT_DEADLINE_MS: u64 = 60_000;
/// Default cap of open resource handles of a plugin: 256.
pub const DEFAULT_MAX_HANDLES: u32 = 256;

/// The operation every grant allows (see [`Grant::allows_operation`]).
pub(super) const ALWAYS_ALLOWED: &str = "system.ping";

/// A grant could not be read: a bad key, value or flag. The message names it (and, for
/// TOML, the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantError {
    message: String,
}

impl GrantError {
    fn new(message: impl Into<String>) -> GrantError {
        GrantError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GrantError {}

/// Runtime limits of a plugin: read by the host for the wasm sandbox (memory, fuel,
/// deadline, handles) and by [`Policy`](super::Policy) for the quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Cap of the plugin's linear memory in bytes (default [`DEFAULT_MEMORY`]).
    pub memory: u64,
    /// Fuel for the whole run; `None` = fuel metering off (the default).
    pub fuel: Option<u64>,
    /// Wall-clock deadline of the run in milliseconds; `None` = none (default
    /// [`DEFAULT_DEADLINE_MS`]).
    pub deadline_ms: Option<u64>,
    /// Cap of the plugin's open resource handles (default [`DEFAULT_MAX_HANDLES`]).
    pub max_handles: u32,
    /// Live containers the plugin may have created at once; `None` = unlimited.
    pub max_containers: Option<u32>,
    /// Wire requests per second (token bucket, burst = the rate); `None` = unlimited.
    pub requests_per_second: Option<u32>,
    /// Bytes streamed in and out over the whole run; `None` = unlimited.
    pub max_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory: DEFAULT_MEMORY,
            fuel: None,
            deadline_ms: Some(DEFAULT_DEADLINE_MS),
            max_handles: DEFAULT_MAX_HANDLES,
            max_containers: None,
            requests_per_second: None,
            max_bytes: None,
        }
    }
}

/// What a plugin may do. Everything not granted is denied.
///
/// Built from a TOML file ([`Grant::from_toml`]), from CLI flags ([`Grant::merge_flag`]
/// on [`Grant::deny_all`] or on a file's grant), or with the setters.
///
/// ```toml
#[doc = include_str!("grant.example.toml")]
/// ```
///
/// ```
/// use berth_core::policy::Grant;
/// let mut grant = Grant::from_toml(r#"allow = ["containers.list"]"#).unwrap();
/// grant.merge_flag("--allow-image", "busybox").unwrap();
/// grant.merge_flag("--label", "berth.plugin=reaper").unwrap();
/// assert!(grant.allows_operation("containers.list"));
/// assert!(!grant.allows_operation("containers.create"));
/// assert!(Grant::from_toml("alow = []").unwrap_err().to_string().contains("alow"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Grant {
    allow: Vec<String>,
    labels: BTreeMap<String, String>,
    images: Vec<ImagePattern>,
    binds: Vec<String>,
    caps: Vec<String>,
    devices: Vec<String>,
    sysctls: Vec<String>,
    runtimes: Vec<String>,
    gpus: bool,
    remote: bool,
    limits: Limits,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrant {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    binds: Vec<String>,
    #[serde(default)]
    caps: Vec<String>,
    #[serde(default)]
    devices: Vec<String>,
    #[serde(default)]
    sysctls: Vec<String>,
    #[serde(default)]
    runtimes: Vec<String>,
    #[serde(default)]
    gpus: bool,
    #[serde(default)]
    remote: bool,
    #[serde(default)]
    limits: RawLimits,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    #[serde(default, deserialize_with = "size")]
    memory: Option<u64>,
    #[serde(default)]
    fuel: Option<u64>,
    #[serde(default, deserialize_with = "duration")]
    deadline: Option<u64>,
    #[serde(default)]
    max_handles: Option<u32>,
    #[serde(default)]
    max_containers: Option<u32>,
    #[serde(default)]
    requests_per_second: Option<u32>,
    #[serde(default, deserialize_with = "size")]
    max_bytes: Option<u64>,
}

/// Accepts an integer (bytes) or a string like `64M`, `1G`, `512k`, `1.5GiB`.
fn size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a size: bytes as an integer or a string like \"64M\" or \"1G\"")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom("a size cannot be negative"))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            parse_size(v).map_err(E::custom)
        }
    }
    d.deserialize_any(V).map(Some)
}

/// Accepts an integer (seconds) or a string like `30s`, `500ms`, `2m`, `1h`.
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration: seconds as an integer or a string like \"30s\" or \"500ms\"")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v)
                .ok()
                .and_then(|s| s.checked_mul(1000))
                .ok_or_else(|| E::custom("a duration must be a non-negative number of seconds"))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            v.checked_mul(1000)
                .ok_or_else(|| E::custom("duration too large"))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            parse_duration_ms(v).map_err(E::custom)
        }
    }
    d.deserialize_any(V).map(Some)
}

/// Parses a byte size: a plain number of bytes or a number with a binary suffix
/// `k`/`m`/`g`/`t` (case-insensitive, optionally followed by `b`, `ib` or `iB`), as
/// docker's `--memory` does: `64M` = 64 MiB.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let stripped = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (digits, shift) = match stripped.chars().last() {
        Some('k') => (&stripped[..stripped.len() - 1], 10),
        Some('m') => (&stripped[..stripped.len() - 1], 20),
        Some('g') => (&stripped[..stripped.len() - 1], 30),
        Some('t') => (&stripped[..stripped.len() - 1], 40),
        _ => (stripped, 0),
    };
    let bad =
        || format!("invalid size {text:?}: use bytes or a number with k, M, G or T (\"64M\")");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || frac.contains('.') {
        return Err(bad());
    }
    let int: u64 = int.parse().map_err(|_| bad())?;
    let whole = int
        .checked_shl(shift)
        .filter(|v| v >> shift == int)
        .ok_or_else(bad)?;
    let mut frac_bytes = 0u64;
    if !frac.is_empty() {
        let digits = frac.len().min(9);
        let frac_num: u64 = frac[..digits].parse().map_err(|_| bad())?;
        let denom = 10u64.pow(digits as u32);
        frac_bytes = ((u128::from(frac_num) << shift) / u128::from(denom)) as u64;
    }
    whole.checked_add(frac_bytes).ok_or_else(bad)
}

/// Parses a duration into milliseconds: `30s`, `500ms`, `2m`, `1h`, or a plain number of
/// seconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || format!("invalid duration {text:?}: use a number with ms, s, m or h (\"30s\")");
    let (digits, mult) = if let Some(d) = t.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = t.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 60_000)
    } else if let Some(d) = t.strip_suffix('h') {
        (d, 3_600_000)
    } else {
        (t, 1000)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(bad)
}

fn zero_is_none<T: PartialEq + Default>(v: Option<T>) -> Option<T> {
    v.filter(|v| *v != T::default())
}

impl Grant {
    /// A grant that allows nothing (the default limits apply to the sandbox).
    pub fn deny_all() -> Grant {
        Grant::default()
    }

    /// Reads a grant from TOML (the format is shown on [`Grant`]). Unknown keys and bad
    /// values are errors naming the key and line.
    pub fn from_toml(text: &str) -> Result<Grant, GrantError> {
        let raw: RawGrant =
            toml::from_str(text).map_err(|e| GrantError::new(format!("invalid grant: {e}")))?;
        Grant::from_raw(raw)
    }

    /// Reads a grant from JSON with the same keys as the TOML form
    /// (`{"allow": ["containers.list"], "limits": {"memory": "64M"}}`).
    pub fn from_json(text: &str) -> Result<Grant, GrantError> {
        let raw: RawGrant = serde_json::from_str(text)
            .map_err(|e| GrantError::new(format!("invalid grant: {e}")))?;
        Grant::from_raw(raw)
    }

    fn from_raw(raw: RawGrant) -> Result<Grant, GrantError> {
        let mut g = Grant::deny_all();
        for p in &raw.allow {
            g.allow_operation(p)?;
        }
        for (k, v) in raw.labels {
            g.add_label(&k, &v)?;
        }
        for i in &raw.images {
            g.allow_image(i)?;
        }
        for b in &raw.binds {
            g.allow_bind(b)?;
        }
        for c in &raw.caps {
            g.allow_cap(c)?;
        }
        for d in &raw.devices {
            g.allow_device(d)?;
        }
        for s in &raw.sysctls {
            g.allow_sysctl(s)?;
        }
        for r in &raw.runtimes {
            g.allow_runtime(r)?;
        }
        g.gpus = raw.gpus;
        g.remote = raw.remote;
        let l = raw.limits;
        if let Some(m) = l.memory {
            g.set_memory(m)?;
        }
        g.limits.fuel = zero_is_none(l.fuel);
        if let Some(d) = l.deadline {
            g.limits.deadline_ms = zero_is_none(Some(d));
        }
        if let Some(h) = l.max_handles {
            g.set_max_handles(h)?;
        }
        g.limits.max_containers = zero_is_none(l.max_containers);
        g.limits.requests_per_second = zero_is_none(l.requests_per_second);
        g.limits.max_bytes = zero_is_none(l.max_bytes);
        Ok(g)
    }

    /// Applies one CLI flag (with or without the leading `--`):
    ///
    /// | flag | value | same as TOML |
    /// |---|---|---|
    /// | `allow` | operation pattern (`containers.*`) | `allow` |
    /// | `label` | `KEY=VALUE` | `labels` |
    /// | `allow-image` | image pattern | `images` |
    /// | `allow-bind` | host path | `binds` |
    /// | `allow-cap` | capability | `caps` |
    /// | `allow-device` | host device path | `devices` |
    /// | `allow-sysctl` | sysctl pattern | `sysctls` |
    /// | `allow-runtime` | runtime name | `runtimes` |
    /// | `allow-gpus` | `true`/`false` | `gpus` |
    /// | `allow-remote` | `true`/`false` | `remote` |
    /// | `memory` | size (`64M`) | `limits.memory` |
    /// | `fuel` | integer, 0 = off | `limits.fuel` |
    /// | `deadline` | duration (`30s`), 0 = none | `limits.deadline` |
    /// | `max-handles` | integer | `limits.max_handles` |
    /// | `max-containers` | integer, 0 = unlimited | `limits.max_containers` |
    /// | `max-requests-per-second` | integer, 0 = unlimited | `limits.requests_per_second` |
    /// | `max-bytes` | size, 0 = unlimited | `limits.max_bytes` |
    pub fn merge_flag(&mut self, name: &str, value: &str) -> Result<(), GrantError> {
        let name = name.strip_prefix("--").unwrap_or(name);
        let int = |v: &str| -> Result<u64, GrantError> {
            v.trim()
                .parse::<u64>()
                .map_err(|_| GrantError::new(format!("--{name}: {v:?} is not a whole number")))
        };
        let int32 = |v: &str| -> Result<u32, GrantError> {
            u32::try_from(int(v)?)
                .map_err(|_| GrantError::new(format!("--{name}: {v} is too large")))
        };
        let boolean = |v: &str| -> Result<bool, GrantError> {
            match v.trim() {
                "true" | "1" | "yes" | "" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(GrantError::new(format!(
                    "--{name}: {v:?} is not true or false"
                ))),
            }
        };
        match name {
            "allow" => self.allow_operation(value),
            "label" => {
                let (k, v) = value.split_once('=').ok_or_else(|| {
                    GrantError::new(format!("--label: {value:?} is not KEY=VALUE"))
                })?;
                self.add_label(k, v)
            }
            "allow-image" => self.allow_image(value),
            "allow-bind" => self.allow_bind(value),
            "allow-cap" => self.allow_cap(value),
            "allow-device" => self.allow_device(value),
            "allow-sysctl" => self.allow_sysctl(value),
            "allow-runtime" => self.allow_runtime(value),
            "allow-gpus" => {
                self.gpus = boolean(value)?;
                Ok(())
            }
            "allow-remote" => {
                self.remote = boolean(value)?;
                Ok(())
            }
            "memory" => self.set_memory(parse_size(value).map_err(GrantError::new)?),
            "fuel" => {
                self.limits.fuel = zero_is_none(Some(int(value)?));
                Ok(())
            }
            "deadline" => {
                self.limits.deadline_ms =
                    zero_is_none(Some(parse_duration_ms(value).map_err(GrantError::new)?));
                Ok(())
            }
            "max-handles" => self.set_max_handles(int32(value)?),
            "max-containers" => {
                self.limits.max_containers = zero_is_none(Some(int32(value)?));
                Ok(())
            }
            "max-requests-per-second" => {
                self.limits.requests_per_second = zero_is_none(Some(int32(value)?));
                Ok(())
            }
            "max-bytes" => {
                self.limits.max_bytes =
                    zero_is_none(Some(parse_size(value).map_err(GrantError::new)?));
                Ok(())
            }
            _ => Err(GrantError::new(format!("unknown grant flag --{name}"))),
        }
    }

    /// Allows the operations matching `pattern` (`containers.inspect`, `containers.*`,
    /// `*`). `*` matches any run of characters, dots included.
    pub fn allow_operation(&mut self, pattern: &str) -> Result<(), GrantError> {
        let p = pattern.trim();
        if p.is_empty()
            || !p
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._*-".contains(&b))
        {
            return Err(GrantError::new(format!(
                "invalid operation pattern {pattern:?}: use names like \"containers.list\" or \"containers.*\""
            )));
        }
        if !p.contains('*') && !super::routes::is_operation(p) {
            return Err(GrantError::new(format!(
                "unknown operation {pattern:?} (see the operation table of berth_core::policy)"
            )));
        }
        self.allow.push(p.to_owned());
        Ok(())
    }

    /// Requires the label `key=value` on creates and on the objects the plugin touches.
    pub fn add_label(&mut self, key: &str, value: &str) -> Result<(), GrantError> {
        if key.is_empty() || key.contains('=') || key.chars().any(char::is_control) {
            return Err(GrantError::new(format!("invalid label key {key:?}")));
        }
        if value.chars().any(char::is_control) {
            return Err(GrantError::new(format!("invalid label value {value:?}")));
        }
        self.labels.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    /// Allows images matching `pattern` (`busybox`, `busybox:1.36`,
    /// `127.0.0.1:5000/*`, `docker.io/library/*`, `*`).
    pub fn allow_image(&mut self, pattern: &str) -> Result<(), GrantError> {
        let p = ImagePattern::parse(pattern).map_err(GrantError::new)?;
        self.images.push(p);
        Ok(())
    }

    /// Allows bind mounts of the host path `path` and everything below it. The path
    /// must be absolute and is normalised lexically (no symlink resolution).
    pub fn allow_bind(&mut self, path: &str) -> Result<(), GrantError> {
        let p = normalize_host_path(path).ok_or_else(|| {
            GrantError::new(format!(
                "--allow-bind: {path:?} is not an absolute path without `..`"
            ))
        })?;
        self.binds.push(p);
        Ok(())
    }

    /// Allows adding the capability `cap` (`NET_ADMIN` or `CAP_NET_ADMIN`; `ALL` allows
    /// `CapAdd: ["ALL"]`).
    pub fn allow_cap(&mut self, cap: &str) -> Result<(), GrantError> {
        let c = normalize_cap(cap);
        if c.is_empty()
            || !c
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
        {
            return Err(GrantError::new(format!("invalid capability {cap:?}")));
        }
        self.caps.push(c);
        Ok(())
    }

    /// Allows passing the host device `path` into containers.
    pub fn allow_device(&mut self, path: &str) -> Result<(), GrantError> {
        let p = normalize_host_path(path).ok_or_else(|| {
            GrantError::new(format!("--allow-device: {path:?} is not an absolute path"))
        })?;
        self.devices.push(p);
        Ok(())
    }

    /// Allows setting sysctls matching `pattern` (`net.ipv4.ip_forward`, `net.*`).
    pub fn allow_sysctl(&mut self, pattern: &str) -> Result<(), GrantError> {
        if pattern.is_empty() || pattern.chars().any(|c| c.is_whitespace() || c == '=') {
            return Err(GrantError::new(format!(
                "invalid sysctl pattern {pattern:?}"
            )));
        }
        self.sysctls.push(pattern.to_owned());
        Ok(())
    }

    /// Allows the OCI runtime `name` (besides the default `runc`).
    pub fn allow_runtime(&mut self, name: &str) -> Result<(), GrantError> {
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(GrantError::new(format!("invalid runtime name {name:?}")));
        }
        self.runtimes.push(name.to_owned());
        Ok(())
    }

    /// Allows or forbids `HostConfig.DeviceRequests` (GPUs).
    pub fn set_gpus(&mut self, allowed: bool) {
        self.gpus = allowed;
    }

    /// Allows or forbids URLs the daemon fetches itself (build `remote=`, import
    /// `fromSrc=`).
    pub fn set_remote(&mut self, allowed: bool) {
        self.remote = allowed;
    }

    /// Sets the cap of the plugin's linear memory (at least 1 MiB).
    pub fn set_memory(&mut self, bytes: u64) -> Result<(), GrantError> {
        if bytes < (1 << 20) {
            return Err(GrantError::new(format!(
                "memory limit {bytes} bytes is below 1 MiB; Python guests need at least 16M"
            )));
        }
        self.limits.memory = bytes;
        Ok(())
    }

    /// Sets the cap of open resource handles (at least 1).
    pub fn set_max_handles(&mut self, n: u32) -> Result<(), GrantError> {
        if n == 0 {
            return Err(GrantError::new("max_handles must be at least 1"));
        }
        self.limits.max_handles = n;
        Ok(())
    }

    /// The limits, mutable (fuel, deadline and quotas have no checks to pass).
    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The labels every create must carry and every touched object must have.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// The operation patterns allowed (besides `system.ping`, which every grant allows).
    pub fn operations(&self) -> &[String] {
        &self.allow
    }

    /// The host paths allowed for binds (normalised).
    pub fn binds(&self) -> &[String] {
        &self.binds
    }

    /// Whether `operation` (`containers.list`) matches an allowed pattern.
    ///
    /// `system.ping` is always allowed: it reveals only the API version, and every
    /// client (berth-guest, the engine component) negotiates the version with it first.
    pub fn allows_operation(&self, operation: &str) -> bool {
        operation == ALWAYS_ALLOWED || self.allow.iter().any(|p| glob(p, operation))
    }

    /// Whether the image reference matches the allowlist (references are normalised
    /// like the docker CLI; an invalid reference is not allowed).
    pub fn allows_image(&self, reference: &str) -> bool {
        match ImageRef::parse(reference) {
            Ok(r) => self.allows_image_ref(&r),
            Err(_) => false,
        }
    }

    pub(crate) fn allows_image_ref(&self, r: &ImageRef) -> bool {
        self.images.iter().any(|p| p.matches(r))
    }

    pub(crate) fn allows_any_image(&self) -> bool {
        self.images.iter().any(ImagePattern::is_any)
    }

    /// The granted bind directories, normalised.
    pub(crate) fn bind_paths(&self) -> &[String] {
        &self.binds
    }

    pub(crate) fn allows_cap(&self, cap: &str) -> bool {
        let c = normalize_cap(cap);
        self.caps.contains(&c)
    }

    pub(crate) fn allows_device(&self, normalized: &str) -> bool {
        self.devices.iter().any(|d| d == normalized)
    }

    pub(crate) fn allows_sysctl(&self, key: &str) -> bool {
        self.sysctls.iter().any(|p| glob(p, key))
    }

    pub(crate) fn allows_runtime(&self, name: &str) -> bool {
        self.runtimes.iter().any(|r| r == name)
    }

    pub(crate) fn gpus(&self) -> bool {
        self.gpus
    }

    pub(crate) fn remote(&self) -> bool {
        self.remote
    }
}

/// `CAP_NET_ADMIN`, `net_admin` → `NET_ADMIN`.
pub(crate) fn normalize_cap(cap: &str) -> String {
    let up = cap.trim().to_ascii_uppercase();
    up.strip_prefix("CAP_").map(str::to_owned).unwrap_or(up)
}

/// Whether normalised `path` is `base` or below it.
pub(crate) fn path_within(path: &str, base: &str) -> bool {
    if base == "/" {
        return true;
    }
    path == base || (path.starts_with(base) && path.as_bytes().get(base.len()) == Some(&b'/'))
}

/// Glob with `*` = any run of characters (dots and slashes included).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}
