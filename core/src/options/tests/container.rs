//! Builder behaviour: string setters, validation, API gates, derived fields.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::invalid;
use crate::error::Error;
use crate::options::{ContainerOptions, EndpointConfig, Healthcheck, HostBinding, MountSpec};
use crate::version::ApiVersion;

const API: ApiVersion = ApiVersion::new(1, 44);

fn body(o: &ContainerOptions) -> Value {
    serde_json::to_value(o.to_body(API).expect("valid options")).expect("serializable")
}

fn host(o: &ContainerOptions) -> Value {
    body(o)["HostConfig"].clone()
}

fn unsupported(r: crate::Result<impl std::fmt::Debug>) -> (String, ApiVersion) {
    match r {
        Err(Error::UnsupportedApiVersion {
            operation,
            required,
            ..
        }) => (operation, required),
        other => panic!("expected UnsupportedApiVersion, got {other:?}"),
    }
}

#[test]
fn name_and_platform_are_query_parameters() {
    let o = ContainerOptions::new("img")
        .with_name("/my_app.1-x")
        .expect("valid name")
        .with_platform("linux/arm64/v8")
        .expect("valid platform");
    assert_eq!(o.name(), Some("/my_app.1-x"));
    assert_eq!(o.platform(), Some("linux/arm64/v8"));
    assert_eq!(o.image(), "img");
    let b = body(&o);
    assert!(b.get("name").is_none() && b.get("Name").is_none() && b.get("platform").is_none());
    for bad in ["", "a", "-x", "_ab", "a b", "a/b", "ab:c", "été"] {
        assert!(ContainerOptions::new("i").with_name(bad).is_err(), "{bad}");
    }
    for bad in ["", "linux/", "/arm64", "a/b/c/d"] {
        assert!(
            ContainerOptions::new("i").with_platform(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn command_and_entrypoint() {
    let o = ContainerOptions::new("i")
        .cmd_line("sh -c 'echo \"$HOME\" && ls'")
        .expect("valid")
        .entrypoint_line("")
        .expect("empty");
    let b = body(&o);
    assert_eq!(b["Cmd"], json!(["sh", "-c", "echo \"$HOME\" && ls"]));
    assert_eq!(b["Entrypoint"], json!([]));
    let o = ContainerOptions::new("i")
        .cmd(Vec::<String>::new())
        .entrypoint([""]);
    let b = body(&o);
    assert_eq!(b["Cmd"], json!([]));
    assert_eq!(b["Entrypoint"], json!([""]));
    assert!(body(&ContainerOptions::new("i")).get("Cmd").is_none());
    assert!(ContainerOptions::new("i").cmd_line("'x").is_err());
}

#[test]
fn user_zero_is_sent() {
    assert_eq!(body(&ContainerOptions::new("i").user(0))["User"], "0");
    assert_eq!(body(&ContainerOptions::new("i").user(1000))["User"], "1000");
    assert_eq!(
        body(&ContainerOptions::new("i").user("app:app"))["User"],
        "app:app"
    );
}

#[test]
fn attach_flags_follow_docker_py() {
    let flags = |o: ContainerOptions| {
        let b = body(&o);
        [
            "AttachStdin",
            "AttachStdout",
            "AttachStderr",
            "OpenStdin",
            "StdinOnce",
        ]
        .map(|k| b.get(k).cloned().unwrap_or(Value::Null))
    };
    let t = Value::Bool(true);
    let f = Value::Bool(false);
    let n = Value::Null;
    assert_eq!(
        flags(ContainerOptions::new("i")),
        [n.clone(), n.clone(), n.clone(), n.clone(), n.clone()]
    );
    assert_eq!(
        flags(ContainerOptions::new("i").detach(false)),
        [f.clone(), t.clone(), t.clone(), n.clone(), f.clone()]
    );
    assert_eq!(
        flags(ContainerOptions::new("i").stdin_open(true)),
        [t.clone(), t.clone(), t.clone(), t.clone(), t.clone()]
    );
    assert_eq!(
        flags(ContainerOptions::new("i").stdin_open(true).detach(true)),
        [f.clone(), f.clone(), f.clone(), t.clone(), f.clone()]
    );
    assert_eq!(
        flags(ContainerOptions::new("i").detach(true)),
        [f.clone(), f.clone(), f.clone(), n, f]
    );
}

#[test]
fn environment_forms() {
    let o = ContainerOptions::new("i")
        .env("A", "1")
        .expect("A")
        .env_unset("B")
        .expect("B")
        .env_list(["C=3", "D"])
        .expect("list")
        .env_file("# x\nE=5=6\n")
        .expect("file");
    assert_eq!(body(&o)["Env"], json!(["A=1", "B", "C=3", "D", "E=5=6"]));
    assert!(ContainerOptions::new("i").env("", "x").is_err());
    assert!(ContainerOptions::new("i").env_list(["=x"]).is_err());
    assert!(ContainerOptions::new("i").env_file("NOPE").is_err());
}

#[test]
fn ports_expose_and_publish() {
    let o = ContainerOptions::new("i")
        .expose(9000)
        .expose_str("53/udp")
        .expect("53/udp")
        .publish("8080:80")
        .expect("publish")
        .publish_port(443, HostBinding::ip("127.0.0.1"))
        .publish_port(443, HostBinding::random());
    let b = body(&o);
    assert_eq!(
        b["ExposedPorts"],
        json!({"9000/tcp": {}, "53/udp": {}, "80/tcp": {}, "443/tcp": {}})
    );
    assert_eq!(
        b["HostConfig"]["PortBindings"],
        json!({
            "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
            "443/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}, {"HostIp": "", "HostPort": ""}]
        })
    );
    let msg = invalid(ContainerOptions::new("i").publish("80:abc"));
    assert!(
        msg.contains("container port \"abc\" is not a number"),
        "{msg}"
    );
}

#[test]
fn network_mode_rules() {
    // Always sent; "default" when unset (edge case 66).
    assert_eq!(host(&ContainerOptions::new("i"))["NetworkMode"], "default");
    assert_eq!(
        host(&ContainerOptions::new("i").network_mode("none"))["NetworkMode"],
        "none"
    );
    // host networking with published ports is refused (edge case 65).
    let o = ContainerOptions::new("i")
        .network_mode("host")
        .publish("80:80")
        .expect("spec");
    let msg = invalid(o.to_body(API));
    assert!(
        msg.contains("network_mode \"host\" is incompatible with port bindings (80/tcp)"),
        "{msg}"
    );
    assert_eq!(
        host(&ContainerOptions::new("i").network_mode("host").expose(80))["NetworkMode"],
        "host"
    );
    // network and network_mode are exclusive.
    let o = ContainerOptions::new("i")
        .network("net")
        .network_mode("bridge");
    assert!(invalid(o.to_body(API)).contains("mutually exclusive"));
}

#[test]
fn network_and_endpoints() {
    let o = ContainerOptions::new("i").network("backend");
    let b = body(&o);
    assert_eq!(b["HostConfig"]["NetworkMode"], "backend");
    assert_eq!(
        b["NetworkingConfig"],
        json!({"EndpointsConfig": {"backend": {}}})
    );

    let ep = EndpointConfig::new()
        .alias("db")
        .alias("pg")
        .link("cache", Some("c"))
        .link("auth", None)
        .ipv4_address("172.20.0.5")
        .ipv6_address("fd00::5")
        .link_local_ips(["169.254.0.5"])
        .driver_opt("com.example.opt", "1");
    let o = ContainerOptions::new("i")
        .network("backend")
        .endpoint("backend", ep.clone());
    assert_eq!(
        body(&o)["NetworkingConfig"]["EndpointsConfig"]["backend"],
        json!({
            "Aliases": ["db", "pg"],
            "Links": ["auth", "cache:c"],
            "IPAMConfig": {"IPv4Address": "172.20.0.5", "IPv6Address": "fd00::5",
                           "LinkLocalIPs": ["169.254.0.5"]},
            "DriverOpts": {"com.example.opt": "1"}
        })
    );
    let (what, min) = unsupported(o.to_body(ApiVersion::new(1, 31)));
    assert_eq!(
        (what.as_str(), min),
        ("endpoint driver_opt", ApiVersion::new(1, 32))
    );
    // Two networks at create need 1.44.
    let two = ContainerOptions::new("i")
        .network("a")
        .endpoint("b", EndpointConfig::new());
    assert!(two.to_body(API).is_ok());
    let (what, min) = unsupported(two.to_body(ApiVersion::new(1, 43)));
    assert_eq!(
        (what.as_str(), min),
        ("joining several networks at create", API)
    );
    assert!(
        unsupported(
            ContainerOptions::new("i")
                .endpoint("n", EndpointConfig::new().gw_priority(1))
                .to_body(API)
        )
        .0
        .contains("gw_priority")
    );
}

#[test]
fn mac_address_moves_to_the_endpoint_on_1_44() {
    let o = ContainerOptions::new("i").mac_address("02:42:ac:11:00:02");
    assert_eq!(
        body(&o)["NetworkingConfig"],
        json!({"EndpointsConfig": {"bridge": {"MacAddress": "02:42:ac:11:00:02"}}})
    );
    let o = ContainerOptions::new("i")
        .network("n")
        .mac_address("02:42:ac:11:00:02");
    assert_eq!(
        body(&o)["NetworkingConfig"],
        json!({"EndpointsConfig": {"n": {"MacAddress": "02:42:ac:11:00:02"}}})
    );
    let o = ContainerOptions::new("i")
        .network_mode("host")
        .mac_address("02:42:ac:11:00:02");
    assert!(invalid(o.to_body(API)).contains("no network"));
    let o = ContainerOptions::new("i")
        .network("n")
        .endpoint("n", EndpointConfig::new().mac_address("02:00:00:00:00:01"))
        .mac_address("02:42:ac:11:00:02");
    assert!(invalid(o.to_body(API)).contains("set it in one place"));
    // Before 1.44 it is the top-level field, which only to_json carries.
    let old = ApiVersion::new(1, 43);
    let o = ContainerOptions::new("i").mac_address("02:42:ac:11:00:02");
    assert!(invalid(o.to_body(old)).contains("to_json"));
    let j = o.to_json(old).expect("json");
    assert_eq!(j["MacAddress"], "02:42:ac:11:00:02");
    assert!(j.get("NetworkingConfig").is_none());
}

#[test]
fn zero_values_are_expressible() {
    let o = ContainerOptions::new("i")
        .oom_score_adj(0)
        .expect("0")
        .cpu_shares(0)
        .pids_limit(0)
        .cpu_quota(0)
        .cpu_period(0)
        .memory_reservation_bytes(0)
        .memory_swappiness(0)
        .expect("0")
        .blkio_weight(0)
        .expect("0")
        .publish_all_ports(false)
        .privileged(false)
        .read_only(false)
        .auto_remove(false)
        .oom_kill_disable(false)
        .init(false)
        .stop_timeout(0)
        .tty(false)
        .network_disabled(false);
    let b = body(&o);
    let h = &b["HostConfig"];
    for k in [
        "OomScoreAdj",
        "CpuShares",
        "PidsLimit",
        "CpuQuota",
        "CpuPeriod",
        "MemoryReservation",
        "MemorySwappiness",
        "BlkioWeight",
    ] {
        assert_eq!(h[k], 0, "{k}");
    }
    for k in [
        "PublishAllPorts",
        "Privileged",
        "ReadonlyRootfs",
        "AutoRemove",
        "OomKillDisable",
        "Init",
    ] {
        assert_eq!(h[k], false, "{k}");
    }
    assert_eq!(b["StopTimeout"], 0);
    assert_eq!(b["Tty"], false);
    assert_eq!(b["NetworkDisabled"], false);
}

#[test]
fn value_range_checks() {
    assert!(invalid(ContainerOptions::new("i").oom_score_adj(1001)).contains("-1000 to 1000"));
    assert!(invalid(ContainerOptions::new("i").memory_swappiness(101)).contains("0 to 100"));
    assert!(ContainerOptions::new("i").memory_swappiness(-1).is_ok());
    assert!(invalid(ContainerOptions::new("i").blkio_weight(5)).contains("10 to 1000"));
    assert!(invalid(ContainerOptions::new("i").uts_mode("private")).contains("expected \"host\""));
    assert!(
        invalid(ContainerOptions::new("i").userns_mode("private")).contains("expected \"host\"")
    );
    assert!(
        invalid(ContainerOptions::new("i").cgroupns("shared")).contains("\"private\" or \"host\"")
    );
    assert!(invalid(ContainerOptions::new("i").isolation("vm")).contains("hyperv"));
    assert!(ContainerOptions::new("i").memory("12q").is_err());
    assert!(ContainerOptions::new("i").cpus(-2.0).is_err());
    assert!(
        ContainerOptions::new("i")
            .restart_policy_str("maybe")
            .is_err()
    );
    assert!(ContainerOptions::new("i").ulimit_str("nofile").is_err());
    assert!(ContainerOptions::new("i").device("/dev/x:y").is_err());
    assert!(ContainerOptions::new("i").tmpfs("x").is_err());
    assert!(
        ContainerOptions::new("i")
            .tmpfs_mounts([("/ok", ""), ("rel", "size=1m")])
            .is_err()
    );
    assert!(ContainerOptions::new("i").bind("/h").is_err());
    assert!(
        ContainerOptions::new("i")
            .mount(MountSpec::tmpfs("/t").no_copy(true))
            .is_err()
    );
    assert!(ContainerOptions::new("i").mount_str("a:b:c:d").is_err());
}

#[test]
fn memory_forms() {
    let o = ContainerOptions::new("i")
        .memory("1.5g")
        .expect("mem")
        .memory_swap("-1")
        .expect("swap")
        .shm_size("64m")
        .expect("shm")
        .memory_reservation("1000k")
        .expect("res");
    let h = host(&o);
    assert_eq!(h["Memory"], 1_610_612_736_i64);
    assert_eq!(h["MemorySwap"], -1);
    assert_eq!(h["ShmSize"], 67_108_864);
    assert_eq!(h["MemoryReservation"], 1_024_000);
    let h = host(
        &ContainerOptions::new("i")
            .memory_bytes(8 << 30)
            .memory_swap_bytes(16 << 30)
            .shm_size_bytes(1),
    );
    assert_eq!(h["Memory"], 8_589_934_592_i64);
    assert_eq!(h["MemorySwap"], 17_179_869_184_i64);
    assert_eq!(h["ShmSize"], 1);
    assert_eq!(
        host(&ContainerOptions::new("i").cpus(1.5).expect("cpus"))["NanoCpus"],
        1_500_000_000
    );
    assert_eq!(
        host(&ContainerOptions::new("i").cpus_str("0.25").expect("cpus"))["NanoCpus"],
        250_000_000
    );
}

#[test]
fn api_version_gates() {
    let old = ApiVersion::new(1, 24);
    let gate = |o: ContainerOptions, at: ApiVersion| unsupported(o.to_body(at));
    let cases: Vec<(ContainerOptions, &str, u16)> = vec![
        (
            ContainerOptions::new("i").stop_timeout(5),
            "container stop_timeout",
            25,
        ),
        (
            ContainerOptions::new("i").init(true),
            "host config init",
            25,
        ),
        (
            ContainerOptions::new("i").auto_remove(true),
            "host config auto_remove",
            25,
        ),
        (
            ContainerOptions::new("i").runtime("runc"),
            "host config runtime",
            25,
        ),
        (
            ContainerOptions::new("i").nano_cpus(1),
            "host config nano_cpus",
            25,
        ),
        (
            ContainerOptions::new("i").cpu_count(1),
            "host config cpu_count",
            25,
        ),
        (
            ContainerOptions::new("i").cpu_percent(1),
            "host config cpu_percent",
            25,
        ),
        (
            ContainerOptions::new("i").cpu_rt_period(1),
            "host config cpu_rt_period",
            25,
        ),
        (
            ContainerOptions::new("i").cpu_rt_runtime(1),
            "host config cpu_rt_runtime",
            25,
        ),
        (
            ContainerOptions::new("i").device_cgroup_rule("c 1:3 mr"),
            "host config device_cgroup_rules",
            28,
        ),
        (
            ContainerOptions::new("i")
                .mount(MountSpec::tmpfs("/t"))
                .expect("mount"),
            "host config mounts",
            30,
        ),
        (
            ContainerOptions::new("i").device_request(crate::options::DeviceRequest::gpus_all()),
            "host config device_requests",
            40,
        ),
        (
            ContainerOptions::new("i")
                .with_platform("linux/amd64")
                .expect("platform"),
            "container create platform",
            41,
        ),
        (
            ContainerOptions::new("i")
                .cgroupns("private")
                .expect("cgroupns"),
            "host config cgroupns",
            41,
        ),
        (
            ContainerOptions::new("i").annotation("a", "b"),
            "host config annotations",
            43,
        ),
        (
            ContainerOptions::new("i")
                .healthcheck(Healthcheck::shell("x").start_period(Duration::from_secs(1))),
            "healthcheck start_period",
            29,
        ),
        (
            ContainerOptions::new("i")
                .healthcheck(Healthcheck::shell("x").start_interval(Duration::from_secs(1))),
            "healthcheck start_interval",
            44,
        ),
        // A 20.10 daemon (1.41) records the mount without `Subpath` and mounts the
        // whole volume: refused below 1.45 instead.
        (
            ContainerOptions::new("i")
                .mount(MountSpec::volume("v", "/v").subpath("sub"))
                .expect("mount"),
            "volume mount subpath (older daemons ignore it and mount the whole volume)",
            45,
        ),
    ];
    for (o, what, minor) in cases {
        let min = ApiVersion::new(1, minor);
        let below = ApiVersion::new(1, minor - 1);
        assert_eq!(gate(o.clone(), below), (what.to_owned(), min), "{what}");
        assert!(o.to_body(min).is_ok(), "{what} at its minimum");
    }
    assert!(
        ContainerOptions::new("i")
            .healthcheck(Healthcheck::shell("x"))
            .to_body(old)
            .is_ok()
    );
    assert_eq!(
        gate(
            ContainerOptions::new("i").healthcheck(Healthcheck::shell("x")),
            ApiVersion::new(1, 23)
        )
        .1,
        old
    );
    assert_eq!(
        gate(
            ContainerOptions::new("i").pid_mode("container:x"),
            ApiVersion::new(1, 23)
        )
        .1,
        old
    );
    assert!(
        ContainerOptions::new("i")
            .pid_mode("host")
            .to_body(ApiVersion::new(1, 23))
            .is_ok()
    );
}

#[test]
fn legacy_fields_only_in_json() {
    let o = ContainerOptions::new("i")
        .kernel_memory("64m")
        .expect("km")
        .lxc_conf("lxc.utsname", 1)
        .extra_field("Shell", json!(["/bin/bash", "-c"]))
        .extra_host_config_field("ContainerIDFile", json!("/tmp/id"));
    let msg = invalid(o.to_body(API));
    assert!(
        msg.contains("kernel_memory, lxc_conf, extra_field, extra_host_config_field"),
        "{msg}"
    );
    let j = o.to_json(API).expect("json");
    assert_eq!(j["HostConfig"]["KernelMemory"], 67_108_864);
    assert_eq!(
        j["HostConfig"]["LxcConf"],
        json!([{"Key": "lxc.utsname", "Value": "1"}])
    );
    assert_eq!(j["HostConfig"]["ContainerIDFile"], "/tmp/id");
    assert_eq!(j["Shell"], json!(["/bin/bash", "-c"]));

    let o = ContainerOptions::new("i").init_path("/usr/bin/tini");
    assert_eq!(
        o.to_json(ApiVersion::new(1, 28)).expect("1.28")["HostConfig"]["InitPath"],
        "/usr/bin/tini"
    );
    assert!(invalid(o.to_json(ApiVersion::new(1, 29))).contains("1.25 to 1.28"));
    assert_eq!(
        unsupported(o.to_json(ApiVersion::new(1, 24))).1,
        ApiVersion::new(1, 25)
    );
}

#[test]
fn escape_hatches() {
    let o = ContainerOptions::new("i")
        .modify_config(|c| c.shell = Some(vec!["/bin/sh".into()]))
        .modify_host_config(|h| {
            h.masked_paths = Some(vec!["/proc/kcore".into()]);
            h.network_mode = Some("bridge".into());
        });
    let b = body(&o);
    assert_eq!(b["Shell"], json!(["/bin/sh"]));
    assert_eq!(b["HostConfig"]["MaskedPaths"], json!(["/proc/kcore"]));
    assert_eq!(b["HostConfig"]["NetworkMode"], "bridge");
}

#[test]
fn tmpfs_dict_and_list_forms_agree() {
    // docker-py: tmpfs={"/run": "size=64m", "/tmp": ""} or ["/run:size=64m", "/tmp"].
    let dict = ContainerOptions::new("i")
        .tmpfs_mounts(HashMap::from([("/run", "size=64m"), ("/tmp", "")]))
        .expect("valid");
    let list = ContainerOptions::new("i")
        .tmpfs("/run:size=64m")
        .and_then(|o| o.tmpfs("/tmp"))
        .expect("valid");
    let want = json!({"/run": "size=64m", "/tmp": ""});
    for o in [dict, list] {
        let body = o.to_json(ApiVersion::new(1, 41)).expect("body");
        assert_eq!(body["HostConfig"]["Tmpfs"], want);
    }
    // Options pass as given, a colon in them included; a later entry for a path wins.
    let o = ContainerOptions::new("i")
        .tmpfs_mounts([("/a", "size=1m"), ("/a", "mode=1777,uid=1:2")])
        .expect("valid");
    let body = o.to_json(ApiVersion::new(1, 41)).expect("body");
    assert_eq!(
        body["HostConfig"]["Tmpfs"],
        json!({"/a": "mode=1777,uid=1:2"})
    );
}
