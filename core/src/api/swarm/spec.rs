//! The swarm's settings: [`SwarmSpecOptions`] (docker-py's `create_swarm_spec`),
//! [`ExternalCa`] and [`DriverConfig`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::object_of;
use crate::error::{Error, Result};
use crate::options::duration_nanos;
use crate::version::ApiVersion;

/// A driver and its options (docker-py's `DriverConfig`): log drivers, secret drivers,
/// config templating drivers.
///
/// ```
/// use berth_core::api::swarm::DriverConfig;
/// let d = DriverConfig::new("json-file").option("max-size", "1m");
/// assert_eq!(d.to_json(), serde_json::json!({"Name": "json-file", "Options": {"max-size": "1m"}}));
/// assert_eq!(DriverConfig::new("golang").to_json(), serde_json::json!({"Name": "golang"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriverConfig {
    /// The driver's name.
    pub name: String,
    /// Driver options (`Options`, sent only when not empty).
    pub options: BTreeMap<String, String>,
}

impl DriverConfig {
    /// The driver `name`, no options.
    pub fn new(name: impl Into<String>) -> DriverConfig {
        DriverConfig {
            name: name.into(),
            options: BTreeMap::new(),
        }
    }

    /// Adds an option.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> DriverConfig {
        self.options.insert(key.into(), value.into());
        self
    }

    /// `{"Name", "Options"?}`; fails on an empty name.
    pub fn checked_json(&self, what: &str) -> Result<Value> {
        if self.name.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{what}: the driver name is empty"
            )));
        }
        Ok(self.to_json())
    }

    /// `{"Name", "Options"?}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), Value::String(self.name.clone()));
        if !self.options.is_empty() {
            m.insert("Options".into(), json!(self.options));
        }
        Value::Object(m)
    }
}

/// An external CA of the swarm (docker-py's `SwarmExternalCA`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExternalCa {
    /// Where certificate signing requests go.
    pub url: String,
    /// The protocol; `cfssl` (the only one) when `None`.
    pub protocol: Option<String>,
    /// Protocol-specific options.
    pub options: BTreeMap<String, String>,
    /// The CA's root certificate (PEM).
    pub ca_cert: Option<String>,
}

impl ExternalCa {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("URL".into(), Value::String(self.url.clone()));
        m.insert(
            "Protocol".into(),
            Value::String(self.protocol.clone().unwrap_or_else(|| "cfssl".into())),
        );
        if !self.options.is_empty() {
            m.insert("Options".into(), json!(self.options));
        }
        if let Some(c) = &self.ca_cert {
            m.insert("CACert".into(), Value::String(c.clone()));
        }
        Value::Object(m)
    }
}

/// The swarm's settings (docker-py's `create_swarm_spec` keyword arguments): only the
/// fields set are sent, so the same value serves for init (the daemon fills its
/// defaults) and for update (merged over the current spec by
/// [`SwarmSpecOptions::merge_into`]).
///
/// ```
/// use std::time::Duration;
/// use berth_core::api::swarm::SwarmSpecOptions;
/// use berth_core::ApiVersion;
/// let spec = SwarmSpecOptions::new()
///     .task_history_retention_limit(3)
///     .dispatcher_heartbeat_period(Duration::from_secs(10))
///     .autolock_managers(true)
///     .to_json(ApiVersion::new(1, 41))?;
/// assert_eq!(spec["Orchestration"]["TaskHistoryRetentionLimit"], 3);
/// assert_eq!(spec["Dispatcher"]["HeartbeatPeriod"], 10_000_000_000i64);
/// assert_eq!(spec["EncryptionConfig"]["AutoLockManagers"], true);
/// assert!(spec.get("Raft").is_none());
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmSpecOptions {
    name: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    task_history_retention_limit: Option<i64>,
    snapshot_interval: Option<u64>,
    keep_old_snapshots: Option<u64>,
    log_entries_for_slow_followers: Option<u64>,
    heartbeat_tick: Option<i64>,
    election_tick: Option<i64>,
    dispatcher_heartbeat_period: Option<Duration>,
    node_cert_expiry: Option<Duration>,
    external_cas: Option<Vec<ExternalCa>>,
    signing_ca_cert: Option<String>,
    signing_ca_key: Option<String>,
    ca_force_rotate: Option<u64>,
    autolock_managers: Option<bool>,
    log_driver: Option<DriverConfig>,
}

impl SwarmSpecOptions {
    /// Nothing set.
    pub fn new() -> SwarmSpecOptions {
        SwarmSpecOptions::default()
    }

    /// The swarm's name (`Name`; the daemon uses `default`).
    pub fn name(mut self, name: impl Into<String>) -> SwarmSpecOptions {
        self.name = Some(name.into());
        self
    }

    /// Adds a label; on update the labels set replace all current ones.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> SwarmSpecOptions {
        self.labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Sets the labels to exactly these (possibly none).
    pub fn labels<K: Into<String>, V: Into<String>>(
        mut self,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> SwarmSpecOptions {
        self.labels = Some(
            labels
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Historic tasks kept per slot (`Orchestration.TaskHistoryRetentionLimit`);
    /// negative keeps all.
    pub fn task_history_retention_limit(mut self, n: i64) -> SwarmSpecOptions {
        self.task_history_retention_limit = Some(n);
        self
    }

    /// Log entries between raft snapshots.
    pub fn snapshot_interval(mut self, n: u64) -> SwarmSpecOptions {
        self.snapshot_interval = Some(n);
        self
    }

    /// Raft snapshots kept beyond the current one.
    pub fn keep_old_snapshots(mut self, n: u64) -> SwarmSpecOptions {
        self.keep_old_snapshots = Some(n);
        self
    }

    /// Raft log entries kept for slow followers.
    pub fn log_entries_for_slow_followers(mut self, n: u64) -> SwarmSpecOptions {
        self.log_entries_for_slow_followers = Some(n);
        self
    }

    /// Raft ticks between heartbeats.
    pub fn heartbeat_tick(mut self, n: i64) -> SwarmSpecOptions {
        self.heartbeat_tick = Some(n);
        self
    }

    /// Raft ticks before a follower starts an election (must exceed the heartbeat
    /// tick).
    pub fn election_tick(mut self, n: i64) -> SwarmSpecOptions {
        self.election_tick = Some(n);
        self
    }

    /// How often agents report to the dispatcher (`Dispatcher.HeartbeatPeriod`).
    pub fn dispatcher_heartbeat_period(mut self, d: Duration) -> SwarmSpecOptions {
        self.dispatcher_heartbeat_period = Some(d);
        self
    }

    /// Validity of node certificates (`CAConfig.NodeCertExpiry`).
    pub fn node_cert_expiry(mut self, d: Duration) -> SwarmSpecOptions {
        self.node_cert_expiry = Some(d);
        self
    }

    /// Adds an external CA (`CAConfig.ExternalCAs`).
    pub fn external_ca(mut self, ca: ExternalCa) -> SwarmSpecOptions {
        self.external_cas.get_or_insert_with(Vec::new).push(ca);
        self
    }

    /// The signing CA certificate and key (PEM; API 1.30).
    pub fn signing_ca(
        mut self,
        cert: impl Into<String>,
        key: impl Into<String>,
    ) -> SwarmSpecOptions {
        self.signing_ca_cert = Some(cert.into());
        self.signing_ca_key = Some(key.into());
        self
    }

    /// A counter whose change makes the swarm generate a new CA (API 1.30).
    pub fn ca_force_rotate(mut self, n: u64) -> SwarmSpecOptions {
        self.ca_force_rotate = Some(n);
        self
    }

    /// Lock managers' raft data with a key (`EncryptionConfig.AutoLockManagers`;
    /// API 1.25).
    pub fn autolock_managers(mut self, on: bool) -> SwarmSpecOptions {
        self.autolock_managers = Some(on);
        self
    }

    /// docker-py's `log_driver`: the default log driver of tasks
    /// (`TaskDefaults.LogDriver`). No Engine stores it: moby's swarm conversion drops
    /// `TaskDefaults` on init and on update alike (20.10 through 28), so the spec would
    /// come back without it and tasks would keep the daemon's log driver. A spec with
    /// it set is therefore refused before sending ([`Error::InvalidArgument`]); set the
    /// log driver per service with
    /// [`ServiceOptions::log_driver`](crate::api::services::ServiceOptions::log_driver).
    #[deprecated(
        note = "the Engine drops TaskDefaults.LogDriver; use ServiceOptions::log_driver per service"
    )]
    pub fn log_driver(mut self, driver: DriverConfig) -> SwarmSpecOptions {
        self.log_driver = Some(driver);
        self
    }

    /// The spec with only the fields set, after checking them against `api`.
    pub fn to_json(&self, api: ApiVersion) -> Result<Value> {
        let mut spec = Map::new();
        if let Some(n) = &self.name {
            spec.insert("Name".into(), Value::String(n.clone()));
        }
        if let Some(l) = &self.labels {
            spec.insert("Labels".into(), json!(l));
        }
        let mut section = |key: &str, fields: Vec<(&str, Option<Value>)>| {
            let m: Map<String, Value> = fields
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
                .collect();
            if !m.is_empty() {
                spec.insert(key.into(), Value::Object(m));
            }
        };
        let ns = |what: &str, d: Option<Duration>| -> Result<Option<Value>> {
            d.map(|d| duration_nanos(what, d).map(Value::from))
                .transpose()
        };
        section(
            "Orchestration",
            vec![(
                "TaskHistoryRetentionLimit",
                self.task_history_retention_limit.map(Value::from),
            )],
        );
        section(
            "Raft",
            vec![
                ("SnapshotInterval", self.snapshot_interval.map(Value::from)),
                ("KeepOldSnapshots", self.keep_old_snapshots.map(Value::from)),
                (
                    "LogEntriesForSlowFollowers",
                    self.log_entries_for_slow_followers.map(Value::from),
                ),
                ("HeartbeatTick", self.heartbeat_tick.map(Value::from)),
                ("ElectionTick", self.election_tick.map(Value::from)),
            ],
        );
        section(
            "Dispatcher",
            vec![(
                "HeartbeatPeriod",
                ns(
                    "dispatcher heartbeat period",
                    self.dispatcher_heartbeat_period,
                )?,
            )],
        );
        if self.signing_ca_cert.is_some() || self.ca_force_rotate.is_some() {
            api.require(
                ApiVersion::new(1, 30),
                "swarm spec (signing CA, CA rotation)",
            )?;
        }
        section(
            "CAConfig",
            vec![
                (
                    "NodeCertExpiry",
                    ns("node certificate expiry", self.node_cert_expiry)?,
                ),
                (
                    "ExternalCAs",
                    self.external_cas
                        .as_ref()
                        .map(|cas| Value::Array(cas.iter().map(ExternalCa::to_json).collect())),
                ),
                (
                    "SigningCACert",
                    self.signing_ca_cert.clone().map(Value::from),
                ),
                ("SigningCAKey", self.signing_ca_key.clone().map(Value::from)),
                ("ForceRotate", self.ca_force_rotate.map(Value::from)),
            ],
        );
        if self.autolock_managers.is_some() {
            api.require(ApiVersion::new(1, 25), "swarm spec (autolock managers)")?;
        }
        section(
            "EncryptionConfig",
            vec![("AutoLockManagers", self.autolock_managers.map(Value::from))],
        );
        if let Some(d) = &self.log_driver {
            return Err(Error::InvalidArgument(format!(
                "swarm spec: the task default log driver ({:?}) would be dropped: the Engine \
                 never stores TaskDefaults.LogDriver; set it per service with \
                 ServiceOptions::log_driver",
                d.name
            )));
        }
        Ok(Value::Object(spec))
    }

    /// The current spec (`Spec` of a swarm inspect) with these settings applied: set
    /// sections are merged one level deep (setting the raft snapshot interval keeps
    /// the election tick), `Name` and `Labels` are replaced. What is not set keeps
    /// its current value, unlike docker-py's `update`, which resets it.
    ///
    /// ```
    /// use berth_core::api::swarm::SwarmSpecOptions;
    /// use berth_core::ApiVersion;
    /// let current = serde_json::json!({"Name": "default", "Raft": {"SnapshotInterval": 10000, "ElectionTick": 10}});
    /// let next = SwarmSpecOptions::new().snapshot_interval(500).merge_into(&current, ApiVersion::new(1, 41))?;
    /// assert_eq!(next, serde_json::json!({"Name": "default", "Raft": {"SnapshotInterval": 500, "ElectionTick": 10}}));
    /// # Ok::<(), berth_core::Error>(())
    /// ```
    pub fn merge_into(&self, current: &Value, api: ApiVersion) -> Result<Value> {
        let mut out = object_of(current, "the current swarm spec")?;
        if let Value::Object(changes) = self.to_json(api)? {
            for (k, v) in changes {
                match (out.get_mut(&k), v) {
                    (Some(Value::Object(cur)), Value::Object(new)) if k != "Labels" => {
                        cur.extend(new);
                    }
                    (_, v) => {
                        out.insert(k, v);
                    }
                }
            }
        }
        Ok(Value::Object(out))
    }
}
