//! docker-py's `IPAMConfig` and `IPAMPool`: a network's address management as builders
//! that produce the wire models ([`models::Ipam`], [`models::IpamConfig`]).

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::models;

/// One address pool of a network (docker-py's `IPAMPool`): a subnet, the range
/// containers get addresses from, the gateway and reserved auxiliary addresses.
///
/// Addresses are checked locally (CIDR for `subnet`/`ip_range`, a plain address for
/// the gateway and auxiliary addresses); whether they fit together is the daemon's to
/// say.
///
/// ```
/// use berth_core::api::networks::IpamPool;
/// let pool = IpamPool::new()
///     .subnet("10.20.0.0/16")
///     .ip_range("10.20.5.0/24")
///     .gateway("10.20.5.254")
///     .aux_address("router", "10.20.1.1")
///     .to_model()?;
/// assert_eq!(pool.ip_range.as_deref(), Some("10.20.5.0/24"));
/// assert_eq!(pool.auxiliary_addresses.unwrap()["router"], "10.20.1.1");
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpamPool {
    subnet: Option<String>,
    ip_range: Option<String>,
    gateway: Option<String>,
    aux_addresses: BTreeMap<String, String>,
}

impl IpamPool {
    /// An empty pool (the daemon picks a subnet).
    pub fn new() -> IpamPool {
        IpamPool::default()
    }

    /// The subnet in CIDR form (`Subnet`), e.g. `10.20.0.0/16` or `fd00:20::/64`.
    pub fn subnet(mut self, cidr: impl Into<String>) -> IpamPool {
        self.subnet = Some(cidr.into());
        self
    }

    /// The sub-range containers get addresses from (`IPRange`, CIDR; docker-py's
    /// `iprange`).
    pub fn ip_range(mut self, cidr: impl Into<String>) -> IpamPool {
        self.ip_range = Some(cidr.into());
        self
    }

    /// The gateway address (`Gateway`).
    pub fn gateway(mut self, ip: impl Into<String>) -> IpamPool {
        self.gateway = Some(ip.into());
        self
    }

    /// An address the IPAM driver must not hand out, under a name
    /// (`AuxiliaryAddresses`; docker-py's `aux_addresses`).
    pub fn aux_address(mut self, name: impl Into<String>, ip: impl Into<String>) -> IpamPool {
        self.aux_addresses.insert(name.into(), ip.into());
        self
    }

    /// The wire form; fails on an address that is not one.
    pub fn to_model(&self) -> Result<models::IpamConfig> {
        for (what, cidr) in [("subnet", &self.subnet), ("ip_range", &self.ip_range)] {
            if let Some(c) = cidr {
                check_cidr(what, c)?;
            }
        }
        if let Some(g) = &self.gateway {
            check_ip("gateway", g)?;
        }
        for (name, ip) in &self.aux_addresses {
            check_ip(&format!("aux address {name:?}"), ip)?;
        }
        Ok(models::IpamConfig {
            subnet: self.subnet.clone(),
            ip_range: self.ip_range.clone(),
            gateway: self.gateway.clone(),
            auxiliary_addresses: (!self.aux_addresses.is_empty())
                .then(|| self.aux_addresses.clone().into_iter().collect()),
        })
    }
}

/// A network's IP address management (docker-py's `IPAMConfig`): the IPAM driver
/// (`default` unless set), its pools and driver options.
///
/// Without pools the `Config` list is sent empty (edge case 160), so the daemon
/// allocates a subnet from its default pools.
///
/// ```
/// use berth_core::api::networks::{IpamConfig, IpamPool};
/// let ipam = IpamConfig::new().pool(IpamPool::new().subnet("10.30.0.0/24")).to_model()?;
/// assert_eq!(ipam.driver.as_deref(), Some("default"));
/// assert_eq!(ipam.config.unwrap()[0].subnet.as_deref(), Some("10.30.0.0/24"));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpamConfig {
    driver: String,
    pools: Vec<IpamPool>,
    options: BTreeMap<String, String>,
}

impl Default for IpamConfig {
    fn default() -> IpamConfig {
        IpamConfig {
            driver: "default".into(),
            pools: Vec::new(),
            options: BTreeMap::new(),
        }
    }
}

impl IpamConfig {
    /// The `default` IPAM driver with no pools.
    pub fn new() -> IpamConfig {
        IpamConfig::default()
    }

    /// The IPAM driver (`Driver`).
    pub fn driver(mut self, driver: impl Into<String>) -> IpamConfig {
        self.driver = driver.into();
        self
    }

    /// Adds an address pool (docker-py's `pool_configs`).
    pub fn pool(mut self, pool: IpamPool) -> IpamConfig {
        self.pools.push(pool);
        self
    }

    /// An IPAM driver option (`Options`).
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> IpamConfig {
        self.options.insert(key.into(), value.into());
        self
    }

    /// The wire form.
    pub fn to_model(&self) -> Result<models::Ipam> {
        if self.driver.is_empty() {
            return Err(Error::InvalidArgument(
                "IPAM driver is empty; use \"default\" or the name of an IPAM plugin".into(),
            ));
        }
        Ok(models::Ipam {
            driver: Some(self.driver.clone()),
            config: Some(
                self.pools
                    .iter()
                    .map(IpamPool::to_model)
                    .collect::<Result<_>>()?,
            ),
            options: (!self.options.is_empty()).then(|| self.options.clone().into_iter().collect()),
        })
    }
}

fn check_ip(what: &str, ip: &str) -> Result<()> {
    ip.parse::<IpAddr>().map(|_| ()).map_err(|_| {
        Error::InvalidArgument(format!(
            "IPAM {what} {ip:?} is not an IP address (e.g. 10.1.0.1 or fd00::1)"
        ))
    })
}

fn check_cidr(what: &str, cidr: &str) -> Result<()> {
    let bad = || {
        Error::InvalidArgument(format!(
            "IPAM {what} {cidr:?} is not in CIDR form (e.g. 10.1.0.0/24 or fd00::/64)"
        ))
    };
    let (ip, len) = cidr.split_once('/').ok_or_else(bad)?;
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if len > max { Err(bad()) } else { Ok(()) }
}
