//! The synchronous client: berth-core endpoints over the WIT transport.

use std::cell::OnceCell;
use std::fmt;
use std::rc::Rc;

use berth_core::api::system::{Ping, PingInfo, Version, api_version_of};
use berth_core::endpoint::{DownloadEndpoint, Endpoint, StreamEndpoint, UpgradeEndpoint};
use berth_core::headers::Headers;
use berth_core::request::{RequestBody, RequestHead};
use berth_core::stream::{Decoder, Frame, OutputDecoder, StreamKind};
use berth_core::{ApiVersion, Error, Result};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::bindings::berth::engine::transport::{
    self, Duplex, IncomingBody, OutgoingRequest, Request,
};
use crate::error::error_of;

/// Bytes asked of the host per body read.
const CHUNK: u64 = 64 * 1024;

/// Bytes written to the host per upload write.
const UPLOAD_CHUNK: usize = 64 * 1024;

/// A Docker Engine client inside a wasm plugin.
///
/// Cheap to clone (clones share the negotiated API version). The daemon is whichever
/// the host connects to; every request passes the host's policy.
#[derive(Clone, Default)]
pub struct Docker {
    api: Rc<OnceCell<ApiVersion>>,
    pinned: Option<ApiVersion>,
}

impl fmt::Debug for Docker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Docker")
            .field("api", &self.pinned.or_else(|| self.api.get().copied()))
            .finish()
    }
}

impl Docker {
    /// A client whose API version is negotiated with the daemon on first use.
    pub fn new() -> Docker {
        Docker::default()
    }

    /// A client pinned to API version `api` (no negotiation).
    pub fn with_api_version(api: ApiVersion) -> Docker {
        Docker {
            api: Rc::default(),
            pinned: Some(api),
        }
    }

    /// The API version in use: the pinned one, or negotiated once from `/_ping`
    /// (falling back to `/version`) and clamped to what berth supports.
    pub fn api_version(&self) -> Result<ApiVersion> {
        if let Some(v) = self.pinned {
            return Ok(v);
        }
        if let Some(v) = self.api.get() {
            return Ok(*v);
        }
        let ping = self.call(&Ping, ApiVersion::MAX)?;
        let server = match ping.api_version {
            Some(v) => v,
            None => api_version_of(&self.call(&Version { versioned: false }, ApiVersion::MAX)?)?,
        };
        let v = ApiVersion::negotiate(server)?;
        Ok(*self.api.get_or_init(|| v))
    }

    /// `GET /_ping`: is the daemon there, and what does it speak?
    pub fn ping(&self) -> Result<PingInfo> {
        self.call(&Ping, ApiVersion::MAX)
    }

    /// Runs an endpoint whose answer is read whole.
    pub fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output> {
        let api = self.api_version()?;
        self.call(endpoint, api)
    }

    fn call<E: Endpoint>(&self, endpoint: &E, api: ApiVersion) -> Result<E::Output> {
        let head = endpoint.request(api)?;
        let res = transport::send(&wire(head)?).map_err(error_of)?;
        let headers = header_map(&res.headers);
        endpoint.parse_owned(res.status, &headers, Bytes::from(res.body))
    }

    /// Runs an endpoint whose answer is a stream of items (logs, events, progress).
    pub fn stream<E: StreamEndpoint>(&self, endpoint: &E) -> Result<Stream<E::Decoder>> {
        let api = self.api_version()?;
        let head = endpoint.request(api)?;
        let res = transport::send_streaming(&wire(head)?).map_err(error_of)?;
        let headers = header_map(&res.headers);
        let body = error_for_status(res.status, res.body)?;
        let decoder = endpoint.decoder(res.status, &headers)?;
        Ok(Stream::new(body, decoder))
    }

    /// Runs an endpoint whose answer is opaque bytes (tar archives): what the response
    /// head says, and the body.
    pub fn download<E: DownloadEndpoint>(&self, endpoint: &E) -> Result<(E::Meta, ByteStream)> {
        let api = self.api_version()?;
        let head = endpoint.request(api)?;
        let res = transport::send_streaming(&wire(head)?).map_err(error_of)?;
        let headers = header_map(&res.headers);
        let body = error_for_status(res.status, res.body)?;
        let meta = endpoint.meta(res.status, &headers)?;
        Ok((meta, ByteStream { body: Some(body) }))
    }

    /// Runs an endpoint whose request body is uploaded in chunks (tar uploads, image
    /// loads) and whose answer is read whole.
    pub fn upload<E: Endpoint>(&self, endpoint: &E, body: &[u8]) -> Result<E::Output> {
        let api = self.api_version()?;
        let head = endpoint.request(api)?;
        let res = send_upload(head, body)?;
        let headers = header_map(&res.headers);
        let bytes = read_all(&res.body)?;
        endpoint.parse_owned(res.status, &headers, Bytes::from(bytes))
    }

    /// Runs an endpoint whose request body is uploaded in chunks and whose answer is a
    /// stream (build: a context tar in, progress out). The body is only sent when the
    /// endpoint's request takes one (a remote build has none).
    pub fn upload_stream<E: StreamEndpoint>(
        &self,
        endpoint: &E,
        body: &[u8],
    ) -> Result<Stream<E::Decoder>> {
        let api = self.api_version()?;
        let head = endpoint.request(api)?;
        let res = if matches!(head.body, RequestBody::Stream { .. }) {
            send_upload(head, body)?
        } else {
            transport::send_streaming(&wire(head)?).map_err(error_of)?
        };
        let headers = header_map(&res.headers);
        let stream = error_for_status(res.status, res.body)?;
        let decoder = endpoint.decoder(res.status, &headers)?;
        Ok(Stream::new(stream, decoder))
    }

    /// Runs an endpoint that upgrades the connection (attach, exec start).
    pub fn upgrade<E: UpgradeEndpoint>(&self, endpoint: &E) -> Result<Session> {
        let api = self.api_version()?;
        let head = endpoint.request(api)?;
        let up = transport::upgrade(&wire(head)?).map_err(error_of)?;
        let headers = header_map(&up.headers);
        Ok(Session {
            conn: up.connection,
            decoder: endpoint.decoder(&headers),
            eof: false,
            failed: false,
        })
    }
}

/// A request head as the WIT request (`Content-Type` added for bodies).
pub(crate) fn wire(head: RequestHead) -> Result<Request> {
    let mut headers: Vec<(String, String)> = head
        .headers
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
    let body = match head.body {
        RequestBody::Empty => Vec::new(),
        RequestBody::Json(bytes) => {
            headers.push(("Content-Type".into(), "application/json".into()));
            bytes.to_vec()
        }
        RequestBody::Stream { content_type } => {
            headers.push(("Content-Type".into(), content_type.into()));
            Vec::new()
        }
    };
    Ok(Request {
        method: head.method.as_str().to_owned(),
        path: head.path,
        headers,
        body,
    })
}

fn send_upload(head: RequestHead, body: &[u8]) -> Result<transport::StreamedResponse> {
    let req: OutgoingRequest = transport::start_request(&wire(head)?).map_err(error_of)?;
    for chunk in body.chunks(UPLOAD_CHUNK) {
        req.write(chunk).map_err(error_of)?;
    }
    OutgoingRequest::finish(req).map_err(error_of)
}

/// Header list → [`Headers`] (unparseable entries are skipped; the host sent them).
pub(crate) fn header_map(headers: &[(String, String)]) -> Headers {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (n, v) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            map.append(n, v);
        }
    }
    Headers::from(map)
}

/// The body of a 2xx answer; an error answer's body read into the daemon's error.
fn error_for_status(status: u16, body: IncomingBody) -> Result<IncomingBody> {
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let bytes = read_all(&body)?;
    Err(Error::from_response(status, &bytes))
}

/// Reads a body to its end.
fn read_all(body: &IncomingBody) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let chunk = body.read(CHUNK).map_err(error_of)?;
        if chunk.is_empty() {
            return Ok(out);
        }
        out.extend_from_slice(&chunk);
    }
}

/// A streamed answer decoded item by item: an [`Iterator`] of `Result<item>`.
///
/// An error reported inside the stream (`Error::Stream`) is yielded and decoding goes
/// on; any other error ends the iteration. Dropping the stream closes the connection.
pub struct Stream<D: Decoder> {
    body: Option<IncomingBody>,
    decoder: D,
    done: bool,
}

impl<D: Decoder> fmt::Debug for Stream<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("eof", &self.body.is_none())
            .field("done", &self.done)
            .finish()
    }
}

impl<D: Decoder> Stream<D> {
    fn new(body: IncomingBody, decoder: D) -> Stream<D> {
        Stream {
            body: Some(body),
            decoder,
            done: false,
        }
    }

    fn fail(&mut self, e: Error) -> Option<Result<D::Item>> {
        if !matches!(e, Error::Stream { .. }) {
            self.done = true;
            self.body = None;
        }
        Some(Err(e))
    }
}

impl<D: Decoder> Iterator for Stream<D> {
    type Item = Result<D::Item>;

    fn next(&mut self) -> Option<Result<D::Item>> {
        if self.done {
            return None;
        }
        loop {
            match self.decoder.next() {
                Ok(Some(item)) => return Some(Ok(item)),
                Ok(None) => {}
                Err(e) => return self.fail(e),
            }
            let Some(body) = &self.body else {
                return match self.decoder.finish() {
                    Ok(Some(item)) => Some(Ok(item)),
                    Ok(None) => {
                        self.done = true;
                        None
                    }
                    Err(e) => {
                        self.done = true;
                        Some(Err(e))
                    }
                };
            };
            match body.read(CHUNK) {
                Ok(chunk) if chunk.is_empty() => self.body = None,
                Ok(chunk) => self.decoder.push(&chunk),
                Err(e) => return self.fail(error_of(e)),
            }
        }
    }
}

/// Output read to the end: stdout and stderr apart, and both interleaved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// What was written to stdout (all output of a TTY process).
    pub stdout: Vec<u8>,
    /// What was written to stderr.
    pub stderr: Vec<u8>,
    /// stdout and stderr interleaved as they arrived.
    pub combined: Vec<u8>,
}

impl Output {
    /// Reads frames to the end.
    pub fn collect(frames: impl IntoIterator<Item = Result<Frame>>) -> Result<Output> {
        let mut out = Output::default();
        for f in frames {
            out.push(&f?);
        }
        Ok(out)
    }

    /// Adds one frame.
    pub fn push(&mut self, frame: &Frame) {
        match frame.stream {
            StreamKind::Stderr => self.stderr.extend_from_slice(&frame.data),
            StreamKind::Stdout | StreamKind::Stdin => self.stdout.extend_from_slice(&frame.data),
        }
        self.combined.extend_from_slice(&frame.data);
    }
}

/// Opaque response bytes (tar archives), read in chunks or through [`std::io::Read`].
pub struct ByteStream {
    body: Option<IncomingBody>,
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("eof", &self.body.is_none())
            .finish()
    }
}

impl ByteStream {
    /// Up to `max` bytes; empty at the end.
    pub fn read_chunk(&mut self, max: u64) -> Result<Vec<u8>> {
        let Some(body) = &self.body else {
            return Ok(Vec::new());
        };
        let chunk = body.read(max.max(1)).map_err(error_of)?;
        if chunk.is_empty() {
            self.body = None;
        }
        Ok(chunk)
    }

    /// Everything that is left.
    pub fn read_to_end(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let c = self.read_chunk(CHUNK)?;
            if c.is_empty() {
                return Ok(out);
            }
            out.extend_from_slice(&c);
        }
    }
}

impl std::io::Read for ByteStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let max = u64::try_from(buf.len()).unwrap_or(CHUNK).min(CHUNK);
        let chunk = self.read_chunk(max).map_err(std::io::Error::other)?;
        // The host never returns more than asked; copy defensively anyway.
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        Ok(n)
    }
}

/// A duplex session with a container process (attach, exec start): write stdin, read
/// output frames (an [`Iterator`]).
pub struct Session {
    conn: Duplex,
    decoder: OutputDecoder,
    eof: bool,
    failed: bool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("multiplexed", &self.decoder.is_multiplexed())
            .field("eof", &self.eof)
            .finish()
    }
}

impl Session {
    /// Writes bytes to the process's stdin.
    pub fn write_stdin(&self, data: &[u8]) -> Result<()> {
        self.conn.write(data).map_err(error_of)
    }

    /// Closes stdin; output can still be read.
    pub fn close_stdin(&self) -> Result<()> {
        self.conn.close_write().map_err(error_of)
    }

    /// Reads all remaining output.
    pub fn collect(self) -> Result<Output> {
        Output::collect(self)
    }
}

impl Iterator for Session {
    type Item = Result<Frame>;

    fn next(&mut self) -> Option<Result<Frame>> {
        if self.failed {
            return None;
        }
        loop {
            match self.decoder.next() {
                Ok(Some(f)) => return Some(Ok(f)),
                Ok(None) => {}
                Err(e) => {
                    self.failed = !matches!(e, Error::Stream { .. });
                    return Some(Err(e));
                }
            }
            if self.eof {
                return match self.decoder.finish() {
                    Ok(Some(f)) => Some(Ok(f)),
                    Ok(None) => {
                        self.failed = true;
                        None
                    }
                    Err(e) => {
                        self.failed = true;
                        Some(Err(e))
                    }
                };
            }
            match self.conn.read(CHUNK) {
                Ok(chunk) if chunk.is_empty() => self.eof = true,
                Ok(chunk) => self.decoder.push(&chunk),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(error_of(e)));
                }
            }
        }
    }
}
