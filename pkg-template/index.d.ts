import type {
  OAuthTokenErrorCode,
  TokenRequestConfig,
  TokenResult,
} from './oauth_token_connection.js';

export type { OAuthTokenErrorCode, TokenRequestConfig, TokenResult };

/**
 * Every failure of this package.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export declare class OAuthTokenError extends Error {
  readonly name: 'OAuthTokenError';
  /** Stable code; match on it, not on the message. */
  readonly code: OAuthTokenErrorCode;
  /** HTTP status, when a response was received. */
  readonly status?: number;
  /** RFC 6749 §5.2 `error`, for ERR_OAUTH. */
  readonly error?: string;
  /** RFC 6749 §5.2 `error_description`. */
  readonly errorDescription?: string;
  /** RFC 6749 §5.2 `error_uri`. */
  readonly errorUri?: string;
  /** The host's original error (e.g. Node's TypeError with a TLS `cause.code`). */
  readonly cause?: unknown;
}

/**
 * Requests an access token with the client credentials (RFC 6749 §4.4) or resource owner
 * password credentials (§4.3) grant. Rejects with {@link OAuthTokenError}.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export declare function requestToken(config: TokenRequestConfig): Promise<TokenResult>;

import type { RequestPreview } from './oauth_token_connection.js';
export type { RequestPreview };

/**
 * The request {@link requestToken} would send for `config`, with the client secret and password
 * masked (`********`; Authorization as `Basic base64(<id>:********)`). Nothing is sent. Rejects
 * with {@link OAuthTokenError} for an invalid config.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export declare function previewRequest(config: TokenRequestConfig): Promise<RequestPreview>;
