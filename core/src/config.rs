//! Configuration: the JavaScript object's entries in, a validated [`Config`] out ("parse, don't
//! validate"): later code never re-checks. Every failure is `ERR_INVALID_CONFIG` naming the key,
//! except the SSL mode and the endpoint's scheme, which have codes of their own. No message
//! quotes a value: any field may hold a secret pasted in the wrong place.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::assertion;
pub use crate::assertion::Signer;
use crate::concat;
use crate::discovery::{self, Issuer};
use crate::error::{Error, SslModeRefused};
use crate::retry::{self, Retry};
use crate::secret::{ClientSecret, Password, RefreshToken};
use crate::value::{Json, Value};

/// The parts of the token endpoint URL, as the host's WHATWG `URL` parser gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// The serialized URL, e.g. `https://auth.example.com/oauth2/token`.
    pub href: String,
    /// The scheme with its colon, e.g. `https:`.
    pub protocol: String,
    /// The host name, lower-cased; IPv6 addresses in brackets, e.g. `[::1]`.
    pub hostname: String,
    /// The URL carries a user name or password (`https://user:pw@host/`).
    pub has_credentials: bool,
}

/// The token endpoint: an absolute `https:` URL, or `http:` to a loopback host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEndpoint {
    href: String,
    host: String,
}

impl From<UrlParts> for TokenEndpoint {
    fn from(url: UrlParts) -> Self {
        TokenEndpoint { href: url.href, host: url.hostname }
    }
}

impl TokenEndpoint {
    pub fn href(&self) -> &str {
        &self.href
    }
    /// The host name, for cookie domain matching (RFC 6265 §5.1.3).
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// The grant, with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Grant {
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.3.
    Password { username: String, password: Password },
    /// RFC 6749 §6.
    RefreshToken { refresh_token: RefreshToken },
    /// RFC 7523 §2.1: a JWT the config's [`Signer`] signs is the grant.
    #[cfg(feature = "jwt")]
    JwtBearer,
}

/// Where the client credentials go (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthentication {
    /// HTTP Basic in the Authorization header.
    Header,
    /// `client_id` and `client_secret` in the form body.
    Body,
    /// RFC 7523 §2.2 / OpenID Connect Core §9 `private_key_jwt`: `client_assertion` signed by the
    /// config's [`Signer`] (a private key), with `client_id`, in the body.
    #[cfg(feature = "jwt")]
    PrivateKeyJwt,
    /// OpenID Connect Core §9 `client_secret_jwt`: the same, signed with HMAC by the client secret.
    #[cfg(feature = "jwt")]
    ClientSecretJwt,
    /// No client authentication: the jwt_bearer grant's assertion is the credential (RFC 7523
    /// §3.1), as Google and Salesforce use it.
    #[cfg(feature = "jwt")]
    None,
    /// RFC 8705 §2.1.1 `tls_client_auth`: a PKI client certificate on the TLS connection, which
    /// the transport presents; `client_id` in the body, no secret.
    TlsClientAuth,
    /// RFC 8705 §2.2.1 `self_signed_tls_client_auth`: likewise, with a self-signed certificate
    /// the server has registered.
    SelfSignedTlsClientAuth,
}

impl ClientAuthentication {
    /// RFC 8705 §2: the client authenticates with the TLS client certificate.
    pub fn is_mutual_tls(self) -> bool {
        matches!(self, ClientAuthentication::TlsClientAuth | ClientAuthentication::SelfSignedTlsClientAuth)
    }
}

/// How the id and secret are encoded inside the Basic header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicEncoding {
    /// RFC 6749 §2.3.1: form-urlencode each, then join with `:` (the default).
    Form,
    /// Plain RFC 7617 Basic, for servers that never URL-decode (ASCII only, no `:` in the id).
    None,
}

/// The `grantType` setting, before what the grant needs is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrantType {
    ClientCredentials,
    Password,
    RefreshToken,
    #[cfg(feature = "jwt")]
    JwtBearer,
}

/// A validated scope: space-delimited tokens, each RFC 6749 §3.3 `scope-token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(String);

impl Scope {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Empty until discovered when `issuer` is a URL ([`Config::needs_discovery`]).
    pub token_endpoint: TokenEndpoint,
    /// `issuer`: the token endpoint comes from its metadata (RFC 8414).
    pub issuer: Option<Issuer>,
    /// `retry`: failed attempts that are safe to repeat are sent again.
    pub retry: Option<Retry>,
    pub grant: Grant,
    pub client_id: String,
    /// Absent only for a public client of the password grant in body mode.
    pub client_secret: Option<ClientSecret>,
    pub scope: Option<Scope>,
    pub client_authentication: ClientAuthentication,
    pub basic_encoding: BasicEncoding,
    /// Further token request parameters (e.g. RFC 8707 `resource`), in order, repeats kept.
    pub extra_params: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub ignore_cookies_policy: bool,
    pub max_response_bytes: u64,
    /// The key and claims of a signed assertion (RFC 7523): for `private_key_jwt`,
    /// `client_secret_jwt` or the jwt_bearer grant. (Uninhabited without the `jwt` feature.)
    pub signer: Option<Signer>,
    /// The caller passed `fetch` (the host keeps the function; it presents a client certificate,
    /// trusts a private CA or goes through a proxy).
    pub custom_fetch: bool,
}

impl Config {
    /// The token endpoint is still to be discovered from the issuer's metadata (always false
    /// in a build without the `discovery` feature).
    pub fn needs_discovery(&self) -> bool {
        cfg!(feature = "discovery") && self.issuer.is_some() && self.token_endpoint.href.is_empty()
    }

    /// Takes the token endpoint the issuer's metadata named.
    pub fn discovered(&mut self, endpoint: TokenEndpoint) {
        self.token_endpoint = endpoint;
    }
}

/// The options `createConnection` adds to a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionOptions {
    /// Renew this long before the token expires (capped at half its lifetime).
    pub refresh_skew_ms: f64,
    /// The header that carries the token on REST calls, default `Authorization`.
    pub header_name: String,
    /// Written before the token, default: the token type (RFC 6750 §2.1). Empty: the token alone.
    pub header_prefix: Option<String>,
    /// A shared token cache is configured (`cache`; the host keeps the object itself).
    pub cache: bool,
    /// A coordinator is configured (`coordinator`, a Durable Object namespace; the host keeps it).
    pub coordinator: bool,
    /// The origins a REST call may carry the token to (`resourceOrigins`, serialized as
    /// `scheme://host[:port]`); `None`: any https: origin, and http: only to loopback.
    pub resource_origins: Option<Vec<String>>,
}

/// Default `refreshSkewSeconds`.
pub const DEFAULT_REFRESH_SKEW_SECONDS: f64 = 60.0;

/// Default `timeoutSeconds`.
pub const DEFAULT_TIMEOUT_SECONDS: f64 = 30.0;
/// Default `maxResponseBytes`: 1 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1 << 20;
/// Timers in every host overflow above 2^31 - 1 ms (Node fires them after 1 ms instead).
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;
/// The longest configuration string accepted, in UTF-8 bytes (64 KiB). No id, secret, scope or
/// URL is anywhere near it; a longer one is a mistake (a file pasted in) or an attack on memory.
pub const MAX_STRING_BYTES: usize = 65_536;
/// The most values `extraParams` may hold in all (each item of an array counts).
pub const MAX_EXTRA_VALUES: usize = 256;
/// The most UTF-16 code units the strings of one configuration may hold in all (1 MiB). The
/// host stops copying there, before anything reaches wasm memory.
pub const MAX_CONFIG_UNITS: usize = 1 << 20;

/// Why the host could not copy the caller's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFailure<'a> {
    /// Reading it threw: a getter or a Proxy trap; the error's name.
    Threw(&'a str),
    /// Its strings hold more than [`MAX_CONFIG_UNITS`] in all.
    TooLarge,
    /// A string of this field holds a lone UTF-16 surrogate, which has no UTF-8 form (two
    /// different strings would be sent as the same bytes).
    LoneSurrogate(&'a str),
}

/// The error for a configuration the host could not copy.
pub fn copy_failed(failure: CopyFailure<'_>) -> Error {
    match failure {
        CopyFailure::Threw(name) => invalid(&[
            "config could not be read: a getter or Proxy trap threw (",
            &shown(name),
            "); pass a plain object",
        ]),
        CopyFailure::TooLarge => invalid(&["config holds more than 1 MiB of strings in all"]),
        CopyFailure::LoneSurrogate(field) => {
            invalid(&[&shown(field), " holds a lone UTF-16 surrogate, which cannot be sent as UTF-8"])
        }
    }
}

/// The keys `requestToken` accepts, in the order the "accepted:" message lists them: the
/// exchange's, the signed assertions' ([`assertion::SETTINGS`], the `jwt` feature's) and the
/// transport's.
pub const KEYS: &[&str] = &ALL_KEYS;

const ALL_KEYS: [&str; EXCHANGE_KEYS.len() + assertion::SETTINGS.len() + TRANSPORT_KEYS.len()] =
    concat_keys([EXCHANGE_KEYS, assertion::SETTINGS, TRANSPORT_KEYS]);

const EXCHANGE_KEYS: &[&str] = &[
    "tokenEndpoint",
    "grantType",
    "clientId",
    "clientSecret",
    "scope",
    "username",
    "password",
    "refreshToken",
    "extraParams",
    "clientAuthentication",
    "basicEncoding",
    "sslMode",
    "timeoutSeconds",
    "ignoreCookiesPolicy",
    "maxResponseBytes",
    "signal",
];

/// The caller's fetch, discovery from an issuer, retries.
const TRANSPORT_KEYS: &[&str] = &["fetch", "issuer", "retry"];

/// `parts.concat()` at compile time, so that each key is written once.
const fn concat_keys<const N: usize>(parts: [&[&'static str]; 3]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut p, mut i) = (0, 0);
    while p < parts.len() {
        let mut j = 0;
        while j < parts[p].len() {
            out[i] = parts[p][j];
            i += 1;
            j += 1;
        }
        p += 1;
    }
    assert!(i == N);
    out
}

/// The keys `createConnection` accepts on top of [`KEYS`].
pub const CONNECTION_KEYS: &[&str] =
    &["refreshSkewSeconds", "headerName", "headerPrefix", "cache", "resourceOrigins", "restFetch", "coordinator"];

/// Header names `headerName` refuses: fetch's forbidden request headers (the host would drop or
/// refuse them) and the hop-by-hop ones (RFC 9110 §7.6.1), compared case-insensitively, plus
/// every name starting with `Proxy-` or `Sec-`.
const FORBIDDEN_HEADERS: &[&str] = &[
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

fn forbidden_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    FORBIDDEN_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") || lower.starts_with("sec-")
}

/// Parameter names the token request sets itself; `extraParams` cannot override them.
pub const RESERVED_PARAMS: &[&str] =
    &["grant_type", "client_id", "client_secret", "scope", "username", "password", "refresh_token"];

pub(crate) fn invalid(parts: &[&str]) -> Error {
    Error::InvalidConfig(concat(parts))
}

/// Reads entries by key; `undefined` and `null` count as absent.
pub(crate) struct Entries<'a>(pub(crate) &'a [(String, Value)]);

impl<'a> Entries<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Value::Undefined | Value::Null))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<&'a str>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(invalid(&[key, " must be a string, got ", other.kind()])),
        }
    }

    /// A required, non-empty string.
    pub(crate) fn required(&self, key: &str, why: &str) -> Result<&'a str, Error> {
        match self.string(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(invalid(&[key, " is required", why])),
        }
    }

    /// One of a fixed set of strings, as its typed value (`None`: absent); the error lists them.
    pub(crate) fn choice<T: Copy>(&self, key: &str, options: &[(&str, T)]) -> Result<Option<T>, Error> {
        let Some(s) = self.string(key)? else { return Ok(None) };
        if let Some((_, v)) = options.iter().find(|(name, _)| *name == s) {
            return Ok(Some(*v));
        }
        let mut m = concat(&[key, " must be one of "]);
        for (i, (name, _)) in options.iter().enumerate() {
            if i > 0 {
                m.push_str(", ");
            }
            m.push('"');
            m.push_str(name);
            m.push('"');
        }
        Err(Error::InvalidConfig(m))
    }

    pub(crate) fn number(&self, key: &str) -> Result<Option<f64>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(*n)),
            Some(other) => Err(invalid(&[key, " must be a number, got ", other.kind()])),
        }
    }

    pub(crate) fn boolean(&self, key: &str) -> Result<bool, Error> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(invalid(&[key, " must be a boolean, got ", other.kind()])),
        }
    }
}

/// Validates a `requestToken` configuration. `parse_url` is the host's WHATWG URL parser
/// (`None`: not a URL).
pub fn parse(entries: &[(String, Value)], parse_url: &dyn Fn(&str) -> Option<UrlParts>) -> Result<Config, Error> {
    check_keys(entries, false)?;
    parse_config(&Entries(entries), parse_url)
}

/// Validates a `createConnection` configuration: a token request configuration plus the
/// connection's own options.
pub fn parse_connection(
    entries: &[(String, Value)],
    parse_url: &dyn Fn(&str) -> Option<UrlParts>,
) -> Result<(Config, ConnectionOptions), Error> {
    check_keys(entries, true)?;
    let e = Entries(entries);
    let config = parse_config(&e, parse_url)?;
    if e.get("signal").is_some() {
        // A renewal is shared by every caller (single-flight): one caller's signal cannot own it.
        return Err(invalid(&[
            "signal is an option of requestToken, not of createConnection (its token requests are \
             shared); abort a REST call with fetch's init.signal",
        ]));
    }

    let skew = e.number("refreshSkewSeconds")?.unwrap_or(DEFAULT_REFRESH_SKEW_SECONDS);
    if !(skew.is_finite() && (0.0..=86_400.0).contains(&skew)) {
        return Err(invalid(&["refreshSkewSeconds must be a number from 0 to 86400"]));
    }
    let header_name = match e.string("headerName")? {
        None => String::from("Authorization"),
        Some(n) if forbidden_header(n) => {
            return Err(invalid(&["headerName cannot be a header fetch forbids or a hop-by-hop one (Host, Cookie, \
                 Content-Length, Connection, Transfer-Encoding, Proxy-*, Sec-*, ...)"]))
        }
        // RFC 9110 §5.1: a field name is a token.
        Some(n) if !n.is_empty() && n.bytes().all(crate::response::is_tchar) => n.to_owned(),
        Some(_) => return Err(invalid(&["headerName must be an HTTP header name (RFC 9110 section 5.1)"])),
    };
    let header_prefix = match e.string("headerPrefix")? {
        None => None,
        // It is written into a header value: visible ASCII and spaces only (RFC 9110 §5.5).
        Some(p) if p.bytes().all(|b| b == b' ' || (0x21..=0x7e).contains(&b)) => Some(p.trim_ascii().to_owned()),
        Some(_) => return Err(invalid(&["headerPrefix must be printable ASCII (it is sent in an HTTP header)"])),
    };
    let cache = check_cache(&e, &config.grant)?;
    check_function(&e, "restFetch")?;
    let resource_origins = resource_origins(&e, parse_url)?;
    let coordinator = check_coordinator(&e, &config, cache)?;
    Ok((
        config,
        ConnectionOptions {
            refresh_skew_ms: skew * 1000.0,
            header_name,
            header_prefix,
            cache,
            resource_origins,
            coordinator,
        },
    ))
}

/// `resourceOrigins`: an array of `http:` or `https:` origins, each kept as its serialization.
/// Listing an `http:` origin that is not loopback is the caller's explicit opt-in to sending
/// the token there in clear text (without a list, such calls are refused).
fn resource_origins(
    e: &Entries<'_>,
    parse_url: &dyn Fn(&str) -> Option<UrlParts>,
) -> Result<Option<Vec<String>>, Error> {
    let items = match e.get("resourceOrigins") {
        None => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(invalid(&["resourceOrigins must be an array of origins, got ", other.kind()])),
    };
    let mut origins = Vec::new();
    for item in items {
        let url = match item {
            Value::String(s) => parse_url(s),
            _ => None,
        };
        let origin = url.as_ref().filter(|u| !u.has_credentials).and_then(|u| origin_of(&u.href));
        let Some(origin) = origin else {
            return Err(invalid(&[
                "resourceOrigins must hold absolute http: or https: origins, e.g. https://api.example.com",
            ]));
        };
        origins.push(origin.to_owned());
    }
    Ok(Some(origins))
}

/// The options `discover(issuer, options)` takes, with `issuer`.
pub const DISCOVERY_KEYS: &[&str] = &["issuer", "fetch", "timeoutSeconds", "maxResponseBytes", "signal", "retry"];

/// Validates `discover()`'s issuer and options: by the token request's rules, for a client that
/// is never used.
pub fn parse_discovery(
    mut entries: Vec<(String, Value)>,
    parse_url: &dyn Fn(&str) -> Option<UrlParts>,
) -> Result<Config, Error> {
    if let Some((k, _)) = entries.iter().find(|(k, _)| !DISCOVERY_KEYS.contains(&k.as_str())) {
        return Err(invalid(&[
            "discover() takes the options fetch, timeoutSeconds, maxResponseBytes, signal and retry, not \"",
            &shown(k),
            "\"",
        ]));
    }
    if !matches!(Entries(&entries).get("issuer"), Some(Value::String(_))) {
        return Err(invalid(&["discover() takes the issuer's URL, a string"]));
    }
    entries.push((String::from("clientId"), Value::String(String::from("-"))));
    entries.push((String::from("clientAuthentication"), Value::String(String::from("tls_client_auth"))));
    parse_config(&Entries(&entries), parse_url)
}

/// The origin of an http: or https: URL as the WHATWG parser serializes it: everything before
/// the path (no credentials: callers refuse those).
pub fn origin_of(href: &str) -> Option<&str> {
    let rest = href.strip_prefix("https://").or_else(|| href.strip_prefix("http://"))?;
    let end = rest.find('/').unwrap_or(rest.len());
    href.get(..href.len() - rest.len() + end)
}

/// A key or parameter name as a message shows it: its first 64 characters, cleaned (a message
/// is one clean line, whatever the name holds).
pub(crate) fn shown(name: &str) -> String {
    crate::text::clean(&name.chars().take(64).collect::<String>())
}

/// An unknown key as a message shows it: its first 4 characters and its length, since a value
/// pasted as a key (a secret) must not be quoted whole.
fn shown_unknown(name: &str) -> String {
    // Summed: `Chars::count`'s fast path would put half a kilobyte of code in the .wasm for a
    // message.
    let n: usize = name.chars().map(|_| 1).sum();
    let head = shown(&name.chars().take(4).collect::<String>());
    if n <= 4 {
        return concat(&["\"", &head, "\""]);
    }
    concat(&["\"", &head, "...\" (", &crate::decimal(n as u64), " characters)"])
}

/// A typo must not pass silently: an unknown key is an error naming it.
fn check_keys(entries: &[(String, Value)], connection: bool) -> Result<(), Error> {
    let known = |k: &str| KEYS.contains(&k) || (connection && CONNECTION_KEYS.contains(&k));
    let Some((k, _)) = entries.iter().find(|(k, _)| !known(k)) else { return Ok(()) };
    let shown = shown(k);
    if CONNECTION_KEYS.contains(&k.as_str()) {
        return Err(invalid(&[&shown, " is an option of createConnection, not of requestToken"]));
    }
    let mut m = concat(&["unknown configuration key ", &shown_unknown(k), " (accepted: "]);
    let extra: &[&str] = if connection { CONNECTION_KEYS } else { &[] };
    for (i, key) in KEYS.iter().chain(extra).enumerate() {
        if i > 0 {
            m.push_str(", ");
        }
        m.push_str(key);
    }
    m.push(')');
    Err(Error::InvalidConfig(m))
}

/// Every string in the configuration (values, `extraParams` names, values and array items)
/// is at most [`MAX_STRING_BYTES`]. Walks only as deep as a valid configuration goes (two
/// levels, for `extraParams`' arrays); anything deeper is refused by the type checks anyway.
fn check_lengths(entries: &[(String, Value)]) -> Result<(), Error> {
    fn walk(field: &str, v: &Value, depth: u8) -> Result<(), Error> {
        match v {
            Value::String(s) if s.len() > MAX_STRING_BYTES => Err(too_long(field)),
            Value::Array(items) if depth > 0 => items.iter().try_for_each(|item| walk(field, item, depth - 1)),
            Value::Object(members) if depth > 0 => members.iter().try_for_each(|(name, item)| {
                if name.len() > MAX_STRING_BYTES {
                    return Err(invalid(&[field, " has a member name longer than 65536 bytes (64 KiB)"]));
                }
                walk(&concat(&[field, ".", &shown(name)]), item, depth - 1)
            }),
            _ => Ok(()),
        }
    }
    entries.iter().try_for_each(|(key, v)| walk(key, v, 2))
}

fn too_long(field: &str) -> Error {
    invalid(&[field, " is longer than 65536 bytes (64 KiB), the limit for any configuration string"])
}

/// C0 controls, DEL and C1 controls (Unicode category Cc). C1 is refused too: U+0085 is a line
/// break to some parsers and U+009B a terminal escape, and no identifier or URL needs one.
pub(crate) fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// The fields whose value is sent or shown as is and must not hold a control character. (The
/// WHATWG URL parser silently deletes tabs and newlines inside a URL, so
/// `https://auth.exa\nmple.com` would quietly become another host; secrets are form-encoded and
/// left alone.)
pub(crate) fn check_controls(e: &Entries<'_>, key: &str) -> Result<(), Error> {
    match e.string(key)? {
        Some(s) if has_control(s) => {
            Err(invalid(&[key, " contains a control character (U+0000-U+001F, U+007F-U+009F)"]))
        }
        _ => Ok(()),
    }
}

fn parse_config(e: &Entries<'_>, parse_url: &dyn Fn(&str) -> Option<UrlParts>) -> Result<Config, Error> {
    check_lengths(e.0)?;
    for key in ["tokenEndpoint", "clientId", "username"] {
        check_controls(e, key)?;
    }

    let modes = [("verify", None), ("trust", Some(SslModeRefused::Trust)), ("off", Some(SslModeRefused::Off))];
    if let Some(Some(mode)) = e.choice("sslMode", &modes)? {
        return Err(Error::UnsupportedSslMode { mode });
    }

    // Signed assertions' settings in a build without them: refused by name, first.
    crate::assertion::available(e)?;
    let (url, issuer) = endpoint(e, parse_url)?;
    // Everything else is checked on borrowed values before anything is copied: no owned value
    // is live across the checks' early returns but the URL's parts.
    let c = checks(e)?;
    #[cfg(feature = "jwt")]
    let signer = crate::assertion::parse(
        e,
        &crate::assertion::Context {
            grant_jwt_bearer: c.grant == GrantType::JwtBearer,
            authentication: c.authentication,
            client_id: c.client_id,
        },
    )?;
    #[cfg(not(feature = "jwt"))]
    let signer = None;
    let scope = if crate::assertion::takes_scope(signer.as_ref()) { None } else { scope_of(c.scope) };
    let retry = check_retry(e)?;
    let mut extra_params = Vec::new();
    if let Some(members) = c.extra {
        let _ = extra_params_into(members, Some(&mut extra_params));
    }
    Ok(Config {
        token_endpoint: url,
        issuer,
        retry,
        grant: match c.grant {
            GrantType::ClientCredentials => Grant::ClientCredentials,
            GrantType::Password => {
                Grant::Password { username: c.user.to_owned(), password: Password::new(c.pass.to_owned()) }
            }
            GrantType::RefreshToken => Grant::RefreshToken { refresh_token: RefreshToken::new(c.pass.to_owned()) },
            #[cfg(feature = "jwt")]
            GrantType::JwtBearer => Grant::JwtBearer,
        },
        client_id: crate::assertion::client_id(signer.as_ref(), c.client_id),
        client_secret: c.client_secret.map(|s| ClientSecret::new(s.to_owned())),
        scope,
        client_authentication: c.authentication,
        basic_encoding: c.encoding,
        extra_params,
        timeout_ms: ceil(c.timeout_ms),
        ignore_cookies_policy: c.ignore_cookies,
        max_response_bytes: c.max_response_bytes,
        signer,
        custom_fetch: c.custom_fetch,
    })
}

/// What [`checks`] found, borrowed from the entries.
struct Checked<'a> {
    grant: GrantType,
    user: &'a str,
    /// The password or the refresh token.
    pass: &'a str,
    authentication: ClientAuthentication,
    encoding: BasicEncoding,
    client_id: &'a str,
    client_secret: Option<&'a str>,
    /// Already checked; [`parse_scope`] only normalizes it then.
    scope: &'a str,
    extra: Option<&'a [(String, Value)]>,
    timeout_ms: f64,
    max_response_bytes: u64,
    ignore_cookies: bool,
    custom_fetch: bool,
}

/// The checks after the token endpoint's, in the order their errors take precedence.
fn checks<'a>(e: &Entries<'a>) -> Result<Checked<'a>, Error> {
    let grants = [
        ("client_credentials", GrantType::ClientCredentials),
        ("password", GrantType::Password),
        ("refresh_token", GrantType::RefreshToken),
        #[cfg(feature = "jwt")]
        ("jwt_bearer", GrantType::JwtBearer),
        #[cfg(feature = "jwt")]
        (crate::assertion::JWT_BEARER_GRANT, GrantType::JwtBearer),
    ];
    // A service account's key file is the jwt_bearer grant's (RFC 7523 §2.1, as Google uses it).
    #[cfg(feature = "jwt")]
    let default_grant =
        if e.get("serviceAccount").is_some() { GrantType::JwtBearer } else { GrantType::ClientCredentials };
    #[cfg(not(feature = "jwt"))]
    let default_grant = GrantType::ClientCredentials;
    let grant = e.choice("grantType", &grants)?.unwrap_or(default_grant);
    // Keys of the other grants: (key, the grant it belongs to).
    let foreign: &[(&str, &str)] = match grant {
        GrantType::ClientCredentials => {
            &[("username", "password"), ("password", "password"), ("refreshToken", "refresh_token")]
        }
        GrantType::Password => &[("refreshToken", "refresh_token")],
        GrantType::RefreshToken => &[("username", "password"), ("password", "password")],
        #[cfg(feature = "jwt")]
        GrantType::JwtBearer => {
            &[("username", "password"), ("password", "password"), ("refreshToken", "refresh_token")]
        }
    };
    if let Some((key, g)) = foreign.iter().find(|(k, _)| e.get(k).is_some()) {
        return Err(invalid(&[key, " is only used with grantType \"", g, "\"; remove it or change grantType"]));
    }
    let (mut user, mut pass) = ("", "");
    match grant {
        GrantType::Password => {
            user = e.required("username", " for grantType \"password\"")?;
            pass = e.required("password", " for grantType \"password\"")?;
        }
        GrantType::RefreshToken => pass = e.required("refreshToken", " for grantType \"refresh_token\"")?,
        GrantType::ClientCredentials => {}
        #[cfg(feature = "jwt")]
        GrantType::JwtBearer => {}
    }

    // The jwt_bearer grant authenticates no client unless it is given a secret; elsewhere a
    // private key can only authenticate the client.
    #[cfg(feature = "jwt")]
    let default_authentication = match (grant, e.get("clientSecret"), e.get("privateKey")) {
        (GrantType::JwtBearer, None, _) => ClientAuthentication::None,
        (GrantType::JwtBearer, Some(_), _) | (_, _, None) => ClientAuthentication::Header,
        (_, _, Some(_)) => ClientAuthentication::PrivateKeyJwt,
    };
    #[cfg(not(feature = "jwt"))]
    let default_authentication = ClientAuthentication::Header;
    let authentication = e
        .choice(
            "clientAuthentication",
            &[
                ("header", ClientAuthentication::Header),
                ("body", ClientAuthentication::Body),
                #[cfg(feature = "jwt")]
                ("private_key_jwt", ClientAuthentication::PrivateKeyJwt),
                #[cfg(feature = "jwt")]
                ("client_secret_jwt", ClientAuthentication::ClientSecretJwt),
                ("tls_client_auth", ClientAuthentication::TlsClientAuth),
                ("self_signed_tls_client_auth", ClientAuthentication::SelfSignedTlsClientAuth),
            ],
        )?
        .unwrap_or(default_authentication);
    let encoding = e
        .choice("basicEncoding", &[("form", BasicEncoding::Form), ("none", BasicEncoding::None)])?
        .unwrap_or(BasicEncoding::Form);
    let body = authentication == ClientAuthentication::Body;

    // The jwt_bearer grant's issuer is the client id by default, but it may have none of its own.
    let client_id = match authentication {
        #[cfg(feature = "jwt")]
        ClientAuthentication::None => e.string("clientId")?.unwrap_or_default(),
        _ => e.required("clientId", "")?,
    };
    let client_secret = match e.string("clientSecret")? {
        // A private key authenticates instead; no client authentication sends no secret.
        #[cfg(feature = "jwt")]
        Some(s) if !s.is_empty() && authentication == ClientAuthentication::PrivateKeyJwt => {
            return Err(invalid(&["clientSecret is not used with clientAuthentication \"private_key_jwt\" \
                 (the private key authenticates); remove it"]))
        }
        #[cfg(feature = "jwt")]
        _ if matches!(authentication, ClientAuthentication::PrivateKeyJwt | ClientAuthentication::None) => None,
        // RFC 8705 §2: the certificate authenticates the client; a secret would be sent for nothing.
        Some(s) if !s.is_empty() && authentication.is_mutual_tls() => {
            return Err(invalid(&["clientSecret is not used with clientAuthentication \"tls_client_auth\" or \
                 \"self_signed_tls_client_auth\" (RFC 8705 section 2): the TLS client certificate \
                 authenticates the client; remove it"]))
        }
        _ if authentication.is_mutual_tls() => None,
        Some(s) if !s.is_empty() => Some(s),
        // A public client (RFC 6749 §2.1) can use the password and refresh_token grants with
        // client_id in the body (§4.3.2, §6).
        _ if grant != GrantType::ClientCredentials && body => None,
        _ => {
            return Err(invalid(&["clientSecret is required (without one: grantType \"password\" or \
                 \"refresh_token\" with clientAuthentication \"body\")"]))
        }
    };

    if authentication == ClientAuthentication::Header && encoding == BasicEncoding::None {
        // RFC 7617 §2: the user-id cannot contain ':'; without form encoding nothing escapes it.
        if client_id.contains(':') {
            return Err(invalid(&["clientId contains ':', which plain Basic (basicEncoding \"none\") cannot carry; \
                 use basicEncoding \"form\" or clientAuthentication \"body\""]));
        }
    }

    let scope = e.string("scope")?.unwrap_or_default();
    check_scope(scope)?;

    let extra = match e.get("extraParams") {
        None => None,
        Some(Value::Object(members)) => {
            extra_params_into(members, None)?;
            Some(members.as_slice())
        }
        Some(other) => return Err(invalid(&["extraParams must be an object of parameter names, got ", other.kind()])),
    };

    let timeout_ms = e.number("timeoutSeconds")?.unwrap_or(DEFAULT_TIMEOUT_SECONDS) * 1000.0;
    if !(timeout_ms.is_finite() && timeout_ms > 0.0 && timeout_ms <= MAX_TIMEOUT_MS) {
        return Err(invalid(&["timeoutSeconds must be a number greater than 0 and at most 2147483"]));
    }

    // f64::fract and f64::ceil are std-only (the .wasm is no_std): whole numbers by casting.
    let max_response_bytes = match e.number("maxResponseBytes")? {
        None => DEFAULT_MAX_RESPONSE_BYTES,
        Some(n) if (1.0..=4_294_967_296.0).contains(&n) && n == (n as u64) as f64 => n as u64,
        Some(_) => return Err(invalid(&["maxResponseBytes must be a whole number from 1 to 4294967296"])),
    };

    check_signal(e)?;
    let custom_fetch = check_function(e, "fetch")?;

    Ok(Checked {
        grant,
        user,
        pass,
        authentication,
        encoding,
        client_id,
        client_secret,
        scope,
        extra,
        timeout_ms,
        max_response_bytes,
        ignore_cookies: e.boolean("ignoreCookiesPolicy")?,
        custom_fetch,
    })
}

/// The message for a jwt_bearer config without a token endpoint: there `issuer` is the
/// assertion's `iss`, never a URL to discover.
pub const JWT_BEARER_ENDPOINT: &str = "tokenEndpoint is required with grantType \"jwt_bearer\", whose issuer \
     is the assertion's iss, not a URL to discover: pass tokenEndpoint, e.g. the token_endpoint of \
     discover(url)";

/// `tokenEndpoint`, or `issuer`: a URL whose metadata names the token endpoint (it stays empty
/// until discovered), or that metadata itself (what `discover()` returned; nothing is fetched).
fn endpoint(
    e: &Entries<'_>,
    parse_url: &dyn Fn(&str) -> Option<UrlParts>,
) -> Result<(TokenEndpoint, Option<Issuer>), Error> {
    // With the jwt_bearer grant `issuer` is the assertion's `iss`, so nothing is discovered: the
    // token endpoint is `tokenEndpoint`, else a service account's `token_uri`.
    if crate::assertion::issuer_is_claim(e) {
        let raw = match (e.string("tokenEndpoint")?, crate::assertion::token_uri(e)) {
            (None | Some(""), Some(uri)) => uri,
            (Some(t), _) if !t.is_empty() => t,
            _ => return Err(invalid(&[JWT_BEARER_ENDPOINT])),
        };
        return Ok((parse_endpoint(raw, parse_url)?.into(), None));
    }
    let Some(v) = e.get("issuer") else {
        let raw = e.required("tokenEndpoint", " (or issuer, to discover it)")?;
        return Ok((parse_endpoint(raw, parse_url)?.into(), None));
    };
    if !cfg!(feature = "discovery") {
        return Err(invalid(&[discovery::NOT_IN_THIS_BUILD]));
    }
    if e.get("tokenEndpoint").is_some() {
        return Err(invalid(&["set tokenEndpoint or issuer, not both"]));
    }
    let (raw, token_endpoint) = match v {
        Value::String(s) => (s, None),
        Value::Object(m) => match (Json::member(m, "issuer"), Json::member(m, "token_endpoint")) {
            (Some(Value::String(i)), Some(Value::String(t))) => (i, Some(t)),
            _ => {
                return Err(invalid(&[
                    "issuer must be the issuer's URL, or the metadata discover() returned (with issuer and \
                     token_endpoint strings)",
                ]))
            }
        },
        other => return Err(invalid(&["issuer must be a string (the issuer's URL), got ", other.kind()])),
    };
    if has_control(raw) {
        return Err(invalid(&["issuer contains a control character (U+0000-U+001F, U+007F-U+009F)"]));
    }
    let Some(url) = parse_url(raw) else {
        return Err(invalid(&["issuer must be an absolute URL, e.g. https://auth.example.com"]));
    };
    let issuer = Issuer::new(raw, url)?;
    let endpoint = match token_endpoint {
        Some(t) => discovery::token_endpoint(t, parse_url).map_err(|e| match e {
            Error::InsecureEndpoint => e,
            _ => invalid(&["issuer.token_endpoint must be an absolute https: URL"]),
        })?,
        None => TokenEndpoint { href: String::new(), host: String::new() },
    };
    Ok((endpoint, Some(issuer)))
}

pub(crate) fn parse_endpoint(raw: &str, parse_url: &dyn Fn(&str) -> Option<UrlParts>) -> Result<UrlParts, Error> {
    let Some(url) = parse_url(raw) else {
        return Err(invalid(&["tokenEndpoint must be an absolute URL, e.g. https://auth.example.com/oauth2/token"]));
    };
    if url.has_credentials {
        return Err(invalid(&[
            "tokenEndpoint must not contain a user name or password; use clientId and clientSecret",
        ]));
    }
    match url.protocol.as_str() {
        "https:" => {}
        // RFC 6749 §3.2 requires TLS; plain http is tolerated for loopback development servers.
        "http:" if is_loopback(&url.hostname) => {}
        "http:" => return Err(Error::InsecureEndpoint),
        _ => return Err(invalid(&["tokenEndpoint must be an https: URL"])),
    }
    Ok(url)
}

/// `extraParams`: name -> string, or array of strings for a repeated parameter (RFC 8707 §2
/// repeats `resource`). Names the request sets itself are refused, not silently overridden.
/// Checks only (`out` is `None`), or collects into `out` once the whole configuration passed.
fn extra_params_into(members: &[(String, Value)], mut out: Option<&mut Vec<(String, String)>>) -> Result<(), Error> {
    let mut count = 0;
    for (name, value) in members {
        if name.is_empty() {
            return Err(invalid(&["extraParams has an empty parameter name"]));
        }
        if RESERVED_PARAMS.contains(&name.as_str()) {
            return Err(invalid(&[
                "extraParams cannot set \"",
                &shown(name),
                "\": the token request sets it from the configuration",
            ]));
        }
        let items = match value {
            Value::Undefined | Value::Null => &[][..],
            Value::String(_) => core::slice::from_ref(value),
            Value::Array(items) => items.as_slice(),
            _ => &[Value::Other][..],
        };
        count += items.len().max(1);
        if count > MAX_EXTRA_VALUES {
            return Err(invalid(&["extraParams holds more than 256 values in all"]));
        }
        for item in items {
            let Value::String(v) = item else {
                return Err(invalid(&["extraParams.", &shown(name), " must be a string or an array of strings"]));
            };
            if let Some(out) = out.as_deref_mut() {
                out.push((name.clone(), v.clone()));
            }
        }
    }
    Ok(())
}

/// `signal`: an `AbortSignal`, which the host copies as its `aborted` flag and its two listener
/// methods (the signal itself stays with the host; the core never sees it fire).
fn check_signal(e: &Entries<'_>) -> Result<(), Error> {
    let Some(v) = e.get("signal") else { return Ok(()) };
    let signal = matches!(v, Value::Object(m)
        if matches!(Json::member(m, "aborted"), Some(Value::Bool(_)))
            && ["addEventListener", "removeEventListener"]
                .iter()
                .all(|name| matches!(Json::member(m, name), Some(Value::Function))));
    if signal {
        return Ok(());
    }
    let kind = if matches!(v, Value::Object(_)) { "an object that is not one" } else { v.kind() };
    Err(invalid(&["signal must be an AbortSignal, got ", kind]))
}

/// `retry`: `{ attempts, maxDelaySeconds }`, each optional (2 and 30).
fn check_retry(e: &Entries<'_>) -> Result<Option<Retry>, Error> {
    let Some(v) = e.get("retry") else { return Ok(None) };
    if !cfg!(feature = "retry") {
        return Err(invalid(&[retry::NOT_IN_THIS_BUILD]));
    }
    let Value::Object(members) = v else {
        return Err(invalid(&["retry must be an object { attempts, maxDelaySeconds }, got ", v.kind()]));
    };
    let mut out = Retry { attempts: retry::DEFAULT_ATTEMPTS, max_delay_ms: retry::DEFAULT_MAX_DELAY_SECONDS * 1000.0 };
    for (name, value) in members {
        match (name.as_str(), value) {
            (_, Value::Undefined | Value::Null) => {}
            ("attempts", Value::Number(n))
                if (0.0..=f64::from(retry::MAX_ATTEMPTS)).contains(n) && *n == (*n as u32) as f64 =>
            {
                out.attempts = *n as u32;
            }
            ("attempts", _) => return Err(invalid(&["retry.attempts must be a whole number from 0 to 10"])),
            ("maxDelaySeconds", Value::Number(n)) if *n > 0.0 && *n <= 86_400.0 => out.max_delay_ms = n * 1000.0,
            ("maxDelaySeconds", _) => {
                return Err(invalid(&["retry.maxDelaySeconds must be a number greater than 0 and at most 86400"]))
            }
            _ => {
                return Err(invalid(&[
                    "retry has an unknown member \"",
                    &shown(name),
                    "\" (accepted: attempts, maxDelaySeconds)",
                ]))
            }
        }
    }
    Ok(Some(out))
}

/// `fetch` or `restFetch`: the caller's `(input, init) => Promise<Response>`, which the host
/// calls (copied as a placeholder function; the core only checks that one is there).
fn check_function(e: &Entries<'_>, key: &str) -> Result<bool, Error> {
    match e.get(key) {
        None => Ok(false),
        Some(Value::Function) => Ok(true),
        Some(other) => Err(invalid(&[
            key,
            " must be a function (input, init) => Promise<Response>, e.g. an mTLS binding's \
             fetch bound to it (binding.fetch.bind(binding)); got ",
            other.kind(),
        ])),
    }
}

/// `cache`: an object with `get` and `put` functions (a Workers KV binding fits), copied by the
/// host as those two members. The `refresh_token` grant cannot use one: its key could not tell
/// two refresh tokens (two users) apart.
fn check_cache(e: &Entries<'_>, grant: &Grant) -> Result<bool, Error> {
    let Some(v) = e.get("cache") else { return Ok(false) };
    let methods = matches!(v, Value::Object(m)
        if ["get", "put"].iter().all(|name| matches!(Json::member(m, name), Some(Value::Function))));
    if !methods {
        let kind = if matches!(v, Value::Object(_)) { "an object without them" } else { v.kind() };
        return Err(invalid(&[
            "cache must be an object with get(key) and put(key, value, options) methods (e.g. a \
             Workers KV binding); got ",
            kind,
        ]));
    }
    if let Grant::RefreshToken { .. } = grant {
        return Err(invalid(&[
            "cache cannot be used with grantType \"refresh_token\": KV cannot order the renewals, so a \
             rotated refresh token would be lost; use coordinator (a Durable Object) instead",
        ]));
    }
    Ok(true)
}

/// `coordinator`: a Durable Object namespace (`idFromName` and `get` functions), copied by the
/// host as those two members. Not with `cache`: the coordinator already shares the token. Not
/// with `fetch` nor a TLS client certificate method: the object sends the token requests with
/// its own global fetch (an ask carries data, never a function), so the caller's transport would
/// be bypassed without a word.
fn check_coordinator(e: &Entries<'_>, config: &Config, cache: bool) -> Result<bool, Error> {
    let Some(v) = e.get("coordinator") else { return Ok(false) };
    if !cfg!(feature = "cache") {
        // The default build refuses it by name, whatever it is (the adapter).
        return Ok(true);
    }
    let methods = matches!(v, Value::Object(m)
        if ["idFromName", "get"].iter().all(|name| matches!(Json::member(m, name), Some(Value::Function))));
    if !methods {
        let kind = if matches!(v, Value::Object(_)) { "an object without them" } else { v.kind() };
        return Err(invalid(&[
            "coordinator must be a Durable Object namespace binding of the OAuthTokenCoordinator class \
             (idFromName and get methods); got ",
            kind,
        ]));
    }
    if cache {
        return Err(invalid(&["cache and coordinator cannot be used together: the coordinator already shares \
             one token between isolates"]));
    }
    if config.custom_fetch {
        return Err(invalid(&["fetch cannot be used with coordinator: the coordinator's object sends the token \
             requests with its own global fetch (an ask cannot carry a function), so yours would be bypassed; \
             use restFetch for the REST calls, or leave out coordinator to send the token requests through \
             your fetch"]));
    }
    #[cfg(feature = "jwt")]
    if crate::assertion::host_key(config) {
        return Err(invalid(&["privateKey as a CryptoKey cannot be used with coordinator: the coordinator's \
             object signs the assertions and is sent the settings as data, which cannot carry a CryptoKey; \
             pass the key as PEM or a JWK, or leave out coordinator"]));
    }
    if config.client_authentication.is_mutual_tls() {
        return Err(invalid(&["clientAuthentication \"tls_client_auth\" and \"self_signed_tls_client_auth\" \
             cannot be used with coordinator: the coordinator's object sends the token requests with its own \
             global fetch, which presents no client certificate; leave out coordinator and pass a fetch that \
             presents it"]));
    }
    Ok(true)
}

/// `localhost` itself, 127.0.0.0/8 and [::1], as the WHATWG URL parser serializes them (it
/// turns `0x7f.1` and `2130706433` into `127.0.0.1`, and refuses a host of digits and dots that
/// is not an IPv4 address). Names under `.localhost` are not taken: some resolvers answer them
/// from DNS.
pub fn is_loopback(hostname: &str) -> bool {
    hostname == "localhost"
        || hostname == "[::1]"
        || hostname.strip_prefix("127.").is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// RFC 6749 §3.3: `scope = scope-token *( SP scope-token )`, `scope-token = 1*NQCHAR`,
/// `NQCHAR = %x21 / %x23-5B / %x5D-7E`. Repeated spaces are collapsed; empty means none.
pub fn parse_scope(raw: &str) -> Result<Option<Scope>, Error> {
    check_scope(raw)?;
    Ok(scope_of(raw))
}

fn check_scope(raw: &str) -> Result<(), Error> {
    if raw.bytes().all(|b| b == b' ' || b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)) {
        return Ok(());
    }
    Err(invalid(&["scope must be space-delimited tokens of printable ASCII without '\"' or '\\' \
         (RFC 6749 section 3.3)"]))
}

/// A checked scope with its repeated spaces collapsed; empty means none.
fn scope_of(raw: &str) -> Option<Scope> {
    let mut out = String::new();
    for token in raw.split(' ').filter(|t| !t.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
    }
    if out.is_empty() {
        None
    } else {
        Some(Scope(out))
    }
}

/// `x.ceil() as u64` without std's float methods (the .wasm is no_std); NaN and negative
/// numbers give 0 and huge ones saturate, as the cast does.
pub(crate) fn ceil(x: f64) -> u64 {
    let whole = x as u64;
    if (whole as f64) < x {
        whole.saturating_add(1)
    } else {
        whole
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn ceil_without_std_float_methods() {
        for x in [0.001, 0.5, 1.0, 1.5, 500.0, 1000.1, 2_147_483_000.0, MAX_TIMEOUT_MS, -0.5, f64::NAN, 1e30] {
            assert_eq!(ceil(x), x.ceil() as u64, "{x}");
        }
    }

    /// The host's URL parser, natively (the url crate implements the same WHATWG standard).
    pub fn parse_url(s: &str) -> Option<UrlParts> {
        let u = url::Url::parse(s).ok()?;
        let hostname = match u.host()? {
            url::Host::Ipv6(a) => concat(&["[", &a.to_string(), "]"]),
            h => h.to_string(),
        };
        Some(UrlParts {
            href: u.as_str().to_owned(),
            protocol: concat(&[u.scheme(), ":"]),
            hostname,
            has_credentials: !u.username().is_empty() || u.password().is_some(),
        })
    }

    pub fn entries(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    pub fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    pub fn base() -> Vec<(&'static str, Value)> {
        vec![
            ("tokenEndpoint", s("https://auth.example.com/oauth2/token")),
            ("clientId", s("client")),
            ("clientSecret", s("secret")),
        ]
    }

    fn with(extra: &[(&'static str, Value)]) -> Result<Config, Error> {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        parse(&entries(&pairs), &parse_url)
    }

    fn err(extra: &[(&'static str, Value)]) -> Error {
        with(extra).unwrap_err()
    }

    #[test]
    fn defaults() {
        let c = with(&[]).unwrap();
        assert_eq!(c.grant, Grant::ClientCredentials);
        assert_eq!(c.client_authentication, ClientAuthentication::Header);
        assert_eq!(c.basic_encoding, BasicEncoding::Form);
        assert_eq!(c.timeout_ms, 30_000);
        assert_eq!(c.max_response_bytes, 1_048_576);
        assert!(!c.ignore_cookies_policy);
        assert_eq!(c.scope, None);
        assert_eq!(c.token_endpoint.host(), "auth.example.com");
    }

    #[test]
    fn unknown_key_is_named() {
        let e = err(&[("clientSecert", s("x"))]);
        assert_eq!(e.code(), "ERR_INVALID_CONFIG");
        assert!(
            e.message().starts_with("unknown configuration key \"clie...\" (12 characters) (accepted: "),
            "{}",
            e.message()
        );
        let e = err(&[("tok", s("x"))]);
        assert!(e.message().starts_with("unknown configuration key \"tok\" (accepted: "), "{}", e.message());
    }

    #[test]
    fn header_names_fetch_forbids_are_refused() {
        let opts = |name: &str| {
            let mut pairs = base();
            pairs.push(("headerName", s(name)));
            parse_connection(&entries(&pairs), &parse_url)
        };
        for bad in [
            "Content-Length",
            "transfer-encoding",
            "Host",
            "Connection",
            "Cookie",
            "Proxy-Authorization",
            "Sec-Fetch-Mode",
            "TE",
        ] {
            let e = opts(bad).unwrap_err();
            assert!(e.message().starts_with("headerName cannot be a header fetch forbids"), "{bad}: {}", e.message());
        }
        for ok in ["Authorization", "X-Api-Key", "X-Token"] {
            assert!(opts(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn resource_origins() {
        let opts = |v: Value| {
            let mut pairs = base();
            pairs.push(("resourceOrigins", v));
            parse_connection(&entries(&pairs), &parse_url).map(|(_, o)| o.resource_origins)
        };
        let list = |xs: &[&str]| Value::Array(xs.iter().map(|x| s(x)).collect());
        assert_eq!(
            opts(list(&["https://API.example.com/v1/x", "http://127.0.0.1:8080", "https://b.example:8443/"])).unwrap(),
            Some(vec![
                "https://api.example.com".into(),
                "http://127.0.0.1:8080".into(),
                "https://b.example:8443".into()
            ])
        );
        assert_eq!(opts(list(&[])).unwrap(), Some(vec![]));
        // An http: origin off loopback is the caller's explicit opt-in.
        assert_eq!(
            opts(list(&["http://API.internal.example:8080/x"])).unwrap(),
            Some(vec!["http://api.internal.example:8080".into()])
        );
        for bad in [list(&["api.example.com"]), list(&["https://u:p@a.example"]), s("https://a.example")] {
            assert_eq!(opts(bad).unwrap_err().code(), "ERR_INVALID_CONFIG");
        }
        assert_eq!(origin_of("https://a.example:8443/x?y"), Some("https://a.example:8443"));
        assert_eq!(origin_of("http://[::1]:9"), Some("http://[::1]:9"));
        assert_eq!(origin_of("ftp://a.example/"), None);
    }

    #[test]
    fn undefined_and_null_are_absent() {
        let c = with(&[("scope", Value::Null), ("timeoutSeconds", Value::Undefined)]).unwrap();
        assert_eq!(c.scope, None);
        assert_eq!(c.timeout_ms, 30_000);
    }

    #[test]
    fn ssl_modes() {
        assert!(with(&[("sslMode", s("verify"))]).is_ok());
        assert_eq!(err(&[("sslMode", s("trust"))]), Error::UnsupportedSslMode { mode: SslModeRefused::Trust });
        let off = err(&[("sslMode", s("off"))]);
        assert_eq!(off.code(), "ERR_UNSUPPORTED_SSL_MODE");
        assert!(off.message().contains("never skips certificate checks"));
        assert!(err(&[("trust", s("trust"))]).message().contains("unknown"));
        assert!(err(&[("sslMode", s("TRUST"))]).message().contains("\"verify\", \"trust\", \"off\""));
    }

    #[test]
    fn endpoint_rules() {
        let ep = |u: &str| with(&[("tokenEndpoint", s(u))]);
        assert!(ep("https://auth.example.com/t?tenant=a").is_ok());
        for ok in [
            "http://localhost:8080/t",
            "http://127.0.0.1/t",
            "http://127.8.9.10/t",
            "http://[::1]:9/t",
            "http://127.1/t",
            // The WHATWG parser turns hexadecimal and single-number IPv4 into dotted decimal.
            "http://0x7f.1/t",
            "http://2130706433/t",
        ] {
            assert!(ep(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/t",
            "http://127.0.0.1.nip.io/t",
            "http://127.0.0.x/t",
            "http://128.0.0.1/t",
            "http://10.0.0.1/t",
            "http://[::2]/t",
            // Names under .localhost may be resolved through DNS.
            "http://a.localhost/t",
            "http://evil.localhost:8080/t",
            "http://[::ffff:127.0.0.1]/t",
        ] {
            assert_eq!(ep(bad).unwrap_err(), Error::InsecureEndpoint, "{bad}");
        }
        // A host of digits and dots is an IPv4 address or no URL at all.
        for bad in [
            "auth.example.com/token",
            "",
            "ftp://auth.example.com/t",
            "https://u:p@auth.example.com/t",
            "http://127.0.0.1.5/t",
        ] {
            assert_eq!(ep(bad).unwrap_err().code(), "ERR_INVALID_CONFIG", "{bad}");
        }
        assert_eq!(err(&[("tokenEndpoint", Value::Number(1.0))]).code(), "ERR_INVALID_CONFIG");
    }

    #[test]
    fn grant_types() {
        let e = err(&[("grantType", s("authorization_code"))]);
        assert!(e.message().contains("\"client_credentials\", \"password\", \"refresh_token\""), "{}", e.message());
        let c = with(&[("grantType", s("password")), ("username", s("alice")), ("password", s("pw"))]).unwrap();
        assert_eq!(c.grant, Grant::Password { username: "alice".into(), password: Password::new("pw".into()) });
        assert!(err(&[("grantType", s("password")), ("password", s("pw"))]).message().contains("username"));
        // RFC 6749 §4.3.2: password is REQUIRED.
        assert_eq!(
            err(&[("grantType", s("password")), ("username", s("alice"))]).message(),
            "password is required for grantType \"password\""
        );
        assert!(err(&[("grantType", s("password")), ("username", s("alice")), ("password", s(""))])
            .message()
            .contains("password is required"));
        assert!(err(&[("username", s("alice"))]).message().contains("only used with grantType"));
    }

    #[test]
    fn refresh_token_grant() {
        let c = with(&[("grantType", s("refresh_token")), ("refreshToken", s("rt"))]).unwrap();
        assert_eq!(c.grant, Grant::RefreshToken { refresh_token: RefreshToken::new("rt".into()) });
        assert_eq!(
            err(&[("grantType", s("refresh_token"))]).message(),
            "refreshToken is required for grantType \"refresh_token\""
        );
        assert!(err(&[("grantType", s("refresh_token")), ("refreshToken", s("rt")), ("username", s("u"))])
            .message()
            .contains("only used with grantType \"password\""));
        assert!(err(&[("refreshToken", s("rt"))]).message().contains("only used with grantType \"refresh_token\""));
        // A public client may refresh with client_id in the body (§6).
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "clientSecret");
        pairs.extend([
            ("grantType", s("refresh_token")),
            ("refreshToken", s("rt")),
            ("clientAuthentication", s("body")),
        ]);
        assert_eq!(parse(&entries(&pairs), &parse_url).unwrap().client_secret, None);
    }

    #[test]
    fn extra_params() {
        let obj =
            |members: Vec<(&str, Value)>| Value::Object(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let c = with(&[(
            "extraParams",
            obj(vec![
                ("audience", s("https://api.example.com")),
                ("resource", Value::Array(vec![s("https://a.example/"), s("https://b.example/")])),
                ("skipped", Value::Undefined),
            ]),
        )])
        .unwrap();
        assert_eq!(
            c.extra_params,
            vec![
                ("audience".to_owned(), "https://api.example.com".to_owned()),
                ("resource".to_owned(), "https://a.example/".to_owned()),
                ("resource".to_owned(), "https://b.example/".to_owned()),
            ]
        );
        for reserved in RESERVED_PARAMS {
            let e = err(&[("extraParams", obj(vec![(reserved, s("x"))]))]);
            assert_eq!(e.code(), "ERR_INVALID_CONFIG");
            assert!(e.message().contains(reserved), "{}", e.message());
        }
        for bad in [Value::Number(1.0), Value::Array(vec![Value::Number(1.0)]), obj(vec![])] {
            let e = err(&[("extraParams", obj(vec![("audience", bad)]))]);
            assert_eq!(e.message(), "extraParams.audience must be a string or an array of strings");
        }
        assert!(err(&[("extraParams", s("audience=x"))]).message().contains("must be an object"));
        assert!(err(&[("extraParams", obj(vec![("", s("x"))]))]).message().contains("empty"));
        assert_eq!(with(&[("extraParams", obj(vec![]))]).unwrap().extra_params, vec![]);
    }

    #[test]
    fn extra_params_are_capped_at_256_values() {
        let many = |n: usize| {
            let items = (0..n).map(|i| s(&i.to_string())).collect();
            with(&[("extraParams", Value::Object(vec![("resource".into(), Value::Array(items))]))])
        };
        assert_eq!(many(256).unwrap().extra_params.len(), 256);
        assert_eq!(many(257).unwrap_err().message(), "extraParams holds more than 256 values in all");
        let names = (0..257).map(|i| (i.to_string(), s("x"))).collect();
        assert!(with(&[("extraParams", Value::Object(names))]).is_err());
    }

    #[test]
    fn a_config_that_could_not_be_copied() {
        let e = copy_failed(CopyFailure::Threw("TypeError"));
        assert_eq!(e.code(), "ERR_INVALID_CONFIG");
        assert!(e.message().contains("(TypeError)"), "{}", e.message());
        assert!(copy_failed(CopyFailure::TooLarge).message().contains("1 MiB"));
        let e = copy_failed(CopyFailure::LoneSurrogate("extraParams.resource"));
        assert_eq!(e.message(), "extraParams.resource holds a lone UTF-16 surrogate, which cannot be sent as UTF-8");
    }

    #[test]
    fn client_secret_rules() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "clientSecret");
        assert_eq!(parse(&entries(&pairs), &parse_url).unwrap_err().code(), "ERR_INVALID_CONFIG");
        pairs.extend([
            ("grantType", s("password")),
            ("username", s("u")),
            ("password", s("p")),
            ("clientAuthentication", s("body")),
        ]);
        assert_eq!(parse(&entries(&pairs), &parse_url).unwrap().client_secret, None);
        assert_eq!(
            err(&[("clientSecret", Value::Bool(true))]).message(),
            "clientSecret must be a string, got a boolean"
        );
    }

    #[test]
    fn basic_none_rules() {
        let none = ("basicEncoding", s("none"));
        assert!(with(&[none.clone(), ("clientSecret", s("a+b/c%d&e=f"))]).is_ok());
        assert!(err(&[none.clone(), ("clientId", s("a:b"))]).message().contains("':'"));
        // RFC 7617 §2.1: UTF-8 is sent as is (Glewlwyd takes it, and refuses the form-encoded form).
        assert!(with(&[none.clone(), ("clientId", s("clïent")), ("clientSecret", s("sécret"))]).is_ok());
        // Body mode does not care.
        assert!(with(&[none, ("clientId", s("a:b")), ("clientAuthentication", s("body"))]).is_ok());
    }

    #[test]
    fn scope_grammar() {
        assert_eq!(parse_scope("  read   write ").unwrap().unwrap().as_str(), "read write");
        assert_eq!(parse_scope("").unwrap(), None);
        assert_eq!(parse_scope("   ").unwrap(), None);
        assert!(parse_scope("https://graph.microsoft.com/.default offline_access").unwrap().is_some());
        assert!(parse_scope("!#[]~").unwrap().is_some());
        for bad in ["a\"b", "a\\b", "a\tb", "read\nwrite", "é", "a\u{7f}"] {
            assert_eq!(parse_scope(bad).unwrap_err().code(), "ERR_INVALID_CONFIG", "{bad:?}");
        }
        assert_eq!(with(&[("scope", s(" read  write"))]).unwrap().scope.unwrap().as_str(), "read write");
    }

    #[test]
    fn timeout_and_limits() {
        assert_eq!(with(&[("timeoutSeconds", Value::Number(0.5))]).unwrap().timeout_ms, 500);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e10] {
            assert_eq!(err(&[("timeoutSeconds", Value::Number(bad))]).code(), "ERR_INVALID_CONFIG", "{bad}");
        }
        assert_eq!(err(&[("timeoutSeconds", s("30"))]).message(), "timeoutSeconds must be a number, got a string");
        assert_eq!(with(&[("maxResponseBytes", Value::Number(10.0))]).unwrap().max_response_bytes, 10);
        for bad in [0.0, 1.5, -3.0, f64::NAN] {
            assert!(with(&[("maxResponseBytes", Value::Number(bad))]).is_err(), "{bad}");
        }
        assert!(with(&[("ignoreCookiesPolicy", Value::Bool(true))]).unwrap().ignore_cookies_policy);
        assert!(with(&[("ignoreCookiesPolicy", s("yes"))]).is_err());
    }

    #[test]
    fn signal_is_an_abort_signal() {
        let signal = |aborted: Value| {
            Value::Object(vec![
                ("aborted".to_owned(), aborted),
                ("addEventListener".to_owned(), Value::Function),
                ("removeEventListener".to_owned(), Value::Function),
            ])
        };
        assert!(with(&[("signal", signal(Value::Bool(false)))]).is_ok());
        assert!(with(&[("signal", signal(Value::Bool(true)))]).is_ok());
        assert!(with(&[("signal", Value::Undefined)]).is_ok());
        let not_listening = Value::Object(vec![("aborted".to_owned(), Value::Bool(false))]);
        for bad in [s("abort"), Value::Bool(true), Value::Object(vec![]), signal(s("yes")), not_listening] {
            let e = err(&[("signal", bad)]);
            assert_eq!(e.code(), "ERR_INVALID_CONFIG");
            assert!(e.message().starts_with("signal must be an AbortSignal"), "{}", e.message());
        }
        let mut pairs = base();
        pairs.push(("signal", signal(Value::Bool(false))));
        let e = parse_connection(&entries(&pairs), &parse_url).unwrap_err();
        assert!(e.message().starts_with("signal is an option of requestToken"), "{}", e.message());
    }

    #[test]
    fn issuer_and_retry_settings() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "tokenEndpoint");
        let with_issuer = |v: Value| {
            let mut p = pairs.clone();
            p.push(("issuer", v));
            parse(&entries(&p), &parse_url)
        };
        if cfg!(feature = "discovery") {
            let c = with_issuer(s("https://as.example.com/t")).unwrap();
            assert!(c.needs_discovery());
            assert_eq!(c.issuer.as_ref().unwrap().as_str(), "https://as.example.com/t");
            assert_eq!(with_issuer(s("http://as.example.com")).unwrap_err(), Error::InsecureEndpoint);
            assert!(with_issuer(Value::Number(1.0)).unwrap_err().message().starts_with("issuer must be a string"));
            let half = Value::Object(vec![("issuer".into(), s("https://as.example.com"))]);
            assert!(with_issuer(half).unwrap_err().message().contains("metadata discover() returned"));
            let insecure = Value::Object(vec![
                ("issuer".into(), s("https://as.example.com")),
                ("token_endpoint".into(), s("http://as.example.com/token")),
            ]);
            assert_eq!(with_issuer(insecure).unwrap_err(), Error::InsecureEndpoint);
            assert_eq!(
                err(&[("issuer", s("https://as.example.com"))]).message(),
                "set tokenEndpoint or issuer, not both"
            );
        } else {
            let e = with_issuer(s("https://as.example.com/t")).unwrap_err();
            assert!(e.message().starts_with("issuer (discovery) is in the 'oauth-token-connection/full' entry"));
        }
        assert_eq!(
            parse(&entries(&pairs), &parse_url).unwrap_err().message(),
            "tokenEndpoint is required (or issuer, to discover it)"
        );
        let retry = |members: Vec<(&str, Value)>| {
            with(&[("retry", Value::Object(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))])
        };
        if cfg!(feature = "retry") {
            assert_eq!(retry(vec![]).unwrap().retry, Some(Retry { attempts: 2, max_delay_ms: 30_000.0 }));
            let r = retry(vec![("attempts", Value::Number(0.0)), ("maxDelaySeconds", Value::Number(1.5))]).unwrap();
            assert_eq!(r.retry, Some(Retry { attempts: 0, max_delay_ms: 1_500.0 }));
            for bad in [
                ("attempts", Value::Number(11.0)),
                ("attempts", Value::Number(1.5)),
                ("maxDelaySeconds", Value::Number(0.0)),
            ] {
                assert!(retry(vec![bad.clone()]).unwrap_err().message().starts_with("retry."), "{bad:?}");
            }
            assert!(retry(vec![("tries", Value::Number(1.0))])
                .unwrap_err()
                .message()
                .contains("unknown member \"tries\""));
            assert!(err(&[("retry", Value::Bool(true))]).message().starts_with("retry must be an object"));
        } else {
            assert!(retry(vec![])
                .unwrap_err()
                .message()
                .starts_with("retry is in the 'oauth-token-connection/full' entry"));
        }
        assert_eq!(with(&[]).unwrap().retry, None);
    }

    #[test]
    fn fetch_and_rest_fetch_are_functions() {
        assert!(!with(&[]).unwrap().custom_fetch);
        assert!(with(&[("fetch", Value::Function)]).unwrap().custom_fetch);
        assert!(with(&[("fetch", Value::Null)]).is_ok());
        let binding = Value::Object(vec![("fetch".to_owned(), Value::Function)]);
        for (bad, kind) in [(s("fetch"), "a string"), (binding, "an object")] {
            let e = err(&[("fetch", bad)]);
            assert!(e.message().starts_with("fetch must be a function (input, init)"), "{}", e.message());
            assert!(e.message().ends_with(kind) && e.message().contains(".bind("), "{}", e.message());
        }
        let mut pairs = base();
        pairs.push(("restFetch", Value::Function));
        assert!(parse_connection(&entries(&pairs), &parse_url).is_ok());
        let e = parse(&entries(&pairs), &parse_url).unwrap_err();
        assert_eq!(e.message(), "restFetch is an option of createConnection, not of requestToken");
        pairs.push(("restFetch", Value::Bool(true)));
        let e = parse_connection(&entries(&pairs), &parse_url).unwrap_err();
        assert!(e.message().starts_with("restFetch must be a function"), "{}", e.message());
    }

    #[test]
    fn strings_over_64_kib_are_refused_naming_the_field() {
        let at_limit = "a".repeat(MAX_STRING_BYTES);
        let over = "a".repeat(MAX_STRING_BYTES + 1);
        assert!(with(&[("clientSecret", s(&at_limit))]).is_ok());
        for key in ["clientId", "clientSecret", "scope", "tokenEndpoint", "sslMode", "grantType"] {
            let e = err(&[(key, s(&over))]);
            assert_eq!(e.code(), "ERR_INVALID_CONFIG", "{key}");
            assert!(e.message().starts_with(&[key, " is longer than 65536 bytes"].concat()), "{}", e.message());
            assert!(e.message().len() < 200);
        }
        // Bytes, not characters: 21846 three-byte characters are 65538 bytes.
        assert!(err(&[("clientSecret", s(&"€".repeat(21_846)))]).message().starts_with("clientSecret is longer"));
        let e = err(&[("grantType", s("password")), ("username", s("u")), ("password", s(&over))]);
        assert!(e.message().starts_with("password is longer"), "{}", e.message());
        let obj = |k: &str, v: Value| Value::Object(vec![(k.to_owned(), v)]);
        let e = err(&[("extraParams", obj("resource", Value::Array(vec![s("x"), s(&over)])))]);
        assert!(e.message().starts_with("extraParams.resource is longer"), "{}", e.message());
        let e = err(&[("extraParams", obj("audience", s(&over)))]);
        assert!(e.message().starts_with("extraParams.audience is longer"), "{}", e.message());
        let e = err(&[("extraParams", obj(&over, s("x")))]);
        assert_eq!(e.message(), "extraParams has a member name longer than 65536 bytes (64 KiB)");
        let mut pairs = base();
        pairs.push(("headerPrefix", s(&over)));
        let e = parse_connection(&entries(&pairs), &parse_url).unwrap_err();
        assert!(e.message().starts_with("headerPrefix is longer"), "{}", e.message());
    }

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        let pw = |user: &str| with(&[("grantType", s("password")), ("username", s(user)), ("password", s("p\u{1}w"))]);
        assert!(pw("alice").is_ok(), "a control character in a password is the password's business");
        for c in ['\0', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{80}', '\u{85}', '\u{9b}', '\u{9f}'] {
            let v = ["canary", &c.to_string(), "x"].concat();
            let e = err(&[("clientId", s(&v))]);
            assert!(e.message().starts_with("clientId contains a control character"), "{c:?} {}", e.message());
            let e = pw(&v).unwrap_err();
            assert!(e.message().starts_with("username contains a control character"), "{c:?} {}", e.message());
            let url = ["https://auth.exa", &c.to_string(), "mple.com/token"].concat();
            let e = err(&[("tokenEndpoint", s(&url))]);
            assert!(e.message().starts_with("tokenEndpoint contains a control character"), "{c:?} {}", e.message());
            assert!(!e.message().contains("canary") && !e.message().contains("exa"));
        }
        // Not control characters: U+00A0, U+2028, non-ASCII letters.
        assert!(with(&[("clientId", s("cl\u{a0}i\u{2028}ént"))]).is_ok());
    }

    #[test]
    fn non_string_values_are_refused_naming_the_field() {
        let kinds = [
            (Value::Number(1.0), "a number"),
            (Value::Bool(false), "a boolean"),
            (Value::Array(vec![]), "an array"),
            (Value::Object(vec![]), "an object"),
            (Value::Other, "a non-JSON value"),
        ];
        for key in [
            "tokenEndpoint",
            "clientId",
            "clientSecret",
            "scope",
            "grantType",
            "clientAuthentication",
            "basicEncoding",
            "sslMode",
        ] {
            for (v, kind) in &kinds {
                let e = err(&[(key, v.clone())]);
                assert_eq!(e.message(), [key, " must be a string, got ", kind].concat());
            }
        }
        for key in ["username", "password"] {
            let e = err(&[
                ("grantType", s("password")),
                ("username", s("u")),
                ("password", s("p")),
                (key, Value::Number(1.0)),
            ]);
            assert_eq!(e.message(), [key, " must be a string, got a number"].concat());
        }
        let e = err(&[("grantType", s("refresh_token")), ("refreshToken", Value::Other)]);
        assert_eq!(e.message(), "refreshToken must be a string, got a non-JSON value");
    }

    #[test]
    fn names_in_messages_are_cut_and_lose_control_characters() {
        // From the `config` fuzz target's first crash (a false alarm of its oracle, kept as a
        // regression): an unknown key holding NUL and ending where a secret-like value begins.
        let secret = ",l\0\u{e9}cret\"";
        let mut pairs = base();
        pairs.push(("refreshToken", s(secret)));
        let key =
            "\":\u{78d}\u{405}+1\",l\0\u{e9}cretsen\":\u{78d}\",l\0\u{e9}cr*etsen\":\u{78d}\u{405}+1\",l\0\u{e9}cret";
        let mut e = entries(&pairs);
        e.push((key.to_owned(), s("x")));
        let m = parse(&e, &parse_url).unwrap_err().message();
        assert!(m.starts_with("unknown configuration key \""), "{m}");
        assert!(!m.chars().any(char::is_control), "{m:?}");
        assert!(!m.contains(secret), "{m:?}");
        let long = "k\n".repeat(100);
        let mut e = entries(&base());
        e.push((long.clone(), s("x")));
        let m = parse(&e, &parse_url).unwrap_err().message();
        assert!(m.starts_with("unknown configuration key \"k\u{fffd}k\u{fffd}...\" (200 characters)"), "{m:?}");
        // A secret pasted as a key is not quoted whole: its first 4 characters and its length.
        let mut e = entries(&base());
        e.push(("hunter2-canary".to_owned(), s("x")));
        let m = parse(&e, &parse_url).unwrap_err().message();
        assert!(m.starts_with("unknown configuration key \"hunt...\" (14 characters)"), "{m:?}");
        let obj = Value::Object(vec![("a\u{1b}[2J".to_owned(), Value::Number(1.0))]);
        let m = err(&[("extraParams", obj)]).message();
        assert_eq!(m, "extraParams.a\u{fffd}[2J must be a string or an array of strings");
    }

    #[test]
    fn messages_never_quote_values() {
        let secret = "hunter2-canary";
        let cases = [
            err(&[("grantType", s(secret))]),
            err(&[("clientAuthentication", s(secret))]),
            err(&[("tokenEndpoint", s(secret))]),
            err(&[("scope", s(&[secret, "\""].concat()))]),
            err(&[("basicEncoding", s("none")), ("clientId", s(&[secret, ":"].concat()))]),
        ];
        for e in cases {
            assert!(!e.message().contains(secret), "{}", e.message());
        }
    }
}
