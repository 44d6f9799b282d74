//! Numbers for the wasm plugin host (not a test): component load cold and from the
//! disk cache, instantiation, and 1000 sequential `GET /containers/{id}/json` from a
//! raw-transport plugin vs the native client.
//!
//! `cargo run --release -p berth-tests --bin plugin-bench` (needs the daemon and the
//! wasm32-wasip2 target).

use std::time::{Duration, Instant};

use berth::core::policy::Grant;
use berth::plugin::{AuditSink, HostConfig, Outcome, PluginHost};
use berth_tests::wasm::{build_guest, workspace};
use berth_tests::{docker, docker_cli, unique};

const N: u32 = 1000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let docker = docker().await;
    let guest = build_guest("berth-hostile-guest");
    let id = docker_cli(&[
        "create",
        "--label",
        "berth.test=1",
        "busybox:berth-test",
        "true",
    ]);
    let cache = workspace().join("target").join(unique("bench-cache"));
    let config = || HostConfig {
        cache_dir: Some(cache.clone()),
        engine_component: None,
        audit: AuditSink::Memory,
    };

    let cold_host = PluginHost::new(docker.clone(), config()).expect("host");
    let cold = cold_host.load(&guest).await.expect("load");
    drop(cold_host);
    // Wasmtime writes its cache file in the background.
    let mut warm;
    let mut tries = 0;
    loop {
        let host = PluginHost::new(docker.clone(), config()).expect("host");
        warm = host.load(&guest).await.expect("load");
        tries += 1;
        if warm.cache_hit() || tries > 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let host = PluginHost::new(docker.clone(), config()).expect("host");
    let plugin = host.load(&guest).await.expect("load");
    println!(
        "load (compile, cold): {:?}; from the disk cache: {:?} (hit: {}); again in-process: {:?}",
        cold.load_time(),
        plugin.load_time(),
        plugin.cache_hit(),
        host.load(&guest).await.expect("load").load_time()
    );

    let grant = || {
        let mut g = Grant::deny_all();
        g.merge_flag("allow", "containers.inspect").expect("flag");
        g
    };
    let mut inst = Vec::new();
    let mut empty = Vec::new();
    for _ in 0..200 {
        let r = host
            .run(
                &plugin,
                grant(),
                vec!["inspect-loop".into(), id.clone(), "0".into()],
            )
            .await
            .expect("run");
        assert!(matches!(r.outcome, Outcome::Ok(_)), "{:?}", r.outcome);
        inst.push(r.instantiation);
        empty.push(r.duration);
    }
    println!(
        "instantiation (median of 200): {:?}; whole empty run: {:?}",
        median(inst),
        median(empty)
    );

    // Warm both paths up.
    for _ in 0..50 {
        docker.containers().get(&id).await.expect("inspect");
    }
    let mut native = Vec::new();
    let mut wasm = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..N {
            docker.containers().get(&id).await.expect("inspect");
        }
        native.push(t.elapsed());
        let r = host
            .run(
                &plugin,
                grant(),
                vec!["inspect-loop".into(), id.clone(), N.to_string()],
            )
            .await
            .expect("run");
        assert!(matches!(r.outcome, Outcome::Ok(_)), "{:?}", r.outcome);
        wasm.push(r.duration);
    }
    let (n, w) = (median(native), median(wasm));
    println!(
        "{N} inspects: native {n:?} ({:?}/call), plugin {w:?} ({:?}/call, incl. instantiation and \
         the policy check): {:.2}x native",
        n / N,
        w / N,
        w.as_secs_f64() / n.as_secs_f64()
    );
    docker_cli(&["rm", "-f", &id]);
    let _ = std::fs::remove_dir_all(&cache);
}
