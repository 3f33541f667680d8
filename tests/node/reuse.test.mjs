// requestToken keeps the last configuration it validated (and the request built from it) and
// reuses it while a call's settings are unchanged; the timeout of every call is a shared
// deadline slot (api.js). Against the demo authorization server (@node-oauth/oauth2-server) and
// the hostile server's /hang on 127.0.0.1: whatever changes in a config reaches the wire, calls
// with different configs overlap safely, and timeouts still fire per call without keeping the
// process alive afterwards.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { requestToken, OAuthTokenError } from 'oauth-token-connection';
import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { startHostileServer } from './support/hostile-server.mjs';
import { rejection } from './support/rejection.mjs';

const { demo } = DEMO_CLIENTS;
const form = (r) => Object.fromEntries(new URLSearchParams(r.body));


describe('requestToken: a validated config is reused only while unchanged', () => {
  let auth;
  let hostile;
  before(async () => {
    [auth, hostile] = await Promise.all([startAuthServer(), startHostileServer()]);
  });
  after(async () => {
    await Promise.all([auth?.close(), hostile?.close()]);
  });

  /** The request the server saw for one call, and the call's result. */
  async function sent(config) {
    const before = auth.requests.length;
    const result = await requestToken(config);
    assert.equal(auth.requests.length, before + 1);
    return { result, request: auth.requests.at(-1) };
  }

  test('every change to the same config object reaches the wire', async () => {
    const config = { tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, scope: 'read' };
    let { request } = await sent(config);
    assert.equal(form(request).scope, 'read');
    ({ request } = await sent(config));
    assert.equal(form(request).scope, 'read');

    config.scope = 'write';
    ({ request } = await sent(config));
    assert.equal(form(request).scope, 'write');

    // A new key (in body authentication the id and secret move into the form).
    config.clientAuthentication = 'body';
    ({ request } = await sent(config));
    assert.equal(form(request).client_id, demo.id);
    assert.equal(request.headers.authorization, undefined);

    delete config.clientAuthentication;
    ({ request } = await sent(config));
    assert.match(request.headers.authorization, /^Basic /);

    // A wrong secret is the server's 401, then the right one works again.
    config.clientSecret = 'not-the-secret';
    const e = await rejection(requestToken(config));
    assert.ok(e instanceof OAuthTokenError);
    assert.equal(e.code, 'ERR_OAUTH');
    config.clientSecret = demo.secret;
    const { result } = await sent(config);
    assert.equal(result.accessToken, auth.tokens.at(-1).accessToken);
  });

  test('extraParams are compared member by member, arrays item by item', async () => {
    const extraParams = { resource: ['https://a.example/'], audience: 'x' };
    const config = { tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, extraParams };
    const resources = (r) => new URLSearchParams(r.body).getAll('resource');
    let { request } = await sent(config);
    assert.deepEqual(resources(request), ['https://a.example/']);

    extraParams.resource.push('https://b.example/');
    ({ request } = await sent(config));
    assert.deepEqual(resources(request), ['https://a.example/', 'https://b.example/']);

    extraParams.resource[0] = 'https://c.example/';
    ({ request } = await sent(config));
    assert.deepEqual(resources(request), ['https://c.example/', 'https://b.example/']);

    extraParams.audience = 'y';
    ({ request } = await sent(config));
    assert.equal(form(request).audience, 'y');

    extraParams.extra = 'z';
    ({ request } = await sent(config));
    assert.equal(form(request).extra, 'z');

    // A refused name added in place is refused, and nothing is sent.
    extraParams.grant_type = 'password';
    const before = auth.requests.length;
    const e = await rejection(requestToken(config));
    assert.equal(e.code, 'ERR_INVALID_CONFIG');
    assert.match(e.message, /grant_type/);
    assert.equal(auth.requests.length, before);
  });

  test('an equal config in a new object reuses the exchange; a changed value in it does not', async () => {
    const make = (scope) => ({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, scope });
    assert.equal(form((await sent(make('read'))).request).scope, 'read');
    assert.equal(form((await sent(make('read'))).request).scope, 'read');
    assert.equal(form((await sent(make('read write'))).request).scope, 'read write');
  });

  test('overlapping calls with alternating configs all succeed (a replaced exchange is freed only when unused)', async () => {
    const scopes = ['read', 'write', 'admin', 'read write'];
    const calls = Array.from({ length: 40 }, (_, i) =>
      requestToken({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, scope: scopes[i % 4] }),
    );
    const results = await Promise.all(calls);
    results.forEach((r, i) => assert.equal(r.scope, scopes[i % 4]));
    assert.equal(new Set(results.map((r) => r.accessToken)).size, 40);
  });

  test('an invalid config between valid ones fails alone', async () => {
    const good = { tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret };
    await sent(good);
    for (const bad of [null, [], { ...good, sslMode: 'off' }, { ...good, tokenEndpoint: 'http://example.com/t' }]) {
      const e = await rejection(requestToken(bad));
      assert.ok(e instanceof OAuthTokenError);
    }
    await sent(good);
  });

  test('a getter that throws rejects with its own error, and the next call works', async () => {
    const good = { tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret };
    await sent(good);
    const boom = new Error('getter failed');
    const config = { ...good };
    Object.defineProperty(config, 'scope', { enumerable: true, get() { throw boom; } });
    assert.equal(await rejection(requestToken(config)), boom);
    await sent(good);
  });

  test('timeouts: calls sharing a deadline slot time out alone, and later calls get a new slot', async () => {
    const base = { clientId: demo.id, clientSecret: demo.secret, timeoutSeconds: 0.5 };
    const hanging = { ...base, tokenEndpoint: hostile.url('/hang') };
    const good = { ...base, tokenEndpoint: auth.url };
    // Started together: they share one slot; the hanging ones time out, the others succeed.
    const outcomes = await Promise.allSettled([
      requestToken(hanging), requestToken(good), requestToken(hanging), requestToken(good),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    for (const o of [outcomes[0], outcomes[2]]) {
      assert.equal(o.reason.code, 'ERR_TIMEOUT');
      assert.equal(o.reason.cause?.name, 'TimeoutError');
    }
    // The slot has fired: a call now must not inherit its aborted signal.
    const r = await requestToken(good);
    assert.equal(r.accessToken, auth.tokens.at(-1).accessToken);
    const again = await rejection(requestToken(hanging));
    assert.equal(again.code, 'ERR_TIMEOUT');
  });
});

test('after a call, no timer keeps the process alive (a 30 s timeout slot is released)', async () => {
  const auth = await startAuthServer();
  try {
    const script = `
      import { requestToken } from 'oauth-token-connection';
      const r = await requestToken(${JSON.stringify({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret })});
      await new Promise((resolve) => setImmediate(resolve));
      const timers = process.getActiveResourcesInfo().filter((x) => x === 'Timeout');
      console.log(JSON.stringify({ ok: typeof r.accessToken === 'string', timers: timers.length }));
    `;
    const out = await new Promise((resolve, reject) => {
      import('node:child_process').then(({ spawn }) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
          cwd: fileURLToPath(new URL('../..', import.meta.url)),
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let text = '';
        child.stdout.on('data', (d) => (text += d));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}`))));
      });
    });
    assert.deepEqual(JSON.parse(out), { ok: true, timers: 0 });
  } finally {
    await auth.close();
  }
});
