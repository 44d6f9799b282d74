//! Export of a container holding a large file: throughput, and the client's peak RSS.
//!
//! berth and bollard each run in a child process (this binary re-executed with the
//! hidden `__export` subcommand) that prints its own `VmHWM` after reading the export
//! to the end, so the peak is that of the export alone and not of the benchmark. The
//! docker CLI and curl run under GNU time (`%M`, max RSS) when /usr/bin/time exists.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use futures_util::StreamExt;

use crate::report::Report;
use crate::{BOLLARD_LABEL, Result, cpu_secs, median_f64, min_max_f64, parse_api, secs_since};

/// DESIGN.md: save/export/build context of 1 GiB at < 32 MB RSS (taken as MiB of VmHWM).
pub const TARGET_RSS_MIB: f64 = 32.0;
/// The hidden subcommand of the child process.
pub const CHILD_COMMAND: &str = "__export";
const GNU_TIME: &str = "/usr/bin/time";

#[derive(Debug)]
pub struct ExportBench<'a> {
    pub socket: &'a Path,
    pub api: &'a str,
    /// A stopped container holding the big file.
    pub container: &'a str,
    /// Size of the big file (for the header line).
    pub file_bytes: u64,
    pub reps: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exporter {
    Berth,
    Bollard,
    DockerCli,
    Curl,
}

impl Exporter {
    fn label(self) -> &'static str {
        match self {
            Exporter::Berth => "berth",
            Exporter::Bollard => BOLLARD_LABEL,
            Exporter::DockerCli => "docker export",
            Exporter::Curl => "curl",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Run {
    secs: f64,
    /// Tar bytes read (unknown for the docker CLI, which writes to /dev/null).
    bytes: Option<u64>,
    /// Peak RSS of the exporting process in kB, when measured.
    hwm_kb: Option<u64>,
    /// The child's `VmHWM` before the export started (runtime and client built).
    start_kb: Option<u64>,
    /// CPU seconds (user + system) of the client: the export alone for the children,
    /// the whole process for the docker CLI and curl.
    cpu: Option<f64>,
}

/// `key=value` fields of a line.
pub fn field<T: std::str::FromStr>(text: &str, key: &str) -> Option<T> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

/// `program` under GNU time when it is installed, which then writes `maxrss_kb=`,
/// `cpu_user=` and `cpu_sys=` fields to stderr (see [`GnuTime::read`]).
pub fn gnu_time(program: &str) -> (Command, bool) {
    if Path::new(GNU_TIME).exists() {
        let mut c = Command::new(GNU_TIME);
        c.args(["-f", "maxrss_kb=%M cpu_user=%U cpu_sys=%S", program]);
        (c, true)
    } else {
        (Command::new(program), false)
    }
}

/// What GNU time reported about a child.
#[derive(Debug, Clone, Copy, Default)]
pub struct GnuTime {
    pub maxrss_kb: Option<u64>,
    pub cpu: Option<f64>,
}

impl GnuTime {
    /// Reads GNU time's fields from the child's stderr (nothing if it was not used).
    pub fn read(used: bool, stderr: &[u8]) -> GnuTime {
        if !used {
            return GnuTime::default();
        }
        let err = String::from_utf8_lossy(stderr);
        let user: Option<f64> = field(&err, "cpu_user");
        let sys: Option<f64> = field(&err, "cpu_sys");
        GnuTime {
            maxrss_kb: field(&err, "maxrss_kb"),
            cpu: user.zip(sys).map(|(u, s)| u + s),
        }
    }
}

impl ExportBench<'_> {
    fn export_url(&self) -> String {
        format!(
            "http://localhost/v{}/containers/{}/export",
            self.api, self.container
        )
    }

    fn run_one(&self, who: Exporter) -> Result<Run> {
        let tag = |e: &dyn std::fmt::Display| format!("export via {}: {e}", who.label());
        let failed = |out: &std::process::Output| {
            tag(&format!(
                "exit {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        };
        match who {
            Exporter::Berth | Exporter::Bollard => {
                let client = if who == Exporter::Berth {
                    "berth"
                } else {
                    "bollard"
                };
                let out = Command::new(std::env::current_exe()?)
                    .arg(CHILD_COMMAND)
                    .arg(client)
                    .arg(self.socket)
                    .args([self.container, self.api])
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| tag(&e))?;
                if !out.status.success() {
                    return Err(failed(&out).into());
                }
                let text = String::from_utf8_lossy(&out.stdout);
                let (Some(bytes), Some(secs), Some(hwm)) = (
                    field(&text, "bytes"),
                    field(&text, "secs"),
                    field(&text, "hwm_kb"),
                ) else {
                    return Err(tag(&format!("unexpected child output {text:?}")).into());
                };
                Ok(Run {
                    secs,
                    bytes: Some(bytes),
                    hwm_kb: Some(hwm),
                    start_kb: field(&text, "start_hwm_kb"),
                    cpu: field(&text, "cpu").filter(|c: &f64| *c >= 0.0),
                })
            }
            Exporter::DockerCli => {
                let (mut cmd, timed) = gnu_time("docker");
                cmd.arg("-H")
                    .arg(format!("unix://{}", self.socket.display()))
                    .args(["export", self.container])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null());
                let start = Instant::now();
                let out = cmd.output().map_err(|e| tag(&e))?;
                let secs = secs_since(start);
                if !out.status.success() {
                    return Err(failed(&out).into());
                }
                let t = GnuTime::read(timed, &out.stderr);
                Ok(Run {
                    secs,
                    bytes: None,
                    hwm_kb: t.maxrss_kb,
                    start_kb: None,
                    cpu: t.cpu,
                })
            }
            Exporter::Curl => {
                let (mut cmd, timed) = gnu_time("curl");
                cmd.arg("--unix-socket")
                    .arg(self.socket)
                    .args(["-s", "-o", "/dev/null"])
                    .args([
                        "-w",
                        "status=%{http_code} bytes=%{size_download} secs=%{time_total}",
                    ])
                    .arg(self.export_url())
                    .stdin(Stdio::null());
                let out = cmd.output().map_err(|e| tag(&e))?;
                let text = String::from_utf8_lossy(&out.stdout);
                if !out.status.success() || field::<u16>(&text, "status") != Some(200) {
                    return Err(tag(&format!("{text:?}, {}", failed(&out))).into());
                }
                let t = GnuTime::read(timed, &out.stderr);
                Ok(Run {
                    secs: field(&text, "secs").ok_or_else(|| tag(&"no time_total"))?,
                    bytes: field(&text, "bytes"),
                    hwm_kb: t.maxrss_kb,
                    start_kb: None,
                    cpu: t.cpu,
                })
            }
        }
    }

    pub fn run(&self, report: &mut Report) -> Result<()> {
        let mut who = vec![Exporter::Berth, Exporter::Bollard, Exporter::DockerCli];
        if Command::new("curl")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            who.push(Exporter::Curl);
        }
        let mut runs: Vec<Vec<Run>> = who.iter().map(|_| Vec::new()).collect();
        for rep in 0..self.reps {
            for k in 0..who.len() {
                let i = (rep + k) % who.len();
                runs[i].push(self.run_one(who[i])?);
            }
        }
        // Every reader that counts bytes must have seen the same tar.
        let sizes: Vec<u64> = runs.iter().flatten().filter_map(|r| r.bytes).collect();
        let tar = *sizes.first().ok_or("no export counted its bytes")?;
        if let Some(bad) = sizes.iter().find(|&&s| s != tar) {
            return Err(format!("export sizes differ: {bad} vs {tar} bytes").into());
        }
        if tar < self.file_bytes {
            return Err(format!("export of {tar} bytes is smaller than the file").into());
        }
        println!();
        println!(
            "export: GET /containers/{{id}}/export of a stopped container holding a {} byte file \
             (tar {tar} bytes), read to the end and discarded; N={} runs per exporter, \
             interleaved",
            self.file_bytes, self.reps
        );
        println!(
            "  berth / bollard: a child process (this binary, `{CHILD_COMMAND}`), tokio \
             current_thread; time = export call to EOF; peak RSS = the child's own VmHWM at \
             the end (\"start\" = its VmHWM before the export); CPU = user + system s of \
             the export (/proc/self/stat, 10 ms ticks)"
        );
        println!(
            "  docker export: `docker export ID > /dev/null`, wall time of the process; \
             curl: its time_total; their peak RSS and CPU (whole process) from GNU time{}",
            if Path::new(GNU_TIME).exists() {
                ""
            } else {
                " (not installed: no RSS)"
            }
        );
        let mbps = |s: f64| tar as f64 / s / 1e6;
        let med: Vec<f64> = runs
            .iter()
            .map(|r| mbps(median_f64(&r.iter().map(|x| x.secs).collect::<Vec<_>>())))
            .collect();
        let at = |e: Exporter| who.iter().position(|&x| x == e);
        println!(
            "{:<14} {:>12} {:>10} {:>10} {:>10} {:>10} {:>14} {:>15} {:>7}",
            "exporter",
            "median MB/s",
            "min MB/s",
            "max MB/s",
            "vs docker",
            "vs curl",
            "peak RSS MiB",
            "start RSS MiB",
            "CPU s"
        );
        let mib = |kb: Option<u64>| {
            kb.map_or_else(|| "-".to_string(), |k| format!("{:.1}", k as f64 / 1024.0))
        };
        for (i, e) in who.iter().enumerate() {
            let secs: Vec<f64> = runs[i].iter().map(|r| r.secs).collect();
            let (fastest, slowest) = min_max_f64(&secs);
            let vs = |j: Option<usize>| {
                j.map_or_else(|| "-".to_string(), |j| format!("{:.2}x", med[i] / med[j]))
            };
            let cpu: Vec<f64> = runs[i].iter().filter_map(|r| r.cpu).collect();
            let cpu = if cpu.is_empty() {
                "-".to_string()
            } else {
                format!("{:.2}", median_f64(&cpu))
            };
            println!(
                "{:<14} {:>12.1} {:>10.1} {:>10.1} {:>10} {:>10} {:>14} {:>15} {:>7}",
                e.label(),
                med[i],
                mbps(slowest),
                mbps(fastest),
                vs(at(Exporter::DockerCli)),
                vs(at(Exporter::Curl)),
                mib(runs[i].iter().filter_map(|r| r.hwm_kb).max()),
                mib(runs[i].iter().filter_map(|r| r.start_kb).max()),
                cpu,
            );
        }
        if let Some(b) = at(Exporter::Berth) {
            let peak = runs[b].iter().filter_map(|r| r.hwm_kb).max().unwrap_or(0) as f64 / 1024.0;
            let others: Vec<String> = who
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != b)
                .map(|(i, e)| {
                    let rss = runs[i].iter().filter_map(|r| r.hwm_kb).max();
                    let rss =
                        rss.map_or_else(String::new, |k| format!(", {:.1} MiB", k as f64 / 1024.0));
                    format!("{} {:.0} MB/s{rss}", e.label(), med[i])
                })
                .collect();
            report.row(
                format!(
                    "export, {} byte file: throughput, peak RSS",
                    self.file_bytes
                ),
                others.join("; "),
                format!("{:.0} MB/s, {peak:.1} MiB", med[b]),
                format!("RSS < {TARGET_RSS_MIB:.0} MiB"),
            );
            println!(
                "verdict export   berth peak RSS < {TARGET_RSS_MIB:.0} MiB for a {} byte file: {} \
                 ({peak:.1} MiB, max of {})",
                self.file_bytes,
                if peak < TARGET_RSS_MIB { "yes" } else { "no" },
                self.reps
            );
        }
        Ok(())
    }
}

/// `VmHWM` (peak resident set) of this process, in kB.
pub fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The child: `__export <berth|bollard> <socket> <container> <api>`. Reads the export
/// to the end and prints `bytes= secs= hwm_kb= start_hwm_kb=`.
pub fn child_main(args: &[OsString]) -> ExitCode {
    match child(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berth-bench {CHILD_COMMAND}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn child(args: &[OsString]) -> Result<()> {
    let [client, socket, container, api] = args else {
        return Err(format!("usage: {CHILD_COMMAND} <berth|bollard> SOCKET CONTAINER API").into());
    };
    let (client, container, api) = (
        client.to_str().ok_or("client is not UTF-8")?,
        container.to_str().ok_or("container is not UTF-8")?,
        api.to_str().ok_or("api is not UTF-8")?,
    );
    let socket = socket.to_str().ok_or("socket path is not UTF-8")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (bytes, secs, start_kb, cpu_start) = match client {
        "berth" => rt.block_on(async {
            let docker = berth::Docker::connect(&format!("unix://{socket}"))?;
            docker.api_version().await?;
            let start_kb = vm_hwm_kb();
            let cpu = cpu_secs();
            let start = Instant::now();
            let mut body = docker.export(container).await?;
            let mut n = 0u64;
            while let Some(chunk) = body.chunk().await {
                n += chunk?.len() as u64;
            }
            Ok::<_, crate::BoxError>((n, secs_since(start), start_kb, cpu))
        })?,
        "bollard" => rt.block_on(async {
            let (major, minor) = parse_api(api).ok_or("bad api version")?;
            let version = bollard::ClientVersion {
                major_version: major,
                minor_version: minor,
            };
            let docker = bollard::Docker::connect_with_unix(socket, 600, &version)?;
            docker.ping().await?;
            let start_kb = vm_hwm_kb();
            let cpu = cpu_secs();
            let start = Instant::now();
            let mut body = docker.export_container(container);
            let mut n = 0u64;
            while let Some(chunk) = body.next().await {
                n += chunk?.len() as u64;
            }
            Ok::<_, crate::BoxError>((n, secs_since(start), start_kb, cpu))
        })?,
        other => return Err(format!("unknown client {other:?}").into()),
    };
    let hwm = vm_hwm_kb().ok_or("no VmHWM in /proc/self/status")?;
    let cpu = cpu_secs()
        .zip(cpu_start)
        .map_or(-1.0, |(end, start)| end - start);
    println!(
        "bytes={bytes} secs={secs} hwm_kb={hwm} start_hwm_kb={} cpu={cpu}",
        start_kb.unwrap_or(0)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_gnu_time_output() {
        let line = "bytes=10 secs=1.5 hwm_kb=5832 cpu=-1";
        assert_eq!(field::<u64>(line, "bytes"), Some(10));
        assert_eq!(field::<f64>(line, "secs"), Some(1.5));
        assert_eq!(field::<u64>(line, "hwm"), None);
        assert_eq!(field::<u64>(line, "missing"), None);
        let t = GnuTime::read(
            true,
            b"some noise\nmaxrss_kb=23412 cpu_user=0.33 cpu_sys=1.25\n",
        );
        assert_eq!(t.maxrss_kb, Some(23412));
        assert!(t.cpu.is_some_and(|c| (c - 1.58).abs() < 1e-9));
        assert_eq!(GnuTime::read(false, b"maxrss_kb=1").maxrss_kb, None);
    }

    #[test]
    fn own_peak_rss_reads() {
        assert!(vm_hwm_kb().is_some_and(|k| k > 0));
    }
}
