//! The generic entry points (any Engine endpoint, JSON in and out), events, and typed
//! helpers for networks and volumes.

use std::ffi::c_char;
use std::sync::Arc;

use bytes::Bytes;

use berth_core::api::system::{Events, Timestamp};
use berth_core::request::quote_id;

use crate::client::BerthClient;
use crate::containers::{filters, json_items};
use crate::error::{BerthError, BerthResult, Fail};
use crate::ffi::{Res, bytes, guard, handle, json_object, need, opt_text, put, put_string, text};
use crate::raw::Raw;
use crate::stream::{BerthStream, BerthUpload};

/// # Safety
/// Strings NULL or NUL-terminated; `body` NULL or `body_len` readable bytes.
unsafe fn raw_request(
    method: *const c_char,
    path: *const c_char,
    body: *const u8,
    body_len: usize,
) -> Result<Raw, Fail> {
    // SAFETY: forwarded contract.
    let (method, path) = unsafe { (text(method, "method")?, text(path, "path")?) };
    let mut raw = Raw::new(method, path)?;
    if !body.is_null() {
        // SAFETY: forwarded contract.
        let b = unsafe { bytes(body, body_len, "body") }?;
        serde_json::from_slice::<serde_json::Value>(b)
            .map_err(|e| Fail::invalid(format!("body is not valid JSON: {e}")))?;
        raw = raw.json(Bytes::copy_from_slice(b));
    }
    Ok(raw)
}

/// Any Engine API call whose answer is one JSON document (or nothing): `method`
/// (`"GET"`, `"POST"`, `"PUT"`, `"DELETE"`, `"HEAD"`), `path` without the version
/// prefix and with its query already percent-encoded (`"/networks?filters=…"`,
/// `"/swarm/init"`, `"/secrets/create"`), and an optional JSON `body` (`body_len`
/// bytes; NULL = no body). berth adds the negotiated API version. On success `*answer`
/// (when not NULL) is the daemon's answer verbatim as an owned string (`""` when it
/// sent none). Error statuses map to result codes and categories as for the typed calls.
///
/// This covers every endpoint of the Engine API schema: networks, volumes, swarm,
/// nodes, services, tasks, secrets, configs, plugins, prune, …
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `body` NULL or `body_len`
/// readable bytes; `answer` NULL or writable; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_request(
    client: *const BerthClient,
    method: *const c_char,
    path: *const c_char,
    body: *const u8,
    body_len: usize,
    answer: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let raw = unsafe { raw_request(method, path, body, body_len) }?;
        let body = c.block(c.docker.execute(&raw))?;
        // SAFETY: per this function's contract (NULL = not wanted).
        unsafe { put_string(answer, body, "answer") }
    })
}

/// Any Engine API call whose answer is a stream, as `berth_request`. Frames follow the
/// answer's `Content-Type`: JSON streams (progress, events, stats; also an answer
/// without `Content-Type`) as `JSON` frames,
/// container output as `STDOUT`/`STDERR` frames, anything else (tar) as `DATA` frames.
///
/// # Safety
/// As `berth_request`; `stream` a writable slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_request_stream(
    client: *const BerthClient,
    method: *const c_char,
    path: *const c_char,
    body: *const u8,
    body_len: usize,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let raw = unsafe { raw_request(method, path, body, body_len) }?;
        let s = c.block(c.docker.stream(&raw))?;
        let s = BerthStream::new(c.rt.clone(), Box::pin(s), "request stream");
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// Any Engine API call with a streamed request body (`content_type`:
/// `"application/x-tar"`, `"application/octet-stream"` or `"application/json"`),
/// written through the returned upload; `berth_upload_finish` gives the answer.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `upload` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_request_upload(
    client: *const BerthClient,
    method: *const c_char,
    path: *const c_char,
    content_type: *const c_char,
    upload: *mut *mut BerthUpload,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let upload = need(upload, "upload")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let raw = unsafe { raw_request(method, path, std::ptr::null(), 0) }?;
        // SAFETY: per this function's contract.
        let ct: &'static str = match unsafe { text(content_type, "content_type") }? {
            "application/x-tar" => "application/x-tar",
            "application/octet-stream" => "application/octet-stream",
            "application/json" => "application/json",
            other => {
                return Err(Fail::invalid(format!(
                    "content_type {other:?} is not one the Engine API takes \
                     (application/x-tar, application/octet-stream, application/json)"
                )));
            }
        };
        let raw = raw.streamed(ct);
        let docker = c.docker.clone();
        let u = BerthUpload::start(Arc::clone(&c.rt), move |body| async move {
            Ok(docker.upload(&raw, body).await?)
        });
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(upload, Box::into_raw(Box::new(u))) };
        Ok(())
    })
}

/// `GET /events`: the daemon's events as `JSON` frames (Engine `EventMessage`), from
/// `since` to `until` (unix seconds as text, `"1700000000"`, or NULL = now / forever)
/// matching `filters_json` (may be NULL: `{"type":["container"],"label":["a=b"]}`).
/// Without `until` the stream never ends by itself: cancel it with a token from
/// another thread (`berth_stream_set_cancel`) or free it.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `stream` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_events(
    client: *const BerthClient,
    since: *const c_char,
    until: *const c_char,
    filters_json: *const c_char,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        let ts = |s: Option<&str>, what: &str| -> Result<Option<Timestamp>, Fail> {
            s.map(|s| {
                s.parse::<i64>()
                    .map(Timestamp::from_unix)
                    .map_err(|_| Fail::invalid(format!("{what} {s:?} is not unix seconds")))
            })
            .transpose()
        };
        let opts = Events {
            // SAFETY: per this function's contract.
            since: ts(unsafe { opt_text(since, "since") }?, "since")?,
            // SAFETY: per this function's contract.
            until: ts(unsafe { opt_text(until, "until") }?, "until")?,
            // SAFETY: per this function's contract.
            filters: unsafe { filters(filters_json) }?,
        };
        let s = c.block(c.docker.events(&opts))?;
        let s = BerthStream::new(c.rt.clone(), json_items(s), "events");
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// Sends a JSON-object request and returns the answer.
fn json_call(
    c: &BerthClient,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<Bytes, Fail> {
    let mut raw = Raw::new(method, path)?;
    if let Some(b) = body {
        let bytes = serde_json::to_vec(b)
            .map_err(|e| Fail::invalid(format!("body cannot be encoded: {e}")))?;
        raw = raw.json(Bytes::from(bytes));
    }
    Ok(c.block(c.docker.execute(&raw))?)
}

/// Creates an object from a JSON config.
///
/// # Safety
/// As the entry points that call it.
unsafe fn object_create(
    client: *const BerthClient,
    config_json: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
    path: &str,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per the caller's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per the caller's contract.
        let config = unsafe { json_object(config_json, "config_json") }?;
        let body = json_call(c, "POST", path, Some(&config))?;
        // SAFETY: per the caller's contract (NULL = not wanted).
        unsafe { put_string(json, body, "answer") }
    })
}

/// Inspects `/{area}/{id}`.
///
/// # Safety
/// As the entry points that call it.
unsafe fn object_inspect(
    client: *const BerthClient,
    id: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
    area: &str,
    what: &str,
) -> BerthResult {
    guard(err, || -> Res {
        let json = need(json, "json")?;
        // SAFETY: per the caller's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per the caller's contract.
        let id = unsafe { text(id, "id") }?;
        let body = json_call(c, "GET", &format!("/{area}/{}", quote_id(what, id)?), None)?;
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put_string(json, body, "answer") }
    })
}

/// Lists `/{area}` with filters.
///
/// # Safety
/// As the entry points that call it.
unsafe fn object_list(
    client: *const BerthClient,
    filters_json: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
    area: &str,
) -> BerthResult {
    guard(err, || -> Res {
        let json = need(json, "json")?;
        // SAFETY: per the caller's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per the caller's contract.
        let f = unsafe { filters(filters_json) }?;
        let q = berth_core::request::Query::new().filters(&f).finish();
        let body = json_call(c, "GET", &format!("/{area}{q}"), None)?;
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put_string(json, body, "answer") }
    })
}

/// Removes `/{area}/{id}`.
///
/// # Safety
/// As the entry points that call it.
unsafe fn object_remove(
    client: *const BerthClient,
    id: *const c_char,
    force: bool,
    err: *mut *mut BerthError,
    area: &str,
    what: &str,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per the caller's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per the caller's contract.
        let id = unsafe { text(id, "id") }?;
        let q = if force { "?force=1" } else { "" };
        json_call(
            c,
            "DELETE",
            &format!("/{area}/{}{q}", quote_id(what, id)?),
            None,
        )?;
        Ok(())
    })
}

/// `POST /networks/create`: creates a network from `config_json` (the Engine API's create
/// body, e.g. `{"Name":"n","Labels":{…}}`), sent verbatim. `*json` (when not NULL)
/// receives the daemon's answer (owned).
///
/// # Safety
/// `client` NULL or live; `config_json` NULL or NUL-terminated; `json` NULL or
/// writable; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_network_create(
    client: *const BerthClient,
    config_json: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { object_create(client, config_json, json, err, "/networks/create") }
}

/// `GET /networks/{id}`: the network's inspect document (owned JSON) in `*json`.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `json` writable; `err` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_network_inspect(
    client: *const BerthClient,
    id: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { object_inspect(client, id, json, err, "networks", "network") }
}

/// `GET /networks`: networks matching `filters_json` (may be NULL) as the daemon's
/// answer (owned JSON) in `*json`.
///
/// # Safety
/// `client` NULL or live; `filters_json` NULL or NUL-terminated; `json` writable;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_network_list(
    client: *const BerthClient,
    filters_json: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { object_list(client, filters_json, json, err, "networks") }
}

/// `DELETE /networks/{id}`: removes a network by id or name (`force` where the Engine
/// has it: volumes).
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_network_remove(
    client: *const BerthClient,
    id: *const c_char,
    force: bool,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { object_remove(client, id, force, err, "networks", "network") }
}

/// `POST /volumes/create`: creates a volume from `config_json` (the Engine API's create
/// body, e.g. `{"Name":"n","Labels":{…}}`), sent verbatim. `*json` (when not NULL)
/// receives the daemon's answer (owned).
///
/// # Safety
/// `client` NULL or live; `config_json` NULL or NUL-terminated; `json` NULL or
/// writable; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_volume_create(
    client: *const BerthClient,
    config_json: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { object_create(client, config_json, json, err, "/volumes/create") }
}

/// `GET /volumes/{id}`: the volume's inspect document (owned JSON) in `*json`.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `json` writable; `err` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_volume_inspect(
    client: *const BerthClient,
    id: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { object_inspect(client, id, json, err, "volumes", "volume") }
}

/// `GET /volumes`: volumes matching `filters_json` (may be NULL) as the daemon's
/// answer (owned JSON) in `*json`.
///
/// # Safety
/// `client` NULL or live; `filters_json` NULL or NUL-terminated; `json` writable;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_volume_list(
    client: *const BerthClient,
    filters_json: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { object_list(client, filters_json, json, err, "volumes") }
}

/// `DELETE /volumes/{id}`: removes a volume by id or name (`force` where the Engine
/// has it: volumes).
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_volume_remove(
    client: *const BerthClient,
    id: *const c_char,
    force: bool,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe { object_remove(client, id, force, err, "volumes", "volume") }
}
