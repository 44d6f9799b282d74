//! [`ContainerOptions`]: every `create_container`/`containers.run` option of docker-py
//! as one builder, turned into the create body by
//! [`to_body`](ContainerOptions::to_body).
//!
//! This file holds the struct and the container-level (`ContainerConfig`) setters;
//! `host_config.rs` the `HostConfig` setters; `build.rs` validation, API-version gates
//! and the conversion.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

use serde_json::{Map, Value};

use super::env::{ProxyEnv, env_entry, env_var, parse_env_file, shell_split};
use super::network::EndpointConfig;
use super::ports::{ContainerPort, HostBinding, PortBindings};
use super::types::Healthcheck;
use crate::error::{Error, Result};
use crate::models;

/// Options for creating a container: docker-py's `create_container` +
/// `create_host_config` + `containers.run` conveniences.
///
/// Setters taking typed values return `Self`; setters taking docker-py's string forms
/// (`"512m"`, `"8080:80/tcp"`, `"/h:/c:ro"`, `"echo 'hi there'"`) parse at once and
/// return `Result<Self>`. Unset options are omitted from the body (zero values such
/// as `oom_score_adj(0)` are sent), except `HostConfig.NetworkMode`, which is always
/// sent (`"default"` when unset) as docker-py does. The name and the platform go in
/// the query string, not the body: read them with [`name`](ContainerOptions::name)
/// and [`platform`](ContainerOptions::platform).
///
/// ```
/// use berth_core::{ApiVersion, options::ContainerOptions};
/// let opts = ContainerOptions::new("nginx:1.27")
///     .with_name("web")?
///     .publish("127.0.0.1:8080:80")?
///     .bind("/srv/site:/usr/share/nginx/html:ro")?
///     .memory("512m")?
///     .env("MODE", "prod")?;
/// let body = opts.to_body(ApiVersion::new(1, 44))?;
/// let json = serde_json::to_value(&body)?;
/// assert_eq!(json["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"], "8080");
/// assert_eq!(json["HostConfig"]["Memory"], 536_870_912);
/// assert_eq!(opts.name(), Some("web"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerOptions {
    pub(super) name: Option<String>,
    pub(super) platform: Option<String>,
    /// Container-level fields stored ready for the wire.
    pub(super) body: models::ContainerCreateBody,
    /// Host-level fields stored ready for the wire.
    pub(super) host: models::HostConfig,
    pub(super) env: Option<Vec<String>>,
    pub(super) proxy: Option<ProxyEnv>,
    pub(super) exposed: Vec<ContainerPort>,
    pub(super) ports: PortBindings,
    pub(super) volumes: Vec<String>,
    pub(super) detach: Option<bool>,
    pub(super) stdin_open: Option<bool>,
    pub(super) healthcheck: Option<Healthcheck>,
    pub(super) network: Option<String>,
    pub(super) endpoints: BTreeMap<String, EndpointConfig>,
    pub(super) mac_address: Option<String>,
    /// Fields the wire models lack (only [`to_json`](ContainerOptions::to_json)
    /// sends them).
    pub(super) kernel_memory: Option<i64>,
    pub(super) init_path: Option<String>,
    pub(super) lxc_conf: Vec<(String, String)>,
    pub(super) extra: Map<String, Value>,
    pub(super) host_extra: Map<String, Value>,
}

/// Appends to an optional list, creating it.
pub(super) fn push<T>(list: &mut Option<Vec<T>>, item: T) {
    list.get_or_insert_with(Vec::new).push(item);
}

impl ContainerOptions {
    /// Options for a container of `image` (name, reference or id).
    pub fn new(image: impl Into<String>) -> ContainerOptions {
        ContainerOptions {
            name: None,
            platform: None,
            body: models::ContainerCreateBody {
                image: Some(image.into()),
                ..models::ContainerCreateBody::default()
            },
            host: models::HostConfig::default(),
            env: None,
            proxy: None,
            exposed: Vec::new(),
            ports: PortBindings::new(),
            volumes: Vec::new(),
            detach: None,
            stdin_open: None,
            healthcheck: None,
            network: None,
            endpoints: BTreeMap::new(),
            mac_address: None,
            kernel_memory: None,
            init_path: None,
            lxc_conf: Vec::new(),
            extra: Map::new(),
            host_extra: Map::new(),
        }
    }

    /// The container name for the `name` query parameter, if set.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The platform for the `platform` query parameter (API 1.41), if set.
    pub fn platform(&self) -> Option<&str> {
        self.platform.as_deref()
    }

    /// The image.
    pub fn image(&self) -> &str {
        self.body.image.as_deref().unwrap_or_default()
    }

    /// Names the container (`/?[a-zA-Z0-9][a-zA-Z0-9_.-]+`, sent as a query parameter).
    pub fn with_name(mut self, name: impl Into<String>) -> Result<ContainerOptions> {
        let name = name.into();
        let bare = name.strip_prefix('/').unwrap_or(&name);
        let mut chars = bare.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok || bare.len() < 2 {
            return Err(Error::InvalidArgument(format!(
                "container name {name:?}: expected a letter or digit, then at least one more \
                 letter, digit, '_', '.' or '-'"
            )));
        }
        self.name = Some(name);
        Ok(self)
    }

    /// The platform of the image to use, `os[/arch[/variant]]` (API 1.41; query
    /// parameter).
    pub fn with_platform(mut self, platform: impl Into<String>) -> Result<ContainerOptions> {
        let platform = platform.into();
        let parts: Vec<&str> = platform.split('/').collect();
        if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(Error::InvalidArgument(format!(
                "platform {platform:?}: expected os[/arch[/variant]] like \"linux/arm64/v8\""
            )));
        }
        self.platform = Some(platform);
        Ok(self)
    }

    /// `Cmd` as words (`[]` sends an empty command).
    pub fn cmd<S: Into<String>>(mut self, words: impl IntoIterator<Item = S>) -> ContainerOptions {
        self.body.cmd = Some(words.into_iter().map(Into::into).collect());
        self
    }

    /// `Cmd` from a command line, split like `shlex.split` (docker-py's string form).
    pub fn cmd_line(self, line: &str) -> Result<ContainerOptions> {
        Ok(self.cmd(shell_split(line)?))
    }

    /// `Entrypoint` as words; `[]` (or `[""]`) clears the image's entrypoint.
    pub fn entrypoint<S: Into<String>>(
        mut self,
        words: impl IntoIterator<Item = S>,
    ) -> ContainerOptions {
        self.body.entrypoint = Some(words.into_iter().map(Into::into).collect());
        self
    }

    /// `Entrypoint` from a command line, split like `shlex.split`; `""` clears the
    /// image's entrypoint.
    pub fn entrypoint_line(self, line: &str) -> Result<ContainerOptions> {
        Ok(self.entrypoint(shell_split(line)?))
    }

    /// `Hostname`.
    pub fn hostname(mut self, hostname: impl Into<String>) -> ContainerOptions {
        self.body.hostname = Some(hostname.into());
        self
    }

    /// `Domainname`.
    pub fn domainname(mut self, domain: impl Into<String>) -> ContainerOptions {
        self.body.domainname = Some(domain.into());
        self
    }

    /// `User`: a name, a uid (`0` is sent as `"0"`), or `user:group`.
    pub fn user(mut self, user: impl Display) -> ContainerOptions {
        self.body.user = Some(user.to_string());
        self
    }

    /// `WorkingDir`.
    pub fn working_dir(mut self, dir: impl Into<String>) -> ContainerOptions {
        self.body.working_dir = Some(dir.into());
        self
    }

    /// `Tty`.
    pub fn tty(mut self, tty: bool) -> ContainerOptions {
        self.body.tty = Some(tty);
        self
    }

    /// `OpenStdin`; when not detached also `AttachStdin` and `StdinOnce`, as docker-py.
    pub fn stdin_open(mut self, open: bool) -> ContainerOptions {
        self.stdin_open = Some(open);
        self
    }

    /// docker-py's `detach`: `false` sets `AttachStdout`/`AttachStderr` (and
    /// `AttachStdin`/`StdinOnce` with `stdin_open`); `true` sends them all `false`.
    /// When neither this nor `stdin_open` is set, no attach flag is sent.
    pub fn detach(mut self, detach: bool) -> ContainerOptions {
        self.detach = Some(detach);
        self
    }

    /// An environment variable `key=value`.
    pub fn env(self, key: &str, value: impl AsRef<str>) -> Result<ContainerOptions> {
        let entry = env_var(key, Some(value))?;
        Ok(self.push_env(entry))
    }

    /// A bare `key` (docker-py's `{key: None}`): the variable without a value.
    pub fn env_unset(self, key: &str) -> Result<ContainerOptions> {
        let entry = env_var(key, None::<&str>)?;
        Ok(self.push_env(entry))
    }

    /// Entries of docker-py's list form (`"K=V"` or `"K"`), as given.
    pub fn env_list<S: AsRef<str>>(
        mut self,
        entries: impl IntoIterator<Item = S>,
    ) -> Result<ContainerOptions> {
        for e in entries {
            let entry = env_entry(e.as_ref())?;
            self = self.push_env(entry);
        }
        Ok(self)
    }

    /// Every variable of an env file's text (see
    /// [`parse_env_file`](super::parse_env_file)).
    pub fn env_file(mut self, text: &str) -> Result<ContainerOptions> {
        for (k, v) in parse_env_file(text)? {
            self = self.push_env(format!("{k}={v}"));
        }
        Ok(self)
    }

    fn push_env(mut self, entry: String) -> ContainerOptions {
        push(&mut self.env, entry);
        self
    }

    /// docker-py's `use_config_proxy`: proxy variables prepended to `Env`, so that
    /// explicit entries win.
    pub fn proxy_env(mut self, proxy: ProxyEnv) -> ContainerOptions {
        self.proxy = Some(proxy);
        self
    }

    /// A label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> ContainerOptions {
        self.body
            .labels
            .get_or_insert_with(HashMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// docker-py's list form of `labels`: each name with value `""`.
    pub fn label_names<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> ContainerOptions {
        for n in names {
            self = self.label(n, "");
        }
        self
    }

    /// Exposes a container port without publishing it (`ExposedPorts`); `80` is
    /// `80/tcp`.
    pub fn expose(mut self, port: impl Into<ContainerPort>) -> ContainerOptions {
        self.exposed.push(port.into());
        self
    }

    /// Exposes `"80"`, `"53/udp"` or a range `"8000-8010/tcp"`.
    pub fn expose_str(mut self, spec: &str) -> Result<ContainerOptions> {
        self.exposed.extend(ContainerPort::parse_range(spec)?);
        Ok(self)
    }

    /// Publishes a `-p` spec (`"8080:80"`, `"127.0.0.1::80/udp"`, `"[::1]:80:80"`,
    /// `"8000-8010:80"`, …; see [`PortSpec`](super::PortSpec)); the container ports are
    /// exposed too.
    pub fn publish(mut self, spec: &str) -> Result<ContainerOptions> {
        self.ports.publish(spec)?;
        Ok(self)
    }

    /// Publishes `port` at `binding` (call again for more bindings of one port).
    pub fn publish_port(
        mut self,
        port: impl Into<ContainerPort>,
        binding: HostBinding,
    ) -> ContainerOptions {
        self.ports.add(port, binding);
        self
    }

    /// An anonymous volume at container path `path` (`Volumes: {path: {}}`).
    pub fn volume(mut self, path: impl Into<String>) -> ContainerOptions {
        self.volumes.push(path.into());
        self
    }

    /// `NetworkDisabled`.
    pub fn network_disabled(mut self, disabled: bool) -> ContainerOptions {
        self.body.network_disabled = Some(disabled);
        self
    }

    /// The MAC address (sent in the endpoint settings of the container's network on
    /// API 1.44+, in the deprecated top-level field before).
    pub fn mac_address(mut self, mac: impl Into<String>) -> ContainerOptions {
        self.mac_address = Some(mac.into());
        self
    }

    /// `StopSignal`, e.g. `SIGINT` or `9`.
    pub fn stop_signal(mut self, signal: impl Display) -> ContainerOptions {
        self.body.stop_signal = Some(signal.to_string());
        self
    }

    /// `StopTimeout` in seconds (API 1.25).
    pub fn stop_timeout(mut self, seconds: i64) -> ContainerOptions {
        self.body.stop_timeout = Some(seconds);
        self
    }

    /// `Healthcheck` (API 1.24; `start_period` 1.29, `start_interval` 1.44).
    pub fn healthcheck(mut self, hc: Healthcheck) -> ContainerOptions {
        self.healthcheck = Some(hc);
        self
    }

    /// docker-py's `network`: joins network `name` at creation (`NetworkMode` = name,
    /// plus an `EndpointsConfig` entry). Not together with
    /// [`network_mode`](ContainerOptions::network_mode).
    pub fn network(mut self, name: impl Into<String>) -> ContainerOptions {
        self.network = Some(name.into());
        self
    }

    /// Endpoint settings (aliases, addresses, …) for network `name`. More than one
    /// network at creation needs API 1.44.
    pub fn endpoint(mut self, name: impl Into<String>, config: EndpointConfig) -> ContainerOptions {
        self.endpoints.insert(name.into(), config);
        self
    }

    /// A raw top-level body field the builder has no setter for (sent by
    /// [`to_json`](ContainerOptions::to_json) only).
    pub fn extra_field(mut self, key: impl Into<String>, value: Value) -> ContainerOptions {
        self.extra.insert(key.into(), value);
        self
    }

    /// A raw `HostConfig` field the builder has no setter for (sent by
    /// [`to_json`](ContainerOptions::to_json) only).
    pub fn extra_host_config_field(
        mut self,
        key: impl Into<String>,
        value: Value,
    ) -> ContainerOptions {
        self.host_extra.insert(key.into(), value);
        self
    }

    /// Edits the container-level fields directly, for fields without a setter
    /// (`Shell`, `ArgsEscaped`, …). `Env`, `ExposedPorts`, `Volumes`, `Healthcheck`,
    /// the attach flags and `NetworkingConfig` set here are replaced when the builder's
    /// own options for them are set; `HostConfig` is always the builder's (edit it with
    /// [`modify_host_config`](ContainerOptions::modify_host_config)).
    pub fn modify_config(
        mut self,
        f: impl FnOnce(&mut models::ContainerCreateBody),
    ) -> ContainerOptions {
        f(&mut self.body);
        self
    }

    /// Edits the `HostConfig` fields directly, for fields without a setter.
    /// `PortBindings` and `NetworkMode` are overwritten by the builder when it manages
    /// them.
    pub fn modify_host_config(
        mut self,
        f: impl FnOnce(&mut models::HostConfig),
    ) -> ContainerOptions {
        f(&mut self.host);
        self
    }
}
