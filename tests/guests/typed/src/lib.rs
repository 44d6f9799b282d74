//! A typed wasm plugin (world `plugin`): `run(args)` runs the scenario named by
//! `args[0]` through the berth engine's typed interfaces and returns, as JSON, what it
//! saw. `tests/tests/wasm_typed.rs` runs each scenario against the real daemon and
//! checks the effects with the native client.
//!
//! Scenarios:
//! - `system`: ping, api-version, version, info, df.
//! - `containers SCOPE`: a labelled container through its whole life (create, list,
//!   inspect, start, top, stats, pause/unpause, rename, update, archive put/get,
//!   changes, exec, restart, logs, kill, wait); leaves it exited for the test to check.
//! - `containers-more SCOPE TAG SINCE`: a tty container from raw JSON (create-json),
//!   resize, attach, stats-stream, export-fs, commit as `busybox:TAG`, a detached exec,
//!   stop, events since SINCE, prune.
//! - `container-remove ID`: removes it.
//! - `prune-more SCOPE NETWORK`: a network from raw JSON and an anonymous volume, both
//!   pruned by the scope's label.
//! - `images-more`: pull and distribution-inspect from the local registry, save and
//!   load the test image, login to the htpasswd registry.
//! - `image-tag TAG` / `image-untag TAG`: list, inspect and history of the test image,
//!   tagged as / untagged from `busybox:TAG`.
//! - `network SCOPE NAME CONTAINER` / `network-remove NAME CONTAINER`.
//! - `volume SCOPE NAME` / `volume-remove NAME`.
//! - `swarm-init`: initialises a single-node swarm advertising 127.0.0.1.
//! - `swarm SCOPE NAME`: swarm and node inspect, a secret and a config named NAME, a
//!   service named NAME (created typed, updated with the secret, the config, a label and
//!   two replicas), its tasks, the plugin list and a missing plugin.
//! - `service-logs ID`: the service's logs so far.
//! - `swarm-remove SERVICE SECRET CONFIG`: removes them.

wit_bindgen::generate!({ path: "../../../wit", world: "plugin" });

use berth::engine::common::{OutputStream, StdStream};
use berth::engine::containers::{
    self as ctr, ContainerSpec, HostConfig, ListOptions, LogsOptions, PortBinding, RemoveOptions,
    WaitCondition,
};
use berth::engine::exec::{self, ExecSpec};
use berth::engine::services::{self as svc, ServiceSpec};
use berth::engine::swarm::{self, InitOptions};
use berth::engine::types::ErrorCode;
use berth::engine::{configs, images, networks, plugins, secrets, system, volumes};
use serde_json::{Value, json};

/// The test image.
const IMAGE: &str = "busybox:berth-test";
/// The image of the swarm service: in the local registry, so the task's pull resolves.
const SERVICE_IMAGE: &str = "127.0.0.1:5000/busybox:berth-test";
/// The memory limit the container is created with.
const MEMORY: i64 = 64 * 1024 * 1024;
/// File content written with archive-put.
const FILE_TEXT: &str = "hello from the typed guest\n";

type R<T> = Result<T, String>;

/// Names the failed call in the error text.
fn call<T>(what: &str, r: Result<T, ErrorCode>) -> R<T> {
    r.map_err(|e| format!("{what}: {e:?}"))
}

fn parse(what: &str, text: &str) -> R<Value> {
    serde_json::from_str(text).map_err(|e| format!("{what}: not JSON ({e}): {text}"))
}

fn arg(args: &[String], i: usize, what: &str) -> R<String> {
    args.get(i)
        .cloned()
        .ok_or_else(|| format!("usage: missing argument {i} ({what})"))
}

fn labels(scope: &str) -> Vec<(String, String)> {
    vec![
        ("berth.test".to_owned(), "1".to_owned()),
        ("berth.scope".to_owned(), scope.to_owned()),
    ]
}

fn scope_filter(scope: &str) -> Vec<(String, Vec<String>)> {
    vec![("label".to_owned(), vec![format!("berth.scope={scope}")])]
}

struct Typed;

impl exports::berth::engine::entry::Guest for Typed {
    fn run(args: Vec<String>) -> Result<String, String> {
        let scenario = args.first().map(String::as_str).unwrap_or("");
        let v = match scenario {
            "system" => system_scenario()?,
            "containers" => containers(&arg(&args, 1, "scope")?)?,
            "containers-more" => containers_more(
                &arg(&args, 1, "scope")?,
                &arg(&args, 2, "tag")?,
                &arg(&args, 3, "since")?,
            )?,
            "prune-more" => prune_more(&arg(&args, 1, "scope")?, &arg(&args, 2, "network")?)?,
            "images-more" => images_more()?,
            "container-remove" => {
                let id = arg(&args, 1, "container")?;
                call(
                    "containers.remove",
                    ctr::remove(
                        &id,
                        RemoveOptions {
                            force: true,
                            volumes: true,
                            link: false,
                        },
                    ),
                )?;
                json!({"removed": id})
            }
            "image-tag" => image_tag(&arg(&args, 1, "tag")?)?,
            "image-untag" => {
                let tag = arg(&args, 1, "tag")?;
                let removed = call(
                    "images.remove",
                    images::remove(&format!("busybox:{tag}"), false, false),
                )?;
                json!({"untagged": removed.iter().filter_map(|r| r.untagged.clone()).collect::<Vec<_>>(),
                       "deleted": removed.iter().filter_map(|r| r.deleted.clone()).collect::<Vec<_>>()})
            }
            "network" => network(
                &arg(&args, 1, "scope")?,
                &arg(&args, 2, "name")?,
                &arg(&args, 3, "container")?,
            )?,
            "network-remove" => {
                let name = arg(&args, 1, "name")?;
                let container = arg(&args, 2, "container")?;
                call(
                    "networks.disconnect",
                    networks::disconnect(&name, &container, false),
                )?;
                let after = call("networks.inspect", networks::inspect(&name))?;
                call("networks.remove", networks::remove(&name))?;
                json!({"containers_after_disconnect": after.containers, "removed": name})
            }
            "volume" => volume(&arg(&args, 1, "scope")?, &arg(&args, 2, "name")?)?,
            "volume-remove" => {
                let name = arg(&args, 1, "name")?;
                call("volumes.remove", volumes::remove(&name, false))?;
                json!({"removed": name})
            }
            "swarm-init" => {
                let node = call(
                    "swarm.init",
                    swarm::init(&InitOptions {
                        listen_addr: "127.0.0.1:2377".to_owned(),
                        advertise_addr: Some("127.0.0.1".to_owned()),
                        data_path_addr: None,
                        force_new_cluster: false,
                        spec: None,
                    }),
                )?;
                json!({"node_id": node})
            }
            "swarm" => swarm_areas(&arg(&args, 1, "scope")?, &arg(&args, 2, "name")?)?,
            "service-logs" => {
                let id = arg(&args, 1, "service")?;
                let logs = call("services.logs", svc::logs(&id, all_logs()))?;
                let (stdout, stderr) = drain("services.logs", &logs)?;
                json!({"stdout": stdout, "stderr": stderr})
            }
            "swarm-remove" => {
                let service = arg(&args, 1, "service")?;
                let secret = arg(&args, 2, "secret")?;
                let config = arg(&args, 3, "config")?;
                call("services.remove", svc::remove(&service))?;
                call("secrets.remove", secrets::remove(&secret))?;
                call("configs.remove", configs::remove(&config))?;
                json!({"removed": [service, secret, config]})
            }
            other => return Err(format!("usage: unknown scenario {other:?}")),
        };
        Ok(v.to_string())
    }
}

fn system_scenario() -> R<Value> {
    let ping = call("system.ping", system::ping())?;
    let api = call("system.api-version", system::api_version())?;
    let version = call("system.version", system::version())?;
    let info = call("system.info", system::info())?;
    let df = parse("system.df", &call("system.df", system::df())?)?;
    Ok(json!({
        "ping": {"api_version": ping.api_version, "os_type": ping.os_type},
        "api_version": api,
        "version": {"version": version.version, "api_version": version.api_version,
                    "min_api_version": version.min_api_version, "os": version.os,
                    "arch": version.arch, "kernel_version": version.kernel_version},
        "info": {"id": info.id, "name": info.name, "server_version": info.server_version,
                 "containers": info.containers, "images": info.images, "driver": info.driver,
                 "os_type": info.os_type, "architecture": info.architecture,
                 "ncpu": info.ncpu, "mem_total": info.mem_total},
        "df": {"images": df["Images"].as_array().map_or(0, Vec::len),
               "has_containers": df["Containers"].is_array(),
               "has_volumes": df["Volumes"].is_array(),
               "layers_size": df["LayersSize"]},
    }))
}

/// Reads an output stream to its end, split by origin.
fn drain(what: &str, s: &OutputStream) -> R<(String, String)> {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while let Some(f) = call(what, s.next())? {
        match f.origin {
            StdStream::Stderr => err.extend(f.data),
            _ => out.extend(f.data),
        }
    }
    Ok((
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    ))
}

/// A one-file ustar archive.
fn tar_one(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[148..156].copy_from_slice(b"        ");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

/// The name and content of the first file of a tar archive.
fn untar_first(tar: &[u8]) -> R<(String, String)> {
    let h = tar.get(..512).ok_or("archive shorter than a tar header")?;
    let name_end = h[..100].iter().position(|b| *b == 0).unwrap_or(100);
    let name = String::from_utf8_lossy(&h[..name_end]).into_owned();
    let size_text = String::from_utf8_lossy(&h[124..136]);
    let size = usize::from_str_radix(size_text.trim_matches(|c: char| c == '\0' || c == ' '), 8)
        .map_err(|e| format!("tar size {size_text:?}: {e}"))?;
    let data = tar
        .get(512..512 + size)
        .ok_or("tar archive shorter than its file")?;
    Ok((name, String::from_utf8_lossy(data).into_owned()))
}

fn exec_spec(cmd: &[&str]) -> ExecSpec {
    ExecSpec {
        cmd: cmd.iter().map(|s| (*s).to_owned()).collect(),
        env: vec!["EXEC_VAR=typed".to_owned()],
        working_dir: Some("/tmp".to_owned()),
        user: None,
        privileged: false,
        tty: false,
        attach_stdin: false,
        attach_stdout: true,
        attach_stderr: true,
    }
}

fn host_config() -> HostConfig {
    HostConfig {
        binds: vec![],
        mounts: vec![],
        port_bindings: vec![PortBinding {
            container_port: "8080/tcp".to_owned(),
            host_ip: Some("127.0.0.1".to_owned()),
            host_port: None,
        }],
        publish_all_ports: false,
        network_mode: None,
        pid_mode: None,
        ipc_mode: None,
        uts_mode: None,
        userns_mode: None,
        cgroupns_mode: None,
        privileged: false,
        cap_add: vec![],
        cap_drop: vec![],
        devices: vec![],
        device_cgroup_rules: vec![],
        security_opt: vec![],
        readonly_rootfs: false,
        memory: Some(MEMORY),
        memory_swap: None,
        nano_cpus: None,
        cpu_shares: None,
        pids_limit: Some(100),
        shm_size: None,
        ulimits: vec![],
        auto_remove: false,
        restart_policy: None,
        volumes_from: vec![],
        extra_hosts: vec!["typed.example:10.0.0.1".to_owned()],
        dns: vec![],
        group_add: vec![],
        sysctls: vec![],
        tmpfs: vec![],
        init: None,
        runtime: None,
    }
}

/// The whole log, both streams, not followed.
fn all_logs() -> LogsOptions {
    LogsOptions {
        stdout: true,
        stderr: true,
        follow: false,
        timestamps: false,
        tail: None,
        since: None,
        until: None,
    }
}

fn containers(scope: &str) -> R<Value> {
    let name = format!("berth-typed-{scope}");
    let spec = ContainerSpec {
        image: IMAGE.to_owned(),
        name: Some(name.clone()),
        platform: None,
        cmd: Some(vec![
            "sh".to_owned(),
            "-c".to_owned(),
            "echo started; echo to-stderr >&2; exec sleep 3600".to_owned(),
        ]),
        entrypoint: None,
        env: vec!["TYPED_VAR=yes".to_owned()],
        labels: labels(scope),
        working_dir: Some("/tmp".to_owned()),
        user: None,
        hostname: Some("typed-host".to_owned()),
        tty: false,
        open_stdin: false,
        exposed_ports: vec!["8080/tcp".to_owned()],
        stop_signal: None,
        stop_timeout: None,
        network: None,
        network_disabled: false,
        host_config: Some(host_config()),
    };
    let created = call("containers.create", ctr::create(&spec))?;
    let id = created.id.clone();
    // From here on, report the id with any failure: the test removes it.
    containers_life(scope, &name, &id).map_err(|e| format!("{e} (container {id})"))
}

fn containers_life(scope: &str, name: &str, id: &str) -> R<Value> {
    let listed = call(
        "containers.list",
        ctr::list_containers(&ListOptions {
            all: true,
            limit: None,
            size: false,
            filters: scope_filter(scope),
        }),
    )?;
    let created_info = call("containers.inspect", ctr::inspect(id))?;
    let created_attrs = parse("inspect attrs", &created_info.attrs)?;

    let started = call("containers.start", ctr::start(id))?;
    let started_again = call("containers.start", ctr::start(id))?;
    let running = call("containers.inspect", ctr::inspect(id))?;

    let top = parse(
        "containers.top",
        &call("containers.top", ctr::top(id, None))?,
    )?;
    let stats = parse(
        "containers.stats",
        &call("containers.stats", ctr::stats(id))?,
    )?;

    call("containers.pause", ctr::pause(id))?;
    let paused = call("containers.inspect", ctr::inspect(id))?;
    call("containers.unpause", ctr::unpause(id))?;
    let unpaused = call("containers.inspect", ctr::inspect(id))?;

    let new_name = format!("{name}-renamed");
    call("containers.rename", ctr::rename(id, &new_name))?;
    let renamed = call("containers.inspect", ctr::inspect(id))?;

    let update = parse(
        "containers.update",
        &call(
            "containers.update",
            ctr::update(id, &json!({"CpuShares": 512, "PidsLimit": 200}).to_string()),
        )?,
    )?;

    call(
        "containers.archive-put",
        ctr::archive_put(id, "/tmp", &tar_one("typed.txt", FILE_TEXT.as_bytes())),
    )?;
    let stream = call(
        "containers.archive-get",
        ctr::archive_get(id, "/tmp/typed.txt"),
    )?;
    let mut tar = Vec::new();
    loop {
        let chunk = call("byte-stream.read", stream.read(64 * 1024))?;
        if chunk.is_empty() {
            break;
        }
        tar.extend(chunk);
    }
    drop(stream);
    let (archived_name, archived_text) = untar_first(&tar)?;
    let changes = parse(
        "containers.changes",
        &call("containers.changes", ctr::changes(id))?,
    )?;

    // exec: the one-call form and the create/start/inspect form.
    let ran = call(
        "exec.run",
        exec::run(
            id,
            &exec_spec(&[
                "sh",
                "-c",
                "echo exec-out $EXEC_VAR $(pwd); echo exec-err >&2; exit 4",
            ]),
        ),
    )?;
    let exec_id = call(
        "exec.create",
        exec::create(id, &exec_spec(&["sh", "-c", "cat /tmp/typed.txt; exit 5"])),
    )?;
    let session = call("exec.start", exec::start(&exec_id))?;
    let mut session_out = Vec::new();
    while let Some(f) = call("session.next", session.next())? {
        session_out.extend(f.data);
    }
    drop(session);
    let exec_info = call("exec.inspect", exec::inspect(&exec_id))?;

    let before_restart = call("containers.inspect", ctr::inspect(id))?;
    call("containers.restart", ctr::restart(id, Some(1)))?;
    let restarted = call("containers.inspect", ctr::inspect(id))?;
    // Let the restarted shell write its lines before the kill below.
    for _ in 0..100 {
        let logs = call("containers.logs", ctr::logs(id, all_logs()))?;
        let (out, err) = drain("output-stream.next", &logs)?;
        if out.matches("started").count() >= 2 && err.matches("to-stderr").count() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    call("containers.kill", ctr::kill(id, Some("SIGKILL")))?;
    let exit = call(
        "containers.wait",
        ctr::wait(id, Some(WaitCondition::NotRunning)),
    )?;
    let stopped_again = call("containers.stop", ctr::stop(id, Some(1)))?;
    let logs = call("containers.logs", ctr::logs(id, all_logs()))?;
    let (log_out, log_err) = drain("output-stream.next", &logs)?;
    drop(logs);
    let exited = call("containers.inspect", ctr::inspect(id))?;

    Ok(json!({
        "id": id,
        "listed": listed.iter().map(|c| json!({"id": c.id, "names": c.names, "image": c.image,
            "state": c.state, "labels": c.labels})).collect::<Vec<_>>(),
        "created": {"name": created_info.name, "image": created_info.image,
            "status": created_info.state.status, "labels": created_info.labels,
            "memory": created_attrs["HostConfig"]["Memory"],
            "env": created_attrs["Config"]["Env"],
            "port_bindings": created_attrs["HostConfig"]["PortBindings"]},
        "started": started,
        "started_again": started_again,
        "running": {"running": running.state.running, "pid": running.state.pid},
        "top_titles": top["Titles"],
        "top_processes": top["Processes"],
        "stats": {"id": stats["id"], "memory_limit": stats["memory_stats"]["limit"],
                  "has_cpu": stats["cpu_stats"].is_object()},
        "paused": {"status": paused.state.status, "paused": paused.state.paused},
        "unpaused": {"status": unpaused.state.status, "paused": unpaused.state.paused},
        "renamed": renamed.name,
        "update": update,
        "archive": {"name": archived_name, "text": archived_text},
        "changes": changes,
        "exec_run": {"exit_code": ran.exit_code,
                     "stdout": String::from_utf8_lossy(&ran.stdout),
                     "stderr": String::from_utf8_lossy(&ran.stderr)},
        "exec": {"id": exec_id, "output": String::from_utf8_lossy(&session_out),
                 "running": exec_info.running, "exit_code": exec_info.exit_code,
                 "container_id": exec_info.container_id},
        "restart": {"started_before": before_restart.state.started_at,
                    "started_after": restarted.state.started_at,
                    "running": restarted.state.running},
        "wait_exit": exit,
        "stopped_again": stopped_again,
        "logs": {"stdout": log_out, "stderr": log_err},
        "exited": {"status": exited.state.status, "exit_code": exited.state.exit_code,
                   "running": exited.state.running},
    }))
}

/// Reads a byte stream to its end.
fn read_all(what: &str, s: &berth::engine::common::ByteStream) -> R<Vec<u8>> {
    let mut all = Vec::new();
    loop {
        let chunk = call(what, s.read(64 * 1024))?;
        if chunk.is_empty() {
            return Ok(all);
        }
        all.extend(chunk);
    }
}

fn containers_more(scope: &str, tag: &str, since: &str) -> R<Value> {
    let since: i64 = since
        .parse()
        .map_err(|e| format!("usage: since {since:?}: {e}"))?;
    let body = json!({
        "Image": IMAGE,
        "Cmd": ["cat"],
        "Tty": true,
        "OpenStdin": true,
        "AttachStdin": true,
        "AttachStdout": true,
        "Labels": {"berth.test": "1", "berth.scope": scope},
    });
    let created = call(
        "containers.create-json",
        ctr::create_json(None, None, &body.to_string()),
    )?;
    let id = created.id;
    more_life(scope, tag, since, &id).map_err(|e| format!("{e} (container {id})"))
}

fn more_life(scope: &str, tag: &str, since: i64, id: &str) -> R<Value> {
    let session = call(
        "containers.attach",
        ctr::attach(
            id,
            berth::engine::containers::AttachOptions {
                stdin: true,
                stdout: true,
                stderr: true,
                logs: false,
            },
        ),
    )?;
    call("containers.start", ctr::start(id))?;
    call("containers.resize", ctr::resize(id, 33, 101))?;
    call(
        "session.write-stdin",
        session.write_stdin(b"typed-attach\n"),
    )?;
    let mut echoed = Vec::new();
    while !String::from_utf8_lossy(&echoed).contains("typed-attach") {
        match call("session.next", session.next())? {
            Some(f) => echoed.extend(f.data),
            None => break,
        }
    }
    drop(session);
    let size = call(
        "exec.run",
        exec::run(id, &exec_spec(&["stty", "-F", "/proc/1/fd/0", "size"])),
    )?;

    let stats = call("containers.stats-stream", ctr::stats_stream(id))?;
    let mut samples = Vec::new();
    while samples.len() < 2 {
        match call("json-stream.next", stats.next())? {
            Some(s) => samples.push(parse("stats sample", &s)?),
            None => break,
        }
    }
    drop(stats);

    let exec_id = call(
        "exec.create",
        exec::create(id, &exec_spec(&["touch", "/tmp/detached"])),
    )?;
    call("exec.start-detached", exec::start_detached(&exec_id))?;
    let mut detached = call("exec.inspect", exec::inspect(&exec_id))?;
    for _ in 0..100 {
        if !detached.running && detached.exit_code.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        detached = call("exec.inspect", exec::inspect(&exec_id))?;
    }
    let check = call(
        "exec.run",
        exec::run(id, &exec_spec(&["test", "-f", "/tmp/detached"])),
    )?;

    let export = call("containers.export-fs", ctr::export_fs(id))?;
    let fs = read_all("byte-stream.read", &export)?;
    drop(export);
    let (first_entry, _) = untar_first(&fs)?;

    let image = call(
        "containers.commit",
        ctr::commit(
            id,
            Some("busybox"),
            Some(tag),
            Some(&json!({"Labels": {"berth.test": "1", "berth.scope": scope}}).to_string()),
        ),
    )?;

    let stopped = call("containers.stop", ctr::stop(id, Some(1)))?;
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| format!("clock: {e}"))?
        .as_secs();
    let events = call(
        "system.events",
        system::events(&system::EventsOptions {
            since: Some(since),
            until: Some(i64::try_from(until).map_err(|e| e.to_string())? + 1),
            filters: vec![("container".to_owned(), vec![id.to_owned()])],
        }),
    )?;
    let mut actions = Vec::new();
    while let Some(e) = call("event-stream.next", events.next())? {
        if e.actor_id == id {
            actions.push(e.action);
        }
    }
    drop(events);
    let pruned = call("containers.prune", ctr::prune(&scope_filter(scope)))?;
    Ok(json!({
        "id": id,
        "echoed": String::from_utf8_lossy(&echoed),
        "stty_size": String::from_utf8_lossy(&size.stdout),
        "stats_samples": samples.len(),
        "stats_ids": samples.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
        "detached": {"running": detached.running, "exit_code": detached.exit_code,
                     "file_exit_code": check.exit_code},
        "export": {"bytes": fs.len(), "first_entry": first_entry},
        "commit": image,
        "stopped": stopped,
        "actions": actions,
        "pruned": pruned.deleted,
    }))
}

fn prune_more(scope: &str, network: &str) -> R<Value> {
    let body = json!({"Name": network, "Driver": "bridge",
                      "Labels": {"berth.test": "1", "berth.scope": scope}});
    let net_id = call(
        "networks.create-json",
        networks::create_json(&body.to_string()),
    )?;
    let net_pruned = call("networks.prune", networks::prune(&scope_filter(scope)))?;
    let volume = call(
        "volumes.create",
        volumes::create(&volumes::VolumeSpec {
            name: None,
            driver: None,
            driver_opts: vec![],
            labels: labels(scope),
        }),
    )?;
    let vol_pruned = call("volumes.prune", volumes::prune(&scope_filter(scope)))?;
    Ok(json!({
        "network": net_id,
        "networks_pruned": net_pruned.deleted,
        "volume": volume.name,
        "volumes_pruned": vol_pruned.deleted,
    }))
}

fn images_more() -> R<Value> {
    let remote = "127.0.0.1:5000/busybox";
    let pull = call(
        "images.pull",
        images::pull(
            remote,
            &images::PullOptions {
                tag: Some("berth-test".to_owned()),
                platform: None,
                auth: None,
                all_tags: false,
            },
        ),
    )?;
    let mut statuses = Vec::new();
    while let Some(p) = call("progress-stream.next", pull.next())? {
        statuses.extend(p.status);
    }
    drop(pull);
    let dist = parse(
        "images.distribution-inspect",
        &call(
            "images.distribution-inspect",
            images::distribution_inspect(&format!("{remote}:berth-test"), None),
        )?,
    )?;
    let saved = call("images.save", images::save(&[IMAGE.to_owned()]))?;
    let archive = read_all("byte-stream.read", &saved)?;
    drop(saved);
    let loaded = call("images.load", images::load(&archive))?;
    let login = parse(
        "system.login",
        &call(
            "system.login",
            system::login(&berth::engine::common::AuthConfig {
                username: Some("berth".to_owned()),
                password: Some("berth-secret".to_owned()),
                server_address: Some("127.0.0.1:5001".to_owned()),
                identity_token: None,
            }),
        )?,
    )?;
    let bad_login = system::login(&berth::engine::common::AuthConfig {
        username: Some("berth".to_owned()),
        password: Some("wrong".to_owned()),
        server_address: Some("127.0.0.1:5001".to_owned()),
        identity_token: None,
    });
    Ok(json!({
        "pull_statuses": statuses,
        "dist_digest": dist["Descriptor"]["digest"],
        "saved_bytes": archive.len(),
        "loaded": loaded,
        "login_status": login["Status"],
        "bad_login": format!("{bad_login:?}"),
    }))
}

fn image_tag(tag: &str) -> R<Value> {
    let list = call(
        "images.list",
        images::list_images(
            false,
            &[("reference".to_owned(), vec!["busybox".to_owned()])],
        ),
    )?;
    let info = call("images.inspect", images::inspect(IMAGE))?;
    let history = parse(
        "images.history",
        &call("images.history", images::history(IMAGE))?,
    )?;
    call("images.tag", images::tag(IMAGE, "busybox", Some(tag)))?;
    let tagged = call("images.inspect", images::inspect(&format!("busybox:{tag}")))?;
    Ok(json!({
        "listed": list.iter().map(|i| json!({"id": i.id, "repo_tags": i.repo_tags, "size": i.size}))
            .collect::<Vec<_>>(),
        "inspect": {"id": info.id, "repo_tags": info.repo_tags, "os": info.os,
                    "architecture": info.architecture, "size": info.size},
        "history": history.as_array().map_or(0, Vec::len),
        "history_first_id": history[0]["Id"],
        "tagged": {"id": tagged.id, "repo_tags": tagged.repo_tags},
    }))
}

fn network(scope: &str, name: &str, container: &str) -> R<Value> {
    let id = call(
        "networks.create",
        networks::create(&networks::NetworkSpec {
            name: name.to_owned(),
            driver: Some("bridge".to_owned()),
            internal: true,
            attachable: true,
            enable_ipv6: false,
            labels: labels(scope),
            options: vec![],
            ipam: vec![],
        }),
    )?;
    let info = call("networks.inspect", networks::inspect(&id))?;
    let listed = call(
        "networks.list",
        networks::list_networks(&scope_filter(scope)),
    )?;
    call(
        "networks.connect",
        networks::connect(
            &id,
            container,
            Some(&networks::EndpointSpec {
                aliases: vec!["typed-alias".to_owned()],
                ipv4_address: None,
                ipv6_address: None,
                links: vec![],
            }),
        ),
    )?;
    let connected = call("networks.inspect", networks::inspect(&id))?;
    Ok(json!({
        "id": id,
        "inspect": {"name": info.name, "driver": info.driver, "scope": info.scope,
                    "internal": info.internal, "attachable": info.attachable,
                    "labels": info.labels},
        "listed": listed.iter().map(|n| json!({"id": n.id, "name": n.name})).collect::<Vec<_>>(),
        "containers": connected.containers,
    }))
}

fn volume(scope: &str, name: &str) -> R<Value> {
    let created = call(
        "volumes.create",
        volumes::create(&volumes::VolumeSpec {
            name: Some(name.to_owned()),
            driver: Some("local".to_owned()),
            driver_opts: vec![],
            labels: labels(scope),
        }),
    )?;
    let info = call("volumes.inspect", volumes::inspect(name))?;
    let listed = call("volumes.list", volumes::list_volumes(&scope_filter(scope)))?;
    Ok(json!({
        "created": {"name": created.name, "driver": created.driver, "labels": created.labels},
        "inspect": {"name": info.name, "driver": info.driver, "mountpoint": info.mountpoint,
                    "scope": info.scope, "labels": info.labels,
                    "has_created_at": info.created_at.is_some()},
        "listed": listed.iter().map(|v| v.name.clone()).collect::<Vec<_>>(),
    }))
}

/// The swarm areas on a swarm the test made sure exists (see the module docs).
fn swarm_areas(scope: &str, name: &str) -> R<Value> {
    let info = call("swarm.inspect", swarm::inspect())?;
    let nodes = call("swarm.list-nodes", swarm::list_nodes(&[]))?;
    let node_id = nodes.first().map(|n| n.id.clone()).unwrap_or_default();
    let node = call("swarm.inspect-node", swarm::inspect_node(&node_id))?;

    let secret_id = call(
        "secrets.create",
        secrets::create(name, b"typed-secret-data", &labels(scope)),
    )?;
    let secret = call("secrets.inspect", secrets::inspect(&secret_id))?;
    let secret_list = call("secrets.list", secrets::list_secrets(&scope_filter(scope)))?;
    let config_id = call(
        "configs.create",
        configs::create(name, b"typed-config-data", &labels(scope)),
    )?;
    let config = call("configs.inspect", configs::inspect(&config_id))?;
    let config_list = call("configs.list", configs::list_configs(&scope_filter(scope)))?;

    let service_id = call(
        "services.create",
        svc::create(
            &ServiceSpec {
                name: name.to_owned(),
                image: SERVICE_IMAGE.to_owned(),
                command: Some(vec!["sh".to_owned(), "-c".to_owned()]),
                args: Some(vec!["echo typed-service-out; sleep 300".to_owned()]),
                env: vec!["TYPED_SVC=yes".to_owned()],
                labels: labels(scope),
                container_labels: labels(scope),
                replicas: Some(1),
                mounts: vec![],
                networks: vec![],
                ports: vec![],
                user: None,
                working_dir: Some("/tmp".to_owned()),
            },
            None,
        ),
    )?;
    let created = call("services.inspect", svc::inspect(&service_id))?;
    let mut spec = parse("services.inspect", &created.attrs)?["Spec"].clone();
    spec["Labels"]["typed.updated"] = json!("yes");
    spec["Mode"]["Replicated"]["Replicas"] = json!(2);
    spec["TaskTemplate"]["ContainerSpec"]["Secrets"] = json!([{
        "SecretID": secret_id, "SecretName": name,
        "File": {"Name": "typed-secret", "UID": "0", "GID": "0", "Mode": 292}}]);
    spec["TaskTemplate"]["ContainerSpec"]["Configs"] = json!([{
        "ConfigID": config_id, "ConfigName": name,
        "File": {"Name": "/typed-config", "UID": "0", "GID": "0", "Mode": 292}}]);
    let warnings = call(
        "services.update",
        svc::update(&service_id, created.version, &spec.to_string(), None),
    )?;
    let stale = svc::update(&service_id, created.version, &spec.to_string(), None);
    let updated = call("services.inspect", svc::inspect(&service_id))?;
    let listed = call("services.list", svc::list_services(&scope_filter(scope)))?;
    let tasks = call(
        "services.list-tasks",
        svc::list_tasks(&[("service".to_owned(), vec![service_id.clone()])]),
    )?;
    let task = match tasks.first() {
        Some(t) => Some(call("services.inspect-task", svc::inspect_task(&t.id))?),
        None => None,
    };

    let plugin_list = call("plugins.list", plugins::list_plugins(&[]))?;
    let missing = plugins::inspect(&format!("berth-typed-missing-{name}:latest"));

    Ok(json!({
        "swarm": {"id": info.id, "version": info.version, "created_at": info.created_at,
                  "has_worker_token": info.join_token_worker.starts_with("SWMTKN-"),
                  "has_manager_token": info.join_token_manager.starts_with("SWMTKN-")},
        "nodes": nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>(),
        "node": {"id": node.id, "hostname": node.hostname, "role": node.role,
                 "availability": node.availability, "state": node.state, "addr": node.addr,
                 "version": node.version},
        "secret": {"id": secret.id, "name": secret.name, "labels": secret.labels,
                   "version": secret.version, "has_created_at": !secret.created_at.is_empty()},
        "secrets_listed": secret_list.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        "config": {"id": config.id, "name": config.name, "labels": config.labels,
                   "data": String::from_utf8_lossy(&config.data),
                   "has_created_at": !config.created_at.is_empty()},
        "configs_listed": config_list.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        "service_id": service_id,
        "created": {"id": created.id, "name": created.name, "image": created.image,
                    "replicas": created.replicas, "labels": created.labels,
                    "version": created.version},
        "warnings": warnings,
        "stale_update": format!("{stale:?}"),
        "updated": {"replicas": updated.replicas, "labels": updated.labels,
                    "version": updated.version},
        "services_listed": listed.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        "tasks": tasks.iter().map(|t| json!({"id": t.id, "service_id": t.service_id,
                  "node_id": t.node_id, "desired_state": t.desired_state})).collect::<Vec<_>>(),
        "task": task.map(|t| json!({"id": t.id, "service_id": t.service_id, "node_id": t.node_id})),
        "plugins_listed": plugin_list.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        "missing_plugin": format!("{missing:?}"),
    }))
}

export!(Typed);
