//! Engine operations, one module per area (mirroring API-INVENTORY.md).

pub mod container_io;
pub mod exec;
pub mod system;
