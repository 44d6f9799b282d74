//! docker-py's service spec types: the mode, endpoint ports and placement
//! preferences.
//!
//! Each type builds its JSON with the Engine's (Go) key names, so a spec built here
//! merges key for key with one read from the daemon.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::version::ApiVersion;

/// How many tasks a service runs (docker-py's `ServiceMode`). Replicas may be 0
/// (edge case 173). The JSON keys are the Engine's capitalised ones, not docker-py's
/// lowercase ones.
///
/// ```
/// use berth_core::api::services::ServiceMode;
/// assert_eq!(ServiceMode::replicated(0).to_json(), serde_json::json!({"Replicated": {"Replicas": 0}}));
/// assert_eq!(ServiceMode::Global.to_json(), serde_json::json!({"Global": {}}));
/// assert!(ServiceMode::from_parts("global", Some(2), None).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceMode {
    /// `replicas` tasks (`None`: the daemon's default, 1).
    Replicated(Option<u64>),
    /// One task per eligible node.
    Global,
    /// A job running `total_completions` tasks, `max_concurrent` at a time (API 1.41).
    ReplicatedJob {
        /// Tasks at once (daemon default 1).
        max_concurrent: Option<u64>,
        /// Successful completions wanted (daemon default: `max_concurrent`).
        total_completions: Option<u64>,
    },
    /// A job running one task per eligible node (API 1.41).
    GlobalJob,
}

impl ServiceMode {
    /// `n` replicas.
    pub fn replicated(n: u64) -> ServiceMode {
        ServiceMode::Replicated(Some(n))
    }

    /// docker-py's `ServiceMode(mode, replicas, concurrency)`: `mode` is
    /// `replicated`, `global`, `replicated-job` or `global-job`; replicas only for the
    /// replicated modes (for a job: total completions), concurrency only for
    /// `replicated-job`.
    pub fn from_parts(
        mode: &str,
        replicas: Option<u64>,
        concurrency: Option<u64>,
    ) -> Result<ServiceMode> {
        let bad = |why: &str| Error::InvalidArgument(format!("service mode {mode:?}: {why}"));
        let m = match mode {
            "replicated" => ServiceMode::Replicated(replicas),
            "replicated-job" => ServiceMode::ReplicatedJob {
                max_concurrent: concurrency,
                total_completions: replicas,
            },
            "global" | "global-job" if replicas.is_some() => {
                return Err(bad("replicas can only be set for replicated modes"));
            }
            "global" => ServiceMode::Global,
            "global-job" => ServiceMode::GlobalJob,
            _ => {
                return Err(bad(
                    "expected replicated, global, replicated-job or global-job",
                ));
            }
        };
        if concurrency.is_some() && mode != "replicated-job" {
            return Err(bad("concurrency can only be set for replicated-job"));
        }
        Ok(m)
    }

    /// The mode of a service spec's raw `Mode` (keys read case-insensitively, as the
    /// daemon does).
    pub fn of(mode: &Value) -> Option<ServiceMode> {
        let obj = mode.as_object()?;
        let (key, inner) = obj.iter().next()?;
        let num = |k: &str| {
            inner
                .as_object()
                .and_then(|m| m.iter().find(|(x, _)| x.eq_ignore_ascii_case(k)))
                .and_then(|(_, v)| v.as_u64())
        };
        match key.to_ascii_lowercase().as_str() {
            "replicated" => Some(ServiceMode::Replicated(num("Replicas"))),
            "global" => Some(ServiceMode::Global),
            "replicatedjob" => Some(ServiceMode::ReplicatedJob {
                max_concurrent: num("MaxConcurrent"),
                total_completions: num("TotalCompletions"),
            }),
            "globaljob" => Some(ServiceMode::GlobalJob),
            _ => None,
        }
    }

    /// True for the job modes (API 1.41).
    pub fn is_job(self) -> bool {
        matches!(
            self,
            ServiceMode::ReplicatedJob { .. } | ServiceMode::GlobalJob
        )
    }

    /// The `Mode` JSON.
    pub fn to_json(self) -> Value {
        let opt = |m: &mut Map<String, Value>, k: &str, v: Option<u64>| {
            if let Some(v) = v {
                m.insert(k.into(), Value::from(v));
            }
        };
        let mut inner = Map::new();
        let key = match self {
            ServiceMode::Replicated(n) => {
                opt(&mut inner, "Replicas", n);
                "Replicated"
            }
            ServiceMode::Global => "Global",
            ServiceMode::ReplicatedJob {
                max_concurrent,
                total_completions,
            } => {
                opt(&mut inner, "MaxConcurrent", max_concurrent);
                opt(&mut inner, "TotalCompletions", total_completions);
                "ReplicatedJob"
            }
            ServiceMode::GlobalJob => "GlobalJob",
        };
        json!({ key: inner })
    }
}

impl FromStr for ServiceMode {
    type Err = Error;

    /// `replicated`, `replicated:3`, `global`, `replicated-job`, `global-job`.
    fn from_str(s: &str) -> Result<ServiceMode> {
        match s.split_once(':') {
            Some(("replicated", n)) => {
                n.parse::<u64>().map(ServiceMode::replicated).map_err(|_| {
                    Error::InvalidArgument(format!(
                        "service mode {s:?}: {n:?} is not a replica count"
                    ))
                })
            }
            _ => ServiceMode::from_parts(s, None, None),
        }
    }
}

/// A transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PortProtocol {
    /// `tcp` (the default).
    #[default]
    Tcp,
    /// `udp`.
    Udp,
    /// `sctp`.
    Sctp,
}

impl fmt::Display for PortProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PortProtocol::Tcp => "tcp",
            PortProtocol::Udp => "udp",
            PortProtocol::Sctp => "sctp",
        })
    }
}

impl FromStr for PortProtocol {
    type Err = Error;

    fn from_str(s: &str) -> Result<PortProtocol> {
        match s {
            "tcp" => Ok(PortProtocol::Tcp),
            "udp" => Ok(PortProtocol::Udp),
            "sctp" => Ok(PortProtocol::Sctp),
            _ => Err(Error::InvalidArgument(format!(
                "port protocol {s:?}: expected tcp, udp or sctp"
            ))),
        }
    }
}

/// How a port is published: through the routing mesh or on the task's node only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublishMode {
    /// `ingress`: every node routes the port to a task (the default).
    Ingress,
    /// `host`: only the node running the task listens.
    Host,
}

impl fmt::Display for PublishMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PublishMode::Ingress => "ingress",
            PublishMode::Host => "host",
        })
    }
}

impl FromStr for PublishMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<PublishMode> {
        match s {
            "ingress" => Ok(PublishMode::Ingress),
            "host" => Ok(PublishMode::Host),
            _ => Err(Error::InvalidArgument(format!(
                "publish mode {s:?}: expected ingress or host"
            ))),
        }
    }
}

/// One port of a service's endpoint: docker-py's `{published: target}` and
/// `{published: (target, protocol, publish_mode)}` forms (edge case 176).
///
/// ```
/// use berth_core::api::services::PortConfig;
/// let p: PortConfig = "8080:80/udp".parse()?;
/// assert_eq!(p, PortConfig::new(Some(8080), 80).protocol("udp".parse()?));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortConfig {
    /// `PublishedPort`; `None` lets the swarm pick one (30000–32767).
    pub published: Option<u16>,
    /// `TargetPort` inside the task.
    pub target: u16,
    /// `Protocol` (default `tcp`).
    pub protocol: PortProtocol,
    /// `PublishMode` (API 1.32; the daemon's default is ingress).
    pub publish_mode: Option<PublishMode>,
}

impl PortConfig {
    /// `published` → `target`, TCP.
    pub fn new(published: Option<u16>, target: u16) -> PortConfig {
        PortConfig {
            published,
            target,
            protocol: PortProtocol::Tcp,
            publish_mode: None,
        }
    }

    /// Sets the protocol.
    pub fn protocol(mut self, p: PortProtocol) -> PortConfig {
        self.protocol = p;
        self
    }

    /// Sets the publish mode.
    pub fn publish_mode(mut self, m: PublishMode) -> PortConfig {
        self.publish_mode = Some(m);
        self
    }

    fn to_json(&self, api: ApiVersion) -> Result<Value> {
        let mut m = Map::new();
        if let Some(p) = self.published {
            m.insert("PublishedPort".into(), Value::from(p));
        }
        m.insert("TargetPort".into(), Value::from(self.target));
        m.insert("Protocol".into(), Value::String(self.protocol.to_string()));
        if let Some(mode) = self.publish_mode {
            api.require(ApiVersion::new(1, 32), "service endpoint (publish mode)")?;
            m.insert("PublishMode".into(), Value::String(mode.to_string()));
        }
        Ok(Value::Object(m))
    }
}

impl FromStr for PortConfig {
    type Err = Error;

    /// `[published:]target[/protocol]`.
    fn from_str(s: &str) -> Result<PortConfig> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "port {s:?}: {why}; expected [published:]target[/tcp|udp|sctp]"
            ))
        };
        let (ports, proto) = match s.split_once('/') {
            Some((p, proto)) => (p, proto.parse().map_err(|_| bad("unknown protocol"))?),
            None => (s, PortProtocol::Tcp),
        };
        let num = |x: &str| {
            x.parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad(&format!("{x:?} is not a port number")))
        };
        let (published, target) = match ports.split_once(':') {
            Some((p, t)) => (Some(num(p)?), num(t)?),
            None => (None, num(ports)?),
        };
        Ok(PortConfig::new(published, target).protocol(proto))
    }
}

/// How clients reach a service's tasks (docker-py's `EndpointSpec`): a virtual IP
/// (`vip`, the default) or DNS round robin (`dnsrr`, which publishes ports only in
/// host mode: the routing mesh needs the virtual IP).
///
/// ```
/// use berth_core::api::services::{EndpointSpec, PortConfig, PublishMode};
/// use berth_core::ApiVersion;
/// let host_port = PortConfig::new(Some(8080), 80).publish_mode(PublishMode::Host);
/// let dnsrr = EndpointSpec { mode: Some("dnsrr".into()), ports: vec![host_port] };
/// assert_eq!(dnsrr.to_json(ApiVersion::new(1, 41))?["Ports"][0]["PublishMode"], "host");
/// let mesh = EndpointSpec { mode: Some("dnsrr".into()), ports: vec![PortConfig::new(Some(8080), 80)] };
/// assert!(mesh.to_json(ApiVersion::new(1, 41)).is_err());
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointSpec {
    /// `Mode`: `vip` or `dnsrr`; `None` leaves it to the daemon (`vip`).
    pub mode: Option<String>,
    /// `Ports`.
    pub ports: Vec<PortConfig>,
}

impl EndpointSpec {
    /// No ports, default mode.
    pub fn new() -> EndpointSpec {
        EndpointSpec::default()
    }

    /// Publishes `published` (or a swarm-chosen port) → `target`/tcp.
    pub fn port(mut self, published: Option<u16>, target: u16) -> EndpointSpec {
        self.ports.push(PortConfig::new(published, target));
        self
    }

    /// Adds a port.
    pub fn port_config(mut self, port: PortConfig) -> EndpointSpec {
        self.ports.push(port);
        self
    }

    /// The `EndpointSpec` JSON.
    pub fn to_json(&self, api: ApiVersion) -> Result<Value> {
        let mut m = Map::new();
        if let Some(mode) = &self.mode {
            if mode != "vip" && mode != "dnsrr" {
                return Err(Error::InvalidArgument(format!(
                    "endpoint mode {mode:?}: expected vip or dnsrr"
                )));
            }
            // The routing mesh balances on a virtual IP, so a dnsrr service can publish
            // a port only on its tasks' nodes (the daemon accepts host-mode ports).
            if mode == "dnsrr"
                && self
                    .ports
                    .iter()
                    .any(|p| p.publish_mode != Some(PublishMode::Host))
            {
                return Err(Error::InvalidArgument(
                    "endpoint mode dnsrr cannot publish ports through the routing mesh; \
                     publish them in host mode (PortConfig::publish_mode) or use vip"
                        .into(),
                ));
            }
            m.insert("Mode".into(), Value::String(mode.clone()));
        }
        if !self.ports.is_empty() {
            let ports = self
                .ports
                .iter()
                .map(|p| p.to_json(api))
                .collect::<Result<Vec<_>>>()?;
            m.insert("Ports".into(), Value::Array(ports));
        }
        Ok(Value::Object(m))
    }
}

/// A placement preference (docker-py's `PlacementPreference`; only `spread`
/// exists): spread tasks evenly over the values of a node label.
///
/// ```
/// use berth_core::api::services::PlacementPreference;
/// let p = PlacementPreference::from_tuple("spread", "node.labels.zone")?;
/// assert_eq!(p.to_json(), serde_json::json!({"Spread": {"SpreadDescriptor": "node.labels.zone"}}));
/// assert!(PlacementPreference::from_tuple("pack", "x").is_err());
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlacementPreference {
    /// The label to spread over, e.g. `node.labels.zone`.
    pub spread_descriptor: String,
}

impl PlacementPreference {
    /// Spread over `descriptor`.
    pub fn spread(descriptor: impl Into<String>) -> PlacementPreference {
        PlacementPreference {
            spread_descriptor: descriptor.into(),
        }
    }

    /// docker-py's tuple form `(strategy, descriptor)` (edge case 178).
    pub fn from_tuple(strategy: &str, descriptor: &str) -> Result<PlacementPreference> {
        if strategy != "spread" {
            return Err(Error::InvalidArgument(format!(
                "placement preference strategy {strategy:?}: only \"spread\" exists"
            )));
        }
        Ok(PlacementPreference::spread(descriptor))
    }

    /// `{"Spread": {"SpreadDescriptor": …}}`.
    pub fn to_json(&self) -> Value {
        json!({"Spread": {"SpreadDescriptor": self.spread_descriptor}})
    }
}
