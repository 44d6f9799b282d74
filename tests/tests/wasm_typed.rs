//! The engine's typed interfaces against the real daemon: `tests/guests/typed` (a Rust
//! plugin of world `plugin`, linked with the `berth-engine` component at load time) runs
//! one scenario per area through `PluginHost`, and the test checks what the plugin saw
//! and the daemon's state with the native client.
//!
//! Swarm, nodes, services, tasks, secrets, configs and plugins run in one test
//! (`swarm_areas_through_the_engine`): when the daemon is not in a swarm, the plugin
//! initialises a single-node one and the test leaves it again; a swarm that was already
//! there is left alone.

use std::path::PathBuf;
use std::process::Command;

use berth::core::options::ContainerOptions;
use berth::core::policy::Grant;
use berth::plugin::{AuditSink, HostConfig, LoadedPlugin, Outcome, PluginHost, RunReport};
use berth_tests::wasm::{build_guest, workspace};
use berth_tests::{docker, unique};
use serde_json::{Value, json};

const IMAGE: &str = "busybox:berth-test";

/// Removes, also when an assertion failed, everything labelled with the scope and the
/// named objects the test made.
struct Cleanup {
    scope: String,
    networks: Vec<String>,
    volumes: Vec<String>,
    images: Vec<String>,
}

impl Cleanup {
    fn new(scope: &str) -> Cleanup {
        Cleanup {
            scope: scope.to_owned(),
            networks: Vec::new(),
            volumes: Vec::new(),
            images: Vec::new(),
        }
    }
}

fn cli(args: &[&str]) -> String {
    Command::new("docker")
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label=berth.scope={}", self.scope);
        for id in cli(&["ps", "-aq", "--filter", &filter]).split_whitespace() {
            cli(&["rm", "-f", id]);
        }
        for n in &self.networks {
            cli(&["network", "rm", n]);
        }
        for v in &self.volumes {
            cli(&["volume", "rm", "-f", v]);
        }
        for i in &self.images {
            cli(&["rmi", i]);
        }
    }
}

/// A plugin host linking typed plugins with the engine component, and the typed guest.
async fn typed_guest() -> (PluginHost, LoadedPlugin) {
    let engine = build_guest("berth-engine");
    let guest = build_guest("berth-typed-guest");
    let config = HostConfig {
        cache_dir: Some(workspace().join("target").join("plugin-cache-tests")),
        engine_component: Some::<PathBuf>(engine),
        audit: AuditSink::Memory,
    };
    let host = PluginHost::new(docker().await, config).expect("plugin host");
    let plugin = host.load(&guest).await.expect("load the typed guest");
    assert!(
        plugin.linked_with_engine(),
        "the typed guest is linked with the engine"
    );
    (host, plugin)
}

/// A grant for the typed areas, scoped to `berth.scope=SCOPE`.
fn grant(scope: &str) -> Grant {
    Grant::from_toml(&format!(
        r#"
allow = ["system.*", "containers.*", "exec.*", "images.*", "networks.*", "volumes.*",
         "distribution.inspect", "auth.login"]
images = ["busybox", "127.0.0.1:5000/busybox"]
[labels]
"berth.scope" = "{scope}"
[limits]
deadline = "120s"
"#
    ))
    .expect("grant")
}

/// Runs one scenario; its `ok` text parsed as JSON (fails with the whole report otherwise).
async fn run(host: &PluginHost, plugin: &LoadedPlugin, scope: &str, args: &[&str]) -> Value {
    run_with(host, plugin, grant(scope), args).await
}

/// Runs one scenario under `grant`; its `ok` text parsed as JSON.
async fn run_with(host: &PluginHost, plugin: &LoadedPlugin, grant: Grant, args: &[&str]) -> Value {
    let report: RunReport = host
        .run(
            plugin,
            grant,
            args.iter().map(|s| (*s).to_owned()).collect(),
        )
        .await
        .expect("run the typed guest");
    match &report.outcome {
        Outcome::Ok(text) => {
            assert_eq!(report.denials, 0, "audit: {:#?}", report.audit);
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("plugin result is not JSON ({e}): {text}"))
        }
        other => panic!(
            "scenario {args:?} failed: {other:?}\nstderr: {}\naudit: {:#?}",
            String::from_utf8_lossy(&report.stderr),
            report.audit
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_system_calls_match_the_native_client() {
    let docker = docker().await;
    let (host, plugin) = typed_guest().await;
    let v = run(&host, &plugin, &unique("typed-sys"), &["system"]).await;
    let version = docker.version().await.expect("native version");
    let info = docker.info().await.expect("native info");
    let api = version.attrs["ApiVersion"].as_str().expect("ApiVersion");
    assert_eq!(v["version"]["api_version"], api, "{v}");
    assert_eq!(v["ping"]["api_version"], api, "{v}");
    assert_eq!(v["version"]["version"], version.attrs["Version"], "{v}");
    assert_eq!(
        v["version"]["min_api_version"], version.attrs["MinAPIVersion"],
        "{v}"
    );
    assert_eq!(v["version"]["os"], "linux", "{v}");
    assert_eq!(
        v["api_version"].as_str().map(|s| !s.is_empty()),
        Some(true),
        "{v}"
    );
    assert_eq!(v["ping"]["os_type"], "linux", "{v}");
    assert_eq!(v["info"]["id"], info.attrs["ID"], "{v}");
    assert_eq!(v["info"]["name"], info.attrs["Name"], "{v}");
    assert_eq!(v["info"]["driver"], info.attrs["Driver"], "{v}");
    assert_eq!(v["info"]["ncpu"], info.attrs["NCPU"], "{v}");
    assert_eq!(v["info"]["mem_total"], info.attrs["MemTotal"], "{v}");
    assert!(v["info"]["images"].as_u64().is_some_and(|n| n >= 1), "{v}");
    assert!(v["df"]["images"].as_u64().is_some_and(|n| n >= 1), "{v}");
    assert_eq!(v["df"]["has_containers"], true, "{v}");
    assert_eq!(v["df"]["has_volumes"], true, "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_container_lifecycle_has_real_effects() {
    let docker = docker().await;
    let (host, plugin) = typed_guest().await;
    let scope = unique("typed-ctr");
    let _cleanup = Cleanup::new(&scope);
    let v = run(&host, &plugin, &scope, &["containers", &scope]).await;
    let id = v["id"].as_str().expect("container id").to_owned();
    let name = format!("berth-typed-{scope}");

    // What the plugin saw.
    let listed = v["listed"].as_array().expect("listed");
    assert_eq!(listed.len(), 1, "{v}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["names"], json!([format!("/{name}")]));
    assert_eq!(v["created"]["name"], name.as_str(), "without the leading /");
    assert_eq!(v["created"]["image"], IMAGE);
    assert_eq!(v["created"]["status"], "created");
    assert_eq!(v["created"]["memory"], 64 * 1024 * 1024);
    assert!(
        v["created"]["env"]
            .as_array()
            .is_some_and(|e| e.contains(&json!("TYPED_VAR=yes"))),
        "{v}"
    );
    assert_eq!(
        v["created"]["port_bindings"]["8080/tcp"][0]["HostIp"],
        "127.0.0.1"
    );
    assert_eq!(v["started"], true, "{v}");
    assert_eq!(
        v["started_again"], false,
        "a second start is not modified: {v}"
    );
    assert_eq!(v["running"]["running"], true);
    assert!(v["running"]["pid"].as_i64().is_some_and(|p| p > 0), "{v}");
    assert!(
        v["top_titles"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("PID"))),
        "{v}"
    );
    assert!(v["top_processes"].to_string().contains("sleep 3600"), "{v}");
    assert_eq!(v["stats"]["id"], id.as_str());
    assert_eq!(v["stats"]["memory_limit"], 64 * 1024 * 1024);
    assert_eq!(v["stats"]["has_cpu"], true);
    assert_eq!(v["paused"]["status"], "paused");
    assert_eq!(v["paused"]["paused"], true);
    assert_eq!(v["unpaused"]["status"], "running");
    assert_eq!(v["unpaused"]["paused"], false);
    assert_eq!(v["renamed"], format!("{name}-renamed"));
    assert!(v["update"].is_object(), "{v}");
    assert_eq!(v["archive"]["name"], "typed.txt", "{v}");
    assert_eq!(v["archive"]["text"], "hello from the typed guest\n");
    assert!(
        v["changes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["Path"] == "/tmp/typed.txt")),
        "{v}"
    );
    assert_eq!(v["exec_run"]["exit_code"], 4, "{v}");
    assert_eq!(v["exec_run"]["stdout"], "exec-out typed /tmp\n", "{v}");
    assert_eq!(v["exec_run"]["stderr"], "exec-err\n", "{v}");
    assert_eq!(v["exec"]["output"], "hello from the typed guest\n", "{v}");
    assert_eq!(v["exec"]["running"], false);
    assert_eq!(v["exec"]["exit_code"], 5, "{v}");
    assert_eq!(v["exec"]["container_id"], id.as_str());
    assert_eq!(v["restart"]["running"], true);
    assert_ne!(
        v["restart"]["started_before"], v["restart"]["started_after"],
        "restart started the container again: {v}"
    );
    assert_eq!(v["wait_exit"], 137, "killed by SIGKILL: {v}");
    assert_eq!(v["stopped_again"], false, "stopping a stopped one: {v}");
    assert_eq!(
        v["logs"]["stdout"], "started\nstarted\n",
        "one line per start: {v}"
    );
    assert_eq!(v["logs"]["stderr"], "to-stderr\nto-stderr\n", "{v}");
    assert_eq!(v["exited"]["status"], "exited");
    assert_eq!(v["exited"]["exit_code"], 137);

    // The daemon's state, natively.
    let c = docker.containers().get(&id).await.expect("native inspect");
    let a = &c.attrs().attrs;
    assert_eq!(a["Name"], format!("/{name}-renamed"));
    assert_eq!(a["Config"]["Labels"]["berth.test"], "1");
    assert_eq!(a["Config"]["Labels"]["berth.scope"], scope.as_str());
    assert_eq!(a["Config"]["Hostname"], "typed-host");
    assert_eq!(a["Config"]["WorkingDir"], "/tmp");
    assert_eq!(a["HostConfig"]["Memory"], 64 * 1024 * 1024);
    assert_eq!(a["HostConfig"]["CpuShares"], 512, "the update took effect");
    assert_eq!(a["HostConfig"]["PidsLimit"], 200, "the update took effect");
    assert_eq!(
        a["HostConfig"]["ExtraHosts"],
        json!(["typed.example:10.0.0.1"])
    );
    assert!(a["Config"]["ExposedPorts"]["8080/tcp"].is_object());
    assert_eq!(a["State"]["Status"], "exited");
    assert_eq!(a["State"]["ExitCode"], 137);
    let file = docker_cp_cat(&id, "/tmp/typed.txt");
    assert_eq!(file, "hello from the typed guest\n", "archive-put wrote it");

    let v = run(&host, &plugin, &scope, &["container-remove", &id]).await;
    assert_eq!(v["removed"], id.as_str());
    let gone = docker.containers().get(&id).await;
    assert!(
        gone.as_ref().is_err_and(berth::Error::is_not_found),
        "removed: {:?}",
        gone.map(|c| c.id().to_owned())
    );
}

/// A file of a (stopped) container, read with `docker cp` (an independent reader).
fn docker_cp_cat(id: &str, path: &str) -> String {
    let out = Command::new("docker")
        .args(["cp", &format!("{id}:{path}"), "-"])
        .output()
        .expect("the docker CLI runs");
    assert!(out.status.success(), "docker cp {id}:{path} failed");
    let mut archive = tar::Archive::new(out.stdout.as_slice());
    let mut entries = archive.entries().expect("a tar stream");
    let mut entry = entries.next().expect("one file").expect("a tar entry");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).expect("utf-8 file");
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_image_calls_tag_and_untag_for_real() {
    let docker = docker().await;
    let (host, plugin) = typed_guest().await;
    let scope = unique("typed-img");
    let tag = unique("tag");
    let tagged = format!("busybox:{tag}");
    let mut cleanup = Cleanup::new(&scope);
    cleanup.images.push(tagged.clone());
    let native = docker.images().get(IMAGE).await.expect("native image");
    let image_id = native.attrs().attrs["Id"].as_str().expect("Id").to_owned();

    let v = run(&host, &plugin, &scope, &["image-tag", &tag]).await;
    assert!(
        v["listed"]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["id"] == image_id.as_str()
                && i["repo_tags"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!(IMAGE))))),
        "{v}"
    );
    assert_eq!(v["inspect"]["id"], image_id.as_str());
    assert_eq!(v["inspect"]["os"], "linux");
    assert_eq!(
        v["inspect"]["architecture"],
        native.attrs().attrs["Architecture"]
    );
    assert_eq!(v["inspect"]["size"], native.attrs().attrs["Size"]);
    assert!(v["history"].as_u64().is_some_and(|n| n >= 1), "{v}");
    assert_eq!(v["history_first_id"], image_id.as_str());
    assert_eq!(v["tagged"]["id"], image_id.as_str());
    let again = docker
        .images()
        .get(&tagged)
        .await
        .expect("the new tag exists");
    assert_eq!(again.attrs().attrs["Id"], image_id.as_str());

    let v = run(&host, &plugin, &scope, &["image-untag", &tag]).await;
    assert_eq!(v["untagged"], json!([format!("{tagged}")]), "{v}");
    assert_eq!(v["deleted"], json!([]), "only the tag went: {v}");
    assert!(
        docker
            .images()
            .get(&tagged)
            .await
            .is_err_and(|e| e.is_not_found()),
        "the tag is gone"
    );
    docker.images().get(IMAGE).await.expect("the image stays");
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_networks_and_volumes_have_real_effects() {
    let docker = docker().await;
    let (host, plugin) = typed_guest().await;
    let scope = unique("typed-net");
    let net = unique("net");
    let vol = unique("vol");
    let mut cleanup = Cleanup::new(&scope);
    cleanup.networks.push(net.clone());
    cleanup.volumes.push(vol.clone());
    let c = docker
        .containers()
        .create(
            &ContainerOptions::new(IMAGE)
                .cmd(["sleep", "3600"])
                .label("berth.test", "1")
                .label("berth.scope", scope.as_str()),
        )
        .await
        .expect("create a container");
    c.start().await.expect("start");

    let v = run(&host, &plugin, &scope, &["network", &scope, &net, c.id()]).await;
    let net_id = v["id"].as_str().expect("network id").to_owned();
    assert_eq!(v["inspect"]["name"], net.as_str());
    assert_eq!(v["inspect"]["driver"], "bridge");
    assert_eq!(v["inspect"]["scope"], "local");
    assert_eq!(v["inspect"]["internal"], true);
    assert_eq!(v["inspect"]["attachable"], true);
    assert!(
        v["inspect"]["labels"]
            .to_string()
            .contains(&format!("[\"berth.scope\",\"{scope}\"]")),
        "{v}"
    );
    assert_eq!(v["listed"], json!([{"id": net_id, "name": net}]), "{v}");
    assert_eq!(v["containers"], json!([c.id()]), "{v}");
    let n = docker.networks().get(&net).await.expect("native inspect");
    let a = &n.attrs().attrs;
    assert_eq!(a["Id"], net_id.as_str());
    assert_eq!(a["Labels"]["berth.test"], "1");
    assert!(a["Containers"][c.id()].is_object(), "connected: {a:?}");
    let ci = docker.containers().get(c.id()).await.expect("inspect");
    assert!(
        ci.attrs().attrs["NetworkSettings"]["Networks"][&net]["Aliases"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("typed-alias"))),
        "the endpoint's alias: {:?}",
        ci.attrs().attrs["NetworkSettings"]["Networks"]
    );

    let v = run(&host, &plugin, &scope, &["network-remove", &net, c.id()]).await;
    assert_eq!(v["containers_after_disconnect"], json!([]), "{v}");
    assert!(
        docker
            .networks()
            .get(&net)
            .await
            .is_err_and(|e| e.is_not_found()),
        "the network is gone"
    );

    let v = run(&host, &plugin, &scope, &["volume", &scope, &vol]).await;
    assert_eq!(v["created"]["name"], vol.as_str());
    assert_eq!(v["created"]["driver"], "local");
    assert_eq!(v["inspect"]["name"], vol.as_str());
    assert_eq!(v["inspect"]["scope"], "local");
    assert_eq!(v["inspect"]["has_created_at"], true);
    assert!(
        v["inspect"]["mountpoint"]
            .as_str()
            .is_some_and(|m| m.contains(&vol)),
        "{v}"
    );
    assert_eq!(v["listed"], json!([vol]), "{v}");
    let nv = docker.volumes().get(&vol).await.expect("native inspect");
    assert_eq!(nv.attrs().attrs["Labels"]["berth.test"], "1");
    assert_eq!(nv.attrs().attrs["Labels"]["berth.scope"], scope.as_str());

    let v = run(&host, &plugin, &scope, &["volume-remove", &vol]).await;
    assert_eq!(v["removed"], vol.as_str());
    assert!(
        docker
            .volumes()
            .get(&vol)
            .await
            .is_err_and(|e| e.is_not_found()),
        "the volume is gone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_container_streams_commit_events_and_prune() {
    let docker = docker().await;
    let (host, plugin) = typed_guest().await;
    let scope = unique("typed-more");
    let tag = unique("commit");
    let committed = format!("busybox:{tag}");
    let mut cleanup = Cleanup::new(&scope);
    cleanup.images.push(committed.clone());
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 1;
    let v = run(
        &host,
        &plugin,
        &scope,
        &["containers-more", &scope, &tag, &since.to_string()],
    )
    .await;
    let id = v["id"].as_str().expect("container id").to_owned();
    assert!(
        v["echoed"]
            .as_str()
            .is_some_and(|e| e.contains("typed-attach")),
        "attach echoed stdin back through the tty: {v}"
    );
    assert_eq!(v["stty_size"], "33 101\n", "resize reached the tty: {v}");
    assert_eq!(v["stats_samples"], 2, "{v}");
    assert_eq!(v["stats_ids"], json!([id, id]), "{v}");
    assert_eq!(v["detached"]["running"], false, "{v}");
    assert_eq!(v["detached"]["exit_code"], 0, "{v}");
    assert_eq!(
        v["detached"]["file_exit_code"], 0,
        "the detached exec ran: {v}"
    );
    assert!(
        v["export"]["bytes"].as_u64().is_some_and(|n| n > 100_000),
        "{v}"
    );
    assert!(
        v["export"]["first_entry"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{v}"
    );
    assert_eq!(v["stopped"], true, "{v}");
    for action in [
        "create", "attach", "start", "resize", "commit", "die", "stop",
    ] {
        assert!(
            v["actions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == action)),
            "event {action} seen: {v}"
        );
    }
    assert_eq!(
        v["pruned"],
        json!([id]),
        "prune took the stopped container: {v}"
    );

    // Natively: the commit is an image with the committed labels, the container is gone.
    let image = docker
        .images()
        .get(&committed)
        .await
        .expect("the committed image exists");
    let a = &image.attrs().attrs;
    assert_eq!(a["Id"], v["commit"], "{v}");
    assert_eq!(a["Config"]["Labels"]["berth.scope"], scope.as_str());
    assert_eq!(a["Container"], id.as_str(), "committed from the container");
    assert!(
        docker
            .containers()
            .get(&id)
            .await
            .is_err_and(|e| e.is_not_found()),
        "pruned"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_prune_removes_only_the_scope() {
    let docker = docker().await;
    let (host, plugin) = typed_guest().await;
    let scope = unique("typed-prune");
    let net = unique("net");
    let mut cleanup = Cleanup::new(&scope);
    cleanup.networks.push(net.clone());
    let v = run(&host, &plugin, &scope, &["prune-more", &scope, &net]).await;
    let volume = v["volume"].as_str().expect("volume name").to_owned();
    cleanup.volumes.push(volume.clone());
    assert_eq!(v["networks_pruned"], json!([net]), "{v}");
    assert_eq!(v["volumes_pruned"], json!([volume]), "{v}");
    assert!(
        docker
            .networks()
            .get(&net)
            .await
            .is_err_and(|e| e.is_not_found()),
        "the network was pruned"
    );
    assert!(
        docker
            .volumes()
            .get(&volume)
            .await
            .is_err_and(|e| e.is_not_found()),
        "the volume was pruned"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_registry_calls_pull_save_load_and_login() {
    let docker = docker().await;
    let (host, plugin) = typed_guest().await;
    let scope = unique("typed-reg");
    let remote = "127.0.0.1:5000/busybox:berth-test";
    let mut cleanup = Cleanup::new(&scope);
    if docker
        .images()
        .get(remote)
        .await
        .is_err_and(|e| e.is_not_found())
    {
        // Pulled by this test: untag it again afterwards.
        cleanup.images.push(remote.to_owned());
    }
    // images.load cannot have its image names checked: the scoped grant refuses it,
    // and the refusal reaches the plugin as a typed error.
    let report = host
        .run(&plugin, grant(&scope), vec!["images-more".to_owned()])
        .await
        .expect("run");
    assert!(
        matches!(&report.outcome, Outcome::Err(m)
            if m.starts_with("images.load: ErrorCode::PolicyDenied")),
        "{:?}",
        report.outcome
    );
    assert!(report.denials >= 1);
    let mut any_image = grant(&scope);
    any_image.allow_image("*").expect("images = *");
    let v = run_with(&host, &plugin, any_image, &["images-more"]).await;
    let pulled = docker.images().get(remote).await.expect("the pulled image");
    assert!(
        v["pull_statuses"].as_array().is_some_and(|s| s
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.contains("berth-test")))),
        "the pull reported its status: {v}"
    );
    let digests = pulled.attrs().attrs["RepoDigests"].to_string();
    let digest = v["dist_digest"].as_str().expect("a digest");
    assert!(digests.contains(digest), "{digest} in {digests}");
    assert!(
        v["saved_bytes"].as_u64().is_some_and(|n| n > 100_000),
        "{v}"
    );
    assert_eq!(v["loaded"], json!([IMAGE]), "{v}");
    assert_eq!(v["login_status"], "Login Succeeded", "{v}");
    assert!(
        v["bad_login"]
            .as_str()
            .is_some_and(|e| e.starts_with("Err(ErrorCode::Unauthorized")),
        "a wrong password is refused: {v}"
    );
}

/// A grant for the swarm areas, scoped to `berth.scope=SCOPE`.
fn swarm_grant(scope: &str) -> Grant {
    Grant::from_toml(&format!(
        r#"
allow = ["swarm.*", "nodes.*", "services.*", "tasks.*", "secrets.*", "configs.*",
         "plugins.list", "plugins.inspect"]
images = ["127.0.0.1:5000/busybox"]
[labels]
"berth.scope" = "{scope}"
[limits]
deadline = "120s"
"#
    ))
    .expect("grant")
}

/// Removes the service, secret and config named `name` (pass or fail), then, when the
/// test initialised the swarm, force-leaves it and removes the `docker_gwbridge`
/// network swarm mode leaves behind.
struct SwarmCleanup {
    scope: String,
    name: String,
    initialised: bool,
}

impl Drop for SwarmCleanup {
    fn drop(&mut self) {
        cli(&["service", "rm", &self.name]);
        cli(&["secret", "rm", &self.name]);
        cli(&["config", "rm", &self.name]);
        if self.initialised {
            cli(&["swarm", "leave", "--force"]);
            cli(&["network", "rm", "docker_gwbridge"]);
        }
        // Task containers a forced leave left behind.
        let filter = format!("label=berth.scope={}", self.scope);
        for id in cli(&["ps", "-aq", "--filter", &filter]).split_whitespace() {
            cli(&["rm", "-f", id]);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn swarm_areas_through_the_engine() {
    let docker = docker().await;
    let (host, plugin) = typed_guest().await;
    let scope = unique("typed-swarm");
    let name = unique("typed-swarm");
    let info = docker.info().await.expect("native info");
    let state = info.attrs["Swarm"]["LocalNodeState"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut cleanup = SwarmCleanup {
        scope: scope.clone(),
        name: name.clone(),
        initialised: false,
    };
    if state != "active" {
        assert_eq!(state, "inactive", "the daemon's swarm state: {info:?}");
        cleanup.initialised = true;
        let v = run_with(&host, &plugin, swarm_grant(&scope), &["swarm-init"]).await;
        let node = v["node_id"].as_str().expect("the new node's id");
        let info = docker.info().await.expect("native info");
        assert_eq!(info.attrs["Swarm"]["LocalNodeState"], "active");
        assert_eq!(info.attrs["Swarm"]["NodeID"], node, "{v}");
        assert_eq!(info.attrs["Swarm"]["NodeAddr"], "127.0.0.1");
    }

    let v = run_with(
        &host,
        &plugin,
        swarm_grant(&scope),
        &["swarm", &scope, &name],
    )
    .await;

    // The swarm and its node, as the native client sees them.
    let mut swarm = docker.swarm();
    swarm.reload().await.expect("native swarm inspect");
    assert_eq!(v["swarm"]["id"], swarm.id().expect("swarm id"), "{v}");
    assert!(v["swarm"]["version"].as_u64().is_some_and(|n| n > 0), "{v}");
    assert_eq!(v["swarm"]["has_worker_token"], true, "{v}");
    assert_eq!(v["swarm"]["has_manager_token"], true, "{v}");
    let node_id = info.attrs["Swarm"]["NodeID"].as_str().map(str::to_owned);
    let node = docker
        .nodes()
        .get(v["node"]["id"].as_str().expect("node id"))
        .await
        .expect("native node inspect");
    if let Some(id) = node_id.filter(|id| !id.is_empty()) {
        assert_eq!(node.id(), id, "the swarm that was already there: {v}");
    }
    assert!(
        v["nodes"]
            .as_array()
            .is_some_and(|n| n.contains(&json!(node.id()))),
        "{v}"
    );
    assert_eq!(v["node"]["hostname"], node.hostname().expect("hostname"));
    assert_eq!(v["node"]["role"], "manager", "{v}");
    assert_eq!(v["node"]["availability"], "active", "{v}");
    assert_eq!(v["node"]["state"], "ready", "{v}");
    assert_eq!(v["node"]["version"], node.version().expect("node version"));

    // The secret and the config.
    let secret: Value = serde_json::from_str(&berth_tests::docker_cli(&[
        "secret",
        "inspect",
        "--format",
        "{{json .}}",
        &name,
    ]))
    .expect("secret JSON");
    assert_eq!(v["secret"]["id"], secret["ID"], "{v}");
    assert_eq!(v["secret"]["name"], name.as_str());
    assert_eq!(secret["Spec"]["Labels"]["berth.test"], "1");
    assert_eq!(secret["Spec"]["Labels"]["berth.scope"], scope.as_str());
    assert_eq!(v["secret"]["has_created_at"], true, "{v}");
    assert_eq!(v["secrets_listed"], json!([secret["ID"]]), "{v}");
    let config: Value = serde_json::from_str(&berth_tests::docker_cli(&[
        "config",
        "inspect",
        "--format",
        "{{json .}}",
        &name,
    ]))
    .expect("config JSON");
    assert_eq!(v["config"]["id"], config["ID"], "{v}");
    assert_eq!(v["config"]["name"], name.as_str());
    assert_eq!(v["config"]["data"], "typed-config-data", "{v}");
    assert_eq!(config["Spec"]["Labels"]["berth.scope"], scope.as_str());
    assert_eq!(v["configs_listed"], json!([config["ID"]]), "{v}");

    // The service: created typed, then updated with a label, replicas, secret, config.
    let service_id = v["service_id"].as_str().expect("service id").to_owned();
    assert_eq!(v["created"]["id"], service_id.as_str());
    assert_eq!(v["created"]["name"], name.as_str());
    assert_eq!(v["created"]["replicas"], 1, "{v}");
    assert!(
        v["created"]["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("127.0.0.1:5000/busybox:berth-test")),
        "{v}"
    );
    assert!(
        v["stale_update"].as_str().is_some_and(
            |e| e.starts_with("Err(ErrorCode::Server(") && e.contains("out of sequence")
        ),
        "an update with the old version is refused: {v}"
    );
    assert_eq!(v["updated"]["replicas"], 2, "{v}");
    assert!(
        v["updated"]["version"].as_u64() > v["created"]["version"].as_u64(),
        "{v}"
    );
    assert_eq!(v["services_listed"], json!([service_id]), "{v}");
    let service = docker
        .services()
        .get(&service_id)
        .await
        .expect("native service inspect");
    let spec = service.spec();
    assert_eq!(spec["Name"], name.as_str());
    assert_eq!(spec["Labels"]["berth.test"], "1");
    assert_eq!(spec["Labels"]["berth.scope"], scope.as_str());
    assert_eq!(spec["Labels"]["typed.updated"], "yes");
    assert_eq!(spec["Mode"]["Replicated"]["Replicas"], 2);
    let cs = &spec["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Command"], json!(["sh", "-c"]));
    assert_eq!(cs["Env"], json!(["TYPED_SVC=yes"]));
    assert_eq!(cs["Dir"], "/tmp");
    assert_eq!(cs["Labels"]["berth.scope"], scope.as_str());
    assert_eq!(cs["Secrets"][0]["SecretID"], secret["ID"], "{spec}");
    assert_eq!(cs["Configs"][0]["ConfigID"], config["ID"], "{spec}");
    assert_eq!(service.version(), v["updated"]["version"].as_u64());

    // Its tasks, as the plugin listed them and natively.
    let native_tasks = docker
        .tasks()
        .list(&berth::core::request::Filters::new().with("service", service_id.as_str()))
        .await
        .expect("native task list");
    let plugin_tasks = v["tasks"].as_array().expect("tasks");
    assert!(!plugin_tasks.is_empty(), "the service has tasks: {v}");
    for t in plugin_tasks {
        assert_eq!(t["service_id"], service_id.as_str(), "{v}");
        assert!(
            native_tasks.iter().any(|n| n.attrs["ID"] == t["id"]),
            "task {t} natively: {native_tasks:?}"
        );
    }
    assert_eq!(v["task"]["id"], plugin_tasks[0]["id"], "{v}");
    assert_eq!(v["task"]["service_id"], service_id.as_str(), "{v}");

    // The service's logs, once a task has started and written its line.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let l = run_with(
            &host,
            &plugin,
            swarm_grant(&scope),
            &["service-logs", &service_id],
        )
        .await;
        if l["stdout"]
            .as_str()
            .is_some_and(|o| o.contains("typed-service-out"))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no service output within 60s: {l}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }

    // Plugins: the list matches the daemon's; a missing one is not-found.
    let plugins = berth_tests::docker_cli(&["plugin", "ls", "--format", "{{.Name}}"]);
    let native_plugins: Vec<String> = plugins.lines().map(str::to_owned).collect();
    let listed: Vec<String> = v["plugins_listed"]
        .as_array()
        .expect("plugins")
        .iter()
        .filter_map(|p| p.as_str().map(|p| p.trim_end_matches(":latest").to_owned()))
        .collect();
    let native_plugins: Vec<String> = native_plugins
        .iter()
        .map(|p| p.trim_end_matches(":latest").to_owned())
        .collect();
    assert_eq!(listed, native_plugins, "{v}");
    assert!(
        v["missing_plugin"]
            .as_str()
            .is_some_and(|e| e.starts_with("Err(ErrorCode::NotFound(DaemonError { status: 404")),
        "{v}"
    );

    // Removal through the engine.
    let secret_id = secret["ID"].as_str().expect("secret id").to_owned();
    let config_id = config["ID"].as_str().expect("config id").to_owned();
    let r = run_with(
        &host,
        &plugin,
        swarm_grant(&scope),
        &["swarm-remove", &service_id, &secret_id, &config_id],
    )
    .await;
    assert_eq!(r["removed"], json!([service_id, secret_id, config_id]));
    assert!(
        docker
            .services()
            .get(&service_id)
            .await
            .is_err_and(|e| e.is_not_found()),
        "the service is gone"
    );
    assert!(
        docker
            .secrets()
            .get(&secret_id)
            .await
            .is_err_and(|e| e.is_not_found()),
        "the secret is gone"
    );
    let configs =
        berth_tests::docker_cli(&["config", "ls", "-q", "--filter", &format!("name={name}")]);
    assert_eq!(configs, "", "the config is gone");
    // The swarm removes the task containers (labelled with the scope) of the service.
    let filter = format!("label=berth.scope={scope}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let left = berth_tests::docker_cli(&["ps", "-aq", "--filter", &filter]);
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "task containers still there after 60s: {left}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    drop(cleanup);
}
