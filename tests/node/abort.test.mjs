// requestToken's `signal` option against real servers on 127.0.0.1: the demo authorization
// server (@node-oauth/oauth2-server) and the hostile server's /hang (accepts the request, never
// answers). An abort is ERR_ABORTED with the signal's reason as `cause`; an already-aborted
// signal sends nothing; the caller's signal and the timeout both work, and neither leaves a
// listener on the caller's signal.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import { previewRequest } from 'oauth-token-connection/full';
import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { startHostileServer } from './support/hostile-server.mjs';
import { rejection } from './support/rejection.mjs';

const { demo } = DEMO_CLIENTS;

/** Waits for a condition on server state; fails after `ms`. */
async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}


describe('requestToken: the signal option', () => {
  let auth;
  let hostile;
  before(async () => {
    [auth, hostile] = await Promise.all([startAuthServer(), startHostileServer()]);
  });
  after(async () => {
    await Promise.all([auth?.close(), hostile?.close()]);
  });

  const good = (extra = {}) => ({
    tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, scope: 'read', ...extra,
  });
  const hanging = (extra = {}) => good({ tokenEndpoint: hostile.url('/hang'), ...extra });
  const hangHits = () => hostile.hits.get('/hang') ?? 0;
  const hangAbandoned = () => hostile.abandoned.get('/hang') ?? 0;

  async function expectNextCallSucceeds() {
    const r = await requestToken(good());
    assert.equal(r.accessToken, auth.tokens.at(-1).accessToken);
  }

  test('abort mid-request: ERR_ABORTED, cause is the reason, the connection is closed, the next call succeeds', async () => {
    const hits = hangHits();
    const abandoned = hangAbandoned();
    const controller = new AbortController();
    const pending = requestToken(hanging({ signal: controller.signal }));
    await until('the request to reach /hang', () => hangHits() === hits + 1);
    const reason = new Error('user pressed cancel');
    controller.abort(reason);
    const err = await rejection(pending);
    assert.ok(err instanceof OAuthTokenError);
    assert.equal(err.code, 'ERR_ABORTED');
    assert.equal(err.cause, reason, 'cause is the signal\'s reason, the same object');
    assert.equal(err.status, undefined);
    assert.match(err.message, /aborted by the caller's signal/);
    await until('the server to see the connection closed', () => hangAbandoned() === abandoned + 1);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no listener left on the signal');
    await expectNextCallSucceeds();
  });

  test('abort() without a reason: the cause is the signal\'s AbortError', async () => {
    const hits = hangHits();
    const controller = new AbortController();
    const pending = requestToken(hanging({ signal: controller.signal }));
    await until('the request to reach /hang', () => hangHits() === hits + 1);
    controller.abort();
    const err = await rejection(pending);
    assert.equal(err.code, 'ERR_ABORTED');
    assert.equal(err.cause, controller.signal.reason);
    assert.equal(err.cause.name, 'AbortError');
  });

  test('an already-aborted signal fails before anything is sent: 0 requests reach the server', async () => {
    const sentToAuth = auth.requests.length;
    const reason = 'gave up before starting';
    const err = await rejection(requestToken(good({ signal: AbortSignal.abort(reason) })));
    assert.ok(err instanceof OAuthTokenError);
    assert.equal(err.code, 'ERR_ABORTED');
    assert.equal(err.cause, reason);
    assert.equal(auth.requests.length, sentToAuth, 'nothing reached the authorization server');

    const hits = hangHits();
    const controller = new AbortController();
    controller.abort();
    assert.equal((await rejection(requestToken(hanging({ signal: controller.signal })))).code, 'ERR_ABORTED');
    // A request that was sent would be counted before this one answers.
    await expectNextCallSucceeds();
    assert.equal(hangHits(), hits, 'nothing reached /hang');
  });

  test('a signal that never fires: the token comes, the timeout still applies, no listener is left', async () => {
    const controller = new AbortController();
    const r = await requestToken(good({ signal: controller.signal }));
    assert.equal(r.accessToken, auth.tokens.at(-1).accessToken);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);

    const err = await rejection(requestToken(hanging({ signal: controller.signal, timeoutSeconds: 0.3 })));
    assert.equal(err.code, 'ERR_TIMEOUT', 'the timeout is not mistaken for the caller\'s abort');
    assert.equal(err.cause?.name, 'TimeoutError');
    assert.equal(controller.signal.aborted, false, 'the caller\'s signal is never aborted by the package');
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('the same signal for many calls, then aborted: every pending call rejects', async () => {
    const hits = hangHits();
    const controller = new AbortController();
    const calls = [1, 2, 3].map(() => requestToken(hanging({ signal: controller.signal })));
    await until('three requests to reach /hang', () => hangHits() === hits + 3);
    controller.abort(new Error('shutdown'));
    const errors = await Promise.all(calls.map(rejection));
    assert.deepEqual(errors.map((e) => e.code), ['ERR_ABORTED', 'ERR_ABORTED', 'ERR_ABORTED']);
    assert.ok(errors.every((e) => e.cause === controller.signal.reason));
  });

  test('a value that is not an AbortSignal is ERR_INVALID_CONFIG naming signal; previewRequest ignores a signal', async () => {
    const sent = auth.requests.length;
    for (const bad of ['abort', true, 1, {}, { aborted: false }, { aborted: 'no', addEventListener() {}, removeEventListener() {} }]) {
      const err = await rejection(requestToken(good({ signal: bad })));
      assert.equal(err.code, 'ERR_INVALID_CONFIG');
      assert.match(err.message, /^signal must be an AbortSignal, got /);
    }
    assert.equal(auth.requests.length, sent);
    // undefined and null are absent, as for every key.
    await requestToken(good({ signal: undefined }));
    await requestToken(good({ signal: null }));

    const plain = await previewRequest(good());
    assert.deepEqual(await previewRequest(good({ signal: new AbortController().signal })), plain);
    assert.deepEqual(await previewRequest(good({ signal: AbortSignal.abort() })), plain);
    assert.equal((await rejection(previewRequest(good({ signal: 'x' })))).code, 'ERR_INVALID_CONFIG');
  });

  test('createConnection refuses signal by name (its renewals are shared by every caller)', async () => {
    const conn = createConnection(good({ signal: new AbortController().signal }));
    const err = await rejection(conn.token());
    assert.equal(err.code, 'ERR_INVALID_CONFIG');
    assert.match(err.message, /^signal is an option of requestToken, not of createConnection/);
  });
});
