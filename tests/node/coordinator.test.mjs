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
import { startScriptedServer, token } from './support/scripted-server.mjs';

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

test('fetch with a coordinator is refused by name, as the object could not use it; restFetch stays the connection\'s', async (t) => {
  const auth = await startAuthServer();
  t.after(() => auth.close());
  const { namespace } = coordinator();
  let asked = 0;
  const counting = { idFromName: namespace.idFromName, get: (id) => (asked++, namespace.get(id)) };
  let fetched = 0;
  const mine = (input, init) => (fetched++, fetch(input, init));
  const e = await createConnection(passwordGrant(auth, { coordinator: counting, fetch: mine })).token().catch((x) => x);
  assert.ok(e instanceof OAuthTokenError, String(e));
  assert.equal(e.code, 'ERR_INVALID_CONFIG');
  assert.match(e.message, /^fetch cannot be used with coordinator: the coordinator's object sends the token requests with its own global fetch/);
  assert.match(e.message, /restFetch/);
  // The TLS client certificate methods need that fetch: refused alike.
  const mtls = { tokenEndpoint: auth.url, clientId: demo.id, clientAuthentication: 'tls_client_auth', coordinator: counting };
  const m = await createConnection(mtls).token().catch((x) => x);
  assert.equal(m.code, 'ERR_INVALID_CONFIG');
  assert.match(m.message, /cannot be used with coordinator: .*presents no client certificate/);
  assert.deepEqual([fetched, asked, tokenRequests(auth)], [0, 0, 0], 'nothing asked, nothing sent');

  // restFetch: the REST calls go through it, with the token the object requested.
  const sent = [];
  const rest = (input, init) => (sent.push(new Headers(init.headers).get('authorization')), fetch(input, init));
  const conn = createConnection(passwordGrant(auth, { coordinator: counting, restFetch: rest }));
  const res = await conn.fetch(`${auth.origin}/api/things`);
  await res.body?.cancel();
  const { accessToken } = await conn.token();
  assert.deepEqual(sent, [`Bearer ${accessToken}`]);
  assert.deepEqual([asked, tokenRequests(auth)], [1, 1]);
});

test('an issuer and retry: the object discovers and retries inside its one renewal, for 20 fresh connections', async (t) => {
  const server = await startScriptedServer((r) =>
    r.path === '/.well-known/oauth-authorization-server/tenant'
      ? { json: { issuer: `${r.origin}/tenant`, token_endpoint: `${r.origin}/tenant/token` } }
      : undefined);
  t.after(() => server.close());
  server.script([{ status: 429, headers: { 'retry-after': '1' } }, token('after-429')]);
  const { namespace, map } = coordinator();
  const config = { issuer: `${server.origin}/tenant`, clientId: 'c', clientSecret: 's', retry: {}, coordinator: namespace };
  const results = await Promise.all(Array.from({ length: 20 }, () => createConnection(config).token()));
  assert.deepEqual(server.requests.map((r) => r.path), [
    '/.well-known/oauth-authorization-server/tenant',
    '/tenant/token',
    '/tenant/token',
  ]);
  const waited = server.requests[2].at - server.requests[1].at;
  assert.ok(waited >= 1000, `retried after ${waited} ms`);
  for (const r of results) assert.equal(r.accessToken, 'after-429');
  // The renewing ask's result records the retry; the others were answered from the record.
  const retried = results.filter((r) => r.warnings.some((w) => /^retried after HTTP 429: waited 1000 ms/.test(w)));
  assert.equal(retried.length, 1);
  // The object is named, and its record keyed, by the connection's key (the issuer and the
  // credentials): a connection with another secret gets another record.
  assert.deepEqual([...map.keys()], [await createConnection(config).cacheKey()]);
  assert.notEqual(await createConnection({ ...config, clientSecret: 'other' }).cacheKey(), [...map.keys()][0]);
});
