import { requestToken as rawRequestToken } from './oauth_token_connection.js';
import { ready } from './init.js';
import { previewRequest as rawPreviewRequest } from './oauth_token_connection.js';

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

/**
 * The request requestToken would send for `config`, with the client secret and password masked:
 * method, URL, headers, form body, fetch options and notes on the encodings applied. Nothing is
 * sent. Rejects with OAuthTokenError for an invalid config, as requestToken does.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export async function previewRequest(config) {
  await ready();
  return rawPreviewRequest(config, OAuthTokenError);
}
