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

use crate::config::ClientAuthentication;

/// `grant_type` of the jwt_bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The settings only this module reads: each one alone makes a config need the `jwt` feature.
pub const SETTINGS: &[&str] = &[
    "privateKey",
    "signingAlgorithm",
    "keyId",
    "certificate",
    "assertionAudience",
    "assertionLifetimeSeconds",
    "issuer",
    "subject",
    "audience",
    "assertionClaims",
    "serviceAccount",
];

/// What [`parse`] needs from the rest of the configuration.
pub struct Context<'a> {
    pub grant_jwt_bearer: bool,
    pub authentication: ClientAuthentication,
    pub client_id: &'a str,
}

#[cfg(feature = "jwt")]
pub use full::*;
#[cfg(not(feature = "jwt"))]
pub use lean::*;

#[cfg(not(feature = "jwt"))]
mod lean {
    use super::{Context, SETTINGS};
    use crate::config::{invalid, Entries};
    use crate::error::Error;

    /// Signed assertions are not in this build: no config has a signer.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Signer {}

    /// Where the message points.
    pub const NOT_IN_THIS_BUILD: &str = " is in the 'oauth-token-connection/full' entry (signed assertions, RFC \
         7523); import requestToken and createConnection from there to use it";

    /// Refuses, by name, every setting and value of signed assertions.
    pub(crate) fn available(e: &Entries<'_>) -> Result<(), Error> {
        let value = |key: &str, values: &[&str]| matches!(e.string(key), Ok(Some(v)) if values.contains(&v));
        if let Some(key) = SETTINGS.iter().find(|k| e.get(k).is_some()) {
            return Err(invalid(&[key, NOT_IN_THIS_BUILD]));
        }
        if value("grantType", &["jwt_bearer", super::JWT_BEARER_GRANT]) {
            return Err(invalid(&["grantType \"jwt_bearer\"", NOT_IN_THIS_BUILD]));
        }
        if value("clientAuthentication", &["private_key_jwt", "client_secret_jwt"]) {
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

    pub(crate) fn parse(_: &Entries<'_>, _: &Context<'_>) -> Result<Option<Signer>, Error> {
        Ok(None)
    }

    pub fn takes_scope(_: Option<&Signer>) -> bool {
        false
    }

    pub fn client_id(_: Option<&Signer>, id: &str) -> alloc::string::String {
        id.into()
    }
}

#[cfg(feature = "jwt")]
mod full {
    #[allow(unused_imports)]
    use crate::prelude::*;

    use super::{Context, SETTINGS};
    use crate::concat;
    use crate::config::{check_controls, invalid, shown, ClientAuthentication, Config, Entries, MAX_EXTRA_VALUES};
    use crate::error::Error;
    use crate::jws::{self, Algorithm, JsonObject, Thumbprints};
    use crate::pem::{self, Curve, KeyType};
    use crate::value::{Json, Value};
    use base64::Engine as _;

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
        ("jti", "nothing: it is fresh for every assertion"),
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

    fn only_with(key: &str, what: &str) -> Error {
        invalid(&[key, " is only used with ", what])
    }

    const WITH_GRANT: &str = "grantType \"jwt_bearer\"";
    const WITH_CLIENT: &str = "clientAuthentication \"private_key_jwt\" or \"client_secret_jwt\"";
    const WITH_KEY: &str = "clientAuthentication \"private_key_jwt\" or grantType \"jwt_bearer\"";

    /// Validates the settings of a signed assertion, if the config makes one.
    pub(crate) fn parse(e: &Entries<'_>, cx: &Context<'_>) -> Result<Option<Signer>, Error> {
        let client =
            matches!(cx.authentication, ClientAuthentication::PrivateKeyJwt | ClientAuthentication::ClientSecretJwt);
        let hmac = cx.authentication == ClientAuthentication::ClientSecretJwt;
        // Settings that do not belong to the mode: (key, the mode it belongs to).
        let foreign: &[(&str, &str)] = match (client, cx.grant_jwt_bearer) {
            (true, true) => {
                return Err(invalid(&[
                    "grantType \"jwt_bearer\" cannot be combined with clientAuthentication \"private_key_jwt\" \
                     or \"client_secret_jwt\" (one assertion per request): use \"header\" or \"body\" with \
                     clientSecret, or no clientSecret",
                ]))
            }
            (false, false) => {
                let with = |k: &str| match k {
                    "issuer" | "subject" | "audience" | "assertionClaims" | "serviceAccount" => WITH_GRANT,
                    "privateKey" | "certificate" => WITH_KEY,
                    _ => {
                        "a signed assertion: clientAuthentication \"private_key_jwt\" or \"client_secret_jwt\", \
                          or grantType \"jwt_bearer\""
                    }
                };
                return match SETTINGS.iter().find(|k| e.get(k).is_some()) {
                    Some(k) => Err(only_with(k, with(k))),
                    None => Ok(None),
                };
            }
            (true, false) => &[
                ("issuer", WITH_GRANT),
                ("subject", WITH_GRANT),
                ("audience", WITH_GRANT),
                ("assertionClaims", WITH_GRANT),
                ("serviceAccount", WITH_GRANT),
            ],
            (false, true) => &[("assertionAudience", WITH_CLIENT)],
        };
        if let Some((k, with)) = foreign.iter().find(|(k, _)| e.get(k).is_some()) {
            return Err(only_with(k, with));
        }
        for key in ["keyId", "issuer", "subject", "audience", "assertionAudience"] {
            check_controls(e, key)?;
        }

        // The key, what kind it is, and the defaults it brings (a JWK's `alg` and `kid`).
        let service_account = service_account(e)?;
        let (key, key_type, jwk_alg, default_kid) = if hmac {
            for k in ["privateKey", "certificate"] {
                if e.get(k).is_some() {
                    return Err(invalid(&[
                        k,
                        " is not used with clientAuthentication \"client_secret_jwt\" (the client secret signs)",
                    ]));
                }
            }
            (Key::ClientSecret, None, None, None)
        } else if let Some(sa) = &service_account {
            if e.get("privateKey").is_some() {
                return Err(invalid(&["privateKey and serviceAccount are both given: serviceAccount holds the key"]));
            }
            let pk = pem::private_key(sa.private_key).map_err(|r| invalid(&["serviceAccount.private_key ", r]))?;
            (Key::Pkcs8(pk.pkcs8), Some(pk.key_type), None, sa.private_key_id.map(String::from))
        } else {
            match e.get("privateKey") {
                None => {
                    let what = if client {
                        " for clientAuthentication \"private_key_jwt\""
                    } else {
                        " (or serviceAccount) for grantType \"jwt_bearer\""
                    };
                    return Err(invalid(&["privateKey is required", what]));
                }
                Some(Value::String(text)) => {
                    let pk = pem::private_key(text).map_err(|r| invalid(&["privateKey ", r]))?;
                    (Key::Pkcs8(pk.pkcs8), Some(pk.key_type), None, None)
                }
                Some(Value::Object(m)) if matches!(Json::member(m, "cryptoKey"), Some(Value::Bool(true))) => {
                    let (key_type, alg) = crypto_key(m)?;
                    (Key::Host, Some(key_type), Some(alg), None)
                }
                Some(Value::Object(m)) => {
                    let (jwk, key_type, alg, kid) = jwk(m)?;
                    (Key::Jwk(jwk), Some(key_type), alg, kid)
                }
                Some(other) => {
                    return Err(invalid(&[
                        "privateKey must be a PEM string, a private JWK object or a CryptoKey, got ",
                        other.kind(),
                    ]))
                }
            }
        };

        let algorithm = match (e.choice("signingAlgorithm", &jws::ALGORITHMS)?, key_type) {
            (None, None) => Algorithm::Hs256,
            (Some(a), None) if a.is_hmac() => a,
            (Some(_), None) => {
                return Err(invalid(&["signingAlgorithm must be HS256, HS384 or HS512 with clientAuthentication \"client_secret_jwt\""]))
            }
            (Some(a), Some(_)) if a.is_hmac() => {
                return Err(invalid(&["signingAlgorithm HS256, HS384 and HS512 sign with the client secret: use clientAuthentication \"client_secret_jwt\""]))
            }
            (a, Some(t)) => {
                let a = a.or(jwk_alg).unwrap_or(Algorithm::for_key(t));
                let field = if service_account.is_some() { "serviceAccount.private_key " } else { "privateKey " };
                a.fits(t).map_err(|r| invalid(&[field, r]))?;
                a
            }
        };

        let key_id = e.string("keyId")?.filter(|k| !k.is_empty()).map(String::from).or(default_kid);
        let certificate = match e.string("certificate")? {
            None => None,
            Some(text) => Some(Certificate::Der(pem::certificate(text).map_err(|r| invalid(&["certificate ", r]))?)),
        };
        let lifetime_seconds = match e.number("assertionLifetimeSeconds")? {
            None => DEFAULT_LIFETIME_SECONDS,
            Some(n) if (1.0..=86_400.0).contains(&n) && n == (n as u64) as f64 => n as u64,
            Some(_) => return Err(invalid(&["assertionLifetimeSeconds must be a whole number from 1 to 86400"])),
        };

        let claims = if client {
            // RFC 7523 §3: iss and sub are the client id.
            Claims {
                issuer: cx.client_id.to_owned(),
                subject: Some(cx.client_id.to_owned()),
                audience: nonempty(e, "assertionAudience")?,
                extra: Vec::new(),
            }
        } else {
            let issuer = match (nonempty(e, "issuer")?, &service_account) {
                (Some(i), _) => i,
                (None, Some(sa)) => sa.client_email.to_owned(),
                (None, None) if !cx.client_id.is_empty() => cx.client_id.to_owned(),
                (None, None) => {
                    return Err(invalid(&[
                        "issuer is required for grantType \"jwt_bearer\" (or clientId, its default)",
                    ]))
                }
            };
            let mut extra = assertion_claims(e)?;
            if service_account.is_some() {
                if let Some(scope) = e.string("scope")?.and_then(|s| crate::config::parse_scope(s).ok().flatten()) {
                    if extra.iter().any(|(n, _)| n == "scope") {
                        return Err(invalid(&["assertionClaims.scope and scope are both given: a service account's scope goes into the claims; keep one"]));
                    }
                    extra.push((String::from("scope"), Claim::String(scope.as_str().to_owned())));
                }
            }
            Claims { issuer, subject: nonempty(e, "subject")?, audience: nonempty(e, "audience")?, extra }
        };

        Ok(Some(Signer {
            key,
            algorithm,
            key_id,
            certificate,
            lifetime_seconds,
            claims,
            scope_claim: service_account.is_some(),
        }))
    }

    fn nonempty(e: &Entries<'_>, key: &str) -> Result<Option<String>, Error> {
        Ok(e.string(key)?.filter(|s| !s.is_empty()).map(String::from))
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
                return Err(invalid(&[
                    "serviceAccount must be the key file's JSON object (JSON.parse of its text), got ",
                    other.kind(),
                ]))
            }
        };
        let member = |name: &str| -> Result<Option<&'a str>, Error> {
            match Json::member(m, name) {
                None | Some(Value::Undefined | Value::Null) => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(invalid(&["serviceAccount.", name, " must be a string, got ", other.kind()])),
            }
        };
        let required = |name: &str| {
            member(name)?.ok_or_else(|| {
                invalid(&[
                    "serviceAccount has no ",
                    name,
                    ": use the key file of a service account as it was downloaded",
                ])
            })
        };
        let client_email = required("client_email")?;
        if crate::config::has_control(client_email) {
            return Err(invalid(&["serviceAccount.client_email contains a control character"]));
        }
        let private_key = required("private_key")?;
        let private_key_id = member("private_key_id")?;
        // token_uri is read by [`token_uri`]; checked here for its type.
        member("token_uri")?;
        Ok(Some(ServiceAccount { client_email, private_key, private_key_id }))
    }

    /// The members of a JWK with their meaning; `base64url` members are checked as such.
    const RSA_MEMBERS: &[&str] = &["n", "e", "d", "p", "q", "dp", "dq", "qi"];
    const EC_MEMBERS: &[&str] = &["x", "y", "d"];
    const OKP_MEMBERS: &[&str] = &["x", "d"];

    fn jwk_decode(s: &str) -> Option<Vec<u8>> {
        use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
        const LENIENT: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        LENIENT.decode(s).ok()
    }

    /// A private JWK (RFC 7517 §4, RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2): its key members for the
    /// host, its type, and its `alg` and `kid` as defaults.
    #[allow(clippy::type_complexity)]
    fn jwk(
        m: &[(String, Value)],
    ) -> Result<(Vec<(&'static str, String)>, KeyType, Option<Algorithm>, Option<String>), Error> {
        let string = |name: &str| match Json::member(m, name) {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let (kty, members, key_type): (&'static str, &[&'static str], Option<KeyType>) = match string("kty") {
            Some("RSA") => ("RSA", RSA_MEMBERS, None),
            Some("EC") => ("EC", EC_MEMBERS, match string("crv") {
                Some("P-256") => Some(KeyType::Ec(Curve::P256)),
                Some("P-384") => Some(KeyType::Ec(Curve::P384)),
                _ => return Err(invalid(&["privateKey is an EC JWK on a curve no algorithm here uses (crv must be \"P-256\" or \"P-384\")"])),
            }),
            Some("OKP") => ("OKP", OKP_MEMBERS, match string("crv") {
                Some("Ed25519") => Some(KeyType::Ed25519),
                _ => return Err(invalid(&["privateKey is an OKP JWK that is not Ed25519 (crv must be \"Ed25519\")"])),
            }),
            Some("oct") => {
                return Err(invalid(&["privateKey is a symmetric JWK (kty \"oct\"): for a shared secret use clientSecret with clientAuthentication \"client_secret_jwt\""]))
            }
            _ => return Err(invalid(&["privateKey is an object but not a private JWK (kty \"RSA\", \"EC\" or \"OKP\") or a CryptoKey"])),
        };
        if string("d").is_none() {
            return Err(invalid(&["privateKey is a public JWK (it has no \"d\"): a private key is needed"]));
        }
        let mut out = vec![("kty", String::from(kty))];
        if kty != "RSA" {
            out.push(("crv", String::from(string("crv").unwrap_or_default())));
        }
        let mut rsa_bits = 0;
        for &name in members {
            let Some(v) = string(name) else {
                return Err(invalid(&["privateKey is a private JWK without \"", name, "\""]));
            };
            let Some(bytes) = jwk_decode(v) else {
                return Err(invalid(&["privateKey.", name, " is not base64url (RFC 7515 section 2)"]));
            };
            if name == "n" {
                let significant = bytes.iter().skip_while(|&&b| b == 0).collect::<Vec<_>>();
                rsa_bits = significant.first().map_or(0, |b| significant.len() as u32 * 8 - b.leading_zeros());
            }
            out.push((name, String::from(v)));
        }
        let key_type = key_type.unwrap_or(KeyType::Rsa { bits: rsa_bits });
        let alg = string("alg").and_then(|a| jws::ALGORITHMS.iter().find(|(n, _)| *n == a)).map(|(_, a)| *a);
        Ok((out, key_type, alg, string("kid").filter(|k| !k.is_empty()).map(String::from)))
    }

    /// A caller's `CryptoKey`, as the host described it (`cryptoKey: true`, `type`, `algorithm`,
    /// `namedCurve`, `hash`, `modulusLength`, `sign`: whether its usages include `sign`). Its
    /// algorithm fixes the JWS algorithm.
    fn crypto_key(m: &[(String, Value)]) -> Result<(KeyType, Algorithm), Error> {
        let string = |name: &str| match Json::member(m, name) {
            Some(Value::String(s)) => s.as_str(),
            _ => "",
        };
        if string("type") != "private" {
            return Err(invalid(&[
                "privateKey is a CryptoKey that is not a private key (its type must be \"private\")",
            ]));
        }
        if !matches!(Json::member(m, "sign"), Some(Value::Bool(true))) {
            return Err(invalid(&["privateKey is a CryptoKey whose usages do not include \"sign\""]));
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
            _ => {
                return Err(invalid(&[
                    "privateKey is a CryptoKey for an algorithm no JWS algorithm here uses (RSASSA-PKCS1-v1_5 or \
                     RSA-PSS with SHA-256, ECDSA on P-256 or P-384, Ed25519)",
                ]))
            }
        })
    }

    /// `assertionClaims`: names to strings, whole numbers, booleans or arrays of strings.
    fn assertion_claims(e: &Entries<'_>) -> Result<Vec<(String, Claim)>, Error> {
        let members = match e.get("assertionClaims") {
            None => return Ok(Vec::new()),
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(invalid(&["assertionClaims must be an object of claim names, got ", other.kind()]))
            }
        };
        if members.len() > MAX_EXTRA_VALUES {
            return Err(invalid(&["assertionClaims holds more than 256 claims"]));
        }
        let mut out = Vec::with_capacity(members.len());
        for (name, value) in members {
            if name.is_empty() {
                return Err(invalid(&["assertionClaims has an empty claim name"]));
            }
            if let Some((_, setting)) = RESERVED_CLAIMS.iter().find(|(c, _)| c == name) {
                return Err(invalid(&[
                    "assertionClaims cannot set \"",
                    name,
                    "\": the assertion sets it from ",
                    setting,
                ]));
            }
            let claim = match value {
                Value::Undefined => continue,
                Value::String(s) => Claim::String(s.clone()),
                Value::Bool(b) => Claim::Bool(*b),
                // Whole numbers JSON and JavaScript agree on (|n| < 2^53).
                Value::Number(n) if n.abs() < 9_007_199_254_740_992.0 && *n == (*n as i64) as f64 => {
                    Claim::Integer(*n as i64)
                }
                Value::Array(items) if items.iter().all(|i| matches!(i, Value::String(_))) => Claim::Strings(
                    items
                        .iter()
                        .filter_map(|i| if let Value::String(s) = i { Some(s.clone()) } else { None })
                        .collect(),
                ),
                _ => {
                    return Err(invalid(&[
                        "assertionClaims.",
                        &shown(name),
                        " must be a string, a whole number, a boolean or an array of strings",
                    ]))
                }
            };
            out.push((name.clone(), claim));
        }
        Ok(out)
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
                Claim::Strings(v) => o.strings(name, v),
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
            Stage::Import => invalid(&[
                field,
                " was refused by the host's WebCrypto (crypto.subtle.importKey: ",
                &shown(name),
                "): check that it is a valid key for ",
                algorithm,
            ]),
            Stage::Digest => {
                invalid(&["certificate could not be digested by the host (crypto.subtle.digest: ", &shown(name), ")"])
            }
            Stage::Sign => invalid(&[
                field,
                " could not sign with ",
                algorithm,
                " (crypto.subtle.sign: ",
                &shown(name),
                "): a CryptoKey's algorithm or usages may not fit",
            ]),
        }
    }

    // --- The preview ----------------------------------------------------------------------

    /// What a preview's `jti` reads.
    pub const PREVIEW_JTI: &str = "(128 random bits, base64url: fresh for every request)";

    /// The assertion a request would carry at `now_ms`, decoded: its header and claims JSON.
    /// Thumbprints read as what they are; the signature is never made.
    pub fn preview(config: &Config, now_ms: f64) -> Option<(String, String)> {
        let s = config.signer.as_ref()?;
        let thumbprints = s.certificate.as_ref().map(|c| match c {
            Certificate::Digested(t) => t.clone(),
            Certificate::Der(_) => Thumbprints {
                sha1: String::from("(SHA-1 of certificate, base64url)"),
                sha256: String::from("(SHA-256 of certificate, base64url)"),
            },
        });
        let header = jws::header(s.algorithm, s.key_id.as_deref(), thumbprints.as_ref());
        Some((header, claims(s, config.token_endpoint.href(), None, (now_ms / 1000.0) as u64)))
    }

    /// The preview's notes on the assertion.
    pub fn notes(config: &Config) -> Vec<String> {
        let Some(s) = config.signer.as_ref() else { return Vec::new() };
        let alg = s.algorithm.name();
        let by = match s.key {
            Key::ClientSecret => "by the client secret (which is not sent)",
            _ => "by the private key in the host's WebCrypto",
        };
        let client = matches!(
            config.client_authentication,
            ClientAuthentication::PrivateKeyJwt | ClientAuthentication::ClientSecretJwt
        );
        let mut notes = vec![if !client {
            concat(&[
                "assertion: a JWT (RFC 7523 section 2.1) signed with ",
                alg,
                " ",
                by,
                ", made fresh for every token request (new jti, iat and exp). Its header and claims \
                 are in `assertion`; the body's value is masked.",
            ])
        } else {
            concat(&[
                "client_assertion: a JWT (RFC 7523 section 2.2) signed with ",
                alg,
                " ",
                by,
                ", made fresh for every token request (new jti, iat and exp), with client_id and \
                 client_assertion_type in the body. Its header and claims are in `assertion`; the \
                 body's value is masked.",
            ])
        }];
        if s.scope_claim {
            notes.push(String::from(
                "A service account's scope goes into the assertion's scope claim, not the body (Google).",
            ));
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
                Claim::Strings(v) => o.strings(name, v),
            }
            out.push(("claim", Some(o.finish())));
        }
        out
    }
}
