//! A JSON-shaped value tree, deserialisable from any serde format (serde_json in the CLI, serde-wasm-bindgen in
//! the bindings), so that playbooks and events are parsed by core with **every** problem located — a typed
//! serde derive would stop at the first one.
//!
//! Objects keep their keys in document order and keep duplicates, so the parser can report `duplicate_key`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON-shaped value.
///
/// ```
/// # use rekindle_core::Value;
/// let v = Value::Object(vec![("points".into(), Value::Number(10.0))]);
/// assert_eq!(v.get("points"), Some(&Value::Number(10.0)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` (and JS `undefined`).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any number; integers beyond 2^53 lose precision, as in JS.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, keys in document order, duplicates kept.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The first value under `key`, when this is an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The JSON type name, for messages: "a string", "an array", ….
    pub fn kind_name(&self) -> &'static str {
        self.as_value_ref().kind_name()
    }

    /// This value one level deep: scalars borrowed, containers named.
    pub fn as_value_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Number(n) => ValueRef::Number(*n),
            Value::String(s) => ValueRef::Str(s),
            Value::Array(_) => ValueRef::Array,
            Value::Object(_) => ValueRef::Object,
        }
    }
}

/// A JSON-shaped value one level deep, borrowed: scalars as they are, containers only named (their contents
/// arrive through further calls). Lets a binding read events straight from its own encoding (the wasm byte
/// tape) into core's event reader, without building a [`Value`] tree first.
///
/// ```
/// # use rekindle_core::value::{Value, ValueRef};
/// assert_eq!(Value::String("x".into()).as_value_ref(), ValueRef::Str("x"));
/// assert_eq!(ValueRef::Object.kind_name(), "an object");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any number.
    Number(f64),
    /// A string.
    Str(&'a str),
    /// An array (contents not shown).
    Array,
    /// An object (contents not shown).
    Object,
}

impl ValueRef<'_> {
    /// The JSON type name, for messages: "a string", "an array", …. A non-finite number is named for what it
    /// is ("NaN", "Infinity", "-Infinity"): JSON has none, but the wasm tape carries JS numbers as they are, and
    /// "expected a number, got a number" would hide the cause.
    ///
    /// ```
    /// # use rekindle_core::value::ValueRef;
    /// assert_eq!(ValueRef::Number(f64::NAN).kind_name(), "NaN");
    /// ```
    pub fn kind_name(self) -> &'static str {
        match self {
            ValueRef::Null => "null",
            ValueRef::Bool(_) => "a boolean",
            ValueRef::Number(n) if n.is_nan() => "NaN",
            ValueRef::Number(n) if n == f64::INFINITY => "Infinity",
            ValueRef::Number(n) if n == f64::NEG_INFINITY => "-Infinity",
            ValueRef::Number(_) => "a number",
            ValueRef::Str(_) => "a string",
            ValueRef::Array => "an array",
            ValueRef::Object => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.into()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Deserialize::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key::<KeyString>()? {
            entries.push((key.0, map.next_value()?));
        }
        Ok(Value::Object(entries))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        // Bytes have no JSON form; keep them visible as an array of numbers rather than dropping them.
        Ok(Value::Array(v.iter().map(|b| Value::Number(f64::from(*b))).collect()))
    }
}

/// Map keys arrive as strings in JSON but as numbers from some formats; both become text.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct K;
        impl Visitor<'_> for K {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyString, E> {
                Ok(KeyString(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(alloc::format!("{v}")))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(alloc::format!("{v}")))
            }
        }
        d.deserialize_any(K)
    }
}
