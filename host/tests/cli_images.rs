//! The `berth` image commands against the real daemon and the provisioned
//! registries: images, tag, rmi, save/load, pull, push, login.

use std::io::Write;
use std::process::{Command, Stdio};

use berth_tests::{docker_cli, unique};

const IMAGE: &str = "busybox:berth-test";

fn berth(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .output()
        .expect("run berth")
}

fn ok(args: &[&str]) -> String {
    let out = berth(args);
    assert!(
        out.status.success(),
        "berth {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Image names removed with `docker rmi -f` on drop.
struct Names(Vec<String>);

impl Drop for Names {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = Command::new("docker").args(["rmi", "-f", n]).output();
        }
    }
}

/// A temporary file path, removed on drop.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn images_lists_the_test_image() {
    let id = docker_cli(&["image", "inspect", "--format", "{{.Id}}", IMAGE]);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["images", "--json", "busybox"])).expect("JSON");
    assert!(
        json.as_array()
            .expect("array")
            .iter()
            .any(|i| i["Id"] == id.as_str()),
        "{json}"
    );
    let table = ok(&["images", "busybox"]);
    let header = table.lines().next().expect("header");
    assert!(header.starts_with("REPOSITORY"), "{table}");
    let short = &id["sha256:".len().."sha256:".len() + 12];
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("busybox") && l.contains("berth-test") && l.contains(short)),
        "{table}"
    );
    let quiet = ok(&["images", "-q", "--no-trunc", IMAGE]);
    assert_eq!(quiet.trim(), id);
}

#[test]
fn tag_save_rmi_load_round_trip() {
    let name = format!("{}:cli", unique("cli-save"));
    let _names = Names(vec![name.clone()]);
    ok(&["tag", IMAGE, &name]);
    assert!(ok(&["images", "-q", &name]).trim().len() == 12);

    let file = TempFile(std::env::temp_dir().join(format!("{}.tar", unique("cli-save"))));
    let path = file.0.to_str().expect("utf-8 path");
    ok(&["save", "-o", path, &name]);
    assert!(std::fs::metadata(&file.0).expect("saved").len() > 1024);

    let out = ok(&["rmi", &name]);
    assert_eq!(out.trim(), format!("Untagged: {name}"));
    assert!(ok(&["images", "-q", &name]).trim().is_empty());

    let out = ok(&["load", "-i", path]);
    assert_eq!(out.trim(), format!("Loaded image: {name}"));
    assert!(!ok(&["images", "-q", &name]).trim().is_empty());

    // Load from stdin too.
    ok(&["rmi", &name]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["load"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let bytes = std::fs::read(&file.0).expect("read");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&bytes)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&name));

    let out = berth(&["rmi", "berth-no-such:image"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No such image"), "{err}");
    let out = berth(&["save", "-o", path, "berth-no-such:image"]);
    assert!(!out.status.success());
}

#[test]
fn push_and_pull_print_per_layer_progress() {
    let remote = format!("127.0.0.1:5000/{}:cli", unique("cli-push"));
    let _names = Names(vec![remote.clone()]);
    ok(&["tag", IMAGE, &remote]);
    let out = ok(&["push", &remote]);
    assert!(out.contains("The push refers to repository"), "{out}");
    assert!(
        out.lines().any(|l| l.ends_with(": Pushed")
            || l.ends_with(": Layer already exists")
            || l.contains(": Mounted from")),
        "{out}"
    );
    ok(&["rmi", &remote]);
    let out = ok(&["pull", &remote]);
    assert!(
        out.lines().any(|l| l.starts_with("Digest: sha256:")),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some(remote.as_str()), "{out}");
    let out = ok(&["pull", "-q", &remote]);
    assert_eq!(out.trim(), remote);

    let out = berth(&["pull", "127.0.0.1:5000/busybox:berth-no-such-tag"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("image not found"), "{err}");
}

#[test]
fn login_checks_credentials() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["login", "-u", "berth", "--password-stdin", "127.0.0.1:5001"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"berth-secret\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Login Succeeded"
    );

    let out = berth(&["login", "-u", "berth", "-p", "wrong", "127.0.0.1:5001"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("berth: unauthorized"), "{err}");
    let out = berth(&["login", "-u", "berth", "127.0.0.1:5001"]);
    assert!(!out.status.success());
}
