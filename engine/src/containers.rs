//! `containers`: typed specs → Engine bodies, answers → records.

use berth_core::api::container_io::{
    ArchiveGet, ArchivePut, ContainerAttach, ContainerExport, ContainerLogs, Tail,
};
use berth_core::api::containers::{
    ContainerChanges, ContainerCommit, ContainerKill, ContainerList, ContainerPause,
    ContainerPrune, ContainerRemove, ContainerRename, ContainerResize, ContainerRestart,
    ContainerStart, ContainerStatsStream, ContainerStop, ContainerTop, ContainerUnpause,
    ContainerWait, Signal, WaitCondition as CoreWait,
};
use berth_core::api::system::Timestamp;
use berth_guest::RawJson;
use serde_json::{Map, Value, json};

use crate::bindings::exports::berth::engine::common;
use crate::bindings::exports::berth::engine::containers::{
    AttachOptions, ContainerInfo, ContainerSpec, ContainerState, ContainerSummary, Created, Guest,
    HostConfig, ListOptions, LogsOptions, Mount, MountType, RemoveOptions, RestartPolicy,
    WaitCondition,
};
use crate::streams::{byte_stream, output_stream, session};
use crate::{
    Engine, R, docker, err, filters, flag, int, invalid, json_of, label_object, labels, parse,
    parse_object, prune_report, raw, text, texts, value_of,
};

/// A mount as the Engine's `Mount` object (`extra` merged in).
pub(crate) fn mount_json(m: &Mount) -> R<Value> {
    let mut o = match &m.extra {
        Some(extra) => parse_object(extra, "mount extra")?,
        None => Map::new(),
    };
    let kind = match m.kind {
        MountType::Bind => "bind",
        MountType::Volume => "volume",
        MountType::Tmpfs => "tmpfs",
        MountType::Npipe => "npipe",
        MountType::Cluster => "cluster",
    };
    o.insert("Type".into(), json!(kind));
    if let Some(s) = &m.source {
        o.insert("Source".into(), json!(s));
    }
    o.insert("Target".into(), json!(m.target));
    if m.read_only {
        o.insert("ReadOnly".into(), json!(true));
    }
    Ok(Value::Object(o))
}

/// `80/tcp` (a bare `80` is tcp).
fn port_key(p: &str) -> R<String> {
    let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    let valid_num = !num.is_empty()
        && num.split('-').all(|n| n.parse::<u16>().is_ok())
        && num.split('-').count() <= 2;
    if !valid_num || !matches!(proto, "tcp" | "udp" | "sctp") {
        return Err(invalid(format!("port {p:?} is not PORT[/tcp|udp|sctp]")));
    }
    Ok(format!("{num}/{proto}"))
}

/// The `HostConfig` object of a typed host config.
fn host_config_json(h: &HostConfig) -> R<Value> {
    let mut o = Map::new();
    let mut put = |k: &str, v: Value| {
        o.insert(k.to_owned(), v);
    };
    if !h.binds.is_empty() {
        put("Binds", json!(h.binds));
    }
    if !h.mounts.is_empty() {
        let mounts = h.mounts.iter().map(mount_json).collect::<R<Vec<_>>>()?;
        put("Mounts", Value::Array(mounts));
    }
    if !h.port_bindings.is_empty() {
        let mut pb = Map::new();
        for b in &h.port_bindings {
            let key = port_key(&b.container_port)?;
            let entry = pb.entry(key).or_insert_with(|| json!([]));
            if let Value::Array(a) = entry {
                a.push(json!({
                    "HostIp": b.host_ip.clone().unwrap_or_default(),
                    "HostPort": b.host_port.clone().unwrap_or_default(),
                }));
            }
        }
        put("PortBindings", Value::Object(pb));
    }
    if h.publish_all_ports {
        put("PublishAllPorts", json!(true));
    }
    for (k, v) in [
        ("NetworkMode", &h.network_mode),
        ("PidMode", &h.pid_mode),
        ("IpcMode", &h.ipc_mode),
        ("UTSMode", &h.uts_mode),
        ("UsernsMode", &h.userns_mode),
        ("CgroupnsMode", &h.cgroupns_mode),
        ("Runtime", &h.runtime),
    ] {
        if let Some(v) = v {
            put(k, json!(v));
        }
    }
    if h.privileged {
        put("Privileged", json!(true));
    }
    for (k, v) in [
        ("CapAdd", &h.cap_add),
        ("CapDrop", &h.cap_drop),
        ("DeviceCgroupRules", &h.device_cgroup_rules),
        ("SecurityOpt", &h.security_opt),
        ("VolumesFrom", &h.volumes_from),
        ("ExtraHosts", &h.extra_hosts),
        ("Dns", &h.dns),
        ("GroupAdd", &h.group_add),
    ] {
        if !v.is_empty() {
            put(k, json!(v));
        }
    }
    if !h.devices.is_empty() {
        let d: Vec<Value> = h
            .devices
            .iter()
            .map(|d| {
                json!({
                    "PathOnHost": d.path_on_host,
                    "PathInContainer": if d.path_in_container.is_empty() { &d.path_on_host } else { &d.path_in_container },
                    "CgroupPermissions": if d.cgroup_permissions.is_empty() { "rwm" } else { &d.cgroup_permissions },
                })
            })
            .collect();
        put("Devices", Value::Array(d));
    }
    if h.readonly_rootfs {
        put("ReadonlyRootfs", json!(true));
    }
    for (k, v) in [
        ("Memory", h.memory),
        ("MemorySwap", h.memory_swap),
        ("NanoCpus", h.nano_cpus),
        ("CpuShares", h.cpu_shares),
        ("PidsLimit", h.pids_limit),
        ("ShmSize", h.shm_size),
    ] {
        if let Some(v) = v {
            put(k, json!(v));
        }
    }
    if !h.ulimits.is_empty() {
        let u: Vec<Value> = h
            .ulimits
            .iter()
            .map(|u| json!({"Name": u.name, "Soft": u.soft, "Hard": u.hard}))
            .collect();
        put("Ulimits", Value::Array(u));
    }
    if h.auto_remove {
        put("AutoRemove", json!(true));
    }
    if let Some(p) = &h.restart_policy {
        let (name, max) = match p {
            RestartPolicy::No => ("no", 0),
            RestartPolicy::Always => ("always", 0),
            RestartPolicy::UnlessStopped => ("unless-stopped", 0),
            RestartPolicy::OnFailure(n) => ("on-failure", n.unwrap_or(0)),
        };
        put(
            "RestartPolicy",
            json!({"Name": name, "MaximumRetryCount": max}),
        );
    }
    if !h.sysctls.is_empty() {
        put("Sysctls", label_object(&h.sysctls));
    }
    if !h.tmpfs.is_empty() {
        put("Tmpfs", label_object(&h.tmpfs));
    }
    if let Some(i) = h.init {
        put("Init", json!(i));
    }
    Ok(Value::Object(o))
}

/// The create body of a typed spec.
pub(crate) fn create_body(s: &ContainerSpec) -> R<Value> {
    if s.image.is_empty() {
        return Err(invalid("container create: the image is empty"));
    }
    let mut o = Map::new();
    o.insert("Image".into(), json!(s.image));
    if let Some(c) = &s.cmd {
        o.insert("Cmd".into(), json!(c));
    }
    if let Some(e) = &s.entrypoint {
        o.insert("Entrypoint".into(), json!(e));
    }
    if !s.env.is_empty() {
        o.insert("Env".into(), json!(s.env));
    }
    if !s.labels.is_empty() {
        o.insert("Labels".into(), label_object(&s.labels));
    }
    for (k, v) in [
        ("WorkingDir", &s.working_dir),
        ("User", &s.user),
        ("Hostname", &s.hostname),
        ("StopSignal", &s.stop_signal),
    ] {
        if let Some(v) = v {
            o.insert(k.into(), json!(v));
        }
    }
    if s.tty {
        o.insert("Tty".into(), json!(true));
    }
    if s.open_stdin {
        o.insert("OpenStdin".into(), json!(true));
        o.insert("AttachStdin".into(), json!(true));
    }
    if !s.exposed_ports.is_empty() {
        let mut ports = Map::new();
        for p in &s.exposed_ports {
            ports.insert(port_key(p)?, json!({}));
        }
        o.insert("ExposedPorts".into(), Value::Object(ports));
    }
    if let Some(t) = s.stop_timeout {
        o.insert("StopTimeout".into(), json!(t));
    }
    if s.network_disabled {
        o.insert("NetworkDisabled".into(), json!(true));
    }
    if let Some(n) = &s.network {
        o.insert(
            "NetworkingConfig".into(),
            json!({"EndpointsConfig": {n: {}}}),
        );
    }
    if let Some(h) = &s.host_config {
        o.insert("HostConfig".into(), host_config_json(h)?);
    }
    Ok(Value::Object(o))
}

/// `POST /containers/create` with a JSON body.
fn create_raw(name: Option<&str>, platform: Option<&str>, body: Value) -> R<Created> {
    let mut call = RawJson::post("/containers/create", &[], body).map_err(err)?;
    if let Some(n) = name {
        call = call.query("name", n);
    }
    if let Some(p) = platform {
        call = call.query("platform", p);
    }
    let v = raw(call)?;
    let id = text(&v, "Id");
    if id.is_empty() {
        return Err(crate::ErrorCode::Decode(format!(
            "container create answered without an Id: {v}"
        )));
    }
    Ok(Created {
        id,
        warnings: texts(&v, "Warnings"),
    })
}

/// The `Config.Tty` of a container (decides the framing of its output on old daemons).
fn tty_of(id: &str) -> R<bool> {
    let c = docker().containers().get(id).map_err(err)?;
    Ok(c.tty())
}

fn timestamp(t: Option<i64>) -> Option<Timestamp> {
    t.map(Timestamp::from_unix)
}

impl Guest for Engine {
    fn list_containers(options: ListOptions) -> R<Vec<ContainerSummary>> {
        let list = ContainerList {
            all: options.all,
            limit: options.limit.map(i64::from),
            size: options.size,
            filters: filters(options.filters),
            ..ContainerList::default()
        };
        let items = docker().containers().list(&list).map_err(err)?;
        Ok(items
            .into_iter()
            .map(|t| {
                let a = value_of(t);
                ContainerSummary {
                    id: text(&a, "Id"),
                    names: texts(&a, "Names"),
                    image: text(&a, "Image"),
                    image_id: text(&a, "ImageID"),
                    command: text(&a, "Command"),
                    created: int(&a, "Created"),
                    state: text(&a, "State"),
                    status: text(&a, "Status"),
                    labels: labels(a.get("Labels").unwrap_or(&Value::Null)),
                    attrs: a.to_string(),
                }
            })
            .collect())
    }

    fn create(spec: ContainerSpec) -> R<Created> {
        let body = create_body(&spec)?;
        create_raw(spec.name.as_deref(), spec.platform.as_deref(), body)
    }

    fn create_json(name: Option<String>, platform: Option<String>, body: String) -> R<Created> {
        let body = parse_object(&body, "container create body")?;
        create_raw(name.as_deref(), platform.as_deref(), Value::Object(body))
    }

    fn inspect(id: String) -> R<ContainerInfo> {
        let c = docker().containers().get(&id).map_err(err)?;
        let a = c.attrs().attrs.value();
        let s = a.get("State").cloned().unwrap_or(Value::Null);
        let config = a.get("Config").cloned().unwrap_or(Value::Null);
        Ok(ContainerInfo {
            id: c.id().to_owned(),
            name: c.name().unwrap_or_default().to_owned(),
            image: text(&config, "Image"),
            image_id: text(a, "Image"),
            created: text(a, "Created"),
            state: ContainerState {
                status: text(&s, "Status"),
                running: flag(&s, "Running"),
                paused: flag(&s, "Paused"),
                restarting: flag(&s, "Restarting"),
                oom_killed: flag(&s, "OOMKilled"),
                dead: flag(&s, "Dead"),
                pid: int(&s, "Pid"),
                exit_code: int(&s, "ExitCode"),
                error: text(&s, "Error"),
                started_at: text(&s, "StartedAt"),
                finished_at: text(&s, "FinishedAt"),
            },
            labels: labels(config.get("Labels").unwrap_or(&Value::Null)),
            tty: flag(&config, "Tty"),
            restart_count: int(a, "RestartCount"),
            attrs: a.to_string(),
        })
    }

    fn start(id: String) -> R<bool> {
        docker().execute(&ContainerStart { id }).map_err(err)
    }

    fn stop(id: String, timeout: Option<u32>) -> R<bool> {
        docker()
            .execute(&ContainerStop {
                id,
                timeout,
                signal: None,
            })
            .map_err(err)
    }

    fn restart(id: String, timeout: Option<u32>) -> R<()> {
        docker()
            .execute(&ContainerRestart {
                id,
                timeout,
                signal: None,
            })
            .map_err(err)
    }

    fn kill(id: String, signal: Option<String>) -> R<()> {
        let signal = signal.map(Signal::from);
        docker().execute(&ContainerKill { id, signal }).map_err(err)
    }

    fn pause(id: String) -> R<()> {
        docker().execute(&ContainerPause { id }).map_err(err)
    }

    fn unpause(id: String) -> R<()> {
        docker().execute(&ContainerUnpause { id }).map_err(err)
    }

    fn wait(id: String, condition: Option<WaitCondition>) -> R<i64> {
        let condition = condition.map(|c| match c {
            WaitCondition::NotRunning => CoreWait::NotRunning,
            WaitCondition::NextExit => CoreWait::NextExit,
            WaitCondition::Removed => CoreWait::Removed,
        });
        let w = docker()
            .execute(&ContainerWait { id, condition })
            .map_err(err)?;
        Ok(w.status_code)
    }

    fn remove(id: String, options: RemoveOptions) -> R<()> {
        docker()
            .execute(&ContainerRemove {
                id,
                volumes: options.volumes,
                link: options.link,
                force: options.force,
            })
            .map_err(err)
    }

    fn rename(id: String, name: String) -> R<()> {
        docker().execute(&ContainerRename { id, name }).map_err(err)
    }

    fn update(id: String, body: String) -> R<String> {
        let body = parse_object(&body, "container update body")?;
        let call =
            RawJson::post("/containers/{}/update", &[&id], Value::Object(body)).map_err(err)?;
        Ok(raw(call)?.to_string())
    }

    fn resize(id: String, height: u32, width: u32) -> R<()> {
        docker()
            .execute(&ContainerResize { id, height, width })
            .map_err(err)
    }

    fn top(id: String, ps_args: Option<String>) -> R<String> {
        Ok(json_of(
            docker()
                .execute(&ContainerTop { id, ps_args })
                .map_err(err)?,
        ))
    }

    fn changes(id: String) -> R<String> {
        let list = docker().execute(&ContainerChanges { id }).map_err(err)?;
        Ok(Value::Array(list.into_iter().map(value_of).collect()).to_string())
    }

    fn stats(id: String) -> R<String> {
        let call = RawJson::get("/containers/{}/stats", &[&id])
            .map_err(err)?
            .query("stream", "false");
        Ok(raw(call)?.to_string())
    }

    fn stats_stream(id: String) -> R<common::JsonStream> {
        let s = docker().stream(&ContainerStatsStream { id }).map_err(err)?;
        let values = s.map(|r| r.map(value_of));
        Ok(common::JsonStream::new(crate::streams::JsonStreamImpl(
            std::cell::RefCell::new(Box::new(values)),
        )))
    }

    fn logs(id: String, options: LogsOptions) -> R<common::OutputStream> {
        let tty = tty_of(&id)?;
        let mut l = ContainerLogs::new(id);
        l.stdout = options.stdout;
        l.stderr = options.stderr;
        l.follow = options.follow;
        l.timestamps = options.timestamps;
        l.tail = options.tail.map_or(Tail::All, Tail::Lines);
        l.since = timestamp(options.since);
        l.until = timestamp(options.until);
        l.tty = Some(tty);
        let s = docker().logs(&l).map_err(err)?;
        Ok(output_stream(s))
    }

    fn attach(id: String, options: AttachOptions) -> R<common::Session> {
        let tty = tty_of(&id)?;
        let s = docker()
            .upgrade(&ContainerAttach {
                id,
                stdin: options.stdin,
                stdout: options.stdout,
                stderr: options.stderr,
                stream: true,
                logs: options.logs,
                detach_keys: None,
                tty: Some(tty),
            })
            .map_err(err)?;
        Ok(session(s))
    }

    fn archive_get(id: String, path: String) -> R<common::ByteStream> {
        let (_, body) = docker().download(&ArchiveGet { id, path }).map_err(err)?;
        Ok(byte_stream(body))
    }

    fn archive_put(id: String, path: String, archive: Vec<u8>) -> R<()> {
        docker()
            .upload(
                &ArchivePut {
                    id,
                    path,
                    no_overwrite_dir_non_dir: false,
                    copy_uid_gid: false,
                },
                &archive,
            )
            .map_err(err)
    }

    fn export_fs(id: String) -> R<common::ByteStream> {
        let (_, body) = docker().download(&ContainerExport { id }).map_err(err)?;
        Ok(byte_stream(body))
    }

    fn commit(
        id: String,
        repo: Option<String>,
        tag: Option<String>,
        config: Option<String>,
    ) -> R<String> {
        let config = config.map(|c| parse(&c, "commit config")).transpose()?;
        let answer = docker()
            .execute(&ContainerCommit {
                container: id,
                repo,
                tag,
                comment: None,
                author: None,
                pause: true,
                changes: Vec::new(),
                config,
            })
            .map_err(err)?;
        Ok(answer.into_typed().id)
    }

    fn prune(f: Vec<(String, Vec<String>)>) -> R<common::PruneReport> {
        let answer = docker()
            .execute(&ContainerPrune {
                filters: filters(f),
            })
            .map_err(err)?;
        Ok(prune_report(answer.attrs.value()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::exports::berth::engine::containers::{DeviceMapping, PortBinding};

    fn host() -> HostConfig {
        HostConfig {
            binds: vec!["/srv:/data:ro".into()],
            mounts: vec![Mount {
                kind: MountType::Volume,
                source: Some("v1".into()),
                target: "/v".into(),
                read_only: true,
                extra: Some(r#"{"VolumeOptions":{"NoCopy":true}}"#.into()),
            }],
            port_bindings: vec![PortBinding {
                container_port: "80".into(),
                host_ip: Some("127.0.0.1".into()),
                host_port: None,
            }],
            publish_all_ports: false,
            network_mode: Some("host".into()),
            pid_mode: Some("host".into()),
            ipc_mode: None,
            uts_mode: None,
            userns_mode: None,
            cgroupns_mode: None,
            privileged: true,
            cap_add: vec!["ALL".into()],
            cap_drop: vec![],
            devices: vec![DeviceMapping {
                path_on_host: "/dev/fuse".into(),
                path_in_container: String::new(),
                cgroup_permissions: String::new(),
            }],
            device_cgroup_rules: vec![],
            security_opt: vec!["seccomp=unconfined".into()],
            readonly_rootfs: false,
            memory: Some(64 << 20),
            memory_swap: None,
            nano_cpus: Some(500_000_000),
            cpu_shares: None,
            pids_limit: None,
            shm_size: None,
            ulimits: vec![],
            auto_remove: true,
            restart_policy: Some(RestartPolicy::OnFailure(Some(3))),
            volumes_from: vec![],
            extra_hosts: vec![],
            dns: vec![],
            group_add: vec![],
            sysctls: vec![],
            tmpfs: vec![("/tmp".into(), "size=1m".into())],
            init: Some(true),
            runtime: None,
        }
    }

    fn spec() -> ContainerSpec {
        ContainerSpec {
            image: "busybox:berth-test".into(),
            name: Some("job".into()),
            platform: None,
            cmd: Some(vec!["sh".into(), "-c".into(), "exit 3".into()]),
            entrypoint: None,
            env: vec!["A=1".into()],
            labels: vec![("berth.test".into(), "1".into())],
            working_dir: Some("/tmp".into()),
            user: None,
            hostname: None,
            tty: false,
            open_stdin: false,
            exposed_ports: vec!["8080/udp".into()],
            stop_signal: None,
            stop_timeout: Some(2),
            network: None,
            network_disabled: false,
            host_config: Some(host()),
        }
    }

    #[test]
    fn create_body_has_every_policy_field() {
        let b = create_body(&spec()).expect("valid spec");
        assert_eq!(b["Image"], "busybox:berth-test");
        assert_eq!(b["Cmd"], json!(["sh", "-c", "exit 3"]));
        assert_eq!(b["Labels"]["berth.test"], "1");
        assert_eq!(b["ExposedPorts"], json!({"8080/udp": {}}));
        let h = &b["HostConfig"];
        assert_eq!(h["Binds"], json!(["/srv:/data:ro"]));
        assert_eq!(
            h["Mounts"][0],
            json!({"Type": "volume", "Source": "v1", "Target": "/v", "ReadOnly": true, "VolumeOptions": {"NoCopy": true}})
        );
        assert_eq!(
            h["PortBindings"]["80/tcp"],
            json!([{"HostIp": "127.0.0.1", "HostPort": ""}])
        );
        assert_eq!(h["NetworkMode"], "host");
        assert_eq!(h["PidMode"], "host");
        assert_eq!(h["Privileged"], true);
        assert_eq!(h["CapAdd"], json!(["ALL"]));
        assert_eq!(h["Devices"][0]["PathInContainer"], "/dev/fuse");
        assert_eq!(h["Devices"][0]["CgroupPermissions"], "rwm");
        assert_eq!(h["SecurityOpt"], json!(["seccomp=unconfined"]));
        assert_eq!(h["Memory"], 64 << 20);
        assert_eq!(h["NanoCpus"], 500_000_000);
        assert_eq!(h["AutoRemove"], true);
        assert_eq!(
            h["RestartPolicy"],
            json!({"Name": "on-failure", "MaximumRetryCount": 3})
        );
        assert_eq!(h["Tmpfs"], json!({"/tmp": "size=1m"}));
        assert_eq!(h["Init"], true);
        assert!(h.get("IpcMode").is_none());
    }

    #[test]
    fn bad_specs_fail_before_sending() {
        let mut s = spec();
        s.image = String::new();
        assert!(create_body(&s).is_err());
        let mut s = spec();
        s.exposed_ports = vec!["http".into()];
        assert!(create_body(&s).is_err());
        let mut s = spec();
        if let Some(h) = &mut s.host_config {
            h.mounts[0].extra = Some("[]".into());
        }
        assert!(create_body(&s).is_err());
        let mut s = spec();
        s.host_config = None;
        assert!(
            create_body(&s)
                .expect("minimal")
                .get("HostConfig")
                .is_none()
        );
    }
}
