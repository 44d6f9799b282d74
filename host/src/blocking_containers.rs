//! Blocking containers area: [`crate::Containers`] and [`crate::Container`] on the
//! blocking client's runtime.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use berth_core::api::containers::{
    ContainerCommit, ContainerList, HostBinding, Signal, StatsDecoder, WaitCondition,
};
use berth_core::model::Typed;
use berth_core::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerPruneResponse, ContainerStatsResponse,
    ContainerSummary, ContainerTopResponse, ContainerUpdateBody, ContainerUpdateResponse,
    ContainerWaitResponse, FilesystemChange, IdResponse,
};
use berth_core::request::Filters;
use tokio::runtime::Runtime;

use super::{Docker, Iter};
use crate::client::containers::RemoveOptions;
use crate::error::Result;

impl Docker {
    /// The containers of this daemon. See [`crate::Docker::containers`].
    ///
    /// ```no_run
    /// # fn demo() -> berth::Result<()> {
    /// let docker = berth::blocking::Docker::from_env()?;
    /// let c = docker.containers().get("web")?;
    /// c.stop(Some(1))?;
    /// # Ok(()) }
    /// ```
    pub fn containers(&self) -> Containers {
        Containers {
            inner: self.inner.containers(),
            rt: self.rt.clone(),
        }
    }
}

/// The blocking containers collection. See [`crate::Containers`].
#[derive(Debug, Clone)]
pub struct Containers {
    pub(super) inner: crate::Containers,
    pub(super) rt: Arc<Runtime>,
}

impl Containers {
    pub(super) fn wrap(&self, inner: crate::Container) -> Container {
        Container {
            inner,
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::Containers::list`].
    pub fn list(&self, options: &ContainerList) -> Result<Vec<Typed<ContainerSummary>>> {
        self.rt.block_on(self.inner.list(options))
    }

    /// See [`crate::Containers::list_inspected`].
    pub fn list_inspected(
        &self,
        options: &ContainerList,
        ignore_removed: bool,
    ) -> Result<Vec<Container>> {
        let all = self
            .rt
            .block_on(self.inner.list_inspected(options, ignore_removed))?;
        Ok(all.into_iter().map(|c| self.wrap(c)).collect())
    }

    /// See [`crate::Containers::get_each`].
    pub fn get_each<'a>(
        &self,
        ids_or_names: impl IntoIterator<Item = &'a str>,
        ignore_removed: bool,
    ) -> Result<Vec<Container>> {
        let all = self
            .rt
            .block_on(self.inner.get_each(ids_or_names, ignore_removed))?;
        Ok(all.into_iter().map(|c| self.wrap(c)).collect())
    }

    /// See [`crate::Containers::create_from_body`].
    pub fn create_from_body(
        &self,
        name: Option<&str>,
        platform: Option<&str>,
        body: ContainerCreateBody,
    ) -> Result<Container> {
        let c = self
            .rt
            .block_on(self.inner.create_from_body(name, platform, body))?;
        Ok(self.wrap(c))
    }

    /// See [`crate::Containers::get`].
    pub fn get(&self, id_or_name: &str) -> Result<Container> {
        let c = self.rt.block_on(self.inner.get(id_or_name))?;
        Ok(self.wrap(c))
    }

    /// See [`crate::Containers::prune`].
    pub fn prune(&self, filters: &Filters) -> Result<Typed<ContainerPruneResponse>> {
        self.rt.block_on(self.inner.prune(filters))
    }
}

/// A blocking container object. See [`crate::Container`].
#[derive(Debug, Clone)]
pub struct Container {
    pub(super) inner: crate::Container,
    pub(super) rt: Arc<Runtime>,
}

impl Container {
    /// The async object this wraps.
    pub fn async_container(&self) -> &crate::Container {
        &self.inner
    }

    /// See [`crate::Container::id`].
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// See [`crate::Container::short_id`].
    pub fn short_id(&self) -> &str {
        self.inner.short_id()
    }

    /// See [`crate::Container::name`].
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// See [`crate::Container::image_id`].
    pub fn image_id(&self) -> Option<&str> {
        self.inner.image_id()
    }

    /// See [`crate::Container::labels`].
    pub fn labels(&self) -> HashMap<String, String> {
        self.inner.labels()
    }

    /// See [`crate::Container::status`].
    pub fn status(&self) -> Option<&str> {
        self.inner.status()
    }

    /// See [`crate::Container::health`].
    pub fn health(&self) -> &str {
        self.inner.health()
    }

    /// See [`crate::Container::ports`].
    pub fn ports(&self) -> BTreeMap<String, Vec<HostBinding>> {
        self.inner.ports()
    }

    /// See [`crate::Container::attrs`].
    pub fn attrs(&self) -> &Typed<ContainerInspectResponse> {
        self.inner.attrs()
    }

    /// See [`crate::Container::reload`].
    pub fn reload(&mut self) -> Result<()> {
        self.rt.block_on(self.inner.reload())
    }

    /// See [`crate::Container::start`].
    pub fn start(&self) -> Result<bool> {
        self.rt.block_on(self.inner.start())
    }

    /// See [`crate::Container::stop`].
    pub fn stop(&self, timeout: Option<u32>) -> Result<bool> {
        self.rt.block_on(self.inner.stop(timeout))
    }

    /// See [`crate::Container::restart`].
    pub fn restart(&self, timeout: Option<u32>) -> Result<()> {
        self.rt.block_on(self.inner.restart(timeout))
    }

    /// See [`crate::Container::kill`].
    pub fn kill(&self, signal: Option<Signal>) -> Result<()> {
        self.rt.block_on(self.inner.kill(signal))
    }

    /// See [`crate::Container::pause`].
    pub fn pause(&self) -> Result<()> {
        self.rt.block_on(self.inner.pause())
    }

    /// See [`crate::Container::unpause`].
    pub fn unpause(&self) -> Result<()> {
        self.rt.block_on(self.inner.unpause())
    }

    /// See [`crate::Container::wait`].
    pub fn wait(
        &self,
        condition: Option<WaitCondition>,
        timeout: Option<Duration>,
    ) -> Result<Typed<ContainerWaitResponse>> {
        self.rt.block_on(self.inner.wait(condition, timeout))
    }

    /// See [`crate::Container::remove`].
    pub fn remove(&self, options: RemoveOptions) -> Result<()> {
        self.rt.block_on(self.inner.remove(options))
    }

    /// See [`crate::Container::rename`].
    pub fn rename(&mut self, name: &str) -> Result<()> {
        self.rt.block_on(self.inner.rename(name))
    }

    /// See [`crate::Container::update`].
    pub fn update(&self, body: ContainerUpdateBody) -> Result<Typed<ContainerUpdateResponse>> {
        self.rt.block_on(self.inner.update(body))
    }

    /// See [`crate::Container::resize`].
    pub fn resize(&self, height: u32, width: u32) -> Result<()> {
        self.rt.block_on(self.inner.resize(height, width))
    }

    /// See [`crate::Container::top`].
    pub fn top(&self, ps_args: Option<&str>) -> Result<Typed<ContainerTopResponse>> {
        self.rt.block_on(self.inner.top(ps_args))
    }

    /// See [`crate::Container::diff`].
    pub fn diff(&self) -> Result<Vec<Typed<FilesystemChange>>> {
        self.rt.block_on(self.inner.diff())
    }

    /// See [`crate::Container::stats_once`].
    pub fn stats_once(&self, one_shot: bool) -> Result<Typed<ContainerStatsResponse>> {
        self.rt.block_on(self.inner.stats_once(one_shot))
    }

    /// See [`crate::Container::stats_stream`]; iterate the result.
    pub fn stats_stream(&self) -> Result<Iter<StatsDecoder>> {
        let stream = self.rt.block_on(self.inner.stats_stream())?;
        Ok(Iter {
            stream,
            rt: self.rt.clone(),
        })
    }

    /// See [`crate::Container::commit`].
    pub fn commit(&self, options: ContainerCommit) -> Result<Typed<IdResponse>> {
        self.rt.block_on(self.inner.commit(options))
    }

    /// See [`crate::Container::port`].
    pub fn port(&self, private_port: &str) -> Result<Option<Vec<HostBinding>>> {
        self.rt.block_on(self.inner.port(private_port))
    }
}
