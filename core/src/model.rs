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
use crate::json;
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
/// assert_eq!(ev.unread(), ["Type"]);
/// ```
///
/// The answers read most often (container inspect and list) are decoded *lazily*
/// ([`Typed::lazy_from_slice`]): the body is checked to be JSON when it arrives, and the
/// typed view is decoded on first use — an inspect whose caller only wants the id, the
/// raw JSON or to act on the container never pays for decoding a few hundred fields.
#[derive(Clone)]
pub struct Typed<T> {
    /// The JSON exactly as the daemon sent it (a [`Value`] through `Deref`, parsed on
    /// first use).
    pub attrs: Attrs,
    /// The typed view and what it could not read; empty until first use when lazy.
    /// Boxed: a model is kilobytes (container inspect's over 3 KB), and a response
    /// moves several times on its way to the caller, decoded or not.
    view: OnceLock<Box<View<T>>>,
    /// The typed view of a lazy answer that cannot be read as `T` at all (`T::default`);
    /// `None` for answers decoded when they arrived.
    fallback: Option<fn() -> T>,
    /// The ids of a lazy object answer, read while checking its JSON.
    ids: Option<Box<Ids>>,
}

#[derive(Debug, Clone, PartialEq)]
struct View<T> {
    typed: T,
    /// Paths (`Config.Healthcheck.Test`) of fields the typed view could not read.
    unread: Vec<String>,
}

impl<T> Typed<T> {
    /// A response from its parts: the raw JSON, the typed view, and the paths of fields
    /// the typed view could not read.
    pub fn from_parts(attrs: Attrs, typed: T, unread: Vec<String>) -> Typed<T> {
        Typed {
            attrs,
            view: OnceLock::from(Box::new(View { typed, unread })),
            fallback: None,
            ids: None,
        }
    }

    /// True once the typed view has been decoded (always, unless lazy and unused).
    pub fn is_decoded(&self) -> bool {
        self.view.get().is_some()
    }
}

impl<T: DeserializeOwned> Typed<T> {
    /// Decodes a JSON body.
    pub fn from_slice(body: &[u8]) -> Result<Typed<T>> {
        // Fast path: the typed view straight from the bytes; the raw JSON is kept as
        // bytes and parsed only if someone looks at it (most callers never do). The
        // quick check makes sure it will parse: decoding `T` skips unknown fields
        // without checking them as strictly as `Value` reads them.
        if json::check(body).is_some()
            && let Ok(typed) = serde_json::from_slice::<T>(body)
        {
            return Ok(Typed::from_parts(
                Attrs::from_valid_json(Bytes::copy_from_slice(body)),
                typed,
                Vec::new(),
            ));
        }
        let attrs: Value = serde_json::from_slice(body)
            .map_err(|e| Error::Decode(format!("body is not JSON ({e}): {}", excerpt(body))))?;
        Typed::from_value(attrs)
    }

    /// Decodes an already parsed JSON value.
    pub fn from_value(attrs: Value) -> Result<Typed<T>> {
        let (typed, unread) = decode_lenient(&attrs)?;
        Ok(Typed::from_parts(Attrs::from(attrs), typed, unread))
    }

    /// A JSON object body whose typed view is decoded on first use. The body is checked
    /// to be JSON now (an error here, as with [`from_slice`](Self::from_slice)); a body
    /// that is not an object is decoded now. For models whose fields are all optional
    /// (every field the lenient decode cannot read is left out), so decoding later
    /// cannot fail; should it still (more unreadable fields than the decoder skips),
    /// the typed view is `T::default()` and [`unread`](Self::unread) holds `"."`.
    pub fn lazy_from_slice(body: &[u8]) -> Result<Typed<T>>
    where
        T: Default,
    {
        Typed::lazy_from_bytes(Bytes::copy_from_slice(body))
    }

    /// [`lazy_from_slice`](Self::lazy_from_slice), keeping `body` itself (no copy).
    pub fn lazy_from_bytes(body: Bytes) -> Result<Typed<T>>
    where
        T: Default,
    {
        // One quick pass checks the whole body is JSON and finds the ids on the way.
        if let Some(json::Shape::Object { id, upper_id }) = json::check(&body) {
            let ids = Ids {
                id: id.and_then(|r| json_string(&body[r])),
                upper: upper_id.and_then(|r| json_string(&body[r])),
            };
            return Ok(Typed::lazy_checked(body, Some(Box::new(ids))));
        }
        // Not an object, or JSON only serde_json can judge (it also words the error):
        // decoded now.
        Typed::from_slice(&body)
    }

    /// A lazy answer whose bytes are known to be one JSON object.
    fn lazy_checked(body: Bytes, ids: Option<Box<Ids>>) -> Typed<T>
    where
        T: Default,
    {
        Typed {
            attrs: Attrs::from_valid_json(body),
            view: OnceLock::new(),
            fallback: Some(T::default),
            ids,
        }
    }

    fn view(&self) -> &View<T> {
        self.view.get_or_init(|| {
            if let Some(raw) = self.attrs.raw_json()
                && let Ok(typed) = serde_json::from_slice::<T>(raw)
            {
                return Box::new(View {
                    typed,
                    unread: Vec::new(),
                });
            }
            Box::new(match decode_lenient(self.attrs.value()) {
                Ok((typed, unread)) => View { typed, unread },
                Err(e) => View {
                    typed: match self.fallback {
                        Some(default) => default(),
                        None => unreachable!("answers decoded when they arrived have a view"),
                    },
                    unread: vec![format!(". ({e})")],
                },
            })
        })
    }

    /// The typed view (also reachable through `Deref`).
    pub fn typed(&self) -> &T {
        &self.view().typed
    }

    /// The typed view, to edit.
    pub fn typed_mut(&mut self) -> &mut T {
        let _ = self.view();
        &mut self
            .view
            .get_mut()
            .unwrap_or_else(|| unreachable!("decoded just above"))
            .typed
    }

    /// The typed view, owned.
    pub fn into_typed(self) -> T {
        let _ = self.view();
        match self.view.into_inner() {
            Some(v) => v.typed,
            None => unreachable!("decoded just above"),
        }
    }

    /// Paths (`Config.Healthcheck.Test`) of fields the typed view could not read; the
    /// raw JSON ([`attrs`](Self::attrs)) still has them.
    pub fn unread(&self) -> &[String] {
        &self.view().unread
    }

    /// The object's id: the typed view's (`typed_id`) when it has been decoded and has
    /// one, else the raw JSON's field `key` (`"Id"`, or `"ID"` for swarm objects; a
    /// field the lenient decode had to skip); `None` when empty or absent. A lazy answer
    /// is not decoded for this: its id is read straight from the raw bytes.
    pub fn object_id(
        &self,
        typed_id: impl FnOnce(&T) -> Option<&str>,
        key: &str,
    ) -> Option<String> {
        if let Some(view) = self.view.get() {
            if let Some(id) = typed_id(&view.typed).filter(|id| !id.is_empty()) {
                return Some(id.to_owned());
            }
        } else if let (Some(ids), Some(_)) = (&self.ids, self.attrs.raw_json()) {
            // Read when the answer arrived, and the JSON is unedited since.
            let id = match key {
                "Id" => Some(&ids.id),
                "ID" => Some(&ids.upper),
                _ => None,
            };
            if let Some(id) = id {
                return id.clone().filter(|id| !id.is_empty());
            }
        }
        self.attrs
            .get(key)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }
}

/// The id fields of an object, read without decoding the rest (`None` when absent or
/// not a string).
#[derive(Debug, Clone, Default)]
struct Ids {
    id: Option<String>,
    upper: Option<String>,
}

/// The text of a JSON string token (quotes included) that [`json::check`] accepted.
fn json_string(token: &[u8]) -> Option<String> {
    match token.get(1..token.len() - 1) {
        Some(inner) if !inner.contains(&b'\\') => {
            std::str::from_utf8(inner).ok().map(str::to_owned)
        }
        _ => serde_json::from_slice(token).ok(),
    }
}

impl<T: fmt::Debug> fmt::Debug for Typed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Typed");
        d.field("attrs", &self.attrs);
        match self.view.get() {
            Some(v) => d.field("typed", &v.typed).field("unread", &v.unread),
            None => d.field("typed", &format_args!("<decoded on first use>")),
        };
        d.finish()
    }
}

impl<T: DeserializeOwned + PartialEq> PartialEq for Typed<T> {
    fn eq(&self, other: &Typed<T>) -> bool {
        self.attrs == other.attrs && self.view() == other.view()
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
    /// Raw JSON known to parse into a `Value` ([`json::check`] accepted it).
    fn from_valid_json(raw: Bytes) -> Attrs {
        Attrs {
            raw: Source::Json(raw),
            value: OnceLock::new(),
        }
    }

    /// The daemon's bytes of a whole document not edited since (not list elements).
    pub(crate) fn raw_json(&self) -> Option<&[u8]> {
        match &self.raw {
            Source::Json(raw) => Some(raw),
            Source::Element(..) | Source::None => None,
        }
    }

    /// The parsed JSON.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| match &self.raw {
            Source::Element(list, i) => list.get(*i).cloned().unwrap_or(Value::Null),
            // Cannot fail: the bytes passed `json::check`.
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

impl<T: DeserializeOwned> std::ops::Deref for Typed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.typed()
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
    Ok(Typed::from_parts(attrs.into(), typed, unread))
}

/// A JSON array body as typed items; `null` (the daemon's "nothing") is empty. `what`
/// names the operation in errors.
pub fn typed_list<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<Vec<Typed<T>>> {
    // Fast path, as for one object: the typed views straight from the bytes, one parse;
    // each element's raw JSON comes from one shared parse of the body when first read.
    if json::check(body).is_some()
        && let Ok(items) = serde_json::from_slice::<Vec<T>>(body)
    {
        let list = Arc::new(SharedList {
            raw: Bytes::copy_from_slice(body),
            value: OnceLock::new(),
        });
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, typed)| {
                let attrs = Attrs {
                    raw: Source::Element(Arc::clone(&list), i),
                    value: OnceLock::new(),
                };
                Typed::from_parts(attrs, typed, Vec::new())
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

/// A JSON array body of objects whose typed views are decoded on first use (see
/// [`Typed::lazy_from_slice`]); each item keeps its own slice of the body as raw JSON.
/// `null` is empty. Errors are those of [`typed_list`].
pub fn typed_list_lazy<T: DeserializeOwned + Default>(
    body: &[u8],
    what: &str,
) -> Result<Vec<Typed<T>>> {
    typed_list_lazy_from_bytes(Bytes::copy_from_slice(body), what)
}

/// [`typed_list_lazy`], the items keeping slices of `raw` itself (no copy).
pub fn typed_list_lazy_from_bytes<T: DeserializeOwned + Default>(
    raw: Bytes,
    what: &str,
) -> Result<Vec<Typed<T>>> {
    match json::check(&raw) {
        // Checking the array checked every item's JSON too.
        Some(json::Shape::Array(items)) => items
            .into_iter()
            .map(|r| {
                let item = raw.slice(r);
                if item.first() == Some(&b'{') {
                    Ok(Typed::lazy_checked(item, None))
                } else {
                    Typed::from_slice(&item)
                }
            })
            .collect(),
        // Not an array (`null` is an empty list there), or JSON only serde_json can
        // judge (it also words the error).
        _ => typed_list(&raw, what),
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
        assert_eq!(items[0].unread(), ["Created"]);
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
        assert_eq!(t.unread(), ["State.Status"]);
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
        assert_eq!(t.unread(), ["Args[1]"]);
    }

    #[test]
    fn lazy_answers_check_json_now_and_decode_on_first_use() {
        let raw = br#"{"Id":"abc","Name":"/web","State":{"Status":"hibernating","Running":true},"New":1}"#;
        let t: Typed<ContainerInspectResponse> = Typed::lazy_from_slice(raw).expect("JSON");
        assert!(!t.is_decoded());
        // The id comes from the raw bytes without decoding the view.
        assert_eq!(
            t.object_id(|c| c.id.as_deref(), "Id").as_deref(),
            Some("abc")
        );
        assert!(!t.is_decoded());
        assert_eq!(t.attrs["New"], 1);
        // First use decodes, leniently, exactly as an eager answer.
        assert_eq!(t.name.as_deref(), Some("/web"));
        assert!(t.is_decoded());
        assert_eq!(t.unread(), ["State.Status"]);
        let eager: Typed<ContainerInspectResponse> = Typed::from_slice(raw).expect("eager");
        assert_eq!(t, eager);
        assert_eq!(t.typed(), eager.typed());

        // Not JSON: an error now, as eager; not an object: decoded now, as eager.
        for bad in [&b"{\"Id\":"[..], b"{} trailing", b"{nope"] {
            let e = Typed::<ContainerInspectResponse>::lazy_from_slice(bad).expect_err("not JSON");
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
        }
        let e = Typed::<ContainerInspectResponse>::lazy_from_slice(b"[1]").expect_err("array");
        assert!(matches!(e, Error::Decode(_)), "{e:?}");

        // Edited before first use: the view is decoded from the edited JSON.
        let mut t: Typed<ContainerInspectResponse> = Typed::lazy_from_slice(raw).expect("JSON");
        t.attrs["Id"] = "edited".into();
        assert_eq!(t.id.as_deref(), Some("edited"));
        let mut t: Typed<ContainerInspectResponse> = Typed::lazy_from_slice(raw).expect("JSON");
        t.typed_mut().name = Some("/renamed".into());
        assert_eq!(t.name.as_deref(), Some("/renamed"));
        assert_eq!(t.into_typed().id.as_deref(), Some("abc"));
    }

    #[test]
    fn lazy_answers_read_ids_as_the_raw_json_holds_them() {
        let ids = |raw: &[u8]| {
            let t: Typed<ContainerInspectResponse> = Typed::lazy_from_slice(raw).expect("JSON");
            let id = t.object_id(|c| c.id.as_deref(), "Id");
            let upper = t.object_id(|_| None, "ID");
            (t.is_decoded(), id, upper)
        };
        let s = |v: &str| Some(v.to_owned());
        // Escaped key and value, a repeated key (the last counts, as in `attrs`), a
        // non-string id (none, as `attrs` has no string there).
        assert_eq!(
            ids(br#"{"I\u0064":"a\u0062c","ID":"x"}"#),
            (false, s("abc"), s("x"))
        );
        assert_eq!(ids(br#"{"Id":"a","Id":"b"}"#), (false, s("b"), None));
        assert_eq!(ids(br#"{"Id":5,"ID":""}"#), (false, None, None));
        // JSON the quick check leaves to serde_json (a number near f64's range): decoded
        // now, the same answer.
        let (decoded, id, _) = ids(br#"{"Id":"abc","Size":1e300}"#);
        assert!(decoded);
        assert_eq!(id, s("abc"));

        // A real inspect answer and list, as the daemon sent them.
        let body = crate::stream::tests::capture_body(include_bytes!("../testdata/inspect.http"));
        let t: Typed<ContainerInspectResponse> = Typed::lazy_from_slice(&body).expect("inspect");
        let id = t.object_id(|c| c.id.as_deref(), "Id").expect("an id");
        assert!(!t.is_decoded());
        assert_eq!(Some(id.as_str()), t.attrs["Id"].as_str());
        let labels = t
            .config
            .as_ref()
            .and_then(|c| c.labels.as_ref())
            .expect("labels");
        assert_eq!(labels["text"], "größe ✓");
        let body = crate::stream::tests::capture_body(include_bytes!("../testdata/list.http"));
        let items: Vec<Typed<crate::models::ContainerSummary>> =
            typed_list_lazy(&body, "list").expect("list");
        assert_eq!(items.len(), 2);
        assert!(items.iter().any(|c| c.id.as_deref() == Some(id.as_str())));
    }

    #[test]
    fn json_that_would_not_read_back_is_an_error_now_not_null_later() {
        use crate::models::ContainerSummary;
        // Each in a field the models do not know, which decoding `T` skips: invalid
        // UTF-8 in a string, nesting past serde_json's limit, a number beyond f64.
        let deep = format!(r#"{{"Id":"a","x":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        let bad: [&[u8]; 3] = [
            b"{\"Id\":\"a\",\"x\":\"\xff\"}",
            deep.as_bytes(),
            br#"{"Id":"a","x":1e400}"#,
        ];
        for body in bad {
            let shown = String::from_utf8_lossy(body);
            let e = Typed::<ContainerInspectResponse>::lazy_from_slice(body).expect_err(&shown);
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
            let e = Typed::<ContainerInspectResponse>::from_slice(body).expect_err(&shown);
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
            let list = [b"[".as_slice(), body, b"]"].concat();
            let e = typed_list::<ContainerSummary>(&list, "list").expect_err(&shown);
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
            let e = typed_list_lazy::<ContainerSummary>(&list, "list").expect_err(&shown);
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
        }
        // Valid, but near f64's range: read, and the raw JSON has it.
        let body = br#"{"Id":"a","x":1e300}"#;
        let t = Typed::<ContainerInspectResponse>::lazy_from_slice(body).expect("valid");
        assert_eq!(t.attrs["x"], 1e300);
        let t = Typed::<ContainerInspectResponse>::from_slice(body).expect("valid");
        assert_eq!(t.attrs["x"], 1e300);
        let items = typed_list::<ContainerSummary>(b"[{\"x\":1e300}]", "list").expect("valid");
        assert_eq!(items[0].attrs["x"], 1e300);
    }

    #[test]
    fn lazy_lists_slice_the_body_per_item() {
        use crate::models::ContainerSummary;
        let body = br#" [ {"Id":"a","Names":["/one"],"New":1} , {"Id":"b","Created":"x"} ] "#;
        let items: Vec<Typed<ContainerSummary>> = typed_list_lazy(body, "list").expect("list");
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|i| !i.is_decoded()));
        assert_eq!(
            items[1].object_id(|c| c.id.as_deref(), "Id").as_deref(),
            Some("b")
        );
        assert_eq!(
            items[0].attrs,
            serde_json::json!({"Id":"a","Names":["/one"],"New":1})
        );
        assert_eq!(items[1].unread(), ["Created"]);
        assert_eq!(items[0].names.as_deref(), Some(&["/one".to_string()][..]));
        assert!(
            typed_list_lazy::<ContainerSummary>(b"null", "list")
                .expect("null")
                .is_empty()
        );
        assert!(
            typed_list_lazy::<ContainerSummary>(b"[]", "list")
                .expect("empty")
                .is_empty()
        );
        for bad in [&b"{}"[..], b"[1,", b"[{}] x"] {
            let e = typed_list_lazy::<ContainerSummary>(bad, "list").expect_err("not a list");
            assert!(matches!(e, Error::Decode(_)), "{e:?}");
        }
        // An item that is not an object is decoded now, like the eager list would.
        let e = typed_list_lazy::<ContainerSummary>(b"[{},5]", "list").expect_err("5");
        assert!(matches!(e, Error::Decode(_)), "{e:?}");
    }

    #[test]
    fn lazy_answer_the_model_cannot_read_at_all_keeps_its_raw_json() {
        // More unreadable fields (numbers where label strings belong) than the lenient
        // decoder skips: the view is the default, `unread` says why, the JSON is whole.
        let labels: serde_json::Map<String, Value> = (0..(MAX_SKIPPED_FIELDS + 5))
            .map(|i| (format!("l{i}"), serde_json::json!(i)))
            .collect();
        let body =
            serde_json::to_vec(&serde_json::json!({"Id": "x", "Config": {"Labels": labels}}))
                .expect("json");
        let t: Typed<ContainerInspectResponse> = Typed::lazy_from_slice(&body).expect("JSON");
        assert_eq!(t.typed(), &ContainerInspectResponse::default());
        assert_eq!(t.unread().len(), 1);
        assert!(t.unread()[0].starts_with(". ("), "{:?}", t.unread());
        assert_eq!(t.attrs["Config"]["Labels"]["l3"], 3);
        assert_eq!(t.object_id(|c| c.id.as_deref(), "Id").as_deref(), Some("x"));
    }

    #[test]
    fn not_an_object_is_a_decode_error() {
        let e = Typed::<EventMessage>::from_slice(b"[1,2]").expect_err("array is not an event");
        assert!(matches!(e, Error::Decode(_)), "{e:?}");
        let e = Typed::<EventMessage>::from_slice(b"{nope").expect_err("garbage");
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
