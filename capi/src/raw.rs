//! Endpoints whose answers cross to C as raw bytes: core's endpoints with the typed
//! decoding skipped (C gets the daemon's JSON verbatim), and caller-described requests
//! for the generic entry points.

use bytes::{Bytes, BytesMut};
use http::Method;

use berth_core::ApiVersion;
use berth_core::endpoint::{Endpoint, Response, StreamEndpoint};
use berth_core::headers::Headers;
use berth_core::request::{RequestBody, RequestHead, ResponseKind};
use berth_core::stream::{
    Decoder, JsonStreamDecoder, MULTIPLEXED_STREAM, OutputDecoder, RAW_STREAM, StreamKind,
};

use crate::error::Fail;
use crate::stream::Kind;

/// A core endpoint whose successful answer is returned as the daemon's bytes.
#[derive(Debug)]
pub(crate) struct RawJson<E>(pub(crate) E);

impl<E: Endpoint> Endpoint for RawJson<E> {
    type Output = Bytes;

    fn request(&self, api: ApiVersion) -> berth_core::Result<RequestHead> {
        self.0.request(api)
    }

    fn parse(&self, response: Response<'_>) -> berth_core::Result<Bytes> {
        let body = Bytes::copy_from_slice(response.body);
        self.parse_owned(response.status, response.headers, body)
    }

    fn parse_owned(&self, status: u16, _: &Headers, body: Bytes) -> berth_core::Result<Bytes> {
        berth_core::endpoint::success(status, &body)?;
        Ok(body)
    }
}

/// A request described by the caller: method, unversioned path with query, optional
/// JSON or streamed body.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    method: Method,
    path: String,
    body: RequestBody,
}

impl Raw {
    /// Checks the caller's method and path (`/containers/json?all=1`, no version
    /// prefix, no spaces or control characters).
    pub(crate) fn new(method: &str, path: &str) -> Result<Raw, Fail> {
        let method = match method.to_ascii_uppercase().as_str() {
            "GET" => Method::GET,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "DELETE" => Method::DELETE,
            "HEAD" => Method::HEAD,
            other => {
                return Err(Fail::invalid(format!(
                    "method {other:?} is not one the Engine API uses (GET, POST, PUT, DELETE, HEAD)"
                )));
            }
        };
        if !path.starts_with('/') {
            return Err(Fail::invalid(format!(
                "path {path:?} must start with '/' (e.g. \"/containers/json\")"
            )));
        }
        if path.starts_with("/v1.") {
            return Err(Fail::invalid(format!(
                "path {path:?} must not carry an API version: berth adds the negotiated one"
            )));
        }
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(Fail::invalid(format!(
                "path {path:?} holds spaces or control characters; percent-encode them"
            )));
        }
        Ok(Raw {
            method,
            path: path.to_owned(),
            body: RequestBody::Empty,
        })
    }

    /// Sends `json` (already validated) as the body.
    pub(crate) fn json(mut self, json: Bytes) -> Raw {
        self.body = RequestBody::Json(json);
        self
    }

    /// The caller streams the body with this content type.
    pub(crate) fn streamed(mut self, content_type: &'static str) -> Raw {
        self.body = RequestBody::Stream { content_type };
        self
    }

    fn head(&self, api: ApiVersion, response: ResponseKind) -> RequestHead {
        RequestHead {
            method: self.method.clone(),
            path: format!("/v{api}{}", self.path),
            headers: Vec::new(),
            body: self.body.clone(),
            response,
        }
    }
}

impl Endpoint for Raw {
    type Output = Bytes;

    fn request(&self, api: ApiVersion) -> berth_core::Result<RequestHead> {
        Ok(self.head(api, ResponseKind::Json))
    }

    fn parse(&self, response: Response<'_>) -> berth_core::Result<Bytes> {
        let body = Bytes::copy_from_slice(response.body);
        self.parse_owned(response.status, response.headers, body)
    }

    fn parse_owned(&self, status: u16, _: &Headers, body: Bytes) -> berth_core::Result<Bytes> {
        berth_core::endpoint::success(status, &body)?;
        Ok(body)
    }
}

impl StreamEndpoint for Raw {
    type Decoder = AnyDecoder;

    fn request(&self, api: ApiVersion) -> berth_core::Result<RequestHead> {
        Ok(self.head(api, ResponseKind::JsonStream))
    }

    fn decoder(&self, _status: u16, headers: &Headers) -> berth_core::Result<AnyDecoder> {
        let ct = headers
            .get_str("content-type")
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .unwrap_or_default();
        // No Content-Type: streamed stats on 20.10, which are JSON.
        Ok(
            if ct.is_empty() || ct == "application/json" || ct.ends_with("+json") {
                AnyDecoder::Json(JsonStreamDecoder::new())
            } else if ct == MULTIPLEXED_STREAM || ct == RAW_STREAM {
                AnyDecoder::Output(OutputDecoder::for_response(Some(&ct), false))
            } else {
                AnyDecoder::Data(BytesMut::new(), false)
            },
        )
    }
}

/// The decoder of a generic stream, chosen by the answer's `Content-Type`: JSON
/// objects, container output frames, or opaque data.
#[derive(Debug)]
pub(crate) enum AnyDecoder {
    Json(JsonStreamDecoder),
    Output(OutputDecoder),
    /// Buffered bytes and whether the end was reached.
    Data(BytesMut, bool),
}

impl Decoder for AnyDecoder {
    type Item = (Kind, Bytes);

    fn push(&mut self, bytes: &[u8]) {
        match self {
            AnyDecoder::Json(d) => d.push(bytes),
            AnyDecoder::Output(d) => d.push(bytes),
            AnyDecoder::Data(buf, _) => buf.extend_from_slice(bytes),
        }
    }

    fn next(&mut self) -> berth_core::Result<Option<(Kind, Bytes)>> {
        match self {
            AnyDecoder::Json(d) => d.next()?.map(json_item).transpose(),
            AnyDecoder::Output(d) => Ok(d.next()?.map(|f| (Kind::of(f.stream), f.data))),
            AnyDecoder::Data(buf, _) if buf.is_empty() => Ok(None),
            AnyDecoder::Data(buf, _) => Ok(Some((Kind::Data, buf.split().freeze()))),
        }
    }

    fn finish(&mut self) -> berth_core::Result<Option<(Kind, Bytes)>> {
        match self {
            AnyDecoder::Json(d) => d.finish()?.map(json_item).transpose(),
            AnyDecoder::Output(d) => Ok(d.finish()?.map(|f| (Kind::of(f.stream), f.data))),
            AnyDecoder::Data(buf, done) => {
                if *done || buf.is_empty() {
                    *done = true;
                    return Ok(None);
                }
                Ok(Some((Kind::Data, buf.split().freeze())))
            }
        }
    }
}

/// One JSON object of a stream, re-serialised compactly.
pub(crate) fn json_item(v: serde_json::Value) -> berth_core::Result<(Kind, Bytes)> {
    serde_json::to_vec(&v)
        .map(|b| (Kind::Json, Bytes::from(b)))
        .map_err(|e| berth_core::Error::Decode(format!("cannot re-encode a stream item: {e}")))
}

impl Kind {
    pub(crate) fn of(s: StreamKind) -> Kind {
        match s {
            StreamKind::Stdin => Kind::Stdin,
            StreamKind::Stdout => Kind::Stdout,
            StreamKind::Stderr => Kind::Stderr,
        }
    }
}
