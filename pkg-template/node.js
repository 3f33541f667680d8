// Node.js: instantiate synchronously from the file next to this module.
import { readFileSync } from 'node:fs';
import { initSync } from './oauth_token_connection.js';

initSync({ module: readFileSync(new URL('./oauth_token_connection_bg.wasm', import.meta.url)) });

export * from './api.js';
