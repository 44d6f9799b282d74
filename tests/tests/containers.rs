//! Containers area against the real daemon: list, create, inspect, the lifecycle,
//! update, top, diff, stats, prune, commit and ports.
//!
//! Every container carries `berth.test=1` and a per-test `berth.test.case=<unique>`
//! label; a [`Case`] guard force-removes (with volumes) whatever carries its label
//! when the test ends, pass or fail.

use std::collections::HashMap;
use std::time::Duration;

use berth::api::containers::{
    ChangeKind, ContainerCommit, ContainerCreate, ContainerList, Signal, WaitCondition,
};
use berth::core::request::Filters;
use berth::models::{ContainerCreateBody, ContainerUpdateBody, HostConfig, PortBinding};
use berth::{Category, Container, Docker, RemoveOptions};
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};
use futures_util::StreamExt;

const IMAGE: &str = "busybox:berth-test";
const CASE_LABEL: &str = "berth.test.case";
const SLEEP: &[&str] = &["sleep", "300"];

/// One test's containers: created through berth, removed by the CLI on drop.
struct Case {
    tag: String,
    docker: Docker,
}

impl Case {
    async fn new(prefix: &str) -> Case {
        Case {
            tag: unique(prefix),
            docker: docker().await,
        }
    }

    /// The `label=berth.test.case=<tag>` filter.
    fn filter(&self) -> Filters {
        Filters::new().with("label", format!("{CASE_LABEL}={}", self.tag))
    }

    /// A body running `cmd` in the test image with this case's labels, without a
    /// network (nothing here needs one, and it spares a veth per container).
    fn body(&self, cmd: &[&str]) -> ContainerCreateBody {
        ContainerCreateBody {
            image: Some(IMAGE.into()),
            host_config: Some(no_network()),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            labels: Some(HashMap::from([
                (TEST_LABEL.to_string(), "1".to_string()),
                (CASE_LABEL.to_string(), self.tag.clone()),
            ])),
            ..ContainerCreateBody::default()
        }
    }

    async fn create_body(&self, name: Option<&str>, body: ContainerCreateBody) -> Container {
        self.docker
            .containers()
            .create_from_body(name, None, body)
            .await
            .expect("create container")
    }

    async fn create(&self, cmd: &[&str]) -> Container {
        self.create_body(None, self.body(cmd)).await
    }

    /// A started `sleep 300`.
    async fn running(&self) -> Container {
        let c = self.create(SLEEP).await;
        assert!(c.start().await.expect("start"));
        c
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let label = format!("label={CASE_LABEL}={}", self.tag);
        let ids = docker_cli(&["ps", "-aq", "--filter", &label]);
        for id in ids.lines().filter(|l| !l.is_empty()) {
            docker_cli(&["rm", "-f", "-v", id]);
        }
    }
}

fn no_network() -> HostConfig {
    HostConfig {
        network_mode: Some("none".into()),
        ..HostConfig::default()
    }
}

fn state(c: &Container) -> &serde_json::Value {
    &c.attrs().attrs["State"]
}

#[tokio::test]
async fn list_all_vs_running_label_filter_and_limit() {
    let case = Case::new("list").await;
    let running = case.running().await;
    let created = case.create(SLEEP).await;
    let containers = case.docker.containers();
    let ids = |items: Vec<berth::Typed<berth::models::ContainerSummary>>| -> Vec<String> {
        items
            .iter()
            .map(|s| s.id.clone().expect("Id"))
            .collect::<Vec<_>>()
    };

    let only_running = containers
        .list(&ContainerList {
            filters: case.filter(),
            ..ContainerList::default()
        })
        .await
        .expect("list running");
    assert_eq!(ids(only_running), vec![running.id().to_string()]);

    let all = containers
        .list(&ContainerList {
            all: true,
            filters: case.filter(),
            ..ContainerList::default()
        })
        .await
        .expect("list all");
    assert_eq!(all.len(), 2);
    let summary = all
        .iter()
        .find(|s| s.id.as_deref() == Some(created.id()))
        .expect("created one listed");
    assert_eq!(summary.attrs["State"], "created");
    assert_eq!(summary.labels.as_ref().expect("labels")[TEST_LABEL], "1");

    // Newest first; the limit applies after the filters.
    let newest = containers
        .list(&ContainerList {
            all: true,
            limit: Some(1),
            filters: case.filter(),
            ..ContainerList::default()
        })
        .await
        .expect("list limit 1");
    assert_eq!(ids(newest), vec![created.id().to_string()]);

    let after_first = containers
        .list(&ContainerList {
            all: true,
            since: Some(running.id().to_string()),
            filters: case.filter(),
            ..ContainerList::default()
        })
        .await
        .expect("list since");
    assert_eq!(ids(after_first), vec![created.id().to_string()]);

    let no_limit = containers
        .list(&ContainerList {
            all: true,
            limit: Some(-1),
            filters: case.filter(),
            ..ContainerList::default()
        })
        .await
        .expect("list limit -1");
    assert_eq!(no_limit.len(), 2);
}

#[tokio::test]
async fn list_before_and_list_inspected_with_ignore_removed() {
    let case = Case::new("list-full").await;
    let first = case.create(SLEEP).await;
    let second = case.running().await;
    let containers = case.docker.containers();

    let before_second = containers
        .list(&ContainerList {
            all: true,
            before: Some(second.id().to_string()),
            filters: case.filter(),
            ..ContainerList::default()
        })
        .await
        .expect("list before");
    let ids: Vec<_> = before_second
        .iter()
        .map(|s| s.id.clone().expect("Id"))
        .collect();
    assert_eq!(ids, vec![first.id().to_string()]);

    // docker-py's non-sparse list: full objects, newest first.
    let all = ContainerList {
        all: true,
        filters: case.filter(),
        ..ContainerList::default()
    };
    let full = containers
        .list_inspected(&all, false)
        .await
        .expect("list inspected");
    let got: Vec<(&str, Option<&str>)> = full.iter().map(|c| (c.id(), c.status())).collect();
    assert_eq!(
        got,
        vec![
            (second.id(), Some("running")),
            (first.id(), Some("created"))
        ]
    );
    assert_eq!(
        full[0].attrs().attrs["State"]["Running"],
        true,
        "inspect answers"
    );

    // A container removed between the list and its inspect.
    let listed: Vec<String> = containers
        .list(&all)
        .await
        .expect("list")
        .into_iter()
        .filter_map(|s| s.into_typed().id)
        .collect();
    first
        .remove(RemoveOptions::default())
        .await
        .expect("remove the created one");
    let ids = listed.iter().map(String::as_str);
    let e = containers
        .get_each(ids.clone(), false)
        .await
        .expect_err("one is gone");
    assert!(e.is_not_found(), "{e}");
    let kept = containers
        .get_each(ids, true)
        .await
        .expect("ignore_removed");
    assert_eq!(
        kept.iter().map(Container::id).collect::<Vec<_>>(),
        vec![second.id()]
    );
}

#[tokio::test]
async fn create_sets_name_and_platform() {
    let case = Case::new("create").await;
    let name = unique("create-named");
    let created = case
        .docker
        .execute(&ContainerCreate {
            name: Some(name.clone()),
            platform: Some("linux/amd64".into()),
            body: case.body(SLEEP),
        })
        .await
        .expect("create with platform");
    assert_eq!(created.id.len(), 64);
    assert!(created.warnings.is_empty(), "{:?}", created.attrs);
    let c = case.docker.containers().get(&name).await.expect("get");
    assert_eq!(c.id(), created.id);
    assert_eq!(c.name(), Some(name.as_str()));
    assert_eq!(c.attrs().attrs["Platform"], "linux");
    assert_eq!(c.attrs().attrs["Config"]["Cmd"], serde_json::json!(SLEEP));
    assert_eq!(
        docker_cli(&["inspect", "--format", "{{.Name}}", created.id.as_str()]),
        format!("/{name}")
    );
}

#[tokio::test]
async fn create_name_conflict_is_conflict() {
    let case = Case::new("conflict").await;
    let name = unique("conflict-named");
    case.create_body(Some(&name), case.body(SLEEP)).await;
    let e = case
        .docker
        .containers()
        .create_from_body(Some(&name), None, case.body(SLEEP))
        .await
        .expect_err("second create with the same name");
    assert_eq!(e.category(), Category::Conflict, "{e}");
    assert_eq!(e.status(), Some(409));
    assert!(e.daemon_message().expect("message").contains(&name));
}

#[tokio::test]
async fn create_with_missing_image_is_image_not_found() {
    let case = Case::new("noimage").await;
    let body = ContainerCreateBody {
        image: Some(format!("{}:nope", unique("missing-image"))),
        ..case.body(SLEEP)
    };
    let e = case
        .docker
        .containers()
        .create_from_body(None, None, body)
        .await
        .expect_err("no such image");
    assert_eq!(e.category(), Category::ImageNotFound, "{e}");
    assert!(e.is_not_found());
}

#[tokio::test]
async fn inspect_unknown_is_not_found() {
    let d = docker().await;
    let e = d
        .containers()
        .get(&unique("no-such-container"))
        .await
        .expect_err("unknown container");
    assert_eq!(e.category(), Category::NotFound, "{e}");
    assert_eq!(e.status(), Some(404));
    let e = d.containers().get("").await.expect_err("empty id");
    assert_eq!(e.category(), Category::InvalidArgument);
}

#[tokio::test]
async fn start_twice_second_reports_not_changed() {
    let case = Case::new("start").await;
    let mut c = case.create(SLEEP).await;
    assert_eq!(c.status(), Some("created"));
    assert!(c.start().await.expect("first start"), "started");
    assert!(
        !c.start().await.expect("304 is success"),
        "second start reports not changed"
    );
    c.reload().await.expect("reload");
    assert_eq!(c.status(), Some("running"));
    assert_eq!(state(&c)["Running"], true);
}

/// A shell that ignores SIGTERM (as PID 1 it would ignore it anyway without a handler;
/// this one says so) and exits with `code` on SIGUSR1.
const STUBBORN: &[&str] = &[
    "sh",
    "-c",
    "trap '' TERM; trap 'exit 43' USR1; while true; do sleep 0.1; done",
];

#[tokio::test]
async fn stop_with_timeout_then_again_not_changed() {
    let case = Case::new("stop").await;
    let mut c = case.create(STUBBORN).await;
    c.start().await.expect("start");
    // SIGTERM is ignored: the daemon kills after the given 1 s, not its default 10 s.
    let started = std::time::Instant::now();
    assert!(c.stop(Some(1)).await.expect("stop"), "stopped");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(8),
        "stop with t=1 took {took:?}"
    );
    c.reload().await.expect("reload");
    assert_eq!(c.status(), Some("exited"));
    assert_eq!(state(&c)["ExitCode"], 137, "killed after the timeout");
    assert!(
        !c.stop(Some(1)).await.expect("304 is success"),
        "second stop reports not changed"
    );
}

#[tokio::test]
async fn restart_changes_started_at() {
    let case = Case::new("restart").await;
    let mut c = case.running().await;
    let before = state(&c)["StartedAt"].clone();
    c.restart(Some(1)).await.expect("restart");
    c.reload().await.expect("reload");
    assert_eq!(c.status(), Some("running"));
    assert_ne!(state(&c)["StartedAt"], before);
}

#[tokio::test]
async fn kill_by_name_and_number_then_conflict_when_stopped() {
    let case = Case::new("kill").await;
    // Each signal leaves its own exit code: TERM trapped to 42, USR1 (10) to 43, the
    // default (KILL) 137.
    let body = |cmd: &str| case.body(&["sh", "-c", cmd]);
    let trapping =
        "trap 'exit 42' TERM; trap 'exit 43' USR1; echo ready; while true; do sleep 0.1; done";
    let mut all = Vec::new();
    for _ in 0..3 {
        let c = case.create_body(None, body(trapping)).await;
        c.start().await.expect("start");
        all.push(c);
    }
    // The traps are set once the shell says so (a signal before that would be ignored:
    // PID 1 has no default actions).
    for c in &all {
        let mut ready = false;
        for _ in 0..200 {
            let logs = c.logs(|_| {}).await.expect("logs");
            let out = berth::Output::collect(logs).await.expect("read logs");
            if out.stdout == b"ready\n" {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "the shell set its traps");
    }
    all[0]
        .kill(Some(Signal::from("SIGTERM")))
        .await
        .expect("kill SIGTERM");
    all[1].kill(Some(Signal::from(10))).await.expect("kill 10");
    all[2].kill(None).await.expect("kill");
    for (c, code) in all.iter().zip([42, 43, 137]) {
        let w = c
            .wait(None, Some(Duration::from_secs(30)))
            .await
            .expect("wait after kill");
        assert_eq!(w.status_code, code, "{:?}", w.attrs);
    }
    let e = all[0]
        .kill(None)
        .await
        .expect_err("kill a stopped container");
    assert_eq!(e.category(), Category::Conflict, "{e}");
}

#[tokio::test]
async fn pause_and_unpause() {
    let case = Case::new("pause").await;
    let mut c = case.running().await;
    c.pause().await.expect("pause");
    c.reload().await.expect("reload");
    assert_eq!(state(&c)["Paused"], true);
    assert_eq!(c.status(), Some("paused"));
    c.unpause().await.expect("unpause");
    c.reload().await.expect("reload");
    assert_eq!(state(&c)["Paused"], false);
    assert_eq!(c.status(), Some("running"));
}

#[tokio::test]
async fn wait_returns_exit_code_and_honours_conditions() {
    let case = Case::new("wait").await;
    let c = case.create(&["sh", "-c", "sleep 1; exit 3"]).await;
    c.start().await.expect("start");
    let next = c
        .wait(Some(WaitCondition::NextExit), Some(Duration::from_secs(30)))
        .await
        .expect("wait next-exit");
    assert_eq!(next.status_code, 3);
    assert!(
        next.error
            .as_ref()
            .and_then(|e| e.message.as_deref())
            .unwrap_or("")
            .is_empty(),
        "{:?}",
        next.attrs
    );
    // Already stopped: the default condition (not-running) answers at once.
    let again = c
        .wait(None, Some(Duration::from_secs(10)))
        .await
        .expect("wait not-running");
    assert_eq!(again.status_code, 3);

    let waiter = {
        let c = c.clone();
        tokio::spawn(async move {
            c.wait(Some(WaitCondition::Removed), Some(Duration::from_secs(30)))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.remove(RemoveOptions::default()).await.expect("remove");
    let removed = waiter.await.expect("waiter task").expect("wait removed");
    assert_eq!(removed.status_code, 3);
}

#[tokio::test]
async fn wait_with_timeout_on_running_is_timeout() {
    let case = Case::new("waittimeout").await;
    let c = case.running().await;
    let e = c
        .wait(None, Some(Duration::from_millis(500)))
        .await
        .expect_err("still running");
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.category(), Category::Timeout);
}

#[tokio::test]
async fn remove_conflict_force_and_volumes() {
    let case = Case::new("remove").await;
    let c = case.running().await;
    let e = c
        .remove(RemoveOptions::default())
        .await
        .expect_err("running without force");
    assert_eq!(e.category(), Category::Conflict, "{e}");
    c.remove(RemoveOptions {
        force: true,
        ..RemoveOptions::default()
    })
    .await
    .expect("force remove");
    let e = case
        .docker
        .containers()
        .get(c.id())
        .await
        .expect_err("gone");
    assert!(e.is_not_found(), "{e}");
    let e = c
        .remove(RemoveOptions::default())
        .await
        .expect_err("remove twice");
    assert!(e.is_not_found(), "{e}");

    let with_volume = case
        .create_body(
            None,
            ContainerCreateBody {
                volumes: Some(vec!["/data".into()]),
                ..case.body(SLEEP)
            },
        )
        .await;
    let volume = with_volume.attrs().attrs["Mounts"][0]["Name"]
        .as_str()
        .expect("anonymous volume name")
        .to_owned();
    let exists = |v: &str| {
        docker_cli(&["volume", "ls", "-q", "--filter", &format!("name={v}")])
            .lines()
            .any(|l| l == v)
    };
    assert!(exists(&volume));
    with_volume
        .remove(RemoveOptions {
            volumes: true,
            ..RemoveOptions::default()
        })
        .await
        .expect("remove with v");
    assert!(
        !exists(&volume),
        "anonymous volume {volume} removed with v=1"
    );
}

#[tokio::test]
async fn rename_changes_name() {
    let case = Case::new("rename").await;
    let old = unique("rename-old");
    let new = unique("rename-new");
    let mut c = case.create_body(Some(&old), case.body(SLEEP)).await;
    c.rename(&new).await.expect("rename");
    assert_eq!(c.name(), Some(new.as_str()));
    let fetched = case
        .docker
        .containers()
        .get(&new)
        .await
        .expect("by new name");
    assert_eq!(fetched.id(), c.id());
    assert!(
        case.docker
            .containers()
            .get(&old)
            .await
            .expect_err("old name")
            .is_not_found()
    );
    let mut other = case.create(SLEEP).await;
    let e = other.rename(&new).await.expect_err("name taken");
    assert_eq!(e.category(), Category::Conflict, "{e}");
}

#[tokio::test]
async fn update_memory_cpu_shares_and_zero_quota() {
    let case = Case::new("update").await;
    let body = ContainerCreateBody {
        host_config: Some(HostConfig {
            cpu_period: Some(100_000),
            cpu_quota: Some(50_000),
            ..no_network()
        }),
        ..case.body(SLEEP)
    };
    let mut c = case.create_body(None, body).await;
    assert!(c.start().await.expect("start"));
    assert_eq!(c.attrs().attrs["HostConfig"]["CpuQuota"], 50_000);
    let r = c
        .update(ContainerUpdateBody {
            memory: Some(64 << 20),
            memory_swap: Some(128 << 20),
            cpu_shares: Some(512),
            ..ContainerUpdateBody::default()
        })
        .await
        .expect("update memory and shares");
    assert!(r.attrs.get("Warnings").is_some(), "{:?}", r.attrs);
    c.reload().await.expect("reload");
    let hc = &c.attrs().attrs["HostConfig"];
    assert_eq!(hc["Memory"], 64 << 20);
    assert_eq!(hc["CpuShares"], 512);
    // A zero is sent (the unit tests check the wire) and accepted; dockerd reads it
    // as "unchanged". -1 lifts the quota.
    c.update(ContainerUpdateBody {
        cpu_quota: Some(0),
        ..ContainerUpdateBody::default()
    })
    .await
    .expect("update CpuQuota 0");
    c.reload().await.expect("reload");
    assert_eq!(c.attrs().attrs["HostConfig"]["CpuQuota"], 50_000);
    c.update(ContainerUpdateBody {
        cpu_quota: Some(-1),
        ..ContainerUpdateBody::default()
    })
    .await
    .expect("update CpuQuota -1");
    c.reload().await.expect("reload");
    assert_eq!(c.attrs().attrs["HostConfig"]["CpuQuota"], -1);
}

#[tokio::test]
async fn resize_tty_container() {
    let case = Case::new("resize").await;
    let body = ContainerCreateBody {
        tty: Some(true),
        ..case.body(SLEEP)
    };
    let c = case.create_body(None, body).await;
    c.start().await.expect("start");
    c.resize(40, 100).await.expect("resize");
    // The container's terminal (PID 1's stdin) has the new size.
    let size = case
        .docker
        .exec_run(&berth::api::exec::ExecCreate::new(
            c.id(),
            ["sh", "-c", "stty size < /proc/1/fd/0"],
        ))
        .await
        .expect("exec stty of PID 1's terminal");
    assert_eq!(
        String::from_utf8_lossy(&size.output.stdout).trim(),
        "40 100",
        "{:?}",
        String::from_utf8_lossy(&size.output.stderr)
    );
}

#[tokio::test]
async fn top_lists_processes() {
    let case = Case::new("top").await;
    let c = case.running().await;
    let top = c.top(None).await.expect("top");
    let titles = top.titles.as_ref().expect("Titles");
    assert!(titles.iter().any(|t| t == "PID"), "{titles:?}");
    let procs = top.processes.as_ref().expect("Processes");
    assert!(
        procs
            .iter()
            .any(|p| p.iter().any(|f| f.contains("sleep 300"))),
        "{procs:?}"
    );
    // ps_args are passed to ps: only the asked-for columns.
    let top = c.top(Some("-o pid,comm")).await.expect("top -o pid,comm");
    assert_eq!(
        top.titles.as_deref(),
        Some(&["PID".to_string(), "COMMAND".to_string()][..]),
        "{:?}",
        top.attrs
    );
    let procs = top.processes.as_ref().expect("Processes");
    assert!(
        procs.iter().any(|p| p.len() == 2 && p[1] == "sleep"),
        "{procs:?}"
    );
    c.stop(Some(1)).await.expect("stop");
    let e = c.top(None).await.expect_err("top of a stopped container");
    assert!(e.status().is_some_and(|s| s >= 400), "{e}");
}

#[tokio::test]
async fn diff_reports_added_file() {
    let case = Case::new("diff").await;
    let untouched = case.create(SLEEP).await;
    assert!(
        untouched
            .diff()
            .await
            .expect("diff of a new container")
            .is_empty(),
        "null → empty"
    );
    let c = case.create(&["sh", "-c", "echo x > /tmp/f"]).await;
    c.start().await.expect("start");
    let w = c
        .wait(None, Some(Duration::from_secs(30)))
        .await
        .expect("wait");
    assert_eq!(w.status_code, 0);
    let changes = c.diff().await.expect("diff");
    let kinds: Vec<(String, ChangeKind)> = changes
        .iter()
        .map(|ch| (ch.path.clone(), ChangeKind::of(ch)))
        .collect();
    assert!(
        kinds.contains(&("/tmp/f".to_string(), ChangeKind::Added)),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn stats_one_shot_and_stream() {
    let case = Case::new("stats").await;
    let c = case.running().await;
    let once = c.stats_once(true).await.expect("stats one-shot");
    assert!(once.attrs["memory_stats"].is_object(), "{:?}", once.attrs);
    assert_eq!(
        once.attrs["name"].as_str(),
        Some(format!("/{}", c.name().expect("name")).as_str())
    );
    assert_eq!(once.id.as_deref(), Some(c.id()), "typed view");
    let precpu_system = |s: &berth::models::ContainerStatsResponse| {
        s.precpu_stats
            .as_ref()
            .and_then(|p| p.system_cpu_usage)
            .unwrap_or(0)
    };
    // one-shot: a single sample, no previous one to compare with.
    assert_eq!(precpu_system(&once), 0, "{:?}", once.attrs["precpu_stats"]);
    // Not one-shot: the daemon takes two samples, the first as `precpu_stats`.
    let twice = c.stats_once(false).await.expect("stats, two samples");
    assert!(
        precpu_system(&twice) > 0,
        "{:?}",
        twice.attrs["precpu_stats"]
    );
    let mut stream = c.stats_stream().await.expect("stats stream");
    for i in 0..2 {
        let sample = stream
            .next()
            .await
            .expect("a sample")
            .expect("sample decodes");
        assert!(sample.attrs["memory_stats"].is_object(), "sample {i}");
        assert!(sample.memory_stats.is_some(), "typed view, sample {i}");
    }
}

#[tokio::test]
async fn prune_removes_only_labelled_stopped_containers() {
    let case = Case::new("prune").await;
    let prune_tag = unique("prune-set");
    let labelled = |cmd: &[&str]| {
        let mut body = case.body(cmd);
        if let Some(l) = body.labels.as_mut() {
            l.insert("berth.test.prune".into(), prune_tag.clone());
        }
        body
    };
    // It wrote 1 MiB to its own layer: what pruning it reclaims.
    let stopped = case
        .create_body(
            None,
            labelled(&["sh", "-c", "head -c 1048576 /dev/zero > /big"]),
        )
        .await;
    stopped.start().await.expect("start");
    stopped
        .wait(None, Some(Duration::from_secs(30)))
        .await
        .expect("wait");
    let running = case.create_body(None, labelled(SLEEP)).await;
    running.start().await.expect("start");
    let bystander = case.create(&["true"]).await;
    let r = case
        .docker
        .containers()
        .prune(&Filters::new().with("label", format!("berth.test.prune={prune_tag}")))
        .await
        .expect("prune");
    let deleted = r.containers_deleted.clone().unwrap_or_default();
    assert_eq!(deleted, vec![stopped.id().to_string()], "{:?}", r.attrs);
    let reclaimed = r.space_reclaimed.expect("SpaceReclaimed");
    assert!(reclaimed >= 1 << 20, "reclaimed {reclaimed} bytes");
    assert!(case.docker.containers().get(running.id()).await.is_ok());
    assert!(case.docker.containers().get(bystander.id()).await.is_ok());
}

/// Removes an image tag on drop.
struct ImageGuard(String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        if !docker_cli(&["image", "ls", "-q", &self.0]).is_empty() {
            docker_cli(&["rmi", &self.0]);
        }
    }
}

#[tokio::test]
async fn commit_makes_an_image() {
    let case = Case::new("commit").await;
    let c = case.create(&["sh", "-c", "echo hi > /hello"]).await;
    c.start().await.expect("start");
    c.wait(None, Some(Duration::from_secs(30)))
        .await
        .expect("wait");
    let repo = unique("commit");
    let reference = format!("{repo}:v1");
    let _guard = ImageGuard(reference.clone());
    let id = c
        .commit(ContainerCommit {
            repo: Some(repo.clone()),
            tag: Some("v1".into()),
            comment: Some("made by berth".into()),
            author: Some("berth tests".into()),
            changes: vec![format!("LABEL {TEST_LABEL}=1"), "ENV BERTH=1".into()],
            ..ContainerCommit::default()
        })
        .await
        .expect("commit");
    assert!(id.id.starts_with("sha256:"), "{:?}", id.attrs);
    let inspected = docker_cli(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}|{{.Comment}}|{{.Author}}|{{json .Config.Env}}|{{index .Config.Labels \"berth.test\"}}",
        &reference,
    ]);
    let fields: Vec<&str> = inspected.split('|').collect();
    assert_eq!(fields[0], id.id);
    assert_eq!(fields[1], "made by berth");
    assert_eq!(fields[2], "berth tests");
    assert!(fields[3].contains("BERTH=1"), "{inspected}");
    assert_eq!(fields[4], "1");

    // A config for the image, committed from a running container paused meanwhile.
    let running = case.running().await;
    let reference = format!("{repo}:conf");
    let _guard = ImageGuard(reference.clone());
    running
        .commit(ContainerCommit {
            repo: Some(repo.clone()),
            tag: Some("conf".into()),
            pause: true,
            config: Some(serde_json::json!({
                "Cmd": ["echo", "from conf"],
                "Labels": {TEST_LABEL: "1", "berth.test.conf": "yes"},
            })),
            ..ContainerCommit::default()
        })
        .await
        .expect("commit with conf");
    let inspected = docker_cli(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Cmd}}|{{index .Config.Labels \"berth.test.conf\"}}",
        &reference,
    ]);
    assert_eq!(inspected, r#"["echo","from conf"]|yes"#);
    let mut running = running;
    running.reload().await.expect("reload");
    assert_eq!(
        running.status(),
        Some("running"),
        "unpaused after the commit"
    );
}

#[tokio::test]
async fn port_reports_published_binding() {
    let case = Case::new("port").await;
    let body = ContainerCreateBody {
        exposed_ports: Some(vec!["80/tcp".into()]),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                "80/tcp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(String::new()),
                }]),
            )])),
            ..HostConfig::default()
        }),
        ..case.body(&["sleep", "60"])
    };
    let mut c = case.create_body(None, body).await;
    c.start().await.expect("start");
    let bindings = c.port("80").await.expect("port").expect("80 is published");
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    assert_eq!(bindings[0].host_ip, "127.0.0.1");
    let host_port: u16 = bindings[0].host_port.parse().expect("numeric host port");
    assert!(host_port > 0);
    assert_eq!(
        c.port("80/tcp").await.expect("port"),
        Some(bindings.clone())
    );
    assert_eq!(c.port("81").await.expect("port"), None);
    assert_eq!(c.port("80/udp").await.expect("port"), None);
    c.reload().await.expect("reload");
    assert_eq!(c.ports().get("80/tcp"), Some(&bindings));
}

#[tokio::test]
async fn container_object_fields() {
    let case = Case::new("fields").await;
    let name = unique("fields-named");
    let c = case.create_body(Some(&name), case.body(SLEEP)).await;
    assert_eq!(c.name(), Some(name.as_str()), "no leading '/'");
    assert_eq!(c.attrs().attrs["Name"], format!("/{name}"));
    assert_eq!(c.short_id().len(), 12);
    assert!(c.id().starts_with(c.short_id()));
    assert_eq!(c.status(), Some("created"));
    assert_eq!(c.health(), "unknown");
    let labels = c.labels();
    assert_eq!(labels.get(TEST_LABEL).map(String::as_str), Some("1"));
    assert_eq!(labels.get(CASE_LABEL), Some(&case.tag));
    let image = docker_cli(&["image", "inspect", "--format", "{{.Id}}", IMAGE]);
    assert_eq!(c.image_id(), Some(image.as_str()));
    assert!(c.ports().is_empty());
    assert!(
        c.attrs().unread().is_empty(),
        "unread: {:?}",
        c.attrs().unread()
    );
}

#[tokio::test]
async fn remove_a_legacy_link_by_its_name() {
    let case = Case::new("link").await;
    // Legacy links live on the default bridge network.
    let on_bridge = |cmd: &[&str], links: Option<Vec<String>>| ContainerCreateBody {
        host_config: Some(HostConfig {
            links,
            ..HostConfig::default()
        }),
        ..case.body(cmd)
    };
    let target_name = unique("link-target");
    let target = case
        .create_body(Some(&target_name), on_bridge(SLEEP, None))
        .await;
    target.start().await.expect("start target");
    let holder_name = unique("link-holder");
    let holder = case
        .create_body(
            Some(&holder_name),
            on_bridge(SLEEP, Some(vec![format!("{target_name}:db")])),
        )
        .await;
    holder.start().await.expect("start holder");
    let link = format!("/{holder_name}/db");
    let containers = case.docker.containers();
    // Names as the daemon reports them, with their leading slash.
    assert_eq!(holder.attrs().attrs["Name"], format!("/{holder_name}"));
    let by_reported_name = containers
        .get(&format!("/{target_name}"))
        .await
        .expect("by /name");
    assert_eq!(by_reported_name.id(), target.id());
    // The link is a name of the target until removed.
    assert_eq!(
        containers.get(&link).await.expect("by link name").id(),
        target.id()
    );
    case.docker
        .execute(&berth::api::containers::ContainerRemove {
            id: link.clone(),
            link: true,
            ..Default::default()
        })
        .await
        .expect("remove the link");
    let e = containers.get(&link).await.expect_err("link gone");
    assert!(e.is_not_found(), "{e}");
    // Only the link: both containers are still there.
    assert!(containers.get(target.id()).await.is_ok());
    assert!(containers.get(holder.id()).await.is_ok());
}

#[tokio::test]
async fn health_follows_the_healthcheck() {
    let case = Case::new("health").await;
    let check = |cmd: &str| berth::models::HealthConfig {
        test: Some(vec!["CMD-SHELL".into(), cmd.into()]),
        interval: Some(500_000_000),
        timeout: Some(5_000_000_000),
        retries: Some(1),
        ..Default::default()
    };
    let healthy = case
        .create_body(
            None,
            ContainerCreateBody {
                healthcheck: Some(check("true")),
                ..case.body(SLEEP)
            },
        )
        .await;
    let sick = case
        .create_body(
            None,
            ContainerCreateBody {
                healthcheck: Some(check("exit 1")),
                ..case.body(SLEEP)
            },
        )
        .await;
    assert_eq!(healthy.health(), "unknown", "not started: no health yet");
    for (c, want) in [(healthy, "healthy"), (sick, "unhealthy")] {
        let mut c = c;
        c.start().await.expect("start");
        let mut seen = Vec::new();
        for _ in 0..100 {
            c.reload().await.expect("reload");
            if seen.last().map(String::as_str) != Some(c.health()) {
                seen.push(c.health().to_owned());
            }
            if c.health() == want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(seen.last().map(String::as_str), Some(want), "{seen:?}");
        assert!(
            seen.iter().all(|h| h == "starting" || h == want),
            "{seen:?}"
        );
    }
}

#[test]
fn blocking_client_lifecycle() {
    let d = berth::blocking::Docker::from_env().expect("blocking client");
    let tag = unique("blocking");
    let _cleanup = BlockingCleanup(tag.clone());
    let body = ContainerCreateBody {
        image: Some(IMAGE.into()),
        host_config: Some(no_network()),
        cmd: Some(SLEEP.iter().map(|s| s.to_string()).collect()),
        labels: Some(HashMap::from([
            (TEST_LABEL.to_string(), "1".to_string()),
            (CASE_LABEL.to_string(), tag.clone()),
        ])),
        ..ContainerCreateBody::default()
    };
    let mut c = d
        .containers()
        .create_from_body(None, None, body)
        .expect("create");
    assert!(c.start().expect("start"));
    let mut stats = c.stats_stream().expect("stats stream");
    assert!(
        stats
            .next()
            .expect("a sample")
            .expect("decodes")
            .memory_stats
            .is_some()
    );
    drop(stats);
    assert!(c.stop(Some(1)).expect("stop"));
    c.reload().expect("reload");
    assert_eq!(c.status(), Some("exited"));
    let listed = d
        .containers()
        .list(&ContainerList {
            all: true,
            filters: Filters::new().with("label", format!("{CASE_LABEL}={tag}")),
            ..ContainerList::default()
        })
        .expect("list");
    assert_eq!(listed.len(), 1);
    let full = d
        .containers()
        .list_inspected(
            &ContainerList {
                all: true,
                filters: Filters::new().with("label", format!("{CASE_LABEL}={tag}")),
                ..ContainerList::default()
            },
            false,
        )
        .expect("list inspected");
    assert_eq!(
        full.iter()
            .map(|f| (f.id(), f.status()))
            .collect::<Vec<_>>(),
        vec![(c.id(), Some("exited"))]
    );
    let each = d
        .containers()
        .get_each([c.id(), "berth-no-such-container"], true)
        .expect("get_each ignoring the unknown one");
    assert_eq!(each.len(), 1);
    c.remove(RemoveOptions::default()).expect("remove");
    assert!(d.containers().get(c.id()).expect_err("gone").is_not_found());
}

/// The blocking test's cleanup (it has no async [`Case`]).
struct BlockingCleanup(String);

impl Drop for BlockingCleanup {
    fn drop(&mut self) {
        let label = format!("label={CASE_LABEL}={}", self.0);
        for id in docker_cli(&["ps", "-aq", "--filter", &label]).lines() {
            if !id.is_empty() {
                docker_cli(&["rm", "-f", "-v", id]);
            }
        }
    }
}
