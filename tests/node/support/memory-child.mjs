// Child process of memory.test.mjs, run with --expose-gc: many sequential calls in ONE instance of
// the package, measuring the wasm memory (memory.buffer.byteLength), the wasm-bindgen externref
// table (its slots in use, and its length) and the JS heap after gc() once warmed up and again at
// the end. Prints one JSON line.
//
// Phases (each every 10th call an error, since error paths are where leaks hide):
//   stub      requestToken against an in-process stub fetch returning canned Responses
//   loopback  requestToken against a plain node:http token server on 127.0.0.1 (real fetch)
//   connection token()/invalidate() cycles of one createConnection, on the stub fetch
// argv: stubCalls loopbackCalls connectionCycles warmup [leak-externrefs]
//
// With `leak-externrefs` the child leaks on purpose: after every call it keeps one more JS value
// in the wasm-bindgen externref table, as an adapter that never drops a JsValue would, so that
// memory.test.mjs can show its externref bound catches such a leak.

import http from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';

const [STUB_CALLS, LOOPBACK_CALLS, CONNECTION_CYCLES, WARMUP] = process.argv.slice(2, 6).map(Number);
const LEAK = process.argv[6] === 'leak-externrefs';
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

// The wasm instance the package uses: package.js (with the wasm-bindgen glue) is the module the
// entry imported (same URL), and its initSync() returns the initialized exports as they are.
const glue = await import(new URL('./package.js', import.meta.resolve('oauth-token-connection')));
const wasm = glue.initSync();
if (!(wasm.memory instanceof WebAssembly.Memory)) throw new Error('no wasm memory export');
// The externref table (the JS values the .wasm holds), by the name wasm-bindgen gives it; null
// when the instance exports no such table (memory.test.mjs then fails: its bound cannot run).
const externrefs = wasm.__wbindgen_externrefs instanceof WebAssembly.Table ? wasm.__wbindgen_externrefs : null;

/** The table's slots in use: wasm-bindgen sets a freed slot to null (its length only ever grows). */
function liveExternrefs() {
  let live = 0;
  for (let i = 0; i < externrefs.length; i += 1) if (externrefs.get(i) !== null) live += 1;
  return live;
}

/** Leaking mode: one more table slot kept per call, allocated as the glue's addToExternrefTable does. */
function leakOne(i) {
  if (externrefs === null || typeof wasm.__externref_table_alloc !== 'function') {
    throw new Error('leak-externrefs: the instance exports no __wbindgen_externrefs table or __externref_table_alloc');
  }
  externrefs.set(wasm.__externref_table_alloc(), { leaked: i });
}

const TOKEN = JSON.stringify({ access_token: 'mem-token', token_type: 'Bearer', expires_in: 3600, scope: 'read', extra: { a: [1, 2, 3] } });
const ERROR = JSON.stringify({ error: 'invalid_client', error_description: 'Client authentication failed' });
const HEADERS = { 'content-type': 'application/json' };
const config = (tokenEndpoint) => ({
  tokenEndpoint, clientId: 'memory-client', clientSecret: 'memory secret +:%ü', scope: 'read write',
});

async function measure() {
  for (let i = 0; i < 3; i += 1) {
    globalThis.gc();
    await tick(); // let FinalizationRegistry callbacks (wasm-bindgen frees) run
  }
  globalThis.gc();
  return {
    wasmBytes: wasm.memory.buffer.byteLength,
    externrefs: externrefs === null ? null : liveExternrefs(),
    externrefTableLength: externrefs?.length ?? null,
    heapUsed: process.memoryUsage().heapUsed,
  };
}

/** Runs `total` calls of `one(i)`, measuring after `WARMUP` and at the end. */
async function phase(total, one) {
  const t0 = performance.now();
  const counts = { ok: 0, errors: 0 };
  const run = async (from, to) => {
    for (let i = from; i < to; i += 1) {
      try {
        await one(i);
        counts.ok += 1;
      } catch (e) {
        if (!(e instanceof OAuthTokenError) || e.code !== 'ERR_OAUTH') throw e;
        counts.errors += 1;
      }
      if (LEAK) leakOne(i);
    }
  };
  await run(0, WARMUP);
  const before = await measure();
  await run(WARMUP, total);
  const after = await measure();
  return { calls: total, ...counts, before, after, ms: Math.round(performance.now() - t0) };
}

const realFetch = globalThis.fetch;
let stubCalls = 0;
const stubFetch = async () => {
  stubCalls += 1;
  return stubCalls % 10 === 0
    ? new Response(ERROR, { status: 401, headers: HEADERS })
    : new Response(TOKEN, { status: 200, headers: HEADERS });
};

const out = { startWasmBytes: wasm.memory.buffer.byteLength };

globalThis.fetch = stubFetch;
out.stub = await phase(STUB_CALLS, async () => {
  const r = await requestToken(config('https://auth.example/token'));
  if (r.accessToken !== 'mem-token') throw new Error('wrong token');
});

globalThis.fetch = realFetch;
let served = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    served += 1;
    const body = served % 10 === 0 ? ERROR : TOKEN;
    res.writeHead(served % 10 === 0 ? 400 : 200, { ...HEADERS, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  const url = `http://127.0.0.1:${server.address().port}/token`;
  out.loopback = await phase(LOOPBACK_CALLS, async () => {
    const r = await requestToken(config(url));
    if (r.accessToken !== 'mem-token') throw new Error('wrong token');
  });
  out.loopback.served = served;
} finally {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

globalThis.fetch = stubFetch;
stubCalls = 0;
const conn = createConnection(config('https://auth.example/token'));
out.connection = await phase(CONNECTION_CYCLES, async () => {
  try {
    const r = await conn.token();
    if (r.accessToken !== 'mem-token') throw new Error('wrong token');
  } finally {
    conn.invalidate();
  }
});

// Oversized configuration strings (8 MiB each, as a value, an array item and a key): refused by
// name with ERR_INVALID_CONFIG, and never copied whole into wasm memory (which never shrinks).
globalThis.fetch = realFetch;
const huge = 'x'.repeat(8 * 1024 * 1024);
const oversized = [
  { clientSecret: huge }, { clientId: huge }, { scope: huge },
  { extraParams: { resource: ['a', huge] } }, { [huge]: 'x' },
];
const beforeOversized = await measure();
let refused = 0;
for (let round = 0; round < 4; round += 1) {
  for (const extra of oversized) {
    try {
      await requestToken({ ...config('https://auth.example/token'), ...extra });
    } catch (e) {
      if (e?.code !== 'ERR_INVALID_CONFIG' || !/longer than 65536 bytes|^unknown configuration key/.test(e.message)) throw e;
      refused += 1;
    }
  }
}
out.oversized = { calls: 4 * oversized.length, refused, before: beforeOversized, after: await measure() };

process.stdout.write(`${JSON.stringify(out)}\n`);
