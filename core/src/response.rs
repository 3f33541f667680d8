//! Interpreting the token endpoint's answer: RFC 6749 §5.1 (success) and §5.2 (error).
//! The body is read as JSON ([`crate::json::read`]) where [`json_text`] says; this module decides
//! what the members read mean. Messages name fields, never quote a 2xx body: it may hold a token.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::concat;
use crate::error::Error;
use crate::secret::{AccessToken, RefreshToken};
use crate::value::{Json, Value};

/// What the adapter read from the host's `Response`.
#[derive(Debug, Clone, Copy)]
pub struct HttpResponse<'a> {
    /// The status; 0 for a browser's opaque redirect.
    pub status: u16,
    /// A browser answered `redirect: 'manual'` with an opaque redirect (status 0).
    pub opaque_redirect: bool,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// A successful token response (§5.1).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    /// As the server spelled it (§7.1: compared case-insensitively).
    pub token_type: String,
    /// Seconds, as sent (a numeric string is accepted: Azure AD v1 sends `"3599"`).
    pub expires_in: Option<f64>,
    /// `now` at receipt plus `expires_in`, in epoch milliseconds.
    pub expires_at: Option<f64>,
    pub scope: Option<String>,
    pub refresh_token: Option<RefreshToken>,
}

/// `Content-Length` above the limit: refuse before reading the body.
pub fn check_declared_length(content_length: Option<&str>, limit: u64) -> Result<(), Error> {
    match content_length.and_then(|v| v.trim_ascii().parse::<u64>().ok()) {
        Some(n) if n > limit => Err(Error::ResponseTooLarge { limit }),
        _ => Ok(()),
    }
}

/// The body grew past the limit while being read.
pub fn check_body_length(read_so_far: u64, limit: u64) -> Result<(), Error> {
    if read_so_far > limit {
        Err(Error::ResponseTooLarge { limit })
    } else {
        Ok(())
    }
}

/// Redirect statuses (RFC 9110 §15.4) that `redirect: manual` hands back instead of following.
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Whether the media type's essence (before any `;`, trimmed) is `text/html`, in any case.
fn is_html(content_type: Option<&str>) -> bool {
    content_type.and_then(|c| c.split(';').next()).is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case("text/html"))
}

/// The host's fetch (or a polyfill) did not return a real Response: no object, or no HTTP status.
pub fn not_a_response() -> Error {
    Error::InvalidResponse {
        status: 0,
        content_type: None,
        reason: String::from("the host's fetch returned no HTTP response"),
    }
}

/// Every member of a token response [`interpret`] reads (§5.1, §5.2); it reads no other, so the
/// host hands over only these.
pub const MEMBERS: [&str; 8] =
    ["access_token", "token_type", "expires_in", "scope", "refresh_token", "error", "error_description", "error_uri"];

/// The deepest nesting of arrays and objects a token response may have. A token response is flat;
/// a limit keeps a hostile one from exhausting a parser's or a serializer's stack.
pub const MAX_NESTING: usize = 64;

/// The text of a body the host should parse as JSON: UTF-8 (RFC 8259 §8.1, a leading BOM
/// ignored), not blank (JSON's whitespace is ASCII, §2), not declared `text/html`, and nested at
/// most [`MAX_NESTING`] levels. `None`: nothing to parse.
pub fn json_text<'a>(body: &'a [u8], content_type: Option<&str>) -> Option<&'a str> {
    let text = utf8_text(body)?;
    (!text.trim_ascii().is_empty() && !is_html(content_type) && !too_deep(text)).then_some(text)
}

/// Whether brackets and braces outside JSON strings nest deeper than [`MAX_NESTING`].
fn too_deep(text: &str) -> bool {
    nests_deeper_than(text, MAX_NESTING)
}

/// Whether brackets and braces outside JSON strings nest deeper than `limit` (a stored cache
/// entry holds a token response one level down: `MAX_NESTING + 1`).
pub fn nests_deeper_than(text: &str, limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in text.bytes() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'[' | b'{') => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn utf8_text(body: &[u8]) -> Option<&str> {
    core::str::from_utf8(body).ok().map(|t| t.strip_prefix('\u{feff}').unwrap_or(t))
}

/// Interprets a response. `parse_json` reads JSON text into the members; `now_ms` the host clock at
/// receipt (epoch milliseconds).
pub fn interpret(
    resp: &HttpResponse<'_>,
    parse_json: &mut dyn FnMut(&str) -> Json,
    now_ms: f64,
) -> Result<TokenResponse, Error> {
    let parsed = json_text(resp.body, resp.content_type).map_or(Json::Invalid, parse_json);
    interpret_parsed(resp, parsed, now_ms)
}

/// Interprets a response whose [`json_text`] the host parsed into `parsed` (`Json::Invalid`
/// when there was nothing to parse).
pub fn interpret_parsed(resp: &HttpResponse<'_>, parsed: Json, now_ms: f64) -> Result<TokenResponse, Error> {
    let status = resp.status;
    if resp.opaque_redirect || is_redirect(status) {
        return Err(Error::UnexpectedRedirect { status });
    }
    if !(100..=599).contains(&status) {
        return Err(not_a_response());
    }
    // Copied only into an error: a token response needs no owned copy.
    let content_type = || resp.content_type.map(crate::text::clean);
    let invalid =
        |reason: &str| Error::InvalidResponse { status, content_type: content_type(), reason: reason.to_owned() };
    let success = (200..300).contains(&status);
    let text = utf8_text(resp.body);
    let html = is_html(resp.content_type);
    if success && text.is_some_and(too_deep) {
        return Err(invalid("the JSON nests deeper than 64 levels"));
    }

    if !success {
        // §5.2: an error body wins over whatever else the response says (WWW-Authenticate too).
        if let Json::Object(members) = &parsed {
            if let Some(e) = oauth_error(status, members) {
                return Err(e);
            }
        }
        let detail = if status == 401 {
            ": the client was not authenticated; check clientId, clientSecret and clientAuthentication"
        } else if text.map_or(true, |t| t.trim_ascii().is_empty()) {
            " with an empty body"
        } else {
            " without an OAuth error body (RFC 6749 section 5.2)"
        };
        return Err(Error::HttpStatus { status, content_type: content_type(), detail });
    }

    let members = match parsed {
        Json::Object(m) => m,
        Json::NotObject(kind) => return Err(invalid(&concat(&["expected a JSON object, got ", kind]))),
        Json::Invalid => {
            return Err(invalid(match text {
                None => "the body is not UTF-8 (JSON must be UTF-8, RFC 8259 section 8.1)",
                Some(t) if t.trim_ascii().is_empty() => "the body is empty",
                Some(_) if html => "expected a JSON object, got an HTML page",
                Some(_) => "the body is not JSON",
            }))
        }
    };
    let get = |name: &str| Json::member(&members, name).filter(|v| !matches!(v, Value::Null));

    // Some servers answer errors with 200 (§5.2 says 400; be clear about what came back).
    if get("access_token").is_none() {
        if let Some(e) = oauth_error(status, &members) {
            return Err(e);
        }
    }

    let access_token = match get("access_token") {
        None => return Err(invalid("access_token is missing (RFC 6749 section 5.1)")),
        // It will travel in an Authorization header: RFC 6750 §2.1's b64token, nothing else.
        Some(Value::String(t)) => match b64token_problem(t) {
            Some(problem) => return Err(invalid(problem)),
            None => AccessToken::new(t.clone()),
        },
        Some(v) => return Err(invalid(&concat(&["access_token must be a string, got ", v.kind()]))),
    };

    let token_type = match get("token_type") {
        None => return Err(invalid("token_type is missing (RFC 6749 section 5.1)")),
        // An auth-scheme is an RFC 9110 token (§11.1).
        Some(Value::String(t)) if !t.is_empty() && t.bytes().all(is_tchar) => t.clone(),
        Some(Value::String(_)) => return Err(invalid("token_type is not a valid HTTP authentication scheme")),
        Some(v) => return Err(invalid(&concat(&["token_type must be a string, got ", v.kind()]))),
    };

    let expires_in = match get("expires_in") {
        None => None,
        // Fractions are kept (RFC 6749 Appendix A.14 says 1*DIGIT; a fraction harms nothing).
        Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => Some(*n),
        // A numeric string of seconds (Azure AD v1).
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.bytes().fold(0.0, |acc, b| acc * 10.0 + f64::from(b - b'0')))
        }
        Some(_) => return Err(invalid("expires_in must be a non-negative number of seconds")),
    };
    let expires_at = expires_in.map(|s| now_ms + s * 1000.0);
    // `expiresAt` must be a valid JavaScript time value (ECMA-262: at most 8.64e15 ms), or
    // `new Date(expiresAt)` is an Invalid Date and 1.7e308 s would overflow to Infinity.
    // NaN is not a valid time either.
    let valid = |at: f64| {
        matches!(at.partial_cmp(&MAX_TIME_VALUE_MS), Some(core::cmp::Ordering::Less | core::cmp::Ordering::Equal))
    };
    if expires_at.is_some_and(|at| !valid(at)) {
        return Err(invalid("expires_in is too large (expiresAt would be past the year 275760)"));
    }

    let optional_string = |name: &str| match get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(&concat(&[name, " must be a string, got ", v.kind()]))),
    };
    let scope = optional_string("scope")?;
    // An empty refresh token is no refresh token (sending it back could only fail).
    let refresh_token = optional_string("refresh_token")?.filter(|r| !r.is_empty()).map(RefreshToken::new);

    Ok(TokenResponse { access_token, token_type, expires_in, expires_at, scope, refresh_token })
}

/// The largest JavaScript time value (ECMA-262 §21.4.1.1: ±8.64e15 ms around the epoch).
const MAX_TIME_VALUE_MS: f64 = 8.64e15;

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
/// None when `token` matches; otherwise which rule it breaks, without quoting it.
pub fn b64token_problem(token: &str) -> Option<&'static str> {
    let bytes = token.as_bytes();
    let body_len = bytes.iter().position(|&b| b == b'=').unwrap_or(bytes.len());
    let (body, padding) = bytes.split_at(body_len);
    if bytes.is_empty() {
        Some("access_token is empty")
    } else if bytes.iter().any(|&b| b < 0x20 || b == 0x7f) {
        Some("access_token contains a control character (RFC 6750 section 2.1 b64token; never put into a header)")
    } else if let Some(&b) = body.iter().find(|&&b| !is_b64token_char(b)) {
        Some(match b {
            b' ' => "access_token contains a space (RFC 6750 section 2.1 b64token)",
            0x80.. => "access_token contains a non-ASCII character (RFC 6750 section 2.1 b64token)",
            _ => "access_token contains a character outside RFC 6750 section 2.1 b64token (A-Z a-z 0-9 - . _ ~ + / then = padding)",
        })
    } else if body.is_empty() || padding.iter().any(|&b| b != b'=') {
        Some("access_token has '=' other than as trailing padding (RFC 6750 section 2.1 b64token)")
    } else {
        None
    }
}

fn is_b64token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// RFC 9110 §5.6.2 tchar.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A §5.2 error from members: `error` must be a string; description and uri are kept when they
/// are strings and ignored otherwise. §5.2 allows no control characters in them; what the server
/// sends anyway is cleaned ([`crate::text::clean`]).
fn oauth_error(status: u16, members: &[(String, Value)]) -> Option<Error> {
    let text = |name: &str| match Json::member(members, name) {
        Some(Value::String(s)) if !s.is_empty() => Some(crate::text::clean(s)),
        _ => None,
    };
    Some(Error::OAuth {
        status,
        error: text("error")?,
        error_description: text("error_description"),
        error_uri: text("error_uri"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::testing::parse_json;

    const NOW: f64 = 1_700_000_000_000.0;

    fn run(status: u16, ct: Option<&str>, body: &str) -> Result<TokenResponse, Error> {
        run_bytes(status, ct, body.as_bytes())
    }

    fn run_bytes(status: u16, ct: Option<&str>, body: &[u8]) -> Result<TokenResponse, Error> {
        let resp = HttpResponse { status, opaque_redirect: false, content_type: ct, body };
        interpret(&resp, &mut |t| parse_json(t), NOW)
    }

    fn reason(r: Result<TokenResponse, Error>) -> String {
        match r.unwrap_err() {
            Error::InvalidResponse { reason, .. } => reason,
            other => panic!("expected ERR_INVALID_RESPONSE, got {other:?}"),
        }
    }

    const JSON: Option<&str> = Some("application/json;charset=UTF-8");

    #[test]
    fn success_5_1() {
        let t = run(200, JSON, r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600,"scope":"read","refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","example_parameter":"x"}"#).unwrap();
        assert_eq!(t.access_token.expose(), "2YotnFZFEjr1zCsicMWpAA");
        assert_eq!(t.token_type, "Bearer");
        assert_eq!(t.expires_in, Some(3600.0));
        assert_eq!(t.expires_at, Some(NOW + 3_600_000.0));
        assert_eq!(t.scope.as_deref(), Some("read"));
        assert_eq!(t.refresh_token.unwrap().expose(), "tGzv3JOkF0XG5Qx2TlKWIA");
    }

    #[test]
    fn token_type_spelling_kept_and_expiry_optional() {
        let t = run(200, JSON, r#"{"access_token":"a","token_type":"bearer"}"#).unwrap();
        assert_eq!(t.token_type, "bearer");
        assert_eq!((t.expires_in, t.expires_at), (None, None));
        let t = run(200, JSON, r#"{"access_token":"a","token_type":"DPoP","expires_in":null,"scope":null}"#).unwrap();
        assert_eq!((t.token_type.as_str(), t.expires_in, t.scope), ("DPoP", None, None));
    }

    #[test]
    fn numeric_string_expires_in() {
        let t = run(200, JSON, r#"{"access_token":"a","token_type":"Bearer","expires_in":"3599"}"#).unwrap();
        assert_eq!(t.expires_in, Some(3599.0));
        assert_eq!(t.expires_at, Some(NOW + 3_599_000.0));
        assert_eq!(
            run(200, JSON, r#"{"access_token":"a","token_type":"Bearer","expires_in":3600.5}"#).unwrap().expires_in,
            Some(3600.5)
        );
        assert_eq!(
            run(200, JSON, r#"{"access_token":"a","token_type":"Bearer","expires_in":0}"#).unwrap().expires_in,
            Some(0.0)
        );
        for bad in [r#"-1"#, r#""abc""#, r#""-5""#, r#""""#, r#""1e3""#, "true", "[1]"] {
            let body = ["{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":", bad, "}"].concat();
            assert!(reason(run(200, JSON, &body)).contains("expires_in"), "{bad}");
        }
    }

    #[test]
    fn infinite_expires_in() {
        // JSON.parse turns 1e309 into Infinity (serde_json refuses it, so build the members).
        let members = vec![
            ("access_token".to_owned(), Value::String("a".into())),
            ("token_type".to_owned(), Value::String("Bearer".into())),
            ("expires_in".to_owned(), Value::Number(f64::INFINITY)),
        ];
        let resp = HttpResponse { status: 200, opaque_redirect: false, content_type: JSON, body: b"{}" };
        let e = interpret(&resp, &mut |_| Json::Object(members.clone()), NOW).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_RESPONSE");
    }

    #[test]
    fn required_members() {
        assert!(reason(run(200, JSON, r#"{"token_type":"Bearer"}"#)).contains("access_token is missing"));
        assert!(reason(run(200, JSON, r#"{"access_token":"a"}"#)).contains("token_type is missing"));
        assert!(reason(run(200, JSON, r#"{"access_token":5,"token_type":"Bearer"}"#)).contains("got a number"));
        assert!(reason(run(200, JSON, r#"{"access_token":{},"token_type":"Bearer"}"#)).contains("got an object"));
        assert!(reason(run(200, JSON, r#"{"access_token":"","token_type":"Bearer"}"#)).contains("empty"));
        assert!(reason(run(200, JSON, r#"{"access_token":"a\r\nX-Evil: 1","token_type":"Bearer"}"#))
            .contains("control character"));
        assert!(reason(run(200, JSON, r#"{"access_token":"a b","token_type":"Bearer"}"#)).contains("space"));
        assert!(reason(run(200, JSON, r#"{"access_token":"a","token_type":"Bea rer"}"#)).contains("token_type"));
        assert!(reason(run(200, JSON, r#"{"access_token":"a","token_type":"Bearer","scope":["read"]}"#))
            .contains("scope must be a string"));
        assert!(reason(run(200, JSON, r#"{"access_token":"a","token_type":"Bearer","refresh_token":1}"#))
            .contains("refresh_token"));
    }

    fn token_body(token_json: &str) -> String {
        ["{\"access_token\":", token_json, ",\"token_type\":\"Bearer\"}"].concat()
    }

    #[test]
    fn access_token_is_an_rfc_6750_b64token() {
        for ok in [
            "a",
            "2YotnFZFEjr1zCsicMWpAA",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_",
            "a+b/c~d.e-f_g",
            "abc=",
            "abc==",
            "Z=========",
            "0",
        ] {
            assert_eq!(b64token_problem(ok), None, "{ok}");
            let t = run(200, JSON, &token_body(&["\"", ok, "\""].concat())).unwrap();
            assert_eq!(t.access_token.expose(), ok);
        }
        let cases: &[(&str, &str)] = &[
            (r#""#, "empty"),
            (r#"a\r\nX-Evil: 1"#, "control character"),
            (r#"a\n"#, "control character"),
            (r#"\u0000"#, "control character"),
            (r#"a\u007f"#, "control character"),
            (r#"a\tb"#, "control character"),
            (r#"a b"#, "space"),
            (r#" a"#, "space"),
            (r#"t\u00e9"#, "non-ASCII"),
            (r#"a\u0085"#, "non-ASCII"),
            (r#"a,b"#, "outside RFC 6750 section 2.1 b64token"),
            (r#"a:b"#, "outside"),
            (r#"a\"b"#, "outside"),
            (r#"a%2F"#, "outside"),
            (r#"a!"#, "outside"),
            (r#"="#, "'=' other than as trailing padding"),
            (r#"==abc"#, "'='"),
            (r#"ab=c"#, "'='"),
            (r#"ab=c="#, "'='"),
        ];
        for (json, why) in cases {
            let body = token_body(&["\"", json, "\""].concat());
            let r = reason(run(200, JSON, &body));
            assert!(r.starts_with("access_token "), "{json}: {r}");
            assert!(r.contains(why), "{json}: {r}");
        }
        // Never quoted in the message.
        let e = run(200, JSON, &token_body("\"canary-token\\r\\nX: 1\"")).unwrap_err();
        assert!(!e.message().contains("canary"), "{}", e.message());
        assert!(e.message().contains("RFC 6750 section 2.1"), "{}", e.message());
    }

    #[test]
    fn expires_in_edges() {
        let exp = |v: &str| {
            run(200, JSON, &["{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":", v, "}"].concat())
        };
        // Up to the largest JavaScript time value.
        let max_s = (MAX_TIME_VALUE_MS - NOW) / 1000.0;
        assert_eq!(exp(&max_s.to_string()).unwrap().expires_at, Some(MAX_TIME_VALUE_MS));
        assert!(reason(exp(&(max_s + 1.0).to_string())).contains("expires_in is too large"));
        assert!(reason(exp("1.7e308")).contains("expires_in is too large"));
        assert!(reason(exp("\"999999999999999\"")).contains("expires_in is too large"));
        assert_eq!(exp("\"000\"").unwrap().expires_in, Some(0.0));
    }

    #[test]
    fn empty_refresh_token_is_none() {
        let t = run(200, JSON, r#"{"access_token":"a","token_type":"Bearer","refresh_token":""}"#).unwrap();
        assert_eq!(t.refresh_token, None);
    }

    #[test]
    fn oauth_error_text_loses_control_characters() {
        let e = run(400, JSON, r#"{"error":"invalid_grant\u001b[31m","error_description":"line1\nFAKE LOG LINE\r\u0085\u009b","error_uri":"https://e.example/\u0000"}"#).unwrap_err();
        assert_eq!(
            e,
            Error::OAuth {
                status: 400,
                error: "invalid_grant\u{fffd}[31m".into(),
                error_description: Some("line1\u{fffd}FAKE LOG LINE\u{fffd}\u{fffd}\u{fffd}".into()),
                error_uri: Some("https://e.example/\u{fffd}".into()),
            }
        );
        assert!(!e.message().chars().any(char::is_control));
        // Non-ASCII text is kept (many servers localise error_description).
        let e = run(400, JSON, r#"{"error":"invalid_grant","error_description":"Jeton expiré"}"#).unwrap_err();
        assert!(e.message().contains("Jeton expiré"));
    }

    /// The hostile-server corpus, natively: each case has one deliberate outcome (listed in
    /// README's error table and in the hardening notes).
    #[test]
    fn hostile_corpus_outcomes() {
        const OK: &str = "ok";
        let html = Some("text/html; charset=utf-8");
        let cases: &[(u16, Option<&str>, &[u8], &str)] = &[
            (200, JSON, b"", "ERR_INVALID_RESPONSE"),
            (200, JSON, b"   \n", "ERR_INVALID_RESPONSE"),
            (200, JSON, b"null", "ERR_INVALID_RESPONSE"),
            (200, JSON, b"[]", "ERR_INVALID_RESPONSE"),
            (200, JSON, b"\"tok\"", "ERR_INVALID_RESPONSE"),
            (200, JSON, b"42", "ERR_INVALID_RESPONSE"),
            (200, JSON, b"true", "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":"a","token_"#, "ERR_INVALID_RESPONSE"),
            // RFC 8259 §8.1: a UTF-8 BOM may be ignored; it is.
            (200, JSON, "\u{feff}{\"access_token\":\"a\",\"token_type\":\"Bearer\"}".as_bytes(), OK),
            // Two BOMs: the second one is not JSON.
            (200, JSON, "\u{feff}\u{feff}{}".as_bytes(), "ERR_INVALID_RESPONSE"),
            // Duplicate keys: the last wins, as in JSON.parse.
            (200, JSON, br#"{"access_token":"a b","access_token":"good","token_type":"Bearer"}"#, OK),
            (
                200,
                JSON,
                br#"{"access_token":"good","access_token":"a b","token_type":"Bearer"}"#,
                "ERR_INVALID_RESPONSE",
            ),
            (200, JSON, br#"{"access_token":5,"token_type":"Bearer"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":{},"token_type":"Bearer"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":[],"token_type":"Bearer"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":true,"token_type":"Bearer"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":"","token_type":"Bearer"}"#, "ERR_INVALID_RESPONSE"),
            (
                200,
                JSON,
                br#"{"access_token":"a
X-Evil: 1","token_type":"Bearer"}"#,
                "ERR_INVALID_RESPONSE",
            ),
            (200, JSON, br#"{"access_token":"a,b;c","token_type":"Bearer"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":null,"token_type":"Bearer"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":"a"}"#, "ERR_INVALID_RESPONSE"),
            // token_type is not interpreted: any RFC 9110 token is kept as spelled.
            (200, JSON, br#"{"access_token":"a","token_type":"mac"}"#, OK),
            (200, JSON, br#"{"access_token":"a","token_type":""}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":"a","token_type":7}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":"a","token_type":"Bearer","expires_in":"abc"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"access_token":"a","token_type":"Bearer","expires_in":"3600"}"#, OK),
            (200, JSON, br#"{"access_token":"a","token_type":"Bearer","expires_in":3600.5}"#, OK),
            (200, JSON, br#"{"access_token":"a","token_type":"Bearer","expires_in":" 3600"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, br#"{"error":"invalid_grant"}"#, "ERR_OAUTH"),
            (200, JSON, br#"{"error":"invalid_grant","access_token":"a","token_type":"Bearer"}"#, OK),
            (200, JSON, br#"{"error":7}"#, "ERR_INVALID_RESPONSE"),
            (400, JSON, br#"{"error":7,"error_description":"x"}"#, "ERR_HTTP_STATUS"),
            (400, JSON, br#"{"error":null}"#, "ERR_HTTP_STATUS"),
            (400, JSON, br#"{"error":["invalid_grant"]}"#, "ERR_HTTP_STATUS"),
            (400, JSON, br#"{"error":""}"#, "ERR_HTTP_STATUS"),
            (400, JSON, br#"{"error":"invalid_grant","error_description":{},"error_uri":5}"#, "ERR_OAUTH"),
            (401, None, b"", "ERR_HTTP_STATUS"),
            (204, None, b"", "ERR_INVALID_RESPONSE"),
            (304, None, b"", "ERR_HTTP_STATUS"),
            (429, JSON, br#"{"message":"slow down"}"#, "ERR_HTTP_STATUS"),
            (500, None, b"", "ERR_HTTP_STATUS"),
            (503, html, b"<html>down</html>", "ERR_HTTP_STATUS"),
            (200, Some("text/plain"), br#"{"access_token":"a","token_type":"Bearer"}"#, OK),
            (200, None, br#"{"access_token":"a","token_type":"Bearer"}"#, OK),
            (200, html, b"<!doctype html><form action=/login>", "ERR_INVALID_RESPONSE"),
            // An HTML content type wins even over a JSON-looking body.
            (200, html, br#"{"access_token":"a","token_type":"Bearer"}"#, "ERR_INVALID_RESPONSE"),
            (200, JSON, b"<!doctype html><form action=/login>", "ERR_INVALID_RESPONSE"),
            (200, JSON, b"\xff\xfe{\x00}\x00", "ERR_INVALID_RESPONSE"),
            (200, JSON, b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "ERR_INVALID_RESPONSE"),
            (302, None, b"", "ERR_UNEXPECTED_REDIRECT"),
        ];
        for (status, ct, body, want) in cases {
            let got = match run_bytes(*status, *ct, body) {
                Ok(_) => OK,
                Err(e) => e.code(),
            };
            assert_eq!(got, *want, "HTTP {status} {ct:?} {}", String::from_utf8_lossy(body));
        }
    }

    /// The adapter hands over only [`MEMBERS`]: every outcome, success or error and its message,
    /// must be the same as with the whole object (bodies full of other members, some named like
    /// the ones that count).
    #[test]
    fn only_the_listed_members_are_read() {
        let bodies: &[(u16, &str)] = &[
            (
                200,
                r#"{"access_token":"a","token_type":"Bearer","expires_in":60,"scope":"r","refresh_token":"x","id_token":"e.y.j","ext_expires_in":1}"#,
            ),
            (200, r#"{"accessToken":"a","token_type":"Bearer","Access_Token":"b"}"#),
            (200, r#"{"access_token":"a","tokenType":"Bearer","expires":5}"#),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":"3600","refresh_token":"","error":"x"}"#),
            (200, r#"{"error":"invalid_grant","error_description":"d","error_uri":"u","message":"m","errors":[1]}"#),
            (200, r#"{"access_token":"a b","token_type":"Bearer","token":"ok"}"#),
            (400, r#"{"error":"invalid_client","error_description":"bad\u0007","detail":"x","error_codes":[7000215]}"#),
            (400, r#"{"message":"no","code":400,"error_message":"x"}"#),
            (401, r#"{"error":{"code":"x"},"error_description":"d"}"#),
            (500, r#"{"fault":"x","errorSummary":"y"}"#),
            (200, r#"{"access_token":"a","token_type":"Bearer","scope":["r"],"__proto__":{"x":1}}"#),
        ];
        let mut only = |t: &str| match parse_json(t) {
            Json::Object(m) => Json::Object(m.into_iter().filter(|(k, _)| MEMBERS.contains(&k.as_str())).collect()),
            other => other,
        };
        for (status, body) in bodies {
            let resp =
                HttpResponse { status: *status, opaque_redirect: false, content_type: JSON, body: body.as_bytes() };
            let whole = interpret(&resp, &mut |t| parse_json(t), NOW);
            let listed = interpret(&resp, &mut only, NOW);
            assert_eq!(whole, listed, "{body}");
            if let (Err(a), Err(b)) = (&whole, &listed) {
                assert_eq!(a.message(), b.message(), "{body}");
            }
        }
    }

    #[test]
    fn nesting_is_limited_to_64_levels() {
        let nested = |n: usize, open: &str, close: &str| {
            ["{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"x\":", &open.repeat(n), "1", &close.repeat(n), "}"]
                .concat()
        };
        // The response object is level 1.
        assert!(run(200, JSON, &nested(63, "[", "]")).is_ok());
        assert!(run(200, JSON, &nested(63, "{\"a\":", "}")).is_ok());
        for deep in [nested(64, "[", "]"), nested(100_000, "[", "]"), nested(100_000, "{\"a\":", "}")] {
            assert_eq!(reason(run(200, JSON, &deep)), "the JSON nests deeper than 64 levels");
            assert_eq!(json_text(deep.as_bytes(), JSON), None, "the host is not asked to parse it");
        }
        let entry = |n: usize| ["{\"json\":", &nested(n, "[", "]"), "}"].concat();
        assert!(!nests_deeper_than(&entry(63), MAX_NESTING + 1) && nests_deeper_than(&entry(64), MAX_NESTING + 1));
        // Brackets inside strings do not count.
        let quoted =
            ["{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"x\":\"", &"[{\\\"".repeat(200), "\"}"].concat();
        assert!(run(200, JSON, &quoted).is_ok(), "{quoted}");
        // An error body too deep to parse is a status without an OAuth body.
        assert_eq!(run(400, JSON, &nested(100, "[", "]")).unwrap_err().code(), "ERR_HTTP_STATUS");
    }

    #[test]
    fn bodies_that_are_not_token_objects() {
        assert!(reason(run(200, JSON, "")).contains("empty"));
        assert!(reason(run(204, None, "")).contains("empty"));
        assert!(reason(run(200, JSON, "null")).contains("got null"));
        assert!(reason(run(200, JSON, "[]")).contains("got an array"));
        assert!(reason(run(200, JSON, "\"tok\"")).contains("got a string"));
        assert!(reason(run(200, JSON, "42")).contains("got a number"));
        assert!(reason(run(200, JSON, r#"{"access_token":"a""#)).contains("not JSON"));
        assert!(reason(run(200, Some("text/html; charset=utf-8"), "<html>login</html>")).contains("HTML"));
        // UTF-16LE with BOM.
        assert!(reason(run_bytes(200, JSON, b"\xff\xfe{\x00}\x00")).contains("UTF-8"));
    }

    #[test]
    fn lenient_where_harmless() {
        // A UTF-8 BOM is ignored (RFC 8259 §8.1); text/plain JSON is accepted.
        assert!(run(200, JSON, "\u{feff}{\"access_token\":\"a\",\"token_type\":\"Bearer\"}").is_ok());
        assert!(run(200, Some("text/plain"), r#"{"access_token":"a","token_type":"Bearer"}"#).is_ok());
    }

    #[test]
    fn messages_never_quote_a_success_body() {
        for body in
            [r#"{"access_token":"canary-token-x","token_type":"Be arer"}"#, r#"{"access_token":"canary-token-x""#]
        {
            let e = run(200, JSON, body).unwrap_err();
            assert!(!e.message().contains("canary"), "{}", e.message());
        }
    }

    #[test]
    fn error_5_2() {
        let e = run(
            400,
            JSON,
            r#"{"error":"invalid_scope","error_description":"bad scope","error_uri":"https://e.example/doc"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            Error::OAuth {
                status: 400,
                error: "invalid_scope".into(),
                error_description: Some("bad scope".into()),
                error_uri: Some("https://e.example/doc".into()),
            }
        );
        // Non-string members are dropped, not fatal.
        let e = run(401, JSON, r#"{"error":"invalid_client","error_description":5,"error_uri":{}}"#).unwrap_err();
        assert_eq!(
            e,
            Error::OAuth { status: 401, error: "invalid_client".into(), error_description: None, error_uri: None }
        );
        // A non-string error is not a §5.2 body.
        assert_eq!(run(400, JSON, r#"{"error":7}"#).unwrap_err().code(), "ERR_HTTP_STATUS");
        // A 200 carrying an error.
        assert_eq!(run(200, JSON, r#"{"error":"invalid_grant"}"#).unwrap_err().code(), "ERR_OAUTH");
    }

    #[test]
    fn statuses_without_oauth_bodies() {
        let e = run(502, Some("text/html"), "<html><body>Bad gateway</body></html>").unwrap_err();
        assert_eq!((e.code(), e.status()), ("ERR_HTTP_STATUS", Some(502)));
        assert!(e.message().contains("text/html"));
        let e = run(401, None, "").unwrap_err();
        assert_eq!((e.code(), e.status()), ("ERR_HTTP_STATUS", Some(401)));
        for s in [304u16, 429, 500, 503] {
            assert_eq!(run(s, None, "").unwrap_err().code(), "ERR_HTTP_STATUS", "{s}");
        }
    }

    #[test]
    fn redirects() {
        for s in [301u16, 302, 303, 307, 308] {
            assert_eq!(run(s, None, "").unwrap_err(), Error::UnexpectedRedirect { status: s });
        }
        let resp = HttpResponse { status: 0, opaque_redirect: true, content_type: None, body: b"" };
        assert_eq!(interpret(&resp, &mut |t| parse_json(t), NOW).unwrap_err().code(), "ERR_UNEXPECTED_REDIRECT");
    }

    #[test]
    fn status_out_of_range_is_not_a_response() {
        for s in [0u16, 99, 600, 65535] {
            assert_eq!(run(s, JSON, "{}").unwrap_err().code(), "ERR_INVALID_RESPONSE", "{s}");
        }
    }

    #[test]
    fn size_limits() {
        assert_eq!(check_declared_length(Some("5242880"), 1 << 20), Err(Error::ResponseTooLarge { limit: 1 << 20 }));
        assert_eq!(check_declared_length(Some("1048576"), 1 << 20), Ok(()));
        assert_eq!(check_declared_length(Some("junk"), 1 << 20), Ok(()));
        assert_eq!(check_declared_length(None, 1), Ok(()));
        assert!(check_body_length(11, 10).is_err());
        assert!(check_body_length(10, 10).is_ok());
    }
}
