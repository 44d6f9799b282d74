//! Plugins area: the `docker.plugins()` collection and docker-py's `Plugin` object.
//!
//! Registry operations (privileges, install, push, upgrade) send the credentials of
//! the plugin reference's registry from the client's [`AuthStore`](crate::AuthStore).

use std::io::{self, Write as _};
use std::path::Path;
use std::time::Duration;

use berth_core::api::plugins::{
    PluginCreate, PluginDisable, PluginEnable, PluginInspect, PluginList, PluginPrivileges,
    PluginPull, PluginPush, PluginRemove, PluginSet, PluginUpgrade, grant_all,
};
use berth_core::model::Typed;
use berth_core::models::{self, PluginPrivilege, PluginSettings};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::run::PullStream;
use super::{CallTimeout, Docker};
use crate::error::{Error, Result};
use crate::transport::ByteStream;

/// Tar chunks sent to the daemon at a time, and how many may wait in the channel.
const CHUNK: usize = 64 * 1024;
const CHANNEL_CHUNKS: usize = 8;

/// How long past its own `timeout` an enable may take: dockerd retries the plugin's
/// socket for about 20 s before it gives up, whatever the timeout says.
const ENABLE_SLACK: Duration = Duration::from_secs(60);

impl Docker {
    /// The plugins of this daemon (docker-py's `client.plugins`).
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// let mut p = docker.plugins().install("reg:5000/sshfs:1", Some("sshfs")).await?;
    /// p.configure([("DEBUG", "1")]).await?;
    /// p.enable(None).await?;
    /// println!("{} enabled: {}", p.name(), p.enabled());
    /// # Ok(()) }
    /// ```
    pub fn plugins(&self) -> Plugins {
        Plugins {
            docker: self.clone(),
        }
    }
}

/// The plugins collection: list, get, privileges, install, create.
#[derive(Debug, Clone)]
pub struct Plugins {
    docker: Docker,
}

impl Plugins {
    /// `GET /plugins`: the installed plugins matching `options.filters`.
    pub async fn list(&self, options: &PluginList) -> Result<Vec<Plugin>> {
        let all = self.docker.execute(options).await?;
        Ok(all.into_iter().map(|p| self.wrap(p)).collect())
    }

    /// `GET /plugins/{name}/json` (`:latest` implied; unknown →
    /// [`Error::is_not_found`](crate::Error::is_not_found)).
    pub async fn get(&self, name: &str) -> Result<Plugin> {
        let attrs = self.docker.execute(&PluginInspect::new(name)).await?;
        Ok(self.wrap(attrs))
    }

    /// `GET /plugins/privileges?remote=`: what the plugin `remote` asks to be granted,
    /// with the credentials of its registry.
    pub async fn privileges(&self, remote: &str) -> Result<Vec<Typed<PluginPrivilege>>> {
        let op = PluginPrivileges {
            remote: remote.to_owned(),
            registry_auth: Some(self.docker.registry_auth(remote).await?),
        };
        self.docker.execute(&op).await
    }

    /// `POST /plugins/pull`: the progress stream of an install with the grants in
    /// `options` (credentials of the remote's registry added unless set). Drain it:
    /// a refused grant ends it with [`Category::Stream`](crate::Category::Stream).
    pub async fn pull(&self, options: &PluginPull) -> Result<PullStream> {
        let mut options = options.clone();
        if options.registry_auth.is_none() {
            options.registry_auth = Some(self.docker.registry_auth(&options.remote).await?);
        }
        self.docker.stream(&options).await
    }

    /// docker-py's `plugins.install`: fetches what `remote` asks for, grants all of it,
    /// pulls it under `local_name` (default: the remote reference) to the end, and
    /// returns the installed (disabled) plugin.
    pub async fn install(&self, remote: &str, local_name: Option<&str>) -> Result<Plugin> {
        let auth = self.docker.registry_auth(remote).await?;
        let asked = self
            .docker
            .execute(&PluginPrivileges {
                remote: remote.to_owned(),
                registry_auth: Some(auth.clone()),
            })
            .await?;
        let pull = PluginPull {
            remote: remote.to_owned(),
            name: local_name.map(str::to_owned),
            privileges: grant_all(&asked),
            registry_auth: Some(auth),
        };
        drain(self.docker.stream(&pull).await?).await?;
        self.get(local_name.unwrap_or(remote)).await
    }

    /// `POST /plugins/create?name=`: creates a (disabled) plugin from `source`: a
    /// directory holding `config.json` and `rootfs/` (sent as a tar, symlinks kept,
    /// owners reset to root), or a tar file (optionally gzipped) of one.
    pub async fn create(&self, name: &str, source: impl AsRef<Path>) -> Result<Plugin> {
        let source = source.as_ref();
        let meta = std::fs::metadata(source)
            .map_err(|e| local_error(source, "cannot open the plugin source", &e))?;
        let body = if meta.is_dir() {
            if !source.join("config.json").is_file() {
                return Err(berth_core::Error::InvalidArgument(format!(
                    "plugin create: {} has no config.json; a plugin directory holds \
                     config.json and rootfs/",
                    source.display()
                ))
                .into());
            }
            let dir = source.to_owned();
            blocking_body(move |sink| write_tar(&dir, sink))
        } else {
            let file = std::fs::File::open(source)
                .map_err(|e| local_error(source, "cannot open the plugin tar", &e))?;
            blocking_body(move |mut sink| {
                io::copy(&mut io::BufReader::new(file), &mut sink)?;
                sink.flush()
            })
        };
        self.create_from_tar(name, body).await
    }

    /// `POST /plugins/create?name=` with a tar stream of `config.json` + `rootfs/`.
    pub async fn create_from_tar(&self, name: &str, tar: ByteStream) -> Result<Plugin> {
        self.docker
            .upload(
                &PluginCreate {
                    name: name.to_owned(),
                },
                tar,
            )
            .await?;
        self.get(name).await
    }

    fn wrap(&self, attrs: Typed<models::Plugin>) -> Plugin {
        Plugin {
            docker: self.docker.clone(),
            attrs,
        }
    }
}

/// A plugin, as docker-py's `Plugin` model: the inspect answer at the time it was
/// fetched ([`attrs`](Plugin::attrs), refreshed by [`reload`](Plugin::reload)).
/// Operations that change the plugin reload it.
#[derive(Debug, Clone)]
pub struct Plugin {
    docker: Docker,
    attrs: Typed<models::Plugin>,
}

impl Plugin {
    /// The name (`name:tag`).
    pub fn name(&self) -> &str {
        &self.attrs.name
    }

    /// The id (empty if the daemon sent none).
    pub fn id(&self) -> &str {
        self.attrs.id.as_deref().unwrap_or_default()
    }

    /// Whether the plugin is running.
    pub fn enabled(&self) -> bool {
        self.attrs.enabled
    }

    /// The user settings (`Env` as `KEY=VALUE`, `Args`, `Mounts`, `Devices`).
    pub fn settings(&self) -> &PluginSettings {
        &self.attrs.settings
    }

    /// The inspect answer (raw JSON in `.attrs`, typed view by `Deref`).
    pub fn attrs(&self) -> &Typed<models::Plugin> {
        &self.attrs
    }

    /// The client this plugin belongs to.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Inspects the plugin again.
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self
            .docker
            .execute(&PluginInspect::new(self.id_or_name()))
            .await?;
        Ok(())
    }

    /// `POST /plugins/{name}/enable`, then reloads. A plugin that never answers on its
    /// socket is [`Category::Server`](crate::Category::Server) with the daemon's dial
    /// error, after about 20 s.
    pub async fn enable(&mut self, timeout: Option<u32>) -> Result<()> {
        let op = PluginEnable {
            name: self.id_or_name().to_owned(),
            timeout,
        };
        let wait = Duration::from_secs(u64::from(timeout.unwrap_or(0))) + ENABLE_SLACK;
        self.docker
            .execute_with(&op, CallTimeout::Extended(wait))
            .await?;
        self.reload().await
    }

    /// `POST /plugins/{name}/disable`, then reloads.
    pub async fn disable(&mut self, force: bool) -> Result<()> {
        let op = PluginDisable {
            name: self.id_or_name().to_owned(),
            force,
        };
        self.docker.execute(&op).await?;
        self.reload().await
    }

    /// `POST /plugins/{name}/set` with `KEY=VALUE` for each pair (the plugin must be
    /// disabled and declare the keys settable), then reloads.
    pub async fn configure<K, V, I>(&mut self, options: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: std::fmt::Display,
    {
        let op = options
            .into_iter()
            .fold(PluginSet::new(self.id_or_name()), |op, (k, v)| {
                op.set(k.as_ref(), v)
            });
        self.docker.execute(&op).await?;
        self.reload().await
    }

    /// `POST /plugins/{name}/push`: the progress stream of pushing the plugin to the
    /// registry its name points at. Registry errors end the stream with
    /// [`Category::Stream`](crate::Category::Stream).
    pub async fn push(&self) -> Result<PullStream> {
        let op = PluginPush {
            name: self.name().to_owned(),
            registry_auth: Some(self.docker.registry_auth(self.name()).await?),
        };
        self.docker.stream(&op).await
    }

    /// `POST /plugins/{name}/upgrade?remote=`: upgrades the (disabled) plugin to
    /// `remote` (default: its own name), granting everything `remote` asks for;
    /// drains the progress and reloads.
    pub async fn upgrade(&mut self, remote: Option<&str>) -> Result<()> {
        let remote = remote.unwrap_or(self.name()).to_owned();
        let auth = self.docker.registry_auth(&remote).await?;
        let asked = self
            .docker
            .execute(&PluginPrivileges {
                remote: remote.clone(),
                registry_auth: Some(auth.clone()),
            })
            .await?;
        // By name: dockerd 20.10 parses the upgrade target as a reference and
        // refuses an id ("cannot specify 64-byte hexadecimal strings").
        let op = PluginUpgrade {
            name: self.name().to_owned(),
            remote,
            privileges: grant_all(&asked),
            registry_auth: Some(auth),
        };
        drain(self.docker.stream(&op).await?).await?;
        self.reload().await
    }

    /// `DELETE /plugins/{name}`; `force` removes an enabled plugin too.
    pub async fn remove(&self, force: bool) -> Result<()> {
        self.docker
            .execute(&PluginRemove {
                name: self.id_or_name().to_owned(),
                force,
            })
            .await
    }

    /// The id when known (stable across renames by upgrade), else the name.
    fn id_or_name(&self) -> &str {
        match self.attrs.id.as_deref() {
            Some(id) if !id.is_empty() => id,
            _ => self.name(),
        }
    }
}

/// Reads a progress stream to its end; an error item fails.
async fn drain(mut stream: PullStream) -> Result<()> {
    while let Some(item) = stream.next().await {
        item?;
    }
    Ok(())
}

fn local_error(path: &Path, what: &str, e: &io::Error) -> Error {
    berth_core::Error::InvalidArgument(format!("plugin create: {what} {}: {e}", path.display()))
        .into()
}

/// An upload body written by `write` on a blocking task, with backpressure; a
/// failure aborts the upload (the daemon never sees a partial archive as complete).
fn blocking_body<F>(write: F) -> ByteStream
where
    F: FnOnce(ChannelWriter) -> io::Result<()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let sink = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = write(sink) {
            let _ = tx.blocking_send(Err(io::Error::other(format!(
                "plugin create: cannot read the plugin source: {e}"
            ))));
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Writes a tar of `dir`'s entries (not `dir` itself) into `sink`.
fn write_tar(dir: &Path, sink: ChannelWriter) -> io::Result<()> {
    let mut names = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    let mut b = tar::Builder::new(sink);
    b.follow_symlinks(false);
    // Root-owned, fixed mtimes: a rootfs extracted by a user keeps root as owner.
    b.mode(tar::HeaderMode::Deterministic);
    for name in names {
        let full = dir.join(&name);
        if std::fs::symlink_metadata(&full)?.is_dir() {
            b.append_dir_all(&name, &full)?;
        } else {
            b.append_path_with_name(&full, &name)?;
        }
    }
    let mut sink = b.into_inner()?;
    sink.flush()
}

/// `Write` into the upload channel in [`CHUNK`]-sized pieces.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "upload closed"))
    }
}
