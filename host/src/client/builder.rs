//! Building a client: from the environment, a URL, TLS, timeouts, API version.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use berth_core::ApiVersion;
use berth_core::daemon_host::{self, DaemonAddr, DaemonHost};

use super::{Docker, with_user_agent};
use crate::error::{Error, Result};
use crate::transport::{HttpTransport, PoolOptions, Target, Timeouts, TlsSettings};

/// Options for a [`Docker`] client.
///
/// ```no_run
/// # fn demo() -> berth::Result<()> {
/// use std::time::Duration;
/// let docker = berth::Docker::builder("tcp://127.0.0.1:2376")
///     .tls(berth::transport::TlsSettings {
///         ca: Some("certs/ca.pem".into()),
///         client_cert: Some(("certs/cert.pem".into(), "certs/key.pem".into())),
///         verify: true,
///         server_name: None,
///     })
///     .connect_timeout(Duration::from_secs(3))
///     .api_version("1.41".parse()?)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DockerBuilder {
    url: String,
    tls: Option<TlsSettings>,
    timeouts: Timeouts,
    pool: PoolOptions,
    api_version: Option<ApiVersion>,
    headers: HeaderMap,
    ssh_args: Vec<String>,
}

/// The default daemon address.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

impl DockerBuilder {
    /// A builder for the daemon at `url` (any `DOCKER_HOST` form).
    pub fn new(url: &str) -> DockerBuilder {
        DockerBuilder {
            url: url.to_owned(),
            tls: None,
            timeouts: Timeouts::default(),
            pool: PoolOptions::default(),
            api_version: None,
            headers: HeaderMap::new(),
            ssh_args: Vec::new(),
        }
    }

    /// A builder configured from the process environment (see [`Docker::from_env`]).
    pub fn from_env() -> Result<DockerBuilder> {
        let get = |k: &str| std::env::var(k).ok();
        let home = std::env::var("HOME").ok();
        DockerBuilder::from_vars(get, home.as_deref())
    }

    /// [`DockerBuilder::from_env`] with the environment given as a function (tests,
    /// embedders with their own configuration).
    pub fn from_vars(
        get: impl Fn(&str) -> Option<String>,
        home: Option<&str>,
    ) -> Result<DockerBuilder> {
        let nonempty = |k: &str| get(k).filter(|v| !v.is_empty());
        let config_dir = nonempty("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| home.map(|h| Path::new(h).join(".docker")));
        let config_json = config_dir
            .as_ref()
            .and_then(|d| std::fs::read(d.join("config.json")).ok());

        let mut b = if let Some(host) = nonempty("DOCKER_HOST") {
            let mut b = DockerBuilder::new(&host);
            if let Some(files) = daemon_host::tls_from_env(&get, home) {
                b.tls = Some(TlsSettings {
                    ca: Some(files.ca.into()),
                    client_cert: Some((files.cert.into(), files.key.into())),
                    verify: files.verify,
                    server_name: None,
                });
            }
            b
        } else {
            let name = daemon_host::context_name(
                get("DOCKER_CONTEXT").as_deref(),
                config_json.as_deref(),
            )?;
            match (name, &config_dir) {
                (Some(name), Some(dir)) => DockerBuilder::from_context(&name, dir)?,
                (Some(name), None) => {
                    return Err(berth_core::Error::InvalidArgument(format!(
                        "docker context {name:?} is selected but there is no docker config \
                         directory (set HOME or DOCKER_CONFIG)"
                    ))
                    .into());
                }
                (None, _) => DockerBuilder::new(DEFAULT_HOST),
            }
        };
        if let Some(v) = nonempty("DOCKER_API_VERSION") {
            b.api_version = Some(v.parse()?);
        }
        if let Some(cfg) = config_json.as_deref() {
            b.headers = http_headers_of(cfg);
        }
        Ok(b)
    }

    /// A builder for the docker CLI context `name` stored under `config_dir`.
    pub fn from_context(name: &str, config_dir: &Path) -> Result<DockerBuilder> {
        let meta_path = config_dir
            .join(daemon_host::context_meta_dir(name))
            .join("meta.json");
        let meta = std::fs::read(&meta_path).map_err(|e| {
            Error::from(berth_core::Error::InvalidArgument(format!(
                "docker context {name:?} not found: cannot read {}: {e}",
                meta_path.display()
            )))
        })?;
        let ep = daemon_host::parse_context_meta(&meta)?;
        let mut b = DockerBuilder::new(&ep.host);
        let tls_dir = config_dir.join(daemon_host::context_tls_dir(name));
        let ca = tls_dir.join("ca.pem");
        let cert = tls_dir.join("cert.pem");
        let key = tls_dir.join("key.pem");
        if ca.exists() || cert.exists() {
            b.tls = Some(TlsSettings {
                ca: ca.exists().then_some(ca),
                client_cert: (cert.exists() && key.exists()).then_some((cert, key)),
                verify: !ep.skip_tls_verify,
                server_name: None,
            });
        }
        Ok(b)
    }

    /// Use TLS with these settings (`tcp://` becomes HTTPS).
    pub fn tls(mut self, tls: TlsSettings) -> DockerBuilder {
        self.tls = Some(tls);
        self
    }

    /// Timeout for opening a connection.
    pub fn connect_timeout(mut self, t: Duration) -> DockerBuilder {
        self.timeouts.connect = t;
        self
    }

    /// Timeout from sending a request to its response head (`None`: none).
    pub fn response_timeout(mut self, t: Option<Duration>) -> DockerBuilder {
        self.timeouts.response_head = t;
        self
    }

    /// Longest silence while reading a whole (non-stream) body (`None`: none).
    pub fn idle_read_timeout(mut self, t: Option<Duration>) -> DockerBuilder {
        self.timeouts.idle_read = t;
        self
    }

    /// Pool sizing.
    pub fn pool(mut self, pool: PoolOptions) -> DockerBuilder {
        self.pool = pool;
        self
    }

    /// Pin the API version instead of negotiating it (at least [`ApiVersion::MIN`]:
    /// [`build`](Self::build) refuses an older one).
    pub fn api_version(mut self, v: ApiVersion) -> DockerBuilder {
        self.api_version = Some(v);
        self
    }

    /// A header sent with every request (config.json's `HttpHeaders` are added by
    /// [`DockerBuilder::from_env`]).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> DockerBuilder {
        self.headers.insert(name, value);
        self
    }

    /// Extra arguments for `ssh` on `ssh://` hosts (e.g. `["-F", "ssh_config"]`).
    pub fn ssh_args(mut self, args: Vec<String>) -> DockerBuilder {
        self.ssh_args = args;
        self
    }

    /// The daemon address this builder will connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Builds the client. Nothing is connected yet: the first call connects. A pinned
    /// API version below [`ApiVersion::MIN`] is refused here ([`ApiVersion::pinned`]).
    pub fn build(self) -> Result<Docker> {
        let pinned = self.api_version.map(ApiVersion::pinned).transpose()?;
        let parsed = DaemonHost::parse(&self.url, self.tls.is_some())?;
        let target = match parsed.addr {
            DaemonAddr::Unix { path } => Target::Unix(path),
            DaemonAddr::Tcp {
                host,
                port,
                tls: false,
            } => Target::Tcp { host, port },
            DaemonAddr::Tcp {
                host,
                port,
                tls: true,
            } => {
                let settings = self.tls.clone().unwrap_or(TlsSettings {
                    ca: None,
                    client_cert: None,
                    verify: true,
                    server_name: None,
                });
                let config = crate::transport::tls_client_config(&settings)
                    .map_err(|e| Error::from(berth_core::Error::InvalidArgument(e.to_string())))?;
                Target::Tls {
                    server_name: settings.server_name.clone().unwrap_or_else(|| host.clone()),
                    host,
                    port,
                    config,
                }
            }
            DaemonAddr::Ssh { user, host, port } => Target::Ssh {
                user,
                host,
                port,
                args: self.ssh_args.clone(),
            },
        };
        // The transport writes the client's headers into every request head itself.
        let transport = HttpTransport::new(target, &parsed.path_prefix, self.timeouts, self.pool)?
            .with_headers(with_user_agent(self.headers));
        Ok(Docker::assemble(
            Arc::new(transport),
            self.timeouts,
            HeaderMap::new(),
            pinned,
        ))
    }
}

/// config.json's `HttpHeaders`, sent with every request; invalid entries are skipped.
fn http_headers_of(config_json: &[u8]) -> HeaderMap {
    let mut out = HeaderMap::new();
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(config_json) else {
        return out;
    };
    if let Some(map) = v.get("HttpHeaders").and_then(|h| h.as_object()) {
        for (k, v) in map {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::from_bytes(k.as_bytes()),
                v.as_str().map(HeaderValue::from_str),
            ) {
                out.insert(name, value);
            }
        }
    }
    out
}
