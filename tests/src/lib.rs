//! Shared helpers for berth's real-daemon integration tests.
//!
//! The tests need a real Docker daemon (DESIGN.md → Test engine). They do not skip when
//! none answers: [`docker`] fails with a message saying how to provision one.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Label put on everything tests create.
pub const TEST_LABEL: &str = "berth.test";

/// A client for the test daemon (`DOCKER_HOST` or the default socket). Panics with
/// instructions when no daemon answers.
pub async fn docker() -> berth::Docker {
    let docker = berth::Docker::from_env().expect("client from the environment");
    if let Err(e) = docker.ping().await {
        panic!(
            "no Docker daemon answers at {} ({e}).\n\
             berth's tests need a real daemon: run `tests/engine/provision.sh` as root \
             (or `scripts/test.sh`), or set DOCKER_HOST.",
            docker.daemon_address()
        );
    }
    docker
}

/// A name unique to this process and call, for objects tests create.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "berth-test-{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs the docker CLI (setup/teardown only: what is under test goes through berth).
pub fn docker_cli(args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI (from docker.io) runs");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub mod fake;
pub mod http;
pub mod registry;
pub mod wasm;
