// Node.js: instantiate from the file next to this module. `process.getBuiltinModule` (Node.js
// 20.16+, 22.3+) reaches node:fs synchronously without importing it as a module, which costs a
// fresh process about 3 ms; on older versions (Node.js 18) the .wasm and node:crypto are loaded
// on first use.
import { initSync } from './oauth_token_connection.js';
import { setFallbackCrypto, setLoader } from './init.js';

const wasmUrl = new URL('./oauth_token_connection_bg.wasm', import.meta.url);
const builtin = process.getBuiltinModule;
if (typeof builtin === 'function') {
  initSync({ module: builtin('node:fs').readFileSync(wasmUrl) });
  // Without a global `crypto` (a flag can remove it), node:crypto's, loaded on first use.
  setFallbackCrypto(() => builtin('node:crypto').webcrypto);
} else {
  setLoader(async () => {
    const [{ readFileSync }, { webcrypto }] = await Promise.all([import('node:fs'), import('node:crypto')]);
    // Node.js 18 has no global `crypto` without a flag.
    setFallbackCrypto(() => webcrypto);
    initSync({ module: readFileSync(wasmUrl) });
  }, wasmUrl);
}

export * from './api.js';
export { OAuthTokenCoordinator } from './coordinator.js'; // full-only
