//! Networks area: the `docker.networks()` collection and docker-py's `Network`
//! object.

use super::id_of;
use std::collections::HashMap;

use berth_core::api::networks::{
    EndpointConfig, NetworkConnect, NetworkCreate, NetworkDisconnect, NetworkInspect, NetworkList,
    NetworkPrune, NetworkRemove, container_ids_of,
};
use berth_core::model::Typed;
use berth_core::models::{self, NetworkPruneResponse};
use berth_core::request::Filters;

use super::Docker;
use super::containers::Container;
use crate::error::Result;

impl Docker {
    /// The networks of this daemon (docker-py's `client.networks`).
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// use berth::api::networks::{EndpointConfig, IpamConfig, IpamPool, NetworkCreate};
    /// let net = docker
    ///     .networks()
    ///     .create(&NetworkCreate::new("backend")
    ///         .ipam(IpamConfig::new().pool(IpamPool::new().subnet("10.40.0.0/24"))))
    ///     .await?;
    /// net.connect("web", &EndpointConfig::new().alias("api")).await?;
    /// # Ok(()) }
    /// ```
    pub fn networks(&self) -> Networks {
        Networks {
            docker: self.clone(),
        }
    }
}

/// The networks collection: create, list, get, prune.
#[derive(Debug, Clone)]
pub struct Networks {
    pub(crate) docker: Docker,
}

impl Networks {
    /// `POST /networks/create`, then inspects the new network. A taken name is
    /// [`Category::Conflict`](crate::Category::Conflict). The create answer's `Warning`
    /// is not kept: run [`NetworkCreate`] through [`Docker::execute`] to see it.
    pub async fn create(&self, options: &NetworkCreate) -> Result<Network> {
        let created = self.docker.execute(options).await?;
        self.get(&created.id).await
    }

    /// `GET /networks`. With `greedy` each network is inspected too (docker-py's
    /// `greedy=True`), so that [`Network::containers`] sees its endpoints; otherwise
    /// the objects hold the list answer, which has no `Containers`.
    pub async fn list(&self, options: &NetworkList, greedy: bool) -> Result<Vec<Network>> {
        let summaries = self.docker.execute(options).await?;
        let mut out = Vec::with_capacity(summaries.len());
        for s in summaries {
            let network = if greedy {
                let id = s.id.clone().unwrap_or_default();
                match self.get(&id).await {
                    Ok(n) => n,
                    // Removed between the list and the inspect: not listed.
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => return Err(e),
                }
            } else {
                Network::from_inspect(
                    self.docker.clone(),
                    Typed::from_value(s.attrs.into_value())?,
                )?
            };
            out.push(network);
        }
        Ok(out)
    }

    /// `GET /networks/{id}`: the network with this id, id prefix or name (unknown →
    /// [`Error::is_not_found`](crate::Error::is_not_found)).
    pub async fn get(&self, id_or_name: &str) -> Result<Network> {
        self.get_with(&NetworkInspect::new(id_or_name)).await
    }

    /// `GET /networks/{id}?verbose=&scope=`: [`get`](Networks::get) with docker-py's
    /// `verbose` and `scope`.
    pub async fn get_with(&self, options: &NetworkInspect) -> Result<Network> {
        let attrs = self.docker.execute(options).await?;
        Network::from_inspect(self.docker.clone(), attrs)
    }

    /// `POST /networks/prune`: removes unused networks matching `filters`.
    pub async fn prune(&self, filters: &Filters) -> Result<Typed<NetworkPruneResponse>> {
        self.docker
            .execute(&NetworkPrune {
                filters: filters.clone(),
            })
            .await
    }
}

/// A network, as docker-py's `Network` model: the inspect answer at the time it was
/// fetched ([`attrs`](Network::attrs), refreshed by [`reload`](Network::reload)) and
/// the operations on it. Operations do not refresh it.
#[derive(Debug, Clone)]
pub struct Network {
    docker: Docker,
    id: String,
    attrs: Typed<models::NetworkInspect>,
}

impl Network {
    /// A network object from an inspect (or list) answer.
    pub fn from_inspect(docker: Docker, attrs: Typed<models::NetworkInspect>) -> Result<Network> {
        let id = id_of(&attrs, |t| t.id.as_deref(), "Id", "network inspect")?;
        Ok(Network { docker, id, attrs })
    }

    /// The full id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The first 12 characters of the id.
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }

    /// The name.
    pub fn name(&self) -> Option<&str> {
        self.attrs.attrs.get("Name")?.as_str()
    }

    /// `Labels` (empty when none).
    pub fn labels(&self) -> HashMap<String, String> {
        self.attrs.labels.clone().unwrap_or_default()
    }

    /// The inspect answer (raw JSON in `.attrs`, typed view by `Deref`).
    pub fn attrs(&self) -> &Typed<models::NetworkInspect> {
        &self.attrs
    }

    /// The client this network belongs to.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Inspects the network again.
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self.docker.execute(&NetworkInspect::new(&self.id)).await?;
        Ok(())
    }

    /// The ids of the attached containers, from the stored answer (`Containers:
    /// null` → none; a list answer has none either: use a greedy list or
    /// [`reload`](Network::reload)).
    pub fn container_ids(&self) -> Vec<String> {
        container_ids_of(&self.attrs.attrs)
    }

    /// docker-py's `Network.containers`: the attached containers (from the stored
    /// answer), each inspected. A container removed since is left out.
    pub async fn containers(&self) -> Result<Vec<Container>> {
        let mut out = Vec::new();
        for id in self.container_ids() {
            match self.docker.containers().get(&id).await {
                Ok(c) => out.push(c),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// `POST /networks/{id}/connect`: attaches `container` (id or name) with
    /// `endpoint`'s aliases, links, static addresses and driver options.
    pub async fn connect(&self, container: &str, endpoint: &EndpointConfig) -> Result<()> {
        self.docker
            .execute(&NetworkConnect {
                network: self.id.clone(),
                container: container.to_owned(),
                endpoint: endpoint.clone(),
            })
            .await
    }

    /// `POST /networks/{id}/disconnect`: detaches `container` (id or name).
    pub async fn disconnect(&self, container: &str, force: bool) -> Result<()> {
        self.docker
            .execute(&NetworkDisconnect {
                network: self.id.clone(),
                container: container.to_owned(),
                force,
            })
            .await
    }

    /// `DELETE /networks/{id}`.
    pub async fn remove(&self) -> Result<()> {
        self.docker
            .execute(&NetworkRemove {
                id: self.id.clone(),
            })
            .await
    }
}
