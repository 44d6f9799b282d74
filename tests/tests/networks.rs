//! Networks area against the real daemon: create with IPAM, inspect, list, connect,
//! disconnect, remove, prune, and the daemon's errors.
//!
//! Everything carries `berth.test=1` and a per-test `berth.test.case=<unique>` label; a
//! [`Case`] guard removes the case's containers, then its networks, when the test
//! ends, pass or fail. Subnets are `10.251.<n>.0/24` with `n` picked at random and
//! retried on overlap.

use std::collections::HashMap;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use berth::api::networks::{
    EndpointConfig, IpamConfig, IpamPool, NetworkCreate, NetworkInspect, NetworkList, NetworkPrune,
};
use berth::core::request::Filters;
use berth::models::{ContainerCreateBody, HostConfig};
use berth::{Category, Container, Docker, Network};
use berth_tests::{TEST_LABEL, docker, docker_cli, unique};

const IMAGE: &str = "busybox:berth-test";
const CASE_LABEL: &str = "berth.test.case";

struct Case {
    tag: String,
    docker: Docker,
}

impl Case {
    async fn new(prefix: &str) -> Case {
        Case {
            tag: unique(prefix),
            docker: docker().await,
        }
    }

    fn label_filter(&self) -> Filters {
        Filters::new().with("label", format!("{CASE_LABEL}={}", self.tag))
    }

    /// A network create request with this case's labels.
    fn network(&self, suffix: &str) -> NetworkCreate {
        NetworkCreate::new(format!("{}-{suffix}", self.tag))
            .driver("bridge")
            .label(TEST_LABEL, "1")
            .label(CASE_LABEL, self.tag.clone())
    }

    /// Creates `options` with a `10.251.<n>.0/24` pool built by `pool` (gateway .1),
    /// retrying with another `n` when the pool is taken: by an existing network (the
    /// daemon says it overlaps) or by another test's create racing this one (its
    /// gateway address is "already in use"). Returns the network and `n`.
    async fn network_with_subnet(
        &self,
        options: NetworkCreate,
        pool: impl Fn(u8) -> IpamPool,
    ) -> (Network, u8) {
        let mut n = random_octet();
        for _ in 0..8 {
            let create = options.clone().ipam(IpamConfig::new().pool(pool(n)));
            match self.docker.networks().create(&create).await {
                Ok(net) => return (net, n),
                Err(e) if pool_taken(&e.to_string()) => n = next_octet(n),
                Err(e) => panic!("create network {}: {e}", options.name),
            }
        }
        panic!("no free 10.251.x.0/24 subnet found");
    }

    /// A started `sleep 300` on the default bridge, with this case's labels.
    async fn sleeper(&self) -> Container {
        self.sleeper_named(None).await
    }

    /// [`Case::sleeper`], named `name` when given.
    async fn sleeper_named(&self, name: Option<&str>) -> Container {
        let body = ContainerCreateBody {
            image: Some(IMAGE.into()),
            cmd: Some(vec!["sleep".into(), "300".into()]),
            labels: Some(HashMap::from([
                (TEST_LABEL.to_string(), "1".to_string()),
                (CASE_LABEL.to_string(), self.tag.clone()),
            ])),
            host_config: Some(HostConfig::default()),
            ..ContainerCreateBody::default()
        };
        let c = self
            .docker
            .containers()
            .create_from_body(name, None, body)
            .await
            .expect("create container");
        assert!(c.start().await.expect("start"));
        c
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        cleanup(&self.tag);
    }
}

/// Removes the containers, then the networks, labelled `berth.test.case=<tag>`. No
/// panics: this runs from `Drop`, maybe while a failed test unwinds.
fn cleanup(tag: &str) {
    let label = format!("label={CASE_LABEL}={tag}");
    for (ls, rm) in [
        (&["ps", "-aq", "--filter"][..], &["rm", "-f"][..]),
        (&["network", "ls", "-q", "--filter"], &["network", "rm"]),
    ] {
        if let Ok(out) = Command::new("docker").args(ls).arg(&label).output() {
            for id in String::from_utf8_lossy(&out.stdout).lines() {
                let _ = Command::new("docker").args(rm).arg(id).output();
            }
        }
    }
}

/// The daemon's answers to a create whose pool another network holds.
fn pool_taken(message: &str) -> bool {
    message.contains("overlap") || message.contains("already in use")
}

/// A third octet for a test network: the first call's is random (another test binary
/// may run beside this one's daemon state), later calls step from it, so the tests of
/// this process running in parallel never pick the same /24.
fn random_octet() -> u8 {
    static BASE: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU8 = AtomicU8::new(0);
    let base = *BASE.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        nanos ^ std::process::id()
    });
    // 37 is prime to 250: 250 calls give 250 different octets.
    let step = u32::from(NEXT.fetch_add(1, Ordering::Relaxed));
    octet(base.wrapping_add(step * 37))
}

/// The octet after `n` when its /24 was taken.
fn next_octet(n: u8) -> u8 {
    octet(u32::from(n) + 101)
}

/// `2..=251`: never 0, 1 or the top of the range.
fn octet(x: u32) -> u8 {
    u8::try_from(x % 250).unwrap_or(0) + 2
}

fn full_pool(n: u8) -> IpamPool {
    IpamPool::new()
        .subnet(format!("10.251.{n}.0/24"))
        .ip_range(format!("10.251.{n}.128/25"))
        .gateway(format!("10.251.{n}.1"))
        .aux_address("reserved", format!("10.251.{n}.200"))
}

fn plain_pool(n: u8) -> IpamPool {
    IpamPool::new()
        .subnet(format!("10.251.{n}.0/24"))
        .gateway(format!("10.251.{n}.1"))
}

#[tokio::test]
async fn create_with_ipam_and_inspect_shows_it() {
    let case = Case::new("net-create").await;
    let mut options = case
        .network("ipam")
        .option("com.docker.network.driver.mtu", "1400");
    options.internal = Some(true);
    options.attachable = Some(true);
    let (mut net, n) = case.network_with_subnet(options.clone(), full_pool).await;

    assert_eq!(net.name(), Some(options.name.as_str()));
    assert_eq!(net.id().len(), 64);
    let a = net.attrs();
    assert_eq!(a.driver.as_deref(), Some("bridge"));
    assert_eq!(a.internal, Some(true));
    assert_eq!(a.attachable, Some(true));
    assert_eq!(a.scope.as_deref(), Some("local"));
    assert_eq!(net.labels()[CASE_LABEL], case.tag);
    assert_eq!(net.labels()[TEST_LABEL], "1");
    assert_eq!(
        a.options.as_ref().expect("Options")["com.docker.network.driver.mtu"],
        "1400"
    );
    let ipam = a.ipam.as_ref().expect("IPAM");
    assert_eq!(ipam.driver.as_deref(), Some("default"));
    let pool = &ipam.config.as_ref().expect("Config")[0];
    assert_eq!(pool.subnet, Some(format!("10.251.{n}.0/24")));
    assert_eq!(pool.ip_range, Some(format!("10.251.{n}.128/25")));
    assert_eq!(pool.gateway, Some(format!("10.251.{n}.1")));
    assert_eq!(
        pool.auxiliary_addresses.as_ref().expect("aux")["reserved"],
        format!("10.251.{n}.200")
    );
    assert!(net.container_ids().is_empty());

    // The docker CLI sees the same network.
    let cli = docker_cli(&[
        "network",
        "inspect",
        "--format",
        "{{.Internal}} {{range .IPAM.Config}}{{.Subnet}}{{end}}",
        net.id(),
    ]);
    assert_eq!(cli, format!("true 10.251.{n}.0/24"));

    net.reload().await.expect("reload");
    assert_eq!(
        net.attrs().attrs["IPAM"]["Config"][0]["Gateway"],
        format!("10.251.{n}.1")
    );
    // verbose inspect is accepted by a local network (it only adds to swarm ones).
    let verbose = case
        .docker
        .networks()
        .get_with(&NetworkInspect {
            verbose: true,
            scope: Some("local".into()),
            ..NetworkInspect::new(net.id())
        })
        .await
        .expect("verbose inspect");
    assert_eq!(verbose.id(), net.id());
}

#[tokio::test]
async fn list_by_name_id_label_and_greedy() {
    let case = Case::new("net-list").await;
    let networks = case.docker.networks();
    let a = networks.create(&case.network("a")).await.expect("create a");
    let b = networks.create(&case.network("b")).await.expect("create b");
    let names = |list: &[Network]| -> Vec<String> {
        let mut v: Vec<String> = list
            .iter()
            .map(|n| n.name().unwrap_or_default().to_owned())
            .collect();
        v.sort();
        v
    };

    let by_name = networks
        .list(
            &NetworkList {
                names: vec![a.name().expect("name").to_owned()],
                ..NetworkList::default()
            },
            false,
        )
        .await
        .expect("list by name");
    assert_eq!(names(&by_name), vec![a.name().expect("name").to_owned()]);

    let by_id = networks
        .list(
            &NetworkList {
                ids: vec![b.id().to_owned()],
                ..NetworkList::default()
            },
            false,
        )
        .await
        .expect("list by id");
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0].id(), b.id());

    let by_label = NetworkList {
        filters: case.label_filter(),
        ..NetworkList::default()
    };
    let listed = networks
        .list(&by_label, false)
        .await
        .expect("list by label");
    assert_eq!(
        names(&listed),
        vec![
            a.name().expect("name").to_owned(),
            b.name().expect("name").to_owned()
        ]
    );

    // Greedy: every item is a full inspect, with its (here empty) Containers.
    let c = case.sleeper().await;
    a.connect(c.id(), &EndpointConfig::new())
        .await
        .expect("connect");
    let greedy = networks.list(&by_label, true).await.expect("greedy list");
    let ga = greedy
        .iter()
        .find(|n| n.id() == a.id())
        .expect("a listed greedily");
    assert_eq!(ga.container_ids(), vec![c.id().to_owned()]);
    let gb = greedy.iter().find(|n| n.id() == b.id()).expect("b listed");
    assert!(gb.attrs().attrs["Containers"].is_object());
    assert!(gb.container_ids().is_empty());

    // Names and a label filter together narrow down (AND across keys).
    let none = networks
        .list(
            &NetworkList {
                names: vec![a.name().expect("name").to_owned()],
                filters: Filters::new().with("label", format!("{CASE_LABEL}=other")),
                ..NetworkList::default()
            },
            false,
        )
        .await
        .expect("list");
    assert!(none.is_empty());
}

#[tokio::test]
async fn connect_with_alias_and_ip_then_disconnect() {
    let case = Case::new("net-connect").await;
    let (net, n) = case
        .network_with_subnet(case.network("conn"), plain_pool)
        .await;
    let name = net.name().expect("name").to_owned();
    let mut c = case.sleeper().await;
    let ip = format!("10.251.{n}.10");
    let alias = format!("db-{n}");
    net.connect(
        c.id(),
        &EndpointConfig::new()
            .alias(alias.clone())
            .ipv4_address(ip.clone()),
    )
    .await
    .expect("connect");

    c.reload().await.expect("reload container");
    let ep = &c.attrs().attrs["NetworkSettings"]["Networks"][&name];
    assert_eq!(ep["IPAddress"], ip.as_str(), "{ep}");
    assert_eq!(ep["IPAMConfig"]["IPv4Address"], ip.as_str());
    let aliases: Vec<&str> = ep["Aliases"]
        .as_array()
        .expect("Aliases")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(aliases.contains(&alias.as_str()), "{aliases:?}");
    let out = c.exec_run(["ip", "addr"]).await.expect("exec ip addr");
    assert_eq!(out.exit_code, Some(0));
    let text = String::from_utf8_lossy(&out.output.stdout).into_owned();
    assert!(text.contains(&format!("inet {ip}/24")), "{text}");

    let mut net = net;
    net.reload().await.expect("reload network");
    assert_eq!(net.container_ids(), vec![c.id().to_owned()]);
    let attached = net.containers().await.expect("containers");
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].id(), c.id());
    assert_eq!(
        net.attrs().containers.as_ref().expect("Containers")[c.id()]
            .ipv4_address
            .as_deref(),
        Some(format!("{ip}/24").as_str())
    );

    // Connecting twice: the daemon refuses.
    let e = net
        .connect(c.id(), &EndpointConfig::new())
        .await
        .expect_err("already connected");
    assert_eq!(e.category(), Category::Forbidden, "{e}");

    net.disconnect(c.id(), true).await.expect("disconnect");
    c.reload().await.expect("reload container");
    assert!(
        c.attrs().attrs["NetworkSettings"]["Networks"]
            .get(&name)
            .is_none()
    );
    net.reload().await.expect("reload network");
    assert!(net.container_ids().is_empty());
    // Not connected: 20.10 answers 500 (a daemon quirk), with a clear message.
    let e = net
        .disconnect(c.id(), false)
        .await
        .expect_err("not connected");
    assert!(
        e.kind()
            .daemon_message()
            .is_some_and(|m| m.contains("is not connected to network")),
        "{e}"
    );

    // `Force` reaches the daemon: an unknown container is then looked up as an
    // endpoint name instead of as a container.
    let ghost = unique("ghost");
    let e = net
        .disconnect(&ghost, false)
        .await
        .expect_err("no container");
    assert_eq!(
        e.kind().daemon_message(),
        Some(format!("No such container: {ghost}").as_str())
    );
    let e = net.disconnect(&ghost, true).await.expect_err("no endpoint");
    assert!(e.is_not_found(), "{e}");
    assert_eq!(
        e.kind().daemon_message(),
        Some(format!("endpoint {ghost} not found").as_str())
    );
}

#[tokio::test]
async fn connect_with_link_link_local_ip_and_driver_opt() {
    let case = Case::new("net-link").await;
    let (net, n) = case
        .network_with_subnet(case.network("link"), plain_pool)
        .await;
    let name = net.name().expect("name").to_owned();
    let target_name = format!("{}-target", case.tag);
    let mut target = case.sleeper_named(Some(&target_name)).await;
    net.connect(target.id(), &EndpointConfig::new())
        .await
        .expect("connect the link target");
    target.reload().await.expect("reload target");
    let target_ip = target.attrs().attrs["NetworkSettings"]["Networks"][&name]["IPAddress"]
        .as_str()
        .expect("the target's address")
        .to_owned();

    let mut c = case.sleeper().await;
    let link_local = format!("169.254.{n}.7");
    net.connect(
        c.id(),
        &EndpointConfig::new()
            .link(target_name.clone(), Some("peer"))
            .link_local_ips([link_local.clone()])
            .driver_opt("com.example.berth-test", "on"),
    )
    .await
    .expect("connect with a link, a link-local address and a driver option");

    // What the daemon recorded for the endpoint.
    c.reload().await.expect("reload");
    let ep = &c.attrs().attrs["NetworkSettings"]["Networks"][&name];
    assert_eq!(
        ep["Links"],
        serde_json::json!([format!("{target_name}:peer")]),
        "{ep}"
    );
    assert_eq!(
        ep["IPAMConfig"]["LinkLocalIPs"],
        serde_json::json!([link_local.clone()]),
        "{ep}"
    );
    assert_eq!(
        ep["DriverOpts"],
        serde_json::json!({"com.example.berth-test": "on"}),
        "{ep}"
    );

    // The link-local address is on the container's interface (a /16, 169.254.0.0/16).
    let out = c.exec_run(["ip", "addr"]).await.expect("exec ip addr");
    let text = String::from_utf8_lossy(&out.output.stdout).into_owned();
    assert!(text.contains(&format!("inet {link_local}/16")), "{text}");
    // On a user-defined network a link is a DNS alias of the target, served by the
    // embedded resolver only to the linking container.
    let out = c
        .exec_run(["nslookup", "peer", "127.0.0.11"])
        .await
        .expect("exec nslookup");
    let text = String::from_utf8_lossy(&out.output.stdout).into_owned();
    assert_eq!(out.exit_code, Some(0), "{text}");
    assert!(text.contains(&format!("Address: {target_ip}")), "{text}");
    let out = target
        .exec_run(["nslookup", "peer", "127.0.0.11"])
        .await
        .expect("exec nslookup in the target");
    let text = String::from_utf8_lossy(&out.output.stdout).into_owned();
    assert!(
        !text.contains(&format!("Address: {target_ip}")),
        "the alias is the linking container's only: {text}"
    );
}

#[tokio::test]
async fn endpoint_mac_address_is_refused_before_1_44() {
    // Daemons before API 1.44 accept `EndpointSettings.MacAddress` and ignore it
    // (moby 20.10 applies only the container-wide `Config.MacAddress`): berth refuses
    // it there, before anything is sent.
    let case = Case::new("net-mac").await;
    let api = case.docker.api_version().await.expect("api version");
    let net = case
        .docker
        .networks()
        .create(&case.network("mac"))
        .await
        .expect("create");
    let name = net.name().expect("name").to_owned();
    let mut c = case.sleeper().await;
    let mac = "02:42:be:47:00:01";
    let connected = net
        .connect(c.id(), &EndpointConfig::new().mac_address(mac))
        .await;
    c.reload().await.expect("reload");
    let ep = &c.attrs().attrs["NetworkSettings"]["Networks"][&name];
    if api < berth::ApiVersion::new(1, 44) {
        let e = connected.expect_err("refused locally");
        assert_eq!(e.category(), Category::UnsupportedApiVersion, "{e}");
        assert!(e.to_string().contains("1.44"), "{e}");
        assert!(ep.is_null(), "nothing was sent: {ep}");
    } else {
        connected.expect("connect with a MAC address");
        assert_eq!(ep["MacAddress"], mac, "{ep}");
    }
}

#[tokio::test]
async fn ipv6_network_gives_containers_a_fixed_v6_address() {
    let case = Case::new("net-v6").await;
    // Find a free v4 subnet with a probe network, then create the dual-stack one there.
    let (probe, n) = case
        .network_with_subnet(case.network("v6probe"), plain_pool)
        .await;
    probe.remove().await.expect("remove the probe");
    let v6_subnet = format!("fd00:be47:{n:x}::/64");
    let net = case
        .docker
        .networks()
        .create(
            &NetworkCreate {
                enable_ipv6: Some(true),
                ..case.network("v6")
            }
            .ipam(
                IpamConfig::new()
                    .pool(plain_pool(n))
                    .pool(IpamPool::new().subnet(v6_subnet.clone())),
            ),
        )
        .await
        .expect("create an IPv6 network");
    let name = net.name().expect("name").to_owned();
    assert_eq!(net.attrs().attrs["EnableIPv6"], true);
    let subnets: Vec<&str> = net.attrs().attrs["IPAM"]["Config"]
        .as_array()
        .expect("IPAM.Config")
        .iter()
        .filter_map(|c| c["Subnet"].as_str())
        .collect();
    assert!(subnets.contains(&v6_subnet.as_str()), "{subnets:?}");

    let mut c = case.sleeper().await;
    let ip6 = format!("fd00:be47:{n:x}::10");
    net.connect(c.id(), &EndpointConfig::new().ipv6_address(ip6.clone()))
        .await
        .expect("connect with a fixed IPv6 address");
    c.reload().await.expect("reload");
    let ep = &c.attrs().attrs["NetworkSettings"]["Networks"][&name];
    assert_eq!(ep["GlobalIPv6Address"], ip6.as_str(), "{ep}");
    let out = c.exec_run(["ip", "-6", "addr"]).await.expect("exec");
    let text = String::from_utf8_lossy(&out.output.stdout).into_owned();
    assert!(text.contains(&ip6), "{text}");
}

#[tokio::test]
async fn remove_and_the_daemons_errors() {
    let case = Case::new("net-rm").await;
    let networks = case.docker.networks();
    let options = case.network("rm");
    let net = networks.create(&options).await.expect("create");

    // A taken name: Conflict (berth asks the 1.41 daemon to check).
    let e = networks.create(&options).await.expect_err("duplicate");
    assert_eq!(e.category(), Category::Conflict, "{e}");
    assert_eq!(
        e.kind().daemon_message(),
        Some(format!("network with name {} already exists", options.name).as_str())
    );

    // In use: the daemon refuses to remove it.
    let c = case.sleeper().await;
    net.connect(c.id(), &EndpointConfig::new())
        .await
        .expect("connect");
    let e = net.remove().await.expect_err("active endpoints");
    assert_eq!(e.category(), Category::Forbidden, "{e}");
    assert!(
        e.kind()
            .daemon_message()
            .is_some_and(|m| m.contains("active endpoints")),
        "{e}"
    );
    net.disconnect(c.id(), false).await.expect("disconnect");

    net.remove().await.expect("remove");
    let e = networks.get(net.id()).await.expect_err("gone");
    assert!(e.is_not_found(), "{e}");
    assert_eq!(
        e.kind().daemon_message(),
        Some(format!("network {} not found", net.id()).as_str())
    );

    let e = networks
        .get("bridge")
        .await
        .expect("bridge")
        .remove()
        .await
        .expect_err("predefined");
    assert_eq!(e.category(), Category::Forbidden);
    assert_eq!(e.status(), Some(403));
    assert_eq!(
        e.kind().daemon_message(),
        Some("bridge is a pre-defined network and cannot be removed")
    );

    // A static address needs a network with a user-configured subnet.
    let plain = networks
        .create(&case.network("plain"))
        .await
        .expect("create");
    let e = plain
        .connect(c.id(), &EndpointConfig::new().ipv4_address("10.251.0.9"))
        .await
        .expect_err("no user subnet");
    assert_eq!(e.category(), Category::BadRequest, "{e}");

    let e = networks
        .get(&unique("no-such-net"))
        .await
        .expect_err("unknown");
    assert_eq!(e.category(), Category::NotFound);
}

#[tokio::test]
async fn duplicate_without_check_is_created_with_a_warning_on_1_41() {
    let case = Case::new("net-dup").await;
    let api = case.docker.api_version().await.expect("api version");
    let mut options = case.network("dup");
    case.docker.execute(&options).await.expect("first");
    options.check_duplicate = Some(false);
    let second = case.docker.execute(&options).await;
    if api < berth::ApiVersion::new(1, 44) {
        // Daemons before 1.44 allow it when not asked to check, and say so.
        let second = second.expect("second network");
        assert!(second.warning.contains("already exists"), "{second:?}");
        let e = case
            .docker
            .networks()
            .get(&options.name)
            .await
            .expect_err("ambiguous name");
        assert_eq!(e.category(), Category::BadRequest, "{e}");
        assert!(e.to_string().contains("ambiguous"), "{e}");
    } else {
        let e = second.expect_err("always checked from 1.44");
        assert_eq!(e.category(), Category::Conflict);
    }
}

#[tokio::test]
async fn prune_removes_only_this_cases_unused_networks() {
    let case = Case::new("net-prune").await;
    let other = Case::new("net-prune-other").await;
    let networks = case.docker.networks();
    let unused = networks
        .create(&case.network("unused"))
        .await
        .expect("create unused");
    let used = networks
        .create(&case.network("used"))
        .await
        .expect("create used");
    let c = case.sleeper().await;
    used.connect(c.id(), &EndpointConfig::new())
        .await
        .expect("connect");
    let foreign = networks
        .create(&other.network("foreign"))
        .await
        .expect("create foreign");

    let pruned = networks.prune(&case.label_filter()).await.expect("prune");
    assert_eq!(
        NetworkPrune::deleted(&pruned),
        [unused.name().expect("name").to_owned()]
    );
    assert!(
        networks
            .get(unused.id())
            .await
            .expect_err("pruned")
            .is_not_found()
    );
    networks.get(used.id()).await.expect("in use: kept");
    networks.get(foreign.id()).await.expect("other label: kept");

    // Nothing left to prune: `NetworksDeleted` is null on 20.10, read as empty.
    let again = networks.prune(&case.label_filter()).await.expect("prune");
    assert!(NetworkPrune::deleted(&again).is_empty());
}

#[test]
fn blocking_client_creates_connects_and_removes() {
    let tag = unique("net-blocking");
    let docker = berth::blocking::Docker::from_env().expect("client");
    let guard = GuardLabel(tag.clone());
    let net = docker
        .networks()
        .create(
            &NetworkCreate::new(tag.clone())
                .label(TEST_LABEL, "1")
                .label(CASE_LABEL, tag.clone()),
        )
        .expect("create");
    let id = docker_cli(&[
        "run",
        "-d",
        "--label",
        "berth.test=1",
        "--label",
        &format!("{CASE_LABEL}={tag}"),
        IMAGE,
        "sleep",
        "300",
    ]);
    net.connect(&id, &EndpointConfig::new().alias("blk"))
        .expect("connect");
    let mut net = net;
    net.reload().expect("reload");
    assert_eq!(net.container_ids(), vec![id.clone()]);
    assert_eq!(net.containers().expect("containers")[0].id(), id);
    net.disconnect(&id, false).expect("disconnect");
    let listed = docker
        .networks()
        .list(
            &NetworkList {
                filters: Filters::new().with("label", format!("{CASE_LABEL}={tag}")),
                ..NetworkList::default()
            },
            true,
        )
        .expect("list");
    assert_eq!(listed.len(), 1);
    net.remove().expect("remove");
    assert!(
        docker
            .networks()
            .get(&tag)
            .expect_err("gone")
            .is_not_found()
    );
    drop(guard);
}

/// Runs [`cleanup`] on drop.
struct GuardLabel(String);

impl Drop for GuardLabel {
    fn drop(&mut self) {
        cleanup(&self.0);
    }
}
