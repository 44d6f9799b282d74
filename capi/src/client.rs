//! `berth_client`: connecting, and the system calls (ping, version, info, df).

use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use berth_core::ApiVersion;
use berth_core::api::system::{DataUsage, Info, Version};
use berth_host::transport::TlsSettings;
use berth_host::{Docker, DockerBuilder};
use tokio::runtime::Runtime;

use crate::error::{BerthError, BerthResult, Fail};
use crate::ffi::{Res, guard, handle, handle_mut, need, opt_text, put, put_string, text};
use crate::raw::RawJson;

/// A connection to one Docker daemon, with its own I/O runtime, driven by the thread of
/// each blocking call (no background threads): an open stream or upload makes progress
/// while a call on the client, the stream or the upload blocks.
///
/// Thread safety: a client may be shared by any number of threads and used from them
/// at the same time (every call takes `const berth_client*`). Free it once, after the
/// last call on it returned; streams and uploads opened from it stay usable after the
/// client is freed.
pub struct BerthClient {
    // Dropped before the runtime its connections live on.
    pub(crate) docker: Docker,
    pub(crate) rt: Arc<Runtime>,
}

impl std::fmt::Debug for BerthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BerthClient")
            .field("docker", &self.docker)
            .finish()
    }
}

impl BerthClient {
    /// Runs a future to completion on the client's runtime.
    pub(crate) fn block<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn from_builder(builder: DockerBuilder) -> Result<BerthClient, Fail> {
        // current_thread: the calling thread drives the socket itself inside each call,
        // so an answer wakes no other thread (a worker pool cost ~30-40 µs per call).
        // Background work (an upload's request, a stream's reads) progresses while any
        // call of this client blocks; calls from several threads take turns driving.
        let rt = tokio::runtime::Builder::new_current_thread()
            .thread_name("berth-capi")
            .enable_all()
            .build()
            .map_err(|e| {
                Fail::from(berth_core::Error::Transport(format!(
                    "cannot start berth's I/O runtime: {e}"
                )))
            })?;
        let docker = {
            let _guard = rt.enter();
            builder.build()?
        };
        Ok(BerthClient {
            rt: Arc::new(rt),
            docker,
        })
    }
}

/// Options for `berth_client_new`: TLS, timeouts, a pinned API version.
///
/// Thread safety: not shared; use it from one thread at a time.
#[derive(Debug, Default)]
pub struct BerthClientOptions {
    tls: Option<TlsSettings>,
    connect_ms: Option<u64>,
    response_ms: Option<u64>,
    idle_ms: Option<u64>,
    api_version: Option<ApiVersion>,
}

/// New client options with everything at its default (no TLS unless the URL's
/// environment says so, docker-py's 60 s timeouts, negotiated API version).
/// Never returns NULL; free with `berth_client_options_free`.
#[unsafe(no_mangle)]
pub extern "C" fn berth_client_options_new() -> *mut BerthClientOptions {
    Box::into_raw(Box::default())
}

/// Frees client options. NULL is a no-op.
///
/// # Safety
/// `options` is NULL or options from `berth_client_options_new`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_options_free(options: *mut BerthClientOptions) {
    if !options.is_null() {
        // SAFETY: from Box::into_raw in berth_client_options_new, freed once.
        drop(unsafe { Box::from_raw(options) });
    }
}

/// Sets TLS: `ca_pem` (NULL = the webpki roots), a client certificate and key (both
/// NULL or both set), and whether to verify the daemon's certificate. A `tcp://` URL
/// then speaks HTTPS. Files are read when the client is created.
///
/// # Safety
/// `options` is NULL or live; the strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_options_set_tls(
    options: *mut BerthClientOptions,
    ca_pem: *const c_char,
    cert_pem: *const c_char,
    key_pem: *const c_char,
    verify: bool,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let o = unsafe { handle_mut(options, "options") }?;
        // SAFETY: per this function's contract.
        let (ca, cert, key) = unsafe {
            (
                opt_text(ca_pem, "ca_pem")?,
                opt_text(cert_pem, "cert_pem")?,
                opt_text(key_pem, "key_pem")?,
            )
        };
        let client_cert = match (cert, key) {
            (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
            (None, None) => None,
            _ => {
                return Err(Fail::invalid(
                    "cert_pem and key_pem go together: pass both or neither",
                ));
            }
        };
        o.tls = Some(TlsSettings {
            ca: ca.map(PathBuf::from),
            client_cert,
            verify,
            server_name: None,
        });
        Ok(())
    })
}

/// Sets timeouts in milliseconds: opening a connection, waiting for a response head,
/// and silence while reading a whole body. 0 keeps the default (10 s / 60 s / 60 s);
/// -1 disables the response and idle timeouts (not allowed for `connect_ms`).
///
/// # Safety
/// `options` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_options_set_timeouts(
    options: *mut BerthClientOptions,
    connect_ms: i64,
    response_ms: i64,
    idle_ms: i64,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let o = unsafe { handle_mut(options, "options") }?;
        let conv = |v: i64, what: &str, may_disable: bool| -> Result<Option<u64>, Fail> {
            match v {
                0 => Ok(None),
                -1 if may_disable => Ok(Some(u64::MAX)),
                v if v > 0 => Ok(Some(v.unsigned_abs())),
                _ => Err(Fail::invalid(format!(
                    "{what} must be > 0, 0 (default){}",
                    if may_disable { " or -1 (none)" } else { "" }
                ))),
            }
        };
        o.connect_ms = conv(connect_ms, "connect_ms", false)?;
        o.response_ms = conv(response_ms, "response_ms", true)?;
        o.idle_ms = conv(idle_ms, "idle_ms", true)?;
        Ok(())
    })
}

/// Pins the Engine API version (`"1.41"`) instead of negotiating it. `berth_client_new`
/// refuses a version below berth's minimum, `"1.24"` (`BERTH_RESULT_INVALID_ARGUMENT`).
///
/// # Safety
/// `options` is NULL or live; `version` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_options_set_api_version(
    options: *mut BerthClientOptions,
    version: *const c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let o = unsafe { handle_mut(options, "options") }?;
        // SAFETY: per this function's contract.
        let v = unsafe { text(version, "version") }?;
        o.api_version = Some(v.parse::<ApiVersion>().map_err(Fail::from)?);
        Ok(())
    })
}

fn timeout_of(ms: u64) -> Option<Duration> {
    (ms != u64::MAX).then(|| Duration::from_millis(ms))
}

/// A client configured from the environment like the docker CLI: `DOCKER_HOST` (with
/// `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), the current context, else
/// `unix:///var/run/docker.sock`. Nothing is connected yet. On success `*out` is a new
/// client to free with `berth_client_free`.
///
/// # Safety
/// `out` is a writable `berth_client*` slot; `err` is NULL or a writable slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_from_env(
    out: *mut *mut BerthClient,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract (NULL url = environment, NULL options = defaults).
    unsafe { berth_client_new(std::ptr::null(), std::ptr::null(), out, err) }
}

/// A client for `url` (`unix:///var/run/docker.sock`, `tcp://host:2376`,
/// `ssh://user@host`) with default options.
///
/// # Safety
/// `url` is NULL or NUL-terminated; `out` a writable slot; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_connect(
    url: *const c_char,
    out: *mut *mut BerthClient,
    err: *mut *mut BerthError,
) -> BerthResult {
    if url.is_null() {
        return guard(err, || Err(Fail::null("url")));
    }
    // SAFETY: forwarded contract (url is not NULL, options NULL = defaults).
    unsafe { berth_client_new(url, std::ptr::null(), out, err) }
}

/// The general constructor: `url` (NULL = from the environment, as
/// `berth_client_from_env`) and `options` (NULL = defaults; not consumed, free it
/// yourself).
///
/// # Safety
/// `url` is NULL or NUL-terminated; `options` NULL or live; `out` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_new(
    url: *const c_char,
    options: *const BerthClientOptions,
    out: *mut *mut BerthClient,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let out = need(out, "out")?;
        // SAFETY: per this function's contract.
        let url = unsafe { opt_text(url, "url") }?;
        // SAFETY: per this function's contract.
        let options = unsafe { options.as_ref() };
        let mut builder = match url {
            Some(u) => DockerBuilder::new(u),
            None => DockerBuilder::from_env()?,
        };
        if let Some(o) = options {
            if let Some(tls) = &o.tls {
                builder = builder.tls(tls.clone());
            }
            if let Some(ms) = o.connect_ms {
                builder = builder.connect_timeout(Duration::from_millis(ms));
            }
            if let Some(ms) = o.response_ms {
                builder = builder.response_timeout(timeout_of(ms));
            }
            if let Some(ms) = o.idle_ms {
                builder = builder.idle_read_timeout(timeout_of(ms));
            }
            if let Some(v) = o.api_version {
                builder = builder.api_version(v);
            }
        }
        let client = BerthClient::from_builder(builder)?;
        // SAFETY: `out` was checked not NULL; writable per the contract.
        unsafe { put(out, Box::into_raw(Box::new(client))) };
        Ok(())
    })
}

/// Frees a client. NULL is a no-op. Must not be called while another thread is inside
/// a call on this client.
///
/// # Safety
/// `client` is NULL or a client from berth, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_free(client: *mut BerthClient) {
    if !client.is_null() {
        // SAFETY: from Box::into_raw in berth_client_new, freed once.
        drop(unsafe { Box::from_raw(client) });
    }
}

/// `GET /_ping`: is the daemon alive? On success `*api_version` (when not NULL) is the
/// daemon's API version (`"1.41"`), an owned string for `berth_string_free`.
///
/// # Safety
/// `client` is NULL or live; `api_version` NULL or a writable slot; `err` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_ping(
    client: *const BerthClient,
    api_version: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        let ping = c.block(c.docker.ping())?;
        let v = ping.api_version.map(|v| v.to_string()).unwrap_or_default();
        // SAFETY: per this function's contract.
        unsafe { put_string(api_version, v, "api version") }
    })
}

/// The API version this client uses (negotiated on first use, or pinned), e.g.
/// `"1.41"`; owned, for `berth_string_free`.
///
/// # Safety
/// `client` is NULL or live; `out` a writable slot; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_api_version(
    client: *const BerthClient,
    out: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let out = need(out, "out")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        let v = c.block(c.docker.api_version())?;
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put_string(out, v.to_string(), "api version") }
    })
}

/// Runs `endpoint` and writes its raw JSON answer to `out`.
///
/// # Safety
/// As the entry points that call it.
unsafe fn json_answer<E: berth_core::endpoint::Endpoint>(
    client: *const BerthClient,
    out: *mut *mut c_char,
    err: *mut *mut BerthError,
    endpoint: E,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { json_call(client, out, "out", err, "answer", || Ok(endpoint)) }
}

/// The body of an entry point that answers with the daemon's JSON: checks the `out`
/// slot (named `slot` in errors) and the client, runs the endpoint `build` makes from
/// the call's other arguments (its failure is the call's), and writes the answer (`what`
/// names it should it hold a NUL byte).
///
/// # Safety
/// `client` NULL or live; `out` NULL or a writable slot; `err` NULL or writable.
pub(crate) unsafe fn json_call<E: berth_core::endpoint::Endpoint>(
    client: *const BerthClient,
    out: *mut *mut c_char,
    slot: &str,
    err: *mut *mut BerthError,
    what: &str,
    build: impl FnOnce() -> Result<E, Fail>,
) -> BerthResult {
    guard(err, || -> Res {
        let out = need(out, slot)?;
        // SAFETY: per the caller's contract.
        let c = unsafe { handle(client, "client") }?;
        let endpoint = build()?;
        let body = c.block(c.docker.execute(&RawJson(endpoint)))?;
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put_string(out, body, what) }
    })
}

/// `GET /version`: the daemon's version document (Engine API `SystemVersion`).
///
/// # Safety
/// `client` is NULL or live; `out` a writable slot for an owned JSON string (free with
/// `berth_string_free`); `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_version(
    client: *const BerthClient,
    out: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { json_answer(client, out, err, Version { versioned: true }) }
}

/// `GET /info`: system-wide information (Engine API `SystemInfo`).
///
/// # Safety
/// `client` is NULL or live; `out` a writable slot for an owned JSON string (free with
/// `berth_string_free`); `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_info(
    client: *const BerthClient,
    out: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { json_answer(client, out, err, Info) }
}

/// `GET /system/df`: disk usage (Engine API `SystemDataUsageResponse`).
///
/// # Safety
/// `client` is NULL or live; `out` a writable slot for an owned JSON string (free with
/// `berth_string_free`); `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_client_df(
    client: *const BerthClient,
    out: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { json_answer(client, out, err, DataUsage::default()) }
}
