//! `ssh://` hosts: the system `ssh` runs `docker system dial-stdio` on the remote
//! machine, and its stdin/stdout carry the connection (like the Docker CLI's
//! `commandconn` and docker-py's `use_ssh_client`).
//!
//! The user's ssh configuration (keys, agent, `~/.ssh/config` host aliases, jump
//! hosts) applies unchanged. When ssh fails (host unreachable, key refused, no docker
//! on the remote side) it prints why on stderr and exits; that text becomes the I/O
//! error of the read or write that noticed.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;
use tokio::time::Sleep;

/// The most of ssh's stderr kept for an error message.
const STDERR_CAP: usize = 4096;

/// How long a failed stream waits for ssh to finish printing its reason and exit.
const DIAGNOSIS_WAIT: Duration = Duration::from_secs(2);

/// A connection to a remote daemon through `ssh … docker system dial-stdio`.
///
/// Reads come from ssh's stdout, writes go to its stdin; `shutdown` closes stdin (the
/// remote side sees end-of-input). Dropping the stream kills ssh.
pub struct SshStream(Box<Inner>);

/// Boxed so a connection enum holding an `SshStream` stays small.
struct Inner {
    /// The command line, for messages.
    command: String,
    child: Child,
    /// `None` once shut down.
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Reads ssh's stderr until ssh closes it.
    stderr: Option<JoinHandle<Vec<u8>>>,
    /// ssh's stderr once collected.
    stderr_text: Option<String>,
    /// Bound on waiting for `stderr` after a failure.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Whether any byte came from the daemon.
    received: bool,
}

impl fmt::Debug for SshStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SshStream")
            .field("command", &self.0.command)
            .field("pid", &self.0.child.id())
            .field("shut_down", &self.0.stdin.is_none())
            .finish()
    }
}

/// The arguments of `ssh` for a host: `extra_args` first (e.g. `-F config`), then a
/// connect timeout unless the caller set one, no tty, the user and port, `--`, the
/// host and the remote command. The port is left to the ssh configuration when it is
/// 22, so a `Port` in `~/.ssh/config` for a host alias still applies.
fn ssh_args(user: Option<&str>, host: &str, port: u16, extra_args: &[String]) -> Vec<String> {
    let mut args: Vec<String> = extra_args.to_vec();
    if !extra_args
        .iter()
        .any(|a| a.to_ascii_lowercase().contains("connecttimeout"))
    {
        args.extend(["-o".into(), "ConnectTimeout=30".into()]);
    }
    args.push("-T".into());
    if let Some(user) = user {
        args.extend(["-l".into(), user.into()]);
    }
    if port != 22 {
        args.extend(["-p".into(), port.to_string()]);
    }
    args.extend(["--".into(), host.into()]);
    args.extend(["docker", "system", "dial-stdio"].map(String::from));
    args
}

/// Starts `ssh [extra_args] [-l user] [-p port] -- host docker system dial-stdio`.
///
/// Returns once ssh runs; whether it reached the daemon shows on the first read or
/// write, whose error then carries what ssh printed (e.g. `ssh: connect to host … port
/// 22: Connection refused`). Needs a tokio runtime (ssh's stderr is read by a task).
pub async fn connect(
    user: Option<&str>,
    host: &str,
    port: u16,
    extra_args: &[String],
) -> io::Result<SshStream> {
    let args = ssh_args(user, host, port, extra_args);
    let command = format!("ssh {}", args.join(" "));
    let mut child = Command::new("ssh")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot run `{command}`: {e}; ssh:// hosts need an OpenSSH client \
                     (apt-get install openssh-client)"
                ),
            )
        })?;
    let missing = |what: &str| io::Error::other(format!("`{command}` started without {what}"));
    let stdin = child.stdin.take().ok_or_else(|| missing("stdin"))?;
    let stdout = child.stdout.take().ok_or_else(|| missing("stdout"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| missing("stderr"))?;
    let stderr = tokio::spawn(async move {
        let mut kept = Vec::new();
        let mut chunk = [0u8; 1024];
        // Read to the end (so ssh never blocks on a full pipe) but keep only the start.
        while let Ok(n @ 1..) = stderr.read(&mut chunk).await {
            let room = STDERR_CAP.saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..n.min(room)]);
        }
        kept
    });
    Ok(SshStream(Box::new(Inner {
        command,
        child,
        stdin: Some(stdin),
        stdout,
        stderr: Some(stderr),
        stderr_text: None,
        deadline: None,
        received: false,
    })))
}

impl Inner {
    /// Waits (briefly) for ssh to finish its stderr and exit, then says what happened.
    fn poll_diagnosis(&mut self, cx: &mut Context<'_>) -> Poll<String> {
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(DIAGNOSIS_WAIT)));
        let expired = deadline.as_mut().poll(cx).is_ready();
        if let Some(task) = self.stderr.as_mut() {
            let bytes = match Pin::new(task).poll(cx) {
                Poll::Ready(bytes) => bytes.unwrap_or_default(),
                Poll::Pending if !expired => return Poll::Pending,
                Poll::Pending => Vec::new(),
            };
            self.stderr = None;
            self.stderr_text = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
        }
        // ssh closes its stderr as it exits; the exit status follows a moment later.
        let exit = {
            let wait = self.child.wait();
            std::pin::pin!(wait).poll(cx)
        };
        let status = match exit {
            Poll::Ready(Ok(status)) => describe_exit(status),
            Poll::Pending if !expired => return Poll::Pending,
            _ => "ssh is still running".to_owned(),
        };
        let printed = match self.stderr_text.as_deref() {
            Some("") | None => "it printed nothing".to_owned(),
            Some(text) => format!("it printed: {text}"),
        };
        Poll::Ready(format!("`{}` failed ({status}); {printed}", self.command))
    }
}

fn describe_exit(status: ExitStatus) -> String {
    match status.code() {
        Some(255) => "ssh exited with status 255: the ssh connection failed".to_owned(),
        Some(127) => "exit status 127: is the docker CLI installed on the remote host?".to_owned(),
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

impl AsyncRead for SshStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self.get_mut().0;
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stdout).poll_read(cx, buf))?;
        let got = buf.filled().len() - before;
        if got > 0 {
            this.received = true;
        } else if buf.remaining() > 0 && !this.received {
            // End of output before the daemon said anything: ssh (or the remote
            // docker) failed. Say why instead of a bare end-of-file.
            let why = ready!(this.poll_diagnosis(cx));
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::ConnectionAborted, why)));
        }
        Poll::Ready(Ok(()))
    }
}

impl Inner {
    fn stdin(&mut self) -> io::Result<&mut ChildStdin> {
        self.stdin.as_mut().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                "write to an ssh connection after shutdown",
            )
        })
    }

    /// A write error; a broken pipe means ssh is gone, so say why.
    fn poll_write_error(&mut self, cx: &mut Context<'_>, e: io::Error) -> Poll<io::Error> {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Poll::Ready(e);
        }
        let why = ready!(self.poll_diagnosis(cx));
        Poll::Ready(io::Error::new(io::ErrorKind::BrokenPipe, why))
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self.get_mut().0;
        match Pin::new(this.stdin()?).poll_write(cx, data) {
            Poll::Ready(Err(e)) => this.poll_write_error(cx, e).map(Err),
            other => other,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self.get_mut().0;
        match Pin::new(this.stdin()?).poll_write_vectored(cx, bufs) {
            Poll::Ready(Err(e)) => this.poll_write_error(cx, e).map(Err),
            other => other,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.0.stdin.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self.get_mut().0;
        let Some(stdin) = this.stdin.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        match Pin::new(stdin).poll_flush(cx) {
            Poll::Ready(Err(e)) => this.poll_write_error(cx, e).map(Err),
            other => other,
        }
    }

    /// Closes ssh's stdin: dial-stdio then half-closes its connection to the daemon.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self.get_mut().0;
        if let Some(stdin) = this.stdin.as_mut() {
            // A pipe has nothing to flush, but a shutdown may not lose buffered bytes
            // should that ever change; a broken pipe here means ssh already left.
            match ready!(Pin::new(stdin).poll_shutdown(cx)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            this.stdin = None;
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests;
