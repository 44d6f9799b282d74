//! Exec stdout throughput: one exec writing N bytes to stdout, read to the end by curl,
//! a hand-written raw socket reader, berth and bollard.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use bollard::exec::{CreateExecOptions, StartExecResults};
use futures_util::StreamExt;
use tokio::runtime::Runtime;

use crate::export::{GnuTime, gnu_time};
use crate::raw::{RawClient, json_request, read_upgraded_to_eof};
use crate::report::Report;
use crate::{BOLLARD_LABEL, Result, cpu_secs, median_f64, secs_since};

/// DESIGN.md: exec/logs streaming ≥ 97% of curl's throughput.
pub const TARGET_SHARE: f64 = 0.97;

/// Where and how much to stream.
#[derive(Debug)]
pub struct ExecBench<'a> {
    pub socket: &'a Path,
    pub api: &'a str,
    /// A running container with `head`.
    pub container: &'a str,
    pub bytes: u64,
    pub reps: usize,
    /// current_thread runtime the async clients run on.
    pub rt: &'a Runtime,
    pub berth: &'a berth::Docker,
    pub bollard: &'a bollard::Docker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Curl,
    RawSocket,
    Berth,
    Bollard,
}

impl Reader {
    fn label(self) -> &'static str {
        match self {
            Reader::Curl => "curl",
            Reader::RawSocket => "raw socket",
            Reader::Berth => "berth",
            Reader::Bollard => BOLLARD_LABEL,
        }
    }
}

/// One measured exec: wall seconds (exec create + start + read to EOF) and the bytes
/// the reader saw.
#[derive(Debug, Clone, Copy)]
struct Run {
    secs: f64,
    /// Payload bytes for berth/bollard; wire bytes (frame headers included) for curl
    /// and the raw socket, which do not demultiplex.
    bytes: u64,
    /// CPU seconds (user + system) the reader used.
    cpu: Option<f64>,
}

impl ExecBench<'_> {
    fn cmd(&self, bytes: u64) -> Vec<String> {
        vec![
            "head".into(),
            "-c".into(),
            bytes.to_string(),
            "/dev/zero".into(),
        ]
    }

    /// `POST /containers/{id}/exec` with the raw client; returns the exec id.
    fn raw_exec_create(&self, bytes: u64) -> Result<String> {
        let body = serde_json::json!({
            "AttachStdout": true,
            "AttachStderr": true,
            "Cmd": self.cmd(bytes),
        });
        let path = format!("/v{}/containers/{}/exec", self.api, self.container);
        let mut raw = RawClient::connect(self.socket)?;
        let (status, body) = raw.send(&json_request("POST", &path, body.to_string().as_bytes()))?;
        if status != 201 {
            return Err(format!(
                "exec create: HTTP {status}: {}",
                String::from_utf8_lossy(body)
            )
            .into());
        }
        let v: serde_json::Value = serde_json::from_slice(body)?;
        Ok(v.get("Id")
            .and_then(|id| id.as_str())
            .ok_or("exec create answer has no Id")?
            .to_string())
    }

    fn start_path(&self, exec_id: &str) -> String {
        format!("/v{}/exec/{exec_id}/start", self.api)
    }

    /// One exec read by `reader`; the CPU of in-process readers is the process's.
    fn run_one(&self, reader: Reader, bytes: u64) -> Result<Run> {
        let before = cpu_secs();
        let mut run = self.read_once(reader, bytes)?;
        if reader != Reader::Curl {
            run.cpu = cpu_secs().zip(before).map(|(a, b)| a - b);
        }
        Ok(run)
    }

    fn read_once(&self, reader: Reader, bytes: u64) -> Result<Run> {
        let tag = |e: &dyn std::fmt::Display| format!("exec via {}: {e}", reader.label());
        match reader {
            Reader::Curl => {
                let start = Instant::now();
                let id = self.raw_exec_create(bytes).map_err(|e| tag(&e))?;
                let create = secs_since(start);
                let (mut cmd, timed) = gnu_time("curl");
                let out = cmd
                    .arg("--unix-socket")
                    .arg(self.socket)
                    .args(["-s", "-X", "POST", "-H", "Content-Type: application/json"])
                    .args(["-d", r#"{"Detach":false,"Tty":false}"#])
                    .args(["-H", "Connection: Upgrade", "-H", "Upgrade: tcp"])
                    .args(["-o", "/dev/null"])
                    .args(["-w", "%{http_code} %{size_download} %{time_total}"])
                    .arg(format!("http://localhost{}", self.start_path(&id)))
                    .output()
                    .map_err(|e| tag(&e))?;
                let text = String::from_utf8_lossy(&out.stdout);
                let fields: Vec<&str> = text.split_whitespace().collect();
                let (Some(&"101"), Some(Ok(size)), Some(Ok(t))) = (
                    fields.first(),
                    fields.get(1).map(|s| s.parse::<u64>()),
                    fields.get(2).map(|s| s.parse::<f64>()),
                ) else {
                    return Err(tag(&format!(
                        "unexpected curl result {text:?} (exit {}, stderr {:?})",
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                    ))
                    .into());
                };
                Ok(Run {
                    secs: create + t,
                    bytes: size,
                    cpu: GnuTime::read(timed, &out.stderr).cpu,
                })
            }
            Reader::RawSocket => {
                let start = Instant::now();
                let id = self.raw_exec_create(bytes).map_err(|e| tag(&e))?;
                let body = br#"{"Detach":false,"Tty":false}"#;
                let mut req = format!(
                    "POST {} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                     Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {}\r\n\r\n",
                    self.start_path(&id),
                    body.len()
                )
                .into_bytes();
                req.extend_from_slice(body);
                let n = read_upgraded_to_eof(self.socket, &req).map_err(|e| tag(&e))?;
                Ok(Run {
                    secs: secs_since(start),
                    bytes: n,
                    cpu: None,
                })
            }
            Reader::Berth => {
                let opts = berth::api::exec::ExecCreate::new(self.container, self.cmd(bytes));
                self.rt
                    .block_on(async {
                        let start = Instant::now();
                        let mut s = self.berth.exec_session(&opts).await?;
                        let mut n = 0u64;
                        while let Some(frame) = s.session.next_frame().await {
                            n += frame?.data.len() as u64;
                        }
                        Ok::<_, berth::Error>(Run {
                            secs: secs_since(start),
                            bytes: n,
                            cpu: None,
                        })
                    })
                    .map_err(|e| tag(&e).into())
            }
            Reader::Bollard => self
                .rt
                .block_on(async {
                    let start = Instant::now();
                    let exec = self
                        .bollard
                        .create_exec(
                            self.container,
                            CreateExecOptions {
                                attach_stdout: Some(true),
                                attach_stderr: Some(true),
                                cmd: Some(self.cmd(bytes)),
                                ..Default::default()
                            },
                        )
                        .await?;
                    let mut n = 0u64;
                    if let StartExecResults::Attached { mut output, .. } =
                        self.bollard.start_exec(&exec.id, None).await?
                    {
                        while let Some(item) = output.next().await {
                            n += item?.as_ref().len() as u64;
                        }
                    }
                    Ok::<_, bollard::errors::Error>(Run {
                        secs: secs_since(start),
                        bytes: n,
                        cpu: None,
                    })
                })
                .map_err(|e| tag(&e).into()),
        }
    }

    /// Checks the byte count a reader saw for an exec of `bytes`.
    fn check(reader: Reader, run: Run, bytes: u64) -> Result<()> {
        let ok = match reader {
            // Demultiplexed: exactly the payload.
            Reader::Berth | Reader::Bollard => run.bytes == bytes,
            // Wire bytes: the payload plus an 8-byte header per frame.
            Reader::Curl | Reader::RawSocket => run.bytes >= bytes + if bytes > 0 { 8 } else { 0 },
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "exec via {}: read {} bytes for {bytes} written",
                reader.label(),
                run.bytes
            )
            .into())
        }
    }

    pub fn run(&self, report: &mut Report) -> Result<()> {
        let curl_ok = Command::new("curl")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        let mut readers = vec![Reader::RawSocket, Reader::Berth, Reader::Bollard];
        if curl_ok {
            readers.insert(0, Reader::Curl);
        }
        // Warm-up: a small exec per reader, also checking each one works (curl follows
        // the 101 upgrade, frames add up).
        let warm = 1 << 20;
        let mut curl_note = None;
        for &r in &readers.clone() {
            let run = self
                .run_one(r, warm)
                .and_then(|run| Self::check(r, run, warm).map(|()| run));
            if let Err(e) = run {
                if r == Reader::Curl {
                    curl_note = Some(format!("curl left out: {e}"));
                    readers.retain(|&x| x != Reader::Curl);
                } else {
                    return Err(e);
                }
            }
        }
        println!();
        println!(
            "exec stdout throughput: `head -c {} /dev/zero` in a running busybox container, \
             non-TTY (multiplexed), read to EOF and discarded; N={} runs per reader, \
             interleaved (rotating order), after a 1 MiB warm-up each",
            self.bytes, self.reps
        );
        println!(
            "  time = exec create + start + read to EOF; MB/s = {} payload bytes / time \
             (10^6 B/s); berth and bollard on tokio current_thread",
            self.bytes
        );
        println!(
            "  curl = curl {} following the 101 upgrade (-o /dev/null, its own time_total + the \
             create); raw socket = blocking UnixStream, request written by hand, 101 head \
             parsed, then read(64 KiB) to EOF counting bytes (no demux); CPU = user + system s \
             of the reader (median; curl's from GNU time, the others' from /proc/self/stat)",
            curl_version().unwrap_or_else(|| "?".into())
        );
        if let Some(n) = &curl_note {
            println!("  {n}");
        }
        let mut secs: Vec<Vec<f64>> = readers.iter().map(|_| Vec::new()).collect();
        let mut cpu: Vec<Vec<f64>> = readers.iter().map(|_| Vec::new()).collect();
        let mut wire = vec![0u64; readers.len()];
        for rep in 0..self.reps {
            for k in 0..readers.len() {
                let i = (rep + k) % readers.len();
                let run = self.run_one(readers[i], self.bytes)?;
                Self::check(readers[i], run, self.bytes)?;
                secs[i].push(run.secs);
                cpu[i].extend(run.cpu);
                wire[i] = run.bytes;
            }
        }
        let mbps = |s: f64| self.bytes as f64 / s / 1e6;
        let med: Vec<f64> = secs.iter().map(|s| mbps(median_f64(s))).collect();
        let at = |r: Reader| readers.iter().position(|&x| x == r);
        let reference = at(Reader::Curl).or(at(Reader::RawSocket));
        println!(
            "{:<14} {:>12} {:>10} {:>10} {:>10} {:>14} {:>7} {:>14}",
            "reader",
            "median MB/s",
            "min MB/s",
            "max MB/s",
            "vs curl",
            "vs raw socket",
            "CPU s",
            "bytes read"
        );
        for (i, r) in readers.iter().enumerate() {
            let slowest = secs[i].iter().copied().fold(0.0, f64::max);
            let fastest = secs[i].iter().copied().fold(f64::INFINITY, f64::min);
            let vs = |j: Option<usize>| {
                j.map_or_else(
                    || "-".to_string(),
                    |j| format!("{:.1}%", 100.0 * med[i] / med[j]),
                )
            };
            let cpu = if cpu[i].is_empty() {
                "-".to_string()
            } else {
                format!("{:.2}", median_f64(&cpu[i]))
            };
            println!(
                "{:<14} {:>12.1} {:>10.1} {:>10.1} {:>10} {:>14} {:>7} {:>14}",
                r.label(),
                med[i],
                mbps(slowest),
                mbps(fastest),
                vs(at(Reader::Curl)),
                vs(at(Reader::RawSocket)),
                cpu,
                wire[i]
            );
        }
        if let (Some(b), Some(f)) = (at(Reader::Berth), reference) {
            let share = med[b] / med[f];
            let others: Vec<String> = readers
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != b)
                .map(|(i, r)| format!("{} {:.0} MB/s", r.label(), med[i]))
                .collect();
            report.row(
                format!("exec stdout throughput, {} bytes", self.bytes),
                others.join("; "),
                format!(
                    "{:.0} MB/s ({:.1}% of {})",
                    med[b],
                    share * 100.0,
                    readers[f].label()
                ),
                format!("≥ {:.0}% of curl", TARGET_SHARE * 100.0),
            );
            println!(
                "verdict exec     berth ≥ {:.0}% of {}'s throughput: {} ({:.1}%, median of {})",
                TARGET_SHARE * 100.0,
                readers[f].label(),
                if share >= TARGET_SHARE { "yes" } else { "no" },
                share * 100.0,
                self.reps
            );
        }
        Ok(())
    }
}

fn curl_version() -> Option<String> {
    let out = Command::new("curl").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1).map(str::to_string)
}
