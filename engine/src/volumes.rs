//! `volumes`.

use berth_core::api::volumes::{VolumeCreate, VolumePrune};
use serde_json::Value;

use crate::bindings::exports::berth::engine::common;
use crate::bindings::exports::berth::engine::volumes::{Guest, VolumeInfo, VolumeSpec};
use crate::{Engine, R, docker, err, filters, labels, opt_text, prune_report, text, value_of};

/// A volume's JSON as the WIT record.
fn info(a: &Value) -> VolumeInfo {
    VolumeInfo {
        name: text(a, "Name"),
        driver: text(a, "Driver"),
        mountpoint: text(a, "Mountpoint"),
        scope: text(a, "Scope"),
        created_at: opt_text(a, "CreatedAt"),
        labels: labels(a.get("Labels").unwrap_or(&Value::Null)),
        options: labels(a.get("Options").unwrap_or(&Value::Null)),
        attrs: a.to_string(),
    }
}

impl Guest for Engine {
    fn list_volumes(f: Vec<(String, Vec<String>)>) -> R<Vec<VolumeInfo>> {
        let listing = docker().volumes().list(&filters(f)).map_err(err)?;
        Ok(listing
            .volumes
            .into_iter()
            .map(|t| info(&value_of(t)))
            .collect())
    }

    fn inspect(name: String) -> R<VolumeInfo> {
        let v = docker().volumes().get(&name).map_err(err)?;
        Ok(info(v.attrs.value()))
    }

    fn create(spec: VolumeSpec) -> R<VolumeInfo> {
        let c = VolumeCreate {
            name: spec.name,
            driver: spec.driver,
            driver_opts: spec.driver_opts.into_iter().collect(),
            labels: spec.labels.into_iter().collect(),
        };
        let v = docker().volumes().create(&c).map_err(err)?;
        Ok(info(v.attrs.value()))
    }

    fn remove(name: String, force: bool) -> R<()> {
        docker().volumes().remove(&name, force).map_err(err)
    }

    fn prune(f: Vec<(String, Vec<String>)>) -> R<common::PruneReport> {
        let answer = docker()
            .volumes()
            .prune(&VolumePrune {
                filters: filters(f),
                all: false,
            })
            .map_err(err)?;
        Ok(prune_report(answer.attrs.value()))
    }
}
