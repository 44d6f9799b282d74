//! [`ContainerOptions`] → the create body: validation, API-version gates and the
//! derived fields (attach flags, exposed ports, network endpoints).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::container::ContainerOptions;
use super::network::EndpointConfig;
use super::ports::exposed_ports;
use crate::error::{Error, Result};
use crate::models;
use crate::version::ApiVersion;

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(1, minor)
}

/// The network named by a `NetworkMode`, if it is one a MAC address can be set on.
fn mode_network(mode: &str) -> Option<&str> {
    match mode {
        "" | "default" => Some("bridge"),
        "host" | "none" => None,
        m if m.starts_with("container:") => None,
        m => Some(m),
    }
}

impl ContainerOptions {
    /// Fails on the first option set that needs a newer API than `api`.
    fn check_api(&self, api: ApiVersion) -> Result<()> {
        let h = &self.host;
        let hc = self.healthcheck.as_ref();
        let networks = self.endpoints.len()
            + usize::from(
                self.network
                    .as_ref()
                    .is_some_and(|n| !self.endpoints.contains_key(n)),
            );
        let pid_not_host = h.pid_mode.as_deref().is_some_and(|m| m != "host");
        // Daemons before 1.45 accept `VolumeOptions.Subpath` and mount the whole volume.
        let subpath = h.mounts.iter().flatten().any(|m| {
            m.volume_options
                .as_ref()
                .is_some_and(|v| v.subpath.is_some())
        });
        let gates: [(bool, ApiVersion, &str); 27] = [
            (self.platform.is_some(), v(41), "container create platform"),
            (
                self.body.stop_timeout.is_some(),
                v(25),
                "container stop_timeout",
            ),
            (hc.is_some(), v(24), "container healthcheck"),
            (
                hc.is_some_and(|h| h.start_period.is_some()),
                v(29),
                "healthcheck start_period",
            ),
            (
                hc.is_some_and(|h| h.start_interval.is_some()),
                v(44),
                "healthcheck start_interval",
            ),
            (h.init.is_some(), v(25), "host config init"),
            (self.init_path.is_some(), v(25), "host config init_path"),
            (h.auto_remove.is_some(), v(25), "host config auto_remove"),
            (
                h.device_requests.is_some(),
                v(40),
                "host config device_requests",
            ),
            (
                h.device_cgroup_rules.is_some(),
                v(28),
                "host config device_cgroup_rules",
            ),
            (h.mounts.is_some(), v(30), "host config mounts"),
            (
                subpath,
                v(45),
                "volume mount subpath (older daemons ignore it and mount the whole volume)",
            ),
            (h.runtime.is_some(), v(25), "host config runtime"),
            (h.cpu_count.is_some(), v(25), "host config cpu_count"),
            (h.cpu_percent.is_some(), v(25), "host config cpu_percent"),
            (h.nano_cpus.is_some(), v(25), "host config nano_cpus"),
            (
                h.cpu_realtime_period.is_some(),
                v(25),
                "host config cpu_rt_period",
            ),
            (
                h.cpu_realtime_runtime.is_some(),
                v(25),
                "host config cpu_rt_runtime",
            ),
            (h.cgroupns_mode.is_some(), v(41), "host config cgroupns"),
            (h.annotations.is_some(), v(43), "host config annotations"),
            (pid_not_host, v(24), "host config pid_mode other than host"),
            (h.isolation.is_some(), v(24), "host config isolation"),
            (h.storage_opt.is_some(), v(24), "host config storage_opt"),
            (h.userns_mode.is_some(), v(23), "host config userns_mode"),
            (h.pids_limit.is_some(), v(23), "host config pids_limit"),
            (
                h.oom_score_adj.is_some(),
                v(22),
                "host config oom_score_adj",
            ),
            (networks > 1, v(44), "joining several networks at create"),
        ];
        for (set, min, what) in gates {
            if set {
                api.require(min, what)?;
            }
        }
        let blkio = h.blkio_weight.is_some()
            || h.blkio_weight_device.is_some()
            || h.blkio_device_read_bps.is_some()
            || h.blkio_device_write_bps.is_some()
            || h.blkio_device_read_iops.is_some()
            || h.blkio_device_write_iops.is_some();
        if blkio {
            api.require(v(22), "host config blkio options")?;
        }
        if h.tmpfs.is_some() {
            api.require(v(22), "host config tmpfs")?;
        }
        if self.init_path.is_some() && api >= v(29) {
            return Err(Error::InvalidArgument(format!(
                "init_path is only supported by API versions 1.25 to 1.28, not {api}; the \
                 daemon's --init-path setting replaced it"
            )));
        }
        Ok(())
    }

    /// Cross-option rules of docker-py.
    fn check_combinations(&self) -> Result<()> {
        if let (Some(net), Some(mode)) = (&self.network, &self.host.network_mode) {
            return Err(Error::InvalidArgument(format!(
                "network {net:?} and network_mode {mode:?} are mutually exclusive: `network` \
                 sets the network mode to that network"
            )));
        }
        if self.host.network_mode.as_deref() == Some("host") && !self.ports.is_empty() {
            let ports: Vec<String> = self.ports.ports().map(|p| p.to_string()).collect();
            return Err(Error::InvalidArgument(format!(
                "network_mode \"host\" is incompatible with port bindings ({}): with host \
                 networking the container uses the host's ports directly",
                ports.join(", ")
            )));
        }
        Ok(())
    }

    /// The `NetworkMode` sent: `network_mode`, else `network`, else `"default"`.
    fn effective_network_mode(&self) -> String {
        self.host
            .network_mode
            .clone()
            .or_else(|| self.network.clone())
            .unwrap_or_else(|| "default".to_owned())
    }

    /// `EndpointsConfig`, with the MAC address moved to the container's network on API
    /// 1.44+.
    fn endpoints_config(
        &self,
        api: ApiVersion,
    ) -> Result<HashMap<String, models::EndpointSettings>> {
        let mut endpoints = self.endpoints.clone();
        if let Some(net) = &self.network {
            endpoints.entry(net.clone()).or_default();
        }
        if let Some(mac) = self.mac_address.as_ref().filter(|_| api >= v(44)) {
            let mode = self.effective_network_mode();
            let net = mode_network(&mode).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "mac_address {mac:?}: network mode {mode:?} has no network to set it on"
                ))
            })?;
            let ep = endpoints.entry(net.to_owned()).or_default();
            if ep.has_mac_address() {
                return Err(Error::InvalidArgument(format!(
                    "mac_address {mac:?}: the endpoint settings of network {net:?} already \
                     have a MAC address; set it in one place"
                )));
            }
            *ep = std::mem::take(ep).mac_address(mac.clone());
        }
        endpoints
            .iter()
            .map(|(name, ep): (&String, &EndpointConfig)| Ok((name.clone(), ep.to_model(api)?)))
            .collect()
    }

    /// The body without the check for fields the model cannot carry.
    fn build(&self, api: ApiVersion) -> Result<models::ContainerCreateBody> {
        self.check_api(api)?;
        self.check_combinations()?;

        let mut host = self.host.clone();
        host.network_mode = Some(self.effective_network_mode());
        if !self.ports.is_empty() {
            host.port_bindings = Some(self.ports.to_model());
        }
        if let Some(links) = host.links.as_mut() {
            links.sort_by(|a, b| {
                let key = |s: &String| {
                    let (n, a) = s.split_once(':').unwrap_or((s.as_str(), ""));
                    (n.to_owned(), a.to_owned())
                };
                key(a).cmp(&key(b))
            });
        }

        let mut body = self.body.clone();
        let exposed = exposed_ports(self.exposed.iter().copied().chain(self.ports.ports()));
        if !exposed.is_empty() {
            body.exposed_ports = Some(exposed);
        }
        if !self.volumes.is_empty() {
            let mut vols = self.volumes.clone();
            vols.sort();
            vols.dedup();
            body.volumes = Some(vols);
        }
        let proxy = self.proxy.as_ref().filter(|p| !p.is_empty());
        body.env = match (&self.env, proxy) {
            (env, Some(p)) => Some(p.inject(env.as_deref().unwrap_or_default())),
            (Some(env), None) => Some(env.clone()),
            (None, None) => body.env,
        };
        if self.detach.is_some() || self.stdin_open.is_some() {
            let attached = !self.detach.unwrap_or(false);
            let stdin = self.stdin_open.unwrap_or(false);
            body.attach_stdout = Some(attached);
            body.attach_stderr = Some(attached);
            body.attach_stdin = Some(attached && stdin);
            body.stdin_once = Some(attached && stdin);
        }
        if let Some(open) = self.stdin_open {
            body.open_stdin = Some(open);
        }
        if let Some(hc) = &self.healthcheck {
            body.healthcheck = Some(hc.to_model()?);
        }
        let endpoints = self.endpoints_config(api)?;
        if !endpoints.is_empty() {
            body.networking_config = Some(models::NetworkingConfig {
                endpoints_config: Some(endpoints),
            });
        }
        body.host_config = Some(host);
        Ok(body)
    }

    /// Names the options set that only [`to_json`](ContainerOptions::to_json) can send.
    fn json_only(&self, api: ApiVersion) -> Vec<&'static str> {
        let mut found = Vec::new();
        if self.kernel_memory.is_some() {
            found.push("kernel_memory");
        }
        if self.init_path.is_some() {
            found.push("init_path");
        }
        if !self.lxc_conf.is_empty() {
            found.push("lxc_conf");
        }
        if self.mac_address.is_some() && api < v(44) {
            found.push("mac_address (top-level before API 1.44)");
        }
        if !self.extra.is_empty() {
            found.push("extra_field");
        }
        if !self.host_extra.is_empty() {
            found.push("extra_host_config_field");
        }
        found
    }

    /// The `POST /containers/create` body for API version `api`.
    ///
    /// Errors, before anything is sent, when an option needs a newer API
    /// ([`Error::UnsupportedApiVersion`]), when options conflict (`network_mode="host"`
    /// with port bindings, `network` with `network_mode`), and when an option set has
    /// no field in the wire model (`kernel_memory`, `init_path`, `lxc_conf`, raw extra
    /// fields, `mac_address` before 1.44): use [`to_json`](ContainerOptions::to_json)
    /// for those.
    pub fn to_body(&self, api: ApiVersion) -> Result<models::ContainerCreateBody> {
        let json_only = self.json_only(api);
        if !json_only.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{} not in berth's ContainerCreateBody model; build the body with \
                 ContainerOptions::to_json instead",
                json_only.join(", ")
            )));
        }
        self.build(api)
    }

    /// The create body as JSON: [`to_body`](ContainerOptions::to_body) plus the fields
    /// the wire model lacks (`KernelMemory`, `InitPath`, `LxcConf`, top-level
    /// `MacAddress` before API 1.44, raw extra fields). This is the body
    /// [`ContainerCreateFrom`](crate::api::containers::ContainerCreateFrom) sends, and
    /// so the one the clients' `Containers::create` send.
    pub fn to_json(&self, api: ApiVersion) -> Result<Value> {
        let body = self.build(api)?;
        let mut value = serde_json::to_value(&body)
            .map_err(|e| Error::InvalidArgument(format!("create body not serializable: {e}")))?;
        let Value::Object(top) = &mut value else {
            return Err(Error::InvalidArgument(
                "create body is not a JSON object".into(),
            ));
        };
        if let Some(mac) = self.mac_address.as_ref().filter(|_| api < v(44)) {
            top.insert("MacAddress".into(), json!(mac));
        }
        for (k, val) in &self.extra {
            top.insert(k.clone(), val.clone());
        }
        if let Some(Value::Object(host)) = top.get_mut("HostConfig") {
            if let Some(km) = self.kernel_memory {
                host.insert("KernelMemory".into(), json!(km));
            }
            if let Some(p) = &self.init_path {
                host.insert("InitPath".into(), json!(p));
            }
            if !self.lxc_conf.is_empty() {
                let conf: Vec<Value> = self
                    .lxc_conf
                    .iter()
                    .map(|(k, v)| json!({"Key": k, "Value": v}))
                    .collect();
                host.insert("LxcConf".into(), Value::Array(conf));
            }
            for (k, val) in &self.host_extra {
                host.insert(k.clone(), val.clone());
            }
        }
        Ok(value)
    }
}
