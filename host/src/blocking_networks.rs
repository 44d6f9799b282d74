//! Blocking networks area: [`crate::Networks`] and [`crate::Network`] on the blocking
//! client's runtime.

use std::collections::HashMap;
use std::sync::Arc;

use berth_core::api::networks::{EndpointConfig, NetworkCreate, NetworkInspect, NetworkList};
use berth_core::model::Typed;
use berth_core::models::{self, NetworkPruneResponse};
use berth_core::request::Filters;
use tokio::runtime::Runtime;

use super::Docker;
use super::containers::Container;
use crate::error::Result;

impl Docker {
    /// The networks of this daemon. See [`crate::Docker::networks`].
    ///
    /// ```no_run
    /// # fn demo() -> berth::Result<()> {
    /// let docker = berth::blocking::Docker::from_env()?;
    /// let net = docker.networks().get("backend")?;
    /// println!("{:?}", net.container_ids());
    /// # Ok(()) }
    /// ```
    pub fn networks(&self) -> Networks {
        Networks {
            inner: self.inner.networks(),
            rt: self.rt.clone(),
        }
    }
}

/// The blocking networks collection. See [`crate::Networks`].
#[derive(Debug, Clone)]
pub struct Networks {
    inner: crate::Networks,
    rt: Arc<Runtime>,
}

impl Networks {
    fn wrap(&self, inner: crate::Network) -> Network {
        Network {
            inner,
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::Networks::create`].
    pub fn create(&self, options: &NetworkCreate) -> Result<Network> {
        let n = self.rt.block_on(self.inner.create(options))?;
        Ok(self.wrap(n))
    }

    /// See [`crate::Networks::list`].
    pub fn list(&self, options: &NetworkList, greedy: bool) -> Result<Vec<Network>> {
        let list = self.rt.block_on(self.inner.list(options, greedy))?;
        Ok(list.into_iter().map(|n| self.wrap(n)).collect())
    }

    /// See [`crate::Networks::get`].
    pub fn get(&self, id_or_name: &str) -> Result<Network> {
        let n = self.rt.block_on(self.inner.get(id_or_name))?;
        Ok(self.wrap(n))
    }

    /// See [`crate::Networks::get_with`].
    pub fn get_with(&self, options: &NetworkInspect) -> Result<Network> {
        let n = self.rt.block_on(self.inner.get_with(options))?;
        Ok(self.wrap(n))
    }

    /// See [`crate::Networks::prune`].
    pub fn prune(&self, filters: &Filters) -> Result<Typed<NetworkPruneResponse>> {
        self.rt.block_on(self.inner.prune(filters))
    }
}

/// A blocking network object. See [`crate::Network`].
#[derive(Debug, Clone)]
pub struct Network {
    inner: crate::Network,
    rt: Arc<Runtime>,
}

impl Network {
    /// The async object this wraps.
    pub fn async_network(&self) -> &crate::Network {
        &self.inner
    }

    /// See [`crate::Network::id`].
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// See [`crate::Network::short_id`].
    pub fn short_id(&self) -> &str {
        self.inner.short_id()
    }

    /// See [`crate::Network::name`].
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// See [`crate::Network::labels`].
    pub fn labels(&self) -> HashMap<String, String> {
        self.inner.labels()
    }

    /// See [`crate::Network::attrs`].
    pub fn attrs(&self) -> &Typed<models::NetworkInspect> {
        self.inner.attrs()
    }

    /// See [`crate::Network::reload`].
    pub fn reload(&mut self) -> Result<()> {
        self.rt.block_on(self.inner.reload())
    }

    /// See [`crate::Network::container_ids`].
    pub fn container_ids(&self) -> Vec<String> {
        self.inner.container_ids()
    }

    /// See [`crate::Network::containers`].
    pub fn containers(&self) -> Result<Vec<Container>> {
        let list = self.rt.block_on(self.inner.containers())?;
        Ok(list
            .into_iter()
            .map(|inner| Container {
                inner,
                rt: self.rt.clone(),
            })
            .collect())
    }

    /// See [`crate::Network::connect`].
    pub fn connect(&self, container: &str, endpoint: &EndpointConfig) -> Result<()> {
        self.rt.block_on(self.inner.connect(container, endpoint))
    }

    /// See [`crate::Network::disconnect`].
    pub fn disconnect(&self, container: &str, force: bool) -> Result<()> {
        self.rt.block_on(self.inner.disconnect(container, force))
    }

    /// See [`crate::Network::remove`].
    pub fn remove(&self) -> Result<()> {
        self.rt.block_on(self.inner.remove())
    }
}
