//! `swarm init/leave`, `node ls`, `service ls/create/ps/logs/rm`,
//! `secret ls/create/rm`: swarm mode.

use std::io::Read;

use clap::{Args, Subcommand};
use serde_json::Value;

use berth::Docker;
use berth::api::container_io::Tail;
use berth::api::secrets::SecretCreate;
use berth::api::services::{
    EndpointSpec, PortConfig, Resources, RestartCondition, ServiceList, ServiceLogs, ServiceMode,
    ServiceOptions, TaskRestartPolicy,
};
use berth::api::swarm::{SwarmInit, SwarmSpecOptions};
use berth::api::tasks::{task_error, task_state};

use crate::io::print_frames;
use crate::system::parse_time;
use crate::{Failure, filters_of, print_json, print_table};

/// `berth swarm …`.
#[derive(Subcommand, Debug)]
pub enum SwarmCommand {
    /// Make this node the first manager of a new swarm.
    Init(InitArgs),
    /// Leave the swarm.
    Leave(LeaveArgs),
}

/// `berth node …`.
#[derive(Subcommand, Debug)]
pub enum NodeCommand {
    /// List the swarm's nodes.
    #[command(alias = "list")]
    Ls(LsArgs),
}

/// `berth service …`.
#[derive(Subcommand, Debug)]
pub enum ServiceCommand {
    /// List services.
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Create a service and print its id.
    Create(Box<CreateArgs>),
    /// List the tasks of a service.
    Ps(PsArgs),
    /// Print the output of a service's tasks.
    Logs(ServiceLogsArgs),
    /// Remove services.
    #[command(alias = "remove")]
    Rm(Names),
}

/// `berth secret …`.
#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// List secrets.
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Create a secret from a file (`-` for stdin) and print its id.
    Create(SecretCreateArgs),
    /// Remove secrets.
    #[command(alias = "remove")]
    Rm(Names),
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Address other nodes reach this one at (`ip[:port]` or an interface).
    #[arg(long)]
    advertise_addr: Option<String>,
    /// Address to listen on for swarm traffic.
    #[arg(long, default_value = "0.0.0.0:2377")]
    listen_addr: String,
    /// Subnet pool for swarm-scope networks (repeatable).
    #[arg(long = "default-addr-pool", value_name = "CIDR")]
    default_addr_pool: Vec<String>,
    /// Size of the subnets taken from the pool.
    #[arg(long)]
    default_addr_pool_mask_length: Option<u32>,
    /// VXLAN port for data traffic.
    #[arg(long)]
    data_path_port: Option<u32>,
    /// Historic tasks kept per slot.
    #[arg(long)]
    task_history_limit: Option<i64>,
    /// Lock managers' data with a key.
    #[arg(long)]
    autolock: bool,
    /// Recover a swarm that lost quorum.
    #[arg(long)]
    force_new_cluster: bool,
}

#[derive(Args, Debug)]
pub struct LeaveArgs {
    /// Leave even as a manager; not being in a swarm is then no error.
    #[arg(short, long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// Print only the ids.
    #[arg(short, long)]
    quiet: bool,
    /// Filter, `key=value` (repeatable).
    #[arg(short, long = "filter")]
    filter: Vec<String>,
}

#[derive(Args, Debug)]
pub struct Names {
    /// Ids or names.
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The service's name.
    #[arg(long)]
    name: Option<String>,
    /// `replicated` or `global` (or the jobs: `replicated-job`, `global-job`).
    #[arg(long, default_value = "replicated")]
    mode: String,
    /// Number of tasks (replicated modes).
    #[arg(long)]
    replicas: Option<u64>,
    /// Environment variable `KEY=value` (repeatable).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Service label `key=value` (repeatable).
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    label: Vec<String>,
    /// Container label `key=value` (repeatable).
    #[arg(long = "container-label", value_name = "KEY=VALUE")]
    container_label: Vec<String>,
    /// Placement constraint, e.g. `node.role==manager` (repeatable).
    #[arg(long)]
    constraint: Vec<String>,
    /// Secret (by name) mounted at `/run/secrets/<name>` (repeatable).
    #[arg(long)]
    secret: Vec<String>,
    /// Config (by name) mounted at `/<name>` (repeatable).
    #[arg(long)]
    config: Vec<String>,
    /// Published port `[published:]target[/protocol]` (repeatable).
    #[arg(short, long = "publish", value_name = "PORT")]
    publish: Vec<String>,
    /// CPU limit (e.g. `0.5`).
    #[arg(long)]
    limit_cpu: Option<f64>,
    /// Memory limit (e.g. `64m`).
    #[arg(long)]
    limit_memory: Option<String>,
    /// Restart condition: `none`, `on-failure` or `any`.
    #[arg(long)]
    restart_condition: Option<String>,
    /// Working directory in the containers.
    #[arg(short, long)]
    workdir: Option<String>,
    /// User in the containers.
    #[arg(short, long)]
    user: Option<String>,
    /// Allocate a TTY.
    #[arg(short, long)]
    tty: bool,
    /// Seconds between the stop signal and the kill.
    #[arg(long)]
    stop_grace_period: Option<u64>,
    /// The image.
    image: String,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    cmd: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Print only the task ids.
    #[arg(short, long)]
    quiet: bool,
    /// Filter, `key=value` (repeatable): desired-state, id, label, name, node.
    #[arg(short, long = "filter")]
    filter: Vec<String>,
    /// The service (id or name).
    service: String,
}

#[derive(Args, Debug)]
pub struct ServiceLogsArgs {
    /// Keep printing new output.
    #[arg(short, long)]
    follow: bool,
    /// Lines from the end to show: a number or `all`.
    #[arg(short = 'n', long, default_value = "all")]
    tail: String,
    /// Prefix each line with its RFC 3339 timestamp.
    #[arg(short, long)]
    timestamps: bool,
    /// Only output since this Unix time or relative duration (`10m`).
    #[arg(long)]
    since: Option<String>,
    /// The service (id or name).
    service: String,
}

#[derive(Args, Debug)]
pub struct SecretCreateArgs {
    /// Label `key=value` (repeatable).
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    label: Vec<String>,
    /// The secret's name.
    name: String,
    /// File holding the data, `-` for stdin.
    file: String,
}

pub async fn swarm(docker: &Docker, json: bool, command: SwarmCommand) -> Result<(), Failure> {
    match command {
        SwarmCommand::Init(a) => init(docker, json, a).await,
        SwarmCommand::Leave(a) => {
            if docker.swarm().leave(a.force).await? {
                println!("Node left the swarm.");
            } else {
                println!("Node was not part of a swarm.");
            }
            Ok(())
        }
    }
}

pub async fn node(docker: &Docker, json: bool, command: NodeCommand) -> Result<(), Failure> {
    match command {
        NodeCommand::Ls(a) => node_ls(docker, json, a).await,
    }
}

pub async fn service(docker: &Docker, json: bool, command: ServiceCommand) -> Result<(), Failure> {
    match command {
        ServiceCommand::Ls(a) => service_ls(docker, json, a).await,
        ServiceCommand::Create(a) => service_create(docker, *a).await,
        ServiceCommand::Ps(a) => service_ps(docker, json, a).await,
        ServiceCommand::Logs(a) => service_logs(docker, a).await,
        ServiceCommand::Rm(a) => {
            let mut failures = Vec::new();
            for name in a.names {
                let removed = match docker.services().get(&name).await {
                    Ok(s) => s.remove().await,
                    Err(e) => Err(e),
                };
                match removed {
                    Ok(()) => println!("{name}"),
                    Err(e) => failures.push(format!("{name}: {e}")),
                }
            }
            done_all(failures)
        }
    }
}

pub async fn secret(docker: &Docker, json: bool, command: SecretCommand) -> Result<(), Failure> {
    match command {
        SecretCommand::Ls(a) => secret_ls(docker, json, a).await,
        SecretCommand::Create(a) => secret_create(docker, a).await,
        SecretCommand::Rm(a) => {
            let mut failures = Vec::new();
            for name in a.names {
                let removed = match docker.secrets().get(&name).await {
                    Ok(s) => s.remove().await,
                    Err(e) => Err(e),
                };
                match removed {
                    Ok(()) => println!("{name}"),
                    Err(e) => failures.push(format!("{name}: {e}")),
                }
            }
            done_all(failures)
        }
    }
}

fn done_all(failures: Vec<String>) -> Result<(), Failure> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure(failures))
    }
}

/// `key=value` pairs (a bare `key` has an empty value).
fn pairs(flag: &str, items: &[String]) -> Result<Vec<(String, String)>, Failure> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            None if !s.is_empty() => Ok((s.clone(), String::new())),
            _ => Err(Failure::msg(format!("{flag} {s:?}: expected key=value"))),
        })
        .collect()
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

async fn init(docker: &Docker, json: bool, a: InitArgs) -> Result<(), Failure> {
    let mut spec = SwarmSpecOptions::new();
    if let Some(n) = a.task_history_limit {
        spec = spec.task_history_retention_limit(n);
    }
    if a.autolock {
        spec = spec.autolock_managers(true);
    }
    let init = SwarmInit {
        advertise_addr: a.advertise_addr,
        listen_addr: a.listen_addr,
        force_new_cluster: a.force_new_cluster,
        spec,
        default_addr_pool: a.default_addr_pool,
        subnet_size: a.default_addr_pool_mask_length,
        data_path_addr: None,
        data_path_port: a.data_path_port,
    };
    let mut swarm = docker.swarm();
    let node_id = swarm.init(&init).await?;
    if json {
        print_json(&serde_json::json!({ "NodeID": node_id }));
        return Ok(());
    }
    println!("Swarm initialized: current node ({node_id}) is now a manager.");
    if let Some(token) = swarm.join_tokens().and_then(|t| t.worker) {
        println!("Worker join token: {token}");
    }
    if a.autolock {
        println!("Unlock key: {}", swarm.unlock_key().await?);
    }
    Ok(())
}

async fn node_ls(docker: &Docker, json: bool, a: LsArgs) -> Result<(), Failure> {
    let nodes = docker.nodes().list(&filters_of(&a.filter)?).await?;
    if json {
        print_json(&Value::Array(
            nodes
                .iter()
                .map(|n| n.attrs().attrs.value().clone())
                .collect(),
        ));
        return Ok(());
    }
    if a.quiet {
        nodes.iter().for_each(|n| println!("{}", n.id()));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            let attrs = &n.attrs().attrs;
            let manager = if n.is_leader() {
                "Leader".to_owned()
            } else {
                text(attrs, &["ManagerStatus", "Reachability"]).to_owned()
            };
            vec![
                n.id().to_owned(),
                n.hostname().unwrap_or("").to_owned(),
                text(attrs, &["Status", "State"]).to_owned(),
                n.availability().unwrap_or("").to_owned(),
                manager,
            ]
        })
        .collect();
    print_table(
        &["ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS"],
        &rows,
    );
    Ok(())
}

async fn service_ls(docker: &Docker, json: bool, a: LsArgs) -> Result<(), Failure> {
    let status = docker.api_version().await? >= berth::ApiVersion::new(1, 41);
    let services = docker
        .services()
        .list(&ServiceList {
            filters: filters_of(&a.filter)?,
            status,
        })
        .await?;
    if json {
        print_json(&Value::Array(
            services
                .iter()
                .map(|s| s.attrs().attrs.value().clone())
                .collect(),
        ));
        return Ok(());
    }
    if a.quiet {
        services.iter().for_each(|s| println!("{}", s.id()));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            let attrs = &s.attrs().attrs;
            let mode = ServiceMode::of(&s.spec()["Mode"]);
            let (mode_name, desired) = match mode {
                Some(ServiceMode::Replicated(n)) => ("replicated", n.map(|n| n.to_string())),
                Some(ServiceMode::Global) => ("global", None),
                Some(ServiceMode::ReplicatedJob { .. }) => ("replicated job", None),
                Some(ServiceMode::GlobalJob) => ("global job", None),
                None => ("?", None),
            };
            let st = &attrs["ServiceStatus"];
            let replicas = match (st["RunningTasks"].as_u64(), st["DesiredTasks"].as_u64()) {
                (Some(r), Some(d)) => format!("{r}/{d}"),
                _ => desired.unwrap_or_default(),
            };
            vec![
                short(s.id()).to_owned(),
                s.name().unwrap_or("").to_owned(),
                mode_name.to_owned(),
                replicas,
                text(s.spec(), &["TaskTemplate", "ContainerSpec", "Image"])
                    .split('@')
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            ]
        })
        .collect();
    print_table(&["ID", "NAME", "MODE", "REPLICAS", "IMAGE"], &rows);
    Ok(())
}

async fn service_create(docker: &Docker, a: CreateArgs) -> Result<(), Failure> {
    let mut o =
        ServiceOptions::new(a.image).mode(ServiceMode::from_parts(&a.mode, a.replicas, None)?);
    if let Some(n) = a.name {
        o = o.name(n);
    }
    if !a.cmd.is_empty() {
        o = o.command(a.cmd);
    }
    o = o.env_list(&a.env)?;
    for (k, v) in pairs("--label", &a.label)? {
        o = o.label(k, v);
    }
    for (k, v) in pairs("--container-label", &a.container_label)? {
        o = o.container_label(k, v);
    }
    for c in a.constraint {
        o = o.constraint(c);
    }
    for s in &a.secret {
        o = o.secret(docker.secrets().get(s).await?.reference())?;
    }
    for c in &a.config {
        o = o.config(docker.configs().get(c).await?.reference())?;
    }
    if !a.publish.is_empty() {
        let mut e = EndpointSpec::new();
        for p in &a.publish {
            e = e.port_config(p.parse::<PortConfig>()?);
        }
        o = o.endpoint_spec(e);
    }
    if a.limit_cpu.is_some() || a.limit_memory.is_some() {
        let mut r = Resources::new();
        if let Some(c) = a.limit_cpu {
            r = r.cpu_limit(c)?;
        }
        if let Some(m) = &a.limit_memory {
            r = r.mem_limit_str(m)?;
        }
        o = o.resources(r);
    }
    if let Some(c) = &a.restart_condition {
        o = o.restart_policy(TaskRestartPolicy {
            condition: c.parse::<RestartCondition>()?,
            ..TaskRestartPolicy::default()
        });
    }
    if let Some(w) = a.workdir {
        o = o.workdir(w);
    }
    if let Some(u) = a.user {
        o = o.user(u);
    }
    if a.tty {
        o = o.tty(true);
    }
    if let Some(s) = a.stop_grace_period {
        o = o.stop_grace_period(std::time::Duration::from_secs(s))?;
    }
    let (svc, created) = docker.services().create_with(&o, None).await?;
    for w in created.warnings.iter().flatten() {
        eprintln!("warning: {}", w.replace('\n', " "));
    }
    println!("{}", svc.id());
    Ok(())
}

async fn service_ps(docker: &Docker, json: bool, a: PsArgs) -> Result<(), Failure> {
    let svc = docker.services().get(&a.service).await?;
    let mut tasks = svc.tasks(&filters_of(&a.filter)?).await?;
    tasks.sort_by_key(|t| (t.slot, t.attrs["CreatedAt"].as_str().map(str::to_owned)));
    if json {
        print_json(&Value::Array(
            tasks.iter().map(|t| t.attrs.value().clone()).collect(),
        ));
        return Ok(());
    }
    if a.quiet {
        tasks
            .iter()
            .filter_map(|t| t.id.as_deref())
            .for_each(|id| println!("{id}"));
        return Ok(());
    }
    let name = svc.name().unwrap_or("");
    let rows: Vec<Vec<String>> = tasks
        .iter()
        .map(|t| {
            let slot = t
                .slot
                .map_or_else(|| t.node_id.clone().unwrap_or_default(), |s| s.to_string());
            vec![
                short(t.id.as_deref().unwrap_or("")).to_owned(),
                format!("{name}.{slot}"),
                short(t.node_id.as_deref().unwrap_or("")).to_owned(),
                t.attrs["DesiredState"].as_str().unwrap_or("").to_owned(),
                task_state(&t.attrs).unwrap_or("").to_owned(),
                task_error(&t.attrs).unwrap_or("").to_owned(),
            ]
        })
        .collect();
    print_table(
        &[
            "ID",
            "NAME",
            "NODE",
            "DESIRED STATE",
            "CURRENT STATE",
            "ERROR",
        ],
        &rows,
    );
    Ok(())
}

async fn service_logs(docker: &Docker, a: ServiceLogsArgs) -> Result<(), Failure> {
    let mut options = ServiceLogs::new(a.service);
    options.follow = a.follow;
    options.timestamps = a.timestamps;
    options.tail = if a.tail == "all" {
        Tail::All
    } else {
        Tail::Lines(a.tail.parse().map_err(|_| {
            Failure::msg(format!(
                "--tail {:?}: neither a number of lines nor `all`",
                a.tail
            ))
        })?)
    };
    options.since = a.since.as_deref().map(parse_time).transpose()?;
    print_frames(docker.service_logs(&options).await?).await
}

async fn secret_ls(docker: &Docker, json: bool, a: LsArgs) -> Result<(), Failure> {
    let secrets = docker.secrets().list(&filters_of(&a.filter)?).await?;
    if json {
        print_json(&Value::Array(
            secrets
                .iter()
                .map(|s| s.attrs().attrs.value().clone())
                .collect(),
        ));
        return Ok(());
    }
    if a.quiet {
        secrets.iter().for_each(|s| println!("{}", s.id()));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = secrets
        .iter()
        .map(|s| {
            vec![
                s.id().to_owned(),
                s.name().unwrap_or("").to_owned(),
                text(&s.attrs().attrs, &["CreatedAt"]).to_owned(),
            ]
        })
        .collect();
    print_table(&["ID", "NAME", "CREATED"], &rows);
    Ok(())
}

async fn secret_create(docker: &Docker, a: SecretCreateArgs) -> Result<(), Failure> {
    let data = if a.file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure::io("reading stdin", &e))?;
        buf
    } else {
        std::fs::read(&a.file).map_err(|e| Failure::io(format!("reading {}", a.file), &e))?
    };
    let mut create = SecretCreate::new(a.name, data);
    create.labels = pairs("--label", &a.label)?.into_iter().collect();
    let s = docker.secrets().create(&create).await?;
    println!("{}", s.id());
    Ok(())
}

#[cfg(test)]
mod tests {
    use berth::core::request::Filters;

    use super::*;

    #[test]
    fn pairs_accept_bare_keys_and_refuse_empty() {
        let p = pairs("--label", &["a=b=c".into(), "k".into()]).expect("ok");
        assert_eq!(
            p,
            vec![("a".into(), "b=c".into()), ("k".into(), String::new())]
        );
        assert!(pairs("--label", &["=x".into()]).is_err());
        assert!(pairs("--label", &[String::new()]).is_err());
    }

    #[test]
    fn filters_reused() {
        let f: Filters = filters_of(&["label=berth.test=1".into()]).expect("ok");
        assert!(!f.is_empty());
    }
}
