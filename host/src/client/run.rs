//! `create` from docker-py style options, image pull, and docker-py's `containers.run`.

use berth_core::api::container_io::ContainerLogs;
use berth_core::api::containers::{ContainerCreateFrom, WaitCondition};
use berth_core::api::images::{ImageInspectOp, ImagePull};
use berth_core::model::{Typed, TypedDecoder};
use berth_core::models::{CreateImageInfo, ImageInspect};
use berth_core::options::ContainerOptions;
use berth_core::stream::json::JsonStreamDecoder;
use futures_util::StreamExt;

use super::containers::{Container, Containers, RemoveOptions};
use super::{DecodedStream, Docker, Output};
use crate::error::Result;

/// The progress stream of [`Docker::pull`].
pub type PullStream = DecodedStream<TypedDecoder<JsonStreamDecoder, CreateImageInfo>>;

impl Docker {
    /// `POST /images/create?fromImage=`: pulls an image; the stream yields per-layer
    /// progress and ends with an error if the pull failed inside the stream. Drain it:
    /// dropping it early cancels the pull in the daemon.
    pub async fn pull(&self, options: &ImagePull) -> Result<PullStream> {
        self.stream(options).await
    }

    /// Pulls an image to the end, handing every progress item to `progress`.
    pub async fn pull_to_end(
        &self,
        options: &ImagePull,
        mut progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<()> {
        let mut s = self.pull(options).await?;
        while let Some(item) = s.next().await {
            progress(&item?);
        }
        Ok(())
    }

    /// `GET /images/{name}/json`.
    pub async fn image_inspect(&self, name: &str) -> Result<Typed<ImageInspect>> {
        self.execute(&ImageInspectOp {
            name: name.to_owned(),
        })
        .await
    }
}

/// How [`Containers::run`] runs a container (the container itself is described by
/// [`ContainerOptions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Return as soon as the container started.
    pub detach: bool,
    /// Remove the container once it exited (also when it failed). With `detach`, the
    /// daemon removes it (`AutoRemove`).
    pub remove: bool,
    /// Return the container's stdout.
    pub stdout: bool,
    /// Return the container's stderr too (docker-py's default: no).
    pub stderr: bool,
    /// Pull the image when it is missing, then create again.
    pub pull_missing: bool,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            detach: false,
            remove: false,
            stdout: true,
            stderr: false,
            pull_missing: true,
        }
    }
}

/// What [`Containers::run`] returns.
#[derive(Debug)]
pub enum RunOutcome {
    /// `detach`: the started container.
    Detached(Box<Container>),
    /// The container ran to a zero exit status.
    Finished {
        /// Its id (it may have been removed since).
        container_id: String,
        /// Its exit status (0).
        exit_code: i64,
        /// Its output, as chosen by `stdout`/`stderr`.
        output: Output,
    },
}

impl Containers {
    /// `POST /containers/create` from docker-py style options, then inspects the new
    /// container. Options the negotiated API lacks are refused before anything is sent.
    /// The body is [`ContainerOptions::to_json`], so options without a field in the
    /// typed model (the container-wide `mac_address` before API 1.44, `kernel_memory`,
    /// raw extra fields) are sent too.
    ///
    /// Like docker-py (`use_config_proxy=True`), proxy settings from config.json's
    /// `proxies` are added to the environment, without overriding variables the
    /// options set.
    pub async fn create(&self, options: &ContainerOptions) -> Result<Container> {
        let options = match self.docker.config_proxy()? {
            Some(proxy) => options.clone().proxy_env(proxy),
            None => options.clone(),
        };
        let created = self
            .docker
            .execute(&ContainerCreateFrom { options })
            .await?;
        self.get(&created.id).await
    }

    /// docker-py's `containers.run`: create (pulling the image if it is missing),
    /// start, and either return the running container (`detach`) or wait for it and
    /// return its output. A non-zero exit is an error of category
    /// [`ContainerExit`](crate::Category::ContainerExit) carrying the exit status,
    /// command, image and stderr. With `remove` the container is removed in every case.
    pub async fn run(&self, options: &ContainerOptions, run: &RunOptions) -> Result<RunOutcome> {
        self.run_with_progress(options, run, |_| {}).await
    }

    /// [`Containers::run`], handing the progress of a pull of the missing image to
    /// `progress`.
    pub async fn run_with_progress(
        &self,
        options: &ContainerOptions,
        run: &RunOptions,
        progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<RunOutcome> {
        let mut options = options.clone();
        if run.detach && run.remove {
            options = options.auto_remove(true);
        }
        let container = match self.create(&options).await {
            Err(e) if run.pull_missing && e.category() == crate::Category::ImageNotFound => {
                self.docker
                    .pull_to_end(
                        &ImagePull {
                            image: options.image().to_owned(),
                            platform: options.platform().map(str::to_owned),
                            registry_auth: Some(self.docker.registry_auth(options.image()).await?),
                            ..ImagePull::default()
                        },
                        progress,
                    )
                    .await?;
                self.create(&options).await?
            }
            other => other?,
        };
        if run.detach {
            if let Err(e) = container.start().await {
                // AutoRemove only acts on a container that ran: one that never started
                // (a bad command, a port taken) is removed here.
                if run.remove {
                    let _ = container.remove(force_with_volumes()).await;
                }
                return Err(e);
            }
            return Ok(RunOutcome::Detached(Box::new(container)));
        }
        let result = self.run_attached(&container, run).await;
        if run.remove {
            let removed = container.remove(force_with_volumes()).await;
            // The run's own error matters more than a failed cleanup.
            if result.is_ok() {
                removed?;
            }
        }
        result
    }

    async fn run_attached(&self, container: &Container, run: &RunOptions) -> Result<RunOutcome> {
        container.start().await?;
        let status = container
            .wait(Some(WaitCondition::NotRunning), None)
            .await?;
        let exit_code = status.status_code;
        let logs = |stdout: bool, stderr: bool| {
            let mut l = ContainerLogs::new(container.id());
            l.stdout = stdout;
            l.stderr = stderr;
            l.tty = container
                .attrs()
                .config
                .as_ref()
                .and_then(|c| c.tty)
                .or(Some(false));
            l
        };
        if exit_code != 0 {
            let stderr = match self.docker.logs(&logs(false, true)).await {
                Ok(s) => Output::collect(s)
                    .await
                    .map(|o| o.stderr)
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            let config = container.attrs().config.as_ref();
            return Err(berth_core::Error::ContainerExit {
                container: container.id().to_owned(),
                exit_status: exit_code,
                command: config.and_then(|c| c.cmd.clone()).unwrap_or_default(),
                image: config.and_then(|c| c.image.clone()).unwrap_or_default(),
                stderr: String::from_utf8_lossy(&stderr).into_owned(),
            }
            .into());
        }
        let output = if run.stdout || run.stderr {
            Output::collect(self.docker.logs(&logs(run.stdout, run.stderr)).await?).await?
        } else {
            Output::default()
        };
        Ok(RunOutcome::Finished {
            container_id: container.id().to_owned(),
            exit_code,
            output,
        })
    }
}

/// How `run` removes its container: running or not, with its anonymous volumes.
fn force_with_volumes() -> RemoveOptions {
    RemoveOptions {
        volumes: true,
        force: true,
        ..RemoveOptions::default()
    }
}
