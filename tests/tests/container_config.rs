//! Every option of berth's container builder ([`ContainerOptions`]) against the real
//! daemon: each is set to a non-default value and `inspect` must show exactly that
//! value under the daemon's own field name (a misspelt or mistyped field is silently
//! dropped by the daemon, which only a round trip notices); where it is cheap, the
//! effect is also observed inside the started container.
//!
//! Options the daemon refuses or rewrites on this platform (Windows-only ones, a
//! storage quota on overlay2) are asserted through the daemon's own error or warning.

use std::error::Error as StdError;
use std::time::Duration;

use berth::api::containers::ContainerCreateFrom;
use berth::api::networks::{IpamConfig, IpamPool, NetworkCreate};
use berth::core::options::{
    Bind, BindTarget, ContainerOptions, DeviceRequest, EndpointConfig, Healthcheck, HostBinding,
    LogConfig, MountSpec, Propagation, Ulimit,
};
use berth::{Category, Container, Docker, RemoveOptions};
use berth_tests::fake::TempDir;
use berth_tests::{TEST_LABEL, docker, unique};
use serde_json::{Value, json};

type R = Result<(), Box<dyn StdError>>;

const IMAGE: &str = "busybox:berth-test";
const CASE: &str = "berth.test.case";
/// `PID 1` of every started container: `exec` keeps `sleep` as PID 1 (or as the child
/// of docker-init).
const SLEEP: [&str; 2] = ["sleep", "300"];

/// One test's containers, networks and volumes (all carry the case label), removed
/// by the CLI on drop, also when an assertion failed.
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

    /// Named, labelled options for the test image running `sleep 300`.
    fn opts(&self) -> ContainerOptions {
        ContainerOptions::new(IMAGE)
            .with_name(unique("cfg"))
            .expect("a valid name")
            .label(TEST_LABEL, "1")
            .label(CASE, self.tag.clone())
            .cmd(SLEEP)
    }

    /// Creates through `Containers::create`, the path under test.
    async fn create(&self, opts: ContainerOptions) -> Container {
        let created = self.docker.containers().create(&opts).await;
        created.expect("create container")
    }

    async fn started(&self, opts: ContainerOptions) -> Container {
        let c = self.create(opts).await;
        c.start().await.expect("start");
        c
    }

    /// Creates and returns the create answer's `Warnings` too.
    async fn create_warned(&self, opts: ContainerOptions) -> (Container, Vec<String>) {
        let create = ContainerCreateFrom { options: opts };
        let created = self.docker.execute(&create).await.expect("create");
        let c = self.docker.containers().get(&created.id).await;
        (c.expect("inspect"), created.warnings.clone())
    }

    /// The error the daemon (or berth, before sending) gives for `opts`.
    async fn create_err(&self, opts: ContainerOptions) -> berth::Error {
        let created = self.docker.containers().create(&opts).await;
        created.expect_err("the create should fail")
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let f = format!("label={CASE}={}", self.tag);
        for (list, rm) in [
            (&["ps", "-aq"][..], &["rm", "-f", "-v"][..]),
            (&["network", "ls", "-q"], &["network", "rm"]),
            (&["volume", "ls", "-q"], &["volume", "rm", "-f"]),
        ] {
            let docker = || std::process::Command::new("docker");
            let out = docker().args(list).args(["--filter", &f]).output();
            let ids = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
            // Newest first: a volumes_from container goes before the one it uses.
            let ids = ids.unwrap_or_default();
            if !ids.trim().is_empty() {
                let _ = docker().args(rm).args(ids.split_whitespace()).output();
            }
        }
    }
}

/// The inspect value at a `.`-separated path (`HostConfig.Memory`).
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| &v[k])
}

/// Asserts every `(path, value)` of the inspect answer, reporting all mismatches.
fn recorded(c: &Container, checks: &[(String, Value)]) {
    let a = &c.attrs().attrs;
    let bad: Vec<String> = checks
        .iter()
        .filter(|(p, want)| at(a, p) != want)
        .map(|(p, want)| format!("  {p}: berth sent {want}, the daemon has {}", at(a, p)))
        .collect();
    assert!(
        bad.is_empty(),
        "options not recorded as sent:\n{}",
        bad.join("\n")
    );
}

/// `recorded!(c, {"HostConfig.Memory": 1024, (path_expr): (value_expr), ...})`: each
/// inspect path must hold the JSON value (a `json!` token tree).
macro_rules! recorded {
    ($c:expr, { $($path:tt : $want:tt),* $(,)? }) => {
        recorded(&$c, &[$(($path.to_string(), json!($want))),*])
    };
}

/// Asserts that the JSON list at `path` holds each of `items`.
fn recorded_among(c: &Container, path: &str, items: &[&str]) {
    let list = at(&c.attrs().attrs, path);
    for item in items {
        assert!(
            list.as_array().is_some_and(|l| l.iter().any(|x| x == item)),
            "{path} lacks {item:?}: {list}"
        );
    }
}

/// Runs `script` with `sh -c` in `c`; its output (stdout and stderr) and whether it
/// exited 0.
async fn run_sh(c: &Container, script: &str) -> (bool, String) {
    let r = c.exec_run(["sh", "-c", script]).await.expect("exec");
    let out = String::from_utf8_lossy(&r.output.combined).into_owned();
    (r.exit_code == Some(0), out)
}

/// The output of `script`, which must succeed.
async fn sh(c: &Container, script: &str) -> String {
    let (ok, out) = run_sh(c, script).await;
    assert!(ok, "`{script}` failed in the container: {out}");
    out.trim().to_owned()
}

/// Runs each `(script, output)` in `c`: every script must succeed and print exactly
/// that output (trimmed); all mismatches are reported together.
async fn effects(c: &Container, checks: &[(&str, &str)]) {
    let mut bad = Vec::new();
    for (script, want) in checks {
        let (ok, out) = run_sh(c, script).await;
        if !ok || out.trim() != *want {
            bad.push(format!(
                "  `{script}` (ok: {ok}): {want:?} wanted, got {out:?}"
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "not seen in the container:\n{}",
        bad.join("\n")
    );
}

/// `effects!(c, {script => output, ...})`: see [`effects`].
macro_rules! effects {
    ($c:expr, { $($script:expr => $want:expr),* $(,)? }) => {
        effects(&$c, &[$((&*$script, &*$want)),*]).await
    };
}

/// A script printing a cgroup file of the container: the v2 name, else the v1 one.
fn cgroup(v2: &str, v1: &str) -> String {
    format!("(cat /sys/fs/cgroup/{v2} 2>/dev/null || cat /sys/fs/cgroup/{v1}) | cut -d' ' -f1")
}

/// The capability bit `bit` of the exec's effective set.
async fn has_cap(c: &Container, bit: u32) -> bool {
    let line = sh(c, "grep CapEff /proc/self/status").await;
    let hex = line.split_whitespace().last().unwrap_or_default();
    let caps = u64::from_str_radix(hex, 16).expect("hex CapEff");
    caps & (1 << bit) != 0
}

#[tokio::test]
async fn container_config_fields_are_recorded_and_applied() -> R {
    let case = Case::new("config").await;
    let opts = case
        .opts()
        .hostname("berth-host")
        .domainname("example.test")
        .user("nobody")
        .working_dir("/tmp")
        // docker-py's string form: split like shlex, quotes kept together.
        .entrypoint_line("/bin/sh -c 'exec sleep \"$0\"'")?
        .cmd(["300"])
        .env("GREETING", "hello world")?
        .env_unset("UNSET_ME")?
        .env_list(["LISTED=2", "WITH_EQ=a=b"])?
        .env_file("# a comment\nFROM_FILE=4\n")?
        .label("berth.k", "v")
        .label_names(["berth.flag"])
        .stop_signal("SIGUSR1")
        .stop_timeout(7)
        .tty(true)
        .stdin_open(true)
        .detach(false)
        .expose(9000)
        .expose_str("53/udp")?
        .expose_str("7000-7001")?
        .volume("/anon")
        .healthcheck(
            Healthcheck::shell("exit 0")
                .interval(Duration::from_secs(2))
                .timeout(Duration::from_millis(1500))
                .retries(4)
                .start_period(Duration::from_secs(5)),
        )
        .mac_address("02:42:be:47:10:01");
    let c = case.started(opts).await;
    recorded!(c, {
        "Config.Hostname": "berth-host",
        "Config.Domainname": "example.test",
        "Config.User": "nobody",
        "Config.WorkingDir": "/tmp",
        "Config.Entrypoint": ["/bin/sh", "-c", "exec sleep \"$0\""],
        "Config.Cmd": ["300"],
        "Config.StopSignal": "SIGUSR1",
        "Config.StopTimeout": 7,
        "Config.Tty": true,
        "Config.OpenStdin": true,
        "Config.AttachStdin": true,
        "Config.AttachStdout": true,
        "Config.AttachStderr": true,
        "Config.StdinOnce": true,
        "Config.ExposedPorts": {"9000/tcp": {}, "53/udp": {}, "7000/tcp": {}, "7001/tcp": {}},
        "Config.Volumes": {"/anon": {}},
        "Config.Healthcheck": {"Test": ["CMD-SHELL", "exit 0"], "Interval": 2_000_000_000u64,
            "Timeout": 1_500_000_000u64, "Retries": 4, "StartPeriod": 5_000_000_000u64},
        "Config.MacAddress": "02:42:be:47:10:01",
        "Config.Labels": {TEST_LABEL: "1", CASE: (case.tag), "berth.k": "v", "berth.flag": ""},
    });
    let env = [
        "GREETING=hello world",
        "UNSET_ME",
        "LISTED=2",
        "WITH_EQ=a=b",
        "FROM_FILE=4",
    ];
    recorded_among(&c, "Config.Env", &env);
    effects!(c, {
        "hostname" => "berth-host",
        "cat /proc/sys/kernel/domainname" => "example.test",
        "id -u; pwd" => "65534\n/tmp",
        "echo \"$GREETING|$WITH_EQ|$FROM_FILE|${UNSET_ME-unset}\"" => "hello world|a=b|4|unset",
        "tr '\\0' ' ' < /proc/1/cmdline" => "sleep 300",
        "grep -c ' /anon ' /proc/mounts" => "1",
        "cat /sys/class/net/eth0/address" => "02:42:be:47:10:01",
        "readlink /proc/1/fd/0 | cut -c1-9" => "/dev/pts/",
    });
    Ok(())
}

/// The list form of the entrypoint, `NetworkDisabled`, and the raw fields berth has no
/// setter for (`lxc_conf` is not tried: no daemon since 1.10 reads `LxcConf`).
#[tokio::test]
async fn entrypoint_list_network_disabled_and_raw_fields() -> R {
    let case = Case::new("netoff").await;
    let opts = case
        .opts()
        .entrypoint(["sh", "-c"])
        .cmd(["exec sleep 300"])
        .network_disabled(true)
        .extra_field("Shell", json!(["/bin/sh", "-ec"]))
        .extra_host_config_field("ConsoleSize", json!([30, 100]));
    let c = case.started(opts).await;
    recorded!(c, {
        "Config.Entrypoint": ["sh", "-c"],
        "Config.Cmd": ["exec sleep 300"],
        "Config.NetworkDisabled": true,
        "Config.Shell": ["/bin/sh", "-ec"],
        "HostConfig.ConsoleSize": [30, 100],
    });
    assert_eq!(sh(&c, "ls /sys/class/net").await, "lo", "only loopback");
    Ok(())
}

#[tokio::test]
async fn binds_mounts_tmpfs_and_volumes_from() -> R {
    let case = Case::new("mounts").await;
    let dir = TempDir::new("cfg-bind");
    std::fs::write(dir.0.join("hello"), "from the host\n")?;
    let host = dir.0.display().to_string();
    let vol = unique("cfg-vol");
    let src = case.create(case.opts().volume("/shared")).await;
    let src_name = src.name().expect("named").to_owned();
    let opts = case
        .opts()
        .bind(&format!("{host}:/b-ro:ro"))?
        .bind_spec(Bind::new(&host, "/b-z").propagation(Propagation::Private))?
        .binds_map([
            (
                host.as_str(),
                BindTarget {
                    ro: Some(false),
                    propagation: Some(Propagation::Rprivate),
                    ..BindTarget::new("/b-map")
                },
            ),
            (
                host.as_str(),
                BindTarget {
                    mode: Some("ro".into()),
                    ..BindTarget::new("/b-mode")
                },
            ),
        ])?
        .mount(
            MountSpec::bind(&host, "/m-bind")
                .read_only(true)
                .consistency("cached")
                .propagation(Propagation::Private),
        )?
        .mount(
            MountSpec::volume(&vol, "/m-vol")
                .no_copy(true)
                .label(TEST_LABEL, "1")
                .label(CASE, case.tag.clone())
                .driver("local")
                .driver_option("type", "tmpfs")
                .driver_option("device", "tmpfs")
                .driver_option("o", "size=1m"),
        )?
        .mount(
            MountSpec::tmpfs("/m-tmp")
                .tmpfs_size_str("2m")?
                .tmpfs_mode(0o1770),
        )?
        .mount_str("/m-anon")?
        .tmpfs("/run/t:rw,size=64k,mode=1770")?
        .tmpfs_mounts([("/run/u", "size=32k")])?
        .volumes_from(&format!("{src_name}:ro"))
        .volume_driver("local")
        .network_mode("none");
    let c = case.started(opts).await;
    recorded!(c, {
        "HostConfig.Binds": [(format!("{host}:/b-ro:ro")), (format!("{host}:/b-z:private")),
            (format!("{host}:/b-map:rw,rprivate")), (format!("{host}:/b-mode:ro"))],
        "HostConfig.Mounts": [
            {"Type": "bind", "Source": host, "Target": "/m-bind", "ReadOnly": true,
             "Consistency": "cached",
             "BindOptions": {"Propagation": "private"}},
            {"Type": "volume", "Source": vol, "Target": "/m-vol",
             "VolumeOptions": {"NoCopy": true, "Labels": {TEST_LABEL: "1", CASE: (case.tag)},
                "DriverConfig": {"Name": "local",
                    "Options": {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}}}},
            {"Type": "tmpfs", "Target": "/m-tmp",
             "TmpfsOptions": {"SizeBytes": (2 << 20), "Mode": 0o1770}},
            {"Type": "volume", "Target": "/m-anon"},
        ],
        "HostConfig.Tmpfs": {"/run/t": "rw,size=64k,mode=1770", "/run/u": "size=32k"},
        "HostConfig.VolumesFrom": [(format!("{src_name}:ro"))],
        "HostConfig.VolumeDriver": "local",
        "HostConfig.NetworkMode": "none",
    });
    // The named volume was created with the mount's labels and driver options.
    let v = case.docker.volumes().get(&vol).await?;
    assert_eq!(v.labels().get(CASE), Some(&case.tag));
    assert_eq!(v.attrs().attrs["Options"]["type"], "tmpfs");

    let mounts = sh(&c, "cat /proc/mounts").await;
    let line = |target: &str| {
        let found = mounts.lines().find(|l| l.split(' ').nth(1) == Some(target));
        found
            .unwrap_or_else(|| panic!("{target} not mounted:\n{mounts}"))
            .to_owned()
    };
    for (target, wanted) in [
        ("/b-ro", &[" ro,"][..]),
        ("/b-map", &[" rw,"]),
        ("/b-mode", &[" ro,"]),
        ("/m-bind", &[" ro,"]),
        ("/shared", &[" ro,"]), // volumes_from ":ro"
        ("/m-tmp", &["tmpfs ", "size=2048k", "mode=1770"]),
        ("/run/t", &["tmpfs ", "size=64k", "mode=1770"]),
        ("/run/u", &["tmpfs ", "size=32k"]),
        ("/m-vol", &["tmpfs ", "size=1024k"]),
        ("/m-anon", &[" rw,"]),
    ] {
        let l = line(target);
        assert!(wanted.iter().all(|w| l.contains(w)), "{target}: {l}");
    }
    effects!(c, {
        "cat /b-z/hello" => "from the host",
        "touch /b-ro/new 2>/dev/null || echo refused" => "refused",
        "touch /b-map/new /run/t/new && echo written" => "written",
    });
    assert!(dir.0.join("new").exists(), "a rw bind writes to the host");
    Ok(())
}

#[tokio::test]
async fn port_bindings_in_every_form() -> R {
    let case = Case::new("ports").await;
    let opts = case
        .opts()
        .publish("80")?
        .publish_port(81, HostBinding::random())
        .publish("127.0.0.1::82/udp")?
        .publish("127.0.0.1:40000-40001:7000-7001")?
        .publish("[::1]:40010:83")?
        .publish("40020-40030:84")?
        .publish_port(85, HostBinding::ip_port("127.0.0.1", 40040))
        .publish_port(85, HostBinding::ip("127.0.0.2"))
        .publish("40050:86/sctp")?
        .publish_all_ports(true);
    let c = case.create(opts).await;
    recorded!(c, {
        "HostConfig.PortBindings": {
            "80/tcp": [{"HostIp": "", "HostPort": ""}],
            "81/tcp": [{"HostIp": "", "HostPort": ""}],
            "82/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
            "7000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "40000"}],
            "7001/tcp": [{"HostIp": "127.0.0.1", "HostPort": "40001"}],
            "83/tcp": [{"HostIp": "::1", "HostPort": "40010"}],
            "84/tcp": [{"HostIp": "", "HostPort": "40020-40030"}],
            "85/tcp": [{"HostIp": "127.0.0.1", "HostPort": "40040"},
                       {"HostIp": "127.0.0.2", "HostPort": ""}],
            "86/sctp": [{"HostIp": "", "HostPort": "40050"}],
        },
        "Config.ExposedPorts": {"80/tcp": {}, "81/tcp": {}, "82/udp": {}, "7000/tcp": {},
            "7001/tcp": {}, "83/tcp": {}, "84/tcp": {}, "85/tcp": {}, "86/sctp": {}},
        "HostConfig.PublishAllPorts": true,
    });
    // Random bindings get real ports once started; publish_all publishes exposed ones.
    let run = case
        .opts()
        .publish("127.0.0.1::80")?
        .publish_port(81, HostBinding::ip("127.0.0.1"))
        .publish_port(81, HostBinding::ip("127.0.0.1"))
        .expose(90)
        .publish_all_ports(true);
    let mut c = case.started(run).await;
    c.reload().await?;
    let ports = c.ports();
    for (port, count, ip) in [
        ("80/tcp", 1, "127.0.0.1"),
        ("81/tcp", 2, "127.0.0.1"),
        ("90/tcp", 1, ""),
    ] {
        let got = ports.get(port).map(Vec::as_slice).unwrap_or_default();
        assert!(got.len() >= count, "{port}: {got:?}");
        for hb in got {
            assert!(hb.host_port.parse::<u16>()? > 0, "{port}: {hb:?}");
            assert!(ip.is_empty() || hb.host_ip == ip, "{port}: {hb:?}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn resource_limits_are_recorded_and_enforced() -> R {
    let case = Case::new("limits").await;
    let opts = case
        .opts()
        .memory("64m")?
        .memory_swap("128m")?
        .memory_reservation("32m")?
        .memory_swappiness(10)?
        .shm_size("8m")?
        .cpus(0.5)?
        .cpu_shares(512)
        .cpuset_cpus("0")
        .cpuset_mems("0")
        .pids_limit(64)
        .oom_kill_disable(true)
        .oom_score_adj(500)?
        .ulimit_str("nofile=1024:2048")?
        .ulimit(Ulimit::new("nproc", 100, 200))
        .network_mode("none");
    let c = case.started(opts).await;
    recorded!(c, {
        "HostConfig.Memory": (64 << 20),
        "HostConfig.MemorySwap": (128 << 20),
        "HostConfig.MemoryReservation": (32 << 20),
        "HostConfig.MemorySwappiness": 10,
        "HostConfig.ShmSize": (8 << 20),
        "HostConfig.NanoCpus": 500_000_000,
        "HostConfig.CpuShares": 512,
        "HostConfig.CpusetCpus": "0",
        "HostConfig.CpusetMems": "0",
        "HostConfig.PidsLimit": 64,
        "HostConfig.OomKillDisable": true,
        "HostConfig.OomScoreAdj": 500,
        "HostConfig.Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048},
                               {"Name": "nproc", "Soft": 100, "Hard": 200}],
    });
    effects!(c, {
        // PID 1's limits: an exec's process may get others (runc built with Go 1.19+
        // can hand an exec the soft nofile limit raised to the hard one).
        "awk '/^Max (open files|processes)/ { print $(NF-2), $(NF-1) }' /proc/1/limits"
            => "100 200\n1024 2048",
        "cat /proc/1/oom_score_adj" => "500",
        "df -k /dev/shm | awk 'NR == 2 { print $2 }'" => "8192",
        &cgroup("memory.max", "memory/memory.limit_in_bytes") => "67108864",
        &cgroup("pids.max", "pids/pids.max") => "64",
        &cgroup("cpu.max", "cpu/cpu.cfs_quota_us") => "50000",
        &cgroup("cpuset.cpus", "cpuset/cpuset.cpus") => "0",
    });
    if sh(&c, "[ -e /sys/fs/cgroup/cpu.weight ] || echo v1").await == "v1" {
        effects!(c, {
            "cat /sys/fs/cgroup/cpu/cpu.shares" => "512",
            "cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes" => "33554432",
            "grep kill_disable /sys/fs/cgroup/memory/memory.oom_control" => "oom_kill_disable 1",
        });
    }
    Ok(())
}

/// Settings recorded at create that this machine cannot start with (no GPU driver, no
/// real-time CPU budget in the daemon's cgroup, /dev/null is no block device, and runc
/// may not grant a privileged container every capability inside a sandbox), or that
/// the daemon discards with a warning here (Windows-only CPU settings, block IO weights
/// without a weight-capable IO scheduler).
#[tokio::test]
async fn create_only_and_discarded_resources() -> R {
    let case = Case::new("create-only").await;
    let opts = case
        .opts()
        .cpu_period(50_000)
        .cpu_quota(25_000)
        .cpu_rt_period(1_000_000)
        .cpu_rt_runtime(950_000)
        .kernel_memory("16m")?
        .device_read_bps("/dev/null", 1 << 20)
        .device_write_bps("/dev/null", 2 << 20)
        .device_read_iops("/dev/null", 100)
        .device_write_iops("/dev/null", 200)
        .device_request(DeviceRequest::gpus_all())
        .device_request(
            DeviceRequest::new()
                .driver("nvidia")
                .device_ids(["0", "GPU-1"])
                .capabilities([["gpu", "utility"]])
                .option("berth", "1"),
        )
        .blkio_weight(300)?
        .blkio_weight_device("/dev/null", 200)
        .cpu_count(2)
        .cpu_percent(50)
        .privileged(true)
        .network_mode("none");
    let (c, warnings) = case.create_warned(opts).await;
    recorded!(c, {
        "HostConfig.Privileged": true,
        "HostConfig.CpuPeriod": 50_000,
        "HostConfig.CpuQuota": 25_000,
        "HostConfig.CpuRealtimePeriod": 1_000_000,
        "HostConfig.CpuRealtimeRuntime": 950_000,
        "HostConfig.KernelMemory": (16 << 20),
        "HostConfig.BlkioDeviceReadBps": [{"Path": "/dev/null", "Rate": (1 << 20)}],
        "HostConfig.BlkioDeviceWriteBps": [{"Path": "/dev/null", "Rate": (2 << 20)}],
        "HostConfig.BlkioDeviceReadIOps": [{"Path": "/dev/null", "Rate": 100}],
        "HostConfig.BlkioDeviceWriteIOps": [{"Path": "/dev/null", "Rate": 200}],
        "HostConfig.DeviceRequests": [
            {"Driver": "", "Count": -1, "DeviceIDs": [], "Capabilities": [["gpu"]],
             "Options": {}},
            {"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0", "GPU-1"],
             "Capabilities": [["gpu", "utility"]], "Options": {"berth": "1"}},
        ],
    });
    // Settings the daemon discards on Linux come back as zero plus a warning naming
    // them: the warning proves the daemon read berth's field.
    let hc = &c.attrs().attrs["HostConfig"];
    for (field, sent, word) in [
        ("CpuCount", json!(2), "CPU count"),
        ("CpuPercent", json!(50), "CPU percent"),
        ("BlkioWeight", json!(300), "Block I/O weight"),
        (
            "BlkioWeightDevice",
            json!([{"Path": "/dev/null", "Weight": 200}]),
            "weight_device",
        ),
    ] {
        let warned = warnings.iter().any(|w| w.contains(word));
        assert!(
            hc[field] == sent || warned,
            "{field}: neither recorded ({}) nor discarded with a warning ({warnings:?})",
            hc[field]
        );
    }
    Ok(())
}

#[tokio::test]
async fn security_dns_and_process_options() -> R {
    let case = Case::new("security").await;
    let opts = case
        .opts()
        .cap_add("NET_ADMIN")
        .cap_drop("CHOWN")
        .read_only(true)
        .tmpfs("/w")?
        .security_opt("no-new-privileges")
        .sysctl("net.core.somaxconn", 1024)
        .sysctl("kernel.msgmax", 65536)
        .dns("192.0.2.53")
        .dns_search("example.test")
        .dns_option("ndots:3")
        .extra_host("berth.example", "192.0.2.10")
        .group_add("nobody")
        .group_add(1234)
        .init(true)
        .ipc_mode("shareable")
        .cgroupns("private")?
        .userns_mode("host")?
        .device("/dev/null:/dev/xnull:rwm")?
        .device_cgroup_rule("c 42:* rmw")
        .restart_policy_str("on-failure:3")?
        .log_config(
            LogConfig::new("json-file")
                .option("max-size", "1m")
                .option("max-file", "2"),
        )
        .runtime("io.containerd.runc.v2")
        .isolation("default")?;
    let c = case.started(opts).await;
    recorded!(c, {
        "HostConfig.CapAdd": ["NET_ADMIN"],
        "HostConfig.CapDrop": ["CHOWN"],
        "HostConfig.ReadonlyRootfs": true,
        "HostConfig.SecurityOpt": ["no-new-privileges"],
        "HostConfig.Sysctls": {"net.core.somaxconn": "1024", "kernel.msgmax": "65536"},
        "HostConfig.Dns": ["192.0.2.53"],
        "HostConfig.DnsSearch": ["example.test"],
        "HostConfig.DnsOptions": ["ndots:3"],
        "HostConfig.ExtraHosts": ["berth.example:192.0.2.10"],
        "HostConfig.GroupAdd": ["nobody", "1234"],
        "HostConfig.Init": true,
        "HostConfig.IpcMode": "shareable",
        "HostConfig.CgroupnsMode": "private",
        "HostConfig.UsernsMode": "host",
        "HostConfig.Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull",
                                "CgroupPermissions": "rwm"}],
        "HostConfig.DeviceCgroupRules": ["c 42:* rmw"],
        "HostConfig.RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "HostConfig.LogConfig": {"Type": "json-file",
                                 "Config": {"max-size": "1m", "max-file": "2"}},
        "HostConfig.Runtime": "io.containerd.runc.v2",
        "HostConfig.Isolation": "default",
    });
    assert!(has_cap(&c, 12).await, "CAP_NET_ADMIN added");
    assert!(!has_cap(&c, 0).await, "CAP_CHOWN dropped");
    let hosts = "grep -c \"$(printf '192.0.2.10\\tberth.example')\" /etc/hosts";
    let resolv = "grep -c -e '^nameserver 192.0.2.53$' -e '^search example.test$' \
                  -e '^options ndots:3$' /etc/resolv.conf";
    effects!(c, {
        "touch /rootfs-write 2>/dev/null || echo refused" => "refused",
        "touch /w/f && chown 65534 /w/f 2>&1 | grep -o 'not permitted'" => "not permitted",
        "grep NoNewPrivs /proc/self/status | cut -f2" => "1",
        "cat /proc/sys/net/core/somaxconn /proc/sys/kernel/msgmax" => "1024\n65536",
        resolv => "3",
        hosts => "1",
        "id -G | tr ' ' '\\n' | grep -c -x -e 65534 -e 1234" => "2",
        "cat /proc/1/comm" => "docker-init",
        "[ -c /dev/xnull ] && echo x > /dev/xnull && stat -c %t:%T /dev/xnull" => "1:3",
        "grep -v ':/$' /proc/self/cgroup | wc -l" => "0", // a private cgroup namespace
    });

    // Namespaces shared with the first container.
    let with = format!("container:{}", c.id());
    let joined = case
        .opts()
        .ipc_mode(&with)
        .pid_mode(&with)
        .network_mode(&with);
    let joined = case.started(joined).await;
    recorded!(joined, {
        "HostConfig.IpcMode": with,
        "HostConfig.PidMode": with,
        "HostConfig.NetworkMode": with,
    });
    let ns = "for n in ipc pid net; do readlink /proc/self/ns/$n; done";
    assert_eq!(sh(&joined, ns).await, sh(&c, ns).await);
    Ok(())
}

#[tokio::test]
async fn host_namespaces_and_cgroup_parent() -> R {
    let case = Case::new("hostns").await;
    let opts = case
        .opts()
        .uts_mode("host")?
        .pid_mode("host")
        .network_mode("host")
        .cgroup_parent("/berth-test");
    let c = case.started(opts).await;
    recorded!(c, {
        "HostConfig.UTSMode": "host",
        "HostConfig.PidMode": "host",
        "HostConfig.NetworkMode": "host",
        "HostConfig.CgroupParent": "/berth-test",
    });
    let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname")?;
    assert_eq!(sh(&c, "hostname").await, host_name.trim());
    let pid_ns = std::fs::read_link("/proc/self/ns/pid")?
        .display()
        .to_string();
    assert_eq!(sh(&c, "readlink /proc/self/ns/pid").await, pid_ns);
    let cg = sh(&c, "cat /proc/self/cgroup").await;
    assert!(cg.contains("/berth-test/"), "{cg}");
    // The daemon leaves the (then empty) parent cgroup behind: remove it, best effort.
    c.remove(RemoveOptions {
        force: true,
        ..RemoveOptions::default()
    })
    .await?;
    let v1 = std::fs::read_dir("/sys/fs/cgroup")?
        .flatten()
        .map(|d| d.path());
    for dir in v1.chain([std::path::PathBuf::from("/sys/fs/cgroup")]) {
        let _ = std::fs::remove_dir(dir.join("berth-test"));
    }
    Ok(())
}

#[tokio::test]
async fn networks_links_and_auto_remove() -> R {
    let case = Case::new("net").await;
    let net = unique("cfg-net");
    // A static address needs a subnet of our own; one per process, so that a network
    // left by an aborted run does not overlap.
    let prefix = format!("10.231.{}", std::process::id() % 250);
    let ip = format!("{prefix}.10");
    let pool = IpamPool::new().subnet(format!("{prefix}.0/24"));
    let create = NetworkCreate::new(&net)
        .label(TEST_LABEL, "1")
        .label(CASE, case.tag.clone())
        .ipam(IpamConfig::new().pool(pool));
    case.docker.networks().create(&create).await?;
    let endpoint = EndpointConfig::new().alias("berth-alias").ipv4_address(&ip);
    let c = case
        .started(case.opts().network(&net).endpoint(&net, endpoint))
        .await;
    let at_net = format!("NetworkSettings.Networks.{net}");
    recorded!(c, {
        "HostConfig.NetworkMode": net,
        (format!("{at_net}.IPAMConfig")): {"IPv4Address": ip},
    });
    recorded_among(&c, &format!("{at_net}.Aliases"), &["berth-alias"]);
    assert!(
        sh(&c, "ip addr show eth0")
            .await
            .contains(&format!("{ip}/24"))
    );
    // Endpoint links, link-local addresses and driver options of a second endpoint.
    let peer = c.name().expect("named").to_owned();
    let endpoint = EndpointConfig::new()
        .link(&peer, Some("peer"))
        .link_local_ips(["169.254.7.7"])
        .driver_opt("berth.opt", "1");
    let second = case.opts().network(&net).endpoint(&net, endpoint);
    let second = case.started(second).await;
    recorded!(second, {
        (format!("{at_net}.Links")): [(format!("{peer}:peer"))],
        (format!("{at_net}.IPAMConfig")): {"LinkLocalIPs": ["169.254.7.7"]},
        (format!("{at_net}.DriverOpts")): {"berth.opt": "1"},
    });
    let addrs = sh(&second, "ip addr show eth0").await;
    assert!(addrs.contains("169.254.7.7"), "{addrs}");

    // A legacy link on the default bridge, under an alias.
    let target = case.started(case.opts()).await;
    let target_name = target.name().expect("named").to_owned();
    let linked = case
        .started(case.opts().link(&target_name, Some("db")))
        .await;
    let me = linked.name().expect("named").to_owned();
    recorded!(linked, {"HostConfig.Links": [(format!("/{target_name}:/{me}/db"))]});
    assert!(sh(&linked, "cat /etc/hosts").await.contains("\tdb "));

    let gone = case
        .create(case.opts().cmd(["true"]).auto_remove(true))
        .await;
    recorded!(gone, {"HostConfig.AutoRemove": true});
    gone.start().await?;
    // Polled, not waited for: a `wait?condition=removed` arriving while the daemon
    // removes the container can stay unanswered (seen in CI: 30 s without an answer,
    // the container gone).
    let start = std::time::Instant::now();
    loop {
        match case.docker.containers().get(gone.id()).await {
            Err(e) if e.is_not_found() => break,
            Err(e) => return Err(e.into()),
            Ok(c) => assert!(
                start.elapsed() < Duration::from_secs(30),
                "not removed after 30 s: {:?}",
                c.status()
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Options this daemon refuses: the daemon's typed error, or berth's before sending.
#[tokio::test]
async fn refused_options_fail_with_the_daemons_reason() -> R {
    let case = Case::new("refused").await;
    // overlay2 supports a size only on xfs with pquota; the daemon says so.
    let e = case
        .create_err(case.opts().storage_opt("size", "10m"))
        .await;
    assert_eq!(e.category(), Category::Server, "{e}");
    assert!(e.to_string().contains("storage-opt"), "{e}");
    let e = case
        .create_err(case.opts().runtime("berth-no-such-runtime"))
        .await;
    assert!(e.to_string().contains("berth-no-such-runtime"), "{e}");
    // Isolation is a Windows setting: a Linux daemon takes only `default`.
    let e = case.create_err(case.opts().isolation("process")?).await;
    let refusal = "Invalid isolation: \"process\" - linux only supports 'default'";
    assert_eq!(e.kind().daemon_message(), Some(refusal), "{e}");
    // The platform is a query parameter: `linux` matches the image, s390x does not.
    let c = case.create(case.opts().with_platform("linux")?).await;
    recorded!(c, {"Platform": "linux"});
    let e = case
        .create_err(case.opts().with_platform("linux/s390x")?)
        .await;
    assert!(e.is_not_found(), "{e}");
    // Refused by berth on API 1.41, before anything is sent: init_path is for 1.25 to
    // 1.28 only; annotations need 1.43, a health start interval and an endpoint MAC
    // address 1.44 (20.10 ignores both), a volume subpath 1.45, a gateway priority 1.48.
    let subpath = MountSpec::volume("v", "/v").subpath("sub");
    let interval = Healthcheck::shell("true").start_interval(Duration::from_secs(1));
    let mac = EndpointConfig::new().mac_address("02:42:be:47:10:02");
    let gw = EndpointConfig::new().gw_priority(1);
    let e = case.create_err(case.opts().init_path("/x")).await;
    assert_eq!(e.category(), Category::InvalidArgument, "{e}");
    for opts in [
        case.opts().annotation("a", "b"),
        case.opts().healthcheck(interval),
        case.opts().network("bridge").endpoint("bridge", mac),
        case.opts().mount(subpath)?,
        case.opts().network("bridge").endpoint("bridge", gw),
    ] {
        let e = case.create_err(opts).await;
        assert_eq!(e.category(), Category::UnsupportedApiVersion, "{e}");
        assert_eq!(e.status(), None, "not sent: {e}");
    }
    Ok(())
}
