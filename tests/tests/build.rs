//! Build against the real daemon (classic builder): directory contexts with
//! `.dockerignore`, Dockerfiles outside the context or given as text, custom tar
//! contexts (plain and gzip), build args, target stages, failures with their log,
//! local tag validation, cache control, quiet mode and a large context in constant
//! memory.
//!
//! Every image is labelled `berth.test=1` and removed by an [`Images`] guard
//! (`docker rmi -f`) when the test ends, pass or fail; context directories likewise.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use berth::transport::{bytes_stream, reader_stream};
use berth::{BuildContext, BuildOptions, Category};
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};

/// Removes the images (ids or tags) it collected.
#[derive(Default)]
struct Images(Vec<String>);

impl Images {
    fn add(&mut self, image: impl Into<String>) {
        self.0.push(image.into());
    }
}

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = Command::new("docker").args(["rmi", "-f", image]).output();
        }
    }
}

/// A scratch directory, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(prefix: &str) -> Dir {
        let p = std::env::temp_dir().join(unique(prefix));
        fs::create_dir_all(&p).expect("create temp dir");
        Dir(p)
    }

    fn file(&self, rel: &str, contents: &str) -> &Dir {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(p, contents).expect("write file");
        self
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn options() -> BuildOptions {
    BuildOptions::new().label(TEST_LABEL, "1")
}

/// Runs `cmd` in a throw-away container of `image`; its stdout.
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

#[tokio::test]
async fn simple_build_tags_and_labels() {
    let docker = docker().await;
    let mut images = Images::default();
    let ctx = Dir::new("build-simple");
    ctx.file("Dockerfile", "FROM busybox:berth-test\nRUN echo hi > /hi\n");
    let tag = format!("{}:v1", unique("build-simple"));
    images.add(&tag);
    let built = docker
        .build_to_end(
            ctx.path(),
            &options().tag(&tag).label("berth.kind", "simple"),
        )
        .await
        .expect("build");
    images.add(&built.image_id);
    assert!(built.image_id.starts_with("sha256:"), "{}", built.image_id);
    assert_eq!(
        docker_cli(&["inspect", "-f", "{{.Id}}", &tag]),
        built.image_id
    );
    assert_eq!(
        docker_cli(&[
            "inspect",
            "-f",
            "{{index .Config.Labels \"berth.test\"}} {{index .Config.Labels \"berth.kind\"}}",
            &tag
        ]),
        "1 simple"
    );
    assert_eq!(run_in(&tag, "cat /hi"), "hi");
    let text = built.log.text();
    assert!(text.contains("Step 2/"), "{text}");
    assert!(
        text.contains(&format!("Successfully tagged {tag}")),
        "{text}"
    );
}

#[tokio::test]
async fn buildargs_and_target_stage() {
    let docker = docker().await;
    let mut images = Images::default();
    let ctx = Dir::new("build-args");
    ctx.file(
        "Dockerfile",
        "FROM busybox:berth-test AS first\nARG X\nRUN echo \"first $X\" > /x\n\
         FROM busybox:berth-test AS second\nRUN echo second > /x\n",
    );
    let built = docker
        .build_to_end(
            ctx.path(),
            &options().buildarg("X", "from berth").target("first"),
        )
        .await
        .expect("build");
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /x"), "first from berth");
    let second = docker
        .build_to_end(ctx.path(), &options())
        .await
        .expect("build all stages");
    images.add(&second.image_id);
    assert_eq!(run_in(&second.image_id, "cat /x"), "second");
}

#[tokio::test]
async fn dockerignore_excludes_and_reincludes() {
    let docker = docker().await;
    let mut images = Images::default();
    let ctx = Dir::new("build-ignore");
    ctx.file("Dockerfile", "FROM busybox:berth-test\nCOPY . /ctx\n")
        .file(
            ".dockerignore",
            "# comment\nsecret.txt\nlogs\n!logs/keep.log\n**/*.tmp\nDockerfile\n",
        )
        .file("keep.txt", "k")
        .file("secret.txt", "s")
        .file("logs/a.log", "a")
        .file("logs/keep.log", "kept")
        .file("deep/er/x.tmp", "t")
        .file("deep/er/y.txt", "y");
    fs::create_dir_all(ctx.path().join("empty")).expect("empty dir");
    let built = docker
        .build_to_end(ctx.path(), &options())
        .await
        .expect("build");
    images.add(&built.image_id);
    let listing = run_in(&built.image_id, "cd /ctx && find . | sort");
    let got: Vec<&str> = listing.lines().collect();
    assert_eq!(
        got,
        [
            ".",
            "./.dockerignore",
            "./deep",
            "./deep/er",
            "./deep/er/y.txt",
            "./empty",
            "./keep.txt",
            "./logs",
            "./logs/keep.log",
        ],
        "the daemon drops the Dockerfile .dockerignore lists; .dockerignore is kept, as with the CLI"
    );
    assert_eq!(run_in(&built.image_id, "cat /ctx/logs/keep.log"), "kept");
}

#[tokio::test]
async fn dockerfile_outside_the_context_and_absolute_inside() {
    let docker = docker().await;
    let mut images = Images::default();
    let ctx = Dir::new("build-outside-ctx");
    ctx.file("data.txt", "data");
    let elsewhere = Dir::new("build-outside-df");
    elsewhere.file("Build.dockerfile", "FROM busybox:berth-test\nCOPY . /ctx\n");
    let df = elsewhere.path().join("Build.dockerfile");
    let built = docker
        .build_to_end(
            ctx.path(),
            &options().dockerfile(df.to_str().expect("utf-8 path")),
        )
        .await
        .expect("build");
    images.add(&built.image_id);
    assert_eq!(
        run_in(&built.image_id, "cd /ctx && ls -A"),
        "data.txt",
        "neither the injected Dockerfile nor .dockerignore is copied"
    );

    // An absolute path inside the context becomes context-relative.
    ctx.file(
        "sub/Dockerfile.inner",
        "FROM busybox:berth-test\nRUN echo inner > /which\n",
    );
    let inner = ctx.path().join("sub/Dockerfile.inner");
    let built = docker
        .build_to_end(
            ctx.path(),
            &options().dockerfile(inner.to_str().expect("utf-8")),
        )
        .await
        .expect("build inner");
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /which"), "inner");
    // ./ prefixes work too.
    let built = docker
        .build_to_end(
            ctx.path(),
            &options().dockerfile("./sub/../sub/Dockerfile.inner"),
        )
        .await
        .expect("build ./");
    images.add(&built.image_id);
}

#[tokio::test]
async fn dockerfile_from_a_string() {
    let docker = docker().await;
    let mut images = Images::default();
    let stream = docker
        .build_context(
            BuildContext::Dockerfile("FROM busybox:berth-test\nRUN echo text > /t\n".into()),
            &options(),
        )
        .await
        .expect("start");
    let built = stream.wait().await.expect("build");
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /t"), "text");
}

#[tokio::test]
async fn custom_context_tar_plain_and_gzip() {
    let docker = docker().await;
    let mut images = Images::default();
    let ctx = Dir::new("build-custom");
    ctx.file("Dockerfile", "FROM busybox:berth-test\nCOPY hello /hello\n")
        .file("hello", "custom");
    let tar_at = |flags: &str, name: &str| {
        let out = ctx.path().with_extension(name);
        let status = Command::new("tar")
            .arg(flags)
            .arg(&out)
            .arg("-C")
            .arg(ctx.path())
            .args(["Dockerfile", "hello"])
            .status()
            .expect("tar runs");
        assert!(status.success());
        out
    };
    let plain = tar_at("-cf", "tar");
    let gz = tar_at("-czf", "tgz");
    let file = std::io::Cursor::new(fs::read(&plain).expect("read tar"));
    let built = docker
        .build_context(BuildContext::Tar(reader_stream(file)), &options())
        .await
        .expect("start")
        .wait()
        .await
        .expect("plain tar build");
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /hello"), "custom");

    let bytes = fs::read(&gz).expect("read tgz");
    let mut o = options();
    o.encoding = Some("gzip".into());
    let built = docker
        .build_context(BuildContext::Tar(bytes_stream(bytes)), &o)
        .await
        .expect("start")
        .wait()
        .await
        .expect("gzip tar build");
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /hello"), "custom");

    // berth compresses a directory context itself with gzip = true.
    let mut o = options();
    o.gzip = true;
    let built = docker.build_to_end(ctx.path(), &o).await.expect("gzip dir");
    images.add(&built.image_id);
    let _ = fs::remove_file(plain);
    let _ = fs::remove_file(gz);
}

#[tokio::test]
async fn failing_run_is_a_build_error_with_its_output() {
    let docker = docker().await;
    let ctx = Dir::new("build-fail");
    ctx.file(
        "Dockerfile",
        "FROM busybox:berth-test\nRUN echo boom-output && exit 7\n",
    );
    let mut o = options();
    o.forcerm = true;
    let err = docker
        .build_to_end(ctx.path(), &o)
        .await
        .expect_err("RUN exits 7");
    assert!(err.is_build_failure(), "{err:?}");
    assert_eq!(err.error.category(), Category::Stream);
    assert!(
        err.to_string().contains("returned a non-zero code: 7"),
        "{err}"
    );
    let text = err.log.text();
    assert!(text.contains("boom-output"), "{text}");
    assert!(text.ends_with("returned a non-zero code: 7\n"), "{text}");
    let converted: berth::Error = err.into();
    assert_eq!(converted.category(), Category::Stream);
}

#[tokio::test]
async fn invalid_tag_is_rejected_before_sending() {
    // A client pointing nowhere: only a local refusal can answer InvalidArgument.
    let nowhere = berth::DockerBuilder::new("unix:///nonexistent/berth.sock")
        .api_version(berth::ApiVersion::new(1, 41))
        .build()
        .expect("client");
    let ctx = Dir::new("build-badtag");
    ctx.file("Dockerfile", "FROM busybox:berth-test\n");
    for bad in ["Upper/Case", "app:-x", "app@sha256:00", "a..b"] {
        let e = nowhere
            .build(ctx.path(), &options().tag(bad))
            .await
            .expect_err("bad tag");
        assert_eq!(e.category(), Category::InvalidArgument, "{bad}: {e}");
        assert!(e.to_string().contains(bad), "{e}");
    }
    // The same client does fail on transport for a valid tag: the check above was local.
    let e = nowhere
        .build(ctx.path(), &options().tag("fine:1"))
        .await
        .expect_err("no daemon");
    assert!(e.is_transport(), "{e:?}");
}

#[tokio::test]
async fn cache_nocache_pull_false_and_quiet() {
    let docker = docker().await;
    let mut images = Images::default();
    let ctx = Dir::new("build-cache");
    ctx.file(
        "Dockerfile",
        &format!(
            "FROM busybox:berth-test\nRUN echo {} > /u\n",
            unique("cache")
        ),
    );
    let first = docker
        .build_to_end(ctx.path(), &options().pull(false))
        .await
        .expect("first");
    images.add(&first.image_id);
    let cached = docker
        .build_to_end(ctx.path(), &options())
        .await
        .expect("cached");
    images.add(&cached.image_id);
    assert!(
        cached.log.text().contains("Using cache"),
        "{}",
        cached.log.text()
    );
    assert_eq!(cached.image_id, first.image_id);
    let fresh = docker
        .build_to_end(ctx.path(), &options().nocache(true))
        .await
        .expect("nocache");
    images.add(&fresh.image_id);
    assert!(
        !fresh.log.text().contains("Using cache"),
        "{}",
        fresh.log.text()
    );
    assert_ne!(fresh.image_id, first.image_id);

    let quiet = docker
        .build_to_end(ctx.path(), &options().quiet(true))
        .await
        .expect("quiet");
    images.add(&quiet.image_id);
    assert!(quiet.image_id.starts_with("sha256:"));
    assert!(!quiet.log.text().contains("Step"), "{}", quiet.log.text());
}

#[tokio::test]
async fn streamed_items_and_missing_context() {
    let docker = docker().await;
    let mut images = Images::default();
    let ctx = Dir::new("build-stream");
    ctx.file("Dockerfile", "FROM busybox:berth-test\nRUN echo streamed\n");
    let mut stream = docker.build(ctx.path(), &options()).await.expect("start");
    let mut lines = Vec::new();
    while let Some(item) = stream.next_item().await {
        let item = item.expect("item");
        if let Some(s) = &item.stream {
            lines.push(s.clone());
        }
    }
    let id = stream.log().image_id().expect("id").to_owned();
    images.add(&id);
    assert!(lines.iter().any(|l| l == "streamed\n"), "{lines:?}");

    let gone = ctx.path().join("does-not-exist");
    let e = docker.build(&gone, &options()).await.expect_err("no dir");
    assert_eq!(e.category(), Category::InvalidArgument);
    assert!(e.to_string().contains("does-not-exist"), "{e}");
    let e = docker
        .build(ctx.path(), &options().dockerfile("/nonexistent/Dockerfile"))
        .await
        .expect_err("no dockerfile");
    assert!(e.to_string().contains("/nonexistent/Dockerfile"), "{e}");
}

#[tokio::test]
async fn large_context_streams_in_constant_memory() {
    let docker = docker().await;
    let mut images = Images::default();
    let ctx = Dir::new("build-large");
    ctx.file(
        "Dockerfile",
        "FROM busybox:berth-test\nCOPY big /big\nRUN wc -c < /big > /size\n",
    );
    let size: u64 = 200 << 20;
    let f = fs::File::create(ctx.path().join("big")).expect("create");
    f.set_len(size).expect("sparse 200 MB");
    drop(f);
    let before = vm_hwm_kib();
    let built = docker
        .build_to_end(ctx.path(), &options())
        .await
        .expect("build");
    images.add(&built.image_id);
    let after = vm_hwm_kib();
    assert_eq!(run_in(&built.image_id, "cat /size"), size.to_string());
    // The whole context would be 200 MB; the pipeline holds a few 64 KiB chunks.
    assert!(
        after.saturating_sub(before) < 64 * 1024,
        "peak RSS grew by {} KiB while sending a 200 MB context",
        after.saturating_sub(before)
    );
}

/// The process' peak resident set (VmHWM), in KiB.
fn vm_hwm_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("procfs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM line")
}

#[test]
fn blocking_build_returns_the_image_or_the_log() {
    let docker = berth::blocking::Docker::from_env().expect("client");
    let mut images = Images::default();
    let ctx = Dir::new("build-blocking");
    ctx.file(
        "Dockerfile",
        "FROM busybox:berth-test\nRUN echo blocking > /b\n",
    );
    let tag = format!("{}:v1", unique("build-blocking"));
    images.add(&tag);
    let built = docker
        .build(ctx.path(), &options().tag(&tag))
        .expect("blocking build");
    images.add(&built.image_id);
    assert_eq!(
        docker_cli(&["inspect", "-f", "{{.Id}}", &tag]),
        built.image_id
    );
    assert_eq!(run_in(&tag, "cat /b"), "blocking");

    let bad = Dir::new("build-blocking-bad");
    bad.file(
        "Dockerfile",
        "FROM busybox:berth-test\nRUN echo about to fail && exit 7\n",
    );
    // forcerm: the failed step's container is removed too (it would be left behind).
    let mut o = options();
    o.forcerm = true;
    let e = docker.build(bad.path(), &o).expect_err("RUN exit 7");
    assert!(e.log.text().contains("about to fail"), "{}", e.log.text());
    let left = docker_cli(&["ps", "-a", "--no-trunc", "--format", "{{.Command}}"]);
    assert!(
        !left.contains("about to fail"),
        "the failed step's container was left behind"
    );
}
