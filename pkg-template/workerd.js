// Cloudflare Workers: the .wasm is imported as a module (Workers forbid compiling wasm from bytes
// at runtime); wrangler and miniflare bundle it as CompiledWasm.
import wasmModule from './oauth_token_connection_bg.wasm';
import { initSync } from './oauth_token_connection.js';

initSync({ module: wasmModule });

export * from './api.js';
export { OAuthTokenCoordinator } from './coordinator.js'; // full-only
