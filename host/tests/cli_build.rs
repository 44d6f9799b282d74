//! `berth build` against the real daemon: tags, build args, target, `-f` outside the
//! context, quiet mode, `-` (context tar on stdin), failures, bad tags. Images carry
//! `berth.test=1` (`--label`) and are removed by a guard, pass or fail.

use std::fs;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use berth_tests::{docker_cli, unique};

fn berth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .output()
        .expect("run berth")
}

fn ok(args: &[&str]) -> String {
    let out = berth(args);
    assert!(
        out.status.success(),
        "berth {args:?}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A failing berth run: its stderr.
fn fails(args: &[&str]) -> String {
    let out = berth(args);
    assert_eq!(out.status.code(), Some(1), "berth {args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("berth: "), "{err}");
    err
}

/// Removes images and scratch directories when dropped.
#[derive(Default)]
struct Cleanup {
    images: Vec<String>,
    dirs: Vec<PathBuf>,
}

impl Cleanup {
    fn dir(&mut self, prefix: &str, files: &[(&str, &str)]) -> PathBuf {
        let d = std::env::temp_dir().join(unique(prefix));
        for (name, contents) in files {
            let p = d.join(name);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, contents).expect("write");
        }
        fs::create_dir_all(&d).expect("mkdir");
        self.dirs.push(d.clone());
        d
    }

    fn tag(&mut self, prefix: &str) -> String {
        let t = format!("{}:cli", unique(prefix));
        self.images.push(t.clone());
        t
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for i in &self.images {
            let _ = Command::new("docker").args(["rmi", "-f", i]).output();
        }
        for d in &self.dirs {
            let _ = fs::remove_dir_all(d);
        }
    }
}

fn run_in(image: &str, cmd: &str) -> String {
    docker_cli(&[
        "run",
        "--rm",
        "--label",
        "berth.test=1",
        image,
        "sh",
        "-c",
        cmd,
    ])
}

#[test]
fn build_streams_output_and_applies_tag_args_target() {
    let mut c = Cleanup::default();
    let ctx = c.dir(
        "cli-build",
        &[(
            "Dockerfile",
            "FROM busybox:berth-test AS one\nARG GREETING\nRUN echo \"$GREETING\" > /g && echo built-step\n\
             FROM busybox:berth-test AS two\nRUN echo two > /g\n",
        )],
    );
    let tag = c.tag("cli-build");
    let ctx_s = ctx.to_str().expect("utf-8");
    let out = ok(&[
        "build",
        "-t",
        &tag,
        "--build-arg",
        "GREETING=hello cli",
        "--target",
        "one",
        "--label",
        "berth.test=1",
        "--no-cache",
        ctx_s,
    ]);
    assert!(out.contains("Step 1/"), "{out}");
    assert!(out.contains("built-step"), "{out}");
    assert!(out.contains(&format!("Successfully tagged {tag}")), "{out}");
    assert_eq!(run_in(&tag, "cat /g"), "hello cli");
    assert_eq!(
        docker_cli(&[
            "inspect",
            "-f",
            "{{index .Config.Labels \"berth.test\"}}",
            &tag
        ]),
        "1"
    );
}

#[test]
fn quiet_prints_only_the_id_and_file_outside_the_context() {
    let mut c = Cleanup::default();
    let ctx = c.dir("cli-build-q", &[("data", "x")]);
    let df_dir = c.dir(
        "cli-build-df",
        &[(
            "Containerfile",
            "FROM busybox:berth-test\nCOPY data /data\n",
        )],
    );
    let tag = c.tag("cli-build-q");
    let df = df_dir.join("Containerfile");
    let out = ok(&[
        "build",
        "-q",
        "-t",
        &tag,
        "--label",
        "berth.test=1",
        "-f",
        df.to_str().expect("utf-8"),
        ctx.to_str().expect("utf-8"),
    ]);
    let id = out.trim();
    assert!(id.starts_with("sha256:") && !id.contains('\n'), "{out:?}");
    assert_eq!(docker_cli(&["inspect", "-f", "{{.Id}}", &tag]), id);
    assert_eq!(run_in(&tag, "cat /data"), "x");
}

#[test]
fn context_tar_on_stdin() {
    let mut c = Cleanup::default();
    let ctx = c.dir(
        "cli-build-stdin",
        &[
            ("Dockerfile", "FROM busybox:berth-test\nCOPY f /f\n"),
            ("f", "from stdin"),
        ],
    );
    let tar = Command::new("tar")
        .arg("-cf")
        .arg("-")
        .arg("-C")
        .arg(&ctx)
        .args(["Dockerfile", "f"])
        .output()
        .expect("tar");
    assert!(tar.status.success());
    let tag = c.tag("cli-build-stdin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["build", "-t", &tag, "--label", "berth.test=1", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn berth");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&tar.stdout)
        .expect("write tar");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run_in(&tag, "cat /f"), "from stdin");
}

#[test]
fn failures_are_one_line_errors() {
    let mut c = Cleanup::default();
    let ctx = c.dir(
        "cli-build-fail",
        &[(
            "Dockerfile",
            "FROM busybox:berth-test\nRUN echo doomed && exit 4\n",
        )],
    );
    let ctx_s = ctx.to_str().expect("utf-8");
    let out = berth(&["build", "--force-rm", "--label", "berth.test=1", ctx_s]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("doomed"), "the output came first: {stdout}");
    assert!(stderr.contains("returned a non-zero code: 4"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let err = fails(&["build", "-t", "Not/Valid", ctx_s]);
    assert!(err.contains("invalid tag \"Not/Valid\""), "{err}");
    let err = fails(&["build", "--build-arg", "=x", ctx_s]);
    assert!(err.contains("KEY=VALUE"), "{err}");
    let missing = ctx.join("missing");
    let err = fails(&["build", missing.to_str().expect("utf-8")]);
    assert!(err.contains("missing"), "{err}");
}
