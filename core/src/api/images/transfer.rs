//! Moving images in and out of the daemon as tar archives: save, load, import.

use http::Method;
use serde_json::Value;

use super::{check_repository, image_error, image_path, parse_repository_tag};
use crate::endpoint::{DownloadEndpoint, Endpoint, Response};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::request::{Query, RequestBody, RequestHead, ResponseKind};
use crate::stream::{Decoder, JsonStreamDecoder};
use crate::version::ApiVersion;

/// `GET /images/{name}/get` (one image) or `GET /images/get?names=…` (several): the
/// images as a `docker save` tarball, streamed.
///
/// Names given as `repo:tag` are kept in the tarball's `manifest.json` `RepoTags`;
/// images given by id are saved without names (edge case 143).
///
/// ```
/// use berth_core::api::images::ImageSave;
/// use berth_core::endpoint::DownloadEndpoint;
/// let api = berth_core::ApiVersion::new(1, 41);
/// assert_eq!(ImageSave::one("busybox:1").request(api)?.path, "/v1.41/images/busybox:1/get");
/// let many = ImageSave { names: vec!["a:1".into(), "b".into()] };
/// assert_eq!(many.request(api)?.path, "/v1.41/images/get?names=a%3A1&names=b");
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ImageSave {
    /// Ids or names; at least one.
    pub names: Vec<String>,
}

impl ImageSave {
    /// Saves one image.
    pub fn one(name: impl Into<String>) -> ImageSave {
        ImageSave {
            names: vec![name.into()],
        }
    }
}

impl DownloadEndpoint for ImageSave {
    type Meta = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let head = match self.names.as_slice() {
            [] => {
                return Err(Error::InvalidArgument(
                    "image save: no image given; name at least one".into(),
                ));
            }
            [one] => RequestHead::versioned(
                Method::GET,
                api,
                &image_path(one, "/get")?,
                Query::new(),
                ResponseKind::Binary,
            ),
            many => {
                let mut q = Query::new();
                for n in many {
                    if n.is_empty() {
                        return Err(Error::InvalidArgument(
                            "image save: one of the names is empty".into(),
                        ));
                    }
                    q = q.push("names", n);
                }
                RequestHead::versioned(Method::GET, api, "/images/get", q, ResponseKind::Binary)
            }
        };
        Ok(head.header("Accept-Encoding", "identity"))
    }

    fn meta(&self, _status: u16, _headers: &Headers) -> Result<()> {
        Ok(())
    }
}

/// What a `load` progress item says was loaded: `Loaded image: repo:tag` gives the
/// name, `Loaded image ID: sha256:…` the id (edge case 140).
///
/// ```
/// use berth_core::api::images::loaded_image_of;
/// let v = serde_json::json!({"stream": "Loaded image: busybox:berth-test\n"});
/// assert_eq!(loaded_image_of(&v).as_deref(), Some("busybox:berth-test"));
/// let v = serde_json::json!({"stream": "Loaded image ID: sha256:378b\n"});
/// assert_eq!(loaded_image_of(&v).as_deref(), Some("sha256:378b"));
/// assert_eq!(loaded_image_of(&serde_json::json!({"status": "Loading layer"})), None);
/// ```
pub fn loaded_image_of(item: &Value) -> Option<String> {
    let line = item.get("stream")?.as_str()?.trim();
    let name = line
        .strip_prefix("Loaded image ID:")
        .or_else(|| line.strip_prefix("Loaded image:"))?
        .trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Runs a JSON progress body to its end: every item to `each`; an error object is
/// [`Error::Stream`].
fn each_item(body: &[u8], mut each: impl FnMut(Value)) -> Result<()> {
    let mut d = JsonStreamDecoder::new();
    d.push(body);
    while let Some(v) = d.next()? {
        each(v);
    }
    while let Some(v) = d.finish()? {
        each(v);
    }
    Ok(())
}

/// `POST /images/load`: loads a `docker save` tarball (the caller streams it as the
/// request body) and returns what was loaded: names (`repo:tag`) and, for images
/// saved by id, ids (`sha256:…`), in the daemon's order.
///
/// The answer is a JSON progress stream (API ≥ 1.23); a failure inside it (not a tar,
/// truncated) is [`Error::Stream`] (docker-py's `ImageLoadError`).
#[derive(Debug, Clone, Default)]
pub struct ImageLoad {
    /// Suppress per-layer progress in the answer (`quiet=1`).
    pub quiet: bool,
}

impl Endpoint for ImageLoad {
    type Output = Vec<String>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new();
        if self.quiet {
            q = q.flag01("quiet", true);
        }
        let mut head = RequestHead::versioned(
            Method::POST,
            api,
            "/images/load",
            q,
            ResponseKind::JsonStream,
        );
        head.body = RequestBody::Stream {
            content_type: "application/x-tar",
        };
        Ok(head)
    }

    fn parse(&self, r: Response<'_>) -> Result<Vec<String>> {
        r.success()?;
        let mut loaded = Vec::new();
        each_item(r.body, |v| loaded.extend(loaded_image_of(&v)))?;
        Ok(loaded)
    }
}

/// Where [`ImageImport`] takes the filesystem from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ImportSource {
    /// A tarball streamed by the caller as the request body (`fromSrc=-`).
    #[default]
    Upload,
    /// A URL the daemon downloads (`fromSrc=<url>`).
    Url(String),
}

/// `POST /images/create?fromSrc=`: makes an image from a root filesystem tarball
/// (docker's `import`), uploaded (sent as `application/tar`, chunked; edge case 142)
/// or fetched by the daemon from a URL. Returns the new image's id.
///
/// ```
/// use berth_core::api::images::ImageImport;
/// use berth_core::endpoint::Endpoint;
/// let i = ImageImport {
///     repo: Some("me/rootfs:v1".into()),
///     changes: vec![r#"CMD ["/bin/sh"]"#.into()],
///     ..ImageImport::default()
/// };
/// assert_eq!(
///     i.request(berth_core::ApiVersion::new(1, 41))?.path,
///     "/v1.41/images/create?fromSrc=-&repo=me%2Frootfs&tag=v1&changes=CMD%20%5B%22%2Fbin%2Fsh%22%5D"
/// );
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ImageImport {
    /// Upload or URL.
    pub source: ImportSource,
    /// Repository of the new image (a tag in it is used when `tag` is `None`).
    pub repo: Option<String>,
    /// Tag of the new image.
    pub tag: Option<String>,
    /// Dockerfile instructions to apply (`CMD …`, `ENV …`).
    pub changes: Vec<String>,
    /// Commit message.
    pub message: Option<String>,
    /// `os[/arch[/variant]]` (API 1.32).
    pub platform: Option<String>,
}

impl Endpoint for ImageImport {
    type Output = String;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let src = match &self.source {
            ImportSource::Upload => "-",
            ImportSource::Url(u) if u.is_empty() || u == "-" => {
                return Err(Error::InvalidArgument(
                    "import: the source URL is empty; give a URL or upload a tarball".into(),
                ));
            }
            ImportSource::Url(u) => u.as_str(),
        };
        let (repo, tag) = match (self.repo.as_deref(), self.tag.as_deref()) {
            (Some(r), Some(t)) => (Some(r), Some(t)),
            (Some(r), None) => {
                let (r, t) = parse_repository_tag(r);
                (Some(r), t)
            }
            (None, Some(_)) => {
                return Err(Error::InvalidArgument(
                    "import: a tag needs a repository; set `repo` too".into(),
                ));
            }
            (None, None) => (None, None),
        };
        if let Some(r) = repo {
            check_repository("import", r)?;
        }
        if self.platform.is_some() {
            api.require(ApiVersion::new(1, 32), "image import (platform)")?;
        }
        let mut q = Query::new()
            .push("fromSrc", src)
            .opt("repo", repo)
            .opt("tag", tag)
            .opt("message", self.message.as_deref());
        for c in &self.changes {
            q = q.push("changes", c);
        }
        q = q.opt("platform", self.platform.as_deref());
        let mut head = RequestHead::versioned(
            Method::POST,
            api,
            "/images/create",
            q,
            ResponseKind::JsonStream,
        );
        if self.source == ImportSource::Upload {
            head.body = RequestBody::Stream {
                content_type: "application/tar",
            };
        }
        Ok(head)
    }

    fn parse(&self, r: Response<'_>) -> Result<String> {
        if !(200..300).contains(&r.status) {
            return Err(image_error(r.status, r.body));
        }
        let mut id = None;
        each_item(r.body, |v| {
            if let Some(s) = v.get("status").and_then(Value::as_str)
                && s.starts_with("sha256:")
            {
                id = Some(s.to_owned());
            }
        })?;
        id.ok_or_else(|| {
            Error::Protocol(format!(
                "import: the daemon's answer names no image id: {}",
                crate::model::excerpt(r.body)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{V41, resp};
    use super::*;

    #[test]
    fn save_paths_and_validation() {
        let one = ImageSave::one("reg:5000/a:1");
        let h = one.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/images/reg:5000/a:1/get");
        assert_eq!(h.response, ResponseKind::Binary);
        assert!(ImageSave::default().request(V41).is_err());
        assert!(ImageSave::one("").request(V41).is_err());
        let bad = ImageSave {
            names: vec!["a".into(), String::new()],
        };
        assert!(bad.request(V41).is_err());
    }

    #[test]
    fn load_collects_names_and_ids() {
        let l = ImageLoad { quiet: true };
        let h = l.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/images/load?quiet=1");
        assert_eq!(
            h.body,
            RequestBody::Stream {
                content_type: "application/x-tar"
            }
        );
        assert_eq!(
            ImageLoad::default().request(V41).expect("req").path,
            "/v1.41/images/load"
        );
        let body = b"{\"status\":\"Loading layer\",\"progressDetail\":{\"current\":32768,\"total\":2},\"id\":\"3f54\"}\r\n\
            {\"stream\":\"Loaded image: busybox:berth-test\\n\"}\r\n\
            {\"stream\":\"Loaded image: 127.0.0.1:5001/probe:t1\\n\"}\r\n\
            {\"stream\":\"Loaded image ID: sha256:378b\\n\"}\r\n";
        assert_eq!(
            l.parse(resp(200, body)).expect("loaded"),
            vec![
                "busybox:berth-test".to_string(),
                "127.0.0.1:5001/probe:t1".into(),
                "sha256:378b".into()
            ]
        );
        assert!(l.parse(resp(200, b"")).expect("old daemon").is_empty());
        let e = l
            .parse(resp(
                200,
                br#"{"errorDetail":{"message":"Error processing tar file(exit status 1): unexpected EOF"},"error":"Error processing tar file(exit status 1): unexpected EOF"}"#,
            ))
            .expect_err("load error");
        assert!(
            matches!(&e, Error::Stream { message, .. } if message.contains("unexpected EOF")),
            "{e:?}"
        );
        assert!(matches!(
            l.parse(resp(500, br#"{"message":"boom"}"#)),
            Err(Error::Server(_))
        ));
    }

    #[test]
    fn import_query_body_and_id() {
        let url = ImageImport {
            source: ImportSource::Url("http://example.com/r.tar".into()),
            repo: Some("reg:5000/r".into()),
            tag: Some("t".into()),
            message: Some("m".into()),
            platform: Some("linux/amd64".into()),
            ..ImageImport::default()
        };
        let h = url.request(V41).expect("req");
        assert_eq!(
            h.path,
            "/v1.41/images/create?fromSrc=http%3A%2F%2Fexample.com%2Fr.tar&repo=reg%3A5000%2Fr\
             &tag=t&message=m&platform=linux%2Famd64"
        );
        assert_eq!(h.body, RequestBody::Empty);
        let up = ImageImport {
            repo: Some("localhost:5000/r".into()),
            ..ImageImport::default()
        };
        let h = up.request(V41).expect("req");
        assert_eq!(
            h.path,
            "/v1.41/images/create?fromSrc=-&repo=localhost%3A5000%2Fr"
        );
        assert_eq!(
            h.body,
            RequestBody::Stream {
                content_type: "application/tar"
            }
        );
        assert_eq!(
            ImageImport::default().request(V41).expect("req").path,
            "/v1.41/images/create?fromSrc=-"
        );
        for bad in [
            ImageImport {
                source: ImportSource::Url(String::new()),
                ..ImageImport::default()
            },
            ImageImport {
                tag: Some("t".into()),
                ..ImageImport::default()
            },
            ImageImport {
                repo: Some("https://x/y".into()),
                ..ImageImport::default()
            },
        ] {
            assert!(bad.request(V41).is_err(), "{bad:?}");
        }
        assert!(matches!(
            url.request(ApiVersion::new(1, 31)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        assert_eq!(
            up.parse(resp(
                200,
                b"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1}}\r\n\
                  {\"status\":\"sha256:1b2a\"}\r\n"
            ))
            .expect("id"),
            "sha256:1b2a"
        );
        assert!(matches!(
            up.parse(resp(200, b"{\"status\":\"nothing\"}")),
            Err(Error::Protocol(_))
        ));
        assert!(matches!(
            up.parse(resp(
                200,
                br#"{"error":"bad tar","errorDetail":{"message":"bad tar"}}"#
            )),
            Err(Error::Stream { .. })
        ));
        assert!(matches!(
            url.parse(resp(
                500,
                br#"{"message":"Get \"http://127.0.0.1:9/x.tar\": dial tcp 127.0.0.1:9: connect: connection refused"}"#
            )),
            Err(Error::Server(_))
        ));
    }
}
