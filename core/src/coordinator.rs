//! The coordinator (`createConnection`'s `coordinator`, a Durable Object namespace): one object
//! per key ([`crate::cache::key`]) holds the token, and connections ask it instead of the
//! endpoint. The object is single-threaded, so one renewal at a time: concurrent askers wait on
//! it. Both sides run an [`Exchange`](crate::exchange::Exchange):
//!
//! - a connection ([`Exchange::connection`](crate::exchange::Exchange::connection)) asks the
//!   object ([`Step::Ask`](crate::exchange::Step::Ask)) with the token it dropped, if any, and
//!   requests its own token when the object cannot be reached, with a warning;
//! - the object ([`Exchange::object`](crate::exchange::Exchange::object)) runs one ask with the
//!   asker's configuration (never stored): it derives the key itself, loads its [`Record`],
//!   drops the asker's token if it is still the current one, answers a token valid for the
//!   asker's skew, or renews (with the stored refresh token first) and saves the new record
//!   before answering.
//!
//! A record is JSON: `{ "token": <a cache entry, or absent>, "refreshToken": <or absent> }`. The
//! answer is the entry alone: askers never receive the refresh token.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::cache::{self, Entry};
use crate::concat;
use crate::secret::RefreshToken;
use crate::value::{Json, Value};

/// How much longer than `timeoutSeconds` a connection waits for the object (its own token
/// request may take the whole timeout); and how long before the asker's renewal instant the
/// object stops answering a token, so that the answer is still valid when it arrives.
pub const ASK_MARGIN_MS: u64 = 2_000;

/// The object's stored state for one key: as read (`T` = [`Entry`]), or as the exchange saves it
/// (the token it answers).
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T = Entry> {
    /// The current token (absent once dropped).
    pub token: Option<T>,
    /// The refresh token renewals use (RFC 6749 §6), rotated in place.
    pub refresh_token: Option<RefreshToken>,
}

/// Reads a stored record (members walked two levels: the entry's own one level). `None` for
/// anything this version did not write.
pub fn read_record(members: &[(String, Value)]) -> Option<Record> {
    let token = match Json::member(members, "token") {
        None | Some(Value::Undefined) => None,
        Some(Value::Object(entry)) => Some(cache::read_stored(entry, false)?),
        Some(_) => return None,
    };
    let refresh_token = match Json::member(members, "refreshToken") {
        None | Some(Value::Undefined) => None,
        Some(Value::String(r)) if !r.is_empty() => Some(RefreshToken::new(r.clone())),
        Some(_) => return None,
    };
    Some(Record { token, refresh_token })
}

impl<T> Default for Record<T> {
    fn default() -> Self {
        Record { token: None, refresh_token: None }
    }
}

/// The object could not be asked (it threw, rejected, answered something else, or did not
/// answer in time); `reason` is the host's error name.
pub fn asking_failed(reason: &str) -> String {
    concat(&["Token coordinator: asking failed (", reason, "); the token was requested from the endpoint"])
}

/// The object answered a token this connection cannot use (unreadable, or inside its skew).
pub const IGNORED: &str =
    "Token coordinator: ignored an answer that is not a valid token; the token was requested from the endpoint";

/// The object's stored record is not one this version wrote.
pub const UNREADABLE: &str = "Token coordinator: ignored a stored record that it cannot read";

/// The object's storage could not be read.
pub fn reading_failed(reason: &str) -> String {
    concat(&["Token coordinator: reading its storage failed (", reason, ")"])
}

/// The object's storage refused the new record: the token is handed out from memory, and is
/// lost when the object is evicted.
pub fn saving_failed(reason: &str) -> String {
    concat(&["Token coordinator: storing the token failed (", reason, "); it is kept in memory only"])
}

/// No HMAC on this host: the key cannot be derived.
pub const NO_DIGEST: &str = "Token coordinator: not used, this host has no crypto.subtle for the key";

/// The default entry's `.wasm` leaves the coordinator out.
pub const NOT_IN_THIS_BUILD: &str =
    "coordinator is in the 'oauth-token-connection/full' entry; import createConnection from there to use it";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::s;

    fn entry() -> Value {
        Value::Object(vec![
            ("accessToken".into(), s("tok")),
            ("tokenType".into(), s("Bearer")),
            ("expiresIn".into(), Value::Number(60.0)),
            ("expiresAt".into(), Value::Number(1.0e12)),
            ("json".into(), Value::Object(vec![])),
            ("warnings".into(), Value::Array(vec![])),
        ])
    }

    #[test]
    fn reads_a_record_its_token_and_its_refresh_token() {
        let r = read_record(&[("token".into(), entry()), ("refreshToken".into(), s("r1"))]).unwrap();
        assert_eq!(r.token.unwrap().token.access_token.expose(), "tok");
        assert_eq!(r.refresh_token, Some(RefreshToken::new("r1".into())));
        // Dropped: the refresh token alone; nothing at all is an empty record.
        let r = read_record(&[("refreshToken".into(), s("r1"))]).unwrap();
        assert_eq!((r.token, r.refresh_token.is_some()), (None, true));
        assert_eq!(read_record(&[]), Some(Record::default()));
    }

    #[test]
    fn refuses_what_it_did_not_write() {
        for bad in [
            vec![("token".into(), s("tok"))],
            vec![("token".into(), Value::Object(vec![]))],
            vec![("refreshToken".into(), Value::Number(1.0))],
            vec![("refreshToken".into(), s(""))],
        ] {
            assert_eq!(read_record(&bad), None, "{bad:?}");
        }
    }

    #[cfg(feature = "cache")]
    #[test]
    fn a_coordinator_is_a_namespace_never_with_a_cache() {
        use crate::config::tests::{base, entries, parse_url};
        use crate::config::{parse, parse_connection};
        let f = Value::Function;
        let ns = Value::Object(vec![("idFromName".into(), f.clone()), ("get".into(), f.clone())]);
        let kv = Value::Object(vec![("get".into(), f.clone()), ("put".into(), f.clone())]);
        let parse_with = |extra: &[(&'static str, Value)]| {
            let mut pairs = base();
            pairs.extend_from_slice(extra);
            parse_connection(&entries(&pairs), &parse_url)
        };
        let o = parse_with(&[("coordinator", ns.clone())]).unwrap().1;
        assert!(o.coordinator && !o.cache);
        assert!(!parse_with(&[("coordinator", Value::Undefined)]).unwrap().1.coordinator);
        // The refresh token grant too: the key covers the refresh token, the object orders renewals.
        let grant = [("grantType", s("refresh_token")), ("refreshToken", s("r0")), ("coordinator", ns.clone())];
        assert!(parse_with(&grant).is_ok());
        for (bad, kind) in [
            (s("TOKENS"), "a string"),
            (kv.clone(), "an object without them"),
            (Value::Object(vec![("idFromName".into(), f)]), "an object without them"),
        ] {
            let e = parse_with(&[("coordinator", bad)]).unwrap_err();
            assert!(e.message().starts_with("coordinator must be a Durable Object namespace"), "{}", e.message());
            assert!(e.message().ends_with(kind), "{}", e.message());
        }
        let e = parse_with(&[("coordinator", ns.clone()), ("cache", kv)]).unwrap_err();
        assert!(e.message().starts_with("cache and coordinator cannot be used together"));
        // The object cannot be sent the caller's fetch: refused by name, rather than bypassed.
        let e = parse_with(&[("coordinator", ns.clone()), ("fetch", Value::Function)]).unwrap_err();
        assert!(e.message().starts_with("fetch cannot be used with coordinator: "), "{}", e.message());
        assert!(e.message().contains("restFetch"), "{}", e.message());
        // restFetch (the REST calls) stays the connection's own.
        assert!(parse_with(&[("coordinator", ns.clone()), ("restFetch", Value::Function)]).unwrap().1.coordinator);
        for method in ["tls_client_auth", "self_signed_tls_client_auth"] {
            let mut pairs = base();
            pairs.retain(|(k, _)| *k != "clientSecret");
            pairs.extend_from_slice(&[("clientAuthentication", s(method)), ("coordinator", ns.clone())]);
            let e = parse_connection(&entries(&pairs), &parse_url).unwrap_err();
            assert!(e.message().contains("cannot be used with coordinator"), "{}", e.message());
            assert!(e.message().contains("client certificate"), "{}", e.message());
        }
        let mut pairs = base();
        pairs.push(("coordinator", ns));
        let e = parse(&entries(&pairs), &parse_url).unwrap_err();
        assert_eq!(e.message(), "coordinator is an option of createConnection, not of requestToken");
    }

    #[test]
    fn warnings_name_the_coordinator_and_never_a_value() {
        assert_eq!(
            asking_failed("TypeError"),
            "Token coordinator: asking failed (TypeError); the token was requested from the endpoint"
        );
        for w in [IGNORED, UNREADABLE, NO_DIGEST, &saving_failed("Error"), &reading_failed("Error")] {
            assert!(w.starts_with("Token coordinator: "), "{w}");
        }
    }
}
