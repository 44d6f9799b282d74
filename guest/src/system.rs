//! System: ping, version, info, disk usage, events.

use berth_core::api::system::{DataUsage, DiskUsage, Events, Info, PingInfo, Version};
use berth_core::model::TypedDecoder;
use berth_core::models::{EventMessage, SystemInfo, SystemVersion};
use berth_core::stream::JsonStreamDecoder;
use berth_core::{Result, Typed};

use crate::client::{Docker, Stream};

/// The stream returned by [`System::events`].
pub type EventStream = Stream<TypedDecoder<JsonStreamDecoder, EventMessage>>;

impl Docker {
    /// System-wide operations.
    pub fn system(&self) -> System<'_> {
        System { docker: self }
    }
}

/// System-wide operations.
#[derive(Debug, Clone, Copy)]
pub struct System<'a> {
    docker: &'a Docker,
}

impl System<'_> {
    /// `GET /_ping`.
    pub fn ping(&self) -> Result<PingInfo> {
        self.docker.ping()
    }

    /// `GET /version`.
    pub fn version(&self) -> Result<Typed<SystemVersion>> {
        self.docker.execute(&Version::default())
    }

    /// `GET /info`.
    pub fn info(&self) -> Result<Typed<SystemInfo>> {
        self.docker.execute(&Info)
    }

    /// `GET /system/df`.
    pub fn df(&self) -> Result<Typed<DiskUsage>> {
        self.docker.execute(&DataUsage::default())
    }

    /// `GET /events`: an iterator of typed events (endless unless `until` is set).
    pub fn events(&self, options: &Events) -> Result<EventStream> {
        self.docker.stream(options)
    }
}
