//! `network ls/create/rm/inspect`.

use std::collections::HashMap;

use clap::{Args, Subcommand};
use serde_json::Value;

use berth::Docker;
use berth::api::networks::{IpamConfig, IpamPool, NetworkCreate, NetworkInspect, NetworkList};

use crate::{Failure, filters_of, print_json, print_table};

/// `berth network …`.
#[derive(Subcommand, Debug)]
pub enum NetworkCommand {
    /// List networks.
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Create a network and print its id.
    Create(Box<CreateArgs>),
    /// Remove networks.
    #[command(alias = "remove")]
    Rm(Names),
    /// Print the inspect JSON of networks, as one array.
    Inspect(InspectArgs),
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// Print only the ids.
    #[arg(short, long)]
    quiet: bool,
    /// Filter, `key=value` (repeatable): driver, id, label, name, scope, type, dangling.
    #[arg(short, long = "filter")]
    filter: Vec<String>,
    /// Do not truncate ids.
    #[arg(long)]
    no_trunc: bool,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The network's name.
    name: String,
    /// Driver (default: the daemon's, `bridge`).
    #[arg(short, long)]
    driver: Option<String>,
    /// Driver option `key=value` (repeatable).
    #[arg(short, long = "opt", value_name = "KEY=VALUE")]
    opt: Vec<String>,
    /// Label `key=value` or `key` (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    label: Vec<String>,
    /// Subnet in CIDR form.
    #[arg(long)]
    subnet: Option<String>,
    /// Range to allocate container addresses from (CIDR, inside the subnet).
    #[arg(long)]
    ip_range: Option<String>,
    /// Gateway address.
    #[arg(long)]
    gateway: Option<String>,
    /// Reserved address `name=ip` (repeatable).
    #[arg(long = "aux-address", value_name = "NAME=IP")]
    aux_address: Vec<String>,
    /// IPAM driver (default: `default`).
    #[arg(long)]
    ipam_driver: Option<String>,
    /// IPAM driver option `key=value` (repeatable).
    #[arg(long = "ipam-opt", value_name = "KEY=VALUE")]
    ipam_opt: Vec<String>,
    /// Restrict external access to the network.
    #[arg(long)]
    internal: bool,
    /// Let standalone containers attach (swarm-scope networks).
    #[arg(long)]
    attachable: bool,
    /// Enable IPv6.
    #[arg(long)]
    ipv6: bool,
    /// Scope: local, swarm or global.
    #[arg(long)]
    scope: Option<String>,
}

/// One or more networks (id, id prefix or name).
#[derive(Args, Debug)]
pub struct Names {
    /// Networks (id, id prefix or name).
    #[arg(required = true, value_name = "NETWORK")]
    networks: Vec<String>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Swarm networks: also show services and tasks.
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    names: Names,
}

pub async fn run(docker: &Docker, json: bool, command: NetworkCommand) -> Result<(), Failure> {
    match command {
        NetworkCommand::Ls(a) => ls(docker, json, a).await,
        NetworkCommand::Create(a) => create(docker, *a).await,
        NetworkCommand::Rm(a) => rm(docker, a).await,
        NetworkCommand::Inspect(a) => inspect(docker, a).await,
    }
}

async fn ls(docker: &Docker, json: bool, a: LsArgs) -> Result<(), Failure> {
    let options = NetworkList {
        filters: filters_of(&a.filter)?,
        ..NetworkList::default()
    };
    let list = docker.networks().list(&options, false).await?;
    let id = |n: &berth::Network| {
        if a.no_trunc {
            n.id().to_owned()
        } else {
            n.short_id().to_owned()
        }
    };
    if a.quiet {
        for n in &list {
            println!("{}", id(n));
        }
        return Ok(());
    }
    if json {
        print_json(&Value::Array(
            list.iter()
                .map(|n| n.attrs().attrs.value().clone())
                .collect(),
        ));
        return Ok(());
    }
    let text = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|n| {
            let v = &n.attrs().attrs;
            vec![id(n), text(v, "Name"), text(v, "Driver"), text(v, "Scope")]
        })
        .collect();
    print_table(&["NETWORK ID", "NAME", "DRIVER", "SCOPE"], &rows);
    Ok(())
}

async fn create(docker: &Docker, a: CreateArgs) -> Result<(), Failure> {
    let mut create = NetworkCreate::new(a.name);
    create.driver = a.driver;
    create.options = key_values("--opt", &a.opt, false)?;
    create.labels = key_values("--label", &a.label, true)?;
    create.internal = a.internal.then_some(true);
    create.attachable = a.attachable.then_some(true);
    create.enable_ipv6 = a.ipv6.then_some(true);
    create.scope = a.scope;
    let has_pool = a.subnet.is_some()
        || a.ip_range.is_some()
        || a.gateway.is_some()
        || !a.aux_address.is_empty();
    if has_pool || a.ipam_driver.is_some() || !a.ipam_opt.is_empty() {
        if a.subnet.is_none() && has_pool {
            return Err(Failure::msg(
                "--ip-range, --gateway and --aux-address need a --subnet",
            ));
        }
        let mut ipam = IpamConfig::new();
        if let Some(d) = a.ipam_driver {
            ipam = ipam.driver(d);
        }
        for (k, v) in key_values("--ipam-opt", &a.ipam_opt, false)? {
            ipam = ipam.option(k, v);
        }
        if let Some(subnet) = a.subnet {
            let mut pool = IpamPool::new().subnet(subnet);
            if let Some(r) = a.ip_range {
                pool = pool.ip_range(r);
            }
            if let Some(g) = a.gateway {
                pool = pool.gateway(g);
            }
            for (name, ip) in key_values("--aux-address", &a.aux_address, false)? {
                pool = pool.aux_address(name, ip);
            }
            ipam = ipam.pool(pool);
        }
        create.ipam = Some(ipam);
    }
    let network = docker.networks().create(&create).await?;
    println!("{}", network.id());
    Ok(())
}

async fn rm(docker: &Docker, a: Names) -> Result<(), Failure> {
    // Like docker: each failure is reported, the others still go.
    let mut failed = Vec::new();
    for name in &a.networks {
        let result = async {
            docker.networks().get(name).await?.remove().await?;
            Ok::<_, berth::Error>(())
        }
        .await;
        match result {
            Ok(()) => println!("{name}"),
            Err(e) => failed.push(e.to_string()),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure(failed))
    }
}

async fn inspect(docker: &Docker, a: InspectArgs) -> Result<(), Failure> {
    let mut found = Vec::new();
    let mut failed = Vec::new();
    for name in &a.names.networks {
        let options = NetworkInspect {
            verbose: a.verbose,
            ..NetworkInspect::new(name.clone())
        };
        match docker.networks().get_with(&options).await {
            Ok(n) => found.push(n.attrs().attrs.value().clone()),
            Err(e) => failed.push(e.to_string()),
        }
    }
    print_json(&Value::Array(found));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure(failed))
    }
}

/// `key=value` options of `flag`; with `bare_ok`, a bare `key` means an empty value
/// (docker's `--label key`).
pub fn key_values(
    flag: &str,
    pairs: &[String],
    bare_ok: bool,
) -> Result<HashMap<String, String>, Failure> {
    let mut out = HashMap::new();
    for p in pairs {
        let (k, v) = match p.split_once('=') {
            Some((k, v)) => (k, v),
            None if bare_ok => (p.as_str(), ""),
            None => {
                return Err(Failure::msg(format!(
                    "{flag} {p:?} is not of the form key=value"
                )));
            }
        };
        if k.is_empty() {
            return Err(Failure::msg(format!("{flag} {p:?} has an empty key")));
        }
        out.insert(k.to_owned(), v.to_owned());
    }
    Ok(out)
}
