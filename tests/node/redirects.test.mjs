// A connection's token follows no redirect to another origin. conn.fetch
// follows redirects itself (fetch strips only Authorization on a cross-origin hop, never a
// custom headerName such as X-Api-Key): a same-origin hop keeps the token, a cross-origin hop is
// followed without it, and a 401 from an origin that never got the token neither drops it nor
// renews. Real servers on 127.0.0.1: the token endpoint, the resource, and an "attacker" on
// another port (another origin), each recording every request it gets.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { createConnection, OAuthTokenError } from 'oauth-token-connection';
import { startTokenServer } from './support/token-server.mjs';
import { startRecordingServer, send, redirect } from './support/recording-server.mjs';

let tokens;
let api;
let attacker;

/** The resource: /to-attacker/<status>[/<path>], /same/<status>, /chain/<n>, /bounce, /final. */
function apiRoute(req, res) {
  const [, kind, arg, ...rest] = req.path.split('?')[0].split('/');
  switch (kind) {
    case 'to-attacker':
      return redirect(res, Number(arg), attacker.url(`/${rest.join('/') || 'landing'}`));
    case 'same':
      return redirect(res, Number(arg), '/final'); // relative: resolved against the current URL
    case 'chain':
      return Number(arg) > 0 ? redirect(res, 302, `/chain/${Number(arg) - 1}`) : send(res, 200, { end: true });
    case 'bounce':
      return redirect(res, 302, attacker.url('/back'));
    default:
      return send(res, 200, { resource: true, method: req.method, body: req.body });
  }
}

/** The attacker: /401 refuses as a resource would, /back redirects to the resource, else 200. */
function attackerRoute(req, res) {
  if (req.path === '/401') return send(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
  if (req.path === '/back') return redirect(res, 302, api.url('/final'));
  return send(res, 200, { attacker: true, method: req.method, body: req.body });
}

const tokenRequests = () => tokens.requests.filter((r) => r.method === 'POST').length;
const config = (extra = {}) => ({
  tokenEndpoint: tokens.url, clientId: 'redirect-client', clientSecret: 'redirect-secret', ...extra,
});
const apiKey = (extra) => config({ headerName: 'X-Api-Key', headerPrefix: '', ...extra });

/** Whether a recorded request carried a token, in any header (the tokens are token-1, token-2...). */
const carriesToken = (req) =>
  'x-api-key' in req.headers || 'authorization' in req.headers || req.rawHeaders.some((h) => /token-\d/.test(h));

describe('conn.fetch and redirects', () => {
  before(async () => {
    [tokens, api, attacker] = await Promise.all([
      startTokenServer(), startRecordingServer(apiRoute), startRecordingServer(attackerRoute),
    ]);
  });
  after(async () => {
    await Promise.all([tokens?.close(), api?.close(), attacker?.close()]);
  });
  const reset = () => {
    tokens.reset();
    api.requests.length = 0;
    attacker.requests.length = 0;
  };

  for (const headerName of ['X-Api-Key', 'Authorization']) {
    test(`${headerName}: a redirect to another origin is followed without the token (301, 302, 303, 307, 308)`, async () => {
      reset();
      const conn = createConnection(headerName === 'X-Api-Key' ? apiKey() : config());
      for (const status of [301, 302, 303, 307, 308]) {
        const res = await conn.fetch(api.url(`/to-attacker/${status}`));
        assert.equal(res.status, 200, `${status}: the caller gets the followed response`);
        assert.equal(res.url, attacker.url('/landing'), `${status}: the followed response's URL`);
        assert.deepEqual(await res.json(), { attacker: true, method: 'GET', body: '' });
      }
      assert.equal(attacker.requests.length, 5);
      for (const req of attacker.requests) {
        assert.equal(carriesToken(req), false, `the other origin received a token: ${JSON.stringify(req.rawHeaders)}`);
      }
      // The resource itself got the token on each first hop.
      const sent = headerName === 'X-Api-Key' ? 'x-api-key' : 'authorization';
      const expected = headerName === 'X-Api-Key' ? 'token-1' : 'Bearer token-1';
      assert.deepEqual(api.requests.map((r) => r.headers[sent]), Array(5).fill(expected));
      assert.equal(tokenRequests(), 1);
    });
  }

  test('a POST 307 to another origin: the body follows (as in fetch), the token does not', async () => {
    reset();
    const conn = createConnection(apiKey());
    const res = await conn.fetch(api.url('/to-attacker/307'), { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.deepEqual(await res.json(), { attacker: true, method: 'POST', body: 'a=1' });
    assert.equal(carriesToken(attacker.requests[0]), false);
    assert.equal(api.requests[0].headers['x-api-key'], 'token-1');
  });

  test('a 401 from the other origin neither drops the token nor renews it, and is not replayed', async () => {
    reset();
    const conn = createConnection(apiKey());
    const res = await conn.fetch(api.url('/to-attacker/302/401'));
    assert.equal(res.status, 401, 'the caller gets the foreign 401');
    assert.equal(tokenRequests(), 1, 'no renewal');
    assert.equal(attacker.requests.length, 1, 'no replay at the other origin');
    assert.equal(api.requests.length, 1, 'no replay at the resource');
    assert.equal(carriesToken(attacker.requests[0]), false);
    // The held token is still the one: the next call carries it without a token request.
    const again = await conn.fetch(api.url('/final'));
    assert.equal(again.status, 200);
    assert.equal(api.requests.at(-1).headers['x-api-key'], 'token-1');
    assert.equal(tokenRequests(), 1);
    assert.equal(conn.lastResult.accessToken, 'token-1');
  });

  test('a token dropped by a cross-origin hop is not put back when the chain returns to the origin', async () => {
    reset();
    const conn = createConnection(apiKey());
    const res = await conn.fetch(api.url('/bounce'));
    assert.equal(res.status, 200);
    assert.equal(res.url, api.url('/final'));
    assert.deepEqual(api.requests.map((r) => [r.path, r.headers['x-api-key']]), [['/bounce', 'token-1'], ['/final', undefined]]);
    assert.equal(carriesToken(attacker.requests[0]), false);
  });

  // [status, method, body sent, method and body the redirect target must get]
  const RULES = [
    [301, 'POST', 'a=1', 'GET', ''],
    [302, 'POST', 'a=1', 'GET', ''],
    [303, 'POST', 'a=1', 'GET', ''],
    [303, 'PUT', 'a=1', 'GET', ''],
    [303, 'HEAD', null, 'HEAD', ''],
    [302, 'PUT', 'a=1', 'PUT', 'a=1'],
    [307, 'POST', 'a=1', 'POST', 'a=1'],
    [308, 'POST', 'a=1', 'POST', 'a=1'],
    [308, 'DELETE', null, 'DELETE', ''],
    [302, 'GET', null, 'GET', ''],
  ];
  for (const [status, method, body, toMethod, toBody] of RULES) {
    test(`same origin: ${method} + ${status} → ${toMethod}${toBody ? ' with its body' : ' without a body'}, the token kept`, async () => {
      reset();
      const conn = createConnection(apiKey());
      const init = { method, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-trace': 'kept' } };
      if (body !== null) init.body = body;
      const res = await conn.fetch(api.url(`/same/${status}`), init);
      assert.equal(res.status, 200);
      assert.equal(res.url, api.url('/final'));
      assert.equal(api.requests.length, 2);
      const [first, final] = api.requests;
      assert.equal(first.method, method);
      assert.equal(final.method, toMethod);
      assert.equal(final.body, toBody);
      assert.equal(final.headers['x-api-key'], 'token-1', 'a same-origin hop keeps the token');
      assert.equal(final.headers['x-trace'], 'kept');
      if (toMethod === 'GET' && method !== 'GET') {
        assert.equal(final.headers['content-type'], undefined, 'the body headers go with the body');
      }
      assert.equal(tokenRequests(), 1);
    });
  }

  test('same origin: a Request with a POST body and a 307 keeps the body and the token', async () => {
    reset();
    const conn = createConnection(apiKey());
    const res = await conn.fetch(new Request(api.url('/same/307'), { method: 'POST', body: 'b=2' }));
    assert.deepEqual(await res.json(), { resource: true, method: 'POST', body: 'b=2' });
    assert.deepEqual(api.requests.map((r) => [r.method, r.body, r.headers['x-api-key']]), [['POST', 'b=2', 'token-1'], ['POST', 'b=2', 'token-1']]);
  });

  test('same origin: a stream body cannot be sent twice: the 307 itself is returned', async () => {
    reset();
    const conn = createConnection(apiKey());
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('s=1')); c.close(); } });
    const res = await conn.fetch(api.url('/same/307'), { method: 'POST', body: stream, duplex: 'half' });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get('location'), '/final');
    assert.equal(api.requests.length, 1);
  });

  test('20 redirects are followed; the 21st is a TypeError, as in fetch', async () => {
    reset();
    const conn = createConnection(apiKey());
    const res = await conn.fetch(api.url('/chain/20'));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { end: true });
    assert.equal(api.requests.length, 21);
    assert.ok(api.requests.every((r) => r.headers['x-api-key'] === 'token-1'));

    api.requests.length = 0;
    const err = await conn.fetch(api.url('/chain/21')).then(() => assert.fail('resolved'), (e) => e);
    assert.ok(err instanceof TypeError, `${err?.name}: ${err?.message}`);
    assert.match(err.message, /more than 20 redirects/);
    assert.equal(api.requests.length, 21, 'the 22nd URL is never requested');
    assert.equal(tokenRequests(), 1);
  });

  test("the caller's redirect: 'manual' gets the 3xx back; 'error' rejects", async () => {
    reset();
    const conn = createConnection(apiKey());
    for (const path of ['/to-attacker/302', '/same/307']) {
      const res = await conn.fetch(api.url(path), { redirect: 'manual' });
      assert.equal(res.status, path === '/same/307' ? 307 : 302);
      assert.ok(res.headers.get('location'));
    }
    await assert.rejects(conn.fetch(api.url('/to-attacker/302'), { redirect: 'error' }), TypeError);
    assert.equal(attacker.requests.length, 0, 'the redirect target was not contacted');
    assert.equal(api.requests.filter((r) => r.path === '/final').length, 0);
  });

  for (const headerName of ['Content-Length', 'Host', 'Cookie', 'Proxy-Authorization', 'transfer-encoding', 'Connection', 'Sec-Fetch-Site']) {
    test(`headerName ${JSON.stringify(headerName)} is refused with ERR_INVALID_CONFIG; nothing is sent`, async () => {
      reset();
      const conn = createConnection(config({ headerName }));
      for (const call of [() => conn.token(), () => conn.fetch(api.url('/final'))]) {
        const err = await call().then(() => assert.fail('resolved'), (e) => e);
        assert.ok(err instanceof OAuthTokenError);
        assert.equal(err.code, 'ERR_INVALID_CONFIG');
        assert.match(err.message, /^headerName cannot be a header fetch forbids or a hop-by-hop one/);
      }
      assert.equal(tokens.requests.length, 0);
      assert.equal(api.requests.length, 0);
    });
  }
});
