//! The keep-alive connection pool.
//!
//! Each pooled connection is a hyper HTTP/1.1 client connection whose I/O future is
//! driven *inline* by whoever uses it — the request future while waiting for the head,
//! then the [`ResponseBody`](super::ResponseBody) while the body is read — instead of by
//! a spawned task. A call therefore costs no task hand-offs and no spawns: this is most
//! of berth's margin over clients built on hyper-util's pooled client.
//!
//! ```text
//!   checkout ──▶ Live ──send──▶ head ──▶ ResponseBody (drives Live) ──end of body──▶ checkin
//!      ▲                                      │ dropped early / error
//!      └────────────── idle (LIFO) ◀──────────┘ connection closed, never reused
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

use super::connector::{ConnectError, Connector};

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
    idle: Mutex<Vec<(Live, Instant)>>,
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
    pub(crate) async fn checkout(&self) -> Result<Live, ConnectError> {
        if let Some(live) = self.take_idle() {
            return Ok(live);
        }
        self.connect().await
    }

    /// A new connection, never an idle one.
    pub(crate) async fn connect(&self) -> Result<Live, ConnectError> {
        let io = self.connector.clone().open().await?;
        let (sender, conn) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|e| ConnectError::handshake(&self.connector, e))?;
        Ok(Live {
            sender,
            conn: Box::pin(conn.with_upgrades()) as Pin<Box<ConnFuture>>,
            conn_done: false,
            reused: false,
        })
    }

    fn take_idle(&self) -> Option<Live> {
        let mut idle = self.idle.lock().ok()?;
        let now = Instant::now();
        while let Some((mut live, since)) = idle.pop() {
            if now.duration_since(since) < self.options.idle_timeout && live.is_open() {
                live.reused = true;
                return Some(live);
            }
        }
        None
    }

    /// Returns a connection whose last response was read to the end.
    pub(crate) fn checkin(&self, live: Live) {
        if !live.is_open() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.options.max_idle
        {
            idle.push((live, Instant::now()));
        }
    }
}

/// One open connection: the request sender and the connection's I/O future.
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
    fn is_open(&self) -> bool {
        !self.conn_done && !self.sender.is_closed()
    }

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
                        .is_some_and(|io| {
                            matches!(
                                io.kind(),
                                std::io::ErrorKind::BrokenPipe
                                    | std::io::ErrorKind::ConnectionReset
                                    | std::io::ErrorKind::ConnectionAborted
                            )
                        })
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
