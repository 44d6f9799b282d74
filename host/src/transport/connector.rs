//! Opening connections to the daemon: unix socket, TCP, TLS, SSH.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::unix::UnixConn;
use super::{ssh, tls};

/// Where the daemon listens, resolved to something a connection can be opened to.
#[derive(Clone)]
pub enum Target {
    /// A unix socket path.
    Unix(String),
    /// Plain TCP.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// TCP with TLS.
    Tls {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
        /// Client configuration (roots, client certificate, verification).
        config: Arc<rustls::ClientConfig>,
        /// Name checked against the server certificate.
        server_name: String,
    },
    /// `ssh [user@]host -p port docker system dial-stdio`.
    Ssh {
        /// Login user.
        user: Option<String>,
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// Extra arguments for `ssh` (e.g. `-F config`).
        args: Vec<String>,
    },
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl Target {
    /// The address as a user would write it in `DOCKER_HOST`.
    pub fn display(&self) -> String {
        match self {
            Target::Unix(p) => format!("unix://{p}"),
            Target::Tcp { host, port } => format!("tcp://{}:{port}", bracket(host)),
            Target::Tls { host, port, .. } => format!("tcp://{}:{port} (TLS)", bracket(host)),
            Target::Ssh {
                user, host, port, ..
            } => match user {
                Some(u) => format!("ssh://{u}@{host}:{port}"),
                None => format!("ssh://{host}:{port}"),
            },
        }
    }

    /// The value of the HTTP `Host` header for this target.
    pub fn http_host(&self) -> String {
        match self {
            Target::Tcp { host, port } | Target::Tls { host, port, .. } => {
                format!("{}:{port}", bracket(host))
            }
            Target::Unix(_) | Target::Ssh { .. } => "localhost".to_owned(),
        }
    }
}

fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// A connection failure, with a message naming the address and what to do.
#[derive(Debug)]
pub(crate) struct ConnectError {
    pub(crate) message: String,
    pub(crate) timed_out: bool,
    source: io::Error,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ConnectError {
    /// Starting HTTP on a connection failed: preparing its socket, or (through
    /// [`handshake`](Self::handshake)) hyper's handshake.
    pub(crate) fn handshake_io(connector: &Connector, e: io::Error) -> ConnectError {
        ConnectError {
            message: format!(
                "cannot start HTTP on the connection to {}: {e}",
                connector.target.display()
            ),
            timed_out: false,
            source: e,
        }
    }

    /// The HTTP/1 handshake on a fresh connection failed.
    pub(crate) fn handshake(connector: &Connector, e: hyper::Error) -> ConnectError {
        ConnectError::handshake_io(connector, io::Error::other(e))
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Opens a fresh connection to the target for the pool.
#[derive(Clone, Debug)]
pub(crate) struct Connector {
    pub(crate) target: Target,
    pub(crate) connect_timeout: Duration,
}

impl Connector {
    /// A new connection. `for_hyper`: for an exchange hyper drives (a streamed upload, an
    /// attach or exec session), which writes as much as it reads: on a unix socket that
    /// is hyperlocal's stream, registered for both directions from the start; plain calls
    /// get a [`UnixConn`].
    pub(crate) async fn open(self, for_hyper: bool) -> Result<Conn, ConnectError> {
        let what = self.target.display();
        let fut = connect(&self.target, for_hyper);
        let conn = match tokio::time::timeout(self.connect_timeout, fut).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return Err(ConnectError {
                    message: explain(&what, &e),
                    timed_out: false,
                    source: e,
                });
            }
            Err(_) => {
                return Err(ConnectError {
                    message: format!(
                        "connecting to the Docker daemon at {what} timed out after {:?}",
                        self.connect_timeout
                    ),
                    timed_out: true,
                    source: io::ErrorKind::TimedOut.into(),
                });
            }
        };
        Ok(conn)
    }
}

async fn connect(target: &Target, for_hyper: bool) -> io::Result<Conn> {
    match target {
        Target::Unix(path) if !for_hyper => Ok(Conn::UnixFd(UnixConn::connect(path).await?)),
        Target::Unix(path) => {
            use tower_service::Service as _;
            let uri: hyper::Uri = hyperlocal::Uri::new(path, "/").into();
            Ok(Conn::Unix(hyperlocal::UnixConnector.call(uri).await?))
        }
        Target::Tcp { host, port } => {
            let s = TcpStream::connect((host.as_str(), *port)).await?;
            s.set_nodelay(true)?;
            Ok(Conn::Tcp(s))
        }
        Target::Tls {
            host,
            port,
            config,
            server_name,
        } => {
            let s = TcpStream::connect((host.as_str(), *port)).await?;
            s.set_nodelay(true)?;
            let t = tls::connect(s, config.clone(), server_name).await?;
            Ok(Conn::Tls(Box::new(t)))
        }
        Target::Ssh {
            user,
            host,
            port,
            args,
        } => Ok(Conn::Ssh(
            ssh::connect(user.as_deref(), host, *port, args).await?,
        )),
    }
}

/// A message for a failed connection that says what to do about it.
fn explain(what: &str, e: &io::Error) -> String {
    let hint = match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
            "is the Docker daemon running? Start dockerd (or `tests/engine/provision.sh` as root), \
             or set DOCKER_HOST to the address of a running daemon"
        }
        io::ErrorKind::PermissionDenied => {
            "the socket exists but this user may not open it: run as root or as a member of \
             the socket's group (usually `docker`)"
        }
        _ => "check DOCKER_HOST and that the daemon is reachable",
    };
    format!("cannot connect to the Docker daemon at {what}: {e}; {hint}")
}

/// One open connection to the daemon.
#[derive(Debug)]
pub(crate) enum Conn {
    Unix(hyperlocal::UnixStream),
    UnixFd(UnixConn),
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Ssh(ssh::SshStream),
}

impl Conn {
    /// Registers the socket for write readiness too, where it is not yet (see
    /// [`UnixConn`]); call it before any task waits on the connection.
    pub(crate) fn register_writable(&mut self) -> io::Result<()> {
        match self {
            Conn::UnixFd(c) => c.register_writable(),
            Conn::Unix(_) | Conn::Tcp(_) | Conn::Tls(_) | Conn::Ssh(_) => Ok(()),
        }
    }
}

macro_rules! each_conn {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Conn::Unix($s) => {
                let $s = Pin::new($s);
                $e
            }
            Conn::UnixFd($s) => {
                let $s = Pin::new($s);
                $e
            }
            Conn::Tcp($s) => {
                let $s = Pin::new($s);
                $e
            }
            Conn::Tls($s) => {
                let $s = Pin::new($s.as_mut());
                $e
            }
            Conn::Ssh($s) => {
                let $s = Pin::new($s);
                $e
            }
        }
    };
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each_conn!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each_conn!(self, s => s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_conn!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_conn!(self, s => s.poll_shutdown(cx))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each_conn!(self, s => s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Unix(s) => s.is_write_vectored(),
            Conn::UnixFd(s) => s.is_write_vectored(),
            Conn::Tcp(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
            Conn::Ssh(s) => s.is_write_vectored(),
        }
    }
}
