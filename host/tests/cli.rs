//! The `berth` binary against the real daemon.

use std::process::Command;

use berth_tests::docker_cli;

fn berth(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .output()
        .expect("run berth")
}

fn stdout_json(args: &[&str]) -> serde_json::Value {
    let out = berth(args);
    assert!(
        out.status.success(),
        "berth {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

#[test]
fn version_and_info_json_match_the_daemon() {
    let v = stdout_json(&["version", "--json"]);
    assert_eq!(
        v["Version"],
        docker_cli(&["version", "--format", "{{.Server.Version}}"])
    );
    let i = stdout_json(&["info", "--json"]);
    assert_eq!(i["ID"], docker_cli(&["info", "--format", "{{.ID}}"]));
    let df = stdout_json(&["df", "--json"]);
    assert!(df["LayersSize"].as_i64().is_some() || df["ImageUsage"].is_object());
}

#[test]
fn human_output_names_the_server() {
    let out = berth(&["info"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Server Version:"), "{text}");
    let out = berth(&["df"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Images"));
}

#[test]
fn events_with_until_ends_and_prints_json_lines() {
    let id = docker_cli(&[
        "create",
        "--label",
        "berth.test=1",
        "busybox:berth-test",
        "true",
    ]);
    docker_cli(&["rm", &id]);
    let out = berth(&[
        "events",
        "--json",
        "--since",
        "5m",
        "--until",
        "0s",
        "--filter",
        "type=container",
        "--filter",
        &format!("container={id}"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let actions: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["Action"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(actions, ["create", "destroy"]);
}

#[test]
fn no_daemon_is_one_line_and_exit_code_1() {
    let out = berth(&["-H", "unix:///nonexistent/docker.sock", "info"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("unix:///nonexistent/docker.sock") && err.contains("DOCKER_HOST"),
        "{err}"
    );
}

#[test]
fn bad_filter_is_rejected() {
    let out = berth(&["events", "--filter", "novalue", "--until", "0s"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("key=value"));
}
