//! What the npm package's hand-written JavaScript and TypeScript take from the Rust definitions,
//! so that each fact has one home: the declarations of its data (`types.d.ts`: the error codes of
//! [`Error::CODES`], the result's members of [`RESULT`], the settings), and what the JavaScript
//! needs before the `.wasm` runs (`facts.js`: the config copy's limits, the texts of a failed
//! load's error). `scripts/build.sh` writes both (`cargo run -p oauth-token-core --example
//! package-file types|facts`); `errors` lists each code's common hint for scripts/check-docs.mjs.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::error::Error;

/// The token result's members: name, TypeScript type, optional, and JSDoc.
/// [`crate::exchange::result_members`] writes exactly these.
pub const RESULT: &[(&str, &str, bool, &str)] = &[
    ("accessToken", "string", false, "The access token (RFC 6749 section 5.1)."),
    ("tokenType", "string", false, "As the server spelled it, e.g. \"Bearer\" or \"bearer\"."),
    ("expiresIn", "number", true, "Lifetime in seconds, as sent."),
    ("expiresAt", "number", true, "Expiry in epoch milliseconds (host clock at receipt + expiresIn)."),
    ("scope", "string", true, "Granted scope, when the server sent one."),
    ("refreshToken", "string", true, "The refresh token, when the server issued one."),
    ("json", "Record<string, unknown>", false, "The endpoint's JSON object, verbatim: what a JSON extract consumes."),
    (
        "warnings",
        "string[]",
        false,
        "E.g. `Cookie rejected: Illegal 'domain' attribute \"x\". Domain of origin: \"y\"`, and the cache's notes.",
    ),
];

const SETTINGS: &str = r#"/** Settings of the connection; see README.md for the mapping to the connection's settings. */
export interface TokenRequestSettings {
  /** Entered decoded; every encoding is done for you. */
  clientId: string;
  /**
   * Entered decoded. Optional only for a public client (password or refresh_token grant with body
   * authentication); refused with 'tls_client_auth' and 'self_signed_tls_client_auth'.
   */
  clientSecret?: string;
  /** Space-delimited, case-sensitive scope tokens (RFC 6749 §3.3). */
  scope?: string;
  /**
   * Further token request parameters, e.g. `{ audience: '...' }` or RFC 8707
   * `{ resource: ['https://a/', 'https://b/'] }` (an array repeats the parameter). The names the
   * request sets itself (grant_type, client_id, client_secret, scope, username, password,
   * refresh_token) are refused with ERR_INVALID_CONFIG.
   */
  extraParams?: Record<string, string | readonly string[]>;
  /**
   * HTTP Basic header (default) or client_id/client_secret in the body (RFC 6749 §2.3.1); or a
   * signed JWT (RFC 7523 §2.2, OpenID Connect Core §9): `'private_key_jwt'` with `privateKey`
   * (the default when `privateKey` is given), `'client_secret_jwt'` with `clientSecret` (HMAC),
   * both in `oauth-token-connection/full`; or the TLS client certificate (RFC 8705 §2:
   * 'tls_client_auth', 'self_signed_tls_client_auth'), with client_id in the body and no secret.
   * The certificate is the transport's business: pass a `fetch` that presents it.
   * @see https://www.rfc-editor.org/rfc/rfc8705#section-2
   */
  clientAuthentication?:
    | 'header'
    | 'body'
    | 'private_key_jwt'
    | 'client_secret_jwt'
    | 'tls_client_auth'
    | 'self_signed_tls_client_auth';
  /** 'form' (default, RFC 6749 §2.3.1) form-urlencodes id and secret inside Basic; 'none' sends them as is. */
  basicEncoding?: 'form' | 'none';
  /**
   * Only 'verify' works on fetch-based hosts; 'trust' and 'off' fail with ERR_UNSUPPORTED_SSL_MODE.
   * For a private CA, pass a `fetch` that trusts it (Node.js: an undici Agent with `connect: { ca }`).
   */
  sslMode?: 'verify' | 'trust' | 'off';
  /** Timeout of the whole request in seconds, default 30. */
  timeoutSeconds?: number;
  /** Suppress the "Cookie rejected" warnings, default false. */
  ignoreCookiesPolicy?: boolean;
  /** Largest accepted response body in bytes, default 1048576 (1 MiB). */
  maxResponseBytes?: number;
  /**
   * Aborts the request (`requestToken` and `previewRequest` only; `createConnection` refuses it):
   * ERR_ABORTED with the signal's `reason` as `cause`. An already-aborted signal sends nothing.
   */
  signal?: AbortSignal;
  /**
   * The fetch every request of this config goes through (the token request, discovery, and a
   * connection's REST calls unless `restFetch` is set), instead of the host's: e.g. a Workers
   * mtls_certificates binding's `fetch` (bound to it), or one that passes an undici Agent (client
   * certificate, private CA) or ProxyAgent as `dispatcher`. It is called with `redirect: 'manual'`
   * and the timeout's signal, and its body is read up to `maxResponseBytes`; a rejection is
   * classified like the host's (ERR_NETWORK, ERR_TLS, ERR_TIMEOUT, ERR_ABORTED). Not with a
   * connection's `coordinator`, whose object cannot be sent a function.
   */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /**
   * Send a failed request again where that is safe: `client_credentials` and `jwt_bearer` after
   * 408, 429, 502, 503 or 504 (a signed request signs a new assertion for each attempt), and any
   * grant after a network error before any response byte; never a
   * `refresh_token` request the server may have seen. Honours `Retry-After` (seconds or an HTTP
   * date), else waits a random time (full jitter); gives up when the wait would exceed
   * `maxDelaySeconds` or `timeoutSeconds`, which bounds the whole call. Off by default: a retry
   * delays a failure you may want to see at once. `warnings` records each retry.
   * Only in `oauth-token-connection/full`: the default entry refuses it (ERR_INVALID_CONFIG).
   */
  retry?: RetryOptions;
  /**
   * The key that signs the assertion (`private_key_jwt`, the `jwt_bearer` grant): a PEM text
   * (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY`; `\n` escapes are
   * read as line breaks), a private JWK, or a `CryptoKey` whose usages include `'sign'`. It is
   * imported once into a non-extractable CryptoKey of the host. `oauth-token-connection/full` only.
   */
  privateKey?: string | JsonWebKey | CryptoKey;
  /** The JWS `alg`; default: RS256 for RSA, ES256 for P-256, ES384 for P-384, EdDSA for Ed25519, HS256 for client_secret_jwt (or a JWK's `alg`). */
  signingAlgorithm?: 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA' | 'HS256' | 'HS384' | 'HS512';
  /** The JWS header's `kid` (default: a JWK's `kid`, a service account's `private_key_id`). */
  keyId?: string;
  /** A PEM certificate of the key: adds `x5t#S256` and `x5t` (SHA-1, which Entra ID requires) to the header. */
  certificate?: string;
  /** The client assertion's `aud` (private_key_jwt, client_secret_jwt); default: the token endpoint URL. */
  assertionAudience?: string;
  /** Each assertion's lifetime (`exp` − `iat`) in seconds, 1 to 86400; default 60. */
  assertionLifetimeSeconds?: number;
}

/** The members of a Google service account key file that are read (pass the parsed file as it is). */
export interface ServiceAccountKey {
  /** The assertion's `iss` (and the default clientId). */
  client_email: string;
  /** The PKCS#8 PEM key that signs the assertion. */
  private_key: string;
  /** The JWS header's `kid`. */
  private_key_id?: string;
  /** The token endpoint, unless `tokenEndpoint` is given. */
  token_uri?: string;
  /** Every other member of the key file, ignored. */
  [member: string]: unknown;
}

/** `retry`'s options. */
export interface RetryOptions {
  /** How many times a failed request may be sent again (0 to 10, default 2). */
  attempts?: number;
  /** The longest wait before a retry, in seconds (default 30); a longer Retry-After is not waited for. */
  maxDelaySeconds?: number;
}

/** Where the token endpoint is: configured, or discovered from the issuer (RFC 8414). */
export type Endpoint =
  | {
      /** Absolute https: URL of the token endpoint (http: only for loopback development hosts). */
      tokenEndpoint: string;
      /** Not with `tokenEndpoint`. */
      issuer?: never;
    }
  | {
      /**
       * The authorization server's issuer URL (https:, no query or fragment): the token endpoint
       * is discovered from its metadata before the first token request (a connection keeps it),
       * or the metadata `discover()` returned, which is not fetched again. (With the jwt_bearer
       * grant `issuer` is the assertion's `iss` instead: see `JwtBearerGrant`.)
       * Only in `oauth-token-connection/full`: the default entry refuses it (ERR_INVALID_CONFIG).
       * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
       */
      issuer: string | AuthorizationServerMetadata;
      /** Not with `issuer`: the metadata names it. */
      tokenEndpoint?: never;
    };

/** Authorization server metadata (RFC 8414 §2), as the server published it. */
export interface AuthorizationServerMetadata {
  /** The issuer, identical to the one it was discovered for (RFC 8414 §3.3). */
  issuer: string;
  /** The token endpoint: https: (http: only for loopback hosts). */
  token_endpoint: string;
  /** Every other member, as published. */
  [member: string]: unknown;
}

/** `discover()`'s options: those of a token request that apply to fetching the metadata. */
export type DiscoveryOptions = Pick<
  TokenRequestSettings,
  'fetch' | 'timeoutSeconds' | 'maxResponseBytes' | 'signal' | 'retry'
>;

/** The client credentials grant (RFC 6749 §4.4), the default. */
export interface ClientCredentialsGrant {
  /** 'client_credentials', or left out. */
  grantType?: 'client_credentials';
  /** Not with this grant. */
  username?: never;
  /** Not with this grant. */
  password?: never;
  /** Not with this grant. */
  refreshToken?: never;
  /** Not with this grant. */
  subject?: never;
  /** Not with this grant. */
  audience?: never;
  /** Not with this grant. */
  assertionClaims?: never;
  /** Not with this grant. */
  serviceAccount?: never;
}

/** The resource owner password credentials grant (RFC 6749 §4.3). */
export interface PasswordGrant {
  /** 'password'. */
  grantType: 'password';
  /** Resource owner's user name. */
  username: string;
  /** Resource owner's password. */
  password: string;
  /** Not with this grant. */
  refreshToken?: never;
  /** Not with this grant. */
  subject?: never;
  /** Not with this grant. */
  audience?: never;
  /** Not with this grant. */
  assertionClaims?: never;
  /** Not with this grant. */
  serviceAccount?: never;
}

/** The refresh token grant (RFC 6749 §6). */
export interface RefreshTokenGrant {
  /** 'refresh_token'. */
  grantType: 'refresh_token';
  /** The refresh token. */
  refreshToken: string;
  /** Not with this grant. */
  username?: never;
  /** Not with this grant. */
  password?: never;
  /** Not with this grant. */
  subject?: never;
  /** Not with this grant. */
  audience?: never;
  /** Not with this grant. */
  assertionClaims?: never;
  /** Not with this grant. */
  serviceAccount?: never;
}

/**
 * The JWT bearer authorization grant (RFC 7523 §2.1): an assertion signed by `privateKey` is the
 * grant; no client secret is needed. `oauth-token-connection/full` only.
 */
export interface JwtBearerGrant {
  /** 'jwt_bearer', or its URN. */
  grantType: 'jwt_bearer' | 'urn:ietf:params:oauth:grant-type:jwt-bearer';
  /**
   * The assertion's `iss` (default: clientId). With this grant `issuer` is never a URL to
   * discover: the token endpoint is `tokenEndpoint` (e.g. `(await discover(url)).token_endpoint`).
   */
  issuer?: string;
  /** Required with this grant (a service account's `token_uri` is the default). */
  tokenEndpoint: string;
  /** The assertion's `sub`, e.g. Salesforce's user name or the Google user to impersonate. */
  subject?: string;
  /** The assertion's `aud` (default: the token endpoint URL). */
  audience?: string;
  /** Further claims, e.g. `{ scope: 'a b' }`; not iss, sub, aud, exp, iat or jti. */
  assertionClaims?: Record<string, string | number | boolean | readonly string[]>;
  /** Not with this grant. */
  serviceAccount?: never;
  /** Not with this grant. */
  username?: never;
  /** Not with this grant. */
  password?: never;
  /** Not with this grant. */
  refreshToken?: never;
}

/**
 * A Google service account: the key file's JSON object as it is. The jwt_bearer grant with
 * issuer `client_email`, kid `private_key_id`, the token endpoint `token_uri` by default, and the
 * scope in the assertion's `scope` claim (not in the body), as Google requires.
 */
export interface ServiceAccountGrant extends Omit<JwtBearerGrant, 'grantType' | 'serviceAccount' | 'tokenEndpoint'> {
  /** Optional: a service account means the jwt_bearer grant. */
  grantType?: JwtBearerGrant['grantType'];
  /** Default: the key file's `token_uri`. */
  tokenEndpoint?: string;
  /** The key file's JSON object, as it is. */
  serviceAccount: ServiceAccountKey;
}

/** The grant and what it needs, discriminated by `grantType`. */
export type Grant = ClientCredentialsGrant | PasswordGrant | RefreshTokenGrant | JwtBearerGrant;

/**
 * Settings with their grant: the token endpoint is configured or discovered from `issuer`,
 * except with the jwt_bearer grant, whose `issuer` is the assertion's `iss` and which needs
 * `tokenEndpoint` (a service account brings its own) and no clientId (its issuer defaults to it).
 */
export type WithGrant<S extends TokenRequestSettings> =
  | (S & Endpoint & Exclude<Grant, JwtBearerGrant>)
  | (Omit<S, 'clientId'> & OptionalClientId & JwtBearerGrant)
  | (Omit<S, 'clientId'> & OptionalClientId & ServiceAccountGrant);

/** The jwt_bearer grant's client id. */
export interface OptionalClientId {
  /** Optional with the jwt_bearer grant: the assertion's issuer is its default. */
  clientId?: string;
}

/** `requestToken`'s settings: the token endpoint, the client, the grant. */
export type TokenRequestConfig = WithGrant<TokenRequestSettings>;

/** The connection's own options. */
export interface ConnectionOptions {
  /** Renew this many seconds before expiry (default 60, at most half the token's lifetime). */
  refreshSkewSeconds?: number;
  /** Header that carries the token on REST calls (default 'Authorization'). */
  headerName?: string;
  /** Written before the token (default: the token type, 'bearer' sent as 'Bearer'); '' sends the token alone. */
  headerPrefix?: string;
  /**
   * A store shared by many connections, e.g. a Workers KV namespace binding, so that isolates
   * share one token. It holds the token result without its refresh token: whoever can read it
   * can use the token. Not with grantType 'refresh_token'. See README, "Sharing one token".
   * Only in `oauth-token-connection/full`: the default entry refuses it (ERR_INVALID_CONFIG).
   */
  cache?: TokenCache;
  /**
   * A Durable Object namespace binding of the OAuthTokenCoordinator class: one object per
   * configuration holds the token, so every isolate's connections share one token request per
   * expiry, 401 renewals are made once, and a rotated refresh token is never lost. The object
   * is sent the settings with each ask and stores only the token and the refresh token; the
   * result has no `refreshToken`. The object discovers an `issuer` and follows `retry` when it
   * renews, with the Worker's global fetch: not with `cache`, `fetch`, or clientAuthentication
   * 'tls_client_auth' / 'self_signed_tls_client_auth' (ERR_INVALID_CONFIG); `restFetch` is fine.
   * Where the object cannot be asked within timeoutSeconds + 2 s, the connection requests its own
   * token (a warning in the result).
   * Only in `oauth-token-connection/full`: the default entry refuses it (ERR_INVALID_CONFIG).
   */
  coordinator?: TokenCoordinator;
  /** The fetch a connection's REST calls (`connection.fetch`) go through; default: `fetch`, else the host's. */
  restFetch?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
}

/** `requestToken`'s settings (without `signal`) plus the connection's own options. */
export type ConnectionConfig = WithGrant<Omit<TokenRequestSettings, 'signal'> & ConnectionOptions>;

/**
 * The Workers KV shape `createConnection`'s `cache` needs (a `KVNamespace` fits). Keys are
 * `otc:v2:<hex HMAC-SHA-256>`, keyed by the credentials; values are JSON strings. A get or put that throws, rejects or takes
 * longer than 2 s is skipped (a warning in the result), never an error.
 */
export interface TokenCache {
  /** The stored JSON text for `key`, or null/undefined when there is none. */
  get(key: string): Promise<string | null | undefined> | string | null | undefined;
  /** Stores `value` for `options.expirationTtl` seconds (at least 60). */
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown> | unknown;
}

/**
 * The Durable Object namespace `createConnection`'s `coordinator` needs: a binding of the
 * OAuthTokenCoordinator class (a `DurableObjectNamespace` fits). The connection asks the object
 * named by its key over `fetch`.
 */
export interface TokenCoordinator {
  /** The id of the object named `name`: the connection's key, `otc:v2:<hex HMAC-SHA-256>`. */
  idFromName(name: string): unknown;
  /** The object's stub. */
  get(id: unknown): {
    /** Carries an ask to the object (a POST of JSON). */
    fetch(input: string, init: RequestInit): Promise<Response>;
  };
}

/** What OAuthTokenCoordinator uses of its Durable Object state: the storage (a `DurableObjectState` fits). */
export interface TokenCoordinatorState {
  /** Holds one record per key: the token and the refresh token, as JSON text. */
  storage: {
    /** The record stored under `key`. */
    get(key: string): Promise<unknown>;
    /** Stores the record. */
    put(key: string, value: string): Promise<unknown>;
    /** Deletes it. */
    delete(key: string): Promise<unknown>;
  };
}

"#;

const PREVIEW: &str = r#"/** What previewRequest returns: the request requestToken would send, secrets masked. */
export interface RequestPreview {
  /** Always 'POST' (RFC 6749 §3.2). */
  method: 'POST';
  /** The token endpoint. */
  url: string;
  /** [name, value] in sending order; Authorization reads `Basic base64(<client id as encoded>:********)`. */
  headers: [string, string][];
  /** The form body as sent, except that client_secret, password and refresh_token read `********`. */
  body: string;
  /** The fetch options every token request uses. */
  fetchOptions: {
    /** A redirect is an error; nothing is re-sent. */
    redirect: 'manual';
    /** No ambient cookies or HTTP authentication. */
    credentials: 'omit';
    /** Token responses are not cached (RFC 6749 §5.1). */
    cache: 'no-store';
  };
  /** Plain-language notes on the encodings applied; never a secret. */
  notes: string[];
  /**
   * A signed assertion's decoded JOSE header and claims, as the next request would carry them
   * (`jti` reads as a placeholder: it is fresh for every request); the body's value and the
   * signature read `********`.
   */
  assertion?: {
    /** The JOSE header, decoded. */
    header: Record<string, unknown>;
    /** The claims, decoded (`jti`, `iat` and `exp` as an assertion made now would have them). */
    claims: Record<string, unknown>;
    /** Masked: nothing is signed for a preview. */
    signature: '********';
  };
}
"#;

/// The declarations, as `types.d.ts` holds them.
pub fn declarations() -> String {
    let mut out = String::from("// Made by oauth-token-core's typescript module from the Rust definitions.\n\n");
    out.push_str(SETTINGS);
    out.push_str("\n/** A token response (RFC 6749 section 5.1). */\nexport interface TokenResult {\n");
    for (name, ty, optional, doc) in RESULT {
        for line in ["  /** ", doc, " */\n  ", name, if *optional { "?: " } else { ": " }, ty, ";\n"] {
            out.push_str(line);
        }
    }
    out.push_str("}\n\n/** Every error code, with what it means; see docs/errors.md. */\nexport interface OAuthTokenErrorCodes {\n");
    for (code, meaning) in Error::CODES {
        for line in ["  /** ", meaning, " */\n  ", code, ": '", code, "';\n"] {
            out.push_str(line);
        }
    }
    out.push_str("}\n\n/** A stable error code: match on it, not on the message. */\nexport type OAuthTokenErrorCode = keyof OAuthTokenErrorCodes;\n\n");
    out.push_str(
        "/** RFC 6749 section 5.2 error codes, or another string the server sent. */\n\
         export type OAuthErrorName =\n  | 'invalid_request'\n  | 'invalid_client'\n  | 'invalid_grant'\n  \
         | 'unauthorized_client'\n  | 'unsupported_grant_type'\n  | 'invalid_scope'\n  | (string & {});\n\n",
    );
    out.push_str(PREVIEW);
    out
}

/// The limits the config copy applies before anything reaches wasm memory: (name, value, doc).
pub fn copy_limits() -> [(&'static str, usize, &'static str); 3] {
    use crate::config::{MAX_CONFIG_UNITS, MAX_EXTRA_VALUES, MAX_STRING_BYTES};
    [
        (
            "MAX_STRING_UNITS",
            MAX_STRING_BYTES + 1,
            "A string is copied up to one unit past the longest the core accepts (it refuses it by name).",
        ),
        (
            "MAX_EXTRA_VALUES",
            MAX_EXTRA_VALUES,
            "Values past this many in extraParams are not copied (the core refuses the config).",
        ),
        ("MAX_CONFIG_UNITS", MAX_CONFIG_UNITS, "The most UTF-16 units of strings one config may hold in all."),
    ]
}

/// An error the package's JavaScript raises itself, as it fills it in.
pub struct HostError {
    pub code: &'static str,
    /// With `{url}` and `{detail}` in place.
    pub message: &'static str,
    pub hint: &'static str,
}

/// The error a failed `.wasm` load raises (an HTML page served instead, a wrong path, a
/// Content-Security-Policy; `{detail}` is the host's message), before any wasm runs.
pub const WASM_LOAD: HostError = HostError {
    code: "ERR_WASM_LOAD",
    message: "the WebAssembly module could not be loaded from {url}: {detail}",
    hint: "Serve oauth_token_connection_bg.wasm next to the module as application/wasm; with Vite's \
           dev server add optimizeDeps: { exclude: ['oauth-token-connection'] }; under a \
           Content-Security-Policy allow 'wasm-unsafe-eval' in script-src.",
};

/// Each code with the hint of its most common case: docs/errors.md's `Hint:` lines are these
/// (scripts/check-docs.mjs checks them).
pub fn common_hints() -> Vec<(&'static str, &'static str)> {
    let errors = [
        Error::InvalidConfig(String::new()),
        Error::UnsupportedSslMode { mode: crate::error::SslModeRefused::Trust },
        Error::InsecureEndpoint,
        Error::Network { detail: String::new() },
        Error::Tls { reason: String::new() },
        Error::Timeout { timeout_ms: 0 },
        Error::UnexpectedRedirect { status: 302 },
        Error::OAuth { status: 401, error: "invalid_client".into(), error_description: None, error_uri: None },
        Error::HttpStatus { status: 404, content_type: None, detail: "" },
        Error::InvalidResponse { status: 200, content_type: None, reason: String::new() },
        Error::ResponseTooLarge { limit: 0 },
        Error::Aborted,
        Error::Internal,
        #[cfg(feature = "jwt")]
        Error::UnsupportedAlgorithm { algorithm: "EdDSA", no_web_crypto: false },
        Error::ForbiddenOrigin { origin: String::new(), listed: true },
    ];
    errors.iter().map(|e| (e.code(), e.hint())).chain([(WASM_LOAD.code, WASM_LOAD.hint)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_and_result_member_is_declared() {
        let d = declarations();
        for (code, _) in Error::CODES {
            assert!(d.contains(&["  ", code, ": '", code, "';"].concat()), "{code}");
        }
        for (name, ..) in RESULT {
            assert!(d.contains(&["  ", name].concat()), "{name}");
        }
    }

    #[test]
    fn one_common_error_per_code_in_order() {
        let codes: Vec<&str> = common_hints().iter().map(|(code, _)| *code).collect();
        // A build without the `jwt` feature never makes ERR_UNSUPPORTED_ALGORITHM.
        let declared: Vec<&str> = Error::CODES
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| cfg!(feature = "jwt") || *c != "ERR_UNSUPPORTED_ALGORITHM")
            .collect();
        assert_eq!(codes, declared);
        assert!(WASM_LOAD.hint.ends_with('.') && WASM_LOAD.hint.len() < 240);
    }
}
