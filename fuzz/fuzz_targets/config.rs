//! Configuration parsing from arbitrary value trees: never panics; what it accepts obeys the
//! rules (https or loopback, no control characters in id/user, strings within 64 KiB), the
//! request built from it decodes back, and no error message quotes a secret.
#![no_main]

#[path = "../common.rs"]
mod common;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use oauth_token_core::config::{self, ClientAuthentication, Grant, MAX_STRING_BYTES};
use oauth_token_core::value::Value;
use oauth_token_core::{preview, request};

/// Every string in the entries except `skip`'s own value (keys and extraParams names included).
fn strings<'a>(entries: &'a [(String, Value)], out: &mut Vec<&'a str>) {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(m) => m.iter().for_each(|(k, v)| {
                out.push(k);
                walk(v, out)
            }),
            _ => {}
        }
    }
    for (k, v) in entries {
        out.push(k);
        walk(v, out);
    }
}

/// Full-depth conversion of JSON text (for hand-written seeds).
fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(from_json).collect()),
        serde_json::Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

// Input: a JSON object (a hand-written configuration; a "createConnection" member of true
// parses it as a connection's), or any other bytes, read as a generated configuration.
fuzz_target!(|data: &[u8]| {
    let (entries, connection) = if data.first() == Some(&b'{') {
        let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(data) else { return };
        let connection = m.get("createConnection") == Some(&serde_json::Value::Bool(true));
        let entries: Vec<(String, Value)> =
            m.iter().filter(|(k, _)| *k != "createConnection").map(|(k, v)| (k.clone(), from_json(v))).collect();
        (entries, connection)
    } else {
        let mut u = Unstructured::new(data);
        let Ok(entries) = common::entries(&mut u) else { return };
        (entries, u.arbitrary::<bool>().unwrap_or(false))
    };
    let result = if connection {
        config::parse_connection(&entries, &common::parse_url).map(|(c, _)| c)
    } else {
        config::parse(&entries, &common::parse_url)
    };
    match result {
        Err(e) => {
            assert_eq!(e.code().starts_with("ERR_"), true);
            let message = e.message();
            // A secret holding a non-ASCII character that no other configuration string holds
            // must not appear in the message: every message template is ASCII, so such a
            // character can only come from the secret itself. (A weaker oracle, "no other string
            // contains the whole secret", was fooled by an unknown key ending with all of the
            // secret but its last character, the closing quote of the message supplying that.)
            let mut all = Vec::new();
            strings(&entries, &mut all);
            for key in ["clientSecret", "password", "refreshToken"] {
                let Some((_, Value::String(secret))) = entries.iter().find(|(k, _)| k == key) else { continue };
                let mut others = all.clone();
                if let Some(i) = others.iter().position(|s| *s == secret.as_str()) {
                    others.remove(i);
                }
                let unique = secret.chars().any(|c| !c.is_ascii() && !others.iter().any(|s| s.contains(c)));
                if unique {
                    assert!(!message.contains(secret.as_str()), "{key} {secret:?} quoted in: {message:?}");
                }
            }
        }
        Ok(config) => {
            let ep = &config.token_endpoint;
            // With an issuer URL the endpoint is empty until discovered (the exchange discovers first).
            assert!(
                ep.href().starts_with("https:")
                    || (ep.href().starts_with("http:") && config::is_loopback(ep.host()))
                    || (config.needs_discovery() && ep.href().is_empty()),
                "endpoint accepted: {}",
                ep.href()
            );
            assert!(!config.client_id.is_empty() && !config.client_id.chars().any(char::is_control));
            assert!(config.client_id.len() <= MAX_STRING_BYTES);
            if let Grant::Password { username, password } = &config.grant {
                assert!(!username.is_empty() && !username.chars().any(char::is_control));
                assert!(!password.expose().is_empty());
            }
            if let Some(scope) = &config.scope {
                assert_eq!(config::parse_scope(scope.as_str()).unwrap().unwrap().as_str(), scope.as_str());
            }
            // The request decodes back to what was configured.
            let req = request::build(&config);
            let pairs: Vec<(String, String)> =
                form_urlencoded::parse(req.body.as_bytes()).into_owned().collect();
            assert_eq!(pairs[0].0, "grant_type");
            let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            match config.client_authentication {
                ClientAuthentication::Body => {
                    assert_eq!(get("client_id"), Some(config.client_id.as_str()));
                    assert_eq!(get("client_secret"), config.client_secret.as_ref().map(|s| s.expose()));
                    assert!(!req.headers.iter().any(|(n, _)| *n == "Authorization"));
                }
                ClientAuthentication::Header => {
                    assert_eq!(get("client_id"), None);
                    assert_eq!(get("client_secret"), None);
                }
                // RFC 8705 §2: client_id alone; the certificate authenticates.
                ClientAuthentication::TlsClientAuth | ClientAuthentication::SelfSignedTlsClientAuth => {
                    assert_eq!(get("client_id"), Some(config.client_id.as_str()));
                    assert_eq!((get("client_secret"), config.client_secret.as_ref()), (None, None));
                    assert!(!req.headers.iter().any(|(n, _)| *n == "Authorization"));
                }
            }
            for (name, value) in &config.extra_params {
                assert!(pairs.iter().any(|(k, v)| k == name && v == value));
            }
            for (_, v) in &req.headers {
                assert!(v.bytes().all(|b| (0x20..0x7f).contains(&b)), "header value not visible ASCII");
            }
            // The preview never shows a secret in its Authorization header or body.
            let p = preview::preview(&config);
            for (name, v) in &p.headers {
                if *name == "Authorization" {
                    assert!(v.starts_with("Basic base64("), "{v}");
                }
            }
            let ppairs: Vec<(String, String)> = form_urlencoded::parse(p.body.as_bytes()).into_owned().collect();
            for (k, v) in &ppairs {
                if matches!(k.as_str(), "client_secret" | "password" | "refresh_token") {
                    assert_eq!(v, preview::MASK);
                }
            }
        }
    }
});
