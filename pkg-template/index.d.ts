import type {
  AuthorizationServerMetadata,
  ConnectionConfig,
  DiscoveryOptions,
  OAuthErrorName,
  OAuthTokenErrorCode,
  RequestPreview,
  TokenRequestConfig,
  TokenResult,
} from './types.js';

export type * from './types.js';

/**
 * Every failure of this package.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export declare class OAuthTokenError extends Error {
  /** Always 'OAuthTokenError'. */
  readonly name: 'OAuthTokenError';
  /** Stable code; match on it, not on the message. */
  readonly code: OAuthTokenErrorCode;
  /** One sentence on what to do about it. */
  readonly hint: string;
  /** HTTP status, when a response was received. */
  readonly status?: number;
  /** RFC 6749 §5.2 `error`, for ERR_OAUTH. */
  readonly error?: OAuthErrorName;
  /** RFC 6749 §5.2 `error_description`. */
  readonly errorDescription?: string;
  /** RFC 6749 §5.2 `error_uri`. */
  readonly errorUri?: string;
  /** The host's original error (e.g. Node's TypeError with a TLS `cause.code`). */
  readonly cause?: unknown;
}

/**
 * Requests an access token with the client credentials (RFC 6749 §4.4), resource owner
 * password credentials (§4.3) or refresh token (§6) grant. Rejects with {@link OAuthTokenError};
 * `config.signal` aborts it with `ERR_ABORTED` (the signal's `reason` as `cause`).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export declare function requestToken(config: TokenRequestConfig): Promise<TokenResult>;

/** One authorization for many REST calls; see {@link createConnection}. */
export interface Connection {
  /**
   * A valid token result: the cached one while valid (renewed `refreshSkewSeconds` before
   * `expiresAt`; one without `expiresIn` until `invalidate()` or a 401), else the one request in
   * flight, shared by every concurrent caller. A failed request rejects every waiting caller
   * with the same {@link OAuthTokenError}; the next call tries again.
   */
  token(): Promise<TokenResult>;
  /**
   * `fetch` with `<headerName>: <headerPrefix> <access_token>` (RFC 6750 §2.1). A header of that
   * name set by the caller is left alone. On a 401 the token is dropped, and the call is retried
   * once with a new one when the body can be sent again (strings, buffers, URLSearchParams,
   * FormData, Blobs, Requests; not streams); otherwise, and for every other status, the response
   * is returned untouched.
   * Rejects with {@link OAuthTokenError} when no token can be obtained.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * Forgets the held token (a held refresh token is kept); the next call requests a new one.
   * With a `coordinator`, returns a promise that settles once its object has dropped the token
   * (only while it is still the object's current one); await it in a Worker, which may cancel
   * what nothing awaits once the response is sent. Without one, returns undefined.
   */
  invalidate(): Promise<void> | undefined;
  /** The last token result (its `json` is the endpoint's object, verbatim), or undefined. */
  readonly lastResult: TokenResult | undefined;
  /**
   * The key of this connection's entry in `cache`, or the name of its `coordinator`'s object:
   * `otc:v2:` + the hex HMAC-SHA-256 of the endpoint, client id, grant type, scope, user name and
   * extra parameters, keyed by the client secret, password and refresh token (so it reveals
   * none of them), e.g. to delete a stored token by hand. Undefined without either (always, in
   * the default entry: both are in `oauth-token-connection/full`) or without `crypto.subtle`.
   */
  cacheKey(): Promise<string | undefined>;
}

/**
 * Creates a connection. It never throws: an invalid configuration rejects every `token()` and
 * `fetch()` with the same ERR_INVALID_CONFIG error. Renewal uses a refresh token the endpoint
 * issued first (RFC 6749 §6), keeps a rotated one, and falls back to the configured grant when
 * the endpoint refuses it. With `cache` (e.g. a Workers KV namespace; `oauth-token-connection/full`
 * only), a renewal first takes a valid token another connection stored there, and stores the one
 * it gets from the endpoint.
 */
export declare function createConnection(config: ConnectionConfig): Connection;

// full-only:start
/**
 * Only in `oauth-token-connection/full`.
 * The request {@link requestToken} would send for `config`, with the client secret, password and
 * refresh token masked (`********`; Authorization as `Basic base64(<id>:********)`). Nothing is sent. Rejects
 * with {@link OAuthTokenError} for an invalid config.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export declare function previewRequest(config: TokenRequestConfig): Promise<RequestPreview>;

/**
 * Only in `oauth-token-connection/full`.
 * The authorization server metadata of `issuer`, as published: fetched from the RFC 8414 §3.1
 * URL (`/.well-known/oauth-authorization-server` before the issuer's path), else the OpenID
 * Connect one (`<issuer>/.well-known/openid-configuration`); its `issuer` must equal the given
 * one (§3.3, else ERR_INVALID_RESPONSE) and its `token_endpoint` must be https: (http: for
 * loopback hosts, else ERR_INSECURE_ENDPOINT). Pass the result as the `issuer` setting, and
 * {@link requestToken} sends the token request without discovering again.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export declare function discover(issuer: string | URL, options?: DiscoveryOptions): Promise<AuthorizationServerMetadata>;

/**
 * Only in `oauth-token-connection/full`.
 * The Durable Object class behind `createConnection`'s `coordinator`: export it from the Worker
 * (`export { OAuthTokenCoordinator } from 'oauth-token-connection/full'`), bind it in
 * wrangler.toml (`class_name = "OAuthTokenCoordinator"`, with a migration that creates the
 * class), and pass the binding as `coordinator`. One object per configuration holds the token
 * in memory and in its storage; it never stores the client secret or the password.
 */
export declare class OAuthTokenCoordinator {
  /** Marks the class as a Durable Object for `DurableObjectNamespace<OAuthTokenCoordinator>` (types only). */
  __DURABLE_OBJECT_BRAND: never;
  /** Called by the runtime. */
  constructor(state: import('./types.js').TokenCoordinatorState, env?: unknown);
  /** Answers a connection's ask (POST); called by the runtime for the connection. */
  fetch(request: Request): Promise<Response>;
}
// full-only:end
