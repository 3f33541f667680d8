// Cloudflare Workers: the package's `workerd` entry in a real workerd (miniflare), requesting
// tokens from the real authorization server and the hostile server on 127.0.0.1. One Worker and
// one isolate serve every case; each error case is followed by a good request to the same
// instance.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { startAuthServer, DEMO_CLIENTS } from '../../demo/auth-server.mjs';
import { startHostileServer } from '../node/support/hostile-server.mjs';
import { startWorker } from './support/worker-host.mjs';
import { startResourceServer } from '../../demo/resource-server.mjs';
import { refusedPort } from '../node/support/ports.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const COOKIE_WARNING = 'Cookie rejected: Illegal \'domain\' attribute "evil.example". Domain of origin: "127.0.0.1"';
const { demo } = DEMO_CLIENTS;

describe('Cloudflare Workers (workerd via miniflare): the workerd entry', () => {
  let auth;
  let hostile;
  let worker;
  let served = 0; // requests sent to the Worker; it must count the same (one isolate)

  before(async () => {
    auth = await startAuthServer();
    hostile = await startHostileServer();
    worker = await startWorker(PKG);
  });
  after(async () => {
    await worker?.dispose();
    await hostile?.close();
    await auth?.close();
  });

  const config = (extra = {}) => ({
    tokenEndpoint: auth.url,
    grantType: 'client_credentials',
    clientId: demo.id,
    clientSecret: demo.secret,
    ...extra,
  });

  async function call(cfg) {
    const out = await worker.request(cfg);
    served += 1;
    assert.equal(out.served, served, 'the same isolate answers every request');
    return out;
  }

  /** The Worker's answer for a failure: an OAuthTokenError with `code`, nothing secret in it. */
  async function expectError(cfg, code) {
    const out = await call(cfg);
    assert.equal(out.ok, false, `expected ${code}, got a token`);
    const e = out.error;
    assert.equal(e.code, code, e.message);
    assert.equal(e.isOAuthTokenError, true);
    assert.equal(e.isError, true);
    assert.equal(e.name, 'OAuthTokenError');
    for (const text of [e.message, e.stack, e.errorDescription, e.cause]) {
      assert.ok(!String(text ?? '').includes(demo.secret), `error text leaks the secret: ${text}`);
    }
    return e;
  }

  /** A good request right after: the instance still works. */
  async function expectRecovers() {
    const out = await call(config());
    assert.equal(out.ok, true, out.error?.message);
    assert.equal(out.result.accessToken, auth.tokens.at(-1).accessToken);
  }

  test('gets a token from the real authorization server', async () => {
    const before = auth.tokens.length;
    const out = await call(config({ scope: 'read write' }));
    assert.equal(out.ok, true, out.error?.message);
    assert.equal(auth.tokens.length, before + 1, 'the server issued one token');
    const issued = auth.tokens.at(-1);
    assert.equal(out.result.accessToken, issued.accessToken);
    assert.equal(out.result.tokenType, 'Bearer');
    assert.equal(out.result.scope, 'read write');
    assert.ok(out.result.expiresIn === 3600 || out.result.expiresIn === 3599, String(out.result.expiresIn));
    assert.equal(typeof out.result.expiresAt, 'number');
    assert.deepEqual(out.result.warnings, []);
    assert.equal(out.result.json.access_token, issued.accessToken);
    // The request the server saw: Basic authentication, form body.
    const req = auth.requests.at(-1);
    assert.equal(req.method, 'POST');
    assert.match(req.headers.authorization, /^Basic /);
    assert.equal(new URLSearchParams(req.body).get('grant_type'), 'client_credentials');
  });

  test('workerd exposes Set-Cookie: a foreign Domain gives the cookie-policy warning', async () => {
    const out = await call(config({ tokenEndpoint: hostile.url('/cookie-foreign') }));
    assert.equal(out.ok, true, out.error?.message);
    assert.equal(out.result.accessToken, 'hostile-ok');
    assert.deepEqual(out.result.warnings, [COOKIE_WARNING]);

    const quiet = await call(config({ tokenEndpoint: hostile.url('/cookie-foreign'), ignoreCookiesPolicy: true }));
    assert.equal(quiet.ok, true, quiet.error?.message);
    assert.deepEqual(quiet.result.warnings, []);
    await expectRecovers();
  });

  test('a hanging endpoint with timeoutSeconds 1: ERR_TIMEOUT, then the instance still works', async () => {
    const hits = hostile.hits.get('/hang') ?? 0;
    await expectError(config({ tokenEndpoint: hostile.url('/hang'), timeoutSeconds: 1 }), 'ERR_TIMEOUT');
    assert.equal(hostile.hits.get('/hang'), hits + 1, 'the request reached the endpoint');
    await expectRecovers();
  });

  test('a wrong secret: ERR_OAUTH invalid_client, then the instance still works', async () => {
    const e = await expectError(config({ clientSecret: 'wrong-secret' }), 'ERR_OAUTH');
    assert.equal(e.status, 401);
    assert.equal(e.error, 'invalid_client');
    await expectRecovers();
  });

  test('a refused port: ERR_NETWORK, then the instance still works', async () => {
    const port = await refusedPort();
    await expectError(config({ tokenEndpoint: `http://127.0.0.1:${port}/token` }), 'ERR_NETWORK');
    await expectRecovers();
  });

  test('invalid config is ERR_INVALID_CONFIG in the Worker too, then the instance still works', async () => {
    const e = await expectError(config({ clientSecert: 'typo' }), 'ERR_INVALID_CONFIG');
    assert.match(e.message, /"clie\.\.\." \(12 characters\)/);
    await expectRecovers();
  });
});

describe('Cloudflare Workers: a connection at module scope (README pattern)', () => {
  let auth;
  let api;
  let worker;
  before(async () => {
    auth = await startAuthServer();
    api = await startResourceServer(auth);
    worker = await startWorker(PKG);
  });
  after(async () => {
    await worker?.dispose();
    await api?.close();
    await auth?.close();
  });

  test('one token for many REST calls in the isolate; a revoked token is renewed once', async () => {
    const config = { tokenEndpoint: auth.url, clientId: demo.id, clientSecret: demo.secret, scope: 'read' };
    const tokenRequests = () => auth.requests.filter((r) => r.path === '/token').length;
    for (let i = 0; i < 5; i++) {
      const out = await worker.post('/connection', { config, url: `${api.origin}/items/${i}` });
      assert.equal(out.ok, true, out.error?.message);
      assert.equal(out.status, 200);
      assert.equal(out.body.client, demo.id);
    }
    assert.equal(tokenRequests(), 1);
    assert.equal(new Set(api.calls.map((c) => c.authorization)).size, 1);

    auth.revoke(auth.tokens.at(-1).accessToken);
    const out = await worker.post('/connection', { config, url: `${api.origin}/after-revoke` });
    assert.equal(out.status, 200);
    assert.equal(tokenRequests(), 2);
    assert.deepEqual(api.calls.slice(-2).map((c) => c.status), [401, 200]);
  });
});
