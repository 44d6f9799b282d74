//! docker-py's container conveniences as pure functions and a builder.
//!
//! docker-py accepts many shapes for one option — ports as ints, strings, tuples,
//! dicts and lists; binds as strings or dicts; memory as `"512m"`; commands as shell
//! strings — and converts them to the Engine's JSON. Here each shape is a typed value
//! or a string parsed by a small function with its own error message, and
//! [`ContainerOptions`] gathers them into the create body.
//!
//! | concern | module | main items |
//! | --- | --- | --- |
//! | byte sizes, CPUs, durations | `units` | [`parse_bytes`], [`MemoryBytes`], [`nano_cpus`], [`parse_duration`] |
//! | ports | `ports` | [`ContainerPort`], [`HostBinding`], [`PortSpec`], [`PortBindings`] |
//! | binds, tmpfs, devices | `binds` | [`Bind`], [`binds_from_map`], [`tmpfs_map`], [`parse_device`] |
//! | mounts | `mounts` | [`MountSpec`] |
//! | env, labels, words, hosts, links | `env` | [`format_env`], [`parse_env_file`], [`shell_split`], [`links`], [`ProxyEnv`] |
//! | small types | `types` | [`Ulimit`], [`LogConfig`], [`RestartPolicy`], [`DeviceRequest`], [`Healthcheck`] |
//! | networks | `network` | [`EndpointConfig`] |
//! | the builder | `container`, `host_config`, `build` | [`ContainerOptions`] |
//!
//! Where docker-py is lenient or quirky (see API-INVENTORY §8.2) berth is explicit:
//! zero values are expressible, `"53/udp"` is never suffixed twice, unknown bind
//! options and propagation modes are errors rather than silently dropped.
//!
//! ```
//! use berth_core::{ApiVersion, options::{ContainerOptions, Healthcheck, RestartPolicy}};
//! use std::time::Duration;
//!
//! let body = ContainerOptions::new("redis:7")
//!     .cmd_line("redis-server --appendonly yes")?
//!     .publish("6379:6379")?
//!     .restart_policy(RestartPolicy::UnlessStopped)
//!     .healthcheck(Healthcheck::cmd(["redis-cli", "ping"]).interval(Duration::from_secs(10)))
//!     .to_body(ApiVersion::new(1, 43))?;
//! assert_eq!(body.cmd.as_deref().map(<[String]>::len), Some(3));
//! # Ok::<(), berth_core::Error>(())
//! ```

mod binds;
mod build;
mod container;
mod env;
mod host_config;
mod mounts;
mod network;
mod ports;
mod types;
mod units;

#[cfg(test)]
mod tests;

pub use binds::{
    Bind, BindTarget, Propagation, binds_from_map, parse_device, tmpfs_entry, tmpfs_map,
    volumes_from,
};
pub use container::ContainerOptions;
pub use env::{
    ProxyEnv, env_entry, env_var, extra_hosts, format_env, group_add, labels_from_names, link,
    links, parse_env_file, shell_split, sysctls,
};
pub use mounts::{MountKind, MountSpec};
pub use network::EndpointConfig;
pub use ports::{
    ContainerPort, HostBinding, HostPort, PortBindings, PortSpec, Protocol, exposed_ports,
    port_bindings,
};
pub use types::{DeviceRequest, HealthTest, Healthcheck, LogConfig, RestartPolicy, Ulimit};
pub use units::{
    MemoryBytes, duration_nanos, health_duration, nano_cpus, parse_bytes, parse_cpus,
    parse_duration,
};
