//! A stand-in daemon on a unix socket, for what the real daemon cannot be made to do
//! (truncate a body, stall, send garbage) and for counting connections.
//!
//! Scripted answers are built from wire bytes captured from the real daemon
//! (`core/testdata/*.http`); in `Proxy` mode every byte goes to and from the real daemon.

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
        Behaviour::FirstThen(..) => unreachable!("resolved at accept"),
    }
}

async fn read_head(conn: &mut UnixStream, heads: &Mutex<Vec<String>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    if let Ok(mut h) = heads.lock() {
        h.push(String::from_utf8_lossy(&buf).into_owned());
    }
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
