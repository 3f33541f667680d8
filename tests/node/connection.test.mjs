// The connection (createConnection) against the real authorization server (demo/auth-server.mjs)
// and a REST resource server that accepts only the tokens that server issued
// (demo/resource-server.mjs), all on 127.0.0.1. Counts are taken server-side.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { createConnection, requestToken, OAuthTokenError } from 'oauth-token-connection';
import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';

const { demo } = DEMO_CLIENTS;
const alice = DEMO_USERS.alice;

const tokenRequests = (auth) => auth.requests.filter((r) => r.path === '/token');
const grantTypes = (auth) => tokenRequests(auth).map((r) => new URLSearchParams(r.body).get('grant_type'));
const base = (auth, extra = {}) => ({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, ...extra });
const passwordGrant = (auth, extra = {}) =>
  base(auth, { grantType: 'password', username: alice.username, password: alice.password, ...extra });

/** Fails the test if a promise rejection goes unhandled while `fn` runs. */
async function noUnhandledRejections(fn) {
  const seen = [];
  const onUnhandled = (reason) => seen.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn();
    await sleep(50);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(seen, []);
}

describe('createConnection against a real authorization and resource server', () => {
  let auth;
  let api;
  before(async () => {
    auth = await startAuthServer();
    api = await startResourceServer(auth);
  });
  after(async () => {
    await api?.close();
    await auth?.close();
  });

  test('1,000 concurrent fetch calls on a fresh connection: 1 token request, 1,000 successes', async () => {
    const before = tokenRequests(auth).length;
    const callsBefore = api.calls.length;
    const conn = createConnection(base(auth, { scope: 'read' }));
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => conn.fetch(`${api.origin}/items/${i}`)),
    );
    const bodies = await Promise.all(responses.map((r) => r.json()));
    assert.equal(tokenRequests(auth).length - before, 1);
    assert.deepEqual([...new Set(responses.map((r) => r.status))], [200]);
    assert.deepEqual([...new Set(bodies.map((b) => b.client))], [demo.id]);
    const calls = api.calls.slice(callsBefore);
    assert.equal(calls.length, 1000);
    assert.equal(new Set(calls.map((c) => c.authorization)).size, 1);
    assert.equal(calls[0].authorization, `Bearer ${conn.lastResult.accessToken}`);
  });

  test('token() reuses the cached result; concurrent callers share one request', async () => {
    const conn = createConnection(base(auth));
    const before = tokenRequests(auth).length;
    const first = await Promise.all(Array.from({ length: 50 }, () => conn.token()));
    assert.equal(new Set(first).size, 1, 'every caller gets the same result object');
    assert.equal(await conn.token(), first[0]);
    assert.equal(conn.lastResult, first[0]);
    assert.equal(tokenRequests(auth).length - before, 1);
    // lastResult.json is the endpoint's object, verbatim.
    const raw = auth.responses.filter((r) => r.status === 200).at(-1);
    assert.deepEqual(conn.lastResult.json, JSON.parse(raw.body));
    conn.invalidate();
    const renewed = await conn.token();
    assert.notEqual(renewed.accessToken, first[0].accessToken);
    assert.equal(tokenRequests(auth).length - before, 2);
  });

  test('a 401 from the resource: one renewal, one retry, success; a second 401 is returned', async () => {
    const conn = createConnection(base(auth));
    assert.equal((await conn.fetch(`${api.origin}/a`)).status, 200);
    const before = tokenRequests(auth).length;
    const callsBefore = api.calls.length;
    auth.revoke(conn.lastResult.accessToken);
    const res = await conn.fetch(`${api.origin}/b`, { method: 'POST', body: 'payload' });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).body, 'payload');
    assert.equal(tokenRequests(auth).length - before, 1);
    assert.deepEqual(api.calls.slice(callsBefore).map((c) => [c.status, c.body]), [[401, 'payload'], [200, 'payload']]);

    // A resource that refuses every token: one renewal, one retry, then the 401 is the answer.
    api.state.rejectAll = true;
    try {
      const before2 = tokenRequests(auth).length;
      const calls2 = api.calls.length;
      const res2 = await conn.fetch(`${api.origin}/c`);
      assert.equal(res2.status, 401);
      assert.equal(res2.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      assert.equal((await res2.json()).error, 'invalid_token');
      assert.equal(api.calls.length - calls2, 2);
      assert.equal(tokenRequests(auth).length - before2, 1);
    } finally {
      api.state.rejectAll = false;
    }
  });

  test('replayable bodies are sent again on the retry; a stream body is not', async () => {
    const conn = createConnection(base(auth));
    await conn.token();
    const blob = new Blob(['blob-body'], { type: 'text/plain' });
    const form = new FormData();
    form.append('field', 'form-value');
    const cases = [
      ['string', { body: 'text-body' }, 'text-body'],
      ['URLSearchParams', { body: new URLSearchParams({ a: '1 2' }) }, 'a=1+2'],
      ['ArrayBuffer', { body: new TextEncoder().encode('bytes-body').buffer }, 'bytes-body'],
      ['Uint8Array', { body: new TextEncoder().encode('view-body') }, 'view-body'],
      ['Blob', { body: blob }, 'blob-body'],
      ['FormData', { body: form }, 'form-value'],
    ];
    for (const [name, init, expected] of cases) {
      auth.revoke(conn.lastResult.accessToken);
      const n = api.calls.length;
      const res = await conn.fetch(`${api.origin}/upload`, { method: 'POST', ...init });
      assert.equal(res.status, 200, name);
      const [first, retry] = api.calls.slice(n);
      assert.equal(first.status, 401, name);
      assert.ok(retry.body.includes(expected), `${name}: ${retry.body}`);
      // Multipart boundaries are chosen per send; the content must be the same.
      const unbound = (b) => b.replace(/formdata-undici-\d+/g, 'BOUNDARY');
      assert.equal(unbound(retry.body), unbound(first.body), name);
    }

    // A Request object with a body: replayed through clone().
    auth.revoke(conn.lastResult.accessToken);
    let n = api.calls.length;
    const req = new Request(`${api.origin}/req`, { method: 'PUT', body: 'request-body', headers: { 'x-mine': '1' } });
    assert.equal((await conn.fetch(req)).status, 200);
    assert.deepEqual(api.calls.slice(n).map((c) => [c.status, c.method, c.body]), [[401, 'PUT', 'request-body'], [200, 'PUT', 'request-body']]);

    // A stream cannot be sent twice: the 401 is returned, nothing is retried.
    auth.revoke(conn.lastResult.accessToken);
    n = api.calls.length;
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('streamed'));
        c.close();
      },
    });
    const tokensBefore = tokenRequests(auth).length;
    const res = await conn.fetch(`${api.origin}/stream`, { method: 'POST', body: stream, duplex: 'half' });
    assert.equal(res.status, 401);
    assert.deepEqual(api.calls.slice(n).map((c) => [c.status, c.body]), [[401, 'streamed']]);
    assert.equal(tokenRequests(auth).length, tokensBefore, 'no renewal for a call that is not retried');
    // The token was dropped all the same: the next call starts with a new one, no 401 first.
    assert.equal((await conn.fetch(`${api.origin}/after`)).status, 200);
    assert.equal(tokenRequests(auth).length, tokensBefore + 1);
    assert.deepEqual(api.calls.slice(n + 1).map((c) => c.status), [200]);
  });

  test('the header: Bearer by default, headerName/headerPrefix, and a caller header wins', async () => {
    const conn = createConnection(base(auth));
    const echo = async (c, init) => (await (await c.fetch(`${api.origin}/echo`, init)).json()).headers;
    const token = (await conn.token()).accessToken;
    // The demo server's token_type is "Bearer"; RFC 6750 §2.1 scheme.
    assert.equal((await echo(conn)).authorization, `Bearer ${token}`);
    // Caller headers are kept, in every form fetch accepts.
    const h = await echo(conn, { headers: [['x-trace', 't1']] });
    assert.equal(h['x-trace'], 't1');
    assert.equal(h.authorization, `Bearer ${token}`);
    // The caller's own Authorization is never overwritten, and no token is requested for it.
    const fresh = createConnection(base(auth));
    const before = tokenRequests(auth).length;
    assert.equal((await echo(fresh, { headers: { Authorization: 'Basic bWluZQ==' } })).authorization, 'Basic bWluZQ==');
    const viaRequest = await (await fresh.fetch(new Request(`${api.origin}/echo`, { headers: { authorization: 'Mine x' } }))).json();
    assert.equal(viaRequest.headers.authorization, 'Mine x');
    assert.equal(tokenRequests(auth).length, before);

    const custom = createConnection(base(auth, { headerName: 'X-Api-Token', headerPrefix: '' }));
    const ct = (await custom.token()).accessToken;
    const ch = await echo(custom);
    assert.equal(ch['x-api-token'], ct);
    assert.equal(ch.authorization, undefined);
    const prefixed = createConnection(base(auth, { headerPrefix: 'Token' }));
    assert.equal((await echo(prefixed)).authorization, `Token ${(await prefixed.token()).accessToken}`);
  });

  test('requestToken with grantType refresh_token (RFC 6749 §6), and rotation', async () => {
    const first = await requestToken(passwordGrant(auth));
    assert.ok(first.refreshToken);
    const second = await requestToken(base(auth, { grantType: 'refresh_token', refreshToken: first.refreshToken }));
    assert.notEqual(second.accessToken, first.accessToken);
    const sent = new URLSearchParams(tokenRequests(auth).at(-1).body);
    assert.deepEqual([...sent.keys()], ['grant_type', 'refresh_token']);
    assert.equal(sent.get('refresh_token'), first.refreshToken);
    // The server rotated: the old refresh token is spent.
    assert.ok(second.refreshToken && second.refreshToken !== first.refreshToken);
    await assert.rejects(
      requestToken(base(auth, { grantType: 'refresh_token', refreshToken: first.refreshToken })),
      (e) => e instanceof OAuthTokenError && e.code === 'ERR_OAUTH' && e.error === 'invalid_grant',
    );
  });

  test('a connection renews with its refresh token, keeps the rotated one, and falls back on invalid_grant', async () => {
    const conn = createConnection(passwordGrant(auth, { scope: 'read write' }));
    const start = tokenRequests(auth).length;
    const t1 = await conn.token();
    conn.invalidate();
    const t2 = await conn.token();
    conn.invalidate();
    const t3 = await conn.token();
    const bodies = tokenRequests(auth).slice(start).map((r) => new URLSearchParams(r.body));
    assert.deepEqual(bodies.map((b) => b.get('grant_type')), ['password', 'refresh_token', 'refresh_token']);
    assert.equal(bodies[1].get('refresh_token'), t1.refreshToken);
    assert.equal(bodies[2].get('refresh_token'), t2.refreshToken, 'the rotated refresh token is used');
    // §6: the refresh request leaves the scope out (it means "as originally granted").
    assert.equal(bodies[1].get('scope'), null);
    assert.equal(t3.scope, 'read write');
    // The REST calls work with the refreshed token.
    assert.equal((await conn.fetch(`${api.origin}/x`)).status, 200);

    auth.revokeRefreshToken(t3.refreshToken);
    conn.invalidate();
    const t4 = await conn.token();
    const after = tokenRequests(auth).slice(start + 3);
    assert.deepEqual(after.map((r) => new URLSearchParams(r.body).get('grant_type')), ['refresh_token', 'password']);
    assert.equal(auth.responses.filter((r) => r.status === 400).at(-1).body.includes('invalid_grant'), true);
    assert.ok(t4.accessToken && t4.refreshToken);
    assert.equal((await conn.fetch(`${api.origin}/y`)).status, 200);
  });

  test('extraParams reach the server; a reserved name is refused', async () => {
    const conn = createConnection(
      base(auth, { extraParams: { audience: 'https://api.example.com', resource: ['https://a.example/', 'https://b.example/'] } }),
    );
    await conn.token();
    const sent = new URLSearchParams(tokenRequests(auth).at(-1).body);
    assert.equal(sent.get('audience'), 'https://api.example.com');
    assert.deepEqual(sent.getAll('resource'), ['https://a.example/', 'https://b.example/']);

    const before = tokenRequests(auth).length;
    for (const name of ['grant_type', 'client_id', 'client_secret', 'scope', 'username', 'password', 'refresh_token']) {
      const bad = createConnection(base(auth, { extraParams: { [name]: 'x' } }));
      const errors = await Promise.allSettled([bad.token(), bad.fetch(`${api.origin}/z`), bad.token()]);
      for (const r of errors) {
        assert.equal(r.status, 'rejected');
        assert.ok(r.reason instanceof OAuthTokenError);
        assert.equal(r.reason.code, 'ERR_INVALID_CONFIG');
        assert.ok(r.reason.message.includes(name));
      }
      assert.equal(bad.lastResult, undefined);
      await assert.rejects(requestToken(base(auth, { extraParams: { [name]: 'x' } })), { code: 'ERR_INVALID_CONFIG' });
    }
    assert.equal(tokenRequests(auth).length, before, 'nothing was sent');
  });

  test('connection options are refused by requestToken, and bad ones by createConnection', async () => {
    await assert.rejects(requestToken(base(auth, { refreshSkewSeconds: 5 })), {
      code: 'ERR_INVALID_CONFIG',
      message: 'refreshSkewSeconds is an option of createConnection, not of requestToken',
    });
    for (const extra of [{ headerName: 'Not A Header' }, { refreshSkewSeconds: -1 }, { headerPrefix: 'a\r\nb' }, { clientSecert: 'x' }]) {
      await assert.rejects(createConnection(base(auth, extra)).token(), { code: 'ERR_INVALID_CONFIG' });
    }
    // createConnection never throws: a config that is not an object rejects the calls.
    await assert.rejects(createConnection(null).token(), { code: 'ERR_INVALID_CONFIG' });
  });
});

describe('expiry, renewal failure and recovery', () => {
  test('a 2 s token with a 1 s skew: renewed, and no REST call ever carries an expired token', async () => {
    const auth = await startAuthServer({ accessTokenLifetime: 2 });
    const api = await startResourceServer(auth);
    try {
      const conn = createConnection(base(auth, { refreshSkewSeconds: 1 }));
      const statuses = [];
      const started = Date.now();
      while (Date.now() - started < 3500) {
        const res = await conn.fetch(`${api.origin}/tick`);
        statuses.push(res.status);
        await res.arrayBuffer();
        await sleep(50);
      }
      assert.ok(tokenRequests(auth).length >= 2, `token requests: ${tokenRequests(auth).length}`);
      assert.deepEqual([...new Set(statuses)], [200]);
      assert.deepEqual(api.calls.filter((c) => c.status !== 200), [], 'no call was refused (none expired)');
      // The renewals happened before expiry: each token was used in at most its first 1.x s.
      assert.ok(statuses.length > 10);
    } finally {
      await api.close();
      await auth.close();
    }
  });

  test('renewal failure rejects every waiter with the same error; the next call after recovery succeeds', async () => {
    const tokens = [];
    let auth = await startAuthServer({ tokens });
    const port = auth.port;
    await noUnhandledRejections(async () => {
      try {
        const conn = createConnection(base(auth, { timeoutSeconds: 5 }));
        const first = await conn.token();
        await auth.close();
        conn.invalidate();
        const settled = await Promise.allSettled(Array.from({ length: 20 }, () => conn.token()));
        assert.deepEqual([...new Set(settled.map((s) => s.status))], ['rejected']);
        const errors = new Set(settled.map((s) => s.reason));
        assert.equal(errors.size, 1, 'one error object for every waiter');
        const [err] = errors;
        assert.ok(err instanceof OAuthTokenError);
        assert.equal(err.code, 'ERR_NETWORK');
        assert.equal(conn.lastResult, first, 'lastResult stays the last success');

        // Still down: a new attempt is made (no stuck state), and fails again.
        await assert.rejects(conn.token(), { code: 'ERR_NETWORK' });
        // fetch() reports the token failure as the error.
        await assert.rejects(conn.fetch('http://127.0.0.1:9/never'), { code: 'ERR_NETWORK' });

        auth = await startAuthServer({ tokens, port });
        const again = await conn.token();
        assert.notEqual(again.accessToken, first.accessToken);
        assert.equal(tokenRequests(auth).length, 1);
      } finally {
        await auth.close();
      }
    });
  });
});
