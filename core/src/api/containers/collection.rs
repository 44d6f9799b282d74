//! Whole-container operations: list, create, inspect, prune, commit.

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use super::container_path;
use crate::endpoint::{Endpoint, Response, success};
use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::model::{Typed, typed_list_lazy_from_bytes, typed_with_default};
use crate::models::{
    ContainerCreateBody, ContainerCreateResponse, ContainerInspectResponse, ContainerPruneResponse,
    ContainerSummary, IdResponse,
};
use crate::options::ContainerOptions;
use crate::request::{Filters, Query, RequestHead, ResponseKind};
use crate::version::ApiVersion;

/// `GET /containers/json`: containers, running ones only unless `all`.
///
/// Only the options that are set are sent (`all=1`, `limit=N`, `size=1`, `filters`),
/// so the daemon's defaults apply to the rest. docker-py's `latest=True` is
/// [`ContainerList::latest`] (`limit=1`, stopped containers included).
///
/// ```
/// use berth_core::api::containers::ContainerList;
/// use berth_core::endpoint::Endpoint;
/// use berth_core::request::Filters;
/// let list = ContainerList {
///     all: true,
///     filters: Filters::new().with("label", "app=web"),
///     ..ContainerList::default()
/// };
/// assert_eq!(
///     list.request(berth_core::ApiVersion::new(1, 41))?.path,
///     "/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22app%3Dweb%22%5D%7D"
/// );
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ContainerList {
    /// Include stopped containers.
    pub all: bool,
    /// At most this many of the most recently created containers (running or not).
    /// `None` or a negative value (docker-py's `-1`) means no limit.
    pub limit: Option<i64>,
    /// Only containers created after this one (id or name). Sent as the `since`
    /// filter: daemons ignore docker-py's legacy `since` query parameter.
    pub since: Option<String>,
    /// Only containers created before this one (id or name). Sent as the `before`
    /// filter, like `since`.
    pub before: Option<String>,
    /// Report `SizeRw` and `SizeRootFs` (slow: the daemon walks each filesystem).
    pub size: bool,
    /// `label`, `status`, `name`, `id`, `ancestor`, `exited`, … filters.
    pub filters: Filters,
}

impl ContainerList {
    /// docker-py's `latest=True`: only the most recently created container.
    pub fn latest() -> ContainerList {
        ContainerList {
            all: true,
            limit: Some(1),
            ..ContainerList::default()
        }
    }
}

impl Endpoint for ContainerList {
    type Output = Vec<Typed<ContainerSummary>>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new();
        if self.all {
            q = q.flag01("all", true);
        }
        q = q.opt("limit", self.limit.filter(|l| *l >= 0));
        if self.size {
            q = q.flag01("size", true);
        }
        // dockerd ignores the legacy `since`/`before` query parameters (20.10 lists
        // everything): send them as the filters of the same name.
        let mut filters = self.filters.clone();
        for (key, value) in [("since", &self.since), ("before", &self.before)] {
            match value.as_deref() {
                Some("") => {
                    return Err(Error::InvalidArgument(format!(
                        "container list: `{key}` is empty; give a container id or name, or None"
                    )));
                }
                Some(v) => filters.add(key, v),
                None => {}
            }
        }
        q = q.filters(&filters);
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            "/containers/json",
            q,
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        self.parse_owned(r.status, r.headers, Bytes::copy_from_slice(r.body))
    }

    fn parse_owned(&self, status: u16, _: &Headers, body: Bytes) -> Result<Self::Output> {
        success(status, &body)?;
        // Lazy: `ps` and most scripts read a few fields of a few items.
        typed_list_lazy_from_bytes(body, "container list")
    }
}

/// `POST /containers/create?name=&platform=`: creates a container from a ready body.
///
/// The name and platform go in the query string, never in the body (edge case 88).
/// A missing image is [`Error::ImageNotFound`], a taken name [`Error::Conflict`].
/// `Warnings` may be `null`, a list or absent: the typed view always has a list.
#[derive(Debug, Clone, Default)]
pub struct ContainerCreate {
    /// The container's name (`None`: the daemon generates one).
    pub name: Option<String>,
    /// `os[/arch[/variant]]` of the image to use; needs API 1.41.
    pub platform: Option<String>,
    /// The container configuration with its embedded `HostConfig` and
    /// `NetworkingConfig`.
    pub body: ContainerCreateBody,
}

impl Endpoint for ContainerCreate {
    type Output = Typed<ContainerCreateResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        create_head(
            self.name.as_deref(),
            self.platform.as_deref(),
            api,
            &self.body,
        )
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        parse_created(r)
    }
}

/// `POST /containers/create` from docker-py style [`ContainerOptions`]: the body is
/// [`ContainerOptions::to_json`] for the negotiated API version, so the options the
/// typed [`ContainerCreateBody`] cannot carry reach the daemon too: the container-wide
/// `MacAddress` (the only MAC setting daemons before API 1.44 apply), `KernelMemory`,
/// `LxcConf` and raw extra fields. Options the version lacks are refused before
/// anything is sent; name and platform come from the options. Answers as
/// [`ContainerCreate`].
///
/// ```
/// use berth_core::api::containers::ContainerCreateFrom;
/// use berth_core::endpoint::Endpoint;
/// use berth_core::options::ContainerOptions;
/// use berth_core::ApiVersion;
/// let create = ContainerCreateFrom {
///     options: ContainerOptions::new("busybox").mac_address("02:42:ac:11:00:09"),
/// };
/// let head = create.request(ApiVersion::new(1, 41))?;
/// assert_eq!(head.path, "/v1.41/containers/create");
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ContainerCreateFrom {
    /// The container's options (name and platform included).
    pub options: ContainerOptions,
}

impl Endpoint for ContainerCreateFrom {
    type Output = Typed<ContainerCreateResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let body = self.options.to_json(api)?;
        create_head(self.options.name(), self.options.platform(), api, &body)
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        parse_created(r)
    }
}

/// The create request: name and platform in the query, `body` as JSON.
fn create_head(
    name: Option<&str>,
    platform: Option<&str>,
    api: ApiVersion,
    body: &impl serde::Serialize,
) -> Result<RequestHead> {
    if name == Some("") {
        return Err(Error::InvalidArgument(
            "container create: the name is empty; pass None to let the daemon pick one".into(),
        ));
    }
    if let Some(p) = platform {
        api.require(ApiVersion::new(1, 41), "container create (platform)")?;
        if p.is_empty() {
            return Err(Error::InvalidArgument(
                "container create: the platform is empty; use e.g. \"linux/amd64\" or None".into(),
            ));
        }
    }
    let q = Query::new().opt("name", name).opt("platform", platform);
    RequestHead::versioned(
        Method::POST,
        api,
        "/containers/create",
        q,
        ResponseKind::Json,
    )
    .json_body(body)
}

fn parse_created(r: Response<'_>) -> Result<Typed<ContainerCreateResponse>> {
    r.success()?;
    // The model requires `Warnings`; older daemons leave it out (edge case 89).
    typed_with_default(
        r.body,
        "container create",
        "Warnings",
        Value::Array(Vec::new()),
    )
}

/// `GET /containers/{id}/json`: everything about one container (404 →
/// [`Error::NotFound`]).
#[derive(Debug, Clone, Default)]
pub struct ContainerInspect {
    /// Id, unique id prefix or name.
    pub id: String,
    /// Also report `SizeRw` and `SizeRootFs`.
    pub size: bool,
}

impl ContainerInspect {
    /// Inspects `id` without sizes.
    pub fn new(id: impl Into<String>) -> ContainerInspect {
        ContainerInspect {
            id: id.into(),
            size: false,
        }
    }
}

impl Endpoint for ContainerInspect {
    type Output = Typed<ContainerInspectResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        let mut q = Query::new();
        if self.size {
            q = q.flag01("size", true);
        }
        Ok(RequestHead::versioned(
            Method::GET,
            api,
            &container_path(&self.id, "/json")?,
            q,
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        self.parse_owned(r.status, r.headers, Bytes::copy_from_slice(r.body))
    }

    fn parse_owned(&self, status: u16, _: &Headers, body: Bytes) -> Result<Self::Output> {
        success(status, &body)?;
        // Lazy: most inspects want the id, the state or to act on the container, and
        // the full model has a few hundred fields (see `Typed::lazy_from_slice`).
        Typed::lazy_from_bytes(body)
    }
}

/// `POST /containers/prune`: removes stopped containers matching `filters`
/// (`until`, `label`, `label!`); needs API 1.25.
#[derive(Debug, Clone, Default)]
pub struct ContainerPrune {
    /// Which stopped containers to remove; empty = all of them.
    pub filters: Filters,
}

impl Endpoint for ContainerPrune {
    type Output = Typed<ContainerPruneResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        api.require(ApiVersion::new(1, 25), "container prune")?;
        Ok(RequestHead::versioned(
            Method::POST,
            api,
            "/containers/prune",
            Query::new().filters(&self.filters),
            ResponseKind::Json,
        ))
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

/// `POST /commit`: makes an image from a container's filesystem and configuration.
///
/// The body is `config` (a ContainerConfig-shaped JSON object that overrides the
/// container's) or `{}`. The container is paused while committing unless `pause` is
/// false. The answer's `Id` is the new image id.
///
/// ```
/// use berth_core::api::containers::ContainerCommit;
/// use berth_core::endpoint::Endpoint;
/// let c = ContainerCommit {
///     container: "web".into(),
///     repo: Some("me/web".into()),
///     tag: Some("v1".into()),
///     changes: vec!["CMD [\"sh\"]".into()],
///     ..ContainerCommit::default()
/// };
/// assert_eq!(
///     c.request(berth_core::ApiVersion::new(1, 41))?.path,
///     "/v1.41/commit?container=web&repo=me%2Fweb&tag=v1&pause=1&changes=CMD%20%5B%22sh%22%5D"
/// );
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ContainerCommit {
    /// Id or name of the container.
    pub container: String,
    /// Repository of the new image (`None`: an untagged image).
    pub repo: Option<String>,
    /// Tag of the new image; needs `repo`.
    pub tag: Option<String>,
    /// Commit message (docker-py's `message`).
    pub comment: Option<String>,
    /// Author (`Name <email>`).
    pub author: Option<String>,
    /// Pause the container while committing (default true).
    pub pause: bool,
    /// Dockerfile instructions to apply (`CMD …`, `ENV …`, `EXPOSE …`).
    pub changes: Vec<String>,
    /// ContainerConfig JSON overriding the container's configuration.
    pub config: Option<Value>,
}

impl Default for ContainerCommit {
    fn default() -> ContainerCommit {
        ContainerCommit {
            container: String::new(),
            repo: None,
            tag: None,
            comment: None,
            author: None,
            pause: true,
            changes: Vec::new(),
            config: None,
        }
    }
}

impl Endpoint for ContainerCommit {
    type Output = Typed<IdResponse>;

    fn request(&self, api: ApiVersion) -> Result<RequestHead> {
        if self.container.is_empty() {
            return Err(Error::InvalidArgument(
                "commit: the container id or name is empty".into(),
            ));
        }
        if self.tag.is_some() && self.repo.as_deref().unwrap_or("").is_empty() {
            // The daemon silently ignores a tag without a repository.
            return Err(Error::InvalidArgument(
                "commit: a tag needs a repository; set `repo` too".into(),
            ));
        }
        if matches!(&self.config, Some(c) if !c.is_object()) {
            return Err(Error::InvalidArgument(
                "commit: `config` must be a JSON object (a container configuration)".into(),
            ));
        }
        let mut q = Query::new()
            .push("container", &self.container)
            .opt("repo", self.repo.as_deref())
            .opt("tag", self.tag.as_deref())
            .opt("comment", self.comment.as_deref())
            .opt("author", self.author.as_deref())
            .flag01("pause", self.pause);
        for change in &self.changes {
            q = q.push("changes", change);
        }
        let head = RequestHead::versioned(Method::POST, api, "/commit", q, ResponseKind::Json);
        match &self.config {
            Some(config) => head.json_body(config),
            None => head.json_body(&serde_json::json!({})),
        }
    }

    fn parse(&self, r: Response<'_>) -> Result<Self::Output> {
        r.success()?;
        Typed::from_slice(r.body)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::test_support::{V41, json_of, resp};
    use super::*;

    #[test]
    fn list_query_sends_only_what_is_set() {
        let path = |l: ContainerList| l.request(V41).expect("req").path;
        assert_eq!(path(ContainerList::default()), "/v1.41/containers/json");
        assert_eq!(
            path(ContainerList::latest()),
            "/v1.41/containers/json?all=1&limit=1"
        );
        assert_eq!(
            path(ContainerList {
                limit: Some(-1),
                ..ContainerList::default()
            }),
            "/v1.41/containers/json"
        );
        assert_eq!(
            path(ContainerList {
                limit: Some(0),
                since: Some("a".into()),
                before: Some("b c".into()),
                size: true,
                ..ContainerList::default()
            }),
            "/v1.41/containers/json?limit=0&size=1&filters=\
             %7B%22before%22%3A%5B%22b%20c%22%5D%2C%22since%22%3A%5B%22a%22%5D%7D"
        );
        let merged = ContainerList {
            since: Some("a".into()),
            filters: Filters::new().with("since", "z").with("label", "x"),
            ..ContainerList::default()
        };
        assert_eq!(
            merged.request(V41).expect("req").path,
            "/v1.41/containers/json?filters=\
             %7B%22label%22%3A%5B%22x%22%5D%2C%22since%22%3A%5B%22z%22%2C%22a%22%5D%7D"
        );
        let empty = ContainerList {
            since: Some(String::new()),
            ..ContainerList::default()
        };
        assert!(matches!(empty.request(V41), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn list_parses_arrays_with_nulls_and_errors() {
        let l = ContainerList::default();
        let items = l
            .parse(resp(
                200,
                br#"[{"Id":"a","Names":["/x"],"Labels":null,"Ports":null,"State":"running"},
                     {"Id":"b","State":"brand-new-state"}]"#,
            ))
            .expect("list");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].id.as_deref(), Some("a"));
        assert_eq!(items[0].names.as_deref(), Some(&["/x".to_string()][..]));
        assert!(items[1].state.is_none());
        assert_eq!(items[1].attrs["State"], "brand-new-state");
        assert!(l.parse(resp(200, b"null")).expect("null").is_empty());
        let e = l
            .parse(resp(400, br#"{"message":"invalid filter 'x'"}"#))
            .expect_err("400");
        assert!(matches!(e, Error::BadRequest(_)));
        assert_eq!(e.daemon_message(), Some("invalid filter 'x'"));
    }

    #[test]
    fn create_puts_name_and_platform_in_query() {
        let body = ContainerCreateBody {
            image: Some("busybox".into()),
            cmd: Some(vec!["sleep".into(), "1".into()]),
            labels: Some(HashMap::from([("berth.test".into(), "1".into())])),
            ..ContainerCreateBody::default()
        };
        let c = ContainerCreate {
            name: Some("web 1".into()),
            platform: Some("linux/amd64".into()),
            body,
        };
        let h = c.request(V41).expect("req");
        assert_eq!(h.method, Method::POST);
        assert_eq!(
            h.path,
            "/v1.41/containers/create?name=web%201&platform=linux%2Famd64"
        );
        let j = json_of(&h);
        assert_eq!(j["Image"], "busybox");
        assert_eq!(j["Cmd"], serde_json::json!(["sleep", "1"]));
        assert_eq!(j["Labels"]["berth.test"], "1");
        assert!(j.get("name").is_none() && j.get("Name").is_none());
        assert!(j.get("HostConfig").is_none(), "None fields are not sent");
        let e = c
            .request(ApiVersion::new(1, 40))
            .expect_err("platform needs 1.41");
        assert!(matches!(e, Error::UnsupportedApiVersion { .. }));
        let unnamed = ContainerCreate::default();
        assert_eq!(
            unnamed.request(ApiVersion::new(1, 40)).expect("req").path,
            "/v1.40/containers/create"
        );
        let empty_name = ContainerCreate {
            name: Some(String::new()),
            ..ContainerCreate::default()
        };
        assert!(matches!(
            empty_name.request(V41),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn create_from_options_sends_what_the_typed_body_cannot_carry() {
        // A 1.41 daemon applies a MAC address only from the top-level field, which
        // the typed create body lacks; `ContainerCreate` could not send it at all.
        let options = ContainerOptions::new("busybox")
            .with_name("web")
            .expect("name")
            .with_platform("linux/amd64")
            .expect("platform")
            .mac_address("02:42:ac:11:00:09")
            .kernel_memory("16m")
            .expect("size")
            .memory("64m")
            .expect("size");
        let c = ContainerCreateFrom { options };
        let h = c.request(V41).expect("req");
        assert_eq!(
            h.path,
            "/v1.41/containers/create?name=web&platform=linux%2Famd64"
        );
        let j = json_of(&h);
        assert_eq!(j["MacAddress"], "02:42:ac:11:00:09");
        assert_eq!(j["HostConfig"]["KernelMemory"], 16 * 1024 * 1024);
        assert_eq!(j["HostConfig"]["Memory"], 64 * 1024 * 1024);
        assert!(j.get("name").is_none() && j.get("Name").is_none());
        // From 1.44 the MAC address moves to the endpoint of the container's network.
        let j = json_of(&c.request(ApiVersion::new(1, 44)).expect("req"));
        assert!(j.get("MacAddress").is_none());
        assert_eq!(
            j["NetworkingConfig"]["EndpointsConfig"]["bridge"]["MacAddress"],
            "02:42:ac:11:00:09"
        );
        // Version gates apply to the negotiated version, before anything is sent.
        let old = ContainerCreateFrom {
            options: ContainerOptions::new("busybox").init(true),
        };
        assert!(matches!(
            old.request(ApiVersion::new(1, 24)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        let r = c
            .parse(resp(201, br#"{"Id":"abc","Warnings":null}"#))
            .expect("created");
        assert_eq!(r.id, "abc");
    }

    #[test]
    fn create_reads_warnings_in_every_shape() {
        let c = ContainerCreate::default();
        for (body, warnings) in [
            (&br#"{"Id":"abc","Warnings":null}"#[..], 0),
            (br#"{"Id":"abc"}"#, 0),
            (br#"{"Id":"abc","Warnings":["w1","w2"]}"#, 2),
        ] {
            let r = c.parse(resp(201, body)).expect("created");
            assert_eq!(r.id, "abc");
            assert_eq!(r.warnings.len(), warnings);
            assert!(r.attrs.get("Warnings").is_some() || warnings == 0);
        }
        let absent = c.parse(resp(201, br#"{"Id":"abc"}"#)).expect("created");
        assert!(absent.attrs.get("Warnings").is_none(), "raw JSON unchanged");
        assert!(matches!(
            c.parse(resp(201, b"<html>")),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn create_maps_missing_image_and_conflict() {
        let c = ContainerCreate::default();
        let e = c
            .parse(resp(404, br#"{"message":"No such image: busybox:nope"}"#))
            .expect_err("404");
        assert!(matches!(e, Error::ImageNotFound(_)));
        let e = c
            .parse(resp(
                409,
                br#"{"message":"Conflict. The container name \"/x\" is already in use"}"#,
            ))
            .expect_err("409");
        assert!(matches!(e, Error::Conflict(_)));
    }

    #[test]
    fn inspect_paths_and_not_found() {
        assert_eq!(
            ContainerInspect::new("abc").request(V41).expect("req").path,
            "/v1.41/containers/abc/json"
        );
        let sized = ContainerInspect {
            id: "abc".into(),
            size: true,
        };
        assert_eq!(
            sized.request(V41).expect("req").path,
            "/v1.41/containers/abc/json?size=1"
        );
        assert!(ContainerInspect::new("").request(V41).is_err());
        let e = sized
            .parse(resp(404, br#"{"message":"No such container: abc"}"#))
            .expect_err("404");
        assert!(matches!(e, Error::NotFound(_)));
        let ok = sized
            .parse(resp(
                200,
                br#"{"Id":"abc","Name":"/x","State":{"Status":"running","Running":true}}"#,
            ))
            .expect("inspect");
        assert_eq!(ok.name.as_deref(), Some("/x"));
    }

    #[test]
    fn owned_bodies_are_kept_not_copied() {
        let headers = Headers::new();
        let body = Bytes::from_static(br#"{"Id":"abc","Name":"/x"}"#);
        let inspect = ContainerInspect::new("abc");
        let owned = inspect
            .parse_owned(200, &headers, body.clone())
            .expect("inspect");
        let raw = owned.attrs.raw_json().expect("the daemon's bytes");
        assert_eq!(raw.as_ptr(), body.as_ptr(), "shared, not copied");
        assert_eq!(owned, inspect.parse(resp(200, &body)).expect("inspect"));
        let e = inspect
            .parse_owned(
                404,
                &headers,
                Bytes::from_static(br#"{"message":"No such container: abc"}"#),
            )
            .expect_err("404");
        assert!(matches!(e, Error::NotFound(_)));

        let body = Bytes::from_static(br#"[{"Id":"a"},{"Id":"b","Names":["/b"]}]"#);
        let list = ContainerList::default();
        let owned = list.parse_owned(200, &headers, body.clone()).expect("list");
        let second = owned[1].attrs.raw_json().expect("the item's bytes");
        assert_eq!(second.as_ptr(), body[12..].as_ptr(), "a slice of the body");
        assert_eq!(owned, list.parse(resp(200, &body)).expect("list"));
        let e = list
            .parse_owned(500, &headers, Bytes::from_static(br#"{"message":"boom"}"#))
            .expect_err("500");
        assert_eq!(
            e.to_string(),
            list.parse(resp(500, br#"{"message":"boom"}"#))
                .expect_err("500")
                .to_string()
        );
    }

    #[test]
    fn prune_needs_1_25_and_sends_filters() {
        let p = ContainerPrune {
            filters: Filters::new().with("label", "a=b"),
        };
        assert!(matches!(
            p.request(ApiVersion::new(1, 24)),
            Err(Error::UnsupportedApiVersion { .. })
        ));
        let h = p.request(V41).expect("req");
        assert_eq!(h.method, Method::POST);
        assert_eq!(
            h.path,
            "/v1.41/containers/prune?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D"
        );
        let r = p
            .parse(resp(
                200,
                br#"{"ContainersDeleted":null,"SpaceReclaimed":0}"#,
            ))
            .expect("prune");
        assert!(r.containers_deleted.is_none());
        assert_eq!(r.space_reclaimed, Some(0));
    }

    #[test]
    fn commit_query_body_and_validation() {
        let c = ContainerCommit {
            container: "web".into(),
            repo: Some("repo".into()),
            tag: Some("t".into()),
            comment: Some("a message".into()),
            author: Some("Me <me@x>".into()),
            pause: false,
            changes: vec!["ENV A=1".into(), "EXPOSE 80".into()],
            config: Some(serde_json::json!({"Cmd": ["sh"]})),
        };
        let h = c.request(V41).expect("req");
        assert_eq!(
            h.path,
            "/v1.41/commit?container=web&repo=repo&tag=t&comment=a%20message\
             &author=Me%20%3Cme%40x%3E&pause=0&changes=ENV%20A%3D1&changes=EXPOSE%2080"
        );
        assert_eq!(json_of(&h), serde_json::json!({"Cmd": ["sh"]}));
        let minimal = ContainerCommit {
            container: "web".into(),
            ..ContainerCommit::default()
        };
        let h = minimal.request(V41).expect("req");
        assert_eq!(h.path, "/v1.41/commit?container=web&pause=1");
        assert_eq!(json_of(&h), serde_json::json!({}));
        for bad in [
            ContainerCommit::default(),
            ContainerCommit {
                container: "web".into(),
                tag: Some("t".into()),
                ..ContainerCommit::default()
            },
            ContainerCommit {
                container: "web".into(),
                config: Some(serde_json::json!([1])),
                ..ContainerCommit::default()
            },
        ] {
            assert!(matches!(bad.request(V41), Err(Error::InvalidArgument(_))));
        }
        let id = minimal
            .parse(resp(201, br#"{"Id":"sha256:abc"}"#))
            .expect("id");
        assert_eq!(id.id, "sha256:abc");
        let e = minimal
            .parse(resp(404, br#"{"message":"No such container: web"}"#))
            .expect_err("404");
        assert!(matches!(e, Error::NotFound(_)));
    }
}
