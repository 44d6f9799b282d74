//! A real daemon dying under berth: a second dockerd (tests/engine/second-dockerd.sh, on
//! its own socket; the shared daemon is never touched) is killed — SIGKILL, then a
//! graceful SIGTERM (dockerd may finish a pull then) — while `logs --follow` of a running container, `events` and a pull
//! of a 120 MB image are streaming from it. Every stream must end promptly, with a
//! typed error or a clean end (never a hang); after the daemon is restarted the SAME
//! client's next calls work (the pool drops the dead connections and reconnects).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use berth::api::container_io::ContainerLogs;
use berth::api::images::ImagePull;
use berth::api::system::Events;
use berth::{Category, Docker};
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};

/// How long a stream may take to end after its daemon died (a hang guard).
const END_WITHIN: Duration = Duration::from_secs(30);
/// The image pulled during the kill: two layers of 60 MB of random bytes, pushed to the
/// provisioned registry once (it stays there for later runs).
const BIG_REPO: &str = "127.0.0.1:5000/berth-fault-pull";
const BIG_TAG: &str = "big";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/second-dockerd.sh")
}

/// The second daemon, stopped when the test ends.
struct SecondDaemon {
    dir: PathBuf,
}

impl SecondDaemon {
    fn start() -> SecondDaemon {
        let dir = std::env::temp_dir().join("berth-second-dockerd");
        let d = SecondDaemon { dir };
        d.run(None);
        d
    }

    /// `second-dockerd.sh [ACTION] DIR`.
    fn run(&self, action: Option<&str>) {
        let mut cmd = Command::new(script());
        cmd.args(action).arg(&self.dir);
        let out = cmd.output().expect("run second-dockerd.sh");
        assert!(
            out.status.success(),
            "second-dockerd.sh {action:?} failed (needs root, dockerd, curl): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("unix://{}", self.dir.join("docker.sock").display())
    }

    /// The docker CLI against this daemon (setup and teardown only).
    fn cli(&self, args: &[&str]) -> String {
        let url = self.url();
        let mut all = vec!["-H", url.as_str()];
        all.extend_from_slice(args);
        docker_cli(&all)
    }
}

impl Drop for SecondDaemon {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(&self.dir).output();
    }
}

/// Pushes the big image to the registry unless it is there already (built on the main
/// daemon from the test image; the local copies are removed again).
fn ensure_big_image() {
    let manifest = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.v2+json",
            &format!("http://127.0.0.1:5000/v2/berth-fault-pull/manifests/{BIG_TAG}"),
        ])
        .output()
        .expect("curl (apt-get install curl)");
    if String::from_utf8_lossy(&manifest.stdout) == "200" {
        return;
    }
    let builder = unique("bigimage");
    let image = format!("{BIG_REPO}:{BIG_TAG}");
    docker_cli(&[
        "run",
        "--name",
        &builder,
        "--label",
        &format!("{TEST_LABEL}=1"),
        "--network",
        "none",
        "busybox:berth-test",
        "sh",
        "-c",
        "head -c 60000000 /dev/urandom > /big1",
    ]);
    docker_cli(&[
        "commit",
        "--change",
        &format!("LABEL {TEST_LABEL}=1"),
        &builder,
        &format!("{image}-step"),
    ]);
    docker_cli(&["rm", "-f", &builder]);
    docker_cli(&[
        "run",
        "--name",
        &builder,
        "--label",
        &format!("{TEST_LABEL}=1"),
        "--network",
        "none",
        &format!("{image}-step"),
        "sh",
        "-c",
        "head -c 60000000 /dev/urandom > /big2",
    ]);
    docker_cli(&["commit", &builder, &image]);
    docker_cli(&["rm", "-f", &builder]);
    docker_cli(&["push", &image]);
    docker_cli(&["rmi", &image, &format!("{image}-step")]);
}

/// How a stream ended.
#[derive(Debug)]
#[allow(dead_code, reason = "read through Debug in messages")]
struct Ended {
    items: usize,
    error: Option<berth::Error>,
    /// Seconds from the signal to the end.
    after: Duration,
    /// The last progress status of a pull.
    last_status: Option<String>,
}

async fn drain<T, S>(
    mut next: impl FnMut(
        &mut S,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Option<berth::Result<T>>> + Send + '_>,
    >,
    mut stream: S,
    status: impl Fn(&T) -> Option<String>,
    signalled: tokio::sync::watch::Receiver<Option<Instant>>,
) -> Ended {
    let mut items = 0;
    let mut last_status = None;
    let error = loop {
        match next(&mut stream).await {
            None => break None,
            Some(Ok(item)) => {
                items += 1;
                if let Some(s) = status(&item) {
                    last_status = Some(s);
                }
            }
            Some(Err(e)) => break Some(e),
        }
    };
    let at = signalled.borrow().unwrap_or_else(Instant::now);
    Ended {
        items,
        error,
        after: at.elapsed(),
        last_status,
    }
}

/// Kills the daemon with `action` (`kill` or `stop`) while three streams are open, then
/// restarts it and calls again with the same client.
async fn kill_while_streaming(daemon: &SecondDaemon, d: &Docker, action: &str) {
    let name = unique(&format!("follow-{action}"));
    daemon.cli(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &format!("{TEST_LABEL}=1"),
        "--network",
        "none",
        "busybox:berth-test",
        "sh",
        "-c",
        "while true; do echo tick; sleep 0.1; done",
    ]);
    // A pull must really download: remove what an earlier run left.
    let _ = Command::new("docker")
        .args([
            "-H",
            &daemon.url(),
            "rmi",
            "-f",
            &format!("{BIG_REPO}:{BIG_TAG}"),
        ])
        .output();

    let (tx, rx) = tokio::sync::watch::channel(None::<Instant>);

    let mut opts = ContainerLogs::new(&name);
    opts.follow = true;
    let mut logs = d.logs(&opts).await.expect("logs --follow");
    let first = logs.next_item().await.expect("a log frame").expect("frame");
    assert_eq!(&first.data[..], b"tick\n");
    let logs = tokio::spawn(drain(
        |s: &mut berth::LogStream| Box::pin(s.next_item()),
        logs,
        |_| None,
        rx.clone(),
    ));

    let events = d.events(&Events::default()).await.expect("events");
    let events = tokio::spawn(drain(
        |s: &mut berth::EventStream| Box::pin(s.next_item()),
        events,
        |_| None,
        rx.clone(),
    ));

    let mut pull = d
        .pull(&ImagePull {
            image: BIG_REPO.to_owned(),
            tag: Some(BIG_TAG.to_owned()),
            platform: None,
            registry_auth: None,
            all_tags: false,
        })
        .await
        .expect("pull starts");
    // Wait until layers are downloading, so the kill lands mid-pull.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let item = tokio::time::timeout(Duration::from_secs(20), pull.next_item())
            .await
            .expect("pull progress")
            .expect("the pull goes on")
            .expect("progress item");
        if item.status.as_deref() == Some("Downloading") || Instant::now() > deadline {
            break;
        }
    }
    let pull = tokio::spawn(drain(
        |s: &mut berth::PullStream| Box::pin(s.next_item()),
        pull,
        |i| i.status.clone(),
        rx.clone(),
    ));

    tx.send(Some(Instant::now())).expect("receivers alive");
    daemon.run(Some(action));

    for (what, task) in [("logs -f", logs), ("events", events), ("pull", pull)] {
        let ended = tokio::time::timeout(END_WITHIN, task)
            .await
            .unwrap_or_else(|_| panic!("{what} did not end within {END_WITHIN:?} of `{action}`"))
            .expect("drain task");
        eprintln!("{action}: {what} ended: {ended:?}");
        if let Some(e) = &ended.error {
            assert!(
                matches!(
                    e.category(),
                    Category::Protocol | Category::Transport | Category::Stream
                ),
                "{what} after `{action}`: unexpected error category: {e:?}"
            );
        }
        if action == "kill" {
            // SIGKILL cuts every connection mid-stream: nothing can end cleanly, and
            // the pull was still downloading.
            assert!(ended.error.is_some(), "{what} after SIGKILL: {ended:?}");
            if what == "pull" {
                assert!(
                    !ended
                        .last_status
                        .as_deref()
                        .is_some_and(|s| s.starts_with("Status: Downloaded")),
                    "the pull finished before the daemon died: make the image larger \
                     ({ended:?})"
                );
            }
        }
        // A graceful stop lets dockerd finish what it can (a pull may complete, logs
        // end when the container is stopped): a clean end is fine then.
    }

    // Restart; the same client reconnects.
    daemon.run(None);
    let v = tokio::time::timeout(Duration::from_secs(10), d.version())
        .await
        .expect("version after restart hung")
        .expect("the same client reaches the restarted daemon");
    assert!(v.api_version.is_some());
    d.ping().await.expect("ping after restart");
    let c = d
        .containers()
        .get(&name)
        .await
        .expect("the container survived the restart (stopped)");
    assert!(c.attrs().state.is_some());
    daemon.cli(&["rm", "-f", &name]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_end_when_the_daemon_dies_and_the_client_reconnects() {
    let _ = docker().await;
    ensure_big_image();
    let daemon = SecondDaemon::start();
    let d = berth::Docker::connect(&daemon.url()).expect("client");
    d.ping().await.expect("the second daemon answers");
    kill_while_streaming(&daemon, &d, "kill").await;
    kill_while_streaming(&daemon, &d, "stop").await;
}
