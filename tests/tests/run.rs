//! docker-py style options against the real daemon (what the daemon stored is what the
//! options said), `containers.run` in all its modes, and the Container object's I/O.

use std::time::Duration;

use berth::core::options::ContainerOptions;
use berth::{Category, RunOptions, RunOutcome};
use berth_tests::fake::{Behaviour, FakeDaemon, TempDir};
use berth_tests::{docker, docker_cli, unique};

/// Removes containers with this test's label on drop.
struct Cleanup(String);

impl Cleanup {
    fn new() -> Cleanup {
        Cleanup(unique("run"))
    }

    fn label(&self) -> (&'static str, String) {
        ("berth.test.case", self.0.clone())
    }

    fn options(&self, image: &str) -> ContainerOptions {
        let (k, v) = self.label();
        ContainerOptions::new(image)
            .label("berth.test", "1")
            .label(k, v)
    }

    fn remaining(&self) -> Vec<String> {
        let f = format!("label=berth.test.case={}", self.0);
        docker_cli(&["ps", "-aq", "--filter", &f])
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for id in self.remaining() {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f", "-v", &id])
                .output();
        }
    }
}

#[tokio::test]
async fn options_reach_the_daemon_as_docker_py_sends_them() {
    let d = docker().await;
    let cl = Cleanup::new();
    let host_dir = TempDir::new("bind");
    std::fs::write(host_dir.0.join("hello"), "from the host\n").expect("write");
    let bind = format!("{}:/data:ro", host_dir.0.display());
    let opts = cl
        .options("busybox:berth-test")
        .with_name(unique("opts"))
        .expect("name")
        .cmd_line("sh -c 'echo \"$GREETING\" && cat /data/hello && sleep 300'")
        .expect("shell words")
        .env("GREETING", "hello world")
        .expect("env")
        .user(0)
        .working_dir("/tmp")
        .memory("64m")
        .expect("memory string")
        .publish("127.0.0.1::80/tcp")
        .expect("port spec")
        .bind(&bind)
        .expect("bind spec")
        .stop_signal("SIGUSR1")
        .restart_policy("on-failure:2".parse().expect("policy"));
    let c = d.containers().create(&opts).await.expect("create");
    let a = &c.attrs().attrs;
    assert_eq!(
        a["Config"]["Cmd"][2],
        "echo \"$GREETING\" && cat /data/hello && sleep 300"
    );
    assert_eq!(a["Config"]["User"], "0", "user 0 is sent as \"0\"");
    assert_eq!(a["Config"]["WorkingDir"], "/tmp");
    assert!(
        a["Config"]["Env"]
            .as_array()
            .expect("env")
            .iter()
            .any(|e| e == "GREETING=hello world")
    );
    assert_eq!(a["Config"]["StopSignal"], "SIGUSR1");
    assert_eq!(a["HostConfig"]["Memory"], 64 * 1024 * 1024);
    assert_eq!(a["HostConfig"]["Binds"][0], bind.as_str());
    assert_eq!(a["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(a["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 2);
    let pb = &a["HostConfig"]["PortBindings"]["80/tcp"][0];
    assert_eq!(pb["HostIp"], "127.0.0.1");
    assert_eq!(pb["HostPort"], "", "random host port is an empty string");

    let image = c.image().await.expect("the container's image");
    assert!(
        image.tags().iter().any(|t| t == "busybox:berth-test"),
        "{:?}",
        image.tags()
    );
    c.start().await.expect("start");
    let out = berth::Output::collect(
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let s = c.logs(|_| {}).await.expect("logs");
                let o = berth::Output::collect(s).await.expect("read");
                if o.stdout.ends_with(b"from the host\n") {
                    return c.logs(|_| {}).await.expect("logs");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("output appears"),
    )
    .await
    .expect("read");
    assert_eq!(out.stdout, b"hello world\nfrom the host\n");
    // The bind is read-only.
    let w = c
        .exec_run(["sh", "-c", "echo x > /data/new"])
        .await
        .expect("exec");
    assert_ne!(w.exit_code, Some(0), "writing to a :ro bind fails");
    let port = c.port("80").await.expect("port").expect("published");
    assert_eq!(port[0].host_ip, "127.0.0.1");
    assert!(port[0].host_port.parse::<u16>().expect("numeric") > 0);
    c.stop(Some(1)).await.expect("stop");
}

#[tokio::test]
async fn invalid_strings_fail_before_any_request() {
    let fake = FakeDaemon::start(Behaviour::Silent).await;
    let d = berth::Docker::builder(&fake.url())
        .api_version(berth::ApiVersion::new(1, 41))
        .build()
        .expect("client");
    for bad in [
        ContainerOptions::new("busybox").publish("80:abc"),
        ContainerOptions::new("busybox").publish("8000-8002:80-81"),
        ContainerOptions::new("busybox").memory("12parsecs"),
        ContainerOptions::new("busybox").bind("/h:/c:ro:rw:extra"),
        ContainerOptions::new("busybox").cmd_line("echo 'unclosed"),
    ] {
        let e = bad.expect_err("rejected while building");
        assert_eq!(e.category(), Category::InvalidArgument, "{e}");
    }
    // host networking with published ports is refused when the body is built.
    let opts = ContainerOptions::new("busybox")
        .network_mode("host")
        .publish("8080:80")
        .expect("spec parses");
    let e = d
        .containers()
        .create(&opts)
        .await
        .expect_err("host + ports");
    assert_eq!(e.category(), Category::InvalidArgument, "{e}");
    assert_eq!(fake.accepted(), 0, "nothing reached the daemon");
}

#[tokio::test]
async fn run_returns_output_and_removes() {
    let d = docker().await;
    let cl = Cleanup::new();
    let opts = cl
        .options("busybox:berth-test")
        .cmd(["sh", "-c", "echo out; echo err >&2"]);
    let r = d
        .containers()
        .run(
            &opts,
            &RunOptions {
                remove: true,
                ..RunOptions::default()
            },
        )
        .await
        .expect("run");
    let RunOutcome::Finished {
        exit_code, output, ..
    } = r
    else {
        panic!("not detached: expected Finished")
    };
    assert_eq!(exit_code, 0);
    assert_eq!(output.stdout, b"out\n");
    assert!(output.stderr.is_empty(), "stderr not asked for");
    assert!(cl.remaining().is_empty(), "remove=true removed it");
}

#[tokio::test]
async fn run_failure_is_container_exit_with_stderr_and_still_removes() {
    let d = docker().await;
    let cl = Cleanup::new();
    let opts = cl
        .options("busybox:berth-test")
        .cmd(["sh", "-c", "echo broken >&2; exit 3"]);
    let e = d
        .containers()
        .run(
            &opts,
            &RunOptions {
                remove: true,
                ..RunOptions::default()
            },
        )
        .await
        .expect_err("exit 3");
    assert_eq!(e.category(), Category::ContainerExit);
    match e.kind() {
        berth::core::Error::ContainerExit {
            exit_status,
            stderr,
            image,
            command,
            ..
        } => {
            assert_eq!(*exit_status, 3);
            assert_eq!(stderr, "broken\n");
            assert_eq!(image, "busybox:berth-test");
            assert_eq!(command, &["sh", "-c", "echo broken >&2; exit 3"]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(cl.remaining().is_empty(), "removed even on error");
}

#[tokio::test]
async fn run_detached_and_auto_remove() {
    let d = docker().await;
    let cl = Cleanup::new();
    let r = d
        .containers()
        .run(
            &cl.options("busybox:berth-test").cmd(["sleep", "300"]),
            &RunOptions {
                detach: true,
                ..RunOptions::default()
            },
        )
        .await
        .expect("run -d");
    let RunOutcome::Detached(mut c) = r else {
        panic!("expected Detached")
    };
    c.reload().await.expect("reload");
    assert_eq!(c.status(), Some("running"));

    let r = d
        .containers()
        .run(
            &cl.options("busybox:berth-test").cmd(["true"]),
            &RunOptions {
                detach: true,
                remove: true,
                ..RunOptions::default()
            },
        )
        .await
        .expect("run -d --rm");
    let RunOutcome::Detached(c2) = r else {
        panic!("expected Detached")
    };
    assert_eq!(c2.attrs().attrs["HostConfig"]["AutoRemove"], true);
    c2.wait(
        Some(berth::api::containers::WaitCondition::Removed),
        Some(Duration::from_secs(20)),
    )
    .await
    .ok();
    let e = d.containers().get(c2.id()).await.expect_err("auto-removed");
    assert!(e.is_not_found());
}

#[tokio::test]
async fn run_detached_with_remove_removes_a_container_that_cannot_start() {
    let d = docker().await;
    let cl = Cleanup::new();
    // Created fine; starting fails (the OCI runtime finds no such executable), so
    // AutoRemove never acts.
    let e = d
        .containers()
        .run(
            &cl.options("busybox:berth-test")
                .cmd(["/no/such/berth-binary"]),
            &RunOptions {
                detach: true,
                remove: true,
                ..RunOptions::default()
            },
        )
        .await
        .expect_err("start fails");
    assert!(e.status().is_some_and(|s| s >= 400), "{e}");
    assert!(
        e.to_string().contains("no/such/berth-binary"),
        "the daemon's reason is kept: {e}"
    );
    assert!(
        cl.remaining().is_empty(),
        "remove=true removed it: {:?}",
        cl.remaining()
    );

    // Without remove the container stays, as docker-py leaves it.
    d.containers()
        .run(
            &cl.options("busybox:berth-test")
                .cmd(["/no/such/berth-binary"]),
            &RunOptions {
                detach: true,
                ..RunOptions::default()
            },
        )
        .await
        .expect_err("start fails");
    assert_eq!(cl.remaining().len(), 1, "kept without remove");
}

#[tokio::test]
async fn run_pulls_a_missing_image_from_the_registry() {
    let d = docker().await;
    let cl = Cleanup::new();
    let image = "127.0.0.1:5000/busybox:berth-test";
    let _ = std::process::Command::new("docker")
        .args(["rmi", "-f", image])
        .output();
    let mut statuses = Vec::new();
    let r = d
        .containers()
        .run_with_progress(
            &cl.options(image).cmd(["echo", "pulled"]),
            &RunOptions {
                remove: true,
                ..RunOptions::default()
            },
            |p| statuses.push(p.status.clone().unwrap_or_default()),
        )
        .await
        .expect("run pulls then runs");
    assert!(
        statuses
            .iter()
            .any(|s| s.starts_with("Status: Downloaded newer image")),
        "pull progress was reported: {statuses:?}"
    );
    let RunOutcome::Finished { output, .. } = r else {
        panic!("expected Finished")
    };
    assert_eq!(output.stdout, b"pulled\n");
    d.image_inspect(image).await.expect("image now local");
    let _ = std::process::Command::new("docker")
        .args(["rmi", "-f", image])
        .output();

    let e = d
        .containers()
        .run(
            &cl.options("127.0.0.1:5000/busybox:no-such-tag")
                .cmd(["true"]),
            &RunOptions::default(),
        )
        .await
        .expect_err("missing tag");
    assert!(
        matches!(
            e.category(),
            Category::ImageNotFound | Category::NotFound | Category::Stream
        ),
        "{e:?}"
    );
}

#[test]
fn blocking_run_logs_and_exec() {
    let d = berth::blocking::Docker::from_env().expect("client");
    let cl = Cleanup::new();
    let r = d
        .containers()
        .run(
            &cl.options("busybox:berth-test").cmd(["echo", "blocking"]),
            &RunOptions::default(),
        )
        .expect("run");
    let berth::blocking::BlockingRunOutcome::Finished {
        output,
        container_id,
        ..
    } = r
    else {
        panic!("expected Finished")
    };
    assert_eq!(output.stdout, b"blocking\n");
    let c = d.containers().get(&container_id).expect("get");
    assert_eq!(c.logs().expect("logs").stdout, b"blocking\n");
    let frames: Vec<_> = d
        .logs(&berth::api::container_io::ContainerLogs::new(&container_id))
        .expect("logs")
        .collect::<Result<_, _>>()
        .expect("frames");
    assert_eq!(frames.len(), 1);

    let live = d
        .containers()
        .create(&cl.options("busybox:berth-test").cmd(["sleep", "300"]))
        .expect("create");
    live.start().expect("start");
    let r = live.exec_run(["sh", "-c", "exit 4"]).expect("exec");
    assert_eq!(r.exit_code, Some(4));
}

#[tokio::test]
async fn config_json_proxies_reach_containers_and_builds() {
    let d = docker().await;
    let cl = Cleanup::new();
    let config = berth::core::auth::DockerConfig::from_slice(
        br#"{"proxies":{"default":{"httpProxy":"http://proxy.example:3128","noProxy":"localhost"}}}"#,
    )
    .expect("config.json");
    d.set_auth_store(berth::AuthStore::empty().with_config(config));

    let c = d
        .containers()
        .create(
            &cl.options("busybox:berth-test")
                .cmd(["true"])
                .env("HTTP_PROXY", "http://explicit:1")
                .expect("env"),
        )
        .await
        .expect("create");
    let env: Vec<String> = c.attrs().attrs["Config"]["Env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert!(
        env.contains(&"http_proxy=http://proxy.example:3128".to_owned()),
        "{env:?}"
    );
    assert!(env.contains(&"no_proxy=localhost".to_owned()), "{env:?}");
    let explicit = env
        .iter()
        .rposition(|e| e == "HTTP_PROXY=http://explicit:1");
    let injected = env
        .iter()
        .position(|e| e == "HTTP_PROXY=http://proxy.example:3128");
    assert!(
        explicit.is_some() && (injected.is_none() || injected < explicit),
        "the explicit value wins: {env:?}"
    );

    let dir = TempDir::new("proxy-build");
    std::fs::write(
        dir.0.join("Dockerfile"),
        "FROM busybox:berth-test\nRUN echo \"$http_proxy\" > /proxy\n",
    )
    .expect("Dockerfile");
    let tag = format!("{}:v1", unique("proxy-build"));
    let built = d
        .build_to_end(
            &dir.0,
            &berth::BuildOptions::new()
                .tag(&tag)
                .label("berth.test", "1"),
        )
        .await
        .expect("build");
    let out = docker_cli(&[
        "run",
        "--rm",
        "--label",
        "berth.test=1",
        &tag,
        "cat",
        "/proxy",
    ]);
    let _ = std::process::Command::new("docker")
        .args(["rmi", "-f", &tag, &built.image_id])
        .output();
    assert_eq!(out, "http://proxy.example:3128");
}
