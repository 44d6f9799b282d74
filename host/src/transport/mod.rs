//! Carrying requests to the daemon: pooled keep-alive HTTP/1.1 over unix sockets, TCP,
//! TLS and SSH, with HTTP upgrade for attach/exec.
//!
//! Timeouts are separate: *connect* (opening a connection), *response head* (from
//! sending a request to its status line and headers) and *idle read* (the longest gap
//! between two body chunks). There is no overall timeout: a `logs --follow` or an
//! `events` stream may last for days. Every call is cancelled by dropping its future or
//! its body; a connection whose body was not read to the end is closed, never reused.

mod body;
mod connector;
mod http1;
mod pool;
mod ssh;
mod tls;
mod unix;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use std::sync::Arc;

use hyper_util::rt::TokioIo;

pub(crate) use body::ERROR_BODY_LIMIT;
pub use body::{ByteStream, Duplex, OutgoingBody, ResponseBody, bytes_stream, reader_stream};
pub use connector::Target;
pub use ssh::SshStream;
pub use tls::{TlsConfigError, TlsSettings, client_config as tls_client_config};

use berth_core::headers::Headers;

use crate::error::{Error, Result};
use connector::{ConnectError, Connector};
use http1::{Failure, Http1};
pub use pool::PoolOptions;
use pool::{Live, Pool, ReqBody, SendError};

/// Timeouts of a transport (see the module docs). `None` disables one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a connection. Default 10 s.
    pub connect: Duration,
    /// From sending a request to receiving its response head. Default 60 s (docker-py's
    /// default timeout).
    pub response_head: Option<Duration>,
    /// Longest silence between two chunks of a body that is read whole. Default 60 s.
    /// Streams (events, follow logs, attach) use no idle timeout unless asked.
    pub idle_read: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            response_head: Some(Duration::from_secs(60)),
            idle_read: Some(Duration::from_secs(60)),
        }
    }
}

/// One request on the wire.
#[derive(Debug)]
pub struct WireRequest {
    /// Method.
    pub method: Method,
    /// Path and query (`/v1.41/info`), without the base URL's path prefix.
    pub path: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: OutgoingBody,
    /// Response-head timeout for this call (`None`: wait forever).
    pub head_timeout: Option<Duration>,
    /// Idle-read timeout for this call's body (`None`: wait forever).
    pub idle_timeout: Option<Duration>,
}

/// A response whose body is still to be read.
#[derive(Debug)]
pub struct WireResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers, as they arrived.
    pub headers: Headers,
    /// The body, read chunk by chunk.
    pub body: ResponseBody,
}

/// A boxed future, as returned by [`Transport`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that carries requests to a Docker daemon.
///
/// The native client uses [`HttpTransport`]; the plugin host wraps a transport with a
/// policy check; fault tests point one at a fake daemon.
pub trait Transport: Send + Sync + fmt::Debug + 'static {
    /// Sends a request and returns once the response head arrived.
    fn send(&self, request: WireRequest) -> BoxFuture<'_, Result<WireResponse>>;
    /// Sends a request with `Connection: Upgrade` / `Upgrade: tcp` and returns the
    /// response head and the upgraded duplex connection (attach, exec start).
    fn upgrade(&self, request: WireRequest) -> BoxFuture<'_, Result<(WireResponse, Duplex)>>;
    /// A description of where requests go (`unix:///var/run/docker.sock`).
    fn describe(&self) -> String;
    /// Whether the daemon shares this machine's filesystem (it answers on a unix
    /// socket here), so host paths in requests name the same files as here.
    fn is_local(&self) -> bool {
        false
    }
}

/// The standard transport: HTTP/1.1 over a keep-alive connection pool (see `pool`).
#[derive(Clone)]
pub struct HttpTransport {
    pool: Arc<Pool>,
    target: Target,
    host_header: HeaderValue,
    /// Sent with every request, ahead of the request's own headers.
    headers: Arc<HeaderMap>,
    path_prefix: String,
    timeouts: Timeouts,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("target", &self.target)
            .field("headers", &self.headers)
            .field("path_prefix", &self.path_prefix)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

impl HttpTransport {
    /// A pooled transport to `target`. `path_prefix` (from a `base_url` like
    /// `tcp://h:2375/docker`) goes in front of every path. Nothing is connected until
    /// the first request.
    pub fn new(
        target: Target,
        path_prefix: &str,
        timeouts: Timeouts,
        pool: PoolOptions,
    ) -> Result<HttpTransport> {
        let host_header = HeaderValue::from_str(&target.http_host()).map_err(|_| {
            Error::from(berth_core::Error::InvalidArgument(format!(
                "daemon address {} is not a valid HTTP host",
                target.display()
            )))
        })?;
        let connector = Connector {
            target: target.clone(),
            connect_timeout: timeouts.connect,
        };
        Ok(HttpTransport {
            pool: Pool::new(connector, pool),
            target,
            host_header,
            headers: Arc::new(HeaderMap::new()),
            path_prefix: path_prefix.trim_end_matches('/').to_owned(),
            timeouts,
        })
    }

    /// Headers sent with every request (the client's `User-Agent`, config.json's
    /// `HttpHeaders`) unless the request sets the same header itself: written straight
    /// into each request head, never copied per call.
    pub fn with_headers(mut self, headers: HeaderMap) -> HttpTransport {
        self.headers = Arc::new(headers);
        self
    }

    /// The client's headers that go with a request whose own headers are `own`: all
    /// but those it sets itself (the request's replace the client's).
    fn client_headers<'a>(
        &'a self,
        own: &'a HeaderMap,
    ) -> impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)> + 'a {
        self.headers
            .iter()
            .filter(|(name, _)| !own.contains_key(*name))
    }

    /// The timeouts this transport was built with.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The request target (the base URL's path prefix, then the call's path, which is
    /// taken out of `req`) and the call's context for messages and timeouts.
    fn ctx(&self, req: &mut WireRequest) -> Ctx {
        let path = if self.path_prefix.is_empty() {
            std::mem::take(&mut req.path)
        } else {
            format!("{}{}", self.path_prefix, req.path)
        };
        Ctx {
            what: Call {
                method: req.method.clone(),
                path,
            },
            head_timeout: req.head_timeout,
            idle_timeout: req.idle_timeout,
        }
    }

    /// Runs `fut` under the call's response-head timeout; with `upload` (a streamed
    /// body's progress) the timeout counts only time spent waiting on the daemon (see
    /// [`head_timer`]).
    async fn with_head_timeout<T>(
        &self,
        ctx: &Ctx,
        upload: Option<tokio::sync::watch::Receiver<Upload>>,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(t) = ctx.head_timeout else {
            return fut.await;
        };
        match futures_util::future::select(
            std::pin::pin!(fut),
            std::pin::pin!(head_timer(upload, t)),
        )
        .await
        {
            futures_util::future::Either::Left((r, _)) => r,
            futures_util::future::Either::Right(((), _)) => {
                Err(head_timed_out(ctx, &self.target.display()))
            }
        }
    }

    /// A plain call (no body or one in memory) on berth's own HTTP/1 connection. A
    /// pooled connection the daemon closed meanwhile is retried once on a fresh one.
    ///
    /// What needs no waiting is done before the future is made — the request head is
    /// written into an idle connection's buffer (or a new one's) and the request is
    /// dropped — so the future, boxed and filled on every call, holds only what the
    /// exchange needs.
    fn send_plain(
        &self,
        mut req: WireRequest,
        content_type: Option<&'static str>,
        body: Bytes,
    ) -> impl Future<Output = Result<WireResponse>> + Send + '_ {
        let ctx = self.ctx(&mut req);
        // The response-head timeout runs from here; opening a connection has its own.
        // A deadline past what `Instant` can hold is no deadline.
        let now = tokio::time::Instant::now();
        let deadline = ctx.head_timeout.and_then(|t| now.checked_add(t));
        let mut idle = Taken {
            conn: self.pool.take_idle(now.into_std()),
            pool: &self.pool,
        };
        // The head goes into the connection's own buffer (no allocation per call).
        let mut head = idle
            .conn
            .as_mut()
            .map(|conn| std::mem::take(&mut conn.head))
            .unwrap_or_default();
        head.clear();
        let mut headers = req.headers;
        if let Some(ct) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        let failed = berth_core::http1::write_request_head(
            &mut head,
            &ctx.what.method,
            &ctx.what.path,
            &self.host_header,
            self.client_headers(&headers).chain(&headers),
            content_type.map(|_| body.len()),
        )
        .err()
        .map(Box::new);
        async move {
            if let Some(e) = failed {
                // The taken connection goes back as `idle` is dropped.
                return Err((*e).into());
            }
            let mut conn = match idle.conn.take() {
                Some(conn) => conn,
                None => self.pool.connect().await.map_err(connect_error)?,
            };
            conn.head = head;
            let answer = loop {
                match conn.roundtrip(&body, &ctx.what.method, deadline).await {
                    Ok(answer) => break answer,
                    Err(e) if conn.reused && e.is_stale_connection() => {
                        let head = std::mem::take(&mut conn.head);
                        conn = self.pool.connect().await.map_err(connect_error)?;
                        conn.head = head;
                    }
                    Err(e) => return Err(self.failure(e, &ctx)),
                }
            };
            if answer.status == StatusCode::SWITCHING_PROTOCOLS {
                return Err(berth_core::Error::Protocol(format!(
                    "{}: the daemon switched protocols without being asked to",
                    ctx.what
                ))
                .into());
            }
            let body = ResponseBody::own(conn, &answer, ctx, &self.pool);
            Ok(WireResponse {
                status: answer.status,
                headers: answer.headers,
                body,
            })
        }
    }

    /// A streamed upload: hyper reads the answer while the body is still being written
    /// (the daemon may refuse it early). The response-head timeout counts from the end
    /// of the upload, not from its start: a daemon answers an image load only once the
    /// whole tarball is in, however long sending it takes.
    async fn send_streamed(&self, mut request: WireRequest) -> Result<WireResponse> {
        let (progress, watch) = tokio::sync::watch::channel(Upload::Unsent);
        if let OutgoingBody::Stream { stream, .. } = &mut request.body {
            let upload = std::mem::replace(stream, Box::pin(futures_util::stream::empty()));
            *stream = Box::pin(Watched {
                inner: upload,
                progress,
            });
        }
        let (req, ctx) = self.build(request, false)?;
        let (res, live) = self.roundtrip(req, &ctx, Some(watch)).await?;
        let (parts, incoming) = res.into_parts();
        Ok(WireResponse {
            status: parts.status,
            headers: Headers::from(parts.headers),
            body: ResponseBody::hyper(incoming, ctx, Some(live)),
        })
    }

    fn failure(&self, e: Failure, ctx: &Ctx) -> Error {
        let daemon = self.target.display();
        match e {
            Failure::TimedOut => head_timed_out(ctx, &daemon),
            Failure::Closed(None) => Error::from(berth_core::Error::Transport(format!(
                "{}: {daemon} closed the connection before answering",
                ctx.what
            ))),
            Failure::Closed(Some(io)) | Failure::Io(io) => Error::with_source(
                berth_core::Error::Transport(format!("{} to {daemon} failed: {io}", ctx.what)),
                io,
            ),
            Failure::CutOff => Error::from(berth_core::Error::Protocol(format!(
                "{} to {daemon} failed: the connection closed in the middle of the response \
                 head (is this a Docker daemon?)",
                ctx.what
            ))),
            Failure::Malformed(e) => Error::from(berth_core::Error::Protocol(format!(
                "{} to {daemon} failed: {} (is this a Docker daemon?)",
                ctx.what,
                protocol_detail(&e)
            ))),
        }
    }

    /// Builds the hyper request of a streamed upload or an upgrade.
    fn build(&self, mut req: WireRequest, upgrade: bool) -> Result<(Prepared, Ctx)> {
        let ctx = self.ctx(&mut req);
        let mut headers: HeaderMap = self
            .client_headers(&req.headers)
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        headers.extend(req.headers);
        headers.insert(header::HOST, self.host_header.clone());
        if upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
            headers.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
        }
        let uri = ctx.what.path.parse::<http::Uri>().map_err(|e| {
            Error::from(berth_core::Error::InvalidArgument(format!(
                "cannot send {}: {e}",
                ctx.what
            )))
        })?;
        Ok((
            Prepared {
                method: req.method,
                uri,
                headers,
                body: Some(req.body),
            },
            ctx,
        ))
    }

    /// Sends a request through hyper and waits for its head. A pooled connection the
    /// daemon closed meanwhile is retried once on a fresh connection when the body can
    /// be replayed.
    ///
    /// With `upload` (a streamed body's progress), the head timeout runs only while
    /// hyper holds a chunk the daemon has not taken, and from the end of the body: a
    /// slow source or a long upload is not cut, a daemon that stops reading is
    /// ([`head_timer`]).
    async fn roundtrip(
        &self,
        mut prepared: Prepared,
        ctx: &Ctx,
        upload: Option<tokio::sync::watch::Receiver<Upload>>,
    ) -> Result<(hyper::Response<hyper::body::Incoming>, Live)> {
        let fut = async {
            let mut live = self.pool.checkout_hyper().await.map_err(connect_error)?;
            loop {
                let (request, replay) = prepared.request()?;
                match live.send(request).await {
                    Ok(res) => return Ok((res, live)),
                    Err(e) if live.reused && replay.is_some() && e.is_stale_connection() => {
                        prepared.body = replay;
                        live = self.pool.connect_hyper().await.map_err(connect_error)?;
                    }
                    Err(e) => return Err(self.send_error(e, ctx)),
                }
            }
        };
        self.with_head_timeout(ctx, upload, fut).await
    }

    fn send_error(&self, e: SendError, ctx: &Ctx) -> Error {
        let Some(h) = e.into_hyper() else {
            return Error::from(berth_core::Error::Transport(format!(
                "{}: {} closed the connection before answering",
                ctx.what,
                self.target.display()
            )));
        };
        let malformed = h.is_parse() || h.is_parse_status() || h.is_incomplete_message();
        let msg = format!(
            "{} to {} failed: {}",
            ctx.what,
            self.target.display(),
            body::error_chain(&h)
        );
        let kind = if malformed {
            berth_core::Error::Protocol(format!("{msg} (is this a Docker daemon?)"))
        } else {
            berth_core::Error::Transport(msg)
        };
        Error::with_source(kind, h)
    }
}

fn head_timed_out(ctx: &Ctx, daemon: &str) -> Error {
    let within = ctx.head_timeout.unwrap_or_default();
    Error::timeout(format!(
        "no response to {} from {daemon} within {within:?}",
        ctx.what
    ))
}

/// What the HTTP/1 codec found wrong, without the category prefix (the message it goes
/// into names the category itself).
fn protocol_detail(e: &berth_core::Error) -> String {
    match e {
        berth_core::Error::Protocol(m) => m.clone(),
        other => other.to_string(),
    }
}

fn connect_error(e: ConnectError) -> Error {
    let kind = if e.timed_out {
        berth_core::Error::Timeout(e.message.clone())
    } else {
        berth_core::Error::Transport(e.message.clone())
    };
    Error::with_source(kind, e)
}

/// A request ready to be sent, keeping a replayable body for one retry.
struct Prepared {
    method: Method,
    uri: http::Uri,
    headers: HeaderMap,
    body: Option<OutgoingBody>,
}

/// Where a streamed upload is, as its [`Watched`] body last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upload {
    /// hyper has not asked for a chunk yet.
    Unsent,
    /// hyper asked and the source had nothing yet: the source is the slow side.
    Waiting,
    /// hyper took a chunk and has not asked for the next: the daemon has it. (Each
    /// chunk is a new send, which the timer sees as progress even though the value is
    /// the same.)
    Sending,
    /// The body ended (or was dropped: failed, or abandoned by hyper).
    Done,
}

/// An upload body reporting its progress (see [`head_timer`]).
struct Watched {
    inner: ByteStream,
    progress: tokio::sync::watch::Sender<Upload>,
}

impl futures_util::Stream for Watched {
    type Item = std::io::Result<Bytes>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let next = self.inner.as_mut().poll_next(cx);
        let state = match &next {
            std::task::Poll::Pending => Upload::Waiting,
            std::task::Poll::Ready(Some(_)) => Upload::Sending,
            std::task::Poll::Ready(None) => Upload::Done,
        };
        self.progress.send_replace(state);
        next
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.progress.send_replace(Upload::Done);
    }
}

/// Ends when a request has waited `t` for its response head. Without `upload` that
/// is `t` from now. With it (a streamed body's progress), only waiting on the daemon
/// counts: `t` with the head unwritten or one chunk untaken, or `t` after the body
/// ended; time the source itself takes does not.
async fn head_timer(upload: Option<tokio::sync::watch::Receiver<Upload>>, t: Duration) {
    if let Some(mut upload) = upload {
        loop {
            let state = *upload.borrow_and_update();
            match state {
                Upload::Done => break,
                Upload::Waiting => {
                    if upload.changed().await.is_err() {
                        break;
                    }
                }
                // The head not written yet, or a chunk not taken: waiting on the daemon.
                Upload::Unsent | Upload::Sending => {
                    match tokio::time::timeout(t, upload.changed()).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => break,
                        // Nothing taken for `t`: the daemon stopped reading.
                        Err(_) => return,
                    }
                }
            }
        }
    }
    tokio::time::sleep(t).await;
}

impl Prepared {
    /// The hyper request, and the body again when it can be replayed (in memory).
    fn request(&mut self) -> Result<(Request<ReqBody>, Option<OutgoingBody>)> {
        let body = self.body.take().unwrap_or(OutgoingBody::Empty);
        let replay = body.try_clone();
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.uri.clone());
        if let Some(h) = builder.headers_mut() {
            h.clone_from(&self.headers);
        }
        let body = body.into_box_body(&mut builder);
        let request = builder.body(body).map_err(|e| {
            Error::from(berth_core::Error::InvalidArgument(format!(
                "cannot build request {} {}: {e}",
                self.method, self.uri
            )))
        })?;
        Ok((request, replay))
    }
}

/// A call's method and target: formatted only when a message names the call, so the
/// request path allocates nothing for error messages that are never written.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: Method,
    path: String,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// What a call is, for error messages, and its timeouts.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) what: Call,
    pub(crate) head_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
}

/// An idle connection taken for a call whose exchange has not begun: dropped before
/// it is used (the call's future dropped unpolled, or the request refused), it goes
/// back to the pool, as nothing was written on it.
struct Taken<'a> {
    conn: Option<Box<Http1>>,
    pool: &'a Pool,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.checkin(conn);
        }
    }
}

impl Transport for HttpTransport {
    fn send(&self, mut request: WireRequest) -> BoxFuture<'_, Result<WireResponse>> {
        // Each path boxes only its own future: a plain call's is a fraction of the
        // streamed upload's, and the box is allocated and filled on every call.
        match std::mem::replace(&mut request.body, OutgoingBody::Empty) {
            OutgoingBody::Empty => Box::pin(self.send_plain(request, None, Bytes::new())),
            OutgoingBody::Full {
                content_type,
                bytes,
            } => Box::pin(self.send_plain(request, Some(content_type), bytes)),
            stream @ OutgoingBody::Stream { .. } => {
                request.body = stream;
                Box::pin(self.send_streamed(request))
            }
        }
    }

    fn upgrade(&self, request: WireRequest) -> BoxFuture<'_, Result<(WireResponse, Duplex)>> {
        Box::pin(async move {
            let (req, ctx) = self.build(request, true)?;
            let (mut res, mut live) = self.roundtrip(req, &ctx, None).await?;
            if res.status() != StatusCode::SWITCHING_PROTOCOLS {
                let (parts, incoming) = res.into_parts();
                let body = ResponseBody::hyper(incoming, ctx.clone(), Some(live));
                let bytes = body.collect_limited(body::ERROR_BODY_LIMIT).await?;
                if parts.status.is_success() {
                    return Err(berth_core::Error::Protocol(format!(
                        "{}: the daemon answered {} instead of upgrading the connection",
                        ctx.what, parts.status
                    ))
                    .into());
                }
                return Err(berth_core::Error::from_response(parts.status.as_u16(), &bytes).into());
            }
            // The connection hands its socket (and bytes it already read) to the upgrade
            // when its I/O future is driven past the 101.
            let mut on_upgrade = hyper::upgrade::on(&mut res);
            let upgraded = std::future::poll_fn(|cx| {
                let _ = live.poll_conn(cx);
                Pin::new(&mut on_upgrade).poll(cx)
            })
            .await
            .map_err(|e| {
                Error::with_source(
                    berth_core::Error::Protocol(format!("{}: upgrade failed: {e}", ctx.what)),
                    e,
                )
            })?;
            let (parts, incoming) = res.into_parts();
            let response = WireResponse {
                status: parts.status,
                headers: Headers::from(parts.headers),
                body: ResponseBody::hyper(incoming, ctx, None),
            };
            Ok((response, Duplex::new(TokioIo::new(upgraded))))
        })
    }

    fn describe(&self) -> String {
        self.target.display()
    }

    fn is_local(&self) -> bool {
        matches!(self.target, Target::Unix(_))
    }
}
