// A deeply nested token response broke a cached connection's first call with
// a RangeError (JSON.stringify, outside the bounded cache write). Token responses now nest at
// most 64 levels (the response object is level 1): a clear ERR_INVALID_RESPONSE for requestToken,
// for a connection, and for a connection with a shared cache (the full entry, a Map-backed
// store with the Workers KV shape), nothing stored, and the next call works. A stored entry
// deeper than any this package writes is ignored like any unreadable entry. A token endpoint on
// 127.0.0.1 whose answer each test chooses.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { requestToken } from 'oauth-token-connection';
import { createConnection, OAuthTokenError } from 'oauth-token-connection/full';
import { startRecordingServer, send } from './support/recording-server.mjs';

const LEVELS = 100_000;
const UNREADABLE = 'Token cache: ignored an entry that is not a stored token result; the token was requested from the endpoint';

let mode = 'good';
let issued = 0;
let server;
let api;

/** The token response for `mode`, as text. */
function body() {
  const head = `{"access_token":"nest-${++issued}","token_type":"Bearer","expires_in":3600,"x":`;
  switch (mode) {
    case 'arrays': return `${head}${'['.repeat(LEVELS)}${']'.repeat(LEVELS)}}`;
    case 'objects': return `${head}${'{"a":'.repeat(LEVELS)}null${'}'.repeat(LEVELS)}}`;
    case 'mixed': return `${head}${'[{"a":'.repeat(LEVELS / 2)}1${'}]'.repeat(LEVELS / 2)}}`;
    case '64': return `${head}${'['.repeat(63)}${']'.repeat(63)}}`; // 64 levels in all
    default: return `${head}{"ok":[1]}}`;
  }
}

const config = (extra = {}) => ({ tokenEndpoint: server.url('/token'), clientId: 'nest-client', clientSecret: 'nest-secret', ...extra });

/** A store with the Workers KV shape over a Map. */
function memoryKv() {
  const map = new Map();
  return { map, puts: 0, get: async (k) => map.get(k) ?? null, async put(k, v) { this.puts += 1; map.set(k, v); } };
}

async function tooDeep(promise) {
  const err = await promise.then(() => assert.fail('resolved'), (e) => e);
  assert.ok(!(err instanceof RangeError), `a RangeError: ${err.message}`);
  assert.equal(err.name, 'OAuthTokenError', `${err.name}: ${err.message}`);
  assert.equal(err.code, 'ERR_INVALID_RESPONSE');
  assert.equal(err.status, 200);
  assert.equal(err.message, 'invalid token response: the JSON nests deeper than 64 levels (HTTP 200, content-type application/json)');
  return err;
}

/** Fails the test if a promise rejection goes unhandled while `fn` runs. */
async function noUnhandledRejections(fn) {
  const seen = [];
  const onUnhandled = (reason) => seen.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn();
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(seen.map(String), []);
}

describe(`a token response nested ${LEVELS.toLocaleString('en')} levels`, () => {
  before(async () => {
    server = await startRecordingServer((req, res) => {
      const text = body();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    api = await startRecordingServer((req, res) => send(res, 200, { ok: true }));
  });
  after(async () => {
    await Promise.all([server?.close(), api?.close()]);
  });

  for (const shape of ['arrays', 'objects', 'mixed']) {
    test(`requestToken, ${shape}: ERR_INVALID_RESPONSE naming 64 levels; the next call works`, async () => {
      mode = shape;
      await tooDeep(requestToken(config()));
      mode = 'good';
      assert.match((await requestToken(config())).accessToken, /^nest-\d+$/);
    });
  }

  test('a connection with a shared cache (full entry): its first call is ERR_INVALID_RESPONSE, not a RangeError; nothing stored; then it works', async () => {
    await noUnhandledRejections(async () => {
      const kv = memoryKv();
      const conn = createConnection(config({ cache: kv }));
      for (const shape of ['arrays', 'objects']) {
        mode = shape;
        const err = await tooDeep(conn.token());
        assert.ok(err instanceof OAuthTokenError);
        await tooDeep(conn.fetch(api.url('/items')));
      }
      assert.equal(api.requests.length, 0, 'no REST call without a token');
      assert.equal(kv.puts, 0);
      assert.equal(kv.map.size, 0);
      assert.equal(conn.lastResult, undefined);

      mode = 'good';
      const r = await conn.token();
      assert.match(r.accessToken, /^nest-\d+$/);
      assert.equal(kv.map.size, 1, 'the good token is stored');
      assert.equal((await conn.fetch(api.url('/items'))).status, 200);
      // Another connection on the same cache reads it.
      const before = server.requests.length;
      const reader = createConnection(config({ cache: kv }));
      assert.equal((await reader.token()).accessToken, r.accessToken);
      assert.equal(server.requests.length, before);
    });
  });

  test('a connection without a cache: the same error; then it works', async () => {
    const conn = createConnection(config());
    mode = 'arrays';
    await tooDeep(conn.token());
    mode = 'good';
    assert.match((await conn.token()).accessToken, /^nest-\d+$/);
  });

  test('64 levels in all are accepted, stored in the cache, read back, and frozen', async () => {
    mode = '64';
    const kv = memoryKv();
    const conn = createConnection(config({ cache: kv }));
    const r = await conn.token();
    let v = r.json.x;
    let depth = 1;
    for (; Array.isArray(v); v = v[0]) depth += 1;
    assert.equal(depth, 64);
    assert.ok(Object.isFrozen(r.json.x));
    assert.equal(kv.map.size, 1);
    const reader = createConnection(config({ cache: kv }));
    const cached = await reader.token();
    assert.equal(cached.accessToken, r.accessToken);
    assert.deepEqual(cached.warnings, []);
    mode = 'good';
  });

  test(`a stored cache entry nested ${LEVELS.toLocaleString('en')} levels is ignored with a warning, not a RangeError`, async () => {
    await noUnhandledRejections(async () => {
      mode = 'good';
      const kv = memoryKv();
      const writer = createConnection(config({ cache: kv }));
      await writer.token();
      const key = await writer.cacheKey();
      const stored = kv.map.get(key);
      assert.match(stored, /"json":\{/);
      // What a corrupted or hostile store could hand back under the connection's key.
      kv.map.set(key, stored.replace('"json":{', `"json":{"deep":${'['.repeat(LEVELS)}${']'.repeat(LEVELS)},`));

      const before = server.requests.length;
      const conn = createConnection(config({ cache: kv }));
      const r = await conn.token();
      assert.deepEqual(r.warnings, [UNREADABLE]);
      assert.equal(server.requests.length, before + 1, 'the token was requested from the endpoint');
      assert.ok(Object.isFrozen(r));
      assert.equal((await conn.fetch(api.url('/items'))).status, 200);
    });
  });
});
