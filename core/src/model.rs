//! Typed views of the daemon's JSON that never lose data.
//!
//! Every response keeps its raw JSON ([`Typed::attrs`], docker-py's `attrs`) next to a
//! typed view. The typed view is decoded leniently: a field our models cannot read —
//! an enum value newer than the models, a number where a string was expected — is left
//! out of the typed view (and named in [`Typed::unread`]) instead of failing the whole
//! response. The raw JSON still has it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::stream::Decoder;

/// How many unreadable fields are skipped before decoding gives up.
const MAX_SKIPPED_FIELDS: usize = 64;

/// A response: the raw JSON and its typed view.
///
/// ```
/// use berth_core::model::Typed;
/// use berth_core::models::EventMessage;
/// let raw = br#"{"Type":"brand-new-kind","Action":"start","time":1}"#;
/// let ev: Typed<EventMessage> = Typed::from_slice(raw).unwrap();
/// assert_eq!(ev.action.as_deref(), Some("start"));      // typed view (Deref)
/// assert!(ev.typ.is_none());                            // unknown enum value left out …
/// assert_eq!(ev.attrs["Type"], "brand-new-kind");       // … but kept raw
/// assert_eq!(ev.unread, vec!["Type".to_string()]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Typed<T> {
    /// The JSON exactly as the daemon sent it (a [`Value`] through `Deref`, parsed on
    /// first use).
    pub attrs: Attrs,
    /// The typed view.
    pub typed: T,
    /// Paths (`Config.Healthcheck.Test`) of fields the typed view could not read.
    pub unread: Vec<String>,
}

impl<T: DeserializeOwned> Typed<T> {
    /// Decodes a JSON body.
    pub fn from_slice(body: &[u8]) -> Result<Typed<T>> {
        // Fast path: the typed view straight from the bytes; the raw JSON is kept as
        // bytes and parsed only if someone looks at it (most callers never do).
        if let Ok(typed) = serde_json::from_slice::<T>(body) {
            return Ok(Typed {
                attrs: Attrs::from_valid_json(Bytes::copy_from_slice(body)),
                typed,
                unread: Vec::new(),
            });
        }
        let attrs: Value = serde_json::from_slice(body)
            .map_err(|e| Error::Decode(format!("body is not JSON ({e}): {}", excerpt(body))))?;
        Typed::from_value(attrs)
    }

    /// Decodes an already parsed JSON value.
    pub fn from_value(attrs: Value) -> Result<Typed<T>> {
        let (typed, unread) = decode_lenient(&attrs)?;
        Ok(Typed {
            attrs: Attrs::from(attrs),
            typed,
            unread,
        })
    }
}

/// The raw JSON of a response: a [`Value`] (through `Deref`), parsed from the bytes the
/// daemon sent on first use, so answers whose raw JSON nobody reads cost one parse.
pub struct Attrs {
    raw: Source,
    value: OnceLock<Value>,
}

/// Where an [`Attrs`] value comes from when first read.
#[derive(Clone)]
enum Source {
    /// Already parsed (or edited): the `OnceLock` holds it.
    None,
    /// A whole JSON document that is known to be valid.
    Json(Bytes),
    /// Element `i` of a JSON array shared by the items of one list answer.
    Element(Arc<SharedList>, usize),
}

/// The body of a list answer, parsed at most once for all its items.
struct SharedList {
    raw: Bytes,
    value: OnceLock<Value>,
}

impl SharedList {
    fn get(&self, i: usize) -> Option<&Value> {
        self.value
            .get_or_init(|| serde_json::from_slice(&self.raw).unwrap_or(Value::Null))
            .get(i)
    }
}

impl Attrs {
    /// Raw JSON known to parse (the typed view was just decoded from it).
    fn from_valid_json(raw: Bytes) -> Attrs {
        Attrs {
            raw: Source::Json(raw),
            value: OnceLock::new(),
        }
    }

    /// The parsed JSON.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| match &self.raw {
            Source::Element(list, i) => list.get(*i).cloned().unwrap_or(Value::Null),
            // Cannot fail: the bytes were decoded as JSON before.
            Source::Json(raw) => serde_json::from_slice(raw).unwrap_or(Value::Null),
            Source::None => Value::Null,
        })
    }

    /// The parsed JSON, owned.
    pub fn into_value(self) -> Value {
        let _ = self.value();
        self.value.into_inner().unwrap_or(Value::Null)
    }
}

impl From<Value> for Attrs {
    fn from(v: Value) -> Attrs {
        Attrs {
            raw: Source::None,
            value: OnceLock::from(v),
        }
    }
}

impl Deref for Attrs {
    type Target = Value;
    fn deref(&self) -> &Value {
        self.value()
    }
}

impl DerefMut for Attrs {
    fn deref_mut(&mut self) -> &mut Value {
        let _ = self.value();
        self.raw = Source::None;
        self.value
            .get_mut()
            .unwrap_or_else(|| unreachable!("initialised just above"))
    }
}

impl Clone for Attrs {
    fn clone(&self) -> Attrs {
        Attrs {
            raw: self.raw.clone(),
            value: match self.value.get() {
                Some(v) => OnceLock::from(v.clone()),
                None => OnceLock::new(),
            },
        }
    }
}

impl fmt::Debug for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

impl fmt::Display for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.value(), f)
    }
}

impl PartialEq for Attrs {
    fn eq(&self, other: &Attrs) -> bool {
        self.value() == other.value()
    }
}

impl PartialEq<Value> for Attrs {
    fn eq(&self, other: &Value) -> bool {
        self.value() == other
    }
}

impl serde::Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<T> Typed<T> {
    /// The object's id: `typed_id` (the typed view's `id`) when it has one, else the raw
    /// JSON's field `key` (`"Id"`, or `"ID"` for swarm objects; a field the lenient
    /// decode had to skip); `None` when empty or absent. The typed view comes first
    /// because reading the raw JSON parses it.
    pub fn object_id(&self, typed_id: Option<&str>, key: &str) -> Option<String> {
        typed_id
            .filter(|id| !id.is_empty())
            .or_else(|| {
                self.attrs
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty())
            })
            .map(str::to_owned)
    }
}

impl<T> std::ops::Deref for Typed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.typed
    }
}

/// A JSON object body whose typed view needs `key`, which some daemons leave out: the
/// typed view is decoded as if `key` held `default`; `attrs` stays as the daemon sent it.
pub fn typed_with_default<T: DeserializeOwned>(
    body: &[u8],
    what: &str,
    key: &str,
    default: Value,
) -> Result<Typed<T>> {
    let attrs: Value = serde_json::from_slice(body)
        .map_err(|e| Error::Decode(format!("{what}: body is not JSON ({e}): {}", excerpt(body))))?;
    let (typed, unread) = match &attrs {
        Value::Object(m) if !m.contains_key(key) => {
            let mut filled = attrs.clone();
            filled[key] = default;
            decode_lenient(&filled)?
        }
        _ => decode_lenient(&attrs)?,
    };
    Ok(Typed {
        attrs: attrs.into(),
        typed,
        unread,
    })
}

/// A JSON array body as typed items; `null` (the daemon's "nothing") is empty. `what`
/// names the operation in errors.
pub fn typed_list<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<Vec<Typed<T>>> {
    // Fast path, as for one object: the typed views straight from the bytes, one parse;
    // each element's raw JSON comes from one shared parse of the body when first read.
    if let Ok(items) = serde_json::from_slice::<Vec<T>>(body) {
        let list = Arc::new(SharedList {
            raw: Bytes::copy_from_slice(body),
            value: OnceLock::new(),
        });
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, typed)| Typed {
                attrs: Attrs {
                    raw: Source::Element(Arc::clone(&list), i),
                    value: OnceLock::new(),
                },
                typed,
                unread: Vec::new(),
            })
            .collect());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Error::Decode(format!("{what}: body is not JSON ({e}): {}", excerpt(body))))?;
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().map(Typed::from_value).collect(),
        other => Err(Error::Decode(format!(
            "{what}: expected a JSON array, got {}",
            excerpt(other.to_string().as_bytes())
        ))),
    }
}

/// Decodes `value` as `T`, dropping fields that fail (see the module docs).
pub fn decode_lenient<T: DeserializeOwned>(value: &Value) -> Result<(T, Vec<String>)> {
    // Fast path: no copy and no path tracking when everything reads.
    if let Ok(t) = T::deserialize(value) {
        return Ok((t, Vec::new()));
    }
    let first = match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(t) => return Ok((t, Vec::new())),
        Err(e) => e,
    };
    let mut work = value.clone();
    let mut unread = Vec::new();
    let mut err = first;
    let mut last_path: Option<String> = None;
    loop {
        let path = err.path().clone();
        let shown = path.to_string();
        let segments: Vec<&serde_path_to_error::Segment> = path.iter().collect();
        if segments.is_empty() || unread.len() >= MAX_SKIPPED_FIELDS {
            return Err(Error::Decode(format!(
                "response does not match the Engine model at {shown}: {}",
                err.inner()
            )));
        }
        // A field that is still wrong after being nulled is required: remove it, and if
        // that fails too the error moves to its parent, which gets the same treatment.
        let remove = last_path.as_deref() == Some(shown.as_str());
        if !drop_at(&mut work, &segments, remove) {
            return Err(Error::Decode(format!(
                "cannot skip unreadable field {shown}: {}",
                err.inner()
            )));
        }
        if !remove {
            unread.push(shown.clone());
        }
        last_path = Some(shown);
        match serde_path_to_error::deserialize::<_, T>(&work) {
            Ok(t) => return Ok((t, unread)),
            Err(e) => err = e,
        }
    }
}

/// Nulls (or removes) the value at `path`; array elements are always removed.
fn drop_at(root: &mut Value, path: &[&serde_path_to_error::Segment], remove: bool) -> bool {
    use serde_path_to_error::Segment;
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut cur = root;
    for seg in parents {
        cur = match (seg, cur) {
            (Segment::Map { key }, Value::Object(m)) => match m.get_mut(key.as_str()) {
                Some(v) => v,
                None => return false,
            },
            (Segment::Seq { index }, Value::Array(a)) => match a.get_mut(*index) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, cur) {
        (Segment::Map { key }, Value::Object(m)) => {
            if remove {
                m.remove(key.as_str()).is_some()
            } else {
                match m.get_mut(key.as_str()) {
                    Some(v) => {
                        *v = Value::Null;
                        true
                    }
                    None => false,
                }
            }
        }
        (Segment::Seq { index }, Value::Array(a)) if *index < a.len() => {
            a.remove(*index);
            true
        }
        _ => false,
    }
}

/// Wraps a decoder of JSON values so it yields [`Typed`] items.
#[derive(Debug)]
pub struct TypedDecoder<D, T> {
    inner: D,
    _item: PhantomData<fn() -> T>,
}

impl<D, T> TypedDecoder<D, T> {
    /// Wraps `inner`.
    pub fn new(inner: D) -> TypedDecoder<D, T> {
        TypedDecoder {
            inner,
            _item: PhantomData,
        }
    }
}

impl<D: Decoder<Item = Value>, T: DeserializeOwned> Decoder for TypedDecoder<D, T> {
    type Item = Typed<T>;

    fn push(&mut self, bytes: &[u8]) {
        self.inner.push(bytes);
    }

    fn next(&mut self) -> Result<Option<Typed<T>>> {
        self.inner.next()?.map(Typed::from_value).transpose()
    }

    fn finish(&mut self) -> Result<Option<Typed<T>>> {
        self.inner.finish()?.map(Typed::from_value).transpose()
    }
}

/// A JSON value's type as messages name it: `"null"`, `"a boolean"`, `"a number"`,
/// `"a string"`, `"an array"`, `"an object"`.
///
/// ```
/// use berth_core::model::json_kind;
/// assert_eq!(json_kind(&serde_json::json!([1])), "an array");
/// ```
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The first bytes of a body, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 120;
    let s = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    if body.len() > MAX {
        format!("{s:?}…")
    } else {
        format!("{s:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ContainerInspectResponse, EventMessage};

    #[test]
    fn list_items_keep_their_own_raw_json() {
        use crate::models::ContainerSummary;
        let body = br#"[{"Id":"a","Names":["/one"],"New":1},{"Id":"b","Labels":{"k":"v"}}]"#;
        let items: Vec<Typed<ContainerSummary>> = typed_list(body, "list").expect("decodes");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].id.as_deref(), Some("a"));
        assert_eq!(items[1].attrs["Labels"]["k"], "v");
        assert_eq!(
            items[0].attrs["New"], 1,
            "fields the model lacks stay in attrs"
        );
        assert_eq!(
            items[0].attrs,
            serde_json::json!({"Id":"a","Names":["/one"],"New":1})
        );
        // Editing one item's attrs leaves the others alone.
        let mut first = items[0].clone();
        first.attrs["Id"] = "edited".into();
        assert_eq!(first.attrs["Id"], "edited");
        assert_eq!(items[0].attrs["Id"], "a");
        assert_eq!(items[1].attrs["Id"], "b");
        // The lenient path still takes lists the model cannot read whole, and null.
        let odd = br#"[{"Id":"c","Created":"not a number"}]"#;
        let items: Vec<Typed<ContainerSummary>> = typed_list(odd, "list").expect("lenient");
        assert_eq!(items[0].id.as_deref(), Some("c"));
        assert_eq!(items[0].unread, vec!["Created".to_string()]);
        let none: Vec<Typed<ContainerSummary>> = typed_list(b"null", "list").expect("null");
        assert!(none.is_empty());
        assert!(typed_list::<ContainerSummary>(b"{}", "list").is_err());
    }

    #[test]
    fn unknown_enum_inside_nested_object_is_skipped() {
        let raw = serde_json::json!({
            "Id": "abc",
            "State": { "Status": "hibernating", "Running": false, "Pid": 0 },
            "Config": { "Image": "busybox", "NewField": [1, 2] },
        });
        let t: Typed<ContainerInspectResponse> = Typed::from_value(raw).expect("lenient");
        assert_eq!(t.id.as_deref(), Some("abc"));
        let state = t.state.as_ref().expect("state kept");
        assert!(state.status.is_none());
        assert_eq!(state.running, Some(false));
        assert_eq!(t.unread, vec!["State.Status".to_string()]);
        assert_eq!(t.attrs["State"]["Status"], "hibernating");
    }

    #[test]
    fn wrong_type_in_array_element_drops_element() {
        let raw = serde_json::json!({ "Id": "x", "Args": ["a", 5, "b"] });
        let t: Typed<ContainerInspectResponse> = Typed::from_value(raw).expect("lenient");
        assert_eq!(
            t.args.as_deref(),
            Some(&["a".to_string(), "b".to_string()][..])
        );
        assert_eq!(t.unread, vec!["Args[1]".to_string()]);
    }

    #[test]
    fn not_an_object_is_a_decode_error() {
        let e = Typed::<EventMessage>::from_slice(b"[1,2]").expect_err("array is not an event");
        assert!(matches!(e, Error::Decode(_)), "{e:?}");
        let e = Typed::<EventMessage>::from_slice(b"{nope").expect_err("garbage");
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
