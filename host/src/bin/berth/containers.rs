//! `ps`, `start`, `stop`, `rm`, `inspect`, `wait`, `stats`: containers as objects.

use std::future::Future;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use futures_util::StreamExt;
use futures_util::future::join_all;
use serde_json::Value;

use berth::api::containers::ContainerList;
use berth::{Container, Docker, RemoveOptions};

use crate::{Failure, filters_of, print_json, print_table};

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Show all containers (default: only running ones).
    #[arg(short, long)]
    all: bool,
    /// Print only the ids.
    #[arg(short, long)]
    quiet: bool,
    /// Filter, `key=value` (repeatable): label, status, name, id, ancestor, exited, …
    #[arg(short, long = "filter")]
    filter: Vec<String>,
    /// Show the N most recently created containers (in any state).
    #[arg(short = 'n', long = "last")]
    last: Option<i64>,
    /// Do not truncate ids and commands.
    #[arg(long)]
    no_trunc: bool,
}

/// One or more containers (id, id prefix or name).
#[derive(Args, Debug)]
pub struct Targets {
    /// Containers (id, id prefix or name).
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
}

#[derive(Args, Debug)]
pub struct StopArgs {
    /// Seconds to wait before killing (default: the container's stop timeout).
    #[arg(short, long = "time", value_name = "SECS")]
    time: Option<u32>,
    #[command(flatten)]
    targets: Targets,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Kill a running container first.
    #[arg(short, long)]
    force: bool,
    /// Also remove its anonymous volumes.
    #[arg(short, long)]
    volumes: bool,
    #[command(flatten)]
    targets: Targets,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Print one sample and exit (the sample takes about two seconds, for CPU %).
    #[arg(long)]
    no_stream: bool,
    #[command(flatten)]
    targets: Targets,
}

pub async fn ps(docker: &Docker, json: bool, a: PsArgs) -> Result<(), Failure> {
    let options = ContainerList {
        all: a.all || a.last.is_some(),
        limit: a.last,
        filters: filters_of(&a.filter)?,
        ..ContainerList::default()
    };
    let list = docker.containers().list(&options).await?;
    let text = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
    if a.quiet {
        for c in &list {
            let id = text(&c.attrs, "Id");
            println!("{}", if a.no_trunc { &id } else { short(&id) });
        }
        return Ok(());
    }
    if json {
        print_json(&Value::Array(
            list.into_iter().map(|c| c.attrs.into_value()).collect(),
        ));
        return Ok(());
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let v = &c.attrs;
            let id = text(v, "Id");
            let command = text(v, "Command");
            let names: Vec<&str> = v["Names"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            vec![
                if a.no_trunc {
                    id.clone()
                } else {
                    short(&id).to_owned()
                },
                text(v, "Image"),
                if a.no_trunc {
                    format!("\"{command}\"")
                } else {
                    format!("\"{}\"", ellipsis(&command, 20))
                },
                ago(now - v["Created"].as_i64().unwrap_or(now)),
                text(v, "Status"),
                ports_column(&v["Ports"]),
                // Names of linked containers carry a second slash (`/web/db`); docker
                // shows only a container's own name.
                names
                    .iter()
                    .filter_map(|n| n.strip_prefix('/'))
                    .filter(|n| !n.contains('/'))
                    .collect::<Vec<_>>()
                    .join(","),
            ]
        })
        .collect();
    print_table(
        &[
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES",
        ],
        &rows,
    );
    Ok(())
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// `s` cut to `max` characters, the last one an ellipsis.
fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// docker's "3 minutes ago".
fn ago(secs: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    match secs {
        s if s < 1 => "Less than a second ago".into(),
        s if s < 60 => plural(s, "second"),
        s if s < 3600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3600, "hour"),
        s if s < 86_400 * 14 => plural(s / 86_400, "day"),
        s if s < 86_400 * 60 => plural(s / (86_400 * 7), "week"),
        s if s < 86_400 * 365 * 2 => plural(s / (86_400 * 30), "month"),
        s => plural(s / (86_400 * 365), "year"),
    }
}

/// `0.0.0.0:8080->80/tcp, 53/udp` from a summary's `Ports`.
fn ports_column(ports: &Value) -> String {
    let Some(list) = ports.as_array() else {
        return String::new();
    };
    let mut out: Vec<String> = list
        .iter()
        .map(|p| {
            let private = p["PrivatePort"].as_u64().unwrap_or(0);
            let proto = p["Type"].as_str().unwrap_or("tcp");
            match p["PublicPort"].as_u64() {
                Some(public) => {
                    let ip = p["IP"].as_str().unwrap_or_default();
                    format!("{ip}:{public}->{private}/{proto}")
                }
                None => format!("{private}/{proto}"),
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out.join(", ")
}

/// Runs `op` on every target in turn, as docker does: a failure is reported and the
/// others still run; any failure makes the command fail.
async fn each<'a, F, Fut>(targets: &'a Targets, mut op: F) -> Result<(), Failure>
where
    F: FnMut(&'a str) -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let mut failed = Vec::new();
    for name in &targets.containers {
        if let Err(Failure(mut messages)) = op(name).await {
            failed.append(&mut messages);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure(failed))
    }
}

pub async fn start(docker: &Docker, a: Targets) -> Result<(), Failure> {
    each(&a, |name| async move {
        docker.containers().get(name).await?.start().await?;
        println!("{name}");
        Ok(())
    })
    .await
}

pub async fn stop(docker: &Docker, a: StopArgs) -> Result<(), Failure> {
    let time = a.time;
    each(&a.targets, |name| async move {
        docker.containers().get(name).await?.stop(time).await?;
        println!("{name}");
        Ok(())
    })
    .await
}

pub async fn rm(docker: &Docker, a: RmArgs) -> Result<(), Failure> {
    let options = RemoveOptions {
        force: a.force,
        volumes: a.volumes,
        ..RemoveOptions::default()
    };
    each(&a.targets, |name| async move {
        docker.containers().get(name).await?.remove(options).await?;
        println!("{name}");
        Ok(())
    })
    .await
}

pub async fn inspect(docker: &Docker, a: Targets) -> Result<(), Failure> {
    // docker prints what it found, then an error per container it did not find.
    let mut found = Vec::new();
    let mut failed = Vec::new();
    for name in &a.containers {
        match docker.containers().get(name).await {
            Ok(c) => found.push(c.attrs().attrs.value().clone()),
            Err(e) => failed.push(e.to_string()),
        }
    }
    print_json(&Value::Array(found));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure(failed))
    }
}

pub async fn wait(docker: &Docker, a: Targets) -> Result<(), Failure> {
    each(&a, |name| async move {
        let c = docker.containers().get(name).await?;
        let status = c.wait(None, None).await?;
        println!("{}", status.status_code);
        Ok(())
    })
    .await
}

const STATS_HEADER: [&str; 8] = [
    "CONTAINER ID",
    "NAME",
    "CPU %",
    "MEM USAGE / LIMIT",
    "MEM %",
    "NET I/O",
    "BLOCK I/O",
    "PIDS",
];

pub async fn stats(docker: &Docker, json: bool, a: StatsArgs) -> Result<(), Failure> {
    if !a.no_stream {
        return stats_stream(docker, json, a.targets).await;
    }
    // Samples are taken together: each one takes the daemon about two seconds.
    let samples = join_all(a.targets.containers.iter().map(|name| async move {
        let c = docker.containers().get(name).await?;
        let sample = c.stats_once(false).await?;
        Ok::<_, berth::Error>((c, sample.attrs.into_value()))
    }))
    .await;
    let mut rows = Vec::new();
    let mut docs = Vec::new();
    let mut failed = Vec::new();
    for s in samples {
        match s {
            Ok((c, attrs)) => {
                rows.push(stats_row(&c, &attrs));
                docs.push(attrs);
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    if json {
        print_json(&Value::Array(docs));
    } else {
        print_table(&STATS_HEADER, &rows);
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure(failed))
    }
}

/// Streaming stats: one line per sample as it arrives (JSON lines with `--json`).
async fn stats_stream(docker: &Docker, json: bool, targets: Targets) -> Result<(), Failure> {
    let mut streams = Vec::new();
    for name in &targets.containers {
        let c = docker.containers().get(name).await?;
        let s = c.stats_stream().await?;
        streams.push(
            s.map(move |item| item.map(|sample| (c.clone(), sample.attrs)))
                .boxed(),
        );
    }
    let mut merged = futures_util::stream::select_all(streams);
    let widths = [14, 20, 8, 22, 8, 20, 20, 6];
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (cell, w) in cells.iter().zip(widths) {
            out.push_str(&format!("{cell:<w$} "));
        }
        out.trim_end().to_owned()
    };
    let mut stdout = std::io::stdout();
    if !json {
        let header: Vec<String> = STATS_HEADER.iter().map(|h| (*h).to_owned()).collect();
        println!("{}", line(&header));
    }
    while let Some(item) = merged.next().await {
        let (c, attrs) = item?;
        let text = if json {
            attrs.to_string()
        } else {
            line(&stats_row(&c, &attrs))
        };
        if writeln!(stdout, "{text}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break; // stdout closed
        }
    }
    Ok(())
}

/// docker stats' columns from one sample (the daemon's JSON).
fn stats_row(c: &Container, v: &Value) -> Vec<String> {
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let cpu = &v["cpu_stats"];
    let pre = &v["precpu_stats"];
    let cpu_delta =
        n(&cpu["cpu_usage"]["total_usage"]) as f64 - n(&pre["cpu_usage"]["total_usage"]) as f64;
    let system_delta = n(&cpu["system_cpu_usage"]) as f64 - n(&pre["system_cpu_usage"]) as f64;
    let online = match n(&cpu["online_cpus"]) {
        0 => cpu["cpu_usage"]["percpu_usage"]
            .as_array()
            .map_or(1, |a| a.len().max(1)) as f64,
        k => k as f64,
    };
    let cpu_pct = if cpu_delta > 0.0 && system_delta > 0.0 {
        cpu_delta / system_delta * online * 100.0
    } else {
        0.0
    };
    // Like docker: page cache is not counted as used (cgroup v1 `total_inactive_file`,
    // v2 `inactive_file`).
    let mem = &v["memory_stats"];
    let mut usage = n(&mem["usage"]);
    for key in ["total_inactive_file", "inactive_file"] {
        if let Some(cache) = mem["stats"][key].as_u64() {
            if cache < usage {
                usage -= cache;
            }
            break;
        }
    }
    let limit = n(&mem["limit"]);
    let mem_pct = if limit > 0 {
        usage as f64 / limit as f64 * 100.0
    } else {
        0.0
    };
    let (mut rx, mut tx) = (0, 0);
    if let Some(nets) = v["networks"].as_object() {
        for net in nets.values() {
            rx += n(&net["rx_bytes"]);
            tx += n(&net["tx_bytes"]);
        }
    }
    let (mut read, mut write) = (0, 0);
    if let Some(entries) = v["blkio_stats"]["io_service_bytes_recursive"].as_array() {
        for e in entries {
            match e["op"].as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("read") => read += n(&e["value"]),
                Some("write") => write += n(&e["value"]),
                _ => {}
            }
        }
    }
    vec![
        c.short_id().to_owned(),
        c.name().unwrap_or_default().to_owned(),
        format!("{cpu_pct:.2}%"),
        format!("{} / {}", binary_size(usage), binary_size(limit)),
        format!("{mem_pct:.2}%"),
        format!("{} / {}", decimal_size(rx), decimal_size(tx)),
        format!("{} / {}", decimal_size(read), decimal_size(write)),
        n(&v["pids_stats"]["current"]).to_string(),
    ]
}

/// `1.5MiB` (memory, as docker prints it).
fn binary_size(n: u64) -> String {
    scaled(n, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB"])
}

/// `1.5MB` (network and block I/O, as docker prints them).
fn decimal_size(n: u64) -> String {
    scaled(n, 1000.0, &["B", "kB", "MB", "GB", "TB"])
}

/// Four significant digits at most, trailing zeros dropped (Go's `%.4g`).
fn scaled(n: u64, base: f64, units: &[&str]) -> String {
    let mut v = n as f64;
    let mut u = 0;
    while v >= base && u + 1 < units.len() {
        v /= base;
        u += 1;
    }
    let decimals = match v {
        v if v >= 1000.0 => 0,
        v if v >= 100.0 => 1,
        v if v >= 10.0 => 2,
        _ => 3,
    };
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    format!("{s}{}", units[u])
}
