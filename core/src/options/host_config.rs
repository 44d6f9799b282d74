//! The `HostConfig` setters of [`ContainerOptions`] (docker-py's `create_host_config`
//! kwargs).

use std::collections::HashMap;
use std::fmt::Display;

use super::binds::{
    Bind, BindTarget, binds_from_map, parse_device, require_absolute_tmpfs, tmpfs_entry,
    volumes_from,
};
use super::container::{ContainerOptions, push};
use super::env::link;
use super::mounts::MountSpec;
use super::types::{DeviceRequest, LogConfig, RestartPolicy, Ulimit};
use super::units::{nano_cpus, parse_bytes, parse_cpus};
use crate::error::{Error, Result};
use crate::models;

fn out_of_range(what: &str, value: i64, expected: &str) -> Error {
    Error::InvalidArgument(format!("{what} {value}: expected {expected}"))
}

/// A byte size that may also be `-1` (unlimited), for `MemorySwap`.
fn bytes_or_unlimited(s: &str) -> Result<i64> {
    if s == "-1" { Ok(-1) } else { parse_bytes(s) }
}

impl ContainerOptions {
    /// A bind from its string form: `"/h:/c"`, `"/h:/c:ro"`, `"vol:/c:rw,z"`,
    /// `"C:\\x:/data:ro"` (`Binds`).
    pub fn bind(self, spec: &str) -> Result<ContainerOptions> {
        self.bind_spec(spec.parse::<Bind>()?)
    }

    /// A typed bind (`Binds`).
    pub fn bind_spec(mut self, bind: Bind) -> Result<ContainerOptions> {
        let spec = bind.to_spec()?;
        push(&mut self.host.binds, spec);
        Ok(self)
    }

    /// docker-py's dict form of binds, `{host: {bind, mode | ro, propagation}}`.
    pub fn binds_map<K: AsRef<str>>(
        mut self,
        map: impl IntoIterator<Item = (K, BindTarget)>,
    ) -> Result<ContainerOptions> {
        for spec in binds_from_map(map)? {
            push(&mut self.host.binds, spec);
        }
        Ok(self)
    }

    /// A mount (`Mounts`, API 1.30), checked against its type.
    pub fn mount(mut self, mount: MountSpec) -> Result<ContainerOptions> {
        let m = mount.build()?;
        push(&mut self.host.mounts, m);
        Ok(self)
    }

    /// A mount from docker-py's `source:target[:ro|rw]` string.
    pub fn mount_str(self, spec: &str) -> Result<ContainerOptions> {
        self.mount(MountSpec::parse(spec)?)
    }

    /// Mounts every volume of the containers in a comma list `"a,b:ro"` (`VolumesFrom`).
    pub fn volumes_from(mut self, list: &str) -> ContainerOptions {
        for v in volumes_from(list) {
            push(&mut self.host.volumes_from, v);
        }
        self
    }

    /// A tmpfs from a list entry `"/path[:options]"` (`Tmpfs`).
    pub fn tmpfs(mut self, entry: &str) -> Result<ContainerOptions> {
        let (path, opts) = tmpfs_entry(entry)?;
        self.insert_tmpfs(path, opts);
        Ok(self)
    }

    /// tmpfs mounts from docker-py's dict form, path → options (`""` for none):
    /// `[("/run", "size=64m"), ("/tmp", "")]` or a `HashMap` (`Tmpfs`). Each path must be
    /// absolute; options are passed as given.
    pub fn tmpfs_mounts<P, O>(
        mut self,
        mounts: impl IntoIterator<Item = (P, O)>,
    ) -> Result<ContainerOptions>
    where
        P: Into<String>,
        O: Into<String>,
    {
        for (path, opts) in mounts {
            let path = path.into();
            require_absolute_tmpfs(
                &path,
                &path,
                "a path like \"/run\" with options like \"rw,size=64m\"",
            )?;
            self.insert_tmpfs(path, opts.into());
        }
        Ok(self)
    }

    fn insert_tmpfs(&mut self, path: String, opts: String) {
        self.host
            .tmpfs
            .get_or_insert_with(HashMap::new)
            .insert(path, opts);
    }

    /// `VolumeDriver`.
    pub fn volume_driver(mut self, driver: impl Into<String>) -> ContainerOptions {
        self.host.volume_driver = Some(driver.into());
        self
    }

    /// `PublishAllPorts`.
    pub fn publish_all_ports(mut self, all: bool) -> ContainerOptions {
        self.host.publish_all_ports = Some(all);
        self
    }

    /// A legacy link to container `name`, optionally under `alias` (`Links`, sorted).
    pub fn link(mut self, name: &str, alias: Option<&str>) -> ContainerOptions {
        push(&mut self.host.links, link(name, alias));
        self
    }

    /// `Privileged`.
    pub fn privileged(mut self, privileged: bool) -> ContainerOptions {
        self.host.privileged = Some(privileged);
        self
    }

    /// A DNS server (`Dns`).
    pub fn dns(mut self, server: impl Into<String>) -> ContainerOptions {
        push(&mut self.host.dns, server.into());
        self
    }

    /// A resolver option (`DnsOptions`).
    pub fn dns_option(mut self, option: impl Into<String>) -> ContainerOptions {
        push(&mut self.host.dns_options, option.into());
        self
    }

    /// A DNS search domain (`DnsSearch`).
    pub fn dns_search(mut self, domain: impl Into<String>) -> ContainerOptions {
        push(&mut self.host.dns_search, domain.into());
        self
    }

    /// `NetworkMode`: `bridge`, `host`, `none`, `container:<id>` or a network name. Not
    /// together with [`network`](ContainerOptions::network).
    pub fn network_mode(mut self, mode: impl Into<String>) -> ContainerOptions {
        self.host.network_mode = Some(mode.into());
        self
    }

    /// `RestartPolicy`.
    pub fn restart_policy(mut self, policy: RestartPolicy) -> ContainerOptions {
        self.host.restart_policy = Some(policy.to_model());
        self
    }

    /// `RestartPolicy` from `"always"`, `"on-failure:3"`, ….
    pub fn restart_policy_str(self, policy: &str) -> Result<ContainerOptions> {
        Ok(self.restart_policy(policy.parse()?))
    }

    /// A capability to add (`CapAdd`).
    pub fn cap_add(mut self, cap: impl Into<String>) -> ContainerOptions {
        push(&mut self.host.cap_add, cap.into());
        self
    }

    /// A capability to drop (`CapDrop`).
    pub fn cap_drop(mut self, cap: impl Into<String>) -> ContainerOptions {
        push(&mut self.host.cap_drop, cap.into());
        self
    }

    /// A device from `"host[:container[:perms]]"` (`Devices`).
    pub fn device(self, spec: &str) -> Result<ContainerOptions> {
        Ok(self.device_mapping(parse_device(spec)?))
    }

    /// A device mapping (`Devices`; docker-py's dict form).
    pub fn device_mapping(mut self, device: models::DeviceMapping) -> ContainerOptions {
        push(&mut self.host.devices, device);
        self
    }

    /// A device cgroup rule like `"c 1:3 mr"` (`DeviceCgroupRules`, API 1.28).
    pub fn device_cgroup_rule(mut self, rule: impl Into<String>) -> ContainerOptions {
        push(&mut self.host.device_cgroup_rules, rule.into());
        self
    }

    /// A device request, e.g. GPUs (`DeviceRequests`, API 1.40).
    pub fn device_request(mut self, request: DeviceRequest) -> ContainerOptions {
        push(&mut self.host.device_requests, request.to_model());
        self
    }

    /// An `/etc/hosts` entry (`ExtraHosts`, `"host:ip"`).
    pub fn extra_host(mut self, host: &str, ip: &str) -> ContainerOptions {
        push(&mut self.host.extra_hosts, format!("{host}:{ip}"));
        self
    }

    /// `ReadonlyRootfs`.
    pub fn read_only(mut self, read_only: bool) -> ContainerOptions {
        self.host.readonly_rootfs = Some(read_only);
        self
    }

    /// `PidMode` (`host`, `container:<id>`).
    pub fn pid_mode(mut self, mode: impl Into<String>) -> ContainerOptions {
        self.host.pid_mode = Some(mode.into());
        self
    }

    /// `IpcMode` (`none`, `private`, `shareable`, `host`, `container:<id>`).
    pub fn ipc_mode(mut self, mode: impl Into<String>) -> ContainerOptions {
        self.host.ipc_mode = Some(mode.into());
        self
    }

    /// `UTSMode`; only `host` is accepted (as docker-py).
    pub fn uts_mode(mut self, mode: &str) -> Result<ContainerOptions> {
        if mode != "host" {
            return Err(Error::InvalidArgument(format!(
                "uts_mode {mode:?}: expected \"host\""
            )));
        }
        self.host.uts_mode = Some(mode.to_owned());
        Ok(self)
    }

    /// `UsernsMode`; only `host` is accepted (as docker-py).
    pub fn userns_mode(mut self, mode: &str) -> Result<ContainerOptions> {
        if mode != "host" {
            return Err(Error::InvalidArgument(format!(
                "userns_mode {mode:?}: expected \"host\""
            )));
        }
        self.host.userns_mode = Some(mode.to_owned());
        Ok(self)
    }

    /// `CgroupnsMode`: `private` or `host` (API 1.41).
    pub fn cgroupns(mut self, mode: &str) -> Result<ContainerOptions> {
        use models::HostConfigCgroupnsModeEnum as M;
        self.host.cgroupns_mode = Some(match mode {
            "private" => M::PRIVATE,
            "host" => M::HOST,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "cgroupns {mode:?}: expected \"private\" or \"host\""
                )));
            }
        });
        Ok(self)
    }

    /// `Isolation`: `default`, `process` or `hyperv` (Windows).
    pub fn isolation(mut self, isolation: &str) -> Result<ContainerOptions> {
        use models::HostConfigIsolationEnum as I;
        self.host.isolation = Some(match isolation {
            "default" => I::DEFAULT,
            "process" => I::PROCESS,
            "hyperv" => I::HYPERV,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "isolation {isolation:?}: expected \"default\", \"process\" or \"hyperv\""
                )));
            }
        });
        Ok(self)
    }

    /// `CgroupParent`.
    pub fn cgroup_parent(mut self, parent: impl Into<String>) -> ContainerOptions {
        self.host.cgroup_parent = Some(parent.into());
        self
    }

    /// A security option like `"seccomp=unconfined"` (`SecurityOpt`).
    pub fn security_opt(mut self, opt: impl Into<String>) -> ContainerOptions {
        push(&mut self.host.security_opt, opt.into());
        self
    }

    /// A ulimit (`Ulimits`).
    pub fn ulimit(mut self, ulimit: Ulimit) -> ContainerOptions {
        push(&mut self.host.ulimits, ulimit.to_model());
        self
    }

    /// A ulimit from `"nofile=1024:2048"`.
    pub fn ulimit_str(self, spec: &str) -> Result<ContainerOptions> {
        Ok(self.ulimit(spec.parse()?))
    }

    /// `LogConfig`.
    pub fn log_config(mut self, config: LogConfig) -> ContainerOptions {
        self.host.log_config = Some(config.to_model());
        self
    }

    /// `Memory` from a size string (`"512m"`).
    pub fn memory(self, size: &str) -> Result<ContainerOptions> {
        Ok(self.memory_bytes(parse_bytes(size)?))
    }

    /// `Memory` in bytes.
    pub fn memory_bytes(mut self, bytes: i64) -> ContainerOptions {
        self.host.memory = Some(bytes);
        self
    }

    /// `MemorySwap` (memory + swap) from a size string; `"-1"` = unlimited swap.
    pub fn memory_swap(self, size: &str) -> Result<ContainerOptions> {
        Ok(self.memory_swap_bytes(bytes_or_unlimited(size)?))
    }

    /// `MemorySwap` in bytes; `-1` = unlimited swap.
    pub fn memory_swap_bytes(mut self, bytes: i64) -> ContainerOptions {
        self.host.memory_swap = Some(bytes);
        self
    }

    /// `MemoryReservation` (soft limit) from a size string.
    pub fn memory_reservation(self, size: &str) -> Result<ContainerOptions> {
        Ok(self.memory_reservation_bytes(parse_bytes(size)?))
    }

    /// `MemoryReservation` in bytes.
    pub fn memory_reservation_bytes(mut self, bytes: i64) -> ContainerOptions {
        self.host.memory_reservation = Some(bytes);
        self
    }

    /// `KernelMemory` from a size string (deprecated by the Engine; not in the wire
    /// model, so only [`to_json`](ContainerOptions::to_json) sends it).
    pub fn kernel_memory(self, size: &str) -> Result<ContainerOptions> {
        Ok(self.kernel_memory_bytes(parse_bytes(size)?))
    }

    /// `KernelMemory` in bytes (see [`kernel_memory`](ContainerOptions::kernel_memory)).
    pub fn kernel_memory_bytes(mut self, bytes: i64) -> ContainerOptions {
        self.kernel_memory = Some(bytes);
        self
    }

    /// `MemorySwappiness`, 0–100 (or -1: the host's default).
    pub fn memory_swappiness(mut self, swappiness: i64) -> Result<ContainerOptions> {
        if !(-1..=100).contains(&swappiness) {
            return Err(out_of_range(
                "mem_swappiness",
                swappiness,
                "0 to 100, or -1",
            ));
        }
        self.host.memory_swappiness = Some(swappiness);
        Ok(self)
    }

    /// `ShmSize` from a size string.
    pub fn shm_size(self, size: &str) -> Result<ContainerOptions> {
        Ok(self.shm_size_bytes(parse_bytes(size)?))
    }

    /// `ShmSize` in bytes.
    pub fn shm_size_bytes(mut self, bytes: i64) -> ContainerOptions {
        self.host.shm_size = Some(bytes);
        self
    }

    /// `OomKillDisable`.
    pub fn oom_kill_disable(mut self, disable: bool) -> ContainerOptions {
        self.host.oom_kill_disable = Some(disable);
        self
    }

    /// `OomScoreAdj`, -1000–1000 (0 is sent).
    pub fn oom_score_adj(mut self, adj: i64) -> Result<ContainerOptions> {
        if !(-1000..=1000).contains(&adj) {
            return Err(out_of_range("oom_score_adj", adj, "-1000 to 1000"));
        }
        self.host.oom_score_adj = Some(adj);
        Ok(self)
    }

    /// `CpuShares` (relative weight; 0 is sent).
    pub fn cpu_shares(mut self, shares: i64) -> ContainerOptions {
        self.host.cpu_shares = Some(shares);
        self
    }

    /// `CpuPeriod` in µs.
    pub fn cpu_period(mut self, micros: i64) -> ContainerOptions {
        self.host.cpu_period = Some(micros);
        self
    }

    /// `CpuQuota` in µs per period.
    pub fn cpu_quota(mut self, micros: i64) -> ContainerOptions {
        self.host.cpu_quota = Some(micros);
        self
    }

    /// `CpuRealtimePeriod` in µs (API 1.25).
    pub fn cpu_rt_period(mut self, micros: i64) -> ContainerOptions {
        self.host.cpu_realtime_period = Some(micros);
        self
    }

    /// `CpuRealtimeRuntime` in µs (API 1.25).
    pub fn cpu_rt_runtime(mut self, micros: i64) -> ContainerOptions {
        self.host.cpu_realtime_runtime = Some(micros);
        self
    }

    /// `CpusetCpus`, e.g. `"0-3,5"`.
    pub fn cpuset_cpus(mut self, cpus: impl Into<String>) -> ContainerOptions {
        self.host.cpuset_cpus = Some(cpus.into());
        self
    }

    /// `CpusetMems`, e.g. `"0,1"`.
    pub fn cpuset_mems(mut self, mems: impl Into<String>) -> ContainerOptions {
        self.host.cpuset_mems = Some(mems.into());
        self
    }

    /// `CpuCount` (Windows, API 1.25).
    pub fn cpu_count(mut self, count: i64) -> ContainerOptions {
        self.host.cpu_count = Some(count);
        self
    }

    /// `CpuPercent` (Windows, API 1.25).
    pub fn cpu_percent(mut self, percent: i64) -> ContainerOptions {
        self.host.cpu_percent = Some(percent);
        self
    }

    /// `NanoCpus` in 1e-9 CPUs (API 1.25).
    pub fn nano_cpus(mut self, nanos: i64) -> ContainerOptions {
        self.host.nano_cpus = Some(nanos);
        self
    }

    /// `NanoCpus` from a CPU count (`1.5` → 1.5e9; API 1.25).
    pub fn cpus(self, cpus: f64) -> Result<ContainerOptions> {
        Ok(self.nano_cpus(nano_cpus(cpus)?))
    }

    /// `NanoCpus` from a CPU count written like the CLI's `--cpus` (`"1.5"`).
    pub fn cpus_str(self, cpus: &str) -> Result<ContainerOptions> {
        Ok(self.nano_cpus(parse_cpus(cpus)?))
    }

    /// `BlkioWeight`, 10–1000 (0 = unset).
    pub fn blkio_weight(mut self, weight: u16) -> Result<ContainerOptions> {
        if weight != 0 && !(10..=1000).contains(&weight) {
            return Err(out_of_range(
                "blkio_weight",
                i64::from(weight),
                "10 to 1000",
            ));
        }
        self.host.blkio_weight = Some(weight);
        Ok(self)
    }

    /// A per-device block IO weight (`BlkioWeightDevice`).
    pub fn blkio_weight_device(mut self, path: impl Into<String>, weight: u16) -> ContainerOptions {
        let entry = models::ResourcesBlkioWeightDevice {
            path: Some(path.into()),
            weight: Some(usize::from(weight)),
        };
        push(&mut self.host.blkio_weight_device, entry);
        self
    }

    /// A device read limit in bytes per second (`BlkioDeviceReadBps`).
    pub fn device_read_bps(mut self, path: impl Into<String>, rate: i64) -> ContainerOptions {
        push(&mut self.host.blkio_device_read_bps, throttle(path, rate));
        self
    }

    /// A device write limit in bytes per second (`BlkioDeviceWriteBps`).
    pub fn device_write_bps(mut self, path: impl Into<String>, rate: i64) -> ContainerOptions {
        push(&mut self.host.blkio_device_write_bps, throttle(path, rate));
        self
    }

    /// A device read limit in IO per second (`BlkioDeviceReadIOps`).
    pub fn device_read_iops(mut self, path: impl Into<String>, rate: i64) -> ContainerOptions {
        push(&mut self.host.blkio_device_read_iops, throttle(path, rate));
        self
    }

    /// A device write limit in IO per second (`BlkioDeviceWriteIOps`).
    pub fn device_write_iops(mut self, path: impl Into<String>, rate: i64) -> ContainerOptions {
        push(&mut self.host.blkio_device_write_iops, throttle(path, rate));
        self
    }

    /// `PidsLimit`; `-1` unlimited, `0` is sent.
    pub fn pids_limit(mut self, limit: i64) -> ContainerOptions {
        self.host.pids_limit = Some(limit);
        self
    }

    /// A kernel parameter, value stringified (`Sysctls`).
    pub fn sysctl(mut self, key: impl Into<String>, value: impl Display) -> ContainerOptions {
        self.host
            .sysctls
            .get_or_insert_with(HashMap::new)
            .insert(key.into(), value.to_string());
        self
    }

    /// An additional group, name or gid (`GroupAdd`, stringified).
    pub fn group_add(mut self, group: impl Display) -> ContainerOptions {
        push(&mut self.host.group_add, group.to_string());
        self
    }

    /// A storage driver option (`StorageOpt`).
    pub fn storage_opt(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> ContainerOptions {
        self.host
            .storage_opt
            .get_or_insert_with(HashMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// `AutoRemove` (API 1.25).
    pub fn auto_remove(mut self, remove: bool) -> ContainerOptions {
        self.host.auto_remove = Some(remove);
        self
    }

    /// `Init` (API 1.25).
    pub fn init(mut self, init: bool) -> ContainerOptions {
        self.host.init = Some(init);
        self
    }

    /// `InitPath` (only API 1.25–1.28; not in the wire model, so only
    /// [`to_json`](ContainerOptions::to_json) sends it).
    pub fn init_path(mut self, path: impl Into<String>) -> ContainerOptions {
        self.init_path = Some(path.into());
        self
    }

    /// `Runtime` (API 1.25). docker-py's low-level create also wrote a top-level
    /// `Runtime` the Engine ignores; berth sends `HostConfig.Runtime` only.
    pub fn runtime(mut self, runtime: impl Into<String>) -> ContainerOptions {
        self.host.runtime = Some(runtime.into());
        self
    }

    /// An `LxcConf` entry (obsolete; only [`to_json`](ContainerOptions::to_json)
    /// sends it).
    pub fn lxc_conf(mut self, key: impl Into<String>, value: impl Display) -> ContainerOptions {
        self.lxc_conf.push((key.into(), value.to_string()));
        self
    }

    /// An OCI annotation (`Annotations`, API 1.43).
    pub fn annotation(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> ContainerOptions {
        self.host
            .annotations
            .get_or_insert_with(HashMap::new)
            .insert(key.into(), value.into());
        self
    }
}

fn throttle(path: impl Into<String>, rate: i64) -> models::ThrottleDevice {
    models::ThrottleDevice {
        path: Some(path.into()),
        rate: Some(rate),
    }
}
