//! Services and tasks: the `docker.services()` collection with docker-py's
//! `Service` object (update, scale, force_update, logs, tasks) and the
//! `docker.tasks()` collection.

use berth_core::ApiVersion;
use berth_core::api::services::{
    ServiceCreate, ServiceInspect, ServiceList, ServiceLogs, ServiceOptions, ServiceRemove,
    ServiceUpdate, force_updated_spec, scaled_spec, tty_of,
};
use berth_core::api::swarm::{is_update_out_of_sequence, version_of};
use berth_core::api::tasks::{TaskInspect, TaskList};
use berth_core::model::Typed;
use berth_core::models::{self, ServiceCreateResponse, ServiceUpdateResponse, Task};
use berth_core::request::Filters;
use serde_json::Value;

use super::Docker;
use super::container_io::LogStream;
use super::id_of;
use crate::error::Result;

/// The first API version with `insertDefaults` on service inspect.
const INSERT_DEFAULTS_API: ApiVersion = ApiVersion::new(1, 29);

/// How often a fetch-and-update is tried when a concurrent writer makes its version
/// stale (edge case 169).
pub(crate) const UPDATE_ATTEMPTS: usize = 3;

impl Docker {
    /// The services of the swarm this daemon manages (docker-py's
    /// `client.services`).
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// use berth::api::services::{ServiceMode, ServiceOptions};
    /// let svc = docker.services().create(&ServiceOptions::new("nginx:alpine").name("web")).await?;
    /// svc.scale(3).await?;
    /// for t in svc.tasks(&Default::default()).await? {
    ///     println!("{:?}", t.status.as_ref().and_then(|s| s.state));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn services(&self) -> Services {
        Services {
            docker: self.clone(),
        }
    }

    /// The tasks of the swarm's services.
    pub fn tasks(&self) -> Tasks {
        Tasks {
            docker: self.clone(),
        }
    }

    /// `GET /services/{id}/logs`: the output of the service's tasks as frames. When
    /// `options.tty` is `None` and the daemon's API is older than 1.42, the service
    /// is inspected first for its TTY flag (docker-py's `is_tty=None`).
    pub async fn service_logs(&self, options: &ServiceLogs) -> Result<LogStream> {
        let mut opts = options.clone();
        if opts.tty.is_none() && self.api_version().await? < ApiVersion::new(1, 42) {
            let s = self.execute(&ServiceInspect::new(&opts.id)).await?;
            opts.tty = Some(tty_of(s.attrs.get("Spec").unwrap_or(&Value::Null)));
        }
        self.stream(&opts).await
    }
}

/// The services collection: create, get, list.
#[derive(Debug, Clone)]
pub struct Services {
    docker: Docker,
}

impl Services {
    /// `POST /services/create`, then inspects the new service. The create answer's
    /// `Warnings` are not kept: use [`Services::create_with`] to see them.
    pub async fn create(&self, options: &ServiceOptions) -> Result<Service> {
        let (service, _) = self.create_with(options, None).await?;
        Ok(service)
    }

    /// `POST /services/create` with an encoded `X-Registry-Auth` for the image's
    /// registry; returns the service and the create answer (id and warnings).
    pub async fn create_with(
        &self,
        options: &ServiceOptions,
        registry_auth: Option<&str>,
    ) -> Result<(Service, Typed<ServiceCreateResponse>)> {
        let created = self
            .docker
            .execute(&ServiceCreate {
                options: options.clone(),
                registry_auth: registry_auth.map(str::to_owned),
            })
            .await?;
        let id = created.id.clone().unwrap_or_default();
        Ok((self.get(&id).await?, created))
    }

    /// `GET /services/{id}`: a service by id, id prefix or name.
    pub async fn get(&self, id_or_name: &str) -> Result<Service> {
        self.get_with(&ServiceInspect::new(id_or_name)).await
    }

    /// `GET /services/{id}?insertDefaults=`.
    pub async fn get_with(&self, options: &ServiceInspect) -> Result<Service> {
        let attrs = self.docker.execute(options).await?;
        Service::from_inspect(self.docker.clone(), attrs)
    }

    /// `GET /services` (filters `id`, `label`, `mode`, `name`; `status` adds task
    /// counts on API 1.41).
    pub async fn list(&self, options: &ServiceList) -> Result<Vec<Service>> {
        let list = self.docker.execute(options).await?;
        list.into_iter()
            .map(|a| Service::from_inspect(self.docker.clone(), a))
            .collect()
    }
}

/// A swarm service, as docker-py's `Service` model: the inspect answer
/// ([`attrs`](Service::attrs)) and the operations on it. Updates work on a freshly
/// inspected spec and version, so a stale `attrs` never sends a stale version.
#[derive(Debug, Clone)]
pub struct Service {
    docker: Docker,
    id: String,
    attrs: Typed<models::Service>,
}

impl Service {
    /// A service object from an inspect (or list) answer.
    pub fn from_inspect(docker: Docker, attrs: Typed<models::Service>) -> Result<Service> {
        let id = id_of(&attrs, |t| t.id.as_deref(), "ID", "service")?;
        Ok(Service { docker, id, attrs })
    }

    /// The service's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `Spec.Name`.
    pub fn name(&self) -> Option<&str> {
        self.spec().get("Name")?.as_str()
    }

    /// The raw `Spec`.
    pub fn spec(&self) -> &Value {
        self.attrs.attrs.get("Spec").unwrap_or(&Value::Null)
    }

    /// `Version.Index`.
    pub fn version(&self) -> Option<u64> {
        version_of(&self.attrs.attrs)
    }

    /// The inspect answer.
    pub fn attrs(&self) -> &Typed<models::Service> {
        &self.attrs
    }

    /// Inspects the service again.
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self.docker.execute(&ServiceInspect::new(&self.id)).await?;
        Ok(())
    }

    /// The current spec and version, inspected with defaults inserted when the API
    /// has them (as docker-py's `fetch_current_spec`).
    async fn current(&self) -> Result<(Value, u64)> {
        let api = self.docker.api_version().await?;
        let attrs = self
            .docker
            .execute(&ServiceInspect {
                id: self.id.clone(),
                insert_defaults: api >= INSERT_DEFAULTS_API,
            })
            .await?;
        let version = version_of(&attrs.attrs).unwrap_or(0);
        Ok((
            attrs.attrs.get("Spec").cloned().unwrap_or(Value::Null),
            version,
        ))
    }

    /// Inspects the current spec and version, builds the new spec with `change` and
    /// sends it; a version made stale by a concurrent writer ("update out of
    /// sequence") is retried with a fresh inspect, up to three times.
    async fn apply(
        &self,
        registry_auth: Option<&str>,
        rollback: bool,
        change: impl Fn(&Value, ApiVersion) -> berth_core::Result<Value>,
    ) -> Result<Typed<ServiceUpdateResponse>> {
        let mut attempt = 1;
        loop {
            let (current, version) = self.current().await?;
            let api = self.docker.api_version().await?;
            let spec = change(&current, api)?;
            match self.send(version, spec, registry_auth, rollback).await {
                Err(e) if attempt < UPDATE_ATTEMPTS && is_update_out_of_sequence(e.kind()) => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// docker-py's `Service.update(**kwargs)`: applies `changes` to the current spec
    /// (container settings key by key; image, mode and everything unset kept) and
    /// sends it with the current version (both freshly inspected; retried when a
    /// concurrent update makes the version stale). Does not reload.
    pub async fn update(&self, changes: &ServiceOptions) -> Result<Typed<ServiceUpdateResponse>> {
        self.update_with(changes, None).await
    }

    /// [`update`](Service::update) with an encoded `X-Registry-Auth`.
    pub async fn update_with(
        &self,
        changes: &ServiceOptions,
        registry_auth: Option<&str>,
    ) -> Result<Typed<ServiceUpdateResponse>> {
        self.apply(registry_auth, false, |cur, api| {
            changes.merge_into(cur, api)
        })
        .await
    }

    /// `POST /services/{id}/update` with an explicit version and whole spec; a stale
    /// version is an error keeping the daemon's "update out of sequence".
    pub async fn update_spec(
        &self,
        version: u64,
        spec: Value,
    ) -> Result<Typed<ServiceUpdateResponse>> {
        self.send(version, spec, None, false).await
    }

    async fn send(
        &self,
        version: u64,
        spec: Value,
        registry_auth: Option<&str>,
        rollback: bool,
    ) -> Result<Typed<ServiceUpdateResponse>> {
        self.docker
            .execute(&ServiceUpdate {
                id: self.id.clone(),
                version,
                spec,
                registry_auth: registry_auth.map(str::to_owned),
                rollback,
            })
            .await
    }

    /// docker-py's `scale`: sets the replica count (the mode is sent explicitly). A
    /// global service or a job is an
    /// [`InvalidArgument`](crate::Category::InvalidArgument) error, nothing sent.
    pub async fn scale(&self, replicas: u64) -> Result<Typed<ServiceUpdateResponse>> {
        self.apply(None, false, |cur, _| scaled_spec(cur, replicas))
            .await
    }

    /// docker-py's `force_update`: increments `TaskTemplate.ForceUpdate`, so every
    /// task is replaced although nothing else changed.
    pub async fn force_update(&self) -> Result<Typed<ServiceUpdateResponse>> {
        self.apply(None, false, |cur, _| force_updated_spec(cur))
            .await
    }

    /// Rolls back to the previous spec (`rollback=previous`, API 1.28).
    pub async fn rollback(&self) -> Result<Typed<ServiceUpdateResponse>> {
        self.apply(None, true, |cur, _| Ok(cur.clone())).await
    }

    /// `DELETE /services/{id}`.
    pub async fn remove(&self) -> Result<()> {
        self.docker
            .execute(&ServiceRemove {
                id: self.id.clone(),
            })
            .await
    }

    /// The service's logs (see [`Docker::service_logs`]); `configure` adjusts the
    /// options (stdout and stderr, all history, no follow by default). The stored
    /// spec's TTY flag decides the framing.
    pub async fn logs(&self, configure: impl FnOnce(&mut ServiceLogs)) -> Result<LogStream> {
        let mut opts = ServiceLogs::new(&self.id);
        opts.tty = Some(tty_of(self.spec()));
        configure(&mut opts);
        self.docker.service_logs(&opts).await
    }

    /// The service's tasks (docker-py's `Service.tasks`): `filters` plus the
    /// `service` filter.
    pub async fn tasks(&self, filters: &Filters) -> Result<Vec<Typed<Task>>> {
        let mut f = filters.clone();
        f.add("service", self.id.clone());
        self.docker.execute(&TaskList { filters: f }).await
    }
}

/// The tasks collection: list and get.
#[derive(Debug, Clone)]
pub struct Tasks {
    docker: Docker,
}

impl Tasks {
    /// `GET /tasks` (filters `desired-state`, `id`, `label`, `name`, `node`,
    /// `service`).
    pub async fn list(&self, filters: &Filters) -> Result<Vec<Typed<Task>>> {
        self.docker
            .execute(&TaskList {
                filters: filters.clone(),
            })
            .await
    }

    /// `GET /tasks/{id}`.
    pub async fn get(&self, id: &str) -> Result<Typed<Task>> {
        self.docker
            .execute(&TaskInspect { id: id.to_owned() })
            .await
    }
}
