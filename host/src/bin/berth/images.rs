//! `images`, `pull`, `push`, `tag`, `rmi`, `save`, `load`, `login`: images and
//! registries.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::Args;
use futures_util::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use tokio::sync::mpsc;

use berth::api::images::{
    DeleteEntry, ImageList, ImagePull, ImagePush, ImageRemove, ImageTag, LayerProgress,
    ProgressAggregator,
};
use berth::core::auth::AuthConfig;
use berth::transport::ByteStream;
use berth::{Docker, PullStream};

use crate::io::{ChannelReader, channel_stream, send_body, stdin_chunks};
use crate::system::human_bytes;
use crate::{Failure, filters_of, print_json, print_table};

#[derive(Args, Debug)]
pub struct ImagesArgs {
    /// Show intermediate images too.
    #[arg(short, long)]
    all: bool,
    /// Print only the ids.
    #[arg(short, long)]
    quiet: bool,
    /// Show digests.
    #[arg(long)]
    digests: bool,
    /// Do not truncate ids.
    #[arg(long)]
    no_trunc: bool,
    /// Filter, `key=value` (repeatable): dangling, label, before, since, reference.
    #[arg(short, long = "filter")]
    filter: Vec<String>,
    /// Only images of this repository (`repo` or `repo:tag`).
    #[arg(value_name = "REPOSITORY[:TAG]")]
    repository: Option<String>,
}

#[derive(Args, Debug)]
pub struct PullArgs {
    /// Print only the image's reference at the end.
    #[arg(short, long)]
    quiet: bool,
    /// Platform `os[/arch[/variant]]`.
    #[arg(long)]
    platform: Option<String>,
    /// Image `name[:tag|@digest]`.
    #[arg(value_name = "NAME[:TAG|@DIGEST]")]
    image: String,
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// Print only the pushed digest at the end.
    #[arg(short, long)]
    quiet: bool,
    /// Image `name[:tag]`.
    #[arg(value_name = "NAME[:TAG]")]
    image: String,
}

#[derive(Args, Debug)]
pub struct TagArgs {
    /// Image to tag (id or name).
    #[arg(value_name = "SOURCE_IMAGE[:TAG]")]
    source: String,
    /// New name.
    #[arg(value_name = "TARGET_IMAGE[:TAG]")]
    target: String,
}

#[derive(Args, Debug)]
pub struct RmiArgs {
    /// Remove even if containers use it or it has several names.
    #[arg(short, long)]
    force: bool,
    /// Keep untagged parents.
    #[arg(long)]
    no_prune: bool,
    /// Images (id or name).
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

#[derive(Args, Debug)]
pub struct SaveArgs {
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Images (names keep their tags in the archive; ids do not).
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Read from this file instead of stdin.
    #[arg(short, long)]
    input: Option<PathBuf>,
    /// Print nothing.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// User name.
    #[arg(short, long)]
    username: Option<String>,
    /// Password (prefer --password-stdin: a command line is visible to others).
    #[arg(short, long)]
    password: Option<String>,
    /// Read the password from stdin.
    #[arg(long)]
    password_stdin: bool,
    /// Registry (default: Docker Hub).
    #[arg(value_name = "SERVER")]
    server: Option<String>,
}

pub async fn images(docker: &Docker, json: bool, a: ImagesArgs) -> Result<(), Failure> {
    let options = ImageList {
        name: a.repository.clone(),
        all: a.all,
        digests: a.digests,
        filters: filters_of(&a.filter)?,
    };
    let list = docker.images().list(&options).await?;
    if a.quiet {
        for i in &list {
            println!("{}", short(&i.id, a.no_trunc));
        }
        return Ok(());
    }
    if json {
        print_json(&Value::Array(
            list.into_iter().map(|i| i.attrs.into_value()).collect(),
        ));
        return Ok(());
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut rows = Vec::new();
    for i in &list {
        let digests: HashMap<&str, &str> = i
            .repo_digests
            .iter()
            .filter_map(|d| d.split_once('@'))
            .collect();
        let mut names: Vec<(String, String)> = i
            .repo_tags
            .iter()
            .filter(|t| t.as_str() != "<none>:<none>")
            .map(|t| match t.rsplit_once(':') {
                Some((r, tag)) => (r.to_owned(), tag.to_owned()),
                None => (t.clone(), "<none>".to_owned()),
            })
            .collect();
        if names.is_empty() {
            names.push(("<none>".into(), "<none>".into()));
        }
        for (repo, tag) in names {
            let mut row = vec![repo.clone(), tag];
            if a.digests {
                row.push(digests.get(repo.as_str()).unwrap_or(&"<none>").to_string());
            }
            row.extend([
                short(&i.id, a.no_trunc),
                ago(now - i.created),
                human_bytes(i.size),
            ]);
            rows.push(row);
        }
    }
    let mut header = vec!["REPOSITORY", "TAG"];
    if a.digests {
        header.push("DIGEST");
    }
    header.extend(["IMAGE ID", "CREATED", "SIZE"]);
    print_table(&header, &rows);
    Ok(())
}

/// An image id as docker shows it: 12 hex digits without `sha256:`.
fn short(id: &str, no_trunc: bool) -> String {
    if no_trunc {
        return id.to_owned();
    }
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.get(..12).unwrap_or(hex).to_owned()
}

/// docker's "3 minutes ago".
fn ago(secs: i64) -> String {
    let (n, unit) = match secs.max(0) {
        s if s < 60 => (s, "second"),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 86_400 * 14 => (s / 86_400, "day"),
        s if s < 86_400 * 60 => (s / (86_400 * 7), "week"),
        s if s < 86_400 * 365 * 2 => (s / (86_400 * 30), "month"),
        s => (s / (86_400 * 365), "year"),
    };
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

/// Prints progress. On a terminal: one bar per layer (bytes done of the phase's total,
/// the status as message) under an `indicatif::MultiProgress`, finished bars kept, and
/// messages printed above the bars. Otherwise (pipes, tests): a plain line whenever a
/// layer changes status or a message arrives.
struct ProgressPrinter {
    agg: ProgressAggregator,
    printed: HashMap<String, String>,
    quiet: bool,
    bars: Option<LayerBars>,
}

/// The terminal display: a bar per layer id.
struct LayerBars {
    multi: MultiProgress,
    by_id: HashMap<String, ProgressBar>,
    /// `id: status [====>   ] 1.2 MiB/3.4 MiB`, when the phase has a byte count.
    bytes: ProgressStyle,
    /// `id: status`, when it has none.
    text: ProgressStyle,
}

impl LayerBars {
    fn new() -> LayerBars {
        let style = |template: &str| {
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ")
        };
        LayerBars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            by_id: HashMap::new(),
            bytes: style("{prefix}: {msg:<18} [{wide_bar}] {bytes}/{total_bytes}"),
            text: style("{prefix}: {msg}"),
        }
    }

    fn layer(&mut self, l: &LayerProgress) {
        let bar = match self.by_id.get(&l.id) {
            Some(b) => b.clone(),
            None => {
                let b = self.multi.add(
                    ProgressBar::new(0)
                        .with_style(self.text.clone())
                        .with_prefix(l.id.clone())
                        .with_message(l.status.clone()),
                );
                self.by_id.insert(l.id.clone(), b.clone());
                b
            }
        };
        if bar.is_finished() {
            return;
        }
        match (l.current, l.total) {
            (Some(cur), Some(total)) if total > 0 => {
                if bar.length() != Some(total) {
                    bar.set_style(self.bytes.clone());
                    bar.set_length(total);
                }
                bar.set_position(cur.min(total));
            }
            _ if !l.complete => {
                // A phase without byte counts (Waiting, Verifying Checksum, Preparing…).
                bar.set_style(self.text.clone());
                bar.set_length(0);
                bar.set_position(0);
            }
            _ => {}
        }
        if l.complete {
            if let Some(len) = bar.length() {
                bar.set_position(len);
            }
            bar.finish_with_message(l.status.clone());
        } else {
            bar.set_message(l.status.clone());
        }
    }

    fn message(&self, text: &str) {
        let _ = self.multi.println(text);
    }

    /// Leaves every bar where it stands (the stream ended or failed).
    fn finish(&mut self) {
        for bar in self.by_id.values() {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}

impl ProgressPrinter {
    fn new(quiet: bool) -> ProgressPrinter {
        let tty = std::io::stdout().is_terminal();
        ProgressPrinter {
            agg: ProgressAggregator::new(),
            printed: HashMap::new(),
            quiet,
            bars: (tty && !quiet).then(LayerBars::new),
        }
    }

    fn item(&mut self, item: &Value) {
        let layer = self.agg.update(item).cloned();
        if self.quiet {
            return;
        }
        match (layer, &mut self.bars) {
            (Some(l), Some(bars)) => bars.layer(&l),
            (Some(l), None) => {
                if self.printed.get(&l.id) != Some(&l.status) {
                    self.printed.insert(l.id.clone(), l.status.clone());
                    println!("{}: {}", l.id, l.status);
                }
            }
            (None, bars) => {
                if let Some(s) = item.get("status").and_then(Value::as_str) {
                    match bars {
                        Some(b) => b.message(s),
                        None => println!("{s}"),
                    }
                }
            }
        }
    }

    async fn drain(&mut self, mut stream: PullStream) -> Result<(), Failure> {
        let mut result = Ok(());
        while let Some(item) = stream.next().await {
            match item {
                Ok(item) => self.item(&item.attrs),
                Err(e) => {
                    result = Err(e.into());
                    break;
                }
            }
        }
        if let Some(bars) = &mut self.bars {
            bars.finish();
        }
        result
    }
}

pub async fn pull(docker: &Docker, a: PullArgs) -> Result<(), Failure> {
    let options = ImagePull {
        platform: a.platform.clone(),
        ..ImagePull::new(a.image.clone())
    };
    let stream = docker.images().pull(&options).await?;
    let mut p = ProgressPrinter::new(a.quiet);
    p.drain(stream).await?;
    println!("{}", options.reference());
    Ok(())
}

pub async fn push(docker: &Docker, a: PushArgs) -> Result<(), Failure> {
    let stream = docker
        .images()
        .push(&ImagePush::new(a.image.clone()))
        .await?;
    let mut p = ProgressPrinter::new(a.quiet);
    p.drain(stream).await?;
    if a.quiet
        && let Some(d) = p.agg.digest()
    {
        println!("{d}");
    }
    Ok(())
}

pub async fn tag(docker: &Docker, a: TagArgs) -> Result<(), Failure> {
    docker.execute(&ImageTag::new(a.source, &a.target)).await?;
    Ok(())
}

pub async fn rmi(docker: &Docker, a: RmiArgs) -> Result<(), Failure> {
    let mut failures = Vec::new();
    for name in &a.images {
        let r = docker
            .images()
            .remove(&ImageRemove {
                name: name.clone(),
                force: a.force,
                noprune: a.no_prune,
            })
            .await;
        match r {
            Ok(entries) => {
                for e in entries {
                    match e {
                        DeleteEntry::Untagged(n) => println!("Untagged: {n}"),
                        DeleteEntry::Deleted(n) => println!("Deleted: {n}"),
                    }
                }
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure(failures))
    }
}

pub async fn save(docker: &Docker, a: SaveArgs) -> Result<(), Failure> {
    if a.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Failure::msg(
            "refusing to write a tar archive to a terminal: use -o FILE or redirect stdout",
        ));
    }
    let names: Vec<&str> = a.images.iter().map(String::as_str).collect();
    let body = docker.images().save(&names).await?;
    // The file is created only once the daemon answered, so a bad name leaves none.
    let (mut sink, what): (Box<dyn Write + Send>, String) = match &a.output {
        Some(path) => (
            Box::new(
                std::fs::File::create(path)
                    .map_err(|e| Failure::io(format!("creating {}", path.display()), &e))?,
            ),
            format!("saving to {}", path.display()),
        ),
        None => (Box::new(std::io::stdout()), "saving to stdout".to_owned()),
    };
    let (tx, rx) = mpsc::channel(8);
    let writer = tokio::task::spawn_blocking(move || {
        let mut reader = ChannelReader::new(rx);
        std::io::copy(&mut reader, &mut sink)?;
        sink.flush()
    });
    send_body(body, tx).await;
    writer
        .await
        .map_err(|e| Failure::msg(format!("{what}: {e}")))?
        .map_err(|e| Failure::io(&what, &e))
}

/// A file's bytes in 64 KiB chunks, read on a thread.
fn file_chunks(path: &Path) -> Result<mpsc::Receiver<std::io::Result<Bytes>>, Failure> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| Failure::io(format!("opening {}", path.display()), &e))?;
    let (tx, rx) = mpsc::channel(4);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let item = match file.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => Ok(Bytes::copy_from_slice(&buf[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let stop = item.is_err();
            if tx.blocking_send(item).is_err() || stop {
                return;
            }
        }
    });
    Ok(rx)
}

pub async fn load(docker: &Docker, a: LoadArgs) -> Result<(), Failure> {
    let body: ByteStream = match &a.input {
        Some(path) => channel_stream(file_chunks(path)?),
        None => {
            if std::io::stdin().is_terminal() {
                return Err(Failure::msg(
                    "refusing to read a tar archive from a terminal: use -i FILE or redirect stdin",
                ));
            }
            channel_stream(stdin_chunks())
        }
    };
    let loaded = docker.images().load(body).await?;
    if !a.quiet {
        for name in loaded {
            if name.starts_with("sha256:") {
                println!("Loaded image ID: {name}");
            } else {
                println!("Loaded image: {name}");
            }
        }
    }
    Ok(())
}

pub async fn login(docker: &Docker, a: LoginArgs) -> Result<(), Failure> {
    let password = match (a.password, a.password_stdin) {
        (Some(_), true) => {
            return Err(Failure::msg(
                "--password and --password-stdin exclude each other",
            ));
        }
        (Some(p), false) => p,
        (None, true) => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Failure::io("reading the password from stdin", &e))?;
            s.trim_end_matches(['\n', '\r']).to_owned()
        }
        (None, false) => {
            return Err(Failure::msg(
                "give the password with --password-stdin (or -p)",
            ));
        }
    };
    let username = a
        .username
        .ok_or_else(|| Failure::msg("give the user name with -u"))?;
    let auth = AuthConfig {
        username: Some(username),
        password: Some(password),
        serveraddress: a.server,
        ..AuthConfig::default()
    };
    let answer = docker.login(auth, true).await?;
    // berth does not write config.json: the login checks the credentials, and a
    // later command reads them from config.json or a credential helper.
    println!("{}", answer.status);
    Ok(())
}
