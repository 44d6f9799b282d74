//! The TLS environment (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`) and Docker CLI
//! contexts, from values the host has read.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

#[cfg(doc)]
use super::DaemonHost;

/// The TLS files and verification mode chosen by `DOCKER_TLS_VERIFY` /
/// `DOCKER_CERT_PATH` or by a context. Paths are joined with `/`; the host checks
/// that they exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// CA bundle (`ca.pem`): trusted roots when `verify` is true.
    pub ca: String,
    /// Client certificate (`cert.pem`).
    pub cert: String,
    /// Client private key (`key.pem`).
    pub key: String,
    /// Whether to verify the daemon's certificate. With `false` TLS is still used
    /// (with the client certificate) but any server certificate is accepted.
    pub verify: bool,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` in `dir`.
    ///
    /// ```
    /// use berth_core::daemon_host::TlsFiles;
    /// let f = TlsFiles::in_dir("/certs/", true);
    /// assert_eq!(f.ca, "/certs/ca.pem");
    /// assert_eq!(f.key, "/certs/key.pem");
    /// ```
    pub fn in_dir(dir: &str, verify: bool) -> TlsFiles {
        TlsFiles {
            ca: join(dir, "ca.pem"),
            cert: join(dir, "cert.pem"),
            key: join(dir, "key.pem"),
            verify,
        }
    }
}

fn join(dir: &str, file: &str) -> String {
    let dir = dir.trim_end_matches('/');
    format!("{dir}/{file}")
}

/// TLS settings from the environment, with docker-py's semantics (API-INVENTORY §4.2):
///
/// - `DOCKER_TLS_VERIFY` unset or empty → no verification; any other value, even
///   `0`, → verify.
/// - `DOCKER_CERT_PATH` empty counts as unset.
/// - TLS is on when `DOCKER_CERT_PATH` is set or verification is on; the
///   certificate directory then defaults to `<home>/.docker` (`~/.docker` when no
///   home directory is known, which names the missing files in the later error).
///
/// `get` reads one environment variable; `home` is the user's home directory.
/// Returns `None` when TLS is off. Pass `is_some()` of the result as the `tls`
/// argument of [`DaemonHost::parse`].
///
/// ```
/// use berth_core::daemon_host::tls_from_env;
/// let env = |k: &str| (k == "DOCKER_TLS_VERIFY").then(|| "0".to_owned());
/// let tls = tls_from_env(env, Some("/root")).unwrap();
/// assert!(tls.verify);
/// assert_eq!(tls.cert, "/root/.docker/cert.pem");
/// assert!(tls_from_env(|_| None, Some("/root")).is_none());
/// ```
pub fn tls_from_env(get: impl Fn(&str) -> Option<String>, home: Option<&str>) -> Option<TlsFiles> {
    let verify = get("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty());
    let cert_path = get("DOCKER_CERT_PATH").filter(|p| !p.is_empty());
    if cert_path.is_none() && !verify {
        return None;
    }
    let dir = cert_path.unwrap_or_else(|| join(home.unwrap_or("~"), ".docker"));
    Some(TlsFiles::in_dir(&dir, verify))
}

/// The Docker CLI context to use when `DOCKER_HOST` is unset: `DOCKER_CONTEXT`
/// (non-empty), else `currentContext` of `config.json`, else none. `default` means
/// the default socket and is returned as `None` too.
///
/// `config_json` is the content of `config.json` (`$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json`), `None` when there is none.
///
/// Errors: a `config.json` that is not a JSON object, or whose `currentContext` is
/// not a string. (docker-py silently falls back to the default socket there; berth
/// says so, and a caller that prefers docker-py's leniency can map the error to
/// `None`.)
///
/// ```
/// use berth_core::daemon_host::context_name;
/// let cfg = br#"{"auths":{},"currentContext":"remote"}"#;
/// assert_eq!(context_name(None, Some(cfg)).unwrap().as_deref(), Some("remote"));
/// assert_eq!(context_name(Some("other"), Some(cfg)).unwrap().as_deref(), Some("other"));
/// assert_eq!(context_name(Some("default"), Some(cfg)).unwrap(), None);
/// ```
pub fn context_name(
    docker_context_env: Option<&str>,
    config_json: Option<&[u8]>,
) -> Result<Option<String>> {
    let named = |n: &str| (!n.is_empty() && n != "default").then(|| n.to_owned());
    if let Some(env) = docker_context_env.filter(|n| !n.is_empty()) {
        return Ok(named(env));
    }
    let Some(bytes) = config_json else {
        return Ok(None);
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::InvalidArgument(format!(
            "the Docker config.json is not valid JSON ({e}); fix it, or set DOCKER_HOST or \
             DOCKER_CONTEXT"
        ))
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(Error::InvalidArgument(
            "the Docker config.json is not a JSON object; fix it, or set DOCKER_HOST or \
             DOCKER_CONTEXT"
                .to_owned(),
        ));
    };
    match map.get("currentContext") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(name)) => Ok(named(name)),
        Some(other) => Err(Error::InvalidArgument(format!(
            "\"currentContext\" in the Docker config.json must be a string, found {other}"
        ))),
    }
}

/// The directory of context `name`'s `meta.json`, relative to the Docker config
/// directory: `contexts/meta/<hex sha256(name)>`.
///
/// ```
/// use berth_core::daemon_host::context_meta_dir;
/// assert_eq!(
///     context_meta_dir("default"),
///     "contexts/meta/37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f"
/// );
/// ```
pub fn context_meta_dir(name: &str) -> String {
    format!("contexts/meta/{}", context_id(name))
}

/// The directory holding the docker endpoint's `ca.pem`, `cert.pem` and `key.pem` of
/// context `name`, relative to the Docker config directory:
/// `contexts/tls/<hex sha256(name)>/docker`. Use [`TlsFiles::in_dir`] on it, with
/// `verify = !skip_tls_verify`; a context uses TLS when any of the files exists.
pub fn context_tls_dir(name: &str) -> String {
    format!("contexts/tls/{}/docker", context_id(name))
}

fn context_id(name: &str) -> String {
    hex::encode(Sha256::digest(name.as_bytes()))
}

/// The docker endpoint of a Docker CLI context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEndpoint {
    /// The context's `Name` from `meta.json` (empty if the file has none).
    pub name: String,
    /// The daemon address, same grammar as `DOCKER_HOST`; parse it with
    /// [`DaemonHost::parse`]. Empty means the default socket.
    pub host: String,
    /// `SkipTLSVerify`: use the context's TLS files without verifying the daemon.
    pub skip_tls_verify: bool,
}

#[derive(Deserialize)]
struct ContextMeta {
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "Endpoints", default)]
    endpoints: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct DockerEndpointMeta {
    #[serde(rename = "Host", default)]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

/// Reads a context's `meta.json` (found in [`context_meta_dir`]):
/// `{"Name":…,"Metadata":{…},"Endpoints":{"docker":{"Host":"unix:///…","SkipTLSVerify":false}}}`.
///
/// Errors ([`Error::InvalidArgument`]) name the context when `Name` is readable:
/// malformed JSON, a malformed docker endpoint, or none. The caller knows the file's
/// path and may add it.
///
/// ```
/// use berth_core::daemon_host::parse_context_meta;
/// let meta = br#"{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"ssh://me@box","SkipTLSVerify":false}}}"#;
/// let ep = parse_context_meta(meta).unwrap();
/// assert_eq!(ep.name, "remote");
/// assert_eq!(ep.host, "ssh://me@box");
/// assert!(!ep.skip_tls_verify);
/// ```
pub fn parse_context_meta(bytes: &[u8]) -> Result<ContextEndpoint> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| context_error(None, &format!("its meta.json is not valid JSON ({e})")))?;
    let name = value
        .get("Name")
        .and_then(|n| n.as_str())
        .map(str::to_owned);
    let bad = |why: &str| context_error(name.as_deref(), why);
    if !value.is_object() {
        return Err(bad("its meta.json is not a JSON object"));
    }
    let meta = ContextMeta::deserialize(value).map_err(|e| {
        bad(&format!(
            "its meta.json is not valid context metadata ({e})"
        ))
    })?;
    let Some(docker) = meta.endpoints.get("docker") else {
        return Err(bad("its meta.json has no docker endpoint"));
    };
    let docker = DockerEndpointMeta::deserialize(docker).map_err(|e| {
        bad(&format!(
            "the docker endpoint in its meta.json is malformed ({e})"
        ))
    })?;
    Ok(ContextEndpoint {
        name: meta.name.unwrap_or_default(),
        host: docker.host.unwrap_or_default(),
        skip_tls_verify: docker.skip_tls_verify,
    })
}

fn context_error(name: Option<&str>, why: &str) -> Error {
    let which = match name {
        Some(n) => format!("Docker context \"{n}\""),
        None => "a Docker context".to_owned(),
    };
    Error::InvalidArgument(format!(
        "{which} cannot be used: {why}; repair it with `docker context` or set DOCKER_HOST"
    ))
}
