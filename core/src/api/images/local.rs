//! Operations on the daemon's local images: list, inspect, history, tag, remove, prune.

use http::Method;
use serde_json::Value;

use super::{check_repository, image_error, image_path, parse_repository_tag};
use crate::endpoint::{Endpoint, Response};
use crate::error::{Error, Result};
use crate::model::typed_list;
use crate::model::{Typed, excerpt};
use crate::models::{ImageHistoryResponseItem, ImageInspect, ImagePruneResponse, ImageSummary};
use crate::request::{Filters, Query, RequestHead, ResponseKind};
use crate::version::ApiVersion;

/// `GET /images/json`: the local images.
///
/// `name` restricts the list to one repository (`busybox`, `busybox:1.36`, wildcards
/// as the daemon allows): the `reference` filter on API ≥ 1.25, the legacy `filter`
/// query parameter before (edge case 139). docker-py's `quiet` is client-side: take
/// the ids of the result.
///
/// ```
/// use berth_core::api::images::ImageList;
/// use berth_core::endpoint::Endpoint;
/// let l = ImageList { name: Some("busybox".into()), all: true, ..ImageList::default() };
/// assert_eq!(
///     l.request(berth_core::ApiVersion::new(1, 41))?.path,
///     "/v1.41/images/json?all=1&filters=%7B%22reference%22%3A%5B%22busybox%22%5D%7D"
/// );
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ImageList {
    /// Only images of this repository (`repo` or `repo:tag`).
    pub name: Option<String>,
    /// Include intermediate images.
    pub all: bool,
    /// Report `RepoDigests` (`digests=1`).
    pub digests: bool,
    /// `dangling`, `label`, `before`, `since`, `reference` filters.
    pub filters: Filters,
}

impl Endpoint for ImageList {
    type Output = Vec<Typed<ImageSummary>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new();
        if self.all {
            q = q.flag01("all", true);
        }
        if self.digests {
            q = q.flag01("digests", true);
        }
        let mut filters = self.filters.clone();
        match self.name.as_deref() {
            Some("") => {
                return Err(Error::InvalidArgument(
                    "image list: the name is empty; give a repository or None".into(),
                ));
            }
            Some(name) if api >= ApiVersion::new(1, 25) => filters.add("reference", name),
            Some(name) => q = q.push("filter", name),
            None => {}
        }
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/images/json",
            q.filters(&filters),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "image list")
    }
}

/// `GET /images/{name}/json`: an image's details (404 → [`Error::ImageNotFound`]).
#[derive(Debug, Clone)]
pub struct ImageInspectOp {
    /// Id, `repo:tag` or `repo@digest`.
    pub name: String,
}

impl Endpoint for ImageInspectOp {
    type Output = Typed<ImageInspect>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &image_path(&self.name, "/json")?,
            Query::new(),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        if !(200..300).contains(&r.status) {
            return Err(image_error(r.status, r.body));
        }
        Typed::from_slice(r.body)
    }
}

/// `GET /images/{name}/history`: the layers of an image, newest first.
#[derive(Debug, Clone)]
pub struct ImageHistory {
    /// Id, `repo:tag` or `repo@digest`.
    pub name: String,
}

impl Endpoint for ImageHistory {
    type Output = Vec<Typed<ImageHistoryResponseItem>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &image_path(&self.name, "/history")?,
            Query::new(),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        if !(200..300).contains(&r.status) {
            return Err(image_error(r.status, r.body));
        }
        typed_list(r.body, "image history")
    }
}

/// `POST /images/{name}/tag?repo=&tag=`: gives an image another name.
///
/// Success is `201` (edge case 137); `force` is sent only when set (modern daemons
/// ignore it).
#[derive(Debug, Clone, Default)]
pub struct ImageTag {
    /// The image to tag (id or name).
    pub image: String,
    /// The new repository (`reg:5000/ns/app`).
    pub repo: String,
    /// The new tag; `None` takes it from `repo` (`app:v1`), else `latest`.
    pub tag: Option<String>,
    /// docker-py's `force`.
    pub force: bool,
}

impl ImageTag {
    /// Tags `image` as `target` (`repo[:tag]`).
    pub fn new(image: impl Into<String>, target: &str) -> ImageTag {
        ImageTag {
            image: image.into(),
            repo: target.to_owned(),
            ..ImageTag::default()
        }
    }

    /// The repository and tag that will be sent.
    pub fn target(&self) -> (&str, Option<&str>) {
        match self.tag.as_deref() {
            Some(t) => (self.repo.as_str(), Some(t)),
            None => parse_repository_tag(&self.repo),
        }
    }
}

impl Endpoint for ImageTag {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let (repo, tag) = self.target();
        check_repository("tag", repo)?;
        if self.tag.is_none() && self.repo.contains('@') {
            return Err(Error::InvalidArgument(format!(
                "tag: {:?} names a digest; a tag target is repo[:tag]",
                self.repo
            )));
        }
        let mut q = Query::new().push("repo", repo).opt("tag", tag);
        if self.force {
            q = q.flag01("force", true);
        }
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            &image_path(&self.image, "/tag")?,
            q,
            ResponseKind::Empty,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        if !(200..300).contains(&r.status) {
            return Err(image_error(r.status, r.body));
        }
        Ok(())
    }
}

/// One line of what an image removal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteEntry {
    /// A name was removed (`busybox:1`, `repo@sha256:…`).
    Untagged(String),
    /// An image or layer was deleted (`sha256:…`).
    Deleted(String),
}

impl DeleteEntry {
    /// Reads `[{"Untagged": …} | {"Deleted": …}]` (`null` is empty). An object with
    /// both keys yields both, untag first.
    pub fn list_from(value: &Value, what: &str) -> Result<Vec<DeleteEntry>> {
        let items = match value {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) => items,
            other => {
                return Err(Error::Decode(format!(
                    "{what}: expected a list of Untagged/Deleted entries, got {}",
                    excerpt(other.to_string().as_bytes())
                )));
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(u) = item.get("Untagged").and_then(Value::as_str) {
                out.push(DeleteEntry::Untagged(u.to_owned()));
            }
            if let Some(d) = item.get("Deleted").and_then(Value::as_str) {
                out.push(DeleteEntry::Deleted(d.to_owned()));
            }
        }
        Ok(out)
    }
}

/// `DELETE /images/{name}?force=&noprune=`: untags, and deletes the image when its
/// last name went (edge case 138). An image used by a container is
/// [`Error::Conflict`] unless `force`.
#[derive(Debug, Clone, Default)]
pub struct ImageRemove {
    /// Id or name.
    pub name: String,
    /// Remove even if containers use it or it has several names (by id).
    pub force: bool,
    /// Keep untagged parent images.
    pub noprune: bool,
}

impl Endpoint for ImageRemove {
    type Output = Vec<DeleteEntry>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new();
        if self.force {
            q = q.flag01("force", true);
        }
        if self.noprune {
            q = q.flag01("noprune", true);
        }
        Ok(RequestHead::versioned(
            Method::DELETE,
            api,
            &image_path(&self.name, "")?,
            q,
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Vec<DeleteEntry>> {
        if !(200..300).contains(&r.status) {
            return Err(image_error(r.status, r.body));
        }
        let v: Value = serde_json::from_slice(r.body).map_err(|e| {
            Error::Decode(format!(
                "image remove: body is not JSON ({e}): {}",
                excerpt(r.body)
            ))
        })?;
        DeleteEntry::list_from(&v, "image remove")
    }
}

/// `POST /images/prune`: removes unused images; needs API 1.25.
///
/// `dangling: Some(true)` (the daemon's default) removes only untagged images,
/// `Some(false)` every image no container uses. Other filters: `until`, `label`,
/// `label!`.
#[derive(Debug, Clone, Default)]
pub struct ImagePrune {
    /// The `dangling` filter.
    pub dangling: Option<bool>,
    /// Other filters.
    pub filters: Filters,
}

impl Endpoint for ImagePrune {
    type Output = Typed<ImagePruneResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 25), "image prune")?;
        let mut filters = self.filters.clone();
        if let Some(d) = self.dangling {
            filters.add("dangling", if d { "true" } else { "false" });
        }
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            "/images/prune",
            Query::new().filters(&filters),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{V41, resp};
    use super::*;

    #[test]
    fn list_uses_reference_filter_or_legacy_filter() {
        let path = |l: &ImageList, api| l.request(api).expect("req").path;
        assert_eq!(path(&ImageList::default(), V41), "/v1.41/images/json");
        let named = ImageList {
            name: Some("busybox:berth-test".into()),
            digests: true,
            filters: Filters::new().with("dangling", "false"),
            ..ImageList::default()
        };
        assert_eq!(
            path(&named, V41),
            "/v1.41/images/json?digests=1&filters=\
             %7B%22dangling%22%3A%5B%22false%22%5D%2C%22reference%22%3A%5B%22busybox%3Aberth-test%22%5D%7D"
        );
        assert_eq!(
            path(&named, ApiVersion::new(1, 24)),
            "/v1.24/images/json?digests=1&filter=busybox%3Aberth-test&filters=\
             %7B%22dangling%22%3A%5B%22false%22%5D%7D"
        );
        let empty = ImageList {
            name: Some(String::new()),
            ..ImageList::default()
        };
        assert!(matches!(empty.request(V41), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn list_parses_untagged_and_null() {
        let l = ImageList::default();
        let items = l
            .parse(resp(
                200,
                br#"[{"Id":"sha256:a","ParentId":"","RepoTags":null,"RepoDigests":null,"Created":1,
                      "Size":2,"SharedSize":-1,"Labels":null,"Containers":-1},
                     {"Id":"sha256:b","ParentId":"sha256:a","RepoTags":["<none>:<none>"],
                      "RepoDigests":["<none>@<none>"],"Created":1,"Size":2,"SharedSize":-1,
                      "VirtualSize":2,"Labels":{"berth.test":"1"},"Containers":-1}]"#,
            ))
            .expect("list");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].id, "sha256:a");
        assert!(items[0].repo_tags.is_empty());
        assert_eq!(items[1].attrs["RepoTags"][0], "<none>:<none>");
        assert_eq!(items[1].labels["berth.test"], "1");
        assert!(l.parse(resp(200, b"null")).expect("null").is_empty());
        assert!(matches!(
            l.parse(resp(500, br#"{"message":"boom"}"#)),
            Err(Error::Server(_))
        ));
    }

    #[test]
    fn inspect_and_history_map_404_to_image_not_found() {
        let i = ImageInspectOp { name: "x".into() };
        assert_eq!(i.request(V41).expect("req").path, "/v1.41/images/x/json");
        let e = i
            .parse(resp(404, br#"{"message":"No such image: x:latest"}"#))
            .expect_err("404");
        assert_eq!(e.category(), crate::Category::ImageNotFound);
        let h = ImageHistory {
            name: "sha256:ab".into(),
        };
        assert_eq!(
            h.request(V41).expect("req").path,
            "/v1.41/images/sha256:ab/history"
        );
        let items = h
            .parse(resp(
                200,
                br#"[{"Comment":"Imported from -","Created":1795694977,"CreatedBy":"",
                      "Id":"sha256:1b2a","Size":3,"Tags":["berth-probe-import:v1"]}]"#,
            ))
            .expect("history");
        assert_eq!(items[0].comment, "Imported from -");
        assert_eq!(items[0].tags, vec!["berth-probe-import:v1".to_string()]);
        let e = h
            .parse(resp(404, br#"{"message":"No such image: nothere:v1"}"#))
            .expect_err("404");
        assert!(matches!(e, Error::ImageNotFound(_)));
        assert!(
            ImageHistory {
                name: String::new()
            }
            .request(V41)
            .is_err()
        );
    }

    #[test]
    fn tag_splits_repo_and_tag() {
        let t = ImageTag::new("busybox:berth-test", "localhost:5000/ns/app");
        assert_eq!(
            t.request(V41).expect("req").path,
            "/v1.41/images/busybox:berth-test/tag?repo=localhost%3A5000%2Fns%2Fapp"
        );
        let t = ImageTag {
            tag: Some("v2".into()),
            force: true,
            ..ImageTag::new("abc", "me/app:ignored")
        };
        assert_eq!(
            t.request(V41).expect("req").path,
            "/v1.41/images/abc/tag?repo=me%2Fapp%3Aignored&tag=v2&force=1"
        );
        for bad in ["", "https://reg/app", "app@sha256:ab"] {
            assert!(ImageTag::new("abc", bad).request(V41).is_err(), "{bad}");
        }
        assert!(ImageTag::new("", "x").request(V41).is_err());
        assert!(t.parse(resp(201, b"")).is_ok());
        let e = t
            .parse(resp(404, br#"{"message":"No such image: abc"}"#))
            .expect_err("404");
        assert!(matches!(e, Error::ImageNotFound(_)));
        let e = t
            .parse(resp(409, br#"{"message":"conflict"}"#))
            .expect_err("409");
        assert!(matches!(e, Error::Conflict(_)));
    }

    #[test]
    fn remove_reads_untagged_and_deleted() {
        let r = ImageRemove {
            name: "x:1".into(),
            force: true,
            noprune: true,
        };
        let h = r.request(V41).expect("req");
        assert_eq!(h.method, Method::DELETE);
        assert_eq!(h.path, "/v1.41/images/x:1?force=1&noprune=1");
        assert_eq!(
            ImageRemove {
                name: "x".into(),
                ..ImageRemove::default()
            }
            .request(V41)
            .expect("req")
            .path,
            "/v1.41/images/x"
        );
        let out = r
            .parse(resp(
                200,
                br#"[{"Untagged":"berth-probe-import:v1"},{"Deleted":"sha256:1b2a"},{"Deleted":"sha256:e2a1"}]"#,
            ))
            .expect("removed");
        assert_eq!(
            out,
            vec![
                DeleteEntry::Untagged("berth-probe-import:v1".into()),
                DeleteEntry::Deleted("sha256:1b2a".into()),
                DeleteEntry::Deleted("sha256:e2a1".into()),
            ]
        );
        let e = r
            .parse(resp(
                409,
                br#"{"message":"conflict: unable to remove repository reference \"x:1\" (must force) - container abc is using its referenced image def"}"#,
            ))
            .expect_err("in use");
        assert!(matches!(e, Error::Conflict(_)));
        let e = r
            .parse(resp(404, br#"{"message":"No such image: x:1"}"#))
            .expect_err("404");
        assert!(matches!(e, Error::ImageNotFound(_)));
        assert!(matches!(r.parse(resp(200, b"{}")), Err(Error::Decode(_))));
    }

    #[test]
    fn prune_needs_1_25_and_sends_dangling() {
        let p = ImagePrune {
            dangling: Some(false),
            filters: Filters::new().with("label", "berth.test=1"),
        };
        assert!(matches!(
            p.request(ApiVersion::new(1, 24)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        assert_eq!(
            p.request(V41).expect("req").path,
            "/v1.41/images/prune?filters=\
             %7B%22dangling%22%3A%5B%22false%22%5D%2C%22label%22%3A%5B%22berth.test%3D1%22%5D%7D"
        );
        assert_eq!(
            ImagePrune::default().request(V41).expect("req").path,
            "/v1.41/images/prune"
        );
        let r = p
            .parse(resp(
                200,
                br#"{"ImagesDeleted":[{"Untagged":"a:1"},{"Deleted":"sha256:b"}],"SpaceReclaimed":42}"#,
            ))
            .expect("prune");
        assert_eq!(r.space_reclaimed, Some(42));
        assert_eq!(
            DeleteEntry::list_from(&r.attrs["ImagesDeleted"], "prune").expect("entries"),
            vec![
                DeleteEntry::Untagged("a:1".into()),
                DeleteEntry::Deleted("sha256:b".into())
            ]
        );
        let none = p
            .parse(resp(200, br#"{"ImagesDeleted":null,"SpaceReclaimed":0}"#))
            .expect("prune");
        assert!(none.images_deleted.is_none());
    }
}
