//! The deny-by-default policy of plugins: a [`Grant`] says what a plugin may do, a
//! [`Policy`] checks every wire request the plugin sends against it, before it leaves.
//!
//! Sans-IO like the rest of core: the host hands in the request as the guest wrote it
//! and the time, and gets a [`Verdict`]. Checking the *wire* request (method, path,
//! query, headers, JSON body) rather than typed calls means a plugin with raw
//! `transport` access has no way around it.
//!
//! # How the host drives it
//!
//! ```text
//! let mut verdict = policy.check(&RequestView { method, path, headers, body }, now_ms);
//! loop {
//!     match verdict {
//!         Verdict::Allow(ok) => { send ok.path + ok.headers (+ the body, unchanged);
//!                                 policy.observe(&ok.operation, status, body_if_read_whole);
//!                                 count streamed bytes with policy.count_bytes(n) }
//!         Verdict::Deny(d)   => { answer the guest `policy-denied` (or, when d.status is
//!                                 Some(404), a not-found with d.reason); audit it }
//!         Verdict::Lookup(l) => { GET l.inspect_path yourself (no policy check),
//!                                 verdict = policy.check_lookup(&l, status, &body); continue }
//!     }
//!     break;
//! }
//! ```
//!
//! [`AuditEntry::allowed`] / [`AuditEntry::denied`] turn a decision into one JSON line.
//!
//! # What is checked, in order
//!
//! 1. **Rate**: a token bucket of `limits.requests_per_second` (burst = the rate),
//!    refilled from `now_ms` (rule `quota-rps`).
//! 2. **Method** `GET`, `HEAD`, `POST`, `PUT` or `DELETE` exactly (`method`).
//! 3. **Path hygiene** (rules `path-*`, `query-encoding`, `api-version`):
//!    origin-form only; each segment percent-decoded once and refused if it decodes to
//!    `/`, `\`, `%`, `?`, `#`, NUL or another control character, or is `.`/`..`; no
//!    empty segments (`//`); an optional `/vMAJOR.MINOR` prefix, which must be at
//!    least 1.24 (older versions accept a `HostConfig` on `start`); the query decoded
//!    like Go's `url.ParseQuery` (`+` is a space; `;` refused). The request that
//!    leaves is rebuilt from the decoded parts, canonically encoded, so the daemon
//!    routes exactly what was checked.
//! 4. **Route**: `(method, path)` → operation name through the table below; no match
//!    is `unknown-endpoint`.
//! 5. **Allowlist**: the operation must match one of the grant's `allow` patterns
//!    (`operation-not-allowed`).
//! 6. **Query**: a key given twice is refused (`ambiguous-query`; the daemon reads the
//!    first) except the multi-valued `t` of build and `names` of image export.
//! 7. **Headers**: `Host`, hop-by-hop and framing headers are dropped (the host frames
//!    the request); a form `Content-Type` is refused (`form-body`: Go would read query
//!    values from the body), as are two `Content-Type`s and malformed headers.
//! 8. **Body**: endpoints without a body get none (`unexpected-body`, and
//!    `streamed-body` for a streamed upload); JSON endpoints need the whole body
//!    (`streamed-json-body`), valid JSON (`malformed-json`) with no key repeated under
//!    Go's case-insensitive matching (`ambiguous-json`: Go matches keys that way and the last duplicate wins). Policy-relevant
//!    keys are looked up case-insensitively and must have the expected type
//!    (`json-type`).
//! 9. **Operation rules** : privileged, binds/mounts, docker socket,
//!    host namespaces, devices, capabilities, security options, sysctls, runtimes,
//!    log drivers, volume driver options, label scoping of creates, the image
//!    allowlist, build and plugin specifics.
//! 10. **Label scoping of existing objects** (when the grant has labels): an operation
//!     on a container, network, volume, service, secret or config by id or name — and
//!     every such object a request refers to (`VolumesFrom`, `container:<id>` modes,
//!     named volumes, networks of a container or service, the container of
//!     `networks.connect`, secrets and configs of a service) — yields a
//!     [`Verdict::Lookup`]: the host inspects the object and [`Policy::check_lookup`]
//!     allows only if its labels include the grant's (`unlabelled-object`). An exec is
//!     judged by its container (exec ids the plugin created itself are remembered), a
//!     task by its service. The object in the path is replaced by the full id the
//!     inspect answered, so a rename or a prefix cannot switch objects in between. A
//!     404 on the object of the path is a denial with `status: Some(404)` (rule
//!     `not-found`) carrying the daemon's message, so the guest sees not-found without
//!     the request ever reaching an object that was not checked; a referenced named
//!     volume that does not exist is refused (`unlabelled-object`: the daemon would
//!     create it unlabelled). List, prune and events calls get the grant's labels added
//!     to their `filters`. Images, nodes, plugins and the swarm are not label-scoped.
//! 11. **Quotas**: live containers (`quota-containers`, counted from observed creates
//!     and removes, see [`Policy::observe`]), bytes streamed ([`Policy::count_bytes`],
//!     `quota-bytes`).
//!
//! # Known limits (cannot be judged from the request)
//!
//! - Host paths are normalised lexically. A host that shares the daemon's filesystem
//!   (the plugin host with a unix-socket daemon) also resolves each bind source
//!   ([`Policy::with_host_paths`]): one that leads outside the grant's binds through a
//!   symlink, or cannot be resolved, is refused. What is checked is the filesystem at
//!   the time of the check: a symlink swapped in before the daemon mounts is not seen,
//!   and with a remote daemon (TCP, SSH) paths are judged by name only. Grant only
//!   directories nobody else can write symlinks into.
//! - `FROM` lines of a build context and the contents of `images/load` and
//!   `plugins/create` archives are not visible: `images.load` and `plugins.create`
//!   need a grant allowing every image (`images = ["*"]`).
//! - An object referenced by name inside a body or query (`VolumesFrom`, networks,
//!   `commit?container=`) is checked, then resolved again by the daemon; only the
//!   object of the path is pinned to its id. Swapping in an unlabelled object under
//!   that name in between needs someone else to create it with exactly that name.
//! - Build steps (`FROM`, `ADD <url>`, `pull=1`) run inside the daemon; only the
//!   build's tags, network mode, cgroup parent and remote context are checked.
//! - The image allowlist is by name: an allowed name holds whatever was last pulled,
//!   built or tagged under it (tagging needs both names allowed).
//! - `tasks.list` gets the label filter like the other lists; the daemon matches it
//!   against task labels, so tasks of labelled services may not all show.
//! - Swarm, node, plugin, auth and session operations are governed by the allowlist
//!   alone (plugins with privileges are refused at install); grant them only to
//!   trusted plugins.
//! - The live-container count trusts [`Policy::observe`]; containers with
//!   `AutoRemove` stop counting once a `wait` on them returns or they answer 404.
//!
//! # Operations
//!
//! The stable names, by area: `system.{ping,version,info,df,events,session}`,
//! `auth.login`, `containers.{list,create,prune,inspect,top,logs,changes,export,
//! stats,resize,start,stop,restart,kill,update,rename,pause,unpause,attach,
//! attach.ws,wait,remove,archive.get,archive.stat,archive.put,commit}`,
//! `exec.{create,start,resize,inspect}`, `images.{list,build,build.prune,
//! build.cancel,pull,import,load,get,prune,search,inspect,history,attestations,push,
//! tag,remove}`, `distribution.inspect`, `networks.{list,create,prune,inspect,connect,
//! disconnect,remove}`, `volumes.{list,create,prune,inspect,update,remove}`,
//! `swarm.{inspect,init,join,leave,update,unlockkey,unlock}`,
//! `nodes.{list,inspect,remove,update}`, `services.{list,create,inspect,remove,update,
//! logs}`, `tasks.{list,inspect,logs}`, `secrets.{list,create,inspect,remove,update}`,
//! `configs.{list,create,inspect,remove,update}`, `plugins.{list,privileges,pull,
//! create,inspect,enable,disable,push,upgrade,set,remove}`. [`operations`] lists
//! them; `POST /images/create` is `images.pull` with `fromImage` and `images.import`
//! with `fromSrc`.

mod audit;
mod grant;
mod images;
mod json;
mod path;
mod routes;
mod rules;
mod state;

#[cfg(test)]
mod tests;

pub use audit::{AuditEntry, Decision};
pub use grant::{
    DEFAULT_DEADLINE_MS, DEFAULT_MAX_HANDLES, DEFAULT_MEMORY, Grant, GrantError, Limits,
    parse_duration_ms, parse_size,
};
pub use routes::operations;
pub use state::Policy;

use std::fmt;

/// One wire request as the guest sent it.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// Path and query as the guest wrote them (`/v1.41/containers/json?all=1`).
    pub path: &'a str,
    /// Headers as the guest gave them.
    pub headers: &'a [(String, String)],
    /// The whole body; `None` for a streamed upload whose body is not visible.
    pub body: Option<&'a [u8]>,
}

/// The kind of object an operation addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// No object in the path (lists, creates, system calls).
    None,
    /// A container.
    Container,
    /// An exec instance.
    Exec,
    /// An image (by name or id).
    Image,
    /// A network.
    Network,
    /// A volume.
    Volume,
    /// A swarm node.
    Node,
    /// A swarm service.
    Service,
    /// A swarm task.
    Task,
    /// A swarm secret.
    Secret,
    /// A swarm config.
    Config,
    /// A managed plugin.
    Plugin,
}

/// What a request does: a stable operation name and the object it addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Stable `area.op` name (`containers.create`, `images.pull`, …).
    pub name: &'static str,
    /// The kind of object in the path.
    pub kind: ObjectKind,
    /// The object's id or name from the path (the full id once a lookup resolved it).
    pub object: Option<String>,
    /// The API version prefix the guest used (`1.41`), if any.
    pub api_version: Option<String>,
    /// A container create with `AutoRemove` (tracked by [`Policy::observe`]).
    pub(crate) auto_remove: bool,
}

impl Operation {
    fn new(name: &'static str, kind: ObjectKind) -> Operation {
        Operation {
            name,
            kind,
            object: None,
            api_version: None,
            auto_remove: false,
        }
    }
}

/// The request to send, once allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// What it does.
    pub operation: Operation,
    /// Path and query to send: canonically re-encoded, version prefix kept, object
    /// replaced by its full id after a lookup, label filter added to lists.
    pub path: String,
    /// Headers to send: the guest's minus `Host`, hop-by-hop and framing headers. The
    /// host adds `Host`, framing and (for upgrades) `Connection`/`Upgrade`.
    pub headers: Vec<(String, String)>,
    /// Why it was allowed (for the audit log).
    pub reason: String,
}

/// A refusal: which operation, which rule, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The operation name, or `unknown` when the request did not route.
    pub operation: String,
    /// Stable id of the rule (`privileged`, `bind-path`, `unknown-endpoint`, …).
    pub rule: &'static str,
    /// What was refused and why, for the guest and the audit log.
    pub reason: String,
    /// `Some(404)` when the object does not exist (rule `not-found`): the host may
    /// answer the guest as the daemon would have (`reason` is the daemon's message).
    pub status: Option<u16>,
}

impl Denial {
    pub(crate) fn new(operation: &str, rule: &'static str, reason: String) -> Denial {
        Denial {
            operation: operation.to_owned(),
            rule,
            reason,
            status: None,
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "policy denied {} ({}): {}",
            self.operation, self.rule, self.reason
        )
    }
}

impl std::error::Error for Denial {}

/// A check that needs the labels of an existing object before it can decide.
///
/// The host sends `GET inspect_path` itself (not through the policy) and hands the
/// answer to [`Policy::check_lookup`], which may answer with another `Lookup` (a
/// request can refer to several objects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The operation being decided.
    pub operation: Operation,
    /// The inspect request to send (`/containers/{id}/json`, `/networks/{id}`,
    /// `/volumes/{name}`, `/services/{id}`, `/exec/{id}/json`, …), unversioned.
    pub inspect_path: String,
    pub(crate) state: Box<state::LookupState>,
}

impl Lookup {
    /// How many more objects are queued to be inspected after this one (an exec or a
    /// task adds one more: its container or service). Requests refer to at most
    /// [`MAX_REFERENCES`] objects.
    pub fn remaining(&self) -> usize {
        self.state.remaining()
    }
}

/// Most objects one request may refer to (rule `too-many-references`); a lookup chain
/// is at most this long plus one (the object of the path) plus one (the owner of an
/// exec or task).
pub const MAX_REFERENCES: usize = 16;

/// The decision on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Send it (as given in [`Allowed`]).
    Allow(Allowed),
    /// Refuse it.
    Deny(Denial),
    /// Inspect an object first, then call [`Policy::check_lookup`].
    Lookup(Lookup),
}
