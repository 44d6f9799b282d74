//! Containers: the `docker.containers()` collection and the [`Container`] object.

use std::collections::HashMap;

use berth_core::api::container_io::ContainerLogs;
use berth_core::api::containers::{
    ContainerCreate, ContainerCreateFrom, ContainerInspect, ContainerKill, ContainerList,
    ContainerPause, ContainerPrune, ContainerRemove, ContainerRename, ContainerRestart,
    ContainerStart, ContainerStop, ContainerUnpause, ContainerWait, Signal, WaitCondition,
};
use berth_core::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerPruneResponse, ContainerSummary,
    ContainerWaitResponse,
};
use berth_core::options::ContainerOptions;
use berth_core::request::Filters;
use berth_core::stream::OutputDecoder;
use berth_core::{Error, Result, Typed};

use crate::client::{Docker, Stream};

impl Docker {
    /// The containers of the daemon.
    pub fn containers(&self) -> Containers<'_> {
        Containers { docker: self }
    }

    /// `GET /containers/{id}/logs`, decoded into frames (set `tty` on the options for
    /// API < 1.42 daemons, or use [`Container::logs`], which does).
    pub fn logs(&self, options: &ContainerLogs) -> Result<Stream<OutputDecoder>> {
        self.stream(options)
    }
}

/// The containers collection: list, create, get, prune.
#[derive(Debug, Clone, Copy)]
pub struct Containers<'a> {
    docker: &'a Docker,
}

impl Containers<'_> {
    /// `GET /containers/json`.
    pub fn list(&self, options: &ContainerList) -> Result<Vec<Typed<ContainerSummary>>> {
        self.docker.execute(options)
    }

    /// `POST /containers/create` from docker-py style options, then inspects the new
    /// container. Options the negotiated API lacks fail before anything is sent; the
    /// body is [`ContainerOptions::to_json`], so options without a field in the typed
    /// model (the container-wide `mac_address` before API 1.44, `kernel_memory`) are
    /// sent too.
    pub fn create(&self, options: &ContainerOptions) -> Result<Container> {
        let created = self.docker.execute(&ContainerCreateFrom {
            options: options.clone(),
        })?;
        self.get(&created.id)
    }

    /// `POST /containers/create` with a ready body, then inspects the new container.
    pub fn create_from_body(
        &self,
        name: Option<&str>,
        platform: Option<&str>,
        body: ContainerCreateBody,
    ) -> Result<Container> {
        let created = self.docker.execute(&ContainerCreate {
            name: name.map(str::to_owned),
            platform: platform.map(str::to_owned),
            body,
        })?;
        self.get(&created.id)
    }

    /// `GET /containers/{id}/json`: the container with this id, id prefix or name.
    pub fn get(&self, id_or_name: &str) -> Result<Container> {
        let attrs = self.docker.execute(&ContainerInspect::new(id_or_name))?;
        Container::from_inspect(self.docker.clone(), attrs)
    }

    /// `POST /containers/prune`: removes stopped containers matching `filters`.
    pub fn prune(&self, filters: &Filters) -> Result<Typed<ContainerPruneResponse>> {
        self.docker.execute(&ContainerPrune {
            filters: filters.clone(),
        })
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

/// A container: its inspect answer when fetched ([`attrs`](Container::attrs),
/// refreshed by [`reload`](Container::reload)) and the operations on it.
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
        match attrs.object_id(|t| t.id.as_deref(), "Id") {
            Some(id) => Ok(Container { docker, id, attrs }),
            None => Err(Error::Decode("container inspect answer has no Id".into())),
        }
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

    /// `Config.Tty`.
    pub fn tty(&self) -> bool {
        self.attrs
            .config
            .as_ref()
            .and_then(|c| c.tty)
            .unwrap_or(false)
    }

    /// The inspect answer (raw JSON in `.attrs`, typed view by `Deref`).
    pub fn attrs(&self) -> &Typed<ContainerInspectResponse> {
        &self.attrs
    }

    /// Inspects the container again.
    pub fn reload(&mut self) -> Result<()> {
        self.attrs = self.docker.execute(&ContainerInspect::new(&self.id))?;
        Ok(())
    }

    /// `POST /containers/{id}/start`: `true` when started, `false` when it was already
    /// running.
    pub fn start(&self) -> Result<bool> {
        self.docker.execute(&ContainerStart {
            id: self.id.clone(),
        })
    }

    /// `POST /containers/{id}/stop`: `true` when stopped, `false` when it was already
    /// stopped. `timeout`: seconds before the kill (`None`: the container's own).
    pub fn stop(&self, timeout: Option<u32>) -> Result<bool> {
        self.docker.execute(&ContainerStop {
            id: self.id.clone(),
            timeout,
            signal: None,
        })
    }

    /// `POST /containers/{id}/restart`.
    pub fn restart(&self, timeout: Option<u32>) -> Result<()> {
        self.docker.execute(&ContainerRestart {
            id: self.id.clone(),
            timeout,
            signal: None,
        })
    }

    /// `POST /containers/{id}/kill` (default `SIGKILL`).
    pub fn kill(&self, signal: Option<Signal>) -> Result<()> {
        self.docker.execute(&ContainerKill {
            id: self.id.clone(),
            signal,
        })
    }

    /// `POST /containers/{id}/pause`.
    pub fn pause(&self) -> Result<()> {
        self.docker.execute(&ContainerPause {
            id: self.id.clone(),
        })
    }

    /// `POST /containers/{id}/unpause`.
    pub fn unpause(&self) -> Result<()> {
        self.docker.execute(&ContainerUnpause {
            id: self.id.clone(),
        })
    }

    /// `POST /containers/{id}/wait`: blocks until `condition` holds (default
    /// `not-running`); the answer carries the exit code.
    pub fn wait(&self, condition: Option<WaitCondition>) -> Result<Typed<ContainerWaitResponse>> {
        self.docker.execute(&ContainerWait {
            id: self.id.clone(),
            condition,
        })
    }

    /// `DELETE /containers/{id}`.
    pub fn remove(&self, options: RemoveOptions) -> Result<()> {
        self.docker.execute(&ContainerRemove {
            id: self.id.clone(),
            volumes: options.volumes,
            link: options.link,
            force: options.force,
        })
    }

    /// `POST /containers/{id}/rename`.
    pub fn rename(&self, name: &str) -> Result<()> {
        self.docker.execute(&ContainerRename {
            id: self.id.clone(),
            name: name.to_owned(),
        })
    }

    /// `GET /containers/{id}/logs`, demultiplexed: an iterator of frames. `options`
    /// is [`LogsOptions`] (stdout and stderr, all history, no follow by default); the
    /// framing follows the container's TTY flag.
    pub fn logs(&self, options: LogsOptions) -> Result<Stream<OutputDecoder>> {
        let mut l = ContainerLogs::new(&self.id);
        l.stdout = options.stdout;
        l.stderr = options.stderr;
        l.follow = options.follow;
        l.timestamps = options.timestamps;
        l.tail = options.tail;
        l.since = options.since;
        l.until = options.until;
        l.tty = Some(self.tty());
        self.docker.stream(&l)
    }
}

/// Options of [`Container::logs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogsOptions {
    /// Include stdout.
    pub stdout: bool,
    /// Include stderr.
    pub stderr: bool,
    /// Keep streaming new output.
    pub follow: bool,
    /// Prefix lines with timestamps.
    pub timestamps: bool,
    /// How much history.
    pub tail: berth_core::api::container_io::Tail,
    /// Only output after this time.
    pub since: Option<berth_core::api::system::Timestamp>,
    /// Only output before this time.
    pub until: Option<berth_core::api::system::Timestamp>,
}

impl Default for LogsOptions {
    fn default() -> LogsOptions {
        LogsOptions {
            stdout: true,
            stderr: true,
            follow: false,
            timestamps: false,
            tail: berth_core::api::container_io::Tail::All,
            since: None,
            until: None,
        }
    }
}
