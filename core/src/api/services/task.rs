//! How tasks are updated, rolled back and restarted, and what they may use:
//! docker-py's `UpdateConfig`/`RollbackConfig`, `RestartPolicy` and `Resources`.

use std::str::FromStr;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::options::{MemoryBytes, duration_nanos, nano_cpus};
use crate::version::ApiVersion;

/// What a failed update or rollback does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureAction {
    /// Carry on.
    Continue,
    /// Stop and wait.
    Pause,
    /// Roll back to the previous spec (updates only; API 1.28).
    Rollback,
}

/// The order of replacing a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateOrder {
    /// Stop the old task, then start the new one.
    StopFirst,
    /// Start the new task first (briefly both run).
    StartFirst,
}

/// How a service updates or rolls back (docker-py's `UpdateConfig` /
/// `RollbackConfig`). `Parallelism` is always sent (0 = all at once), the rest when
/// set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateConfig {
    /// Tasks updated at once.
    pub parallelism: u64,
    /// Wait between batches.
    pub delay: Option<Duration>,
    /// On failure.
    pub failure_action: Option<FailureAction>,
    /// How long a task is watched for failure after its update (API 1.25).
    pub monitor: Option<Duration>,
    /// Failures tolerated, 0 to 1 (API 1.25).
    pub max_failure_ratio: Option<f64>,
    /// Order of stop and start (API 1.29).
    pub order: Option<UpdateOrder>,
}

impl UpdateConfig {
    /// The JSON; `rollback` says it is a `RollbackConfig` (no `rollback` action).
    pub(crate) fn to_json(&self, api: ApiVersion, rollback: bool) -> Result<Value> {
        let what = if rollback {
            "rollback config"
        } else {
            "update config"
        };
        let mut m = Map::new();
        m.insert("Parallelism".into(), Value::from(self.parallelism));
        if let Some(d) = self.delay {
            m.insert("Delay".into(), Value::from(duration_nanos("delay", d)?));
        }
        if let Some(a) = self.failure_action {
            let s = match a {
                FailureAction::Continue => "continue",
                FailureAction::Pause => "pause",
                FailureAction::Rollback if rollback => {
                    return Err(Error::InvalidArgument(
                        "rollback config: the failure action cannot be rollback".into(),
                    ));
                }
                FailureAction::Rollback => {
                    api.require(ApiVersion::new(1, 28), "update config (rollback action)")?;
                    "rollback"
                }
            };
            m.insert("FailureAction".into(), Value::from(s));
        }
        if let Some(d) = self.monitor {
            api.require(ApiVersion::new(1, 25), &format!("{what} (monitor)"))?;
            m.insert("Monitor".into(), Value::from(duration_nanos("monitor", d)?));
        }
        if let Some(r) = self.max_failure_ratio {
            api.require(
                ApiVersion::new(1, 25),
                &format!("{what} (max failure ratio)"),
            )?;
            if !(0.0..=1.0).contains(&r) {
                return Err(Error::InvalidArgument(format!(
                    "{what}: max failure ratio {r} is not between 0 and 1"
                )));
            }
            m.insert("MaxFailureRatio".into(), json!(r));
        }
        if let Some(o) = self.order {
            api.require(ApiVersion::new(1, 29), &format!("{what} (order)"))?;
            let s = match o {
                UpdateOrder::StopFirst => "stop-first",
                UpdateOrder::StartFirst => "start-first",
            };
            m.insert("Order".into(), Value::from(s));
        }
        Ok(Value::Object(m))
    }
}

/// When a task's container is restarted (the swarm's conditions, not the container
/// restart policy's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RestartCondition {
    /// Never (docker-py's default).
    #[default]
    None,
    /// When it exits non-zero.
    OnFailure,
    /// Whenever it exits.
    Any,
}

impl FromStr for RestartCondition {
    type Err = Error;

    fn from_str(s: &str) -> Result<RestartCondition> {
        match s {
            "none" => Ok(RestartCondition::None),
            "on-failure" => Ok(RestartCondition::OnFailure),
            "any" => Ok(RestartCondition::Any),
            _ => Err(Error::InvalidArgument(format!(
                "restart condition {s:?}: expected none, on-failure or any"
            ))),
        }
    }
}

/// A task restart policy (docker-py's `RestartPolicy` of `docker.types`): every
/// field is sent, with docker-py's zero defaults.
///
/// ```
/// use std::time::Duration;
/// use berth_core::api::services::{RestartCondition, TaskRestartPolicy};
/// let p = TaskRestartPolicy { condition: RestartCondition::OnFailure, delay: Duration::from_secs(5), max_attempts: 3, ..Default::default() };
/// assert_eq!(p.to_json()?, serde_json::json!({"Condition": "on-failure", "Delay": 5_000_000_000i64, "MaxAttempts": 3, "Window": 0}));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TaskRestartPolicy {
    /// When to restart.
    pub condition: RestartCondition,
    /// Wait before restarting.
    pub delay: Duration,
    /// Attempts before giving up (0 = unlimited).
    pub max_attempts: u64,
    /// The window attempts are counted in (0 = unbounded).
    pub window: Duration,
}

impl TaskRestartPolicy {
    /// The `RestartPolicy` JSON.
    pub fn to_json(&self) -> Result<Value> {
        let c = match self.condition {
            RestartCondition::None => "none",
            RestartCondition::OnFailure => "on-failure",
            RestartCondition::Any => "any",
        };
        Ok(json!({
            "Condition": c,
            "Delay": duration_nanos("restart delay", self.delay)?,
            "MaxAttempts": self.max_attempts,
            "Window": duration_nanos("restart window", self.window)?,
        }))
    }
}

/// A generic resource (GPUs and the like) a task reserves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GenericResource {
    /// A count: docker-py's `{kind: int}`.
    Discrete {
        /// The kind, e.g. `gpu`.
        kind: String,
        /// How many.
        value: i64,
    },
    /// A named one: docker-py's `{kind: str}`.
    Named {
        /// The kind.
        kind: String,
        /// The resource's name, e.g. a GPU UUID.
        value: String,
    },
}

/// CPU and memory limits and reservations of each task (docker-py's `Resources`).
///
/// ```
/// use berth_core::api::services::Resources;
/// use berth_core::ApiVersion;
/// let r = Resources::new().cpu_limit(0.5)?.mem_limit_str("64m")?;
/// assert_eq!(r.to_json(ApiVersion::new(1, 41))?, serde_json::json!({"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 67_108_864}}));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resources {
    /// `Limits.NanoCPUs`.
    pub cpu_limit: Option<i64>,
    /// `Limits.MemoryBytes`.
    pub mem_limit: Option<i64>,
    /// `Reservations.NanoCPUs`.
    pub cpu_reservation: Option<i64>,
    /// `Reservations.MemoryBytes`.
    pub mem_reservation: Option<i64>,
    /// `Reservations.GenericResources` (API 1.32).
    pub generic_resources: Vec<GenericResource>,
    /// `Limits.Pids`: at most this many processes per task (API 1.41; 0 = unlimited).
    pub pids_limit: Option<i64>,
}

impl Resources {
    /// No limits or reservations.
    pub fn new() -> Resources {
        Resources::default()
    }

    /// CPU limit as a count of CPUs (`0.5`).
    pub fn cpu_limit(mut self, cpus: f64) -> Result<Resources> {
        self.cpu_limit = Some(nano_cpus(cpus)?);
        Ok(self)
    }

    /// CPU reservation as a count of CPUs.
    pub fn cpu_reservation(mut self, cpus: f64) -> Result<Resources> {
        self.cpu_reservation = Some(nano_cpus(cpus)?);
        Ok(self)
    }

    /// Memory limit in docker-py's notation (`"64m"`).
    pub fn mem_limit_str(mut self, size: &str) -> Result<Resources> {
        self.mem_limit = Some(size.parse::<MemoryBytes>()?.get());
        Ok(self)
    }

    /// Memory reservation in docker-py's notation.
    pub fn mem_reservation_str(mut self, size: &str) -> Result<Resources> {
        self.mem_reservation = Some(size.parse::<MemoryBytes>()?.get());
        Ok(self)
    }

    /// At most `n` processes in each task (`Limits.Pids`, API 1.41).
    pub fn pids_limit(mut self, n: i64) -> Resources {
        self.pids_limit = Some(n);
        self
    }

    /// Adds a generic resource reservation.
    pub fn generic(mut self, r: GenericResource) -> Resources {
        self.generic_resources.push(r);
        self
    }

    /// The `Resources` JSON (sections only when something is set).
    pub fn to_json(&self, api: ApiVersion) -> Result<Value> {
        let mut out = Map::new();
        let section = |cpu: Option<i64>, mem: Option<i64>| {
            let mut m = Map::new();
            if let Some(c) = cpu {
                m.insert("NanoCPUs".into(), Value::from(c));
            }
            if let Some(b) = mem {
                m.insert("MemoryBytes".into(), Value::from(b));
            }
            m
        };
        let mut limits = section(self.cpu_limit, self.mem_limit);
        if let Some(n) = self.pids_limit {
            api.require(ApiVersion::new(1, 41), "service resources (pids limit)")?;
            if n < 0 {
                return Err(Error::InvalidArgument(format!(
                    "service resources: pids limit {n} is negative; 0 means unlimited"
                )));
            }
            limits.insert("Pids".into(), Value::from(n));
        }
        if !limits.is_empty() {
            out.insert("Limits".into(), Value::Object(limits));
        }
        let mut reservations = section(self.cpu_reservation, self.mem_reservation);
        if !self.generic_resources.is_empty() {
            api.require(
                ApiVersion::new(1, 32),
                "service resources (generic resources)",
            )?;
            let list = self
                .generic_resources
                .iter()
                .map(|g| match g {
                    GenericResource::Discrete { kind, value } => {
                        json!({"DiscreteResourceSpec": {"Kind": kind, "Value": value}})
                    }
                    GenericResource::Named { kind, value } => {
                        json!({"NamedResourceSpec": {"Kind": kind, "Value": value}})
                    }
                })
                .collect();
            reservations.insert("GenericResources".into(), Value::Array(list));
        }
        if !reservations.is_empty() {
            out.insert("Reservations".into(), Value::Object(reservations));
        }
        Ok(Value::Object(out))
    }
}
