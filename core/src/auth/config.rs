//! `config.json` (and the legacy `.dockercfg`) read from bytes.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::helper::HelperQuery;
use super::{AuthConfig, INDEX_NAME, INDEX_SERVER, decode_basic_auth, resolve_index_name};
use crate::error::{Error, Result};
use crate::model::json_kind;
use crate::options::ProxyEnv;

/// The docker CLI's configuration file, as far as a client needs it.
///
/// Read with [`DockerConfig::from_slice`] from the bytes of `$DOCKER_CONFIG/config.json`,
/// `~/.docker/config.json` or a legacy `~/.dockercfg` (the host finds and reads the
/// file). Unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerConfig {
    /// `auths`, keyed as in the file (`https://index.docker.io/v1/`, `reg:5000`, …).
    /// Entries without `auth` (managed by a credential store) are empty
    /// (edge case 40).
    pub auths: BTreeMap<String, AuthConfig>,
    /// `credsStore`: the helper (`docker-credential-<name>`) for every registry.
    pub creds_store: Option<String>,
    /// `credHelpers`: per-registry helpers, overriding `credsStore` (edge case 41).
    pub cred_helpers: BTreeMap<String, String>,
    /// `HttpHeaders`: extra headers the CLI sends to the daemon.
    pub http_headers: BTreeMap<String, String>,
    /// `detachKeys`: the default detach sequence for attach (`ctrl-p,ctrl-q`).
    pub detach_keys: Option<String>,
    /// `proxies`: per-daemon proxy settings (`default`, or a daemon address).
    pub proxies: BTreeMap<String, ProxyEnv>,
    /// `currentContext`.
    pub current_context: Option<String>,
}

/// Top-level keys of a modern `config.json` that are settings, not registries: a file
/// with none of `auths`, `credsStore`, `credHelpers` is read as the legacy flat format,
/// where every other object-valued key is a registry.
const SETTINGS_KEYS: &[&str] = &[
    "HttpHeaders",
    "proxies",
    "detachKeys",
    "currentContext",
    "psFormat",
    "imagesFormat",
    "pluginsFormat",
    "statsFormat",
    "servicesFormat",
    "serviceInspectFormat",
    "secretFormat",
    "configFormat",
    "nodesFormat",
    "tasksFormat",
    "networksFormat",
    "volumesFormat",
    "plugins",
    "experimental",
    "orchestrator",
    "stackOrchestrator",
    "kubernetes",
    "aliases",
    "features",
    "cliPluginsExtraDirs",
    "credentialSpecs",
];

/// Where credentials for one registry come from: ask `helper` first (when one is
/// configured); when it has none, use `stored` (docker-py's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialLookup {
    /// The registry, normalised.
    pub registry: String,
    /// The credential helper to ask, if `credHelpers`/`credsStore` names one.
    pub helper: Option<HelperQuery>,
    /// The `auths` entry for the registry (possibly empty), if any.
    pub stored: Option<AuthConfig>,
}

impl DockerConfig {
    /// Parses `config.json`, or a legacy `.dockercfg`: a flat JSON object of registries
    /// without the `auths` wrapper, or the two-line text format `auth = <base64>` /
    /// `email = <address>` (Docker Hub; edge case 47).
    ///
    /// Errors (with what to fix): a file that is none of these, a non-object `auths`
    /// or `auths` entry, an `auth` that is not base64 of `user:password`, helper
    /// names that are not strings. Empty input is an empty configuration.
    ///
    /// ```
    /// use berth_core::auth::DockerConfig;
    /// let c = DockerConfig::from_slice(br#"{
    ///     "auths": {"reg:5000": {"auth": "dTpwOnE="}, "docker.io": {}},
    ///     "credsStore": "desktop",
    ///     "credHelpers": {"reg:5000": "pass"}
    /// }"#)?;
    /// assert_eq!(c.auths["reg:5000"].password.as_deref(), Some("p:q"));
    /// assert!(c.auths["docker.io"].is_empty());
    /// assert_eq!(c.helper_for("reg:5000"), Some("pass"));
    /// assert_eq!(c.helper_for("other.io"), Some("desktop"));
    /// # Ok::<(), berth_core::Error>(())
    /// ```
    pub fn from_slice(bytes: &[u8]) -> Result<DockerConfig> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return Err(invalid("it is not UTF-8 text")),
        };
        if text.trim().is_empty() {
            return Ok(DockerConfig::default());
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => DockerConfig::from_object(map),
            Ok(_) => Err(invalid("it is JSON but not an object")),
            Err(json_error) => DockerConfig::from_legacy_text(text).map_err(|_| {
                invalid(&format!(
                    "it is neither JSON ({json_error}) nor the legacy `auth = …` format"
                ))
            }),
        }
    }

    fn from_object(mut map: Map<String, Value>) -> Result<DockerConfig> {
        let mut config = DockerConfig {
            creds_store: take_string(&mut map, "credsStore")?,
            detach_keys: take_string(&mut map, "detachKeys")?,
            current_context: take_string(&mut map, "currentContext")?,
            ..DockerConfig::default()
        };
        if let Some(h) = map.remove("credHelpers") {
            config.cred_helpers = string_map(h, "credHelpers")?;
        }
        if let Some(h) = map.remove("HttpHeaders") {
            config.http_headers = string_map(h, "HttpHeaders")?;
        }
        if let Some(Value::Object(p)) = map.remove("proxies") {
            config.proxies = p
                .iter()
                .map(|(k, v)| (k.clone(), ProxyEnv::from_config(v)))
                .collect();
        }
        match map.remove("auths") {
            Some(Value::Object(auths)) => {
                for (registry, entry) in auths {
                    let auth = parse_entry(&registry, &entry)?.ok_or_else(|| {
                        invalid(&format!(
                            "auths[{registry:?}] must be an object, found {}",
                            json_kind(&entry)
                        ))
                    })?;
                    config.auths.insert(registry, auth);
                }
            }
            Some(Value::Null) | None => {
                if config.creds_store.is_none() && config.cred_helpers.is_empty() {
                    // Legacy flat `.dockercfg`: registries at the top level; entries
                    // that are not objects are skipped, as docker-py does.
                    for (registry, entry) in &map {
                        if SETTINGS_KEYS.contains(&registry.as_str()) {
                            continue;
                        }
                        if let Some(auth) = parse_entry(registry, entry)? {
                            config.auths.insert(registry.clone(), auth);
                        }
                    }
                }
            }
            Some(other) => {
                return Err(invalid(&format!(
                    "\"auths\" must be an object, found {}",
                    json_kind(&other)
                )));
            }
        }
        Ok(config)
    }

    /// The two-line `.dockercfg`: `auth = <base64 user:password>` then
    /// `email = <address>`, for Docker Hub.
    fn from_legacy_text(text: &str) -> Result<DockerConfig> {
        let mut auth = None;
        let mut email = None;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| invalid("a legacy line is not `key = value`"))?;
            match key.trim() {
                "auth" => auth = Some(value.trim().to_owned()),
                "email" => email = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        let auth = auth.ok_or_else(|| invalid("the legacy format has no `auth = …` line"))?;
        let (username, password) = decode_basic_auth(&auth).map_err(|e| invalid(&e.to_string()))?;
        let mut config = DockerConfig::default();
        config.auths.insert(
            INDEX_NAME.to_owned(),
            AuthConfig {
                username: Some(username),
                password: Some(password),
                email,
                serveraddress: Some(INDEX_SERVER.to_owned()),
                ..AuthConfig::default()
            },
        );
        Ok(config)
    }

    /// The `auths` entry for `registry` (any spelling: `https://reg/v2/`, `reg`, Docker
    /// Hub as `docker.io`, `index.docker.io` or [`INDEX_SERVER`]): the exact key first,
    /// then keys that normalise to the same registry.
    pub fn auth_for(&self, registry: &str) -> Option<&AuthConfig> {
        let wanted = resolve_index_name(registry);
        self.auths
            .get(registry)
            .or_else(|| self.auths.get(&wanted))
            .or_else(|| {
                self.auths
                    .iter()
                    .find(|(k, _)| resolve_index_name(k) == wanted)
                    .map(|(_, v)| v)
            })
    }

    /// The credential helper for `registry`: its `credHelpers` entry (Docker Hub under
    /// [`INDEX_SERVER`]), else `credsStore`. Empty names count as unset.
    pub fn helper_for(&self, registry: &str) -> Option<&str> {
        let wanted = resolve_index_name(registry);
        let key = helper_server_url(&wanted);
        let per_registry = self
            .cred_helpers
            .get(&key)
            .or_else(|| self.cred_helpers.get(registry))
            .or_else(|| {
                self.cred_helpers
                    .iter()
                    .find(|(k, _)| resolve_index_name(k) == wanted)
                    .map(|(_, v)| v)
            });
        per_registry
            .or(self.creds_store.as_ref())
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Where the credentials for `registry` come from: which helper to ask (and with
    /// which server URL), and the `auths` entry to fall back to.
    pub fn lookup(&self, registry: &str) -> CredentialLookup {
        let registry = resolve_index_name(registry);
        CredentialLookup {
            helper: self
                .helper_for(&registry)
                .map(|store| HelperQuery::new(store, &helper_server_url(&registry))),
            stored: self.auth_for(&registry).cloned(),
            registry,
        }
    }

    /// Every `auths` entry with credentials, keyed as in the file (for
    /// `X-Registry-Config`; add what the credential store lists).
    pub fn stored_credentials(&self) -> BTreeMap<String, AuthConfig> {
        self.auths
            .iter()
            .filter(|(_, a)| !a.is_empty())
            .map(|(k, a)| (k.clone(), a.clone()))
            .collect()
    }
}

/// The server URL a credential helper knows a registry by: Docker Hub is
/// [`INDEX_SERVER`], others their `host[:port]`.
pub(super) fn helper_server_url(registry: &str) -> String {
    if resolve_index_name(registry) == INDEX_NAME {
        INDEX_SERVER.to_owned()
    } else {
        registry.to_owned()
    }
}

/// One `auths` entry; `None` when it is not an object.
fn parse_entry(registry: &str, entry: &Value) -> Result<Option<AuthConfig>> {
    let Value::Object(e) = entry else {
        return Ok(None);
    };
    let text = |k: &str| -> Result<Option<String>> {
        match e.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid(&format!(
                "auths[{registry:?}].{k} must be a string, found {}",
                json_kind(other)
            ))),
        }
    };
    let (username, password) = match text("auth")? {
        Some(a) => {
            let (u, p) = decode_basic_auth(&a)
                .map_err(|err| invalid(&format!("auths[{registry:?}]: {err}")))?;
            (Some(u).filter(|u| !u.is_empty()), Some(p))
        }
        None => (None, None),
    };
    let identitytoken = text("identitytoken")?;
    if username.is_none() && identitytoken.is_none() {
        // Managed by a credential store (or just an e-mail): nothing to send.
        return Ok(Some(AuthConfig::default()));
    }
    Ok(Some(AuthConfig {
        username,
        // An identity token wins over the password (edge case 39).
        password: if identitytoken.is_some() {
            None
        } else {
            password
        },
        email: text("email")?,
        serveraddress: Some(registry.to_owned()),
        identitytoken,
        registrytoken: text("registrytoken")?,
    }))
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid(&format!(
            "{key:?} must be a string, found {}",
            json_kind(&other)
        ))),
    }
}

fn string_map(value: Value, what: &str) -> Result<BTreeMap<String, String>> {
    match value {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(m) => m
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                other => Err(invalid(&format!(
                    "{what}[{k:?}] must be a string, found {}",
                    json_kind(&other)
                ))),
            })
            .collect(),
        other => Err(invalid(&format!(
            "{what:?} must be an object, found {}",
            json_kind(&other)
        ))),
    }
}

/// docker-py's `InvalidConfigFile`.
fn invalid(what: &str) -> Error {
    Error::InvalidArgument(format!(
        "invalid Docker config file: {what}; fix the file (config.json or .dockercfg)"
    ))
}
