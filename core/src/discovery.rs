//! Authorization server metadata (RFC 8414): where it is published for an issuer, and what an
//! answer means. The exchange fetches the two well-known URLs in turn (RFC 8414 §3.1, then OpenID
//! Connect Discovery 1.0 §4), checks the metadata's `issuer` (§3.3) and takes its
//! `token_endpoint`, to which the same https/loopback rule as a configured one applies.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::concat;
use crate::config::{is_loopback, TokenEndpoint, UrlParts};
use crate::error::Error;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::value::{Json, Value};

/// The default entry's `.wasm` leaves discovery out.
pub const NOT_IN_THIS_BUILD: &str =
    "issuer (discovery) is in the 'oauth-token-connection/full' entry; import from there, or set tokenEndpoint";

/// The metadata members the exchange reads; the host hands over these (with the token
/// response's).
pub const MEMBERS: [&str; 2] = ["issuer", "token_endpoint"];

/// A configured issuer: an https URL (http for loopback) without query or fragment (RFC 8414 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// As configured: the metadata's `issuer` must be identical (§3.3).
    configured: String,
    /// Scheme, host and port, e.g. `https://auth.example.com`.
    origin: String,
    /// The path without its terminating `/`: empty for `https://auth.example.com/`.
    path: String,
}

impl Issuer {
    /// Checks an issuer URL the host's parser read (`url`) from `configured`.
    pub fn new(configured: &str, url: UrlParts) -> Result<Issuer, Error> {
        let invalid = |why: &str| Error::InvalidConfig(concat(&["issuer must be ", why]));
        if url.has_credentials {
            return Err(invalid("a URL without a user name or password"));
        }
        match url.protocol.as_str() {
            "https:" => {}
            "http:" if is_loopback(&url.hostname) => {}
            "http:" => return Err(Error::InsecureEndpoint),
            _ => return Err(invalid("an https: URL")),
        }
        // §2: "a URL that uses the https scheme and has no query or fragment components".
        if url.href.bytes().any(|b| b == b'?' || b == b'#') {
            return Err(invalid("a URL without a query or fragment (RFC 8414 section 2)"));
        }
        // The serialized URL is `<scheme>://<host>[:port]<path>`; the host holds no '/'. (Byte
        // positions and `get`: no slicing panic path in the .wasm.)
        let bytes = url.href.as_bytes();
        let at = (url.protocol.len() + 2..bytes.len()).find(|i| bytes.get(*i) == Some(&b'/')).unwrap_or(bytes.len());
        let end = if bytes.last() == Some(&b'/') { bytes.len() - 1 } else { bytes.len() };
        let part = |range: core::ops::Range<usize>| url.href.get(range).unwrap_or_default().to_owned();
        Ok(Issuer { configured: configured.to_owned(), origin: part(0..at), path: part(at..end.max(at)) })
    }

    pub fn as_str(&self) -> &str {
        &self.configured
    }

    /// The metadata URLs in the order they are tried: RFC 8414 §3.1 inserts the well-known
    /// path between the host and the issuer's path; OpenID Connect Discovery 1.0 §4 appends it
    /// (RFC 8414 §5 notes both).
    pub fn urls(&self) -> [String; 2] {
        [self.url(0), self.url(1)]
    }

    /// The `i`-th of [`Issuer::urls`].
    pub fn url(&self, i: usize) -> String {
        match i {
            0 => concat(&[&self.origin, "/.well-known/oauth-authorization-server", &self.path]),
            _ => concat(&[&self.origin, &self.path, "/.well-known/openid-configuration"]),
        }
    }
}

/// The metadata request (RFC 8414 §3.1: GET; the answer is JSON).
pub fn request(url: &str) -> HttpRequest {
    HttpRequest {
        method: "GET",
        url: url.to_owned(),
        headers: vec![("Accept", String::from("application/json"))],
        body: String::new(),
    }
}

/// What a metadata answer means.
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// Valid metadata for this issuer: its token endpoint.
    Metadata(TokenEndpoint),
    /// Nothing published here (a 4xx, or a success that is not a JSON object, as a single-page
    /// app's catch-all gives): the next URL may have it.
    NotHere(Error),
    /// A failure that ends the discovery (the issuer check included).
    Failed(Error),
}

/// Interprets the answer to [`request`]. `parse_url` is the host's WHATWG URL parser.
pub fn interpret(
    issuer: &Issuer,
    resp: &HttpResponse<'_>,
    json: Json,
    parse_url: &dyn Fn(&str) -> Option<UrlParts>,
) -> Answer {
    let status = resp.status;
    let content_type = || resp.content_type.map(crate::text::clean);
    let invalid = |reason: &str| Error::InvalidResponse { status, content_type: content_type(), reason: reason.into() };
    if resp.opaque_redirect || matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Answer::Failed(Error::UnexpectedRedirect { status });
    }
    if (400..500).contains(&status) && status != 408 && status != 429 {
        let detail = " at this well-known URL: no metadata published there";
        return Answer::NotHere(Error::HttpStatus { status, content_type: content_type(), detail });
    }
    if !(200..300).contains(&status) {
        let detail = " instead of the issuer's metadata";
        return Answer::Failed(Error::HttpStatus { status, content_type: content_type(), detail });
    }
    let Json::Object(members) = json else {
        return Answer::NotHere(invalid("the metadata is not a JSON object"));
    };
    // §3.3: the issuer must be identical to the one the URL was made from.
    match Json::member(&members, "issuer") {
        Some(Value::String(s)) if *s == issuer.configured => {}
        Some(Value::String(s)) if without_slash(s) == without_slash(&issuer.configured) => {
            return Answer::Failed(invalid(
                "the metadata's issuer differs from the configured issuer by a trailing '/' (RFC 8414 \
                 section 3.3 wants them identical): configure the issuer exactly as the metadata spells it",
            ))
        }
        Some(Value::String(_)) => {
            return Answer::Failed(invalid(
                "the metadata's issuer is not the configured issuer (RFC 8414 section 3.3): refused",
            ))
        }
        _ => return Answer::Failed(invalid("the metadata has no issuer string (RFC 8414 section 3.3)")),
    }
    let Some(Value::String(raw)) = Json::member(&members, "token_endpoint") else {
        return Answer::Failed(invalid("the metadata has no token_endpoint string"));
    };
    match token_endpoint(raw, parse_url) {
        Ok(endpoint) => Answer::Metadata(endpoint),
        Err(Error::InsecureEndpoint) => Answer::Failed(Error::InsecureEndpoint),
        Err(_) => Answer::Failed(invalid("the metadata's token_endpoint is not an absolute https: URL")),
    }
}

fn without_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

/// A token endpoint named by metadata (or by a metadata object the caller passed as `issuer`):
/// the rules of a configured `tokenEndpoint`.
pub fn token_endpoint(raw: &str, parse_url: &dyn Fn(&str) -> Option<UrlParts>) -> Result<TokenEndpoint, Error> {
    if raw.chars().any(char::is_control) {
        return Err(Error::InvalidConfig(String::from("token_endpoint contains a control character")));
    }
    crate::config::parse_endpoint(raw, parse_url).map(TokenEndpoint::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse_url;
    use crate::value::testing::parse_json;

    fn issuer(s: &str) -> Issuer {
        Issuer::new(s, parse_url(s).unwrap()).unwrap()
    }

    #[test]
    fn well_known_urls_follow_rfc_8414_section_3_1_and_openid_discovery() {
        assert_eq!(
            issuer("https://as.example.com").urls(),
            [
                "https://as.example.com/.well-known/oauth-authorization-server",
                "https://as.example.com/.well-known/openid-configuration"
            ]
        );
        // §3.1's example: the well-known path goes between the host and the issuer's path.
        assert_eq!(
            issuer("https://example.com/issuer1").urls(),
            [
                "https://example.com/.well-known/oauth-authorization-server/issuer1",
                "https://example.com/issuer1/.well-known/openid-configuration"
            ]
        );
        // A terminating '/' is removed first; ports and IPv6 hosts stay in the origin.
        assert_eq!(
            issuer("http://[::1]:8080/tenants/a/").urls(),
            [
                "http://[::1]:8080/.well-known/oauth-authorization-server/tenants/a",
                "http://[::1]:8080/tenants/a/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            issuer("https://as.example.com/").urls()[0],
            "https://as.example.com/.well-known/oauth-authorization-server"
        );
        assert_eq!(issuer("https://as.example.com/").as_str(), "https://as.example.com/");
    }

    #[test]
    fn issuer_rules() {
        let err = |s: &str| Issuer::new(s, parse_url(s).unwrap()).unwrap_err();
        assert_eq!(err("http://as.example.com"), Error::InsecureEndpoint);
        assert!(err("https://as.example.com/?tenant=a").message().contains("query or fragment"));
        assert!(err("https://as.example.com/#x").message().contains("query or fragment"));
        assert!(err("https://as.example.com/?").message().contains("query or fragment"));
        assert!(err("https://u:p@as.example.com").message().contains("user name"));
        assert!(err("ftp://as.example.com").message().contains("https:"));
        assert!(Issuer::new("http://localhost:3000", parse_url("http://localhost:3000").unwrap()).is_ok());
    }

    fn answer(iss: &Issuer, status: u16, body: &str) -> Answer {
        let r = HttpResponse {
            status,
            opaque_redirect: false,
            content_type: Some("application/json"),
            body: body.as_bytes(),
        };
        let json = crate::response::json_text(body.as_bytes(), r.content_type).map_or(Json::Invalid, parse_json);
        interpret(iss, &r, json, &parse_url)
    }

    #[test]
    fn metadata_answers() {
        let iss = issuer("https://as.example.com");
        let ok = r#"{"issuer":"https://as.example.com","token_endpoint":"https://as.example.com/token"}"#;
        match answer(&iss, 200, ok) {
            Answer::Metadata(t) => assert_eq!(t.href(), "https://as.example.com/token"),
            other => panic!("{other:?}"),
        }
        // §3.3: another issuer is refused, even one that differs only by a trailing slash.
        let other = r#"{"issuer":"https://evil.example.com","token_endpoint":"https://evil.example.com/token"}"#;
        let Answer::Failed(e) = answer(&iss, 200, other) else { panic!() };
        assert_eq!(e.code(), "ERR_INVALID_RESPONSE");
        assert!(e.message().contains("not the configured issuer"), "{}", e.message());
        let slash = r#"{"issuer":"https://as.example.com/","token_endpoint":"https://as.example.com/token"}"#;
        let Answer::Failed(e) = answer(&iss, 200, slash) else { panic!() };
        assert!(e.message().contains("trailing '/'"), "{}", e.message());
        // The token endpoint obeys the https/loopback rule.
        let http = r#"{"issuer":"https://as.example.com","token_endpoint":"http://as.example.com/token"}"#;
        assert_eq!(answer(&iss, 200, http), Answer::Failed(Error::InsecureEndpoint));
        let loopback = r#"{"issuer":"https://as.example.com","token_endpoint":"http://127.0.0.1:9/token"}"#;
        assert!(matches!(answer(&iss, 200, loopback), Answer::Metadata(_)));
        for bad in [
            r#"{"issuer":"https://as.example.com"}"#,
            r#"{"issuer":"https://as.example.com","token_endpoint":"/token"}"#,
            r#"{"issuer":"https://as.example.com","token_endpoint":"https://u:p@as.example.com/t"}"#,
            r#"{"token_endpoint":"https://as.example.com/token"}"#,
        ] {
            let Answer::Failed(e) = answer(&iss, 200, bad) else { panic!("{bad}") };
            assert_eq!(e.code(), "ERR_INVALID_RESPONSE", "{bad}");
        }
        // Not published here: the next URL is tried.
        assert!(matches!(answer(&iss, 404, "Not Found"), Answer::NotHere(_)));
        assert!(matches!(answer(&iss, 200, "<html>app</html>"), Answer::NotHere(_)));
        assert!(matches!(answer(&iss, 200, "[1]"), Answer::NotHere(_)));
        // Failures that end it.
        let Answer::Failed(e) = answer(&iss, 500, "") else { panic!() };
        assert_eq!(e.status(), Some(500));
        assert!(matches!(answer(&iss, 302, ""), Answer::Failed(Error::UnexpectedRedirect { status: 302 })));
        assert!(matches!(answer(&iss, 429, ""), Answer::Failed(_)));
    }

    #[test]
    fn the_request_is_a_plain_get() {
        let r = request("https://as.example.com/.well-known/oauth-authorization-server");
        assert_eq!((r.method, r.body.as_str()), ("GET", ""));
        assert_eq!(r.headers, vec![("Accept", String::from("application/json"))]);
    }
}
