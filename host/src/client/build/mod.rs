//! `docker build`: contexts from a directory (walked with `.dockerignore`), a tar
//! stream, a Dockerfile string or a remote URL, streamed to `POST /build`.
//!
//! A directory context is walked on a blocking thread and packed by core's
//! [`TarWriter`] into a bounded channel feeding the upload, so memory stays constant
//! whatever the context's size: at most [`CHANNEL_CHUNKS`] chunks of
//! [`CHUNK`] bytes are in flight.

mod walk;

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

use berth_core::api::build::{ImageBuild, is_remote_context};
use berth_core::context::TarWriter;
use berth_core::model::{Typed, TypedDecoder};
use berth_core::models::BuildInfo;
use berth_core::stream::JsonStreamDecoder;

pub use berth_core::api::build::{BuildLog, BuildOptions, ContainerLimits};

use super::{DecodedStream, Docker};
use crate::error::{Error, Result};
use crate::transport::{ByteStream, bytes_stream};
use walk::{gzip_all, plan_context, spawn_context_writer};

/// Size of the chunks file contents are read in.
pub const CHUNK: usize = 64 * 1024;
/// Chunks buffered between the walking thread and the upload.
pub const CHANNEL_CHUNKS: usize = 8;

/// Where a build's context comes from.
pub enum BuildContext {
    /// A directory on this machine, filtered by its `.dockerignore`.
    Dir(PathBuf),
    /// A ready tar stream (docker-py's `custom_context`): sent as is, with
    /// `Content-Encoding` from [`BuildOptions::gzip`]/[`BuildOptions::encoding`]
    /// (the stream must already be compressed accordingly).
    Tar(ByteStream),
    /// Only a Dockerfile, given as text: the context is a tar holding just `Dockerfile`.
    Dockerfile(String),
    /// A remote context (git or HTTP URL) the daemon fetches itself.
    Remote(String),
}

impl fmt::Debug for BuildContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildContext::Dir(p) => f.debug_tuple("Dir").field(p).finish(),
            BuildContext::Tar(_) => f.write_str("Tar(..)"),
            BuildContext::Dockerfile(d) => write!(f, "Dockerfile({} bytes)", d.len()),
            BuildContext::Remote(u) => f.debug_tuple("Remote").field(u).finish(),
        }
    }
}

/// A finished build: the image id and everything it printed.
#[derive(Debug, Clone)]
pub struct BuildResult {
    /// The image id (`sha256:…`, or the short id when the daemon named no other).
    pub image_id: String,
    /// The build's output.
    pub log: BuildLog,
}

/// A failed build (docker-py's `BuildError`): what failed and the output so far.
///
/// `error` is [`Error`] of kind [`berth_core::Error::Stream`] when the daemon reported
/// the failure (a `RUN` exited non-zero, a base image is missing); any other kind
/// when the request itself failed (bad context, transport, HTTP error status).
#[derive(Debug)]
pub struct BuildError {
    /// What failed.
    pub error: Error,
    /// The build's output up to the failure, including the daemon's error message.
    pub log: BuildLog,
}

impl BuildError {
    /// True when the daemon ran the build and reported it failed.
    pub fn is_build_failure(&self) -> bool {
        matches!(self.error.kind(), berth_core::Error::Stream { .. })
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_build_failure() {
            write!(f, "build failed: {}", self.error)
        } else {
            fmt::Display::fmt(&self.error, f)
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Error {
        e.error
    }
}

type Decoder = TypedDecoder<JsonStreamDecoder, BuildInfo>;

/// A failure of the context walk, kept to replace the transport error it causes.
pub(crate) type ContextError = Arc<Mutex<Option<Error>>>;

/// The progress of a running build, item by item; every item is also kept in
/// [`BuildStream::log`]. An error object of the daemon comes out as an `Err` of kind
/// [`berth_core::Error::Stream`]. Dropping the stream cancels the build.
pub struct BuildStream {
    inner: DecodedStream<Decoder>,
    log: BuildLog,
    context_error: ContextError,
}

impl fmt::Debug for BuildStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildStream")
            .field("messages", &self.log.messages().len())
            .field("image_id", &self.log.image_id())
            .finish()
    }
}

impl BuildStream {
    /// The next progress item, `None` at the end.
    pub async fn next_item(&mut self) -> Option<Result<Typed<BuildInfo>>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Typed<BuildInfo>>>> {
        let item = std::task::ready!(Pin::new(&mut self.inner).poll_next(cx));
        Poll::Ready(match item {
            Some(Ok(v)) => {
                self.log.record(&v.attrs);
                Some(Ok(v))
            }
            Some(Err(e)) => Some(Err(take_context_error(&self.context_error).unwrap_or(e))),
            None => take_context_error(&self.context_error).map(Err),
        })
    }

    /// What the build printed so far.
    pub fn log(&self) -> &BuildLog {
        &self.log
    }

    /// Runs the build to its end: the image id, or a [`BuildError`] with the log.
    pub async fn wait(mut self) -> Result<BuildResult, BuildError> {
        while let Some(item) = self.next_item().await {
            if let Err(error) = item {
                let log = std::mem::take(&mut self.log);
                return Err(match error.kind() {
                    berth_core::Error::Stream { message, code } => {
                        let log = log.fail(message.clone(), *code).log;
                        BuildError { error, log }
                    }
                    _ => BuildError { error, log },
                });
            }
        }
        match std::mem::take(&mut self.log).finish() {
            Ok((image_id, log)) => Ok(BuildResult { image_id, log }),
            Err(e) => Err(BuildError {
                error: berth_core::Error::Protocol(e.message).into(),
                log: e.log,
            }),
        }
    }
}

impl Stream for BuildStream {
    type Item = Result<Typed<BuildInfo>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

pub(crate) fn take_context_error(slot: &ContextError) -> Option<Error> {
    slot.lock().ok().and_then(|mut s| s.take())
}

impl Docker {
    /// Builds an image from the directory `dir` (docker-py's `build(path=…)`),
    /// honouring its `.dockerignore`. `options.dockerfile` is relative to `dir` or
    /// absolute; a Dockerfile outside `dir` is sent under a generated name. Returns
    /// the progress; see [`Docker::build_to_end`] to wait for the image.
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// use berth::BuildOptions;
    /// let built = docker
    ///     .build_to_end("./app", &BuildOptions::new().tag("app:dev"))
    ///     .await?;
    /// println!("{}", built.image_id);
    /// # Ok(()) }
    /// ```
    pub async fn build(
        &self,
        dir: impl AsRef<Path>,
        options: &BuildOptions,
    ) -> Result<BuildStream> {
        self.build_context(BuildContext::Dir(dir.as_ref().to_path_buf()), options)
            .await
    }

    /// [`Docker::build`], then waits for the image id.
    pub async fn build_to_end(
        &self,
        dir: impl AsRef<Path>,
        options: &BuildOptions,
    ) -> Result<BuildResult, BuildError> {
        let stream = self.build(dir, options).await.map_err(|error| BuildError {
            error,
            log: BuildLog::new(),
        })?;
        stream.wait().await
    }

    /// Builds from any [`BuildContext`].
    pub async fn build_context(
        &self,
        context: BuildContext,
        options: &BuildOptions,
    ) -> Result<BuildStream> {
        // docker-py's use_config_proxy: config.json's proxies become build args unless
        // the caller set them.
        let options = match self.config_proxy()? {
            Some(proxy) => options.clone().with_proxy_buildargs(
                proxy
                    .vars()
                    .iter()
                    .filter_map(|kv| kv.split_once('='))
                    .collect::<Vec<_>>(),
            ),
            None => options.clone(),
        };
        let mut endpoint = ImageBuild::new(options.clone());
        // Every known registry's credentials, so FROM lines can pull private images.
        endpoint.registry_config = Some(self.registry_config().await?);
        let context_error = ContextError::default();
        let body = match context {
            BuildContext::Remote(url) => {
                if !is_remote_context(&url) {
                    return Err(berth_core::Error::InvalidArgument(format!(
                        "build: {url:?} is not a remote context (http://, https://, git://, \
                         github.com/ or git@)"
                    ))
                    .into());
                }
                endpoint.remote = Some(url);
                bytes_stream(Bytes::new())
            }
            BuildContext::Tar(stream) => stream,
            BuildContext::Dockerfile(text) => {
                if options.dockerfile.is_some() {
                    return Err(berth_core::Error::InvalidArgument(
                        "build: a Dockerfile given as text is sent as `Dockerfile`; leave \
                         options.dockerfile unset"
                            .into(),
                    )
                    .into());
                }
                let mut w = TarWriter::new();
                w.append_bytes("Dockerfile", 0o644, 0, Bytes::from(text.into_bytes()))?;
                w.finish()?;
                let tar: Vec<u8> = std::iter::from_fn(|| w.pop()).flatten().collect();
                if options.gzip {
                    bytes_stream(gzip_all(&tar)?)
                } else {
                    bytes_stream(tar)
                }
            }
            BuildContext::Dir(dir) => {
                let plan = tokio::task::spawn_blocking({
                    let dir = dir.clone();
                    let dockerfile = options.dockerfile.clone();
                    move || plan_context(&dir, dockerfile.as_deref())
                })
                .await
                .map_err(|e| {
                    berth_core::Error::Transport(format!("context walk panicked: {e}"))
                })??;
                endpoint.options.dockerfile = Some(plan.dockerfile_name.clone());
                spawn_context_writer(dir, plan, options.gzip, context_error.clone())
            }
        };
        let inner = match self.upload_stream(&endpoint, body).await {
            Ok(s) => s,
            Err(e) => return Err(take_context_error(&context_error).unwrap_or(e)),
        };
        Ok(BuildStream {
            inner,
            log: BuildLog::new(),
            context_error,
        })
    }
}
