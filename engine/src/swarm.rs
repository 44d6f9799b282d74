//! `swarm` (and nodes).

use berth_core::api::nodes::{NodeInspect, NodeList, NodeRemove, NodeUpdate};
use berth_core::api::swarm::{
    SwarmInspect, SwarmJoin, SwarmLeave, SwarmUnlock, SwarmUnlockKey, SwarmUpdate,
};
use berth_guest::RawJson;
use serde_json::{Map, Value, json};

use crate::ErrorCode;
use crate::bindings::exports::berth::engine::swarm::{
    Guest, InitOptions, JoinOptions, NodeInfo, SwarmInfo,
};
use crate::{
    Engine, R, docker, err, filters, labels, parse_object, raw, text, value_of, version_index,
};

/// A node's JSON as the WIT record.
fn node(a: &Value) -> NodeInfo {
    let spec = a.get("Spec").cloned().unwrap_or(Value::Null);
    let status = a.get("Status").cloned().unwrap_or(Value::Null);
    NodeInfo {
        id: text(a, "ID"),
        version: version_index(a),
        hostname: a
            .get("Description")
            .map(|d| text(d, "Hostname"))
            .unwrap_or_default(),
        role: text(&spec, "Role"),
        availability: text(&spec, "Availability"),
        state: text(&status, "State"),
        addr: text(&status, "Addr"),
        labels: labels(spec.get("Labels").unwrap_or(&Value::Null)),
        attrs: a.to_string(),
    }
}

impl Guest for Engine {
    fn init(options: InitOptions) -> R<String> {
        let mut body = Map::new();
        body.insert("ListenAddr".into(), json!(options.listen_addr));
        if let Some(a) = options.advertise_addr {
            body.insert("AdvertiseAddr".into(), json!(a));
        }
        if let Some(a) = options.data_path_addr {
            body.insert("DataPathAddr".into(), json!(a));
        }
        body.insert("ForceNewCluster".into(), json!(options.force_new_cluster));
        if let Some(spec) = options.spec {
            body.insert(
                "Spec".into(),
                Value::Object(parse_object(&spec, "swarm spec")?),
            );
        }
        match raw(RawJson::post("/swarm/init", &[], Value::Object(body)).map_err(err)?)? {
            Value::String(id) => Ok(id),
            other => Err(ErrorCode::Decode(format!(
                "swarm init: expected the node id as a JSON string, got {other}"
            ))),
        }
    }

    fn join(options: JoinOptions) -> R<()> {
        docker()
            .execute(&SwarmJoin {
                remote_addrs: options.remote_addrs,
                join_token: options.join_token,
                listen_addr: options.listen_addr,
                advertise_addr: options.advertise_addr,
                data_path_addr: None,
            })
            .map_err(err)
    }

    fn leave(force: bool) -> R<bool> {
        docker().execute(&SwarmLeave { force }).map_err(err)
    }

    fn inspect() -> R<SwarmInfo> {
        let a = value_of(docker().execute(&SwarmInspect).map_err(err)?);
        let tokens = a.get("JoinTokens").cloned().unwrap_or(Value::Null);
        Ok(SwarmInfo {
            id: text(&a, "ID"),
            version: version_index(&a),
            created_at: text(&a, "CreatedAt"),
            join_token_worker: text(&tokens, "Worker"),
            join_token_manager: text(&tokens, "Manager"),
            attrs: a.to_string(),
        })
    }

    fn update(
        version: u64,
        spec: String,
        rotate_worker_token: bool,
        rotate_manager_token: bool,
    ) -> R<()> {
        docker()
            .execute(&SwarmUpdate {
                version,
                spec: Value::Object(parse_object(&spec, "swarm spec")?),
                rotate_worker_token,
                rotate_manager_token,
                rotate_manager_unlock_key: false,
            })
            .map_err(err)
    }

    fn unlock_key() -> R<String> {
        docker().execute(&SwarmUnlockKey).map_err(err)
    }

    fn unlock(key: String) -> R<()> {
        docker().execute(&SwarmUnlock { key }).map_err(err)
    }

    fn list_nodes(f: Vec<(String, Vec<String>)>) -> R<Vec<NodeInfo>> {
        let items = docker()
            .execute(&NodeList {
                filters: filters(f),
            })
            .map_err(err)?;
        Ok(items.into_iter().map(|t| node(&value_of(t))).collect())
    }

    fn inspect_node(id: String) -> R<NodeInfo> {
        Ok(node(&value_of(
            docker().execute(&NodeInspect { id }).map_err(err)?,
        )))
    }

    fn update_node(id: String, version: u64, spec: String) -> R<()> {
        docker()
            .execute(&NodeUpdate {
                id,
                version,
                spec: Value::Object(parse_object(&spec, "node spec")?),
            })
            .map_err(err)
    }

    fn remove_node(id: String, force: bool) -> R<()> {
        docker().execute(&NodeRemove { id, force }).map_err(err)
    }
}
