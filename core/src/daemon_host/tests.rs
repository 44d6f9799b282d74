use super::*;
use sha2::{Digest, Sha256};

fn unix(path: &str) -> DaemonHost {
    DaemonHost {
        addr: DaemonAddr::Unix { path: path.into() },
        path_prefix: String::new(),
    }
}

fn tcp(host: &str, port: u16, tls: bool, prefix: &str) -> DaemonHost {
    DaemonHost {
        addr: DaemonAddr::Tcp {
            host: host.into(),
            port,
            tls,
        },
        path_prefix: prefix.into(),
    }
}

fn ssh(user: Option<&str>, host: &str, port: u16) -> DaemonHost {
    DaemonHost {
        addr: DaemonAddr::Ssh {
            user: user.map(Into::into),
            host: host.into(),
            port,
        },
        path_prefix: String::new(),
    }
}

fn parse_ok(url: &str, tls: bool) -> DaemonHost {
    match DaemonHost::parse(url, tls) {
        Ok(h) => h,
        Err(e) => panic!("{url:?} (tls={tls}) should parse: {e}"),
    }
}

fn parse_err(url: &str) -> String {
    match DaemonHost::parse(url, false) {
        Ok(h) => panic!("{url:?} should be rejected, got {h:?}"),
        Err(Error::InvalidArgument(m)) => m,
        Err(e) => panic!("{url:?}: expected InvalidArgument, got {e:?}"),
    }
}

/// docker-py's `ParseHostTest.test_parse_host` valid vectors (tests/unit/utils_test.py),
/// with docker-py's expected URL and berth's value.
#[test]
fn docker_py_valid_vectors() {
    let cases: Vec<(&str, &str, DaemonHost)> = vec![
        (
            "0.0.0.1:5555",
            "http://0.0.0.1:5555",
            tcp("0.0.0.1", 5555, false, ""),
        ),
        (
            ":6666",
            "http://127.0.0.1:6666",
            tcp("127.0.0.1", 6666, false, ""),
        ),
        (
            "tcp://:7777",
            "http://127.0.0.1:7777",
            tcp("127.0.0.1", 7777, false, ""),
        ),
        (
            "http://:7777",
            "http://127.0.0.1:7777",
            tcp("127.0.0.1", 7777, false, ""),
        ),
        (
            "https://kokia.jp:2375",
            "https://kokia.jp:2375",
            tcp("kokia.jp", 2375, true, ""),
        ),
        (
            "unix:///var/run/docker.sock",
            "unix:///var/run/docker.sock",
            unix("/var/run/docker.sock"),
        ),
        (
            "unix://",
            "unix:///var/run/docker.sock",
            unix("/var/run/docker.sock"),
        ),
        (
            "12.234.45.127:2375/docker/engine",
            "http://12.234.45.127:2375/docker/engine",
            tcp("12.234.45.127", 2375, false, "/docker/engine"),
        ),
        (
            "somehost.net:80/service/swarm",
            "http://somehost.net:80/service/swarm",
            tcp("somehost.net", 80, false, "/service/swarm"),
        ),
        (
            "[fd12::82d1]:2375",
            "http://[fd12::82d1]:2375",
            tcp("fd12::82d1", 2375, false, ""),
        ),
        (
            "https://[fd12:5672::12aa]:1090",
            "https://[fd12:5672::12aa]:1090",
            tcp("fd12:5672::12aa", 1090, true, ""),
        ),
        (
            "[fd12::82d1]:2375/docker/engine",
            "http://[fd12::82d1]:2375/docker/engine",
            tcp("fd12::82d1", 2375, false, "/docker/engine"),
        ),
        (
            "ssh://[fd12::82d1]",
            "ssh://[fd12::82d1]:22",
            ssh(None, "fd12::82d1", 22),
        ),
        (
            "ssh://user@[fd12::82d1]:8765",
            "ssh://user@[fd12::82d1]:8765",
            ssh(Some("user"), "fd12::82d1", 8765),
        ),
        ("ssh://", "ssh://127.0.0.1:22", ssh(None, "127.0.0.1", 22)),
        (
            "ssh://user@localhost:22",
            "ssh://user@localhost:22",
            ssh(Some("user"), "localhost", 22),
        ),
        (
            "ssh://user@remote",
            "ssh://user@remote:22",
            ssh(Some("user"), "remote", 22),
        ),
    ];
    for (url, display, want) in cases {
        let got = parse_ok(url, false);
        assert_eq!(got, want, "{url}");
        // Display matches docker-py's output except for the unix scheme name.
        let display = display.replace("http+unix://", "unix://");
        assert_eq!(got.to_string(), display, "{url}");
    }
}

/// docker-py's invalid vectors, plus the other rejections of API-INVENTORY §4.1.
#[test]
fn rejected_addresses_say_why() {
    let cases: &[(&str, &str)] = &[
        // docker-py's list
        ("0.0.0.0", "port is required"),
        ("tcp://", "host and port are required"),
        ("udp://127.0.0.1", "invalid bind address protocol \"udp\""),
        ("udp://127.0.0.1:2375", "invalid bind address protocol"),
        ("ssh://:22/path", "no path is allowed"),
        ("tcp://netloc:3333/path?q=1", "query string"),
        ("unix:///sock/path#fragment", "fragment"),
        ("https://netloc:3333/path;params", ";params"),
        ("ssh://:clearpassword@host:22", "password"),
        // the rest of the grammar
        (
            "tcp://example.com",
            "port is required, e.g. tcp://example.com:2375",
        ),
        ("https://example.com", "port is required"),
        ("example.com", "port is required"),
        ("tcp://example.com:", "port is required"),
        ("tcp://example.com:0", "port is required"),
        ("tcp://[::1]", "port is required, e.g. tcp://[::1]:2375"),
        ("tcp://h:65536", "\"65536\" is not a port number"),
        ("tcp://h:+80", "\"+80\" is not a port number"),
        ("tcp://h:abc", "not a port number"),
        ("tcp://::1:2375", "IPv6 address must be written in brackets"),
        ("tcp://[::1:2375", "closing ']'"),
        ("tcp://[nothex]:2375", "is not an IPv6 address"),
        (
            "tcp://[::1]x:2375",
            "unexpected text after the IPv6 address",
        ),
        (
            "tcp://user@h:2375",
            "user name is only meaningful in an ssh://",
        ),
        ("tcp://user:pw@h:2375", "password"),
        ("tcp://h:2375/?", "query string"),
        ("tcp://h:2375#", "fragment"),
        ("tcp://h b:2375", "contains the character ' '"),
        (
            "/var/run/docker.sock",
            "for a unix socket write unix:///var/run/docker.sock",
        ),
        ("fd://", "fd:// protocol is not implemented"),
        ("fd://3", "not implemented"),
        ("npipe:////./pipe/docker_engine", "only on Windows"),
        ("ftp://h:21", "invalid bind address protocol"),
        ("tcp4://h:2375", "invalid bind address protocol"),
        ("ssh://host/", "no path is allowed"),
        ("ssh://host:notaport", "not a port number"),
        ("ssh://-oProxyCommand=x", "may not start with '-'"),
        ("ssh://-l@host", "may not start with '-'"),
        ("unix:///", "socket path is empty"),
        ("unix:////", "socket path is empty"),
    ];
    for (url, needle) in cases {
        let m = parse_err(url);
        assert!(m.contains(needle), "{url}: {m:?} should contain {needle:?}");
        assert!(
            m.contains(url.trim()),
            "{url}: the message should quote the address: {m}"
        );
    }
}

#[test]
fn empty_or_bare_unix_is_the_default_socket() {
    for url in ["", "   ", "unix://", " unix:// ", "\tunix://\n"] {
        assert_eq!(parse_ok(url, false), DaemonHost::default(), "{url:?}");
        assert_eq!(parse_ok(url, true), DaemonHost::default(), "{url:?}");
    }
    assert_eq!(DaemonHost::default(), unix(DEFAULT_UNIX_SOCKET));
}

#[test]
fn unix_forms() {
    let cases = [
        ("unix:///run/docker.sock", "/run/docker.sock"),
        ("http+unix:///run/docker.sock", "/run/docker.sock"),
        ("HTTP+UNIX:///run/docker.sock", "/run/docker.sock"),
        ("unix:///run/docker.sock/", "/run/docker.sock"),
        ("unix:///run/docker.sock//", "/run/docker.sock"),
        // Legacy: the host part is joined back into the path (docker-py: "equivalent to
        // unix:///path"); case is kept, unlike urlparse's lowercased hostname.
        ("unix://var/run/docker.sock", "/var/run/docker.sock"),
        ("http+unix://var/run/docker.sock", "/var/run/docker.sock"),
        ("unix://Users/Me/docker.sock", "/Users/Me/docker.sock"),
        ("unix://docker.sock", "/docker.sock"),
        ("unix:///tmp/with space/d.sock", "/tmp/with space/d.sock"),
        ("unix:///tmp/a:b@c.sock", "/tmp/a:b@c.sock"),
        ("  unix:///run/docker.sock  ", "/run/docker.sock"),
    ];
    for (url, path) in cases {
        let h = parse_ok(url, true);
        assert_eq!(h, unix(path), "{url}");
        assert_eq!(h.http_host(), "localhost");
        assert!(!h.is_tls());
        assert_eq!(h.to_string(), format!("unix://{path}"));
    }
}

#[test]
fn tcp_and_tls_flag() {
    // tcp:// and scheme-less follow the tls flag.
    assert_eq!(parse_ok("tcp://h:2375", false), tcp("h", 2375, false, ""));
    assert_eq!(parse_ok("tcp://h:2376", true), tcp("h", 2376, true, ""));
    assert_eq!(parse_ok("h:2376", true), tcp("h", 2376, true, ""));
    assert_eq!(
        parse_ok("myhost.docker.net:3348", true).to_string(),
        "https://myhost.docker.net:3348"
    );
    assert_eq!(
        parse_ok("tcp://myhost.docker.net:3348", true).to_string(),
        "https://myhost.docker.net:3348"
    );
    // https:// forces TLS; http:// never uses it (docker-py: tls = proto == 'https').
    assert_eq!(parse_ok("https://h:2376", false), tcp("h", 2376, true, ""));
    assert_eq!(parse_ok("http://h:2375", true), tcp("h", 2375, false, ""));
    // Scheme names are case-insensitive.
    assert_eq!(parse_ok("TCP://h:1", false), tcp("h", 1, false, ""));
    // Scheme-less host names that look like a URL scheme to urlparse.
    assert_eq!(
        parse_ok("localhost:2375", false),
        tcp("localhost", 2375, false, "")
    );
    assert_eq!(parse_ok("docker:2376", true), tcp("docker", 2376, true, ""));
    // Host case is kept; the port range ends at 65535.
    assert_eq!(
        parse_ok("tcp://Docker.Example:65535", false),
        tcp("Docker.Example", 65535, false, "")
    );
    assert_eq!(parse_ok("tcp://h:02375", false), tcp("h", 2375, false, ""));
}

#[test]
fn path_prefix_and_trailing_slashes() {
    let cases = [
        (
            "tcp://myhost.docker.net:2376/",
            "",
            "http://myhost.docker.net:2376",
        ),
        ("tcp://h:2375//", "", "http://h:2375"),
        ("tcp://h:2375/docker", "/docker", "http://h:2375/docker"),
        ("tcp://h:2375/docker/", "/docker", "http://h:2375/docker"),
        ("tcp://h:2375/a/b/c//", "/a/b/c", "http://h:2375/a/b/c"),
        ("https://[::1]:2376/x/", "/x", "https://[::1]:2376/x"),
    ];
    for (url, prefix, display) in cases {
        let h = parse_ok(url, false);
        assert_eq!(h.path_prefix, prefix, "{url}");
        assert_eq!(h.to_string(), display, "{url}");
    }
}

#[test]
fn ipv6() {
    let h = parse_ok("tcp://[::1]:2375", false);
    assert_eq!(h, tcp("::1", 2375, false, ""));
    assert_eq!(h.http_host(), "[::1]:2375");
    let h = parse_ok("tcp://[::]:2375", false);
    assert_eq!(h.http_host(), "[::]:2375");
    let h = parse_ok("[2001:db8::1]:2376", true);
    assert_eq!(h, tcp("2001:db8::1", 2376, true, ""));
    assert_eq!(parse_ok("ssh://[::1]:2222", false), ssh(None, "::1", 2222));
}

#[test]
fn ssh_forms() {
    assert_eq!(parse_ok("ssh://box", false), ssh(None, "box", 22));
    assert_eq!(parse_ok("ssh://box:2222", true), ssh(None, "box", 2222));
    assert_eq!(
        parse_ok("ssh://me@box:2222", false),
        ssh(Some("me"), "box", 2222)
    );
    // Port 0 means "no port" to docker-py: the default 22.
    assert_eq!(parse_ok("ssh://box:0", false), ssh(None, "box", 22));
    assert_eq!(parse_ok("ssh://box:", false), ssh(None, "box", 22));
    // An empty user is no user; an empty host is 127.0.0.1 (docker-py: ssh:// →
    // ssh://127.0.0.1:22), but berth keeps the user.
    assert_eq!(parse_ok("ssh://@box", false), ssh(None, "box", 22));
    assert_eq!(
        parse_ok("ssh://me@", false),
        ssh(Some("me"), "127.0.0.1", 22)
    );
    assert_eq!(parse_ok("SSH://box", false), ssh(None, "box", 22));
    // The user may contain '@' (the last '@' separates the host).
    assert_eq!(
        parse_ok("ssh://a@b@box", false),
        ssh(Some("a@b"), "box", 22)
    );
    let h = parse_ok("ssh://me@box", false);
    assert_eq!(h.http_host(), "localhost");
    assert_eq!(h.to_string(), "ssh://me@box:22");
    assert!(!h.is_tls());
}

#[test]
fn http_host_values() {
    assert_eq!(DaemonHost::default().http_host(), "localhost");
    assert_eq!(parse_ok("tcp://h:2375", false).http_host(), "h:2375");
    assert_eq!(parse_ok(":2375", false).http_host(), "127.0.0.1:2375");
    assert_eq!(
        parse_ok("https://docker.example:443/p", false).http_host(),
        "docker.example:443"
    );
    assert_eq!(parse_ok("ssh://u@h:1", false).http_host(), "localhost");
}

#[test]
fn parse_of_display_round_trips() {
    for url in [
        "unix:///var/run/docker.sock",
        "unix://var/run/docker.sock",
        "tcp://h:2375/p",
        "https://[fd12::1]:2376/a/b",
        "ssh://u@[::1]:2222",
        "ssh://h",
        ":1",
    ] {
        let h = parse_ok(url, false);
        assert_eq!(parse_ok(&h.to_string(), false), h, "{url}");
    }
}

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn tls_env_semantics() {
    let home = Some("/home/u");
    // Off: nothing set, or only an empty verify / empty cert path.
    assert_eq!(tls_from_env(env(&[]), home), None);
    assert_eq!(tls_from_env(env(&[("DOCKER_TLS_VERIFY", "")]), home), None);
    assert_eq!(tls_from_env(env(&[("DOCKER_CERT_PATH", "")]), home), None);
    assert_eq!(
        tls_from_env(
            env(&[("DOCKER_TLS_VERIFY", ""), ("DOCKER_CERT_PATH", "")]),
            home
        ),
        None
    );
    // Any non-empty DOCKER_TLS_VERIFY, even "0" or "false", verifies.
    for v in ["1", "0", "false", "no", "yes"] {
        let t = tls_from_env(env(&[("DOCKER_TLS_VERIFY", v)]), home).expect("tls on");
        assert_eq!(t, TlsFiles::in_dir("/home/u/.docker", true), "{v}");
        assert_eq!(t.ca, "/home/u/.docker/ca.pem");
        assert_eq!(t.cert, "/home/u/.docker/cert.pem");
        assert_eq!(t.key, "/home/u/.docker/key.pem");
    }
    // A cert path alone: TLS with client certs but no verification.
    let t = tls_from_env(env(&[("DOCKER_CERT_PATH", "/certs")]), home).expect("tls on");
    assert_eq!(
        t,
        TlsFiles {
            ca: "/certs/ca.pem".into(),
            cert: "/certs/cert.pem".into(),
            key: "/certs/key.pem".into(),
            verify: false,
        }
    );
    let t = tls_from_env(
        env(&[("DOCKER_CERT_PATH", "/certs/"), ("DOCKER_TLS_VERIFY", "1")]),
        home,
    )
    .expect("tls on");
    assert_eq!(t, TlsFiles::in_dir("/certs", true));
    assert_eq!(t.ca, "/certs/ca.pem");
    // Empty cert path is unset: falls back to ~/.docker.
    let t = tls_from_env(
        env(&[("DOCKER_CERT_PATH", ""), ("DOCKER_TLS_VERIFY", "1")]),
        home,
    )
    .expect("tls on");
    assert_eq!(t.ca, "/home/u/.docker/ca.pem");
    // Relative paths and an unknown home.
    let t = tls_from_env(env(&[("DOCKER_CERT_PATH", "certs")]), None).expect("tls on");
    assert_eq!(t.key, "certs/key.pem");
    let t = tls_from_env(env(&[("DOCKER_TLS_VERIFY", "1")]), None).expect("tls on");
    assert_eq!(t.cert, "~/.docker/cert.pem");
    assert_eq!(TlsFiles::in_dir("/", false).ca, "/ca.pem");
}

#[test]
fn context_name_resolution() {
    let cfg = br#"{"auths":{},"currentContext":"remote"}"#;
    let name = |env: Option<&str>, cfg: Option<&[u8]>| context_name(env, cfg).expect("valid");
    assert_eq!(name(None, None), None);
    assert_eq!(name(None, Some(cfg)).as_deref(), Some("remote"));
    assert_eq!(name(Some("ci"), Some(cfg)).as_deref(), Some("ci"));
    assert_eq!(name(Some("ci"), None).as_deref(), Some("ci"));
    // An empty DOCKER_CONTEXT is unset.
    assert_eq!(name(Some(""), Some(cfg)).as_deref(), Some("remote"));
    // "default" is the default socket, wherever it comes from.
    assert_eq!(name(Some("default"), Some(cfg)), None);
    assert_eq!(name(None, Some(br#"{"currentContext":"default"}"#)), None);
    assert_eq!(name(None, Some(br#"{"currentContext":""}"#)), None);
    assert_eq!(name(None, Some(br#"{"currentContext":null}"#)), None);
    assert_eq!(name(None, Some(br#"{"auths":{"x":{}}}"#)), None);
    assert_eq!(name(None, Some(b"")), None);
    assert_eq!(name(None, Some(b" \n")), None);
    // A broken config.json is reported, not silently ignored.
    for bad in [&b"{"[..], b"[]", b"\"x\"", br#"{"currentContext":3}"#] {
        let e = context_name(None, Some(bad)).expect_err("bad config");
        assert!(
            matches!(e, Error::InvalidArgument(ref m) if m.contains("config.json")),
            "{e}"
        );
    }
    // DOCKER_CONTEXT wins before config.json is even read.
    assert_eq!(name(Some("ci"), Some(b"{")).as_deref(), Some("ci"));
}

#[test]
fn context_dirs_use_sha256_of_the_name() {
    // sha256("default") and sha256("remote"), as the Docker CLI stores them.
    assert_eq!(
        context_meta_dir("default"),
        "contexts/meta/37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f"
    );
    let id = hex::encode(Sha256::digest(b"remote"));
    assert_eq!(context_meta_dir("remote"), format!("contexts/meta/{id}"));
    assert_eq!(
        context_tls_dir("remote"),
        format!("contexts/tls/{id}/docker")
    );
    assert_eq!(
        TlsFiles::in_dir(&context_tls_dir("remote"), true).cert,
        format!("contexts/tls/{id}/docker/cert.pem")
    );
    // Non-ASCII names hash their UTF-8 bytes.
    assert_eq!(
        context_meta_dir("é"),
        format!(
            "contexts/meta/{}",
            hex::encode(Sha256::digest("é".as_bytes()))
        )
    );
}

#[test]
fn context_meta_parsing() {
    // Written by `docker context create remote --docker host=tcp://10.0.0.5:2376,skip-tls-verify=true`.
    let meta = br#"{"Name":"remote","Metadata":{"Description":"ci box"},"Endpoints":{"docker":{"Host":"tcp://10.0.0.5:2376","SkipTLSVerify":true}}}"#;
    let ep = parse_context_meta(meta).expect("valid meta");
    assert_eq!(
        ep,
        ContextEndpoint {
            name: "remote".into(),
            host: "tcp://10.0.0.5:2376".into(),
            skip_tls_verify: true,
        }
    );
    // Other endpoints (kubernetes) of any shape are ignored; SkipTLSVerify defaults to false.
    let meta = br#"{"Name":"k","Metadata":{},"Endpoints":{"kubernetes":{"Namespace":3},"docker":{"Host":"unix:///run/d.sock"}}}"#;
    let ep = parse_context_meta(meta).expect("valid meta");
    assert_eq!(ep.host, "unix:///run/d.sock");
    assert!(!ep.skip_tls_verify);
    // A missing Name is empty; a missing Host is the default socket.
    let ep = parse_context_meta(br#"{"Endpoints":{"docker":{}}}"#).expect("valid meta");
    assert_eq!(ep.name, "");
    assert_eq!(ep.host, "");
    assert_eq!(
        DaemonHost::parse(&ep.host, false).expect("default"),
        DaemonHost::default()
    );

    let named: &[(&[u8], &str)] = &[
        (br#"{"Name":"mine","Endpoints":{}}"#, "no docker endpoint"),
        (br#"{"Name":"mine"}"#, "no docker endpoint"),
        (
            br#"{"Name":"mine","Endpoints":{"docker":{"Host":5}}}"#,
            "docker endpoint in its meta.json is malformed",
        ),
        (
            br#"{"Name":"mine","Endpoints":{"docker":"x"}}"#,
            "docker endpoint in its meta.json is malformed",
        ),
        (
            br#"{"Name":"mine","Endpoints":[]}"#,
            "not valid context metadata",
        ),
    ];
    for (bad, needle) in named {
        let m = meta_err(bad);
        assert!(
            m.contains("Docker context \"mine\""),
            "names the context: {m}"
        );
        assert!(m.contains(needle), "{m} should contain {needle}");
    }
    let unnamed: &[(&[u8], &str)] = &[
        (b"{", "meta.json is not valid JSON"),
        (b"[]", "not a JSON object"),
        (
            br#"{"Name":3,"Endpoints":{"docker":{}}}"#,
            "not valid context metadata",
        ),
    ];
    for (bad, needle) in unnamed {
        let m = meta_err(bad);
        assert!(m.contains("a Docker context cannot be used"), "{m}");
        assert!(m.contains(needle), "{m} should contain {needle}");
    }
}

fn meta_err(bytes: &[u8]) -> String {
    match parse_context_meta(bytes) {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}
