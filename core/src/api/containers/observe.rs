//! Looking into a container: processes (`top`), filesystem changes, resource stats and
//! published ports.

use std::collections::BTreeMap;
use std::fmt;

use http::Method;
use serde_json::Value;

use super::container_path;
use crate::endpoint::{Endpoint, Response, StreamEndpoint};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::model::{Typed, TypedDecoder, excerpt};
use crate::models::{
    ChangeType, ContainerInspectResponse, ContainerStatsResponse, ContainerTopResponse,
    FilesystemChange,
};
use crate::request::{Query, RequestHead, ResponseKind};
use crate::stream::json::JsonStreamDecoder;
use crate::version::ApiVersion;

/// `GET /containers/{id}/top?ps_args=`: the container's processes as `{Titles,
/// Processes}`. A container that is not running is an error (409 or 500 by daemon
/// version).
#[derive(Debug, Clone, Default)]
pub struct ContainerTop {
    /// Id or name.
    pub id: String,
    /// Arguments for `ps` (`aux`, `-ef`); `None` = the daemon's default (`-ef`).
    pub ps_args: Option<String>,
}

impl Endpoint for ContainerTop {
    type Output = Typed<ContainerTopResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &container_path(&self.id, "/top")?,
            Query::new().opt("ps_args", self.ps_args.as_deref()),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// The kind of a filesystem change reported by [`ContainerChanges`].
///
/// ```
/// use berth_core::api::containers::ChangeKind;
/// assert_eq!(ChangeKind::from_code(1), ChangeKind::Added);
/// assert_eq!(ChangeKind::Deleted.to_string(), "D");
/// assert_eq!(ChangeKind::from_code(7).code(), 7);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// `0`, shown as `C`.
    Modified,
    /// `1`, shown as `A`.
    Added,
    /// `2`, shown as `D`.
    Deleted,
    /// A code newer than berth.
    Unknown(i64),
}

impl ChangeKind {
    /// The kind for the Engine's numeric code.
    pub fn from_code(code: i64) -> ChangeKind {
        match code {
            0 => ChangeKind::Modified,
            1 => ChangeKind::Added,
            2 => ChangeKind::Deleted,
            other => ChangeKind::Unknown(other),
        }
    }

    /// The Engine's numeric code.
    pub fn code(self) -> i64 {
        match self {
            ChangeKind::Modified => 0,
            ChangeKind::Added => 1,
            ChangeKind::Deleted => 2,
            ChangeKind::Unknown(c) => c,
        }
    }

    /// The kind of one change, read from its raw JSON (so codes newer than the models
    /// still come through as [`ChangeKind::Unknown`]).
    pub fn of(change: &Typed<FilesystemChange>) -> ChangeKind {
        match change.attrs.get("Kind").and_then(Value::as_i64) {
            Some(code) => ChangeKind::from_code(code),
            None => ChangeKind::from_code(change.kind as i64),
        }
    }
}

impl fmt::Display for ChangeKind {
    /// The CLI's letter (`C`, `A`, `D`), or the code when unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeKind::Modified => f.write_str("C"),
            ChangeKind::Added => f.write_str("A"),
            ChangeKind::Deleted => f.write_str("D"),
            ChangeKind::Unknown(c) => write!(f, "{c}"),
        }
    }
}

/// `GET /containers/{id}/changes`: files added, modified or deleted since the
/// container was created. An unchanged filesystem (`null`) is an empty list (edge
/// case 122). Use [`ChangeKind::of`] on each item.
#[derive(Debug, Clone, Default)]
pub struct ContainerChanges {
    /// Id or name.
    pub id: String,
}

impl Endpoint for ContainerChanges {
    type Output = Vec<Typed<FilesystemChange>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &container_path(&self.id, "/changes")?,
            Query::new(),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        let value: Value = serde_json::from_slice(r.body).map_err(|e| {
            Error::Decode(format!(
                "container changes: body is not JSON ({e}): {}",
                excerpt(r.body)
            ))
        })?;
        let items = match value {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) => items,
            other => {
                return Err(Error::Decode(format!(
                    "container changes: expected a JSON array, got {}",
                    excerpt(other.to_string().as_bytes())
                )));
            }
        };
        items.into_iter().map(change).collect()
    }
}

/// One change; a `Kind` the models cannot read (a newer code) keeps the item, with
/// the raw code in `attrs` and `Kind` named in `unread`.
fn change(attrs: Value) -> Result<Typed<FilesystemChange>> {
    match Typed::from_value(attrs.clone()) {
        Ok(t) => Ok(t),
        Err(e) => match attrs.get("Path").and_then(Value::as_str) {
            Some(path) if attrs.get("Kind").is_some_and(Value::is_i64) => {
                let typed = FilesystemChange {
                    path: path.to_owned(),
                    kind: ChangeType::default(),
                };
                Ok(Typed::from_parts(attrs.into(), typed, vec!["Kind".into()]))
            }
            _ => Err(e),
        },
    }
}

/// `GET /containers/{id}/stats?stream=false`: one sample of resource usage.
///
/// Without `one_shot` the daemon waits for a second sample (~1–2 s) so the CPU
/// fields of `precpu_stats` are filled; `one_shot` (API 1.41) answers at once with
/// an empty `precpu_stats`. Field names differ by API version (`network` before 1.21,
/// `networks` since): read `attrs` for anything the models lack.
#[derive(Debug, Clone, Default)]
pub struct ContainerStats {
    /// Id or name.
    pub id: String,
    /// Answer at once with a single sample; needs API 1.41.
    pub one_shot: bool,
}

impl Endpoint for ContainerStats {
    type Output = Typed<ContainerStatsResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new().flag("stream", false);
        if self.one_shot {
            api.require(ApiVersion::new(1, 41), "container stats (one-shot)")?;
            q = q.flag("one-shot", true);
        }
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &container_path(&self.id, "/stats")?,
            q,
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// The decoder of [`ContainerStatsStream`].
pub type StatsDecoder = TypedDecoder<JsonStreamDecoder, ContainerStatsResponse>;

/// `GET /containers/{id}/stats?stream=true`: a sample about every second until the
/// stream is dropped (or the container is removed).
#[derive(Debug, Clone, Default)]
pub struct ContainerStatsStream {
    /// Id or name.
    pub id: String,
}

impl StreamEndpoint for ContainerStatsStream {
    type Decoder = StatsDecoder;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &container_path(&self.id, "/stats")?,
            Query::new().flag("stream", true),
            ResponseKind::JsonStream,
        ))
    }

    fn decoder(&self, _status: u16, _headers: &Headers) -> Result<StatsDecoder> {
        Ok(TypedDecoder::new(JsonStreamDecoder::new()))
    }
}

/// Where a container port is published on the host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostBinding {
    /// Host address (`0.0.0.0`, `::`, `127.0.0.1`); empty when the daemon sent none.
    pub host_ip: String,
    /// Host port, as the daemon sends it (a string).
    pub host_port: String,
}

impl HostBinding {
    fn from_json(v: &Value) -> HostBinding {
        let text = |key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        HostBinding {
            host_ip: text("HostIp"),
            host_port: text("HostPort"),
        }
    }
}

fn bindings(v: &Value) -> Option<Vec<HostBinding>> {
    v.as_array()
        .map(|list| list.iter().map(HostBinding::from_json).collect())
}

/// docker-py's `port(container, private_port)`: where `private_port` is published,
/// from an inspect answer.
///
/// `"80/udp"` looks up exactly that key; a bare `"80"` tries `tcp`, then `udp`, then
/// `sctp`, and takes the first with bindings. `None` when `NetworkSettings.Ports` is
/// `null` (host networking, edge case 121) or the port is not published.
///
/// ```
/// use berth_core::api::containers::port_bindings_of;
/// use berth_core::model::Typed;
/// let inspect = Typed::from_value(serde_json::json!({
///     "NetworkSettings": {"Ports": {
///         "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "32768"}],
///         "53/udp": null
///     }}
/// }))?;
/// let b = port_bindings_of(&inspect, "80").expect("published");
/// assert_eq!((b[0].host_ip.as_str(), b[0].host_port.as_str()), ("127.0.0.1", "32768"));
/// assert!(port_bindings_of(&inspect, "53").is_none());
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn port_bindings_of(
    inspect: &Typed<ContainerInspectResponse>,
    private_port: &str,
) -> Option<Vec<HostBinding>> {
    let ports = inspect.attrs.get("NetworkSettings")?.get("Ports")?;
    if !ports.is_object() {
        return None;
    }
    if private_port.contains('/') {
        return bindings(ports.get(private_port)?);
    }
    ["tcp", "udp", "sctp"].iter().find_map(|proto| {
        bindings(ports.get(format!("{private_port}/{proto}"))?).filter(|b| !b.is_empty())
    })
}

/// Every exposed port (`80/tcp`) with its host bindings (empty when exposed but not
/// published); empty under host networking. docker-py's `Container.ports`.
pub fn published_ports_of(
    inspect: &Typed<ContainerInspectResponse>,
) -> BTreeMap<String, Vec<HostBinding>> {
    inspect
        .attrs
        .get("NetworkSettings")
        .and_then(|n| n.get("Ports"))
        .and_then(Value::as_object)
        .map(|ports| {
            ports
                .iter()
                .map(|(k, v)| (k.clone(), bindings(v).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{V41, resp};
    use super::*;
    use crate::stream::Decoder;

    #[test]
    fn top_query() {
        let t = ContainerTop {
            id: "c".into(),
            ps_args: None,
        };
        assert_eq!(t.request(V41).expect("req").path, "/v1.41/containers/c/top");
        let t = ContainerTop {
            id: "c".into(),
            ps_args: Some("aux -o pid".into()),
        };
        assert_eq!(
            t.request(V41).expect("req").path,
            "/v1.41/containers/c/top?ps_args=aux%20-o%20pid"
        );
        let r = t
            .parse(resp(
                200,
                br#"{"Titles":["PID","USER","TIME","COMMAND"],"Processes":[["1","root","0:00","sleep 300"]]}"#,
            ))
            .expect("top");
        assert_eq!(r.titles.as_ref().expect("titles")[0], "PID");
        assert_eq!(r.processes.as_ref().expect("procs")[0][3], "sleep 300");
        let e = t
            .parse(resp(409, br#"{"message":"Container c is not running"}"#))
            .expect_err("409");
        assert!(matches!(e, Error::Conflict(_)));
    }

    #[test]
    fn changes_null_kinds_and_unknown_codes() {
        let c = ContainerChanges { id: "c".into() };
        assert_eq!(
            c.request(V41).expect("req").path,
            "/v1.41/containers/c/changes"
        );
        assert!(c.parse(resp(200, b"null")).expect("null").is_empty());
        let items = c
            .parse(resp(
                200,
                br#"[{"Path":"/tmp","Kind":0},{"Path":"/tmp/f","Kind":1},{"Path":"/etc/x","Kind":2},{"Path":"/new","Kind":9}]"#,
            ))
            .expect("changes");
        let kinds: Vec<(String, ChangeKind)> = items
            .iter()
            .map(|i| (i.path.clone(), ChangeKind::of(i)))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("/tmp".into(), ChangeKind::Modified),
                ("/tmp/f".into(), ChangeKind::Added),
                ("/etc/x".into(), ChangeKind::Deleted),
                ("/new".into(), ChangeKind::Unknown(9)),
            ]
        );
        assert_eq!(items[3].unread(), ["Kind"]);
        assert!(matches!(
            c.parse(resp(200, br#"[{"Kind":"x"}]"#)),
            Err(Error::Decode(_))
        ));
        assert!(matches!(c.parse(resp(200, b"{}")), Err(Error::Decode(_))));
        assert!(
            c.parse(resp(404, br#"{"message":"No such container: c"}"#))
                .expect_err("404")
                .is_not_found()
        );
    }

    #[test]
    fn stats_once_and_one_shot_gate() {
        let s = ContainerStats {
            id: "c".into(),
            one_shot: false,
        };
        assert_eq!(
            s.request(ApiVersion::new(1, 40)).expect("req").path,
            "/v1.40/containers/c/stats?stream=false"
        );
        let one = ContainerStats {
            id: "c".into(),
            one_shot: true,
        };
        assert_eq!(
            one.request(V41).expect("req").path,
            "/v1.41/containers/c/stats?stream=false&one-shot=true"
        );
        assert!(matches!(
            one.request(ApiVersion::new(1, 40)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        let r = one
            .parse(resp(
                200,
                br#"{"read":"2024-01-01T00:00:00Z","memory_stats":{"usage":1024},"networks":{"eth0":{"rx_bytes":1}},"name":"/c"}"#,
            ))
            .expect("stats");
        assert_eq!(r.memory_stats.as_ref().and_then(|m| m.usage), Some(1024));
        assert_eq!(r.name.as_deref(), Some("/c"));
    }

    #[test]
    fn stats_stream_decodes_samples_split_anywhere() {
        let s = ContainerStatsStream { id: "c".into() };
        let h = s.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/containers/c/stats?stream=true");
        assert_eq!(h.response, ResponseKind::JsonStream);
        let wire = b"{\"memory_stats\":{\"usage\":1},\"pids_stats\":{\"current\":1}}\n{\"memory_stats\":{\"usage\":2}}\n";
        for split in 0..wire.len() {
            let mut d = s.decoder(200, &Headers::new()).expect("decoder");
            let mut seen = Vec::new();
            for part in [&wire[..split], &wire[split..]] {
                d.push(part);
                while let Some(item) = d.next().expect("ok") {
                    seen.push(item.memory_stats.as_ref().and_then(|m| m.usage));
                }
            }
            assert!(d.finish().expect("clean end").is_none());
            assert_eq!(seen, vec![Some(1), Some(2)], "split at {split}");
        }
    }

    fn inspect(ports: Value) -> Typed<ContainerInspectResponse> {
        Typed::from_value(serde_json::json!({"Id": "c", "NetworkSettings": {"Ports": ports}}))
            .expect("inspect")
    }

    #[test]
    fn port_lookup_like_docker_py() {
        let i = inspect(serde_json::json!({
            "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}],
            "53/tcp": null,
            "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}],
            "132/sctp": [{"HostIp": "", "HostPort": "1132"}],
            "9/udp": []
        }));
        let b = port_bindings_of(&i, "80").expect("80");
        assert_eq!(b.len(), 2);
        assert_eq!(b[1].host_ip, "::");
        assert_eq!(
            port_bindings_of(&i, "53").expect("udp fallback")[0].host_port,
            "5353"
        );
        assert_eq!(
            port_bindings_of(&i, "132").expect("sctp")[0].host_port,
            "1132"
        );
        assert!(port_bindings_of(&i, "53/tcp").is_none(), "exact: null");
        assert_eq!(port_bindings_of(&i, "9/udp"), Some(Vec::new()), "exact: []");
        assert!(
            port_bindings_of(&i, "9").is_none(),
            "empty lists are skipped"
        );
        assert!(port_bindings_of(&i, "81").is_none());
        assert!(port_bindings_of(&i, "80/udp").is_none());
        let host_net = inspect(Value::Null);
        assert!(port_bindings_of(&host_net, "80").is_none());
        assert!(published_ports_of(&host_net).is_empty());
        let all = published_ports_of(&i);
        assert_eq!(all.len(), 5);
        assert!(all["53/tcp"].is_empty());
        assert_eq!(all["80/tcp"][0].host_port, "8080");
        let none: Typed<ContainerInspectResponse> =
            Typed::from_value(serde_json::json!({"Id": "c"})).expect("inspect");
        assert!(port_bindings_of(&none, "80").is_none());
    }
}
