//! The keep-alive connection pool.
//!
//! The pool keeps idle [`Http1`] connections, most recently used first. A plain call
//! takes one and drives it *inline* — the request future while waiting for the head,
//! then the [`ResponseBody`](super::ResponseBody) while the body is read — with no
//! spawned task and no hand-offs: this is most of berth's margin over clients built on
//! hyper-util's pooled client. A streamed upload or an upgrade hands the connection to
//! hyper ([`Live`]), driven inline the same way; such a connection is not returned.
//!
//! ```text
//!   checkout ──▶ Http1 ──roundtrip──▶ head ──▶ ResponseBody ──end of body──▶ checkin
//!      ▲    └──▶ Live (hyper: uploads, upgrades)      │ dropped early / error
//!      └────────────── idle (LIFO) ◀──────────────────┘ connection closed, never reused
//! ```

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper::client::conn::http1;

use hyper_util::rt::TokioIo;

use super::connector::{ConnectError, Connector};
use super::http1::{Http1, is_reset};

/// The request body type of every pooled connection.
pub(crate) type ReqBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// The connection's I/O future (hyper's upgradeable connection, which cannot be named).
type ConnFuture = dyn Future<Output = hyper::Result<()>> + Send;

/// Pool sizing of an [`HttpTransport`](super::HttpTransport).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Idle connections kept per daemon. Default 32.
    pub max_idle: usize,
    /// How long an idle connection is kept. Default 90 s.
    pub idle_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> PoolOptions {
        PoolOptions {
            max_idle: 32,
            idle_timeout: Duration::from_secs(90),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Pool {
    connector: Connector,
    options: PoolOptions,
    /// Idle connections with when they expire (`None`: never), most recent last.
    idle: Mutex<Vec<(Box<Http1>, Option<Instant>)>>,
}

impl Pool {
    pub(crate) fn new(connector: Connector, options: PoolOptions) -> Arc<Pool> {
        Arc::new(Pool {
            connector,
            options,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The most recently used idle connection that is still open, else a new one.
    pub(crate) async fn checkout(&self) -> Result<Box<Http1>, ConnectError> {
        if let Some(conn) = self.take_idle(Instant::now()) {
            return Ok(conn);
        }
        self.connect().await
    }

    /// A new connection for a plain call, never an idle one.
    pub(crate) async fn connect(&self) -> Result<Box<Http1>, ConnectError> {
        self.open(false).await
    }

    /// A new connection; `for_hyper` as in [`Connector::open`]. The connect future (TLS
    /// and SSH handshakes included) is boxed: inline, it would make every call's future
    /// kilobytes larger, all of it copied on each call for a path taken once per
    /// connection.
    async fn open(&self, for_hyper: bool) -> Result<Box<Http1>, ConnectError> {
        Ok(Http1::new(
            Box::pin(self.connector.clone().open(for_hyper)).await?,
        ))
    }

    /// A connection handed to hyper (streamed uploads, upgrades).
    pub(crate) async fn checkout_hyper(&self) -> Result<Live, ConnectError> {
        let conn = self.checkout().await?;
        self.handshake(conn).await
    }

    /// A new connection handed to hyper.
    pub(crate) async fn connect_hyper(&self) -> Result<Live, ConnectError> {
        let conn = self.open(true).await?;
        self.handshake(conn).await
    }

    async fn handshake(&self, conn: Box<Http1>) -> Result<Live, ConnectError> {
        // An idle connection's buffer is empty (checked at checkout), so nothing read
        // is lost when hyper takes over the socket.
        let reused = conn.reused;
        let mut io = conn.io;
        // hyper writes while it reads (an upload, a session's stdin, maybe from another
        // task): the socket is registered for both now, while nothing waits on it.
        io.register_writable()
            .map_err(|e| ConnectError::handshake_io(&self.connector, e))?;
        let (sender, hyper_conn) = http1::Builder::new()
            .handshake(TokioIo::new(io))
            .await
            .map_err(|e| ConnectError::handshake(&self.connector, e))?;
        Ok(Live {
            sender,
            conn: Box::pin(hyper_conn.with_upgrades()) as Pin<Box<ConnFuture>>,
            conn_done: false,
            reused,
        })
    }

    /// The most recently used idle connection that is still open (idle for less than
    /// the idle timeout at `now`).
    pub(crate) fn take_idle(&self, now: Instant) -> Option<Box<Http1>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((mut conn, expires)) = idle.pop() {
            if expires.is_none_or(|at| now < at) && conn.is_reusable() {
                conn.reused = true;
                conn.taken_at = now;
                return Some(conn);
            }
        }
        None
    }

    /// Returns a connection whose last response was read to the end. Its idle time is
    /// counted from when its call took it (no clock read here, on every call's path):
    /// a connection that carried a long stream expires early and is replaced, which is
    /// safe, where keeping one past the timeout would not be.
    pub(crate) fn checkin(&self, conn: Box<Http1>) {
        if !conn.buf.is_empty() {
            // The daemon sent more than the answer: the connection is out of step.
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.options.max_idle
        {
            let expires = conn.taken_at.checked_add(self.options.idle_timeout);
            idle.push((conn, expires));
        }
    }
}

/// A connection handed to hyper: the request sender and the connection's I/O future.
pub(crate) struct Live {
    sender: http1::SendRequest<ReqBody>,
    conn: Pin<Box<ConnFuture>>,
    conn_done: bool,
    /// True when the connection came from the idle list (it may have been closed by
    /// the daemon meanwhile; such a failure is retried once on a fresh connection).
    pub(crate) reused: bool,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("conn_done", &self.conn_done)
            .field("reused", &self.reused)
            .finish()
    }
}

impl Live {
    /// Drives the connection's I/O. Returns `Ready` once the connection is finished
    /// (closed, failed, or handed over to an upgrade); never polls it again after that.
    pub(crate) fn poll_conn(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), hyper::Error>> {
        if self.conn_done {
            return Poll::Ready(Ok(()));
        }
        match self.conn.as_mut().poll(cx) {
            Poll::Ready(r) => {
                self.conn_done = true;
                Poll::Ready(r)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Sends a request and waits for its response head, driving the connection.
    pub(crate) async fn send(
        &mut self,
        request: Request<ReqBody>,
    ) -> Result<Response<Incoming>, SendError> {
        // A connection whose previous body just ended becomes ready once its I/O has
        // been driven past that response.
        poll_fn(|cx| {
            if let Poll::Ready(r) = self.poll_conn(cx) {
                return Poll::Ready(Err(SendError::Closed(r.err())));
            }
            self.sender
                .poll_ready(cx)
                .map_err(|e| SendError::Closed(Some(e)))
        })
        .await?;
        let mut response = std::pin::pin!(self.sender.send_request(request));
        poll_fn(|cx| {
            let conn = self.poll_conn(cx);
            if let Poll::Ready(r) = response.as_mut().poll(cx) {
                return Poll::Ready(r.map_err(SendError::Failed));
            }
            match conn {
                Poll::Ready(r) => Poll::Ready(Err(SendError::Closed(r.err()))),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }
}

/// Why a request got no response head.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The connection ended before the request could be answered.
    Closed(Option<hyper::Error>),
    /// hyper failed the request (bad response, I/O error, connection closed mid-way).
    Failed(hyper::Error),
}

impl SendError {
    /// True when nothing of a response arrived because the connection was gone: safe
    /// to retry a replayable request on a fresh connection.
    pub(crate) fn is_stale_connection(&self) -> bool {
        match self {
            SendError::Closed(_) => true,
            SendError::Failed(e) => {
                e.is_canceled()
                    || e.is_incomplete_message()
                    || std::error::Error::source(e)
                        .and_then(|s| s.downcast_ref::<std::io::Error>())
                        .is_some_and(is_reset)
            }
        }
    }

    pub(crate) fn into_hyper(self) -> Option<hyper::Error> {
        match self {
            SendError::Closed(e) => e,
            SendError::Failed(e) => Some(e),
        }
    }
}
