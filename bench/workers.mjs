// Workers startup and memory in workerd, through Miniflare. Each contender is a Worker script
// bundled by esbuild the way wrangler bundles one (conditions workerd, worker, browser; ESM, not
// minified); this package's .wasm stays a separate CompiledWasm module beside the bundle, as
// Workers deploy it. The Worker's first request asks the loopback token server (the binding
// TOKEN_ENDPOINT) for a token with clients.mjs's requester and answers the access token.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

import { US, TOKEN_JSON } from './clients.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const PKG = join(BENCH, '..', 'pkg');
const WASM = 'oauth_token_connection_bg.wasm';
// Virtual root: module names are paths relative to it.
const ROOT = '/worker';
const COMPATIBILITY_DATE = '2025-01-01';
const now = () => Number(process.hrtime.bigint());

/** The timed Worker: `lib` is the contender's whole module (none for 'floor', a bare fetch). */
function tokenWorker(name) {
  return `${name === 'floor' ? 'const lib = null;' : `import * as lib from '${name}';`}
import { requesters } from './clients.mjs';
let call;
export default {
  async fetch(request, env) {
    // Bound: workerd's fetch refuses any other \`this\` (a peer may call it as a method).
    call ??= requesters['${name}'](lib, env.TOKEN_ENDPOINT, fetch.bind(globalThis));
    return new Response(await call());
  },
};
`;
}

/**
 * This package's Worker for memory: GET /memory answers the wasm memory's size; /token requests
 * one token from the loopback server; /connections?n= creates n connections whose token
 * requests go to an in-process stub, each gets its token, and answers the size with all of them
 * alive. package.js's initSync() hands back the instance workerd.js initialized (same module).
 */
function memoryWorker() {
  return `import * as lib from '${US}';
import { initSync } from '${join(PKG, 'package.js')}';
import { requesters, stubFetch, STUB_ENDPOINT, CLIENT_ID, CLIENT_SECRET, SCOPE } from './clients.mjs';
const wasmBytes = () => initSync().memory.buffer.byteLength;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/token') {
      const token = await requesters['${US}'](lib, env.TOKEN_ENDPOINT)();
      return Response.json({ token, wasmBytes: wasmBytes() });
    }
    if (url.pathname === '/connections') {
      const config = { tokenEndpoint: STUB_ENDPOINT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE, fetch: stubFetch };
      const conns = Array.from({ length: Number(url.searchParams.get('n')) }, () => lib.createConnection(config));
      const tokens = (await Promise.all(conns.map((c) => c.token()))).map((t) => t.accessToken);
      return Response.json({ tokens: [...new Set(tokens)], wasmBytes: wasmBytes() });
    }
    return Response.json({ wasmBytes: wasmBytes() });
  },
};
`;
}

/** Bundles a Worker's source; returns Miniflare's module list (the .wasm as its own module). */
async function modules(source) {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    stdin: { contents: source, resolveDir: BENCH, loader: 'js', sourcefile: 'worker.mjs' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['*.wasm'], // workerd.js imports './oauth_token_connection_bg.wasm': kept as a module
    write: false, logLevel: 'silent',
  });
  const js = r.outputFiles[0].text;
  const list = [{ type: 'ESModule', path: join(ROOT, 'worker.mjs'), contents: js }];
  if (js.includes(WASM)) list.push({ type: 'CompiledWasm', path: join(ROOT, WASM), contents: readFileSync(join(PKG, WASM)) });
  return list;
}

/** The bundled timed Worker of each contender in `names`. */
export async function buildWorkers(names) {
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await modules(tokenWorker(n))])));
}

const options = (mods, endpoint) => ({
  modules: mods, modulesRoot: ROOT, compatibilityDate: COMPATIBILITY_DATE, bindings: { TOKEN_ENDPOINT: endpoint },
});

/**
 * One Workers cold start: ms from `new Miniflare` to ready (workerd started, the script loaded),
 * of the first dispatchFetch (the token request), and of both; then the instance is disposed.
 */
export async function startOnce(mods, endpoint) {
  const t0 = now();
  const mf = new Miniflare(options(mods, endpoint));
  try {
    await mf.ready;
    const t1 = now();
    const res = await mf.dispatchFetch('http://worker.test/');
    const token = await res.text();
    const t2 = now();
    return { ready: (t1 - t0) / 1e6, firstFetch: (t2 - t1) / 1e6, total: (t2 - t0) / 1e6, status: res.status, token };
  } finally {
    await mf.dispose();
  }
}

/** The wasm memory of this package's instance in workerd: at rest, after one token, after n connections. */
export async function workerMemory(endpoint, n) {
  const mf = new Miniflare(options(await modules(memoryWorker()), endpoint));
  try {
    const get = async (path) => {
      const res = await mf.dispatchFetch(`http://worker.test${path}`);
      if (res.status !== 200) throw new Error(`memory Worker answered ${res.status} to ${path}: ${await res.text()}`);
      return res.json();
    };
    const atRest = await get('/');
    const one = await get('/token');
    const many = await get(`/connections?n=${n}`);
    return {
      connections: n,
      atRest: atRest.wasmBytes,
      afterOneRequest: one.wasmBytes,
      afterConnections: many.wasmBytes,
      token: one.token,
      connectionTokens: many.tokens,
      expected: JSON.parse(TOKEN_JSON).access_token,
    };
  } finally {
    await mf.dispose();
  }
}
