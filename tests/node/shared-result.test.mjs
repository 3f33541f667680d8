// `token()` hands every caller one result object. A caller that "redacts"
// r.accessToken before logging it must not break the others: the result is frozen (its json
// deeply), so the change is ignored (sloppy mode) or throws (strict mode), and REST calls take
// their header from the token the connection holds anyway. Real servers on 127.0.0.1: a token
// endpoint answering a nested token response, and a resource accepting only the token it issued.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { createConnection } from 'oauth-token-connection/full';
import { startRecordingServer, send } from './support/recording-server.mjs';

let issued = 0;
let tokenServer;
let api;

const tokenResponse = (n) => ({
  access_token: `shared-${n}`,
  token_type: 'Bearer',
  expires_in: 3600,
  scope: 'read',
  ext: { roles: ['reader', { tenant: { id: 'acme', tags: ['a', 'b'] } }], limits: { rps: 10 } },
});

const tokenRequests = () => tokenServer.requests.length;

describe('one frozen result for every caller of a connection', () => {
  before(async () => {
    tokenServer = await startRecordingServer((req, res) => send(res, 200, tokenResponse(++issued)));
    // Accepts only the last token issued; anything else is a 401 (RFC 6750 §3.1).
    api = await startRecordingServer((req, res) => {
      if (req.headers.authorization === `Bearer shared-${issued}`) return send(res, 200, { ok: true });
      send(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    });
  });
  after(async () => {
    await Promise.all([tokenServer?.close(), api?.close()]);
  });

  const config = (extra = {}) => ({
    tokenEndpoint: tokenServer.url('/token'), clientId: 'shared-client', clientSecret: 'shared-secret', ...extra,
  });

  test('the result, its json at every depth and its warnings are frozen', async () => {
    const conn = createConnection(config());
    const r = await conn.token();
    for (const [path, value] of [
      ['result', r], ['json', r.json], ['json.ext', r.json.ext], ['json.ext.roles', r.json.ext.roles],
      ['json.ext.roles[1].tenant.tags', r.json.ext.roles[1].tenant.tags], ['json.ext.limits', r.json.ext.limits],
      ['warnings', r.warnings],
    ]) {
      assert.ok(Object.isFrozen(value), `${path} is not frozen`);
    }
    assert.equal(conn.lastResult, r);
    const all = await Promise.all(Array.from({ length: 20 }, () => conn.token()));
    assert.ok(all.every((x) => x === r), 'every caller gets the one result');
  });

  test('a sloppy-mode redaction is ignored; later REST calls carry the real token, no 401, no renewal', async () => {
    const conn = createConnection(config());
    const r = await conn.token();
    const token = r.accessToken;
    const before = tokenRequests();
    const callsBefore = api.requests.length;
    // A function made with the Function constructor is sloppy code: assignment to a frozen
    // property is silently ignored there.
    const redact = new Function('r', `
      r.accessToken = '[redacted]';
      r.json.access_token = '[redacted]';
      r.json.ext.roles[1].tenant.id = 'changed';
      delete r.tokenType;
      return r.accessToken;
    `);
    assert.equal(redact(r), token);
    assert.equal(r.json.access_token, token);
    assert.equal(r.json.ext.roles[1].tenant.id, 'acme');
    assert.equal(r.tokenType, 'Bearer');

    for (let i = 0; i < 6; i += 1) {
      const res = await conn.fetch(api.url(`/items/${i}`));
      assert.equal(res.status, 200, `call ${i}`);
    }
    assert.deepEqual(api.requests.slice(callsBefore).map((c) => c.headers.authorization), Array(6).fill(`Bearer ${token}`));
    assert.equal(tokenRequests(), before, 'no renewal');
    assert.equal((await conn.token()).accessToken, token, 'the next caller sees the real token');
  });

  test('in strict mode the redaction throws a TypeError and changes nothing', async () => {
    const conn = createConnection(config());
    const r = await conn.token();
    const token = r.accessToken;
    assert.throws(() => { r.accessToken = '[redacted]'; }, TypeError);
    assert.throws(() => { r.json.access_token = '[redacted]'; }, TypeError);
    assert.throws(() => { r.json.ext.limits.rps = 1e9; }, TypeError);
    assert.throws(() => { r.json.ext.roles.push('admin'); }, TypeError);
    assert.throws(() => { r.warnings.push('x'); }, TypeError);
    assert.throws(() => { delete r.accessToken; }, TypeError);
    assert.throws(() => { r.extra = 1; }, TypeError);
    assert.equal(r.accessToken, token);
    const callsBefore = api.requests.length;
    for (let i = 0; i < 6; i += 1) assert.equal((await conn.fetch(api.url('/x'))).status, 200);
    assert.ok(api.requests.slice(callsBefore).every((c) => c.headers.authorization === `Bearer ${token}`));
  });

  test('a renewed result is frozen too, and so is one read from a shared cache', async () => {
    const map = new Map();
    const cache = { get: async (k) => map.get(k) ?? null, put: async (k, v) => void map.set(k, v) };
    const conn = createConnection(config({ cache }));
    const first = await conn.token();
    conn.invalidate();
    const renewed = await conn.token();
    assert.notEqual(renewed, first);
    assert.ok(Object.isFrozen(renewed) && Object.isFrozen(renewed.json.ext.roles[1].tenant));
    assert.equal(map.size, 1);

    const before = tokenRequests();
    const reader = createConnection(config({ cache }));
    const cached = await reader.token();
    assert.equal(tokenRequests(), before, 'read from the cache');
    assert.equal(cached.accessToken, renewed.accessToken);
    assert.ok(Object.isFrozen(cached) && Object.isFrozen(cached.json) && Object.isFrozen(cached.json.ext.roles[1].tenant.tags));
  });
});
