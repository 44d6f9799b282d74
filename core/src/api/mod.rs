//! Engine operations, one module per area (mirroring API-INVENTORY.md).

pub mod build;
pub mod configs;
pub mod container_io;
pub mod containers;
pub mod exec;
pub mod images;
pub mod networks;
pub mod nodes;
pub mod plugins;
pub mod secrets;
pub mod services;
pub mod swarm;
pub mod system;
pub mod tasks;
pub mod volumes;
