/**
 * The full entry: all of the default entry, plus previewRequest, the shared token cache and the
 * coordinator (OAuthTokenCoordinator).
 * @module oauth-token-connection/full
 */
export * from 'oauth-token-connection/full';
