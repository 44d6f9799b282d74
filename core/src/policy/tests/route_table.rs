//! Every Engine endpoint routes to its operation, and every route is reachable.

use super::super::path::parse_target;
use super::super::routes::{self, ROUTES};

/// (method, path, operation): every endpoint of API-INVENTORY.md plus the few the
/// daemon has besides.
const TABLE: &[(&str, &str, &str)] = &[
    ("GET", "/_ping", "system.ping"),
    ("HEAD", "/_ping", "system.ping"),
    ("GET", "/version", "system.version"),
    ("GET", "/info", "system.info"),
    ("GET", "/system/df", "system.df"),
    ("GET", "/events", "system.events"),
    ("POST", "/auth", "auth.login"),
    ("POST", "/session", "system.session"),
    ("GET", "/containers/json", "containers.list"),
    ("POST", "/containers/create", "containers.create"),
    ("POST", "/containers/prune", "containers.prune"),
    ("GET", "/containers/c1/json", "containers.inspect"),
    ("GET", "/containers/c1/top", "containers.top"),
    ("GET", "/containers/c1/logs", "containers.logs"),
    ("GET", "/containers/c1/changes", "containers.changes"),
    ("GET", "/containers/c1/export", "containers.export"),
    ("GET", "/containers/c1/stats", "containers.stats"),
    ("POST", "/containers/c1/resize", "containers.resize"),
    ("POST", "/containers/c1/start", "containers.start"),
    ("POST", "/containers/c1/stop", "containers.stop"),
    ("POST", "/containers/c1/restart", "containers.restart"),
    ("POST", "/containers/c1/kill", "containers.kill"),
    ("POST", "/containers/c1/update", "containers.update"),
    ("POST", "/containers/c1/rename", "containers.rename"),
    ("POST", "/containers/c1/pause", "containers.pause"),
    ("POST", "/containers/c1/unpause", "containers.unpause"),
    ("POST", "/containers/c1/attach", "containers.attach"),
    ("GET", "/containers/c1/attach/ws", "containers.attach.ws"),
    ("POST", "/containers/c1/wait", "containers.wait"),
    ("DELETE", "/containers/c1", "containers.remove"),
    ("GET", "/containers/c1/archive", "containers.archive.get"),
    ("HEAD", "/containers/c1/archive", "containers.archive.stat"),
    ("PUT", "/containers/c1/archive", "containers.archive.put"),
    ("POST", "/commit", "containers.commit"),
    ("POST", "/containers/c1/exec", "exec.create"),
    ("POST", "/exec/e1/start", "exec.start"),
    ("POST", "/exec/e1/resize", "exec.resize"),
    ("GET", "/exec/e1/json", "exec.inspect"),
    ("GET", "/images/json", "images.list"),
    ("POST", "/build", "images.build"),
    ("POST", "/build/prune", "images.build.prune"),
    ("POST", "/build/cancel", "images.build.cancel"),
    ("POST", "/images/create", "images.pull"),
    ("POST", "/images/load", "images.load"),
    ("GET", "/images/get", "images.get"),
    ("POST", "/images/prune", "images.prune"),
    ("GET", "/images/search", "images.search"),
    ("GET", "/images/busybox/json", "images.inspect"),
    (
        "GET",
        "/images/127.0.0.1:5000/a/busybox:1/json",
        "images.inspect",
    ),
    ("GET", "/images/json/json", "images.inspect"),
    ("GET", "/images/busybox/history", "images.history"),
    ("GET", "/images/busybox/get", "images.get"),
    ("GET", "/images/busybox/attestations", "images.attestations"),
    ("POST", "/images/127.0.0.1:5000/busybox/push", "images.push"),
    ("POST", "/images/busybox/tag", "images.tag"),
    ("DELETE", "/images/busybox", "images.remove"),
    (
        "DELETE",
        "/images/127.0.0.1:5000/busybox:1",
        "images.remove",
    ),
    (
        "GET",
        "/distribution/127.0.0.1:5000/busybox:berth-test/json",
        "distribution.inspect",
    ),
    ("GET", "/networks", "networks.list"),
    ("POST", "/networks/create", "networks.create"),
    ("POST", "/networks/prune", "networks.prune"),
    ("GET", "/networks/n1", "networks.inspect"),
    ("POST", "/networks/n1/connect", "networks.connect"),
    ("POST", "/networks/n1/disconnect", "networks.disconnect"),
    ("DELETE", "/networks/n1", "networks.remove"),
    ("GET", "/volumes", "volumes.list"),
    ("POST", "/volumes/create", "volumes.create"),
    ("POST", "/volumes/prune", "volumes.prune"),
    ("GET", "/volumes/v1", "volumes.inspect"),
    ("PUT", "/volumes/v1", "volumes.update"),
    ("DELETE", "/volumes/v1", "volumes.remove"),
    ("GET", "/swarm", "swarm.inspect"),
    ("POST", "/swarm/init", "swarm.init"),
    ("POST", "/swarm/join", "swarm.join"),
    ("POST", "/swarm/leave", "swarm.leave"),
    ("POST", "/swarm/update", "swarm.update"),
    ("GET", "/swarm/unlockkey", "swarm.unlockkey"),
    ("POST", "/swarm/unlock", "swarm.unlock"),
    ("GET", "/nodes", "nodes.list"),
    ("GET", "/nodes/n1", "nodes.inspect"),
    ("DELETE", "/nodes/n1", "nodes.remove"),
    ("POST", "/nodes/n1/update", "nodes.update"),
    ("GET", "/services", "services.list"),
    ("POST", "/services/create", "services.create"),
    ("GET", "/services/s1", "services.inspect"),
    ("DELETE", "/services/s1", "services.remove"),
    ("POST", "/services/s1/update", "services.update"),
    ("GET", "/services/s1/logs", "services.logs"),
    ("GET", "/tasks", "tasks.list"),
    ("GET", "/tasks/t1", "tasks.inspect"),
    ("GET", "/tasks/t1/logs", "tasks.logs"),
    ("GET", "/secrets", "secrets.list"),
    ("POST", "/secrets/create", "secrets.create"),
    ("GET", "/secrets/s1", "secrets.inspect"),
    ("DELETE", "/secrets/s1", "secrets.remove"),
    ("POST", "/secrets/s1/update", "secrets.update"),
    ("GET", "/configs", "configs.list"),
    ("POST", "/configs/create", "configs.create"),
    ("GET", "/configs/c1", "configs.inspect"),
    ("DELETE", "/configs/c1", "configs.remove"),
    ("POST", "/configs/c1/update", "configs.update"),
    ("GET", "/plugins", "plugins.list"),
    ("GET", "/plugins/privileges", "plugins.privileges"),
    ("POST", "/plugins/pull", "plugins.pull"),
    ("POST", "/plugins/create", "plugins.create"),
    ("GET", "/plugins/vieux/sshfs:latest/json", "plugins.inspect"),
    ("POST", "/plugins/p1/enable", "plugins.enable"),
    ("POST", "/plugins/p1/disable", "plugins.disable"),
    ("POST", "/plugins/p1/push", "plugins.push"),
    ("POST", "/plugins/p1/upgrade", "plugins.upgrade"),
    ("POST", "/plugins/p1/set", "plugins.set"),
    ("DELETE", "/plugins/vieux/sshfs:latest", "plugins.remove"),
];

/// Requests that are no endpoint (or a removed one).
const NOT_ROUTES: &[(&str, &str)] = &[
    ("POST", "/containers/c1/copy"),
    ("POST", "/images/busybox/insert"),
    ("GET", "/containers/a/b/json"),
    ("GET", "/containers"),
    ("GET", "/Containers/json"),
    ("POST", "/containers/json"),
    ("PUT", "/containers/c1/start"),
    ("GET", "/images"),
    ("POST", "/grpc"),
    ("GET", "/plugins/json"),
    ("DELETE", "/images"),
];

fn route_of(method: &str, path: &str) -> Option<&'static str> {
    let t = parse_target(path).unwrap_or_else(|d| panic!("{path}: {d}"));
    routes::find(method, &t.segments).map(|m| m.route.op)
}

#[test]
fn every_endpoint_routes_to_its_operation() {
    for (m, path, op) in TABLE {
        assert_eq!(route_of(m, path), Some(*op), "{m} {path}");
        // With a version prefix too.
        assert_eq!(
            route_of(m, &format!("/v1.41{path}")),
            Some(*op),
            "{m} /v1.41{path}"
        );
    }
    for (m, path) in NOT_ROUTES {
        assert_eq!(route_of(m, path), None, "{m} {path} should not route");
    }
}

#[test]
fn every_route_is_reachable() {
    for r in ROUTES {
        let reached = TABLE.iter().any(|(m, path, _)| {
            parse_target(path)
                .ok()
                .and_then(|t| routes::find(m, &t.segments))
                .is_some_and(|found| std::ptr::eq(found.route, r))
        });
        assert!(
            reached,
            "route {} {:?} ({}) is reached by no table entry",
            r.method, r.pattern, r.op
        );
    }
    // And the table names every operation (images.import comes from a query).
    for op in routes::operations() {
        assert!(
            op == "images.import" || TABLE.iter().any(|(_, _, o)| *o == op),
            "operation {op} missing from the table"
        );
    }
}

#[test]
fn object_of_multi_segment_names() {
    let t = parse_target("/images/127.0.0.1:5000/a/busybox:1/json").expect("path");
    let m = routes::find("GET", &t.segments).expect("route");
    let (a, b) = m.object.expect("object");
    assert_eq!(t.segments[a..b].join("/"), "127.0.0.1:5000/a/busybox:1");
}

#[test]
fn unknown_endpoints_are_denied() {
    let mut p = super::policy(super::STD);
    for (m, path) in NOT_ROUTES {
        let v = super::check(&mut p, m, path, Some(b""));
        assert_eq!(super::rule(&v), "unknown-endpoint", "{m} {path}");
    }
    for m in ["PATCH", "get", "OPTIONS", "TRACE", "CONNECT", ""] {
        let v = super::check(&mut p, m, "/_ping", Some(b""));
        assert_eq!(super::rule(&v), "method", "{m}");
    }
}
