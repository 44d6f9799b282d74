//! The endpoint model: an Engine operation is a value that knows its request and how
//! to read its response.
//!
//! ```text
//!  options ──▶ Endpoint::request(api) ──▶ RequestHead ──▶ (host transport)
//!                                                             │
//!  Output ◀── Endpoint::parse(Response) ◀─── status, headers, body
//!  items  ◀── StreamEndpoint::decoder(..) ◀── status, headers; then push(bytes)…
//! ```

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::request::RequestHead;
use crate::stream::{Decoder, OutputDecoder};
use crate::version::ApiVersion;

/// A complete response as received by the transport.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: &'a Headers,
    /// The whole body.
    pub body: &'a [u8],
}

impl Response<'_> {
    /// `Ok` for a 2xx status, else the daemon's error mapped by [`Error::from_response`].
    pub fn success(&self) -> Result<()> {
        success(self.status, self.body)
    }

    /// A header's value as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get_str(name)
    }
}

/// `Ok` for a 2xx status, else the daemon's error in `body` mapped by
/// [`Error::from_response`] (as [`Response::success`]).
pub fn success(status: u16, body: &[u8]) -> Result<()> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(Error::from_response(status, body))
    }
}

/// An operation whose response is read whole.
pub trait Endpoint {
    /// What the operation returns.
    type Output;
    /// The request to send with API version `api` (fails locally, before any I/O, on
    /// invalid options or options the API version does not have).
    fn request(&self, api: ApiVersion) -> Result<RequestHead>;
    /// Reads the response (including error statuses).
    fn parse(&self, response: Response<'_>) -> Result<Self::Output>;
    /// The same as [`parse`](Self::parse), given the body to keep: parsers that keep
    /// the daemon's bytes (the lazily decoded answers) share them instead of copying.
    /// Transports that own the body call this one.
    fn parse_owned(&self, status: u16, headers: &Headers, body: Bytes) -> Result<Self::Output> {
        self.parse(Response {
            status,
            headers,
            body: &body,
        })
    }
}

/// An operation whose response body is a stream of items.
pub trait StreamEndpoint {
    /// The decoder for the body.
    type Decoder: Decoder;
    /// The request to send with API version `api`.
    fn request(&self, api: ApiVersion) -> Result<RequestHead>;
    /// The decoder for a successful (2xx) response with these headers. Error statuses
    /// never reach this: the host reads their body and maps it with
    /// [`Error::from_response`].
    fn decoder(&self, status: u16, headers: &Headers) -> Result<Self::Decoder>;
}

/// An operation whose response body is opaque bytes (tar archives) handed to the
/// caller as they arrive; only the response head is parsed.
pub trait DownloadEndpoint {
    /// What the response head tells (e.g. the stat of an archived path).
    type Meta;
    /// The request to send with API version `api`.
    fn request(&self, api: ApiVersion) -> Result<RequestHead>;
    /// Reads the head of a successful (2xx) response.
    fn meta(&self, status: u16, headers: &Headers) -> Result<Self::Meta>;
}

/// An operation that upgrades the connection to a raw duplex pipe carrying container
/// output (multiplexed or raw) one way and stdin the other (attach, exec start).
pub trait UpgradeEndpoint {
    /// The request to send with API version `api` (the host adds the upgrade headers).
    fn request(&self, api: ApiVersion) -> Result<RequestHead>;
    /// The decoder for the output, from the upgrade response's headers.
    fn decoder(&self, headers: &Headers) -> OutputDecoder;
}
