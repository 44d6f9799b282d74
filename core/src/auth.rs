//! Registry credentials: the `X-Registry-Auth`/`X-Registry-Config` headers, registry
//! resolution, `config.json` parsing and the credential-helper protocol.
//!
//! Everything here is pure: `config.json` arrives as bytes, and a credential helper's
//! answer arrives as the bytes it printed. The host reads the files and runs the
//! helper programs (`docker-credential-<name> get`).
//!
//! | concern | items |
//! | --- | --- |
//! | credentials and headers | [`AuthConfig`], [`encode_registry_auth`], [`decode_registry_auth`], [`encode_registry_config`] |
//! | which registry an image lives in | [`resolve_repository_name`], [`resolve_index_name`], [`RepositoryName`] |
//! | `config.json` and legacy `.dockercfg` | [`DockerConfig`], [`CredentialLookup`] |
//! | credential helpers | [`HelperQuery`], [`parse_helper_list`] |
//!
//! ```
//! use berth_core::auth::{AuthConfig, DockerConfig, encode_registry_auth, resolve_repository_name};
//!
//! let config = DockerConfig::from_slice(br#"{"auths":{"https://reg.example.com/v2/":{"auth":"amFuZTpwQHNzOndvcmQ="}}}"#)?;
//! let name = resolve_repository_name("reg.example.com/team/app")?;
//! let lookup = config.lookup(&name.registry);
//! assert!(lookup.helper.is_none());
//! let auth = lookup.stored.expect("stored credentials");
//! assert_eq!(auth.password.as_deref(), Some("p@ss:word")); // split on the first colon
//! let header = encode_registry_auth(Some(&auth))?;
//! assert!(!header.contains('+') && !header.contains('/'));
//! assert_eq!(encode_registry_auth(None)?, "e30="); // `{}`: always send the header
//! # Ok::<(), berth_core::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE};
use base64::engine::{DecodePaddingMode, general_purpose};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod config;
mod helper;
#[cfg(test)]
mod tests;

pub use config::{CredentialLookup, DockerConfig};
pub use helper::{HELPER_PREFIX, HelperQuery, parse_helper_list};

/// Docker Hub's registry name, as image references resolve to it.
pub const INDEX_NAME: &str = "docker.io";

/// The key Docker Hub's credentials are stored under in `config.json` and credential
/// helpers (edge case 37).
pub const INDEX_SERVER: &str = "https://index.docker.io/v1/";

/// The `X-Registry-Auth` value sent when there are no credentials: `{}` encoded.
/// dockerd rejects a push without the header (edge case 52), so it is always sent.
pub const EMPTY_REGISTRY_AUTH: &str = "e30=";

/// Credentials for one registry, as the Engine reads them in `X-Registry-Auth` and
/// the `/auth` body.
///
/// Serialised with the lowercase canonical names (`username`, `password`, `email`,
/// `serveraddress`, `identitytoken`, `registrytoken`), unset fields left out;
/// capitalised names (`Username`, …, as some docker-py versions and credential stores
/// emit them) are accepted when reading. `Debug` never shows secrets.
///
/// ```
/// use berth_core::auth::AuthConfig;
/// let a = AuthConfig::password("jane", "s3cret", "registry.example.com");
/// assert_eq!(
///     a.to_json()?,
///     r#"{"username":"jane","password":"s3cret","serveraddress":"registry.example.com"}"#
/// );
/// assert!(!format!("{a:?}").contains("s3cret"));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// User name.
    #[serde(default, alias = "Username", skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password (or a personal access token used as one).
    #[serde(default, alias = "Password", skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// E-mail; ignored by modern daemons.
    #[serde(default, alias = "Email", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The registry these credentials are for (`registry.example.com`,
    /// `https://index.docker.io/v1/`).
    #[serde(
        default,
        alias = "ServerAddress",
        alias = "serverAddress",
        skip_serializing_if = "Option::is_none"
    )]
    pub serveraddress: Option<String>,
    /// An identity token from a previous login; used instead of the password.
    #[serde(
        default,
        alias = "IdentityToken",
        alias = "identityToken",
        skip_serializing_if = "Option::is_none"
    )]
    pub identitytoken: Option<String>,
    /// A bearer token handed to the registry as is.
    #[serde(
        default,
        alias = "RegistryToken",
        alias = "registryToken",
        skip_serializing_if = "Option::is_none"
    )]
    pub registrytoken: Option<String>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthConfig")
            .field("username", &self.username)
            .field("password", &hidden(&self.password))
            .field("email", &self.email)
            .field("serveraddress", &self.serveraddress)
            .field("identitytoken", &hidden(&self.identitytoken))
            .field("registrytoken", &hidden(&self.registrytoken))
            .finish()
    }
}

impl AuthConfig {
    /// User name and password for `server`.
    pub fn password(
        username: impl Into<String>,
        password: impl Into<String>,
        server: impl Into<String>,
    ) -> AuthConfig {
        AuthConfig {
            username: Some(username.into()),
            password: Some(password.into()),
            serveraddress: Some(server.into()),
            ..AuthConfig::default()
        }
    }

    /// An identity token (from a login or a credential helper) for `server`.
    pub fn identity_token(token: impl Into<String>, server: impl Into<String>) -> AuthConfig {
        AuthConfig {
            identitytoken: Some(token.into()),
            serveraddress: Some(server.into()),
            ..AuthConfig::default()
        }
    }

    /// True when no field carries a value (an entry managed by a credential store).
    pub fn is_empty(&self) -> bool {
        [
            &self.username,
            &self.password,
            &self.email,
            &self.serveraddress,
            &self.identitytoken,
            &self.registrytoken,
        ]
        .iter()
        .all(|v| v.as_deref().is_none_or(str::is_empty))
    }

    /// True when there is something to authenticate with (a password, an identity
    /// token or a registry token), not just a server address.
    pub fn has_secret(&self) -> bool {
        [&self.password, &self.identitytoken, &self.registrytoken]
            .iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
    }

    /// The registry these credentials are for, normalised ([`resolve_index_name`]);
    /// Docker Hub when unset.
    pub fn registry(&self) -> String {
        match self.serveraddress.as_deref() {
            Some(s) if !s.is_empty() => resolve_index_name(s),
            _ => INDEX_NAME.to_owned(),
        }
    }

    /// What is sent: empty fields dropped, and the password dropped when an identity
    /// token is present (edge case 39: the token is used, never both).
    fn canonical(&self) -> AuthConfig {
        let keep = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let token = keep(&self.identitytoken);
        AuthConfig {
            username: keep(&self.username),
            password: if token.is_some() {
                None
            } else {
                keep(&self.password)
            },
            email: keep(&self.email),
            serveraddress: keep(&self.serveraddress),
            identitytoken: token,
            registrytoken: keep(&self.registrytoken),
        }
    }

    /// Compact JSON with the canonical lowercase names (the `/auth` body and the
    /// content of `X-Registry-Auth`).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(&self.canonical())
            .map_err(|e| Error::InvalidArgument(format!("credentials cannot be serialised: {e}")))
    }

    /// The `X-Registry-Auth` value for these credentials (see [`encode_registry_auth`]).
    pub fn encode(&self) -> Result<String> {
        Ok(URL_SAFE.encode(self.to_json()?.as_bytes()))
    }
}

/// The `X-Registry-Auth` header value: URL-safe base64 **with** padding of the compact
/// JSON credentials (edge case 32; UTF-8 before base64, edge case 34), or of `{}` when
/// there are none ([`EMPTY_REGISTRY_AUTH`]).
///
/// ```
/// use berth_core::auth::{AuthConfig, decode_registry_auth, encode_registry_auth};
/// let a = AuthConfig::password("jane", "s3cr?t>>", "registry.example.com");
/// let h = encode_registry_auth(Some(&a))?;
/// assert!(h.contains('_') && !h.contains('/')); // standard base64 would have `/`
/// assert_eq!(decode_registry_auth(&h)?, a);
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn encode_registry_auth(auth: Option<&AuthConfig>) -> Result<String> {
    match auth {
        Some(a) if !a.is_empty() => a.encode(),
        _ => Ok(EMPTY_REGISTRY_AUTH.to_owned()),
    }
}

/// Base64 as the daemon reads it: padding optional.
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Reads an `X-Registry-Auth` value back (policy checks, tests). Padding is optional,
/// as for the daemon.
pub fn decode_registry_auth(value: &str) -> Result<AuthConfig> {
    let bytes = LENIENT_URL_SAFE.decode(value.trim()).map_err(|e| {
        Error::InvalidArgument(format!("X-Registry-Auth is not URL-safe base64: {e}"))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::InvalidArgument(format!(
            "X-Registry-Auth does not hold credentials JSON: {e}"
        ))
    })
}

/// The `X-Registry-Config` header value of a build: URL-safe base64 of the JSON map
/// `{registry: credentials}` for **every** known registry (edge cases 50 and 51).
///
/// Docker Hub credentials (keyed `docker.io` or `index.docker.io`) are also sent
/// under [`INDEX_SERVER`], the key the builder looks up; empty entries are left out.
///
/// ```
/// use std::collections::BTreeMap;
/// use berth_core::auth::{AuthConfig, INDEX_SERVER, encode_registry_config};
/// let mut all = BTreeMap::new();
/// all.insert("docker.io".to_string(), AuthConfig::password("jane", "pw", "docker.io"));
/// let h = encode_registry_config(&all)?;
/// let json = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE, h)
///     .expect("base64");
/// let map: serde_json::Value = serde_json::from_slice(&json).expect("json");
/// assert_eq!(map[INDEX_SERVER]["username"], "jane");
/// assert_eq!(map["docker.io"]["username"], "jane");
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn encode_registry_config(configs: &BTreeMap<String, AuthConfig>) -> Result<String> {
    let mut out: BTreeMap<&str, AuthConfig> = BTreeMap::new();
    for (key, auth) in configs {
        if auth.is_empty() {
            continue;
        }
        out.insert(key.as_str(), auth.canonical());
    }
    if !out.contains_key(INDEX_SERVER) {
        let hub = configs
            .iter()
            .find(|(k, a)| !a.is_empty() && resolve_index_name(k) == INDEX_NAME)
            .map(|(_, a)| a.canonical());
        if let Some(hub) = hub {
            out.insert(INDEX_SERVER, hub);
        }
    }
    let json = serde_json::to_vec(&out)
        .map_err(|e| Error::InvalidArgument(format!("credentials cannot be serialised: {e}")))?;
    Ok(URL_SAFE.encode(json))
}

/// An image repository split into the registry that holds it and the name within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryName {
    /// The registry, normalised (`docker.io`, `localhost:5000`, `reg.example.com`).
    pub registry: String,
    /// The repository within the registry (`library/x` is not added for the Hub:
    /// `busybox` stays `busybox`).
    pub remote: String,
}

/// docker-py's `resolve_repository_name`: which registry a repository (with or without
/// a tag or digest) lives in.
///
/// The first `/`-separated component is a registry only when it contains `.` or `:` or
/// is `localhost` (edge cases 35 and 36); otherwise the repository is on Docker Hub
/// (`docker.io`). `index.docker.io` is Docker Hub too. A scheme in the name, or a
/// registry name starting or ending with `-`, is an error.
///
/// ```
/// use berth_core::auth::resolve_repository_name;
/// assert_eq!(resolve_repository_name("localhost:5000/app:1")?.registry, "localhost:5000");
/// assert_eq!(resolve_repository_name("org/my.app")?.registry, "docker.io");
/// assert_eq!(resolve_repository_name("index.docker.io/library/x")?.registry, "docker.io");
/// assert!(resolve_repository_name("https://reg/app").is_err());
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn resolve_repository_name(name: &str) -> Result<RepositoryName> {
    if name.contains("://") {
        return Err(Error::InvalidArgument(format!(
            "repository name {name:?} contains a scheme; write it without http:// or https://"
        )));
    }
    if name.is_empty() {
        return Err(Error::InvalidArgument(
            "repository name is empty; give an image name such as busybox".into(),
        ));
    }
    let (index, remote) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first, rest)
        }
        _ => (INDEX_NAME, name),
    };
    if index.starts_with('-') || index.ends_with('-') {
        return Err(Error::InvalidArgument(format!(
            "invalid registry name {index:?} in {name:?}: it cannot start or end with '-'"
        )));
    }
    Ok(RepositoryName {
        registry: resolve_index_name(index),
        remote: remote.to_owned(),
    })
}

/// Normalises a registry key or address to `host[:port]` (edge case 38): a scheme
/// and any path are dropped, and `index.docker.io` becomes `docker.io`.
///
/// ```
/// use berth_core::auth::resolve_index_name;
/// assert_eq!(resolve_index_name("https://reg.example.com:5000/v2/"), "reg.example.com:5000");
/// assert_eq!(resolve_index_name("https://index.docker.io/v1/"), "docker.io");
/// assert_eq!(resolve_index_name("localhost"), "localhost");
/// ```
pub fn resolve_index_name(key: &str) -> String {
    let key = key.trim();
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = rest.split('/').next().unwrap_or(rest);
    if host == "index.docker.io" {
        INDEX_NAME.to_owned()
    } else {
        host.to_owned()
    }
}

/// Decodes a `config.json` `auth` value: base64 (standard alphabet, padding optional)
/// of `user:password`, split on the **first** colon (edge case 33).
pub(crate) fn decode_basic_auth(value: &str) -> Result<(String, String)> {
    let bytes = LENIENT_STANDARD
        .decode(value.trim())
        .or_else(|_| LENIENT_URL_SAFE.decode(value.trim()))
        .map_err(|e| Error::InvalidArgument(format!("\"auth\" is not base64: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::InvalidArgument("\"auth\" does not decode to UTF-8 text".into()))?;
    match text.split_once(':') {
        Some((user, password)) => Ok((user.to_owned(), password.to_owned())),
        None => Err(Error::InvalidArgument(
            "\"auth\" does not decode to user:password".into(),
        )),
    }
}

/// Encodes `user:password` as a `config.json` `auth` value (standard base64).
pub fn encode_basic_auth(username: &str, password: &str) -> String {
    general_purpose::STANDARD.encode(format!("{username}:{password}"))
}
