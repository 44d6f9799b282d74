//! Request bodies read the way the daemon (Go's `encoding/json`) reads them.
//!
//! Go matches object keys to struct fields case-insensitively (with Unicode simple
//! folding: `ſ` is `s`, `K` (Kelvin) is `k`) and lets the last duplicate win, so
//! `{"Privileged":false,"privileged":true}` is a privileged container. The policy
//! refuses any object with two keys equal under that folding (rule `ambiguous-json`)
//! and looks keys up under the same folding. Trailing data after the value is refused
//! too (Go's decoder would ignore it; serde would not see it).
//!
//! Checked against dockerd 20.10.24: a create body with `"HostConfig":{"Bindſ":[…]}`
//! gets those binds, and one with a top-level `"privileged":true` (the deprecated
//! embedded host config) gets a privileged container.
//!
//! Maps in Go structs (`Labels`, `Sysctls`, driver options) match keys exactly; the
//! duplicate rule applies to them as well, which only refuses label sets that differ
//! in case alone.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Folds a key the way Go's `encoding/json` compares keys (over-folding is safe here:
/// it can only make the policy stricter).
pub(crate) fn fold(key: &str) -> String {
    key.chars()
        .flat_map(char::to_lowercase)
        .flat_map(char::to_uppercase)
        .collect()
}

/// Why a body was refused.
#[derive(Debug)]
pub(crate) enum JsonProblem {
    /// Two keys of one object are equal when compared like Go does.
    Duplicate(String),
    /// Not JSON.
    Malformed(String),
}

impl fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonProblem::Duplicate(k) => write!(
                f,
                "the body repeats the key {k:?} (keys are compared case-insensitively, the daemon would take the last)"
            ),
            JsonProblem::Malformed(e) => write!(f, "the body is not valid JSON: {e}"),
        }
    }
}

const DUP_MARK: &str = "berth-policy-duplicate-key:";

struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(Strict)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut seen = HashSet::new();
        while let Some(k) = map.next_key::<String>()? {
            if !seen.insert(fold(&k)) {
                return Err(de::Error::custom(format_args!("{DUP_MARK}{k}")));
            }
            let v = map.next_value_seed(Strict)?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parses a whole body strictly (see the module docs).
pub(crate) fn parse_strict(body: &[u8]) -> Result<Value, JsonProblem> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let v = Strict.deserialize(&mut de).map_err(|e| {
        let msg = e.to_string();
        match msg.find(DUP_MARK) {
            Some(i) => {
                let rest = &msg[i + DUP_MARK.len()..];
                let key = rest.split(" at line").next().unwrap_or(rest);
                JsonProblem::Duplicate(key.to_owned())
            }
            None => JsonProblem::Malformed(msg),
        }
    })?;
    de.end()
        .map_err(|e| JsonProblem::Malformed(e.to_string()))?;
    Ok(v)
}

/// Looks up `key` in an object the way Go matches struct fields.
pub(crate) fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    let obj = v.as_object()?;
    if let Some(x) = obj.get(key) {
        return Some(x);
    }
    let f = fold(key);
    obj.iter().find(|(k, _)| fold(k) == f).map(|(_, v)| v)
}

/// Like [`get`], treating JSON `null` as absent.
pub(crate) fn field<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    get(v, key).filter(|x| !x.is_null())
}
