//! The HTTP response path as berth runs it: the fuzz bytes are the whole answer of a
//! daemon on a unix socket (status line, headers, chunked or sized body, garbage),
//! read by berth's real pooled transport (its own HTTP/1 connection for plain calls,
//! hyper for the upgrade path), the stream decoders and the client's typed calls.
//!
//! The fake daemon writes the bytes and closes the connection, so every call must end
//! quickly with `Ok` or a typed error: never a panic, never a hang (a 10 s guard), and
//! never a timeout (EOF was there to be seen). A second call on the same transport
//! must also end, whatever state the first left the pool in.
//!
//! Input: byte 0 picks the call, the rest is the response.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use berth::Category;
use berth::transport::{
    HttpTransport, OutgoingBody, PoolOptions, Target, Timeouts, Transport, WireRequest,
};
use berth_core::stream::{JsonStreamDecoder, OutputDecoder};
use berth_fuzz::feed;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::runtime::Runtime;

const LIMIT: Duration = Duration::from_secs(2);

struct Env {
    rt: Runtime,
    listener: UnixListener,
    path: PathBuf,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = std::env::temp_dir().join(format!("berth-fuzz-http-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("docker.sock");
        let listener = rt.block_on(async { UnixListener::bind(&path).expect("bind") });
        Env { rt, listener, path }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, response)) = data.split_first() else {
        return;
    };
    let env = env();
    env.rt.block_on(async {
        let server = serve(&env.listener, response);
        let client = tokio::time::timeout(Duration::from_secs(10), calls(mode, &env.path));
        tokio::select! {
            r = client => r.expect("a call hung for 10 s on a closed connection"),
            () = server => unreachable!("the fake daemon serves forever"),
        }
    });
});

/// Answers every connection with `response`, then closes it.
async fn serve(listener: &UnixListener, response: &[u8]) {
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            continue;
        };
        read_head(&mut conn).await;
        let _ = conn.write_all(response).await;
        let _ = conn.shutdown().await;
    }
}

async fn read_head(conn: &mut UnixStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn request(path: &str) -> WireRequest {
    WireRequest {
        method: http::Method::GET,
        path: path.to_owned(),
        headers: http::HeaderMap::new(),
        body: OutgoingBody::Empty,
        head_timeout: Some(LIMIT),
        idle_timeout: Some(LIMIT),
    }
}

/// An error of a call to a daemon that answered and hung up: typed, and not a timeout.
fn check(e: &berth::Error) {
    assert!(!e.is_timeout(), "timeout although the daemon closed: {e}");
    assert_ne!(e.category(), Category::InvalidArgument, "{e}");
    assert!(!e.to_string().is_empty());
}

async fn calls(mode: u8, path: &std::path::Path) {
    let timeouts = Timeouts {
        connect: LIMIT,
        response_head: Some(LIMIT),
        idle_read: Some(LIMIT),
    };
    let target = Target::Unix(path.display().to_string());
    let transport =
        HttpTransport::new(target, "", timeouts, PoolOptions::default()).expect("transport");
    let url = format!("unix://{}", path.display());
    let docker = berth::Docker::builder(&url)
        .api_version(berth::ApiVersion::new(1, 41))
        .response_timeout(Some(LIMIT))
        .idle_read_timeout(Some(LIMIT))
        .build()
        .expect("client");
    for _ in 0..2 {
        match mode % 5 {
            0 => collect(&transport).await,
            1 => upgrade(&transport).await,
            2 => decode(&transport).await,
            3 => {
                if let Err(e) = docker.info().await {
                    check(&e);
                }
            }
            _ => {
                if let Err(e) = docker.version().await {
                    check(&e);
                }
            }
        }
    }
}

/// A whole body, then the error reading of a non-2xx answer.
async fn collect(t: &HttpTransport) {
    let res = match t.send(request("/v1.41/info")).await {
        Ok(r) => r,
        Err(e) => return check(&e),
    };
    let mut body = res.body;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.chunk().await {
        match chunk {
            Ok(c) => bytes.extend_from_slice(&c),
            Err(e) => return check(&e),
        }
    }
    if !res.status.is_success() {
        let e = berth_core::Error::from_response(res.status.as_u16(), &bytes);
        assert_eq!(e.status(), Some(res.status.as_u16()), "{e:?}");
    }
}

/// Attach/exec: the upgrade, then the duplex until EOF.
async fn upgrade(t: &HttpTransport) {
    let (_, mut duplex) = match t.upgrade(request("/v1.41/exec/x/start")).await {
        Ok(r) => r,
        Err(e) => return check(&e),
    };
    let _ = duplex.write_all(b"stdin\n").await;
    let _ = duplex.shutdown().await;
    let mut out = Vec::new();
    let _ = duplex.read_to_end(&mut out).await;
}

/// A streamed body through the decoder its Content-Type picks.
async fn decode(t: &HttpTransport) {
    let res = match t.send(request("/v1.41/containers/x/logs?follow=1")).await {
        Ok(r) => r,
        Err(e) => return check(&e),
    };
    let content_type = res.headers.get_str("content-type").map(str::to_owned);
    let mut body = res.body;
    let mut chunks = Vec::new();
    while let Some(chunk) = body.chunk().await {
        match chunk {
            Ok(c) => chunks.push(c),
            Err(e) => {
                check(&e);
                break;
            }
        }
    }
    let pieces: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
    if content_type.as_deref() == Some("application/json") {
        feed(JsonStreamDecoder::new(), &pieces);
    } else {
        let d = OutputDecoder::for_response(content_type.as_deref(), false);
        feed(d, &pieces);
    }
}
