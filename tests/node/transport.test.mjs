// The caller's own transport: the `fetch` and `restFetch` options, against HTTPS servers on
// 127.0.0.1 whose certificates come from a CA Node.js does not know (made by openssl at test
// time): a private CA, mutual TLS with an undici Agent presenting a client certificate (RFC 8705
// tls_client_auth and self_signed_tls_client_auth), and a custom fetch's failures classified
// like the host's.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, ProxyAgent, fetch as undiciFetch, getGlobalDispatcher, setGlobalDispatcher } from 'undici';

import { requestToken, createConnection } from 'oauth-token-connection';
import * as full from 'oauth-token-connection/full';
import { makeMtlsCerts, startMtlsServer } from './support/mtls-server.mjs';

const CLIENT_ID = 'mtls-client';

/** The recipe: a fetch that goes through an undici Agent (client certificate, private CA). */
const agentFetch = (connect) => {
  const dispatcher = new Agent({ connect });
  const f = (input, init) => undiciFetch(input, { ...init, dispatcher });
  f.close = () => dispatcher.close();
  return f;
};

/** A fetch that records what it was called with, then calls `inner`. */
const recording = (inner) => {
  const calls = [];
  const f = (input, init) => {
    calls.push({ input: String(input instanceof Request ? input.url : input), init });
    return inner(input, init);
  };
  f.calls = calls;
  return f;
};

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

describe('fetch option: private CA and mutual TLS (RFC 8705)', () => {
  let dir;
  let certs;
  let plain; // HTTPS, private CA, no client certificate asked
  let mtls; // client certificate signed by the CA required in the handshake
  let selfSigned; // any client certificate in the handshake; the registered self-signed one at the endpoint
  const agents = [];
  const withAgent = (connect) => {
    const f = agentFetch(connect);
    agents.push(f);
    return f;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'otc-mtls-'));
    certs = makeMtlsCerts(dir, CLIENT_ID);
    plain = await startMtlsServer(certs);
    mtls = await startMtlsServer(certs, { mode: 'ca', clientId: CLIENT_ID });
    selfSigned = await startMtlsServer(certs, { mode: 'self-signed', clientId: CLIENT_ID });
  });
  after(async () => {
    await Promise.all(agents.map((f) => f.close()));
    await plain?.close();
    await mtls?.close();
    await selfSigned?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const secretConfig = (url, extra = {}) => ({ tokenEndpoint: url, clientId: 'c', clientSecret: 's', ...extra });
  const mtlsConfig = (url, extra = {}) => ({
    tokenEndpoint: url,
    clientId: CLIENT_ID,
    clientAuthentication: 'tls_client_auth',
    ...extra,
  });

  test('a private CA: the host fetch refuses the certificate (ERR_TLS, naming the fetch option)', async () => {
    const e = await rejects(requestToken(secretConfig(plain.url)));
    assert.equal(e.code, 'ERR_TLS', e.message);
    assert.match(e.message, /fetch option/);
    assert.match(e.hint, /fetch option/);
    assert.equal(plain.requests.length, 0);
  });

  test('a private CA: an undici Agent with connect: { ca } as fetch gets the token', async () => {
    const f = recording(withAgent({ ca: certs.ca }));
    const r = await requestToken(secretConfig(plain.url, { fetch: f }));
    assert.equal(r.accessToken, 'token-1');
    assert.equal(f.calls.length, 1);
    const { input, init } = f.calls[0];
    assert.equal(input, plain.url);
    // What the package always asks of a fetch: no redirect followed, a timeout signal.
    assert.equal(init.redirect, 'manual');
    assert.equal(init.method, 'POST');
    assert.ok(init.signal instanceof AbortSignal);
    assert.equal(plain.requests.at(-1).authorization, `Basic ${Buffer.from('c:s').toString('base64')}`);
  });

  test('sslMode "trust" is refused with a message naming the fetch option', async () => {
    const e = await rejects(requestToken(secretConfig(plain.url, { sslMode: 'trust' })));
    assert.equal(e.code, 'ERR_UNSUPPORTED_SSL_MODE');
    assert.match(e.message, /fetch option/);
    assert.match(e.message, /undici Agent with connect: \{ ca \}/);
  });

  test('mTLS: a client without a certificate is refused in the handshake; the hint asks for a fetch that presents one', async () => {
    const before = mtls.requests.length;
    const e = await rejects(requestToken(mtlsConfig(mtls.url, { fetch: withAgent({ ca: certs.ca }) })));
    assert.ok(['ERR_NETWORK', 'ERR_TLS'].includes(e.code), `${e.code}: ${e.message}`);
    assert.match(e.hint, /fetch option that presents it/);
    assert.match(e.hint, /client certificate/);
    assert.equal(mtls.requests.length, before, 'no request reached the endpoint');
    // TLS 1.2 gets the handshake_failure alert: ERR_TLS, whose own message says the same.
    const tls12 = withAgent({ ca: certs.ca, maxVersion: 'TLSv1.2' });
    const e12 = await rejects(requestToken(secretConfig(mtls.url, { fetch: tls12 })));
    assert.equal(e12.code, 'ERR_TLS', e12.message);
    assert.match(e12.message, /client certificate/);
  });

  test('mTLS: tls_client_auth through an undici Agent with the client certificate gets a token', async () => {
    const f = withAgent({ ca: certs.ca, ...certs.client });
    const r = await requestToken(mtlsConfig(mtls.url, { fetch: f, scope: 'read' }));
    assert.match(r.accessToken, /^token-\d+$/);
    const req = mtls.requests.at(-1);
    assert.equal(req.cn, CLIENT_ID, 'the server saw the client certificate');
    // RFC 8705 §2: client_id in the body, no secret, no Basic header.
    assert.equal(req.authorization, undefined);
    assert.deepEqual([...req.form], [['grant_type', 'client_credentials'], ['scope', 'read'], ['client_id', CLIENT_ID]]);
  });

  test('mTLS: a certificate the server does not know for this client_id is invalid_client, with the certificate hint', async () => {
    const f = withAgent({ ca: certs.ca, ...certs.client });
    const e = await rejects(requestToken(mtlsConfig(mtls.url, { fetch: f, clientId: 'someone-else' })));
    assert.equal(e.code, 'ERR_OAUTH');
    assert.equal(e.error, 'invalid_client');
    assert.match(e.hint, /client certificate/);
  });

  test('self_signed_tls_client_auth: the registered self-signed certificate', async () => {
    const config = (cert) => ({
      tokenEndpoint: selfSigned.url,
      clientId: CLIENT_ID,
      clientAuthentication: 'self_signed_tls_client_auth',
      fetch: withAgent({ ca: certs.ca, ...cert }),
    });
    const r = await requestToken(config(certs.selfSigned));
    assert.match(r.accessToken, /^token-\d+$/);
    assert.deepEqual([...selfSigned.requests.at(-1).form], [['grant_type', 'client_credentials'], ['client_id', CLIENT_ID]]);
    const e = await rejects(requestToken(config(certs.client)));
    assert.equal(e.error, 'invalid_client');
    assert.match(e.hint, /tls_client_auth/);
  });

  test('tls_client_auth without a fetch option still sends the request (a global dispatcher may present the certificate)', async () => {
    const e = await rejects(requestToken(mtlsConfig(mtls.url)));
    // The host's fetch does not know the CA: the request went out and TLS failed.
    assert.equal(e.code, 'ERR_TLS');
    assert.match(e.hint, /fetch option that presents it/);
    // With a global dispatcher that presents the certificate, the host's fetch gets the token.
    const original = getGlobalDispatcher();
    const global = new Agent({ connect: { ca: certs.ca, ...certs.client } });
    setGlobalDispatcher(global);
    try {
      const r = await requestToken(mtlsConfig(mtls.url));
      assert.match(r.accessToken, /^token-\d+$/);
      assert.equal(mtls.requests.at(-1).cn, CLIENT_ID);
    } finally {
      setGlobalDispatcher(original);
      await global.close();
    }
    const withSecret = await rejects(requestToken(mtlsConfig(mtls.url, { clientSecret: 's' })));
    assert.equal(withSecret.code, 'ERR_INVALID_CONFIG');
    assert.match(withSecret.message, /^clientSecret is not used with clientAuthentication/);
  });

  test('a connection: token requests and REST calls go through fetch; restFetch takes the REST calls', async () => {
    const f = recording(withAgent({ ca: certs.ca, ...certs.client }));
    const conn = createConnection(mtlsConfig(mtls.url, { fetch: f }));
    const res = await conn.fetch(`${mtls.origin}/resource`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, cn: CLIENT_ID });
    assert.deepEqual(f.calls.map((c) => c.input), [mtls.url, `${mtls.origin}/resource`]);

    const rest = recording(withAgent({ ca: certs.ca, ...certs.client }));
    const tokens = recording(withAgent({ ca: certs.ca, ...certs.client }));
    const conn2 = createConnection(mtlsConfig(mtls.url, { fetch: tokens, restFetch: rest }));
    assert.equal((await conn2.fetch(`${mtls.origin}/a`)).status, 200);
    // A header the caller set: sent as is, through restFetch all the same.
    assert.equal((await conn2.fetch(`${mtls.origin}/b`, { headers: { authorization: 'Bearer token-1' } })).status, 200);
    assert.deepEqual(tokens.calls.map((c) => c.input), [mtls.url]);
    assert.deepEqual(rest.calls.map((c) => c.input), [`${mtls.origin}/a`, `${mtls.origin}/b`]);
    assert.equal(new Headers(rest.calls[0].init.headers).get('authorization'), `Bearer ${(await conn2.token()).accessToken}`);
  });

  test('a proxy: undici ProxyAgent (HTTP CONNECT) as fetch, to the private-CA endpoint', async () => {
    const tunnels = [];
    const proxy = http.createServer((req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, socket, head) => {
      tunnels.push(req.url);
      const [host, port] = req.url.split(':');
      const upstream = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const dispatcher = new ProxyAgent({ uri: `http://127.0.0.1:${proxy.address().port}`, requestTls: { ca: certs.ca } });
    try {
      const r = await requestToken(secretConfig(plain.url, { fetch: (url, init) => undiciFetch(url, { ...init, dispatcher }) }));
      assert.match(r.accessToken, /^token-\d+$/);
      assert.deepEqual(tunnels, [new URL(plain.url).host]);
    } finally {
      await dispatcher.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('restFetch is an option of createConnection only; fetch must be a function', async () => {
    const e = await rejects(requestToken(secretConfig(plain.url, { restFetch: globalThis.fetch })));
    assert.equal(e.message, 'restFetch is an option of createConnection, not of requestToken');
    const binding = { fetch: globalThis.fetch };
    const e2 = await rejects(requestToken(secretConfig(plain.url, { fetch: binding })));
    assert.equal(e2.code, 'ERR_INVALID_CONFIG');
    assert.match(e2.message, /^fetch must be a function .*\.bind\(/);
  });

  test('/full takes the same options', async () => {
    const r = await full.requestToken(mtlsConfig(mtls.url, { fetch: withAgent({ ca: certs.ca, ...certs.client }) }));
    assert.match(r.accessToken, /^token-\d+$/);
  });
});

describe('fetch option: what the package asks of any fetch', () => {
  const config = (f, extra = {}) => ({ tokenEndpoint: 'https://auth.invalid/token', clientId: 'c', clientSecret: 's', fetch: f, ...extra });
  const json = (body, init = {}) => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' }, ...init });

  test('a rejection is classified like the host fetch', async () => {
    const reject = (cause) => () => Promise.reject(new TypeError('fetch failed', { cause }));
    let e = await rejects(requestToken(config(reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })))));
    assert.equal(e.code, 'ERR_NETWORK');
    assert.match(e.message, /ECONNREFUSED/);
    assert.equal(e.cause.cause.code, 'ECONNREFUSED');
    e = await rejects(requestToken(config(reject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }))));
    assert.equal(e.code, 'ERR_TLS');
    e = await rejects(requestToken(config(() => {
      throw new TypeError('thrown synchronously');
    })));
    assert.equal(e.code, 'ERR_NETWORK');
  });

  test('the byte limit and the timeout signal apply to a custom fetch', async () => {
    const big = () => Promise.resolve(json({ access_token: 'x'.repeat(5000), token_type: 'Bearer' }));
    let e = await rejects(requestToken(config(big, { maxResponseBytes: 1000 })));
    assert.equal(e.code, 'ERR_RESPONSE_TOO_LARGE');
    // A fetch that answers only its signal (a ref'd timer keeps the loop alive, as a socket would).
    const hang = (input, init) => new Promise((_, reject) => {
      const alive = setInterval(() => {}, 1000);
      init.signal.addEventListener('abort', () => {
        clearInterval(alive);
        reject(init.signal.reason);
      });
    });
    e = await rejects(requestToken(config(hang, { timeoutSeconds: 0.2 })));
    assert.equal(e.code, 'ERR_TIMEOUT');
    const controller = new AbortController();
    const p = requestToken(config(hang, { signal: controller.signal }));
    controller.abort(new Error('stop'));
    e = await rejects(p);
    assert.equal(e.code, 'ERR_ABORTED');
    // A redirect answer is not followed (redirect: 'manual' was asked for).
    e = await rejects(requestToken(config(() => Promise.resolve(new Response(null, { status: 302, headers: { location: '/x' } })))));
    assert.equal(e.code, 'ERR_UNEXPECTED_REDIRECT');
  });

  test('the host fetch is not called when a custom fetch is given', async () => {
    const original = globalThis.fetch;
    let hostCalls = 0;
    globalThis.fetch = (...args) => {
      hostCalls += 1;
      return original(...args);
    };
    try {
      const mine = recording(() => Promise.resolve(json({ access_token: 'mine', token_type: 'Bearer', expires_in: 60 })));
      assert.equal((await requestToken(config(mine))).accessToken, 'mine');
      const conn = createConnection(config(mine));
      assert.equal((await conn.token()).accessToken, 'mine');
      await conn.fetch('https://api.invalid/x');
      assert.equal(mine.calls.length, 3);
      assert.equal(hostCalls, 0);
    } finally {
      globalThis.fetch = original;
    }
  });
});
