//! Unit tests of the networks area. Bodies marked "20.10" were captured from docker
//! 20.10.24 (API 1.41) with `curl --unix-socket`.

use crate::headers::Headers;
use serde_json::json;

use super::*;
use crate::request::RequestBody;

const V41: ApiVersion = ApiVersion::new(1, 41);
const V44: ApiVersion = ApiVersion::new(1, 44);

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

/// 20.10: `GET /networks/<name>?verbose=true` of a network created with
/// `--subnet --gateway --ip-range --aux-address --internal --attachable` and one
/// container started on it with `--network-alias db --ip 10.251.77.10`.
const INSPECT_2010: &[u8] = br#"{"Name":"berth-cap-30165","Id":"a865faaf68fda82446824baf48afc062509e45a4d802ee30f8ce05fb5c32e574","Created":"2026-11-26T12:10:56.747498937Z","Scope":"local","Driver":"bridge","EnableIPv6":false,"IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.251.77.0/24","IPRange":"10.251.77.128/25","Gateway":"10.251.77.1","AuxiliaryAddresses":{"host1":"10.251.77.5"}}]},"Internal":true,"Attachable":true,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{"48063ece5b4a6ba964868dee6441e234659e383be7c9d4b41e09e4fadcc5e6ee":{"Name":"sad_boyd","EndpointID":"269773967e7b66319babe3bfff5e17e6fa6f4188ab926a73a60672514f78096d","MacAddress":"02:42:0a:fb:4d:0a","IPv4Address":"10.251.77.10/24","IPv6Address":""}},"Options":{},"Labels":{"berth.test":"1"}}"#;

#[test]
fn ipam_builders_match_docker_py_shapes() {
    let ipam = IpamConfig::new()
        .pool(
            IpamPool::new()
                .subnet("10.251.7.0/24")
                .ip_range("10.251.7.128/25")
                .gateway("10.251.7.1")
                .aux_address("b", "10.251.7.3")
                .aux_address("a", "10.251.7.2"),
        )
        .pool(IpamPool::new().subnet("fd00:251::/64"))
        .option("foo", "bar")
        .to_model()
        .expect("valid");
    assert_eq!(
        serde_json::to_value(&ipam).expect("json"),
        json!({
            "Driver": "default",
            "Config": [
                {
                    "Subnet": "10.251.7.0/24",
                    "IPRange": "10.251.7.128/25",
                    "Gateway": "10.251.7.1",
                    "AuxiliaryAddresses": {"a": "10.251.7.2", "b": "10.251.7.3"}
                },
                {"Subnet": "fd00:251::/64"}
            ],
            "Options": {"foo": "bar"}
        })
    );
    // No pools: an empty Config list, no Options (edge case 160).
    assert_eq!(
        serde_json::to_value(IpamConfig::new().to_model().expect("empty")).expect("json"),
        json!({"Driver": "default", "Config": []})
    );
    assert_eq!(
        IpamConfig::new()
            .driver("my-ipam")
            .to_model()
            .expect("driver")
            .driver
            .as_deref(),
        Some("my-ipam")
    );
}

#[test]
fn ipam_rejects_what_is_not_an_address() {
    for pool in [
        IpamPool::new().subnet("10.0.0.0"),
        IpamPool::new().subnet("10.0.0.0/33"),
        IpamPool::new().subnet("fd00::/129"),
        IpamPool::new().subnet("ten/8"),
        IpamPool::new().ip_range("10.0.0.0/x"),
        IpamPool::new().gateway("10.0.0.1/24"),
        IpamPool::new().aux_address("h", "host.local"),
    ] {
        let e = pool.to_model().expect_err("invalid");
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    }
    assert!(IpamPool::new().subnet("fd00::/128").to_model().is_ok());
    assert!(IpamConfig::new().driver("").to_model().is_err());
    // A bad pool fails the whole create before any I/O.
    let c = NetworkCreate::new("n").ipam(IpamConfig::new().pool(IpamPool::new().gateway("x")));
    assert!(matches!(c.request(V41), Err(Error::InvalidArgument(_))));
}

#[test]
fn create_body_sends_only_what_is_set() {
    let minimal = NetworkCreate::new("plain").request(V41).expect("req");
    assert_eq!(minimal.method, Method::POST);
    assert_eq!(minimal.path, "/v1.41/networks/create");
    assert_eq!(
        json_of(&minimal),
        json!({"Name": "plain", "CheckDuplicate": true})
    );

    let mut full = NetworkCreate::new("full net")
        .driver("bridge")
        .option("com.docker.network.bridge.name", "br-berth")
        .label("berth.test", "1")
        .ipam(IpamConfig::new().pool(IpamPool::new().subnet("10.251.9.0/24")));
    full.internal = Some(true);
    full.attachable = Some(true);
    full.enable_ipv6 = Some(false);
    full.ingress = Some(false);
    full.scope = Some("local".into());
    full.check_duplicate = Some(false);
    assert_eq!(
        json_of(&full.request(V41).expect("req")),
        json!({
            "Name": "full net",
            "Driver": "bridge",
            "Options": {"com.docker.network.bridge.name": "br-berth"},
            "Labels": {"berth.test": "1"},
            "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.251.9.0/24"}]},
            "Internal": true,
            "Attachable": true,
            "EnableIPv6": false,
            "Ingress": false,
            "Scope": "local",
            "CheckDuplicate": false
        })
    );
}

#[test]
fn create_check_duplicate_is_not_sent_from_1_44() {
    let mut c = NetworkCreate::new("n");
    for check in [None, Some(true), Some(false)] {
        c.check_duplicate = check;
        let body = json_of(&c.request(V44).expect("req"));
        assert!(body.get("CheckDuplicate").is_none(), "{check:?}: {body}");
        assert_eq!(body, json!({"Name": "n"}));
    }
}

#[test]
fn create_validates_locally_and_by_api_version() {
    assert!(matches!(
        NetworkCreate::new("").request(V41),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        NetworkCreate::new("n").driver("").request(V41),
        Err(Error::InvalidArgument(_))
    ));
    let mut ingress = NetworkCreate::new("n");
    ingress.ingress = Some(true);
    assert!(matches!(
        ingress.request(ApiVersion::new(1, 28)),
        Err(Error::UnsupportedApiVersion { .. })
    ));
    assert!(ingress.request(ApiVersion::new(1, 29)).is_ok());
    let mut scoped = NetworkCreate::new("n");
    scoped.scope = Some("swarm".into());
    assert!(matches!(
        scoped.request(ApiVersion::new(1, 29)),
        Err(Error::UnsupportedApiVersion { .. })
    ));
}

#[test]
fn create_parses_id_warning_and_conflict() {
    let c = NetworkCreate::new("n");
    let ok = c
        .parse(resp(201, br#"{"Id":"29519c9ea5c3","Warning":""}"#))
        .expect("created");
    assert_eq!(ok.id, "29519c9ea5c3");
    assert_eq!(ok.warning, "");
    // 20.10 without CheckDuplicate: a second network, and a warning.
    let dup = c
        .parse(resp(
            201,
            br#"{"Id":"77d3","Warning":"Network with name n (id : 2951) already exists"}"#,
        ))
        .expect("created twice");
    assert!(dup.warning.contains("already exists"));
    let no_warning = c.parse(resp(201, br#"{"Id":"abc"}"#)).expect("no Warning");
    assert_eq!(no_warning.warning, "");
    assert!(no_warning.attrs.get("Warning").is_none(), "raw JSON kept");
    // 20.10 with CheckDuplicate.
    let e = c
        .parse(resp(
            409,
            br#"{"message":"network with name n already exists"}"#,
        ))
        .expect_err("409");
    assert!(matches!(e, Error::Conflict(_)));
    assert_eq!(
        e.daemon_message(),
        Some("network with name n already exists")
    );
    let e = c
        .parse(resp(404, br#"{"message":"plugin \"nope\" not found"}"#))
        .expect_err("no such driver");
    assert!(matches!(e, Error::NotFound(_)));
    assert!(matches!(
        c.parse(resp(201, b"<html>")),
        Err(Error::Decode(_))
    ));
}

#[test]
fn list_merges_names_and_ids_into_filters_as_lists() {
    let list = NetworkList {
        names: vec!["a".into(), "b c".into()],
        ids: vec!["123".into()],
        filters: Filters::new()
            .with("name", "z")
            .with("label", "berth.test=1"),
    };
    let f = list.merged_filters();
    assert_eq!(
        f.to_json(),
        r#"{"id":["123"],"label":["berth.test=1"],"name":["z","a","b c"]}"#
    );
    let h = list.request(V41).expect("req");
    assert_eq!(h.method, Method::GET);
    assert_eq!(
        h.path,
        format!("/v1.41/networks{}", Query::new().filters(&f).finish())
    );
    assert_eq!(
        NetworkList::default().request(V41).expect("req").path,
        "/v1.41/networks"
    );
    let ids = NetworkList {
        ids: vec!["x".into()],
        ..NetworkList::default()
    };
    assert_eq!(
        ids.request(V41).expect("req").path,
        "/v1.41/networks?filters=%7B%22id%22%3A%5B%22x%22%5D%7D"
    );
}

#[test]
fn list_parses_arrays_null_and_errors() {
    let l = NetworkList::default();
    let body = [
        b"[".as_slice(),
        INSPECT_2010,
        b",{\"Name\":\"x\",\"Id\":\"y\",\"Labels\":null,\"IPAM\":null}]",
    ]
    .concat();
    let items = l.parse(resp(200, &body)).expect("list");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].name.as_deref(), Some("berth-cap-30165"));
    assert_eq!(items[0].internal, Some(true));
    assert_eq!(items[0].labels.as_ref().expect("labels")["berth.test"], "1");
    assert!(items[1].labels.is_none() && items[1].ipam.is_none());
    assert!(l.parse(resp(200, b"null")).expect("null").is_empty());
    assert!(l.parse(resp(200, b"[]")).expect("empty").is_empty());
    assert!(matches!(l.parse(resp(200, b"{}")), Err(Error::Decode(_))));
    let e = l
        .parse(resp(400, br#"{"message":"invalid filter 'nope'"}"#))
        .expect_err("400");
    assert!(matches!(e, Error::BadRequest(_)));
}

#[test]
fn inspect_query_and_version_checks() {
    let path = |i: &NetworkInspect, api| i.request(api).expect("req").path;
    assert_eq!(
        path(&NetworkInspect::new("my net"), V41),
        "/v1.41/networks/my%20net"
    );
    let full = NetworkInspect {
        id: "n".into(),
        verbose: true,
        scope: Some("local".into()),
    };
    assert_eq!(
        path(&full, V41),
        "/v1.41/networks/n?verbose=true&scope=local"
    );
    assert!(matches!(
        full.request(ApiVersion::new(1, 30)),
        Err(Error::UnsupportedApiVersion { .. })
    ));
    let verbose = NetworkInspect {
        verbose: true,
        ..NetworkInspect::new("n")
    };
    assert!(verbose.request(ApiVersion::new(1, 27)).is_err());
    assert!(verbose.request(ApiVersion::new(1, 28)).is_ok());
    assert!(matches!(
        NetworkInspect::new("").request(V41),
        Err(Error::InvalidArgument(_))
    ));
    assert!(NetworkInspect::new("../containers/x").request(V41).is_err());
}

#[test]
fn inspect_reads_captured_answer_and_null_containers() {
    let i = NetworkInspect::new("berth-cap-30165");
    let n = i.parse(resp(200, INSPECT_2010)).expect("inspect");
    assert!(n.unread().is_empty(), "{:?}", n.unread());
    let ipam = n.ipam.as_ref().expect("IPAM");
    let pool = &ipam.config.as_ref().expect("Config")[0];
    assert_eq!(pool.subnet.as_deref(), Some("10.251.77.0/24"));
    assert_eq!(pool.gateway.as_deref(), Some("10.251.77.1"));
    assert_eq!(
        pool.auxiliary_addresses.as_ref().expect("aux")["host1"],
        "10.251.77.5"
    );
    let containers = n.containers.as_ref().expect("Containers");
    let ep = &containers["48063ece5b4a6ba964868dee6441e234659e383be7c9d4b41e09e4fadcc5e6ee"];
    assert_eq!(ep.ipv4_address.as_deref(), Some("10.251.77.10/24"));
    assert_eq!(
        container_ids_of(&n.attrs),
        vec!["48063ece5b4a6ba964868dee6441e234659e383be7c9d4b41e09e4fadcc5e6ee"]
    );

    // Edge case 162: `Containers: null` (and absent) reads as none.
    for body in [
        &br#"{"Name":"n","Id":"i","Containers":null}"#[..],
        br#"{"Name":"n","Id":"i"}"#,
    ] {
        let n = i.parse(resp(200, body)).expect("inspect");
        assert!(n.containers.is_none());
        assert!(container_ids_of(&n.attrs).is_empty());
    }
}

#[test]
fn inspect_errors_keep_the_daemons_message() {
    let i = NetworkInspect::new("nope");
    let e = i
        .parse(resp(404, br#"{"message":"network nope not found"}"#))
        .expect_err("404");
    assert!(matches!(e, Error::NotFound(_)));
    assert!(e.is_not_found());
    assert_eq!(e.daemon_message(), Some("network nope not found"));
    let e = i
        .parse(resp(
            400,
            br#"{"message":"2 matches found based on name: network n is ambiguous"}"#,
        ))
        .expect_err("400");
    assert!(matches!(e, Error::BadRequest(_)));
}

#[test]
fn connect_body_carries_the_endpoint_config() {
    let c = NetworkConnect {
        network: "net".into(),
        container: "web".into(),
        endpoint: EndpointConfig::new()
            .alias("api")
            .alias("www")
            .link("db", Some("database"))
            .ipv4_address("10.251.1.5")
            .ipv6_address("fd00::5")
            .link_local_ips(["169.254.1.1"])
            .driver_opt("k", "v"),
    };
    let h = c.request(V41).expect("req");
    assert_eq!(h.method, Method::POST);
    assert_eq!(h.path, "/v1.41/networks/net/connect");
    assert_eq!(
        json_of(&h),
        json!({
            "Container": "web",
            "EndpointConfig": {
                "Aliases": ["api", "www"],
                "Links": ["db:database"],
                "IPAMConfig": {
                    "IPv4Address": "10.251.1.5",
                    "IPv6Address": "fd00::5",
                    "LinkLocalIPs": ["169.254.1.1"]
                },
                "DriverOpts": {"k": "v"}
            }
        })
    );
    let plain = NetworkConnect {
        network: "net".into(),
        container: "web".into(),
        endpoint: EndpointConfig::new(),
    };
    assert_eq!(
        json_of(&plain.request(V41).expect("req")),
        json!({"Container": "web", "EndpointConfig": {}})
    );
    // Driver options need API 1.32.
    assert!(matches!(
        c.request(ApiVersion::new(1, 31)),
        Err(Error::UnsupportedApiVersion { .. })
    ));
    // A per-endpoint MAC address is applied only from 1.44 (20.10 ignores it).
    let mac = NetworkConnect {
        endpoint: EndpointConfig::new().mac_address("02:42:be:47:00:01"),
        ..plain.clone()
    };
    match mac.request(ApiVersion::new(1, 43)) {
        Err(Error::UnsupportedApiVersion { required, .. }) => {
            assert_eq!(required, ApiVersion::new(1, 44));
        }
        other => panic!("expected a version error, got {other:?}"),
    }
    assert_eq!(
        json_of(&mac.request(ApiVersion::new(1, 44)).expect("req"))["EndpointConfig"],
        json!({"MacAddress": "02:42:be:47:00:01"})
    );
    for bad in [
        NetworkConnect {
            container: String::new(),
            ..plain.clone()
        },
        NetworkConnect {
            network: String::new(),
            ..plain.clone()
        },
    ] {
        assert!(matches!(bad.request(V41), Err(Error::InvalidArgument(_))));
    }
    assert!(plain.parse(resp(200, b"OK")).is_ok());
    let e = plain
        .parse(resp(404, br#"{"message":"No such container: web"}"#))
        .expect_err("404");
    assert!(matches!(e, Error::NotFound(_)));
    let e = plain
        .parse(resp(
            403,
            br#"{"message":"endpoint with name x already exists in network net"}"#,
        ))
        .expect_err("403");
    assert!(matches!(e, Error::Forbidden(_)));
}

#[test]
fn disconnect_sends_force_only_when_set() {
    let mut d = NetworkDisconnect {
        network: "net".into(),
        container: "web".into(),
        force: false,
    };
    let h = d.request(V41).expect("req");
    assert_eq!(h.path, "/v1.41/networks/net/disconnect");
    assert_eq!(json_of(&h), json!({"Container": "web"}));
    d.force = true;
    assert_eq!(
        json_of(&d.request(V41).expect("req")),
        json!({"Container": "web", "Force": true})
    );
    d.container.clear();
    assert!(d.request(V41).is_err());
    assert!(d.parse(resp(200, b"OK")).is_ok());
    // 20.10 answers 500 for a container that is not connected.
    let e = d
        .parse(resp(
            500,
            br#"{"message":"container web is not connected to network net"}"#,
        ))
        .expect_err("500");
    assert!(matches!(e, Error::Server(_)));
    // With Force, an unknown container is looked up as an endpoint name.
    let e = d
        .parse(resp(404, br#"{"message":"endpoint web not found"}"#))
        .expect_err("404");
    assert!(e.is_not_found());
}

#[test]
fn remove_path_and_statuses() {
    let r = NetworkRemove { id: "n/x".into() };
    let h = r.request(V41).expect("req");
    assert_eq!(h.method, Method::DELETE);
    assert_eq!(h.path, "/v1.41/networks/n/x");
    assert!(matches!(h.body, RequestBody::Empty));
    assert!(r.parse(resp(204, b"")).is_ok());
    let e = r
        .parse(resp(
            403,
            br#"{"message":"bridge is a pre-defined network and cannot be removed"}"#,
        ))
        .expect_err("403");
    assert!(matches!(e, Error::Forbidden(_)));
    assert_eq!(
        e.daemon_message(),
        Some("bridge is a pre-defined network and cannot be removed")
    );
    let e = r
        .parse(resp(404, br#"{"message":"network n not found"}"#))
        .expect_err("404");
    assert!(e.is_not_found());
    assert!(NetworkRemove { id: String::new() }.request(V41).is_err());
}

#[test]
fn prune_needs_1_25_and_reads_null_as_none_deleted() {
    let p = NetworkPrune {
        filters: Filters::new().with("label", "berth.test.case=x"),
    };
    assert!(matches!(
        p.request(ApiVersion::new(1, 24)),
        Err(Error::UnsupportedApiVersion { .. })
    ));
    let h = p.request(V41).expect("req");
    assert_eq!(h.method, Method::POST);
    assert_eq!(
        h.path,
        "/v1.41/networks/prune?filters=%7B%22label%22%3A%5B%22berth.test.case%3Dx%22%5D%7D"
    );
    assert_eq!(
        NetworkPrune::default().request(V41).expect("req").path,
        "/v1.41/networks/prune"
    );
    // 20.10 when nothing matched.
    let none = p
        .parse(resp(200, br#"{"NetworksDeleted":null}"#))
        .expect("prune");
    assert!(NetworkPrune::deleted(&none).is_empty());
    let some = p
        .parse(resp(200, br#"{"NetworksDeleted":["a","b"]}"#))
        .expect("prune");
    assert_eq!(NetworkPrune::deleted(&some), ["a", "b"]);
    let e = p
        .parse(resp(
            409,
            br#"{"message":"a prune operation is already running"}"#,
        ))
        .expect_err("409");
    assert!(matches!(e, Error::Conflict(_)));
}
