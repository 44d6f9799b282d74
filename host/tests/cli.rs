//! The `berth` binary against the real daemon.

use std::io::Write;
use std::process::{Command, Stdio};

use berth_tests::{docker_cli, unique};

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

/// dockerd runs one disk-usage operation at a time and answers a concurrent one with 500
/// "a disk usage operation is already running": the tests that run `berth df` take turns.
fn df_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
    let df = {
        let _turn = df_turn();
        stdout_json(&["df", "--json"])
    };
    assert!(df["LayersSize"].as_i64().is_some() || df["ImageUsage"].is_object());
}

#[test]
fn bad_times_are_errors_not_panics() {
    for bad in [
        "1.ééééé",
        "1.5x",
        "99999999999999h",
        "9999999999999m",
        "abc",
        "1.",
    ] {
        let out = berth(&["events", "--since", bad, "--until", "0s"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(101), "{bad}: panicked: {err}");
        assert!(!out.status.success(), "{bad}");
        assert!(
            err.contains("neither a Unix time nor a duration"),
            "{bad}: {err}"
        );
    }
    // The good forms still work.
    for good in [
        "1700000000",
        "1700000000.5",
        "1700000000.123456789123",
        "90s",
    ] {
        let out = berth(&["events", "--since", good, "--until", "0s", "--json"]);
        assert!(
            out.status.success(),
            "{good}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn human_output_names_the_server() {
    let out = berth(&["info"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Server Version:"), "{text}");
    let out = {
        let _turn = df_turn();
        berth(&["df"])
    };
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

// ---- container commands ----

const IMAGE: &str = "busybox:berth-test";

/// Removes the named containers (`docker rm -f`) when dropped, pass or fail.
struct Gone(Vec<String>);

impl Gone {
    fn one(name: &str) -> Gone {
        Gone(vec![name.to_owned()])
    }
}

impl Drop for Gone {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .arg("rm")
            .arg("-f")
            .args(&self.0)
            .output();
    }
}

/// A scratch directory, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(prefix: &str) -> Scratch {
        let dir = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    fn path(&self, rel: &str) -> String {
        self.0.join(rel).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// berth with `input` piped to its stdin.
fn berth_with_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run berth");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input).expect("write berth's stdin");
    drop(stdin); // EOF
    child.wait_with_output().expect("berth ends")
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running `sleep` container made with the docker CLI, labelled, with its guard.
fn sleeper(prefix: &str) -> (String, Gone) {
    detached(prefix, &["sleep", "300"])
}

/// A container running `cmd`, started detached with the docker CLI, labelled, with its
/// guard.
fn detached(prefix: &str, cmd: &[&str]) -> (String, Gone) {
    let name = unique(prefix);
    let guard = Gone::one(&name);
    let mut args = vec![
        "run",
        "-d",
        "--label",
        "berth.test=1",
        "--name",
        &name,
        IMAGE,
    ];
    args.extend_from_slice(cmd);
    docker_cli(&args);
    (name, guard)
}

fn state(name: &str, field: &str) -> String {
    docker_cli(&[
        "inspect",
        "--format",
        &format!("{{{{.State.{field}}}}}"),
        name,
    ])
}

#[test]
fn ps_lists_labelled_containers_with_quiet_and_filters() {
    let name = unique("ps");
    let _g = Gone::one(&name);
    // A label of its own, so the filter has exactly one match.
    let mark = format!("berth.cli={name}");
    let id2 = docker_cli(&[
        "run",
        "-d",
        "--label",
        "berth.test=1",
        "--label",
        &mark,
        "--name",
        &name,
        IMAGE,
        "sleep",
        "300",
    ]);

    let table = ok(&berth(&["ps"]), "ps");
    let header = table.lines().next().expect("a header line");
    for col in ["CONTAINER ID", "IMAGE", "COMMAND", "STATUS", "NAMES"] {
        assert!(header.contains(col), "{header}");
    }
    let row = table
        .lines()
        .find(|l| l.ends_with(&name))
        .unwrap_or_else(|| panic!("{name} listed in\n{table}"));
    assert!(
        row.starts_with(&id2[..12]) && row.contains(IMAGE) && row.contains("\"sleep 300\""),
        "{row}"
    );
    assert!(row.contains("Up "), "{row}");

    let label_filter = format!("label={mark}");
    let quiet = ok(&berth(&["ps", "-q", "--filter", &label_filter]), "ps -q");
    assert_eq!(quiet.trim(), &id2[..12]);
    let json = stdout_json(&["ps", "--json", "-f", &label_filter]);
    let list = json.as_array().expect("a JSON array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["Id"], id2.as_str());

    // Stopped containers only with -a.
    docker_cli(&["stop", "-t", "0", &name]);
    assert_eq!(
        ok(&berth(&["ps", "-q", "-f", &label_filter]), "ps").trim(),
        ""
    );
    assert_eq!(
        ok(&berth(&["ps", "-aq", "-f", &label_filter]), "ps -a").trim(),
        &id2[..12]
    );
}

#[test]
fn run_detached_creates_a_running_container_from_the_flags() {
    let name = unique("run-d");
    let _g = Gone::one(&name);
    let out = berth(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        "berth.test=1",
        "-l",
        "role=cli",
        "-e",
        "GREETING=hi",
        "-m",
        "64m",
        "--network",
        "none",
        "-w",
        "/tmp",
        IMAGE,
        "sleep",
        "300",
    ]);
    let id = ok(&out, "run -d").trim().to_owned();
    assert_eq!(id.len(), 64, "{id}");
    assert_eq!(docker_cli(&["inspect", "--format", "{{.Id}}", &name]), id);
    assert_eq!(state(&name, "Running"), "true");
    let config = |f: &str| docker_cli(&["inspect", "--format", f, &name]);
    assert!(config("{{json .Config.Env}}").contains("GREETING=hi"));
    assert_eq!(config("{{.HostConfig.Memory}}"), "67108864");
    assert_eq!(config("{{.HostConfig.NetworkMode}}"), "none");
    assert_eq!(config("{{index .Config.Labels \"role\"}}"), "cli");
    assert_eq!(config("{{.Config.WorkingDir}}"), "/tmp");
    assert_eq!(config("{{json .Config.Cmd}}"), r#"["sleep","300"]"#);
}

#[test]
fn run_publishes_ports_and_mounts_binds_from_the_flags() {
    let name = unique("run-pv");
    let _g = Gone::one(&name);
    let dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&dir).expect("bind source");
    std::fs::write(dir.join("hello.txt"), "from the host\n").expect("host file");
    let bind = format!("{}:/data:ro", dir.display());
    let out = berth(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        "berth.test=1",
        "-p",
        "127.0.0.1::80",
        "-p",
        "8080/udp",
        "-v",
        &bind,
        IMAGE,
        "sleep",
        "300",
    ]);
    ok(&out, "run -d -p -v");
    let inspect = |f: &str| docker_cli(&["inspect", "--format", f, &name]);
    // A random host port on 127.0.0.1 for 80/tcp; udp published on every address.
    let tcp = inspect("{{json (index .NetworkSettings.Ports \"80/tcp\")}}");
    let tcp: serde_json::Value = serde_json::from_str(&tcp).expect("json");
    assert_eq!(tcp[0]["HostIp"], "127.0.0.1", "{tcp}");
    let port: u16 = tcp[0]["HostPort"]
        .as_str()
        .expect("HostPort")
        .parse()
        .expect("a port");
    assert!(port > 0);
    assert!(
        inspect("{{json .HostConfig.PortBindings}}").contains("\"8080/udp\""),
        "{}",
        inspect("{{json .HostConfig.PortBindings}}")
    );
    let out = berth(&[
        "exec",
        &name,
        "sh",
        "-c",
        "cat /data/hello.txt; touch /data/x",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from the host\n");
    assert_ne!(
        out.status.code(),
        Some(0),
        "read-only bind: the write fails"
    );
    assert!(!dir.join("x").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_attached_prints_output_and_exits_with_the_container_status() {
    let name = unique("run-a");
    let _g = Gone::one(&name);
    let out = berth(&[
        "run",
        "--name",
        &name,
        "--label",
        "berth.test=1",
        IMAGE,
        "sh",
        "-c",
        "echo hi; echo oops >&2; exit 3",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "oops\n");
    // Without --rm the container stays, exited.
    assert_eq!(state(&name, "Status"), "exited");
}

#[test]
fn run_rm_and_interactive_leave_no_container() {
    let name = unique("run-rm");
    let _g = Gone::one(&name);
    let out = berth_with_stdin(
        &[
            "run",
            "--rm",
            "-i",
            "--name",
            &name,
            "--label",
            "berth.test=1",
            IMAGE,
            "cat",
        ],
        b"piped through\n",
    );
    assert_eq!(ok(&out, "run --rm -i"), "piped through\n");
    let left = docker_cli(&["ps", "-aq", "--filter", &format!("name=^{name}$")]);
    assert_eq!(left, "", "run --rm left {left}");

    // --rm with a failing command: the status comes through and the container goes.
    let out = berth(&[
        "run",
        "--rm",
        "--name",
        &name,
        "--label",
        "berth.test=1",
        IMAGE,
        "sh",
        "-c",
        "exit 2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        docker_cli(&["ps", "-aq", "--filter", &format!("name=^{name}$")]),
        ""
    );
}

#[test]
fn run_pulls_a_missing_image() {
    // A tag of the CLI's own in the local registry, so other tests' pulls of
    // `berth-test` are not disturbed; fixed, so reruns do not pile tags up there.
    let image = "127.0.0.1:5000/busybox:berth-cli-pull".to_owned();
    docker_cli(&["tag", IMAGE, &image]);
    docker_cli(&["push", &image]);
    docker_cli(&["rmi", &image]);
    struct Untag(String);
    impl Drop for Untag {
        fn drop(&mut self) {
            let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
        }
    }
    let _untag = Untag(image.clone());
    let name = unique("run-pull");
    let _g = Gone::one(&name);
    let out = berth(&[
        "run",
        "--rm",
        "--name",
        &name,
        "--label",
        "berth.test=1",
        &image,
        "echo",
        "pulled",
    ]);
    assert_eq!(ok(&out, "run pulling"), "pulled\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unable to find image"));
}

#[test]
fn logs_keep_stdout_and_stderr_apart() {
    let name = unique("logs");
    let _g = Gone::one(&name);
    docker_cli(&[
        "run",
        "--label",
        "berth.test=1",
        "--name",
        &name,
        IMAGE,
        "sh",
        "-c",
        "echo one; echo two; echo bad >&2; echo three",
    ]);
    let out = berth(&["logs", &name]);
    assert_eq!(ok(&out, "logs"), "one\ntwo\nthree\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "bad\n");

    // stdout and stderr are logged by separate copiers: either may be the last line.
    let out = berth(&["logs", "--tail", "1", &name]);
    let last = (
        ok(&out, "logs --tail"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        last == ("three\n".to_owned(), String::new())
            || last == (String::new(), "bad\n".to_owned()),
        "{last:?}"
    );
    let out = berth(&["logs", "-t", "--tail", "all", &name]);
    let first = ok(&out, "logs -t")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        first.ends_with(" one") && first.starts_with("20"),
        "{first}"
    );

    // -f on a stopped container ends by itself.
    let out = berth(&["logs", "-f", &name]);
    assert_eq!(ok(&out, "logs -f"), "one\ntwo\nthree\n");
}

#[test]
fn logs_follow_prints_new_lines_of_a_running_container() {
    let (name, _g) = detached(
        "logs-f",
        &["sh", "-c", "echo first; sleep 2; echo second; sleep 1"],
    );
    // Started while only `first` is logged; `second` comes while following, and the
    // command ends when the container does.
    let started = std::time::Instant::now();
    let out = berth(&["logs", "-f", &name]);
    assert_eq!(ok(&out, "logs -f"), "first\nsecond\n");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1500),
        "followed until the container ended: {:?}",
        started.elapsed()
    );
}

#[test]
fn exec_returns_the_exit_code_and_copies_stdin() {
    let (name, _g) = sleeper("exec");
    let out = berth(&["exec", &name, "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");

    let out = berth(&[
        "exec",
        "-e",
        "X=1",
        "-w",
        "/tmp",
        "-u",
        "nobody",
        &name,
        "sh",
        "-c",
        "echo $X $PWD $(id -u)",
    ]);
    assert_eq!(ok(&out, "exec -e -w -u"), "1 /tmp 65534\n");

    let input = b"line one\nline two\n";
    let out = berth_with_stdin(&["exec", "-i", &name, "cat"], input);
    assert_eq!(ok(&out, "exec -i").as_bytes(), input);
    // A larger input than one pipe buffer, in and out at once.
    let big: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let out = berth_with_stdin(&["exec", "-i", &name, "wc", "-c"], &big);
    assert_eq!(ok(&out, "exec -i wc").trim(), "200000");
}

#[test]
fn stop_start_wait_inspect_rm() {
    let (name, _g) = sleeper("life");
    let out = berth(&["stop", "-t", "0", &name]);
    assert_eq!(ok(&out, "stop"), format!("{name}\n"));
    assert_eq!(state(&name, "Running"), "false");

    let out = berth(&["start", &name]);
    assert_eq!(ok(&out, "start"), format!("{name}\n"));
    assert_eq!(state(&name, "Running"), "true");

    let inspected = stdout_json(&["inspect", &name]);
    let list = inspected.as_array().expect("an array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["Name"], format!("/{name}").as_str());
    assert_eq!(list[0]["State"]["Running"], true);

    // A running container is not removed without -f.
    let out = berth(&["rm", &name]);
    assert_eq!(out.status.code(), Some(1));
    let out = berth(&["rm", "-f", "-v", &name]);
    assert_eq!(ok(&out, "rm -f"), format!("{name}\n"));
    assert_eq!(
        docker_cli(&["ps", "-aq", "--filter", &format!("name=^{name}$")]),
        ""
    );

    let exits = unique("wait");
    let _g2 = Gone::one(&exits);
    docker_cli(&[
        "run",
        "-d",
        "--label",
        "berth.test=1",
        "--name",
        &exits,
        IMAGE,
        "sh",
        "-c",
        "sleep 1; exit 4",
    ]);
    assert_eq!(ok(&berth(&["wait", &exits]), "wait").trim(), "4");
}

#[test]
fn cp_round_trips_files_and_directories() {
    let (name, _g) = sleeper("cp");
    let dir = Scratch::new("cp");
    std::fs::write(dir.path("note.txt"), "known content\n").expect("write note");
    std::fs::create_dir_all(dir.path("tree/sub")).expect("mkdir tree");
    std::fs::write(dir.path("tree/sub/deep.txt"), "deep\n").expect("write deep");

    // Into an existing directory, and "as" a new name.
    ok(
        &berth(&["cp", &dir.path("note.txt"), &format!("{name}:/tmp")]),
        "cp in",
    );
    ok(
        &berth(&["cp", &dir.path("note.txt"), &format!("{name}:/tmp/renamed")]),
        "cp in as",
    );
    ok(
        &berth(&["cp", &dir.path("tree"), &format!("{name}:/tmp/")]),
        "cp dir in",
    );
    assert_eq!(
        docker_cli(&["exec", &name, "cat", "/tmp/note.txt"]),
        "known content"
    );
    assert_eq!(
        docker_cli(&["exec", &name, "cat", "/tmp/renamed"]),
        "known content"
    );
    assert_eq!(
        docker_cli(&["exec", &name, "cat", "/tmp/tree/sub/deep.txt"]),
        "deep"
    );

    // And back out: into a directory, as a new name, a whole tree.
    let back = Scratch::new("cp-back");
    ok(
        &berth(&["cp", &format!("{name}:/tmp/renamed"), &back.path("")]),
        "cp out",
    );
    ok(
        &berth(&[
            "cp",
            &format!("{name}:/tmp/note.txt"),
            &back.path("copy.txt"),
        ]),
        "cp out as",
    );
    ok(
        &berth(&["cp", &format!("{name}:/tmp/tree"), &back.path("t2")]),
        "cp dir out as",
    );
    let read = |p: &str| std::fs::read_to_string(back.path(p)).expect("copied file");
    assert_eq!(read("renamed"), "known content\n");
    assert_eq!(read("copy.txt"), "known content\n");
    assert_eq!(read("t2/sub/deep.txt"), "deep\n");

    // `-` writes the tar itself.
    let out = berth(&["cp", &format!("{name}:/tmp/note.txt"), "-"]);
    let names: Vec<String> = tar::Archive::new(ok(&out, "cp -").as_bytes())
        .entries()
        .expect("a tar")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["note.txt"]);

    let out = berth(&["cp", &format!("{name}:/no/such/file"), &back.path("")]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn export_writes_a_tar_of_the_filesystem() {
    let name = unique("export");
    let _g = Gone::one(&name);
    docker_cli(&[
        "create",
        "--label",
        "berth.test=1",
        "--name",
        &name,
        IMAGE,
        "true",
    ]);
    let dir = Scratch::new("export");
    let file = dir.path("fs.tar");
    ok(&berth(&["export", "-o", &file, &name]), "export -o");
    let has_busybox = |bytes: &[u8]| {
        tar::Archive::new(bytes)
            .entries()
            .expect("a tar")
            .any(|e| e.expect("entry").path().expect("path").as_os_str() == "bin/busybox")
    };
    assert!(has_busybox(&std::fs::read(&file).expect("the export file")));
    let out = berth(&["export", &name]);
    assert!(out.status.success());
    assert!(has_busybox(&out.stdout));
}

#[test]
fn stats_no_stream_prints_a_line_per_container() {
    let (name, _g) = sleeper("stats");
    let out = berth(&["stats", "--no-stream", &name]);
    let text = ok(&out, "stats");
    let mut lines = text.lines();
    let header = lines.next().expect("a header");
    for col in ["CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "PIDS"] {
        assert!(header.contains(col), "{header}");
    }
    let row = lines.next().expect("a row");
    assert!(
        row.contains(&name) && row.contains('%') && row.contains(" / "),
        "{row}"
    );
    let json = stdout_json(&["stats", "--no-stream", "--json", &name]);
    assert_eq!(json[0]["name"], format!("/{name}").as_str());
}

#[test]
fn unknown_container_is_one_line_and_exit_code_1() {
    let missing = unique("missing");
    let remote = format!("{missing}:/tmp");
    let commands: Vec<Vec<&str>> = vec![
        vec!["logs", &missing],
        vec!["exec", &missing, "true"],
        vec!["start", &missing],
        vec!["stop", &missing],
        vec!["rm", &missing],
        vec!["wait", &missing],
        vec!["inspect", &missing],
        vec!["cp", &remote, "-"],
        vec!["cp", "Cargo.toml", &remote],
        vec!["export", &missing],
        vec!["stats", "--no-stream", &missing],
    ];
    for args in commands {
        let out = berth(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("berth: ") && err.contains("No such container"),
            "{args:?}: {err}"
        );
    }
}
