//! Engine operations, one module per area (mirroring API-INVENTORY.md).

pub mod system;
