//! Networks: create (with docker-py's IPAM builders), list, inspect, connect,
//! disconnect, remove, prune.
//!
//! | operation | endpoint |
//! | --- | --- |
//! | `POST /networks/create` | [`NetworkCreate`] with [`IpamConfig`] / [`IpamPool`] |
//! | `GET /networks` | [`NetworkList`] |
//! | `GET /networks/{id}` | [`NetworkInspect`] |
//! | `POST /networks/{id}/connect` | [`NetworkConnect`] (endpoint settings: [`EndpointConfig`]) |
//! | `POST /networks/{id}/disconnect` | [`NetworkDisconnect`] |
//! | `DELETE /networks/{id}` | [`NetworkRemove`] |
//! | `POST /networks/prune` | [`NetworkPrune`] |
//!
//! Daemons before API 1.44 create a second network with a taken name unless asked to
//! check (they answer 201 with a `Warning`); [`NetworkCreate`] asks them to, so a taken
//! name is [`Error::Conflict`] on every daemon version.
//!
//! ```
//! use berth_core::api::networks::{IpamConfig, IpamPool, NetworkCreate};
//! use berth_core::endpoint::Endpoint;
//! use berth_core::ApiVersion;
//!
//! let create = NetworkCreate::new("backend")
//!     .driver("bridge")
//!     .label("app", "shop")
//!     .ipam(IpamConfig::new().pool(IpamPool::new().subnet("10.10.0.0/24").gateway("10.10.0.1")));
//! let head = create.request(ApiVersion::new(1, 41))?;
//! assert_eq!(head.path, "/v1.41/networks/create");
//! # Ok::<(), berth_core::Error>(())
//! ```

use std::collections::HashMap;

use http::Method;
use serde_json::{Map, Value};

use crate::endpoint::{Endpoint, Response};
use crate::error::{Error, Result};
use crate::model::typed_list;
use crate::model::{Typed, typed_with_default};
use crate::models::{self, NetworkCreateResponse, NetworkPruneResponse, NetworkSummary};
use crate::request::{Filters, Query, RequestHead, ResponseKind, quote_id};
use crate::version::ApiVersion;

pub use crate::options::EndpointConfig;
pub use ipam::{IpamConfig, IpamPool};

mod ipam;
#[cfg(test)]
mod tests;

/// API version from which the daemon always refuses a taken network name and ignores
/// `CheckDuplicate`.
const DUPLICATE_CHECK_BUILT_IN: ApiVersion = ApiVersion::new(1, 44);

/// `POST /networks/create`: creates a network (docker-py's `create_network`).
///
/// Only what is set is sent, so the daemon's defaults apply to the rest. A taken name
/// is [`Error::Conflict`] (see [`NetworkCreate::check_duplicate`]); the answer's `Id`
/// is the new network's id and `Warning` what the daemon had to say.
#[derive(Debug, Clone, Default)]
pub struct NetworkCreate {
    /// The network's name.
    pub name: String,
    /// The driver (`bridge`, `overlay`, `macvlan`, a plugin); `None`: the daemon's
    /// default (`bridge` on a single host).
    pub driver: Option<String>,
    /// Driver options (`com.docker.network.bridge.name`, …).
    pub options: HashMap<String, String>,
    /// IP address management; `None`: the daemon allocates a subnet.
    pub ipam: Option<IpamConfig>,
    /// Ask a daemon older than API 1.44 to refuse a name already in use. `None` means
    /// `true` (what the docker CLI sends; newer daemons always check). From API 1.44
    /// the field is gone and never sent, whatever its value.
    pub check_duplicate: Option<bool>,
    /// Restrict external access (`Internal`).
    pub internal: Option<bool>,
    /// Labels (`Labels`).
    pub labels: HashMap<String, String>,
    /// Enable IPv6 (`EnableIPv6`); needs an IPv6 pool or a daemon default.
    pub enable_ipv6: Option<bool>,
    /// Let standalone containers attach to a swarm-scope network (`Attachable`).
    pub attachable: Option<bool>,
    /// The scope: `local`, `swarm` or `global` (`Scope`, API 1.30).
    pub scope: Option<String>,
    /// The swarm routing-mesh network (`Ingress`, API 1.29).
    pub ingress: Option<bool>,
}

impl NetworkCreate {
    /// A network named `name` with the daemon's defaults.
    pub fn new(name: impl Into<String>) -> NetworkCreate {
        NetworkCreate {
            name: name.into(),
            ..NetworkCreate::default()
        }
    }

    /// Sets the driver.
    pub fn driver(mut self, driver: impl Into<String>) -> NetworkCreate {
        self.driver = Some(driver.into());
        self
    }

    /// Adds a driver option.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> NetworkCreate {
        self.options.insert(key.into(), value.into());
        self
    }

    /// Adds a label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> NetworkCreate {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Sets the IPAM configuration.
    pub fn ipam(mut self, ipam: IpamConfig) -> NetworkCreate {
        self.ipam = Some(ipam);
        self
    }

    /// The JSON body for API version `api`.
    pub fn body(&self, api: ApiVersion) -> Result<Value> {
        if self.name.is_empty() {
            return Err(Error::InvalidArgument(
                "network create: the name is empty; give the network a name".into(),
            ));
        }
        if self.driver.as_deref() == Some("") {
            return Err(Error::InvalidArgument(
                "network create: the driver is empty; pass None for the daemon's default".into(),
            ));
        }
        if self.ingress.is_some() {
            api.require(ApiVersion::new(1, 29), "network create (ingress)")?;
        }
        if self.scope.is_some() {
            api.require(ApiVersion::new(1, 30), "network create (scope)")?;
        }
        let model = models::NetworkCreateRequest {
            name: self.name.clone(),
            driver: self.driver.clone(),
            scope: self.scope.clone(),
            internal: self.internal,
            attachable: self.attachable,
            ingress: self.ingress,
            ipam: self.ipam.as_ref().map(IpamConfig::to_model).transpose()?,
            enable_ipv6: self.enable_ipv6,
            options: (!self.options.is_empty()).then(|| self.options.clone()),
            labels: (!self.labels.is_empty()).then(|| self.labels.clone()),
            ..models::NetworkCreateRequest::default()
        };
        let mut body = serde_json::to_value(&model).map_err(|e| {
            Error::InvalidArgument(format!("network create: body is not valid JSON: {e}"))
        })?;
        if api < DUPLICATE_CHECK_BUILT_IN
            && let Value::Object(m) = &mut body
        {
            m.insert(
                "CheckDuplicate".into(),
                Value::Bool(self.check_duplicate.unwrap_or(true)),
            );
        }
        Ok(body)
    }
}

impl Endpoint for NetworkCreate {
    type Output = Typed<NetworkCreateResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let body = self.body(api)?;
        RequestHead::versioned(
            Method::POST,
            api,
            "/networks/create",
            Query::new(),
            ResponseKind::Json,
        )
        .json_body(&body)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        // The model requires `Warning`; a daemon with nothing to say may leave it out.
        typed_with_default(
            r.body,
            "network create",
            "Warning",
            Value::String(String::new()),
        )
    }
}

/// `GET /networks`: network summaries (docker-py's `networks`).
///
/// `names` and `ids` are merged into `filters` as the `name` and `id` filters, each a
/// list (edge case 159). The daemon matches `name` and `id` filters by substring or
/// prefix, not exactly. List answers have no `Containers`: inspect each network (the
/// host's `greedy` list does) to see them.
///
/// ```
/// use berth_core::api::networks::NetworkList;
/// use berth_core::endpoint::Endpoint;
/// let list = NetworkList { names: vec!["web".into()], ..NetworkList::default() };
/// assert_eq!(
///     list.request(berth_core::ApiVersion::new(1, 41))?.path,
///     "/v1.41/networks?filters=%7B%22name%22%3A%5B%22web%22%5D%7D"
/// );
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct NetworkList {
    /// Only networks whose name contains one of these.
    pub names: Vec<String>,
    /// Only networks whose id starts with one of these.
    pub ids: Vec<String>,
    /// `driver`, `label`, `type` (`custom`/`builtin`), `scope`, `dangling`, … filters.
    pub filters: Filters,
}

impl NetworkList {
    /// The filters sent: `filters` with `names` and `ids` added.
    pub fn merged_filters(&self) -> Filters {
        let mut f = self.filters.clone();
        for n in &self.names {
            f.add("name", n.clone());
        }
        for i in &self.ids {
            f.add("id", i.clone());
        }
        f
    }
}

impl Endpoint for NetworkList {
    type Output = Vec<Typed<NetworkSummary>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/networks",
            Query::new().filters(&self.merged_filters()),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "network list")
    }
}

/// `GET /networks/{id}?verbose=&scope=`: one network with its attached containers
/// (`Containers` may be `null` or absent: the typed view then has `None`, edge case
/// 162). Unknown → [`Error::NotFound`]; a name two networks share →
/// [`Error::BadRequest`] ("… is ambiguous").
#[derive(Debug, Clone, Default)]
pub struct NetworkInspect {
    /// Id, unique id prefix or name.
    pub id: String,
    /// Swarm networks: also report services and tasks (API 1.28).
    pub verbose: bool,
    /// Only find the network in this scope: `local`, `swarm` or `global` (API 1.31).
    pub scope: Option<String>,
}

impl NetworkInspect {
    /// Inspects `id` (not verbose, any scope).
    pub fn new(id: impl Into<String>) -> NetworkInspect {
        NetworkInspect {
            id: id.into(),
            ..NetworkInspect::default()
        }
    }
}

impl Endpoint for NetworkInspect {
    type Output = Typed<models::NetworkInspect>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new();
        if self.verbose {
            api.require(ApiVersion::new(1, 28), "network inspect (verbose)")?;
            q = q.flag("verbose", true);
        }
        if let Some(scope) = &self.scope {
            api.require(ApiVersion::new(1, 31), "network inspect (scope)")?;
            q = q.push("scope", scope);
        }
        on(Method::GET, api, &self.id, "", q, ResponseKind::Json)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `POST /networks/{id}/connect`: attaches a container (docker-py's
/// `connect_container_to_network`). The body is `{"Container", "EndpointConfig"}`,
/// the latter `{}` when `endpoint` sets nothing.
///
/// ```
/// use berth_core::api::networks::{EndpointConfig, NetworkConnect};
/// use berth_core::endpoint::Endpoint;
/// let c = NetworkConnect {
///     network: "backend".into(),
///     container: "web".into(),
///     endpoint: EndpointConfig::new().alias("api"),
/// };
/// assert_eq!(c.request(berth_core::ApiVersion::new(1, 41))?.path, "/v1.41/networks/backend/connect");
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct NetworkConnect {
    /// Network id or name.
    pub network: String,
    /// Container id or name.
    pub container: String,
    /// Aliases, links, static addresses, driver options.
    pub endpoint: EndpointConfig,
}

impl Endpoint for NetworkConnect {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if self.container.is_empty() {
            return Err(Error::InvalidArgument(
                "network connect: the container id or name is empty".into(),
            ));
        }
        let body = models::NetworkConnectRequest {
            container: self.container.clone(),
            endpoint_config: Some(self.endpoint.to_model(api)?),
        };
        on(
            Method::POST,
            api,
            &self.network,
            "/connect",
            Query::new(),
            ResponseKind::Empty,
        )?
        .json_body(&body)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /networks/{id}/disconnect`: detaches a container.
///
/// With `force`, a container the daemon does not know is taken as the name of a stale
/// endpoint and that endpoint is removed (404 "endpoint … not found" when there is
/// none). A container that is not connected is an error; 20.10 answers it with 500
/// ([`Error::Server`]).
#[derive(Debug, Clone, Default)]
pub struct NetworkDisconnect {
    /// Network id or name.
    pub network: String,
    /// Container id or name.
    pub container: String,
    /// `Force` (sent only when true).
    pub force: bool,
}

impl Endpoint for NetworkDisconnect {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if self.container.is_empty() {
            return Err(Error::InvalidArgument(
                "network disconnect: the container id or name is empty".into(),
            ));
        }
        let mut body = Map::new();
        body.insert("Container".into(), Value::String(self.container.clone()));
        if self.force {
            body.insert("Force".into(), Value::Bool(true));
        }
        on(
            Method::POST,
            api,
            &self.network,
            "/disconnect",
            Query::new(),
            ResponseKind::Empty,
        )?
        .json_body(&body)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `DELETE /networks/{id}`. A predefined network (`bridge`, `host`, `none`) is
/// [`Error::Forbidden`]; so is, on 20.10, one with endpoints attached ("… has active
/// endpoints"; disconnect them first); unknown is [`Error::NotFound`].
#[derive(Debug, Clone, Default)]
pub struct NetworkRemove {
    /// Id or name.
    pub id: String,
}

impl Endpoint for NetworkRemove {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        on(
            Method::DELETE,
            api,
            &self.id,
            "",
            Query::new(),
            ResponseKind::Empty,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /networks/prune`: removes networks no container uses, matching `filters`
/// (`until`, `label`, `label!`); needs API 1.25. `NetworksDeleted` may be `null`.
#[derive(Debug, Clone, Default)]
pub struct NetworkPrune {
    /// Which unused networks to remove; empty = all of them.
    pub filters: Filters,
}

impl NetworkPrune {
    /// The names of the removed networks (empty when none).
    pub fn deleted(answer: &NetworkPruneResponse) -> &[String] {
        answer.networks_deleted.as_deref().unwrap_or_default()
    }
}

impl Endpoint for NetworkPrune {
    type Output = Typed<NetworkPruneResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 25), "network prune")?;
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            "/networks/prune",
            Query::new().filters(&self.filters),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// The ids of the containers attached to a network, from its inspect answer's raw
/// `Containers` (`null`, absent or `{}` → empty; edge case 162). Sorted.
///
/// ```
/// use berth_core::api::networks::container_ids_of;
/// let attrs = serde_json::json!({"Containers": {"b": {}, "a": {}}});
/// assert_eq!(container_ids_of(&attrs), vec!["a", "b"]);
/// assert!(container_ids_of(&serde_json::json!({"Containers": null})).is_empty());
/// ```
pub fn container_ids_of(attrs: &Value) -> Vec<String> {
    let mut ids: Vec<String> = attrs
        .get("Containers")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

/// A request on `/networks/{id}{suffix}` (empty ids fail before any I/O).
fn on(
    method: Method,
    api: ApiVersion,
    id: &str,
    suffix: &str,
    q: Query,
    response: ResponseKind,
) -> Result<RequestHead> {
    Ok(RequestHead::versioned(
        method,
        api,
        &format!("/networks/{}{suffix}", quote_id("network", id)?),
        q,
        response,
    ))
}
