//! Swarm and nodes: `docker.swarm()` (docker-py's `client.swarm`) and the
//! `docker.nodes()` collection with its `Node` objects.

use super::id_of;
use berth_core::api::nodes::{NodeInspect, NodeList, NodeRemove, NodeSpecChange, NodeUpdate};
use berth_core::api::swarm::{
    SwarmInit, SwarmInspect, SwarmJoin, SwarmLeave, SwarmSpecOptions, SwarmUnlock, SwarmUnlockKey,
    SwarmUpdate, is_not_in_swarm, is_update_out_of_sequence, version_of,
};
use berth_core::model::Typed;
use berth_core::models::{self, JoinTokens};
use berth_core::request::Filters;
use serde_json::Value;

use super::Docker;
use super::services::UPDATE_ATTEMPTS;
use crate::error::Result;

impl Docker {
    /// This node's swarm (docker-py's `client.swarm`). Nothing is fetched yet: call
    /// [`Swarm::reload`] (or [`Swarm::try_reload`], which tolerates a node outside a
    /// swarm) to fill [`Swarm::attrs`].
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// use berth::api::swarm::{SwarmInit, SwarmSpecOptions};
    /// let mut swarm = docker.swarm();
    /// let node_id = swarm.init(&SwarmInit::new("127.0.0.1")
    ///     .spec(SwarmSpecOptions::new().task_history_retention_limit(2))).await?;
    /// println!("manager {node_id}, worker token {:?}", swarm.join_tokens().and_then(|t| t.worker));
    /// swarm.leave(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn swarm(&self) -> Swarm {
        Swarm {
            docker: self.clone(),
            attrs: None,
        }
    }

    /// The nodes of the swarm this daemon manages (docker-py's `client.nodes`).
    pub fn nodes(&self) -> Nodes {
        Nodes {
            docker: self.clone(),
        }
    }
}

/// Which join tokens or keys an update issues anew.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotate {
    /// The worker join token.
    pub worker_token: bool,
    /// The manager join token.
    pub manager_token: bool,
    /// The unlock key (API 1.25).
    pub unlock_key: bool,
}

/// The swarm as seen from this node, as docker-py's `Swarm` model: the inspect
/// answer ([`attrs`](Swarm::attrs), `None` until loaded or when the node is not a
/// manager) and the swarm-wide operations.
#[derive(Debug, Clone)]
pub struct Swarm {
    docker: Docker,
    attrs: Option<Typed<models::Swarm>>,
}

impl Swarm {
    /// The inspect answer, if loaded.
    pub fn attrs(&self) -> Option<&Typed<models::Swarm>> {
        self.attrs.as_ref()
    }

    /// The swarm's id.
    pub fn id(&self) -> Option<&str> {
        self.attrs.as_ref()?.attrs.get("ID")?.as_str()
    }

    /// `Version.Index` of the loaded answer.
    pub fn version(&self) -> Option<u64> {
        version_of(&self.attrs.as_ref()?.attrs)
    }

    /// The join tokens of the loaded answer.
    pub fn join_tokens(&self) -> Option<JoinTokens> {
        self.attrs.as_ref()?.join_tokens.clone()
    }

    /// `GET /swarm`: loads the swarm. Not a manager of a swarm →
    /// [`Category::Unavailable`](crate::Category::Unavailable) (406
    /// [`Category::NotInSwarm`](crate::Category::NotInSwarm) on some daemons).
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = Some(self.docker.execute(&SwarmInspect).await?);
        Ok(())
    }

    /// Like [`reload`](Swarm::reload), but a node that is not a manager of a swarm
    /// is not an error (docker-py's tolerant `Swarm()` construction, edge case 166):
    /// `Ok(false)` and no attrs.
    pub async fn try_reload(&mut self) -> Result<bool> {
        match self.docker.execute(&SwarmInspect).await {
            Ok(a) => {
                self.attrs = Some(a);
                Ok(true)
            }
            Err(e) if is_not_in_swarm(e.kind()) => {
                self.attrs = None;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// `POST /swarm/init`, then loads the new swarm. Returns this node's id.
    pub async fn init(&mut self, options: &SwarmInit) -> Result<String> {
        let node_id = self.docker.execute(options).await?;
        self.reload().await?;
        Ok(node_id)
    }

    /// `POST /swarm/join`.
    pub async fn join(&self, options: &SwarmJoin) -> Result<()> {
        self.docker.execute(options).await
    }

    /// `POST /swarm/leave`: `true` when the node left; with `force`, `false` when it
    /// was not in a swarm (edge case 167). Clears the attrs.
    pub async fn leave(&mut self, force: bool) -> Result<bool> {
        let left = self.docker.execute(&SwarmLeave { force }).await?;
        self.attrs = None;
        Ok(left)
    }

    /// Applies `changes` to the swarm's current spec and sends it with the current
    /// version, both freshly inspected (so unset settings keep their values, unlike
    /// docker-py's `update`; retried when a concurrent update makes the version
    /// stale), then reloads.
    pub async fn update(&mut self, changes: &SwarmSpecOptions, rotate: Rotate) -> Result<()> {
        let mut attempt = 1;
        loop {
            let current = self.docker.execute(&SwarmInspect).await?;
            let api = self.docker.api_version().await?;
            let spec =
                changes.merge_into(current.attrs.get("Spec").unwrap_or(&Value::Null), api)?;
            let version = version_of(&current.attrs).unwrap_or(0);
            match self.update_spec(version, spec, rotate).await {
                Err(e) if attempt < UPDATE_ATTEMPTS && is_update_out_of_sequence(e.kind()) => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
                Ok(()) => return self.reload().await,
            }
        }
    }

    /// `POST /swarm/update` with an explicit version and whole spec; a stale version
    /// is an error with the daemon's "update out of sequence". Does not reload.
    pub async fn update_spec(&self, version: u64, spec: Value, rotate: Rotate) -> Result<()> {
        self.docker
            .execute(&SwarmUpdate {
                version,
                spec,
                rotate_worker_token: rotate.worker_token,
                rotate_manager_token: rotate.manager_token,
                rotate_manager_unlock_key: rotate.unlock_key,
            })
            .await
    }

    /// `GET /swarm/unlockkey`: the unlock key (empty when autolock is off).
    pub async fn unlock_key(&self) -> Result<String> {
        self.docker.execute(&SwarmUnlockKey).await
    }

    /// `POST /swarm/unlock`: unlocks a locked manager.
    pub async fn unlock(&self, key: &str) -> Result<()> {
        self.docker
            .execute(&SwarmUnlock {
                key: key.to_owned(),
            })
            .await
    }
}

/// The nodes collection: list and get.
#[derive(Debug, Clone)]
pub struct Nodes {
    docker: Docker,
}

impl Nodes {
    /// `GET /nodes` with filters (`id`, `label`, `membership`, `name`, `node.label`,
    /// `role`).
    pub async fn list(&self, filters: &Filters) -> Result<Vec<Node>> {
        let list = self
            .docker
            .execute(&NodeList {
                filters: filters.clone(),
            })
            .await?;
        list.into_iter()
            .map(|attrs| Node::from_inspect(self.docker.clone(), attrs))
            .collect()
    }

    /// `GET /nodes/{id}`: a node by id, id prefix or hostname.
    pub async fn get(&self, id_or_name: &str) -> Result<Node> {
        let attrs = self
            .docker
            .execute(&NodeInspect {
                id: id_or_name.to_owned(),
            })
            .await?;
        Node::from_inspect(self.docker.clone(), attrs)
    }
}

/// A swarm node, as docker-py's `Node` model.
#[derive(Debug, Clone)]
pub struct Node {
    docker: Docker,
    id: String,
    attrs: Typed<models::Node>,
}

impl Node {
    /// A node object from an inspect (or list) answer.
    pub fn from_inspect(docker: Docker, attrs: Typed<models::Node>) -> Result<Node> {
        let id = id_of(&attrs, |t| t.id.as_deref(), "ID", "node")?;
        Ok(Node { docker, id, attrs })
    }

    /// The node's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The inspect answer.
    pub fn attrs(&self) -> &Typed<models::Node> {
        &self.attrs
    }

    /// `Version.Index`.
    pub fn version(&self) -> Option<u64> {
        version_of(&self.attrs.attrs)
    }

    /// `Description.Hostname`.
    pub fn hostname(&self) -> Option<&str> {
        self.attrs
            .attrs
            .get("Description")?
            .get("Hostname")?
            .as_str()
    }

    /// `Spec.Role`: `manager` or `worker`.
    pub fn role(&self) -> Option<&str> {
        self.attrs.attrs.get("Spec")?.get("Role")?.as_str()
    }

    /// `Spec.Availability`: `active`, `pause` or `drain`.
    pub fn availability(&self) -> Option<&str> {
        self.attrs.attrs.get("Spec")?.get("Availability")?.as_str()
    }

    /// `ManagerStatus.Leader`.
    pub fn is_leader(&self) -> bool {
        self.attrs
            .attrs
            .get("ManagerStatus")
            .and_then(|m| m.get("Leader"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Inspects the node again.
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self
            .docker
            .execute(&NodeInspect {
                id: self.id.clone(),
            })
            .await?;
        Ok(())
    }

    /// Applies `changes` to the node's freshly inspected spec, sends it with that
    /// version (retried when a concurrent update makes it stale), then reloads.
    pub async fn update(&mut self, changes: &NodeSpecChange) -> Result<()> {
        let mut attempt = 1;
        loop {
            self.reload().await?;
            let spec = changes.merge_into(self.attrs.attrs.get("Spec").unwrap_or(&Value::Null))?;
            let version = self.version().unwrap_or(0);
            match self.update_spec(version, spec).await {
                Err(e) if attempt < UPDATE_ATTEMPTS && is_update_out_of_sequence(e.kind()) => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
                Ok(()) => return self.reload().await,
            }
        }
    }

    /// `POST /nodes/{id}/update` with an explicit version and whole spec (docker-py's
    /// `Node.update(node_spec)` with the cached version). Does not reload.
    pub async fn update_spec(&self, version: u64, spec: Value) -> Result<()> {
        self.docker
            .execute(&NodeUpdate {
                id: self.id.clone(),
                version,
                spec,
            })
            .await
    }

    /// `DELETE /nodes/{id}`.
    pub async fn remove(&self, force: bool) -> Result<()> {
        self.docker
            .execute(&NodeRemove {
                id: self.id.clone(),
                force,
            })
            .await
    }
}
