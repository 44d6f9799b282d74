//! Build contexts: which files are sent ([`dockerignore`]) and how they are packed
//! ([`tar`]), plus the Dockerfile placement rules of the docker CLI and docker-py.
//!
//! The host walks the directory; everything decided about the walk and the bytes
//! produced lives here, without I/O.

pub mod dockerignore;
mod pattern;
pub mod tar;

use sha2::{Digest, Sha256};

pub use dockerignore::{DOCKERIGNORE, DockerIgnore, MatchInfo, Verdict};
pub use tar::{Entry, EntryKind, TarWriter};

/// The context name a Dockerfile from outside the context (or from a string) is
/// sent under: `.dockerfile.` and 20 hex digits, like the CLI's random name, but
/// derived from the contents so rebuilding the same Dockerfile hits the cache.
///
/// ```
/// use berth_core::context::injected_dockerfile_name;
/// let n = injected_dockerfile_name(b"FROM busybox\n");
/// assert!(n.starts_with(".dockerfile.") && n.len() == 32);
/// assert_eq!(n, injected_dockerfile_name(b"FROM busybox\n"));
/// ```
pub fn injected_dockerfile_name(contents: &[u8]) -> String {
    let digest = Sha256::digest(contents);
    format!(".dockerfile.{}", hex::encode(&digest[..10]))
}

/// The `.dockerignore` sent along with an injected Dockerfile: the original contents
/// (or `.dockerignore` when there was none) plus the injected name, so the daemon
/// drops both from what `COPY . …` sees (the CLI's `AddDockerfileToBuildContext`).
///
/// ```
/// use berth_core::context::augmented_dockerignore;
/// assert_eq!(augmented_dockerignore(None, ".dockerfile.ab"), b".dockerignore\n.dockerfile.ab\n");
/// assert_eq!(augmented_dockerignore(Some(b"*.log"), ".dockerfile.ab"), b"*.log\n.dockerfile.ab\n");
/// ```
pub fn augmented_dockerignore(original: Option<&[u8]>, injected: &str) -> Vec<u8> {
    let mut out = original.map_or_else(|| DOCKERIGNORE.as_bytes().to_vec(), <[u8]>::to_vec);
    out.push(b'\n');
    out.extend_from_slice(injected.as_bytes());
    out.push(b'\n');
    out
}
