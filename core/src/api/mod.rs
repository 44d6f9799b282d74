//! Engine operations, one module per area (mirroring API-INVENTORY.md).

pub mod container_io;
pub mod containers;
pub mod exec;
pub mod images;
pub mod system;
