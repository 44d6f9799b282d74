//! Images (first part): reference parsing, pull and inspect, as needed by
//! `containers.run`. The rest of the image area comes with the images issue.

use http::{HeaderMap, Method};

use crate::endpoint::{Endpoint, Response, StreamEndpoint};
use crate::error::{Error, Result};
use crate::model::{Typed, TypedDecoder};
use crate::models::{CreateImageInfo, ImageInspect};
use crate::request::{Query, RequestHead, ResponseKind, quote_id};
use crate::stream::json::JsonStreamDecoder;
use crate::version::ApiVersion;

/// docker-py's `parse_repository_tag`: splits `name[:tag][@digest]` into the repository
/// and its tag or digest. A `:` only starts a tag when no `/` follows it, so
/// `localhost:5000/img` has no tag.
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

/// `POST /images/create?fromImage=`: pull an image; the answer is a progress stream
/// whose error objects (auth denied, manifest unknown) become [`Error::Stream`].
#[derive(Debug, Clone, Default)]
pub struct ImagePull {
    /// Repository, optionally with a tag or digest (`busybox`, `reg:5000/a/b:1`).
    pub image: String,
    /// Tag or digest; overrides one in `image`. Neither → `latest`.
    pub tag: Option<String>,
    /// `os[/arch[/variant]]` (API 1.32).
    pub platform: Option<String>,
    /// An encoded `X-Registry-Auth` header value.
    pub registry_auth: Option<String>,
}

impl StreamEndpoint for ImagePull {
    type Decoder = TypedDecoder<JsonStreamDecoder, CreateImageInfo>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let (repo, image_tag) = parse_repository_tag(&self.image);
        if repo.is_empty() {
            return Err(Error::InvalidArgument(
                "pull: the image name is empty".into(),
            ));
        }
        if repo.contains("://") {
            return Err(Error::InvalidArgument(format!(
                "pull: {repo:?} is a URL, not a repository name"
            )));
        }
        let tag = self.tag.as_deref().or(image_tag).unwrap_or("latest");
        if self.platform.is_some() {
            api.require(ApiVersion::new(1, 32), "image pull (platform)")?;
        }
        let q = Query::new()
            .push("fromImage", repo)
            .push("tag", tag)
            .opt("platform", self.platform.as_deref());
        let mut head = RequestHead::versioned(
            Method::POST,
            api,
            "/images/create",
            q,
            ResponseKind::JsonStream,
        );
        if let Some(auth) = &self.registry_auth {
            head = head.header("X-Registry-Auth", auth.clone());
        }
        Ok(head)
    }

    fn decoder(&self, _status: u16, _headers: &HeaderMap) -> Result<Self::Decoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
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
        let name = quote_id("image", &self.name)?;
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &format!("/images/{name}/json"),
            Query::new(),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        if r.status == 404 {
            let e = Error::from_response(404, r.body);
            // Every 404 here is about the image, whatever the daemon's wording.
            return Err(match e {
                Error::NotFound(m) => Error::ImageNotFound(m),
                other => other,
            });
        }
        r.success()?;
        Typed::from_slice(r.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Decoder;

    const V41: ApiVersion = ApiVersion::new(1, 41);

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
        ] {
            assert_eq!(parse_repository_tag(input), (repo, tag), "{input}");
        }
    }

    #[test]
    fn pull_request() {
        let p = ImagePull {
            image: "127.0.0.1:5000/busybox:berth-test".into(),
            registry_auth: Some("e30=".into()),
            ..ImagePull::default()
        };
        let h = p.request(V41).expect("req");
        assert_eq!(
            h.path,
            "/v1.41/images/create?fromImage=127.0.0.1%3A5000%2Fbusybox&tag=berth-test"
        );
        assert_eq!(h.headers, vec![("X-Registry-Auth", "e30=".to_owned())]);
        let latest = ImagePull {
            image: "busybox".into(),
            ..ImagePull::default()
        };
        assert!(
            latest
                .request(V41)
                .expect("req")
                .path
                .ends_with("tag=latest")
        );
        let digest = ImagePull {
            image: "busybox@sha256:ab".into(),
            ..ImagePull::default()
        };
        assert!(
            digest
                .request(V41)
                .expect("req")
                .path
                .ends_with("tag=sha256%3Aab")
        );
        for bad in ["", "https://reg/x"] {
            let p = ImagePull {
                image: bad.into(),
                ..ImagePull::default()
            };
            assert!(p.request(V41).is_err(), "{bad}");
        }
    }

    #[test]
    fn pull_stream_error_is_typed() {
        let p = ImagePull {
            image: "x".into(),
            ..ImagePull::default()
        };
        let mut d = p.decoder(200, &HeaderMap::new()).expect("decoder");
        d.push(b"{\"status\":\"Pulling from library/x\",\"id\":\"latest\"}\r\n");
        d.push(b"{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\r\n");
        let first = d.next().expect("ok").expect("status");
        assert_eq!(first.status.as_deref(), Some("Pulling from library/x"));
        let e = d.next().expect_err("error object");
        assert!(matches!(e, Error::Stream { ref message, .. } if message == "manifest unknown"));
    }

    #[test]
    fn inspect_404_is_image_not_found() {
        let h = HeaderMap::new();
        let e = ImageInspectOp { name: "x".into() }
            .parse(Response {
                status: 404,
                headers: &h,
                body: br#"{"message":"No such image: x:latest"}"#,
            })
            .expect_err("404");
        assert_eq!(e.category(), crate::Category::ImageNotFound);
    }
}
