//! Registry auth against the real daemon and the provisioned htpasswd registry
//! (127.0.0.1:5001, user `berth`, password `berth-secret`): login success and failure,
//! push without credentials, push/pull after login, credentials from `config.json`,
//! from a credential helper, and a missing helper.
//!
//! Every test uses a client with its own [`AuthStore`] (never the user's config.json)
//! and removes the names it creates.

use std::path::{Path, PathBuf};

use berth::api::images::{ImagePull, ImagePush, ImageRemove, ProgressAggregator};
use berth::core::auth::{AuthConfig, DockerConfig, encode_basic_auth};
use berth::{AuthStore, Category, Docker};
use berth_tests::{docker, unique};
use futures_util::StreamExt;

const IMAGE: &str = "busybox:berth-test";
const AUTH_REGISTRY: &str = "127.0.0.1:5001";
const USER: &str = "berth";
const PASSWORD: &str = "berth-secret";

/// Image names removed with `docker rmi -f` on drop.
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    fn add(&mut self, name: impl Into<String>) -> String {
        let n = name.into();
        self.0.push(n.clone());
        n
    }
}

impl Drop for Names {
    fn drop(&mut self) {
        for n in self.0.iter().rev() {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f", n])
                .output();
        }
    }
}

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        let p = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A client whose credentials come only from `store`.
async fn client(store: AuthStore) -> Docker {
    let d = docker().await;
    // A fresh client: `docker()` shares nothing, but be explicit about the store.
    d.set_auth_store(store);
    d
}

fn good() -> AuthConfig {
    AuthConfig::password(USER, PASSWORD, AUTH_REGISTRY)
}

/// Tags the test image as a fresh repository on the auth registry.
async fn tagged(d: &Docker, names: &mut Names, prefix: &str) -> String {
    let remote = names.add(format!("{AUTH_REGISTRY}/{}:v1", unique(prefix)));
    d.images()
        .get(IMAGE)
        .await
        .expect("test image")
        .tag(&remote, None)
        .await
        .expect("tag");
    remote
}

async fn untag(d: &Docker, name: &str) {
    d.images()
        .remove(&ImageRemove {
            name: name.to_owned(),
            ..ImageRemove::default()
        })
        .await
        .expect("untag");
}

/// Pulls to the end; the folded progress.
async fn pull(d: &Docker, name: &str) -> berth::Result<ProgressAggregator> {
    let mut s = d.images().pull(&ImagePull::new(name)).await?;
    let mut agg = ProgressAggregator::new();
    while let Some(item) = s.next().await {
        agg.update_typed(&item?);
    }
    Ok(agg)
}

#[tokio::test]
async fn login_succeeds_and_fails_typed() {
    let d = client(AuthStore::empty()).await;
    let ok = d.login(good(), false).await.expect("login");
    assert_eq!(ok.status, "Login Succeeded", "{:?}", ok.attrs);
    assert_eq!(
        d.credentials_for(AUTH_REGISTRY).await.expect("lookup"),
        Some(good())
    );
    // Same credentials again without reauth: the earlier answer, no daemon call — so
    // it works even from a client whose daemon is gone, given the same store.
    assert_eq!(
        d.login(good(), false).await.expect("cached").attrs,
        ok.attrs
    );
    let gone = berth::Docker::builder("unix:///nonexistent/berth-test.sock")
        .api_version(berth::ApiVersion::new(1, 41))
        .build()
        .expect("client");
    gone.set_auth_store(d.auth_store());
    assert_eq!(
        gone.login(good(), false)
            .await
            .expect("cached, no daemon")
            .attrs,
        ok.attrs
    );
    assert!(
        gone.login(good(), true).await.is_err(),
        "reauth asks the (missing) daemon"
    );

    let bad = client(AuthStore::empty()).await;
    let e = bad
        .login(AuthConfig::password(USER, "wrong", AUTH_REGISTRY), true)
        .await
        .expect_err("wrong password");
    // dockerd 20.10 wraps the registry's 401 in a 500; berth reads it as Unauthorized
    // and keeps the daemon's status and message.
    assert_eq!(e.category(), Category::Unauthorized, "{e}");
    assert!(e.daemon_message().is_some_and(|m| m.contains("401")), "{e}");
    assert!(
        bad.credentials_for(AUTH_REGISTRY)
            .await
            .expect("lookup")
            .is_none()
    );
    let e = bad
        .login(AuthConfig::password("nobody", "x", AUTH_REGISTRY), true)
        .await
        .expect_err("unknown user");
    assert_eq!(e.category(), Category::Unauthorized, "{e}");
}

#[tokio::test]
async fn push_without_credentials_fails_inside_the_stream() {
    let d = client(AuthStore::empty()).await;
    let mut names = Names::default();
    let remote = tagged(&d, &mut names, "noauth").await;
    // The push is accepted (200) and fails inside the stream.
    let mut s = d
        .images()
        .push(&ImagePush::new(remote.clone()))
        .await
        .expect("the daemon accepts the push");
    let mut failure = None;
    while let Some(item) = s.next().await {
        if let Err(e) = item {
            failure = Some(e);
            break;
        }
    }
    let e = failure.expect("an error object in the stream");
    assert_eq!(e.category(), Category::Stream, "{e}");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("no basic auth credentials")),
        "{e}"
    );
    // The same through the to-the-end helper, and for pull and registry data.
    let e = d
        .images()
        .push_to_end(&ImagePush::new(remote.clone()), |_| {})
        .await
        .expect_err("no credentials");
    assert_eq!(e.category(), Category::Stream);
    let e = d
        .images()
        .registry_data(&remote)
        .await
        .expect_err("no credentials");
    assert_eq!(e.category(), Category::Server, "{e}");
}

#[tokio::test]
async fn after_login_push_and_pull_use_the_new_credentials() {
    let d = client(AuthStore::empty()).await;
    let mut names = Names::default();
    let remote = tagged(&d, &mut names, "login").await;
    d.login(good(), false).await.expect("login");
    let pushed = d
        .images()
        .push_to_end(&ImagePush::new(remote.clone()), |_| {})
        .await
        .expect("push after login");
    let digest = pushed.digest().expect("digest").to_owned();
    let data = d
        .images()
        .registry_data(&remote)
        .await
        .expect("registry data");
    assert_eq!(data.digest(), Some(digest.as_str()));

    untag(&d, &remote).await;
    let agg = pull(&d, &remote).await.expect("pull after login");
    assert!(agg.is_complete(), "{agg:?}");
    assert_eq!(agg.digest(), Some(digest.as_str()));
    assert!(d.images().get(&remote).await.is_ok());

    // Another client without the login cannot pull it.
    untag(&d, &remote).await;
    let anonymous = client(AuthStore::empty()).await;
    let e = pull(&anonymous, &remote).await.expect_err("anonymous pull");
    assert!(
        matches!(
            e.category(),
            Category::Server | Category::Stream | Category::Unauthorized
        ),
        "{e}"
    );

    // Credentials from a config.json file (auths, base64 user:password) work too.
    let dir = TempDir::new("config");
    let file = dir.path().join("config.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "auths": {
                format!("http://{AUTH_REGISTRY}/v2/"): {"auth": encode_basic_auth(USER, PASSWORD)}
            }
        })
        .to_string(),
    )
    .expect("write config");
    let from_file = client(AuthStore::empty().with_config_file(&file)).await;
    pull(&from_file, &remote)
        .await
        .expect("pull with config.json credentials");
}

/// Writes the credential helper `docker-credential-berthtest` into `dir`: it logs what
/// it was asked to `dir/asked` and answers the protocol for 127.0.0.1:5001 only.
fn write_helper(dir: &Path) {
    let script = format!(
        r#"#!/bin/sh
[ "$1" = get ] || {{ echo "unsupported action $1"; exit 1; }}
read -r server || true
printf '%s %s\n' "$server" "$BERTH_HELPER_TAG" >> "{log}"
if [ "$server" = "{AUTH_REGISTRY}" ]; then
  printf '{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}\n' "$server"
else
  echo "credentials not found in native keychain"
  exit 1
fi
"#,
        log = dir.join("asked").display()
    );
    let path = dir.join("docker-credential-berthtest");
    std::fs::write(&path, script).expect("write helper");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[tokio::test]
async fn credential_helper_supplies_credentials() {
    let dir = TempDir::new("helper");
    write_helper(dir.path());
    let config = DockerConfig::from_slice(
        serde_json::json!({
            "auths": {AUTH_REGISTRY: {}},
            "credHelpers": {AUTH_REGISTRY: "berthtest", "other.example": "berthtest"}
        })
        .to_string()
        .as_bytes(),
    )
    .expect("config");
    let store = AuthStore::empty()
        .with_config(config)
        .with_helper_dir(dir.path())
        .with_helper_env([("BERTH_HELPER_TAG", "env-passed")]);
    let d = client(store).await;

    let creds = d
        .credentials_for(AUTH_REGISTRY)
        .await
        .expect("helper")
        .expect("credentials");
    assert_eq!(creds, good());
    // "credentials not found" is not an error: no credentials.
    assert_eq!(
        d.credentials_for("other.example").await.expect("lookup"),
        None
    );

    let mut names = Names::default();
    let remote = tagged(&d, &mut names, "helper").await;
    d.images()
        .push_to_end(&ImagePush::new(remote.clone()), |_| {})
        .await
        .expect("push with helper credentials");
    untag(&d, &remote).await;
    let agg = pull(&d, &remote)
        .await
        .expect("pull with helper credentials");
    assert!(agg.is_complete());
    let asked = std::fs::read_to_string(dir.path().join("asked")).expect("helper log");
    assert!(
        asked
            .lines()
            .any(|l| l == format!("{AUTH_REGISTRY} env-passed")),
        "{asked}"
    );
    assert!(asked.contains("other.example"), "{asked}");
}

#[tokio::test]
async fn a_missing_helper_only_fails_when_credentials_are_needed() {
    let dir = TempDir::new("nohelper");
    let config = DockerConfig::from_slice(br#"{"credsStore": "berth-missing"}"#).expect("config");
    let d = client(
        AuthStore::empty()
            .with_config(config)
            .with_helper_dir(dir.path()),
    )
    .await;
    // Operations without a registry are unaffected.
    assert!(d.images().get(IMAGE).await.is_ok());
    let e = d
        .credentials_for(AUTH_REGISTRY)
        .await
        .expect_err("helper missing");
    assert_eq!(e.category(), Category::InvalidArgument, "{e}");
    assert!(
        e.to_string().contains("docker-credential-berth-missing"),
        "{e}"
    );
    let e = pull(&d, "127.0.0.1:5000/busybox:berth-test")
        .await
        .expect_err("the pull needs the helper");
    assert_eq!(e.category(), Category::InvalidArgument, "{e}");
    // A login's explicit credentials win over the store (edge case 49).
    d.login(good(), false).await.expect("login");
    assert_eq!(
        d.credentials_for(AUTH_REGISTRY).await.expect("login wins"),
        Some(good())
    );
}

#[tokio::test]
async fn a_login_replaces_stored_credentials_under_every_spelling_of_its_registry() {
    // Stale credentials stored as `http://127.0.0.1:5001` (as Docker Hub's are stored as
    // `https://index.docker.io/v1/` while a login says `docker.io`).
    let spelled = format!("http://{AUTH_REGISTRY}");
    let stale = encode_basic_auth(USER, "stale");
    let config = DockerConfig::from_slice(
        format!(r#"{{"auths": {{"{spelled}": {{"auth": "{stale}"}}}}}}"#).as_bytes(),
    )
    .expect("config");
    let d = client(AuthStore::empty().with_config(config)).await;
    let before = d.all_credentials().await.expect("all");
    assert_eq!(
        before.get(&spelled).and_then(|a| a.password.as_deref()),
        Some("stale")
    );
    d.login(good(), false).await.expect("login");
    let after = d.all_credentials().await.expect("all");
    // What a build sends (X-Registry-Config): the login under both keys.
    assert_eq!(after.get(&spelled), Some(&good()), "{after:?}");
    assert_eq!(after.get(AUTH_REGISTRY), Some(&good()));
}

#[test]
fn blocking_login_and_lookup() {
    let d = berth::blocking::Docker::from_env().expect("client");
    d.set_auth_store(AuthStore::empty());
    let ok = d.login(good(), true).expect("login");
    assert_eq!(ok.status, "Login Succeeded");
    assert_eq!(
        d.credentials_for(&format!("http://{AUTH_REGISTRY}/v2/"))
            .expect("lookup"),
        Some(good())
    );
    let all = d.all_credentials().expect("all");
    assert_eq!(all.get(AUTH_REGISTRY), Some(&good()));
    let e = d
        .login(AuthConfig::password(USER, "wrong", AUTH_REGISTRY), true)
        .expect_err("wrong");
    assert_eq!(e.category(), Category::Unauthorized);
}
