//! Blocking swarm areas: the swarm, nodes, services, tasks, secrets and configs on
//! the blocking client's runtime.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_core::api::nodes::NodeSpecChange;
use berth_core::api::services::{ServiceInspect, ServiceList, ServiceLogs, ServiceOptions};
use berth_core::api::swarm::{SwarmInit, SwarmJoin, SwarmSpecOptions};
use berth_core::model::Typed;
use berth_core::models::{self, JoinTokens, ServiceUpdateResponse, Task};
use berth_core::request::Filters;
use berth_core::stream::OutputDecoder;
use serde_json::Value;
use tokio::runtime::Runtime;

use super::{Docker, Iter};
use crate::client::swarm::Rotate;
use crate::error::Result;

impl Docker {
    /// This node's swarm. See [`crate::Docker::swarm`].
    ///
    /// ```no_run
    /// # fn demo() -> berth::Result<()> {
    /// let docker = berth::blocking::Docker::from_env()?;
    /// let mut swarm = docker.swarm();
    /// if !swarm.try_reload()? {
    ///     println!("not in a swarm");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn swarm(&self) -> Swarm {
        Swarm {
            inner: self.inner.swarm(),
            rt: self.rt.clone(),
        }
    }

    /// The swarm's nodes. See [`crate::Docker::nodes`].
    pub fn nodes(&self) -> Nodes {
        Nodes {
            inner: self.inner.nodes(),
            rt: self.rt.clone(),
        }
    }

    /// The swarm's services. See [`crate::Docker::services`].
    pub fn services(&self) -> Services {
        Services {
            inner: self.inner.services(),
            rt: self.rt.clone(),
        }
    }

    /// The swarm's tasks. See [`crate::Docker::tasks`].
    pub fn tasks(&self) -> Tasks {
        Tasks {
            inner: self.inner.tasks(),
            rt: self.rt.clone(),
        }
    }

    /// The swarm's secrets. See [`crate::Docker::secrets`].
    pub fn secrets(&self) -> Secrets {
        Secrets {
            inner: self.inner.secrets(),
            rt: self.rt.clone(),
        }
    }

    /// The swarm's configs. See [`crate::Docker::configs`].
    pub fn configs(&self) -> Configs {
        Configs {
            inner: self.inner.configs(),
            rt: self.rt.clone(),
        }
    }
}

/// The blocking swarm. See [`crate::Swarm`].
#[derive(Debug, Clone)]
pub struct Swarm {
    inner: crate::Swarm,
    rt: Arc<Runtime>,
}

impl Swarm {
    /// See [`crate::Swarm::attrs`].
    pub fn attrs(&self) -> Option<&Typed<models::Swarm>> {
        self.inner.attrs()
    }

    /// See [`crate::Swarm::version`].
    pub fn version(&self) -> Option<u64> {
        self.inner.version()
    }

    /// See [`crate::Swarm::join_tokens`].
    pub fn join_tokens(&self) -> Option<JoinTokens> {
        self.inner.join_tokens()
    }

    /// See [`crate::Swarm::reload`].
    pub fn reload(&mut self) -> Result<()> {
        self.rt.block_on(self.inner.reload())
    }

    /// See [`crate::Swarm::try_reload`].
    pub fn try_reload(&mut self) -> Result<bool> {
        self.rt.block_on(self.inner.try_reload())
    }

    /// See [`crate::Swarm::init`].
    pub fn init(&mut self, options: &SwarmInit) -> Result<String> {
        self.rt.block_on(self.inner.init(options))
    }

    /// See [`crate::Swarm::join`].
    pub fn join(&self, options: &SwarmJoin) -> Result<()> {
        self.rt.block_on(self.inner.join(options))
    }

    /// See [`crate::Swarm::leave`].
    pub fn leave(&mut self, force: bool) -> Result<bool> {
        self.rt.block_on(self.inner.leave(force))
    }

    /// See [`crate::Swarm::update`].
    pub fn update(&mut self, changes: &SwarmSpecOptions, rotate: Rotate) -> Result<()> {
        self.rt.block_on(self.inner.update(changes, rotate))
    }

    /// See [`crate::Swarm::unlock_key`].
    pub fn unlock_key(&self) -> Result<String> {
        self.rt.block_on(self.inner.unlock_key())
    }

    /// See [`crate::Swarm::unlock`].
    pub fn unlock(&self, key: &str) -> Result<()> {
        self.rt.block_on(self.inner.unlock(key))
    }
}

/// The blocking nodes collection. See [`crate::Nodes`].
#[derive(Debug, Clone)]
pub struct Nodes {
    inner: crate::Nodes,
    rt: Arc<Runtime>,
}

impl Nodes {
    /// See [`crate::Nodes::list`].
    pub fn list(&self, filters: &Filters) -> Result<Vec<Node>> {
        let list = self.rt.block_on(self.inner.list(filters))?;
        Ok(list
            .into_iter()
            .map(|inner| Node {
                inner,
                rt: self.rt.clone(),
            })
            .collect())
    }

    /// See [`crate::Nodes::get`].
    pub fn get(&self, id_or_name: &str) -> Result<Node> {
        let inner = self.rt.block_on(self.inner.get(id_or_name))?;
        Ok(Node {
            inner,
            rt: self.rt.clone(),
        })
    }
}

/// A blocking node. See [`crate::Node`].
#[derive(Debug, Clone)]
pub struct Node {
    inner: crate::Node,
    rt: Arc<Runtime>,
}

impl Node {
    /// The async node this wraps (for its accessors: id, role, availability, …).
    pub fn inner(&self) -> &crate::Node {
        &self.inner
    }

    /// See [`crate::Node::reload`].
    pub fn reload(&mut self) -> Result<()> {
        self.rt.block_on(self.inner.reload())
    }

    /// See [`crate::Node::update`].
    pub fn update(&mut self, changes: &NodeSpecChange) -> Result<()> {
        self.rt.block_on(self.inner.update(changes))
    }

    /// See [`crate::Node::remove`].
    pub fn remove(&self, force: bool) -> Result<()> {
        self.rt.block_on(self.inner.remove(force))
    }
}

/// The blocking services collection. See [`crate::Services`].
#[derive(Debug, Clone)]
pub struct Services {
    inner: crate::Services,
    rt: Arc<Runtime>,
}

impl Services {
    fn wrap(&self, inner: crate::Service) -> Service {
        Service {
            inner,
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::Services::create`].
    pub fn create(&self, options: &ServiceOptions) -> Result<Service> {
        let s = self.rt.block_on(self.inner.create(options))?;
        Ok(self.wrap(s))
    }

    /// See [`crate::Services::get_with`].
    pub fn get_with(&self, options: &ServiceInspect) -> Result<Service> {
        let s = self.rt.block_on(self.inner.get_with(options))?;
        Ok(self.wrap(s))
    }

    /// See [`crate::Services::get`].
    pub fn get(&self, id_or_name: &str) -> Result<Service> {
        let s = self.rt.block_on(self.inner.get(id_or_name))?;
        Ok(self.wrap(s))
    }

    /// See [`crate::Services::list`].
    pub fn list(&self, options: &ServiceList) -> Result<Vec<Service>> {
        let list = self.rt.block_on(self.inner.list(options))?;
        Ok(list.into_iter().map(|s| self.wrap(s)).collect())
    }
}

/// A blocking service. See [`crate::Service`].
#[derive(Debug, Clone)]
pub struct Service {
    inner: crate::Service,
    rt: Arc<Runtime>,
}

impl Service {
    /// The async service this wraps (for its accessors: id, name, spec, version).
    pub fn inner(&self) -> &crate::Service {
        &self.inner
    }

    /// See [`crate::Service::reload`].
    pub fn reload(&mut self) -> Result<()> {
        self.rt.block_on(self.inner.reload())
    }

    /// See [`crate::Service::update`].
    pub fn update(&self, changes: &ServiceOptions) -> Result<Typed<ServiceUpdateResponse>> {
        self.rt.block_on(self.inner.update(changes))
    }

    /// See [`crate::Service::update_spec`].
    pub fn update_spec(&self, version: u64, spec: Value) -> Result<Typed<ServiceUpdateResponse>> {
        self.rt.block_on(self.inner.update_spec(version, spec))
    }

    /// See [`crate::Service::scale`].
    pub fn scale(&self, replicas: u64) -> Result<Typed<ServiceUpdateResponse>> {
        self.rt.block_on(self.inner.scale(replicas))
    }

    /// See [`crate::Service::force_update`].
    pub fn force_update(&self) -> Result<Typed<ServiceUpdateResponse>> {
        self.rt.block_on(self.inner.force_update())
    }

    /// See [`crate::Service::remove`].
    pub fn remove(&self) -> Result<()> {
        self.rt.block_on(self.inner.remove())
    }

    /// See [`crate::Service::logs`]; iterate the frames.
    pub fn logs(&self, configure: impl FnOnce(&mut ServiceLogs)) -> Result<Iter<OutputDecoder>> {
        let stream = self.rt.block_on(self.inner.logs(configure))?;
        Ok(Iter {
            stream,
            rt: self.rt.clone(),
        })
    }

    /// See [`crate::Service::tasks`].
    pub fn tasks(&self, filters: &Filters) -> Result<Vec<Typed<Task>>> {
        self.rt.block_on(self.inner.tasks(filters))
    }
}

/// The blocking tasks collection. See [`crate::Tasks`].
#[derive(Debug, Clone)]
pub struct Tasks {
    inner: crate::Tasks,
    rt: Arc<Runtime>,
}

impl Tasks {
    /// See [`crate::Tasks::list`].
    pub fn list(&self, filters: &Filters) -> Result<Vec<Typed<Task>>> {
        self.rt.block_on(self.inner.list(filters))
    }

    /// See [`crate::Tasks::get`].
    pub fn get(&self, id: &str) -> Result<Typed<Task>> {
        self.rt.block_on(self.inner.get(id))
    }
}

/// The blocking secrets collection. See [`crate::Secrets`].
#[derive(Debug, Clone)]
pub struct Secrets {
    inner: crate::Secrets,
    rt: Arc<Runtime>,
}

impl Secrets {
    fn wrap(&self, inner: crate::Secret) -> Secret {
        Secret {
            inner,
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::Secrets::create`].
    pub fn create(&self, options: &berth_core::api::secrets::SecretCreate) -> Result<Secret> {
        let s = self.rt.block_on(self.inner.create(options))?;
        Ok(self.wrap(s))
    }

    /// See [`crate::Secrets::get`].
    pub fn get(&self, id_or_name: &str) -> Result<Secret> {
        let s = self.rt.block_on(self.inner.get(id_or_name))?;
        Ok(self.wrap(s))
    }

    /// See [`crate::Secrets::list`].
    pub fn list(&self, filters: &Filters) -> Result<Vec<Secret>> {
        let list = self.rt.block_on(self.inner.list(filters))?;
        Ok(list.into_iter().map(|s| self.wrap(s)).collect())
    }
}

/// A blocking secret. See [`crate::Secret`].
#[derive(Debug, Clone)]
pub struct Secret {
    inner: crate::Secret,
    rt: Arc<Runtime>,
}

impl Secret {
    /// The async secret this wraps (for its accessors and `reference()`).
    pub fn inner(&self) -> &crate::Secret {
        &self.inner
    }

    /// See [`crate::Secret::update_labels`].
    pub fn update_labels(&mut self, labels: &BTreeMap<String, String>) -> Result<()> {
        self.rt.block_on(self.inner.update_labels(labels))
    }

    /// See [`crate::Secret::remove`].
    pub fn remove(&self) -> Result<()> {
        self.rt.block_on(self.inner.remove())
    }
}

/// The blocking configs collection. See [`crate::Configs`].
#[derive(Debug, Clone)]
pub struct Configs {
    inner: crate::Configs,
    rt: Arc<Runtime>,
}

impl Configs {
    fn wrap(&self, inner: crate::Config) -> Config {
        Config {
            inner,
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::Configs::create`].
    pub fn create(&self, options: &berth_core::api::configs::ConfigCreate) -> Result<Config> {
        let c = self.rt.block_on(self.inner.create(options))?;
        Ok(self.wrap(c))
    }

    /// See [`crate::Configs::get`].
    pub fn get(&self, id_or_name: &str) -> Result<Config> {
        let c = self.rt.block_on(self.inner.get(id_or_name))?;
        Ok(self.wrap(c))
    }

    /// See [`crate::Configs::list`].
    pub fn list(&self, filters: &Filters) -> Result<Vec<Config>> {
        let list = self.rt.block_on(self.inner.list(filters))?;
        Ok(list.into_iter().map(|c| self.wrap(c)).collect())
    }
}

/// A blocking config. See [`crate::Config`].
#[derive(Debug, Clone)]
pub struct Config {
    inner: crate::Config,
    rt: Arc<Runtime>,
}

impl Config {
    /// The async config this wraps (for its accessors, `data()` and `reference()`).
    pub fn inner(&self) -> &crate::Config {
        &self.inner
    }

    /// See [`crate::Config::update_labels`].
    pub fn update_labels(&mut self, labels: &BTreeMap<String, String>) -> Result<()> {
        self.rt.block_on(self.inner.update_labels(labels))
    }

    /// See [`crate::Config::remove`].
    pub fn remove(&self) -> Result<()> {
        self.rt.block_on(self.inner.remove())
    }
}
