//! berth-core: the Docker Engine API with no I/O.
//!
//! In scope: request heads for every Engine operation berth covers, response parsers,
//! push-style stream decoders (multiplexed, raw TTY, JSON lines), API version
//! negotiation, `DOCKER_HOST`/context/TLS-environment parsing from values, and the
//! error model shared by every face of berth.
//!
//! Out of scope: sockets, files, clocks, threads, environment variables and async
//! runtimes. The host (berth-host) does the I/O and hands bytes and values in; this
//! crate builds for `wasm32-wasip2` and `wasm32-unknown-unknown` and `clippy.toml`
//! forbids the I/O APIs.
//!
//! Wire models: berth uses the generated `bollard-stubs` models (re-exported as
//! [`models`]) rather than generating its own from moby's `api/swagger.yaml`: they are
//! generated from that same spec, build for wasm with default features off, and are
//! kept current upstream. Their weak spot — unknown enum values and type drift fail
//! serde — is covered by [`Typed`], which keeps the raw JSON and decodes leniently.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod context;
pub mod daemon_host;
pub mod endpoint;
pub mod error;
pub mod headers;
pub mod http1;
pub mod json;
pub mod model;
pub mod options;
pub mod policy;
pub mod request;
pub mod stream;
pub mod version;

/// The Engine's wire models (generated from moby's `api/swagger.yaml`, via `bollard-stubs`).
pub use bollard_stubs::models;

pub use error::{Category, DaemonMessage, Error, Result};
pub use model::Typed;
pub use version::ApiVersion;
