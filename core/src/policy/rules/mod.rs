//! The per-operation rules: what a request may carry in its query and JSON body.
//!
//! `host` holds the container and host-config rules, `swarm` the service rules, `ops`
//! the table that applies them per operation.

mod host;
mod ops;
mod swarm;

pub(crate) use ops::apply;

use serde_json::{Map, Value};

use super::grant::Grant;
use super::images::ImageRef;
use super::json::{self, field};
use super::path::{Target, truncate};
use super::state::HostPaths;
use super::{Denial, ObjectKind};
use crate::model::json_kind;

/// An object the request refers to, whose labels must be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub kind: ObjectKind,
    pub id: String,
    /// Index of the path segment to replace with the resolved id (the path's object).
    pub segment: Option<usize>,
    /// A 404 lets the request through (the daemon will fail it itself).
    pub missing_ok: bool,
}

/// The request being checked.
#[derive(Debug)]
pub(crate) struct Ctx<'g> {
    pub grant: &'g Grant,
    pub host_paths: Option<&'g HostPaths>,
    pub op: &'static str,
    pub target: Target,
    pub object: Option<String>,
    pub body: Option<Value>,
    pub lookups: Vec<Pending>,
    pub auto_remove: bool,
    pub notes: Vec<String>,
}

type R = Result<(), Denial>;

fn deny(rule: &'static str, reason: String) -> Denial {
    Denial::new("", rule, reason)
}

impl Ctx<'_> {
    fn refer(&mut self, kind: ObjectKind, id: &str) {
        self.refer_with(kind, id, false);
    }

    /// `missing_ok`: the daemon would create the object with the plugin's labels.
    fn refer_with(&mut self, kind: ObjectKind, id: &str, missing_ok: bool) {
        let id = id.strip_prefix('/').unwrap_or(id);
        match self
            .lookups
            .iter_mut()
            .find(|p| p.kind == kind && p.id == id)
        {
            Some(p) => p.missing_ok &= missing_ok,
            None => self.lookups.push(Pending {
                kind,
                id: id.to_owned(),
                segment: None,
                missing_ok,
            }),
        }
    }

    /// Whether a label map (JSON) carries every grant label.
    fn carries_labels(&self, labels: Option<&Value>) -> bool {
        self.grant.labels().iter().all(|(k, want)| {
            labels
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
                .is_some_and(|have| have == want)
        })
    }

    fn labels_required(&self) -> bool {
        !self.grant.labels().is_empty()
    }

    /// `Labels` of a create must carry every grant label.
    fn require_labels(&self, labels: Option<&Value>, what: &str) -> R {
        if !self.labels_required() {
            return Ok(());
        }
        let map = match labels {
            None => None,
            Some(Value::Object(m)) => Some(m),
            Some(v) => {
                return Err(deny(
                    "json-type",
                    format!("{what} is {}, not an object", json_kind(v)),
                ));
            }
        };
        for (k, want) in self.grant.labels() {
            let have = map.and_then(|m| m.get(k));
            if have.and_then(Value::as_str) != Some(want.as_str()) {
                return Err(deny(
                    "unlabelled-create",
                    format!("{what} must carry the label {k}={want}"),
                ));
            }
        }
        Ok(())
    }

    fn image(&self, reference: &str, what: &str) -> R {
        let r = ImageRef::parse(reference).map_err(|e| deny("image-not-allowed", e))?;
        self.image_ref(&r, reference, what)
    }

    fn image_ref(&self, r: &ImageRef, text: &str, what: &str) -> R {
        if self.grant.allows_image_ref(r) {
            return Ok(());
        }
        let why = if r.id_like {
            " (it may name an image by id, which only images = [\"*\"] allows)"
        } else {
            ""
        };
        Err(deny(
            "image-not-allowed",
            format!(
                "{what} {:?} is not in the grant's images{why}",
                truncate(text)
            ),
        ))
    }

    fn body(&self) -> Result<&Value, Denial> {
        self.body
            .as_ref()
            .ok_or_else(|| deny("malformed-json", format!("{} needs a JSON body", self.op)))
    }

    /// Adds the grant's labels to the `filters` query of a list, prune or events call.
    fn label_filter(&mut self) -> R {
        if !self.labels_required() {
            return Ok(());
        }
        let mut filters = match self.target.get("filters") {
            None | Some("") => Map::new(),
            Some(text) => match json::parse_strict(text.as_bytes()) {
                Ok(Value::Object(m)) => m,
                Ok(v) => {
                    return Err(deny(
                        "json-type",
                        format!("filters is {}, not an object", json_kind(&v)),
                    ));
                }
                Err(e) => {
                    let rule = match e {
                        json::JsonProblem::Duplicate(_) => "ambiguous-json",
                        json::JsonProblem::Malformed(_) => "malformed-json",
                    };
                    return Err(deny(rule, format!("filters: {e}")));
                }
            },
        };
        let wanted: Vec<String> = self
            .grant
            .labels()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        match filters.get_mut("label") {
            None => {
                filters.insert(
                    "label".to_owned(),
                    Value::Array(wanted.into_iter().map(Value::String).collect()),
                );
            }
            Some(Value::Array(a)) => {
                if let Some(bad) = a.iter().find(|v| !v.is_string()) {
                    return Err(deny(
                        "json-type",
                        format!("filters.label holds {}", json_kind(bad)),
                    ));
                }
                a.extend(wanted.into_iter().map(Value::String));
            }
            Some(Value::Object(m)) => {
                for w in wanted {
                    m.insert(w, Value::Bool(true));
                }
            }
            Some(v) => {
                return Err(deny(
                    "json-type",
                    format!("filters.label is {}", json_kind(v)),
                ));
            }
        }
        let text = Value::Object(filters).to_string();
        self.target.set("filters", text);
        self.notes.push("label filter added".to_owned());
        Ok(())
    }
}

fn is_volume_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}

fn obj<'v>(v: &'v Value, what: &str) -> Result<&'v Map<String, Value>, Denial> {
    v.as_object().ok_or_else(|| {
        deny(
            "json-type",
            format!("{what} is {}, not an object", json_kind(v)),
        )
    })
}

fn arr<'v>(v: &'v Value, what: &str) -> Result<&'v Vec<Value>, Denial> {
    v.as_array().ok_or_else(|| {
        deny(
            "json-type",
            format!("{what} is {}, not an array", json_kind(v)),
        )
    })
}

fn str_field<'v>(v: &'v Value, key: &str, what: &str) -> Result<Option<&'v str>, Denial> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(x) => Err(deny(
            "json-type",
            format!("{what}.{key} is {}, not a string", json_kind(x)),
        )),
    }
}

fn bool_field(v: &Value, key: &str, what: &str) -> Result<Option<bool>, Denial> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(x) => Err(deny(
            "json-type",
            format!("{what}.{key} is {}, not a boolean", json_kind(x)),
        )),
    }
}

/// A list of strings (`null`/absent = empty). A bare string counts as a one-element
/// list (Go's `strslice` accepts that for some fields).
fn str_list<'v>(v: Option<&'v Value>, what: &str) -> Result<Vec<&'v str>, Denial> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.as_str()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str().ok_or_else(|| {
                    deny(
                        "json-type",
                        format!("{what} holds {}, not strings", json_kind(x)),
                    )
                })
            })
            .collect(),
        Some(x) => Err(deny(
            "json-type",
            format!("{what} is {}, not a list", json_kind(x)),
        )),
    }
}
