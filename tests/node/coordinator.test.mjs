// The coordinator's class in Node.js (the full entry), over a Map as its Durable Object storage and
// a namespace that hands each ask to it, against the demo authorization server on 127.0.0.1. The
// same class in workerd, with three Workers, is tests/edge-cache/coordinator.test.mjs; these cover
// what is easier to observe here: what the object keeps in memory, its storage failing, asks that
// share a failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createConnection, OAuthTokenCoordinator, OAuthTokenError } from 'oauth-token-connection/full';
import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';

const CHILD = fileURLToPath(new URL('./support/coordinator-retention-child.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { demo } = DEMO_CLIENTS;
const alice = DEMO_USERS.alice;

/** An object over `storage` (a Map unless given), and a namespace of one object. */
function coordinator(storage) {
  const map = new Map();
  const object = new OAuthTokenCoordinator({
    storage: storage ?? { get: async (k) => map.get(k), put: async (k, v) => void map.set(k, v), delete: async (k) => void map.delete(k) },
  });
  return { map, namespace: { idFromName: (n) => n, get: () => ({ fetch: (url, init) => object.fetch(new Request(url, init)) }) } };
}

const passwordGrant = (auth, extra) => ({
  tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret,
  grantType: 'password', username: alice.username, password: alice.password, ...extra,
});
const tokenRequests = (auth) => auth.requests.filter((r) => r.path === '/token').length;

test('the object keeps no client secret and no password once an ask ends, in its heap or its wasm memory', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', CHILD], { cwd: REPO_ROOT, timeout: 120_000 });
  const out = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.equal(out.answered, true, 'the connections got the token, without the refresh token');
  assert.deepEqual([out.requests, out.keys], [2, 1], 'one request, then one renewal after invalidate()');
  assert.deepEqual(out.found, {
    heap: ['refresh token'], // the record the object holds in memory
    wasm: [],
    storage: ['refresh token'],
  });
});

test('asks that wait on a renewal that fails share its error: 1 token request for 20 connections', async (t) => {
  const auth = await startAuthServer();
  t.after(() => auth.close());
  const { namespace } = coordinator();
  const config = passwordGrant(auth, { password: 'wrong', coordinator: namespace });
  const settled = await Promise.all(Array.from({ length: 20 }, () => createConnection(config).token().catch((e) => e)));
  assert.equal(tokenRequests(auth), 1);
  for (const e of settled) {
    assert.ok(e instanceof OAuthTokenError, String(e));
    assert.deepEqual([e.code, e.error, e.status], ['ERR_OAUTH', 'invalid_grant', 400]);
  }
  // The next ask tries again.
  await createConnection(config).token().catch(() => {});
  assert.equal(tokenRequests(auth), 2);
});

test('a storage that fails: the token is handed out from memory, with a warning; a failed read is a new request', async (t) => {
  const auth = await startAuthServer();
  t.after(() => auth.close());
  const failing = { get: async () => { throw new TypeError('read'); }, put: async () => { throw new RangeError('write'); }, delete: async () => {} };
  const { namespace } = coordinator(failing);
  const config = passwordGrant(auth, { coordinator: namespace });
  const first = await createConnection(config).token();
  assert.deepEqual(first.warnings, [
    'Token coordinator: reading its storage failed (TypeError)',
    'Token coordinator: storing the token failed (RangeError); it is kept in memory only',
  ]);
  const second = await createConnection(config).token();
  assert.equal(second.accessToken, first.accessToken, 'from memory');
  assert.equal(tokenRequests(auth), 1);
});

test('an object of another version that refuses the settings: the connection requests its own token, with a warning', async (t) => {
  const auth = await startAuthServer();
  t.after(() => auth.close());
  const { namespace } = coordinator();
  // As if the connection's version knew a key the object's does not.
  const newer = {
    idFromName: namespace.idFromName,
    get: (id) => ({
      fetch: (url, init) => {
        const body = JSON.parse(init.body);
        body.settings.aKeyOfANewerVersion = true;
        return namespace.get(id).fetch(url, { ...init, body: JSON.stringify(body) });
      },
    }),
  };
  const r = await createConnection(passwordGrant(auth, { coordinator: newer })).token();
  assert.equal(typeof r.accessToken, 'string');
  assert.deepEqual(r.warnings, ['Token coordinator: asking failed (HTTP status 422); the token was requested from the endpoint']);
  assert.equal(tokenRequests(auth), 1);
});

test('invalidate(): undefined without a coordinator, a promise with one; the default entry refuses it by name', async (t) => {
  const auth = await startAuthServer();
  t.after(() => auth.close());
  assert.equal(createConnection(passwordGrant(auth)).invalidate(), undefined);
  const { namespace, map } = coordinator();
  const conn = createConnection(passwordGrant(auth, { coordinator: namespace }));
  assert.ok(conn.invalidate() instanceof Promise, 'before any token');
  const { accessToken } = await conn.token();
  assert.equal(await conn.invalidate(), undefined);
  assert.equal(JSON.parse([...map.values()][0]).token, undefined, 'dropped in the object');
  assert.notEqual((await createConnection(passwordGrant(auth, { coordinator: namespace })).token()).accessToken, accessToken);
  const base = await import('oauth-token-connection');
  const e = await base.createConnection(passwordGrant(auth, { coordinator: namespace })).token().catch((x) => x);
  assert.equal(e.code, 'ERR_INVALID_CONFIG');
  assert.match(e.message, /^coordinator is in the 'oauth-token-connection\/full' entry/);
  assert.equal(base.OAuthTokenCoordinator, undefined);
});
