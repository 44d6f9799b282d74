//! Container I/O and exec: logs, attach, archives, export, exec sessions.

use berth_core::ApiVersion;
use berth_core::api::container_io::{
    ArchiveGet, ArchivePut, ArchiveStat, ContainerAttach, ContainerExport, ContainerLogs, PathStat,
};
use berth_core::api::containers::ContainerInspect;
use berth_core::api::exec::{ExecCreate, ExecInspect, ExecResize, ExecStart, ExecStartDetached};
use berth_core::model::Typed;
use berth_core::models::ExecInspectResponse;
use berth_core::stream::OutputDecoder;

use super::containers::Container;
use super::{DecodedStream, Docker, Output, Session};
use crate::error::Result;
use crate::transport::{ByteStream, ResponseBody};

/// The frames of a container's logs.
pub type LogStream = DecodedStream<OutputDecoder>;

/// The first API version whose daemons say in `Content-Type` whether output is
/// multiplexed; before it berth inspects the container for its TTY flag.
const CONTENT_TYPE_API: ApiVersion = ApiVersion::new(1, 42);

impl Docker {
    /// The container's `Config.Tty`, needed to read its output on daemons that do not
    /// label the stream reliably (API < 1.42); `None` lets the daemon's label decide.
    async fn tty_of(&self, id: &str) -> Result<Option<bool>> {
        if self.api_version().await? >= CONTENT_TYPE_API {
            return Ok(None);
        }
        let c = self
            .execute(&ContainerInspect {
                id: id.to_owned(),
                size: false,
            })
            .await?;
        Ok(Some(c.config.as_ref().and_then(|c| c.tty).unwrap_or(false)))
    }

    /// `GET /containers/{id}/logs`: the container's output as frames (stdout/stderr
    /// apart). With `follow` the stream lasts until the container stops.
    ///
    /// On daemons older than API 1.42 the container is inspected first to learn
    /// whether its output is multiplexed (as docker-py does), unless `options.tty`
    /// already says.
    pub async fn logs(&self, options: &ContainerLogs) -> Result<LogStream> {
        let mut opts = options.clone();
        if opts.tty.is_none() {
            opts.tty = self.tty_of(&opts.id).await?;
        }
        self.stream(&opts).await
    }

    /// `POST /containers/{id}/attach`: a duplex session with the container's main
    /// process (stdin needs a container created with `OpenStdin`).
    pub async fn attach(&self, options: &ContainerAttach) -> Result<Session> {
        let mut opts = options.clone();
        if opts.tty.is_none() {
            opts.tty = self.tty_of(&opts.id).await?;
        }
        self.upgrade(&opts).await
    }

    /// `GET /containers/{id}/archive`: a tar of `path`, streamed, and the path's stat.
    pub async fn get_archive(
        &self,
        id: &str,
        path: &str,
    ) -> Result<(Option<PathStat>, ResponseBody)> {
        self.download(&ArchiveGet {
            id: id.to_owned(),
            path: path.to_owned(),
        })
        .await
    }

    /// `HEAD /containers/{id}/archive`: the stat of `path` only.
    pub async fn archive_stat(&self, id: &str, path: &str) -> Result<PathStat> {
        self.execute(&ArchiveStat {
            id: id.to_owned(),
            path: path.to_owned(),
        })
        .await
    }

    /// `PUT /containers/{id}/archive`: extracts the tar `body` into the existing
    /// directory `path`.
    pub async fn put_archive(&self, id: &str, path: &str, body: ByteStream) -> Result<()> {
        self.upload(
            &ArchivePut {
                id: id.to_owned(),
                path: path.to_owned(),
                no_overwrite_dir_non_dir: false,
                copy_uid_gid: false,
            },
            body,
        )
        .await
    }

    /// `GET /containers/{id}/export`: the container's filesystem as a tar, streamed
    /// with backpressure (memory stays constant however large it is).
    pub async fn export(&self, id: &str) -> Result<ResponseBody> {
        let ((), body) = self
            .download(&ContainerExport { id: id.to_owned() })
            .await?;
        Ok(body)
    }

    /// `POST /containers/{id}/exec`: creates an exec instance, returning its id.
    pub async fn exec_create(&self, options: &ExecCreate) -> Result<String> {
        let r = self.execute(options).await?;
        Ok(r.into_typed().id)
    }

    /// `POST /exec/{id}/start`, attached: the duplex session. `tty` must be the value
    /// the exec was created with.
    pub async fn exec_start(&self, exec_id: &str, tty: bool) -> Result<Session> {
        self.upgrade(&ExecStart {
            id: exec_id.to_owned(),
            tty,
        })
        .await
    }

    /// `POST /exec/{id}/start` with `Detach`: starts and returns at once.
    pub async fn exec_start_detached(&self, exec_id: &str, tty: bool) -> Result<()> {
        self.execute(&ExecStartDetached {
            id: exec_id.to_owned(),
            tty,
        })
        .await
    }

    /// `GET /exec/{id}/json`: running state and exit code.
    pub async fn exec_inspect(&self, exec_id: &str) -> Result<Typed<ExecInspectResponse>> {
        self.execute(&ExecInspect {
            id: exec_id.to_owned(),
        })
        .await
    }

    /// `POST /exec/{id}/resize`: the TTY size of an exec.
    pub async fn exec_resize(&self, exec_id: &str, height: u32, width: u32) -> Result<()> {
        self.execute(&ExecResize {
            id: exec_id.to_owned(),
            height,
            width,
        })
        .await
    }

    /// Creates and starts an exec, returning a session to write its stdin and read its
    /// output; [`ExecSession::exit_code`] gives the exit code at the end.
    pub async fn exec_session(&self, options: &ExecCreate) -> Result<ExecSession> {
        let id = self.exec_create(options).await?;
        let session = self.exec_start(&id, options.tty).await?;
        Ok(ExecSession {
            docker: self.clone(),
            id,
            session,
        })
    }

    /// docker-py's `exec_run`: runs a command to completion and returns its exit code
    /// and output. Stdin is not attached.
    pub async fn exec_run(&self, options: &ExecCreate) -> Result<ExecResult> {
        let mut opts = options.clone();
        opts.stdin = false;
        let s = self.exec_session(&opts).await?;
        let id = s.id.clone();
        let output = s.session.collect().await?;
        let exit_code = self.exec_inspect(&id).await?.exit_code;
        Ok(ExecResult { exit_code, output })
    }
}

/// A running exec: its id and its duplex session.
#[derive(Debug)]
pub struct ExecSession {
    docker: Docker,
    /// The exec id.
    pub id: String,
    /// stdin and output.
    pub session: Session,
}

impl ExecSession {
    /// Reads the remaining output, then the exit code.
    pub async fn finish(self) -> Result<ExecResult> {
        let output = self.session.collect().await?;
        let exit_code = self.docker.exec_inspect(&self.id).await?.exit_code;
        Ok(ExecResult { exit_code, output })
    }

    /// The exit code (`None` while still running).
    pub async fn exit_code(&self) -> Result<Option<i64>> {
        Ok(self.docker.exec_inspect(&self.id).await?.exit_code)
    }
}

/// What [`Docker::exec_run`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// The exit code (`None` if the daemon did not report one).
    pub exit_code: Option<i64>,
    /// stdout, stderr and both interleaved.
    pub output: Output,
}

impl Container {
    fn tty(&self) -> bool {
        self.attrs()
            .config
            .as_ref()
            .and_then(|c| c.tty)
            .unwrap_or(false)
    }

    /// docker-py's `Container.image`: the container's image, inspected.
    pub async fn image(&self) -> Result<crate::Image> {
        let id = self.image_id().ok_or_else(|| {
            crate::Error::from(berth_core::Error::Decode(format!(
                "container {} has no Image in its inspect answer",
                self.short_id()
            )))
        })?;
        self.docker().images().get(id).await
    }

    /// The container's logs (see [`Docker::logs`]); `configure` adjusts the options
    /// (stdout and stderr, all history, no follow by default). The container's known
    /// TTY flag is used, so no extra inspect is made.
    ///
    /// ```no_run
    /// # async fn demo(c: berth::Container) -> berth::Result<()> {
    /// let out = berth::Output::collect(c.logs(|l| l.tail = berth::api::container_io::Tail::Lines(10)).await?).await?;
    /// # Ok(()) }
    /// ```
    pub async fn logs(&self, configure: impl FnOnce(&mut ContainerLogs)) -> Result<LogStream> {
        let mut opts = ContainerLogs::new(self.id());
        opts.tty = Some(self.tty());
        configure(&mut opts);
        self.docker().logs(&opts).await
    }

    /// Attaches to the container's streams (see [`Docker::attach`]).
    pub async fn attach(&self, configure: impl FnOnce(&mut ContainerAttach)) -> Result<Session> {
        let mut opts = ContainerAttach::new(self.id());
        opts.tty = Some(self.tty());
        configure(&mut opts);
        self.docker().attach(&opts).await
    }

    /// docker-py's `exec_run`: runs `cmd` in the container to completion.
    pub async fn exec_run<I, S>(&self, cmd: I) -> Result<ExecResult>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.docker()
            .exec_run(&ExecCreate::new(self.id(), cmd))
            .await
    }

    /// Starts an exec with stdin attached and returns its session.
    pub async fn exec<I, S>(
        &self,
        cmd: I,
        configure: impl FnOnce(&mut ExecCreate),
    ) -> Result<ExecSession>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut opts = ExecCreate::new(self.id(), cmd);
        opts.stdin = true;
        configure(&mut opts);
        self.docker().exec_session(&opts).await
    }

    /// A tar of `path` in the container and its stat (see [`Docker::get_archive`]).
    pub async fn get_archive(&self, path: &str) -> Result<(Option<PathStat>, ResponseBody)> {
        self.docker().get_archive(self.id(), path).await
    }

    /// Extracts a tar into the directory `path` (see [`Docker::put_archive`]).
    pub async fn put_archive(&self, path: &str, tar: ByteStream) -> Result<()> {
        self.docker().put_archive(self.id(), path, tar).await
    }

    /// The container's filesystem as a tar stream (see [`Docker::export`]).
    pub async fn export(&self) -> Result<ResponseBody> {
        self.docker().export(self.id()).await
    }
}
