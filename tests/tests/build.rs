//! Build against the real daemon (classic builder): directory contexts with
//! `.dockerignore`, Dockerfiles outside the context or given as text, custom tar
//! contexts (plain and gzip, checked on the wire), remote contexts, build args,
//! target stages, failures with their log, local tag validation, cache control
//! (nocache, cache_from, pull), a private base pulled with the client's credentials
//! (X-Registry-Config, the htpasswd registry on 127.0.0.1:5001), the base a platform
//! picks from a manifest list, rm/forcerm, what a RUN step is given (network mode,
//! extra hosts, shm size, container limits), squash, quiet mode and a large context
//! in constant memory.
//!
//! Every image is labelled `berth.test=1` and removed by an [`Images`] guard
//! (`docker rmi -f`) when the test ends, pass or fail; context directories likewise.
//! Builds that leave intermediate containers carry a `berth.test.case` label and a
//! [`Case`] guard removes them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use berth::transport::{bytes_stream, reader_stream};
use berth::{BuildContext, BuildOptions, Category};
use berth_tests::fake::{RecordingProxy, split_capture};
use berth_tests::http::{HttpServer, Route};
use berth_tests::registry::{REGISTRY, put_manifest_list};
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

    // An absolute path inside the context becomes context-relative. A root
    // Dockerfile is there too: the label tells which one the daemon read.
    ctx.file(
        "Dockerfile",
        "FROM busybox:berth-test\nLABEL berth.dockerfile=root\nRUN echo root > /which\n",
    )
    .file(
        "sub/Dockerfile.inner",
        "FROM busybox:berth-test\nLABEL berth.dockerfile=inner\nRUN echo inner > /which\n",
    );
    let read_from = |image: &str| {
        docker_cli(&[
            "inspect",
            "-f",
            "{{index .Config.Labels \"berth.dockerfile\"}}",
            image,
        ])
    };
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
    assert_eq!(read_from(&built.image_id), "inner");
    // ./ prefixes and .. segments work too.
    let built = docker
        .build_to_end(
            ctx.path(),
            &options().dockerfile("./sub/../sub/Dockerfile.inner"),
        )
        .await
        .expect("build ./");
    images.add(&built.image_id);
    assert_eq!(read_from(&built.image_id), "inner");
    assert_eq!(run_in(&built.image_id, "cat /which"), "inner");
    // No dockerfile option: the root one.
    let built = docker
        .build_to_end(ctx.path(), &options())
        .await
        .expect("build root");
    images.add(&built.image_id);
    assert_eq!(read_from(&built.image_id), "root");
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

/// Runs one build through a [`RecordingProxy`] to the real daemon: the result and the
/// `POST /build` request as it went on the wire (head, de-chunked body).
async fn build_on_the_wire(
    context: BuildContext,
    o: &BuildOptions,
) -> (berth::BuildResult, String, Vec<u8>) {
    let proxy = RecordingProxy::start(PathBuf::from("/var/run/docker.sock")).await;
    let client = berth::Docker::connect(&proxy.url()).expect("client");
    let built = client
        .build_context(context, o)
        .await
        .expect("start")
        .wait()
        .await
        .expect("build");
    let sent = proxy.sent();
    let (head, body) = sent
        .iter()
        .find_map(|conn| {
            let at = (0..conn.len()).find(|&i| {
                conn[i..].starts_with(b"POST /")
                    && conn[i..]
                        .split(|b| *b == b'\n')
                        .next()
                        .is_some_and(|line| line.windows(7).any(|w| w == b"/build?"))
            })?;
            Some(split_capture(&conn[at..]))
        })
        .expect("a POST /build went through the proxy");
    (built, head, body)
}

/// The value of header `name` in a request head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

#[tokio::test]
async fn custom_context_tar_plain_and_gzip() {
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
    // Every build goes through a recording proxy: what the daemon received is seen.
    let file = std::io::Cursor::new(fs::read(&plain).expect("read tar"));
    let (built, head, body) =
        build_on_the_wire(BuildContext::Tar(reader_stream(file)), &options()).await;
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /hello"), "custom");
    assert_eq!(header(&head, "content-encoding"), None, "{head}");
    assert_eq!(header(&head, "content-type"), Some("application/x-tar"));
    assert_eq!(body, fs::read(&plain).expect("read tar"), "the tar as is");

    // A ready gzip stream with encoding = "gzip": sent as is, labelled like docker-py
    // does (`Content-Encoding: <encoding>`). dockerd 20.10 reads no Content-Encoding
    // on /build: it sniffs the compression (archive.DecompressStream in
    // builder/remotecontext/archive.go), so the wire bytes are what is checked.
    let bytes = fs::read(&gz).expect("read tgz");
    let mut o = options();
    o.encoding = Some("gzip".into());
    let (built, head, body) =
        build_on_the_wire(BuildContext::Tar(bytes_stream(bytes.clone())), &o).await;
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /hello"), "custom");
    assert_eq!(header(&head, "content-encoding"), Some("gzip"), "{head}");
    assert_eq!(body, bytes);

    // gzip = true: berth compresses the directory context itself; docker-py sends
    // `Content-Encoding: gzip` then too. The daemon unpacked it: the COPY found hello.
    let mut o = options();
    o.gzip = true;
    let (built, head, body) =
        build_on_the_wire(BuildContext::Dir(ctx.path().to_path_buf()), &o).await;
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /hello"), "custom");
    assert_eq!(header(&head, "content-encoding"), Some("gzip"), "{head}");
    assert!(
        body.starts_with(&GZIP_MAGIC),
        "{:02x?}",
        &body[..body.len().min(8)]
    );
    // And without gzip the same directory goes as a plain tar.
    let (built, head, body) =
        build_on_the_wire(BuildContext::Dir(ctx.path().to_path_buf()), &options()).await;
    images.add(&built.image_id);
    assert_eq!(header(&head, "content-encoding"), None, "{head}");
    assert!(!body.starts_with(&GZIP_MAGIC));
    assert_eq!(&body[257..262], b"ustar", "a tar header");
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

/// Builds `dockerfile` (text) with `options`.
async fn build_text(
    docker: &berth::Docker,
    dockerfile: &str,
    options: &BuildOptions,
) -> Result<berth::BuildResult, berth::BuildError> {
    let stream = docker
        .build_context(BuildContext::Dockerfile(dockerfile.to_owned()), options)
        .await
        .map_err(|error| berth::BuildError {
            error,
            log: berth::BuildLog::new(),
        })?;
    stream.wait().await
}

/// The `key=value` lines a build printed.
fn printed_values(log: &str) -> std::collections::BTreeMap<String, String> {
    log.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase()))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

#[tokio::test]
async fn run_steps_see_network_mode_extra_hosts_shm_size_and_limits() {
    let docker = docker().await;
    let mut images = Images::default();
    // The RUN container prints what it was given (cgroup v1 files: dockerd 20.10 here
    // runs with cgroup v1). nocache: the cache ignores these options, a cached step
    // would print nothing.
    let dockerfile = format!(
        "FROM busybox:berth-test\n\
         RUN echo {case}; \
         echo \"nets=$(ls /sys/class/net | tr '\\n' ' ')\"; \
         echo \"hosts=$(grep berth-extra /etc/hosts | tr '\\t' ' ')\"; \
         echo \"shm=$(grep ' /dev/shm ' /proc/mounts | sed 's/.*size=\\([0-9]*k\\).*/\\1/')\"; \
         echo \"memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)\"; \
         echo \"memswap=$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes)\"; \
         echo \"cpushares=$(cat /sys/fs/cgroup/cpu/cpu.shares)\"; \
         echo \"cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)\"\n",
        case = unique("run-env")
    );
    let mut o = options().nocache(true);
    o.network_mode = Some("none".into());
    o.extra_hosts = vec![("berth-extra".into(), "10.11.12.13".into())];
    o.shm_size = Some(128 << 20);
    o.container_limits = berth::ContainerLimits::from_pairs([
        ("memory", "64m"),
        ("memswap", "128m"),
        ("cpushares", "512"),
        // The test engine has 2 CPUs: by default the set is 0-1.
        ("cpusetcpus", "1"),
    ])
    .expect("limits");
    let set = build_text(&docker, &dockerfile, &o)
        .await
        .expect("build with options");
    images.add(&set.image_id);
    let got = printed_values(&set.log.text());
    let value = |k: &str| got.get(k).map(String::as_str).unwrap_or("<missing>");
    assert_eq!(value("nets"), "lo", "network_mode none: loopback only");
    assert_eq!(value("hosts"), "10.11.12.13 berth-extra");
    assert_eq!(value("shm"), "131072k");
    assert_eq!(value("memory"), (64u64 << 20).to_string());
    assert_eq!(value("memswap"), (128u64 << 20).to_string());
    assert_eq!(value("cpushares"), "512");
    assert_eq!(value("cpus"), "1");

    // The same step without the options: the daemon's defaults, none of the above.
    let plain = build_text(&docker, &dockerfile, &options().nocache(true))
        .await
        .expect("build without options");
    images.add(&plain.image_id);
    let got = printed_values(&plain.log.text());
    let value = |k: &str| got.get(k).map(String::as_str).unwrap_or("<missing>");
    assert!(value("nets").contains("eth0"), "{got:?}");
    assert_eq!(value("hosts"), "", "{got:?}");
    assert_eq!(value("shm"), "65536k", "{got:?}");
    assert_ne!(value("memory"), (64u64 << 20).to_string());
    assert_ne!(value("memswap"), (128u64 << 20).to_string());
    assert_eq!(value("cpushares"), "1024");
    assert_ne!(value("cpus"), "1");
}

#[tokio::test]
async fn squash_needs_an_experimental_daemon() {
    let docker = docker().await;
    let mut images = Images::default();
    let dockerfile = format!(
        "FROM busybox:berth-test\nRUN echo {} > /a\nRUN echo b > /b\n",
        unique("squash")
    );
    let mut o = options();
    o.squash = true;
    let experimental = docker.ping().await.expect("ping").experimental;
    match build_text(&docker, &dockerfile, &o).await {
        Ok(built) => {
            images.add(&built.image_id);
            assert!(
                experimental,
                "squash succeeded on a non-experimental daemon"
            );
            // Two RUN layers squashed into one on top of the base image's.
            let layers = |image: &str| {
                docker_cli(&["inspect", "-f", "{{len .RootFS.Layers}}", image])
                    .parse::<usize>()
                    .expect("a count")
            };
            assert_eq!(layers(&built.image_id), layers("busybox:berth-test") + 1);
        }
        Err(e) => {
            assert!(
                !experimental,
                "squash failed on an experimental daemon: {e}"
            );
            // dockerd 20.10 without --experimental: 400 before the build starts.
            assert!(!e.is_build_failure(), "{e:?}");
            assert_eq!(e.error.status(), Some(400), "{e}");
            assert_eq!(e.error.category(), Category::BadRequest, "{e}");
            assert_eq!(
                e.error.daemon_message(),
                Some("squash is only supported with experimental mode")
            );
        }
    }
}

/// Containers carrying `berth.test.case=<case>` (the build's intermediate
/// containers inherit the label from a `LABEL` step), and the images too: removed on
/// drop, containers first.
struct Case(String);

impl Case {
    fn new(prefix: &str) -> Case {
        Case(unique(prefix))
    }

    fn label(&self) -> String {
        format!("berth.test.case={}", self.0)
    }

    fn containers(&self) -> Vec<String> {
        let out = docker_cli(&["ps", "-aq", "--filter", &format!("label={}", self.label())]);
        out.lines().map(str::to_owned).collect()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let filter = format!("label={}", self.label());
        for (list, remove) in [(["ps", "-aq"], "rm"), (["images", "-aq"], "rmi")] {
            let Ok(out) = Command::new("docker")
                .args(list)
                .args(["--filter", &filter])
                .output()
            else {
                continue;
            };
            for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("docker").args([remove, "-f", id]).output();
            }
        }
    }
}

#[tokio::test]
async fn rm_and_forcerm_decide_which_intermediate_containers_stay() {
    let docker = docker().await;
    // No labels= option here: it would add a last LABEL step whose container has
    // no case label. The case label comes from the Dockerfile's own LABEL step.
    let dockerfile = |case: &Case, exit: u8| {
        format!(
            "FROM busybox:berth-test\nLABEL {TEST_LABEL}=1 {}\nRUN echo {} && exit {exit}\n",
            case.label(),
            case.0
        )
    };
    let run = |rm: bool, forcerm: bool| {
        let mut o = BuildOptions::new();
        o.rm = rm;
        o.forcerm = forcerm;
        o
    };

    // rm=false: a successful build leaves the containers of its LABEL and RUN steps.
    let kept = Case::new("build-rm-false");
    build_text(&docker, &dockerfile(&kept, 0), &run(false, false))
        .await
        .expect("build rm=false");
    assert_eq!(kept.containers().len(), 2, "LABEL and RUN step containers");
    // rm=true (berth's default): none.
    let removed = Case::new("build-rm-true");
    build_text(&docker, &dockerfile(&removed, 0), &run(true, false))
        .await
        .expect("build rm=true");
    assert_eq!(removed.containers(), Vec::<String>::new());

    // A failed step: rm alone keeps its container (the LABEL step's is gone) ...
    let failed = Case::new("build-rm-failed");
    let e = build_text(&docker, &dockerfile(&failed, 3), &run(true, false))
        .await
        .expect_err("RUN exits 3");
    assert!(e.is_build_failure(), "{e:?}");
    assert_eq!(failed.containers().len(), 1, "the failed RUN's container");
    // ... forcerm removes it too.
    let forced = Case::new("build-forcerm");
    let e = build_text(&docker, &dockerfile(&forced, 3), &run(true, true))
        .await
        .expect_err("RUN exits 3");
    assert!(e.is_build_failure(), "{e:?}");
    assert_eq!(forced.containers(), Vec::<String>::new());
}

#[tokio::test]
async fn cache_from_limits_the_cache_to_the_named_images() {
    let docker = docker().await;
    let mut images = Images::default();
    let dockerfile = format!(
        "FROM busybox:berth-test\nRUN echo {} > /u\n",
        unique("cache-from")
    );
    let tag = format!("{}:src", unique("cache-from"));
    images.add(&tag);
    let source = build_text(&docker, &dockerfile, &options().tag(&tag))
        .await
        .expect("source build");
    images.add(&source.image_id);

    let mut from_source = options();
    from_source.cache_from = vec![tag.clone()];
    let cached = build_text(&docker, &dockerfile, &from_source)
        .await
        .expect("cache_from the source");
    images.add(&cached.image_id);
    assert!(
        cached.log.text().contains("Using cache"),
        "{}",
        cached.log.text()
    );
    assert_eq!(cached.image_id, source.image_id);

    // cache_from naming an unrelated image: the local cache that matched above is not
    // used (without cachefrom the daemon would use it, see cache_nocache_pull_false_and_quiet).
    let mut from_other = options();
    from_other.cache_from = vec!["busybox:berth-test".into()];
    let fresh = build_text(&docker, &dockerfile, &from_other)
        .await
        .expect("cache_from another image");
    images.add(&fresh.image_id);
    assert!(
        !fresh.log.text().contains("Using cache"),
        "{}",
        fresh.log.text()
    );
    assert_ne!(fresh.image_id, source.image_id);
}

#[tokio::test]
async fn pull_true_fetches_the_base_image_again() {
    let docker = docker().await;
    let mut images = Images::default();
    let case = unique("build-pull");
    let base = format!("{REGISTRY}/{case}:base");
    images.add(&base);
    // The registry's base: busybox plus /marker.
    let pushed = build_text(
        &docker,
        &format!("FROM busybox:berth-test\nRUN echo {case} > /marker\n"),
        &options().tag(&base),
    )
    .await
    .expect("base build");
    images.add(&pushed.image_id);
    docker
        .images()
        .push_to_end(&berth::api::images::ImagePush::new(base.clone()), |_| {})
        .await
        .expect("push the base");
    // Locally the name points at plain busybox, and the pushed image is gone.
    docker_cli(&["tag", "busybox:berth-test", &base]);
    docker_cli(&["rmi", &pushed.image_id]);

    let dockerfile = format!("FROM {base}\nRUN cat /marker 2>/dev/null || echo no-marker\n");
    let local = build_text(&docker, &dockerfile, &options())
        .await
        .expect("build from the local base");
    images.add(&local.image_id);
    let text = local.log.text();
    let printed = |text: &str, line: &str| text.lines().any(|l| l == line);
    assert!(printed(&text, "no-marker"), "{text}");
    assert!(!text.contains("Pulling from"), "{text}");

    let pulled = build_text(&docker, &dockerfile, &options().pull(true))
        .await
        .expect("build with pull");
    images.add(&pulled.image_id);
    let text = pulled.log.text();
    assert!(text.contains(&format!("Pulling from {case}")), "{text}");
    assert!(
        printed(&text, &case),
        "the RUN saw the pulled /marker: {text}"
    );
    assert!(!printed(&text, "no-marker"), "{text}");
    assert_eq!(
        docker_cli(&["inspect", "-f", "{{.Id}}", &base]),
        pushed.image_id,
        "the local name points at the pulled image again"
    );
}

#[tokio::test]
async fn remote_context_is_fetched_by_the_daemon() {
    let docker = docker().await;
    let mut images = Images::default();
    let case = unique("remote");
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in [
        (
            "Dockerfile",
            "FROM busybox:berth-test\nCOPY hello /hello\n".to_owned(),
        ),
        ("hello", case.clone()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        tar.append_data(&mut h, path, data.as_bytes())
            .expect("append");
    }
    let server = HttpServer::start(vec![
        Route::new(
            "/ctx.tar",
            "application/x-tar",
            tar.into_inner().expect("tar"),
        ),
        // text/plain is read as a lone Dockerfile (builder/remotecontext/detect.go).
        Route::new(
            "/Dockerfile",
            "text/plain",
            format!("FROM busybox:berth-test\nRUN echo {case} > /r\n"),
        ),
    ])
    .await;

    let built = docker
        .build_context(BuildContext::Remote(server.url("/ctx.tar")), &options())
        .await
        .expect("start")
        .wait()
        .await
        .expect("remote tar build");
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /hello"), case);

    let built = docker
        .build_context(BuildContext::Remote(server.url("/Dockerfile")), &options())
        .await
        .expect("start")
        .wait()
        .await
        .expect("remote Dockerfile build");
    images.add(&built.image_id);
    assert_eq!(run_in(&built.image_id, "cat /r"), case);
    assert_eq!(
        server.requests(),
        ["GET /ctx.tar HTTP/1.1", "GET /Dockerfile HTTP/1.1"]
    );

    // A URL the daemon cannot fetch: its error, typed.
    let e = docker
        .build_context(BuildContext::Remote(server.url("/missing.tar")), &options())
        .await
        .expect_err("404 context");
    assert!(e.daemon_message().is_some_and(|m| m.contains("404")), "{e}");
}

#[tokio::test]
async fn platform_picks_the_base_from_a_manifest_list() {
    let docker = docker().await;
    let mut images = Images::default();
    let repo = unique("build-platform");
    let base = format!("{REGISTRY}/{repo}");
    // Two bases that print which one they are, pushed as `<arch>`, and a manifest
    // list naming them linux/amd64 and linux/arm64.
    for arch in ["amd64", "arm64"] {
        let tag = format!("{base}:{arch}");
        images.add(&tag);
        let built = build_text(
            &docker,
            &format!("FROM busybox:berth-test\nRUN echo {arch} > /arch\n"),
            &options().tag(&tag),
        )
        .await
        .expect("base build");
        images.add(&built.image_id);
        docker
            .images()
            .push_to_end(&berth::api::images::ImagePush::new(tag.clone()), |_| {})
            .await
            .expect("push the base");
        docker_cli(&["rmi", &tag]);
    }
    put_manifest_list(&repo, "multi", &["amd64", "arm64"]);
    let multi = format!("{base}:multi");
    images.add(&multi);

    // The base is not local: the build pulls the entry of its platform (the
    // engine's own, linux/amd64, when none is given).
    let dockerfile = format!("FROM {multi}\nRUN cat /arch\n");
    for (platform, want) in [(Some("linux/arm64"), "arm64"), (None, "amd64")] {
        let mut o = options();
        o.platform = platform.map(str::to_owned);
        let built = build_text(&docker, &dockerfile, &o)
            .await
            .unwrap_or_else(|e| panic!("build for {platform:?}: {e}"));
        images.add(&built.image_id);
        let text = built.log.text();
        assert!(
            text.contains(&format!("Pulling from {repo}")),
            "{platform:?}: {text}"
        );
        assert!(
            text.lines().any(|l| l == want),
            "{platform:?} ran on the {want} base: {text}"
        );
        docker_cli(&["rmi", &multi]);
    }
}

#[tokio::test]
async fn a_private_base_is_pulled_with_the_clients_credentials() {
    const AUTH_REGISTRY: &str = "127.0.0.1:5001";
    let mut images = Images::default();
    // Two clients that differ only in what they know: X-Registry-Config carries every
    // credential a client has (edge case 50), and the daemon pulls the base with it.
    let anonymous = docker().await;
    anonymous.set_auth_store(berth::AuthStore::empty());
    let authed = docker().await;
    let mut store = berth::AuthStore::empty();
    store.remember(berth::core::auth::AuthConfig::password(
        "berth",
        "berth-secret",
        AUTH_REGISTRY,
    ));
    authed.set_auth_store(store);

    let repo = unique("build-private");
    let base = format!("{AUTH_REGISTRY}/{repo}:base");
    images.add(&base);
    docker_cli(&["tag", "busybox:berth-test", &base]);
    authed
        .images()
        .push_to_end(&berth::api::images::ImagePush::new(base.clone()), |_| {})
        .await
        .expect("push with credentials");
    docker_cli(&["rmi", &base]);

    let dockerfile = format!("FROM {base}\nRUN echo built-on-the-private-base\n");
    let e = build_text(&anonymous, &dockerfile, &options())
        .await
        .expect_err("no credentials for the base");
    // dockerd 20.10: the failed pull of the base is an error inside the 200 stream.
    assert!(e.is_build_failure(), "{e:?}");
    assert!(
        e.to_string().contains("no basic auth credentials"),
        "{e} / {}",
        e.log.text()
    );
    let built = build_text(&authed, &dockerfile, &options())
        .await
        .expect("build with credentials");
    images.add(&built.image_id);
    let text = built.log.text();
    assert!(text.contains(&format!("Pulling from {repo}")), "{text}");
    assert!(
        text.lines().any(|l| l == "built-on-the-private-base"),
        "{text}"
    );
}
