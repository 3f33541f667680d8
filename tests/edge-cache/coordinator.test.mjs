// The coordinator in Cloudflare's runtime: three Workers (three isolates of one workerd, through
// Miniflare) bound to one Durable Object namespace of the package's OAuthTokenCoordinator, and a
// real authorization server on 127.0.0.1 (demo/auth-server.mjs) that counts token requests. A
// restart is a second Miniflare instance on the first one's persisted storage. The same
// measurement with a KV namespace alone is the last test (docs/guide/coordinator.md quotes it).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';
import { startWorkers } from './support/workers.mjs';
import { startScriptedServer, token } from '../node/support/scripted-server.mjs';

const { demo } = DEMO_CLIENTS;
const alice = DEMO_USERS.alice;
const ASKING_FAILED = /^Token coordinator: asking failed \((.+)\); the token was requested from the endpoint$/;

/** The password grant of the demo's client and user at `auth`. */
const passwordGrant = (auth, extra = {}) => ({
  tokenEndpoint: auth.url,
  clientId: demo.id,
  clientSecret: demo.secret,
  grantType: 'password',
  username: alice.username,
  password: alice.password,
  ...extra,
});

const tokenRequests = (auth) => auth.requests.filter((r) => r.path === '/token');
const grants = (auth) => tokenRequests(auth).map((r) => new URLSearchParams(r.body).get('grant_type'));

/** `n` fresh connections in each Worker call token() at once; every result. */
async function everyWorker(workers, payload) {
  const per = await Promise.all(workers.names.map((w) => workers.post(w, '/tokens', payload)));
  return per.flat();
}

/** Files under `dir` (recursively) whose bytes contain `text`. */
async function filesHolding(dir, text) {
  const found = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if ((await readFile(path)).includes(Buffer.from(text))) found.push(path);
  }
  return found;
}

describe('one Miniflare instance, three Workers, one Durable Object namespace', () => {
  let workers;
  before(async () => {
    workers = await startWorkers();
  });
  after(() => workers?.dispose());

  test('3 Workers x 50 concurrent token() on fresh connections: exactly 1 token request', async (t) => {
    const auth = await startAuthServer();
    t.after(() => auth.close());
    const results = await everyWorker(workers, { config: passwordGrant(auth), n: 50 });
    assert.equal(results.length, 150);
    assert.deepEqual(results.filter((r) => r.error), [], 'no failures');
    assert.equal(tokenRequests(auth).length, 1);
    assert.equal(new Set(results.map((r) => r.accessToken)).size, 1);
    assert.equal(results[0].accessToken, auth.tokens[0].accessToken);
    for (const r of results) {
      assert.deepEqual(r.warnings, []);
      assert.equal(r.refreshToken, undefined, 'the refresh token stays in the object');
    }
    // Later connections, anywhere, are answered from the object's memory.
    await everyWorker(workers, { config: passwordGrant(auth), n: 5 });
    assert.equal(tokenRequests(auth).length, 1);
  });

  test('a 401 in one Worker: exactly 1 renewal, seen by all; a late 401 for the old token renews nothing', async (t) => {
    const auth = await startAuthServer();
    const api = await startResourceServer(auth);
    t.after(async () => {
      await api.close();
      await auth.close();
    });
    const config = passwordGrant(auth);
    const url = `${api.origin}/items`;
    // Each Worker keeps a connection; two more hold the first token and make no call yet.
    for (const w of workers.names) {
      assert.equal((await workers.post(w, '/kept/fetch', { config, name: `api-${w}`, url })).status, 200);
    }
    const t1 = auth.tokens[0].accessToken;
    const late = await workers.post('c', '/kept/token', { config, name: 'late-c' });
    const dropping = await workers.post('b', '/kept/token', { config, name: 'dropping-b' });
    assert.deepEqual([late.accessToken, dropping.accessToken, tokenRequests(auth).length], [t1, t1, 1]);

    // The server revokes the token: Worker a's call gets 401, renews once through the object, retries.
    auth.revoke(t1);
    const a = await workers.post('a', '/kept/fetch', { config, name: 'api-a', url });
    assert.equal(a.status, 200);
    assert.equal(tokenRequests(auth).length, 2, 'one renewal');
    assert.deepEqual(grants(auth), ['password', 'refresh_token'], 'with the refresh token the object holds');
    const t2 = auth.tokens[1].accessToken;
    assert.equal(a.accessToken, t2);
    // b and c get their 401 for t1 too, at once: the object answers t2 without a request.
    const bc = await Promise.all(['b', 'c'].map((w) => workers.post(w, '/kept/fetch', { config, name: `api-${w}`, url })));
    assert.deepEqual(bc.map((r) => [r.status, r.accessToken]), [[200, t2], [200, t2]]);
    assert.equal(tokenRequests(auth).length, 2);

    // A late 401 for t1 (a connection that still held it): the object keeps t2.
    const lateCall = await workers.post('c', '/kept/fetch', { config, name: 'late-c', url });
    assert.deepEqual([lateCall.status, lateCall.accessToken], [200, t2]);
    // invalidate() for t1: a promise, settled once the object has answered; t2 stays.
    assert.deepEqual(await workers.post('b', '/kept/invalidate', { config, name: 'dropping-b' }), { isPromise: true });
    const fresh = await everyWorker(workers, { config, n: 3 });
    assert.ok(fresh.every((r) => r.accessToken === t2));
    assert.equal(tokenRequests(auth).length, 2, 'no renewal');
    // invalidate() for the current token drops it in the object: the next asker renews, once.
    await workers.post('a', '/kept/invalidate', { config, name: 'api-a' });
    const after = await everyWorker(workers, { config, n: 3 });
    assert.equal(tokenRequests(auth).length, 3);
    assert.equal(new Set(after.map((r) => r.accessToken)).size, 1);
    assert.notEqual(after[0].accessToken, t2);
  });

  test('refresh rotation: 1 refresh for 3 Workers renewing at once, R1 never sent twice; a refused refresh falls back once', async (t) => {
    // 6 s tokens: the default 60 s skew is capped at half the lifetime, so renewal is due after 3 s.
    const auth = await startAuthServer({ accessTokenLifetime: 6 });
    t.after(() => auth.close());
    const config = passwordGrant(auth);
    const first = await everyWorker(workers, { config, n: 1 });
    assert.equal(tokenRequests(auth).length, 1);
    const r1 = auth.tokens[0].refreshToken;
    assert.ok(first.every((r) => r.refreshToken === undefined));

    // A second past due: workerd's clock advances only with I/O, so it may lag Node's.
    await sleep(first[0].expiresAt - 3_000 - Date.now() + 1_000);
    const renewed = await everyWorker(workers, { config, n: 20 });
    assert.deepEqual(grants(auth), ['password', 'refresh_token']);
    const refreshes = tokenRequests(auth).map((r) => new URLSearchParams(r.body).get('refresh_token')).filter(Boolean);
    assert.deepEqual(refreshes, [r1], 'R1 sent once');
    const [, second] = auth.tokens;
    assert.ok(renewed.every((r) => r.accessToken === second.accessToken && r.warnings.length === 0));
    assert.notEqual(second.refreshToken, r1, 'rotated');

    // The server refuses R2 (revoked): the object falls back to the password grant, once.
    auth.revokeRefreshToken(second.refreshToken);
    await sleep(renewed[0].expiresAt - 3_000 - Date.now() + 1_000);
    const fallback = await everyWorker(workers, { config, n: 20 });
    assert.deepEqual(grants(auth), ['password', 'refresh_token', 'refresh_token', 'password']);
    assert.equal(new URLSearchParams(tokenRequests(auth)[2].body).get('refresh_token'), second.refreshToken);
    assert.equal(auth.responses.at(-2).status, 400, 'the refresh was refused');
    assert.ok(fallback.every((r) => r.accessToken === auth.tokens[2].accessToken));
    const all = tokenRequests(auth).map((r) => new URLSearchParams(r.body).get('refresh_token')).filter(Boolean);
    assert.equal(new Set(all).size, all.length, 'no refresh token was sent twice');
  });

  test('a wrong password or client secret never receives another configuration\'s token: coordinator and KV', async (t) => {
    const auth = await startAuthServer();
    t.after(() => auth.close());
    for (const store of ['TOKENS', 'KV']) {
      const right = await workers.post('a', '/tokens', { config: passwordGrant(auth), n: 1, store });
      const token = right[0].accessToken;
      assert.equal(typeof token, 'string', store);
      const before = tokenRequests(auth).length;
      for (const [wrong, error] of [[{ password: 'wrong' }, 'invalid_grant'], [{ clientSecret: 'wrong' }, 'invalid_client']]) {
        const results = await everyWorker(workers, { config: passwordGrant(auth, wrong), n: 3, store });
        for (const r of results) {
          assert.notEqual(r.accessToken, token, `${store}, ${Object.keys(wrong)}`);
          assert.deepEqual([r.error?.code, r.error?.error], ['ERR_OAUTH', error], `${store}: ${JSON.stringify(r)}`);
        }
      }
      assert.ok(tokenRequests(auth).length > before, `${store}: the endpoint refused them`);
    }
    // Even an ask sent straight to the right configuration's object, with a wrong password, is
    // answered for its own key: the object derives the key from the settings it is sent.
    const rightKey = (await workers.post('a', '/key', { config: passwordGrant(auth) })).key;
    const answer = await workers.post('b', '/ask', { name: rightKey, settings: passwordGrant(auth, { password: 'wrong' }) });
    assert.equal(answer.value, undefined);
    assert.deepEqual([answer.error.code, answer.error.error], ['ERR_OAUTH', 'invalid_grant']);
  });

  test('an object that throws or never answers: each connection still gets a token, with a warning naming the coordinator', async (t) => {
    const auth = await startAuthServer();
    t.after(() => auth.close());
    const broken = await everyWorker(workers, { config: passwordGrant(auth), n: 2, store: 'BROKEN' });
    assert.equal(tokenRequests(auth).length, 6, 'each connection requested its own');
    for (const r of broken) {
      assert.equal(typeof r.accessToken, 'string', JSON.stringify(r));
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0], ASKING_FAILED);
    }
    // A hung object is given up after timeoutSeconds + 2 s.
    const started = Date.now();
    const hung = await workers.post('a', '/tokens', { config: passwordGrant(auth, { timeoutSeconds: 1 }), n: 2, store: 'HUNG' });
    const took = Date.now() - started;
    assert.ok(took >= 3_000 && took < 8_000, `${took} ms`);
    for (const r of hung) {
      assert.equal(typeof r.accessToken, 'string', JSON.stringify(r));
      assert.deepEqual(r.warnings.map((w) => w.match(ASKING_FAILED)?.[1]), ['no answer within 3000 ms']);
    }
  });

  test('an issuer and retry through the object: 3 Workers x 20 fresh connections, 1 discovery and 1 retried token request', async (t) => {
    const server = await startScriptedServer((r) =>
      r.path === '/.well-known/oauth-authorization-server/tenant'
        ? { json: { issuer: `${r.origin}/tenant`, token_endpoint: `${r.origin}/tenant/token` } }
        : undefined);
    t.after(() => server.close());
    server.script([{ status: 503, headers: { 'retry-after': '1' } }, token('after-503')]);
    const config = { issuer: `${server.origin}/tenant`, clientId: 'c', clientSecret: 's', retry: { attempts: 1 } };
    const results = await everyWorker(workers, { config, n: 20 });
    assert.deepEqual(results.filter((r) => r.error), [], 'no failures');
    assert.deepEqual(server.requests.map((r) => r.path), [
      '/.well-known/oauth-authorization-server/tenant',
      '/tenant/token',
      '/tenant/token',
    ]);
    assert.ok(server.requests[2].at - server.requests[1].at >= 1000, 'the object waited for Retry-After');
    assert.deepEqual([...new Set(results.map((r) => r.accessToken))], ['after-503']);
    const retried = results.filter((r) => r.warnings.some((w) => w.startsWith('retried after HTTP 503: waited 1000 ms')));
    assert.equal(retried.length, 1, 'the renewing ask records the retry');
  });

  test('KV alone and nothing, the same measurement: 3 Workers x 50 fresh connections at once', async (t) => {
    for (const store of ['KV', 'NONE']) {
      const auth = await startAuthServer();
      t.after(() => auth.close());
      const results = await everyWorker(workers, { config: passwordGrant(auth), n: 50, store });
      assert.deepEqual(results.filter((r) => r.error), []);
      const n = tokenRequests(auth).length;
      t.diagnostic(`${store}: ${n} token requests for 150 fresh connections in 3 Workers (the coordinator: 1)`);
      assert.ok(n > 1, `${store} has no lock: concurrent misses each request (${n})`);
    }
  });
});

test('a restart on persisted storage: 0 token requests until the skew, then 1 refresh; the secret and password never stored', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'otc-coordinator-'));
  // 15 s tokens renewed 5 s before expiry.
  const auth = await startAuthServer({ accessTokenLifetime: 15 });
  let workers;
  t.after(async () => {
    await workers?.dispose();
    await auth.close();
    await rm(dir, { recursive: true, force: true });
  });
  const config = passwordGrant(auth, { refreshSkewSeconds: 5 });

  workers = await startWorkers({ persist: dir, sqlite: true });
  const first = await everyWorker(workers, { config, n: 5 });
  assert.equal(tokenRequests(auth).length, 1);
  await workers.dispose();

  workers = await startWorkers({ persist: dir, sqlite: true });
  const restarted = await everyWorker(workers, { config, n: 5 });
  assert.ok(Date.now() < first[0].expiresAt - 5_000, 'still before the skew');
  assert.equal(tokenRequests(auth).length, 1, 'no new request: the object read its storage');
  assert.ok(restarted.every((r) => r.accessToken === first[0].accessToken && r.expiresAt === first[0].expiresAt));

  await sleep(first[0].expiresAt - 5_000 - Date.now() + 200);
  const renewed = await everyWorker(workers, { config, n: 5 });
  assert.deepEqual(grants(auth), ['password', 'refresh_token'], 'the stored refresh token survived the restart');
  assert.ok(renewed.every((r) => r.accessToken === auth.tokens[1].accessToken));
  await workers.dispose();
  workers = undefined;

  // What the storage holds: the tokens, never the client secret or the password.
  assert.notDeepEqual(await filesHolding(dir, auth.tokens[1].refreshToken), [], 'the refresh token is stored');
  for (const secret of [demo.secret, alice.password]) assert.deepEqual(await filesHolding(dir, secret), [], secret);
});
