//! Vectors for credentials, headers, registry resolution, config files and helpers.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde_json::{Value, json};

use super::*;

fn header_json(h: &str) -> Value {
    let bytes = URL_SAFE.decode(h).expect("url-safe base64 with padding");
    serde_json::from_slice(&bytes).expect("json")
}

#[test]
fn registry_auth_is_url_safe_padded_compact_json() {
    // Bytes chosen so the standard alphabet would need '+' and '/'.
    let a = AuthConfig::password("jane", "p+w/d?>>~", "registry.example.com");
    let h = encode_registry_auth(Some(&a)).expect("encode");
    assert!(!h.contains('+') && !h.contains('/'), "{h}");
    assert_eq!(h.len() % 4, 0, "padded: {h}");
    assert_eq!(
        URL_SAFE.decode(&h).expect("b64"),
        br#"{"username":"jane","password":"p+w/d?>>~","serveraddress":"registry.example.com"}"#
    );
    let standard = STANDARD.encode(a.to_json().expect("json"));
    assert_ne!(
        standard, h,
        "the vector must exercise the URL-safe alphabet"
    );
    assert_eq!(decode_registry_auth(&h).expect("decode"), a);
    assert_eq!(
        decode_registry_auth(h.trim_end_matches('=')).expect("unpadded"),
        a
    );
}

#[test]
fn empty_credentials_encode_as_empty_object() {
    assert_eq!(encode_registry_auth(None).expect("none"), "e30=");
    assert_eq!(
        encode_registry_auth(Some(&AuthConfig::default())).expect("empty"),
        EMPTY_REGISTRY_AUTH
    );
    assert_eq!(header_json(EMPTY_REGISTRY_AUTH), json!({}));
}

#[test]
fn non_ascii_credentials_are_utf8() {
    let a = AuthConfig::password("jürgen", "pässwörd€", "reg.example.com");
    let v = header_json(&a.encode().expect("encode"));
    assert_eq!(v["username"], "jürgen");
    assert_eq!(v["password"], "pässwörd€");
}

#[test]
fn identity_token_replaces_password_and_names_are_lowercase() {
    let a = AuthConfig {
        username: Some("jane".into()),
        password: Some("pw".into()),
        identitytoken: Some("tok".into()),
        serveraddress: Some("reg".into()),
        email: Some(String::new()),
        ..AuthConfig::default()
    };
    assert_eq!(
        header_json(&a.encode().expect("encode")),
        json!({"username":"jane","serveraddress":"reg","identitytoken":"tok"})
    );
    let capitalised: AuthConfig = serde_json::from_value(json!({
        "Username": "u", "Password": "p", "ServerAddress": "s", "IdentityToken": "t",
        "Email": "e", "RegistryToken": "r"
    }))
    .expect("aliases");
    assert_eq!(capitalised.username.as_deref(), Some("u"));
    assert_eq!(capitalised.registrytoken.as_deref(), Some("r"));
    let all = AuthConfig {
        registrytoken: Some("r".into()),
        email: Some("e@x".into()),
        ..AuthConfig::password("u", "p", "s")
    };
    assert_eq!(
        all.to_json().expect("json"),
        r#"{"username":"u","password":"p","email":"e@x","serveraddress":"s","registrytoken":"r"}"#
    );
}

#[test]
fn debug_redacts_secrets() {
    let a = AuthConfig {
        identitytoken: Some("tok-secret".into()),
        registrytoken: Some("reg-secret".into()),
        ..AuthConfig::password("jane", "pw-secret", "reg")
    };
    let d = format!("{a:?}");
    assert!(d.contains("jane") && d.contains("<redacted>"), "{d}");
    assert!(!d.contains("secret"), "{d}");
}

#[test]
fn registry_config_has_every_registry_and_the_hub_twice() {
    let mut all = BTreeMap::new();
    all.insert(
        "https://index.docker.io/v1/".to_owned(),
        AuthConfig::password("hub", "1", "https://index.docker.io/v1/"),
    );
    all.insert(
        "reg:5000".to_owned(),
        AuthConfig::identity_token("tok", "reg:5000"),
    );
    all.insert("empty.io".to_owned(), AuthConfig::default());
    let v = header_json(&encode_registry_config(&all).expect("encode"));
    assert_eq!(v["https://index.docker.io/v1/"]["username"], "hub");
    assert_eq!(v["reg:5000"]["identitytoken"], "tok");
    assert!(v.get("empty.io").is_none());
    assert_eq!(v.as_object().expect("map").len(), 2);

    // Hub known only as docker.io: duplicated under the index URL.
    let mut hub = BTreeMap::new();
    hub.insert(
        "docker.io".to_owned(),
        AuthConfig::password("jane", "pw", "docker.io"),
    );
    let v = header_json(&encode_registry_config(&hub).expect("encode"));
    assert_eq!(v["docker.io"], v[INDEX_SERVER]);
    assert_eq!(v[INDEX_SERVER]["password"], "pw");
    assert_eq!(
        header_json(&encode_registry_config(&BTreeMap::new()).expect("empty")),
        json!({})
    );
}

#[test]
fn repository_resolution_vectors() {
    for (name, registry, remote) in [
        ("busybox", "docker.io", "busybox"),
        ("busybox:1.36", "docker.io", "busybox:1.36"),
        ("user/img", "docker.io", "user/img"),
        ("org/my.app", "docker.io", "org/my.app"),
        ("org/sub/my.app:1", "docker.io", "org/sub/my.app:1"),
        ("localhost/img", "localhost", "img"),
        ("localhost:5000/img:v2", "localhost:5000", "img:v2"),
        ("host:5000/img", "host:5000", "img"),
        ("my.reg/img", "my.reg", "img"),
        ("my.reg/ns/img@sha256:ab", "my.reg", "ns/img@sha256:ab"),
        ("127.0.0.1:5001/berth/x", "127.0.0.1:5001", "berth/x"),
        (
            "index.docker.io/library/busybox",
            "docker.io",
            "library/busybox",
        ),
        ("docker.io/library/busybox", "docker.io", "library/busybox"),
        ("[::1]:5000/img", "[::1]:5000", "img"),
        ("LocalHost/img", "docker.io", "LocalHost/img"),
    ] {
        let r = resolve_repository_name(name).expect(name);
        assert_eq!(
            (r.registry.as_str(), r.remote.as_str()),
            (registry, remote),
            "{name}"
        );
    }
    for bad in [
        "https://reg/img",
        "http://localhost:5000/x",
        "",
        "-reg.io/x",
        "reg.io-/x",
    ] {
        let e = resolve_repository_name(bad).expect_err(bad);
        assert!(matches!(e, Error::InvalidArgument(_)), "{bad}: {e:?}");
    }
}

#[test]
fn index_name_normalisation_vectors() {
    for (key, want) in [
        ("https://reg/v2/", "reg"),
        ("http://reg:5000/v1/", "reg:5000"),
        ("reg:5000", "reg:5000"),
        ("https://index.docker.io/v1/", "docker.io"),
        ("index.docker.io", "docker.io"),
        ("docker.io", "docker.io"),
        ("  reg.example.com/path  ", "reg.example.com"),
    ] {
        assert_eq!(resolve_index_name(key), want, "{key}");
    }
    assert_eq!(
        AuthConfig::password("u", "p", "https://index.docker.io/v1/").registry(),
        "docker.io"
    );
    assert_eq!(AuthConfig::default().registry(), "docker.io");
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

#[test]
fn config_auths_decode_on_first_colon_and_keep_email() {
    let text = json!({
        "auths": {
            "https://index.docker.io/v1/": {"auth": b64("jane:pa:ss:word"), "email": "j@x"},
            "reg:5000": {"auth": b64("bob:")},
            "unpadded.io": {"auth": b64("ann:pw").trim_end_matches('=')},
        }
    })
    .to_string();
    let c = DockerConfig::from_slice(text.as_bytes()).expect("parse");
    let hub = &c.auths["https://index.docker.io/v1/"];
    assert_eq!(hub.username.as_deref(), Some("jane"));
    assert_eq!(hub.password.as_deref(), Some("pa:ss:word"));
    assert_eq!(hub.email.as_deref(), Some("j@x"));
    assert_eq!(
        hub.serveraddress.as_deref(),
        Some("https://index.docker.io/v1/")
    );
    assert_eq!(c.auths["reg:5000"].password.as_deref(), Some(""));
    assert_eq!(c.auths["unpadded.io"].password.as_deref(), Some("pw"));
    // Looked up as docker.io / index.docker.io (edge case 37).
    for name in ["docker.io", "index.docker.io", INDEX_SERVER] {
        assert_eq!(c.auth_for(name), Some(hub), "{name}");
    }
    assert!(c.auth_for("other.io").is_none());
}

#[test]
fn config_identity_token_wins_and_entries_without_auth_are_empty() {
    let text = json!({
        "auths": {
            "tok.io": {"auth": b64("jane:pw"), "identitytoken": "idt"},
            "only-token.io": {"identitytoken": "idt2"},
            "store.io": {},
            "email-only.io": {"email": "a@b"},
        },
        "credsStore": "desktop"
    })
    .to_string();
    let c = DockerConfig::from_slice(text.as_bytes()).expect("parse");
    let t = &c.auths["tok.io"];
    assert_eq!(t.identitytoken.as_deref(), Some("idt"));
    assert_eq!(t.username.as_deref(), Some("jane"));
    assert!(t.password.is_none());
    assert_eq!(
        header_json(&t.encode().expect("enc")),
        json!({"username":"jane","serveraddress":"tok.io","identitytoken":"idt"})
    );
    assert_eq!(
        c.auths["only-token.io"].identitytoken.as_deref(),
        Some("idt2")
    );
    assert!(c.auths["store.io"].is_empty());
    assert!(c.auths["email-only.io"].is_empty());
    assert_eq!(
        c.stored_credentials().keys().collect::<Vec<_>>(),
        ["only-token.io", "tok.io"]
    );
}

#[test]
fn config_keys_with_scheme_and_path_are_normalised() {
    let text = json!({"auths": {"https://reg.example.com/v2/": {"auth": b64("u:p")}}}).to_string();
    let c = DockerConfig::from_slice(text.as_bytes()).expect("parse");
    assert_eq!(
        c.auth_for("reg.example.com")
            .and_then(|a| a.username.as_deref()),
        Some("u")
    );
    let l = c.lookup("https://reg.example.com");
    assert_eq!(l.registry, "reg.example.com");
    assert!(l.helper.is_none());
    assert_eq!(l.stored.and_then(|a| a.password), Some("p".into()));
}

#[test]
fn config_errors_are_invalid_config() {
    for bad in [
        r#"{"auths": {"reg": "not-an-object"}}"#,
        r#"{"auths": {"reg": 5}}"#,
        r#"{"auths": []}"#,
        r#"{"auths": {"reg": {"auth": "!!!not base64"}}}"#,
        r#"{"auths": {"reg": {"auth": "bm9jb2xvbg=="}}}"#,
        r#"{"auths": {"reg": {"auth": 5}}}"#,
        r#"{"credsStore": 5}"#,
        r#"{"credHelpers": {"reg": 1}}"#,
        r#"{"credHelpers": []}"#,
        r#"[1, 2]"#,
        "not json and not legacy",
        "auth = !!!\nemail = x",
    ] {
        let e = DockerConfig::from_slice(bad.as_bytes()).expect_err(bad);
        assert!(
            matches!(&e, Error::InvalidArgument(m) if m.contains("invalid Docker config file")),
            "{bad}: {e:?}"
        );
    }
    assert!(DockerConfig::from_slice(b"\xff\xfe").is_err());
    assert_eq!(
        DockerConfig::from_slice(b"  \n").expect("empty"),
        DockerConfig::default()
    );
    assert_eq!(
        DockerConfig::from_slice(b"{}").expect("empty object"),
        DockerConfig::default()
    );
}

#[test]
fn legacy_flat_json_and_two_line_formats() {
    let flat = json!({
        "https://index.docker.io/v1/": {"auth": b64("hub:pw"), "email": "h@x"},
        "reg:5000": {"auth": b64("r:pw2")},
        "junk": "skipped, not an object",
        "HttpHeaders": {"X-Meta": "1"},
    })
    .to_string();
    let c = DockerConfig::from_slice(flat.as_bytes()).expect("flat");
    assert_eq!(
        c.auth_for("docker.io").and_then(|a| a.username.as_deref()),
        Some("hub")
    );
    assert_eq!(
        c.auth_for("reg:5000").and_then(|a| a.password.as_deref()),
        Some("pw2")
    );
    assert!(!c.auths.contains_key("junk"));
    assert!(!c.auths.contains_key("HttpHeaders"));
    assert_eq!(c.http_headers["X-Meta"], "1");

    let two_lines = format!("auth = {}\nemail = jane@example.com\n", b64("jane:pa:ss"));
    let c = DockerConfig::from_slice(two_lines.as_bytes()).expect("two lines");
    let hub = c.auth_for("docker.io").expect("hub entry");
    assert_eq!(hub.username.as_deref(), Some("jane"));
    assert_eq!(hub.password.as_deref(), Some("pa:ss"));
    assert_eq!(hub.email.as_deref(), Some("jane@example.com"));
    assert_eq!(hub.serveraddress.as_deref(), Some(INDEX_SERVER));
}

#[test]
fn settings_are_read() {
    let text = json!({
        "auths": {},
        "HttpHeaders": {"User-Agent": "x"},
        "detachKeys": "ctrl-x,x",
        "currentContext": "remote",
        "proxies": {"default": {"httpProxy": "http://p:3128", "noProxy": "*.local"}},
        "psFormat": "table {{.ID}}",
        "unknownKey": {"anything": [1]}
    })
    .to_string();
    let c = DockerConfig::from_slice(text.as_bytes()).expect("parse");
    assert_eq!(c.http_headers["User-Agent"], "x");
    assert_eq!(c.detach_keys.as_deref(), Some("ctrl-x,x"));
    assert_eq!(c.current_context.as_deref(), Some("remote"));
    assert_eq!(c.proxies["default"].http.as_deref(), Some("http://p:3128"));
    assert_eq!(c.proxies["default"].no_proxy.as_deref(), Some("*.local"));
    assert!(c.auths.is_empty());
}

#[test]
fn cred_helpers_override_creds_store_per_registry() {
    let text = json!({
        "auths": {"reg:5000": {}, "https://index.docker.io/v1/": {}},
        "credsStore": "desktop",
        "credHelpers": {
            "reg:5000": "pass",
            "https://index.docker.io/v1/": "hubhelper",
            "https://other.io/v2/": "other"
        }
    })
    .to_string();
    let c = DockerConfig::from_slice(text.as_bytes()).expect("parse");
    assert_eq!(c.helper_for("reg:5000"), Some("pass"));
    assert_eq!(c.helper_for("docker.io"), Some("hubhelper"));
    assert_eq!(c.helper_for("other.io"), Some("other"));
    assert_eq!(c.helper_for("elsewhere.io"), Some("desktop"));
    let hub = c.lookup("index.docker.io");
    assert_eq!(
        hub.helper,
        Some(HelperQuery::new("hubhelper", INDEX_SERVER))
    );
    assert_eq!(hub.stored, Some(AuthConfig::default()));
    let reg = c.lookup("reg:5000");
    assert_eq!(reg.helper, Some(HelperQuery::new("pass", "reg:5000")));
    let none = DockerConfig::default().lookup("reg:5000");
    assert!(none.helper.is_none() && none.stored.is_none());
    let empty_store = DockerConfig::from_slice(br#"{"credsStore": ""}"#).expect("parse");
    assert_eq!(empty_store.helper_for("x.io"), None);
}

#[test]
fn helper_protocol_vectors() {
    let q = HelperQuery::new("berthtest", "127.0.0.1:5001");
    assert_eq!(q.program(), "docker-credential-berthtest");
    assert_eq!(q.action(), "get");
    assert_eq!(q.stdin(), b"127.0.0.1:5001".to_vec());

    let creds = q
        .parse(
            true,
            br#"{"ServerURL":"127.0.0.1:5001","Username":"berth","Secret":"s:e:c"}"#,
            b"",
        )
        .expect("ok")
        .expect("found");
    assert_eq!(
        creds,
        AuthConfig::password("berth", "s:e:c", "127.0.0.1:5001")
    );

    let token = q
        .parse(true, br#"{"Username":"<token>","Secret":"idtok"}"#, b"")
        .expect("ok")
        .expect("found");
    assert_eq!(token.identitytoken.as_deref(), Some("idtok"));
    assert!(token.username.is_none() && token.password.is_none());
    assert_eq!(token.serveraddress.as_deref(), Some("127.0.0.1:5001"));

    assert_eq!(
        q.parse(true, br#"{"ServerURL":"x","Username":"","Secret":""}"#, b"")
            .expect("ok"),
        None
    );
    for not_found in [
        &b"credentials not found in native keychain\n"[..],
        b"Credentials Not Found",
    ] {
        assert_eq!(q.parse(false, not_found, b"").expect("ok"), None);
        assert_eq!(q.parse(false, b"", not_found).expect("ok"), None);
    }
    let e = q
        .parse(false, b"", b"gpg: decryption failed\n")
        .expect_err("failure");
    assert!(
        matches!(&e, Error::Protocol(m) if m.contains("docker-credential-berthtest") && m.contains("gpg")),
        "{e:?}"
    );
    let e = q.parse(true, b"not json", b"").expect_err("garbage");
    assert!(matches!(e, Error::Protocol(_)));

    assert_eq!(
        parse_helper_list(br#"{"https://index.docker.io/v1/":"jane","reg:5000":"bob"}"#)
            .expect("list")
            .len(),
        2
    );
    assert!(parse_helper_list(b"[]").is_err());
}

#[test]
fn basic_auth_round_trip() {
    let enc = encode_basic_auth("jane", "p:w");
    assert_eq!(
        decode_basic_auth(&enc).expect("decode"),
        ("jane".into(), "p:w".into())
    );
    assert!(decode_basic_auth(&b64("nocolon")).is_err());
}
