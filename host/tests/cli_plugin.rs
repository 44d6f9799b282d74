//! `berth plugin run|inspect` through the real binary against the real daemon.
#![cfg(feature = "plugins")]

use std::process::{Command, Output};

use berth_tests::wasm::{build_guest, workspace};
use berth_tests::{docker_cli, unique};

fn berth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .env(
            "XDG_CACHE_HOME",
            workspace().join("target").join("cli-plugin-cache"),
        )
        .output()
        .expect("run berth")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn plugin_run_prints_the_plugins_result() {
    let wasm = build_guest("berth-example-raw-plugin");
    let wasm = wasm.to_str().expect("utf-8 path");
    let label = format!("berth.example={}", unique("cli"));
    let id = docker_cli(&[
        "run",
        "-d",
        "--label",
        "berth.test=1",
        "--label",
        &label,
        "busybox:berth-test",
        "sleep",
        "30",
    ]);
    let out = berth(&[
        "plugin",
        "run",
        wasm,
        "--allow",
        "containers.list",
        "--allow",
        "containers.inspect",
        "--label",
        &label,
        "--",
        &label,
    ]);
    docker_cli(&["rm", "-f", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the plugin prints JSON");
    assert_eq!(v["containers"][0]["id"], id.as_str(), "{v}");
    assert_eq!(v["containers"][0]["state"], "running");
}

#[test]
fn plugin_run_reports_denials_in_status_and_audit_file() {
    let wasm = build_guest("berth-hostile-guest");
    let wasm = wasm.to_str().expect("utf-8 path");
    let scope = format!("berth.hostile={}", unique("cli"));
    let audit = workspace()
        .join("target")
        .join(format!("{}.jsonl", unique("cli-audit")));
    let audit_s = audit.to_str().expect("utf-8 path");
    let grant = workspace()
        .join("target")
        .join(format!("{}.toml", unique("cli-grant")));
    std::fs::write(
        &grant,
        "allow = [\"containers.*\"]\nimages = [\"busybox:berth-test\"]\n",
    )
    .expect("write grant");
    let out = berth(&[
        "plugin",
        "run",
        wasm,
        "--grant",
        grant.to_str().expect("utf-8"),
        "--label",
        &scope,
        "--audit",
        audit_s,
        "--",
        "privileged",
        "",
        &scope,
    ]);
    let lines = std::fs::read_to_string(&audit).expect("audit file");
    let _ = std::fs::remove_file(&audit);
    let _ = std::fs::remove_file(&grant);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 request was denied by the policy"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("policy-denied"),
        "{}",
        text(&out.stdout)
    );
    let entry: serde_json::Value = serde_json::from_str(lines.trim()).expect("one JSON line");
    assert_eq!(entry["rule"], "privileged");
    assert_eq!(entry["decision"], "deny");
    assert!(docker_cli(&["ps", "-aq", "--filter", &format!("label={scope}")]).is_empty());
}

#[test]
fn plugin_run_fails_when_the_plugin_is_stopped() {
    let wasm = build_guest("berth-hostile-guest");
    let out = berth(&[
        "plugin",
        "run",
        wasm.to_str().expect("utf-8"),
        "--deadline",
        "500ms",
        "--",
        "spin",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("deadline"),
        "{}",
        text(&out.stderr)
    );
    let out = berth(&[
        "plugin",
        "run",
        wasm.to_str().expect("utf-8"),
        "--memory",
        "nonsense",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--memory"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plugin_inspect_lists_what_it_could_ask_for() {
    let wasm = build_guest("berth-example-raw-plugin");
    let out = berth(&["plugin", "inspect", "--json", wasm.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let imports: Vec<&str> = v["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert!(
        imports.contains(&"berth:engine/transport@0.1.0"),
        "{imports:?}"
    );
    let transport = v["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .find(|i| i["name"] == "berth:engine/transport@0.1.0")
        .expect("transport");
    let members = transport["members"].to_string();
    assert!(
        members.contains("func send") && members.contains("type error-code"),
        "{members}"
    );
    assert_eq!(v["exports"][0]["name"], "berth:engine/entry@0.1.0");
    assert_eq!(v["linked_with_engine"], false);
    let out = berth(&["plugin", "inspect", wasm.to_str().expect("utf-8")]);
    assert!(
        text(&out.stdout).contains("raw wire access"),
        "{}",
        text(&out.stdout)
    );
    let out = berth(&["plugin", "inspect", "/nonexistent.wasm"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/nonexistent.wasm"));
}
