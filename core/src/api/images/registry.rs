//! Operations that reach a registry through the daemon: pull, push, search,
//! distribution inspect, and login (`/auth`).

use std::fmt;

use http::Method;

use super::{check_repository, image_error, parse_repository_tag};
use crate::auth::{AuthConfig, EMPTY_REGISTRY_AUTH};
use crate::endpoint::{Endpoint, Response, StreamEndpoint};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::model::typed_list;
use crate::model::{Typed, TypedDecoder};
use crate::models::{
    AuthResponse, CreateImageInfo, DistributionInspect, ImageSearchResponseItem, OciPlatform,
};
use crate::request::{Filters, Query, RequestHead, ResponseKind, quote_id};
use crate::stream::json::JsonStreamDecoder;
use crate::version::ApiVersion;

/// The decoder of pull and push progress: typed items (`status`, `id`,
/// `progressDetail`; the raw JSON keeps `progress` and push's `aux`), error objects
/// as [`Error::Stream`].
pub type ProgressDecoder = TypedDecoder<JsonStreamDecoder, CreateImageInfo>;

/// `POST /images/create?fromImage=`: pull an image; the answer is a progress stream
/// whose error objects (auth denied, manifest unknown) become [`Error::Stream`].
///
/// A missing repository or tag is a `404` before the stream starts on dockerd 20.10
/// ("manifest for x:y not found: manifest unknown"); map it with
/// [`image_not_found`](super::image_not_found) to read it as
/// [`Error::ImageNotFound`].
#[derive(Debug, Clone, Default)]
pub struct ImagePull {
    /// Repository, optionally with a tag or digest (`busybox`, `reg:5000/a/b:1`).
    pub image: String,
    /// Tag or digest; overrides one in `image`. Neither → `latest` (edge case 132).
    pub tag: Option<String>,
    /// `os[/arch[/variant]]` (API 1.32).
    pub platform: Option<String>,
    /// An encoded `X-Registry-Auth` header value (see
    /// [`encode_registry_auth`](crate::auth::encode_registry_auth)); not sent when
    /// `None`.
    pub registry_auth: Option<String>,
    /// Pull every tag of the repository (docker-py's `all_tags`): no `tag` is sent, so
    /// `image` and `tag` must not name one.
    pub all_tags: bool,
}

impl ImagePull {
    /// Pulls `image` (`repo[:tag|@digest]`) without credentials.
    pub fn new(image: impl Into<String>) -> ImagePull {
        ImagePull {
            image: image.into(),
            ..ImagePull::default()
        }
    }

    /// The reference the pull produces locally: `repo:tag` or `repo@digest`.
    pub fn reference(&self) -> String {
        let (repo, tag) = parse_repository_tag(&self.image);
        super::join_reference(repo, self.tag.as_deref().or(tag))
    }
}

impl StreamEndpoint for ImagePull {
    type Decoder = ProgressDecoder;

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
        let tag = self.tag.as_deref().or(image_tag);
        if self.all_tags && tag.is_some() {
            return Err(Error::InvalidArgument(format!(
                "pull: all_tags pulls every tag of {repo}; do not name a tag or digest too"
            )));
        }
        if self.platform.is_some() {
            api.require(ApiVersion::new(1, 32), "image pull (platform)")?;
        }
        let mut q = Query::new().push("fromImage", repo);
        if !self.all_tags {
            q = q.push("tag", tag.unwrap_or("latest"));
        }
        let q = q.opt("platform", self.platform.as_deref());
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

    fn decoder(&self, _status: u16, _headers: &Headers) -> Result<Self::Decoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
    }
}

/// `POST /images/{name}/push?tag=`: pushes an image to its registry; the answer is a
/// progress stream. Failures (no credentials, denied, unknown tag) arrive as error
/// objects inside the `200` stream → [`Error::Stream`] (edge case 135).
///
/// `X-Registry-Auth` is always sent, `{}` when there are no credentials: dockerd
/// answers `400 Bad parameters and missing X-Registry-Auth` without it (edge case 52).
#[derive(Debug, Clone, Default)]
pub struct ImagePush {
    /// `repo[:tag]`.
    pub image: String,
    /// The tag; overrides one in `image`. Neither → every tag of the repository.
    pub tag: Option<String>,
    /// An encoded `X-Registry-Auth` value; `None` sends
    /// [`EMPTY_REGISTRY_AUTH`].
    pub registry_auth: Option<String>,
}

impl ImagePush {
    /// Pushes `image` (`repo[:tag]`) without credentials.
    pub fn new(image: impl Into<String>) -> ImagePush {
        ImagePush {
            image: image.into(),
            ..ImagePush::default()
        }
    }
}

impl StreamEndpoint for ImagePush {
    type Decoder = ProgressDecoder;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if self.image.contains('@') {
            return Err(Error::InvalidArgument(format!(
                "push: {:?} names a digest; push a repo[:tag]",
                self.image
            )));
        }
        let (repo, image_tag) = parse_repository_tag(&self.image);
        check_repository("push", repo)?;
        let tag = self.tag.as_deref().or(image_tag);
        let path = format!("/images/{}/push", quote_id("image", repo)?);
        let head = RequestHead::versioned(
            Method::POST,
            api,
            &path,
            Query::new().opt("tag", tag),
            ResponseKind::JsonStream,
        );
        let auth = self
            .registry_auth
            .clone()
            .unwrap_or_else(|| EMPTY_REGISTRY_AUTH.to_owned());
        Ok(head.header("X-Registry-Auth", auth))
    }

    fn decoder(&self, _status: u16, _headers: &Headers) -> Result<Self::Decoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
    }
}

/// `GET /images/search?term=&limit=&filters=`: searches a registry's v1 search API
/// (Docker Hub). Registries without it (the plain `registry:2`) make dockerd answer
/// `500 Unexpected status code 404` → [`Error::Server`].
#[derive(Debug, Clone, Default)]
pub struct ImageSearch {
    /// What to search for; `reg:5000/term` searches that registry.
    pub term: String,
    /// At most this many results (API 1.24).
    pub limit: Option<u32>,
    /// `is-official`, `stars` filters.
    pub filters: Filters,
    /// An encoded `X-Registry-Auth` value, sent when set.
    pub registry_auth: Option<String>,
}

impl Endpoint for ImageSearch {
    type Output = Vec<Typed<ImageSearchResponseItem>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if self.term.is_empty() {
            return Err(Error::InvalidArgument("search: the term is empty".into()));
        }
        let q = Query::new()
            .push("term", &self.term)
            .opt("limit", self.limit)
            .filters(&self.filters);
        let mut head =
            RequestHead::versioned(Method::GET, api, "/images/search", q, ResponseKind::Json);
        if let Some(auth) = &self.registry_auth {
            head = head.header("X-Registry-Auth", auth.clone());
        }
        Ok(head)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "image search")
    }
}

/// `GET /distribution/{name}/json` (API 1.30): the manifest digest and platforms of
/// an image in its registry, asked by the daemon (docker-py's `get_registry_data`).
///
/// Always sends `X-Registry-Auth` (`{}` without credentials). On dockerd 20.10 a
/// registry refusing the credentials is a `500` ("no basic auth credentials").
#[derive(Debug, Clone, Default)]
pub struct DistributionInspectOp {
    /// `repo[:tag|@digest]`.
    pub name: String,
    /// An encoded `X-Registry-Auth` value; `None` sends [`EMPTY_REGISTRY_AUTH`].
    pub registry_auth: Option<String>,
}

impl Endpoint for DistributionInspectOp {
    type Output = Typed<DistributionInspect>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 30), "distribution inspect")?;
        let name = quote_id("image", &self.name)?;
        let head = RequestHead::versioned(
            Method::GET,
            api,
            &format!("/distribution/{name}/json"),
            Query::new(),
            ResponseKind::Json,
        );
        let auth = self
            .registry_auth
            .clone()
            .unwrap_or_else(|| EMPTY_REGISTRY_AUTH.to_owned());
        Ok(head.header("X-Registry-Auth", auth))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        if !(200..300).contains(&r.status) {
            return Err(image_error(r.status, r.body));
        }
        Typed::from_slice(r.body)
    }
}

/// `POST /auth`: checks credentials with a registry (docker's `login`). The answer's
/// `IdentityToken`, when not empty, should be used instead of the password from then on.
///
/// Wrong credentials are [`Error::Unauthorized`]: a `401`, or — dockerd 20.10 — a `500`
/// whose message says the registry answered `401 Unauthorized` (the daemon's status
/// and message are kept). The request is never retried.
#[derive(Debug, Clone, Default)]
pub struct AuthLogin {
    /// User name and password (or identity token), and the registry
    /// (`serveraddress`; none = Docker Hub).
    pub auth: AuthConfig,
}

impl Endpoint for AuthLogin {
    type Output = Typed<AuthResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let a = &self.auth;
        let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        if !has(&a.username) && !has(&a.identitytoken) {
            return Err(Error::InvalidArgument(
                "login: give a user name (with a password) or an identity token".into(),
            ));
        }
        let json = a.to_json()?;
        let mut head =
            RequestHead::versioned(Method::POST, api, "/auth", Query::new(), ResponseKind::Json);
        head.body = crate::request::RequestBody::Json(bytes::Bytes::from(json.into_bytes()));
        Ok(head)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        if !(200..300).contains(&r.status) {
            return Err(login_error(r.status, r.body));
        }
        Typed::from_slice(r.body)
    }
}

/// A failed login: the registry's "unauthorized" becomes [`Error::Unauthorized`]
/// whatever status the daemon wrapped it in.
fn login_error(status: u16, body: &[u8]) -> Error {
    match Error::from_response(status, body) {
        Error::Server(m) | Error::Api(m) | Error::BadRequest(m) | Error::Forbidden(m)
            if is_auth_failure(&m.message) =>
        {
            Error::Unauthorized(m)
        }
        other => other,
    }
}

fn is_auth_failure(message: &str) -> bool {
    let l = message.to_ascii_lowercase();
    l.contains("401 unauthorized")
        || l.contains("unauthorized:")
        || l.contains("incorrect username or password")
}

/// A platform `os[/architecture[/variant]]` (docker-py's platform strings).
///
/// ```
/// use berth_core::api::images::Platform;
/// let p = Platform::parse("linux/arm64/v8")?;
/// assert_eq!(p.architecture.as_deref(), Some("arm64"));
/// assert_eq!(p.to_string(), "linux/arm64/v8");
/// assert!(Platform::parse("a/b/c/d").is_err());
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    /// `linux`, `windows`, …
    pub os: Option<String>,
    /// `amd64`, `arm64`, …
    pub architecture: Option<String>,
    /// `v7`, `v8`, …
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os[/arch[/variant]]`; more than three parts or an empty part is an error.
    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(Error::InvalidArgument(format!(
                "platform {s:?} is not os[/architecture[/variant]]"
            )));
        }
        let part = |i: usize| parts.get(i).map(|p| (*p).to_owned());
        Ok(Platform {
            os: part(0),
            architecture: part(1),
            variant: part(2),
        })
    }

    /// Fills a missing os and architecture with the daemon's (`Os`, `Arch` of
    /// `/version`), as docker-py's `normalize_platform`.
    pub fn or_daemon(mut self, os: &str, arch: &str) -> Platform {
        self.os.get_or_insert_with(|| os.to_owned());
        self.architecture.get_or_insert_with(|| arch.to_owned());
        self
    }

    /// Whether a registry platform is this one: os and architecture equal when set;
    /// the variant only compared when this platform names one.
    pub fn matches(&self, p: &OciPlatform) -> bool {
        let eq = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
        };
        eq(&self.os, &p.os)
            && eq(&self.architecture, &p.architecture)
            && eq(&self.variant, &p.variant)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = [&self.os, &self.architecture, &self.variant]
            .into_iter()
            .map_while(|p| p.as_deref())
            .collect();
        f.write_str(&parts.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{V41, no_headers, resp};
    use super::*;
    use crate::auth::{AuthConfig, decode_registry_auth};
    use crate::request::RequestBody;
    use crate::stream::Decoder;

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
        assert_eq!(p.reference(), "127.0.0.1:5000/busybox:berth-test");
        let latest = ImagePull::new("busybox");
        assert!(
            latest
                .request(V41)
                .expect("req")
                .path
                .ends_with("tag=latest")
        );
        assert!(latest.request(V41).expect("req").headers.is_empty());
        assert_eq!(latest.reference(), "busybox:latest");
        let digest = ImagePull::new("busybox@sha256:ab");
        assert!(
            digest
                .request(V41)
                .expect("req")
                .path
                .ends_with("tag=sha256%3Aab")
        );
        assert_eq!(digest.reference(), "busybox@sha256:ab");
        let platform = ImagePull {
            platform: Some("linux/amd64".into()),
            ..ImagePull::new("x")
        };
        assert!(platform.request(ApiVersion::new(1, 31)).is_err());
        assert!(
            platform
                .request(V41)
                .expect("req")
                .path
                .ends_with("&platform=linux%2Famd64")
        );
        for bad in ["", "https://reg/x"] {
            assert!(ImagePull::new(bad).request(V41).is_err(), "{bad}");
        }
    }

    #[test]
    fn pull_stream_error_is_typed() {
        let p = ImagePull::new("x");
        let mut d = p.decoder(200, no_headers()).expect("decoder");
        d.push(b"{\"status\":\"Pulling from library/x\",\"id\":\"latest\"}\r\n");
        d.push(b"{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\r\n");
        let first = d.next().expect("ok").expect("status");
        assert_eq!(first.status.as_deref(), Some("Pulling from library/x"));
        let e = d.next().expect_err("error object");
        assert!(matches!(e, Error::Stream { ref message, .. } if message == "manifest unknown"));
    }

    #[test]
    fn push_always_sends_auth_and_splits_tag() {
        let h = ImagePush::new("127.0.0.1:5001/berth/app:v1")
            .request(V41)
            .expect("req");
        assert_eq!(h.method, Method::POST);
        assert_eq!(h.path, "/v1.41/images/127.0.0.1:5001/berth/app/push?tag=v1");
        assert_eq!(
            h.headers,
            vec![("X-Registry-Auth", EMPTY_REGISTRY_AUTH.to_owned())]
        );
        let auth = AuthConfig::password("berth", "berth-secret", "127.0.0.1:5001")
            .encode()
            .expect("enc");
        let p = ImagePush {
            image: "localhost:5000/app".into(),
            tag: Some("t2".into()),
            registry_auth: Some(auth.clone()),
        };
        let h = p.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/images/localhost:5000/app/push?tag=t2");
        assert_eq!(
            decode_registry_auth(&h.headers[0].1)
                .expect("decode")
                .username
                .as_deref(),
            Some("berth")
        );
        assert_eq!(
            ImagePush::new("localhost:5000/app")
                .request(V41)
                .expect("req")
                .path,
            "/v1.41/images/localhost:5000/app/push"
        );
        for bad in ["", "https://x/y", "app@sha256:ab"] {
            assert!(ImagePush::new(bad).request(V41).is_err(), "{bad}");
        }
        let mut d = p.decoder(200, no_headers()).expect("decoder");
        d.push(b"{\"status\":\"The push refers to repository [127.0.0.1:5001/probe]\"}\r\n\
            {\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"fafa1ed5a21c\"}\r\n\
            {\"errorDetail\":{\"message\":\"no basic auth credentials\"},\"error\":\"no basic auth credentials\"}\r\n");
        assert!(d.next().expect("ok").is_some());
        assert_eq!(
            d.next().expect("ok").expect("item").id.as_deref(),
            Some("fafa1ed5a21c")
        );
        assert_eq!(
            d.next(),
            Err(Error::Stream {
                message: "no basic auth credentials".into(),
                code: None
            })
        );
    }

    #[test]
    fn search_request_and_daemon_error() {
        let s = ImageSearch {
            term: "127.0.0.1:5000/busybox".into(),
            limit: Some(5),
            filters: Filters::new().with("is-official", "true"),
            registry_auth: None,
        };
        assert_eq!(
            s.request(V41).expect("req").path,
            "/v1.41/images/search?term=127.0.0.1%3A5000%2Fbusybox&limit=5&filters=\
             %7B%22is-official%22%3A%5B%22true%22%5D%7D"
        );
        assert!(ImageSearch::default().request(V41).is_err());
        let e = s
            .parse(resp(500, br#"{"message":"Unexpected status code 404"}"#))
            .expect_err("no v1 search");
        assert!(matches!(e, Error::Server(_)));
        let items = s
            .parse(resp(
                200,
                br#"[{"name":"busybox","description":"d","star_count":3,"is_official":true,"is_automated":false}]"#,
            ))
            .expect("items");
        assert_eq!(items[0].star_count, Some(3));
    }

    #[test]
    fn distribution_inspect_request_and_answer() {
        let d = DistributionInspectOp {
            name: "127.0.0.1:5000/busybox:berth-test".into(),
            registry_auth: None,
        };
        let h = d.request(V41).expect("req");
        assert_eq!(
            h.path,
            "/v1.41/distribution/127.0.0.1:5000/busybox:berth-test/json"
        );
        assert_eq!(h.headers, vec![("X-Registry-Auth", "e30=".to_owned())]);
        assert!(matches!(
            d.request(ApiVersion::new(1, 29)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        let r = d
            .parse(resp(
                200,
                br#"{"Descriptor":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
                   "digest":"sha256:da39","size":527},"Platforms":[{"architecture":"amd64","os":"linux"}]}"#,
            ))
            .expect("ok");
        assert_eq!(r.descriptor.digest.as_deref(), Some("sha256:da39"));
        assert_eq!(r.platforms.len(), 1);
        let e = d
            .parse(resp(
                500,
                br#"{"message":"Head \"http://127.0.0.1:5001/v2/probe/manifests/t1\": no basic auth credentials"}"#,
            ))
            .expect_err("500");
        assert!(matches!(e, Error::Server(_)));
    }

    #[test]
    fn login_body_and_unauthorized_mapping() {
        let l = AuthLogin {
            auth: AuthConfig::password("berth", "berth-secret", "127.0.0.1:5001"),
        };
        let h = l.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/auth");
        assert_eq!(
            h.body,
            RequestBody::Json(bytes::Bytes::from_static(
                br#"{"username":"berth","password":"berth-secret","serveraddress":"127.0.0.1:5001"}"#
            ))
        );
        assert!(AuthLogin::default().request(V41).is_err());
        let ok = l
            .parse(resp(
                200,
                br#"{"IdentityToken":"","Status":"Login Succeeded"}"#,
            ))
            .expect("ok");
        assert_eq!(ok.status, "Login Succeeded");
        for (status, body) in [
            (
                500u16,
                &br#"{"message":"login attempt to http://127.0.0.1:5001/v2/ failed with status: 401 Unauthorized"}"#[..],
            ),
            (401, br#"{"message":"wrong"}"#),
            (
                500,
                br#"{"message":"Get \"https://registry-1.docker.io/v2/\": unauthorized: incorrect username or password"}"#,
            ),
        ] {
            let e = l.parse(resp(status, body)).expect_err("denied");
            assert!(matches!(e, Error::Unauthorized(_)), "{status}: {e:?}");
            assert_eq!(e.status(), Some(status), "the daemon's status is kept");
        }
        let e = l
            .parse(resp(
                500,
                br#"{"message":"dial tcp 127.0.0.1:5009: connection refused"}"#,
            ))
            .expect_err("down");
        assert!(matches!(e, Error::Server(_)));
    }

    #[test]
    fn platform_parse_and_match() {
        let p = Platform::parse("linux").expect("os");
        assert_eq!(p.architecture, None);
        let amd = OciPlatform {
            os: Some("linux".into()),
            architecture: Some("amd64".into()),
            ..OciPlatform::default()
        };
        assert!(p.clone().or_daemon("linux", "amd64").matches(&amd));
        assert!(!p.or_daemon("linux", "arm64").matches(&amd));
        assert!(!Platform::parse("linux/amd64/v9").expect("p").matches(&amd));
        assert!(!Platform::parse("windows/amd64").expect("p").matches(&amd));
        for bad in ["", "a//b", "a/b/c/d", "/x"] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Platform::parse("linux/amd64").expect("p").to_string(),
            "linux/amd64"
        );
    }

    #[test]
    fn pull_all_tags_sends_no_tag() {
        let p = ImagePull {
            all_tags: true,
            ..ImagePull::new("127.0.0.1:5000/app")
        };
        let h = p.request(ApiVersion::new(1, 41)).expect("req");
        assert_eq!(
            h.path,
            "/v1.41/images/create?fromImage=127.0.0.1%3A5000%2Fapp"
        );
        let both = ImagePull {
            all_tags: true,
            ..ImagePull::new("app:v1")
        };
        assert!(matches!(
            both.request(ApiVersion::new(1, 41)),
            Err(Error::InvalidArgument(_))
        ));
    }
}
