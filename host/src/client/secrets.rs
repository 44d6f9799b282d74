//! Secrets and configs: the `docker.secrets()` and `docker.configs()` collections
//! with docker-py's `Secret` and `Config` objects.

use std::collections::BTreeMap;

use berth_core::api::configs::{
    ConfigCreate, ConfigInspect, ConfigList, ConfigRemove, ConfigUpdate, config_data,
};
use berth_core::api::secrets::{
    SecretCreate, SecretInspect, SecretList, SecretRemove, SecretUpdate, relabel,
};
use berth_core::api::services::{ConfigReference, SecretReference};
use berth_core::api::swarm::version_of;
use berth_core::model::Typed;
use berth_core::models;
use berth_core::request::Filters;
use serde_json::Value;

use super::Docker;
use super::id_of;
use crate::error::Result;

impl Docker {
    /// The swarm's secrets (docker-py's `client.secrets`).
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// use berth::api::secrets::SecretCreate;
    /// let s = docker.secrets().create(&SecretCreate::new("db-pass", "hunter2")).await?;
    /// let reference = s.reference(); // mount it with ServiceOptions::secret
    /// # Ok(()) }
    /// ```
    pub fn secrets(&self) -> Secrets {
        Secrets {
            docker: self.clone(),
        }
    }

    /// The swarm's configs (docker-py's `client.configs`).
    pub fn configs(&self) -> Configs {
        Configs {
            docker: self.clone(),
        }
    }
}

fn spec_name(attrs: &Value) -> Option<&str> {
    attrs.get("Spec")?.get("Name")?.as_str()
}

fn spec_labels(attrs: &Value) -> BTreeMap<String, String> {
    attrs
        .get("Spec")
        .and_then(|s| s.get("Labels"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The secrets collection: create, get, list.
#[derive(Debug, Clone)]
pub struct Secrets {
    docker: Docker,
}

impl Secrets {
    /// `POST /secrets/create`, then inspects the new secret (docker-py fakes the
    /// answer instead). A taken name is [`Category::Conflict`](crate::Category::Conflict).
    pub async fn create(&self, options: &SecretCreate) -> Result<Secret> {
        let created = self.docker.execute(options).await?;
        self.get(&created.id).await
    }

    /// `GET /secrets/{id}`: a secret by id or name.
    pub async fn get(&self, id_or_name: &str) -> Result<Secret> {
        let attrs = self
            .docker
            .execute(&SecretInspect {
                id: id_or_name.to_owned(),
            })
            .await?;
        Secret::from_inspect(self.docker.clone(), attrs)
    }

    /// `GET /secrets` (filters `id`, `label`, `name`, `names`).
    pub async fn list(&self, filters: &Filters) -> Result<Vec<Secret>> {
        let list = self
            .docker
            .execute(&SecretList {
                filters: filters.clone(),
            })
            .await?;
        list.into_iter()
            .map(|a| Secret::from_inspect(self.docker.clone(), a))
            .collect()
    }
}

/// A secret, as docker-py's `Secret` model (metadata only: the daemon never returns
/// the data).
#[derive(Debug, Clone)]
pub struct Secret {
    docker: Docker,
    id: String,
    attrs: Typed<models::Secret>,
}

impl Secret {
    /// A secret object from an inspect (or list) answer.
    pub fn from_inspect(docker: Docker, attrs: Typed<models::Secret>) -> Result<Secret> {
        let id = id_of(&attrs, |t| t.id.as_deref(), "ID", "secret")?;
        Ok(Secret { docker, id, attrs })
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `Spec.Name`.
    pub fn name(&self) -> Option<&str> {
        spec_name(&self.attrs.attrs)
    }

    /// `Spec.Labels`.
    pub fn labels(&self) -> BTreeMap<String, String> {
        spec_labels(&self.attrs.attrs)
    }

    /// `Version.Index`.
    pub fn version(&self) -> Option<u64> {
        version_of(&self.attrs.attrs)
    }

    /// The inspect answer.
    pub fn attrs(&self) -> &Typed<models::Secret> {
        &self.attrs
    }

    /// A reference mounting this secret at `/run/secrets/<name>` (adjust its
    /// `file` for another name, owner or mode).
    pub fn reference(&self) -> SecretReference {
        SecretReference::new(&self.id, self.name().unwrap_or_default())
    }

    /// Inspects the secret again.
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self
            .docker
            .execute(&SecretInspect {
                id: self.id.clone(),
            })
            .await?;
        Ok(())
    }

    /// Replaces the labels (the only thing a secret update may change), using the
    /// freshly inspected spec and version, then reloads.
    pub async fn update_labels(&mut self, labels: &BTreeMap<String, String>) -> Result<()> {
        self.reload().await?;
        let spec = relabel(self.attrs.attrs.get("Spec").unwrap_or(&Value::Null), labels)?;
        self.docker
            .execute(&SecretUpdate {
                id: self.id.clone(),
                version: self.version().unwrap_or(0),
                spec,
            })
            .await?;
        self.reload().await
    }

    /// `DELETE /secrets/{id}`.
    pub async fn remove(&self) -> Result<()> {
        self.docker
            .execute(&SecretRemove {
                id: self.id.clone(),
            })
            .await
    }
}

/// The configs collection: create, get, list.
#[derive(Debug, Clone)]
pub struct Configs {
    docker: Docker,
}

impl Configs {
    /// `POST /configs/create`, then inspects the new config. A taken name is
    /// [`Category::Conflict`](crate::Category::Conflict).
    pub async fn create(&self, options: &ConfigCreate) -> Result<Config> {
        let created = self.docker.execute(options).await?;
        self.get(&created.id).await
    }

    /// `GET /configs/{id}`: a config by id or name.
    pub async fn get(&self, id_or_name: &str) -> Result<Config> {
        let attrs = self
            .docker
            .execute(&ConfigInspect {
                id: id_or_name.to_owned(),
            })
            .await?;
        Config::from_inspect(self.docker.clone(), attrs)
    }

    /// `GET /configs` (filters `id`, `label`, `name`, `names`).
    pub async fn list(&self, filters: &Filters) -> Result<Vec<Config>> {
        let list = self
            .docker
            .execute(&ConfigList {
                filters: filters.clone(),
            })
            .await?;
        list.into_iter()
            .map(|a| Config::from_inspect(self.docker.clone(), a))
            .collect()
    }
}

/// A config, as docker-py's `Config` model, data included.
#[derive(Debug, Clone)]
pub struct Config {
    docker: Docker,
    id: String,
    attrs: Typed<models::Config>,
}

impl Config {
    /// A config object from an inspect (or list) answer.
    pub fn from_inspect(docker: Docker, attrs: Typed<models::Config>) -> Result<Config> {
        let id = id_of(&attrs, |t| t.id.as_deref(), "ID", "config")?;
        Ok(Config { docker, id, attrs })
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `Spec.Name`.
    pub fn name(&self) -> Option<&str> {
        spec_name(&self.attrs.attrs)
    }

    /// `Spec.Labels`.
    pub fn labels(&self) -> BTreeMap<String, String> {
        spec_labels(&self.attrs.attrs)
    }

    /// `Version.Index`.
    pub fn version(&self) -> Option<u64> {
        version_of(&self.attrs.attrs)
    }

    /// The config's bytes (decoded from `Spec.Data`).
    pub fn data(&self) -> Result<Vec<u8>> {
        Ok(config_data(&self.attrs.attrs)?)
    }

    /// The inspect answer.
    pub fn attrs(&self) -> &Typed<models::Config> {
        &self.attrs
    }

    /// A reference mounting this config at `/<name>`.
    pub fn reference(&self) -> ConfigReference {
        ConfigReference::new(&self.id, self.name().unwrap_or_default())
    }

    /// Inspects the config again.
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self
            .docker
            .execute(&ConfigInspect {
                id: self.id.clone(),
            })
            .await?;
        Ok(())
    }

    /// Replaces the labels (the only thing a config update may change), using the
    /// freshly inspected spec and version, then reloads.
    pub async fn update_labels(&mut self, labels: &BTreeMap<String, String>) -> Result<()> {
        self.reload().await?;
        let spec = relabel(self.attrs.attrs.get("Spec").unwrap_or(&Value::Null), labels)?;
        self.docker
            .execute(&ConfigUpdate {
                id: self.id.clone(),
                version: self.version().unwrap_or(0),
                spec,
            })
            .await?;
        self.reload().await
    }

    /// `DELETE /configs/{id}`.
    pub async fn remove(&self) -> Result<()> {
        self.docker
            .execute(&ConfigRemove {
                id: self.id.clone(),
            })
            .await
    }
}
