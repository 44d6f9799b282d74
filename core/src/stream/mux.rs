//! Multiplexed container output (`application/vnd.docker.multiplexed-stream`).
//!
//! Logs, attach and exec start of a container or exec without a TTY send frames: an
//! 8-byte header — byte 0 the stream id (0 stdin, 1 stdout, 2 stderr, 3 systemerr),
//! bytes 1–3 zero, bytes 4–7 the payload length as a big-endian `u32` — then the
//! payload. Frame boundaries are independent of HTTP chunks and of lines.

use bytes::{Buf, Bytes, BytesMut};

use super::{Decoder, Frame, StreamKind};
use crate::error::{Error, Result};

const HEADER_LEN: usize = 8;
const SYSTEMERR: u8 = 3;

/// Decodes multiplexed frames into [`Frame`]s.
///
/// A frame is yielded once its whole payload has arrived, as one zero-copy slice of
/// the buffer; the frame-size cap bounds what that can cost. A header announcing more
/// than the cap is an [`Error::Protocol`] as soon as the header is in, before any room
/// is made for the payload. Zero-length frames are skipped. A `systemerr` (id 3) frame
/// is an [`Error::Stream`] carrying the payload text; decoding may continue after it.
///
/// ```
/// use berth_core::stream::{Decoder, MuxDecoder, StreamKind};
///
/// let mut d = MuxDecoder::new();
/// d.push(b"\x02\0\0\0\0\0\0\x04oops");
/// let f = d.next()?.expect("a frame");
/// assert_eq!((f.stream, &f.data[..]), (StreamKind::Stderr, &b"oops"[..]));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug)]
pub struct MuxDecoder {
    buf: BytesMut,
    max_frame: usize,
    /// The frame whose header has been consumed and whose payload is awaited.
    pending: Option<Pending>,
    /// The pending frame's payload, completed and set aside by a push that went on
    /// into the next frame.
    ready: Option<Bytes>,
    /// Set once framing is lost; returned again by every later call.
    failed: Option<Error>,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    /// `None` for a systemerr frame.
    stream: Option<StreamKind>,
    len: usize,
}

impl MuxDecoder {
    /// The default frame-size cap: 16 MiB. The daemon's own frames are far smaller
    /// (its log and copy buffers are 16–32 KiB).
    pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

    /// A decoder with the default frame-size cap.
    pub fn new() -> MuxDecoder {
        MuxDecoder::with_max_frame(MuxDecoder::DEFAULT_MAX_FRAME)
    }

    /// A decoder that refuses frames whose payload is longer than `max_frame` bytes.
    pub fn with_max_frame(max_frame: usize) -> MuxDecoder {
        MuxDecoder {
            buf: BytesMut::new(),
            max_frame,
            pending: None,
            ready: None,
            failed: None,
        }
    }

    /// The frame-size cap in bytes.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e.clone());
        e
    }

    /// Consumes the 8-byte header at the front of the buffer (which must hold one).
    fn take_header(&mut self) -> Result<Pending> {
        let h = [
            self.buf[0],
            self.buf[1],
            self.buf[2],
            self.buf[3],
            self.buf[4],
            self.buf[5],
            self.buf[6],
            self.buf[7],
        ];
        let id = h[0];
        let stream = StreamKind::from_u8(id);
        if (stream.is_none() && id != SYSTEMERR) || h[1..4] != [0, 0, 0] {
            let what = if h[1..4] != [0, 0, 0] {
                "nonzero reserved bytes".to_owned()
            } else {
                format!("unknown stream id {id}")
            };
            return Err(self.fail(Error::Protocol(format!(
                "multiplexed stream: frame header [{}] has {what}; if the container or exec \
                 has a TTY its output is raw, decode it with RawDecoder",
                hex(&h)
            ))));
        }
        let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > self.max_frame {
            return Err(self.fail(Error::Protocol(format!(
                "multiplexed stream: frame header [{}] announces {len} bytes, more than the \
                 {}-byte limit; raise it with MuxDecoder::with_max_frame if the daemon really \
                 sends frames this large, or decode TTY output with RawDecoder",
                hex(&h),
                self.max_frame
            ))));
        }
        self.buf.advance(HEADER_LEN);
        Ok(Pending { stream, len })
    }
}

impl Default for MuxDecoder {
    fn default() -> MuxDecoder {
        MuxDecoder::new()
    }
}

impl Decoder for MuxDecoder {
    type Item = Frame;

    fn push(&mut self, mut bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if let Some(p) = self.pending
            && self.ready.is_none()
        {
            let missing = p.len.saturating_sub(self.buf.len());
            if missing > 0 && bytes.len() > missing {
                // Complete the payload in the room made for it and set it aside, so
                // the bytes of the next frame land in a fresh buffer instead of
                // regrowing (and copying) this one.
                self.buf.extend_from_slice(&bytes[..missing]);
                self.ready = Some(self.buf.split_to(p.len).freeze());
                bytes = &bytes[missing..];
            }
        }
        self.buf.extend_from_slice(bytes);
    }

    fn next(&mut self) -> Result<Option<Frame>> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        loop {
            let frame = match self.pending {
                Some(p) => p,
                None => {
                    if self.buf.len() < HEADER_LEN {
                        return Ok(None);
                    }
                    let p = self.take_header()?;
                    if p.len == 0 {
                        continue;
                    }
                    // Room for the whole payload at once: a large frame then costs one
                    // copy (its pushes) and no regrowth while it arrives.
                    if let Some(missing) = p.len.checked_sub(self.buf.len()) {
                        self.buf.reserve(missing);
                    }
                    self.pending = Some(p);
                    p
                }
            };
            let data = match self.ready.take() {
                Some(data) => data,
                None if self.buf.len() >= frame.len => self.buf.split_to(frame.len).freeze(),
                None => return Ok(None),
            };
            self.pending = None;
            return match frame.stream {
                Some(stream) => Ok(Some(Frame { stream, data })),
                None => Err(Error::Stream {
                    message: String::from_utf8_lossy(&data).into_owned(),
                    code: None,
                }),
            };
        }
    }

    fn finish(&mut self) -> Result<Option<Frame>> {
        if let Some(frame) = self.next()? {
            return Ok(Some(frame));
        }
        let have = self.buf.len();
        let message = match self.pending {
            None if have == 0 => return Ok(None),
            None => format!(
                "stream truncated: EOF inside a multiplexed frame header, {} of its {HEADER_LEN} \
                 bytes missing",
                HEADER_LEN - have
            ),
            Some(p) => format!(
                "stream truncated: EOF inside a {} frame, {} of its {} payload bytes missing",
                p.stream.map_or("systemerr", StreamKind::as_str),
                p.len - have,
                p.len
            ),
        };
        Err(self.fail(Error::Protocol(message)))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &[u8] = b"\x01\0\0\0\0\0\0\x0chello world\n";
    const OOPS: &[u8] = b"\x02\0\0\0\0\0\0\x04oops";

    fn frame(stream: StreamKind, data: &'static [u8]) -> Frame {
        Frame {
            stream,
            data: bytes::Bytes::from_static(data),
        }
    }

    /// Everything the decoder yields until it needs more bytes or fails.
    fn drain(d: &mut MuxDecoder) -> Vec<Result<Frame>> {
        let mut out = Vec::new();
        loop {
            match d.next() {
                Ok(Some(f)) => out.push(Ok(f)),
                Ok(None) => return out,
                Err(e) => {
                    let stop = !matches!(e, Error::Stream { .. });
                    out.push(Err(e));
                    if stop {
                        return out;
                    }
                }
            }
        }
    }

    #[test]
    fn inventory_example_frames_in_one_push() {
        let mut d = MuxDecoder::new();
        d.push(&[HELLO, OOPS].concat());
        assert_eq!(
            drain(&mut d),
            vec![
                Ok(frame(StreamKind::Stdout, b"hello world\n")),
                Ok(frame(StreamKind::Stderr, b"oops")),
            ]
        );
        assert_eq!(d.finish(), Ok(None));
    }

    #[test]
    fn inventory_example_frames_byte_by_byte() {
        let mut d = MuxDecoder::new();
        let mut got = Vec::new();
        for b in [HELLO, OOPS].concat() {
            d.push(&[b]);
            got.extend(drain(&mut d));
        }
        assert_eq!(
            got,
            vec![
                Ok(frame(StreamKind::Stdout, b"hello world\n")),
                Ok(frame(StreamKind::Stderr, b"oops")),
            ]
        );
        assert_eq!(d.finish(), Ok(None));
    }

    #[test]
    fn stdin_frames_are_yielded() {
        let mut d = MuxDecoder::new();
        d.push(b"\0\0\0\0\0\0\0\x02in");
        assert_eq!(drain(&mut d), vec![Ok(frame(StreamKind::Stdin, b"in"))]);
    }

    #[test]
    fn zero_length_frames_are_skipped_not_eof() {
        let mut d = MuxDecoder::new();
        d.push(HELLO);
        d.push(b"\x01\0\0\0\0\0\0\0");
        d.push(b"\x02\0\0\0\0\0\0\0");
        d.push(OOPS);
        d.push(b"\x01\0\0\0\0\0\0\0");
        assert_eq!(
            drain(&mut d),
            vec![
                Ok(frame(StreamKind::Stdout, b"hello world\n")),
                Ok(frame(StreamKind::Stderr, b"oops")),
            ]
        );
        assert_eq!(d.finish(), Ok(None));
    }

    #[test]
    fn systemerr_frame_is_a_stream_error_and_decoding_goes_on() {
        let mut d = MuxDecoder::new();
        d.push(b"\x03\0\0\0\0\0\0\x0bexec failed");
        d.push(OOPS);
        assert_eq!(
            drain(&mut d),
            vec![
                Err(Error::Stream {
                    message: "exec failed".into(),
                    code: None
                }),
                Ok(frame(StreamKind::Stderr, b"oops")),
            ]
        );
    }

    #[test]
    fn unknown_stream_id_is_a_sticky_protocol_error() {
        let mut d = MuxDecoder::new();
        d.push(b"\x04\0\0\0\0\0\0\x01x");
        let e = d.next().expect_err("unknown id");
        assert!(
            matches!(&e, Error::Protocol(m) if m.contains("unknown stream id 4")),
            "{e}"
        );
        d.push(OOPS);
        assert_eq!(d.next(), Err(e.clone()));
        assert_eq!(d.finish(), Err(e));
    }

    #[test]
    fn raw_tty_text_is_refused_with_a_hint() {
        let mut d = MuxDecoder::new();
        d.push(b"hello world\n");
        let e = d.next().expect_err("text is not a header");
        assert!(
            matches!(&e, Error::Protocol(m) if m.contains("RawDecoder")),
            "{e}"
        );
    }

    #[test]
    fn nonzero_reserved_bytes_are_a_protocol_error() {
        for i in 1..4 {
            let mut header = *b"\x01\0\0\0\0\0\0\x01";
            header[i] = 1;
            let mut d = MuxDecoder::new();
            d.push(&header);
            d.push(b"x");
            let e = d.next().expect_err("reserved byte set");
            assert!(
                matches!(&e, Error::Protocol(m) if m.contains("reserved")),
                "{e}"
            );
        }
    }

    #[test]
    fn cap_is_checked_on_the_header_alone() {
        let mut d = MuxDecoder::with_max_frame(16);
        assert_eq!(d.max_frame(), 16);
        d.push(b"\x01\0\0\0\0\0\0\x11"); // 17 bytes announced, none sent
        let e = d.next().expect_err("over the cap");
        assert!(
            matches!(&e, Error::Protocol(m) if m.contains("17") && m.contains("16-byte limit")),
            "{e}"
        );

        let mut d = MuxDecoder::with_max_frame(16);
        d.push(b"\x01\0\0\0\0\0\0\x10");
        assert_eq!(d.next(), Ok(None), "exactly the cap is fine");
        d.push(&[b'a'; 16]);
        assert_eq!(d.next(), Ok(Some(frame(StreamKind::Stdout, &[b'a'; 16]))));
    }

    #[test]
    fn default_cap_refuses_a_4_gib_header_without_allocating() {
        let mut d = MuxDecoder::default();
        assert_eq!(d.max_frame(), 16 * 1024 * 1024);
        d.push(b"\x01\0\0\0\xff\xff\xff\xff");
        assert!(matches!(d.next(), Err(Error::Protocol(_))));
        assert!(d.buf.capacity() < 1024, "no room was made for the payload");
        let mut d = MuxDecoder::new();
        d.push(b"\x01\0\0\0\x01\0\0\x01"); // 16 MiB + 1
        assert!(matches!(d.next(), Err(Error::Protocol(_))));
    }

    #[test]
    fn eof_inside_a_header_says_how_much_is_missing() {
        let mut d = MuxDecoder::new();
        d.push(HELLO);
        d.push(b"\x01\0\0\0\0");
        assert_eq!(
            d.next(),
            Ok(Some(frame(StreamKind::Stdout, b"hello world\n")))
        );
        assert_eq!(d.next(), Ok(None));
        let e = d.finish().expect_err("truncated");
        assert!(
            matches!(&e, Error::Protocol(m) if m.starts_with("stream truncated") && m.contains("3 of its 8")),
            "{e}"
        );
    }

    #[test]
    fn eof_inside_a_payload_says_how_much_is_missing() {
        let mut d = MuxDecoder::new();
        d.push(&HELLO[..13]); // header + "hello"
        assert_eq!(d.next(), Ok(None));
        let e = d.finish().expect_err("truncated");
        assert!(
            matches!(&e, Error::Protocol(m) if m.contains("stdout frame, 7 of its 12 payload bytes missing")),
            "{e}"
        );
    }

    #[test]
    fn finish_drains_complete_frames_first() {
        let mut d = MuxDecoder::new();
        d.push(&[HELLO, OOPS].concat());
        assert_eq!(
            d.finish(),
            Ok(Some(frame(StreamKind::Stdout, b"hello world\n")))
        );
        assert_eq!(d.finish(), Ok(Some(frame(StreamKind::Stderr, b"oops"))));
        assert_eq!(d.finish(), Ok(None));
        assert_eq!(d.finish(), Ok(None));
    }

    #[test]
    fn large_frame_is_one_slice_of_the_buffer_it_was_pushed_into() {
        let payload: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
        let stream = [&[1, 0, 0, 0, 0, 0x10, 0, 0][..], &payload, OOPS, HELLO].concat();
        let mut d = MuxDecoder::new();
        d.push(&stream[..100]);
        assert_eq!(d.next(), Ok(None));
        let room = d.buf.as_ptr();
        assert!(
            d.buf.capacity() >= 1 << 20,
            "room for the payload made once"
        );
        // Odd-sized reads; the last one crosses into the next frames.
        for piece in stream[100..].chunks(4099) {
            d.push(piece);
        }
        let f = d.next().expect("ok").expect("frame");
        assert_eq!(&f.data[..], &payload[..]);
        assert_eq!(
            f.data.as_ptr(),
            room,
            "the payload stayed where it was pushed: no regrowth, no copy"
        );
        assert_eq!(d.next(), Ok(Some(frame(StreamKind::Stderr, b"oops"))));
        assert_eq!(
            d.next(),
            Ok(Some(frame(StreamKind::Stdout, b"hello world\n")))
        );
        assert_eq!(d.finish(), Ok(None));
    }
}
