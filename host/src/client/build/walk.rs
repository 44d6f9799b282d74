//! The directory walk of a build context: `.dockerignore`, Dockerfile placement and
//! the tar stream fed to the upload from a blocking thread.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use tokio::sync::mpsc;

use berth_core::context::{
    DOCKERIGNORE, DockerIgnore, Entry, EntryKind, MatchInfo, TarWriter, augmented_dockerignore,
    injected_dockerfile_name,
};

use super::{CHANNEL_CHUNKS, CHUNK, ContextError};
use crate::error::{Error, Result};
use crate::transport::ByteStream;

/// What the walk needs to know before it starts.
#[derive(Debug)]
pub(super) struct ContextPlan {
    ignore: DockerIgnore,
    /// The name passed as `dockerfile=`.
    pub(super) dockerfile_name: String,
    /// A Dockerfile from outside the context, sent under `dockerfile_name`, and the
    /// `.dockerignore` rewritten to hide it.
    injected: Option<(Bytes, Bytes)>,
}

/// Reads `.dockerignore` and places the Dockerfile (docker-py's `process_dockerfile`).
pub(super) fn plan_context(dir: &Path, dockerfile: Option<&str>) -> Result<ContextPlan> {
    let meta =
        fs::metadata(dir).map_err(|e| context_io(dir, "cannot open the build context", &e))?;
    if !meta.is_dir() {
        return Err(berth_core::Error::InvalidArgument(format!(
            "build context {} is not a directory",
            dir.display()
        ))
        .into());
    }
    let root = std::path::absolute(dir).map_err(|e| context_io(dir, "cannot resolve", &e))?;
    let ignore_path = root.join(DOCKERIGNORE);
    let original = match fs::read(&ignore_path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(context_io(&ignore_path, "cannot read", &e)),
    };
    let requested = dockerfile.unwrap_or("Dockerfile");
    let df_path = if Path::new(requested).is_absolute() {
        normalize(Path::new(requested))
    } else {
        normalize(&root.join(requested))
    };
    let root_n = normalize(&root);
    match df_path.strip_prefix(&root_n) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            let name = slash_path(rel).ok_or_else(|| non_utf8(&df_path))?;
            let ignore = DockerIgnore::parse(original.as_deref().unwrap_or_default(), &name)?;
            Ok(ContextPlan {
                ignore,
                dockerfile_name: name,
                injected: None,
            })
        }
        _ => {
            let contents = fs::read(&df_path)
                .map_err(|e| context_io(&df_path, "cannot read the Dockerfile", &e))?;
            let name = injected_dockerfile_name(&contents);
            let ignore = DockerIgnore::parse(original.as_deref().unwrap_or_default(), "")?;
            let rewritten = augmented_dockerignore(original.as_deref(), &name);
            Ok(ContextPlan {
                ignore,
                dockerfile_name: name,
                injected: Some((Bytes::from(contents), Bytes::from(rewritten))),
            })
        }
    }
}

/// Lexical normalisation: `.` dropped, `..` pops (no symlink resolution, like
/// Python's `os.path.relpath`).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn slash_path(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|p| p.join("/"))
}

fn context_io(path: &Path, what: &str, e: &io::Error) -> Error {
    Error::with_source(
        berth_core::Error::InvalidArgument(format!(
            "build context: {what} {}: {e}",
            path.display()
        )),
        io::Error::new(e.kind(), e.to_string()),
    )
}

fn non_utf8(path: &Path) -> Error {
    berth_core::Error::InvalidArgument(format!(
        "build context: {} has a name that is not UTF-8; rename it or exclude it in .dockerignore",
        path.display()
    ))
    .into()
}

pub(super) fn gzip_all(data: &[u8]) -> Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).and_then(|()| gz.finish()).map_err(|e| {
        berth_core::Error::InvalidArgument(format!("build context: gzip failed: {e}")).into()
    })
}

/// Starts the walking thread; returns the upload body it feeds.
pub(super) fn spawn_context_writer(
    dir: PathBuf,
    plan: ContextPlan,
    gzip: bool,
    slot: ContextError,
) -> ByteStream {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        match write_context(&dir, &plan, Sink::new(tx.clone(), gzip)) {
            Ok(()) | Err(Stop::Closed) => {}
            Err(Stop::Failed(e)) => {
                let message = e.to_string();
                if let Ok(mut s) = slot.lock() {
                    *s = Some(e);
                }
                // Abort the upload so the daemon never builds a partial context.
                let _ = tx.blocking_send(Err(io::Error::other(message)));
            }
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Why the walk stopped early.
enum Stop {
    /// The upload went away (build cancelled, daemon error): nothing to report.
    Closed,
    /// The context could not be read.
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Failed(e)
    }
}

impl From<berth_core::Error> for Stop {
    fn from(e: berth_core::Error) -> Stop {
        Stop::Failed(e.into())
    }
}

/// Where tar bytes go: the channel, through gzip when asked.
struct Sink {
    tx: mpsc::Sender<io::Result<Bytes>>,
    gz: Option<flate2::write::GzEncoder<Vec<u8>>>,
}

impl Sink {
    fn new(tx: mpsc::Sender<io::Result<Bytes>>, gzip: bool) -> Sink {
        let gz = gzip.then(|| {
            flate2::write::GzEncoder::new(Vec::with_capacity(CHUNK), flate2::Compression::fast())
        });
        Sink { tx, gz }
    }

    fn send(&self, b: Bytes) -> Result<(), Stop> {
        self.tx.blocking_send(Ok(b)).map_err(|_| Stop::Closed)
    }

    /// Moves everything the writer produced to the channel.
    fn drain(&mut self, w: &mut TarWriter) -> Result<(), Stop> {
        while let Some(b) = w.pop() {
            match &mut self.gz {
                None => self.send(b)?,
                Some(gz) => {
                    gz.write_all(&b).map_err(gzip_error)?;
                    if gz.get_ref().len() >= CHUNK {
                        let out = std::mem::replace(gz.get_mut(), Vec::with_capacity(CHUNK));
                        self.send(Bytes::from(out))?;
                    }
                }
            }
        }
        Ok(())
    }

    fn close(mut self) -> Result<(), Stop> {
        if let Some(gz) = self.gz.take() {
            let rest = gz.finish().map_err(gzip_error)?;
            if !rest.is_empty() {
                self.send(Bytes::from(rest))?;
            }
        }
        Ok(())
    }
}

fn gzip_error(e: io::Error) -> Stop {
    Stop::Failed(
        berth_core::Error::InvalidArgument(format!("build context: gzip failed: {e}")).into(),
    )
}

fn write_context(dir: &Path, plan: &ContextPlan, mut sink: Sink) -> Result<(), Stop> {
    let mut w = TarWriter::new();
    if let Some((dockerfile, dockerignore)) = &plan.injected {
        w.append_bytes(&plan.dockerfile_name, 0o600, 0, dockerfile.clone())?;
        w.append_bytes(DOCKERIGNORE, 0o600, 0, dockerignore.clone())?;
        sink.drain(&mut w)?;
    }
    let skip_dockerignore = plan.injected.is_some();
    walk_dir(
        dir,
        "",
        &MatchInfo::default(),
        plan,
        skip_dockerignore,
        &mut w,
        &mut sink,
    )?;
    w.finish()?;
    sink.drain(&mut w)?;
    sink.close()
}

/// Sends the entries of `dir` (context path `rel`) in name order, depth first.
fn walk_dir(
    dir: &Path,
    rel: &str,
    info: &MatchInfo,
    plan: &ContextPlan,
    skip_dockerignore: bool,
    w: &mut TarWriter,
    sink: &mut Sink,
) -> Result<(), Stop> {
    let reader = fs::read_dir(dir).map_err(|e| context_io(dir, "cannot list", &e))?;
    let mut names = Vec::new();
    for entry in reader {
        let entry = entry.map_err(|e| context_io(dir, "cannot list", &e))?;
        names.push(entry.file_name());
    }
    names.sort();
    for name in names {
        let full = dir.join(&name);
        let name = name.to_str().ok_or_else(|| non_utf8(&full))?;
        let path = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        if skip_dockerignore && path == DOCKERIGNORE {
            continue;
        }
        let meta = fs::symlink_metadata(&full).map_err(|e| context_io(&full, "cannot stat", &e))?;
        let ft = meta.file_type();
        let is_dir = ft.is_dir();
        let v = plan.ignore.verdict(&path, is_dir, info);
        if v.include {
            let mut entry = if is_dir {
                Entry::dir(path.clone(), mode_of(&meta))
            } else if ft.is_symlink() {
                let target =
                    fs::read_link(&full).map_err(|e| context_io(&full, "cannot read link", &e))?;
                let target = target.to_str().ok_or_else(|| non_utf8(&full))?.to_owned();
                Entry::symlink(path.clone(), target)
            } else if ft.is_file() {
                Entry::file(path.clone(), mode_of(&meta), meta.len())
            } else {
                // FIFOs, sockets and devices are never sent (docker-py, the CLI).
                continue;
            };
            entry.mtime = mtime_of(&meta);
            if entry.kind == EntryKind::File {
                send_file(&full, entry, w, sink)?;
            } else {
                w.append(&entry)?;
                sink.drain(w)?;
            }
        }
        if v.descend {
            walk_dir(&full, &path, &v.info, plan, skip_dockerignore, w, sink)?;
        }
    }
    Ok(())
}

/// Streams one file's contents; a file that changes size while read is an error.
fn send_file(full: &Path, entry: Entry, w: &mut TarWriter, sink: &mut Sink) -> Result<(), Stop> {
    let mut f = fs::File::open(full).map_err(|e| context_io(full, "cannot read file", &e))?;
    w.append(&entry)?;
    sink.drain(w)?;
    let mut left = entry.size;
    while left > 0 {
        let want = CHUNK.min(usize::try_from(left).unwrap_or(CHUNK));
        let mut buf = vec![0u8; want];
        let n = f
            .read(&mut buf)
            .map_err(|e| context_io(full, "cannot read file", &e))?;
        if n == 0 {
            break;
        }
        buf.truncate(n);
        left -= n as u64;
        w.data(Bytes::from(buf))?;
        sink.drain(w)?;
    }
    if left > 0 {
        return Err(Stop::Failed(
            berth_core::Error::InvalidArgument(format!(
                "build context: {} shrank while being read ({left} bytes missing)",
                full.display()
            ))
            .into(),
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(meta: &fs::Metadata) -> u32 {
    // Windows keeps no execute bits: everything is executable, like docker-py.
    if meta.permissions().readonly() {
        0o555
    } else {
        0o755
    }
}

fn mtime_of(meta: &fs::Metadata) -> i64 {
    match meta.modified() {
        Ok(t) => match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        },
        Err(_) => 0,
    }
}
