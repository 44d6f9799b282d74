//! Volumes area: the `docker.volumes()` collection and docker-py's `Volume` object.

use std::collections::HashMap;

use berth_core::api::volumes::{
    VolumeCreate, VolumeInspect, VolumeList, VolumePrune, VolumeRemove,
};
use berth_core::model::Typed;
use berth_core::models::{self, VolumePruneResponse};

use super::Docker;
use crate::error::Result;

impl Docker {
    /// The volumes of this daemon (docker-py's `client.volumes`).
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// use berth::api::volumes::VolumeCreate;
    /// let v = docker.volumes().create(&VolumeCreate::named("data")).await?;
    /// println!("{} at {}", v.name(), v.attrs().mountpoint);
    /// v.remove(false).await?;
    /// # Ok(()) }
    /// ```
    pub fn volumes(&self) -> Volumes {
        Volumes {
            docker: self.clone(),
        }
    }
}

/// The volumes collection: create, list, get, prune.
#[derive(Debug, Clone)]
pub struct Volumes {
    pub(crate) docker: Docker,
}

impl Volumes {
    /// `POST /volumes/create`. A name that exists already (same driver) gives the
    /// existing volume back, unchanged.
    pub async fn create(&self, options: &VolumeCreate) -> Result<Volume> {
        let attrs = self.docker.execute(options).await?;
        Ok(self.wrap(attrs))
    }

    /// `GET /volumes`: the volumes matching `options.filters` (the daemon's
    /// `Warnings` are dropped: run [`VolumeList`] through [`Docker::execute`] to see
    /// them).
    pub async fn list(&self, options: &VolumeList) -> Result<Vec<Volume>> {
        let listing = self.docker.execute(options).await?;
        Ok(listing.volumes.into_iter().map(|v| self.wrap(v)).collect())
    }

    /// `GET /volumes/{name}` (unknown →
    /// [`Error::is_not_found`](crate::Error::is_not_found)).
    pub async fn get(&self, name: &str) -> Result<Volume> {
        let attrs = self.docker.execute(&VolumeInspect::new(name)).await?;
        Ok(self.wrap(attrs))
    }

    /// `POST /volumes/prune`: removes unused volumes matching `options.filters` (see
    /// [`VolumePrune`] for API 1.42's anonymous-only default).
    pub async fn prune(&self, options: &VolumePrune) -> Result<Typed<VolumePruneResponse>> {
        self.docker.execute(options).await
    }

    fn wrap(&self, attrs: Typed<models::Volume>) -> Volume {
        Volume {
            docker: self.docker.clone(),
            attrs,
        }
    }
}

/// A volume, as docker-py's `Volume` model: the inspect answer at the time it was
/// fetched ([`attrs`](Volume::attrs), refreshed by [`reload`](Volume::reload)). Its id
/// is its name.
#[derive(Debug, Clone)]
pub struct Volume {
    docker: Docker,
    attrs: Typed<models::Volume>,
}

impl Volume {
    /// The name (the volume's id).
    pub fn name(&self) -> &str {
        &self.attrs.name
    }

    /// docker-py's `Volume.id`: the name.
    pub fn id(&self) -> &str {
        self.name()
    }

    /// `Labels` (empty when none).
    pub fn labels(&self) -> &HashMap<String, String> {
        &self.attrs.labels
    }

    /// The inspect answer (raw JSON in `.attrs`, typed view by `Deref`).
    pub fn attrs(&self) -> &Typed<models::Volume> {
        &self.attrs
    }

    /// The client this volume belongs to.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Inspects the volume again.
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self
            .docker
            .execute(&VolumeInspect::new(self.name()))
            .await?;
        Ok(())
    }

    /// `DELETE /volumes/{name}`; `force` is sent (see [`VolumeRemove`]). In use →
    /// [`Category::Conflict`](crate::Category::Conflict), with or without `force`.
    pub async fn remove(&self, force: bool) -> Result<()> {
        self.docker
            .execute(&VolumeRemove {
                name: self.name().to_owned(),
                force,
            })
            .await
    }
}
