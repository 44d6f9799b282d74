//! Plugins (managed, "v2" plugins): list, inspect, privileges, pull (install),
//! enable, disable, configure, remove, upgrade, push, create.
//!
//! | operation | endpoint |
//! | --- | --- |
//! | `GET /plugins` | [`PluginList`] |
//! | `GET /plugins/{name}/json` | [`PluginInspect`] |
//! | `GET /plugins/privileges?remote=` | [`PluginPrivileges`] |
//! | `POST /plugins/pull?remote=&name=` | [`PluginPull`] (progress stream) |
//! | `POST /plugins/{name}/enable?timeout=` | [`PluginEnable`] |
//! | `POST /plugins/{name}/disable?force=` | [`PluginDisable`] |
//! | `POST /plugins/{name}/set` | [`PluginSet`] |
//! | `DELETE /plugins/{name}?force=` | [`PluginRemove`] |
//! | `POST /plugins/{name}/upgrade?remote=` | [`PluginUpgrade`] (progress stream) |
//! | `POST /plugins/{name}/push` | [`PluginPush`] (progress stream) |
//! | `POST /plugins/create?name=` | [`PluginCreate`] (tar upload) |
//!
//! Every operation needs API 1.25 (upgrade 1.26). Pull and upgrade send the privileges
//! the caller grants as the body; the daemon refuses ("incorrect privileges", inside the
//! progress stream) when they differ from what the plugin asks for, so fetch them with
//! [`PluginPrivileges`] first.
//!
//! ```
//! use berth_core::api::plugins::{PluginRemove, PluginSet};
//! use berth_core::endpoint::Endpoint;
//! use berth_core::ApiVersion;
//!
//! let api = ApiVersion::new(1, 41);
//! let set = PluginSet::new("vieux/sshfs").set("DEBUG", "1");
//! assert_eq!(set.request(api)?.path, "/v1.41/plugins/vieux/sshfs/set");
//! let rm = PluginRemove { name: "vieux/sshfs:latest".into(), force: true };
//! assert_eq!(rm.request(api)?.path, "/v1.41/plugins/vieux/sshfs:latest?force=1");
//! # Ok::<(), berth_core::Error>(())
//! ```

use http::Method;

use crate::api::images::ProgressDecoder;
use crate::auth::EMPTY_REGISTRY_AUTH;
use crate::endpoint::{Endpoint, Response, StreamEndpoint};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::model::typed_list;
use crate::model::{Typed, TypedDecoder};
use crate::models::{Plugin, PluginPrivilege};
use crate::request::{Filters, Query, RequestBody, RequestHead, ResponseKind, quote_id};
use crate::stream::json::JsonStreamDecoder;
use crate::version::ApiVersion;

/// The first API version with managed plugins.
const PLUGINS_API: ApiVersion = ApiVersion::new(1, 25);

/// `GET /plugins`: the installed plugins matching `filters` (`capability`, e.g.
/// `volumedriver`; `enabled`, `true`/`false`; filters need API 1.28).
///
/// ```
/// use berth_core::api::plugins::PluginList;
/// use berth_core::endpoint::Endpoint;
/// use berth_core::request::Filters;
/// let list = PluginList { filters: Filters::new().with("enabled", "false") };
/// assert_eq!(
///     list.request(berth_core::ApiVersion::new(1, 41))?.path,
///     "/v1.41/plugins?filters=%7B%22enabled%22%3A%5B%22false%22%5D%7D"
/// );
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct PluginList {
    /// Which plugins; empty = all of them.
    pub filters: Filters,
}

impl Endpoint for PluginList {
    type Output = Vec<Typed<Plugin>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin list")?;
        if !self.filters.is_empty() {
            api.require(ApiVersion::new(1, 28), "plugin list (filters)")?;
        }
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/plugins",
            Query::new().filters(&self.filters),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "plugin list")
    }
}

/// `GET /plugins/{name}/json`: one plugin; the daemon implies `:latest` when the name
/// has no tag. Unknown → [`Error::NotFound`] (`plugin "x" not found`).
#[derive(Debug, Clone, Default)]
pub struct PluginInspect {
    /// The plugin's name (`name[:tag]`) or id (or a unique id prefix).
    pub name: String,
}

impl PluginInspect {
    /// Inspects `name`.
    pub fn new(name: impl Into<String>) -> PluginInspect {
        PluginInspect { name: name.into() }
    }
}

impl Endpoint for PluginInspect {
    type Output = Typed<Plugin>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin inspect")?;
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &plugin_path(&self.name, "/json")?,
            Query::new(),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `GET /plugins/privileges?remote=`: what a plugin in a registry asks to be granted
/// (`network`, `mount`, `device`, `capabilities`, …), to pass to [`PluginPull`] or
/// [`PluginUpgrade`].
///
/// dockerd 20.10 answers `[]` (200) for a remote it cannot find as well as for a
/// plugin that asks for nothing.
#[derive(Debug, Clone, Default)]
pub struct PluginPrivileges {
    /// The remote reference (`reg:5000/name:tag`).
    pub remote: String,
    /// An encoded `X-Registry-Auth` value; sent when set.
    pub registry_auth: Option<String>,
}

impl PluginPrivileges {
    /// The privileges of `remote`, without credentials.
    pub fn new(remote: impl Into<String>) -> PluginPrivileges {
        PluginPrivileges {
            remote: remote.into(),
            registry_auth: None,
        }
    }
}

impl Endpoint for PluginPrivileges {
    type Output = Vec<Typed<PluginPrivilege>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin privileges")?;
        check_remote("plugin privileges", &self.remote)?;
        let head = RequestHead::versioned(
            Method::GET,
            api,
            "/plugins/privileges",
            Query::new().push("remote", &self.remote),
            ResponseKind::Json,
        );
        Ok(match &self.registry_auth {
            Some(auth) => head.header("X-Registry-Auth", auth.clone()),
            None => head,
        })
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "plugin privileges")
    }
}

/// The privileges to grant, taken from a [`PluginPrivileges`] answer (all of them).
pub fn grant_all(asked: &[Typed<PluginPrivilege>]) -> Vec<PluginPrivilege> {
    asked.iter().map(|p| PluginPrivilege::clone(p)).collect()
}

/// `POST /plugins/pull?remote=&name=`: installs a plugin from a registry (docker-py's
/// `pull_plugin`; the CLI's `plugin install`). The body grants `privileges`; the answer
/// is a progress stream (the image progress items), whose error objects —
/// `incorrect privileges` when the grant differs from what the plugin asks — become
/// [`Error::Stream`]. The plugin is installed disabled.
#[derive(Debug, Clone, Default)]
pub struct PluginPull {
    /// The remote reference (`reg:5000/name:tag`).
    pub remote: String,
    /// The local name; `None`: the remote reference.
    pub name: Option<String>,
    /// What is granted (see [`grant_all`]); must match what the plugin asks for.
    pub privileges: Vec<PluginPrivilege>,
    /// An encoded `X-Registry-Auth` value; `None` sends [`EMPTY_REGISTRY_AUTH`].
    pub registry_auth: Option<String>,
}

impl StreamEndpoint for PluginPull {
    type Decoder = ProgressDecoder;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin pull")?;
        check_remote("plugin pull", &self.remote)?;
        if self.name.as_deref() == Some("") {
            return Err(Error::InvalidArgument(
                "plugin pull: the local name is empty; pass None to keep the remote name".into(),
            ));
        }
        let q = Query::new()
            .push("remote", &self.remote)
            .opt("name", self.name.as_deref());
        RequestHead::versioned(
            Method::POST,
            api,
            "/plugins/pull",
            q,
            ResponseKind::JsonStream,
        )
        .header("X-Registry-Auth", auth_or_empty(&self.registry_auth))
        .json_body(&self.privileges)
    }

    fn decoder(&self, _status: u16, _headers: &Headers) -> Result<Self::Decoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
    }
}

/// `POST /plugins/{name}/enable?timeout=`: starts the plugin and waits for it to
/// answer `POST /Plugin.Activate` on its socket.
///
/// A plugin that never opens its socket is a `500` ([`Error::Server`]) with the
/// daemon's dial error (`dial unix /run/docker/plugins/<id>/<socket>: connect: no such
/// file or directory`); dockerd 20.10 retries for about 20 s whatever `timeout` says.
#[derive(Debug, Clone, Default)]
pub struct PluginEnable {
    /// The plugin's name or id.
    pub name: String,
    /// The HTTP client timeout towards the plugin, in seconds; `None` sends `0` (the
    /// daemon's default), as docker-py does: dockerd requires the parameter and answers
    /// `500 strconv.Atoi: parsing ""` without it.
    pub timeout: Option<u32>,
}

impl Endpoint for PluginEnable {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin enable")?;
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            &plugin_path(&self.name, "/enable")?,
            Query::new().opt("timeout", Some(self.timeout.unwrap_or(0))),
            ResponseKind::Empty,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /plugins/{name}/disable?force=`. Disabling a disabled plugin is
/// [`Error::Conflict`] (`plugin is already disabled: …`); a plugin in use needs `force`.
#[derive(Debug, Clone, Default)]
pub struct PluginDisable {
    /// The plugin's name or id.
    pub name: String,
    /// Disable even when in use (sent only when set).
    pub force: bool,
}

impl Endpoint for PluginDisable {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin disable")?;
        let q = if self.force {
            Query::new().flag01("force", true)
        } else {
            Query::new()
        };
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            &plugin_path(&self.name, "/disable")?,
            q,
            ResponseKind::Empty,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /plugins/{name}/set` with body `["KEY=VALUE", …]` (docker-py's
/// `configure_plugin`): sets `Env` entries, `args`, `<mount>.source`,
/// `<device>.path` — only those the plugin declares settable, on a disabled plugin.
/// An undeclared key is a `500` ([`Error::Server`]: `setting "X" not found in the
/// plugin configuration`).
#[derive(Debug, Clone, Default)]
pub struct PluginSet {
    /// The plugin's name or id.
    pub name: String,
    /// `KEY=VALUE` settings, in order.
    pub settings: Vec<String>,
}

impl PluginSet {
    /// No settings yet for `name`.
    pub fn new(name: impl Into<String>) -> PluginSet {
        PluginSet {
            name: name.into(),
            settings: Vec::new(),
        }
    }

    /// Adds `key=value`.
    pub fn set(mut self, key: &str, value: impl std::fmt::Display) -> PluginSet {
        self.settings.push(format!("{key}={value}"));
        self
    }
}

impl Endpoint for PluginSet {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin set")?;
        if self.settings.is_empty() {
            return Err(Error::InvalidArgument(
                "plugin set: no settings given; pass at least one KEY=VALUE".into(),
            ));
        }
        for s in &self.settings {
            if s.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
                return Err(Error::InvalidArgument(format!(
                    "plugin set: {s:?} is not of the form KEY=VALUE"
                )));
            }
        }
        RequestHead::versioned(
            Method::POST,
            api,
            &plugin_path(&self.name, "/set")?,
            Query::new(),
            ResponseKind::Empty,
        )
        .json_body(&self.settings)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `DELETE /plugins/{name}?force=`. An enabled plugin needs `force`
/// ([`Error::Server`] otherwise: `plugin … is enabled`).
#[derive(Debug, Clone, Default)]
pub struct PluginRemove {
    /// The plugin's name or id.
    pub name: String,
    /// Remove even when enabled (sent only when set).
    pub force: bool,
}

impl Endpoint for PluginRemove {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin remove")?;
        let q = if self.force {
            Query::new().flag01("force", true)
        } else {
            Query::new()
        };
        Ok(RequestHead::versioned(
            Method::DELETE,
            api,
            &plugin_path(&self.name, "")?,
            q,
            ResponseKind::Empty,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /plugins/{name}/upgrade?remote=`: replaces a **disabled** plugin's rootfs and
/// config with `remote`'s, keeping its settings (API 1.26). Body and answer as
/// [`PluginPull`]'s. Name the plugin by name: dockerd 20.10 refuses an id here
/// (`invalid repository name (…), cannot specify 64-byte hexadecimal strings`).
#[derive(Debug, Clone, Default)]
pub struct PluginUpgrade {
    /// The installed plugin's name or id.
    pub name: String,
    /// The remote reference to upgrade to.
    pub remote: String,
    /// What is granted; must match what `remote` asks for.
    pub privileges: Vec<PluginPrivilege>,
    /// An encoded `X-Registry-Auth` value; `None` sends [`EMPTY_REGISTRY_AUTH`].
    pub registry_auth: Option<String>,
}

impl StreamEndpoint for PluginUpgrade {
    type Decoder = ProgressDecoder;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 26), "plugin upgrade")?;
        check_remote("plugin upgrade", &self.remote)?;
        RequestHead::versioned(
            Method::POST,
            api,
            &plugin_path(&self.name, "/upgrade")?,
            Query::new().push("remote", &self.remote),
            ResponseKind::JsonStream,
        )
        .header("X-Registry-Auth", auth_or_empty(&self.registry_auth))
        .json_body(&self.privileges)
    }

    fn decoder(&self, _status: u16, _headers: &Headers) -> Result<Self::Decoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
    }
}

/// `POST /plugins/{name}/push`: pushes a plugin to the registry its name points at
/// (a name without a registry goes to Docker Hub). The answer is a progress stream;
/// registry errors arrive inside it as [`Error::Stream`]. (docker-py posts to
/// `/pull` here, §8.)
#[derive(Debug, Clone, Default)]
pub struct PluginPush {
    /// The plugin's name (`reg:5000/name:tag`).
    pub name: String,
    /// An encoded `X-Registry-Auth` value; `None` sends [`EMPTY_REGISTRY_AUTH`].
    pub registry_auth: Option<String>,
}

impl StreamEndpoint for PluginPush {
    type Decoder = ProgressDecoder;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin push")?;
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            &plugin_path(&self.name, "/push")?,
            Query::new(),
            ResponseKind::JsonStream,
        )
        .header("X-Registry-Auth", auth_or_empty(&self.registry_auth)))
    }

    fn decoder(&self, _status: u16, _headers: &Headers) -> Result<Self::Decoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
    }
}

/// `POST /plugins/create?name=`: creates a plugin from a tar upload holding
/// `config.json` and `rootfs/` at its top (the caller streams it; gzip is accepted).
/// The plugin is created disabled. Two plugins with the same rootfs content fail on
/// dockerd 20.10 (`content sha256:… already exists`).
#[derive(Debug, Clone, Default)]
pub struct PluginCreate {
    /// The new plugin's name (`name[:tag]`; `:latest` implied).
    pub name: String,
}

impl Endpoint for PluginCreate {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(PLUGINS_API, "plugin create")?;
        check_remote("plugin create", &self.name)?;
        let mut head = RequestHead::versioned(
            Method::POST,
            api,
            "/plugins/create",
            Query::new().push("name", &self.name),
            ResponseKind::Empty,
        );
        head.body = RequestBody::Stream {
            content_type: "application/x-tar",
        };
        Ok(head)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `/plugins/{name}{suffix}` with the name quoted (empty names fail before any I/O).
fn plugin_path(name: &str, suffix: &str) -> Result<String> {
    Ok(format!("/plugins/{}{suffix}", quote_id("plugin", name)?))
}

/// A remote reference or plugin name in a query: not empty, no scheme.
fn check_remote(what: &str, remote: &str) -> Result<()> {
    if remote.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{what}: the plugin reference is empty"
        )));
    }
    if remote.contains("://") {
        return Err(Error::InvalidArgument(format!(
            "{what}: {remote:?} is a URL, not a plugin reference; drop the scheme"
        )));
    }
    Ok(())
}

fn auth_or_empty(auth: &Option<String>) -> String {
    auth.clone()
        .unwrap_or_else(|| EMPTY_REGISTRY_AUTH.to_owned())
}

#[cfg(test)]
mod tests;
