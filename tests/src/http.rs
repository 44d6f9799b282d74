//! A tiny HTTP/1.1 server on 127.0.0.1 for what the daemon fetches itself: a URL
//! import, a remote build context, a registry's v1 search API.
//!
//! It answers every connection with one response and closes it, serves fixed bodies
//! by path, records each request line, and drops a TLS handshake at once (the daemon
//! tries HTTPS first for a registry and falls back to plain HTTP for an insecure one).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What is served at one path (the request target without its query string).
#[derive(Debug, Clone)]
pub struct Route {
    /// The path, e.g. `/v1/search`.
    pub path: String,
    /// The `Content-Type` of the answer.
    pub content_type: String,
    /// The body of the answer.
    pub body: Vec<u8>,
}

impl Route {
    /// `body` with `content_type` at `path`.
    pub fn new(path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            path: path.to_owned(),
            content_type: content_type.to_owned(),
            body: body.into(),
        }
    }
}

/// A running server; dropping it stops accepting.
#[derive(Debug)]
pub struct HttpServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpServer {
    /// Serves `routes` on an ephemeral port of 127.0.0.1; other paths get a `404`.
    pub async fn start(routes: Vec<Route>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let routes = Arc::new(routes);
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(answer(conn, routes.clone(), seen.clone()));
            }
        });
        HttpServer {
            port,
            requests,
            task,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host())
    }

    /// The request lines received so far (`GET /v1/_ping HTTP/1.1`), in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    mut conn: tokio::net::TcpStream,
    routes: Arc<Vec<Route>>,
    seen: Arc<Mutex<Vec<String>>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        // A TLS ClientHello (record type 22): no HTTPS here; closing makes the
        // client's handshake fail at once instead of timing out.
        if head.first() == Some(&0x16) {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let line = text.lines().next().unwrap_or_default().to_owned();
    if let Ok(mut s) = seen.lock() {
        s.push(line.clone());
    }
    let target = line.split(' ').nth(1).unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default();
    let (status, content_type, body) = match routes.iter().find(|r| r.path == path) {
        Some(r) => ("200 OK", r.content_type.as_str(), r.body.as_slice()),
        None => ("404 Not Found", "text/plain", &b"not found\n"[..]),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(response.as_bytes()).await;
    let _ = conn.write_all(body).await;
    let _ = conn.shutdown().await;
}
