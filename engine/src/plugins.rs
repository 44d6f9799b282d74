//! `plugins` (Engine plugins).

use berth_core::api::plugins::{
    PluginDisable, PluginEnable, PluginInspect, PluginList, PluginPrivileges, PluginPull,
    PluginRemove, PluginSet,
};
use berth_core::models::PluginPrivilege;
use serde_json::Value;

use crate::bindings::exports::berth::engine::common::{self, AuthConfig};
use crate::bindings::exports::berth::engine::plugins::{Guest, PluginInfo};
use crate::streams::progress_stream;
use crate::{
    Engine, R, docker, err, filters, flag, invalid, opt_text, parse, registry_auth, text, value_of,
};

fn plugin(a: &Value) -> PluginInfo {
    PluginInfo {
        id: text(a, "Id"),
        name: text(a, "Name"),
        enabled: flag(a, "Enabled"),
        plugin_reference: opt_text(a, "PluginReference"),
        attrs: a.to_string(),
    }
}

impl Guest for Engine {
    fn list_plugins(f: Vec<(String, Vec<String>)>) -> R<Vec<PluginInfo>> {
        let items = docker()
            .execute(&PluginList {
                filters: filters(f),
            })
            .map_err(err)?;
        Ok(items.into_iter().map(|t| plugin(&value_of(t))).collect())
    }

    fn inspect(name: String) -> R<PluginInfo> {
        Ok(plugin(&value_of(
            docker().execute(&PluginInspect { name }).map_err(err)?,
        )))
    }

    fn privileges(remote: String, auth: Option<AuthConfig>) -> R<String> {
        let items = docker()
            .execute(&PluginPrivileges {
                remote,
                registry_auth: Some(registry_auth(auth)?),
            })
            .map_err(err)?;
        Ok(Value::Array(items.into_iter().map(value_of).collect()).to_string())
    }

    fn install(
        remote: String,
        name: Option<String>,
        privileges: String,
        auth: Option<AuthConfig>,
    ) -> R<common::ProgressStream> {
        let privileges: Vec<PluginPrivilege> =
            serde_json::from_value(parse(&privileges, "plugin privileges")?).map_err(|e| {
                invalid(format!(
                    "plugin privileges must be the list `privileges` answers: {e}"
                ))
            })?;
        let pull = PluginPull {
            remote,
            name,
            privileges,
            registry_auth: Some(registry_auth(auth)?),
        };
        Ok(progress_stream(docker().stream(&pull).map_err(err)?))
    }

    fn enable(name: String, timeout: Option<u32>) -> R<()> {
        docker()
            .execute(&PluginEnable { name, timeout })
            .map_err(err)
    }

    fn disable(name: String, force: bool) -> R<()> {
        docker()
            .execute(&PluginDisable { name, force })
            .map_err(err)
    }

    fn configure(name: String, settings: Vec<String>) -> R<()> {
        docker().execute(&PluginSet { name, settings }).map_err(err)
    }

    fn remove(name: String, force: bool) -> R<()> {
        docker().execute(&PluginRemove { name, force }).map_err(err)
    }
}
