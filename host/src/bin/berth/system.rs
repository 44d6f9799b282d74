//! `version`, `info`, `df`, `events`: the daemon as a whole.

use std::io::Write;

use clap::Args;
use futures_util::StreamExt;

use berth::Docker;
use berth::api::system::{Events, Timestamp};

use crate::{Failure, filters_of, print_json};

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Filter, `key=value` (repeatable): type, container, image, label, event, …
    #[arg(short, long = "filter")]
    filter: Vec<String>,
    /// Replay events since this Unix time (seconds, optionally `.nanos`), or a
    /// relative duration like `10m`.
    #[arg(long)]
    since: Option<String>,
    /// Stop at this Unix time or relative duration (`0s` = now).
    #[arg(long)]
    until: Option<String>,
}

pub async fn version(docker: &Docker, json: bool) -> Result<(), Failure> {
    let v = docker.version().await?;
    if json {
        print_json(&v.attrs);
        return Ok(());
    }
    let api = docker.api_version().await?;
    let s = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    println!("Client: berth {}", env!("CARGO_PKG_VERSION"));
    println!(" API version:      {api} (negotiated)");
    println!("Server: {}", docker.daemon_address());
    println!(" Version:          {}", s(&v.version));
    println!(
        " API version:      {} (minimum {})",
        s(&v.api_version),
        s(&v.min_api_version)
    );
    println!(" Go version:       {}", s(&v.go_version));
    println!(" Git commit:       {}", s(&v.git_commit));
    println!(" OS/Arch:          {}/{}", s(&v.os), s(&v.arch));
    println!(" Kernel:           {}", s(&v.kernel_version));
    Ok(())
}

pub async fn info(docker: &Docker, json: bool) -> Result<(), Failure> {
    let i = docker.info().await?;
    if json {
        print_json(&i.attrs);
        return Ok(());
    }
    let s = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let n = |o: Option<i64>| o.unwrap_or(0);
    println!("Server: {}", docker.daemon_address());
    println!(" Name:               {}", s(&i.name));
    println!(" Server Version:     {}", s(&i.server_version));
    println!(
        " Containers:         {} (running {}, paused {}, stopped {})",
        n(i.containers),
        n(i.containers_running),
        n(i.containers_paused),
        n(i.containers_stopped)
    );
    println!(" Images:             {}", n(i.images));
    println!(" Storage Driver:     {}", s(&i.driver));
    println!(" Logging Driver:     {}", s(&i.logging_driver));
    println!(
        " Cgroup Driver:      {}",
        i.attrs["CgroupDriver"].as_str().unwrap_or("-")
    );
    println!(" Kernel Version:     {}", s(&i.kernel_version));
    println!(" Operating System:   {}", s(&i.operating_system));
    println!(
        " OSType/Arch:        {}/{}",
        s(&i.os_type),
        s(&i.architecture)
    );
    println!(" CPUs:               {}", n(i.ncpu));
    println!(" Total Memory:       {}", human_bytes(n(i.mem_total)));
    println!(" Docker Root Dir:    {}", s(&i.docker_root_dir));
    println!(
        " Swarm:              {}",
        i.attrs["Swarm"]["LocalNodeState"].as_str().unwrap_or("-")
    );
    Ok(())
}

pub async fn df(docker: &Docker, json: bool) -> Result<(), Failure> {
    let d = docker.df().await?;
    if json {
        print_json(&d.attrs);
        return Ok(());
    }
    let len = |n: Option<usize>| n.unwrap_or(0);
    let images = len(d.images.as_ref().map(Vec::len));
    let containers = d.containers.as_deref().unwrap_or_default();
    let volumes = d.volumes.as_deref().unwrap_or_default();
    let cache = d.build_cache.as_deref().unwrap_or_default();
    let containers_size: i64 = containers.iter().filter_map(|c| c.size_rw).sum();
    let volumes_size: i64 = volumes
        .iter()
        .filter_map(|v| v.usage_data.as_ref().map(|u| u.size))
        .filter(|s| *s > 0)
        .sum();
    let cache_size: i64 = cache.iter().filter_map(|b| b.size).sum();
    println!("{:<16}{:>8}{:>14}", "TYPE", "TOTAL", "SIZE");
    let row =
        |name: &str, n: usize, size: i64| println!("{name:<16}{n:>8}{:>14}", human_bytes(size));
    row("Images", images, d.layers_size.unwrap_or(0));
    row("Containers", containers.len(), containers_size);
    row("Local Volumes", volumes.len(), volumes_size);
    row("Build Cache", cache.len(), cache_size);
    Ok(())
}

pub async fn events(docker: &Docker, json: bool, a: EventsArgs) -> Result<(), Failure> {
    let opts = Events {
        since: a.since.as_deref().map(parse_time).transpose()?,
        until: a.until.as_deref().map(parse_time).transpose()?,
        filters: filters_of(&a.filter)?,
    };
    let mut stream = docker.events(&opts).await?;
    let mut out = std::io::stdout().lock();
    while let Some(ev) = stream.next().await {
        let ev = ev?;
        let line = if json {
            ev.attrs.to_string()
        } else {
            let typ = ev.attrs["Type"].as_str().unwrap_or("-");
            let action = ev.action.as_deref().unwrap_or("-");
            let actor = ev.actor.as_ref();
            let id = actor.and_then(|a| a.id.as_deref()).unwrap_or("-");
            let attrs = actor
                .and_then(|a| a.attributes.as_ref())
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!(
                "{} {typ} {action} {id} ({attrs})",
                ev.time_nano
                    .or(ev.time.map(|t| t * 1_000_000_000))
                    .unwrap_or(0)
            )
        };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            break; // stdout closed (e.g. piped into `head`)
        }
    }
    Ok(())
}

/// `1700000000`, `1700000000.5`, or a duration before now: `90s`, `10m`, `2h`.
pub fn parse_time(s: &str) -> berth::Result<Timestamp> {
    let bad = || {
        berth::Error::from(berth::core::Error::InvalidArgument(format!(
            "{s:?} is neither a Unix time nor a duration like 10m"
        )))
    };
    if let Some((unit_idx, unit)) = s
        .char_indices()
        .last()
        .filter(|(_, c)| c.is_ascii_alphabetic())
    {
        let n: u64 = s[..unit_idx].parse().map_err(|_| bad())?;
        let secs = match unit {
            's' => Some(n),
            'm' => n.checked_mul(60),
            'h' => n.checked_mul(3600),
            _ => None,
        }
        .ok_or_else(bad)?;
        // Before the epoch (or beyond what the clock can subtract) is no time to ask for.
        let t = std::time::SystemTime::now()
            .checked_sub(std::time::Duration::from_secs(secs))
            .filter(|t| *t >= std::time::UNIX_EPOCH)
            .ok_or_else(bad)?;
        return berth::timestamp(t);
    }
    let (secs, nanos) = match s.split_once('.') {
        // Digits only: up to nine of them are nanoseconds, more are cut.
        Some((a, b)) if !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit()) => {
            let frac = format!("{:0<9}", &b[..b.len().min(9)]);
            (a, frac.parse::<u32>().map_err(|_| bad())?)
        }
        Some(_) => return Err(bad()),
        None => (s, 0),
    };
    Ok(Timestamp::from_unix_nanos(
        secs.parse().map_err(|_| bad())?,
        nanos,
    ))
}

pub fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}B")
    } else {
        format!("{v:.3}{}", UNITS[u])
    }
}
