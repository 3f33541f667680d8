//! The token request (RFC 6749 §4.3.2, §4.4.2): method, URL, headers and form body, as bytes
//! exactly as they go on the wire. Transport options the host's fetch needs (no redirects
//! followed, no ambient credentials, no cache) are fixed by the adapter and listed in
//! [`FETCH_OPTIONS`].

#[allow(unused_imports)]
use crate::prelude::*;

use base64ct::{Base64, Encoding as _};

use crate::config::{BasicEncoding, ClientAuthentication, Config, Grant, Scope};
use crate::secret::{ClientSecret, RefreshToken};

/// The form body's media type (RFC 6749 Appendix B: UTF-8).
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=UTF-8";

/// The fetch options every token request uses, for documentation and the request preview:
/// `redirect: manual` (a 3xx is an error; nothing is re-sent), `credentials: omit` (ambient
/// cookies never reach the token endpoint), `cache: no-store` (RFC 6749 §5.1).
pub const FETCH_OPTIONS: [(&str, &str); 3] = [("redirect", "manual"), ("credentials", "omit"), ("cache", "no-store")];

/// An HTTP request description. `Debug` hides the body and the Authorization value.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl core::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body", &"[redacted]")
            .finish()
    }
}

/// WHATWG `application/x-www-form-urlencoded` serialization of one string, as `URLSearchParams`
/// does it (space as `+`; `*-._` and alphanumerics unescaped).
pub fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The Basic credentials value, `Basic <base64>`.
pub fn basic_authorization(client_id: &str, secret: Option<&ClientSecret>, enc: BasicEncoding) -> String {
    let secret = secret.map(ClientSecret::expose).unwrap_or_default();
    let pair = match enc {
        // RFC 6749 §2.3.1: the id and the secret are each form-urlencoded before being used as
        // the Basic user name and password; this is not ordinary Basic, curl does not do it.
        BasicEncoding::Form => {
            let mut p = form_encode(client_id);
            p.push(':');
            p.push_str(&form_encode(secret));
            p
        }
        // RFC 7617 §2: user-id ":" password, as is (config checked ASCII and no ':' in the id).
        BasicEncoding::None => {
            let mut p = String::from(client_id);
            p.push(':');
            p.push_str(secret);
            p
        }
    };
    crate::concat(&["Basic ", &Base64::encode_string(pair.as_bytes())])
}

/// Builds the token request for a validated configuration.
pub fn build(config: &Config) -> HttpRequest {
    build_grant(config, &config.grant, config.scope.as_ref(), "")
}

/// A connection renewing with the refresh token it holds (RFC 6749 §6). The scope is left out:
/// "if omitted is treated as equal to the scope originally granted", which is never more than
/// the configured scope and never an `invalid_scope` when the server granted less.
pub fn build_refresh(config: &Config, refresh_token: &RefreshToken) -> HttpRequest {
    build_grant(config, &Grant::RefreshToken { refresh_token: refresh_token.clone() }, None, "")
}

/// A token request carrying a signed assertion (RFC 7523): the jwt_bearer grant's `assertion`,
/// or the client's `client_assertion`; `refresh`: a connection renewing with its refresh token.
pub fn build_signed(config: &Config, refresh: Option<&RefreshToken>, assertion: &str) -> HttpRequest {
    match refresh {
        Some(r) => build_grant(config, &Grant::RefreshToken { refresh_token: r.clone() }, None, assertion),
        None => build_grant(config, &config.grant, config.scope.as_ref(), assertion),
    }
}

/// The form body: pairs joined with `&` and `=`, each name and value encoded by
/// `form_urlencoded::byte_serialize`, exactly as `form_urlencoded::Serializer` joins them (the
/// serializer's optional encoding override, never used here, costs an indirect call that keeps
/// the function table, and with it unused wasm-bindgen closure shims, in the .wasm).
struct Form(String);

impl Form {
    fn append_pair(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.extend(form_urlencoded::byte_serialize(name.as_bytes()));
        self.0.push('=');
        self.0.extend(form_urlencoded::byte_serialize(value.as_bytes()));
    }
}

#[cfg_attr(not(feature = "jwt"), allow(unused_variables))]
fn build_grant(config: &Config, grant: &Grant, scope: Option<&Scope>, assertion: &str) -> HttpRequest {
    let mut form = Form(String::new());
    match grant {
        // §4.4.2
        Grant::ClientCredentials => {
            form.append_pair("grant_type", "client_credentials");
        }
        // §4.3.2
        Grant::Password { username, password } => {
            form.append_pair("grant_type", "password");
            form.append_pair("username", username);
            form.append_pair("password", password.expose());
        }
        // §6
        Grant::RefreshToken { refresh_token } => {
            form.append_pair("grant_type", "refresh_token");
            form.append_pair("refresh_token", refresh_token.expose());
        }
        // RFC 7523 §2.1
        #[cfg(feature = "jwt")]
        Grant::JwtBearer => {
            form.append_pair("grant_type", crate::assertion::JWT_BEARER_GRANT);
            form.append_pair("assertion", assertion);
        }
    }
    if let Some(scope) = scope {
        form.append_pair("scope", scope.as_str());
    }
    // E.g. RFC 8707 §2 `resource` (repeatable) or a vendor's `audience`.
    for (name, value) in &config.extra_params {
        form.append_pair(name, value);
    }
    let mut headers =
        vec![("Content-Type", String::from(FORM_CONTENT_TYPE)), ("Accept", String::from("application/json"))];
    match config.client_authentication {
        ClientAuthentication::Header => headers.push((
            "Authorization",
            basic_authorization(&config.client_id, config.client_secret.as_ref(), config.basic_encoding),
        )),
        // §2.3.1: client_id and client_secret in the request body.
        ClientAuthentication::Body => {
            form.append_pair("client_id", &config.client_id);
            if let Some(secret) = &config.client_secret {
                form.append_pair("client_secret", secret.expose());
            }
        }
        // RFC 7523 §2.2, OpenID Connect Core §9.
        #[cfg(feature = "jwt")]
        ClientAuthentication::PrivateKeyJwt | ClientAuthentication::ClientSecretJwt => {
            form.append_pair("client_assertion_type", crate::assertion::CLIENT_ASSERTION_TYPE);
            form.append_pair("client_assertion", assertion);
            form.append_pair("client_id", &config.client_id);
        }
        #[cfg(feature = "jwt")]
        ClientAuthentication::None => {}
        // RFC 8705 §2: the TLS client certificate authenticates; client_id is in the body.
        ClientAuthentication::TlsClientAuth | ClientAuthentication::SelfSignedTlsClientAuth => {
            form.append_pair("client_id", &config.client_id);
        }
    }
    HttpRequest { method: "POST", url: config.token_endpoint.href().to_owned(), headers, body: form.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::config::tests::{base, entries, parse_url, s};
    use crate::value::Value;
    use base64::Engine as _; // the base64 crate: the oracle for the Basic value

    fn request(extra: &[(&'static str, Value)]) -> HttpRequest {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        build(&parse(&entries(&pairs), &parse_url).unwrap())
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn client_credentials_header_exact_bytes() {
        let r = request(&[("scope", s("read write"))]);
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "https://auth.example.com/oauth2/token");
        assert_eq!(
            r.headers,
            vec![
                ("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8".to_owned()),
                ("Accept", "application/json".to_owned()),
                ("Authorization", "Basic Y2xpZW50OnNlY3JldA==".to_owned()),
            ]
        );
        assert_eq!(r.body, "grant_type=client_credentials&scope=read+write");
    }

    #[test]
    fn client_credentials_body_exact_bytes() {
        let r = request(&[("clientAuthentication", s("body"))]);
        assert_eq!(header(&r, "Authorization"), None);
        assert_eq!(r.body, "grant_type=client_credentials&client_id=client&client_secret=secret");
    }

    #[test]
    fn password_grant_both_modes_exact_bytes() {
        let pw =
            [("grantType", s("password")), ("username", s("alice@example.com")), ("password", s("correct horse&=+"))];
        let r = request(&pw);
        assert_eq!(r.body, "grant_type=password&username=alice%40example.com&password=correct+horse%26%3D%2B");
        assert_eq!(header(&r, "Authorization"), Some("Basic Y2xpZW50OnNlY3JldA=="));
        let mut body_mode = pw.to_vec();
        body_mode.push(("clientAuthentication", s("body")));
        body_mode.push(("scope", s("read")));
        let r = request(&body_mode);
        assert_eq!(
            r.body,
            "grant_type=password&username=alice%40example.com&password=correct+horse%26%3D%2B&scope=read&client_id=client&client_secret=secret"
        );
        assert_eq!(header(&r, "Authorization"), None);
    }

    #[test]
    fn refresh_grant_and_extra_params_exact_bytes() {
        let extra = Value::Object(vec![
            ("audience".into(), s("https://api.example.com")),
            ("resource".into(), Value::Array(vec![s("https://a.example/x?y=1"), s("urn:b")])),
        ]);
        // §6: grant_type, refresh_token, then scope; extra parameters after them.
        let r = request(&[
            ("grantType", s("refresh_token")),
            ("refreshToken", s("r/t+1")),
            ("scope", s("read")),
            ("extraParams", extra.clone()),
        ]);
        assert_eq!(
            r.body,
            "grant_type=refresh_token&refresh_token=r%2Ft%2B1&scope=read&audience=https%3A%2F%2Fapi.example.com&resource=https%3A%2F%2Fa.example%2Fx%3Fy%3D1&resource=urn%3Ab"
        );
        let r = request(&[("extraParams", extra), ("clientAuthentication", s("body"))]);
        assert_eq!(
            r.body,
            "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.com&resource=https%3A%2F%2Fa.example%2Fx%3Fy%3D1&resource=urn%3Ab&client_id=client&client_secret=secret"
        );
        // A connection's refresh leaves the configured scope out (§6).
        let config = parse(&entries(&[base(), vec![("scope", s("read"))]].concat()), &parse_url).unwrap();
        let r = build_refresh(&config, &RefreshToken::new("rt".into()));
        assert_eq!(r.body, "grant_type=refresh_token&refresh_token=rt");
    }

    #[test]
    fn public_client_sends_only_client_id() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "clientSecret");
        pairs.extend([
            ("grantType", s("password")),
            ("username", s("u")),
            ("password", s("p")),
            ("clientAuthentication", s("body")),
        ]);
        let r = build(&parse(&entries(&pairs), &parse_url).unwrap());
        assert_eq!(r.body, "grant_type=password&username=u&password=p&client_id=client");
    }

    #[test]
    fn oauth2_rs_basic_vector() {
        // oauth2-rs src/tests.rs: id and secret "aaa/;&".
        let v = basic_authorization("aaa/;&", Some(&ClientSecret::new("bbb/;&".into())), BasicEncoding::Form);
        assert_eq!(v, "Basic YWFhJTJGJTNCJTI2OmJiYiUyRiUzQiUyNg==");
    }

    #[test]
    fn non_ascii_and_reserved_characters() {
        // "sécret ü+/%&=:" form-encodes to s%C3%A9cret+%C3%BC%2B%2F%25%26%3D%3A.
        let v = basic_authorization("id:1", Some(&ClientSecret::new("sécret ü+/%&=:".into())), BasicEncoding::Form);
        let expected_pair = "id%3A1:s%C3%A9cret+%C3%BC%2B%2F%25%26%3D%3A";
        assert_eq!(v, ["Basic ", &base64::engine::general_purpose::STANDARD.encode(expected_pair)].concat());
        assert_eq!(v, "Basic aWQlM0ExOnMlQzMlQTljcmV0KyVDMyVCQyUyQiUyRiUyNSUyNiUzRCUzQQ==");
        let none = basic_authorization("id", Some(&ClientSecret::new("a+b/c%d&e=f".into())), BasicEncoding::None);
        assert_eq!(none, "Basic aWQ6YStiL2MlZCZlPWY=");
    }

    #[test]
    fn whatwg_form_leaves_star_dash_dot_underscore() {
        // The WHATWG serializer (URLSearchParams) leaves *-._ unescaped; pinned on purpose.
        assert_eq!(form_encode("a*b-c.d_e~f g"), "a*b-c.d_e%7Ef+g");
    }

    #[test]
    fn debug_hides_body_and_authorization() {
        let r = request(&[]);
        let d = format!("{r:?}");
        assert!(!d.contains("secret") && !d.contains("Y2xpZW50"), "{d}");
    }
}
