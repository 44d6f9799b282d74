//! berth-bench: latency of berth against the raw-socket floor and bollard, one daemon,
//! one run. See DESIGN.md → "Performance targets".
//!
//! ```text
//! cargo run -p berth-bench --release -- --iters 2000
//! ```

mod raw;
mod stats;

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::future::Future;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinSet;

use crate::raw::{AsyncRawClient, RawClient, get_request};
use crate::stats::{Summary, summarize};

type BoxError = Box<dyn StdError + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

/// The DESIGN.md target for a native call against the raw floor.
const TARGET_RATIO: f64 = 1.15;
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// The bollard release measured (see bench/Cargo.toml for why not 0.19).
const BOLLARD_LABEL: &str = "bollard 0.21";

/// Latency of berth vs a hand-written keep-alive HTTP/1.1 client (the floor) and bollard.
#[derive(Debug, Parser)]
#[command(name = "berth-bench")]
struct Args {
    /// Measured calls per (operation, client).
    #[arg(long, env = "BERTH_BENCH_ITERS", default_value_t = 2000)]
    iters: usize,
    /// Unmeasured calls per (operation, client) before measuring.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Measured calls are split in this many rounds; each round runs every client in
    /// turn (rotating who goes first), so daemon noise hits all clients alike.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Daemon socket [default: $DOCKER_HOST if unix://…, else /var/run/docker.sock].
    #[arg(long)]
    socket: Option<PathBuf>,
    /// Also run bursts of this many concurrent calls per client (berth, bollard).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Measure only these operations (comma-separated) [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    ops: Vec<Op>,
    /// Measure only these clients (comma-separated), e.g. to profile one [default: all].
    /// Ratio columns need `raw` / `bollard` in the set.
    #[arg(long, value_enum, value_delimiter = ',')]
    clients: Vec<Client>,
    /// The operation of the concurrent bursts.
    #[arg(long, value_enum, default_value_t = Op::Ping)]
    concurrency_op: Op,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Op {
    Ping,
    Version,
    Info,
}

const OPS: [Op; 3] = [Op::Ping, Op::Version, Op::Info];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Ping => "ping",
            Op::Version => "version",
            Op::Info => "info",
        }
    }

    fn path(self, api: &str) -> String {
        match self {
            Op::Ping => "/_ping".to_string(),
            Op::Version => format!("/v{api}/version"),
            Op::Info => format!("/v{api}/info"),
        }
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
    /// berth on a multi_thread runtime, calls made from a spawned task.
    BerthMt,
    /// bollard on a current_thread runtime.
    Bollard,
}

const CLIENTS: [Client; 5] = [
    Client::Raw,
    Client::RawTokio,
    Client::Berth,
    Client::BerthMt,
    Client::Bollard,
];

impl Client {
    fn label(self) -> &'static str {
        match self {
            Client::Raw => "raw floor",
            Client::RawTokio => "raw tokio",
            Client::Berth => "berth",
            Client::BerthMt => "berth (mt)",
            Client::Bollard => "bollard",
        }
    }

    fn index(self) -> usize {
        match self {
            Client::Raw => 0,
            Client::RawTokio => 1,
            Client::Berth => 2,
            Client::BerthMt => 3,
            Client::Bollard => 4,
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
    bollard: bollard::Docker,
    /// Prepared raw requests, indexed like [`OPS`].
    requests: Vec<Vec<u8>>,
}

fn op_index(op: Op) -> usize {
    match op {
        Op::Ping => 0,
        Op::Version => 1,
        Op::Info => 2,
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
                    .block_on(berth_calls(d, op, n, out))
                    .map_err(tagged(client, op))
            }
            Client::BerthMt => {
                let d = self.berth_mt.clone();
                let task = self.mt.spawn(async move {
                    let mut v = Vec::with_capacity(n);
                    berth_calls(&d, op, n, &mut v).await.map(|()| v)
                });
                let v = self
                    .mt
                    .block_on(task)
                    .map_err(tagged(client, op))?
                    .map_err(tagged(client, op))?;
                out.extend(v);
                Ok(())
            }
            Client::Bollard => {
                let d = &self.bollard;
                self.ct
                    .block_on(async {
                        match op {
                            Op::Ping => timed(n, out, || d.ping()).await,
                            Op::Version => timed(n, out, || d.version()).await,
                            Op::Info => timed(n, out, || d.info()).await,
                        }
                    })
                    .map_err(tagged(client, op))
            }
        }
    }
}

async fn berth_calls(d: &berth::Docker, op: Op, n: usize, out: &mut Vec<u64>) -> berth::Result<()> {
    match op {
        Op::Ping => timed(n, out, || d.ping()).await,
        Op::Version => timed(n, out, || d.version()).await,
        Op::Info => timed(n, out, || d.info()).await,
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
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berth-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    if args.iters == 0 || args.rounds == 0 {
        return Err("--iters and --rounds must be at least 1".into());
    }
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
    let requests = OPS
        .iter()
        .map(|op| get_request(&op.path(&daemon.api)))
        .collect();
    let mut bench = Bench {
        raw,
        raw_tokio,
        ct,
        mt,
        berth_ct,
        berth_mt,
        bollard,
        requests,
    };

    // berth negotiates its API version on the first call; the warm-up absorbs that, the
    // connection set-ups and the allocator's first growth.
    let berth_api = bench.ct.block_on(bench.berth_ct.api_version())?;
    let ops: Vec<Op> = OPS
        .into_iter()
        .filter(|o| args.ops.is_empty() || args.ops.contains(o))
        .collect();
    let clients: Vec<Client> = CLIENTS
        .into_iter()
        .filter(|c| args.clients.is_empty() || args.clients.contains(c))
        .collect();
    let mut sink = Vec::with_capacity(args.warmup);
    for &op in &ops {
        for &client in &clients {
            sink.clear();
            bench.run(client, op, args.warmup.max(1), &mut sink)?;
        }
    }

    let workers = bench.mt.metrics().num_workers();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    println!(
        "berth-bench: N={} measured calls per (op, client) in {} interleaved rounds, \
         warm-up {} per (op, client); socket {}",
        args.iters,
        args.rounds,
        args.warmup,
        socket.display()
    );
    println!(
        "  raw floor = blocking std UnixStream + httparse, one keep-alive connection, body not \
         parsed; raw tokio = same over tokio current_thread"
    );
    println!(
        "  berth (API {berth_api}) and {BOLLARD_LABEL} (API {}.{}) on tokio current_thread; \
         berth (mt) = multi_thread runtime ({workers} workers), calls from a spawned task",
        bollard_api.major_version, bollard_api.minor_version
    );
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
    let per_round = args.iters / args.rounds;
    for round in 0..args.rounds {
        let n = if round + 1 == args.rounds {
            args.iters - per_round * (args.rounds - 1)
        } else {
            per_round
        };
        for &op in &ops {
            for k in 0..clients.len() {
                let client = clients[(round + k) % clients.len()];
                bench.run(client, op, n, &mut samples[op_index(op)][client.index()])?;
            }
        }
    }

    // summaries[op][client]; None for what was not measured.
    let summaries: Vec<Vec<Option<Summary>>> = samples
        .iter_mut()
        .map(|per_client| per_client.iter_mut().map(|s| summarize(s)).collect())
        .collect();
    print!("{}", table(&summaries, &ops, &clients));
    println!();
    println!(
        "machine: {cores} cores (available_parallelism), kernel {kernel}, daemon {} (API {}), \
         {BOLLARD_LABEL}",
        daemon.version, daemon.api
    );
    let yes = |r: f64| if r <= TARGET_RATIO { "yes" } else { "no" };
    for &op in &ops {
        let s = &summaries[op_index(op)];
        let vs_raw = |c: Client| ratio(s[c.index()], s[Client::Raw.index()]);
        let Some(ct) = vs_raw(Client::Berth) else {
            println!("verdict {:<8} needs the raw and berth clients", op.name());
            continue;
        };
        let mut extra = String::new();
        if let Some(mt) = vs_raw(Client::BerthMt) {
            let _ = write!(extra, "; berth (mt) {mt:.2}× → {}", yes(mt));
        }
        if let Some(t) = vs_raw(Client::RawTokio) {
            let _ = write!(extra, "; raw tokio {t:.2}×");
        }
        println!(
            "verdict {:<8} berth ≤ {TARGET_RATIO:.2}× raw floor: {} (p50 {ct:.2}×{extra})",
            op.name(),
            yes(ct),
        );
    }

    if let Some(c) = args.concurrency {
        let target = (&url[..], socket_str, &bollard_api);
        concurrency(&bench.mt, args.concurrency_op, c, args.rounds, target)?;
    }
    Ok(())
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
    c: usize,
    bursts: usize,
    (url, socket, bollard_api): (&str, &str, &bollard::ClientVersion),
) -> Result<()> {
    if c == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    let (berth, bollard) = {
        let _rt = mt.enter();
        (
            berth::Docker::connect(url)?,
            bollard::Docker::connect_with_unix(socket, 120, bollard_api)?,
        )
    };
    println!();
    println!(
        "concurrency: {bursts} bursts (after 1 warm-up burst) of {c} concurrent {} calls \
         per client, multi_thread runtime; wall time per burst and per-call latency",
        op.name()
    );
    println!(
        "{:<12} {:>14} {:>14} {:>14} {:>14}",
        "client", "burst p50 ms", "burst max ms", "call p50 µs", "call p99 µs"
    );
    let mut results = Vec::new();
    for name in ["berth", "bollard"] {
        let mut walls = Vec::with_capacity(bursts);
        let mut calls = Vec::with_capacity(bursts * c);
        for burst in 0..=bursts {
            let mut set = JoinSet::new();
            let start = Instant::now();
            for _ in 0..c {
                if name == "berth" {
                    set.spawn_on(one_berth(berth.clone(), op), mt.handle());
                } else {
                    set.spawn_on(one_bollard(bollard.clone(), op), mt.handle());
                }
            }
            let lat = mt.block_on(async {
                let mut lat = Vec::with_capacity(c);
                while let Some(r) = set.join_next().await {
                    lat.push(r.map_err(|e| e.to_string())??);
                }
                Ok::<_, String>(lat)
            });
            let lat = lat.map_err(|e| format!("{name} concurrent {}: {e}", op.name()))?;
            let wall = nanos(start.elapsed());
            if burst > 0 {
                walls.push(wall);
                calls.extend(lat);
            }
        }
        let w = summarize(&mut walls).ok_or("no bursts")?;
        let k = summarize(&mut calls).ok_or("no calls")?;
        println!(
            "{:<12} {:>14.2} {:>14.2} {:>14.1} {:>14.1}",
            name,
            w.p50 as f64 / 1e6,
            w.max as f64 / 1e6,
            us(k.p50),
            us(k.p99)
        );
        results.push(w.p50);
    }
    if let [b, o] = results[..] {
        println!(
            "verdict concurrent: berth faster than bollard: {} (burst p50 {:.2}× bollard's)",
            if b < o { "yes" } else { "no" },
            b as f64 / o as f64
        );
    }
    Ok(())
}

/// One berth call of `op`, timed.
async fn one_berth(d: berth::Docker, op: Op) -> Result<u64, String> {
    let t = Instant::now();
    let r = match op {
        Op::Ping => d.ping().await.map(|_| ()),
        Op::Version => d.version().await.map(|_| ()),
        Op::Info => d.info().await.map(|_| ()),
    };
    r.map(|()| nanos(t.elapsed())).map_err(|e| e.to_string())
}

/// One bollard call of `op`, timed.
async fn one_bollard(d: bollard::Docker, op: Op) -> Result<u64, String> {
    let t = Instant::now();
    let r = match op {
        Op::Ping => d.ping().await.map(|_| ()),
        Op::Version => d.version().await.map(|_| ()),
        Op::Info => d.info().await.map(|_| ()),
    };
    r.map(|()| nanos(t.elapsed())).map_err(|e| e.to_string())
}
