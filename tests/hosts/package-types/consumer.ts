// Compiled by tests/hosts/package.test.mjs with `tsc --noEmit --strict` inside a temporary
// project that installed the packed tarball: the declarations users get resolve and type what
// they write, and reject what they must not write (each @ts-expect-error must be needed).
import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
// previewRequest and the shared cache are in the full entry.
import { previewRequest, createConnection as createFullConnection } from 'oauth-token-connection/full';
import type {
  Connection,
  ConnectionConfig,
  OAuthTokenErrorCode,
  TokenRequestConfig,
  TokenResult,
} from 'oauth-token-connection';
import type { RequestPreview, TokenCache } from 'oauth-token-connection/full';

const clientCredentials: TokenRequestConfig = {
  tokenEndpoint: 'https://auth.example.com/oauth2/token',
  clientId: 'my-client',
  clientSecret: 'from-the-environment',
  scope: 'read write',
};

const password: TokenRequestConfig = {
  tokenEndpoint: 'https://auth.example.com/oauth2/token',
  grantType: 'password',
  clientId: 'spa',
  username: 'alice',
  password: 'pw',
  clientAuthentication: 'body',
  basicEncoding: 'form',
  sslMode: 'verify',
  timeoutSeconds: 5,
  ignoreCookiesPolicy: false,
  maxResponseBytes: 65536,
};

export async function authorization(config: TokenRequestConfig): Promise<string> {
  try {
    const token: TokenResult = await requestToken(config);
    const expiresAt: number | undefined = token.expiresAt;
    const extract: Record<string, unknown> = token.json;
    const warnings: readonly string[] = token.warnings;
    void [expiresAt, extract, warnings, token.expiresIn, token.scope, token.refreshToken];
    return `${token.tokenType} ${token.accessToken}`;
  } catch (err) {
    if (err instanceof OAuthTokenError) {
      const code: OAuthTokenErrorCode = err.code;
      const base: Error = err;
      if (code === 'ERR_OAUTH') return `${err.status ?? 0} ${err.error ?? ''} ${err.errorDescription ?? ''} ${err.errorUri ?? ''}`;
      return `${code} ${base.message} ${String(err.cause)}`;
    }
    throw err;
  }
}

void [authorization(clientCredentials), authorization(password)];

const refresh: TokenRequestConfig = {
  tokenEndpoint: 'https://auth.example.com/oauth2/token',
  grantType: 'refresh_token',
  refreshToken: 'rt',
  clientId: 'c',
  clientSecret: 's',
  extraParams: { audience: 'https://api.example.com', resource: ['https://a.example/', 'https://b.example/'] },
};

export async function preview(): Promise<string> {
  const p: RequestPreview = await previewRequest(refresh);
  return p.method + p.url + p.body;
}

export async function rest(): Promise<number> {
  const config: ConnectionConfig = { ...clientCredentials, refreshSkewSeconds: 30, headerName: 'Authorization', headerPrefix: 'Bearer' };
  const conn: Connection = createConnection(config);
  const t: TokenResult = await conn.token();
  const res: Response = await conn.fetch('https://api.example.com/items', { method: 'POST', body: JSON.stringify({ a: 1 }) });
  conn.invalidate();
  const last: TokenResult | undefined = conn.lastResult;
  void [t, last];
  return res.status;
}

// A Worker's KV binding as the shared token cache (the shape @cloudflare/workers-types declares).
interface KVNamespaceLike {
  get(key: string, options?: Partial<{ type: 'text'; cacheTtl: number }>): Promise<string | null>;
  get(key: string, type: 'json'): Promise<unknown>;
  put(key: string, value: string | ArrayBuffer | ReadableStream, options?: { expirationTtl?: number }): Promise<void>;
}
export async function sharedToken(env: { TOKENS: KVNamespaceLike }): Promise<string | undefined> {
  const conn = createFullConnection({ ...clientCredentials, cache: env.TOKENS });
  const t: TokenResult = await conn.token();
  const cache: TokenCache = env.TOKENS;
  void [t, cache];
  return conn.cacheKey();
}
// The coordinator: a Durable Object binding of the class the Worker re-exports.
import { OAuthTokenCoordinator } from 'oauth-token-connection/full';
import type { TokenCoordinator } from 'oauth-token-connection/full';
export { OAuthTokenCoordinator };
export async function coordinatedToken(env: { TOKENS: TokenCoordinator }): Promise<string> {
  const conn = createFullConnection({ ...clientCredentials, coordinator: env.TOKENS });
  const t: TokenResult = await conn.token();
  await conn.invalidate();
  return t.accessToken;
}

// @ts-expect-error the cache is a createConnection option
const cacheNotForRequestToken: TokenRequestConfig = { ...clientCredentials, cache: { get: () => null, put: () => {} } };
void cacheNotForRequestToken;

// @ts-expect-error the default entry declares no previewRequest
import { previewRequest as notInDefault } from 'oauth-token-connection';
void notInDefault;

// @ts-expect-error grantType is 'client_credentials', 'password' or 'refresh_token'
const wrongGrant: TokenRequestConfig = { tokenEndpoint: 'https://a.example/t', clientId: 'c', grantType: 'authorization_code' };
// @ts-expect-error clientId is required
const missingClientId: TokenRequestConfig = { tokenEndpoint: 'https://a.example/t', clientSecret: 's' };
// @ts-expect-error an unknown code is not an OAuthTokenErrorCode
const unknownCode: OAuthTokenErrorCode = 'ERR_UNKNOWN';
// @ts-expect-error the result's accessToken is a string
const notANumber: number = (null as unknown as TokenResult).accessToken;
// @ts-expect-error connection options are not requestToken settings
const notForRequestToken: TokenRequestConfig = { tokenEndpoint: 'https://a.example/t', clientId: 'c', headerName: 'X' };
void [wrongGrant, missingClientId, unknownCode, notANumber, notForRequestToken];
