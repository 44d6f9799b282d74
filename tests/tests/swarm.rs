//! Swarm, nodes, secrets, configs, services and tasks against the real daemon.
//!
//! The daemon is shared with other tests, so the swarm lives as briefly as possible
//! and exactly once: ONE test runs ordered steps (each a named async fn, announced
//! on stderr, so a failure names its step) on one single-node swarm initialised with
//! `--advertise-addr 127.0.0.1`. A [`SwarmGuard`] force-leaves the swarm when the
//! test ends, pass or fail; leaving removes every service, task container, secret and
//! config with it (the guard also removes the volumes and the host directory that
//! service tasks used). Everything created carries `berth.test=1`.
//!
//! The steps of `service_spec`, `service_modes` and `service_update` (in `swarm/`)
//! prove that each service option reaches the daemon under the right JSON name
//! (swarmkit silently drops what it does not know).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use berth::api::configs::ConfigCreate;
use berth::api::networks::{EndpointConfig, NetworkCreate, NetworkList};
use berth::api::nodes::{Availability, NodeSpecChange};
use berth::api::secrets::SecretCreate;
use berth::api::services::{
    EndpointSpec, PortConfig, PortProtocol, PublishMode, Resources, RestartCondition,
    ServiceInspect, ServiceList, ServiceMode, ServiceOptions, TaskRestartPolicy, UpdateConfig,
};
use berth::api::swarm::{
    DriverConfig, SwarmInit, SwarmJoin, SwarmSpecOptions, is_update_out_of_sequence,
};
use berth::api::tasks::{task_container_id, task_error, task_state};
use berth::core::request::Filters;
use berth::{Category, Config, Docker, Output, Rotate, Secret, Service, Swarm};
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};
use serde_json::{Value, json};

#[path = "swarm/service_modes.rs"]
mod service_modes;
#[path = "swarm/service_spec.rs"]
mod service_spec;
#[path = "swarm/service_update.rs"]
mod service_update;

/// In the local registry, so the swarm resolves its digest (no create warning).
const IMAGE: &str = "127.0.0.1:5000/busybox:berth-test";
const CASE_LABEL: &str = "berth.test.case";
const DEADLINE: Duration = Duration::from_secs(90);

/// Force-leaves the swarm on drop (pass or fail) and removes the `docker_gwbridge`
/// network swarm mode leaves behind, then the case's volumes (task containers are
/// gone with the swarm) and the host directory bind-mounted into a service.
struct SwarmGuard {
    case: String,
}

impl Drop for SwarmGuard {
    fn drop(&mut self) {
        leave_with_cli();
        let volumes = std::process::Command::new("docker")
            .args(["volume", "ls", "-q", "--filter"])
            .arg(format!("label={CASE_LABEL}={}", self.case))
            .output();
        if let Ok(out) = volumes {
            for name in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = std::process::Command::new("docker")
                    .args(["volume", "rm", "-f", name])
                    .output();
            }
        }
        let _ = std::fs::remove_dir_all(service_spec::bind_dir(&self.case));
    }
}

fn leave_with_cli() {
    let run = |args: &[&str]| {
        let _ = std::process::Command::new("docker").args(args).output();
    };
    run(&["swarm", "leave", "--force"]);
    run(&["network", "rm", "docker_gwbridge"]);
}

/// Announces a step with the time since the first one, so a slow step shows.
/// Calls `remove` every 300 ms until it succeeds: the swarm releases what its tasks
/// used (networks, secrets) asynchronously. Panics naming `what` with the last error
/// once [`DEADLINE`] has passed.
pub(crate) async fn remove_once_released<F, Fut>(what: &str, mut remove: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = berth::Result<()>>,
{
    let start = Instant::now();
    loop {
        match remove().await {
            Ok(()) => return,
            Err(e) if start.elapsed() < DEADLINE => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("remove {what}: {e:?}"),
        }
    }
}

/// `opts` with each label set on the service and on its containers.
pub(crate) fn labelled(
    opts: ServiceOptions,
    labels: impl IntoIterator<Item = (String, String)>,
) -> ServiceOptions {
    labels.into_iter().fold(opts, |o, (k, v)| {
        o.label(k.clone(), v.clone()).container_label(k, v)
    })
}

fn step(name: &str) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let at = START.get_or_init(Instant::now).elapsed();
    eprintln!("=== swarm step: {name} (at {:.1} s)", at.as_secs_f64());
}

/// What the steps share.
struct Ctx {
    docker: Docker,
    case: String,
    swarm: Swarm,
    secret: Option<Secret>,
    secret_data: Vec<u8>,
    config: Option<Config>,
    config_data: Vec<u8>,
    service: Option<Service>,
    spec: service_spec::SpecServices,
}

impl Ctx {
    fn labels(&self) -> [(String, String); 2] {
        [
            (TEST_LABEL.to_string(), "1".to_string()),
            (CASE_LABEL.to_string(), self.case.clone()),
        ]
    }

    fn case_filter(&self) -> Filters {
        Filters::new().with("label", format!("{CASE_LABEL}={}", self.case))
    }

    fn service(&self) -> &Service {
        self.service
            .as_ref()
            .expect("the service exists (create_service ran)")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swarm_nodes_secrets_configs_services_tasks() {
    let docker = docker().await;
    let mut probe = docker.swarm();
    if probe.try_reload().await.expect("swarm state") {
        eprintln!("a swarm was left active by an earlier run; leaving it first");
        leave_with_cli();
    }
    let mut ctx = Ctx {
        swarm: docker.swarm(),
        docker,
        case: unique("swarm"),
        secret: None,
        secret_data: b"berth-secret-\xff\xfe\x00-end\n".to_vec(),
        config: None,
        config_data: b"cfg-line-1\ncfg \xe2\x9c\x93 line 2\n".to_vec(),
        service: None,
        spec: service_spec::SpecServices::default(),
    };
    not_in_swarm_is_typed(&mut ctx).await;
    let _guard = SwarmGuard {
        case: ctx.case.clone(),
    };
    init_reflects_spec(&mut ctx).await;
    join_tokens_present(&ctx);
    join_errors(&ctx).await;
    update_rotates_and_merges(&mut ctx).await;
    swarm_spec_fields_update(&mut ctx).await;
    autolock_unlock_key(&mut ctx).await;
    nodes_list_inspect_update_remove(&ctx).await;
    overlay_network_scope_and_attachable(&ctx).await;
    secrets_crud(&mut ctx).await;
    configs_crud(&mut ctx).await;
    create_service(&mut ctx).await;
    task_reaches_running(&ctx, 1).await;
    secret_and_config_inside_task(&ctx).await;
    service_logs_show_secret(&ctx).await;
    service_inspect_and_list(&ctx).await;
    service_update_merges_env(&mut ctx).await;
    scale_to_two(&ctx).await;
    global_service_refuses_scale(&ctx).await;
    published_ports_are_kept(&ctx).await;
    force_update_increments(&ctx).await;
    rollback_restores_previous_spec(&ctx).await;
    tasks_list_and_inspect(&ctx).await;
    service_spec::full_service_spec_round_trips(&mut ctx).await;
    service_spec::full_service_task_shows_the_spec(&ctx).await;
    service_modes::global_service_spec_round_trips(&mut ctx).await;
    service_modes::job_modes_round_trip(&mut ctx).await;
    service_modes::service_list_filters(&ctx).await;
    service_modes::task_list_filters(&ctx).await;
    service_update::full_service_update_round_trips(&mut ctx).await;
    service_spec::remove_spec_services(&mut ctx).await;
    blocking_client_sees_the_swarm(&ctx);
    remove_service_then_secret_and_config(&mut ctx).await;
    leave_and_join_errors(&mut ctx).await;
}

async fn not_in_swarm_is_typed(ctx: &mut Ctx) {
    step("not_in_swarm_is_typed");
    assert!(!ctx.swarm.try_reload().await.expect("tolerant reload"));
    assert!(ctx.swarm.attrs().is_none());
    let e = ctx
        .swarm
        .reload()
        .await
        .expect_err("inspect outside a swarm");
    assert!(
        matches!(e.category(), Category::Unavailable | Category::NotInSwarm),
        "{e:?}"
    );
    assert!(
        e.daemon_message().is_some_and(|m| m.contains("swarm")),
        "{e}"
    );
    for e in [
        ctx.docker
            .nodes()
            .list(&Filters::new())
            .await
            .map(|_| ())
            .expect_err("nodes"),
        ctx.docker
            .secrets()
            .list(&Filters::new())
            .await
            .map(|_| ())
            .expect_err("secrets"),
        ctx.docker
            .services()
            .list(&ServiceList::default())
            .await
            .map(|_| ())
            .expect_err("services"),
    ] {
        assert_eq!(e.status(), Some(503), "{e}");
    }
    let e = ctx
        .swarm
        .leave(false)
        .await
        .expect_err("unforced leave outside a swarm");
    assert!(
        matches!(e.category(), Category::Unavailable | Category::NotInSwarm),
        "{e:?}"
    );
    assert!(
        !ctx.swarm
            .leave(true)
            .await
            .expect("forced leave outside a swarm is success")
    );
}

async fn init_reflects_spec(ctx: &mut Ctx) {
    step("init_reflects_spec");
    let mut init = SwarmInit::new("127.0.0.1").spec(
        SwarmSpecOptions::new()
            .task_history_retention_limit(2)
            .snapshot_interval(5000)
            .keep_old_snapshots(1)
            .log_entries_for_slow_followers(700)
            .heartbeat_tick(2)
            .election_tick(12)
            .dispatcher_heartbeat_period(Duration::from_secs(7))
            .node_cert_expiry(Duration::from_secs(48 * 3600))
            .label(TEST_LABEL, "1"),
    );
    init.listen_addr = "127.0.0.1:2377".into();
    init.default_addr_pool = vec!["10.213.0.0/16".into()];
    init.subnet_size = Some(26);
    init.data_path_port = Some(7789);
    let node_id = ctx.swarm.init(&init).await.expect("swarm init");
    assert!(!node_id.is_empty());
    let a = &ctx.swarm.attrs().expect("loaded after init").attrs;
    assert_eq!(
        a["Spec"]["Orchestration"]["TaskHistoryRetentionLimit"], 2,
        "{a}"
    );
    assert_eq!(
        a["Spec"]["Raft"],
        json!({"SnapshotInterval": 5000, "KeepOldSnapshots": 1,
            "LogEntriesForSlowFollowers": 700, "HeartbeatTick": 2, "ElectionTick": 12}),
    );
    assert_eq!(a["Spec"]["Dispatcher"]["HeartbeatPeriod"], 7_000_000_000i64);
    assert_eq!(
        a["Spec"]["CAConfig"]["NodeCertExpiry"],
        48 * 3600 * 1_000_000_000i64
    );

    assert_eq!(a["Spec"]["Labels"][TEST_LABEL], "1");
    assert_eq!(a["DefaultAddrPool"], json!(["10.213.0.0/16"]));
    assert_eq!(a["SubnetSize"], 26);
    assert_eq!(a["DataPathPort"], 7789);
    assert!(ctx.swarm.id().is_some_and(|id| !id.is_empty()));
    assert!(ctx.swarm.version().is_some());
    let e = ctx.docker.execute(&init).await.expect_err("second init");
    assert_eq!(e.category(), Category::Unavailable, "{e:?}");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("already part of a swarm")),
        "{e}"
    );
}

fn join_tokens_present(ctx: &Ctx) {
    step("join_tokens_present");
    let t = ctx.swarm.join_tokens().expect("tokens");
    for tok in [&t.worker, &t.manager] {
        assert!(
            tok.as_deref().is_some_and(|s| s.starts_with("SWMTKN-1-")),
            "{t:?}"
        );
    }
    assert_ne!(t.worker, t.manager);
}

async fn join_errors(ctx: &Ctx) {
    step("join_errors");
    let token = ctx
        .swarm
        .join_tokens()
        .and_then(|t| t.worker)
        .expect("token");
    let e = ctx
        .swarm
        .join(&SwarmJoin::new(["127.0.0.1:2377"], token))
        .await
        .expect_err("join while a member");
    assert_eq!(e.category(), Category::Unavailable, "{e:?}");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("already part of a swarm")),
        "{e}"
    );
    let e = ctx
        .swarm
        .join(&SwarmJoin::new(Vec::<String>::new(), "x"))
        .await
        .expect_err("no managers");
    assert_eq!(e.category(), Category::InvalidArgument);
}

async fn update_rotates_and_merges(ctx: &mut Ctx) {
    step("update_rotates_and_merges");
    let before = ctx.swarm.join_tokens().expect("tokens");
    let v0 = ctx.swarm.version().expect("version");
    ctx.swarm
        .update(
            &SwarmSpecOptions::new(),
            Rotate {
                worker_token: true,
                ..Rotate::default()
            },
        )
        .await
        .expect("rotate worker token");
    let after = ctx.swarm.join_tokens().expect("tokens");
    assert_ne!(after.worker, before.worker, "worker token rotated");
    assert_eq!(after.manager, before.manager, "manager token kept");
    assert!(ctx.swarm.version().expect("version") > v0);

    ctx.swarm
        .update(
            &SwarmSpecOptions::new()
                .task_history_retention_limit(4)
                .labels([(TEST_LABEL, "1"), ("berth.step", "update")]),
            Rotate::default(),
        )
        .await
        .expect("spec change");
    let spec = &ctx.swarm.attrs().expect("attrs").attrs["Spec"];
    assert_eq!(spec["Orchestration"]["TaskHistoryRetentionLimit"], 4);
    assert_eq!(spec["Labels"]["berth.step"], "update");
    // Merged, not reset: what was not changed keeps its value.
    assert_eq!(spec["Dispatcher"]["HeartbeatPeriod"], 7_000_000_000i64);
    assert_eq!(spec["Raft"]["SnapshotInterval"], 5000);
    assert!(
        spec["CAConfig"]["NodeCertExpiry"]
            .as_i64()
            .is_some_and(|n| n > 0)
    );

    let e = ctx
        .swarm
        .update_spec(v0, spec.clone(), Rotate::default())
        .await
        .expect_err("stale version");
    // Docker 20.10: 500 "rpc error: code = Unknown desc = update out of sequence".
    assert!(is_update_out_of_sequence(e.kind()), "{e:?}");
}

/// Every SwarmSpec section berth builds, changed on a live swarm: each value set is
/// read back, and what was not set keeps its value. The task default log driver is
/// refused before sending: the daemon drops it (shown with a raw spec).
#[allow(
    deprecated,
    reason = "shows that the deprecated task default log driver is refused"
)]
async fn swarm_spec_fields_update(ctx: &mut Ctx) {
    step("swarm_spec_fields_update");
    ctx.swarm
        .update(
            &SwarmSpecOptions::new()
                .task_history_retention_limit(5)
                .snapshot_interval(6000)
                .keep_old_snapshots(2)
                .log_entries_for_slow_followers(800)
                .heartbeat_tick(3)
                .election_tick(15)
                .dispatcher_heartbeat_period(Duration::from_secs(9))
                .node_cert_expiry(Duration::from_secs(72 * 3600)),
            Rotate::default(),
        )
        .await
        .expect("swarm spec update");
    let spec = &ctx.swarm.attrs().expect("attrs").attrs["Spec"];
    assert_eq!(spec["Orchestration"]["TaskHistoryRetentionLimit"], 5);
    assert_eq!(
        spec["Raft"],
        json!({"SnapshotInterval": 6000, "KeepOldSnapshots": 2,
            "LogEntriesForSlowFollowers": 800, "HeartbeatTick": 3, "ElectionTick": 15}),
    );
    assert_eq!(spec["Dispatcher"]["HeartbeatPeriod"], 9_000_000_000i64);
    assert_eq!(
        spec["CAConfig"]["NodeCertExpiry"],
        72 * 3600 * 1_000_000_000i64
    );
    assert_eq!(spec["Labels"]["berth.step"], "update", "labels kept");
    assert_eq!(spec["EncryptionConfig"]["AutoLockManagers"], false);

    let v = ctx.swarm.version().expect("version");
    let e = ctx
        .swarm
        .update(
            &SwarmSpecOptions::new().log_driver(DriverConfig::new("json-file")),
            Rotate::default(),
        )
        .await
        .expect_err("task default log driver");
    assert_eq!(e.category(), Category::InvalidArgument, "{e:?}");
    ctx.swarm.reload().await.expect("reload");
    assert_eq!(ctx.swarm.version(), Some(v), "nothing was sent");
    let mut raw = ctx.swarm.attrs().expect("attrs").attrs["Spec"].clone();
    raw["TaskDefaults"] =
        json!({"LogDriver": {"Name": "json-file", "Options": {"max-size": "3m"}}});
    ctx.swarm
        .update_spec(v, raw, Rotate::default())
        .await
        .expect("raw spec with task defaults");
    ctx.swarm.reload().await.expect("reload");
    let a = &ctx.swarm.attrs().expect("attrs").attrs;
    assert!(ctx.swarm.version() > Some(v));
    assert!(
        a["Spec"]["TaskDefaults"].get("LogDriver").is_none(),
        "the daemon drops TaskDefaults.LogDriver: {}",
        a["Spec"]["TaskDefaults"]
    );
    assert_eq!(
        a["Spec"]["Raft"]["ElectionTick"], 15,
        "the rest was applied"
    );
}

async fn autolock_unlock_key(ctx: &mut Ctx) {
    step("autolock_unlock_key");
    ctx.swarm
        .update(
            &SwarmSpecOptions::new().autolock_managers(true),
            Rotate::default(),
        )
        .await
        .expect("enable autolock");
    assert_eq!(
        ctx.swarm.attrs().expect("attrs").attrs["Spec"]["EncryptionConfig"]["AutoLockManagers"],
        true
    );
    let key = ctx.swarm.unlock_key().await.expect("unlock key");
    assert!(key.starts_with("SWMKEY-1-"), "{key}");
    ctx.swarm
        .update(
            &SwarmSpecOptions::new(),
            Rotate {
                unlock_key: true,
                ..Rotate::default()
            },
        )
        .await
        .expect("rotate unlock key");
    let rotated = ctx.swarm.unlock_key().await.expect("rotated key");
    assert!(
        rotated.starts_with("SWMKEY-1-") && rotated != key,
        "{rotated}"
    );
    let e = ctx
        .swarm
        .unlock(&rotated)
        .await
        .expect_err("unlock an unlocked swarm");
    assert_eq!(e.category(), Category::Conflict, "{e:?}");
    assert_eq!(e.daemon_message(), Some("swarm is not locked"));
    locked_after_restart_then_unlocked(ctx, &rotated).await;
    ctx.swarm
        .update(
            &SwarmSpecOptions::new().autolock_managers(false),
            Rotate::default(),
        )
        .await
        .expect("disable autolock");
    assert_eq!(
        ctx.swarm.attrs().expect("attrs").attrs["Spec"]["EncryptionConfig"]["AutoLockManagers"],
        false
    );
    // Docker 20.10 answers 200 with an empty key once autolock is off.
    assert_eq!(ctx.swarm.unlock_key().await.expect("no key"), "");
}

/// Restarts the test engine's dockerd (the swarm comes back locked), checks that a
/// wrong key is refused and the right one unlocks it.
async fn locked_after_restart_then_unlocked(ctx: &mut Ctx, key: &str) {
    step("locked_after_restart_then_unlocked");
    restart_dockerd();
    let info = ctx.docker.info().await.expect("info after restart");
    assert_eq!(info.attrs["Swarm"]["LocalNodeState"], "locked");
    let e = ctx
        .swarm
        .unlock("SWMKEY-1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .expect_err("wrong unlock key");
    assert!(e.daemon_message().is_some(), "{e:?}");
    ctx.swarm.unlock(key).await.expect("unlock with the key");
    let info = ctx.docker.info().await.expect("info after unlock");
    assert_eq!(info.attrs["Swarm"]["LocalNodeState"], "active");
    ctx.swarm
        .reload()
        .await
        .expect("swarm inspect after unlock");
    // The manager answers before the daemon's network layer has rejoined the swarm
    // (until then a swarm-scope network create fails with "cannot create a swarm
    // scoped network when swarm is not active"): the node's agent sets the ingress
    // network up once it has.
    let start = Instant::now();
    loop {
        let ingress = ctx
            .docker
            .networks()
            .list(
                &NetworkList {
                    filters: Filters::new()
                        .with("name", "ingress")
                        .with("scope", "swarm"),
                    ..NetworkList::default()
                },
                false,
            )
            .await
            .expect("network list");
        if ingress.iter().any(|n| n.name() == Some("ingress")) {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the ingress network did not come back after the unlock"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Stops the dockerd of the test engine and lets tests/engine/provision.sh start it
/// again (the swarm test binary runs alone, so no other test sees the gap).
fn restart_dockerd() {
    let pid = std::fs::read_to_string("/var/run/docker.pid")
        .expect("/var/run/docker.pid: the test engine's dockerd (tests/engine/provision.sh)");
    let pid = pid.trim().to_owned();
    let status = std::process::Command::new("kill")
        .arg(&pid)
        .status()
        .expect("kill");
    assert!(status.success(), "kill {pid}");
    let gone = std::path::Path::new("/proc").join(&pid);
    for _ in 0..150 {
        if !gone.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!gone.exists(), "dockerd {pid} did not stop within 30 s");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/provision.sh");
    let out = std::process::Command::new(script)
        .output()
        .expect("run provision.sh");
    assert!(
        out.status.success(),
        "provision.sh did not bring dockerd back: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn nodes_list_inspect_update_remove(ctx: &Ctx) {
    step("nodes_list_inspect_update_remove");
    let nodes = ctx
        .docker
        .nodes()
        .list(&Filters::new())
        .await
        .expect("node list");
    assert_eq!(nodes.len(), 1);
    let n = &nodes[0];
    assert_eq!(n.role(), Some("manager"));
    assert!(n.is_leader());
    assert_eq!(n.availability(), Some("active"));
    let managers = ctx
        .docker
        .nodes()
        .list(&Filters::new().with("role", "worker"))
        .await
        .expect("filtered");
    assert!(managers.is_empty());

    let mut node = ctx.docker.nodes().get(n.id()).await.expect("node inspect");
    assert_eq!(node.id(), n.id());
    assert!(node.hostname().is_some());
    let v0 = node.version().expect("version");
    node.update(
        &NodeSpecChange::new()
            .availability(Availability::Pause)
            .labels([(TEST_LABEL, "1"), ("zone", "a")]),
    )
    .await
    .expect("node update");
    assert_eq!(node.availability(), Some("pause"));
    assert_eq!(node.role(), Some("manager"), "role kept by the merge");
    assert_eq!(node.attrs().attrs["Spec"]["Labels"]["zone"], "a");
    assert!(node.version().expect("version") > v0);
    let e = node
        .update_spec(v0, node.attrs().attrs["Spec"].clone())
        .await
        .expect_err("stale node version");
    assert!(is_update_out_of_sequence(e.kind()), "{e:?}");
    node.update(&NodeSpecChange::new().availability(Availability::Active))
        .await
        .expect("back to active");
    assert_eq!(node.availability(), Some("active"));

    let e = node
        .remove(false)
        .await
        .expect_err("remove the only manager");
    assert_eq!(e.category(), Category::BadRequest, "{e:?}");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("must be demoted to worker")),
        "{e:?}"
    );
    let e = ctx
        .docker
        .nodes()
        .get("no-such-node-berth")
        .await
        .expect_err("unknown node");
    assert!(e.is_not_found(), "{e:?}");
}

/// Removes a standalone container on drop (swarm leave does not).
struct ContainerGuard(String);

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &self.0])
            .output();
    }
}

/// The ids of this case's networks in `scope`, sorted.
async fn network_ids_in_scope(ctx: &Ctx, scope: &str) -> Vec<String> {
    let mut ids: Vec<String> = ctx
        .docker
        .networks()
        .list(
            &NetworkList {
                filters: ctx.case_filter().with("scope", scope),
                ..NetworkList::default()
            },
            false,
        )
        .await
        .expect("network list")
        .iter()
        .map(|n| n.id().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Swarm-scope overlay networks: scope in inspect and in list filters, and
/// `Attachable` deciding whether a standalone container may join.
async fn overlay_network_scope_and_attachable(ctx: &Ctx) {
    step("overlay_network_scope_and_attachable");
    let networks = ctx.docker.networks();
    let overlay = |suffix: &str| {
        ctx.labels().into_iter().fold(
            NetworkCreate::new(format!("{}-{suffix}", ctx.case)).driver("overlay"),
            |o, (k, v)| o.label(k, v),
        )
    };
    let mut attachable = networks
        .create(&NetworkCreate {
            attachable: Some(true),
            scope: Some("swarm".into()),
            ..overlay("attachable")
        })
        .await
        .expect("create an attachable overlay network");
    // The inspect shows the driver once the manager's allocator has taken the network
    // (right after the restart above, not always at once).
    let start = Instant::now();
    while attachable.attrs().driver.as_deref() == Some("") && start.elapsed() < DEADLINE {
        tokio::time::sleep(Duration::from_millis(200)).await;
        attachable.reload().await.expect("network inspect");
    }
    let a = attachable.attrs();
    assert_eq!(a.driver.as_deref(), Some("overlay"));
    assert_eq!(a.scope.as_deref(), Some("swarm"));
    assert_eq!(a.attachable, Some(true));
    assert_eq!(attachable.labels()[CASE_LABEL], ctx.case);
    let closed = networks
        .create(&overlay("closed"))
        .await
        .expect("create a plain overlay network");
    assert_eq!(closed.attrs().scope.as_deref(), Some("swarm"));
    assert_eq!(closed.attrs().attachable, Some(false));

    let mut both = vec![attachable.id().to_owned(), closed.id().to_owned()];
    both.sort();
    assert_eq!(network_ids_in_scope(ctx, "swarm").await, both);
    assert!(network_ids_in_scope(ctx, "local").await.is_empty());

    // A standalone container may join only the attachable one.
    let label = format!("{CASE_LABEL}={}", ctx.case);
    let id = docker_cli(&[
        "run",
        "-d",
        "--label",
        "berth.test=1",
        "--label",
        &label,
        "busybox:berth-test",
        "sleep",
        "300",
    ]);
    let _container = ContainerGuard(id.clone());
    let e = closed
        .connect(&id, &EndpointConfig::new())
        .await
        .expect_err("not attachable");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("not manually attachable")),
        "{e:?}"
    );
    attachable
        .connect(&id, &EndpointConfig::new())
        .await
        .expect("join the attachable network");
    let name = attachable.name().expect("name").to_owned();
    let c = ctx.docker.containers().get(&id).await.expect("inspect");
    let ep = &c.attrs().attrs["NetworkSettings"]["Networks"][&name];
    assert_eq!(ep["NetworkID"], attachable.id(), "{ep}");
    assert!(
        ep["IPAddress"].as_str().is_some_and(|ip| !ip.is_empty()),
        "{ep}"
    );
    attachable
        .disconnect(&id, false)
        .await
        .expect("leave the network");

    // The swarm releases the attachment asynchronously: remove once it has.
    remove_once_released("the attachable network", || attachable.remove()).await;
    closed.remove().await.expect("remove the plain network");
    // The node drops its copy of a removed swarm network when the manager tells it.
    let start = Instant::now();
    loop {
        let left = network_ids_in_scope(ctx, "swarm").await;
        if left.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "swarm networks still listed after removal: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        networks
            .get(attachable.id())
            .await
            .expect_err("removed")
            .is_not_found()
    );
}

async fn secrets_crud(ctx: &mut Ctx) {
    step("secrets_crud");
    let name = format!("{}-secret", ctx.case);
    let mut create = SecretCreate::new(&name, ctx.secret_data.clone());
    create.labels = ctx.labels().into_iter().collect();
    let secrets = ctx.docker.secrets();
    let mut s = secrets.create(&create).await.expect("secret create");
    assert_eq!(s.name(), Some(name.as_str()));
    assert!(
        s.attrs().attrs["Spec"].get("Data").is_none(),
        "secret data never returned"
    );
    assert_eq!(s.labels().get(TEST_LABEL).map(String::as_str), Some("1"));

    let by_name = secrets
        .list(&Filters::new().with("names", &name))
        .await
        .expect("list by name");
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].id(), s.id());
    let by_label = secrets
        .list(&ctx.case_filter())
        .await
        .expect("list by label");
    assert_eq!(by_label.len(), 1);

    let e = secrets.create(&create).await.expect_err("duplicate name");
    assert_eq!(e.category(), Category::Conflict, "{e:?}");
    assert!(
        e.daemon_message().is_some_and(|m| m.contains("exists")),
        "{e}"
    );

    let mut labels: BTreeMap<String, String> = ctx.labels().into_iter().collect();
    labels.insert("extra".into(), "yes".into());
    let v0 = s.version().expect("version");
    s.update_labels(&labels).await.expect("secret relabel");
    assert_eq!(s.labels().get("extra").map(String::as_str), Some("yes"));
    assert!(s.version().expect("version") > v0);

    let mut tmp = SecretCreate::new(format!("{}-tmp", ctx.case), "x");
    tmp.labels = ctx.labels().into_iter().collect();
    let t = secrets.create(&tmp).await.expect("tmp secret");
    t.remove().await.expect("secret remove");
    let e = secrets.get(t.id()).await.expect_err("removed secret");
    assert!(e.is_not_found(), "{e:?}");
    ctx.secret = Some(s);
}

async fn configs_crud(ctx: &mut Ctx) {
    step("configs_crud");
    let name = format!("{}-config", ctx.case);
    let mut create = ConfigCreate::new(&name, ctx.config_data.clone());
    create.labels = ctx.labels().into_iter().collect();
    let configs = ctx.docker.configs();
    let mut c = configs.create(&create).await.expect("config create");
    assert_eq!(c.name(), Some(name.as_str()));
    assert_eq!(
        c.data().expect("data"),
        ctx.config_data,
        "base64 round trip"
    );

    let by_label = configs
        .list(&ctx.case_filter())
        .await
        .expect("list by label");
    assert_eq!(by_label.len(), 1);
    assert_eq!(by_label[0].data().expect("data"), ctx.config_data);
    let by_name = configs
        .list(&Filters::new().with("name", &name))
        .await
        .expect("list by name");
    assert_eq!(by_name.len(), 1);

    let e = configs.create(&create).await.expect_err("duplicate config");
    assert_eq!(e.category(), Category::Conflict, "{e:?}");

    let mut labels: BTreeMap<String, String> = ctx.labels().into_iter().collect();
    labels.insert("extra".into(), "yes".into());
    c.update_labels(&labels).await.expect("config relabel");
    assert_eq!(c.labels().get("extra").map(String::as_str), Some("yes"));
    assert_eq!(c.data().expect("data"), ctx.config_data, "data unchanged");
    ctx.config = Some(c);
}

async fn create_service(ctx: &mut Ctx) {
    step("create_service");
    let secret = ctx.secret.as_ref().expect("secret");
    let config = ctx.config.as_ref().expect("config");
    let script = format!(
        "cat /run/secrets/{}; cat /{}; echo started; sleep 300",
        secret.name().expect("name"),
        config.name().expect("name")
    );
    let opts = ServiceOptions::new(IMAGE)
        .name(format!("{}-svc", ctx.case))
        .command(["sh", "-c", &script])
        .env("E1", "one")
        .expect("env")
        .secret(secret.reference())
        .expect("secret ref")
        .config(config.reference())
        .expect("config ref")
        .stop_grace_period(Duration::from_secs(1))
        .expect("grace")
        .restart_policy(TaskRestartPolicy {
            condition: RestartCondition::OnFailure,
            delay: Duration::from_secs(1),
            max_attempts: 3,
            ..TaskRestartPolicy::default()
        })
        .resources(
            Resources::new()
                .cpu_limit(0.5)
                .expect("cpu")
                .mem_limit_str("64m")
                .expect("mem"),
        )
        .constraint("node.role==manager")
        .mode(ServiceMode::replicated(1))
        .update_config(UpdateConfig {
            parallelism: 1,
            ..UpdateConfig::default()
        })
        .endpoint_spec(EndpointSpec {
            mode: Some("vip".into()),
            ports: Vec::new(),
        });
    let opts = labelled(opts, ctx.labels());
    let (svc, created) = ctx
        .docker
        .services()
        .create_with(&opts, None)
        .await
        .expect("service create");
    assert!(
        created.warnings.as_ref().is_none_or(Vec::is_empty),
        "a registry image is resolved without warnings: {:?}",
        created.warnings
    );
    assert_eq!(svc.name(), Some(format!("{}-svc", ctx.case).as_str()));
    let e = ctx
        .docker
        .services()
        .create(&opts)
        .await
        .expect_err("duplicate service name");
    assert_eq!(e.category(), Category::Conflict, "{e:?}");
    ctx.service = Some(svc);
}

/// Polls the service's tasks until `n` run; fails with their states and errors.
async fn task_reaches_running(ctx: &Ctx, n: usize) {
    step(&format!("task_reaches_running({n})"));
    service_spec::running_containers_of(ctx.service(), n).await;
}

/// Polls `svc`'s tasks matching `filters` until `done` returns a value; after
/// [`DEADLINE`] fails naming `what` with every task's state and error.
pub(crate) async fn poll_tasks<T>(
    svc: &Service,
    filters: &Filters,
    what: &str,
    mut done: impl FnMut(&[berth::Typed<berth::models::Task>]) -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        let tasks = svc.tasks(filters).await.expect("service tasks");
        if let Some(v) = done(&tasks) {
            return v;
        }
        if start.elapsed() > DEADLINE {
            let states: Vec<(Option<&str>, Option<&str>)> = tasks
                .iter()
                .map(|t| (task_state(&t.attrs), task_error(&t.attrs)))
                .collect();
            panic!(
                "{:?}: {what} not reached within {DEADLINE:?}: {states:?}",
                svc.name()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn running_containers(ctx: &Ctx) -> Vec<String> {
    ctx.service()
        .tasks(&Filters::new().with("desired-state", "running"))
        .await
        .expect("tasks")
        .iter()
        .filter(|t| task_state(&t.attrs) == Some("running"))
        .filter_map(|t| task_container_id(&t.attrs).map(str::to_owned))
        .collect()
}

async fn secret_and_config_inside_task(ctx: &Ctx) {
    step("secret_and_config_inside_task");
    let ids = running_containers(ctx).await;
    let c = ctx
        .docker
        .containers()
        .get(&ids[0])
        .await
        .expect("task container");
    assert_eq!(c.labels().get(TEST_LABEL).map(String::as_str), Some("1"));
    let secret = ctx.secret.as_ref().expect("secret");
    let config = ctx.config.as_ref().expect("config");
    let r = c
        .exec_run([
            "cat",
            &format!("/run/secrets/{}", secret.name().expect("name")),
        ])
        .await
        .expect("cat secret");
    assert_eq!(r.exit_code, Some(0), "{r:?}");
    assert_eq!(
        r.output.stdout, ctx.secret_data,
        "secret bytes inside the task"
    );
    let r = c
        .exec_run(["cat", &format!("/{}", config.name().expect("name"))])
        .await
        .expect("cat config");
    assert_eq!(
        r.output.stdout, ctx.config_data,
        "config bytes inside the task"
    );
    let r = c
        .exec_run([
            "stat",
            "-c",
            "%a %u %g",
            &format!("/run/secrets/{}", secret.name().expect("name")),
        ])
        .await
        .expect("stat secret");
    assert_eq!(String::from_utf8_lossy(&r.output.stdout).trim(), "444 0 0");
    let r = c.exec_run(["sh", "-c", "echo $E1"]).await.expect("env");
    assert_eq!(r.output.stdout, b"one\n");
}

async fn service_logs_show_secret(ctx: &Ctx) {
    step("service_logs_show_secret");
    let start = Instant::now();
    loop {
        let out = Output::collect(ctx.service().logs(|_| {}).await.expect("service logs"))
            .await
            .expect("read logs");
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("started") {
            assert!(text.contains("berth-secret-"), "{text}");
            assert!(text.contains("cfg-line-1"), "{text}");
            assert!(out.stderr.is_empty(), "demuxed: nothing on stderr");
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "service logs never showed the output: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let out = Output::collect(
        ctx.service()
            .logs(|l| {
                l.stdout = false;
                l.stderr = true;
            })
            .await
            .expect("stderr only"),
    )
    .await
    .expect("read");
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let e = ctx
        .service()
        .logs(|l| {
            l.stdout = false;
            l.stderr = false;
        })
        .await
        .expect_err("neither stream");
    assert_eq!(e.category(), Category::InvalidArgument);
}

async fn service_inspect_and_list(ctx: &Ctx) {
    step("service_inspect_and_list");
    let svc = ctx.service();
    let by_name = ctx
        .docker
        .services()
        .get(svc.name().expect("name"))
        .await
        .expect("get by name");
    assert_eq!(by_name.id(), svc.id());
    let spec = by_name.spec();
    let cs = &spec["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Env"], json!(["E1=one"]));
    assert_eq!(cs["Secrets"][0]["File"]["Mode"], 292);
    assert_eq!(cs["Secrets"][0]["File"]["UID"], "0");
    // A relative config file name is resolved against `/` in the container.
    assert_eq!(
        cs["Configs"][0]["File"]["Name"],
        ctx.config.as_ref().and_then(Config::name).expect("name")
    );
    assert_eq!(
        spec["TaskTemplate"]["Placement"]["Constraints"],
        json!(["node.role==manager"])
    );
    assert_eq!(
        spec["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"],
        67_108_864
    );
    assert_eq!(
        spec["TaskTemplate"]["RestartPolicy"]["Condition"],
        "on-failure"
    );
    assert_eq!(spec["Mode"]["Replicated"]["Replicas"], 1);
    assert_eq!(spec["Labels"][TEST_LABEL], "1");

    let with_defaults = ctx
        .docker
        .services()
        .get_with(&ServiceInspect {
            id: svc.id().to_owned(),
            insert_defaults: true,
        })
        .await
        .expect("insert defaults");
    let d = with_defaults.spec();
    assert!(
        d["RollbackConfig"].is_object()
            && d["TaskTemplate"]["ContainerSpec"]["Isolation"].is_string(),
        "defaults inserted: {d}"
    );

    let listed = ctx
        .docker
        .services()
        .list(&ServiceList {
            filters: ctx.case_filter(),
            status: true,
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].attrs().attrs["ServiceStatus"]["RunningTasks"], 1);
    let none = ctx
        .docker
        .services()
        .list(&ServiceList {
            filters: Filters::new().with("name", "berth-no-such-service"),
            status: false,
        })
        .await
        .expect("empty list");
    assert!(none.is_empty());
}

async fn service_update_merges_env(ctx: &mut Ctx) {
    step("service_update_merges_env");
    let svc = ctx.service();
    let v0 = svc.version().expect("version");
    let image_before = svc.spec()["TaskTemplate"]["ContainerSpec"]["Image"].clone();
    let r = svc
        .update(&ServiceOptions::changes().env("E1", "two").expect("env"))
        .await
        .expect("service update");
    assert!(
        r.warnings.as_ref().is_none_or(Vec::is_empty),
        "{:?}",
        r.warnings
    );
    let mut svc = svc.clone();
    svc.reload().await.expect("reload");
    assert!(svc.version().expect("version") > v0);
    let cs = &svc.spec()["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Env"], json!(["E1=two"]));
    assert_eq!(cs["Image"], image_before, "image kept");
    assert_eq!(
        cs["Secrets"].as_array().map(Vec::len),
        Some(1),
        "secrets kept"
    );
    assert_eq!(svc.spec()["Labels"][TEST_LABEL], "1", "labels kept");
    let e = svc
        .update_spec(v0, svc.spec().clone())
        .await
        .expect_err("stale service version");
    assert!(is_update_out_of_sequence(e.kind()), "{e:?}");
    ctx.service = Some(svc);
    task_reaches_running(ctx, 1).await;
}

async fn scale_to_two(ctx: &Ctx) {
    step("scale_to_two");
    ctx.service().scale(2).await.expect("scale");
    task_reaches_running(ctx, 2).await;
    assert_eq!(running_containers(ctx).await.len(), 2);
}

async fn global_service_refuses_scale(ctx: &Ctx) {
    step("global_service_refuses_scale");
    let opts = ServiceOptions::new(IMAGE)
        .name(format!("{}-global", ctx.case))
        .command(["sleep", "300"])
        .mode(ServiceMode::Global)
        .stop_grace_period(Duration::from_secs(1))
        .expect("grace");
    let opts = labelled(opts, ctx.labels());
    let g = ctx
        .docker
        .services()
        .create(&opts)
        .await
        .expect("global service");
    assert!(g.spec()["Mode"]["Global"].is_object());
    let v = g.version();
    let e = g.scale(3).await.expect_err("scale a global service");
    assert_eq!(e.category(), Category::InvalidArgument, "{e:?}");
    let mut again = g.clone();
    again.reload().await.expect("reload");
    assert_eq!(again.version(), v, "nothing was sent");
    g.remove().await.expect("remove global");
}

/// A service publishing ports through the ingress routing mesh and in host mode: the
/// daemon stores the endpoint spec and allocates the ports as asked.
async fn published_ports_are_kept(ctx: &Ctx) {
    step("published_ports_are_kept");
    let opts = ServiceOptions::new(IMAGE)
        .name(format!("{}-ports", ctx.case))
        .command(["sleep", "300"])
        .mode(ServiceMode::Replicated(Some(0)))
        .endpoint_spec(
            EndpointSpec::new()
                .port(Some(30080), 80)
                .port_config(PortConfig::new(Some(30053), 53).protocol(PortProtocol::Udp))
                .port_config(PortConfig::new(Some(30443), 443).publish_mode(PublishMode::Host)),
        );
    let opts = labelled(opts, ctx.labels());
    let svc = ctx
        .docker
        .services()
        .create(&opts)
        .await
        .expect("service with published ports");
    // The swarm allocator assigns the ports after the create returns: on a loaded machine
    // the first inspects show the endpoint spec without them.
    let mut svc2 = svc.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    let ports = loop {
        svc2.reload().await.expect("reload");
        if let Some(p) = svc2.attrs().attrs["Endpoint"]["Ports"].as_array() {
            break p.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no ports allocated within 60 s: {}",
            svc2.attrs().attrs["Endpoint"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let find = |target: u64| {
        ports
            .iter()
            .find(|p| p["TargetPort"] == target)
            .unwrap_or_else(|| panic!("port {target} in {ports:?}"))
            .clone()
    };
    let web = find(80);
    assert_eq!(web["PublishedPort"], 30080);
    assert_eq!(web["Protocol"], "tcp");
    assert_eq!(web["PublishMode"], "ingress");
    let dns = find(53);
    assert_eq!(dns["Protocol"], "udp");
    assert_eq!(dns["PublishedPort"], 30053);
    assert_eq!(find(443)["PublishMode"], "host");
    svc.remove().await.expect("remove ports service");
}

async fn force_update_increments(ctx: &Ctx) {
    step("force_update_increments");
    let mut svc = ctx.service().clone();
    svc.reload().await.expect("reload");
    let before = svc.spec()["TaskTemplate"]["ForceUpdate"]
        .as_u64()
        .unwrap_or(0);
    svc.force_update().await.expect("force update");
    svc.reload().await.expect("reload");
    assert_eq!(svc.spec()["TaskTemplate"]["ForceUpdate"], before + 1);
    assert_eq!(svc.spec()["Mode"]["Replicated"]["Replicas"], 2, "mode kept");
}

async fn rollback_restores_previous_spec(ctx: &Ctx) {
    step("rollback_restores_previous_spec");
    let mut svc = ctx.service().clone();
    svc.reload().await.expect("reload");
    let forced = svc.spec()["TaskTemplate"]["ForceUpdate"]
        .as_u64()
        .expect("ForceUpdate set by the previous step");
    let v = svc.version().expect("version");
    assert_eq!(
        svc.attrs().attrs["PreviousSpec"]["TaskTemplate"]["ForceUpdate"]
            .as_u64()
            .unwrap_or(0),
        forced - 1,
        "the daemon kept the spec before the force update"
    );
    svc.rollback().await.expect("rollback");
    svc.reload().await.expect("reload");
    assert!(svc.version().expect("version") > v);
    assert_eq!(
        svc.spec()["TaskTemplate"]["ForceUpdate"]
            .as_u64()
            .unwrap_or(0),
        forced - 1,
        "rolled back to the previous spec"
    );
    assert_eq!(svc.spec()["Mode"]["Replicated"]["Replicas"], 2, "mode kept");
    task_reaches_running(ctx, 2).await;
}

async fn tasks_list_and_inspect(ctx: &Ctx) {
    step("tasks_list_and_inspect");
    let tasks = ctx.docker.tasks();
    let all = tasks
        .list(&Filters::new().with("service", ctx.service().id()))
        .await
        .expect("task list");
    assert!(all.len() >= 2, "{}", all.len());
    let t = &all[0];
    let id = t.id.clone().expect("task id");
    assert_eq!(t.service_id.as_deref(), Some(ctx.service().id()));
    let one = tasks.get(&id).await.expect("task inspect");
    assert_eq!(one.id.as_deref(), Some(id.as_str()));
    assert!(one.attrs["Spec"]["ContainerSpec"]["Image"].is_string());
    let e = tasks
        .get("nosuchtaskberth")
        .await
        .expect_err("unknown task");
    assert!(e.is_not_found(), "{e:?}");
}

/// The blocking wrappers, from a plain thread (they run their own runtime).
fn blocking_client_sees_the_swarm(ctx: &Ctx) {
    step("blocking_client_sees_the_swarm");
    let service = ctx.service().id().to_owned();
    let config = ctx.config.as_ref().expect("config").id().to_owned();
    let case = ctx.case_filter();
    let want = ctx.config_data.clone();
    std::thread::spawn(move || {
        let docker = berth::blocking::Docker::from_env().expect("blocking client");
        let mut swarm = docker.swarm();
        assert!(swarm.try_reload().expect("swarm"));
        assert!(swarm.version().is_some());
        assert_eq!(
            docker.nodes().list(&Filters::new()).expect("nodes").len(),
            1
        );
        let svc = docker.services().get(&service).expect("service");
        assert_eq!(svc.inner().id(), service);
        assert!(!svc.tasks(&Filters::new()).expect("tasks").is_empty());
        let frames: Vec<_> = svc
            .logs(|_| {})
            .expect("logs")
            .collect::<Result<Vec<_>, _>>()
            .expect("frames");
        assert!(
            frames
                .iter()
                .any(|f| f.data.windows(7).any(|w| w == b"started"))
        );
        assert_eq!(docker.secrets().list(&case).expect("secrets").len(), 1);
        let c = docker.configs().get(&config).expect("config");
        assert_eq!(c.inner().data().expect("data"), want);
    })
    .join()
    .expect("blocking step");
}

async fn remove_service_then_secret_and_config(ctx: &mut Ctx) {
    step("remove_service_then_secret_and_config");
    let secret = ctx.secret.take().expect("secret");
    let config = ctx.config.take().expect("config");
    let e = secret.remove().await.expect_err("secret in use");
    assert_eq!(e.category(), Category::BadRequest, "{e:?}");
    assert!(
        e.daemon_message().is_some_and(|m| m.contains("in use")),
        "{e:?}"
    );
    let svc = ctx.service.take().expect("service");
    svc.remove().await.expect("service remove");
    let e = ctx
        .docker
        .services()
        .get(svc.id())
        .await
        .expect_err("removed");
    assert!(e.is_not_found(), "{e:?}");
    // The secret stays in use until the tasks are gone.
    remove_once_released("the secret after its service", || secret.remove()).await;
    config.remove().await.expect("config remove");
    let e = ctx
        .docker
        .configs()
        .get(config.id())
        .await
        .expect_err("removed config");
    assert!(e.is_not_found(), "{e:?}");
    let left: Vec<Value> = ctx
        .docker
        .secrets()
        .list(&ctx.case_filter())
        .await
        .expect("list")
        .iter()
        .map(|s| s.attrs().attrs.value().clone())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

async fn leave_and_join_errors(ctx: &mut Ctx) {
    step("leave_and_join_errors");
    let e = ctx
        .swarm
        .leave(false)
        .await
        .expect_err("a manager must force");
    assert_eq!(e.category(), Category::Unavailable, "{e:?}");
    assert!(
        e.daemon_message().is_some_and(|m| m.contains("--force")),
        "{e:?}"
    );
    assert!(ctx.swarm.leave(true).await.expect("forced leave"));
    assert!(ctx.swarm.attrs().is_none());
    assert!(!ctx.swarm.try_reload().await.expect("tolerant reload"));
    assert!(!ctx.swarm.leave(true).await.expect("second forced leave"));
    let e = ctx
        .swarm
        .join(&SwarmJoin::new(["127.0.0.1:1"], "SWMTKN-1-bogus"))
        .await
        .expect_err("bogus token");
    assert_eq!(e.category(), Category::Server, "{e:?}");
    assert!(
        e.daemon_message().is_some_and(|m| m.contains("join token")),
        "{e:?}"
    );
    assert!(!ctx.swarm.try_reload().await.expect("still not in a swarm"));
}
