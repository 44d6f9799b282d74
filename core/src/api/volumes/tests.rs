//! Unit tests of the volumes area. Bodies marked "20.10" were captured from docker
//! 20.10.24 (API 1.41) with `curl --unix-socket`.

use crate::headers::Headers;
use serde_json::json;

use super::*;
use crate::models::VolumeScopeEnum;
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

/// 20.10: the answer to creating a tmpfs-backed named volume.
const CREATED_2010: &[u8] = br#"{"CreatedAt":"2026-11-26T12:12:57Z","Driver":"local","Labels":{"berth.test":"1"},"Mountpoint":"/var/lib/docker/volumes/berth-cap-vol-30165/_data","Name":"berth-cap-vol-30165","Options":{"device":"tmpfs","o":"size=1m","type":"tmpfs"},"Scope":"local"}"#;

/// 20.10: an anonymous volume without labels or options.
const ANONYMOUS_2010: &[u8] = br#"{"CreatedAt":"2026-11-26T12:09:27Z","Driver":"local","Labels":null,"Mountpoint":"/var/lib/docker/volumes/fbe258ff5154bd84f47e80c097b4f733fbe81ef7a822bc25aefed9d50d98e5c2/_data","Name":"fbe258ff5154bd84f47e80c097b4f733fbe81ef7a822bc25aefed9d50d98e5c2","Options":null,"Scope":"local"}"#;

#[test]
fn create_body_sends_only_what_is_set() {
    let h = VolumeCreate::anonymous().request(V41).expect("req");
    assert_eq!(h.method, Method::POST);
    assert_eq!(h.path, "/v1.41/volumes/create");
    assert_eq!(json_of(&h), json!({}));
    let full = VolumeCreate::named("data")
        .driver("local")
        .driver_opt("type", "tmpfs")
        .driver_opt("device", "tmpfs")
        .label("berth.test", "1");
    assert_eq!(
        json_of(&full.request(V41).expect("req")),
        json!({
            "Name": "data",
            "Driver": "local",
            "DriverOpts": {"type": "tmpfs", "device": "tmpfs"},
            "Labels": {"berth.test": "1"}
        })
    );
    for bad in [
        VolumeCreate::named(""),
        VolumeCreate::anonymous().driver(""),
    ] {
        assert!(matches!(bad.request(V41), Err(Error::InvalidArgument(_))));
    }
}

#[test]
fn create_reads_the_volume_from_201() {
    let c = VolumeCreate::anonymous();
    let v = c.parse(resp(201, CREATED_2010)).expect("created");
    assert!(v.unread().is_empty(), "{:?}", v.unread());
    assert_eq!(v.name, "berth-cap-vol-30165");
    assert_eq!(v.driver, "local");
    assert_eq!(v.labels["berth.test"], "1");
    assert_eq!(v.options["type"], "tmpfs");
    assert_eq!(v.scope, Some(VolumeScopeEnum::LOCAL));
    assert!(v.mountpoint.ends_with("/_data"));
    // `Labels: null` and `Options: null` read as empty maps.
    let anon = c.parse(resp(201, ANONYMOUS_2010)).expect("created");
    assert_eq!(anon.name.len(), 64);
    assert!(anon.labels.is_empty() && anon.options.is_empty());
    assert!(anon.attrs["Labels"].is_null(), "raw JSON kept");
    let e = c
        .parse(resp(
            404,
            br#"{"message":"create v: error looking up volume plugin nope: plugin \"nope\" not found"}"#,
        ))
        .expect_err("404");
    assert!(matches!(e, Error::NotFound(_)));
    assert!(e.daemon_message().is_some_and(|m| m.contains("plugin")));
}

#[test]
fn list_sends_filters_and_reads_every_shape() {
    let l = VolumeList {
        filters: Filters::new()
            .with("label", "berth.test=1")
            .with("name", "data"),
    };
    let h = l.request(V41).expect("req");
    assert_eq!(h.method, Method::GET);
    assert_eq!(
        h.path,
        "/v1.41/volumes?filters=%7B%22label%22%3A%5B%22berth.test%3D1%22%5D%2C%22name%22%3A%5B%22data%22%5D%7D"
    );
    assert_eq!(
        VolumeList::default().request(V41).expect("req").path,
        "/v1.41/volumes"
    );

    let body = [
        b"{\"Volumes\":[".as_slice(),
        CREATED_2010,
        b",",
        ANONYMOUS_2010,
        b"],\"Warnings\":null}",
    ]
    .concat();
    let listing = l.parse(resp(200, &body)).expect("list");
    assert_eq!(listing.volumes.len(), 2);
    assert_eq!(listing.volumes[0].name, "berth-cap-vol-30165");
    assert_eq!(listing.volumes[1].attrs["Options"], Value::Null);
    assert!(listing.warnings.is_empty());

    // Edge case 163: `Volumes: null`; also absent, and warnings kept.
    for body in [
        &br#"{"Volumes":null,"Warnings":null}"#[..],
        br#"{"Volumes":[],"Warnings":null}"#,
        br#"{}"#,
    ] {
        let listing = l.parse(resp(200, body)).expect("empty");
        assert!(listing.volumes.is_empty());
    }
    let warned = l
        .parse(resp(
            200,
            br#"{"Volumes":null,"Warnings":["driver x failed"]}"#,
        ))
        .expect("warnings");
    assert_eq!(warned.warnings, vec!["driver x failed".to_string()]);
    for bad in [&b"[]"[..], br#"{"Volumes":{}}"#, b"nope"] {
        assert!(matches!(l.parse(resp(200, bad)), Err(Error::Decode(_))));
    }
    let e = l
        .parse(resp(400, br#"{"message":"Invalid filter 'nope'"}"#))
        .expect_err("400");
    assert!(matches!(e, Error::BadRequest(_)));
}

#[test]
fn inspect_path_and_not_found() {
    let i = VolumeInspect::new("my vol");
    assert_eq!(i.request(V41).expect("req").path, "/v1.41/volumes/my%20vol");
    assert!(VolumeInspect::new("").request(V41).is_err());
    assert!(VolumeInspect::new("..").request(V41).is_err());
    let v = i.parse(resp(200, CREATED_2010)).expect("inspect");
    assert_eq!(v.attrs["Name"], "berth-cap-vol-30165");
    let e = i
        .parse(resp(404, br#"{"message":"get nope: no such volume"}"#))
        .expect_err("404");
    assert!(e.is_not_found());
    assert_eq!(e.daemon_message(), Some("get nope: no such volume"));
}

#[test]
fn remove_sends_force_as_a_query_parameter() {
    // Edge case 165: docker-py forgets it; berth sends it.
    let forced = VolumeRemove {
        name: "data".into(),
        force: true,
    };
    let h = forced.request(V41).expect("req");
    assert_eq!(h.method, Method::DELETE);
    assert_eq!(h.path, "/v1.41/volumes/data?force=1");
    assert!(matches!(h.body, RequestBody::Empty));
    assert!(matches!(
        forced.request(ApiVersion::new(1, 24)),
        Err(Error::UnsupportedApiVersion { .. })
    ));
    let plain = VolumeRemove {
        name: "data".into(),
        force: false,
    };
    assert_eq!(plain.request(V41).expect("req").path, "/v1.41/volumes/data");
    assert!(plain.request(ApiVersion::new(1, 24)).is_ok());
    assert!(plain.parse(resp(204, b"")).is_ok());
    let e = plain
        .parse(resp(
            409,
            br#"{"message":"remove data: volume is in use - [888ae153eefb]"}"#,
        ))
        .expect_err("409");
    assert!(matches!(e, Error::Conflict(_)));
    assert!(
        VolumeRemove {
            name: String::new(),
            force: true
        }
        .request(V41)
        .is_err()
    );
}

#[test]
fn prune_filters_all_only_from_1_42() {
    let p = VolumePrune {
        filters: Filters::new().with("label", "berth.test.case=x"),
        all: true,
    };
    assert!(matches!(
        p.request(ApiVersion::new(1, 24)),
        Err(Error::UnsupportedApiVersion { .. })
    ));
    let h = p.request(V41).expect("req");
    assert_eq!(h.method, Method::POST);
    assert_eq!(
        h.path,
        "/v1.41/volumes/prune?filters=%7B%22label%22%3A%5B%22berth.test.case%3Dx%22%5D%7D"
    );
    assert_eq!(
        p.filters_for(ApiVersion::new(1, 42)).to_json(),
        r#"{"all":["true"],"label":["berth.test.case=x"]}"#
    );
    let own_all = VolumePrune {
        filters: Filters::new().with("all", "false"),
        all: true,
    };
    assert_eq!(
        own_all.filters_for(ApiVersion::new(1, 43)).to_json(),
        r#"{"all":["false"]}"#
    );
    // Before 1.42 the daemon knows no `all` filter (400 "Invalid filter 'all'"):
    // refused locally, naming the version it needs.
    match own_all.request(V41) {
        Err(Error::UnsupportedApiVersion { required, .. }) => {
            assert_eq!(required, ApiVersion::new(1, 42));
        }
        other => panic!("expected a version error, got {other:?}"),
    }
    assert!(own_all.request(ApiVersion::new(1, 42)).is_ok());
    assert_eq!(
        VolumePrune::default().request(V41).expect("req").path,
        "/v1.41/volumes/prune"
    );
}

#[test]
fn prune_reads_deleted_and_space() {
    let p = VolumePrune::default();
    // 20.10 when nothing matched.
    let none = p
        .parse(resp(200, br#"{"VolumesDeleted":[],"SpaceReclaimed":0}"#))
        .expect("prune");
    assert!(VolumePrune::deleted(&none).is_empty());
    assert_eq!(none.space_reclaimed, Some(0));
    let null = p
        .parse(resp(200, br#"{"VolumesDeleted":null,"SpaceReclaimed":0}"#))
        .expect("prune");
    assert!(VolumePrune::deleted(&null).is_empty());
    let some = p
        .parse(resp(
            200,
            br#"{"VolumesDeleted":["a","b"],"SpaceReclaimed":4096}"#,
        ))
        .expect("prune");
    assert_eq!(VolumePrune::deleted(&some), ["a", "b"]);
    assert_eq!(some.space_reclaimed, Some(4096));
    let e = p
        .parse(resp(
            409,
            br#"{"message":"a prune operation is already running"}"#,
        ))
        .expect_err("409");
    assert!(matches!(e, Error::Conflict(_)));
}
