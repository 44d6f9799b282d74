//! `berth plugin run|inspect`: wasm plugins under a deny-by-default grant.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use berth::Docker;
use berth::core::policy::Grant;
use berth::plugin::{AuditSink, HostConfig, Outcome, PluginHost};

use crate::{Failure, Outcome as CliOutcome};

/// Exit status when the plugin succeeded but some of its requests were denied.
const EXIT_DENIED: u8 = 2;

#[derive(Subcommand, Debug)]
pub enum PluginCommand {
    /// Run a plugin component under a grant (everything not granted is denied).
    ///
    /// Prints the plugin's result. Exit status: 0 when it succeeded, 1 when it failed
    /// or was stopped, 2 when it succeeded but some of its requests were denied.
    Run(Box<RunArgs>),
    /// Show what a plugin component imports (what it could ask for) and exports.
    Inspect(InspectArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The plugin: a WebAssembly component (wasm32-wasip2).
    file: PathBuf,
    /// A grant file (TOML); the flags below add to it.
    #[arg(long)]
    grant: Option<PathBuf>,
    /// Allow operations matching this pattern (`containers.list`, `containers.*`).
    #[arg(long = "allow", value_name = "OP")]
    allow: Vec<String>,
    /// Allow images matching this pattern (`busybox`, `127.0.0.1:5000/*`).
    #[arg(long = "allow-image", value_name = "PAT")]
    allow_image: Vec<String>,
    /// Scope the plugin to objects with this label (creates must carry it).
    #[arg(long = "label", value_name = "K=V")]
    label: Vec<String>,
    /// Allow bind mounts of this host path (and below).
    #[arg(long = "allow-bind", value_name = "PATH")]
    allow_bind: Vec<String>,
    /// Allow this capability in CapAdd.
    #[arg(long = "allow-cap", value_name = "CAP")]
    allow_cap: Vec<String>,
    /// Cap of the plugin's memory (`64M`; Python plugins need at least `16M`).
    #[arg(long)]
    memory: Option<String>,
    /// Fuel for the whole run (0 = unmetered).
    #[arg(long)]
    fuel: Option<String>,
    /// Wall-clock deadline of the run (`30s`, `0` = none).
    #[arg(long)]
    deadline: Option<String>,
    /// Cap of open handles (bodies, streams, connections).
    #[arg(long = "max-handles", value_name = "N")]
    max_handles: Option<String>,
    /// Cap of bytes streamed in and out (`1G`).
    #[arg(long = "max-bytes", value_name = "SIZE")]
    max_bytes: Option<String>,
    /// Write the audit log (JSON lines) to this file; `-` writes it to stderr.
    #[arg(long, value_name = "FILE")]
    audit: Option<String>,
    /// The engine component typed plugins are linked with.
    #[arg(long, value_name = "ENGINE.wasm")]
    engine: Option<PathBuf>,
    /// Compile afresh instead of using the compile cache.
    #[arg(long)]
    no_cache: bool,
    /// Arguments for the plugin (after `--`).
    #[arg(last = true)]
    args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The plugin component.
    file: PathBuf,
    /// The engine component typed plugins are linked with.
    #[arg(long, value_name = "ENGINE.wasm")]
    engine: Option<PathBuf>,
}

/// `berth plugin …`.
pub async fn run(docker: &Docker, json: bool, cmd: PluginCommand) -> CliOutcome {
    match cmd {
        PluginCommand::Run(a) => run_plugin(docker, *a).await,
        PluginCommand::Inspect(a) => inspect(docker, json, a).await.map(|()| 0),
    }
}

fn grant_of(a: &RunArgs) -> Result<Grant, Failure> {
    let mut grant = match &a.grant {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::io(format!("reading the grant {}", path.display()), &e))?;
            Grant::from_toml(&text)
                .map_err(|e| Failure::msg(format!("grant {}: {e}", path.display())))?
        }
        None => Grant::deny_all(),
    };
    let repeated: [(&str, &[String]); 5] = [
        ("allow", &a.allow),
        ("allow-image", &a.allow_image),
        ("label", &a.label),
        ("allow-bind", &a.allow_bind),
        ("allow-cap", &a.allow_cap),
    ];
    let single: [(&str, &Option<String>); 5] = [
        ("memory", &a.memory),
        ("fuel", &a.fuel),
        ("deadline", &a.deadline),
        ("max-handles", &a.max_handles),
        ("max-bytes", &a.max_bytes),
    ];
    let flags = repeated
        .iter()
        .flat_map(|(n, vs)| vs.iter().map(move |v| (*n, v)))
        .chain(
            single
                .iter()
                .filter_map(|(n, v)| v.as_ref().map(|v| (*n, v))),
        );
    for (name, value) in flags {
        grant
            .merge_flag(name, value)
            .map_err(|e| Failure::msg(format!("--{name} {value}: {e}")))?;
    }
    Ok(grant)
}

fn host(
    docker: &Docker,
    engine: Option<PathBuf>,
    audit: AuditSink,
    cache: bool,
) -> Result<PluginHost, Failure> {
    let mut config = HostConfig {
        engine_component: engine,
        audit,
        ..HostConfig::default()
    };
    if !cache {
        config.cache_dir = None;
    }
    PluginHost::new(docker.clone(), config).map_err(Failure::msg)
}

async fn run_plugin(docker: &Docker, a: RunArgs) -> CliOutcome {
    let grant = grant_of(&a)?;
    let audit = match a.audit.as_deref() {
        None => AuditSink::Memory,
        Some("-") => AuditSink::Stderr,
        Some(path) => AuditSink::File(PathBuf::from(path)),
    };
    let host = host(docker, a.engine.clone(), audit, !a.no_cache)?;
    let plugin = host.load(&a.file).await.map_err(Failure::msg)?;
    let report = host
        .run(&plugin, grant, a.args)
        .await
        .map_err(Failure::msg)?;
    {
        use std::io::Write as _;
        let _ = std::io::stdout().write_all(&report.stdout);
        let _ = std::io::stderr().write_all(&report.stderr);
    }
    let denied = |n: usize| {
        format!(
            "{n} request{} denied by the policy{}",
            if n == 1 { " was" } else { "s were" },
            if a.audit.is_some() {
                " (see the audit log)"
            } else {
                " (add --audit - to see them)"
            }
        )
    };
    match report.outcome {
        Outcome::Ok(text) => {
            println!("{text}");
            if report.denials > 0 {
                eprintln!("berth: {}", denied(report.denials));
                return Ok(EXIT_DENIED);
            }
            Ok(0)
        }
        Outcome::Err(msg) => {
            let mut lines = vec![format!("plugin {} failed: {msg}", plugin.name())];
            if report.denials > 0 {
                lines.push(denied(report.denials));
            }
            Err(Failure(lines))
        }
        Outcome::Stopped(stop) => Err(Failure::msg(format!("plugin {} {stop}", plugin.name()))),
    }
}

async fn inspect(docker: &Docker, json: bool, a: InspectArgs) -> Result<(), Failure> {
    let host = host(docker, a.engine, AuditSink::Memory, true)?;
    let plugin = host.load(&a.file).await.map_err(Failure::msg)?;
    let items = |items: &[berth::plugin::Item]| -> serde_json::Value {
        items
            .iter()
            .map(|i| serde_json::json!({"name": i.name, "kind": i.kind, "members": i.members}))
            .collect()
    };
    if json {
        crate::print_json(&serde_json::json!({
            "name": plugin.name(),
            "linked_with_engine": plugin.linked_with_engine(),
            "imports": items(plugin.imports()),
            "exports": items(plugin.exports()),
        }));
        return Ok(());
    }
    println!("plugin {}", plugin.name());
    if plugin.linked_with_engine() {
        println!("(typed plugin, linked with the engine component)");
    }
    for (title, list) in [("imports", plugin.imports()), ("exports", plugin.exports())] {
        println!("{title}:");
        for i in list {
            println!("  {} {}", i.kind, i.name);
            for m in &i.members {
                println!("    {m}");
            }
        }
    }
    let raw = plugin
        .imports()
        .iter()
        .any(|i| i.name.starts_with("berth:engine/transport"));
    if raw {
        println!(
            "note: imports berth:engine/transport: raw wire access, every request checked by the grant"
        );
    }
    Ok(())
}
