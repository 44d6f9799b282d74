//! Containers: list, create, inspect, the lifecycle (start … remove), update, top,
//! changes, stats, prune and commit.
//!
//! Streaming and I/O operations (logs, attach, exec, archives, export) and the
//! docker-py create options live elsewhere; this area takes a ready
//! [`ContainerCreateBody`](crate::models::ContainerCreateBody) ([`ContainerCreate`]) or
//! the options themselves ([`ContainerCreateFrom`]).
//!
//! | module | operations |
//! | --- | --- |
//! | [`collection`] | [`ContainerList`], [`ContainerCreate`], [`ContainerCreateFrom`], [`ContainerInspect`], [`ContainerPrune`], [`ContainerCommit`] |
//! | [`lifecycle`] | [`ContainerStart`], [`ContainerStop`], [`ContainerRestart`], [`ContainerKill`], [`ContainerPause`], [`ContainerUnpause`], [`ContainerWait`], [`ContainerRemove`] |
//! | [`settings`] | [`ContainerRename`], [`ContainerUpdate`], [`ContainerResize`] |
//! | [`observe`] | [`ContainerTop`], [`ContainerChanges`], [`ContainerStats`], [`ContainerStatsStream`], [`port_bindings_of`], [`published_ports_of`] |
//!
//! ```
//! use berth_core::api::containers::{ContainerStop, Signal};
//! use berth_core::endpoint::Endpoint;
//! use berth_core::ApiVersion;
//!
//! let stop = ContainerStop { id: "web".into(), timeout: Some(1), signal: None };
//! assert_eq!(stop.request(ApiVersion::new(1, 41))?.path, "/v1.41/containers/web/stop?t=1");
//! assert_eq!(Signal::from(9).to_string(), "9");
//! # Ok::<(), berth_core::Error>(())
//! ```

use http::Method;

use crate::error::Result;
use crate::request::{Query, RequestHead, ResponseKind, push_quoted_id};
use crate::version::ApiVersion;

pub mod collection;
pub mod lifecycle;
pub mod observe;
pub mod settings;

pub use collection::{
    ContainerCommit, ContainerCreate, ContainerCreateFrom, ContainerInspect, ContainerList,
    ContainerPrune,
};
pub use lifecycle::{
    ContainerKill, ContainerPause, ContainerRemove, ContainerRestart, ContainerStart,
    ContainerStop, ContainerUnpause, ContainerWait, Signal, WaitCondition,
};
pub use observe::{
    ChangeKind, ContainerChanges, ContainerStats, ContainerStatsStream, ContainerTop, HostBinding,
    StatsDecoder, port_bindings_of, published_ports_of,
};
pub use settings::{ContainerRename, ContainerResize, ContainerUpdate};

/// A request on `/containers/{id}{suffix}`.
fn on(
    method: Method,
    api: ApiVersion,
    id: &str,
    suffix: &str,
    q: Query,
    response: ResponseKind,
) -> Result<RequestHead> {
    Ok(RequestHead::versioned(
        method,
        api,
        &container_path(id, suffix)?,
        q,
        response,
    ))
}

/// `/containers/{id}{suffix}` with the id quoted (empty ids fail before any I/O).
fn container_path(id: &str, suffix: &str) -> Result<String> {
    let mut path = String::with_capacity(12 + id.len() + suffix.len());
    path.push_str("/containers/");
    push_quoted_id(&mut path, "container", id)?;
    path.push_str(suffix);
    Ok(path)
}

#[cfg(test)]
mod test_support {

    use crate::headers::Headers;
    use serde_json::Value;

    use crate::endpoint::Response;
    use crate::request::{RequestBody, RequestHead};
    use crate::version::ApiVersion;

    pub(super) const V41: ApiVersion = ApiVersion::new(1, 41);

    static NO_HEADERS: Headers = Headers::new();

    /// A response with no headers.
    pub(super) fn resp(status: u16, body: &[u8]) -> Response<'_> {
        Response {
            status,
            headers: &NO_HEADERS,
            body,
        }
    }

    /// The JSON body of a request head.
    pub(super) fn json_of(head: &RequestHead) -> Value {
        match &head.body {
            RequestBody::Json(b) => serde_json::from_slice(b).expect("json body"),
            other => panic!("expected a JSON body, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::model::typed_list;
    use crate::models::FilesystemChange;

    #[test]
    fn container_path_quotes_and_refuses_empty() {
        assert_eq!(
            container_path("a b", "/start").expect("ok"),
            "/containers/a%20b/start"
        );
        assert!(matches!(
            container_path("", "/json"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(container_path("..", "").is_err());
    }

    #[test]
    fn typed_list_reads_null_as_empty_and_rejects_objects() {
        assert!(
            typed_list::<FilesystemChange>(b"null", "x")
                .expect("null")
                .is_empty()
        );
        assert!(
            typed_list::<FilesystemChange>(b"[]", "x")
                .expect("empty")
                .is_empty()
        );
        assert!(matches!(
            typed_list::<FilesystemChange>(b"{}", "x"),
            Err(Error::Decode(_))
        ));
        assert!(matches!(
            typed_list::<FilesystemChange>(b"nope", "x"),
            Err(Error::Decode(_))
        ));
    }
}
