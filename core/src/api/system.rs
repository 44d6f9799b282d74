//! System: ping, version, info, data usage (`df`) and events.

use std::fmt;

use http::Method;
use serde_json::Value;

use crate::endpoint::{Endpoint, Response, StreamEndpoint};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::model::{Typed, TypedDecoder};
use crate::models::{
    BuildCache, BuildCacheDiskUsage, ContainerSummary, ContainersDiskUsage, EventMessage,
    ImageSummary, ImagesDiskUsage, SystemInfo, SystemVersion, Volume, VolumesDiskUsage,
};
use crate::request::{Filters, Query, RequestHead, ResponseKind};
use crate::stream::json::JsonStreamDecoder;
use crate::version::ApiVersion;

/// `GET /_ping` (unversioned): liveness and the daemon's API version, used for lazy
/// version negotiation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ping;

/// What `/_ping` tells besides `OK`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingInfo {
    /// `API-Version`: the daemon's newest API version.
    pub api_version: Option<ApiVersion>,
    /// `OSType` (`linux`, `windows`).
    pub os_type: Option<String>,
    /// `Docker-Experimental`.
    pub experimental: bool,
    /// `Builder-Version` (`1` classic, `2` BuildKit).
    pub builder_version: Option<String>,
    /// `Swarm` (`inactive`, `active/manager`, …), on newer daemons.
    pub swarm: Option<String>,
}

impl Endpoint for Ping {
    type Output = PingInfo;

    fn request(&self, _api: ApiVersion) -> Result<RequestHead> {
        Ok(RequestHead::unversioned(
            Method::GET,
            "/_ping",
            ResponseKind::Text,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<PingInfo> {
        r.success()?;
        if r.body.trim_ascii() != b"OK" {
            return Err(Error::Protocol(format!(
                "/_ping answered {} instead of OK: is this a Docker daemon?",
                crate::model::excerpt(r.body)
            )));
        }
        // Every call of a client that pings to check the daemon reads these: one pass.
        let [api, os, experimental, builder, swarm] = r.headers.get_many([
            "api-version",
            "ostype",
            "docker-experimental",
            "builder-version",
            "swarm",
        ]);
        fn text(v: Option<&[u8]>) -> Option<String> {
            v.and_then(crate::headers::visible_text).map(str::to_owned)
        }
        let api_version = match api {
            Some(v) => Some(ApiVersion::from_bytes(v).ok_or_else(|| {
                Error::Protocol(format!(
                    "/_ping sent an invalid API-Version header {:?}",
                    String::from_utf8_lossy(v)
                ))
            })?),
            None => None,
        };
        Ok(PingInfo {
            api_version,
            os_type: text(os),
            experimental: experimental.is_some_and(|v| v.eq_ignore_ascii_case(b"true")),
            builder_version: text(builder),
            swarm: text(swarm),
        })
    }
}

/// `GET /version`: daemon and component versions.
///
/// With `versioned: false` the request is the unversioned bootstrap form, usable before
/// negotiation (its `ApiVersion` names the daemon's API).
#[derive(Debug, Clone, Copy)]
pub struct Version {
    /// Send `/v{api}/version` (true) or `/version` (false).
    pub versioned: bool,
}

impl Default for Version {
    fn default() -> Version {
        Version { versioned: true }
    }
}

impl Endpoint for Version {
    type Output = Typed<SystemVersion>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        Ok(if self.versioned {
            RequestHead::versioned(
                Method::GET,
                api,
                "/version",
                Query::new(),
                ResponseKind::Json,
            )
        } else {
            RequestHead::unversioned(Method::GET, "/version", ResponseKind::Json)
        })
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// The daemon's API version from an unversioned `/version` answer (edge case 17: a
/// missing `ApiVersion` is an error).
pub fn api_version_of(version: &Typed<SystemVersion>) -> Result<ApiVersion> {
    match version.attrs.get("ApiVersion") {
        Some(Value::String(s)) => s.parse(),
        Some(other) => Err(Error::Decode(format!(
            "/version has a non-string ApiVersion {other}"
        ))),
        None => Err(Error::Decode(
            "/version has no ApiVersion: cannot negotiate the API version".into(),
        )),
    }
}

/// `GET /info`: system-wide information.
#[derive(Debug, Clone, Copy, Default)]
pub struct Info;

impl Endpoint for Info {
    type Output = Typed<SystemInfo>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/info",
            Query::new(),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `GET /system/df`: disk usage of images, containers, volumes and build cache
/// (API ≥ 1.25).
#[derive(Debug, Clone, Default)]
pub struct DataUsage {
    /// Only these object types (`container`, `image`, `volume`, `build-cache`); needs
    /// API 1.42. Empty = all.
    pub types: Vec<String>,
}

/// The answer of `/system/df`, in both of the Engine's shapes: the lists of API < 1.52
/// (`LayersSize`, `Images`, `Containers`, `Volumes`, `BuildCache`) and the summaries of
/// API ≥ 1.52 (`ImageUsage`, …). A daemon fills one or the other.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct DiskUsage {
    /// Total size of all image layers (API < 1.52).
    #[serde(rename = "LayersSize")]
    pub layers_size: Option<i64>,
    /// Images with their sizes (API < 1.52).
    #[serde(rename = "Images")]
    pub images: Option<Vec<ImageSummary>>,
    /// Containers with their sizes (API < 1.52).
    #[serde(rename = "Containers")]
    pub containers: Option<Vec<ContainerSummary>>,
    /// Volumes with their usage (API < 1.52).
    #[serde(rename = "Volumes")]
    pub volumes: Option<Vec<Volume>>,
    /// Build cache records (API < 1.52).
    #[serde(rename = "BuildCache")]
    pub build_cache: Option<Vec<BuildCache>>,
    /// Image usage summary (API ≥ 1.52).
    #[serde(rename = "ImageUsage")]
    pub image_usage: Option<ImagesDiskUsage>,
    /// Container usage summary (API ≥ 1.52).
    #[serde(rename = "ContainerUsage")]
    pub container_usage: Option<ContainersDiskUsage>,
    /// Volume usage summary (API ≥ 1.52).
    #[serde(rename = "VolumeUsage")]
    pub volume_usage: Option<VolumesDiskUsage>,
    /// Build cache usage summary (API ≥ 1.52).
    #[serde(rename = "BuildCacheUsage")]
    pub build_cache_usage: Option<BuildCacheDiskUsage>,
}

impl Endpoint for DataUsage {
    type Output = Typed<DiskUsage>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 25), "system df")?;
        let mut q = Query::new();
        if !self.types.is_empty() {
            api.require(ApiVersion::new(1, 42), "system df (type)")?;
            for t in &self.types {
                q = q.push("type", t);
            }
        }
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/system/df",
            q,
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// A point in time for `since`/`until`: Unix seconds, optionally with nanoseconds.
///
/// ```
/// use berth_core::api::system::Timestamp;
/// assert_eq!(Timestamp::from_unix(1700000000).to_string(), "1700000000");
/// assert_eq!(Timestamp::from_unix_nanos(1700000000, 5).to_string(), "1700000000.000000005");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// Whole seconds since the Unix epoch.
    pub const fn from_unix(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// Seconds and nanoseconds since the Unix epoch (nanos ≥ 1e9 carry into seconds).
    pub const fn from_unix_nanos(secs: i64, nanos: u32) -> Timestamp {
        Timestamp {
            secs: secs + (nanos / 1_000_000_000) as i64,
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Whole seconds since the Unix epoch.
    pub const fn unix_secs(self) -> i64 {
        self.secs
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            write!(f, "{}", self.secs)
        } else {
            write!(f, "{}.{:09}", self.secs, self.nanos)
        }
    }
}

/// `GET /events`: the daemon's event stream.
///
/// Without `until` the stream is endless; with an `until` in the past the daemon
/// replays and then ends the stream.
#[derive(Debug, Clone, Default)]
pub struct Events {
    /// Replay events from this time.
    pub since: Option<Timestamp>,
    /// End the stream at this time.
    pub until: Option<Timestamp>,
    /// `type`, `container`, `image`, `label`, `event`, … filters.
    pub filters: Filters,
}

impl StreamEndpoint for Events {
    type Decoder = TypedDecoder<JsonStreamDecoder, EventMessage>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if let (Some(s), Some(u)) = (self.since, self.until)
            && u < s
        {
            return Err(Error::InvalidArgument(format!(
                "events: until ({u}) is before since ({s})"
            )));
        }
        let q = Query::new()
            .opt("since", self.since)
            .opt("until", self.until)
            .filters(&self.filters);
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/events",
            q,
            ResponseKind::JsonStream,
        ))
    }

    fn decoder(&self, _status: u16, _headers: &Headers) -> Result<Self::Decoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Decoder;

    const V41: ApiVersion = ApiVersion::new(1, 41);

    fn resp<'a>(status: u16, headers: &'a Headers, body: &'a [u8]) -> Response<'a> {
        Response {
            status,
            headers,
            body,
        }
    }

    #[test]
    fn ping_reads_headers() {
        let h = Headers::from_pairs([
            ("Api-Version", "1.41"),
            ("Ostype", "linux"),
            ("Docker-Experimental", "false"),
        ])
        .expect("headers");
        let p = Ping.parse(resp(200, &h, b"OK")).expect("ping");
        assert_eq!(p.api_version, Some(V41));
        assert_eq!(p.os_type.as_deref(), Some("linux"));
        assert!(!p.experimental);
        assert_eq!(Ping.request(V41).expect("req").path, "/_ping");
    }

    #[test]
    fn ping_rejects_non_docker_and_bad_version() {
        let h = Headers::new();
        let e = Ping
            .parse(resp(200, &h, b"<html>"))
            .expect_err("not docker");
        assert!(matches!(e, Error::Protocol(_)));
        let h = Headers::from_pairs([("api-version", "garbage")]).expect("headers");
        assert!(Ping.parse(resp(200, &h, b"OK")).is_err());
        let e = Ping
            .parse(resp(500, &Headers::new(), br#"{"message":"boom"}"#))
            .expect_err("500");
        assert_eq!(e.daemon_message(), Some("boom"));
    }

    #[test]
    fn version_paths_and_bootstrap_api_version() {
        assert_eq!(
            Version::default().request(V41).expect("req").path,
            "/v1.41/version"
        );
        assert_eq!(
            Version { versioned: false }.request(V41).expect("req").path,
            "/version"
        );
        let h = Headers::new();
        let v = Version::default()
            .parse(resp(
                200,
                &h,
                br#"{"Version":"20.10.24","ApiVersion":"1.41"}"#,
            ))
            .expect("version");
        assert_eq!(api_version_of(&v).expect("api"), V41);
        assert_eq!(v.version.as_deref(), Some("20.10.24"));
        let v = Version::default()
            .parse(resp(200, &h, br#"{"Version":"x"}"#))
            .expect("version");
        assert!(api_version_of(&v).is_err());
    }

    #[test]
    fn df_needs_1_25_and_type_needs_1_42() {
        let e = DataUsage::default()
            .request(ApiVersion::new(1, 24))
            .expect_err("too old");
        assert!(matches!(e, Error::UnsupportedApiVersion { .. }));
        assert_eq!(
            DataUsage::default().request(V41).expect("req").path,
            "/v1.41/system/df"
        );
        let typed = DataUsage {
            types: vec!["image".into()],
        };
        assert!(typed.request(V41).is_err());
        assert_eq!(
            typed.request(ApiVersion::new(1, 44)).expect("req").path,
            "/v1.44/system/df?type=image"
        );
    }

    #[test]
    fn events_query_and_decoder() {
        let ev = Events {
            since: Some(Timestamp::from_unix(10)),
            until: Some(Timestamp::from_unix_nanos(20, 5)),
            filters: Filters::new().with("type", "container"),
        };
        assert_eq!(
            ev.request(V41).expect("req").path,
            "/v1.41/events?since=10&until=20.000000005&filters=%7B%22type%22%3A%5B%22container%22%5D%7D"
        );
        let backwards = Events {
            since: Some(Timestamp::from_unix(20)),
            until: Some(Timestamp::from_unix(10)),
            ..Events::default()
        };
        assert!(matches!(
            backwards.request(V41),
            Err(Error::InvalidArgument(_))
        ));
        let mut d = ev.decoder(200, &Headers::new()).expect("decoder");
        d.push(br#"{"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"x"}},"time":1}"#);
        d.push(b"\n");
        let item = d.next().expect("ok").expect("one event");
        assert_eq!(item.action.as_deref(), Some("start"));
        assert_eq!(item.attrs["Actor"]["ID"], "abc");
        assert!(d.next().expect("ok").is_none());
        assert!(d.finish().expect("clean end").is_none());
    }
}
