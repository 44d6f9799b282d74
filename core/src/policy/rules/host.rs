//! Container and host-config rules: binds, mounts, namespaces, devices, capabilities,
//! security options and the rest of what reaches the host.

use serde_json::Value;

use super::super::ObjectKind;
use super::super::grant::{normalize_cap, path_within};
use super::super::json::field;
use super::super::path::{normalize_host_path, truncate};
use super::{Ctx, R, arr, bool_field, deny, is_volume_name, obj, str_field, str_list};
use crate::model::json_kind;

/// Sockets a bind must never reach unless the grant names the path exactly.
const SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/docker",
    "/run/docker",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd",
    "/var/run/containerd",
    "/var/lib/docker",
];

/// Why mounting a host path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// It holds, or is held by, the engine's sockets or state (or is a socket under
    /// `/run`), and the grant does not name exactly that path.
    EngineSocket,
    /// It lies outside every granted directory.
    OutsideBinds,
}

impl Refusal {
    /// The policy rule named in the denial.
    fn rule(self) -> &'static str {
        match self {
            Refusal::EngineSocket => "docker-socket",
            Refusal::OutsideBinds => "bind-path",
        }
    }
}

/// Why mounting the normalised `path` is refused when `binds` are the granted
/// directories (`None`: allowed). A path holding, or held by, the engine's sockets or
/// state, or a socket under `/run`, needs a grant naming exactly that path; any other
/// must lie within a granted directory.
fn refused_by(path: &str, binds: &[String]) -> Option<Refusal> {
    let under_run = path_within(path, "/run") || path_within(path, "/var/run");
    let exposes_engine = SOCKETS
        .iter()
        .any(|s| path_within(s, path) || path_within(path, s))
        || (under_run && path.ends_with(".sock"));
    if exposes_engine && !binds.iter().any(|b| b == path) {
        Some(Refusal::EngineSocket)
    } else if !binds.iter().any(|b| path_within(path, b)) {
        Some(Refusal::OutsideBinds)
    } else {
        None
    }
}

impl Ctx<'_> {
    /// A host path used as a bind source.
    pub(super) fn host_path(&self, path: &str, what: &str) -> R {
        let norm = normalize_host_path(path).ok_or_else(|| {
            deny(
                "bind-path",
                format!(
                    "{what} {:?} is not an absolute path without `..`",
                    truncate(path)
                ),
            )
        })?;
        if let Some(refusal) = refused_by(&norm, self.grant.bind_paths()) {
            let why = match refusal {
                Refusal::EngineSocket => {
                    "would expose the container engine's socket or state; only a grant naming that exact path allows it"
                }
                Refusal::OutsideBinds => "is outside the grant's binds",
            };
            return Err(deny(refusal.rule(), format!("{what} {norm:?} {why}")));
        }
        let Some(host) = self.host_paths else {
            return Ok(());
        };
        // Where the daemon will really mount from: a symlink inside a granted
        // directory may lead anywhere.
        let real = host
            .resolve(&norm)
            .and_then(|r| {
                normalize_host_path(&r).ok_or_else(|| format!("it leads to {:?}", truncate(&r)))
            })
            .map_err(|e| {
                deny(
                    "bind-path",
                    format!("{what} {norm:?} cannot be resolved on the daemon's host: {e}"),
                )
            })?;
        if real == norm {
            return Ok(());
        }
        if let Some(refusal) = refused_by(&real, host.binds()) {
            let why = match refusal {
                Refusal::EngineSocket => {
                    "which would expose the container engine's socket or state"
                }
                Refusal::OutsideBinds => "outside the grant's binds",
            };
            return Err(deny(
                refusal.rule(),
                format!("{what} {norm:?} leads to {real:?} (through a symlink), {why}"),
            ));
        }
        Ok(())
    }

    /// Local-driver options: `o=bind` with a `device` is a host bind in disguise.
    pub(super) fn driver_opts(&self, opts: Option<&Value>, what: &str) -> R {
        let Some(v) = opts else { return Ok(()) };
        let m = obj(v, what)?;
        let mut o = None;
        let mut device = None;
        let mut typ = None;
        for (k, v) in m {
            let s = v.as_str().ok_or_else(|| {
                deny(
                    "json-type",
                    format!("{what}.{k} is {}, not a string", json_kind(v)),
                )
            })?;
            match k.to_ascii_lowercase().as_str() {
                "o" => o = Some(s),
                "device" => device = Some(s),
                "type" => typ = Some(s),
                _ => {}
            }
        }
        let binds = o.is_some_and(|o| {
            o.split(',')
                .any(|x| matches!(x.trim().to_ascii_lowercase().as_str(), "bind" | "rbind"))
        });
        if binds {
            return self.host_path(device.unwrap_or(""), &format!("{what} device (o=bind)"));
        }
        if typ.is_some_and(|t| t.eq_ignore_ascii_case("tmpfs")) {
            return Ok(());
        }
        if device.is_some() || typ.is_some() {
            return Err(deny(
                "volume-driver-opts",
                format!(
                    "{what} mounts a device or filesystem from the host (type/device options); only tmpfs is allowed"
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn volume_driver(&self, name: Option<&str>, what: &str) -> R {
        match name {
            None | Some("" | "local") => Ok(()),
            Some(d) => Err(deny(
                "volume-driver",
                format!(
                    "{what} {:?}: only the local volume driver is allowed",
                    truncate(d)
                ),
            )),
        }
    }

    pub(super) fn caps(&self, list: Option<&Value>, what: &str) -> R {
        for cap in str_list(list, what)? {
            let c = normalize_cap(cap);
            if !self.grant.allows_cap(&c) {
                return Err(deny(
                    "cap-add",
                    format!("{what} adds {c}, which the grant's caps do not allow"),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn sysctls(&self, v: Option<&Value>, what: &str) -> R {
        if let Some(v) = v {
            for k in obj(v, what)?.keys() {
                if !self.grant.allows_sysctl(k) {
                    return Err(deny(
                        "sysctls",
                        format!(
                            "{what} sets {:?}, which the grant's sysctls do not allow",
                            truncate(k)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn log_driver(&self, name: Option<&str>, what: &str) -> R {
        match name {
            None | Some("" | "json-file" | "local" | "none" | "journald") => Ok(()),
            Some(d) => Err(deny(
                "log-driver",
                format!(
                    "{what} {:?}: only json-file, local, journald and none are allowed (others send data off the host)",
                    truncate(d)
                ),
            )),
        }
    }

    /// `Mounts` of a container or a service's `ContainerSpec`.
    pub(super) fn mounts(&mut self, list: Option<&Value>, what: &str) -> R {
        let Some(list) = list else { return Ok(()) };
        for (i, m) in arr(list, what)?.iter().enumerate() {
            let w = format!("{what}[{i}]");
            if m.is_null() {
                continue;
            }
            let typ = str_field(m, "Type", &w)?.unwrap_or("");
            let source = str_field(m, "Source", &w)?.unwrap_or("");
            match typ.to_ascii_lowercase().as_str() {
                "bind" => self.host_path(source, &format!("{w}.Source (bind)"))?,
                "volume" => {
                    if !source.is_empty() {
                        // A missing volume is created with VolumeOptions.Labels.
                        let labels = field(m, "VolumeOptions").and_then(|vo| field(vo, "Labels"));
                        let created_labelled = self.carries_labels(labels);
                        self.refer_with(ObjectKind::Volume, source, created_labelled);
                    }
                    if let Some(vo) = field(m, "VolumeOptions")
                        && let Some(dc) = field(vo, "DriverConfig")
                    {
                        let dw = format!("{w}.VolumeOptions.DriverConfig");
                        self.volume_driver(str_field(dc, "Name", &dw)?, &format!("{dw}.Name"))?;
                        self.driver_opts(field(dc, "Options"), &format!("{dw}.Options"))?;
                    }
                }
                "tmpfs" => {}
                t => {
                    return Err(deny(
                        "mount-type",
                        format!(
                            "{w}.Type {:?}: only bind, volume and tmpfs are allowed",
                            truncate(t)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A `*Mode` field of a host config.
    pub(super) fn mode(
        &mut self,
        hc: &Value,
        key: &'static str,
        rule: &'static str,
        what: &str,
    ) -> R {
        let Some(v) = str_field(hc, key, what)? else {
            return Ok(());
        };
        let lower = v.to_ascii_lowercase();
        if lower == "host" {
            return Err(deny(rule, format!("{what}.{key} is \"host\"")));
        }
        if let Some(id) = v.strip_prefix("container:")
            && matches!(key, "NetworkMode" | "PidMode" | "IpcMode")
            && !id.is_empty()
        {
            self.refer(ObjectKind::Container, id);
            return Ok(());
        }
        let ok = match key {
            "NetworkMode" => {
                if !matches!(lower.as_str(), "" | "default" | "bridge" | "none") {
                    if lower.starts_with("container:") {
                        return Err(deny(rule, format!("{what}.{key} {v:?} names no container")));
                    }
                    self.refer(ObjectKind::Network, v);
                }
                true
            }
            "IpcMode" => matches!(lower.as_str(), "" | "none" | "private" | "shareable"),
            "CgroupnsMode" => matches!(lower.as_str(), "" | "private"),
            _ => v.is_empty(),
        };
        if ok {
            Ok(())
        } else {
            Err(deny(
                rule,
                format!("{what}.{key} {:?} is not allowed", truncate(v)),
            ))
        }
    }

    /// Every host-config rule. Applied to `HostConfig`, to the top level of a create
    /// body (the daemon still reads host-config fields there) and to update bodies.
    pub(super) fn host_config(&mut self, hc: &Value, what: &str) -> R {
        if !hc.is_object() {
            return Err(deny(
                "json-type",
                format!("{what} is {}, not an object", json_kind(hc)),
            ));
        }
        if bool_field(hc, "Privileged", what)? == Some(true) {
            return Err(deny("privileged", format!("{what}.Privileged is true")));
        }
        if let Some(binds) = field(hc, "Binds") {
            for (i, b) in str_list(Some(binds), &format!("{what}.Binds"))?
                .into_iter()
                .enumerate()
            {
                let parts: Vec<&str> = b.split(':').collect();
                if parts.len() < 2 {
                    continue; // an anonymous volume at a container path
                }
                let src = parts[0];
                if src.starts_with('/') {
                    self.host_path(src, &format!("{what}.Binds[{i}]"))?;
                } else if !is_volume_name(src) {
                    return Err(deny(
                        "bind-path",
                        format!(
                            "{what}.Binds[{i}] source {:?} is neither an absolute path nor a volume name",
                            truncate(src)
                        ),
                    ));
                } else {
                    self.refer(ObjectKind::Volume, src);
                }
            }
        }
        self.mounts(field(hc, "Mounts"), &format!("{what}.Mounts"))?;
        self.volume_driver(
            str_field(hc, "VolumeDriver", what)?,
            &format!("{what}.VolumeDriver"),
        )?;
        self.mode(hc, "NetworkMode", "host-network", what)?;
        self.mode(hc, "PidMode", "host-pid", what)?;
        self.mode(hc, "IpcMode", "host-ipc", what)?;
        self.mode(hc, "UTSMode", "host-uts", what)?;
        self.mode(hc, "UsernsMode", "host-userns", what)?;
        self.mode(hc, "CgroupnsMode", "host-cgroupns", what)?;
        if let Some(devs) = field(hc, "Devices") {
            for (i, d) in arr(devs, &format!("{what}.Devices"))?.iter().enumerate() {
                let w = format!("{what}.Devices[{i}]");
                let p = str_field(d, "PathOnHost", &w)?.unwrap_or("");
                let ok = normalize_host_path(p).is_some_and(|n| self.grant.allows_device(&n));
                if !ok {
                    return Err(deny(
                        "devices",
                        format!(
                            "{w} passes host device {:?}, which the grant's devices do not allow",
                            truncate(p)
                        ),
                    ));
                }
            }
        }
        if !str_list(field(hc, "DeviceCgroupRules"), what)?.is_empty() {
            return Err(deny(
                "devices",
                format!("{what}.DeviceCgroupRules is not empty"),
            ));
        }
        if let Some(reqs) = field(hc, "DeviceRequests")
            && !arr(reqs, &format!("{what}.DeviceRequests"))?.is_empty()
            && !self.grant.gpus()
        {
            return Err(deny(
                "gpus",
                format!(
                    "{what}.DeviceRequests asks for devices (GPUs); the grant does not allow gpus"
                ),
            ));
        }
        self.caps(field(hc, "CapAdd"), &format!("{what}.CapAdd"))?;
        self.caps(field(hc, "Capabilities"), &format!("{what}.Capabilities"))?;
        for opt in str_list(field(hc, "SecurityOpt"), &format!("{what}.SecurityOpt"))? {
            let o = opt.trim().to_ascii_lowercase().replace(' ', "");
            if !matches!(
                o.as_str(),
                "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true"
            ) {
                let rule = if o.contains("unconfined") || o.contains("disable") {
                    "security-opt-unconfined"
                } else {
                    "security-opt"
                };
                return Err(deny(
                    rule,
                    format!(
                        "{what}.SecurityOpt {:?}: only no-new-privileges is allowed",
                        truncate(opt)
                    ),
                ));
            }
        }
        if str_field(hc, "CgroupParent", what)?.is_some_and(|s| !s.is_empty()) {
            return Err(deny("cgroup-parent", format!("{what}.CgroupParent is set")));
        }
        if str_field(hc, "Cgroup", what)?.is_some_and(|s| !s.is_empty()) {
            return Err(deny("cgroup-parent", format!("{what}.Cgroup is set")));
        }
        self.sysctls(field(hc, "Sysctls"), &format!("{what}.Sysctls"))?;
        for v in str_list(field(hc, "VolumesFrom"), &format!("{what}.VolumesFrom"))? {
            let id = v.split(':').next().unwrap_or("");
            self.refer(ObjectKind::Container, id);
        }
        for l in str_list(field(hc, "Links"), &format!("{what}.Links"))? {
            let id = l.split(':').next().unwrap_or("");
            self.refer(ObjectKind::Container, id);
        }
        if let Some(rt) = str_field(hc, "Runtime", what)?
            && !(rt.is_empty() || rt == "runc" || self.grant.allows_runtime(rt))
        {
            return Err(deny(
                "runtime",
                format!("{what}.Runtime {:?} is not allowed", truncate(rt)),
            ));
        }
        for key in ["MaskedPaths", "ReadonlyPaths"] {
            if field(hc, key).is_some() {
                return Err(deny(
                    "masked-paths",
                    format!("{what}.{key} is set (it can unmask /proc and /sys paths)"),
                ));
            }
        }
        if field(hc, "Annotations")
            .and_then(Value::as_object)
            .is_some_and(|a| !a.is_empty())
        {
            return Err(deny(
                "annotations",
                format!("{what}.Annotations is set (OCI annotations can reconfigure the runtime)"),
            ));
        }
        if let Some(lc) = field(hc, "LogConfig") {
            self.log_driver(
                str_field(lc, "Type", what)?,
                &format!("{what}.LogConfig.Type"),
            )?;
        }
        if bool_field(hc, "AutoRemove", what)? == Some(true) {
            self.auto_remove = true;
        }
        Ok(())
    }

    /// `NetworkingConfig.EndpointsConfig` of a container create.
    pub(super) fn endpoints(&mut self, body: &Value) -> R {
        let Some(nc) = field(body, "NetworkingConfig") else {
            return Ok(());
        };
        let Some(ec) = field(nc, "EndpointsConfig") else {
            return Ok(());
        };
        for net in obj(ec, "NetworkingConfig.EndpointsConfig")?.keys() {
            match net.to_ascii_lowercase().as_str() {
                "host" => {
                    return Err(deny(
                        "host-network",
                        "NetworkingConfig.EndpointsConfig attaches to the host network".to_owned(),
                    ));
                }
                "" | "default" | "bridge" | "none" => {}
                _ => self.refer(ObjectKind::Network, net),
            }
        }
        Ok(())
    }
}
