//! Registry credentials in the client: the [`AuthStore`] (logins, `config.json`,
//! credential helpers), [`Docker::login`], and the `X-Registry-Auth` /
//! `X-Registry-Config` values registry operations send.
//!
//! Lookup order for a registry (docker-py's, with logins first so that explicit
//! credentials win, edge cases 48 and 49): credentials of a [`Docker::login`] in this
//! client; else the credential helper `config.json` names for the registry
//! (`credHelpers`, then `credsStore`); else its `auths` entry. `config.json` is read
//! the first time credentials are needed, and a helper is only run then, so a broken
//! or missing helper never troubles a client that needs no credentials (edge case 44).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use berth_core::api::images::{AuthLogin, parse_repository_tag};
use berth_core::auth::{
    AuthConfig, DockerConfig, HelperQuery, encode_registry_auth, encode_registry_config,
    parse_helper_list, resolve_index_name, resolve_repository_name,
};
use berth_core::model::Typed;
use berth_core::models::AuthResponse;
use berth_core::options::ProxyEnv;
use tokio::io::AsyncWriteExt as _;

use super::Docker;
use crate::error::{Error, Result};

/// How long a credential helper may take to answer.
const HELPER_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a client finds registry credentials.
///
/// A client starts with [`AuthStore::from_env`]; replace it with
/// [`Docker::set_auth_store`] (a fixed configuration, a directory holding the
/// credential helpers, extra environment for them).
///
/// ```
/// use berth::AuthStore;
/// use berth::core::auth::DockerConfig;
/// let config = DockerConfig::from_slice(br#"{"credHelpers": {"reg:5000": "mine"}}"#)?;
/// let store = AuthStore::empty()
///     .with_config(config)
///     .with_helper_dir("/opt/helpers")          // runs /opt/helpers/docker-credential-mine
///     .with_helper_env([("PASSWORD_STORE_DIR", "/secrets")]);
/// # let _ = store;
/// # Ok::<(), berth::core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct AuthStore {
    config: ConfigSource,
    logins: BTreeMap<String, Login>,
    helper_dir: Option<PathBuf>,
    helper_env: Vec<(String, String)>,
}

#[derive(Clone)]
struct Login {
    /// What the caller logged in with.
    given: AuthConfig,
    /// What is sent from now on (the identity token when the daemon returned one).
    effective: AuthConfig,
    /// The daemon's answer.
    answer: Typed<AuthResponse>,
}

#[derive(Clone, Default)]
enum ConfigSource {
    /// No configuration file.
    #[default]
    None,
    /// The first of these files that exists, read on first use.
    Files(Vec<PathBuf>),
    /// Read (or given).
    Loaded(Arc<DockerConfig>),
}

impl fmt::Debug for AuthStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = match &self.config {
            ConfigSource::None => "none".to_owned(),
            ConfigSource::Files(p) => format!("not read yet: {p:?}"),
            ConfigSource::Loaded(c) => format!(
                "{} auths, credsStore {:?}, {} credHelpers",
                c.auths.len(),
                c.creds_store,
                c.cred_helpers.len()
            ),
        };
        f.debug_struct("AuthStore")
            .field("config", &config)
            .field("logins", &self.logins.keys().collect::<Vec<_>>())
            .field("helper_dir", &self.helper_dir)
            .field(
                "helper_env",
                &self.helper_env.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl AuthStore {
    /// No configuration file and no logins: every registry is anonymous.
    pub fn empty() -> AuthStore {
        AuthStore::default()
    }

    /// The docker CLI's configuration: `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`, else the legacy `~/.dockercfg` — the first that exists,
    /// read when credentials are first needed.
    pub fn from_env() -> AuthStore {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
        let docker_config = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty());
        let mut files = Vec::new();
        if let Some(d) = docker_config {
            files.push(Path::new(&d).join("config.json"));
        }
        if let Some(h) = home {
            files.push(Path::new(&h).join(".docker").join("config.json"));
            files.push(Path::new(&h).join(".dockercfg"));
        }
        AuthStore {
            config: ConfigSource::Files(files),
            ..AuthStore::default()
        }
    }

    /// Reads the configuration from this file (read when first needed; a missing file
    /// is an empty configuration).
    pub fn with_config_file(mut self, path: impl Into<PathBuf>) -> AuthStore {
        self.config = ConfigSource::Files(vec![path.into()]);
        self
    }

    /// Uses this configuration instead of a file.
    pub fn with_config(mut self, config: DockerConfig) -> AuthStore {
        self.config = ConfigSource::Loaded(Arc::new(config));
        self
    }

    /// Runs credential helpers from this directory instead of looking them up on
    /// `PATH`.
    pub fn with_helper_dir(mut self, dir: impl Into<PathBuf>) -> AuthStore {
        self.helper_dir = Some(dir.into());
        self
    }

    /// Adds variables to the credential helpers' environment (docker-py's
    /// `credstore_env`, edge case 45).
    pub fn with_helper_env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> AuthStore {
        self.helper_env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Uses `auth` for its registry from now on (what a successful login does).
    pub fn remember(&mut self, auth: AuthConfig) {
        let answer = Typed::from_parts(
            serde_json::json!({"Status": "stored"}).into(),
            AuthResponse {
                status: "stored".into(),
                identity_token: None,
            },
            Vec::new(),
        );
        self.logins.insert(
            auth.registry(),
            Login {
                given: auth.clone(),
                effective: auth,
                answer,
            },
        );
    }

    /// Forgets the login credentials for `registry` (the configuration still applies).
    pub fn forget(&mut self, registry: &str) {
        self.logins.remove(&resolve_index_name(registry));
    }

    fn login_for(&self, registry: &str) -> Option<AuthConfig> {
        self.logins
            .get(&resolve_index_name(registry))
            .map(|l| l.effective.clone())
    }
}

/// A consistent view of the store, taken under the lock and used without it.
struct Snapshot {
    config: ConfigSource,
    helper_dir: Option<PathBuf>,
    helper_env: Vec<(String, String)>,
}

impl Docker {
    /// Replaces this client's credential store (shared by its clones).
    pub fn set_auth_store(&self, store: AuthStore) {
        *self.auth_write() = store;
    }

    /// A copy of this client's credential store.
    pub fn auth_store(&self) -> AuthStore {
        self.auth_read().clone()
    }

    fn auth_read(&self) -> std::sync::RwLockReadGuard<'_, AuthStore> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.inner
            .auth
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn auth_write(&self) -> std::sync::RwLockWriteGuard<'_, AuthStore> {
        self.inner
            .auth
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `POST /auth`: checks credentials with a registry through the daemon and, on
    /// success, keeps them in this client so later pulls and pushes to that registry
    /// use them (edge case 48). An `IdentityToken` in the answer replaces the password.
    ///
    /// Without `reauth`, logging in again with the same user name and password returns
    /// the earlier answer without asking the daemon. Wrong credentials are
    /// [`Category::Unauthorized`](crate::Category::Unauthorized); nothing is retried.
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// use berth::core::auth::AuthConfig;
    /// let answer = docker
    ///     .login(AuthConfig::password("berth", "berth-secret", "127.0.0.1:5001"), false)
    ///     .await?;
    /// println!("{}", answer.status); // Login Succeeded
    /// # Ok(()) }
    /// ```
    pub async fn login(&self, auth: AuthConfig, reauth: bool) -> Result<Typed<AuthResponse>> {
        let registry = auth.registry();
        if !reauth {
            let store = self.auth_read();
            if let Some(l) = store.logins.get(&registry)
                && l.given.username == auth.username
                && l.given.password == auth.password
                && l.given.identitytoken == auth.identitytoken
            {
                return Ok(l.answer.clone());
            }
        }
        let answer = self.execute(&AuthLogin { auth: auth.clone() }).await?;
        let effective = match answer.identity_token.as_deref() {
            Some(token) if !token.is_empty() => AuthConfig {
                username: auth.username.clone(),
                identitytoken: Some(token.to_owned()),
                serveraddress: auth.serveraddress.clone(),
                ..AuthConfig::default()
            },
            _ => auth.clone(),
        };
        self.auth_write().logins.insert(
            registry,
            Login {
                given: auth,
                effective,
                answer: answer.clone(),
            },
        );
        Ok(answer)
    }

    /// The credentials this client uses for `registry` (`docker.io`, `reg:5000`, any
    /// spelling), `None` when it has none. May read `config.json` and run a
    /// credential helper.
    pub async fn credentials_for(&self, registry: &str) -> Result<Option<AuthConfig>> {
        let registry = resolve_index_name(registry);
        if let Some(auth) = self.auth_read().login_for(&registry) {
            return Ok(Some(auth));
        }
        let snapshot = self.auth_snapshot()?;
        let ConfigSource::Loaded(config) = &snapshot.config else {
            return Ok(None);
        };
        let lookup = config.lookup(&registry);
        if let Some(query) = &lookup.helper
            && let Some(found) = run_helper(query, &snapshot).await?
        {
            return Ok(Some(found));
        }
        Ok(lookup.stored.filter(|a| !a.is_empty()))
    }

    /// The `X-Registry-Auth` value for operations on `image` (`repo[:tag]`): the
    /// credentials of its registry, or `{}` encoded when there are none.
    pub async fn registry_auth(&self, image: &str) -> Result<String> {
        let (repo, _) = parse_repository_tag(image);
        let name = resolve_repository_name(repo)?;
        let creds = self.credentials_for(&name.registry).await?;
        Ok(encode_registry_auth(creds.as_ref())?)
    }

    /// Every credential this client knows, keyed by registry: the `auths` entries, what
    /// the credential stores hold (`list`, then `get` for each), and logins (which
    /// win).
    pub async fn all_credentials(&self) -> Result<BTreeMap<String, AuthConfig>> {
        let snapshot = self.auth_snapshot()?;
        let mut all = BTreeMap::new();
        if let ConfigSource::Loaded(config) = &snapshot.config {
            all = config.stored_credentials();
            let mut queries: Vec<HelperQuery> = Vec::new();
            if let Some(store) = &config.creds_store {
                for server in run_helper_list(store, &snapshot).await?.into_keys() {
                    queries.push(HelperQuery::new(store, &server));
                }
            }
            for (server, store) in &config.cred_helpers {
                queries.push(HelperQuery::new(store, server));
            }
            for q in queries {
                if let Some(found) = run_helper(&q, &snapshot).await? {
                    all.insert(q.server_url.clone(), found);
                }
            }
        }
        for (registry, login) in &self.auth_read().logins {
            // The login replaces what is stored for the same registry under any of its
            // spellings (`https://index.docker.io/v1/` for a `docker.io` login, which is
            // the key the daemon's builder reads for Docker Hub).
            let host = resolve_index_name(registry);
            for (key, auth) in all.iter_mut() {
                if resolve_index_name(key) == host {
                    auth.clone_from(&login.effective);
                }
            }
            all.insert(registry.clone(), login.effective.clone());
        }
        Ok(all)
    }

    /// The `X-Registry-Config` value of a build: every credential this client knows
    /// ([`Docker::all_credentials`]), Docker Hub also under its index URL
    /// (edge cases 50, 51).
    pub async fn registry_config(&self) -> Result<String> {
        Ok(encode_registry_config(&self.all_credentials().await?)?)
    }

    /// The store's state, with `config.json` read if it was not yet.
    /// config.json's `proxies` for this daemon: the entry named by the daemon's
    /// address, else `default` (docker-py's `use_config_proxy`). `None` without any.
    pub fn config_proxy(&self) -> Result<Option<ProxyEnv>> {
        let snapshot = self.auth_snapshot()?;
        let ConfigSource::Loaded(config) = &snapshot.config else {
            return Ok(None);
        };
        let address = self.daemon_address();
        Ok(config
            .proxies
            .get(&address)
            .or_else(|| config.proxies.get("default"))
            .cloned())
    }

    fn auth_snapshot(&self) -> Result<Snapshot> {
        let files = {
            let store = self.auth_read();
            match &store.config {
                ConfigSource::Files(files) => files.clone(),
                other => {
                    return Ok(Snapshot {
                        config: other.clone(),
                        helper_dir: store.helper_dir.clone(),
                        helper_env: store.helper_env.clone(),
                    });
                }
            }
        };
        let config = read_config(&files)?;
        let mut store = self.auth_write();
        // Another task may have replaced the store meanwhile: only fill what we read.
        if matches!(&store.config, ConfigSource::Files(f) if *f == files) {
            store.config = ConfigSource::Loaded(Arc::new(config));
        }
        Ok(Snapshot {
            config: store.config.clone(),
            helper_dir: store.helper_dir.clone(),
            helper_env: store.helper_env.clone(),
        })
    }
}

/// Reads the first existing file (a small file: read in place).
fn read_config(files: &[PathBuf]) -> Result<DockerConfig> {
    for path in files {
        match std::fs::read(path) {
            Ok(bytes) => {
                return DockerConfig::from_slice(&bytes).map_err(|e| {
                    berth_core::Error::InvalidArgument(format!("{}: {e}", path.display())).into()
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::with_source(
                    berth_core::Error::InvalidArgument(format!(
                        "cannot read the Docker config file {}: {e}",
                        path.display()
                    )),
                    e,
                ));
            }
        }
    }
    Ok(DockerConfig::default())
}

fn helper_path(program: &str, snapshot: &Snapshot) -> PathBuf {
    match &snapshot.helper_dir {
        Some(dir) => dir.join(program),
        None => PathBuf::from(program),
    }
}

/// Runs `program action` with `input` on stdin; returns (success, stdout, stderr).
async fn run_program(
    program: &str,
    action: &str,
    input: &[u8],
    snapshot: &Snapshot,
) -> Result<(bool, Vec<u8>, Vec<u8>)> {
    let path = helper_path(program, snapshot);
    let mut cmd = tokio::process::Command::new(&path);
    cmd.arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &snapshot.helper_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| {
        let what = if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "the Docker config names the credential helper {program}, but {} was not \
                 found; install it, or remove credsStore/credHelpers from the config",
                path.display()
            )
        } else {
            format!("cannot run the credential helper {}: {e}", path.display())
        };
        Error::with_source(berth_core::Error::InvalidArgument(what), e)
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading its input is judged by its answer.
        let _ = stdin.write_all(input).await;
        drop(stdin);
    }
    let out = tokio::time::timeout(HELPER_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| {
            Error::timeout(format!(
                "credential helper {program} did not answer within {HELPER_TIMEOUT:?}"
            ))
        })?
        .map_err(|e| {
            Error::with_source(
                berth_core::Error::Protocol(format!("credential helper {program} failed: {e}")),
                e,
            )
        })?;
    Ok((out.status.success(), out.stdout, out.stderr))
}

async fn run_helper(query: &HelperQuery, snapshot: &Snapshot) -> Result<Option<AuthConfig>> {
    let (ok, stdout, stderr) =
        run_program(&query.program(), query.action(), &query.stdin(), snapshot).await?;
    Ok(query.parse(ok, &stdout, &stderr)?)
}

async fn run_helper_list(store: &str, snapshot: &Snapshot) -> Result<BTreeMap<String, String>> {
    let probe = HelperQuery::new(store, "");
    let (ok, stdout, stderr) = run_program(&probe.program(), "list", b"", snapshot).await?;
    if !ok {
        return Err(berth_core::Error::Protocol(format!(
            "credential helper {} list failed: {}",
            probe.program(),
            String::from_utf8_lossy(if stdout.is_empty() { &stderr } else { &stdout }).trim()
        ))
        .into());
    }
    Ok(parse_helper_list(&stdout)?)
}
