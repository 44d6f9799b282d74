//! The policy with its live state: rate bucket, bytes streamed, live containers, known
//! exec ids; the check flow and lookups.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::grant::Grant;
use super::json;
use super::path::{self, Target, truncate};
use super::routes::{self, Body};
use super::rules::{self, Ctx, Pending};
use super::{Allowed, Denial, Lookup, ObjectKind, Operation, RequestView, Verdict};

/// A [`Grant`] plus the live state its quotas need. One per running plugin.
#[derive(Debug, Clone)]
pub struct Policy {
    grant: Grant,
    /// Rate bucket in thousandths of a request.
    tokens_milli: u64,
    last_ms: Option<u64>,
    bytes: u64,
    /// Containers the plugin created and that are not known to be gone: id → AutoRemove.
    live: BTreeMap<String, bool>,
    /// Exec ids the plugin created on its own (labelled) containers.
    execs: BTreeSet<String>,
    /// How host paths resolve on the daemon's machine, when the host can tell.
    host_paths: Option<HostPaths>,
}

/// Resolves a host path as the daemon's machine would reach it (symlinks followed),
/// given by a host that shares the daemon's filesystem; the core itself does no I/O.
/// With it, a bind source is judged by where it leads as well as by its name.
#[derive(Clone)]
pub(crate) struct HostPaths {
    resolve: Arc<ResolveFn>,
    /// The grant's bind directories, resolved (a granted directory may itself be
    /// reached through a symlink).
    binds: Vec<String>,
}

/// `resolve(normalized absolute path)`: the path it leads to, or why it cannot be told.
type ResolveFn = dyn Fn(&str) -> Result<String, String> + Send + Sync;

impl fmt::Debug for HostPaths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostPaths")
            .field("binds", &self.binds)
            .finish_non_exhaustive()
    }
}

impl HostPaths {
    /// The resolved form of `path` (`Err`: why it cannot be resolved).
    pub(crate) fn resolve(&self, path: &str) -> Result<String, String> {
        (self.resolve)(path)
    }

    /// The grant's bind directories, resolved.
    pub(crate) fn binds(&self) -> &[String] {
        &self.binds
    }
}

/// What a [`Lookup`] still has to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LookupState {
    current: Pending,
    rest: Vec<Pending>,
    target: Target,
    operation: Operation,
    headers: Vec<(String, String)>,
    reason: String,
}

impl LookupState {
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }
}

/// Headers the host sets itself or that frame the connection.
const DROPPED: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "expect",
    "http2-settings",
];

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn filter_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>, Denial> {
    let mut out = Vec::with_capacity(headers.len());
    let mut content_type = false;
    for (name, value) in headers {
        if !is_token(name) {
            return Err(Denial::new(
                "",
                "header-invalid",
                format!("header name {:?} is not an HTTP token", truncate(name)),
            ));
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(Denial::new(
                "",
                "header-invalid",
                format!("header {name} contains CR, LF or NUL"),
            ));
        }
        let lower = name.to_ascii_lowercase();
        if DROPPED.contains(&lower.as_str()) {
            continue;
        }
        if lower == "content-type" {
            if content_type {
                return Err(Denial::new(
                    "",
                    "ambiguous-header",
                    "Content-Type given twice".to_owned(),
                ));
            }
            content_type = true;
            let media = value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if media == "application/x-www-form-urlencoded" || media.starts_with("multipart/") {
                return Err(Denial::new(
                    "",
                    "form-body",
                    format!(
                        "Content-Type {media} would make the daemon read parameters from the body"
                    ),
                ));
            }
        }
        out.push((name.clone(), value.clone()));
    }
    Ok(out)
}

/// Where the labels and the canonical id of an inspected object are.
fn labels_of(kind: ObjectKind, v: &Value) -> Option<&serde_json::Map<String, Value>> {
    let labels = match kind {
        ObjectKind::Container => v.get("Config")?.get("Labels")?,
        ObjectKind::Network | ObjectKind::Volume => v.get("Labels")?,
        ObjectKind::Service | ObjectKind::Secret | ObjectKind::Config => {
            v.get("Spec")?.get("Labels")?
        }
        _ => return None,
    };
    labels.as_object()
}

fn id_of(kind: ObjectKind, v: &Value) -> Option<&str> {
    let key = match kind {
        ObjectKind::Volume => "Name",
        ObjectKind::Container | ObjectKind::Network => "Id",
        _ => "ID",
    };
    v.get(key)?.as_str()
}

fn kind_word(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Container => "container",
        ObjectKind::Exec => "exec instance",
        ObjectKind::Image => "image",
        ObjectKind::Network => "network",
        ObjectKind::Volume => "volume",
        ObjectKind::Node => "node",
        ObjectKind::Service => "service",
        ObjectKind::Task => "task",
        ObjectKind::Secret => "secret",
        ObjectKind::Config => "config",
        ObjectKind::Plugin => "plugin",
        ObjectKind::None => "object",
    }
}

/// The inspect path of an object (unversioned).
pub(crate) fn inspect_path(kind: ObjectKind, id: &str) -> String {
    let segs: Vec<String> = match kind {
        ObjectKind::Container => vec!["containers".into(), id.into(), "json".into()],
        ObjectKind::Exec => vec!["exec".into(), id.into(), "json".into()],
        ObjectKind::Network => vec!["networks".into(), id.into()],
        ObjectKind::Volume => vec!["volumes".into(), id.into()],
        ObjectKind::Service => vec!["services".into(), id.into()],
        ObjectKind::Task => vec!["tasks".into(), id.into()],
        ObjectKind::Secret => vec!["secrets".into(), id.into()],
        ObjectKind::Config => vec!["configs".into(), id.into()],
        ObjectKind::Node => vec!["nodes".into(), id.into()],
        ObjectKind::Plugin => vec!["plugins".into(), id.into(), "json".into()],
        ObjectKind::Image => vec!["images".into(), id.into(), "json".into()],
        ObjectKind::None => vec![],
    };
    Target {
        version: None,
        segments: segs,
        query: Vec::new(),
    }
    .render()
}

fn daemon_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| truncate(String::from_utf8_lossy(body).trim()))
}

impl Policy {
    /// A fresh policy for one plugin run.
    pub fn new(grant: Grant) -> Policy {
        let tokens_milli = grant
            .limits()
            .requests_per_second
            .map_or(0, |r| u64::from(r) * 1000);
        Policy {
            grant,
            tokens_milli,
            last_ms: None,
            bytes: 0,
            live: BTreeMap::new(),
            execs: BTreeSet::new(),
            host_paths: None,
        }
    }

    /// Judges bind sources also by where they lead: `resolve` gives the path the
    /// daemon's machine reaches for a host path (symlinks followed). A host whose
    /// daemon shares its filesystem (a unix socket) passes one; without it, host paths
    /// are judged by name only (see the module docs' known limits). The grant's own
    /// bind directories are resolved once, here.
    pub fn with_host_paths(
        mut self,
        resolve: impl Fn(&str) -> Result<String, String> + Send + Sync + 'static,
    ) -> Policy {
        let binds = self
            .grant
            .bind_paths()
            .iter()
            .map(|b| resolve(b).unwrap_or_else(|_| b.clone()))
            .collect();
        self.host_paths = Some(HostPaths {
            resolve: Arc::new(resolve),
            binds,
        });
        self
    }

    /// The grant.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// Containers created by the plugin and not known to be gone.
    pub fn live_containers(&self) -> usize {
        self.live.len()
    }

    /// Bytes counted so far by [`Policy::count_bytes`].
    pub fn bytes_streamed(&self) -> u64 {
        self.bytes
    }

    /// Checks one wire request before it leaves (see the module docs for the rules).
    /// `now_ms` is any monotonic millisecond clock (it only feeds the rate bucket).
    pub fn check(&mut self, req: &RequestView<'_>, now_ms: u64) -> Verdict {
        if let Err(d) = self.take_token(now_ms) {
            return Verdict::Deny(d);
        }
        match self.check_inner(req) {
            Ok(v) => v,
            Err(mut d) => {
                if d.operation.is_empty() {
                    d.operation = "unknown".to_owned();
                }
                Verdict::Deny(d)
            }
        }
    }

    fn take_token(&mut self, now_ms: u64) -> Result<(), Denial> {
        let Some(rate) = self.grant.limits().requests_per_second else {
            return Ok(());
        };
        let rate = u64::from(rate);
        let cap = rate * 1000;
        if let Some(last) = self.last_ms {
            let elapsed = now_ms.saturating_sub(last);
            self.tokens_milli = self
                .tokens_milli
                .saturating_add(elapsed.saturating_mul(rate))
                .min(cap);
        }
        self.last_ms = Some(self.last_ms.map_or(now_ms, |l| l.max(now_ms)));
        if self.tokens_milli < 1000 {
            return Err(Denial::new(
                "unknown",
                "quota-rps",
                format!("more than {rate} requests per second"),
            ));
        }
        self.tokens_milli -= 1000;
        Ok(())
    }

    fn check_inner(&mut self, req: &RequestView<'_>) -> Result<Verdict, Denial> {
        if !matches!(req.method, "GET" | "HEAD" | "POST" | "PUT" | "DELETE") {
            return Err(Denial::new(
                "",
                "method",
                format!(
                    "method {:?} is not GET, HEAD, POST, PUT or DELETE",
                    truncate(req.method)
                ),
            ));
        }
        let target = path::parse_target(req.path)?;
        let matched = routes::find(req.method, &target.segments).ok_or_else(|| {
            Denial::new(
                "",
                "unknown-endpoint",
                format!(
                    "{} {} is not an Engine API endpoint the policy knows",
                    req.method,
                    truncate(req.path)
                ),
            )
        })?;
        let route = matched.route;
        let mut op = Operation::new(route.op, route.kind);
        op.api_version = target.version.clone();
        op.object = matched.object.map(|(a, b)| target.segments[a..b].join("/"));
        // `POST /images/create` pulls with `fromImage` and imports with `fromSrc`.
        if op.name == "images.pull"
            && target.get("fromImage").is_none_or(str::is_empty)
            && target.get("fromSrc").is_some()
        {
            op.name = "images.import";
        }
        let name = op.name;
        let with_op = |mut d: Denial| {
            if d.operation.is_empty() || d.operation == "unknown" {
                d.operation = name.to_owned();
            }
            d
        };
        let always = (name == super::grant::ALWAYS_ALLOWED).then(|| "always allowed".to_owned());
        let Some(pattern) = always.or_else(|| {
            self.grant
                .operations()
                .iter()
                .find(|p| super::grant::glob(p, name))
                .cloned()
        }) else {
            return Err(Denial::new(
                name,
                "operation-not-allowed",
                format!("the grant does not allow {name}"),
            ));
        };
        // Duplicate query keys: the daemon takes the first, a reader may take the last.
        let multi: &[&str] = match name {
            "images.build" => &["t"],
            "images.get" => &["names"],
            _ => &[],
        };
        for (i, (k, _)) in target.query.iter().enumerate() {
            if !multi.contains(&k.as_str()) && target.query[..i].iter().any(|(k2, _)| k2 == k) {
                return Err(Denial::new(
                    name,
                    "ambiguous-query",
                    format!("query parameter {k:?} is given more than once"),
                ));
            }
        }
        let headers = filter_headers(req.headers).map_err(with_op)?;
        let body = match (route.body, req.body) {
            (Body::Raw, _) => None,
            (Body::Empty, None) => {
                return Err(Denial::new(
                    name,
                    "streamed-body",
                    format!("{name} takes no body; a streamed upload is refused"),
                ));
            }
            (Body::Empty, Some(b)) if !b.is_empty() => {
                return Err(Denial::new(
                    name,
                    "unexpected-body",
                    format!("{name} takes no body ({} bytes given)", b.len()),
                ));
            }
            (Body::Empty, Some(_)) => None,
            (Body::Json | Body::OptJson, None) => {
                return Err(Denial::new(
                    name,
                    "streamed-json-body",
                    format!("{name} takes a JSON body, which must be sent whole to be checked"),
                ));
            }
            (Body::OptJson, Some(b)) if b.iter().all(u8::is_ascii_whitespace) => None,
            (Body::Json | Body::OptJson, Some(b)) => Some(json::parse_strict(b).map_err(|e| {
                let rule = match e {
                    json::JsonProblem::Duplicate(_) => "ambiguous-json",
                    json::JsonProblem::Malformed(_) => "malformed-json",
                };
                Denial::new(name, rule, e.to_string())
            })?),
        };
        let mut ctx = Ctx {
            grant: &self.grant,
            host_paths: self.host_paths.as_ref(),
            op: name,
            target,
            object: op.object.clone(),
            body,
            lookups: Vec::new(),
            auto_remove: false,
            notes: Vec::new(),
        };
        rules::apply(&mut ctx).map_err(with_op)?;
        if name == "containers.create"
            && let Some(max) = self.grant.limits().max_containers
            && self.live.len() >= max as usize
        {
            return Err(Denial::new(
                name,
                "quota-containers",
                format!(
                    "the plugin already has {} live containers (limit {max})",
                    self.live.len()
                ),
            ));
        }
        op.auto_remove = ctx.auto_remove;
        // The object of the path is looked up first, then what the request refers to.
        let mut pending = Vec::new();
        if let (Some((a, _)), Some(obj)) = (matched.object, op.object.clone())
            && let Some(p) = self.primary_lookup(route.kind, obj, a)
        {
            pending.push(p);
        }
        // References in a body only matter for their labels.
        if self.scoped() {
            if ctx.lookups.len() > super::MAX_REFERENCES {
                return Err(Denial::new(
                    name,
                    "too-many-references",
                    format!(
                        "the request refers to {} existing objects (at most {})",
                        ctx.lookups.len(),
                        super::MAX_REFERENCES
                    ),
                ));
            }
            pending.append(&mut ctx.lookups);
        }
        let mut reason = format!("{name} allowed by {pattern:?}");
        for n in &ctx.notes {
            reason.push_str("; ");
            reason.push_str(n);
        }
        let target = ctx.target;
        if pending.is_empty() {
            return Ok(Verdict::Allow(Allowed {
                operation: op,
                path: target.render(),
                headers,
                reason,
            }));
        }
        let current = pending.remove(0);
        Ok(Verdict::Lookup(Lookup {
            operation: op.clone(),
            inspect_path: inspect_path(current.kind, &current.id),
            state: Box::new(LookupState {
                current,
                rest: pending,
                target,
                operation: op,
                headers,
                reason,
            }),
        }))
    }

    fn scoped(&self) -> bool {
        !self.grant.labels().is_empty()
    }

    fn needs_lookup(&self, kind: ObjectKind) -> bool {
        match kind {
            ObjectKind::Container => self.scoped() || self.grant.limits().max_containers.is_some(),
            ObjectKind::Exec
            | ObjectKind::Task
            | ObjectKind::Network
            | ObjectKind::Volume
            | ObjectKind::Service
            | ObjectKind::Secret
            | ObjectKind::Config => self.scoped(),
            _ => false,
        }
    }

    fn primary_lookup(&self, kind: ObjectKind, id: String, segment: usize) -> Option<Pending> {
        if !self.needs_lookup(kind) {
            return None;
        }
        if kind == ObjectKind::Exec && self.execs.contains(&id) {
            return None;
        }
        Some(Pending {
            kind,
            id,
            segment: Some(segment),
            missing_ok: false,
        })
    }

    /// Completes a check that needed an object's labels: `inspect_status` and
    /// `inspect_body` are the daemon's answer to `lookup.inspect_path`. The answer may
    /// be another [`Verdict::Lookup`].
    pub fn check_lookup(
        &mut self,
        lookup: &Lookup,
        inspect_status: u16,
        inspect_body: &[u8],
    ) -> Verdict {
        match self.lookup_inner(lookup, inspect_status, inspect_body) {
            Ok(v) => v,
            Err(mut d) => {
                d.operation = lookup.operation.name.to_owned();
                Verdict::Deny(d)
            }
        }
    }

    fn lookup_inner(
        &mut self,
        lookup: &Lookup,
        status: u16,
        body: &[u8],
    ) -> Result<Verdict, Denial> {
        let mut st = (*lookup.state).clone();
        let cur = st.current.clone();
        let what = format!("{} {:?}", kind_word(cur.kind), truncate(&cur.id));
        if status == 404 {
            if cur.kind == ObjectKind::Container {
                self.live.remove(&cur.id);
            }
            if cur.missing_ok {
                return Ok(self.next(st));
            }
            if cur.kind == ObjectKind::Volume && cur.segment.is_none() {
                return Err(Denial::new(
                    "",
                    "unlabelled-object",
                    format!(
                        "{what} does not exist: the daemon would create it without the plugin's labels; create it first"
                    ),
                ));
            }
            // The daemon's own words when it gave any (the host answers the guest with
            // them, as the daemon would have); a 404 with an empty or message-less body
            // still needs a reason (found by the policy fuzz target).
            let message = daemon_message(body);
            let reason = if message.trim().is_empty() {
                format!("{what} does not exist")
            } else {
                message
            };
            let mut d = Denial::new("", "not-found", reason);
            d.status = Some(404);
            return Err(d);
        }
        if !(200..300).contains(&status) {
            return Err(Denial::new(
                "",
                "lookup-failed",
                format!(
                    "inspecting {what} answered {status}: {}",
                    daemon_message(body)
                ),
            ));
        }
        let v: Value = serde_json::from_slice(body).map_err(|e| {
            Denial::new(
                "",
                "lookup-failed",
                format!("inspecting {what} answered non-JSON: {e}"),
            )
        })?;
        match cur.kind {
            ObjectKind::Exec => {
                let cid = v
                    .get("ContainerID")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        Denial::new("", "lookup-failed", format!("{what} has no ContainerID"))
                    })?;
                st.rest.insert(
                    0,
                    Pending {
                        kind: ObjectKind::Container,
                        id: cid.to_owned(),
                        segment: None,
                        missing_ok: false,
                    },
                );
            }
            ObjectKind::Task => {
                let sid = v.get("ServiceID").and_then(Value::as_str).ok_or_else(|| {
                    Denial::new("", "lookup-failed", format!("{what} has no ServiceID"))
                })?;
                st.rest.insert(
                    0,
                    Pending {
                        kind: ObjectKind::Service,
                        id: sid.to_owned(),
                        segment: None,
                        missing_ok: false,
                    },
                );
            }
            kind => {
                let labels = labels_of(kind, &v);
                for (k, want) in self.grant.labels() {
                    let have = labels.and_then(|l| l.get(k)).and_then(Value::as_str);
                    if have != Some(want.as_str()) {
                        return Err(Denial::new(
                            "",
                            "unlabelled-object",
                            format!("{what} does not carry the label {k}={want}"),
                        ));
                    }
                }
            }
        }
        if let Some(i) = cur.segment
            && let Some(id) = id_of(cur.kind, &v)
            && !id.is_empty()
            && !id.contains(['/', '\\', '\0'])
            && id != "."
            && id != ".."
        {
            st.target.segments[i] = id.to_owned();
            st.operation.object = Some(id.to_owned());
        }
        Ok(self.next(st))
    }

    fn next(&self, mut st: LookupState) -> Verdict {
        if st.rest.is_empty() {
            return Verdict::Allow(Allowed {
                path: st.target.render(),
                operation: st.operation,
                headers: st.headers,
                reason: st.reason,
            });
        }
        st.current = st.rest.remove(0);
        Verdict::Lookup(Lookup {
            operation: st.operation.clone(),
            inspect_path: inspect_path(st.current.kind, &st.current.id),
            state: Box::new(st),
        })
    }

    /// Tells the policy how an allowed request ended: `status` is the daemon's status
    /// (0 if the transport failed) and `body` the response body when it was read whole
    /// (may be empty otherwise). Tracks live containers (create → +1; remove, prune, a
    /// 404, or a finished `wait` on an `AutoRemove` container → −1) and the exec ids
    /// the plugin created.
    pub fn observe(&mut self, op: &Operation, status: u16, body: &[u8]) {
        let ok = (200..300).contains(&status);
        let obj = op.object.as_deref();
        match op.name {
            "containers.create" if ok => {
                let id = serde_json::from_slice::<Value>(body)
                    .ok()
                    .and_then(|v| v.get("Id").and_then(Value::as_str).map(str::to_owned))
                    // Unknown id (body not read): still count it.
                    .unwrap_or_else(|| format!("<unknown #{}>", self.live.len()));
                self.live.insert(id, op.auto_remove);
            }
            "containers.remove" if ok => {
                if let Some(o) = obj {
                    self.live.remove(o);
                }
            }
            "containers.wait" if ok => {
                if let Some(o) = obj
                    && self.live.get(o) == Some(&true)
                {
                    self.live.remove(o);
                }
            }
            "containers.prune" if ok => {
                if let Ok(v) = serde_json::from_slice::<Value>(body) {
                    for id in v
                        .get("ContainersDeleted")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        self.live.remove(id);
                    }
                }
            }
            "exec.create" if ok => {
                if let Some(id) = serde_json::from_slice::<Value>(body)
                    .ok()
                    .and_then(|v| v.get("Id").and_then(Value::as_str).map(str::to_owned))
                {
                    self.execs.insert(id);
                }
            }
            _ => {}
        }
        if status == 404
            && op.kind == ObjectKind::Container
            && let Some(o) = obj
        {
            self.live.remove(o);
        }
    }

    /// Forgets a container (the host saw it go, e.g. from an event).
    pub fn forget_container(&mut self, id: &str) {
        self.live.remove(id);
    }

    /// Counts `n` streamed bytes (response or upload) against `limits.max_bytes`;
    /// `Err` once over (and for every call after).
    pub fn count_bytes(&mut self, n: u64) -> Result<(), Denial> {
        self.bytes = self.bytes.saturating_add(n);
        match self.grant.limits().max_bytes {
            Some(max) if self.bytes > max => Err(Denial::new(
                "stream",
                "quota-bytes",
                format!("more than {max} bytes streamed ({} so far)", self.bytes),
            )),
            _ => Ok(()),
        }
    }
}
