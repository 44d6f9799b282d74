//! The wasm plugin host: component load cold and from the disk cache, instantiation, and
//! N sequential container inspects from a plugin against the native client.
//!
//! The plugin is the raw-transport guest of the hostile suite (`inspect-loop ID N`): each
//! call crosses the WIT transport, passes the policy check (a grant allowing only
//! `containers.inspect`) and is forwarded by the host's native client; the guest gets the
//! daemon's bytes and parses nothing. Its run time includes instantiation.

use std::path::Path;
use std::time::{Duration, Instant};

use berth::core::policy::Grant;
use berth::plugin::{AuditSink, HostConfig, LoadedPlugin, Outcome, PluginHost};
use tokio::runtime::Runtime;

use crate::report::Report;
use crate::{Result, median_f64, min_max_f64};

/// The guest package (workspace member) the part runs.
const GUEST: &str = "berth-hostile-guest";

/// Loads from the disk cache, each by a new host, whose median the verdict takes.
const CACHED_LOADS: usize = 11;

/// Settings of the plugin part.
pub struct PluginBench<'a> {
    /// A multi_thread runtime (the host's epoch ticker and the client's pool live there).
    pub rt: &'a Runtime,
    /// A native client made inside `rt`.
    pub docker: &'a berth::Docker,
    /// The running container to inspect.
    pub container: &'a str,
    /// Inspects per measured run.
    pub calls: u32,
    /// Measured runs (median reported), each after a native run of as many calls.
    pub reps: usize,
}

fn grant() -> Result<Grant> {
    let mut g = Grant::deny_all();
    g.merge_flag("allow", "containers.inspect")?;
    Ok(g)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl PluginBench<'_> {
    pub fn run(&self, report: &mut Report) -> Result<()> {
        println!();
        println!(
            "plugin: {GUEST} (raw transport, wasm32-wasip2 component) in berth's wasmtime host; \
             grant: containers.inspect only"
        );
        let build = Instant::now();
        let guest = berth_tests::wasm::try_build_guest(GUEST)?;
        println!(
            "  built {} in {:.1} s",
            guest.display(),
            build.elapsed().as_secs_f64()
        );
        let cache = std::env::temp_dir().join(format!("berth-bench-cache-{}", std::process::id()));
        let result = self.rt.block_on(self.measure(&guest, &cache, report));
        let _ = std::fs::remove_dir_all(&cache);
        result
    }

    fn host(&self, cache: &Path) -> Result<PluginHost> {
        Ok(PluginHost::new(
            self.docker.clone(),
            HostConfig {
                cache_dir: Some(cache.to_path_buf()),
                engine_component: None,
                audit: AuditSink::Memory,
            },
        )?)
    }

    /// One `inspect-loop` run of `n` calls; its (instantiation, whole run) times.
    async fn inspect_loop(
        &self,
        host: &PluginHost,
        plugin: &LoadedPlugin,
        n: u32,
    ) -> Result<(Duration, Duration)> {
        let args = vec![
            "inspect-loop".to_string(),
            self.container.to_string(),
            n.to_string(),
        ];
        let r = host.run(plugin, grant()?, args).await?;
        match r.outcome {
            Outcome::Ok(_) => Ok((r.instantiation, r.duration)),
            other => Err(format!("plugin inspect-loop {n}: {other:?}").into()),
        }
    }

    async fn measure(&self, guest: &Path, cache: &Path, report: &mut Report) -> Result<()> {
        let cold = self.host(cache)?.load(guest).await?;
        // wasmtime writes its cache file in the background: retry until a load hits it.
        let mut warm = None;
        for _ in 0..50 {
            let p = self.host(cache)?.load(guest).await?;
            if p.cache_hit() {
                warm = Some(p);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let warm = warm.ok_or("the compile cache was never hit in 5 s")?;
        // One load is one sample of a few milliseconds of file reading, decoding and
        // page faults: the verdict takes the median of several new hosts' loads.
        let mut cached = vec![ms(warm.load_time())];
        while cached.len() < CACHED_LOADS {
            let p = self.host(cache)?.load(guest).await?;
            if !p.cache_hit() {
                return Err("a load by a new host missed the compile cache".into());
            }
            cached.push(ms(p.load_time()));
        }
        let cached_median = median_f64(&cached);
        let (cached_min, cached_max) = min_max_f64(&cached);
        let host = self.host(cache)?;
        let plugin = host.load(guest).await?;
        let again = host.load(guest).await?;
        println!(
            "  load: compile (cold) {:.1} ms; new host, from the disk cache {cached_median:.2} ms \
             (median of {CACHED_LOADS} new hosts, {cached_min:.2}–{cached_max:.2} ms); same host \
             again {:.3} ms",
            ms(cold.load_time()),
            ms(again.load_time())
        );

        let mut inst = Vec::new();
        let mut empty = Vec::new();
        for _ in 0..200 {
            let (i, d) = self.inspect_loop(&host, &plugin, 0).await?;
            inst.push(i.as_secs_f64() * 1e6);
            empty.push(d.as_secs_f64() * 1e6);
        }
        let (inst, empty) = (median_f64(&inst), median_f64(&empty));
        println!(
            "  instantiation (median of 200): {inst:.1} µs; a whole run doing nothing: {empty:.1} µs"
        );

        let n = self.calls;
        let containers = self.docker.containers();
        for _ in 0..50 {
            containers.get(self.container).await?;
        }
        self.inspect_loop(&host, &plugin, 50).await?;
        let mut native = Vec::new();
        let mut wasm = Vec::new();
        for _ in 0..self.reps {
            let t = Instant::now();
            for _ in 0..n {
                containers.get(self.container).await?;
            }
            native.push(t.elapsed().as_secs_f64() * 1e6 / f64::from(n));
            let (_, d) = self.inspect_loop(&host, &plugin, n).await?;
            wasm.push(d.as_secs_f64() * 1e6 / f64::from(n));
        }
        let (native, wasm) = (median_f64(&native), median_f64(&wasm));
        let r = wasm / native;
        println!(
            "  {n} sequential inspects (median of {} alternating runs): native {native:.1} µs/call, \
             plugin {wasm:.1} µs/call (incl. instantiation and the policy check) = {r:.2}× native",
            self.reps
        );
        println!(
            "verdict plugin   1000 inspects ≤ 1.3× native: {} ({r:.2}×); cached load ≤ 5 ms: {} \
             ({cached_median:.2} ms, median of {CACHED_LOADS})",
            if r <= 1.3 { "yes" } else { "no" },
            if cached_median <= 5.0 { "yes" } else { "no" },
        );
        report.row(
            format!("wasm plugin: {n} sequential inspects, per call"),
            format!("native {native:.0} µs"),
            format!("{wasm:.0} µs ({r:.2}× native)"),
            "≤ 1.3× native",
        );
        report.row(
            "wasm plugin: load cold / from the disk cache / instantiate",
            "–",
            format!(
                "{:.0} ms / {cached_median:.1} ms / {inst:.0} µs",
                ms(cold.load_time()),
            ),
            "cached ≤ 5 ms",
        );
        Ok(())
    }
}
