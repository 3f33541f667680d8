/**
 * The default entry: requestToken, createConnection and OAuthTokenError.
 * @module oauth-token-connection
 */
export * from 'oauth-token-connection';
