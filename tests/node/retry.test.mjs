// `retry` in oauth-token-connection/full, against a scripted token endpoint on 127.0.0.1: a 429
// with Retry-After in seconds, a 503 with an HTTP date, a Retry-After beyond maxDelaySeconds, a
// refresh_token request never sent twice, and a connection's 1,000 waiters sharing one retry
// sequence. Real waits: each retry case takes one to two seconds.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import * as defaultEntry from 'oauth-token-connection';
import { requestToken, createConnection } from 'oauth-token-connection/full';
import { startScriptedServer, token } from './support/scripted-server.mjs';
import { refusedPort } from './support/ports.mjs';

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

describe('retry', () => {
  let server;
  before(async () => {
    server = await startScriptedServer();
  });
  after(() => server?.close());

  const config = (extra = {}) => ({
    tokenEndpoint: `${server.origin}/token`,
    clientId: 'c',
    clientSecret: 's',
    retry: { attempts: 2, maxDelaySeconds: 30 },
    ...extra,
  });
  const fresh = (answers) => {
    server.requests.length = 0;
    server.script(answers);
  };

  test('429 with Retry-After: 1, then success: one retry, at least 1 s later, recorded in warnings', async () => {
    fresh([{ status: 429, headers: { 'retry-after': '1' } }, token('after-429')]);
    const r = await requestToken(config());
    assert.equal(r.accessToken, 'after-429');
    assert.equal(server.requests.length, 2);
    const waited = server.requests[1].at - server.requests[0].at;
    assert.ok(waited >= 1000, `waited ${waited} ms`);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /^retried after HTTP 429: waited 1000 ms \(Retry-After\)$/);
  });

  test('503 with an HTTP date: waits until then', async () => {
    // Two seconds ahead, whole seconds (an HTTP date has no fraction): 1 to 2 s from now.
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 2000);
    fresh([{ status: 503, headers: { 'retry-after': at.toUTCString() } }, token('after-503')]);
    const r = await requestToken(config());
    assert.equal(r.accessToken, 'after-503');
    assert.equal(server.requests.length, 2);
    assert.ok(server.requests[1].at >= at.getTime() - 5, `retried at ${server.requests[1].at}, asked for ${at.getTime()}`);
    assert.match(r.warnings[0], /^retried after HTTP 503: waited \d+ ms \(Retry-After\)$/);
  });

  test('Retry-After beyond maxDelaySeconds: no retry, and the error says why', async () => {
    fresh([{ status: 429, headers: { 'retry-after': '120' } }, token('never')]);
    const e = await rejects(requestToken(config()));
    assert.equal(e.code, 'ERR_HTTP_STATUS');
    assert.equal(e.status, 429);
    assert.match(e.message, /\(not retried: Retry-After asks for 120 s, more than retry\.maxDelaySeconds \(30\)\)$/);
    assert.equal(server.requests.length, 1);
  });

  test('without retry (the default), a 429 is final', async () => {
    fresh([{ status: 429, headers: { 'retry-after': '1' } }, token('never')]);
    const e = await rejects(requestToken(config({ retry: undefined })));
    assert.equal(e.status, 429);
    assert.equal(server.requests.length, 1);
    const d = await rejects(defaultEntry.requestToken(config()));
    assert.match(d.message, /^retry is in the 'oauth-token-connection\/full' entry/);
  });

  test('a refresh_token request is never retried after the server saw it', async () => {
    fresh([{ status: 503, headers: { 'retry-after': '0' } }, token('never')]);
    const e = await rejects(requestToken(config({ grantType: 'refresh_token', refreshToken: 'rt-1' })));
    assert.equal(e.status, 503);
    assert.equal(server.requests.length, 1);
    // A connection's renewal with the refresh token it holds: the same.
    fresh([token('first', { refresh_token: 'rt-2', expires_in: 1 }), { status: 503, headers: { 'retry-after': '0' } }, token('never')]);
    const conn = createConnection(config({ refreshSkewSeconds: 0 }));
    await conn.token();
    conn.invalidate();
    const e2 = await rejects(conn.token());
    assert.equal(e2.status, 503);
    assert.deepEqual(server.requests.map((r) => r.form.get('grant_type')), ['client_credentials', 'refresh_token']);
    assert.equal(server.requests[1].form.get('refresh_token'), 'rt-2');
  });

  test('a refused connection (nothing sent) is retried, with jitter, and gives up after the attempts', async () => {
    const port = await refusedPort();
    const e = await rejects(requestToken(config({
      tokenEndpoint: `http://127.0.0.1:${port}/token`,
      grantType: 'refresh_token',
      refreshToken: 'rt',
      retry: { attempts: 1, maxDelaySeconds: 0.2 },
    })));
    assert.equal(e.code, 'ERR_NETWORK');
    assert.match(e.message, /\(not retried again: retry\.attempts \(1\) used up\) \(after 1 retry\)$/);
  });

  test('1,000 waiters on a connection cause one retry sequence', async () => {
    fresh([{ status: 429, headers: { 'retry-after': '1' } }, { status: 503, headers: { 'retry-after': '0' } }, token('shared')]);
    const conn = createConnection(config());
    const results = await Promise.all(Array.from({ length: 1000 }, () => conn.token()));
    assert.ok(results.every((r) => r.accessToken === 'shared'));
    assert.equal(server.requests.length, 3);
    assert.equal(results[0].warnings.length, 2);
  });
});
