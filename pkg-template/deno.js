// Deno: a source-phase import gives the compiled WebAssembly.Module through the module loader,
// so the package needs no --allow-read (only --allow-net for the token endpoint).
import source wasmModule from './oauth_token_connection_bg.wasm';
import { initSync } from './oauth_token_connection.js';

initSync({ module: wasmModule });

export * from './api.js';
export { OAuthTokenCoordinator } from './coordinator.js'; // full-only
