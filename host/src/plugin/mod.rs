//! The wasm plugin runtime: runs WebAssembly components against the daemon, with every
//! wire request checked by a [`Policy`] built from a
//! [`Grant`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use berth::plugin::{HostConfig, PluginHost};
//! use berth::core::policy::Grant;
//! let host = PluginHost::new(berth::Docker::from_env()?, HostConfig::default())?;
//! let plugin = host.load("report.wasm".as_ref()).await?;
//! let mut grant = Grant::deny_all();
//! grant.merge_flag("allow", "containers.list")?;
//! let report = host.run(&plugin, grant, vec!["app=web".into()]).await?;
//! println!("{:?}", report.outcome);
//! # Ok(()) }
//! ```
//!
//! # Sandbox
//! - One wasmtime [`Engine`] per host (component model, async, epoch interruption, fuel
//!   metering); a thread advances the epoch every [`TICK`].
//! - Each run gets a fresh store: linear memory capped by the grant (default 64 MiB,
//!   enough for a Python guest's ~16 MiB), a resource table capped at the grant's
//!   `max_handles`, a wall-clock deadline (epoch ticks for running code and a timer for
//!   time spent waiting on the host), fuel when the grant sets it.
//! - WASI without preopened directories, sockets, name lookup or inherited environment;
//!   argv is the plugin's name only; stdout and stderr are captured up to
//!   [`OUTPUT_MAX`] bytes each.
//! - The only way to the daemon is WIT `transport`, whose every request is checked by
//!   the policy before it leaves (see `wire`). Decisions go to the audit log.
//! - A trap (memory, fuel, deadline, a bug in the guest) ends that run only: it comes
//!   back in the [`RunReport`], the host keeps serving other plugins.
//!
//! # Compile cache
//! Compiled components are cached on disk by wasmtime's own cache (keyed by a hash of
//! the component's bytes, the wasmtime version and the engine's compilation settings,
//! written atomically), in `<cache>/compiled`, the cache being
//! `$XDG_CACHE_HOME/berth/plugins` (else `~/.cache/berth/plugins`). Nothing here
//! deserializes machine code itself: berth stays free of `unsafe`. Typed plugins
//! linked with the engine component are kept in `<cache>/composed`, by the hashes of
//! both inputs.
//!
//! # Typed plugins
//! A component that imports the engine's typed interfaces (`berth:engine/containers`,
//! …) instead of `transport` is linked with the engine component at load time. The
//! engine component is found at [`HostConfig::engine_component`], else
//! `$BERTH_ENGINE_WASM`, else `berth_engine.wasm` beside the running executable, else
//! `../share/berth/berth_engine.wasm` relative to it.

mod audit;
mod bindings;
mod link;
mod output;
mod wire;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimitsBuilder, Trap, UpdateDeadline};
use wasmtime_wasi::WasiCtx;

use berth_core::policy::{Grant, Policy};

pub use audit::AuditSink;
pub use wire::{READ_MAX, UPLOAD_MAX, WHOLE_BODY_MAX};

use crate::Docker;
use bindings::{RawPlugin, RawPluginPre};
use output::Capture;
use wire::{Gate, Limiter, State};

/// How often the epoch advances (the granularity of deadlines).
pub const TICK: Duration = Duration::from_millis(10);
/// Most bytes of a guest's stdout, and of its stderr, kept in a [`RunReport`].
pub const OUTPUT_MAX: usize = 1 << 20;
/// Time a run may overstay its deadline while the host finishes a call it waits on.
const GRACE: Duration = Duration::from_millis(500);

/// The WIT package every berth interface lives in.
const PACKAGE: &str = "berth:engine/";

/// Why the plugin host could not do what was asked.
#[derive(Debug)]
pub enum PluginError {
    /// Reading a file (the plugin, the engine component, the cache directory).
    Io {
        /// What was being read or written.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a component this host can run (not wasm, a core module, imports
    /// the host does not provide, no `entry` export).
    Invalid(String),
    /// A typed plugin needs the engine component, which was not found or did not link.
    Engine(String),
    /// wasmtime failed (compilation, setup).
    Runtime(String),
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginError::Io { what, source } => write!(f, "{what}: {source}"),
            PluginError::Invalid(m) | PluginError::Engine(m) | PluginError::Runtime(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for PluginError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PluginError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn runtime(what: &str) -> impl FnOnce(wasmtime::Error) -> PluginError + '_ {
    move |e| PluginError::Runtime(format!("{what}: {e:#}"))
}

/// Settings of a [`PluginHost`].
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Directory of the compile cache; `None` compiles every load afresh.
    pub cache_dir: Option<PathBuf>,
    /// The engine component typed plugins are linked with (see the module docs for
    /// where it is looked for when `None`).
    pub engine_component: Option<PathBuf>,
    /// Where audit lines go besides each run's report.
    pub audit: AuditSink,
}

impl Default for HostConfig {
    fn default() -> HostConfig {
        HostConfig {
            cache_dir: default_cache_dir(),
            engine_component: None,
            audit: AuditSink::Memory,
        }
    }
}

/// `$XDG_CACHE_HOME/berth/plugins`, else `$HOME/.cache/berth/plugins`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".cache"))
        })?;
    Some(base.join("berth").join("plugins"))
}

/// Where the engine component is looked for when [`HostConfig::engine_component`] is
/// `None`: `$BERTH_ENGINE_WASM`, then beside the executable, then
/// `../share/berth/` relative to it. The first that exists wins.
pub fn engine_component_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("BERTH_ENGINE_WASM") {
        out.push(PathBuf::from(p));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        out.push(dir.join("berth_engine.wasm"));
        out.push(dir.join("../share/berth/berth_engine.wasm"));
    }
    out
}

/// Runs wasm plugins against one daemon. Cheap to share (`&self` everywhere); runs may
/// go on concurrently.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<State>,
    docker: Docker,
    sink: audit::SharedSink,
    cache: Option<wasmtime::Cache>,
    engine_component: Option<PathBuf>,
    /// Where typed plugins linked with the engine are kept (`<cache>/composed`).
    composed_dir: Option<PathBuf>,
    /// Components compiled by this host, by the SHA-256 of their bytes.
    compiled: Mutex<HashMap<[u8; 32], Component>>,
    ticker: Arc<AtomicBool>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("docker", &self.docker)
            .field("cache", &self.cache.as_ref().map(|c| c.directory().clone()))
            .finish_non_exhaustive()
    }
}

impl Drop for PluginHost {
    fn drop(&mut self) {
        self.ticker.store(true, Ordering::Relaxed);
    }
}

/// One import or export of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its name (`berth:engine/transport@0.1.0`, `wasi:cli/stdout@0.2.6`).
    pub name: String,
    /// `instance`, `func`, `type`, …
    pub kind: String,
    /// For an instance: the functions and types it holds.
    pub members: Vec<String>,
}

/// A compiled plugin, ready to run any number of times.
pub struct LoadedPlugin {
    name: String,
    pre: RawPluginPre<State>,
    imports: Vec<Item>,
    exports: Vec<Item>,
    linked_engine: bool,
    load_time: Duration,
    cache_hit: bool,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.name)
            .field("linked_engine", &self.linked_engine)
            .field("load_time", &self.load_time)
            .field("cache_hit", &self.cache_hit)
            .finish_non_exhaustive()
    }
}

impl LoadedPlugin {
    /// The plugin's name (its file name without `.wasm`), used in audit lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the component imports, i.e. everything it could ask for: `transport` (raw
    /// wire access, checked by the policy), the typed engine interfaces, WASI.
    pub fn imports(&self) -> &[Item] {
        &self.imports
    }

    /// What the component exports (`berth:engine/entry`).
    pub fn exports(&self) -> &[Item] {
        &self.exports
    }

    /// True when the plugin imports the typed interfaces and was linked with the engine
    /// component.
    pub fn linked_with_engine(&self) -> bool {
        self.linked_engine
    }

    /// How long loading took (reading, linking, compiling or fetching from the cache).
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// True when the compiled code came from a cache (this host's or the disk's).
    pub fn cache_hit(&self) -> bool {
        self.cache_hit
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The plugin returned `ok` with this text.
    Ok(String),
    /// The plugin returned `err` with this message.
    Err(String),
    /// The host stopped the plugin.
    Stopped(Stop),
}

/// Why the host stopped a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The wall-clock deadline passed (running code or waiting on the host).
    Deadline,
    /// The fuel ran out.
    OutOfFuel,
    /// The plugin asked for more memory than allowed (bytes asked).
    Memory(usize),
    /// Any other trap (a panic in the guest, an invalid operation), with its message.
    Trap(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Deadline => f.write_str("stopped: the deadline passed"),
            Stop::OutOfFuel => f.write_str("stopped: out of fuel"),
            Stop::Memory(n) => write!(f, "stopped: asked for {n} bytes of memory, over its cap"),
            Stop::Trap(m) => write!(f, "trapped: {m}"),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The plugin's result, or why it was stopped.
    pub outcome: Outcome,
    /// The guest's stdout (at most [`OUTPUT_MAX`] bytes).
    pub stdout: Vec<u8>,
    /// The guest's stderr (at most [`OUTPUT_MAX`] bytes).
    pub stderr: Vec<u8>,
    /// Bytes of stdout and stderr cut off beyond [`OUTPUT_MAX`].
    pub output_truncated: u64,
    /// The audit lines of this run (JSON), in order.
    pub audit: Vec<String>,
    /// Policy denials in this run.
    pub denials: usize,
    /// Largest linear memory the guest grew to, in bytes.
    pub peak_memory: usize,
    /// Time from instantiation to the end of `run`.
    pub duration: Duration,
    /// Time instantiation took.
    pub instantiation: Duration,
}

impl PluginHost {
    /// A host forwarding plugins' allowed requests to `docker`. Starts the epoch
    /// thread; creates the cache directory.
    pub fn new(docker: Docker, config: HostConfig) -> Result<PluginHost, PluginError> {
        let mut cfg = Config::new();
        cfg.wasm_component_model(true)
            .epoch_interruption(true)
            .consume_fuel(true);
        let cache = match &config.cache_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| PluginError::Io {
                    what: format!("creating the plugin cache {}", dir.display()),
                    source,
                })?;
                let dir = std::path::absolute(dir).map_err(|source| PluginError::Io {
                    what: format!("resolving {}", dir.display()),
                    source,
                })?;
                let mut cc = wasmtime::CacheConfig::new();
                cc.with_directory(dir.join("compiled"));
                let cache = wasmtime::Cache::new(cc).map_err(runtime("the compile cache"))?;
                cfg.cache(Some(cache.clone()));
                Some(cache)
            }
            None => None,
        };
        let engine = Engine::new(&cfg).map_err(runtime("starting wasmtime"))?;
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(runtime("linking WASI"))?;
        RawPlugin::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |s| s)
            .map_err(runtime("linking transport"))?;
        let sink = audit::SharedSink::open(&config.audit).map_err(|source| PluginError::Io {
            what: format!("opening the audit log {:?}", config.audit),
            source,
        })?;
        let ticker = Arc::new(AtomicBool::new(false));
        {
            let stop = ticker.clone();
            let engine = engine.clone();
            std::thread::Builder::new()
                .name("berth-plugin-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|source| PluginError::Io {
                    what: "starting the epoch thread".into(),
                    source,
                })?;
        }
        let composed_dir = cache
            .as_ref()
            .and_then(|c| c.directory().parent().map(|d| d.join("composed")));
        Ok(PluginHost {
            engine,
            linker,
            docker,
            sink,
            cache,
            engine_component: config.engine_component,
            composed_dir,
            compiled: Mutex::new(HashMap::new()),
            ticker,
        })
    }

    /// Compile-cache hits and misses on disk so far.
    pub fn cache_stats(&self) -> Option<(usize, usize)> {
        self.cache
            .as_ref()
            .map(|c| (c.cache_hits(), c.cache_misses()))
    }

    /// Loads a plugin component: links typed plugins with the engine component,
    /// compiles (or takes the compiled code from the cache) and checks that it can be
    /// instantiated against what the host provides.
    pub async fn load(&self, path: &Path) -> Result<LoadedPlugin, PluginError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| PluginError::Io {
                what: format!("reading {}", path.display()),
                source,
            })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".into());
        self.load_bytes(&name, bytes).await
    }

    /// [`load`](Self::load) of bytes in memory.
    pub async fn load_bytes(
        &self,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<LoadedPlugin, PluginError> {
        let start = Instant::now();
        let imports = top_level_imports(&bytes)?;
        let typed = imports.iter().any(|i| is_typed_import(i));
        let (bytes, linked_engine) = if typed {
            (self.link_engine(&bytes).await?, true)
        } else {
            (bytes, false)
        };
        let key: [u8; 32] = Sha256::digest(&bytes).into();
        let known = self
            .compiled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let (component, cache_hit) = match known {
            Some(c) => (c, true),
            None => {
                let hits = self.cache_stats().map(|(h, _)| h);
                let engine = self.engine.clone();
                let component =
                    tokio::task::spawn_blocking(move || Component::new(&engine, &bytes))
                        .await
                        .map_err(|e| PluginError::Runtime(format!("compiling: {e}")))?
                        .map_err(|e| {
                            PluginError::Invalid(format!(
                                "{name} is not a WebAssembly component berth can run: {e:#}"
                            ))
                        })?;
                self.compiled
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key, component.clone());
                let disk_hit = matches!(
                    (hits, self.cache_stats()),
                    (Some(before), Some((after, _))) if after > before
                );
                (component, disk_hit)
            }
        };
        let ty = component.component_type();
        let imports = ty
            .imports(&self.engine)
            .map(|(n, item)| describe(&self.engine, n, &item.ty))
            .collect();
        let exports = ty
            .exports(&self.engine)
            .map(|(n, item)| describe(&self.engine, n, &item.ty))
            .collect();
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|e| {
            PluginError::Invalid(format!(
                "{name} asks for something the berth host does not provide: {e:#}"
            ))
        })?;
        let pre = RawPluginPre::new(instance_pre).map_err(|e| {
            PluginError::Invalid(format!(
                "{name} does not export berth:engine/entry@0.1.0 (run): {e:#}"
            ))
        })?;
        Ok(LoadedPlugin {
            name: name.to_owned(),
            pre,
            imports,
            exports,
            linked_engine,
            load_time: start.elapsed(),
            cache_hit,
        })
    }

    async fn link_engine(&self, plugin: &[u8]) -> Result<Vec<u8>, PluginError> {
        let candidates = match &self.engine_component {
            Some(p) => vec![p.clone()],
            None => engine_component_candidates(),
        };
        let Some(path) = candidates.iter().find(|p| p.is_file()) else {
            return Err(PluginError::Engine(format!(
                "this plugin imports berth's typed interfaces and needs the engine \
                 component; none found (looked at {}). Build it with `cargo build \
                 --release --target wasm32-wasip2 -p berth-engine` and pass --engine or \
                 set BERTH_ENGINE_WASM",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let engine = tokio::fs::read(path)
            .await
            .map_err(|source| PluginError::Io {
                what: format!("reading the engine component {}", path.display()),
                source,
            })?;
        // Linking is deterministic: keep the result by the hashes of both inputs.
        let mut h = Sha256::new();
        h.update(Sha256::digest(plugin));
        h.update(Sha256::digest(&engine));
        let file = self
            .composed_dir
            .as_ref()
            .map(|d| d.join(format!("{}.wasm", hex::encode(h.finalize()))));
        if let Some(f) = &file
            && let Ok(bytes) = tokio::fs::read(f).await
        {
            // Plain wasm, validated again when compiled: nothing to trust here.
            return Ok(bytes);
        }
        let composed = link_typed(plugin, engine).await?;
        if let Some(f) = &file {
            // Best effort: a cache that cannot be written only costs time.
            let _ = write_atomically(f, &composed).await;
        }
        Ok(composed)
    }

    /// Runs `plugin`'s `entry.run(args)` under `grant`. A plugin failing, trapping or
    /// overrunning its limits is a normal [`RunReport`]; `Err` is only for the host
    /// failing to set the run up.
    pub async fn run(
        &self,
        plugin: &LoadedPlugin,
        grant: Grant,
        args: Vec<String>,
    ) -> Result<RunReport, PluginError> {
        let limits = grant.limits().clone();
        let stdout = Capture::new(OUTPUT_MAX);
        let stderr = Capture::new(OUTPUT_MAX);
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .arg(&plugin.name)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(usize::try_from(limits.max_handles).unwrap_or(usize::MAX));
        let memory = usize::try_from(limits.memory).unwrap_or(usize::MAX);
        let store_limits = StoreLimitsBuilder::new()
            .memory_size(memory)
            .instances(64)
            .tables(256)
            .memories(64)
            .table_elements(1 << 20)
            .trap_on_grow_failure(true)
            .build();
        let whole_max = limits
            .max_bytes
            .and_then(|b| usize::try_from(b).ok())
            .map_or(WHOLE_BODY_MAX, |b| b.min(WHOLE_BODY_MAX));
        let mut policy = Policy::new(grant);
        if self.docker.transport().is_local() {
            policy = policy.with_host_paths(resolve_host_path);
        }
        let gate = Gate {
            policy,
            transport: self.docker.transport().clone(),
            head_timeout: self.docker.timeouts().response_head,
            audit: audit::Audit::new(&plugin.name, self.sink.clone()),
            whole_max,
        };
        let state = State {
            wasi,
            table,
            limiter: Limiter {
                limits: store_limits,
                peak: 0,
                refused: None,
            },
            gate,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store
            .set_fuel(limits.fuel.unwrap_or(u64::MAX))
            .map_err(runtime("setting fuel"))?;
        let deadline = limits.deadline_ms.map(Duration::from_millis);
        let started = Instant::now();
        let ends = deadline.map(|d| started + d);
        // Running code yields to the executor every tick (other plugins and the host
        // keep going) and traps once the deadline passed.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| match ends {
            Some(end) if Instant::now() >= end => Ok(UpdateDeadline::Interrupt),
            // tokio's yield lets the runtime poll its I/O driver before this task
            // runs again, so plugins waiting on the daemon make progress even on a
            // single-threaded runtime.
            _ => Ok(UpdateDeadline::YieldCustom(
                1,
                Box::pin(tokio::task::yield_now()),
            )),
        });

        let call = async {
            let instance = plugin.pre.instantiate_async(&mut store).await?;
            let instantiated = started.elapsed();
            let result = instance
                .berth_engine_entry()
                .call_run(&mut store, &args)
                .await?;
            Ok::<_, wasmtime::Error>((result, instantiated))
        };
        let finished = match deadline {
            Some(d) => tokio::time::timeout(d + GRACE, call).await.ok(),
            None => Some(call.await),
        };
        let duration = started.elapsed();
        let (outcome, instantiation) = match finished {
            None => (Outcome::Stopped(Stop::Deadline), Duration::ZERO),
            Some(Ok((Ok(text), inst))) => (Outcome::Ok(text), inst),
            Some(Ok((Err(msg), inst))) => (Outcome::Err(msg), inst),
            Some(Err(e)) => (
                Outcome::Stopped(classify(&e, store.data().limiter.refused)),
                Duration::ZERO,
            ),
        };
        let state = store.data_mut();
        if let Outcome::Stopped(stop) = &outcome {
            let rule = match stop {
                Stop::Deadline => "deadline",
                Stop::OutOfFuel => "fuel",
                Stop::Memory(_) => "memory",
                Stop::Trap(_) => "trap",
            };
            state.gate.audit.stopped(rule, &stop.to_string());
        }
        let (out, cut_out) = stdout.take();
        let (err, cut_err) = stderr.take();
        Ok(RunReport {
            outcome,
            stdout: out,
            stderr: err,
            output_truncated: cut_out + cut_err,
            denials: state.gate.audit.denials(),
            audit: std::mem::take(&mut state.gate.audit.lines),
            peak_memory: state.limiter.peak,
            duration,
            instantiation,
        })
    }
}

/// Names a trap.
fn classify(e: &wasmtime::Error, refused_memory: Option<usize>) -> Stop {
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Stop::OutOfFuel,
        Some(Trap::Interrupt) => Stop::Deadline,
        _ => match refused_memory {
            Some(n) => Stop::Memory(n),
            None => Stop::Trap(format!("{e:#}")),
        },
    }
}

/// The names a component imports at its top level, read without compiling it.
fn top_level_imports(bytes: &[u8]) -> Result<Vec<String>, PluginError> {
    if !wasmparser::Parser::is_component(bytes) {
        return Err(PluginError::Invalid(
            if wasmparser::Parser::is_core_wasm(bytes) {
                "this is a core wasm module, not a component: build the plugin for \
             wasm32-wasip2 (or wrap it with `wasm-tools component new`)"
                    .into()
            } else {
                "not a WebAssembly component".into()
            },
        ));
    }
    let mut names = Vec::new();
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload =
            payload.map_err(|e| PluginError::Invalid(format!("malformed component: {e}")))?;
        match payload {
            wasmparser::Payload::Version { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    let import = import
                        .map_err(|e| PluginError::Invalid(format!("malformed import: {e}")))?;
                    names.push(import.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

/// True for an import of one of the engine's typed interfaces (anything of
/// `berth:engine` but `transport` and `types`).
fn is_typed_import(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(PACKAGE) else {
        return false;
    };
    let iface = rest.split('@').next().unwrap_or(rest);
    !matches!(iface, "transport" | "types")
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}

/// Composes a typed plugin with the engine component (see `link`).
async fn link_typed(plugin: &[u8], engine: Vec<u8>) -> Result<Vec<u8>, PluginError> {
    let plugin = plugin.to_vec();
    tokio::task::spawn_blocking(move || link::link_with_engine(&plugin, &engine))
        .await
        .map_err(|e| PluginError::Runtime(format!("linking: {e}")))?
        .map_err(|e| PluginError::Engine(e.to_string()))
}

fn describe(engine: &Engine, name: &str, item: &ComponentItem) -> Item {
    let (kind, members) = match item {
        ComponentItem::ComponentFunc(_) => ("func", Vec::new()),
        ComponentItem::CoreFunc(_) => ("core func", Vec::new()),
        ComponentItem::Module(_) => ("module", Vec::new()),
        ComponentItem::Component(_) => ("component", Vec::new()),
        ComponentItem::ComponentInstance(i) => (
            "instance",
            i.exports(engine)
                .map(|(n, item)| {
                    let k = match item.ty {
                        ComponentItem::ComponentFunc(_) => "func",
                        ComponentItem::Resource(_) => "resource",
                        ComponentItem::Type(_) => "type",
                        _ => "item",
                    };
                    format!("{k} {n}")
                })
                .collect(),
        ),
        ComponentItem::Type(_) => ("type", Vec::new()),
        ComponentItem::Resource(_) => ("resource", Vec::new()),
    };
    Item {
        name: name.to_owned(),
        kind: kind.to_owned(),
        members,
    }
}

/// The path a daemon on this machine reaches for the absolute, normalised `path`:
/// symlinks resolved in the deepest part that exists, the rest appended (the daemon
/// creates a missing bind source as a directory). A symlink that leads nowhere, or a
/// part that cannot be read, is an error: the policy then refuses the bind.
fn resolve_host_path(path: &str) -> Result<String, String> {
    let mut existing = std::path::PathBuf::from(path);
    let mut missing = Vec::new();
    loop {
        match std::fs::symlink_metadata(&existing) {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let Some(name) = existing.file_name() else {
                    return Err(format!("{}: {e}", existing.display()));
                };
                missing.push(name.to_owned());
                existing.pop();
            }
            Err(e) => return Err(format!("{}: {e}", existing.display())),
        }
    }
    let mut real =
        std::fs::canonicalize(&existing).map_err(|e| format!("{}: {e}", existing.display()))?;
    for name in missing.iter().rev() {
        real.push(name);
    }
    real.into_os_string()
        .into_string()
        .map_err(|p| format!("{} is not UTF-8", std::path::Path::new(&p).display()))
}

#[cfg(test)]
mod tests {
    use super::resolve_host_path;

    #[test]
    fn host_paths_resolve_through_symlinks_and_missing_parts() {
        let dir = std::env::temp_dir().join(format!("berth-resolve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("real/sub")).expect("dirs");
        std::os::unix::fs::symlink("/etc", dir.join("link")).expect("link");
        std::os::unix::fs::symlink("real", dir.join("inner")).expect("inner");
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling")).expect("dangling");
        let base = std::fs::canonicalize(&dir).expect("dir");
        let base = base.to_str().expect("utf-8");
        let d = dir.to_str().expect("utf-8");
        let r = |p: &str| resolve_host_path(&format!("{d}/{p}"));
        assert_eq!(r("link").as_deref(), Ok("/etc"));
        assert_eq!(r("link/not/there").as_deref(), Ok("/etc/not/there"));
        assert_eq!(r("inner/sub"), Ok(format!("{base}/real/sub")));
        assert_eq!(r("real/new/deeper"), Ok(format!("{base}/real/new/deeper")));
        // A symlink that leads nowhere cannot be judged: an error, not its own name.
        let e = r("dangling").expect_err("dangling");
        assert!(e.contains("dangling"), "{e}");
        assert_eq!(resolve_host_path("/").as_deref(), Ok("/"));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
