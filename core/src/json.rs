//! JSON text (RFC 8259) written member by member, without a serializer: the JWT's header and
//! claims, and the steps the wasm module hands to JavaScript (parsed there once by `JSON.parse`);
//! and read, for the members of a token response the core looks at ([`read`]).

#[allow(unused_imports)]
use crate::prelude::*;

use crate::decimal;
use crate::value::{Json, Value};

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

    /// A member whose value is JSON text already (one [`read`] accepted, or `JSON.stringify`'s).
    pub fn raw(&mut self, name: &str, json: &str) {
        self.name(name);
        self.0.push_str(json);
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

/// Reads a JSON text as strictly as ECMA-262's `JSON.parse` (RFC 8259's grammar; only space, tab,
/// LF and CR as whitespace) and picks the top-level object's members named in `names`, in document
/// order (a repeated one appears each time; [`Json::member`] takes the last, as `JSON.parse`
/// does). A picked array or object comes with no contents (only its kind matters to the core).
/// Numbers that are not integers of at most 15 digits are converted by `number` (the host's,
/// whose conversion `JSON.parse` also uses). Nesting deeper than `max_depth` is `Json::Invalid`.
pub fn read(text: &str, names: &[&str], max_depth: usize, number: &dyn Fn(&str) -> f64) -> Json {
    let mut r = Reader { text, at: 0, number, max_depth, names, picked: Vec::new() };
    r.space();
    let top = r.value(0);
    r.space();
    match top {
        _ if r.at != text.len() => Json::Invalid,
        Some(Value::Object(_)) => Json::Object(r.picked),
        Some(v) => Json::NotObject(v.kind()),
        None => Json::Invalid,
    }
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    number: &'a dyn Fn(&str) -> f64,
    max_depth: usize,
    /// The top-level object's members to pick, and those picked.
    names: &'a [&'a str],
    picked: Vec<(String, Value)>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        self.at += usize::from(found);
        found
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// A value at `depth` (the top level is 0); arrays and objects are read through and come
    /// back empty, the top-level object's members named in `names` picked on the way.
    fn value(&mut self, depth: usize) -> Option<Value> {
        Some(match self.peek()? {
            b'"' => Value::String(self.string()?),
            open @ (b'{' | b'[') if depth < self.max_depth => {
                self.at += 1;
                let object = open == b'{';
                let close = open + 2; // '}' or ']'
                self.space();
                if !self.eat(close) {
                    loop {
                        self.space();
                        let mut name = None;
                        if object {
                            name = Some(self.string()?);
                            self.space();
                            self.eat(b':').then_some(())?;
                            self.space();
                        }
                        let v = self.value(depth + 1)?;
                        if let Some(name) = name.filter(|n| depth == 0 && self.names.contains(&n.as_str())) {
                            self.picked.push((name, v));
                        }
                        self.space();
                        match self.next()? {
                            b',' => {}
                            c if c == close => break,
                            _ => return None,
                        }
                    }
                }
                if object {
                    Value::Object(Vec::new())
                } else {
                    Value::Array(Vec::new())
                }
            }
            b't' => self.word("true", Value::Bool(true))?,
            b'f' => self.word("false", Value::Bool(false))?,
            b'n' => self.word("null", Value::Null)?,
            b'-' | b'0'..=b'9' => Value::Number(self.number()?),
            _ => return None,
        })
    }

    fn word(&mut self, word: &str, value: Value) -> Option<Value> {
        let found = self.text.get(self.at..)?.starts_with(word);
        self.at += word.len();
        found.then_some(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` (RFC 8259 §6).
    fn number(&mut self) -> Option<f64> {
        let start = self.at;
        let negative = self.eat(b'-');
        let int_start = self.at;
        let int = self.digits();
        if int == 0 || (int > 1 && self.text.as_bytes().get(int_start) == Some(&b'0')) {
            return None;
        }
        let mut exact = int <= 15;
        if self.eat(b'.') {
            exact = false;
            (self.digits() > 0).then_some(())?;
        }
        if self.eat(b'e') || self.eat(b'E') {
            exact = false;
            let _ = self.eat(b'+') || self.eat(b'-');
            (self.digits() > 0).then_some(())?;
        }
        let text = self.text.get(start..self.at)?;
        if !exact {
            return Some((self.number)(text));
        }
        let n = text.bytes().skip(usize::from(negative)).fold(0.0, |n, b| n * 10.0 + f64::from(b - b'0'));
        Some(if negative { -n } else { n })
    }

    /// A string (§7), its escapes decoded; an unpaired surrogate becomes U+FFFD, as when the host
    /// hands a JavaScript string over as UTF-8.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"').then_some(())?;
        let mut out = String::new();
        let mut run = self.at;
        loop {
            match self.peek()? {
                b'"' => break,
                0..=0x1f => return None,
                b'\\' => {
                    out.push_str(self.text.get(run..self.at)?);
                    self.at += 1;
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return None,
                    };
                    out.push(c);
                    run = self.at;
                }
                _ => self.at += 1,
            }
        }
        out.push_str(self.text.get(run..self.at)?);
        self.at += 1;
        Some(out)
    }

    /// The character of a `\uXXXX` escape whose `\u` is read: a surrogate pair's two escapes
    /// make one.
    fn escaped_char(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if (0xd800..0xdc00).contains(&high) && self.text.get(self.at..)?.starts_with("\\u") {
            let back = self.at;
            self.at += 2;
            let low = self.hex4()?;
            if (0xdc00..0xe000).contains(&low) {
                return char::from_u32(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00));
            }
            self.at = back;
        }
        Some(char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            n = n * 16 + char::from(self.next()?).to_digit(16)?;
        }
        Some(n)
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

    /// The reader with Rust's own float parser standing in for the host's.
    fn read_all(text: &str) -> Json {
        read(text, &["a", "b", "c"], 64, &|t| t.parse().unwrap())
    }

    fn object(members: &[(&str, Value)]) -> Json {
        Json::Object(members.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
    }

    #[test]
    fn reads_the_named_members() {
        let s = |v: &str| Value::String(v.to_owned());
        assert_eq!(
            read_all(
                " {\"a\": \"x\\ny\", \"z\": {\"a\": [1, {\"b\": 2}]}, \"b\": [1,2], \"c\": -1.5e2, \"a\": true}\r\n"
            ),
            object(&[
                ("a", s("x\ny")),
                ("b", Value::Array(Vec::new())),
                ("c", Value::Number(-150.0)),
                ("a", Value::Bool(true))
            ])
        );
        assert_eq!(read_all("{}"), object(&[]));
        assert_eq!(read_all("{\"c\":{},\"b\":null}"), object(&[("c", Value::Object(Vec::new())), ("b", Value::Null)]));
        assert_eq!(read_all("[{\"a\":1}]"), Json::NotObject("an array"));
        assert_eq!(read_all("\"a\""), Json::NotObject("a string"));
        assert_eq!(read_all("-0"), Json::NotObject("a number"));
        assert_eq!(read_all("null"), Json::NotObject("null"));
    }

    #[test]
    fn numbers_and_escapes() {
        let one = |t: &str| match read_all(&["{\"a\":", t, "}"].concat()) {
            Json::Object(m) => m[0].1.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(one("3600"), Value::Number(3600.0));
        assert_eq!(one("999999999999999"), Value::Number(999_999_999_999_999.0));
        assert_eq!(one("12345678901234567890"), Value::Number(12_345_678_901_234_567_890.0));
        assert_eq!(one("0.1"), Value::Number(0.1));
        assert_eq!(one("1E+2"), Value::Number(100.0));
        assert!(matches!(one("-0"), Value::Number(n) if n == 0.0 && n.is_sign_negative()));
        assert_eq!(one(r#""\u00e9\ud83d\udd11\/\"\\\b\f\t\r""#), Value::String("é\u{1F511}/\"\\\u{8}\u{c}\t\r".into()));
        // Unpaired surrogates: U+FFFD each, as a JavaScript string handed over as UTF-8.
        assert_eq!(one(r#""\ud800\ud800\udc00x\udc00""#), Value::String("\u{FFFD}\u{10000}x\u{FFFD}".into()));
        assert_eq!(one("\"é🔑\""), Value::String("é🔑".into()));
    }

    #[test]
    fn refuses_what_json_parse_refuses() {
        for bad in [
            "",
            " ",
            "{",
            "}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "{'a':1}",
            "[1,]",
            "[,1]",
            "01",
            "+1",
            ".5",
            "5.",
            "1e",
            "1e+",
            "1e.5",
            "1.e5",
            "-",
            "--1",
            "0x1",
            "NaN",
            "Infinity",
            "tru",
            "nul",
            "True",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u+123\"",
            "\"\t\"",
            "\"\u{0}\"",
            "{} {}",
            "{}x",
            "1 2",
            "/**/{}",
            "{\"a\":1}//",
            "\u{a0}{}",
            "\u{feff}{}",
            "{\"a\":[}",
            "[\"a\":1]",
            "{\"a\"}",
        ] {
            assert_eq!(read_all(bad), Json::Invalid, "{bad:?}");
        }
    }

    #[test]
    fn nesting_is_limited() {
        let nested = |n: usize| ["[".repeat(n), "]".repeat(n)].concat();
        assert_eq!(read(&nested(3), &[], 3, &|_| 0.0), Json::NotObject("an array"));
        assert_eq!(read(&nested(4), &[], 3, &|_| 0.0), Json::Invalid);
        assert_eq!(read("{\"a\":{\"b\":{}}}", &["a"], 3, &|_| 0.0), object(&[("a", Value::Object(Vec::new()))]));
        assert_eq!(read("{\"a\":{\"b\":{\"c\":1}}}", &["a"], 2, &|_| 0.0), Json::Invalid);
    }

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
