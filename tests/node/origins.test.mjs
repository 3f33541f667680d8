// Where a connection's token may go. With `resourceOrigins`, conn.fetch to
// any other origin rejects with ERR_FORBIDDEN_ORIGIN and sends nothing: no request to that
// origin, and no token request either when the connection holds none yet. Without it, https:
// origins and loopback http: only (http: elsewhere would carry the token in clear text), refused
// before any DNS lookup or connection. Real servers on 127.0.0.1 (two ports: two origins); a
// fetch spy only where the point is that nothing at all was sent.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { createConnection, requestToken, OAuthTokenError } from 'oauth-token-connection';
import { startTokenServer } from './support/token-server.mjs';
import { startRecordingServer, redirect, ok } from './support/recording-server.mjs';

let tokens;
let api;
let other;

const tokenRequests = () => tokens.requests.filter((r) => r.method === 'POST').length;
const config = (extra = {}) => ({
  tokenEndpoint: tokens.url, clientId: 'origins-client', clientSecret: 'origins-secret', ...extra,
});

/** Rejects with OAuthTokenError `code`; returns the error. */
async function refused(promise, code) {
  const err = await promise.then(() => assert.fail(`resolved instead of ${code}`), (e) => e);
  assert.ok(err instanceof OAuthTokenError, `${err?.name}: ${err?.message}`);
  assert.equal(err.code, code, err.message);
  return err;
}

/** Runs `fn` with globalThis.fetch wrapped; returns the URLs fetch was called with. */
async function spyFetch(fn) {
  const real = globalThis.fetch;
  const urls = [];
  globalThis.fetch = (input, init) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return real(input, init);
  };
  try {
    await fn();
  } finally {
    globalThis.fetch = real;
  }
  return urls;
}

describe('resourceOrigins and ERR_FORBIDDEN_ORIGIN', () => {
  before(async () => {
    [tokens, api, other] = await Promise.all([
      startTokenServer(),
      startRecordingServer((req, res) => (req.path === '/to-other' ? redirect(res, 302, other.url('/landing')) : ok(req, res))),
      startRecordingServer(),
    ]);
  });
  after(async () => {
    await Promise.all([tokens?.close(), api?.close(), other?.close()]);
  });
  const reset = () => {
    tokens.reset();
    api.requests.length = 0;
    other.requests.length = 0;
  };

  test('a listed origin gets the token; an unlisted one is refused and receives nothing', async () => {
    reset();
    const conn = createConnection(config({ resourceOrigins: [api.origin] }));
    const res = await conn.fetch(api.url('/items'));
    assert.equal(res.status, 200);
    assert.equal(api.requests[0].headers.authorization, 'Bearer token-1');

    const err = await refused(conn.fetch(other.url('/items')), 'ERR_FORBIDDEN_ORIGIN');
    assert.equal(
      err.message,
      `the connection sends its token only to resourceOrigins; ${other.origin} is not listed, so nothing was sent`,
    );
    assert.equal(err.hint, 'Add the origin to resourceOrigins if the token is meant for it.');
    assert.equal(err.status, undefined);
    await refused(conn.fetch(new Request(other.url('/items'), { method: 'POST', body: 'x' })), 'ERR_FORBIDDEN_ORIGIN');
    assert.equal(other.requests.length, 0, 'the unlisted origin received a request');
    assert.equal(tokenRequests(), 1);
    // The connection goes on working for the listed origin, with the same token.
    assert.equal((await conn.fetch(api.url('/again'))).status, 200);
    assert.equal(api.requests.at(-1).headers.authorization, 'Bearer token-1');
    assert.equal(tokenRequests(), 1);
  });

  test('an unlisted origin on a fresh connection: refused before a token is requested', async () => {
    reset();
    const conn = createConnection(config({ resourceOrigins: [api.origin] }));
    const urls = await spyFetch(() => refused(conn.fetch(other.url('/items')), 'ERR_FORBIDDEN_ORIGIN'));
    assert.deepEqual(urls, [], 'fetch was called');
    assert.equal(tokenRequests(), 0, 'a token was requested for a call that may not carry it');
    assert.equal(other.requests.length, 0);
  });

  test('the list is exact: another port, scheme or host of a listed one is refused, loopback included', async () => {
    reset();
    const conn = createConnection(config({ resourceOrigins: [`${api.origin}/any/path?q=1`, 'https://api.example.com'] }));
    assert.equal((await conn.fetch(api.url('/items'))).status, 200, 'a listed URL counts by its origin');
    for (const url of [
      other.url('/items'), // same host, another port
      api.url('/items').replace('127.0.0.1', 'localhost'), // another host for the same server
      'https://api.example.com:444/x', // another port
      'http://api.example.com/x', // another scheme
      'https://evil.example/x',
    ]) {
      const err = await refused(conn.fetch(url), 'ERR_FORBIDDEN_ORIGIN');
      assert.match(err.message, /is not listed, so nothing was sent$/);
    }
    assert.equal(other.requests.length, 0);
    assert.equal(api.requests.length, 1);
  });

  test('resourceOrigins: [] refuses every origin', async () => {
    reset();
    const conn = createConnection(config({ resourceOrigins: [] }));
    await refused(conn.fetch(api.url('/items')), 'ERR_FORBIDDEN_ORIGIN');
    assert.equal(api.requests.length, 0);
    assert.equal(tokenRequests(), 0);
  });

  test('a listed origin that redirects to an unlisted one: followed without the token', async () => {
    reset();
    const conn = createConnection(config({ resourceOrigins: [api.origin] }));
    const res = await conn.fetch(api.url('/to-other'));
    assert.equal(res.status, 200);
    assert.equal(res.url, other.url('/landing'));
    assert.equal(other.requests.length, 1);
    assert.equal(other.requests[0].headers.authorization, undefined);
  });

  test('without resourceOrigins: http: to a host that is not loopback is refused before any lookup', async () => {
    reset();
    const conn = createConnection(config());
    const urls = await spyFetch(async () => {
      for (const url of ['http://example.invalid/x', 'http://evil.localhost/x', `http://a.localhost:${new URL(api.origin).port}/x`, 'http://10.0.0.1/x']) {
        const err = await refused(conn.fetch(url), 'ERR_FORBIDDEN_ORIGIN');
        assert.equal(
          err.message,
          `the connection does not send its token over http: to ${new URL(url).origin} (not loopback: it would travel in clear text), so nothing was sent`,
        );
        assert.match(err.hint, /list the http: origin in resourceOrigins/);
      }
    });
    assert.deepEqual(urls, [], 'nothing was fetched: no token request, no DNS lookup, no connection');
    assert.equal(tokenRequests(), 0);
    assert.equal(api.requests.length, 0);

    // Loopback http: is allowed without a list.
    const res = await conn.fetch(api.url('/items'));
    assert.equal(res.status, 200);
    assert.equal(api.requests[0].headers.authorization, 'Bearer token-1');
    // With a token held, a refused origin still gets nothing and the token is kept.
    const more = await spyFetch(() => refused(conn.fetch('http://example.invalid/y'), 'ERR_FORBIDDEN_ORIGIN'));
    assert.deepEqual(more, []);
    assert.equal(tokenRequests(), 1);
  });

  test('a user name and password in the URL are never quoted by ERR_FORBIDDEN_ORIGIN', async () => {
    reset();
    const listed = createConnection(config({ resourceOrigins: [api.origin] }));
    const open = createConnection(config());
    for (const [conn, url, origin] of [
      [listed, `http://user:hunter2@127.0.0.1:${new URL(other.origin).port}/x`, other.origin],
      [listed, 'https://user:hunter2@api.example/x', 'https://api.example'],
      [open, 'http://user:hunter2@example.invalid/x', 'http://example.invalid'],
    ]) {
      const err = await refused(conn.fetch(url), 'ERR_FORBIDDEN_ORIGIN');
      assert.ok(err.message.includes(` ${origin} `), err.message);
      assert.ok(!err.message.includes('hunter2') && !err.message.includes('user'), err.message);
    }
    assert.equal(other.requests.length, 0);
  });

  test('a URL that does not parse is a TypeError, before anything is sent', async () => {
    reset();
    const conn = createConnection(config());
    await assert.rejects(conn.fetch('http://[not a host/'), TypeError);
    assert.equal(tokenRequests(), 0);
  });

  test('invalid resourceOrigins are ERR_INVALID_CONFIG; requestToken does not take it', async () => {
    reset();
    for (const resourceOrigins of [
      ['api.example.com'],
      ['ftp://api.example.com'],
      ['https://user:pass@api.example.com'],
      'https://api.example.com',
      [42],
    ]) {
      const conn = createConnection(config({ resourceOrigins }));
      const err = await refused(conn.token(), 'ERR_INVALID_CONFIG');
      assert.match(err.message, /^resourceOrigins /, err.message);
      await refused(conn.fetch(api.url('/x')), 'ERR_INVALID_CONFIG');
    }
    const err = await refused(requestToken(config({ resourceOrigins: [api.origin] })), 'ERR_INVALID_CONFIG');
    assert.match(err.message, /resourceOrigins is an option of createConnection/);
    assert.equal(tokens.requests.length, 0);
    assert.equal(api.requests.length, 0);
  });

  test('listing an http: origin off loopback is the explicit opt-in: the token is handed to fetch for it', async () => {
    reset();
    const conn = createConnection(config({ resourceOrigins: ['http://api.internal.example:8080', api.origin] }));
    // No DNS name here resolves to this machine's servers: fetch is stubbed for that one origin
    // only, to see what the connection hands it; everything else goes to the real servers.
    const real = globalThis.fetch;
    const handed = [];
    globalThis.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.startsWith('http://api.internal.example:8080/')) return real(input, init);
      handed.push({ url, authorization: new Headers(init?.headers).get('authorization') });
      return Promise.resolve(new Response('{}', { status: 200 }));
    };
    try {
      assert.equal((await conn.fetch('http://api.internal.example:8080/v1')).status, 200);
      await refused(conn.fetch('http://api.internal.example:8081/v1'), 'ERR_FORBIDDEN_ORIGIN');
      await refused(conn.fetch('http://api.other.example:8080/v1'), 'ERR_FORBIDDEN_ORIGIN');
    } finally {
      globalThis.fetch = real;
    }
    assert.deepEqual(handed, [{ url: 'http://api.internal.example:8080/v1', authorization: 'Bearer token-1' }]);
    // Without the list the same URL is refused (see above); the hint names the opt-in.
    const err = await refused(createConnection(config()).fetch('http://api.internal.example:8080/v1'), 'ERR_FORBIDDEN_ORIGIN');
    assert.equal(err.hint, "Use the resource's https: URL, or list the http: origin in resourceOrigins to allow it.");
  });

  test('listed loopback http: origins work ([::1] and 127.x forms are accepted in the list)', async () => {
    reset();
    const conn = createConnection(config({ resourceOrigins: ['http://[::1]:1', 'http://127.0.0.2:1', api.origin] }));
    assert.equal((await conn.fetch(api.url('/items'))).status, 200);
    assert.equal(api.requests[0].headers.authorization, 'Bearer token-1');
  });
});
