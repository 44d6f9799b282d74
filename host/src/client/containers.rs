//! Containers area: the `docker.containers()` collection and docker-py's `Container`
//! object with its lifecycle methods.

use super::id_of;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use berth_core::api::containers::{
    ContainerChanges, ContainerCommit, ContainerCreate, ContainerInspect, ContainerKill,
    ContainerList, ContainerPause, ContainerPrune, ContainerRemove, ContainerRename,
    ContainerResize, ContainerRestart, ContainerStart, ContainerStats, ContainerStatsStream,
    ContainerStop, ContainerTop, ContainerUnpause, ContainerUpdate, ContainerWait, HostBinding,
    Signal, StatsDecoder, WaitCondition, port_bindings_of, published_ports_of,
};
use berth_core::model::Typed;
use berth_core::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerPruneResponse, ContainerStatsResponse,
    ContainerSummary, ContainerTopResponse, ContainerUpdateBody, ContainerUpdateResponse,
    ContainerWaitResponse, FilesystemChange, IdResponse,
};
use berth_core::request::Filters;
use serde_json::Value;

use super::{CallTimeout, DecodedStream, Docker};
use crate::error::{Error, Result};

/// The stream returned by [`Container::stats_stream`].
pub type StatsStream = DecodedStream<StatsDecoder>;

/// The grace period the daemon applies when `stop`/`restart` get no timeout (a
/// container's default `StopTimeout`).
const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(10);

impl Docker {
    /// The containers of this daemon (docker-py's `client.containers`).
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// let c = docker.containers().get("web").await?;
    /// c.stop(Some(1)).await?;
    /// println!("{} is {:?}", c.name().unwrap_or("?"), c.status());
    /// # Ok(()) }
    /// ```
    pub fn containers(&self) -> Containers {
        Containers {
            docker: self.clone(),
        }
    }
}

/// The containers collection: list, create, get, prune.
#[derive(Debug, Clone)]
pub struct Containers {
    pub(crate) docker: Docker,
}

impl Containers {
    /// `GET /containers/json`: summaries, without inspecting each container (docker-py's
    /// `list(sparse=True)`, typed); [`Containers::list_inspected`] for full objects.
    pub async fn list(&self, options: &ContainerList) -> Result<Vec<Typed<ContainerSummary>>> {
        self.docker.execute(options).await
    }

    /// docker-py's default `list(sparse=False)`: the listed containers, each inspected
    /// (one request per container, in the list's order). A container removed between
    /// the list and its inspect fails the call with a not-found error, unless
    /// `ignore_removed`, which leaves it out (docker-py's `ignore_removed`).
    pub async fn list_inspected(
        &self,
        options: &ContainerList,
        ignore_removed: bool,
    ) -> Result<Vec<Container>> {
        let ids: Vec<String> = self
            .list(options)
            .await?
            .into_iter()
            .filter_map(|s| s.into_typed().id)
            .collect();
        self.get_each(ids.iter().map(String::as_str), ignore_removed)
            .await
    }

    /// [`Containers::get`] for each of `ids_or_names`, in order. One that is unknown
    /// (removed meanwhile) fails the call with a not-found error, unless
    /// `ignore_removed`, which leaves it out.
    pub async fn get_each<'a>(
        &self,
        ids_or_names: impl IntoIterator<Item = &'a str>,
        ignore_removed: bool,
    ) -> Result<Vec<Container>> {
        let mut out = Vec::new();
        for id in ids_or_names {
            match self.get(id).await {
                Ok(c) => out.push(c),
                Err(e) if ignore_removed && e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// `POST /containers/create` with a ready body, then inspects the new container.
    /// A missing image is [`Category::ImageNotFound`](crate::Category::ImageNotFound),
    /// a taken name [`Category::Conflict`](crate::Category::Conflict). The create answer's `Warnings`
    /// are not kept: run [`ContainerCreate`] through [`Docker::execute`] to see them.
    pub async fn create_from_body(
        &self,
        name: Option<&str>,
        platform: Option<&str>,
        body: ContainerCreateBody,
    ) -> Result<Container> {
        let created = self
            .docker
            .execute(&ContainerCreate {
                name: name.map(str::to_owned),
                platform: platform.map(str::to_owned),
                body,
            })
            .await?;
        self.get(&created.id).await
    }

    /// `GET /containers/{id}/json`: the container with this id, id prefix or name
    /// (unknown → [`Error::is_not_found`]).
    pub async fn get(&self, id_or_name: &str) -> Result<Container> {
        let attrs = self
            .docker
            .execute(&ContainerInspect::new(id_or_name))
            .await?;
        Container::from_inspect(self.docker.clone(), attrs)
    }

    /// `POST /containers/prune`: removes stopped containers matching `filters`.
    pub async fn prune(&self, filters: &Filters) -> Result<Typed<ContainerPruneResponse>> {
        self.docker
            .execute(&ContainerPrune {
                filters: filters.clone(),
            })
            .await
    }
}

/// How [`Container::remove`] removes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoveOptions {
    /// Also remove the container's anonymous volumes.
    pub volumes: bool,
    /// Remove a legacy link instead of the container.
    pub link: bool,
    /// Kill the container first if it is running.
    pub force: bool,
}

/// A container, as docker-py's `Container` model: the inspect answer at the time it
/// was fetched ([`attrs`](Container::attrs), refreshed by [`reload`](Container::reload))
/// and the operations on it.
///
/// Accessors read the stored answer; operations go to the daemon and do not refresh
/// it (call `reload` to see their effect), except [`rename`](Container::rename) which
/// updates the stored name.
#[derive(Debug, Clone)]
pub struct Container {
    docker: Docker,
    id: String,
    attrs: Typed<ContainerInspectResponse>,
}

impl Container {
    /// A container object from an inspect answer.
    pub fn from_inspect(
        docker: Docker,
        attrs: Typed<ContainerInspectResponse>,
    ) -> Result<Container> {
        let id = id_of(&attrs, |t| t.id.as_deref(), "Id", "container inspect")?;
        Ok(Container { docker, id, attrs })
    }

    /// The full id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The first 12 characters of the id.
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    /// The name without the daemon's leading `/`.
    pub fn name(&self) -> Option<&str> {
        let n = self.attrs.attrs.get("Name")?.as_str()?;
        Some(n.strip_prefix('/').unwrap_or(n))
    }

    /// The id of the image the container runs (`sha256:…`).
    pub fn image_id(&self) -> Option<&str> {
        self.attrs.attrs.get("Image")?.as_str()
    }

    /// `Config.Labels` (empty when none).
    pub fn labels(&self) -> HashMap<String, String> {
        self.attrs
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default()
    }

    /// `State.Status`: `created`, `running`, `paused`, `restarting`, `removing`,
    /// `exited` or `dead`.
    pub fn status(&self) -> Option<&str> {
        self.attrs.attrs.get("State")?.get("Status")?.as_str()
    }

    /// `State.Health.Status` (`starting`, `healthy`, `unhealthy`), or `unknown` when
    /// the container has no health check.
    pub fn health(&self) -> &str {
        self.attrs
            .attrs
            .get("State")
            .and_then(|s| s.get("Health"))
            .and_then(|h| h.get("Status"))
            .and_then(Value::as_str)
            .unwrap_or("unknown")
    }

    /// Exposed ports (`80/tcp`) and where they are published (empty list: exposed,
    /// not published); empty under host networking.
    pub fn ports(&self) -> BTreeMap<String, Vec<HostBinding>> {
        published_ports_of(&self.attrs)
    }

    /// The inspect answer (raw JSON in `.attrs`, typed view by `Deref`).
    pub fn attrs(&self) -> &Typed<ContainerInspectResponse> {
        &self.attrs
    }

    /// The client this container belongs to.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Inspects the container again.
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self
            .docker
            .execute(&ContainerInspect::new(&self.id))
            .await?;
        Ok(())
    }

    /// `POST /containers/{id}/start`: `true` when started, `false` when it was already
    /// running (304 is not an error).
    pub async fn start(&self) -> Result<bool> {
        self.docker
            .execute(&ContainerStart {
                id: self.id.clone(),
            })
            .await
    }

    /// `POST /containers/{id}/stop`: `true` when stopped, `false` when it was already
    /// stopped. The daemon sends the stop signal, waits `timeout` seconds (`None`: the
    /// container's `StopTimeout`), then kills; the call's read timeout is extended by
    /// that grace period (10 s assumed for `None`).
    pub async fn stop(&self, timeout: Option<u32>) -> Result<bool> {
        self.docker
            .execute_with(
                &ContainerStop {
                    id: self.id.clone(),
                    timeout,
                    signal: None,
                },
                grace(timeout),
            )
            .await
    }

    /// `POST /containers/{id}/restart`, with the same timeout handling as
    /// [`stop`](Container::stop).
    pub async fn restart(&self, timeout: Option<u32>) -> Result<()> {
        self.docker
            .execute_with(
                &ContainerRestart {
                    id: self.id.clone(),
                    timeout,
                    signal: None,
                },
                grace(timeout),
            )
            .await
    }

    /// `POST /containers/{id}/kill`: sends `signal` (default `SIGKILL`). A container
    /// that is not running is [`Category::Conflict`](crate::Category::Conflict).
    pub async fn kill(&self, signal: Option<Signal>) -> Result<()> {
        self.docker
            .execute(&ContainerKill {
                id: self.id.clone(),
                signal,
            })
            .await
    }

    /// `POST /containers/{id}/pause`.
    pub async fn pause(&self) -> Result<()> {
        self.docker
            .execute(&ContainerPause {
                id: self.id.clone(),
            })
            .await
    }

    /// `POST /containers/{id}/unpause`.
    pub async fn unpause(&self) -> Result<()> {
        self.docker
            .execute(&ContainerUnpause {
                id: self.id.clone(),
            })
            .await
    }

    /// `POST /containers/{id}/wait`: blocks until `condition` holds (default
    /// `not-running`) and returns the exit code.
    ///
    /// Without `timeout` the call may wait forever (no read timeout applies). With
    /// one, an error with [`Error::is_timeout`] comes back when it elapses (the
    /// container is not touched).
    pub async fn wait(
        &self,
        condition: Option<WaitCondition>,
        timeout: Option<Duration>,
    ) -> Result<Typed<ContainerWaitResponse>> {
        let endpoint = ContainerWait {
            id: self.id.clone(),
            condition,
        };
        let call = self.docker.execute_with(&endpoint, CallTimeout::None);
        match timeout {
            None => call.await,
            Some(t) => tokio::time::timeout(t, call).await.map_err(|_| {
                Error::timeout(format!(
                    "container {} did not reach {} within {t:?}",
                    self.short_id(),
                    condition.unwrap_or(WaitCondition::NotRunning)
                ))
            })?,
        }
    }

    /// `DELETE /containers/{id}`. A running container without `force` is
    /// [`Category::Conflict`](crate::Category::Conflict).
    pub async fn remove(&self, options: RemoveOptions) -> Result<()> {
        self.docker
            .execute(&ContainerRemove {
                id: self.id.clone(),
                volumes: options.volumes,
                link: options.link,
                force: options.force,
            })
            .await
    }

    /// `POST /containers/{id}/rename`; the stored name follows.
    pub async fn rename(&mut self, name: &str) -> Result<()> {
        self.docker
            .execute(&ContainerRename {
                id: self.id.clone(),
                name: name.to_owned(),
            })
            .await?;
        let full = format!("/{}", name.strip_prefix('/').unwrap_or(name));
        self.attrs.attrs["Name"] = Value::String(full.clone());
        self.attrs.typed_mut().name = Some(full);
        Ok(())
    }

    /// `POST /containers/{id}/update`: changes resources or the restart policy.
    /// Every `Some` field is sent, zeros included; dockerd reads `0` as "unchanged"
    /// for most resources (lift a CPU quota with `cpu_quota: Some(-1)`).
    pub async fn update(
        &self,
        body: ContainerUpdateBody,
    ) -> Result<Typed<ContainerUpdateResponse>> {
        self.docker
            .execute(&ContainerUpdate {
                id: self.id.clone(),
                body,
            })
            .await
    }

    /// `POST /containers/{id}/resize`: the TTY size in characters.
    pub async fn resize(&self, height: u32, width: u32) -> Result<()> {
        self.docker
            .execute(&ContainerResize {
                id: self.id.clone(),
                height,
                width,
            })
            .await
    }

    /// `GET /containers/{id}/top`: the running processes.
    pub async fn top(&self, ps_args: Option<&str>) -> Result<Typed<ContainerTopResponse>> {
        self.docker
            .execute(&ContainerTop {
                id: self.id.clone(),
                ps_args: ps_args.map(str::to_owned),
            })
            .await
    }

    /// `GET /containers/{id}/changes`: filesystem changes (empty when none); read
    /// each kind with [`ChangeKind::of`](berth_core::api::containers::ChangeKind::of).
    pub async fn diff(&self) -> Result<Vec<Typed<FilesystemChange>>> {
        self.docker
            .execute(&ContainerChanges {
                id: self.id.clone(),
            })
            .await
    }

    /// `GET /containers/{id}/stats?stream=false`: one sample. Without `one_shot` the
    /// daemon takes ~2 s to fill the CPU deltas; `one_shot` needs API 1.41.
    pub async fn stats_once(&self, one_shot: bool) -> Result<Typed<ContainerStatsResponse>> {
        self.docker
            .execute(&ContainerStats {
                id: self.id.clone(),
                one_shot,
            })
            .await
    }

    /// `GET /containers/{id}/stats?stream=true`: a sample about every second, until
    /// dropped. No idle timeout applies.
    pub async fn stats_stream(&self) -> Result<StatsStream> {
        self.docker
            .stream(&ContainerStatsStream {
                id: self.id.clone(),
            })
            .await
    }

    /// `POST /commit`: an image of this container. `options.container` is replaced by
    /// this container's id. Returns the new image's id.
    pub async fn commit(&self, options: ContainerCommit) -> Result<Typed<IdResponse>> {
        let endpoint = ContainerCommit {
            container: self.id.clone(),
            ..options
        };
        self.docker.execute(&endpoint).await
    }

    /// docker-py's `port()`: where `private_port` (`"80"` or `"80/udp"`) is published
    /// on the host, from a fresh inspect (ports are assigned at start, so the stored
    /// answer may be stale; the stored one is left unchanged). `None` when not
    /// published or under host networking. See
    /// [`port_bindings_of`](berth_core::api::containers::port_bindings_of) for the
    /// lookup rules.
    pub async fn port(&self, private_port: &str) -> Result<Option<Vec<HostBinding>>> {
        let fresh = self
            .docker
            .execute(&ContainerInspect::new(&self.id))
            .await?;
        Ok(port_bindings_of(&fresh, private_port))
    }
}

/// The timeout policy for stop/restart: the client's timeouts plus the grace period.
fn grace(timeout: Option<u32>) -> CallTimeout {
    CallTimeout::Extended(timeout.map_or(DEFAULT_STOP_GRACE, |t| Duration::from_secs(u64::from(t))))
}
