//! [`RawJson`]: any Engine call with a JSON body in and the JSON answer out (the
//! escape hatch for operations without a typed endpoint).

use berth_core::endpoint::{Endpoint, Response};
use berth_core::request::{Query, RequestHead, ResponseKind, quote_id};
use berth_core::{ApiVersion, Error, Result};
use http::Method;
use serde_json::Value;

/// An Engine call on a versioned path, with an optional JSON body; the answer is the
/// JSON body (`null` for an empty one).
///
/// ```
/// use berth_guest::RawJson;
/// use berth_core::endpoint::Endpoint;
/// let call = RawJson::post("/containers/{}/update", &["web"], serde_json::json!({"Memory": 1}))?;
/// let head = call.request(berth_core::ApiVersion::new(1, 41))?;
/// assert_eq!(head.path, "/v1.41/containers/web/update");
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RawJson {
    method: Method,
    path: String,
    query: Query,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl RawJson {
    /// A call on `template` with each `{}` replaced by the next id of `ids`, quoted (an
    /// empty id or a `.`/`..` segment fails).
    pub fn new(method: Method, template: &str, ids: &[&str]) -> Result<RawJson> {
        let mut path = String::with_capacity(template.len() + 32);
        let mut parts = template.split("{}");
        path.push_str(parts.next().unwrap_or_default());
        let mut ids = ids.iter();
        for part in parts {
            let id = ids.next().ok_or_else(|| {
                Error::InvalidArgument(format!("{template}: fewer ids than placeholders"))
            })?;
            path.push_str(&quote_id("object", id)?);
            path.push_str(part);
        }
        if ids.next().is_some() {
            return Err(Error::InvalidArgument(format!(
                "{template}: more ids than placeholders"
            )));
        }
        Ok(RawJson {
            method,
            path,
            query: Query::new(),
            body: None,
            headers: Vec::new(),
        })
    }

    /// `GET` on `template` (see [`RawJson::new`]).
    pub fn get(template: &str, ids: &[&str]) -> Result<RawJson> {
        RawJson::new(Method::GET, template, ids)
    }

    /// `POST` with a JSON body on `template` (see [`RawJson::new`]).
    pub fn post(template: &str, ids: &[&str], body: Value) -> Result<RawJson> {
        Ok(RawJson::new(Method::POST, template, ids)?.body(body))
    }

    /// Sets the JSON body.
    pub fn body(mut self, body: Value) -> RawJson {
        self.body = Some(body);
        self
    }

    /// Appends a query parameter.
    pub fn query(mut self, key: &str, value: &str) -> RawJson {
        self.query = self.query.push(key, value);
        self
    }

    /// Adds a header (`X-Registry-Auth`).
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> RawJson {
        self.headers.push((name, value.into()));
        self
    }
}

impl Endpoint for RawJson {
    type Output = Value;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut head = RequestHead::versioned(
            self.method.clone(),
            api,
            &self.path,
            self.query.clone(),
            ResponseKind::Json,
        );
        head.headers.clone_from(&self.headers);
        match &self.body {
            Some(b) => head.json_body(b),
            None => Ok(head),
        }
    }

    fn parse(&self, r: Response<'_>) -> Result<Value> {
        r.success()?;
        if r.body.trim_ascii().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(r.body).map_err(|e| {
            Error::Decode(format!(
                "{} {}: the answer is not JSON ({e})",
                self.method, self.path
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_core::headers::Headers;

    #[test]
    fn ids_are_quoted_and_counted() {
        let v41 = ApiVersion::new(1, 41);
        let call = RawJson::get("/networks/{}/connect", &["my net"]).expect("one id");
        assert_eq!(
            call.request(v41).expect("head").path,
            "/v1.41/networks/my%20net/connect"
        );
        assert!(RawJson::get("/networks/{}", &[]).is_err());
        assert!(RawJson::get("/networks", &["x"]).is_err());
        assert!(RawJson::get("/networks/{}", &[".."]).is_err());
        assert!(RawJson::get("/networks/{}", &[""]).is_err());
        let q = RawJson::get("/images/search", &[])
            .expect("no ids")
            .query("term", "a b");
        assert_eq!(
            q.request(v41).expect("head").path,
            "/v1.41/images/search?term=a%20b"
        );
    }

    #[test]
    fn answers_are_json_or_errors() {
        let call = RawJson::post("/build/prune", &[], Value::Null).expect("call");
        let h = Headers::new();
        let ok = |body: &'static [u8]| Response {
            status: 200,
            headers: &h,
            body,
        };
        assert_eq!(call.parse(ok(b"")).expect("empty"), Value::Null);
        assert_eq!(call.parse(ok(br#"{"a":1}"#)).expect("json")["a"], 1);
        assert!(matches!(call.parse(ok(b"nope")), Err(Error::Decode(_))));
        let denied = Response {
            status: 404,
            headers: &h,
            body: br#"{"message":"no such network"}"#,
        };
        assert!(call.parse(denied).is_err_and(|e| e.is_not_found()));
    }
}
