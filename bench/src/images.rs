//! Image save, load and build context of about 1 GiB: throughput, and berth's peak RSS
//! against the DESIGN.md target (< 32 MB), with the docker CLI as the reference.
//!
//! berth runs in a child process (this binary re-executed with the hidden `__images`
//! subcommand) that prints its own `VmHWM` at the end, like the export part; the docker
//! CLI runs under GNU time when /usr/bin/time exists.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use berth::api::containers::ContainerCommit;
use berth::api::images::{ImageRemove, ImageTag};
use berth::{BuildOptions, Docker};
use tokio::runtime::Runtime;

use crate::export::{GnuTime, TARGET_RSS_MIB, field, gnu_time, vm_hwm_kb};
use crate::fixture::{self, Cleanup, LABEL};
use crate::report::Report;
use crate::{Result, cpu_secs, median_f64, min_max_f64, secs_since};

/// The hidden subcommand of the child process.
pub const CHILD_COMMAND: &str = "__images";
/// Files of the build context (the context is `bytes` split among them).
const CONTEXT_FILES: u64 = 16;

#[derive(Debug)]
pub struct ImagesBench<'a> {
    pub socket: &'a Path,
    pub rt: &'a Runtime,
    pub berth: &'a Docker,
    pub cleanup: &'a Cleanup,
    /// Size of the big file in the image, and of the build context.
    pub bytes: u64,
    pub reps: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Save,
    Load,
    Build,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Save => "save",
            Op::Load => "load",
            Op::Build => "build",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Berth,
    DockerCli,
}

#[derive(Debug, Clone, Copy)]
struct Run {
    secs: f64,
    /// Bytes moved, when the client counted them (berth's save).
    bytes: Option<u64>,
    hwm_kb: Option<u64>,
    start_kb: Option<u64>,
    cpu: Option<f64>,
}

/// A directory removed (with its contents) when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("berth-bench: removing {}: {e}", self.0.display());
        }
    }
}

/// What one operation needs: the image (save), the tar file (load), the context (build).
#[derive(Debug)]
struct Subjects {
    image: String,
    tar_ref: String,
    tar_file: PathBuf,
    tar_bytes: u64,
    context: PathBuf,
    context_bytes: u64,
    build_tag: String,
}

impl ImagesBench<'_> {
    pub fn run(&self, report: &mut Report) -> Result<()> {
        let pid = std::process::id();
        let dir = TempDir(std::env::temp_dir().join(format!("berth-bench-{pid}-images")));
        std::fs::create_dir_all(&dir.0)?;
        let s = self.setup(pid, &dir.0)?;

        let who = [Who::Berth, Who::DockerCli];
        let ops = [Op::Save, Op::Load, Op::Build];
        let mut runs: Vec<Vec<Vec<Run>>> = ops.iter().map(|_| vec![Vec::new(); 2]).collect();
        for (o, &op) in ops.iter().enumerate() {
            if op == Op::Build {
                // Unmeasured: the first build runs `RUN true`, later ones hit the cache.
                self.run_one(op, Who::DockerCli, &s)
                    .map_err(|e| format!("warm-up build: {e}"))?;
            }
            for rep in 0..self.reps {
                for k in 0..who.len() {
                    let i = (rep + k) % who.len();
                    let run = self
                        .run_one(op, who[i], &s)
                        .map_err(|e| format!("{} via {:?}: {e}", op.name(), who[i]))?;
                    runs[o][i].push(run);
                }
            }
            self.after(op, &s)?;
        }
        // What berth's save read (the image's tar differs from the file's by its tag).
        let saved: Vec<u64> = runs[0][0].iter().filter_map(|r| r.bytes).collect();
        let save_bytes = saved.first().copied().unwrap_or(s.tar_bytes);
        if let Some(bad) = saved.iter().find(|&&b| b != save_bytes || b < self.bytes) {
            return Err(format!("berth's saves read {saved:?} bytes ({bad}?)").into());
        }
        self.report(&ops, &who, &runs, &s, save_bytes, report);
        Ok(())
    }

    /// The big image (a committed container that wrote the file), a second tag of it
    /// saved to a tar file, and the build context.
    fn setup(&self, pid: u32, dir: &Path) -> Result<Subjects> {
        let image = format!("berth-bench-big:{pid}");
        let tar_ref = format!("berth-bench-big:{pid}-tar");
        let build_tag = format!("berth-bench-build:{pid}");
        for r in [&image, &tar_ref, &build_tag] {
            self.cleanup.track_image(r);
        }
        let name = format!("berth-bench-{pid}-big");
        let script = format!("head -c {} /dev/zero > /big", self.bytes);
        let start = Instant::now();
        let tar_file = dir.join("image.tar");
        let tar_bytes = self.rt.block_on(async {
            let id = fixture::run_to_exit(
                self.berth,
                self.cleanup,
                &name,
                &["sh", "-c", &script],
                Duration::from_secs(1800),
                false,
            )
            .await?;
            let c = self.berth.containers().get(&id).await?;
            c.commit(ContainerCommit {
                repo: Some("berth-bench-big".into()),
                tag: Some(pid.to_string()),
                changes: vec![format!("LABEL {}={}", LABEL.0, LABEL.1)],
                pause: false,
                ..ContainerCommit::default()
            })
            .await
            .map_err(|e| format!("committing {name}: {e}"))?;
            self.berth
                .execute(&ImageTag::new(image.clone(), &tar_ref))
                .await?;
            // The file `load` reads: the second tag's tar, written by berth.
            let mut body = self.berth.images().save(&[&tar_ref]).await?;
            let mut file = std::io::BufWriter::new(std::fs::File::create(&tar_file)?);
            let mut n = 0u64;
            while let Some(chunk) = body.chunk().await {
                let chunk = chunk?;
                n += chunk.len() as u64;
                file.write_all(&chunk)?;
            }
            file.flush()?;
            Ok::<_, crate::BoxError>(n)
        })?;
        println!();
        println!(
            "image: {image} (label {}={}) committed from {name} which ran `{script}`; tar of \
             {tar_ref} written to {} ({tar_bytes} bytes); {:.1} s",
            LABEL.0,
            LABEL.1,
            tar_file.display(),
            secs_since(start)
        );
        let start = Instant::now();
        let context = dir.join("context");
        std::fs::create_dir_all(&context)?;
        std::fs::write(
            context.join("Dockerfile"),
            format!("FROM {}\nRUN true\n", fixture::IMAGE),
        )?;
        let per_file = self.bytes / CONTEXT_FILES;
        let zeros = vec![0u8; 1 << 20];
        for i in 0..CONTEXT_FILES {
            let mut f = std::fs::File::create(context.join(format!("zero-{i:02}")))?;
            let mut left = per_file;
            while left > 0 {
                let n = left.min(zeros.len() as u64);
                f.write_all(&zeros[..n as usize])?;
                left -= n;
            }
        }
        let context_bytes = per_file * CONTEXT_FILES;
        println!(
            "context: {} ({CONTEXT_FILES} files of {per_file} bytes of zeros + Dockerfile \
             `FROM {} / RUN true`), written in {:.1} s",
            context.display(),
            fixture::IMAGE,
            secs_since(start)
        );
        Ok(Subjects {
            image,
            tar_ref,
            tar_file,
            tar_bytes,
            context,
            context_bytes,
            build_tag,
        })
    }

    /// Removes an image reference (a tag; the image goes when it was the last one).
    fn untag(&self, name: &str) -> Result<()> {
        self.rt.block_on(async {
            self.berth
                .images()
                .remove(&ImageRemove {
                    name: name.to_string(),
                    force: false,
                    noprune: false,
                })
                .await
        })?;
        Ok(())
    }

    /// Cleanup after all runs of `op`: the loaded tag, the built image.
    fn after(&self, op: Op, s: &Subjects) -> Result<()> {
        match op {
            Op::Save => Ok(()),
            Op::Load => self.untag(&s.tar_ref),
            Op::Build => self.untag(&s.build_tag),
        }
    }

    fn run_one(&self, op: Op, who: Who, s: &Subjects) -> Result<Run> {
        if op == Op::Load {
            // The tar's tag is removed first, so every load creates it again (the
            // layers stay: the image keeps its other tag).
            self.untag(&s.tar_ref)?;
        }
        let failed = |out: &std::process::Output| {
            format!(
                "exit {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )
        };
        match who {
            Who::Berth => {
                let mut cmd = Command::new(std::env::current_exe()?);
                cmd.arg(CHILD_COMMAND).arg(op.name()).arg(self.socket);
                match op {
                    Op::Save => cmd.arg(&s.image),
                    Op::Load => cmd.arg(&s.tar_file),
                    Op::Build => cmd.arg(&s.context).arg(&s.build_tag),
                };
                let out = cmd.stdin(Stdio::null()).output()?;
                if !out.status.success() {
                    return Err(failed(&out).into());
                }
                let text = String::from_utf8_lossy(&out.stdout);
                let (Some(secs), Some(hwm)) = (field(&text, "secs"), field(&text, "hwm_kb")) else {
                    return Err(format!("unexpected child output {text:?}").into());
                };
                Ok(Run {
                    secs,
                    bytes: field(&text, "bytes"),
                    hwm_kb: Some(hwm),
                    start_kb: field(&text, "start_hwm_kb"),
                    cpu: field(&text, "cpu").filter(|c: &f64| *c >= 0.0),
                })
            }
            Who::DockerCli => {
                let (mut cmd, timed) = gnu_time("docker");
                cmd.arg("-H")
                    .arg(format!("unix://{}", self.socket.display()))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null());
                match op {
                    Op::Save => cmd.args(["save", &s.image]),
                    Op::Load => cmd.arg("load").arg("-i").arg(&s.tar_file),
                    // The classic builder, which sends the whole context like berth.
                    Op::Build => cmd
                        .env("DOCKER_BUILDKIT", "0")
                        .args(["build", "-q", "-t", &s.build_tag])
                        .arg(&s.context),
                };
                let start = Instant::now();
                let out = cmd.output()?;
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
        }
    }

    fn report(
        &self,
        ops: &[Op],
        who: &[Who],
        runs: &[Vec<Vec<Run>>],
        s: &Subjects,
        save_bytes: u64,
        summary: &mut Report,
    ) {
        println!();
        println!(
            "images: save = GET /images/{{name}}/get of {} read to the end and discarded \
             (tar {save_bytes} bytes); load = POST /images/load of a tar of it ({} bytes) \
             streamed from a file; build = POST /build of a {} byte context (Dockerfile \
             `RUN true`, one unmeasured build first so all hit the cache); N={} runs per \
             client, interleaved",
            s.image, s.tar_bytes, s.context_bytes, self.reps
        );
        println!(
            "  berth: a child process (this binary, `{CHILD_COMMAND}`), tokio current_thread; \
             time = call to end; peak RSS = its VmHWM at the end (\"start\" = before the \
             call); CPU = user + system s of the call"
        );
        println!(
            "  docker CLI: `docker save IMG > /dev/null`, `docker load -i FILE`, \
             `DOCKER_BUILDKIT=0 docker build -q DIR`: wall time; peak RSS and CPU from GNU \
             time{}",
            if Path::new("/usr/bin/time").exists() {
                ""
            } else {
                " (not installed: no RSS)"
            }
        );
        println!(
            "{:<6} {:<10} {:>12} {:>10} {:>10} {:>10} {:>14} {:>15} {:>7}",
            "op",
            "client",
            "median MB/s",
            "min MB/s",
            "max MB/s",
            "vs docker",
            "peak RSS MiB",
            "start RSS MiB",
            "CPU s"
        );
        let mib = |kb: Option<u64>| {
            kb.map_or_else(|| "-".to_string(), |k| format!("{:.1}", k as f64 / 1024.0))
        };
        // Bytes each op moved, and the median MB/s per (op, client): for the table and the
        // summary rows.
        let op_bytes = |op: Op| match op {
            Op::Save => save_bytes,
            Op::Load => s.tar_bytes,
            Op::Build => s.context_bytes,
        };
        let meds: Vec<Vec<f64>> = ops
            .iter()
            .zip(runs)
            .map(|(&op, per_client)| {
                per_client
                    .iter()
                    .map(|r| {
                        let secs = median_f64(&r.iter().map(|x| x.secs).collect::<Vec<_>>());
                        op_bytes(op) as f64 / secs / 1e6
                    })
                    .collect()
            })
            .collect();
        let docker = who.iter().position(|&w| w == Who::DockerCli);
        for (o, &op) in ops.iter().enumerate() {
            let mbps = |secs: f64| op_bytes(op) as f64 / secs / 1e6;
            let med = &meds[o];
            for (i, &w) in who.iter().enumerate() {
                let secs: Vec<f64> = runs[o][i].iter().map(|r| r.secs).collect();
                let (fastest, slowest) = min_max_f64(&secs);
                let cpu: Vec<f64> = runs[o][i].iter().filter_map(|r| r.cpu).collect();
                let cpu = if cpu.is_empty() {
                    "-".to_string()
                } else {
                    format!("{:.2}", median_f64(&cpu))
                };
                println!(
                    "{:<6} {:<10} {:>12.1} {:>10.1} {:>10.1} {:>10} {:>14} {:>15} {:>7}",
                    op.name(),
                    match w {
                        Who::Berth => "berth",
                        Who::DockerCli => "docker CLI",
                    },
                    med[i],
                    mbps(slowest),
                    mbps(fastest),
                    docker.map_or_else(|| "-".into(), |j| format!("{:.2}x", med[i] / med[j])),
                    mib(runs[o][i].iter().filter_map(|r| r.hwm_kb).max()),
                    mib(runs[o][i].iter().filter_map(|r| r.start_kb).max()),
                    cpu,
                );
            }
        }
        for (o, &op) in ops.iter().enumerate() {
            let Some(b) = who.iter().position(|&w| w == Who::Berth) else {
                continue;
            };
            let peak = runs[o][b]
                .iter()
                .filter_map(|r| r.hwm_kb)
                .max()
                .unwrap_or(0) as f64
                / 1024.0;
            let what = match op {
                Op::Save | Op::Load => format!("a {} byte image tar", s.tar_bytes),
                Op::Build => format!("a {} byte build context", s.context_bytes),
            };
            let reference = docker.map_or_else(
                || "–".to_string(),
                |d| {
                    let rss = runs[o][d].iter().filter_map(|r| r.hwm_kb).max();
                    let rss =
                        rss.map_or_else(String::new, |k| format!(", {:.1} MiB", k as f64 / 1024.0));
                    format!("docker CLI {:.0} MB/s{rss}", meds[o][d])
                },
            );
            summary.row(
                format!("image {} of {what}: throughput, peak RSS", op.name()),
                reference,
                format!("{:.0} MB/s, {peak:.1} MiB", meds[o][b]),
                format!("RSS < {TARGET_RSS_MIB:.0} MiB"),
            );
            println!(
                "verdict {:<8} berth peak RSS < {TARGET_RSS_MIB:.0} MiB for {what}: {} \
                 ({peak:.1} MiB, max of {})",
                op.name(),
                if peak < TARGET_RSS_MIB { "yes" } else { "no" },
                self.reps
            );
        }
    }
}

/// The child: `__images save SOCKET IMAGE`, `__images load SOCKET FILE` or
/// `__images build SOCKET DIR TAG`. Prints `bytes= secs= hwm_kb= start_hwm_kb= cpu=`.
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
    let usage = || {
        format!(
            "usage: {CHILD_COMMAND} save SOCKET IMAGE | load SOCKET FILE | build SOCKET DIR TAG"
        )
    };
    let (op, socket, rest) = match args {
        [op, socket, rest @ ..] => (
            op.to_str().ok_or("op is not UTF-8")?,
            socket.to_str().ok_or("socket path is not UTF-8")?,
            rest,
        ),
        _ => return Err(usage().into()),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (bytes, secs, start_kb, cpu_start) = rt.block_on(async {
        let docker = Docker::connect(&format!("unix://{socket}"))?;
        docker.api_version().await?;
        let start_kb = vm_hwm_kb();
        let cpu = cpu_secs();
        let start = Instant::now();
        let bytes = match (op, rest) {
            ("save", [image]) => {
                let image = image.to_str().ok_or("image is not UTF-8")?;
                let mut body = docker.images().save(&[image]).await?;
                let mut n = 0u64;
                while let Some(chunk) = body.chunk().await {
                    n += chunk?.len() as u64;
                }
                n
            }
            ("load", [file]) => {
                let f = tokio::fs::File::open(file).await?;
                let n = f.metadata().await?.len();
                let loaded = docker
                    .images()
                    .load(berth::transport::reader_stream(f))
                    .await?;
                if loaded.is_empty() {
                    return Err("the daemon loaded nothing".into());
                }
                n
            }
            ("build", [dir, tag]) => {
                let tag = tag.to_str().ok_or("tag is not UTF-8")?;
                let options = BuildOptions::new().tag(tag).label(LABEL.0, LABEL.1);
                docker.build(Path::new(dir), &options).await?.wait().await?;
                0
            }
            _ => return Err(usage().into()),
        };
        Ok::<_, crate::BoxError>((bytes, secs_since(start), start_kb, cpu))
    })?;
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
