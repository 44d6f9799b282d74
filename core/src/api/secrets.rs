//! Swarm secrets: create, list, inspect, update (labels only), remove.
//!
//! Data is bytes: strings are sent as their UTF-8 bytes, and the wire form is the
//! standard base64 alphabet (edge case 179). The daemon never returns a secret's data.
//! Services mount secrets through a
//! [`SecretReference`](crate::api::services::SecretReference).
//!
//! ```
//! use berth_core::api::secrets::SecretCreate;
//! use berth_core::endpoint::Endpoint;
//! let create = SecretCreate::new("db-password", b"s3cr\xff".to_vec()).label("app", "shop");
//! let head = create.request(berth_core::ApiVersion::new(1, 41))?;
//! assert_eq!(head.path, "/v1.41/secrets/create");
//! # Ok::<(), berth_core::Error>(())
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use http::Method;
use serde_json::{Map, Value, json};

use super::swarm::{DriverConfig, object_of};
use crate::endpoint::{Endpoint, Response};
use crate::error::{Error, Result};
use crate::model::Typed;
use crate::model::typed_list;
use crate::models::{IdResponse, Secret};
use crate::request::{Filters, Query, RequestHead, ResponseKind, quote_id};
use crate::version::ApiVersion;

/// Secrets appeared in API 1.25.
const SECRETS_API: ApiVersion = ApiVersion::new(1, 25);

/// The create body of a secret or config: `{Name, Data (standard base64), Labels,
/// Driver?, Templating?}`.
pub(crate) fn create_body(
    what: &str,
    name: &str,
    data: &[u8],
    labels: &BTreeMap<String, String>,
    driver: Option<&DriverConfig>,
    templating: Option<&DriverConfig>,
) -> Result<Value> {
    if name.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{what} create: the name is empty"
        )));
    }
    let mut m = Map::new();
    m.insert("Name".into(), Value::String(name.to_owned()));
    m.insert(
        "Data".into(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(data)),
    );
    m.insert("Labels".into(), json!(labels));
    if let Some(d) = driver {
        m.insert("Driver".into(), d.checked_json(&format!("{what} driver"))?);
    }
    if let Some(t) = templating {
        m.insert(
            "Templating".into(),
            t.checked_json(&format!("{what} templating"))?,
        );
    }
    Ok(Value::Object(m))
}

/// The current `Spec` of a secret or config with its labels replaced: the body of a
/// labels-only update (the daemon refuses any other change).
///
/// ```
/// use std::collections::BTreeMap;
/// let spec = serde_json::json!({"Name": "s", "Labels": {"a": "1"}});
/// let next = berth_core::api::secrets::relabel(&spec, &BTreeMap::from([("b".to_string(), "2".to_string())]))?;
/// assert_eq!(next, serde_json::json!({"Name": "s", "Labels": {"b": "2"}}));
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn relabel(spec: &Value, labels: &BTreeMap<String, String>) -> Result<Value> {
    let mut m = object_of(spec, "the current spec")?;
    m.insert("Labels".into(), json!(labels));
    Ok(Value::Object(m))
}

/// A request on `/{area}/{id}{suffix}` for secrets and configs.
pub(crate) fn object_request(
    method: Method,
    api: ApiVersion,
    area: &str,
    id: &str,
    suffix: &str,
    q: Query,
    response: ResponseKind,
) -> Result<RequestHead> {
    let what = area.trim_end_matches('s');
    Ok(RequestHead::versioned(
        method,
        api,
        &format!("/{area}/{}{suffix}", quote_id(what, id)?),
        q,
        response,
    ))
}

/// `POST /secrets/create`. Output: the new secret's id. A taken name is
/// [`Error::Conflict`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretCreate {
    /// The secret's name.
    pub name: String,
    /// The secret's bytes.
    pub data: Vec<u8>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// An external secret store driver (API 1.31); the data is then ignored by the
    /// default store.
    pub driver: Option<DriverConfig>,
    /// A templating driver (`golang`; API 1.37).
    pub templating: Option<DriverConfig>,
}

impl SecretCreate {
    /// A secret named `name` holding `data` (strings: their UTF-8 bytes).
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> SecretCreate {
        SecretCreate {
            name: name.into(),
            data: data.into(),
            ..SecretCreate::default()
        }
    }

    /// Adds a label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> SecretCreate {
        self.labels.insert(key.into(), value.into());
        self
    }
}

impl Endpoint for SecretCreate {
    type Output = Typed<IdResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(SECRETS_API, "secret create")?;
        if self.driver.is_some() {
            api.require(ApiVersion::new(1, 31), "secret create (driver)")?;
        }
        if self.templating.is_some() {
            api.require(ApiVersion::new(1, 37), "secret create (templating)")?;
        }
        let body = create_body(
            "secret",
            &self.name,
            &self.data,
            &self.labels,
            self.driver.as_ref(),
            self.templating.as_ref(),
        )?;
        RequestHead::versioned(
            Method::POST,
            api,
            "/secrets/create",
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

/// `GET /secrets?filters=`: secrets without their data. Filters: `id`, `label`,
/// `name` (prefix match), `names` (exact).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretList {
    /// Which secrets.
    pub filters: Filters,
}

impl Endpoint for SecretList {
    type Output = Vec<Typed<Secret>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(SECRETS_API, "secret list")?;
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/secrets",
            Query::new().filters(&self.filters),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "secret list")
    }
}

/// `GET /secrets/{id}`: a secret's metadata (never its data). Unknown →
/// [`Error::NotFound`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretInspect {
    /// Id or name.
    pub id: String,
}

impl Endpoint for SecretInspect {
    type Output = Typed<Secret>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(SECRETS_API, "secret inspect")?;
        object_request(
            Method::GET,
            api,
            "secrets",
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

/// `POST /secrets/{id}/update?version=`: replaces the spec; only `Labels` may
/// change (build it with [`relabel`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretUpdate {
    /// Id or name.
    pub id: String,
    /// The secret's current `Version.Index`.
    pub version: u64,
    /// The whole spec.
    pub spec: Value,
}

impl Endpoint for SecretUpdate {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(SECRETS_API, "secret update")?;
        let spec = object_of(&self.spec, "secret update: the spec")?;
        object_request(
            Method::POST,
            api,
            "secrets",
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

/// `DELETE /secrets/{id}`. In use by a service → an error keeping the daemon's
/// message; unknown → [`Error::NotFound`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretRemove {
    /// Id or name.
    pub id: String,
}

impl Endpoint for SecretRemove {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(SECRETS_API, "secret remove")?;
        object_request(
            Method::DELETE,
            api,
            "secrets",
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
    fn create_encodes_bytes_with_the_standard_alphabet() {
        // 0xfb 0xff encodes to "+/8=" in standard base64 ("-_8=" URL-safe).
        let c = SecretCreate::new("s", vec![0xfb, 0xff]).label("berth.test", "1");
        let body = json_of(&c.request(V41).expect("head"));
        assert_eq!(
            body,
            json!({"Name": "s", "Data": "+/8=", "Labels": {"berth.test": "1"}})
        );
        let text = SecretCreate::new("t", "héllo");
        assert_eq!(
            json_of(&text.request(V41).expect("head"))["Data"],
            "aMOpbGxv"
        );
        assert!(SecretCreate::new("", "x").request(V41).is_err());
    }

    #[test]
    fn create_driver_and_templating_gates() {
        let mut c = SecretCreate::new("s", "x");
        c.driver = Some(DriverConfig::new("vault").option("path", "/p"));
        c.templating = Some(DriverConfig::new("golang"));
        let body = json_of(&c.request(V41).expect("head"));
        assert_eq!(
            body["Driver"],
            json!({"Name": "vault", "Options": {"path": "/p"}})
        );
        assert_eq!(body["Templating"], json!({"Name": "golang"}));
        assert!(matches!(
            c.request(ApiVersion::new(1, 30)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        assert!(matches!(
            SecretList::default().request(ApiVersion::new(1, 24)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
    }

    #[test]
    fn create_parses_id_and_conflict() {
        let c = SecretCreate::new("s", "x");
        let id = c.parse(resp(201, br#"{"ID":"abc"}"#)).expect("id");
        assert_eq!(id.id, "abc");
        let e = c
            .parse(resp(
                409,
                br#"{"message":"rpc error: code = AlreadyExists desc = secret s already exists"}"#,
            ))
            .expect_err("dup");
        assert!(matches!(e, Error::Conflict(_)));
    }

    #[test]
    fn list_inspect_update_remove_requests() {
        let l = SecretList {
            filters: Filters::new().with("names", "s"),
        };
        assert!(
            l.request(V41)
                .expect("head")
                .path
                .starts_with("/v1.41/secrets?filters=")
        );
        let secrets = l
            .parse(resp(
                200,
                br#"[{"ID":"i","Version":{"Index":11},"Spec":{"Name":"s","Labels":{}}}]"#,
            ))
            .expect("list");
        assert_eq!(
            secrets[0].spec.as_ref().and_then(|s| s.name.as_deref()),
            Some("s")
        );
        assert_eq!(
            SecretInspect { id: "i".into() }
                .request(V41)
                .expect("head")
                .path,
            "/v1.41/secrets/i"
        );
        let u = SecretUpdate {
            id: "i".into(),
            version: 11,
            spec: json!({"Name": "s", "Labels": {"x": "y"}}),
        };
        let head = u.request(V41).expect("head");
        assert_eq!(head.path, "/v1.41/secrets/i/update?version=11");
        assert_eq!(json_of(&head)["Labels"]["x"], "y");
        let rm = SecretRemove { id: "i".into() }.request(V41).expect("head");
        assert_eq!(
            (rm.method, rm.path.as_str()),
            (Method::DELETE, "/v1.41/secrets/i")
        );
        assert!(SecretRemove::default().request(V41).is_err());
    }
}
