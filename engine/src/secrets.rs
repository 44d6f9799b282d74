//! `secrets` and `configs`.

use base64::Engine as _;
use berth_core::api::configs::{
    ConfigCreate, ConfigInspect, ConfigList, ConfigRemove, ConfigUpdate,
};
use berth_core::api::secrets::{
    SecretCreate, SecretInspect, SecretList, SecretRemove, SecretUpdate,
};
use serde_json::Value;

use crate::bindings::exports::berth::engine::{configs, secrets};
use crate::{Engine, R, docker, err, filters, labels, parse_object, text, value_of, version_index};

fn spec_labels(a: &Value) -> Vec<(String, String)> {
    labels(a.pointer("/Spec/Labels").unwrap_or(&Value::Null))
}

fn secret(a: &Value) -> secrets::SecretInfo {
    secrets::SecretInfo {
        id: text(a, "ID"),
        name: a
            .pointer("/Spec/Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        version: version_index(a),
        created_at: text(a, "CreatedAt"),
        updated_at: text(a, "UpdatedAt"),
        labels: spec_labels(a),
        attrs: a.to_string(),
    }
}

fn config(a: &Value) -> configs::ConfigInfo {
    let data = a
        .pointer("/Spec/Data")
        .and_then(Value::as_str)
        .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
        .unwrap_or_default();
    configs::ConfigInfo {
        id: text(a, "ID"),
        name: a
            .pointer("/Spec/Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        version: version_index(a),
        created_at: text(a, "CreatedAt"),
        updated_at: text(a, "UpdatedAt"),
        labels: spec_labels(a),
        data,
        attrs: a.to_string(),
    }
}

impl secrets::Guest for Engine {
    fn list_secrets(f: Vec<(String, Vec<String>)>) -> R<Vec<secrets::SecretInfo>> {
        let items = docker()
            .execute(&SecretList {
                filters: filters(f),
            })
            .map_err(err)?;
        Ok(items.into_iter().map(|t| secret(&value_of(t))).collect())
    }

    fn inspect(id: String) -> R<secrets::SecretInfo> {
        Ok(secret(&value_of(
            docker().execute(&SecretInspect { id }).map_err(err)?,
        )))
    }

    fn create(name: String, data: Vec<u8>, l: Vec<(String, String)>) -> R<String> {
        let answer = docker()
            .execute(&SecretCreate {
                name,
                data,
                labels: l.into_iter().collect(),
                driver: None,
                templating: None,
            })
            .map_err(err)?;
        Ok(answer.into_typed().id)
    }

    fn update(id: String, version: u64, spec: String) -> R<()> {
        docker()
            .execute(&SecretUpdate {
                id,
                version,
                spec: Value::Object(parse_object(&spec, "secret spec")?),
            })
            .map_err(err)
    }

    fn remove(id: String) -> R<()> {
        docker().execute(&SecretRemove { id }).map_err(err)
    }
}

impl configs::Guest for Engine {
    fn list_configs(f: Vec<(String, Vec<String>)>) -> R<Vec<configs::ConfigInfo>> {
        let items = docker()
            .execute(&ConfigList {
                filters: filters(f),
            })
            .map_err(err)?;
        Ok(items.into_iter().map(|t| config(&value_of(t))).collect())
    }

    fn inspect(id: String) -> R<configs::ConfigInfo> {
        Ok(config(&value_of(
            docker().execute(&ConfigInspect { id }).map_err(err)?,
        )))
    }

    fn create(name: String, data: Vec<u8>, l: Vec<(String, String)>) -> R<String> {
        let answer = docker()
            .execute(&ConfigCreate {
                name,
                data,
                labels: l.into_iter().collect(),
                templating: None,
            })
            .map_err(err)?;
        Ok(answer.into_typed().id)
    }

    fn update(id: String, version: u64, spec: String) -> R<()> {
        docker()
            .execute(&ConfigUpdate {
                id,
                version,
                spec: Value::Object(parse_object(&spec, "config spec")?),
            })
            .map_err(err)
    }

    fn remove(id: String) -> R<()> {
        docker().execute(&ConfigRemove { id }).map_err(err)
    }
}
