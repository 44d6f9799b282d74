//! The host side of WIT `transport`: every guest request goes through the policy, then
//! the client's native transport.
//!
//! Guards against a guest that tries to exhaust the host: one `read` returns at most
//! [`READ_MAX`] bytes whatever `max` asks; a response read whole is capped (the grant's
//! byte quota or [`WHOLE_BODY_MAX`]); a chunked upload is held to [`UPLOAD_MAX`]; every
//! byte that crosses counts against the grant's byte quota; resource handles live in a
//! capacity-capped table, so opening streams without dropping them ends with
//! `limit-exceeded`.

use std::sync::Arc;
use std::time::Duration;

use berth_core::headers::Headers;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime::{ResourceLimiter, StoreLimits};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use berth_core::policy::{Allowed, Operation, Policy, RequestView, Verdict};

use super::audit::{Audit, now_ms};
use super::bindings::berth::engine::transport::{
    Host, HostDuplex, HostIncomingBody, HostOutgoingRequest, Request, Response, StreamedResponse,
    Upgraded,
};
use super::bindings::berth::engine::types::{self, DaemonError, ErrorCode};
use crate::transport::{Duplex, OutgoingBody, ResponseBody, Transport, WireRequest, WireResponse};

/// Most bytes one `read` hands the guest, whatever it asks for.
pub const READ_MAX: usize = 1 << 20;
/// Most bytes of a response `send` reads whole (the grant's byte quota may lower it).
pub const WHOLE_BODY_MAX: usize = 64 << 20;
/// Most bytes of a request body written in chunks (`start-request`): the body is held
/// until `finish` so the policy can read it whole before anything leaves.
pub const UPLOAD_MAX: usize = 64 << 20;
/// Most bytes of an answer read for a policy lookup (an inspect).
const LOOKUP_MAX: usize = 4 << 20;
/// Most lookups one request may need: the object of the path (exec start → exec inspect →
/// container inspect) plus every object a create body refers to (volumes, networks,
/// containers whose namespaces it shares — at most `MAX_REFERENCES`).
const MAX_LOOKUPS: usize = berth_core::policy::MAX_REFERENCES + 2;

/// A response body the guest reads in chunks.
#[derive(Debug)]
pub struct IncomingBody {
    body: Option<ResponseBody>,
    /// Bytes of a chunk larger than what the guest asked for.
    pending: Bytes,
}

/// A request whose body the guest writes in chunks.
#[derive(Debug)]
pub struct OutgoingRequest {
    upload: Upload,
}

#[derive(Debug)]
enum Upload {
    /// A body the policy must read whole (JSON): held until `finish`, then checked
    /// like a `send`, so chunking cannot hide a field.
    Buffered { head: Request, body: Vec<u8> },
    /// A body the policy does not read (archives, build contexts): the request was
    /// checked and is on its way, chunks flow straight to the daemon.
    Streaming(Streaming),
}

/// A request in flight whose body is still being written.
#[derive(Debug)]
struct Streaming {
    chunks: Option<mpsc::Sender<std::io::Result<Bytes>>>,
    response: JoinHandle<crate::Result<WireResponse>>,
    operation: Operation,
}

impl Drop for Streaming {
    fn drop(&mut self) {
        // Dropped without `finish` (or the run ended): abandon the request.
        self.response.abort();
    }
}

/// An upgraded connection (attach, exec start).
#[derive(Debug)]
pub struct DuplexConn {
    io: Duplex,
    write_closed: bool,
}

/// A memory limiter that remembers the largest linear memory the guest asked for.
#[derive(Debug)]
pub struct Limiter {
    pub(crate) limits: StoreLimits,
    pub(crate) peak: usize,
    pub(crate) refused: Option<usize>,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = self.limits.memory_growing(current, desired, maximum);
        match ok {
            Ok(true) => self.peak = self.peak.max(desired),
            _ => self.refused = Some(desired),
        }
        ok
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// The per-run state of a store.
pub struct State {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) gate: Gate,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The policy check and the wire behind it.
pub struct Gate {
    pub(crate) policy: Policy,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) head_timeout: Option<Duration>,
    pub(crate) audit: Audit,
    /// Cap of a response read whole.
    pub(crate) whole_max: usize,
}

/// An allowed request, ready for the wire.
struct Cleared {
    allowed: Allowed,
    method: Method,
    headers: HeaderMap,
}

/// Why a request did not leave.
enum Refused {
    /// The guest gets this error.
    Error(ErrorCode),
    /// The object does not exist: the guest gets the daemon's 404 with this message,
    /// as if the request had been sent.
    NotFound(String),
    /// (Probe of a chunked upload only.) The policy must read this body whole.
    NeedsBody,
}

impl From<ErrorCode> for Refused {
    fn from(e: ErrorCode) -> Refused {
        Refused::Error(e)
    }
}

impl Refused {
    fn into_error(self) -> ErrorCode {
        match self {
            Refused::Error(e) => e,
            Refused::NotFound(message) => ErrorCode::NotFound(DaemonError {
                status: 404,
                message,
            }),
            Refused::NeedsBody => {
                ErrorCode::InvalidArgument("this request needs its whole body".into())
            }
        }
    }
}

/// A daemon-style error body.
fn message_body(message: &str) -> Vec<u8> {
    serde_json::json!({ "message": message })
        .to_string()
        .into_bytes()
}

impl Gate {
    /// Runs the policy over a request (with the lookups it asks for) and audits the
    /// decision. `body` is `None` for a body the policy cannot see.
    async fn clear(&mut self, req: &Request, body: Option<&[u8]>) -> Result<Cleared, Refused> {
        self.decide(req, body, false).await
    }

    /// [`clear`](Self::clear); with `probe`, a refusal only because the body is not
    /// visible is `NeedsBody` (not audited: the request is checked again with it).
    async fn decide(
        &mut self,
        req: &Request,
        body: Option<&[u8]>,
        probe: bool,
    ) -> Result<Cleared, Refused> {
        let view = RequestView {
            method: &req.method,
            path: &req.path,
            headers: &req.headers,
            body,
        };
        let mut verdict = self.policy.check(&view, now_ms());
        for _ in 0..=MAX_LOOKUPS {
            match verdict {
                Verdict::Allow(allowed) => {
                    self.audit.allowed(&req.method, &req.path, &allowed);
                    let method = Method::from_bytes(req.method.as_bytes()).map_err(|_| {
                        ErrorCode::InvalidArgument(format!("bad method {:?}", req.method))
                    })?;
                    let headers = guest_headers(&allowed.headers)?;
                    return Ok(Cleared {
                        allowed,
                        method,
                        headers,
                    });
                }
                Verdict::Deny(denial) => {
                    if probe && denial.rule == "streamed-json-body" {
                        return Err(Refused::NeedsBody);
                    }
                    self.audit.denied(&req.method, &req.path, &denial);
                    if denial.status == Some(404) {
                        return Err(Refused::NotFound(denial.reason));
                    }
                    return Err(ErrorCode::PolicyDenied(denial.to_string()).into());
                }
                Verdict::Lookup(lookup) => {
                    let (status, answer) = self.lookup(&lookup.inspect_path).await?;
                    verdict = self.policy.check_lookup(&lookup, status, &answer);
                }
            }
        }
        let reason = format!("{} {}: too many policy lookups", req.method, req.path);
        self.audit
            .refused(&req.method, &req.path, "lookup", &reason);
        Err(ErrorCode::PolicyDenied(reason).into())
    }

    /// `GET path` for the policy itself (never seen by the guest).
    async fn lookup(&self, path: &str) -> Result<(u16, Bytes), ErrorCode> {
        let res = self
            .transport
            .send(WireRequest {
                method: Method::GET,
                path: path.to_owned(),
                headers: HeaderMap::new(),
                body: OutgoingBody::Empty,
                head_timeout: self.head_timeout,
                idle_timeout: self.head_timeout,
            })
            .await
            .map_err(error_code)?;
        let status = res.status.as_u16();
        let body = res
            .body
            .collect_limited(LOOKUP_MAX)
            .await
            .map_err(error_code)?;
        Ok((status, body))
    }

    /// Sends a cleared request and returns the response head and body.
    async fn forward(
        &mut self,
        cleared: Cleared,
        body: Vec<u8>,
        stream_idle: bool,
    ) -> Result<WireResponse, ErrorCode> {
        self.count(body.len())?;
        let Cleared {
            allowed,
            method,
            headers,
        } = cleared;
        let body = if body.is_empty() {
            OutgoingBody::Empty
        } else {
            OutgoingBody::Full {
                content_type: content_type_of(&headers),
                bytes: Bytes::from(body),
            }
        };
        let request = WireRequest {
            method,
            path: allowed.path,
            headers,
            body,
            head_timeout: self.head_timeout,
            idle_timeout: if stream_idle { None } else { self.head_timeout },
        };
        match self.transport.send(request).await {
            Ok(res) => Ok(res),
            Err(e) => {
                self.policy.observe(&allowed.operation, 0, &[]);
                Err(error_code(e))
            }
        }
    }

    /// Starts a cleared request whose body follows in chunks: the request runs in a
    /// task fed by a small channel (backpressure: a chunk waits until the wire took
    /// the ones before).
    fn start(&self, cleared: Cleared) -> Streaming {
        let Cleared {
            allowed,
            method,
            headers,
        } = cleared;
        let (tx, mut rx) = mpsc::channel::<std::io::Result<Bytes>>(4);
        let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let request = WireRequest {
            method,
            path: allowed.path,
            body: OutgoingBody::Stream {
                content_type: content_type_of(&headers),
                stream: Box::pin(stream),
            },
            headers,
            head_timeout: None,
            idle_timeout: None,
        };
        let transport = self.transport.clone();
        Streaming {
            chunks: Some(tx),
            response: tokio::spawn(async move { transport.send(request).await }),
            operation: allowed.operation,
        }
    }

    /// Counts bytes against the grant's quota.
    fn count(&mut self, n: usize) -> Result<(), ErrorCode> {
        self.policy
            .count_bytes(n as u64)
            .map_err(|d| ErrorCode::LimitExceeded(d.to_string()))
    }
}

/// The headers of a cleared request: the host frames bodies and owns the connection,
/// so the guest's hop-by-hop and framing headers never reach the wire.
fn guest_headers(headers: &[(String, String)]) -> Result<HeaderMap, ErrorCode> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ErrorCode::InvalidArgument(format!("bad header name {name:?}")))?;
        if matches!(
            name.as_str(),
            "host"
                | "connection"
                | "upgrade"
                | "content-length"
                | "transfer-encoding"
                | "te"
                | "trailer"
                | "keep-alive"
                | "proxy-connection"
                | "expect"
        ) {
            continue;
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| ErrorCode::InvalidArgument(format!("header {name} has a bad value")))?;
        map.append(name, value);
    }
    Ok(map)
}

/// The body's content type as the transport wants it (a static string).
fn content_type_of(headers: &HeaderMap) -> &'static str {
    let ct = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ct.split(';').next().unwrap_or("").trim() {
        "application/json" => "application/json",
        "application/x-tar" => "application/x-tar",
        "application/tar" => "application/tar",
        "text/plain" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// A berth error as the WIT `error-code`.
pub(crate) fn error_code(e: crate::Error) -> ErrorCode {
    use berth_core::Error as E;
    let d = |m: berth_core::error::DaemonMessage| DaemonError {
        status: m.status,
        message: m.message,
    };
    match e.into_kind() {
        E::NotModified(m) => ErrorCode::NotModified(d(m)),
        E::BadRequest(m) => ErrorCode::BadRequest(d(m)),
        E::Unauthorized(m) => ErrorCode::Unauthorized(d(m)),
        E::Forbidden(m) => ErrorCode::Forbidden(d(m)),
        E::NotFound(m) => ErrorCode::NotFound(d(m)),
        E::ImageNotFound(m) => ErrorCode::ImageNotFound(d(m)),
        E::NotInSwarm(m) => ErrorCode::NotInSwarm(d(m)),
        E::Conflict(m) => ErrorCode::Conflict(d(m)),
        E::Server(m) => ErrorCode::Server(d(m)),
        E::NotImplemented(m) => ErrorCode::NotImplemented(d(m)),
        E::Unavailable(m) => ErrorCode::Unavailable(d(m)),
        E::Api(m) => ErrorCode::Api(d(m)),
        E::Stream { message, .. } => ErrorCode::StreamFailed(message),
        E::InvalidArgument(m) => ErrorCode::InvalidArgument(m),
        E::Decode(m) => ErrorCode::Decode(m),
        E::Protocol(m) => ErrorCode::Protocol(m),
        e @ E::UnsupportedApiVersion { .. } => ErrorCode::UnsupportedApiVersion(e.to_string()),
        E::PolicyDenied(m) => ErrorCode::PolicyDenied(m),
        E::Transport(m) => ErrorCode::Transport(m),
        E::Timeout(m) => ErrorCode::Timeout(m),
        E::Cancelled => ErrorCode::Cancelled,
        e @ E::ContainerExit { .. } => ErrorCode::ContainerExit(e.to_string()),
        other => ErrorCode::Transport(other.to_string()),
    }
}

/// The headers as the guest sees them: names lower-cased (as an `http::HeaderMap`
/// gives them, whatever case the daemon sent), in the order they arrived.
fn response_headers(h: &Headers) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}

/// Puts a resource in the table, or tells the guest it holds too many.
fn push<T: Send + 'static>(table: &mut ResourceTable, value: T) -> Result<Resource<T>, ErrorCode> {
    table.push(value).map_err(|_| {
        ErrorCode::LimitExceeded("too many open handles (drop bodies and connections)".into())
    })
}

impl types::Host for State {}

impl Host for State {
    async fn send(&mut self, req: Request) -> wasmtime::Result<Result<Response, ErrorCode>> {
        Ok(self.send_whole(req).await)
    }

    async fn send_streaming(
        &mut self,
        req: Request,
    ) -> wasmtime::Result<Result<StreamedResponse, ErrorCode>> {
        Ok(self.send_stream(req).await)
    }

    async fn start_request(
        &mut self,
        head: Request,
    ) -> wasmtime::Result<Result<Resource<OutgoingRequest>, ErrorCode>> {
        Ok(self.start_upload(head).await)
    }

    async fn upgrade(&mut self, req: Request) -> wasmtime::Result<Result<Upgraded, ErrorCode>> {
        Ok(self.send_upgrade(req).await)
    }
}

impl State {
    async fn start_upload(
        &mut self,
        head: Request,
    ) -> Result<Resource<OutgoingRequest>, ErrorCode> {
        if !head.body.is_empty() {
            return Err(ErrorCode::InvalidArgument(
                "start-request takes the body through write, not in the head".into(),
            ));
        }
        // Take the handle first: a guest at its handle cap sends nothing more.
        let handle = push(
            &mut self.table,
            OutgoingRequest {
                upload: Upload::Buffered {
                    head: head.clone(),
                    body: Vec::new(),
                },
            },
        )?;
        match self.gate.decide(&head, None, true).await {
            Ok(cleared) => {
                let streaming = self.gate.start(cleared);
                match self.table.get_mut(&handle) {
                    Ok(slot) => slot.upload = Upload::Streaming(streaming),
                    Err(e) => return Err(ErrorCode::Transport(e.to_string())),
                }
                Ok(handle)
            }
            Err(Refused::NeedsBody) => Ok(handle),
            Err(refused) => {
                let _ = self.table.delete(handle);
                Err(refused.into_error())
            }
        }
    }

    async fn send_whole(&mut self, mut req: Request) -> Result<Response, ErrorCode> {
        let body = std::mem::take(&mut req.body);
        let cleared = match self.gate.clear(&req, Some(&body)).await {
            Ok(c) => c,
            Err(Refused::NotFound(message)) => {
                return Ok(Response {
                    status: 404,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: message_body(&message),
                });
            }
            Err(refused) => return Err(refused.into_error()),
        };
        let operation = cleared.allowed.operation.clone();
        let res = self.gate.forward(cleared, body, false).await?;
        let status = res.status.as_u16();
        let headers = response_headers(&res.headers);
        let mut body_stream = res.body;
        let mut bytes = Vec::new();
        while let Some(chunk) = body_stream.chunk().await {
            let chunk = chunk.map_err(error_code)?;
            self.gate.count(chunk.len())?;
            if bytes.len() + chunk.len() > self.gate.whole_max {
                self.gate.audit.refused(
                    &req.method,
                    &req.path,
                    "response-size",
                    &format!("response larger than {} bytes", self.gate.whole_max),
                );
                return Err(ErrorCode::LimitExceeded(format!(
                    "the response to {} {} is larger than {} bytes: read it with send-streaming",
                    req.method, req.path, self.gate.whole_max
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        self.gate.policy.observe(&operation, status, &bytes);
        Ok(Response {
            status,
            headers,
            body: bytes,
        })
    }

    async fn send_stream(&mut self, req: Request) -> Result<StreamedResponse, ErrorCode> {
        // Take the handle first: a guest at its handle cap sends nothing more.
        let handle = push(
            &mut self.table,
            IncomingBody {
                body: None,
                pending: Bytes::new(),
            },
        )?;
        let (status, headers, body) = match self.stream_head(req).await {
            Ok(r) => r,
            Err(e) => {
                let _ = self.table.delete(handle);
                return Err(e);
            }
        };
        match self.table.get_mut(&handle) {
            Ok(slot) => *slot = body,
            Err(e) => return Err(ErrorCode::Transport(e.to_string())),
        }
        Ok(StreamedResponse {
            status,
            headers,
            body: handle,
        })
    }

    /// Checks and sends a request whose answer is streamed.
    async fn stream_head(
        &mut self,
        mut req: Request,
    ) -> Result<(u16, Vec<(String, String)>, IncomingBody), ErrorCode> {
        let body = std::mem::take(&mut req.body);
        let cleared = match self.gate.clear(&req, Some(&body)).await {
            Ok(c) => c,
            Err(Refused::NotFound(message)) => {
                return Ok((
                    404,
                    vec![("content-type".into(), "application/json".into())],
                    IncomingBody {
                        body: None,
                        pending: Bytes::from(message_body(&message)),
                    },
                ));
            }
            Err(refused) => return Err(refused.into_error()),
        };
        let operation: Operation = cleared.allowed.operation.clone();
        let res = self.gate.forward(cleared, body, true).await?;
        let status = res.status.as_u16();
        self.gate.policy.observe(&operation, status, &[]);
        Ok((
            status,
            response_headers(&res.headers),
            IncomingBody {
                body: Some(res.body),
                pending: Bytes::new(),
            },
        ))
    }

    async fn send_upgrade(&mut self, mut req: Request) -> Result<Upgraded, ErrorCode> {
        let body = std::mem::take(&mut req.body);
        let cleared = self
            .gate
            .clear(&req, Some(&body))
            .await
            .map_err(Refused::into_error)?;
        self.gate.count(body.len())?;
        let content_type = content_type_of(&cleared.headers);
        let request = WireRequest {
            method: cleared.method,
            path: cleared.allowed.path.clone(),
            headers: cleared.headers,
            body: if body.is_empty() {
                OutgoingBody::Empty
            } else {
                OutgoingBody::Full {
                    content_type,
                    bytes: Bytes::from(body),
                }
            },
            head_timeout: self.gate.head_timeout,
            idle_timeout: None,
        };
        let (res, io) = self
            .gate
            .transport
            .upgrade(request)
            .await
            .map_err(error_code)?;
        let connection = push(
            &mut self.table,
            DuplexConn {
                io,
                write_closed: false,
            },
        )?;
        Ok(Upgraded {
            status: res.status.as_u16(),
            headers: response_headers(&res.headers),
            connection,
        })
    }
}

/// A guest's `max` as a buffer size: at least 1, at most [`READ_MAX`].
fn read_size(max: u64) -> usize {
    usize::try_from(max).unwrap_or(READ_MAX).clamp(1, READ_MAX)
}

impl HostIncomingBody for State {
    async fn read(
        &mut self,
        this: Resource<IncomingBody>,
        max: u64,
    ) -> wasmtime::Result<Result<Vec<u8>, ErrorCode>> {
        let max = read_size(max);
        let slot = self.table.get_mut(&this)?;
        let chunk = if !slot.pending.is_empty() {
            let n = max.min(slot.pending.len());
            slot.pending.split_to(n)
        } else {
            let Some(body) = slot.body.as_mut() else {
                return Ok(Ok(Vec::new()));
            };
            match body.chunk().await {
                None => {
                    slot.body = None;
                    return Ok(Ok(Vec::new()));
                }
                Some(Err(e)) => {
                    slot.body = None;
                    return Ok(Err(error_code(e)));
                }
                Some(Ok(mut chunk)) => {
                    if chunk.len() > max {
                        slot.pending = chunk.split_off(max);
                    }
                    chunk
                }
            }
        };
        if let Err(e) = self.gate.count(chunk.len()) {
            // Over quota: the stream ends here for the guest.
            if let Ok(slot) = self.table.get_mut(&this) {
                slot.body = None;
                slot.pending = Bytes::new();
            }
            return Ok(Err(e));
        }
        Ok(Ok(chunk.to_vec()))
    }

    async fn drop(&mut self, this: Resource<IncomingBody>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl HostOutgoingRequest for State {
    async fn write(
        &mut self,
        this: Resource<OutgoingRequest>,
        chunk: Vec<u8>,
    ) -> wasmtime::Result<Result<(), ErrorCode>> {
        let n = chunk.len();
        let slot = self.table.get_mut(&this)?;
        let sender = match &mut slot.upload {
            Upload::Buffered { body, .. } => {
                if body.len() + n > UPLOAD_MAX {
                    return Ok(Err(ErrorCode::LimitExceeded(format!(
                        "a chunked JSON request body may hold at most {UPLOAD_MAX} bytes"
                    ))));
                }
                body.extend_from_slice(&chunk);
                return Ok(Ok(()));
            }
            Upload::Streaming(s) => match &s.chunks {
                Some(tx) => tx.clone(),
                None => return Ok(Err(ErrorCode::InvalidArgument("write after finish".into()))),
            },
        };
        if let Err(e) = self.gate.count(n) {
            return Ok(Err(e));
        }
        if sender.send(Ok(Bytes::from(chunk))).await.is_err() {
            return Ok(Err(ErrorCode::Transport(
                "the request ended before its body was written".into(),
            )));
        }
        Ok(Ok(()))
    }

    async fn finish(
        &mut self,
        this: Resource<OutgoingRequest>,
    ) -> wasmtime::Result<Result<StreamedResponse, ErrorCode>> {
        let OutgoingRequest { upload } = self.table.delete(this)?;
        match upload {
            Upload::Buffered { mut head, body } => {
                head.body = body;
                Ok(self.send_stream(head).await)
            }
            Upload::Streaming(mut s) => {
                // Take the handle first: a guest at its handle cap gets no response.
                let handle = match push(
                    &mut self.table,
                    IncomingBody {
                        body: None,
                        pending: Bytes::new(),
                    },
                ) {
                    Ok(h) => h,
                    Err(e) => return Ok(Err(e)),
                };
                s.chunks = None;
                let res = match (&mut s.response).await {
                    Ok(Ok(res)) => res,
                    Ok(Err(e)) => {
                        self.gate.policy.observe(&s.operation, 0, &[]);
                        let _ = self.table.delete(handle);
                        return Ok(Err(error_code(e)));
                    }
                    Err(e) => {
                        let _ = self.table.delete(handle);
                        return Ok(Err(ErrorCode::Transport(format!(
                            "the request failed: {e}"
                        ))));
                    }
                };
                let status = res.status.as_u16();
                self.gate.policy.observe(&s.operation, status, &[]);
                let headers = response_headers(&res.headers);
                self.table.get_mut(&handle)?.body = Some(res.body);
                Ok(Ok(StreamedResponse {
                    status,
                    headers,
                    body: handle,
                }))
            }
        }
    }

    async fn drop(&mut self, this: Resource<OutgoingRequest>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl HostDuplex for State {
    async fn read(
        &mut self,
        this: Resource<DuplexConn>,
        max: u64,
    ) -> wasmtime::Result<Result<Vec<u8>, ErrorCode>> {
        let mut buf = vec![0u8; read_size(max)];
        let conn = self.table.get_mut(&this)?;
        let n = match conn.io.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => return Ok(Err(ErrorCode::Transport(e.to_string()))),
        };
        buf.truncate(n);
        if let Err(e) = self.gate.count(n) {
            return Ok(Err(e));
        }
        Ok(Ok(buf))
    }

    async fn write(
        &mut self,
        this: Resource<DuplexConn>,
        bytes: Vec<u8>,
    ) -> wasmtime::Result<Result<(), ErrorCode>> {
        if let Err(e) = self.gate.count(bytes.len()) {
            return Ok(Err(e));
        }
        let conn = self.table.get_mut(&this)?;
        if conn.write_closed {
            return Ok(Err(ErrorCode::InvalidArgument(
                "write after close-write".into(),
            )));
        }
        let r = async {
            conn.io.write_all(&bytes).await?;
            conn.io.flush().await
        }
        .await;
        Ok(r.map_err(|e| ErrorCode::Transport(e.to_string())))
    }

    async fn close_write(
        &mut self,
        this: Resource<DuplexConn>,
    ) -> wasmtime::Result<Result<(), ErrorCode>> {
        let conn = self.table.get_mut(&this)?;
        if conn.write_closed {
            return Ok(Ok(()));
        }
        conn.write_closed = true;
        Ok(conn
            .io
            .shutdown()
            .await
            .map_err(|e| ErrorCode::Transport(e.to_string())))
    }

    async fn drop(&mut self, this: Resource<DuplexConn>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}
