//! berth: a Docker Engine client.
//!
//! ```no_run
//! # async fn demo() -> berth::Result<()> {
//! let docker = berth::Docker::from_env()?;
//! let v = docker.version().await?;
//! println!("daemon {} (API {})", v.version.as_deref().unwrap_or("?"), docker.api_version().await?);
//! # Ok(()) }
//! ```
//!
//! - [`Docker`]: the async client (tokio); [`blocking::Docker`]: the same, blocking.
//! - [`transport`]: pooled keep-alive connections over unix sockets, TCP, TLS and SSH.
//! - [`api`]: the Engine operations and their options (from berth-core).
//!
//! All Docker knowledge (requests, responses, stream formats) lives in the sans-IO crate
//! berth-core; this crate adds the I/O.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod blocking;
mod client;
mod error;
#[cfg(feature = "plugins")]
pub mod plugin;
pub mod transport;

pub use berth_core::api;
pub use berth_core::model::Typed;
pub use berth_core::models;
pub use berth_core::{ApiVersion, Category};
pub use client::build::{
    BuildContext, BuildError, BuildLog, BuildOptions, BuildResult, BuildStream, ContainerLimits,
};
pub use client::container_io::{ExecResult, ExecSession, LogStream};
pub use client::containers::{Container, Containers, RemoveOptions, StatsStream};
pub use client::images::{AuthStore, Image, Images, PushStream, RegistryData, SaveName};
pub use client::networks::{Network, Networks};
pub use client::plugins::{Plugin, Plugins};
pub use client::run::{PullStream, RunOptions, RunOutcome};
pub use client::secrets::{Config, Configs, Secret, Secrets};
pub use client::services::{Service, Services, Tasks};
pub use client::swarm::{Node, Nodes, Rotate, Swarm};
pub use client::system::{EventStream, timestamp};
pub use client::volumes::{Volume, Volumes};
pub use client::{
    CallTimeout, DecodedStream, Docker, DockerBuilder, Output, OutputStream, Session, SessionInput,
};
pub use error::{Error, Result};

/// berth-core, for endpoint types, decoders and options.
pub use berth_core as core;
