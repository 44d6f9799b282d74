//! `POST /build`: build an image from a context (classic builder).
//!
//! The request carries the options as query parameters and the context as a streamed
//! tar body (see [`crate::context`]); a remote context (git or HTTP URL) goes in
//! `remote=` with no body. The answer is a JSON progress stream: `{"stream": …}`
//! lines of build output, `{"aux":{"ID":…}}` with the image id, `{"status": …}` for
//! pulls of base images, and an `{"error": …}` object when the build fails — inside a
//! `200` response. [`BuildLog`] folds that stream into an image id or a
//! [`BuildError`] that keeps the output.
//!
//! **`rm` defaults to true** in berth: the daemon's default and the docker CLI's, so
//! intermediate containers of successful steps are removed. docker-py defaults it to
//! false (and always sends it); berth always sends it too, so the outcome never
//! depends on the daemon's default. `forcerm` also removes them after a failure.
//!
//! ```
//! use berth_core::api::build::{BuildOptions, ImageBuild};
//! use berth_core::endpoint::StreamEndpoint;
//! use berth_core::ApiVersion;
//!
//! let options = BuildOptions::new().tag("app:1").buildarg("VERSION", "1.2").label("berth.test", "1");
//! let head = ImageBuild::new(options).request(ApiVersion::new(1, 41))?;
//! assert!(head.path.starts_with("/v1.41/build?t=app%3A1&"));
//! # Ok::<(), berth_core::Error>(())
//! ```

use std::collections::BTreeMap;

use http::Method;

use crate::endpoint::StreamEndpoint;
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::model::TypedDecoder;
use crate::models::BuildInfo;
use crate::request::{Query, RequestBody, RequestHead, ResponseKind};
use crate::stream::json::JsonStreamDecoder;
use crate::version::ApiVersion;

/// `Content-Type` of a build context body.
pub const CONTEXT_TYPE: &str = "application/x-tar";

/// Resource limits of the build's intermediate containers (docker-py's
/// `container_limits`): exactly the keys `memory`, `memswap`, `cpushares` and
/// `cpusetcpus`, sent as top-level query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerLimits {
    /// Memory limit in bytes.
    pub memory: Option<i64>,
    /// Memory + swap in bytes; `-1` for unlimited swap.
    pub memswap: Option<i64>,
    /// CPU shares (relative weight).
    pub cpushares: Option<i64>,
    /// CPUs to run on, e.g. `0-3` or `0,1`.
    pub cpusetcpus: Option<String>,
}

impl ContainerLimits {
    /// From docker-py-style `key=value` pairs; any key but the four is refused, and
    /// `memory`/`memswap` accept unit strings (`512m`).
    ///
    /// ```
    /// use berth_core::api::build::ContainerLimits;
    /// let l = ContainerLimits::from_pairs([("memory", "64m"), ("cpusetcpus", "0")])?;
    /// assert_eq!(l.memory, Some(64 << 20));
    /// assert!(ContainerLimits::from_pairs([("cpuquota", "1")]).is_err());
    /// # Ok::<(), berth_core::Error>(())
    /// ```
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ContainerLimits> {
        let mut l = ContainerLimits::default();
        for (k, v) in pairs {
            let int = |what: &str| -> Result<i64> {
                v.trim().parse().map_err(|_| {
                    Error::InvalidArgument(format!(
                        "container_limits {what}: {v:?} is not an integer"
                    ))
                })
            };
            match k {
                "memory" => l.memory = Some(crate::options::parse_bytes(v)?),
                "memswap" => {
                    l.memswap = Some(if v.trim() == "-1" {
                        -1
                    } else {
                        crate::options::parse_bytes(v)?
                    })
                }
                "cpushares" => l.cpushares = Some(int("cpushares")?),
                "cpusetcpus" => l.cpusetcpus = Some(v.to_owned()),
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "container_limits: unknown key {other:?}; the keys are memory, memswap, \
                         cpushares and cpusetcpus"
                    )));
                }
            }
        }
        Ok(l)
    }
}

/// How the context body is encoded on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ContextEncoding {
    /// A plain tar.
    #[default]
    Identity,
    /// gzip-compressed tar (`Content-Encoding: gzip`).
    Gzip,
    /// Another `Content-Encoding` the caller's stream already has (`bzip2`, `xz`).
    Other(String),
}

/// The options of a build, docker-py's `build(...)` keyword arguments.
///
/// Defaults: no tag, `Dockerfile`, `rm` on (see the module docs), everything else off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// Tags to apply (`t=`, repeated), each checked against the reference grammar.
    pub tags: Vec<String>,
    /// Path of the Dockerfile inside the context (`dockerfile=`); `None` = `Dockerfile`.
    pub dockerfile: Option<String>,
    /// Only print the image id (`q=`).
    pub quiet: bool,
    /// Do not use the build cache (`nocache=`).
    pub nocache: bool,
    /// Remove intermediate containers after a successful build (`rm=`, default true).
    pub rm: bool,
    /// Always remove intermediate containers, even after a failure (`forcerm=`).
    pub forcerm: bool,
    /// Always try to pull newer base images (`pull=`).
    pub pull: bool,
    /// `ARG` values (`buildargs=` JSON).
    pub buildargs: BTreeMap<String, String>,
    /// Labels of the image (`labels=` JSON, API 1.23).
    pub labels: BTreeMap<String, String>,
    /// Images to use as cache sources (`cachefrom=` JSON, API 1.25).
    pub cache_from: Vec<String>,
    /// The stage to build in a multi-stage Dockerfile (`target=`, API 1.29).
    pub target: Option<String>,
    /// Network of the `RUN` containers (`networkmode=`, API 1.25).
    pub network_mode: Option<String>,
    /// Extra `/etc/hosts` entries `(host, ip)` (`extrahosts=host:ip`, API 1.27).
    pub extra_hosts: Vec<(String, String)>,
    /// `os[/arch[/variant]]` (`platform=`, API 1.32).
    pub platform: Option<String>,
    /// Size of `/dev/shm` in bytes (`shmsize=`, API 1.22).
    pub shm_size: Option<i64>,
    /// Limits of the intermediate containers.
    pub container_limits: ContainerLimits,
    /// Squash the new layers into one (`squash=`, API 1.25, experimental daemons).
    pub squash: bool,
    /// Isolation technology (`isolation=`, API 1.24, Windows daemons).
    pub isolation: Option<String>,
    /// Compress the context berth builds (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// The encoding of a custom context stream that is already encoded; conflicts
    /// with `gzip`.
    pub encoding: Option<String>,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions {
            tags: Vec::new(),
            dockerfile: None,
            quiet: false,
            nocache: false,
            rm: true,
            forcerm: false,
            pull: false,
            buildargs: BTreeMap::new(),
            labels: BTreeMap::new(),
            cache_from: Vec::new(),
            target: None,
            network_mode: None,
            extra_hosts: Vec::new(),
            platform: None,
            shm_size: None,
            container_limits: ContainerLimits::default(),
            squash: false,
            isolation: None,
            gzip: false,
            encoding: None,
        }
    }
}

impl BuildOptions {
    /// The defaults.
    pub fn new() -> BuildOptions {
        BuildOptions::default()
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> BuildOptions {
        self.tags.push(tag.into());
        self
    }

    /// Sets the Dockerfile path.
    pub fn dockerfile(mut self, path: impl Into<String>) -> BuildOptions {
        self.dockerfile = Some(path.into());
        self
    }

    /// Sets one build argument.
    pub fn buildarg(mut self, key: impl Into<String>, value: impl Into<String>) -> BuildOptions {
        self.buildargs.insert(key.into(), value.into());
        self
    }

    /// Sets one label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> BuildOptions {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Sets the target stage.
    pub fn target(mut self, stage: impl Into<String>) -> BuildOptions {
        self.target = Some(stage.into());
        self
    }

    /// Sets quiet mode.
    pub fn quiet(mut self, quiet: bool) -> BuildOptions {
        self.quiet = quiet;
        self
    }

    /// Sets `nocache`.
    pub fn nocache(mut self, nocache: bool) -> BuildOptions {
        self.nocache = nocache;
        self
    }

    /// Sets `pull`.
    pub fn pull(mut self, pull: bool) -> BuildOptions {
        self.pull = pull;
        self
    }

    /// Adds proxy settings (config.json `proxies`, docker-py's `use_config_proxy`) as
    /// build arguments, without overriding arguments already set.
    pub fn with_proxy_buildargs<'a>(
        mut self,
        proxies: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> BuildOptions {
        for (k, v) in proxies {
            self.buildargs
                .entry(k.to_owned())
                .or_insert_with(|| v.to_owned());
        }
        self
    }

    /// The `Content-Encoding` of the body, if any (fails when `gzip` and `encoding`
    /// are both set).
    pub fn content_encoding(&self) -> Result<ContextEncoding> {
        match (self.gzip, self.encoding.as_deref()) {
            (true, Some(e)) => Err(Error::InvalidArgument(format!(
                "build: gzip and encoding {e:?} are mutually exclusive; gzip compresses the \
                 context berth builds, encoding names how a custom context is already encoded"
            ))),
            (true, None) => Ok(ContextEncoding::Gzip),
            (false, Some("gzip")) => Ok(ContextEncoding::Gzip),
            (false, Some(e)) if !e.is_empty() => Ok(ContextEncoding::Other(e.to_owned())),
            _ => Ok(ContextEncoding::Identity),
        }
    }
}

/// The `POST /build` endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageBuild {
    /// The build options (`dockerfile` is the context-relative name the daemon reads).
    pub options: BuildOptions,
    /// A remote context (`https://…`, `git://…`, `github.com/…`, `git@…`): sent as
    /// `remote=` and no body is uploaded.
    pub remote: Option<String>,
    /// An encoded `X-Registry-Config` header value (credentials for base-image pulls);
    /// the host fills it when it has an auth store.
    pub registry_config: Option<String>,
}

impl ImageBuild {
    /// A build of an uploaded context.
    pub fn new(options: BuildOptions) -> ImageBuild {
        ImageBuild {
            options,
            remote: None,
            registry_config: None,
        }
    }

    /// A build of a remote context (no body).
    pub fn remote(url: impl Into<String>, options: BuildOptions) -> ImageBuild {
        ImageBuild {
            options,
            remote: Some(url.into()),
            registry_config: None,
        }
    }

    /// True when the request takes the context as a streamed body.
    pub fn has_body(&self) -> bool {
        self.remote.is_none()
    }
}

/// docker-py's test for a remote build context.
///
/// ```
/// use berth_core::api::build::is_remote_context;
/// assert!(is_remote_context("https://example.com/ctx.tar.gz"));
/// assert!(is_remote_context("git@github.com:org/repo.git"));
/// assert!(!is_remote_context("./app"));
/// ```
pub fn is_remote_context(path: &str) -> bool {
    ["http://", "https://", "git://", "github.com/", "git@"]
        .iter()
        .any(|p| path.starts_with(p))
}

const fn v(minor: u16) -> ApiVersion {
    ApiVersion::new(1, minor)
}

fn json_string<T: serde::Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::InvalidArgument(format!("build {what} cannot be encoded: {e}")))
}

impl StreamEndpoint for ImageBuild {
    type Decoder = TypedDecoder<JsonStreamDecoder, BuildInfo>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let o = &self.options;
        for t in &o.tags {
            validate_tag(t)?;
        }
        let encoding = o.content_encoding()?;
        if let Some(r) = &self.remote
            && r.trim().is_empty()
        {
            return Err(Error::InvalidArgument(
                "build: the remote context URL is empty".into(),
            ));
        }
        let gates = [
            (!o.buildargs.is_empty(), v(21), "build buildargs"),
            (o.shm_size.is_some(), v(22), "build shmsize"),
            (!o.labels.is_empty(), v(23), "build labels"),
            (o.isolation.is_some(), v(24), "build isolation"),
            (!o.cache_from.is_empty(), v(25), "build cache_from"),
            (o.network_mode.is_some(), v(25), "build network_mode"),
            (o.squash, v(25), "build squash"),
            (!o.extra_hosts.is_empty(), v(27), "build extra_hosts"),
            (o.target.is_some(), v(29), "build target"),
            (o.platform.is_some(), v(32), "build platform"),
        ];
        for (set, min, what) in gates {
            if set {
                api.require(min, what)?;
            }
        }
        let mut q = Query::new();
        for t in &o.tags {
            q = q.push("t", t);
        }
        q = q
            .opt("remote", self.remote.as_deref())
            .opt("dockerfile", o.dockerfile.as_deref())
            .flag01("q", o.quiet)
            .flag01("nocache", o.nocache)
            .flag01("rm", o.rm)
            .flag01("forcerm", o.forcerm)
            .flag01("pull", o.pull);
        if !o.buildargs.is_empty() {
            q = q.push("buildargs", &json_string("buildargs", &o.buildargs)?);
        }
        if !o.labels.is_empty() {
            q = q.push("labels", &json_string("labels", &o.labels)?);
        }
        if !o.cache_from.is_empty() {
            q = q.push("cachefrom", &json_string("cache_from", &o.cache_from)?);
        }
        q = q
            .opt("target", o.target.as_deref())
            .opt("networkmode", o.network_mode.as_deref());
        for (host, ip) in &o.extra_hosts {
            q = q.push("extrahosts", &format!("{host}:{ip}"));
        }
        let l = &o.container_limits;
        q = q
            .opt("platform", o.platform.as_deref())
            .opt("shmsize", o.shm_size)
            .opt("memory", l.memory)
            .opt("memswap", l.memswap)
            .opt("cpushares", l.cpushares)
            .opt("cpusetcpus", l.cpusetcpus.as_deref());
        if o.squash {
            q = q.flag01("squash", true);
        }
        q = q.opt("isolation", o.isolation.as_deref());
        let mut head =
            RequestHead::versioned(Method::POST, api, "/build", q, ResponseKind::JsonStream);
        if self.has_body() {
            head.body = RequestBody::Stream {
                content_type: CONTEXT_TYPE,
            };
            match encoding {
                ContextEncoding::Identity => {}
                ContextEncoding::Gzip => head = head.header("Content-Encoding", "gzip"),
                ContextEncoding::Other(e) => head = head.header("Content-Encoding", e),
            }
        }
        if let Some(rc) = &self.registry_config {
            head = head.header("X-Registry-Config", rc.clone());
        }
        Ok(head)
    }

    fn decoder(&self, _status: u16, _headers: &Headers) -> Result<Self::Decoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
    }
}

mod log;
mod tag;
#[cfg(test)]
mod tests;

pub use log::{BuildError, BuildFailure, BuildLog};
pub use tag::validate_tag;
