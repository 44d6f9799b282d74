//! Networks and volumes.

use berth_core::api::networks::{
    NetworkConnect, NetworkCreate, NetworkDisconnect, NetworkInspect, NetworkList, NetworkPrune,
    NetworkRemove,
};
use berth_core::api::volumes::{
    VolumeCreate, VolumeInspect, VolumeList, VolumeListing, VolumePrune, VolumeRemove,
};
use berth_core::models::{
    self, NetworkCreateResponse, NetworkPruneResponse, NetworkSummary, Volume, VolumePruneResponse,
};
use berth_core::options::EndpointConfig;
use berth_core::request::Filters;
use berth_core::{Result, Typed};

use crate::client::Docker;

impl Docker {
    /// The networks of the daemon.
    pub fn networks(&self) -> Networks<'_> {
        Networks { docker: self }
    }

    /// The volumes of the daemon.
    pub fn volumes(&self) -> Volumes<'_> {
        Volumes { docker: self }
    }
}

/// The networks collection.
#[derive(Debug, Clone, Copy)]
pub struct Networks<'a> {
    docker: &'a Docker,
}

impl Networks<'_> {
    /// `GET /networks`.
    pub fn list(&self, options: &NetworkList) -> Result<Vec<Typed<NetworkSummary>>> {
        self.docker.execute(options)
    }

    /// `POST /networks/create`.
    pub fn create(&self, options: &NetworkCreate) -> Result<Typed<NetworkCreateResponse>> {
        self.docker.execute(options)
    }

    /// `GET /networks/{id}`.
    pub fn get(&self, id_or_name: &str) -> Result<Typed<models::NetworkInspect>> {
        self.docker.execute(&NetworkInspect::new(id_or_name))
    }

    /// `POST /networks/{id}/connect`.
    pub fn connect(&self, network: &str, container: &str, endpoint: &EndpointConfig) -> Result<()> {
        self.docker.execute(&NetworkConnect {
            network: network.to_owned(),
            container: container.to_owned(),
            endpoint: endpoint.clone(),
        })
    }

    /// `POST /networks/{id}/disconnect`.
    pub fn disconnect(&self, network: &str, container: &str, force: bool) -> Result<()> {
        self.docker.execute(&NetworkDisconnect {
            network: network.to_owned(),
            container: container.to_owned(),
            force,
        })
    }

    /// `DELETE /networks/{id}`.
    pub fn remove(&self, id_or_name: &str) -> Result<()> {
        self.docker.execute(&NetworkRemove {
            id: id_or_name.to_owned(),
        })
    }

    /// `POST /networks/prune`.
    pub fn prune(&self, filters: &Filters) -> Result<Typed<NetworkPruneResponse>> {
        self.docker.execute(&NetworkPrune {
            filters: filters.clone(),
        })
    }
}

/// The volumes collection.
#[derive(Debug, Clone, Copy)]
pub struct Volumes<'a> {
    docker: &'a Docker,
}

impl Volumes<'_> {
    /// `GET /volumes`.
    pub fn list(&self, filters: &Filters) -> Result<VolumeListing> {
        self.docker.execute(&VolumeList {
            filters: filters.clone(),
        })
    }

    /// `POST /volumes/create`.
    pub fn create(&self, options: &VolumeCreate) -> Result<Typed<Volume>> {
        self.docker.execute(options)
    }

    /// `GET /volumes/{name}`.
    pub fn get(&self, name: &str) -> Result<Typed<Volume>> {
        self.docker.execute(&VolumeInspect::new(name))
    }

    /// `DELETE /volumes/{name}`.
    pub fn remove(&self, name: &str, force: bool) -> Result<()> {
        self.docker.execute(&VolumeRemove {
            name: name.to_owned(),
            force,
        })
    }

    /// `POST /volumes/prune`.
    pub fn prune(&self, options: &VolumePrune) -> Result<Typed<VolumePruneResponse>> {
        self.docker.execute(options)
    }
}
