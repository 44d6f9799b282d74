//! `logs`, `exec`, `export`, and the plumbing between the daemon's streams and this
//! process's stdin, stdout, stderr and files.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use bytes::{Buf, Bytes};
use clap::Args;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

use berth::api::container_io::{ContainerLogs, Tail};
use berth::api::exec::ExecCreate;
use berth::core::stream::{Frame, StreamKind};
use berth::transport::{ByteStream, ResponseBody};
use berth::{Docker, SessionInput};

use crate::system::parse_time;
use crate::{Failure, Outcome, exit_status};

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Keep printing new output until the container stops.
    #[arg(short, long)]
    follow: bool,
    /// Lines from the end to show: a number or `all`.
    #[arg(short = 'n', long, default_value = "all", value_parser = parse_tail)]
    tail: Tail,
    /// Prefix each line with its RFC 3339 timestamp.
    #[arg(short, long)]
    timestamps: bool,
    /// Only output since this Unix time or relative duration (`10m`).
    #[arg(long)]
    since: Option<String>,
    /// Only output before this Unix time or relative duration.
    #[arg(long)]
    until: Option<String>,
    /// Container (id, id prefix or name).
    container: String,
}

fn parse_tail(s: &str) -> Result<Tail, String> {
    if s == "all" {
        return Ok(Tail::All);
    }
    s.parse()
        .map(Tail::Lines)
        .map_err(|_| format!("{s:?} is neither a number of lines nor `all`"))
}

pub async fn logs(docker: &Docker, a: LogsArgs) -> Result<(), Failure> {
    let mut options = ContainerLogs::new(a.container);
    options.follow = a.follow;
    options.tail = a.tail;
    options.timestamps = a.timestamps;
    options.since = a.since.as_deref().map(parse_time).transpose()?;
    options.until = a.until.as_deref().map(parse_time).transpose()?;
    let stream = docker.logs(&options).await?;
    print_frames(stream).await
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Copy this process's stdin to the command's.
    #[arg(short, long)]
    interactive: bool,
    /// Allocate a TTY (output is then one raw stream).
    #[arg(short, long)]
    tty: bool,
    /// Start the command and return at once.
    #[arg(short, long)]
    detach: bool,
    /// Environment variable `KEY=value` (repeatable).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Working directory inside the container.
    #[arg(short, long)]
    workdir: Option<String>,
    /// User (`name`, `uid`, `uid:gid`).
    #[arg(short, long)]
    user: Option<String>,
    /// Give the command extended privileges.
    #[arg(long)]
    privileged: bool,
    /// Container (id, id prefix or name), must be running.
    container: String,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    cmd: Vec<String>,
}

pub async fn exec(docker: &Docker, a: ExecArgs) -> Outcome {
    let options = ExecCreate {
        container: a.container,
        cmd: a.cmd,
        env: a.env,
        workdir: a.workdir,
        user: a.user,
        privileged: a.privileged,
        tty: a.tty,
        stdin: a.interactive && !a.detach,
        stdout: !a.detach,
        stderr: !a.detach,
        detach_keys: None,
    };
    if a.detach {
        let id = docker.exec_create(&options).await?;
        docker.exec_start_detached(&id, a.tty).await?;
        return Ok(0);
    }
    let session = docker.exec_session(&options).await?;
    let id = session.id.clone();
    let (input, output) = session.session.split();
    let feeder = a.interactive.then(|| tokio::spawn(feed_stdin(input)));
    let printed = print_frames(output).await;
    if let Some(f) = feeder {
        // The command is done: whatever stdin still holds has nowhere to go.
        f.abort();
    }
    printed?;
    // The output can end a moment before the daemon records the exit code.
    for _ in 0..50 {
        let state = docker.exec_inspect(&id).await?;
        if state.running != Some(true)
            && let Some(code) = state.exit_code
        {
            return Ok(exit_status(code));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(Failure::msg(format!(
        "exec {id} ended its output but the daemon reports no exit code"
    )))
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Container (id, id prefix or name).
    container: String,
}

pub async fn export(docker: &Docker, a: ExportArgs) -> Result<(), Failure> {
    if a.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Failure::msg(
            "refusing to write a tar archive to a terminal: use -o FILE or redirect stdout",
        ));
    }
    let body = docker.export(&a.container).await?;
    // The file is created only once the daemon answered, so a bad name leaves none.
    let (sink, what): (Box<dyn Write + Send>, String) = match &a.output {
        Some(path) => {
            let f = std::fs::File::create(path)
                .map_err(|e| Failure::io(format!("creating {}", path.display()), &e))?;
            (
                Box::new(f),
                format!("exporting {} to {}", a.container, path.display()),
            )
        }
        None => (
            Box::new(std::io::stdout()),
            format!("exporting {} to stdout", a.container),
        ),
    };
    body_to_writer(body, sink, &what).await
}

/// Prints frames as they arrive: stdout frames to stdout, stderr frames to stderr.
pub async fn print_frames<S>(mut frames: S) -> Result<(), Failure>
where
    S: Stream<Item = berth::Result<Frame>> + Unpin,
{
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    while let Some(frame) = frames.next().await {
        let frame = frame?;
        let (out, name): (&mut dyn Write, &str) = match frame.stream {
            StreamKind::Stderr => (&mut stderr, "stderr"),
            StreamKind::Stdout | StreamKind::Stdin => (&mut stdout, "stdout"),
        };
        out.write_all(&frame.data)
            .and_then(|()| out.flush())
            .map_err(|e| Failure::io(format!("writing {name}"), &e))?;
    }
    Ok(())
}

/// This process's stdin as chunks. A plain thread reads it (a blocking read cannot
/// be cancelled, so it must not be one the runtime waits for at exit); the receiver
/// ends at EOF.
pub fn stdin_chunks() -> mpsc::Receiver<std::io::Result<Bytes>> {
    let (tx, rx) = mpsc::channel(4);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let item = match stdin.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => Ok(Bytes::copy_from_slice(&buf[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let stop = item.is_err();
            if tx.blocking_send(item).is_err() || stop {
                return;
            }
        }
    });
    rx
}

/// Copies this process's stdin to a session's, then half-closes it so the process
/// reads EOF. A failed write means the process is gone: output reading sees the rest.
pub async fn feed_stdin(mut input: SessionInput) {
    let mut chunks = stdin_chunks();
    while let Some(Ok(chunk)) = chunks.recv().await {
        if input.write(&chunk).await.is_err() {
            return;
        }
    }
    let _closed = input.close().await;
}

/// A stream of chunks from a channel, as an upload body.
pub fn channel_stream(rx: mpsc::Receiver<std::io::Result<Bytes>>) -> ByteStream {
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// A blocking [`Read`] over chunks sent from async code (to feed the `tar` crate or a
/// blocking writer from a thread of the blocking pool).
pub struct ChannelReader {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl ChannelReader {
    pub fn new(rx: mpsc::Receiver<std::io::Result<Bytes>>) -> ChannelReader {
        ChannelReader {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Sends a response body's chunks to `tx` until it ends, the receiver hangs up, or
/// the body fails (the failure is sent on as an I/O error).
pub async fn send_body(mut body: ResponseBody, tx: mpsc::Sender<std::io::Result<Bytes>>) {
    while let Some(chunk) = body.chunk().await {
        let failed = chunk.is_err();
        let item = chunk.map_err(std::io::Error::other);
        if tx.send(item).await.is_err() || failed {
            return;
        }
    }
}

/// Streams a response body into a blocking writer (a file, stdout) on the blocking
/// pool, a few chunks in flight at most: memory stays constant whatever the size.
async fn body_to_writer(
    body: ResponseBody,
    mut sink: Box<dyn Write + Send>,
    what: &str,
) -> Result<(), Failure> {
    let (tx, rx) = mpsc::channel(8);
    let writer = tokio::task::spawn_blocking(move || {
        let mut reader = ChannelReader::new(rx);
        std::io::copy(&mut reader, &mut sink)?;
        sink.flush()
    });
    send_body(body, tx).await;
    writer
        .await
        .map_err(|e| Failure::msg(format!("{what}: {e}")))?
        .map_err(|e| Failure::io(what, &e))
}
