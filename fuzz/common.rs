//! Shared by the fuzz targets: the host's parsers done natively, and generators of
//! configuration values that reach past the first checks.
#![allow(dead_code)]

use arbitrary::{Result, Unstructured};
use oauth_token_core::config::{UrlParts, CONNECTION_KEYS, KEYS};
use oauth_token_core::value::Value;

/// The host's WHATWG URL parser, natively (the url crate implements the same standard).
pub fn parse_url(s: &str) -> Option<UrlParts> {
    let u = url::Url::parse(s).ok()?;
    let hostname = match u.host()? {
        url::Host::Ipv6(a) => ["[", &a.to_string(), "]"].concat(),
        h => h.to_string(),
    };
    Some(UrlParts {
        href: u.as_str().to_owned(),
        protocol: [u.scheme(), ":"].concat(),
        hostname,
        has_credentials: !u.username().is_empty() || u.password().is_some(),
    })
}

/// What the adapter does with a response's JSON text (the core's reader), checked against
/// serde_json on every text.
pub fn read_json(text: &str) -> oauth_token_core::value::Json {
    oauth_token_core::value::testing::read_checked(text, &oauth_token_core::response::MEMBERS)
}

/// Strings the configuration recognises, so that generated configurations get past the
/// first checks often.
const WORDS: &[&str] = &[
    "https://auth.example.com/oauth2/token",
    "http://127.0.0.1:8080/token",
    "http://localhost/t",
    "http://[::1]:9/t",
    "http://example.com/t",
    "https://u:p@auth.example.com/t",
    "client_credentials",
    "password",
    "refresh_token",
    "header",
    "body",
    "form",
    "none",
    "verify",
    "trust",
    "off",
    "read write",
    "Authorization",
    "Bearer",
    "",
];

pub fn string(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => (*u.choose(WORDS)?).to_owned(),
        _ => u.arbitrary::<String>()?,
    })
}

pub fn number(u: &mut Unstructured<'_>) -> Result<f64> {
    const SPECIAL: &[f64] = &[0.0, -0.0, 1.0, -1.0, 0.5, 30.0, 86_400.0, 86_401.0, 2_147_483.0, 2_147_484.0,
        4_294_967_296.0, 4_294_967_297.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN_POSITIVE, 1e-300];
    Ok(if u.arbitrary()? { *u.choose(SPECIAL)? } else { u.arbitrary()? })
}

/// Any value; containers nest at most `depth` levels.
pub fn value(u: &mut Unstructured<'_>, depth: u8) -> Result<Value> {
    let top = if depth == 0 { 5 } else { 7 };
    Ok(match u.int_in_range(0..=top + 1)? {
        0 => Value::Undefined,
        1 => Value::Null,
        2 => Value::Bool(u.arbitrary()?),
        3 => Value::Number(number(u)?),
        4 | 5 => Value::String(string(u)?),
        6 if depth > 0 => Value::Array(items(u, depth)?),
        7 if depth > 0 => Value::Object(members(u, depth)?),
        _ => Value::Other,
    })
}

fn items(u: &mut Unstructured<'_>, depth: u8) -> Result<Vec<Value>> {
    let n = u.int_in_range(0..=4u8)?;
    (0..n).map(|_| value(u, depth - 1)).collect()
}

fn members(u: &mut Unstructured<'_>, depth: u8) -> Result<Vec<(String, Value)>> {
    let n = u.int_in_range(0..=4u8)?;
    (0..n).map(|_| Ok((string(u)?, value(u, depth - 1)?))).collect()
}

/// Configuration entries: mostly known keys (never repeated, as `Object.entries` gives them).
pub fn entries(u: &mut Unstructured<'_>) -> Result<Vec<(String, Value)>> {
    let n = u.int_in_range(0..=12u8)?;
    let mut out: Vec<(String, Value)> = Vec::new();
    for _ in 0..n {
        let key = match u.int_in_range(0..=9u8)? {
            0 => u.arbitrary::<String>()?,
            _ => (*u.choose(&[KEYS, CONNECTION_KEYS].concat())?).to_owned(),
        };
        if out.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let v = value(u, 2)?;
        out.push((key, v));
    }
    Ok(out)
}

/// RFC 6750 §2.1 b64token, written independently of the core's check.
pub fn is_b64token(t: &str) -> bool {
    let body = t.trim_end_matches('=');
    !body.is_empty()
        && body.chars().all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c))
}
