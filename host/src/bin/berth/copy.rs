//! `cp`: files between a container and the local filesystem, as tar archives
//! streamed both ways (constant memory whatever the size).
//!
//! The destination rules are docker cp's: an existing directory receives the source
//! under its own name; a path that does not exist (in an existing parent) becomes a
//! copy of the source under that name; an existing file is overwritten by a file.

use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use clap::Args;
use tokio::sync::mpsc;

use berth::Docker;

use crate::Failure;
use crate::io::{ChannelReader, channel_stream, send_body, stdin_chunks};

#[derive(Args, Debug)]
pub struct CpArgs {
    /// `CONTAINER:PATH`, a local path, or `-` (a tar archive on stdin).
    src: String,
    /// `CONTAINER:PATH`, a local path, or `-` (the tar archive to stdout).
    dst: String,
}

/// One side of a copy.
#[derive(Debug, PartialEq, Eq)]
enum Location<'a> {
    Local(&'a str),
    Container { name: &'a str, path: &'a str },
}

/// docker's rule: an absolute path or one without `:` is local; otherwise the part
/// before the first `:` names the container (write `./a:b` for a local `a:b`).
fn location(arg: &str) -> Location<'_> {
    if arg.starts_with('/') || arg.starts_with('.') {
        return Location::Local(arg);
    }
    match arg.split_once(':') {
        Some((name, path)) if !name.is_empty() => Location::Container { name, path },
        _ => Location::Local(arg),
    }
}

pub async fn cp(docker: &Docker, a: CpArgs) -> Result<(), Failure> {
    match (location(&a.src), location(&a.dst)) {
        (Location::Container { name, path }, Location::Local(dst)) => {
            copy_from(docker, name, path, dst).await
        }
        (Location::Local(src), Location::Container { name, path }) => {
            copy_to(docker, src, name, path).await
        }
        (Location::Local(_), Location::Local(_)) => Err(Failure::msg(
            "cp: one of source and destination must be CONTAINER:PATH",
        )),
        (Location::Container { .. }, Location::Container { .. }) => Err(Failure::msg(
            "cp: copying between containers is not supported; copy to a local path first",
        )),
    }
}

/// The last component of a container (POSIX) path, and its parent directory.
fn split_container_path(path: &str) -> (&str, &str) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", base)) => ("/", base),
        Some((parent, base)) => (parent, base),
        None => (".", trimmed),
    }
}

/// Container → local: the daemon's tar of `path`, unpacked (or written to stdout
/// for `-`).
async fn copy_from(docker: &Docker, container: &str, path: &str, dst: &str) -> Result<(), Failure> {
    let (stat, body) = docker.get_archive(container, path).await?;
    let (tx, rx) = mpsc::channel(8);
    if dst == "-" {
        let writer = tokio::task::spawn_blocking(move || {
            let mut stdout = std::io::stdout();
            std::io::copy(&mut ChannelReader::new(rx), &mut stdout)?;
            stdout.flush()
        });
        send_body(body, tx).await;
        return joined(writer.await, "writing the archive to stdout");
    }
    let src_is_dir = stat.as_ref().is_some_and(|s| s.is_dir());
    let dst_path = PathBuf::from(dst);
    let (base, rename) = match std::fs::metadata(&dst_path) {
        Ok(m) if m.is_dir() => (dst_path, None),
        Ok(_) if src_is_dir => {
            return Err(Failure::msg(format!(
                "cp: cannot copy directory {container}:{path} to file {dst}"
            )));
        }
        Ok(_) => split_local(&dst_path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if dst.ends_with('/') {
                return Err(Failure::msg(format!(
                    "cp: destination directory {dst} does not exist"
                )));
            }
            let (parent, name) = split_local(&dst_path)?;
            if !parent.is_dir() {
                return Err(Failure::msg(format!(
                    "cp: destination directory {} does not exist",
                    parent.display()
                )));
            }
            (parent, name)
        }
        Err(e) => return Err(Failure::io(format!("cp: {dst}"), &e)),
    };
    let unpacker = tokio::task::spawn_blocking(move || {
        unpack(ChannelReader::new(rx), &base, rename.as_deref())
    });
    send_body(body, tx).await;
    joined(unpacker.await, format!("cp: unpacking into {dst}"))
}

/// A local path's parent (`.` for a bare name) and last component.
fn split_local(path: &Path) -> Result<(PathBuf, Option<String>), Failure> {
    let name = path
        .file_name()
        .ok_or_else(|| Failure::msg(format!("cp: {} has no file name", path.display())))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((parent, Some(name.to_string_lossy().into_owned())))
}

fn joined<E: std::fmt::Display>(
    r: Result<std::io::Result<()>, E>,
    what: impl std::fmt::Display,
) -> Result<(), Failure> {
    match r {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure::io(what, &e)),
        Err(e) => Err(Failure::msg(format!("{what}: {e}"))),
    }
}

/// `rel` (an archive path) checked to stay inside the destination, its first
/// component replaced by `rename` when given.
fn target_path(rel: &Path, rename: Option<&str>) -> std::io::Result<PathBuf> {
    let mut out = PathBuf::new();
    let mut first = true;
    for c in rel.components() {
        match c {
            Component::Normal(part) => {
                match (first, rename) {
                    (true, Some(new)) => out.push(new),
                    _ => out.push(part),
                }
                first = false;
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("archive entry {} leaves the destination", rel.display()),
                ));
            }
        }
    }
    Ok(out)
}

/// Unpacks a tar into `base`, renaming its top-level entry to `rename` when given
/// (docker cp's "copy as" form). Runs on the blocking pool.
fn unpack(reader: ChannelReader, base: &Path, rename: Option<&str>) -> std::io::Result<()> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let rel = target_path(&entry.path()?, rename)?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let target = base.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if entry.header().entry_type() == tar::EntryType::Link {
            // A hard link names another entry of the archive, renamed the same way.
            let link = entry.link_name()?.ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "hard link without target")
            })?;
            let source = base.join(target_path(&link, rename)?);
            match std::fs::remove_file(&target) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            std::fs::hard_link(source, &target)?;
            continue;
        }
        entry.unpack(&target)?;
    }
    Ok(())
}

/// Local → container: a tar of `src` (built on the blocking pool while it uploads),
/// or stdin's tar for `-`, extracted by the daemon.
async fn copy_to(docker: &Docker, src: &str, container: &str, path: &str) -> Result<(), Failure> {
    if src == "-" {
        docker
            .put_archive(container, path, channel_stream(stdin_chunks()))
            .await?;
        return Ok(());
    }
    let src_path = PathBuf::from(src);
    let meta =
        std::fs::symlink_metadata(&src_path).map_err(|e| Failure::io(format!("cp: {src}"), &e))?;
    // `.` and `..` have no name of their own: they stand for the directory they are.
    let named = match src_path.file_name() {
        Some(_) => src_path.clone(),
        None => {
            std::fs::canonicalize(&src_path).map_err(|e| Failure::io(format!("cp: {src}"), &e))?
        }
    };
    let src_name = named
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Failure::msg(format!("cp: {src} has no file name")))?;
    let (dir, name) = match docker.archive_stat(container, path).await {
        Ok(stat) if stat.is_dir() => (path.to_owned(), src_name),
        Ok(_) if meta.is_dir() => {
            return Err(Failure::msg(format!(
                "cp: cannot copy directory {src} to file {container}:{path}"
            )));
        }
        Ok(_) => {
            let (parent, base) = split_container_path(path);
            (parent.to_owned(), base.to_owned())
        }
        Err(e) if e.is_not_found() => {
            // The HEAD answer cannot say whether the path or the container is missing;
            // the container's inspect error says "No such container".
            docker.containers().get(container).await?;
            if path.ends_with('/') {
                return Err(Failure::msg(format!(
                    "cp: destination directory {container}:{path} does not exist"
                )));
            }
            // A missing path is the name to copy as.
            let (parent, base) = split_container_path(path);
            (parent.to_owned(), base.to_owned())
        }
        Err(e) => return Err(e.into()),
    };
    let (tx, rx) = mpsc::channel(8);
    let builder = tokio::task::spawn_blocking(move || {
        let result = pack(&src_path, &name, tx.clone());
        if let Err(e) = &result {
            // The upload must fail too, not end as if the archive were complete.
            let _sent = tx.blocking_send(Err(std::io::Error::new(e.kind(), e.to_string())));
        }
        result
    });
    let uploaded = docker
        .put_archive(container, &dir, channel_stream(rx))
        .await;
    joined(builder.await, format!("cp: archiving {src}"))?;
    uploaded?;
    Ok(())
}

/// Writes a tar of `src` named `name` into the channel, chunk by chunk.
fn pack(src: &Path, name: &str, tx: mpsc::Sender<std::io::Result<Bytes>>) -> std::io::Result<()> {
    let sink = BufWriter::with_capacity(64 * 1024, ChannelWriter { tx });
    let mut builder = tar::Builder::new(sink);
    builder.follow_symlinks(false);
    // dockerd's extractor rejects GNU sparse entries (type `S`).
    builder.sparse(false);
    if std::fs::symlink_metadata(src)?.is_dir() {
        builder.append_dir_all(name, src)?;
    } else {
        builder.append_path_with_name(src, name)?;
    }
    builder.into_inner()?.flush()
}

/// A blocking [`Write`] sending each write to an async receiver.
struct ChannelWriter {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.tx
            .blocking_send(Ok(Bytes::copy_from_slice(data)))
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "the upload to the daemon stopped",
                )
            })?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_follow_docker_cp() {
        assert_eq!(
            location("web:/etc/hosts"),
            Location::Container {
                name: "web",
                path: "/etc/hosts"
            }
        );
        assert_eq!(location("/tmp/a:b"), Location::Local("/tmp/a:b"));
        assert_eq!(location("./a:b"), Location::Local("./a:b"));
        assert_eq!(location("file"), Location::Local("file"));
        assert_eq!(location("-"), Location::Local("-"));
    }

    #[test]
    fn container_paths_split_into_parent_and_name() {
        assert_eq!(split_container_path("/etc/hosts"), ("/etc", "hosts"));
        assert_eq!(split_container_path("/tmp/"), ("/", "tmp"));
        assert_eq!(split_container_path("x"), (".", "x"));
    }

    #[test]
    fn archive_paths_cannot_escape() {
        assert!(target_path(Path::new("../x"), None).is_err());
        assert!(target_path(Path::new("/x"), None).is_err());
        assert_eq!(
            target_path(Path::new("./a/b"), Some("c")).expect("inside"),
            PathBuf::from("c/b")
        );
    }
}
