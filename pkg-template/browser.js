// Browsers and bundlers: fetch and instantiate the .wasm on first use. Bundlers (Vite, webpack,
// esbuild with a file loader) recognise `new URL('...', import.meta.url)` and emit the asset.
import init from './oauth_token_connection.js';
import { setLoader } from './init.js';

const wasmUrl = new URL('./oauth_token_connection_bg.wasm', import.meta.url);
setLoader(() => init({ module_or_path: wasmUrl }), wasmUrl);

export * from './api.js';
export { OAuthTokenCoordinator } from './coordinator.js'; // full-only
