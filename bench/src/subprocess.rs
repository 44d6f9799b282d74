//! Clients measured in a child process: libberth through its C ABI (a C program), and
//! docker-py (a Python script). Each child connects, makes unmeasured warm-up calls, then
//! prints one latency in ns per line for the measured ones.

use std::path::{Path, PathBuf};
use std::process::Command;

use berth_tests::wasm::workspace;

use crate::{Op, Result};

/// Unmeasured calls each child makes first (its connection set-up and first-call costs).
const CHILD_WARMUP: usize = 20;

/// Runs `cmd`, returning its stdout; a failure carries its stderr.
fn output(what: &str, cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot run {:?}: {e}", cmd.get_program()))?;
    if !out.status.success() {
        return Err(format!(
            "{what}: {} ({})",
            String::from_utf8_lossy(&out.stderr).trim(),
            out.status
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout).map_err(|_| format!("{what}: output is not UTF-8"))?)
}

/// Builds libberth (`cargo build --release -p berth-capi`) and compiles
/// `capi/bench/inspect.c` against it; returns the program's path.
pub fn build_capi() -> Result<PathBuf> {
    let root = workspace();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    output(
        "building libberth",
        Command::new(cargo).current_dir(&root).args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "berth-capi",
        ]),
    )?;
    let lib = target.join("release");
    // The program asks the loader for libberth's SONAME (see capi/build.rs).
    let soname = match env!("CARGO_PKG_VERSION_MAJOR") {
        "0" => format!("libberth.so.0.{}", env!("CARGO_PKG_VERSION_MINOR")),
        major => format!("libberth.so.{major}"),
    };
    let link = lib.join(soname);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("libberth.so", &link)
        .map_err(|e| format!("linking {}: {e}", link.display()))?;
    let exe = lib.join("berth-capi-bench");
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    output(
        "compiling capi/bench/inspect.c",
        Command::new(cc)
            .current_dir(&root)
            .args([
                "-O2",
                "-std=c11",
                "-D_GNU_SOURCE",
                "-Iinclude",
                "capi/bench/inspect.c",
            ])
            .arg(format!("-L{}", lib.display()))
            .arg("-lberth")
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-o")
            .arg(&exe),
    )?;
    Ok(exe)
}

/// The docker-py script, if python3 can import docker-py; else why not.
pub fn docker_py() -> Result<(PathBuf, String)> {
    let script = workspace().join("bench").join("docker_py.py");
    let version = output(
        "docker-py",
        Command::new("python3").args(["-c", "import docker; print(docker.__version__)"]),
    )
    .map_err(|e| format!("{e} (install it: pip install docker)"))?;
    Ok((script, version.trim().to_string()))
}

/// A child-process client.
#[derive(Debug)]
pub enum Child {
    /// The compiled C program.
    CAbi(PathBuf),
    /// python3 with the script.
    DockerPy(PathBuf),
}

impl Child {
    /// `n` measured calls of `op` in one child; their latencies in ns.
    pub fn samples(
        &self,
        socket: &Path,
        api: &str,
        op: Op,
        n: usize,
        container: &str,
    ) -> Result<Vec<u64>> {
        let (n_s, warm) = (n.to_string(), CHILD_WARMUP.to_string());
        let mut cmd;
        let what;
        match self {
            Child::CAbi(exe) => {
                what = "C ABI";
                cmd = Command::new(exe);
                cmd.env("DOCKER_HOST", format!("unix://{}", socket.display()));
            }
            Child::DockerPy(script) => {
                what = "docker-py";
                cmd = Command::new("python3");
                cmd.arg(script).arg(socket).arg(api);
            }
        }
        cmd.args([op.name(), &n_s, &warm]);
        if op == Op::Inspect {
            cmd.arg(container);
        }
        let text = output(&format!("{what} {}", op.name()), &mut cmd)?;
        let samples = text
            .lines()
            .map(|l| l.trim().parse::<u64>())
            .collect::<Result<Vec<u64>, _>>()
            .map_err(|e| format!("{what} {}: bad sample line: {e}", op.name()))?;
        if samples.len() != n {
            return Err(format!(
                "{what} {}: {} samples, expected {n}",
                op.name(),
                samples.len()
            )
            .into());
        }
        Ok(samples)
    }
}
