//! Builds libberth and runs the C (under valgrind), C++ and Go programs of
//! `capi/tests/` against the real daemon.
//!
//! libberth is built by a nested `cargo build -p berth-capi` into `target/capi` (the
//! outer `cargo test` holds the lock of the main target directory, and it does not
//! build a package's cdylib for its integration tests). Needs gcc, g++, valgrind and
//! Go (`apt-get install -y gcc g++ valgrind golang-go`), root for the TLS daemon
//! (`tests/engine/tls-dockerd.sh`), the daemon and the test registry on 127.0.0.1:5000
//! (`tests/engine/provision.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Port and directory of the TLS test daemon, shared with `tests/tests/tls.rs`.
const TLS_PORT: u16 = 23760;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("capi/ has a parent")
        .to_path_buf()
}

fn work_dir() -> PathBuf {
    root().join("target").join("capi")
}

/// The directory holding a freshly built libberth.so and libberth.a.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .args(["build", "-p", "berth-capi", "--lib"])
            .current_dir(root())
            .env("CARGO_TARGET_DIR", work_dir())
            .output()
            .expect("run cargo build -p berth-capi");
        assert!(
            out.status.success(),
            "building libberth failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dir = work_dir().join("debug");
        assert!(
            dir.join("libberth.so").is_file(),
            "no libberth.so in {dir:?}"
        );
        // Programs linked against it ask the loader for its SONAME (install.sh makes
        // the same link).
        let link = dir.join(soname());
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("libberth.so", &link).expect("SONAME link");
        dir
    })
}

/// The SONAME `build.rs` gives the library.
fn soname() -> &'static str {
    env!("BERTH_SONAME")
}

/// The C programs share the daemon and clean up by label: run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn tool(name: &str, install: &str) -> String {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "{name} is needed for the C ABI tests: {install}");
    name.to_owned()
}

fn run(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    if !out.status.success() {
        cleanup();
    }
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Removes whatever a failed program left behind (everything it creates carries the
/// label `berth.capi=1`).
fn cleanup() {
    let script = "docker ps -aq --filter label=berth.capi=1 | xargs -r docker rm -f; \
                  docker network ls -q --filter label=berth.capi=1 | xargs -r docker network rm; \
                  docker volume ls -q --filter label=berth.capi=1 | xargs -r docker volume rm -f; \
                  docker images -q --filter label=berth.capi=1 | sort -u | xargs -r docker rmi -f";
    let _ = Command::new("sh").args(["-c", script]).output();
}

/// Compiles `capi/tests/c/NAME.c` against the shared library.
fn compile_c(name: &str) -> PathBuf {
    let gcc = tool("gcc", "apt-get install -y gcc");
    let lib = lib_dir();
    let exe = work_dir().join("bin").join(name);
    std::fs::create_dir_all(exe.parent().expect("bin dir")).expect("create bin dir");
    let src = root().join("capi/tests/c").join(format!("{name}.c"));
    run(
        Command::new(gcc)
            .args([
                "-std=c11",
                "-D_GNU_SOURCE",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-g",
            ])
            .arg("-I")
            .arg(root().join("include"))
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .arg(format!("-L{}", lib.display()))
            .args(["-lberth", "-lpthread"])
            .arg(format!("-Wl,-rpath,{}", lib.display())),
        &format!("gcc {name}.c"),
    );
    exe
}

fn valgrind(exe: &Path) -> Command {
    let vg = tool("valgrind", "apt-get install -y valgrind");
    let mut cmd = Command::new(vg);
    cmd.args([
        "-q",
        "--num-callers=40",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite,indirect",
        "--show-leak-kinds=definite,indirect",
        "--error-exitcode=99",
    ])
    .arg(format!(
        "--suppressions={}",
        root().join("capi/tests/valgrind.supp").display()
    ))
    .arg(exe);
    cmd
}

/// Compiles and runs a C program under valgrind; it must print `NAME: ok`.
fn c_program(name: &str, env: &[(&str, String)]) {
    let _serial = serial();
    let exe = compile_c(name);
    let mut cmd = valgrind(&exe);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd, &format!("{name} under valgrind"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{name}: ok")),
        "{name} did not finish: {stdout}"
    );
}

/// Starts (idempotently) the TLS test daemon; returns its URL and certificate dir.
fn tls_daemon() -> (String, PathBuf) {
    let dir = std::env::temp_dir().join("berth-tls-test");
    run(
        Command::new(root().join("tests/engine/tls-dockerd.sh"))
            .arg(&dir)
            .arg(TLS_PORT.to_string()),
        "tests/engine/tls-dockerd.sh (needs root, openssl, dockerd)",
    );
    (format!("tcp://127.0.0.1:{TLS_PORT}"), dir)
}

#[test]
fn c_containers_under_valgrind() {
    let (url, dir) = tls_daemon();
    c_program(
        "containers",
        &[
            ("BERTH_TLS_URL", url),
            ("BERTH_TLS_DIR", dir.display().to_string()),
        ],
    );
}

#[test]
fn c_images_under_valgrind() {
    c_program("images", &[]);
}

#[test]
fn c_cancel_under_valgrind() {
    c_program("cancel", &[]);
}

#[test]
fn c_errors_under_valgrind() {
    c_program("errors", &[]);
}

#[test]
fn c_generic_under_valgrind() {
    c_program("generic", &[]);
}

/// The valgrind run catches a leak: a program that leaks one string fails with 99.
#[test]
fn valgrind_reports_a_leak() {
    let _serial = serial();
    let exe = compile_c("leak_canary");
    let out = valgrind(&exe).output().expect("run valgrind");
    assert_eq!(
        out.status.code(),
        Some(99),
        "valgrind did not report the deliberate leak:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("definitely lost"));
}

/// `capi/install.sh` lays out a versioned library (file, SONAME link, dev link) that a
/// program built with pkg-config's flags links and runs against.
#[test]
fn install_sh_installs_a_versioned_library_for_pkg_config() {
    let _serial = serial();
    lib_dir();
    let prefix = work_dir().join("prefix");
    let _ = std::fs::remove_dir_all(&prefix);
    run(
        Command::new("bash")
            .arg(root().join("capi/install.sh"))
            .arg(&prefix)
            .env("PROFILE", "debug")
            .env("CARGO_TARGET_DIR", work_dir()),
        "capi/install.sh",
    );
    let libdir = prefix.join("lib");
    let version = env!("CARGO_PKG_VERSION");
    let file = format!("libberth.so.{version}");
    assert!(libdir.join(&file).is_file(), "no {file}");
    assert_eq!(
        std::fs::read_link(libdir.join(soname())).expect("SONAME link"),
        Path::new(&file)
    );
    assert_eq!(
        std::fs::read_link(libdir.join("libberth.so")).expect("dev link"),
        Path::new(soname())
    );
    let dynamic = run(
        Command::new("readelf").arg("-d").arg(libdir.join(&file)),
        "readelf",
    );
    assert!(
        String::from_utf8_lossy(&dynamic.stdout).contains(&format!("[{}]", soname())),
        "{}",
        String::from_utf8_lossy(&dynamic.stdout)
    );
    let flags = run(
        Command::new("pkg-config")
            .args(["--cflags", "--libs", "berth"])
            .env("PKG_CONFIG_PATH", libdir.join("pkgconfig")),
        "pkg-config",
    );
    let exe = work_dir().join("bin").join("errors-installed");
    std::fs::create_dir_all(exe.parent().expect("bin dir")).expect("create bin dir");
    run(
        Command::new(tool("gcc", "apt-get install -y gcc"))
            .args(["-std=c11", "-D_GNU_SOURCE"])
            .arg(root().join("capi/tests/c/errors.c"))
            .args(String::from_utf8_lossy(&flags.stdout).split_whitespace())
            .arg(format!("-Wl,-rpath,{}", libdir.display()))
            .arg("-o")
            .arg(&exe),
        "gcc errors.c against the installed library",
    );
    let needed = run(Command::new("readelf").arg("-d").arg(&exe), "readelf");
    let needed = String::from_utf8_lossy(&needed.stdout);
    assert!(
        needed
            .lines()
            .any(|l| l.contains("(NEEDED)") && l.contains(&format!("[{}]", soname()))),
        "the program does not ask for libberth by its SONAME:\n{needed}"
    );
    let out = run(
        &mut Command::new(&exe),
        "errors against the installed library",
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("errors: ok"));
}

/// The static library links too (`errors` as a static binary, no valgrind).
#[test]
fn c_static_link() {
    let _serial = serial();
    let lib = lib_dir();
    let exe = work_dir().join("bin").join("errors-static");
    std::fs::create_dir_all(exe.parent().expect("bin dir")).expect("create bin dir");
    run(
        Command::new(tool("gcc", "apt-get install -y gcc"))
            .args(["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror"])
            .arg("-I")
            .arg(root().join("include"))
            .arg(root().join("capi/tests/c/errors.c"))
            .arg("-o")
            .arg(&exe)
            .arg(lib.join("libberth.a"))
            .args([
                "-lgcc_s",
                "-lutil",
                "-lrt",
                "-lpthread",
                "-lm",
                "-ldl",
                "-lc",
            ]),
        "gcc errors.c with libberth.a",
    );
    let ldd = run(Command::new("ldd").arg(&exe), "ldd");
    assert!(
        !String::from_utf8_lossy(&ldd.stdout).contains("libberth"),
        "the static binary still needs libberth.so"
    );
    let out = run(&mut Command::new(&exe), "static errors");
    assert!(String::from_utf8_lossy(&out.stdout).contains("errors: ok"));
}

/// Every function libberth exports is declared in the committed header, and the
/// header's version is the crate's.
#[test]
fn header_matches_library() {
    let lib = lib_dir().join("libberth.so");
    let nm = run(
        Command::new("nm").args(["-D", "--defined-only"]).arg(&lib),
        "nm",
    );
    let header = std::fs::read_to_string(root().join("include/berth.h")).expect("read berth.h");
    let exported: Vec<String> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|s| s.starts_with("berth_"))
        .map(str::to_owned)
        .collect();
    assert!(
        exported.len() > 60,
        "only {} berth_ symbols",
        exported.len()
    );
    for sym in &exported {
        assert!(
            header.contains(&format!(" {sym}(")) || header.contains(&format!("*{sym}(")),
            "{sym} is exported but not declared in include/berth.h: regenerate it with \
             `cbindgen --config capi/cbindgen.toml --crate berth-capi --output include/berth.h capi`"
        );
    }
    let v = env!("CARGO_PKG_VERSION");
    let mut parts = v.split('.');
    for (name, part) in ["MAJOR", "MINOR", "PATCH"].iter().zip(parts.by_ref()) {
        assert!(
            header.contains(&format!("#define BERTH_VERSION_{name} {part}\n")),
            "BERTH_VERSION_{name} in berth.h is not {part} (capi/cbindgen.toml after_includes)"
        );
    }
    assert!(header.contains(&format!("#define BERTH_VERSION \"{v}\"")));
}

/// The C++ program using the RAII wrapper `include/berth.hpp`.
#[test]
fn cpp_program() {
    let _serial = serial();
    let gxx = tool("g++", "apt-get install -y g++");
    let lib = lib_dir();
    let exe = work_dir().join("bin").join("cpp_demo");
    std::fs::create_dir_all(exe.parent().expect("bin dir")).expect("create bin dir");
    run(
        Command::new(gxx)
            .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-g"])
            .arg("-I")
            .arg(root().join("include"))
            .arg(root().join("capi/tests/cpp/demo.cpp"))
            .arg("-o")
            .arg(&exe)
            .arg(format!("-L{}", lib.display()))
            .args(["-lberth", "-lpthread"])
            .arg(format!("-Wl,-rpath,{}", lib.display())),
        "g++ demo.cpp",
    );
    let out = run(&mut valgrind(&exe), "C++ demo under valgrind");
    assert!(String::from_utf8_lossy(&out.stdout).contains("cpp: ok"));
}

/// The Go program (cgo) lists, runs and streams logs.
#[test]
fn go_program() {
    let _serial = serial();
    let go = tool("go", "apt-get install -y golang-go");
    let lib = lib_dir();
    let go_dir = work_dir().join("go");
    let src = root().join("capi/tests/go");
    let exe = work_dir().join("bin").join("go_demo");
    run(
        Command::new(go)
            .args(["build", "-o"])
            .arg(&exe)
            .arg(".")
            .current_dir(&src)
            .env("CGO_ENABLED", "1")
            .env(
                "CGO_CFLAGS",
                format!("-I{}", root().join("include").display()),
            )
            .env(
                "CGO_LDFLAGS",
                format!("-L{0} -lberth -Wl,-rpath,{0}", lib.display()),
            )
            .env("GOCACHE", go_dir.join("cache"))
            .env("GOPATH", go_dir.join("path"))
            .env("GOFLAGS", "-mod=mod")
            .env("GOPROXY", "off")
            .env("GO111MODULE", "on"),
        "go build",
    );
    let out = run(&mut Command::new(&exe), "go demo");
    assert!(String::from_utf8_lossy(&out.stdout).contains("go: ok"));
}
