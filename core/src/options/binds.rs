//! Bind specs (`Binds`), `VolumesFrom`, `Tmpfs` and `Devices`.
//!
//! A bind is `source:target[:options]` where `source` is a host path or a volume name
//! and `options` a comma list (`ro`/`rw`, `z`/`Z`, `nocopy`, a propagation mode, a
//! consistency). Windows sources such as `C:\data` are not split at the drive colon.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::models;

/// A bind-mount propagation mode (`HostConfig.Binds` option or `Mount.BindOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Propagation {
    /// `private`.
    Private,
    /// `rprivate` (the Engine's default).
    Rprivate,
    /// `shared`.
    Shared,
    /// `rshared`.
    Rshared,
    /// `slave`.
    Slave,
    /// `rslave`.
    Rslave,
}

impl Propagation {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Propagation::Private => "private",
            Propagation::Rprivate => "rprivate",
            Propagation::Shared => "shared",
            Propagation::Rshared => "rshared",
            Propagation::Slave => "slave",
            Propagation::Rslave => "rslave",
        }
    }

    /// The `Mount.BindOptions.Propagation` value.
    pub fn to_model(self) -> models::MountBindOptionsPropagationEnum {
        use models::MountBindOptionsPropagationEnum as P;
        match self {
            Propagation::Private => P::PRIVATE,
            Propagation::Rprivate => P::RPRIVATE,
            Propagation::Shared => P::SHARED,
            Propagation::Rshared => P::RSHARED,
            Propagation::Slave => P::SLAVE,
            Propagation::Rslave => P::RSLAVE,
        }
    }
}

impl fmt::Display for Propagation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Propagation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Propagation> {
        Ok(match s {
            "private" => Propagation::Private,
            "rprivate" => Propagation::Rprivate,
            "shared" => Propagation::Shared,
            "rshared" => Propagation::Rshared,
            "slave" => Propagation::Slave,
            "rslave" => Propagation::Rslave,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "propagation {s:?}: expected one of private, rprivate, shared, rshared, \
                     slave, rslave"
                )));
            }
        })
    }
}

/// Which group a bind option belongs to; each group may appear once.
fn option_group(opt: &str) -> Option<&'static str> {
    Some(match opt {
        "ro" | "rw" => "access mode (ro/rw)",
        "z" | "Z" => "SELinux label (z/Z)",
        "nocopy" => "nocopy",
        "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" => "propagation",
        "consistent" | "cached" | "delegated" | "default" => "consistency",
        _ => return None,
    })
}

/// Checks a comma list of bind options.
fn check_options(options: &[String], ctx: &dyn Fn(String) -> Error) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for opt in options {
        let group = option_group(opt).ok_or_else(|| {
            ctx(format!(
                "unknown option {opt:?} (expected ro, rw, z, Z, nocopy, a propagation such as \
                 rshared, or a consistency such as cached)"
            ))
        })?;
        if seen.contains(&group) {
            return Err(ctx(format!("{group} given twice")));
        }
        seen.push(group);
    }
    Ok(())
}

/// `X:\…` or `X:/…`: a Windows path with a drive letter.
pub(super) fn is_drive_path(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/')
}

/// Whether `s` is an absolute container path (Linux, or Windows with a drive).
fn is_absolute(s: &str) -> bool {
    s.starts_with('/') || is_drive_path(s)
}

/// Splits `a:b[:c]` at colons; with `drives`, a drive letter (`C:\`) at the start of
/// the first two fields is not a separator.
pub(super) fn split_fields(s: &str, drives: bool) -> Vec<String> {
    let mut fields = Vec::new();
    let mut rest = s;
    loop {
        let skip = if drives && fields.len() < 2 && is_drive_path(rest) {
            2
        } else {
            0
        };
        match rest[skip..].find(':') {
            Some(i) => {
                fields.push(rest[..skip + i].to_owned());
                rest = &rest[skip + i + 1..];
            }
            None => {
                fields.push(rest.to_owned());
                return fields;
            }
        }
    }
}

/// One `HostConfig.Binds` entry: a host path or volume name mounted at a container
/// path, with options.
///
/// ```
/// use berth_core::options::{Bind, Propagation};
/// let b = Bind::new("/srv/data", "/data").read_only(true).propagation(Propagation::Rslave);
/// assert_eq!(b.to_string(), "/srv/data:/data:ro,rslave");
/// let w: Bind = r"C:\x:/data:ro".parse()?;
/// assert_eq!(w.source(), r"C:\x");
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bind {
    source: String,
    target: String,
    options: Vec<String>,
}

impl Bind {
    /// `source` (host path or volume name) at container path `target`, no options.
    pub fn new(source: impl Into<String>, target: impl Into<String>) -> Bind {
        Bind {
            source: source.into(),
            target: target.into(),
            options: Vec::new(),
        }
    }

    fn set(mut self, group: &str, value: &str) -> Bind {
        self.options
            .retain(|o| option_group(o) != option_group(group));
        self.options.push(value.to_owned());
        self
    }

    /// `ro` (true) or `rw` (false).
    pub fn read_only(self, ro: bool) -> Bind {
        self.set("ro", if ro { "ro" } else { "rw" })
    }

    /// A propagation mode (Linux bind mounts).
    pub fn propagation(self, p: Propagation) -> Bind {
        self.set(p.as_str(), p.as_str())
    }

    /// Adds options from a comma list (`"ro"`, `"rw,Z"`, `"ro,rshared"`); an option of
    /// a group already set replaces it.
    pub fn mode(mut self, mode: &str) -> Result<Bind> {
        let opts: Vec<String> = mode.split(',').map(str::to_owned).collect();
        let ctx = |why: String| Error::InvalidArgument(format!("bind mode {mode:?}: {why}"));
        check_options(&opts, &ctx)?;
        for opt in &opts {
            self = self.set(opt, opt);
        }
        Ok(self)
    }

    /// The host path or volume name.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The container path.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The options, in order.
    pub fn options(&self) -> &[String] {
        &self.options
    }

    /// Checks the source, the target and the options.
    fn validate(&self) -> Result<()> {
        let ctx = |why: String| {
            Error::InvalidArgument(format!(
                "bind {:?}: {why}; expected source:container_path[:options]",
                self.to_string()
            ))
        };
        if self.source.is_empty() {
            return Err(ctx("the source (host path or volume name) is empty".into()));
        }
        if !is_absolute(&self.target) {
            return Err(ctx(format!(
                "container path {:?} is not absolute",
                self.target
            )));
        }
        check_options(&self.options, &ctx)
    }

    /// The `Binds` string, after checking it.
    pub fn to_spec(&self) -> Result<String> {
        self.validate()?;
        Ok(self.to_string())
    }
}

impl fmt::Display for Bind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.target)?;
        if !self.options.is_empty() {
            write!(f, ":{}", self.options.join(","))?;
        }
        Ok(())
    }
}

impl FromStr for Bind {
    type Err = Error;

    /// `"/h:/c"`, `"/h:/c:ro"`, `"vol:/c:rw,z"`, `"C:\\x:/data:ro"`.
    fn from_str(s: &str) -> Result<Bind> {
        let ctx = |why: String| {
            Error::InvalidArgument(format!(
                "bind {s:?}: {why}; expected source:container_path[:options]"
            ))
        };
        let parse = |fields: Vec<String>| -> Result<Bind> {
            let bind = match fields.as_slice() {
                [_] => return Err(ctx("no container path".into())),
                [src, dst] => Bind::new(src, dst),
                [src, dst, mode] => Bind {
                    source: src.clone(),
                    target: dst.clone(),
                    options: mode.split(',').map(str::to_owned).collect(),
                },
                _ => {
                    return Err(ctx(format!(
                        "{} ':'-separated fields, at most 3",
                        fields.len()
                    )));
                }
            };
            bind.validate()?;
            Ok(bind)
        };
        // `v:/data:ro` is volume `v`, not drive `v:`: fall back to a plain split when
        // the drive reading does not give a valid bind.
        match parse(split_fields(s, true)) {
            Err(e) if is_drive_path(s) => parse(split_fields(s, false)).map_err(|_| e),
            other => other,
        }
    }
}

/// The value side of docker-py's dict form of `binds`/`volumes`:
/// `{host: {"bind": target, "mode": …}}`, `{host: {"bind": target, "ro": bool}}` or
/// `{host: target}` (see [`binds_from_map`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindTarget {
    /// The container path (`bind`).
    pub bind: String,
    /// The mode string (`mode`), e.g. `"ro"`, `"z"`; `rw` when neither this nor `ro`.
    pub mode: Option<String>,
    /// `ro`: read-only (`true`) or read-write (`false`). Not together with `mode`.
    pub ro: Option<bool>,
    /// `propagation`, appended to the mode after a comma.
    pub propagation: Option<Propagation>,
}

impl BindTarget {
    /// Container path `bind`, read-write.
    pub fn new(bind: impl Into<String>) -> BindTarget {
        BindTarget {
            bind: bind.into(),
            ..BindTarget::default()
        }
    }
}

impl From<&str> for BindTarget {
    fn from(bind: &str) -> BindTarget {
        BindTarget::new(bind)
    }
}

/// docker-py's `convert_volume_binds` for the dict form: each entry becomes
/// `"host:bind:mode[,propagation]"` with mode `rw` by default. Giving both `mode` and
/// `ro` is an error.
///
/// ```
/// use berth_core::options::{binds_from_map, BindTarget};
/// let binds = binds_from_map([
///     ("/srv", BindTarget { ro: Some(true), ..BindTarget::new("/mnt") }),
///     ("/tmp", BindTarget::new("/t")),
/// ])?;
/// assert_eq!(binds, ["/srv:/mnt:ro", "/tmp:/t:rw"]);
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn binds_from_map<K: AsRef<str>>(
    map: impl IntoIterator<Item = (K, BindTarget)>,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (host, t) in map {
        let host = host.as_ref();
        let mut mode = match (&t.mode, t.ro) {
            (Some(m), Some(ro)) => {
                return Err(Error::InvalidArgument(format!(
                    "bind {host:?}: both mode {m:?} and ro={ro} given; use one of them"
                )));
            }
            (Some(m), None) => m.clone(),
            (None, Some(true)) => "ro".to_owned(),
            (None, Some(false)) | (None, None) => "rw".to_owned(),
        };
        if let Some(p) = t.propagation {
            if !mode.is_empty() {
                mode.push(',');
            }
            mode.push_str(p.as_str());
        }
        let bind = Bind {
            source: host.to_owned(),
            target: t.bind.clone(),
            options: mode.split(',').map(str::to_owned).collect(),
        };
        out.push(bind.to_spec()?);
    }
    Ok(out)
}

/// `VolumesFrom` from docker-py's comma-joined string (`"a,b:ro"` → `["a", "b:ro"]`).
pub fn volumes_from(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One tmpfs list entry: `"/path:opts"` → `("/path", "opts")`, `"/path"` → `("/path", "")`.
pub fn tmpfs_entry(s: &str) -> Result<(String, String)> {
    let (path, opts) = s.split_once(':').unwrap_or((s, ""));
    require_absolute_tmpfs(path, s, "/path[:options] like \"/run:rw,size=64m\"")?;
    Ok((path.to_owned(), opts.to_owned()))
}

/// Refuses a tmpfs mount point that is not absolute; `given` is what the caller wrote,
/// `expected` the form the error shows.
pub(crate) fn require_absolute_tmpfs(path: &str, given: &str, expected: &str) -> Result<()> {
    if path.starts_with('/') {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "tmpfs {given:?}: path {path:?} is not absolute; expected {expected}"
    )))
}

/// docker-py's `convert_tmpfs_mounts` for the list form.
pub fn tmpfs_map<'a>(
    entries: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, String>> {
    entries.into_iter().map(tmpfs_entry).collect()
}

/// `Devices` entry from `host[:container[:permissions]]`: the container path defaults
/// to the host path and the permissions to `rwm`. Like the CLI, `host:perms` (a second
/// field made only of `r`, `w`, `m`) sets the permissions.
///
/// ```
/// let d = berth_core::options::parse_device("/dev/sda:/dev/xvda:r")?;
/// assert_eq!(d.path_in_container.as_deref(), Some("/dev/xvda"));
/// assert_eq!(d.cgroup_permissions.as_deref(), Some("r"));
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn parse_device(s: &str) -> Result<models::DeviceMapping> {
    let ctx = |why: String| {
        Error::InvalidArgument(format!(
            "device {s:?}: {why}; expected host_path[:container_path[:permissions]] like \
             \"/dev/sda:/dev/xvda:rwm\""
        ))
    };
    let is_perms = |p: &str| {
        !p.is_empty()
            && p.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
            && ['r', 'w', 'm'].iter().all(|c| p.matches(*c).count() <= 1)
    };
    let parts: Vec<&str> = s.split(':').collect();
    let (host, ctr, perms) = match parts.as_slice() {
        [h] => (*h, *h, "rwm"),
        [h, p] if is_perms(p) => (*h, *h, *p),
        [h, c] => (*h, *c, "rwm"),
        [h, c, p] => (*h, *c, *p),
        _ => {
            return Err(ctx(format!(
                "{} ':'-separated fields, at most 3",
                parts.len()
            )));
        }
    };
    if host.is_empty() {
        return Err(ctx("the host path is empty".into()));
    }
    if !ctr.starts_with('/') {
        return Err(ctx(format!("container path {ctr:?} is not absolute")));
    }
    if !is_perms(perms) {
        return Err(ctx(format!(
            "permissions {perms:?} are not a combination of r, w and m"
        )));
    }
    Ok(models::DeviceMapping {
        path_on_host: Some(host.to_owned()),
        path_in_container: Some(ctr.to_owned()),
        cgroup_permissions: Some(perms.to_owned()),
    })
}
