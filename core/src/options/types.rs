//! docker-py's small container types: `Ulimit`, `LogConfig`, the restart policy,
//! `DeviceRequest` and `Healthcheck`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;

use super::env::shell_split;
use super::units::health_duration;
use crate::error::{Error, Result};
use crate::models;

/// Reads `key` or its capitalised form from a JSON object (docker-py's dicts accept
/// both `name` and `Name`).
fn field<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    let mut cap = key.to_owned();
    if let Some(first) = cap.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    obj.get(key)
        .or_else(|| obj.get(cap.as_str()))
        .filter(|v| !v.is_null())
}

/// A resource limit (`Ulimits` entry).
///
/// ```
/// use berth_core::options::Ulimit;
/// let u: Ulimit = "nofile=1024:2048".parse()?;
/// assert_eq!(u, Ulimit::new("nofile", 1024, 2048));
/// let d = Ulimit::from_json(&serde_json::json!({"Name": "nproc", "soft": 64}))?;
/// assert_eq!(d.soft, Some(64));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ulimit {
    /// The limit's name (`nofile`, `nproc`, `core`, …).
    pub name: String,
    /// Soft limit; unset is sent as absent (the Engine reads 0).
    pub soft: Option<i64>,
    /// Hard limit; unset is sent as absent (the Engine reads 0).
    pub hard: Option<i64>,
}

impl Ulimit {
    /// `name` with both limits.
    pub fn new(name: impl Into<String>, soft: i64, hard: i64) -> Ulimit {
        Ulimit {
            name: name.into(),
            soft: Some(soft),
            hard: Some(hard),
        }
    }

    /// docker-py's dict form: `name`/`Name` (string, required), `soft`/`Soft` and
    /// `hard`/`Hard` (integers, optional).
    pub fn from_json(v: &Value) -> Result<Ulimit> {
        let bad = |why: &str| Error::InvalidArgument(format!("ulimit {v}: {why}"));
        let name = field(v, "name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("\"name\" must be a string"))?;
        let int = |k: &str| match field(v, k) {
            None => Ok(None),
            Some(x) => x
                .as_i64()
                .map(Some)
                .ok_or_else(|| bad(&format!("\"{k}\" must be an integer"))),
        };
        Ok(Ulimit {
            name: name.to_owned(),
            soft: int("soft")?,
            hard: int("hard")?,
        })
    }

    /// The wire form.
    pub fn to_model(&self) -> models::ResourcesUlimits {
        models::ResourcesUlimits {
            name: Some(self.name.clone()),
            soft: self.soft,
            hard: self.hard,
        }
    }
}

impl FromStr for Ulimit {
    type Err = Error;

    /// The CLI's `--ulimit name=soft[:hard]` (hard defaults to soft).
    fn from_str(s: &str) -> Result<Ulimit> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "ulimit {s:?}: {why}; expected name=soft[:hard] like \"nofile=1024:2048\""
            ))
        };
        let (name, limits) = s.split_once('=').ok_or_else(|| bad("no '='"))?;
        if name.is_empty() {
            return Err(bad("empty name"));
        }
        let num = |x: &str| {
            x.parse::<i64>()
                .map_err(|_| bad(&format!("{x:?} is not an integer")))
        };
        let (soft, hard) = match limits.split_once(':') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => (num(limits)?, num(limits)?),
        };
        if soft > hard && hard >= 0 {
            return Err(bad("the soft limit exceeds the hard limit"));
        }
        Ok(Ulimit::new(name, soft, hard))
    }
}

/// A logging driver and its options (`HostConfig.LogConfig`).
///
/// ```
/// use berth_core::options::LogConfig;
/// let lc = LogConfig::new("json-file").option("max-size", "10m");
/// let json = serde_json::to_value(lc.to_model())?;
/// assert_eq!(json, serde_json::json!({"Type": "json-file", "Config": {"max-size": "10m"}}));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The driver: `json-file`, `local`, `syslog`, `journald`, `gelf`, `fluentd`,
    /// `none` or a plugin.
    pub driver: String,
    /// Driver options; the Engine wants string values.
    pub config: HashMap<String, String>,
}

impl LogConfig {
    /// Driver `driver`, no options.
    pub fn new(driver: impl Into<String>) -> LogConfig {
        LogConfig {
            driver: driver.into(),
            config: HashMap::new(),
        }
    }

    /// Adds a driver option.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> LogConfig {
        self.config.insert(key.into(), value.into());
        self
    }

    /// docker-py's dict form: `type`/`Type` (string) and `config`/`Config` (object;
    /// numbers and booleans are stringified, other values are an error).
    pub fn from_json(v: &Value) -> Result<LogConfig> {
        let bad = |why: String| Error::InvalidArgument(format!("log config {v}: {why}"));
        let driver = field(v, "type")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("\"type\" must be a string".into()))?;
        let mut lc = LogConfig::new(driver);
        match field(v, "config") {
            None => {}
            Some(Value::Object(map)) => {
                for (k, val) in map {
                    let s = match val {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return Err(bad(format!("config value of {k:?} must be a string"))),
                    };
                    lc.config.insert(k.clone(), s);
                }
            }
            Some(_) => return Err(bad("\"config\" must be an object".into())),
        }
        Ok(lc)
    }

    /// The wire form (`Config` always present, `{}` when empty, as docker-py sends).
    pub fn to_model(&self) -> models::HostConfigLogConfig {
        models::HostConfigLogConfig {
            typ: Some(self.driver.clone()),
            config: Some(self.config.clone()),
        }
    }
}

/// A container restart policy (`HostConfig.RestartPolicy`). Swarm tasks have their
/// own policy type (`none`/`on-failure`/`any`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RestartPolicy {
    /// `no`: never restart.
    No,
    /// `always`.
    Always,
    /// `unless-stopped`.
    UnlessStopped,
    /// `on-failure`, at most `max_retries` times (unlimited when `None`).
    OnFailure {
        /// `MaximumRetryCount`.
        max_retries: Option<u32>,
    },
}

impl RestartPolicy {
    /// The wire form: `{Name, MaximumRetryCount}` (0 unless `on-failure` with a limit).
    pub fn to_model(self) -> models::RestartPolicy {
        use models::RestartPolicyNameEnum as N;
        let (name, retries) = match self {
            RestartPolicy::No => (N::NO, 0),
            RestartPolicy::Always => (N::ALWAYS, 0),
            RestartPolicy::UnlessStopped => (N::UNLESS_STOPPED, 0),
            RestartPolicy::OnFailure { max_retries } => (N::ON_FAILURE, max_retries.unwrap_or(0)),
        };
        models::RestartPolicy {
            name: Some(name),
            maximum_retry_count: Some(i64::from(retries)),
        }
    }
}

impl fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestartPolicy::No => f.write_str("no"),
            RestartPolicy::Always => f.write_str("always"),
            RestartPolicy::UnlessStopped => f.write_str("unless-stopped"),
            RestartPolicy::OnFailure { max_retries: None } => f.write_str("on-failure"),
            RestartPolicy::OnFailure {
                max_retries: Some(n),
            } => write!(f, "on-failure:{n}"),
        }
    }
}

impl FromStr for RestartPolicy {
    type Err = Error;

    /// `""`/`no`, `always`, `unless-stopped`, `on-failure`, `on-failure:5`.
    fn from_str(s: &str) -> Result<RestartPolicy> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "restart policy {s:?}: {why}; expected no, always, unless-stopped, \
                 on-failure or on-failure:N"
            ))
        };
        let (name, count) = match s.split_once(':') {
            Some((n, c)) => (n, Some(c)),
            None => (s, None),
        };
        let policy = match name {
            "" | "no" => RestartPolicy::No,
            "always" => RestartPolicy::Always,
            "unless-stopped" => RestartPolicy::UnlessStopped,
            "on-failure" => RestartPolicy::OnFailure {
                max_retries: count
                    .map(|c| {
                        c.parse::<u32>()
                            .map_err(|_| bad("the retry count is not a number"))
                    })
                    .transpose()?,
            },
            _ => return Err(bad("unknown policy")),
        };
        if count.is_some() && !matches!(policy, RestartPolicy::OnFailure { .. }) {
            return Err(bad("only on-failure takes a retry count"));
        }
        Ok(policy)
    }
}

/// A request for devices from a device driver (`HostConfig.DeviceRequests`), e.g. GPUs.
///
/// Every field is sent, with docker-py's defaults (`Driver ""`, `Count 0`, empty lists
/// and map).
///
/// ```
/// use berth_core::options::DeviceRequest;
/// let json = serde_json::to_value(DeviceRequest::gpus_all().to_model())?;
/// assert_eq!(json, serde_json::json!({
///     "Driver": "", "Count": -1, "DeviceIDs": [], "Capabilities": [["gpu"]], "Options": {}
/// }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceRequest {
    /// The driver (`""`: chosen by capabilities).
    pub driver: String,
    /// How many devices; `-1` = all.
    pub count: i64,
    /// Specific device ids (instead of a count).
    pub device_ids: Vec<String>,
    /// An OR list of AND lists of capabilities, e.g. `[["gpu"]]`.
    pub capabilities: Vec<Vec<String>>,
    /// Driver options.
    pub options: HashMap<String, String>,
}

impl DeviceRequest {
    /// An empty request (docker-py's `DeviceRequest()`).
    pub fn new() -> DeviceRequest {
        DeviceRequest::default()
    }

    /// All GPUs: the CLI's `--gpus all`.
    pub fn gpus_all() -> DeviceRequest {
        DeviceRequest::new().count(-1).capabilities([["gpu"]])
    }

    /// The driver.
    pub fn driver(mut self, driver: impl Into<String>) -> DeviceRequest {
        self.driver = driver.into();
        self
    }

    /// How many devices (`-1` = all).
    pub fn count(mut self, count: i64) -> DeviceRequest {
        self.count = count;
        self
    }

    /// Specific devices.
    pub fn device_ids<S: Into<String>>(
        mut self,
        ids: impl IntoIterator<Item = S>,
    ) -> DeviceRequest {
        self.device_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// The capability sets (OR of ANDs).
    pub fn capabilities<S: Into<String>, C: IntoIterator<Item = S>>(
        mut self,
        caps: impl IntoIterator<Item = C>,
    ) -> DeviceRequest {
        self.capabilities = caps
            .into_iter()
            .map(|c| c.into_iter().map(Into::into).collect())
            .collect();
        self
    }

    /// A driver option.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> DeviceRequest {
        self.options.insert(key.into(), value.into());
        self
    }

    /// The wire form, every field present.
    pub fn to_model(&self) -> models::DeviceRequest {
        models::DeviceRequest {
            driver: Some(self.driver.clone()),
            count: Some(self.count),
            device_ids: Some(self.device_ids.clone()),
            capabilities: Some(self.capabilities.clone()),
            options: Some(self.options.clone()),
        }
    }
}

/// What a healthcheck runs (`Healthcheck.Test`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HealthTest {
    /// `[]`: inherit the image's healthcheck.
    Inherit,
    /// `["NONE"]`: disable the image's healthcheck.
    Disabled,
    /// `["CMD", args…]`: run the words directly.
    Cmd(Vec<String>),
    /// `["CMD-SHELL", line]`: run through the container's shell (docker-py's string
    /// form).
    Shell(String),
    /// Any list, sent as given (docker-py's list form).
    Raw(Vec<String>),
}

impl HealthTest {
    /// The `Test` list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            HealthTest::Inherit => Vec::new(),
            HealthTest::Disabled => vec!["NONE".to_owned()],
            HealthTest::Cmd(words) => {
                let mut v = vec!["CMD".to_owned()];
                v.extend(words.iter().cloned());
                v
            }
            HealthTest::Shell(line) => vec!["CMD-SHELL".to_owned(), line.clone()],
            HealthTest::Raw(v) => v.clone(),
        }
    }
}

/// A container healthcheck (docker-py's `Healthcheck`): durations are converted to
/// nanoseconds and must be 0 or at least 1 ms.
///
/// ```
/// use std::time::Duration;
/// use berth_core::options::Healthcheck;
/// let hc = Healthcheck::shell("curl -f http://localhost/")
///     .interval(Duration::from_secs(30))
///     .retries(3)
///     .to_model()?;
/// assert_eq!(hc.test.as_deref(), Some(&["CMD-SHELL".to_owned(), "curl -f http://localhost/".to_owned()][..]));
/// assert_eq!(hc.interval, Some(30_000_000_000));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    /// The test.
    pub test: HealthTest,
    /// Time between checks.
    pub interval: Option<Duration>,
    /// Time before a check counts as hung.
    pub timeout: Option<Duration>,
    /// Consecutive failures before `unhealthy`.
    pub retries: Option<i64>,
    /// Grace period before failures count (API 1.29).
    pub start_period: Option<Duration>,
    /// Time between checks during the start period (API 1.44).
    pub start_interval: Option<Duration>,
}

impl Healthcheck {
    /// A healthcheck running `test`, other settings inherited.
    pub fn new(test: HealthTest) -> Healthcheck {
        Healthcheck {
            test,
            interval: None,
            timeout: None,
            retries: None,
            start_period: None,
            start_interval: None,
        }
    }

    /// `["CMD-SHELL", line]` (docker-py's string `test`).
    pub fn shell(line: impl Into<String>) -> Healthcheck {
        Healthcheck::new(HealthTest::Shell(line.into()))
    }

    /// `["CMD", words…]`.
    pub fn cmd<S: Into<String>>(words: impl IntoIterator<Item = S>) -> Healthcheck {
        Healthcheck::new(HealthTest::Cmd(words.into_iter().map(Into::into).collect()))
    }

    /// `["CMD", words…]` from a command line split like a shell would.
    pub fn cmd_line(line: &str) -> Result<Healthcheck> {
        Ok(Healthcheck::new(HealthTest::Cmd(shell_split(line)?)))
    }

    /// `["NONE"]`: turn off the image's healthcheck.
    pub fn disabled() -> Healthcheck {
        Healthcheck::new(HealthTest::Disabled)
    }

    /// `[]` with settings: keep the image's test, change its timing.
    pub fn inherit() -> Healthcheck {
        Healthcheck::new(HealthTest::Inherit)
    }

    /// docker-py's list `test`, sent as given.
    pub fn from_test<S: Into<String>>(test: impl IntoIterator<Item = S>) -> Healthcheck {
        Healthcheck::new(HealthTest::Raw(test.into_iter().map(Into::into).collect()))
    }

    /// Time between checks.
    pub fn interval(mut self, d: Duration) -> Healthcheck {
        self.interval = Some(d);
        self
    }

    /// Check timeout.
    pub fn timeout(mut self, d: Duration) -> Healthcheck {
        self.timeout = Some(d);
        self
    }

    /// Failures before `unhealthy`.
    pub fn retries(mut self, n: i64) -> Healthcheck {
        self.retries = Some(n);
        self
    }

    /// Start period (API 1.29).
    pub fn start_period(mut self, d: Duration) -> Healthcheck {
        self.start_period = Some(d);
        self
    }

    /// Interval during the start period (API 1.44).
    pub fn start_interval(mut self, d: Duration) -> Healthcheck {
        self.start_interval = Some(d);
        self
    }

    /// The wire form; errors on durations between 0 and 1 ms or negative retries.
    pub fn to_model(&self) -> Result<models::HealthConfig> {
        let ns = |what: &str, d: Option<Duration>| d.map(|d| health_duration(what, d)).transpose();
        if let Some(r) = self.retries.filter(|r| *r < 0) {
            return Err(Error::InvalidArgument(format!(
                "healthcheck retries {r}: expected 0 (inherit) or more"
            )));
        }
        Ok(models::HealthConfig {
            test: Some(self.test.to_vec()),
            interval: ns("interval", self.interval)?,
            timeout: ns("timeout", self.timeout)?,
            retries: self.retries,
            start_period: ns("start_period", self.start_period)?,
            start_interval: ns("start_interval", self.start_interval)?,
        })
    }
}
