//! Building wasm guests (plugins) for the plugin tests.
//!
//! Guests are workspace members built with a nested `cargo build --release --target
//! wasm32-wasip2` into `target/guests` (a target directory of their own, so the nested
//! build does not wait for the lock of the build running the tests).

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, PoisonError};

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Builds the wasm32-wasip2 component of workspace package `package` (release) and
/// returns its path. Panics with what to install when the build fails.
pub fn build_guest(package: &str) -> PathBuf {
    try_build_guest(package).unwrap_or_else(|e| panic!("{e}"))
}

/// [`build_guest`], with the failure as a message (what to install, cargo's output).
pub fn try_build_guest(package: &str) -> Result<PathBuf, String> {
    // One nested build at a time per process (cargo serialises across processes).
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let root = workspace();
    let target = root.join("target").join("guests");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &target)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            package,
        ])
        .output()
        .map_err(|e| format!("running cargo to build the wasm guest {package}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building the wasm guest {package} failed (needs the target: `rustup target add \
             wasm32-wasip2`):\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let file = target
        .join("wasm32-wasip2")
        .join("release")
        .join(format!("{}.wasm", package.replace('-', "_")));
    if !file.is_file() {
        return Err(format!("cargo built no {}", file.display()));
    }
    Ok(file)
}
