//! Steps proving that every option of berth's service builders reaches the daemon
//! under the right JSON name: swarmkit drops a misspelt or misshapen field without a
//! word, so each step sets options to non-default values, reads `Spec` back from
//! `service inspect` and, where it is cheap, looks for the effect inside the task's
//! container.
//!
//! | module | steps |
//! | --- | --- |
//! | here | the replicated `-full` service: every container option that can run on this node (DNS round robin with host-mode ports: this kernel has no IPVS for a virtual IP), its task's container; removing this module's services |
//! | `service_modes` | the global `-glob` service (TTY, stdin, no healthcheck), the job modes (`-rjob`, `-gjob`), service and task list filters |
//! | `service_update` | `-full` updated to zero replicas with every option changed, adding those no task could run with here |
//!
//! [`remove_spec_services`] removes them all before the secret and config they
//! reference are removed.

use std::time::Duration;

use berth::api::networks::NetworkCreate;
use berth::api::services::{
    DnsConfig, EndpointSpec, FailureAction, NetworkAttachment, PortConfig, PortProtocol,
    Privileges, PublishMode, Resources, RestartCondition, ServiceMode, ServiceOptions,
    TaskRestartPolicy, UpdateConfig, UpdateOrder,
};
use berth::api::swarm::DriverConfig;
use berth::api::tasks::{task_container_id, task_state};
use berth::core::options::{Healthcheck, MountSpec, Propagation, Ulimit};
use berth::core::request::Filters;
use berth::{Container, Network, Service};
use berth_tests::TEST_LABEL;
use serde_json::{Value, json};

use super::{CASE_LABEL, Ctx, IMAGE, labelled, poll_tasks, remove_once_released, step};

/// Set on the services of this module (service labels and container labels), with
/// the service's role as the value.
pub(crate) const SPEC_LABEL: &str = "berth.test.spec";

pub(crate) const MIB: i64 = 1 << 20;
pub(crate) const SEC: i64 = 1_000_000_000;

/// What these steps create and share.
#[derive(Default)]
pub(crate) struct SpecServices {
    pub(crate) network: Option<Network>,
    pub(crate) full: Option<Service>,
    /// The full service's spec as created (for the update's `PreviousSpec`).
    pub(crate) full_created: Value,
    pub(crate) glob: Option<Service>,
    pub(crate) jobs: Vec<Service>,
}

impl SpecServices {
    pub(crate) fn full(&self) -> &Service {
        self.full
            .as_ref()
            .expect("the full service exists (full_service_spec_round_trips ran)")
    }

    pub(crate) fn glob(&self) -> &Service {
        self.glob
            .as_ref()
            .expect("the global service exists (global_service_spec_round_trips ran)")
    }
}

/// Asserts that `actual` holds everything in `expected`: objects key by key (keys the
/// daemon adds, such as defaults, are allowed), arrays element by element with the
/// same length, everything else equal. Panics with the path of the first mismatch.
pub(crate) fn assert_holds(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{p} missing (sent {ev}); the daemon has {actual}"));
                assert_holds(av, ev, &p);
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(
                a.len(),
                e.len(),
                "{path}: the daemon has {actual}, berth sent {expected}"
            );
            for (i, (av, ev)) in a.iter().zip(e).enumerate() {
                assert_holds(av, ev, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(actual, expected, "{path}: the daemon has a different value"),
    }
}

pub(crate) fn labels(ctx: &Ctx, role: &str) -> Vec<(String, String)> {
    let mut l: Vec<(String, String)> = ctx.labels().into();
    l.push((SPEC_LABEL.to_owned(), role.to_owned()));
    l
}

pub(crate) fn labels_json(ctx: &Ctx, role: &str) -> Value {
    Value::Object(
        labels(ctx, role)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// The service's tasks with `filters` added to its `service` filter.
pub(crate) async fn tasks_of(
    svc: &Service,
    filters: &Filters,
) -> Vec<berth::Typed<berth::models::Task>> {
    svc.tasks(filters).await.expect("service tasks")
}

/// Polls until `n` of the service's tasks run; returns their containers' ids.
pub(crate) async fn running_containers_of(svc: &Service, n: usize) -> Vec<String> {
    let running = Filters::new().with("desired-state", "running");
    poll_tasks(svc, &running, &format!("{n} running tasks"), |tasks| {
        let ids: Vec<String> = tasks
            .iter()
            .filter(|t| task_state(&t.attrs) == Some("running"))
            .filter_map(|t| task_container_id(&t.attrs).map(str::to_owned))
            .collect();
        (ids.len() == n).then_some(ids)
    })
    .await
}

/// Runs `sh -c script` in `c` and returns its stdout; fails on a non-zero exit.
async fn sh(c: &Container, script: &str) -> String {
    let r = c.exec_run(["sh", "-c", script]).await.expect("exec");
    assert_eq!(
        r.exit_code,
        Some(0),
        "{script}: {}",
        String::from_utf8_lossy(&r.output.stderr)
    );
    String::from_utf8_lossy(&r.output.stdout).into_owned()
}

/// The host directory bind-mounted into the full service (removed by the swarm
/// guard).
pub(crate) fn bind_dir(case: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{case}-bind"))
}

fn volume_name(ctx: &Ctx) -> String {
    format!("{}-vol", ctx.case)
}

/// Creates the replicated `-full` service with every option that can run here set to
/// a non-default value, and checks `Spec` holds each exactly as sent.
pub(crate) async fn full_service_spec_round_trips(ctx: &mut Ctx) {
    step("full_service_spec_round_trips");
    let dir = bind_dir(&ctx.case);
    std::fs::create_dir_all(&dir).expect("bind dir");
    std::fs::write(dir.join("hello.txt"), b"from the host\n").expect("bind file");
    let net_name = format!("{}-specnet", ctx.case);
    let network = ctx
        .docker
        .networks()
        .create(&ctx.labels().into_iter().fold(
            NetworkCreate::new(&net_name).driver("overlay"),
            |o, (k, v)| o.label(k, v),
        ))
        .await
        .expect("overlay network for the spec services");
    let secret = ctx.secret.as_ref().expect("secret");
    let config = ctx.config.as_ref().expect("config");
    let secret_ref = secret
        .reference()
        .filename("full-secret")
        .owner("65534", "65534", 0o400);
    let config_ref = config
        .reference()
        .filename("/etc/berth/full.conf")
        .owner("65534", "0", 0o440);
    let script = "echo ready; exec sleep 300";
    let vol = volume_name(ctx);
    let opts = ServiceOptions::new(IMAGE)
        .name(format!("{}-full", ctx.case))
        .mode(ServiceMode::replicated(1))
        .command(["sh", "-c"])
        .args([script])
        .hostname("berth-full")
        .env("FULL_ENV", "a b=c")
        .expect("env")
        .env_list(["FULL_LIST=1"])
        .expect("env list")
        .workdir("/data/bind")
        .user("nobody")
        .group("1234")
        .group("2345")
        .stop_signal("SIGINT")
        .stop_grace_period(Duration::from_secs(2))
        .expect("grace")
        .healthcheck(
            &Healthcheck::cmd(["true"])
                .interval(Duration::from_secs(2))
                .timeout(Duration::from_secs(1))
                .retries(2)
                .start_period(Duration::from_secs(1)),
        )
        .expect("healthcheck")
        .host("berth-db.internal", "10.11.12.13")
        .dns_config(&DnsConfig {
            nameservers: vec!["10.11.12.53".into()],
            search: vec!["berth.example".into()],
            options: vec!["ndots:3".into()],
        })
        .read_only(true)
        .init(true)
        .isolation("default")
        .sysctl("net.core.somaxconn", 1000)
        .cap_add("CAP_SYS_PTRACE")
        .cap_drop("CAP_MKNOD")
        .ulimit(&Ulimit::new("nofile", 1024, 2048))
        .expect("ulimit")
        .privileges(&Privileges {
            selinux_disable: Some(true),
            ..Privileges::default()
        })
        .expect("privileges")
        .mount(
            MountSpec::bind(dir.to_string_lossy(), "/data/bind")
                .read_only(true)
                .propagation(Propagation::Private),
        )
        .expect("bind mount")
        .mount(
            ctx.labels()
                .into_iter()
                .fold(MountSpec::volume(&vol, "/data/vol"), |m, (k, v)| {
                    m.label(k, v)
                })
                .no_copy(true)
                .driver("local")
                .driver_option("type", "tmpfs")
                .driver_option("device", "tmpfs")
                .driver_option("o", "size=2m"),
        )
        .expect("volume mount")
        .mount(
            ctx.labels()
                .into_iter()
                .fold(MountSpec::anonymous_volume("/data/anon"), |m, (k, v)| {
                    m.label(k, v)
                }),
        )
        .expect("anonymous volume")
        .mount(
            MountSpec::tmpfs("/scratch")
                .tmpfs_size(MIB)
                .tmpfs_mode(0o1770),
        )
        .expect("tmpfs")
        .secret(secret_ref)
        .expect("secret ref")
        .config(config_ref)
        .expect("config ref")
        .resources(
            Resources::new()
                .cpu_limit(0.5)
                .expect("cpu")
                .mem_limit_str("64m")
                .expect("mem")
                .cpu_reservation(0.1)
                .expect("cpu")
                .mem_reservation_str("8m")
                .expect("mem")
                .pids_limit(100),
        )
        .restart_policy(TaskRestartPolicy {
            condition: RestartCondition::Any,
            delay: Duration::from_secs(2),
            max_attempts: 5,
            window: Duration::from_secs(30),
        })
        .constraint("node.role==manager")
        .constraint("node.platform.os==linux")
        .preference(berth::api::services::PlacementPreference::spread(
            "node.labels.zone",
        ))
        .max_replicas(2)
        .log_driver(
            DriverConfig::new("json-file")
                .option("max-size", "2m")
                .option("max-file", "2"),
        )
        .network(NetworkAttachment {
            target: net_name.clone(),
            aliases: vec!["full-alias".into(), "full-alias-b".into()],
            driver_opts: vec![("berth.opt".into(), "1".into())],
        })
        .force_update(5)
        // DNS round robin publishing in host mode: no routing mesh, so the daemon takes
        // it (and this kernel has no IPVS for a virtual IP on the overlay network).
        .endpoint_spec(EndpointSpec {
            mode: Some("dnsrr".into()),
            ports: vec![
                PortConfig::new(Some(30181), 8080).publish_mode(PublishMode::Host),
                PortConfig::new(Some(30182), 5353)
                    .protocol(PortProtocol::Udp)
                    .publish_mode(PublishMode::Host),
            ],
        })
        .update_config(UpdateConfig {
            parallelism: 2,
            delay: Some(Duration::from_secs(1)),
            failure_action: Some(FailureAction::Pause),
            monitor: Some(Duration::from_secs(3)),
            max_failure_ratio: Some(0.25),
            order: Some(UpdateOrder::StartFirst),
        })
        .rollback_config(UpdateConfig {
            parallelism: 3,
            delay: Some(Duration::from_secs(2)),
            failure_action: Some(FailureAction::Continue),
            monitor: Some(Duration::from_secs(4)),
            max_failure_ratio: Some(0.5),
            order: Some(UpdateOrder::StopFirst),
        });
    let opts = labelled(opts, labels(ctx, "full"));
    let svc = ctx
        .docker
        .services()
        .create(&opts)
        .await
        .expect("create the full service");
    let spec = svc.spec();
    let cs = &spec["TaskTemplate"]["ContainerSpec"];
    // The image as sent, or pinned to the digest the manager resolved in the registry.
    assert!(
        cs["Image"]
            .as_str()
            .is_some_and(|i| i == IMAGE || i.starts_with(&format!("{IMAGE}@sha256:"))),
        "{}",
        cs["Image"]
    );
    let expected = json!({
        "Name": format!("{}-full", ctx.case),
        "Labels": labels_json(ctx, "full"),
        "Mode": {"Replicated": {"Replicas": 1}},
        "UpdateConfig": {"Parallelism": 2, "Delay": SEC, "FailureAction": "pause",
            "Monitor": 3 * SEC, "MaxFailureRatio": 0.25, "Order": "start-first"},
        "RollbackConfig": {"Parallelism": 3, "Delay": 2 * SEC, "FailureAction": "continue",
            "Monitor": 4 * SEC, "MaxFailureRatio": 0.5, "Order": "stop-first"},
        "EndpointSpec": {"Mode": "dnsrr", "Ports": [
            {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 30181, "PublishMode": "host"},
            {"Protocol": "udp", "TargetPort": 5353, "PublishedPort": 30182, "PublishMode": "host"}
        ]},
        "TaskTemplate": {
            "ContainerSpec": {
                "Labels": labels_json(ctx, "full"),
                "Command": ["sh", "-c"],
                "Args": [script],
                "Hostname": "berth-full",
                "Env": ["FULL_ENV=a b=c", "FULL_LIST=1"],
                "Dir": "/data/bind",
                "User": "nobody",
                "Groups": ["1234", "2345"],
                "Privileges": {"SELinuxContext": {"Disable": true}},
                "Init": true,
                "StopSignal": "SIGINT",
                "ReadOnly": true,
                "Mounts": [
                    {"Type": "bind", "Source": dir.to_string_lossy(), "Target": "/data/bind",
                     "ReadOnly": true,
                     "BindOptions": {"Propagation": "private"}},
                    {"Type": "volume", "Source": vol, "Target": "/data/vol",
                     "VolumeOptions": {"NoCopy": true,
                        "Labels": {TEST_LABEL: "1", CASE_LABEL: ctx.case},
                        "DriverConfig": {"Name": "local", "Options":
                            {"type": "tmpfs", "device": "tmpfs", "o": "size=2m"}}}},
                    {"Type": "volume", "Target": "/data/anon",
                     "VolumeOptions": {"Labels": {TEST_LABEL: "1", CASE_LABEL: ctx.case}}},
                    {"Type": "tmpfs", "Target": "/scratch",
                     "TmpfsOptions": {"SizeBytes": MIB, "Mode": 0o1770}}
                ],
                "StopGracePeriod": 2 * SEC,
                "Healthcheck": {"Test": ["CMD", "true"], "Interval": 2 * SEC,
                    "Timeout": SEC, "Retries": 2, "StartPeriod": SEC},
                "Hosts": ["10.11.12.13 berth-db.internal"],
                "DNSConfig": {"Nameservers": ["10.11.12.53"], "Search": ["berth.example"],
                    "Options": ["ndots:3"]},
                "Secrets": [{"SecretID": secret.id(), "SecretName": secret.name(),
                    "File": {"Name": "full-secret", "UID": "65534", "GID": "65534", "Mode": 0o400}}],
                "Configs": [{"ConfigID": config.id(), "ConfigName": config.name(),
                    "File": {"Name": "/etc/berth/full.conf", "UID": "65534", "GID": "0", "Mode": 0o440}}],
                "Isolation": "default",
                "Sysctls": {"net.core.somaxconn": "1000"},
                "CapabilityAdd": ["CAP_SYS_PTRACE"],
                "CapabilityDrop": ["CAP_MKNOD"],
                "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
            },
            "Resources": {
                "Limits": {"NanoCPUs": SEC / 2, "MemoryBytes": 64 * MIB, "Pids": 100},
                "Reservations": {"NanoCPUs": SEC / 10, "MemoryBytes": 8 * MIB}
            },
            "RestartPolicy": {"Condition": "any", "Delay": 2 * SEC, "MaxAttempts": 5,
                "Window": 30 * SEC},
            "Placement": {
                "Constraints": ["node.role==manager", "node.platform.os==linux"],
                "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}],
                "MaxReplicas": 2
            },
            // The manager resolves the network's name to its id.
            "Networks": [{"Target": network.id(), "Aliases": ["full-alias", "full-alias-b"],
                "DriverOpts": {"berth.opt": "1"}}],
            "LogDriver": {"Name": "json-file", "Options": {"max-size": "2m", "max-file": "2"}},
            "ForceUpdate": 5
        }
    });
    assert_holds(spec, &expected, "Spec");
    ctx.spec.full_created = spec.clone();
    ctx.spec.full = Some(svc);
    ctx.spec.network = Some(network);
}

/// The full service's task container shows what the spec asked for.
pub(crate) async fn full_service_task_shows_the_spec(ctx: &Ctx) {
    step("full_service_task_shows_the_spec");
    let svc = ctx.spec.full();
    let ids = running_containers_of(svc, 1).await;
    let c = ctx
        .docker
        .containers()
        .get(&ids[0])
        .await
        .expect("full task container");
    let a = &c.attrs().attrs;
    let expected = json!({
        "Config": {
            "Hostname": "berth-full",
            "User": "nobody",
            "WorkingDir": "/data/bind",
            "StopSignal": "SIGINT",
            "Healthcheck": {"Test": ["CMD", "true"], "Interval": 2 * SEC, "Timeout": SEC,
                "Retries": 2, "StartPeriod": SEC}
        },
        "HostConfig": {
            "Init": true,
            "ReadonlyRootfs": true,
            "GroupAdd": ["1234", "2345"],
            "CapAdd": ["CAP_SYS_PTRACE"],
            "CapDrop": ["CAP_MKNOD"],
            "NanoCpus": SEC / 2,
            "Memory": 64 * MIB,
            "PidsLimit": 100,
            "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}],
            "LogConfig": {"Type": "json-file", "Config": {"max-size": "2m", "max-file": "2"}},
            "Sysctls": {"net.core.somaxconn": "1000"},
            "SecurityOpt": ["label=disable"]
        }
    });
    assert_holds(a, &expected, "container");
    assert_eq!(a["Config"]["Labels"][SPEC_LABEL], "full");
    assert!(
        a["Config"]["Env"]
            .as_array()
            .is_some_and(|e| e.contains(&json!("FULL_ENV=a b=c"))),
        "{}",
        a["Config"]["Env"]
    );
    let bindings = &a["HostConfig"]["PortBindings"];
    assert_eq!(bindings["8080/tcp"][0]["HostPort"], "30181", "{bindings}");
    assert_eq!(bindings["5353/udp"][0]["HostPort"], "30182", "{bindings}");
    let net = ctx.spec.network.as_ref().expect("network");
    let ep = &a["NetworkSettings"]["Networks"][net.name().expect("name")];
    assert_eq!(ep["DriverOpts"], json!({"berth.opt": "1"}), "{ep}");
    // The aliases are names in the network's DNS (DNS round robin: the task's own
    // address), not endpoint aliases of the container. A trailing dot skips the
    // search domain, whose name server does not exist.
    let ip = ep["IPAddress"].as_str().expect("task address").to_owned();
    for alias in ["full-alias", "full-alias-b"] {
        let out = sh(&c, &format!("nslookup {alias}. 127.0.0.11")).await;
        assert!(out.contains(&ip), "{alias} resolves to {ip}: {out}");
    }

    // Inside: one shell reports what each option changed.
    let out = sh(
        &c,
        "hostname; echo \"$FULL_ENV\"; pwd; id -u; \
         grep berth-db.internal /etc/hosts; \
         grep -E '^(search|options)' /etc/resolv.conf; \
         cat /proc/sys/net/core/somaxconn; grep 'Max open files' /proc/1/limits; \
         cat /data/bind/hello.txt; \
         stat -c '%a %u %g' /run/secrets/full-secret /etc/berth/full.conf; \
         cat /run/secrets/full-secret >/dev/null && echo secret-readable",
    )
    .await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "berth-full", "{out}");
    assert_eq!(lines[1], "a b=c", "{out}");
    assert_eq!(lines[2], "/data/bind", "{out}");
    assert_eq!(lines[3], "65534", "{out}");
    assert!(
        lines[4].starts_with("10.11.12.13") && lines[4].ends_with("berth-db.internal"),
        "{out}"
    );
    assert!(lines.contains(&"search berth.example"), "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("options") && l.contains("ndots:3")),
        "{out}"
    );
    assert!(lines.contains(&"1000"), "somaxconn: {out}");
    // The task's own process (an exec may get other limits).
    assert!(
        lines.iter().any(|l| l.starts_with("Max open files")
            && l.split_whitespace().skip(3).take(2).eq(["1024", "2048"])),
        "ulimit: {out}"
    );
    assert!(lines.contains(&"from the host"), "{out}");
    assert!(lines.contains(&"400 65534 65534"), "secret file: {out}");
    assert!(lines.contains(&"440 65534 0"), "config file: {out}");
    assert!(lines.contains(&"secret-readable"), "{out}");

    let mounts = sh(&c, "cat /proc/mounts").await;
    let line = |target: &str| {
        mounts
            .lines()
            .find(|l| l.split(' ').nth(1) == Some(target))
            .unwrap_or_else(|| panic!("{target} not mounted: {mounts}"))
            .to_owned()
    };
    let bind = line("/data/bind");
    assert!(
        bind.split(' ').nth(3).is_some_and(|o| o.starts_with("ro")),
        "{bind}"
    );
    let vol = line("/data/vol");
    assert!(vol.contains("tmpfs") && vol.contains("size=2048k"), "{vol}");
    line("/data/anon");
    let scratch = line("/scratch");
    assert!(
        scratch.contains("size=1024k") && scratch.contains("mode=1770"),
        "{scratch}"
    );
    let root = line("/");
    assert!(
        root.split(' ').nth(3).is_some_and(|o| o.starts_with("ro")),
        "{root}"
    );
}

pub(crate) fn task_ids(tasks: &[berth::Typed<berth::models::Task>]) -> Vec<String> {
    let mut ids: Vec<String> = tasks.iter().filter_map(|t| t.id.clone()).collect();
    ids.sort();
    ids
}

/// Removes this module's services and network (before the secret and config they
/// use are removed), polling until the network is free.
pub(crate) async fn remove_spec_services(ctx: &mut Ctx) {
    step("remove_spec_services");
    let spec = std::mem::take(&mut ctx.spec);
    for svc in spec.full.iter().chain(&spec.glob).chain(&spec.jobs) {
        svc.remove().await.expect("remove a spec service");
    }
    let network = spec.network.expect("network");
    remove_once_released("the spec network", || network.remove()).await;
}
