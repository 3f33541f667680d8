// The caller's config is read once, at call time: each request carries what its config held
// then, whatever the object does afterwards. A getter that answers differently on a later read,
// or throws on one, never mixes one call's credentials with another's; an object mutated right
// after a call (before awaiting it) does not change what that call sends; a connection keeps what
// its config held at createConnection. A recording token server on 127.0.0.1 shows what went out.

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { requestToken, createConnection } from 'oauth-token-connection';
import { startTokenServer, credentialsOf } from './support/token-server.mjs';

let server;
before(async () => {
  server = await startTokenServer();
});
after(() => server?.close());
beforeEach(() => server.reset());

/** A getter answering `first` on its first read and `later()` on every other; counts its reads. */
function changing(first, later) {
  const getter = {
    reads: 0,
    get: () => (getter.reads++ === 0 ? first : later()),
  };
  return getter;
}

/** A config whose clientId and clientSecret are read through `id` and `secret` (changing() getters). */
function withGetters(id, secret, extra = {}) {
  const cfg = { tokenEndpoint: server.url, ...extra };
  Object.defineProperty(cfg, 'clientId', { get: id.get, enumerable: true, configurable: true });
  Object.defineProperty(cfg, 'clientSecret', { get: secret.get, enumerable: true, configurable: true });
  return cfg;
}

const byId = (a, b) => String(a.id).localeCompare(String(b.id));

test('getters that change between reads: one consistent (id, secret) pair, the first read, each read once', async () => {
  const id = changing('id-A', () => 'id-B');
  const secret = changing('secret-A', () => 'secret-B');
  const result = await requestToken(withGetters(id, secret));
  assert.equal(result.accessToken, 'token-1');
  assert.deepEqual(server.credentials(), [{ id: 'id-A', secret: 'secret-A' }]);
  assert.deepEqual([id.reads, secret.reads], [1, 1], 'each member is read once per call');
});

test('getters that throw after their first read: the call uses the first read and succeeds', async () => {
  const fail = () => {
    throw new Error('read a second time');
  };
  const result = await requestToken(withGetters(changing('id-once', fail), changing('secret-once', fail)));
  assert.equal(result.accessToken, 'token-1');
  assert.deepEqual(server.credentials(), [{ id: 'id-once', secret: 'secret-once' }]);

  const conn = createConnection(withGetters(changing('id-C', fail), changing('secret-C', fail)));
  assert.equal((await conn.token()).accessToken, 'token-2');
  assert.deepEqual(server.credentials().at(-1), { id: 'id-C', secret: 'secret-C' });
});

test('a connection keeps what changing getters answered at createConnection, for every renewal', async () => {
  const id = changing('id-A', () => 'id-B');
  const secret = changing('secret-A', () => 'secret-B');
  const conn = createConnection(withGetters(id, secret));
  await conn.token();
  conn.invalidate();
  await conn.token();
  assert.deepEqual(server.credentials(), [{ id: 'id-A', secret: 'secret-A' }, { id: 'id-A', secret: 'secret-A' }]);
  assert.deepEqual([id.reads, secret.reads], [1, 1], 'the connection read each member once');
});

test('requestToken, mutate the object, requestToken again before awaiting: each carries its own', async () => {
  const cfg = {
    tokenEndpoint: server.url, clientId: 'id-1', clientSecret: 'secret-1', extraParams: { audience: 'aud-1', resource: ['r-1'] },
  };
  const first = requestToken(cfg);
  cfg.clientId = 'id-2';
  cfg.clientSecret = 'secret-2';
  cfg.extraParams.audience = 'aud-2';
  cfg.extraParams.resource.push('r-2');
  const second = requestToken(cfg);
  await Promise.all([first, second]);

  // The two requests may arrive in either order.
  const sent = server.requests.map((r) => ({ ...credentialsOf(r), audience: r.form.get('audience'), resource: r.form.getAll('resource') }));
  assert.deepEqual(sent.sort(byId), [
    { id: 'id-1', secret: 'secret-1', audience: 'aud-1', resource: ['r-1'] },
    { id: 'id-2', secret: 'secret-2', audience: 'aud-2', resource: ['r-1', 'r-2'] },
  ]);
});

test('createConnection, then mutate the object before the first token(): the connection uses what it held', async () => {
  const cfg = { tokenEndpoint: server.url, clientId: 'id-1', clientSecret: 'secret-1', extraParams: { audience: 'aud-1' } };
  const conn = createConnection(cfg);
  cfg.clientId = 'id-2';
  cfg.clientSecret = 'secret-2';
  cfg.extraParams.audience = 'aud-2';
  cfg.tokenEndpoint = `${server.origin}/elsewhere`;
  await conn.token();
  conn.invalidate();
  await conn.token();
  assert.deepEqual(server.credentials(), [{ id: 'id-1', secret: 'secret-1' }, { id: 'id-1', secret: 'secret-1' }]);
  assert.deepEqual(server.requests.map((r) => [r.path, r.form.get('audience')]), [['/token', 'aud-1'], ['/token', 'aud-1']]);
});
