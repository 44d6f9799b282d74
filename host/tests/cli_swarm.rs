//! The `berth` binary's swarm commands against the real daemon: `swarm init/leave`,
//! `node ls`, `secret ls/create/rm`, `service ls/create/ps/logs/rm`.
//!
//! One test, because the daemon has one swarm: it leaves any swarm an earlier run
//! left behind, inits, runs the commands in order and leaves; a guard force-leaves
//! even when an assertion fails.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use berth_tests::unique;

const IMAGE: &str = "127.0.0.1:5000/busybox:berth-test";

fn berth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .output()
        .expect("run berth")
}

/// Runs berth, asserting success; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = berth(args);
    assert!(
        out.status.success(),
        "berth {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(args)).expect("--json prints JSON")
}

fn docker_quiet(args: &[&str]) {
    let _ = Command::new("docker").args(args).output();
}

/// Force-leaves the swarm (and drops the bridge swarm mode leaves behind).
struct LeaveGuard;

impl Drop for LeaveGuard {
    fn drop(&mut self) {
        docker_quiet(&["swarm", "leave", "--force"]);
        docker_quiet(&["network", "rm", "docker_gwbridge"]);
    }
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(400));
    }
}

#[test]
fn swarm_node_secret_service_commands() {
    // Guard against a swarm an earlier run left active.
    docker_quiet(&["swarm", "leave", "--force"]);
    let out = berth(&["node", "ls"]);
    assert!(!out.status.success(), "node ls outside a swarm fails");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("berth: ") && err.contains("swarm"), "{err}");

    let _guard = LeaveGuard;
    let init = ok(&[
        "swarm",
        "init",
        "--advertise-addr",
        "127.0.0.1",
        "--listen-addr",
        "127.0.0.1:2377",
        "--default-addr-pool",
        "10.214.0.0/16",
        "--task-history-limit",
        "1",
    ]);
    assert!(init.contains("Swarm initialized"), "{init}");
    assert!(init.contains("SWMTKN-1-"), "{init}");

    let nodes = json(&["node", "ls", "--json"]);
    assert_eq!(nodes.as_array().map(Vec::len), Some(1));
    assert_eq!(nodes[0]["Spec"]["Role"], "manager");
    let table = ok(&["node", "ls"]);
    assert!(
        table.starts_with("ID") && table.contains("Leader"),
        "{table}"
    );

    let tag = unique("cli-swarm");
    let secret = format!("{tag}-secret");
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args([
            "secret",
            "create",
            "--label",
            "berth.test=1",
            "--label",
            &format!("berth.test.case={tag}"),
            &secret,
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"cli-secret-value\n")
        .expect("write stdin");
    let out = child.wait_with_output().expect("secret create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret_id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!secret_id.is_empty());
    let listed = ok(&[
        "secret",
        "ls",
        "-q",
        "-f",
        &format!("label=berth.test.case={tag}"),
    ]);
    assert_eq!(listed.trim(), secret_id);
    let table = ok(&["secret", "ls", "-f", &format!("name={secret}")]);
    assert!(table.contains(&secret), "{table}");
    // (Empty data would be refused first: "secret data must be larger than 0".)
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let dup = berth(&["secret", "create", &secret, manifest]);
    assert!(!dup.status.success());
    assert!(
        String::from_utf8_lossy(&dup.stderr).contains("conflict"),
        "{dup:?}"
    );

    let service = format!("{tag}-svc");
    let script = format!("cat /run/secrets/{secret}; echo cli-started; sleep 300");
    let id = ok(&[
        "service",
        "create",
        "--name",
        &service,
        "--replicas",
        "1",
        "--label",
        "berth.test=1",
        "--container-label",
        "berth.test=1",
        "--secret",
        &secret,
        "--constraint",
        "node.role==manager",
        "--env",
        "GREETING=hi",
        "--limit-memory",
        "64m",
        "--stop-grace-period",
        "1",
        IMAGE,
        "sh",
        "-c",
        &script,
    ]);
    assert!(!id.trim().is_empty());

    wait_for("a running task", || {
        let tasks = json(&["service", "ps", "--json", &service]);
        tasks
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["Status"]["State"] == "running"))
    });
    let ps = ok(&["service", "ps", &service]);
    assert!(
        ps.contains(&format!("{service}.1")) && ps.contains("running"),
        "{ps}"
    );
    wait_for("the task's output in the service logs", || {
        ok(&["service", "logs", &service]).contains("cli-started")
    });
    let logs = ok(&["service", "logs", "--tail", "all", &service]);
    assert!(logs.contains("cli-secret-value"), "{logs}");

    let ls = ok(&["service", "ls", "-f", &format!("name={service}")]);
    assert!(ls.contains(&service) && ls.contains("replicated"), "{ls}");
    wait_for("1/1 replicas", || {
        ok(&["service", "ls", "-f", &format!("name={service}")]).contains("1/1")
    });
    let services = json(&["service", "ls", "--json", "-f", "label=berth.test=1"]);
    assert!(
        services
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["Spec"]["Name"] == service.as_str())),
        "{services}"
    );

    assert_eq!(ok(&["service", "rm", &service]).trim(), service);
    let gone = berth(&["service", "rm", &service]);
    assert!(!gone.status.success());
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("not found"),
        "{gone:?}"
    );
    // The secret stays in use until the task is gone.
    wait_for("secret removal", || {
        berth(&["secret", "rm", &secret]).status.success()
    });
    assert!(
        ok(&["secret", "ls", "-q", "-f", &format!("name={secret}")])
            .trim()
            .is_empty()
    );

    assert_eq!(
        ok(&["swarm", "leave", "--force"]).trim(),
        "Node left the swarm."
    );
    assert_eq!(
        ok(&["swarm", "leave", "--force"]).trim(),
        "Node was not part of a swarm."
    );
    let out = berth(&["swarm", "leave"]);
    assert!(
        !out.status.success(),
        "unforced leave outside a swarm fails"
    );
}
