//! The route table: every Engine API endpoint berth knows, as a stable operation name.
//!
//! Routes are tried in order and the first match wins, as in the daemon's router
//! (`/images/json` is the image list, `/images/json/json` inspects an image called
//! `json`). Image, plugin and distribution names may span several segments
//! (`/images/127.0.0.1:5000/busybox/json`); every other id is exactly one segment.

use super::ObjectKind;

/// A piece of a route pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg {
    /// This literal segment.
    Lit(&'static str),
    /// One segment: an object id or name.
    Id,
    /// One or more segments joined by `/`: an image or plugin name.
    Name,
}

/// What the endpoint takes as a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// Nothing: the body must be empty (and not streamed).
    Empty,
    /// A JSON document (required).
    Json,
    /// A JSON document or nothing.
    OptJson,
    /// Raw bytes (tar, build context, image archive): may be streamed.
    Raw,
}

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Route {
    pub method: &'static str,
    pub pattern: &'static [Seg],
    pub op: &'static str,
    pub kind: ObjectKind,
    pub body: Body,
}

use Body::{Empty, Json, OptJson, Raw};
use ObjectKind as K;
use Seg::{Id, Lit, Name};

macro_rules! r {
    ($m:literal, [$($s:expr),*], $op:literal, $k:expr, $b:expr) => {
        Route { method: $m, pattern: &[$($s),*], op: $op, kind: $k, body: $b }
    };
}

/// Every endpoint, in match order.
#[rustfmt::skip]
pub(crate) static ROUTES: &[Route] = &[
    // system
    r!("GET", [Lit("_ping")], "system.ping", K::None, Empty),
    r!("HEAD", [Lit("_ping")], "system.ping", K::None, Empty),
    r!("GET", [Lit("version")], "system.version", K::None, Empty),
    r!("GET", [Lit("info")], "system.info", K::None, Empty),
    r!("GET", [Lit("system"), Lit("df")], "system.df", K::None, Empty),
    r!("GET", [Lit("events")], "system.events", K::None, Empty),
    r!("POST", [Lit("auth")], "auth.login", K::None, Json),
    r!("POST", [Lit("session")], "system.session", K::None, Empty),
    // containers
    r!("GET", [Lit("containers"), Lit("json")], "containers.list", K::None, Empty),
    r!("POST", [Lit("containers"), Lit("create")], "containers.create", K::None, Json),
    r!("POST", [Lit("containers"), Lit("prune")], "containers.prune", K::None, Empty),
    r!("GET", [Lit("containers"), Id, Lit("json")], "containers.inspect", K::Container, Empty),
    r!("GET", [Lit("containers"), Id, Lit("top")], "containers.top", K::Container, Empty),
    r!("GET", [Lit("containers"), Id, Lit("logs")], "containers.logs", K::Container, Empty),
    r!("GET", [Lit("containers"), Id, Lit("changes")], "containers.changes", K::Container, Empty),
    r!("GET", [Lit("containers"), Id, Lit("export")], "containers.export", K::Container, Empty),
    r!("GET", [Lit("containers"), Id, Lit("stats")], "containers.stats", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("resize")], "containers.resize", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("start")], "containers.start", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("stop")], "containers.stop", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("restart")], "containers.restart", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("kill")], "containers.kill", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("update")], "containers.update", K::Container, Json),
    r!("POST", [Lit("containers"), Id, Lit("rename")], "containers.rename", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("pause")], "containers.pause", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("unpause")], "containers.unpause", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("attach")], "containers.attach", K::Container, Empty),
    r!("GET", [Lit("containers"), Id, Lit("attach"), Lit("ws")], "containers.attach.ws", K::Container, Empty),
    r!("POST", [Lit("containers"), Id, Lit("wait")], "containers.wait", K::Container, Empty),
    r!("DELETE", [Lit("containers"), Id], "containers.remove", K::Container, Empty),
    r!("GET", [Lit("containers"), Id, Lit("archive")], "containers.archive.get", K::Container, Empty),
    r!("HEAD", [Lit("containers"), Id, Lit("archive")], "containers.archive.stat", K::Container, Empty),
    r!("PUT", [Lit("containers"), Id, Lit("archive")], "containers.archive.put", K::Container, Raw),
    r!("POST", [Lit("commit")], "containers.commit", K::None, OptJson),
    // exec
    r!("POST", [Lit("containers"), Id, Lit("exec")], "exec.create", K::Container, Json),
    r!("POST", [Lit("exec"), Id, Lit("start")], "exec.start", K::Exec, OptJson),
    r!("POST", [Lit("exec"), Id, Lit("resize")], "exec.resize", K::Exec, Empty),
    r!("GET", [Lit("exec"), Id, Lit("json")], "exec.inspect", K::Exec, Empty),
    // images
    r!("GET", [Lit("images"), Lit("json")], "images.list", K::None, Empty),
    r!("POST", [Lit("build")], "images.build", K::None, Raw),
    r!("POST", [Lit("build"), Lit("prune")], "images.build.prune", K::None, Empty),
    r!("POST", [Lit("build"), Lit("cancel")], "images.build.cancel", K::None, Empty),
    r!("POST", [Lit("images"), Lit("create")], "images.pull", K::None, Raw),
    r!("POST", [Lit("images"), Lit("load")], "images.load", K::None, Raw),
    r!("GET", [Lit("images"), Lit("get")], "images.get", K::None, Empty),
    r!("POST", [Lit("images"), Lit("prune")], "images.prune", K::None, Empty),
    r!("GET", [Lit("images"), Lit("search")], "images.search", K::None, Empty),
    r!("GET", [Lit("images"), Name, Lit("json")], "images.inspect", K::Image, Empty),
    r!("GET", [Lit("images"), Name, Lit("history")], "images.history", K::Image, Empty),
    r!("GET", [Lit("images"), Name, Lit("get")], "images.get", K::Image, Empty),
    r!("GET", [Lit("images"), Name, Lit("attestations")], "images.attestations", K::Image, Empty),
    r!("POST", [Lit("images"), Name, Lit("push")], "images.push", K::Image, Empty),
    r!("POST", [Lit("images"), Name, Lit("tag")], "images.tag", K::Image, Empty),
    r!("DELETE", [Lit("images"), Name], "images.remove", K::Image, Empty),
    r!("GET", [Lit("distribution"), Name, Lit("json")], "distribution.inspect", K::Image, Empty),
    // networks
    r!("GET", [Lit("networks")], "networks.list", K::None, Empty),
    r!("POST", [Lit("networks"), Lit("create")], "networks.create", K::None, Json),
    r!("POST", [Lit("networks"), Lit("prune")], "networks.prune", K::None, Empty),
    r!("GET", [Lit("networks"), Id], "networks.inspect", K::Network, Empty),
    r!("POST", [Lit("networks"), Id, Lit("connect")], "networks.connect", K::Network, Json),
    r!("POST", [Lit("networks"), Id, Lit("disconnect")], "networks.disconnect", K::Network, Json),
    r!("DELETE", [Lit("networks"), Id], "networks.remove", K::Network, Empty),
    // volumes
    r!("GET", [Lit("volumes")], "volumes.list", K::None, Empty),
    r!("POST", [Lit("volumes"), Lit("create")], "volumes.create", K::None, Json),
    r!("POST", [Lit("volumes"), Lit("prune")], "volumes.prune", K::None, Empty),
    r!("GET", [Lit("volumes"), Id], "volumes.inspect", K::Volume, Empty),
    r!("PUT", [Lit("volumes"), Id], "volumes.update", K::Volume, Json),
    r!("DELETE", [Lit("volumes"), Id], "volumes.remove", K::Volume, Empty),
    // swarm
    r!("GET", [Lit("swarm")], "swarm.inspect", K::None, Empty),
    r!("POST", [Lit("swarm"), Lit("init")], "swarm.init", K::None, Json),
    r!("POST", [Lit("swarm"), Lit("join")], "swarm.join", K::None, Json),
    r!("POST", [Lit("swarm"), Lit("leave")], "swarm.leave", K::None, Empty),
    r!("POST", [Lit("swarm"), Lit("update")], "swarm.update", K::None, Json),
    r!("GET", [Lit("swarm"), Lit("unlockkey")], "swarm.unlockkey", K::None, Empty),
    r!("POST", [Lit("swarm"), Lit("unlock")], "swarm.unlock", K::None, Json),
    // nodes
    r!("GET", [Lit("nodes")], "nodes.list", K::None, Empty),
    r!("GET", [Lit("nodes"), Id], "nodes.inspect", K::Node, Empty),
    r!("DELETE", [Lit("nodes"), Id], "nodes.remove", K::Node, Empty),
    r!("POST", [Lit("nodes"), Id, Lit("update")], "nodes.update", K::Node, Json),
    // services
    r!("GET", [Lit("services")], "services.list", K::None, Empty),
    r!("POST", [Lit("services"), Lit("create")], "services.create", K::None, Json),
    r!("GET", [Lit("services"), Id], "services.inspect", K::Service, Empty),
    r!("DELETE", [Lit("services"), Id], "services.remove", K::Service, Empty),
    r!("POST", [Lit("services"), Id, Lit("update")], "services.update", K::Service, Json),
    r!("GET", [Lit("services"), Id, Lit("logs")], "services.logs", K::Service, Empty),
    // tasks
    r!("GET", [Lit("tasks")], "tasks.list", K::None, Empty),
    r!("GET", [Lit("tasks"), Id], "tasks.inspect", K::Task, Empty),
    r!("GET", [Lit("tasks"), Id, Lit("logs")], "tasks.logs", K::Task, Empty),
    // secrets
    r!("GET", [Lit("secrets")], "secrets.list", K::None, Empty),
    r!("POST", [Lit("secrets"), Lit("create")], "secrets.create", K::None, Json),
    r!("GET", [Lit("secrets"), Id], "secrets.inspect", K::Secret, Empty),
    r!("DELETE", [Lit("secrets"), Id], "secrets.remove", K::Secret, Empty),
    r!("POST", [Lit("secrets"), Id, Lit("update")], "secrets.update", K::Secret, Json),
    // configs
    r!("GET", [Lit("configs")], "configs.list", K::None, Empty),
    r!("POST", [Lit("configs"), Lit("create")], "configs.create", K::None, Json),
    r!("GET", [Lit("configs"), Id], "configs.inspect", K::Config, Empty),
    r!("DELETE", [Lit("configs"), Id], "configs.remove", K::Config, Empty),
    r!("POST", [Lit("configs"), Id, Lit("update")], "configs.update", K::Config, Json),
    // plugins
    r!("GET", [Lit("plugins")], "plugins.list", K::None, Empty),
    r!("GET", [Lit("plugins"), Lit("privileges")], "plugins.privileges", K::None, Empty),
    r!("POST", [Lit("plugins"), Lit("pull")], "plugins.pull", K::None, Json),
    r!("POST", [Lit("plugins"), Lit("create")], "plugins.create", K::None, Raw),
    r!("GET", [Lit("plugins"), Name, Lit("json")], "plugins.inspect", K::Plugin, Empty),
    r!("POST", [Lit("plugins"), Name, Lit("enable")], "plugins.enable", K::Plugin, Empty),
    r!("POST", [Lit("plugins"), Name, Lit("disable")], "plugins.disable", K::Plugin, Empty),
    r!("POST", [Lit("plugins"), Name, Lit("push")], "plugins.push", K::Plugin, Empty),
    r!("POST", [Lit("plugins"), Name, Lit("upgrade")], "plugins.upgrade", K::Plugin, Json),
    r!("POST", [Lit("plugins"), Name, Lit("set")], "plugins.set", K::Plugin, Json),
    r!("DELETE", [Lit("plugins"), Name], "plugins.remove", K::Plugin, Empty),
];

/// Operations that are not a route of their own (chosen by the query of a route).
const EXTRA_OPS: &[&str] = &["images.import"];

/// A matched route: the route and the index/value of its object segment(s).
#[derive(Debug, Clone)]
pub(crate) struct Matched {
    pub route: &'static Route,
    /// Index of the first and one past the last segment of the object, if any.
    pub object: Option<(usize, usize)>,
}

/// Finds the route of `(method, segments)`.
pub(crate) fn find(method: &str, segments: &[String]) -> Option<Matched> {
    ROUTES
        .iter()
        .filter(|r| r.method == method)
        .find_map(|r| match_pattern(r.pattern, segments).map(|object| Matched { route: r, object }))
}

fn match_pattern(pattern: &[Seg], segs: &[String]) -> Option<Option<(usize, usize)>> {
    let name_at = pattern.iter().position(|s| *s == Seg::Name);
    match name_at {
        None => {
            if pattern.len() != segs.len() {
                return None;
            }
            let mut obj = None;
            for (i, (p, s)) in pattern.iter().zip(segs).enumerate() {
                match p {
                    Seg::Lit(l) if l == s => {}
                    Seg::Lit(_) => return None,
                    Seg::Id => obj = Some((i, i + 1)),
                    Seg::Name => return None,
                }
            }
            Some(obj)
        }
        Some(n) => {
            let tail = pattern.len() - n - 1;
            if segs.len() < pattern.len() {
                return None;
            }
            let lit = |p: Seg, s: &str| matches!(p, Seg::Lit(l) if l == s);
            if !(0..n).all(|i| lit(pattern[i], &segs[i])) {
                return None;
            }
            if !(0..tail).all(|j| lit(pattern[n + 1 + j], &segs[segs.len() - tail + j])) {
                return None;
            }
            Some(Some((n, segs.len() - tail)))
        }
    }
}

/// Whether `name` is an operation of the table.
pub(crate) fn is_operation(name: &str) -> bool {
    ROUTES.iter().any(|r| r.op == name) || EXTRA_OPS.contains(&name)
}

/// Every operation name, sorted and deduplicated.
pub fn operations() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = ROUTES
        .iter()
        .map(|r| r.op)
        .chain(EXTRA_OPS.iter().copied())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}
