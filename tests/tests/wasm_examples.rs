//! The example plugins doing real work against the real daemon, run by berth's plugin
//! host: `examples/reaper` (Rust on `berth-guest`, world `raw-plugin`) and
//! `examples/python-job` (Python via componentize-py, world `plugin`, linked with the
//! `berth-engine` component at load time).

use std::path::PathBuf;
use std::process::Command;

use berth::core::api::containers::WaitCondition;
use berth::core::options::ContainerOptions;
use berth::core::policy::Grant;
use berth::plugin::{AuditSink, HostConfig, Outcome, PluginHost, RunReport};
use berth_tests::wasm::{build_guest, workspace};
use berth_tests::{docker, unique};
use serde_json::Value;

const IMAGE: &str = "busybox:berth-test";

/// Removes containers on drop, also when an assertion failed.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.0 {
            let _ = Command::new("docker").args(["rm", "-f", c]).output();
        }
    }
}

async fn host(engine: Option<PathBuf>) -> PluginHost {
    let config = HostConfig {
        cache_dir: Some(workspace().join("target").join("plugin-cache-tests")),
        engine_component: engine,
        audit: AuditSink::Memory,
    };
    PluginHost::new(docker().await, config).expect("plugin host")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The plugin's `ok` text, parsed as JSON (fails with the whole report otherwise).
fn ok_json(report: &RunReport) -> Value {
    match &report.outcome {
        Outcome::Ok(text) => serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("plugin result is not JSON ({e}): {text}")),
        other => panic!(
            "plugin did not succeed: {other:?}\nstderr: {}\naudit: {:#?}",
            String::from_utf8_lossy(&report.stderr),
            report.audit
        ),
    }
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not a list in {v}"))
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Does the daemon still have this container?
async fn exists(docker: &berth::Docker, id: &str) -> bool {
    match docker.containers().get(id).await {
        Ok(_) => true,
        Err(e) if e.is_not_found() => false,
        Err(e) => panic!("inspect {id}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reaper_removes_only_old_exited_containers_with_its_label() {
    let docker = docker().await;
    // Build and load first: the containers' ages below must not include build time.
    let host = host(None).await;
    let plugin = host
        .load(&build_guest("reaper"))
        .await
        .expect("load reaper");
    assert!(
        !plugin.linked_with_engine(),
        "reaper links berth-core itself"
    );
    let scope = unique("reaper");
    let label = format!("berth.reaper={scope}");
    let mut cleanup = Cleanup(Vec::new());
    let mut create = async |labelled: bool, cmd: &[&str]| {
        let mut opts = ContainerOptions::new(IMAGE)
            .cmd(cmd.iter().copied())
            .label("berth.test", "1");
        if labelled {
            opts = opts.label("berth.reaper", scope.as_str());
        }
        let c = docker.containers().create(&opts).await.expect("create");
        cleanup.0.push(c.id().to_owned());
        c.start().await.expect("start");
        c
    };
    let exited = create(true, &["true"]).await;
    let running = create(true, &["sleep", "3600"]).await;
    let unlabelled = create(false, &["true"]).await;
    for c in [&exited, &unlabelled] {
        let w = c
            .wait(Some(WaitCondition::NotRunning), None)
            .await
            .expect("wait");
        assert_eq!(w.status_code, 0);
    }
    // Let the exited one age past a one-second threshold.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let grant = Grant::from_toml(&format!(
        r#"
allow = ["system.ping", "containers.list", "containers.inspect", "containers.remove"]
[labels]
"berth.reaper" = "{scope}"
"#
    ))
    .expect("grant");

    // Too young: nothing removed, the exited container kept with a reason.
    let report = host
        .run(
            &plugin,
            grant.clone(),
            args(&["--label", &label, "--older-than", "3600"]),
        )
        .await
        .expect("run");
    let v = ok_json(&report);
    assert_eq!(ids(&v, "removed"), Vec::<String>::new(), "{v}");
    assert_eq!(ids(&v, "kept"), [exited.id().to_owned()], "{v}");
    assert!(exists(&docker, exited.id()).await);

    // Dry run: reported, not removed.
    let report = host
        .run(
            &plugin,
            grant.clone(),
            args(&["--label", &label, "--older-than", "1", "--dry-run"]),
        )
        .await
        .expect("run");
    let v = ok_json(&report);
    assert_eq!(v["dry_run"], true);
    assert_eq!(ids(&v, "removed"), [exited.id().to_owned()], "{v}");
    assert!(exists(&docker, exited.id()).await);

    // The real thing.
    let report = host
        .run(
            &plugin,
            grant.clone(),
            args(&["--label", &label, "--older-than", "1"]),
        )
        .await
        .expect("run");
    let v = ok_json(&report);
    assert_eq!(ids(&v, "removed"), [exited.id().to_owned()], "{v}");
    assert!(v["failed"].as_array().is_some_and(Vec::is_empty), "{v}");
    assert!(
        v["removed"][0]["age_seconds"]
            .as_i64()
            .is_some_and(|a| a >= 1),
        "{v}"
    );
    assert!(
        !exists(&docker, exited.id()).await,
        "the labelled exited container is gone"
    );
    assert!(
        exists(&docker, running.id()).await,
        "the running one is left alone"
    );
    assert!(
        exists(&docker, unlabelled.id()).await,
        "the unlabelled one is left alone"
    );
    assert_eq!(report.denials, 0, "audit: {:#?}", report.audit);
    assert!(
        report.audit.iter().any(|l| l.contains("containers.remove")),
        "the removal is audited: {:#?}",
        report.audit
    );

    // Bad arguments: a clear error, nothing touched.
    let report = host
        .run(&plugin, grant, args(&["--older-than", "x"]))
        .await
        .expect("run");
    assert!(
        matches!(&report.outcome, Outcome::Err(m) if m.contains("usage")),
        "{:?}",
        report.outcome
    );
    assert!(exists(&docker, running.id()).await);
}

/// Builds `examples/python-job` with componentize-py into `target/guests/python`.
fn build_python_job() -> PathBuf {
    let root = workspace();
    let out_dir = root.join("target").join("guests").join("python");
    std::fs::create_dir_all(&out_dir).expect("create target/guests/python");
    let out = out_dir.join("python_job.wasm");
    let run = Command::new("componentize-py")
        .arg("-d")
        .arg(root.join("wit"))
        .args(["-w", "plugin", "componentize", "-p"])
        .arg(root.join("examples").join("python-job"))
        .arg("app")
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "componentize-py does not run ({e}): install it with \
                 `pip install componentize-py==0.25.1` (scripts/build-plugins.sh does)"
            )
        });
    assert!(
        run.status.success(),
        "componentize-py failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn python_job_runs_a_container_and_reports_its_exit_code() {
    let docker = docker().await;
    let scope = unique("pyjob");
    let engine = build_guest("berth-engine");
    let job = build_python_job();
    let host = host(Some(engine)).await;
    let plugin = host.load(&job).await.expect("load the python job");
    assert!(
        plugin.linked_with_engine(),
        "a typed plugin is linked with the engine"
    );
    let grant = Grant::from_toml(&format!(
        r#"
allow = ["system.ping", "containers.create", "containers.inspect", "containers.start", "containers.logs",
         "containers.wait", "containers.remove"]
images = ["{IMAGE}"]
[labels]
"berth.job" = "{scope}"
"#
    ))
    .expect("grant");
    let labelled = format!("berth.job={scope}");
    let leftovers = || async {
        let list = berth::core::api::containers::ContainerList {
            all: true,
            filters: berth::core::request::Filters::new().with("label", labelled.clone()),
            ..Default::default()
        };
        docker.containers().list(&list).await.expect("list")
    };

    let report = host
        .run(
            &plugin,
            grant.clone(),
            args(&[
                "--label",
                "berth.test=1",
                "--label",
                &labelled,
                IMAGE,
                "sh",
                "-c",
                "echo out-line; echo err-line >&2; exit 3",
            ]),
        )
        .await
        .expect("run");
    let v = ok_json(&report);
    for c in leftovers().await {
        let _ = Command::new("docker")
            .args(["rm", "-f", c.id.as_deref().unwrap_or_default()])
            .output();
    }
    assert_eq!(v["exit_code"], 3, "{v}");
    assert_eq!(v["stdout"], "out-line\n", "{v}");
    assert_eq!(v["stderr"], "err-line\n", "{v}");
    assert_eq!(v["removed"], true, "{v}");
    let id = v["container"].as_str().expect("container id");
    assert!(!exists(&docker, id).await, "the job container was removed");
    let streamed = String::from_utf8_lossy(&report.stdout);
    assert!(
        streamed.contains("[stdout] out-line") && streamed.contains("[stderr] err-line"),
        "logs streamed to the plugin's stdout: {streamed:?}"
    );
    assert_eq!(report.denials, 0, "audit: {:#?}", report.audit);
    assert!(
        report.audit.iter().any(|l| l.contains("containers.create")),
        "the engine's requests are audited: {:#?}",
        report.audit
    );

    // The engine's requests pass the same policy: an image outside the grant is
    // refused before anything is created.
    let report = host
        .run(
            &plugin,
            grant,
            args(&[
                "--label",
                &labelled,
                "127.0.0.1:5000/busybox:berth-test",
                "true",
            ]),
        )
        .await
        .expect("run");
    assert!(
        matches!(&report.outcome, Outcome::Err(m) if m.contains("PolicyDenied")),
        "{:?}",
        report.outcome
    );
    assert!(report.denials >= 1);
    assert!(leftovers().await.is_empty(), "nothing was created");
}
