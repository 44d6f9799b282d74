//! The async Docker client.

pub(crate) mod auth;
pub(crate) mod build;
mod builder;
pub(crate) mod container_io;
pub(crate) mod containers;
pub(crate) mod images;
pub(crate) mod networks;
pub(crate) mod plugins;
pub(crate) mod run;
pub(crate) mod secrets;
pub(crate) mod services;
mod session;
mod stream;
pub(crate) mod swarm;
pub(crate) mod system;
pub(crate) mod volumes;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use tokio::sync::OnceCell;

use berth_core::ApiVersion;
use berth_core::api::system::{Ping, PingInfo, Version, api_version_of};
use berth_core::endpoint::{DownloadEndpoint, Endpoint, StreamEndpoint, UpgradeEndpoint};
use berth_core::request::{RequestBody, RequestHead};

pub use builder::DockerBuilder;
pub use session::{Output, OutputStream, Session, SessionInput};
pub use stream::DecodedStream;

use crate::error::{Error, Result};
use crate::transport::{
    ByteStream, OutgoingBody, ResponseBody, Timeouts, Transport, WireRequest, WireResponse,
};

/// Whole bodies larger than this are refused (inspect/list answers are far smaller).
const MAX_JSON_BODY: usize = 256 << 20;

/// A Docker Engine client.
///
/// Cheap to clone (an `Arc`); clones share the connection pool and the negotiated API
/// version. Every method is cancelled by dropping its future.
///
/// ```no_run
/// # async fn demo() -> berth::Result<()> {
/// let docker = berth::Docker::from_env()?;
/// let info = docker.info().await?;
/// println!("{} containers", info.containers.unwrap_or(0));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Docker {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Arc<dyn Transport>,
    timeouts: Timeouts,
    headers: HeaderMap,
    pinned: Option<ApiVersion>,
    negotiated: OnceCell<ApiVersion>,
    /// Registry credentials: logins, config.json, credential helpers.
    auth: std::sync::RwLock<auth::AuthStore>,
}

/// `headers` with berth's `User-Agent` unless they name one.
pub(crate) fn with_user_agent(mut headers: HeaderMap) -> HeaderMap {
    headers
        .entry(header::USER_AGENT)
        .or_insert(HeaderValue::from_static(concat!(
            "berth/",
            env!("CARGO_PKG_VERSION")
        )));
    headers
}

impl fmt::Debug for Docker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Docker")
            .field("transport", &self.inner.transport)
            .field(
                "api",
                &self.inner.negotiated.get().or(self.inner.pinned.as_ref()),
            )
            .finish()
    }
}

/// How long a call may wait for its response head and between body chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallTimeout {
    /// The client's timeouts.
    #[default]
    Default,
    /// No response-head or idle timeout (streams, `wait`).
    None,
    /// The client's timeouts extended by this much (`stop`/`restart` grace periods).
    Extended(std::time::Duration),
    /// The response-head timeout, but no idle timeout: the body is a stream that may
    /// pause for as long as it likes (logs, events, downloads, attach).
    Stream,
}

impl Docker {
    /// A client configured from the environment like the docker CLI and docker-py:
    /// `DOCKER_HOST` (with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), else the context named
    /// by `DOCKER_CONTEXT` or config.json's `currentContext`, else
    /// `unix:///var/run/docker.sock`. `DOCKER_API_VERSION` pins the API version.
    ///
    /// Needs a tokio runtime (the connection pool lives there).
    pub fn from_env() -> Result<Docker> {
        DockerBuilder::from_env()?.build()
    }

    /// A client for `url` (`unix:///var/run/docker.sock`, `tcp://host:2375`,
    /// `ssh://user@host`, …) with default options.
    pub fn connect(url: &str) -> Result<Docker> {
        DockerBuilder::new(url).build()
    }

    /// A builder for TLS, timeouts, a pinned API version and pool options.
    pub fn builder(url: &str) -> DockerBuilder {
        DockerBuilder::new(url)
    }

    /// A client over any [`Transport`].
    pub fn with_transport(transport: Arc<dyn Transport>, timeouts: Timeouts) -> Docker {
        Docker::assemble(transport, timeouts, with_user_agent(HeaderMap::new()), None)
    }

    /// A client over `transport`, adding `headers` to every request (the builder's
    /// transport writes the client's headers itself: it gets none here).
    pub(crate) fn assemble(
        transport: Arc<dyn Transport>,
        timeouts: Timeouts,
        headers: HeaderMap,
        pinned: Option<ApiVersion>,
    ) -> Docker {
        Docker {
            inner: Arc::new(Inner {
                transport,
                timeouts,
                headers,
                pinned,
                negotiated: OnceCell::new(),
                auth: std::sync::RwLock::new(auth::AuthStore::from_env()),
            }),
        }
    }

    /// The transport under this client (the plugin host forwards guests' checked
    /// requests on it).
    #[cfg(feature = "plugins")]
    pub(crate) fn transport(&self) -> &Arc<dyn Transport> {
        &self.inner.transport
    }

    /// The timeouts of this client.
    #[cfg(feature = "plugins")]
    pub(crate) fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    /// Where this client sends requests.
    pub fn daemon_address(&self) -> String {
        self.inner.transport.describe()
    }

    /// The API version in use: the pinned one, or negotiated once from `/_ping`
    /// (falling back to the unversioned `/version`) and clamped to what berth supports.
    pub async fn api_version(&self) -> Result<ApiVersion> {
        if let Some(v) = self.inner.pinned {
            return Ok(v);
        }
        if let Some(v) = self.inner.negotiated.get() {
            return Ok(*v);
        }
        // Once per client: boxed, so every call's future does not carry the
        // negotiation's (two calls' worth of state).
        Box::pin(self.inner.negotiated.get_or_try_init(|| self.negotiate()))
            .await
            .copied()
    }

    async fn negotiate(&self) -> Result<ApiVersion> {
        let ping = self
            .call(&Ping, ApiVersion::MAX, CallTimeout::Default)
            .await?;
        let server = match ping.api_version {
            Some(v) => v,
            None => {
                let v = self
                    .call(
                        &Version { versioned: false },
                        ApiVersion::MAX,
                        CallTimeout::Default,
                    )
                    .await?;
                api_version_of(&v)?
            }
        };
        Ok(ApiVersion::negotiate(server)?)
    }

    /// Runs an endpoint whose answer is read whole.
    pub async fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output> {
        self.execute_with(endpoint, CallTimeout::Default).await
    }

    /// Runs an endpoint with a specific timeout policy.
    pub async fn execute_with<E: Endpoint>(
        &self,
        endpoint: &E,
        timeout: CallTimeout,
    ) -> Result<E::Output> {
        let api = self.api_version().await?;
        self.call(endpoint, api, timeout).await
    }

    async fn call<E: Endpoint>(
        &self,
        endpoint: &E,
        api: ApiVersion,
        timeout: CallTimeout,
    ) -> Result<E::Output> {
        let head = endpoint.request(api)?;
        let mut res = self.send(head, None, timeout).await?;
        let status = res.status.as_u16();
        let body = res.body.read_to_end(MAX_JSON_BODY).await?;
        Ok(endpoint.parse_owned(status, &res.headers, body)?)
    }

    /// Runs a streaming endpoint; the answer's items arrive through the returned stream.
    /// Streams have no idle timeout: an event stream may be silent for hours.
    pub async fn stream<E: StreamEndpoint>(
        &self,
        endpoint: &E,
    ) -> Result<DecodedStream<E::Decoder>> {
        let api = self.api_version().await?;
        let head = endpoint.request(api)?;
        let res = self.send(head, None, CallTimeout::None).await?;
        let status = res.status.as_u16();
        if !res.status.is_success() {
            let body = res
                .body
                .collect_limited(crate::transport::ERROR_BODY_LIMIT)
                .await?;
            return Err(berth_core::Error::from_response(status, &body).into());
        }
        let decoder = endpoint.decoder(status, &res.headers)?;
        Ok(DecodedStream::new(res.body, decoder))
    }

    /// Sends a request head with an optional streamed body.
    pub(crate) async fn send(
        &self,
        head: RequestHead,
        upload: Option<crate::transport::ByteStream>,
        timeout: CallTimeout,
    ) -> Result<WireResponse> {
        let request = self.wire(head, upload, timeout)?;
        self.inner.transport.send(request).await
    }

    fn wire(
        &self,
        head: RequestHead,
        upload: Option<crate::transport::ByteStream>,
        timeout: CallTimeout,
    ) -> Result<WireRequest> {
        // Empty when the transport writes the client's headers itself (no allocation).
        let mut headers = self.inner.headers.clone();
        for (name, value) in head.headers {
            let v = HeaderValue::from_str(&value).map_err(|_| {
                Error::from(berth_core::Error::InvalidArgument(format!(
                    "header {name} has a value that cannot be sent: {value:?}"
                )))
            })?;
            headers.append(name, v);
        }
        let body = match (head.body, upload) {
            (RequestBody::Empty, None) => OutgoingBody::Empty,
            (RequestBody::Json(bytes), None) => OutgoingBody::Full {
                content_type: "application/json",
                bytes,
            },
            (RequestBody::Stream { content_type }, Some(stream)) => OutgoingBody::Stream {
                content_type,
                stream,
            },
            (RequestBody::Stream { content_type }, None) => OutgoingBody::Full {
                content_type,
                bytes: Bytes::new(),
            },
            (_, Some(_)) => {
                return Err(berth_core::Error::InvalidArgument(format!(
                    "{} {} takes no upload body",
                    head.method, head.path
                ))
                .into());
            }
        };
        let t = self.inner.timeouts;
        let (head_timeout, idle_timeout) = match timeout {
            CallTimeout::Default => (t.response_head, t.idle_read),
            CallTimeout::None => (None, None),
            CallTimeout::Stream => (t.response_head, None),
            CallTimeout::Extended(d) => {
                (t.response_head.map(|x| x + d), t.idle_read.map(|x| x + d))
            }
        };
        Ok(WireRequest {
            method: head.method,
            path: head.path,
            headers,
            body,
            head_timeout,
            idle_timeout,
        })
    }

    /// Runs an endpoint whose response body is opaque bytes (tar archives): returns what
    /// the response head says and the body, streamed with backpressure.
    pub async fn download<E: DownloadEndpoint>(
        &self,
        endpoint: &E,
    ) -> Result<(E::Meta, ResponseBody)> {
        let api = self.api_version().await?;
        let res = self
            .send(endpoint.request(api)?, None, CallTimeout::Stream)
            .await?;
        let res = error_for_status(res).await?;
        let meta = endpoint.meta(res.status.as_u16(), &res.headers)?;
        Ok((meta, res.body))
    }

    /// Runs an endpoint whose request body is streamed by the caller (tar uploads).
    pub async fn upload<E: Endpoint>(&self, endpoint: &E, body: ByteStream) -> Result<E::Output> {
        let api = self.api_version().await?;
        let head = endpoint.request(api)?;
        let mut res = self.send(head, Some(body), CallTimeout::Stream).await?;
        let status = res.status.as_u16();
        let bytes = res.body.read_to_end(MAX_JSON_BODY).await?;
        Ok(endpoint.parse_owned(status, &res.headers, bytes)?)
    }

    /// Runs an endpoint whose request body is streamed by the caller and whose answer
    /// is a stream of items (build: a tar context in, progress out). The body is only
    /// sent when the endpoint's request takes one (a remote build has none). No
    /// response-head or idle timeout: the daemon answers after reading the whole body.
    pub async fn upload_stream<E: StreamEndpoint>(
        &self,
        endpoint: &E,
        body: ByteStream,
    ) -> Result<DecodedStream<E::Decoder>> {
        let api = self.api_version().await?;
        let head = endpoint.request(api)?;
        let upload = matches!(head.body, RequestBody::Stream { .. }).then_some(body);
        let res = self.send(head, upload, CallTimeout::None).await?;
        let res = error_for_status(res).await?;
        let decoder = endpoint.decoder(res.status.as_u16(), &res.headers)?;
        Ok(DecodedStream::new(res.body, decoder))
    }

    /// Runs an endpoint that upgrades the connection (attach, exec start): returns the
    /// duplex session carrying stdin and the decoded output.
    pub async fn upgrade<E: UpgradeEndpoint>(&self, endpoint: &E) -> Result<Session> {
        let api = self.api_version().await?;
        let request = self.wire(endpoint.request(api)?, None, CallTimeout::Stream)?;
        let (res, duplex) = self.inner.transport.upgrade(request).await?;
        Ok(Session::new(duplex, endpoint.decoder(&res.headers)))
    }

    /// `GET /_ping`: is the daemon alive? Also reports its API version and OS.
    pub async fn ping(&self) -> Result<PingInfo> {
        self.call(&Ping, ApiVersion::MAX, CallTimeout::Default)
            .await
    }
}

/// Passes a 2xx response through; reads an error response's body into the daemon's
/// categorised error.
async fn error_for_status(res: WireResponse) -> Result<WireResponse> {
    if res.status.is_success() {
        return Ok(res);
    }
    let status = res.status.as_u16();
    let body = res
        .body
        .collect_limited(crate::transport::ERROR_BODY_LIMIT)
        .await?;
    Err(berth_core::Error::from_response(status, &body).into())
}

/// The id of an object answer (`what`: "container inspect", "service", …): the typed
/// view's when it has one, else the raw JSON's field `key`; a `Decode` error when there
/// is none.
pub(crate) fn id_of<T: serde::de::DeserializeOwned>(
    attrs: &berth_core::Typed<T>,
    typed_id: impl FnOnce(&T) -> Option<&str>,
    key: &str,
    what: &str,
) -> Result<String> {
    attrs
        .object_id(typed_id, key)
        .ok_or_else(|| berth_core::Error::Decode(format!("{what} answer has no {key}")).into())
}
