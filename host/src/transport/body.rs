//! Request and response bodies, and the upgraded duplex connection.

use std::fmt;
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use http::header;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Body, Frame, Incoming};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use std::sync::Arc;

use super::Ctx;
use berth_core::http1::{BodyDecoder, Framing, ResponseHead};

use super::http1::Http1;
use super::pool::{Live, Pool};
use crate::error::{Error, Result};

/// Error bodies are short; cap what is read of one.
pub(crate) const ERROR_BODY_LIMIT: usize = 1 << 20;

/// A stream of body chunks supplied by the caller (tar uploads).
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>;

/// The body of a request.
pub enum OutgoingBody {
    /// No body.
    Empty,
    /// A body in memory, sent with `Content-Length`.
    Full {
        /// `Content-Type`.
        content_type: &'static str,
        /// The bytes.
        bytes: Bytes,
    },
    /// A streamed body, sent chunked.
    Stream {
        /// `Content-Type`.
        content_type: &'static str,
        /// The chunks.
        stream: ByteStream,
    },
}

impl fmt::Debug for OutgoingBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutgoingBody::Empty => f.write_str("Empty"),
            OutgoingBody::Full {
                content_type,
                bytes,
            } => write!(f, "Full({content_type}, {} bytes)", bytes.len()),
            OutgoingBody::Stream { content_type, .. } => write!(f, "Stream({content_type})"),
        }
    }
}

impl OutgoingBody {
    /// A copy of an in-memory body (for a retry); `None` for a stream.
    pub(crate) fn try_clone(&self) -> Option<OutgoingBody> {
        match self {
            OutgoingBody::Empty => Some(OutgoingBody::Empty),
            OutgoingBody::Full {
                content_type,
                bytes,
            } => Some(OutgoingBody::Full {
                content_type,
                bytes: bytes.clone(),
            }),
            OutgoingBody::Stream { .. } => None,
        }
    }

    pub(crate) fn into_box_body(
        self,
        builder: &mut http::request::Builder,
    ) -> UnsyncBoxBody<Bytes, io::Error> {
        let set_type = |b: &mut http::request::Builder, ct: &'static str| {
            if let Some(h) = b.headers_mut() {
                h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(ct));
            }
        };
        match self {
            OutgoingBody::Empty => Empty::new().map_err(|n| match n {}).boxed_unsync(),
            OutgoingBody::Full {
                content_type,
                bytes,
            } => {
                set_type(builder, content_type);
                Full::new(bytes).map_err(|n| match n {}).boxed_unsync()
            }
            OutgoingBody::Stream {
                content_type,
                stream,
            } => {
                set_type(builder, content_type);
                let frames = futures_util::StreamExt::map(stream, |r| r.map(Frame::data));
                BodyExt::boxed_unsync(StreamBody::new(frames))
            }
        }
    }
}

/// A response body, read chunk by chunk, with the call's idle-read timeout.
///
/// Dropping it before the end closes the connection (it is not returned to the pool).
pub struct ResponseBody {
    source: Source,
    ctx: Ctx,
    idle: Option<Pin<Box<Sleep>>>,
    done: bool,
}

/// Where a body's bytes come from.
enum Source {
    /// The whole body, read with the response head (most answers of plain calls); its
    /// connection is already back in the pool.
    Ready(Option<Bytes>),
    /// berth's own connection: the body is decoded off its read buffer, and the
    /// connection goes back to the pool once the body ended (if it may be reused).
    Own {
        conn: Option<Box<Http1>>,
        decoder: BodyDecoder,
        keep_alive: bool,
        pool: Arc<Pool>,
    },
    /// hyper's body, with the connection it arrives on (driven while reading; `None`
    /// after an upgrade, when the body is empty and the socket belongs to the duplex).
    Hyper {
        incoming: Incoming,
        live: Option<Live>,
    },
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("call", &self.ctx.what)
            .field("done", &self.done)
            .finish()
    }
}

impl ResponseBody {
    /// A body read off berth's own connection. When the whole body arrived with the
    /// head it is taken off the buffer now and the connection returns to the pool at
    /// once (no decoder, nothing left to drive).
    pub(crate) fn own(
        mut conn: Box<Http1>,
        head: &ResponseHead,
        ctx: Ctx,
        pool: &Arc<Pool>,
    ) -> ResponseBody {
        let whole = match head.framing {
            Framing::Empty => Some(0),
            Framing::Length(n) => usize::try_from(n).ok().filter(|&n| n <= conn.buf.len()),
            Framing::Chunked | Framing::UntilClose => None,
        };
        if let Some(n) = whole {
            let body = (n > 0).then(|| conn.buf.split_to(n).freeze());
            if head.keep_alive {
                pool.checkin(conn);
            }
            return ResponseBody::from_source(Source::Ready(body), ctx);
        }
        ResponseBody::from_source(
            Source::Own {
                conn: Some(conn),
                decoder: BodyDecoder::new(head.framing),
                keep_alive: head.keep_alive,
                pool: Arc::clone(pool),
            },
            ctx,
        )
    }

    /// A body read through hyper.
    pub(crate) fn hyper(incoming: Incoming, ctx: Ctx, live: Option<Live>) -> ResponseBody {
        ResponseBody::from_source(Source::Hyper { incoming, live }, ctx)
    }

    fn from_source(source: Source, ctx: Ctx) -> ResponseBody {
        ResponseBody {
            source,
            ctx,
            idle: None,
            done: false,
        }
    }

    /// Polls for the next data chunk; `None` at the end of the body.
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let polled = match &mut self.source {
            Source::Ready(body) => Poll::Ready(body.take().map(Ok)),
            Source::Own {
                conn,
                decoder,
                keep_alive,
                pool,
            } => poll_own(conn, decoder, *keep_alive, pool, &self.ctx, cx),
            Source::Hyper { incoming, live } => poll_hyper(incoming, live, &self.ctx, cx),
        };
        match polled {
            Poll::Ready(Some(Ok(data))) => {
                self.idle = None;
                return Poll::Ready(Some(Ok(data)));
            }
            Poll::Ready(other) => {
                self.done = true;
                return Poll::Ready(other);
            }
            Poll::Pending => {}
        }
        let Some(limit) = self.ctx.idle_timeout else {
            return Poll::Pending;
        };
        let sleep = self
            .idle
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(sleep.as_mut().poll(cx));
        self.done = true;
        Poll::Ready(Some(Err(Error::timeout(format!(
            "{}: no data from the daemon for {limit:?}",
            self.ctx.what
        )))))
    }

    /// The next data chunk; `None` at the end of the body.
    pub async fn chunk(&mut self) -> Option<Result<Bytes>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Reads the whole body; more than `limit` bytes is an error.
    pub async fn collect_limited(mut self, limit: usize) -> Result<Bytes> {
        self.read_to_end(limit).await
    }

    /// [`collect_limited`](Self::collect_limited) on a borrowed body: a call's future
    /// then holds a reference, not a second copy of the body's state (moved in on every
    /// call).
    pub(crate) async fn read_to_end(&mut self, limit: usize) -> Result<Bytes> {
        if let Source::Ready(body) = &mut self.source {
            let body = body.take().unwrap_or_default();
            self.done = true;
            return if body.len() > limit {
                Err(self.too_long(limit))
            } else {
                Ok(body)
            };
        }
        // One chunk (the common case) is returned as it came: no copy, no allocation.
        let mut first: Option<Bytes> = None;
        let mut rest: Vec<Bytes> = Vec::new();
        let mut total = 0usize;
        while let Some(chunk) = self.chunk().await {
            let chunk = chunk?;
            total += chunk.len();
            if total > limit {
                return Err(self.too_long(limit));
            }
            if first.is_none() {
                first = Some(chunk);
            } else {
                rest.push(chunk);
            }
        }
        let Some(first) = first else {
            return Ok(Bytes::new());
        };
        if rest.is_empty() {
            return Ok(first);
        }
        let mut all = BytesMut::with_capacity(total);
        all.extend_from_slice(&first);
        for p in rest {
            all.extend_from_slice(&p);
        }
        Ok(all.freeze())
    }

    fn too_long(&self, limit: usize) -> Error {
        berth_core::Error::Protocol(format!(
            "{}: response body exceeds {limit} bytes",
            self.ctx.what
        ))
        .into()
    }
}

impl Stream for ResponseBody {
    type Item = Result<Bytes>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        self.get_mut().poll_chunk(cx)
    }
}

fn body_error(ctx: &Ctx, e: hyper::Error) -> Error {
    let cut_off = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<io::Error>())
        .is_some_and(|io| io.kind() == io::ErrorKind::UnexpectedEof);
    let kind = if cut_off || e.is_incomplete_message() || e.is_parse() {
        berth_core::Error::Protocol(format!(
            "{}: the daemon's response was cut off or malformed: {}",
            ctx.what,
            error_chain(&e)
        ))
    } else {
        berth_core::Error::Transport(format!(
            "{}: reading the response failed: {}",
            ctx.what,
            error_chain(&e)
        ))
    };
    Error::with_source(kind, e)
}

/// The next piece of a body on berth's own connection; at its end the connection
/// returns to the pool.
fn poll_own(
    conn: &mut Option<Box<Http1>>,
    decoder: &mut BodyDecoder,
    keep_alive: bool,
    pool: &Pool,
    ctx: &Ctx,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Bytes>>> {
    let Some(c) = conn.as_mut() else {
        return Poll::Ready(None);
    };
    loop {
        match decoder.decode(&mut c.buf) {
            Ok(Some(data)) => return Poll::Ready(Some(Ok(data))),
            Ok(None) if decoder.is_done() => {
                if let Some(c) = conn.take()
                    && keep_alive
                {
                    pool.checkin(c);
                }
                return Poll::Ready(None);
            }
            Ok(None) => {}
            Err(e) => return Poll::Ready(Some(Err(malformed_body(ctx, &e)))),
        }
        match ready!(c.poll_fill(cx)) {
            Ok(0) => {
                *conn = None;
                return match decoder.eof() {
                    Ok(()) => Poll::Ready(None),
                    Err(e) => Poll::Ready(Some(Err(malformed_body(ctx, &e)))),
                };
            }
            Ok(_) => {}
            Err(e) => {
                let kind = berth_core::Error::Transport(format!(
                    "{}: reading the response failed: {e}",
                    ctx.what
                ));
                return Poll::Ready(Some(Err(Error::with_source(kind, e))));
            }
        }
    }
}

fn malformed_body(ctx: &Ctx, e: &berth_core::Error) -> Error {
    Error::from(berth_core::Error::Protocol(format!(
        "{}: the daemon's response was cut off or malformed: {}",
        ctx.what,
        super::protocol_detail(e)
    )))
}

/// The next piece of a body read through hyper, driving its connection.
fn poll_hyper(
    incoming: &mut Incoming,
    live: &mut Option<Live>,
    ctx: &Ctx,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Bytes>>> {
    loop {
        if let Some(live) = live {
            // Errors of the connection surface through the body below.
            let _ = live.poll_conn(cx);
        }
        match ready!(Pin::new(&mut *incoming).poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) if !data.is_empty() => return Poll::Ready(Some(Ok(data))),
                // Empty data and trailers.
                _ => continue,
            },
            Some(Err(e)) => return Poll::Ready(Some(Err(body_error(ctx, e)))),
            None => return Poll::Ready(None),
        }
    }
}

/// `e: cause: cause` on one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

/// An upgraded connection (attach, exec): read the container's output, write its
/// stdin, and `shutdown()` to half-close stdin while output is still read.
///
/// Bytes the daemon sent right after the response head are not lost: they are the
/// first bytes read from here.
pub struct Duplex {
    io: TokioIo<Upgraded>,
}

impl fmt::Debug for Duplex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Duplex")
    }
}

impl Duplex {
    pub(crate) fn new(io: TokioIo<Upgraded>) -> Duplex {
        Duplex { io }
    }
}

impl AsyncRead for Duplex {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Duplex {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A [`ByteStream`] reading `reader` in 64 KiB chunks (uploads from files or pipes).
pub fn reader_stream<R>(reader: R) -> ByteStream
where
    R: AsyncRead + Send + 'static,
{
    let state = (Box::pin(reader), vec![0u8; 64 * 1024]);
    Box::pin(futures_util::stream::try_unfold(
        state,
        |(mut reader, mut buf)| async move {
            use tokio::io::AsyncReadExt as _;
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                return Ok(None);
            }
            let chunk = Bytes::copy_from_slice(&buf[..n]);
            Ok(Some((chunk, (reader, buf))))
        },
    ))
}

/// A [`ByteStream`] of one in-memory body.
pub fn bytes_stream(bytes: impl Into<Bytes>) -> ByteStream {
    let b: Bytes = bytes.into();
    Box::pin(futures_util::stream::once(async move { Ok(b) }))
}
