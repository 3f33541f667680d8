// Node.js: instantiate synchronously from the file next to this module.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync } from './oauth_token_connection.js';
import { setFallbackCrypto } from './init.js';

initSync({ module: readFileSync(new URL('./oauth_token_connection_bg.wasm', import.meta.url)) });
// Node.js 18 has no global `crypto`: node:crypto's, loaded on first use (not at import, where
// it would cost every process milliseconds).
setFallbackCrypto(() => createRequire(import.meta.url)('node:crypto').webcrypto);

export * from './api.js';
export { OAuthTokenCoordinator } from './coordinator.js'; // full-only
