//! A view of a JavaScript or JSON value: the plain data the host copied from the caller's
//! configuration, and the members of a token response ([`crate::json::read`] picks them).

#[allow(unused_imports)]
use crate::prelude::*;

/// One value. Arrays and objects carry their contents only as deep as the host copied them:
/// configuration entries two levels (for `extraParams`), the members of a token response not at
/// all (their contents are empty; only the kind matters there).
#[derive(Clone, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
    /// A function (a cache's `get`, a signal's `addEventListener`).
    Function,
    /// Symbols, bigints: anything else JSON cannot hold.
    Other,
}

impl Value {
    /// The value's kind, as used in error messages ("expected a string, got a number").
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
            Value::Function => "a function",
            Value::Other => "a non-JSON value",
        }
    }
}

// Debug never prints string contents: a value may be a secret.
impl core::fmt::Debug for Value {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.kind())
    }
}

/// A parsed JSON document, as far as the core cares: an object's members, or what it was instead.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// A JSON object's members in document order (a repeated key appears as the host's parser
    /// kept it; `JSON.parse` keeps the last).
    Object(Vec<(String, Value)>),
    /// Valid JSON that is not an object; the kind as [`Value::kind`] names it.
    NotObject(&'static str),
    /// Not JSON at all.
    Invalid,
}

impl Json {
    /// Looks a member up by name (the last occurrence wins, as in `JSON.parse`).
    pub fn member<'a>(members: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
        members.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod testing {
    //! Native stand-ins for the host's parsers, used by the unit tests and the fuzz targets
    //! (`fuzz/` turns on the `testing` feature).
    use super::{Json, Value};

    pub fn shallow(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::INFINITY)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(_) => Value::Array(Vec::new()),
            serde_json::Value::Object(_) => Value::Object(Vec::new()),
        }
    }

    /// The core's reader on `text` (Rust's float parser standing in for the host's
    /// `parseFloat`), checked against serde_json (strict RFC 8259, like `JSON.parse`): the same
    /// verdict, kind and picked members, except where serde_json is stricter than `JSON.parse`
    /// (unpaired surrogate escapes, numbers beyond f64). Panics on a disagreement.
    pub fn read_checked(text: &str, names: &[&str]) -> Json {
        let ours = crate::json::read(text, names, crate::response::MAX_NESTING, &|t| t.parse().unwrap_or(f64::NAN));
        let stricter = serde_json::from_str::<serde_json::Value>(text)
            .is_err_and(|e| e.to_string().contains("surrogate") || e.to_string().contains("out of range"));
        if !stricter {
            match (&ours, &parse_json(text)) {
                (Json::Object(a), Json::Object(b)) => {
                    for name in names {
                        assert_eq!(Json::member(a, name), Json::member(b, name), "{name} in {text:?}");
                    }
                }
                (ours, theirs) => assert_eq!(ours, theirs, "{text:?}"),
            }
        }
        ours
    }

    /// serde_json's reading of a JSON text, as the core's reader reports it: the reference the
    /// reader is checked against.
    pub fn parse_json(text: &str) -> Json {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => Json::Object(m.iter().map(|(k, v)| (k.clone(), shallow(v))).collect()),
            Ok(other) => Json::NotObject(shallow(&other).kind()),
            Err(_) => Json::Invalid,
        }
    }
}
