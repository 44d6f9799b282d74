//! `build`: build an image from a directory (honouring `.dockerignore`), a context
//! tar on stdin (`-`) or a remote URL, printing the daemon's output as it comes.

use std::io::{Read, Write};
use std::path::PathBuf;

use bytes::Bytes;
use clap::Args;
use tokio::sync::mpsc;

use berth::api::build::is_remote_context;
use berth::transport::ByteStream;
use berth::{BuildContext, BuildOptions, Docker};

use crate::{Failure, print_json};

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Name and optionally a tag (`name:tag`); repeatable.
    #[arg(short = 't', long = "tag")]
    tags: Vec<String>,
    /// Path of the Dockerfile (default: PATH/Dockerfile); relative to the current
    /// directory, and may lie outside the context.
    #[arg(short = 'f', long = "file")]
    file: Option<PathBuf>,
    /// A build-time variable `KEY=VALUE` (`KEY` alone takes it from the environment);
    /// repeatable.
    #[arg(long = "build-arg")]
    build_args: Vec<String>,
    /// A label `KEY=VALUE` for the image; repeatable.
    #[arg(long = "label")]
    labels: Vec<String>,
    /// The stage to build.
    #[arg(long)]
    target: Option<String>,
    /// Do not use the build cache.
    #[arg(long)]
    no_cache: bool,
    /// Always attempt to pull newer base images.
    #[arg(long)]
    pull: bool,
    /// Only print the image id.
    #[arg(short, long)]
    quiet: bool,
    /// Remove intermediate containers even after a failed build.
    #[arg(long)]
    force_rm: bool,
    /// Compress the context with gzip.
    #[arg(long)]
    compress: bool,
    /// Context: a directory, `-` for a tar on stdin, or a git/HTTP URL.
    path: String,
}

/// Splits `KEY=VALUE`; `KEY` alone takes its value from the environment, when set.
fn pair(s: &str, what: &str, from_env: bool) -> Result<Option<(String, String)>, Failure> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok(Some((k.to_owned(), v.to_owned()))),
        None if from_env && !s.is_empty() => Ok(std::env::var(s).ok().map(|v| (s.to_owned(), v))),
        _ => Err(Failure::msg(format!(
            "{what} {s:?} is not of the form KEY=VALUE"
        ))),
    }
}

fn options_of(a: &BuildArgs) -> Result<BuildOptions, Failure> {
    let mut o = BuildOptions::new();
    o.tags.clone_from(&a.tags);
    for s in &a.build_args {
        if let Some((k, v)) = pair(s, "--build-arg", true)? {
            o.buildargs.insert(k, v);
        }
    }
    for s in &a.labels {
        if let Some((k, v)) = pair(s, "--label", false)? {
            o.labels.insert(k, v);
        }
    }
    o.target.clone_from(&a.target);
    o.nocache = a.no_cache;
    o.pull = a.pull;
    o.quiet = a.quiet;
    o.forcerm = a.force_rm;
    if let Some(f) = &a.file {
        // Like docker: -f is relative to the current directory, not to the context.
        let abs = std::path::absolute(f)
            .map_err(|e| Failure::io(format!("cannot resolve {}", f.display()), &e))?;
        let s = abs
            .to_str()
            .ok_or_else(|| Failure::msg(format!("{} is not a UTF-8 path", abs.display())))?;
        o.dockerfile = Some(s.to_owned());
    }
    Ok(o)
}

/// stdin as an upload body, read on a thread.
fn stdin_stream() -> ByteStream {
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(8);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let item = match stdin.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => Ok(Bytes::copy_from_slice(&buf[..n])),
                Err(e) => Err(e),
            };
            let stop = item.is_err();
            if tx.blocking_send(item).is_err() || stop {
                return;
            }
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

pub async fn build(docker: &Docker, json: bool, a: BuildArgs) -> Result<(), Failure> {
    let mut options = options_of(&a)?;
    let context = if a.path == "-" {
        if a.compress {
            return Err(Failure::msg(
                "--compress applies to a directory context, not to a tar on stdin",
            ));
        }
        BuildContext::Tar(stdin_stream())
    } else if is_remote_context(&a.path) {
        BuildContext::Remote(a.path.clone())
    } else {
        options.gzip = a.compress;
        BuildContext::Dir(PathBuf::from(&a.path))
    };
    let mut stream = docker.build_context(context, &options).await?;
    let mut out = std::io::stdout().lock();
    while let Some(item) = stream.next_item().await {
        let item = item.map_err(|e| Failure::msg(format!("build failed: {e}")))?;
        if json {
            print_json(&item.attrs);
        } else if a.quiet {
            // The id is printed once the build has finished.
        } else if let Some(s) = &item.stream {
            let _ = out.write_all(s.as_bytes());
        } else if let Some(s) = &item.status {
            let progress = item.attrs.get("progress").and_then(|p| p.as_str());
            let _ = match (&item.id, progress) {
                (Some(id), Some(p)) => writeln!(out, "{id}: {s} {p}"),
                (Some(id), None) => writeln!(out, "{id}: {s}"),
                _ => writeln!(out, "{s}"),
            };
        }
        let _ = out.flush();
    }
    let Some(id) = stream.log().image_id() else {
        return Err(Failure::msg(
            "build finished without an image id (the daemon sent no aux.ID or 'Successfully built' line)",
        ));
    };
    if a.quiet && !json {
        let _ = writeln!(out, "{id}");
    }
    Ok(())
}
