//! berth's own HTTP/1.1 connection: the I/O around `berth_core::http1`.
//!
//! Plain calls (no body or an in-memory one) write their request in one go and read
//! the answer through the core codec; the body is split off the read buffer without
//! copying. This is what makes a call cost little more than the raw socket round trip.
//! Streamed uploads and attach/exec upgrades hand the connection to hyper instead
//! (see `pool`), which reads while it writes and hands over upgraded sockets.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use http::Method;
use tokio::io::AsyncWriteExt as _;
use tokio::time::{Instant, Sleep};

use berth_core::http1::{ResponseHead, decode_response_head};

use super::connector::Conn;

/// The smallest and largest read: a call's answer usually fits the first; a download
/// grows the reads while they come back full, as hyper does.
const READ_MIN: usize = 8 * 1024;
const READ_MAX: usize = 256 * 1024;

/// One open connection and what was read from it but not handled yet.
#[derive(Debug)]
pub(crate) struct Http1 {
    pub(crate) io: Conn,
    pub(crate) buf: BytesMut,
    read_size: usize,
    /// True when the connection came from the idle list (the daemon may have closed it
    /// meanwhile; such a failure is retried once on a fresh connection).
    pub(crate) reused: bool,
    /// The response-head timer, kept from call to call (see [`HeadTimer`]).
    timer: Option<HeadTimer>,
    /// The next request's head, written by the caller; kept from call to call.
    pub(crate) head: Vec<u8>,
    /// When the connection was opened or last taken from the pool for a call.
    pub(crate) taken_at: std::time::Instant,
}

/// A connection's response-head timer. Registering a timer and removing it again is a
/// good part of a short call's own cost; a kept timer is pushed forward instead, which
/// is one atomic store while the new deadline is later than the old. A timer belongs to
/// the runtime it was made on: on another runtime a new one is made.
#[derive(Debug)]
struct HeadTimer {
    sleep: Pin<Box<Sleep>>,
    runtime: tokio::runtime::Id,
}

/// Why a request got no response head.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The connection was gone before anything of an answer arrived: a request on a
    /// reused connection may be retried on a fresh one.
    Closed(Option<io::Error>),
    /// The answer started but was cut off by EOF.
    CutOff,
    /// Reading or writing failed after the answer started.
    Io(io::Error),
    /// The bytes are not an HTTP response.
    Malformed(berth_core::Error),
    /// No response head before the deadline.
    TimedOut,
}

impl Failure {
    pub(crate) fn is_stale_connection(&self) -> bool {
        match self {
            Failure::Closed(None) => true,
            Failure::Closed(Some(e)) => is_reset(e),
            _ => false,
        }
    }
}

/// An I/O error that means the peer closed or reset the connection.
pub(crate) fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

/// `kept` (a connection's timer) set to `deadline`, or a new timer (see [`HeadTimer`]).
fn arm(kept: Option<HeadTimer>, deadline: Instant) -> HeadTimer {
    let runtime = tokio::runtime::Handle::current().id();
    match kept {
        Some(mut t) if t.runtime == runtime => {
            t.sleep.as_mut().reset(deadline);
            t
        }
        _ => HeadTimer {
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            runtime,
        },
    }
}

impl Http1 {
    /// A connection over `io`. Boxed: a connection moves from the pool into a call, its
    /// response body and back on every call, a pointer instead of 136 bytes.
    pub(crate) fn new(io: Conn) -> Box<Http1> {
        Box::new(Http1 {
            io,
            buf: BytesMut::new(),
            read_size: READ_MIN,
            reused: false,
            timer: None,
            head: Vec::new(),
            taken_at: std::time::Instant::now(),
        })
    }

    /// Whether an idle connection can carry a request: still open, and the daemon sent
    /// nothing since the last answer (stray bytes would be read as the next answer).
    /// Never blocks: one non-blocking read at most.
    pub(crate) fn is_reusable(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        // Ready means EOF, stray bytes or an error.
        self.poll_fill(&mut cx).is_pending()
    }

    /// Reads more bytes into the buffer; `Ok(0)` at EOF.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.buf.capacity() - self.buf.len() < self.read_size / 2 {
            self.buf.reserve(self.read_size);
        }
        let spare = self.buf.capacity() - self.buf.len();
        let r = tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.buf);
        if let Poll::Ready(Ok(n)) = r
            && n == spare
            && self.read_size < READ_MAX
        {
            self.read_size *= 2;
        }
        r
    }

    /// Writes a request (the head in [`head`](Self::head), and `body`) and reads the
    /// answer's head by `deadline`; the body is left in `buf` for a `BodyDecoder`.
    /// Informational answers (1xx but 101) are skipped.
    pub(crate) async fn roundtrip(
        &mut self,
        body: &[u8],
        method: &Method,
        deadline: Option<Instant>,
    ) -> Result<ResponseHead, Failure> {
        let Some(deadline) = deadline else {
            return self.exchange(body, method).await;
        };
        // The timer is set after the exchange's first poll, which usually writes the
        // whole request: its cost then overlaps the daemon's work instead of delaying
        // the request. The deadline is the same either way.
        let mut kept = self.timer.take();
        let mut armed: Option<HeadTimer> = None;
        let answer = {
            let mut exchange = std::pin::pin!(self.exchange(body, method));
            std::future::poll_fn(|cx| {
                if let Poll::Ready(r) = exchange.as_mut().poll(cx) {
                    return Poll::Ready(r);
                }
                let timer = armed.get_or_insert_with(|| arm(kept.take(), deadline));
                match timer.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(Failure::TimedOut)),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await
        };
        self.timer = armed.or(kept);
        answer
    }

    async fn exchange(&mut self, body: &[u8], method: &Method) -> Result<ResponseHead, Failure> {
        if let Err(e) = self.write(body).await {
            return Err(Failure::Closed(Some(e)));
        }
        let mut answered = false;
        loop {
            match decode_response_head(&mut self.buf, method) {
                Ok(Some(head)) => {
                    if head.status.is_informational()
                        && head.status != http::StatusCode::SWITCHING_PROTOCOLS
                    {
                        continue;
                    }
                    return Ok(head);
                }
                Ok(None) => {}
                Err(e) => return Err(Failure::Malformed(e)),
            }
            answered |= !self.buf.is_empty();
            match std::future::poll_fn(|cx| self.poll_fill(cx)).await {
                Ok(0) if answered => return Err(Failure::CutOff),
                Ok(0) => return Err(Failure::Closed(None)),
                Ok(_) => {}
                Err(e) if answered => return Err(Failure::Io(e)),
                Err(e) => return Err(Failure::Closed(Some(e))),
            }
        }
    }

    async fn write(&mut self, body: &[u8]) -> io::Result<()> {
        // One write for the head and a small body (appended to the head's buffer, which
        // the next request rewrites); a large body is not copied.
        if body.len() <= 16 * 1024 {
            let head_len = self.head.len();
            self.head.extend_from_slice(body);
            let written = self.io.write_all(&self.head).await;
            // The head alone again, should the request be retried on a fresh connection.
            self.head.truncate(head_len);
            written?;
        } else {
            self.io.write_all(&self.head).await?;
            self.io.write_all(body).await?;
        }
        self.io.flush().await
    }
}
