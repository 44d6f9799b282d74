//! `system`: ping, version, info, df, events, login.

use std::cell::RefCell;

use berth_core::api::images::AuthLogin;
use berth_core::api::system::{Events, Timestamp};
use berth_core::auth::AuthConfig;
use berth_guest::EventStream;
use serde_json::Value;

use crate::bindings::exports::berth::engine::common;
use crate::bindings::exports::berth::engine::system::{
    self, Event, EventsOptions, GuestEventStream, PingInfo, SystemInfo, VersionInfo,
};
use crate::{Engine, R, borrow, docker, err, filters, int, json_of, labels, opt_text, text, uint};

/// The exported event stream.
pub struct EventStreamImpl(RefCell<EventStream>);

impl GuestEventStream for EventStreamImpl {
    fn next(&self) -> R<Option<Event>> {
        match borrow(&self.0)?.next() {
            None => Ok(None),
            Some(Ok(ev)) => Ok(Some(event(&ev.attrs))),
            Some(Err(e)) => Err(err(e)),
        }
    }
}

/// An event's JSON as the WIT record.
fn event(v: &Value) -> Event {
    let actor = v.get("Actor").cloned().unwrap_or(Value::Null);
    Event {
        kind: text(v, "Type"),
        action: text(v, "Action"),
        actor_id: text(&actor, "ID"),
        actor_attributes: labels(actor.get("Attributes").unwrap_or(&Value::Null)),
        scope: opt_text(v, "scope"),
        time: int(v, "time"),
        time_nano: int(v, "timeNano"),
        attrs: v.to_string(),
    }
}

impl system::Guest for Engine {
    type EventStream = EventStreamImpl;

    fn ping() -> R<PingInfo> {
        let p = docker().ping().map_err(err)?;
        Ok(PingInfo {
            api_version: p.api_version.map(|v| v.to_string()),
            os_type: p.os_type,
            experimental: p.experimental,
            builder_version: p.builder_version,
            swarm: p.swarm,
        })
    }

    fn api_version() -> R<String> {
        Ok(docker().api_version().map_err(err)?.to_string())
    }

    fn version() -> R<VersionInfo> {
        let v = docker().system().version().map_err(err)?;
        let a = v.attrs.value();
        Ok(VersionInfo {
            version: text(a, "Version"),
            api_version: text(a, "ApiVersion"),
            min_api_version: text(a, "MinAPIVersion"),
            os: text(a, "Os"),
            arch: text(a, "Arch"),
            kernel_version: text(a, "KernelVersion"),
            attrs: a.to_string(),
        })
    }

    fn info() -> R<SystemInfo> {
        let i = docker().system().info().map_err(err)?;
        let a = i.attrs.value();
        Ok(SystemInfo {
            id: text(a, "ID"),
            name: text(a, "Name"),
            server_version: text(a, "ServerVersion"),
            containers: uint(a, "Containers"),
            containers_running: uint(a, "ContainersRunning"),
            containers_paused: uint(a, "ContainersPaused"),
            containers_stopped: uint(a, "ContainersStopped"),
            images: uint(a, "Images"),
            driver: text(a, "Driver"),
            operating_system: text(a, "OperatingSystem"),
            os_type: text(a, "OSType"),
            architecture: text(a, "Architecture"),
            ncpu: uint(a, "NCPU"),
            mem_total: uint(a, "MemTotal"),
            attrs: a.to_string(),
        })
    }

    fn df() -> R<String> {
        Ok(json_of(docker().system().df().map_err(err)?))
    }

    fn events(options: EventsOptions) -> R<system::EventStream> {
        let ev = Events {
            since: options.since.map(Timestamp::from_unix),
            until: options.until.map(Timestamp::from_unix),
            filters: filters(options.filters),
        };
        let s = docker().system().events(&ev).map_err(err)?;
        Ok(system::EventStream::new(EventStreamImpl(RefCell::new(s))))
    }

    fn login(auth: common::AuthConfig) -> R<String> {
        let a = AuthConfig {
            username: auth.username,
            password: auth.password,
            serveraddress: auth.server_address,
            identitytoken: auth.identity_token,
            ..AuthConfig::default()
        };
        Ok(json_of(
            docker().execute(&AuthLogin { auth: a }).map_err(err)?,
        ))
    }
}
