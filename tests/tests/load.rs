//! Load: 10 000 mixed calls (ping, version, container list, inspect of a labelled
//! container, image list, logs) from 64 concurrent tasks on one client with the default
//! pool. No call may fail; the process's open file descriptors after the run may exceed
//! those before only by the pool's idle connections; resident memory stays flat.
//!
//! `BERTH_SOAK_SECS=300 cargo test -p berth-tests --test load` turns the same test into
//! a soak: the 64 tasks keep calling for that many seconds while resident memory is
//! sampled every 10 s; it must stay within bounds of the level after warm-up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use berth::api::container_io::ContainerLogs;
use berth::api::containers::ContainerList;
use berth::api::images::ImageList;
use berth::transport::PoolOptions;
use berth_core::request::Filters;
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};

const TASKS: usize = 64;
const CALLS: usize = 10_000;
/// Growth of resident memory tolerated over the run, on top of the level after
/// warm-up: allocator fragmentation and the pool's buffers, not a leak (a leak of even
/// 1 KiB per call would be 10 MB over the short run and far more over a soak).
const RSS_SLACK_KIB: u64 = 24 * 1024;
/// Growth tolerated during a soak between the first sample under load and the end.
const SOAK_GROWTH_KIB: u64 = 8 * 1024;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd (Linux)")
        .count()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Removes the test container even when the test fails.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &self.0])
            .output();
    }
}

/// One call of the mix, chosen by `n`.
async fn call(d: &berth::Docker, n: usize, name: &str, label: &Filters) -> berth::Result<()> {
    match n % 50 {
        // A few logs: a whole multiplexed body, read to the end.
        0 => {
            let mut opts = ContainerLogs::new(name);
            opts.tty = Some(false);
            let mut logs = d.logs(&opts).await?;
            let mut bytes = 0;
            while let Some(frame) = logs.next_item().await {
                bytes += frame?.data.len();
            }
            assert_eq!(bytes, b"hello\nerr\n".len(), "logs of {name}");
        }
        1..=10 => {
            d.ping().await?;
        }
        11..=20 => {
            d.version().await?;
        }
        21..=30 => {
            let list = d
                .containers()
                .list(&ContainerList {
                    all: true,
                    filters: label.clone(),
                    ..ContainerList::default()
                })
                .await?;
            assert!(!list.is_empty(), "the labelled container is listed");
        }
        31..=42 => {
            let c = d.containers().get(name).await?;
            assert_eq!(c.attrs().name.as_deref(), Some(format!("/{name}").as_str()));
        }
        _ => {
            d.images().list(&ImageList::default()).await?;
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_calls_from_64_tasks_leak_nothing() {
    let soak = std::env::var("BERTH_SOAK_SECS")
        .ok()
        .map(|s| {
            s.parse::<u64>()
                .unwrap_or_else(|_| panic!("BERTH_SOAK_SECS={s:?} is not a number of seconds"))
        })
        .map(Duration::from_secs);
    let _ = docker().await;
    let name = unique("load");
    let run_label = format!("berth.load={name}");
    docker_cli(&[
        "run",
        "-d",
        "--label",
        &format!("{TEST_LABEL}=1"),
        "--label",
        &run_label,
        "--name",
        &name,
        "busybox:berth-test",
        "sh",
        "-c",
        "echo hello; echo err >&2; sleep 3600",
    ]);
    let _cleanup = Cleanup(name.clone());
    // The output must be there before logs are read.
    let deadline = Instant::now() + Duration::from_secs(10);
    while docker_cli(&["logs", &name]).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let d = berth::Docker::from_env().expect("client");
    let label = Filters::new().with("label", run_label);
    // Warm-up: the lazy version negotiation, the runtime's threads, first allocations.
    for n in 0..200 {
        call(&d, n, &name, &label).await.expect("warm-up call");
    }
    let fds_before = open_fds();
    let rss_warm = rss_kib();

    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let until = soak.map(|s| start + s);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (d, name, label, done) = (d.clone(), name.clone(), label.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = t;
            loop {
                match until {
                    Some(until) if Instant::now() >= until => return,
                    None if i >= CALLS => return,
                    _ => {}
                }
                if let Err(e) = call(&d, i, &name, &label).await {
                    panic!("call {i} failed: {e}");
                }
                done.fetch_add(1, Ordering::Relaxed);
                i += TASKS;
            }
        }));
    }
    // Memory over time (every 10 s during a soak, every second otherwise).
    let mut samples = vec![rss_warm];
    let every = if soak.is_some() {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(1)
    };
    let mut last = Instant::now();
    while !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if last.elapsed() >= every {
            last = Instant::now();
            samples.push(rss_kib());
            if soak.is_some() {
                eprintln!(
                    "soak {:>4}s: {} calls, RSS {} KiB, {} fds",
                    start.elapsed().as_secs(),
                    done.load(Ordering::Relaxed),
                    samples.last().copied().unwrap_or(0),
                    open_fds()
                );
            }
        }
    }
    for t in tasks {
        t.await.expect("no task panicked (every call succeeded)");
    }
    let elapsed = start.elapsed();
    let calls = done.load(Ordering::Relaxed);
    samples.push(rss_kib());
    if soak.is_none() {
        assert_eq!(calls, CALLS);
    }

    // Connections above the pool's idle limit were closed; at most that many remain.
    let fds_after = open_fds();
    let max_idle = PoolOptions::default().max_idle;
    eprintln!(
        "{calls} calls in {elapsed:?} ({:.0}/s); fds {fds_before} → {fds_after}; \
         RSS KiB warm {rss_warm}, max {}, end {}",
        calls as f64 / elapsed.as_secs_f64(),
        samples.iter().max().copied().unwrap_or(0),
        samples.last().copied().unwrap_or(0),
    );
    assert!(
        fds_after <= fds_before + max_idle,
        "fd leak: {fds_before} open before, {fds_after} after (the pool keeps at most \
         {max_idle} idle connections)"
    );
    // Dropping the client closes its idle connections: back to where we started
    // (the warm-up connection included).
    drop(d);
    let fds_dropped = open_fds();
    assert!(
        fds_dropped <= fds_before,
        "{fds_dropped} fds open after dropping the client, {fds_before} before the run"
    );
    let max = samples.iter().max().copied().unwrap_or(0);
    assert!(
        max <= rss_warm + RSS_SLACK_KIB,
        "resident memory grew from {rss_warm} KiB to {max} KiB (samples {samples:?})"
    );
    // A soak must be flat once under load: from the first sample taken under load to
    // the end, a slow leak would show as steady growth.
    if soak.is_some() && samples.len() > 2 {
        let loaded = samples[1];
        let end = samples[samples.len() - 1];
        assert!(
            end <= loaded + SOAK_GROWTH_KIB,
            "resident memory kept growing under load: {loaded} KiB after 10 s, {end} KiB \
             at the end (samples {samples:?})"
        );
    }
}
