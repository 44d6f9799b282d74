//! A blocking client: the async [`crate::Docker`] on its own runtime, like
//! `reqwest::blocking`.

use std::sync::Arc;

use berth_core::ApiVersion;
use berth_core::api::system::{DiskUsage, Events, PingInfo};
use berth_core::endpoint::{Endpoint, StreamEndpoint};
use berth_core::model::Typed;
use berth_core::models::{EventMessage, SystemInfo, SystemVersion};
use berth_core::stream::Decoder;

use crate::client::{DecodedStream, DockerBuilder};
use crate::error::{Error, Result};

/// A blocking Docker client. Do not use it inside an async runtime's worker threads.
///
/// ```no_run
/// # fn demo() -> berth::Result<()> {
/// let docker = berth::blocking::Docker::from_env()?;
/// println!("{:?}", docker.info()?.name);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Docker {
    inner: crate::Docker,
    rt: Arc<tokio::runtime::Runtime>,
}

impl Docker {
    /// See [`crate::Docker::from_env`].
    pub fn from_env() -> Result<Docker> {
        Docker::from_builder(DockerBuilder::from_env()?)
    }

    /// See [`crate::Docker::connect`].
    pub fn connect(url: &str) -> Result<Docker> {
        Docker::from_builder(DockerBuilder::new(url))
    }

    /// A blocking client from a builder.
    pub fn from_builder(builder: DockerBuilder) -> Result<Docker> {
        // current_thread: the calling thread drives the socket itself inside `block_on`,
        // so an answer wakes no other thread (a 1-worker pool cost ~30 µs per call).
        // Calls from several threads at once take turns driving the runtime.
        let rt = tokio::runtime::Builder::new_current_thread()
            .thread_name("berth-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::with_source(
                    berth_core::Error::Transport(format!("cannot start the I/O runtime: {e}")),
                    e,
                )
            })?;
        let inner = {
            let _guard = rt.enter();
            builder.build()?
        };
        Ok(Docker {
            inner,
            rt: Arc::new(rt),
        })
    }

    /// The async client this wraps.
    pub fn async_client(&self) -> &crate::Docker {
        &self.inner
    }

    /// Runs any endpoint. See [`crate::Docker::execute`].
    pub fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output> {
        self.rt.block_on(self.inner.execute(endpoint))
    }

    /// Runs a streaming endpoint; iterate the result. See [`crate::Docker::stream`].
    pub fn stream<E: StreamEndpoint>(&self, endpoint: &E) -> Result<Iter<E::Decoder>> {
        let stream = self.rt.block_on(self.inner.stream(endpoint))?;
        Ok(Iter {
            stream,
            rt: self.rt.clone(),
        })
    }

    /// The API version in use (negotiated on first use).
    pub fn api_version(&self) -> Result<ApiVersion> {
        self.rt.block_on(self.inner.api_version())
    }

    /// See [`crate::Docker::ping`].
    pub fn ping(&self) -> Result<PingInfo> {
        self.rt.block_on(self.inner.ping())
    }

    /// See [`crate::Docker::version`].
    pub fn version(&self) -> Result<Typed<SystemVersion>> {
        self.rt.block_on(self.inner.version())
    }

    /// See [`crate::Docker::info`].
    pub fn info(&self) -> Result<Typed<SystemInfo>> {
        self.rt.block_on(self.inner.info())
    }

    /// See [`crate::Docker::df`].
    pub fn df(&self) -> Result<Typed<DiskUsage>> {
        self.rt.block_on(self.inner.df())
    }

    /// See [`crate::Docker::events`].
    pub fn events(&self, options: &Events) -> Result<Iter<<Events as StreamEndpoint>::Decoder>> {
        self.stream(options)
    }
}

/// A blocking iterator over a streaming response.
pub struct Iter<D> {
    stream: DecodedStream<D>,
    rt: Arc<tokio::runtime::Runtime>,
}

impl<D> std::fmt::Debug for Iter<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("stream", &self.stream)
            .finish()
    }
}

impl<D: Decoder> Iterator for Iter<D> {
    type Item = Result<D::Item>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rt.block_on(self.stream.next_item())
    }
}

/// Events as typed values: the item type of [`Docker::events`].
pub type Event = Typed<EventMessage>;

#[path = "blocking_containers.rs"]
mod containers;
#[path = "blocking_io.rs"]
mod io;
pub use containers::{Container, Containers};
pub use io::BlockingRunOutcome;
#[path = "blocking_networks.rs"]
mod networks;
pub use networks::{Network, Networks};
#[path = "blocking_volumes.rs"]
mod volumes;
pub use volumes::{Volume, Volumes};
#[path = "blocking_images.rs"]
mod images;
pub use images::{BodyReader, Image, Images, RegistryData};
#[path = "blocking_swarm.rs"]
mod swarm;
pub use swarm::{Config, Configs, Node, Nodes, Secret, Secrets, Service, Services, Swarm, Tasks};
