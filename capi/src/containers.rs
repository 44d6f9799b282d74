//! Typed helpers for containers and exec: create, start, stop, kill, restart, pause,
//! remove, wait, inspect, list, logs, attach, exec, run, archives, export, stats.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;

use berth_core::api::container_io::{ArchiveGet, ContainerAttach, ContainerLogs, Tail};
use berth_core::api::containers::{
    ContainerInspect, ContainerKill, ContainerList, ContainerPause, ContainerRemove,
    ContainerRestart, ContainerStart, ContainerStats, ContainerStop, ContainerUnpause,
    ContainerWait, Signal, WaitCondition,
};
use berth_core::api::exec::ExecCreate;
use berth_core::request::{Filters, Query};
use berth_host::{CallTimeout, Output};

use crate::client::BerthClient;
use crate::client::json_call;
use crate::error::{BerthError, BerthResult, Fail};
use crate::ffi::{
    Res, guard, handle, json_object, need, opt_json, opt_text, put, put_string, text, text_list,
};
use crate::raw::{Raw, json_item};
use crate::stream::{BerthStream, BerthUpload, Items, Kind, Watch};

/// Logs/attach/exec flag: include stdout.
pub const BERTH_STDOUT: u32 = 1;
/// Logs/attach/exec flag: include stderr.
pub const BERTH_STDERR: u32 = 2;
/// Logs flag: keep the stream open and follow new output.
pub const BERTH_FOLLOW: u32 = 4;
/// Logs flag: prefix every line with its timestamp.
pub const BERTH_TIMESTAMPS: u32 = 8;
/// Attach/exec flag: attach stdin (write it with `berth_stream_write`).
pub const BERTH_STDIN: u32 = 16;
/// Exec flag: allocate a TTY (output comes as stdout frames only).
pub const BERTH_TTY: u32 = 32;
/// Attach flag: replay the output the container already produced.
pub const BERTH_LOGS: u32 = 64;

const STOP_GRACE_DEFAULT: u32 = 10;

/// Parses an Engine filters object (`{"label":["berth.test=1"]}`), NULL = none.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
pub(crate) unsafe fn filters(p: *const c_char) -> Result<Filters, Fail> {
    let mut f = Filters::new();
    // SAFETY: forwarded contract.
    let Some(v) = (unsafe { opt_json(p, "filters_json") })? else {
        return Ok(f);
    };
    let obj = v
        .as_object()
        .ok_or_else(|| Fail::invalid("filters_json must be an object of arrays of strings"))?;
    for (k, vals) in obj {
        let arr = vals.as_array().ok_or_else(|| {
            Fail::invalid(format!("filters_json[{k:?}] must be an array of strings"))
        })?;
        for v in arr {
            let s = v.as_str().ok_or_else(|| {
                Fail::invalid(format!("filters_json[{k:?}] must hold only strings"))
            })?;
            f.add(k.clone(), s);
        }
    }
    Ok(f)
}

/// Runs `op` on a client and a container id.
///
/// # Safety
/// As the entry points that call it.
unsafe fn id_op(
    client: *const BerthClient,
    id: *const c_char,
    err: *mut *mut BerthError,
    op: impl FnOnce(&BerthClient, String) -> Res,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per the caller's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per the caller's contract.
        let id = unsafe { text(id, "id") }?.to_owned();
        op(c, id)
    })
}

/// `POST /containers/create`: creates a container from `config_json`, the Engine API's
/// `ContainerCreateRequest` (`{"Image":"busybox","Cmd":["true"],"Labels":{…},
/// "HostConfig":{…}}`), sent verbatim. `name` may be NULL. On success `*id` is the new
/// container's id (owned; `berth_string_free`). A missing image is
/// `BERTH_RESULT_NOT_FOUND` with category `BERTH_CATEGORY_IMAGE_NOT_FOUND`.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `id` a writable slot; `err`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_create(
    client: *const BerthClient,
    name: *const c_char,
    config_json: *const c_char,
    id: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let id = need(id, "id")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let name = unsafe { opt_text(name, "name") }?;
        // SAFETY: per this function's contract.
        let config = unsafe { json_object(config_json, "config_json") }?;
        let new_id = create(c, name, &config)?;
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put_string(id, new_id, "id") }
    })
}

fn create(c: &BerthClient, name: Option<&str>, config: &serde_json::Value) -> Result<String, Fail> {
    let query = Query::new().opt("name", name).finish();
    let body = serde_json::to_vec(config)
        .map_err(|e| Fail::invalid(format!("config_json cannot be encoded: {e}")))?;
    let raw = Raw::new("POST", &format!("/containers/create{query}"))?.json(Bytes::from(body));
    let answer = c.block(c.docker.execute(&raw)).map_err(|e| {
        // The daemon says "No such image" for a missing image: categorise as such.
        Fail::from(berth_host::Error::from(match e.into_kind() {
            berth_core::Error::NotFound(m) if m.message.contains("No such image") => {
                berth_core::Error::ImageNotFound(m)
            }
            other => other,
        }))
    })?;
    let v: serde_json::Value = serde_json::from_slice(&answer)
        .map_err(|e| Fail::from(berth_core::Error::Decode(format!("create answer: {e}"))))?;
    v.get("Id")
        .and_then(|i| i.as_str())
        .map(str::to_owned)
        .ok_or_else(|| Fail::from(berth_core::Error::Decode("create answer has no Id".into())))
}

/// `POST /containers/{id}/start`. Starting a running container is success.
///
/// # Safety
/// `client` is NULL or live; `id` NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_start(
    client: *const BerthClient,
    id: *const c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe {
        id_op(client, id, err, |c, id| {
            c.block(c.docker.execute(&ContainerStart { id }))?;
            Ok(())
        })
    }
}

/// `POST /containers/{id}/pause`.
///
/// # Safety
/// `client` is NULL or live; `id` NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_pause(
    client: *const BerthClient,
    id: *const c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe {
        id_op(client, id, err, |c, id| {
            Ok(c.block(c.docker.execute(&ContainerPause { id }))?)
        })
    }
}

/// `POST /containers/{id}/unpause`.
///
/// # Safety
/// `client` is NULL or live; `id` NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_unpause(
    client: *const BerthClient,
    id: *const c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe {
        id_op(client, id, err, |c, id| {
            Ok(c.block(c.docker.execute(&ContainerUnpause { id }))?)
        })
    }
}

/// `POST /containers/{id}/stop`: SIGTERM, then SIGKILL after `timeout_s` seconds (-1:
/// the container's own stop timeout). Stopping a stopped container is success.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_stop(
    client: *const BerthClient,
    id: *const c_char,
    timeout_s: i32,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?.to_owned();
        let timeout = grace(timeout_s)?;
        let grace = Duration::from_secs(u64::from(timeout.unwrap_or(STOP_GRACE_DEFAULT)));
        c.block(c.docker.execute_with(
            &ContainerStop {
                id,
                timeout,
                signal: None,
            },
            CallTimeout::Extended(grace),
        ))?;
        Ok(())
    })
}

fn grace(timeout_s: i32) -> Result<Option<u32>, Fail> {
    match timeout_s {
        -1 => Ok(None),
        t if t >= 0 => Ok(Some(t.unsigned_abs())),
        t => Err(Fail::invalid(format!(
            "timeout_s {t} must be >= 0 or -1 (the container's own)"
        ))),
    }
}

/// `POST /containers/{id}/restart` with a stop grace period as `berth_container_stop`.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_restart(
    client: *const BerthClient,
    id: *const c_char,
    timeout_s: i32,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?.to_owned();
        let timeout = grace(timeout_s)?;
        let grace = Duration::from_secs(u64::from(timeout.unwrap_or(STOP_GRACE_DEFAULT)));
        Ok(c.block(c.docker.execute_with(
            &ContainerRestart {
                id,
                timeout,
                signal: None,
            },
            CallTimeout::Extended(grace),
        ))?)
    })
}

/// `POST /containers/{id}/kill` with `signal` (`"SIGKILL"`, `"HUP"`, `"9"`; NULL =
/// SIGKILL). A container that is not running is `BERTH_RESULT_CONFLICT`.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_kill(
    client: *const BerthClient,
    id: *const c_char,
    signal: *const c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?.to_owned();
        // SAFETY: per this function's contract.
        let signal = unsafe { opt_text(signal, "signal") }?.map(|s| match s.parse::<i32>() {
            Ok(n) => Signal::Number(n),
            Err(_) => Signal::Name(s.to_owned()),
        });
        Ok(c.block(c.docker.execute(&ContainerKill { id, signal }))?)
    })
}

/// `DELETE /containers/{id}`: `force` kills a running container first, `volumes`
/// removes its anonymous volumes. A running container without `force` is
/// `BERTH_RESULT_CONFLICT`.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_remove(
    client: *const BerthClient,
    id: *const c_char,
    force: bool,
    volumes: bool,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?.to_owned();
        Ok(c.block(c.docker.execute(&ContainerRemove {
            id,
            volumes,
            link: false,
            force,
        }))?)
    })
}

/// `POST /containers/{id}/wait`: blocks until `condition` (`"not-running"` (NULL),
/// `"next-exit"`, `"removed"`) holds and writes the exit status. `cancel` (may be
/// NULL) interrupts the wait from another thread (`BERTH_RESULT_CANCELLED`).
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `cancel` NULL or live;
/// `status_code` writable; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_wait(
    client: *const BerthClient,
    id: *const c_char,
    condition: *const c_char,
    cancel: *const crate::stream::BerthCancel,
    status_code: *mut i64,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let status_code = need(status_code, "status_code")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?.to_owned();
        // SAFETY: per this function's contract.
        let condition = unsafe { opt_text(condition, "condition") }?
            .map(|s| s.parse::<WaitCondition>())
            .transpose()
            .map_err(Fail::from)?;
        // SAFETY: per this function's contract.
        let mut watch = unsafe { Watch::of(cancel) };
        let endpoint = ContainerWait { id, condition };
        let answer = c.block(watch.run(
            async { Ok(c.docker.execute_with(&endpoint, CallTimeout::None).await?) },
            "container wait",
        ))?;
        if let Some(e) = answer.error.as_ref().and_then(|e| e.message.clone()) {
            return Err(Fail::from(berth_core::Error::Server(
                berth_core::error::DaemonMessage {
                    status: 200,
                    message: e,
                },
            )));
        }
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(status_code, answer.status_code) };
        Ok(())
    })
}

/// `GET /containers/{id}/json`: the inspect document (Engine API
/// `ContainerInspectResponse`) as an owned JSON string in `*json`.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `json` a writable slot; `err`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_inspect(
    client: *const BerthClient,
    id: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe {
        json_call(client, json, "json", err, "inspect answer", || {
            Ok(ContainerInspect::new(text(id, "id")?))
        })
    }
}

/// `GET /containers/json`: summaries as an owned JSON array in `*json`. `all` includes
/// stopped containers; `filters_json` (NULL = none) is an Engine filters object
/// (`{"label":["berth.test=1"],"status":["exited"]}`).
///
/// # Safety
/// `client` NULL or live; `filters_json` NULL or NUL-terminated; `json` a writable
/// slot; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_list(
    client: *const BerthClient,
    all: bool,
    filters_json: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe {
        json_call(client, json, "json", err, "list answer", || {
            Ok(ContainerList {
                all,
                filters: filters(filters_json)?,
                ..ContainerList::default()
            })
        })
    }
}

/// `GET /containers/{id}/stats?stream=false`: one stats sample (Engine API
/// `ContainerStatsResponse`) as an owned JSON string.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `json` a writable slot; `err`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_stats(
    client: *const BerthClient,
    id: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe {
        json_call(client, json, "json", err, "stats answer", || {
            Ok(ContainerStats {
                id: text(id, "id")?.to_owned(),
                one_shot: false,
            })
        })
    }
}

/// `GET /containers/{id}/stats?stream=true`: a stream of `BERTH_STREAM_KIND_JSON`
/// frames, one stats sample per second, until freed or cancelled.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `stream` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_stats_stream(
    client: *const BerthClient,
    id: *const c_char,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?;
        let raw = Raw::new(
            "GET",
            &format!(
                "/containers/{}/stats?stream=true",
                berth_core::request::quote_id("container", id)?
            ),
        )?;
        let s = c.block(c.docker.stream(&raw))?;
        let s = BerthStream::new(c.rt.clone(), Box::pin(s), "stats stream");
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// `GET /containers/{id}/logs`: the container's output as `STDOUT`/`STDERR` frames.
/// `flags`: `BERTH_STDOUT`, `BERTH_STDERR` (neither = both), `BERTH_FOLLOW`,
/// `BERTH_TIMESTAMPS`. `tail` is NULL/`"all"` or a line count. With `BERTH_FOLLOW` the
/// stream lasts until the container stops (or a token cancels it).
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `stream` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_logs(
    client: *const BerthClient,
    id: *const c_char,
    flags: u32,
    tail: *const c_char,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?;
        // SAFETY: per this function's contract.
        let tail = match unsafe { opt_text(tail, "tail") }? {
            None | Some("all") => Tail::All,
            Some(n) => Tail::Lines(n.parse().map_err(|_| {
                Fail::invalid(format!("tail {n:?} must be \"all\" or a line count"))
            })?),
        };
        let mut opts = ContainerLogs::new(id);
        let (o, e) = out_flags(flags);
        opts.stdout = o;
        opts.stderr = e;
        opts.follow = flags & BERTH_FOLLOW != 0;
        opts.timestamps = flags & BERTH_TIMESTAMPS != 0;
        opts.tail = tail;
        let logs = c.block(c.docker.logs(&opts))?;
        let items: Items = Box::pin(logs.map(|f| f.map(|f| (Kind::of(f.stream), f.data))));
        let s = BerthStream::new(c.rt.clone(), items, "container logs");
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

fn out_flags(flags: u32) -> (bool, bool) {
    let o = flags & BERTH_STDOUT != 0;
    let e = flags & BERTH_STDERR != 0;
    if o || e { (o, e) } else { (true, true) }
}

/// `POST /containers/{id}/attach`: a duplex stream with the container's main process.
/// `flags`: `BERTH_STDIN` (the container needs `OpenStdin`), `BERTH_STDOUT`,
/// `BERTH_STDERR` (neither = both), `BERTH_LOGS` (replay earlier output first).
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `stream` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_attach(
    client: *const BerthClient,
    id: *const c_char,
    flags: u32,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?;
        let mut opts = ContainerAttach::new(id);
        let (o, e) = out_flags(flags);
        opts.stdin = flags & BERTH_STDIN != 0;
        opts.stdout = o;
        opts.stderr = e;
        opts.logs = flags & BERTH_LOGS != 0;
        opts.stream = true;
        let session = c.block(c.docker.attach(&opts))?;
        let (input, output) = session.split();
        let items: Items = Box::pin(output.map(|f| f.map(|f| (Kind::of(f.stream), f.data))));
        let s = BerthStream::new(c.rt.clone(), items, "container attach").with_input(input);
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// Creates and starts an exec of `argv` (`argc` strings) in a running container and
/// returns its duplex stream. `flags`: `BERTH_STDIN` (write with
/// `berth_stream_write`, then `berth_stream_close_write`), `BERTH_TTY`, `BERTH_STDOUT`,
/// `BERTH_STDERR` (neither = both). `env` (`"K=V"` strings, `envc` of them) may be
/// NULL. After `BERTH_RESULT_END`, `berth_stream_exit_code` gives the exit code.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `argv` `argc` valid strings,
/// `env` NULL or `envc` valid strings; `stream` a writable slot; `err` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_exec(
    client: *const BerthClient,
    id: *const c_char,
    argv: *const *const c_char,
    argc: usize,
    env: *const *const c_char,
    envc: usize,
    flags: u32,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let opts = unsafe { exec_options(id, argv, argc, env, envc, flags) }?;
        let session = c.block(c.docker.exec_session(&opts))?;
        let (input, output) = session.session.split();
        let items: Items = Box::pin(output.map(|f| f.map(|f| (Kind::of(f.stream), f.data))));
        let mut s =
            BerthStream::new(c.rt.clone(), items, "exec").with_exec(c.docker.clone(), session.id);
        if opts.stdin {
            s = s.with_input(input);
        }
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// # Safety
/// As `berth_container_exec`.
unsafe fn exec_options(
    id: *const c_char,
    argv: *const *const c_char,
    argc: usize,
    env: *const *const c_char,
    envc: usize,
    flags: u32,
) -> Result<ExecCreate, Fail> {
    // SAFETY: forwarded contract.
    let id = unsafe { text(id, "id") }?;
    // SAFETY: forwarded contract.
    let cmd = unsafe { text_list(argv, argc, "argv") }?;
    if cmd.is_empty() {
        return Err(Fail::invalid("argv must hold at least the program to run"));
    }
    let mut opts = ExecCreate::new(id, cmd);
    // SAFETY: forwarded contract.
    opts.env = unsafe { text_list(env, envc, "env") }?;
    let (o, e) = out_flags(flags);
    opts.stdout = o;
    opts.stderr = e;
    opts.stdin = flags & BERTH_STDIN != 0;
    opts.tty = flags & BERTH_TTY != 0;
    Ok(opts)
}

/// The output of a process run to its end (`berth_container_run`,
/// `berth_container_exec_run`): exit code, stdout, stderr, container id.
///
/// Thread safety: immutable; read from any thread. Free with `berth_output_free`.
#[derive(Debug)]
pub struct BerthOutput {
    exit_code: i64,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    container_id: std::ffi::CString,
}

impl BerthOutput {
    fn new(exit_code: i64, out: Output, id: &str) -> BerthOutput {
        BerthOutput {
            exit_code,
            stdout: out.stdout,
            stderr: out.stderr,
            container_id: std::ffi::CString::new(id).unwrap_or_default(),
        }
    }
}

/// The process's exit code (-1 for NULL).
///
/// # Safety
/// `output` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_output_exit_code(output: *const BerthOutput) -> i64 {
    // SAFETY: NULL or live per the contract.
    unsafe { output.as_ref() }.map_or(-1, |o| o.exit_code)
}

/// What the process wrote to stdout: a pointer to `*len` bytes borrowed from the
/// output (not NUL-terminated; never NULL for a non-NULL output). `len` may be NULL.
///
/// # Safety
/// `output` NULL or live; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_output_stdout(
    output: *const BerthOutput,
    len: *mut usize,
) -> *const u8 {
    // SAFETY: NULL or live per the contract; `len` NULL or writable.
    unsafe { output_bytes(output, len, |o| &o.stdout) }
}

/// What the process wrote to stderr, as `berth_output_stdout`.
///
/// # Safety
/// `output` NULL or live; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_output_stderr(
    output: *const BerthOutput,
    len: *mut usize,
) -> *const u8 {
    // SAFETY: NULL or live per the contract; `len` NULL or writable.
    unsafe { output_bytes(output, len, |o| &o.stderr) }
}

/// # Safety
/// `output` NULL or live; `len` NULL or writable.
unsafe fn output_bytes(
    output: *const BerthOutput,
    len: *mut usize,
    pick: impl Fn(&BerthOutput) -> &Vec<u8>,
) -> *const u8 {
    // SAFETY: NULL or live per the contract.
    let Some(o) = (unsafe { output.as_ref() }) else {
        return std::ptr::null();
    };
    let b = pick(o);
    if !len.is_null() {
        // SAFETY: not NULL, writable per the contract.
        unsafe { len.write(b.len()) };
    }
    b.as_ptr()
}

/// The id of the container that ran (borrowed; NULL for NULL).
///
/// # Safety
/// `output` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_output_container_id(output: *const BerthOutput) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    unsafe { output.as_ref() }.map_or(std::ptr::null(), |o| o.container_id.as_ptr())
}

/// Frees an output. NULL is a no-op.
///
/// # Safety
/// `output` NULL or an output from berth, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_output_free(output: *mut BerthOutput) {
    if !output.is_null() {
        // SAFETY: from Box::into_raw, freed once.
        drop(unsafe { Box::from_raw(output) });
    }
}

/// docker-py's `exec_run`: runs `argv` in a running container to its end (no stdin)
/// and returns its exit code and output in `*output`.
///
/// # Safety
/// As `berth_container_exec`; `output` a writable slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_exec_run(
    client: *const BerthClient,
    id: *const c_char,
    argv: *const *const c_char,
    argc: usize,
    output: *mut *mut BerthOutput,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let output = need(output, "output")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let opts = unsafe { exec_options(id, argv, argc, std::ptr::null(), 0, 0) }?;
        let r = c.block(c.docker.exec_run(&opts))?;
        let o = BerthOutput::new(r.exit_code.unwrap_or(-1), r.output, &opts.container);
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(output, Box::into_raw(Box::new(o))) };
        Ok(())
    })
}

/// docker-py's `containers.run` without detach: creates a container from
/// `config_json` (as `berth_container_create`; `name` may be NULL), starts it, waits
/// for it to exit, and collects its stdout and stderr into `*output`. A non-zero exit
/// is not a failure: read `berth_output_exit_code`. With `remove` the container is
/// removed afterwards (also when a step failed). `cancel` (may be NULL) interrupts the
/// wait; the container is then removed when `remove` is set.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `cancel` NULL or live;
/// `output` a writable slot; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_run(
    client: *const BerthClient,
    name: *const c_char,
    config_json: *const c_char,
    remove: bool,
    cancel: *const crate::stream::BerthCancel,
    output: *mut *mut BerthOutput,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let output = need(output, "output")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let name = unsafe { opt_text(name, "name") }?;
        // SAFETY: per this function's contract.
        let config = unsafe { json_object(config_json, "config_json") }?;
        // SAFETY: per this function's contract.
        let mut watch = unsafe { Watch::of(cancel) };
        let id = create(c, name, &config)?;
        let tty = config.get("Tty").and_then(serde_json::Value::as_bool);
        let result = c.block(watch.run(run_created(c, &id, tty), "container run"));
        if remove {
            let removed = c.block(c.docker.execute(&ContainerRemove {
                id: id.clone(),
                volumes: true,
                link: false,
                force: true,
            }));
            if result.is_ok() {
                removed?;
            }
        }
        let (code, out_) = result?;
        let o = BerthOutput::new(code, out_, &id);
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(output, Box::into_raw(Box::new(o))) };
        Ok(())
    })
}

async fn run_created(c: &BerthClient, id: &str, tty: Option<bool>) -> Result<(i64, Output), Fail> {
    c.docker
        .execute(&ContainerStart { id: id.to_owned() })
        .await?;
    let status = c
        .docker
        .execute_with(
            &ContainerWait {
                id: id.to_owned(),
                condition: Some(WaitCondition::NotRunning),
            },
            CallTimeout::None,
        )
        .await?;
    let mut logs = ContainerLogs::new(id);
    logs.stdout = true;
    logs.stderr = true;
    logs.tty = Some(tty.unwrap_or(false));
    let out = Output::collect(c.docker.logs(&logs).await?).await?;
    Ok((status.status_code, out))
}

/// `GET /containers/{id}/archive?path=`: a tar of `path` as `BERTH_STREAM_KIND_DATA`
/// frames. `*stat_json` (when not NULL) receives the path's stat
/// (`{"name","size","mode","mtime","linkTarget"}`) as an owned JSON string.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `stat_json` NULL or a
/// writable slot; `stream` a writable slot; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_get_archive(
    client: *const BerthClient,
    id: *const c_char,
    path: *const c_char,
    stat_json: *mut *mut c_char,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let (id, path) = unsafe { (text(id, "id")?, text(path, "path")?) };
        let (stat, body) = c.block(c.docker.download(&ArchiveGet {
            id: id.to_owned(),
            path: path.to_owned(),
        }))?;
        let stat = stat.map(|s| {
            serde_json::json!({
                "name": s.name, "size": s.size, "mode": s.mode,
                "mtime": s.mtime, "linkTarget": s.link_target,
            })
        });
        let stat = serde_json::to_string(&stat.unwrap_or(serde_json::Value::Null))
            .map_err(|e| Fail::from(berth_core::Error::Decode(e.to_string())))?;
        let s = BerthStream::new(c.rt.clone(), data_items(body), "archive download");
        // SAFETY: per this function's contract (NULL = not wanted).
        unsafe { put_string(stat_json, stat, "stat") }?;
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// A response body as `DATA` frames.
pub(crate) fn data_items(body: berth_host::transport::ResponseBody) -> Items {
    Box::pin(futures_util::stream::unfold(body, |mut b| async move {
        b.chunk()
            .await
            .map(|r| (r.map(|bytes| (Kind::Data, bytes)), b))
    }))
}

/// `GET /containers/{id}/export`: the container's filesystem as a tar, in `DATA`
/// frames.
///
/// # Safety
/// `client` NULL or live; `id` NULL or NUL-terminated; `stream` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_export(
    client: *const BerthClient,
    id: *const c_char,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let id = unsafe { text(id, "id") }?;
        let body = c.block(c.docker.export(id))?;
        let s = BerthStream::new(c.rt.clone(), data_items(body), "container export");
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// `PUT /containers/{id}/archive?path=`: extracts a tar, written through the returned
/// upload (`berth_upload_write`, then `berth_upload_finish`), into directory `path`.
/// Errors (no such container or directory) come from `berth_upload_finish`.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `upload` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_container_put_archive(
    client: *const BerthClient,
    id: *const c_char,
    path: *const c_char,
    upload: *mut *mut BerthUpload,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let upload = need(upload, "upload")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let (id, path) = unsafe { (text(id, "id")?.to_owned(), text(path, "path")?.to_owned()) };
        let docker = c.docker.clone();
        let u = BerthUpload::start(Arc::clone(&c.rt), move |body| async move {
            docker.put_archive(&id, &path, body).await?;
            Ok(Bytes::new())
        });
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(upload, Box::into_raw(Box::new(u))) };
        Ok(())
    })
}

/// A JSON stream's items as `JSON` frames.
pub(crate) fn json_items<S, T>(s: S) -> Items
where
    S: futures_util::Stream<Item = berth_host::Result<berth_core::model::Typed<T>>>
        + Send
        + 'static,
{
    Box::pin(s.map(|item| item.and_then(|t| Ok(json_item(t.attrs.into_value())?))))
}
