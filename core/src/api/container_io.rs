//! Container I/O: logs, attach, archives (`docker cp`) and export.
//!
//! Output of logs and attach is multiplexed for containers without a TTY and raw with
//! one. API ≥ 1.42 daemons say which in `Content-Type`. Older daemons do not, and their
//! upgraded (attach) responses even claim `raw-stream` whatever the TTY: for them the
//! caller tells the endpoint the container's TTY flag (from an inspect), as docker-py
//! does, and the header is ignored.

use base64::Engine as _;
use http::Method;
use serde::Deserialize;

use crate::endpoint::{DownloadEndpoint, Endpoint, Response, StreamEndpoint, UpgradeEndpoint};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::request::{Query, RequestHead, ResponseKind, quote_id};
use crate::stream::OutputDecoder;
use crate::version::ApiVersion;

use super::system::Timestamp;

/// How much history `logs` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tail {
    /// Everything (`tail=all`).
    #[default]
    All,
    /// The last `n` lines; `0` returns no history.
    Lines(u64),
}

/// `GET /containers/{id}/logs`.
#[derive(Debug, Clone)]
pub struct ContainerLogs {
    /// Container id or name.
    pub id: String,
    /// Include stdout.
    pub stdout: bool,
    /// Include stderr.
    pub stderr: bool,
    /// Prefix lines with RFC 3339 timestamps.
    pub timestamps: bool,
    /// Keep streaming new output.
    pub follow: bool,
    /// How much history.
    pub tail: Tail,
    /// Only output after this time (must be > 0).
    pub since: Option<Timestamp>,
    /// Only output before this time (API 1.35).
    pub until: Option<Timestamp>,
    /// The container's TTY flag. `Some` decides the framing; `None` trusts the
    /// response's `Content-Type` (API ≥ 1.42 only) and falls back to multiplexed.
    pub tty: Option<bool>,
}

impl ContainerLogs {
    /// stdout and stderr, all history, no follow.
    pub fn new(id: impl Into<String>) -> ContainerLogs {
        ContainerLogs {
            id: id.into(),
            stdout: true,
            stderr: true,
            timestamps: false,
            follow: false,
            tail: Tail::All,
            since: None,
            until: None,
            tty: None,
        }
    }
}

fn positive(what: &str, t: Option<Timestamp>) -> Result<()> {
    match t {
        Some(t) if t <= Timestamp::from_unix(0) => Err(Error::InvalidArgument(format!(
            "{what} must be a time after 1970-01-01 (got {t})"
        ))),
        _ => Ok(()),
    }
}

impl StreamEndpoint for ContainerLogs {
    type Decoder = OutputDecoder;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let id = quote_id("container", &self.id)?;
        if !self.stdout && !self.stderr {
            return Err(Error::InvalidArgument(
                "logs: choose at least one of stdout and stderr".into(),
            ));
        }
        positive("logs since", self.since)?;
        positive("logs until", self.until)?;
        if self.until.is_some() {
            api.require(ApiVersion::new(1, 35), "container logs (until)")?;
        }
        let tail = match self.tail {
            Tail::All => "all".to_owned(),
            Tail::Lines(n) => n.to_string(),
        };
        let q = Query::new()
            .flag01("stdout", self.stdout)
            .flag01("stderr", self.stderr)
            .flag01("timestamps", self.timestamps)
            .flag01("follow", self.follow)
            .push("tail", &tail)
            .opt("since", self.since)
            .opt("until", self.until);
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &format!("/containers/{id}/logs"),
            q,
            ResponseKind::Output,
        ))
    }

    fn decoder(&self, _status: u16, headers: &Headers) -> Result<OutputDecoder> {
        Ok(output_decoder(headers, self.tty))
    }
}

fn output_decoder(headers: &Headers, tty: Option<bool>) -> OutputDecoder {
    match tty {
        Some(tty) => OutputDecoder::for_response(None, tty),
        None => OutputDecoder::for_response(headers.get_str("content-type"), false),
    }
}

/// `POST /containers/{id}/attach` with `Upgrade: tcp`: the container's streams over a
/// duplex connection.
#[derive(Debug, Clone)]
pub struct ContainerAttach {
    /// Container id or name.
    pub id: String,
    /// Send stdin (the container must have been created with `OpenStdin`).
    pub stdin: bool,
    /// Receive stdout.
    pub stdout: bool,
    /// Receive stderr.
    pub stderr: bool,
    /// Stream live output (false: only `logs`, then the stream ends).
    pub stream: bool,
    /// Replay the output produced so far first.
    pub logs: bool,
    /// Key sequence that detaches (`ctrl-p,ctrl-q`).
    pub detach_keys: Option<String>,
    /// The container's TTY flag. `Some` decides the framing; `None` trusts the
    /// response's `Content-Type` (API ≥ 1.42 only) and falls back to multiplexed.
    pub tty: Option<bool>,
}

impl ContainerAttach {
    /// stdout + stderr, live.
    pub fn new(id: impl Into<String>) -> ContainerAttach {
        ContainerAttach {
            id: id.into(),
            stdin: false,
            stdout: true,
            stderr: true,
            stream: true,
            logs: false,
            detach_keys: None,
            tty: None,
        }
    }
}

impl UpgradeEndpoint for ContainerAttach {
    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let id = quote_id("container", &self.id)?;
        if !self.stream && !self.logs {
            return Err(Error::InvalidArgument(
                "attach: with neither stream nor logs nothing would be received".into(),
            ));
        }
        let q = Query::new()
            .flag01("stdin", self.stdin)
            .flag01("stdout", self.stdout)
            .flag01("stderr", self.stderr)
            .flag01("stream", self.stream)
            .flag01("logs", self.logs)
            .opt("detachKeys", self.detach_keys.as_deref());
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            &format!("/containers/{id}/attach"),
            q,
            ResponseKind::Upgrade,
        ))
    }

    fn decoder(&self, headers: &Headers) -> OutputDecoder {
        output_decoder(headers, self.tty)
    }
}

/// What `X-Docker-Container-Path-Stat` says about an archived path.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PathStat {
    /// Base name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Go `os.FileMode` bits (type bits in the high bits, permissions in the low 9).
    pub mode: u32,
    /// Modification time, RFC 3339.
    pub mtime: String,
    /// Target of a symbolic link, else empty.
    #[serde(rename = "linkTarget", default)]
    pub link_target: String,
}

impl PathStat {
    /// True when the path is a directory (Go's `ModeDir`, bit 31).
    pub fn is_dir(&self) -> bool {
        self.mode & (1 << 31) != 0
    }
}

/// Decodes the `X-Docker-Container-Path-Stat` header (standard base64 of JSON).
pub fn path_stat_of(headers: &Headers) -> Result<Option<PathStat>> {
    let Some(v) = headers.get("x-docker-container-path-stat") else {
        return Ok(None);
    };
    let json = base64::engine::general_purpose::STANDARD
        .decode(v)
        .map_err(|e| Error::Decode(format!("X-Docker-Container-Path-Stat is not base64: {e}")))?;
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|e| Error::Decode(format!("X-Docker-Container-Path-Stat is not a stat: {e}")))
}

fn archive_path(id: &str, path: &str) -> Result<(String, Query)> {
    let id = quote_id("container", id)?;
    if path.is_empty() {
        return Err(Error::InvalidArgument(
            "archive: the path in the container is empty".into(),
        ));
    }
    Ok((
        format!("/containers/{id}/archive"),
        Query::new().push("path", path),
    ))
}

/// `GET /containers/{id}/archive?path=`: a tar of a path in the container, streamed.
#[derive(Debug, Clone)]
pub struct ArchiveGet {
    /// Container id or name.
    pub id: String,
    /// Path in the container.
    pub path: String,
}

impl DownloadEndpoint for ArchiveGet {
    type Meta = Option<PathStat>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let (p, q) = archive_path(&self.id, &self.path)?;
        Ok(
            RequestHead::versioned(Method::GET, api, &p, q, ResponseKind::Binary)
                .header("Accept-Encoding", "identity"),
        )
    }

    fn meta(&self, _status: u16, headers: &Headers) -> Result<Option<PathStat>> {
        path_stat_of(headers)
    }
}

/// `HEAD /containers/{id}/archive?path=`: only the stat of a path.
#[derive(Debug, Clone)]
pub struct ArchiveStat {
    /// Container id or name.
    pub id: String,
    /// Path in the container.
    pub path: String,
}

impl Endpoint for ArchiveStat {
    type Output = PathStat;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let (p, q) = archive_path(&self.id, &self.path)?;
        Ok(RequestHead::versioned(
            Method::HEAD,
            api,
            &p,
            q,
            ResponseKind::Empty,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<PathStat> {
        if r.status == 404 && r.body.is_empty() {
            // HEAD answers carry no body: name what was missing ourselves.
            let body = serde_json::json!({
                "message": format!("no such path {} in container {}", self.path, self.id)
            });
            return Err(Error::from_response(404, body.to_string().as_bytes()));
        }
        r.success()?;
        path_stat_of(r.headers)?.ok_or_else(|| {
            Error::Protocol("archive stat: the daemon sent no X-Docker-Container-Path-Stat".into())
        })
    }
}

/// `PUT /containers/{id}/archive?path=`: extract a tar (streamed by the caller) into a
/// directory of the container. The directory must exist.
#[derive(Debug, Clone)]
pub struct ArchivePut {
    /// Container id or name.
    pub id: String,
    /// Existing directory in the container.
    pub path: String,
    /// Refuse to replace a directory with a non-directory and vice versa.
    pub no_overwrite_dir_non_dir: bool,
    /// Give extracted files the UID/GID of the container's user (`copyUIDGID`).
    pub copy_uid_gid: bool,
}

impl Endpoint for ArchivePut {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let (p, mut q) = archive_path(&self.id, &self.path)?;
        if self.no_overwrite_dir_non_dir {
            q = q.flag("noOverwriteDirNonDir", true);
        }
        if self.copy_uid_gid {
            q = q.flag("copyUIDGID", true);
        }
        let mut head = RequestHead::versioned(Method::PUT, api, &p, q, ResponseKind::Empty);
        head.body = crate::request::RequestBody::Stream {
            content_type: "application/x-tar",
        };
        Ok(head)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `GET /containers/{id}/export`: the container's filesystem as a tar, streamed.
#[derive(Debug, Clone)]
pub struct ContainerExport {
    /// Container id or name.
    pub id: String,
}

impl DownloadEndpoint for ContainerExport {
    type Meta = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let id = quote_id("container", &self.id)?;
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &format!("/containers/{id}/export"),
            Query::new(),
            ResponseKind::Binary,
        ))
    }

    fn meta(&self, _status: u16, _headers: &Headers) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Decoder;

    const V41: ApiVersion = ApiVersion::new(1, 41);

    #[test]
    fn logs_query_and_version_gate() {
        let mut l = ContainerLogs::new("web");
        l.tail = Tail::Lines(0);
        l.since = Some(Timestamp::from_unix(100));
        l.follow = true;
        assert_eq!(
            StreamEndpoint::request(&l, V41).expect("req").path,
            "/v1.41/containers/web/logs?stdout=1&stderr=1&timestamps=0&follow=1&tail=0&since=100"
        );
        l.until = Some(Timestamp::from_unix(200));
        let e = StreamEndpoint::request(&l, ApiVersion::new(1, 30)).expect_err("until 1.35");
        assert!(matches!(e, Error::UnsupportedApiVersion { .. }));
        l.since = Some(Timestamp::from_unix(0));
        assert!(StreamEndpoint::request(&l, V41).is_err());
        let mut none = ContainerLogs::new("web");
        none.stdout = false;
        none.stderr = false;
        assert!(StreamEndpoint::request(&none, V41).is_err());
        assert!(StreamEndpoint::request(&ContainerLogs::new(""), V41).is_err());
    }

    #[test]
    fn logs_decoder_follows_content_type_then_tty() {
        let mut l = ContainerLogs::new("x");
        let h = Headers::new();
        assert!(l.decoder(200, &h).expect("d").is_multiplexed());
        let h = Headers::from_pairs([("Content-Type", crate::stream::RAW_STREAM)]).expect("hv");
        assert!(
            !l.decoder(200, &h).expect("d").is_multiplexed(),
            "no flag: header decides"
        );
        // API < 1.42 daemons label upgraded streams raw whatever the TTY: a known flag wins.
        l.tty = Some(false);
        assert!(l.decoder(200, &h).expect("d").is_multiplexed());
        l.tty = Some(true);
        let h =
            Headers::from_pairs([("Content-Type", crate::stream::MULTIPLEXED_STREAM)]).expect("hv");
        assert!(!l.decoder(200, &h).expect("d").is_multiplexed());
        l.tty = None;
        let mut d = l.decoder(200, &h).expect("d");
        assert!(d.is_multiplexed());
        d.push(&[2, 0, 0, 0, 0, 0, 0, 1, b'e']);
        assert_eq!(&d.next().expect("ok").expect("frame").data[..], b"e");
    }

    #[test]
    fn attach_query() {
        let mut a = ContainerAttach::new("c1");
        a.stdin = true;
        a.detach_keys = Some("ctrl-p,ctrl-q".into());
        let h = UpgradeEndpoint::request(&a, V41).expect("req");
        assert_eq!(h.method, Method::POST);
        assert_eq!(
            h.path,
            "/v1.41/containers/c1/attach?stdin=1&stdout=1&stderr=1&stream=1&logs=0&detachKeys=ctrl-p%2Cctrl-q"
        );
        a.stream = false;
        assert!(UpgradeEndpoint::request(&a, V41).is_err());
    }

    #[test]
    fn path_stat_header_decodes() {
        let json = r#"{"name":"etc","size":4096,"mode":2147484141,"mtime":"2024-01-01T00:00:00Z","linkTarget":""}"#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        let h = Headers::from_pairs([("X-Docker-Container-Path-Stat", &b64)]).expect("hv");
        let s = path_stat_of(&h).expect("ok").expect("present");
        assert_eq!(s.name, "etc");
        assert!(s.is_dir());
        assert_eq!(s.mode & 0o777, 0o755);
        assert_eq!(path_stat_of(&Headers::new()).expect("ok"), None);
        let h = Headers::from_pairs([("X-Docker-Container-Path-Stat", "!!!")]).expect("hv");
        assert!(matches!(path_stat_of(&h), Err(Error::Decode(_))));
    }

    #[test]
    fn archive_requests() {
        let g = ArchiveGet {
            id: "c".into(),
            path: "/etc/hosts file".into(),
        };
        assert_eq!(
            DownloadEndpoint::request(&g, V41).expect("req").path,
            "/v1.41/containers/c/archive?path=%2Fetc%2Fhosts%20file"
        );
        let p = ArchivePut {
            id: "c".into(),
            path: "/tmp".into(),
            no_overwrite_dir_non_dir: true,
            copy_uid_gid: false,
        };
        let h = Endpoint::request(&p, V41).expect("req");
        assert_eq!(h.method, Method::PUT);
        assert_eq!(
            h.path,
            "/v1.41/containers/c/archive?path=%2Ftmp&noOverwriteDirNonDir=true"
        );
        assert_eq!(
            h.body,
            crate::request::RequestBody::Stream {
                content_type: "application/x-tar"
            }
        );
        let empty = ArchiveGet {
            id: "c".into(),
            path: String::new(),
        };
        assert!(DownloadEndpoint::request(&empty, V41).is_err());
    }

    #[test]
    fn archive_stat_404_without_body_names_the_path() {
        let s = ArchiveStat {
            id: "c".into(),
            path: "/nope".into(),
        };
        let h = Headers::new();
        let e = s
            .parse(Response {
                status: 404,
                headers: &h,
                body: b"",
            })
            .expect_err("404");
        assert!(e.is_not_found());
        assert!(e.to_string().contains("/nope"), "{e}");
    }
}
