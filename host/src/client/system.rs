//! System area: version, info, data usage, events.

use std::time::{SystemTime, UNIX_EPOCH};

use berth_core::api::system::{DataUsage, DiskUsage, Events, Info, Timestamp, Version};
use berth_core::model::{Typed, TypedDecoder};
use berth_core::models::{EventMessage, SystemInfo, SystemVersion};
use berth_core::stream::json::JsonStreamDecoder;

use super::{DecodedStream, Docker};
use crate::error::{Error, Result};

/// The stream returned by [`Docker::events`].
pub type EventStream = DecodedStream<TypedDecoder<JsonStreamDecoder, EventMessage>>;

impl Docker {
    /// `GET /version`: daemon, API and component versions.
    pub async fn version(&self) -> Result<Typed<SystemVersion>> {
        self.execute(&Version::default()).await
    }

    /// `GET /info`: system-wide information.
    pub async fn info(&self) -> Result<Typed<SystemInfo>> {
        self.execute(&Info).await
    }

    /// `GET /system/df`: disk usage of images, containers, volumes and build cache.
    pub async fn df(&self) -> Result<Typed<DiskUsage>> {
        self.execute(&DataUsage::default()).await
    }

    /// `GET /events`: a stream of typed events. Endless unless `until` is set; with an
    /// `until` in the past the daemon replays and the stream ends cleanly.
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// use futures_util::StreamExt;
    /// let opts = berth::api::system::Events::default();
    /// let mut events = docker.events(&opts).await?;
    /// while let Some(ev) = events.next().await {
    ///     let ev = ev?;
    ///     println!("{:?} {:?}", ev.typ, ev.action);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn events(&self, options: &Events) -> Result<EventStream> {
        self.stream(options).await
    }
}

/// A [`Timestamp`] for `since`/`until` from a [`SystemTime`].
pub fn timestamp(t: SystemTime) -> Result<Timestamp> {
    let d = t.duration_since(UNIX_EPOCH).map_err(|_| {
        Error::from(berth_core::Error::InvalidArgument(
            "times before 1970 cannot be sent to the daemon".into(),
        ))
    })?;
    let secs = i64::try_from(d.as_secs()).map_err(|_| {
        Error::from(berth_core::Error::InvalidArgument(
            "time too far in the future".into(),
        ))
    })?;
    Ok(Timestamp::from_unix_nanos(secs, d.subsec_nanos()))
}
