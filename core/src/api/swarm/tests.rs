use std::time::Duration;

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
fn swarm_spec_emits_only_what_is_set() {
    let spec = SwarmSpecOptions::new()
        .name("default")
        .label("a", "b")
        .snapshot_interval(5000)
        .election_tick(10)
        .node_cert_expiry(Duration::from_secs(3600))
        .external_ca(ExternalCa {
            url: "https://ca.example/".into(),
            ..ExternalCa::default()
        })
        .to_json(V41)
        .expect("spec");
    assert_eq!(
        spec,
        json!({
            "Name": "default",
            "Labels": {"a": "b"},
            "Raft": {"SnapshotInterval": 5000, "ElectionTick": 10},
            "CAConfig": {
                "NodeCertExpiry": 3_600_000_000_000i64,
                "ExternalCAs": [{"URL": "https://ca.example/", "Protocol": "cfssl"}]
            }
        })
    );
    assert_eq!(
        SwarmSpecOptions::new().to_json(V41).expect("empty"),
        json!({})
    );
}

#[test]
fn swarm_spec_version_gates() {
    let old = ApiVersion::new(1, 24);
    for s in [
        SwarmSpecOptions::new().autolock_managers(true),
        SwarmSpecOptions::new().ca_force_rotate(1),
    ] {
        assert!(matches!(
            s.to_json(old),
            Err(Error::UnsupportedApiVersion { .. })
        ));
    }
}

/// moby 20.10 (and every later Engine) drops `TaskDefaults` when it converts the swarm
/// spec, on init and on update: the swarm test shows the spec coming back without it.
/// Refused at any version, merge included, so nothing is sent in vain.
#[test]
#[allow(
    deprecated,
    reason = "shows that the deprecated task default log driver is refused"
)]
fn task_default_log_driver_is_refused() {
    for api in [V41, ApiVersion::new(1, 24), ApiVersion::new(1, 51)] {
        let s = SwarmSpecOptions::new()
            .snapshot_interval(10)
            .log_driver(DriverConfig::new("json-file").option("max-file", "3"));
        match s.to_json(api) {
            Err(Error::InvalidArgument(m)) => {
                assert!(m.contains("ServiceOptions::log_driver"), "{m}");
            }
            other => panic!("{api}: {other:?}"),
        }
        assert!(matches!(
            s.merge_into(&json!({"Name": "default"}), api),
            Err(Error::InvalidArgument(_))
        ));
    }
}

#[test]
fn merge_keeps_unset_fields_and_replaces_labels() {
    let current = json!({
        "Name": "default",
        "Labels": {"old": "1", "keep": "?"},
        "Orchestration": {"TaskHistoryRetentionLimit": 5},
        "CAConfig": {"NodeCertExpiry": 7_776_000_000_000_000i64},
        "EncryptionConfig": {"AutoLockManagers": false}
    });
    let next = SwarmSpecOptions::new()
        .label("new", "2")
        .autolock_managers(true)
        .merge_into(&current, V41)
        .expect("merge");
    assert_eq!(next["Labels"], json!({"new": "2"}));
    assert_eq!(next["Orchestration"]["TaskHistoryRetentionLimit"], 5);
    assert_eq!(next["EncryptionConfig"]["AutoLockManagers"], true);
    assert_eq!(next["CAConfig"]["NodeCertExpiry"], 7_776_000_000_000_000i64);
    assert!(
        SwarmSpecOptions::new()
            .merge_into(&json!([1]), V41)
            .is_err()
    );
}

#[test]
fn init_body_defaults_pool_and_subnet_together() {
    let mut init = SwarmInit::new("127.0.0.1");
    init.subnet_size = Some(26);
    let body = init.body(V41).expect("body");
    assert_eq!(body["DefaultAddrPool"], json!(["10.0.0.0/8"]));
    assert_eq!(body["SubnetSize"], 26);
    assert_eq!(body["ListenAddr"], "0.0.0.0:2377");
    assert_eq!(body["ForceNewCluster"], false);
    assert_eq!(body["Spec"], json!({}));

    let mut init = SwarmInit::new("127.0.0.1");
    init.default_addr_pool = vec!["10.20.0.0/16".into()];
    init.data_path_port = Some(7789);
    init.data_path_addr = Some("127.0.0.1".into());
    let body = init.body(V41).expect("body");
    assert_eq!(body["DefaultAddrPool"], json!(["10.20.0.0/16"]));
    assert_eq!(body["SubnetSize"], 24);
    assert_eq!(body["DataPathPort"], 7789);
    assert_eq!(body["DataPathAddr"], "127.0.0.1");
    assert!(matches!(
        init.body(ApiVersion::new(1, 38)),
        Err(Error::UnsupportedApiVersion { .. })
    ));

    let plain = SwarmInit::new("10.0.0.5").body(V41).expect("body");
    assert!(plain.get("DefaultAddrPool").is_none() && plain.get("DataPathPort").is_none());
}

#[test]
fn init_parses_the_node_id_string() {
    let init = SwarmInit::new("127.0.0.1");
    let head = init.request(V41).expect("head");
    assert_eq!(head.method, Method::POST);
    assert_eq!(json_of(&head)["AdvertiseAddr"], "127.0.0.1");
    assert_eq!(
        init.parse(resp(200, b"\"x1y2z3\"\n")).expect("id"),
        "x1y2z3"
    );
    assert!(matches!(
        init.parse(resp(200, br#"{"ID":"x"}"#)),
        Err(Error::Decode(_))
    ));
    let e = init
        .parse(resp(
            503,
            br#"{"message":"This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one."}"#,
        ))
        .expect_err("already in a swarm");
    assert!(matches!(e, Error::Unavailable(_)));
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("already part"))
    );
}

#[test]
fn leave_forced_tolerates_not_in_swarm() {
    let forced = SwarmLeave { force: true };
    assert_eq!(
        forced.request(V41).expect("head").path,
        "/v1.41/swarm/leave?force=true"
    );
    assert!(forced.parse(resp(200, b"")).expect("left"));
    for status in [406, 503] {
        assert!(
            !forced
                .parse(resp(
                    status,
                    br#"{"message":"This node is not part of a swarm"}"#
                ))
                .expect("forced leave outside a swarm is success")
        );
    }
    let plain = SwarmLeave { force: false };
    assert!(matches!(
        plain.parse(resp(
            503,
            br#"{"message":"This node is not part of a swarm"}"#
        )),
        Err(Error::Unavailable(_))
    ));
    assert!(matches!(
        forced.parse(resp(500, b"{\"message\":\"boom\"}")),
        Err(Error::Server(_))
    ));
}

#[test]
fn join_checks_inputs_and_sends_body() {
    let j = SwarmJoin::new(["10.0.0.1:2377"], "SWMTKN-1-abc");
    let head = j.request(V41).expect("head");
    assert_eq!(
        json_of(&head),
        json!({"RemoteAddrs": ["10.0.0.1:2377"], "JoinToken": "SWMTKN-1-abc", "ListenAddr": "0.0.0.0:2377"})
    );
    assert!(
        SwarmJoin::new(Vec::<String>::new(), "t")
            .request(V41)
            .is_err()
    );
    assert!(SwarmJoin::new(["a:1"], "").request(V41).is_err());
    let mut j = SwarmJoin::new(["a:1"], "t");
    j.data_path_addr = Some("eth0".into());
    assert!(j.request(ApiVersion::new(1, 29)).is_err());
}

#[test]
fn update_query_and_cert_expiry_default() {
    let u = SwarmUpdate {
        version: 12,
        spec: json!({"Name": "default", "CAConfig": null}),
        rotate_worker_token: true,
        ..SwarmUpdate::default()
    };
    let head = u.request(V41).expect("head");
    assert_eq!(
        head.path,
        "/v1.41/swarm/update?version=12&rotateWorkerToken=true&rotateManagerToken=false&rotateManagerUnlockKey=false"
    );
    assert_eq!(
        json_of(&head)["CAConfig"]["NodeCertExpiry"],
        DEFAULT_NODE_CERT_EXPIRY_NS
    );
    let kept = SwarmUpdate {
        spec: json!({"CAConfig": {"NodeCertExpiry": 5}}),
        ..SwarmUpdate::default()
    };
    assert_eq!(kept.body().expect("body")["CAConfig"]["NodeCertExpiry"], 5);
    let old = SwarmUpdate::default()
        .request(ApiVersion::new(1, 24))
        .expect("1.24");
    assert!(!old.path.contains("rotateManagerUnlockKey"));
    let rot = SwarmUpdate {
        rotate_manager_unlock_key: true,
        ..SwarmUpdate::default()
    };
    assert!(rot.request(ApiVersion::new(1, 24)).is_err());
    let e = u
        .parse(resp(
            500,
            br#"{"message":"rpc error: code = Unknown desc = update out of sequence"}"#,
        ))
        .expect_err("stale");
    assert!(
        e.daemon_message()
            .is_some_and(|m| m.contains("out of sequence"))
    );
}

#[test]
fn unlock_key_and_unlock() {
    let k = SwarmUnlockKey;
    assert_eq!(k.request(V41).expect("head").path, "/v1.41/swarm/unlockkey");
    assert_eq!(
        k.parse(resp(200, br#"{"UnlockKey":"SWMKEY-1-abc"}"#))
            .expect("key"),
        "SWMKEY-1-abc"
    );
    assert_eq!(k.parse(resp(200, b"{}")).expect("none"), "");
    let u = SwarmUnlock {
        key: "SWMKEY-1-abc".into(),
    };
    assert_eq!(
        json_of(&u.request(V41).expect("head")),
        json!({"UnlockKey": "SWMKEY-1-abc"})
    );
    assert!(SwarmUnlock::default().request(V41).is_err());
}

#[test]
fn inspect_reads_tokens_and_version() {
    let body = br#"{"ID":"s1","Version":{"Index":10},"Spec":{"Name":"default"},
        "JoinTokens":{"Worker":"SWMTKN-1-w","Manager":"SWMTKN-1-m"},"SubnetSize":24}"#;
    let s = SwarmInspect.parse(resp(200, body)).expect("swarm");
    let tokens = s.join_tokens.as_ref().expect("tokens");
    assert_eq!(tokens.worker.as_deref(), Some("SWMTKN-1-w"));
    assert_eq!(version_of(&s.attrs), Some(10));
    assert!(SwarmInspect.request(ApiVersion::new(1, 23)).is_err());
    let e = SwarmInspect
        .parse(resp(
            503,
            br#"{"message":"This node is not a swarm manager."}"#,
        ))
        .expect_err("not a manager");
    assert!(is_not_in_swarm(&e));
}
