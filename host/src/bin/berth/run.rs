//! `run`: create a container from docker-run style flags and start it, detached or
//! attached like `docker run`.

use clap::Args;

use berth::api::container_io::ContainerAttach;
use berth::api::images::ImagePull;
use berth::core::options::ContainerOptions;
use berth::{Category, Container, Docker, RemoveOptions, RunOptions, RunOutcome};

use crate::io::{feed_stdin, print_frames};
use crate::{Failure, Outcome, exit_status};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Start in the background and print the container's id.
    #[arg(short, long)]
    detach: bool,
    /// Remove the container when it exits.
    #[arg(long)]
    rm: bool,
    /// Allocate a TTY (output is then one raw stream).
    #[arg(short, long)]
    tty: bool,
    /// Keep stdin open and, unless detached, copy this process's stdin to it.
    #[arg(short, long)]
    interactive: bool,
    /// Publish a port, `[ip:][host:]container[/proto]` (repeatable).
    #[arg(short, long = "publish", value_name = "SPEC")]
    publish: Vec<String>,
    /// Environment variable `KEY=value`, or `KEY` to pass this process's value
    /// (repeatable).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Bind mount `host:container[:options]` or named volume (repeatable).
    #[arg(short, long = "volume", value_name = "BIND")]
    volume: Vec<String>,
    /// Container name.
    #[arg(long)]
    name: Option<String>,
    /// Label `key=value` (repeatable).
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    label: Vec<String>,
    /// Network mode: bridge, host, none, container:NAME, or a network's name.
    #[arg(long)]
    network: Option<String>,
    /// Memory limit, e.g. `512m`.
    #[arg(short, long)]
    memory: Option<String>,
    /// Working directory inside the container.
    #[arg(short, long)]
    workdir: Option<String>,
    /// User (`name`, `uid`, `uid:gid`).
    #[arg(short, long)]
    user: Option<String>,
    /// Override the image's entrypoint.
    #[arg(long)]
    entrypoint: Option<String>,
    /// Image to run.
    image: String,
    /// Command and arguments (default: the image's).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    cmd: Vec<String>,
}

fn options_of(a: &RunArgs) -> Result<ContainerOptions, Failure> {
    let mut o = ContainerOptions::new(&a.image)
        .tty(a.tty)
        .stdin_open(a.interactive)
        .detach(a.detach);
    if let Some(name) = &a.name {
        o = o.with_name(name)?;
    }
    if !a.cmd.is_empty() {
        o = o.cmd(a.cmd.iter().cloned());
    }
    if let Some(e) = &a.entrypoint {
        o = o.entrypoint([e.clone()]);
    }
    // As docker: a bare `-e KEY` passes this process's value, or nothing if unset.
    let env: Vec<String> = a
        .env
        .iter()
        .filter_map(|e| match e.contains('=') {
            true => Some(e.clone()),
            false => std::env::var(e).ok().map(|v| format!("{e}={v}")),
        })
        .collect();
    o = o.env_list(&env)?;
    for p in &a.publish {
        o = o.publish(p)?;
    }
    for v in &a.volume {
        o = o.bind(v)?;
    }
    for l in &a.label {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        o = o.label(k, v);
    }
    if let Some(n) = &a.network {
        o = o.network_mode(n);
    }
    if let Some(m) = &a.memory {
        o = o.memory(m)?;
    }
    if let Some(w) = &a.workdir {
        o = o.working_dir(w);
    }
    if let Some(u) = &a.user {
        o = o.user(u);
    }
    Ok(o)
}

pub async fn run(docker: &Docker, a: RunArgs) -> Outcome {
    let options = options_of(&a)?;
    let containers = docker.containers();
    if a.detach {
        let run = RunOptions {
            detach: true,
            remove: a.rm,
            ..RunOptions::default()
        };
        return match containers.run(&options, &run).await? {
            RunOutcome::Detached(c) => {
                println!("{}", c.id());
                Ok(0)
            }
            RunOutcome::Finished { container_id, .. } => {
                println!("{container_id}");
                Ok(0)
            }
        };
    }
    // Attached: docker run's order (create, attach, start, stream, wait) so no output
    // is missed and it reaches the terminal as it is written. `Containers::run`
    // collects output instead, which suits a library, not a terminal.
    let container = match containers.create(&options).await {
        Err(e) if e.category() == Category::ImageNotFound => {
            eprintln!("Unable to find image '{}' locally", a.image);
            let pull = ImagePull {
                image: a.image.clone(),
                ..ImagePull::default()
            };
            docker.pull_to_end(&pull, |_| {}).await?;
            containers.create(&options).await?
        }
        other => other?,
    };
    let result = attached(docker, &container, a.interactive, a.tty).await;
    if a.rm {
        // Removed by berth once it exited, as docker-py does (the daemon's AutoRemove
        // could race the wait for the exit code).
        let removed = container
            .remove(RemoveOptions {
                force: true,
                volumes: true,
                ..RemoveOptions::default()
            })
            .await;
        if result.is_ok() {
            removed?;
        }
    }
    result
}

async fn attached(docker: &Docker, container: &Container, stdin: bool, tty: bool) -> Outcome {
    let mut attach = ContainerAttach::new(container.id());
    attach.stdin = stdin;
    attach.tty = Some(tty);
    let session = docker.attach(&attach).await?;
    container.start().await?;
    let (input, output) = session.split();
    let feeder = stdin.then(|| tokio::spawn(feed_stdin(input)));
    let printed = print_frames(output).await;
    if let Some(f) = feeder {
        f.abort();
    }
    printed?;
    let status = container.wait(None, None).await?;
    Ok(exit_status(status.status_code))
}
