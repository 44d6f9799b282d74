//! The `-full` service of [`service_spec`](super::service_spec) updated with every
//! option changed: the update path (`ServiceOptions::merge_into` over the inspected
//! spec) sends each under the right name too.

use std::time::{Duration, Instant};

use berth::Category;
use berth::Network;
use berth::api::services::{
    DnsConfig, EndpointSpec, FailureAction, GenericResource, NetworkAttachment,
    PlacementPreference, PortConfig, PortProtocol, Privileges, PublishMode, Resources,
    RestartCondition, ServiceMode, ServiceOptions, TaskRestartPolicy, UpdateConfig, UpdateOrder,
};
use berth::api::swarm::{DriverConfig, is_update_out_of_sequence};
use berth::core::options::{Healthcheck, MountSpec, Ulimit};
use berth::core::request::Filters;
use serde_json::{Value, json};

use super::service_spec::{MIB, SEC, assert_holds, labels, task_ids, tasks_of};
use super::{Ctx, DEADLINE, labelled, step};

/// Updates the full service to zero replicas with every option changed, adding the
/// ones no task could run with here (a Windows credential spec, an SELinux context,
/// process isolation, a named pipe, generic resources, foreign platforms); `Spec`
/// holds the new values and `PreviousSpec` the created ones; the old task leaves the
/// desired-running list. A subpath and a mount consistency are refused (a raw spec
/// shows the daemon would drop them).
pub(crate) async fn full_service_update_round_trips(ctx: &mut Ctx) {
    step("full_service_update_round_trips");
    let secret = ctx.secret.as_ref().expect("secret");
    let config = ctx.config.as_ref().expect("config");
    let net_name = ctx
        .spec
        .network
        .as_ref()
        .and_then(Network::name)
        .expect("network")
        .to_owned();
    let full = ctx.spec.full().clone();
    let before = task_ids(&tasks_of(&full, &Filters::new().with("desired-state", "running")).await);
    assert_eq!(before.len(), 1);
    let mut changes = ServiceOptions::changes()
        .mode(ServiceMode::replicated(0))
        .command(["sleep"])
        .args(["301"])
        .hostname("berth-full-2")
        .env("FULL_ENV", "updated")
        .expect("env")
        .workdir("/")
        .user("65534:65534")
        .group("3456")
        .stop_signal("SIGHUP")
        .stop_grace_period(Duration::from_secs(7))
        .expect("grace")
        .healthcheck(&Healthcheck::disabled())
        .expect("hc")
        .host("a.internal", "10.0.0.1")
        .host("b.internal", "10.0.0.2")
        .dns_config(&DnsConfig {
            nameservers: vec!["10.0.0.53".into(), "10.0.1.53".into()],
            search: vec![],
            options: vec!["timeout:2".into()],
        })
        .tty(true)
        .open_stdin(true)
        .read_only(false)
        .init(false)
        .isolation("process")
        .sysctl("net.ipv4.ip_forward", 0)
        .cap_add("CAP_NET_ADMIN")
        .cap_drop("CAP_CHOWN")
        .ulimit(&Ulimit::new("nproc", 64, 128))
        .expect("ulimit")
        .privileges(&Privileges {
            credentialspec_registry: Some("berth-spec".into()),
            selinux_disable: Some(false),
            selinux_user: Some("system_u".into()),
            selinux_role: Some("system_r".into()),
            selinux_type: Some("container_t".into()),
            selinux_level: Some("s0:c1,c2".into()),
            ..Privileges::default()
        })
        .expect("privileges")
        .mount(MountSpec::npipe(r"\\.\pipe\berth", r"\\.\pipe\berth-in"))
        .expect("npipe")
        .mount_str("/var/tmp:/hostsrc:ro")
        .expect("bind from a string")
        .secret(secret.reference().owner("1", "2", 0o600))
        .expect("secret")
        .config(config.reference().filename("relative.conf"))
        .expect("config")
        .resources(
            Resources::new()
                .cpu_limit(0.25)
                .expect("cpu")
                .mem_limit_str("32m")
                .expect("mem")
                .pids_limit(50)
                .generic(GenericResource::Discrete {
                    kind: "berth-gpu".into(),
                    value: 2,
                })
                .generic(GenericResource::Named {
                    kind: "berth-ssd".into(),
                    value: "disk-1".into(),
                }),
        )
        .restart_policy(TaskRestartPolicy {
            condition: RestartCondition::OnFailure,
            delay: Duration::from_secs(3),
            max_attempts: 7,
            window: Duration::from_secs(60),
        })
        .constraint("node.labels.zone==a")
        .preference(PlacementPreference::spread("node.labels.rack"))
        .platform("arm64", "linux")
        .platform("amd64", "windows")
        .max_replicas(3)
        .log_driver(DriverConfig::new("local").option("max-size", "5m"))
        .network(NetworkAttachment {
            target: net_name,
            aliases: vec!["full-alias-2".into()],
            driver_opts: vec![],
        })
        .force_update(6)
        // Zero replicas: the routing mesh port needs no IPVS here.
        .endpoint_spec(EndpointSpec {
            mode: Some("vip".into()),
            ports: vec![
                PortConfig::new(Some(30185), 8080).publish_mode(PublishMode::Ingress),
                PortConfig::new(Some(30183), 9)
                    .protocol(PortProtocol::Sctp)
                    .publish_mode(PublishMode::Host),
            ],
        })
        .update_config(UpdateConfig {
            parallelism: 4,
            delay: Some(Duration::from_secs(5)),
            failure_action: Some(FailureAction::Rollback),
            monitor: Some(Duration::from_secs(6)),
            max_failure_ratio: Some(0.75),
            order: Some(UpdateOrder::StopFirst),
        })
        .rollback_config(UpdateConfig {
            parallelism: 5,
            delay: Some(Duration::from_secs(7)),
            failure_action: Some(FailureAction::Pause),
            monitor: Some(Duration::from_secs(8)),
            max_failure_ratio: Some(0.125),
            order: Some(UpdateOrder::StartFirst),
        });
    let mut new_labels = labels(ctx, "full");
    new_labels.push(("berth.full.updated".into(), "yes".into()));
    changes = labelled(changes, new_labels.iter().cloned());
    full.update(&changes)
        .await
        .expect("update the full service");
    let mut svc = full.clone();
    svc.reload().await.expect("reload");
    let net_id = ctx.spec.network.as_ref().expect("network").id();
    let labels_now = Value::Object(
        new_labels
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    );
    let expected = json!({
        "Labels": labels_now,
        "Mode": {"Replicated": {"Replicas": 0}},
        "UpdateConfig": {"Parallelism": 4, "Delay": 5 * SEC, "FailureAction": "rollback",
            "Monitor": 6 * SEC, "MaxFailureRatio": 0.75, "Order": "stop-first"},
        "RollbackConfig": {"Parallelism": 5, "Delay": 7 * SEC, "FailureAction": "pause",
            "Monitor": 8 * SEC, "MaxFailureRatio": 0.125, "Order": "start-first"},
        "EndpointSpec": {"Mode": "vip", "Ports": [
            {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 30185, "PublishMode": "ingress"},
            {"Protocol": "sctp", "TargetPort": 9, "PublishedPort": 30183, "PublishMode": "host"}
        ]},
        "TaskTemplate": {
            "ContainerSpec": {
                "Labels": labels_now,
                "Command": ["sleep"],
                "Args": ["301"],
                "Hostname": "berth-full-2",
                "Env": ["FULL_ENV=updated"],
                "Dir": "/",
                "User": "65534:65534",
                "Groups": ["3456"],
                "Privileges": {
                    "CredentialSpec": {"Registry": "berth-spec"},
                    "SELinuxContext": {"Disable": false, "User": "system_u", "Role": "system_r",
                        "Type": "container_t", "Level": "s0:c1,c2"}
                },
                "TTY": true,
                "OpenStdin": true,
                "Init": false,
                "StopSignal": "SIGHUP",
                "StopGracePeriod": 7 * SEC,
                "Healthcheck": {"Test": ["NONE"]},
                "Hosts": ["10.0.0.1 a.internal", "10.0.0.2 b.internal"],
                "DNSConfig": {"Nameservers": ["10.0.0.53", "10.0.1.53"], "Options": ["timeout:2"]},
                "Mounts": [
                    {"Type": "npipe", "Source": r"\\.\pipe\berth", "Target": r"\\.\pipe\berth-in"},
                    {"Type": "bind", "Source": "/var/tmp", "Target": "/hostsrc", "ReadOnly": true}
                ],
                "Secrets": [{"SecretID": secret.id(), "SecretName": secret.name(),
                    "File": {"Name": secret.name(), "UID": "1", "GID": "2", "Mode": 0o600}}],
                "Configs": [{"ConfigID": config.id(), "ConfigName": config.name(),
                    "File": {"Name": "relative.conf", "UID": "0", "GID": "0", "Mode": 0o444}}],
                "Isolation": "process",
                "Sysctls": {"net.ipv4.ip_forward": "0"},
                "CapabilityAdd": ["CAP_NET_ADMIN"],
                "CapabilityDrop": ["CAP_CHOWN"],
                "Ulimits": [{"Name": "nproc", "Soft": 64, "Hard": 128}]
            },
            "Resources": {
                "Limits": {"NanoCPUs": SEC / 4, "MemoryBytes": 32 * MIB, "Pids": 50},
                "Reservations": {"GenericResources": [
                    {"DiscreteResourceSpec": {"Kind": "berth-gpu", "Value": 2}},
                    {"NamedResourceSpec": {"Kind": "berth-ssd", "Value": "disk-1"}}
                ]}
            },
            "RestartPolicy": {"Condition": "on-failure", "Delay": 3 * SEC, "MaxAttempts": 7,
                "Window": 60 * SEC},
            "Placement": {
                "Constraints": ["node.labels.zone==a"],
                "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.rack"}}],
                "Platforms": [{"Architecture": "arm64", "OS": "linux"},
                    {"Architecture": "amd64", "OS": "windows"}],
                "MaxReplicas": 3
            },
            "Networks": [{"Target": net_id, "Aliases": ["full-alias-2"]}],
            "LogDriver": {"Name": "local", "Options": {"max-size": "5m"}},
            "ForceUpdate": 6
        }
    });
    assert_holds(svc.spec(), &expected, "Spec");
    // Everything merged replaced what it named: no created value lingers. A false
    // ReadOnly is left out of the answer (the daemon omits a false bool).
    let cs = &svc.spec()["TaskTemplate"]["ContainerSpec"];
    assert!(cs.get("ReadOnly").is_none_or(|v| v == false), "{cs}");
    assert_eq!(cs["DNSConfig"]["Search"].as_array().map_or(0, Vec::len), 0);
    assert!(
        svc.spec()["TaskTemplate"]["Resources"]["Reservations"]
            .get("NanoCPUs")
            .is_none_or(|v| v == 0)
    );
    assert_eq!(
        svc.attrs().attrs["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Hostname"],
        ctx.spec.full_created["TaskTemplate"]["ContainerSpec"]["Hostname"]
    );
    assert_eq!(
        svc.attrs().attrs["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Mounts"],
        ctx.spec.full_created["TaskTemplate"]["ContainerSpec"]["Mounts"]
    );

    // A volume subpath (API 1.45) and a mount consistency are refused before anything
    // is sent: the raw spec shows why, as this daemon stores such mounts without them.
    let e = svc
        .update(
            &ServiceOptions::changes()
                .mount(MountSpec::volume("berth-sub", "/sub").subpath("part"))
                .expect("mount"),
        )
        .await
        .expect_err("subpath at 1.41");
    assert_eq!(e.category(), Category::UnsupportedApiVersion, "{e:?}");
    assert!(
        ServiceOptions::changes()
            .mount(MountSpec::bind("/var/tmp", "/c").consistency("cached"))
            .is_err()
    );
    let mounts = json!([
        {"Type": "volume", "Source": "berth-sub", "Target": "/sub",
         "VolumeOptions": {"Subpath": "part"}},
        {"Type": "bind", "Source": "/var/tmp", "Target": "/c", "Consistency": "cached"}
    ]);
    // The orchestrator bumps the version while it rolls the update out: retry a
    // version made stale meanwhile.
    for attempt in 1.. {
        svc.reload().await.expect("reload");
        let mut raw = svc.spec().clone();
        raw["TaskTemplate"]["ContainerSpec"]["Mounts"] = mounts.clone();
        match svc.update_spec(svc.version().expect("version"), raw).await {
            Ok(_) => break,
            Err(e) if attempt < 5 && is_update_out_of_sequence(e.kind()) => {}
            Err(e) => panic!("raw spec with a subpath and a consistency: {e:?}"),
        }
    }
    svc.reload().await.expect("reload");
    let ms = &svc.spec()["TaskTemplate"]["ContainerSpec"]["Mounts"];
    assert_eq!(ms[0]["Target"], "/sub", "{ms}");
    assert!(
        ms[0]
            .get("VolumeOptions")
            .and_then(|o| o.get("Subpath"))
            .is_none(),
        "a 1.41 daemon drops the subpath: {ms}"
    );
    assert_eq!(ms[1]["Target"], "/c", "{ms}");
    assert!(
        ms[1].get("Consistency").is_none(),
        "the daemon drops the consistency: {ms}"
    );

    // Zero replicas: the old task leaves the desired-running list (a scaled-down task
    // is desired `remove`, then deleted).
    let start = Instant::now();
    loop {
        let running =
            task_ids(&tasks_of(&svc, &Filters::new().with("desired-state", "running")).await);
        if running.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "tasks still desired running after scaling to 0: {running:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    ctx.spec.full = Some(svc);
}
