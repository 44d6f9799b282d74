//! Tasks of swarm services: list and inspect, plus readers for the fields tests and
//! tools poll on (state, container id).
//!
//! ```
//! use berth_core::api::tasks::TaskList;
//! use berth_core::endpoint::Endpoint;
//! let list = TaskList::for_service("web").desired_state("running");
//! assert!(list.request(berth_core::ApiVersion::new(1, 41))?.path.starts_with("/v1.41/tasks?filters="));
//! # Ok::<(), berth_core::Error>(())
//! ```

use http::Method;
use serde_json::Value;

use super::swarm::swarm_request;
use crate::endpoint::{Endpoint, Response};
use crate::error::Result;
use crate::model::Typed;
use crate::model::typed_list;
use crate::models::Task;
use crate::request::{Filters, Query, RequestHead, ResponseKind, quote_id};
use crate::version::ApiVersion;

/// `GET /tasks?filters=`: tasks of all services. Filters: `desired-state`
/// (`running`, `shutdown`, `accepted`), `id`, `label`, `name`, `node`, `service`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskList {
    /// Which tasks.
    pub filters: Filters,
}

impl TaskList {
    /// The tasks of one service (docker-py's `Service.tasks`): the `service` filter.
    pub fn for_service(service: impl Into<String>) -> TaskList {
        TaskList {
            filters: Filters::new().with("service", service),
        }
    }

    /// Adds a `desired-state` filter.
    pub fn desired_state(mut self, state: impl Into<String>) -> TaskList {
        self.filters.add("desired-state", state);
        self
    }
}

impl Endpoint for TaskList {
    type Output = Vec<Typed<Task>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        swarm_request(
            Method::GET,
            api,
            "/tasks",
            Query::new().filters(&self.filters),
            ResponseKind::Json,
            "task list",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        typed_list(r.body, "task list")
    }
}

/// `GET /tasks/{id}`: one task. Unknown → [`Error::NotFound`](crate::Error::NotFound).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskInspect {
    /// The task's id.
    pub id: String,
}

impl Endpoint for TaskInspect {
    type Output = Typed<Task>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        swarm_request(
            Method::GET,
            api,
            &format!("/tasks/{}", quote_id("task", &self.id)?),
            Query::new(),
            ResponseKind::Json,
            "task inspect",
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `Status.State` of a task (`new` … `running`, `complete`, `failed`, `rejected`, …),
/// read from its raw JSON so states newer than the models still read.
///
/// ```
/// let t = serde_json::json!({"Status": {"State": "running", "ContainerStatus": {"ContainerID": "c1"}}});
/// assert_eq!(berth_core::api::tasks::task_state(&t), Some("running"));
/// assert_eq!(berth_core::api::tasks::task_container_id(&t), Some("c1"));
/// ```
pub fn task_state(attrs: &Value) -> Option<&str> {
    attrs.get("Status")?.get("State")?.as_str()
}

/// `Status.ContainerStatus.ContainerID` of a task: the container running it, once
/// the node started one.
pub fn task_container_id(attrs: &Value) -> Option<&str> {
    attrs
        .get("Status")?
        .get("ContainerStatus")?
        .get("ContainerID")?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// `Status.Err` of a task: why it failed or was rejected (e.g. "No such image").
pub fn task_error(attrs: &Value) -> Option<&str> {
    attrs
        .get("Status")?
        .get("Err")?
        .as_str()
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {

    use crate::headers::Headers;
    use serde_json::json;

    use super::*;
    use crate::error::Error;

    const V41: ApiVersion = ApiVersion::new(1, 41);
    static NO_HEADERS: Headers = Headers::new();

    fn resp(status: u16, body: &[u8]) -> Response<'_> {
        Response {
            status,
            headers: &NO_HEADERS,
            body,
        }
    }

    #[test]
    fn list_for_service_filters() {
        let l = TaskList::for_service("s1").desired_state("running");
        assert_eq!(
            l.filters.to_json(),
            r#"{"desired-state":["running"],"service":["s1"]}"#
        );
        let tasks = l
            .parse(resp(
                200,
                br#"[{"ID":"t1","ServiceID":"s1","Slot":1,"Status":{"State":"running","ContainerStatus":{"ContainerID":"c1","PID":7}},"DesiredState":"running"}]"#,
            ))
            .expect("tasks");
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].slot, Some(1));
        assert_eq!(task_state(&tasks[0].attrs), Some("running"));
        assert_eq!(task_container_id(&tasks[0].attrs), Some("c1"));
        assert!(l.parse(resp(200, b"null")).expect("null").is_empty());
    }

    #[test]
    fn inspect_path_and_not_found() {
        let i = TaskInspect { id: "t1".into() };
        assert_eq!(i.request(V41).expect("head").path, "/v1.41/tasks/t1");
        assert!(TaskInspect::default().request(V41).is_err());
        assert!(matches!(
            i.parse(resp(404, br#"{"message":"task t1 not found"}"#)),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn readers_tolerate_missing_fields() {
        let t = json!({"Status": {"State": "rejected", "Err": "No such image: x", "ContainerStatus": {"ContainerID": ""}}});
        assert_eq!(task_error(&t), Some("No such image: x"));
        assert_eq!(task_container_id(&t), None);
        assert_eq!(task_state(&json!({})), None);
    }
}
