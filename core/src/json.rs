//! JSON text written member by member (RFC 8259), without a serializer: the JWT's header and
//! claims, and the steps the wasm module hands to JavaScript (parsed there once by `JSON.parse`).

#[allow(unused_imports)]
use crate::prelude::*;

use crate::decimal;

/// The largest integer a JavaScript number holds exactly (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

/// A JSON object written member by member, in order.
pub struct JsonObject(String);

impl Default for JsonObject {
    fn default() -> Self {
        JsonObject(String::from("{"))
    }
}

impl JsonObject {
    fn name(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_string(&mut self.0, name);
        self.0.push(':');
    }

    pub fn string(&mut self, name: &str, value: &str) {
        self.name(name);
        push_string(&mut self.0, value);
    }

    pub fn integer(&mut self, name: &str, value: i64) {
        self.name(name);
        if value < 0 {
            self.0.push('-');
        }
        self.0.push_str(&decimal(value.unsigned_abs()));
    }

    /// A number that is an exact integer (|n| ≤ 2^53); false, and nothing written, for any
    /// other (JSON has no Infinity, and a fraction would need a float formatter).
    pub fn number(&mut self, name: &str, value: f64) -> bool {
        let exact = (-EXACT..=EXACT).contains(&value) && value as i64 as f64 == value;
        if exact {
            self.integer(name, value as i64);
        }
        exact
    }

    pub fn boolean(&mut self, name: &str, value: bool) {
        self.name(name);
        self.0.push_str(if value { "true" } else { "false" });
    }

    pub fn strings<'a>(&mut self, name: &str, values: impl IntoIterator<Item = &'a str>) {
        self.name(name);
        self.0.push('[');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            push_string(&mut self.0, v);
        }
        self.0.push(']');
    }

    /// Pairs as an array of two-string arrays: `[["name","value"],...]` (a fetch's headers).
    pub fn pairs<'a>(&mut self, name: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
        self.name(name);
        self.0.push('[');
        for (i, (a, b)) in pairs.into_iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            self.0.push('[');
            push_string(&mut self.0, a);
            self.0.push(',');
            push_string(&mut self.0, b);
            self.0.push(']');
        }
        self.0.push(']');
    }

    /// A member whose value is another object, written whole.
    pub fn object(&mut self, name: &str, value: JsonObject) {
        self.name(name);
        self.0.push_str(&value.finish());
    }

    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped; the runs
/// between them copied whole.
fn push_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        // `i` is an ASCII byte's index, so a char boundary (`get` never panics).
        out.push_str(s.get(run..i).unwrap_or_default());
        run = i + 1;
        match escaped {
            Some(e) => out.push_str(e),
            None => {
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_in_order() {
        let mut o = JsonObject::default();
        o.integer("n", -5);
        o.integer("m", 1_700_000_000);
        o.boolean("b", false);
        o.strings("s", ["x", "\""]);
        o.pairs("h", [("A", "1"), ("B", "\u{1}")]);
        let mut inner = JsonObject::default();
        inner.string("k", "v");
        o.object("o", inner);
        assert_eq!(
            o.finish(),
            r#"{"n":-5,"m":1700000000,"b":false,"s":["x","\""],"h":[["A","1"],["B","\u0001"]],"o":{"k":"v"}}"#
        );
        assert_eq!(JsonObject::default().finish(), "{}");
    }

    #[test]
    fn numbers_only_when_exact() {
        let mut o = JsonObject::default();
        assert!(o.number("a", 1_700_000_000_000.0));
        assert!(o.number("b", -3.0));
        assert!(!o.number("c", 0.5));
        assert!(!o.number("d", f64::INFINITY));
        assert!(!o.number("e", f64::NEG_INFINITY));
        assert!(!o.number("f", f64::NAN));
        assert!(!o.number("g", 1e300));
        assert_eq!(o.finish(), r#"{"a":1700000000000,"b":-3}"#);
    }

    #[test]
    fn every_code_point_round_trips() {
        let all: String = (0..=0x10ffff).filter_map(char::from_u32).collect();
        let mut o = JsonObject::default();
        o.string("all", &all);
        let parsed: serde_json::Value = serde_json::from_str(&o.finish()).unwrap();
        assert_eq!(parsed["all"], all.as_str());
    }
}
