//! [`ServiceOptions`]: docker-py's `services.create` / `Service.update` keyword
//! arguments as a builder, producing a `ServiceSpec` or merging changes into the
//! current one (docker-py's `fetch_current_spec`).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::refs::{ConfigReference, DnsConfig, NetworkAttachment, Privileges, SecretReference};
use super::task::{Resources, TaskRestartPolicy, UpdateConfig};
use super::types::{EndpointSpec, PlacementPreference, ServiceMode};
use crate::api::swarm::{DriverConfig, object_of};
use crate::error::{Error, Result};
use crate::options::{
    Healthcheck, MountSpec, Ulimit, duration_nanos, env_entry, env_var, shell_split,
};
use crate::version::ApiVersion;

/// Where a service's tasks may run (docker-py's `Placement`; a plain list of
/// constraints is docker-py's list form, edge case 178).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    /// Constraints such as `node.role==manager` or `node.labels.zone!=a`.
    pub constraints: Vec<String>,
    /// Spread preferences (API 1.27).
    pub preferences: Vec<PlacementPreference>,
    /// `(architecture, os)` pairs the image supports (API 1.30).
    pub platforms: Vec<(String, String)>,
    /// At most this many tasks per node (API 1.40).
    pub max_replicas: Option<u64>,
}

impl Placement {
    /// Only constraints.
    pub fn constraints<S: Into<String>>(list: impl IntoIterator<Item = S>) -> Placement {
        Placement {
            constraints: list.into_iter().map(Into::into).collect(),
            ..Placement::default()
        }
    }

    /// The `Placement` JSON.
    pub fn to_json(&self, api: ApiVersion) -> Result<Value> {
        let mut m = Map::new();
        if !self.constraints.is_empty() {
            m.insert("Constraints".into(), json!(self.constraints));
        }
        if !self.preferences.is_empty() {
            api.require(ApiVersion::new(1, 27), "service placement (preferences)")?;
            let p = self.preferences.iter().map(PlacementPreference::to_json);
            m.insert("Preferences".into(), Value::Array(p.collect()));
        }
        if !self.platforms.is_empty() {
            api.require(ApiVersion::new(1, 30), "service placement (platforms)")?;
            let p = self
                .platforms
                .iter()
                .map(|(arch, os)| json!({"Architecture": arch, "OS": os}));
            m.insert("Platforms".into(), Value::Array(p.collect()));
        }
        if let Some(n) = self.max_replicas {
            api.require(ApiVersion::new(1, 40), "service placement (max replicas)")?;
            m.insert("MaxReplicas".into(), Value::from(n));
        }
        Ok(Value::Object(m))
    }
}

/// `ContainerSpec` keys and the API version each needs (docker-py's
/// `_check_api_features`).
const CONTAINER_GATES: &[(&str, ApiVersion)] = &[
    ("TTY", ApiVersion::new(1, 25)),
    ("Hostname", ApiVersion::new(1, 25)),
    ("Hosts", ApiVersion::new(1, 25)),
    ("Groups", ApiVersion::new(1, 25)),
    ("DNSConfig", ApiVersion::new(1, 25)),
    ("Healthcheck", ApiVersion::new(1, 25)),
    ("ReadOnly", ApiVersion::new(1, 28)),
    ("StopSignal", ApiVersion::new(1, 28)),
    ("Configs", ApiVersion::new(1, 30)),
    ("Privileges", ApiVersion::new(1, 30)),
    ("Isolation", ApiVersion::new(1, 35)),
    ("Init", ApiVersion::new(1, 38)),
    ("Sysctls", ApiVersion::new(1, 40)),
    ("CapabilityAdd", ApiVersion::new(1, 41)),
    ("CapabilityDrop", ApiVersion::new(1, 41)),
    ("Ulimits", ApiVersion::new(1, 41)),
];

/// Nested `ContainerSpec` fields a daemon older than their API version drops without
/// a word: (what, the version, whether the spec sets it).
fn nested_gates(cs: &Map<String, Value>) -> [(&'static str, ApiVersion, bool); 3] {
    let hc = cs.get("Healthcheck");
    let hc_has = |k: &str| hc.is_some_and(|h| h.get(k).is_some_and(|v| !v.is_null()));
    let subpath = cs
        .get("Mounts")
        .and_then(Value::as_array)
        .is_some_and(|ms| {
            ms.iter().any(|m| {
                m.get("VolumeOptions")
                    .and_then(|o| o.get("Subpath"))
                    .is_some_and(|v| !v.is_null())
            })
        });
    [
        (
            "service healthcheck (start period)",
            ApiVersion::new(1, 29),
            hc_has("StartPeriod"),
        ),
        (
            "service healthcheck (start interval)",
            ApiVersion::new(1, 44),
            hc_has("StartInterval"),
        ),
        (
            "service mount (volume subpath)",
            ApiVersion::new(1, 45),
            subpath,
        ),
    ]
}

/// A service spec as docker-py's keyword arguments: service level (`name`, `labels`,
/// `mode`, `update_config`, `rollback_config`, `endpoint_spec`, `networks`), the
/// container (`image`, `command`, `env`, `mounts`, `secrets`, …), the task template
/// (`resources`, `restart_policy`, `log_driver`, `force_update`) and placement
/// (`constraints`, `preferences`, `platforms`, `maxreplicas`).
///
/// Only what is set is sent. For create, [`ServiceOptions::to_spec`] needs an image;
/// for update, [`ServiceOptions::merge_into`] applies the settings to the current
/// spec like docker-py's `fetch_current_spec`: container settings one key at a time,
/// other task template parts (resources, placement, …) and service-level parts as
/// wholes; everything not set keeps its current value.
///
/// ```
/// use berth_core::api::services::{EndpointSpec, Resources, ServiceMode, ServiceOptions};
/// use berth_core::ApiVersion;
///
/// let spec = ServiceOptions::new("nginx:alpine")
///     .name("web")
///     .env("MODE", "prod")?
///     .mode(ServiceMode::replicated(2))
///     .constraint("node.role==manager")
///     .resources(Resources::new().mem_limit_str("64m")?)
///     .endpoint_spec(EndpointSpec::new().port(Some(8080), 80))
///     .to_spec(ApiVersion::new(1, 41))?;
/// assert_eq!(spec["TaskTemplate"]["ContainerSpec"]["Env"], serde_json::json!(["MODE=prod"]));
/// assert_eq!(spec["Mode"]["Replicated"]["Replicas"], 2);
/// assert_eq!(spec["TaskTemplate"]["Placement"]["Constraints"][0], "node.role==manager");
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceOptions {
    base: Option<Value>,
    name: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    mode: Option<ServiceMode>,
    update_config: Option<UpdateConfig>,
    rollback_config: Option<UpdateConfig>,
    endpoint_spec: Option<EndpointSpec>,
    networks: Option<Vec<NetworkAttachment>>,
    container: Map<String, Value>,
    resources: Option<Resources>,
    restart_policy: Option<TaskRestartPolicy>,
    placement: Option<Placement>,
    log_driver: Option<DriverConfig>,
    force_update: Option<u64>,
}

impl ServiceOptions {
    /// A service running `image`.
    pub fn new(image: impl Into<String>) -> ServiceOptions {
        ServiceOptions::default().image(image)
    }

    /// Changes only (no image: an update keeps the current one).
    pub fn changes() -> ServiceOptions {
        ServiceOptions::default()
    }

    /// A raw spec the settings are applied over, for fields this builder lacks.
    pub fn base_spec(mut self, spec: Value) -> ServiceOptions {
        self.base = Some(spec);
        self
    }

    fn set(mut self, key: &str, value: Value) -> ServiceOptions {
        self.container.insert(key.into(), value);
        self
    }

    fn push(mut self, key: &str, value: Value) -> ServiceOptions {
        match self.container.get_mut(key) {
            Some(Value::Array(a)) => a.push(value),
            _ => {
                self.container.insert(key.into(), Value::Array(vec![value]));
            }
        }
        self
    }

    fn put(mut self, key: &str, k: String, v: String) -> ServiceOptions {
        let entry = self
            .container
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(k, Value::String(v));
        }
        self
    }

    // ---- service level ----

    /// The service's name.
    pub fn name(mut self, name: impl Into<String>) -> ServiceOptions {
        self.name = Some(name.into());
        self
    }

    /// Adds a service label (on update the labels set replace all current ones).
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> ServiceOptions {
        self.labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Replicated, global or a job.
    pub fn mode(mut self, mode: ServiceMode) -> ServiceOptions {
        self.mode = Some(mode);
        self
    }

    /// How updates roll out.
    pub fn update_config(mut self, c: UpdateConfig) -> ServiceOptions {
        self.update_config = Some(c);
        self
    }

    /// How rollbacks roll out (API 1.28).
    pub fn rollback_config(mut self, c: UpdateConfig) -> ServiceOptions {
        self.rollback_config = Some(c);
        self
    }

    /// Endpoint mode and published ports.
    pub fn endpoint_spec(mut self, e: EndpointSpec) -> ServiceOptions {
        self.endpoint_spec = Some(e);
        self
    }

    /// Adds a network to attach the tasks to (a name, or a [`NetworkAttachment`]).
    pub fn network(mut self, n: impl Into<NetworkAttachment>) -> ServiceOptions {
        self.networks.get_or_insert_with(Vec::new).push(n.into());
        self
    }

    // ---- container ----

    /// The image (`ContainerSpec.Image`).
    pub fn image(self, image: impl Into<String>) -> ServiceOptions {
        self.set("Image", Value::String(image.into()))
    }

    /// The command, replacing the image's entrypoint (`Command`).
    pub fn command<S: Into<String>>(self, words: impl IntoIterator<Item = S>) -> ServiceOptions {
        let w: Vec<String> = words.into_iter().map(Into::into).collect();
        self.set("Command", json!(w))
    }

    /// The command as a shell-like line, split like docker-py's string form.
    pub fn command_line(self, line: &str) -> Result<ServiceOptions> {
        Ok(self.command(shell_split(line)?))
    }

    /// Arguments to the command (`Args`).
    pub fn args<S: Into<String>>(self, words: impl IntoIterator<Item = S>) -> ServiceOptions {
        let w: Vec<String> = words.into_iter().map(Into::into).collect();
        self.set("Args", json!(w))
    }

    /// The containers' hostname (API 1.25).
    pub fn hostname(self, h: impl Into<String>) -> ServiceOptions {
        self.set("Hostname", Value::String(h.into()))
    }

    /// Adds `KEY=value` to the environment (docker-py's dict form becomes this list,
    /// edge case 177). On update the variables set replace the current list.
    pub fn env(self, key: &str, value: impl AsRef<str>) -> Result<ServiceOptions> {
        let e = env_var(key, Some(value))?;
        Ok(self.push("Env", Value::String(e)))
    }

    /// Adds entries of the list form (`K=V` or `K`).
    pub fn env_list<S: AsRef<str>>(
        mut self,
        entries: impl IntoIterator<Item = S>,
    ) -> Result<ServiceOptions> {
        for e in entries {
            self = self.push("Env", Value::String(env_entry(e.as_ref())?));
        }
        Ok(self)
    }

    /// The working directory (`Dir`; docker-py's `workdir`).
    pub fn workdir(self, dir: impl Into<String>) -> ServiceOptions {
        self.set("Dir", Value::String(dir.into()))
    }

    /// The user (`name`, `uid`, `uid:gid`).
    pub fn user(self, user: impl Display) -> ServiceOptions {
        self.set("User", Value::String(user.to_string()))
    }

    /// Adds a label of the containers (docker-py's `container_labels`).
    pub fn container_label(
        self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> ServiceOptions {
        self.put("Labels", key.into(), value.into())
    }

    /// Adds a mount. A consistency is refused: the Engine's swarm conversion drops
    /// it from service specs (it only ever applied to Docker Desktop containers).
    pub fn mount(self, m: MountSpec) -> Result<ServiceOptions> {
        let built = m.build()?;
        if let Some(c) = &built.consistency {
            return Err(Error::InvalidArgument(format!(
                "service mount at {:?}: consistency {c:?} would be dropped: the Engine \
                 keeps no consistency in service mounts; leave it unset",
                m.target()
            )));
        }
        let v = serde_json::to_value(built)
            .map_err(|e| Error::InvalidArgument(format!("mount: {e}")))?;
        Ok(self.push("Mounts", v))
    }

    /// Adds a mount in docker-py's string form (`source:target[:ro]`).
    pub fn mount_str(self, spec: &str) -> Result<ServiceOptions> {
        self.mount(MountSpec::parse(spec)?)
    }

    /// Time between the stop signal and the kill.
    pub fn stop_grace_period(self, d: Duration) -> Result<ServiceOptions> {
        let ns = duration_nanos("stop grace period", d)?;
        Ok(self.set("StopGracePeriod", Value::from(ns)))
    }

    /// Mounts a secret.
    pub fn secret(self, r: SecretReference) -> Result<ServiceOptions> {
        Ok(self.push("Secrets", r.to_json()?))
    }

    /// Mounts a config (API 1.30).
    pub fn config(self, r: ConfigReference) -> Result<ServiceOptions> {
        Ok(self.push("Configs", r.to_json()?))
    }

    /// Allocates a TTY (API 1.25); its logs are then raw, not multiplexed.
    pub fn tty(self, tty: bool) -> ServiceOptions {
        self.set("TTY", Value::Bool(tty))
    }

    /// Adds a supplementary group (API 1.25).
    pub fn group(self, g: impl Display) -> ServiceOptions {
        self.push("Groups", Value::String(g.to_string()))
    }

    /// Keeps stdin open.
    pub fn open_stdin(self, open: bool) -> ServiceOptions {
        self.set("OpenStdin", Value::Bool(open))
    }

    /// Mounts the root filesystem read-only (API 1.28).
    pub fn read_only(self, ro: bool) -> ServiceOptions {
        self.set("ReadOnly", Value::Bool(ro))
    }

    /// The stop signal (API 1.28).
    pub fn stop_signal(self, s: impl Display) -> ServiceOptions {
        self.set("StopSignal", Value::String(s.to_string()))
    }

    /// The healthcheck (API 1.25).
    pub fn healthcheck(self, hc: &Healthcheck) -> Result<ServiceOptions> {
        let v = serde_json::to_value(hc.to_model()?)
            .map_err(|e| Error::InvalidArgument(format!("healthcheck: {e}")))?;
        Ok(self.set("Healthcheck", v))
    }

    /// Adds an `/etc/hosts` entry (docker-py's dict `{host: ip}` → `"ip host"`).
    pub fn host(self, hostname: &str, ip: &str) -> ServiceOptions {
        self.push("Hosts", Value::String(format!("{ip} {hostname}")))
    }

    /// DNS settings (API 1.25).
    pub fn dns_config(self, d: &DnsConfig) -> ServiceOptions {
        self.set("DNSConfig", d.to_json())
    }

    /// Credential spec and SELinux context (API 1.30).
    pub fn privileges(self, p: &Privileges) -> Result<ServiceOptions> {
        Ok(self.set("Privileges", p.to_json()?))
    }

    /// Isolation technology (`default`, `process`, `hyperv`; API 1.35).
    pub fn isolation(self, i: impl Into<String>) -> ServiceOptions {
        self.set("Isolation", Value::String(i.into()))
    }

    /// Runs an init process as PID 1 (API 1.38).
    pub fn init(self, init: bool) -> ServiceOptions {
        self.set("Init", Value::Bool(init))
    }

    /// Adds a kernel capability (API 1.41).
    pub fn cap_add(self, cap: impl Into<String>) -> ServiceOptions {
        self.push("CapabilityAdd", Value::String(cap.into()))
    }

    /// Drops a kernel capability (API 1.41).
    pub fn cap_drop(self, cap: impl Into<String>) -> ServiceOptions {
        self.push("CapabilityDrop", Value::String(cap.into()))
    }

    /// Adds a resource limit of the containers (`Ulimits`, API 1.41).
    pub fn ulimit(self, u: &Ulimit) -> Result<ServiceOptions> {
        let v = serde_json::to_value(u.to_model())
            .map_err(|e| Error::InvalidArgument(format!("ulimit: {e}")))?;
        Ok(self.push("Ulimits", v))
    }

    /// Sets a namespaced sysctl (API 1.40).
    pub fn sysctl(self, key: impl Into<String>, value: impl Display) -> ServiceOptions {
        self.put("Sysctls", key.into(), value.to_string())
    }

    // ---- task template ----

    /// CPU and memory limits and reservations.
    pub fn resources(mut self, r: Resources) -> ServiceOptions {
        self.resources = Some(r);
        self
    }

    /// When tasks restart.
    pub fn restart_policy(mut self, p: TaskRestartPolicy) -> ServiceOptions {
        self.restart_policy = Some(p);
        self
    }

    /// The tasks' log driver (docker-py's `log_driver` + `log_driver_options`).
    pub fn log_driver(mut self, d: DriverConfig) -> ServiceOptions {
        self.log_driver = Some(d);
        self
    }

    /// `TaskTemplate.ForceUpdate`: a counter whose change redeploys the tasks
    /// (API 1.25).
    pub fn force_update(mut self, counter: u64) -> ServiceOptions {
        self.force_update = Some(counter);
        self
    }

    /// The whole placement.
    pub fn placement(mut self, p: Placement) -> ServiceOptions {
        self.placement = Some(p);
        self
    }

    /// Adds a placement constraint.
    pub fn constraint(mut self, c: impl Into<String>) -> ServiceOptions {
        self.placement
            .get_or_insert_with(Placement::default)
            .constraints
            .push(c.into());
        self
    }

    /// Adds a placement preference.
    pub fn preference(mut self, p: PlacementPreference) -> ServiceOptions {
        self.placement
            .get_or_insert_with(Placement::default)
            .preferences
            .push(p);
        self
    }

    /// Adds a platform `(architecture, os)`.
    pub fn platform(mut self, arch: impl Into<String>, os: impl Into<String>) -> ServiceOptions {
        self.placement
            .get_or_insert_with(Placement::default)
            .platforms
            .push((arch.into(), os.into()));
        self
    }

    /// At most `n` tasks per node (docker-py's `maxreplicas`).
    pub fn max_replicas(mut self, n: u64) -> ServiceOptions {
        self.placement
            .get_or_insert_with(Placement::default)
            .max_replicas = Some(n);
        self
    }

    // ---- output ----

    /// The settings as a partial spec (only what is set).
    pub fn partial(&self, api: ApiVersion) -> Result<Map<String, Value>> {
        let mut spec = Map::new();
        if let Some(n) = &self.name {
            spec.insert("Name".into(), Value::String(n.clone()));
        }
        if let Some(l) = &self.labels {
            spec.insert("Labels".into(), json!(l));
        }
        if let Some(m) = self.mode {
            if m.is_job() {
                api.require(ApiVersion::new(1, 41), "service mode (jobs)")?;
            }
            spec.insert("Mode".into(), m.to_json());
        }
        if let Some(u) = &self.update_config {
            spec.insert("UpdateConfig".into(), u.to_json(api, false)?);
        }
        if let Some(r) = &self.rollback_config {
            api.require(ApiVersion::new(1, 28), "service rollback config")?;
            spec.insert("RollbackConfig".into(), r.to_json(api, true)?);
        }
        if let Some(e) = &self.endpoint_spec {
            spec.insert("EndpointSpec".into(), e.to_json(api)?);
        }
        let mut tt = Map::new();
        if !self.container.is_empty() {
            for (key, required) in CONTAINER_GATES {
                if self.container.contains_key(*key) {
                    api.require(*required, &format!("service container spec ({key})"))?;
                }
            }
            for (what, required, set) in nested_gates(&self.container) {
                if set {
                    api.require(required, what)?;
                }
            }
            tt.insert(
                "ContainerSpec".into(),
                Value::Object(self.container.clone()),
            );
        }
        if let Some(r) = &self.resources {
            tt.insert("Resources".into(), r.to_json(api)?);
        }
        if let Some(p) = &self.restart_policy {
            tt.insert("RestartPolicy".into(), p.to_json()?);
        }
        if let Some(p) = &self.placement {
            tt.insert("Placement".into(), p.to_json(api)?);
        }
        if let Some(d) = &self.log_driver {
            tt.insert("LogDriver".into(), d.checked_json("service log driver")?);
        }
        if let Some(f) = self.force_update {
            api.require(ApiVersion::new(1, 25), "service force update")?;
            tt.insert("ForceUpdate".into(), Value::from(f));
        }
        if let Some(nets) = &self.networks {
            let list = nets
                .iter()
                .map(NetworkAttachment::to_json)
                .collect::<Result<Vec<_>>>()?;
            // Edge case 172: networks moved into the task template in API 1.25.
            if api >= ApiVersion::new(1, 25) {
                tt.insert("Networks".into(), Value::Array(list));
            } else {
                spec.insert("Networks".into(), Value::Array(list));
            }
        }
        if !tt.is_empty() {
            spec.insert("TaskTemplate".into(), Value::Object(tt));
        }
        Ok(spec)
    }

    /// `current` (a service's `Spec`, or `null`) with these settings applied, the
    /// way docker-py's `update_service(fetch_current_spec=True)` merges.
    pub fn merge_into(&self, current: &Value, api: ApiVersion) -> Result<Value> {
        let mut out = object_of(current, "the current service spec")?;
        for (k, v) in self.partial(api)? {
            let Value::Object(changes) = v else {
                out.insert(k, v);
                continue;
            };
            if k != "TaskTemplate" {
                out.insert(k, Value::Object(changes));
                continue;
            }
            if changes.contains_key("Networks") {
                out.remove("Networks");
            }
            let tt = out
                .entry("TaskTemplate")
                .or_insert_with(|| Value::Object(Map::new()));
            if !tt.is_object() {
                *tt = Value::Object(Map::new());
            }
            let Value::Object(tt) = tt else { continue };
            for (tk, tv) in changes {
                match (tk.as_str(), tv) {
                    ("ContainerSpec", Value::Object(cs)) => {
                        let cur = tt
                            .entry("ContainerSpec")
                            .or_insert_with(|| Value::Object(Map::new()));
                        match cur {
                            Value::Object(cur) => cur.extend(cs),
                            other => *other = Value::Object(cs),
                        }
                    }
                    (_, tv) => {
                        tt.insert(tk, tv);
                    }
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// The whole spec for create: the base spec (if any) with these settings. Fails
    /// without an image.
    pub fn to_spec(&self, api: ApiVersion) -> Result<Value> {
        let spec = self.merge_into(self.base.as_ref().unwrap_or(&Value::Null), api)?;
        match image_of(&spec) {
            Some(i) if !i.is_empty() => Ok(spec),
            _ => Err(Error::InvalidArgument(
                "service create: no image; use ServiceOptions::new(image)".into(),
            )),
        }
    }
}

/// `TaskTemplate.ContainerSpec.Image` of a service spec.
pub fn image_of(spec: &Value) -> Option<&str> {
    spec.get("TaskTemplate")?
        .get("ContainerSpec")?
        .get("Image")?
        .as_str()
}

/// `TaskTemplate.ContainerSpec.TTY` of a service spec (`false` when absent): whether
/// its logs are raw rather than multiplexed (edge case 181).
pub fn tty_of(spec: &Value) -> bool {
    spec.get("TaskTemplate")
        .and_then(|t| t.get("ContainerSpec"))
        .and_then(|c| c.get("TTY"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}
