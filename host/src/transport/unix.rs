//! A unix-socket connection registered for read readiness only.
//!
//! tokio's `UnixStream` (and hyperlocal's, which wraps it) registers for reading and
//! writing. With edge-triggered epoll that costs a wake-up per call: the daemon reading
//! the request frees space in the socket's send buffer, which is a writable edge, and
//! it arrives while the client waits for the answer — the runtime wakes, finds no task
//! waiting to write, and sleeps again, before the answer wakes it for real. (Measured
//! with the benchmark's raw tokio client: ping at 0.91–0.96× the blocking floor with
//! read-only registration, 1.02–1.11× with tokio's stream, same runs.)
//!
//! A request and its small body fit the send buffer, so writes are tried directly and
//! almost always complete. The first write that would block (a large request body)
//! registers the socket for writing too, for the rest of its life; a connection handed
//! to hyper (uploads, sessions) is registered for both before anything waits on it.
//!
//! Safe code cannot read into uninitialised memory. A caller's buffer that is already
//! initialised is read into directly; otherwise (a `BytesMut`'s spare capacity, every
//! read of a plain call) the kernel writes into a per-thread scratch buffer, zeroed once,
//! and the bytes read are copied out: copying what arrived costs less than zeroing all
//! that is offered (zeroing the 8 KiB offered for a 4 KB inspect answer was 42% of the
//! instructions of a whole call).

use std::cell::RefCell;
use std::io::{self, Read as _, Write as _};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// The most one read offers the kernel.
const MAX_READ: usize = 256 * 1024;

thread_local! {
    /// Where reads into uninitialised buffers land first; grows to the largest read
    /// offered on this thread (at most [`MAX_READ`]), zeroed only when it grows.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reads at most `room` bytes from `s` into `buf`'s unfilled part (see the module docs).
fn read_into(s: &StdUnixStream, buf: &mut ReadBuf<'_>, room: usize) -> io::Result<usize> {
    if buf.initialized().len() - buf.filled().len() >= room {
        // Already initialised: `initialize_unfilled_to` zeroes nothing here.
        let n = (&*s).read(buf.initialize_unfilled_to(room))?;
        buf.advance(n);
        return Ok(n);
    }
    SCRATCH.with_borrow_mut(|scratch| {
        if scratch.len() < room {
            scratch.resize(room, 0);
        }
        let n = (&*s).read(&mut scratch[..room])?;
        buf.put_slice(&scratch[..n]);
        Ok(n)
    })
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct UnixConn {
    /// `None` only if registering for writes failed (the connection is then unusable).
    fd: Option<AsyncFd<StdUnixStream>>,
    /// Registered for write readiness too.
    writable: bool,
}

impl UnixConn {
    /// Connects to the socket at `path`.
    pub(crate) async fn connect(path: &str) -> io::Result<UnixConn> {
        // tokio's connect waits for the connection without blocking the runtime; its
        // registration is dropped again by `into_std`.
        let std = tokio::net::UnixStream::connect(path).await?.into_std()?;
        std.set_nonblocking(true)?;
        Ok(UnixConn {
            fd: Some(register(std, Interest::READABLE)?),
            writable: false,
        })
    }

    fn fd(&self) -> io::Result<&AsyncFd<StdUnixStream>> {
        self.fd.as_ref().ok_or_else(lost)
    }

    /// Registers for write readiness as well (once). A waker registered for reading
    /// before is dropped with the old registration: call it when no task waits to read
    /// (a plain call's own write, before it reads; a connection handed to hyper).
    pub(crate) fn register_writable(&mut self) -> io::Result<()> {
        if self.writable {
            return Ok(());
        }
        let fd = self.fd.take().ok_or_else(lost)?;
        let std = fd.into_inner();
        self.fd = Some(register(std, Interest::READABLE | Interest::WRITABLE)?);
        self.writable = true;
        Ok(())
    }

    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&StdUnixStream) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        if !self.writable {
            match op(self.fd()?.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.register_writable()?;
                    // Polled again at once: a read waiting in this task registers anew.
                    cx.waker().wake_by_ref();
                }
                done => return Poll::Ready(done),
            }
        }
        let fd = self.fd()?;
        loop {
            let mut guard = ready!(fd.poll_write_ready(cx))?;
            match guard.try_io(|s| op(s.get_ref())) {
                Ok(done) => return Poll::Ready(done),
                Err(_would_block) => continue,
            }
        }
    }
}

/// The error of a connection whose re-registration failed (its socket is closed).
fn lost() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connection lost")
}

/// Registers `socket` with the runtime's reactor for `interest`.
#[expect(
    deprecated,
    reason = "tokio 1.54 deprecates the safe constructor for types whose `as_raw_fd` could \
              change; a std UnixStream owns one fd for its whole life, so it is sound here, and \
              the unsafe replacement is not allowed outside capi (STYLE.md)"
)]
fn register(socket: StdUnixStream, interest: Interest) -> io::Result<AsyncFd<StdUnixStream>> {
    AsyncFd::with_interest(socket, interest)
}

impl AsyncRead for UnixConn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let fd = self.get_mut().fd()?;
        loop {
            let mut guard = ready!(fd.poll_read_ready(cx))?;
            let room = buf.remaining().min(MAX_READ);
            let read = guard.try_io(|s| read_into(s.get_ref(), buf, room));
            match read {
                Ok(Ok(n)) => {
                    // A short read emptied the socket: readiness is cleared now (as
                    // tokio's own streams do), so the next read waits for the reactor
                    // instead of costing a system call that finds nothing.
                    if n > 0 && n < room {
                        guard.clear_ready();
                    }
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for UnixConn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_io(cx, |mut s| s.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_io(cx, |mut s| s.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.fd()?.get_ref().shutdown(std::net::Shutdown::Write))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::UnixListener;

    use super::UnixConn;

    async fn pair(name: &str) -> (UnixConn, tokio::net::UnixStream) {
        let path = std::env::temp_dir().join(format!("berth-unix-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind");
        let conn = UnixConn::connect(path.to_str().expect("utf-8 path"))
            .await
            .expect("connect");
        let (peer, _) = listener.accept().await.expect("accept");
        let _ = std::fs::remove_file(&path);
        (conn, peer)
    }

    #[tokio::test]
    async fn small_exchanges_stay_read_registered() {
        let (mut conn, mut peer) = pair("small").await;
        for round in 0..3u8 {
            conn.write_all(b"GET / HTTP/1.1\r\n\r\n")
                .await
                .expect("write");
            let mut req = [0; 18];
            peer.read_exact(&mut req).await.expect("peer read");
            assert_eq!(&req, b"GET / HTTP/1.1\r\n\r\n");
            // The answer comes later: the read must wait for it, not spin or miss it.
            tokio::time::sleep(Duration::from_millis(20)).await;
            peer.write_all(&[round; 5]).await.expect("peer write");
            let mut answer = [0; 5];
            conn.read_exact(&mut answer).await.expect("read");
            assert_eq!(answer, [round; 5]);
        }
        assert!(!conn.writable, "no write ever waited");
    }

    #[tokio::test]
    async fn a_write_the_peer_is_slow_to_take_waits_then_completes() {
        let (mut conn, mut peer) = pair("big").await;
        let big: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
        let writer = async {
            conn.write_all(&big).await.expect("write");
            conn.shutdown().await.expect("half-close");
            conn
        };
        let reader = async {
            // Far more than the socket buffers hold: the writer has to wait.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut got = Vec::new();
            peer.read_to_end(&mut got).await.expect("peer read");
            (peer, got)
        };
        let (mut conn, (mut peer, got)) = tokio::join!(writer, reader);
        assert!(got == big, "bytes arrive whole and in order");
        assert!(conn.writable, "the wait registered write readiness");
        // Reading still works on the re-registered socket.
        peer.write_all(b"answer").await.expect("peer write");
        drop(peer);
        let mut back = Vec::new();
        conn.read_to_end(&mut back).await.expect("read");
        assert_eq!(back, b"answer");
    }

    #[tokio::test]
    async fn reads_into_initialised_and_uninitialised_buffers_keep_every_byte() {
        let (mut conn, mut peer) = pair("reads").await;
        let big: Vec<u8> = (0..3u32 << 20).map(|i| (i % 253) as u8).collect();
        let writer = async {
            peer.write_all(&big).await.expect("peer write");
            drop(peer);
        };
        let reader = async {
            let mut got = Vec::with_capacity(big.len());
            let mut init = vec![0xAA; 40_000];
            let mut spare = bytes::BytesMut::new();
            let mut reads = [0usize; 2];
            loop {
                // Alternate: an initialised buffer (read into directly), and a
                // BytesMut's uninitialised spare capacity (through the scratch buffer),
                // in sizes that do not divide the data.
                let direct = (reads[0] + reads[1]) % 2 == 0;
                reads[usize::from(!direct)] += 1;
                let n = if direct {
                    let n = conn.read(&mut init).await.expect("read");
                    got.extend_from_slice(&init[..n]);
                    n
                } else {
                    spare.clear();
                    spare.reserve(70_001);
                    let n = conn.read_buf(&mut spare).await.expect("read_buf");
                    got.extend_from_slice(&spare);
                    n
                };
                if n == 0 {
                    break (got, reads);
                }
            }
        };
        let ((), (got, reads)) = tokio::join!(writer, reader);
        assert!(
            reads[0] > 10 && reads[1] > 10,
            "both paths taken: {reads:?}"
        );
        assert!(
            got == big,
            "{} bytes read for {} written",
            got.len(),
            big.len()
        );
    }
}
