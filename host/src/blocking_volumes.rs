//! Blocking volumes area: [`crate::Volumes`] and [`crate::Volume`] on the blocking
//! client's runtime.

use std::collections::HashMap;
use std::sync::Arc;

use berth_core::api::volumes::{VolumeCreate, VolumeList, VolumePrune};
use berth_core::model::Typed;
use berth_core::models::{self, VolumePruneResponse};
use tokio::runtime::Runtime;

use super::Docker;
use crate::error::Result;

impl Docker {
    /// The volumes of this daemon. See [`crate::Docker::volumes`].
    ///
    /// ```no_run
    /// # fn demo() -> berth::Result<()> {
    /// use berth::api::volumes::VolumeCreate;
    /// let docker = berth::blocking::Docker::from_env()?;
    /// let v = docker.volumes().create(&VolumeCreate::named("data"))?;
    /// v.remove(false)?;
    /// # Ok(()) }
    /// ```
    pub fn volumes(&self) -> Volumes {
        Volumes {
            inner: self.inner.volumes(),
            rt: self.rt.clone(),
        }
    }
}

/// The blocking volumes collection. See [`crate::Volumes`].
#[derive(Debug, Clone)]
pub struct Volumes {
    inner: crate::Volumes,
    rt: Arc<Runtime>,
}

impl Volumes {
    fn wrap(&self, inner: crate::Volume) -> Volume {
        Volume {
            inner,
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::Volumes::create`].
    pub fn create(&self, options: &VolumeCreate) -> Result<Volume> {
        let v = self.rt.block_on(self.inner.create(options))?;
        Ok(self.wrap(v))
    }

    /// See [`crate::Volumes::list`].
    pub fn list(&self, options: &VolumeList) -> Result<Vec<Volume>> {
        let list = self.rt.block_on(self.inner.list(options))?;
        Ok(list.into_iter().map(|v| self.wrap(v)).collect())
    }

    /// See [`crate::Volumes::get`].
    pub fn get(&self, name: &str) -> Result<Volume> {
        let v = self.rt.block_on(self.inner.get(name))?;
        Ok(self.wrap(v))
    }

    /// See [`crate::Volumes::prune`].
    pub fn prune(&self, options: &VolumePrune) -> Result<Typed<VolumePruneResponse>> {
        self.rt.block_on(self.inner.prune(options))
    }
}

/// A blocking volume object. See [`crate::Volume`].
#[derive(Debug, Clone)]
pub struct Volume {
    inner: crate::Volume,
    rt: Arc<Runtime>,
}

impl Volume {
    /// The async object this wraps.
    pub fn async_volume(&self) -> &crate::Volume {
        &self.inner
    }

    /// See [`crate::Volume::name`].
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// See [`crate::Volume::id`].
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// See [`crate::Volume::labels`].
    pub fn labels(&self) -> &HashMap<String, String> {
        self.inner.labels()
    }

    /// See [`crate::Volume::attrs`].
    pub fn attrs(&self) -> &Typed<models::Volume> {
        self.inner.attrs()
    }

    /// See [`crate::Volume::reload`].
    pub fn reload(&mut self) -> Result<()> {
        self.rt.block_on(self.inner.reload())
    }

    /// See [`crate::Volume::remove`].
    pub fn remove(&self, force: bool) -> Result<()> {
        self.rt.block_on(self.inner.remove(force))
    }
}
