import { requestToken as rawRequestToken } from './oauth_token_connection.js';
import { ready } from './init.js';

/**
 * Every failure of this package: a real Error with a stable `code`, and, where known, the HTTP
 * `status`, the RFC 6749 §5.2 fields (`error`, `errorDescription`, `errorUri`) and the host's
 * original error as `cause`.
 */
export class OAuthTokenError extends Error {}
Object.defineProperty(OAuthTokenError.prototype, 'name', {
  value: 'OAuthTokenError',
  writable: true,
  configurable: true,
});

/**
 * Requests an access token from the token endpoint (RFC 6749 §4.4 or §4.3).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export async function requestToken(config) {
  await ready();
  return rawRequestToken(config, OAuthTokenError);
}
