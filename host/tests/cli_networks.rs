//! `berth network …` and `berth volume …` against the real daemon. Setup and checks
//! go through the docker CLI; whatever is created carries `berth.test=1` and is
//! removed by a guard, pass or fail.

use std::process::Command;

use berth_tests::{docker_cli, unique};

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
        "berth {args:?}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A failing berth run: its stderr (one line).
fn fails(args: &[&str]) -> String {
    let out = berth(args);
    assert_eq!(out.status.code(), Some(1), "berth {args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("berth: "), "{err}");
    err
}

/// Removes the named networks, volumes or containers when dropped.
struct Gone {
    kind: &'static str,
    names: Vec<String>,
}

impl Drop for Gone {
    fn drop(&mut self) {
        for n in &self.names {
            let mut cmd = Command::new("docker");
            cmd.args([self.kind, "rm"]);
            if self.kind != "network" {
                cmd.arg("-f");
            }
            let _ = cmd.arg(n).output();
        }
    }
}

#[test]
fn network_create_ls_inspect_rm() {
    let name = unique("cli-net");
    let _g = Gone {
        kind: "network",
        names: vec![name.clone()],
    };
    let mark = format!("berth.cli={name}");
    // A free 10.252.<n>.0/24: another n whenever the daemon reports an overlap, so the
    // IPAM assertions below always run.
    let mut n = u8::try_from(std::process::id() % 200).unwrap_or(0) + 20;
    let mut tries = 0;
    let (out, subnet, gateway) = loop {
        let subnet = format!("10.252.{n}.0/24");
        let gateway = format!("10.252.{n}.1");
        let out = berth(&[
            "network",
            "create",
            "--driver",
            "bridge",
            "--label",
            "berth.test=1",
            "--label",
            &mark,
            "--subnet",
            &subnet,
            "--gateway",
            &gateway,
            "--ip-range",
            &format!("10.252.{n}.128/25"),
            "--aux-address",
            &format!("r=10.252.{n}.2"),
            "--opt",
            "com.docker.network.driver.mtu=1400",
            "--internal",
            &name,
        ]);
        if out.status.success() || !String::from_utf8_lossy(&out.stderr).contains("overlap") {
            break (out, subnet, gateway);
        }
        tries += 1;
        assert!(
            tries < 16,
            "no free 10.252.x.0/24 subnet after {tries} tries"
        );
        n = (n - 20 + 37) % 200 + 20;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(id.len(), 64, "prints the id: {id}");
    assert_eq!(
        docker_cli(&[
            "network",
            "inspect",
            "--format",
            "{{.Id}} {{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}} {{.AuxiliaryAddresses}}{{end}} {{index .Options \"com.docker.network.driver.mtu\"}}",
            &name,
        ]),
        format!("{id} true {subnet} {gateway} 10.252.{n}.128/25 map[r:10.252.{n}.2] 1400")
    );

    let filter = format!("label={mark}");
    let table = ok(&["network", "ls", "--filter", &filter]);
    let mut lines = table.lines();
    let header = lines.next().expect("header");
    for col in ["NETWORK ID", "NAME", "DRIVER", "SCOPE"] {
        assert!(header.contains(col), "{header}");
    }
    let row = lines.next().expect("one row");
    assert!(
        row.starts_with(&id[..12]) && row.contains(&name) && row.contains("bridge"),
        "{row}"
    );
    assert!(row.trim_end().ends_with("local"), "{row}");
    assert!(lines.next().is_none(), "{table}");
    assert_eq!(
        ok(&["network", "ls", "-q", "--no-trunc", "-f", &filter]).trim(),
        id
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["network", "ls", "--json", "-f", &filter])).expect("JSON");
    assert_eq!(json[0]["Id"], id.as_str());

    let inspected: serde_json::Value =
        serde_json::from_str(&ok(&["network", "inspect", &name])).expect("JSON array");
    assert_eq!(inspected[0]["Name"], name.as_str());
    assert_eq!(inspected[0]["Labels"]["berth.test"], "1");

    // Inspect prints what it found, then fails for what it did not.
    let out = berth(&["network", "inspect", &name, "berth-no-such-network"]);
    assert_eq!(out.status.code(), Some(1));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));

    assert_eq!(ok(&["network", "rm", &name]).trim(), name);
    assert_eq!(
        docker_cli(&["network", "ls", "-q", "--filter", &filter]),
        ""
    );
}

#[test]
fn network_errors_are_one_line() {
    let err = fails(&["network", "rm", "bridge"]);
    assert!(
        err.contains("bridge is a pre-defined network and cannot be removed"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);
    let name = unique("cli-net-dup");
    let _g = Gone {
        kind: "network",
        names: vec![name.clone()],
    };
    ok(&["network", "create", "--label", "berth.test=1", &name]);
    let err = fails(&["network", "create", "--label", "berth.test=1", &name]);
    assert!(err.contains("already exists"), "{err}");
    let err = fails(&["network", "create", "--gateway", "10.1.1.1", &unique("x")]);
    assert!(err.contains("--subnet"), "{err}");
    let err = fails(&["network", "create", "--opt", "novalue", &unique("x")]);
    assert!(err.contains("key=value"), "{err}");
}

#[test]
fn volume_create_ls_inspect_rm() {
    let name = unique("cli-vol");
    let _g = Gone {
        kind: "volume",
        names: vec![name.clone()],
    };
    let mark = format!("berth.cli={name}");
    assert_eq!(
        ok(&[
            "volume",
            "create",
            "--label",
            "berth.test=1",
            "--label",
            &mark,
            "--opt",
            "type=tmpfs",
            "--opt",
            "device=tmpfs",
            &name,
        ])
        .trim(),
        name
    );
    assert_eq!(
        docker_cli(&[
            "volume",
            "inspect",
            "--format",
            "{{.Driver}} {{index .Labels \"berth.test\"}} {{.Options.type}}",
            &name
        ]),
        "local 1 tmpfs"
    );

    let filter = format!("label={mark}");
    let table = ok(&["volume", "ls", "--filter", &filter]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[0].starts_with("DRIVER") && lines[0].contains("VOLUME NAME"));
    assert!(
        lines[1].starts_with("local") && lines[1].ends_with(&name),
        "{}",
        lines[1]
    );
    assert_eq!(ok(&["volume", "ls", "-q", "-f", &filter]).trim(), name);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["volume", "inspect", &name])).expect("JSON");
    assert_eq!(json[0]["Name"], name.as_str());
    assert_eq!(json[0]["Options"]["device"], "tmpfs");

    // In use: refused, one line with the daemon's reason.
    let c = docker_cli(&[
        "create",
        "--label",
        "berth.test=1",
        "-v",
        &format!("{name}:/data"),
        "busybox:berth-test",
        "true",
    ]);
    let user = Gone {
        kind: "container",
        names: vec![c.clone()],
    };
    let err = fails(&["volume", "rm", &name]);
    assert!(err.contains("volume is in use"), "{err}");
    drop(user);

    assert_eq!(ok(&["volume", "rm", &name]).trim(), name);
    assert_eq!(docker_cli(&["volume", "ls", "-q", "--filter", &filter]), "");
    let err = fails(&["volume", "rm", &name]);
    assert!(err.contains("no such volume"), "{err}");
    // --force: a missing volume is not an error (the flag reaches the daemon).
    assert_eq!(ok(&["volume", "rm", "-f", &name]).trim(), name);
}

#[test]
fn volume_create_without_name_prints_the_generated_one() {
    let out = ok(&["volume", "create", "--label", "berth.test=1"]);
    let name = out.trim().to_owned();
    let _g = Gone {
        kind: "volume",
        names: vec![name.clone()],
    };
    assert_eq!(name.len(), 64, "{name}");
    assert_eq!(
        docker_cli(&["volume", "inspect", "--format", "{{.Name}}", &name]),
        name
    );
}
