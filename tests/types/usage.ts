// Compiled with `tsc -p tests/types` against the built package's declarations: what users write
// must type-check, and what they must not write must fail (each @ts-expect-error must be needed).
import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import type {
  Connection,
  ConnectionConfig,
  OAuthTokenErrorCode,
  TokenRequestConfig,
  TokenResult,
} from 'oauth-token-connection';

const config: TokenRequestConfig = {
  tokenEndpoint: 'https://auth.example.com/token',
  grantType: 'password',
  clientId: 'id',
  clientSecret: 'secret',
  scope: 'read write',
  username: 'alice',
  password: 'pw',
  clientAuthentication: 'body',
  basicEncoding: 'none',
  sslMode: 'verify',
  timeoutSeconds: 10,
  ignoreCookiesPolicy: true,
  maxResponseBytes: 1024,
};

async function use(): Promise<string> {
  const r: TokenResult = await requestToken(config);
  const token: string = r.accessToken;
  const type: string = r.tokenType;
  const expiresAt: number | undefined = r.expiresAt;
  const warnings: string[] = r.warnings;
  const json: Record<string, unknown> = r.json;
  void [type, expiresAt, warnings, json];
  return token;
}

// The request preview, in the full entry (imports are hoisted; kept next to their use).
import { previewRequest } from 'oauth-token-connection/full';
import type { RequestPreview } from 'oauth-token-connection/full';
// The default entry does not declare it.
// @ts-expect-error previewRequest is in oauth-token-connection/full
import { previewRequest as notInDefault } from 'oauth-token-connection';
void notInDefault;

async function preview(): Promise<string> {
  const p: RequestPreview = await previewRequest(config);
  const first: [string, string] | undefined = p.headers[0];
  const redirect: 'manual' = p.fetchOptions.redirect;
  void [first, redirect, p.notes, p.url, p.method];
  return p.body;
}
void preview;

function handle(err: unknown): OAuthTokenErrorCode | undefined {
  if (err instanceof OAuthTokenError) {
    const name: 'OAuthTokenError' = err.name;
    const status: number | undefined = err.status;
    const e: string | undefined = err.error;
    void [name, status, e, err.errorDescription, err.errorUri, err.cause, err.stack];
    return err.code;
  }
  return undefined;
}

// Every code is in the union, and nothing else is.
const codes: OAuthTokenErrorCode[] = [
  'ERR_INVALID_CONFIG', 'ERR_UNSUPPORTED_SSL_MODE', 'ERR_INSECURE_ENDPOINT', 'ERR_NETWORK',
  'ERR_TLS', 'ERR_TIMEOUT', 'ERR_UNEXPECTED_REDIRECT', 'ERR_OAUTH', 'ERR_HTTP_STATUS',
  'ERR_INVALID_RESPONSE', 'ERR_RESPONSE_TOO_LARGE', 'ERR_ABORTED', 'ERR_INTERNAL', 'ERR_UNSUPPORTED_ALGORITHM',
];
// @ts-expect-error not a code
const notACode: OAuthTokenErrorCode = 'ERR_SOMETHING_ELSE';

// @ts-expect-error grantType is a closed set
const badGrant: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', grantType: 'implicit' };
// @ts-expect-error tokenEndpoint is required
const missingEndpoint: TokenRequestConfig = { clientId: 'i' };
// @ts-expect-error unknown keys are errors at compile time too
const typo: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', clientSecert: 's' };
// @ts-expect-error timeoutSeconds is a number
const badTimeout: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', timeoutSeconds: '30' };
// @ts-expect-error requestToken takes exactly the config (the error class is internal)
void requestToken(config, OAuthTokenError);
// @ts-expect-error so does previewRequest
void previewRequest(config, OAuthTokenError);

// The config narrows on grantType: each grant requires what it needs and refuses the others'.
const password: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', grantType: 'password', username: 'u', password: 'p' };
// @ts-expect-error the password grant requires username
const noUsername: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', grantType: 'password', password: 'p' };
// @ts-expect-error the password grant requires password
const noPassword: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', grantType: 'password', username: 'u' };
// @ts-expect-error the refresh_token grant requires refreshToken
const noRefreshToken: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', grantType: 'refresh_token' };
// @ts-expect-error client credentials take no username
const strayUsername: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', clientSecret: 's', username: 'u' };
// @ts-expect-error the password grant takes no refreshToken
const strayRefresh: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', grantType: 'password', username: 'u', password: 'p', refreshToken: 'r' };
// @ts-expect-error a connection narrows the same way
const connNoPassword: ConnectionConfig = { tokenEndpoint: 'x', clientId: 'i', grantType: 'password', username: 'u' };
// `error` offers the RFC 6749 section 5.2 names and still takes any string a server sends.
function oauthError(e: OAuthTokenError): string {
  if (e.error === 'invalid_client') return e.hint;
  const other: string | undefined = e.error;
  return other ?? e.hint;
}
void [password, noUsername, noPassword, noRefreshToken, strayUsername, strayRefresh, connNoPassword, oauthError];

const refresh: TokenRequestConfig = {
  tokenEndpoint: 'https://auth.example.com/token',
  grantType: 'refresh_token',
  refreshToken: 'rt',
  clientId: 'id',
  extraParams: { audience: 'https://api.example.com', resource: ['https://a/', 'https://b/'] },
};

const connectionConfig: ConnectionConfig = {
  ...config,
  refreshSkewSeconds: 30,
  headerName: 'Authorization',
  headerPrefix: 'Bearer',
};

async function rest(): Promise<unknown> {
  const conn: Connection = createConnection(connectionConfig);
  const t: TokenResult = await conn.token();
  const res: Response = await conn.fetch('https://api.example.com/items', { method: 'POST', body: '{}' });
  const res2: Response = await conn.fetch(new URL('https://api.example.com/'));
  const res3: Response = await conn.fetch(new Request('https://api.example.com/'));
  conn.invalidate();
  const last: TokenResult | undefined = conn.lastResult;
  void [t, res2, res3, last];
  return res.json();
}

// Abort: an AbortSignal (ERR_ABORTED, cause = its reason), for requestToken and previewRequest.
async function abortable(): Promise<string> {
  const controller = new AbortController();
  const pending = requestToken({ ...config, signal: controller.signal });
  controller.abort(new Error('cancelled'));
  try {
    return (await pending).accessToken;
  } catch (err) {
    if (err instanceof OAuthTokenError && err.code === 'ERR_ABORTED') return String(err.cause);
    throw err;
  }
}
const timed: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', signal: AbortSignal.timeout(5000) };
void previewRequest(timed);
// @ts-expect-error signal is an AbortSignal, not a string
const badSignal: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', signal: 'abort' };
// @ts-expect-error createConnection refuses signal (its renewals are shared by every caller)
const connectionSignal: ConnectionConfig = { tokenEndpoint: 'x', clientId: 'i', signal: new AbortController().signal };

// @ts-expect-error extraParams values are strings or arrays of strings
const badExtra: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', extraParams: { max_age: 5 } };
// @ts-expect-error connection options belong to createConnection
const notForRequest: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', refreshSkewSeconds: 5 };
// @ts-expect-error lastResult is read-only
createConnection(connectionConfig).lastResult = undefined;

// The shared cache (oauth-token-connection/full): a Workers KV namespace (its declared shape,
// overloads included) fits.
import type { TokenCache } from 'oauth-token-connection/full';
import { createConnection as createFullConnection } from 'oauth-token-connection/full';
interface KVNamespaceLike {
  get(key: string, options?: Partial<{ type: 'text'; cacheTtl: number }>): Promise<string | null>;
  get(key: string, type: 'json'): Promise<unknown>;
  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  put(key: string, value: string | ArrayBuffer | ReadableStream, options?: { expiration?: number; expirationTtl?: number; metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
}
declare const TOKENS: KVNamespaceLike;
const memory = new Map<string, string>();
const mapCache: TokenCache = { get: (k) => memory.get(k), put: (k, v) => void memory.set(k, v) };
async function shared(): Promise<string | undefined> {
  const conn = createFullConnection({ ...connectionConfig, cache: TOKENS });
  createFullConnection({ ...connectionConfig, cache: mapCache });
  return conn.cacheKey();
}
// @ts-expect-error a cache needs put
const noPut: ConnectionConfig = { tokenEndpoint: 'x', clientId: 'i', cache: { get: async () => null } };
// @ts-expect-error cache belongs to createConnection
const cacheForRequest: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', cache: mapCache };

void [shared, noPut, cacheForRequest];

// The coordinator (oauth-token-connection/full): a Durable Object namespace, typed as
// `wrangler types` generates it, `DurableObjectNamespace<OAuthTokenCoordinator>`, with the shapes
// @cloudflare/workers-types declares (its brand included).
import { OAuthTokenCoordinator } from 'oauth-token-connection/full';
import type { TokenCoordinator } from 'oauth-token-connection/full';
declare namespace Rpc {
  const __DURABLE_OBJECT_BRAND: '__DURABLE_OBJECT_BRAND';
  interface DurableObjectBranded {
    [__DURABLE_OBJECT_BRAND]: never;
  }
}
interface DurableObjectId {
  toString(): string;
  equals(other: DurableObjectId): boolean;
  readonly name?: string;
}
interface DurableObjectStub<T> {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  readonly id: DurableObjectId;
  readonly brand?: T;
}
interface DurableObjectNamespace<T extends Rpc.DurableObjectBranded | undefined = undefined> {
  newUniqueId(): DurableObjectId;
  idFromName(name: string): DurableObjectId;
  idFromString(id: string): DurableObjectId;
  get(id: DurableObjectId, options?: { locationHint?: string }): DurableObjectStub<T>;
}
declare const env: { TOKENS: DurableObjectNamespace<OAuthTokenCoordinator>; KV: KVNamespaceLike };
async function coordinated(): Promise<void> {
  const conn = createFullConnection({ ...connectionConfig, coordinator: env.TOKENS });
  const dropped: Promise<void> | undefined = conn.invalidate();
  await dropped;
  const binding: TokenCoordinator = env.TOKENS;
  void binding;
  // With discovery, retries and the REST calls' own fetch (the object sends the token requests).
  createFullConnection({
    issuer: 'https://login.example.com/tenant',
    clientId: 'i',
    clientSecret: 's',
    retry: { attempts: 1 },
    restFetch: (input, init) => fetch(input, init),
    coordinator: env.TOKENS,
  });
}
// The Worker re-exports the class; wrangler instantiates it.
export { OAuthTokenCoordinator };
// @ts-expect-error workers-types' namespace refuses a class without the Durable Object brand
type Unbranded = DurableObjectNamespace<{ fetch(request: Request): Promise<Response> }>;
// @ts-expect-error coordinator belongs to createConnection
const coordinatorForRequest: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', coordinator: env.TOKENS };
// @ts-expect-error a KV namespace is not a coordinator
const kvAsCoordinator: ConnectionConfig = { tokenEndpoint: 'x', clientId: 'i', coordinator: env.KV };
// The default entry has no coordinator class.
// @ts-expect-error not in the default entry
import { OAuthTokenCoordinator as notInDefault } from 'oauth-token-connection';

void [coordinated, coordinatorForRequest, kvAsCoordinator, notInDefault];
const unbranded: Unbranded | undefined = undefined;
void unbranded;
void [use, handle, codes, notACode, badGrant, missingEndpoint, typo, badTimeout, refresh, rest, badExtra, notForRequest,
  abortable, badSignal, connectionSignal];

// Signed assertions (oauth-token-connection/full; declared in both entries, like `cache`).
declare const cryptoKey: CryptoKey;
declare const jwk: JsonWebKey;
const pem = '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----';
const privateKeyJwt: TokenRequestConfig = {
  tokenEndpoint: 'x', clientId: 'i', clientAuthentication: 'private_key_jwt', privateKey: pem,
  signingAlgorithm: 'PS256', keyId: 'k', certificate: pem, assertionAudience: 'x', assertionLifetimeSeconds: 60,
};
const withJwk: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', privateKey: jwk };
const withCryptoKey: ConnectionConfig = { tokenEndpoint: 'x', clientId: 'i', privateKey: cryptoKey, refreshSkewSeconds: 30 };
const secretJwt: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', clientSecret: 's', clientAuthentication: 'client_secret_jwt', signingAlgorithm: 'HS512' };
// The jwt_bearer grant needs no clientId; a service account needs no tokenEndpoint either.
const bearer: TokenRequestConfig = {
  tokenEndpoint: 'x', grantType: 'jwt_bearer', privateKey: pem, issuer: 'i', subject: 's', audience: 'a',
  assertionClaims: { scope: 'a b', n: 1, ok: true, list: ['x'] }, scope: 'a',
};
const bearerUrn: ConnectionConfig = { tokenEndpoint: 'x', grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', privateKey: pem, issuer: 'i' };
declare const keyFileText: string;
const google: TokenRequestConfig = { serviceAccount: JSON.parse(keyFileText), scope: 'https://www.googleapis.com/auth/cloud-platform' };
const googleConnection: ConnectionConfig = {
  serviceAccount: { client_email: 'a@b', private_key: pem, project_id: 'p' }, subject: 'user@example.com', headerName: 'Authorization',
};
// @ts-expect-error signingAlgorithm is a closed set ('none' is not in it)
const algNone: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', privateKey: pem, signingAlgorithm: 'none' };
// @ts-expect-error privateKey is a PEM string, a JWK or a CryptoKey
const keyNumber: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', privateKey: 42 };
// @ts-expect-error the jwt_bearer grant takes no username
const bearerUser: TokenRequestConfig = { tokenEndpoint: 'x', grantType: 'jwt_bearer', privateKey: pem, username: 'u' };
// @ts-expect-error without a service account the jwt_bearer grant needs tokenEndpoint
const bearerNoEndpoint: TokenRequestConfig = { grantType: 'jwt_bearer', privateKey: pem, issuer: 'i' };
// @ts-expect-error a service account key holds client_email
const noEmail: TokenRequestConfig = { serviceAccount: { private_key: pem } };
// @ts-expect-error assertionClaims values are strings, numbers, booleans or arrays of strings
const nestedClaim: TokenRequestConfig = { tokenEndpoint: 'x', grantType: 'jwt_bearer', privateKey: pem, assertionClaims: { a: { b: 1 } } };
// @ts-expect-error with any other grant issuer is the URL to discover, not with tokenEndpoint
const strayIssuer: TokenRequestConfig = { tokenEndpoint: 'x', clientId: 'i', clientSecret: 's', issuer: 'i' };
// With any other grant issuer is the URL to discover: private_key_jwt from discovery.
const discoveredKey: TokenRequestConfig = { issuer: 'https://auth.example.com', clientId: 'i', privateKey: pem };
async function previewAssertion(): Promise<unknown> {
  const p = await previewRequest(privateKeyJwt);
  const masked: '********' | undefined = p.assertion?.signature;
  void masked;
  return p.assertion?.claims.jti;
}
void [privateKeyJwt, withJwk, withCryptoKey, secretJwt, bearer, bearerUrn, google, googleConnection, algNone, keyNumber,
  bearerUser, bearerNoEndpoint, noEmail, nestedClaim, strayIssuer, discoveredKey, previewAssertion];
// The caller's transport: fetch (any fetch-shaped function), restFetch, RFC 8705 client auth.
import { discover } from 'oauth-token-connection/full';
import type { AuthorizationServerMetadata } from 'oauth-token-connection/full';
// @ts-expect-error discover is in oauth-token-connection/full
import { discover as discoverNotInDefault } from 'oauth-token-connection';
void discoverNotInDefault;

const binding = { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) };
const mtls: TokenRequestConfig = {
  tokenEndpoint: 'https://auth.example.com/token',
  clientId: 'id',
  clientAuthentication: 'tls_client_auth',
  fetch: binding.fetch.bind(binding),
};
void requestToken(mtls);
void createConnection({ ...mtls, restFetch: globalThis.fetch, fetch: globalThis.fetch });
// @ts-expect-error fetch is a function, not the binding itself
void requestToken({ ...mtls, fetch: binding });

async function discovered(): Promise<TokenResult> {
  const metadata: AuthorizationServerMetadata = await discover('https://auth.example.com', { timeoutSeconds: 5 });
  const endpoint: string = metadata.token_endpoint;
  void endpoint;
  void createConnection({ issuer: 'https://auth.example.com', clientId: 'id', clientSecret: 's', retry: {} });
  return requestToken({ issuer: metadata, clientId: 'id', clientSecret: 's', retry: { attempts: 3, maxDelaySeconds: 10 } });
}
void discovered;
// @ts-expect-error tokenEndpoint or issuer, not both
void requestToken({ tokenEndpoint: 'https://a/t', issuer: 'https://a', clientId: 'id', clientSecret: 's' });
// @ts-expect-error discover() takes no client settings
void discover('https://auth.example.com', { clientId: 'id' });
