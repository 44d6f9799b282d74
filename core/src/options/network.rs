//! Endpoint settings for a network a container joins (docker-py's
//! `create_endpoint_config`), used in `NetworkingConfig.EndpointsConfig` and by
//! network connect.

use std::collections::HashMap;

use super::env::link;
use crate::error::Result;
use crate::models;
use crate::version::ApiVersion;

/// API version from which the daemon applies `EndpointSettings.MacAddress`; before it
/// the field is accepted and ignored.
const ENDPOINT_MAC_ADDRESS: ApiVersion = ApiVersion::new(1, 44);

/// How a container is attached to one network: aliases, links, static addresses,
/// driver options, MAC address.
///
/// ```
/// use berth_core::{ApiVersion, options::EndpointConfig};
/// let ep = EndpointConfig::new().alias("db").ipv4_address("172.20.0.5")
///     .to_model(ApiVersion::new(1, 41))?;
/// assert_eq!(ep.aliases, Some(vec!["db".to_owned()]));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointConfig {
    aliases: Vec<String>,
    links: Vec<(String, Option<String>)>,
    ipv4_address: Option<String>,
    ipv6_address: Option<String>,
    link_local_ips: Option<Vec<String>>,
    driver_opts: HashMap<String, String>,
    mac_address: Option<String>,
    gw_priority: Option<i64>,
}

impl EndpointConfig {
    /// No particular settings (`{}`: just join the network).
    pub fn new() -> EndpointConfig {
        EndpointConfig::default()
    }

    /// A DNS alias of the container on this network.
    pub fn alias(mut self, alias: impl Into<String>) -> EndpointConfig {
        self.aliases.push(alias.into());
        self
    }

    /// A legacy link `name[:alias]` on this network.
    pub fn link(mut self, name: impl Into<String>, alias: Option<&str>) -> EndpointConfig {
        self.links.push((name.into(), alias.map(str::to_owned)));
        self
    }

    /// A static IPv4 address (`IPAMConfig.IPv4Address`).
    pub fn ipv4_address(mut self, ip: impl Into<String>) -> EndpointConfig {
        self.ipv4_address = Some(ip.into());
        self
    }

    /// A static IPv6 address (`IPAMConfig.IPv6Address`).
    pub fn ipv6_address(mut self, ip: impl Into<String>) -> EndpointConfig {
        self.ipv6_address = Some(ip.into());
        self
    }

    /// Link-local addresses (`IPAMConfig.LinkLocalIPs`).
    pub fn link_local_ips<S: Into<String>>(
        mut self,
        ips: impl IntoIterator<Item = S>,
    ) -> EndpointConfig {
        self.link_local_ips = Some(ips.into_iter().map(Into::into).collect());
        self
    }

    /// A network driver option (`DriverOpts`, API 1.32).
    pub fn driver_opt(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> EndpointConfig {
        self.driver_opts.insert(key.into(), value.into());
        self
    }

    /// The MAC address on this network (`MacAddress`, API 1.44).
    ///
    /// Daemons before API 1.44 accept the field but never apply it (moby 20.10 sets an
    /// endpoint's MAC only from the container-wide `Config.MacAddress`, and only on the
    /// network the container was created on), so berth refuses it there instead of
    /// sending a setting that silently does nothing: use the container's `mac_address`
    /// at create time on those daemons.
    pub fn mac_address(mut self, mac: impl Into<String>) -> EndpointConfig {
        self.mac_address = Some(mac.into());
        self
    }

    /// The default-gateway priority (`GwPriority`, API 1.48).
    pub fn gw_priority(mut self, priority: i64) -> EndpointConfig {
        self.gw_priority = Some(priority);
        self
    }

    /// Whether a MAC address is set.
    pub(crate) fn has_mac_address(&self) -> bool {
        self.mac_address.is_some()
    }

    /// The wire form for API version `api`; errors when a setting needs a newer API.
    pub fn to_model(&self, api: ApiVersion) -> Result<models::EndpointSettings> {
        if self.link_local_ips.is_some() {
            api.require(ApiVersion::new(1, 24), "endpoint link_local_ips")?;
        }
        if !self.driver_opts.is_empty() {
            api.require(ApiVersion::new(1, 32), "endpoint driver_opt")?;
        }
        if self.mac_address.is_some() {
            api.require(
                ENDPOINT_MAC_ADDRESS,
                "endpoint mac_address (older daemons ignore it; set the container's \
                 mac_address at create instead)",
            )?;
        }
        if self.gw_priority.is_some() {
            api.require(ApiVersion::new(1, 48), "endpoint gw_priority")?;
        }
        let ipam = (self.ipv4_address.is_some()
            || self.ipv6_address.is_some()
            || self.link_local_ips.is_some())
        .then(|| models::EndpointIpamConfig {
            ipv4_address: self.ipv4_address.clone(),
            ipv6_address: self.ipv6_address.clone(),
            link_local_ips: self.link_local_ips.clone(),
        });
        let mut links: Vec<(String, Option<String>)> = self.links.clone();
        links.sort();
        Ok(models::EndpointSettings {
            ipam_config: ipam,
            links: (!links.is_empty())
                .then(|| links.iter().map(|(n, a)| link(n, a.as_deref())).collect()),
            aliases: (!self.aliases.is_empty()).then(|| self.aliases.clone()),
            driver_opts: (!self.driver_opts.is_empty()).then(|| self.driver_opts.clone()),
            mac_address: self.mac_address.clone(),
            gw_priority: self.gw_priority,
            ..models::EndpointSettings::default()
        })
    }
}
