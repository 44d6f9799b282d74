use serde_json::json;

use super::invalid;
use crate::options::{
    ContainerPort, HostBinding, HostPort, PortBindings, PortSpec, Protocol, exposed_ports,
    port_bindings,
};

fn spec(s: &str) -> Vec<(String, HostBinding)> {
    s.parse::<PortSpec>()
        .expect(s)
        .bindings()
        .into_iter()
        .map(|(p, b)| (p.to_string(), b))
        .collect()
}

fn one(s: &str) -> (String, HostBinding) {
    let mut all = spec(s);
    assert_eq!(all.len(), 1, "{s}");
    all.remove(0)
}

#[test]
fn container_ports_and_exposed_keys() {
    assert_eq!(ContainerPort::from(80).to_string(), "80/tcp");
    assert_eq!(
        ContainerPort::from((53, Protocol::Udp)).to_string(),
        "53/udp"
    );
    assert_eq!(ContainerPort::sctp(132).to_string(), "132/sctp");
    // A protocol already present is not suffixed again (docker-py's "53/udp/tcp" bug).
    assert_eq!(
        "53/udp"
            .parse::<ContainerPort>()
            .expect("53/udp")
            .to_string(),
        "53/udp"
    );
    assert_eq!(
        "80".parse::<ContainerPort>().expect("80").to_string(),
        "80/tcp"
    );
    assert_eq!(
        ContainerPort::parse_range("8000-8002/udp").expect("range"),
        [
            ContainerPort::udp(8000),
            ContainerPort::udp(8001),
            ContainerPort::udp(8002)
        ]
    );
    assert_eq!(
        exposed_ports([
            ContainerPort::udp(53),
            ContainerPort::tcp(80),
            ContainerPort::tcp(80)
        ]),
        ["53/udp", "80/tcp"]
    );
    assert!(invalid("53/icmp".parse::<ContainerPort>()).contains("\"icmp\""));
    assert!(invalid("53/UDP".parse::<ContainerPort>()).contains("expected \"tcp\""));
    assert!(invalid("0".parse::<ContainerPort>()).contains("port 0"));
    assert!(invalid("70000".parse::<ContainerPort>()).contains("out of range"));
    assert!(invalid("80-81".parse::<ContainerPort>()).contains("not a range"));
    assert!(invalid("http".parse::<ContainerPort>()).contains("not a number"));
}

#[test]
fn host_binding_wire_forms() {
    let wire = |b: HostBinding| serde_json::to_value(b.to_model()).expect("serializable");
    // docker-py: None → random, int, (ip, port), (ip,), (ip, None), "8000-8010".
    assert_eq!(
        wire(HostBinding::random()),
        json!({"HostIp": "", "HostPort": ""})
    );
    assert_eq!(
        wire(HostBinding::port(8080)),
        json!({"HostIp": "", "HostPort": "8080"})
    );
    assert_eq!(
        wire(HostBinding::from(1111)),
        json!({"HostIp": "", "HostPort": "1111"})
    );
    assert_eq!(
        wire(HostBinding::ip_port("127.0.0.1", 8080)),
        json!({"HostIp": "127.0.0.1", "HostPort": "8080"})
    );
    assert_eq!(
        wire(HostBinding::ip("127.0.0.1")),
        json!({"HostIp": "127.0.0.1", "HostPort": ""})
    );
    assert_eq!(
        wire(HostBinding::ip("::1")),
        json!({"HostIp": "::1", "HostPort": ""})
    );
    assert_eq!(
        wire(HostBinding::range(8000, 8010).expect("range")),
        json!({"HostIp": "", "HostPort": "8000-8010"})
    );
    assert_eq!(
        wire(HostBinding::port(80).with_ip("10.0.0.1")),
        json!({"HostIp": "10.0.0.1", "HostPort": "80"})
    );
    assert!(HostBinding::range(9, 8).is_err());
}

#[test]
fn host_binding_strings() {
    let p = |s: &str| s.parse::<HostBinding>().expect(s);
    assert_eq!(p(""), HostBinding::random());
    assert_eq!(p("8080"), HostBinding::port(8080));
    assert_eq!(
        p("8000-8010"),
        HostBinding::range(8000, 8010).expect("range")
    );
    assert_eq!(p("127.0.0.1"), HostBinding::ip("127.0.0.1"));
    assert_eq!(p("127.0.0.1:8080"), HostBinding::ip_port("127.0.0.1", 8080));
    assert_eq!(p("127.0.0.1:"), HostBinding::ip("127.0.0.1"));
    assert_eq!(p("::1"), HostBinding::ip("::1"));
    assert_eq!(p("[::1]"), HostBinding::ip("::1"));
    assert_eq!(p("[::1]:8080"), HostBinding::ip_port("::1", 8080));
    assert_eq!(p("[fe80::1]:"), HostBinding::ip("fe80::1"));
    assert!(invalid("localhost:80".parse::<HostBinding>()).contains("not an IPv4 or IPv6"));
    assert!(invalid("[::1".parse::<HostBinding>()).contains("unclosed"));
    assert!(invalid("[::1]8080".parse::<HostBinding>()).contains("after ']'"));
    assert!("1.2.3.4:x".parse::<HostBinding>().is_err());
}

#[test]
fn split_port_single() {
    assert_eq!(one("80"), ("80/tcp".into(), HostBinding::random()));
    assert_eq!(one("8080:80"), ("80/tcp".into(), HostBinding::port(8080)));
    assert_eq!(
        one("8080:80/udp"),
        ("80/udp".into(), HostBinding::port(8080))
    );
    assert_eq!(
        one("8080:80/sctp"),
        ("80/sctp".into(), HostBinding::port(8080))
    );
    assert_eq!(
        one("127.0.0.1:8080:80"),
        ("80/tcp".into(), HostBinding::ip_port("127.0.0.1", 8080))
    );
    assert_eq!(
        one("127.0.0.1::80"),
        ("80/tcp".into(), HostBinding::ip("127.0.0.1"))
    );
    assert_eq!(one(":80"), ("80/tcp".into(), HostBinding::random()));
    assert_eq!(one("0:80"), ("80/tcp".into(), HostBinding::port(0)));
}

#[test]
fn split_port_ipv6() {
    assert_eq!(
        one("[::1]:80:80"),
        ("80/tcp".into(), HostBinding::ip_port("::1", 80))
    );
    assert_eq!(
        one("[::1]::80/udp"),
        ("80/udp".into(), HostBinding::ip("::1"))
    );
    assert_eq!(
        one("::1:80:80"),
        ("80/tcp".into(), HostBinding::ip_port("::1", 80))
    );
    assert_eq!(
        one("[2001:db8::1]:8080:80"),
        ("80/tcp".into(), HostBinding::ip_port("2001:db8::1", 8080))
    );
    assert!(invalid("[::1]:80".parse::<PortSpec>()).contains("bracketed"));
    assert!(invalid("[::1:80:80".parse::<PortSpec>()).contains("unclosed"));
}

#[test]
fn split_port_ranges() {
    // Equal ranges bind port by port.
    assert_eq!(
        spec("1000-1002:2000-2002"),
        [
            ("2000/tcp".into(), HostBinding::port(1000)),
            ("2001/tcp".into(), HostBinding::port(1001)),
            ("2002/tcp".into(), HostBinding::port(1002)),
        ]
    );
    // A host range for one container port keeps the range (any free port of it).
    assert_eq!(
        one("8000-8010:80"),
        ("80/tcp".into(), HostBinding::range(8000, 8010).expect("r"))
    );
    assert_eq!(
        one("127.0.0.1:8000-8010:80/udp"),
        (
            "80/udp".into(),
            HostBinding::range(8000, 8010)
                .expect("r")
                .with_ip("127.0.0.1")
        )
    );
    // A container range without host ports publishes each on a random port.
    assert_eq!(
        spec("9000-9001"),
        [
            ("9000/tcp".into(), HostBinding::random()),
            ("9001/tcp".into(), HostBinding::random())
        ]
    );
    assert_eq!(
        spec("10.0.0.1::9000-9001/udp"),
        [
            ("9000/udp".into(), HostBinding::ip("10.0.0.1")),
            ("9001/udp".into(), HostBinding::ip("10.0.0.1")),
        ]
    );
    let s: PortSpec = "1000-1001:2000-2001".parse().expect("range");
    assert_eq!(s.host().host_port(), HostPort::Range(1000, 1001));
    assert_eq!(
        s.container_ports(),
        [ContainerPort::tcp(2000), ContainerPort::tcp(2001)]
    );
}

#[test]
fn split_port_errors() {
    let msg = invalid("80:abc".parse::<PortSpec>());
    assert!(
        msg.starts_with("port spec \"80:abc\": container port \"abc\" is not a number"),
        "{msg}"
    );
    let msg = invalid("1000-1002:2000-2001".parse::<PortSpec>());
    assert!(
        msg.contains("don't match in length: 3 host ports for 2 container ports"),
        "{msg}"
    );
    assert!(invalid("8000:80-82".parse::<PortSpec>()).contains("1 host port for 3"));
    assert!(invalid("80:".parse::<PortSpec>()).contains("container port is missing"));
    assert!(invalid("".parse::<PortSpec>()).contains("container port is missing"));
    assert!(invalid("80/icmp".parse::<PortSpec>()).contains("\"icmp\""));
    assert!(invalid("82-80".parse::<PortSpec>()).contains("ends before it starts"));
    assert!(invalid("host:80:80".parse::<PortSpec>()).contains("host IP \"host\""));
    assert!(invalid("1.2.3.4:5:6:7".parse::<PortSpec>()).contains("not an IPv4"));
    assert!(invalid("99999:80".parse::<PortSpec>()).contains("out of range"));
    assert!(invalid("0".parse::<PortSpec>()).contains("port 0"));
    assert!(invalid("a-b".parse::<PortSpec>()).contains("not a number"));
}

#[test]
fn port_binding_map() {
    let map = port_bindings(["8080:80", "127.0.0.1:8081:80", "53:53/udp", "[::1]::443"])
        .expect("valid specs");
    let json = serde_json::to_value(&map).expect("serializable");
    assert_eq!(
        json,
        json!({
            "80/tcp": [
                {"HostIp": "", "HostPort": "8080"},
                {"HostIp": "127.0.0.1", "HostPort": "8081"}
            ],
            "53/udp": [{"HostIp": "", "HostPort": "53"}],
            "443/tcp": [{"HostIp": "::1", "HostPort": ""}]
        })
    );
    assert!(port_bindings(["8080:80", "x"]).is_err());

    let mut typed = PortBindings::new();
    assert!(typed.is_empty());
    typed.add(1111, HostBinding::random());
    typed.add(ContainerPort::udp(2222), HostBinding::ip("0.0.0.0"));
    typed.add(1111, HostBinding::port(1112));
    assert_eq!(
        typed.ports().collect::<Vec<_>>(),
        [ContainerPort::tcp(1111), ContainerPort::udp(2222)]
    );
    assert_eq!(
        typed.get(ContainerPort::tcp(1111)),
        Some(&[HostBinding::random(), HostBinding::port(1112)][..])
    );
    assert_eq!(
        serde_json::to_value(typed.to_model()).expect("serializable"),
        json!({
            "1111/tcp": [{"HostIp": "", "HostPort": ""}, {"HostIp": "", "HostPort": "1112"}],
            "2222/udp": [{"HostIp": "0.0.0.0", "HostPort": ""}]
        })
    );
}
