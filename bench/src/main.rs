//! berth-bench: berth against the raw-socket floor, curl and bollard, one daemon, one
//! run. See DESIGN.md → "Performance targets".
//!
//! Parts (`--parts`, default all): call latency (ping, version, info, container inspect
//! and list) of every client — the raw floor, berth async and blocking, libberth through
//! its C ABI, bollard and docker-py —, bursts of concurrent calls (1000 inspects), exec
//! stdout and logs throughput, export throughput with peak RSS, image save/load/build-context
//! throughput with peak RSS, the wasm plugin host, and the stream decoders in process.
//! The run ends with a Markdown summary (README's benchmark table).
//!
//! ```text
//! cargo run -p berth-bench --release -- --iters 2000
//! cargo run -p berth-bench --release -- --parts exec --exec-bytes 64M --exec-reps 1
//! ```

mod decode;
mod export;
mod fixture;
mod images;
mod plugin;
mod raw;
mod report;
mod stats;
mod stream;
mod subprocess;

use std::collections::HashSet;
use std::error::Error as StdError;
use std::fmt::Write as _;
use std::future::Future;
use std::hint::black_box;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use berth::api::containers::ContainerList;
use bollard::query_parameters::{InspectContainerOptions, ListContainersOptions};

use clap::Parser;
use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinSet;

use crate::export::ExportBench;
use crate::fixture::Cleanup;
use crate::images::ImagesBench;
use crate::plugin::PluginBench;
use crate::raw::{AsyncRawClient, RawClient, get_request};
use crate::report::Report;
use crate::stats::{Summary, percentile, summarize};
use crate::stream::{Source, StreamBench};
use crate::subprocess::Child;

type BoxError = Box<dyn StdError + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

/// The DESIGN.md target for a native call against the raw floor.
const TARGET_RATIO: f64 = 1.15;
/// The DESIGN.md target for a call through the C ABI against the same call made natively.
const C_ABI_RATIO: f64 = 1.2;
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// The bollard release measured (see bench/Cargo.toml for why not 0.19).
const BOLLARD_LABEL: &str = "bollard 0.21";

/// berth vs a hand-written keep-alive HTTP/1.1 client (the floor), curl and bollard:
/// call latency, concurrent bursts, exec throughput, export throughput and RSS.
#[derive(Debug, Parser)]
#[command(name = "berth-bench")]
struct Args {
    /// Run only these parts (comma-separated) [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    parts: Vec<Part>,
    /// Measured calls per (operation, client).
    #[arg(long, env = "BERTH_BENCH_ITERS", default_value_t = 2000)]
    iters: usize,
    /// Unmeasured calls per (operation, client) before measuring.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Measured calls are split in this many rounds; each round runs every client in
    /// turn, so daemon noise hits all clients alike [default: one balanced cycle of
    /// --schedule: the client count if even, twice it if odd; 18 for all nine].
    #[arg(long)]
    rounds: Option<usize>,
    /// The order of the clients in each round of the latency part.
    #[arg(long, value_enum, default_value_t = Schedule::Balanced)]
    schedule: Schedule,
    /// Daemon socket [default: $DOCKER_HOST if unix://…, else /var/run/docker.sock].
    #[arg(long)]
    socket: Option<PathBuf>,
    /// Concurrent calls per burst (part `concurrent`), per client (berth, bollard).
    #[arg(long, default_value_t = 1000)]
    concurrency: usize,
    /// Measured bursts per client (part `concurrent`), after one warm-up burst.
    #[arg(long, default_value_t = 10)]
    bursts: usize,
    /// Bytes the exec writes to stdout (part `exec`); suffixes K, M, G (binary).
    #[arg(long, value_parser = parse_size, default_value = "1G")]
    exec_bytes: u64,
    /// Size of the file in the exported container (part `export`); K, M, G suffixes.
    #[arg(long, value_parser = parse_size, default_value = "1G")]
    export_bytes: u64,
    /// Size of the big file in the saved/loaded image and of the build context (part
    /// `images`); K, M, G suffixes.
    #[arg(long, value_parser = parse_size, default_value = "1G")]
    image_bytes: u64,
    /// Runs per reader of the export and images parts (median reported).
    #[arg(long, default_value_t = 3)]
    stream_reps: usize,
    /// Runs per reader of the exec part (median reported). Five, not three: single
    /// runs spread by ±15% here, and the target (≥ 97% of curl) is a narrow margin.
    #[arg(long, default_value_t = 5)]
    exec_reps: usize,
    /// Payload bytes in the json-file log whose reading is measured (part `logs`); K, M,
    /// G suffixes, a multiple of 4 KiB (lines of 4 KiB).
    #[arg(long, value_parser = parse_size, default_value = "1G")]
    logs_bytes: u64,
    /// Runs per reader of the logs part (median reported).
    #[arg(long, default_value_t = 5)]
    logs_reps: usize,
    /// Measure only these operations in the latency part (comma-separated) [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    ops: Vec<Op>,
    /// Measure only these clients (comma-separated), e.g. to profile one [default: all].
    /// Ratio columns need `raw` / `bollard` in the set.
    #[arg(long, value_enum, value_delimiter = ',')]
    clients: Vec<Client>,
    /// The operation of the concurrent bursts.
    #[arg(long, value_enum, default_value_t = Op::Inspect)]
    concurrency_op: Op,
    /// Sequential inspects per run of the plugin part (native and plugin alike).
    #[arg(long, default_value_t = 1000)]
    plugin_calls: u32,
}

/// `1073741824`, `64M`, `1G`, `512K` (binary multiples).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{s:?} is not a size like 1073741824, 64M or 1G"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    /// p50/p99 of ping, version, info, container inspect and list (see --ops).
    Latency,
    /// Bursts of --concurrency concurrent calls, berth vs bollard.
    Concurrent,
    /// Exec stdout throughput: curl, raw socket, berth, bollard.
    Exec,
    /// Logs throughput (a container's json-file log): curl, raw socket, berth, bollard.
    Logs,
    /// Export throughput and peak RSS: berth, bollard, docker CLI, curl.
    Export,
    /// Image save, load and build context (~1 GiB): berth vs docker CLI, with peak RSS.
    Images,
    /// The wasm plugin host: load cold and cached, instantiation, 1000 inspects vs native.
    Plugin,
    /// The stream decoders in process, no I/O: multiplexed demux GB/s.
    Decode,
}

/// The order of the clients within the latency part's rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Schedule {
    /// Williams design: over one cycle every client goes first, last, and right after
    /// every other client equally often, so what a turn inherits from the one before it
    /// (a child process just exited, caches, where the scheduler left the daemon's
    /// threads) is spread over all clients.
    Balanced,
    /// The same order each round, rotated by one: every client always follows the same
    /// client (the floor always follows docker-py). What runs before 2026-11-28 used.
    Cyclic,
}

/// The order of `n` clients (indices) in round `round` of `schedule`.
fn round_order(schedule: Schedule, n: usize, round: usize) -> Vec<usize> {
    match schedule {
        Schedule::Cyclic => (0..n).map(|k| (round + k) % n).collect(),
        Schedule::Balanced => {
            // First row 0, 1, n-1, 2, n-2, …; row r adds r (mod n). For odd n the
            // second n rows are the first n reversed, which balances the successions.
            let first = (0..n).map(|j| {
                if j % 2 == 1 {
                    j.div_ceil(2)
                } else {
                    (n - j / 2) % n
                }
            });
            let r = round % balanced_cycle(n);
            let mut row: Vec<usize> = first.map(|c| (c + r % n) % n).collect();
            if r >= n {
                row.reverse();
            }
            row
        }
    }
}

/// Rounds in one cycle of the balanced schedule for `n` clients.
fn balanced_cycle(n: usize) -> usize {
    if n.is_multiple_of(2) { n } else { 2 * n }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Op {
    Ping,
    Version,
    Info,
    /// `GET /containers/{id}/json` of the benchmark's running container.
    Inspect,
    /// `GET /containers/json?all=1`.
    List,
}

const OPS: [Op; 5] = [Op::Ping, Op::Version, Op::Info, Op::Inspect, Op::List];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Ping => "ping",
            Op::Version => "version",
            Op::Info => "info",
            Op::Inspect => "inspect",
            Op::List => "list",
        }
    }

    fn path(self, api: &str, container: &str) -> String {
        match self {
            Op::Ping => "/_ping".to_string(),
            Op::Version => format!("/v{api}/version"),
            Op::Info => format!("/v{api}/info"),
            Op::Inspect => format!("/v{api}/containers/{container}/json"),
            Op::List => format!("/v{api}/containers/json?all=1"),
        }
    }

    /// Whether the benchmark's container must exist (list measures with it present).
    fn needs_container(self) -> bool {
        matches!(self, Op::Inspect | Op::List)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Client {
    /// Blocking std `UnixStream`: the floor every ratio is taken against.
    Raw,
    /// The same client over tokio (current_thread): what the async runtime alone costs.
    RawTokio,
    /// berth on a current_thread runtime.
    Berth,
    /// berth on a current_thread runtime, answers kept as the daemon's JSON bytes (no
    /// typed decoding; what the C ABI hands over): the transport's share of a call.
    BerthRaw,
    /// berth on a multi_thread runtime, calls made from a spawned task.
    BerthMt,
    /// berth's blocking client (`berth::blocking::Docker`).
    Blocking,
    /// libberth through its C ABI: a C program (capi/bench/inspect.c), in a child process.
    CAbi,
    /// bollard on a current_thread runtime.
    Bollard,
    /// docker-py's APIClient (bench/docker_py.py), in a child process.
    DockerPy,
}

const CLIENTS: [Client; 9] = [
    Client::Raw,
    Client::RawTokio,
    Client::BerthRaw,
    Client::Berth,
    Client::BerthMt,
    Client::Blocking,
    Client::CAbi,
    Client::Bollard,
    Client::DockerPy,
];

impl Client {
    fn label(self) -> &'static str {
        match self {
            Client::Raw => "raw floor",
            Client::RawTokio => "raw tokio",
            Client::Berth => "berth",
            Client::BerthRaw => "berth (raw JSON)",
            Client::BerthMt => "berth (mt)",
            Client::Blocking => "blocking",
            Client::CAbi => "C ABI",
            Client::Bollard => "bollard",
            Client::DockerPy => "docker-py",
        }
    }

    fn index(self) -> usize {
        match self {
            Client::Raw => 0,
            Client::RawTokio => 1,
            Client::Berth => 2,
            Client::BerthMt => 3,
            Client::Blocking => 4,
            Client::CAbi => 5,
            Client::Bollard => 6,
            Client::DockerPy => 7,
            Client::BerthRaw => 8,
        }
    }
}

/// Every client, connected to the same daemon.
struct Bench {
    raw: RawClient,
    raw_tokio: AsyncRawClient,
    ct: Runtime,
    mt: Runtime,
    berth_ct: berth::Docker,
    berth_mt: berth::Docker,
    blocking: berth::blocking::Docker,
    bollard: bollard::Docker,
    /// The child-process clients that could be set up (C ABI, docker-py).
    children: Vec<(Client, Child)>,
    socket: PathBuf,
    /// The daemon's API version (the children pin it).
    api: String,
    /// Prepared raw requests, indexed like [`OPS`].
    requests: Vec<Vec<u8>>,
    /// Id of the running container that `inspect` reads ("" if none was made).
    container: Arc<str>,
}

fn op_index(op: Op) -> usize {
    match op {
        Op::Ping => 0,
        Op::Version => 1,
        Op::Info => 2,
        Op::Inspect => 3,
        Op::List => 4,
    }
}

/// Awaits `n` calls of `f`, pushing each call's latency in ns to `out`.
async fn timed<F, Fut, T, E>(n: usize, out: &mut Vec<u64>, mut f: F) -> Result<(), E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    for _ in 0..n {
        let start = Instant::now();
        let v = f().await?;
        let ns = nanos(start.elapsed());
        black_box(v);
        out.push(ns);
    }
    Ok(())
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn check_status(client: &str, op: Op, status: u16, body: &[u8]) -> Result<()> {
    if status != 200 {
        return Err(format!(
            "{client} {}: HTTP {status}: {}",
            op.name(),
            String::from_utf8_lossy(body)
        )
        .into());
    }
    if op == Op::Ping && body != b"OK" {
        return Err(format!("{client} ping: body {:?}", String::from_utf8_lossy(body)).into());
    }
    Ok(())
}

fn tagged<E: std::fmt::Display>(client: Client, op: Op) -> impl FnOnce(E) -> BoxError {
    move |e| format!("{} {}: {e}", client.label(), op.name()).into()
}

impl Bench {
    /// Runs `n` calls of `op` with `client`, appending latencies (ns) to `out`.
    fn run(&mut self, client: Client, op: Op, n: usize, out: &mut Vec<u64>) -> Result<()> {
        let req = &self.requests[op_index(op)];
        match client {
            Client::Raw => {
                for _ in 0..n {
                    let start = Instant::now();
                    let (status, body) = self.raw.send(req).map_err(tagged(client, op))?;
                    let ns = nanos(start.elapsed());
                    check_status(client.label(), op, status, body)?;
                    black_box(body);
                    out.push(ns);
                }
                Ok(())
            }
            Client::RawTokio => {
                let raw = &mut self.raw_tokio;
                self.ct.block_on(async {
                    for _ in 0..n {
                        let start = Instant::now();
                        let (status, body) = raw.send(req).await.map_err(tagged(client, op))?;
                        let ns = nanos(start.elapsed());
                        check_status(client.label(), op, status, body)?;
                        black_box(body);
                        out.push(ns);
                    }
                    Ok(())
                })
            }
            Client::Berth => {
                let d = &self.berth_ct;
                self.ct
                    .block_on(berth_calls(d, op, &self.container, n, out))
                    .map_err(tagged(client, op))
            }
            Client::BerthRaw => {
                let d = &self.berth_ct;
                self.ct
                    .block_on(berth_raw_calls(d, op, &self.container, n, out))
                    .map_err(tagged(client, op))
            }
            Client::BerthMt => {
                let d = self.berth_mt.clone();
                let id = Arc::clone(&self.container);
                let task = self.mt.spawn(async move {
                    let mut v = Vec::with_capacity(n);
                    berth_calls(&d, op, &id, n, &mut v).await.map(|()| v)
                });
                let v = self
                    .mt
                    .block_on(task)
                    .map_err(tagged(client, op))?
                    .map_err(tagged(client, op))?;
                out.extend(v);
                Ok(())
            }
            Client::Blocking => {
                let d = &self.blocking;
                let id = &*self.container;
                let containers = d.containers();
                let all = berth_list_all();
                for _ in 0..n {
                    let start = Instant::now();
                    let r = match op {
                        Op::Ping => d.ping().map(|_| ()),
                        Op::Version => d.version().map(|_| ()),
                        Op::Info => d.info().map(|_| ()),
                        Op::Inspect => containers.get(id).map(|_| ()),
                        Op::List => containers.list(&all).map(|_| ()),
                    };
                    let ns = nanos(start.elapsed());
                    r.map_err(tagged(client, op))?;
                    out.push(ns);
                }
                Ok(())
            }
            Client::CAbi | Client::DockerPy => {
                let child = self
                    .children
                    .iter()
                    .find(|(c, _)| *c == client)
                    .map(|(_, child)| child)
                    .ok_or_else(|| format!("{} was not set up", client.label()))?;
                let samples = child.samples(&self.socket, &self.api, op, n, &self.container)?;
                out.extend(samples);
                Ok(())
            }
            Client::Bollard => {
                let d = &self.bollard;
                let id = &*self.container;
                self.ct
                    .block_on(async {
                        match op {
                            Op::Ping => timed(n, out, || d.ping()).await,
                            Op::Version => timed(n, out, || d.version()).await,
                            Op::Info => timed(n, out, || d.info()).await,
                            Op::Inspect => {
                                timed(n, out, || {
                                    d.inspect_container(id, None::<InspectContainerOptions>)
                                })
                                .await
                            }
                            Op::List => {
                                timed(n, out, || d.list_containers(Some(bollard_list_all()))).await
                            }
                        }
                    })
                    .map_err(tagged(client, op))
            }
        }
    }
}

fn bollard_list_all() -> ListContainersOptions {
    ListContainersOptions {
        all: true,
        ..Default::default()
    }
}

fn berth_list_all() -> ContainerList {
    ContainerList {
        all: true,
        ..ContainerList::default()
    }
}

async fn berth_calls(
    d: &berth::Docker,
    op: Op,
    id: &str,
    n: usize,
    out: &mut Vec<u64>,
) -> berth::Result<()> {
    let containers = d.containers();
    match op {
        Op::Ping => timed(n, out, || d.ping()).await,
        Op::Version => timed(n, out, || d.version()).await,
        Op::Info => timed(n, out, || d.info()).await,
        Op::Inspect => timed(n, out, || containers.get(id)).await,
        Op::List => {
            let all = berth_list_all();
            timed(n, out, || containers.list(&all)).await
        }
    }
}

/// The same calls as [`berth_calls`], each answer kept as the daemon's bytes.
async fn berth_raw_calls(
    d: &berth::Docker,
    op: Op,
    id: &str,
    n: usize,
    out: &mut Vec<u64>,
) -> berth::Result<()> {
    use berth::core::api::containers::ContainerInspect;
    use berth::core::api::system::{Info, Ping, Version};
    match op {
        Op::Ping => timed(n, out, || d.execute(&RawJson(Ping))).await,
        Op::Version => timed(n, out, || d.execute(&RawJson(Version { versioned: true }))).await,
        Op::Info => timed(n, out, || d.execute(&RawJson(Info))).await,
        Op::Inspect => {
            timed(n, out, || async move {
                d.execute(&RawJson(ContainerInspect::new(id))).await
            })
            .await
        }
        Op::List => {
            let list = RawJson(berth_list_all());
            timed(n, out, || d.execute(&list)).await
        }
    }
}

/// A core endpoint whose successful answer is kept as the daemon's bytes.
#[derive(Debug)]
struct RawJson<E>(E);

impl<E: berth::core::endpoint::Endpoint> berth::core::endpoint::Endpoint for RawJson<E> {
    type Output = bytes::Bytes;

    fn request(
        &self,
        api: berth::core::ApiVersion,
    ) -> berth::core::Result<berth::core::request::RequestHead> {
        self.0.request(api)
    }

    fn parse(
        &self,
        response: berth::core::endpoint::Response<'_>,
    ) -> berth::core::Result<bytes::Bytes> {
        let body = bytes::Bytes::copy_from_slice(response.body);
        self.parse_owned(response.status, response.headers, body)
    }

    fn parse_owned(
        &self,
        status: u16,
        _: &berth::core::headers::Headers,
        body: bytes::Bytes,
    ) -> berth::core::Result<bytes::Bytes> {
        berth::core::endpoint::success(status, &body)?;
        Ok(body)
    }
}

/// The socket to measure: `--socket`, else `$DOCKER_HOST` if it is `unix://…`, else the
/// default path.
fn socket_path(arg: Option<PathBuf>) -> PathBuf {
    if let Some(p) = arg {
        return p;
    }
    match std::env::var("DOCKER_HOST") {
        Ok(h) if h.starts_with("unix://") => PathBuf::from(&h["unix://".len()..]),
        _ => PathBuf::from(DEFAULT_SOCKET),
    }
}

/// What the daemon says about itself, read with the raw client.
#[derive(Debug)]
struct DaemonInfo {
    version: String,
    api: String,
}

fn probe(raw: &mut RawClient) -> Result<DaemonInfo> {
    let (status, body) = raw.send(&get_request("/_ping"))?;
    check_status("raw", Op::Ping, status, body)?;
    let (status, body) = raw.send(&get_request("/version"))?;
    check_status("raw", Op::Version, status, body)?;
    let v: serde_json::Value = serde_json::from_slice(body)?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Ok(DaemonInfo {
        version: field("Version").unwrap_or_else(|| "?".into()),
        api: field("ApiVersion").ok_or("/version has no ApiVersion")?,
    })
}

/// `1.41` → (1, 41).
fn parse_api(v: &str) -> Option<(usize, usize)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == export::CHILD_COMMAND) {
        return export::child_main(&argv[2..]);
    }
    if argv.get(1).is_some_and(|a| a == images::CHILD_COMMAND) {
        return images::child_main(&argv[2..]);
    }
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berth-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat`
/// (in USER_HZ = 100 ticks/s on Linux, so 10 ms resolution).
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// Seconds elapsed since `start`.
fn secs_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// The median of `v` (the mean of the middle two for an even count); NaN if empty.
fn median_f64(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// The smallest and largest of `v`: `(∞, 0)` when it is empty.
fn min_max_f64(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, 0.0), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

fn run(args: Args) -> Result<()> {
    if args.iters == 0 || args.rounds == Some(0) {
        return Err("--iters and --rounds must be at least 1".into());
    }
    if args.concurrency == 0
        || args.bursts == 0
        || args.stream_reps == 0
        || args.exec_reps == 0
        || args.logs_reps == 0
    {
        return Err(
            "--concurrency, --bursts, --stream-reps, --exec-reps and --logs-reps must be at least 1"
                .into(),
        );
    }
    if !args.logs_bytes.is_multiple_of(4096) {
        return Err("--logs-bytes must be a multiple of 4K (the log's lines are 4 KiB)".into());
    }
    let part = |p: Part| args.parts.is_empty() || args.parts.contains(&p);
    let socket = socket_path(args.socket.clone());
    let no_daemon = |e: &dyn std::fmt::Display| -> BoxError {
        format!(
            "no Docker daemon answers at {} ({e}); start dockerd or set DOCKER_HOST=unix:///path/to/docker.sock",
            socket.display()
        )
        .into()
    };
    let mut raw = RawClient::connect(&socket).map_err(|e| no_daemon(&e))?;
    let daemon = probe(&mut raw).map_err(|e| no_daemon(&e))?;
    let (api_major, api_minor) =
        parse_api(&daemon.api).ok_or_else(|| format!("daemon API version {:?}", daemon.api))?;

    let ct = Builder::new_current_thread().enable_all().build()?;
    let mt = Builder::new_multi_thread().enable_all().build()?;
    let url = format!("unix://{}", socket.display());
    let berth_ct = {
        let _rt = ct.enter();
        berth::Docker::connect(&url)?
    };
    let berth_mt = {
        let _rt = mt.enter();
        berth::Docker::connect(&url)?
    };
    // bollard sends its newest API version unless told otherwise, which an older daemon
    // refuses with 400 "client version … is too new": pin to the daemon's if lower.
    let default = bollard::API_DEFAULT_VERSION;
    let bollard_api = if (api_major, api_minor) < (default.major_version, default.minor_version) {
        bollard::ClientVersion {
            major_version: api_major,
            minor_version: api_minor,
        }
    } else {
        *default
    };
    let socket_str = socket.to_str().ok_or("socket path is not UTF-8")?;
    let bollard = {
        let _rt = ct.enter();
        bollard::Docker::connect_with_unix(socket_str, 120, &bollard_api)?
    };
    let raw_tokio = ct.block_on(AsyncRawClient::connect(&socket))?;

    let ops: Vec<Op> = OPS
        .into_iter()
        .filter(|o| args.ops.is_empty() || args.ops.contains(o))
        .collect();
    let mut clients: Vec<Client> = CLIENTS
        .into_iter()
        .filter(|c| args.clients.is_empty() || args.clients.contains(c))
        .collect();
    // The child-process clients, when their toolchains are there; else a note says why not.
    let mut children = Vec::new();
    let mut notes = Vec::new();
    let mut docker_py_version = None;
    if part(Part::Latency) {
        if clients.contains(&Client::CAbi) {
            match subprocess::build_capi() {
                Ok(exe) => children.push((Client::CAbi, Child::CAbi(exe))),
                Err(e) => notes.push(format!("C ABI not measured: {e}")),
            }
        }
        if clients.contains(&Client::DockerPy) {
            match subprocess::docker_py() {
                Ok((script, version)) => {
                    docker_py_version = Some(version);
                    children.push((Client::DockerPy, Child::DockerPy(script)));
                }
                Err(e) => notes.push(format!("docker-py not measured: {e}")),
            }
        }
    }
    clients.retain(|c| {
        !matches!(c, Client::CAbi | Client::DockerPy) || children.iter().any(|(k, _)| k == c)
    });
    let blocking = berth::blocking::Docker::connect(&url)?;

    let workers = mt.metrics().num_workers();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let machine = format!(
        "machine: {cores} cores ({cpu}), kernel {kernel}, daemon {} (API {}), {BOLLARD_LABEL}, \
         docker-py {}; socket {}",
        daemon.version,
        daemon.api,
        docker_py_version.as_deref().unwrap_or("–"),
        socket.display()
    );
    println!("{machine}");
    for n in &notes {
        println!("  {n}");
    }
    let mut report = Report::default();
    report.machine(machine);

    // The containers: removed when `cleanup` drops (return, error, panic) or on ctrl-c,
    // SIGTERM or SIGHUP.
    let cleanup = Cleanup::new(&socket, &daemon.api);
    let needs_container = (part(Part::Latency) && ops.iter().any(|o| o.needs_container()))
        || (part(Part::Concurrent) && args.concurrency_op.needs_container())
        || part(Part::Exec)
        || part(Part::Plugin);
    let pid = std::process::id();
    let container: Arc<str> = if needs_container {
        let name = format!("berth-bench-{pid}");
        // Long enough for any run; removed at the end anyway.
        let cmd = ["sleep", "86400"];
        let id = ct.block_on(fixture::run_container(&berth_ct, &cleanup, &name, &cmd))?;
        println!(
            "container: {name} ({}), {} `sleep 86400`, network none, label {}={}",
            &id[..12.min(id.len())],
            fixture::IMAGE,
            fixture::LABEL.0,
            fixture::LABEL.1
        );
        id.into()
    } else {
        "".into()
    };

    let requests = OPS
        .iter()
        .map(|op| get_request(&op.path(&daemon.api, &container)))
        .collect();
    let mut bench = Bench {
        raw,
        raw_tokio,
        ct,
        mt,
        berth_ct,
        berth_mt,
        blocking,
        bollard,
        children,
        socket: socket.clone(),
        api: daemon.api.clone(),
        requests,
        container,
    };

    if part(Part::Latency) {
        latency(
            &mut bench,
            &args,
            &ops,
            &clients,
            &bollard_api,
            workers,
            &mut report,
        )?;
    }
    if part(Part::Concurrent) {
        let target = (&url[..], socket_str, &bollard_api);
        concurrency(
            &bench.mt,
            args.concurrency_op,
            &bench.container,
            args.concurrency,
            args.bursts,
            target,
            &mut report,
        )?;
    }
    if part(Part::Exec) {
        StreamBench {
            socket: &socket,
            api: &daemon.api,
            source: Source::Exec,
            container: &bench.container,
            bytes: args.exec_bytes,
            reps: args.exec_reps,
            rt: &bench.ct,
            berth: &bench.berth_ct,
            bollard: &bench.bollard,
        }
        .run(&mut report)?;
    }
    if part(Part::Logs) {
        let name = format!("berth-bench-{pid}-logs");
        // Lines of 4096 bytes (4095 'a's and a newline): `bytes` of payload exactly.
        let script = format!(
            "yes \"$(head -c 4095 /dev/zero | tr '\\0' a)\" | head -c {}",
            args.logs_bytes
        );
        let id = stopped_container(&bench, &cleanup, &name, &script, true)?;
        StreamBench {
            socket: &socket,
            api: &daemon.api,
            source: Source::Logs,
            container: &id,
            bytes: args.logs_bytes,
            reps: args.logs_reps,
            rt: &bench.ct,
            berth: &bench.berth_ct,
            bollard: &bench.bollard,
        }
        .run(&mut report)?;
    }
    if part(Part::Export) {
        let name = format!("berth-bench-{pid}-export");
        let script = format!("head -c {} /dev/zero > /big", args.export_bytes);
        let id = stopped_container(&bench, &cleanup, &name, &script, false)?;
        ExportBench {
            socket: &socket,
            api: &daemon.api,
            container: &id,
            file_bytes: args.export_bytes,
            reps: args.stream_reps,
        }
        .run(&mut report)?;
    }
    if part(Part::Images) {
        ImagesBench {
            socket: &socket,
            rt: &bench.ct,
            berth: &bench.berth_ct,
            cleanup: &cleanup,
            bytes: args.image_bytes,
            reps: args.stream_reps,
        }
        .run(&mut report)?;
    }
    if part(Part::Plugin) {
        PluginBench {
            rt: &bench.mt,
            docker: &bench.berth_mt,
            container: &bench.container,
            calls: args.plugin_calls.max(1),
            reps: 5,
        }
        .run(&mut report)?;
    }
    if part(Part::Decode) {
        decode::demux(&mut report)?;
    }
    cleanup.remove_all();
    println!();
    println!("cleanup: removed the benchmark's containers and images (label berth.test=1)");
    report.print();
    Ok(())
}

/// A container that ran `sh -c script` to its end (see [`fixture::run_to_exit`]),
/// announced with its run time; returns its id.
fn stopped_container(
    bench: &Bench,
    cleanup: &Cleanup,
    name: &str,
    script: &str,
    json_log: bool,
) -> Result<String> {
    let start = Instant::now();
    let id = bench.ct.block_on(fixture::run_to_exit(
        &bench.berth_ct,
        cleanup,
        name,
        &["sh", "-c", script],
        Duration::from_secs(1800),
        json_log,
    ))?;
    println!();
    println!(
        "container: {name} ({}) ran `{script}`{} and exited in {:.1} s",
        &id[..12.min(id.len())],
        if json_log { " (json-file log)" } else { "" },
        secs_since(start)
    );
    Ok(id)
}

/// The latency part: every (op, client) pair, interleaved rounds, table and verdicts.
fn latency(
    bench: &mut Bench,
    args: &Args,
    ops: &[Op],
    clients: &[Client],
    bollard_api: &bollard::ClientVersion,
    workers: usize,
    report: &mut Report,
) -> Result<()> {
    // berth negotiates its API version on the first call; the warm-up absorbs that, the
    // connection set-ups and the allocator's first growth.
    let berth_api = bench.ct.block_on(bench.berth_ct.api_version())?;
    let mut sink = Vec::with_capacity(args.warmup);
    for &op in ops {
        for &client in clients {
            sink.clear();
            bench.run(client, op, args.warmup.max(1), &mut sink)?;
        }
    }

    let rounds = args
        .rounds
        .unwrap_or_else(|| balanced_cycle(clients.len()))
        .min(args.iters);
    println!();
    println!(
        "latency: N={} measured calls per (op, client) in {rounds} interleaved rounds ({}), \
         warm-up {} per (op, client)",
        args.iters,
        match args.schedule {
            Schedule::Balanced => "balanced order: each client after each other equally often",
            Schedule::Cyclic => "cyclic order",
        },
        args.warmup,
    );
    println!(
        "  raw floor = blocking std UnixStream + httparse, one keep-alive connection, body not \
         parsed; raw tokio = same over tokio current_thread"
    );
    println!(
        "  berth (API {berth_api}) and {BOLLARD_LABEL} (API {}.{}) on tokio current_thread; \
         berth (mt) = multi_thread runtime ({workers} workers), calls from a spawned task; \
         blocking = berth::blocking::Docker",
        bollard_api.major_version, bollard_api.minor_version
    );
    println!(
        "  C ABI = libberth from C (capi/bench/inspect.c; the answer is the daemon's JSON, not \
         parsed), docker-py = its APIClient (bench/docker_py.py; dicts): each a child process \
         per round, connecting and making 20 unmeasured calls before its measured ones"
    );
    if ops.iter().any(|o| o.needs_container()) {
        println!(
            "  inspect = GET /containers/{{id}}/json (berth: containers().get, bollard: \
             inspect_container); list = GET /containers/json?all=1 (berth: containers().list, \
             bollard: list_containers); bollard decodes into typed models when the answer \
             arrives, berth checks the JSON then and decodes its typed views on first use (the \
             decode-only lines below show that cost), berth (raw JSON) keeps the bytes, the \
             floor parses nothing"
        );
    }
    println!();

    // samples[op][client]
    let mut samples: Vec<Vec<Vec<u64>>> = OPS
        .iter()
        .map(|_| {
            CLIENTS
                .iter()
                .map(|_| Vec::with_capacity(args.iters))
                .collect()
        })
        .collect();
    let per_round = args.iters / rounds;
    for round in 0..rounds {
        let n = round_span(round, rounds, per_round, args.iters).len();
        let order = round_order(args.schedule, clients.len(), round);
        for &op in ops {
            for &k in &order {
                let client = clients[k];
                bench.run(client, op, n, &mut samples[op_index(op)][client.index()])?;
            }
        }
    }

    // Before the samples are sorted: berth's p50 against the floor's within each round.
    let per_round_ratios: Vec<(Op, Vec<f64>)> = ops
        .iter()
        .map(|&op| {
            let s = &samples[op_index(op)];
            let r = round_ratios(
                &s[Client::Berth.index()],
                &s[Client::Raw.index()],
                per_round,
                rounds,
            );
            (op, r)
        })
        .collect();

    // summaries[op][client]; None for what was not measured.
    let summaries: Vec<Vec<Option<Summary>>> = samples
        .iter_mut()
        .map(|per_client| per_client.iter_mut().map(|s| summarize(s)).collect())
        .collect();
    print!("{}", table(&summaries, ops, clients));
    report.latency(markdown_latency(&summaries, ops, clients));
    println!();
    let yes = |r: f64, target: f64| if r <= target { "yes" } else { "no" };
    for &op in ops {
        let s = &summaries[op_index(op)];
        let vs_raw = |c: Client| ratio(s[c.index()], s[Client::Raw.index()]);
        let Some(ct) = vs_raw(Client::Berth) else {
            println!("verdict {:<8} needs the raw and berth clients", op.name());
            continue;
        };
        let mut extra = String::new();
        if let Some(mt) = vs_raw(Client::BerthMt) {
            let _ = write!(extra, "; berth (mt) {mt:.2}× → {}", yes(mt, TARGET_RATIO));
        }
        if let Some(t) = vs_raw(Client::RawTokio) {
            let _ = write!(extra, "; raw tokio {t:.2}×");
        }
        println!(
            "verdict {:<8} berth ≤ {TARGET_RATIO:.2}× raw floor: {} (p50 {ct:.2}×{extra})",
            op.name(),
            yes(ct, TARGET_RATIO),
        );
    }
    // How steady the verdict's ratio is within the run: a miss in every round is berth's,
    // a miss in some is the run's.
    for (op, r) in &per_round_ratios {
        if r.is_empty() {
            continue;
        }
        let met = r.iter().filter(|&&x| x <= TARGET_RATIO).count();
        let (lo, hi) = min_max_f64(r);
        println!(
            "  {:<8} berth vs raw floor round by round (p50 of each round's calls): \
             {lo:.2}–{hi:.2}×, median {:.2}×; ≤ {TARGET_RATIO:.2}× in {met} of {} rounds",
            op.name(),
            median_f64(r),
            r.len(),
        );
    }
    // The C ABI against native berth: the same library, called from C in its own process.
    for &op in ops {
        let s = &summaries[op_index(op)];
        let Some(c) = ratio(s[Client::CAbi.index()], s[Client::Berth.index()]) else {
            continue;
        };
        let mut extra = String::new();
        if let Some(b) = ratio(s[Client::CAbi.index()], s[Client::Blocking.index()]) {
            let _ = write!(extra, "; vs blocking {b:.2}×");
        }
        println!(
            "verdict {:<8} C ABI ≤ {C_ABI_RATIO:.2}× native berth: {} (p50 {c:.2}×{extra})",
            op.name(),
            yes(c, C_ABI_RATIO),
        );
    }

    // Where berth's inspect/list time goes: decoding alone, no I/O.
    let mut fetch = |op: Op| -> Result<Option<Vec<u8>>> {
        if !ops.contains(&op) {
            return Ok(None);
        }
        let (status, body) = bench.raw.send(&bench.requests[op_index(op)])?;
        check_status("raw", op, status, body)?;
        Ok(Some(body.to_vec()))
    };
    let (inspect, list) = (fetch(Op::Inspect)?, fetch(Op::List)?);
    if inspect.is_some() || list.is_some() {
        println!();
        decode::report(
            &bench.container,
            args.iters.min(2000),
            inspect.as_deref(),
            list.as_deref(),
        )?;
    }
    Ok(())
}

/// The ratio of `a`'s p50 to `b`'s within each round: round `r` holds samples
/// `r * per_round ..`, the last round the rest. Empty unless both were measured.
fn round_ratios(a: &[u64], b: &[u64], per_round: usize, rounds: usize) -> Vec<f64> {
    if a.is_empty() || b.is_empty() || per_round == 0 {
        return Vec::new();
    }
    let round = |v: &[u64], r: usize| -> Option<u64> {
        let mut part = v.get(round_span(r, rounds, per_round, v.len()))?.to_vec();
        part.sort_unstable();
        percentile(&part, 50.0)
    };
    (0..rounds)
        .filter_map(|r| Some(round(a, r)? as f64 / round(b, r)? as f64))
        .collect()
}

/// The calls of round `round` among `total`: `per_round` each, the last round the rest.
fn round_span(round: usize, rounds: usize, per_round: usize, total: usize) -> Range<usize> {
    let start = round * per_round;
    start..if round + 1 == rounds {
        total
    } else {
        start + per_round
    }
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// p50 of `a` over p50 of `b`, if both were measured.
fn ratio(a: Option<Summary>, b: Option<Summary>) -> Option<f64> {
    Some(a?.p50 as f64 / b?.p50 as f64)
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{r:.2}x"))
}

/// The latency table in Markdown: p50 per (op, client), with the ratio to the floor.
fn markdown_latency(summaries: &[Vec<Option<Summary>>], ops: &[Op], clients: &[Client]) -> String {
    let mut out = String::from("| p50 (p99) µs, ratio of p50 to the raw floor |");
    let mut rule = String::from("| --- |");
    for c in clients {
        let _ = write!(out, " {} |", c.label());
        rule.push_str(" --- |");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{rule}");
    for &op in ops {
        let s = &summaries[op_index(op)];
        let _ = write!(out, "| {} |", op.name());
        for &c in clients {
            let cell = s[c.index()].map_or_else(
                || "–".to_string(),
                |x| {
                    let r = ratio(Some(x), s[Client::Raw.index()])
                        .map_or_else(String::new, |r| format!(" {r:.2}×"));
                    format!("{:.0} ({:.0}){r}", us(x.p50), us(x.p99))
                },
            );
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out);
    }
    out
}

fn table(summaries: &[Vec<Option<Summary>>], ops: &[Op], clients: &[Client]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<9} {:<12} {:>9} {:>9} {:>9} {:>18} {:>22}",
        "op", "client", "p50 µs", "p99 µs", "mean µs", "p50 ratio vs raw", "p50 ratio vs bollard"
    );
    for &op in ops {
        let s = &summaries[op_index(op)];
        for &client in clients {
            let Some(x) = s[client.index()] else {
                continue;
            };
            let _ = writeln!(
                out,
                "{:<9} {:<12} {:>9.1} {:>9.1} {:>9.1} {:>18} {:>22}",
                op.name(),
                client.label(),
                us(x.p50),
                us(x.p99),
                x.mean / 1000.0,
                fmt_ratio(ratio(Some(x), s[Client::Raw.index()])),
                fmt_ratio(ratio(Some(x), s[Client::Bollard.index()])),
            );
        }
    }
    out
}

/// Bursts of `c` concurrent `op` calls per async client, on the multi_thread
/// runtime. Each gets a fresh client made inside that runtime (a hyper pool's connection
/// tasks live on the runtime that made them), so both pools start empty.
fn concurrency(
    mt: &Runtime,
    op: Op,
    container: &Arc<str>,
    c: usize,
    bursts: usize,
    (url, socket, bollard_api): (&str, &str, &bollard::ClientVersion),
    report: &mut Report,
) -> Result<()> {
    let (berth, bollard) = {
        let _rt = mt.enter();
        (
            berth::Docker::connect(url)?,
            bollard::Docker::connect_with_unix(socket, 120, bollard_api)?,
        )
    };
    let workers = mt.metrics().num_workers();
    println!();
    println!(
        "concurrency: {bursts} bursts (after 1 warm-up burst) of {c} concurrent {} calls \
         per client, each call a spawned task, multi_thread runtime ({workers} workers); wall \
         time per burst (spawn of the first to completion of the last) and per-call latency",
        op.name()
    );
    println!(
        "  sockets: one more, unmeasured burst per client with /proc/self/fd sampled every \
         ~1 ms: new = sockets first seen during it (≈ connections the daemon accepted), peak = \
         most open at once above those open before it; berth's pool keeps ≤ 32 idle (PoolOptions); \
         CPU = this process's user + system time per measured burst (10 ms ticks)"
    );
    println!(
        "{:<12} {:>13} {:>13} {:>13} {:>12} {:>12} {:>13} {:>9} {:>9}",
        "client",
        "burst p50 ms",
        "burst min ms",
        "burst max ms",
        "call p50 µs",
        "call p99 µs",
        "CPU ms/burst",
        "new sock",
        "peak"
    );
    let mut results = Vec::new();
    for name in ["berth", "bollard"] {
        let burst = |mt: &Runtime| -> Result<Vec<u64>> {
            let mut set = JoinSet::new();
            for _ in 0..c {
                let id = Arc::clone(container);
                if name == "berth" {
                    set.spawn_on(one_berth(berth.clone(), op, id), mt.handle());
                } else {
                    set.spawn_on(one_bollard(bollard.clone(), op, id), mt.handle());
                }
            }
            let lat = mt.block_on(async {
                let mut lat = Vec::with_capacity(c);
                while let Some(r) = set.join_next().await {
                    lat.push(r.map_err(|e| e.to_string())??);
                }
                Ok::<_, String>(lat)
            });
            Ok(lat.map_err(|e| format!("{name} concurrent {}: {e}", op.name()))?)
        };
        let mut walls = Vec::with_capacity(bursts);
        let mut calls = Vec::with_capacity(bursts * c);
        let mut cpu_start = None;
        for b in 0..=bursts {
            if b == 1 {
                cpu_start = cpu_secs();
            }
            let start = Instant::now();
            let lat = burst(mt)?;
            let wall = nanos(start.elapsed());
            if b > 0 {
                walls.push(wall);
                calls.extend(lat);
            }
        }
        let cpu_ms = cpu_secs()
            .zip(cpu_start)
            .map(|(end, start)| (end - start) * 1000.0 / bursts as f64);
        let sockets = SocketProbe::start();
        burst(mt)?;
        let sockets = sockets.finish();
        let w = summarize(&mut walls).ok_or("no bursts")?;
        let k = summarize(&mut calls).ok_or("no calls")?;
        println!(
            "{:<12} {:>13.2} {:>13.2} {:>13.2} {:>12.1} {:>12.1} {:>13} {:>9} {:>9}",
            name,
            w.p50 as f64 / 1e6,
            w.min as f64 / 1e6,
            w.max as f64 / 1e6,
            us(k.p50),
            us(k.p99),
            cpu_ms.map_or_else(|| "-".to_string(), |c| format!("{c:.0}")),
            sockets.new,
            sockets.peak,
        );
        results.push(w.p50);
    }
    if let [b, o] = results[..] {
        report.row(
            format!("{c} concurrent {}s, burst p50", op.name()),
            format!("bollard {:.1} ms", o as f64 / 1e6),
            format!(
                "{:.1} ms ({:.2}× bollard)",
                b as f64 / 1e6,
                b as f64 / o as f64
            ),
            "< 1.00× bollard",
        );
        println!(
            "verdict concurrent: berth faster than bollard: {} (burst p50 {:.2}× bollard's, \
             {bursts} bursts of {c})",
            if b < o { "yes" } else { "no" },
            b as f64 / o as f64
        );
    }
    Ok(())
}

/// The socket fds of this process (`socket:[inode]` link targets).
fn open_sockets() -> HashSet<String> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return HashSet::new();
    };
    dir.filter_map(|e| {
        let target = std::fs::read_link(e.ok()?.path()).ok()?;
        let target = target.to_str()?;
        target.starts_with("socket:").then(|| target.to_string())
    })
    .collect()
}

/// What a burst did to this process's sockets.
#[derive(Debug, Default)]
struct SocketCounts {
    /// Sockets seen during the burst that were not open before it.
    new: usize,
    /// Most sockets open at once during it, minus those open before.
    peak: usize,
}

/// Samples the open sockets on a thread until [`SocketProbe::finish`].
struct SocketProbe {
    stop: Arc<AtomicBool>,
    before: usize,
    thread: std::thread::JoinHandle<(HashSet<String>, usize)>,
}

impl SocketProbe {
    fn start() -> SocketProbe {
        let before = open_sockets();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let n_before = before.len();
        let thread = std::thread::spawn(move || {
            let mut seen = HashSet::new();
            let mut peak = 0;
            loop {
                let now = open_sockets();
                peak = peak.max(now.len());
                seen.extend(now.into_iter().filter(|s| !before.contains(s)));
                if flag.load(Ordering::Relaxed) {
                    return (seen, peak);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        SocketProbe {
            stop,
            before: n_before,
            thread,
        }
    }

    fn finish(self) -> SocketCounts {
        self.stop.store(true, Ordering::Relaxed);
        let Ok((seen, peak)) = self.thread.join() else {
            return SocketCounts::default();
        };
        SocketCounts {
            new: seen.len(),
            peak: peak.saturating_sub(self.before),
        }
    }
}

/// One berth call of `op`, timed.
async fn one_berth(d: berth::Docker, op: Op, id: Arc<str>) -> Result<u64, String> {
    let t = Instant::now();
    let r = match op {
        Op::Ping => d.ping().await.map(|_| ()),
        Op::Version => d.version().await.map(|_| ()),
        Op::Info => d.info().await.map(|_| ()),
        Op::Inspect => d.containers().get(&id).await.map(|_| ()),
        Op::List => d.containers().list(&berth_list_all()).await.map(|_| ()),
    };
    r.map(|()| nanos(t.elapsed())).map_err(|e| e.to_string())
}

/// One bollard call of `op`, timed.
async fn one_bollard(d: bollard::Docker, op: Op, id: Arc<str>) -> Result<u64, String> {
    let t = Instant::now();
    let r = match op {
        Op::Ping => d.ping().await.map(|_| ()),
        Op::Version => d.version().await.map(|_| ()),
        Op::Info => d.info().await.map(|_| ()),
        Op::Inspect => d
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
            .map(|_| ()),
        Op::List => d
            .list_containers(Some(bollard_list_all()))
            .await
            .map(|_| ()),
    };
    r.map(|()| nanos(t.elapsed())).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_binary_suffixes() {
        assert_eq!(parse_size("1073741824"), Ok(1 << 30));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn balanced_rounds_give_every_client_every_predecessor_equally() {
        for n in 1..=10 {
            let cycle = balanced_cycle(n);
            let mut follows = vec![vec![0usize; n]; n];
            let mut first = vec![0usize; n];
            for round in 0..cycle {
                let row = round_order(Schedule::Balanced, n, round);
                let mut sorted = row.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "n={n} round {round}");
                first[row[0]] += 1;
                for w in row.windows(2) {
                    follows[w[1]][w[0]] += 1;
                }
            }
            let each = cycle / n;
            assert!(first.iter().all(|&f| f == each), "n={n}: firsts {first:?}");
            for (b, row) in follows.iter().enumerate() {
                for (a, &count) in row.iter().enumerate() {
                    let want = if a == b { 0 } else { each };
                    assert_eq!(count, want, "n={n}: {b} after {a}");
                }
            }
            // The cycle repeats.
            assert_eq!(
                round_order(Schedule::Balanced, n, cycle + 1),
                round_order(Schedule::Balanced, n, 1)
            );
        }
        // The old schedule: the floor (0) always follows the last client.
        let n = 9;
        for round in 0..n {
            let row = round_order(Schedule::Cyclic, n, round);
            if let Some(i) = row.iter().position(|&c| c == 0).filter(|&i| i > 0) {
                assert_eq!(row[i - 1], n - 1);
            }
        }
    }

    #[test]
    fn ratios_round_by_round() {
        // Three rounds of two calls, the last with three.
        let a = [10, 20, 30, 30, 50, 50, 50];
        let b = [10, 10, 10, 10, 100, 100, 100];
        let r = round_ratios(&a, &b, 2, 3);
        assert_eq!(r, vec![1.0, 3.0, 0.5]);
        assert!(round_ratios(&a, &[], 2, 3).is_empty());
    }

    #[test]
    fn medians() {
        assert_eq!(median_f64(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_f64(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median_f64(&[]).is_nan());
    }

    #[test]
    fn smallest_and_largest() {
        assert_eq!(min_max_f64(&[3.0, 0.5, 2.0]), (0.5, 3.0));
        assert_eq!(min_max_f64(&[7.0]), (7.0, 7.0));
        assert_eq!(min_max_f64(&[]), (f64::INFINITY, 0.0));
    }

    #[test]
    fn own_cpu_time_reads() {
        assert!(cpu_secs().is_some_and(|c| c >= 0.0));
    }
}
