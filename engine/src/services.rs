//! `services` (and tasks).

use berth_core::api::container_io::Tail;
use berth_core::api::services::{
    ServiceInspect, ServiceList, ServiceLogs, ServiceRemove, ServiceUpdate,
};
use berth_core::api::system::Timestamp;
use berth_core::api::tasks::{TaskInspect, TaskList};
use berth_guest::RawJson;
use serde_json::{Map, Value, json};

use crate::bindings::exports::berth::engine::common::{self, AuthConfig};
use crate::bindings::exports::berth::engine::containers::LogsOptions;
use crate::bindings::exports::berth::engine::services::{
    Guest, ServiceInfo, ServiceSpec, TaskInfo,
};
use crate::containers::mount_json;
use crate::streams::output_stream;
use crate::{
    Engine, R, docker, err, filters, invalid, label_object, labels, parse_object, raw,
    registry_auth, text, texts, value_of, version_index,
};

/// A service's JSON as the WIT record.
fn service(a: &Value) -> ServiceInfo {
    let spec = a.get("Spec").cloned().unwrap_or(Value::Null);
    let image = spec
        .pointer("/TaskTemplate/ContainerSpec/Image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    ServiceInfo {
        id: text(a, "ID"),
        name: text(&spec, "Name"),
        version: version_index(a),
        image,
        replicas: spec
            .pointer("/Mode/Replicated/Replicas")
            .and_then(Value::as_u64),
        labels: labels(spec.get("Labels").unwrap_or(&Value::Null)),
        attrs: a.to_string(),
    }
}

/// A task's JSON as the WIT record.
fn task(a: &Value) -> TaskInfo {
    let status = a.get("Status").cloned().unwrap_or(Value::Null);
    TaskInfo {
        id: text(a, "ID"),
        service_id: text(a, "ServiceID"),
        node_id: text(a, "NodeID"),
        slot: a.get("Slot").and_then(Value::as_u64),
        state: text(&status, "State"),
        desired_state: text(a, "DesiredState"),
        container_id: status
            .pointer("/ContainerStatus/ContainerID")
            .and_then(Value::as_str)
            .map(str::to_owned),
        exit_code: status
            .pointer("/ContainerStatus/ExitCode")
            .and_then(Value::as_i64),
        attrs: a.to_string(),
    }
}

/// The Engine service spec of a typed one.
pub(crate) fn spec_json(s: &ServiceSpec) -> R<Value> {
    if s.name.is_empty() || s.image.is_empty() {
        return Err(invalid("service create: give a name and an image"));
    }
    let mut cs = Map::new();
    cs.insert("Image".into(), json!(s.image));
    if let Some(c) = &s.command {
        cs.insert("Command".into(), json!(c));
    }
    if let Some(a) = &s.args {
        cs.insert("Args".into(), json!(a));
    }
    if !s.env.is_empty() {
        cs.insert("Env".into(), json!(s.env));
    }
    if !s.container_labels.is_empty() {
        cs.insert("Labels".into(), label_object(&s.container_labels));
    }
    if !s.mounts.is_empty() {
        let m = s.mounts.iter().map(mount_json).collect::<R<Vec<_>>>()?;
        cs.insert("Mounts".into(), Value::Array(m));
    }
    if let Some(u) = &s.user {
        cs.insert("User".into(), json!(u));
    }
    if let Some(d) = &s.working_dir {
        cs.insert("Dir".into(), json!(d));
    }
    let mut spec = Map::new();
    spec.insert("Name".into(), json!(s.name));
    if !s.labels.is_empty() {
        spec.insert("Labels".into(), label_object(&s.labels));
    }
    let mut template = Map::new();
    template.insert("ContainerSpec".into(), Value::Object(cs));
    if !s.networks.is_empty() {
        let n: Vec<Value> = s.networks.iter().map(|n| json!({"Target": n})).collect();
        template.insert("Networks".into(), Value::Array(n));
    }
    spec.insert("TaskTemplate".into(), Value::Object(template));
    spec.insert(
        "Mode".into(),
        match s.replicas {
            Some(n) => json!({"Replicated": {"Replicas": n}}),
            None => json!({"Global": {}}),
        },
    );
    if !s.ports.is_empty() {
        let ports: Vec<Value> = s
            .ports
            .iter()
            .map(|p| {
                let mut o = Map::new();
                o.insert("TargetPort".into(), json!(p.target));
                if let Some(pp) = p.published {
                    o.insert("PublishedPort".into(), json!(pp));
                }
                let proto = if p.protocol.is_empty() {
                    "tcp"
                } else {
                    &p.protocol
                };
                o.insert("Protocol".into(), json!(proto));
                if !p.publish_mode.is_empty() {
                    o.insert("PublishMode".into(), json!(p.publish_mode));
                }
                Value::Object(o)
            })
            .collect();
        spec.insert("EndpointSpec".into(), json!({"Ports": ports}));
    }
    Ok(Value::Object(spec))
}

fn create_raw(spec: Value, auth: Option<AuthConfig>) -> R<String> {
    let call = RawJson::post("/services/create", &[], spec)
        .map_err(err)?
        .header("X-Registry-Auth", registry_auth(auth)?);
    Ok(text(&raw(call)?, "ID"))
}

impl Guest for Engine {
    fn create(spec: ServiceSpec, auth: Option<AuthConfig>) -> R<String> {
        create_raw(spec_json(&spec)?, auth)
    }

    fn create_json(spec: String, auth: Option<AuthConfig>) -> R<String> {
        create_raw(Value::Object(parse_object(&spec, "service spec")?), auth)
    }

    fn list_services(f: Vec<(String, Vec<String>)>) -> R<Vec<ServiceInfo>> {
        let items = docker()
            .execute(&ServiceList {
                filters: filters(f),
                status: false,
            })
            .map_err(err)?;
        Ok(items.into_iter().map(|t| service(&value_of(t))).collect())
    }

    fn inspect(id: String) -> R<ServiceInfo> {
        let s = docker()
            .execute(&ServiceInspect {
                id,
                insert_defaults: false,
            })
            .map_err(err)?;
        Ok(service(&value_of(s)))
    }

    fn update(id: String, version: u64, spec: String, auth: Option<AuthConfig>) -> R<Vec<String>> {
        let answer = docker()
            .execute(&ServiceUpdate {
                id,
                version,
                spec: Value::Object(parse_object(&spec, "service spec")?),
                registry_auth: Some(registry_auth(auth)?),
                rollback: false,
            })
            .map_err(err)?;
        Ok(texts(answer.attrs.value(), "Warnings"))
    }

    fn remove(id: String) -> R<()> {
        docker().execute(&ServiceRemove { id }).map_err(err)
    }

    fn logs(id: String, options: LogsOptions) -> R<common::OutputStream> {
        if options.until.is_some() {
            return Err(invalid(
                "service logs: `until` is not supported for services",
            ));
        }
        let l = ServiceLogs {
            id,
            stdout: options.stdout,
            stderr: options.stderr,
            timestamps: options.timestamps,
            follow: options.follow,
            tail: options.tail.map_or(Tail::All, Tail::Lines),
            since: options.since.map(Timestamp::from_unix),
            details: false,
            tty: None,
        };
        Ok(output_stream(docker().stream(&l).map_err(err)?))
    }

    fn list_tasks(f: Vec<(String, Vec<String>)>) -> R<Vec<TaskInfo>> {
        let items = docker()
            .execute(&TaskList {
                filters: filters(f),
            })
            .map_err(err)?;
        Ok(items.into_iter().map(|t| task(&value_of(t))).collect())
    }

    fn inspect_task(id: String) -> R<TaskInfo> {
        Ok(task(&value_of(
            docker().execute(&TaskInspect { id }).map_err(err)?,
        )))
    }
}
