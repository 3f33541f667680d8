// api.js's side of the adapter with an in-process stub `fetch` (the .wasm's steps are tested
// natively and in src/wasm/connection.rs): the fetch init it sends, the errors it builds from the
// core's fields and their `cause`, odd host answers, the bounded body read, single-flight and one
// error object for every waiter. Real servers: every other file here.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { requestToken, createConnection, previewRequest, OAuthTokenError } from 'oauth-token-connection';
import * as full from 'oauth-token-connection/full';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

const config = (extra) => ({ tokenEndpoint: 'https://auth.example.com/token', clientId: 'c', clientSecret: 's', ...extra });
const JSON_HEADERS = { 'content-type': 'application/json' };
const token = (n, extra) => JSON.stringify({ access_token: `tok-${n}`, token_type: 'bearer', expires_in: 3600, ...extra });

/** Installs a stub fetch; `answer(url, init, n)` gives its result (or throws). Returns the calls. */
function stub(answer) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return answer(url, init, calls.length);
  };
  return calls;
}

test('the init: the core\'s request, the fetch options and one abort signal', async () => {
  const calls = stub(() => new Response(token(1), { headers: JSON_HEADERS }));
  const r = await requestToken(config({ scope: 'read' }));
  assert.equal(r.accessToken, 'tok-1');
  const [{ url, init }] = calls;
  assert.equal(url, 'https://auth.example.com/token');
  assert.equal(init.method, 'POST');
  assert.equal(init.body, 'grant_type=client_credentials&scope=read');
  assert.deepEqual([init.redirect, init.credentials, init.cache], ['manual', 'omit', 'no-store']);
  assert.ok(init.signal instanceof AbortSignal);
  assert.equal(init.signal.aborted, false, 'the timeout was cleared with the exchange');
});

test('errors are OAuthTokenError instances with the core\'s fields; cause only for host failures', async () => {
  stub(() => new Response('{"error":"invalid_scope","error_description":"nope","error_uri":"https://e.example/x"}', { status: 400, headers: JSON_HEADERS }));
  const e = await requestToken(config()).catch((x) => x);
  assert.ok(e instanceof OAuthTokenError && e instanceof Error && typeof e.stack === 'string');
  assert.equal(e.name, 'OAuthTokenError');
  assert.deepEqual([e.code, e.status, e.error, e.errorDescription, e.errorUri], ['ERR_OAUTH', 400, 'invalid_scope', 'nope', 'https://e.example/x']);
  assert.ok(!('cause' in e));
  assert.ok(!Object.keys(e).includes('message'), 'message stays a non-enumerable own property');

  const bad = await requestToken(null).catch((x) => x);
  assert.ok(bad instanceof OAuthTokenError);
  assert.equal(bad.code, 'ERR_INVALID_CONFIG');
});

test('a rejected fetch: the host\'s rejection is the cause, exactly', async () => {
  stub(() => {
    throw 'gave up';
  });
  let e = await requestToken(config()).catch((x) => x);
  assert.equal(e.code, 'ERR_NETWORK');
  assert.equal(e.cause, 'gave up');
  assert.match(e.message, /gave up/);

  const tls = new TypeError('fetch failed', {
    cause: Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
  });
  stub(() => {
    throw tls;
  });
  e = await requestToken(config()).catch((x) => x);
  assert.equal(e.code, 'ERR_TLS');
  assert.equal(e.cause, tls);
});

test('the timeout aborts fetch with a TimeoutError that becomes the cause; the caller\'s signal keeps no listener', async () => {
  // Waits for the signal, holding the event loop open as a real request's socket does.
  const waitForAbort = (url, init) => new Promise((_, reject) => {
    const socket = setInterval(() => {}, 1000);
    init.signal.addEventListener('abort', () => {
      clearInterval(socket);
      reject(init.signal.reason);
    });
  });
  stub(waitForAbort);
  let e = await requestToken(config({ timeoutSeconds: 0.05 })).catch((x) => x);
  assert.equal(e.code, 'ERR_TIMEOUT');
  assert.equal(e.cause?.name, 'TimeoutError');

  const controller = new AbortController();
  const added = [];
  const removed = [];
  const signal = controller.signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (type, l) => { added.push(l); add(type, l); };
  signal.removeEventListener = (type, l) => { removed.push(l); remove(type, l); };
  stub(waitForAbort);
  const pending = requestToken(config({ signal }));
  setTimeout(() => controller.abort('stop'), 10);
  e = await pending.catch((x) => x);
  assert.equal(e.code, 'ERR_ABORTED');
  assert.equal(e.cause, 'stop');
  // Every listener added (none where AbortSignal.any links the signals) was removed.
  assert.deepEqual(removed, added);

  // An already-aborted signal sends nothing.
  const calls = stub(() => new Response(token(1), { headers: JSON_HEADERS }));
  e = await requestToken(config({ signal: AbortSignal.abort('before') })).catch((x) => x);
  assert.deepEqual([e.code, e.cause, calls.length], ['ERR_ABORTED', 'before', 0]);
});

test('odd host answers end in errors and the instance survives', async () => {
  for (const odd of [42, {}, null, { status: '200', headers: new Headers() }]) {
    stub(() => odd);
    const e = await requestToken(config()).catch((x) => x);
    assert.equal(e.code, 'ERR_INVALID_RESPONSE', String(odd));
  }
  stub(() => new Response('x'.repeat(2048), { headers: JSON_HEADERS }));
  assert.equal((await requestToken(config({ maxResponseBytes: 1024 })).catch((x) => x)).code, 'ERR_RESPONSE_TOO_LARGE');
  stub(() => new Response(token(1), { headers: JSON_HEADERS }));
  assert.equal((await requestToken(config())).accessToken, 'tok-1');
});

test('the body read stops past the limit, and a declared Content-Length refuses before any read', async () => {
  let pulls = 0;
  let cancelled = 0;
  const endless = () => new ReadableStream({
    pull(c) {
      pulls += 1;
      c.enqueue(new Uint8Array(400));
    },
    cancel() {
      cancelled += 1;
    },
  });
  stub(() => new Response(endless(), { headers: JSON_HEADERS }));
  let e = await requestToken(config({ maxResponseBytes: 1000 })).catch((x) => x);
  assert.equal(e.code, 'ERR_RESPONSE_TOO_LARGE');
  assert.ok(pulls <= 4, `stopped after the limit (${pulls} chunks)`);
  assert.equal(cancelled, 1);

  pulls = 0;
  stub(() => new Response(endless(), { headers: { ...JSON_HEADERS, 'content-length': '5000' } }));
  e = await requestToken(config({ maxResponseBytes: 1000 })).catch((x) => x);
  assert.equal(e.code, 'ERR_RESPONSE_TOO_LARGE');
  assert.equal(cancelled, 2);

  // A body in many chunks is joined in order.
  const text = token(7, { pad: 'x'.repeat(3000) });
  const bytes = new TextEncoder().encode(text);
  stub(() => new Response(new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 100) c.enqueue(bytes.slice(i, i + 100));
      c.close();
    },
  }), { headers: JSON_HEADERS }));
  assert.equal(JSON.stringify((await requestToken(config())).json), text);
});

test('concurrent callers share one request and one result, then the held token', async () => {
  const calls = stub(async (url, init, n) => {
    await new Promise((r) => setTimeout(r, 5));
    return new Response(token(n, { refresh_token: `rt-${n}` }), { headers: JSON_HEADERS });
  });
  const conn = createConnection(config());
  assert.equal(conn.lastResult, undefined);
  const results = await Promise.all(Array.from({ length: 25 }, () => conn.token()));
  assert.equal(calls.length, 1);
  assert.ok(results.every((r) => r === results[0]), 'one result object for all');
  assert.equal(await conn.token(), results[0]);
  assert.equal(conn.lastResult, results[0]);
  assert.equal(calls.length, 1);
  conn.invalidate();
  assert.equal((await conn.token()).accessToken, 'tok-2');
  assert.equal(calls[1].init.body, 'grant_type=refresh_token&refresh_token=rt-1');
});

test('a failed renewal rejects every waiter with one error object; the next call tries again', async () => {
  let down = true;
  const calls = stub(async (url, init, n) => {
    await new Promise((r) => setTimeout(r, 5));
    if (down) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    return new Response(token(n), { headers: JSON_HEADERS });
  });
  const conn = createConnection(config());
  const settled = await Promise.allSettled(Array.from({ length: 10 }, () => conn.token()));
  const first = settled[0].reason;
  assert.ok(first instanceof OAuthTokenError);
  assert.equal(first.code, 'ERR_NETWORK');
  assert.equal(first.cause.cause.code, 'ECONNREFUSED');
  assert.ok(settled.every((s) => s.status === 'rejected' && s.reason === first), 'the same error object');
  assert.equal(calls.length, 1);
  down = false;
  assert.equal((await conn.token()).accessToken, 'tok-2');
});

test('a shared cache: one get and one put for 25 callers; a second connection takes the entry', async () => {
  const calls = stub((url, init, n) => new Response(token(n, { refresh_token: 'rt' }), { headers: JSON_HEADERS }));
  const map = new Map();
  const puts = [];
  let gets = 0;
  const cache = {
    get: async (key) => { gets += 1; return map.get(key) ?? null; },
    put: async (key, value, options) => { puts.push({ key, value, options }); map.set(key, value); },
  };
  const a = full.createConnection(config({ cache }));
  const results = await Promise.all(Array.from({ length: 25 }, () => a.token()));
  assert.equal(results[0].accessToken, 'tok-1');
  assert.deepEqual([calls.length, gets, puts.length], [1, 1, 1]);
  assert.equal(await a.cacheKey(), puts[0].key);
  assert.match(puts[0].key, /^otc:v2:[0-9a-f]{64}$/);
  assert.deepEqual(puts[0].options, { expirationTtl: 3600 });
  assert.ok(!puts[0].value.includes('"rt"'), 'no refresh token is stored');

  const b = full.createConnection(config({ cache }));
  const r = await b.token();
  assert.equal(r.accessToken, 'tok-1');
  assert.equal(r.expiresAt, results[0].expiresAt);
  assert.equal(r.refreshToken, undefined);
  assert.equal(calls.length, 1);
  assert.equal(await full.createConnection(config()).cacheKey(), undefined);
});

test('only the response\'s own members count: a polluted Object.prototype supplies no token', async () => {
  stub(() => new Response(JSON.stringify({ token_type: 'bearer' }), { headers: JSON_HEADERS }));
  Object.prototype.access_token = 'planted';
  try {
    const e = await requestToken(config()).then(() => assert.fail('resolved'), (x) => x);
    assert.equal(e.code, 'ERR_INVALID_RESPONSE');
    assert.match(e.message, /access_token is missing/);
  } finally {
    delete Object.prototype.access_token;
  }
  // The result hands back the response's own strings; unknown members stay in `json` only.
  stub(() => new Response(token(2, { scope: 'a b', refresh_token: 'r', id_token: 'x.y.z' }), { headers: JSON_HEADERS }));
  const r = await requestToken(config());
  assert.deepEqual(
    [r.accessToken, r.tokenType, r.expiresIn, r.scope, r.refreshToken, r.json.id_token],
    ['tok-2', 'bearer', 3600, 'a b', 'r', 'x.y.z'],
  );
  assert.equal(Object.hasOwn(r, 'id_token'), false);
});

test('the default entry leaves the cache and previewRequest to oauth-token-connection/full, and says so', async () => {
  const calls = stub(() => new Response(token(3), { headers: JSON_HEADERS }));
  const cache = { get: async () => null, put: async () => {} };
  const e = await createConnection(config({ cache })).token().then(() => assert.fail('resolved'), (x) => x);
  assert.ok(e instanceof OAuthTokenError);
  assert.equal(e.code, 'ERR_INVALID_CONFIG');
  assert.match(e.message, /oauth-token-connection\/full/);
  assert.equal(calls.length, 0);
  assert.equal(await createConnection(config()).cacheKey(), undefined);
  const p = await previewRequest(config()).then(() => assert.fail('resolved'), (x) => x);
  assert.ok(p instanceof TypeError);
  assert.match(p.message, /oauth-token-connection\/full/);
  // The full entry has both.
  assert.equal((await full.previewRequest(config())).method, 'POST');
  assert.match(await full.createConnection(config({ cache })).cacheKey(), /^otc:v2:[0-9a-f]{64}$/);
});
