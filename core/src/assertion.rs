//! Signed assertions (RFC 7523): the settings of `private_key_jwt` and `client_secret_jwt` client
//! authentication (§2.2, OpenID Connect Core §9), of the jwt_bearer grant (§2.1) and of Google
//! service accounts, validated into a [`Signer`]; and the two rounds of the exchange's `Sign`
//! step that make each assertion.
//!
//! The host signs. For each token request that needs an assertion, the exchange asks the host
//! twice (both answered by the host's `signed` event):
//!
//! 1. [`Sign::Prepare`]: import the key (`key`, the first time only: PKCS#8, a JWK, or the client
//!    secret's bytes for HMAC; a caller's `CryptoKey` is the host's already) and keep the
//!    `CryptoKey` for the exchange's life, digest the `certificate` (SHA-1 and SHA-256, the first
//!    time only), and answer [`Signed::Prepared`] with `random_bytes` fresh bytes from
//!    `crypto.getRandomValues`.
//! 2. [`Sign::Input`]: sign `input` (the JWS signing input, whose claims carry a `jti` made of
//!    those bytes and `iat`/`exp` from the time the host reported) and answer
//!    [`Signed::Signature`].
//!
//! The key material leaves the core once: after the first signature the host holds the key, and
//! the core drops its copy (the .wasm's allocator zeroes it).
//!
//! Without the `jwt` feature (the default npm entry) [`Signer`] is uninhabited and [`available`]
//! refuses every setting of this module by name, pointing to `oauth-token-connection/full`.

#[allow(unused_imports)]
use crate::prelude::*;

/// `grant_type` of the jwt_bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The settings only this module reads: each one alone makes a config need the `jwt` feature.
/// (`issuer` is not one: it is the assertion's `iss` with the jwt_bearer grant only, and the URL
/// to discover the token endpoint from with every other grant; see [`issuer_is_claim`].)
/// [`KEYS`](crate::config::KEYS) takes them from here.
pub const SETTINGS: &[&str] = &[
    "privateKey",
    "signingAlgorithm",
    "keyId",
    "certificate",
    "assertionAudience",
    "assertionLifetimeSeconds",
    "subject",
    "audience",
    "assertionClaims",
    "serviceAccount",
];

#[cfg(feature = "jwt")]
pub use full::*;
#[cfg(not(feature = "jwt"))]
pub use lean::*;

#[cfg(not(feature = "jwt"))]
mod lean {
    use super::SETTINGS;
    use crate::config::{invalid, Entries};
    use crate::error::Error;

    /// Signed assertions are not in this build: no config has a signer.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Signer {}

    /// Where the message points.
    pub const NOT_IN_THIS_BUILD: &str =
        " is in 'oauth-token-connection/full' (signed assertions): import requestToken or createConnection from there";

    /// Refuses, by name, every setting and value of signed assertions.
    pub(crate) fn available(e: &Entries<'_>) -> Result<(), Error> {
        if let Some(key) = SETTINGS.iter().find(|k| e.get(k).is_some()) {
            return Err(invalid(&[key, NOT_IN_THIS_BUILD]));
        }
        // "jwt_bearer" and its URN; "private_key_jwt" and "client_secret_jwt".
        let value = |key: &str, end: &str| matches!(e.string(key), Ok(Some(v)) if v.ends_with(end));
        if value("grantType", "jwt_bearer") || value("grantType", "jwt-bearer") {
            return Err(invalid(&["grantType \"jwt_bearer\"", NOT_IN_THIS_BUILD]));
        }
        if value("clientAuthentication", "_jwt") {
            return Err(invalid(&[
                "clientAuthentication \"private_key_jwt\" or \"client_secret_jwt\"",
                NOT_IN_THIS_BUILD,
            ]));
        }
        Ok(())
    }

    pub(crate) fn token_uri<'a>(_: &Entries<'a>) -> Option<&'a str> {
        None
    }

    /// No jwt_bearer grant in this build: `issuer` is always the URL to discover.
    pub(crate) fn issuer_is_claim(_: &Entries<'_>) -> bool {
        false
    }

    pub fn takes_scope(_: Option<&Signer>) -> bool {
        false
    }

    pub fn client_id(_: Option<&Signer>, id: &str) -> alloc::string::String {
        id.into()
    }

    #[cfg(test)]
    mod tests {
        use crate::config::parse;
        use crate::config::tests::{base, entries, parse_url, s};
        use crate::value::Value;

        #[test]
        fn every_setting_and_value_is_refused_by_name_pointing_to_full() {
            let mut cases: alloc::vec::Vec<(&str, Value, &str)> =
                super::SETTINGS.iter().map(|k| (*k, s("x"), *k)).collect();
            cases.push(("serviceAccount", Value::Object(alloc::vec![]), "serviceAccount"));
            cases.push(("grantType", s("jwt_bearer"), "grantType \"jwt_bearer\""));
            cases.push(("grantType", s(super::super::JWT_BEARER_GRANT), "grantType \"jwt_bearer\""));
            cases.push(("clientAuthentication", s("private_key_jwt"), "clientAuthentication \"private_key_jwt\""));
            cases.push(("clientAuthentication", s("client_secret_jwt"), "clientAuthentication \"private_key_jwt\""));
            for (key, value, named) in cases {
                let mut pairs = base();
                pairs.push((key, value));
                let e = parse(&entries(&pairs), &parse_url).unwrap_err();
                assert_eq!(e.code(), "ERR_INVALID_CONFIG");
                assert!(e.message().starts_with(named), "{}", e.message());
                assert!(e.message().contains("'oauth-token-connection/full'"), "{}", e.message());
            }
            // Without any of them, nothing changes.
            assert!(parse(&entries(&base()), &parse_url).unwrap().signer.is_none());
        }
    }
}

#[cfg(feature = "jwt")]
mod full {
    #[allow(unused_imports)]
    use crate::prelude::*;

    use super::SETTINGS;
    use crate::concat;
    use crate::config::{check_controls, invalid, shown, ClientAuthentication, Config, Entries, MAX_EXTRA_VALUES};
    use crate::error::Error;
    use crate::json::JsonObject;
    use crate::jws::{self, Algorithm, Thumbprints};
    use crate::pem::{self, Curve, KeyType};
    use crate::value::{Json, Value};

    /// What [`parse`] needs from the rest of the configuration.
    pub struct Context<'a> {
        pub grant_jwt_bearer: bool,
        pub authentication: ClientAuthentication,
        pub client_id: &'a str,
    }

    /// A validated signer: the key, the algorithm, the header's members and the claims.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Signer {
        pub key: Key,
        pub algorithm: Algorithm,
        pub key_id: Option<String>,
        /// The certificate's DER, until the host has digested it; then its thumbprints.
        pub certificate: Option<Certificate>,
        pub lifetime_seconds: u64,
        pub claims: Claims,
        /// A service account's: the scope goes into the `scope` claim, not the form body (Google).
        pub scope_claim: bool,
    }

    /// Where the key is.
    #[derive(Clone, PartialEq)]
    pub enum Key {
        /// A PEM key as PKCS#8 DER, for the host to import.
        Pkcs8(Vec<u8>),
        /// A private JWK's key members (RFC 7517, RFC 7518 §6), for the host to import.
        Jwk(Vec<(&'static str, String)>),
        /// HMAC with the client secret's UTF-8 bytes (OpenID Connect Core §9 `client_secret_jwt`).
        ClientSecret,
        /// The host holds the `CryptoKey`: the caller's own, or one it imported.
        Host,
    }

    impl core::fmt::Debug for Key {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str(match self {
                Key::Pkcs8(_) => "Pkcs8([redacted])",
                Key::Jwk(_) => "Jwk([redacted])",
                Key::ClientSecret => "ClientSecret",
                Key::Host => "Host",
            })
        }
    }

    /// The certificate whose thumbprints go into the header (`x5t`, `x5t#S256`).
    #[derive(Debug, Clone, PartialEq)]
    pub enum Certificate {
        Der(Vec<u8>),
        Digested(Thumbprints),
    }

    /// The registered claims (RFC 7519 §4.1) an assertion carries besides `iat`, `exp`, `jti`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Claims {
        pub issuer: String,
        pub subject: Option<String>,
        /// `None`: the token endpoint URL.
        pub audience: Option<String>,
        /// `assertionClaims`, and a service account's `scope`.
        pub extra: Vec<(String, Claim)>,
    }

    /// A value of `assertionClaims`.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Claim {
        String(String),
        Integer(i64),
        Bool(bool),
        Strings(Vec<String>),
    }

    /// What the host imports (`format` and `keyData` of `crypto.subtle.importKey`).
    #[derive(Clone, PartialEq)]
    pub enum KeyImport {
        Pkcs8(Vec<u8>),
        Jwk(Vec<(&'static str, String)>),
        Raw(Vec<u8>),
    }

    impl core::fmt::Debug for KeyImport {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("KeyImport([redacted])")
        }
    }

    /// The exchange's `Sign` step.
    #[derive(Debug, PartialEq)]
    pub enum Sign {
        /// Import `key` if given and keep the `CryptoKey`; digest `certificate` if given (SHA-1
        /// and SHA-256); answer [`Signed::Prepared`] with `random_bytes` fresh random bytes.
        Prepare { key: Option<KeyImport>, algorithm: Algorithm, certificate: Option<Vec<u8>>, random_bytes: u32 },
        /// Sign `input` with the key; answer [`Signed::Signature`].
        Input { algorithm: Algorithm, input: String },
    }

    /// The host's answer to [`Sign`].
    #[derive(Debug)]
    pub enum Signed<'a> {
        Prepared {
            random: &'a [u8],
            sha1: Option<&'a [u8]>,
            sha256: Option<&'a [u8]>,
        },
        Signature(&'a [u8]),
        /// What failed, and the error's name (a `DOMException`'s, e.g. `NotSupportedError`).
        Failed {
            stage: Stage,
            name: &'a str,
        },
    }

    /// Where the host's signing failed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Stage {
        /// The host has no `crypto.subtle` or no `crypto.getRandomValues`.
        NoWebCrypto,
        Import,
        Digest,
        Sign,
    }

    /// Bytes of randomness per `jti`: 128 bits.
    pub const RANDOM_BYTES: u32 = 16;
    /// Default `assertionLifetimeSeconds`.
    pub const DEFAULT_LIFETIME_SECONDS: u64 = 60;
    /// The claims the signer sets itself; `assertionClaims` cannot.
    const RESERVED_CLAIMS: &[(&str, &str)] = &[
        ("iss", "issuer"),
        ("sub", "subject"),
        ("aud", "audience"),
        ("exp", "assertionLifetimeSeconds"),
        ("iat", "assertionLifetimeSeconds"),
        ("jti", "nothing (it is fresh for every assertion)"),
    ];

    /// Every setting works in this build.
    pub(crate) fn available(_: &Entries<'_>) -> Result<(), Error> {
        Ok(())
    }

    /// A service account's `token_uri`, the token endpoint when `tokenEndpoint` is not given.
    pub(crate) fn token_uri<'a>(e: &Entries<'a>) -> Option<&'a str> {
        match e.get("serviceAccount") {
            Some(Value::Object(m)) => match Json::member(m, "token_uri") {
                Some(Value::String(s)) if !s.is_empty() => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether `issuer` is the assertion's `iss` (the jwt_bearer grant, by name or URN, or a
    /// service account's default grant) rather than the URL to discover the token endpoint from;
    /// the token endpoint is then `tokenEndpoint` or the service account's `token_uri`.
    pub(crate) fn issuer_is_claim(e: &Entries<'_>) -> bool {
        match e.string("grantType") {
            Ok(Some(g)) => g == "jwt_bearer" || g == super::JWT_BEARER_GRANT,
            Ok(None) => e.get("serviceAccount").is_some(),
            Err(_) => false,
        }
    }

    /// Whether the key is a caller's `CryptoKey`, which only this host holds (a coordinator's
    /// object, sent the settings as data, could not sign with it).
    pub fn host_key(config: &Config) -> bool {
        matches!(config.signer, Some(Signer { key: Key::Host, .. }))
    }

    /// Whether the signer puts the configured scope into its claims (the body then has none).
    pub fn takes_scope(signer: Option<&Signer>) -> bool {
        signer.is_some_and(|s| s.scope_claim)
    }

    /// The config's client id: the one given, else a service account's issuer (`client_email`).
    pub fn client_id(signer: Option<&Signer>, id: &str) -> String {
        match signer {
            Some(s) if id.is_empty() && s.scope_claim => s.claims.issuer.clone(),
            _ => id.to_owned(),
        }
    }

    const WITH_GRANT: &str = "grantType \"jwt_bearer\"";
    const WITH_CLIENT: &str = "clientAuthentication \"private_key_jwt\" or \"client_secret_jwt\"";
    const WITH_KEY: &str = "clientAuthentication \"private_key_jwt\" or grantType \"jwt_bearer\"";
    const WITH_ANY: &str = "a signed assertion (clientAuthentication \"private_key_jwt\" or \"client_secret_jwt\", or \
                            grantType \"jwt_bearer\")";

    /// The key as the settings give it, borrowed.
    enum Source<'a> {
        /// A PEM text, and the field it came from (for messages).
        Pem(&'a str, &'static str),
        Jwk(&'a [(String, Value)], Jwk<'a>),
        CryptoKey(KeyType, Algorithm),
        ClientSecret,
    }

    /// What a JWK's check found: its type, its `alg` and `kid`.
    struct Jwk<'a> {
        key_type: KeyType,
        alg: Option<Algorithm>,
        kid: Option<&'a str>,
        members: &'static [&'static str],
    }

    /// Validates the settings of a signed assertion, if the config makes one. Everything is
    /// checked on borrowed values first; the key is decoded last, so that no owned key material
    /// is live across the checks' early returns.
    pub(crate) fn parse(e: &Entries<'_>, cx: &Context<'_>) -> Result<Option<Signer>, Error> {
        let client =
            matches!(cx.authentication, ClientAuthentication::PrivateKeyJwt | ClientAuthentication::ClientSecretJwt);
        // Settings of another mode: (key, the mode it belongs to).
        let foreign: &[(&str, &str)] = match (client, cx.grant_jwt_bearer) {
            (true, true) => {
                return Err(invalid(&[
                    "grantType \"jwt_bearer\" takes no clientAuthentication \"private_key_jwt\" or \
                     \"client_secret_jwt\" (one assertion per request)",
                ]))
            }
            (false, false) => {
                let Some(k) = SETTINGS.iter().find(|k| e.get(k).is_some()) else { return Ok(None) };
                let with = match *k {
                    "subject" | "audience" | "assertionClaims" | "serviceAccount" => WITH_GRANT,
                    "privateKey" | "certificate" => WITH_KEY,
                    _ => WITH_ANY,
                };
                return Err(invalid(&[k, " is only used with ", with]));
            }
            (true, false) => &[
                ("subject", WITH_GRANT),
                ("audience", WITH_GRANT),
                ("assertionClaims", WITH_GRANT),
                ("serviceAccount", WITH_GRANT),
            ],
            (false, true) => &[("assertionAudience", WITH_CLIENT)],
        };
        if let Some((k, with)) = foreign.iter().find(|(k, _)| e.get(k).is_some()) {
            return Err(invalid(&[k, " is only used with ", with]));
        }
        for key in ["keyId", "issuer", "subject", "audience", "assertionAudience"] {
            check_controls(e, key)?;
        }

        let service_account = service_account(e)?;
        let source = if cx.authentication == ClientAuthentication::ClientSecretJwt {
            if let Some(k) = ["privateKey", "certificate"].iter().find(|k| e.get(k).is_some()) {
                return Err(invalid(&[k, " is not used with clientAuthentication \"client_secret_jwt\""]));
            }
            Source::ClientSecret
        } else if let Some(sa) = &service_account {
            if e.get("privateKey").is_some() {
                return Err(invalid(&["privateKey and serviceAccount are both given: keep one"]));
            }
            Source::Pem(sa.private_key, "serviceAccount.private_key ")
        } else {
            match e.get("privateKey") {
                None => {
                    return Err(invalid(&[
                        "privateKey is required with ",
                        if client { WITH_CLIENT } else { WITH_GRANT },
                    ]))
                }
                Some(Value::String(text)) => Source::Pem(text, "privateKey "),
                Some(Value::Object(m)) if matches!(Json::member(m, "cryptoKey"), Some(Value::Bool(true))) => {
                    let (t, a) = crypto_key(m)?;
                    Source::CryptoKey(t, a)
                }
                Some(Value::Object(m)) => Source::Jwk(m, jwk(m)?),
                Some(other) => {
                    return Err(invalid(&[
                        "privateKey must be a PEM string, a private JWK or a CryptoKey, got ",
                        other.kind(),
                    ]))
                }
            }
        };
        let chosen = e.choice("signingAlgorithm", &jws::ALGORITHMS)?;
        let key_id = e.string("keyId")?.filter(|k| !k.is_empty());
        let certificate = e.string("certificate")?;
        let lifetime_seconds = match e.number("assertionLifetimeSeconds")? {
            None => DEFAULT_LIFETIME_SECONDS,
            Some(n) if (1.0..=86_400.0).contains(&n) && n == (n as u64) as f64 => n as u64,
            Some(_) => return Err(invalid(&["assertionLifetimeSeconds must be a whole number from 1 to 86400"])),
        };
        let nonempty = |key| e.string(key).map(|v| v.filter(|s| !s.is_empty()));
        // RFC 7523 §3: a client's assertion has iss and sub = the client id.
        let (issuer, subject, audience) = if client {
            (cx.client_id, Some(cx.client_id), nonempty("assertionAudience")?)
        } else {
            let issuer = match (nonempty("issuer")?, &service_account) {
                (Some(i), _) => i,
                (None, Some(sa)) => sa.client_email,
                (None, None) if !cx.client_id.is_empty() => cx.client_id,
                (None, None) => {
                    return Err(invalid(&["issuer (or clientId) is required with grantType \"jwt_bearer\""]))
                }
            };
            (issuer, nonempty("subject")?, nonempty("audience")?)
        };
        let extra = assertion_claims(e)?;
        // A service account's scope goes into the claims (Google): already checked as a scope.
        let scope = match &service_account {
            Some(_) => e.string("scope")?.and_then(|s| crate::config::parse_scope(s).ok().flatten()),
            None => None,
        };
        if scope.is_some() && extra.is_some_and(|m| Json::member(m, "scope").is_some()) {
            return Err(invalid(&["scope and assertionClaims.scope are both given: keep one"]));
        }

        // The key (the first owned copy of it), then what must fit it.
        let (key, key_type, default_alg, default_kid) = match source {
            Source::ClientSecret => (Key::ClientSecret, None, None, None),
            Source::Pem(text, field) => {
                let pk = pem::private_key(text).map_err(|r| invalid(&[field, r]))?;
                let kid = service_account.as_ref().and_then(|sa| sa.private_key_id);
                (Key::Pkcs8(pk.pkcs8), Some(pk.key_type), None, kid)
            }
            Source::Jwk(m, j) => (Key::Jwk(jwk_members(m, j.members)), Some(j.key_type), j.alg, j.kid),
            Source::CryptoKey(t, a) => (Key::Host, Some(t), Some(a), None),
        };
        let algorithm = match (chosen, key_type) {
            (None, None) => Algorithm::Hs256,
            (Some(a), None) if a.is_hmac() => a,
            (Some(_), None) => return Err(invalid(&["signingAlgorithm must be HS256, HS384 or HS512 here"])),
            (Some(a), Some(_)) if a.is_hmac() => {
                return Err(invalid(&["signingAlgorithm HS256, HS384 and HS512 are for client_secret_jwt"]))
            }
            (a, Some(t)) => {
                let a = a.or(default_alg).unwrap_or(Algorithm::for_key(t));
                let field = if service_account.is_some() { "serviceAccount.private_key " } else { "privateKey " };
                a.fits(t).map_err(|r| invalid(&[field, r]))?;
                a
            }
        };
        let certificate = match certificate {
            Some(text) => Some(Certificate::Der(pem::certificate(text).map_err(|r| invalid(&["certificate ", r]))?)),
            None => None,
        };

        let mut claims: Vec<(String, Claim)> = extra.map_or_else(Vec::new, claims_of);
        if let Some(scope) = scope {
            claims.push((String::from("scope"), Claim::String(scope.as_str().to_owned())));
        }
        Ok(Some(Signer {
            key,
            algorithm,
            key_id: key_id.or(default_kid).map(String::from),
            certificate,
            lifetime_seconds,
            claims: Claims {
                issuer: issuer.to_owned(),
                subject: subject.map(String::from),
                audience: audience.map(String::from),
                extra: claims,
            },
            scope_claim: service_account.is_some(),
        }))
    }

    /// A Google service account key file's members that matter.
    struct ServiceAccount<'a> {
        client_email: &'a str,
        private_key: &'a str,
        private_key_id: Option<&'a str>,
    }

    fn service_account<'a>(e: &Entries<'a>) -> Result<Option<ServiceAccount<'a>>, Error> {
        let m = match e.get("serviceAccount") {
            None => return Ok(None),
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(invalid(&["serviceAccount must be the key file's JSON object, got ", other.kind()]))
            }
        };
        let mut found = [None; 4];
        for (i, name) in ["client_email", "private_key", "private_key_id", "token_uri"].into_iter().enumerate() {
            found[i] = match Json::member(m, name) {
                None | Some(Value::Undefined | Value::Null) => None,
                Some(Value::String(s)) => Some(s.as_str()).filter(|s| !s.is_empty()),
                Some(_) => return Err(invalid(&["serviceAccount.", name, " must be a string"])),
            };
            if i < 2 && found[i].is_none() {
                return Err(invalid(&["serviceAccount has no ", name, ": pass the key file as downloaded"]));
            }
        }
        let [Some(client_email), Some(private_key), private_key_id, _] = found else { return Ok(None) };
        if crate::config::has_control(client_email) {
            return Err(invalid(&["serviceAccount.client_email contains a control character"]));
        }
        Ok(Some(ServiceAccount { client_email, private_key, private_key_id }))
    }

    /// The key members of each JWK type (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2), after `kty`
    /// (and `crv`).
    const RSA_MEMBERS: &[&str] = &["n", "e", "d", "p", "q", "dp", "dq", "qi"];
    const EC_MEMBERS: &[&str] = &["x", "y", "d"];
    const OKP_MEMBERS: &[&str] = &["x", "d"];

    fn jwk_string<'a>(m: &'a [(String, Value)], name: &str) -> Option<&'a str> {
        match Json::member(m, name) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Checks a private JWK (RFC 7517 §4): its type, its key members (present, base64url), its
    /// RSA modulus size (from `n`'s length: RFC 7518 §2 Base64urlUInt has no leading zeros), and
    /// its `alg` and `kid` as defaults. The host's `importKey` checks the mathematics.
    fn jwk(m: &[(String, Value)]) -> Result<Jwk<'_>, Error> {
        let (key_type, members) = match (jwk_string(m, "kty"), jwk_string(m, "crv")) {
            (Some("RSA"), _) => (KeyType::Rsa { bits: 0 }, RSA_MEMBERS),
            (Some("EC"), Some("P-256")) => (KeyType::Ec(Curve::P256), EC_MEMBERS),
            (Some("EC"), Some("P-384")) => (KeyType::Ec(Curve::P384), EC_MEMBERS),
            (Some("OKP"), Some("Ed25519")) => (KeyType::Ed25519, OKP_MEMBERS),
            (Some("oct"), _) => {
                return Err(invalid(&["privateKey is a secret JWK: use clientSecret with client_secret_jwt"]))
            }
            _ => {
                return Err(invalid(&[
                    "privateKey is not a private JWK of an RSA, EC P-256/P-384 or Ed25519 key, nor a CryptoKey",
                ]))
            }
        };
        if jwk_string(m, "d").is_none() {
            return Err(invalid(&["privateKey is a public JWK (no \"d\"): a private key is needed"]));
        }
        for &name in members {
            let v = jwk_string(m, name).unwrap_or_default();
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=') {
                return Err(invalid(&["privateKey.", name, " is missing or not base64url"]));
            }
        }
        let key_type = match key_type {
            KeyType::Rsa { .. } => {
                let n = jwk_string(m, "n").unwrap_or_default().trim_end_matches('=').as_bytes();
                // The first character holds the top six bits of the first byte.
                let top = n.first().map_or(0, |&c| match c {
                    b'A'..=b'Z' => c - b'A',
                    b'a'..=b'z' => c - b'a' + 26,
                    b'0'..=b'9' => c - b'0' + 52,
                    _ => 63,
                });
                let bytes = (n.len() * 6 / 8) as u32;
                KeyType::Rsa { bits: (bytes * 8).saturating_sub((top << 2).leading_zeros().min(6)) }
            }
            t => t,
        };
        let alg = jwk_string(m, "alg").and_then(|a| jws::ALGORITHMS.iter().find(|(n, _)| *n == a)).map(|(_, a)| *a);
        Ok(Jwk { key_type, alg, kid: jwk_string(m, "kid").filter(|k| !k.is_empty()), members })
    }

    /// The members the host imports: `kty`, `crv` and the key members (no `alg`, `key_ops` or
    /// `ext`, which could contradict the import).
    fn jwk_members(m: &[(String, Value)], members: &[&'static str]) -> Vec<(&'static str, String)> {
        ["kty", "crv"]
            .iter()
            .chain(members)
            .filter_map(|&name| jwk_string(m, name).map(|v| (name, String::from(v))))
            .collect()
    }

    /// A caller's `CryptoKey`, as the host described it (`cryptoKey: true`, `type`, `algorithm`,
    /// `namedCurve`, `hash`, `modulusLength`, `sign`: whether its usages include `sign`). Its
    /// algorithm fixes the JWS algorithm.
    fn crypto_key(m: &[(String, Value)]) -> Result<(KeyType, Algorithm), Error> {
        let string = |name| jwk_string(m, name).unwrap_or_default();
        if string("type") != "private" || !matches!(Json::member(m, "sign"), Some(Value::Bool(true))) {
            return Err(invalid(&["privateKey is a CryptoKey that is not a private key with the usage \"sign\""]));
        }
        let bits = match Json::member(m, "modulusLength") {
            Some(Value::Number(n)) if *n >= 0.0 && *n < 1e6 => *n as u32,
            _ => 0,
        };
        Ok(match (string("algorithm"), string("hash"), string("namedCurve")) {
            ("RSASSA-PKCS1-v1_5", "SHA-256", _) => (KeyType::Rsa { bits }, Algorithm::Rs256),
            ("RSA-PSS", "SHA-256", _) => (KeyType::Rsa { bits }, Algorithm::Ps256),
            ("ECDSA", _, "P-256") => (KeyType::Ec(Curve::P256), Algorithm::Es256),
            ("ECDSA", _, "P-384") => (KeyType::Ec(Curve::P384), Algorithm::Es384),
            ("Ed25519", ..) => (KeyType::Ed25519, Algorithm::EdDsa),
            _ => return Err(invalid(&["privateKey is a CryptoKey for an algorithm no JWS algorithm here uses"])),
        })
    }

    /// Checks `assertionClaims`: names to strings, whole numbers, booleans or arrays of strings.
    fn assertion_claims<'a>(e: &Entries<'a>) -> Result<Option<&'a [(String, Value)]>, Error> {
        let members = match e.get("assertionClaims") {
            None => return Ok(None),
            Some(Value::Object(m)) => m,
            Some(other) => return Err(invalid(&["assertionClaims must be an object, got ", other.kind()])),
        };
        if members.len() > MAX_EXTRA_VALUES {
            return Err(invalid(&["assertionClaims holds more than 256 claims"]));
        }
        for (name, value) in members {
            if let Some((_, setting)) = RESERVED_CLAIMS.iter().find(|(c, _)| c == name) {
                return Err(invalid(&["assertionClaims cannot set \"", name, "\": use ", setting]));
            }
            if name.is_empty() || claim(value).is_none() {
                return Err(invalid(&[
                    "assertionClaims.",
                    &shown(name),
                    " must be a string, a whole number, a boolean or an array of strings",
                ]));
            }
        }
        Ok(Some(members))
    }

    /// A claim value (`Some(None)`: undefined, left out).
    fn claim(value: &Value) -> Option<Option<Claim>> {
        Some(Some(match value {
            Value::Undefined => return Some(None),
            Value::String(s) => Claim::String(s.clone()),
            Value::Bool(b) => Claim::Bool(*b),
            // Whole numbers JSON and JavaScript agree on (|n| < 2^53).
            Value::Number(n) if n.abs() < 9_007_199_254_740_992.0 && *n == (*n as i64) as f64 => {
                Claim::Integer(*n as i64)
            }
            Value::Array(items) => Claim::Strings(
                items
                    .iter()
                    .map(|i| if let Value::String(s) = i { Some(s.clone()) } else { None })
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        }))
    }

    fn claims_of(members: &[(String, Value)]) -> Vec<(String, Claim)> {
        members.iter().filter_map(|(name, v)| Some((name.clone(), claim(v)??))).collect()
    }

    // --- The exchange's rounds ---------------------------------------------------------------

    /// Whether this request carries an assertion: the client's (`private_key_jwt`,
    /// `client_secret_jwt`), or the jwt_bearer grant's (not on a refresh).
    pub fn needed(config: &Config, refreshing: bool) -> bool {
        config.signer.is_some()
            && (matches!(
                config.client_authentication,
                ClientAuthentication::PrivateKeyJwt | ClientAuthentication::ClientSecretJwt
            ) || !refreshing)
    }

    /// The first round: what the host imports and digests (each once), and the randomness.
    pub fn prepare(config: &Config) -> Option<Sign> {
        let s = config.signer.as_ref()?;
        let key = match &s.key {
            Key::Pkcs8(der) => Some(KeyImport::Pkcs8(der.clone())),
            Key::Jwk(members) => Some(KeyImport::Jwk(members.clone())),
            Key::ClientSecret => Some(KeyImport::Raw(config.client_secret.as_ref()?.expose().as_bytes().to_vec())),
            Key::Host => None,
        };
        let certificate = match &s.certificate {
            Some(Certificate::Der(der)) => Some(der.clone()),
            _ => None,
        };
        Some(Sign::Prepare { key, algorithm: s.algorithm, certificate, random_bytes: RANDOM_BYTES })
    }

    /// The second round: the JWS signing input for the host's random bytes (and the
    /// certificate's digests, the first time) at `now_ms`.
    pub fn input(
        config: &mut Config,
        random: &[u8],
        sha1: Option<&[u8]>,
        sha256: Option<&[u8]>,
        now_ms: f64,
    ) -> Result<Sign, Error> {
        let endpoint = config.token_endpoint.href().to_owned();
        let Some(s) = config.signer.as_mut() else { return Err(Error::Internal) };
        if random.len() < RANDOM_BYTES as usize {
            return Err(Error::Internal);
        }
        if let Some(Certificate::Der(_)) = s.certificate {
            match (sha1, sha256) {
                (Some(a), Some(b)) if a.len() == 20 && b.len() == 32 => {
                    s.certificate =
                        Some(Certificate::Digested(Thumbprints { sha1: jws::base64url(a), sha256: jws::base64url(b) }))
                }
                _ => return Err(Error::Internal),
            }
        }
        let thumbprints = match &s.certificate {
            Some(Certificate::Digested(t)) => Some(t),
            _ => None,
        };
        let header = jws::header(s.algorithm, s.key_id.as_deref(), thumbprints);
        let jti = jws::base64url(&random[..RANDOM_BYTES as usize]);
        // f64::floor is std-only: whole seconds by casting (a clock before 1970 gives 0).
        let iat = (now_ms / 1000.0) as u64;
        let claims = claims(s, &endpoint, Some(&jti), iat);
        Ok(Sign::Input { algorithm: s.algorithm, input: jws::signing_input(header.as_bytes(), claims.as_bytes()) })
    }

    /// The claims JSON: iss, sub, aud, iat, exp, jti, then the extra claims in order.
    fn claims(s: &Signer, endpoint: &str, jti: Option<&str>, iat: u64) -> String {
        let c = &s.claims;
        let mut o = JsonObject::default();
        o.string("iss", &c.issuer);
        if let Some(sub) = &c.subject {
            o.string("sub", sub);
        }
        o.string("aud", c.audience.as_deref().unwrap_or(endpoint));
        o.integer("iat", iat as i64);
        o.integer("exp", iat.saturating_add(s.lifetime_seconds) as i64);
        o.string("jti", jti.unwrap_or(PREVIEW_JTI));
        for (name, claim) in &c.extra {
            match claim {
                Claim::String(v) => o.string(name, v),
                Claim::Integer(n) => o.integer(name, *n),
                Claim::Bool(b) => o.boolean(name, *b),
                Claim::Strings(v) => o.strings(name, v.iter().map(String::as_str)),
            }
        }
        o.finish()
    }

    /// The JWS for the host's signature over `input`. The host now holds the key: the core's
    /// copy of it is dropped.
    pub fn assemble(config: &mut Config, input: &str, signature: &[u8]) -> Result<String, Error> {
        let Some(s) = config.signer.as_mut() else { return Err(Error::Internal) };
        if signature.is_empty() || s.algorithm.signature_len().is_some_and(|n| n != signature.len()) {
            return Err(Error::Internal);
        }
        s.key = Key::Host;
        Ok(jws::compact(input, signature))
    }

    /// The error for a failed round.
    pub fn failure(config: &Config, stage: Stage, name: &str) -> Error {
        let Some(s) = config.signer.as_ref() else { return Error::Internal };
        let algorithm = s.algorithm.name();
        let field = match s.key {
            Key::ClientSecret => "clientSecret",
            _ if s.scope_claim => "serviceAccount.private_key",
            _ => "privateKey",
        };
        match stage {
            Stage::NoWebCrypto => Error::UnsupportedAlgorithm { algorithm, no_web_crypto: true },
            _ if name == "NotSupportedError" => Error::UnsupportedAlgorithm { algorithm, no_web_crypto: false },
            Stage::Import => {
                invalid(&[field, " was refused by crypto.subtle.importKey (", &shown(name), ") for ", algorithm])
            }
            Stage::Digest => invalid(&["certificate was refused by crypto.subtle.digest (", &shown(name), ")"]),
            Stage::Sign => invalid(&[field, " was refused by crypto.subtle.sign (", &shown(name), ") for ", algorithm]),
        }
    }

    // --- The preview ----------------------------------------------------------------------

    /// What a preview's `jti` reads.
    pub const PREVIEW_JTI: &str = "(128 random bits, new for every request)";

    /// The assertion a request would carry at `now_ms`, decoded: its header and claims JSON.
    /// Thumbprints read as what they are; the signature is never made.
    pub fn preview(config: &Config, now_ms: f64) -> Option<(String, String)> {
        let s = config.signer.as_ref()?;
        let thumbprints = s.certificate.as_ref().map(|c| match c {
            Certificate::Digested(t) => t.clone(),
            Certificate::Der(_) => Thumbprints {
                sha1: String::from("(SHA-1 of certificate)"),
                sha256: String::from("(SHA-256 of certificate)"),
            },
        });
        let header = jws::header(s.algorithm, s.key_id.as_deref(), thumbprints.as_ref());
        Some((header, claims(s, config.token_endpoint.href(), None, (now_ms / 1000.0) as u64)))
    }

    /// The preview's notes on the assertion.
    pub fn notes(config: &Config) -> Vec<String> {
        let Some(s) = config.signer.as_ref() else { return Vec::new() };
        let client = matches!(
            config.client_authentication,
            ClientAuthentication::PrivateKeyJwt | ClientAuthentication::ClientSecretJwt
        );
        let mut notes = vec![concat(&[
            if client {
                "client_assertion: a JWT (RFC 7523 section 2.2)"
            } else {
                "assertion: a JWT (RFC 7523 section 2.1)"
            },
            " signed with ",
            s.algorithm.name(),
            if matches!(s.key, Key::ClientSecret) { " by the client secret" } else { " by the private key" },
            ", new for every request; masked, decoded in `assertion`.",
        ])];
        if s.scope_claim {
            notes.push(String::from("The scope goes into the assertion's scope claim, not the body (Google)."));
        }
        notes
    }

    /// The cache key's lines for a signer: what tells two assertions' tokens apart (never the key).
    pub fn key_fields(config: &Config) -> Vec<(&'static str, Option<String>)> {
        let Some(s) = config.signer.as_ref() else { return Vec::new() };
        let mut out = vec![
            ("issuer", Some(s.claims.issuer.clone())),
            ("subject", s.claims.subject.clone()),
            ("audience", s.claims.audience.clone()),
            ("key_id", s.key_id.clone()),
        ];
        for (name, claim) in &s.claims.extra {
            let mut o = JsonObject::default();
            match claim {
                Claim::String(v) => o.string(name, v),
                Claim::Integer(n) => o.integer(name, *n),
                Claim::Bool(b) => o.boolean(name, *b),
                Claim::Strings(v) => o.strings(name, v.iter().map(String::as_str)),
            }
            out.push(("claim", Some(o.finish())));
        }
        out
    }

    #[cfg(test)]
    mod tests {
        //! Each mode's settings, JOSE header, claims, signing input and request bytes, with the
        //! host's rounds scripted (random bytes 0..16, a fixed clock, a dummy signature).
        use super::*;
        use crate::config::tests::{entries, parse_url, s};
        use crate::config::{parse, parse_connection, Grant};
        use crate::exchange::{Event, Exchange, Fetch, Step};
        use crate::pem::tests::{generated, openssl};
        use std::sync::OnceLock;

        const T0: f64 = 1_700_000_000_500.0;
        const ENDPOINT: &str = "https://auth.example.com/oauth2/token";
        const RANDOM: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        /// base64url of RANDOM.
        const JTI: &str = "AAECAwQFBgcICQoLDA0ODw";

        /// One generated key of each kind per test run: (traditional PEM, PKCS#8 PEM).
        fn key(kind: &'static str) -> &'static (String, String) {
            type Generated = Vec<(&'static str, &'static (String, String))>;
            static KEYS: OnceLock<std::sync::Mutex<Generated>> = OnceLock::new();
            let keys = KEYS.get_or_init(Default::default);
            let mut keys = keys.lock().unwrap();
            if let Some((_, k)) = keys.iter().find(|(n, _)| *n == kind) {
                return k;
            }
            let k: &'static (String, String) = Box::leak(Box::new(generated(kind)));
            keys.push((kind, k));
            k
        }

        fn config(pairs: &[(&'static str, Value)]) -> Result<Config, Error> {
            let mut all = vec![("tokenEndpoint", s(ENDPOINT)), ("clientId", s("client"))];
            all.retain(|(k, _)| !pairs.iter().any(|(p, _)| p == k));
            all.extend_from_slice(pairs);
            parse(&entries(&all), &parse_url)
        }

        fn err(pairs: &[(&'static str, Value)]) -> String {
            let e = config(pairs).unwrap_err();
            assert_eq!(e.code(), "ERR_INVALID_CONFIG");
            e.message()
        }

        fn pkjwt(extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
            let mut v = vec![("clientAuthentication", s("private_key_jwt")), ("privateKey", s(&key("rsa2048").0))];
            v.extend_from_slice(extra);
            v
        }

        fn b64(json: &str) -> String {
            jws::base64url(json.as_bytes())
        }

        /// Runs the two rounds; returns (the prepare step, the signing input, the fetch).
        fn sign_rounds(
            ex: &mut Exchange,
            first: Step,
            digests: Option<(&[u8], &[u8])>,
            signature: &[u8],
        ) -> (Sign, String, Fetch) {
            let Step::Sign(prepare) = first else { panic!("expected a sign step, got {first:?}") };
            let (sha1, sha256) = digests.map_or((None, None), |(a, b)| (Some(a), Some(b)));
            let input = match ex.step(Event::Signed(Signed::Prepared { random: &RANDOM, sha1, sha256 }), T0) {
                Step::Sign(Sign::Input { input, .. }) => input,
                other => panic!("expected the input round, got {other:?}"),
            };
            let fetch = match ex.step(Event::Signed(Signed::Signature(signature)), T0) {
                Step::Fetch(f) => f,
                other => panic!("expected a fetch, got {other:?}"),
            };
            (prepare, input, fetch)
        }

        #[test]
        fn private_key_jwt_header_claims_input_and_body() {
            let (pem, pkcs8) = key("rsa2048");
            let c = config(&pkjwt(&[("keyId", s("key-1")), ("scope", s("read"))])).unwrap();
            assert_eq!(c.client_authentication, ClientAuthentication::PrivateKeyJwt);
            assert_eq!(c.client_secret, None);
            let mut ex = Exchange::request_token(c);
            let first = ex.step(Event::Start, T0);
            let (prepare, input, fetch) = sign_rounds(&mut ex, first, None, &[7; 256]);
            let der = crate::pem::private_key(pkcs8).unwrap().pkcs8;
            assert_eq!(crate::pem::private_key(pem).unwrap().pkcs8, der);
            assert_eq!(
                prepare,
                Sign::Prepare {
                    key: Some(KeyImport::Pkcs8(der)),
                    algorithm: Algorithm::Rs256,
                    certificate: None,
                    random_bytes: 16
                }
            );
            let header = r#"{"alg":"RS256","typ":"JWT","kid":"key-1"}"#;
            let claims = [
                r#"{"iss":"client","sub":"client","aud":"https://auth.example.com/oauth2/token","iat":1700000000,"exp":1700000060,"jti":""#,
                JTI,
                r#""}"#,
            ]
            .concat();
            assert_eq!(input, [b64(header), ".".into(), b64(&claims)].concat());
            let jws = [input.as_str(), ".", &jws::base64url(&[7; 256])].concat();
            assert_eq!(
                fetch.request.body,
                [
                    "grant_type=client_credentials&scope=read&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=",
                    &jws,
                    "&client_id=client"
                ]
                .concat()
            );
            assert!(fetch.request.headers.iter().all(|(n, _)| *n != "Authorization"));
        }

        #[test]
        fn algorithms_follow_the_key_and_refuse_what_does_not_fit() {
            let alg = |pairs: &[(&'static str, Value)]| config(pairs).unwrap().signer.unwrap().algorithm;
            assert_eq!(alg(&pkjwt(&[])), Algorithm::Rs256);
            assert_eq!(alg(&pkjwt(&[("signingAlgorithm", s("PS256"))])), Algorithm::Ps256);
            let ec = |kind: &'static str, extra: &[(&'static str, Value)]| {
                let mut v = vec![("clientAuthentication", s("private_key_jwt")), ("privateKey", s(&key(kind).0))];
                v.extend_from_slice(extra);
                v
            };
            assert_eq!(alg(&ec("p256", &[])), Algorithm::Es256);
            assert_eq!(alg(&ec("p384", &[])), Algorithm::Es384);
            assert_eq!(alg(&ec("ed25519", &[])), Algorithm::EdDsa);
            assert_eq!(err(&ec("p256", &[("signingAlgorithm", s("RS256"))])), "privateKey is a P-256 key: use ES256");
            assert_eq!(
                err(&pkjwt(&[("signingAlgorithm", s("ES256"))])),
                "privateKey is an RSA key: use RS256 or PS256"
            );
            assert!(err(&ec("rsa1024", &[])).starts_with("privateKey is an RSA key under 2048 bits"));
            assert!(err(&pkjwt(&[("signingAlgorithm", s("HS256"))])).contains("client_secret_jwt"));
            assert!(err(&pkjwt(&[("signingAlgorithm", s("none"))]))
                .starts_with("signingAlgorithm must be one of \"RS256\""));
        }

        #[test]
        fn client_secret_jwt_signs_with_the_secret() {
            let c = config(&[("clientAuthentication", s("client_secret_jwt")), ("clientSecret", s("shh"))]).unwrap();
            let mut ex = Exchange::request_token(c);
            let first = ex.step(Event::Start, T0);
            let (prepare, input, fetch) = sign_rounds(&mut ex, first, None, &[1; 32]);
            assert_eq!(
                prepare,
                Sign::Prepare {
                    key: Some(KeyImport::Raw(b"shh".to_vec())),
                    algorithm: Algorithm::Hs256,
                    certificate: None,
                    random_bytes: 16
                }
            );
            assert!(input.starts_with(&[b64(r#"{"alg":"HS256","typ":"JWT"}"#), ".".into()].concat()));
            assert!(!fetch.request.body.contains("shh") && fetch.request.body.contains("client_assertion="));
            // HS512, and a signature of the wrong length is the driver's bug.
            let c = config(&[
                ("clientAuthentication", s("client_secret_jwt")),
                ("clientSecret", s("shh")),
                ("signingAlgorithm", s("HS512")),
            ])
            .unwrap();
            let mut ex = Exchange::request_token(c);
            ex.step(Event::Start, T0);
            ex.step(Event::Signed(Signed::Prepared { random: &RANDOM, sha1: None, sha256: None }), T0);
            assert_eq!(ex.step(Event::Signed(Signed::Signature(&[1; 32])), T0), Step::Failed(Error::Internal));
            // The secret is required; a private key or an asymmetric algorithm is refused.
            assert!(err(&[("clientAuthentication", s("client_secret_jwt"))]).starts_with("clientSecret is required"));
            let both =
                [("clientAuthentication", s("client_secret_jwt")), ("clientSecret", s("x")), ("privateKey", s("k"))];
            assert!(err(&both).starts_with("privateKey is not used with clientAuthentication \"client_secret_jwt\""));
            let rs = [
                ("clientAuthentication", s("client_secret_jwt")),
                ("clientSecret", s("x")),
                ("signingAlgorithm", s("RS256")),
            ];
            assert!(err(&rs).starts_with("signingAlgorithm must be HS256, HS384 or HS512"));
        }

        #[test]
        fn jwt_bearer_grant_claims_and_body() {
            let claims = Value::Object(vec![
                ("scope".into(), s("api")),
                ("n".into(), Value::Number(3.0)),
                ("ok".into(), Value::Bool(true)),
                ("roles".into(), Value::Array(vec![s("a"), s("b")])),
            ]);
            let pairs = [
                ("grantType", s("urn:ietf:params:oauth:grant-type:jwt-bearer")),
                ("privateKey", s(&key("p256").0)),
                ("subject", s("alice@example.com")),
                ("audience", s("https://login.example.com")),
                ("assertionClaims", claims),
                ("assertionLifetimeSeconds", Value::Number(300.0)),
                ("scope", s("read write")),
            ];
            let c = config(&pairs).unwrap();
            assert_eq!((&c.grant, c.client_authentication), (&Grant::JwtBearer, ClientAuthentication::None));
            let mut ex = Exchange::request_token(c);
            let first = ex.step(Event::Start, T0);
            let (_, input, fetch) = sign_rounds(&mut ex, first, None, &[2; 64]);
            let claims = [
                r#"{"iss":"client","sub":"alice@example.com","aud":"https://login.example.com","iat":1700000000,"exp":1700000300,"jti":""#,
                JTI,
                r#"","scope":"api","n":3,"ok":true,"roles":["a","b"]}"#,
            ]
            .concat();
            assert_eq!(input, [b64(r#"{"alg":"ES256","typ":"JWT"}"#), ".".into(), b64(&claims)].concat());
            assert_eq!(
                fetch.request.body,
                [
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=",
                    &input,
                    ".",
                    &jws::base64url(&[2; 64]),
                    "&scope=read+write"
                ]
                .concat()
            );
            assert!(fetch.request.headers.iter().all(|(n, _)| *n != "Authorization"));
            // With a client secret, the client authenticates as usual (Basic by default).
            let mut with_secret = pairs.to_vec();
            with_secret.push(("clientSecret", s("secret")));
            assert_eq!(config(&with_secret).unwrap().client_authentication, ClientAuthentication::Header);
            // The issuer: given, else the client id; one of them is needed.
            let bare = [("grantType", s("jwt_bearer")), ("privateKey", s(&key("p256").0))];
            assert_eq!(config(&bare).unwrap().signer.unwrap().claims.issuer, "client");
            let mut no_id = entries(&bare);
            no_id.push(("tokenEndpoint".into(), s(ENDPOINT)));
            let e = parse(&no_id, &parse_url).unwrap_err();
            assert_eq!(e.message(), "issuer (or clientId) is required with grantType \"jwt_bearer\"");
            no_id.push(("issuer".into(), s("3MVG9...")));
            let c = parse(&no_id, &parse_url).unwrap();
            assert_eq!((c.client_id.as_str(), c.signer.unwrap().claims.issuer.as_str()), ("", "3MVG9..."));
        }

        #[test]
        fn assertion_claims_refusals() {
            let with = |claims: Value| {
                err(&[("grantType", s("jwt_bearer")), ("privateKey", s(&key("p256").0)), ("assertionClaims", claims)])
            };
            let obj = |k: &str, v: Value| Value::Object(vec![(k.to_owned(), v)]);
            assert_eq!(with(obj("iss", s("x"))), "assertionClaims cannot set \"iss\": use issuer");
            assert!(with(obj("jti", s("x"))).contains("fresh for every assertion"));
            assert_eq!(
                with(obj("x", Value::Number(1.5))),
                "assertionClaims.x must be a string, a whole number, a boolean or an array of strings"
            );
            assert!(with(obj("x", Value::Array(vec![Value::Number(1.0)]))).starts_with("assertionClaims.x must be"));
            assert!(with(s("scope=a")).starts_with("assertionClaims must be an object"));
        }

        fn service_account(members: &[(&str, &str)]) -> Value {
            Value::Object(members.iter().map(|(k, v)| ((*k).to_owned(), s(v))).collect())
        }

        fn google(extra: &[(&str, &str)]) -> Value {
            let mut m = vec![
                ("type", "service_account"),
                ("project_id", "p"),
                ("private_key_id", "kid-123"),
                ("private_key", key("rsa2048").1.as_str()),
                ("client_email", "robot@p.iam.gserviceaccount.com"),
                ("token_uri", "https://oauth2.googleapis.com/token"),
            ];
            m.extend_from_slice(extra);
            service_account(&m)
        }

        #[test]
        fn a_google_service_account() {
            let pairs =
                vec![("serviceAccount", google(&[])), ("scope", s("https://www.googleapis.com/auth/cloud-platform"))];
            let c = parse(&entries(&pairs), &parse_url).unwrap();
            assert_eq!(c.token_endpoint.href(), "https://oauth2.googleapis.com/token");
            assert_eq!(
                (&c.grant, c.client_id.as_str(), &c.scope),
                (&Grant::JwtBearer, "robot@p.iam.gserviceaccount.com", &None)
            );
            let mut ex = Exchange::request_token(c);
            let first = ex.step(Event::Start, T0);
            let (_, input, fetch) = sign_rounds(&mut ex, first, None, &[3; 256]);
            let claims = [
                r#"{"iss":"robot@p.iam.gserviceaccount.com","aud":"https://oauth2.googleapis.com/token","iat":1700000000,"exp":1700000060,"jti":""#,
                JTI,
                r#"","scope":"https://www.googleapis.com/auth/cloud-platform"}"#,
            ]
            .concat();
            assert_eq!(
                input,
                [b64(r#"{"alg":"RS256","typ":"JWT","kid":"kid-123"}"#), ".".into(), b64(&claims)].concat()
            );
            // The scope is in the claims only.
            assert!(fetch
                .request
                .body
                .starts_with("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="));
            assert!(!fetch.request.body.contains("scope="));
            // A subject (domain-wide delegation) and an explicit endpoint win.
            let pairs = vec![
                ("serviceAccount", google(&[])),
                ("subject", s("u@example.com")),
                ("tokenEndpoint", s("http://127.0.0.1:9/t")),
            ];
            let c = parse(&entries(&pairs), &parse_url).unwrap();
            assert_eq!(
                (c.token_endpoint.href(), c.signer.unwrap().claims.subject.as_deref()),
                ("http://127.0.0.1:9/t", Some("u@example.com"))
            );
            // What a key file must hold.
            for (missing, message) in [
                ("client_email", "serviceAccount has no client_email"),
                ("private_key", "serviceAccount has no private_key"),
            ] {
                let m: Vec<(&str, &str)> =
                    [("client_email", "a@b"), ("private_key", key("rsa2048").1.as_str()), ("token_uri", ENDPOINT)]
                        .into_iter()
                        .filter(|(k, _)| *k != missing)
                        .collect();
                let e = parse(&entries(&[("serviceAccount", service_account(&m))]), &parse_url).unwrap_err();
                assert!(e.message().starts_with(message), "{}", e.message());
            }
            let e = parse(
                &entries(&[(
                    "serviceAccount",
                    google(&[("private_key", "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----")]),
                )]),
                &parse_url,
            )
            .unwrap_err();
            assert_eq!(
                e.message(),
                "serviceAccount.private_key holds a public key or a certificate, not a private key"
            );
            let e = parse(&entries(&[("serviceAccount", s("{}")), ("tokenEndpoint", s(ENDPOINT))]), &parse_url)
                .unwrap_err();
            assert!(e.message().starts_with("serviceAccount must be the key file's JSON object"));
            let e =
                parse(&entries(&[("serviceAccount", google(&[])), ("privateKey", s("x"))]), &parse_url).unwrap_err();
            assert!(e.message().starts_with("privateKey and serviceAccount are both given"));
        }

        #[test]
        fn a_connection_imports_once_and_signs_a_fresh_assertion_per_request() {
            let mut pairs = vec![("tokenEndpoint", s(ENDPOINT)), ("clientId", s("client"))];
            pairs.extend(pkjwt(&[]));
            let (config, options) = parse_connection(&entries(&pairs), &parse_url).unwrap();
            let mut ex = Exchange::connection(config, options);
            let first = ex.step(Event::Start, T0);
            let (prepare, input, _) = sign_rounds(&mut ex, first, None, &[4; 256]);
            assert!(matches!(prepare, Sign::Prepare { key: Some(KeyImport::Pkcs8(_)), .. }));
            let ok = br#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"refresh_token":"r"}"#;
            let response = |body: &'static [u8]| crate::exchange::Response {
                status: 200,
                opaque_redirect: false,
                content_type: Some("application/json"),
                set_cookies: &[],
                body,
                json: crate::value::testing::parse_json(std::str::from_utf8(body).unwrap()),
                retry_after: None,
            };
            assert!(matches!(ex.step(Event::Response(response(ok)), T0), Step::Done(_)));
            // The next renewal (with the refresh token: the client still authenticates): the host
            // holds the key, new random bytes and a later clock make a new assertion.
            ex.invalidate();
            let Step::Sign(prepare) = ex.step(Event::Start, T0 + 5_000.0) else { panic!() };
            assert_eq!(
                prepare,
                Sign::Prepare { key: None, algorithm: Algorithm::Rs256, certificate: None, random_bytes: 16 }
            );
            let random = [9u8; 16];
            let Step::Sign(Sign::Input { input: second, .. }) =
                ex.step(Event::Signed(Signed::Prepared { random: &random, sha1: None, sha256: None }), T0 + 5_000.0)
            else {
                panic!()
            };
            assert_ne!(second, input);
            let claims = jws::base64url(br#"{"iss":"client","sub":"client","aud":"https://auth.example.com/oauth2/token","iat":1700000005,"exp":1700000065,"jti":"CQkJCQkJCQkJCQkJCQkJCQ"}"#);
            assert!(second.ends_with(&claims), "{second}");
            let Step::Fetch(f) = ex.step(Event::Signed(Signed::Signature(&[5; 256])), T0) else { panic!() };
            assert!(f.request.body.starts_with("grant_type=refresh_token&refresh_token=r&client_assertion_type="));
        }

        #[test]
        fn a_jwt_bearer_connection_refreshes_without_an_assertion() {
            let pairs = [
                ("tokenEndpoint", s(ENDPOINT)),
                ("grantType", s("jwt_bearer")),
                ("privateKey", s(&key("p256").0)),
                ("issuer", s("i")),
            ];
            let (config, options) = parse_connection(&entries(&pairs), &parse_url).unwrap();
            let mut ex = Exchange::connection(config, options);
            let first = ex.step(Event::Start, T0);
            sign_rounds(&mut ex, first, None, &[4; 64]);
            let body = br#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"refresh_token":"r"}"#;
            let r = crate::exchange::Response {
                status: 200,
                opaque_redirect: false,
                content_type: Some("application/json"),
                set_cookies: &[],
                body,
                json: crate::value::testing::parse_json(std::str::from_utf8(body).unwrap()),
                retry_after: None,
            };
            ex.step(Event::Response(r), T0);
            ex.invalidate();
            let Step::Fetch(f) = ex.step(Event::Start, T0) else { panic!() };
            assert_eq!(f.request.body, "grant_type=refresh_token&refresh_token=r");
        }

        #[test]
        fn certificate_thumbprints_are_digested_once() {
            let (_, pkcs8) = key("rsa2048");
            let dir = std::env::temp_dir().join(["otc-assertion-", &std::process::id().to_string()].concat());
            std::fs::create_dir_all(&dir).unwrap();
            let key_path = dir.join("key.pem");
            std::fs::write(&key_path, pkcs8).unwrap();
            let cert = openssl(
                &["req", "-new", "-x509", "-key", key_path.to_str().unwrap(), "-subj", "/CN=otc", "-days", "1"],
                b"",
            );
            std::fs::remove_dir_all(&dir).unwrap();
            let cert = String::from_utf8(cert).unwrap();
            let der = crate::pem::certificate(&cert).unwrap();
            let mut pairs = vec![("tokenEndpoint", s(ENDPOINT)), ("clientId", s("client"))];
            pairs.extend(pkjwt(&[("certificate", s(&cert))]));
            let (connection, options) = parse_connection(&entries(&pairs), &parse_url).unwrap();
            let mut ex = Exchange::connection(connection, options);
            let first = ex.step(Event::Start, T0);
            let (sha1, sha256) = ([0xaa; 20], [0xbb; 32]);
            let (prepare, input, _) = sign_rounds(&mut ex, first, Some((&sha1, &sha256)), &[1; 256]);
            assert!(matches!(prepare, Sign::Prepare { certificate: Some(ref c), .. } if *c == der));
            let header = [
                r#"{"alg":"RS256","typ":"JWT","x5t":""#,
                &jws::base64url(&sha1),
                r#"","x5t#S256":""#,
                &jws::base64url(&sha256),
                r#""}"#,
            ]
            .concat();
            assert!(input.starts_with(&[b64(&header), ".".into()].concat()));
            // Missing digests are the driver's bug.
            let c = config(&pkjwt(&[("certificate", s(&cert))])).unwrap();
            let mut ex2 = Exchange::request_token(c);
            ex2.step(Event::Start, T0);
            assert_eq!(
                ex2.step(Event::Signed(Signed::Prepared { random: &RANDOM, sha1: None, sha256: None }), T0),
                Step::Failed(Error::Internal)
            );
            assert_eq!(
                err(&pkjwt(&[("certificate", s(&key("rsa2048").1))])),
                "certificate holds no certificate (-----BEGIN CERTIFICATE-----)"
            );
        }

        #[test]
        fn the_hosts_failures() {
            let fail = |pairs: &[(&'static str, Value)], stage: Stage, name: &str| {
                let mut ex = Exchange::request_token(config(pairs).unwrap());
                ex.step(Event::Start, T0);
                match ex.step(Event::Signed(Signed::Failed { stage, name }), T0) {
                    Step::Failed(e) => e,
                    other => panic!("{other:?}"),
                }
            };
            let ed = [("clientAuthentication", s("private_key_jwt")), ("privateKey", s(&key("ed25519").0))];
            assert_eq!(
                fail(&ed, Stage::Import, "NotSupportedError"),
                Error::UnsupportedAlgorithm { algorithm: "EdDSA", no_web_crypto: false }
            );
            assert_eq!(
                fail(&pkjwt(&[]), Stage::NoWebCrypto, "x"),
                Error::UnsupportedAlgorithm { algorithm: "RS256", no_web_crypto: true }
            );
            assert_eq!(
                fail(&pkjwt(&[]), Stage::Import, "DataError").message(),
                "privateKey was refused by crypto.subtle.importKey (DataError) for RS256"
            );
            let hs = [("clientAuthentication", s("client_secret_jwt")), ("clientSecret", s("x"))];
            assert!(fail(&hs, Stage::Import, "DataError")
                .message()
                .starts_with("clientSecret was refused by crypto.subtle.importKey"));
            assert!(fail(&pkjwt(&[]), Stage::Sign, "InvalidAccessError")
                .message()
                .starts_with("privateKey was refused by crypto.subtle.sign (InvalidAccessError) for RS256"));
            // An answer out of turn is refused and the round goes on.
            let mut ex = Exchange::request_token(config(&pkjwt(&[])).unwrap());
            ex.step(Event::Start, T0);
            assert_eq!(ex.step(Event::Signed(Signed::Signature(&[1; 256])), T0), Step::Failed(Error::Internal));
            assert_eq!(ex.step(Event::TooLarge, T0), Step::Failed(Error::Internal));
            assert!(matches!(
                ex.step(Event::Signed(Signed::Prepared { random: &RANDOM, sha1: None, sha256: None }), T0),
                Step::Sign(Sign::Input { .. })
            ));
            // Too few random bytes.
            let mut ex = Exchange::request_token(config(&pkjwt(&[])).unwrap());
            ex.step(Event::Start, T0);
            assert_eq!(
                ex.step(Event::Signed(Signed::Prepared { random: &RANDOM[..15], sha1: None, sha256: None }), T0),
                Step::Failed(Error::Internal)
            );
        }

        fn jwk_of(kind: &'static str) -> Vec<(String, Value)> {
            // openssl has no JWK output: the members from `openssl pkey -text`'s hex.
            let text = String::from_utf8(openssl(&["pkey", "-text", "-noout"], key(kind).1.as_bytes())).unwrap();
            let mut fields: Vec<(String, Vec<u8>)> = Vec::new();
            for line in text.lines() {
                if !line.starts_with(' ') && line.ends_with(':') {
                    fields.push((line.trim_end_matches(':').to_owned(), Vec::new()));
                } else if let Some((_, bytes)) = fields.last_mut() {
                    bytes.extend(
                        line.trim().split(':').filter(|h| h.len() == 2).map(|h| u8::from_str_radix(h, 16).unwrap()),
                    );
                }
            }
            let get = |name: &str| {
                let v = &fields.iter().find(|(n, _)| n == name).unwrap().1;
                s(&jws::base64url(&v[v.iter().position(|&b| b != 0).unwrap_or(0)..]))
            };
            match kind {
                "rsa2048" => [
                    ("n", "modulus"),
                    ("d", "privateExponent"),
                    ("p", "prime1"),
                    ("q", "prime2"),
                    ("dp", "exponent1"),
                    ("dq", "exponent2"),
                    ("qi", "coefficient"),
                ]
                .iter()
                .map(|(j, o)| ((*j).to_owned(), get(o)))
                .chain([
                    ("kty".into(), s("RSA")),
                    ("e".into(), s("AQAB")),
                    ("alg".into(), s("PS256")),
                    ("kid".into(), s("jwk-kid")),
                    ("key_ops".into(), Value::Array(vec![s("verify")])),
                ])
                .collect(),
                _ => unreachable!(),
            }
        }

        #[test]
        fn jwk_private_keys() {
            let jwk = jwk_of("rsa2048");
            let c =
                config(&[("clientAuthentication", s("private_key_jwt")), ("privateKey", Value::Object(jwk.clone()))])
                    .unwrap();
            let signer = c.signer.unwrap();
            // The JWK's alg and kid are the defaults; only key members go to the host.
            assert_eq!((signer.algorithm, signer.key_id.as_deref()), (Algorithm::Ps256, Some("jwk-kid")));
            let Key::Jwk(members) = &signer.key else { panic!() };
            let names: Vec<&str> = members.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, ["kty", "n", "e", "d", "p", "q", "dp", "dq", "qi"]);
            type Members = Vec<(String, Value)>;
            let with = |f: &dyn Fn(&mut Members)| {
                let mut m = jwk.clone();
                f(&mut m);
                err(&[("clientAuthentication", s("private_key_jwt")), ("privateKey", Value::Object(m))])
            };
            assert_eq!(
                with(&|m| m.retain(|(k, _)| k != "d")),
                "privateKey is a public JWK (no \"d\"): a private key is needed"
            );
            assert_eq!(with(&|m| m.retain(|(k, _)| k != "qi")), "privateKey.qi is missing or not base64url");
            assert_eq!(with(&|m| m.push(("p".into(), s("not base64!")))), "privateKey.p is missing or not base64url");
            assert!(with(&|m| m.push(("kty".into(), s("oct")))).contains("client_secret_jwt"));
            assert!(with(&|m| m.push(("kty".into(), s("EC")))).starts_with("privateKey is not a private JWK of an RSA"));
            assert!(with(&|m| m.push(("alg".into(), s("ES256")))).starts_with("privateKey is an RSA key"));
            let short = jws::base64url(&[0xff; 128]);
            assert!(with(&|m| m.push(("n".into(), s(&short)))).starts_with("privateKey is an RSA key under 2048 bits"));
        }

        #[test]
        fn crypto_keys_as_the_host_describes_them() {
            let described = |alg: &str, extra: &[(&str, Value)]| {
                let mut m = vec![
                    ("cryptoKey".to_owned(), Value::Bool(true)),
                    ("type".to_owned(), s("private")),
                    ("algorithm".to_owned(), s(alg)),
                    ("sign".to_owned(), Value::Bool(true)),
                ];
                m.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
                vec![("clientAuthentication", s("private_key_jwt")), ("privateKey", Value::Object(m))]
            };
            let ok = config(&described("ECDSA", &[("namedCurve", s("P-256"))])).unwrap().signer.unwrap();
            assert_eq!((ok.key, ok.algorithm), (Key::Host, Algorithm::Es256));
            let rsa = [("hash", s("SHA-256")), ("modulusLength", Value::Number(2048.0))];
            assert_eq!(config(&described("RSA-PSS", &rsa)).unwrap().signer.unwrap().algorithm, Algorithm::Ps256);
            // The prepare round imports nothing.
            let mut ex = Exchange::request_token(config(&described("Ed25519", &[])).unwrap());
            assert!(matches!(
                ex.step(Event::Start, T0),
                Step::Sign(Sign::Prepare { key: None, algorithm: Algorithm::EdDsa, .. })
            ));
            // A coordinator's object is sent the settings as data: a CryptoKey cannot go with them.
            let namespace =
                Value::Object(vec![("idFromName".into(), Value::Function), ("get".into(), Value::Function)]);
            let mut pairs = vec![("tokenEndpoint", s(ENDPOINT)), ("clientId", s("client"))];
            pairs.extend(described("ECDSA", &[("namedCurve", s("P-256"))]));
            pairs.push(("coordinator", namespace.clone()));
            let e = parse_connection(&entries(&pairs), &parse_url).unwrap_err();
            assert!(
                e.message().starts_with("privateKey as a CryptoKey cannot be used with coordinator"),
                "{}",
                e.message()
            );
            let mut pem_pairs =
                vec![("tokenEndpoint", s(ENDPOINT)), ("clientId", s("client")), ("coordinator", namespace)];
            pem_pairs.extend(pkjwt(&[]));
            assert!(parse_connection(&entries(&pem_pairs), &parse_url).is_ok());
            let mut public = described("Ed25519", &[]);
            if let Value::Object(m) = &mut public[1].1 {
                m.push(("type".into(), s("public")));
            }
            assert!(err(&public).contains("not a private key"));
            assert!(err(&described("ECDSA", &[("namedCurve", s("P-256")), ("sign", Value::Bool(false))]))
                .contains("with the usage \"sign\""));
            assert!(err(&described("RSA-OAEP", &rsa)).contains("no JWS algorithm here uses"));
            assert!(err(&described(
                "RSASSA-PKCS1-v1_5",
                &[("hash", s("SHA-256")), ("modulusLength", Value::Number(1024.0))]
            ))
            .contains("under 2048 bits"));
            assert!(err(
                &[described("ECDSA", &[("namedCurve", s("P-256"))]), vec![("signingAlgorithm", s("RS256"))]].concat()
            )
            .contains("use ES256"));
        }

        #[test]
        fn settings_outside_their_mode_are_refused_by_name() {
            // A private key alone means private_key_jwt; with another client authentication, it is refused.
            assert_eq!(
                config(&[("privateKey", s(&key("p256").0))]).unwrap().client_authentication,
                ClientAuthentication::PrivateKeyJwt
            );
            let header = [("privateKey", s("x")), ("clientAuthentication", s("header")), ("clientSecret", s("x"))];
            assert_eq!(
                err(&header),
                "privateKey is only used with clientAuthentication \"private_key_jwt\" or grantType \"jwt_bearer\""
            );
            // With any other grant, issuer is the URL to discover the token endpoint from.
            assert_eq!(err(&[("clientSecret", s("x")), ("issuer", s("x"))]), "set tokenEndpoint or issuer, not both");
            assert!(err(&[("clientSecret", s("x")), ("keyId", s("x"))])
                .starts_with("keyId is only used with a signed assertion"));
            assert_eq!(err(&pkjwt(&[("audience", s("x"))])), "audience is only used with grantType \"jwt_bearer\"");
            let bearer = [("grantType", s("jwt_bearer")), ("privateKey", s(&key("p256").0))];
            assert!(err(&[bearer.to_vec(), vec![("assertionAudience", s("x"))]].concat())
                .starts_with("assertionAudience is only used with clientAuthentication"));
            assert!(err(&[bearer.to_vec(), vec![("clientAuthentication", s("private_key_jwt"))]].concat())
                .starts_with("grantType \"jwt_bearer\" takes no clientAuthentication"));
            assert!(err(&[bearer.to_vec(), vec![("username", s("u"))]].concat())
                .starts_with("username is only used with grantType \"password\""));
            assert!(err(&pkjwt(&[("clientSecret", s("x"))]))
                .starts_with("clientSecret is not used with clientAuthentication \"private_key_jwt\""));
            assert_eq!(
                err(&[("clientAuthentication", s("private_key_jwt"))]),
                "privateKey is required with clientAuthentication \"private_key_jwt\" or \"client_secret_jwt\""
            );
            assert!(err(&[("grantType", s("jwt_bearer"))])
                .starts_with("privateKey is required with grantType \"jwt_bearer\""));
            assert!(err(&pkjwt(&[("keyId", s("a\nb"))])).starts_with("keyId contains a control character"));
            for bad in [0.0, 1.5, 86_401.0, f64::NAN] {
                assert!(err(&pkjwt(&[("assertionLifetimeSeconds", Value::Number(bad))]))
                    .starts_with("assertionLifetimeSeconds must be"));
            }
            assert!(err(&[("clientAuthentication", s("private_key_jwt")), ("privateKey", Value::Number(1.0))])
                .starts_with("privateKey must be a PEM string"));
        }

        #[test]
        fn no_message_quotes_a_key() {
            let (rsa, pkcs8) = key("rsa2048");
            let lines: Vec<&str> =
                [rsa.as_str(), pkcs8].iter().flat_map(|p| p.lines()).filter(|l| !l.starts_with("-----")).collect();
            let mut messages = vec![
                err(&[
                    ("clientAuthentication", s("private_key_jwt")),
                    ("privateKey", s(&rsa.replace("RSA PRIVATE", "RSA PUBLIC"))),
                ]),
                err(&pkjwt(&[("signingAlgorithm", s("ES256"))])),
                err(&[("clientAuthentication", s("private_key_jwt")), ("privateKey", s(&rsa.replace('M', "!")))]),
                err(&[("clientAuthentication", s("private_key_jwt")), ("privateKey", s(&pkcs8[..pkcs8.len() / 2]))]),
                err(&[
                    ("clientAuthentication", s("private_key_jwt")),
                    ("privateKey", s(&[pkcs8.as_str(), pkcs8].concat())),
                ]),
            ];
            let mut ex = Exchange::request_token(config(&pkjwt(&[])).unwrap());
            ex.step(Event::Start, T0);
            if let Step::Failed(e) =
                ex.step(Event::Signed(Signed::Failed { stage: Stage::Import, name: "DataError" }), T0)
            {
                messages.push(e.message());
            }
            let debug = format!("{:?}", config(&pkjwt(&[])).unwrap());
            for m in messages.iter().chain([&debug]) {
                for line in &lines {
                    assert!(!m.contains(&line[..16]), "a key line in {m}");
                }
            }
            assert!(debug.contains("Pkcs8([redacted])"), "{debug}");
        }

        #[test]
        fn preview_shows_header_and_claims() {
            let c = config(&pkjwt(&[("keyId", s("k"))])).unwrap();
            let (header, claims) = preview(&c, T0).unwrap();
            assert_eq!(header, r#"{"alg":"RS256","typ":"JWT","kid":"k"}"#);
            assert_eq!(
                claims,
                [r#"{"iss":"client","sub":"client","aud":"https://auth.example.com/oauth2/token","iat":1700000000,"exp":1700000060,"jti":""#, PREVIEW_JTI, r#""}"#].concat()
            );
            let p = crate::preview::preview(&c);
            assert!(p.body.ends_with("&client_assertion=********&client_id=client"), "{}", p.body);
            assert!(p
                .notes
                .iter()
                .any(|n| n.starts_with("client_assertion: a JWT (RFC 7523 section 2.2) signed with RS256")));
            let g = parse(&entries(&[("serviceAccount", google(&[])), ("scope", s("s"))]), &parse_url).unwrap();
            let p = crate::preview::preview(&g);
            assert!(p.body.ends_with("jwt-bearer&assertion=********"), "{}", p.body);
            assert!(p.notes.iter().any(|n| n.contains("scope claim")));
            assert!(preview(&g, T0).unwrap().1.ends_with(r#","scope":"s"}"#));
        }

        #[test]
        fn cache_keys_tell_assertions_apart_without_the_key() {
            let a =
                config(&[("grantType", s("jwt_bearer")), ("privateKey", s(&key("p256").0)), ("subject", s("alice"))])
                    .unwrap();
            let b = config(&[("grantType", s("jwt_bearer")), ("privateKey", s(&key("p256").0)), ("subject", s("bob"))])
                .unwrap();
            let (ka, kb) = (crate::cache::key_input(&a), crate::cache::key_input(&b));
            assert_ne!(ka, kb);
            assert!(ka.contains("grant_type=10:jwt_bearer\n") && ka.contains("subject=5:alice\n"), "{ka}");
            for line in key("p256").0.lines().filter(|l| !l.starts_with("---")) {
                assert!(!ka.contains(line));
            }
        }

        fn respond(ex: &mut Exchange, status: u16, body: &'static str, retry_after: Option<&'static str>) -> Step {
            let r = crate::exchange::Response {
                status,
                opaque_redirect: false,
                content_type: Some("application/json"),
                set_cookies: &[],
                body: body.as_bytes(),
                json: crate::value::testing::parse_json(body),
                retry_after,
            };
            ex.step(Event::Response(r), T0)
        }

        /// The claims of a JWS signing input (its second part), decoded.
        fn claims_of_input(input: &str) -> String {
            let part = input.split('.').nth(1).unwrap();
            let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part).unwrap();
            String::from_utf8(bytes).unwrap()
        }

        #[test]
        fn issuer_is_the_assertions_iss_with_the_jwt_bearer_grant() {
            let iss = "https://issuer.example.com";
            for grant in ["jwt_bearer", super::super::JWT_BEARER_GRANT] {
                let c =
                    config(&[("grantType", s(grant)), ("privateKey", s(&key("p256").0)), ("issuer", s(iss))]).unwrap();
                assert_eq!(c.issuer, None, "nothing is discovered");
                assert!(!c.needs_discovery());
                assert_eq!(c.token_endpoint.href(), ENDPOINT);
                assert_eq!(c.signer.unwrap().claims.issuer, iss);
                // Without tokenEndpoint: refused, pointing to discover().
                let e = parse(
                    &entries(&[("grantType", s(grant)), ("privateKey", s(&key("p256").0)), ("issuer", s(iss))]),
                    &parse_url,
                )
                .unwrap_err();
                assert_eq!(e.code(), "ERR_INVALID_CONFIG");
                assert_eq!(e.message(), crate::config::JWT_BEARER_ENDPOINT);
                assert!(e.message().contains("pass tokenEndpoint, e.g. the token_endpoint of discover(url)"));
            }
            // A service account: issuer is the iss too, the token endpoint its token_uri.
            let g = parse(&entries(&[("serviceAccount", google(&[])), ("issuer", s("other@x"))]), &parse_url).unwrap();
            assert_eq!((g.issuer, g.signer.unwrap().claims.issuer.as_str()), (None, "other@x"));
            assert_eq!(g.token_endpoint.href(), "https://oauth2.googleapis.com/token");
        }

        #[cfg(feature = "discovery")]
        #[test]
        fn issuer_is_the_discovery_url_with_client_assertions() {
            let mut pairs = pkjwt(&[("issuer", s("https://as.example.com/tenant"))]);
            pairs.push(("clientId", s("client")));
            let c = parse(&entries(&pairs), &parse_url).unwrap();
            assert!(c.needs_discovery());
            assert_eq!(c.client_authentication, ClientAuthentication::PrivateKeyJwt);
            // The assertion's default audience is the discovered token endpoint.
            let mut ex = Exchange::request_token(c).parse_urls_with(parse_url);
            assert!(matches!(ex.step(Event::Start, T0), Step::Discover(_)));
            let metadata =
                r#"{"issuer":"https://as.example.com/tenant","token_endpoint":"https://as.example.com/tenant/token"}"#;
            let first = respond(&mut ex, 200, metadata, None);
            let (_, input, fetch) = sign_rounds(&mut ex, first, None, &[4; 256]);
            assert_eq!(fetch.request.url, "https://as.example.com/tenant/token");
            let claims = claims_of_input(&input);
            assert!(claims.contains(r#""aud":"https://as.example.com/tenant/token""#), "{claims}");
        }

        #[test]
        fn mutual_tls_and_keys_exclude_each_other() {
            let tls = [("clientAuthentication", s("tls_client_auth"))];
            assert_eq!(
                err(&[tls.to_vec(), vec![("privateKey", s(&key("p256").0))]].concat()),
                "privateKey is only used with clientAuthentication \"private_key_jwt\" or grantType \"jwt_bearer\""
            );
            assert!(err(&[tls.to_vec(), vec![("clientSecret", s("x"))]].concat())
                .starts_with("clientSecret is not used with clientAuthentication \"tls_client_auth\""));
            assert!(err(&pkjwt(&[("clientSecret", s("x"))]))
                .starts_with("clientSecret is not used with clientAuthentication \"private_key_jwt\""));
            let c = config(&[("clientAuthentication", s("self_signed_tls_client_auth")), ("clientSecret", s(""))]);
            assert_eq!(c.unwrap().signer, None);
        }

        #[cfg(feature = "retry")]
        #[test]
        fn every_retried_attempt_signs_a_new_assertion() {
            let retry = ("retry", Value::Object(vec![]));
            let bearer = vec![("grantType", s("jwt_bearer")), ("privateKey", s(&key("p256").0)), retry.clone()];
            let client = pkjwt(&[retry]);
            // (ES256 signatures are 64 bytes, RS256 ones 256.)
            for (pairs, n) in [(bearer, 64), (client, 256)] {
                let mut ex = Exchange::request_token(config(&pairs).unwrap());
                let first = ex.step(Event::Start, T0);
                let (_, input, fetch) = sign_rounds(&mut ex, first, None, &[4; 256][..n]);
                assert!(claims_of_input(&input).contains(JTI));
                let Step::Wait { ms } = respond(&mut ex, 503, "{}", Some("1")) else { panic!("expected a wait") };
                assert_eq!(ms, 1_000);
                // The retry goes through the Sign step again: the key is the host's now, the jti new.
                let Step::Sign(prepare) = ex.step(Event::Waited, T0 + 1_000.0) else { panic!("expected a sign step") };
                assert!(matches!(prepare, Sign::Prepare { key: None, .. }), "{prepare:?}");
                let other = [7u8; 16];
                let Step::Sign(Sign::Input { input: again, .. }) =
                    ex.step(Event::Signed(Signed::Prepared { random: &other, sha1: None, sha256: None }), T0 + 1_000.0)
                else {
                    panic!("expected the input round")
                };
                assert!(!claims_of_input(&again).contains(JTI));
                assert!(claims_of_input(&again).contains(&jws::base64url(&other)));
                let Step::Fetch(retried) = ex.step(Event::Signed(Signed::Signature(&[5; 256][..n])), T0 + 1_000.0)
                else {
                    panic!("expected a fetch")
                };
                assert_ne!(retried.request.body, fetch.request.body);
                assert!(retried.timeout_ms < fetch.timeout_ms, "the run's timeout is shared");
            }
        }
    }
}
