//! The floor: a minimal keep-alive HTTP/1.1 client over one unix socket.
//!
//! The response decoder is sans-IO ([`Decoder::feed`]); two thin drivers read from a
//! blocking [`std::io::Read`] ([`RawClient`]) or a tokio socket ([`AsyncRawClient`]).
//! Nothing is parsed beyond what HTTP framing needs: the body is kept as bytes.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Response heads larger than this are refused.
const MAX_HEAD: usize = 64 << 10;
/// Headers per response head.
const MAX_HEADERS: usize = 32;
/// Initial read buffer size.
const READ_BUF: usize = 16 << 10;
/// Read size of [`read_body_to_eof`] (berth's session reads 64 KiB at a time too).
const READ_TO_EOF: usize = 64 << 10;

/// `GET {path}` as a request that keeps the connection open.
pub fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// `{method} {path}` with a JSON body, keeping the connection open.
pub fn json_request(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Sends `request` on a fresh connection, expects a response head with status
/// `status`, then reads to EOF into a `READ_TO_EOF`-byte buffer, counting and
/// discarding the bytes. Returns the bytes read after the response head, as sent: the
/// floor of streaming, no framing decoded. For exec/attach, `request` asks for
/// `Connection: Upgrade` and `status` is 101 (the multiplexed stream, frame headers
/// included); for a plain answer it asks for `Connection: close` (a chunked body's chunk
/// framing included).
pub fn read_body_to_eof(path: &Path, request: &[u8], status: u16) -> io::Result<u64> {
    let mut stream = UnixStream::connect(path)?;
    stream.write_all(request)?;
    let mut buf = vec![0u8; READ_TO_EOF];
    let mut filled = 0;
    let head_len = loop {
        if filled == buf.len() {
            return Err(invalid("upgrade response head too large"));
        }
        let n = stream.read(&mut buf[filled..])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the upgrade response head",
            ));
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut res = httparse::Response::new(&mut headers);
        match res.parse(&buf[..filled]) {
            Ok(httparse::Status::Complete(len)) => {
                if res.code != Some(status) {
                    return Err(invalid(format!(
                        "expected HTTP {status}, got {:?}: {}",
                        res.code,
                        String::from_utf8_lossy(&buf[len..filled])
                    )));
                }
                break len;
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => return Err(invalid(format!("bad response head: {e}"))),
        }
    };
    let mut total = (filled - head_len) as u64;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    /// A `Content-Length` body with this many bytes left.
    Length(u64),
    /// Expecting a chunk-size line.
    ChunkSize,
    /// Inside a chunk with this many bytes left.
    ChunkData(u64),
    /// Expecting the CRLF after a chunk's data.
    ChunkEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
    Done,
}

/// Decodes one response at a time; the body is appended to [`Decoder::body`].
#[derive(Debug)]
pub struct Decoder {
    state: State,
    status: u16,
    body: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder {
            state: State::Head,
            status: 0,
            body: Vec::with_capacity(READ_BUF),
        }
    }
}

impl Decoder {
    /// Forgets the previous response (keeps the body's allocation).
    pub fn reset(&mut self) {
        self.state = State::Head;
        self.status = 0;
        self.body.clear();
    }

    /// The status code of the response being decoded.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body decoded so far (all of it once [`Decoder::feed`] reported completion).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Consumes bytes from `input`; returns how many, and whether the response is complete.
    /// Bytes after the end of the response are not consumed.
    pub fn feed(&mut self, input: &[u8]) -> io::Result<(usize, bool)> {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            match self.state {
                State::Done => return Ok((pos, true)),
                State::Head => {
                    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                    let mut res = httparse::Response::new(&mut headers);
                    match res.parse(rest) {
                        Ok(httparse::Status::Complete(n)) => {
                            pos += n;
                            self.status = res.code.ok_or_else(|| invalid("no status code"))?;
                            self.state = body_state(self.status, res.headers)?;
                        }
                        Ok(httparse::Status::Partial) if rest.len() > MAX_HEAD => {
                            return Err(invalid("response head too large"));
                        }
                        Ok(httparse::Status::Partial) => return Ok((pos, false)),
                        Err(e) => return Err(invalid(format!("bad response head: {e}"))),
                    }
                }
                State::Length(left) | State::ChunkData(left) => {
                    if rest.is_empty() {
                        return Ok((pos, false));
                    }
                    let take = usize::try_from(left).map_or(rest.len(), |l| l.min(rest.len()));
                    self.body.extend_from_slice(&rest[..take]);
                    pos += take;
                    let left = left - take as u64;
                    self.state = match (self.state, left) {
                        (State::Length(_), 0) => State::Done,
                        (State::Length(_), l) => State::Length(l),
                        (_, 0) => State::ChunkEnd,
                        (_, l) => State::ChunkData(l),
                    };
                }
                State::ChunkSize => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((n, 0))) => {
                        pos += n;
                        self.state = State::Trailers;
                    }
                    Ok(httparse::Status::Complete((n, size))) => {
                        pos += n;
                        self.state = State::ChunkData(size);
                    }
                    Ok(httparse::Status::Partial) => return Ok((pos, false)),
                    Err(_) => return Err(invalid("bad chunk size line")),
                },
                State::ChunkEnd => {
                    if rest.len() < 2 {
                        return Ok((pos, false));
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(invalid("chunk data not followed by CRLF"));
                    }
                    pos += 2;
                    self.state = State::ChunkSize;
                }
                State::Trailers => {
                    let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
                        return Ok((pos, false));
                    };
                    pos += eol + 2;
                    if eol == 0 {
                        self.state = State::Done;
                    }
                }
            }
        }
    }
}

/// How the body after a head with this status and these headers is framed.
fn body_state(status: u16, headers: &[httparse::Header<'_>]) -> io::Result<State> {
    if (100..200).contains(&status) {
        // Docker sends no 1xx answers to plain GETs; refusing is simpler than skipping.
        return Err(invalid(format!("unexpected informational status {status}")));
    }
    if status == 204 || status == 304 {
        return Ok(State::Done);
    }
    let mut length = None;
    for h in headers {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let chunked = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.rsplit(',').next())
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            if !chunked {
                return Err(invalid("transfer-encoding other than chunked"));
            }
            return Ok(State::ChunkSize);
        }
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| invalid("bad content-length"))?;
            length = Some(n);
        }
    }
    match length {
        Some(0) => Ok(State::Done),
        Some(n) => Ok(State::Length(n)),
        None => Err(invalid(
            "response delimited by connection close: cannot keep the connection alive",
        )),
    }
}

/// Bytes read from the socket and not yet decoded.
#[derive(Debug)]
struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Default for ReadBuf {
    fn default() -> ReadBuf {
        ReadBuf {
            buf: vec![0; READ_BUF],
            start: 0,
            end: 0,
        }
    }
}

impl ReadBuf {
    /// Feeds buffered bytes to `dec`; true once the response is complete.
    fn drain_into(&mut self, dec: &mut Decoder) -> io::Result<bool> {
        let (n, done) = dec.feed(&self.buf[self.start..self.end])?;
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        Ok(done)
    }

    /// Free space to read into (moving pending bytes to the front, growing if full).
    fn spare(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        &mut self.buf[self.end..]
    }

    fn filled(&mut self, n: usize) -> io::Result<()> {
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the response ended",
            ));
        }
        self.end += n;
        Ok(())
    }
}

/// Reads one response from `r` into `dec`, buffering read-ahead bytes in `buf`.
fn read_response<R: Read>(r: &mut R, buf: &mut ReadBuf, dec: &mut Decoder) -> io::Result<()> {
    dec.reset();
    while !buf.drain_into(dec)? {
        let n = r.read(buf.spare())?;
        buf.filled(n)?;
    }
    Ok(())
}

/// The blocking floor client: one `std` unix stream, reused for every request.
#[derive(Debug)]
pub struct RawClient {
    stream: UnixStream,
    buf: ReadBuf,
    dec: Decoder,
}

impl RawClient {
    /// Connects to the daemon's socket.
    pub fn connect(path: &Path) -> io::Result<RawClient> {
        Ok(RawClient {
            stream: UnixStream::connect(path)?,
            buf: ReadBuf::default(),
            dec: Decoder::default(),
        })
    }

    /// Sends a prepared request (see [`get_request`]); returns the status and body.
    pub fn send(&mut self, request: &[u8]) -> io::Result<(u16, &[u8])> {
        self.stream.write_all(request)?;
        read_response(&mut self.stream, &mut self.buf, &mut self.dec)?;
        Ok((self.dec.status(), self.dec.body()))
    }
}

/// The same floor client over a tokio unix stream, to show what the async runtime costs.
#[derive(Debug)]
pub struct AsyncRawClient {
    stream: tokio::net::UnixStream,
    buf: ReadBuf,
    dec: Decoder,
}

impl AsyncRawClient {
    /// Connects to the daemon's socket (needs a tokio runtime).
    pub async fn connect(path: &Path) -> io::Result<AsyncRawClient> {
        Ok(AsyncRawClient {
            stream: tokio::net::UnixStream::connect(path).await?,
            buf: ReadBuf::default(),
            dec: Decoder::default(),
        })
    }

    /// Sends a prepared request (see [`get_request`]); returns the status and body.
    pub async fn send(&mut self, request: &[u8]) -> io::Result<(u16, &[u8])> {
        self.stream.write_all(request).await?;
        self.dec.reset();
        while !self.buf.drain_into(&mut self.dec)? {
            let n = self.stream.read(self.buf.spare()).await?;
            self.buf.filled(n)?;
        }
        Ok((self.dec.status(), self.dec.body()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A reader that hands out at most `step` bytes per read, to split every token.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
        Transfer-Encoding: chunked\r\n\r\n\
        5\r\n{\"a\":\r\n3;ext=1\r\n1}\n\r\n0\r\nX-Trailer: t\r\n\r\n\
        HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";

    #[test]
    fn chunked_body_then_keep_alive_response() -> io::Result<()> {
        for step in [1, 2, 3, 7, usize::MAX] {
            let mut r = Trickle {
                data: CHUNKED,
                step,
            };
            let (mut buf, mut dec) = (ReadBuf::default(), Decoder::default());
            read_response(&mut r, &mut buf, &mut dec)?;
            assert_eq!(
                (dec.status(), dec.body()),
                (200, &b"{\"a\":1}\n"[..]),
                "step {step}"
            );
            read_response(&mut r, &mut buf, &mut dec)?;
            assert_eq!((dec.status(), dec.body()), (200, &b"OK"[..]), "step {step}");
        }
        Ok(())
    }

    #[test]
    fn chunked_body_from_cursor() -> io::Result<()> {
        let mut r = Cursor::new(CHUNKED);
        let (mut buf, mut dec) = (ReadBuf::default(), Decoder::default());
        read_response(&mut r, &mut buf, &mut dec)?;
        assert_eq!(dec.body(), b"{\"a\":1}\n");
        Ok(())
    }

    #[test]
    fn truncated_and_malformed_bodies_fail() {
        let mut dec = Decoder::default();
        let mut buf = ReadBuf::default();
        let cut = &CHUNKED[..40];
        let err = read_response(&mut Cursor::new(cut), &mut buf, &mut dec);
        assert_eq!(err.map_err(|e| e.kind()), Err(io::ErrorKind::UnexpectedEof));

        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        let mut buf = ReadBuf::default();
        let err = read_response(&mut Cursor::new(&bad[..]), &mut buf, &mut dec);
        assert_eq!(err.map_err(|e| e.kind()), Err(io::ErrorKind::InvalidData));
    }

    #[test]
    fn no_body_statuses_and_empty_length() -> io::Result<()> {
        let data =
            b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        let mut r = Cursor::new(&data[..]);
        let (mut buf, mut dec) = (ReadBuf::default(), Decoder::default());
        read_response(&mut r, &mut buf, &mut dec)?;
        assert_eq!((dec.status(), dec.body().len()), (204, 0));
        read_response(&mut r, &mut buf, &mut dec)?;
        assert_eq!((dec.status(), dec.body().len()), (404, 0));
        Ok(())
    }

    /// A one-shot server on a fresh socket: reads the request, sends `answer`, closes.
    fn serve_once(name: &str, answer: &'static [u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("berth-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut req = [0u8; 1024];
            let _ = s.read(&mut req).expect("read request");
            // The head and the first body bytes in one write, the rest in another.
            s.write_all(&answer[..answer.len() / 2]).expect("write");
            s.write_all(&answer[answer.len() / 2..]).expect("write");
        });
        path
    }

    #[test]
    fn read_body_to_eof_counts_what_follows_the_head() -> io::Result<()> {
        let answer =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        let path = serve_once("eof-200", answer);
        let n = read_body_to_eof(&path, b"GET / HTTP/1.1\r\n\r\n", 200)?;
        let _ = std::fs::remove_file(&path);
        // Chunk framing included: everything after the head.
        assert_eq!(n, b"5\r\nhello\r\n0\r\n\r\n".len() as u64);
        Ok(())
    }

    #[test]
    fn read_body_to_eof_refuses_another_status() {
        let answer = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found";
        let path = serve_once("eof-404", answer);
        let err = read_body_to_eof(&path, b"POST / HTTP/1.1\r\n\r\n", 101);
        let _ = std::fs::remove_file(&path);
        let err = err.expect_err("404 is not 101");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("expected HTTP 101"), "{err}");
    }
}
