//! `networks`.

use berth_core::api::networks::{NetworkDisconnect, NetworkList, NetworkPrune, NetworkRemove};
use berth_guest::RawJson;
use serde_json::{Map, Value, json};

use crate::bindings::exports::berth::engine::common;
use crate::bindings::exports::berth::engine::networks::{
    EndpointSpec, Guest, NetworkInfo, NetworkSpec,
};
use crate::{
    Engine, R, docker, err, filters, flag, invalid, label_object, labels, parse_object,
    prune_report, raw, text, value_of,
};

/// A network's JSON (list item or inspect answer) as the WIT record.
fn info(a: &Value) -> NetworkInfo {
    let containers = a
        .get("Containers")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    NetworkInfo {
        id: text(a, "Id"),
        name: text(a, "Name"),
        driver: text(a, "Driver"),
        scope: text(a, "Scope"),
        internal: flag(a, "Internal"),
        attachable: flag(a, "Attachable"),
        enable_ipv6: flag(a, "EnableIPv6"),
        created: text(a, "Created"),
        labels: labels(a.get("Labels").unwrap_or(&Value::Null)),
        containers,
        attrs: a.to_string(),
    }
}

/// The create body of a typed spec.
pub(crate) fn create_body(s: &NetworkSpec) -> R<Value> {
    if s.name.is_empty() {
        return Err(invalid("network create: the name is empty"));
    }
    let mut o = Map::new();
    o.insert("Name".into(), json!(s.name));
    o.insert("CheckDuplicate".into(), json!(true));
    if let Some(d) = &s.driver {
        o.insert("Driver".into(), json!(d));
    }
    if s.internal {
        o.insert("Internal".into(), json!(true));
    }
    if s.attachable {
        o.insert("Attachable".into(), json!(true));
    }
    if s.enable_ipv6 {
        o.insert("EnableIPv6".into(), json!(true));
    }
    if !s.labels.is_empty() {
        o.insert("Labels".into(), label_object(&s.labels));
    }
    if !s.options.is_empty() {
        o.insert("Options".into(), label_object(&s.options));
    }
    if !s.ipam.is_empty() {
        let pools: Vec<Value> = s
            .ipam
            .iter()
            .map(|p| {
                let mut c = Map::new();
                c.insert("Subnet".into(), json!(p.subnet));
                if let Some(g) = &p.gateway {
                    c.insert("Gateway".into(), json!(g));
                }
                if let Some(r) = &p.ip_range {
                    c.insert("IPRange".into(), json!(r));
                }
                Value::Object(c)
            })
            .collect();
        o.insert("IPAM".into(), json!({"Driver": "default", "Config": pools}));
    }
    Ok(Value::Object(o))
}

fn create_raw(body: Value) -> R<String> {
    let v = raw(RawJson::post("/networks/create", &[], body).map_err(err)?)?;
    Ok(text(&v, "Id"))
}

impl Guest for Engine {
    fn list_networks(f: Vec<(String, Vec<String>)>) -> R<Vec<NetworkInfo>> {
        let list = NetworkList {
            filters: filters(f),
            ..NetworkList::default()
        };
        let items = docker().networks().list(&list).map_err(err)?;
        Ok(items.into_iter().map(|t| info(&value_of(t))).collect())
    }

    fn inspect(id: String) -> R<NetworkInfo> {
        let n = docker().networks().get(&id).map_err(err)?;
        Ok(info(n.attrs.value()))
    }

    fn create(spec: NetworkSpec) -> R<String> {
        create_raw(create_body(&spec)?)
    }

    fn create_json(body: String) -> R<String> {
        create_raw(Value::Object(parse_object(&body, "network create body")?))
    }

    fn remove(id: String) -> R<()> {
        docker().execute(&NetworkRemove { id }).map_err(err)
    }

    fn connect(network: String, container: String, endpoint: Option<EndpointSpec>) -> R<()> {
        let mut body = Map::new();
        body.insert("Container".into(), json!(container));
        if let Some(e) = endpoint {
            let mut ec = Map::new();
            if !e.aliases.is_empty() {
                ec.insert("Aliases".into(), json!(e.aliases));
            }
            if !e.links.is_empty() {
                ec.insert("Links".into(), json!(e.links));
            }
            let mut ipam = Map::new();
            if let Some(a) = e.ipv4_address {
                ipam.insert("IPv4Address".into(), json!(a));
            }
            if let Some(a) = e.ipv6_address {
                ipam.insert("IPv6Address".into(), json!(a));
            }
            if !ipam.is_empty() {
                ec.insert("IPAMConfig".into(), Value::Object(ipam));
            }
            body.insert("EndpointConfig".into(), Value::Object(ec));
        }
        let call =
            RawJson::post("/networks/{}/connect", &[&network], Value::Object(body)).map_err(err)?;
        raw(call).map(drop)
    }

    fn disconnect(network: String, container: String, force: bool) -> R<()> {
        docker()
            .execute(&NetworkDisconnect {
                network,
                container,
                force,
            })
            .map_err(err)
    }

    fn prune(f: Vec<(String, Vec<String>)>) -> R<common::PruneReport> {
        let answer = docker()
            .execute(&NetworkPrune {
                filters: filters(f),
            })
            .map_err(err)?;
        Ok(prune_report(answer.attrs.value()))
    }
}
