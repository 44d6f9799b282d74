//! Whole create bodies compared with JSON literals: what is set is there with the
//! right type (`HostPort` a string, sizes integers), what is not set is absent.

use std::time::Duration;

use serde_json::json;

use crate::options::{
    BindTarget, ContainerOptions, DeviceRequest, EndpointConfig, Healthcheck, HostBinding,
    LogConfig, MountSpec, Propagation, ProxyEnv, RestartPolicy, Ulimit,
};
use crate::version::ApiVersion;

fn json_of(o: &ContainerOptions, api: ApiVersion) -> serde_json::Value {
    serde_json::to_value(o.to_body(api).expect("valid options")).expect("serializable")
}

#[test]
fn minimal_body() {
    let o = ContainerOptions::new("busybox");
    assert_eq!(
        json_of(&o, ApiVersion::new(1, 41)),
        json!({"Image": "busybox", "HostConfig": {"NetworkMode": "default"}})
    );
}

#[test]
fn docker_run_web_server() {
    // docker run -d --name web -p 127.0.0.1:8080:80 -p 8443:443/tcp -v /srv/site:/usr/share/nginx/html:ro
    //   -e MODE=prod --restart unless-stopped -m 512m --cpus 1.5 --health-cmd 'curl -f localhost'
    //   --label tier=front nginx:1.27
    let o = ContainerOptions::new("nginx:1.27")
        .with_name("web")
        .expect("name")
        .detach(true)
        .publish("127.0.0.1:8080:80")
        .expect("port")
        .publish("8443:443/tcp")
        .expect("port")
        .bind("/srv/site:/usr/share/nginx/html:ro")
        .expect("bind")
        .env("MODE", "prod")
        .expect("env")
        .restart_policy(RestartPolicy::UnlessStopped)
        .memory("512m")
        .expect("memory")
        .cpus(1.5)
        .expect("cpus")
        .healthcheck(
            Healthcheck::shell("curl -f localhost")
                .interval(Duration::from_secs(30))
                .retries(3),
        )
        .label("tier", "front");
    assert_eq!(o.name(), Some("web"));
    assert_eq!(
        json_of(&o, ApiVersion::new(1, 43)),
        json!({
            "Image": "nginx:1.27",
            "AttachStdin": false,
            "AttachStdout": false,
            "AttachStderr": false,
            "StdinOnce": false,
            "Env": ["MODE=prod"],
            "Labels": {"tier": "front"},
            "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
            "Healthcheck": {
                "Test": ["CMD-SHELL", "curl -f localhost"],
                "Interval": 30_000_000_000_i64,
                "Retries": 3
            },
            "HostConfig": {
                "NetworkMode": "default",
                "Binds": ["/srv/site:/usr/share/nginx/html:ro"],
                "PortBindings": {
                    "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
                    "443/tcp": [{"HostIp": "", "HostPort": "8443"}]
                },
                "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
                "Memory": 536_870_912,
                "NanoCpus": 1_500_000_000
            }
        })
    );
}

#[test]
fn docker_py_create_container_kitchen_sink() {
    let o = ContainerOptions::new("alpine:3.20")
        .cmd(["sleep", "infinity"])
        .entrypoint_line("/sbin/tini --")
        .expect("entrypoint")
        .hostname("box")
        .domainname("example.org")
        .user(0)
        .working_dir("/work")
        .tty(true)
        .stdin_open(true)
        .env_list(["PATH=/bin", "INHERIT"])
        .expect("env")
        .proxy_env(ProxyEnv {
            http: Some("http://proxy:3128".into()),
            ..ProxyEnv::default()
        })
        .label_names(["managed"])
        .expose_str("53/udp")
        .expect("expose")
        .volume("/data")
        .volume("/cache")
        .stop_signal("SIGINT")
        .stop_timeout(20)
        .network("backend")
        .endpoint(
            "backend",
            EndpointConfig::new().alias("box").ipv4_address("10.1.0.9"),
        )
        .publish_port(8080, HostBinding::range(9000, 9005).expect("range"))
        .binds_map([(
            "/srv",
            BindTarget {
                ro: Some(true),
                propagation: Some(Propagation::Rslave),
                ..BindTarget::new("/mnt")
            },
        )])
        .expect("binds")
        .mount(MountSpec::volume("cache", "/var/cache").no_copy(true))
        .expect("mount")
        .tmpfs("/run:size=64m")
        .expect("tmpfs")
        .volumes_from("other:ro")
        .device("/dev/fuse")
        .expect("device")
        .device_request(DeviceRequest::gpus_all())
        .link("db", Some("database"))
        .link("auth", None)
        .extra_host("gateway", "10.0.0.1")
        .dns("1.1.1.1")
        .dns_option("ndots:1")
        .dns_search("example.org")
        .cap_add("NET_ADMIN")
        .cap_drop("MKNOD")
        .security_opt("no-new-privileges")
        .privileged(false)
        .read_only(true)
        .init(true)
        .auto_remove(true)
        .pid_mode("host")
        .ipc_mode("private")
        .uts_mode("host")
        .expect("uts")
        .userns_mode("host")
        .expect("userns")
        .cgroupns("private")
        .expect("cgroupns")
        .cgroup_parent("/custom")
        .ulimit(Ulimit::new("nofile", 1024, 2048))
        .log_config(LogConfig::new("json-file").option("max-size", "10m"))
        .memory("1g")
        .expect("memory")
        .memory_swap("2g")
        .expect("swap")
        .memory_swappiness(10)
        .expect("swappiness")
        .oom_score_adj(-500)
        .expect("oom")
        .oom_kill_disable(true)
        .shm_size("128m")
        .expect("shm")
        .cpu_shares(512)
        .cpu_period(100_000)
        .cpu_quota(50_000)
        .cpuset_cpus("0-1")
        .cpuset_mems("0")
        .blkio_weight(300)
        .expect("blkio")
        .blkio_weight_device("/dev/sda", 200)
        .device_read_bps("/dev/sda", 1_048_576)
        .device_write_iops("/dev/sda", 100)
        .pids_limit(-1)
        .sysctl("net.core.somaxconn", 1024)
        .group_add(1000)
        .group_add("audio")
        .storage_opt("size", "10G")
        .runtime("runc")
        .volume_driver("local")
        .restart_policy(RestartPolicy::OnFailure {
            max_retries: Some(3),
        });
    // One literal per part: a single `json!` of the whole body passes the macro
    // recursion limit.
    let expected = merge([
        json!({
            "Image": "alpine:3.20",
            "Cmd": ["sleep", "infinity"],
            "Entrypoint": ["/sbin/tini", "--"],
            "Hostname": "box",
            "Domainname": "example.org",
            "User": "0",
            "WorkingDir": "/work",
            "Tty": true,
            "OpenStdin": true,
            "AttachStdin": true,
            "AttachStdout": true,
            "AttachStderr": true,
            "StdinOnce": true,
        }),
        json!({
            "Env": ["http_proxy=http://proxy:3128", "HTTP_PROXY=http://proxy:3128", "PATH=/bin", "INHERIT"],
            "Labels": {"managed": ""},
            "ExposedPorts": {"53/udp": {}, "8080/tcp": {}},
            "Volumes": {"/cache": {}, "/data": {}},
            "StopSignal": "SIGINT",
            "StopTimeout": 20,
            "NetworkingConfig": {
                "EndpointsConfig": {
                    "backend": {"Aliases": ["box"], "IPAMConfig": {"IPv4Address": "10.1.0.9"}}
                }
            },
        }),
    ]);
    let expected_host = merge([
        json!({
            "NetworkMode": "backend",
            "PortBindings": {"8080/tcp": [{"HostIp": "", "HostPort": "9000-9005"}]},
            "Binds": ["/srv:/mnt:ro,rslave"],
            "Mounts": [{"Target": "/var/cache", "Source": "cache", "Type": "volume",
                        "VolumeOptions": {"NoCopy": true}}],
            "Tmpfs": {"/run": "size=64m"},
            "VolumesFrom": ["other:ro"],
            "Devices": [{"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse",
                         "CgroupPermissions": "rwm"}],
            "DeviceRequests": [{"Driver": "", "Count": -1, "DeviceIDs": [],
                                "Capabilities": [["gpu"]], "Options": {}}],
        }),
        json!({
            "Links": ["auth", "db:database"],
            "ExtraHosts": ["gateway:10.0.0.1"],
            "Dns": ["1.1.1.1"],
            "DnsOptions": ["ndots:1"],
            "DnsSearch": ["example.org"],
            "CapAdd": ["NET_ADMIN"],
            "CapDrop": ["MKNOD"],
            "SecurityOpt": ["no-new-privileges"],
            "Privileged": false,
            "ReadonlyRootfs": true,
            "Init": true,
            "AutoRemove": true,
            "PidMode": "host",
            "IpcMode": "private",
            "UTSMode": "host",
            "UsernsMode": "host",
            "CgroupnsMode": "private",
            "CgroupParent": "/custom",
        }),
        json!({
            "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}],
            "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}},
            "Memory": 1_073_741_824,
            "MemorySwap": 2_147_483_648_i64,
            "MemorySwappiness": 10,
            "OomScoreAdj": -500,
            "OomKillDisable": true,
            "ShmSize": 134_217_728,
            "CpuShares": 512,
            "CpuPeriod": 100_000,
            "CpuQuota": 50_000,
            "CpusetCpus": "0-1",
            "CpusetMems": "0",
        }),
        json!({
            "BlkioWeight": 300,
            "BlkioWeightDevice": [{"Path": "/dev/sda", "Weight": 200}],
            "BlkioDeviceReadBps": [{"Path": "/dev/sda", "Rate": 1_048_576}],
            "BlkioDeviceWriteIOps": [{"Path": "/dev/sda", "Rate": 100}],
            "PidsLimit": -1,
            "Sysctls": {"net.core.somaxconn": "1024"},
            "GroupAdd": ["1000", "audio"],
            "StorageOpt": {"size": "10G"},
            "Runtime": "runc",
            "VolumeDriver": "local",
            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}
        }),
    ]);
    let mut got = json_of(&o, ApiVersion::new(1, 44));
    let got_host = got
        .as_object_mut()
        .and_then(|m| m.remove("HostConfig"))
        .expect("a HostConfig");
    assert_eq!(got, expected);
    assert_eq!(got_host, expected_host);
}

/// The union of JSON objects.
fn merge<const N: usize>(parts: [serde_json::Value; N]) -> serde_json::Value {
    let mut all = serde_json::Map::new();
    for part in parts {
        if let serde_json::Value::Object(m) = part {
            all.extend(m);
        }
    }
    serde_json::Value::Object(all)
}

#[test]
fn port_ranges_ipv6_and_sctp_body() {
    let o = ContainerOptions::new("img")
        .publish("1000-1002:2000-2002")
        .expect("range")
        .publish("[::1]:5353:53/udp")
        .expect("ipv6")
        .publish("3868:3868/sctp")
        .expect("sctp");
    assert_eq!(
        json_of(&o, ApiVersion::new(1, 41)),
        json!({
            "Image": "img",
            "ExposedPorts": {"2000/tcp": {}, "2001/tcp": {}, "2002/tcp": {}, "53/udp": {}, "3868/sctp": {}},
            "HostConfig": {
                "NetworkMode": "default",
                "PortBindings": {
                    "2000/tcp": [{"HostIp": "", "HostPort": "1000"}],
                    "2001/tcp": [{"HostIp": "", "HostPort": "1001"}],
                    "2002/tcp": [{"HostIp": "", "HostPort": "1002"}],
                    "53/udp": [{"HostIp": "::1", "HostPort": "5353"}],
                    "3868/sctp": [{"HostIp": "", "HostPort": "3868"}]
                }
            }
        })
    );
}

#[test]
fn healthcheck_none_and_gpu_count() {
    let o = ContainerOptions::new("img")
        .healthcheck(Healthcheck::disabled())
        .device_request(DeviceRequest::new().count(2).capabilities([["gpu"]]));
    assert_eq!(
        json_of(&o, ApiVersion::new(1, 40)),
        json!({
            "Image": "img",
            "Healthcheck": {"Test": ["NONE"]},
            "HostConfig": {
                "NetworkMode": "default",
                "DeviceRequests": [{"Driver": "", "Count": 2, "DeviceIDs": [],
                                    "Capabilities": [["gpu"]], "Options": {}}]
            }
        })
    );
}
