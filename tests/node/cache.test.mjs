// createConnection's shared token cache (`cache`, the Workers KV shape) against the real
// authorization server (demo/auth-server.mjs) on 127.0.0.1, with an in-memory KV-shaped store.
// Token requests are counted server-side. The two-isolate test in real workerd (miniflare, a
// persisted KV namespace) is tests/edge-cache/.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

import { createConnection, requestToken, OAuthTokenError } from 'oauth-token-connection/full';
import { startAuthServer, DEMO_CLIENTS, DEMO_USERS } from '../../demo/auth-server.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';
import { startHostileServer } from './support/hostile-server.mjs';

const { demo } = DEMO_CLIENTS;
const alice = DEMO_USERS.alice;

const READ_FAILED = (reason) => `Token cache: reading failed (${reason}); the token was requested from the endpoint`;
const WRITE_FAILED = (reason) => `Token cache: storing the token failed (${reason}); the token is used anyway`;
const UNREADABLE = 'Token cache: ignored an entry that is not a stored token result; the token was requested from the endpoint';

/**
 * A store with the Workers KV shape over a Map. `gets` and `puts` record every call; `get` and
 * `put` overrides replace the behaviour (e.g. to throw).
 */
function memoryKv(overrides = {}) {
  const kv = { map: new Map(), gets: [], puts: [] };
  kv.get = (key) => {
    kv.gets.push(key);
    if (overrides.get) return overrides.get(key);
    return Promise.resolve(kv.map.get(key) ?? null);
  };
  kv.put = (key, value, options) => {
    kv.puts.push({ key, value, options });
    if (overrides.put) return overrides.put(key, value, options);
    kv.map.set(key, value);
    return Promise.resolve();
  };
  return kv;
}

describe('createConnection with a shared cache (Workers KV shape)', () => {
  let auth;
  let api;
  let hostile;
  before(async () => {
    auth = await startAuthServer();
    api = await startResourceServer(auth);
    hostile = await startHostileServer();
  });
  after(async () => {
    await hostile?.close();
    await api?.close();
    await auth?.close();
  });

  const tokenRequests = () => auth.requests.filter((r) => r.path === '/token').length;
  const clientCredentials = (extra = {}) => ({ tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, ...extra });
  const passwordGrant = (extra = {}) =>
    clientCredentials({ grantType: 'password', username: alice.username, password: alice.password, ...extra });

  /** Counts the endpoint's token requests made by `fn`. */
  async function requestsDuring(fn) {
    const before = tokenRequests();
    const out = await fn();
    return [tokenRequests() - before, out];
  }

  test('a second connection takes the stored token: 1 request, the original expiresAt, no refresh token stored', async () => {
    const kv = memoryKv();
    const a = createConnection(passwordGrant({ scope: 'read write', cache: kv }));
    const [n1, first] = await requestsDuring(() => a.token());
    assert.equal(n1, 1);
    assert.equal(typeof first.refreshToken, 'string', 'the endpoint issued a refresh token');
    assert.deepEqual(first.warnings, []);

    // One get (a miss), one put of the result without its refresh token.
    const key = await a.cacheKey();
    assert.match(key, /^otc:v2:[0-9a-f]{64}$/);
    assert.deepEqual(kv.gets, [key]);
    assert.equal(kv.puts.length, 1);
    const { key: putKey, value, options } = kv.puts[0];
    assert.equal(putKey, key);
    assert.ok(options.expirationTtl === 3600 || options.expirationTtl === 3599, String(options.expirationTtl));
    const stored = JSON.parse(value);
    assert.equal(stored.accessToken, first.accessToken);
    assert.equal(stored.expiresAt, first.expiresAt);
    assert.equal(stored.refreshToken, undefined);
    assert.equal(stored.json.refresh_token, undefined);
    assert.equal(stored.json.access_token, first.accessToken);
    for (const secret of [demo.secret, alice.password, first.refreshToken]) {
      assert.ok(!value.includes(secret), 'the stored value holds no secret and no refresh token');
    }

    // Another connection (another isolate) with the same settings: no request.
    const b = createConnection(passwordGrant({ scope: 'write read', cache: kv }));
    const [n2, second] = await requestsDuring(() => b.token());
    assert.equal(n2, 0);
    assert.equal(second.accessToken, first.accessToken);
    assert.equal(second.expiresAt, first.expiresAt, 'the original expiry, not a new one');
    assert.equal(second.expiresIn, first.expiresIn);
    assert.equal(second.scope, 'read write');
    assert.equal(second.refreshToken, undefined);
    const { refresh_token: _, ...jsonWithoutRefresh } = first.json;
    assert.deepEqual(second.json, jsonWithoutRefresh);
    assert.equal(b.lastResult, second);
    // The cached token works at the real resource server.
    const res = await b.fetch(`${api.origin}/items`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).user, alice.username);
    assert.equal(kv.puts.length, 1, 'a cached token is not stored again');
  });

  test('the key: otc:v2: + HMAC-SHA-256 of the documented input keyed by the credentials; never holds a secret', async () => {
    const key = (config) => createConnection({ ...config, cache: memoryKv() }).cacheKey();
    const base = await key(passwordGrant());
    // The documented input and HMAC key (caching guide, "The key"), computed here with node:crypto.
    const field = (name, v) => (v === undefined ? `${name}=-\n` : `${name}=${Buffer.byteLength(v)}:${v}\n`);
    const input = 'oauth-token-connection cache key v2\n' + field('token_endpoint', auth.url) + field('client_id', demo.id)
      + field('grant_type', 'password') + field('scope', undefined) + field('username', alice.username)
      + field('extra_params', '0');
    const hmacKey = 'oauth-token-connection key secret v2\n' + field('client_secret', demo.secret)
      + field('password', alice.password) + field('refresh_token', undefined);
    assert.equal(base, `otc:v2:${createHmac('sha256', hmacKey).update(input).digest('hex')}`);

    const different = await Promise.all([
      key(passwordGrant({ tokenEndpoint: `${auth.origin}/token?tenant=2` })),
      key(passwordGrant({ clientId: 'ascii-special', clientSecret: 'x' })),
      key(clientCredentials()),
      key(passwordGrant({ username: 'bob' })),
      key(passwordGrant({ scope: 'read' })),
      key(passwordGrant({ extraParams: { audience: 'https://api.example' } })),
      // A credential changes the key too: a wrong one never reaches the right one's entry.
      key(passwordGrant({ password: 'another' })),
      key(passwordGrant({ clientSecret: 'other' })),
    ]);
    assert.equal(new Set([base, ...different]).size, 9, 'each difference gives its own key');
    // The same token: authentication method, scope order, parameter order.
    assert.equal(await key(passwordGrant({ clientAuthentication: 'body' })), base);
    assert.equal(await key(passwordGrant({ scope: 'write read' })), await key(passwordGrant({ scope: 'read write' })));
    assert.equal(
      await key(passwordGrant({ extraParams: { a: '1', b: '2' } })),
      await key(passwordGrant({ extraParams: { b: '2', a: '1' } })),
    );
    for (const k of [base, ...different]) {
      for (const secret of [demo.secret, alice.password, alice.username, demo.id]) assert.ok(!k.includes(secret));
    }
    assert.equal(await createConnection(passwordGrant()).cacheKey(), undefined, 'no cache, no key');
  });

  test('a wrong password or client secret is never served the token another connection stored', async () => {
    const kv = memoryKv();
    const right = await createConnection(passwordGrant({ cache: kv })).token();
    assert.equal(kv.puts.length, 1);
    for (const [wrong, error] of [[{ password: 'wrong' }, 'invalid_grant'], [{ clientSecret: 'wrong' }, 'invalid_client']]) {
      const conn = createConnection(passwordGrant({ ...wrong, cache: kv }));
      const [n, e] = await requestsDuring(() => conn.token().then((r) => r, (x) => x));
      assert.ok(e instanceof OAuthTokenError, `${Object.keys(wrong)}: got ${e?.accessToken === right.accessToken ? 'the stored token' : e}`);
      assert.deepEqual([e.code, e.error, n], ['ERR_OAUTH', error, 1], 'the endpoint was asked, and refused');
      assert.notEqual(await conn.cacheKey(), kv.puts[0].key, 'another key');
    }
    assert.equal(kv.puts.length, 1, 'nothing stored for the wrong ones');
  });

  test("without a global crypto (Node.js 18's case) node:crypto's webcrypto gives the same key", async (t) => {
    const expected = await createConnection(passwordGrant({ cache: memoryKv() })).cacheKey();
    const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true, writable: true });
    t.after(() => Object.defineProperty(globalThis, 'crypto', original));
    assert.equal(globalThis.crypto, undefined);
    const kv = memoryKv();
    const conn = createConnection(passwordGrant({ cache: kv }));
    assert.equal(await conn.cacheKey(), expected);
    await conn.token();
    assert.deepEqual(kv.gets, [expected]);
  });

  test('an expired entry, or one inside the skew window, is not used; the new token replaces it', async () => {
    const kv = memoryKv();
    const seed = createConnection(clientCredentials({ cache: kv }));
    const original = await seed.token();
    const key = await seed.cacheKey();
    const entry = JSON.parse(kv.map.get(key));
    const store = (changes) => kv.map.set(key, JSON.stringify({ ...entry, ...changes }));

    store({ expiresAt: Date.now() - 1000 });
    const [n1, r1] = await requestsDuring(() => createConnection(clientCredentials({ cache: kv })).token());
    assert.equal(n1, 1, 'expired: requested');
    assert.notEqual(r1.accessToken, original.accessToken);
    assert.deepEqual(r1.warnings, [], 'an expired entry is normal, not a warning');
    assert.equal(JSON.parse(kv.map.get(key)).accessToken, r1.accessToken, 'the new token replaced it');

    // 30 s left of a 3600 s token: inside the default 60 s skew, outside a 10 s one.
    store({ expiresAt: Date.now() + 30_000 });
    const [n2] = await requestsDuring(() => createConnection(clientCredentials({ cache: kv })).token());
    assert.equal(n2, 1, 'inside the skew window: requested');
    store({ expiresAt: Date.now() + 30_000 });
    const [n3, r3] = await requestsDuring(() => createConnection(clientCredentials({ cache: kv, refreshSkewSeconds: 10 })).token());
    assert.equal(n3, 0, 'with a 10 s skew it is still valid');
    assert.equal(r3.accessToken, entry.accessToken);
  });

  test('a get that throws, rejects or hangs: the token comes from the endpoint, with a warning', async () => {
    const cases = [
      ['throws', () => { throw new TypeError('binding gone'); }, 'TypeError'],
      ['rejects', () => Promise.reject(new RangeError('KV GET failed: 500')), 'RangeError'],
      ['rejects with a string', () => Promise.reject('nope'), 'a thrown string'],
      ['never answers', () => new Promise(() => {}), 'no answer within 2000 ms'],
    ];
    for (const [name, get, reason] of cases) {
      const kv = memoryKv({ get });
      const conn = createConnection(clientCredentials({ cache: kv }));
      const [n, r] = await requestsDuring(() => conn.token());
      assert.equal(n, 1, name);
      assert.equal(r.accessToken, auth.tokens.at(-1).accessToken, name);
      assert.deepEqual(r.warnings, [READ_FAILED(reason)], name);
      assert.equal(kv.puts.length, 1, `${name}: the new token is still stored`);
    }
  });

  test('a put that throws, rejects or hangs: the token is used anyway, with a warning', async () => {
    const cases = [
      ['throws', () => { throw new Error('KV PUT failed: 429 Too Many Requests'); }, 'Error'],
      ['rejects', () => Promise.reject(new TypeError('x')), 'TypeError'],
      ['never answers', () => new Promise(() => {}), 'no answer within 2000 ms'],
    ];
    for (const [name, put, reason] of cases) {
      const kv = memoryKv({ put });
      const conn = createConnection(clientCredentials({ cache: kv }));
      const r = await conn.token();
      assert.equal(r.accessToken, auth.tokens.at(-1).accessToken, name);
      assert.deepEqual(r.warnings, [WRITE_FAILED(reason)], name);
      // The token is held: the next call needs neither the endpoint nor the cache.
      const [n, again] = await requestsDuring(() => conn.token());
      assert.equal(n, 0, name);
      assert.equal(again, r);
      assert.equal(kv.gets.length, 1, name);
    }
  });

  test('a corrupt or foreign entry is ignored with a warning and replaced', async () => {
    const kv = memoryKv();
    const seed = createConnection(clientCredentials({ cache: kv }));
    await seed.token();
    const key = await seed.cacheKey();
    const good = JSON.parse(kv.map.get(key));
    const corrupt = [
      'not json',
      '[]',
      '"a string"',
      '{}',
      JSON.stringify({ ...good, accessToken: 5 }),
      JSON.stringify({ ...good, accessToken: 'has space' }),
      JSON.stringify({ ...good, expiresAt: 'tomorrow' }),
      JSON.stringify({ ...good, expiresIn: undefined }),
      JSON.stringify({ ...good, json: 'x' }),
      JSON.stringify({ ...good, warnings: [1] }),
      42,
      new TextEncoder().encode(JSON.stringify(good)).buffer,
      { ...good },
    ];
    for (const value of corrupt) {
      kv.map.set(key, value);
      const [n, r] = await requestsDuring(() => createConnection(clientCredentials({ cache: kv })).token());
      const label = typeof value === 'string' ? value.slice(0, 40) : typeof value;
      assert.equal(n, 1, label);
      assert.deepEqual(r.warnings, [UNREADABLE], label);
      assert.equal(JSON.parse(kv.map.get(key)).accessToken, r.accessToken, `${label}: replaced`);
    }
  });

  test('different scope, client or user: a different entry, a request of its own', async () => {
    const kv = memoryKv();
    await createConnection(passwordGrant({ scope: 'read', cache: kv })).token();
    for (const config of [
      passwordGrant({ scope: 'read write', cache: kv }),
      clientCredentials({ scope: 'read', cache: kv }),
      passwordGrant({ scope: 'read', cache: kv, extraParams: { tenant: 't2' } }),
    ]) {
      const [n] = await requestsDuring(() => createConnection(config).token());
      assert.equal(n, 1);
    }
    assert.equal(kv.map.size, 4);
  });

  test('a token without expires_in is not stored; a 30 s token is stored for KV\'s minimum, 60 s', async (t) => {
    const kv = memoryKv();
    const conn = createConnection({ tokenEndpoint: hostile.url('/no-expiry'), clientId: 'c', clientSecret: 's', cache: kv });
    const r = await conn.token();
    assert.equal(r.accessToken, 'hostile-no-expiry');
    assert.equal(kv.gets.length, 1);
    assert.equal(kv.puts.length, 0, 'nothing would tell other isolates when it dies');

    const shortLived = await startAuthServer({ accessTokenLifetime: 30 });
    t.after(() => shortLived.close());
    const config = { tokenEndpoint: shortLived.url, clientId: demo.id, clientSecret: demo.secret, cache: kv };
    const first = await createConnection(config).token();
    assert.ok(first.expiresIn <= 30);
    assert.equal(kv.puts.at(-1).options.expirationTtl, 60);
    // Another connection takes it (its skew is capped at half the lifetime, 15 s).
    const second = await createConnection(config).token();
    assert.equal(second.accessToken, first.accessToken);
    assert.equal(shortLived.requests.length, 1);
  });

  test('a token dropped after a 401 is not taken back from the cache: a new one is requested and stored', async () => {
    const kv = memoryKv();
    const a = createConnection(clientCredentials({ cache: kv }));
    const b = createConnection(clientCredentials({ cache: kv }));
    assert.equal((await a.fetch(`${api.origin}/a`)).status, 200);
    assert.equal((await b.fetch(`${api.origin}/b`)).status, 200);
    const t1 = a.lastResult.accessToken;
    assert.equal(b.lastResult.accessToken, t1, 'b took a\'s token from the cache');
    const key = await a.cacheKey();

    auth.revoke(t1);
    const before = tokenRequests();
    const res = await a.fetch(`${api.origin}/c`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 200);
    assert.equal(tokenRequests() - before, 1, 'the cache still held the revoked token; a did not take it');
    const t2 = a.lastResult.accessToken;
    assert.notEqual(t2, t1);
    assert.equal(JSON.parse(kv.map.get(key)).accessToken, t2, 'the new token replaced it');

    // b's 401 on t1: it takes t2 from the cache, no request.
    const res2 = await b.fetch(`${api.origin}/d`, { method: 'POST', body: 'y' });
    assert.equal(res2.status, 200);
    assert.equal(tokenRequests() - before, 1);
    assert.equal(b.lastResult.accessToken, t2);

    // invalidate() drops the held token the same way.
    b.invalidate();
    const [n, r] = await requestsDuring(() => b.token());
    assert.equal(n, 1);
    assert.notEqual(r.accessToken, t2);
  });

  test('100 concurrent token() calls: 1 cache get and 1 endpoint request (and with a stored token, none)', async () => {
    const kv = memoryKv();
    const conn = createConnection(clientCredentials({ cache: kv }));
    const [n, results] = await requestsDuring(() => Promise.all(Array.from({ length: 100 }, () => conn.token())));
    assert.equal(n, 1);
    assert.equal(new Set(results).size, 1, 'one result object for every caller');
    assert.equal(kv.gets.length, 1);
    assert.equal(kv.puts.length, 1);

    const other = createConnection(clientCredentials({ cache: kv }));
    const [n2, results2] = await requestsDuring(() =>
      Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? other.token() : other.fetch(`${api.origin}/p/${i}`)))),
    );
    assert.equal(n2, 0);
    assert.equal(kv.gets.length, 2);
    assert.equal(kv.puts.length, 1);
    assert.equal(new Set(results2.filter((r) => !(r instanceof Response)).map((r) => r.accessToken)).size, 1);
    assert.deepEqual([...new Set(results2.filter((r) => r instanceof Response).map((r) => r.status))], [200]);
  });

  test('cache is validated like every other option; requestToken refuses it by name', async () => {
    const bad = ['kv', 42, {}, { get() {} }, { put() {} }, { get: 'x', put() {} }, () => {}, []];
    for (const cache of bad) {
      const conn = createConnection(clientCredentials({ cache }));
      const e = await conn.token().catch((err) => err);
      assert.ok(e instanceof OAuthTokenError);
      assert.equal(e.code, 'ERR_INVALID_CONFIG');
      assert.match(e.message, /^cache must be an object with get\(key\) and put\(key, value, options\) methods/);
    }
    const e = await createConnection(clientCredentials({ cache: memoryKv(), grantType: 'refresh_token', refreshToken: 'r' }))
      .token().catch((err) => err);
    assert.equal(e.code, 'ERR_INVALID_CONFIG');
    assert.match(e.message, /^cache cannot be used with grantType "refresh_token"/);
    const r = await requestToken(clientCredentials({ cache: memoryKv() })).catch((err) => err);
    assert.equal(r.code, 'ERR_INVALID_CONFIG');
    assert.equal(r.message, 'cache is an option of createConnection, not of requestToken');
    // null and undefined mean no cache.
    assert.equal(typeof (await createConnection(clientCredentials({ cache: null })).token()).accessToken, 'string');
  });
});
