//! A stand-in daemon on a unix socket, for what the real daemon cannot be made to do
//! (truncate a body, stall, send garbage) and for counting connections.
//!
//! Scripted answers are built from wire bytes captured from the real daemon
//! (`core/testdata/*.http`); in `Proxy` mode every byte goes to and from the real daemon.
//! [`RecordingProxy`] forwards likewise and keeps what the client sent.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

/// Wire bytes captured from the real daemon.
pub fn captured(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/testdata")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// What the fake daemon does with a connection.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Forward both ways to the real daemon's socket.
    Proxy(PathBuf),
    /// Read one request head, write these bytes, then close the connection.
    ReplyThenClose(Vec<u8>),
    /// Read one request head, write these bytes, then keep the connection open and silent.
    ReplyThenStall(Vec<u8>),
    /// Accept and never answer.
    Silent,
    /// Wait for the request, write these bytes without reading it, then close: the
    /// unread request makes the close a reset (`ECONNRESET` once the bytes are read).
    ReplyThenReset(Vec<u8>),
    /// Read one request head, write the first `at_once` bytes, then the rest one byte
    /// every `every` (a slow-loris daemon), then close.
    Trickle {
        /// The whole answer.
        bytes: Vec<u8>,
        /// How many bytes go out at once.
        at_once: usize,
        /// The pause before each later byte.
        every: Duration,
    },
    /// Answer successive requests on one connection with these responses, in order
    /// (keep-alive), then close.
    Script(Vec<Vec<u8>>),
    /// Answer successive requests on one connection with these responses, in order,
    /// then read one more request and never answer it (the connection stays open).
    ScriptThenStall(Vec<Vec<u8>>),
    /// Answer successive requests on one connection with these responses, in order,
    /// then read one more request and close without answering: the client finds the
    /// kept connection dead only once its request is on the way.
    ScriptThenDrop(Vec<Vec<u8>>),
    /// The first connection gets the first behaviour, later ones the second.
    FirstThen(Box<Behaviour>, Box<Behaviour>),
}

/// A running fake daemon. Dropping it stops accepting.
#[derive(Debug)]
pub struct FakeDaemon {
    path: PathBuf,
    accepted: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl FakeDaemon {
    /// Starts a fake daemon with `behaviour` on a fresh socket path.
    pub async fn start(behaviour: Behaviour) -> FakeDaemon {
        let dir = TempDir::new("fake-daemon");
        let path = dir.0.join("docker.sock");
        let listener = UnixListener::bind(&path).expect("bind fake daemon socket");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let b = match &behaviour {
                    Behaviour::FirstThen(first, _) if n == 0 => (**first).clone(),
                    Behaviour::FirstThen(_, rest) => (**rest).clone(),
                    other => other.clone(),
                };
                tokio::spawn(serve(conn, b, seen.clone()));
            }
        });
        FakeDaemon {
            path,
            accepted,
            heads,
            task,
            _dir: dir,
        }
    }

    /// `unix://<socket>` for `Docker::connect`.
    pub fn url(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Request heads received by scripted behaviours (not by `Proxy`), as text.
    pub fn request_heads(&self) -> Vec<String> {
        self.heads.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The bytes one client connection sent.
type Recorded = Arc<Mutex<Vec<u8>>>;

/// A proxy to the real daemon that keeps every byte its clients sent, connection by
/// connection: for what only the wire shows (a header, how an upload is encoded) while
/// the real daemon still answers.
#[derive(Debug)]
pub struct RecordingProxy {
    path: PathBuf,
    sent: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl RecordingProxy {
    /// Starts a proxy to the daemon socket `real` on a fresh socket path.
    pub async fn start(real: PathBuf) -> RecordingProxy {
        let dir = TempDir::new("recording-proxy");
        let path = dir.0.join("docker.sock");
        let listener = UnixListener::bind(&path).expect("bind proxy socket");
        let sent = Arc::new(Mutex::new(Vec::new()));
        let conns = sent.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let Ok(upstream) = UnixStream::connect(&real).await else {
                    return;
                };
                let record = Recorded::default();
                if let Ok(mut c) = conns.lock() {
                    c.push(record.clone());
                }
                let (mut client_rx, mut client_tx) = conn.into_split();
                let (mut up_rx, mut up_tx) = upstream.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut up_rx, &mut client_tx).await;
                });
                tokio::spawn(async move {
                    let mut buf = [0u8; 16 * 1024];
                    loop {
                        let n = match client_rx.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if let Ok(mut r) = record.lock() {
                            r.extend_from_slice(&buf[..n]);
                        }
                        if up_tx.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = up_tx.shutdown().await;
                });
            }
        });
        RecordingProxy {
            path,
            sent,
            task,
            _dir: dir,
        }
    }

    /// `unix://<socket>` for `Docker::connect`.
    pub fn url(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// What the clients sent so far, one buffer per connection, in accept order.
    pub fn sent(&self) -> Vec<Vec<u8>> {
        self.sent
            .lock()
            .map(|c| {
                c.iter()
                    .map(|r| r.lock().map(|b| b.clone()).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut conn: UnixStream, behaviour: Behaviour, heads: Arc<Mutex<Vec<String>>>) {
    match behaviour {
        Behaviour::Proxy(real) => {
            let Ok(mut upstream) = UnixStream::connect(&real).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
        }
        Behaviour::ReplyThenClose(bytes) => {
            read_head(&mut conn, &heads).await;
            let _ = conn.write_all(&bytes).await;
            let _ = conn.shutdown().await;
        }
        Behaviour::ReplyThenStall(bytes) => {
            read_head(&mut conn, &heads).await;
            let _ = conn.write_all(&bytes).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Behaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            drop(conn);
        }
        Behaviour::ReplyThenReset(bytes) => {
            if conn.readable().await.is_err() {
                return;
            }
            // Let the rest of the request arrive: it stays unread.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = conn.write_all(&bytes).await;
            drop(conn);
        }
        Behaviour::Trickle {
            bytes,
            at_once,
            every,
        } => {
            read_head(&mut conn, &heads).await;
            let at_once = at_once.min(bytes.len());
            let _ = conn.write_all(&bytes[..at_once]).await;
            for b in &bytes[at_once..] {
                tokio::time::sleep(every).await;
                if conn.write_all(&[*b]).await.is_err() {
                    return;
                }
            }
            let _ = conn.shutdown().await;
        }
        Behaviour::Script(answers) => {
            if play(&mut conn, answers, &heads).await {
                let _ = conn.shutdown().await;
            }
        }
        Behaviour::ScriptThenStall(answers) => {
            if play(&mut conn, answers, &heads).await && read_head(&mut conn, &heads).await {
                std::future::pending::<()>().await;
            }
        }
        Behaviour::ScriptThenDrop(answers) => {
            if play(&mut conn, answers, &heads).await {
                read_head(&mut conn, &heads).await;
                let _ = conn.shutdown().await;
            }
        }
        Behaviour::FirstThen(..) => unreachable!("resolved at accept"),
    }
}

/// Answers successive requests with `answers`, in order; false when the connection
/// ended first.
async fn play(conn: &mut UnixStream, answers: Vec<Vec<u8>>, heads: &Mutex<Vec<String>>) -> bool {
    for answer in answers {
        if !read_head(conn, heads).await || conn.write_all(&answer).await.is_err() {
            return false;
        }
    }
    true
}

/// Reads one request: its head and a `Content-Length` body (so that closing the
/// connection afterwards leaves nothing unread, which would turn the close into a
/// reset). False when the connection ended first.
async fn read_head(conn: &mut UnixStream, heads: &Mutex<Vec<String>>) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let body_len = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut have = buf.len() - end;
    while have < body_len {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => have += n,
        }
    }
    if let Ok(mut h) = heads.lock() {
        h.push(head);
    }
    true
}

/// A temporary directory removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates a fresh directory under the system temp dir.
    pub fn new(prefix: &str) -> TempDir {
        let p = std::env::temp_dir().join(crate::unique(prefix));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A captured response split into its head (status line and headers, without the
/// blank line) and its body, de-chunked when it was sent chunked.
pub fn split_capture(raw: &[u8]) -> (String, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a captured response has a head");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let rest = &raw[end + 4..];
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    (head, body)
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..i])
            .ok()
            .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or("").trim(), 16).ok())
            .expect("a chunk size line");
        if size == 0 {
            break;
        }
        let data = &rest[i + 2..];
        body.extend_from_slice(&data[..size.min(data.len())]);
        rest = data.get(size + 2..).unwrap_or_default();
    }
    body
}

/// `head` without its framing headers, plus `Content-Length: content_length`, then
/// `body` (the length may deliberately disagree with the body).
pub fn sized_response(head: &str, body: &[u8], content_length: usize) -> Vec<u8> {
    let mut out = framing_free(head);
    out.extend_from_slice(format!("Content-Length: {content_length}\r\n\r\n").as_bytes());
    out.extend_from_slice(body);
    out
}

/// `head` without its framing headers, plus `Transfer-Encoding: chunked`, then `body`
/// in chunks of `chunk` bytes and the terminating empty chunk.
pub fn chunked_response(head: &str, body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = framing_free(head);
    out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
    for piece in body.chunks(chunk.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn framing_free(head: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in head.split("\r\n") {
        let name = line.split(':').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("transfer-encoding")
            || name.eq_ignore_ascii_case("content-length")
        {
            continue;
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}
