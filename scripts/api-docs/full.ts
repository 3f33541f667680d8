/**
 * The full entry: all of the default entry, plus previewRequest and the shared token cache.
 * @module oauth-token-connection/full
 */
export * from 'oauth-token-connection/full';
