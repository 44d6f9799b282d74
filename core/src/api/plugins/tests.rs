//! Unit tests of the plugins area. Bodies marked "20.10" were captured from docker
//! 20.10.24 (API 1.41) with `curl --unix-socket` on a plugin built from busybox.

use crate::headers::Headers;

use super::*;
use crate::stream::Decoder as _;
use serde_json::Value;

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

/// 20.10: `GET /plugins/berthexp/json` of a created, disabled plugin.
const INSPECT_2010: &[u8] = br#"{"Config":{"Args":{"Description":"","Name":"","Settable":null,"Value":null},"Description":"berth test plugin","DockerVersion":"20.10.24+dfsg1","Documentation":"https://example.invalid","Entrypoint":["/plugin.sh"],"Env":[{"Description":"debug","Name":"DEBUG","Settable":["value"],"Value":"0"}],"Interface":{"Socket":"berth.sock","Types":["docker.volumedriver/1.0"]},"IpcHost":false,"Linux":{"AllowAllDevices":false,"Capabilities":null,"Devices":null},"Mounts":null,"Network":{"Type":"host"},"PidHost":false,"PropagatedMount":"","User":{},"WorkDir":"","rootfs":{"diff_ids":["sha256:31e01170eae84165ff2d0e0d06263fb71c08ab6cf98b701c751fb193cf9d098a"],"type":"layers"}},"Enabled":false,"Id":"3da459439118e4b746d6f760a4999774f823b3c01c76c50ea3d9212aced7f680","Name":"berthexp:latest","PluginReference":"berthexp:latest","Settings":{"Args":[],"Devices":[],"Env":["DEBUG=0"],"Mounts":[]}}"#;

/// 20.10: the end of `POST /plugins/127.0.0.1:5000/berthexp:v1/push`.
const PUSH_TAIL_2010: &[u8] = br#"{"status":"Upload complete","progressDetail":{},"id":"11c71701470b"}
{"progressDetail":{},"aux":{"Tag":"v1","Digest":"sha256:e2c2fa234c95cc938df146736b3fe82fa37786669bd2c1f1cfa3e41a154052ac","Size":418}}
"#;

/// 20.10: a pull granting nothing for a plugin that asks for `network: host`.
const PULL_NO_GRANT_2010: &[u8] = br#"{"status":"Complete","progressDetail":{},"id":"15a99e01cb46"}
{"errorDetail":{"message":"incorrect privileges"},"error":"incorrect privileges"}
"#;

#[test]
fn list_and_filters() {
    let h = PluginList::default().request(V41).expect("req");
    assert_eq!(h.method, Method::GET);
    assert_eq!(h.path, "/v1.41/plugins");
    let f = PluginList {
        filters: Filters::new().with("capability", "volumedriver"),
    };
    assert!(f.request(ApiVersion::new(1, 27)).is_err());
    assert!(
        PluginList::default()
            .request(ApiVersion::new(1, 24))
            .is_err()
    );
    let list = PluginList::default()
        .parse(resp(200, b"null"))
        .expect("null is empty");
    assert!(list.is_empty());
    let body = [b"[", INSPECT_2010, b"]"].concat();
    let list = PluginList::default().parse(resp(200, &body)).expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "berthexp:latest");
    assert!(PluginList::default().parse(resp(200, b"{}")).is_err());
}

#[test]
fn inspect_decodes_a_real_plugin() {
    let h = PluginInspect::new("127.0.0.1:5000/p:v1")
        .request(V41)
        .expect("req");
    assert_eq!(h.path, "/v1.41/plugins/127.0.0.1:5000/p:v1/json");
    let p = PluginInspect::new("berthexp")
        .parse(resp(200, INSPECT_2010))
        .expect("plugin");
    assert!(!p.enabled);
    assert_eq!(p.settings.env, vec!["DEBUG=0"]);
    assert_eq!(p.config.interface.socket, "berth.sock");
    assert_eq!(p.config.env[0].settable, vec!["value"]);
    assert_eq!(p.config.network.typ, "host");
    assert!(PluginInspect::new("").request(V41).is_err());
    assert!(PluginInspect::new("../containers/x").request(V41).is_err());
    let e = PluginInspect::new("nope")
        .parse(resp(404, br#"{"message":"plugin \"nope\" not found"}"#))
        .expect_err("404");
    assert!(matches!(e, Error::NotFound(_)));
    assert_eq!(e.daemon_message(), Some("plugin \"nope\" not found"));
}

#[test]
fn privileges_request_and_answer() {
    let mut op = PluginPrivileges::new("127.0.0.1:5000/berthexp:v1");
    let h = op.request(V41).expect("req");
    assert_eq!(
        h.path,
        "/v1.41/plugins/privileges?remote=127.0.0.1%3A5000%2Fberthexp%3Av1"
    );
    assert!(h.headers.is_empty());
    op.registry_auth = Some("abc".into());
    assert_eq!(
        op.request(V41).expect("req").headers,
        vec![("X-Registry-Auth", "abc".to_owned())]
    );
    let asked = op
        .parse(resp(
            200,
            br#"[{"Name":"network","Description":"permissions to access a network","Value":["host"]}]"#,
        ))
        .expect("privileges");
    let granted = grant_all(&asked);
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].name.as_deref(), Some("network"));
    assert_eq!(granted[0].value.as_deref(), Some(&["host".to_owned()][..]));
    assert!(PluginPrivileges::new("").request(V41).is_err());
    assert!(PluginPrivileges::new("https://x/y").request(V41).is_err());
}

#[test]
fn pull_sends_grants_and_auth() {
    let pull = PluginPull {
        remote: "127.0.0.1:5000/berthexp:v1".into(),
        name: Some("local:latest".into()),
        privileges: vec![PluginPrivilege {
            name: Some("network".into()),
            description: Some(String::new()),
            value: Some(vec!["host".into()]),
        }],
        registry_auth: None,
    };
    let h = pull.request(V41).expect("req");
    assert_eq!(h.method, Method::POST);
    assert_eq!(
        h.path,
        "/v1.41/plugins/pull?remote=127.0.0.1%3A5000%2Fberthexp%3Av1&name=local%3Alatest"
    );
    assert_eq!(h.headers, vec![("X-Registry-Auth", "e30=".to_owned())]);
    assert_eq!(
        json_of(&h),
        serde_json::json!([{"Name": "network", "Description": "", "Value": ["host"]}])
    );
    // No grants: `[]`, never `null` (the daemon compares the lists).
    let bare = PluginPull {
        remote: "r".into(),
        ..PluginPull::default()
    };
    let h = bare.request(V41).expect("req");
    assert_eq!(h.path, "/v1.41/plugins/pull?remote=r");
    assert_eq!(json_of(&h), serde_json::json!([]));
    assert!(
        PluginPull {
            name: Some(String::new()),
            ..bare
        }
        .request(V41)
        .is_err()
    );
}

#[test]
fn pull_refusal_is_a_stream_error() {
    let mut d = PluginPull::default()
        .decoder(200, &NO_HEADERS)
        .expect("decoder");
    d.push(PULL_NO_GRANT_2010);
    let first = d.next().expect("item").expect("complete");
    assert_eq!(first.status.as_deref(), Some("Complete"));
    let e = d.next().expect_err("refused");
    assert!(matches!(e, Error::Stream { .. }));
    assert_eq!(e.daemon_message(), Some("incorrect privileges"));
}

#[test]
fn push_request_and_digest() {
    let h = PluginPush {
        name: "127.0.0.1:5000/berthexp:v1".into(),
        registry_auth: Some("tok".into()),
    }
    .request(V41)
    .expect("req");
    assert_eq!(h.path, "/v1.41/plugins/127.0.0.1:5000/berthexp:v1/push");
    assert_eq!(h.headers, vec![("X-Registry-Auth", "tok".to_owned())]);
    assert_eq!(h.body, RequestBody::Empty);
    let mut d = PluginPush::default()
        .decoder(200, &NO_HEADERS)
        .expect("decoder");
    d.push(PUSH_TAIL_2010);
    let _ = d.next().expect("item").expect("upload complete");
    let aux = d.next().expect("item").expect("aux");
    assert_eq!(
        aux.attrs["aux"]["Digest"],
        "sha256:e2c2fa234c95cc938df146736b3fe82fa37786669bd2c1f1cfa3e41a154052ac"
    );
    assert!(d.finish().expect("clean end").is_none());
}

#[test]
fn enable_disable_remove_queries() {
    let e = PluginEnable {
        name: "p".into(),
        timeout: Some(5),
    };
    assert_eq!(
        e.request(V41).expect("req").path,
        "/v1.41/plugins/p/enable?timeout=5"
    );
    let e0 = PluginEnable {
        name: "p".into(),
        timeout: None,
    };
    // dockerd parses `timeout` unconditionally: unset is sent as 0, like docker-py.
    assert_eq!(
        e0.request(V41).expect("req").path,
        "/v1.41/plugins/p/enable?timeout=0"
    );
    let err = e
        .parse(resp(
            500,
            br#"{"message":"dial unix /run/docker/plugins/3da4/berth.sock: connect: no such file or directory"}"#,
        ))
        .expect_err("500");
    assert!(matches!(err, Error::Server(_)));
    assert!(
        err.daemon_message()
            .is_some_and(|m| m.contains("berth.sock"))
    );
    for (force, path) in [
        (false, "/v1.41/plugins/p/disable"),
        (true, "/v1.41/plugins/p/disable?force=1"),
    ] {
        let d = PluginDisable {
            name: "p".into(),
            force,
        };
        assert_eq!(d.request(V41).expect("req").path, path);
    }
    let rm = PluginRemove {
        name: "p:latest".into(),
        force: false,
    };
    let h = rm.request(V41).expect("req");
    assert_eq!(
        (h.method, h.path.as_str()),
        (Method::DELETE, "/v1.41/plugins/p:latest")
    );
    assert!(rm.parse(resp(204, b"")).is_ok());
}

#[test]
fn set_validates_and_sends_a_list() {
    let h = PluginSet::new("p")
        .set("DEBUG", 1)
        .set("args", "a b")
        .request(V41)
        .expect("req");
    assert_eq!(h.path, "/v1.41/plugins/p/set");
    assert_eq!(json_of(&h), serde_json::json!(["DEBUG=1", "args=a b"]));
    assert!(PluginSet::new("p").request(V41).is_err());
    let bad = PluginSet {
        name: "p".into(),
        settings: vec!["=x".into()],
    };
    assert!(bad.request(V41).is_err());
    let e = PluginSet::new("p")
        .set("NOPE", 1)
        .parse(resp(
            500,
            br#"{"message":"setting \"NOPE\" not found in the plugin configuration"}"#,
        ))
        .expect_err("500");
    assert!(matches!(e, Error::Server(_)));
}

#[test]
fn upgrade_needs_1_26() {
    let up = PluginUpgrade {
        name: "p:latest".into(),
        remote: "127.0.0.1:5000/p:v2".into(),
        privileges: Vec::new(),
        registry_auth: None,
    };
    assert!(up.request(ApiVersion::new(1, 25)).is_err());
    let h = up.request(V41).expect("req");
    assert_eq!(
        h.path,
        "/v1.41/plugins/p:latest/upgrade?remote=127.0.0.1%3A5000%2Fp%3Av2"
    );
    assert_eq!(h.headers, vec![("X-Registry-Auth", "e30=".to_owned())]);
    assert_eq!(json_of(&h), serde_json::json!([]));
}

#[test]
fn create_streams_a_tar() {
    let h = PluginCreate {
        name: "127.0.0.1:5000/p:v1".into(),
    }
    .request(V41)
    .expect("req");
    assert_eq!(
        h.path,
        "/v1.41/plugins/create?name=127.0.0.1%3A5000%2Fp%3Av1"
    );
    assert_eq!(
        h.body,
        RequestBody::Stream {
            content_type: "application/x-tar"
        }
    );
    assert!(PluginCreate::default().request(V41).is_err());
}
