//! `berth_stream` (pull- and callback-style), `berth_cancel`, `berth_upload`.

use std::ffi::c_void;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use berth_host::{Docker, SessionInput};

use crate::error::{BerthError, BerthResult, Fail};
use crate::ffi::{Res, bytes, guard, handle, handle_mut, need, put, put_string};

/// What the bytes of a `berth_frame` are.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Container stdin echoed on an attach stream.
    Stdin = 0,
    /// Container stdout (all output of a TTY container).
    Stdout = 1,
    /// Container stderr.
    Stderr = 2,
    /// One JSON object of a JSON stream (progress, events, stats), complete.
    Json = 3,
    /// A chunk of opaque data (a tar archive).
    Data = 4,
}

/// One item of a stream. `data` points to `len` bytes followed by a NUL byte (so a
/// JSON frame can be used as a C string); it is borrowed from the stream and valid
/// until the next call on that stream or its `berth_stream_free`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct BerthFrame {
    /// What the bytes are.
    pub kind: Kind,
    /// The bytes (never NULL after a successful `berth_stream_next`).
    pub data: *const u8,
    /// How many bytes (the NUL terminator not counted).
    pub len: usize,
}

/// Called once per frame by the callback-style calls, on the calling thread. Return 0
/// to go on, anything else to stop (the call then returns `BERTH_RESULT_CANCELLED`).
/// `frame` and its data are only valid during the call.
pub type BerthFrameCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, frame: *const BerthFrame) -> i32>;

pub(crate) type Items = Pin<Box<dyn Stream<Item = berth_host::Result<(Kind, Bytes)>> + Send>>;

/// A cancellation token: `berth_cancel_cancel` from any thread makes calls watching
/// the token (streams it is set on, `berth_container_wait`, the callback-style calls)
/// return `BERTH_RESULT_CANCELLED` promptly.
///
/// Thread safety: fully thread-safe; cancel it from any thread while another thread
/// is blocked in a call watching it. Free it after those calls returned (a stream
/// keeps its own reference, so freeing the token while a stream holds it is safe).
#[derive(Debug)]
pub struct BerthCancel {
    tx: Arc<watch::Sender<bool>>,
}

/// A new, not yet cancelled token. Never NULL; free with `berth_cancel_free`.
#[unsafe(no_mangle)]
pub extern "C" fn berth_cancel_new() -> *mut BerthCancel {
    let (tx, _) = watch::channel(false);
    Box::into_raw(Box::new(BerthCancel { tx: Arc::new(tx) }))
}

/// Cancels: every call watching the token returns `BERTH_RESULT_CANCELLED` (now, or as
/// soon as it starts). Idempotent. NULL is a no-op.
///
/// # Safety
/// `cancel` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_cancel_cancel(cancel: *const BerthCancel) {
    // SAFETY: NULL or live per the contract.
    if let Some(c) = unsafe { cancel.as_ref() } {
        c.tx.send_replace(true);
    }
}

/// Whether `berth_cancel_cancel` was called on the token (false for NULL).
///
/// # Safety
/// `cancel` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_cancel_is_cancelled(cancel: *const BerthCancel) -> bool {
    // SAFETY: NULL or live per the contract.
    unsafe { cancel.as_ref() }.is_some_and(|c| *c.tx.borrow())
}

/// Frees a token. NULL is a no-op.
///
/// # Safety
/// `cancel` is NULL or a token from `berth_cancel_new`, not yet freed, and no call on
/// another thread is using this pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_cancel_free(cancel: *mut BerthCancel) {
    if !cancel.is_null() {
        // SAFETY: from Box::into_raw in berth_cancel_new, freed once.
        drop(unsafe { Box::from_raw(cancel) });
    }
}

/// A watcher of an optional token.
#[derive(Debug, Clone, Default)]
pub(crate) struct Watch(Option<watch::Receiver<bool>>);

impl Watch {
    /// Watches `cancel` (NULL = never cancelled).
    ///
    /// # Safety
    /// `cancel` is NULL or a live token.
    pub(crate) unsafe fn of(cancel: *const BerthCancel) -> Watch {
        // SAFETY: NULL or live per the contract.
        Watch(unsafe { cancel.as_ref() }.map(|c| c.tx.subscribe()))
    }

    fn is_cancelled(&self) -> bool {
        self.0.as_ref().is_some_and(|r| *r.borrow())
    }

    /// Resolves once cancelled; never when there is no token.
    async fn cancelled(&mut self) {
        match &mut self.0 {
            Some(rx) => {
                if rx.wait_for(|v| *v).await.is_err() {
                    // The token is gone without being cancelled: it never will be.
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }

    /// Runs `f` unless cancelled first.
    pub(crate) async fn run<T>(
        &mut self,
        f: impl Future<Output = Result<T, Fail>>,
        what: &str,
    ) -> Result<T, Fail> {
        if self.is_cancelled() {
            return Err(Fail::cancelled(format!("{what} was cancelled")));
        }
        tokio::select! {
            r = f => r,
            () = self.cancelled() => Err(Fail::cancelled(format!("{what} was cancelled"))),
        }
    }
}

/// A stream of frames from the daemon: logs, attach/exec output, progress (pull, push,
/// build, load), events, stats, archives. Read it with `berth_stream_next` or
/// `berth_stream_for_each`; exec and attach streams also take stdin through
/// `berth_stream_write` and `berth_stream_close_write`.
///
/// Thread safety: a stream may be moved between threads but used by one thread at a
/// time. To interrupt a blocked `berth_stream_next` from another thread, set a
/// `berth_cancel` on the stream and cancel that. Freeing the stream closes its
/// connection.
pub struct BerthStream {
    items: Items,
    input: Option<SessionInput>,
    exec: Option<(Docker, String)>,
    cancel: Watch,
    frame: Vec<u8>,
    done: bool,
    what: &'static str,
    // Last: dropped after the connections that live on it.
    rt: Arc<Runtime>,
}

impl std::fmt::Debug for BerthStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BerthStream")
            .field("what", &self.what)
            .field("done", &self.done)
            .finish()
    }
}

impl BerthStream {
    pub(crate) fn new(rt: Arc<Runtime>, items: Items, what: &'static str) -> BerthStream {
        BerthStream {
            rt,
            items,
            input: None,
            exec: None,
            cancel: Watch::default(),
            frame: Vec::new(),
            done: false,
            what,
        }
    }

    /// A stream that also carries stdin.
    pub(crate) fn with_input(mut self, input: SessionInput) -> BerthStream {
        self.input = Some(input);
        self
    }

    /// A stream of an exec, whose exit code can be asked for.
    pub(crate) fn with_exec(mut self, docker: Docker, exec_id: String) -> BerthStream {
        self.exec = Some((docker, exec_id));
        self
    }

    /// Boxes the stream for C.
    pub(crate) fn into_raw(self) -> *mut BerthStream {
        Box::into_raw(Box::new(self))
    }

    /// The next frame, copied into the frame buffer; `Ok(false)` at the end.
    fn advance(&mut self) -> Result<bool, Fail> {
        if self.done {
            return Ok(false);
        }
        let BerthStream {
            rt,
            items,
            cancel,
            what,
            ..
        } = self;
        let next = rt.block_on(cancel.run(async { Ok(items.next().await) }, what));
        match next {
            Ok(Some(Ok((kind, data)))) => {
                self.frame.clear();
                self.frame.reserve(data.len() + 1);
                self.frame.push(kind as u32 as u8);
                self.frame.extend_from_slice(&data);
                self.frame.push(0);
                Ok(true)
            }
            Ok(None) => {
                self.done = true;
                Ok(false)
            }
            Ok(Some(Err(e))) => {
                self.done = true;
                Err(e.into())
            }
            Err(fail) => Err(fail),
        }
    }

    /// The current frame (valid after `advance` returned true).
    fn current(&self) -> BerthFrame {
        let kind = match self.frame.first() {
            Some(0) => Kind::Stdin,
            Some(1) => Kind::Stdout,
            Some(2) => Kind::Stderr,
            Some(3) => Kind::Json,
            _ => Kind::Data,
        };
        BerthFrame {
            kind,
            data: self.frame.get(1..).map_or(std::ptr::null(), <[u8]>::as_ptr),
            len: self.frame.len().saturating_sub(2),
        }
    }

    /// Runs every remaining frame through `cb`; stops early when it returns non-zero.
    pub(crate) fn drain(&mut self, cb: BerthFrameCallback, user_data: *mut c_void) -> Res {
        while self.advance()? {
            if let Some(f) = cb {
                let frame = self.current();
                // SAFETY: the caller gave a valid callback; the frame and its data are
                // alive for the duration of the call.
                let stop = unsafe { f(user_data, &frame) };
                if stop != 0 {
                    return Err(Fail::cancelled(format!(
                        "{}: the callback asked to stop",
                        self.what
                    )));
                }
            }
        }
        Ok(())
    }

    /// Watches `cancel` from now on.
    pub(crate) fn watch(&mut self, cancel: Watch) {
        self.cancel = cancel;
    }
}

/// Reads the next frame into `*frame`. Returns `BERTH_RESULT_OK` with a frame,
/// `BERTH_RESULT_END` after the last one (and on every later call), or a failure (an
/// error inside the stream, a broken connection, `BERTH_RESULT_CANCELLED`). Blocks
/// until a frame arrives; a `follow` log or event stream may block for a long time
/// (cancel it with a token set by `berth_stream_set_cancel`).
///
/// # Safety
/// `stream` is NULL or live and not used by another thread; `frame` a writable
/// `berth_frame`; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_stream_next(
    stream: *mut BerthStream,
    frame: *mut BerthFrame,
    err: *mut *mut BerthError,
) -> BerthResult {
    let mut end = false;
    let r = guard(err, || -> Res {
        let frame = need(frame, "frame")?;
        // SAFETY: per this function's contract.
        let s = unsafe { handle_mut(stream, "stream") }?;
        if s.advance()? {
            // SAFETY: checked not NULL, writable per the contract.
            unsafe { put(frame, s.current()) };
        } else {
            end = true;
        }
        Ok(())
    });
    if r == BerthResult::Ok && end {
        BerthResult::End
    } else {
        r
    }
}

/// Reads the stream to its end, calling `callback` with every frame on this thread.
/// Returns `BERTH_RESULT_OK` at the end of the stream, `BERTH_RESULT_CANCELLED` when
/// the callback returned non-zero or the stream's token was cancelled, or the
/// stream's failure. A NULL callback drains the stream.
///
/// # Safety
/// `stream` is NULL or live and not used by another thread; `callback` NULL or a
/// function safe to call with `user_data`; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_stream_for_each(
    stream: *mut BerthStream,
    callback: BerthFrameCallback,
    user_data: *mut c_void,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let s = unsafe { handle_mut(stream, "stream") }?;
        s.drain(callback, user_data)
    })
}

/// Makes `cancel` interrupt this stream: once cancelled (before or during a call),
/// `berth_stream_next`/`berth_stream_for_each` return `BERTH_RESULT_CANCELLED`. The
/// stream keeps its own reference to the token. NULL `cancel` removes the token.
///
/// # Safety
/// `stream` is NULL or live and not used by another thread; `cancel` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_stream_set_cancel(
    stream: *mut BerthStream,
    cancel: *const BerthCancel,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let s = unsafe { handle_mut(stream, "stream") }?;
        // SAFETY: per this function's contract.
        s.watch(unsafe { Watch::of(cancel) });
        Ok(())
    })
}

/// Writes `len` bytes to the stdin of an exec or attach stream (opened with stdin).
/// `BERTH_RESULT_INVALID_ARGUMENT` for streams without stdin or after
/// `berth_stream_close_write`.
///
/// # Safety
/// `stream` is NULL or live and not used by another thread; `data` points to `len`
/// readable bytes (NULL only with `len` 0); `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_stream_write(
    stream: *mut BerthStream,
    data: *const u8,
    len: usize,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let s = unsafe { handle_mut(stream, "stream") }?;
        // SAFETY: per this function's contract.
        let data = unsafe { bytes(data, len, "data") }?;
        let BerthStream {
            rt, input, what, ..
        } = s;
        let input = input.as_mut().ok_or_else(|| {
            Fail::invalid(format!("{what} has no stdin (open it with BERTH_STDIN)"))
        })?;
        Ok(rt.block_on(input.write(data))?)
    })
}

/// Closes stdin (half-close): the process reads EOF while its output can still be
/// read. Idempotent.
///
/// # Safety
/// `stream` is NULL or live and not used by another thread; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_stream_close_write(
    stream: *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let s = unsafe { handle_mut(stream, "stream") }?;
        let BerthStream {
            rt, input, what, ..
        } = s;
        let input = input
            .as_mut()
            .ok_or_else(|| Fail::invalid(format!("{what} has no stdin")))?;
        Ok(rt.block_on(input.close())?)
    })
}

/// The exit code of an exec stream's process (ask after `BERTH_RESULT_END`). Writes
/// -1 when the process has not exited yet. `BERTH_RESULT_INVALID_ARGUMENT` for
/// streams that are not an exec.
///
/// # Safety
/// `stream` is NULL or live and not used by another thread; `exit_code` writable;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_stream_exit_code(
    stream: *mut BerthStream,
    exit_code: *mut i64,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let exit_code = need(exit_code, "exit_code")?;
        // SAFETY: per this function's contract.
        let s = unsafe { handle(stream.cast_const(), "stream") }?;
        let (docker, id) = s
            .exec
            .as_ref()
            .ok_or_else(|| Fail::invalid(format!("{} is not an exec stream", s.what)))?;
        let inspect = s.rt.block_on(docker.exec_inspect(id))?;
        let code = if inspect.running == Some(true) {
            -1
        } else {
            inspect.exit_code.unwrap_or(-1)
        };
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(exit_code, code) };
        Ok(())
    })
}

/// Frees a stream, closing its connection (a pull or build still running is
/// abandoned). NULL is a no-op.
///
/// # Safety
/// `stream` is NULL or a stream from berth, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_stream_free(stream: *mut BerthStream) {
    if !stream.is_null() {
        // SAFETY: from Box::into_raw in BerthStream::into_raw, freed once.
        let s = unsafe { Box::from_raw(stream) };
        // Drop the connection inside the runtime (tokio I/O objects deregister there).
        let rt = s.rt.clone();
        let _guard = rt.enter();
        drop(s);
    }
}

/// A request body written piece by piece: a tar for `berth_container_put_archive` or
/// `berth_image_load`, or any body of `berth_request_upload`. Write with
/// `berth_upload_write`, then `berth_upload_finish` for the daemon's answer; free
/// with `berth_upload_free` in every case (freeing an unfinished upload aborts it).
///
/// Thread safety: one thread at a time; may be moved between threads.
pub struct BerthUpload {
    tx: Option<mpsc::Sender<std::io::Result<Bytes>>>,
    task: Option<JoinHandle<Result<Bytes, Fail>>>,
    rt: Arc<Runtime>,
}

impl std::fmt::Debug for BerthUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BerthUpload")
            .field("open", &self.tx.is_some())
            .finish()
    }
}

impl BerthUpload {
    /// Starts `request` (given the body stream) on the runtime.
    pub(crate) fn start<F>(
        rt: Arc<Runtime>,
        request: impl FnOnce(berth_host::transport::ByteStream) -> F,
    ) -> BerthUpload
    where
        F: Future<Output = Result<Bytes, Fail>> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(8);
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let fut = request(Box::pin(body));
        let task = rt.spawn(fut);
        BerthUpload {
            rt,
            tx: Some(tx),
            task: Some(task),
        }
    }

    fn finish(&mut self) -> Result<Bytes, Fail> {
        self.tx = None;
        let task = self
            .task
            .take()
            .ok_or_else(|| Fail::invalid("the upload was already finished"))?;
        match self.rt.block_on(task) {
            Ok(r) => r,
            Err(e) => Err(Fail::panic(format!("upload task failed: {e}"))),
        }
    }
}

/// Sends `len` bytes of the body. If the daemon already gave up on the request, the
/// write fails with the daemon's error.
///
/// # Safety
/// `upload` is NULL or live and not used by another thread; `data` points to `len`
/// readable bytes (NULL only with `len` 0); `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_upload_write(
    upload: *mut BerthUpload,
    data: *const u8,
    len: usize,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let u = unsafe { handle_mut(upload, "upload") }?;
        // SAFETY: per this function's contract.
        let data = unsafe { bytes(data, len, "data") }?;
        let tx =
            u.tx.as_ref()
                .ok_or_else(|| Fail::invalid("the upload was already finished"))?;
        if u.rt
            .block_on(tx.send(Ok(Bytes::copy_from_slice(data))))
            .is_err()
        {
            // The request ended early: report why.
            u.finish()?;
            return Err(Fail::from(berth_core::Error::Transport(
                "the daemon closed the upload before the body was complete".into(),
            )));
        }
        Ok(())
    })
}

/// Ends the body and waits for the daemon's answer. On success `*answer` (when not
/// NULL) is the answer as an owned JSON string (`"null"` when the operation answers
/// nothing), for `berth_string_free`.
///
/// # Safety
/// `upload` is NULL or live and not used by another thread; `answer` NULL or a
/// writable slot; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_upload_finish(
    upload: *mut BerthUpload,
    answer: *mut *mut std::ffi::c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let u = unsafe { handle_mut(upload, "upload") }?;
        let body = u.finish()?;
        let body = if body.is_empty() {
            Bytes::from_static(b"null")
        } else {
            body
        };
        // SAFETY: per this function's contract.
        unsafe { put_string(answer, body, "answer") }
    })
}

/// Frees an upload; an unfinished one is aborted. NULL is a no-op.
///
/// # Safety
/// `upload` is NULL or an upload from berth, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_upload_free(upload: *mut BerthUpload) {
    if !upload.is_null() {
        // SAFETY: from Box::into_raw, freed once.
        let u = unsafe { Box::from_raw(upload) };
        if let Some(task) = &u.task {
            task.abort();
        }
        let rt = u.rt.clone();
        let _guard = rt.enter();
        drop(u);
    }
}
