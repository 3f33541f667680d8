// An unbounded extraParams. 4,000 items of 64 KiB grew wasm memory to about
// 1 GiB for the life of the process, and 20,000 items ended in `RuntimeError: unreachable`.
// The copy (settings.js) stops at 256 values and 1 MiB of strings in all, before anything
// crosses into the .wasm: ERR_INVALID_CONFIG, wasm memory stays small, and the next call works.
// The wasm memory is read as support/memory-child.mjs does (the glue's initSync() hands back the
// instance the package already uses). A recording token endpoint on 127.0.0.1.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import { startTokenServer } from './support/token-server.mjs';

const KIB64 = 'x'.repeat(64 * 1024); // one string, shared by every item (the test's own memory stays small)
const MIB = 1024 * 1024;

let tokens;
let wasm;

const config = (extra = {}) => ({ tokenEndpoint: tokens.url, clientId: 'limits-client', clientSecret: 'limits-secret', ...extra });
const wasmBytes = () => wasm.memory.buffer.byteLength;

async function refused(promise, message) {
  const err = await promise.then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof OAuthTokenError, `not an OAuthTokenError: ${err?.name}: ${err?.message}`);
  assert.equal(err.code, 'ERR_INVALID_CONFIG');
  assert.equal(err.message, message);
}

/** The next call in the same instance gets a token. */
async function nextCallWorks() {
  const r = await requestToken(config());
  assert.match(r.accessToken, /^token-\d+$/);
}

describe('extraParams and the config size are capped before anything reaches wasm memory', () => {
  before(async () => {
    tokens = await startTokenServer();
    await requestToken(config()); // the package is loaded and initialized
    const glue = await import(new URL('./package.js', import.meta.resolve('oauth-token-connection')));
    wasm = glue.initSync();
    assert.ok(wasm.memory instanceof WebAssembly.Memory);
  });
  after(() => tokens?.close());

  const TOO_LARGE = 'config holds more than 1 MiB of strings in all';
  const TOO_MANY = 'extraParams holds more than 256 values in all';
  const CASES = [
    ['4,000 items of 64 KiB in one array', { extraParams: { resource: Array(4000).fill(KIB64) } }, TOO_LARGE],
    ['4,000 names of 64 KiB values', { extraParams: Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`p${i}`, KIB64])) }, TOO_LARGE],
    ['17 values of 64 KiB (just over 1 MiB)', { extraParams: { resource: Array(17).fill(KIB64) } }, TOO_LARGE],
    ['1 MiB spread over the other settings', { clientId: KIB64, scope: 'a', extraParams: { a: Array(16).fill(KIB64) } }, TOO_LARGE],
    ['20,000 items in one array', { extraParams: { resource: Array(20_000).fill('v') } }, TOO_MANY],
    ['20,000 names', { extraParams: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`p${i}`, 'v'])) }, TOO_MANY],
    ['257 values', { extraParams: { resource: Array(257).fill('v') } }, TOO_MANY],
    ['200 names of 2 values each', { extraParams: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`p${i}`, ['a', 'b']])) }, TOO_MANY],
  ];

  for (const [name, extra, message] of CASES) {
    test(`${name}: ERR_INVALID_CONFIG (not a RuntimeError), wasm memory stays small, the next call works`, async () => {
      const before = wasmBytes();
      const sent = tokens.requests.length;
      await refused(requestToken(config(extra)), message);
      await refused(createConnection(config(extra)).token(), message);
      assert.equal(tokens.requests.length, sent, 'nothing was sent');
      const grown = wasmBytes() - before;
      assert.ok(grown <= 4 * MIB, `wasm memory grew by ${(grown / MIB).toFixed(1)} MiB`);
      await nextCallWorks();
    });
  }

  test('the limits themselves are accepted: 256 values, and 15 values of 64 KiB (under 1 MiB in all)', async () => {
    tokens.reset();
    await requestToken(config({ extraParams: { resource: Array.from({ length: 256 }, (_, i) => `r${i}`) } }));
    assert.equal(tokens.requests[0].form.getAll('resource').length, 256);
    await requestToken(config({ extraParams: { audience: Array(15).fill(KIB64) } }));
    assert.equal(tokens.requests[1].form.getAll('audience').length, 15);
    assert.ok(wasmBytes() < 64 * MIB, `wasm memory is ${(wasmBytes() / MIB).toFixed(1)} MiB`);
  });

  test('after every case above, the instance as a whole stays small', () => {
    assert.ok(wasmBytes() < 64 * MIB, `wasm memory is ${(wasmBytes() / MIB).toFixed(1)} MiB`);
  });
});
