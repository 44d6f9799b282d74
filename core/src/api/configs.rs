//! Swarm configs: create, list, inspect (data included), update (labels only),
//! remove.
//!
//! Like secrets, data is bytes sent as standard base64 (edge case 179); unlike
//! secrets, inspect returns it: [`config_data`] decodes it. Services mount configs
//! through a [`ConfigReference`](crate::api::services::ConfigReference).
//!
//! ```
//! use berth_core::api::configs::{ConfigCreate, config_data};
//! let attrs = serde_json::json!({"Spec": {"Name": "nginx.conf", "Data": "aGk="}});
//! assert_eq!(config_data(&attrs)?, b"hi");
//! # Ok::<(), berth_core::Error>(())
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use http::Method;
use serde_json::Value;

use super::secrets::{create_body, object_request};
use super::swarm::{DriverConfig, object_of};
use crate::endpoint::{Endpoint, Response};
use crate::error::{Error, Result};
use crate::model::Typed;
use crate::model::typed_list;
use crate::models::{Config, IdResponse};
use crate::request::{Filters, Query, RequestHead, ResponseKind};
use crate::version::ApiVersion;

/// Configs appeared in API 1.30.
const CONFIGS_API: ApiVersion = ApiVersion::new(1, 30);

/// The bytes of a config, from its inspect answer's `Spec.Data` (standard base64).
pub fn config_data(attrs: &Value) -> Result<Vec<u8>> {
    let data = attrs
        .get("Spec")
        .and_then(|s| s.get("Data"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Decode("config has no Spec.Data".into()))?;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| Error::Decode(format!("config Spec.Data is not base64: {e}")))
}

/// `POST /configs/create`. Output: the new config's id. A taken name is
/// [`Error::Conflict`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigCreate {
    /// The config's name.
    pub name: String,
    /// The config's bytes.
    pub data: Vec<u8>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// A templating driver (`golang`; API 1.37): the data is a template rendered per
    /// task.
    pub templating: Option<DriverConfig>,
}

impl ConfigCreate {
    /// A config named `name` holding `data` (strings: their UTF-8 bytes).
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> ConfigCreate {
        ConfigCreate {
            name: name.into(),
            data: data.into(),
            ..ConfigCreate::default()
        }
    }

    /// Adds a label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> ConfigCreate {
        self.labels.insert(key.into(), value.into());
        self
    }
}

impl Endpoint for ConfigCreate {
    type Output = Typed<IdResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(CONFIGS_API, "config create")?;
        if self.templating.is_some() {
            api.require(ApiVersion::new(1, 37), "config create (templating)")?;
        }
        let body = create_body(
            "config",
            &self.name,
            &self.data,
            &self.labels,
            None,
            self.templating.as_ref(),
        )?;
        RequestHead::versioned(
            Method::POST,
            api,
            "/configs/create",
            Query::new(),
            ResponseKind::Json,
        )
        .json_body(&body)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `GET /configs?filters=`: configs with their data. Filters: `id`, `label`, `name`
/// (prefix match), `names` (exact).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigList {
    /// Which configs.
    pub filters: Filters,
}

impl Endpoint for ConfigList {
    type Output = Vec<Typed<Config>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(CONFIGS_API, "config list")?;
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/configs",
            Query::new().filters(&self.filters),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "config list")
    }
}

/// `GET /configs/{id}`: a config with its data. Unknown → [`Error::NotFound`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigInspect {
    /// Id or name.
    pub id: String,
}

impl Endpoint for ConfigInspect {
    type Output = Typed<Config>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(CONFIGS_API, "config inspect")?;
        object_request(
            Method::GET,
            api,
            "configs",
            &self.id,
            "",
            Query::new(),
            ResponseKind::Json,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `POST /configs/{id}/update?version=`: replaces the spec; only `Labels` may change
/// (build it with [`relabel`](crate::api::secrets::relabel) over the current spec,
/// which carries the unchanged data).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigUpdate {
    /// Id or name.
    pub id: String,
    /// The config's current `Version.Index`.
    pub version: u64,
    /// The whole spec.
    pub spec: Value,
}

impl Endpoint for ConfigUpdate {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(CONFIGS_API, "config update")?;
        let spec = object_of(&self.spec, "config update: the spec")?;
        object_request(
            Method::POST,
            api,
            "configs",
            &self.id,
            "/update",
            Query::new().push("version", &self.version.to_string()),
            ResponseKind::Empty,
        )?
        .json_body(&spec)
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `DELETE /configs/{id}`. In use by a service → an error keeping the daemon's
/// message; unknown → [`Error::NotFound`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigRemove {
    /// Id or name.
    pub id: String,
}

impl Endpoint for ConfigRemove {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(CONFIGS_API, "config remove")?;
        object_request(
            Method::DELETE,
            api,
            "configs",
            &self.id,
            "",
            Query::new(),
            ResponseKind::Empty,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

#[cfg(test)]
mod tests {

    use crate::headers::Headers;
    use serde_json::json;

    use super::*;
    use crate::request::RequestBody;

    const V41: ApiVersion = ApiVersion::new(1, 41);
    static NO_HEADERS: Headers = Headers::new();

    fn resp(status: u16, body: &[u8]) -> Response<'_> {
        Response {
            status,
            headers: &NO_HEADERS,
            body,
        }
    }

    fn json_of(head: &RequestHead) -> Value {
        match &head.body {
            RequestBody::Json(b) => serde_json::from_slice(b).expect("json body"),
            other => panic!("expected a JSON body, got {other:?}"),
        }
    }

    #[test]
    fn create_body_and_gates() {
        let mut c = ConfigCreate::new("c", "a=1\n").label("berth.test", "1");
        let body = json_of(&c.request(V41).expect("head"));
        assert_eq!(
            body,
            json!({"Name": "c", "Data": "YT0xCg==", "Labels": {"berth.test": "1"}})
        );
        assert!(body.get("Driver").is_none());
        c.templating = Some(DriverConfig::new("golang"));
        assert_eq!(
            json_of(&c.request(V41).expect("head"))["Templating"]["Name"],
            "golang"
        );
        assert!(matches!(
            c.request(ApiVersion::new(1, 36)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        assert!(matches!(
            ConfigCreate::new("c", "x").request(ApiVersion::new(1, 29)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
    }

    #[test]
    fn data_round_trips_and_bad_data_is_decode_error() {
        let bytes: Vec<u8> = (0u8..=255).collect();
        let c = ConfigCreate::new("c", bytes.clone());
        let sent = json_of(&c.request(V41).expect("head"));
        let attrs = json!({"Spec": sent});
        assert_eq!(config_data(&attrs).expect("decode"), bytes);
        assert!(matches!(
            config_data(&json!({"Spec": {"Data": "%%"}})),
            Err(Error::Decode(_))
        ));
        assert!(config_data(&json!({})).is_err());
    }

    #[test]
    fn requests_and_answers() {
        let l = ConfigList::default();
        assert_eq!(l.request(V41).expect("head").path, "/v1.41/configs");
        let list = l
            .parse(resp(
                200,
                br#"[{"ID":"c1","Version":{"Index":3},"Spec":{"Name":"c","Data":"eA=="}}]"#,
            ))
            .expect("list");
        assert_eq!(list[0].id.as_deref(), Some("c1"));
        let i = ConfigInspect { id: "c1".into() };
        assert_eq!(i.request(V41).expect("head").path, "/v1.41/configs/c1");
        assert!(matches!(
            i.parse(resp(404, br#"{"message":"config c1 not found"}"#)),
            Err(Error::NotFound(_))
        ));
        let u = ConfigUpdate {
            id: "c1".into(),
            version: 3,
            spec: json!({"Name": "c", "Data": "eA==", "Labels": {"k": "v"}}),
        };
        assert_eq!(
            u.request(V41).expect("head").path,
            "/v1.41/configs/c1/update?version=3"
        );
        let rm = ConfigRemove { id: "c1".into() }.request(V41).expect("head");
        assert_eq!(rm.method, Method::DELETE);
        assert!(ConfigRemove::default().request(V41).is_err());
        assert!(
            ConfigCreate::new("c", "x")
                .parse(resp(409, b"{\"message\":\"exists\"}"))
                .is_err()
        );
    }
}
