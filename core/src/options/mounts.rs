//! `Mount` (docker-py's `docker.types.Mount`), for `HostConfig.Mounts` and service
//! `ContainerSpec.Mounts`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use super::binds::{Propagation, is_drive_path, split_fields};
use super::units::MemoryBytes;
use crate::error::{Error, Result};
use crate::models;

/// The type of a [`MountSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MountKind {
    /// A host path.
    Bind,
    /// A named or anonymous volume (docker-py's default).
    #[default]
    Volume,
    /// A tmpfs.
    Tmpfs,
    /// A Windows named pipe.
    Npipe,
}

impl MountKind {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            MountKind::Bind => "bind",
            MountKind::Volume => "volume",
            MountKind::Tmpfs => "tmpfs",
            MountKind::Npipe => "npipe",
        }
    }

    fn to_model(self) -> models::MountType {
        match self {
            MountKind::Bind => models::MountType::BIND,
            MountKind::Volume => models::MountType::VOLUME,
            MountKind::Tmpfs => models::MountType::TMPFS,
            MountKind::Npipe => models::MountType::NPIPE,
        }
    }
}

impl fmt::Display for MountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MountKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<MountKind> {
        Ok(match s {
            "bind" => MountKind::Bind,
            "volume" => MountKind::Volume,
            "tmpfs" => MountKind::Tmpfs,
            "npipe" => MountKind::Npipe,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "mount type {s:?}: expected bind, volume, tmpfs or npipe"
                )));
            }
        })
    }
}

/// A mount, built with the options valid for its type and checked by
/// [`build`](MountSpec::build): options of another type (a propagation on a volume, a
/// tmpfs size on a bind, …) are an error, as in docker-py.
///
/// ```
/// use berth_core::options::MountSpec;
/// let m = MountSpec::volume("cache", "/cache").no_copy(true).label("team", "ci").build()?;
/// assert_eq!(m.volume_options.and_then(|o| o.no_copy), Some(true));
/// let t = MountSpec::tmpfs("/run").tmpfs_size_str("64m")?.tmpfs_mode(0o1777).build()?;
/// assert_eq!(t.tmpfs_options.and_then(|o| o.size_bytes), Some(64 << 20));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MountSpec {
    kind: MountKind,
    target: String,
    source: Option<String>,
    read_only: Option<bool>,
    consistency: Option<String>,
    propagation: Option<Propagation>,
    no_copy: Option<bool>,
    labels: HashMap<String, String>,
    driver: Option<String>,
    driver_options: HashMap<String, String>,
    subpath: Option<String>,
    tmpfs_size: Option<i64>,
    tmpfs_mode: Option<u32>,
}

impl MountSpec {
    /// A mount of `kind` at `target`, from `source` (none for tmpfs and anonymous
    /// volumes).
    pub fn new(kind: MountKind, source: Option<String>, target: impl Into<String>) -> MountSpec {
        MountSpec {
            kind,
            source,
            target: target.into(),
            ..MountSpec::default()
        }
    }

    /// Host path `source` at `target`.
    pub fn bind(source: impl Into<String>, target: impl Into<String>) -> MountSpec {
        MountSpec::new(MountKind::Bind, Some(source.into()), target)
    }

    /// Volume `source` at `target`.
    pub fn volume(source: impl Into<String>, target: impl Into<String>) -> MountSpec {
        MountSpec::new(MountKind::Volume, Some(source.into()), target)
    }

    /// A new anonymous volume at `target`.
    pub fn anonymous_volume(target: impl Into<String>) -> MountSpec {
        MountSpec::new(MountKind::Volume, None, target)
    }

    /// A tmpfs at `target`.
    pub fn tmpfs(target: impl Into<String>) -> MountSpec {
        MountSpec::new(MountKind::Tmpfs, None, target)
    }

    /// Named pipe `source` at `target` (Windows).
    pub fn npipe(source: impl Into<String>, target: impl Into<String>) -> MountSpec {
        MountSpec::new(MountKind::Npipe, Some(source.into()), target)
    }

    /// Read-only (`true`) or read-write (`false`).
    pub fn read_only(mut self, ro: bool) -> MountSpec {
        self.read_only = Some(ro);
        self
    }

    /// `default`, `consistent`, `cached` or `delegated` (Docker Desktop).
    pub fn consistency(mut self, c: impl Into<String>) -> MountSpec {
        self.consistency = Some(c.into());
        self
    }

    /// Bind propagation (bind only).
    pub fn propagation(mut self, p: Propagation) -> MountSpec {
        self.propagation = Some(p);
        self
    }

    /// Do not copy the image's data at the target into a new volume (volume only).
    pub fn no_copy(mut self, no_copy: bool) -> MountSpec {
        self.no_copy = Some(no_copy);
        self
    }

    /// A label for the volume created (volume only).
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> MountSpec {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// The volume driver (volume only).
    pub fn driver(mut self, name: impl Into<String>) -> MountSpec {
        self.driver = Some(name.into());
        self
    }

    /// A volume driver option (volume only).
    pub fn driver_option(mut self, key: impl Into<String>, value: impl Into<String>) -> MountSpec {
        self.driver_options.insert(key.into(), value.into());
        self
    }

    /// A path inside the volume to mount instead of its root (volume only; API 1.45:
    /// older daemons would ignore it and mount the whole volume, so berth refuses it
    /// there).
    pub fn subpath(mut self, path: impl Into<String>) -> MountSpec {
        self.subpath = Some(path.into());
        self
    }

    /// The tmpfs size (tmpfs only).
    pub fn tmpfs_size(mut self, size: impl Into<MemoryBytes>) -> MountSpec {
        self.tmpfs_size = Some(size.into().get());
        self
    }

    /// The tmpfs size as a byte-size string like `"64m"` (tmpfs only).
    pub fn tmpfs_size_str(self, size: &str) -> Result<MountSpec> {
        Ok(self.tmpfs_size(size.parse::<MemoryBytes>()?))
    }

    /// The tmpfs permission bits, e.g. `0o1777` (tmpfs only).
    pub fn tmpfs_mode(mut self, mode: u32) -> MountSpec {
        self.tmpfs_mode = Some(mode);
        self
    }

    /// The mount type.
    pub fn kind(&self) -> MountKind {
        self.kind
    }

    /// The container path.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The options set that the type does not take.
    fn foreign_options(&self) -> Vec<&'static str> {
        let mut found = Vec::new();
        let mut check = |set: bool, name: &'static str, allowed: &[MountKind]| {
            if set && !allowed.contains(&self.kind) {
                found.push(name);
            }
        };
        use MountKind::{Bind, Tmpfs, Volume};
        check(self.propagation.is_some(), "propagation", &[Bind]);
        check(self.no_copy.is_some(), "no_copy", &[Volume]);
        check(!self.labels.is_empty(), "labels", &[Volume]);
        check(self.driver.is_some(), "driver", &[Volume]);
        check(!self.driver_options.is_empty(), "driver options", &[Volume]);
        check(self.subpath.is_some(), "subpath", &[Volume]);
        check(self.tmpfs_size.is_some(), "tmpfs_size", &[Tmpfs]);
        check(self.tmpfs_mode.is_some(), "tmpfs_mode", &[Tmpfs]);
        found
    }

    /// The wire `Mount`, after checking the options against the type.
    pub fn build(&self) -> Result<models::Mount> {
        let ctx = |why: String| {
            Error::InvalidArgument(format!("{} mount at {:?}: {why}", self.kind, self.target))
        };
        if self.target.is_empty() {
            return Err(ctx("the target (container path) is empty".into()));
        }
        let foreign = self.foreign_options();
        if !foreign.is_empty() {
            return Err(ctx(format!(
                "{} not valid for this mount type",
                foreign.join(", ")
            )));
        }
        match (self.kind, &self.source) {
            (MountKind::Bind | MountKind::Npipe, None) => {
                return Err(ctx("a source is required".into()));
            }
            (MountKind::Tmpfs, Some(s)) => {
                return Err(ctx(format!("a tmpfs takes no source (got {s:?})")));
            }
            _ => {}
        }
        if let Some(c) = &self.consistency
            && !matches!(
                c.as_str(),
                "default" | "consistent" | "cached" | "delegated"
            )
        {
            return Err(ctx(format!(
                "consistency {c:?}: expected default, consistent, cached or delegated"
            )));
        }
        let opt_map = |m: &HashMap<String, String>| (!m.is_empty()).then(|| m.clone());
        let volume_options = (self.no_copy.is_some()
            || !self.labels.is_empty()
            || self.driver.is_some()
            || !self.driver_options.is_empty()
            || self.subpath.is_some())
        .then(|| models::MountVolumeOptions {
            no_copy: self.no_copy,
            labels: opt_map(&self.labels),
            driver_config: (self.driver.is_some() || !self.driver_options.is_empty()).then(|| {
                models::MountVolumeOptionsDriverConfig {
                    name: self.driver.clone(),
                    options: opt_map(&self.driver_options),
                }
            }),
            subpath: self.subpath.clone(),
        });
        let tmpfs_options = (self.tmpfs_size.is_some() || self.tmpfs_mode.is_some()).then(|| {
            models::MountTmpfsOptions {
                size_bytes: self.tmpfs_size,
                mode: self.tmpfs_mode.map(i64::from),
                options: None,
            }
        });
        Ok(models::Mount {
            target: Some(self.target.clone()),
            source: self.source.clone(),
            typ: Some(self.kind.to_model()),
            read_only: self.read_only,
            consistency: self.consistency.clone(),
            bind_options: self.propagation.map(|p| models::MountBindOptions {
                propagation: Some(p.to_model()),
                ..models::MountBindOptions::default()
            }),
            volume_options,
            tmpfs_options,
            ..models::Mount::default()
        })
    }

    /// docker-py's `Mount.parse_mount_string`: `target` (anonymous volume),
    /// `source:target` or `source:target:ro|rw`. The type is `bind` when the source is
    /// an absolute path (or a Windows drive path), else `volume`.
    ///
    /// ```
    /// use berth_core::options::{MountKind, MountSpec};
    /// let m = MountSpec::parse("/srv:/data:ro")?;
    /// assert_eq!(m.kind(), MountKind::Bind);
    /// assert_eq!(m.build()?.read_only, Some(true));
    /// # Ok::<(), berth_core::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<MountSpec> {
        let ctx = |why: String| {
            Error::InvalidArgument(format!(
                "mount {s:?}: {why}; expected target, source:target or source:target:ro|rw"
            ))
        };
        let fields = split_fields(s, true);
        let (source, target, ro) = match fields.as_slice() {
            [t] => (None, t.clone(), None),
            [src, t] => (Some(src.clone()), t.clone(), Some(false)),
            [src, t, mode] => {
                let ro = match mode.as_str() {
                    "ro" => true,
                    "rw" => false,
                    _ => return Err(ctx(format!("mode {mode:?} is neither ro nor rw"))),
                };
                (Some(src.clone()), t.clone(), Some(ro))
            }
            _ => {
                return Err(ctx(format!(
                    "{} ':'-separated fields, at most 3",
                    fields.len()
                )));
            }
        };
        if target.is_empty() || source.as_deref() == Some("") {
            return Err(ctx("empty source or target".into()));
        }
        let kind = match &source {
            Some(src) if src.starts_with('/') || is_drive_path(src) => MountKind::Bind,
            _ => MountKind::Volume,
        };
        let mut m = MountSpec::new(kind, source, target);
        m.read_only = ro;
        Ok(m)
    }
}

impl FromStr for MountSpec {
    type Err = Error;

    /// See [`MountSpec::parse`].
    fn from_str(s: &str) -> Result<MountSpec> {
        MountSpec::parse(s)
    }
}
