// The shared token cache in Cloudflare's runtime: two separate Workers (two Miniflare instances,
// two workerd processes) bound to the same KV namespace, persisted in a temporary directory,
// each with a connection whose `cache` is that binding. The loopback authorization server counts
// exactly one token request between them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';
import { startWorker } from '../hosts/support/worker-host.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const { demo } = DEMO_CLIENTS;
const alice = DEMO_USERS.alice;

test('two Workers bound to one persisted KV namespace get one token between them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'otc-kv-'));
  const workers = [];
  let auth;
  t.after(async () => {
    for (const w of workers) await w.dispose();
    await auth?.close();
    await rm(dir, { recursive: true, force: true });
    await assert.rejects(stat(dir), { code: 'ENOENT' }, 'the temporary directory is removed');
  });

  auth = await startAuthServer();
  const kv = { kvNamespaces: { TOKENS: 'otc-test-tokens' }, kvPersist: dir };
  workers.push(await startWorker(PKG, kv, './full'), await startWorker(PKG, kv, './full'));
  const [a, b] = workers;
  const config = {
    tokenEndpoint: auth.url,
    grantType: 'password',
    clientId: demo.id,
    clientSecret: demo.secret,
    username: alice.username,
    password: alice.password,
    scope: 'read',
  };
  const tokenRequests = () => auth.requests.filter((r) => r.path === '/token').length;

  const first = await a.post('/cached', { config });
  assert.equal(first.ok, true, first.error?.message);
  assert.equal(tokenRequests(), 1);
  assert.equal(first.result.accessToken, auth.tokens.at(-1).accessToken);
  assert.equal(typeof first.result.refreshToken, 'string', 'the endpoint issued a refresh token');

  const second = await b.post('/cached', { config });
  assert.equal(second.ok, true, second.error?.message);
  assert.equal(tokenRequests(), 1, 'the second Worker took the token from KV');
  assert.equal(second.result.accessToken, first.result.accessToken);
  assert.equal(second.result.expiresAt, first.result.expiresAt);
  assert.equal(second.result.refreshToken, undefined, 'no refresh token in KV');
  assert.deepEqual(second.result.warnings, []);
  assert.match(first.cacheKey, /^otc:v2:[0-9a-f]{64}$/);
  assert.equal(second.cacheKey, first.cacheKey);

  // Each isolate then holds its token: more requests touch neither the endpoint nor KV's value.
  for (const w of workers) {
    const again = await w.post('/cached', { config });
    assert.equal(again.result.accessToken, first.result.accessToken);
  }
  assert.equal(tokenRequests(), 1);

  // What KV holds: the token result without the refresh token, with a TTL (seconds) until expiry.
  const ns = await b.miniflare.getKVNamespace('TOKENS');
  const value = await ns.get(first.cacheKey);
  const stored = JSON.parse(value);
  assert.equal(stored.accessToken, first.result.accessToken);
  assert.equal(stored.refreshToken, undefined);
  assert.equal(stored.json.refresh_token, undefined);
  for (const secret of [demo.secret, alice.password, first.result.refreshToken]) assert.ok(!value.includes(secret));
  const listed = await ns.list();
  assert.equal(listed.keys.length, 1);
  const expiration = listed.keys[0].expiration; // epoch seconds
  assert.ok(expiration > Date.now() / 1000 + 3500 && expiration <= Date.now() / 1000 + 3601, String(expiration));

  // The namespace lives in the temporary directory.
  assert.ok((await readdir(dir, { recursive: true })).length > 0);
});
