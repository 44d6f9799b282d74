//! Images: list, inspect, history, tag, remove, prune, save, load, import, pull,
//! push, search, distribution inspect and login, plus the progress of pulls and pushes.
//!
//! | module | operations |
//! | --- | --- |
//! | [`local`] | [`ImageList`], [`ImageInspectOp`], [`ImageHistory`], [`ImageTag`], [`ImageRemove`], [`ImagePrune`] |
//! | [`transfer`] | [`ImageSave`], [`ImageLoad`], [`ImageImport`], [`loaded_image_of`] |
//! | [`registry`] | [`ImagePull`], [`ImagePush`], [`ImageSearch`], [`DistributionInspectOp`], [`AuthLogin`], [`Platform`] |
//! | [`progress`] | [`ProgressAggregator`], [`LayerProgress`] |
//!
//! Registry operations carry `X-Registry-Auth` (see [`crate::auth`]); the caller
//! resolves the credentials for the image's registry and puts the encoded header in.
//!
//! ```
//! use berth_core::api::images::{ImagePush, ImageTag};
//! use berth_core::endpoint::{Endpoint, StreamEndpoint};
//! use berth_core::ApiVersion;
//!
//! let api = ApiVersion::new(1, 41);
//! let tag = ImageTag::new("busybox:berth-test", "127.0.0.1:5000/busybox:v1");
//! assert_eq!(
//!     tag.request(api)?.path,
//!     "/v1.41/images/busybox:berth-test/tag?repo=127.0.0.1%3A5000%2Fbusybox&tag=v1"
//! );
//! let push = ImagePush::new("127.0.0.1:5000/busybox:v1");
//! let head = push.request(api)?;
//! assert_eq!(head.path, "/v1.41/images/127.0.0.1:5000/busybox/push?tag=v1");
//! assert_eq!(head.headers, vec![("X-Registry-Auth", "e30=".to_owned())]);
//! # Ok::<(), berth_core::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::request::quote_id;

pub mod local;
pub mod progress;
pub mod registry;
pub mod transfer;

pub use local::{
    DeleteEntry, ImageHistory, ImageInspectOp, ImageList, ImagePrune, ImageRemove, ImageTag,
};
pub use progress::{LayerProgress, ProgressAggregator};
pub use registry::{
    AuthLogin, DistributionInspectOp, ImagePull, ImagePush, ImageSearch, Platform, ProgressDecoder,
};
pub use transfer::{ImageImport, ImageLoad, ImageSave, ImportSource, loaded_image_of};

/// docker-py's `parse_repository_tag`: splits `name[:tag][@digest]` into the repository
/// and its tag or digest. A `:` only starts a tag when no `/` follows it, so
/// `localhost:5000/img` has no tag (edge case 130).
///
/// ```
/// use berth_core::api::images::parse_repository_tag;
/// assert_eq!(parse_repository_tag("localhost:5000/img"), ("localhost:5000/img", None));
/// assert_eq!(parse_repository_tag("host:5000/ns/app:1.2"), ("host:5000/ns/app", Some("1.2")));
/// assert_eq!(parse_repository_tag("busybox@sha256:abc"), ("busybox", Some("sha256:abc")));
/// ```
pub fn parse_repository_tag(name: &str) -> (&str, Option<&str>) {
    if let Some((repo, digest)) = name.split_once('@') {
        return (repo, Some(digest));
    }
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (name, None),
    }
}

/// `repo:tag`, or `repo@digest` when the "tag" is a digest (edge case 131).
///
/// ```
/// use berth_core::api::images::join_reference;
/// assert_eq!(join_reference("busybox", Some("1")), "busybox:1");
/// assert_eq!(join_reference("busybox", Some("sha256:ab")), "busybox@sha256:ab");
/// assert_eq!(join_reference("busybox", None), "busybox:latest");
/// ```
pub fn join_reference(repo: &str, tag: Option<&str>) -> String {
    match tag {
        Some(t) if t.contains(':') => format!("{repo}@{t}"),
        Some(t) => format!("{repo}:{t}"),
        None => format!("{repo}:latest"),
    }
}

/// `/images/{name}{suffix}` with the name quoted (empty names fail before any I/O).
fn image_path(name: &str, suffix: &str) -> Result<String> {
    Ok(format!("/images/{}{suffix}", quote_id("image", name)?))
}

/// Every 404 of an operation on a named image is about that image, whatever the
/// daemon's wording ("No such image", "manifest unknown", …).
pub fn image_not_found(e: Error) -> Error {
    match e {
        Error::NotFound(m) => Error::ImageNotFound(m),
        other => other,
    }
}

/// `Error::from_response` with 404 as [`Error::ImageNotFound`].
fn image_error(status: u16, body: &[u8]) -> Error {
    image_not_found(Error::from_response(status, body))
}

/// Validates a repository name for tag/push/import: not empty, no scheme.
fn check_repository(what: &str, repo: &str) -> Result<()> {
    if repo.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{what}: the repository name is empty"
        )));
    }
    if repo.contains("://") {
        return Err(Error::InvalidArgument(format!(
            "{what}: {repo:?} is a URL, not a repository name; drop the scheme"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod test_support {

    use crate::headers::Headers;

    use crate::endpoint::Response;
    use crate::version::ApiVersion;

    pub(super) const V41: ApiVersion = ApiVersion::new(1, 41);

    static NO_HEADERS: Headers = Headers::new();

    /// A response with no headers.
    pub(super) fn resp(status: u16, body: &[u8]) -> Response<'_> {
        Response {
            status,
            headers: &NO_HEADERS,
            body,
        }
    }

    /// The headers of an empty map (for decoders).
    pub(super) fn no_headers() -> &'static Headers {
        &NO_HEADERS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_tag_vectors() {
        for (input, repo, tag) in [
            ("busybox", "busybox", None),
            ("busybox:1.36", "busybox", Some("1.36")),
            ("user/app", "user/app", None),
            ("localhost:5000/img", "localhost:5000/img", None),
            ("localhost:5000/img:v2", "localhost:5000/img", Some("v2")),
            ("org/my.app:latest", "org/my.app", Some("latest")),
            ("img@sha256:0123", "img", Some("sha256:0123")),
            ("reg:5000/a/b@sha256:ff", "reg:5000/a/b", Some("sha256:ff")),
            (
                "host:5000/ns/name:tag@sha256:ff",
                "host:5000/ns/name:tag",
                Some("sha256:ff"),
            ),
        ] {
            assert_eq!(parse_repository_tag(input), (repo, tag), "{input}");
        }
    }

    #[test]
    fn image_paths_and_404_mapping() {
        assert_eq!(
            image_path("reg:5000/a b", "/json").expect("ok"),
            "/images/reg:5000/a%20b/json"
        );
        assert!(image_path("", "/json").is_err());
        let e = image_error(
            404,
            br#"{"message":"manifest for x:y not found: manifest unknown"}"#,
        );
        assert_eq!(e.category(), crate::Category::ImageNotFound);
        let e = image_error(409, br#"{"message":"image is being used"}"#);
        assert_eq!(e.category(), crate::Category::Conflict);
        assert!(check_repository("t", "https://x/y").is_err());
        assert!(check_repository("t", "").is_err());
    }
}
