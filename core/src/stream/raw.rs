//! Raw TTY output (`application/vnd.docker.raw-stream`).
//!
//! With a TTY the daemon sends the pseudo-terminal's bytes as they are: no headers,
//! stdout and stderr merged. The bytes are yielded as soon as they arrive — never held
//! back waiting for a newline — so prompts and progress bars show up at once.

use bytes::BytesMut;

use super::{Decoder, Frame, StreamKind};
use crate::error::Result;

/// Yields TTY bytes as [`StreamKind::Stdout`] [`Frame`]s, as soon as they are pushed.
///
/// Everything pushed since the last [`next`](Decoder::next) comes out as one frame.
/// Raw output has no framing to violate, so this decoder never fails and every EOF is
/// a clean end.
///
/// ```
/// use berth_core::stream::{Decoder, RawDecoder, StreamKind};
///
/// let mut d = RawDecoder::new();
/// d.push(b"password: "); // no newline: yielded anyway
/// let f = d.next()?.expect("a frame");
/// assert_eq!((f.stream, &f.data[..]), (StreamKind::Stdout, &b"password: "[..]));
/// assert_eq!(d.next()?, None);
/// assert_eq!(d.finish()?, None);
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct RawDecoder {
    buf: BytesMut,
}

impl RawDecoder {
    /// A new decoder.
    pub fn new() -> RawDecoder {
        RawDecoder::default()
    }
}

impl Decoder for RawDecoder {
    type Item = Frame;

    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn next(&mut self) -> Result<Option<Frame>> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        Ok(Some(Frame {
            stream: StreamKind::Stdout,
            data: self.buf.split().freeze(),
        }))
    }

    fn finish(&mut self) -> Result<Option<Frame>> {
        self.next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_without_newline_come_out_at_once() {
        let mut d = RawDecoder::new();
        assert_eq!(d.next(), Ok(None));
        d.push(b"$ ");
        let f = d.next().expect("ok").expect("a frame");
        assert_eq!(f.stream, StreamKind::Stdout);
        assert_eq!(&f.data[..], b"$ ");
        assert_eq!(d.next(), Ok(None));
        d.push(b"ls\r\n\x1b[0m");
        let f = d.next().expect("ok").expect("a frame");
        assert_eq!(&f.data[..], b"ls\r\n\x1b[0m");
        assert_eq!(d.finish(), Ok(None));
    }

    #[test]
    fn empty_push_yields_nothing_and_finish_flushes() {
        let mut d = RawDecoder::new();
        d.push(b"");
        assert_eq!(d.next(), Ok(None));
        d.push(b"a");
        d.push(b"b");
        let f = d.finish().expect("ok").expect("pending bytes");
        assert_eq!(&f.data[..], b"ab");
        assert_eq!(d.finish(), Ok(None));
    }

    #[test]
    fn header_like_bytes_are_not_interpreted() {
        let mut d = RawDecoder::new();
        d.push(b"\x01\0\0\0\0\0\0\x05hello");
        let f = d.next().expect("ok").expect("a frame");
        assert_eq!(&f.data[..], b"\x01\0\0\0\0\0\0\x05hello");
    }
}
