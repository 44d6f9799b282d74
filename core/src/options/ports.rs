//! Exposed ports and port bindings, typed and in the CLI's `-p` notation.
//!
//! docker-py accepts port bindings as ints, strings, `None`, `(ip, port)`, `(ip,)`,
//! dicts and lists of those; here each form is a [`HostBinding`] value, and the
//! `-p` grammar `[ip:][host_port[-end]:]container_port[-end][/proto]` (docker-py's
//! `split_port`) is [`PortSpec`]. [`PortBindings`] collects them into the Engine's
//! `PortBindings` map, whose `HostPort` is always a string (`""` = random port).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::models;

/// The transport protocol of a container port. Defaults to TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Protocol {
    /// `tcp`.
    #[default]
    Tcp,
    /// `udp`.
    Udp,
    /// `sctp` (docker-py 4.x; Engine 1.25+).
    Sctp,
}

impl Protocol {
    /// The wire spelling: `tcp`, `udp` or `sctp`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Protocol {
    type Err = Error;

    fn from_str(s: &str) -> Result<Protocol> {
        match s {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            "sctp" => Ok(Protocol::Sctp),
            _ => Err(Error::InvalidArgument(format!(
                "port protocol {s:?}: expected \"tcp\", \"udp\" or \"sctp\""
            ))),
        }
    }
}

/// A container port and its protocol: the key of `ExposedPorts` and `PortBindings`
/// (`"80/tcp"`).
///
/// ```
/// use berth_core::options::{ContainerPort, Protocol};
/// assert_eq!(ContainerPort::from(80).to_string(), "80/tcp");
/// assert_eq!("53/udp".parse::<ContainerPort>()?, ContainerPort::new(53, Protocol::Udp));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerPort {
    port: u16,
    protocol: Protocol,
}

impl ContainerPort {
    /// `port/protocol`.
    pub const fn new(port: u16, protocol: Protocol) -> ContainerPort {
        ContainerPort { port, protocol }
    }

    /// `port/tcp`.
    pub const fn tcp(port: u16) -> ContainerPort {
        ContainerPort::new(port, Protocol::Tcp)
    }

    /// `port/udp`.
    pub const fn udp(port: u16) -> ContainerPort {
        ContainerPort::new(port, Protocol::Udp)
    }

    /// `port/sctp`.
    pub const fn sctp(port: u16) -> ContainerPort {
        ContainerPort::new(port, Protocol::Sctp)
    }

    /// The port number.
    pub const fn port(self) -> u16 {
        self.port
    }

    /// The protocol.
    pub const fn protocol(self) -> Protocol {
        self.protocol
    }

    /// Parses `port[-end][/proto]` into every port of the range (the CLI's `--expose`).
    pub fn parse_range(spec: &str) -> Result<Vec<ContainerPort>> {
        let err = |why: String| {
            Error::InvalidArgument(format!(
                "exposed port {spec:?}: {why}; expected port[-end][/tcp|udp|sctp]"
            ))
        };
        let (ports, protocol) = split_protocol(spec).map_err(|e| err(e.to_string()))?;
        let (start, end) = port_range(ports, "port").map_err(err)?;
        if start == 0 {
            return Err(err("port 0 is not a container port".into()));
        }
        Ok((start..=end)
            .map(|p| ContainerPort::new(p, protocol))
            .collect())
    }
}

impl From<u16> for ContainerPort {
    fn from(port: u16) -> ContainerPort {
        ContainerPort::tcp(port)
    }
}

impl From<(u16, Protocol)> for ContainerPort {
    fn from((port, protocol): (u16, Protocol)) -> ContainerPort {
        ContainerPort::new(port, protocol)
    }
}

impl fmt::Display for ContainerPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol)
    }
}

impl FromStr for ContainerPort {
    type Err = Error;

    /// `"80"` (TCP), `"53/udp"`, `"132/sctp"`. A protocol already present is kept, never
    /// suffixed twice.
    fn from_str(s: &str) -> Result<ContainerPort> {
        let ports = ContainerPort::parse_range(s)?;
        match ports.as_slice() {
            [one] => Ok(*one),
            _ => Err(Error::InvalidArgument(format!(
                "exposed port {s:?}: expected one port, not a range"
            ))),
        }
    }
}

/// Splits `/proto` off a port spec (TCP when absent).
fn split_protocol(spec: &str) -> Result<(&str, Protocol)> {
    match spec.rsplit_once('/') {
        Some((ports, proto)) => Ok((ports, proto.parse()?)),
        None => Ok((spec, Protocol::Tcp)),
    }
}

/// A port number, with a message naming `what` when it is not one.
fn port_number(s: &str, what: &str) -> std::result::Result<u16, String> {
    if s.is_empty() {
        return Err(format!("{what} is missing"));
    }
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("{what} {s:?} is not a number"));
    }
    s.parse::<u16>()
        .map_err(|_| format!("{what} {s:?} is out of range (0-65535)"))
}

/// `start[-end]` → inclusive range, `start <= end`.
fn port_range(s: &str, what: &str) -> std::result::Result<(u16, u16), String> {
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port_number(a, what)?, port_number(b, what)?);
            if a > b {
                return Err(format!("{what} range {s:?} ends before it starts"));
            }
            Ok((a, b))
        }
        None => port_number(s, what).map(|p| (p, p)),
    }
}

/// The host side of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HostPort {
    /// A port the daemon picks (`HostPort: ""`; docker-py's `None`).
    #[default]
    Random,
    /// This host port.
    Port(u16),
    /// Any free port of this inclusive range (`HostPort: "8000-8010"`), for a single
    /// container port.
    Range(u16, u16),
}

impl fmt::Display for HostPort {
    /// The `HostPort` string of the wire.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPort::Random => Ok(()),
            HostPort::Port(p) => write!(f, "{p}"),
            HostPort::Range(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

/// Where a container port is published on the host: one entry of a `PortBindings`
/// list. Covers every docker-py binding value: `None` → [`HostBinding::random`], int →
/// [`HostBinding::port`], `(ip, port)` → [`HostBinding::ip_port`], `(ip,)` and
/// `(ip, None)` → [`HostBinding::ip`], `"8000-8010"` → [`HostBinding::range`]; a list
/// of them is several bindings of one container port.
///
/// ```
/// use berth_core::options::HostBinding;
/// let b = HostBinding::ip_port("127.0.0.1", 8080).to_model();
/// assert_eq!(b.host_ip.as_deref(), Some("127.0.0.1"));
/// assert_eq!(b.host_port.as_deref(), Some("8080"));
/// assert_eq!(HostBinding::random().to_model().host_port.as_deref(), Some(""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HostBinding {
    ip: Option<String>,
    port: HostPort,
}

impl HostBinding {
    /// A random host port on every address.
    pub fn random() -> HostBinding {
        HostBinding::default()
    }

    /// Host port `port` on every address.
    pub fn port(port: u16) -> HostBinding {
        HostBinding {
            ip: None,
            port: HostPort::Port(port),
        }
    }

    /// Any free host port in `start..=end` (for one container port). Errors when the
    /// range is reversed.
    pub fn range(start: u16, end: u16) -> Result<HostBinding> {
        if start > end {
            return Err(Error::InvalidArgument(format!(
                "host port range {start}-{end} ends before it starts"
            )));
        }
        Ok(HostBinding {
            ip: None,
            port: HostPort::Range(start, end),
        })
    }

    /// A random port on host address `ip` (IPv4 or IPv6, without brackets).
    pub fn ip(ip: impl Into<String>) -> HostBinding {
        HostBinding {
            ip: Some(ip.into()),
            port: HostPort::Random,
        }
    }

    /// Host port `port` on address `ip`.
    pub fn ip_port(ip: impl Into<String>, port: u16) -> HostBinding {
        HostBinding {
            ip: Some(ip.into()),
            port: HostPort::Port(port),
        }
    }

    /// The same binding restricted to address `ip`.
    pub fn with_ip(mut self, ip: impl Into<String>) -> HostBinding {
        self.ip = Some(ip.into());
        self
    }

    /// The host address, if restricted to one.
    pub fn host_ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }

    /// The host port.
    pub fn host_port(&self) -> HostPort {
        self.port
    }

    /// The wire form: `{"HostIp": ip or "", "HostPort": "8080" | "" | "8000-8010"}`.
    pub fn to_model(&self) -> models::PortBinding {
        models::PortBinding {
            host_ip: Some(self.ip.clone().unwrap_or_default()),
            host_port: Some(self.port.to_string()),
        }
    }
}

impl From<u16> for HostBinding {
    fn from(port: u16) -> HostBinding {
        HostBinding::port(port)
    }
}

/// Parses a host IP, with or without IPv6 brackets.
fn host_ip(s: &str, ctx: &dyn Fn(String) -> Error) -> Result<String> {
    let bare = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    if bare.is_empty() {
        return Err(ctx("the host IP is empty".into()));
    }
    bare.parse::<IpAddr>()
        .map_err(|_| ctx(format!("host IP {bare:?} is not an IPv4 or IPv6 address")))?;
    Ok(bare.to_owned())
}

fn host_port(s: &str) -> std::result::Result<HostPort, String> {
    if s.is_empty() {
        return Ok(HostPort::Random);
    }
    let (a, b) = port_range(s, "host port")?;
    Ok(if s.contains('-') {
        HostPort::Range(a, b)
    } else {
        HostPort::Port(a)
    })
}

impl FromStr for HostBinding {
    type Err = Error;

    /// `""` (random), `"8080"`, `"8000-8010"`, `"127.0.0.1"`, `"127.0.0.1:8080"`,
    /// `"127.0.0.1:"`, `"::1"`, `"[::1]:8080"`.
    fn from_str(s: &str) -> Result<HostBinding> {
        let ctx = |why: String| {
            Error::InvalidArgument(format!(
                "host binding {s:?}: {why}; expected [ip:][port[-end]], IPv6 as [::1]:port"
            ))
        };
        if s.parse::<IpAddr>().is_ok() {
            return Ok(HostBinding::ip(s));
        }
        let (ip, port) = if let Some(after) = s.strip_prefix('[') {
            let (ip, tail) = after
                .split_once(']')
                .ok_or_else(|| ctx("unclosed '['".into()))?;
            let port = match tail {
                "" => "",
                _ => tail
                    .strip_prefix(':')
                    .ok_or_else(|| ctx("expected ':' after ']'".into()))?,
            };
            (Some(host_ip(ip, &ctx)?), port)
        } else if let Some((ip, port)) = s.rsplit_once(':') {
            (Some(host_ip(ip, &ctx)?), port)
        } else if s.contains('.') {
            (Some(host_ip(s, &ctx)?), "")
        } else {
            (None, s)
        };
        Ok(HostBinding {
            ip,
            port: host_port(port).map_err(ctx)?,
        })
    }
}

/// One `-p` spec: `[ip:][host_port[-end]:]container_port[-end][/proto]` (docker-py's
/// `split_port`), with IPv6 host addresses in brackets (`[::1]:80:80`).
///
/// A container range binds port by port to an equally long host range; a single
/// container port with a host range keeps the range (`8000-8010:80` → any free port of
/// the range); no host port means a random one. Lengths that do not match are an
/// error.
///
/// ```
/// use berth_core::options::{ContainerPort, HostBinding, PortSpec};
/// let spec: PortSpec = "127.0.0.1:1000-1001:2000-2001/udp".parse()?;
/// assert_eq!(spec.bindings(), vec![
///     (ContainerPort::udp(2000), HostBinding::ip_port("127.0.0.1", 1000)),
///     (ContainerPort::udp(2001), HostBinding::ip_port("127.0.0.1", 1001)),
/// ]);
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortSpec {
    container: (u16, u16),
    protocol: Protocol,
    host: HostBinding,
}

impl PortSpec {
    /// The container ports of the spec.
    pub fn container_ports(&self) -> Vec<ContainerPort> {
        (self.container.0..=self.container.1)
            .map(|p| ContainerPort::new(p, self.protocol))
            .collect()
    }

    /// The host side as written (for a container range, the whole host range).
    pub fn host(&self) -> &HostBinding {
        &self.host
    }

    /// One `(container port, host binding)` pair per container port.
    pub fn bindings(&self) -> Vec<(ContainerPort, HostBinding)> {
        let ports = self.container_ports();
        let ranged = ports.len() > 1;
        ports
            .into_iter()
            .enumerate()
            .map(|(i, cport)| {
                let mut binding = self.host.clone();
                if let (true, HostPort::Range(start, _)) = (ranged, binding.port) {
                    let offset = u16::try_from(i).unwrap_or(u16::MAX);
                    binding.port = HostPort::Port(start.saturating_add(offset));
                }
                (cport, binding)
            })
            .collect()
    }
}

impl FromStr for PortSpec {
    type Err = Error;

    fn from_str(spec: &str) -> Result<PortSpec> {
        let ctx = |why: String| {
            Error::InvalidArgument(format!(
                "port spec {spec:?}: {why}; expected \
                 [ip:][host_port[-end]:]container_port[-end][/tcp|udp|sctp]"
            ))
        };
        let (rest, protocol) = split_protocol(spec).map_err(|e| ctx(e.to_string()))?;
        // A bracketed IPv6 address must be followed by the host port part.
        let (ip, rest) = match rest.strip_prefix('[') {
            Some(after) => {
                let (ip, tail) = after
                    .split_once(']')
                    .ok_or_else(|| ctx("unclosed '[' around the host IP".into()))?;
                let tail = tail
                    .strip_prefix(':')
                    .filter(|t| t.contains(':'))
                    .ok_or_else(|| {
                        ctx("a bracketed host IP needs host_port:container_port after it".into())
                    })?;
                (Some(host_ip(ip, &ctx)?), tail)
            }
            None => (None, rest),
        };
        let (prefix, container) = match rest.rsplit_once(':') {
            Some((p, c)) => (Some(p), c),
            None => (None, rest),
        };
        let (ip, hport) = match (ip, prefix) {
            (Some(ip), Some(p)) => (Some(ip), p),
            (None, Some(p)) => match p.rsplit_once(':') {
                Some((addr, port)) => (Some(host_ip(addr, &ctx)?), port),
                None => (None, p),
            },
            (_, None) => (None, ""),
        };
        let container = port_range(container, "container port").map_err(ctx)?;
        if container.0 == 0 {
            return Err(ctx("port 0 is not a container port".into()));
        }
        let port = host_port(hport).map_err(ctx)?;
        let n = u32::from(container.1 - container.0) + 1;
        match port {
            HostPort::Port(_) if n > 1 => {
                return Err(ctx(format!(
                    "port ranges don't match in length: 1 host port for {n} container ports"
                )));
            }
            HostPort::Range(a, b) if n > 1 && u32::from(b - a) + 1 != n => {
                return Err(ctx(format!(
                    "port ranges don't match in length: {} host ports for {n} container ports",
                    u32::from(b - a) + 1
                )));
            }
            _ => {}
        }
        Ok(PortSpec {
            container,
            protocol,
            host: HostBinding { ip, port },
        })
    }
}

/// The `PortBindings` of a container: container ports and where each is published.
///
/// ```
/// use berth_core::options::{ContainerPort, HostBinding, PortBindings};
/// let mut ports = PortBindings::new();
/// ports.publish("8080:80")?;
/// ports.add(ContainerPort::udp(53), HostBinding::random());
/// let map = ports.to_model();
/// let b = &map["80/tcp"].as_ref().expect("bound")[0];
/// assert_eq!(b.host_port.as_deref(), Some("8080"));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortBindings(BTreeMap<ContainerPort, Vec<HostBinding>>);

impl PortBindings {
    /// No bindings.
    pub fn new() -> PortBindings {
        PortBindings::default()
    }

    /// Publishes `port` at `binding` (in addition to earlier bindings of that port).
    pub fn add(&mut self, port: impl Into<ContainerPort>, binding: HostBinding) {
        self.0.entry(port.into()).or_default().push(binding);
    }

    /// Publishes every port of a `-p` spec (see [`PortSpec`]).
    pub fn publish(&mut self, spec: &str) -> Result<()> {
        for (port, binding) in spec.parse::<PortSpec>()?.bindings() {
            self.add(port, binding);
        }
        Ok(())
    }

    /// Whether nothing is published.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The published container ports, in order.
    pub fn ports(&self) -> impl Iterator<Item = ContainerPort> + '_ {
        self.0.keys().copied()
    }

    /// The bindings of one container port.
    pub fn get(&self, port: ContainerPort) -> Option<&[HostBinding]> {
        self.0.get(&port).map(Vec::as_slice)
    }

    /// The wire form: `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`.
    pub fn to_model(&self) -> models::PortMap {
        self.0
            .iter()
            .map(|(port, bindings)| {
                let list = bindings.iter().map(HostBinding::to_model).collect();
                (port.to_string(), Some(list))
            })
            .collect()
    }
}

/// docker-py's `build_port_bindings` + `convert_port_bindings` for `-p` specs.
///
/// ```
/// let map = berth_core::options::port_bindings(["8000-8001:80-81", "[::1]:53:53/udp"])?;
/// assert_eq!(map.len(), 3);
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn port_bindings<'a>(specs: impl IntoIterator<Item = &'a str>) -> Result<models::PortMap> {
    let mut ports = PortBindings::new();
    for spec in specs {
        ports.publish(spec)?;
    }
    Ok(ports.to_model())
}

/// The `ExposedPorts` keys for these ports, sorted and without duplicates.
pub fn exposed_ports(ports: impl IntoIterator<Item = ContainerPort>) -> Vec<String> {
    let mut ports: Vec<ContainerPort> = ports.into_iter().collect();
    ports.sort();
    ports.dedup();
    ports.iter().map(ToString::to_string).collect()
}
