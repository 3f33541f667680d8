//! The one error type. Every variant has a stable `code()` that JavaScript sees as `err.code`;
//! tests match codes, not message text. Messages never contain a secret or a 2xx body.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::{concat, decimal};

/// Why a token request failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The configuration is invalid; the message names the key and the reason.
    InvalidConfig(String),
    /// `sslMode` is `trust` or `off`, which a fetch-based host cannot honour.
    UnsupportedSslMode { mode: SslModeRefused },
    /// `http:` to a host that is not loopback: the secret would travel in clear text.
    InsecureEndpoint,
    /// The request did not complete: refused, reset, DNS, CORS... `detail` is the host's message.
    Network { detail: String },
    /// The TLS handshake failed; `reason` is the host's code (e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`).
    Tls { reason: String },
    /// `timeoutSeconds` elapsed before the response was complete.
    Timeout { timeout_ms: u64 },
    /// The endpoint answered with a redirect; nothing was sent to the new location.
    UnexpectedRedirect { status: u16 },
    /// An RFC 6749 §5.2 error response.
    OAuth { status: u16, error: String, error_description: Option<String>, error_uri: Option<String> },
    /// A non-2xx status without a §5.2 body.
    HttpStatus { status: u16, content_type: Option<String>, detail: &'static str },
    /// A response the core cannot use as a token response; `reason` names the field or problem.
    InvalidResponse { status: u16, content_type: Option<String>, reason: String },
    /// The body is larger than `maxResponseBytes`.
    ResponseTooLarge { limit: u64 },
    /// The caller's `signal` aborted the request (or was aborted before it was sent).
    Aborted,
    /// The package's host driver answered a step it was not given: a bug to report.
    Internal,
    /// The host cannot sign a signed assertion: it has no WebCrypto (`no_web_crypto`), or its
    /// WebCrypto lacks the algorithm (e.g. Ed25519 on an older runtime). (Listed in [`Error::CODES`]
    /// in every build; made only with the `jwt` feature.)
    #[cfg(feature = "jwt")]
    UnsupportedAlgorithm { algorithm: &'static str, no_web_crypto: bool },
    /// A connection's REST call to an origin the token may not go to; nothing was sent.
    /// `listed`: `resourceOrigins` is set (else: http: to a host that is not loopback).
    ForbiddenOrigin { origin: String, listed: bool },
    // ERR_WASM_LOAD is no variant: the package's JavaScript raises it before any wasm runs,
    // from the texts of `crate::package::WASM_LOAD`.
}

/// The refused SSL modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslModeRefused {
    Trust,
    Off,
}

impl Error {
    /// Every code and what it means, in the order of the variants, then ERR_WASM_LOAD (raised by
    /// the JavaScript): the TypeScript union, its JSDoc and docs/errors.md are made from this list.
    pub const CODES: &'static [(&'static str, &'static str)] = &[
        ("ERR_INVALID_CONFIG", "A setting is missing or invalid; nothing was sent. The message names it."),
        ("ERR_UNSUPPORTED_SSL_MODE", "sslMode \"trust\" or \"off\": a fetch-based host always verifies certificates."),
        ("ERR_INSECURE_ENDPOINT", "http: to a host that is not loopback: the credentials would travel in clear text."),
        ("ERR_NETWORK", "The request did not complete: refused, reset, DNS, or (in a browser) CORS."),
        ("ERR_TLS", "The TLS handshake failed, e.g. the endpoint's certificate is not trusted."),
        ("ERR_TIMEOUT", "No complete answer within timeoutSeconds."),
        (
            "ERR_UNEXPECTED_REDIRECT",
            "The endpoint answered with a redirect; it was not followed and nothing was re-sent.",
        ),
        ("ERR_OAUTH", "An RFC 6749 section 5.2 error response: see `error` and `errorDescription`."),
        ("ERR_HTTP_STATUS", "A non-2xx status without an OAuth error body."),
        ("ERR_INVALID_RESPONSE", "A success that is not a token response (RFC 6749 section 5.1), e.g. an HTML page."),
        ("ERR_RESPONSE_TOO_LARGE", "The body is larger than maxResponseBytes."),
        ("ERR_ABORTED", "The caller's signal aborted the request; its reason is the `cause`."),
        ("ERR_INTERNAL", "The package's driver answered a step it was not given: a bug to report."),
        (
            "ERR_UNSUPPORTED_ALGORITHM",
            "This runtime cannot sign the assertion: no WebCrypto, or it lacks the algorithm (e.g. EdDSA).",
        ),
        ("ERR_FORBIDDEN_ORIGIN", "A connection refused to send its token to this origin; nothing was sent."),
        ("ERR_WASM_LOAD", "The WebAssembly module could not be loaded: HTML served instead, a wrong path, a CSP."),
    ];

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidConfig(_) => "ERR_INVALID_CONFIG",
            Error::UnsupportedSslMode { .. } => "ERR_UNSUPPORTED_SSL_MODE",
            Error::InsecureEndpoint => "ERR_INSECURE_ENDPOINT",
            Error::Network { .. } => "ERR_NETWORK",
            Error::Tls { .. } => "ERR_TLS",
            Error::Timeout { .. } => "ERR_TIMEOUT",
            Error::UnexpectedRedirect { .. } => "ERR_UNEXPECTED_REDIRECT",
            Error::OAuth { .. } => "ERR_OAUTH",
            Error::HttpStatus { .. } => "ERR_HTTP_STATUS",
            Error::InvalidResponse { .. } => "ERR_INVALID_RESPONSE",
            Error::ResponseTooLarge { .. } => "ERR_RESPONSE_TOO_LARGE",
            Error::Aborted => "ERR_ABORTED",
            Error::Internal => "ERR_INTERNAL",
            #[cfg(feature = "jwt")]
            Error::UnsupportedAlgorithm { .. } => "ERR_UNSUPPORTED_ALGORITHM",
            Error::ForbiddenOrigin { .. } => "ERR_FORBIDDEN_ORIGIN",
        }
    }

    /// The HTTP status, where a response was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::UnexpectedRedirect { status }
            | Error::OAuth { status, .. }
            | Error::HttpStatus { status, .. }
            | Error::InvalidResponse { status, .. } => Some(*status).filter(|s| *s != 0),
            _ => None,
        }
    }

    /// A short, secret-free message: what happened and what to do.
    pub fn message(&self) -> String {
        match self {
            Error::InvalidConfig(m) => m.clone(),
            Error::UnsupportedSslMode { mode: SslModeRefused::Trust } => String::from(
                "sslMode \"trust\" is unsupported: fetch always verifies certificates. Use \
                 \"verify\" and trust the private CA in the fetch option (Node.js: fetch through an \
                 undici Agent with connect: { ca }), or in the host's trust store (Node.js: \
                 NODE_EXTRA_CA_CERTS=ca.pem; browsers: the system's or browser's store).",
            ),
            Error::UnsupportedSslMode { mode: SslModeRefused::Off } => String::from(
                "sslMode \"off\" is unsupported: fetch never skips certificate checks. Use \
                 \"verify\" with an https: endpoint (http: is accepted for loopback hosts only).",
            ),
            Error::InsecureEndpoint => String::from(
                "tokenEndpoint, issuer and a discovered token_endpoint must use https: (http: only for loopback hosts: localhost, \
                 127.0.0.0/8, [::1]); credentials would travel in clear text",
            ),
            Error::Network { detail } => concat(&["the token request failed: ", detail]),
            Error::Tls { reason } if is_client_certificate_alert(reason) => concat(&[
                "TLS to the token endpoint failed (",
                reason,
                "): the server refused the handshake, as servers that require a client certificate \
                 do; pass a fetch option that presents one",
            ]),
            Error::Tls { reason } => concat(&[
                "TLS to the token endpoint failed (",
                reason,
                "): if its certificate is untrusted, trust its CA in the fetch option (Node.js: an \
                 undici Agent with connect: { ca }) or the host's trust store (NODE_EXTRA_CA_CERTS)",
            ]),
            Error::Timeout { timeout_ms } => {
                concat(&["the token endpoint did not answer within ", &decimal(*timeout_ms), " ms (timeoutSeconds)"])
            }
            Error::UnexpectedRedirect { status } => {
                let s = if *status == 0 { String::from("a") } else { decimal(u64::from(*status)) };
                concat(&[
                    "the token endpoint redirected (HTTP ",
                    &s,
                    "); not followed, nothing re-sent: configure the final token URL",
                ])
            }
            Error::OAuth { status, error, error_description, .. } => {
                let mut m = concat(&["the token endpoint returned error \"", error, "\""]);
                if let Some(d) = error_description {
                    m.push_str(": ");
                    m.push_str(d);
                }
                m.push_str(" (HTTP ");
                m.push_str(&decimal(u64::from(*status)));
                m.push(')');
                m
            }
            Error::HttpStatus { status, content_type, detail } => {
                let mut m = concat(&["the token endpoint answered HTTP ", &decimal(u64::from(*status))]);
                push_content_type(&mut m, content_type);
                m.push_str(detail);
                m
            }
            Error::InvalidResponse { status, content_type, reason } => {
                let mut m = concat(&["invalid token response: ", reason, " (HTTP "]);
                m.push_str(&decimal(u64::from(*status)));
                push_content_type(&mut m, content_type);
                m.push(')');
                m
            }
            Error::ResponseTooLarge { limit } => {
                concat(&["the token response is larger than ", &decimal(*limit), " bytes (maxResponseBytes)"])
            }
            Error::Aborted => {
                String::from("the token request was aborted by the caller's signal (its reason is the cause)")
            }
            Error::Internal => String::from("the package's driver answered a step it was not given"),
            #[cfg(feature = "jwt")]
            Error::UnsupportedAlgorithm { algorithm, no_web_crypto: true } => concat(&[
                "this host has no WebCrypto (crypto.subtle and crypto.getRandomValues) to sign the ",
                algorithm,
                " assertion with; in a browser, a page served over plain http has none",
            ]),
            #[cfg(feature = "jwt")]
            Error::UnsupportedAlgorithm { algorithm, no_web_crypto: false } => concat(&[
                "this runtime's WebCrypto cannot sign ",
                algorithm,
                " (crypto.subtle: NotSupportedError); docs/guide/keys.md lists the algorithms of each runtime",
            ]),
            Error::ForbiddenOrigin { origin, listed: true } => concat(&[
                "the connection sends its token only to resourceOrigins; ",
                &crate::text::clean(origin),
                " is not listed, so nothing was sent",
            ]),
            Error::ForbiddenOrigin { origin, listed: false } => concat(&[
                "the connection does not send its token over http: to ",
                &crate::text::clean(origin),
                " (not loopback: it would travel in clear text), so nothing was sent",
            ]),
        }
    }

    /// One sentence on what to do about it: the same text on every host, and in docs/errors.md.
    pub fn hint(&self) -> &'static str {
        match self {
            Error::InvalidConfig(_) => "Correct the setting the message names; nothing was sent.",
            Error::UnsupportedSslMode { mode: SslModeRefused::Trust } => {
                "Use sslMode \"verify\" and pass a fetch option that trusts the private CA (Node.js: \
                 an undici Agent with connect: { ca }), or add it to the host's trust store."
            }
            Error::UnsupportedSslMode { mode: SslModeRefused::Off } => {
                "Use sslMode \"verify\" with the endpoint's https: URL."
            }
            Error::InsecureEndpoint => "Use the token endpoint's https: URL.",
            Error::Network { .. } => {
                "Check that the endpoint's host and port are reachable from here; in a browser, also \
                 that the endpoint allows cross-origin requests (CORS) from this page's origin."
            }
            Error::Tls { reason } if is_client_certificate_alert(reason) => {
                "Pass a fetch option that presents the client certificate the server requires."
            }
            Error::Tls { .. } => {
                "Trust the CA that issued the endpoint's certificate (the fetch option, or this host's \
                 trust store), or fix the server's certificate chain."
            }
            Error::Timeout { .. } => {
                "Check that the URL is the token endpoint; raise timeoutSeconds if the server is merely slow."
            }
            Error::UnexpectedRedirect { .. } => {
                "Configure the final token endpoint URL (often https: instead of http:, or a trailing slash)."
            }
            // A JSON 404 or 405 is a wrong path whatever its body says.
            Error::OAuth { status: 404 | 405, .. } => {
                "Check the token endpoint's path (e.g. /oauth2/token or /oauth/token): this URL is not \
                 a token endpoint."
            }
            Error::OAuth { error, .. } => oauth_hint(error),
            Error::HttpStatus { status: 401, .. } => {
                "Check clientId and clientSecret (entered decoded, as issued), or switch \
                 clientAuthentication between \"header\" and \"body\"."
            }
            Error::HttpStatus { status: 404 | 405, .. } => {
                "Check the token endpoint's path (e.g. /oauth2/token or /oauth/token): this URL is not \
                 a token endpoint."
            }
            Error::HttpStatus { status: 429 | 503, .. } => "The server is busy: try again later.",
            Error::HttpStatus { status: 500..=599, .. } => {
                "The server failed: try again later, or ask its administrators."
            }
            Error::HttpStatus { .. } => {
                "Check that the URL is the token endpoint, and whether a gateway in front of it needs \
                 something else."
            }
            Error::InvalidResponse { .. } => {
                "Check that the URL is the token endpoint, not an authorization or login page."
            }
            Error::ResponseTooLarge { .. } => {
                "Check that the URL is the token endpoint; raise maxResponseBytes only if its answers \
                 really are that large."
            }
            Error::Aborted => "The caller's signal aborted the request; call again when needed.",
            Error::Internal => "Please report this as a bug of oauth-token-connection; the next call works.",
            #[cfg(feature = "jwt")]
            Error::UnsupportedAlgorithm { .. } => {
                "Use an algorithm this runtime implements: RS256, PS256, ES256 and ES384 work on every \
                 supported host; EdDSA needs Ed25519 in WebCrypto (newer runtimes; docs/guide/keys.md)."
            }
            Error::ForbiddenOrigin { listed: true, .. } => {
                "Add the origin to resourceOrigins if the token is meant for it."
            }
            Error::ForbiddenOrigin { listed: false, .. } => {
                "Use the resource's https: URL, or list the http: origin in resourceOrigins to allow it."
            }
        }
    }
}

/// The fix for an RFC 6749 §5.2 error code.
fn oauth_hint(error: &str) -> &'static str {
    match error {
        "invalid_client" => {
            "Check clientId and clientSecret (entered decoded, exactly as issued), or switch \
             clientAuthentication between \"header\" and \"body\": many servers accept only one."
        }
        "invalid_grant" => {
            "Check the username and password, or get a new refresh token: it may be expired, revoked \
             or already used."
        }
        "invalid_scope" => {
            "Check the scope against what the server defines (case-sensitive), or leave it out to get \
             the default."
        }
        "unauthorized_client" => "Allow this grant type for the client on the authorization server.",
        "unsupported_grant_type" => "Use a grant type the authorization server supports.",
        "invalid_request" => "Read errorDescription: it usually names the parameter the server refused.",
        "access_denied" => "Check the client's permissions on the authorization server.",
        "server_error" | "temporarily_unavailable" => "The server failed: try again later.",
        _ => "Read errorDescription and the server's documentation for this error code.",
    }
}

fn push_content_type(m: &mut String, content_type: &Option<String>) {
    if let Some(ct) = content_type {
        m.push_str(", content-type ");
        m.push_str(ct);
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {}

/// What the adapter could learn about a failed fetch or body read.
#[derive(Debug, Default, Clone)]
pub struct FetchFailure {
    /// The caller's `signal` had aborted.
    pub aborted: bool,
    /// Our own timeout signal had fired.
    pub timed_out: bool,
    /// The timeout that applied, for the message.
    pub timeout_ms: u64,
    /// The rejection's `message`, when it was an Error (or its string form).
    pub message: Option<String>,
    /// `code` members found along the `cause` chain (Node puts TLS reasons there).
    pub cause_codes: Vec<String>,
    /// The first `cause`'s message (Node: "connect ECONNREFUSED 127.0.0.1:1", "bad port").
    pub cause_message: Option<String>,
    /// Running in a browser page, where a failed fetch may be a CORS refusal.
    pub in_browser: bool,
    /// The body read failed: a response had begun.
    pub after_response: bool,
}

/// TLS alerts a server sends when it wants a client certificate it did not get (RFC 8446 §6.2
/// `certificate_required`; TLS 1.2 servers send `handshake_failure` or `bad_certificate`).
fn is_client_certificate_alert(reason: &str) -> bool {
    ["ALERT_CERTIFICATE_REQUIRED", "ALERT_HANDSHAKE_FAILURE", "ALERT_BAD_CERTIFICATE"]
        .iter()
        .any(|alert| contains(reason, alert))
}

/// Whether `needle` occurs in `text`. (Byte windows rather than `str::contains`: no str searcher
/// in the .wasm.)
fn contains(text: &str, needle: &str) -> bool {
    needle.is_empty() || text.as_bytes().windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// TLS failure codes that Node.js (OpenSSL) reports on `cause.code`.
fn is_tls_code(code: &str) -> bool {
    const EXACT: &[&str] = &[
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        "UNABLE_TO_GET_ISSUER_CERT",
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        "SELF_SIGNED_CERT_IN_CHAIN",
        "DEPTH_ZERO_SELF_SIGNED_CERT",
        "HOSTNAME_MISMATCH",
        "EPROTO",
    ];
    EXACT.contains(&code) || code.starts_with("CERT_") || code.starts_with("ERR_TLS_") || code.starts_with("ERR_SSL_")
}

/// Classifies a failed fetch (or body read): timeout, TLS or plain network failure.
pub fn classify_fetch_failure(f: FetchFailure) -> Error {
    if f.aborted {
        return Error::Aborted;
    }
    if f.timed_out {
        return Error::Timeout { timeout_ms: f.timeout_ms };
    }
    if let Some(code) = f.cause_codes.iter().find(|c| is_tls_code(c)) {
        return Error::Tls { reason: crate::text::clean(code) };
    }
    // Deno (rustls) has no code, only "...: invalid peer certificate: UnknownIssuer".
    // (Byte windows rather than str::find and slicing: no panic path, no str searcher in the .wasm.)
    const RUSTLS: &[u8] = b"invalid peer certificate: ";
    for m in [&f.message, &f.cause_message].into_iter().flatten() {
        let bytes = m.as_bytes();
        if let Some(at) = bytes.windows(RUSTLS.len()).position(|w| w == RUSTLS) {
            let reason: String = bytes
                .get(at + RUSTLS.len()..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .map(|&b| b as char)
                .collect();
            return Error::Tls {
                reason: if reason.is_empty() { String::from("invalid peer certificate") } else { reason },
            };
        }
    }
    let mut detail = f.message.as_deref().map_or_else(|| String::from("the host's fetch failed"), crate::text::clean);
    if let Some(m) = f.cause_message.map(|m| crate::text::clean(&m)).filter(|m| !m.is_empty() && *m != detail) {
        detail.push_str(": ");
        detail.push_str(&m);
    }
    if let Some(code) = f.cause_codes.first().map(|c| crate::text::clean(c)).filter(|c| !contains(&detail, c)) {
        detail.push_str(" (");
        detail.push_str(&code);
        detail.push(')');
    }
    if f.in_browser {
        detail.push_str(
            "; the endpoint may be unreachable, or may not allow cross-origin requests from this \
             page (CORS): the browser hides which",
        );
    }
    Error::Network { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_listed_once_and_stable() {
        let samples = [
            Error::InvalidConfig("x".into()),
            Error::UnsupportedSslMode { mode: SslModeRefused::Trust },
            Error::InsecureEndpoint,
            Error::Network { detail: "x".into() },
            Error::Tls { reason: "x".into() },
            Error::Timeout { timeout_ms: 1 },
            Error::UnexpectedRedirect { status: 302 },
            Error::OAuth { status: 400, error: "e".into(), error_description: None, error_uri: None },
            Error::HttpStatus { status: 500, content_type: None, detail: "" },
            Error::InvalidResponse { status: 200, content_type: None, reason: "r".into() },
            Error::ResponseTooLarge { limit: 1 },
            Error::Aborted,
            Error::Internal,
            #[cfg(feature = "jwt")]
            Error::UnsupportedAlgorithm { algorithm: "EdDSA", no_web_crypto: false },
            Error::ForbiddenOrigin { origin: "http://a.example".into(), listed: false },
        ];
        let codes: Vec<&str> = samples.iter().map(Error::code).chain(["ERR_WASM_LOAD"]).collect();
        // Every code is listed in every build (the TypeScript union is one); a build without the
        // `jwt` feature never makes ERR_UNSUPPORTED_ALGORITHM.
        let listed: Vec<&str> = Error::CODES
            .iter()
            .map(|(code, _)| *code)
            .filter(|c| cfg!(feature = "jwt") || *c != "ERR_UNSUPPORTED_ALGORITHM")
            .collect();
        assert_eq!(codes, listed);
        for e in &samples {
            assert!(e.hint().ends_with('.') && e.hint().len() < 240, "{}", e.hint());
        }
    }

    #[cfg(feature = "jwt")]
    #[test]
    fn unsupported_algorithm_names_the_runtime_limit() {
        let e = Error::UnsupportedAlgorithm { algorithm: "EdDSA", no_web_crypto: false };
        assert_eq!(e.code(), "ERR_UNSUPPORTED_ALGORITHM");
        assert!(e.message().starts_with("this runtime's WebCrypto cannot sign EdDSA"), "{}", e.message());
        let e = Error::UnsupportedAlgorithm { algorithm: "ES256", no_web_crypto: true };
        assert!(e.message().contains("no WebCrypto") && e.message().contains("ES256"), "{}", e.message());
        assert!(e.hint().contains("RS256, PS256, ES256 and ES384"));
    }

    #[test]
    fn tls_codes_from_the_cause_chain() {
        let e = classify_fetch_failure(FetchFailure {
            message: Some("fetch failed".into()),
            cause_codes: vec!["UNABLE_TO_VERIFY_LEAF_SIGNATURE".into()],
            ..Default::default()
        });
        assert_eq!(e, Error::Tls { reason: "UNABLE_TO_VERIFY_LEAF_SIGNATURE".into() });
        let e = classify_fetch_failure(FetchFailure {
            cause_codes: vec!["ERR_TLS_CERT_ALTNAME_INVALID".into()],
            ..Default::default()
        });
        assert_eq!(e.code(), "ERR_TLS");
        assert!(e.message().contains("fetch option") && e.hint().contains("fetch option"), "{}", e.message());
        // A server that wants a client certificate (Node's code for TLS 1.2's alert 40).
        let e = classify_fetch_failure(FetchFailure {
            cause_codes: vec!["ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE".into()],
            ..Default::default()
        });
        assert!(e.message().contains("client certificate"), "{}", e.message());
        assert!(e.hint().contains("client certificate"), "{}", e.hint());
    }

    #[test]
    fn the_trust_ssl_mode_names_the_fetch_option() {
        let e = Error::UnsupportedSslMode { mode: SslModeRefused::Trust };
        assert!(e.message().contains("fetch option") && e.hint().contains("fetch option"));
    }

    #[test]
    fn tls_reasons_from_a_rustls_message() {
        // Deno 2.9's message for an untrusted certificate (no code on the error).
        let msg = "error sending request for url (https://127.0.0.1:4000/token): client error (Connect): invalid peer certificate: UnknownIssuer";
        let e = classify_fetch_failure(FetchFailure { message: Some(msg.into()), ..Default::default() });
        assert_eq!(e, Error::Tls { reason: "UnknownIssuer".into() });
        let e = classify_fetch_failure(FetchFailure {
            message: Some("fetch failed".into()),
            cause_message: Some("invalid peer certificate: ".into()),
            ..Default::default()
        });
        assert_eq!(e, Error::Tls { reason: "invalid peer certificate".into() });
    }

    #[test]
    fn timeout_wins_and_network_keeps_the_host_reason() {
        let e = classify_fetch_failure(FetchFailure {
            timed_out: true,
            timeout_ms: 500,
            cause_codes: vec!["ECONNRESET".into()],
            ..Default::default()
        });
        assert_eq!(e, Error::Timeout { timeout_ms: 500 });
        assert_eq!(e.message(), "the token endpoint did not answer within 500 ms (timeoutSeconds)");
        let e = classify_fetch_failure(FetchFailure {
            message: Some("fetch failed".into()),
            cause_codes: vec!["ECONNREFUSED".into()],
            ..Default::default()
        });
        assert_eq!(e.code(), "ERR_NETWORK");
        assert_eq!(e.message(), "the token request failed: fetch failed (ECONNREFUSED)");
        let e = classify_fetch_failure(FetchFailure {
            message: Some("fetch failed".into()),
            cause_message: Some("connect ECONNREFUSED 127.0.0.1:1".into()),
            cause_codes: vec!["ECONNREFUSED".into()],
            ..Default::default()
        });
        assert_eq!(e.message(), "the token request failed: fetch failed: connect ECONNREFUSED 127.0.0.1:1");
        // An empty code adds nothing.
        let e = classify_fetch_failure(FetchFailure {
            message: Some("fetch failed".into()),
            cause_codes: vec![String::new()],
            ..Default::default()
        });
        assert_eq!(e.message(), "the token request failed: fetch failed");
    }

    #[test]
    fn the_callers_abort_wins() {
        let e = classify_fetch_failure(FetchFailure {
            aborted: true,
            timed_out: true,
            message: Some("This operation was aborted".into()),
            ..Default::default()
        });
        assert_eq!(e, Error::Aborted);
        assert_eq!(e.code(), "ERR_ABORTED");
        assert_eq!(e.status(), None);
    }

    #[test]
    fn browser_network_failure_mentions_cors() {
        let e = classify_fetch_failure(FetchFailure {
            message: Some("Failed to fetch".into()),
            in_browser: true,
            ..Default::default()
        });
        assert!(e.message().contains("cross-origin"));
    }

    #[test]
    fn oauth_message_and_status() {
        let e = Error::OAuth {
            status: 401,
            error: "invalid_client".into(),
            error_description: Some("bad secret".into()),
            error_uri: None,
        };
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.message(), "the token endpoint returned error \"invalid_client\": bad secret (HTTP 401)");
        assert_eq!(Error::UnexpectedRedirect { status: 0 }.status(), None);
    }
}
