use std::time::Duration;

use crate::headers::Headers;
use serde_json::json;

use super::*;
use crate::options::{Healthcheck, MountSpec, Ulimit};
use crate::request::RequestBody;
use crate::stream::Decoder;

const V41: ApiVersion = ApiVersion::new(1, 41);
static NO_HEADERS: Headers = Headers::new();

fn resp(status: u16, body: &[u8]) -> Response<'_> {
    Response {
        status,
        headers: &NO_HEADERS,
        body,
    }
}

fn json_of(head: &RequestHead) -> Value {
    match &head.body {
        RequestBody::Json(b) => serde_json::from_slice(b).expect("json body"),
        other => panic!("expected a JSON body, got {other:?}"),
    }
}

fn full_options() -> ServiceOptions {
    ServiceOptions::new("127.0.0.1:5000/busybox:berth-test")
        .name("web")
        .label("berth.test", "1")
        .command(["sh", "-c"])
        .args(["cat /run/secrets/s; sleep 300"])
        .env("A", "1")
        .expect("env")
        .env_list(["B=2", "C"])
        .expect("env list")
        .workdir("/tmp")
        .user("nobody")
        .container_label("c", "d")
        .mount(MountSpec::tmpfs("/scratch").tmpfs_size(1 << 20))
        .expect("mount")
        .secret(SecretReference::new("sid", "s"))
        .expect("secret")
        .config(ConfigReference::new("cid", "app.conf").filename("/etc/app.conf"))
        .expect("config")
        .healthcheck(&Healthcheck::cmd(["true"]).interval(Duration::from_secs(5)))
        .expect("hc")
        .host("db", "10.0.0.2")
        .stop_grace_period(Duration::from_secs(3))
        .expect("grace")
        .tty(false)
        .resources(
            Resources::new()
                .cpu_limit(0.5)
                .expect("cpu")
                .mem_limit_str("64m")
                .expect("mem")
                .mem_reservation_str("16m")
                .expect("mem"),
        )
        .restart_policy(TaskRestartPolicy {
            condition: RestartCondition::OnFailure,
            max_attempts: 2,
            ..TaskRestartPolicy::default()
        })
        .constraint("node.role==manager")
        .preference(PlacementPreference::from_tuple("spread", "node.labels.zone").expect("pref"))
        .max_replicas(2)
        .mode(ServiceMode::replicated(1))
        .update_config(UpdateConfig {
            parallelism: 1,
            delay: Some(Duration::from_secs(1)),
            failure_action: Some(FailureAction::Rollback),
            order: Some(UpdateOrder::StartFirst),
            ..UpdateConfig::default()
        })
        .rollback_config(UpdateConfig {
            monitor: Some(Duration::from_secs(2)),
            ..UpdateConfig::default()
        })
        .endpoint_spec(
            EndpointSpec::new().port(Some(8080), 80).port_config(
                PortConfig::new(Some(5353), 53)
                    .protocol(PortProtocol::Udp)
                    .publish_mode(PublishMode::Host),
            ),
        )
        .network("backend")
}

#[test]
fn full_spec_has_docker_py_shapes() {
    let spec = full_options().to_spec(V41).expect("spec");
    let cs = &spec["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Image"], "127.0.0.1:5000/busybox:berth-test");
    assert_eq!(cs["Env"], json!(["A=1", "B=2", "C"]));
    assert_eq!(cs["Dir"], "/tmp");
    assert_eq!(cs["Labels"], json!({"c": "d"}));
    assert_eq!(cs["Hosts"], json!(["10.0.0.2 db"]));
    assert_eq!(cs["StopGracePeriod"], 3_000_000_000i64);
    assert_eq!(cs["Healthcheck"]["Test"], json!(["CMD", "true"]));
    assert_eq!(cs["Mounts"][0]["Type"], "tmpfs");
    assert_eq!(cs["Mounts"][0]["TmpfsOptions"]["SizeBytes"], 1 << 20);
    // Edge case 180: UID/GID strings, Mode decimal 292 (0o444).
    assert_eq!(
        cs["Secrets"],
        json!([{"SecretID": "sid", "SecretName": "s", "File": {"Name": "s", "UID": "0", "GID": "0", "Mode": 292}}])
    );
    assert_eq!(cs["Configs"][0]["File"]["Name"], "/etc/app.conf");
    assert_eq!(cs["Configs"][0]["ConfigName"], "app.conf");
    let tt = &spec["TaskTemplate"];
    assert_eq!(
        tt["Resources"],
        json!({"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 67_108_864}, "Reservations": {"MemoryBytes": 16_777_216}})
    );
    assert_eq!(
        tt["RestartPolicy"],
        json!({"Condition": "on-failure", "Delay": 0, "MaxAttempts": 2, "Window": 0})
    );
    assert_eq!(
        tt["Placement"],
        json!({"Constraints": ["node.role==manager"], "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}], "MaxReplicas": 2})
    );
    assert_eq!(tt["Networks"], json!([{"Target": "backend"}]));
    assert!(spec.get("Networks").is_none());
    assert_eq!(spec["Mode"], json!({"Replicated": {"Replicas": 1}}));
    assert_eq!(
        spec["UpdateConfig"],
        json!({"Parallelism": 1, "Delay": 1_000_000_000, "FailureAction": "rollback", "Order": "start-first"})
    );
    assert_eq!(
        spec["RollbackConfig"],
        json!({"Parallelism": 0, "Monitor": 2_000_000_000i64})
    );
    assert_eq!(
        spec["EndpointSpec"]["Ports"],
        json!([
            {"PublishedPort": 8080, "TargetPort": 80, "Protocol": "tcp"},
            {"PublishedPort": 5353, "TargetPort": 53, "Protocol": "udp", "PublishMode": "host"}
        ])
    );
    assert_eq!(spec["Labels"], json!({"berth.test": "1"}));
}

#[test]
fn version_gates_refuse_before_sending() {
    let cases: Vec<(ServiceOptions, ApiVersion)> = vec![
        (ServiceOptions::new("i").tty(true), ApiVersion::new(1, 24)),
        (
            ServiceOptions::new("i").read_only(true),
            ApiVersion::new(1, 27),
        ),
        (
            ServiceOptions::new("i")
                .config(ConfigReference::new("c", "n"))
                .expect("ok"),
            ApiVersion::new(1, 29),
        ),
        (ServiceOptions::new("i").init(true), ApiVersion::new(1, 37)),
        (
            ServiceOptions::new("i").cap_add("NET_ADMIN"),
            ApiVersion::new(1, 40),
        ),
        (
            ServiceOptions::new("i").force_update(1),
            ApiVersion::new(1, 24),
        ),
        (
            ServiceOptions::new("i").max_replicas(1),
            ApiVersion::new(1, 39),
        ),
        (
            ServiceOptions::new("i").preference(PlacementPreference::spread("x")),
            ApiVersion::new(1, 26),
        ),
        (
            ServiceOptions::new("i").platform("amd64", "linux"),
            ApiVersion::new(1, 29),
        ),
        (
            ServiceOptions::new("i").mode(ServiceMode::GlobalJob),
            ApiVersion::new(1, 40),
        ),
        (
            ServiceOptions::new("i").rollback_config(UpdateConfig::default()),
            ApiVersion::new(1, 27),
        ),
        (
            ServiceOptions::new("i").update_config(UpdateConfig {
                order: Some(UpdateOrder::StopFirst),
                ..UpdateConfig::default()
            }),
            ApiVersion::new(1, 28),
        ),
        (
            ServiceOptions::new("i").endpoint_spec(
                EndpointSpec::new()
                    .port_config(PortConfig::new(None, 80).publish_mode(PublishMode::Ingress)),
            ),
            ApiVersion::new(1, 31),
        ),
        (
            ServiceOptions::new("i").resources(Resources::new().generic(
                GenericResource::Discrete {
                    kind: "gpu".into(),
                    value: 1,
                },
            )),
            ApiVersion::new(1, 31),
        ),
    ];
    let extra: Vec<(ServiceOptions, ApiVersion)> = vec![
        (
            ServiceOptions::new("i")
                .ulimit(&Ulimit::new("nofile", 1, 2))
                .expect("ok"),
            ApiVersion::new(1, 40),
        ),
        (
            ServiceOptions::new("i").resources(Resources::new().pids_limit(10)),
            ApiVersion::new(1, 40),
        ),
        (
            ServiceOptions::new("i")
                .healthcheck(&Healthcheck::cmd(["true"]).start_period(Duration::from_secs(1)))
                .expect("ok"),
            ApiVersion::new(1, 28),
        ),
    ];
    for (opts, api) in cases.into_iter().chain(extra) {
        assert!(
            matches!(opts.to_spec(api), Err(Error::UnsupportedApiVersion { .. })),
            "{opts:?} at {api}"
        );
        assert!(opts.to_spec(V41).is_ok(), "{opts:?} at 1.41");
    }
}

/// A 1.41 daemon (moby 20.10) stores a service mount's `VolumeOptions.Subpath` as
/// nothing at all: the whole volume would be mounted. Refused below 1.45.
#[test]
fn volume_subpath_needs_api_1_45() {
    let opts = ServiceOptions::new("i")
        .mount(MountSpec::volume("data", "/data").subpath("sub"))
        .expect("mount");
    assert!(matches!(
        opts.to_spec(V41),
        Err(Error::UnsupportedApiVersion { .. })
    ));
    let spec = opts.to_spec(ApiVersion::new(1, 45)).expect("1.45");
    assert_eq!(
        spec["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["VolumeOptions"]["Subpath"],
        "sub"
    );
}

/// The Engine's swarm conversion has no consistency for service mounts (moby
/// 20.10's inspect shows the mount without it): refused, not sent in vain.
#[test]
fn mount_consistency_is_refused() {
    let e = ServiceOptions::new("i")
        .mount(MountSpec::bind("/srv", "/srv").consistency("cached"))
        .expect_err("consistency");
    assert!(
        matches!(&e, Error::InvalidArgument(m) if m.contains("consistency")),
        "{e:?}"
    );
    let ok = ServiceOptions::new("i")
        .mount(MountSpec::bind("/srv", "/srv").read_only(true))
        .expect("no consistency")
        .to_spec(V41)
        .expect("spec");
    assert!(
        ok["TaskTemplate"]["ContainerSpec"]["Mounts"][0]
            .get("Consistency")
            .is_none()
    );
}

/// Ulimits and the pids limit (API 1.41) in the Engine's shapes.
#[test]
fn ulimits_and_pids_limit_shapes() {
    let spec = ServiceOptions::new("i")
        .ulimit(&Ulimit::new("nofile", 1024, 2048))
        .expect("ulimit")
        .ulimit(&"nproc=64".parse::<Ulimit>().expect("parse"))
        .expect("ulimit")
        .resources(
            Resources::new()
                .pids_limit(100)
                .cpu_limit(1.0)
                .expect("cpu"),
        )
        .to_spec(V41)
        .expect("spec");
    assert_eq!(
        spec["TaskTemplate"]["ContainerSpec"]["Ulimits"],
        json!([{"Name": "nofile", "Soft": 1024, "Hard": 2048}, {"Name": "nproc", "Soft": 64, "Hard": 64}])
    );
    assert_eq!(
        spec["TaskTemplate"]["Resources"],
        json!({"Limits": {"NanoCPUs": 1_000_000_000, "Pids": 100}})
    );
    assert!(Resources::new().pids_limit(-1).to_json(V41).is_err());
}

#[test]
fn old_api_puts_networks_top_level() {
    let spec = ServiceOptions::new("i")
        .network("n1")
        .to_spec(ApiVersion::new(1, 24))
        .expect("spec");
    assert_eq!(spec["Networks"], json!([{"Target": "n1"}]));
    assert!(spec["TaskTemplate"].get("Networks").is_none());
}

#[test]
fn create_needs_an_image_and_sends_registry_auth() {
    assert!(matches!(
        ServiceCreate::new(ServiceOptions::changes().name("x")).request(V41),
        Err(Error::InvalidArgument(_))
    ));
    let mut c = ServiceCreate::new(ServiceOptions::new("i"));
    let head = c.request(V41).expect("head");
    assert!(head.headers.is_empty());
    c.registry_auth = Some("eyJ1c2VybmFtZSI6ImEifQ==".into());
    let head = c.request(V41).expect("head");
    assert_eq!(
        head.headers,
        vec![("X-Registry-Auth", "eyJ1c2VybmFtZSI6ImEifQ==".to_string())]
    );
    assert_eq!(
        json_of(&head)["TaskTemplate"]["ContainerSpec"]["Image"],
        "i"
    );
    let out = c
        .parse(resp(
            201,
            br#"{"ID":"svc1","Warnings":["image i could not be accessed on a registry to record\nits digest."]}"#,
        ))
        .expect("created");
    assert_eq!(out.id.as_deref(), Some("svc1"));
    assert_eq!(out.warnings.as_ref().map(Vec::len), Some(1));
    assert!(matches!(
        c.parse(resp(409, br#"{"message":"rpc error: code = AlreadyExists desc = name conflicts with an existing object"}"#)),
        Err(Error::Conflict(_))
    ));
}

#[test]
fn base_spec_keeps_unknown_fields() {
    let spec = ServiceOptions::new("i")
        .base_spec(json!({"TaskTemplate": {"Runtime": "container", "ContainerSpec": {"Ulimits": [{"Name": "nofile", "Soft": 1, "Hard": 2}]}}}))
        .to_spec(V41)
        .expect("spec");
    assert_eq!(spec["TaskTemplate"]["Runtime"], "container");
    assert_eq!(
        spec["TaskTemplate"]["ContainerSpec"]["Ulimits"][0]["Name"],
        "nofile"
    );
    assert_eq!(spec["TaskTemplate"]["ContainerSpec"]["Image"], "i");
}

#[test]
fn merge_follows_fetch_current_spec() {
    let current = json!({
        "Name": "web",
        "Labels": {"berth.test": "1"},
        "Mode": {"Replicated": {"Replicas": 2}},
        "TaskTemplate": {
            "ContainerSpec": {"Image": "busybox@sha256:abc", "Env": ["A=1"], "Args": ["sleep", "300"]},
            "Resources": {"Limits": {"MemoryBytes": 1}},
            "Placement": {"Constraints": ["node.role==manager"], "Preferences": []},
            "ForceUpdate": 0
        },
        "EndpointSpec": {"Mode": "vip"},
        "Networks": [{"Target": "old"}]
    });
    let next = ServiceOptions::changes()
        .env("A", "2")
        .expect("env")
        .constraint("node.role==worker")
        .network("new")
        .merge_into(&current, V41)
        .expect("merge");
    let cs = &next["TaskTemplate"]["ContainerSpec"];
    // ContainerSpec merged key by key: Env replaced, Image and Args kept.
    assert_eq!(cs["Env"], json!(["A=2"]));
    assert_eq!(cs["Image"], "busybox@sha256:abc");
    assert_eq!(cs["Args"], json!(["sleep", "300"]));
    // Other task template parts replaced whole.
    assert_eq!(
        next["TaskTemplate"]["Placement"],
        json!({"Constraints": ["node.role==worker"]})
    );
    assert_eq!(
        next["TaskTemplate"]["Resources"],
        current["TaskTemplate"]["Resources"]
    );
    assert_eq!(next["TaskTemplate"]["Networks"], json!([{"Target": "new"}]));
    assert!(next.get("Networks").is_none());
    // Unset top-level fields copied.
    assert_eq!(next["Mode"], current["Mode"]);
    assert_eq!(next["Labels"], current["Labels"]);
    assert_eq!(next["EndpointSpec"], current["EndpointSpec"]);
    // No changes → the same spec.
    assert_eq!(
        ServiceOptions::changes()
            .merge_into(&current, V41)
            .expect("same"),
        current
    );
}

#[test]
fn modes_from_docker_py_forms() {
    assert_eq!(
        ServiceMode::from_parts("replicated", Some(0), None)
            .expect("0 ok")
            .to_json(),
        json!({"Replicated": {"Replicas": 0}})
    );
    assert_eq!(
        ServiceMode::from_parts("replicated", None, None)
            .expect("default")
            .to_json(),
        json!({"Replicated": {}})
    );
    assert_eq!(
        ServiceMode::from_parts("replicated-job", Some(5), Some(2))
            .expect("job")
            .to_json(),
        json!({"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 5}})
    );
    assert_eq!(ServiceMode::GlobalJob.to_json(), json!({"GlobalJob": {}}));
    assert!(ServiceMode::from_parts("global", Some(1), None).is_err());
    assert!(ServiceMode::from_parts("replicated", None, Some(1)).is_err());
    assert!(ServiceMode::from_parts("pack", None, None).is_err());
    assert_eq!(
        "replicated:3".parse::<ServiceMode>().expect("parse"),
        ServiceMode::replicated(3)
    );
    assert!("replicated:x".parse::<ServiceMode>().is_err());
    // docker-py's lowercase keys read back.
    assert_eq!(
        ServiceMode::of(&json!({"replicated": {"replicas": 4}})),
        Some(ServiceMode::replicated(4))
    );
    assert_eq!(
        ServiceMode::of(&json!({"global": {}})),
        Some(ServiceMode::Global)
    );
}

#[test]
fn ports_parse_and_endpoint_rules() {
    assert_eq!(
        "80".parse::<PortConfig>().expect("target only"),
        PortConfig::new(None, 80)
    );
    assert_eq!(
        "53:53/udp".parse::<PortConfig>().expect("udp"),
        PortConfig::new(Some(53), 53).protocol(PortProtocol::Udp)
    );
    for bad in ["", "x:80", "80/icmp", "0", "70000"] {
        assert!(bad.parse::<PortConfig>().is_err(), "{bad}");
    }
    let dnsrr = EndpointSpec {
        mode: Some("dnsrr".into()),
        ports: vec![PortConfig::new(Some(80), 80)],
    };
    assert!(dnsrr.to_json(V41).is_err());
    let dnsrr_ingress = EndpointSpec {
        mode: Some("dnsrr".into()),
        ports: vec![PortConfig::new(Some(80), 80).publish_mode(PublishMode::Ingress)],
    };
    assert!(dnsrr_ingress.to_json(V41).is_err());
    // The daemon takes dnsrr with host-mode ports (no routing mesh involved).
    let dnsrr_host = EndpointSpec {
        mode: Some("dnsrr".into()),
        ports: vec![
            PortConfig::new(Some(80), 80).publish_mode(PublishMode::Host),
            PortConfig::new(None, 53)
                .protocol(PortProtocol::Udp)
                .publish_mode(PublishMode::Host),
        ],
    };
    assert_eq!(
        dnsrr_host.to_json(V41).expect("host-mode ports"),
        json!({"Mode": "dnsrr", "Ports": [
            {"PublishedPort": 80, "TargetPort": 80, "Protocol": "tcp", "PublishMode": "host"},
            {"TargetPort": 53, "Protocol": "udp", "PublishMode": "host"}
        ]})
    );
    let bad_mode = EndpointSpec {
        mode: Some("round-robin".into()),
        ports: vec![],
    };
    assert!(bad_mode.to_json(V41).is_err());
    assert_eq!(
        EndpointSpec::new().port(None, 80).to_json(V41).expect("ok"),
        json!({"Ports": [{"TargetPort": 80, "Protocol": "tcp"}]})
    );
}

#[test]
fn references_and_small_types() {
    let r = SecretReference::new("id", "name")
        .filename("f")
        .owner("1000", "1000", 0o400);
    assert_eq!(
        r.to_json().expect("ok")["File"],
        json!({"Name": "f", "UID": "1000", "GID": "1000", "Mode": 256})
    );
    assert!(SecretReference::new("", "n").to_json().is_err());
    let p = Privileges {
        credentialspec_file: Some("a".into()),
        credentialspec_registry: Some("b".into()),
        ..Privileges::default()
    };
    assert!(p.to_json().is_err());
    let p = Privileges {
        selinux_disable: Some(true),
        ..Privileges::default()
    };
    assert_eq!(
        p.to_json().expect("ok"),
        json!({"SELinuxContext": {"Disable": true}})
    );
    assert_eq!(
        DnsConfig::default().to_json(),
        json!({"Nameservers": [], "Search": [], "Options": []})
    );
    let bad_ratio = UpdateConfig {
        max_failure_ratio: Some(1.5),
        ..UpdateConfig::default()
    };
    assert!(bad_ratio.to_json(V41, false).is_err());
    let rb = UpdateConfig {
        failure_action: Some(FailureAction::Rollback),
        ..UpdateConfig::default()
    };
    assert!(rb.to_json(V41, true).is_err());
    assert!("sometimes".parse::<RestartCondition>().is_err());
    let g = Resources::new()
        .generic(GenericResource::Named {
            kind: "gpu".into(),
            value: "uuid-1".into(),
        })
        .to_json(V41)
        .expect("ok");
    assert_eq!(
        g,
        json!({"Reservations": {"GenericResources": [{"NamedResourceSpec": {"Kind": "gpu", "Value": "uuid-1"}}]}})
    );
    assert_eq!(
        Placement::constraints(["a==b"]).to_json(V41).expect("ok"),
        json!({"Constraints": ["a==b"]})
    );
}

#[test]
fn inspect_list_update_remove_requests() {
    let mut i = ServiceInspect::new("web");
    assert_eq!(i.request(V41).expect("head").path, "/v1.41/services/web");
    i.insert_defaults = true;
    assert_eq!(
        i.request(V41).expect("head").path,
        "/v1.41/services/web?insertDefaults=true"
    );
    assert!(i.request(ApiVersion::new(1, 28)).is_err());
    let l = ServiceList {
        filters: Filters::new().with("label", "berth.test=1"),
        status: true,
    };
    assert!(l.request(V41).expect("head").path.ends_with("&status=true"));
    assert!(l.request(ApiVersion::new(1, 40)).is_err());
    assert!(l.parse(resp(200, b"[]")).expect("empty").is_empty());
    let u = ServiceUpdate {
        id: "web".into(),
        version: 7,
        spec: json!({"Name": "web"}),
        registry_auth: Some("e30=".into()),
        rollback: false,
    };
    let head = u.request(V41).expect("head");
    assert_eq!(head.path, "/v1.41/services/web/update?version=7");
    assert_eq!(head.headers, vec![("X-Registry-Auth", "e30=".to_string())]);
    assert!(
        u.parse(resp(200, br#"{"Warnings":null}"#))
            .expect("ok")
            .warnings
            .is_none()
    );
    assert!(u.parse(resp(200, b"")).is_ok());
    let rb = ServiceUpdate {
        rollback: true,
        ..u.clone()
    };
    assert!(
        rb.request(V41)
            .expect("head")
            .path
            .ends_with("&rollback=previous")
    );
    let e = u
        .parse(resp(
            500,
            br#"{"message":"rpc error: code = Unknown desc = update out of sequence"}"#,
        ))
        .expect_err("stale");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("out of sequence"))
    );
    let rm = ServiceRemove { id: "web".into() }
        .request(V41)
        .expect("head");
    assert_eq!(
        (rm.method, rm.path.as_str()),
        (Method::DELETE, "/v1.41/services/web")
    );
    assert!(ServiceRemove::default().request(V41).is_err());
}

#[test]
fn logs_need_a_stream_and_follow_tty() {
    let mut l = ServiceLogs::new("web");
    l.tail = Tail::Lines(5);
    l.timestamps = true;
    assert_eq!(
        l.request(V41).expect("head").path,
        "/v1.41/services/web/logs?details=0&follow=0&stdout=1&stderr=1&timestamps=1&tail=5"
    );
    l.stdout = false;
    l.stderr = false;
    assert!(matches!(l.request(V41), Err(Error::InvalidArgument(_))));
    let mut l = ServiceLogs::new("web");
    l.tty = Some(true);
    let d = l.decoder(200, &NO_HEADERS).expect("decoder");
    assert!(!d.is_multiplexed());
    l.tty = None;
    let mut d = l.decoder(200, &NO_HEADERS).expect("decoder");
    assert!(d.is_multiplexed());
    d.push(&[1, 0, 0, 0, 0, 0, 0, 3, b'h', b'i', b'\n']);
    let f = d.next().expect("ok").expect("frame");
    assert_eq!(&f.data[..], b"hi\n");
}

#[test]
fn scale_and_force_update_transformations() {
    let spec = json!({"Name": "g", "Mode": {"Global": {}}});
    assert!(matches!(
        scaled_spec(&spec, 2),
        Err(Error::InvalidArgument(_))
    ));
    let job = json!({"Mode": {"ReplicatedJob": {"TotalCompletions": 1}}});
    assert!(scaled_spec(&job, 2).is_err());
    let none = scaled_spec(&json!({"Name": "x"}), 0).expect("no mode = replicated");
    assert_eq!(none["Mode"], json!({"Replicated": {"Replicas": 0}}));
    let f = force_updated_spec(&json!({"TaskTemplate": {"ContainerSpec": {"Image": "i"}}}))
        .expect("ok");
    assert_eq!(f["TaskTemplate"]["ForceUpdate"], 1);
    assert_eq!(f["TaskTemplate"]["ContainerSpec"]["Image"], "i");
    assert_eq!(image_of(&f), Some("i"));
    assert!(!tty_of(&f));
    assert!(tty_of(
        &json!({"TaskTemplate": {"ContainerSpec": {"TTY": true}}})
    ));
}
