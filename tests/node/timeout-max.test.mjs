// `timeoutSeconds` at its documented maximum, 2147483 ((2^31 - 1) ms floored to whole seconds: the
// longest delay every host's timers take), against a token server on 127.0.0.1 that answers after
// 300 ms: a token, and no process warning (a timer above 2^31 - 1 ms overflows: Node warns with a
// TimeoutOverflowWarning and fires it after 1 ms, an immediate ERR_TIMEOUT). The next whole
// second above the maximum is refused with ERR_INVALID_CONFIG, and nothing is sent.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as macrotask } from 'node:timers/promises';

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import { startTokenServer } from './support/token-server.mjs';
import { rejection } from './support/rejection.mjs';

const MAX_TIMEOUT_SECONDS = 2147483;

let server;
const warnings = [];
const onWarning = (w) => warnings.push(`${w.name}: ${w.message}`);
before(async () => {
  server = await startTokenServer({ delayMs: 300 });
  process.on('warning', onWarning);
});
after(async () => {
  process.off('warning', onWarning);
  await server?.close();
});

const config = (timeoutSeconds) => ({
  tokenEndpoint: server.url, clientId: 'timeout-client', clientSecret: 'timeout-secret', timeoutSeconds,
});

test('timeoutSeconds 2147483 (the maximum): a token after 300 ms, no warning', async () => {
  server.reset();
  const result = await requestToken(config(MAX_TIMEOUT_SECONDS));
  assert.equal(result.accessToken, 'token-1');
  const conn = createConnection(config(MAX_TIMEOUT_SECONDS));
  assert.equal((await conn.token()).accessToken, 'token-2');
  await macrotask(); // process warnings are emitted on a later tick
  assert.deepEqual(warnings, []);
});

test('timeoutSeconds 2147484 (above the maximum): ERR_INVALID_CONFIG, nothing sent', async () => {
  server.reset();
  for (const call of [() => requestToken(config(MAX_TIMEOUT_SECONDS + 1)), () => createConnection(config(MAX_TIMEOUT_SECONDS + 1)).token()]) {
    const err = await rejection(call());
    assert.ok(err instanceof OAuthTokenError, String(err));
    assert.equal(err.code, 'ERR_INVALID_CONFIG');
    assert.match(err.message, /timeoutSeconds/);
  }
  assert.equal(server.requests.length, 0);
});
