// Discovery from an issuer (RFC 8414, OpenID Connect Discovery 1.0) in oauth-token-connection/full:
// against oidc-provider mounted under a path (the RFC 8414 URL is not served there, so the
// OpenID one is used), and a scripted server that publishes only RFC 8414 metadata; the §3.3
// issuer check; the https/loopback rule for the metadata's token_endpoint; one discovery for a
// connection's 1,000 concurrent callers; discover() and its metadata passed back as `issuer`.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Provider from 'oidc-provider';

import * as defaultEntry from 'oauth-token-connection';
import { requestToken, createConnection, discover, previewRequest } from 'oauth-token-connection/full';
import { startScriptedServer, token } from './support/scripted-server.mjs';

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

/** oidc-provider for issuer `<origin>/oidc` (mounted at /oidc), with a client_credentials client. */
async function startOidcProvider() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const seen = [];
  const warn = console.warn;
  console.warn = () => {}; // its development-mode notices
  const provider = new Provider(`${origin}/oidc`, {
    clients: [{
      client_id: 'svc',
      client_secret: 'svc-secret-1',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    }],
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
  });
  console.warn = warn;
  const callback = provider.callback();
  server.on('request', (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (!req.url.startsWith('/oidc/')) return res.writeHead(404).end();
    Object.assign(req, { originalUrl: req.url, baseUrl: '/oidc', url: req.url.slice('/oidc'.length) });
    return callback(req, res);
  });
  return {
    issuer: `${origin}/oidc`,
    seen,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

describe('discovery: oidc-provider (OpenID Connect Discovery)', () => {
  let op;
  const warn = console.warn;
  before(async () => {
    op = await startOidcProvider();
    console.warn = () => {};
  });
  after(async () => {
    console.warn = warn;
    await op?.close();
  });

  test('an issuer with a path: the RFC 8414 URL is not served, the OpenID one is; then the token', async () => {
    const r = await requestToken({ issuer: op.issuer, clientId: 'svc', clientSecret: 'svc-secret-1' });
    assert.equal(typeof r.accessToken, 'string');
    assert.equal(r.tokenType, 'Bearer');
    assert.deepEqual(op.seen, [
      'GET /.well-known/oauth-authorization-server/oidc',
      'GET /oidc/.well-known/openid-configuration',
      'POST /oidc/token',
    ]);
  });

  test('discover() returns the metadata; passed back as issuer, nothing is discovered again', async () => {
    const metadata = await discover(op.issuer);
    assert.equal(metadata.issuer, op.issuer);
    assert.equal(metadata.token_endpoint, `${op.issuer}/token`);
    assert.ok(Array.isArray(metadata.grant_types_supported), 'the whole document, as published');
    const before = op.seen.length;
    const r = await requestToken({ issuer: metadata, clientId: 'svc', clientSecret: 'svc-secret-1' });
    assert.equal(typeof r.accessToken, 'string');
    assert.deepEqual(op.seen.slice(before), ['POST /oidc/token']);
  });
});

describe('discovery: a server that publishes RFC 8414 metadata only', () => {
  let server;
  let metadata; // what the metadata URL answers
  before(async () => {
    server = await startScriptedServer(({ method, path, origin }) => {
      if (method === 'GET' && path === '/.well-known/oauth-authorization-server/tenant-a') return { json: metadata(origin) };
      if (method === 'GET') return { status: 404, body: 'not found' };
      return undefined;
    });
  });
  after(() => server?.close());

  const good = (origin) => ({ issuer: `${origin}/tenant-a`, token_endpoint: `${origin}/tenant-a/token` });
  const config = (extra = {}) => ({ issuer: `${server.origin}/tenant-a`, clientId: 'c', clientSecret: 's', ...extra });
  const paths = () => server.requests.map((r) => `${r.method} ${r.path}`);

  test('the RFC 8414 §3.1 URL of an issuer with a path', async () => {
    metadata = good;
    server.requests.length = 0;
    server.script([token('t-1')]);
    const r = await requestToken(config());
    assert.equal(r.accessToken, 't-1');
    assert.deepEqual(paths(), ['GET /.well-known/oauth-authorization-server/tenant-a', 'POST /tenant-a/token']);
    assert.equal(server.requests[1].form.get('grant_type'), 'client_credentials');
  });

  test('a metadata issuer that is not the configured one is refused (§3.3): no token request', async () => {
    metadata = (origin) => ({ ...good(origin), issuer: `${origin}/tenant-b` });
    server.requests.length = 0;
    const e = await rejects(requestToken(config()));
    assert.equal(e.code, 'ERR_INVALID_RESPONSE');
    assert.match(e.message, /^discovering the issuer's metadata \(http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-authorization-server\/tenant-a\): .*invalid metadata: the metadata's issuer is not the configured issuer/);
    assert.deepEqual(paths(), ['GET /.well-known/oauth-authorization-server/tenant-a']);
    // Differing by a trailing slash only: refused too, and the message says how to fix it.
    metadata = good;
    const slash = await rejects(requestToken(config({ issuer: `${server.origin}/tenant-a/` })));
    assert.match(slash.message, /trailing '\/'/);
  });

  test('http: metadata naming a token endpoint that is not loopback is refused: no token request', async () => {
    metadata = (origin) => ({ ...good(origin), token_endpoint: 'http://auth.example.com/token' });
    server.requests.length = 0;
    const e = await rejects(requestToken(config()));
    assert.equal(e.code, 'ERR_INSECURE_ENDPOINT');
    assert.equal(server.requests.length, 1);
    // A loopback one is accepted, as a configured one would be.
    metadata = good;
    server.script([token('t-2')]);
    assert.equal((await requestToken(config())).accessToken, 't-2');
  });

  test('no metadata at either URL: ERR_HTTP_STATUS naming both', async () => {
    server.requests.length = 0;
    const e = await rejects(requestToken(config({ issuer: `${server.origin}/nobody` })));
    assert.equal(e.code, 'ERR_HTTP_STATUS');
    assert.equal(e.status, 404);
    assert.match(e.message, /^no metadata at .*\/\.well-known\/oauth-authorization-server\/nobody nor .*\/nobody\/\.well-known\/openid-configuration/);
    assert.deepEqual(paths(), ['GET /.well-known/oauth-authorization-server/nobody', 'GET /nobody/.well-known/openid-configuration']);
  });

  test('1,000 concurrent token() calls on a fresh connection: 1 discovery request and 1 token request', async () => {
    metadata = good;
    server.requests.length = 0;
    server.script([token('shared')]);
    const conn = createConnection(config());
    const results = await Promise.all(Array.from({ length: 1000 }, () => conn.token()));
    assert.ok(results.every((r) => r.accessToken === 'shared'));
    assert.deepEqual(paths(), ['GET /.well-known/oauth-authorization-server/tenant-a', 'POST /tenant-a/token']);
    // The metadata is kept: a renewal goes straight to the token endpoint.
    conn.invalidate();
    await conn.token();
    assert.deepEqual(paths().slice(2), ['POST /tenant-a/token']);
  });

  test('previewRequest says it would discover, and sends nothing', async () => {
    server.requests.length = 0;
    const p = await previewRequest(config());
    assert.equal(p.url, "(the token_endpoint of the issuer's metadata)");
    assert.match(p.notes[0], /^The token endpoint is discovered first: GET http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-authorization-server\/tenant-a, then /);
    assert.equal(server.requests.length, 0);
  });

  test('the default entry refuses issuer by name, and its discover() points to /full', async () => {
    const e = await rejects(defaultEntry.requestToken(config()));
    assert.equal(e.code, 'ERR_INVALID_CONFIG');
    assert.match(e.message, /^issuer \(discovery\) is in the 'oauth-token-connection\/full' entry/);
    const d = await rejects(defaultEntry.discover(`${server.origin}/tenant-a`));
    assert.equal(d.name, 'TypeError');
    assert.equal(d.message, "discover is in 'oauth-token-connection/full'; import it from there");
  });

  test('discover() checks its arguments like a token request', async () => {
    let e = await rejects(discover(`${server.origin}/tenant-a`, { clientId: 'x' }));
    assert.match(e.message, /^discover\(\) takes the options fetch, timeoutSeconds, maxResponseBytes, signal and retry, not "clientId"/);
    e = await rejects(discover(42));
    assert.equal(e.message, "discover() takes the issuer's URL, a string");
    e = await rejects(discover('http://auth.example.com'));
    assert.equal(e.code, 'ERR_INSECURE_ENDPOINT');
    const m = await discover(new URL(`${server.origin}/tenant-a`), { timeoutSeconds: 5 });
    // A URL object is serialized (WHATWG adds no slash after a path), so the issuer matches.
    assert.equal(m.token_endpoint, `${server.origin}/tenant-a/token`);
  });
});
