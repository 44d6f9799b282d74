//! Result codes, error categories and the owned `berth_error`.

use std::ffi::{CString, c_char};

use berth_core::Category;

/// What a berth call returned. `BERTH_RESULT_OK` (0) is success; every other code but
/// `BERTH_RESULT_END` is a failure whose details are in the `berth_error` the call
/// filled (when the caller passed a non-NULL `berth_error**`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BerthResult {
    /// Success.
    Ok = 0,
    /// A stream has no more frames (not an error; no `berth_error` is written).
    End = 1,
    /// A required pointer argument was NULL.
    NullArgument = 2,
    /// An argument was invalid: not UTF-8, not JSON, an unknown option value. Nothing
    /// was sent to the daemon.
    InvalidArgument = 3,
    /// The daemon answered 404: no such container, image, network, volume, …
    NotFound = 4,
    /// The daemon answered 409: a name in use, a container not running, …
    Conflict = 5,
    /// The daemon answered another error status (see the error's status and category).
    DaemonError = 6,
    /// The daemon reported an error inside a successful stream (a failed pull, build,
    /// push or load).
    StreamError = 7,
    /// The daemon could not be reached or the connection failed.
    Transport = 8,
    /// A timeout elapsed.
    Timeout = 9,
    /// The call was cancelled through a `berth_cancel` or by a callback.
    Cancelled = 10,
    /// A container run to completion exited non-zero.
    ContainerExit = 11,
    /// berth panicked inside the call (a bug in berth); the panic did not unwind into C.
    Panic = 12,
    /// Any other failure: an undecodable answer, a protocol violation, an API version
    /// the daemon lacks.
    Other = 13,
}

/// The fine-grained category of a `berth_error`: the same set the Rust and WIT faces
/// use (values 1–22), plus the C ABI's own (`NULL_ARGUMENT`, `PANIC`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BerthCategory {
    /// 304: already in the requested state.
    NotModified = 1,
    /// 400: a bad parameter or body.
    BadRequest = 2,
    /// 401: registry authentication failed.
    Unauthorized = 3,
    /// 403: forbidden.
    Forbidden = 4,
    /// 404: no such object.
    NotFound = 5,
    /// 404 about an image.
    ImageNotFound = 6,
    /// 406 / 503 from swarm endpoints: the node is not part of a swarm.
    NotInSwarm = 7,
    /// 409: conflict.
    Conflict = 8,
    /// 500: the daemon failed.
    Server = 9,
    /// 501: not implemented by the daemon.
    NotImplemented = 10,
    /// 503: unavailable.
    Unavailable = 11,
    /// Any other HTTP error status.
    Api = 12,
    /// An error object inside a 200 stream.
    Stream = 13,
    /// The caller's input is invalid; nothing was sent.
    InvalidArgument = 14,
    /// The daemon's answer could not be decoded.
    Decode = 15,
    /// The wire protocol was violated.
    Protocol = 16,
    /// The operation needs a newer Engine API.
    UnsupportedApiVersion = 17,
    /// A berth policy refused the request.
    PolicyDenied = 18,
    /// The connection to the daemon failed.
    Transport = 19,
    /// A timeout elapsed.
    Timeout = 20,
    /// The call was cancelled.
    Cancelled = 21,
    /// A container run to completion exited non-zero.
    ContainerExit = 22,
    /// A required pointer argument was NULL.
    NullArgument = 100,
    /// berth panicked (a bug in berth).
    Panic = 101,
}

/// A failed call's details: result code, category, HTTP status, message and the
/// daemon's own message. Owned by the caller; free it with `berth_error_free`.
///
/// Thread safety: immutable; may be read from any thread and freed from any thread.
#[derive(Debug)]
pub struct BerthError {
    pub(crate) result: BerthResult,
    pub(crate) category: BerthCategory,
    pub(crate) status: u16,
    pub(crate) message: CString,
    pub(crate) daemon_message: Option<CString>,
}

/// The failure of one call, before it crosses into C.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) result: BerthResult,
    pub(crate) category: BerthCategory,
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) daemon_message: Option<String>,
}

impl Fail {
    /// A NULL pointer where one was required.
    pub(crate) fn null(what: &str) -> Fail {
        Fail::local(
            BerthResult::NullArgument,
            BerthCategory::NullArgument,
            format!("{what} must not be NULL"),
        )
    }

    /// An invalid argument (nothing was sent).
    pub(crate) fn invalid(message: impl Into<String>) -> Fail {
        Fail::local(
            BerthResult::InvalidArgument,
            BerthCategory::InvalidArgument,
            message.into(),
        )
    }

    /// Cancelled by a token or a callback.
    pub(crate) fn cancelled(message: impl Into<String>) -> Fail {
        Fail::local(
            BerthResult::Cancelled,
            BerthCategory::Cancelled,
            message.into(),
        )
    }

    /// A panic caught at the boundary.
    pub(crate) fn panic(message: String) -> Fail {
        Fail::local(
            BerthResult::Panic,
            BerthCategory::Panic,
            format!("berth panicked (a bug; please report it): {message}"),
        )
    }

    fn local(result: BerthResult, category: BerthCategory, message: String) -> Fail {
        Fail {
            result,
            category,
            status: 0,
            message,
            daemon_message: None,
        }
    }

    pub(crate) fn into_error(self) -> BerthError {
        BerthError {
            result: self.result,
            category: self.category,
            status: self.status,
            message: lossless_cstring(self.message),
            daemon_message: self.daemon_message.map(lossless_cstring),
        }
    }
}

/// A C string of `s`; an interior NUL (never in berth's messages, possible in a
/// daemon's) is shown as U+2400 so nothing is cut off.
fn lossless_cstring(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let fixed = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{2400}");
        CString::new(fixed).unwrap_or_default()
    })
}

impl From<berth_host::Error> for Fail {
    fn from(e: berth_host::Error) -> Fail {
        let category = category_of(e.category());
        let result = match category {
            BerthCategory::NotFound | BerthCategory::ImageNotFound => BerthResult::NotFound,
            BerthCategory::Conflict => BerthResult::Conflict,
            BerthCategory::Stream => BerthResult::StreamError,
            BerthCategory::InvalidArgument => BerthResult::InvalidArgument,
            BerthCategory::Transport => BerthResult::Transport,
            BerthCategory::Timeout => BerthResult::Timeout,
            BerthCategory::Cancelled => BerthResult::Cancelled,
            BerthCategory::ContainerExit => BerthResult::ContainerExit,
            BerthCategory::Decode
            | BerthCategory::Protocol
            | BerthCategory::UnsupportedApiVersion
            | BerthCategory::PolicyDenied
            | BerthCategory::NullArgument
            | BerthCategory::Panic => BerthResult::Other,
            _ => BerthResult::DaemonError,
        };
        Fail {
            result,
            category,
            status: e.status().unwrap_or(0),
            message: e.to_string(),
            daemon_message: e.daemon_message().map(str::to_owned),
        }
    }
}

impl From<berth_core::Error> for Fail {
    fn from(e: berth_core::Error) -> Fail {
        Fail::from(berth_host::Error::from(e))
    }
}

fn category_of(c: Category) -> BerthCategory {
    match c {
        Category::NotModified => BerthCategory::NotModified,
        Category::BadRequest => BerthCategory::BadRequest,
        Category::Unauthorized => BerthCategory::Unauthorized,
        Category::Forbidden => BerthCategory::Forbidden,
        Category::NotFound => BerthCategory::NotFound,
        Category::ImageNotFound => BerthCategory::ImageNotFound,
        Category::NotInSwarm => BerthCategory::NotInSwarm,
        Category::Conflict => BerthCategory::Conflict,
        Category::Server => BerthCategory::Server,
        Category::NotImplemented => BerthCategory::NotImplemented,
        Category::Unavailable => BerthCategory::Unavailable,
        Category::Stream => BerthCategory::Stream,
        Category::InvalidArgument => BerthCategory::InvalidArgument,
        Category::Decode => BerthCategory::Decode,
        Category::Protocol => BerthCategory::Protocol,
        Category::UnsupportedApiVersion => BerthCategory::UnsupportedApiVersion,
        Category::PolicyDenied => BerthCategory::PolicyDenied,
        Category::Transport => BerthCategory::Transport,
        Category::Timeout => BerthCategory::Timeout,
        Category::Cancelled => BerthCategory::Cancelled,
        Category::ContainerExit => BerthCategory::ContainerExit,
        // Category::Api and categories added to berth-core later.
        _ => BerthCategory::Api,
    }
}

/// The result code of a failed call (never `BERTH_RESULT_OK`). NULL gives
/// `BERTH_RESULT_NULL_ARGUMENT`.
///
/// # Safety
/// `error` is NULL or a live `berth_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_error_result(error: *const BerthError) -> BerthResult {
    // SAFETY: the caller passes NULL or a live error (contract above).
    match unsafe { error.as_ref() } {
        Some(e) => e.result,
        None => BerthResult::NullArgument,
    }
}

/// The category of the error. NULL gives `BERTH_CATEGORY_NULL_ARGUMENT`.
///
/// # Safety
/// `error` is NULL or a live `berth_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_error_category(error: *const BerthError) -> BerthCategory {
    // SAFETY: the caller passes NULL or a live error (contract above).
    match unsafe { error.as_ref() } {
        Some(e) => e.category,
        None => BerthCategory::NullArgument,
    }
}

/// The HTTP status of the daemon's error answer, or 0 when the daemon did not answer
/// with an error status (local, transport and stream errors).
///
/// # Safety
/// `error` is NULL or a live `berth_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_error_status(error: *const BerthError) -> u16 {
    // SAFETY: the caller passes NULL or a live error (contract above).
    unsafe { error.as_ref() }.map_or(0, |e| e.status)
}

/// The full message: what was asked, what happened, what to do. Borrowed from the
/// error (valid until `berth_error_free`); never NULL for a non-NULL error.
///
/// # Safety
/// `error` is NULL or a live `berth_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_error_message(error: *const BerthError) -> *const c_char {
    // SAFETY: the caller passes NULL or a live error (contract above).
    unsafe { error.as_ref() }.map_or(std::ptr::null(), |e| e.message.as_ptr())
}

/// The daemon's own message, verbatim, when the daemon produced the error (an error
/// status or an error inside a stream); NULL otherwise. Borrowed from the error.
///
/// # Safety
/// `error` is NULL or a live `berth_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_error_daemon_message(error: *const BerthError) -> *const c_char {
    // SAFETY: the caller passes NULL or a live error (contract above).
    unsafe { error.as_ref() }
        .and_then(|e| e.daemon_message.as_ref())
        .map_or(std::ptr::null(), |m| m.as_ptr())
}

/// Frees an error. NULL is a no-op.
///
/// # Safety
/// `error` is NULL or an error returned by berth and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_error_free(error: *mut BerthError) {
    if !error.is_null() {
        // SAFETY: a non-NULL error came from Box::into_raw in `guard` and is freed once
        // (contract above).
        drop(unsafe { Box::from_raw(error) });
    }
}

/// A static, NUL-terminated name of a result code (`"BERTH_RESULT_NOT_FOUND"`); never
/// freed. An unknown code gives `"BERTH_RESULT_UNKNOWN"`.
#[unsafe(no_mangle)]
pub extern "C" fn berth_result_name(result: u32) -> *const c_char {
    let name: &'static std::ffi::CStr = match result {
        0 => c"BERTH_RESULT_OK",
        1 => c"BERTH_RESULT_END",
        2 => c"BERTH_RESULT_NULL_ARGUMENT",
        3 => c"BERTH_RESULT_INVALID_ARGUMENT",
        4 => c"BERTH_RESULT_NOT_FOUND",
        5 => c"BERTH_RESULT_CONFLICT",
        6 => c"BERTH_RESULT_DAEMON_ERROR",
        7 => c"BERTH_RESULT_STREAM_ERROR",
        8 => c"BERTH_RESULT_TRANSPORT",
        9 => c"BERTH_RESULT_TIMEOUT",
        10 => c"BERTH_RESULT_CANCELLED",
        11 => c"BERTH_RESULT_CONTAINER_EXIT",
        12 => c"BERTH_RESULT_PANIC",
        13 => c"BERTH_RESULT_OTHER",
        _ => c"BERTH_RESULT_UNKNOWN",
    };
    name.as_ptr()
}
