// Compiled by tests/hosts/package.test.mjs with `tsc --noEmit --strict` inside a temporary
// project that installed the packed tarball: the declarations users get resolve and type what
// they write, and reject what they must not write (each @ts-expect-error must be needed).
import { requestToken, OAuthTokenError } from 'oauth-token-connection';
import type { OAuthTokenErrorCode, TokenRequestConfig, TokenResult } from 'oauth-token-connection';

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

// @ts-expect-error grantType is 'client_credentials' or 'password'
const wrongGrant: TokenRequestConfig = { tokenEndpoint: 'https://a.example/t', clientId: 'c', grantType: 'authorization_code' };
// @ts-expect-error clientId is required
const missingClientId: TokenRequestConfig = { tokenEndpoint: 'https://a.example/t', clientSecret: 's' };
// @ts-expect-error an unknown code is not an OAuthTokenErrorCode
const unknownCode: OAuthTokenErrorCode = 'ERR_UNKNOWN';
// @ts-expect-error the result's accessToken is a string
const notANumber: number = (null as unknown as TokenResult).accessToken;
void [wrongGrant, missingClientId, unknownCode, notANumber];
