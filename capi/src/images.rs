//! Typed helpers for images: pull and push with progress, build (directory or tar),
//! save and load, list, inspect, tag, remove.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use bytes::Bytes;

use berth_core::api::images::{
    ImageInspectOp, ImageList, ImagePull, ImagePush, ImageRemove, ImageTag,
};
use berth_host::transport::bytes_stream;
use berth_host::{BuildContext, BuildOptions};

use crate::client::BerthClient;
use crate::client::json_call;
use crate::containers::{data_items, filters, json_items};
use crate::error::{BerthError, BerthResult, Fail};
use crate::ffi::{
    Res, bytes, guard, handle, need, opt_json, opt_text, put, put_string, text, text_list,
};
use crate::raw::RawJson;
use crate::stream::{BerthCancel, BerthFrameCallback, BerthStream, BerthUpload, Watch};

/// # Safety
/// Strings NULL or NUL-terminated.
unsafe fn pull_options(image: *const c_char, tag: *const c_char) -> Result<ImagePull, Fail> {
    // SAFETY: forwarded contract.
    let (image, tag) = unsafe { (text(image, "image")?, opt_text(tag, "tag")?) };
    Ok(ImagePull {
        image: image.to_owned(),
        tag: tag.map(str::to_owned),
        ..ImagePull::default()
    })
}

/// `POST /images/create`: pulls `image` (`"busybox"`, `"127.0.0.1:5000/app:1"`; `tag`
/// may be NULL) and returns its progress as a stream of `JSON` frames (Engine
/// `CreateImageInfo` objects). A failure the registry reports ends the stream with
/// `BERTH_RESULT_STREAM_ERROR`; read it to the end or the pull is abandoned.
/// Credentials come from the docker config (`~/.docker/config.json`).
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `stream` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_pull_stream(
    client: *const BerthClient,
    image: *const c_char,
    tag: *const c_char,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let opts = unsafe { pull_options(image, tag) }?;
        let s = c.block(c.docker.images().pull(&opts))?;
        let s = BerthStream::new(c.rt.clone(), json_items(s), "image pull");
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// Pulls `image` to the end, calling `progress` (may be NULL) with every `JSON`
/// progress frame on this thread. `cancel` (may be NULL) abandons the pull from another
/// thread.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `progress` NULL or safe to
/// call with `user_data`; `cancel` NULL or live; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_pull(
    client: *const BerthClient,
    image: *const c_char,
    tag: *const c_char,
    progress: BerthFrameCallback,
    user_data: *mut c_void,
    cancel: *const BerthCancel,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let opts = unsafe { pull_options(image, tag) }?;
        // SAFETY: per this function's contract.
        let mut watch = unsafe { Watch::of(cancel) };
        let s = c.block(watch.run(
            async { Ok(c.docker.images().pull(&opts).await?) },
            "image pull",
        ))?;
        let mut s = BerthStream::new(c.rt.clone(), json_items(s), "image pull");
        s.watch(watch);
        s.drain(progress, user_data)
    })
}

/// `POST /images/{name}/push`: pushes `image` (`tag` may be NULL = all tags), calling
/// `progress` (may be NULL) with every `JSON` frame. A registry failure (denied,
/// unreachable) is `BERTH_RESULT_STREAM_ERROR` with the registry's message.
///
/// # Safety
/// As `berth_image_pull`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_push(
    client: *const BerthClient,
    image: *const c_char,
    tag: *const c_char,
    progress: BerthFrameCallback,
    user_data: *mut c_void,
    cancel: *const BerthCancel,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let (image, tag) = unsafe { (text(image, "image")?, opt_text(tag, "tag")?) };
        let opts = ImagePush {
            image: image.to_owned(),
            tag: tag.map(str::to_owned),
            ..ImagePush::default()
        };
        // SAFETY: per this function's contract.
        let mut watch = unsafe { Watch::of(cancel) };
        let s = c.block(watch.run(
            async { Ok(c.docker.images().push(&opts).await?) },
            "image push",
        ))?;
        let mut s = BerthStream::new(c.rt.clone(), json_items(s), "image push");
        s.watch(watch);
        s.drain(progress, user_data)
    })
}

/// Build options from JSON: `{"tags":["app:1"],"dockerfile":"Dockerfile",
/// "buildargs":{"K":"V"},"labels":{"K":"V"},"target":"stage","nocache":false,
/// "pull":false,"quiet":false,"rm":true,"forcerm":false,"platform":"linux/amd64"}`.
fn build_options(v: Option<serde_json::Value>) -> Result<BuildOptions, Fail> {
    let mut o = BuildOptions::new();
    let Some(v) = v else { return Ok(o) };
    let obj = v
        .as_object()
        .ok_or_else(|| Fail::invalid("options_json must be a JSON object"))?;
    let string = |k: &str, v: &serde_json::Value| -> Result<String, Fail> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| Fail::invalid(format!("options_json.{k} must be a string")))
    };
    let boolean = |k: &str, v: &serde_json::Value| -> Result<bool, Fail> {
        v.as_bool()
            .ok_or_else(|| Fail::invalid(format!("options_json.{k} must be true or false")))
    };
    let map = |k: &str, v: &serde_json::Value| -> Result<Vec<(String, String)>, Fail> {
        let m = v
            .as_object()
            .ok_or_else(|| Fail::invalid(format!("options_json.{k} must be an object")))?;
        m.iter()
            .map(|(mk, mv)| Ok((mk.clone(), string(&format!("{k}.{mk}"), mv)?)))
            .collect()
    };
    for (k, val) in obj {
        match k.as_str() {
            "tags" => {
                let arr = val
                    .as_array()
                    .ok_or_else(|| Fail::invalid("options_json.tags must be an array"))?;
                for t in arr {
                    o.tags.push(string("tags[]", t)?);
                }
            }
            "dockerfile" => o.dockerfile = Some(string(k, val)?),
            "target" => o.target = Some(string(k, val)?),
            "platform" => o.platform = Some(string(k, val)?),
            "buildargs" => o.buildargs.extend(map(k, val)?),
            "labels" => o.labels.extend(map(k, val)?),
            "nocache" => o.nocache = boolean(k, val)?,
            "pull" => o.pull = boolean(k, val)?,
            "quiet" => o.quiet = boolean(k, val)?,
            "rm" => o.rm = boolean(k, val)?,
            "forcerm" => o.forcerm = boolean(k, val)?,
            other => {
                return Err(Fail::invalid(format!(
                    "options_json has unknown key {other:?} (known: tags, dockerfile, target, \
                     platform, buildargs, labels, nocache, pull, quiet, rm, forcerm)"
                )));
            }
        }
    }
    Ok(o)
}

fn build(
    c: &BerthClient,
    context: BuildContext,
    options: &BuildOptions,
    progress: BerthFrameCallback,
    user_data: *mut c_void,
    watch: &mut Watch,
) -> Result<String, Fail> {
    let mut s = c.block(watch.run(
        async { Ok(c.docker.build_context(context, options).await?) },
        "image build",
    ))?;
    loop {
        let item = c.block(watch.run(async { Ok(s.next_item().await) }, "image build"))?;
        let Some(item) = item else { break };
        let (_, bytes) = crate::raw::json_item(item?.attrs.into_value())?;
        if let Some(cb) = progress {
            let mut frame_data = bytes.to_vec();
            frame_data.push(0);
            let frame = crate::stream::BerthFrame {
                kind: crate::stream::Kind::Json,
                data: frame_data.as_ptr(),
                len: bytes.len(),
            };
            // SAFETY: the caller gave a valid callback; frame data lives across the call.
            if unsafe { cb(user_data, &frame) } != 0 {
                return Err(Fail::cancelled("image build: the callback asked to stop"));
            }
        }
    }
    s.log().image_id().map(str::to_owned).ok_or_else(|| {
        Fail::from(berth_core::Error::Decode(
            "the build ended without naming an image".into(),
        ))
    })
}

/// `POST /build` from a directory (filtered by its `.dockerignore`, streamed as a tar):
/// calls `progress` (may be NULL) with every `JSON` frame and, on success, writes the
/// image id (`sha256:…`) to `*image_id` (owned; may be NULL if not wanted).
/// `options_json` may be NULL (see the keys in the README). A failing `RUN` is
/// `BERTH_RESULT_STREAM_ERROR` with the daemon's message.
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `progress` NULL or safe to
/// call with `user_data`; `cancel` NULL or live; `image_id` NULL or writable; `err`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_build(
    client: *const BerthClient,
    context_dir: *const c_char,
    options_json: *const c_char,
    progress: BerthFrameCallback,
    user_data: *mut c_void,
    cancel: *const BerthCancel,
    image_id: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let dir = unsafe { text(context_dir, "context_dir") }?;
        // SAFETY: per this function's contract.
        let options = build_options(unsafe { opt_json(options_json, "options_json") }?)?;
        // SAFETY: per this function's contract.
        let mut watch = unsafe { Watch::of(cancel) };
        let id = build(
            c,
            BuildContext::Dir(dir.into()),
            &options,
            progress,
            user_data,
            &mut watch,
        )?;
        // SAFETY: per this function's contract.
        unsafe { put_string(image_id, id, "image id") }
    })
}

/// `POST /build` from a ready tar archive in memory (`tar`, `tar_len` bytes; gzip it
/// and set `"gzip"`-free options as the daemon detects compression). Otherwise as
/// `berth_image_build`.
///
/// # Safety
/// As `berth_image_build`; `tar` points to `tar_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_build_tar(
    client: *const BerthClient,
    tar: *const u8,
    tar_len: usize,
    options_json: *const c_char,
    progress: BerthFrameCallback,
    user_data: *mut c_void,
    cancel: *const BerthCancel,
    image_id: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let tar = unsafe { bytes(tar, tar_len, "tar") }?;
        if tar.is_empty() {
            return Err(Fail::invalid(
                "tar is empty: a build context needs a Dockerfile",
            ));
        }
        // SAFETY: per this function's contract.
        let options = build_options(unsafe { opt_json(options_json, "options_json") }?)?;
        // SAFETY: per this function's contract.
        let mut watch = unsafe { Watch::of(cancel) };
        let id = build(
            c,
            BuildContext::Tar(bytes_stream(Bytes::copy_from_slice(tar))),
            &options,
            progress,
            user_data,
            &mut watch,
        )?;
        // SAFETY: per this function's contract.
        unsafe { put_string(image_id, id, "image id") }
    })
}

/// `GET /images/get`: `names` (`count` of them, ids or `repo:tag`) as one `docker save`
/// tar, in `DATA` frames.
///
/// # Safety
/// `client` NULL or live; `names` `count` valid strings; `stream` a writable slot;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_save(
    client: *const BerthClient,
    names: *const *const c_char,
    count: usize,
    stream: *mut *mut BerthStream,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let stream = need(stream, "stream")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let names = unsafe { text_list(names, count, "names") }?;
        if names.is_empty() {
            return Err(Fail::invalid("names must hold at least one image"));
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let body = c.block(c.docker.images().save(&refs))?;
        let s = BerthStream::new(c.rt.clone(), data_items(body), "image save");
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(stream, s.into_raw()) };
        Ok(())
    })
}

/// `POST /images/load`: loads a `docker save` tar written through the returned upload.
/// `berth_upload_finish` answers a JSON array of the loaded names (`"repo:tag"`).
///
/// # Safety
/// `client` NULL or live; `upload` a writable slot; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_load(
    client: *const BerthClient,
    upload: *mut *mut BerthUpload,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        let upload = need(upload, "upload")?;
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        let docker = c.docker.clone();
        let u = BerthUpload::start(Arc::clone(&c.rt), move |body| async move {
            let names = docker.images().load(body).await?;
            serde_json::to_vec(&names)
                .map(Bytes::from)
                .map_err(|e| Fail::from(berth_core::Error::Decode(e.to_string())))
        });
        // SAFETY: checked not NULL, writable per the contract.
        unsafe { put(upload, Box::into_raw(Box::new(u))) };
        Ok(())
    })
}

/// `GET /images/json`: image summaries as an owned JSON array. `all` includes
/// intermediate images; `filters_json` may be NULL.
///
/// # Safety
/// `client` NULL or live; `filters_json` NULL or NUL-terminated; `json` writable;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_list(
    client: *const BerthClient,
    all: bool,
    filters_json: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe {
        json_call(client, json, "json", err, "list answer", || {
            Ok(ImageList {
                all,
                filters: filters(filters_json)?,
                ..ImageList::default()
            })
        })
    }
}

/// `GET /images/{name}/json`: the inspect document (Engine `ImageInspect`) as owned
/// JSON. A missing image is `BERTH_RESULT_NOT_FOUND` (`BERTH_CATEGORY_IMAGE_NOT_FOUND`).
///
/// # Safety
/// `client` NULL or live; `name` NULL or NUL-terminated; `json` writable; `err` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_inspect(
    client: *const BerthClient,
    name: *const c_char,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    // SAFETY: forwarded contract.
    unsafe {
        json_call(client, json, "json", err, "inspect answer", || {
            Ok(ImageInspectOp {
                name: text(name, "name")?.to_owned(),
            })
        })
    }
}

/// `POST /images/{name}/tag`: tags `image` as `repo` (`tag` NULL = `latest`).
///
/// # Safety
/// `client` NULL or live; strings NULL or NUL-terminated; `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_tag(
    client: *const BerthClient,
    image: *const c_char,
    repo: *const c_char,
    tag: *const c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let (image, repo, tag) = unsafe {
            (
                text(image, "image")?,
                text(repo, "repo")?,
                opt_text(tag, "tag")?,
            )
        };
        Ok(c.block(c.docker.execute(&ImageTag {
            image: image.to_owned(),
            repo: repo.to_owned(),
            tag: tag.map(str::to_owned),
            force: false,
        }))?)
    })
}

/// `DELETE /images/{name}`: untags and deletes. `*json` (when not NULL) receives the
/// daemon's list of `{"Untagged"|"Deleted": …}` entries.
///
/// # Safety
/// `client` NULL or live; `name` NULL or NUL-terminated; `json` NULL or writable;
/// `err` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_image_remove(
    client: *const BerthClient,
    name: *const c_char,
    force: bool,
    noprune: bool,
    json: *mut *mut c_char,
    err: *mut *mut BerthError,
) -> BerthResult {
    guard(err, || -> Res {
        // SAFETY: per this function's contract.
        let c = unsafe { handle(client, "client") }?;
        // SAFETY: per this function's contract.
        let name = unsafe { text(name, "name") }?.to_owned();
        let body = c.block(c.docker.execute(&RawJson(ImageRemove {
            name,
            force,
            noprune,
        })))?;
        // SAFETY: per this function's contract (NULL = not wanted).
        unsafe { put_string(json, body, "remove answer") }
    })
}
