// Node.js: instantiate synchronously from the file next to this module.
import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import { initSync } from './oauth_token_connection.js';
import { setFallbackCrypto } from './init.js';

initSync({ module: readFileSync(new URL('./oauth_token_connection_bg.wasm', import.meta.url)) });
// Node.js 18 has no global `crypto`; the cache key needs SHA-256.
setFallbackCrypto(webcrypto);

export * from './api.js';
export { OAuthTokenCoordinator } from './coordinator.js'; // full-only
