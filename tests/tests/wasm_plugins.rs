//! The wasm plugin host against the real daemon: the raw-transport example doing real
//! work, and the hostile-plugin suite (every attack denied or stopped, with its audit
//! entry, the daemon unchanged, and the host still serving other plugins).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth::core::policy::Grant;
use berth::plugin::{AuditSink, HostConfig, LoadedPlugin, Outcome, PluginHost, RunReport, Stop};
use berth_tests::wasm::{build_guest, workspace};
use berth_tests::{docker, docker_cli, unique};
use serde_json::Value;

const HOSTILE: &str = "berth-hostile-guest";
const EXAMPLE: &str = "berth-example-raw-plugin";

fn cache_dir() -> PathBuf {
    workspace().join("target").join("plugin-cache-tests")
}

async fn host_with(audit: AuditSink) -> PluginHost {
    let config = HostConfig {
        cache_dir: Some(cache_dir()),
        engine_component: None,
        audit,
    };
    PluginHost::new(docker().await, config).expect("plugin host")
}

async fn host() -> PluginHost {
    host_with(AuditSink::Memory).await
}

async fn load(host: &PluginHost, package: &str) -> LoadedPlugin {
    let file = build_guest(package);
    host.load(&file).await.expect("load the guest")
}

/// Removes containers (and volumes) on drop, also when an assertion failed.
struct Cleanup {
    containers: Vec<String>,
    volumes: Vec<String>,
}

impl Cleanup {
    fn new() -> Cleanup {
        Cleanup {
            containers: Vec::new(),
            volumes: Vec::new(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f", c])
                .output();
        }
        for v in &self.volumes {
            let _ = std::process::Command::new("docker")
                .args(["volume", "rm", "-f", v])
                .output();
        }
    }
}

/// A running container with `labels` (plus `berth.test=1`), removed by `cleanup`.
fn container(cleanup: &mut Cleanup, labels: &[&str], cmd: &[&str]) -> String {
    let mut args = vec!["run", "-d", "--label", "berth.test=1"];
    for l in labels {
        args.extend(["--label", l]);
    }
    args.push("busybox:berth-test");
    args.extend(cmd);
    let id = docker_cli(&args);
    cleanup.containers.push(id.clone());
    id
}

/// Ids of containers with `label` (the daemon's view, through the docker CLI).
fn containers_with(label: &str) -> Vec<String> {
    let out = docker_cli(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label={label}"),
    ]);
    out.lines().map(str::to_owned).collect()
}

/// Asserts no container carries `label`, removing any that does.
fn assert_none_created(label: &str, what: &str) {
    let leaked = containers_with(label);
    for id in &leaked {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", id])
            .output();
    }
    assert!(leaked.is_empty(), "{what} created a container");
}

/// A scope label unique to one test, and a grant scoped to it that allows the areas
/// the attacks go through (so each attack meets the rule it targets).
fn scope() -> (String, Grant) {
    let value = unique("hostile");
    let grant = Grant::from_toml(&format!(
        r#"
allow = ["containers.*", "exec.*", "images.pull", "volumes.*", "system.*"]
images = ["busybox:berth-test"]
[labels]
"berth.hostile" = "{value}"
[limits]
deadline = "20s"
"#
    ))
    .expect("grant");
    (format!("berth.hostile={value}"), grant)
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The audit lines of a run, parsed.
fn audit(report: &RunReport) -> Vec<Value> {
    report
        .audit
        .iter()
        .map(|l| serde_json::from_str(l).expect("audit lines are JSON"))
        .collect()
}

/// Runs an attack that returns its per-request outcomes as JSON.
async fn attack(
    host: &PluginHost,
    plugin: &LoadedPlugin,
    grant: Grant,
    a: &[&str],
) -> (Vec<Value>, RunReport) {
    let report = host.run(plugin, grant, args(a)).await.expect("run");
    let Outcome::Ok(text) = &report.outcome else {
        panic!(
            "attack {a:?} did not finish: {:?}\nstderr: {}",
            report.outcome,
            String::from_utf8_lossy(&report.stderr)
        );
    };
    let v: Value = serde_json::from_str(text).expect("the guest reports JSON");
    (v.as_array().cloned().unwrap_or_default(), report)
}

/// Every attempt was refused by the policy with `rule`, and the audit log says so.
fn assert_denied(results: &[Value], report: &RunReport, rule: &str) {
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["outcome"], "denied", "{r}");
        assert_eq!(r["kind"], "policy-denied", "{r}");
        let detail = r["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(&format!("({rule})")),
            "expected rule {rule}: {r}"
        );
    }
    let denials: Vec<Value> = audit(report)
        .into_iter()
        .filter(|e| e["decision"] == "deny")
        .collect();
    assert_eq!(denials.len(), results.len(), "{:?}", report.audit);
    for d in &denials {
        assert_eq!(d["rule"], rule, "{d}");
        assert_eq!(d["plugin"], "berth_hostile_guest");
        assert!(d["reason"].as_str().is_some_and(|r| !r.is_empty()));
    }
    assert_eq!(report.denials, results.len());
}

/// The host still serves a well-behaved plugin: the example reports a labelled
/// container.
async fn serves_others(host: &PluginHost) {
    let example = load(host, EXAMPLE).await;
    let label = format!("berth.example={}", unique("alive"));
    let mut cleanup = Cleanup::new();
    let id = container(&mut cleanup, &[&label], &["sleep", "30"]);
    let mut grant = Grant::deny_all();
    grant.merge_flag("allow", "containers.list").expect("flag");
    grant
        .merge_flag("allow", "containers.inspect")
        .expect("flag");
    grant.merge_flag("label", &label).expect("flag");
    let report = host
        .run(&example, grant, vec![label.clone()])
        .await
        .expect("run");
    let Outcome::Ok(text) = &report.outcome else {
        panic!("the example failed after an attack: {:?}", report.outcome);
    };
    let v: Value = serde_json::from_str(text).expect("JSON");
    assert_eq!(v["containers"][0]["id"], id.as_str(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_example_reports_the_labelled_containers() {
    let host = host().await;
    let plugin = load(&host, EXAMPLE).await;
    let label = format!("berth.example={}", unique("report"));
    let mut cleanup = Cleanup::new();
    let running = container(&mut cleanup, &[&label], &["sleep", "60"]);
    let exited = container(&mut cleanup, &[&label], &["sh", "-c", "exit 3"]);
    docker_cli(&["wait", &exited]);
    // Same test label, not the plugin's: it must not show up.
    let other = container(&mut cleanup, &[], &["sleep", "60"]);

    let mut grant = Grant::deny_all();
    grant.merge_flag("allow", "containers.list").expect("flag");
    grant
        .merge_flag("allow", "containers.inspect")
        .expect("flag");
    grant.merge_flag("label", &label).expect("flag");
    let report = host
        .run(&plugin, grant, vec![label.clone()])
        .await
        .expect("run");
    let Outcome::Ok(text) = &report.outcome else {
        panic!(
            "{:?} {}",
            report.outcome,
            String::from_utf8_lossy(&report.stderr)
        );
    };
    let v: Value = serde_json::from_str(text).expect("JSON");
    assert_eq!(v["label"], label.as_str());
    let list = v["containers"].as_array().expect("containers");
    assert_eq!(list.len(), 2, "{v}");
    let find = |id: &str| {
        list.iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing from {v}"))
    };
    let r = find(&running);
    assert_eq!(r["state"], "running");
    assert_eq!(r["image"], "busybox:berth-test");
    let uptime = r["uptime_seconds"]
        .as_i64()
        .expect("uptime of a running container");
    assert!((0..120).contains(&uptime), "{r}");
    let name = docker_cli(&["inspect", "--format", "{{.Name}}", &running]);
    assert_eq!(r["name"], name.trim_start_matches('/'));
    let e = find(&exited);
    assert_eq!(e["state"], "exited");
    assert_eq!(e["exit_code"], 3);
    assert!(e["uptime_seconds"].is_null());
    assert!(!text.contains(&other));
    assert_eq!(report.denials, 0);
    // list + 2 inspects (each with its label lookup), all allowed and audited.
    let entries = audit(&report);
    assert_eq!(entries.len(), 3, "{:?}", report.audit);
    assert!(entries.iter().all(|e| e["decision"] == "allow"));
    assert!(report.peak_memory > 0 && report.peak_memory < 16 << 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dangerous_creates_are_denied_and_nothing_is_created() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let cases = [
        ("privileged", "privileged"),
        ("bind-root", "docker-socket"),
        ("bind-docker-sock", "docker-socket"),
        ("mount-bind", "bind-path"),
        ("host-namespaces", ""),
        ("devices", "devices"),
        ("cap-add-all", "cap-add"),
        ("seccomp-unconfined", "security-opt-unconfined"),
        ("streamed-create", "privileged"),
        ("unlabelled-create", "unlabelled-create"),
    ];
    for (attack_name, rule) in cases {
        let (label, grant) = scope();
        let (results, report) = attack(&host, &plugin, grant, &[attack_name, "", &label]).await;
        if attack_name == "host-namespaces" {
            let rules = ["host-network", "host-pid", "host-ipc", "host-uts"];
            assert_eq!(results.len(), 4);
            for (r, rule) in results.iter().zip(rules) {
                assert_denied(std::slice::from_ref(r), &report_for(&report, rule), rule);
            }
        } else {
            assert_denied(&results, &report, rule);
        }
        assert_none_created(&label, attack_name);
    }
    serves_others(&host).await;
}

/// A copy of `report` holding only the audit denial with `rule` (to check several
/// rules of one run one by one).
fn report_for(report: &RunReport, rule: &str) -> RunReport {
    let mut r = report.clone();
    r.audit
        .retain(|l| l.contains(&format!(r#""rule":"{rule}""#)));
    r.denials = r.audit.len();
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_volumes_are_denied() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let mut cleanup = Cleanup::new();
    for (device, rule) in [("/", "docker-socket"), ("/etc", "bind-path")] {
        let (label, grant) = scope();
        let name = unique("bindvol");
        cleanup.volumes.push(name.clone());
        let (results, report) = attack(
            &host,
            &plugin,
            grant,
            &["volume-bind", &name, &label, device],
        )
        .await;
        assert_denied(&results, &report, rule);
        let out = std::process::Command::new("docker")
            .args(["volume", "inspect", &name])
            .output()
            .expect("docker");
        assert!(!out.status.success(), "the bind volume of {device} exists");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_in_a_granted_directory_is_judged_by_where_it_leads() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let mut cleanup = Cleanup::new();
    let dir = std::env::temp_dir().join(unique("berth-binds"));
    std::fs::create_dir_all(dir.join("real")).expect("dirs");
    std::os::unix::fs::symlink("/etc", dir.join("link")).expect("symlink");
    std::os::unix::fs::symlink("/var/run/docker.sock", dir.join("sock")).expect("symlink");
    let granted = dir.to_str().expect("utf-8").to_owned();
    let volume_exists = |name: &str| {
        std::process::Command::new("docker")
            .args(["volume", "inspect", name])
            .output()
            .expect("docker")
            .status
            .success()
    };
    // By name all three are inside the granted directory; `real` is no symlink.
    for (inside, rule) in [
        ("link", Some("bind-path")),
        ("sock", Some("docker-socket")),
        ("real", None),
    ] {
        let (label, mut grant) = scope();
        grant.allow_bind(&granted).expect("bind grant");
        let name = unique("symvol");
        cleanup.volumes.push(name.clone());
        let device = format!("{granted}/{inside}");
        let (results, report) = attack(
            &host,
            &plugin,
            grant,
            &["volume-bind", &name, &label, &device],
        )
        .await;
        if let Some(rule) = rule {
            assert_denied(&results, &report, rule);
            let reason = audit(&report)[0]["reason"].to_string();
            assert!(reason.contains("symlink"), "{reason}");
            assert!(!volume_exists(&name), "the bind volume of {device} exists");
        } else {
            assert_eq!(report.denials, 0, "{results:?} {:?}", report.audit);
            assert!(volume_exists(&name), "{results:?}");
        }
    }
    drop(cleanup);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_outside_the_label_are_untouchable_and_invisible() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (label, grant) = scope();
    let mut cleanup = Cleanup::new();
    let outside = container(&mut cleanup, &[], &["sleep", "60"]);
    let inside = container(&mut cleanup, &[&label], &["sleep", "60"]);

    let (results, report) = attack(
        &host,
        &plugin,
        grant.clone(),
        &["outside-label", &outside, &label],
    )
    .await;
    assert_eq!(results.len(), 5);
    assert_denied(&results, &report, "unlabelled-object");
    // Still there, still running.
    assert_eq!(
        docker_cli(&["inspect", "--format", "{{.State.Running}}", &outside]),
        "true"
    );

    let report = host
        .run(&plugin, grant, args(&["list", "", &label]))
        .await
        .expect("run");
    let Outcome::Ok(text) = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    let ids: Vec<String> = serde_json::from_str(text).expect("ids");
    assert_eq!(
        ids,
        vec![inside.clone()],
        "the plugin saw containers outside its label"
    );
    serves_others(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulling_from_a_registry_not_granted_is_denied() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (label, grant) = scope();
    let image = "127.0.0.1:5000/busybox:berth-test";
    let _ = std::process::Command::new("docker")
        .args(["rmi", image])
        .output();
    let (results, report) = attack(&host, &plugin, grant, &["pull", image, &label]).await;
    assert_denied(&results, &report, "image-not-allowed");
    let out = std::process::Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .expect("docker");
    assert!(!out.status.success(), "the image was pulled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_requests_crafted_to_bypass_the_checks_are_denied() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (label, grant) = scope();
    let (results, report) = attack(&host, &plugin, grant, &["raw-bypass", "", &label]).await;
    assert!(results.len() >= 15, "{results:?}");
    for r in &results {
        assert_eq!(r["outcome"], "denied", "a crafted request got through: {r}");
    }
    let entries = audit(&report);
    assert_eq!(report.denials, results.len());
    assert!(
        entries
            .iter()
            .all(|e| e["decision"] == "deny" && e["rule"].is_string()),
        "{entries:?}"
    );
    for rule in ["ambiguous-json", "privileged", "method"] {
        assert!(
            entries.iter().any(|e| e["rule"] == rule),
            "no {rule} denial in {entries:?}"
        );
    }
    assert_none_created(&label, "a crafted request");
    serves_others(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_on_live_containers_and_request_rate_are_enforced() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;

    // At most 2 live containers: the third create is refused before it leaves.
    let (label, mut grant) = scope();
    grant.merge_flag("max-containers", "2").expect("flag");
    let (results, report) = attack(&host, &plugin, grant, &["create-many", "3", &label]).await;
    let created = containers_with(&label);
    for id in &created {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", id])
            .output();
    }
    assert_eq!(results.len(), 3, "{results:?}");
    for r in &results[..2] {
        assert_eq!(r["outcome"], "allowed", "{r}");
        assert_eq!(r["status"], 201, "{r}");
    }
    assert_denied(&results[2..], &report, "quota-containers");
    assert_eq!(
        created.len(),
        2,
        "the daemon holds exactly the two allowed creates"
    );

    // 5 requests per second: a burst of 20 pings gets about 5 through, the rest refused.
    let (label, mut grant) = scope();
    grant
        .merge_flag("max-requests-per-second", "5")
        .expect("flag");
    let (results, report) = attack(&host, &plugin, grant, &["ping-burst", "20", &label]).await;
    assert_eq!(results.len(), 20);
    let allowed = results.iter().filter(|r| r["outcome"] == "allowed").count();
    assert!((5..20).contains(&allowed), "{allowed} of 20 pings allowed");
    let refused: Vec<Value> = results
        .iter()
        .filter(|r| r["outcome"] != "allowed")
        .cloned()
        .collect();
    assert_denied(&refused, &report, "quota-rps");
    serves_others(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_bomb_is_stopped_at_its_cap() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (_, mut grant) = scope();
    grant.merge_flag("memory", "32M").expect("flag");
    let report = host
        .run(&plugin, grant, args(&["memory-bomb"]))
        .await
        .expect("run");
    let Outcome::Stopped(Stop::Memory(asked)) = report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(asked > 32 << 20);
    assert!(
        report.peak_memory <= 32 << 20 && report.peak_memory > 16 << 20,
        "{}",
        report.peak_memory
    );
    let last = audit(&report).pop().expect("an audit line");
    assert_eq!(last["decision"], "stop");
    assert_eq!(last["rule"], "memory");
    serves_others(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_loop_is_stopped_by_the_deadline_and_by_fuel() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;

    let (_, mut grant) = scope();
    grant.merge_flag("deadline", "1s").expect("flag");
    let t = Instant::now();
    let report = host
        .run(&plugin, grant, args(&["spin"]))
        .await
        .expect("run");
    assert_eq!(report.outcome, Outcome::Stopped(Stop::Deadline));
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(t.elapsed() >= Duration::from_millis(900));
    assert_eq!(audit(&report).pop().expect("audit")["rule"], "deadline");

    let (_, mut grant) = scope();
    grant.merge_flag("fuel", "50000000").expect("flag");
    let report = host
        .run(&plugin, grant, args(&["spin"]))
        .await
        .expect("run");
    assert_eq!(report.outcome, Outcome::Stopped(Stop::OutOfFuel));
    assert_eq!(audit(&report).pop().expect("audit")["rule"], "fuel");
    serves_others(&host).await;
}

/// On a single-threaded runtime, so the other plugins run only because the spinning
/// one yields at every epoch tick.
#[tokio::test(flavor = "current_thread")]
async fn a_spinning_plugin_does_not_hold_up_the_others() {
    let host = Arc::new(host().await);
    let spin = Arc::new(load(&host, HOSTILE).await);
    let example = load(&host, EXAMPLE).await;
    let label = format!("berth.example={}", unique("fair"));
    let mut cleanup = Cleanup::new();
    let id = container(&mut cleanup, &[&label], &["sleep", "30"]);
    let mut grant = Grant::deny_all();
    for (k, v) in [
        ("allow", "containers.list"),
        ("allow", "containers.inspect"),
        ("label", label.as_str()),
    ] {
        grant.merge_flag(k, v).expect("flag");
    }

    let (_, mut spin_grant) = scope();
    spin_grant.merge_flag("deadline", "5s").expect("flag");
    let spinner = {
        let (host, spin) = (host.clone(), spin.clone());
        tokio::spawn(async move { host.run(&spin, spin_grant, args(&["spin"])).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..5 {
        let t = Instant::now();
        let report = host
            .run(&example, grant.clone(), vec![label.clone()])
            .await
            .expect("run");
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "a plugin waited for the spinner: {:?}",
            t.elapsed()
        );
        let Outcome::Ok(text) = &report.outcome else {
            panic!("{:?}", report.outcome)
        };
        assert!(text.contains(&id), "{text}");
    }
    assert!(!spinner.is_finished(), "the spinner ended early");
    let report = spinner.await.expect("join").expect("run");
    assert_eq!(report.outcome, Outcome::Stopped(Stop::Deadline));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handle_flood_hits_the_table_cap() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (_, mut grant) = scope();
    grant.merge_flag("max-handles", "16").expect("flag");
    let (results, report) = attack(&host, &plugin, grant, &["handle-flood"]).await;
    assert_eq!(results[0]["outcome"], "limit-exceeded", "{results:?}");
    let opened = results[0]["opened"].as_u64().expect("count");
    assert!(opened > 0 && opened <= 16, "{opened}");
    assert_eq!(report.denials, 0);
    serves_others(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_responses_hit_the_byte_quota() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (label, mut grant) = scope();
    grant.merge_flag("max-bytes", "256K").expect("flag");
    let mut cleanup = Cleanup::new();
    let id = container(&mut cleanup, &[&label], &["sleep", "60"]);

    let (results, _) = attack(
        &host,
        &plugin,
        grant.clone(),
        &["huge-response", &id, &label],
    )
    .await;
    assert_eq!(results[0]["kind"], "limit-exceeded", "{results:?}");

    let (results, _) = attack(&host, &plugin, grant, &["huge-stream", &id, &label]).await;
    assert_eq!(results[0]["kind"], "limit-exceeded", "{results:?}");
    let read = results[0]["bytes"].as_u64().expect("bytes");
    assert!(read <= 256 << 10, "read {read} bytes past a 256 KiB quota");
    serves_others(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_blocked_on_an_endless_stream_is_stopped_by_the_deadline() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (_, mut grant) = scope();
    grant.merge_flag("deadline", "1s").expect("flag");
    let t = Instant::now();
    let report = host
        .run(&plugin, grant, args(&["events-forever"]))
        .await
        .expect("run");
    assert_eq!(
        report.outcome,
        Outcome::Stopped(Stop::Deadline),
        "{:?}",
        report.audit
    );
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    let entries = audit(&report);
    assert_eq!(entries[0]["operation"], "system.events");
    assert_eq!(entries.last().expect("audit")["rule"], "deadline");
    serves_others(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_lines_go_to_the_file_sink() {
    let path = workspace()
        .join("target")
        .join(format!("{}.audit.jsonl", unique("audit")));
    let host = host_with(AuditSink::File(path.clone())).await;
    let plugin = load(&host, HOSTILE).await;
    let (label, grant) = scope();
    let (_, report) = attack(&host, &plugin, grant, &["privileged", "", &label]).await;
    let text = std::fs::read_to_string(&path).expect("audit file");
    let _ = std::fs::remove_file(&path);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert_eq!(text.trim_end(), report.audit[0]);
    let v: Value = serde_json::from_str(text.trim()).expect("JSON");
    assert_eq!(v["rule"], "privileged");
    assert_eq!(v["method"], "POST");
    assert_eq!(v["path"], "/containers/create");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compiled_components_come_from_the_disk_cache() {
    let dir = workspace().join("target").join(unique("plugin-cache"));
    let config = || HostConfig {
        cache_dir: Some(dir.clone()),
        engine_component: None,
        audit: AuditSink::Memory,
    };
    let file = build_guest(EXAMPLE);
    let cold = PluginHost::new(docker().await, config()).expect("host");
    let first = cold.load(&file).await.expect("load");
    assert!(!first.cache_hit());
    // Same host: its in-memory cache.
    assert!(cold.load(&file).await.expect("load").cache_hit());
    drop(cold);
    // Wasmtime's cache writes in the background: wait for the file.
    let warm = PluginHost::new(docker().await, config()).expect("host");
    let mut second = warm.load(&file).await.expect("load");
    for _ in 0..50 {
        if second.cache_hit() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let again = PluginHost::new(docker().await, config()).expect("host");
        second = again.load(&file).await.expect("load");
    }
    assert!(second.cache_hit(), "the second host compiled again");
    eprintln!(
        "load: cold {:?}, from the disk cache {:?}",
        first.load_time(),
        second.load_time()
    );
    assert!(second.load_time() < first.load_time());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_clear_errors() {
    let host = host().await;
    let err = host
        .load_bytes("junk", b"not wasm".to_vec())
        .await
        .expect_err("junk");
    assert!(
        err.to_string().contains("not a WebAssembly component"),
        "{err}"
    );
    // A core module (the smallest valid one) is not a component.
    let err = host
        .load_bytes("core", b"\0asm\x01\0\0\0".to_vec())
        .await
        .expect_err("core module");
    assert!(err.to_string().contains("core wasm module"), "{err}");
    let err = host
        .load("/nonexistent/x.wasm".as_ref())
        .await
        .expect_err("missing");
    assert!(err.to_string().contains("/nonexistent/x.wasm"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_upload_streams_an_archive_into_a_container() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (label, mut grant) = scope();
    grant
        .merge_flag("allow", "containers.archive.put")
        .expect("flag");
    let mut cleanup = Cleanup::new();
    let id = container(&mut cleanup, &[&label], &["sleep", "60"]);
    let text = unique("payload");
    let report = host
        .run(&plugin, grant, args(&["upload", &id, &text]))
        .await
        .expect("run");
    let Outcome::Ok(out) = &report.outcome else {
        panic!("{:?} {:?}", report.outcome, report.audit)
    };
    let v: Value = serde_json::from_str(out).expect("JSON");
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(
        docker_cli(&["exec", &id, "cat", "/tmp/berth-upload.txt"]),
        text
    );
    let entries = audit(&report);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["operation"], "containers.archive.put");
    assert_eq!(entries[0]["decision"], "allow");

    // Outside the label, the same upload is refused at `start-request`.
    let outside = container(&mut cleanup, &[], &["sleep", "60"]);
    let (_, grant) = scope();
    let report = host
        .run(&plugin, grant, args(&["upload", &outside, "x"]))
        .await
        .expect("run");
    let Outcome::Err(msg) = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        msg.contains("start") && msg.contains("policy-denied"),
        "{msg}"
    );
    let out = std::process::Command::new("docker")
        .args(["exec", &outside, "cat", "/tmp/berth-upload.txt"])
        .output()
        .expect("docker");
    assert!(
        !out.status.success(),
        "the file reached a container outside the label"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_exec_carries_stdin_and_stdout() {
    let host = host().await;
    let plugin = load(&host, HOSTILE).await;
    let (label, grant) = scope();
    let mut cleanup = Cleanup::new();
    let id = container(&mut cleanup, &[&label], &["sleep", "60"]);
    let text = unique("stdin");
    let report = host
        .run(&plugin, grant, args(&["exec-cat", &id, &text]))
        .await
        .expect("run");
    let Outcome::Ok(out) = &report.outcome else {
        panic!("{:?} {:?}", report.outcome, report.audit)
    };
    let v: Value = serde_json::from_str(out).expect("JSON");
    assert_eq!(v["status"], 101, "{v}");
    assert_eq!(v["stdout"], text.as_str(), "{v}");
    let ops: Vec<Value> = audit(&report)
        .iter()
        .map(|e| e["operation"].clone())
        .collect();
    assert_eq!(ops, ["exec.create", "exec.start"], "{:?}", report.audit);
    assert_eq!(report.denials, 0);
}
