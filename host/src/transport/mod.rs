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
mod ssh;
mod tls;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

pub(crate) use body::ERROR_BODY_LIMIT;
pub use body::{ByteStream, Duplex, OutgoingBody, ResponseBody, bytes_stream, reader_stream};
pub use connector::Target;
pub use ssh::SshStream;
pub use tls::{TlsConfigError, TlsSettings, client_config as tls_client_config};

use crate::error::{Error, Result};
use connector::{ConnectError, Connector};

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
    /// Headers.
    pub headers: HeaderMap,
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
}

/// The standard transport: hyper's HTTP/1.1 client with a keep-alive connection pool.
#[derive(Clone)]
pub struct HttpTransport {
    client: Client<Connector, UnsyncBoxBody<Bytes, std::io::Error>>,
    target: Target,
    host_header: HeaderValue,
    path_prefix: String,
    timeouts: Timeouts,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("target", &self.target)
            .field("path_prefix", &self.path_prefix)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

/// Pool sizing of an [`HttpTransport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Idle connections kept per daemon. Default 32.
    pub max_idle: usize,
    /// How long an idle connection is kept. Default 90 s.
    pub idle_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> PoolOptions {
        PoolOptions {
            max_idle: 32,
            idle_timeout: Duration::from_secs(90),
        }
    }
}

impl HttpTransport {
    /// A pooled transport to `target`. `path_prefix` (from a `base_url` like
    /// `tcp://h:2375/docker`) goes in front of every path.
    ///
    /// Must be called within a tokio runtime context (the pool spawns its connection
    /// tasks there).
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
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool.max_idle)
            .pool_idle_timeout(pool.idle_timeout)
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .build(connector);
        Ok(HttpTransport {
            client,
            target,
            host_header,
            path_prefix: path_prefix.trim_end_matches('/').to_owned(),
            timeouts,
        })
    }

    /// The timeouts this transport was built with.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    fn build(&self, req: WireRequest, upgrade: bool) -> Result<(Request<OutgoingBodyBox>, Ctx)> {
        let uri = format!("http://localhost{}{}", self.path_prefix, req.path);
        let mut builder = Request::builder().method(req.method.clone()).uri(&uri);
        let ctx = Ctx {
            what: format!("{} {}", req.method, req.path),
            head_timeout: req.head_timeout,
            idle_timeout: req.idle_timeout,
        };
        if let Some(h) = builder.headers_mut() {
            *h = req.headers;
            h.insert(header::HOST, self.host_header.clone());
            if upgrade {
                h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
                h.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
            }
        }
        let body = req.body.into_box_body(&mut builder);
        let request = builder.body(body).map_err(|e| {
            Error::from(berth_core::Error::InvalidArgument(format!(
                "cannot build request {}: {e}",
                ctx.what
            )))
        })?;
        Ok((request, ctx))
    }

    async fn roundtrip(
        &self,
        request: Request<OutgoingBodyBox>,
        ctx: &Ctx,
    ) -> Result<hyper::Response<hyper::body::Incoming>> {
        let fut = self.client.request(request);
        let res = match ctx.head_timeout {
            Some(t) => match tokio::time::timeout(t, fut).await {
                Ok(r) => r,
                Err(_) => {
                    return Err(Error::timeout(format!(
                        "no response to {} from {} within {t:?}",
                        ctx.what,
                        self.target.display()
                    )));
                }
            },
            None => fut.await,
        };
        res.map_err(|e| self.client_error(e, ctx))
    }

    fn client_error(&self, e: hyper_util::client::legacy::Error, ctx: &Ctx) -> Error {
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
        while let Some(s) = src {
            if let Some(c) = s.downcast_ref::<ConnectError>() {
                let kind = if c.timed_out {
                    berth_core::Error::Timeout(c.message.clone())
                } else {
                    berth_core::Error::Transport(c.message.clone())
                };
                return Error::with_source(kind, e);
            }
            src = s.source();
        }
        let malformed = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<hyper::Error>())
            .is_some_and(|h| h.is_parse() || h.is_parse_status() || h.is_incomplete_message());
        let msg = format!(
            "{} to {} failed: {}",
            ctx.what,
            self.target.display(),
            body::error_chain(&e)
        );
        let kind = if malformed {
            berth_core::Error::Protocol(format!("{msg} (is this a Docker daemon?)"))
        } else {
            berth_core::Error::Transport(msg)
        };
        Error::with_source(kind, e)
    }
}

type OutgoingBodyBox = UnsyncBoxBody<Bytes, std::io::Error>;

/// What a call is, for error messages, and its timeouts.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) what: String,
    pub(crate) head_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
}

impl Transport for HttpTransport {
    fn send(&self, request: WireRequest) -> BoxFuture<'_, Result<WireResponse>> {
        Box::pin(async move {
            let (req, ctx) = self.build(request, false)?;
            let res = self.roundtrip(req, &ctx).await?;
            let (parts, incoming) = res.into_parts();
            Ok(WireResponse {
                status: parts.status,
                headers: parts.headers,
                body: ResponseBody::new(incoming, ctx),
            })
        })
    }

    fn upgrade(&self, request: WireRequest) -> BoxFuture<'_, Result<(WireResponse, Duplex)>> {
        Box::pin(async move {
            let (req, ctx) = self.build(request, true)?;
            let mut res = self.roundtrip(req, &ctx).await?;
            if res.status() != StatusCode::SWITCHING_PROTOCOLS {
                let (parts, incoming) = res.into_parts();
                let body = ResponseBody::new(incoming, ctx.clone());
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
            let upgraded = hyper::upgrade::on(&mut res).await.map_err(|e| {
                Error::with_source(
                    berth_core::Error::Protocol(format!("{}: upgrade failed: {e}", ctx.what)),
                    e,
                )
            })?;
            let (parts, incoming) = res.into_parts();
            let response = WireResponse {
                status: parts.status,
                headers: parts.headers,
                body: ResponseBody::new(incoming, ctx),
            };
            Ok((response, Duplex::new(TokioIo::new(upgraded))))
        })
    }

    fn describe(&self) -> String {
        self.target.display()
    }
}
