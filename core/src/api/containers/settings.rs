//! Changing a container's settings: name, resources and restart policy, TTY size.

use http::Method;

use super::on;
use crate::endpoint::{Endpoint, Response};
use crate::error::{Error, Result};
use crate::model::Typed;
use crate::models::{ContainerUpdateBody, ContainerUpdateResponse};
use crate::request::{Query, RequestHead, ResponseKind};
use crate::version::ApiVersion;

/// `POST /containers/{id}/rename?name=`. A taken name is [`Error::Conflict`].
#[derive(Debug, Clone, Default)]
pub struct ContainerRename {
    /// Id or current name.
    pub id: String,
    /// The new name.
    pub name: String,
}

impl Endpoint for ContainerRename {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if self.name.is_empty() {
            return Err(Error::InvalidArgument(
                "container rename: the new name is empty".into(),
            ));
        }
        let q = Query::new().push("name", &self.name);
        on(
            Method::POST,
            api,
            &self.id,
            "/rename",
            q,
            ResponseKind::Empty,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

/// `POST /containers/{id}/update`: changes resources and the restart policy of a
/// container, running or not. Needs API 1.22; `RestartPolicy` needs 1.23.
///
/// Every field that is `Some` is sent, zeros included (edge case 123; docker-py drops
/// falsy values). What a zero means is the daemon's call: dockerd 20.10 reads `0` as
/// "leave unchanged" for the resource fields, so lift a CPU quota with
/// `cpu_quota: Some(-1)`.
///
/// ```
/// use berth_core::api::containers::ContainerUpdate;
/// use berth_core::endpoint::Endpoint;
/// use berth_core::models::ContainerUpdateBody;
/// let u = ContainerUpdate {
///     id: "web".into(),
///     body: ContainerUpdateBody { cpu_quota: Some(0), ..Default::default() },
/// };
/// let head = u.request(berth_core::ApiVersion::new(1, 41))?;
/// assert_eq!(head.body, berth_core::request::RequestBody::Json(r#"{"CpuQuota":0}"#.into()));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ContainerUpdate {
    /// Id or name.
    pub id: String,
    /// The resources to change.
    pub body: ContainerUpdateBody,
}

impl Endpoint for ContainerUpdate {
    type Output = Typed<ContainerUpdateResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 22), "container update")?;
        if self.body.restart_policy.is_some() {
            api.require(ApiVersion::new(1, 23), "container update (restart policy)")?;
        }
        on(
            Method::POST,
            api,
            &self.id,
            "/update",
            Query::new(),
            ResponseKind::Json,
        )?
        .json_body(&self.body)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `POST /containers/{id}/resize?h=&w=`: the TTY size, in characters. Only meaningful
/// for a container created with a TTY.
#[derive(Debug, Clone, Default)]
pub struct ContainerResize {
    /// Id or name.
    pub id: String,
    /// Rows.
    pub height: u32,
    /// Columns.
    pub width: u32,
}

impl Endpoint for ContainerResize {
    type Output = ();

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let q = Query::new()
            .push("h", &self.height.to_string())
            .push("w", &self.width.to_string());
        on(
            Method::POST,
            api,
            &self.id,
            "/resize",
            q,
            ResponseKind::Empty,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<()> {
        r.success()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{V41, json_of, resp};
    use super::*;
    use crate::models::{RestartPolicy, RestartPolicyNameEnum};

    #[test]
    fn rename_needs_a_name() {
        let r = ContainerRename {
            id: "c".into(),
            name: "new name".into(),
        };
        assert_eq!(
            r.request(V41).expect("req").path,
            "/v1.41/containers/c/rename?name=new%20name"
        );
        let empty = ContainerRename {
            id: "c".into(),
            name: String::new(),
        };
        assert!(matches!(empty.request(V41), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn update_sends_zeros_and_gates_restart_policy() {
        let u = ContainerUpdate {
            id: "c".into(),
            body: ContainerUpdateBody {
                cpu_quota: Some(0),
                cpu_shares: Some(0),
                memory: Some(64 << 20),
                ..ContainerUpdateBody::default()
            },
        };
        let h = u.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/containers/c/update");
        assert_eq!(
            json_of(&h),
            serde_json::json!({"CpuQuota": 0, "CpuShares": 0, "Memory": 67108864})
        );
        assert!(u.request(ApiVersion::new(1, 21)).is_err());
        let rp = ContainerUpdate {
            id: "c".into(),
            body: ContainerUpdateBody {
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                ..ContainerUpdateBody::default()
            },
        };
        assert!(matches!(
            rp.request(ApiVersion::new(1, 22)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        assert_eq!(
            json_of(&rp.request(ApiVersion::new(1, 23)).expect("req")),
            serde_json::json!({"RestartPolicy": {"Name": "unless-stopped"}})
        );
        for body in [
            &br#"{"Warnings":null}"#[..],
            br#"{}"#,
            br#"{"Warnings":["w"]}"#,
        ] {
            u.parse(resp(200, body)).expect("update response");
        }
    }

    #[test]
    fn resize_query() {
        let r = ContainerResize {
            id: "c".into(),
            height: 40,
            width: 120,
        };
        assert_eq!(
            r.request(V41).expect("req").path,
            "/v1.41/containers/c/resize?h=40&w=120"
        );
        assert!(r.parse(resp(200, b"")).is_ok());
    }
}
