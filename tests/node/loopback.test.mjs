// `http:` only to loopback. Names under .localhost were accepted and, in Node,
// resolved through DNS: whatever the resolver answered got the client secret in clear text. Now
// only `localhost` itself and IP loopback literals are, as the WHATWG URL parser serializes them:
// it turns 0x7f.1, 2130706433, 127.1 and 0177.0.0.1 into 127.0.0.1, so those reach a server on
// 127.0.0.1 (checked here against a real one), and [::ffff:127.0.0.1] into [::ffff:7f00:1],
// which is refused. A recording token endpoint and resource on 127.0.0.1; a fetch spy only to
// show that a refused URL is never fetched (no DNS lookup).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { requestToken, createConnection, OAuthTokenError } from 'oauth-token-connection';
import { previewRequest } from 'oauth-token-connection/full';
import { startTokenServer } from './support/token-server.mjs';
import { startRecordingServer } from './support/recording-server.mjs';

let tokens;
let api;
let port;

const config = (tokenEndpoint, extra = {}) => ({ tokenEndpoint, clientId: 'loopback-client', clientSecret: 'loopback-secret', ...extra });

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

async function refused(promise, code) {
  const err = await promise.then(() => assert.fail(`resolved instead of ${code}`), (e) => e);
  // The full entry (previewRequest) has its own OAuthTokenError class.
  assert.ok(err instanceof OAuthTokenError || (err instanceof Error && err.name === 'OAuthTokenError'), `${err?.name}: ${err?.message}`);
  assert.equal(err.code, code, err.message);
  return err;
}

describe('http: only to localhost and loopback literals', () => {
  before(async () => {
    [tokens, api] = await Promise.all([startTokenServer(), startRecordingServer()]);
    port = new URL(tokens.url).port;
  });
  after(async () => {
    await Promise.all([tokens?.close(), api?.close()]);
  });

  test('names under .localhost are refused with ERR_INSECURE_ENDPOINT, and never fetched', async () => {
    tokens.reset();
    const urls = [
      `http://a.localhost:${port}/token`,
      'http://evil.localhost/token',
      `http://127.0.0.1.localhost:${port}/token`,
      `http://localhost.localhost:${port}/token`,
      `http://[::ffff:127.0.0.1]:${port}/token`, // serialized [::ffff:7f00:1]: not [::1]
      `http://127.0.0.1.nip.io:${port}/token`,
    ];
    const fetched = await spyFetch(async () => {
      for (const url of urls) {
        const err = await refused(requestToken(config(url)), 'ERR_INSECURE_ENDPOINT');
        assert.match(err.message, /must use https: \(http: only for loopback hosts/);
        await refused(createConnection(config(url)).token(), 'ERR_INSECURE_ENDPOINT');
        await refused(previewRequest(config(url)), 'ERR_INSECURE_ENDPOINT');
      }
    });
    assert.deepEqual(fetched, []);
    assert.equal(tokens.requests.length, 0);
  });

  test('what the WHATWG URL parser makes of the IPv4 forms (the rule is applied to this)', () => {
    for (const [given, host] of [
      ['http://0x7f.1:8080/t', '127.0.0.1'],
      ['http://2130706433:8080/t', '127.0.0.1'],
      ['http://127.1:8080/t', '127.0.0.1'],
      ['http://0177.0.0.1:8080/t', '127.0.0.1'],
      ['http://0x7f000001:8080/t', '127.0.0.1'],
      ['http://LOCALHOST:8080/t', 'localhost'],
      ['http://[::ffff:127.0.0.1]:8080/t', '[::ffff:7f00:1]'],
      ['http://[0:0:0:0:0:0:0:1]:8080/t', '[::1]'],
    ]) {
      assert.equal(new URL(given).hostname, host, given);
    }
  });

  for (const form of ['0x7f.1', '2130706433', '127.1', '0177.0.0.1', '0x7f000001']) {
    test(`http://${form}:PORT reaches the token endpoint on 127.0.0.1, and a connection uses it`, async () => {
      tokens.reset();
      const url = `http://${form}:${port}/token`;
      const r = await requestToken(config(url));
      assert.equal(r.accessToken, 'token-1');
      assert.equal(tokens.requests.length, 1);
      assert.equal(tokens.requests[0].method, 'POST');

      // The REST side: the same forms are loopback for conn.fetch without resourceOrigins.
      const conn = createConnection(config(url));
      const res = await conn.fetch(`http://${form}:${new URL(api.origin).port}/items`);
      assert.equal(res.status, 200);
      assert.equal(api.requests.at(-1).headers.authorization, 'Bearer token-2');
    });
  }

  test('localhost itself, [::1] and 127.0.0.0/8 are accepted (previewRequest: nothing is sent)', async () => {
    for (const url of ['http://localhost/t', 'http://LOCALHOST:1/t', 'http://[::1]:9/t', 'http://127.8.9.10/t', 'http://[0::1]/t']) {
      const p = await previewRequest(config(url));
      assert.equal(p.url, new URL(url).href, url);
    }
  });

  test('conn.fetch: http: to a .localhost name is ERR_FORBIDDEN_ORIGIN, never fetched', async () => {
    tokens.reset();
    const conn = createConnection(config(tokens.url));
    const fetched = await spyFetch(async () => {
      for (const url of [`http://a.localhost:${new URL(api.origin).port}/items`, 'http://evil.localhost/items']) {
        await refused(conn.fetch(url), 'ERR_FORBIDDEN_ORIGIN');
      }
    });
    assert.deepEqual(fetched, []);
  });
});
