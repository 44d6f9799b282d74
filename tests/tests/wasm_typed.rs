//! The engine's typed interfaces against the real daemon: `tests/guests/typed` (a Rust
//! plugin of world `plugin`, linked with the `berth-engine` component at load time) runs
//! one scenario per area through `PluginHost`, and the test checks what the plugin saw
//! and the daemon's state with the native client.
//!
//! Swarm, services, secrets and configs are not covered here: they need a swarm, and
//! this suite neither initialises nor leaves one (tests/tests/swarm.rs owns that).

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
