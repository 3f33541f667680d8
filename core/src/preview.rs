//! The request preview: the token request exactly as [`request::build`] makes it for a validated
//! configuration, with every secret masked, plus plain-language notes on the encodings applied.
//! Nothing is sent. It shows people debugging a token endpoint what they would otherwise guess
//! with curl: where the credentials go and how they are encoded.
//!
//! Masking (the same everywhere, whatever the secret's length):
//! - the body's `client_secret`, `password` and `refresh_token` values read [`MASK`]: the request is built from a
//!   copy of the configuration whose secrets *are* the mask, so no secret byte reaches the
//!   preview's method, URL, headers or body;
//! - the Authorization value is written as the formula it is, `Basic base64(<id>:********)`,
//!   with the client ID as it goes inside the base64 (form-urlencoded for `basicEncoding`
//!   `"form"`, RFC 6749 §2.3.1): a real-looking base64 of a masked pair would be mistaken for
//!   the value on the wire.
//!
//! The notes depend on a secret only through yes/no facts the user needs to fix a failure:
//! whether form encoding changes the client secret, and whether a secret begins or ends with
//! whitespace.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::concat;
use crate::config::{BasicEncoding, ClientAuthentication, Config, Grant};
use crate::request::{self, form_encode};
use crate::secret::{ClientSecret, Password, RefreshToken};

/// What every secret reads in a preview. `*` is left as is by form encoding (WHATWG).
pub const MASK: &str = "********";

/// A preview's `url` when the token endpoint is discovered.
pub const DISCOVERED_URL: &str = "(the token_endpoint of the issuer's metadata)";

/// A token request with its secrets masked. `headers` are in sending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// What was encoded how, and hints; never a secret.
    pub notes: Vec<String>,
}

/// The request [`request::build`] makes for `config`, secrets masked.
pub fn preview(config: &Config) -> Preview {
    let mut masked = config.clone();
    if masked.client_secret.is_some() {
        masked.client_secret = Some(ClientSecret::new(String::from(MASK)));
    }
    match &mut masked.grant {
        Grant::Password { password, .. } => *password = Password::new(String::from(MASK)),
        Grant::RefreshToken { refresh_token } => *refresh_token = RefreshToken::new(String::from(MASK)),
        Grant::ClientCredentials => {}
    }
    let req = request::build(&masked);
    let headers = req
        .headers
        .into_iter()
        .map(|(name, value)| if name == "Authorization" { (name, basic_formula(config)) } else { (name, value) })
        .collect();
    let mut notes = notes(config);
    let mut url = req.url;
    if let (true, Some(issuer)) = (config.needs_discovery(), &config.issuer) {
        // Nothing is fetched for a preview: it says what would be.
        let [first, second] = issuer.urls();
        url = String::from(DISCOVERED_URL);
        notes.insert(
            0,
            concat(&[
                "The token endpoint is discovered first: GET ",
                &first,
                ", then ",
                &second,
                " if nothing is published there (RFC 8414 §3); the metadata's issuer must equal the \
                 configured issuer (§3.3), and the request goes to its token_endpoint.",
            ]),
        );
    }
    Preview { method: req.method, url, headers, body: req.body, notes }
}

/// The client ID as it goes inside the Basic credentials.
fn basic_user(config: &Config) -> String {
    match config.basic_encoding {
        BasicEncoding::Form => form_encode(&config.client_id),
        BasicEncoding::None => config.client_id.clone(),
    }
}

/// `Basic base64(<id>:********)`: RFC 7617 §2 user-pass, with the secret masked.
fn basic_formula(config: &Config) -> String {
    let secret = if config.client_secret.is_some() { MASK } else { "" };
    concat(&["Basic base64(", &basic_user(config), ":", secret, ")"])
}

fn notes(config: &Config) -> Vec<String> {
    let mut notes = Vec::new();
    let secret = config.client_secret.as_ref().map(ClientSecret::expose);
    match (config.client_authentication, config.basic_encoding) {
        (ClientAuthentication::Header, BasicEncoding::Form) => {
            notes.push(String::from(
                "Authorization: HTTP Basic (RFC 7617) of the client ID and secret, each \
                 form-urlencoded first (RFC 6749 §2.3.1), joined with \":\", base64-encoded. The \
                 secret is masked.",
            ));
            let user = basic_user(config);
            if user != config.client_id {
                notes.push(concat(&[
                    "The client ID changes under form encoding: \"",
                    &config.client_id,
                    "\" goes into Basic as \"",
                    &user,
                    "\".",
                ]));
            }
            if secret.is_some_and(|s| form_encode(s) != s) {
                notes.push(String::from(
                    "The client secret holds characters that form encoding changes (all but ASCII \
                     letters, digits and \
                     * - . _). If the server answers invalid_client, it may not URL-decode Basic: \
                     try basicEncoding \"none\" or clientAuthentication \"body\".",
                ));
            }
        }
        (ClientAuthentication::Header, BasicEncoding::None) => notes.push(String::from(
            "Authorization: plain HTTP Basic (RFC 7617) of the client ID and secret as entered, \
             without form encoding (basicEncoding \"none\"), joined with \":\", base64-encoded. \
             The secret is masked.",
        )),
        (ClientAuthentication::Body, _) if secret.is_some() => notes.push(String::from(
            "client_id and client_secret are form parameters of the body (RFC 6749 §2.3.1). The \
             secret is masked.",
        )),
        (ClientAuthentication::Body, _) => notes.push(String::from(
            "client_id is a form parameter of the body; no client secret is sent (a public client, \
             RFC 6749 §2.1).",
        )),
        (ClientAuthentication::TlsClientAuth | ClientAuthentication::SelfSignedTlsClientAuth, _) => {
            notes.push(String::from(
                "client_id is a form parameter of the body; no client secret is sent: the TLS client \
                 certificate authenticates the client (RFC 8705 §2). The certificate is the \
                 transport's business: pass a fetch that presents it.",
            ))
        }
    }
    if let Grant::Password { password, .. } = &config.grant {
        notes.push(String::from(
            "The user name and password are form parameters of the body (RFC 6749 §4.3.2). The \
             password is masked.",
        ));
        if has_outer_whitespace(password.expose()) {
            notes.push(String::from("The password begins or ends with whitespace, sent as is: check the paste."));
        }
    }
    if secret.is_some_and(has_outer_whitespace) {
        notes.push(String::from("The client secret begins or ends with whitespace, sent as is: check the paste."));
    }
    notes
}

fn has_outer_whitespace(s: &str) -> bool {
    s.trim() != s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::config::tests::{base, entries, parse_url, s};
    use crate::value::Value;
    use base64::Engine as _;

    fn preview_of(extra: &[(&'static str, Value)]) -> Preview {
        let mut pairs = base();
        pairs.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        pairs.extend_from_slice(extra);
        preview(&parse(&entries(&pairs), &parse_url).unwrap())
    }

    fn header<'a>(p: &'a Preview, name: &str) -> Option<&'a str> {
        p.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn header_mode_exact() {
        let p = preview_of(&[("scope", s("read  write"))]);
        assert_eq!(p.method, "POST");
        assert_eq!(p.url, "https://auth.example.com/oauth2/token");
        assert_eq!(
            p.headers,
            vec![
                ("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8".to_owned()),
                ("Accept", "application/json".to_owned()),
                ("Authorization", "Basic base64(client:********)".to_owned()),
            ]
        );
        assert_eq!(p.body, "grant_type=client_credentials&scope=read+write");
        assert_eq!(p.notes.len(), 1);
        assert!(p.notes[0].starts_with("Authorization: HTTP Basic (RFC 7617)"), "{}", p.notes[0]);
    }

    #[test]
    fn header_mode_shows_the_form_encoded_id() {
        let p = preview_of(&[("clientId", s("my app:1/ü"))]);
        assert_eq!(header(&p, "Authorization"), Some("Basic base64(my+app%3A1%2F%C3%BC:********)"));
        assert_eq!(
            p.notes[1],
            "The client ID changes under form encoding: \"my app:1/ü\" goes into Basic as \"my+app%3A1%2F%C3%BC\"."
        );
    }

    #[test]
    fn basic_none_shows_the_id_as_is() {
        let p = preview_of(&[("basicEncoding", s("none")), ("clientId", s("my+app")), ("clientSecret", s("a+b"))]);
        assert_eq!(header(&p, "Authorization"), Some("Basic base64(my+app:********)"));
        assert_eq!(p.notes.len(), 1);
        assert!(p.notes[0].contains("without form encoding"), "{}", p.notes[0]);
    }

    #[test]
    fn body_mode_exact() {
        let p = preview_of(&[("clientAuthentication", s("body")), ("scope", s("read"))]);
        assert_eq!(header(&p, "Authorization"), None);
        assert_eq!(p.headers.len(), 2);
        assert_eq!(p.body, "grant_type=client_credentials&scope=read&client_id=client&client_secret=********");
        assert!(p.notes[0].starts_with("client_id and client_secret are form parameters"));
    }

    #[test]
    fn password_grant_masks_the_password() {
        let p = preview_of(&[
            ("grantType", s("password")),
            ("username", s("alice@example.com")),
            ("password", s("correct horse")),
        ]);
        assert_eq!(p.body, "grant_type=password&username=alice%40example.com&password=********");
        assert_eq!(header(&p, "Authorization"), Some("Basic base64(client:********)"));
        assert_eq!(p.notes.len(), 2);
        let p = preview_of(&[
            ("grantType", s("password")),
            ("username", s("u")),
            ("password", s("pw")),
            ("clientAuthentication", s("body")),
        ]);
        assert_eq!(p.body, "grant_type=password&username=u&password=********&client_id=client&client_secret=********");
    }

    #[test]
    fn refresh_grant_masks_the_refresh_token_and_shows_extra_params() {
        let extra = Value::Object(vec![("resource".into(), Value::Array(vec![s("https://a/"), s("https://b/")]))]);
        let p =
            preview_of(&[("grantType", s("refresh_token")), ("refreshToken", s("rt-secret")), ("extraParams", extra)]);
        assert_eq!(
            p.body,
            "grant_type=refresh_token&refresh_token=********&resource=https%3A%2F%2Fa%2F&resource=https%3A%2F%2Fb%2F"
        );
        assert!(!format!("{p:?}").contains("rt-secret"));
    }

    #[cfg(feature = "discovery")]
    #[test]
    fn an_issuer_says_it_would_be_discovered() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "tokenEndpoint");
        pairs.push(("issuer", s("https://as.example.com/tenant")));
        let p = preview(&crate::config::parse(&entries(&pairs), &parse_url).unwrap());
        assert_eq!(p.url, DISCOVERED_URL);
        assert!(p.notes[0].starts_with(
            "The token endpoint is discovered first: GET https://as.example.com/.well-known/oauth-authorization-server/tenant, then https://as.example.com/tenant/.well-known/openid-configuration"
        ));
    }

    #[test]
    fn public_client() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "clientSecret");
        pairs.extend([
            ("grantType", s("password")),
            ("username", s("u")),
            ("password", s("p")),
            ("clientAuthentication", s("body")),
        ]);
        let p = preview(&parse(&entries(&pairs), &parse_url).unwrap());
        assert_eq!(p.body, "grant_type=password&username=u&password=********&client_id=client");
        assert!(p.notes[0].contains("no client secret is sent"));
    }

    #[test]
    fn notes_on_secrets_are_yes_no_facts() {
        let special = preview_of(&[("clientSecret", s("a+b"))]);
        assert!(special.notes.iter().any(|n| n.contains("form encoding changes")));
        let plain = preview_of(&[("clientSecret", s("Abc-1.2_3*"))]);
        assert!(!plain.notes.iter().any(|n| n.contains("form encoding changes")));
        let padded = preview_of(&[("clientSecret", s("secret "))]);
        assert!(padded.notes.iter().any(|n| n.starts_with("The client secret begins or ends with whitespace")));
        let pw = preview_of(&[("grantType", s("password")), ("username", s("u")), ("password", s("\tpw"))]);
        assert!(pw.notes.iter().any(|n| n.starts_with("The password begins or ends with whitespace")));
    }

    #[test]
    fn no_secret_appears_in_any_encoding() {
        for secret in ["s3cr3t-canary", "p+s/%&=: ü-canary", "hunter2 canary"] {
            for auth in ["header", "body"] {
                for enc in ["form", "none"] {
                    let mut extra = vec![
                        ("clientSecret", s(secret)),
                        ("clientAuthentication", s(auth)),
                        ("grantType", s("password")),
                        ("username", s("alice")),
                        ("password", s(&[secret, "-pw"].concat())),
                    ];
                    if enc == "none" {
                        // Plain Basic refuses non-ASCII secrets (config).
                        if auth == "header" && !secret.is_ascii() {
                            continue;
                        }
                        extra.push(("basicEncoding", s(enc)));
                    }
                    let p = preview_of(&extra);
                    let mut all = vec![p.url.clone(), p.body.clone()];
                    all.extend(p.headers.iter().map(|(n, v)| [*n, ": ", v].concat()));
                    all.extend(p.notes.iter().cloned());
                    let pair = ["client:", secret].concat();
                    let forbidden = [
                        secret.to_owned(),
                        form_encode(secret),
                        base64::engine::general_purpose::STANDARD.encode(&pair),
                        base64::engine::general_purpose::STANDARD.encode(["client:", &form_encode(secret)].concat()),
                        "canary".to_owned(),
                    ];
                    for text in &all {
                        for f in &forbidden {
                            assert!(!text.contains(f.as_str()), "{auth}/{enc}: {text}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn same_shape_as_the_real_request() {
        let extra = [("scope", s("read")), ("clientAuthentication", s("body"))];
        let mut pairs = base();
        pairs.extend_from_slice(&extra);
        let config = parse(&entries(&pairs), &parse_url).unwrap();
        let real = request::build(&config);
        let p = preview(&config);
        assert_eq!(real.body.replace("client_secret=secret", "client_secret=********"), p.body);
        let names: Vec<&str> = real.headers.iter().map(|(n, _)| *n).collect();
        let shown: Vec<&str> = p.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, shown);
    }
}
