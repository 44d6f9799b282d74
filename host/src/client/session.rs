//! Upgraded sessions (attach, exec): stdin one way, decoded output the other.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use berth_core::stream::{Frame, OutputDecoder, StreamKind};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};

use super::stream::{ChunkSource, DecodedStream};
use crate::error::{Error, Result};
use crate::transport::Duplex;

/// Bytes read from the socket per read.
const READ_CHUNK: usize = 64 * 1024;

/// A duplex session with a container process: write its stdin, read its output.
///
/// Use it whole for simple cases, or [`Session::split`] it to write stdin from one
/// task while another reads output. Dropping it closes the connection.
///
/// ```no_run
/// # async fn demo(mut s: berth::Session) -> berth::Result<()> {
/// s.write_stdin(b"hello\n").await?;
/// s.close_stdin().await?;               // half-close: the process sees EOF
/// let out = s.collect().await?;         // read to the end
/// assert_eq!(out.stdout, b"hello\n");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Session {
    input: SessionInput,
    output: OutputStream,
}

impl Session {
    pub(crate) fn new(duplex: Duplex, decoder: OutputDecoder) -> Session {
        let (r, w) = tokio::io::split(duplex);
        Session {
            input: SessionInput { writer: Some(w) },
            output: DecodedStream::new(
                DuplexReader {
                    reader: r,
                    buf: vec![0; READ_CHUNK].into_boxed_slice(),
                },
                decoder,
            ),
        }
    }

    /// Writes bytes to the process's stdin.
    pub async fn write_stdin(&mut self, data: &[u8]) -> Result<()> {
        self.input.write(data).await
    }

    /// Half-closes stdin: the process reads EOF while its output can still be read.
    pub async fn close_stdin(&mut self) -> Result<()> {
        self.input.close().await
    }

    /// The next frame of output; `None` once the process's streams closed.
    pub async fn next_frame(&mut self) -> Option<Result<Frame>> {
        self.output.next().await
    }

    /// Reads all remaining output.
    pub async fn collect(self) -> Result<Output> {
        Output::collect(self.output).await
    }

    /// The stdin writer and the output stream, to use from different tasks.
    pub fn split(self) -> (SessionInput, OutputStream) {
        (self.input, self.output)
    }
}

/// The stdin side of a [`Session`].
pub struct SessionInput {
    writer: Option<WriteHalf<Duplex>>,
}

impl fmt::Debug for SessionInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionInput")
            .field("open", &self.writer.is_some())
            .finish()
    }
}

impl SessionInput {
    /// Writes bytes to stdin.
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        let w = self.writer.as_mut().ok_or_else(|| {
            Error::from(berth_core::Error::InvalidArgument(
                "stdin was already closed".into(),
            ))
        })?;
        w.write_all(data).await.map_err(io_error("writing stdin"))?;
        w.flush().await.map_err(io_error("writing stdin"))
    }

    /// Half-closes stdin (idempotent).
    pub async fn close(&mut self) -> Result<()> {
        if let Some(mut w) = self.writer.take() {
            w.shutdown().await.map_err(io_error("closing stdin"))?;
        }
        Ok(())
    }
}

fn io_error(what: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |e| {
        Error::with_source(
            berth_core::Error::Transport(format!("{what} of the session failed: {e}")),
            e,
        )
    }
}

/// The read half of an upgraded connection, as a [`ChunkSource`].
pub struct DuplexReader {
    reader: ReadHalf<Duplex>,
    buf: Box<[u8]>,
}

impl fmt::Debug for DuplexReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DuplexReader")
    }
}

impl ChunkSource for DuplexReader {
    fn poll_push(
        &mut self,
        cx: &mut Context<'_>,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Poll<Option<Result<()>>> {
        let mut rb = ReadBuf::new(&mut self.buf);
        match ready!(Pin::new(&mut self.reader).poll_read(cx, &mut rb)) {
            Err(e) => Poll::Ready(Some(Err(io_error("reading output")(e)))),
            Ok(()) if rb.filled().is_empty() => Poll::Ready(None),
            Ok(()) => {
                sink(rb.filled());
                Poll::Ready(Some(Ok(())))
            }
        }
    }
}

/// The output side of a [`Session`]: a stream of [`Frame`]s.
pub type OutputStream = DecodedStream<OutputDecoder, DuplexReader>;

/// Output read to the end: stdout and stderr apart, and both interleaved in arrival
/// order (docker-py's non-demuxed bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// What the process wrote to stdout (all output for TTY processes).
    pub stdout: Vec<u8>,
    /// What the process wrote to stderr.
    pub stderr: Vec<u8>,
    /// stdout and stderr interleaved as they arrived.
    pub combined: Vec<u8>,
}

impl Output {
    /// Reads a stream of frames to its end.
    pub async fn collect<S>(mut frames: S) -> Result<Output>
    where
        S: Stream<Item = Result<Frame>> + Unpin,
    {
        let mut out = Output::default();
        while let Some(f) = frames.next().await {
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
