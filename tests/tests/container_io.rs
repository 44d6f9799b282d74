//! Container I/O against the real daemon: logs (demuxed, TTY, follow, tail, since),
//! attach with stdin, exec (full duplex, exit codes, env/workdir, TTY, detach, resize),
//! archives both ways, and export.

use std::io::Read;
use std::time::Duration;

use berth::Category;
use berth::api::container_io::{ContainerAttach, ContainerLogs, Tail};
use berth::api::exec::ExecCreate;
use berth::api::system::Timestamp;
use berth::core::stream::StreamKind;
use berth::transport::bytes_stream;
use berth_tests::{docker, docker_cli, unique};
use futures_util::StreamExt;

/// A container created with the docker CLI (setup only) and removed on drop.
struct Ctr(String);

impl Ctr {
    fn run(extra: &[&str], cmd: &[&str]) -> Ctr {
        let name = unique("io");
        let mut args = vec!["run", "-d", "--label", "berth.test=1", "--name", &name];
        args.extend_from_slice(extra);
        args.push("busybox:berth-test");
        args.extend_from_slice(cmd);
        Ctr(docker_cli(&args))
    }

    fn wait(&self) {
        docker_cli(&["wait", &self.0]);
    }
}

impl Drop for Ctr {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", "-v", &self.0])
            .output();
    }
}

async fn logs_of(d: &berth::Docker, opts: &ContainerLogs) -> berth::Output {
    let s = d.logs(opts).await.expect("logs");
    berth::Output::collect(s).await.expect("read logs")
}

#[tokio::test]
async fn logs_are_demuxed_in_order() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sh", "-c", "echo out1; echo err1 >&2; echo out2"]);
    c.wait();
    let out = logs_of(&d, &ContainerLogs::new(&c.0)).await;
    assert_eq!(out.stdout, b"out1\nout2\n");
    assert_eq!(out.stderr, b"err1\n");
    assert_eq!(out.combined.len(), 15);

    let mut only_err = ContainerLogs::new(&c.0);
    only_err.stdout = false;
    assert_eq!(logs_of(&d, &only_err).await.combined, b"err1\n");

    let mut tail0 = ContainerLogs::new(&c.0);
    tail0.tail = Tail::Lines(0);
    assert!(
        logs_of(&d, &tail0).await.combined.is_empty(),
        "tail=0 gives no history"
    );

    // stdout and stderr are logged by separate copiers, so which line is last varies.
    let mut tail1 = ContainerLogs::new(&c.0);
    tail1.tail = Tail::Lines(1);
    let last = logs_of(&d, &tail1).await.combined;
    assert!(
        [&b"out2\n"[..], b"err1\n"].contains(&last.as_slice()),
        "{}",
        String::from_utf8_lossy(&last)
    );

    let mut ts = ContainerLogs::new(&c.0);
    ts.timestamps = true;
    ts.stderr = false;
    let text = String::from_utf8(logs_of(&d, &ts).await.stdout).expect("utf8");
    assert!(
        text.lines().all(|l| l.contains('T') && l.contains("Z ")),
        "{text}"
    );

    let mut future = ContainerLogs::new(&c.0);
    future.since = Some(Timestamp::from_unix(4_000_000_000));
    assert!(logs_of(&d, &future).await.combined.is_empty());
    let mut until = ContainerLogs::new(&c.0);
    until.until = Some(Timestamp::from_unix(1_000_000_000));
    assert!(
        logs_of(&d, &until).await.combined.is_empty(),
        "until in the past"
    );
}

#[tokio::test]
async fn tty_logs_are_raw() {
    let d = docker().await;
    let c = Ctr::run(&["-t"], &["sh", "-c", "echo out; echo err >&2"]);
    c.wait();
    let s = d.logs(&ContainerLogs::new(&c.0)).await.expect("logs");
    let frames: Vec<_> = s.collect().await;
    let out: Vec<u8> = frames
        .into_iter()
        .flat_map(|f| {
            let f = f.expect("frame");
            assert_eq!(f.stream, StreamKind::Stdout, "TTY output is all stdout");
            f.data.to_vec()
        })
        .collect();
    assert_eq!(out, b"out\r\nerr\r\n");
}

#[tokio::test]
async fn follow_streams_until_the_container_exits() {
    let d = docker().await;
    let c = Ctr::run(
        &[],
        &["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.3; done"],
    );
    let mut opts = ContainerLogs::new(&c.0);
    opts.follow = true;
    let mut s = d.logs(&opts).await.expect("logs");
    let first = tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("first line arrives while the container runs")
        .expect("frame")
        .expect("ok");
    assert_eq!(&first.data[..], b"1\n");
    let rest = tokio::time::timeout(Duration::from_secs(10), berth::Output::collect(s))
        .await
        .expect("stream ends when the container exits")
        .expect("ok");
    assert_eq!(rest.stdout, b"2\n3\n");
}

#[tokio::test]
async fn logs_of_unknown_container_is_not_found() {
    let d = docker().await;
    let e = d
        .logs(&ContainerLogs::new("berth-no-such-container"))
        .await
        .expect_err("unknown");
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn attach_writes_stdin_and_reads_output() {
    let d = docker().await;
    let c = Ctr::run(&["-i"], &["cat"]);
    let mut opts = ContainerAttach::new(&c.0);
    opts.stdin = true;
    let mut s = d.attach(&opts).await.expect("attach");
    s.write_stdin(b"hello over attach\n").await.expect("stdin");
    let f = tokio::time::timeout(Duration::from_secs(10), s.next_frame())
        .await
        .expect("echo arrives")
        .expect("frame")
        .expect("ok");
    assert_eq!(f.stream, StreamKind::Stdout);
    assert_eq!(&f.data[..], b"hello over attach\n");
    s.close_stdin().await.expect("half-close");
    // The daemon ends the attach session when its stdin closes (the container keeps
    // running: it was not created with StdinOnce).
    let rest = tokio::time::timeout(Duration::from_secs(10), s.collect())
        .await
        .expect("the session ends after stdin closes")
        .expect("ok");
    assert!(rest.combined.is_empty());
}

#[tokio::test]
async fn exec_is_full_duplex_and_reports_exit_codes() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sleep", "300"]);

    let mut cat = ExecCreate::new(&c.0, ["cat"]);
    cat.stdin = true;
    let s = d.exec_session(&cat).await.expect("exec cat");
    let exec_id = s.id.clone();
    let payload: Vec<u8> = (0..(4u32 << 20)).map(|i| b'a' + (i % 26) as u8).collect();
    // Write and read at the same time: the payload is larger than the socket buffers.
    let (mut input, output) = s.session.split();
    let writer = {
        let payload = payload.clone();
        tokio::spawn(async move {
            input.write(&payload).await.expect("stdin");
            input.close().await.expect("close stdin");
        })
    };
    let out = berth::Output::collect(output).await.expect("output");
    writer.await.expect("writer task");
    assert_eq!(out.stdout.len(), payload.len());
    assert!(out.stdout == payload, "cat echoes stdin exactly");
    assert_eq!(
        d.exec_inspect(&exec_id).await.expect("inspect").exit_code,
        Some(0)
    );

    let r = d
        .exec_run(&ExecCreate::new(
            &c.0,
            ["sh", "-c", "echo o; echo e >&2; exit 3"],
        ))
        .await
        .expect("exec_run");
    assert_eq!(r.exit_code, Some(3));
    assert_eq!(r.output.stdout, b"o\n");
    assert_eq!(r.output.stderr, b"e\n");
}

#[tokio::test]
async fn exec_options_env_workdir_user_tty() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sleep", "300"]);
    let mut e = ExecCreate::new(&c.0, ["sh", "-c", "echo $GREETING; pwd; id -u"]);
    e.env = vec!["GREETING=hi there".into()];
    e.workdir = Some("/tmp".into());
    e.user = Some("65534".into());
    let r = d.exec_run(&e).await.expect("exec");
    assert_eq!(
        String::from_utf8_lossy(&r.output.stdout),
        "hi there\n/tmp\n65534\n"
    );

    let mut t = ExecCreate::new(&c.0, ["sh", "-c", "echo out; echo err >&2"]);
    t.tty = true;
    let r = d.exec_run(&t).await.expect("tty exec");
    assert_eq!(r.output.stdout, b"out\r\nerr\r\n", "TTY: one raw stream");
    assert!(r.output.stderr.is_empty());
}

#[tokio::test]
async fn exec_detached_inspect_and_resize() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sleep", "300"]);
    let mut e = ExecCreate::new(&c.0, ["sh", "-c", "sleep 1; touch /tmp/detached-done"]);
    e.tty = true;
    let id = d.exec_create(&e).await.expect("create");
    d.exec_start_detached(&id, true)
        .await
        .expect("start detached");
    let running = d.exec_inspect(&id).await.expect("inspect");
    assert_eq!(running.running, Some(true));
    assert_eq!(running.exit_code, None, "ExitCode is null while running");
    d.exec_resize(&id, 40, 100)
        .await
        .expect("resize a TTY exec");
    for _ in 0..50 {
        if d.exec_inspect(&id).await.expect("inspect").running == Some(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        d.exec_inspect(&id).await.expect("inspect").exit_code,
        Some(0)
    );
    let check = d
        .exec_run(&ExecCreate::new(&c.0, ["test", "-f", "/tmp/detached-done"]))
        .await
        .expect("check");
    assert_eq!(check.exit_code, Some(0));
}

#[tokio::test]
async fn exec_resize_reaches_the_process_tty() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sleep", "300"]);
    // Exits 0 once its terminal is 40x100, 1 if that does not happen within 10 s.
    let script = r#"i=0; while [ "$(stty size)" != "40 100" ]; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done; echo resized"#;
    let mut e = ExecCreate::new(&c.0, ["sh", "-c", script]);
    e.tty = true;
    let s = d.exec_session(&e).await.expect("exec");
    d.exec_resize(&s.id, 40, 100).await.expect("resize");
    let r = tokio::time::timeout(Duration::from_secs(30), s.finish())
        .await
        .expect("the exec ends")
        .expect("output");
    let out = String::from_utf8_lossy(&r.output.stdout);
    assert_eq!(r.exit_code, Some(0), "{out:?}");
    // (Before the resize busybox's stty may complain about the 0x0 terminal.)
    assert!(out.ends_with("resized\r\n"), "{out:?}");
}

#[tokio::test]
async fn exec_from_a_command_line_and_privileged() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sleep", "300"]);
    // docker-py's string form: split like a shell would.
    let line =
        ExecCreate::from_line(&c.0, r#"sh -c 'echo "a  b" $0' 'third arg'"#).expect("a valid line");
    let r = d.exec_run(&line).await.expect("exec");
    assert_eq!(r.output.stdout, b"a  b third arg\n");

    // The daemon keeps what the exec was created with. (Running a privileged exec
    // needs a daemon allowed every capability, which a test machine may not be.)
    for privileged in [true, false] {
        let mut e = ExecCreate::new(&c.0, ["true"]);
        e.privileged = privileged;
        e.user = Some("65534".into());
        let id = d.exec_create(&e).await.expect("create");
        let config = d
            .exec_inspect(&id)
            .await
            .expect("inspect")
            .into_typed()
            .process_config
            .expect("ProcessConfig");
        assert_eq!(config.privileged, Some(privileged));
        assert_eq!(config.user.as_deref(), Some("65534"));
        assert_eq!(config.entrypoint.as_deref(), Some("true"));
    }
}

#[tokio::test]
async fn attach_with_logs_replays_history_demuxed() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sh", "-c", "echo out; echo err >&2; sleep 300"]);
    // Wait until both lines are logged.
    for _ in 0..100 {
        let o = logs_of(&d, &ContainerLogs::new(&c.0)).await;
        if !o.stdout.is_empty() && !o.stderr.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut opts = ContainerAttach::new(&c.0);
    opts.logs = true;
    opts.stream = false;
    let s = d.attach(&opts).await.expect("attach");
    // Without `stream` the daemon sends the history and ends the session.
    let out = tokio::time::timeout(Duration::from_secs(10), s.collect())
        .await
        .expect("history only, then the end")
        .expect("ok");
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");

    let mut only_err = ContainerAttach::new(&c.0);
    only_err.logs = true;
    only_err.stream = false;
    only_err.stdout = false;
    let out = tokio::time::timeout(
        Duration::from_secs(10),
        d.attach(&only_err).await.expect("attach").collect(),
    )
    .await
    .expect("ends")
    .expect("ok");
    assert_eq!(
        (out.stdout.as_slice(), out.stderr.as_slice()),
        (&b""[..], &b"err\n"[..])
    );
}

#[tokio::test]
async fn exec_on_a_stopped_container_is_a_conflict() {
    let d = docker().await;
    let c = Ctr::run(&[], &["true"]);
    c.wait();
    let e = d
        .exec_create(&ExecCreate::new(&c.0, ["true"]))
        .await
        .expect_err("not running");
    assert_eq!(e.category(), Category::Conflict, "{e:?}");
    let e = d
        .exec_inspect("berth-no-such-exec")
        .await
        .expect_err("unknown exec");
    assert!(e.is_not_found());
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).expect("tar entry");
    }
    b.into_inner().expect("tar")
}

async fn read_body(mut body: berth::transport::ResponseBody) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = body.chunk().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

#[tokio::test]
async fn archives_round_trip() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sleep", "300"]);
    let tar = tar_of(&[
        ("hello.txt", b"hello archive\n"),
        ("sub/x.bin", &[0u8, 1, 2, 255]),
    ]);
    d.put_archive(&c.0, "/tmp", bytes_stream(tar))
        .await
        .expect("put");

    let r = d
        .exec_run(&ExecCreate::new(&c.0, ["cat", "/tmp/hello.txt"]))
        .await
        .expect("cat");
    assert_eq!(r.output.stdout, b"hello archive\n");

    let (stat, body) = d.get_archive(&c.0, "/tmp/sub").await.expect("get");
    let stat = stat.expect("stat header");
    assert_eq!(stat.name, "sub");
    assert!(stat.is_dir());
    let bytes = read_body(body).await;
    let mut a = tar::Archive::new(&bytes[..]);
    let mut found = false;
    for entry in a.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        if entry.path().expect("path").to_string_lossy() == "sub/x.bin" {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read");
            assert_eq!(data, [0u8, 1, 2, 255]);
            found = true;
        }
    }
    assert!(found, "sub/x.bin is in the archive");

    let s = d.archive_stat(&c.0, "/tmp/hello.txt").await.expect("stat");
    assert_eq!(s.size, 14);
    assert!(!s.is_dir());

    let e = d
        .archive_stat(&c.0, "/nope")
        .await
        .expect_err("missing path");
    assert!(e.is_not_found(), "{e:?}");
    let e = d
        .put_archive(
            &c.0,
            "/does/not/exist",
            bytes_stream(tar_of(&[("a", b"a")])),
        )
        .await
        .expect_err("target dir must exist");
    assert!(e.is_not_found(), "{e:?}");
    let e = d
        .put_archive(&c.0, "/tmp", bytes_stream(b"not a tar at all".repeat(100)))
        .await
        .expect_err("bad tar");
    assert!(
        matches!(e.category(), Category::BadRequest | Category::Server),
        "{e:?}"
    );
}

#[tokio::test]
async fn export_streams_the_filesystem() {
    let d = docker().await;
    let c = Ctr::run(&[], &["sh", "-c", "echo exported > /marker"]);
    c.wait();
    let bytes = read_body(d.export(&c.0).await.expect("export")).await;
    let mut a = tar::Archive::new(&bytes[..]);
    let mut names = Vec::new();
    let mut marker = String::new();
    for entry in a.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let p = entry.path().expect("path").to_string_lossy().into_owned();
        if p == "marker" {
            entry.read_to_string(&mut marker).expect("read");
        }
        names.push(p);
    }
    assert!(names.iter().any(|n| n == "bin/busybox"), "{names:?}");
    assert_eq!(marker, "exported\n");
}
