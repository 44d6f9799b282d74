//! `berth`: the command-line face of the berth Docker client.
//!
//! Each area has its module: `system` (version, info, df, events), `containers`
//! (ps, start, stop, rm, inspect, wait, stats), `io` (logs, exec, export), `copy`
//! (cp) and `run`. Errors print one line `berth: …` per failure and exit with 1;
//! `run` and `exec` exit with the status of what they ran, like docker's.

mod build;
mod containers;
mod copy;
mod images;
mod io;
mod networks;
#[cfg(feature = "plugins")]
mod plugin;
mod run;
mod swarm;
mod system;
mod volumes;

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use berth::DockerBuilder;
use berth::core::request::Filters;

#[derive(Parser, Debug)]
#[command(name = "berth", version, about = "A Docker Engine client")]
struct Cli {
    /// Daemon address (overrides DOCKER_HOST), e.g. unix:///var/run/docker.sock.
    #[arg(short = 'H', long = "host", global = true)]
    host: Option<String>,
    /// Print the daemon's JSON instead of a summary.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the client and daemon versions.
    Version,
    /// Show system-wide information.
    Info,
    /// Show disk usage.
    Df,
    /// Stream daemon events.
    Events(system::EventsArgs),
    /// List containers.
    Ps(containers::PsArgs),
    /// Create and start a container from an image.
    Run(run::RunArgs),
    /// Print a container's output.
    Logs(io::LogsArgs),
    /// Run a command in a running container.
    Exec(io::ExecArgs),
    /// Start stopped containers.
    Start(containers::Targets),
    /// Stop running containers.
    Stop(containers::StopArgs),
    /// Remove containers.
    Rm(containers::RmArgs),
    /// Print the inspect JSON of containers, as one array.
    Inspect(containers::Targets),
    /// Block until containers stop, then print their exit codes.
    Wait(containers::Targets),
    /// Copy files between a container and the local filesystem.
    Cp(copy::CpArgs),
    /// Write a container's filesystem as a tar archive.
    Export(io::ExportArgs),
    /// Show containers' resource usage.
    Stats(containers::StatsArgs),
    /// List images.
    Images(images::ImagesArgs),
    /// Pull an image from a registry.
    Pull(images::PullArgs),
    /// Push an image to a registry.
    Push(images::PushArgs),
    /// Give an image another name.
    Tag(images::TagArgs),
    /// Remove images.
    Rmi(images::RmiArgs),
    /// Write images as a tar archive.
    Save(images::SaveArgs),
    /// Load images from a tar archive.
    Load(images::LoadArgs),
    /// Check registry credentials (berth does not store them).
    Login(images::LoginArgs),
    /// Build an image from a Dockerfile and a context.
    Build(build::BuildArgs),
    /// Manage networks.
    #[command(subcommand)]
    Network(networks::NetworkCommand),
    /// Manage volumes.
    #[command(subcommand)]
    Volume(volumes::VolumeCommand),
    /// Manage the swarm.
    #[command(subcommand)]
    Swarm(swarm::SwarmCommand),
    /// Manage swarm nodes.
    #[command(subcommand)]
    Node(swarm::NodeCommand),
    /// Manage swarm services.
    #[command(subcommand)]
    Service(swarm::ServiceCommand),
    /// Manage swarm secrets.
    #[command(subcommand)]
    Secret(swarm::SecretCommand),
    /// Run and inspect wasm plugins.
    #[cfg(feature = "plugins")]
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
}

/// Why a command failed: one or more messages, each printed as one line.
#[derive(Debug)]
struct Failure(Vec<String>);

impl Failure {
    /// A failure the CLI detected itself.
    fn msg(message: impl fmt::Display) -> Failure {
        Failure(vec![message.to_string()])
    }

    /// A local I/O failure, saying what was being done.
    fn io(what: impl fmt::Display, e: &std::io::Error) -> Failure {
        Failure::msg(format!("{what}: {e}"))
    }
}

impl From<berth::Error> for Failure {
    fn from(e: berth::Error) -> Failure {
        Failure::msg(e)
    }
}

impl From<berth::core::Error> for Failure {
    fn from(e: berth::core::Error) -> Failure {
        Failure::msg(e)
    }
}

/// What a command returns: the process's exit status, or why it failed.
type Outcome = Result<u8, Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("berth: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(dispatch(cli));
    // A thread blocked reading stdin (exec -i, run -i) must not hold the exit up.
    runtime.shutdown_background();
    match result {
        Ok(status) => ExitCode::from(status),
        Err(Failure(messages)) => {
            for m in messages {
                eprintln!("berth: {}", one_line(&m));
            }
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> Outcome {
    let builder = match &cli.host {
        Some(h) => DockerBuilder::new(h),
        None => DockerBuilder::from_env()?,
    };
    let docker = builder.build()?;
    let json = cli.json;
    let done = |r: Result<(), Failure>| r.map(|()| 0);
    match cli.command {
        Command::Version => done(system::version(&docker, json).await),
        Command::Info => done(system::info(&docker, json).await),
        Command::Df => done(system::df(&docker, json).await),
        Command::Events(a) => done(system::events(&docker, json, a).await),
        Command::Ps(a) => done(containers::ps(&docker, json, a).await),
        Command::Run(a) => run::run(&docker, a).await,
        Command::Logs(a) => done(io::logs(&docker, a).await),
        Command::Exec(a) => io::exec(&docker, a).await,
        Command::Start(a) => done(containers::start(&docker, a).await),
        Command::Stop(a) => done(containers::stop(&docker, a).await),
        Command::Rm(a) => done(containers::rm(&docker, a).await),
        Command::Inspect(a) => done(containers::inspect(&docker, a).await),
        Command::Wait(a) => done(containers::wait(&docker, a).await),
        Command::Cp(a) => done(copy::cp(&docker, a).await),
        Command::Export(a) => done(io::export(&docker, a).await),
        Command::Stats(a) => done(containers::stats(&docker, json, a).await),
        Command::Images(a) => done(images::images(&docker, json, a).await),
        Command::Pull(a) => done(images::pull(&docker, a).await),
        Command::Push(a) => done(images::push(&docker, a).await),
        Command::Tag(a) => done(images::tag(&docker, a).await),
        Command::Rmi(a) => done(images::rmi(&docker, a).await),
        Command::Save(a) => done(images::save(&docker, a).await),
        Command::Load(a) => done(images::load(&docker, a).await),
        Command::Login(a) => done(images::login(&docker, a).await),
        Command::Build(a) => done(build::build(&docker, json, a).await),
        Command::Network(c) => done(networks::run(&docker, json, c).await),
        Command::Volume(c) => done(volumes::run(&docker, json, c).await),
        Command::Swarm(c) => done(swarm::swarm(&docker, json, c).await),
        Command::Node(c) => done(swarm::node(&docker, json, c).await),
        Command::Service(c) => done(swarm::service(&docker, json, c).await),
        Command::Secret(c) => done(swarm::secret(&docker, json, c).await),
        #[cfg(feature = "plugins")]
        Command::Plugin(c) => plugin::run(&docker, json, c).await,
    }
}

/// Daemon messages can span lines; the CLI's contract is one line per failure.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// `key=value` filters (repeatable `--filter`).
fn filters_of(pairs: &[String]) -> Result<Filters, Failure> {
    let mut filters = Filters::new();
    for f in pairs {
        filters.add_pair(f)?;
    }
    Ok(filters)
}

/// An exit status as the shell sees it (docker's `os.Exit` truncates the same way).
fn exit_status(code: i64) -> u8 {
    u8::try_from(code.rem_euclid(256)).unwrap_or(u8::MAX)
}

/// Prints a table whose columns are as wide as their widest cell, three spaces apart
/// (docker's tabwriter layout).
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (cell, w) in cells.iter().zip(&widths) {
            out.push_str(cell);
            out.push_str(&" ".repeat(w - cell.chars().count() + 3));
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
