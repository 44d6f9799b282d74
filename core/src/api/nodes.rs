//! Nodes of a swarm: list, inspect, update (availability, role, labels), remove.
//!
//! Only managers answer (others get [`Error::Unavailable`]). An update replaces the
//! node's whole spec and needs its current `Version.Index`: build the spec with
//! [`NodeSpecChange::merge_into`] over the node's current `Spec`.
//!
//! ```
//! use berth_core::api::nodes::{Availability, NodeSpecChange, NodeUpdate};
//! use berth_core::endpoint::Endpoint;
//! use berth_core::ApiVersion;
//!
//! let current = serde_json::json!({"Role": "manager", "Availability": "active"});
//! let spec = NodeSpecChange::new().availability(Availability::Drain).label("zone", "a").merge_into(&current)?;
//! let update = NodeUpdate { id: "n1".into(), version: 9, spec };
//! assert_eq!(update.request(ApiVersion::new(1, 41))?.path, "/v1.41/nodes/n1/update?version=9");
//! # Ok::<(), berth_core::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use http::Method;
use serde_json::{Value, json};

use super::swarm::{object_of, swarm_request};
use crate::endpoint::{Endpoint, Response};
use crate::error::{Error, Result};
use crate::model::Typed;
use crate::model::typed_list;
use crate::models::Node;
use crate::request::{Filters, Query, RequestHead, ResponseKind, quote_id};
use crate::version::ApiVersion;

/// A node's role in the swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeRole {
    /// Runs tasks only.
    Worker,
    /// Runs tasks and takes part in raft.
    Manager,
}

impl fmt::Display for NodeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeRole::Worker => "worker",
            NodeRole::Manager => "manager",
        })
    }
}

impl FromStr for NodeRole {
    type Err = Error;

    fn from_str(s: &str) -> Result<NodeRole> {
        match s {
            "worker" => Ok(NodeRole::Worker),
            "manager" => Ok(NodeRole::Manager),
            _ => Err(Error::InvalidArgument(format!(
                "node role {s:?}: expected worker or manager"
            ))),
        }
    }
}

/// Whether the scheduler may place tasks on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Availability {
    /// New tasks may be scheduled.
    Active,
    /// No new tasks; running ones stay.
    Pause,
    /// No tasks; running ones are moved elsewhere.
    Drain,
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Availability::Active => "active",
            Availability::Pause => "pause",
            Availability::Drain => "drain",
        })
    }
}

impl FromStr for Availability {
    type Err = Error;

    fn from_str(s: &str) -> Result<Availability> {
        match s {
            "active" => Ok(Availability::Active),
            "pause" => Ok(Availability::Pause),
            "drain" => Ok(Availability::Drain),
            _ => Err(Error::InvalidArgument(format!(
                "node availability {s:?}: expected active, pause or drain"
            ))),
        }
    }
}

/// Changes to a node's spec (`Name`, `Labels`, `Role`, `Availability`); unset fields
/// keep their current value when merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSpecChange {
    name: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    role: Option<NodeRole>,
    availability: Option<Availability>,
}

impl NodeSpecChange {
    /// No change.
    pub fn new() -> NodeSpecChange {
        NodeSpecChange::default()
    }

    /// Sets the node's name (`Name`).
    pub fn name(mut self, name: impl Into<String>) -> NodeSpecChange {
        self.name = Some(name.into());
        self
    }

    /// Adds a label to those set by this change; the labels set replace all current
    /// ones.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> NodeSpecChange {
        self.labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Sets the labels to exactly these (possibly none).
    pub fn labels<K: Into<String>, V: Into<String>>(
        mut self,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> NodeSpecChange {
        self.labels = Some(
            labels
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Promotes or demotes the node.
    pub fn role(mut self, role: NodeRole) -> NodeSpecChange {
        self.role = Some(role);
        self
    }

    /// Activates, pauses or drains the node.
    pub fn availability(mut self, a: Availability) -> NodeSpecChange {
        self.availability = Some(a);
        self
    }

    /// The node's current `Spec` with these changes applied (the whole spec an update
    /// must send: fields left out would be cleared, edge case 170).
    pub fn merge_into(&self, current: &Value) -> Result<Value> {
        let mut spec = object_of(current, "the current node spec")?;
        if let Some(n) = &self.name {
            spec.insert("Name".into(), Value::String(n.clone()));
        }
        if let Some(l) = &self.labels {
            spec.insert("Labels".into(), json!(l));
        }
        if let Some(r) = self.role {
            spec.insert("Role".into(), Value::String(r.to_string()));
        }
        if let Some(a) = self.availability {
            spec.insert("Availability".into(), Value::String(a.to_string()));
        }
        Ok(Value::Object(spec))
    }
}

fn node_path(id: &str, suffix: &str) -> Result<String> {
    Ok(format!("/nodes/{}{suffix}", quote_id("node", id)?))
}

/// `GET /nodes?filters=`: the swarm's nodes. Filters: `id`, `label`, `membership`
/// (`accepted`/`pending`), `name`, `node.label`, `role` (`manager`/`worker`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeList {
    /// Which nodes.
    pub filters: Filters,
}

impl Endpoint for NodeList {
    type Output = Vec<Typed<Node>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        swarm_request(
            Method::GET,
            api,
            "/nodes",
            Query::new().filters(&self.filters),
            ResponseKind::Json,
            "node list",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "node list")
    }
}

/// `GET /nodes/{id}`: one node by id, id prefix or hostname. Unknown →
/// [`Error::NotFound`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeInspect {
    /// Id or name.
    pub id: String,
}

impl Endpoint for NodeInspect {
    type Output = Typed<Node>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        swarm_request(
            Method::GET,
            api,
            &node_path(&self.id, "")?,
            Query::new(),
            ResponseKind::Json,
            "node inspect",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `POST /nodes/{id}/update?version=`: replaces the node's spec. A stale version is
/// an error with the daemon's "update out of sequence".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeUpdate {
    /// Id or name.
    pub id: String,
    /// The node's current `Version.Index`.
    pub version: u64,
    /// The whole new spec (see [`NodeSpecChange::merge_into`]).
    pub spec: Value,
}

impl Endpoint for NodeUpdate {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let spec = object_of(&self.spec, "node update: the spec")?;
        swarm_request(
            Method::POST,
            api,
            &node_path(&self.id, "/update")?,
            Query::new().push("version", &self.version.to_string()),
            ResponseKind::Empty,
            "node update",
        )?
        .json_body(&spec)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `DELETE /nodes/{id}?force=`: removes a node from the swarm. A node that is still
/// up needs `force`; the last manager cannot be removed (an error keeping the
/// daemon's message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeRemove {
    /// Id or name.
    pub id: String,
    /// Remove even when the node is up.
    pub force: bool,
}

impl Endpoint for NodeRemove {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        swarm_request(
            Method::DELETE,
            api,
            &node_path(&self.id, "")?,
            Query::new().flag("force", self.force),
            ResponseKind::Empty,
            "node remove",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

#[cfg(test)]
mod tests {

    use crate::headers::Headers;

    use super::*;
    use crate::request::RequestBody;

    const V41: ApiVersion = ApiVersion::new(1, 41);
    static NO_HEADERS: Headers = Headers::new();

    fn resp(status: u16, body: &[u8]) -> Response<'_> {
        Response {
            status,
            headers: &NO_HEADERS,
            body,
        }
    }

    #[test]
    fn list_filters_and_null_body() {
        let l = NodeList {
            filters: Filters::new().with("role", "manager"),
        };
        assert_eq!(
            l.request(V41).expect("head").path,
            "/v1.41/nodes?filters=%7B%22role%22%3A%5B%22manager%22%5D%7D"
        );
        assert!(l.parse(resp(200, b"null")).expect("null").is_empty());
        let nodes = l
            .parse(resp(
                200,
                br#"[{"ID":"n1","Spec":{"Role":"manager","Availability":"active"},"ManagerStatus":{"Leader":true}}]"#,
            ))
            .expect("nodes");
        assert_eq!(nodes[0].id.as_deref(), Some("n1"));
        assert_eq!(
            nodes[0].manager_status.as_ref().and_then(|m| m.leader),
            Some(true)
        );
    }

    #[test]
    fn inspect_and_remove_paths() {
        assert_eq!(
            NodeInspect {
                id: "my node".into()
            }
            .request(V41)
            .expect("head")
            .path,
            "/v1.41/nodes/my%20node"
        );
        assert!(NodeInspect::default().request(V41).is_err());
        let r = NodeRemove {
            id: "n1".into(),
            force: true,
        };
        let head = r.request(V41).expect("head");
        assert_eq!(head.method, Method::DELETE);
        assert_eq!(head.path, "/v1.41/nodes/n1?force=true");
        let e = r
            .parse(resp(
                400,
                br#"{"message":"rpc error: code = FailedPrecondition desc = node n1 is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal"}"#,
            ))
            .expect_err("only manager");
        assert!(matches!(e, Error::BadRequest(_)));
        assert!(
            e.daemon_message()
                .is_some_and(|m| m.contains("must be demoted"))
        );
    }

    #[test]
    fn spec_change_merges_over_current() {
        let current = json!({"Name": "", "Labels": {"old": "x"}, "Role": "manager", "Availability": "active"});
        let spec = NodeSpecChange::new()
            .availability(Availability::Pause)
            .labels([("zone", "a")])
            .merge_into(&current)
            .expect("merge");
        assert_eq!(
            spec,
            json!({"Name": "", "Labels": {"zone": "a"}, "Role": "manager", "Availability": "pause"})
        );
        let same = NodeSpecChange::new().merge_into(&current).expect("merge");
        assert_eq!(same, current);
        let role = NodeSpecChange::new()
            .role("worker".parse().expect("role"))
            .merge_into(&Value::Null)
            .expect("merge");
        assert_eq!(role, json!({"Role": "worker"}));
        assert!("boss".parse::<NodeRole>().is_err());
        assert!("sleep".parse::<Availability>().is_err());
        assert_eq!(
            "drain".parse::<Availability>().expect("ok"),
            Availability::Drain
        );
    }

    #[test]
    fn update_sends_version_and_whole_spec() {
        let u = NodeUpdate {
            id: "n1".into(),
            version: 3,
            spec: json!({"Role": "manager", "Availability": "drain"}),
        };
        let head = u.request(V41).expect("head");
        assert_eq!(head.path, "/v1.41/nodes/n1/update?version=3");
        match &head.body {
            RequestBody::Json(b) => {
                let v: Value = serde_json::from_slice(b).expect("json");
                assert_eq!(v["Availability"], "drain");
            }
            other => panic!("{other:?}"),
        }
        let bad = NodeUpdate {
            spec: json!("x"),
            ..u
        };
        assert!(bad.request(V41).is_err());
    }
}
