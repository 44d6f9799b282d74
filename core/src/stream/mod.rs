//! Push-style decoders for the daemon's streamed bodies.
//!
//! Every decoder has the one shape of [`Decoder`]: the caller owns the transport and
//! [`push`](Decoder::push)es bytes as they arrive (HTTP chunks, socket reads, any
//! split), then pulls items with [`next`](Decoder::next) until it says `Ok(None)`
//! ("need more bytes"). At end of body, [`finish`](Decoder::finish) yields what is left
//! and tells a clean end from a truncated one. Like `httparse`, a short read is never
//! an error and nothing here blocks, reads a clock or allocates per byte.
//!
//! | body | decoder | item |
//! | --- | --- | --- |
//! | logs/attach/exec without TTY (`application/vnd.docker.multiplexed-stream`) | [`MuxDecoder`] | [`Frame`] |
//! | logs/attach/exec with TTY (`application/vnd.docker.raw-stream`) | [`RawDecoder`] | [`Frame`] (stdout) |
//! | either, chosen from the response | [`OutputDecoder`] | [`Frame`] |
//! | pull/push/build/load progress, events, streamed stats | [`JsonStreamDecoder`] | [`serde_json::Value`] |
//!
//! ```
//! use berth_core::stream::{Decoder, MuxDecoder, StreamKind};
//!
//! let mut d = MuxDecoder::new();
//! d.push(&[1, 0, 0, 0, 0, 0, 0, 12, b'h', b'e']); // a header and part of its payload
//! assert_eq!(d.next()?, None); // need more bytes
//! d.push(b"llo world\n");
//! let frame = d.next()?.expect("a complete frame");
//! assert_eq!(frame.stream, StreamKind::Stdout);
//! assert_eq!(&frame.data[..], b"hello world\n");
//! assert_eq!(d.finish()?, None); // ended at a frame boundary
//! # Ok::<(), berth_core::Error>(())
//! ```

use bytes::Bytes;

use crate::error::Result;

pub mod json;
pub mod mux;
pub mod raw;

pub use json::JsonStreamDecoder;
pub use mux::MuxDecoder;
pub use raw::RawDecoder;

#[cfg(test)]
pub(crate) mod tests;

/// A push-based decoder: feed bytes as they arrive, pull items out.
///
/// After an `Err` for malformed input (framing lost), the decoder stays failed and
/// returns that error again. An error the daemon reported inside the stream
/// ([`Error::Stream`](crate::Error::Stream)) consumes only its own item; decoding may
/// continue after it.
pub trait Decoder {
    /// What the decoder yields.
    type Item;

    /// Appends bytes received from the transport.
    fn push(&mut self, bytes: &[u8]);

    /// Next complete item; `Ok(None)` = need more bytes (never an error); `Err` only
    /// for malformed input or an error reported by the daemon inside the stream.
    fn next(&mut self) -> Result<Option<Self::Item>>;

    /// The transport reached EOF: `Ok(None)` when the stream ended cleanly, `Ok(Some)`
    /// for a final item, `Err` for truncation.
    ///
    /// Call it until it returns `Ok(None)` or `Err`: complete items still buffered come
    /// out first, one per call.
    fn finish(&mut self) -> Result<Option<Self::Item>>;
}

/// Which standard stream a [`Frame`] belongs to.
///
/// The multiplexed stream's fourth id, 3 (`systemerr`), is not a kind: such a frame
/// becomes an [`Error::Stream`](crate::Error::Stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Id 0. The daemon writes it on stdout; it only appears on attach streams.
    Stdin,
    /// Id 1.
    Stdout,
    /// Id 2.
    Stderr,
}

impl StreamKind {
    /// The id in byte 0 of a multiplexed frame header.
    ///
    /// ```
    /// use berth_core::stream::StreamKind;
    /// assert_eq!(StreamKind::Stderr.as_u8(), 2);
    /// ```
    pub fn as_u8(self) -> u8 {
        match self {
            StreamKind::Stdin => 0,
            StreamKind::Stdout => 1,
            StreamKind::Stderr => 2,
        }
    }

    /// The kind for a header id, or `None` for 3 (`systemerr`) and unknown ids.
    pub fn from_u8(id: u8) -> Option<StreamKind> {
        match id {
            0 => Some(StreamKind::Stdin),
            1 => Some(StreamKind::Stdout),
            2 => Some(StreamKind::Stderr),
            _ => None,
        }
    }

    /// `"stdin"`, `"stdout"` or `"stderr"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Stdin => "stdin",
            StreamKind::Stdout => "stdout",
            StreamKind::Stderr => "stderr",
        }
    }
}

/// A piece of container output: which stream, and the bytes.
///
/// `data` is a zero-copy slice of the decoder's buffer. Frame boundaries are not line
/// boundaries: a line may span frames and a frame may hold several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The stream the bytes were written to.
    pub stream: StreamKind,
    /// The bytes, never empty.
    pub data: Bytes,
}

/// `Content-Type` of a multiplexed (non-TTY) output stream, sent by API ≥ 1.42 daemons.
pub const MULTIPLEXED_STREAM: &str = "application/vnd.docker.multiplexed-stream";

/// `Content-Type` of a raw (TTY) output stream, sent by API ≥ 1.42 daemons.
pub const RAW_STREAM: &str = "application/vnd.docker.raw-stream";

/// The decoder for container output (logs, attach, exec start), multiplexed or raw.
///
/// ```
/// use berth_core::stream::{Decoder, OutputDecoder};
///
/// // A 1.41 daemon sends no telling Content-Type: the container's TTY flag decides.
/// let d = OutputDecoder::for_response(None, true);
/// assert!(matches!(d, OutputDecoder::Raw(_)));
/// let d = OutputDecoder::for_response(Some("application/vnd.docker.multiplexed-stream"), true);
/// assert!(d.is_multiplexed());
/// ```
#[derive(Debug)]
pub enum OutputDecoder {
    /// 8-byte-header frames (no TTY).
    Mux(MuxDecoder),
    /// Raw TTY bytes.
    Raw(RawDecoder),
}

impl OutputDecoder {
    /// Chooses the decoder for a response.
    ///
    /// `content_type` is the response's `Content-Type`; when it names one of
    /// [`MULTIPLEXED_STREAM`] or [`RAW_STREAM`] (API ≥ 1.42) it decides. Otherwise `tty`
    /// decides: the container's `Config.Tty` for logs and attach, the exec's `Tty` for
    /// exec start.
    pub fn for_response(content_type: Option<&str>, tty: bool) -> OutputDecoder {
        let media_type = content_type
            .and_then(|c| c.split(';').next())
            .map(str::trim)
            .unwrap_or_default();
        if media_type.eq_ignore_ascii_case(MULTIPLEXED_STREAM) {
            OutputDecoder::Mux(MuxDecoder::new())
        } else if media_type.eq_ignore_ascii_case(RAW_STREAM) || tty {
            OutputDecoder::Raw(RawDecoder::new())
        } else {
            OutputDecoder::Mux(MuxDecoder::new())
        }
    }

    /// True when frames carry 8-byte headers (stdout and stderr are told apart).
    pub fn is_multiplexed(&self) -> bool {
        matches!(self, OutputDecoder::Mux(_))
    }
}

impl Decoder for OutputDecoder {
    type Item = Frame;

    fn push(&mut self, bytes: &[u8]) {
        match self {
            OutputDecoder::Mux(d) => d.push(bytes),
            OutputDecoder::Raw(d) => d.push(bytes),
        }
    }

    fn next(&mut self) -> Result<Option<Frame>> {
        match self {
            OutputDecoder::Mux(d) => d.next(),
            OutputDecoder::Raw(d) => d.next(),
        }
    }

    fn finish(&mut self) -> Result<Option<Frame>> {
        match self {
            OutputDecoder::Mux(d) => d.finish(),
            OutputDecoder::Raw(d) => d.finish(),
        }
    }
}
