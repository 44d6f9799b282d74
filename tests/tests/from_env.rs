//! `from_env` resolution: DOCKER_HOST → DOCKER_CONTEXT → currentContext → default, with
//! real contexts on disk and a stand-in daemon that records where requests went.

use std::collections::HashMap;
use std::path::Path;

use berth::DockerBuilder;
use berth::core::daemon_host::context_meta_dir;
use berth_tests::fake::{Behaviour, FakeDaemon, TempDir, captured};

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

fn write_context(config_dir: &Path, name: &str, host: &str) {
    let dir = config_dir.join(context_meta_dir(name));
    std::fs::create_dir_all(&dir).expect("context dir");
    let meta = serde_json::json!({
        "Name": name,
        "Metadata": {},
        "Endpoints": { "docker": { "Host": host, "SkipTLSVerify": false } }
    });
    std::fs::write(dir.join("meta.json"), meta.to_string()).expect("meta.json");
}

async fn ping_daemon() -> FakeDaemon {
    FakeDaemon::start(Behaviour::ReplyThenClose(captured("ping.http"))).await
}

#[tokio::test]
async fn docker_host_wins_over_contexts() {
    let fake = ping_daemon().await;
    let cfg = TempDir::new("cfg");
    std::fs::write(cfg.0.join("config.json"), r#"{"currentContext":"other"}"#).expect("cfg");
    let b = DockerBuilder::from_vars(
        vars(&[
            ("DOCKER_HOST", &fake.url()),
            ("DOCKER_CONFIG", cfg.0.to_str().expect("utf8")),
            ("DOCKER_CONTEXT", "missing"),
        ]),
        None,
    )
    .expect("builder");
    assert_eq!(b.url(), fake.url());
    b.build().expect("client").ping().await.expect("ping");
    assert_eq!(fake.accepted(), 1);
}

#[tokio::test]
async fn current_context_from_config_json_is_used() {
    let fake = ping_daemon().await;
    let cfg = TempDir::new("cfg");
    std::fs::write(
        cfg.0.join("config.json"),
        r#"{"currentContext":"berth-ctx"}"#,
    )
    .expect("cfg");
    write_context(&cfg.0, "berth-ctx", &fake.url());
    let b = DockerBuilder::from_vars(
        vars(&[("DOCKER_CONFIG", cfg.0.to_str().expect("utf8"))]),
        None,
    )
    .expect("builder");
    assert_eq!(b.url(), fake.url());
    b.build()
        .expect("client")
        .ping()
        .await
        .expect("ping via context");
    assert_eq!(fake.accepted(), 1);
}

#[tokio::test]
async fn docker_context_env_overrides_current_context_and_headers_are_sent() {
    let fake = ping_daemon().await;
    let home = TempDir::new("home");
    let cfg = home.0.join(".docker");
    std::fs::create_dir_all(&cfg).expect("cfg dir");
    std::fs::write(
        cfg.join("config.json"),
        r#"{"currentContext":"nope","HttpHeaders":{"X-Berth-Test":"yes"}}"#,
    )
    .expect("cfg");
    write_context(&cfg, "chosen", &fake.url());
    let b = DockerBuilder::from_vars(
        vars(&[("DOCKER_CONTEXT", "chosen")]),
        Some(home.0.to_str().expect("utf8")),
    )
    .expect("builder");
    b.build().expect("client").ping().await.expect("ping");
    let heads = fake.request_heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].to_ascii_lowercase().contains("x-berth-test: yes"),
        "{}",
        heads[0]
    );
    assert!(heads[0].contains("User-Agent: berth/") || heads[0].contains("user-agent: berth/"));
}

#[test]
fn missing_context_is_a_clear_error() {
    let cfg = TempDir::new("cfg");
    let e = DockerBuilder::from_vars(
        vars(&[
            ("DOCKER_CONFIG", cfg.0.to_str().expect("utf8")),
            ("DOCKER_CONTEXT", "ghost"),
        ]),
        None,
    )
    .expect_err("no such context");
    assert!(e.to_string().contains("ghost"), "{e}");
}

#[test]
fn default_socket_and_pinned_version() {
    let cfg = TempDir::new("cfg");
    let b = DockerBuilder::from_vars(
        vars(&[
            ("DOCKER_CONFIG", cfg.0.to_str().expect("utf8")),
            ("DOCKER_API_VERSION", "1.30"),
        ]),
        None,
    )
    .expect("builder");
    assert_eq!(b.url(), "unix:///var/run/docker.sock");
    let bad = DockerBuilder::from_vars(vars(&[("DOCKER_API_VERSION", "latest")]), None);
    assert!(bad.is_err());
}

#[test]
fn tls_env_requires_readable_cert_files() {
    let certs = TempDir::new("certs");
    let b = DockerBuilder::from_vars(
        vars(&[
            ("DOCKER_HOST", "tcp://127.0.0.1:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", certs.0.to_str().expect("utf8")),
        ]),
        None,
    )
    .expect("builder reads env");
    let e = b.build().expect_err("no cert files in DOCKER_CERT_PATH");
    assert!(e.to_string().contains("ca.pem"), "{e}");
}
