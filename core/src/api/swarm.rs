//! Swarm: init, join, leave, inspect (with the join tokens), update (with token and
//! unlock-key rotation), the unlock key and unlock.
//!
//! | operation | endpoint |
//! | --- | --- |
//! | `POST /swarm/init` | [`SwarmInit`] with a [`SwarmSpecOptions`] |
//! | `POST /swarm/join` | [`SwarmJoin`] |
//! | `POST /swarm/leave` | [`SwarmLeave`] (forced: "not in a swarm" is success) |
//! | `GET /swarm` | [`SwarmInspect`] |
//! | `POST /swarm/update` | [`SwarmUpdate`] (whole spec + version) |
//! | `GET /swarm/unlockkey` | [`SwarmUnlockKey`] |
//! | `POST /swarm/unlock` | [`SwarmUnlock`] |
//!
//! Updates replace the whole spec (edge case 170): build the new spec with
//! [`SwarmSpecOptions::merge_into`] over the current one, and send it with the current
//! `Version.Index` (edge case 169). A node outside a swarm answers swarm calls with
//! 503 ([`Error::Unavailable`]) on Docker 20.10 and 406 ([`Error::NotInSwarm`]) on
//! some older versions; see [`is_not_in_swarm`].
//!
//! ```
//! use berth_core::api::swarm::{SwarmInit, SwarmSpecOptions};
//! use berth_core::endpoint::Endpoint;
//! use berth_core::ApiVersion;
//!
//! let init = SwarmInit::new("127.0.0.1")
//!     .spec(SwarmSpecOptions::new().task_history_retention_limit(3).label("env", "test"));
//! let head = init.request(ApiVersion::new(1, 41))?;
//! assert_eq!(head.path, "/v1.41/swarm/init");
//! # Ok::<(), berth_core::Error>(())
//! ```

use http::Method;
use serde_json::{Map, Value, json};

use crate::endpoint::{Endpoint, Response};
use crate::error::{Error, Result};
use crate::model::{Typed, excerpt};
use crate::models;
use crate::request::{Query, RequestHead, ResponseKind};
use crate::version::ApiVersion;

mod spec;

pub use spec::{DriverConfig, ExternalCa, SwarmSpecOptions};

/// docker-py's 90 days in nanoseconds: the `NodeCertExpiry` an update keeps when the
/// spec sent has none (edge case 171), the daemon's own default.
pub const DEFAULT_NODE_CERT_EXPIRY_NS: i64 = 7_776_000_000_000_000;

/// The default listen address of init and join (docker-py's, since 2.7.0 for both).
pub const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:2377";

/// The API version swarm mode appeared in.
pub(crate) const SWARM_API: ApiVersion = ApiVersion::new(1, 24);

/// True for the answers of a node that is not (a manager) in a swarm: 406
/// [`Error::NotInSwarm`] and 503 [`Error::Unavailable`] (edge case 166).
///
/// ```
/// use berth_core::{Error, api::swarm::is_not_in_swarm};
/// assert!(is_not_in_swarm(&Error::from_response(503, b"{\"message\":\"This node is not a swarm manager.\"}")));
/// assert!(!is_not_in_swarm(&Error::from_response(404, b"")));
/// ```
pub fn is_not_in_swarm(e: &Error) -> bool {
    matches!(e, Error::NotInSwarm(_) | Error::Unavailable(_))
}

/// True when an update was refused because its `version` is stale: the daemon's
/// "update out of sequence" (a 500 on Docker 20.10, a 409 on some versions). The
/// remedy is to inspect again and resend (edge case 169).
///
/// ```
/// use berth_core::{Error, api::swarm::is_update_out_of_sequence};
/// let e = Error::from_response(500, br#"{"message":"rpc error: code = Unknown desc = update out of sequence"}"#);
/// assert!(is_update_out_of_sequence(&e));
/// assert!(!is_update_out_of_sequence(&Error::from_response(500, b"{\"message\":\"boom\"}")));
/// ```
pub fn is_update_out_of_sequence(e: &Error) -> bool {
    e.daemon_message()
        .is_some_and(|m| m.contains("update out of sequence"))
}

/// A JSON object's map (`null` → empty); anything else is an error naming `what`.
pub(crate) fn object_of(v: &Value, what: &str) -> Result<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m.clone()),
        Value::Null => Ok(Map::new()),
        other => Err(Error::InvalidArgument(format!(
            "{what} is not a JSON object: {}",
            excerpt(other.to_string().as_bytes())
        ))),
    }
}

/// A request on a swarm-mode path, after checking the API has swarm mode.
pub(crate) fn swarm_request(
    method: Method,
    api: ApiVersion,
    path: &str,
    q: Query,
    response: ResponseKind,
    what: &str,
) -> Result<RequestHead> {
    api.require(SWARM_API, what)?;
    Ok(RequestHead::versioned(method, api, path, q, response))
}

/// `POST /swarm/init`: makes this node the first manager of a new swarm. Output: the
/// node's id (the daemon answers a bare JSON string, edge case 168). Already in a swarm
/// → [`Error::Unavailable`] ("This node is already part of a swarm").
#[derive(Debug, Clone, PartialEq)]
pub struct SwarmInit {
    /// `AdvertiseAddr`: the address other nodes reach this one at (`ip[:port]` or an
    /// interface); `None` lets the daemon pick, which fails on hosts with several
    /// addresses.
    pub advertise_addr: Option<String>,
    /// `ListenAddr` (default `0.0.0.0:2377`).
    pub listen_addr: String,
    /// `ForceNewCluster`: recover a swarm that lost quorum.
    pub force_new_cluster: bool,
    /// The swarm's settings.
    pub spec: SwarmSpecOptions,
    /// `DefaultAddrPool`: subnets for global-scope networks (API 1.39;
    /// `["10.0.0.0/8"]` when only `subnet_size` is set).
    pub default_addr_pool: Vec<String>,
    /// `SubnetSize` of networks taken from the pool (API 1.39; 24 when only the pool
    /// is set).
    pub subnet_size: Option<u32>,
    /// `DataPathAddr`: the address for data traffic (API 1.30).
    pub data_path_addr: Option<String>,
    /// `DataPathPort`: the VXLAN port, 1024–49151 (API 1.40; the daemon's default is
    /// 4789).
    pub data_path_port: Option<u32>,
}

impl SwarmInit {
    /// Init advertising `advertise_addr`, listening on `0.0.0.0:2377`.
    pub fn new(advertise_addr: impl Into<String>) -> SwarmInit {
        SwarmInit {
            advertise_addr: Some(advertise_addr.into()),
            ..SwarmInit::default()
        }
    }

    /// Sets the swarm's settings.
    pub fn spec(mut self, spec: SwarmSpecOptions) -> SwarmInit {
        self.spec = spec;
        self
    }

    /// The request body.
    pub fn body(&self, api: ApiVersion) -> Result<Value> {
        if self.listen_addr.is_empty() {
            return Err(Error::InvalidArgument(
                "swarm init: the listen address is empty; use e.g. 0.0.0.0:2377".into(),
            ));
        }
        let mut m = Map::new();
        m.insert("ListenAddr".into(), Value::String(self.listen_addr.clone()));
        if let Some(a) = &self.advertise_addr {
            m.insert("AdvertiseAddr".into(), Value::String(a.clone()));
        }
        m.insert(
            "ForceNewCluster".into(),
            Value::Bool(self.force_new_cluster),
        );
        m.insert("Spec".into(), self.spec.to_json(api)?);
        if !self.default_addr_pool.is_empty() || self.subnet_size.is_some() {
            api.require(
                ApiVersion::new(1, 39),
                "swarm init (default address pool, subnet size)",
            )?;
            let pool = if self.default_addr_pool.is_empty() {
                vec!["10.0.0.0/8".to_owned()]
            } else {
                self.default_addr_pool.clone()
            };
            m.insert("DefaultAddrPool".into(), json!(pool));
            m.insert("SubnetSize".into(), json!(self.subnet_size.unwrap_or(24)));
        }
        if let Some(a) = &self.data_path_addr {
            api.require(ApiVersion::new(1, 30), "swarm init (data path address)")?;
            m.insert("DataPathAddr".into(), Value::String(a.clone()));
        }
        if let Some(p) = self.data_path_port {
            api.require(ApiVersion::new(1, 40), "swarm init (data path port)")?;
            m.insert("DataPathPort".into(), json!(p));
        }
        Ok(Value::Object(m))
    }
}

impl Default for SwarmInit {
    fn default() -> SwarmInit {
        SwarmInit {
            advertise_addr: None,
            listen_addr: DEFAULT_LISTEN_ADDR.into(),
            force_new_cluster: false,
            spec: SwarmSpecOptions::default(),
            default_addr_pool: Vec::new(),
            subnet_size: None,
            data_path_addr: None,
            data_path_port: None,
        }
    }
}

impl Endpoint for SwarmInit {
    type Output = String;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let body = self.body(api)?;
        swarm_request(
            Method::POST,
            api,
            "/swarm/init",
            Query::new(),
            ResponseKind::Json,
            "swarm init",
        )?
        .json_body(&body)
    }

    fn parse(&self, r: Response<'_>) -> Result<String> {
        r.success()?;
        match serde_json::from_slice::<Value>(r.body) {
            Ok(Value::String(id)) => Ok(id),
            _ => Err(Error::Decode(format!(
                "swarm init: expected the node id as a JSON string, got {}",
                excerpt(r.body)
            ))),
        }
    }
}

/// `POST /swarm/join`: joins a swarm as worker or manager (the token decides). A bad
/// token is [`Error::Server`] ("invalid join token"); an unreachable manager fails
/// after the daemon's own timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmJoin {
    /// `RemoteAddrs`: managers of the swarm (`host:port`).
    pub remote_addrs: Vec<String>,
    /// `JoinToken`: the worker or manager token.
    pub join_token: String,
    /// `ListenAddr` (default `0.0.0.0:2377`).
    pub listen_addr: String,
    /// `AdvertiseAddr`.
    pub advertise_addr: Option<String>,
    /// `DataPathAddr` (API 1.30).
    pub data_path_addr: Option<String>,
}

impl SwarmJoin {
    /// Join the swarm managed at `remote_addrs` with `token`.
    pub fn new<S: Into<String>>(
        remote_addrs: impl IntoIterator<Item = S>,
        token: impl Into<String>,
    ) -> SwarmJoin {
        SwarmJoin {
            remote_addrs: remote_addrs.into_iter().map(Into::into).collect(),
            join_token: token.into(),
            listen_addr: DEFAULT_LISTEN_ADDR.into(),
            advertise_addr: None,
            data_path_addr: None,
        }
    }
}

impl Endpoint for SwarmJoin {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if self.remote_addrs.is_empty() || self.remote_addrs.iter().any(String::is_empty) {
            return Err(Error::InvalidArgument(
                "swarm join: give the address of at least one manager (host:2377)".into(),
            ));
        }
        if self.join_token.is_empty() {
            return Err(Error::InvalidArgument(
                "swarm join: the join token is empty; `docker swarm join-token worker` on a manager prints one".into(),
            ));
        }
        let mut m = Map::new();
        m.insert("RemoteAddrs".into(), json!(self.remote_addrs));
        m.insert("JoinToken".into(), Value::String(self.join_token.clone()));
        m.insert("ListenAddr".into(), Value::String(self.listen_addr.clone()));
        if let Some(a) = &self.advertise_addr {
            m.insert("AdvertiseAddr".into(), Value::String(a.clone()));
        }
        if let Some(a) = &self.data_path_addr {
            api.require(ApiVersion::new(1, 30), "swarm join (data path address)")?;
            m.insert("DataPathAddr".into(), Value::String(a.clone()));
        }
        swarm_request(
            Method::POST,
            api,
            "/swarm/join",
            Query::new(),
            ResponseKind::Empty,
            "swarm join",
        )?
        .json_body(&Value::Object(m))
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /swarm/leave?force=`. Output: `true` when the node left, `false` when
/// `force` was set and the node was not in a swarm (406 or 503 are success then, edge
/// case 167). A manager must force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SwarmLeave {
    /// Leave even as a manager (the swarm may lose quorum), and treat "not in a
    /// swarm" as done.
    pub force: bool,
}

impl Endpoint for SwarmLeave {
    type Output = bool;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        swarm_request(
            Method::POST,
            api,
            "/swarm/leave",
            Query::new().flag("force", self.force),
            ResponseKind::Empty,
            "swarm leave",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<bool> {
        match r.success() {
            Ok(()) => Ok(true),
            Err(e) if self.force && is_not_in_swarm(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// `GET /swarm`: the swarm (id, version, spec, join tokens, TLS info). Only managers
/// answer; others get [`Error::Unavailable`] (see [`is_not_in_swarm`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SwarmInspect;

impl Endpoint for SwarmInspect {
    type Output = Typed<models::Swarm>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        swarm_request(
            Method::GET,
            api,
            "/swarm",
            Query::new(),
            ResponseKind::Json,
            "swarm inspect",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `Version.Index` of an inspected swarm object (swarm, node, service, secret,
/// config, task), read from its raw JSON.
///
/// ```
/// let attrs = serde_json::json!({"Version": {"Index": 42}});
/// assert_eq!(berth_core::api::swarm::version_of(&attrs), Some(42));
/// ```
pub fn version_of(attrs: &Value) -> Option<u64> {
    attrs.get("Version")?.get("Index")?.as_u64()
}

/// `POST /swarm/update?version=…`: replaces the swarm's spec. `spec` is the whole
/// spec (see [`SwarmSpecOptions::merge_into`]); a spec without
/// `CAConfig.NodeCertExpiry` gets the 90-day default (edge case 171). A stale
/// `version` fails (the daemon's "update out of sequence").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmUpdate {
    /// The swarm's current `Version.Index`.
    pub version: u64,
    /// The whole new spec.
    pub spec: Value,
    /// Issue a new worker join token.
    pub rotate_worker_token: bool,
    /// Issue a new manager join token.
    pub rotate_manager_token: bool,
    /// Issue a new unlock key (API 1.25).
    pub rotate_manager_unlock_key: bool,
}

impl SwarmUpdate {
    /// The body sent: `spec` with `NodeCertExpiry` filled in when missing.
    pub fn body(&self) -> Result<Value> {
        let mut spec = object_of(&self.spec, "swarm update: the spec")?;
        let ca = spec
            .entry("CAConfig")
            .or_insert_with(|| Value::Object(Map::new()));
        if ca.is_null() {
            *ca = Value::Object(Map::new());
        }
        if let Value::Object(ca) = ca
            && ca.get("NodeCertExpiry").is_none_or(Value::is_null)
        {
            ca.insert(
                "NodeCertExpiry".into(),
                Value::from(DEFAULT_NODE_CERT_EXPIRY_NS),
            );
        }
        Ok(Value::Object(spec))
    }
}

impl Endpoint for SwarmUpdate {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new()
            .push("version", &self.version.to_string())
            .flag("rotateWorkerToken", self.rotate_worker_token)
            .flag("rotateManagerToken", self.rotate_manager_token);
        if self.rotate_manager_unlock_key {
            api.require(ApiVersion::new(1, 25), "swarm update (rotate unlock key)")?;
        }
        if api >= ApiVersion::new(1, 25) {
            q = q.flag("rotateManagerUnlockKey", self.rotate_manager_unlock_key);
        }
        let body = self.body()?;
        swarm_request(
            Method::POST,
            api,
            "/swarm/update",
            q,
            ResponseKind::Empty,
            "swarm update",
        )?
        .json_body(&body)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `GET /swarm/unlockkey`: the key that unlocks a manager of an autolocked swarm
/// (API 1.25). Output: the key (`SWMKEY-1-…`), empty when autolock is off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SwarmUnlockKey;

impl Endpoint for SwarmUnlockKey {
    type Output = String;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 25), "swarm unlock key")?;
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/swarm/unlockkey",
            Query::new(),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<String> {
        r.success()?;
        let t: Typed<models::UnlockKeyResponse> = Typed::from_slice(r.body)?;
        Ok(t.into_typed().unlock_key.unwrap_or_default())
    }
}

/// `POST /swarm/unlock`: unlocks a manager restarted with autolock on (API 1.25). A
/// wrong key is an error with the daemon's message; an unlocked swarm answers
/// "swarm is not locked".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmUnlock {
    /// The unlock key (`SWMKEY-1-…`).
    pub key: String,
}

impl Endpoint for SwarmUnlock {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 25), "swarm unlock")?;
        if self.key.is_empty() {
            return Err(Error::InvalidArgument(
                "swarm unlock: the unlock key is empty; `docker swarm unlock-key` on an unlocked manager prints it".into(),
            ));
        }
        RequestHead::versioned(
            Method::POST,
            api,
            "/swarm/unlock",
            Query::new(),
            ResponseKind::Empty,
        )
        .json_body(&json!({ "UnlockKey": self.key }))
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

#[cfg(test)]
mod tests;
