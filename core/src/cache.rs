//! The shared token cache's formats (`createConnection`'s `cache`, e.g. a Workers KV namespace):
//! the key, the stored entry and the warnings a cache failure adds. The host computes the
//! HMAC and does the reads and writes; whether an entry is used, and for how long one is
//! stored, is the session's decision ([`crate::connection`]). The coordinator
//! ([`crate::coordinator`]) names its object with the same key.
//!
//! - Key: `otc:v2:` + lowercase hex HMAC-SHA-256 of [`key_input`] (a length-prefixed encoding of
//!   the token endpoint, client id, grant type, scope, user name and extra parameters), keyed by
//!   [`key_secret`] (the client secret, password and configured refresh token). Two
//!   configurations that differ only in a credential get different keys, and the key reveals
//!   none of them.
//! - Entry: the token result as JSON (what `lastResult` holds, `expiresAt` included) without
//!   `refreshToken` and without the endpoint JSON's `refresh_token` member ([`NOT_STORED`]).

#[allow(unused_imports)]
use crate::prelude::*;

use crate::config::{Config, Grant};
use crate::response::TokenResponse;
use crate::secret::{AccessToken, KeySecret};
use crate::value::{Json, Value};
use crate::{concat, decimal};

/// Prefix and format version of every key (v1 was a plain SHA-256, without the credentials).
pub const KEY_PREFIX: &str = "otc:v2:";

/// Workers KV refuses an `expirationTtl` below 60 seconds; shorter-lived tokens are stored for
/// 60 s (a reader checks `expiresAt` itself, so the extra time is never used).
pub const MIN_TTL_SECONDS: u64 = 60;

/// How long one cache read or write may take before the connection goes on without it.
pub const TIMEOUT_MS: u32 = 2_000;

/// Members of the endpoint's JSON that are not stored (a refresh token stays with the connection
/// that received it), nor is the result's `refreshToken`.
pub const NOT_STORED: &[&str] = &["refresh_token"];

/// The default entry's `.wasm` leaves the cache out.
pub const NOT_IN_THIS_BUILD: &str =
    "cache is in the 'oauth-token-connection/full' entry; import createConnection from there to use it";

/// The HMAC's message for a configuration: one `name=<length>:<value>` line per field (`name=-`
/// when absent), so no two configurations share an input. Scope tokens are sorted (the scope is
/// a set, RFC 6749 §3.3) and extra parameters sorted by name, keeping repeated values in order.
pub fn key_input(config: &Config) -> String {
    let mut out = String::from("oauth-token-connection cache key v2\n");
    let mut field = |name: &str, value: Option<&str>| line(&mut out, name, value);
    match &config.issuer {
        // Discovered later: the issuer names the server (the line's name keeps the inputs apart).
        // The metadata's issuer must equal it, so it stands for the endpoint it names.
        Some(issuer) if config.needs_discovery() => field("issuer", Some(issuer.as_str())),
        _ => field("token_endpoint", Some(config.token_endpoint.href())),
    }
    field("client_id", Some(&config.client_id));
    let (grant, username) = match &config.grant {
        Grant::ClientCredentials => ("client_credentials", None),
        Grant::Password { username, .. } => ("password", Some(username.as_str())),
        Grant::RefreshToken { .. } => ("refresh_token", None),
        #[cfg(feature = "jwt")]
        Grant::JwtBearer => ("jwt_bearer", None),
    };
    field("grant_type", Some(grant));
    let scope = config.scope.as_ref().map(|s| {
        let mut tokens: Vec<&str> = s.as_str().split(' ').collect();
        insertion_sort(&mut tokens, |a, b| a > b);
        tokens.dedup();
        tokens.join(" ")
    });
    field("scope", scope.as_deref());
    field("username", username);
    // A signed assertion's issuer, subject, audience, key id and extra claims (never its key).
    #[cfg(feature = "jwt")]
    for (name, value) in crate::assertion::key_fields(config) {
        field(name, value.as_deref());
    }
    let mut extra: Vec<&(String, String)> = config.extra_params.iter().collect();
    insertion_sort(&mut extra, |a, b| a.0 > b.0);
    field("extra_params", Some(&decimal(extra.len() as u64)));
    for (name, value) in extra {
        field("name", Some(name));
        field("value", Some(value));
    }
    out
}

/// One `name=<length>:<value>` line (`name=-` when absent).
fn line(out: &mut String, name: &str, value: Option<&str>) {
    out.push_str(name);
    out.push('=');
    if let Some(v) = value {
        out.push_str(&decimal(v.len() as u64));
        out.push(':');
        out.push_str(v);
    } else {
        out.push('-');
    }
    out.push('\n');
}

/// The HMAC's key: the credentials that obtain the token, in the same line format. A wrong
/// secret or password therefore reaches another key, never the entry or object of the right
/// one. Never empty (its first line), as WebCrypto requires of an HMAC key.
pub fn key_secret(config: &Config) -> KeySecret {
    let mut out = String::from("oauth-token-connection key secret v2\n");
    line(&mut out, "client_secret", config.client_secret.as_ref().map(|s| s.expose()));
    let (password, refresh_token) = match &config.grant {
        Grant::Password { password, .. } => (Some(password.expose()), None),
        Grant::RefreshToken { refresh_token } => (None, Some(refresh_token.expose())),
        Grant::ClientCredentials => (None, None),
        // The assertion's key stays out of the key's derivation (as out of every cache key): its
        // issuer, subject and audience are in the key input.
        #[cfg(feature = "jwt")]
        Grant::JwtBearer => (None, None),
    };
    line(&mut out, "password", password);
    line(&mut out, "refresh_token", refresh_token);
    KeySecret::new(out)
}

/// A stable sort for the few items of a configuration; std's sorts add kilobytes to the `.wasm`.
fn insertion_sort<T>(items: &mut [T], greater: impl Fn(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && greater(&items[j - 1], &items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The key for the HMAC of [`key_input`] keyed by [`key_secret`].
pub fn key(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(KEY_PREFIX.len() + digest.len() * 2);
    out.push_str(KEY_PREFIX);
    for b in digest {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// A stored entry, read back: the token (never with a refresh token) and the warnings it was
/// stored with. The caller takes `json` from the parsed object itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub token: TokenResponse,
    pub warnings: Vec<String>,
}

/// Reads an entry's members (the parsed JSON object, each member walked one level). `None` for
/// anything that is not an entry this version wrote: a missing or mistyped member, a token that
/// could not be sent in a header, or no expiry (tokens without one are never stored).
pub fn read_entry(members: &[(String, Value)]) -> Option<Entry> {
    read_stored(members, true)
}

/// [`read_entry`], where a token without expiry may be stored (the coordinator keeps such a
/// token until it is dropped) when `require_expiry` is false.
pub fn read_stored(members: &[(String, Value)], require_expiry: bool) -> Option<Entry> {
    let get = |name: &str| Json::member(members, name);
    let access_token = match get("accessToken")? {
        Value::String(t) if !t.is_empty() && t.bytes().all(|b| (0x21..=0x7e).contains(&b)) => t,
        _ => return None,
    };
    let token_type = match get("tokenType")? {
        Value::String(t) if !t.is_empty() && t.bytes().all(crate::response::is_tchar) => t,
        _ => return None,
    };
    let number = |name: &str| match get(name) {
        Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => Some(*n),
        _ => None,
    };
    let (expires_in, expires_at) = (number("expiresIn"), number("expiresAt"));
    let present = |name: &str| !matches!(get(name), None | Some(Value::Undefined));
    if expires_in.is_none() != expires_at.is_none()
        || (expires_in.is_none() && (require_expiry || present("expiresIn") || present("expiresAt")))
    {
        return None;
    }
    let scope = match get("scope") {
        None | Some(Value::Undefined) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    if !matches!(get("json")?, Value::Object(_)) {
        return None;
    }
    let warnings = match get("warnings")? {
        Value::Array(items) => items
            .iter()
            .map(|w| match w {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect::<Option<Vec<String>>>()?,
        _ => return None,
    };
    Some(Entry {
        token: TokenResponse {
            access_token: AccessToken::new(access_token.clone()),
            token_type: token_type.clone(),
            expires_in,
            expires_at,
            scope,
            refresh_token: None,
        },
        warnings,
    })
}

/// A `get` that threw, rejected or did not answer in time; `reason` is the host's error name.
pub fn read_failed(reason: &str) -> String {
    concat(&["Token cache: reading failed (", reason, "); the token was requested from the endpoint"])
}

/// A `put` that threw, rejected or did not answer in time.
pub fn write_failed(reason: &str) -> String {
    concat(&["Token cache: storing the token failed (", reason, "); the token is used anyway"])
}

/// The cached value is not an entry this version wrote.
pub const UNREADABLE: &str =
    "Token cache: ignored an entry that is not a stored token result; the token was requested from the endpoint";

/// No HMAC on this host (no `crypto.subtle`, e.g. a page served over plain http).
pub const NO_DIGEST: &str = "Token cache: not used, this host has no crypto.subtle for the key";

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::parse_connection;
    use crate::config::tests::{base, entries, parse_url, s};

    fn input(extra: &[(&'static str, Value)]) -> String {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        key_input(&parse_connection(&entries(&pairs), &parse_url).unwrap().0)
    }

    fn password(user: &str, pw: &str) -> Vec<(&'static str, Value)> {
        vec![("grantType", s("password")), ("username", s(user)), ("password", s(pw))]
    }

    #[test]
    fn key_input_is_exact_and_holds_no_secret() {
        assert_eq!(
            input(&password("alice", "correct horse")),
            "oauth-token-connection cache key v2\n\
             token_endpoint=37:https://auth.example.com/oauth2/token\n\
             client_id=6:client\n\
             grant_type=8:password\n\
             scope=-\n\
             username=5:alice\n\
             extra_params=1:0\n"
        );
        let i = input(&password("alice", "correct horse"));
        assert!(!i.contains("secret") && !i.contains("correct horse"));
    }

    fn secret(extra: &[(&'static str, Value)]) -> String {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        key_secret(&parse_connection(&entries(&pairs), &parse_url).unwrap().0).expose().to_owned()
    }

    #[test]
    fn key_secret_is_exact_and_holds_every_credential() {
        assert_eq!(
            secret(&password("alice", "correct horse")),
            "oauth-token-connection key secret v2\n\
             client_secret=6:secret\n\
             password=13:correct horse\n\
             refresh_token=-\n"
        );
        assert_eq!(
            secret(&[("grantType", s("refresh_token")), ("refreshToken", s("r0"))]),
            "oauth-token-connection key secret v2\nclient_secret=6:secret\npassword=-\nrefresh_token=2:r0\n"
        );
        // A public client of the password grant: the password alone.
        let public = [
            ("clientSecret", Value::Undefined),
            ("clientAuthentication", s("body")),
            ("grantType", s("password")),
            ("username", s("u")),
            ("password", s("p")),
        ];
        assert!(secret(&public).contains("client_secret=-\npassword=1:p\n"));
    }

    #[test]
    fn a_credential_changes_the_secret_and_nothing_else_does() {
        let a = secret(&password("alice", "pw"));
        for other in [
            secret(&password("alice", "pw2")),
            secret(&[&password("alice", "pw")[..], &[("clientSecret", s("secret2"))]].concat()),
            secret(&[]),
        ] {
            assert_ne!(a, other);
        }
        // Separators inside a value cannot shift a credential into another line.
        assert_ne!(
            secret(&[&password("alice", "pw\nrefresh_token=-")[..], &[("clientSecret", s("x"))]].concat()),
            secret(&[&password("alice", "pw")[..], &[("clientSecret", s("x\npassword=2:pw"))]].concat())
        );
        assert_eq!(a, secret(&[&password("bob", "pw")[..], &[("scope", s("read"))]].concat()));
    }

    #[test]
    fn what_identifies_a_token_changes_the_input_and_nothing_else_does() {
        let scoped = |scope: &str| input(&[("scope", s(scope))]);
        let extra = |pairs: Vec<(String, Value)>| input(&[("extraParams", Value::Object(pairs))]);
        let a = input(&[]);
        // Different tokens: endpoint, client, grant, user, scope, extra parameters.
        let different = [
            input(&[("tokenEndpoint", s("https://auth.example.com/other"))]),
            input(&[("clientId", s("client2"))]),
            input(&password("alice", "pw")),
            scoped("read"),
            extra(vec![("audience".into(), s("api"))]),
        ];
        for d in &different {
            assert_ne!(&a, d);
        }
        assert_ne!(input(&password("alice", "pw")), input(&password("bob", "pw")));
        assert_ne!(scoped("read"), scoped("read write"));
        // The same input: secrets (they key the HMAC instead), how the client authenticates,
        // scope order, parameter order.
        assert_eq!(input(&password("alice", "pw")), input(&password("alice", "other")));
        assert_eq!(a, input(&[("clientSecret", s("another")), ("clientAuthentication", s("body"))]));
        assert_eq!(scoped("write read"), scoped("read  write read"));
        let ab = extra(vec![("a".into(), s("1")), ("b".into(), s("2"))]);
        assert_eq!(ab, extra(vec![("b".into(), s("2")), ("a".into(), s("1"))]));
        // Repeated values keep their order (RFC 8707 resources are a list as sent).
        let r = |v: &[&str]| extra(vec![("resource".into(), Value::Array(v.iter().map(|x| s(x)).collect()))]);
        assert_ne!(r(&["x", "y"]), r(&["y", "x"]));
    }

    #[cfg(feature = "discovery")]
    #[test]
    fn an_issuer_to_discover_names_the_server() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "tokenEndpoint");
        pairs.push(("issuer", s("https://auth.example.com")));
        let i = key_input(&parse_connection(&entries(&pairs), &parse_url).unwrap().0);
        assert!(
            i.starts_with("oauth-token-connection cache key v2\nissuer=24:https://auth.example.com\nclient_id="),
            "{i}"
        );
        assert_ne!(i, input(&[("tokenEndpoint", s("https://auth.example.com"))]));
    }

    #[test]
    fn key_input_is_unambiguous() {
        // Values that contain the separators cannot shift one field into another.
        let x = input(&[("extraParams", Value::Object(vec![("a".into(), s("1\nvalue=1:b"))]))]);
        let y = input(&[("extraParams", Value::Object(vec![("a".into(), s("1")), ("b".into(), s(""))]))]);
        assert_ne!(x, y);
        // Names too (a client id cannot hold a line break: config refuses control characters).
        let x = input(&[("extraParams", Value::Object(vec![("a=1:b".into(), s("c"))]))]);
        let y = input(&[("extraParams", Value::Object(vec![("a".into(), s("b=1:c"))]))]);
        assert_ne!(x, y);
    }

    #[test]
    fn a_cache_needs_get_and_put_and_not_the_refresh_token_grant() {
        let f = Value::Function;
        let kv = Value::Object(vec![("get".into(), f.clone()), ("put".into(), f.clone())]);
        let parse = |extra: &[(&'static str, Value)]| {
            let mut pairs = base();
            pairs.extend_from_slice(extra);
            parse_connection(&entries(&pairs), &parse_url)
        };
        assert!(parse(&[("cache", kv.clone())]).unwrap().1.cache);
        assert!(!parse(&[("cache", Value::Null)]).unwrap().1.cache);
        assert!(parse(&[
            ("cache", kv.clone()),
            ("grantType", s("password")),
            ("username", s("u")),
            ("password", s("p"))
        ])
        .is_ok());
        for (bad, kind) in [
            (s("kv"), "a string"),
            (Value::Object(vec![("get".into(), f.clone())]), "an object without them"),
            (Value::Object(vec![("get".into(), f), ("put".into(), s("x"))]), "an object without them"),
        ] {
            let e = parse(&[("cache", bad)]).unwrap_err();
            assert_eq!(e.code(), "ERR_INVALID_CONFIG");
            assert!(e.message().starts_with("cache must be an object with get(key) and put("), "{}", e.message());
            assert!(e.message().ends_with(kind), "{}", e.message());
        }
        let e = parse(&[("cache", kv), ("grantType", s("refresh_token")), ("refreshToken", s("r"))]).unwrap_err();
        assert!(e.message().starts_with("cache cannot be used with grantType \"refresh_token\""));
    }

    #[test]
    fn key_format() {
        let digest: Vec<u8> = (0u8..32).map(|i| i * 8).collect();
        let k = key(&digest);
        assert_eq!(k, "otc:v2:0008101820283038404850586068707880889098a0a8b0b8c0c8d0d8e0e8f0f8");
        assert_eq!(k.len(), 7 + 64);
    }

    fn entry(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
        let mut m: Vec<(String, Value)> = vec![
            ("accessToken".into(), s("tok")),
            ("tokenType".into(), s("Bearer")),
            ("expiresIn".into(), Value::Number(3600.0)),
            ("expiresAt".into(), Value::Number(1_700_003_600_000.0)),
            ("json".into(), Value::Object(vec![])),
            ("warnings".into(), Value::Array(vec![s("w")])),
        ];
        for (k, v) in pairs {
            m.retain(|(n, _)| n != k);
            if *v != Value::Undefined {
                m.push(((*k).into(), v.clone()));
            }
        }
        m
    }

    #[test]
    fn reads_an_entry_and_never_a_refresh_token() {
        let e = read_entry(&entry(&[("scope", s("read")), ("refreshToken", s("rt"))])).unwrap();
        assert_eq!(e.token.access_token.expose(), "tok");
        assert_eq!(e.token.token_type, "Bearer");
        assert_eq!((e.token.expires_in, e.token.expires_at), (Some(3600.0), Some(1_700_003_600_000.0)));
        assert_eq!(e.token.scope.as_deref(), Some("read"));
        assert_eq!(e.token.refresh_token, None);
        assert_eq!(e.warnings, vec!["w".to_owned()]);
    }

    #[test]
    fn refuses_what_it_did_not_write() {
        let bad: &[(&str, Value)] = &[
            ("accessToken", Value::Undefined),
            ("accessToken", Value::Number(1.0)),
            ("accessToken", s("")),
            ("accessToken", s("tok en")),
            ("accessToken", s("tök")),
            ("tokenType", Value::Undefined),
            ("tokenType", s("Bea rer")),
            ("expiresIn", Value::Undefined),
            ("expiresIn", s("3600")),
            ("expiresIn", Value::Number(-1.0)),
            ("expiresAt", Value::Undefined),
            ("expiresAt", Value::Number(f64::INFINITY)),
            ("expiresAt", Value::Null),
            ("scope", Value::Number(1.0)),
            ("json", Value::Undefined),
            ("json", s("{}")),
            ("json", Value::Array(vec![])),
            ("warnings", Value::Undefined),
            ("warnings", Value::Array(vec![Value::Number(1.0)])),
        ];
        for (k, v) in bad {
            assert_eq!(read_entry(&entry(&[(k, v.clone())])), None, "{k}: {v:?}");
        }
        assert_eq!(read_entry(&[]), None);
    }

    #[test]
    fn only_the_coordinator_reads_a_token_without_expiry() {
        let none = entry(&[("expiresIn", Value::Undefined), ("expiresAt", Value::Undefined)]);
        assert_eq!(read_entry(&none), None);
        let t = read_stored(&none, false).unwrap().token;
        assert_eq!((t.expires_in, t.expires_at), (None, None));
        // Half of the expiry, or a mistyped one, is refused all the same.
        assert_eq!(read_stored(&entry(&[("expiresAt", Value::Undefined)]), false), None);
        assert_eq!(read_stored(&entry(&[("expiresIn", s("1")), ("expiresAt", Value::Undefined)]), false), None);
        assert_eq!(read_stored(&entry(&[("expiresIn", Value::Null), ("expiresAt", Value::Undefined)]), false), None);
    }

    #[test]
    fn warnings_name_the_failure_and_never_the_value() {
        assert_eq!(
            read_failed("TypeError"),
            "Token cache: reading failed (TypeError); the token was requested from the endpoint"
        );
        assert_eq!(
            write_failed("no answer within 2000 ms"),
            "Token cache: storing the token failed (no answer within 2000 ms); the token is used anyway"
        );
    }
}
