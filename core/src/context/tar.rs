//! A streaming tar writer for build contexts.
//!
//! The host walks the context and feeds entries and file contents in chunks; the
//! writer turns them into tar bytes as they come, so a context of any size passes
//! through in constant memory. Headers are the `tar` crate's GNU headers; names and
//! link targets longer than the 100-byte header fields get a GNU long-name
//! (`././@LongLink`) entry first, which Go's `archive/tar` (the daemon's reader)
//! understands.
//!
//! ```
//! use berth_core::context::tar::{Entry, TarWriter};
//!
//! let mut w = TarWriter::new();
//! w.append(&Entry::dir("src", 0o755))?;
//! w.append(&Entry::file("src/main.rs", 0o644, 12))?;
//! w.data(b"fn main() {}"[..].into())?;
//! w.finish()?;
//! let mut tar = Vec::new();
//! while let Some(chunk) = w.pop() {
//!     tar.extend_from_slice(&chunk);
//! }
//! assert_eq!(tar.len() % 512, 0);
//! # Ok::<(), berth_core::Error>(())
//! ```

use std::collections::VecDeque;

use bytes::Bytes;
use tar::{EntryType, Header};

use crate::error::{Error, Result};

const BLOCK: usize = 512;

/// The largest mtime an 11-digit octal header field holds (year 2242); later and
/// negative times are clamped into `0..=MAX_MTIME` (docker-py's "huge or negative
/// mtime" fix).
pub const MAX_MTIME: i64 = 0o777_7777_7777;

/// What a context entry is. FIFOs, sockets and devices are never sent: the host skips
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file; its `size` bytes follow through [`TarWriter::data`].
    File,
    /// A directory.
    Dir,
    /// A symbolic link, stored as a link (never followed; the target may not exist).
    Symlink {
        /// The link's target, as read from the link.
        target: String,
    },
}

/// One entry of a build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Context-relative, `/`-separated path (no leading `/`, no `.`/`..` segments).
    pub path: String,
    /// File, directory or symlink.
    pub kind: EntryKind,
    /// Permission bits (and setuid/setgid/sticky), e.g. `0o644`.
    pub mode: u32,
    /// Size in bytes (files only; 0 otherwise).
    pub size: u64,
    /// Modification time, Unix seconds (clamped to [`MAX_MTIME`]).
    pub mtime: i64,
    /// Owner id (the docker CLI sends 0).
    pub uid: u64,
    /// Group id (the docker CLI sends 0).
    pub gid: u64,
}

impl Entry {
    /// A file of `size` bytes, owned by root, mtime 0.
    pub fn file(path: impl Into<String>, mode: u32, size: u64) -> Entry {
        Entry::new(path, EntryKind::File, mode, size)
    }

    /// A directory, owned by root, mtime 0.
    pub fn dir(path: impl Into<String>, mode: u32) -> Entry {
        Entry::new(path, EntryKind::Dir, mode, 0)
    }

    /// A symlink to `target`, owned by root, mtime 0.
    pub fn symlink(path: impl Into<String>, target: impl Into<String>) -> Entry {
        let target = target.into();
        Entry::new(path, EntryKind::Symlink { target }, 0o777, 0)
    }

    fn new(path: impl Into<String>, kind: EntryKind, mode: u32, size: u64) -> Entry {
        Entry {
            path: path.into(),
            kind,
            mode,
            size,
            mtime: 0,
            uid: 0,
            gid: 0,
        }
    }

    /// Sets the modification time (Unix seconds).
    pub fn with_mtime(mut self, mtime: i64) -> Entry {
        self.mtime = mtime;
        self
    }
}

/// Turns entries and file contents into tar bytes, incrementally.
///
/// Call [`append`](TarWriter::append) per entry; after a file, feed exactly its size
/// through [`data`](TarWriter::data); end with [`finish`](TarWriter::finish). Take the
/// produced bytes with [`pop`](TarWriter::pop) as often as you like — file data is
/// passed through without copying, so memory is what you have not popped yet.
#[derive(Debug, Default)]
pub struct TarWriter {
    out: VecDeque<Bytes>,
    queued: usize,
    /// Path and bytes still expected of the current file.
    current: Option<(String, u64)>,
    /// Padding owed after the current file's data.
    pad: usize,
    finished: bool,
    written: u64,
}

impl TarWriter {
    /// An empty archive.
    pub fn new() -> TarWriter {
        TarWriter::default()
    }

    /// Starts an entry: writes its header(s). A file with a non-zero size must then
    /// be fed its contents before the next entry.
    pub fn append(&mut self, entry: &Entry) -> Result<()> {
        self.check_open()?;
        if let Some((path, left)) = &self.current {
            return Err(Error::InvalidArgument(format!(
                "build context: {path} is {left} bytes short (it changed while being read?)"
            )));
        }
        let path = entry_name(entry)?;
        let mut header = Header::new_gnu();
        let (ty, size) = match &entry.kind {
            EntryKind::File => (EntryType::Regular, entry.size),
            EntryKind::Dir => (EntryType::Directory, 0),
            EntryKind::Symlink { target } => {
                if target.is_empty() {
                    return Err(Error::InvalidArgument(format!(
                        "build context: symlink {} has an empty target",
                        entry.path
                    )));
                }
                if target.len() > 100 {
                    self.long_link(b'K', target.as_bytes());
                } else {
                    header
                        .set_link_name_literal(target.as_bytes())
                        .map_err(|e| tar_error(&entry.path, &e))?;
                }
                (EntryType::Symlink, 0)
            }
        };
        if path.len() > 100 {
            self.long_link(b'L', path.as_bytes());
        }
        let name = &mut header.as_old_mut().name;
        let n = path.len().min(name.len());
        name[..n].copy_from_slice(&path.as_bytes()[..n]);
        header.set_entry_type(ty);
        header.set_mode(entry.mode & 0o7777);
        header.set_uid(entry.uid);
        header.set_gid(entry.gid);
        header.set_size(size);
        header.set_mtime(clamp_mtime(entry.mtime));
        header.set_cksum();
        self.push(Bytes::copy_from_slice(header.as_bytes()));
        if size > 0 {
            self.current = Some((entry.path.clone(), size));
            self.pad = padding(size);
        }
        Ok(())
    }

    /// Feeds the next chunk of the current file.
    pub fn data(&mut self, chunk: Bytes) -> Result<()> {
        self.check_open()?;
        if chunk.is_empty() {
            return Ok(());
        }
        let Some((path, left)) = &mut self.current else {
            return Err(Error::InvalidArgument(
                "build context: file data given outside a file entry".into(),
            ));
        };
        let len = chunk.len() as u64;
        if len > *left {
            return Err(Error::InvalidArgument(format!(
                "build context: {path} grew while being read ({len} more bytes than the {left} \
                 expected)"
            )));
        }
        *left -= len;
        let done = *left == 0;
        self.push(chunk);
        if done {
            self.current = None;
            let pad = std::mem::take(&mut self.pad);
            if pad > 0 {
                self.push(Bytes::from_static(&ZEROS[..pad]));
            }
        }
        Ok(())
    }

    /// Adds a whole in-memory file (an injected Dockerfile, a rewritten
    /// `.dockerignore`).
    pub fn append_bytes(
        &mut self,
        path: &str,
        mode: u32,
        mtime: i64,
        contents: Bytes,
    ) -> Result<()> {
        let entry = Entry::file(path, mode, contents.len() as u64).with_mtime(mtime);
        self.append(&entry)?;
        self.data(contents)
    }

    /// Bytes the current file still expects (0 between entries).
    pub fn remaining(&self) -> u64 {
        self.current.as_ref().map_or(0, |(_, left)| *left)
    }

    /// Ends the archive (two zero blocks). Fails if a file is incomplete.
    pub fn finish(&mut self) -> Result<()> {
        self.check_open()?;
        if let Some((path, left)) = &self.current {
            return Err(Error::InvalidArgument(format!(
                "build context: {path} is {left} bytes short (it shrank while being read?)"
            )));
        }
        self.push(Bytes::from_static(&ZEROS[..2 * BLOCK]));
        self.finished = true;
        Ok(())
    }

    /// The next piece of tar output, if any.
    pub fn pop(&mut self) -> Option<Bytes> {
        let b = self.out.pop_front()?;
        self.queued -= b.len();
        Some(b)
    }

    /// Bytes produced and not yet popped.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Total bytes produced so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn check_open(&self) -> Result<()> {
        if self.finished {
            return Err(Error::InvalidArgument(
                "build context: the archive is already finished".into(),
            ));
        }
        Ok(())
    }

    fn push(&mut self, b: Bytes) {
        self.queued += b.len();
        self.written += b.len() as u64;
        self.out.push_back(b);
    }

    /// A GNU `././@LongLink` entry carrying a long name (`L`) or link target (`K`).
    fn long_link(&mut self, kind: u8, value: &[u8]) {
        let mut h = Header::new_gnu();
        h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        let size = value.len() as u64 + 1;
        h.set_size(size);
        h.set_entry_type(EntryType::new(kind));
        h.set_cksum();
        self.push(Bytes::copy_from_slice(h.as_bytes()));
        let mut data = Vec::with_capacity(value.len() + 1 + padding(size));
        data.extend_from_slice(value);
        data.push(0);
        data.resize(data.len() + padding(size), 0);
        self.push(Bytes::from(data));
    }
}

static ZEROS: [u8; 2 * BLOCK] = [0; 2 * BLOCK];

fn padding(size: u64) -> usize {
    let rem = (size % BLOCK as u64) as usize;
    if rem == 0 { 0 } else { BLOCK - rem }
}

fn clamp_mtime(mtime: i64) -> u64 {
    mtime.clamp(0, MAX_MTIME) as u64
}

/// The entry's name in the archive: validated; directories end in `/`.
fn entry_name(entry: &Entry) -> Result<String> {
    let p = entry.path.as_str();
    let bad = |why: &str| {
        Err(Error::InvalidArgument(format!(
            "build context: entry path {p:?} {why}"
        )))
    };
    if p.is_empty() {
        return bad("is empty");
    }
    if p.starts_with('/') {
        return bad("is absolute; context paths are relative to the context root");
    }
    if p.contains('\0') {
        return bad("contains a NUL byte");
    }
    if p.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return bad("has an empty, '.' or '..' segment");
    }
    Ok(match entry.kind {
        EntryKind::Dir => format!("{p}/"),
        _ => p.to_owned(),
    })
}

fn tar_error(path: &str, e: &std::io::Error) -> Error {
    Error::InvalidArgument(format!(
        "build context: cannot write a header for {path}: {e}"
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn drain(w: &mut TarWriter) -> Vec<u8> {
        let mut v = Vec::new();
        while let Some(b) = w.pop() {
            v.extend_from_slice(&b);
        }
        v
    }

    /// (path, type, mode, mtime, link target, contents) of every entry.
    type Parsed = (String, EntryType, u32, u64, Option<String>, Vec<u8>);

    fn parse(bytes: &[u8]) -> Vec<Parsed> {
        let mut a = ::tar::Archive::new(bytes);
        let mut out = Vec::new();
        for e in a.entries().expect("entries") {
            let mut e = e.expect("entry");
            let path = e.path().expect("path").to_string_lossy().into_owned();
            let h = e.header().clone();
            let link = e
                .link_name()
                .expect("link")
                .map(|l| l.to_string_lossy().into_owned());
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("data");
            out.push((
                path,
                h.entry_type(),
                h.mode().expect("mode"),
                h.mtime().expect("mtime"),
                link,
                data,
            ));
        }
        out
    }

    #[test]
    fn entries_round_trip_through_the_tar_crate() {
        let long_dir = "d".repeat(120);
        let long_file = format!("{long_dir}/{}", "f".repeat(150));
        let long_target = format!("../{}", "t".repeat(200));
        let big: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let mut w = TarWriter::new();
        w.append(&Entry::file(".dockerignore", 0o644, 0))
            .expect("empty file");
        w.append(&Entry::file("Dockerfile", 0o600, 20).with_mtime(1_700_000_000))
            .expect("file");
        w.data(Bytes::from_static(b"FROM busybox:berth-t"))
            .expect("data");
        w.append(&Entry::dir("empty", 0o755)).expect("dir");
        w.append(&Entry::dir(long_dir.clone(), 0o700))
            .expect("long dir");
        w.append(&Entry::file(long_file.clone(), 0o755, big.len() as u64))
            .expect("long file");
        for piece in big.chunks(333) {
            w.data(Bytes::copy_from_slice(piece)).expect("chunk");
        }
        w.append(&Entry::symlink("broken", "nowhere/at/all"))
            .expect("symlink");
        w.append(&Entry::symlink("longlink", long_target.clone()))
            .expect("long symlink");
        w.append(&Entry::file("neg", 0o4755, 1).with_mtime(-3600))
            .expect("neg");
        w.data(Bytes::from_static(b"x")).expect("x");
        w.append(&Entry::file("huge", 0o644, 0).with_mtime(i64::MAX))
            .expect("huge");
        w.finish().expect("finish");
        let bytes = drain(&mut w);
        assert_eq!(bytes.len() % 512, 0);
        assert_eq!(bytes.len() as u64, w.written());
        let got = parse(&bytes);
        let want: Vec<Parsed> = vec![
            (
                ".dockerignore".into(),
                EntryType::Regular,
                0o644,
                0,
                None,
                vec![],
            ),
            (
                "Dockerfile".into(),
                EntryType::Regular,
                0o600,
                1_700_000_000,
                None,
                b"FROM busybox:berth-t".to_vec(),
            ),
            (
                "empty/".into(),
                EntryType::Directory,
                0o755,
                0,
                None,
                vec![],
            ),
            (
                format!("{long_dir}/"),
                EntryType::Directory,
                0o700,
                0,
                None,
                vec![],
            ),
            (long_file, EntryType::Regular, 0o755, 0, None, big),
            (
                "broken".into(),
                EntryType::Symlink,
                0o777,
                0,
                Some("nowhere/at/all".into()),
                vec![],
            ),
            (
                "longlink".into(),
                EntryType::Symlink,
                0o777,
                0,
                Some(long_target),
                vec![],
            ),
            (
                "neg".into(),
                EntryType::Regular,
                0o4755,
                0,
                None,
                b"x".to_vec(),
            ),
            (
                "huge".into(),
                EntryType::Regular,
                0o644,
                MAX_MTIME as u64,
                None,
                vec![],
            ),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn output_is_incremental_and_data_is_not_copied() {
        let mut w = TarWriter::new();
        w.append(&Entry::file("a", 0o644, 1000)).expect("file");
        assert_eq!(w.queued(), 512, "only the header so far");
        let header = w.pop().expect("header");
        assert_eq!(header.len(), 512);
        let chunk = Bytes::from(vec![7u8; 600]);
        let ptr = chunk.as_ptr();
        w.data(chunk).expect("data");
        let out = w.pop().expect("chunk");
        assert_eq!(out.as_ptr(), ptr, "file data passes through zero-copy");
        assert_eq!(w.remaining(), 400);
        w.data(Bytes::from(vec![7u8; 400])).expect("rest");
        assert_eq!(w.remaining(), 0);
        assert_eq!(w.pop().map(|b| b.len()), Some(400));
        assert_eq!(w.pop().map(|b| b.len()), Some(24), "padding to 1024");
        assert!(w.pop().is_none());
    }

    #[test]
    fn misuse_is_refused() {
        let mut w = TarWriter::new();
        w.append(&Entry::file("a", 0o644, 3)).expect("file");
        w.data(Bytes::from_static(b"ab")).expect("part");
        assert!(w.append(&Entry::file("b", 0o644, 0)).is_err(), "a is short");
        assert!(w.data(Bytes::from_static(b"cd")).is_err(), "a would grow");
        assert!(w.finish().is_err(), "a is short");
        w.data(Bytes::from_static(b"c")).expect("rest");
        assert!(w.data(Bytes::from_static(b"d")).is_err(), "outside a file");
        for bad in ["", "/abs", "a/../b", "./a", "a//b", "a/."] {
            assert!(w.append(&Entry::file(bad, 0o644, 0)).is_err(), "{bad:?}");
        }
        assert!(w.append(&Entry::symlink("l", "")).is_err());
        w.finish().expect("finish");
        assert!(w.append(&Entry::dir("late", 0o755)).is_err());
        assert!(w.finish().is_err());
    }

    #[test]
    fn append_bytes_pads() {
        let mut w = TarWriter::new();
        w.append_bytes("x", 0o600, 5, Bytes::from_static(b"hello"))
            .expect("bytes");
        w.finish().expect("finish");
        let bytes = drain(&mut w);
        assert_eq!(bytes.len(), 512 * 4);
        let got = parse(&bytes);
        assert_eq!(got[0].5, b"hello");
        assert_eq!(got[0].3, 5);
    }
}
