//! Swarm services: create (from docker-py-style [`ServiceOptions`]), inspect, list,
//! update, remove, logs, and the spec transformations behind docker-py's `scale` and
//! `force_update`.
//!
//! | module | contents |
//! | --- | --- |
//! | (here) | [`ServiceCreate`], [`ServiceInspect`], [`ServiceList`], [`ServiceUpdate`], [`ServiceRemove`], [`ServiceLogs`], [`scaled_spec`], [`force_updated_spec`] |
//! | `spec` | [`ServiceOptions`], [`Placement`], [`image_of`], [`tty_of`] |
//! | `types` | [`ServiceMode`], [`EndpointSpec`], [`PortConfig`], [`PlacementPreference`] |
//! | `task` | [`UpdateConfig`], [`TaskRestartPolicy`], [`Resources`] |
//! | `refs` | [`SecretReference`], [`ConfigReference`], [`NetworkAttachment`], [`DnsConfig`], [`Privileges`] |
//!
//! Updates replace the whole spec and need the current `Version.Index` (edge cases
//! 169, 170): inspect, apply the changes with [`ServiceOptions::merge_into`], send
//! with the inspected version. Tasks of a service: [`TaskList::for_service`](crate::api::tasks::TaskList::for_service).
//!
//! ```
//! use berth_core::api::services::{ServiceCreate, ServiceOptions};
//! use berth_core::endpoint::Endpoint;
//! let create = ServiceCreate::new(ServiceOptions::new("busybox").command(["sleep", "60"]).name("sleepy"));
//! assert_eq!(create.request(berth_core::ApiVersion::new(1, 41))?.path, "/v1.41/services/create");
//! # Ok::<(), berth_core::Error>(())
//! ```

use http::Method;
use serde_json::{Map, Value};

use super::container_io::Tail;
use super::swarm::{object_of, swarm_request};
use super::system::Timestamp;
use crate::endpoint::{Endpoint, Response, StreamEndpoint};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::model::Typed;
use crate::model::typed_list;
use crate::models::{Service, ServiceCreateResponse, ServiceUpdateResponse};
use crate::request::{Filters, Query, RequestHead, ResponseKind, quote_id};
use crate::stream::OutputDecoder;
use crate::version::ApiVersion;

mod refs;
mod spec;
mod task;
mod types;

#[cfg(test)]
mod tests;

pub use refs::{
    ConfigReference, DnsConfig, FileTarget, NetworkAttachment, Privileges, SecretReference,
};
pub use spec::{Placement, ServiceOptions, image_of, tty_of};
pub use task::{
    FailureAction, GenericResource, Resources, RestartCondition, TaskRestartPolicy, UpdateConfig,
    UpdateOrder,
};
pub use types::{
    EndpointSpec, PlacementPreference, PortConfig, PortProtocol, PublishMode, ServiceMode,
};

/// The header carrying registry credentials for the service's image (edge case 53).
const REGISTRY_AUTH: &str = "X-Registry-Auth";

fn service_path(id: &str, suffix: &str) -> Result<String> {
    Ok(format!("/services/{}{suffix}", quote_id("service", id)?))
}

/// `POST /services/create`. Output: the new service's `ID` and `Warnings` (e.g.
/// "image … could not be accessed on a registry to record its digest" for local-only
/// images). A taken name is [`Error::Conflict`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceCreate {
    /// The spec.
    pub options: ServiceOptions,
    /// `X-Registry-Auth` for the image's registry, already encoded (URL-safe base64
    /// of the auth JSON); sent when set so workers can pull a private image.
    pub registry_auth: Option<String>,
}

impl ServiceCreate {
    /// Creates a service from `options`, without registry credentials.
    pub fn new(options: ServiceOptions) -> ServiceCreate {
        ServiceCreate {
            options,
            registry_auth: None,
        }
    }
}

impl Endpoint for ServiceCreate {
    type Output = Typed<ServiceCreateResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let spec = self.options.to_spec(api)?;
        let mut head = swarm_request(
            Method::POST,
            api,
            "/services/create",
            Query::new(),
            ResponseKind::Json,
            "service create",
        )?
        .json_body(&spec)?;
        if let Some(a) = &self.registry_auth {
            head = head.header(REGISTRY_AUTH, a.clone());
        }
        Ok(head)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `GET /services/{id}?insertDefaults=`: one service. With `insert_defaults`
/// (API 1.29) the spec shows the daemon's defaults too. Unknown → [`Error::NotFound`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceInspect {
    /// Id or name.
    pub id: String,
    /// Fill in default values in the spec.
    pub insert_defaults: bool,
}

impl ServiceInspect {
    /// Inspects `id` without defaults.
    pub fn new(id: impl Into<String>) -> ServiceInspect {
        ServiceInspect {
            id: id.into(),
            insert_defaults: false,
        }
    }
}

impl Endpoint for ServiceInspect {
    type Output = Typed<Service>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new();
        if self.insert_defaults {
            api.require(ApiVersion::new(1, 29), "service inspect (insert defaults)")?;
            q = q.flag("insertDefaults", true);
        }
        swarm_request(
            Method::GET,
            api,
            &service_path(&self.id, "")?,
            q,
            ResponseKind::Json,
            "service inspect",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `GET /services?filters=&status=`: services. Filters: `id`, `label`, `mode`
/// (`replicated`/`global`), `name` (prefix). `status` (API 1.41) adds
/// `ServiceStatus` (running and desired task counts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceList {
    /// Which services.
    pub filters: Filters,
    /// Include task counts.
    pub status: bool,
}

impl Endpoint for ServiceList {
    type Output = Vec<Typed<Service>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new().filters(&self.filters);
        if self.status {
            api.require(ApiVersion::new(1, 41), "service list (status)")?;
            q = q.flag("status", true);
        }
        swarm_request(
            Method::GET,
            api,
            "/services",
            q,
            ResponseKind::Json,
            "service list",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "service list")
    }
}

/// `POST /services/{id}/update?version=`: replaces the whole spec. A stale version
/// fails with the daemon's "update out of sequence".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceUpdate {
    /// Id or name.
    pub id: String,
    /// The service's current `Version.Index`.
    pub version: u64,
    /// The whole new spec (see [`ServiceOptions::merge_into`]).
    pub spec: Value,
    /// `X-Registry-Auth` for the image's registry, already encoded.
    pub registry_auth: Option<String>,
    /// Roll back to the previous spec instead (`rollback=previous`, API 1.28; `spec`
    /// should then be the current one).
    pub rollback: bool,
}

impl Endpoint for ServiceUpdate {
    type Output = Typed<ServiceUpdateResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let spec = object_of(&self.spec, "service update: the spec")?;
        let mut q = Query::new().push("version", &self.version.to_string());
        if self.rollback {
            api.require(ApiVersion::new(1, 28), "service update (rollback)")?;
            q = q.push("rollback", "previous");
        }
        let mut head = swarm_request(
            Method::POST,
            api,
            &service_path(&self.id, "/update")?,
            q,
            ResponseKind::Json,
            "service update",
        )?
        .json_body(&spec)?;
        if let Some(a) = &self.registry_auth {
            head = head.header(REGISTRY_AUTH, a.clone());
        }
        Ok(head)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        if r.body.iter().all(u8::is_ascii_whitespace) {
            return Typed::from_slice(b"{}");
        }
        Typed::from_slice(r.body)
    }
}

/// `DELETE /services/{id}`: removes the service and shuts its tasks down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceRemove {
    /// Id or name.
    pub id: String,
}

impl Endpoint for ServiceRemove {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        swarm_request(
            Method::DELETE,
            api,
            &service_path(&self.id, "")?,
            Query::new(),
            ResponseKind::Empty,
            "service remove",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `GET /services/{id}/logs`: the output of all the service's tasks (API 1.25;
/// `json-file` and `journald` log drivers only). At least one of stdout and stderr
/// must be chosen (edge case 181); the framing follows the service's TTY flag, like
/// container logs.
#[derive(Debug, Clone)]
pub struct ServiceLogs {
    /// Service id or name.
    pub id: String,
    /// Include stdout.
    pub stdout: bool,
    /// Include stderr.
    pub stderr: bool,
    /// Prefix lines with RFC 3339 timestamps.
    pub timestamps: bool,
    /// Keep streaming new output.
    pub follow: bool,
    /// How much history.
    pub tail: Tail,
    /// Only output after this time.
    pub since: Option<Timestamp>,
    /// Add the task's details (`com.docker.swarm.*` attributes) to each line.
    pub details: bool,
    /// The service's `ContainerSpec.TTY`. `Some` decides the framing; `None` trusts
    /// the response's `Content-Type` (API ≥ 1.42) and falls back to multiplexed.
    pub tty: Option<bool>,
}

impl ServiceLogs {
    /// stdout and stderr, all history, no follow.
    pub fn new(id: impl Into<String>) -> ServiceLogs {
        ServiceLogs {
            id: id.into(),
            stdout: true,
            stderr: true,
            timestamps: false,
            follow: false,
            tail: Tail::All,
            since: None,
            details: false,
            tty: None,
        }
    }
}

impl StreamEndpoint for ServiceLogs {
    type Decoder = OutputDecoder;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 25), "service logs")?;
        let path = service_path(&self.id, "/logs")?;
        if !self.stdout && !self.stderr {
            return Err(Error::InvalidArgument(
                "service logs: choose at least one of stdout and stderr".into(),
            ));
        }
        let tail = match self.tail {
            Tail::All => "all".to_owned(),
            Tail::Lines(n) => n.to_string(),
        };
        let q = Query::new()
            .flag01("details", self.details)
            .flag01("follow", self.follow)
            .flag01("stdout", self.stdout)
            .flag01("stderr", self.stderr)
            .flag01("timestamps", self.timestamps)
            .push("tail", &tail)
            .opt("since", self.since);
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &path,
            q,
            ResponseKind::Output,
        ))
    }

    fn decoder(&self, _status: u16, headers: &Headers) -> Result<OutputDecoder> {
        let ct = headers.get_str("content-type");
        Ok(match self.tty {
            Some(tty) => OutputDecoder::for_response(None, tty),
            None => OutputDecoder::for_response(ct, false),
        })
    }
}

/// The spec with the replica count set (docker-py's `Service.scale`): the mode is
/// sent explicitly as `Replicated` (edge case 174). Global services and jobs cannot
/// be scaled: [`Error::InvalidArgument`], nothing sent.
///
/// ```
/// use berth_core::api::services::scaled_spec;
/// let spec = serde_json::json!({"Name": "web", "Mode": {"Replicated": {"Replicas": 1}}});
/// assert_eq!(scaled_spec(&spec, 3)?["Mode"], serde_json::json!({"Replicated": {"Replicas": 3}}));
/// assert!(scaled_spec(&serde_json::json!({"Mode": {"Global": {}}}), 3).is_err());
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn scaled_spec(spec: &Value, replicas: u64) -> Result<Value> {
    let mut out = object_of(spec, "the current service spec")?;
    match out.get("Mode").map(ServiceMode::of) {
        None | Some(Some(ServiceMode::Replicated(_))) => {}
        Some(other) => {
            let what = other.map_or_else(|| "an unknown mode".to_owned(), |m| format!("{m:?}"));
            return Err(Error::InvalidArgument(format!(
                "scale: only replicated services can be scaled; this one is {what}"
            )));
        }
    }
    out.insert("Mode".into(), ServiceMode::replicated(replicas).to_json());
    Ok(Value::Object(out))
}

/// The spec with `TaskTemplate.ForceUpdate` incremented (docker-py's
/// `force_update`, edge case 175): the daemon redeploys every task even though
/// nothing else changed.
///
/// ```
/// use berth_core::api::services::force_updated_spec;
/// let spec = serde_json::json!({"TaskTemplate": {"ForceUpdate": 2}});
/// assert_eq!(force_updated_spec(&spec)?["TaskTemplate"]["ForceUpdate"], 3);
/// assert_eq!(force_updated_spec(&serde_json::json!({}))?["TaskTemplate"]["ForceUpdate"], 1);
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn force_updated_spec(spec: &Value) -> Result<Value> {
    let mut out = object_of(spec, "the current service spec")?;
    let tt = out
        .entry("TaskTemplate")
        .or_insert_with(|| Value::Object(Map::new()));
    if !tt.is_object() {
        *tt = Value::Object(Map::new());
    }
    if let Value::Object(tt) = tt {
        let current = tt.get("ForceUpdate").and_then(Value::as_u64).unwrap_or(0);
        tt.insert("ForceUpdate".into(), Value::from(current + 1));
    }
    Ok(Value::Object(out))
}
